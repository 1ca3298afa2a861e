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
//! Tokens shorter than seven bytes, and those whose every run of windows
//! holds a common one (`get the`), are few: they are searched all at once
//! with Teddy (SIMD), except those of one or two bytes (and all of them
//! where Teddy is not available), which get a `memmem` pass each.
//!
//! The text and tokens are compared as bytes: the caller lowercases both.

use aho_corasick::{Span, packed};
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
    /// `(hash, window, token, offset of the window in the token)`, sorted
    /// by hash.
    windows: Vec<(u32, u32, u32, u32)>,
    /// Where the windows of each bucket of hashes (the top `BUCKET_BITS`
    /// bits of the hash) start in `windows`, and where the last ends: the
    /// few windows with a hash are found without a binary search.
    buckets: Vec<u32>,
    tokens: Vec<Vec<u8>>,
    /// The first eight bytes of each token (fewer, zero-padded, for a
    /// shorter one) and the mask of them ([`head`]): most windows that
    /// [`Grams::check`] finds are a token's window inside another word
    /// (`want`, `phot`), and one compare of eight bytes rejects them
    /// without comparing the token.
    heads: Vec<(u64, u64)>,
    /// Searches (Teddy, SIMD) for the tokens of three bytes or more that
    /// are shorter than `MIN_LEN` or have no run of rare windows (see
    /// [`rarest_windows`]). `None` where the CPU has no Teddy.
    teddy: Option<packed::Searcher>,
    /// For each of Teddy's patterns (by its id), the tokens that can occur
    /// where it does: those it is a prefix of or that are a prefix of it,
    /// itself included. Two tokens found at one offset are both prefixes of
    /// the text there, so one is a prefix of the other.
    teddy_family: Vec<Vec<u32>>,
    /// The other tokens without windows (the shortest, or all of them
    /// without Teddy), each with its own `memmem` searcher.
    each: Vec<(u32, memmem::Finder<'static>)>,
}

impl Grams {
    /// Tokens must not be empty.
    pub fn new(tokens: &[Vec<u8>]) -> Grams {
        let mut table = Box::new([0u64; TABLE_WORDS]);
        let mut windows = Vec::new();
        let mut short_ids = Vec::new();
        let mut common: Vec<u32> = COMMON_WINDOWS
            .iter()
            .map(|w| hash(u32::from_le_bytes(**w)))
            .collect();
        common.sort_unstable();
        for (i, t) in tokens.iter().enumerate() {
            assert!(!t.is_empty(), "empty token");
            let Some(first) = rarest_windows(t, &common) else {
                short_ids.push(i as u32);
                continue;
            };
            for at in first..first + STRIDE {
                let w = window(t, at);
                let h = hash(w);
                table[(h / 64) as usize] |= 1 << (h % 64);
                windows.push((h, w, i as u32, at as u32));
            }
        }
        windows.sort_unstable();
        let buckets = (0..=1u32 << BUCKET_BITS)
            .map(|b| windows.partition_point(|w| bucket(w.0) < b) as u32)
            .collect();
        // Teddy fingerprints the first bytes of its tokens, up to three:
        // tokens of one or two bytes would blunt it, and get a `memmem` each.
        let (teddy_ids, tiny_ids): (Vec<u32>, Vec<u32>) = short_ids
            .iter()
            .partition(|&&i| tokens[i as usize].len() >= 3);
        let teddy = packed::Config::new()
            .builder()
            .extend(teddy_ids.iter().map(|&i| &tokens[i as usize]))
            .build()
            .filter(|_| !teddy_ids.is_empty());
        let (teddy_ids, each_ids) = match teddy {
            Some(_) => (teddy_ids, tiny_ids),
            None => (Vec::new(), short_ids),
        };
        let teddy_family = teddy_ids
            .iter()
            .map(|&p| {
                let p = &tokens[p as usize];
                let related = |&&t: &&u32| {
                    let t = &tokens[t as usize];
                    t.starts_with(p) || p.starts_with(t)
                };
                teddy_ids.iter().filter(related).copied().collect()
            })
            .collect();
        let each = each_ids
            .into_iter()
            .map(|i| (i, memmem::Finder::new(&tokens[i as usize]).into_owned()))
            .collect();
        Grams {
            table,
            windows,
            buckets,
            tokens: tokens.to_vec(),
            heads: tokens.iter().map(|t| head(t)).collect(),
            teddy,
            teddy_family,
            each,
        }
    }

    /// Calls `found(token, start)` for every occurrence of a token in `hay`,
    /// in no particular order.
    pub fn find_all(&self, hay: &[u8], mut found: impl FnMut(u32, usize)) {
        if let Some(teddy) = &self.teddy {
            // Restarted one byte after each match, so that overlapping
            // occurrences are found too; where several tokens start at one
            // offset, each is compared there: Teddy reports one of them, and
            // the others are in its family.
            let mut from = 0;
            while let Some(m) = teddy.find_in(hay, Span::from(from..hay.len())) {
                for &id in &self.teddy_family[m.pattern().as_usize()] {
                    if hay[m.start()..].starts_with(&self.tokens[id as usize]) {
                        found(id, m.start());
                    }
                }
                from = m.start() + 1;
            }
        }
        for (id, f) in &self.each {
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
        // The windows at multiples of four are the text's four-byte chunks.
        const _: () = assert!(STRIDE == 4);
        // Whether the bit of the window at the start of `w` is set.
        let set = |w: &[u8]| {
            let h = hash(u32::from_le_bytes([w[0], w[1], w[2], w[3]]));
            // `h / 64` is below `TABLE_WORDS`: no bounds check.
            table[(h / 64) as usize % TABLE_WORDS] & (1 << (h % 64)) != 0
        };
        // Sixteen bytes a turn: the loop's own count and test once per four
        // windows.
        let mut quads = hay.chunks_exact(16);
        for (n, q) in quads.by_ref().enumerate() {
            for k in 0..4 {
                if set(&q[4 * k..]) {
                    let i = n * 16 + 4 * k;
                    self.check(hay, i, &mut found);
                }
            }
        }
        let done = hay.len() - quads.remainder().len();
        for (n, w) in quads.remainder().chunks_exact(4).enumerate() {
            if set(w) {
                let i = done + n * STRIDE;
                self.check(hay, i, &mut found);
            }
        }
    }

    /// The tokens with the window of `hay` at `i` (whose bit is set),
    /// compared where that window would put them.
    #[cold]
    fn check(&self, hay: &[u8], i: usize, found: &mut impl FnMut(u32, usize)) {
        let w = window(hay, i);
        let b = bucket(hash(w)) as usize;
        let range = self.buckets[b] as usize..self.buckets[b + 1] as usize;
        // The window itself, not only its hash: most bits that are set
        // were set by other windows.
        for &(_, tw, id, at) in &self.windows[range] {
            if tw != w {
                continue;
            }
            let Some(start) = i.checked_sub(at as usize) else {
                continue;
            };
            let (want, mask) = self.heads[id as usize];
            if let Some(eight) = hay.get(start..start + 8)
                && u64::from_le_bytes(eight.try_into().expect("eight bytes")) & mask != want
            {
                continue;
            }
            if hay[start..].starts_with(&self.tokens[id as usize]) {
                found(id, start);
            }
        }
    }
}

/// Buckets of window hashes in `Grams::buckets`: a thousand, about one
/// window each for the built-in patterns' three hundred tokens.
const BUCKET_BITS: u32 = 10;

fn bucket(h: u32) -> u32 {
    h >> (TABLE_BITS - BUCKET_BITS)
}

#[inline]
fn window(s: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([s[at], s[at + 1], s[at + 2], s[at + 3]])
}

/// The first eight bytes of `token` as a little-endian word (zero-padded
/// when it is shorter), with the mask of the bytes it has.
fn head(token: &[u8]) -> (u64, u64) {
    let n = token.len().min(8);
    let mut bytes = [0u8; 8];
    bytes[..n].copy_from_slice(&token[..n]);
    let mask = if n == 8 {
        u64::MAX
    } else {
        (1u64 << (8 * n)) - 1
    };
    (u64::from_le_bytes(bytes), mask)
}

/// Multiplicative (Fibonacci) hashing to `TABLE_BITS` bits.
#[inline]
fn hash(w: u32) -> u32 {
    w.wrapping_mul(0x9E37_79B1) >> (32 - TABLE_BITS)
}

/// The offset of the `STRIDE` consecutive windows of `token` least likely
/// in English text, by the sum of their [`window_cost`]; `None` when the
/// token is too short, or when every such run has one of the most common
/// windows (`get the`): such tokens are searched on their own. `common`
/// holds the hashes of [`COMMON_WINDOWS`], sorted.
fn rarest_windows(token: &[u8], common: &[u32]) -> Option<usize> {
    if token.len() < MIN_LEN {
        return None;
    }
    let costs: Vec<f64> = token.windows(4).map(|w| window_cost(w, common)).collect();
    let run = |at: usize| -> f64 { costs[at..at + STRIDE].iter().sum() };
    (0..=token.len() - MIN_LEN)
        .min_by(|&a, &b| run(a).total_cmp(&run(b)))
        .filter(|&at| run(at) < COMMON_COST)
}

/// The 256 most common four-byte windows of lowercased English news prose
/// (counted over the scraped-article corpus, most common first). Together
/// they make up a fifth of all windows of prose, so a token window among
/// them would be looked at all the time; the byte-frequency model alone
/// rates some of them (` the`) as rare.
const COMMON_WINDOWS: [&[u8; 4]; 256] = [
    b" the", b"the ", b"ing ", b"and ", b" and", b" to ", b" of ", b" in ", b"her ", b" tha",
    b"hat ", b"that", b" her", b" for", b"with", b" wit", b" on ", b"ith ", b"his ", b"n th",
    b"for ", b"t th", b" she", b" was", b" is ", b"tion", b"d th", b"ther", b"was ", b"she ",
    b" you", b"ng t", b"he s", b"ed t", b"e th", b" thi", b"ted ", b"out ", b"s th", b"ter ",
    b"f th", b"e to", b"of t", b"ting", b" it ", b" at ", b"ion ", b" as ", b"d to", b"in t",
    b" his", b"he w", b"s an", b"r th", b" hav", b" sta", b" he ", b"ave ", b"ere ", b"he c",
    b"ent ", b"this", b"ng a", b"atio", b"thin", b"you ", b", an", b"on t", b" sho", b"nd t",
    b" be ", b"have", b"e of", b"at t", b"but ", b"e an", b"ight", b", th", b"een ", b"ever",
    b"g th", b"they", b"are ", b"er t", b" not", b"lly ", b" has", b" con", b"here", b"e in",
    b"ment", b"one ", b"ed a", b"hing", b"to t", b"nce ", b" but", b"ding", b"ally", b" fro",
    b"all ", b"has ", b" rea", b" new", b" com", b"s to", b"heir", b" eve", b"from", b"e wa",
    b" all", b"o th", b"he p", b"hen ", b"ring", b" abo", b"rom ", b"abou", b"s a ", b"bout",
    b"thei", b" are", b"red ", b"er a", b"eir ", b"our ", b"time", b"e co", b" out", b"t to",
    b" whe", b" who", b"king", b"hey ", b"ore ", b"year", b"s of", b" 201", b" pro", b"he f",
    b"ill ", b"s in", b"ould", b" whi", b"othe", b"just", b"not ", b" cou", b"star", b"e re",
    b"t of", b"he t", b"he a", b"e ha", b"like", b" by ", b"ver ", b"in a", b". th", b"g to",
    b" a s", b"ght ", b"est ", b" wor", b"as a", b"er, ", b"he m", b" jus", b", wh", b" an ",
    b"ust ", b" pre", b" lik", b"to b", b"he b", b"he r", b"old ", b"son ", b" tim", b" mar",
    b" wil", b"n a ", b"ions", b"show", b"ess ", b"who ", b"some", b"when", b"d in", b" sai",
    b"will", b" mor", b"port", b"ough", b"very", b" int", b"to s", b"how ", b"said", b"e be",
    b"ome ", b"n an", b"e a ", b"d a ", b"er s", b"fter", b"nd s", b"nd a", b"h th", b"more",
    b"t wa", b"afte", b"new ", b" so ", b"ut t", b"or t", b" we ", b" bee", b" one", b"e sh",
    b" cha", b"ate ", b" my ", b" had", b"uld ", b"real", b"been", b"he d", b"ers ", b" see",
    b"ike ", b" get", b"sing", b"he h", b" som", b"d he", b"s be", b" act", b" can", b" yea",
    b"on a", b" up ", b"what", b" par", b"ple ", b"over", b"nd h", b"nd i", b"ress", b"had ",
    b"ive ", b" aft", b"ed o", b"es a", b"e st", b"sed ",
];

/// Above any product of four byte frequencies (180^4 is about 1e9).
const COMMON_COST: f64 = 1e12;

/// The relative likelihood of window `w` in English prose: the product of
/// rough byte frequencies, raised for the most common windows and for those
/// that share their bit in the table (`common_hashes`, sorted).
fn window_cost(w: &[u8], common_hashes: &[u32]) -> f64 {
    let base: f64 = w.iter().map(|&b| freq(b)).product();
    // A window that hashes like a common one sets the same bit.
    if common_hashes.binary_search(&hash(window(w, 0))).is_ok() {
        base + COMMON_COST
    } else {
        base
    }
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
