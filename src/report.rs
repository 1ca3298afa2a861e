//! What the cleaner removed: one [`Removal`] event per removed line or span,
//! handed to a caller-supplied [`Observer`], and [`Stats`], an observer that
//! counts them per category.

use std::collections::BTreeMap;
use std::ops::Range;

pub use crate::decode::Decoding;
pub use crate::patterns::Scope;

/// One removal: a dropped line, a dropped block line, or a span cut out of a
/// line.
#[derive(Clone, Debug)]
pub struct Removal<'a> {
    /// The category of the rule (the pattern file), e.g. `ads`.
    pub category: &'a str,
    /// The rule's entry as written in its pattern file, e.g. `Image zoom {rest}`.
    pub rule: &'a str,
    /// Where the rule is defined: `<builtin>/media.txt:12` or `my.txt:3`.
    pub origin: &'a str,
    /// The line of the pattern file.
    pub origin_line: usize,
    /// Whether a line, a span or a block (the anchor or a neighbour it took
    /// along) was removed.
    pub scope: Scope,
    /// The 1-based line number in the input.
    pub line: u64,
    /// Byte range of the removed text in the (decoded) input.
    pub range: Range<u64>,
    /// The removed text.
    pub text: &'a str,
}

/// Receives every removal as it happens. Implemented for any
/// `FnMut(&Removal)`.
pub trait Observer {
    /// Called once per removal, in input order.
    fn removal(&mut self, removal: &Removal<'_>);

    /// False when `removal` ignores everything, so that the cleaner need
    /// not build the [`Removal`]s. True unless overridden.
    fn wants_removals(&self) -> bool {
        true
    }
}

impl<F: FnMut(&Removal<'_>)> Observer for F {
    fn removal(&mut self, removal: &Removal<'_>) {
        self(removal)
    }
}

/// An observer that ignores everything.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoObserver;

impl Observer for NoObserver {
    fn removal(&mut self, _: &Removal<'_>) {}

    fn wants_removals(&self) -> bool {
        false
    }
}

/// Counts of what one or more cleanings did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Lines read.
    pub lines_in: u64,
    /// Lines written.
    pub lines_out: u64,
    /// Bytes read (after decoding to UTF-8).
    pub bytes_in: u64,
    /// Bytes written.
    pub bytes_out: u64,
    /// Lines longer than the line limit, passed through unchanged.
    pub overlong_lines: u64,
    /// How the input was decoded; `None` for text that was already a
    /// string. [`add`](Summary::add) keeps the first one.
    pub decoding: Option<Decoding>,
}

impl Summary {
    /// Adds another summary's counts to this one.
    pub fn add(&mut self, other: &Summary) {
        self.lines_in += other.lines_in;
        self.lines_out += other.lines_out;
        self.bytes_in += other.bytes_in;
        self.bytes_out += other.bytes_out;
        self.overlong_lines += other.overlong_lines;
        if self.decoding.is_none() {
            self.decoding = other.decoding;
        }
    }
}

/// Removal counts per category: an [`Observer`] to pass to a cleaning.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Per category: (removals, bytes removed).
    pub by_category: BTreeMap<String, (u64, u64)>,
}

impl Stats {
    /// Total removals over all categories.
    pub fn removals(&self) -> u64 {
        self.by_category.values().map(|v| v.0).sum()
    }

    /// Adds another `Stats` to this one.
    pub fn merge(&mut self, other: &Stats) {
        for (k, v) in &other.by_category {
            // The key is copied only the first time: bulk runs merge one
            // `Stats` per file.
            let e = match self.by_category.get_mut(k) {
                Some(e) => e,
                None => self.by_category.entry(k.clone()).or_default(),
            };
            e.0 += v.0;
            e.1 += v.1;
        }
    }
}

impl Observer for Stats {
    fn removal(&mut self, r: &Removal<'_>) {
        let e = match self.by_category.get_mut(r.category) {
            Some(e) => e,
            None => self.by_category.entry(r.category.to_string()).or_default(),
        };
        e.0 += 1;
        e.1 += r.range.end - r.range.start;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(entries: &[(&str, u64, u64)]) -> Stats {
        Stats {
            by_category: entries
                .iter()
                .map(|&(k, n, b)| (k.to_string(), (n, b)))
                .collect(),
        }
    }

    #[test]
    fn merge_adds_per_category() {
        let mut total = stats(&[("ads", 2, 30)]);
        total.merge(&stats(&[("ads", 1, 5), ("media", 3, 40)]));
        total.merge(&stats(&[("media", 1, 2)]));
        assert_eq!(total, stats(&[("ads", 3, 35), ("media", 4, 42)]));
        assert_eq!(total.removals(), 7);
    }
}
