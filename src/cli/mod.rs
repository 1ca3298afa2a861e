//! The command line: arguments become a `CleanerBuilder` and a stream of
//! inputs; an ordered pool of workers cleans them; this thread writes
//! stdout, messages and the summary in input order.
//!
//! Exit codes: 0 success, 1 some input could not be cleaned (the others
//! were), 2 bad usage or configuration (nothing was cleaned).

mod args;
mod jsonl;
mod pool;
mod signal;
mod summary;
mod walk;
mod work;

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;

use dejunk::{Binary, Cleaner, CleanerBuilder, Encoding};

use args::Args;
use jsonl::JsonlOpts;
use pool::Msg;
use summary::{Progress, Totals};
use walk::{Dest, Input, WalkOpts};
use work::{Batch, BatchKind, Ctx, Job, LineEvent, Status, TestHook};

/// Exit code: everything cleaned.
pub const EXIT_OK: i32 = 0;
/// Exit code: some inputs failed; the rest were cleaned.
pub const EXIT_SOME_FAILED: i32 = 1;
/// Exit code: bad arguments or patterns; nothing was cleaned.
pub const EXIT_USAGE: i32 = 2;
/// Exit code: stopped by Ctrl-C or SIGTERM (128 + SIGINT, as shells do).
pub const EXIT_INTERRUPTED: i32 = 130;

fn usage(msg: &str) -> i32 {
    eprintln!("dejunk: {msg}");
    EXIT_USAGE
}

/// Runs the command line `argv` (the program's name first); returns the
/// exit code.
pub fn run(argv: Vec<OsString>) -> i32 {
    let mut args = match Args::parse_from_args(argv) {
        Ok(a) => a,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
            let _ = e.print();
            return code;
        }
    };
    let cleaner = match build_cleaner(&args) {
        Ok(c) => c,
        Err(code) => return code,
    };
    // The process ends when the run does: a reference kept to the end
    // spares freeing the tables one by one (about 1.5 million instructions,
    // a tenth of a run over one small file).
    std::mem::forget(cleaner.clone());
    if args.list_categories {
        return list_categories(&cleaner);
    }
    let paths: Vec<PathBuf> = if args.files.is_empty() {
        if args.recursive {
            return usage("-r needs a directory to clean, e.g. 'dejunk -r scraped/ -o clean/'");
        }
        vec![PathBuf::from("-")]
    } else {
        std::mem::take(&mut args.files)
    };
    if args.diff {
        return run_diff(&cleaner, &paths);
    }
    let has_stdin = paths.iter().any(|p| p.as_os_str() == "-");
    if has_stdin && (args.in_place || args.output.is_some()) {
        return usage(
            "standard input can only be cleaned to stdout; name files for -o or --in-place",
        );
    }
    if let Some(out) = &args.output
        && let Err(e) = std::fs::create_dir_all(out)
    {
        // `create_dir_all` on a file says only "File exists".
        return usage(&if out.exists() && !out.is_dir() {
            format!(
                "{}: -o needs a directory, and this is not one (a missing one is made)",
                out.display()
            )
        } else {
            format!("{}: cannot create output directory: {e}", out.display())
        });
    }
    let mut walk_opts = match walk_opts(&args) {
        Ok(w) => w,
        Err(m) => return usage(&m),
    };
    // One input that is one job (a file, or stdin, not JSON Lines, which
    // is cut into batches) needs no second thread: starting one and
    // putting it on a CPU of its own cost a run over one small file 0.2
    // ms of its 3.3.
    let one_job = paths.len() == 1 && !args.recursive && !args.jsonl;
    let threads = if one_job {
        1
    } else {
        args.threads
            .filter(|&n| n > 0)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
    };
    let bulk = args.recursive || args.output.is_some() || args.in_place || paths.len() > 1;
    let show_progress = !args.quiet && (bulk || args.jsonl) && io::stderr().is_terminal();
    // Sizes are for the progress total; JSON Lines inputs are opened by
    // `batches`, which needs the walk to have found them to be files.
    walk_opts.sizes = show_progress || args.jsonl;
    let summarise = args.stats || (bulk && !args.quiet);
    let ctx = Ctx {
        cleaner,
        explain: args.explain,
        counts: summarise || args.stats_json.is_some(),
        jsonl: args.jsonl.then(|| JsonlOpts {
            field: args.field.clone(),
            counts_field: args.counts_field.clone(),
        }),
        skip_bad_lines: args.skip_bad_lines,
        lossy: args.lossy,
        progress: Progress::new(show_progress),
        hook: TestHook::from_env(),
    };
    if args.output.is_some() || args.in_place {
        signal::install();
    }
    let start = summary::now();
    let mut totals = Totals {
        jsonl: args.jsonl,
        ..Totals::default()
    };
    // Not locked for the run: with several threads, whichever worker has
    // the turn writes.
    let mut out = BufWriter::with_capacity(64 << 10, stdout_unbuffered());
    let mut fatal: Option<i32> = None;
    // A JSON stream is split into batches; a bad batch fails its stream.
    let mut stream_failed = false;
    let ctx = &ctx;
    pool::run(
        threads,
        |emit: &mut dyn FnMut(Job, Option<u64>) -> bool| {
            let mut emit = |job: Job| {
                let size = job.size();
                emit(job, size)
            };
            walk::walk(
                paths,
                &walk_opts,
                &mut |input| {
                    let to_stdout = matches!(
                        input,
                        Input::Stdin
                            | Input::File {
                                dest: Dest::Stdout,
                                ..
                            }
                    );
                    if ctx.jsonl.is_some() && to_stdout {
                        batches(ctx, input, &mut emit)
                    } else {
                        emit(Job::Input(input))
                    }
                },
                &|size| ctx.progress.found(size),
            )
        },
        |job, sink| ctx.work(job, sink),
        |msg| match msg {
            Msg::Out(bytes) => match out.write_all(&bytes) {
                Ok(()) => true,
                Err(e) => {
                    fatal = Some(stdout_error(&e));
                    false
                }
            },
            Msg::Note(line) => {
                ctx.progress.eprintln(&line);
                true
            }
            Msg::Done(_) if signal::interrupted() => false,
            Msg::Done(o) => {
                for m in &o.messages {
                    ctx.progress.eprintln(&format!("dejunk: {m}"));
                }
                totals.bytes_in += o.bytes_in;
                totals.bytes_out += o.bytes_out;
                totals.stats.merge(&o.stats);
                totals.records.records += o.records.records;
                totals.records.without_text += o.records.without_text;
                totals.records.bad += o.records.bad;
                if let Some(s) = &o.summary {
                    totals.add_summary(s);
                }
                stream_failed |= o.status == Status::Failed || o.records.bad > 0;
                if o.ends_file {
                    match o.status {
                        Status::Skipped => totals.skipped += 1,
                        _ if stream_failed => totals.failed += 1,
                        _ => {
                            totals.cleaned += 1;
                            totals.unchanged += u64::from(o.unchanged);
                        }
                    }
                    stream_failed = false;
                    ctx.progress.files_done(totals.files());
                }
                true
            }
        },
    );
    if fatal.is_none()
        && let Err(e) = out.flush()
    {
        fatal = Some(stdout_error(&e));
    }
    ctx.progress.finish();
    if let Some(code) = fatal {
        return code;
    }
    if signal::interrupted() {
        eprintln!(
            "dejunk: interrupted; every file is either as it was or fully cleaned, \
             and no temporary file is left"
        );
        return EXIT_INTERRUPTED;
    }
    let elapsed = start.elapsed();
    if summarise {
        totals.print(elapsed, &ctx.progress);
    }
    let mut code = if totals.failed > 0 {
        EXIT_SOME_FAILED
    } else {
        EXIT_OK
    };
    if let Some(path) = &args.stats_json {
        let json = totals.to_json(elapsed);
        let res = serde_json::to_vec_pretty(&json)
            .map_err(io::Error::other)
            .and_then(|mut v| {
                v.push(b'\n');
                std::fs::write(path, v)
            });
        if let Err(e) = res {
            eprintln!(
                "dejunk: {}: cannot write the JSON summary: {e}",
                path.display()
            );
            code = EXIT_SOME_FAILED;
        }
    }
    code
}

/// Standard output without std's line buffering, for the cleaned text
/// and `--diff`.
///
/// `io::stdout()` is a `LineWriter` even into a file or a pipe: each
/// write goes out up to its last newline, and the rest of its last line
/// waits for the next write, which starts with a write of just that rest.
/// Every 64 KiB of output took two `write` calls (2,445 extra over the
/// 171 MB stream), and the tail was copied once more. Output is buffered
/// here already (the cleaner's chunks and the run's `BufWriter`), so
/// writes go straight to a duplicate of the descriptor. (Rust's runtime
/// opens `/dev/null` for a closed stdout before `main`, so the duplicate
/// is of stdout whatever the caller left there.)
fn stdout_unbuffered() -> Box<dyn Write + Send> {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        if let Ok(fd) = io::stdout().as_fd().try_clone_to_owned() {
            return Box::new(File::from(fd));
        }
    }
    Box::new(io::stdout())
}

/// A closed pipe ends the run quietly; other write errors are reported.
fn stdout_error(e: &io::Error) -> i32 {
    if e.kind() == io::ErrorKind::BrokenPipe {
        EXIT_OK
    } else {
        eprintln!("dejunk: cannot write to stdout: {e}");
        EXIT_SOME_FAILED
    }
}

fn build_cleaner(args: &Args) -> Result<Cleaner, i32> {
    let mut builder = CleanerBuilder::new();
    builder
        .builtin(!args.no_builtin)
        .prefilter(!args.no_prefilter)
        .max_line_len(args.max_line)
        .binary(if args.text {
            Binary::Text
        } else {
            Binary::Quit
        });
    if let Some(label) = &args.encoding {
        match Encoding::for_label(label.trim().as_bytes()) {
            Some(enc) => {
                builder.encoding(Some(enc));
            }
            None => {
                return Err(usage(&format!(
                    "unknown encoding '{label}' (try utf-8, windows-1252, latin1, shift_jis, \
                     gbk, koi8-r, utf-16le or utf-16be)"
                )));
            }
        }
    }
    for p in &args.patterns {
        builder.patterns_file(p);
    }
    for c in &args.enable {
        builder.enable(c);
    }
    for c in &args.disable {
        builder.disable(c);
    }
    builder.build().map_err(|e| usage(&e.to_string()))
}

fn walk_opts(args: &Args) -> Result<WalkOpts, String> {
    Ok(WalkOpts {
        recursive: args.recursive,
        hidden: args.hidden,
        follow: args.follow,
        include: walk::globset(&args.include)?,
        exclude: walk::globset(&args.exclude)?,
        ext: args
            .ext
            .iter()
            .map(|e| e.trim_start_matches('.').to_ascii_lowercase())
            .filter(|e| !e.is_empty())
            .collect(),
        output: args.output.clone(),
        in_place: args.in_place,
        sizes: true,
    })
}

/// Splits one JSON Lines stream bound for stdout into batches, so that the
/// workers share it. Returns false when the run is being stopped.
fn batches(ctx: &Ctx, input: Input, emit: &mut dyn FnMut(Job) -> bool) -> bool {
    // One label for all the stream's batches: a string made here for each
    // batch, and freed by whichever thread ran it, put this thread's memory
    // in that thread's allocator cache (see `Outcome::into_done`).
    let (label, rdr): (Arc<str>, Box<dyn BufRead>) = match input {
        Input::Stdin => ("<stdin>".into(), Box::new(io::stdin().lock())),
        Input::File { path, .. } => {
            let label: Arc<str> = path.display().to_string().into();
            match File::open(&path) {
                Ok(f) => (label, Box::new(BufReader::with_capacity(64 << 10, f))),
                Err(e) => {
                    return emit(Job::Input(Input::Error {
                        label: label.to_string(),
                        message: format!("cannot open: {e}"),
                    }));
                }
            }
        }
        other => return emit(Job::Input(other)),
    };
    let mut data: Vec<u8> = Vec::new();
    let mut first_line = 1;
    let mut go = true;
    let res = work::for_each_line(rdr, |ev| {
        match ev {
            LineEvent::Line { text, n, newline } => {
                if data.is_empty() {
                    first_line = n;
                }
                data.extend_from_slice(text);
                if newline {
                    data.push(b'\n');
                }
                ctx.progress.read(text.len() as u64 + u64::from(newline));
                if data.len() >= work::BATCH_BYTES {
                    go = flush_lines(emit, &label, &mut data, first_line);
                }
            }
            LineEvent::Long { piece, n, first } => {
                if first {
                    go = flush_lines(emit, &label, &mut data, first_line);
                }
                ctx.progress.read(piece.len() as u64);
                go = go
                    && emit(Job::Batch(Batch {
                        label: Arc::clone(&label),
                        first_line: n,
                        data: piece.to_vec(),
                        kind: BatchKind::LongPiece { first },
                    }));
            }
        }
        go
    });
    if go {
        go = flush_lines(emit, &label, &mut data, first_line);
    }
    go && emit(Job::Batch(Batch {
        label,
        first_line: 0,
        data: Vec::new(),
        kind: BatchKind::End {
            error: res.err().map(|e| format!("read error: {e}")),
        },
    }))
}

fn flush_lines(
    emit: &mut dyn FnMut(Job) -> bool,
    label: &Arc<str>,
    data: &mut Vec<u8>,
    first_line: u64,
) -> bool {
    if data.is_empty() {
        return true;
    }
    emit(Job::Batch(Batch {
        label: Arc::clone(label),
        first_line,
        data: std::mem::take(data),
        kind: BatchKind::Lines,
    }))
}

fn list_categories(cleaner: &Cleaner) -> i32 {
    let mut out = io::stdout().lock();
    for c in cleaner.categories() {
        let state = if c.enabled { "on " } else { "off" };
        let default = if c.default_on {
            ""
        } else {
            " (off by default)"
        };
        if writeln!(
            out,
            "{:<12} {state} {:>4} rules  {}{default}",
            c.name, c.rules, c.description
        )
        .is_err()
        {
            return EXIT_OK;
        }
    }
    EXIT_OK
}

/// `--diff`: each input whole, with its removals marked, to stdout.
fn run_diff(cleaner: &dejunk::Cleaner, paths: &[PathBuf]) -> i32 {
    use std::io::Read;
    let mut out = BufWriter::new(stdout_unbuffered());
    let mut failed = false;
    for path in paths {
        let mut buf = Vec::new();
        let (label, res) = if path.as_os_str() == "-" {
            (
                "<stdin>".to_string(),
                io::stdin().lock().read_to_end(&mut buf),
            )
        } else {
            let label = path.display().to_string();
            let res = std::fs::File::open(path).and_then(|mut f| f.read_to_end(&mut buf));
            (label, res)
        };
        if let Err(e) = res {
            eprintln!("dejunk: {label}: cannot read: {e}");
            failed = true;
            continue;
        }
        let view = dejunk::diff_str(cleaner, &String::from_utf8_lossy(&buf));
        match out.write_all(view.as_bytes()) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return EXIT_OK,
            Err(e) => {
                eprintln!("dejunk: write error: {e}");
                return EXIT_SOME_FAILED;
            }
        }
    }
    match out.flush() {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            eprintln!("dejunk: write error: {e}");
            EXIT_SOME_FAILED
        }
        _ if failed => EXIT_SOME_FAILED,
        _ => EXIT_OK,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `stdout_unbuffered` is given reaches stdout at once, a last
    /// line without its newline too: this test runs itself as a child
    /// whose stdout is a pipe, which writes and then leaves with `_exit`
    /// (no flushing), and the parent must read every byte. Through
    /// `io::stdout()`, the unfinished line would wait in its buffer and
    /// be lost.
    #[cfg(unix)]
    #[test]
    fn stdout_is_written_through_not_held_to_a_line_end() {
        const NAME: &str = "cli::tests::stdout_is_written_through_not_held_to_a_line_end";
        if std::env::var_os("DEJUNK_TEST_CHILD").is_some() {
            let mut out = stdout_unbuffered();
            let ok = out.write_all(b"<<first line\nunfinished>>").is_ok();
            // SAFETY: `_exit` ends the process without running anything
            // else; nothing here needs to be cleaned up.
            unsafe { libc::_exit(if ok { 0 } else { 3 }) };
        }
        let child = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", NAME, "--nocapture", "--test-threads=1"])
            .env("DEJUNK_TEST_CHILD", "1")
            .stdout(std::process::Stdio::piped())
            .output()
            .unwrap();
        assert_eq!(child.status.code(), Some(0), "{child:?}");
        let out = String::from_utf8_lossy(&child.stdout);
        assert!(
            out.contains("<<first line\nunfinished>>"),
            "the child wrote {out:?}"
        );
    }

    /// A JSON stream's batches share one label, and an outcome reaches
    /// `consume` without one (see `Outcome::into_done`).
    #[test]
    fn a_json_streams_batches_share_one_label() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.jsonl");
        let line = format!("{{\"text\":\"{}\"}}\n", "Words of prose. ".repeat(40));
        let lines = 3 * work::BATCH_BYTES / line.len() + 1;
        std::fs::write(&path, line.repeat(lines)).unwrap();
        let ctx = Ctx {
            cleaner: Cleaner::new(),
            explain: false,
            counts: false,
            jsonl: Some(JsonlOpts {
                field: "text".into(),
                counts_field: None,
            }),
            skip_bad_lines: false,
            lossy: false,
            progress: Progress::new(false),
            hook: TestHook::default(),
        };
        let input = || Input::File {
            path: path.clone(),
            explicit: true,
            dest: Dest::Stdout,
            size: None,
            unlooked: false,
        };
        let mut jobs = Vec::new();
        assert!(batches(&ctx, input(), &mut |job| {
            jobs.push(job);
            true
        }));
        let labels: Vec<Arc<str>> = jobs
            .iter()
            .map(|j| match j {
                Job::Batch(b) => Arc::clone(&b.label),
                Job::Input(_) => panic!("a batch was expected"),
            })
            .collect();
        // Three or more batches of lines, and the stream's end.
        assert!(labels.len() >= 4, "{} batches", labels.len());
        assert!(labels.iter().all(|l| Arc::ptr_eq(l, &labels[0])));
        assert_eq!(&*labels[0], path.display().to_string());
        // A record that is no JSON object gets a message with the label in
        // it, and the outcome carries no label of its own.
        std::fs::write(&path, "not json\n").unwrap();
        let mut done = Vec::new();
        pool::run(
            1,
            |emit: &mut dyn FnMut(Job, Option<u64>) -> bool| {
                batches(&ctx, input(), &mut |job| emit(job, None));
            },
            |job, sink| ctx.work(job, sink),
            |msg| {
                if let Msg::Done(o) = msg {
                    done.push(o);
                }
                true
            },
        );
        let messages: Vec<&String> = done.iter().flat_map(|o| &o.messages).collect();
        assert!(done.iter().all(|o| o.label.is_empty()));
        assert_eq!(messages.len(), 1, "{messages:?}");
        assert!(
            messages[0].starts_with(&format!("{}: line 1: not a JSON object", path.display())),
            "{}",
            messages[0]
        );
    }
}
