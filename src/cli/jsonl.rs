//! JSON Lines: clean one string field of each object and write the object
//! back with every other byte as it was.
//!
//! The object is parsed only to find where its top-level values are
//! (`serde_json`'s `RawValue` borrows them from the line); the output is the
//! line with the text value's bytes replaced, and optionally a counts field
//! replaced or added before the closing brace.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use dejunk::{Cleaner, Observer, Removal, Stats};

/// Options for records.
pub struct JsonlOpts {
    pub field: String,
    pub counts_field: Option<String>,
}

/// What happened to one line.
pub enum Record {
    /// The text field was cleaned (it may be unchanged).
    Cleaned,
    /// An object without a string in the text field: written back as is.
    NoText,
    /// A blank line: written back as is.
    Blank,
    /// Not a JSON object; the message says why. Nothing was written.
    Bad(String),
}

/// The top-level entries of an object: key and raw value.
struct Entries<'a>(Vec<(String, &'a RawValue)>);

impl<'de> Deserialize<'de> for Entries<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Entries<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut v = Vec::new();
                while let Some(k) = map.next_key::<String>()? {
                    let raw: &'de RawValue = map.next_value()?;
                    v.push((k, raw));
                }
                Ok(Entries(v))
            }
        }
        d.deserialize_map(V)
    }
}

/// Byte range of `part` inside `whole` (which it borrows from).
fn span(whole: &[u8], part: &str) -> (usize, usize) {
    let start = part.as_ptr() as usize - whole.as_ptr() as usize;
    (start, start + part.len())
}

/// Cleans one line (without its newline) into `out` (without a newline).
/// `stats` gets the removals; `explain` is called for each one.
pub fn clean_record(
    line: &[u8],
    cleaner: &Cleaner,
    opts: &JsonlOpts,
    stats: &mut Stats,
    explain: &mut dyn FnMut(&Removal<'_>),
    out: &mut Vec<u8>,
) -> Record {
    if line.iter().all(|b| b.is_ascii_whitespace()) {
        out.extend_from_slice(line);
        return Record::Blank;
    }
    // Checked as UTF-8 first, all at once: parsing bytes, `serde_json`
    // checks each string it borrows by itself, and the text field is most
    // of the line (6% of a JSON Lines run). A line that is not UTF-8 is
    // parsed as bytes, for the same error.
    let parsed = match simdutf8::basic::from_utf8(line) {
        Ok(text) => serde_json::from_str::<Entries<'_>>(text),
        Err(_) => serde_json::from_slice::<Entries<'_>>(line),
    };
    let entries = match parsed {
        Ok(e) => e.0,
        Err(e) => return Record::Bad(e.to_string()),
    };
    // With duplicate keys, JSON parsers keep the last one; so do we.
    let text = entries
        .iter()
        .rev()
        .find(|(k, _)| *k == opts.field)
        .map(|(_, v)| *v)
        .filter(|v| v.get().starts_with('"'));
    let Some(raw) = text else {
        out.extend_from_slice(line);
        return Record::NoText;
    };
    let original: String = match serde_json::from_str(raw.get()) {
        Ok(s) => s,
        Err(e) => return Record::Bad(e.to_string()),
    };
    let mut counts = Stats::default();
    let mut cleaned = cleaner.clean_str_with(&original, |r: &Removal<'_>| {
        counts.removal(r);
        explain(r);
    });
    // The cleaner ends text with a newline; a field that had none keeps none.
    if !original.ends_with('\n') && cleaned.ends_with('\n') {
        cleaned.pop();
    }
    stats.merge(&counts);

    let mut edits: Vec<(usize, usize, Vec<u8>)> = Vec::new();
    if cleaned != original {
        let (s, e) = span(line, raw.get());
        // Serializing a String cannot fail.
        let json = serde_json::to_vec(&cleaned).unwrap_or_default();
        edits.push((s, e, json));
    }
    if let Some(name) = &opts.counts_field {
        let mut obj = serde_json::Map::new();
        for (cat, (n, _)) in &counts.by_category {
            obj.insert(cat.clone(), (*n).into());
        }
        let value = serde_json::to_vec(&obj).unwrap_or_default();
        match entries.iter().rev().find(|(k, _)| k == name) {
            Some((_, v)) => {
                let (s, e) = span(line, v.get());
                edits.push((s, e, value));
            }
            None => {
                // Before the closing brace (the last non-space byte).
                let close = line.iter().rposition(|&b| b == b'}').unwrap_or(line.len());
                let mut ins = Vec::new();
                if !entries.is_empty() {
                    ins.push(b',');
                }
                ins.extend_from_slice(&serde_json::to_vec(name).unwrap_or_default());
                ins.push(b':');
                ins.extend_from_slice(&value);
                edits.push((close, close, ins));
            }
        }
    }
    edits.sort_by_key(|e| e.0);
    let mut pos = 0;
    for (s, e, bytes) in edits {
        out.extend_from_slice(&line[pos..s]);
        out.extend_from_slice(&bytes);
        pos = e;
    }
    out.extend_from_slice(&line[pos..]);
    Record::Cleaned
}

/// Counts over records, per input.
#[derive(Clone, Debug, Default)]
pub struct RecordCounts {
    pub records: u64,
    pub without_text: u64,
    pub bad: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(line: &str, counts: Option<&str>) -> (String, &'static str) {
        let cleaner = Cleaner::new();
        let opts = JsonlOpts {
            field: "text".into(),
            counts_field: counts.map(String::from),
        };
        let mut out = Vec::new();
        let mut stats = Stats::default();
        let r = clean_record(
            line.as_bytes(),
            &cleaner,
            &opts,
            &mut stats,
            &mut |_| {},
            &mut out,
        );
        let kind = match r {
            Record::Cleaned => "cleaned",
            Record::NoText => "notext",
            Record::Blank => "blank",
            Record::Bad(_) => "bad",
        };
        (String::from_utf8(out).unwrap(), kind)
    }

    #[test]
    fn other_fields_are_kept_byte_for_byte() {
        let line =
            r#"{ "id" : 1.50, "z":[1, 2], "text": "Advertisement\n\nKept \u00e9.", "a":null }"#;
        let (out, kind) = run(line, None);
        assert_eq!(kind, "cleaned");
        assert_eq!(
            out,
            r#"{ "id" : 1.50, "z":[1, 2], "text": "Kept é.", "a":null }"#
        );
    }

    #[test]
    fn unchanged_text_keeps_its_escapes() {
        let line = r#"{"text":"Caf\u00e9 prose."}"#;
        assert_eq!(run(line, None).0, line);
    }

    #[test]
    fn counts_field_is_added_or_replaced() {
        let (out, _) = run(r#"{"text":"Advertisement\n\nProse."}"#, Some("junk"));
        assert_eq!(out, r#"{"text":"Prose.","junk":{"ads":1}}"#);
        let (out, _) = run(r#"{"junk":5,"text":"Prose."}"#, Some("junk"));
        assert_eq!(out, r#"{"junk":{},"text":"Prose."}"#);
    }

    #[test]
    fn lines_are_checked_as_utf8_once_and_bad_bytes_still_named() {
        // Raw UTF-8 outside escapes, in the text and in another field.
        let (out, kind) = run(
            "{\"tag\":\"naïve\",\"text\":\"Café prose.\\n\\nAdvertisement\"}",
            None,
        );
        assert_eq!(kind, "cleaned");
        assert_eq!(out, "{\"tag\":\"naïve\",\"text\":\"Café prose.\"}");
        // Not UTF-8: the bytes parser's error, with its column.
        let mut out = Vec::new();
        let r = clean_record(
            b"{\"text\":\"caf\xe9\"}",
            &Cleaner::new(),
            &JsonlOpts {
                field: "text".into(),
                counts_field: None,
            },
            &mut Stats::default(),
            &mut |_| {},
            &mut out,
        );
        match r {
            Record::Bad(why) => assert_eq!(why, "invalid unicode code point at line 1 column 13"),
            _ => panic!("a line that is not UTF-8 was taken"),
        }
        assert!(out.is_empty());
    }

    #[test]
    fn bad_and_odd_lines() {
        assert_eq!(run(r#"{"text": "x""#, None).1, "bad");
        assert_eq!(run("[1,2]", None).1, "bad");
        assert_eq!(
            run(r#"{"text": 5}"#, None),
            (r#"{"text": 5}"#.into(), "notext")
        );
        assert_eq!(run("  ", None).1, "blank");
    }
}
