//! `dejunk learn`: arguments and input reading for the pattern learner. The
//! learning itself is the library's (`dejunk::learn`). Exit codes as for
//! cleaning: 0 success, 1 some input could not be read (the rest was), 2 bad
//! usage or nothing to learn from.

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use clap::Parser;

use dejunk::learn::{Learner, LearnerBuilder};

const EXIT_OK: i32 = 0;
const EXIT_SOME_FAILED: i32 = 1;
const EXIT_USAGE: i32 = 2;

/// Learn a site's boilerplate from many of its documents and write it as a
/// pattern file for `dejunk --patterns`.
#[derive(Parser, Debug)]
#[command(name = "dejunk learn", bin_name = "dejunk learn", version, long_about = LONG_ABOUT)]
#[command(after_help = AFTER_HELP)]
struct Args {
    /// Files, directories (read recursively) or '-' for standard input.
    #[arg(value_name = "PATH", required = true)]
    paths: Vec<PathBuf>,

    /// Learn lines and sentences that recur in at least N documents
    /// (near-duplicate documents count once).
    #[arg(long, value_name = "N", default_value_t = 5)]
    min_docs: u32,

    /// Read every input as JSON Lines, one document per line (files ending
    /// in .jsonl always are).
    #[arg(long)]
    jsonl: bool,

    /// The JSON field that holds a document's text.
    #[arg(long, value_name = "NAME", default_value = "text")]
    field: String,

    /// A JSON field that names the document's site, e.g. 'domain':
    /// boilerplate recurs within a site, article text across sites.
    #[arg(long, value_name = "FIELD")]
    group_by: Option<String>,

    /// Plain files: their directory names the site (scraped/site-a/*.txt,
    /// scraped/site-b/*.txt).
    #[arg(long)]
    group_by_dir: bool,

    /// Write the pattern file here instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,

    /// The category of the learned patterns (for --disable, --explain).
    #[arg(long, value_name = "NAME", default_value = "learned")]
    category: String,

    /// Count whole lines only, not sentences inside lines.
    #[arg(long)]
    no_sentences: bool,

    /// Count near-duplicate documents separately instead of once.
    #[arg(long)]
    keep_duplicates: bool,

    /// The most distinct lines and sentences held in memory (the default
    /// keeps the table within about 135 MB, plus one example of each unit
    /// seen twice).
    #[arg(long, value_name = "N", default_value_t = dejunk::learn::DEFAULT_MAX_KEYS)]
    max_keys: usize,
}

const LONG_ABOUT: &str = "\
Learn a site's boilerplate from many of its documents.

dejunk learn reads documents (plain-text files, one document each, or JSON
Lines with one document per record), finds the lines and sentences that recur
word for word in at least --min-docs documents (compared with case, whitespace
and numbers ignored), and writes them as a pattern file for
'dejunk --patterns'. Each entry comes after a comment with its document count
and an example.

Text can recur because articles share it (a wire story on many sites, a
quote everyone carried). Near-duplicate documents count once, and entries
that read as prose (quoted speech, reporting verbs, full sentences spread over
many sites or inside paragraphs) are written commented out, marked
'# review: looks like prose'. Review the file before you use it.";

const AFTER_HELP: &str = "\
Examples:
  dejunk learn --min-docs 20 scraped/ -o mysite.txt
  dejunk learn --group-by-dir scraped/ -o learned.txt   (scraped/SITE/*.txt)
  dejunk learn --group-by domain --field text pages.jsonl -o learned.txt
  dejunk --patterns learned.txt article.txt

To clean a file named 'learn', write 'dejunk ./learn'.";

/// Runs `dejunk learn`; `args` starts with `learn`.
pub fn run(args: impl Iterator<Item = OsString>) -> i32 {
    let args = match Args::try_parse_from(args) {
        Ok(a) => a,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
            let _ = e.print();
            return code;
        }
    };
    if dejunk::CleanerBuilder::new()
        .builtin(false)
        .patterns_str("check", &format!("@category {}\n", args.category))
        .build()
        .is_err()
    {
        eprintln!(
            "dejunk learn: bad category name '{}': use lowercase letters, digits, '-' and '_'",
            args.category
        );
        return EXIT_USAGE;
    }
    let mut learner = LearnerBuilder::new()
        .min_docs(args.min_docs)
        .max_keys(args.max_keys)
        .sentences(!args.no_sentences)
        .near_duplicates(!args.keep_duplicates)
        .build();
    let mut failed = 0;
    for path in &args.paths {
        if path.as_os_str() == "-" {
            let stdin = io::stdin().lock();
            if let Err(e) = read_input(&args, "<stdin>", "", args.jsonl, stdin, &mut learner) {
                eprintln!("dejunk learn: <stdin>: {e}");
                failed += 1;
            }
            continue;
        }
        let mut files = Vec::new();
        if let Err(e) = walk(path, &mut files) {
            eprintln!("dejunk learn: {}: {e}", path.display());
            failed += 1;
        }
        for file in files {
            let name = file.display().to_string();
            let jsonl = args.jsonl || file.extension().is_some_and(|x| x == "jsonl");
            // The directory under the one named on the command line.
            let dir = match file.parent() {
                Some(d) if args.group_by_dir => match d.strip_prefix(path) {
                    Ok(rel) if !rel.as_os_str().is_empty() => rel.display().to_string(),
                    _ => d.display().to_string(),
                },
                _ => String::new(),
            };
            let result = File::open(&file).and_then(|f| {
                read_input(&args, &name, &dir, jsonl, BufReader::new(f), &mut learner)
            });
            if let Err(e) = result {
                eprintln!("dejunk learn: {name}: {e}");
                failed += 1;
            }
        }
    }
    if learner.docs() == 0 {
        eprintln!("dejunk learn: no documents read");
        return EXIT_USAGE;
    }
    let units = learner.units();
    let learned = learner.finish();
    let review = learned
        .entries()
        .iter()
        .filter(|e| !e.is_boilerplate())
        .count();
    let written = match &args.output {
        Some(path) => File::create(path).and_then(|f| {
            let mut wtr = BufWriter::new(f);
            learned.write_patterns(&mut wtr, &args.category)?;
            wtr.flush()
        }),
        None => {
            let mut wtr = BufWriter::new(io::stdout().lock());
            learned
                .write_patterns(&mut wtr, &args.category)
                .and_then(|_| wtr.flush())
        }
    };
    match written {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return EXIT_OK,
        Err(e) => {
            eprintln!("dejunk learn: write error: {e}");
            return EXIT_SOME_FAILED;
        }
    }
    eprintln!(
        "dejunk learn: {} documents ({} near-duplicates), {} distinct lines and sentences held: {} entries, {} of them for review",
        learned.docs(),
        learned.near_duplicates(),
        units,
        learned.entries().len(),
        review
    );
    if failed > 0 {
        EXIT_SOME_FAILED
    } else {
        EXIT_OK
    }
}

/// Lists the files under `path` (itself, if it is a file), sorted.
fn walk(path: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    if !fs::metadata(path)?.is_dir() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = fs::read_dir(path)?
        .map(|e| e.map(|e| e.path()))
        .collect::<io::Result<_>>()?;
    entries.sort();
    for p in entries {
        if let Err(e) = walk(&p, out) {
            eprintln!("dejunk learn: {}: {e}", p.display());
        }
    }
    Ok(())
}

/// Adds the documents of one input: the whole of it, or one per JSON line.
/// `group` is the group of a plain document (or of records without the
/// --group-by field).
fn read_input<R: BufRead>(
    args: &Args,
    name: &str,
    group: &str,
    jsonl: bool,
    mut rdr: R,
    learner: &mut Learner,
) -> io::Result<()> {
    if !jsonl {
        let mut buf = Vec::new();
        rdr.read_to_end(&mut buf)?;
        learner.add_in_group(group, &String::from_utf8_lossy(&buf));
        return Ok(());
    }
    let mut bad = 0u64;
    let mut first_bad = None;
    let mut line = Vec::new();
    let mut lineno = 0u64;
    loop {
        line.clear();
        if rdr.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        lineno += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let record: serde_json::Value = match serde_json::from_slice(&line) {
            Ok(v) => v,
            Err(e) => {
                bad += 1;
                first_bad.get_or_insert_with(|| format!("{name}:{lineno}: {e}"));
                continue;
            }
        };
        let Some(text) = record.get(&args.field).and_then(|v| v.as_str()) else {
            bad += 1;
            first_bad.get_or_insert_with(|| {
                format!("{name}:{lineno}: no string field '{}'", args.field)
            });
            continue;
        };
        let site = args
            .group_by
            .as_ref()
            .and_then(|f| record.get(f))
            .map(|v| match v {
                serde_json::Value::String(s) => s.clone(),
                v => v.to_string(),
            });
        learner.add_in_group(site.as_deref().unwrap_or(group), text);
    }
    if let Some(first) = first_bad {
        eprintln!("dejunk learn: {bad} records skipped; the first: {first}");
    }
    Ok(())
}
