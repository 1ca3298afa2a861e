//! The matcher's search for its keys' windows (see `matcher::key_window`):
//! about four hundred patterns of one to four bytes, found at every offset
//! of the few lines that reach the matcher.
//!
//! At each offset of the text, two lookups in bit tables, with no branch
//! between them: the hash of the four bytes there (one bit per window of
//! four bytes: 32 Ki bits for the built-in patterns, more for many more,
//! so that at most one bit in 64 is set) and the two bytes there (one bit
//! per first two bytes of a shorter window, all 64 Ki pairs). Only where a bit is set are
//! the windows compared. The lookups at one offset do not wait for those at
//! the one before, where a DFA's walk does: a DFA of these windows takes
//! 0.5 MB, and each step was a load from the L2 cache or further (about 17
//! cycles a byte on the lines the matcher reads).
//!
//! The text is compared as bytes: the caller lowercases it.

use crate::grams::hash_to as hash;

/// The fewest and the most bits of the hash of a window of four bytes.
const FOUR_BITS: std::ops::RangeInclusive<u32> = 15..=24;

/// How many more hashes than buckets of them in `Windows::four_from`.
const PER_BUCKET_BITS: u32 = 5;

/// Finds every occurrence of every window (overlaps included).
#[derive(Debug)]
pub(crate) struct Windows {
    /// Bits of the hash of a window of four bytes: `FOUR_BITS`, as many as
    /// 64 for each such window need.
    bits: u32,
    /// Bit `hash(w)` is set for each window `w` of four bytes.
    fours_table: Vec<u64>,
    /// `(hash, window, id)` of the windows of four bytes, sorted.
    fours: Vec<(u32, u32, u32)>,
    /// Where the fours of each bucket of hashes (all but their last
    /// `PER_BUCKET_BITS` bits) start in `fours`, and where the last ends.
    four_from: Vec<u32>,
    /// Bit `b0 | b1 << 8` is set for the first two bytes of each shorter
    /// window, and for a window of one byte `b0`, with every `b1`.
    twos_table: Box<[u64; 1 << 10]>,
    /// The windows shorter than four bytes, with their ids, sorted.
    shorts: Vec<(Vec<u8>, u32)>,
    /// Where the shorts that start with each byte start in `shorts`, and
    /// where the last ends.
    short_from: Vec<u32>,
}

impl Windows {
    /// `windows[id]` is the window with that id: one to four bytes.
    pub fn new(windows: &[Vec<u8>]) -> Windows {
        let n_fours = windows.iter().filter(|w| w.len() == 4).count();
        let bits = (n_fours * 64)
            .next_power_of_two()
            .trailing_zeros()
            .clamp(*FOUR_BITS.start(), *FOUR_BITS.end());
        let mut fours_table = vec![0u64; 1 << (bits - 6)];
        let mut twos_table = Box::new([0u64; 1 << 10]);
        let mut fours = Vec::new();
        let mut shorts = Vec::new();
        for (id, w) in windows.iter().enumerate() {
            let id = id as u32;
            match w.len() {
                4 => {
                    let w = u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
                    let h = hash(w, bits);
                    fours_table[(h / 64) as usize] |= 1 << (h % 64);
                    fours.push((h, w, id));
                }
                1..=3 => {
                    let seconds = match w.get(1) {
                        Some(&b) => b..=b,
                        None => 0..=255,
                    };
                    for b1 in seconds {
                        let t = usize::from(w[0]) | usize::from(b1) << 8;
                        twos_table[t / 64] |= 1 << (t % 64);
                    }
                    shorts.push((w.clone(), id));
                }
                n => panic!("a window of {n} bytes"),
            }
        }
        fours.sort_unstable();
        let four_from = (0..=1u32 << (bits - PER_BUCKET_BITS))
            .map(|b| fours.partition_point(|f| f.0 >> PER_BUCKET_BITS < b) as u32)
            .collect();
        shorts.sort_unstable();
        let short_from = (0..=256)
            .map(|b| shorts.partition_point(|(s, _)| usize::from(s[0]) < b) as u32)
            .collect();
        Windows {
            bits,
            fours_table,
            fours,
            four_from,
            twos_table,
            shorts,
            short_from,
        }
    }

    /// Calls `found(id, start)` for every occurrence of a window in `hay`,
    /// by start; stops, returning false, when `found` does.
    #[inline]
    pub fn find(&self, hay: &[u8], mut found: impl FnMut(u32, usize) -> bool) -> bool {
        let four_set = |w: u32| {
            let h = hash(w, self.bits);
            // `h / 64` is below the table's length, a power of two: the
            // mask changes nothing and spares a bounds check (a `%` here
            // was a division at every offset).
            let table = &self.fours_table;
            table[(h / 64) as usize & (table.len() - 1)] & (1 << (h % 64)) != 0
        };
        let two_set = |t: usize| self.twos_table[t / 64] & (1 << (t % 64)) != 0;
        let n = hay.len();
        let mut i = 0;
        while i + 4 <= n {
            let w = u32::from_le_bytes([hay[i], hay[i + 1], hay[i + 2], hay[i + 3]]);
            // Both lookups always: `|`, not `||`.
            let (four, two) = (four_set(w), two_set((w & 0xffff) as usize));
            if four | two && !self.at(hay, i, four.then_some(w), two, &mut found) {
                return false;
            }
            i += 1;
        }
        while i < n {
            let t = usize::from(hay[i]) | usize::from(hay.get(i + 1).copied().unwrap_or(0)) << 8;
            if two_set(t) && !self.at(hay, i, None, true, &mut found) {
                return false;
            }
            i += 1;
        }
        true
    }

    /// The windows at `i`: of four bytes when their bytes there, `w`, have
    /// their bit set; shorter ones when `shorts` (the bit of the two bytes
    /// there is set).
    #[cold]
    fn at(
        &self,
        hay: &[u8],
        i: usize,
        w: Option<u32>,
        shorts: bool,
        found: &mut impl FnMut(u32, usize) -> bool,
    ) -> bool {
        if let Some(w) = w {
            let b = (hash(w, self.bits) >> PER_BUCKET_BITS) as usize;
            let range = self.four_from[b] as usize..self.four_from[b + 1] as usize;
            for &(_, fw, id) in &self.fours[range] {
                if fw == w && !found(id, i) {
                    return false;
                }
            }
        }
        if shorts {
            let b = usize::from(hay[i]);
            let range = self.short_from[b] as usize..self.short_from[b + 1] as usize;
            for (s, id) in &self.shorts[range] {
                if hay[i..].starts_with(s) && !found(*id, i) {
                    return false;
                }
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn naive(windows: &[Vec<u8>], hay: &[u8]) -> Vec<(u32, usize)> {
        let mut out = Vec::new();
        for i in 0..hay.len() {
            for (id, w) in windows.iter().enumerate() {
                if hay[i..].starts_with(w) {
                    out.push((id as u32, i));
                }
            }
        }
        out.sort_unstable();
        out
    }

    fn fast(windows: &[Vec<u8>], hay: &[u8]) -> Vec<(u32, usize)> {
        let mut out = Vec::new();
        assert!(Windows::new(windows).find(hay, |id, at| {
            out.push((id, at));
            true
        }));
        out.sort_unstable();
        out
    }

    /// Windows of every length, overlapping, at the start and the end of
    /// the text, one a prefix of another.
    #[test]
    fn finds_every_occurrence() {
        let windows: Vec<Vec<u8>> = ["\t", "ad", "ads", "abcd", "bcda", "  ", "\u{a0}", "zzzz"]
            .iter()
            .map(|w| w.as_bytes().to_vec())
            .collect();
        for hay in [
            "ads abcda\tad",
            "\t",
            "ad",
            "zzzzzz",
            "abcdabcda  \u{a0}ads",
            "",
            "a",
        ] {
            assert_eq!(
                fast(&windows, hay.as_bytes()),
                naive(&windows, hay.as_bytes()),
                "{hay:?}"
            );
        }
    }

    /// Many windows get a larger table: at most one bit in 64 set.
    #[test]
    fn many_windows_keep_the_table_sparse() {
        let windows: Vec<Vec<u8>> = (0..20_000u32)
            .map(|i| format!("{:04}", i % 10_000).into_bytes())
            .chain((0..300u32).map(|i| format!("{}", i % 100).into_bytes()))
            .collect();
        let w = Windows::new(&windows);
        let set: u32 = w.fours_table.iter().map(|x| x.count_ones()).sum();
        assert!(set as usize <= w.fours_table.len(), "{set}");
        assert_eq!(w.bits, 21);
        let hay = b"0042 and 9999 in 17 of 2026";
        assert_eq!(fast(&windows, hay), naive(&windows, hay));
    }

    #[test]
    fn stops_when_asked() {
        let w = Windows::new(&[b"ab".to_vec(), b"abcd".to_vec()]);
        let mut seen = 0;
        assert!(!w.find(b"xxabcdab", |_, _| {
            seen += 1;
            false
        }));
        assert_eq!(seen, 1);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn agrees_with_naive_search(
            windows in prop::collection::vec(prop::collection::vec(prop::sample::select(&b"abc \t\xc2\xa0"[..]), 1..=4), 1..12),
            hay in prop::collection::vec(prop::sample::select(&b"abcd \t\xc2\xa0"[..]), 0..40),
        ) {
            prop_assert_eq!(fast(&windows, &hay), naive(&windows, &hay));
        }
    }
}
