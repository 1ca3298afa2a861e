//! The binary on single inputs: help, bad input, encodings, pipes.

use std::io::Read;
use std::process::Stdio;

use crate::util::{clean_bytes, dejunk, run_stdin, stderr, stdout, tree};

#[test]
fn help_documents_exit_codes_and_examples() {
    let long = dejunk().arg("--help").output().unwrap();
    assert!(long.status.success());
    let text = stdout(&long);
    for want in [
        "Exit status",
        "-r scraped/ -o clean/",
        "--jsonl",
        "--in-place",
        "U+FFFD",
    ] {
        assert!(text.contains(want), "--help lacks {want:?}");
    }
    let short = dejunk().arg("-h").output().unwrap();
    assert!(stdout(&short).len() < text.len());
}

#[test]
fn stdin_to_stdout() {
    let o = run_stdin(&[], b"Advertisement\n\nThe council voted.\n");
    assert!(o.status.success());
    assert_eq!(stdout(&o), "The council voted.\n");
    assert_eq!(stderr(&o), "", "a single input prints no summary");
}

/// The summary counts in words: one file is `1 file`, two `2 files`.
#[test]
fn the_summary_says_file_for_one_and_files_for_more() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.txt"), dir.path().join("b.txt"));
    std::fs::write(&a, "Advertisement\n\nThe council met.\n").unwrap();
    std::fs::write(&b, "The bridge reopened.\n").unwrap();
    let one = dejunk().arg("--stats").arg(&a).output().unwrap();
    assert!(
        stderr(&one).contains("dejunk: 1 file: 1 cleaned, 0 skipped, 0 failed\n"),
        "{}",
        stderr(&one)
    );
    let two = dejunk().arg(&a).arg(&b).output().unwrap();
    assert!(
        stderr(&two).contains("dejunk: 2 files: 2 cleaned, 0 skipped, 0 failed\n"),
        "{}",
        stderr(&two)
    );
}

/// `--diff` shows each input whole, removals marked, from stdin (`-`) and
/// from files; an input that cannot be read is named and fails the run,
/// and the others are still shown.
#[test]
fn diff_marks_removals_and_names_a_missing_input() {
    let dir = tempfile::tempdir().unwrap();
    tree(
        dir.path(),
        &[("a.txt", b"Advertisement\nThe council voted.\n")],
    );
    let a = dir.path().join("a.txt");
    let missing = dir.path().join("missing.txt");
    let o = run_stdin(
        &[
            "--diff",
            "-",
            a.to_str().unwrap(),
            missing.to_str().unwrap(),
        ],
        b"Photo: Jane Doe/Getty Images\nThe mayor spoke.",
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "- Photo: Jane Doe/Getty Images\n  The mayor spoke.\n\
         - Advertisement\n  The council voted.\n"
    );
    assert!(
        stderr(&o).contains("missing.txt: cannot read"),
        "{}",
        stderr(&o)
    );
}

/// A run counts removals per category only when it shows them: with
/// `--stats` a single input has its table, `--explain` its notes, and the
/// two together both; the output is the same every way.
#[test]
fn stats_and_explain_of_one_input() {
    let input = b"Advertisement\n\nThe council voted.\n\nFollow us on Twitter\n";
    let plain = run_stdin(&[], input);
    let stats = run_stdin(&["--stats"], input);
    let explain = run_stdin(&["--explain"], input);
    let both = run_stdin(&["--stats", "--explain"], input);
    for o in [&plain, &stats, &explain, &both] {
        assert!(o.status.success());
        assert_eq!(stdout(o), "The council voted.\n");
    }
    let table = |err: &str| {
        err.lines()
            .any(|l| l.starts_with("ads ") && l.contains(" 1 "))
    };
    let notes = |err: &str| err.contains("<stdin>:1: ads [line]");
    assert!(
        table(&stderr(&stats)) && !notes(&stderr(&stats)),
        "{}",
        stderr(&stats)
    );
    assert!(
        notes(&stderr(&explain)) && !table(&stderr(&explain)),
        "{}",
        stderr(&explain)
    );
    assert!(
        table(&stderr(&both)) && notes(&stderr(&both)),
        "{}",
        stderr(&both)
    );
}

#[test]
fn unreadable_missing_and_directory_inputs_fail_but_others_are_cleaned() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    tree(
        d,
        &[
            ("a.txt", b"Advertisement\n\nKept A.\n"),
            ("sub/b.txt", b"Kept B.\n"),
        ],
    );
    let o = dejunk()
        .current_dir(d)
        .args(["missing.txt", "a.txt", "sub", "sub/b.txt"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "Kept A.\nKept B.\n");
    let err = stderr(&o);
    assert!(err.contains("dejunk: missing.txt: cannot open: "), "{err}");
    assert!(
        err.contains("dejunk: sub: is a directory (use -r to clean the files under it)"),
        "{err}"
    );
    assert!(
        err.contains("4 files: 2 cleaned, 0 skipped, 2 failed"),
        "{err}"
    );
}

#[cfg(unix)]
#[test]
fn permission_denied_is_reported() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("secret.txt");
    std::fs::write(&p, "text\n").unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&p).is_ok() {
        return; // running as root: permissions do not apply
    }
    let o = dejunk().arg(&p).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("secret.txt: cannot open: Permission denied"));
}

/// A NUL byte past the 64 KiB mark: found by the chunk check while reading.
fn binary_file() -> Vec<u8> {
    let mut data = "Plain prose line number one.\n".repeat(3000).into_bytes();
    assert!(data.len() > 64 * 1024);
    data.extend_from_slice(b"bin\0ary\n");
    data.extend_from_slice(b"more\n");
    data
}

#[test]
fn binary_file_named_on_the_command_line_fails_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    tree(d, &[("bin.txt", &binary_file()), ("ok.txt", b"Fine.\n")]);
    let o = dejunk()
        .current_dir(d)
        .args(["bin.txt", "ok.txt"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "Fine.\n");
    let err = stderr(&o);
    assert!(
        err.contains("dejunk: bin.txt: binary file (NUL byte at offset 87003); skipped"),
        "{err}"
    );
    // -a cleans it as text.
    let o = dejunk()
        .current_dir(d)
        .args(["-a", "bin.txt"])
        .output()
        .unwrap();
    assert!(o.status.success());
    assert_eq!(o.stdout, clean_bytes(&binary_file()));
}

#[test]
fn huge_line_passes_through_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("long.txt");
    let mut data = b"Advertisement\n\n".to_vec();
    data.extend(std::iter::repeat_n(b'x', 24 << 20));
    data.extend_from_slice(b"\n\nEnd.\n");
    std::fs::write(&p, &data).unwrap();
    let o = dejunk().arg(&p).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(o.stdout.len(), (24 << 20) + "\n\nEnd.\n".len());
    assert!(o.stdout.starts_with(b"xxxx"));
    assert!(
        stderr(&o).contains("1 line longer than --max-line passed through unchanged"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn truncated_mid_character() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("cut.txt");
    let mut cut = "Le café est ferm".as_bytes().to_vec();
    cut.push(0xc3); // the first half of 'é'
    let cut = &cut[..];
    std::fs::write(&p, cut).unwrap();
    let o = dejunk().arg(&p).output().unwrap();
    assert!(o.status.success());
    assert_eq!(stdout(&o), "Le café est ferm\u{fffd}\n");
    assert!(
        stderr(&o).contains("1 invalid UTF-8 sequence replaced with U+FFFD (first at byte 17)"),
        "{}",
        stderr(&o)
    );
    // In place, the file is left as it was unless --lossy.
    let o = dejunk()
        .args(["--in-place", "-q"])
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("left unchanged"), "{}", stderr(&o));
    assert_eq!(std::fs::read(&p).unwrap(), cut);
    let o = dejunk()
        .args(["--in-place", "-q", "--lossy"])
        .arg(&p)
        .output()
        .unwrap();
    assert!(o.status.success());
    assert_eq!(
        std::fs::read_to_string(&p).unwrap(),
        "Le café est ferm\u{fffd}\n"
    );
}

#[test]
fn closed_stdout_ends_quietly_with_success() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("big.txt");
    std::fs::write(&p, "A line of prose that goes on.\n\n".repeat(400_000)).unwrap();
    let mut child = dejunk()
        .arg(&p)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut buf = [0u8; 100];
    out.read_exact(&mut buf).unwrap();
    drop(out);
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stderr(&o), "");
}

fn decode_via_cli(bytes: &[u8], extra: &[&str]) -> (String, String) {
    let o = run_stdin(extra, bytes);
    assert!(o.status.success(), "{}", stderr(&o));
    (stdout(&o), stderr(&o))
}

#[test]
fn windows_1252_curly_quotes_are_detected() {
    let text = b"\x93We\x92re closing the caf\xe9,\x94 the owner said \x96 sadly.\n";
    let (out, _) = decode_via_cli(text, &[]);
    assert_eq!(out, "“We’re closing the café,” the owner said – sadly.\n");
}

#[test]
fn latin1_accents_are_detected() {
    let text = b"Cr\xe8me br\xfbl\xe9e, d\xe9j\xe0 vu: na\xefve Fran\xe7ois \xe0 l'h\xf4tel.\n";
    let (out, _) = decode_via_cli(text, &[]);
    assert_eq!(out, "Crème brûlée, déjà vu: naïve François à l'hôtel.\n");
    let (out, _) = decode_via_cli(text, &["--encoding", "latin1"]);
    assert_eq!(out, "Crème brûlée, déjà vu: naïve François à l'hôtel.\n");
}

#[test]
fn utf16_with_bom() {
    let text = "Advertisement\n\nGrüße aus Köln — “Zitat”.\n";
    let mut le = vec![0xff, 0xfe];
    let mut be = vec![0xfe, 0xff];
    for u in text.encode_utf16() {
        le.extend_from_slice(&u.to_le_bytes());
        be.extend_from_slice(&u.to_be_bytes());
    }
    for bytes in [le, be] {
        let (out, _) = decode_via_cli(&bytes, &[]);
        assert_eq!(out, "Grüße aus Köln — “Zitat”.\n");
    }
    let (out, _) = decode_via_cli("\u{feff}Über.\n".as_bytes(), &[]);
    assert_eq!(out, "Über.\n");
}

#[test]
fn shift_jis_detected_and_forced() {
    let text = "東京都は火曜日に新しい橋の建設を決めた。工事は五月に始まる予定です。市民の多くはこの決定を歓迎している。\n";
    let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(text);
    let (out, _) = decode_via_cli(&sjis, &[]);
    assert_eq!(out, text);
    let (out, _) = decode_via_cli(&sjis, &["--encoding", "shift_jis"]);
    assert_eq!(out, text);
}

#[test]
fn invalid_utf8_after_a_valid_prefix_is_replaced_and_reported() {
    let mut data = "Prose é.\n".repeat(10_000).into_bytes();
    assert!(data.len() > 64 * 1024);
    data.extend_from_slice(b"bad \xff byte\n");
    let (out, err) = decode_via_cli(&data, &[]);
    assert!(out.ends_with("bad \u{fffd} byte\n"));
    assert!(
        err.contains(
            "<stdin>: 1 invalid UTF-8 sequence replaced with U+FFFD (first at byte 100004)"
        ),
        "{err}"
    );
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["--encoding", "klingon"][..],
        &["--in-place"][..],
        &["-o", "x", "-"][..],
        &["-r"][..],
        &["--exclude", "a[", "x"][..],
        &["--bogus"][..],
    ] {
        let o = dejunk().args(args).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).starts_with("dejunk: ") || stderr(&o).starts_with("error:"));
    }
}
