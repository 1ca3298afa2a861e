//! `dejunk learn`: the binary end to end, and the library's learner with the
//! cleaner.

use std::path::Path;
use std::process::Command;

use dejunk::CleanerBuilder;
use dejunk::learn::LearnerBuilder;

const WORDS: &[&str] = &[
    "council",
    "river",
    "bridge",
    "voted",
    "morning",
    "engineers",
    "repairs",
    "budget",
    "mayor",
    "residents",
    "traffic",
    "winter",
    "school",
    "teachers",
    "harvest",
    "market",
    "prices",
    "weather",
    "station",
    "library",
    "museum",
    "garden",
    "festival",
    "players",
];

/// A sentence of `n` pseudo-random words, different for every seed.
fn prose(seed: u64, n: usize) -> String {
    let mut x = seed.wrapping_add(1).wrapping_mul(6_364_136_223_846_793_005);
    let mut out = Vec::new();
    for _ in 0..n {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        out.push(WORDS[((x >> 33) % WORDS.len() as u64) as usize]);
    }
    let mut s = out.join(" ");
    s[..1].make_ascii_uppercase();
    s + "."
}

/// A page of site `site`: its header and footer around a fresh story.
fn page(site: usize, i: u64) -> String {
    format!(
        "Skip to main content\n\n{}\n\nAdvertisement\n\n{}\n\nSubscribe to the {} Weekly newsletter\nComments ({})",
        prose(i * 2, 50),
        prose(i * 2 + 1, 50),
        ["Gazette", "Herald"][site],
        i * 3 + 1
    )
}

fn dejunk(args: &[&str], stdin: &str) -> (i32, String, String) {
    let out = crate::util::run_stdin(args, stdin.as_bytes());
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn active_entries(file: &str) -> Vec<&str> {
    file.lines()
        .skip_while(|l| *l != "[line]")
        .skip(1)
        .filter(|l| !l.starts_with('#'))
        .collect()
}

#[test]
fn learns_from_a_directory_and_cleans_a_new_page() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    for i in 0..6 {
        let sub = if i % 2 == 0 { "" } else { "sub" };
        std::fs::write(dir.path().join(sub).join(format!("{i}.txt")), page(0, i)).unwrap();
    }
    let learned = dir.path().join("learned.txt");
    let (code, _, err) = dejunk(
        &[
            "learn",
            "--min-docs",
            "5",
            dir.path().to_str().unwrap(),
            "-o",
            learned.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("6 documents"), "{err}");
    let file = std::fs::read_to_string(&learned).unwrap();
    assert_eq!(
        active_entries(&file),
        [
            "Advertisement",
            "Comments ({n})",
            "Skip to main content",
            "Subscribe to the Gazette Weekly newsletter"
        ],
        "{file}"
    );
    assert!(file.contains("# 6 docs, "), "{file}");

    // A new page of the site, cleaned with the learned file alone.
    let story = format!("{}\n\n{}\n", prose(900, 40), prose(901, 40));
    let new_page = format!(
        "Skip to main content\n\n{}\n\nAdvertisement\n\n{}\n\nSubscribe to the Gazette Weekly newsletter\nComments (0)\n",
        prose(900, 40),
        prose(901, 40)
    );
    let (code, out, err) = dejunk(
        &["--no-builtin", "--patterns", learned.to_str().unwrap()],
        &new_page,
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, story);
}

#[test]
fn jsonl_with_a_field_and_groups() {
    let dir = tempfile::tempdir().unwrap();
    let quote =
        "\u{201c}We will rebuild the bridge before winter,\u{201d} the mayor told reporters.";
    let mut jsonl = String::new();
    for i in 0..6u64 {
        let site = (i % 2) as usize;
        let body = format!("{}\n\n{quote}\n\n{}", page(site, i), prose(500 + i, 30));
        let domain = ["gazette.example", "herald.example"][site];
        let record = serde_json::json!({
            "id": i,
            "domain": domain,
            "body": body,
        });
        jsonl.push_str(&record.to_string());
        jsonl.push('\n');
    }
    jsonl.push_str("not json\n");
    let path = dir.path().join("pages.jsonl");
    std::fs::write(&path, &jsonl).unwrap();
    let (code, file, err) = dejunk(
        &[
            "learn",
            "--min-docs",
            "3",
            "--field",
            "body",
            "--group-by",
            "domain",
            "--category",
            "mysites",
            path.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("1 records skipped"), "{err}");
    assert!(file.contains("@category mysites\n"), "{file}");
    let active = active_entries(&file);
    assert!(
        active.contains(&"Subscribe to the Gazette Weekly newsletter"),
        "{file}"
    );
    assert!(
        active.contains(&"Subscribe to the Herald Weekly newsletter"),
        "{file}"
    );
    assert!(active.contains(&"Skip to main content"), "{file}");
    // The quote recurs in all six documents, on both sites: kept for review.
    assert!(!active.iter().any(|e| e.contains("rebuild")), "{file}");
    assert!(file.contains("# review: looks like prose"), "{file}");
    assert!(file.contains("groups (most: "), "{file}");

    // Reading the same records from stdin with --jsonl gives the same file.
    let (code, again, err) = dejunk(
        &[
            "learn",
            "--min-docs",
            "3",
            "--field",
            "body",
            "--group-by",
            "domain",
            "--category",
            "mysites",
            "--jsonl",
            "-",
        ],
        &jsonl,
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(again, file);
}

#[test]
fn learned_file_with_the_builtin_patterns() {
    let mut learner = LearnerBuilder::new().min_docs(4).build();
    for i in 0..5 {
        learner.add(&page(1, i));
    }
    let file = learner.finish().to_patterns("herald");
    let cleaner = CleanerBuilder::new()
        .patterns_str("herald.txt", &file)
        .build()
        .unwrap();
    assert!(
        cleaner
            .categories()
            .iter()
            .any(|c| c.name == "herald" && c.rules >= 3)
    );
    let doc = "Skip to main content\n\nThe bridge opens in May, the council said.\n\nSubscribe to the Herald Weekly newsletter\n";
    assert_eq!(
        cleaner.clean_str(doc),
        "The bridge opens in May, the council said.\n"
    );
}

#[test]
fn usage_errors_and_help() {
    let (code, _, err) = dejunk(&["learn"], "");
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = dejunk(&["learn", "--category", "Bad Name", "-"], "x");
    assert_eq!(code, 2);
    assert!(err.contains("bad category"), "{err}");
    let (code, out, _) = dejunk(&["learn", "--help"], "");
    assert_eq!(code, 0);
    assert!(out.contains("dejunk ./learn"), "{out}");
    let (code, _, err) = dejunk(&["learn", "/nonexistent/dir", "-"], "Some text here.");
    assert_eq!(code, 1, "{err}");
}

#[test]
fn a_file_named_learn_is_cleaned_as_dot_slash_learn() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("learn"), "Advertisement\n\nThe story.\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_dejunk"))
        .arg("./learn")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "The story.\n");
    assert!(Path::new(env!("CARGO_BIN_EXE_dejunk")).exists());
}

/// The worked example of docs/learn.md, entry for entry.
#[test]
fn the_worked_example() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/learn-example.jsonl");
    let (code, file, err) = dejunk(
        &[
            "learn",
            "--min-docs",
            "3",
            "--group-by",
            "domain",
            data.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        active_entries(&file),
        [
            "Advertisement",
            "Photo {n} of {n}",
            "Sign up for the Gazette Morning Briefing newsletter.",
            "Skip to main content",
            "© 2024 Riverside Gazette. All rights reserved.",
            "Follow the Herald on Facebook and Instagram",
            "Herald Home | Local | Sport | Weather",
        ]
    );
    assert!(file.contains(
        "# review: looks like prose (quoted speech, reporting verb, a full sentence); 3 docs, 2 groups (most: gazette.example 2)\n# \u{201c}We will rebuild the bridge before winter,\u{201d} the mayor said.\n"
    ), "{file}");
    let dir = tempfile::tempdir().unwrap();
    let learned = dir.path().join("learned.txt");
    std::fs::write(&learned, &file).unwrap();
    let (code, out, err) = dejunk(
        &["--no-builtin", "--patterns", learned.to_str().unwrap()],
        "Skip to main content\n\nThe bridge reopens on Friday, a month early.\n\nAdvertisement\n\nPhoto 1 of 4\nSign up for the Gazette Morning Briefing newsletter.\n© 2024 Riverside Gazette. All rights reserved.\n",
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "The bridge reopens on Friday, a month early.\n");
}

#[test]
fn directories_name_the_sites() {
    let dir = tempfile::tempdir().unwrap();
    let quote = "\u{201c}We will rebuild the bridge before winter,\u{201d} the mayor said.";
    for (k, (site, name)) in [(0, "gazette"), (1, "herald"), (0, "courier")]
        .into_iter()
        .enumerate()
    {
        let d = dir.path().join(name);
        std::fs::create_dir(&d).unwrap();
        for i in 0..2u64 {
            let seed = 1000 + i + 10 * k as u64;
            std::fs::write(
                d.join(format!("{i}.txt")),
                format!("{}\n\n{quote}\n\n{}", page(site, seed), prose(seed, 20)),
            )
            .unwrap();
        }
    }
    let root = dir.path().to_str().unwrap();
    let (code, file, err) = dejunk(&["learn", "--min-docs", "3", "--group-by-dir", root], "");
    assert_eq!(code, 0, "{err}");
    assert!(file.contains(", 3 groups)."), "{file}");
    assert!(
        file.contains("# review: looks like prose (quoted speech, reporting verb, a full sentence, spread over 3 groups)"),
        "{file}"
    );
    assert!(active_entries(&file).contains(&"Advertisement"), "{file}");
    assert!(file.contains("groups (most: herald 2)"), "{file}");
}

#[test]
fn crlf_and_invalid_utf8_learn_the_same_entries() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..5u64 {
        let mut bytes = page(0, i).replace('\n', "\r\n").into_bytes();
        bytes.extend_from_slice(b"\r\n\xff\xfe broken bytes\r\n");
        std::fs::write(dir.path().join(format!("{i}.txt")), bytes).unwrap();
    }
    let (code, file, err) = dejunk(&["learn", dir.path().to_str().unwrap()], "");
    assert_eq!(code, 0, "{err}");
    let active = active_entries(&file);
    assert!(active.contains(&"Skip to main content"), "{file}");
    assert!(active.contains(&"\u{fffd}\u{fffd} broken bytes"), "{file}");
    assert!(!file.contains('\r'), "{file:?}");
}
