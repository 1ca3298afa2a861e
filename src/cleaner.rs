//! `CleanerBuilder` -> `Cleaner`: configuration in, an immutable, reusable,
//! `Send + Sync` cleaner out.

use std::cell::Cell;
use std::io::{Read, Write};
use std::mem::take;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use encoding_rs::Encoding;

use crate::decode::DecodeReader;
use crate::detect::{Buffers, Detector};
use crate::edit::Editor;
use crate::error::{BuildError, CleanError};
use crate::lines::{self, LineReader, ReadError};
use crate::matcher::Matcher;
use crate::patterns::{self, PatternFile};
use crate::report::{NoObserver, Observer, Summary};

/// What to do with input that holds NUL bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Binary {
    /// Treat NUL bytes as text: they pass through like any other byte.
    #[default]
    Text,
    /// Stop at the first chunk that holds a NUL byte and return
    /// [`CleanError::Binary`]. Output written before that point stays
    /// written, so callers that must not leave partial output (the CLI's
    /// `--in-place`) write to a temporary first.
    Quit,
}

/// The default limit on line length: 1 MiB.
pub const DEFAULT_MAX_LINE: usize = 1 << 20;

thread_local! {
    /// The working buffers of this thread's last `clean_str` or
    /// `clean_reader`, for the next: cleaning an article or a small file
    /// must not start by allocating (and zeroing) them. A nested call (from
    /// an observer) finds none and makes its own. Boxed: the set is about
    /// 700 bytes, and taking it out and putting it back moved it whole,
    /// five copies a call (about 550 instructions, 0.4% of an article).
    static BUFFERS: Cell<Option<Box<ThreadBuffers>>> = const { Cell::new(None) };
}

/// Buffers holding more than this many bytes (after an unusually long
/// line) are dropped rather than kept for the next call.
const KEEP_BUFFERS: usize = 512 << 10;

/// See `BUFFERS`. Capacity only: nothing of one input reaches the next but
/// the matcher's memo of the hits of lines it has seen, which gives a line
/// the hits it would get anyway (`matcher::LineMemo`).
#[derive(Default)]
struct ThreadBuffers {
    detect: Buffers,
    /// The line reader's buffer, the decoder's and the editor's chunk.
    lines: Vec<u8>,
    decode: Vec<u8>,
    out: Vec<u8>,
}

impl ThreadBuffers {
    fn take() -> Box<ThreadBuffers> {
        BUFFERS.take().unwrap_or_default()
    }

    /// Keeps the buffers for this thread's next call, unless they grew
    /// large.
    fn keep(mut self: Box<Self>) {
        let size = self.detect.capacity()
            + self.lines.capacity()
            + self.decode.capacity()
            + self.out.capacity();
        if size <= KEEP_BUFFERS {
            self.detect.reset();
            BUFFERS.set(Some(self));
        }
    }
}

/// A category of patterns, as the cleaner knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Category {
    /// The name, e.g. `media`.
    pub name: String,
    /// One line saying what it removes.
    pub description: String,
    /// Whether this cleaner uses it.
    pub enabled: bool,
    /// Whether it is on when nothing is said about it.
    pub default_on: bool,
    /// Number of rules in it.
    pub rules: usize,
    /// Where it was defined (the first file that named it).
    pub origin: String,
}

#[derive(Clone, Debug)]
enum Source {
    File(PathBuf),
    Text { name: String, text: String },
}

/// Builds a [`Cleaner`].
///
/// ```
/// let cleaner = dejunk::CleanerBuilder::new()
///     .disable("social")
///     .patterns_str("mysite", "[line]\nBrought to you by {name}\n")
///     .build()
///     .unwrap();
/// assert_eq!(cleaner.clean_str("Brought to you by Acme\n\nText.\n"), "Text.\n");
/// ```
#[derive(Clone, Debug)]
pub struct CleanerBuilder {
    builtin: bool,
    sources: Vec<Source>,
    enable: Vec<String>,
    disable: Vec<String>,
    max_line: usize,
    binary: Binary,
    encoding: Option<&'static Encoding>,
    prefilter: bool,
}

impl Default for CleanerBuilder {
    fn default() -> Self {
        CleanerBuilder::new()
    }
}

impl CleanerBuilder {
    /// A builder with the default configuration.
    pub fn new() -> CleanerBuilder {
        CleanerBuilder {
            builtin: true,
            sources: Vec::new(),
            enable: Vec::new(),
            disable: Vec::new(),
            max_line: DEFAULT_MAX_LINE,
            binary: Binary::Text,
            encoding: None,
            prefilter: true,
        }
    }

    /// Whether to use the built-in patterns.
    ///
    /// By default, they are used. Turn them off to clean with your own
    /// pattern files only.
    pub fn builtin(&mut self, yes: bool) -> &mut CleanerBuilder {
        self.builtin = yes;
        self
    }

    /// Adds a pattern file, read when [`build`](CleanerBuilder::build) runs.
    ///
    /// By default, only the built-in patterns are used. The file's category
    /// is its `@category` directive, or its file stem. A file may add rules
    /// to a built-in category.
    pub fn patterns_file<P: AsRef<Path>>(&mut self, path: P) -> &mut CleanerBuilder {
        self.sources.push(Source::File(path.as_ref().to_path_buf()));
        self
    }

    /// Adds pattern text; `name` stands for its file name in errors and is
    /// its default category.
    pub fn patterns_str(&mut self, name: &str, text: &str) -> &mut CleanerBuilder {
        self.sources.push(Source::Text {
            name: name.to_string(),
            text: text.to_string(),
        });
        self
    }

    /// Turns a category on (some, like `dateline`, are off by default).
    ///
    /// By default, every category whose file says `@default on` (or nothing)
    /// is on. Naming an unknown category is an error at build time.
    pub fn enable(&mut self, category: &str) -> &mut CleanerBuilder {
        self.enable.push(category.to_string());
        self.disable.retain(|c| c != category);
        self
    }

    /// Turns a category off.
    pub fn disable(&mut self, category: &str) -> &mut CleanerBuilder {
        self.disable.push(category.to_string());
        self.enable.retain(|c| c != category);
        self
    }

    /// The longest line, in bytes, that is matched against the patterns.
    ///
    /// By default, 1 MiB. A longer line is not junk that any pattern
    /// describes: it is copied to the output unchanged, streamed in pieces,
    /// so memory stays bounded by this limit whatever the input.
    pub fn max_line_len(&mut self, bytes: usize) -> &mut CleanerBuilder {
        self.max_line = bytes.max(1);
        self
    }

    /// What to do with NUL bytes in readers.
    ///
    /// By default, [`Binary::Text`]: they pass through.
    pub fn binary(&mut self, policy: Binary) -> &mut CleanerBuilder {
        self.binary = policy;
        self
    }

    /// Decodes readers from this encoding instead of detecting it (a BOM
    /// still wins).
    ///
    /// By default (`None`), a BOM decides; else input whose first 64 KiB
    /// ([`SNIFF_LEN`](crate::SNIFF_LEN)) are valid UTF-8 is UTF-8, and other
    /// input is decoded from the legacy encoding `chardetng` guesses from
    /// those bytes. Invalid sequences become U+FFFD and are counted in
    /// [`Summary::decoding`].
    pub fn encoding(&mut self, encoding: Option<&'static Encoding>) -> &mut CleanerBuilder {
        self.encoding = encoding;
        self
    }

    /// Whether to skip the matcher on lines that it provably leaves alone.
    ///
    /// By default, yes. The output is the same either way; turning it off
    /// only makes cleaning slower. For tests that check exactly that.
    #[doc(hidden)]
    pub fn prefilter(&mut self, yes: bool) -> &mut CleanerBuilder {
        self.prefilter = yes;
        self
    }

    /// Reads and compiles the patterns.
    pub fn build(&self) -> Result<Cleaner, BuildError> {
        let mut files: Vec<PatternFile> = Vec::new();
        if self.builtin {
            files.extend(patterns::builtin()?);
        }
        for src in &self.sources {
            files.push(match src {
                Source::File(path) => {
                    let text = std::fs::read_to_string(path).map_err(|err| BuildError::Io {
                        path: path.clone(),
                        err,
                    })?;
                    let stem = path
                        .file_stem()
                        .map(|s| s.to_string_lossy().to_lowercase())
                        .unwrap_or_default();
                    patterns::parse(&path.display().to_string(), &stem, &text)?
                }
                Source::Text { name, text } => {
                    let stem = Path::new(name)
                        .file_stem()
                        .map(|s| s.to_string_lossy().to_lowercase())
                        .unwrap_or_default();
                    patterns::parse(name, &stem, text)?
                }
            });
        }
        // Categories in order of first appearance.
        let mut categories: Vec<Category> = Vec::new();
        for f in &files {
            match categories.iter_mut().find(|c| c.name == f.category) {
                Some(c) => {
                    c.rules += f.rules.len();
                    if c.description.is_empty() {
                        c.description = f.description.clone();
                    }
                }
                None => categories.push(Category {
                    name: f.category.clone(),
                    description: f.description.clone(),
                    enabled: f.default_on,
                    default_on: f.default_on,
                    rules: f.rules.len(),
                    origin: f.origin.clone(),
                }),
            }
        }
        for (names, on) in [(&self.enable, true), (&self.disable, false)] {
            for name in names {
                let c = categories
                    .iter_mut()
                    .find(|c| &c.name == name)
                    .ok_or_else(|| BuildError::UnknownCategory(name.clone()))?;
                c.enabled = on;
            }
        }
        let mut defs = Vec::new();
        for f in files {
            let idx = categories
                .iter()
                .position(|c| c.name == f.category)
                .expect("every file's category is listed");
            if categories[idx].enabled {
                for r in f.rules {
                    defs.push((idx, f.origin.clone(), r));
                }
            }
        }
        let mut matcher = Matcher::new(defs);
        if !self.prefilter {
            matcher.prefilter.disable();
        }
        let hold = matcher
            .rules
            .iter()
            .map(|r| r.reach.before as usize)
            .max()
            .unwrap_or(0);
        let names = categories.iter().map(|c| c.name.clone()).collect();
        Ok(Cleaner {
            inner: Arc::new(Inner {
                matcher,
                categories,
                names,
                hold,
                max_line: self.max_line,
                binary: self.binary,
                encoding: self.encoding,
            }),
        })
    }
}

#[derive(Debug)]
struct Inner {
    matcher: Matcher,
    categories: Vec<Category>,
    names: Vec<String>,
    hold: usize,
    max_line: usize,
    binary: Binary,
    encoding: Option<&'static Encoding>,
}

/// Removes junk from text. Build one with [`CleanerBuilder`] (or
/// [`Cleaner::new`] for the defaults) and reuse it: it is immutable, cheap to
/// clone (an `Arc` inside) and can be shared across threads.
///
/// Each thread that cleans keeps its working buffers from one call to the
/// next (for any cleaner), so that cleaning many small documents does not
/// allocate them each time: a few KiB after `clean_str` on an article,
/// about 170 KiB after `clean_reader` on a small file, never more than 512
/// KiB (larger ones, after a large block or a long line, are freed).
///
/// ```
/// let cleaner = dejunk::Cleaner::new();
/// let text = "Photo\n\nThe mayor spoke on Monday.\n\nAdvertisement\n\nShe left.";
/// assert_eq!(cleaner.clean_str(text), "The mayor spoke on Monday.\n\nShe left.\n");
/// ```
#[derive(Clone, Debug)]
pub struct Cleaner {
    inner: Arc<Inner>,
}

impl Default for Cleaner {
    fn default() -> Self {
        Cleaner::new()
    }
}

impl Cleaner {
    /// A cleaner with the built-in patterns and default settings.
    pub fn new() -> Cleaner {
        // The built-in patterns are compiled and checked by the test suite;
        // failing here would be a bug in this crate, not in any input.
        CleanerBuilder::new()
            .build()
            .expect("the built-in patterns compile")
    }

    /// The categories this cleaner knows, in order, with whether each is on.
    pub fn categories(&self) -> &[Category] {
        &self.inner.categories
    }

    /// Cleans a string.
    ///
    /// The text is already decoded, so a leading U+FEFF is a character of
    /// it and stays; [`clean_reader`](Cleaner::clean_reader), which reads
    /// bytes, takes it for a byte order mark and removes it. Otherwise the
    /// two give the same output for the same text.
    pub fn clean_str(&self, text: &str) -> String {
        self.clean_str_with(text, NoObserver)
    }

    /// Cleans a string, reporting each removal to `observer`.
    pub fn clean_str_with<O: Observer>(&self, text: &str, observer: O) -> String {
        let inner = &*self.inner;
        let editor = Editor::gathering(text);
        let mut bufs = ThreadBuffers::take();
        let mut det = Detector::with_buffers(
            &inner.matcher,
            &inner.names,
            inner.hold,
            editor,
            observer,
            take(&mut bufs.detect),
        );
        det.whole_input(text.as_bytes());
        let mut res = Ok(());
        lines::for_each_in_slice(text.as_bytes(), inner.max_line, |ev| {
            res = det.event(ev);
            res.is_ok()
        });
        // Gathering into a string cannot fail.
        let _ = res.and_then(|_| det.finish());
        let (editor, detect) = det.into_parts();
        bufs.detect = detect;
        bufs.keep();
        editor.into_string()
    }

    /// Cleans everything `rdr` yields (any encoding, see
    /// [`CleanerBuilder::encoding`]) into `wtr`, streaming: memory stays
    /// bounded by the line limit whatever the input size.
    ///
    /// `wtr` gets many small writes: wrap files and stdout in a
    /// [`std::io::BufWriter`].
    pub fn clean_reader<R: Read, W: Write>(&self, rdr: R, wtr: W) -> Result<Summary, CleanError> {
        self.clean_reader_with(rdr, wtr, NoObserver)
    }

    /// [`clean_reader`](Cleaner::clean_reader), reporting each removal to
    /// `observer`.
    pub fn clean_reader_with<R: Read, W: Write, O: Observer>(
        &self,
        rdr: R,
        wtr: W,
        observer: O,
    ) -> Result<Summary, CleanError> {
        let inner = &*self.inner;
        // On an error the buffers are dropped, and the next call allocates.
        let mut bufs = ThreadBuffers::take();
        let mut decoded = DecodeReader::with_buffer(rdr, inner.encoding, take(&mut bufs.decode));
        let mut lines = LineReader::with_buffer(
            &mut decoded,
            inner.max_line,
            inner.binary == Binary::Quit,
            take(&mut bufs.lines),
        );
        let mut det = Detector::with_buffers(
            &inner.matcher,
            &inner.names,
            inner.hold,
            Editor::with_chunk(wtr, take(&mut bufs.out)),
            observer,
            take(&mut bufs.detect),
        );
        loop {
            let ev = match lines.next() {
                Ok(Some(ev)) => ev,
                Ok(None) => break,
                Err(ReadError::Io(e)) => {
                    // What was read before the error is cleaned and written.
                    det.finish().map_err(CleanError::Write)?;
                    return Err(CleanError::Read(e));
                }
                Err(ReadError::Nul(offset)) => {
                    det.finish().map_err(CleanError::Write)?;
                    return Err(CleanError::Binary { offset });
                }
            };
            det.event(ev).map_err(CleanError::Write)?;
        }
        det.finish().map_err(CleanError::Write)?;
        let bytes_in = lines.bytes_read();
        bufs.lines = lines.into_buffer();
        let summary = Summary {
            lines_in: det.lines_in(),
            lines_out: det.editor().lines_out,
            bytes_in,
            bytes_out: det.editor().bytes_out,
            overlong_lines: det.overlong,
            decoding: Some(decoded.decoding()),
        };
        bufs.decode = decoded.into_buffer();
        let (editor, detect) = det.into_parts();
        bufs.out = editor.into_chunk();
        bufs.detect = detect;
        bufs.keep();
        Ok(summary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleaner_is_send_sync_and_cheap_to_clone() {
        fn check<T: Send + Sync + Clone>() {}
        check::<Cleaner>();
    }

    /// As `clean_str`'s documentation says: a string keeps a leading
    /// U+FEFF, the reader removes it as a byte order mark, and the rest is
    /// the same.
    #[test]
    fn a_leading_feff_is_a_bom_only_to_the_reader() {
        let c = Cleaner::new();
        let doc = "\u{feff}The council met on Tuesday.\n\nAdvertisement\n";
        let mut read = Vec::new();
        c.clean_reader(doc.as_bytes(), &mut read).unwrap();
        assert_eq!(
            String::from_utf8(read).unwrap(),
            "The council met on Tuesday.\n"
        );
        let s = c.clean_str(doc);
        assert_eq!(s, "\u{feff}The council met on Tuesday.\n");
    }

    /// Lines read while more input is still to come see `ahead` end in the
    /// middle of a line: the prefilter's block must stop at the last line
    /// end then, and may take in an unfinished last line only once the
    /// input has ended. Fed straight to the line reader in chunks of every
    /// size (the decoder in front of it reads a small text whole), a credit
    /// inside a line (a span found by the block search) is cut wherever the
    /// chunks end, as in `clean_str`, and so is a last line without a line
    /// end.
    #[test]
    fn a_block_takes_in_an_unfinished_line_only_at_the_end_of_the_input() {
        use crate::lines::LineReader;
        use crate::testutil::Trickle;
        let c = Cleaner::new();
        let inner = &*c.inner;
        let doc = "The council met on Tuesday.\n\
            The bridge (Photo: Jane Doe/Getty Images) will reopen in May.\n\
            Repairs took a year and cost more than planned.\n\
            The mayor said the bridge will reopen. (AP Photo/Jane Doe)";
        let want = c.clean_str(doc);
        assert_eq!(want.matches("Photo").count(), 0, "{want}");
        for chunk in 1..=doc.len() {
            let mut lines = LineReader::new(Trickle(doc.as_bytes(), chunk), inner.max_line, false);
            let mut out = Vec::new();
            let mut det = Detector::new(
                &inner.matcher,
                &inner.names,
                inner.hold,
                &mut out,
                NoObserver,
            );
            while let Some(ev) = lines.next().unwrap() {
                det.event(ev).unwrap();
            }
            det.finish().unwrap();
            drop(det);
            assert_eq!(String::from_utf8(out).unwrap(), want, "chunks of {chunk}");
        }
    }

    /// The summary counts every line read: blank, kept, removed and
    /// overlong (passed through in pieces), with or without a final line
    /// end.
    #[test]
    fn summary_counts_lines_in_and_out() {
        let mut b = CleanerBuilder::new();
        b.max_line_len(64);
        let c = b.build().unwrap();
        let long = "word ".repeat(40);
        let text = format!("Kept line.\n\nAdvertisement\n\n{long}\nLast line");
        let mut out = Vec::new();
        let s = c.clean_reader(text.as_bytes(), &mut out).unwrap();
        assert_eq!(s.lines_in, 6, "{s:?}");
        assert_eq!(s.overlong_lines, 1, "{s:?}");
        let written = String::from_utf8(out).unwrap();
        assert!(!written.contains("Advertisement"), "{written:?}");
        assert_eq!(s.lines_out, written.lines().count() as u64, "{written:?}");
    }

    #[test]
    fn unknown_category_is_an_error() {
        let e = CleanerBuilder::new().disable("nope").build().unwrap_err();
        assert!(e.to_string().contains("unknown category 'nope'"), "{e}");
    }

    #[test]
    fn bad_pattern_file_names_path_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("mine.txt");
        std::fs::write(&p, "[line]\nok entry\n{oops}\n").unwrap();
        let e = CleanerBuilder::new().patterns_file(&p).build().unwrap_err();
        assert!(
            e.to_string().starts_with(&format!("{}:3: ", p.display())),
            "{e}"
        );
        let e = CleanerBuilder::new()
            .patterns_file(dir.path().join("missing.txt"))
            .build()
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("missing.txt: cannot read pattern file"),
            "{e}"
        );
    }
}
