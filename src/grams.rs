//! A multi-literal searcher for many tokens in text where they are rare: a
//! filter on hashed four-byte windows.
//!
//! Each token of four bytes or more is represented by one window of four
//! bytes, the one least likely in English text (rare letters and
//! punctuation beat `e`, `t` and spaces). The hashes of these windows set
//! bits in a table of 64 Ki bits (8 KiB, so it stays in the L1 cache). The
//! search hashes the window at every offset of the text and looks at one
//! bit; only where it is set are the tokens with that window compared. The
//! inner loop is a load, a multiply, a shift and a bit test per byte, with
//! no branch taken on most bytes, whatever the number of tokens: an
//! automaton over a few hundred tokens walks a large table and is several
//! times slower, and SIMD literal search (Teddy) slows down past a few dozen
//! tokens that share prefixes.
//!
//! Tokens shorter than four bytes are searched one by one with `memmem`.
//!
//! The text and tokens are compared as bytes: the caller lowercases both.

use memchr::memmem;

const TABLE_BITS: u32 = 16;
const TABLE_WORDS: usize = 1 << (TABLE_BITS - 6);

/// Finds every occurrence of every token (overlaps included).
#[derive(Debug)]
pub(crate) struct Grams {
    /// Bit `h` is set when some token's window hashes to `h`.
    table: Box<[u64; TABLE_WORDS]>,
    /// `(hash, token, offset of the window in the token)`, sorted by hash.
    windows: Vec<(u32, u32, u32)>,
    tokens: Vec<Vec<u8>>,
    /// Tokens of one to three bytes: `(token, finder)`.
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
            if t.len() < 4 {
                short.push((i as u32, memmem::Finder::new(t).into_owned()));
                continue;
            }
            let at = rarest_window(t);
            let h = hash(window(t, at));
            table[(h / 64) as usize] |= 1 << (h % 64);
            windows.push((h, i as u32, at as u32));
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
        for (i, w) in hay.windows(4).enumerate() {
            let h = hash(u32::from_le_bytes([w[0], w[1], w[2], w[3]]));
            // `h / 64` is below `TABLE_WORDS`: no bounds check.
            if table[(h / 64) as usize % TABLE_WORDS] & (1 << (h % 64)) != 0 {
                self.check(hay, i, h, &mut found);
            }
        }
    }

    /// The tokens whose window hashes to `h`, compared where the window
    /// would put them (the window is at `i`).
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

/// The offset of the window of `token` least likely in English text, by
/// the product of rough byte frequencies (in parts per thousand).
fn rarest_window(token: &[u8]) -> usize {
    let cost = |at: usize| -> f64 { token[at..at + 4].iter().map(|&b| freq(b)).product() };
    (0..=token.len() - 4)
        .min_by(|&a, &b| cost(a).total_cmp(&cost(b)))
        .expect("token has four bytes or more")
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
        let tokens: Vec<Vec<u8>> = ["getty images", "images", "—", "(@", "getty"]
            .iter()
            .map(|t| t.as_bytes().to_vec())
            .collect();
        let hay = "photo: getty images — (@x) gettygetty".as_bytes();
        assert_eq!(fast(&tokens, hay), naive(&tokens, hay));
        assert_eq!(fast(&tokens, hay).len(), 7);
    }

    proptest! {
        #[test]
        fn agrees_with_naive_search(
            tokens in prop::collection::vec("[ab c(]{1,7}", 1..12),
            hay in "[ab c(\n]{0,200}",
        ) {
            let tokens: Vec<Vec<u8>> = tokens.into_iter().map(String::into_bytes).collect();
            prop_assert_eq!(fast(&tokens, hay.as_bytes()), naive(&tokens, hay.as_bytes()));
        }
    }
}
