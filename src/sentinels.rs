//! The prefilter's first look at a block: its ASCII-lowercased copy,
//! where the whitespace sentinels are, and where the short tokens are, in
//! one pass.
//!
//! A sentinel is whitespace that the matcher would normalise, which the
//! prefilter's checks do not handle (see `prefilter`): a line that holds
//! one goes to the matcher. They are tab, vertical tab and form feed; a CR
//! that is not part of a CRLF line end; NEL and NBSP (`C2 85`, `C2 A0`);
//! the Unicode spaces of three bytes (see `text::ws_len`); and two spaces.
//!
//! News text has almost none of them, but the bytes that lead them are
//! not all rare: 0xE2 leads every curly quote and dash, a space every
//! word. With AVX2, four passes (Teddy over the rare lead bytes, a vector
//! pass for the spaces that 0xE2 leads, `memmem` for two spaces, and the
//! lowercased copy) are one: each 32 bytes are loaded once, with the two
//! bytes after them, every offset is tested for every kind at once by
//! table lookups (see [`PATTERNS`]), and the lowercased bytes are stored
//! on the way. The one branch that depends on the text is the one on a
//! sentinel found. Measured against the four passes: 3.8% fewer
//! instructions for the stream, 1.8% for an article; 3% less time on
//! lines of prose, 6% on very long lines, about 1% on whole articles and
//! the stream (see `docs/performance.md`, "Twentieth session").
//!
//! A first version that tested each kind with compares (about 75
//! instructions for 32 offsets, as many as the passes it replaced) gained
//! no time.
//!
//! The same pass finds the prefilter's short tokens ([`Shorts`]: those
//! without four-byte windows for `grams`, such as `—`, `(@`, `/getty`,
//! `photo:`), by their fingerprints, with a second set of tables looked up
//! by the same nybbles: about 20 more instructions for 32 offsets. Teddy
//! (SIMD, from aho-corasick) searched the lowercased copy for them in a
//! pass of its own, restarted after each of its matches, and a `memmem`
//! pass searched for each two-byte one. Against those, in alternation
//! (`benches/ab.py`, three rounds): the 171 MB stream 4.6% faster, an
//! article 6.2% (see `docs/performance.md`, "Twenty-first session").

use memchr::{memchr2_iter, memchr3_iter, memmem};

use crate::grams::{Masks, SHORT_BUCKETS, eight, head, short_buckets};
use crate::text;

/// The eight bytes of `x` ASCII-lowercased, all at once: a byte from
/// `A` to `Z` (`0x41` to `0x5A`) gets bit 5 set.
pub(crate) fn lower_ascii(x: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    // Each byte's low seven bits, plus a constant that carries into bit 7
    // from `A` on, or past `Z` on: no carry leaves the byte.
    let seven = x & (0x7f * ONES);
    let from_a = seven + (0x80 - 0x41) * ONES;
    let past_z = seven + (0x80 - 0x5b) * ONES;
    // Bit 7 where the byte is from `A` on, not past `Z`, and ASCII.
    let upper = from_a & !past_z & !x & (0x80 * ONES);
    x | upper >> 2
}

/// Tables that tell, for each offset of a text, which of up to eight
/// patterns of three bytes may start there, one bit each: for each
/// position in a pattern, a table by the low and one by the high four bits
/// (nybble) of the byte there. A byte has bit `k` at a position when both
/// its nybbles occur in pattern `k`'s set there (a set wider than the
/// pattern's when that set is not all combinations of its nybbles). The
/// vector pass looks them up 32 offsets at a time (`vpshufb`), and
/// [`NybbleTables::bits_at`] one offset at a time.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct NybbleTables([[[u8; 16]; 2]; 3]);

impl NybbleTables {
    /// Pattern `k` accepts byte `b` at position `pos`.
    const fn accept(&mut self, k: usize, pos: usize, b: u8) {
        self.0[pos][0][(b & 15) as usize] |= 1 << k;
        self.0[pos][1][(b >> 4) as usize] |= 1 << k;
    }

    /// Pattern `k` accepts at each position the bytes of the nybbles of
    /// `masks` there.
    fn accept_masks(&mut self, k: usize, masks: Masks) {
        for (pos, (lo, hi)) in masks.into_iter().enumerate() {
            for n in 0..16 {
                if lo & 1 << n != 0 {
                    self.0[pos][0][n] |= 1 << k;
                }
                if hi & 1 << n != 0 {
                    self.0[pos][1][n] |= 1 << k;
                }
            }
        }
    }

    /// The patterns that may start at `i` of `block` (a byte past its end
    /// taken as 0).
    fn bits_at(&self, block: &[u8], i: usize) -> u8 {
        (0..3).fold(u8::MAX, |bits, pos| {
            let b = block.get(i + pos).copied().unwrap_or(0);
            let [lo, hi] = &self.0[pos];
            bits & lo[usize::from(b & 15)] & hi[usize::from(b >> 4)]
        })
    }
}

/// What [`lower_and_find`] reports for a sentinel, in place of a token id.
pub(crate) const SENTINEL: u32 = u32::MAX;

/// The short tokens of a prefilter, searched by the first pass over each
/// block: each token's fingerprint (its three bytes least common in the
/// corpus, see `grams::short_buckets`) is in one of eight buckets, and a
/// bucket is a pattern of [`NybbleTables`], as each kind of sentinel is in
/// [`NYBBLE_TABLES`]. The tables take the bytes as they are in the block,
/// not lowercased, so a letter of a fingerprint sets the nybbles of both
/// its cases; the token is then compared up to ASCII case.
#[derive(Debug, Default)]
pub(crate) struct Shorts {
    /// Bit `k`: bucket `k`.
    tables: NybbleTables,
    /// The tokens of each bucket.
    buckets: Vec<Vec<Short>>,
    /// Every token with its own `memmem` searcher, where the CPU lacks
    /// AVX2.
    each: Vec<(u32, memmem::Finder<'static>)>,
}

/// A token of [`Shorts`].
#[derive(Debug)]
struct Short {
    id: u32,
    /// The offset of its fingerprint in it.
    at: usize,
    token: Box<[u8]>,
    /// Its first eight bytes and their mask (`grams::head`): most
    /// candidates are its fingerprint in another word (`ber` of `berall`
    /// in `number`), and one compare of eight bytes rules them out.
    head: (u64, u64),
}

impl Shorts {
    /// `ids` index `tokens` (ASCII-lowercased, none empty); their ids are
    /// what [`lower_and_find`] reports.
    pub fn new(tokens: &[Vec<u8>], ids: &[u32]) -> Shorts {
        let mut tables = NybbleTables::default();
        let buckets: Vec<Vec<Short>> = short_buckets(tokens, ids)
            .into_iter()
            .enumerate()
            .map(|(k, b)| {
                assert!(k < SHORT_BUCKETS, "one bit a bucket");
                tables.accept_masks(k, b.masks);
                b.tokens
                    .into_iter()
                    .map(|(id, at)| Short {
                        id,
                        at,
                        token: tokens[id as usize].clone().into_boxed_slice(),
                        head: head(&tokens[id as usize]),
                    })
                    .collect()
            })
            .collect();
        let each = ids
            .iter()
            .map(|&i| (i, memmem::Finder::new(&tokens[i as usize]).into_owned()))
            .collect();
        Shorts {
            tables,
            buckets,
            each,
        }
    }

    /// Compares the tokens of the buckets `bits` whose fingerprint would
    /// be at `i` of `block`, and calls `found(id, start)` for each there.
    #[cold]
    fn check(&self, block: &[u8], i: usize, bits: u8, found: &mut impl FnMut(u32, usize)) {
        let mut bits = bits;
        while bits != 0 {
            let k = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            for t in &self.buckets[k] {
                let Some(s) = i.checked_sub(t.at) else {
                    continue;
                };
                let (want, mask) = t.head;
                if let Some(e) = eight(block, s)
                    && lower_ascii(e) & mask != want
                {
                    continue;
                }
                if block
                    .get(s..s + t.token.len())
                    .is_some_and(|b| b.eq_ignore_ascii_case(&t.token))
                {
                    found(t.id, s);
                }
            }
        }
    }
}

/// Is there a sentinel at `i` of `block`? (What [`lower_and_find`] looks
/// for, an offset at a time: the reference for its tests.) Whitespace as
/// the matcher reads it ([`text::ws_len`]), but a single space, a line end
/// and a CR before one.
pub(crate) fn is_sentinel(block: &[u8], i: usize) -> bool {
    match block[i] {
        b' ' => block.get(i + 1) == Some(&b' '),
        b'\n' => false,
        b'\r' => block.get(i + 1) != Some(&b'\n'),
        _ => text::ws_len(&block[i..]) > 0,
    }
}

/// Replaces the contents of `lower` with `block` ASCII-lowercased, and
/// calls `found(SENTINEL, i)` with the first offset `i` of every run of
/// sentinels ([`is_sentinel`]) at consecutive offsets, and `found(id, i)`
/// for every occurrence of a token of `shorts` at `i`, overlapping ones
/// too (the block ASCII-lowercased there is the token), in no particular
/// order.
///
/// A run never spans two lines (a line end is no sentinel), and a line
/// with a sentinel is all the prefilter needs to know: one offset a run
/// keeps the list short for a block of tabs or spaces.
pub(crate) fn lower_and_find(
    block: &[u8],
    lower: &mut Vec<u8>,
    shorts: &Shorts,
    found: impl FnMut(u32, usize),
) {
    lower_and_find_with(block, lower, shorts, found, true);
}

/// Does a run of sentinels start at `i`?
fn starts_run(block: &[u8], i: usize) -> bool {
    is_sentinel(block, i) && (i == 0 || !is_sentinel(block, i - 1))
}

/// [`lower_and_find`], with the vector pass where `vector` and the CPU
/// allow it (tests turn it off to check the other way).
fn lower_and_find_with(
    block: &[u8],
    lower: &mut Vec<u8>,
    shorts: &Shorts,
    mut found: impl FnMut(u32, usize),
    vector: bool,
) {
    lower.clear();
    lower.reserve(block.len());
    // Each way finds every sentinel and maybe other offsets, each tested.
    #[cfg(target_arch = "x86_64")]
    if vector && std::arch::is_x86_feature_detected!("avx2") {
        // Tokens as found; sentinels tested.
        let mut report = |id: u32, i: usize| {
            if id != SENTINEL || starts_run(block, i) {
                found(id, i)
            }
        };
        // SAFETY: the CPU has AVX2, checked just above; `lower` has room
        // for `block.len()` bytes, reserved above.
        let done = unsafe { lower_and_find_avx2(block, lower.as_mut_ptr(), shorts, &mut report) };
        // SAFETY: the first `done` bytes were written.
        unsafe { lower.set_len(done) };
        // The last bytes (fewer than 34), one offset at a time, by the same
        // tables as the vector pass.
        lower.extend(block[done..].iter().map(u8::to_ascii_lowercase));
        for i in done..block.len() {
            if NYBBLE_TABLES.bits_at(block, i) != 0 {
                report(SENTINEL, i);
            }
            let bits = shorts.tables.bits_at(block, i);
            if bits != 0 {
                shorts.check(block, i, bits, &mut report);
            }
        }
        return;
    }
    let _ = vector;
    let mut each = |i: usize| {
        if starts_run(block, i) {
            found(SENTINEL, i)
        }
    };
    lower.extend(block.iter().map(u8::to_ascii_lowercase));
    // Otherwise `memchr` (which has vector code for most CPUs) for the
    // lead bytes, and `memmem` for two spaces: the first two spaces of a
    // run of spaces are found, since no match before them overlaps them.
    memchr3_iter(b'\t', 0x0b, 0x0c, block).for_each(&mut each);
    memchr3_iter(b'\r', 0xc2, 0xe1, block).for_each(&mut each);
    memchr2_iter(0xe2, 0xe3, block).for_each(&mut each);
    memmem::find_iter(block, b"  ").for_each(each);
    for (id, f) in &shorts.each {
        // `find_iter` would skip overlapping occurrences (`aa` in `aaa`).
        let mut from = 0;
        while let Some(at) = f.find(&lower[from..]) {
            found(*id, from + at);
            from += at + 1;
        }
    }
}

/// The sentinels as seven patterns of three bytes, for the vector pass: a
/// pattern accepts three bytes when each is in its set at that position
/// (`None` for any byte). Some sets are wider than the sentinels (a CR
/// before LF, `C2 80`, `E1 80 80`), so what the patterns find is tested
/// again ([`is_sentinel`]); those are rare bytes in English text. The
/// ones found all the time, two spaces and the spaces 0xE2 leads, are
/// exact, so that curly quotes, dashes and the ellipsis (`E2 80 A6`) are
/// never found.
#[cfg(target_arch = "x86_64")]
const PATTERNS: [[Option<&[u8]>; 3]; 7] = [
    // Tab, vertical tab, form feed, CR.
    [Some(&[0x09, 0x0b, 0x0c, 0x0d]), None, None],
    [Some(b" "), Some(b" "), None],
    // NEL and NBSP.
    [Some(&[0xc2]), Some(&[0x85, 0xa0]), None],
    // U+1680 (E1 9A 80) and U+3000 (E3 80 80).
    [Some(&[0xe1, 0xe3]), Some(&[0x80, 0x9a]), Some(&[0x80])],
    // U+2000 to U+200A.
    [
        Some(&[0xe2]),
        Some(&[0x80]),
        Some(&[
            0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a,
        ]),
    ],
    // U+2028, U+2029, U+202F.
    [Some(&[0xe2]), Some(&[0x80]), Some(&[0xa8, 0xa9, 0xaf])],
    // U+205F.
    [Some(&[0xe2]), Some(&[0x81]), Some(&[0x9f])],
];

/// The tables of [`PATTERNS`], bit `k` for pattern `k`.
#[cfg(target_arch = "x86_64")]
const fn nybble_tables() -> NybbleTables {
    let mut t = NybbleTables([[[0u8; 16]; 2]; 3]);
    let mut k = 0;
    while k < PATTERNS.len() {
        let mut pos = 0;
        while pos < 3 {
            let mut b = 0;
            while b < 256 {
                let accepts = match PATTERNS[k][pos] {
                    None => true,
                    Some(set) => {
                        let mut i = 0;
                        while i < set.len() && set[i] as usize != b {
                            i += 1;
                        }
                        i < set.len()
                    }
                };
                if accepts {
                    t.accept(k, pos, b as u8);
                }
                b += 1;
            }
            pos += 1;
        }
        k += 1;
    }
    t
}

#[cfg(target_arch = "x86_64")]
const NYBBLE_TABLES: NybbleTables = nybble_tables();

/// [`lower_and_find`] with AVX2, 32 offsets at a time, as far as the last
/// whole 32 bytes whose two bytes after them lie in `block` too (a
/// sentinel is up to three bytes); writes the lowercased bytes to `lower`
/// and returns where it stopped, for the caller to go on from. Calls
/// `found(SENTINEL, i)` with every offset where one of [`PATTERNS`]
/// matches: every sentinel and a few other offsets; and `found(id, i)`
/// for every token of `shorts` at `i` whose fingerprint starts before
/// where it stopped.
///
/// Each pattern is one bit: the bits of the patterns that may start at an
/// offset are those that accept its byte, AND those that accept the next
/// byte in second place, AND those that accept the one after in third;
/// each set of bits is two table lookups (`vpshufb`) by the byte's
/// nybbles. About 35 instructions for 32 offsets, against about 80 for
/// the four passes this replaces. The short tokens' buckets are bits of
/// another set of tables, looked up by the same nybbles: about 20 more.
///
/// # Safety
///
/// The CPU must have AVX2, and `lower` must be valid for writes of
/// `block.len()` bytes.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn lower_and_find_avx2(
    block: &[u8],
    lower: *mut u8,
    shorts: &Shorts,
    found: &mut impl FnMut(u32, usize),
) -> usize {
    use std::arch::x86_64::*;
    // A table of sixteen bytes in both 128-bit lanes (`vpshufb` looks up
    // within each lane).
    let table = |t: &[u8; 16]| {
        // SAFETY: `t` holds sixteen bytes; `loadu` takes any alignment.
        _mm256_broadcastsi128_si256(unsafe { _mm_loadu_si128(t.as_ptr().cast()) })
    };
    let tables = NYBBLE_TABLES.0.map(|[lo, hi]| (table(&lo), table(&hi)));
    let token_tables = shorts.tables.0.map(|[lo, hi]| (table(&lo), table(&hi)));
    let nybble = _mm256_set1_epi8(0x0f);
    // The low and high nybbles of each byte of `x`.
    let nybbles = |x: __m256i| {
        (
            _mm256_and_si256(x, nybble),
            _mm256_and_si256(_mm256_srli_epi16(x, 4), nybble),
        )
    };
    let zero = _mm256_setzero_si256();
    // For each lane, the patterns of `tables` that may start there (by
    // the nybbles of its three bytes, as `NybbleTables::bits_at`), and
    // the mask of the lanes where some may.
    let starting = |tables: &[(__m256i, __m256i); 3], nybbles: [(__m256i, __m256i); 3]| {
        let mut bits = _mm256_set1_epi8(-1);
        for ((lo, hi), (low, high)) in tables.iter().zip(nybbles) {
            let at = _mm256_and_si256(
                _mm256_shuffle_epi8(*lo, low),
                _mm256_shuffle_epi8(*hi, high),
            );
            bits = _mm256_and_si256(bits, at);
        }
        (
            bits,
            !(_mm256_movemask_epi8(_mm256_cmpeq_epi8(bits, zero)) as u32),
        )
    };
    let (a_upper, letters, case) = (
        _mm256_set1_epi8(b'A' as i8),
        _mm256_set1_epi8(25),
        _mm256_set1_epi8(0x20),
    );
    let mut p = 0;
    while let Some(w) = block[p..].first_chunk() {
        // Lane `i` holds the first three bytes of a character at `p + i`.
        let (b0, b1, b2) = text::load3(w);
        // `A` to `Z`: `b - 'A'` is at most 25, unsigned.
        let t = _mm256_sub_epi8(b0, a_upper);
        let upper = _mm256_cmpeq_epi8(_mm256_min_epu8(t, letters), t);
        let lowered = _mm256_or_si256(b0, _mm256_and_si256(upper, case));
        // SAFETY: `p + 32 <= block.len()`, for which `lower` has room.
        unsafe { _mm256_storeu_si256(lower.add(p).cast(), lowered) };

        let n = [nybbles(b0), nybbles(b1), nybbles(b2)];
        let (_, mut bits) = starting(&tables, n);
        while bits != 0 {
            found(SENTINEL, p + bits.trailing_zeros() as usize);
            bits &= bits - 1;
        }
        let (buckets, mut bits) = starting(&token_tables, n);
        if bits != 0 {
            let mut lanes = [0u8; 32];
            // SAFETY: `lanes` holds 32 bytes; `storeu` takes any alignment.
            unsafe { _mm256_storeu_si256(lanes.as_mut_ptr().cast(), buckets) };
            while bits != 0 {
                let i = bits.trailing_zeros() as usize;
                shorts.check(block, p + i, lanes[i], found);
                bits &= bits - 1;
            }
        }
        p += 32;
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What `lower_and_find` gives, sorted: the lowercased copy and the
    /// offsets of the sentinels reported (no short tokens).
    fn run_with(block: &[u8], vector: bool) -> (Vec<u8>, Vec<usize>) {
        let (lower, found) = run_tokens(block, &Shorts::default(), vector);
        assert!(found.iter().all(|&(id, _)| id == SENTINEL));
        (lower, found.into_iter().map(|(_, i)| i).collect())
    }

    /// What `lower_and_find` gives, sorted: the lowercased copy and what
    /// it reported, `(id, offset)`.
    fn run_tokens(block: &[u8], shorts: &Shorts, vector: bool) -> (Vec<u8>, Vec<(u32, usize)>) {
        // A used buffer: its old contents must go.
        let mut lower = b"old contents".to_vec();
        let mut found = Vec::new();
        lower_and_find_with(
            block,
            &mut lower,
            shorts,
            |id, i| found.push((id, i)),
            vector,
        );
        found.sort_unstable();
        (lower, found)
    }

    /// Every occurrence of every token in `block` ASCII-lowercased, and
    /// the first offset of each run of sentinels, sorted.
    fn naive(tokens: &[Vec<u8>], block: &[u8]) -> Vec<(u32, usize)> {
        let mut want: Vec<(u32, usize)> = (0..block.len())
            .filter(|&i| is_sentinel(block, i) && !(i > 0 && is_sentinel(block, i - 1)))
            .map(|i| (SENTINEL, i))
            .collect();
        want.extend(crate::grams::naive(tokens, &block.to_ascii_lowercase()));
        want.sort_unstable();
        want
    }

    /// The pass finds the tokens and sentinels of `naive`, with and without
    /// vectors.
    fn finds_tokens(tokens: &[Vec<u8>], block: &[u8]) -> Result<(), String> {
        let ids: Vec<u32> = (0..tokens.len() as u32).collect();
        let shorts = Shorts::new(tokens, &ids);
        let want = naive(tokens, block);
        for vector in [true, false] {
            let (lower, found) = run_tokens(block, &shorts, vector);
            if lower != block.to_ascii_lowercase() {
                return Err("lowercased copy differs".into());
            }
            if found != want {
                return Err(format!("vector {vector}: found {found:?}, want {want:?}"));
            }
        }
        Ok(())
    }

    /// Tokens of every length the buckets hold (one and two bytes, whose
    /// fingerprints take any byte after them; past 32 bytes; non-ASCII; a
    /// prefix of another; with the same fingerprint as another), in either
    /// case, at every offset across the vector pass's 32 bytes and its
    /// end, also overlapping.
    #[test]
    fn short_tokens_at_every_offset() {
        let tokens: Vec<Vec<u8>> = [
            "(@",
            "@",
            "/ap",
            "/afp",
            "\u{2014}",
            "\u{2014} (",
            "photo:",
            "image:",
            "get the",
            "for more",
            "berall",
            "aa",
            "share it in the comments below, or else",
            "file -",
        ]
        .iter()
        .map(|t| t.as_bytes().to_vec())
        .collect();
        let pieces = [
            "(@x",
            "/AP",
            "/afp",
            "\u{2014}",
            "\u{2014} (",
            "Photo:",
            "IMAGE:",
            "get THE",
            "For More",
            "\u{fc}berall",
            "aaa",
            "Share it in the comments below, or else",
            "file -",
            "\u{2019}",
            "/getty",
            "photo",
            "(@",
            "@",
        ];
        let mut seen = 0;
        for a in pieces {
            for pad in 0..70 {
                let text = format!("{}{a} x{a}\n", "w".repeat(pad));
                finds_tokens(&tokens, text.as_bytes())
                    .map_err(|e| format!("{text:?}: {e}"))
                    .unwrap();
                let ids: Vec<u32> = (0..tokens.len() as u32).collect();
                seen += run_tokens(text.as_bytes(), &Shorts::new(&tokens, &ids), true)
                    .1
                    .len();
            }
        }
        assert!(seen > 2_000, "{seen} found");
    }

    /// More tokens than buckets: they share them, and each is found.
    #[test]
    fn shared_buckets() {
        let tokens: Vec<Vec<u8>> = (0..40u8)
            .map(|i| vec![b'a' + i % 26, b'0' + i % 10, b'/', b'a' + i / 2])
            .collect();
        let text: Vec<u8> = tokens
            .iter()
            .flat_map(|t| t.iter().chain(b" ").copied())
            .collect();
        let text = [&b"xx"[..], &text, &text.to_ascii_uppercase()].concat();
        finds_tokens(&tokens, &text).unwrap();
        assert!(naive(&tokens, &text).len() >= 80);
    }

    /// `lower_ascii` lowercases the ASCII letters of eight bytes and
    /// nothing else, byte by byte.
    #[test]
    fn lower_ascii_is_bytewise() {
        for b in 0..=255u8 {
            for other in [0u8, b'A', b'z', 0x80, 0xff, b'@', b'['] {
                let x = u64::from_le_bytes([other, b, other, b, b, other, b, other]);
                let want = u64::from_le_bytes(x.to_le_bytes().map(|c| c.to_ascii_lowercase()));
                assert_eq!(lower_ascii(x), want, "{b:#x} {other:#x}");
            }
        }
    }

    /// Checks `run` against the definition, offset by offset: the copy is
    /// the lowercased block, every offset reported is a sentinel, none
    /// twice, and the first of every run of sentinels is reported.
    fn agrees(block: &[u8]) -> Result<(), String> {
        agrees_with(block, true)?;
        agrees_with(block, false).map_err(|e| format!("without vectors: {e}"))
    }

    fn agrees_with(block: &[u8], vector: bool) -> Result<(), String> {
        let (lower, found) = run_with(block, vector);
        if lower != block.to_ascii_lowercase() {
            return Err("lowercased copy differs".into());
        }
        // Every offset tested alone: those with a sentinel whose offset
        // before has none.
        let want: Vec<usize> = (0..block.len())
            .filter(|&i| is_sentinel(block, i) && !(i > 0 && is_sentinel(block, i - 1)))
            .collect();
        if found != want {
            return Err(format!("found {found:?}, want {want:?}"));
        }
        Ok(())
    }

    /// Every kind of sentinel, near misses of each (other characters that
    /// their lead bytes start, a CR before LF), and runs, at every offset
    /// across the vector pass's 32 bytes and its end.
    #[test]
    fn every_kind_at_every_offset() {
        let pieces = [
            "\t", "\x0b", "\x0c", "\r", "\r\n", "\n", "\u{85}", "\u{a0}", "\u{a9}", "\u{1680}",
            "\u{1681}", "\u{2000}", "\u{200a}", "\u{200b}", "\u{2028}", "\u{2029}", "\u{202f}",
            "\u{205f}", "\u{2060}", "\u{3000}", "\u{3001}", "\u{2019}", "\u{2014}", "\u{e1}",
            "\u{3042}", "  ", "   ", " ", "\t\t\t", "A", "Z", "@", "[",
        ];
        let mut seen = 0;
        for a in pieces {
            for b in pieces {
                for pad in 0..70 {
                    let text = format!("{}x{a}y{b}z\n", "W".repeat(pad));
                    agrees(text.as_bytes())
                        .map_err(|e| format!("{text:?}: {e}"))
                        .unwrap();
                    seen += run_with(text.as_bytes(), true).1.len();
                }
            }
        }
        assert!(seen > 20_000, "{seen} sentinels");
    }

    /// A run is reported once, also across the pass's 32-byte steps and
    /// into its last bytes.
    #[test]
    fn runs_are_reported_once() {
        for vector in [true, false] {
            for n in [2, 3, 31, 32, 33, 64, 65, 100, 1000] {
                for pad in 0..40 {
                    let text = format!("{}{}x\n", "a".repeat(pad), " ".repeat(n));
                    assert_eq!(run_with(text.as_bytes(), vector).1, vec![pad], "{text:?}");
                    let tabs = format!("{}{}", "a".repeat(pad), "\t".repeat(n));
                    assert_eq!(run_with(tabs.as_bytes(), vector).1, vec![pad], "{tabs:?}");
                    let mixed = format!("{}\t\x0b{}x", "a".repeat(pad), " ".repeat(n));
                    assert_eq!(run_with(mixed.as_bytes(), vector).1, vec![pad], "{mixed:?}");
                }
            }
        }
    }

    /// The tables, read an offset at a time as the last bytes are, take
    /// every sentinel.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn sentinels_lead_with_those_bytes() {
        for a in 0..=255u8 {
            for b in [0u8, b' ', b'\n', 0x80, 0x85, 0xa0, 0x9a, 0x81] {
                for c in [0u8, 0x80, 0x8a, 0x9f, 0xa8] {
                    let block = [a, b, c];
                    if is_sentinel(&block, 0) {
                        assert_ne!(NYBBLE_TABLES.bits_at(&block, 0), 0, "{block:x?}");
                    }
                }
            }
        }
    }

    /// The whitespace of three bytes (`text::ws_len`) is exactly the
    /// three-byte sentinels, over every character of three bytes.
    #[test]
    fn three_byte_spaces() {
        let want: Vec<char> = crate::matcher::SENTINELS
            .iter()
            .filter(|s| s.len() == 3)
            .map(|s| s.chars().next().unwrap())
            .collect();
        for c in ('\u{800}'..='\u{ffff}').filter(|c| c.len_utf8() == 3) {
            let mut buf = [0; 4];
            let bytes = c.encode_utf8(&mut buf).as_bytes();
            assert_eq!(text::ws_len(bytes) == 3, want.contains(&c), "{c:?}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Any bytes, drawn mostly from those that start or follow a
        /// sentinel, at any length.
        #[test]
        fn finds_short_tokens_as_a_naive_search(
            tokens in prop::collection::vec("[aB (@\u{2014}:/]{1,12}", 1..14),
            block in "[aAbB (@\u{2014}\u{2019}:/\n\t]{0,300}",
        ) {
            let tokens: Vec<Vec<u8>> = tokens
                .into_iter()
                .map(|t| t.to_ascii_lowercase().into_bytes())
                .collect();
            prop_assert_eq!(finds_tokens(&tokens, block.as_bytes()), Ok(()));
        }

        #[test]
        fn agrees_with_the_definition(
            block in prop::collection::vec(
                prop_oneof![
                    prop::sample::select(vec![
                        b'\t', 0x0b, 0x0c, b'\r', b'\n', b' ', 0xc2, 0x85, 0xa0,
                        0xe1, 0x9a, 0xe2, 0x80, 0x81, 0x8a, 0x8b, 0x9f, 0xa8, 0xa9,
                        0xaf, 0xe3, b'A', b'Z', b'a', b'@',
                    ]),
                    any::<u8>(),
                ],
                0..300,
            )
        ) {
            prop_assert_eq!(agrees(&block), Ok(()));
        }
    }
}
