//! A multi-literal searcher for many tokens in text where they are rare: a
//! filter on hashed four-byte windows, looked at every fourth byte.
//!
//! A token of seven bytes or more holds four windows of four bytes that
//! start at consecutive offsets; whatever the offset at which the token
//! occurs in the text, one of these four windows starts at a multiple of
//! four there. So the search hashes only the windows of the text that start
//! at multiples of four, and looks each up in a table of 128 Ki bits (16
//! KiB, so it stays in the L1 cache) where every token has set the bits of its
//! four windows. Only where a bit is set are the tokens with that window
//! compared. Each token uses the four consecutive windows least likely in
//! English text (rare letters and punctuation beat `e`, `t` and spaces), so
//! that bits are rarely set by prose.
//!
//! The inner loop is a load, a multiply, a shift and a bit test per four
//! bytes, whatever the number of tokens: an automaton over a few hundred
//! tokens walks a large table and is several times slower, and SIMD literal
//! search (Teddy) slows down past a few dozen tokens that share prefixes.
//!
//! Tokens shorter than seven bytes (few) are searched one by one with
//! `memmem`.
//!
//! The text and tokens are compared as bytes: the caller lowercases both.

use memchr::memmem;

const TABLE_BITS: u32 = 17;
const TABLE_WORDS: usize = 1 << (TABLE_BITS - 6);
/// Windows are looked at every `STRIDE` bytes; a token needs `STRIDE`
/// windows of four bytes, so at least `STRIDE + 3` bytes.
const STRIDE: usize = 4;
const MIN_LEN: usize = STRIDE + 3;

/// Finds every occurrence of every token (overlaps included).
#[derive(Debug)]
pub(crate) struct Grams {
    /// Bit `h` is set when some token's window hashes to `h`.
    table: Box<[u64; TABLE_WORDS]>,
    /// `(hash, token, offset of the window in the token)`, sorted by hash.
    windows: Vec<(u32, u32, u32)>,
    tokens: Vec<Vec<u8>>,
    /// Tokens shorter than `MIN_LEN`: `(token, finder)`.
    short: Vec<(u32, memmem::Finder<'static>)>,
}

impl Grams {
    /// Tokens must not be empty.
    pub fn new(tokens: &[Vec<u8>]) -> Grams {
        let mut table = Box::new([0u64; TABLE_WORDS]);
        let mut windows = Vec::new();
        let mut short = Vec::new();
        for (i, t) in tokens.iter().enumerate() {
            assert!(!t.is_empty(), "empty token");
            if t.len() < MIN_LEN {
                short.push((i as u32, memmem::Finder::new(t).into_owned()));
                continue;
            }
            let first = rarest_windows(t);
            for at in first..first + STRIDE {
                let h = hash(window(t, at));
                table[(h / 64) as usize] |= 1 << (h % 64);
                windows.push((h, i as u32, at as u32));
            }
        }
        windows.sort_unstable();
        Grams {
            table,
            windows,
            tokens: tokens.to_vec(),
            short,
        }
    }

    /// Calls `found(token, start)` for every occurrence of a token in `hay`,
    /// in no particular order.
    pub fn find_all(&self, hay: &[u8], mut found: impl FnMut(u32, usize)) {
        for (id, f) in &self.short {
            // `find_iter` would skip overlapping occurrences (`aa` in `aaa`).
            let mut from = 0;
            while let Some(at) = f.find(&hay[from..]) {
                found(*id, from + at);
                from += at + 1;
            }
        }
        if self.windows.is_empty() {
            return;
        }
        let table = &*self.table;
        for (n, w) in hay.windows(4).step_by(STRIDE).enumerate() {
            let h = hash(u32::from_le_bytes([w[0], w[1], w[2], w[3]]));
            // `h / 64` is below `TABLE_WORDS`: no bounds check.
            if table[(h / 64) as usize % TABLE_WORDS] & (1 << (h % 64)) != 0 {
                self.check(hay, n * STRIDE, h, &mut found);
            }
        }
    }

    /// The tokens with a window that hashes to `h`, compared where that
    /// window would put them (the window is at `i`).
    #[cold]
    fn check(&self, hay: &[u8], i: usize, h: u32, found: &mut impl FnMut(u32, usize)) {
        let first = self.windows.partition_point(|w| w.0 < h);
        for &(wh, id, at) in &self.windows[first..] {
            if wh != h {
                break;
            }
            let token = &self.tokens[id as usize];
            if let Some(start) = i.checked_sub(at as usize)
                && hay[start..].starts_with(token)
            {
                found(id, start);
            }
        }
    }
}

#[inline]
fn window(s: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([s[at], s[at + 1], s[at + 2], s[at + 3]])
}

/// Multiplicative (Fibonacci) hashing to `TABLE_BITS` bits.
#[inline]
fn hash(w: u32) -> u32 {
    w.wrapping_mul(0x9E37_79B1) >> (32 - TABLE_BITS)
}

/// The offset of the `STRIDE` consecutive windows of `token` least likely
/// in English text, by the sum over them of the product of rough byte
/// frequencies (in parts per thousand).
fn rarest_windows(token: &[u8]) -> usize {
    let cost = |at: usize| -> f64 { token[at..at + 4].iter().map(|&b| freq(b)).product() };
    let run = |at: usize| -> f64 { (at..at + STRIDE).map(cost).sum() };
    (0..=token.len() - MIN_LEN)
        .min_by(|&a, &b| run(a).total_cmp(&run(b)))
        .expect("token has MIN_LEN bytes or more")
}

/// Rough frequency of a byte in lowercased English prose, per thousand.
fn freq(b: u8) -> f64 {
    match b {
        b' ' => 180.0,
        b'e' => 100.0,
        b't' => 72.0,
        b'a' => 65.0,
        b'o' => 60.0,
        b'i' | b'n' => 57.0,
        b's' => 53.0,
        b'h' | b'r' => 50.0,
        b'd' => 35.0,
        b'l' => 33.0,
        b'c' | b'u' => 23.0,
        b'm' => 20.0,
        b'w' | b'f' => 18.0,
        b'g' | b'y' => 16.0,
        b'p' => 15.0,
        b'b' => 12.0,
        b',' | b'.' => 10.0,
        b'v' => 8.0,
        b'k' => 6.0,
        b'0'..=b'9' => 3.0,
        b'x' | b'j' | b'q' | b'z' => 1.5,
        b'\'' | b'"' | b'-' => 2.0,
        // Other punctuation, and bytes of non-ASCII characters.
        _ => 1.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn naive(tokens: &[Vec<u8>], hay: &[u8]) -> Vec<(u32, usize)> {
        let mut out = Vec::new();
        for (i, t) in tokens.iter().enumerate() {
            for s in 0..hay.len() {
                if hay[s..].starts_with(t) {
                    out.push((i as u32, s));
                }
            }
        }
        out.sort_unstable();
        out
    }

    fn fast(tokens: &[Vec<u8>], hay: &[u8]) -> Vec<(u32, usize)> {
        let g = Grams::new(tokens);
        let mut out = Vec::new();
        g.find_all(hay, |id, at| out.push((id, at)));
        out.sort_unstable();
        out
    }

    #[test]
    fn finds_overlaps_and_short_tokens() {
        let tokens: Vec<Vec<u8>> = ["getty images", "images", "—", "(@", "getty", "gettygetty"]
            .iter()
            .map(|t| t.as_bytes().to_vec())
            .collect();
        let hay = "photo: getty images — (@x) gettygetty".as_bytes();
        assert_eq!(fast(&tokens, hay), naive(&tokens, hay));
        assert_eq!(fast(&tokens, hay).len(), 8);
    }

    proptest! {
        #[test]
        fn agrees_with_naive_search(
            tokens in prop::collection::vec("[ab c(]{1,10}", 1..12),
            hay in "[ab c(\n]{0,200}",
        ) {
            let tokens: Vec<Vec<u8>> = tokens.into_iter().map(String::into_bytes).collect();
            prop_assert_eq!(fast(&tokens, hay.as_bytes()), naive(&tokens, hay.as_bytes()));
        }
    }
}
