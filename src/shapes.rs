//! Shapes: built-in line classifiers for junk that has a recognisable form
//! but no fixed wording: a share bar made only of network names, a counter
//! (`302 SHARES`, `3 total views, 3 views today`), a line made only of links
//! or handles, a photo credit (`Name/Agency`).
//!
//! A pattern file turns a shape on for its category with a `[shape]`
//! section that names it, so shapes are switched with their category and
//! reported like any rule (`shape:share-bar`). A shape looks at one line on
//! its own, without a copy. Shapes run on every line of up to 600 bytes that
//! the patterns did not already remove, which is most lines; so each shape
//! has a gate ([`ShapeKind::could_match`]) in front of its full test that
//! rejects a line of prose cheaply, on its bytes, mostly from features of
//! the line computed once for all shapes ([`Line`]): the full test, which
//! reads the line as text and splits it into words, runs on a few lines in
//! a hundred. A gate may let a line through that the full test then
//! rejects, never the other way round; a property test holds each gated
//! shape to its full test.

use std::cell::OnceCell;

use crate::text;

/// The longest line (trimmed, in bytes) that a shape other than
/// `repeated-title` and `author-box` takes.
pub(crate) const SHORT_SHAPE: usize = 200;

/// A built-in line shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ShapeKind {
    /// `share-bar`: two or more words, all of them network or share-button
    /// names (`Facebook Twitter Pinterest`, `Share | Tweet | Email`).
    ShareBar,
    /// `counter`: numbers with counter words only (`302 SHARES`, `448 shares
    /// Pin 448`, `3 total views, 3 views today`, `4.83 / 5 ( 18 )`).
    Counter,
    /// `link-line`: only links and handles (`https://t.co/x`,
    /// `@name @other`).
    LinkLine,
    /// `credit-line`: a photo credit alone on a line: names joined by `/` or
    /// `|` with an agency or platform among them (`Jane Doe/Getty Images`,
    /// `Jane Doe/Instagram`, `Jordan Strauss / AP`, `AKM-GSI`).
    CreditLine,
    /// `button-row`: three or more bare button words, not all the same,
    /// and nothing else (`Yes! Oui! Si Ja`, `OK Cancel ✕`).
    ButtonRow,
    /// `caption`: a line whose span cuts (by rules of the same category)
    /// run to its end and leave something that does not read as prose, as
    /// a photo caption with its credit glued on: the whole line goes. The
    /// detector applies it; `ShapeKind::matches` alone never does.
    Caption,
    /// `repeated-title`: a card that prints its title twice, maybe with a
    /// section label between (`Title Section Title`): the line's first six
    /// or more words occur again later in it, and it is no sentence.
    RepeatedTitle,
    /// `author-box`: an author bio box, `About Jane Doe Jane Doe is ...`.
    AuthorBox,
}

impl ShapeKind {
    const ALL: [(&'static str, ShapeKind); 8] = [
        ("repeated-title", ShapeKind::RepeatedTitle),
        ("author-box", ShapeKind::AuthorBox),
        ("share-bar", ShapeKind::ShareBar),
        ("counter", ShapeKind::Counter),
        ("link-line", ShapeKind::LinkLine),
        ("credit-line", ShapeKind::CreditLine),
        ("button-row", ShapeKind::ButtonRow),
        ("caption", ShapeKind::Caption),
    ];

    pub(crate) fn from_name(name: &str) -> Option<ShapeKind> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, k)| *k)
    }

    pub(crate) fn names() -> Vec<&'static str> {
        Self::ALL.iter().map(|(n, _)| *n).collect()
    }

    /// True when the whole line has this shape.
    #[cfg(test)]
    pub(crate) fn matches(self, line: &[u8]) -> bool {
        self.matches_line(&Line::new(line))
    }

    /// True when the line has this shape: the gate, then (on the line read
    /// as text) the full test. (The detector asks the gates of all its
    /// shapes at once, with [`gates`].)
    #[cfg(test)]
    pub(crate) fn matches_line(self, line: &Line) -> bool {
        self.could_match(line) && self.matches_text(line)
    }

    /// The shape's bit in a set of shapes (see [`gates`]).
    pub(crate) const fn bit(self) -> u8 {
        1 << self as u8
    }

    /// The full test on a line that the shape's gate let through (see
    /// [`gates`]); not inlined: few lines reach it.
    #[inline(never)]
    pub(crate) fn matches_text(self, line: &Line) -> bool {
        line.text().is_some_and(|text| self.matches_str(text))
    }

    /// Whether the shape can take a line of more than [`SHORT_SHAPE`]
    /// bytes: the detector asks only these about a longer line.
    pub(crate) fn takes_long_lines(self) -> bool {
        matches!(self, ShapeKind::RepeatedTitle | ShapeKind::AuthorBox)
    }

    /// Whether a trimmed line of `len` bytes is too long or too short for
    /// the shape.
    fn out_of_bounds(self, len: usize) -> bool {
        len == 0 || len > 600 || (len > SHORT_SHAPE && !self.takes_long_lines())
    }

    /// The full test of a shape on a trimmed line, without its gate: the
    /// reference for the gates.
    fn matches_str(self, line: &str) -> bool {
        if self.out_of_bounds(line.len()) {
            return false;
        }
        match self {
            ShapeKind::ShareBar => is_share_bar(line),
            ShapeKind::Counter => is_counter(line),
            ShapeKind::LinkLine => is_link_line(line),
            ShapeKind::CreditLine => is_credit_line(line),
            ShapeKind::ButtonRow => is_button_row(line),
            ShapeKind::Caption => false,
            ShapeKind::RepeatedTitle => is_repeated_title(line),
            ShapeKind::AuthorBox => line.starts_with("About ") && is_author_box(line),
        }
    }

    /// The gate: false when the full test ([`ShapeKind::matches_str`]) is
    /// certainly false, found cheaply on the line's bytes. Every condition
    /// here is one the full test also requires (or follows from one), so a
    /// gate never rejects a line that has the shape. Gates read bytes; where
    /// a test would need a character decoded (a credit word that starts
    /// with a non-ASCII letter, a byte of 0x80 or more beside a repeated
    /// title word), they let the line through.
    ///
    /// The gates leave the full test's bounds on the length to it: the
    /// detector asks a shape only about lines within them (see
    /// `Detector::shape_of`), and testing them again for each shape of each
    /// line was a sixth of the cost of asking a line of prose.
    #[inline(always)]
    fn could_match(self, line: &Line) -> bool {
        let bytes = line.bytes;
        let len = bytes.len();
        let first = line.first;
        // More than one word: the first token is not the whole line.
        let several = first.len() < len;
        // Tests of the first token as text (`first_text`): an invalid token
        // goes through to the full test, which is not run on an invalid line.
        match self {
            // Every token is a separator, a network or a number, and there
            // are at least two networks: so two or more tokens, and the
            // first token that is not a separator is a network or a number
            // (the full test says no at the first that is neither). A
            // separator first (`| Share | Tweet`) is rare: let it through.
            ShapeKind::ShareBar => {
                several
                    && match line.word {
                        // `bare` leaves the letters; the token is no
                        // separator and no number.
                        Some(w) => NETWORKS.contains_ascii(w),
                        None => line.first_text().is_none_or(|t| {
                            let b = bare(t);
                            is_separator(t)
                                || NETWORKS.contains(b)
                                || (!b.is_empty() && b.bytes().all(|c| c.is_ascii_digit()))
                        }),
                    }
            }
            // The full test's checks of the first token: no list number
            // (`6.`), and, as every token, a number, `/`, bracket-like
            // punctuation or a counter word.
            // A counter has a number (`is_number`: digits first, after
            // brackets and punctuation), so the line has an ASCII digit.
            // (The digit is looked for after a word first, which is
            // seldom a counter word, and before a token read as text.)
            ShapeKind::Counter => match line.word {
                // Letters (after quotes): no list number, no number, no
                // punctuation alone; `bare` leaves the letters.
                Some(w) => COUNTER_WORDS.contains_ascii(w) && has_digit(bytes),
                None => {
                    has_digit(bytes)
                        && line
                            .first_text()
                            .is_none_or(|t| !is_list_number(t) && counter_token(t))
                }
            },
            // Every token is a handle (`@` first) or a link; a link has a
            // `/` (`http://`, `pic.twitter.com/x`, `host.tld/path`) or starts
            // with `www.`. The full test trims `.,);` off the end of the
            // token and `(` off its start: that removes no `@` or `/`, and a
            // `www.` it starts with then starts the token after its `(`s.
            ShapeKind::LinkLine => {
                line.link_mark || {
                    let mut t = first;
                    while let [b'(', rest @ ..] = t {
                        t = rest;
                    }
                    t.len() >= 4 && t[..4].eq_ignore_ascii_case(b"www.")
                }
            }
            ShapeKind::CreditLine => could_be_credit_line(bytes),
            // Three or more button words and nothing else: two or more
            // tokens, and the first, stripped of `!?.|[]`, is a button word
            // (or was only that punctuation: let it through).
            ShapeKind::ButtonRow => {
                several
                    && match line.word {
                        // `button_bare` leaves the letters, or keeps quotes
                        // or punctuation, which no button word has.
                        Some(w) => BUTTONS.contains_ascii(w),
                        None => line.first_text().is_none_or(|t| {
                            let b = button_bare(t);
                            b.is_empty() || BUTTONS.contains(b)
                        }),
                    }
            }
            ShapeKind::Caption => false,
            ShapeKind::RepeatedTitle => could_be_repeated_title(line),
            ShapeKind::AuthorBox => bytes.starts_with(b"About "),
        }
    }
}

/// The shapes of `enabled` (a set of [`ShapeKind::bit`]s) whose gates let
/// `line` through: the set that the full tests need to be asked about, in
/// the order of the rules (a line within the bounds of them all, as
/// `ShapeKind::could_match` wants).
///
/// Each gate is asked in a fixed order, as straight-line code, whatever the
/// order of the rules: asked in rule order through a `match` on the kind,
/// each shape of each line was an indirect jump to a new target, 71% of the
/// indirect mispredicts of cleaning an article (59 an article). Every gate
/// is asked, where rule order stopped at the first match; but a match is
/// rare, and a line that has none asked them all anyway.
#[inline(always)]
pub(crate) fn gates(line: &Line, enabled: u8) -> u8 {
    let mut passed = 0;
    // Unrolled by hand: as a loop over the kinds, it kept its jump table.
    let mut ask = |k: ShapeKind| {
        if enabled & k.bit() != 0 && k.could_match(line) {
            passed |= k.bit();
        }
    };
    ask(ShapeKind::ShareBar);
    ask(ShapeKind::Counter);
    ask(ShapeKind::LinkLine);
    ask(ShapeKind::CreditLine);
    ask(ShapeKind::ButtonRow);
    ask(ShapeKind::RepeatedTitle);
    ask(ShapeKind::AuthorBox);
    passed
}

/// True when no shape that takes a line longer than [`SHORT_SHAPE`]
/// (`repeated-title`, `author-box`; see [`ShapeKind::takes_long_lines`])
/// takes the trimmed line `bytes`, as its two ends show: it ends like a
/// sentence, which the gate of `repeated-title` rejects, and does not start
/// with `About `, as an author box does. Most long lines are paragraphs of
/// prose: this spares them the features of [`Line`] (about 130
/// instructions and four mispredicted branches a line).
pub(crate) fn long_line_takes_no_shape(bytes: &[u8]) -> bool {
    text::ends_sentence(bytes) && !bytes.starts_with(b"About ")
}

/// Whether `s` has an ASCII digit, in one pass without an early exit, so
/// that the loop vectorises: on the short lines the `counter` gate looks
/// at, that beats stopping at the first digit.
fn has_digit(s: &[u8]) -> bool {
    s.iter().fold(false, |seen, b| seen | b.is_ascii_digit())
}

/// A line as the shapes see it: trimmed, with the features the gates share
/// computed once for all shapes. It is read as text (validated as UTF-8)
/// only when a gate lets it through, at most once.
pub(crate) struct Line<'a> {
    /// The line, trimmed.
    bytes: &'a [u8],
    /// Its first whitespace-separated token (as `split_whitespace` on the
    /// text would give it), or empty for an empty line.
    first: &'a [u8],
    /// The letters of the first token, when it is ASCII letters between
    /// quotes and punctuation (`The`, `However,`, `“We`; see
    /// [`first_word`]), for a line of at most [`SHORT_SHAPE`] bytes (no shape
    /// that looks at it takes a longer one): the usual first word of prose.
    /// The gates that look up the first token in a word list need only
    /// these letters then (see [`first_word`]). Computed once for them all:
    /// the gates look at nothing else of most lines but their ends, so
    /// nothing else is computed ahead (a pass over the line for its digits
    /// and `/`, `|` and `-`, made for the `counter` and `credit-line` gates,
    /// was a fifth of the cost of asking a line of prose, which reaches
    /// neither test).
    word: Option<&'a [u8]>,
    /// Whether the first token has an `@` or a `/`, as a handle or a link
    /// has (see the gate of `link-line`).
    link_mark: bool,
    /// The first token as text (`None` if it is not UTF-8), once a gate
    /// that looks at its words needs it.
    first_text: OnceCell<Option<&'a str>>,
    /// The line as text, once a full test needs it; `None` when it is not
    /// UTF-8 (the decoder hands out valid UTF-8 only: this never happens).
    text: OnceCell<Option<&'a str>>,
}

impl<'a> Line<'a> {
    #[cfg(test)]
    pub(crate) fn new(line: &'a [u8]) -> Line<'a> {
        let (lo, hi) = text::trim_range(line);
        Line::of_trimmed(&line[lo..hi])
    }

    /// The features of a line already trimmed (`text::trim_range`).
    pub(crate) fn of_trimmed(bytes: &'a [u8]) -> Line<'a> {
        let (first, word, link_mark) = match first_token_ascii(bytes) {
            Some(t) => (
                &bytes[..t.len],
                t.word.map(|(lo, hi)| &bytes[lo..hi]),
                t.link_mark,
            ),
            None => {
                let first = &bytes[..first_token_len(bytes)];
                let mark = first.iter().any(|&b| matches!(b, b'@' | b'/'));
                (first, first_word(first), mark)
            }
        };
        let word = word.filter(|_| bytes.len() <= SHORT_SHAPE);
        Line {
            bytes,
            first,
            word,
            link_mark,
            first_text: OnceCell::new(),
            text: OnceCell::new(),
        }
    }

    /// True when no shape takes the line, as its two ends show: most short
    /// lines of prose start with a word that is in no shape's word list and
    /// end in a full stop, `!` or `?`. The gates of the shapes that look at
    /// the first token (`share-bar`, `counter`, `button-row`, `link-line`,
    /// `author-box`) reject such a word, and those of the shapes that look
    /// at the end (`credit-line`, `repeated-title`) such an end; so the
    /// detector asks none of them (the gates, with the dispatch to each,
    /// cost about 300 instructions a line of prose). A property test holds
    /// this to the full tests.
    pub(crate) fn takes_no_shape(&self) -> bool {
        let Some(w) = self.word else {
            return false;
        };
        let bytes = self.bytes;
        // `credit-line` (which looks through a closing bracket, not past
        // this) and `repeated-title`.
        let sentence_end = match bytes {
            [.., b'.' | b'!' | b'?'] => !bytes.ends_with(b"Inc."),
            // A quote closed after the sentence end (`."`, `?’`), a
            // quarter of the short lines of prose that reached the gates:
            // `credit-line` takes such a line only when it is split into
            // parts by a `/` or `|` (alone, a line must be an agency, none
            // of which ends in a quote).
            [.., b'"' | b'\''] | [.., 0xe2, 0x80, 0x9d | 0x99] => {
                text::ends_sentence(bytes) && memchr::memchr2(b'/', b'|', bytes).is_none()
            }
            _ => false,
        };
        if !sentence_end {
            return false;
        }
        let may_take_one = NETWORKS.contains_ascii(w)
            || COUNTER_WORDS.contains_ascii(w)
            || BUTTONS.contains_ascii(w)
            // `link-line`: a link or a handle first (`@` is in no first
            // word's token, `/` may be).
            || self.link_mark
            || w.eq_ignore_ascii_case(b"www")
            // `author-box`.
            || w == b"About";
        !may_take_one
    }

    /// Its length in bytes, trimmed.
    pub(crate) fn len(&self) -> usize {
        self.bytes.len()
    }

    fn first_text(&self) -> Option<&'a str> {
        *self
            .first_text
            .get_or_init(|| std::str::from_utf8(self.first).ok())
    }

    fn text(&self) -> Option<&'a str> {
        *self
            .text
            .get_or_init(|| std::str::from_utf8(self.bytes).ok())
    }
}

/// What [`first_token_ascii`] finds of the first token of a line.
struct FirstToken {
    /// [`first_token_len`].
    len: usize,
    /// [`first_word`], as a range of the line.
    word: Option<(usize, usize)>,
    /// Whether the token has an `@` or a `/` (`Line::link_mark`).
    link_mark: bool,
}

/// The first token of a trimmed line and its [`first_word`], when the token
/// is ASCII and shorter than 8 bytes, as the first token of most lines is;
/// else `None`.
///
/// The first 8 bytes (padded with spaces) are classed all at once, as the
/// bytes of one `u64`, and the ends of the token and its word read off
/// those classes: the loops that went byte by byte ended at a different
/// place on every line. Over 400 new articles this has half the
/// mispredicted branches of the loops (9K, from 19K) for 40 more
/// instructions a line (190); 16 bytes at a time, as a `u128`, cost twice
/// the instructions.
fn first_token_ascii(s: &[u8]) -> Option<FirstToken> {
    // Each class is a mask with bit 7 of each byte set where the byte is in
    // the class. No arithmetic below carries or borrows from one byte into
    // the next: it is done on bytes of 0x7F or less, each with bit 7 set
    // first where it subtracts.
    const L: u64 = u64::MAX / 255;
    const H: u64 = L << 7;
    // (A line of 8 bytes or more, nearly every line, is read without a
    // copy: `memcpy` is called through the PLT.)
    let x = match s.first_chunk::<8>() {
        Some(head) => u64::from_le_bytes(*head),
        None => s
            .iter()
            .rev()
            .fold((L * u64::from(b' ')) >> (8 * s.len()), |x, &b| {
                x << 8 | u64::from(b)
            }),
    };
    let ascii = !x & H;
    let x7 = x & !H;
    // The bytes of `v` (each 0x7F or less) that are `k` or more (`k` <= 0x80).
    let ge = |v: u64, k: u8| ((v | H) - L * u64::from(k)) & H;
    let eq = |k: u8| !(((x7 ^ (L * u64::from(k))) | H) - L) & H & ascii;
    // The bytes before byte `i` (`i` < 8).
    let below = |i: u32| (1u64 << (8 * i)) - 1;
    let space = (eq(b' ') | ge(x7, b'\t') & !ge(x7, b'\r' + 1)) & ascii;
    // The token ends at the first whitespace; a byte of 0x80 or more
    // before it may be Unicode whitespace, or a curly quote: the long way.
    let end = space | (x & H);
    if end == 0 {
        return None;
    }
    let at = end.trailing_zeros() / 8;
    if space & (0x80 << (8 * at)) == 0 {
        return None;
    }
    // Quotes, letters, then punctuation (quotes among it) to the end of the
    // token; the whitespace at `at` ends each of these runs.
    let quotes = (!(eq(b'"') | eq(b'\'')) & H).trailing_zeros() / 8;
    let folded = x7 | (L * 0x20);
    let alpha = ge(folded, b'a') & !ge(folded, b'z' + 1) & ascii;
    let letters_end = (!alpha & H & !below(quotes)).trailing_zeros() / 8;
    let digit = ge(x7, b'0') & !ge(x7, b'9' + 1);
    let graphic = ge(x7, 0x21) & !ge(x7, 0x7f);
    let punct = graphic & !alpha & !digit & !eq(b'+') & !eq(b'@') & ascii;
    let rest = below(at) & !below(letters_end) & H;
    let word = (letters_end > quotes && rest & !punct == 0)
        .then_some((quotes as usize, letters_end as usize));
    let link_mark = (eq(b'@') | eq(b'/')) & below(at) != 0;
    Some(FirstToken {
        len: at as usize,
        word,
        link_mark,
    })
}

/// Length of the first token of a trimmed line: `text::token_len` (which
/// ends a token at the same whitespace as `split_whitespace`), with ASCII
/// bytes tested without decoding.
fn first_token_len(s: &[u8]) -> usize {
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        if matches!(b, b' ' | b'\t'..=b'\r') || (b >= 0x80 && text::ws_len(&s[i..]) > 0) {
            return i;
        }
        i += 1;
    }
    i
}

/// The letters of a token that is ASCII letters between quotes and
/// punctuation: opening quotes (`"`, `'`, `“`, `‘`), then the letters,
/// then ASCII punctuation other than `+` and `@`, and closing quotes (`”`,
/// `’`) (`The`, `However,`, `“Yes,”`); or `None`.
///
/// On such a token, `bare` (which trims what is not a letter or digit, but
/// `+` and `@`; the curly quotes are not) leaves the letters. So does
/// `button_bare`, or else it keeps quotes or punctuation, which no button
/// word has. The token is no number and no separator. So the gates of the
/// shapes that look the first token up in a word list ask only whether the
/// list holds the letters, without reading the token as text, trimming it
/// as text, or testing it for non-ASCII bytes (about 400 instructions a
/// short line of prose). Quotes are the usual other start of a line of
/// prose: without them, one short line in four went the long way.
fn first_word(first: &[u8]) -> Option<&[u8]> {
    let mut t = first;
    while let [b'"' | b'\'', rest @ ..] | [0xe2, 0x80, 0x9c | 0x98, rest @ ..] = t {
        t = rest;
    }
    let letters = t.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    let mut rest = &t[letters..];
    loop {
        match rest {
            [] => break,
            [0xe2, 0x80, 0x9d | 0x99, tail @ ..] => rest = tail,
            [b, tail @ ..] if b.is_ascii_punctuation() && !matches!(b, b'+' | b'@') => rest = tail,
            _ => return None,
        }
    }
    (letters > 0).then(|| &t[..letters])
}

/// A list of lowercase words (at most 64), looked up by first byte and
/// length: a token is compared only with the words that start like it and
/// are as long. Shapes look up the first word of most lines, and for a word
/// of prose there is nearly always none.
struct Words {
    words: &'static [&'static str],
    /// Bit `i` of `by_first[b & 31]` is set when word `i` starts with byte
    /// `b`. Bytes that agree in their low five bits share a slot (`a` and
    /// `A`, but also `!` and `A`): that only makes more candidates.
    by_first: [u64; 32],
    /// Bit `i` of `by_len[n]` is set when word `i` is `n` bytes long.
    by_len: [u64; 64],
    /// Bit `i` is set when word `i` starts with a non-ASCII character.
    non_ascii_first: u64,
}

impl Words {
    const fn new(words: &'static [&'static str]) -> Words {
        assert!(words.len() <= 64);
        let mut by_first = [0u64; 32];
        let mut by_len = [0u64; 64];
        let mut non_ascii_first = 0;
        let mut i = 0;
        while i < words.len() {
            let w = words[i].as_bytes();
            assert!(!w.is_empty() && w.len() < 64);
            by_first[(w[0] & 31) as usize] |= 1 << i;
            by_len[w.len()] |= 1 << i;
            if w[0] >= 0x80 {
                non_ascii_first |= 1 << i;
            }
            i += 1;
        }
        Words {
            words,
            by_first,
            by_len,
            non_ascii_first,
        }
    }

    /// [`Words::contains`] of an ASCII token, which is not empty (such as
    /// the letters [`first_word`] finds).
    #[inline(always)]
    fn contains_ascii(&self, tok: &[u8]) -> bool {
        // ASCII lowercasing keeps the length and maps the first byte to
        // one in the same slot: a word equal to the lowercased token is
        // a candidate.
        let Some(&by_len) = self.by_len.get(tok.len()) else {
            return false;
        };
        let mut candidates = self.by_first[(tok[0] & 31) as usize] & by_len;
        while candidates != 0 {
            let i = candidates.trailing_zeros() as usize;
            if self.words[i].as_bytes().eq_ignore_ascii_case(tok) {
                return true;
            }
            candidates &= candidates - 1;
        }
        false
    }

    /// True when `tok`, lowercased, is one of the words. ASCII tokens (nearly
    /// all) are compared without allocating a lowercased copy.
    fn contains(&self, tok: &str) -> bool {
        if tok.is_empty() {
            // No word is empty.
            return false;
        }
        if tok.is_ascii() {
            self.contains_ascii(tok.as_bytes())
        } else {
            // `str::to_lowercase` may change the length in bytes, but not
            // make fewer characters, and it starts with the lowercase of the
            // first character (a sigma first is never word-final): a word
            // equal to it starts with that and has as many characters or
            // more. Only then is a lowercased copy made.
            let Some(c) = tok.chars().next().and_then(|c| c.to_lowercase().next()) else {
                return false;
            };
            // The words that can start with `c`: by its byte when it is
            // ASCII, else those that start with a non-ASCII character (a
            // token that starts with a curly quote is compared with none).
            let mut candidates = if c.is_ascii() {
                self.by_first[(c as usize) & 31]
            } else {
                self.non_ascii_first
            };
            let n = tok.chars().count();
            let mut any = false;
            while candidates != 0 {
                let w = self.words[candidates.trailing_zeros() as usize];
                any |= w.starts_with(c) && w.chars().count() >= n;
                candidates &= candidates - 1;
            }
            if !any {
                return false;
            }
            let lower = tok.to_lowercase();
            self.words.contains(&lower.as_str())
        }
    }
}

/// Words a share bar is made of (lowercase).
const NETWORKS: Words = Words::new(&[
    "facebook",
    "twitter",
    "pinterest",
    "instagram",
    "email",
    "e-mail",
    "mail",
    "print",
    "whatsapp",
    "linkedin",
    "reddit",
    "tumblr",
    "digg",
    "stumbleupon",
    "google",
    "google+",
    "flipboard",
    "messenger",
    "sms",
    "telegram",
    "snapchat",
    "youtube",
    "share",
    "shares",
    "tweet",
    "pin",
    "menu",
    "comment",
    "comments",
    "copy",
    "link",
    "vk",
    "line",
    "viber",
    "mix",
    "pocket",
]);

/// Separators between share buttons.
fn is_separator(tok: &str) -> bool {
    tok.chars()
        .all(|c| matches!(c, '|' | '•' | '·' | '/' | '-' | '–' | '—' | ',' | '¦' | '+'))
}

/// A token without surrounding punctuation.
fn bare(tok: &str) -> &str {
    tok.trim_matches(|c: char| !text::is_alnum(c) && c != '+' && c != '@')
}

/// True when `tok`, lowercased, is in `list` (lowercase words): the plain
/// scan that [`Words::contains`] filters.
#[cfg(test)]
fn in_list(tok: &str, list: &[&str]) -> bool {
    if tok.is_ascii() {
        list.iter().any(|w| w.eq_ignore_ascii_case(tok))
    } else {
        let lower = tok.to_lowercase();
        list.contains(&lower.as_str())
    }
}

fn is_share_bar(line: &str) -> bool {
    let mut words = 0;
    let mut networks = 0;
    for tok in line.split_whitespace() {
        if is_separator(tok) {
            continue;
        }
        words += 1;
        let b = bare(tok);
        if NETWORKS.contains(b) {
            networks += 1;
        } else if !b.bytes().all(|c| c.is_ascii_digit()) || b.is_empty() {
            return false;
        }
    }
    // Numbers are allowed (share counts), but most words are networks, and
    // a network that is also a common word (`share`, `print`) does not make
    // a bar on its own.
    words >= 2 && networks >= 2 && networks * 3 >= words * 2
}

/// Words a counter is made of (lowercase).
const COUNTER_WORDS: Words = Words::new(&[
    "share",
    "shares",
    "view",
    "views",
    "total",
    "today",
    "comment",
    "comments",
    "like",
    "likes",
    "pin",
    "pins",
    "vote",
    "votes",
    "by",
    "no",
    "tweet",
    "tweets",
    "reads",
    "read",
    "times",
    "viewed",
    "shared",
    "reactions",
    "reaction",
    "visited",
    "visits",
]);

fn is_number(tok: &str) -> bool {
    let t = tok.trim_matches(|c: char| matches!(c, '(' | ')' | ',' | '.' | ':'));
    !t.is_empty() && text::number_len(t.as_bytes()) == Some(t.len())
}

/// A token a counter may hold: a number, `/`, bracket-like punctuation or a
/// counter word.
fn counter_token(tok: &str) -> bool {
    is_number(tok)
        || tok == "/"
        || tok
            .chars()
            .all(|c| matches!(c, '(' | ')' | '|' | '•' | '-'))
        || COUNTER_WORDS.contains(bare(tok))
}

/// `6.`, `6)`: the number of an item of a numbered list.
fn is_list_number(tok: &str) -> bool {
    tok.ends_with(['.', ')']) && tok[..tok.len() - 1].bytes().all(|b| b.is_ascii_digit())
}

fn is_counter(line: &str) -> bool {
    // `6. Vote.` is an item of a numbered list, not a counter.
    if line.split_whitespace().next().is_some_and(is_list_number) {
        return false;
    }
    let mut numbers = 0;
    let mut words = 0;
    let mut tokens = 0;
    let mut slash = false;
    for tok in line.split_whitespace() {
        tokens += 1;
        if tokens > 10 {
            return false;
        }
        if is_number(tok) {
            numbers += 1;
        } else if tok == "/" {
            slash = true;
        } else if tok
            .chars()
            .all(|c| matches!(c, '(' | ')' | '|' | '•' | '-'))
        {
            continue;
        } else if COUNTER_WORDS.contains(bare(tok)) {
            words += 1;
        } else {
            return false;
        }
    }
    // `302 SHARES`, `3 total views, 3 views today`; or a rating `4.83 / 5 ( 18 )`.
    numbers >= 1 && (words >= 1 || (slash && numbers >= 2))
}

fn is_link_line(line: &str) -> bool {
    line.split_whitespace().all(|tok| {
        let t = tok.trim_end_matches(['.', ',', ')', ';']);
        let t = t.trim_start_matches('(');
        (t.len() > 1 && text::handle_len(t.as_bytes()) == Some(t.len()))
            || text::url_len(t.as_bytes()).is_some()
    })
}

/// Photo agencies and platforms that appear in credits (lowercase, as they
/// appear between `/`).
const AGENCIES: &[&str] = &[
    "getty",
    "getty images",
    "gettyimages",
    "ap",
    "ap photo",
    "afp",
    "reuters",
    "epa",
    "pa",
    "pa images",
    "pa media",
    "pa wire",
    "rex",
    "rex features",
    "shutterstock",
    "rex/shutterstock",
    "wireimage",
    "filmmagic",
    "gc images",
    "invision",
    "backgrid",
    "splash",
    "splash news",
    "mega",
    "mega agency",
    "bauer-griffin",
    "x17online",
    "akm-gsi",
    "fameflynet",
    "instar",
    "startraks",
    "star max",
    "abaca",
    "zuma",
    "zuma press",
    "alamy",
    "corbis",
    "imdb",
    "instagram",
    "twitter",
    "facebook",
    "youtube",
    "snapchat",
    "tiktok",
    "courtesy",
    "handout",
    "file",
    "istock",
    "istockphoto",
    "picture alliance",
    "nbc",
    "abc",
    "cbs",
    "fox",
    "hbo",
    "netflix",
    "bravo",
    "e!",
    "mtv",
];

fn is_agency(part: &str) -> bool {
    let p = part
        .trim_matches(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | '[' | ']' | ','))
        .to_lowercase();
    AGENCIES.contains(&p.as_str())
        || p.ends_with(" images")
        || p.ends_with(" photo")
        || p.ends_with(" photos")
        || p.ends_with(" pictures")
}

/// A lowercase word that may stand in a name (`Ludwig van Beethoven`,
/// `Getty Images for NBC`).
fn is_particle(w: &[u8]) -> bool {
    matches!(
        w,
        b"de" | b"van" | b"von" | b"der" | b"la" | b"le" | b"for" | b"of" | b"&"
    )
}

/// A name part of a credit: capitalised words or a handle, no sentence in it.
fn is_credit_part(part: &str) -> bool {
    let part = part.trim();
    if part.is_empty() {
        return false;
    }
    let mut words = 0;
    for w in part.split_whitespace() {
        words += 1;
        let c = w.chars().next().unwrap_or(' ');
        let ok = c.is_uppercase() || c == '@' || c.is_ascii_digit() || is_particle(w.as_bytes());
        if words > 5 || !ok {
            return false;
        }
    }
    true
}

/// The gate of `credit-line`, on bytes: the full test's conditions up to
/// its first look-ups, in the order that rejects prose soonest.
///
/// 1. A line that ends like a sentence is no credit. (The full test trims
///    outer brackets first; so does this. They are ASCII.)
/// 2. A credit is split on `/` or `|`, or else (a lone agency) holds a `-`
///    or ends in ` images`. The trimmed line holds no `/`, `|` or `-` that
///    the line does not; `trim_range` trims what `str::trim` trims.
/// 3. At most ten words: the full test counts them before trimming
///    brackets, which can only remove tokens.
/// 4. Every word of every part (split on `/` and `|`) is capitalised, a
///    handle, a number or a name particle. A token of the line that does not
///    start with `/` or `|` starts a word of a part: the token up to its
///    first `/` or `|`. Its first character is tested only when it is ASCII
///    (uppercase is then `A`-`Z`); any other lets the line through.
fn could_be_credit_line(line: &[u8]) -> bool {
    let mut line = line;
    while let [rest @ .., b')' | b']'] = line {
        line = rest;
    }
    while let [b'(' | b'[', rest @ ..] = line {
        line = rest;
    }
    if matches!(line.last(), Some(b'.' | b'!' | b'?' | b':' | b',')) && !line.ends_with(b"Inc.") {
        return false;
    }
    // A short line is read byte by byte: `memchr3` costs about 70
    // instructions a call before it reads any (a tenth of the cost of a
    // one-word line).
    let has_parts = if line.len() < 32 {
        line.iter().any(|&b| matches!(b, b'/' | b'|' | b'-'))
    } else {
        memchr::memchr3(b'/', b'|', b'-', line).is_some()
    };
    let (lo, hi) = text::trim_range(line);
    if !has_parts && !ends_with_images(&line[lo..hi]) {
        return false;
    }
    let mut words = 0;
    let mut i = 0;
    while i < line.len() {
        let ws = text::ws_len(&line[i..]);
        if ws > 0 {
            i += ws;
            continue;
        }
        let tok = &line[i..i + text::token_len(&line[i..])];
        i += tok.len();
        words += 1;
        if words > 10 {
            return false;
        }
        match tok[0] {
            b'/' | b'|' | b'A'..=b'Z' | b'0'..=b'9' | b'@' | 0x80.. => {}
            _ => {
                let end = tok
                    .iter()
                    .position(|&b| matches!(b, b'/' | b'|'))
                    .unwrap_or(tok.len());
                if !is_particle(&tok[..end]) {
                    return false;
                }
            }
        }
    }
    true
}

/// `p` ends in ` images`, any case.
fn ends_with_images(p: &[u8]) -> bool {
    p.len() >= 7 && p[p.len() - 7..].eq_ignore_ascii_case(b" images")
}

fn is_credit_line(line: &str) -> bool {
    // More than ten words: not a credit (stop counting at eleven).
    if line.split_whitespace().nth(10).is_some() {
        return false;
    }
    let line = line.trim_end_matches([')', ']']);
    let line = line.trim_start_matches(['(', '[']);
    if line.ends_with(['.', '!', '?', ':', ',']) && !line.ends_with("Inc.") {
        return false;
    }
    // Split on `/` and `|`; a lone agency (`AKM-GSI`) counts too.
    if !line.contains(['/', '|']) {
        let p = line.trim();
        // A single word that is a platform name (`Instagram`) is too often
        // a heading; only compound agency names go alone, and only short.
        // The cheap test first: this runs on most short lines.
        if !(p.contains('-') || ends_with_images(p.as_bytes())) {
            return false;
        }
        let lower = p.to_lowercase();
        return p.split_whitespace().count() <= 4 && is_credit_part(p) && is_agency(&lower);
    }
    let mut parts = line.split(['/', '|']);
    parts.clone().any(is_agency) && parts.all(is_credit_part)
}

/// Words a row of buttons is made of (lowercase, punctuation stripped).
const BUTTONS: Words = Words::new(&[
    "yes", "no", "si", "sí", "ja", "nein", "oui", "non", "sim", "não", "ok", "okay", "cancel",
    "close", "x", "✕", "×", "submit", "continue", "accept", "decline", "agree",
]);

/// A button word without the punctuation around it (`Yes!`, `[OK]`).
fn button_bare(tok: &str) -> &str {
    tok.trim_matches(|c: char| matches!(c, '!' | '¡' | '?' | '¿' | '.' | '|' | '[' | ']'))
}

/// Three or more button words, two of them at least different: one word
/// said over and over (`Yes Yes Yes!`, `No. No. No.`) is a speaker's, and
/// a row of buttons has a label each. (In the bulk corpus the shape takes
/// one line, a language picker of `Yes! Ja ! Oui! Si ...`; `Yes Yes Yes!`,
/// left of a caption whose credit was cut, went on a second pass.)
fn is_button_row(line: &str) -> bool {
    let mut n = 0;
    let mut first = "";
    let mut differ = false;
    for tok in line.split_whitespace() {
        let b = button_bare(tok);
        if b.is_empty() {
            continue;
        }
        if !BUTTONS.contains(b) {
            return false;
        }
        if n == 0 {
            first = b;
        } else if !differ {
            differ = !b
                .chars()
                .flat_map(char::to_lowercase)
                .eq(first.chars().flat_map(char::to_lowercase));
        }
        n += 1;
    }
    n >= 3 && differ
}

/// The gate of `repeated-title`: the full test's length and sentence tests,
/// then a necessary condition for the repeat. When words `i..i + 6` (with
/// `i >= 6`) equal the first six, word `i` is the first word again: it
/// occurs after the first token, with whitespace before it (it is not the
/// first word) and after it (five more words follow). Whitespace is a space,
/// `\t` to `\r`, or a character of two or three bytes that are all `0x80`
/// or more; a byte of `0x80` or more next to a match is let through. The
/// five words after it are then the five after the first word (see
/// [`head_may_repeat`]).
fn could_be_repeated_title(line: &Line) -> bool {
    let bytes = line.bytes;
    if bytes.len() < 60 || text::ends_sentence(bytes) {
        return false;
    }
    let first = line.first;
    let rest = &bytes[first.len()..];
    let space = |b: u8| matches!(b, b' ' | b'\t'..=b'\r') || b >= 0x80;
    let Some(&b0) = first.first() else {
        return true;
    };
    // `at > 0`: `rest` starts right after the first token, so a match at 0
    // has no whitespace before it.
    memchr::memchr_iter(b0, rest).any(|at| {
        at > 0
            && rest[at..].starts_with(first)
            && space(rest[at - 1])
            && rest.get(at + first.len()).is_some_and(|&b| space(b))
            && head_may_repeat(bytes, first.len(), first.len() + at + first.len())
    })
}

/// Whether the five words that follow the first token of the line `s` (from
/// byte `h`, its end) may be the five that follow a repeat of it (from byte
/// `c`), compared token by token, on bytes, with tokens split at ASCII
/// whitespace. That is the split into words where the line has no byte of
/// `0x80` or more; once one is seen on either side (it may be a Unicode
/// space, which splits a word), a difference lets the line through.
///
/// Most lines that the rest of the gate lets through are prose whose first
/// word (`I`, `The`, `July`) comes again: the full test, which splits the
/// whole line into words as text, cost about 7,000 instructions on each.
fn head_may_repeat(s: &[u8], mut h: usize, mut c: usize) -> bool {
    let ws = |b: u8| b == b' ' || b.wrapping_sub(b'\t') < 5;
    let at = |i: usize| s.get(i).copied().filter(|&b| !ws(b));
    let mut high = false;
    for _ in 1..6 {
        while s.get(h).is_some_and(|&b| ws(b)) {
            h += 1;
        }
        while s.get(c).is_some_and(|&b| ws(b)) {
            c += 1;
        }
        loop {
            match (at(h), at(c)) {
                (None, None) => break,
                (Some(a), Some(b)) if a == b => {
                    high |= a >= 0x80;
                    h += 1;
                    c += 1;
                }
                (a, b) => {
                    return high || a.is_some_and(|a| a >= 0x80) || b.is_some_and(|b| b >= 0x80);
                }
            }
        }
    }
    true
}

fn is_repeated_title(line: &str) -> bool {
    if line.len() < 60 || text::ends_sentence(line.as_bytes()) {
        return false;
    }
    // At most 80 words, held on the stack: this runs on most prose lines.
    let mut buf = [""; 81];
    let mut n = 0;
    for w in line.split_whitespace() {
        if n == buf.len() {
            return false;
        }
        buf[n] = w;
        n += 1;
    }
    let words = &buf[..n];
    if words.len() < 12 || words.len() > 80 {
        return false;
    }
    let head = &words[..6];
    (6..=words.len() - 6).any(|i| &words[i..i + 6] == head)
}

fn is_author_box(line: &str) -> bool {
    let words: Vec<&str> = line.split_whitespace().collect();
    if words.first() != Some(&"About") {
        return false;
    }
    // `About` + name (1-4 capitalised words) + the same name + `is`.
    (1..=4).any(|n| {
        words.len() > 2 * n + 2
            && words[1..=n]
                .iter()
                .all(|w| w.chars().next().is_some_and(char::is_uppercase))
            && words[1..=n] == words[n + 1..=2 * n]
            && words[2 * n + 1] == "is"
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn yes(k: ShapeKind, s: &str) -> bool {
        k.matches(s.as_bytes())
    }

    #[test]
    fn share_bars() {
        assert!(yes(ShapeKind::ShareBar, "Facebook Twitter Pinterest"));
        assert!(yes(ShapeKind::ShareBar, "Share | Tweet | Email"));
        assert!(yes(ShapeKind::ShareBar, "Email Print Whatsapp Menu Reddit"));
        assert!(!yes(ShapeKind::ShareBar, "Facebook"));
        assert!(!yes(ShapeKind::ShareBar, "Share the love"));
        assert!(!yes(
            ShapeKind::ShareBar,
            "Facebook and Twitter banned him."
        ));
    }

    #[test]
    fn counters() {
        assert!(yes(ShapeKind::Counter, "302 SHARES"));
        assert!(yes(ShapeKind::Counter, "448 shares Pin 448"));
        assert!(yes(ShapeKind::Counter, "3 total views, 3 views today"));
        assert!(yes(ShapeKind::Counter, "4.83 / 5 ( 18 )"));
        assert!(yes(ShapeKind::Counter, "by 0 Shares"));
        assert!(!yes(ShapeKind::Counter, "302 people came"));
        assert!(!yes(ShapeKind::Counter, "Views"));
        assert!(!yes(ShapeKind::Counter, "2018"));
        assert!(!yes(ShapeKind::Counter, "6. Vote."));
        assert!(yes(
            ShapeKind::Counter,
            "(Visited 11 times, 1 visits today)"
        ));
    }

    #[test]
    fn link_lines() {
        assert!(yes(ShapeKind::LinkLine, "https://t.co/AbC123"));
        assert!(yes(ShapeKind::LinkLine, "@someone"));
        assert!(yes(
            ShapeKind::LinkLine,
            "pic.twitter.com/x1 https://t.co/y2"
        ));
        assert!(!yes(ShapeKind::LinkLine, "Visit https://example.com today"));
        assert!(!yes(ShapeKind::LinkLine, "@"));
    }

    #[test]
    fn repeated_titles_and_author_boxes() {
        let card = "Ten ways to wear a red scarf this winter Style Ten ways to wear a red scarf this winter";
        assert!(yes(ShapeKind::RepeatedTitle, card));
        let prose = "She said it again and again: she said it again and again, and then she left.";
        assert!(!yes(ShapeKind::RepeatedTitle, prose));
        assert!(yes(
            ShapeKind::AuthorBox,
            "About Jo Roe Jo Roe is a writer in Leeds. She likes tea."
        ));
        assert!(!yes(
            ShapeKind::AuthorBox,
            "About Time is a film by Richard Curtis."
        ));
    }

    #[test]
    fn button_rows() {
        assert!(yes(ShapeKind::ButtonRow, "Yes! Oui! Ja ! Si"));
        assert!(yes(ShapeKind::ButtonRow, "OK Cancel ✕"));
        assert!(!yes(ShapeKind::ButtonRow, "Yes! Yes!"));
        // One word over and over is speech, not a row of buttons.
        assert!(!yes(ShapeKind::ButtonRow, "Yes Yes Yes!"));
        assert!(!yes(ShapeKind::ButtonRow, "No. NO. no!"));
        assert!(!yes(ShapeKind::ButtonRow, "Sí SÍ sí"));
        assert!(yes(ShapeKind::ButtonRow, "Yes! Yes! Yes! Ja ! Yes! Oui!"));
        assert!(yes(ShapeKind::ButtonRow, "OK OK Cancel"));
        assert!(!yes(ShapeKind::ButtonRow, "Yes, no, maybe so."));
        assert!(!yes(
            ShapeKind::Caption,
            "Jane Doe at the premiere (Photo: AP)"
        ));
    }

    #[test]
    fn credit_lines() {
        assert!(yes(ShapeKind::CreditLine, "Jane Doe/Getty Images"));
        assert!(yes(ShapeKind::CreditLine, "Jane Doe/AFP/Getty Images"));
        assert!(yes(ShapeKind::CreditLine, "Jo Roe / AP"));
        assert!(yes(ShapeKind::CreditLine, "Some Star/Instagram"));
        assert!(yes(ShapeKind::CreditLine, "Getty Images | Jo Roe"));
        assert!(yes(ShapeKind::CreditLine, "AKM-GSI"));
        assert!(!yes(ShapeKind::CreditLine, "Instagram"));
        assert!(!yes(
            ShapeKind::CreditLine,
            "The photo was taken by Jane Doe."
        ));
        assert!(!yes(
            ShapeKind::CreditLine,
            "He and/or she went to AP classes"
        ));
        assert!(!yes(ShapeKind::CreditLine, "AC/DC"));
    }

    #[test]
    fn prose_takes_no_shape() {
        for line in [
            "The mayor spoke.",
            "“We will rebuild,” she said. Really?",
            "However, no!",
        ] {
            assert!(Line::new(line.as_bytes()).takes_no_shape(), "{line:?}");
        }
        for line in [
            "Share this story.",
            "About Jo Roe Jo Roe is a writer in Leeds.",
            "www.example.com.",
            "Jane Doe/Getty Images Inc.",
            "The end”",
        ] {
            assert!(!Line::new(line.as_bytes()).takes_no_shape(), "{line:?}");
        }
    }

    /// The gates read what they need of a line for every line a short
    /// shape takes, up to [`SHORT_SHAPE`] bytes (the first word,
    /// [`Line::word`], is found only that far).
    #[test]
    fn long_short_lines_have_their_first_words() {
        let credit = "Bartholomew Christopherson-Wolfenstein/Maximilian Oppenheimer-Ravensworth/Getty Images/Entertainment Weekly Photographers";
        let counter = "123,456,789,012 shares 123,456,789,012 comments 123,456,789,012 views 123,456,789,012 likes 123,456,789,012 shares";
        let word_counter = "Views 123,456,789,012,345,678 shares 123,456,789,012,345,678 likes 123,456,789,012,345,678 comments 123,456,789,012,345,678";
        let share_bar = "Facebook Twitter Pinterest Instagram Email WhatsApp LinkedIn Reddit Tumblr StumbleUpon Flipboard Messenger Telegram Snapchat YouTube";
        let buttons = "Continue Decline Accept Cancel Submit Continue Decline Accept Cancel Submit Continue Decline Accept Cancel Submit Close Okay";
        for (k, line) in [
            (ShapeKind::CreditLine, credit),
            (ShapeKind::Counter, counter),
            (ShapeKind::Counter, word_counter),
            (ShapeKind::ShareBar, share_bar),
            (ShapeKind::ButtonRow, buttons),
        ] {
            assert!((100..SHORT_SHAPE).contains(&line.len()), "{}", line.len());
            assert!(yes(k, line), "{k:?} {line:?}");
            // Wider spaced up to the limit: still the shape.
            let at_limit = line.replacen(' ', &" ".repeat(1 + SHORT_SHAPE - line.len()), 1);
            assert_eq!(at_limit.len(), SHORT_SHAPE);
            assert!(yes(k, &at_limit), "{k:?} {at_limit:?}");
        }
    }

    /// The full test alone, without its gate: what the gated shape must
    /// agree with.
    fn ungated(k: ShapeKind, line: &str) -> bool {
        let (lo, hi) = text::trim_range(line.as_bytes());
        k.matches_str(&line[lo..hi])
    }

    const NUMBERS: &[&str] = &[
        "302", "1,204", "4.83", "1.2K", "10+", "(18)", "6.", "6)", "2018", "0", "5",
    ];
    const SEPARATORS: &[&str] = &[
        "|", "•", "·", "/", "-", "–", "—", ",", "¦", "+", "(", ")", "[", "]", "( 18 )",
    ];
    const LINKS: &[&str] = &[
        "https://t.co/AbC123",
        "http://x.co",
        "www.example.com",
        "WWW.x.org",
        "(www.a.com).",
        "pic.twitter.com/x1",
        "example.com/path",
        "a.b/c",
        "@someone",
        "@",
        "(@zayn)",
        "@a.b",
        "@x);",
        "x://y",
        "and/or",
        "www.",
    ];
    const CREDITS: &[&str] = &[
        "Jane",
        "Doe",
        "Jo",
        "Roe",
        "AC/DC",
        "Doe/Getty",
        "Doe/AFP/Getty",
        "Roe|AP",
        "/AP",
        "van",
        "de",
        "of",
        "for",
        "&",
        "Inc.",
        "AKM-GSI",
        "Bauer-Griffin",
        "Getty",
        "Images",
        "images",
        "Photo",
        "photos",
        "Pictures",
        "@jane",
        "2019",
        "(Getty",
        "Images)",
        "[AP]",
    ];
    const BUTTON_WORDS: &[&str] = &["Yes!", "¡Sí!", "No.", "[OK]", "¿Non?", "Ja", "×", "✕", "!"];
    const PROSE: &[&str] = &[
        "the",
        "The",
        "She",
        "said",
        "it",
        "again",
        "and",
        "is",
        "About",
        "well-known",
        "“Quoted”",
        "Jolie’s",
        "naïve",
        "Éclair",
        "İstanbul",
        "ǅemal",
        "ΣΑΣ",
        "日本",
        "\u{fffd}",
    ];

    /// Tokens drawn from `vocab` (mostly) and from everything else, in
    /// several cases, some with punctuation glued on.
    fn token_from(vocab: Vec<&'static str>) -> impl Strategy<Value = String> {
        let all: Vec<&'static str> = [
            NETWORKS.words,
            COUNTER_WORDS.words,
            BUTTONS.words,
            AGENCIES,
            NUMBERS,
            SEPARATORS,
            LINKS,
            CREDITS,
            BUTTON_WORDS,
            PROSE,
        ]
        .concat();
        let word = prop_oneof![
            6 => prop::sample::select(vocab),
            1 => prop::sample::select(all),
        ];
        let case = prop::sample::select(vec![0u8, 0, 0, 1, 2]);
        let glue = prop::sample::select(vec![
            "", "", "", "", "", "", "", ".", ",", "!", "?", ":", ")", "]", "”", "’s", "…", "/", "|",
        ]);
        (word, case, glue).prop_map(|(w, case, glue)| {
            let w = match case {
                1 => w.to_uppercase(),
                2 => {
                    let mut c = w.chars();
                    c.next()
                        .map(|f| f.to_uppercase().chain(c).collect())
                        .unwrap_or_default()
                }
                _ => w.to_string(),
            };
            w + glue
        })
    }

    /// Any token.
    fn token() -> impl Strategy<Value = String> {
        token_from([PROSE, CREDITS, NUMBERS].concat())
    }

    fn space() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            " ", " ", " ", " ", " ", " ", "  ", "\t", "\u{a0}", " \u{a0} ", "\u{2009}", "\u{3000}",
            " / ", " | ",
        ])
    }

    fn join(v: Vec<(String, &str)>) -> String {
        let mut s = String::new();
        for (t, sp) in v {
            s.push_str(&t);
            s.push_str(sp);
        }
        s
    }

    /// A line of a few tokens, mostly from `vocab`, maybe in brackets.
    fn line_from(vocab: Vec<&'static str>, max: usize) -> impl Strategy<Value = String> {
        // Opening quotes too: the first word of a line is found after them
        // ([`first_word`]).
        let lead = prop::sample::select(vec![
            "", "", "", " ", "\u{a0}", "(", "[", "“", "\"", "‘", "'",
        ]);
        let trail = prop::sample::select(vec!["", "", "", " ", ")", "]", ".", "\u{a0}"]);
        (
            lead,
            prop::collection::vec((token_from(vocab), space()), 1..max),
            trail,
        )
            .prop_map(|(l, v, t)| format!("{l}{}{t}", join(v)))
    }

    /// A photo credit or near it: parts of one to five names, particles and
    /// agencies, joined by `/` or `|`, maybe in brackets.
    fn credit() -> impl Strategy<Value = String> {
        let part = prop::collection::vec((token_from([CREDITS, AGENCIES].concat()), space()), 1..6)
            .prop_map(join);
        let joint = prop::sample::select(vec!["/", " / ", "|", " | ", "/ ", "-"]);
        let lead = prop::sample::select(vec!["", "", "", "(", "[", " "]);
        let trail = prop::sample::select(vec!["", "", "", ")", "]", ".", " "]);
        (lead, prop::collection::vec((part, joint), 1..4), trail).prop_map(|(l, parts, t)| {
            let mut s = l.to_string();
            for (i, (p, j)) in parts.iter().enumerate() {
                if i > 0 {
                    s.push_str(j);
                }
                s.push_str(p.trim_end());
            }
            s + t
        })
    }

    /// Lines near each shape: made of its words, numbers, separators, links,
    /// handles, names and prose; a title printed twice with something
    /// between (`repeated-title`); an author box (`About Name Name is`).
    fn shaped_line() -> impl Strategy<Value = String> {
        let tokens = || prop::collection::vec((token(), space()), 1..14);
        prop_oneof![
            line_from([NETWORKS.words, NUMBERS, SEPARATORS].concat(), 8),
            line_from([COUNTER_WORDS.words, NUMBERS, SEPARATORS].concat(), 8),
            line_from(LINKS.to_vec(), 5),
            line_from([CREDITS, AGENCIES, SEPARATORS].concat(), 8),
            credit(),
            line_from([BUTTONS.words, BUTTON_WORDS].concat(), 6),
            line_from([PROSE, CREDITS, NUMBERS, SEPARATORS].concat(), 20),
            (
                tokens(),
                prop::collection::vec((token(), space()), 0..4),
                space()
            )
                .prop_map(|(title, mid, sp)| {
                    let title = join(title);
                    format!("{}{sp}{}{}", title.trim_end(), join(mid), title.trim_end())
                }),
            // The same, with other whitespace in the second copy.
            (
                prop::collection::vec((token(), space(), space()), 6..14),
                prop::collection::vec((token(), space()), 0..4),
            )
                .prop_map(|(words, mid)| {
                    let a: String = words.iter().map(|(t, s, _)| format!("{t}{s}")).collect();
                    let b: String = words.iter().map(|(t, _, s)| format!("{t}{s}")).collect();
                    format!("{a}{}{}", join(mid), b.trim_end())
                }),
            (prop::collection::vec(token(), 1..4), tokens()).prop_map(|(name, rest)| {
                let name = name.join(" ");
                format!("About {name} {name} is {}", join(rest))
            }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        /// Each gate lets through every line its full test accepts.
        #[test]
        fn gated_shapes_agree_with_their_full_tests(line in shaped_line()) {
            let l = Line::new(line.as_bytes());
            for (name, k) in ShapeKind::ALL {
                prop_assert_eq!(k.matches_line(&l), ungated(k, &line), "{} on {:?}", name, line);
            }
        }

        /// A line that takes no shape by its ends has none, even when it is
        /// made of a shape's words; often it ends like a sentence.
        #[test]
        fn lines_that_take_no_shape_have_none(
            line in shaped_line(),
            end in prop::sample::select(vec![
                "", ".", "!", "?", " Inc.", ").", "…", ".”", ".\"", "?’", "!'", " Inc.”", ".)”",
                "”",
            ]),
        ) {
            let line = line + end;
            if Line::new(line.as_bytes()).takes_no_shape() {
                for (name, k) in ShapeKind::ALL {
                    prop_assert!(!ungated(k, &line), "{} on {:?}", name, line);
                }
            }
            // The same of the test for long lines, on any line: only the
            // shapes that take long lines can take one.
            let (lo, hi) = text::trim_range(line.as_bytes());
            if long_line_takes_no_shape(&line.as_bytes()[lo..hi]) {
                for (name, k) in ShapeKind::ALL {
                    if k.takes_long_lines() {
                        prop_assert!(!ungated(k, &line), "{} on {:?}", name, line);
                    }
                }
            }
        }

        /// The first token and word found on the bytes of a `u64` are those
        /// found byte by byte, where it finds them.
        #[test]
        fn first_token_ascii_agrees_with_the_loops(
            line in "[a-zA-Z0-9 \t\"'“”’.,;!?+@/|(\\[\\]\u{a0}\u{7f}\u{1}-]{0,24}",
        ) {
            let (lo, hi) = text::trim_range(line.as_bytes());
            let bytes = &line.as_bytes()[lo..hi];
            if let Some(t) = first_token_ascii(bytes) {
                let first = &bytes[..first_token_len(bytes)];
                prop_assert_eq!(t.len, first.len(), "{:?}", line);
                prop_assert_eq!(t.link_mark, first.iter().any(|&b| matches!(b, b'@' | b'/')), "{:?}", line);
                prop_assert_eq!(t.word.map(|(lo, hi)| &bytes[lo..hi]), first_word(first), "{:?}", line);
            }
        }

        #[test]
        fn word_sets_agree_with_a_scan_on_odd_characters(
            tok in "[“‘(«✕×]?[a-zA-ZíÍãÃéÉ✕×\u{212a}İΣσςoO]{1,6}",
        ) {
            // Curly quotes and symbols first, the Kelvin sign (which
            // lowercases to ASCII `k`), dotted capital I, sigmas.
            for set in [&NETWORKS, &COUNTER_WORDS, &BUTTONS] {
                prop_assert_eq!(set.contains(&tok), in_list(&tok, set.words), "{:?}", tok);
            }
        }

        #[test]
        fn word_sets_agree_with_a_scan(tok in token()) {
            for set in [&NETWORKS, &COUNTER_WORDS, &BUTTONS] {
                for t in [tok.as_str(), bare(&tok), button_bare(&tok)] {
                    prop_assert_eq!(set.contains(t), in_list(t, set.words), "{:?}", t);
                }
            }
        }
    }

    /// The generator reaches every shape, so the property above is not won
    /// by gates that are never tried on a matching line.
    #[test]
    fn generated_lines_have_every_shape() {
        use proptest::strategy::ValueTree;
        use proptest::test_runner::TestRunner;
        let mut runner = TestRunner::deterministic();
        let strategy = shaped_line();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..4096 {
            let line = strategy.new_tree(&mut runner).unwrap().current();
            for (name, k) in ShapeKind::ALL {
                if ungated(k, &line) {
                    seen.insert(name);
                }
            }
        }
        let mut missing: Vec<_> = ShapeKind::names();
        missing.retain(|n| *n != "caption" && !seen.contains(n));
        assert!(missing.is_empty(), "never generated: {missing:?}");
    }
}
