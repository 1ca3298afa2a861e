//! The two sample articles, byte for byte.

use std::path::Path;

fn data(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name),
    )
    .unwrap()
}

fn check(stem: &str) {
    let input = String::from_utf8(data(&format!("{stem}.txt"))).unwrap();
    let want = String::from_utf8(data(&format!("{stem}.clean.txt"))).unwrap();
    let cleaner = dejunk::Cleaner::new();
    assert_eq!(cleaner.clean_str(&input), want, "clean_str on {stem}");
    let mut out = Vec::new();
    cleaner.clean_reader(input.as_bytes(), &mut out).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        want,
        "clean_reader on {stem}"
    );
}

#[test]
fn nyt_sample_is_exact() {
    check("nyt-putin-trump-call");
}

#[test]
fn cnn_sample_is_exact() {
    check("cnn-putin-trump-call");
}
