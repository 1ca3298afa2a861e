//! The prefilter (lines the matcher provably leaves alone are not matched)
//! must not change the output: property tests against the cleaner with the
//! prefilter off, on text built from pieces of the patterns, whitespace
//! variants and random words, and through readers that hand out a few bytes
//! at a time.

use std::io::{self, Read};

use dejunk::{Cleaner, CleanerBuilder};
use proptest::prelude::*;

/// Extra rules of every kind the prefilter sorts: placeholders first and
/// last, non-ASCII literals, case-sensitive ones, short anchors, blocks,
/// a span rule that a built-in one (`social`) matches alike, and a span
/// sentence rule.
const EXTRA: &str = "\
[line]
{name} of {n}
Édition française
© Σ {text}
{word} shared
[span]
(via {handle})
[span case]
ÜBER {caps}
[block after=2]
{time} Watch
[line case]
{date} —
[span]
pic.twitter.com/{word}
[span sentence]
Tap twice to zoom
";

fn builders() -> Vec<(CleanerBuilder, CleanerBuilder)> {
    let mut plain = CleanerBuilder::new();
    let mut naive = CleanerBuilder::new();
    naive.prefilter(false);
    let mut extra = CleanerBuilder::new();
    extra.patterns_str("extra", EXTRA).enable("dateline");
    let mut extra_naive = extra.clone();
    extra_naive.prefilter(false);
    plain.max_line_len(1 << 20);
    vec![(plain, naive), (extra, extra_naive)]
}

fn cleaners() -> &'static [(Cleaner, Cleaner)] {
    static CLEANERS: std::sync::OnceLock<Vec<(Cleaner, Cleaner)>> = std::sync::OnceLock::new();
    CLEANERS.get_or_init(|| {
        builders()
            .into_iter()
            .map(|(a, b)| (a.build().unwrap(), b.build().unwrap()))
            .collect()
    })
}

const PIECES: &[&str] = &[
    "Advertisement",
    "ADVERTISEMENT",
    "Advertisement Continue reading the main story",
    "(Photo: ",
    "(Photos: ",
    "Photo",
    "Getty Images",
    "/Getty Images",
    "Jane Doe",
    "Kevin Winter",
    "/AP",
    "/Reuters",
    "— ",
    "—",
    "By ",
    "CNN",
    "BANG SHOWBIZ",
    " -- ",
    "1 of 5",
    "15",
    " of ",
    "02:19 - Source: CNN",
    "Story highlights",
    "A post shared by ",
    "(@dove.cam)",
    " (@janedoe) May 3, 2018",
    "— Jane Doe (@janedoe) May 3, 2018",
    "A post shared by Jane Doe (@dove.cam) on May 31, 2018",
    " on May 31, 2018 at 12:49pm PDT",
    "pic.twitter.com/Qg5L5",
    "[Image via ",
    "]",
    "RELATED: ",
    "Image zoom ",
    "Copyright © 2018 ",
    "© 2017 ",
    "Σ",
    "Édition française",
    "ÉDITION FRANÇAISE",
    "ÜBER ",
    "(via @x)",
    "Watch",
    "Next",
    " on Instagram",
    "9 p.m. ET",
    "shared",
    "Get push notifications with news, features and more.",
    "Sign up for our newsletter",
    "Are you excited?",
    "Comments are closed.",
    "Comments",
    "Reply",
    "the mayor said on Tuesday.",
    "It was a long day",
    "“Quote,” she said",
    "é",
    ".",
    ",",
    ")",
    "(",
    "\"",
];

const SPACES: &[&str] = &[
    " ", " ", " ", "", "  ", "\t", "\u{a0}", "\u{2009}", "\r", "\u{3000}", "\u{85}", "\x0c",
    "\x0b", "\u{1680}", "\u{2028}", "\u{205f}", "\u{2019}", "\r\n",
];

fn line() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => proptest::sample::select(PIECES).prop_map(str::to_string),
        1 => "[a-zA-Z]{1,9}",
        1 => "[0-9]{1,4}",
        // Long enough to reach the 200-byte limit of `{text}`.
        1 => "[a-z ]{190,210}",
        // Long enough to make the line one the prefilter checks for a
        // cover past a start rule's hit (more than 1,000 bytes).
        1 => "[a-z ]{1000,1100}",
    ];
    let space = proptest::sample::select(SPACES).prop_map(str::to_string);
    proptest::collection::vec((piece, space), 0..10).prop_map(|parts| {
        parts.into_iter().fold(String::new(), |mut s, (p, w)| {
            s.push_str(&p);
            s.push_str(&w);
            s
        })
    })
}

fn document() -> impl Strategy<Value = String> {
    let ending = prop_oneof![4 => Just("\n"), 1 => Just("\n\n"), 1 => Just("\r\n")];
    proptest::collection::vec((line(), ending), 0..24).prop_map(|lines| {
        lines.into_iter().fold(String::new(), |mut s, (l, e)| {
            s.push_str(&l);
            s.push_str(e);
            s
        })
    })
}

/// A reader that hands out at most `n` bytes per call.
struct Trickle<'a>(&'a [u8], usize);

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.0.len().min(self.1).min(buf.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn prefilter_does_not_change_output(doc in document(), chunk in 1usize..70) {
        for (fast, naive) in cleaners() {
            let want = naive.clean_str(&doc);
            prop_assert_eq!(&fast.clean_str(&doc), &want);
            let mut out = Vec::new();
            fast.clean_reader(Trickle(doc.as_bytes(), chunk), &mut out).unwrap();
            prop_assert_eq!(String::from_utf8(out).unwrap(), want);
            // The same removals, each by the same rule: the span hits that
            // the prefilter finds itself are the matcher's.
            prop_assert_eq!(removals(fast, &doc), removals(naive, &doc));
        }
    }
}

/// What `cleaner` reports removing from `doc`: rule, scope and range.
fn removals(cleaner: &Cleaner, doc: &str) -> Vec<String> {
    let mut got = Vec::new();
    cleaner.clean_str_with(doc, |r: &dejunk::Removal<'_>| {
        got.push(format!(
            "{} {:?} {:?} {:?}",
            r.origin, r.scope, r.range, r.text
        ));
    });
    got
}

/// Lines whose only junk is spans inside prose get their cuts from the
/// prefilter, which finds and verifies the span rules' hits itself: they
/// must be the matcher's cuts, reported by the same rules. Lines where a
/// span hit could start a cover (at the first letter) go to the matcher.
#[test]
fn prefilter_cuts_spans_as_the_matcher_does() {
    let lines = [
        // One credit, two credits, a handle and a link, inside prose.
        "The mayor spoke (Photo: Jane Doe/Getty Images) on Tuesday.",
        "It rained (Photo: Jane Doe/Getty Images) and (Photo: Kevin Winter/AP) then.",
        "Fans cheered (via @x) as pic.twitter.com/Qg5L5 went round.",
        // A span rule's anchor that does not verify, beside one that does.
        "Getty Images alone is no credit, but (Photo: Jane Doe/Getty Images) is.",
        // Span hits at the start: the matcher decides (a cover, or a cut).
        "(Photo: Jane Doe/Getty Images)",
        "(Photo: Jane Doe/Getty Images) The mayor spoke on Tuesday.",
        // A span hit after a line rule's hit that starts the line.
        "Advertisement (via @x)",
        // A span hit at the start, then a line rule's hit.
        "(via @x) Advertisement Continue reading the main story",
        // A span sentence rule after reader questions and a line rule's
        // hit (with the extra rules): a cover that the question starts.
        "Why did the mayor quit? Jane shared. Tap twice to zoom",
        "The mayor quit on Tuesday. Tap twice to zoom",
        // Two span rules with the same hit (with the extra rules): the
        // same one makes the cut in both ways.
        "Fans cheered as pic.twitter.com/Qg5L5 went round.",
        "Fans cheered (via @x) pic.twitter.com/Qg5L5 (via @y) went round.",
        // Two anchors of the tweet signatures, the first too far (more than
        // 200 bytes) from the handle to match: each is matched on its own.
        "The mayor — who had spoken first at the meeting on the harbour, the \
         schools and the new bridge over the river that the council has argued \
         about since the spring of last year, with no end in sight and no money \
         for it either — quit. Jane Doe (@janedoe) May 3, 2018",
        // The tweet signatures need ` (@` after the dash: a bracket alone,
        // a handle only before the dash, and a signature right after it.
        "The mayor — who (reluctantly) quit — said so on May 3, 2018.",
        "Jane Doe (@janedoe) said — and meant it — May 3, 2018.",
        "Great game — Jane Doe (@janedoe) May 3, 2018",
        "Great game — (@janedoe) May 3, 2018",
        // The same for Instagram's signature.
        "We saw it. A post shared by Jane Doe (@dove.cam) on May 31, 2018 at 12:49pm PDT",
        "A post shared by the team on May 31, 2018 went round.",
    ];
    for (fast, naive) in cleaners() {
        for line in lines {
            for doc in [format!("{line}\n"), format!("Intro.\n\n{line}\n\nEnd.\n")] {
                let want = naive.clean_str(&doc);
                assert_eq!(fast.clean_str(&doc), want, "{line:?}");
                assert_eq!(removals(fast, &doc), removals(naive, &doc), "{line:?}");
            }
        }
    }
    // The prose lines above do lose their spans (the test means something).
    let (fast, _) = &cleaners()[0];
    let out = fast.clean_str(lines[0]);
    assert!(
        !out.contains("Getty") && out.contains("on Tuesday."),
        "{out:?}"
    );
    let tweet = lines[lines.len() - 7];
    let out = fast.clean_str(tweet);
    assert!(
        out.contains("The mayor — who") && !out.contains("@janedoe"),
        "{out:?}"
    );
    for (line, gone) in [
        (lines[lines.len() - 4], "@janedoe"),
        (lines[lines.len() - 2], "@dove.cam"),
    ] {
        let out = fast.clean_str(line);
        assert!(!out.contains(gone), "{line:?} -> {out:?}");
    }
}

#[test]
fn prefilter_agrees_on_the_samples() {
    for name in ["nyt-putin-trump-call.txt", "cnn-putin-trump-call.txt"] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name);
        let text = std::fs::read_to_string(path).unwrap();
        for (fast, naive) in cleaners() {
            assert_eq!(fast.clean_str(&text), naive.clean_str(&text), "{name}");
        }
    }
}

/// A hit of a line rule that starts after the line's first letter changes
/// the line only in a cover that another hit starts. The prefilter passes
/// over such a hit alone, and must still send every line with a cover to
/// the matcher: one started by a start rule, by a rule found through its
/// token, or by a sentence rule after reader questions.
#[test]
fn prefilter_keeps_covers_that_start_before_a_later_hit() {
    let dropped = [
        // A sentence rule's hit covers the line after the questions.
        "Are you excited? Comments are closed.",
        "Which team will you root for? Please adhere to our commenting policy.",
        // A start rule's hit, then a credit (`{name}/Getty Images`).
        "Photo Jane Doe/Getty Images",
        // Two credits, each found through its token.
        "Kevin Winter/Getty Images Jane Doe/AFP",
        // Hits that start after punctuation, before the first letter.
        "(Jane Doe on Instagram)",
        "\"Kevin Winter (@kwinter)\"",
        // A start rule of literal text alone, then hits that start after
        // the first letter but before the next one its hit leaves: a span
        // rule's, and a line rule's found through its token.
        "Photo pic.twitter.com/Qg5L5",
        "advertisement: Jane Doe on Instagram",
    ];
    let kept = [
        // A credit inside prose covers nothing.
        "The picture by Jane Doe/Getty Images ran on the front page.",
        "It was a long day for Kevin Winter (@kwinter) and his team.",
        // A start rule of literal text alone, then prose that no hit covers.
        "Next came accusations of Pitt cheating on her.",
        "EXCLUSIVE: Jennifer Aniston, 53, looks younger than ever.",
        // A start rule of literal text alone inside the line's first word:
        // no hit (a hit starts and ends at token edges).
        "Additionally, the mayor spoke on Tuesday.",
        "Images of the storm spread on Tuesday.",
    ];
    for (fast, naive) in cleaners() {
        for line in dropped {
            let doc = format!("First paragraph.\n\n{line}\n\nLast paragraph.\n");
            let want = naive.clean_str(&doc);
            assert!(!want.contains(line), "the rules drop {line:?}: {want:?}");
            assert_eq!(fast.clean_str(&doc), want, "{line:?}");
        }
        for line in kept {
            let doc = format!("{line}\n");
            assert_eq!(naive.clean_str(&doc), doc, "the rules keep {line:?}");
            assert_eq!(fast.clean_str(&doc), doc, "{line:?}");
        }
    }
}

/// A line of more than 1,000 bytes that a start rule begins (`Next`)
/// skips the matcher only when no cover can go on past that rule's hit:
/// each covered line here fails one of the checks when it is left out (a
/// start rule at every offset up to the bound, a line rule found through
/// its token, a span rule's hit).
#[test]
fn prefilter_keeps_covers_of_long_lines() {
    let filler = ["word"; 260].join(" ");
    // The line, and whether the plain and the extra rules drop it.
    let cases = [
        // A start rule right after the first hit (`Image caption {rest}`).
        (format!("Next Image caption {filler}"), true, true),
        // A span rule's hit, then a start rule.
        (
            format!("Next pic.twitter.com/Qg5L5 Image caption {filler}"),
            true,
            true,
        ),
        // A line rule found through its token (`{word} shared`, extra
        // rules only), then a start rule.
        (
            format!("Next Jane shared Copyright 2018 {filler}"),
            false,
            true,
        ),
        // Prose after the first hit: no cover.
        (format!("Next came the storm, {filler}"), false, false),
    ];
    for ((fast, naive), extra) in cleaners().iter().zip([false, true]) {
        for (line, plain, with_extra) in &cases {
            let doc = format!("First paragraph.\n\n{line}\n\nLast paragraph.\n");
            let want = naive.clean_str(&doc);
            let dropped = if extra { *with_extra } else { *plain };
            assert_eq!(!want.contains(line.as_str()), dropped, "{line:.40}");
            assert_eq!(fast.clean_str(&doc), want, "{line:.40}");
        }
    }
}
