//! What a worker does with one job: clean a file (or stdin) into stdout, a
//! file under -o, or the file itself; or clean a batch of JSON lines.

use std::borrow::Cow;
use std::fs::{File, Metadata};
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use memchr::memchr;

use dejunk::{CleanError, Cleaner, Observer, Removal, Stats, Summary};

use super::jsonl::{self, JsonlOpts, Record, RecordCounts};
use super::pool::{Msg, Sink};
use super::signal;
use super::summary::{Progress, count};
use super::walk::{Dest, Input};

/// Longest JSON line that is parsed; longer ones are passed through (or
/// dropped) in pieces, so memory stays bounded.
pub const MAX_RECORD: usize = 64 << 20;

/// JSON lines per batch when one stream is spread over the workers.
pub const BATCH_BYTES: usize = 128 << 10;

/// Everything a worker needs, shared by all of them.
pub struct Ctx {
    pub cleaner: Cleaner,
    pub explain: bool,
    /// Count removals per category: the run prints a summary or writes
    /// the JSON one. (JSON Lines records count theirs in any case.)
    pub counts: bool,
    pub jsonl: Option<JsonlOpts>,
    pub skip_bad_lines: bool,
    pub lossy: bool,
    pub progress: Progress,
    pub hook: TestHook,
}

/// How a job ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Cleaned,
    Skipped,
    Failed,
}

/// One job's result, handed to `consume` in order.
pub struct Outcome {
    /// The input's name, for messages; empty once sent (see
    /// [`Outcome::into_done`]).
    pub label: String,
    pub status: Status,
    /// Whether this ends a file (JSON batches other than a stream's last
    /// do not).
    pub ends_file: bool,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub summary: Option<Summary>,
    pub stats: Stats,
    pub records: RecordCounts,
    /// One-line messages about the input; once sent, each `LABEL: MSG`,
    /// printed as `dejunk: LABEL: MSG`.
    pub messages: Vec<String>,
    /// With --in-place, the file was already clean and was not rewritten.
    pub unchanged: bool,
}

impl Outcome {
    fn new(label: String) -> Outcome {
        Outcome {
            label,
            status: Status::Cleaned,
            ends_file: true,
            bytes_in: 0,
            bytes_out: 0,
            summary: None,
            stats: Stats::default(),
            records: RecordCounts::default(),
            messages: Vec::new(),
            unchanged: false,
        }
    }

    /// The outcome as `consume` gets it: each message with the label
    /// before it, and the label freed here.
    ///
    /// `consume` runs on whichever thread has the turn, often not the one
    /// that ran the job, and a small block freed by another thread goes to
    /// that thread's allocator cache (glibc's tcache), which hands it out
    /// again there: once grown by `realloc`, it grows from the arena it
    /// came from, under that arena's lock, and so do the blocks that
    /// replace it. With each JSON batch's label freed that way, the two
    /// threads of `-j 2` waited for each other's arena lock about 450
    /// times a run over the bulk corpus (`perf` on `sched_switch`: in
    /// `realloc` and `free` under `serde_json`), and `-j 2` was 1.64x `-j
    /// 1` instead of 1.87x. So no outcome carries a string that `consume`
    /// frees, except the rare messages; a stream's batches share one label
    /// (`Batch::label`).
    fn into_done(mut self) -> Outcome {
        let label = std::mem::take(&mut self.label);
        for m in &mut self.messages {
            *m = format!("{label}: {m}");
        }
        self
    }

    fn fail(&mut self, msg: String) {
        self.status = Status::Failed;
        self.messages.push(msg);
    }
}

/// A unit of work.
pub enum Job {
    Input(Input),
    /// Whole JSON lines of one stream.
    Batch(Batch),
}

impl Job {
    /// Bytes of input, if known, so that the pool can run small jobs
    /// together; `None` when the input has no known end (stdin, a pipe).
    pub fn size(&self) -> Option<u64> {
        match self {
            // Taken for a small file: one of a batch.
            Job::Input(Input::File { unlooked: true, .. }) => Some(0),
            Job::Input(Input::File { size, .. }) => *size,
            Job::Input(Input::Stdin) => None,
            Job::Input(Input::Error { .. }) => Some(0),
            Job::Batch(b) => Some(b.data.len() as u64),
        }
    }
}

pub struct Batch {
    /// Shared by a stream's batches.
    pub label: Arc<str>,
    /// Line number of the first line in `data`.
    pub first_line: u64,
    pub data: Vec<u8>,
    pub kind: BatchKind,
}

pub enum BatchKind {
    Lines,
    /// A piece of a line longer than [`MAX_RECORD`].
    LongPiece {
        first: bool,
    },
    /// The stream is over (`data` is empty); carries its read error if any.
    End {
        error: Option<String>,
    },
}

/// Test-only fault injection: `DEJUNK_TEST_PAUSE=bytes:N` stops a worker
/// for ten minutes once N bytes were written to temporary files in all,
/// `rename:K` before the K-th rename. Tests kill the process while it
/// waits. Not a user feature.
#[derive(Default)]
pub struct TestHook {
    pause_bytes: Option<u64>,
    pause_rename: Option<u64>,
    bytes: AtomicU64,
    renames: AtomicU64,
}

impl TestHook {
    pub fn from_env() -> TestHook {
        let mut hook = TestHook::default();
        if let Ok(v) = std::env::var("DEJUNK_TEST_PAUSE") {
            if let Some(n) = v.strip_prefix("bytes:") {
                hook.pause_bytes = n.parse().ok();
            } else if let Some(k) = v.strip_prefix("rename:") {
                hook.pause_rename = k.parse().ok();
            }
        }
        hook
    }

    fn pause() {
        let _ = writeln!(io::stderr(), "dejunk: test pause");
        std::thread::sleep(std::time::Duration::from_secs(600));
    }

    fn wrote(&self, n: usize) {
        if let Some(limit) = self.pause_bytes {
            let before = self.bytes.fetch_add(n as u64, Ordering::SeqCst);
            if before < limit && before + n as u64 >= limit {
                Self::pause();
            }
        }
    }

    fn renaming(&self) {
        if let Some(k) = self.pause_rename
            && self.renames.fetch_add(1, Ordering::SeqCst) + 1 == k
        {
            Self::pause();
        }
    }
}

/// Counts bytes read, for the summary and the progress bar.
struct Counting<'a, R> {
    rdr: R,
    n: u64,
    progress: &'a Progress,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if signal::interrupted() {
            return Err(signal::error());
        }
        let n = self.rdr.read(buf)?;
        self.n += n as u64;
        self.progress.read(n as u64);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counting<'_, R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if signal::interrupted() {
            return Err(signal::error());
        }
        self.rdr.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        self.n += amt as u64;
        self.progress.read(amt as u64);
        self.rdr.consume(amt)
    }
}

/// Output bound for stdout, sent to `consume` in chunks. The first
/// [`HOLD`] bytes are held back, so that a binary file found early leaves
/// no partial output.
struct ChunkWriter<'a> {
    sink: &'a dyn Sink<Outcome>,
    buf: Vec<u8>,
    limit: usize,
    sent: bool,
    written: u64,
}

const HOLD: usize = 256 << 10;
const CHUNK: usize = 64 << 10;
/// A first write shorter than this is taken for the whole output.
const SMALL_WRITE: usize = 16 << 10;

impl<'a> ChunkWriter<'a> {
    /// `expect` is about how many bytes will be written (the input's size,
    /// when known): a small file's output then needs one allocation. One
    /// more byte is room for the newline added to a last line that has
    /// none (without it, half the files of a scraped corpus were copied
    /// into a buffer twice as large). Unknown, the buffer is sized by the
    /// first write ([`ChunkWriter::write`]).
    fn new(sink: &'a dyn Sink<Outcome>, expect: Option<u64>) -> ChunkWriter<'a> {
        let expect = expect.map_or(0, |n| n.saturating_add(1).min(HOLD as u64) as usize);
        ChunkWriter {
            sink,
            buf: Vec::with_capacity(expect),
            limit: HOLD,
            sent: false,
            written: 0,
        }
    }

    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        self.sent = true;
        let chunk = std::mem::take(&mut self.buf);
        if self.sink.send(Msg::Out(chunk)) {
            Ok(())
        } else {
            Err(io::Error::new(io::ErrorKind::BrokenPipe, "stopped"))
        }
    }
}

impl Write for ChunkWriter<'_> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        // Messages stay at most `limit` bytes, so the pool's bound is a
        // bound on memory whatever the size of one write.
        let mut rest = data;
        while !rest.is_empty() {
            // After a chunk is sent, the next one is allocated only if
            // there is more output. The cleaner gathers its output and
            // writes it in pieces of tens of KiB: a smaller first write is
            // all of a small input's output, and takes a buffer of its
            // size.
            if self.buf.capacity() == 0 {
                let small = !self.sent && rest.len() < SMALL_WRITE;
                self.buf.reserve(if small { rest.len() } else { CHUNK });
            }
            let take = rest
                .len()
                .min(self.limit.saturating_sub(self.buf.len()).max(1));
            self.buf.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.buf.len() >= self.limit {
                self.limit = CHUNK;
                self.send()?;
            }
        }
        self.written += data.len() as u64;
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A temporary file's writer that counts for the test hook.
struct Hooked<'a, W> {
    wtr: W,
    hook: &'a TestHook,
    written: u64,
}

impl<W: Write> Write for Hooked<'_, W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if signal::interrupted() {
            return Err(signal::error());
        }
        let n = self.wtr.write(data)?;
        self.written += n as u64;
        self.hook.wrote(n);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.wtr.flush()
    }
}

/// Why cleaning one input stopped.
enum Fail {
    Read(io::Error),
    Binary(u64),
    /// Writing the output file failed; the message says where.
    Output(String),
    /// The run is stopping (stdout closed).
    Stopped,
}

impl Fail {
    fn from_clean(e: CleanError, out: &str) -> Fail {
        match e {
            CleanError::Read(e) => Fail::Read(e),
            CleanError::Binary { offset } => Fail::Binary(offset),
            CleanError::Write(e) if e.kind() == io::ErrorKind::BrokenPipe && out.is_empty() => {
                Fail::Stopped
            }
            CleanError::Write(e) => Fail::Output(format!("cannot write {out}: {e}")),
            e => Fail::Output(e.to_string()),
        }
    }
}

/// What a text cleaning reports removals to: the counts per category, if
/// the run prints or writes them, and `--explain`. With neither, it wants
/// no removals, and the cleaner builds none (each one's text is decoded,
/// and its category looked up in the counts).
struct Watch<'a, E> {
    stats: Option<&'a mut Stats>,
    explain: Option<E>,
}

impl<E: FnMut(&Removal<'_>)> Observer for Watch<'_, E> {
    fn removal(&mut self, r: &Removal<'_>) {
        if let Some(stats) = &mut self.stats {
            stats.removal(r);
        }
        if let Some(explain) = &mut self.explain {
            explain(r);
        }
    }

    fn wants_removals(&self) -> bool {
        self.stats.is_some() || self.explain.is_some()
    }
}

/// What the stream cleaner produced.
#[derive(Default)]
struct Cleaned {
    summary: Option<Summary>,
    records: RecordCounts,
}

impl Ctx {
    /// Runs one job.
    pub fn work(&self, job: Job, sink: &dyn Sink<Outcome>) {
        let outcome = match job {
            Job::Input(input) => self.clean_input(input, sink),
            Job::Batch(batch) => self.clean_batch(batch, sink),
        };
        if let Some(o) = outcome {
            sink.send(Msg::Done(o.into_done()));
        }
    }

    fn explainer<'a>(
        &'a self,
        label: &'a str,
        record: Option<u64>,
        sink: &'a dyn Sink<Outcome>,
    ) -> impl FnMut(&Removal<'_>) + 'a {
        move |r: &Removal<'_>| {
            if self.explain {
                let at = match record {
                    Some(n) => format!("{label}:{n}:{}", r.line),
                    None => format!("{label}:{}", r.line),
                };
                sink.send(Msg::Note(format!(
                    "{at}: {} [{}] {:?} -> {:?}",
                    r.category,
                    r.scope.as_str(),
                    r.rule,
                    r.text
                )));
            }
        }
    }

    /// Cleans `rdr` into `wtr` as text or JSON lines.
    #[allow(clippy::too_many_arguments)]
    fn clean_stream<R: BufRead>(
        &self,
        rdr: R,
        wtr: &mut dyn Write,
        label: &str,
        out_name: &str,
        stats: &mut Stats,
        sink: &dyn Sink<Outcome>,
        messages: &mut Vec<String>,
    ) -> Result<Cleaned, Fail> {
        match &self.jsonl {
            None => {
                let watch = Watch {
                    stats: self.counts.then_some(stats),
                    explain: self.explain.then(|| self.explainer(label, None, sink)),
                };
                let summary = self
                    .cleaner
                    .clean_reader_with(rdr, &mut *wtr, watch)
                    .map_err(|e| Fail::from_clean(e, out_name))?;
                Ok(Cleaned {
                    summary: Some(summary),
                    records: RecordCounts::default(),
                })
            }
            Some(opts) => {
                let mut records = RecordCounts::default();
                let mut out = Vec::new();
                let mut write_err = None;
                let res = for_each_line(rdr, |ev| {
                    out.clear();
                    match ev {
                        LineEvent::Line { text, n, newline } => {
                            let mut explain = self.explainer(label, Some(n), sink);
                            self.record(
                                text,
                                n,
                                opts,
                                stats,
                                &mut explain,
                                &mut out,
                                &mut records,
                                messages,
                            );
                            let dropped = out.is_empty() && !text.is_empty();
                            if newline && !dropped {
                                out.push(b'\n');
                            }
                        }
                        LineEvent::Long { piece, n, first } => {
                            self.long_record(piece, n, first, &mut out, &mut records, messages)
                        }
                    }
                    if let Err(e) = wtr.write_all(&out) {
                        write_err = Some(e);
                        return false;
                    }
                    true
                });
                if let Some(e) = write_err {
                    return Err(Fail::from_clean(CleanError::Write(e), out_name));
                }
                res.map_err(Fail::Read)?;
                Ok(Cleaned {
                    summary: None,
                    records,
                })
            }
        }
    }

    /// One JSON line into `out` (nothing for a dropped bad line).
    #[allow(clippy::too_many_arguments)]
    fn record(
        &self,
        text: &[u8],
        n: u64,
        opts: &JsonlOpts,
        stats: &mut Stats,
        explain: &mut dyn FnMut(&Removal<'_>),
        out: &mut Vec<u8>,
        records: &mut RecordCounts,
        messages: &mut Vec<String>,
    ) {
        match jsonl::clean_record(text, &self.cleaner, opts, stats, explain, out) {
            Record::Cleaned => records.records += 1,
            Record::NoText => {
                records.records += 1;
                records.without_text += 1;
            }
            Record::Blank => {}
            Record::Bad(why) => {
                records.bad += 1;
                let what = if self.skip_bad_lines {
                    "dropped"
                } else {
                    out.extend_from_slice(text);
                    "passed through"
                };
                messages.push(format!("line {n}: not a JSON object ({why}); {what}"));
            }
        }
    }

    fn long_record(
        &self,
        piece: &[u8],
        n: u64,
        first: bool,
        out: &mut Vec<u8>,
        records: &mut RecordCounts,
        messages: &mut Vec<String>,
    ) {
        if first {
            records.bad += 1;
            let what = if self.skip_bad_lines {
                "dropped"
            } else {
                "passed through"
            };
            messages.push(format!(
                "line {n}: longer than {} MiB, not parsed; {what}",
                MAX_RECORD >> 20
            ));
        }
        if !self.skip_bad_lines {
            out.extend_from_slice(piece);
        }
    }

    fn clean_batch(&self, batch: Batch, sink: &dyn Sink<Outcome>) -> Option<Outcome> {
        let mut o = Outcome::new(batch.label.to_string());
        o.ends_file = false;
        o.bytes_in = batch.data.len() as u64;
        let opts = self.jsonl.as_ref()?;
        let mut out = Vec::with_capacity(batch.data.len() + 64);
        match batch.kind {
            BatchKind::End { error } => {
                o.ends_file = true;
                if let Some(e) = error {
                    o.fail(e);
                }
            }
            BatchKind::LongPiece { first } => {
                self.long_record(
                    &batch.data,
                    batch.first_line,
                    first,
                    &mut out,
                    &mut o.records,
                    &mut o.messages,
                );
            }
            BatchKind::Lines => {
                let mut n = batch.first_line;
                let mut rest = &batch.data[..];
                while !rest.is_empty() {
                    let (line, newline, next) = match memchr(b'\n', rest) {
                        Some(i) => (&rest[..i], true, &rest[i + 1..]),
                        None => (rest, false, &[][..]),
                    };
                    let before = out.len();
                    let mut explain = self.explainer(&o.label, Some(n), sink);
                    self.record(
                        line,
                        n,
                        opts,
                        &mut o.stats,
                        &mut explain,
                        &mut out,
                        &mut o.records,
                        &mut o.messages,
                    );
                    let dropped = out.len() == before && !line.is_empty();
                    if newline && !dropped {
                        out.push(b'\n');
                    }
                    rest = next;
                    n += 1;
                }
            }
        }
        o.bytes_out = out.len() as u64;
        if !out.is_empty() && !sink.send(Msg::Out(out)) {
            return None;
        }
        Some(o)
    }

    fn clean_input(&self, input: Input, sink: &dyn Sink<Outcome>) -> Option<Outcome> {
        let (path, explicit, dest, size) = match input {
            Input::Error { label, message } => {
                let mut o = Outcome::new(label);
                o.fail(message);
                return Some(o);
            }
            Input::Stdin => {
                let mut o = Outcome::new("<stdin>".to_string());
                let stdin = io::stdin();
                let rdr = Counting {
                    rdr: stdin.lock(),
                    n: 0,
                    progress: &self.progress,
                };
                return self.to_stdout(rdr, None, true, &mut o, sink).then_some(o);
            }
            Input::File {
                path,
                explicit,
                dest,
                size,
                ..
            } => (path, explicit, dest, size),
        };
        let opened = File::open(&path);
        // Rewriting in place needs the path once more.
        let in_place = matches!(dest, Dest::InPlace).then(|| path.clone());
        // The label is what `display` would write. A UTF-8 path (most are)
        // becomes it without a copy.
        let label = path
            .into_os_string()
            .into_string()
            .unwrap_or_else(|p| p.to_string_lossy().into_owned());
        let mut o = Outcome::new(label);
        let file = match opened {
            Ok(f) => f,
            Err(e) => {
                o.fail(format!("cannot open: {e}"));
                return Some(o);
            }
        };
        let reader = |file| Counting {
            // Text is read through the cleaner's own buffer (with no buffer
            // here, reads go straight to the file); JSON lines need one.
            rdr: BufReader::with_capacity(if self.jsonl.is_some() { 64 << 10 } else { 0 }, file),
            n: 0,
            progress: &self.progress,
        };
        let ok = match dest {
            Dest::Stdout => {
                // Output to stdout needs no lookup of the file: a directory
                // is found by its first read, and the output's buffer is
                // sized by its first write (`ChunkWriter`). An `fstat` a
                // file was 3% of a run over many small files.
                self.to_stdout(reader(file), size, explicit, &mut o, sink)
            }
            Dest::File(out) => {
                let Some(meta) = stat(&file, &mut o) else {
                    return Some(o);
                };
                self.to_file(reader(file), &out, &meta, explicit, false, &mut o, sink);
                true
            }
            Dest::InPlace => {
                let Some(meta) = stat(&file, &mut o) else {
                    return Some(o);
                };
                // (`in_place` is set for this destination.)
                let path = in_place.unwrap_or_default();
                // Rewrite the file a symbolic link points to, not the link.
                let target = std::fs::canonicalize(&path).unwrap_or(path);
                self.to_file(reader(file), &target, &meta, explicit, true, &mut o, sink);
                true
            }
        };
        ok.then_some(o)
    }

    /// Notes what the decoder and the line reader had to do.
    fn note_summary(&self, o: &mut Outcome, summary: &Summary) {
        if summary.overlong_lines > 0 {
            o.messages.push(format!(
                "{} longer than --max-line passed through unchanged",
                count(summary.overlong_lines, "line")
            ));
        }
        if let Some(d) = &summary.decoding
            && d.replaced > 0
        {
            o.messages.push(format!(
                "{} replaced with U+FFFD (first at byte {}); \
                 use --encoding if the encoding is wrong",
                count(
                    d.replaced,
                    &format!("invalid {} sequence", d.encoding.name())
                ),
                d.first_replaced.unwrap_or(0)
            ));
        }
    }

    fn binary(&self, o: &mut Outcome, offset: u64, explicit: bool, partial: bool) {
        let msg = if partial {
            format!("binary file (NUL byte at offset {offset}); output stops before it")
        } else {
            format!(
                "binary file (NUL byte at offset {offset}); skipped (use -a to clean it as text)"
            )
        };
        o.messages.push(msg);
        o.status = if explicit {
            Status::Failed
        } else {
            Status::Skipped
        };
    }

    /// Returns false when the run is being stopped.
    fn to_stdout<R: BufRead>(
        &self,
        mut rdr: Counting<'_, R>,
        size: Option<u64>,
        explicit: bool,
        o: &mut Outcome,
        sink: &dyn Sink<Outcome>,
    ) -> bool {
        let mut wtr = ChunkWriter::new(sink, size);
        let res = self.clean_stream(
            &mut rdr,
            &mut wtr,
            &o.label,
            "",
            &mut o.stats,
            sink,
            &mut o.messages,
        );
        o.bytes_in = rdr.n;
        match res {
            Ok(c) => {
                if wtr.send().is_err() {
                    return false;
                }
                if let Some(s) = &c.summary {
                    self.note_summary(o, s);
                }
                o.summary = c.summary;
                o.records = c.records;
            }
            Err(Fail::Stopped) => return false,
            Err(Fail::Binary(offset)) => {
                if wtr.sent {
                    if wtr.send().is_err() {
                        return false;
                    }
                    self.binary(o, offset, true, true);
                } else {
                    wtr.buf.clear();
                    wtr.written = 0;
                    self.binary(o, offset, explicit, false);
                }
            }
            Err(Fail::Read(e)) if e.kind() == io::ErrorKind::IsADirectory => {
                o.fail(IS_DIR.to_string())
            }
            Err(Fail::Read(e)) => {
                // What was cleaned before the error is written.
                if wtr.send().is_err() {
                    return false;
                }
                o.fail(format!("read error: {e}"));
            }
            Err(Fail::Output(m)) => o.fail(m),
        }
        o.bytes_out = wtr.written;
        if o.records.bad > 0 && o.status == Status::Cleaned {
            o.status = Status::Failed;
        }
        true
    }

    /// Cleans into a temporary file next to `target`, then renames it
    /// over `target`.
    #[allow(clippy::too_many_arguments)]
    fn to_file<R: BufRead>(
        &self,
        mut rdr: Counting<'_, R>,
        target: &Path,
        meta: &Metadata,
        explicit: bool,
        in_place: bool,
        o: &mut Outcome,
        sink: &dyn Sink<Outcome>,
    ) {
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let prefix = format!(".{name}.");
        // By absolute path, or tempfile looks up the working directory for
        // each file; the path is the same either way.
        let abs_dir = absolute(&dir);
        let create = || named_temp_in(&abs_dir, &prefix);
        // Under -o, a file with no name yet, when the system has them.
        #[cfg(target_os = "linux")]
        let unnamed = if in_place {
            None
        } else {
            staged::unnamed_in(&abs_dir).map(Staged::Unnamed)
        };
        #[cfg(not(target_os = "linux"))]
        let unnamed: Option<Staged> = None;
        let made = match unnamed {
            Some(staged) => Ok(staged),
            None => create().map(Staged::Named),
        };
        // Under -o the directory is made only when the temporary file
        // cannot be created: it usually exists already (made for an earlier
        // file), and two system calls a file are worth saving. A failure
        // for another reason repeats, so messages are as if the directory
        // had been made first.
        let made = match made {
            Err(_) if !in_place => match std::fs::create_dir_all(&dir) {
                Ok(()) => create().map(Staged::Named),
                Err(e) => {
                    o.fail(format!("cannot create directory {}: {e}", dir.display()));
                    return;
                }
            },
            made => made,
        };
        let mut tmp = match made {
            Ok(t) => t,
            Err(e) => {
                o.fail(format!(
                    "cannot create a temporary file in {}: {e}",
                    dir.display()
                ));
                return;
            }
        };
        let tmp_name = match &tmp {
            Staged::Named(t) => t.path().display().to_string(),
            #[cfg(target_os = "linux")]
            Staged::Unnamed(_) => target.display().to_string(),
        };
        let mut wtr = BufWriter::with_capacity(
            64 << 10,
            Hooked {
                wtr: tmp.file_mut(),
                hook: &self.hook,
                written: 0,
            },
        );
        let res = self.clean_stream(
            &mut rdr,
            &mut wtr,
            &o.label,
            &tmp_name,
            &mut o.stats,
            sink,
            &mut o.messages,
        );
        o.bytes_in = rdr.n;
        let cleaned = match res {
            Ok(c) => c,
            Err(Fail::Binary(offset)) => return self.binary(o, offset, explicit, false),
            Err(Fail::Read(e)) => {
                return o.fail(format!(
                    "read error: {e}; {} left as it was",
                    target.display()
                ));
            }
            Err(Fail::Output(m)) => return o.fail(m),
            Err(Fail::Stopped) => return o.fail("stopped".into()),
        };
        if let Err(e) = wtr.flush() {
            return o.fail(format!("cannot write {tmp_name}: {e}"));
        }
        let written = wtr.get_ref().written;
        drop(wtr);
        o.bytes_out = written;
        o.records = cleaned.records.clone();
        if let Some(s) = &cleaned.summary {
            self.note_summary(o, s);
            let replaced = s.decoding.map_or(0, |d| d.replaced);
            if in_place && replaced > 0 && !self.lossy {
                o.summary = cleaned.summary;
                o.fail(format!(
                    "left unchanged: rewriting it would replace {} with U+FFFD \
                     (use --encoding to name its encoding, or --lossy)",
                    count(replaced, "invalid byte sequence")
                ));
                return;
            }
        }
        o.summary = cleaned.summary;
        if in_place && written == meta.len() && same_contents(tmp.file_mut(), target) {
            // Nothing to clean: keep the original, and its modification time.
            o.unchanged = true;
            return;
        }
        let file: &File = tmp.file_mut();
        let _ = file.set_permissions(meta.permissions());
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            // Keeps the owner when we may (as root); harmless otherwise.
            let _ = std::os::unix::fs::fchown(file, Some(meta.uid()), Some(meta.gid()));
        }
        // Before an original is replaced, the new data must be on disk, or
        // a crash could leave an empty file where the original was. Under
        // -o nothing of the user's is replaced (a crash costs a rerun), and
        // an fsync per file would cost more than the cleaning.
        if in_place && let Err(e) = file.sync_all() {
            return o.fail(format!("cannot write {tmp_name}: {e}"));
        }
        if signal::interrupted() {
            return o.fail("interrupted".to_string());
        }
        self.hook.renaming();
        let named = matches!(tmp, Staged::Named(_));
        if let Err(e) = tmp.commit(target, &prefix) {
            return o.fail(if named {
                format!("cannot rename {tmp_name} to {}: {e}", target.display())
            } else {
                format!("cannot put {} in place: {e}", target.display())
            });
        }
        // The directory is not synced: after a crash it names either the
        // original or the fully written new file, which is the promise.
        if o.records.bad > 0 {
            o.status = Status::Failed;
        }
    }
}

/// How the hidden temporary files of -o and --in-place end.
const TMP_SUFFIX: &str = ".dejunk-tmp";

/// A hidden temporary file in `dir`, named `prefix`, random letters and
/// [`TMP_SUFFIX`].
fn named_temp_in(dir: &Path, prefix: &str) -> io::Result<tempfile::NamedTempFile> {
    tempfile::Builder::new()
        .prefix(prefix)
        .suffix(TMP_SUFFIX)
        .tempfile_in(dir)
}

/// Where a file's cleaned text is written before it takes the target's
/// name.
enum Staged {
    /// A hidden temporary file beside the target
    /// (`.NAME.XXXXXX.dejunk-tmp`), renamed over it.
    Named(tempfile::NamedTempFile),
    /// (Linux, under -o) A file without a name (`O_TMPFILE`), given the
    /// target's once it is written: the directory changes once a file
    /// instead of twice (create, then rename), and a run killed before
    /// leaves nothing of it. Over 11,648 files into a new tree, six
    /// alternating rounds, twice: `-j 1` 0.79 and 0.81 of the time, `-j 2`
    /// 0.64 and 0.67 (two threads changing one directory wait for each
    /// other less). A rerun over an existing tree costs about three times
    /// as much either way (each replaced file is freed), within 15% of
    /// the named temporary's time, one way or the other.
    #[cfg(target_os = "linux")]
    Unnamed(File),
}

impl Staged {
    fn file_mut(&mut self) -> &mut File {
        match self {
            Staged::Named(t) => t.as_file_mut(),
            #[cfg(target_os = "linux")]
            Staged::Unnamed(f) => f,
        }
    }

    /// Gives the written file the target's name, replacing what is there.
    /// `prefix` starts the name of a hidden temporary, when one is needed.
    fn commit(self, target: &Path, prefix: &str) -> io::Result<()> {
        // Only an unnamed file may need one.
        let _ = prefix;
        match self {
            Staged::Named(t) => t.persist(target).map(drop).map_err(|e| e.error),
            #[cfg(target_os = "linux")]
            Staged::Unnamed(f) => staged::link(f, target, prefix),
        }
    }
}

#[cfg(target_os = "linux")]
mod staged {
    use std::ffi::CString;
    use std::fs::{File, OpenOptions};
    use std::io::{self, Seek};
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::OpenOptionsExt;
    use std::os::unix::io::AsRawFd;
    use std::path::Path;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

    /// Set once a file system has refused a file without a name, or a
    /// name for one: the rest of the run uses named temporaries.
    static UNSUPPORTED: AtomicBool = AtomicBool::new(false);

    /// A file without a name in `dir`, or `None` (the directory does not
    /// exist, the file system has none, or another error, which the named
    /// temporary's creation will report).
    pub(super) fn unnamed_in(dir: &Path) -> Option<File> {
        if UNSUPPORTED.load(Ordering::Relaxed) {
            return None;
        }
        match OpenOptions::new()
            .write(true)
            .read(true)
            .mode(0o600)
            .custom_flags(libc::O_TMPFILE)
            .open(dir)
        {
            Ok(f) => Some(f),
            Err(e) => {
                // Without support: EOPNOTSUPP, or EISDIR from kernels that
                // read O_TMPFILE as O_DIRECTORY, or EINVAL.
                if matches!(
                    e.raw_os_error(),
                    Some(libc::EOPNOTSUPP | libc::EISDIR | libc::EINVAL)
                ) {
                    UNSUPPORTED.store(true, Ordering::Relaxed);
                }
                None
            }
        }
    }

    /// `linkat` from `from` (a path, or the file itself with `fd`) to `to`.
    fn link_at(fd: libc::c_int, from: &CString, to: &Path, flags: libc::c_int) -> io::Result<()> {
        let to = CString::new(to.as_os_str().as_bytes())?;
        // SAFETY: both paths are NUL-terminated strings that outlive the
        // call; `fd` is open or `AT_FDCWD`.
        let r = unsafe { libc::linkat(fd, from.as_ptr(), libc::AT_FDCWD, to.as_ptr(), flags) };
        if r == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }

    /// Links `file` in under the name `to`: by its name in /proc, or,
    /// without /proc, by the descriptor itself (which needs a capability).
    ///
    /// The name is the calling *thread's* (`/proc/thread-self`): a worker
    /// has a table of open files of its own (see `cli::pool`), and
    /// `/proc/self/fd/N` is the main thread's N, another file or none. A
    /// test caught that: output files linked to other files' text.
    fn name(file: &File, to: &Path) -> io::Result<()> {
        let fd = file.as_raw_fd();
        let proc = CString::new(format!("/proc/thread-self/fd/{fd}")).expect("no NUL");
        match link_at(libc::AT_FDCWD, &proc, to, libc::AT_SYMLINK_FOLLOW) {
            Err(e)
                if e.raw_os_error() == Some(libc::ENOENT)
                    && !Path::new("/proc/thread-self/fd").exists() =>
            {
                link_at(fd, &CString::default(), to, libc::AT_EMPTY_PATH)
            }
            r => r,
        }
    }

    /// Gives `file` the name `target`. A target already there (a rerun)
    /// is replaced at once, as a rename does: the file is linked in under
    /// a hidden temporary name (`prefix` + a number + `.dejunk-tmp`), and
    /// that is renamed over the target. When the file system cannot name
    /// the file at all, its bytes are copied into a named temporary,
    /// renamed over the target, and the rest of the run uses those.
    pub(super) fn link(mut file: File, target: &Path, prefix: &str) -> io::Result<()> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        match name(&file, target) {
            Ok(()) => return Ok(()),
            Err(e) if e.raw_os_error() == Some(libc::EEXIST) => {}
            Err(_) => {
                UNSUPPORTED.store(true, Ordering::Relaxed);
                return copy_to_named(&mut file, target, prefix);
            }
        }
        let dir = target.parent().unwrap_or(Path::new("."));
        let pid = std::process::id();
        loop {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let tmp = dir.join(format!("{prefix}{pid}-{n}{}", super::TMP_SUFFIX));
            match name(&file, &tmp) {
                Ok(()) => {
                    return std::fs::rename(&tmp, target).inspect_err(|_| {
                        let _ = std::fs::remove_file(&tmp);
                    });
                }
                // Left by an earlier run: another number.
                Err(e) if e.raw_os_error() == Some(libc::EEXIST) => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Copies what `file` holds into a named temporary beside `target`,
    /// with `file`'s permissions, and renames it over `target`: for a file
    /// system that makes files without a name but cannot name them.
    pub(super) fn copy_to_named(file: &mut File, target: &Path, prefix: &str) -> io::Result<()> {
        let dir = target.parent().unwrap_or(Path::new("."));
        let mut tmp = super::named_temp_in(dir, prefix)?;
        file.rewind()?;
        io::copy(file, tmp.as_file_mut())?;
        tmp.as_file()
            .set_permissions(file.metadata()?.permissions())?;
        tmp.persist(target).map(drop).map_err(|e| e.error)
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use std::io::{Read, Write};
        use std::os::unix::fs::PermissionsExt;

        #[test]
        fn a_file_without_a_name_is_named_linked_or_copied() {
            let dir = tempfile::tempdir().unwrap();
            let Some(mut file) = unnamed_in(dir.path()) else {
                eprintln!("skipped: no O_TMPFILE on this file system");
                return;
            };
            file.write_all(b"cleaned\n").unwrap();
            file.set_permissions(std::fs::Permissions::from_mode(0o640))
                .unwrap();
            // Where linking fails: copied, permissions and all.
            let copied = dir.path().join("copied.txt");
            copy_to_named(&mut file, &copied, ".copied.txt.").unwrap();
            let mut got = String::new();
            File::open(&copied)
                .unwrap()
                .read_to_string(&mut got)
                .unwrap();
            assert_eq!(got, "cleaned\n");
            let mode = std::fs::metadata(&copied).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o640);
            // Linked, over a file that is there.
            std::fs::write(dir.path().join("linked.txt"), "old").unwrap();
            link(file, &dir.path().join("linked.txt"), ".linked.txt.").unwrap();
            assert_eq!(
                std::fs::read(dir.path().join("linked.txt")).unwrap(),
                b"cleaned\n"
            );
            let mut names: Vec<_> = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect();
            names.sort();
            assert_eq!(names, ["copied.txt", "linked.txt"]);
        }
    }
}

/// What a directory named without `-r` fails with.
pub const IS_DIR: &str = "is a directory (use -r to clean the files under it)";

/// An open input's metadata; `None`, with the failure noted, for a
/// directory or an error.
fn stat(file: &File, o: &mut Outcome) -> Option<Metadata> {
    match file.metadata() {
        Ok(m) if m.is_dir() => {
            o.fail(IS_DIR.to_string());
            None
        }
        Ok(m) => Some(m),
        Err(e) => {
            o.fail(format!("cannot read: {e}"));
            None
        }
    }
}

/// `dir` made absolute with the working directory, looked up once.
fn absolute(dir: &Path) -> Cow<'_, Path> {
    static CWD: OnceLock<Option<PathBuf>> = OnceLock::new();
    match CWD.get_or_init(|| std::env::current_dir().ok()) {
        Some(cwd) if dir.is_relative() => Cow::Owned(cwd.join(dir)),
        _ => Cow::Borrowed(dir),
    }
}

/// Whether `tmp` (from its start) holds the same bytes as the file at
/// `path`; false on any error.
fn same_contents(tmp: &mut File, path: &Path) -> bool {
    use std::io::Seek;
    let Ok(orig) = File::open(path) else {
        return false;
    };
    if tmp.rewind().is_err() {
        return false;
    }
    let (mut a, mut b) = (BufReader::new(tmp), BufReader::new(orig));
    loop {
        let (x, y) = match (a.fill_buf(), b.fill_buf()) {
            (Ok(x), Ok(y)) => (x, y),
            _ => return false,
        };
        let n = x.len().min(y.len());
        if n == 0 {
            return x.is_empty() && y.is_empty();
        }
        if x[..n] != y[..n] {
            return false;
        }
        a.consume(n);
        b.consume(n);
    }
}

/// What [`for_each_line`] hands out.
pub enum LineEvent<'a> {
    /// Line `n` (1-based), without its `\n`.
    Line {
        text: &'a [u8],
        n: u64,
        newline: bool,
    },
    /// A piece of line `n`, longer than [`MAX_RECORD`], `\n` included in
    /// the last piece.
    Long {
        piece: &'a [u8],
        n: u64,
        first: bool,
    },
}

/// Splits a stream into lines, in memory bounded by [`MAX_RECORD`], until
/// `f` returns false.
pub fn for_each_line<R: BufRead>(
    mut rdr: R,
    mut f: impl FnMut(LineEvent<'_>) -> bool,
) -> io::Result<()> {
    let mut buf = Vec::new();
    let mut n = 0u64;
    loop {
        buf.clear();
        let got = (&mut rdr)
            .take(MAX_RECORD as u64 + 1)
            .read_until(b'\n', &mut buf)?;
        if got == 0 {
            return Ok(());
        }
        n += 1;
        let newline = buf.last() == Some(&b'\n');
        if newline || buf.len() <= MAX_RECORD {
            let text = if newline {
                &buf[..buf.len() - 1]
            } else {
                &buf[..]
            };
            if !f(LineEvent::Line { text, n, newline }) {
                return Ok(());
            }
            continue;
        }
        if !f(LineEvent::Long {
            piece: &buf,
            n,
            first: true,
        }) {
            return Ok(());
        }
        loop {
            let avail = rdr.fill_buf()?;
            if avail.is_empty() {
                break;
            }
            let (len, end) = match memchr(b'\n', avail) {
                Some(i) => (i + 1, true),
                None => (avail.len(), false),
            };
            let go = f(LineEvent::Long {
                piece: &avail[..len],
                n,
                first: false,
            });
            rdr.consume(len);
            if !go {
                return Ok(());
            }
            if end {
                break;
            }
        }
    }
}
