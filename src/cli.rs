//! Command-line arguments and the run loop. Exit codes: 0 success, 1 some
//! input could not be cleaned (the others were), 2 bad usage or
//! configuration (nothing was cleaned).

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::PathBuf;

use clap::Parser;

use dejunk::{CleanError, Cleaner, CleanerBuilder, Observer, Removal, Stats};

/// Exit code: everything cleaned.
pub const EXIT_OK: i32 = 0;
/// Exit code: some inputs failed; the rest were cleaned.
pub const EXIT_SOME_FAILED: i32 = 1;
/// Exit code: bad arguments or patterns; nothing was cleaned.
pub const EXIT_USAGE: i32 = 2;

/// Strip scraped web junk (ads, sign-up prompts, photo credits, video cards,
/// share bars, teasers, bylines) out of plain text and keep the article.
#[derive(Parser, Debug)]
#[command(name = "dejunk", version, about, long_about = LONG_ABOUT)]
#[command(after_help = AFTER_HELP)]
pub struct Args {
    /// Files to clean; none or '-' reads standard input.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Print every removal to stderr: category, rule, line, removed text.
    #[arg(long)]
    pub explain: bool,

    /// Print the input with removals marked instead of the cleaned text:
    /// removed lines start with '- ', kept lines with two spaces, and spans
    /// cut out of a kept line are wrapped in '[-' and '-]'.
    #[arg(long)]
    pub diff: bool,

    /// Print removal counts per category to stderr at the end.
    #[arg(long)]
    pub stats: bool,

    /// Add a pattern file (repeatable); see patterns/README.md for the format.
    #[arg(long = "patterns", value_name = "FILE")]
    pub patterns: Vec<PathBuf>,

    /// Use only the patterns given with --patterns, not the built-in ones.
    #[arg(long)]
    pub no_builtin: bool,

    /// Turn a category off (repeatable, or comma-separated).
    #[arg(long, value_name = "CAT", value_delimiter = ',')]
    pub disable: Vec<String>,

    /// Turn a category on, e.g. 'dateline', which is off by default.
    #[arg(long, value_name = "CAT", value_delimiter = ',')]
    pub enable: Vec<String>,

    /// List the categories, whether each is on, and what it removes.
    #[arg(long)]
    pub list_categories: bool,

    /// Longest line, in bytes, that is matched; longer lines pass through
    /// unchanged.
    #[arg(long, value_name = "BYTES", default_value_t = dejunk::DEFAULT_MAX_LINE)]
    pub max_line: usize,
}

const LONG_ABOUT: &str = "\
Strip scraped web junk out of plain text and keep the article.

dejunk reads text that a scraper pulled out of web pages and removes the page
furniture still in it: ad markers, newsletter and sign-up prompts, photo labels
and credits, video cards, summary boxes, share bars, related-link teasers,
cookie and copyright notices, standalone bylines. The article's prose is kept
as it was: nothing is reworded, paragraphs stay paragraphs.

Output goes to stdout; with several files, their cleaned texts follow each
other in order.";

const AFTER_HELP: &str = "\
Examples:
  dejunk article.txt > clean.txt
  cat scraped.txt | dejunk --explain 2>removed.log
  dejunk --patterns mysite.txt --disable social *.txt

Exit status: 0 all inputs cleaned; 1 some inputs could not be read or cleaned
(the others were); 2 bad arguments or pattern files.";

/// Prints removals for --explain and counts them for --stats.
struct Report<'a> {
    input: &'a str,
    explain: bool,
    stats: Option<&'a mut Stats>,
}

impl Observer for Report<'_> {
    fn removal(&mut self, r: &Removal<'_>) {
        if let Some(s) = self.stats.as_deref_mut() {
            s.removal(r);
        }
        if self.explain {
            // Explain output is best effort: a closed stderr must not stop
            // the cleaning.
            let _ = writeln!(
                io::stderr().lock(),
                "{}:{}: {} [{}] {:?} -> {:?}",
                self.input,
                r.line,
                r.category,
                r.scope.as_str(),
                r.rule,
                r.text
            );
        }
    }
}

/// Runs the command; returns the exit code.
pub fn run() -> i32 {
    let args = match Args::try_parse() {
        Ok(a) => a,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
            let _ = e.print();
            return code;
        }
    };
    let mut builder = CleanerBuilder::new();
    builder
        .builtin(!args.no_builtin)
        .max_line_len(args.max_line);
    for p in &args.patterns {
        builder.patterns_file(p);
    }
    for c in &args.enable {
        builder.enable(c);
    }
    for c in &args.disable {
        builder.disable(c);
    }
    let cleaner = match builder.build() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("dejunk: {e}");
            return EXIT_USAGE;
        }
    };
    if args.list_categories {
        return list_categories(&cleaner);
    }
    let inputs: Vec<PathBuf> = if args.files.is_empty() {
        vec![PathBuf::from("-")]
    } else {
        args.files.clone()
    };
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(64 * 1024, stdout.lock());
    let mut stats = Stats::default();
    let mut failed = 0;
    for input in &inputs {
        let name = input.display().to_string();
        let rdr: Box<dyn Read> = if name == "-" {
            Box::new(io::stdin().lock())
        } else {
            match File::open(input) {
                Ok(f) => Box::new(f),
                Err(e) => {
                    eprintln!("dejunk: {name}: cannot open: {e}");
                    failed += 1;
                    continue;
                }
            }
        };
        let label = if name == "-" { "<stdin>" } else { &name };
        if args.diff {
            match write_diff(&cleaner, rdr, &mut out) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return EXIT_OK,
                Err(e) => {
                    eprintln!("dejunk: {label}: {e}");
                    failed += 1;
                }
            }
            continue;
        }
        let report = Report {
            input: label,
            explain: args.explain,
            stats: args.stats.then_some(&mut stats),
        };
        match cleaner.clean_reader_with(rdr, &mut out, report) {
            Ok(_) => {}
            Err(e) if e.is_broken_pipe() => return EXIT_OK,
            Err(CleanError::Write(e)) => {
                eprintln!("dejunk: write error: {e}");
                return EXIT_SOME_FAILED;
            }
            Err(e) => {
                eprintln!("dejunk: {label}: {e}");
                failed += 1;
            }
        }
    }
    if let Err(e) = out.flush() {
        if e.kind() == io::ErrorKind::BrokenPipe {
            return EXIT_OK;
        }
        eprintln!("dejunk: write error: {e}");
        return EXIT_SOME_FAILED;
    }
    if args.stats {
        print_stats(&stats);
    }
    if failed > 0 {
        EXIT_SOME_FAILED
    } else {
        EXIT_OK
    }
}

/// `--diff`: reads one whole input (the view needs the text beside the
/// removals) and writes it with the removals marked.
fn write_diff(cleaner: &Cleaner, mut rdr: Box<dyn Read>, out: &mut impl Write) -> io::Result<()> {
    let mut buf = Vec::new();
    rdr.read_to_end(&mut buf)?;
    let text = String::from_utf8_lossy(&buf);
    out.write_all(dejunk::diff_str(cleaner, &text).as_bytes())
}

fn print_stats(stats: &Stats) {
    let mut err = io::stderr().lock();
    let _ = writeln!(err, "{:<12} {:>8} {:>10}", "category", "removals", "bytes");
    for (cat, (n, bytes)) in &stats.by_category {
        let _ = writeln!(err, "{cat:<12} {n:>8} {bytes:>10}");
    }
    let _ = writeln!(err, "{:<12} {:>8}", "total", stats.removals());
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
