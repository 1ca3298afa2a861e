//! Pattern files: parsing the human-readable format into rule definitions.
//!
//! The format is documented in `patterns/README.md`. In short:
//!
//! ```text
//! # comment
//! @category media                 (optional: defaults to the file stem)
//! @description Photo labels, credits and video furniture
//! @default off                    (optional: category off unless enabled)
//!
//! [line]                          whole-line junk (or part of a line that is junk end to end)
//! Image zoom {rest}
//! [span end case]                 cut out of a line; `start`/`end` pin it to a line edge
//! (Photo: {text})
//! [block before=3]                a line that takes neighbouring lines with it
//! {dur} - Source: {caps}
//! [line sentence]                 the match grows to its sentence
//! Sign up for our
//! [shape]                         built-in line shapes (src/shapes.rs)
//! share-bar
//! ```
//!
//! Matching is case-insensitive (unless `case`) and insensitive to runs of
//! whitespace; placeholders in braces match shapes such as numbers or dates.

use crate::error::PatternError;
pub(crate) use crate::shapes::ShapeKind;

/// Where a rule applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    /// The rule removes whole lines: a line goes when line and span rules
    /// cover all of its words.
    Line,
    /// The rule cuts a span out of a line; the rest of the line is stitched
    /// back together with one space.
    Span,
    /// The rule removes a whole line and some of its neighbours (a video card,
    /// a highlights box).
    Block,
}

impl Scope {
    /// The name used in pattern files and reports: `line`, `span` or `block`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Line => "line",
            Scope::Span => "span",
            Scope::Block => "block",
        }
    }
}

/// How far a block rule reaches beyond its anchor line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) struct Reach {
    /// Up to this many short lines right before the anchor, in its paragraph.
    pub before: u8,
    /// Up to this many short lines right after the anchor, in its paragraph.
    pub after: u8,
    /// Up to this many following non-blank lines, across blank lines, that do
    /// not read as prose: the box ends at the first line of prose.
    pub until_prose: u8,
}

/// The largest reach a block rule may ask for. It bounds the lines the
/// cleaner holds back.
pub(crate) const MAX_REACH: u8 = 8;

/// A shape a placeholder matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Hole {
    /// `{n}`: a number, `302`, `1,204`, `4.83`, `1.2K`.
    Num,
    /// `{dur}`: a duration, `02:19`, `1:02:19`.
    Dur,
    /// `{date}`: `May 31, 2018`, `Feb. 3`, `31 May 2018`, `5/31/2018`, `2018-05-31`.
    Date,
    /// `{time}`: `12:49pm PDT`, `9 p.m. ET`, `17:00 IST`.
    Time,
    /// `{handle}`: `@name`.
    Handle,
    /// `{url}`: a link token, `https://t.co/x`, `pic.twitter.com/x`, `www.x.com`.
    Url,
    /// `{word}`: one token.
    Word,
    /// `{name}`: one to five capitalised tokens, `Jane Doe`, `Mike Segar`.
    Name,
    /// `{caps}`: one to three all-capitals tokens, `CNN`, `AP`, `BANG SHOWBIZ`.
    Caps,
    /// `{text}`: any text, as little as needed (at most 200 bytes).
    Text,
    /// `{rest}`: everything to the end of the line.
    Rest,
    /// `{headline}`: the rest of the line when it is headline-sized (at most
    /// 30 words).
    Headline,
}

impl Hole {
    const ALL: [(&'static str, Hole); 12] = [
        ("n", Hole::Num),
        ("dur", Hole::Dur),
        ("date", Hole::Date),
        ("time", Hole::Time),
        ("handle", Hole::Handle),
        ("url", Hole::Url),
        ("word", Hole::Word),
        ("name", Hole::Name),
        ("caps", Hole::Caps),
        ("text", Hole::Text),
        ("rest", Hole::Rest),
        ("headline", Hole::Headline),
    ];

    fn from_name(name: &str) -> Option<Hole> {
        Hole::ALL.iter().find(|(n, _)| *n == name).map(|(_, h)| *h)
    }

    /// Holes that run to the end of the line.
    pub(crate) fn is_to_end(self) -> bool {
        matches!(self, Hole::Rest | Hole::Headline)
    }

    /// Holes of unbounded free text. At the start of an entry they reach back
    /// to the start of the line.
    pub(crate) fn is_free(self) -> bool {
        matches!(self, Hole::Text | Hole::Rest | Hole::Headline)
    }
}

/// One piece of an entry: literal text or a placeholder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Piece {
    /// Literal text, whitespace runs collapsed to one ASCII space.
    Lit(String),
    /// A placeholder.
    Hole(Hole),
}

/// One entry of a pattern file, parsed but not compiled.
#[derive(Clone, Debug)]
pub(crate) struct RuleDef {
    pub scope: Scope,
    pub reach: Reach,
    /// Span rules: the span must start the line.
    pub at_start: bool,
    /// Span rules: the span must end the line (trailing punctuation aside).
    pub at_end: bool,
    /// Literals match case-sensitively.
    pub case: bool,
    /// The match grows to the sentence around it (`[line sentence]`,
    /// `[span sentence]`).
    pub sentence: bool,
    /// A `[shape]` entry: a built-in line shape instead of a text pattern.
    pub shape: Option<ShapeKind>,
    pub pieces: Vec<Piece>,
    /// The entry as written.
    pub text: String,
    /// 1-based line number in its file.
    pub line: usize,
}

/// A parsed pattern file: one category and its rules.
#[derive(Clone, Debug)]
pub(crate) struct PatternFile {
    pub origin: String,
    pub category: String,
    pub description: String,
    pub default_on: bool,
    pub rules: Vec<RuleDef>,
}

/// The section header in force while parsing.
#[derive(Clone, Copy)]
struct Section {
    scope: Scope,
    reach: Reach,
    at_start: bool,
    at_end: bool,
    case: bool,
    sentence: bool,
    shape: bool,
}

/// Parses one pattern file. `origin` names it in errors (a path, or
/// `<builtin>/NAME.txt`); `stem` is the default category name.
pub(crate) fn parse(origin: &str, stem: &str, text: &str) -> Result<PatternFile, PatternError> {
    let mut file = PatternFile {
        origin: origin.to_string(),
        category: stem.to_string(),
        description: String::new(),
        default_on: true,
        rules: Vec::new(),
    };
    let mut section: Option<Section> = None;
    for (i, raw) in text.lines().enumerate() {
        let lineno = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let err = |m: String| PatternError::new(origin, lineno, m);
        if let Some(directive) = line.strip_prefix('@') {
            let (key, value) = match directive.split_once(char::is_whitespace) {
                Some((k, v)) => (k, v.trim()),
                None => (directive, ""),
            };
            match key {
                "category" => {
                    if !is_category_name(value) {
                        return Err(err(format!(
                            "bad category name '{value}': use lowercase letters, digits, '-' and '_'"
                        )));
                    }
                    file.category = value.to_string();
                }
                "description" => file.description = value.to_string(),
                "default" => match value {
                    "on" => file.default_on = true,
                    "off" => file.default_on = false,
                    _ => return Err(err(format!("@default takes 'on' or 'off', not '{value}'"))),
                },
                _ => {
                    return Err(err(format!(
                        "unknown directive '@{key}' (known: @category, @description, @default)"
                    )));
                }
            }
            continue;
        }
        if is_header(line) {
            section = Some(parse_header(line).map_err(err)?);
            continue;
        }
        let Some(sec) = section else {
            return Err(err(
                "entry before any section header: start a section with [line], [span], [block ...] or [shape]"
                    .to_string(),
            ));
        };
        // A [shape] section's entries name built-in shapes; the others are
        // text patterns. The section (all options off for shapes) gives the rest.
        let (shape, pieces, text) = if sec.shape {
            let kind = ShapeKind::from_name(line).ok_or_else(|| {
                err(format!(
                    "unknown shape '{line}' (known: {})",
                    ShapeKind::names().join(", ")
                ))
            })?;
            (Some(kind), Vec::new(), format!("shape:{line}"))
        } else {
            let pieces = parse_entry(line).map_err(err)?;
            check_entry(&pieces, sec.scope).map_err(err)?;
            (None, pieces, line.to_string())
        };
        file.rules.push(RuleDef {
            scope: sec.scope,
            reach: sec.reach,
            at_start: sec.at_start,
            at_end: sec.at_end,
            case: sec.case,
            sentence: sec.sentence,
            shape,
            pieces,
            text,
            line: lineno,
        });
    }
    if !is_category_name(&file.category) {
        return Err(PatternError::new(
            origin,
            0,
            format!(
                "'{}' is not a usable category name; add '@category NAME' to the file",
                file.category
            ),
        ));
    }
    Ok(file)
}

fn is_category_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 40
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// A section header is `[word ...]` with a lowercase first word and no
/// placeholder; an entry that starts with `[` (`[Image via {text}]`) is not.
fn is_header(line: &str) -> bool {
    line.starts_with('[')
        && line.ends_with(']')
        && !line.contains('{')
        && line[1..]
            .split(|c: char| c.is_whitespace() || c == ']')
            .next()
            .is_some_and(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()))
}

fn parse_header(line: &str) -> Result<Section, String> {
    let inner = line
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .ok_or_else(|| format!("section header '{line}' must end with ']'"))?;
    let mut words = inner.split_whitespace();
    let first = words.next();
    if first == Some("shape") {
        if let Some(opt) = words.next() {
            return Err(format!(
                "unknown option '{opt}' for [shape] (it takes none)"
            ));
        }
        return Ok(Section {
            scope: Scope::Line,
            reach: Reach::default(),
            at_start: false,
            at_end: false,
            case: false,
            sentence: false,
            shape: true,
        });
    }
    let scope = match first {
        Some("line") => Scope::Line,
        Some("span") => Scope::Span,
        Some("block") => Scope::Block,
        other => {
            return Err(format!(
                "unknown section '{}': use [line], [span], [block ...] or [shape]",
                other.unwrap_or("")
            ));
        }
    };
    let mut sec = Section {
        scope,
        reach: Reach::default(),
        at_start: false,
        at_end: false,
        case: false,
        sentence: false,
        shape: false,
    };
    for opt in words {
        match (scope, opt.split_once('=')) {
            (_, None) if opt == "case" => sec.case = true,
            (Scope::Line | Scope::Span, None) if opt == "sentence" => sec.sentence = true,
            (Scope::Span, None) if opt == "start" => sec.at_start = true,
            (Scope::Span, None) if opt == "end" => sec.at_end = true,
            (Scope::Block, Some((key, value))) => {
                let n: u8 = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=MAX_REACH).contains(n))
                    .ok_or_else(|| {
                        format!("'{opt}': the reach must be a number from 1 to {MAX_REACH}")
                    })?;
                match key {
                    "before" => sec.reach.before = n,
                    "after" => sec.reach.after = n,
                    "box" => sec.reach.until_prose = n,
                    _ => {
                        return Err(format!(
                            "unknown block option '{key}' (known: before=N, after=N, box=N, case)"
                        ));
                    }
                }
            }
            _ => {
                let known = match scope {
                    Scope::Line => "case, sentence",
                    Scope::Span => "case, sentence, start, end",
                    Scope::Block => "before=N, after=N, box=N, case",
                };
                return Err(format!(
                    "unknown option '{opt}' for [{}] (known: {known})",
                    scope.as_str()
                ));
            }
        }
    }
    if scope == Scope::Block && sec.reach == Reach::default() {
        return Err("a [block] section needs a reach: before=N, after=N or box=N".to_string());
    }
    Ok(sec)
}

/// Splits an entry into literal pieces and placeholders. `{{` and `}}` are
/// literal braces.
fn parse_entry(entry: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut lit = String::new();
    let mut chars = entry.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                lit.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                lit.push('}');
            }
            '{' => {
                let mut name = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(c) => name.push(c),
                        None => {
                            return Err(format!(
                                "unclosed '{{' in '{entry}' (write '{{{{' for a literal brace)"
                            ));
                        }
                    }
                }
                let hole = Hole::from_name(name.trim()).ok_or_else(|| {
                    let known: Vec<String> =
                        Hole::ALL.iter().map(|(n, _)| format!("{{{n}}}")).collect();
                    format!(
                        "unknown placeholder '{{{name}}}' (known: {})",
                        known.join(" ")
                    )
                })?;
                if !lit.is_empty() {
                    pieces.push(Piece::Lit(collapse_ws(&lit)));
                    lit.clear();
                }
                pieces.push(Piece::Hole(hole));
            }
            '}' => {
                return Err(format!(
                    "stray '}}' in '{entry}' (write '}}}}' for a literal brace)"
                ));
            }
            c => lit.push(c),
        }
    }
    if !lit.is_empty() {
        pieces.push(Piece::Lit(collapse_ws(&lit)));
    }
    Ok(pieces)
}

fn check_entry(pieces: &[Piece], scope: Scope) -> Result<(), String> {
    // The anchor needs two visible characters, or one with spaces on both
    // sides: `" - "` will do between two placeholders, `" x"` will not.
    let anchorable = pieces.iter().any(|p| match p {
        Piece::Lit(s) => s.trim().len() >= 2 || (s.len() >= 3 && !s.trim().is_empty()),
        Piece::Hole(_) => false,
    });
    if !anchorable {
        return Err(
            "an entry needs literal text of at least 2 characters to anchor on".to_string(),
        );
    }
    for (i, w) in pieces.windows(2).enumerate() {
        if let [Piece::Hole(a), Piece::Hole(b)] = w {
            let _ = (a, b, i);
            return Err(
                "two placeholders in a row: put literal text (at least a space) between them"
                    .to_string(),
            );
        }
    }
    for (i, p) in pieces.iter().enumerate() {
        if let Piece::Hole(h) = p {
            if h.is_to_end() && i + 1 != pieces.len() {
                return Err(format!(
                    "{{{}}} runs to the end of the line, so it must end the entry",
                    if *h == Hole::Rest { "rest" } else { "headline" }
                ));
            }
            if h.is_free() && i == 0 && scope == Scope::Span {
                return Err(
                    "a [span] entry cannot start with free text ({text}, {rest}, {headline}): start it with literal text or a shaped placeholder"
                        .to_string(),
                );
            }
        }
    }
    Ok(())
}

/// Collapses every run of whitespace (including non-breaking and other
/// Unicode spaces) into one ASCII space. Leading and trailing runs become one
/// space too: they are significant next to placeholders (`{n} of {n}`).
pub(crate) fn collapse_ws(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_ws = false;
    for c in s.chars() {
        if c.is_whitespace() {
            if !in_ws {
                out.push(' ');
            }
            in_ws = true;
        } else {
            out.push(c);
            in_ws = false;
        }
    }
    out
}

/// The default pattern files, compiled into the binary.
pub(crate) const BUILTIN: &[(&str, &str)] = &[
    ("ads", include_str!("../patterns/ads.txt")),
    ("newsletter", include_str!("../patterns/newsletter.txt")),
    ("media", include_str!("../patterns/media.txt")),
    ("social", include_str!("../patterns/social.txt")),
    ("navigation", include_str!("../patterns/navigation.txt")),
    ("byline", include_str!("../patterns/byline.txt")),
    ("legal", include_str!("../patterns/legal.txt")),
    ("promo", include_str!("../patterns/promo.txt")),
    ("comments", include_str!("../patterns/comments.txt")),
    ("browser", include_str!("../patterns/browser.txt")),
    ("dateline", include_str!("../patterns/dateline.txt")),
];

/// Parses the built-in pattern files.
pub(crate) fn builtin() -> Result<Vec<PatternFile>, PatternError> {
    BUILTIN
        .iter()
        .map(|(stem, text)| parse(&format!("<builtin>/{stem}.txt"), stem, text))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Result<PatternFile, PatternError> {
        parse("t.txt", "t", text)
    }

    #[test]
    fn parses_sections_and_placeholders() {
        let f = one("# c\n@description D\n[line]\nPhoto\n[span end case]\n(Photo: {text})\n[block before=3]\n{dur} - Source: {caps}\n").unwrap();
        assert_eq!(f.category, "t");
        assert_eq!(f.description, "D");
        assert_eq!(f.rules.len(), 3);
        assert_eq!(f.rules[0].scope, Scope::Line);
        assert_eq!(
            f.rules[1].pieces,
            vec![
                Piece::Lit("(Photo: ".into()),
                Piece::Hole(Hole::Text),
                Piece::Lit(")".into())
            ]
        );
        assert!(f.rules[1].at_end && f.rules[1].case && !f.rules[1].at_start);
        assert_eq!(f.rules[2].reach.before, 3);
        assert_eq!(f.rules[2].line, 8);
    }

    #[test]
    fn whitespace_runs_collapse() {
        let f = one("[line]\nAdvertisement \u{a0}  Continue\treading\n").unwrap();
        assert_eq!(
            f.rules[0].pieces,
            vec![Piece::Lit("Advertisement Continue reading".into())]
        );
    }

    #[test]
    fn entries_may_start_with_a_bracket() {
        let f = one("[span]\n[Image via {text}]\n").unwrap();
        assert_eq!(f.rules[0].text, "[Image via {text}]");
    }

    #[test]
    fn literal_braces() {
        let f = one("[line]\n{{x}} y\n").unwrap();
        assert_eq!(f.rules[0].pieces, vec![Piece::Lit("{x} y".into())]);
    }

    #[test]
    fn errors_name_the_line() {
        let e = one("[line]\nok\n{bogus} x\n").unwrap_err();
        assert_eq!(e.line(), 3);
        assert!(
            e.to_string().starts_with("t.txt:3: unknown placeholder"),
            "{e}"
        );
        let e = one("Photo\n").unwrap_err();
        assert!(e.to_string().contains("before any section header"), "{e}");
        let e = one("[block]\nx\n").unwrap_err();
        assert!(e.message().contains("needs a reach"), "{e}");
        let e = one("[block before=9]\nxx\n").unwrap_err();
        assert!(e.message().contains("from 1 to 8"), "{e}");
        let e = one("[span]\n{text} foo\n").unwrap_err();
        assert!(e.message().contains("cannot start with free text"), "{e}");
        let e = one("[line]\n{rest} foo\n").unwrap_err();
        assert!(e.message().contains("must end the entry"), "{e}");
        let e = one("[line]\n{n}{n} xx\n").unwrap_err();
        assert!(e.message().contains("two placeholders"), "{e}");
        let e = one("[line]\n{n} x\n").unwrap_err();
        assert!(e.message().contains("at least 2 characters"), "{e}");
        let e = one("[line]\nab {x\n").unwrap_err();
        assert!(e.message().contains("unclosed"), "{e}");
        let e = one("[spam]\n").unwrap_err();
        assert!(e.message().contains("unknown section"), "{e}");
        let e = one("[span before=2]\nxx\n").unwrap_err();
        assert!(e.message().contains("unknown option"), "{e}");
        let e = one("@default maybe\n").unwrap_err();
        assert!(e.message().contains("@default"), "{e}");
        let e = one("@category Bad Name\n").unwrap_err();
        assert!(e.message().contains("bad category"), "{e}");
        let e = one("@colour red\n").unwrap_err();
        assert!(e.message().contains("unknown directive"), "{e}");
    }

    #[test]
    fn builtin_files_parse() {
        let files = builtin().unwrap();
        assert!(files.iter().any(|f| f.category == "ads"));
        assert!(
            files
                .iter()
                .any(|f| f.category == "dateline" && !f.default_on)
        );
    }

    /// A rule written twice in one category (in another letter case, where
    /// case does not matter) matches exactly as once, but the matcher
    /// verifies it twice at every anchor hit: 59 such entries cost 1.0% of
    /// the instructions of a typical article (callgrind).
    #[test]
    fn no_builtin_rule_is_written_twice() {
        let mut twice = Vec::new();
        for f in builtin().unwrap() {
            let mut seen = std::collections::HashMap::new();
            for r in &f.rules {
                let pieces: Vec<Piece> = r
                    .pieces
                    .iter()
                    .map(|p| match p {
                        Piece::Lit(s) if !r.case => Piece::Lit(s.to_lowercase()),
                        p => p.clone(),
                    })
                    .collect();
                let how = format!(
                    "{:?} {:?} {} {} {} {} {:?}",
                    r.scope, r.reach, r.at_start, r.at_end, r.case, r.sentence, r.shape
                );
                if let Some(first) = seen.insert(format!("{how} {pieces:?}"), r.line) {
                    twice.push(format!(
                        "{}:{} repeats line {first}: {}",
                        f.origin, r.line, r.text
                    ));
                }
            }
        }
        assert!(twice.is_empty(), "{}", twice.join("\n"));
    }
}
