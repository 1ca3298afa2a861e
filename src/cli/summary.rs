//! The progress bar while a run goes on, and the summary at its end (text
//! on stderr, or JSON).

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use dejunk::{Stats, Summary};

use super::jsonl::RecordCounts;

/// Files and bytes done, drawn on stderr when it is a terminal.
pub struct Progress {
    bar: Option<ProgressBar>,
    files_total: AtomicU64,
}

impl Progress {
    pub fn new(show: bool) -> Progress {
        let bar = show.then(|| {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template(
                "{bar:30} {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta} {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Progress {
            bar,
            files_total: AtomicU64::new(0),
        }
    }

    /// A file of `size` bytes was found.
    pub fn found(&self, size: u64) {
        self.files_total.fetch_add(1, Ordering::Relaxed);
        if let Some(b) = &self.bar {
            b.inc_length(size);
        }
    }

    /// `n` more bytes were read.
    pub fn read(&self, n: u64) {
        if let Some(b) = &self.bar {
            b.inc(n);
        }
    }

    /// `done` files are finished.
    pub fn files_done(&self, done: u64) {
        if let Some(b) = &self.bar {
            let total = self.files_total.load(Ordering::Relaxed);
            b.set_message(format!("{done}/{total} files"));
        }
    }

    /// Prints a line to stderr without tearing the bar.
    pub fn eprintln(&self, line: &str) {
        let print = || {
            let _ = writeln!(io::stderr().lock(), "{line}");
        };
        match &self.bar {
            Some(b) => b.suspend(print),
            None => print(),
        }
    }

    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// Everything a run did, added up.
#[derive(Debug, Default)]
pub struct Totals {
    pub cleaned: u64,
    /// Of the cleaned, those --in-place left as they were (already clean).
    pub unchanged: u64,
    pub skipped: u64,
    pub failed: u64,
    /// Bytes read, before decoding.
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub lines_in: u64,
    pub lines_out: u64,
    pub overlong_lines: u64,
    /// Invalid sequences replaced with U+FFFD.
    pub replaced: u64,
    /// Files per encoding they were decoded from.
    pub encodings: BTreeMap<String, u64>,
    pub stats: Stats,
    pub records: RecordCounts,
    pub jsonl: bool,
}

impl Totals {
    pub fn files(&self) -> u64 {
        self.cleaned + self.skipped + self.failed
    }

    pub fn add_summary(&mut self, s: &Summary) {
        self.lines_in += s.lines_in;
        self.lines_out += s.lines_out;
        self.overlong_lines += s.overlong_lines;
        if let Some(d) = &s.decoding {
            self.replaced += d.replaced;
            // The name is copied only the first time: once per encoding,
            // not once per file.
            let name = d.encoding.name();
            match self.encodings.get_mut(name) {
                Some(n) => *n += 1,
                None => {
                    self.encodings.insert(name.to_string(), 1);
                }
            }
        }
    }

    pub fn print(&self, elapsed: Duration, progress: &Progress) {
        let secs = elapsed.as_secs_f64().max(1e-9);
        let mb = |b: u64| b as f64 / 1e6;
        let unchanged = if self.unchanged > 0 {
            format!(" ({} already clean, not rewritten)", self.unchanged)
        } else {
            String::new()
        };
        let mut lines = vec![format!(
            "dejunk: {}: {} cleaned{unchanged}, {} skipped, {} failed",
            count(self.files(), "file"),
            self.cleaned,
            self.skipped,
            self.failed
        )];
        lines.push(format!(
            "dejunk: {:.1} MB in, {:.1} MB out, {:.2} s, {:.1} MB/s, {:.0} files/s",
            mb(self.bytes_in),
            mb(self.bytes_out),
            secs,
            mb(self.bytes_in) / secs,
            self.files() as f64 / secs
        ));
        if self.jsonl {
            lines.push(format!(
                "dejunk: {} records, {} without text, {} malformed lines",
                self.records.records, self.records.without_text, self.records.bad
            ));
        }
        let legacy: Vec<String> = self
            .encodings
            .iter()
            .filter(|(k, _)| k.as_str() != "UTF-8")
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        if !legacy.is_empty() {
            lines.push(format!("dejunk: decoded from: {}", legacy.join(", ")));
        }
        if self.replaced > 0 || self.overlong_lines > 0 {
            lines.push(format!(
                "dejunk: {} invalid byte sequences replaced, {} overlong lines passed through",
                self.replaced, self.overlong_lines
            ));
        }
        lines.push(format!(
            "{:<12} {:>8} {:>10}",
            "category", "removals", "bytes"
        ));
        for (cat, (n, bytes)) in &self.stats.by_category {
            lines.push(format!("{cat:<12} {n:>8} {bytes:>10}"));
        }
        lines.push(format!("{:<12} {:>8}", "total", self.stats.removals()));
        for l in lines {
            progress.eprintln(&l);
        }
    }

    pub fn to_json(&self, elapsed: Duration) -> serde_json::Value {
        let secs = elapsed.as_secs_f64().max(1e-9);
        let mut cats = serde_json::Map::new();
        for (cat, (n, bytes)) in &self.stats.by_category {
            cats.insert(
                cat.clone(),
                serde_json::json!({ "removals": n, "bytes": bytes }),
            );
        }
        let mut v = serde_json::json!({
            "files": {
                "total": self.files(),
                "cleaned": self.cleaned,
                "unchanged": self.unchanged,
                "skipped": self.skipped,
                "failed": self.failed,
            },
            "bytes_in": self.bytes_in,
            "bytes_out": self.bytes_out,
            "lines_in": self.lines_in,
            "lines_out": self.lines_out,
            "overlong_lines": self.overlong_lines,
            "replaced_sequences": self.replaced,
            "encodings": self.encodings,
            "removals": {
                "total": self.stats.removals(),
                "by_category": cats,
            },
            "elapsed_seconds": secs,
            "mb_per_second": self.bytes_in as f64 / 1e6 / secs,
            "files_per_second": self.files() as f64 / secs,
        });
        if self.jsonl {
            v["records"] = serde_json::json!({
                "total": self.records.records,
                "without_text": self.records.without_text,
                "malformed": self.records.bad,
            });
        }
        v
    }
}

/// `n` and the noun, `-s` added unless `n` is 1: `1 file`, `2 files`.
pub fn count(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// When the run started.
pub fn now() -> Instant {
    Instant::now()
}
