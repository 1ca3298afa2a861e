//! A bounded line buffer (after ripgrep's `line_buffer.rs`): one buffer,
//! `pos <= end`, unconsumed bytes rolled to the front before each read, and
//! a hard limit on how long a line may be.
//!
//! Line terminators are `\n` and `\r\n` (the `\r` is dropped). A line whose
//! content is longer than the limit is *overlong*: it is not held in memory
//! but handed out in pieces as it is read, and the cleaner copies it through
//! unchanged. Whether a line is overlong depends only on its length, never on
//! how the input was chunked, so output is the same for any read sizes.

use std::io::{self, Read};

use memchr::memchr;

/// What the reader hands out.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Event<'a> {
    /// A whole line, without its terminator. `offset` is the absolute byte
    /// offset of its first byte. `ahead` is everything buffered from that
    /// byte on (the line, its terminator, and maybe more lines), so that a
    /// consumer can search many lines at once; `ends_input` says that it
    /// runs to the end of the input, so that its last line is whole even
    /// without a terminator.
    Line {
        text: &'a [u8],
        offset: u64,
        ahead: &'a [u8],
        ends_input: bool,
    },
    /// A piece of an overlong line. `first` is set on the first piece,
    /// `last` on the final one (a line may be one piece with both set).
    Long {
        piece: &'a [u8],
        first: bool,
        last: bool,
    },
}

/// Extra room beyond the line limit, and the smallest read we ask for.
const READ_CHUNK: usize = 64 * 1024;

/// A source of input that may know that it has nothing more before it is
/// asked again.
pub(crate) trait Ends: Read {
    /// True when the next `read` would return no bytes: the input has
    /// ended. False when that is not known.
    fn at_end(&self) -> bool {
        false
    }
}

impl<R: Ends> Ends for &mut R {
    fn at_end(&self) -> bool {
        (**self).at_end()
    }
}

#[cfg(test)]
impl Ends for &[u8] {}

/// Reads lines from any `Read`, in bounded memory: at most the line limit
/// plus one read chunk.
pub(crate) struct LineReader<R> {
    rdr: R,
    buf: Vec<u8>,
    /// Start of the bytes not yet handed out.
    pos: usize,
    /// End of the bytes read.
    end: usize,
    /// Absolute offset of `buf[0]`.
    base: u64,
    eof: bool,
    max_line: usize,
    /// Inside an overlong line: its remaining pieces are being handed out.
    in_long: bool,
    /// Fail on a NUL byte instead of treating it as text.
    quit_on_nul: bool,
}

/// Why reading failed.
#[derive(Debug)]
pub(crate) enum ReadError {
    Io(io::Error),
    Nul(u64),
}

impl<R: Ends> LineReader<R> {
    #[cfg(test)]
    pub fn new(rdr: R, max_line: usize, quit_on_nul: bool) -> LineReader<R> {
        LineReader::with_buffer(rdr, max_line, quit_on_nul, Vec::new())
    }

    /// A reader that reads into `buf`, a buffer from an earlier reader (see
    /// [`LineReader::into_buffer`]): its bytes need not be zeroed again.
    pub fn with_buffer(
        rdr: R,
        max_line: usize,
        quit_on_nul: bool,
        mut buf: Vec<u8>,
    ) -> LineReader<R> {
        let max_line = max_line.max(1);
        let len = READ_CHUNK.min(max_line + READ_CHUNK);
        buf.truncate(len);
        buf.resize(len, 0);
        LineReader {
            rdr,
            buf,
            pos: 0,
            end: 0,
            base: 0,
            eof: false,
            max_line,
            in_long: false,
            quit_on_nul,
        }
    }

    /// The next line or piece, or `None` at the end of the input.
    pub fn next(&mut self) -> Result<Option<Event<'_>>, ReadError> {
        loop {
            let avail = &self.buf[self.pos..self.end];
            if self.in_long {
                if let Some(nl) = memchr(b'\n', avail) {
                    let piece = strip_cr(&avail[..nl]);
                    let (start, len) = (self.pos, piece.len());
                    self.pos += nl + 1;
                    self.in_long = false;
                    return Ok(Some(self.long(start, len, false, true)));
                }
                if self.eof {
                    let (start, len) = (self.pos, avail.len());
                    self.pos = self.end;
                    self.in_long = false;
                    return Ok(Some(self.long(start, len, false, true)));
                }
                // Hand out what we have, but keep a final `\r`: it may be
                // half of a `\r\n`.
                let len = if avail.last() == Some(&b'\r') {
                    avail.len() - 1
                } else {
                    avail.len()
                };
                if len > 0 {
                    let start = self.pos;
                    self.pos += len;
                    return Ok(Some(self.long(start, len, false, false)));
                }
            } else if let Some(nl) = find_newline(avail) {
                let start = self.pos;
                self.pos += nl + 1;
                return Ok(Some(self.line(start, nl, true)));
            } else if self.eof {
                if avail.is_empty() {
                    return Ok(None);
                }
                let (start, len) = (self.pos, avail.len());
                self.pos = self.end;
                return Ok(Some(self.line(start, len, false)));
            } else if avail.len() > self.max_line {
                self.in_long = true;
                let len = if avail.last() == Some(&b'\r') {
                    avail.len() - 1
                } else {
                    avail.len()
                };
                let start = self.pos;
                self.pos += len;
                return Ok(Some(self.long(start, len, true, false)));
            }
            self.fill()?;
        }
    }

    /// The buffer, for another reader.
    pub fn into_buffer(self) -> Vec<u8> {
        self.buf
    }

    /// Bytes read from the underlying reader so far.
    pub fn bytes_read(&self) -> u64 {
        self.base + self.end as u64
    }

    /// A complete line `buf[start..start + len]`; `terminated` when a `\n`
    /// followed it.
    fn line(&self, start: usize, len: usize, terminated: bool) -> Event<'_> {
        let raw = &self.buf[start..start + len];
        if raw.len() > self.max_line {
            let piece = if terminated { strip_cr(raw) } else { raw };
            return Event::Long {
                piece,
                first: true,
                last: true,
            };
        }
        Event::Line {
            text: strip_cr(raw),
            offset: self.base + start as u64,
            ahead: &self.buf[start..self.end],
            ends_input: self.eof,
        }
    }

    fn long(&self, start: usize, len: usize, first: bool, last: bool) -> Event<'_> {
        Event::Long {
            piece: &self.buf[start..start + len],
            first,
            last,
        }
    }

    /// Rolls unconsumed bytes to the front and reads more.
    fn fill(&mut self) -> Result<(), ReadError> {
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.end, 0);
            self.base += self.pos as u64;
            self.end -= self.pos;
            self.pos = 0;
        }
        let cap = self.max_line + READ_CHUNK;
        if self.buf.len() - self.end < READ_CHUNK / 4 && self.buf.len() < cap {
            let want = (self.buf.len() * 2).min(cap);
            self.buf.resize(want, 0);
        }
        loop {
            match self.rdr.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    let new = &self.buf[self.end..self.end + n];
                    if self.quit_on_nul
                        && let Some(i) = memchr(0, new)
                    {
                        return Err(ReadError::Nul(self.base + (self.end + i) as u64));
                    }
                    self.end += n;
                    // A source that knows it has ended spares the read that
                    // would say so, and the lines read so far learn that
                    // they are the last (`Event::Line::ends_input`): a small
                    // file's, which the decoder has read whole, make one
                    // block for the prefilter.
                    self.eof = self.rdr.at_end();
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(ReadError::Io(e)),
            }
        }
    }
}

fn strip_cr(s: &[u8]) -> &[u8] {
    s.strip_suffix(b"\r").unwrap_or(s)
}

/// The first `\n` in `s`. A blank line (every other line of an article)
/// is answered without a `memchr` call, whose setup costs more than the
/// line.
#[inline]
fn find_newline(s: &[u8]) -> Option<usize> {
    match s.first() {
        Some(b'\n') => Some(0),
        _ => memchr(b'\n', s),
    }
}

/// The same events over an in-memory slice, without copying: what
/// `Cleaner::clean_str` uses. Must agree exactly with [`LineReader`].
pub(crate) fn for_each_in_slice(s: &[u8], max_line: usize, mut f: impl FnMut(Event<'_>) -> bool) {
    let max_line = max_line.max(1);
    let mut pos = 0;
    while pos < s.len() {
        let (raw, terminated, next) = match find_newline(&s[pos..]) {
            Some(nl) => (&s[pos..pos + nl], true, pos + nl + 1),
            None => (&s[pos..], false, s.len()),
        };
        let ev = if raw.len() > max_line {
            Event::Long {
                piece: if terminated { strip_cr(raw) } else { raw },
                first: true,
                last: true,
            }
        } else {
            Event::Line {
                text: strip_cr(raw),
                offset: pos as u64,
                ahead: &s[pos..],
                ends_input: true,
            }
        };
        if !f(ev) {
            return;
        }
        pos = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::testutil::Trickle;

    /// Collects events as (kind, bytes), joining overlong pieces.
    fn collect_reader(input: &[u8], chunk: usize, max_line: usize) -> Vec<(char, Vec<u8>)> {
        let mut rdr = LineReader::new(Trickle(input, chunk), max_line, false);
        let mut out: Vec<(char, Vec<u8>)> = Vec::new();
        while let Some(ev) = rdr.next().unwrap() {
            match ev {
                Event::Line { text, .. } => out.push(('L', text.to_vec())),
                Event::Long { piece, first, .. } => {
                    if first {
                        out.push(('O', Vec::new()));
                    }
                    out.last_mut().unwrap().1.extend_from_slice(piece);
                }
            }
        }
        out
    }

    fn collect_slice(input: &[u8], max_line: usize) -> Vec<(char, Vec<u8>)> {
        let mut out: Vec<(char, Vec<u8>)> = Vec::new();
        for_each_in_slice(input, max_line, |ev| {
            match ev {
                Event::Line { text, .. } => out.push(('L', text.to_vec())),
                Event::Long { piece, .. } => out.push(('O', piece.to_vec())),
            }
            true
        });
        out
    }

    #[test]
    fn lf_crlf_and_final_line() {
        let got = collect_reader(b"a\r\nb\n\nc", 3, 100);
        let want: Vec<(char, Vec<u8>)> = vec![
            ('L', b"a".to_vec()),
            ('L', b"b".to_vec()),
            ('L', vec![]),
            ('L', b"c".to_vec()),
        ];
        assert_eq!(got, want);
        assert_eq!(collect_slice(b"a\r\nb\n\nc", 100), want);
    }

    #[test]
    fn overlong_lines_do_not_depend_on_chunking() {
        let mut input = b"short\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', 50));
        input.extend_from_slice(b"\r\nnext\nyyyyyyyyyyyy\r");
        for chunk in [1, 2, 3, 7, 64, 1000] {
            for max in [1, 5, 11, 12, 13, 49, 50, 51] {
                assert_eq!(
                    collect_reader(&input, chunk, max),
                    collect_slice(&input, max),
                    "chunk {chunk} max {max}"
                );
            }
        }
    }

    #[test]
    fn offsets_are_absolute() {
        let input = b"ab\r\ncd\nef";
        let mut rdr = LineReader::new(Trickle(input, 2), 100, false);
        let mut offs = Vec::new();
        while let Some(ev) = rdr.next().unwrap() {
            if let Event::Line { offset, .. } = ev {
                offs.push(offset);
            }
        }
        assert_eq!(offs, vec![0, 4, 7]);
    }

    #[test]
    fn nul_is_reported_with_its_offset() {
        let mut input = vec![b'a'; 70_000];
        input[69_000] = 0;
        let mut rdr = LineReader::new(&input[..], 1 << 20, true);
        let err = loop {
            match rdr.next() {
                Ok(Some(_)) => continue,
                Ok(None) => panic!("no error"),
                Err(e) => break e,
            }
        };
        assert!(matches!(err, ReadError::Nul(69_000)), "{err:?}");
    }

    #[test]
    fn memory_stays_bounded_on_a_huge_line() {
        struct Endless(usize);
        impl Ends for Endless {}
        impl Read for Endless {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = buf.len().min(self.0);
                buf[..n].fill(b'z');
                self.0 -= n;
                Ok(n)
            }
        }
        let mut rdr = LineReader::new(Endless(20 << 20), 1 << 16, false);
        let mut total = 0;
        while let Some(ev) = rdr.next().unwrap() {
            if let Event::Long { piece, .. } = ev {
                total += piece.len();
            }
        }
        assert_eq!(total, 20 << 20);
        assert!(rdr.buf.len() <= (1 << 16) + READ_CHUNK);
    }
}
