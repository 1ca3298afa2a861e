//! Applying decisions to the output: writing kept lines without trailing
//! whitespace, cutting spans and stitching the text with one space,
//! collapsing the blank lines that removals leave, and copying overlong lines
//! through unchanged.
//!
//! Output form: paragraphs separated by exactly one blank line, no blank
//! lines at the start or end, lines inside a paragraph kept as they were,
//! `\n` line ends, and a final newline when there is any output.

use std::io::{self, Write};

use crate::text;

/// Output is gathered into chunks of this size before it goes to the
/// writer: most lines are short, and one write per line (two with its line
/// end) through a `dyn Write` costs more than copying it.
const OUT_CHUNK: usize = 32 * 1024;

/// Writes the cleaned text.
pub(crate) struct Editor<W> {
    wtr: W,
    /// Output not yet handed to `wtr` (at most `limit` bytes).
    out: Vec<u8>,
    /// `OUT_CHUNK`, or no limit when the editor gathers the whole output
    /// (see [`Editor::gathering`]).
    limit: usize,
    /// Something has been written: a blank line may now be needed.
    emitted: bool,
    /// A blank line was seen since the last written line.
    blank: bool,
    /// Scratch for stitched lines.
    buf: Vec<u8>,
    pub bytes_out: u64,
    pub lines_out: u64,
}

impl Editor<io::Sink> {
    /// An editor that keeps the whole output in one buffer, with room for
    /// `capacity` bytes, instead of handing it to a writer in chunks (see
    /// [`Editor::into_output`]): cleaning a string into a string copies
    /// each kept line once.
    pub fn gathering(capacity: usize) -> Editor<io::Sink> {
        Editor {
            out: Vec::with_capacity(capacity),
            limit: usize::MAX,
            ..Editor::new(io::sink())
        }
    }
}

impl<W: Write> Editor<W> {
    pub fn new(wtr: W) -> Editor<W> {
        Editor {
            wtr,
            out: Vec::new(),
            limit: OUT_CHUNK,
            emitted: false,
            blank: false,
            buf: Vec::new(),
            bytes_out: 0,
            lines_out: 0,
        }
    }

    /// An input line that is blank: a paragraph break.
    pub fn blank(&mut self) {
        self.blank = true;
    }

    /// Starts an output line, writing the paragraph break before it if one is
    /// due.
    fn start_line(&mut self) -> io::Result<()> {
        if self.blank && self.emitted {
            self.put(b"\n")?;
            self.bytes_out += 1;
            self.lines_out += 1;
        }
        self.blank = false;
        self.emitted = true;
        Ok(())
    }

    fn write_line(&mut self, line: &[u8]) -> io::Result<()> {
        self.start_line()?;
        self.put(line)?;
        self.put(b"\n")?;
        self.bytes_out += line.len() as u64 + 1;
        self.lines_out += 1;
        Ok(())
    }

    /// Keeps a line as it is, less trailing whitespace.
    pub fn keep(&mut self, line: &[u8]) -> io::Result<()> {
        self.write_line(text::trim_end(line))
    }

    /// Keeps a line with the byte ranges `cuts` (sorted, not overlapping,
    /// whole tokens) removed. The pieces around each cut are joined with one
    /// space; a line left without letters or digits is dropped.
    pub fn keep_cut(&mut self, line: &[u8], cuts: &[(usize, usize)]) -> io::Result<()> {
        let mut buf = std::mem::take(&mut self.buf);
        stitch(line, cuts, &mut buf);
        let res = if buf.iter().any(|b| b.is_ascii_alphanumeric()) || has_non_ascii_alnum(&buf) {
            self.write_line(&buf)
        } else {
            Ok(())
        };
        self.buf = buf;
        res
    }

    /// The first piece of an overlong line.
    pub fn long_start(&mut self) -> io::Result<()> {
        self.start_line()
    }

    /// A piece of an overlong line, copied as is.
    pub fn long_piece(&mut self, piece: &[u8]) -> io::Result<()> {
        self.put(piece)?;
        self.bytes_out += piece.len() as u64;
        Ok(())
    }

    /// The end of an overlong line.
    pub fn long_end(&mut self) -> io::Result<()> {
        self.put(b"\n")?;
        self.bytes_out += 1;
        self.lines_out += 1;
        Ok(())
    }

    /// Hands everything written so far to the writer, and flushes it.
    pub fn flush(&mut self) -> io::Result<()> {
        self.drain()?;
        self.wtr.flush()
    }

    /// Appends to the output chunk; a full chunk goes to the writer, and
    /// data of a chunk or more goes straight through.
    fn put(&mut self, data: &[u8]) -> io::Result<()> {
        if self.out.len() + data.len() > self.limit {
            self.drain()?;
            if data.len() >= self.limit {
                return self.wtr.write_all(data);
            }
        }
        if self.out.capacity() == 0 {
            // One allocation for the chunk, not one per doubling.
            self.out.reserve(self.limit.min(OUT_CHUNK));
        }
        self.out.extend_from_slice(data);
        Ok(())
    }

    fn drain(&mut self) -> io::Result<()> {
        // A gathering editor keeps its output (`into_output`).
        if !self.out.is_empty() && self.limit != usize::MAX {
            self.wtr.write_all(&self.out)?;
            self.out.clear();
        }
        Ok(())
    }

    /// The output gathered so far, for an editor made by
    /// [`Editor::gathering`].
    pub fn into_output(self) -> Vec<u8> {
        debug_assert_eq!(
            self.limit,
            usize::MAX,
            "a chunked editor's output goes to its writer"
        );
        self.out
    }

    #[cfg(test)]
    pub fn into_inner(mut self) -> W {
        self.drain().expect("test writers do not fail");
        self.wtr
    }
}

fn has_non_ascii_alnum(buf: &[u8]) -> bool {
    std::str::from_utf8(buf).is_ok_and(|s| s.chars().any(char::is_alphanumeric))
}

/// Writes `line` less `cuts` into `out`, stitched, without trailing
/// whitespace.
pub(crate) fn stitch(line: &[u8], cuts: &[(usize, usize)], out: &mut Vec<u8>) {
    out.clear();
    let mut last = 0;
    for &(s, e) in cuts {
        push_piece(out, &line[last..s], last == 0);
        last = e;
    }
    push_piece(out, &line[last..], last == 0);
    let trimmed = text::trim_end(out).len();
    out.truncate(trimmed);
}

/// Appends a piece of a line, joining it to what is there with one space.
/// The first piece keeps its indentation.
fn push_piece(out: &mut Vec<u8>, piece: &[u8], first: bool) {
    if first {
        out.extend_from_slice(text::trim_end(piece));
        return;
    }
    let (lo, hi) = text::trim_range(piece);
    let piece = &piece[lo..hi];
    if piece.is_empty() {
        return;
    }
    let trimmed = text::trim_end(out).len();
    out.truncate(trimmed);
    // Always a space, even before punctuation: gluing `,` to the word
    // before it would make a word the input never had.
    if !text::is_blank(out) {
        out.push(b' ');
    }
    out.extend_from_slice(piece);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(line: &str, cuts: &[(usize, usize)]) -> String {
        let mut out = Vec::new();
        stitch(line.as_bytes(), cuts, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn stitching() {
        assert_eq!(cut("a b X c d", &[(4, 5)]), "a b c d");
        assert_eq!(cut("a b (X) .", &[(4, 7)]), "a b .");
        assert_eq!(cut("X a b", &[(0, 1)]), "a b");
        assert_eq!(cut("a b X", &[(4, 5)]), "a b");
        assert_eq!(cut("  a X b", &[(4, 5)]), "  a b");
        assert_eq!(cut("a X b Y c", &[(2, 3), (6, 7)]), "a b c");
    }

    fn edit(f: impl FnOnce(&mut Editor<Vec<u8>>)) -> String {
        let mut ed = Editor::new(Vec::new());
        f(&mut ed);
        String::from_utf8(ed.into_inner()).unwrap()
    }

    #[test]
    fn blank_lines_collapse_and_never_lead_or_trail() {
        let out = edit(|ed| {
            ed.blank();
            ed.keep(b"a  ").unwrap();
            ed.blank();
            ed.blank();
            ed.keep(b"b").unwrap();
            ed.keep(b"c").unwrap();
            ed.blank();
        });
        assert_eq!(out, "a\n\nb\nc\n");
    }

    #[test]
    fn a_cut_that_leaves_no_words_drops_the_line() {
        let out = edit(|ed| ed.keep_cut(b"(X) .", &[(0, 3)]).unwrap());
        assert_eq!(out, "");
    }
}
