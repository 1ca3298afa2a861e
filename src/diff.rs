//! A review view of one cleaning: the input with what was removed marked.
//!
//! Each input line is printed with a two-character prefix: `- ` for a line
//! that was removed (by a line, block or shape rule), `  ` for a line that
//! stays; spans cut out of a kept line are wrapped in `[-` and `-]`. Blank
//! lines stay blank. The view is built from the [`Removal`] events alone
//! (line number and byte range), so it shows exactly what the cleaner did.

use std::ops::Range;

use crate::{Cleaner, Removal, Scope};

/// Renders `text` with the removals `cleaner` makes marked; see the module
/// docs for the format.
///
/// ```
/// let cleaner = dejunk::Cleaner::new();
/// let view = dejunk::diff_str(&cleaner, "Advertisement\n\nShe left (Photo: AP) early.\n");
/// assert_eq!(view, "- Advertisement\n\n  She left [-(Photo: AP)-] early.\n");
/// ```
pub fn diff_str(cleaner: &Cleaner, text: &str) -> String {
    // (line, byte range, whole line?) for every removal, in input order.
    let mut marks: Vec<(u64, Range<usize>, bool)> = Vec::new();
    let _ = cleaner.clean_str_with(text, |r: &Removal<'_>| {
        marks.push((
            r.line,
            r.range.start as usize..r.range.end as usize,
            r.scope != Scope::Span,
        ));
    });
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let mut offset = 0usize;
    let mut marks = marks.into_iter().peekable();
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let lineno = i as u64 + 1;
        let body = line.strip_suffix('\n').unwrap_or(line);
        let body = body.strip_suffix('\r').unwrap_or(body);
        let mut spans: Vec<Range<usize>> = Vec::new();
        let mut whole = false;
        while let Some((l, range, is_line)) = marks.peek() {
            if *l != lineno {
                break;
            }
            if *is_line {
                whole = true;
            } else {
                spans.push(range.start.saturating_sub(offset)..range.end.saturating_sub(offset));
            }
            marks.next();
        }
        if body.trim().is_empty() {
            out.push('\n');
        } else if whole {
            out.push_str("- ");
            out.push_str(body);
            out.push('\n');
        } else {
            out.push_str("  ");
            let mut last = 0;
            for s in spans {
                let (start, end) = (s.start.min(body.len()), s.end.min(body.len()));
                if start < last || !body.is_char_boundary(start) || !body.is_char_boundary(end) {
                    continue;
                }
                out.push_str(&body[last..start]);
                out.push_str("[-");
                out.push_str(&body[start..end]);
                out.push_str("-]");
                last = end;
            }
            out.push_str(&body[last..]);
            out.push('\n');
        }
        offset += line.len();
    }
    out
}
