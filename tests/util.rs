//! Helpers for tests that run the real binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The binary, with no test hooks set.
pub fn dejunk() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dejunk"));
    cmd.env_remove("DEJUNK_TEST_PAUSE");
    cmd.stdin(Stdio::null());
    cmd
}

/// Runs with `stdin` as input.
pub fn run_stdin(args: &[&str], stdin: &[u8]) -> Output {
    use std::io::Write;
    let mut child = dejunk()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    out
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Writes `files` (relative path, contents) under `root`.
pub fn tree(root: &Path, files: &[(&str, &[u8])]) {
    for (rel, data) in files {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, data).unwrap();
    }
}

/// Every regular file under `root`, relative, sorted.
pub fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut v = Vec::new();
    fn rec(root: &Path, dir: &Path, v: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            if e.file_type().unwrap().is_dir() {
                rec(root, &p, v);
            } else {
                v.push(p.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    rec(root, root, &mut v);
    v.sort();
    v
}

/// What the library makes of `data`: the reference for the binary.
pub fn clean_bytes(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    dejunk::Cleaner::new().clean_reader(data, &mut out).unwrap();
    out
}

/// A junky article; `seed` varies it.
pub fn article(seed: usize) -> String {
    let mut s = String::new();
    for i in 0..(3 + seed % 5) {
        if i % 2 == 0 {
            s.push_str("Advertisement\n\n");
        }
        s.push_str(&format!(
            "Paragraph {i} of story {seed}: the council met on Tuesday and voted to repair the bridge.\n\n"
        ));
        if i == 1 {
            s.push_str("Sign up for our newsletter\n\n");
        }
    }
    s
}
