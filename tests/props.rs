//! Properties that hold for any input: chunking does not matter, cleaning is
//! idempotent, nothing is invented or reordered, clean text only has its
//! whitespace tidied, and no byte sequence panics.

use std::io::{self, Read};

use dejunk::Cleaner;
use proptest::prelude::*;

/// A reader that hands out the input in the given chunk sizes (cycled).
struct Chunked<'a> {
    data: &'a [u8],
    sizes: Vec<usize>,
    i: usize,
}

impl Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = self.sizes[self.i % self.sizes.len()].max(1);
        self.i += 1;
        let n = want.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fn clean_chunked(c: &Cleaner, data: &[u8], sizes: Vec<usize>) -> Vec<u8> {
    let mut out = Vec::new();
    c.clean_reader(Chunked { data, sizes, i: 0 }, &mut out)
        .unwrap();
    out
}

/// Lines built from junk phrases, look-alike prose, card parts and blanks, so
/// that every rule kind fires somewhere.
fn line() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("  ".to_string()),
        Just("Advertisement".to_string()),
        Just("ADVERTISEMENT Continue reading the main story".to_string()),
        Just("Photo".to_string()),
        Just("Story highlights".to_string()),
        Just("02:19 - Source: CNN".to_string()),
        Just("CNN\u{a0} —\u{a0}".to_string()),
        Just("Get push notifications with news, features and more.".to_string()),
        Just("Image zoom Jane Doe/Getty Images".to_string()),
        Just("A post shared by Jane (@jane) on May 31, 2018 at 12:49pm PDT".to_string()),
        Just("The council voted on Tuesday to close the old river bridge for repairs.".to_string()),
        Just("Will the bridge reopen before winter?".to_string()),
        Just("Russia factor".to_string()),
        Just("The photo was taken by a resident who saw the advertisement.".to_string()),
        "[a-zA-Z ,.!?'’“”—\u{a0}-]{0,60}",
        "(word |Word |\t|  |\u{a0}){1,12}",
    ]
}

fn document() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(line(), 0..30),
        prop::bool::ANY,
        prop::bool::ANY,
    )
        .prop_map(|(lines, crlf, final_nl)| {
            let sep = if crlf { "\r\n" } else { "\n" };
            let mut s = lines.join(sep);
            if final_nl {
                s.push_str(sep);
            }
            s
        })
}

fn words(s: &str) -> Vec<&str> {
    s.split_whitespace().collect()
}

/// True when `sub` is a subsequence of `all`.
fn is_subsequence(sub: &[&str], all: &[&str]) -> bool {
    let mut it = all.iter();
    sub.iter().all(|w| it.any(|a| a == w))
}

/// What clean text becomes: trailing whitespace gone, CRLF as LF, runs of
/// blank lines as one, no blank lines at either end, a final newline.
fn tidy(s: &str) -> String {
    let mut out = String::new();
    let mut blank = false;
    for line in s.split('\n') {
        let line = line.trim_end();
        if line.is_empty() {
            blank = true;
            continue;
        }
        if blank && !out.is_empty() {
            out.push('\n');
        }
        blank = false;
        out.push_str(line);
        out.push('\n');
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_chunking_gives_identical_output(doc in document(), sizes in prop::collection::vec(1usize..40, 1..8)) {
        let c = Cleaner::new();
        let whole = c.clean_str(&doc);
        prop_assert_eq!(&String::from_utf8(clean_chunked(&c, doc.as_bytes(), vec![1])).unwrap(), &whole);
        prop_assert_eq!(&String::from_utf8(clean_chunked(&c, doc.as_bytes(), sizes)).unwrap(), &whole);
    }

    #[test]
    fn cleaning_is_idempotent(doc in document()) {
        let c = Cleaner::new();
        let once = c.clean_str(&doc);
        prop_assert_eq!(c.clean_str(&once), once);
    }

    #[test]
    fn output_words_are_a_subsequence_of_input_words(doc in document()) {
        let c = Cleaner::new();
        let out = c.clean_str(&doc);
        prop_assert!(is_subsequence(&words(&out), &words(&doc)), "in: {doc:?}\nout: {out:?}");
    }

    #[test]
    fn text_without_junk_only_has_whitespace_tidied(
        lines in prop::collection::vec(
            prop_oneof![
                Just(String::new()),
                "(the|council|voted|to|shut|old|river|bridge|after|years|of|debate|residents|said|they|were|relieved|mayor|spoke|water|plan|city|budget|would|rise|and|fall)( (the|council|voted|to|shut|old|river|bridge|after|years|of|debate|residents|said|they|were|relieved|mayor|spoke|water|plan|city|budget|would|rise|and|fall)){0,20}[.!?]?[ \t]{0,2}",
            ],
            0..20,
        )
    ) {
        let doc = lines.join("\n");
        prop_assert_eq!(Cleaner::new().clean_str(&doc), tidy(&doc));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2000), sizes in prop::collection::vec(1usize..64, 1..4)) {
        let c = Cleaner::new();
        let out = clean_chunked(&c, &bytes, sizes);
        // Output is always UTF-8.
        prop_assert!(std::str::from_utf8(&out).is_ok());
        let lossy = String::from_utf8_lossy(&bytes);
        let _ = c.clean_str(&lossy);
    }

    /// `clean_str` reuses its buffers on a thread, from any cleaner: what
    /// was cleaned before must not change the output.
    #[test]
    fn clean_str_forgets_the_previous_input(
        before in prop::collection::vec(document(), 1..4),
        doc in document(),
        max_line in 1usize..80,
    ) {
        let c = Cleaner::new();
        let small = dejunk::CleanerBuilder::new().max_line_len(max_line).build().unwrap();
        let fresh = std::thread::scope(|s| s.spawn(|| c.clean_str(&doc)).join().unwrap());
        for (i, b) in before.iter().enumerate() {
            if i % 2 == 0 { c.clean_str(b) } else { small.clean_str(b) };
        }
        prop_assert_eq!(c.clean_str(&doc), fresh);
    }

    /// `clean_reader` reuses its buffers on a thread (the line reader's, the
    /// decoder's, the detector's): what was read before, in whatever
    /// encoding, with overlong lines, or cut short by an error, must not
    /// change the output.
    #[test]
    fn clean_reader_forgets_the_previous_input(
        before in prop::collection::vec(
            prop_oneof![
                document().prop_map(String::into_bytes),
                prop::collection::vec(any::<u8>(), 0..400),
                // windows-1252, decoded through the legacy path.
                prop::collection::vec(prop_oneof![Just(0xe9u8), Just(b'a'), Just(b' '), Just(b'\n')], 0..400),
            ],
            1..4,
        ),
        doc in prop_oneof![
            document().prop_map(String::into_bytes),
            prop::collection::vec(prop_oneof![Just(0xe9u8), Just(b'a'), Just(b' '), Just(b'\n')], 0..400),
        ],
        max_line in 1usize..80,
        sizes in prop::collection::vec(1usize..64, 1..4),
    ) {
        let c = Cleaner::new();
        let small = dejunk::CleanerBuilder::new()
            .max_line_len(max_line)
            .binary(dejunk::Binary::Quit)
            .build()
            .unwrap();
        let fresh = std::thread::scope(|s| {
            s.spawn(|| clean_chunked(&c, &doc, sizes.clone())).join().unwrap()
        });
        for (i, b) in before.iter().enumerate() {
            if i % 2 == 0 {
                let _ = c.clean_reader(&b[..], &mut Vec::new());
            } else {
                // May stop at a NUL byte, with an error.
                let _ = small.clean_reader(&b[..], &mut Vec::new());
                let _ = small.clean_str(&String::from_utf8_lossy(b));
            }
        }
        prop_assert_eq!(clean_chunked(&c, &doc, sizes), fresh);
    }

    /// `clean_str` builds its `String` from the pieces it keeps, without
    /// validating the whole output: it must equal the byte path, whose
    /// output is checked as UTF-8 here, for any valid input, overlong lines
    /// (copied whole by `clean_str`, in pieces cut anywhere by the reader)
    /// included.
    #[test]
    fn clean_str_equals_the_byte_path(
        bytes in prop::collection::vec(prop_oneof![any::<u8>(), Just(b'\n'), Just(b' ')], 0..600),
        doc in document(),
        max_line in 1usize..80,
        sizes in prop::collection::vec(1usize..16, 1..4),
    ) {
        let lossy = String::from_utf8_lossy(&bytes).into_owned();
        for c in [Cleaner::new(), dejunk::CleanerBuilder::new().max_line_len(max_line).build().unwrap()] {
            for text in [&lossy, &doc] {
                let bytes_out = String::from_utf8(clean_chunked(&c, text.as_bytes(), sizes.clone()));
                prop_assert_eq!(bytes_out, Ok(c.clean_str(text)));
            }
        }
    }
}

#[test]
fn a_100_mb_line_streams_through_in_bounded_memory() {
    // The line goes through unchanged (policy: overlong lines are copied, not
    // matched); the cleaner never holds more than the line limit.
    struct Gen {
        left: usize,
    }
    impl Read for Gen {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.left);
            for (i, b) in buf[..n].iter_mut().enumerate() {
                *b = if (self.left - i).is_multiple_of(7) {
                    b' '
                } else {
                    b'a'
                };
            }
            self.left -= n;
            Ok(n)
        }
    }
    struct Count {
        bytes: u64,
        newlines: u64,
    }
    impl io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.bytes += buf.len() as u64;
            self.newlines += buf.iter().filter(|&&b| b == b'\n').count() as u64;
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let size = 100 << 20;
    let mut sink = Count {
        bytes: 0,
        newlines: 0,
    };
    let summary = Cleaner::new()
        .clean_reader(Gen { left: size }, &mut sink)
        .unwrap();
    assert_eq!(sink.bytes, size as u64 + 1);
    assert_eq!(sink.newlines, 1);
    assert_eq!(summary.overlong_lines, 1);
    assert_eq!(summary.bytes_in, size as u64);
}

#[test]
fn overlong_line_policy_is_the_same_in_both_paths() {
    let c = dejunk::CleanerBuilder::new()
        .max_line_len(16)
        .build()
        .unwrap();
    let doc = "Advertisement\nAdvertisement       and much more text\nPhoto\r\n";
    let want = "Advertisement       and much more text\n";
    assert_eq!(c.clean_str(doc), want);
    assert_eq!(
        String::from_utf8(clean_chunked(&c, doc.as_bytes(), vec![3])).unwrap(),
        want
    );
}
