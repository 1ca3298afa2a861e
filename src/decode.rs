//! Bytes in any encoding to UTF-8, at the edge of the pipeline.
//!
//! A BOM (UTF-8, UTF-16LE, UTF-16BE) decides the encoding and is removed.
//! Without one, the input is taken as UTF-8 unless an encoding is forced;
//! invalid UTF-8 sequences become U+FFFD. Everything after this stage sees
//! valid UTF-8 only.

use std::io::{self, Read};

use encoding_rs::{Decoder, Encoding, UTF_8};

/// Size of the raw input buffer.
const IN_CHUNK: usize = 64 * 1024;

/// A `Read` adapter that yields UTF-8.
pub(crate) struct DecodeReader<R> {
    rdr: R,
    decoder: Decoder,
    inbuf: Vec<u8>,
    ipos: usize,
    iend: usize,
    eof: bool,
    done: bool,
    /// Decoded bytes that did not fit a tiny caller buffer.
    spill: [u8; 16],
    spill_pos: usize,
    spill_len: usize,
}

impl<R: Read> DecodeReader<R> {
    /// `forced`: decode as this encoding (a BOM still wins, as in browsers).
    pub fn new(rdr: R, forced: Option<&'static Encoding>) -> DecodeReader<R> {
        let decoder = forced.unwrap_or(UTF_8).new_decoder();
        DecodeReader {
            rdr,
            decoder,
            inbuf: vec![0; IN_CHUNK],
            ipos: 0,
            iend: 0,
            eof: false,
            done: false,
            spill: [0; 16],
            spill_pos: 0,
            spill_len: 0,
        }
    }
}

impl<R: Read> Read for DecodeReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        if self.spill_pos < self.spill_len {
            let n = out.len().min(self.spill_len - self.spill_pos);
            out[..n].copy_from_slice(&self.spill[self.spill_pos..self.spill_pos + n]);
            self.spill_pos += n;
            return Ok(n);
        }
        if out.len() < 4 {
            // Too small for one character: decode into the spill buffer.
            let mut spill = [0u8; 16];
            let n = self.read(&mut spill)?;
            if n == 0 {
                return Ok(0);
            }
            self.spill = spill;
            self.spill_len = n;
            self.spill_pos = 0;
            return self.read(out);
        }
        loop {
            if self.done {
                return Ok(0);
            }
            if self.ipos == self.iend && !self.eof {
                self.ipos = 0;
                self.iend = loop {
                    match self.rdr.read(&mut self.inbuf) {
                        Ok(n) => break n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(e),
                    }
                };
                if self.iend == 0 {
                    self.eof = true;
                }
            }
            let (result, read, written, _) =
                self.decoder
                    .decode_to_utf8(&self.inbuf[self.ipos..self.iend], out, self.eof);
            self.ipos += read;
            if self.eof && self.ipos == self.iend && result == encoding_rs::CoderResult::InputEmpty
            {
                self.done = true;
            }
            if written > 0 {
                return Ok(written);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8], forced: Option<&'static Encoding>) -> String {
        let mut s = String::new();
        DecodeReader::new(bytes, forced)
            .read_to_string(&mut s)
            .unwrap();
        s
    }

    #[test]
    fn utf8_passes_and_boms_are_removed() {
        assert_eq!(decode("héllo".as_bytes(), None), "héllo");
        assert_eq!(decode(b"\xef\xbb\xbfhi", None), "hi");
        assert_eq!(decode(b"\xff\xfeh\x00i\x00", None), "hi");
        assert_eq!(decode(b"\xfe\xff\x00h\x00i", None), "hi");
    }

    #[test]
    fn invalid_utf8_becomes_replacement() {
        assert_eq!(decode(b"a\xffb", None), "a\u{fffd}b");
        assert_eq!(decode(b"a\xe2\x80", None), "a\u{fffd}");
    }

    #[test]
    fn forced_legacy_encoding() {
        let w1252 = Encoding::for_label(b"windows-1252");
        assert_eq!(decode(b"\x93hi\x94 caf\xe9", w1252), "“hi” café");
    }
}
