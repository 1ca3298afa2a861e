//! Shapes: built-in line classifiers for junk that has a recognisable form
//! but no fixed wording: a share bar made only of network names, a counter
//! (`302 SHARES`, `3 total views, 3 views today`), a line made only of links
//! or handles, a photo credit (`Name/Agency`).
//!
//! A pattern file turns a shape on for its category with a `[shape]`
//! section that names it, so shapes are switched with their category and
//! reported like any rule (`shape:share-bar`). A shape looks at one line on
//! its own, without a copy; it runs only on short lines that the patterns did
//! not already remove, so it stays off the hot path.

use crate::text;

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
    /// `button-row`: three or more bare button words and nothing else
    /// (`Yes! Oui! Si Ja`, `OK Cancel ✕`).
    ButtonRow,
    /// `caption`: a line whose span cuts (by rules of the same category)
    /// run to its end and leave something that does not read as prose, as
    /// a photo caption with its credit glued on: the whole line goes. The
    /// detector applies it; [`ShapeKind::matches`] alone never does.
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

    /// True when the whole (trimmed) line has this shape.
    #[cfg(test)]
    pub(crate) fn matches(self, line: &[u8]) -> bool {
        let (lo, hi) = text::trim_range(line);
        match std::str::from_utf8(&line[lo..hi]) {
            Ok(line) => self.matches_str(line),
            Err(_) => false,
        }
    }

    /// [`ShapeKind::matches`] on a trimmed line already known to be UTF-8.
    /// Each shape rejects most lines on their length or first word.
    pub(crate) fn matches_str(self, line: &str) -> bool {
        if line.is_empty() || line.len() > 600 {
            return false;
        }
        let short = line.len() <= 200;
        match self {
            ShapeKind::ShareBar => short && is_share_bar(line),
            ShapeKind::Counter => short && is_counter(line),
            ShapeKind::LinkLine => short && is_link_line(line),
            ShapeKind::CreditLine => short && is_credit_line(line),
            ShapeKind::ButtonRow => short && is_button_row(line),
            ShapeKind::Caption => false,
            ShapeKind::RepeatedTitle => is_repeated_title(line),
            ShapeKind::AuthorBox => line.starts_with("About ") && is_author_box(line),
        }
    }
}

/// Words a share bar is made of (lowercase).
const NETWORKS: &[&str] = &[
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
];

/// Separators between share buttons.
fn is_separator(tok: &str) -> bool {
    tok.chars()
        .all(|c| matches!(c, '|' | '•' | '·' | '/' | '-' | '–' | '—' | ',' | '¦' | '+'))
}

/// A token without surrounding punctuation.
fn bare(tok: &str) -> &str {
    tok.trim_matches(|c: char| !c.is_alphanumeric() && c != '+' && c != '@')
}

/// True when `tok`, lowercased, is in `list` (lowercase words). Shapes run
/// on most lines, so ASCII tokens (nearly all) are compared without
/// allocating a lowercased copy.
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
        if in_list(b, NETWORKS) {
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
const COUNTER_WORDS: &[&str] = &[
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
];

fn is_number(tok: &str) -> bool {
    let t = tok.trim_matches(|c: char| matches!(c, '(' | ')' | ',' | '.' | ':'));
    !t.is_empty() && text::number_len(t.as_bytes()) == Some(t.len())
}

fn is_counter(line: &str) -> bool {
    // `6. Vote.` is an item of a numbered list, not a counter.
    if line.split_whitespace().next().is_some_and(|t| {
        t.ends_with(['.', ')']) && t[..t.len() - 1].bytes().all(|b| b.is_ascii_digit())
    }) {
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
        } else if in_list(bare(tok), COUNTER_WORDS) {
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
        let ok = c.is_uppercase()
            || c == '@'
            || c.is_ascii_digit()
            || matches!(
                w,
                "de" | "van" | "von" | "der" | "la" | "le" | "for" | "of" | "&"
            );
        if words > 5 || !ok {
            return false;
        }
    }
    true
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
        let images = p.len() >= 7 && p.as_bytes()[p.len() - 7..].eq_ignore_ascii_case(b" images");
        if !(p.contains('-') || images) {
            return false;
        }
        let lower = p.to_lowercase();
        return p.split_whitespace().count() <= 4 && is_credit_part(p) && is_agency(&lower);
    }
    let mut parts = line.split(['/', '|']);
    parts.clone().any(is_agency) && parts.all(is_credit_part)
}

/// Words a row of buttons is made of (lowercase, punctuation stripped).
const BUTTONS: &[&str] = &[
    "yes", "no", "si", "sí", "ja", "nein", "oui", "non", "sim", "não", "ok", "okay", "cancel",
    "close", "x", "✕", "×", "submit", "continue", "accept", "decline", "agree",
];

fn is_button_row(line: &str) -> bool {
    let mut n = 0;
    for tok in line.split_whitespace() {
        let b =
            tok.trim_matches(|c: char| matches!(c, '!' | '¡' | '?' | '¿' | '.' | '|' | '[' | ']'));
        if b.is_empty() {
            continue;
        }
        if !in_list(b, BUTTONS) {
            return false;
        }
        n += 1;
    }
    n >= 3
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
}
