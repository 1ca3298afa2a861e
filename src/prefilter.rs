//! Which lines can skip the matcher.
//!
//! Most lines of an article are prose that no rule touches, and the matcher
//! (one search pass per line for every rule's anchor, with many short
//! anchors such as `Ad` or ` of ` that hit all the time, each hit verified)
//! is the slowest stage. The prefilter proves, cheaply, that the matcher
//! would leave a line alone, so the detector can keep it without asking.
//!
//! The proof rests on how the detector decides (see `detect`): a line
//! changes only when a span rule hits it (a cut), or when the hits together
//! cover every letter and digit of it (a drop). A cover must cover the
//! line's first letter or digit, so some hit starts at or before it. Hence
//! the matcher can be skipped when none of these holds:
//!
//! 1. the line holds unusual whitespace (a matcher "sentinel": the matcher
//!    would normalise it, and the checks below assume single spaces);
//! 2. a rule that can match anywhere matches where its trigger token is:
//!    any span rule, any `sentence` rule (its match grows back to the start
//!    of its sentence), and line and block rules that start with a
//!    placeholder that could start almost any line (`{name}`, `{text}`...),
//!    the last with a match that starts at or before the first letter or
//!    digit. The token is a piece of the rule's anchor literal, which any
//!    match contains;
//! 3. some other line or block rule can start at or before the line's first
//!    letter or digit: its first literal is there and the rule matches from
//!    there, or its first placeholder fits there (`{n}` needs a digit,
//!    `{caps}` two capitals...) and the rule matches from there;
//! 4. the line has no letter or digit at all (any hit would cover it).
//!
//! Checks 1 and 2 run once over a block of many lines, not per line: one
//! pass lowercases the block into a scratch buffer and finds the
//! whitespace sentinels and the few short tokens (`sentinels`), and the
//! copy is searched for all other tokens at once (`grams`: a bit table of
//! hashed four-byte windows, which holds its speed with a few hundred
//! tokens where an automaton or Teddy do not). The offsets found are kept
//! sorted, and each line looks at the next one.
//!
//! Shapes (`shapes`) are not text patterns: the detector checks them on
//! skipped lines too.
//!
//! Every check may answer "maybe" too often, never too rarely: a line that
//! is not skipped goes through the matcher exactly as before, so output is
//! the same with or without the prefilter (the property tests compare
//! both, removals included).
//!
//! A span rule's hit that starts after the first letter or digit cannot
//! start a cover either, so a line whose only hits are such does not need
//! the matcher: the prefilter verifies those hits where their tokens are,
//! just as the matcher verifies its anchors, and hands them to the
//! detector in place of the matcher's hits, which it cuts. Those are most lines
//! with junk inside prose (a credit or a handle mid-sentence), long lines
//! that the matcher would search whole. A sentence rule's hit is
//! not handed over: it may follow reader questions, which a cover passes
//! over.

use std::mem::take;

use memchr::memmem;

use crate::grams::Grams;
use crate::matcher::{self, Hit, Rule};
use crate::patterns::{Hole, Piece, Scope};
// `Flag::trigger` of a whitespace sentinel: what the first pass reports.
use crate::sentinels::{self, SENTINEL, Shorts};
use crate::text;

/// Largest block searched at once: lowercased into a scratch buffer of this
/// size, so it stays in cache.
const BLOCK: usize = 64 * 1024;

/// The prefilter of one set of rules. Built with the matcher, immutable.
#[derive(Debug)]
pub(crate) struct Prefilter {
    /// Searches lowercased text for the trigger tokens (ids are indexes
    /// into `triggers`), but the short ones.
    finder: Grams,
    /// The short tokens, which the first pass over a block finds.
    shorts: Shorts,
    triggers: Vec<Trigger>,
    /// The first literals of literal-first line and block rules (ASCII
    /// only, lowercased), each with its rule, sorted, so that those with a
    /// given prefix are one range of it.
    starts: Vec<(Vec<u8>, u32)>,
    /// `start_key` of each of `starts` (sorted too).
    start_keys: Vec<u64>,
    /// Which `start_key`s there are, by the length of the literal (one to
    /// seven bytes, or [`KEY_LEN`] and more): a bit table indexed by
    /// `prefix_bit`, so that most lines need no search of `starts`.
    start_prefixes: Box<[u64; PREFIX_WORDS]>,
    /// Line and block rules that start with a non-ASCII literal, checked
    /// at the start of a line, by the first byte of a line they may match:
    /// each with the first lowercase character of its literal, sorted by
    /// it, so that only those whose character the line starts with are
    /// compared (a line that starts with a curly quote compares none).
    start_rules_by_byte: Vec<Vec<(Option<char>, u32)>>,
    /// Line and block rules that start with a selective placeholder, by
    /// placeholder: it is measured once for all of them.
    start_holes: Vec<StartHole>,
    /// What of the above may start with a byte, by byte.
    start_bytes: Box<[StartByte; 256]>,
    /// Some rule has no usable trigger: every line goes to the matcher.
    always: bool,
}

/// What start rules may begin with a given byte, looked up before any
/// key is made: a line's first letter starts literals of two to five of
/// the eight lengths of keys, and no placeholder but `{caps}`, so most
/// offsets where a start rule is looked for need only a few of the tests
/// of [`Prefilter::may_start_at`].
#[derive(Clone, Copy, Debug, Default)]
struct StartByte {
    /// Bit `n - 1`: some literal of `starts` of `n` bytes (`KEY_LEN`:
    /// that many or more) starts with the byte, up to ASCII case.
    literals: u8,
    /// Bit `i`: the placeholder of `start_holes[i]` may start with it.
    holes: u8,
}

/// The start rules that begin with one placeholder.
#[derive(Debug)]
struct StartHole {
    hole: Hole,
    rules: Vec<u32>,
}

/// A token that rules which can match anywhere contain.
#[derive(Debug)]
struct Trigger {
    /// ASCII-lowercased.
    token: Vec<u8>,
    /// The rules, each with the offset of the token in its anchor literal:
    /// the anchor is then checked and the rule verified where the token is
    /// found. `None` when the anchor has case variants beyond ASCII: any
    /// occurrence of the token sends the line to the matcher.
    rules: Vec<(u32, Option<usize>)>,
    /// Bytes that every match of every one of `rules` holds after the
    /// token ([`needle`]): where the rest of the line lacks them, no rule
    /// of the trigger matches. The em dash of prose triggers the tweet
    /// signatures (`— {text} ({handle}) {date}` and three more), which all
    /// need ` (@` after it.
    need: Option<Box<memmem::Finder<'static>>>,
}

/// Where the block search found something.
#[derive(Clone, Copy, Debug)]
struct Flag {
    /// Absolute offset.
    at: u64,
    /// The trigger whose token starts there (an index into
    /// `Prefilter::triggers`), or [`SENTINEL`].
    trigger: u32,
}

/// The prefilter's state while cleaning one input: what the search of the
/// current block found, and a cursor into it.
#[derive(Debug, Default)]
pub(crate) struct Skipper {
    /// Sorted by offset.
    flags: Vec<Flag>,
    /// Index of the first flag not behind the current line.
    next: usize,
    /// Absolute offset up to which the input has been searched.
    scanned_to: u64,
    /// Lowercased copy of the block, searched for the tokens.
    lower: Vec<u8>,
}

impl Skipper {
    /// Ready for a new input: a fresh skipper that keeps the capacity of
    /// its buffers.
    pub fn reset(&mut self) {
        let (mut flags, mut lower) = (take(&mut self.flags), take(&mut self.lower));
        flags.clear();
        lower.clear();
        *self = Skipper {
            flags,
            lower,
            ..Skipper::default()
        };
    }

    /// About how many bytes it holds.
    pub fn capacity(&self) -> usize {
        self.lower.capacity() + self.flags.capacity() * size_of::<Flag>()
    }
}

impl Prefilter {
    /// Sorts the rules into anywhere rules (found by their tokens) and
    /// start rules (checked at the start of each line).
    pub fn new(rules: &[Rule]) -> Prefilter {
        let mut wants = Vec::new();
        let mut starts: Vec<(Vec<u8>, u32)> = Vec::new();
        let mut start_rules = Vec::new();
        let mut always = false;
        for (id, rule) in rules.iter().enumerate() {
            if rule.shape.is_some() {
                // Shapes are not text patterns: the detector checks them on
                // every line the prefilter lets through or skips.
                continue;
            }
            let anywhere = match (&rule.pieces[0], rule.scope) {
                (_, Scope::Span) => true,
                // A sentence rule's match grows back to the start of its
                // sentence, so a hit anywhere can cover the line's start.
                _ if rule.sentence => true,
                (Piece::Lit(lit), _) if lit.is_ascii() => {
                    starts.push((lit.to_ascii_lowercase().into_bytes(), id as u32));
                    false
                }
                (Piece::Lit(_), _) => {
                    start_rules.push(id as u32);
                    false
                }
                (Piece::Hole(h), _) if is_selective(*h) => {
                    start_rules.push(id as u32);
                    false
                }
                (Piece::Hole(_), _) => true,
            };
            if !anywhere {
                continue;
            }
            let Piece::Lit(anchor) = &rule.pieces[rule.anchor] else {
                unreachable!("anchors are literals")
            };
            let Some((token, offset)) = trigger_token(anchor) else {
                always = true;
                continue;
            };
            wants.push((id as u32, token.to_ascii_lowercase(), offset));
        }
        let triggers = group_triggers(rules, &wants);
        let tokens: Vec<Vec<u8>> = triggers.iter().map(|t| t.token.clone()).collect();
        let finder = Grams::new(&tokens);
        let shorts = Shorts::new(&tokens, finder.short());
        let mut start_rules_by_byte = vec![Vec::new(); 256];
        let mut start_holes: Vec<StartHole> = Vec::new();
        for &id in &start_rules {
            match &rules[id as usize].pieces[0] {
                Piece::Lit(lit) => {
                    let want = first_lower(lit.as_bytes());
                    for b in 0..=255u8 {
                        if may_start_with(lit, b) {
                            start_rules_by_byte[usize::from(b)].push((want, id));
                        }
                    }
                }
                &Piece::Hole(hole) => match start_holes.iter_mut().find(|g| g.hole == hole) {
                    Some(g) => g.rules.push(id),
                    None => start_holes.push(StartHole {
                        hole,
                        rules: vec![id],
                    }),
                },
            }
        }
        for list in &mut start_rules_by_byte {
            list.sort_unstable();
        }
        starts.sort();
        let mut start_prefixes = Box::new([0u64; PREFIX_WORDS]);
        let mut start_bytes = Box::new([StartByte::default(); 256]);
        for (lit, _) in &starts {
            let n = lit.len().min(KEY_LEN);
            let bit = prefix_bit(start_key(lit), n);
            start_prefixes[bit / 64] |= 1 << (bit % 64);
            for b in [lit[0], lit[0].to_ascii_uppercase()] {
                start_bytes[usize::from(b)].literals |= 1 << (n - 1);
            }
        }
        assert!(start_holes.len() <= 8, "one bit per selective placeholder");
        for (i, g) in start_holes.iter().enumerate() {
            for b in 0..=255u8 {
                if matcher::hole_may_start_with(g.hole, b) {
                    start_bytes[usize::from(b)].holes |= 1 << i;
                }
            }
        }
        Prefilter {
            finder,
            shorts,
            triggers,
            start_keys: starts.iter().map(|(l, _)| start_key(l)).collect(),
            starts,
            start_prefixes,
            start_rules_by_byte,
            start_holes,
            start_bytes,
            always,
        }
    }

    /// Sends every line to the matcher.
    pub fn disable(&mut self) {
        self.always = true;
    }

    /// True when the hits left in `hits` (most often none) are all that the
    /// matcher would find in `line` that can change it, sorted as the
    /// matcher sorts them; false when the matcher must look.
    ///
    /// `line` is a whole line at absolute `offset`, `trimmed` its range
    /// without leading and trailing whitespace (`text::trim_range`);
    /// `ahead` is the input buffered from the line's first byte on (at
    /// least the line itself), so that many lines are searched at once;
    /// `ends_input` says that it runs to the end of the input.
    ///
    /// Span hits are found here as the matcher finds them: every span rule
    /// has a trigger token inside its anchor, every occurrence of a token
    /// is flagged, and the rule is verified where its anchor would be. When
    /// none of them starts before the end of the line's first letter or
    /// digit, and nothing else can start a cover there (checks 2 and 3
    /// above), no set of hits covers the line: the matcher's other hits
    /// change nothing, and the span hits are all the detector needs.
    #[allow(clippy::too_many_arguments)]
    pub fn check(
        &self,
        rules: &[Rule],
        line: &[u8],
        trimmed: (usize, usize),
        offset: u64,
        ahead: &[u8],
        ends_input: bool,
        sk: &mut Skipper,
        hits: &mut Vec<Hit>,
    ) -> bool {
        hits.clear();
        if self.always {
            return false;
        }
        if offset >= sk.scanned_to {
            self.scan_ahead(line.len(), offset, ahead, ends_input, sk);
        }
        while sk.flags.get(sk.next).is_some_and(|f| f.at < offset) {
            sk.next += 1;
        }
        let end = offset + line.len() as u64;
        let in_line = sk.flags[sk.next..].iter().take_while(|f| f.at < end);
        // Unusual whitespace: the checks below assume single spaces.
        if in_line.clone().any(|f| f.trigger == SENTINEL) {
            return false;
        }
        let (lo, hi) = trimmed;
        let hay = &line[lo..hi];
        let Some(first) = text::first_alnum_end(hay) else {
            // No letter or digit: any hit covers the line.
            return false;
        };
        for f in in_line.clone() {
            // Tokens do not start with whitespace, so never before `lo`.
            let Some(in_hay) = ((f.at - offset) as usize).checked_sub(lo) else {
                return false;
            };
            if self.triggered::<false>(rules, f.trigger, hay, in_hay, first, hits) {
                return false;
            }
        }
        // A covering hit starts before the end of the first letter or digit.
        // A match starts at a character boundary.
        if (0..first)
            .any(|s| !(0x80..0xc0).contains(&hay[s]) && self.may_start_at::<false>(rules, hay, s))
        {
            // Most such lines are short junk lines that the matcher drops
            // (`Advertisement`); a long one costs the matcher most and is
            // most often prose after a word such as `Next`.
            return hay.len() > LONG_LINE
                && self.check_long(
                    rules,
                    hay,
                    lo,
                    first,
                    // (Every flag passed the loop above: none is before `lo`.)
                    in_line.map(|f| ((f.at - offset) as usize - lo, f.trigger)),
                    hits,
                );
        }
        // The span rules' anchors found, verified: their hits, if none may
        // start a cover.
        spans_cover_nothing::<false>(rules, hay, lo, first, hits)
    }

    /// Does a rule hit `hay` (a trimmed line without sentinels) through the
    /// token of `trigger` found at `at`, in a way that the matcher must
    /// decide? `first` is the end of the line's first letter or digit.
    /// Where the anchor of a span rule (not a sentence rule) is found, it
    /// is added to `spans` instead (offsets in `hay`), to be verified once
    /// the line's other checks have passed.
    ///
    /// A hit of a line or block rule (not a sentence rule) changes a line
    /// only as part of a cover of all its letters and digits, and the hit
    /// that starts a cover starts before `first`. A hit that starts later
    /// changes nothing unless that first hit exists, and the first hit is
    /// found on its own: through its own token, or by the start check.
    /// A sentence rule's hit may follow reader questions, which a cover
    /// passes over, so any of them goes to the matcher.
    ///
    /// `LONG` only makes the long-line path ([`Prefilter::check_long`]) its
    /// own copy, so that the copy in `check`, which runs on every line,
    /// keeps the code it had with one caller (the iterator adapters inside
    /// inlined).
    fn triggered<const LONG: bool>(
        &self,
        rules: &[Rule],
        trigger: u32,
        hay: &[u8],
        at: usize,
        first: usize,
        spans: &mut Vec<Hit>,
    ) -> bool {
        let t = &self.triggers[trigger as usize];
        // Every match holds the needle after its anchor, which ends after
        // the token.
        if let Some(need) = &t.need
            && need.find(&hay[at..]).is_none()
        {
            return false;
        }
        let mut memo = matcher::Memo::default();
        for &(id, offset) in &t.rules {
            let Some(offset) = offset else {
                return true;
            };
            let rule = &rules[id as usize];
            let Piece::Lit(anchor) = &rule.pieces[rule.anchor] else {
                unreachable!("anchors are literals")
            };
            // Where the matcher's search would find the anchor.
            let Some(s) = at.checked_sub(offset) else {
                continue;
            };
            let e = s + anchor.len();
            if e > hay.len() || !hay[s..e].eq_ignore_ascii_case(anchor.as_bytes()) {
                continue;
            }
            if rule.scope == Scope::Span && !rule.sentence {
                // Verified later, if the line gets that far.
                spans.push(Hit {
                    rule: id,
                    start: s,
                    end: e,
                });
                continue;
            }
            // A hit that starts at `first` or later changes nothing, and
            // most of these anchors are found mid-sentence (`{name}/Getty`,
            // `{name} (@{word})`), where no hit can start before it.
            if !rule.sentence && !matcher::may_start_before(rule, hay, s, first) {
                continue;
            }
            if matcher::verify(rule, hay, s, e, &mut memo)
                .is_some_and(|(start, _)| rule.sentence || start < first)
            {
                return true;
            }
        }
        false
    }

    /// The rest of [`Prefilter::check`] for a line longer than
    /// [`LONG_LINE`] where a start rule may match before `first`: the line
    /// may still skip the matcher when no cover can go on past that rule's
    /// hit ([`Prefilter::cover_bound`]). `tokens` are the line's flags
    /// (offset in `hay`, trigger); `hits` holds the span hits found.
    #[cold]
    #[inline(never)]
    fn check_long(
        &self,
        rules: &[Rule],
        hay: &[u8],
        lo: usize,
        first: usize,
        tokens: impl Iterator<Item = (usize, u32)>,
        hits: &mut Vec<Hit>,
    ) -> bool {
        let Some(s) = (0..first).position(|s| {
            !(0x80..0xc0).contains(&hay[s]) && self.may_start_at::<true>(rules, hay, s)
        }) else {
            return false;
        };
        let Some(bound) = self.cover_bound(rules, hay, s, first, tokens) else {
            return false;
        };
        // As in `check`, with the bound in place of the first letter.
        spans_cover_nothing::<true>(rules, hay, lo, bound, hits)
    }

    /// Where a cover of `hay` (a trimmed line without sentinels) that a
    /// start rule begins must go on, when that can be known: the end of the
    /// first letter or digit after the furthest end of the hits of the
    /// start rules that may match from `from` (the first offset where one
    /// may), as in `Next came accusations of ...` or `60 PHOTOS Barack and
    /// Michelle Obama ...`. A cover of the line then needs another hit that
    /// starts before that bound, and the prefilter looks for one as it does
    /// before `first` (the end of the line's first letter or digit): start
    /// rules at every offset up to the bound (each may move it on), and the
    /// line's `tokens` (offset in `hay`, trigger), whose line rules' hits
    /// must start at the bound or later. The span hits are the caller's to
    /// compare with the bound. `None` when the matcher must look.
    fn cover_bound(
        &self,
        rules: &[Rule],
        hay: &[u8],
        from: usize,
        first: usize,
        tokens: impl Iterator<Item = (usize, u32)>,
    ) -> Option<usize> {
        let mut bound = first;
        // `from` is the first offset where a start rule may match.
        let mut s = from;
        while s < bound {
            if s == from
                || !(0x80..0xc0).contains(&hay[s]) && self.may_start_at::<true>(rules, hay, s)
            {
                let end = self.furthest_end(rules, hay, s)?;
                bound = bound.max(end + text::first_alnum_end(&hay[end..])?);
            }
            s += 1;
        }
        // The span hits were gathered by the caller already.
        let mut spans = Vec::new();
        for (at, trigger) in tokens {
            if self.triggered::<true>(rules, trigger, hay, at, bound, &mut spans) {
                return None;
            }
        }
        Some(bound)
    }

    /// The start literals of `n` bytes (`KEY_LEN`: that many or more)
    /// whose key is `key` (a text's key cut to `n` bytes, [`cut_key`]),
    /// with their rules.
    #[inline(always)]
    fn starts_keyed(&self, key: u64, n: usize) -> impl Iterator<Item = &(Vec<u8>, u32)> {
        let from = self.start_keys.partition_point(|&k| k < key);
        self.start_keys[from..]
            .iter()
            .take_while(move |&&k| k == key)
            .zip(&self.starts[from..])
            .map(|(_, entry)| entry)
            .filter(move |(l, _)| l.len().min(KEY_LEN) == n)
    }

    /// The furthest end of the hits of the start rules that may match
    /// `hay` from `s` ([`matcher::max_end`]: every start rule under the
    /// keys of the text there, every rule of a placeholder that may start
    /// there, and the rules with a literal beyond ASCII that the byte there
    /// may start); `None` when none matches, or when the hits leave no
    /// letter or digit after them (they may cover the line).
    fn furthest_end(&self, rules: &[Rule], hay: &[u8], s: usize) -> Option<usize> {
        let rest = &hay[s..];
        let b = hay.get(s).copied().unwrap_or(0);
        let mut budget = 4096;
        let mut end = None;
        for &(_, id) in &self.start_rules_by_byte[usize::from(b)] {
            let rule = &rules[id as usize];
            end = end.max(matcher::max_end(rule, &rule.pieces, hay, s, &mut budget));
        }
        let text_key = text_key(rest);
        for n in 1..=KEY_LEN {
            for (_, id) in self.starts_keyed(cut_key(text_key, n), n) {
                let rule = &rules[*id as usize];
                end = end.max(matcher::max_end(rule, &rule.pieces, hay, s, &mut budget));
            }
        }
        for g in &self.start_holes {
            if !matcher::hole_may_start_at(g.hole, hay, s) {
                continue;
            }
            for &e in matcher::hole_ends_at(g.hole, hay, s).as_slice() {
                for &id in &g.rules {
                    let rule = &rules[id as usize];
                    end = end.max(matcher::max_end(
                        rule,
                        &rule.pieces[1..],
                        hay,
                        e,
                        &mut budget,
                    ));
                }
            }
        }
        let end = end?;
        text::first_alnum_end(&hay[end..])?;
        Some(end)
    }

    /// Could a start rule match `hay` (a trimmed line without sentinels)
    /// from offset `s`?
    /// `LONG`: as for [`Prefilter::triggered`].
    fn may_start_at<const LONG: bool>(&self, rules: &[Rule], hay: &[u8], s: usize) -> bool {
        // A rule whose first literal is there, and which matches from there
        // (the literal alone says too often "maybe": `By ` starts many
        // sentences that are no byline). The literals that the text can
        // start with have one of eight keys: its first one to eight bytes,
        // lowercased (those of lengths that literals starting with its
        // first byte have).
        let rest = &hay[s..];
        let b = rest.first().copied().unwrap_or(0);
        let can = self.start_bytes[usize::from(b)];
        let text_key = text_key(rest);
        let literal_at = |n: usize| {
            let key = cut_key(text_key, n);
            let bit = prefix_bit(key, n);
            if self.start_prefixes[bit / 64] & (1 << (bit % 64)) == 0 {
                return false;
            }
            self.starts_keyed(key, n).any(|(l, id)| {
                let rule = &rules[*id as usize];
                rest.len() >= l.len()
                    && rest[..l.len()].eq_ignore_ascii_case(l)
                    && match &rule.pieces[..] {
                        // The only match from `s`, and a hit starts
                        // and ends at token edges (`Ad` is no hit in
                        // `Additionally`).
                        [Piece::Lit(lit)] => {
                            (!rule.case || rest.starts_with(lit.as_bytes()))
                                && text::is_boundary(hay, s)
                                && text::is_boundary(hay, s + l.len())
                        }
                        _ => matcher::may_match_at(rule, hay, s),
                    }
            })
        };
        // The lengths of literals that start with the byte, shortest first:
        // a loop over the bits, as `(1..=KEY_LEN).filter(..).any(..)`
        // called the closure out of line for every length (3,400
        // instructions an article, callgrind).
        let mut lengths = can.literals;
        while lengths != 0 {
            let n = lengths.trailing_zeros() as usize + 1;
            lengths &= lengths - 1;
            if literal_at(n) {
                return true;
            }
        }
        // Rules that start with a placeholder: measured once per
        // placeholder, and most lines fail its first byte.
        let holes = self.start_holes.iter().enumerate();
        if holes
            .filter(|(i, _)| can.holes & (1 << i) != 0)
            .any(|(_, g)| {
                matcher::hole_may_start_at(g.hole, hay, s) && {
                    let ends = matcher::hole_ends_at(g.hole, hay, s);
                    !ends.as_slice().is_empty()
                        && g.rules
                            .iter()
                            .any(|&id| matcher::may_match_after(&rules[id as usize], hay, &ends))
                }
            })
        {
            return true;
        }
        // Equal lowercase strings start with the same lowercase character:
        // decode it once, and compare only the rules whose literal starts
        // with it.
        let list = &self.start_rules_by_byte[usize::from(b)];
        if list.is_empty() {
            return false;
        }
        let first = first_lower(&hay[s..]);
        let from = list.partition_point(|&(want, _)| want < first);
        list[from..]
            .iter()
            .take_while(|&&(want, _)| want == first)
            .any(|&(_, id)| {
                let Piece::Lit(lit) = &rules[id as usize].pieces[0] else {
                    unreachable!("placeholder rules are in start_holes")
                };
                hay.get(s..s + lit.len())
                    .is_some_and(|found| text::may_eq_caseless(found, lit))
            })
    }

    /// The rules of each trigger token: they are verified one after the
    /// other where the token is found.
    pub(crate) fn trigger_groups(&self) -> impl Iterator<Item = impl Iterator<Item = u32>> {
        self.triggers
            .iter()
            .map(|t| t.rules.iter().map(|&(id, _)| id))
    }

    /// Searches the next block of input: from the current line's start up to
    /// the last line end within `BLOCK` bytes (at least the whole line), or
    /// to the end of the input when it is within them.
    ///
    /// The last line of a text often has no line end (most of the corpus's
    /// articles): it was searched as a block of its own, each of the
    /// block's searches set up anew for it, and the first block was found
    /// by a search back for the last line end. Both cost 2.5% of an article
    /// (in turn, all 1,848 of 3-5 KB).
    fn scan_ahead(
        &self,
        line_len: usize,
        offset: u64,
        ahead: &[u8],
        ends_input: bool,
        sk: &mut Skipper,
    ) {
        let window = &ahead[..ahead.len().min(BLOCK.max(line_len))];
        let end = if ends_input && window.len() == ahead.len() {
            ahead.len()
        } else {
            match memchr::memrchr(b'\n', window) {
                Some(nl) => (nl + 1).max(line_len),
                None => line_len,
            }
        };
        sk.flags.clear();
        sk.next = 0;
        sk.scanned_to = offset + end as u64;
        self.scan(&ahead[..end], offset, sk);
    }

    /// Records in `sk.flags` the offsets (plus `base`) of every trigger
    /// token in `block`, and of the whitespace sentinels, the first of each
    /// run of them (see `sentinels::lower_and_find`).
    fn scan(&self, block: &[u8], base: u64, sk: &mut Skipper) {
        let flags = &mut sk.flags;
        // Sentinels (`sentinels::is_sentinel`) and the short tokens, found
        // in one pass with the lowercased copy of the block that the other
        // tokens are searched in.
        sentinels::lower_and_find(block, &mut sk.lower, &self.shorts, |t, i| {
            flags.push(Flag {
                at: base + i as u64,
                trigger: t,
            })
        });
        self.finder.find_all(&sk.lower, |t, i| {
            flags.push(Flag {
                at: base + i as u64,
                trigger: t,
            })
        });
        flags.sort_unstable_by_key(|f| f.at);
    }
}

/// Lines longer than this (trimmed) that a start rule may begin are asked
/// whether a cover can go on after its hit ([`Prefilter::check_long`]):
/// such lines are most often prose or a gallery after a word such as
/// `Next` or `60 PHOTOS`, and the matcher cost about 50 instructions a
/// byte (its Aho-Corasick automaton then; see `docs/performance.md`).
/// Shorter ones are mostly junk lines, which the matcher must see anyway.
/// Of the lines that reach the matcher this way, the median is 52 bytes
/// and a tenth are over 110, mostly captions after
/// `Image zoom` or `Expand Close` that `check_long` clears; 150 cost 0.55%
/// fewer instructions than 1,000 over the 1,848 articles of 3-5 KB (300:
/// 0.37%; 90: 0.9% more on 400 of them, the junk lines paying twice).
const LONG_LINE: usize = 150;

/// One trigger per distinct token, with the rules it stands for. `wants`
/// holds, per anywhere rule, its token (ASCII-lowercased; see
/// [`trigger_token`]) and the token's offset in the rule's anchor.
///
/// Each rule keeps its whole token rather than sharing a shorter word with
/// other rules: a long token is rare in prose, so it is found (and its rules
/// verified) only where it nearly always matches. Measured on the corpus,
/// sharing words (`photo`, `click`, `video`) found three times more
/// occurrences to verify.
fn group_triggers(rules: &[Rule], wants: &[(u32, String, Option<usize>)]) -> Vec<Trigger> {
    let mut triggers: Vec<Trigger> = Vec::new();
    for (id, token, offset) in wants {
        let entry = (*id, *offset);
        match triggers.iter_mut().find(|t| t.token == token.as_bytes()) {
            Some(t) => t.rules.push(entry),
            None => triggers.push(Trigger {
                token: token.as_bytes().to_vec(),
                rules: vec![entry],
                need: None,
            }),
        }
    }
    for t in &mut triggers {
        let mut needles = t.rules.iter().map(|&(id, offset)| {
            offset?;
            needle(&rules[id as usize])
        });
        let first = needles.next().flatten();
        if let Some(n) = first
            && needles.all(|m| m.as_ref() == Some(&n))
        {
            t.need = Some(Box::new(memmem::Finder::new(&n).into_owned()));
        }
    }
    triggers
}

/// Bytes that every match of `rule` holds after its anchor, the same in
/// any case: the longest run of ASCII bytes other than letters in one of
/// its literals after the anchor, of two bytes or more, with a `@` after
/// it when the run ends its literal and a `{handle}` comes next (a handle
/// starts with `@`). Matching compares a literal caselessly, but only
/// letters have case variants (the two characters beyond ASCII that
/// lowercase to ASCII lowercase to letters), and a line the prefilter
/// reads has single spaces only (others are sentinels), so a match holds
/// such a run byte for byte.
fn needle(rule: &Rule) -> Option<Vec<u8>> {
    let after = &rule.pieces[rule.anchor + 1..];
    // The longest run so far: its bytes, and whether a `@` follows it.
    let mut best: (&[u8], bool) = (&[], false);
    for (i, piece) in after.iter().enumerate() {
        let Piece::Lit(lit) = piece else {
            continue;
        };
        let handle_next = matches!(after.get(i + 1), Some(Piece::Hole(Hole::Handle)));
        let bytes = lit.as_bytes();
        let runs = bytes.split(|b| !b.is_ascii() || b.is_ascii_alphabetic());
        let last = runs.clone().count() - 1;
        for (k, run) in runs.enumerate() {
            // Only the last run ends the literal.
            let at = handle_next && k == last;
            if run.len() + usize::from(at) > best.0.len() + usize::from(best.1) {
                best = (run, at);
            }
        }
    }
    let mut n = best.0.to_vec();
    if best.1 {
        n.push(b'@');
    }
    (n.len() >= 2).then_some(n)
}

/// Bytes in the key of a start literal. Eight rather than four: many
/// literals share their first four bytes (`The `, `This`, `Rela`, `More`,
/// up to 34 of them), and a line that starts with those (one in ten)
/// compared them all, about 580 instructions, where eight bytes rule most
/// out at the key.
const KEY_LEN: usize = 8;

/// The first [`KEY_LEN`] bytes of a start literal (padded with zeros), as
/// one number: sorting by literal sorts by key.
fn start_key(lit: &[u8]) -> u64 {
    let mut key = [0u8; KEY_LEN];
    for (k, b) in key.iter_mut().zip(lit) {
        *k = *b;
    }
    u64::from_be_bytes(key)
}

/// Bits in the table of start keys (`Prefilter::start_prefixes`): 8 KiB.
const PREFIX_BITS: u32 = 16;
const PREFIX_WORDS: usize = 1 << (PREFIX_BITS - 6);

/// The bit of the table of start keys for `key`, the key of a literal of
/// `n` bytes (`n` = `KEY_LEN`: that many or more).
fn prefix_bit(key: u64, n: usize) -> usize {
    let mixed = (key ^ n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (mixed >> (64 - PREFIX_BITS)) as usize
}

/// Verifies the span hits that `triggered` gathered (offsets in `hay`, a
/// line trimmed from `lo`): true, with `hits` the verified ones in line
/// offsets and sorted, when none starts before `bound`, where it could
/// start a cover and the matcher must decide. `LONG`: as for
/// [`Prefilter::triggered`].
#[inline(always)]
fn spans_cover_nothing<const LONG: bool>(
    rules: &[Rule],
    hay: &[u8],
    lo: usize,
    bound: usize,
    hits: &mut Vec<Hit>,
) -> bool {
    let mut cover = false;
    let mut memo = matcher::Memo::default();
    hits.retain_mut(|h| {
        match matcher::verify(&rules[h.rule as usize], hay, h.start, h.end, &mut memo) {
            Some((start, end)) => {
                cover |= start < bound;
                (h.start, h.end) = (start + lo, end + lo);
                true
            }
            None => false,
        }
    });
    if cover {
        return false;
    }
    matcher::sort_hits(hits);
    true
}

/// The key of the text at the start of `rest`: its first [`KEY_LEN`]
/// bytes (padded with zeros), ASCII-lowercased, as [`start_key`] makes a
/// literal's.
///
/// Read as one word where the text has that many bytes, else byte by byte.
/// The bytes were copied into a zeroed array and read back (a `memcpy`
/// call, then a load that waits for its stores), and `perf annotate` put a
/// fifth of `Prefilter::check`'s samples on that load on a text of one
/// word a line; read directly, that text is 1.5-1.8% faster.
fn text_key(rest: &[u8]) -> u64 {
    let word = match rest.first_chunk::<KEY_LEN>() {
        Some(head) => u64::from_be_bytes(*head),
        None => rest.iter().enumerate().fold(0, |key, (i, &b)| {
            key | u64::from(b) << (8 * (KEY_LEN - 1 - i))
        }),
    };
    // Lowercased as one word.
    sentinels::lower_ascii(word)
}

/// A key cut to its first `n` bytes (`KEY_LEN`: all of it).
fn cut_key(key: u64, n: usize) -> u64 {
    key & (u64::MAX << (8 * (KEY_LEN - n)))
}

/// The first character of `s`, lowercased (its first lowercase character).
///
/// Characters from U+2000 to U+207F (`E2 80` and `E2 81`: general
/// punctuation, the curly quotes and dashes that start one line in ten of
/// news text, and superscripts) are their own lowercase: they are taken
/// as they are, without the lookup in Unicode's case tables (1% of the
/// stream's time).
fn first_lower(s: &[u8]) -> Option<char> {
    match s {
        [b, ..] if b.is_ascii() => Some(char::from(b.to_ascii_lowercase())),
        [0xe2, 0x80 | 0x81, ..] => text::char_at(s, 0),
        _ => text::char_at(s, 0).and_then(|c| c.to_lowercase().next()),
    }
}

/// Could a match of an entry whose first piece is the literal `lit` start
/// with byte `b`? Never false when it could: the literal is compared with
/// Unicode lowercase, so an ASCII byte must lowercase to the literal's first
/// lowercase character, and any other byte may start a character that does.
fn may_start_with(lit: &str, b: u8) -> bool {
    let Some(want) = lit.chars().next().and_then(|c| c.to_lowercase().next()) else {
        return true;
    };
    match (want.is_ascii(), b.is_ascii()) {
        (true, true) => char::from(b.to_ascii_lowercase()) == want,
        // The only characters beyond ASCII that lowercase to an
        // ASCII one (checked by a test over all of Unicode).
        (true, false) => matches!((want, b), ('i', 0xc4) | ('k', 0xe2)),
        (false, true) => false,
        // Any lead byte; a continuation byte starts no character.
        (false, false) => !(0x80..0xc0).contains(&b),
    }
}

/// Does placeholder `h` rarely start a line? Its first byte
/// ([`matcher::hole_may_start_at`]) rules out most lines: a digit for
/// `{n}`, `{dur}` and `{time}`, `@` for `{handle}`, two capitals for `{caps}`.
/// Others fit almost any line start.
fn is_selective(h: Hole) -> bool {
    matches!(
        h,
        Hole::Num | Hole::Dur | Hole::Time | Hole::Handle | Hole::Caps
    )
}

/// The token of an anchor literal, found in every match of it (in the
/// ASCII-lowercased text), and its offset in the anchor.
///
/// When the anchor is ASCII or has no letter case, the matcher finds it
/// exactly, up to ASCII case: the token is the anchor less surrounding
/// spaces, and the rule can be verified where the token is found.
/// Otherwise the matcher also finds Unicode case variants; they agree on
/// the anchor's runs of ASCII characters, up to ASCII case, so the token is
/// the longest such run and the offset is unknown (`None`). `None` overall
/// when there is no usable token.
pub(crate) fn trigger_token(anchor: &str) -> Option<(String, Option<usize>)> {
    let trimmed = anchor.trim();
    let offset = anchor.len() - anchor.trim_start().len();
    let caseless = trimmed.to_lowercase() == trimmed && trimmed.to_uppercase() == trimmed;
    if anchor.is_ascii() || caseless {
        return (!trimmed.is_empty()).then(|| (trimmed.to_string(), Some(offset)));
    }
    let best = trimmed
        .split(|c: char| !c.is_ascii())
        .map(str::trim)
        .max_by_key(|run| run.len())
        .unwrap_or("");
    (!best.is_empty()).then(|| (best.to_string(), None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        let t = |s: &str, tok: &str, off: Option<usize>| {
            assert_eq!(trigger_token(s), Some((tok.to_string(), off)), "{s:?}");
        };
        t("(Photo: ", "(Photo:", Some(0));
        t(" of ", "of", Some(1));
        t("— ", "—", Some(0));
        t("Copyright © ", "Copyright", None);
        t("Édition française", "dition fran", None);
        assert_eq!(trigger_token("Éé"), None);
    }

    #[test]
    fn only_two_non_ascii_characters_lowercase_to_ascii() {
        let found: Vec<(char, char)> = (0x80..=0x10ffff)
            .filter_map(char::from_u32)
            .filter_map(|c| {
                c.to_lowercase()
                    .next()
                    .filter(char::is_ascii)
                    .map(|l| (c, l))
            })
            .collect();
        assert_eq!(found, vec![('\u{130}', 'i'), ('\u{212a}', 'k')]);
        assert_eq!("\u{130}".as_bytes()[0], 0xc4);
        assert_eq!("\u{212a}".as_bytes()[0], 0xe2);
    }

    /// No character beyond ASCII has an ASCII character other than a
    /// letter in its lowercase: a caseless match of a literal holds the
    /// literal's runs of such bytes as they are (`needle`).
    #[test]
    fn no_lowercase_beyond_ascii_holds_ascii_other_than_letters() {
        let found: Vec<char> = (0x80..=0x10ffff)
            .filter_map(char::from_u32)
            .filter(|c| {
                c.to_lowercase()
                    .any(|l| l.is_ascii() && !l.is_ascii_alphabetic())
            })
            .collect();
        assert_eq!(found, Vec::<char>::new());
    }

    fn rules_of(src: &str) -> Vec<Rule> {
        let rules = crate::patterns::parse("t.txt", "t", src).unwrap();
        let defs = rules
            .rules
            .into_iter()
            .map(|r| (0usize, "t.txt".to_string(), r))
            .collect();
        crate::matcher::Matcher::new(defs).rules
    }

    #[test]
    fn needles() {
        let src = "[span]\n\
                   — {text} ({handle}) {date}\n\
                   — ({handle}) {date}\n\
                   {url} — {text} ({handle}) {date}\n\
                   A post shared by {text} ({handle}) on {date}\n\
                   (Photo: {text})\n\
                   Follow us on {word}\n\
                   {n} of {n}\n";
        let rules = rules_of(src);
        let got: Vec<Option<String>> = rules
            .iter()
            .map(|r| needle(r).map(|n| String::from_utf8(n).unwrap()))
            .collect();
        let want = [
            Some(" (@"),
            // The anchor is `— (`: the needle comes after it.
            Some(") "),
            Some(" (@"),
            Some(" (@"),
            None,
            None,
            None,
        ];
        assert_eq!(got, want.map(|w| w.map(str::to_string)));
        // The trigger of the three rules with the dash holds the shared
        // needle; one with another needle or none would hold none.
        let p = Prefilter::new(&rules);
        let need = |token: &str| {
            p.triggers
                .iter()
                .find(|t| t.token == token.as_bytes())
                .map(|t| t.need.as_ref().map(|f| f.needle().to_vec()))
        };
        assert_eq!(need("—"), Some(Some(b" (@".to_vec())));
        let mixed = rules_of("[span]\n— {text} ({handle}) {date}\n— {text}, {date}\n");
        let p = Prefilter::new(&mixed);
        assert!(p.triggers.iter().all(|t| t.need.is_none()));
    }

    /// `text_key` is the first eight bytes, each ASCII-lowercased, padded
    /// with zeros: every byte value at every position, and every length.
    #[test]
    fn text_key_lowercases_each_byte() {
        let naive = |rest: &[u8]| {
            let mut head = [0u8; KEY_LEN];
            for (h, b) in head.iter_mut().zip(rest) {
                *h = b.to_ascii_lowercase();
            }
            u64::from_be_bytes(head)
        };
        for b in 0..=255u8 {
            for at in 0..KEY_LEN + 2 {
                let mut rest = *b"Ab\xc3\x89z@[`{";
                if at < rest.len() {
                    rest[at] = b;
                }
                for n in 0..=rest.len() {
                    assert_eq!(
                        text_key(&rest[..n]),
                        naive(&rest[..n]),
                        "{b:#x} at {at}, {n}"
                    );
                }
            }
        }
    }

    /// `first_lower` agrees with Unicode's lowercase for every character,
    /// those it takes as they are among them.
    #[test]
    fn first_lower_is_the_first_lowercase_character() {
        for c in (0..=0x10ffffu32).filter_map(char::from_u32) {
            let mut buf = [0; 4];
            let bytes = c.encode_utf8(&mut buf).as_bytes();
            let text = [bytes, b"x"].concat();
            assert_eq!(first_lower(&text), c.to_lowercase().next(), "{c:?}");
        }
    }

    #[test]
    fn every_sentinel_is_flagged() {
        let rules = crate::patterns::parse("t.txt", "t", "[span]\n(Photo: {text})\n").unwrap();
        let defs = rules
            .rules
            .into_iter()
            .map(|r| (0usize, "t.txt".to_string(), r))
            .collect();
        let m = crate::matcher::Matcher::new(defs);
        for s in matcher::SENTINELS {
            let line = format!("a{s}b");
            let mut sk = Skipper::default();
            m.prefilter.scan(line.as_bytes(), 0, &mut sk);
            let at: Vec<u64> = sk.flags.iter().map(|f| f.at).collect();
            assert_eq!(at, vec![1], "{s:?}");
        }
        let mut sk = Skipper::default();
        m.prefilter.scan(b"a\r\nb", 0, &mut sk);
        assert!(sk.flags.is_empty());
    }
}
