//! What is junk: the decision for each line, and the small window of lines
//! that block rules need.
//!
//! Per line, the matcher finds every rule hit. Then:
//!
//! * If line, span and block hits together cover every letter and digit of
//!   the line, the line is junk and goes (a whole-line label, or a paragraph
//!   made of junk sentences end to end). This is the only way a line rule
//!   removes anything, so a sentence of the article with a junk phrase in it
//!   stays.
//! * Otherwise the span hits are cut out of the line and the rest stays.
//! * A removed line whose rule is a block rule takes neighbours with it:
//!   short lines right before it in its paragraph (`before=N`), short lines
//!   right after it (`after=N`), or the following lines up to the first line
//!   that reads as prose (`box=N`).
//!
//! To reach back, the detector holds the run of short lines at the end of
//! the current paragraph, at most the largest `before=N` of the enabled
//! rules (never more than 8). Long lines, blank lines and everything else
//! flow straight through.

use std::collections::VecDeque;
use std::io::Write;

use crate::edit::Editor;
use crate::matcher::{Hit, Matcher, Scratch};
use crate::patterns::Scope;
use crate::prefilter::Skipper;
use crate::report::{Observer, Removal};
use crate::text::{self, Shape};

/// The decision for one line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    Keep,
    /// The line goes. `scope` is `Block` for a neighbour a block rule took.
    Drop {
        rule: u32,
        scope: Scope,
    },
    /// Spans are cut; they are in the line's `cuts`.
    Cut,
}

/// A line held in the window.
#[derive(Debug, Default)]
struct Held {
    text: Vec<u8>,
    lineno: u64,
    offset: u64,
    verdict: Option<Verdict>,
    cuts: Vec<(usize, usize, u32)>,
}

/// The streaming detector. Lines go in; decisions come out, in order, to the
/// editor and the observer.
pub(crate) struct Detector<'m, W, O> {
    matcher: &'m Matcher,
    categories: &'m [String],
    editor: Editor<W>,
    observer: O,
    scratch: Scratch,
    skipper: Skipper,
    hits: Vec<Hit>,
    cuts: Vec<(usize, usize, u32)>,
    held: VecDeque<Held>,
    spare: Vec<Held>,
    hold_max: usize,
    /// Lines still to take after an anchor, in its paragraph (`after=N`).
    after_left: u8,
    after_rule: u32,
    /// Lines still to take up to the first prose line (`box=N`).
    box_left: u8,
    box_rule: u32,
    lineno: u64,
    pub lines_in: u64,
    pub overlong: u64,
}

impl<'m, W: Write, O: Observer> Detector<'m, W, O> {
    pub fn new(
        matcher: &'m Matcher,
        categories: &'m [String],
        hold_max: usize,
        wtr: W,
        observer: O,
    ) -> Self {
        Detector {
            matcher,
            categories,
            editor: Editor::new(wtr),
            observer,
            scratch: Scratch::default(),
            skipper: Skipper::default(),
            hits: Vec::new(),
            cuts: Vec::new(),
            held: VecDeque::new(),
            spare: Vec::new(),
            hold_max,
            after_left: 0,
            after_rule: 0,
            box_left: 0,
            box_rule: 0,
            lineno: 0,
            lines_in: 0,
            overlong: 0,
        }
    }

    /// One complete line (no terminator) at absolute byte `offset`; `ahead`
    /// is the input buffered from the line on (see `lines::Event::Line`).
    pub fn line(&mut self, line: &[u8], offset: u64, ahead: &[u8]) -> std::io::Result<()> {
        self.lineno += 1;
        self.lines_in += 1;
        if text::is_blank(line) {
            self.flush_held()?;
            self.after_left = 0;
            self.editor.blank();
            return Ok(());
        }
        // The prefilter proves most lines safe without the matcher. A block
        // rule's reach still running needs the line's hits, so it asks too.
        let skip = self.box_left == 0
            && self.after_left == 0
            && self.matcher.prefilter.can_skip(
                &self.matcher.rules,
                line,
                offset,
                ahead,
                &mut self.skipper,
            );
        let mut verdict = if skip {
            self.hits.clear();
            self.cuts.clear();
            Verdict::Keep
        } else {
            self.classify(line)
        };
        // Lazily computed: only block reach needs the shape of a line.
        let mut shape: Option<Shape> = None;
        let mut shape_of = |line: &[u8]| *shape.get_or_insert_with(|| Shape::of(line));

        if self.box_left > 0 {
            self.box_left -= 1;
            if !matches!(verdict, Verdict::Drop { .. }) {
                if shape_of(line).is_prose() {
                    self.box_left = 0;
                } else {
                    verdict = Verdict::Drop {
                        rule: self.box_rule,
                        scope: Scope::Block,
                    };
                }
            }
        }
        if self.after_left > 0 {
            self.after_left -= 1;
            if !matches!(verdict, Verdict::Drop { .. }) {
                if shape_of(line).is_short() {
                    verdict = Verdict::Drop {
                        rule: self.after_rule,
                        scope: Scope::Block,
                    };
                } else {
                    self.after_left = 0;
                }
            }
        }
        if let Verdict::Drop {
            rule,
            scope: Scope::Block,
        } = verdict
        {
            let reach = self.matcher.rules[rule as usize].reach;
            if self.matcher.rules[rule as usize].scope == Scope::Block
                && self.hits.iter().any(|h| h.rule == rule)
            {
                // The anchor itself: apply its reach.
                let n = (reach.before as usize).min(self.held.len());
                let len = self.held.len();
                for h in self.held.iter_mut().skip(len - n) {
                    if !matches!(h.verdict, Some(Verdict::Drop { .. })) {
                        h.verdict = Some(Verdict::Drop {
                            rule,
                            scope: Scope::Block,
                        });
                    }
                }
                if reach.after > 0 {
                    self.after_left = reach.after;
                    self.after_rule = rule;
                }
                if reach.until_prose > 0 {
                    self.box_left = reach.until_prose;
                    self.box_rule = rule;
                }
            }
        }

        if self.hold_max > 0 && line.len() <= 160 && text::is_short(line) {
            let mut held = self.spare.pop().unwrap_or_default();
            held.text.clear();
            held.text.extend_from_slice(line);
            held.lineno = self.lineno;
            held.offset = offset;
            held.verdict = Some(verdict);
            held.cuts.clear();
            held.cuts.extend_from_slice(&self.cuts);
            self.held.push_back(held);
            if self.held.len() > self.hold_max {
                let front = self.held.pop_front().expect("window is not empty");
                self.emit_held(front)?;
            }
            return Ok(());
        }
        self.flush_held()?;
        let cuts = std::mem::take(&mut self.cuts);
        let res = self.emit(line, self.lineno, offset, verdict, &cuts);
        self.cuts = cuts;
        res
    }

    /// A piece of an overlong line: copied through, never matched.
    pub fn long(&mut self, piece: &[u8], first: bool, last: bool) -> std::io::Result<()> {
        if first {
            self.flush_held()?;
            self.lineno += 1;
            self.lines_in += 1;
            self.overlong += 1;
            self.after_left = 0;
            self.box_left = 0;
            self.editor.long_start()?;
        }
        self.editor.long_piece(piece)?;
        if last {
            self.editor.long_end()?;
        }
        Ok(())
    }

    /// End of input: flush what is held.
    pub fn finish(&mut self) -> std::io::Result<()> {
        self.flush_held()?;
        self.editor.flush()
    }

    pub fn editor(&self) -> &Editor<W> {
        &self.editor
    }

    /// Decides one line on its own. Fills `self.hits` and, for `Cut`,
    /// `self.cuts`.
    fn classify(&mut self, line: &[u8]) -> Verdict {
        self.cuts.clear();
        self.matcher.find(line, &mut self.scratch, &mut self.hits);
        if self.hits.is_empty() {
            return Verdict::Keep;
        }
        if covers(line, &self.hits) {
            // Prefer a block rule (its reach applies), then the longest hit.
            let rules = &self.matcher.rules;
            let best = self
                .hits
                .iter()
                .max_by_key(|h| {
                    (
                        rules[h.rule as usize].scope == Scope::Block,
                        h.end - h.start,
                    )
                })
                .expect("hits is not empty");
            return Verdict::Drop {
                rule: best.rule,
                scope: rules[best.rule as usize].scope,
            };
        }
        let mut last_end = 0;
        for h in &self.hits {
            if self.matcher.rules[h.rule as usize].scope == Scope::Span && h.start >= last_end {
                self.cuts.push((h.start, h.end, h.rule));
                last_end = h.end;
            }
        }
        if self.cuts.is_empty() {
            Verdict::Keep
        } else {
            Verdict::Cut
        }
    }

    fn flush_held(&mut self) -> std::io::Result<()> {
        while let Some(h) = self.held.pop_front() {
            self.emit_held(h)?;
        }
        Ok(())
    }

    fn emit_held(&mut self, h: Held) -> std::io::Result<()> {
        let verdict = h.verdict.unwrap_or(Verdict::Keep);
        let res = self.emit(&h.text, h.lineno, h.offset, verdict, &h.cuts);
        self.spare.push(h);
        res
    }

    /// Reports and writes one decided line.
    fn emit(
        &mut self,
        line: &[u8],
        lineno: u64,
        offset: u64,
        verdict: Verdict,
        cuts: &[(usize, usize, u32)],
    ) -> std::io::Result<()> {
        match verdict {
            Verdict::Keep => self.editor.keep(line),
            Verdict::Drop { rule, scope } => {
                let (lo, hi) = text::trim_range(line);
                self.report(rule, scope, lineno, offset, lo, hi, line);
                Ok(())
            }
            Verdict::Cut => {
                for &(s, e, rule) in cuts {
                    self.report(rule, Scope::Span, lineno, offset, s, e, line);
                }
                let mut ranges = [(0usize, 0usize); 16];
                if cuts.len() <= ranges.len() {
                    for (r, c) in ranges.iter_mut().zip(cuts) {
                        *r = (c.0, c.1);
                    }
                    self.editor.keep_cut(line, &ranges[..cuts.len()])
                } else {
                    let v: Vec<(usize, usize)> = cuts.iter().map(|c| (c.0, c.1)).collect();
                    self.editor.keep_cut(line, &v)
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn report(
        &mut self,
        rule: u32,
        scope: Scope,
        lineno: u64,
        offset: u64,
        start: usize,
        end: usize,
        line: &[u8],
    ) {
        let r = &self.matcher.rules[rule as usize];
        let removed = String::from_utf8_lossy(&line[start..end]);
        self.observer.removal(&Removal {
            category: &self.categories[r.category],
            rule: &r.text,
            origin: &r.origin,
            origin_line: r.line,
            scope,
            line: lineno,
            range: offset + start as u64..offset + end as u64,
            text: &removed,
        });
    }
}

/// True when the hits cover every letter and digit of `line`.
fn covers(line: &[u8], hits: &[Hit]) -> bool {
    let mut pos = 0;
    for h in hits {
        if h.start > pos && has_alnum(&line[pos..h.start]) {
            return false;
        }
        pos = pos.max(h.end);
    }
    !has_alnum(&line[pos..])
}

fn has_alnum(s: &[u8]) -> bool {
    if s.iter().any(|b| b.is_ascii_alphanumeric()) {
        return true;
    }
    s.iter().any(|&b| b >= 0x80)
        && String::from_utf8_lossy(s)
            .chars()
            .any(|c| c.is_alphanumeric() && c != '\u{fffd}')
}
