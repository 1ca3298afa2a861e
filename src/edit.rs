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
    /// `OUT_CHUNK`, or 0 when every piece goes straight to the writer (see
    /// [`Editor::gathering`]).
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

/// The output of cleaning one string, gathered into a `String` (see
/// [`Editor::gathering`]).
///
/// Every piece the editor writes is valid UTF-8 when the input is: a kept
/// or overlong line is a part of the input (a copy of one, for a line held
/// in the detector's window) less trailing whitespace, a cut falls on token
/// edges, and the pieces are joined by ASCII. So a piece that lies inside
/// the input is taken as a `&str` slice of it, which checks its two ends
/// only; the few others (held copies, stitched lines, line ends) are
/// validated, which costs little as they are short. Validating the whole
/// output instead was 7% of the time to clean an article.
pub(crate) struct Gather<'a> {
    src: &'a str,
    out: String,
}

impl Gather<'_> {
    fn push(&mut self, data: &[u8]) {
        if let [b] = *data
            && b.is_ascii()
        {
            // A line end, or a space between stitched pieces.
            self.out.push(char::from(b));
            return;
        }
        let base = self.src.as_ptr() as usize;
        let at = (data.as_ptr() as usize).wrapping_sub(base);
        // A piece inside the input: the address of its first byte is within
        // it, and so is its end. (Distinct live buffers never overlap.)
        if at <= self.src.len()
            && data.len() <= self.src.len() - at
            && let Some(s) = self.src.get(at..at + data.len())
        {
            self.out.push_str(s);
            return;
        }
        match std::str::from_utf8(data) {
            Ok(s) => self.out.push_str(s),
            Err(_) => {
                debug_assert!(false, "a piece of valid UTF-8 input is valid");
                self.out.push_str(&String::from_utf8_lossy(data));
            }
        }
    }
}

impl Write for Gather<'_> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.push(data);
        Ok(data.len())
    }

    fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        self.push(data);
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> Editor<Gather<'a>> {
    /// An editor that gathers the output of cleaning `src` into one
    /// `String`, sized to the input, without a chunk in between (see
    /// [`Gather`], and [`Editor::into_string`] for the result).
    pub fn gathering(src: &'a str) -> Editor<Gather<'a>> {
        Editor {
            limit: 0,
            ..Editor::new(Gather {
                src,
                out: String::with_capacity(src.len() + 1),
            })
        }
    }

    /// The output. Nothing waits in the chunk: with a limit of 0, every
    /// piece went straight to the `Gather`.
    pub fn into_string(self) -> String {
        debug_assert!(self.out.is_empty());
        self.wtr.out
    }
}

impl<W: Write> Editor<W> {
    pub fn new(wtr: W) -> Editor<W> {
        Editor::with_chunk(wtr, Vec::new())
    }

    /// An editor that gathers output in `chunk`, a buffer from an earlier
    /// editor (see [`Editor::into_chunk`]).
    pub fn with_chunk(wtr: W, mut chunk: Vec<u8>) -> Editor<W> {
        chunk.clear();
        Editor {
            wtr,
            out: chunk,
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
        if self.out.len() + line.len() < self.limit && self.out.capacity() > 0 {
            // The usual case: the line and its end go into the chunk, with
            // one test of its room for both.
            self.out.extend_from_slice(line);
            self.out.push(b'\n');
        } else {
            self.put(line)?;
            self.put(b"\n")?;
        }
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
    /// data of a chunk or more goes straight through (all data, when the
    /// limit is 0).
    fn put(&mut self, data: &[u8]) -> io::Result<()> {
        if self.limit == 0 {
            // Nothing is gathered: the chunk stays empty.
            return self.wtr.write_all(data);
        }
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
        if !self.out.is_empty() {
            self.wtr.write_all(&self.out)?;
            self.out.clear();
        }
        Ok(())
    }

    /// The output chunk, for another editor, once everything is handed to
    /// the writer.
    pub fn into_chunk(self) -> Vec<u8> {
        self.out
    }

    /// The writer, once everything is handed to it.
    #[cfg(test)]
    pub fn into_writer(mut self) -> io::Result<W> {
        self.drain()?;
        Ok(self.wtr)
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
        String::from_utf8(ed.into_writer().unwrap()).unwrap()
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
    fn gathering_takes_pieces_of_the_input_and_copies() {
        let src = "naïve “quoted” line\nsecond\n";
        let mut ed = Editor::gathering(src);
        ed.keep(&src.as_bytes()[..24]).unwrap();
        // A copy of a line (as held in the window), not inside `src`.
        let copy = src.as_bytes()[25..31].to_vec();
        ed.keep(&copy).unwrap();
        ed.blank();
        ed.keep_cut(&src.as_bytes()[..24], &[(7, 19)]).unwrap();
        assert_eq!(
            ed.into_string(),
            "naïve “quoted” line\nsecond\n\nnaïve line\n"
        );
    }

    #[test]
    fn a_cut_that_leaves_no_words_drops_the_line() {
        let out = edit(|ed| ed.keep_cut(b"(X) .", &[(0, 3)]).unwrap());
        assert_eq!(out, "");
    }
}
