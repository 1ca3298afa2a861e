//! Bytes in any encoding to UTF-8, at the edge of the pipeline.
//!
//! The policy, decided once per input before anything is handed out:
//!
//! 1. A BOM (UTF-8, UTF-16LE, UTF-16BE) decides the encoding and is removed,
//!    even when an encoding is forced (as in browsers).
//! 2. Else a forced encoding ([`CleanerBuilder::encoding`]) is used.
//! 3. Else the first [`SNIFF_LEN`] bytes are examined. If they are valid
//!    UTF-8 the input is taken as UTF-8; if not, `chardetng` guesses a legacy
//!    encoding (windows-1252, Shift_JIS, GBK, KOI8-R, ...) from them. The
//!    guess is not revisited later in the stream.
//!
//! UTF-8 input is passed through without a copy: bytes are read straight
//! into the caller's buffer and validated there; only a chunk holding an
//! invalid sequence takes a slow path. An invalid sequence (including one
//! cut short at the end of the input, or invalid bytes after a valid 64 KiB
//! prefix) becomes U+FFFD, and is counted in [`Decoding::replaced`] so that
//! the caller can report it. Everything after this stage sees valid UTF-8.
//!
//! [`CleanerBuilder::encoding`]: crate::CleanerBuilder::encoding

use std::io::{self, Read};

use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
use encoding_rs::{CoderResult, Decoder, Encoding, UTF_8};

/// How many leading bytes are examined to detect the encoding.
pub const SNIFF_LEN: usize = 64 * 1024;

/// Size of the raw input buffer in the legacy (non-UTF-8) path.
const IN_CHUNK: usize = 64 * 1024;

/// Why an input was decoded with the encoding it was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncodingSource {
    /// The input started with a byte order mark.
    Bom,
    /// The caller forced the encoding.
    Forced,
    /// The first bytes were valid UTF-8 (or plain ASCII).
    Utf8,
    /// The first bytes were not UTF-8; the encoding was guessed from them.
    Detected,
}

/// How an input was decoded: part of a [`Summary`](crate::Summary).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decoding {
    /// The encoding the input was decoded from.
    pub encoding: &'static Encoding,
    /// Why that encoding was used.
    pub source: EncodingSource,
    /// Invalid byte sequences replaced with U+FFFD (for legacy encodings,
    /// the number of read chunks that held at least one).
    pub replaced: u64,
    /// Offset, in the raw input, of the first replaced sequence (for legacy
    /// encodings, of the chunk that held it).
    pub first_replaced: Option<u64>,
}

enum Mode {
    /// Not decided yet: the prefix is still to be read.
    Sniff,
    /// UTF-8, validated in place.
    Utf8,
    /// Any other encoding, through an `encoding_rs` decoder.
    Legacy(Decoder),
}

/// A `Read` adapter that yields UTF-8.
pub(crate) struct DecodeReader<R> {
    rdr: R,
    forced: Option<&'static Encoding>,
    mode: Mode,
    /// Raw bytes read but not handed on yet (the sniffed prefix; legacy
    /// input).
    inbuf: Vec<u8>,
    ipos: usize,
    iend: usize,
    /// The sniffed prefix is valid UTF-8 throughout: handed out whole, it
    /// is not validated a second time.
    prefix_valid: bool,
    /// The underlying reader reported end of input.
    eof: bool,
    /// Everything has been handed out.
    done: bool,
    /// Decoded bytes waiting for the caller (slow path, tiny reads).
    pending: Vec<u8>,
    ppos: usize,
    /// An incomplete UTF-8 sequence from the end of the last read.
    carry: [u8; 4],
    carry_len: usize,
    /// Raw offset of the next byte to be validated (UTF-8) or decoded.
    raw_off: u64,
    info: Decoding,
}

impl<R: Read> DecodeReader<R> {
    /// A reader with a buffer of its own (see [`DecodeReader::with_buffer`]).
    #[cfg(test)]
    pub fn new(rdr: R, forced: Option<&'static Encoding>) -> DecodeReader<R> {
        DecodeReader::with_buffer(rdr, forced, Vec::new())
    }

    /// `forced`: decode as this encoding (a BOM still wins, as in browsers);
    /// `None` detects the encoding. The reader reads into `buf`, a buffer
    /// from an earlier reader (see [`DecodeReader::into_buffer`]) or an
    /// empty one: its bytes need not be zeroed again.
    pub fn with_buffer(rdr: R, forced: Option<&'static Encoding>, buf: Vec<u8>) -> DecodeReader<R> {
        DecodeReader {
            rdr,
            forced,
            mode: Mode::Sniff,
            inbuf: buf,
            ipos: 0,
            iend: 0,
            prefix_valid: false,
            eof: false,
            done: false,
            pending: Vec::new(),
            ppos: 0,
            carry: [0; 4],
            carry_len: 0,
            raw_off: 0,
            info: Decoding {
                encoding: UTF_8,
                source: EncodingSource::Utf8,
                replaced: 0,
                first_replaced: None,
            },
        }
    }

    /// The buffer, for another reader.
    pub fn into_buffer(self) -> Vec<u8> {
        self.inbuf
    }

    /// How the input is decoded. Final once the reader has returned 0.
    pub fn decoding(&self) -> Decoding {
        self.info
    }

    /// Reads the prefix and decides the encoding.
    fn sniff(&mut self) -> io::Result<()> {
        // A buffer from an earlier reader is overwritten, not zeroed.
        let len = SNIFF_LEN.max(IN_CHUNK);
        self.inbuf.truncate(len);
        self.inbuf.resize(len, 0);
        while self.iend < SNIFF_LEN {
            let end = self.iend;
            let n = read_raw(&mut self.rdr, &mut self.inbuf[end..SNIFF_LEN])?;
            if n == 0 {
                self.eof = true;
                break;
            }
            self.iend += n;
        }
        let prefix = &self.inbuf[..self.iend];
        // Whatever the encoding decided below, a prefix valid as UTF-8 is
        // handed out as UTF-8 only when UTF-8 is chosen (`Mode::Utf8`).
        // (With SIMD: for a small file the prefix is all of it, and `std`'s
        // check was 3% of a bulk run's instructions.)
        self.prefix_valid = simdutf8::basic::from_utf8(prefix).is_ok();
        let (encoding, source, skip) = if let Some((enc, len)) = Encoding::for_bom(prefix) {
            (enc, EncodingSource::Bom, len)
        } else if let Some(enc) = self.forced {
            (enc, EncodingSource::Forced, 0)
        } else if (self.prefix_valid || is_mostly_utf8(prefix))
            && memchr::memchr(0x1b, prefix).is_none()
        {
            (UTF_8, EncodingSource::Utf8, 0)
        } else {
            // Either invalid UTF-8 or 7-bit text with escapes (ISO-2022-JP).
            let mut det = EncodingDetector::new(Iso2022JpDetection::Allow);
            det.feed(prefix, self.eof);
            let enc = det.guess(None, Utf8Detection::Allow);
            let source = if enc == UTF_8 {
                EncodingSource::Utf8
            } else {
                EncodingSource::Detected
            };
            (enc, source, 0)
        };
        self.ipos = skip;
        self.raw_off = skip as u64;
        self.info.encoding = encoding;
        self.info.source = source;
        self.mode = if encoding == UTF_8 {
            Mode::Utf8
        } else {
            Mode::Legacy(encoding.new_decoder_without_bom_handling())
        };
        Ok(())
    }

    fn note_replacement(&mut self, raw_offset: u64) {
        self.info.replaced += 1;
        if self.info.first_replaced.is_none() {
            self.info.first_replaced = Some(raw_offset);
        }
    }

    /// The UTF-8 path; `out.len() >= 8`.
    fn read_utf8(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.done {
                return Ok(0);
            }
            let mut n = self.carry_len;
            out[..n].copy_from_slice(&self.carry[..n]);
            self.carry_len = 0;
            if self.ipos < self.iend {
                // The sniffed prefix: the one copy this path makes.
                let k = (out.len() - n).min(self.iend - self.ipos);
                out[n..n + k].copy_from_slice(&self.inbuf[self.ipos..self.ipos + k]);
                self.ipos += k;
                n += k;
                if self.ipos == self.iend {
                    // The buffer is kept for the next reader (`into_buffer`).
                    self.ipos = 0;
                    self.iend = 0;
                    if self.prefix_valid && n == k {
                        // The rest of a valid prefix (after a BOM, a whole
                        // character), with nothing carried before it: valid.
                        self.raw_off += n as u64;
                        return Ok(n);
                    }
                }
            } else if !self.eof {
                let got = read_raw(&mut self.rdr, &mut out[n..])?;
                if got == 0 {
                    self.eof = true;
                }
                n += got;
            }
            let last = self.eof && self.ipos == self.iend;
            if n == 0 {
                if last {
                    self.done = true;
                }
                continue;
            }
            // Nearly every chunk is valid: checked with SIMD first (a quarter
            // of the instructions), and only a chunk with an error is
            // validated again by `std`, which says where the error is.
            let checked = match simdutf8::basic::from_utf8(&out[..n]) {
                Ok(_) => Ok(()),
                Err(_) => std::str::from_utf8(&out[..n]).map(drop),
            };
            let err = match checked {
                Ok(()) => {
                    self.raw_off += n as u64;
                    return Ok(n);
                }
                Err(e) => e,
            };
            let valid = err.valid_up_to();
            if err.error_len().is_none() && !last {
                // An incomplete sequence at the end: keep it for next time.
                self.carry_len = n - valid;
                self.carry[..n - valid].copy_from_slice(&out[valid..n]);
                self.raw_off += valid as u64;
                if valid > 0 {
                    return Ok(valid);
                }
                continue;
            }
            // The slow path: decode the rest of this chunk with
            // replacements into `pending`.
            self.raw_off += valid as u64;
            let mut rest = &out[valid..n];
            let mut pending = std::mem::take(&mut self.pending);
            pending.clear();
            self.ppos = 0;
            while !rest.is_empty() {
                match std::str::from_utf8(rest) {
                    Ok(_) => {
                        pending.extend_from_slice(rest);
                        self.raw_off += rest.len() as u64;
                        rest = &[];
                    }
                    Err(e) => {
                        let v = e.valid_up_to();
                        pending.extend_from_slice(&rest[..v]);
                        self.raw_off += v as u64;
                        match e.error_len() {
                            Some(len) => {
                                pending.extend_from_slice("\u{fffd}".as_bytes());
                                let at = self.raw_off;
                                self.note_replacement(at);
                                self.raw_off += len as u64;
                                rest = &rest[v + len..];
                            }
                            None if last => {
                                // Cut short by the end of the input.
                                pending.extend_from_slice("\u{fffd}".as_bytes());
                                let at = self.raw_off;
                                self.note_replacement(at);
                                self.raw_off += (rest.len() - v) as u64;
                                rest = &[];
                            }
                            None => {
                                let tail = &rest[v..];
                                self.carry[..tail.len()].copy_from_slice(tail);
                                self.carry_len = tail.len();
                                rest = &[];
                            }
                        }
                    }
                }
            }
            self.pending = pending;
            if valid > 0 {
                return Ok(valid);
            }
            if self.ppos < self.pending.len() {
                return Ok(self.take_pending(out));
            }
        }
    }

    /// The legacy path; `out.len() >= 8`.
    fn read_legacy(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.done {
                return Ok(0);
            }
            if self.ipos == self.iend && !self.eof {
                if self.inbuf.len() < IN_CHUNK {
                    self.inbuf.resize(IN_CHUNK, 0);
                }
                self.ipos = 0;
                self.iend = read_raw(&mut self.rdr, &mut self.inbuf)?;
                if self.iend == 0 {
                    self.eof = true;
                }
            }
            let Mode::Legacy(decoder) = &mut self.mode else {
                unreachable!("read_legacy in legacy mode only")
            };
            let (result, read, written, replaced) =
                decoder.decode_to_utf8(&self.inbuf[self.ipos..self.iend], out, self.eof);
            let at = self.raw_off;
            self.ipos += read;
            self.raw_off += read as u64;
            if replaced {
                self.note_replacement(at);
            }
            if self.eof && self.ipos == self.iend && result == CoderResult::InputEmpty {
                self.done = true;
            }
            if written > 0 {
                return Ok(written);
            }
        }
    }

    fn take_pending(&mut self, out: &mut [u8]) -> usize {
        let n = out.len().min(self.pending.len() - self.ppos);
        out[..n].copy_from_slice(&self.pending[self.ppos..self.ppos + n]);
        self.ppos += n;
        n
    }

    fn read_inner(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.ppos < self.pending.len() {
            return Ok(self.take_pending(out));
        }
        match self.mode {
            Mode::Sniff => {
                self.sniff()?;
                self.read_inner(out)
            }
            Mode::Utf8 => self.read_utf8(out),
            Mode::Legacy(_) => self.read_legacy(out),
        }
    }
}

fn read_raw<R: Read>(rdr: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match rdr.read(buf) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Whether `prefix` is UTF-8, perhaps damaged: valid, or cut off at its
/// end (mid-character, whether or not more input follows), or with at least
/// [`UTF8_PER_ERROR`] valid multi-byte characters per invalid sequence. Text
/// in a legacy encoding almost never forms valid multi-byte sequences, so
/// damaged UTF-8 is not mistaken for windows-1252 and garbled throughout.
fn is_mostly_utf8(prefix: &[u8]) -> bool {
    let (mut multibyte, mut invalid) = (0usize, 0usize);
    let mut rest = prefix;
    loop {
        let (valid, bad) = match std::str::from_utf8(rest) {
            Ok(_) => (rest.len(), None),
            Err(e) => (e.valid_up_to(), e.error_len()),
        };
        multibyte += rest[..valid]
            .iter()
            .map(|&b| usize::from(b >= 0xc0))
            .sum::<usize>();
        match bad {
            None => break,
            Some(len) => {
                invalid += 1;
                rest = &rest[valid + len..];
            }
        }
    }
    invalid == 0 || multibyte >= UTF8_PER_ERROR * invalid
}

/// See [`is_mostly_utf8`].
const UTF8_PER_ERROR: usize = 8;

impl<R: Read> crate::lines::Ends for DecodeReader<R> {
    /// Nothing waits to be handed out, and the decoder has finished, or (on
    /// the UTF-8 path, nearly all text) the input has ended, everything
    /// read has been handed out, and no incomplete character is carried (it
    /// would still become a U+FFFD).
    fn at_end(&self) -> bool {
        // (`done` may be set with decoded bytes still waiting in `pending`.)
        self.ppos >= self.pending.len()
            && (self.done
                || (matches!(self.mode, Mode::Utf8)
                    && self.eof
                    && self.ipos == self.iend
                    && self.carry_len == 0))
    }
}

impl<R: Read> Read for DecodeReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        if out.len() < 8 && self.ppos >= self.pending.len() {
            // Too small for the decoders: decode into `pending` first.
            let mut tmp = [0u8; 64];
            let n = self.read_inner(&mut tmp)?;
            // The slow path may have left decoded bytes of its own.
            let mut pending = tmp[..n].to_vec();
            pending.extend_from_slice(&self.pending[self.ppos..]);
            self.pending = pending;
            self.ppos = 0;
        }
        self.read_inner(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::testutil::Trickle;

    fn decode_with(bytes: &[u8], forced: Option<&'static Encoding>) -> (String, Decoding) {
        let mut s = String::new();
        let mut rdr = DecodeReader::new(bytes, forced);
        rdr.read_to_string(&mut s).unwrap();
        (s, rdr.decoding())
    }

    fn decode(bytes: &[u8], forced: Option<&'static Encoding>) -> String {
        decode_with(bytes, forced).0
    }

    proptest::proptest! {
        #[test]
        fn chunking_never_matters_and_utf8_matches_lossy(
            parts in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::collection::vec(proptest::num::u8::ANY, 0..8),
                    proptest::strategy::Just("é—“日本”".as_bytes().to_vec()),
                    proptest::strategy::Just(b"plain ascii text ".to_vec()),
                    // A UTF-8 BOM, first or not.
                    proptest::strategy::Just(b"\xef\xbb\xbf".to_vec()),
                ],
                0..40,
            ),
            src in 1usize..40,
            dst in 1usize..40,
        ) {
            let input: Vec<u8> = parts.concat();
            let (whole, d) = decode_with(&input, None);
            proptest::prop_assert_eq!(&decode_chunked(&input, src, dst), &whole);
            if d.encoding == UTF_8 && d.source == EncodingSource::Utf8 {
                proptest::prop_assert_eq!(&whole, &String::from_utf8_lossy(&input));
            }
        }
    }

    /// Reads with every combination of small source and sink chunks. Each
    /// time the reader says that it has ended, the next read gives nothing.
    fn decode_chunked(bytes: &[u8], src: usize, dst: usize) -> String {
        use crate::lines::Ends;
        let mut rdr = DecodeReader::new(Trickle(bytes, src), None);
        let mut out = Vec::new();
        let mut buf = vec![0u8; dst];
        loop {
            let ended = rdr.at_end();
            let n = rdr.read(&mut buf).unwrap();
            assert!(!ended || n == 0, "said it had ended, then read {n} bytes");
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        String::from_utf8(out).unwrap()
    }

    /// A small text read whole (the sniffing reads to its end) is known to
    /// have ended once it is all handed out, in UTF-8 or another encoding;
    /// not while an incomplete character at its end is still to become a
    /// U+FFFD.
    #[test]
    fn known_to_have_ended() {
        use crate::lines::Ends;
        let read_once = |bytes: &[u8]| {
            let mut rdr = DecodeReader::new(Trickle(bytes, 3), None);
            assert!(!rdr.at_end());
            let mut buf = vec![0u8; 1024];
            let n = rdr.read(&mut buf).unwrap();
            let first = String::from_utf8(buf[..n].to_vec()).unwrap();
            let ended = rdr.at_end();
            let rest = rdr.read(&mut buf).unwrap();
            (first, ended, rest, rdr.at_end())
        };
        assert_eq!(
            read_once(b"one\ntwo"),
            ("one\ntwo".to_string(), true, 0, true)
        );
        // (The incomplete character waits for more input, in case it comes.)
        assert_eq!(
            read_once(b"one\ntw\xe2\x80"),
            ("one\ntw".to_string(), false, 3, true)
        );
        assert_eq!(
            read_once(b"caf\xe9 and na\xefve"),
            ("café and naïve".to_string(), true, 0, true)
        );
    }

    #[test]
    fn utf8_passes_and_boms_are_removed() {
        assert_eq!(decode("héllo".as_bytes(), None), "héllo");
        assert_eq!(decode(b"\xef\xbb\xbfhi", None), "hi");
        assert_eq!(decode(b"\xff\xfeh\x00i\x00", None), "hi");
        assert_eq!(decode(b"\xfe\xff\x00h\x00i", None), "hi");
        let (_, d) = decode_with(b"\xff\xfeh\x00i\x00", None);
        assert_eq!(d.encoding, encoding_rs::UTF_16LE);
        assert_eq!(d.source, EncodingSource::Bom);
    }

    #[test]
    fn empty_and_bom_only_inputs() {
        for input in [
            &b""[..],
            b"\xef\xbb\xbf",
            b"\xff\xfe",
            b"\xfe\xff",
            b"\xef\xbb",
        ] {
            let want = if input == b"\xef\xbb" { "\u{fffd}" } else { "" };
            assert_eq!(decode(input, None), want, "{input:?}");
            assert_eq!(decode_chunked(input, 1, 1), want, "{input:?}");
        }
    }

    #[test]
    fn invalid_utf8_after_a_valid_prefix_becomes_replacement() {
        let mut input = "é".repeat(SNIFF_LEN).into_bytes();
        let bad_at = input.len() as u64 + 1;
        input.extend_from_slice(b"a\xffb\xe2\x80");
        let (s, d) = decode_with(&input, None);
        assert!(
            s.ends_with("a\u{fffd}b\u{fffd}"),
            "{:?}",
            &s[s.len() - 10..]
        );
        assert_eq!(d.encoding, UTF_8);
        assert_eq!(d.replaced, 2);
        assert_eq!(d.first_replaced, Some(bad_at));
    }

    #[test]
    fn truncated_mid_character() {
        let (s, d) = decode_with(b"caf\xc3", None);
        assert_eq!(s, "caf\u{fffd}");
        assert_eq!(d.source, EncodingSource::Utf8);
        assert_eq!((d.replaced, d.first_replaced), (1, Some(3)));
    }

    #[test]
    fn damaged_utf8_is_still_utf8() {
        let mut input = "Crème brûlée à la carte, déjà vu. ".repeat(4).into_bytes();
        input.push(0xff);
        input.extend_from_slice("Fin.".as_bytes());
        let (s, d) = decode_with(&input, None);
        assert_eq!(d.source, EncodingSource::Utf8);
        assert!(s.ends_with("vu. \u{fffd}Fin."), "{s:?}");
        assert_eq!(d.replaced, 1);
    }

    #[test]
    fn forced_legacy_encoding() {
        let w1252 = Encoding::for_label(b"windows-1252");
        assert_eq!(decode(b"\x93hi\x94 caf\xe9", w1252), "“hi” café");
    }

    #[test]
    fn windows_1252_is_detected() {
        let text = b"\x93The caf\xe9 is closed,\x94 she said. \x93We\x92re sorry.\x94\n";
        let (s, d) = decode_with(text, None);
        assert_eq!(s, "“The café is closed,” she said. “We’re sorry.”\n");
        assert_eq!(d.source, EncodingSource::Detected);
    }

    #[test]
    fn any_chunking_gives_the_same_text() {
        for reps in [50, 2000] {
            // 50: a short, invalid prefix (detected); 2000: a valid 64 KiB
            // prefix, so the invalid tail takes the UTF-8 slow path.
            let mut input = "naïve café — “quoted” 日本語 ".repeat(reps).into_bytes();
            input.extend_from_slice(b"\xff tail \xc3\xa9\xf0\x9f\x98");
            let want = decode(&input, None);
            if reps == 2000 {
                assert!(want.ends_with("\u{fffd} tail é\u{fffd}"), "{want:?}");
            }
            for src in [1, 2, 3, 5, 7, 64, 4096] {
                for dst in [1, 2, 3, 4, 7, 8, 9, 16, 100, 65536] {
                    assert_eq!(
                        decode_chunked(&input, src, dst),
                        want,
                        "src {src} dst {dst}"
                    );
                }
            }
        }
    }
}
