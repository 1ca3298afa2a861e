//! Small byte-level text helpers shared by the matcher and the detector:
//! whitespace, word boundaries, the shapes placeholders match, and the cheap
//! line features (word count, terminal punctuation, capitalisation) that
//! tell a sentence of prose from a label.
//!
//! Everything works on UTF-8 bytes and never panics on any input: offsets
//! handed out are always on character boundaries.

/// Length of the whitespace character at the start of `s`, or 0. Knows ASCII
/// whitespace and the Unicode spaces scraped text carries (NBSP, thin and
/// other typographic spaces, line/paragraph separators, ideographic space).
#[inline]
pub(crate) fn ws_len(s: &[u8]) -> usize {
    match s {
        [b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c, ..] => 1,
        [0xc2, 0x85 | 0xa0, ..] => 2,
        [0xe1, 0x9a, 0x80, ..] => 3,
        [0xe2, 0x80, 0x80..=0x8a | 0xa8 | 0xa9 | 0xaf, ..] => 3,
        [0xe2, 0x81, 0x9f, ..] => 3,
        [0xe3, 0x80, 0x80, ..] => 3,
        _ => 0,
    }
}

/// Length of the whitespace character that ends `s`, or 0.
fn ws_len_back(s: &[u8]) -> usize {
    for n in [1, 2, 3] {
        if s.len() >= n && ws_len(&s[s.len() - n..]) == n {
            return n;
        }
    }
    0
}

/// The range of `s` without leading and trailing whitespace.
pub(crate) fn trim_range(s: &[u8]) -> (usize, usize) {
    // The usual case, a line that starts and ends with a visible ASCII
    // character, or a closing quote, needs no character decoding.
    if let (Some(&a), Some(&z)) = (s.first(), s.last())
        && a.is_ascii_graphic()
        && !may_end_space(z)
    {
        return (0, s.len());
    }
    let mut lo = 0;
    while lo < s.len() {
        let n = ws_len(&s[lo..]);
        if n == 0 {
            break;
        }
        lo += n;
    }
    let mut hi = s.len();
    while hi > lo {
        let n = ws_len_back(&s[lo..hi]);
        if n == 0 {
            break;
        }
        hi -= n;
    }
    (lo, hi)
}

/// Can `b` be the last byte of a whitespace character? The spaces beyond
/// ASCII end in 0x80 to 0x8A, 0x85, 0x9F, 0xA0, 0xA8, 0xA9 or 0xAF; the
/// closing quotes and the ellipsis that end many lines (0x99, 0x9D, 0xA6)
/// do not.
fn may_end_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t'..=b'\r' | 0x80..=0x8a | 0x9f | 0xa0 | 0xa8 | 0xa9 | 0xaf)
}

/// `s` without trailing whitespace.
pub(crate) fn trim_end(s: &[u8]) -> &[u8] {
    if s.last().is_none_or(|&b| !may_end_space(b)) {
        return s;
    }
    let mut hi = s.len();
    loop {
        let n = ws_len_back(&s[..hi]);
        if n == 0 {
            return &s[..hi];
        }
        hi -= n;
    }
}

/// True when `s` is empty or only whitespace.
pub(crate) fn is_blank(s: &[u8]) -> bool {
    let (lo, hi) = trim_range(s);
    lo == hi
}

pub(crate) fn is_char_boundary(s: &[u8], i: usize) -> bool {
    i == 0 || i >= s.len() || (s[i] & 0xc0) != 0x80
}

/// The character starting at `i`, if any.
pub(crate) fn char_at(s: &[u8], i: usize) -> Option<char> {
    if i >= s.len() {
        return None;
    }
    let b = s[i];
    if b < 0x80 {
        return Some(b as char);
    }
    let n = match b {
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    };
    std::str::from_utf8(s.get(i..i + n)?).ok()?.chars().next()
}

/// The character ending at `i`, if any.
fn char_before(s: &[u8], i: usize) -> Option<char> {
    if i == 0 || i > s.len() {
        return None;
    }
    let mut j = i - 1;
    while j > 0 && (s[j] & 0xc0) == 0x80 && i - j < 4 {
        j -= 1;
    }
    char_at(s, j)
}

fn is_word_char(c: Option<char>) -> bool {
    c.is_some_and(char::is_alphanumeric)
}

/// True when offset `i` does not split a word: the characters on either side
/// are not both letters or digits.
pub(crate) fn is_boundary(s: &[u8], i: usize) -> bool {
    // ASCII on both sides, the usual case, needs no decoding (about 50
    // instructions a call with it; `verify` asks twice a hit).
    if let (Some(&a), Some(&b)) = (i.checked_sub(1).and_then(|j| s.get(j)), s.get(i))
        && a.is_ascii()
        && b.is_ascii()
    {
        return !(a.is_ascii_alphanumeric() && b.is_ascii_alphanumeric());
    }
    !(is_word_char(char_before(s, i)) && is_word_char(char_at(s, i)))
}

/// Widens a cut `[s, e)` to whole tokens so that it never leaves a
/// fragment of a word behind (which would be a word the input never had).
/// The cut may grow over punctuation in the same token (`(Photo: AP).` takes
/// the `.`), but not over letters or digits (`babygirl!pic.twitter.com/x`
/// keeps its cut off): then `None`.
pub(crate) fn align_cut(line: &[u8], s: usize, e: usize) -> Option<(usize, usize)> {
    let mut lo = s;
    while lo > 0 && ws_len_back(&line[..lo]) == 0 {
        lo -= 1;
    }
    let mut hi = e;
    while hi < line.len() && ws_len(&line[hi..]) == 0 {
        hi += 1;
    }
    let word_in =
        |a: &[u8]| std::str::from_utf8(a).map_or(true, |t| t.chars().any(char::is_alphanumeric));
    if word_in(&line[lo..s]) || word_in(&line[e..hi]) {
        return None;
    }
    Some((lo, hi))
}

/// ASCII punctuation that may trail a token without being part of it.
pub(crate) fn is_punct(b: u8) -> bool {
    matches!(
        b,
        b'.' | b',' | b';' | b':' | b'!' | b'?' | b')' | b']' | b'"' | b'\'' | b'>' | b'}'
    )
}

/// True when `s` holds only whitespace and closing punctuation, as after the
/// last word of a line: `.`, `…`, `)`, quotes, dashes, `|`.
pub(crate) fn only_closing(s: &[u8]) -> bool {
    // Character by character, stopping at the first other one: the rest
    // of a line after a hit is often long, and is not validated as a whole.
    let mut i = 0;
    while let Some(c) = char_at(s, i) {
        if !is_closing(c) {
            return false;
        }
        i += c.len_utf8();
    }
    // Invalid UTF-8 is not closing punctuation.
    i == s.len()
}

fn is_closing(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '.' | ','
                | ':'
                | ';'
                | '!'
                | '?'
                | ')'
                | ']'
                | '"'
                | '\''
                | '…'
                | '”'
                | '’'
                | '»'
                | '›'
                | '|'
                | '-'
                | '–'
                | '—'
                | '>'
        )
}

/// The end of the first letter or digit of `s` (a character for which
/// `char::is_alphanumeric` holds, invalid bytes skipped), or `None`.
/// `char::is_alphanumeric`, without the Unicode tables for the General
/// Punctuation block (curly quotes, dashes, the ellipsis: U+2000 to U+206F),
/// which holds no letter or digit, and which starts and ends many lines.
pub(crate) fn is_alnum(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric()
    } else {
        !('\u{2000}'..='\u{206f}').contains(&c) && c.is_alphanumeric()
    }
}

// Called on every line the prefilter checks and, since the long-line
// path, from a second place: without the hint it is no longer inlined
// into the per-line check (0.6k more instructions on the bench article).
#[inline]
pub(crate) fn first_alnum_end(s: &[u8]) -> Option<usize> {
    // Character by character rather than `utf8_chunks`, which validates the
    // whole line before handing out its first character. An invalid byte
    // is skipped, as lossy decoding would.
    let mut i = 0;
    while i < s.len() {
        if s[i].is_ascii() {
            if s[i].is_ascii_alphanumeric() {
                return Some(i + 1);
            }
            i += 1;
            continue;
        }
        match char_at(s, i) {
            Some(c) if is_alnum(c) => return Some(i + c.len_utf8()),
            Some(c) => i += c.len_utf8(),
            None => i += 1,
        }
    }
    None
}

/// A cheap test that never says no when `found` equals `lit` up to case,
/// as the matcher compares a non-ASCII literal (`str::to_lowercase` on
/// both): characters are lowercased one by one, and final sigma is folded
/// into sigma, so that no allocation is needed.
pub(crate) fn may_eq_caseless(found: &[u8], lit: &str) -> bool {
    // Equal lowercase strings agree on the literal's leading ASCII
    // characters; where `found` is ASCII there too, that is a byte
    // comparison. Tested first: most calls are a line's start compared
    // with a literal that merely starts with the same letter.
    let k = lit.bytes().take_while(u8::is_ascii).count();
    if let Some(head) = found.get(..k)
        && head.is_ascii()
        && !head.eq_ignore_ascii_case(&lit.as_bytes()[..k])
    {
        return false;
    }
    if found.eq_ignore_ascii_case(lit.as_bytes()) {
        return true;
    }
    // Decoded lazily: a mismatch is usually found within a few characters.
    // Stopping early at an invalid byte can only say yes too often.
    let mut i = 0;
    let found = std::iter::from_fn(|| {
        let c = char_at(found, i)?;
        i += c.len_utf8();
        Some(c)
    });
    let fold = |c: char| c.to_lowercase().map(|c| if c == 'ς' { 'σ' } else { c });
    found.flat_map(fold).eq(lit.chars().flat_map(fold))
}

/// Length of `s` without trailing closing punctuation.
pub(crate) fn trim_closing_punct(s: &[u8]) -> usize {
    let mut n = s.len();
    while n > 0 && is_punct(s[n - 1]) {
        n -= 1;
    }
    n
}

/// Length of the token (run of non-whitespace) at the start of `s`.
pub(crate) fn token_len(s: &[u8]) -> usize {
    // An ASCII byte is whitespace by itself; only a byte beyond ASCII may
    // start a longer whitespace character (`ws_len`), which the usual
    // token, all ASCII, then never asks about.
    s.iter()
        .enumerate()
        .position(|(i, &b)| match b {
            b' ' | b'\t'..=b'\r' => true,
            0..0x80 => false,
            _ => ws_len(&s[i..]) > 0,
        })
        .unwrap_or(s.len())
}

/// Number of whitespace-separated words.
pub(crate) fn count_words(s: &[u8]) -> usize {
    let mut n = 0;
    let mut in_word = false;
    let mut i = 0;
    while i < s.len() {
        let w = ws_len(&s[i..]);
        if w > 0 {
            in_word = false;
            i += w;
        } else {
            if !in_word {
                n += 1;
            }
            in_word = true;
            i += 1;
        }
    }
    n
}

fn digits(s: &[u8]) -> usize {
    s.iter().take_while(|b| b.is_ascii_digit()).count()
}

/// `{n}`: `302`, `1,204`, `4.83`, `1.2K`, `10+`.
pub(crate) fn number_len(s: &[u8]) -> Option<usize> {
    let mut i = digits(s);
    if i == 0 {
        return None;
    }
    while i + 1 < s.len() && matches!(s[i], b',' | b'.') && s[i + 1].is_ascii_digit() {
        i += 1 + digits(&s[i + 1..]);
    }
    if i < s.len() && matches!(s[i], b'k' | b'K' | b'm' | b'M' | b'+') {
        let after = s.get(i + 1).copied();
        if !after.is_some_and(|b| b.is_ascii_alphanumeric()) {
            i += 1;
        }
    }
    Some(i)
}

/// `{dur}`: `2:19`, `02:19`, `1:02:19`.
pub(crate) fn duration_len(s: &[u8]) -> Option<usize> {
    let h = digits(s);
    if !(1..=2).contains(&h) || s.get(h) != Some(&b':') {
        return None;
    }
    let m = digits(&s[h + 1..]);
    if m != 2 {
        return None;
    }
    let mut n = h + 3;
    if s.get(n) == Some(&b':') && digits(&s[n + 1..]) == 2 {
        n += 3;
    }
    Some(n)
}

const MONTHS: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
];

const WEEKDAYS: &[&str] = &[
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "mon",
    "tue",
    "tues",
    "wed",
    "thu",
    "thur",
    "thurs",
    "fri",
    "sat",
    "sun",
];

/// Length of a word from `list` (case-insensitive) at the start of `s`,
/// with an optional trailing `.`, ending at a word boundary.
fn word_from(s: &[u8], list: &[&str]) -> Option<usize> {
    let n = s.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    if n == 0 {
        return None;
    }
    let w = &s[..n];
    // Length and first letter first: most words are no month or weekday.
    let first = w[0].to_ascii_lowercase();
    if !list.iter().any(|m| {
        let m = m.as_bytes();
        m.len() == n && m[0] == first && m.eq_ignore_ascii_case(w)
    }) {
        return None;
    }
    Some(if s.get(n) == Some(&b'.') { n + 1 } else { n })
}

/// Skips `, ` or ` ` at the start of `s`; returns the length skipped.
fn sep(s: &[u8]) -> usize {
    match s {
        [b',', b' ', ..] => 2,
        [b' ', ..] => 1,
        _ => 0,
    }
}

/// `{date}` candidates, longest first: `May 31, 2018`, `Fri, October 13,
/// 2017`, `Feb. 3`, `31 May 2018`, `5/31/2018`, `2018-05-31`.
pub(crate) fn date_lens(s: &[u8], out: &mut dyn FnMut(usize)) {
    // Optional weekday.
    let mut base = 0;
    if let Some(n) = word_from(s, WEEKDAYS) {
        let k = sep(&s[n..]);
        if k > 0 {
            base = n + k;
        }
    }
    let t = &s[base..];
    // Month D[th][, YYYY]
    if let Some(m) = word_from(t, MONTHS) {
        let k = sep(&t[m..]);
        if k == 1 {
            let d = digits(&t[m + 1..]);
            if (1..=2).contains(&d) {
                let mut n = m + 1 + d;
                let suffix = t[n..]
                    .iter()
                    .take_while(|b| b.is_ascii_alphabetic())
                    .count();
                if suffix == 2 {
                    n += 2;
                }
                let k = sep(&t[n..]);
                if k > 0 && digits(&t[n + k..]) == 4 {
                    out(base + n + k + 4);
                }
                out(base + n);
                return;
            }
            if digits(&t[m + 1..]) == 4 {
                out(base + m + 1 + 4); // "May 2018"
                return;
            }
        }
    }
    // D Month[,] YYYY
    let d = digits(t);
    if (1..=2).contains(&d)
        && t.get(d) == Some(&b' ')
        && let Some(m) = word_from(&t[d + 1..], MONTHS)
    {
        let n = d + 1 + m;
        let k = sep(&t[n..]);
        if k > 0 && digits(&t[n + k..]) == 4 {
            out(base + n + k + 4);
        }
        out(base + n);
        return;
    }
    // D/D/YY(YY) and YYYY-MM-DD
    if (1..=2).contains(&d) && t.get(d) == Some(&b'/') {
        let d2 = digits(&t[d + 1..]);
        if (1..=2).contains(&d2) && t.get(d + 1 + d2) == Some(&b'/') {
            let y = digits(&t[d + 2 + d2..]);
            if y == 2 || y == 4 {
                out(base + d + 2 + d2 + y);
            }
        }
    }
    if d == 4
        && t.get(4) == Some(&b'-')
        && digits(&t[5..]) == 2
        && t.get(7) == Some(&b'-')
        && digits(&t[8..]) == 2
    {
        out(base + 10);
    }
}

/// `{time}` candidates, longest first: `1:04pm PST`, `12:49 PM`, `9 p.m. ET`,
/// `17:00 IST`.
pub(crate) fn time_lens(s: &[u8], out: &mut dyn FnMut(usize)) {
    let h = digits(s);
    if !(1..=2).contains(&h) {
        return;
    }
    let mut n = h;
    let mut has_minutes = false;
    if s.get(n) == Some(&b':') && digits(&s[n + 1..]) == 2 {
        n += 3;
        has_minutes = true;
    }
    let mut m = n;
    if s.get(m) == Some(&b' ') {
        m += 1;
    }
    let meridiem = [&b"a.m."[..], b"p.m.", b"am", b"pm"]
        .iter()
        .find(|w| s.len() >= m + w.len() && s[m..m + w.len()].eq_ignore_ascii_case(w))
        .map(|w| w.len());
    let end = match meridiem {
        Some(w) => m + w,
        None if has_minutes => n,
        None => return,
    };
    // Optional zone: 2-4 capital letters.
    if s.get(end) == Some(&b' ') {
        let z = s[end + 1..]
            .iter()
            .take_while(|b| b.is_ascii_uppercase())
            .count();
        let after = s.get(end + 1 + z);
        if (2..=4).contains(&z) && !after.is_some_and(|b| b.is_ascii_alphanumeric()) {
            out(end + 1 + z);
        }
    }
    out(end);
}

/// `{handle}`: `@name`, letters, digits, `_` and `.`.
pub(crate) fn handle_len(s: &[u8]) -> Option<usize> {
    if s.first() != Some(&b'@') {
        return None;
    }
    let n = s[1..]
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.'))
        .count();
    (n > 0).then_some(n + 1)
}

/// `{url}`: a token that is a link: `http://`, `https://`, `www.`,
/// `pic.twitter.com/...`, or `host.tld/...`.
pub(crate) fn url_len(s: &[u8]) -> Option<usize> {
    let n = token_len(s);
    if n < 4 {
        return None;
    }
    let tok = &s[..n];
    let lower_starts = |p: &[u8]| tok.len() >= p.len() && tok[..p.len()].eq_ignore_ascii_case(p);
    // Past `www.`, a link has a `/`: `://` somewhere, or a host before
    // the first one. Tokens are short: no `memmem` searcher is set up.
    let is_link = lower_starts(b"http://")
        || lower_starts(b"https://")
        || lower_starts(b"www.")
        || tok.iter().position(|&b| b == b'/').is_some_and(|slash| {
            let host = &tok[..slash];
            // The host first: it is shorter than the token, and most
            // links past the prefixes above have one (`pic.twitter.com/`).
            (host.contains(&b'.')
                && host
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-'))
                && host
                    .iter()
                    .rposition(|&b| b == b'.')
                    .is_some_and(|d| host.len() - d > 2))
                || tok.windows(3).any(|w| w == b"://")
        });
    is_link.then_some(n)
}

fn is_upper_start(s: &[u8]) -> bool {
    char_at(s, 0).is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
}

/// Length of a name word: letters, digits and `'’.-`, starting anywhere.
fn name_word_len(s: &[u8]) -> usize {
    let mut i = 0;
    while let Some(c) = char_at(s, i) {
        if c.is_alphanumeric() || matches!(c, '\'' | '’' | '.' | '-') {
            i += c.len_utf8();
        } else {
            break;
        }
    }
    i
}

const NAME_LINKS: &[&str] = &[
    "de", "van", "von", "der", "den", "da", "di", "del", "la", "le", "bin", "al", "and", "&",
];

/// `{name}` candidates, longest first: one to five capitalised words, with
/// lowercase particles (`de`, `van`, `and`) allowed between them.
pub(crate) fn name_lens(s: &[u8], out: &mut dyn FnMut(usize)) {
    let mut ends = [0usize; 5];
    let mut count = 0;
    let mut i = 0;
    let mut words = 0;
    while words < 7 && count < ends.len() {
        let w = name_word_len(&s[i..]);
        let is_link = w > 0 && count > 0 && NAME_LINKS.iter().any(|l| l.as_bytes() == &s[i..i + w]);
        let is_amp = count > 0 && s[i..].starts_with(b"& ");
        if is_link || is_amp {
            i += if is_amp { 1 } else { w };
        } else if w > 0 && is_upper_start(&s[i..]) {
            let sentence_end = w > 2 && s[i + w - 1] == b'.';
            i += w;
            ends[count] = i;
            count += 1;
            if sentence_end {
                // `Doe.` ends the sentence; `J.` is an initial.
                break;
            }
        } else {
            break;
        }
        words += 1;
        if s.get(i) != Some(&b' ') {
            break;
        }
        i += 1;
    }
    for &e in ends[..count].iter().rev() {
        // A trailing `.` belongs to the sentence, not the name (`Doe.`),
        // unless it is an initial (`J.`).
        if e >= 2 && s[e - 1] == b'.' && s[e - 2].is_ascii_lowercase() {
            out(e - 1);
        }
        out(e);
    }
}

/// `{caps}` candidates, longest first: one to three all-capital words of
/// two or more letters (`CNN`, `AP`, `BANG SHOWBIZ`, `AFP/GETTY`).
pub(crate) fn caps_lens(s: &[u8], out: &mut dyn FnMut(usize)) {
    let mut ends = [0usize; 3];
    let mut count = 0;
    let mut i = 0;
    while count < ends.len() {
        let w = s[i..]
            .iter()
            .take_while(|b| {
                b.is_ascii_uppercase() || matches!(b, b'&' | b'.' | b'-' | b'\'' | b'/')
            })
            .count();
        let letters = s[i..i + w]
            .iter()
            .filter(|b| b.is_ascii_uppercase())
            .count();
        if letters < 2 || s.get(i + w).is_some_and(|b| b.is_ascii_alphanumeric()) {
            break;
        }
        let mut e = i + w;
        while e > i && matches!(s[e - 1], b'.' | b'-' | b'\'' | b'/') {
            e -= 1;
        }
        ends[count] = e;
        count += 1;
        i += w;
        if s.get(i) != Some(&b' ') {
            break;
        }
        i += 1;
    }
    for &e in ends[..count].iter().rev() {
        out(e);
    }
}

/// True for a character that ends a sentence.
fn is_terminal(c: char) -> bool {
    matches!(c, '.' | '!' | '?' | '…')
}

/// True for a character that may follow sentence punctuation before the
/// space: closing quotes and brackets.
fn is_closer(c: char) -> bool {
    matches!(c, '"' | '\'' | '”' | '’' | ')' | ']' | '»')
}

/// True when a sentence ends at `i` of `s` without a space after it: a
/// lowercase letter, `.`, `!` or `?`, then a capital (`the news.Then she`),
/// as where a page's paragraphs were glued together. Splitting there only
/// narrows what a sentence rule takes (`Ph.D` splits too, harmlessly);
/// left whole, a prompt glued to the end of a paragraph took the
/// paragraph's sentences with it.
fn glued_end(s: &[u8], i: usize) -> bool {
    i >= 1
        && i + 1 < s.len()
        && matches!(s[i], b'.' | b'!' | b'?')
        && s[i - 1].is_ascii_lowercase()
        && s[i + 1].is_ascii_uppercase()
}

/// Where the sentence holding offset `at` starts: just after the last
/// sentence end (`. `, `! `, `? ` and closing quotes, or a glued end, see
/// [`glued_end`]) before it, or 0. Looks back at most 400 bytes; farther
/// than that, `at` itself.
pub(crate) fn sentence_start(s: &[u8], at: usize) -> usize {
    let Ok(head) = std::str::from_utf8(&s[..at]) else {
        return at;
    };
    let floor = at.saturating_sub(400);
    let mut chars = head.char_indices().rev().peekable();
    while let Some((i, c)) = chars.next() {
        if i < floor {
            return at;
        }
        if glued_end(s, i) {
            return i + 1;
        }
        if c.is_whitespace() {
            // Skip closers before the space, then look for the terminal.
            let mut j = chars.clone();
            while j.next_if(|&(_, k)| is_closer(k)).is_some() {}
            if j.peek().is_some_and(|&(_, k)| is_terminal(k)) {
                return i + c.len_utf8();
            }
        }
    }
    0
}

/// Where the sentence holding offset `at` ends: after the first sentence
/// punctuation (and closing quotes) at or after `at` that is followed by
/// whitespace or the end of the line, or that is a glued end (see
/// [`glued_end`]); the end of the line if none. When the text right before
/// `at` already ends a sentence, `at` (plus closers).
pub(crate) fn sentence_end(s: &[u8], at: usize) -> usize {
    let Ok(tail) = std::str::from_utf8(&s[at..]) else {
        return at;
    };
    let before = std::str::from_utf8(&s[..at])
        .ok()
        .and_then(|h| h.chars().next_back());
    let mut chars = tail.char_indices().peekable();
    if before.is_some_and(is_terminal) {
        let mut end = at;
        while let Some(&(i, c)) = chars.peek() {
            if is_closer(c) {
                end = at + i + c.len_utf8();
                chars.next();
            } else {
                break;
            }
        }
        return end;
    }
    while let Some((i, c)) = chars.next() {
        if i > 400 {
            return at;
        }
        if glued_end(s, at + i) {
            return at + i + 1;
        }
        if is_terminal(c) {
            let mut end = at + i + c.len_utf8();
            while let Some(&(j, k)) = chars.peek() {
                if is_terminal(k) || is_closer(k) {
                    end = at + j + k.len_utf8();
                    chars.next();
                } else {
                    break;
                }
            }
            match chars.peek() {
                None => return end,
                Some(&(_, k)) if k.is_whitespace() => return end,
                _ => {}
            }
        }
    }
    s.len()
}

/// Common finite verbs: a caption with one of these is a clause of the
/// story (`Kim was not impressed`), not a label (`Jane Doe at the premiere`).
const VERBS: &[&str] = &[
    "is", "was", "are", "were", "be", "been", "has", "had", "have", "got", "gets", "get", "says",
    "said", "did", "does", "do", "will", "would", "can", "could", "shows", "made", "makes", "took",
    "takes", "went", "goes", "came", "comes", "wore", "wears", "told", "tells", "left", "may",
    "might", "must", "should", "gave", "gives", "sat", "stood", "held", "holds", "ran", "shared",
    "posted",
];

/// True when `s` holds a word that reads as a finite verb: one of a few
/// common verbs, or a lowercase word of five or more letters ending in `ed`.
pub(crate) fn has_verb(s: &[u8]) -> bool {
    let Ok(s) = std::str::from_utf8(s) else {
        return true;
    };
    s.split_whitespace().any(|tok| {
        let w = tok.trim_matches(|c: char| !c.is_alphanumeric());
        let lower = w.chars().next().is_some_and(char::is_lowercase);
        lower && (VERBS.contains(&w) || (w.len() >= 5 && w.ends_with("ed")))
    })
}

/// Cheap features of a line, used to tell a sentence of the article from a
/// label, a headline or a list item.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Shape {
    /// Whitespace-separated words.
    pub words: u32,
    /// Bytes, trimmed.
    pub len: u32,
    /// The line ends in sentence punctuation (`.`, `!`, `?`, `…`, possibly
    /// followed by closing quotes or brackets).
    pub terminal: bool,
    /// Words of four or more letters.
    pub long_words: u32,
    /// ... of which start with a capital letter.
    pub capitalised: u32,
    /// The line ends in a full stop (possibly followed by closing quotes or
    /// brackets): a statement, not a label or a title.
    pub period: bool,
    /// The line holds at least one letter or digit.
    pub has_alnum: bool,
    /// The line ends in a colon: it leads into a quote or a list.
    pub colon: bool,
}

impl Shape {
    /// The shape of `line`. The detector only ever sees valid UTF-8 (the
    /// decoder guarantees it); invalid bytes would be read as U+FFFD.
    pub(crate) fn of(line: &[u8]) -> Shape {
        match std::str::from_utf8(line) {
            Ok(s) => Shape::of_str(s),
            Err(_) => Shape::of_str(&String::from_utf8_lossy(line)),
        }
    }

    /// The shape of a line already known to be UTF-8.
    pub(crate) fn of_str(line: &str) -> Shape {
        let (lo, hi) = trim_range(line.as_bytes());
        // Trimming removes whole whitespace characters: `lo` and `hi` are on
        // character boundaries.
        let s = &line[lo..hi];
        let b = s.as_bytes();
        let mut shape = Shape {
            len: s.len() as u32,
            ..Shape::default()
        };
        let mut i = 0;
        while i < b.len() {
            let w = ws_len(&b[i..]);
            if w > 0 {
                i += w;
                continue;
            }
            let t = token_len(&b[i..]);
            // A token ends at whitespace or at the end: a character boundary.
            let tok = &s[i..i + t];
            shape.words += 1;
            // Letters of the token, skipping leading quotes and brackets.
            let start = tok
                .bytes()
                .position(|b| b.is_ascii_alphanumeric() || b >= 0x80);
            if let Some(st) = start {
                // `st` is an ASCII byte or the lead byte of a character.
                let word = &tok[st..];
                let c0 = word.chars().next();
                shape.has_alnum = shape.has_alnum
                    || word.bytes().any(|b| b.is_ascii_alphanumeric())
                    || c0.is_some_and(char::is_alphanumeric);
                // Only "four or more letters" matters: stop counting at four.
                let letters = word
                    .chars()
                    .take_while(|c| c.is_alphabetic())
                    .take(4)
                    .count();
                if letters >= 4 {
                    shape.long_words += 1;
                    if c0.is_some_and(char::is_uppercase) {
                        shape.capitalised += 1;
                    }
                }
            }
            i += t;
        }
        shape.terminal = ends_sentence(b);
        shape.period = ends_with_period(b);
        shape.colon = b.ends_with(b":");
        shape
    }

    /// Most long words capitalised: a headline or a name, not a sentence.
    pub(crate) fn is_title_case(&self) -> bool {
        self.long_words >= 2 && self.capitalised * 4 >= self.long_words * 3
    }

    /// Reads as a sentence of prose: enough words, sentence punctuation at
    /// the end (or a colon that leads into a quote: `In the newsletter,
    /// he wrote:`), and not set in title case.
    pub(crate) fn is_prose(&self) -> bool {
        ((self.terminal || self.colon) && self.words >= 6 && !self.is_title_case())
            || self.words >= 40
    }

    /// Short enough to be a label, a card title or a list item.
    pub(crate) fn is_short(&self) -> bool {
        self.words <= SHORT_WORDS && self.len <= SHORT_LEN
    }

    /// Could be a line of a card or label block: short, and not a statement
    /// (a sentence of four or more words ending in a full stop). Card titles
    /// are labels or questions; a block rule never reaches over a statement.
    pub(crate) fn is_card_line(&self) -> bool {
        self.is_short() && !(self.period && self.words >= 4)
    }
}

/// True when `s` (trimmed) ends in a full stop, looking through closing
/// quotes and brackets. An ellipsis is not a full stop (but `...)` is: the
/// ellipsis test looks at the very end).
///
/// Read from the end byte by byte, without decoding: on UTF-8 (all the
/// detector sees) this is `ends_with_period_str`, which reads characters,
/// because the closers are ASCII or the UTF-8 of `”`, `’` and `»`, and the
/// bytes of another character are no `.` and end no closer.
fn ends_with_period(s: &[u8]) -> bool {
    let mut rest = s;
    loop {
        match rest {
            [.., b'.'] => return !s.ends_with(b"..."),
            [head @ .., b'"' | b'\'' | b')' | b']' | b'*']
            | [head @ .., 0xe2, 0x80, 0x9d | 0x99]
            | [head @ .., 0xc2, 0xbb] => rest = head,
            _ => return false,
        }
    }
}

/// The reference for [`ends_with_period`], on characters.
#[cfg(test)]
fn ends_with_period_str(s: &str) -> bool {
    for c in s.chars().rev() {
        match c {
            '.' => return !s.ends_with("..."),
            '"' | '\'' | '”' | '’' | ')' | ']' | '»' | '*' => continue,
            _ => return false,
        }
    }
    false
}

/// `is_short(line) && Shape::of(line).is_card_line()`, the test for holding
/// a line back for block rules (the reference that the property tests
/// hold [`is_held_card_trimmed`] to).
#[cfg(test)]
pub(crate) fn is_held_card_line(line: &[u8]) -> bool {
    let (lo, hi) = trim_range(line);
    is_held_card_trimmed(&line[lo..hi])
}

/// `is_held_card_line` of a line already trimmed (`trim_range`), without
/// the rest of the shape: a card line needs only the length, the word count
/// and whether the line ends in a full stop. It runs on most lines.
pub(crate) fn is_held_card_trimmed(s: &[u8]) -> bool {
    // `is_short`, which rules out most lines in a vectorised pass, with the
    // word count it finds kept: when it holds, there are at most
    // 16 words (`has_more_words` is exact or says yes too often, never no),
    // which is `Shape::is_short`. What is left of `Shape::is_card_line` is
    // "not a statement", which needs the exact count for a line that ends
    // in a full stop: the ASCII count when no Unicode space splits words.
    // (Counting again, with `has_words`, was a third of this test's cost.)
    if s.len() > SHORT_LEN as usize {
        return false;
    }
    // A word takes a byte and the space after it one more: a line of `n`
    // bytes has at most `(n + 1) / 2` words. With at most 16 and no full
    // stop at its end, the line is a card line whatever the exact count;
    // with at most 3, whatever its end. (Most short lines: no count, and
    // no look for a Unicode space.)
    let most = s.len().div_ceil(2);
    if most <= SHORT_WORDS as usize && (most < 4 || !ends_with_period(s)) {
        return true;
    }
    let ascii = ascii_words_short(s);
    if ascii > SHORT_WORDS as usize {
        return false;
    }
    let words = if has_unicode_space(s) {
        count_words(s)
    } else {
        ascii
    };
    words <= SHORT_WORDS as usize && !(ends_with_period(s) && words >= 4)
}

/// `count_words(s) >= n`, counting only as far as the `n`th word.
pub(crate) fn has_words(s: &[u8], n: usize) -> bool {
    // Without a Unicode space, only ASCII whitespace splits words:
    // `ascii_words` counts them all at once, branch-free (`{headline}` asks
    // for 31 words over long lines, which often have curly quotes). For a
    // few words, stopping early is quicker.
    if n > 8 && !has_unicode_space(s) {
        return ascii_words(s) >= n;
    }
    let mut words = 0;
    let mut in_word = false;
    let mut i = 0;
    while i < s.len() {
        let w = ws_len(&s[i..]);
        if w > 0 {
            in_word = false;
            i += w;
        } else {
            if !in_word {
                words += 1;
                if words >= n {
                    return true;
                }
            }
            in_word = true;
            i += 1;
        }
    }
    words >= n
}

/// `Shape::of(line).is_short()`, without the rest of the shape: at most 160
/// bytes and 16 words. Every short line is held back for block rules, so
/// this runs on most lines.
#[cfg(test)]
pub(crate) fn is_short(line: &[u8]) -> bool {
    let (lo, hi) = trim_range(line);
    let s = &line[lo..hi];
    s.len() <= SHORT_LEN as usize && !has_more_words(s, SHORT_WORDS as usize)
}

/// 1 for ASCII whitespace (space, and `\t` to `\r`), else 0: written with
/// bit operations, so that the word counts below vectorise.
#[inline(always)]
fn ascii_ws(b: u8) -> u8 {
    u8::from(b == b' ') | u8::from(b.wrapping_sub(b'\t') < 5)
}

/// How many of the pairs of `before` and `at` (byte by byte, as long as
/// the shorter, at most 255) are ASCII whitespace followed by anything
/// else: the words that start in `at`, summed in a byte.
#[inline(always)]
fn word_starts(before: &[u8], at: &[u8]) -> u8 {
    before.iter().zip(at).fold(0u8, |n, (&a, &b)| {
        n.wrapping_add(ascii_ws(a) & (ascii_ws(b) ^ 1))
    })
}

/// The words of `s` when only ASCII whitespace splits them: word starts
/// (whitespace, or the start, followed by anything else), counted without
/// branches so that the loop vectorises. The same as `count_words` when
/// `s` has no Unicode space.
fn ascii_words(s: &[u8]) -> usize {
    let first = usize::from(s.first().is_some_and(|&b| ascii_ws(b) == 0));
    // Summed in bytes, so that the loop vectorises with the most lanes
    // (32-bit sums took four times the instructions), 255 pairs at a time,
    // so that a byte cannot overflow. A line of the 160 bytes `is_short`
    // asks about is one run.
    let (a, b) = (&s[..s.len().saturating_sub(1)], &s[s.len().min(1)..]);
    let starts: usize = a
        .chunks(255)
        .zip(b.chunks(255))
        .map(|(a, b)| usize::from(word_starts(a, b)))
        .sum();
    first + starts
}

/// [`ascii_words`] of a line of at most [`SHORT_LEN`] bytes, counted over a
/// copy padded with spaces to a fixed length: the loop has no remainder,
/// whose length changed with every line (one and a half mispredicted
/// branches a line, in the test for holding a line, which runs on most).
/// Lines under 32 bytes, rare in prose, are counted as they are: a file of
/// one word a line cost 5% more when each line was counted over 160 bytes.
fn ascii_words_short(s: &[u8]) -> usize {
    const N: usize = SHORT_LEN as usize;
    if s.len() < 32 {
        return ascii_words(s);
    }
    // A space before the line, so that a word at its start counts as one
    // after whitespace, and spaces after it, which start no word.
    let mut buf = [b' '; N + 1];
    buf[1..=s.len()].copy_from_slice(s);
    // At most 80 words start in 160 bytes: a byte holds the count.
    usize::from(word_starts(&buf[..N], &buf[1..]))
}

/// `count_words(s) > n`, nearly: counting only ASCII whitespace, without
/// branches (a word starts where whitespace is followed by anything else);
/// the exact count is needed only when that is not already too many and
/// the text has a Unicode space. The ASCII count can be too high, never too
/// low: a Unicode space between ASCII spaces (`a \u{a0} b`) counts as a
/// word. So this never says no when there are more than `n` words, but may
/// say yes when there are not (and `is_short` with it).
/// ([`is_held_card_trimmed`] does the same, keeping the count.)
#[cfg(test)]
fn has_more_words(s: &[u8], n: usize) -> bool {
    // 1 for ASCII whitespace (space, and `\t` to `\r`), else 0; written with
    // bit operations so that the loop vectorises.
    if ascii_words(s) > n {
        return true;
    }
    // Only Unicode spaces can split more words.
    has_unicode_space(s) && count_words(s) > n
}

/// Does `s` hold a Unicode space (whitespace beyond ASCII, see `ws_len`)?
/// Their lead bytes are 0xC2, 0xE1, 0xE2 and 0xE3 (no other byte starts
/// one): found with `memchr`, each tested on the spot. 0xE2 also leads the
/// curly quotes and dashes, so it has its own search ([`each_e2_space`]).
fn has_unicode_space(s: &[u8]) -> bool {
    if s.is_ascii() {
        return false;
    }
    let space_at = |i: usize| ws_len(&s[i..]) > 0;
    if memchr::memchr3_iter(0xc2, 0xe1, 0xe3, s).any(space_at) {
        return true;
    }
    let mut any = false;
    each_e2_space(s, |_| any = true);
    any
}

/// Calls `found` with the offset of every `0xE2` byte of `block`, in order.
///
/// News text has one every few lines: it leads curly quotes and dashes, and
/// only a few Unicode spaces. `memchr_iter` picks its vector code anew at
/// every hit (through a function pointer, then setting up its registers),
/// about a hundred instructions a hit; the searcher for this machine's
/// vector unit, made once per call, goes on from each hit directly.
fn each_e2(block: &[u8], found: impl FnMut(usize)) {
    #[cfg(target_arch = "x86_64")]
    {
        use memchr::arch::x86_64::{avx2, sse2};
        if let Some(one) = avx2::memchr::One::new(0xe2) {
            return one.iter(block).for_each(found);
        }
        if let Some(one) = sse2::memchr::One::new(0xe2) {
            return one.iter(block).for_each(found);
        }
    }
    memchr::memchr_iter(0xe2, block).for_each(found)
}

/// Is `s` led by a Unicode space whose UTF-8 starts with 0xE2 (U+2000 to
/// U+200A, U+2028, U+2029, U+202F, U+205F)?
fn is_e2_space(s: &[u8]) -> bool {
    s.first() == Some(&0xe2) && ws_len(s) > 0
}

/// Calls `found` with the offset of every Unicode space in `block` that
/// starts with 0xE2 ([`is_e2_space`]), in order.
///
/// 0xE2 leads the curly quotes and dashes of news text too, one every 80
/// bytes or so, and these spaces are rare. Stopping at every 0xE2
/// ([`each_e2`]) and testing the two bytes after it cost about 5% of the
/// time of a new article: a call and a mispredicted branch a hit. With
/// AVX2, each 32 bytes are tested whole, every offset at once, with no
/// branch but the one on a space found (see `e2_spaces_avx2`).
fn each_e2_space(block: &[u8], mut found: impl FnMut(usize)) {
    let mut done = 0;
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, checked just above.
        done = unsafe { e2_spaces_avx2(block, &mut found) };
    }
    let rest = &block[done..];
    each_e2(rest, |i| {
        if is_e2_space(&rest[i..]) {
            found(done + i)
        }
    });
}

/// The 32 bytes at the start of `w`, and the 32 from its second and from
/// its third byte: lane `i` of the three holds `w[i]`, `w[i + 1]` and
/// `w[i + 2]`, the first three bytes of a character at `i` (the vector
/// passes that look for Unicode spaces, here and in `sentinels`).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
pub(crate) fn load3(
    w: &[u8; 34],
) -> (
    std::arch::x86_64::__m256i,
    std::arch::x86_64::__m256i,
    std::arch::x86_64::__m256i,
) {
    use std::arch::x86_64::_mm256_loadu_si256;
    // SAFETY: `w` holds 34 bytes, so the three loads of 32 bytes, from its
    // first, second and third byte, read inside it; `loadu` takes any
    // alignment.
    unsafe {
        (
            _mm256_loadu_si256(w.as_ptr().cast()),
            _mm256_loadu_si256(w[1..].as_ptr().cast()),
            _mm256_loadu_si256(w[2..].as_ptr().cast()),
        )
    }
}

/// [`each_e2_space`] with AVX2, 32 offsets at a time, as far as the last
/// whole 32 bytes whose two bytes after them lie in `block` too (a space is
/// three bytes); returns where it stopped, for the caller to go on from.
///
/// # Safety
///
/// The CPU must have AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn e2_spaces_avx2(block: &[u8], found: &mut impl FnMut(usize)) -> usize {
    use std::arch::x86_64::*;
    let splat = |b: u8| _mm256_set1_epi8(b as i8);
    let mut p = 0;
    while let Some(w) = block[p..].first_chunk() {
        let (b0, b1, b2) = load3(w);
        let lead = _mm256_cmpeq_epi8(b0, splat(0xe2));
        // After E2 80: 80 to 8A (00 to 0A once 0x80 is taken off, compared
        // unsigned), A8 or A9 (A8 with its last bit cleared), or AF.
        let t = _mm256_sub_epi8(b2, splat(0x80));
        let low = _mm256_cmpeq_epi8(_mm256_min_epu8(t, splat(0x0a)), t);
        let a8a9 = _mm256_cmpeq_epi8(_mm256_and_si256(b2, splat(0xfe)), splat(0xa8));
        let af = _mm256_cmpeq_epi8(b2, splat(0xaf));
        let after80 = _mm256_and_si256(
            _mm256_cmpeq_epi8(b1, splat(0x80)),
            _mm256_or_si256(low, _mm256_or_si256(a8a9, af)),
        );
        // After E2 81: 9F.
        let after81 = _mm256_and_si256(
            _mm256_cmpeq_epi8(b1, splat(0x81)),
            _mm256_cmpeq_epi8(b2, splat(0x9f)),
        );
        let spaces = _mm256_and_si256(lead, _mm256_or_si256(after80, after81));
        let mut bits = _mm256_movemask_epi8(spaces) as u32;
        while bits != 0 {
            found(p + bits.trailing_zeros() as usize);
            bits &= bits - 1;
        }
        p += 32;
    }
    p
}

/// The most bytes (trimmed) and words of a short line.
const SHORT_LEN: u32 = 160;
const SHORT_WORDS: u32 = 16;

/// True when `s` (trimmed) ends in sentence punctuation, looking through
/// closing quotes and brackets.
///
/// Read from the end byte by byte, without decoding: on UTF-8 (all the
/// detector sees) this is `ends_sentence_str`, which reads characters,
/// because `…` and the closers `”`, `’` and `»` are matched as their UTF-8,
/// and the bytes of another character end none of these.
pub(crate) fn ends_sentence(s: &[u8]) -> bool {
    let mut rest = s;
    loop {
        match rest {
            [.., b'.' | b'!' | b'?'] | [.., 0xe2, 0x80, 0xa6] => return true,
            [head @ .., b'"' | b'\'' | b')' | b']' | b'*']
            | [head @ .., 0xe2, 0x80, 0x9d | 0x99]
            | [head @ .., 0xc2, 0xbb] => rest = head,
            _ => return false,
        }
    }
}

/// The reference for [`ends_sentence`], on characters.
#[cfg(test)]
fn ends_sentence_str(s: &str) -> bool {
    for c in s.chars().rev() {
        match c {
            '.' | '!' | '?' | '…' => return true,
            '"' | '\'' | '”' | '’' | ')' | ']' | '»' | '*' => continue,
            _ => return false,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(f: fn(&[u8], &mut dyn FnMut(usize)), s: &str) -> Vec<String> {
        let mut v = Vec::new();
        f(s.as_bytes(), &mut |n| v.push(s[..n].to_string()));
        v
    }

    #[test]
    fn whitespace() {
        assert_eq!(trim_range("  a b\u{a0} ".as_bytes()), (2, 5));
        assert_eq!(trim_end("ab \u{3000}\t".as_bytes()), b"ab");
        assert!(is_blank(" \u{a0}\u{2009}\t".as_bytes()));
        assert!(!is_blank(b" x "));
        assert_eq!(count_words("a  b\u{a0}c ".as_bytes()), 3);
    }

    /// The held-card test decides lines short enough by their length alone
    /// (at most `(n + 1) / 2` words in `n` bytes): at its bounds it agrees
    /// with the shape. Four words ending in a full stop are a statement,
    /// three are not; seventeen words are too many, sixteen are not; a
    /// no-break space splits words as a space does.
    #[test]
    fn held_card_lines_at_the_bounds_of_the_length_rule() {
        let one_letter = |n: usize, sep: &str, end: &str| {
            let mut v = vec!["a"; n].join(sep);
            v.push_str(end);
            v
        };
        let cases = [
            (one_letter(3, " ", "."), true),
            (one_letter(4, " ", "."), false),
            (one_letter(4, "\u{a0}", "."), false),
            (one_letter(4, " ", ".\""), false),
            (one_letter(4, " ", "..."), true),
            (one_letter(4, " ", ""), true),
            (one_letter(16, " ", ""), true),
            (one_letter(16, " ", "."), false),
            (one_letter(17, " ", ""), false),
            (one_letter(17, "\u{a0}", ""), false),
            ("Photo".to_string(), true),
            ("Ends.".to_string(), true),
        ];
        for (line, want) in cases {
            let b = line.as_bytes();
            assert_eq!(is_held_card_line(b), want, "{line:?}");
            assert_eq!(
                is_held_card_line(b),
                is_short(b) && reference::shape_of(b).is_card_line(),
                "{line:?}"
            );
        }
    }

    /// Past eight words `has_words` counts ASCII words in one pass when the
    /// text has no Unicode space; curly quotes and dashes share the lead
    /// byte of most of them, and thin or ideographic spaces still split.
    #[test]
    fn many_words_with_unicode_spaces_and_quotes() {
        for sep in [
            " ",
            "\u{2009}",
            "\u{3000}",
            "\u{a0}",
            "\u{1680}",
            " \u{2009} ",
        ] {
            for quote in ["", "“", "—"] {
                let words: Vec<String> = (0..10).map(|i| format!("{quote}w{i}")).collect();
                let s = words.join(sep);
                assert_eq!(count_words(s.as_bytes()), 10, "{s:?}");
                for n in 9..=11 {
                    assert_eq!(has_words(s.as_bytes(), n), n <= 10, "{s:?} {n}");
                }
            }
        }
    }

    #[test]
    fn cuts_align_to_tokens() {
        let l = b"spoke (Photo: AP). Then";
        assert_eq!(align_cut(l, 6, 17), Some((6, 18)));
        let l = b"girl!pic.twitter.com/x end";
        assert_eq!(align_cut(l, 5, 22), None);
        let l = b"a \"(X)\" b";
        assert_eq!(align_cut(l, 3, 6), Some((2, 7)));
    }

    /// `token_len` ends where `ws_len` first finds whitespace.
    #[test]
    fn tokens_end_at_whitespace() {
        let by_ws_len = |s: &[u8]| {
            (0..s.len())
                .find(|&i| ws_len(&s[i..]) > 0)
                .unwrap_or(s.len())
        };
        let words = [
            "pic.twitter.com/x",
            "“Quote”",
            "é",
            "a\u{85}",
            "\u{1680}",
            "—",
        ];
        let spaces = [
            "", " ", "\t", "\r", "\x0b", "\u{a0}", "\u{2009}", "\u{2028}", "\u{3000}",
        ];
        for w in words {
            for sp in spaces {
                let s = format!("{w}{sp}rest");
                assert_eq!(token_len(s.as_bytes()), by_ws_len(s.as_bytes()), "{s:?}");
            }
        }
    }

    /// The ASCII shortcut of `is_boundary` agrees with decoding.
    #[test]
    fn boundaries_between_ascii_bytes() {
        for a in 0..0x80u8 {
            for b in 0..0x80u8 {
                let want = !(char::from(a).is_alphanumeric() && char::from(b).is_alphanumeric());
                assert_eq!(is_boundary(&[a, b], 1), want, "{a:#x} {b:#x}");
            }
        }
    }

    #[test]
    fn boundaries() {
        let s = "aé b".as_bytes();
        assert!(!is_boundary(s, 1));
        assert!(is_boundary(s, 3));
        assert!(is_boundary(s, 0));
        assert!(is_boundary(s, s.len()));
    }

    #[test]
    fn shapes_of_holes() {
        assert_eq!(number_len(b"1,204 shares"), Some(5));
        assert_eq!(number_len(b"4.83 /"), Some(4));
        assert_eq!(number_len(b"1.2K Shares"), Some(4));
        assert_eq!(number_len(b"x"), None);
        assert_eq!(duration_len(b"02:19 -"), Some(5));
        assert_eq!(duration_len(b"1:02:19"), Some(7));
        assert_eq!(duration_len(b"123:45"), None);
        assert_eq!(
            all(date_lens, "May 31, 2018 at"),
            vec!["May 31, 2018", "May 31"]
        );
        assert_eq!(all(date_lens, "Feb. 3 x"), vec!["Feb. 3"]);
        assert_eq!(
            all(date_lens, "Fri, October 13, 2017 The"),
            vec!["Fri, October 13, 2017", "Fri, October 13"]
        );
        assert_eq!(all(date_lens, "31 May 2018"), vec!["31 May 2018", "31 May"]);
        assert_eq!(all(date_lens, "5/31/2018"), vec!["5/31/2018"]);
        assert_eq!(all(date_lens, "2018-05-31"), vec!["2018-05-31"]);
        assert!(all(date_lens, "Maybe 3").is_empty());
        assert_eq!(
            all(time_lens, "12:49pm PDT"),
            vec!["12:49pm PDT", "12:49pm"]
        );
        assert_eq!(all(time_lens, "9 p.m. ET"), vec!["9 p.m. ET", "9 p.m."]);
        assert_eq!(all(time_lens, "17:00 IST"), vec!["17:00 IST", "17:00"]);
        assert!(all(time_lens, "9 people").is_empty());
        assert_eq!(handle_len(b"@zayn) on"), Some(5));
        assert_eq!(url_len(b"pic.twitter.com/Qg5L5HcnvL rest"), Some(26));
        assert_eq!(url_len(b"https://t.co/x"), Some(14));
        assert_eq!(url_len(b"and/or"), None);
        assert_eq!(
            all(name_lens, "Kevin Winter/Getty"),
            vec!["Kevin Winter", "Kevin"]
        );
        assert_eq!(
            all(name_lens, "Jane Doe. She"),
            vec!["Jane Doe", "Jane Doe.", "Jane"]
        );
        assert_eq!(
            all(name_lens, "Ludwig van Beethoven x"),
            vec!["Ludwig van Beethoven", "Ludwig"]
        );
        assert!(all(name_lens, "the man").is_empty());
        assert_eq!(all(caps_lens, "CNN —"), vec!["CNN"]);
        assert_eq!(
            all(caps_lens, "BANG SHOWBIZ x"),
            vec!["BANG SHOWBIZ", "BANG"]
        );
        assert!(all(caps_lens, "Cnn").is_empty());
    }

    #[test]
    fn sentences_around_a_match() {
        let s = "He left. Sign up for our list today! She stayed.";
        let at = s.find("Sign").unwrap();
        assert_eq!(sentence_start(s.as_bytes(), at + 5), at);
        assert_eq!(
            &s[at..sentence_end(s.as_bytes(), at + 7)],
            "Sign up for our list today!"
        );
        // No sentence end after the match: the line end.
        let s = "Sign up for our list";
        assert_eq!(sentence_end(s.as_bytes(), 4), s.len());
        // `“Stop.” She` ends a sentence through the closing quote.
        let s = "“Stop.” Sign up now";
        assert_eq!(
            sentence_start(s.as_bytes(), s.len()),
            s.find("Sign").unwrap()
        );
        // Paragraphs glued without a space still end their sentences.
        let s = "They wed in May.Share it in the comments below.";
        let at = s.find("Share").unwrap();
        assert_eq!(sentence_start(s.as_bytes(), at + 3), at);
        assert_eq!(sentence_start(s.as_bytes(), at), at);
        assert_eq!(sentence_end(s.as_bytes(), 2), at);
        assert_eq!(sentence_end(s.as_bytes(), at + 3), s.len());
        // Not after a capital or a digit: `U.S.A.` and `3.5` stay whole.
        let s = "The U.S.Army band played 3.5 hours.";
        assert_eq!(sentence_start(s.as_bytes(), s.len() - 2), 0);
        assert_eq!(sentence_end(s.as_bytes(), 1), s.len());
    }

    #[test]
    fn verbs() {
        assert!(has_verb(b"Kim was not impressed"));
        assert!(has_verb(b"The couple announced their split"));
        assert!(!has_verb(b"Jane Doe and John Roe at the gala in 2019"));
        assert!(!has_verb(b"Scott arriving in Nice in May"));
    }

    #[test]
    fn shape_features() {
        let s = Shape::of("Russian President Vladimir Putin spoke by telephone with US President-elect Donald Trump Monday, according to statements.".as_bytes());
        assert!(s.is_prose(), "{s:?}");
        let s = Shape::of(
            b"Local Baker Wins 'Best Bread, Best Cake' Award With the 'Rye' Brothers on 'BBQ'!",
        );
        assert!(s.is_title_case() && !s.is_prose(), "{s:?}");
        let s = Shape::of(b"Putin congratulates Trump on \"historic\" win");
        assert!(!s.is_prose() && s.is_short());
        assert!(Shape::of("He said “no.”".as_bytes()).terminal);
        // A colon that leads into a quote ends prose; a label's does not.
        assert!(Shape::of(b"In the newsletter on Friday, Batali wrote:").is_prose());
        assert!(!Shape::of(b"RELATED CONTENT:").is_prose());
        assert!(!Shape::of(b"More Stories From Our Partners Around The Web:").is_prose());
        assert!(!Shape::of(" — ".as_bytes()).has_alnum);
    }

    /// The line features as they were computed before they were made
    /// cheap: the references for the property tests below.
    mod reference {
        use super::super::*;

        pub fn shape_of(line: &[u8]) -> Shape {
            let (lo, hi) = trim_range(line);
            let s = &line[lo..hi];
            let mut shape = Shape {
                len: s.len() as u32,
                ..Shape::default()
            };
            let mut i = 0;
            while i < s.len() {
                let w = ws_len(&s[i..]);
                if w > 0 {
                    i += w;
                    continue;
                }
                let t = token_len(&s[i..]);
                let tok = &s[i..i + t];
                shape.words += 1;
                let start = tok
                    .iter()
                    .position(|b| b.is_ascii_alphanumeric() || *b >= 0x80);
                if let Some(st) = start {
                    shape.has_alnum |= tok[st..].iter().any(|b| b.is_ascii_alphanumeric())
                        || char_at(tok, st).is_some_and(char::is_alphanumeric);
                    let letters = std::str::from_utf8(&tok[st..])
                        .map(|w| w.chars().take_while(|c| c.is_alphabetic()).count())
                        .unwrap_or(0);
                    if letters >= 4 {
                        shape.long_words += 1;
                        if char_at(tok, st).is_some_and(char::is_uppercase) {
                            shape.capitalised += 1;
                        }
                    }
                }
                i += t;
            }
            let text = std::str::from_utf8(s).ok();
            shape.terminal = text.is_some_and(ends_sentence_str);
            shape.period = text.is_some_and(ends_with_period_str);
            shape.colon = s.last() == Some(&b':');
            shape
        }

        pub fn has_unicode_space(s: &[u8]) -> bool {
            s.iter()
                .enumerate()
                .any(|(i, &b)| b >= 0xc2 && ws_len(&s[i..]) > 0)
        }

        /// The old `has_more_words`, with its byte-by-byte scan.
        pub fn has_more_words(s: &[u8], n: usize) -> bool {
            let ws = |b: u8| u8::from(b == b' ') | u8::from(b.wrapping_sub(b'\t') < 5);
            let first = s.first().map_or(0, |&b| ws(b) ^ 1);
            let starts: u32 = s
                .iter()
                .zip(&s[s.len().min(1)..])
                .map(|(&a, &b)| u32::from(ws(a) & (ws(b) ^ 1)))
                .sum();
            if (u32::from(first) + starts) as usize > n {
                return true;
            }
            has_unicode_space(s) && count_words(s) > n
        }
    }

    /// Lines of words, numbers, punctuation, quotes, closers and all kinds
    /// of whitespace, long and short.
    fn line() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let piece = prop::sample::select(vec![
            "word",
            "Word",
            "WORDS",
            "the",
            "a",
            "Éclair",
            "naïve",
            "İstanbul",
            "4",
            "302",
            "well-known",
            "(Photo",
            "AP)",
            "“Quoted",
            "it’s",
            "end.",
            "end...",
            "end…",
            "end!",
            "why?",
            "“no.”",
            "(yes.)",
            "«ok»",
            "x*",
            "done.)",
            "so...)",
            "—",
            "-",
            "|",
            ".",
            "…",
            "”",
            "’",
            "»",
            "\u{fffd}",
            "日本語",
            "ǅemal",
        ]);
        let space = prop::sample::select(vec![
            " ", " ", " ", "  ", "\t", "\u{a0}", " \u{a0} ", "\u{2009}", "\u{3000}", "\u{1680}",
            "\u{85}", "\u{202f}", "\u{205f}", "\u{2028}",
        ]);
        (space.clone(), prop::collection::vec((piece, space), 0..30)).prop_map(|(lead, v)| {
            let mut s = lead.to_string();
            for (p, sp) in v {
                s.push_str(p);
                s.push_str(sp);
            }
            s
        })
    }

    #[test]
    fn general_punctuation_holds_no_letter_or_digit() {
        for c in '\u{2000}'..='\u{206f}' {
            assert!(!c.is_alphanumeric(), "{c:?}");
        }
        for c in ['a', 'Z', '7', 'é', 'ß', '日', '٣', '“', '—', ' ', '.'] {
            assert_eq!(is_alnum(c), c.is_alphanumeric(), "{c:?}");
        }
    }

    /// The reference for [`each_e2_space`]: every offset tested alone.
    fn e2_spaces_naive(s: &[u8]) -> Vec<usize> {
        (0..s.len())
            .filter(|&i| s[i] == 0xe2 && ws_len(&s[i..]) == 3)
            .collect()
    }

    fn e2_spaces(s: &[u8]) -> Vec<usize> {
        let mut found = Vec::new();
        each_e2_space(s, |i| found.push(i));
        found
    }

    /// Every two bytes after an 0xE2, at every offset of a 32-byte step and
    /// at the end of the text (where the vector loop stops and the scalar
    /// one goes on), with a curly quote before and after.
    #[test]
    fn e2_spaces_at_every_offset() {
        let mut seen = 0;
        for b1 in 0x7e..=0x82u8 {
            for b2 in 0u8..=255 {
                for pad in [0, 1, 29, 30, 31, 32, 33, 63, 64, 65] {
                    for tail in [0, 1, 2, 3, 40] {
                        let mut s = vec![b'a'; pad];
                        s.extend_from_slice("’".as_bytes());
                        s.extend_from_slice(&[0xe2, b1, b2]);
                        s.extend_from_slice("’".as_bytes());
                        s.extend(std::iter::repeat_n(b'z', tail));
                        let want = e2_spaces_naive(&s);
                        seen += want.len();
                        assert_eq!(e2_spaces(&s), want, "{s:x?}");
                        // And cut short, the space's last bytes missing.
                        for cut in [pad + 4, pad + 5] {
                            assert_eq!(e2_spaces(&s[..cut]), e2_spaces_naive(&s[..cut]));
                        }
                    }
                }
            }
        }
        // 15 spaces, each at 10 offsets with 5 tails.
        assert_eq!(seen, 15 * 10 * 5);
    }

    /// The reference for [`only_closing`]: the whole text validated, then
    /// every character tested.
    fn only_closing_str(s: &[u8]) -> bool {
        std::str::from_utf8(s).is_ok_and(|s| s.chars().all(is_closing))
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2048))]

        #[test]
        fn e2_spaces_agree_with_reference(
            s in proptest::collection::vec(proptest::sample::select(&[
                0xe2, 0xe2, 0x80, 0x80, 0x81, 0x9f, 0x8a, 0x8b, 0xa8, 0xa9, 0xaf, 0x98, 0x7f,
                b' ', b'a',
            ][..]), 0..300),
        ) {
            proptest::prop_assert_eq!(e2_spaces(&s), e2_spaces_naive(&s));
        }

        #[test]
        fn only_closing_agrees_with_reference(
            s in proptest::collection::vec(proptest::sample::select(&[
                b'.', b' ', b')', b'a', b'\'', 0xe2, 0x80, 0x9d, 0xa6, 0x94, 0xc2, 0xbb, 0xff,
            ][..]), 0..12),
        ) {
            proptest::prop_assert_eq!(only_closing(&s), only_closing_str(&s));
        }

        #[test]
        fn has_words_counts_like_count_words(
            s in "[a b\t\u{a0}\u{2009}’é.]{0,40}",
            n in 0usize..40,
        ) {
            proptest::prop_assert_eq!(has_words(s.as_bytes(), n), count_words(s.as_bytes()) >= n);
        }

        #[test]
        fn month_and_weekday_words_in_any_case(
            i in 0usize..100,
            case in proptest::collection::vec(proptest::bool::ANY, 12),
            dot in proptest::bool::ANY,
        ) {
            // `word_from` compares the first letter lowercased with the
            // lists' first letters: the lists must be lowercase.
            for list in [MONTHS, WEEKDAYS] {
                let w = list[i % list.len()];
                proptest::prop_assert_eq!(w, w.to_lowercase());
                let mut s: String = w
                    .chars()
                    .zip(case.iter().cycle())
                    .map(|(c, &up)| if up { c.to_ascii_uppercase() } else { c })
                    .collect();
                if dot {
                    s.push('.');
                }
                s.push_str(" 3");
                proptest::prop_assert_eq!(word_from(s.as_bytes(), list), Some(w.len() + usize::from(dot)));
            }
        }

        #[test]
        fn ascii_words_counts_like_count_words(s in "[a b\t.é]{0,700}") {
            // Longer than the 255-byte runs it sums, cut at any byte.
            proptest::prop_assert_eq!(ascii_words(s.as_bytes()), count_words(s.as_bytes()));
        }

        #[test]
        fn ascii_words_short_counts_like_ascii_words(
            b in proptest::collection::vec(proptest::sample::select(&b" \ta.\n\r\xc3\xa9x"[..]), 0..=SHORT_LEN as usize)
        ) {
            // Every length up to 160 bytes, whitespace of each kind.
            proptest::prop_assert_eq!(ascii_words_short(&b), ascii_words(&b));
        }

        #[test]
        fn shape_of_agrees_with_reference(s in line()) {
            proptest::prop_assert_eq!(Shape::of(s.as_bytes()), reference::shape_of(s.as_bytes()));
        }

        #[test]
        fn held_card_line_agrees_with_reference(s in line()) {
            let b = s.as_bytes();
            proptest::prop_assert_eq!(
                is_held_card_line(b),
                is_short(b) && reference::shape_of(b).is_card_line()
            );
        }

        #[test]
        fn has_more_words_agrees_with_reference(s in line(), n in 0usize..20) {
            let (lo, hi) = trim_range(s.as_bytes());
            let t = &s.as_bytes()[lo..hi];
            proptest::prop_assert_eq!(has_more_words(t, n), reference::has_more_words(t, n));
            // Never a no when there are more words.
            proptest::prop_assert!(count_words(t) <= n || has_more_words(t, n));
        }

        #[test]
        fn trims_agree_with_str_trim(s in line()) {
            // Lines from `line()` start and end with whitespace: their
            // trimmed forms test the quick paths.
            for s in [&s[..], s.trim_start(), s.trim_end(), s.trim()] {
                let (lo, hi) = trim_range(s.as_bytes());
                let want_lo = s.len() - s.trim_start().len();
                proptest::prop_assert_eq!((lo, hi), (want_lo, want_lo.max(s.trim_end().len())));
                proptest::prop_assert_eq!(trim_end(s.as_bytes()), s.trim_end().as_bytes());
            }
        }

        #[test]
        fn line_ends_agree_with_reference(s in line()) {
            let (lo, hi) = trim_range(s.as_bytes());
            let t = &s[lo..hi];
            proptest::prop_assert_eq!(ends_sentence(t.as_bytes()), ends_sentence_str(t));
            proptest::prop_assert_eq!(ends_with_period(t.as_bytes()), ends_with_period_str(t));
        }
    }
}
