//! The command line, as clap sees it. Short help is each flag's first
//! paragraph; `--help` adds the rest.

use std::ffi::{OsStr, OsString};
use std::path::PathBuf;

use clap::{Command, CommandFactory, Parser};

/// Strip scraped web junk (ads, sign-up prompts, photo credits, video cards,
/// share bars, teasers, bylines) out of plain text and keep the article.
#[derive(Parser, Debug)]
#[command(name = "dejunk", version, about, long_about = LONG_ABOUT)]
#[command(after_help = AFTER_HELP, after_long_help = AFTER_LONG_HELP)]
pub struct Args {
    /// Files (or, with -r, directories) to clean; none or '-' reads standard
    /// input.
    #[arg(value_name = "PATH")]
    pub files: Vec<PathBuf>,

    /// Clean every file under the directories given.
    ///
    /// Files are visited in name order. Hidden files and directories (names
    /// starting with '.') are skipped unless --hidden is given; symbolic
    /// links are not followed unless --follow is given. Files holding NUL
    /// bytes are binary: they are skipped with a note.
    #[arg(short = 'r', long)]
    pub recursive: bool,

    /// Write each cleaned file under DIR instead of to stdout.
    ///
    /// A file found under a directory D given with -r goes to the same
    /// relative path under DIR; a file named on the command line goes to
    /// DIR/its-file-name. Each output file is written without a name
    /// (Linux's O_TMPFILE; elsewhere a hidden temporary file) and given
    /// its name once complete, replacing an older one at once, so an
    /// interrupted run never leaves a partial output file.
    #[arg(
        short = 'o',
        long = "output",
        value_name = "DIR",
        conflicts_with = "in_place"
    )]
    pub output: Option<PathBuf>,

    /// Rewrite the files themselves, atomically.
    ///
    /// Each file is cleaned into a hidden temporary file in its own
    /// directory (.NAME.XXXXXX.dejunk-tmp), which is flushed to disk (fsync)
    /// and renamed over the original; its permissions (and, as root, its
    /// owner) are kept. Killed at any moment, a run leaves every file either
    /// as it was or fully cleaned; Ctrl-C also removes the temporary files.
    /// A file whose bytes are not valid in its encoding is left unchanged
    /// (and reported) unless --lossy is given.
    #[arg(short = 'i', long)]
    pub in_place: bool,

    /// Only clean files whose path matches GLOB (repeatable).
    ///
    /// Globs match the path relative to the directory given with -r, and a
    /// glob without '/' also matches the file name alone: '*.txt',
    /// 'news/**/*.md'. Files named on the command line are always cleaned.
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,

    /// Skip files and directories whose path matches GLOB (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Only clean files with these extensions (comma-separated, repeatable),
    /// e.g. '-e txt,md'.
    ///
    /// By default every file is considered, and binary files (NUL bytes)
    /// are skipped as they are found.
    #[arg(short = 'e', long = "ext", value_name = "EXT", value_delimiter = ',')]
    pub ext: Vec<String>,

    /// With -r, also visit hidden files and directories.
    #[arg(long)]
    pub hidden: bool,

    /// With -r, follow symbolic links.
    #[arg(short = 'L', long)]
    pub follow: bool,

    /// Clean files with NUL bytes as text instead of skipping them.
    #[arg(short = 'a', long)]
    pub text: bool,

    /// Number of threads that clean [default: all cores, as does 0].
    ///
    /// Output order and content do not depend on it. With N, N - 1 threads
    /// are started, and the main thread cleans too between finding files;
    /// with 1, one thread walks, cleans and writes, on one core.
    #[arg(short = 'j', long = "threads", value_name = "N")]
    pub threads: Option<usize>,

    /// No progress bar and no summary.
    #[arg(short = 'q', long)]
    pub quiet: bool,

    /// Print the summary at the end, even for a single input.
    ///
    /// The summary (files, bytes in and out, removals per category, files
    /// skipped or failed, time and speed) is printed to stderr after -r, -o
    /// and --in-place runs unless --quiet is given.
    #[arg(long)]
    pub stats: bool,

    /// Write the summary as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub stats_json: Option<PathBuf>,

    /// Input is JSON Lines: clean the text field of each object.
    ///
    /// Every other field, and the key order, is kept byte for byte; an
    /// object whose text is unchanged is written back exactly as read.
    /// Lines that are not JSON objects are reported with their line number
    /// and passed through unchanged (or dropped with --skip-bad-lines).
    /// Blank lines pass through. Works as a stream on stdin.
    #[arg(long)]
    pub jsonl: bool,

    /// With --jsonl, the field holding the text.
    #[arg(long, value_name = "NAME", default_value = "text", requires = "jsonl")]
    pub field: String,

    /// With --jsonl, add a field NAME holding removal counts per category,
    /// e.g. {"ads":2,"media":1}.
    #[arg(long, value_name = "NAME", requires = "jsonl")]
    pub counts_field: Option<String>,

    /// With --jsonl, drop malformed lines instead of passing them through
    /// (they are still reported).
    #[arg(long, requires = "jsonl")]
    pub skip_bad_lines: bool,

    /// Decode input as LABEL (e.g. windows-1252, latin1, shift_jis,
    /// utf-16le) instead of detecting the encoding. Output is always UTF-8.
    ///
    /// By default a BOM decides; else input whose first 64 KiB are valid
    /// UTF-8 is UTF-8; else the encoding is guessed from those 64 KiB.
    /// Invalid bytes become U+FFFD and are reported. A BOM still wins over
    /// LABEL.
    #[arg(long, value_name = "LABEL")]
    pub encoding: Option<String>,

    /// With --in-place, rewrite files even when invalid bytes in them must
    /// become U+FFFD.
    #[arg(long)]
    pub lossy: bool,

    /// Print every removal to stderr: category, rule, line, removed text.
    #[arg(long)]
    pub explain: bool,

    /// Print the input with removals marked instead of the cleaned text:
    /// removed lines start with '- ', kept lines with two spaces, and spans
    /// cut out of a kept line are wrapped in '[-' and '-]'. For review: each
    /// input is read whole, as UTF-8, to stdout.
    #[arg(long, conflicts_with_all = ["in_place", "output", "recursive", "jsonl"])]
    pub diff: bool,

    /// Add a pattern file (repeatable); see patterns/README.md for the format.
    #[arg(long = "patterns", value_name = "FILE")]
    pub patterns: Vec<PathBuf>,

    /// Use only the patterns given with --patterns, not the built-in ones.
    #[arg(long)]
    pub no_builtin: bool,

    /// Send every line through the matcher (no prefilter). Output is the
    /// same; for checking that, and for benchmarks.
    #[arg(long, hide = true)]
    pub no_prefilter: bool,

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
    #[arg(long, value_name = "BYTES", default_value_t = dejunk::DEFAULT_MAX_LINE,
          value_parser = at_least_one_byte)]
    pub max_line: usize,
}

/// `--max-line`: a number of bytes, 1 or more (with 0, no line would be
/// matched and the run would clean nothing).
fn at_least_one_byte(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("must be at least 1: longer lines pass through unmatched".to_string()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

const LONG_ABOUT: &str = "\
Strip scraped web junk out of plain text and keep the article.

dejunk reads text that a scraper pulled out of web pages and removes the page
furniture still in it: ad markers, newsletter and sign-up prompts, photo labels
and credits, video cards, summary boxes, share bars, related-link teasers,
cookie and copyright notices, standalone bylines. The article's prose is kept
as it was: nothing is reworded, paragraphs stay paragraphs.

Output goes to stdout; with several files, their cleaned texts follow each
other in order. With -o DIR, each file is written under DIR; with --in-place,
files are rewritten. Work is spread over all cores; the output does not
depend on how many.";

const AFTER_HELP: &str = "\
Examples:
  dejunk article.txt > clean.txt
  dejunk -r scraped/ -o clean/
  dejunk --jsonl < dump.jsonl > clean.jsonl
  dejunk learn --min-docs 20 scraped/ -o mysite.txt   (see dejunk learn --help)

Exit status: 0 all inputs cleaned; 1 some inputs failed (the rest were
cleaned); 2 bad arguments or pattern files. Use --help for more.";

const AFTER_LONG_HELP: &str = "\
Examples:
  dejunk article.txt > clean.txt
  cat scraped.txt | dejunk --explain 2>removed.log
  dejunk --patterns mysite.txt --disable social *.txt
  dejunk -r scraped/ -o clean/ -e txt --stats-json summary.json
  dejunk -r --in-place --exclude 'drafts/**' site/
  dejunk --jsonl --field body --counts-field junk < dump.jsonl > clean.jsonl
  dejunk --diff article.txt | less
  dejunk learn --min-docs 20 --group-by-dir scraped/ -o mysite.txt

Learning a site's own boilerplate: 'dejunk learn --help'. A file named
'learn' is cleaned as 'dejunk ./learn'.

Bad input: a file that cannot be opened or read, a directory named without
-r, or a binary file named on the command line is reported on one line
naming it, and the run goes on with the other inputs; the exit status is
then 1. Binary files found under -r are skipped with a note and do not
change the exit status. Lines longer than --max-line pass through unchanged.
Invalid bytes become U+FFFD with a warning (with --in-place, the file is left
as it was unless --lossy). A closed stdout (dejunk big.txt | head) ends the
run quietly with status 0.

Exit status:
  0    every input was cleaned (warnings and skipped binary files allowed)
  1    some inputs failed or were left unchanged; every other input was
       cleaned (also: malformed --jsonl lines, a write error on stdout)
  2    bad arguments, patterns or encoding label; nothing was cleaned
  130  interrupted (Ctrl-C, SIGTERM) during -o or --in-place; files are
       either as they were or fully cleaned";

impl Args {
    /// Parses a command line (program name first), as `try_parse_from`
    /// would, but without handing clap the trailing run of paths.
    ///
    /// clap stores every value twice (raw, then typed) and frees both: about
    /// 0.5 µs a path, 5.5 ms of serial start for 11,648 paths, more than
    /// building the cleaner. The paths at the end of the line, those that
    /// are not empty and do not start with '-', are taken as they are;
    /// clap parses the rest, including the first of those paths when the
    /// argument before it is (or may be) an option waiting for its value.
    /// On an error clap parses the whole line again, so that its message
    /// is its own. The result is the same as clap's for any command line
    /// (a proptest checks it).
    pub fn parse_from_args(mut argv: Vec<OsString>) -> Result<Args, clap::Error> {
        let start = tail_start(&argv, &Args::command());
        let tail = argv.split_off(start);
        match Args::try_parse_from(&argv) {
            Ok(mut args) => {
                args.files.extend(tail.into_iter().map(PathBuf::from));
                Ok(args)
            }
            Err(_) => {
                // clap's message shows a usage line that depends on the
                // paths: the error is the one for the whole line.
                argv.extend(tail);
                Args::try_parse_from(argv)
            }
        }
    }
}

/// Whether clap must see `arg`: an option, `-`, `--`, or an empty path
/// (which clap rejects).
fn for_clap(arg: &OsStr) -> bool {
    arg.as_encoded_bytes().first().is_none_or(|&b| b == b'-')
}

/// Where the trailing run of paths starts: the arguments after the last
/// one that clap must see, less the first of them if that argument may
/// be an option still waiting for its value.
fn tail_start(argv: &[OsString], cmd: &Command) -> usize {
    let mut start = argv.len();
    while start > 1 && !for_clap(&argv[start - 1]) {
        start -= 1;
    }
    if start > 1 && start < argv.len() && !is_complete(&argv[start - 1], cmd) {
        start += 1;
    }
    start
}

/// Whether `arg` (which clap must see) is complete by itself: `--`, `-`,
/// an empty path, a known long flag, `--name=value`, or a cluster of known
/// short flags that ends in a flag or in an option with its value attached
/// (`-qj2`).
/// Anything unknown counts as incomplete, which only hands clap one more
/// argument.
fn is_complete(arg: &OsStr, cmd: &Command) -> bool {
    let Some(arg) = arg.to_str() else {
        return false;
    };
    if arg.is_empty() || arg == "-" || arg == "--" {
        return true;
    }
    if let Some(long) = arg.strip_prefix("--") {
        if long.contains('=') {
            return true;
        }
        let found = cmd.get_arguments().find(|a| {
            a.get_long() == Some(long) || a.get_all_aliases().is_some_and(|v| v.contains(&long))
        });
        return found.is_some_and(|a| !a.get_action().takes_values());
    }
    let shorts = &arg[1..];
    for (i, c) in shorts.char_indices() {
        let found = cmd.get_arguments().find(|a| {
            a.get_short() == Some(c) || a.get_all_short_aliases().is_some_and(|v| v.contains(&c))
        });
        match found {
            None => return false,
            Some(a) if a.get_action().takes_values() => return i + c.len_utf8() < shorts.len(),
            Some(_) => {}
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Arguments of every kind: flags, options with their values attached
    /// or not, clusters, unknown options, `--`, `-` and paths.
    const WORDS: &[&str] = &[
        "-q",
        "-j",
        "2",
        "-j2",
        "-qj",
        "-qj3",
        "-j=4",
        "--threads",
        "--threads=3",
        "-o",
        "out",
        "--output",
        "--output=o",
        "-r",
        "-qr",
        "-rq",
        "--",
        "-",
        "a.txt",
        "b",
        "",
        "--include",
        "*.txt",
        "-e",
        "txt,md",
        "-etxt",
        "--patterns",
        "p.txt",
        "--bogus",
        "-z",
        "-qz",
        "--field",
        "body",
        "--counts-field",
        "--skip-bad-lines",
        "0",
        "--stats",
        "--jsonl",
        "-h",
        "--version",
        "--in-place",
        "-i",
        "--diff",
        "--max-line",
        "10",
        "--max-line=x",
        "--disable",
        "social",
        "-L",
        "-a",
        "-é",
    ];

    fn argv(words: &[&str]) -> Vec<OsString> {
        std::iter::once("dejunk")
            .chain(words.iter().copied())
            .map(OsString::from)
            .collect()
    }

    /// What a parse gives, errors included, as text.
    fn show(r: Result<Args, clap::Error>) -> String {
        match r {
            Ok(a) => format!("{a:?}"),
            Err(e) => format!("{:?}: {e}", e.kind()),
        }
    }

    #[test]
    fn the_trailing_paths_skip_clap() {
        let cmd = Args::command();
        let start = |words: &[&str]| tail_start(&argv(words), &cmd);
        assert_eq!(start(&["a", "b"]), 1);
        assert_eq!(start(&["-q", "a", "b"]), 2);
        assert_eq!(start(&["-qj2", "a", "b"]), 2);
        assert_eq!(start(&["--threads=2", "a", "b"]), 2);
        assert_eq!(start(&["--", "a"]), 2);
        // The first path may be an option's value.
        assert_eq!(start(&["-o", "a", "b"]), 3);
        assert_eq!(start(&["-qj", "2", "b"]), 3);
        assert_eq!(start(&["--bogus", "a", "b"]), 3);
        assert_eq!(start(&["-q"]), 2);
        assert_eq!(start(&["a", "", "b"]), 3);
        assert_eq!(start(&[]), 1);
        // A program may be started with no arguments at all, not even its
        // name.
        assert_eq!(tail_start(&[], &cmd), 0);
        assert_eq!(
            show(Args::parse_from_args(Vec::new())),
            show(Args::try_parse_from(Vec::<OsString>::new()))
        );
    }

    #[test]
    fn named_paths_are_parsed_as_clap_parses_them() {
        let words = ["-q", "-j", "2", "-o", "out", "--", "-x", "a", "b"];
        let args = Args::parse_from_args(argv(&words)).unwrap();
        assert_eq!(args.files, [PathBuf::from("-x"), "a".into(), "b".into()]);
        assert_eq!(args.output, Some(PathBuf::from("out")));
        assert_eq!(args.threads, Some(2));
    }

    /// Options that only JSON Lines reads need `--jsonl` (without it the
    /// lines would be cleaned as text), and `--max-line` at least a byte.
    #[test]
    fn options_that_cannot_apply_are_refused() {
        use clap::error::ErrorKind;
        let kind = |words: &[&str]| Args::parse_from_args(argv(words)).err().map(|e| e.kind());
        for opt in [
            &["--field", "body"][..],
            &["--counts-field", "junk"],
            &["--skip-bad-lines"],
        ] {
            assert_eq!(
                kind(opt),
                Some(ErrorKind::MissingRequiredArgument),
                "{opt:?}"
            );
            assert_eq!(kind(&[opt, &["--jsonl"]].concat()), None, "{opt:?}");
        }
        assert_eq!(kind(&["--max-line", "0"]), Some(ErrorKind::ValueValidation));
        assert_eq!(kind(&["--max-line", "1"]), None);
        assert_eq!(kind(&["-j", "0"]), None);
    }

    proptest! {
        #[test]
        fn parses_as_clap_does(idx in proptest::collection::vec(0..WORDS.len(), 0..8)) {
            let words: Vec<&str> = idx.iter().map(|&i| WORDS[i]).collect();
            prop_assert_eq!(
                show(Args::parse_from_args(argv(&words))),
                show(Args::try_parse_from(argv(&words))),
                "{:?}", words
            );
        }
    }
}
