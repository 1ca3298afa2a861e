//! The dev-set bar: runs the shared scorer over the labelled dev set with
//! the built binary and fails below prose kept 0.998, junk removed 0.90 or
//! any invented word. Skips (with a reason) when the shared corpus or
//! python3 is not there.

use std::path::Path;
use std::process::Command;

const PROSE_KEPT: f64 = 0.998;
const JUNK_REMOVED: f64 = 0.90;

/// Reads a number field out of the scorer's one-line JSON.
fn field(json: &str, key: &str) -> Option<f64> {
    let at = json.find(&format!("\"{key}\":"))? + key.len() + 3;
    let rest = json[at..].trim_start();
    let end = rest.find([',', '}']).unwrap_or(rest.len());
    rest[..end].trim().parse().ok()
}

#[test]
fn dev_set_scores() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared = root.join("../shared");
    let corpus = shared.join("corpus/dev.jsonl");
    let labels = shared.join("corpus/dev.labels.jsonl");
    let score = shared.join("eval/score.py");
    if !corpus.exists() || !labels.exists() || !score.exists() {
        eprintln!("skipped: {} not found", corpus.display());
        return;
    }
    let out = match Command::new("python3")
        .arg(&score)
        .arg("--corpus")
        .arg(&corpus)
        .arg("--labels")
        .arg(&labels)
        .arg("--json")
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_dejunk"))
        .output()
    {
        Ok(o) => o,
        Err(e) => {
            eprintln!("skipped: cannot run python3: {e}");
            return;
        }
    };
    assert!(
        out.status.success(),
        "score.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json = String::from_utf8_lossy(&out.stdout);
    let prose = field(&json, "prose_kept").expect("prose_kept in the scorer's output");
    let junk = field(&json, "junk_removed").expect("junk_removed in the scorer's output");
    let invented = field(&json, "invented_words").expect("invented_words in the scorer's output");
    let failed = field(&json, "failed").unwrap_or(0.0);
    eprintln!(
        "dev set: prose kept {prose:.4}, junk removed {junk:.4}, invented words {invented}, failed {failed}"
    );
    assert_eq!(failed, 0.0, "some documents failed: {json}");
    assert!(prose >= PROSE_KEPT, "prose kept {prose:.4} < {PROSE_KEPT}");
    assert!(
        junk >= JUNK_REMOVED,
        "junk removed {junk:.4} < {JUNK_REMOVED}"
    );
    assert_eq!(invented, 0.0, "invented words: {invented}");
}
