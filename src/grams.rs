//! A multi-literal searcher for many tokens in text where they are rare: a
//! filter on hashed four-byte windows, looked at every fourth byte.
//!
//! A token of seven bytes or more holds a window of four bytes at each
//! offset modulo four (at 0, 1, 2 and 3, at least); whatever the offset at
//! which the token occurs in the text, the one of these whose offset in the
//! token makes up the difference to a multiple of four starts at a multiple
//! of four there. So the search hashes only the windows of the text that
//! start at multiples of four, and looks each up in a table of 128 Ki bits
//! (16 KiB, so it stays in the L1 cache) where every token has set the bits
//! of four windows, one at each offset modulo four. Only where a bit is set
//! are the eight bytes around the window looked up in a second table
//! ([`Context`]), and only where that bit is set too are the tokens with
//! that window compared. Each token uses, of its
//! windows at each offset modulo four, the one least likely in
//! scraped-article text, by how often each occurs in the corpus
//! ([`WINDOW_COUNTS`], the 4,096 most common windows; the others rated by
//! their bytes, rare letters and punctuation below `e`, `t` and spaces), so
//! that bits are rarely set by prose.
//!
//! The inner loop is a load, a multiply, a shift and a bit test per four
//! bytes, whatever the number of tokens: an automaton over a few hundred
//! tokens walks a large table and is several times slower, and SIMD literal
//! search (Teddy) slows down past a few dozen tokens that share prefixes.
//!
//! Tokens shorter than seven bytes, and those with a common window at every
//! offset of some residue modulo four (`get the`), are few: they are
//! searched by their fingerprints in the first pass over a block
//! (`sentinels`), whose buckets [`short_buckets`] fills ([`Grams::short`]
//! lists them).
//!
//! The text and tokens are compared as bytes: the caller lowercases both.

mod window_counts;
use window_counts::WINDOW_COUNTS;

const TABLE_BITS: u32 = 17;
const TABLE_WORDS: usize = 1 << (TABLE_BITS - 6);
/// The table of contexts: 64 Ki bits (8 KiB), one a window.
const CONTEXT_BITS: u32 = 16;
const CONTEXT_WORDS: usize = 1 << (CONTEXT_BITS - 6);

/// The eight bytes around a token's window, which the search looks up
/// where the window's bit is set, before it compares tokens: the window
/// and the four bytes after it when the token has them (`After`), else
/// the four before it and the window (`Around`); a window with neither
/// (less than four bytes before it and eight from it on) is looked up
/// alone (`Bare`). Each window of a token sets one bit, and wherever the
/// token occurs the text around the window has that bit, so no occurrence
/// is lost.
#[derive(Clone, Copy)]
enum Context {
    After(u64),
    Around(u64),
    Bare(u32),
}

impl Context {
    /// The context of the window at `at` of `token`.
    fn of(token: &[u8], at: usize) -> Context {
        if let Some(after) = eight(token, at) {
            Context::After(after)
        } else if let Some(around) = at.checked_sub(4).and_then(|from| eight(token, from)) {
            Context::Around(around)
        } else {
            Context::Bare(window(token, at))
        }
    }

    /// Its bit in `Grams::context`: the three kinds hashed apart.
    fn bit(self) -> usize {
        let (x, salt) = match self {
            Context::After(x) => (x, 0),
            Context::Around(x) => (x, 0x5555_5555_5555_5555),
            Context::Bare(w) => (u64::from(w), 0xaaaa_aaaa_aaaa_aaaa),
        };
        ((x ^ salt).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - CONTEXT_BITS)) as usize
    }
}

/// Windows are looked at every `STRIDE` bytes; a token needs a window of
/// four bytes at each offset modulo `STRIDE`, so at least `STRIDE + 3`
/// bytes.
const STRIDE: usize = 4;
const MIN_LEN: usize = STRIDE + 3;

/// Finds every occurrence of every token (overlaps included).
#[derive(Debug)]
pub(crate) struct Grams {
    /// Bit `h` is set when some token's window hashes to `h`.
    table: Box<[u64; TABLE_WORDS]>,
    /// The second look, where a bit of `table` is set ([`Context`]).
    context: Box<[u64; CONTEXT_WORDS]>,
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
    /// The tokens that are shorter than `MIN_LEN` or lack rare windows
    /// (see [`rarest_windows`]): [`Grams::find_all`] does not find them.
    short: Vec<u32>,
}

impl Grams {
    /// Tokens must not be empty.
    pub fn new(tokens: &[Vec<u8>]) -> Grams {
        let mut table = Box::new([0u64; TABLE_WORDS]);
        let mut context = Box::new([0u64; CONTEXT_WORDS]);
        let mut windows = Vec::new();
        let mut short_ids = Vec::new();
        let costs = WindowCosts::get();
        for (i, t) in tokens.iter().enumerate() {
            assert!(!t.is_empty(), "empty token");
            let Some(chosen) = rarest_windows(t, costs) else {
                short_ids.push(i as u32);
                continue;
            };
            for at in chosen {
                let w = window(t, at);
                let h = hash(w);
                table[(h / 64) as usize] |= 1 << (h % 64);
                let c = Context::of(t, at).bit();
                context[c / 64] |= 1 << (c % 64);
                windows.push((h, w, i as u32, at as u32));
            }
        }
        windows.sort_unstable();
        let buckets = (0..=1u32 << BUCKET_BITS)
            .map(|b| windows.partition_point(|w| bucket(w.0) < b) as u32)
            .collect();
        Grams {
            table,
            context,
            windows,
            buckets,
            tokens: tokens.to_vec(),
            heads: tokens.iter().map(|t| head(t)).collect(),
            short: short_ids,
        }
    }

    /// The tokens that [`Grams::find_all`] does not find (ids), for the
    /// caller to search otherwise.
    pub fn short(&self) -> &[u32] {
        &self.short
    }

    /// Calls `found(token, start)` for every occurrence in `hay` of a
    /// token that has windows (all but [`Grams::short`]), in no particular
    /// order.
    pub fn find_all(&self, hay: &[u8], mut found: impl FnMut(u32, usize)) {
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

    /// Can a token's window be at `i` of `hay`, by the eight bytes around
    /// it ([`Context`])? Where the first look finds a bit set, the window
    /// is most often a token's window indeed, but in another word (`even`
    /// of `for even more`, `phot` of `(photo:`): two windows in three that
    /// it finds in the corpus. One bit looked up rules them out before
    /// their bucket and tokens are.
    #[inline]
    fn in_context(&self, hay: &[u8], i: usize) -> bool {
        let set = |c: Context| {
            let c = c.bit();
            self.context[c / 64 % CONTEXT_WORDS] & (1 << (c % 64)) != 0
        };
        // (A token with eight bytes from the window on leaves them in the
        // text too, so where they are not, it is not.)
        set(Context::Bare(window(hay, i)))
            || eight(hay, i).is_some_and(|e| set(Context::After(e)))
            || i.checked_sub(4)
                .and_then(|from| eight(hay, from))
                .is_some_and(|e| set(Context::Around(e)))
    }

    /// The tokens with the window of `hay` at `i` (whose bit is set),
    /// compared where that window would put them.
    #[cold]
    #[inline(never)]
    fn check(&self, hay: &[u8], i: usize, found: &mut impl FnMut(u32, usize)) {
        if !self.in_context(hay, i) {
            return;
        }
        let w = window(hay, i);
        let b = bucket(hash(w)) as usize;
        let range = self.buckets[b] as usize..self.buckets[b + 1] as usize;
        // The window itself, not only its hash: other windows share the
        // bucket.
        for &(_, tw, id, at) in &self.windows[range] {
            if tw != w {
                continue;
            }
            let Some(start) = i.checked_sub(at as usize) else {
                continue;
            };
            let (want, mask) = self.heads[id as usize];
            if let Some(e) = eight(hay, start)
                && e & mask != want
            {
                continue;
            }
            if hay[start..].starts_with(&self.tokens[id as usize]) {
                found(id, start);
            }
        }
    }
}

/// The buckets of the short tokens (those without windows), for the
/// fingerprint search of the first pass over a block (`sentinels`): at
/// most [`SHORT_BUCKETS`], each the nybbles its fingerprints take
/// ([`Masks`], what the search's tables hold for it) and a list of
/// `(token, offset)`, where the token's fingerprint starts at that offset
/// in it.
///
/// A token's fingerprint is its three bytes least common in scraped
/// articles ([`trigram_counts`]; all of it when it is shorter). The search finds a candidate wherever
/// three bytes could be the fingerprint of some token of a bucket: each
/// bucket holds the half-bytes (nybbles) of its fingerprints' bytes at
/// each position, and any byte whose low and high nybble are both in the
/// bucket matches there. A fingerprint such as `for` (of `for more`)
/// would make a candidate at every `for`, and one bucket holding `/getty`
/// and `she` one at every `she` (`s` and `/` share a low nybble, `g` and
/// `h` a high one); each candidate costs a compare and a branch the CPU
/// cannot predict. So tokens are searched from their rarest bytes (`r m`
/// of `for more`), and the buckets are filled so that they match least
/// ([`bucket_cost`]): with more fingerprints than buckets, the two buckets
/// whose union adds least cost are merged, until eight are left.
pub(crate) fn short_buckets(tokens: &[Vec<u8>], ids: &[u32]) -> Vec<Bucket> {
    let common3 = common_trigrams();
    let trigrams: Vec<[u8; 3]> = ids
        .iter()
        .flat_map(|&i| tokens[i as usize].windows(3))
        .map(|w| [w[0], w[1], w[2]])
        .collect();
    let counts = trigram_counts(&trigrams);
    // One bucket per fingerprint to begin with: tokens with the same one
    // share it.
    let mut by_print: Vec<(Print, Vec<(u32, usize)>)> = Vec::new();
    let mut first = 0;
    for &i in ids {
        let t = &tokens[i as usize];
        // This token's trigrams' counts, in order.
        let n = (t.len() + 1).saturating_sub(3);
        let count = &counts[first..first + n];
        first += n;
        let at = (0..n)
            .min_by(|&a, &b| count[a].total_cmp(&count[b]))
            .unwrap_or(0);
        let print: Print = std::array::from_fn(|k| t.get(at + k).copied());
        match by_print.iter_mut().find(|(p, _)| *p == print) {
            Some((_, tokens)) => tokens.push((i, at)),
            None => by_print.push((print, vec![(i, at)])),
        }
    }
    let mut buckets: Vec<Bucket> = by_print
        .into_iter()
        .map(|(print, tokens)| Bucket {
            masks: masks(print),
            tokens,
        })
        .collect();
    if buckets.len() > MERGED_BUCKETS {
        // Too many to weigh every pair: the rest are dealt out.
        let extra = buckets.split_off(MERGED_BUCKETS);
        for (k, e) in extra.into_iter().enumerate() {
            buckets[k % MERGED_BUCKETS].absorb(e);
        }
    }
    // What each bucket costs, and what each pair would cost merged (`a <
    // b`), updated for the merged bucket only.
    let cost_of = |m: Masks| bucket_cost(m, &common3);
    let n = buckets.len();
    let mut cost: Vec<f64> = buckets.iter().map(|b| cost_of(b.masks)).collect();
    let mut merged: Vec<Vec<f64>> = (0..n)
        .map(|a| {
            (0..n)
                .map(|b| match a < b {
                    true => cost_of(union(buckets[a].masks, buckets[b].masks)),
                    false => 0.0,
                })
                .collect()
        })
        .collect();
    while buckets.len() > SHORT_BUCKETS {
        let mut best = (f64::INFINITY, 0, 1);
        for a in 0..buckets.len() {
            for b in a + 1..buckets.len() {
                let added = merged[a][b] - cost[a] - cost[b];
                if added < best.0 {
                    best = (added, a, b);
                }
            }
        }
        let (_, a, b) = best;
        let gone = buckets.remove(b);
        buckets[a].absorb(gone);
        cost.remove(b);
        merged.remove(b);
        for row in &mut merged {
            row.remove(b);
        }
        cost[a] = cost_of(buckets[a].masks);
        for c in (0..buckets.len()).filter(|&c| c != a) {
            let (x, y) = (a.min(c), a.max(c));
            merged[x][y] = cost_of(union(buckets[x].masks, buckets[y].masks));
        }
    }
    buckets
}

/// A bucket that [`short_buckets`] fills.
pub(crate) struct Bucket {
    /// The nybbles of its fingerprints.
    pub masks: Masks,
    /// `(token, offset of its fingerprint)`.
    pub tokens: Vec<(u32, usize)>,
}

impl Bucket {
    fn absorb(&mut self, other: Bucket) {
        self.masks = union(self.masks, other.masks);
        self.tokens.extend(other.tokens);
    }
}

/// The buckets of the fingerprint search: one bit each of a byte.
pub(crate) const SHORT_BUCKETS: usize = 8;

/// Above this many fingerprints, [`short_buckets`] deals them out instead
/// of weighing every pair of buckets.
const MERGED_BUCKETS: usize = 24;

/// A fingerprint: up to three bytes (`None`: the token is shorter, any
/// byte).
type Print = [Option<u8>; 3];

/// The three-byte windows of the [`COMMON`] most common windows, sorted.
fn common_trigrams() -> Vec<[u8; 3]> {
    let mut out: Vec<[u8; 3]> = WINDOW_COUNTS[..COMMON]
        .iter()
        .flat_map(|(w, _)| [[w[0], w[1], w[2]], [w[1], w[2], w[3]]])
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// About how often each of `trigrams` occurs in the corpus: the most of
/// the summed counts of the [`WINDOW_COUNTS`] windows that it starts and
/// of those that it ends, or when no listed window holds it, an estimate
/// from its bytes (as [`estimate`] rates a window). The bytes alone
/// mislead: `ber` (of `berall`, from `überall`) rates rarer than `ral` by
/// its `b`, but is three times as common (`number`, `remember`); `file -`
/// was searched from `fil`, twelve times as common as `e -`. One pass over
/// the list for all of them: the tokens without windows are few.
fn trigram_counts(trigrams: &[[u8; 3]]) -> Vec<f64> {
    // As numbers in the bytes' order: a search compares one word, not
    // three bytes one by one.
    let key = |t: [u8; 3]| u32::from_be_bytes([0, t[0], t[1], t[2]]);
    let mut keys: Vec<u32> = trigrams.iter().map(|&t| key(t)).collect();
    keys.sort_unstable();
    keys.dedup();
    // Summed counts of the listed windows each key starts, and ends.
    let mut sums = vec![(0.0, 0.0); keys.len()];
    for (w, n) in WINDOW_COUNTS.iter() {
        if let Ok(i) = keys.binary_search(&key([w[0], w[1], w[2]])) {
            sums[i].0 += f64::from(*n);
        }
        if let Ok(i) = keys.binary_search(&key([w[1], w[2], w[3]])) {
            sums[i].1 += f64::from(*n);
        }
    }
    trigrams
        .iter()
        .map(|t| {
            let (start, end) = sums[keys.binary_search(&key(*t)).expect("a key of each")];
            match start.max(end) {
                0.0 => estimate(t),
                n => n,
            }
        })
        .collect()
}

/// How likely the fingerprint search is to find a candidate in a bucket
/// holding `prints`: summed over every three bytes whose nybbles are all
/// in the bucket (a letter's in either case, as the search takes them:
/// see `sentinels::Shorts`), the product of their [`freq`]s, plus
/// [`COMMON_COST`] for three bytes of one of the [`COMMON`] most common
/// windows. The sum of the products is the product of the sums over each
/// position's bytes, and the common trigrams are counted one by one: a
/// bucket that takes any third byte matches 2^8 times as many triples as
/// one that does not.
fn bucket_cost(masks: Masks, common3: &[[u8; 3]]) -> f64 {
    let has = |k: usize, b: u8| masks[k].0 & 1 << (b & 0xf) != 0 && masks[k].1 & 1 << (b >> 4) != 0;
    let nybbles = |m: u16| (0..16u8).filter(move |n| m & 1 << n != 0);
    let freqs: f64 = masks
        .iter()
        .map(|&(lo, hi)| match (lo, hi) {
            (u16::MAX, u16::MAX) => ALL_FREQS,
            _ => nybbles(hi)
                .flat_map(|h| nybbles(lo).map(move |l| freq(h << 4 | l)))
                .sum::<f64>(),
        })
        .product();
    let common = common3
        .iter()
        .filter(|t| (0..3).all(|k| has(k, t[k])))
        .count();
    freqs + COMMON_COST * common as f64
}

/// The nybbles a bucket holds at each position of its fingerprints, low
/// and high (a letter's in either case: the search reads the block as it
/// is): all of them where a fingerprint takes any byte.
pub(crate) type Masks = [(u16, u16); 3];

/// The [`Masks`] of one fingerprint.
fn masks(print: Print) -> Masks {
    print.map(|b| match b {
        Some(b) => {
            let u = b.to_ascii_uppercase();
            (1 << (b & 0xf), 1 << (b >> 4) | 1 << (u >> 4))
        }
        None => (u16::MAX, u16::MAX),
    })
}

/// The [`Masks`] of two buckets' fingerprints together.
fn union(a: Masks, b: Masks) -> Masks {
    std::array::from_fn(|k| (a[k].0 | b[k].0, a[k].1 | b[k].1))
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

/// The eight bytes of `s` from `at` as a little-endian word, when it has
/// them.
#[inline]
pub(crate) fn eight(s: &[u8], at: usize) -> Option<u64> {
    s.get(at..at + 8)
        .map(|e| u64::from_le_bytes(e.try_into().expect("eight bytes")))
}

/// The first eight bytes of `token` as a little-endian word (zero-padded
/// when it is shorter), with the mask of the bytes it has.
pub(crate) fn head(token: &[u8]) -> (u64, u64) {
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
    hash_to(w, TABLE_BITS)
}

/// Multiplicative (Fibonacci) hashing of a four-byte window to `bits`
/// bits (1 to 32): the token search's and the matcher's window search's.
#[inline]
pub(crate) fn hash_to(w: u32, bits: u32) -> u32 {
    w.wrapping_mul(0x9E37_79B1) >> (32 - bits)
}

/// The offsets in `token` of `STRIDE` windows, one of each residue modulo
/// `STRIDE` (whatever the offset of the token in the text, one of them then
/// starts at a multiple of `STRIDE` there): in each residue, the window
/// least likely in the text ([`WindowCosts::cost`]). `None` when the token
/// is too short, or when some residue has only windows among the
/// [`COMMON`] most common or sharing their bit (`get the`): such tokens are
/// searched on their own.
///
/// Four consecutive windows, as chosen before, is one such choice, not
/// always the best: `a post shared by` had `post`, `ost `, `st s` and
/// `t sh`. Of the windows the search finds in the text, 92% are a token's
/// window in other words (`even` of `for even more`, `phot` of `(photo:`):
/// one a residue finds 6% fewer on the corpus (42,214 to 39,606 on 6 MB).
fn rarest_windows(token: &[u8], costs: &WindowCosts) -> Option<[usize; STRIDE]> {
    if token.len() < MIN_LEN {
        return None;
    }
    let costs: Vec<f64> = token.windows(4).map(|w| costs.cost(w)).collect();
    let mut chosen = [0; STRIDE];
    for (r, at) in chosen.iter_mut().enumerate() {
        *at = (r..costs.len())
            .step_by(STRIDE)
            .min_by(|&a, &b| costs[a].total_cmp(&costs[b]))
            .expect("a token of `MIN_LEN` bytes has a window of each residue");
    }
    let total: f64 = chosen.iter().map(|&at| costs[at]).sum();
    (total < COMMON_COST).then_some(chosen)
}

/// How many of [`WINDOW_COUNTS`] count as common: the 256 most common
/// windows make up a fifth of all windows of the text (` the`, `ing `,
/// `tion`), so a token window among them, or sharing a bit with one,
/// would be looked at all the time.
const COMMON: usize = 256;

/// Above the count of any window (the most common, ` the`, is under
/// 2^19 in 2^25).
const COMMON_COST: f64 = 1e12;

/// The [`freq`]s of all bytes, summed.
const ALL_FREQS: f64 = {
    let mut sum = 0.0;
    let mut b = 0;
    while b < 256 {
        sum += freq(b as u8);
        b += 1;
    }
    sum
};

/// The highest [`freq`] (a space).
const MAX_FREQ: f64 = 180.0;

/// How often the four bytes `w` occur in the corpus: their count when
/// [`WINDOW_COUNTS`] lists them, otherwise an estimate from the bytes
/// (the product of their [`freq`]s), below the least listed count. The
/// lookup table is built once per process.
pub(crate) fn window_count(w: &[u8; 4]) -> f64 {
    static COUNTS: std::sync::OnceLock<Listed<u32>> = std::sync::OnceLock::new();
    let counts = COUNTS.get_or_init(|| {
        Listed::new(
            WINDOW_COUNTS
                .iter()
                .map(|(w, n)| (u32::from_le_bytes(**w), *n)),
        )
    });
    match counts.get(u32::from_le_bytes(*w)) {
        Some(&n) => f64::from(n),
        None => estimate(w),
    }
}

/// Values for a few thousand distinct `u32` keys (listed windows, or their
/// hashes), found by a hash and a short linear probe. Building a `Cleaner`
/// looks up every window of every token and matcher key; binary searches
/// over the 4,096 listed windows were a sixth of the build.
struct Listed<V> {
    /// `(key, index in values)`, `EMPTY` for a free slot: a power of two
    /// at least twice the number of keys, so a probe is short.
    slots: Vec<(u32, u32)>,
    values: Vec<V>,
    bits: u32,
}

impl<V> Listed<V> {
    const EMPTY: u32 = u32::MAX;

    /// Keys must be distinct.
    fn new(entries: impl ExactSizeIterator<Item = (u32, V)>) -> Listed<V> {
        let bits = (entries.len().max(1) * 2)
            .next_power_of_two()
            .trailing_zeros();
        let mask = (1usize << bits) - 1;
        let mut slots = vec![(0, Self::EMPTY); 1 << bits];
        let mut values = Vec::with_capacity(entries.len());
        for (key, v) in entries {
            let mut i = hash_to(key, bits) as usize;
            while slots[i].1 != Self::EMPTY {
                debug_assert_ne!(slots[i].0, key, "keys must be distinct");
                i = (i + 1) & mask;
            }
            slots[i] = (key, values.len() as u32);
            values.push(v);
        }
        Listed {
            slots,
            values,
            bits,
        }
    }

    fn get(&self, key: u32) -> Option<&V> {
        let mask = self.slots.len() - 1;
        let mut i = hash_to(key, self.bits) as usize;
        loop {
            match self.slots[i] {
                (_, Self::EMPTY) => return None,
                (k, v) if k == key => return Some(&self.values[v as usize]),
                _ => i = (i + 1) & mask,
            }
        }
    }
}

/// What a window that [`WINDOW_COUNTS`] does not list is rated (or three
/// bytes that no listed window holds): the product of its bytes'
/// [`freq`]s, scaled below the least listed count.
fn estimate(w: &[u8]) -> f64 {
    let least = WINDOW_COUNTS.last().map_or(1.0, |(_, n)| f64::from(*n));
    w.iter().map(|&b| freq(b) / MAX_FREQ).product::<f64>() * least
}

/// How often the search would look at a token's window: built once per
/// process from [`WINDOW_COUNTS`] ([`WindowCosts::get`]).
struct WindowCosts {
    /// For each hash of a listed window: the summed counts of the listed
    /// windows with that hash, and whether one of them is common.
    bits: Listed<(f64, bool)>,
}

impl WindowCosts {
    fn get() -> &'static WindowCosts {
        static COSTS: std::sync::OnceLock<WindowCosts> = std::sync::OnceLock::new();
        COSTS.get_or_init(WindowCosts::new)
    }

    fn new() -> WindowCosts {
        // Sorted as one word each: `hash << 32 | common << 31 | count`.
        let mut keys: Vec<u64> = WINDOW_COUNTS
            .iter()
            .enumerate()
            .map(|(i, (w, n))| {
                let h = u64::from(hash(u32::from_le_bytes(**w)));
                h << 32 | u64::from(i < COMMON) << 31 | u64::from(*n)
            })
            .collect();
        keys.sort_unstable();
        let mut bits: Vec<(u32, (f64, bool))> = Vec::with_capacity(keys.len());
        for k in keys {
            let (h, common, n) = ((k >> 32) as u32, k >> 31 & 1 == 1, (k & 0x7fff_ffff) as f64);
            match bits.last_mut() {
                Some((last, (sum, any_common))) if *last == h => {
                    *sum += n;
                    *any_common |= common;
                }
                _ => bits.push((h, (n, common))),
            }
        }
        WindowCosts {
            bits: Listed::new(bits.into_iter()),
        }
    }

    /// How often the text sets the bit of window `w`: the counts of the
    /// listed windows with its hash (its own among them, when it is
    /// listed), plus an estimate from its bytes, below the least listed
    /// count, of how often it occurs itself (all that counts when it is not
    /// listed), plus [`COMMON_COST`] when a common window has its bit.
    fn cost(&self, w: &[u8]) -> f64 {
        let (shared, common) = self
            .bits
            .get(hash(window(w, 0)))
            .copied()
            .unwrap_or((0.0, false));
        shared + estimate(w) + if common { COMMON_COST } else { 0.0 }
    }
}

/// Rough frequency of a byte in lowercased English prose, per thousand.
const fn freq(b: u8) -> f64 {
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

/// Every occurrence of every token in `hay`, `(token, start)`, sorted: the
/// reference for the searches' tests.
#[cfg(test)]
pub(crate) fn naive(tokens: &[Vec<u8>], hay: &[u8]) -> Vec<(u32, usize)> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The window counts are a ranking: most common first, each window
    /// once, ` the` on top.
    #[test]
    fn window_counts_are_ranked() {
        assert!(WINDOW_COUNTS.windows(2).all(|p| p[0].1 >= p[1].1));
        let mut ws: Vec<&[u8; 4]> = WINDOW_COUNTS.iter().map(|(w, _)| *w).collect();
        ws.sort_unstable();
        ws.dedup();
        assert_eq!(ws.len(), WINDOW_COUNTS.len());
        assert_eq!(WINDOW_COUNTS[0].0, b" the");
        // `WindowCosts::new` packs a count into 31 bits.
        assert!(WINDOW_COUNTS[0].1 < 1 << 31);
    }

    /// Where the corpus is at hand, the counts are what
    /// `benches/window_counts.py` makes of it: the same windows in the same
    /// order (most common first, then by bytes), with the same counts.
    #[test]
    fn window_counts_are_those_of_the_corpus() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/bulk.jsonl");
        let Ok(corpus) = std::fs::read_to_string(&path) else {
            eprintln!("skipped: {} not found", path.display());
            return;
        };
        let texts: Vec<String> = corpus
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).expect("a JSON line");
                v["text"].as_str().expect("a text").to_string()
            })
            .collect();
        let text = texts.join("\n").to_ascii_lowercase().into_bytes();
        let mut counts: std::collections::HashMap<[u8; 4], u32> = Default::default();
        for w in text.windows(4) {
            *counts.entry(w.try_into().expect("four bytes")).or_default() += 1;
        }
        let mut top: Vec<([u8; 4], u32)> = counts.into_iter().collect();
        top.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        top.truncate(WINDOW_COUNTS.len());
        let listed: Vec<([u8; 4], u32)> = WINDOW_COUNTS.iter().map(|(w, n)| (**w, *n)).collect();
        assert!(
            top == listed,
            "src/grams/window_counts.rs is not what the corpus gives: regenerate it with \
             `python3 benches/window_counts.py > src/grams/window_counts.rs`"
        );
    }

    /// Every key is found with its value, in tables of any size, and no
    /// other key is; among them keys that all hash to the last slot, whose
    /// probes wrap around to the first.
    #[test]
    fn listed_finds_its_keys_and_no_others() {
        // Three keys of a table of eight slots (3 bits), all at the end.
        let at_end: Vec<u32> = (0..u32::MAX)
            .filter(|&k| hash_to(k, 3) == 7)
            .take(3)
            .collect();
        let spread = |n: usize| -> Vec<u32> {
            // Keys that share slots: multiples of a large power of two
            // hash to few places; 0 and u32::MAX are keys too.
            (0..n as u32)
                .map(|i| match i {
                    0 => 0,
                    1 => u32::MAX,
                    _ => i.wrapping_mul(1 << 20) ^ i,
                })
                .collect()
        };
        let sets = [0, 1, 2, 3, 100, 4096].map(spread);
        for keys in sets.iter().chain([&at_end]) {
            let n = keys.len();
            let listed = Listed::new(keys.iter().map(|&k| (k, k.wrapping_add(7))));
            for &k in keys {
                assert_eq!(listed.get(k), Some(&k.wrapping_add(7)), "key {k:#x} of {n}");
            }
            for x in (0..2000u32).map(|i| i.wrapping_mul(0x9E37_79B9) | 1) {
                if !keys.contains(&x) {
                    assert_eq!(listed.get(x), None, "{x:#x} of {n}");
                }
            }
        }
        // The counts, as listed.
        for (w, n) in WINDOW_COUNTS.iter() {
            assert_eq!(window_count(w), f64::from(*n));
        }
    }

    /// A token's windows are taken where the text has them least: in `let
    /// us know on twitter`, not `know` (11,529 in the corpus), which the
    /// bytes alone rate rare (a `k`); a window that shares its bit with a
    /// listed one costs that one's count too; a common window or one that
    /// shares its bit costs more than any count.
    #[test]
    fn windows_are_rated_by_their_counts() {
        let costs = WindowCosts::get();
        let count = |w: &[u8; 4]| {
            let (_, n) = WINDOW_COUNTS.iter().find(|(x, _)| *x == w).expect("listed");
            f64::from(*n)
        };
        let token = b"let us know on twitter";
        let chosen = rarest_windows(token, costs).expect("rare windows");
        assert!(!chosen.iter().any(|&at| [b"know", b" kno"].contains(&&[
            token[at],
            token[at + 1],
            token[at + 2],
            token[at + 3]
        ])));
        // One window of each residue modulo `STRIDE`.
        let mut residues: Vec<usize> = chosen.iter().map(|at| at % STRIDE).collect();
        residues.sort_unstable();
        assert_eq!(residues, (0..STRIDE).collect::<Vec<_>>());
        assert!(costs.cost(b"know") >= count(b"know"));
        assert!(costs.cost(b" the") >= COMMON_COST);
        // A window that is not listed, with the bit of one that is.
        let listed = u32::from_le_bytes(*WINDOW_COUNTS[COMMON].0);
        let twin = (0..u32::MAX)
            .find(|&x| {
                hash(x) == hash(listed)
                    && !WINDOW_COUNTS
                        .iter()
                        .any(|(w, _)| u32::from_le_bytes(**w) == x)
            })
            .expect("a window with the same bit");
        assert!(costs.cost(&twin.to_le_bytes()) >= count(WINDOW_COUNTS[COMMON].0));
        // Not listed, no shared bit: rated by its bytes, below any count.
        let rare = costs.cost(b"zqxj");
        let least = f64::from(WINDOW_COUNTS[WINDOW_COUNTS.len() - 1].1);
        assert!(rare < least, "{rare}");
        // The counts themselves, and the estimate for the others.
        assert_eq!(window_count(b"know"), count(b"know"));
        assert!(window_count(b"zqxj") < least);
    }

    /// The windows of `Grams` and the short tokens of the first pass
    /// (`sentinels`) together, as the prefilter searches.
    fn fast(tokens: &[Vec<u8>], hay: &[u8]) -> Vec<(u32, usize)> {
        let g = Grams::new(tokens);
        let shorts = crate::sentinels::Shorts::new(tokens, g.short());
        let mut out = Vec::new();
        let mut lower = Vec::new();
        crate::sentinels::lower_and_find(hay, &mut lower, &shorts, |id, at| {
            if id != crate::sentinels::SENTINEL {
                out.push((id, at))
            }
        });
        g.find_all(&lower, |id, at| out.push((id, at)));
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

    /// Where the fingerprint search finds a candidate in `text` with
    /// `buckets` of fingerprints: three bytes whose nybbles, or those of
    /// the letters' other case, are all in one bucket.
    fn candidates(buckets: &[Vec<Print>], text: &[u8]) -> usize {
        let masks: Vec<[(u16, u16); 3]> = buckets
            .iter()
            .map(|prints| {
                std::array::from_fn(|k| {
                    prints.iter().fold((0, 0), |(lo, hi), p| match p[k] {
                        Some(b) => (
                            lo | 1 << (b & 0xf),
                            hi | 1 << (b >> 4) | 1 << (b.to_ascii_uppercase() >> 4),
                        ),
                        None => (u16::MAX, u16::MAX),
                    })
                })
            })
            .collect();
        let fits = |m: &[(u16, u16); 3], w: &[u8]| {
            (0..3).all(|k| m[k].0 & 1 << (w[k] & 0xf) != 0 && m[k].1 & 1 << (w[k] >> 4) != 0)
        };
        text.windows(3)
            .filter(|w| masks.iter().any(|m| fits(m, w)))
            .count()
    }

    /// The tokens without windows of the built-in patterns, and two more.
    const SHORT_TOKENS: [&str; 15] = [
        "/getty",
        "/ap",
        "/afp",
        "photo:",
        "image:",
        "photo by",
        "file -",
        "for more",
        "share it in the comments below",
        "\u{2014}",
        "\u{2014} (",
        "(@",
        "berall",
        "get the",
        "she",
    ];

    #[test]
    fn short_tokens_are_searched_from_rare_bytes_in_buckets_that_match_little() {
        let tokens: Vec<Vec<u8>> = SHORT_TOKENS.iter().map(|t| t.as_bytes().to_vec()).collect();
        let ids: Vec<u32> = (0..tokens.len() as u32).collect();
        let buckets: Vec<Vec<(u32, usize)>> = short_buckets(&tokens, &ids)
            .into_iter()
            .map(|b| b.tokens)
            .collect();
        assert!(buckets.len() <= SHORT_BUCKETS);
        let print = |&(i, at): &(u32, usize)| -> Print {
            std::array::from_fn(|k| tokens[i as usize].get(at + k).copied())
        };
        let found: Vec<Vec<u8>> = buckets
            .iter()
            .flatten()
            .map(|p| print(p).iter().flatten().copied().collect())
            .collect();
        // Rated by the corpus's counts, not by their bytes: `e -` (12 times
        // rarer than `fil`), `ral` (three times rarer than `ber`), and the
        // end of the dash with ` (` rather than the dash, in every
        // paragraph of some writers.
        let dash_paren = [0x94, b' ', b'('];
        for want in [
            &b"r m"[..],
            b"to:",
            b"ge:",
            b"/ge",
            b"(@",
            b"e -",
            b"ral",
            &dash_paren,
        ] {
            let shown: Vec<_> = found.iter().map(|f| String::from_utf8_lossy(f)).collect();
            assert!(found.contains(&want.to_vec()), "{want:?} in {shown:?}");
        }
        let counts = trigram_counts(&[*b"ber", *b"ral", *b"fil", *b"e -"]);
        assert!(
            counts[0] > 2.0 * counts[1] && counts[2] > 5.0 * counts[3],
            "{counts:?}"
        );
        // `/getty` and `she` in one bucket would match every `she` (`s`
        // and `/` share a low nybble, `g` and `h` a high one).
        let bucket_of = |t: &str| {
            buckets
                .iter()
                .position(|b| b.iter().any(|&(i, _)| tokens[i as usize] == t.as_bytes()))
        };
        assert_ne!(bucket_of("/getty"), bucket_of("she"));
        // On prose, far fewer candidates than the tokens' first bytes in
        // buckets dealt out in the tokens' order.
        let prose = "She said she would get there before the others, for more \
            than a year had passed since the photographers filed their \
            images of the harbour. For her brother, who remembered the \
            members of the band that shared a house in September, the \
            film was a gift: he watched it for hours, and she forgot the \
            number of times they had been together for the summer.";
        let chosen: Vec<Vec<Print>> = buckets
            .iter()
            .map(|b| b.iter().map(print).collect())
            .collect();
        let mut dealt = vec![Vec::new(); SHORT_BUCKETS];
        for (k, &i) in ids.iter().enumerate() {
            dealt[k % SHORT_BUCKETS].push(print(&(i, 0)));
        }
        let (now, before) = (
            candidates(&chosen, prose.as_bytes()),
            candidates(&dealt, prose.as_bytes()),
        );
        assert!(now * 2 <= before, "{now} candidates, {before} dealt out");
    }

    proptest! {
        #[test]
        fn short_buckets_hold_each_token_once(
            tokens in prop::collection::vec("[ab c(/:\u{2014}]{1,10}", 1..40),
        ) {
            let tokens: Vec<Vec<u8>> = tokens.into_iter().map(String::into_bytes).collect();
            let ids: Vec<u32> = (0..tokens.len() as u32).collect();
            let buckets: Vec<Vec<(u32, usize)>> =
                short_buckets(&tokens, &ids).into_iter().map(|b| b.tokens).collect();
            prop_assert!(buckets.len() <= SHORT_BUCKETS);
            let mut got: Vec<u32> = buckets.iter().flatten().map(|&(i, _)| i).collect();
            got.sort_unstable();
            prop_assert_eq!(got, ids);
            for (i, at) in buckets.into_iter().flatten() {
                let n = tokens[i as usize].len();
                prop_assert!(at + 3.min(n) <= n);
            }
        }

        #[test]
        fn agrees_with_naive_search(
            tokens in prop::collection::vec("[ab c(]{1,10}", 1..12),
            hay in "[ab c(\n]{0,200}",
        ) {
            let tokens: Vec<Vec<u8>> = tokens.into_iter().map(String::into_bytes).collect();
            prop_assert_eq!(fast(&tokens, hay.as_bytes()), naive(&tokens, hay.as_bytes()));
        }

        /// Tokens long enough for windows, and a text made of them (whole,
        /// cut short, or changed in one byte) and filler, so that they
        /// occur at every offset, near misses around them.
        #[test]
        fn finds_windowed_tokens_where_they_occur(
            tokens in prop::collection::vec("[a-e (]{7,16}", 1..8),
            pieces in prop::collection::vec(
                (0usize..8, 0usize..3, "[a-e ]{0,6}", any::<u8>()),
                0..40,
            ),
        ) {
            let tokens: Vec<Vec<u8>> = tokens.into_iter().map(String::into_bytes).collect();
            let mut hay = Vec::new();
            for (k, how, filler, byte) in pieces {
                let t = &tokens[k % tokens.len()];
                match how {
                    0 => hay.extend_from_slice(t),
                    1 => hay.extend_from_slice(&t[..t.len() - 1]),
                    _ => {
                        let mut t = t.clone();
                        let at = usize::from(byte) % t.len();
                        t[at] = b"abcde ("[usize::from(byte) % 7];
                        hay.extend_from_slice(&t);
                    }
                }
                hay.extend_from_slice(filler.as_bytes());
            }
            prop_assert_eq!(fast(&tokens, &hay), naive(&tokens, &hay));
        }
    }

    /// Each kind of context, tried at every offset modulo four and near
    /// both ends of the text.
    #[test]
    fn every_context_at_every_offset() {
        let tokens: Vec<Vec<u8>> = [
            "getty images",
            "photo credit: ",
            "courtesy of the artist",
            "(ap photo/",
            "zqxjkvb",
        ]
        .iter()
        .map(|t| t.as_bytes().to_vec())
        .collect();
        let g = Grams::new(&tokens);
        let costs = WindowCosts::get();
        let kinds: Vec<u8> = tokens
            .iter()
            .filter_map(|t| rarest_windows(t, costs).map(|w| (t, w)))
            .flat_map(|(t, w)| {
                w.map(|at| match Context::of(t, at) {
                    Context::After(_) => 0,
                    Context::Around(_) => 1,
                    Context::Bare(_) => 2,
                })
            })
            .collect();
        for kind in 0..3 {
            assert!(kinds.contains(&kind), "kind {kind} in {kinds:?}");
        }
        assert!(g.short().is_empty());
        for t in &tokens {
            for before in 0..12 {
                for after in 0..12 {
                    let hay = [&b"x".repeat(before), &t[..], &b"y".repeat(after)].concat();
                    assert_eq!(fast(&tokens, &hay), naive(&tokens, &hay), "{:?}", hay);
                }
            }
        }
    }
}
