//! Bulk cleaning: trees, -o, --in-place, filters, threads, JSON Lines,
//! summaries, and interrupted runs.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use proptest::prelude::*;

use crate::util::{article, clean_bytes, dejunk, files_under, run_stdin, stderr, stdout, tree};

fn sample_tree(root: &Path) {
    tree(
        root,
        &[
            ("a.txt", article(1).as_bytes()),
            ("b.md", article(2).as_bytes()),
            ("sub/c.txt", article(3).as_bytes()),
            ("sub/deeper/d.txt", article(4).as_bytes()),
            (
                "sub/w1252.txt",
                b"Advertisement\n\n\x93Quoted,\x94 caf\xe9.\n",
            ),
            ("drafts/e.txt", article(5).as_bytes()),
            (".hidden/f.txt", article(6).as_bytes()),
            (".g.txt", article(7).as_bytes()),
            ("img.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
        ],
    );
}

/// `dejunk -r SRC -o OUT`.
fn mirror(src: &Path, out: &Path) -> std::process::Output {
    dejunk()
        .arg("-r")
        .arg(src)
        .arg("-o")
        .arg(out)
        .output()
        .unwrap()
}

#[test]
fn tree_is_mirrored_under_the_output_directory() {
    let dir = tempfile::tempdir().unwrap();
    let (src, out) = (dir.path().join("src"), dir.path().join("out"));
    sample_tree(&src);
    let o = mirror(&src, &out);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "");
    let got: Vec<String> = files_under(&out)
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    assert_eq!(
        got,
        [
            "a.txt",
            "b.md",
            "drafts/e.txt",
            "sub/c.txt",
            "sub/deeper/d.txt",
            "sub/w1252.txt"
        ]
    );
    for rel in [
        "a.txt",
        "b.md",
        "drafts/e.txt",
        "sub/c.txt",
        "sub/deeper/d.txt",
    ] {
        let want = clean_bytes(&std::fs::read(src.join(rel)).unwrap());
        assert_eq!(std::fs::read(out.join(rel)).unwrap(), want, "{rel}");
    }
    assert_eq!(
        std::fs::read_to_string(out.join("sub/w1252.txt")).unwrap(),
        "“Quoted,” café.\n"
    );
    let err = stderr(&o);
    assert!(
        err.contains("img.png: binary file (NUL byte at offset 10); skipped"),
        "{err}"
    );
    assert!(
        err.contains("7 files: 6 cleaned, 1 skipped, 0 failed"),
        "{err}"
    );
    assert!(err.contains("decoded from: windows-1252 1"), "{err}");
    assert!(err.contains("ads "), "{err}");
}

#[test]
fn globs_extensions_and_hidden() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    sample_tree(&src);
    let list = |args: &[&str]| -> Vec<String> {
        let out = tempfile::tempdir().unwrap();
        let o = dejunk()
            .arg("-r")
            .arg(&src)
            .arg("-o")
            .arg(out.path())
            .arg("-q")
            .args(args)
            .output()
            .unwrap();
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        files_under(out.path())
            .iter()
            .map(|p| p.display().to_string())
            .collect()
    };
    assert_eq!(list(&["-e", "md"]), ["b.md"]);
    assert_eq!(
        list(&[
            "--exclude",
            "drafts",
            "--exclude",
            "sub/deeper/**",
            "-e",
            ".TXT"
        ]),
        ["a.txt", "sub/c.txt", "sub/w1252.txt"]
    );
    assert_eq!(
        list(&["--include", "sub/**/*.txt", "--exclude", "w*"]),
        ["sub/c.txt", "sub/deeper/d.txt"]
    );
    assert_eq!(list(&["--include", "d.txt"]), ["sub/deeper/d.txt"]);
    let hidden = list(&["--hidden", "-e", "txt"]);
    assert!(
        hidden.contains(&".g.txt".to_string()) && hidden.contains(&".hidden/f.txt".to_string())
    );
}

#[test]
fn stdout_order_and_messages_do_not_depend_on_threads() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    for i in 0..300 {
        let mut doc = article(i).into_bytes();
        if i % 37 == 0 {
            doc.push(0); // binary, skipped with a note
        }
        if i % 50 == 0 {
            doc.extend(std::iter::repeat_n(b'y', 300_000)); // larger than the hold buffer
        }
        tree(&src, &[(&format!("d{}/f{i:03}.txt", i % 7), &doc)]);
    }
    let run = |j: &str| {
        let o = dejunk()
            .args(["-r", "-j", j, "--explain"])
            .arg(&src)
            .output()
            .unwrap();
        assert!(o.status.success());
        let err: Vec<String> = stderr(&o)
            .lines()
            .filter(|l| !l.contains(" s, ") && !l.contains("files/s"))
            .map(String::from)
            .collect();
        (o.stdout, err)
    };
    let one = run("1");
    assert!(one.0.len() > 1_000_000);
    assert!(one.1.iter().any(|l| l.contains("f037.txt: binary file")));
    for j in ["2", "4", "16"] {
        let many = run(j);
        assert!(one.0 == many.0, "stdout differs with -j {j}");
        assert_eq!(one.1, many.1, "stderr differs with -j {j}");
    }
}

#[test]
fn an_output_directory_that_cannot_be_made_fails_only_its_files() {
    // Output directories are made when a file first needs them; a file in
    // the way fails the inputs under it, with the directory named.
    let dir = tempfile::tempdir().unwrap();
    let (src, out) = (dir.path().join("src"), dir.path().join("out"));
    tree(
        &src,
        &[
            ("a.txt", article(1).as_bytes()),
            ("sub/b.txt", article(2).as_bytes()),
            ("new/deeper/c.txt", article(3).as_bytes()),
        ],
    );
    tree(&out, &[("sub", b"a file, not a directory")]);
    let o = mirror(&src, &out);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let want = format!(
        "dejunk: {}: cannot create directory {}: ",
        src.join("sub/b.txt").display(),
        out.join("sub").display()
    );
    assert!(stderr(&o).starts_with(&want), "{}", stderr(&o));
    assert!(stderr(&o).contains("3 files: 2 cleaned, 0 skipped, 1 failed"));
    assert_eq!(
        std::fs::read(out.join("new/deeper/c.txt")).unwrap(),
        clean_bytes(article(3).as_bytes())
    );
}

/// `-o` naming a file, not a directory: the run stops before it starts
/// (exit 2) and says so, instead of the system's "File exists"; the file
/// is untouched.
#[test]
fn an_output_that_is_a_file_stops_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let (src, out) = (dir.path().join("src"), dir.path().join("out.txt"));
    tree(&src, &[("a.txt", article(1).as_bytes())]);
    std::fs::write(&out, "keep me").unwrap();
    let o = mirror(&src, &out);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(
        stderr(&o),
        format!(
            "dejunk: {}: -o needs a directory, and this is not one (a missing one is made)\n",
            out.display()
        )
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "keep me");
}

#[test]
fn output_tree_and_messages_do_not_depend_on_threads() {
    // Small files run in batches, larger ones alone (see src/cli/pool.rs):
    // a mix of both, with messages along the way, must give the same tree
    // and the same messages in the same order for any -j.
    let dir = tempfile::tempdir().unwrap();
    let (src, src2) = (dir.path().join("src"), dir.path().join("src2"));
    for i in 0..400 {
        // Every 45th is too big to share a batch.
        let mut doc = article(i)
            .repeat(if i % 45 == 0 { 300 } else { 1 })
            .into_bytes();
        if i % 37 == 0 {
            doc.push(0); // binary, skipped with a note
        }
        if i % 61 == 0 {
            doc.extend_from_slice("Le café est ferm".as_bytes());
            doc.push(0xc3); // half a character, replaced and noted
        }
        tree(&src, &[(&format!("d{}/f{i:03}.txt", i % 7), &doc)]);
    }
    // Under -o these clash with files of `src` (same relative path).
    for i in [5, 6, 200] {
        let rel = format!("d{}/f{i:03}.txt", i % 7);
        tree(&src2, &[(&rel, b"Advertisement\nclash\n")]);
    }
    let out = dir.path().join("out"); // the same path: messages name it
    let run = |j: &str| {
        let _ = std::fs::remove_dir_all(&out);
        let o = dejunk()
            .args(["-r", "-j", j, "--explain"])
            .arg(&src)
            .arg(&src2)
            .arg("-o")
            .arg(&out)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o)); // the clashes
        assert!(o.stdout.is_empty());
        let err: Vec<String> = stderr(&o)
            .lines()
            .filter(|l| !l.contains(" s, ") && !l.contains("files/s"))
            .map(String::from)
            .collect();
        let files: Vec<(std::path::PathBuf, Vec<u8>)> = files_under(&out)
            .into_iter()
            .map(|rel| {
                let data = std::fs::read(out.join(&rel)).unwrap();
                (rel, data)
            })
            .collect();
        (files, err)
    };
    let one = run("1");
    assert_eq!(one.0.len(), 400 - 11); // 11 binary files skipped
    assert!(one.1.iter().any(|l| l.contains("f037.txt: binary file")));
    assert!(one.1.iter().any(|l| l.contains("replaced with U+FFFD")));
    assert!(
        one.1
            .iter()
            .any(|l| l.contains("also the output of an earlier"))
    );
    for j in ["2", "3", "16"] {
        let many = run(j);
        assert!(one.0 == many.0, "output tree differs with -j {j}");
        let first = one.1.iter().zip(&many.1).position(|(a, b)| a != b);
        assert!(
            one.1 == many.1,
            "stderr differs with -j {j}: first at line {first:?} of {}",
            one.1.len()
        );
    }
}

#[cfg(unix)]
#[test]
fn in_place_rewrites_keeps_permissions_and_leaves_no_temporaries() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    sample_tree(&src);
    std::fs::set_permissions(src.join("a.txt"), std::fs::Permissions::from_mode(0o640)).unwrap();
    let before_b = std::fs::read(src.join("b.md")).unwrap();
    let png = std::fs::read(src.join("img.png")).unwrap();
    let o = dejunk()
        .args(["-r", "--in-place", "-q"])
        .arg(&src)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(src.join("b.md")).unwrap(),
        clean_bytes(&before_b)
    );
    assert_eq!(
        std::fs::read(src.join("img.png")).unwrap(),
        png,
        "binary untouched"
    );
    assert_eq!(
        std::fs::read(src.join(".g.txt")).unwrap(),
        article(7).as_bytes(),
        "hidden untouched"
    );
    let mode = std::fs::metadata(src.join("a.txt"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o640);
    assert_eq!(temporaries_under(&src), Vec::<std::path::PathBuf>::new());
    // Named files work too, and a second run rewrites nothing.
    let mtime = |p: &str| std::fs::metadata(src.join(p)).unwrap().modified().unwrap();
    let before = mtime("b.md");
    std::thread::sleep(Duration::from_millis(20));
    let o = dejunk()
        .args(["--in-place", "--stats"])
        .arg(src.join("b.md"))
        .output()
        .unwrap();
    assert!(o.status.success());
    assert!(
        stderr(&o).contains("1 cleaned (1 already clean, not rewritten)"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read(src.join("b.md")).unwrap(),
        clean_bytes(&before_b)
    );
    assert_eq!(mtime("b.md"), before);
}

#[test]
fn output_inside_the_input_tree_is_not_walked() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    tree(
        src,
        &[
            ("a.txt", article(1).as_bytes()),
            ("b/c.txt", article(2).as_bytes()),
        ],
    );
    for _ in 0..2 {
        let o = dejunk()
            .current_dir(src)
            .args(["-r", ".", "-o", "clean", "-q"])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let got: Vec<String> = files_under(src)
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    assert_eq!(got, ["a.txt", "b/c.txt", "clean/a.txt", "clean/b/c.txt"]);
}

#[test]
fn clashing_outputs_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    tree(d, &[("x/a.txt", b"One.\n"), ("y/a.txt", b"Two.\n")]);
    let o = dejunk()
        .current_dir(d)
        .args(["x/a.txt", "y/a.txt", "-o", "out", "-q"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("y/a.txt: its output out/a.txt is also the output of an earlier input")
    );
    assert_eq!(
        std::fs::read_to_string(d.join("out/a.txt")).unwrap(),
        "One.\n"
    );
}

#[test]
fn stats_json_has_the_summary() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    sample_tree(&src);
    let json = dir.path().join("s.json");
    let o = dejunk()
        .arg("-r")
        .arg(&src)
        .arg("-q")
        .arg("--stats-json")
        .arg(&json)
        .output()
        .unwrap();
    assert!(o.status.success());
    assert!(!stderr(&o).contains("files:"), "-q prints no summary");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(v["files"]["total"], 7);
    assert_eq!(v["files"]["cleaned"], 6);
    assert_eq!(v["files"]["skipped"], 1);
    assert_eq!(v["files"]["failed"], 0);
    assert_eq!(v["bytes_out"].as_u64().unwrap(), o.stdout.len() as u64);
    assert!(v["bytes_in"].as_u64().unwrap() > v["bytes_out"].as_u64().unwrap());
    assert!(
        v["removals"]["by_category"]["ads"]["removals"]
            .as_u64()
            .unwrap()
            >= 6
    );
    assert!(v["elapsed_seconds"].as_f64().unwrap() > 0.0);
    assert!(v["mb_per_second"].is_number());
    assert_eq!(v["encodings"]["windows-1252"], 1);
}

// ---- JSON Lines ----

fn jsonl_doc(n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        let text = serde_json::to_string(&article(i)).unwrap();
        s.push_str(&format!(
            "{{\"id\": {i}, \"title\":\"T\\u00e9 {i}\", \"text\": {text}, \"n\":[1, 2.50]}}\n"
        ));
    }
    s
}

#[test]
fn jsonl_cleans_the_field_and_keeps_everything_else() {
    let input = "{\"id\": 7, \"text\": \"Advertisement\\n\\nKept prose.\", \"x\" : {\"y\":1.0}}\n\
                 {\"text\": \"Nothing to remove.\", \"t\":\"\\u00e9\"}\n";
    let o = run_stdin(&["--jsonl", "--counts-field", "junk"], input.as_bytes());
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "{\"id\": 7, \"text\": \"Kept prose.\", \"x\" : {\"y\":1.0},\"junk\":{\"ads\":1}}\n\
         {\"text\": \"Nothing to remove.\", \"t\":\"\\u00e9\",\"junk\":{}}\n"
    );
    let o = run_stdin(
        &["--jsonl", "--field", "body"],
        b"{\"body\":\"Advertisement\\n\\nB.\",\"text\":\"Advertisement\"}\n",
    );
    assert_eq!(stdout(&o), "{\"body\":\"B.\",\"text\":\"Advertisement\"}\n");
}

#[test]
fn jsonl_malformed_lines_are_reported_and_passed_or_skipped() {
    let input = "{\"text\":\"Advertisement\\n\\nOne.\"}\nnot json\n\n{\"text\": \"Two.\"\n[1]\n{\"text\":\"Three.\"}";
    let o = run_stdin(&["--jsonl"], input.as_bytes());
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stdout(&o),
        "{\"text\":\"One.\"}\nnot json\n\n{\"text\": \"Two.\"\n[1]\n{\"text\":\"Three.\"}"
    );
    let err = stderr(&o);
    assert!(err.contains("dejunk: <stdin>: line 2: not a JSON object (expected ident at line 1 column 2); passed through"), "{err}");
    assert!(err.contains("<stdin>: line 4: not a JSON object"), "{err}");
    assert!(err.contains("<stdin>: line 5: not a JSON object"), "{err}");
    let o = run_stdin(&["--jsonl", "--skip-bad-lines"], input.as_bytes());
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "{\"text\":\"One.\"}\n\n{\"text\":\"Three.\"}");
    assert!(stderr(&o).contains("line 4: not a JSON object"));
    assert!(stderr(&o).contains("; dropped"));
}

#[test]
fn jsonl_streams_over_threads_and_files() {
    // Several batches' worth, so that the workers share the stream.
    let input = jsonl_doc(6000);
    assert!(input.len() > 2 << 20);
    let one = run_stdin(&["--jsonl", "-j", "1"], input.as_bytes());
    let two = run_stdin(&["--jsonl", "-j", "3"], input.as_bytes());
    assert!(one.status.success());
    assert!(one.stdout == two.stdout);
    assert_eq!(stdout(&one).lines().count(), 6000);
    for (line, orig) in stdout(&one).lines().zip(input.lines()).take(50) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let o: serde_json::Value = serde_json::from_str(orig).unwrap();
        let orig_text = o["text"].as_str().unwrap();
        let mut want = String::from_utf8(clean_bytes(orig_text.as_bytes())).unwrap();
        if !orig_text.ends_with('\n') {
            want.pop();
        }
        assert_eq!(v["text"].as_str().unwrap(), want);
        assert_eq!(v["id"], o["id"]);
    }
    // The same through -o, file by file.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("dump.jsonl"), &input).unwrap();
    let o = dejunk()
        .current_dir(dir.path())
        .args(["--jsonl", "-q", "dump.jsonl", "-o", "out"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(std::fs::read(dir.path().join("out/dump.jsonl")).unwrap() == one.stdout);
}

// ---- Interrupted runs ----

/// A tree of files, each long enough to take several writes.
fn kill_tree(root: &Path, n: usize) -> Vec<(String, Vec<u8>, Vec<u8>)> {
    let mut v = Vec::new();
    for i in 0..n {
        let doc = article(i).repeat(200).into_bytes();
        let rel = format!("d{}/f{i:02}.txt", i % 3);
        tree(root, &[(&rel, &doc)]);
        let clean = clean_bytes(&doc);
        assert_ne!(doc, clean);
        v.push((rel, doc, clean));
    }
    v
}

/// Every file is either as it was or fully cleaned, and no temporary is
/// visible to a later run; returns how many were cleaned.
fn check_all_or_nothing(root: &Path, files: &[(String, Vec<u8>, Vec<u8>)]) -> usize {
    let mut cleaned = 0;
    for (rel, orig, clean) in files {
        let now = std::fs::read(root.join(rel)).unwrap();
        if &now == clean {
            cleaned += 1;
        } else {
            assert!(
                &now == orig,
                "{rel} is neither original nor cleaned ({} bytes)",
                now.len()
            );
        }
    }
    cleaned
}

/// Starts `dejunk ARGS` with a test pause (`DEJUNK_TEST_PAUSE`) and
/// returns it once it has paused.
fn spawn_paused<S: AsRef<std::ffi::OsStr>>(args: &[S], pause: &str) -> std::process::Child {
    let mut child = dejunk()
        .args(args)
        .env("DEJUNK_TEST_PAUSE", pause)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    assert_eq!(line, "dejunk: test pause\n");
    child
}

fn kill_when_paused(root: &Path, pause: &str) {
    let args = [
        "-r".as_ref(),
        "--in-place".as_ref(),
        "-q".as_ref(),
        "-j".as_ref(),
        "2".as_ref(),
        root.as_os_str(),
    ];
    let mut child = spawn_paused(&args, pause);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
}

#[test]
fn killed_mid_write_leaves_every_file_original_or_cleaned() {
    let dir = tempfile::tempdir().unwrap();
    let files = kill_tree(dir.path(), 12);
    let half: usize = files.iter().map(|f| f.2.len()).sum::<usize>() / 2;
    kill_when_paused(dir.path(), &format!("bytes:{half}"));
    let cleaned = check_all_or_nothing(dir.path(), &files);
    assert!(cleaned > 0 && cleaned < files.len(), "cleaned {cleaned}");
    // A temporary may be left behind; it is hidden, so the next run passes
    // it over, and finishes the job.
    let o = dejunk()
        .args(["-r", "--in-place", "-q"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(o.status.success());
    assert_eq!(check_all_or_nothing(dir.path(), &files), files.len());
}

#[test]
fn killed_before_a_rename_leaves_every_file_original_or_cleaned() {
    let dir = tempfile::tempdir().unwrap();
    let files = kill_tree(dir.path(), 9);
    kill_when_paused(dir.path(), "rename:5");
    let cleaned = check_all_or_nothing(dir.path(), &files);
    assert!((3..=5).contains(&cleaned), "cleaned {cleaned}");
}

#[test]
fn killed_at_random_moments() {
    let dir = tempfile::tempdir().unwrap();
    let files = kill_tree(dir.path(), 30);
    for ms in [5u64, 20, 40, 80] {
        let mut child = dejunk()
            .args(["-r", "--in-place", "-q"])
            .arg(dir.path())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(ms));
        let _ = child.kill();
        child.wait().unwrap();
        check_all_or_nothing(dir.path(), &files);
    }
}

// ---- Bulk output equals per-file output ----

fn doc_strategy() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        Just("Advertisement".to_string()),
        Just("Sign up for our newsletter".to_string()),
        Just("(Photo: Jane Doe, AP)".to_string()),
        Just(String::new()),
        "[a-zA-Z ,.éü“”]{0,80}",
        Just("The council met on Tuesday. (Photo: AP)".to_string()),
    ];
    prop::collection::vec(line, 0..30).prop_map(|lines| lines.join("\n"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn bulk_output_equals_per_file_output(
        docs in prop::collection::vec((0usize..4, doc_strategy()), 1..25),
        threads in 1usize..5,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src");
        std::fs::create_dir_all(&src).unwrap();
        let mut names = Vec::new();
        for (i, (depth, doc)) in docs.iter().enumerate() {
            let rel = format!("{}f{i:02}.txt", "sub/".repeat(*depth));
            tree(&src, &[(&rel, doc.as_bytes())]);
            names.push(rel);
        }
        names.sort();
        let out = dir.path().join("out");
        let o = dejunk().arg("-r").arg(&src).arg("-o").arg(&out).arg("-q")
            .arg("-j").arg(threads.to_string()).output().unwrap();
        prop_assert!(o.status.success());
        let cat = dejunk().arg("-r").arg(&src).arg("-j").arg(threads.to_string()).output().unwrap();
        let mut joined = Vec::new();
        let mut sorted: Vec<String> = files_under(&src).iter().map(|p| p.display().to_string()).collect();
        sorted.sort_by(|a, b| {
            // walk order: by name within each directory, so compare components
            let ka: Vec<&str> = a.split('/').collect();
            let kb: Vec<&str> = b.split('/').collect();
            ka.cmp(&kb)
        });
        for rel in &sorted {
            let single = dejunk().arg(src.join(rel)).output().unwrap();
            prop_assert!(single.status.success());
            prop_assert_eq!(&std::fs::read(out.join(rel)).unwrap(), &single.stdout);
            joined.extend_from_slice(&single.stdout);
        }
        prop_assert_eq!(cat.stdout, joined);
    }
}

#[cfg(unix)]
#[test]
fn sigterm_stops_cleanly_without_temporaries() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = kill_tree(dir.path(), 6);
    // A big file keeps the run busy long enough to be signalled.
    let big = article(99).repeat(150_000).into_bytes();
    tree(dir.path(), &[("big.txt", &big)]);
    files.push(("big.txt".to_string(), big.clone(), clean_bytes(&big)));
    let child = dejunk()
        .args(["-r", "--in-place", "-q", "-j", "1"])
        .arg(dir.path())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let o = child.wait_with_output().unwrap();
    if o.status.code() == Some(0) {
        return; // finished before the signal: nothing to check
    }
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    assert!(stderr(&o).contains("interrupted"));
    check_all_or_nothing(dir.path(), &files);
    assert_eq!(
        temporaries_under(dir.path()),
        Vec::<std::path::PathBuf>::new()
    );
}

#[cfg(unix)]
#[test]
fn file_names_that_are_not_utf8_are_shown_with_replacements() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join(OsStr::from_bytes(b"caf\xe9.txt"));
    std::fs::write(&bin, b"text\0more").unwrap();
    let missing = dir.path().join(OsStr::from_bytes(b"gone\xff.txt"));
    for threads in ["1", "2"] {
        let o = dejunk()
            .current_dir(dir.path())
            .args(["-q", "-j", threads])
            .arg(bin.file_name().unwrap())
            .arg(missing.file_name().unwrap())
            .output()
            .unwrap();
        let err = stderr(&o);
        assert!(
            err.contains("dejunk: caf\u{fffd}.txt: binary file"),
            "{err}"
        );
        assert!(
            err.contains("dejunk: gone\u{fffd}.txt: cannot open"),
            "{err}"
        );
    }
}

/// With `--follow`, a symbolic link back to a directory above it is
/// reported once, by its path and the directory it leads back to, and not
/// followed; every other file is cleaned, and the run fails (exit 1).
/// Without `--follow` the link is passed over in silence.
#[cfg(unix)]
#[test]
fn a_symbolic_link_loop_is_reported_and_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    sample_tree(&src);
    std::os::unix::fs::symlink("..", src.join("sub/up")).unwrap();
    let out = dir.path().join("out");
    let o = dejunk()
        .args(["-r", "-L", "-q", "-j", "2"])
        .arg(&src)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    let link = src.join("sub/up");
    assert_eq!(
        err.lines()
            .filter(|l| l.contains("symbolic link loop"))
            .collect::<Vec<_>>(),
        [format!(
            "dejunk: {}: symbolic link loop: leads back to '{}'; not followed",
            link.display(),
            src.display()
        )],
        "{err}"
    );
    // The six visible text files, each once (`img.png` is binary).
    let got = files_under(&out);
    assert_eq!(got.len(), 6, "{got:?}");
    let quiet = dejunk()
        .args(["-r", "-q"])
        .arg(&src)
        .arg("-o")
        .arg(dir.path().join("out2"))
        .output()
        .unwrap();
    assert!(quiet.status.success(), "{}", stderr(&quiet));
    assert!(!stderr(&quiet).contains("loop"), "{}", stderr(&quiet));
    assert_eq!(files_under(&dir.path().join("out2")), got);
}

/// Files named on the command line are not looked up before they are
/// opened (no progress to show): a named pipe among them is found to be
/// one by its worker, read to its end and cleaned in its turn, with a
/// directory and a missing file reported as before.
#[cfg(unix)]
#[test]
fn a_named_pipe_among_files_is_read_in_its_turn() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    tree(
        root,
        &[
            ("a.txt", article(1).as_bytes()),
            ("b.txt", article(2).as_bytes()),
        ],
    );
    std::fs::create_dir(root.join("sub")).unwrap();
    let pipe = root.join("pipe");
    let made = std::process::Command::new("mkfifo").arg(&pipe).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped: mkfifo is not available");
        return;
    }
    let piped = article(3);
    for j in ["1", "2"] {
        let writer = {
            let (pipe, piped) = (pipe.clone(), piped.clone());
            std::thread::spawn(move || std::fs::write(pipe, piped).unwrap())
        };
        let o = dejunk()
            .current_dir(root)
            .args(["-j", j, "a.txt", "pipe", "missing.txt", "sub", "b.txt"])
            .output()
            .unwrap();
        writer.join().unwrap();
        assert_eq!(o.status.code(), Some(1), "-j {j}: {}", stderr(&o));
        let mut want = clean_bytes(article(1).as_bytes());
        want.extend(clean_bytes(piped.as_bytes()));
        want.extend(clean_bytes(article(2).as_bytes()));
        assert_eq!(
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&want),
            "-j {j}"
        );
        let err = stderr(&o);
        assert!(err.contains("dejunk: missing.txt: cannot open: "), "{err}");
        assert!(
            err.contains("dejunk: sub: is a directory (use -r to clean the files under it)"),
            "{err}"
        );
    }
}

/// Writes `n` generated articles under `root`, the `i`th named `name(i)`;
/// returns the names and texts.
fn article_files(root: &Path, n: usize, name: impl Fn(usize) -> String) -> Vec<(String, String)> {
    let files: Vec<(String, String)> = (0..n).map(|i| (name(i), article(i))).collect();
    let entries: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_bytes()))
        .collect();
    tree(root, &entries);
    files
}

/// Standard input named among many files: whichever thread cleans it
/// reads it (workers keep a copy of the table of open files, with the
/// standard streams in it), in its place in the output, the same for any
/// number of threads.
#[test]
fn standard_input_among_many_files() {
    let dir = tempfile::tempdir().unwrap();
    let files = article_files(dir.path(), 200, |i| format!("f{i:03}.txt"));
    let piped = "Advertisement\n\nFrom the pipe: the bridge opens in May.\n";
    let mut want = Vec::new();
    for (i, (_, text)) in files.iter().enumerate() {
        if i == 120 {
            want.extend(clean_bytes(piped.as_bytes()));
        }
        want.extend(clean_bytes(text.as_bytes()));
    }
    let paths: Vec<String> = files
        .iter()
        .map(|(n, _)| dir.path().join(n).to_string_lossy().into_owned())
        .collect();
    for threads in ["1", "2", "3"] {
        let mut args: Vec<&str> = vec!["-q", "-j", threads];
        for (i, p) in paths.iter().enumerate() {
            if i == 120 {
                args.push("-");
            }
            args.push(p);
        }
        let o = run_stdin(&args, piped.as_bytes());
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(o.stdout, want, "-j {threads}");
    }
}

/// How many threads `dejunk ARGS` runs with once it has written its first
/// bytes into an output file (it pauses there; Linux's /proc counts them).
#[cfg(target_os = "linux")]
fn threads_at_first_write(args: &[&std::ffi::OsStr]) -> usize {
    let mut child = spawn_paused(args, "bytes:1");
    let n = std::fs::read_dir(format!("/proc/{}/task", child.id()))
        .unwrap()
        .count();
    child.kill().unwrap();
    child.wait().unwrap();
    n
}

#[cfg(target_os = "linux")]
#[test]
fn one_file_is_cleaned_without_a_second_thread() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    article_files(&src, 300, |i| format!("f{i:03}.txt"));
    let out = dir.path().join("out");
    let a = src.join("f000.txt");
    let mut args: Vec<&std::ffi::OsStr> = vec![
        "-q".as_ref(),
        "-j".as_ref(),
        "2".as_ref(),
        "-o".as_ref(),
        out.as_os_str(),
    ];
    let one = threads_at_first_write(&[&args[..], &[a.as_os_str()]].concat());
    assert_eq!(one, 1, "one file");
    // With many files the worker is there too, and still at work when the
    // first write pauses the run: the caller can make only a few batches
    // ahead before it must run one itself (which writes), and it lets the
    // worker go only after the last.
    args.extend(["-r".as_ref(), src.as_os_str()]);
    let many = threads_at_first_write(&args);
    assert_eq!(many, 2, "300 files");
}

/// Whether `dir`'s file system makes files without a name (`O_TMPFILE`).
#[cfg(target_os = "linux")]
fn unnamed_files_work(dir: &Path) -> bool {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_TMPFILE)
        .open(dir)
        .is_ok()
}

fn temporaries_under(root: &Path) -> Vec<std::path::PathBuf> {
    files_under(root)
        .into_iter()
        .filter(|p| p.to_string_lossy().contains("dejunk-tmp"))
        .collect()
}

#[cfg(target_os = "linux")]
#[test]
fn killed_output_run_leaves_complete_files_and_nothing_else() {
    // Under -o each output is written without a name and named once
    // complete: killed (SIGKILL) midway, a run leaves each output absent
    // or fully cleaned, and, where the file system has such files, not
    // even a hidden temporary.
    let dir = tempfile::tempdir().unwrap();
    let (src, out) = (dir.path().join("src"), dir.path().join("out"));
    let files = kill_tree(&src, 12);
    let half: usize = files.iter().map(|f| f.2.len()).sum::<usize>() / 2;
    let args = [
        "-r".as_ref(),
        "-q".as_ref(),
        "-j".as_ref(),
        "2".as_ref(),
        "-o".as_ref(),
        out.as_os_str(),
        src.as_os_str(),
    ];
    let mut child = spawn_paused(&args, &format!("bytes:{half}"));
    child.kill().unwrap();
    child.wait().unwrap();
    let mut present = 0;
    for (rel, _, clean) in &files {
        if let Ok(now) = std::fs::read(out.join(rel)) {
            assert!(&now == clean, "{rel} is partial ({} bytes)", now.len());
            present += 1;
        }
    }
    assert!(present > 0 && present < files.len(), "present {present}");
    if unnamed_files_work(&out) {
        assert_eq!(temporaries_under(&out), Vec::<std::path::PathBuf>::new());
    } else {
        eprintln!("no O_TMPFILE on this file system: temporaries not checked");
    }
}

#[cfg(unix)]
#[test]
fn a_rerun_replaces_the_output_files_without_writing_through_them() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    let (src, out) = (dir.path().join("src"), dir.path().join("out"));
    let docs = article_files(&src, 6, |i| format!("d{}/f{i}.txt", i % 2));
    // Stale outputs from an earlier run, one of them with a second name.
    let stale: Vec<(&str, &[u8])> = docs
        .iter()
        .map(|(n, _)| (n.as_str(), &b"old\n"[..]))
        .collect();
    tree(&out, &stale);
    let kept = dir.path().join("kept.txt");
    std::fs::hard_link(out.join(&docs[0].0), &kept).unwrap();
    let o = mirror(&src, &out);
    assert!(o.status.success(), "{}", stderr(&o));
    for (rel, doc) in &docs {
        assert_eq!(
            std::fs::read(out.join(rel)).unwrap(),
            clean_bytes(doc.as_bytes()),
            "{rel}"
        );
        assert_eq!(
            std::fs::metadata(out.join(rel)).unwrap().nlink(),
            1,
            "{rel}"
        );
    }
    // Replaced, as a rename replaces: the other name keeps the old text.
    assert_eq!(std::fs::read(&kept).unwrap(), b"old\n");
    assert_eq!(temporaries_under(&out), Vec::<std::path::PathBuf>::new());
}

#[test]
fn a_directory_where_an_output_goes_fails_that_file_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (src, out) = (dir.path().join("src"), dir.path().join("out"));
    let docs = article_files(&src, 2, |i| ["a.txt", "b.txt"][i].to_string());
    std::fs::create_dir_all(out.join("a.txt")).unwrap();
    let o = mirror(&src, &out);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let named = format!("cannot put {} in place: ", out.join("a.txt").display());
    let renamed = format!("to {}: ", out.join("a.txt").display());
    assert!(
        stderr(&o).contains(&named) || stderr(&o).contains(&renamed),
        "{}",
        stderr(&o)
    );
    assert!(out.join("a.txt").is_dir());
    assert_eq!(
        std::fs::read(out.join("b.txt")).unwrap(),
        clean_bytes(docs[1].1.as_bytes())
    );
    assert_eq!(temporaries_under(&out), Vec::<std::path::PathBuf>::new());
}
