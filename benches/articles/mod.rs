//! The articles the benches clean: the texts of 3 to 5 KB in the shared
//! bulk corpus (`../shared/corpus/bulk.jsonl`), read at run time. None of
//! the corpus is part of the project.

use std::path::Path;

/// Articles of the shared bulk corpus whose text is 3-5 KB, or `None` when
/// the corpus is not there.
pub fn bulk_articles(n: usize) -> Option<Vec<String>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/bulk.jsonl");
    let text = std::fs::read_to_string(path).ok()?;
    let mut out = Vec::new();
    for line in text.lines() {
        let Some(body) = json_text(line) else {
            continue;
        };
        if (3000..=5000).contains(&body.len()) {
            out.push(body);
            if out.len() == n {
                break;
            }
        }
    }
    (!out.is_empty()).then_some(out)
}

/// The `"text"` field of one JSON object, decoded (enough JSON for the
/// corpus: string escapes including `\uXXXX` and surrogate pairs).
fn json_text(line: &str) -> Option<String> {
    let start = line.find("\"text\": \"").map(|i| i + 9)?;
    let mut out = String::new();
    let mut chars = line[start..].chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out),
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                'u' => {
                    let hex: String = chars.by_ref().take(4).collect();
                    let mut code = u32::from_str_radix(&hex, 16).ok()?;
                    if (0xd800..0xdc00).contains(&code) {
                        let low: String = chars.by_ref().skip(2).take(4).collect();
                        let low = u32::from_str_radix(&low, 16).ok()?;
                        code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
                    }
                    out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                }
                other => out.push(other),
            },
            c => out.push(c),
        }
    }
    None
}
