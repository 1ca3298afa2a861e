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
//! * Otherwise the enabled shapes (`src/shapes.rs`) look at the line: a
//!   share bar, a counter, a line of links, a photo credit alone.
//! * Otherwise the span hits are cut out of the line and the rest stays. A
//!   cut is made only at token edges, so no new word is ever produced. When
//!   the cuts end the line and leave a short fragment with no sentence end
//!   and no verb, the `caption` shape takes the whole line (a caption with
//!   its credit).
//! * A removed line whose rule is a block rule takes neighbours with it:
//!   card lines right before it in its paragraph (`before=N`), card lines
//!   right after it (`after=N`), or the following lines up to the first line
//!   that reads as prose (`box=N`). A card line is short and not a statement
//!   (see `Shape::is_card_line`): a sentence ending in a full stop stops the
//!   reach, so the paragraph beside a card stays.
//!
//! To reach back, the detector holds the run of card lines at the end of
//! the current paragraph, at most the largest `before=N` of the enabled
//! rules (never more than 8). Long lines, blank lines and everything else
//! flow straight through.

use std::collections::VecDeque;
use std::io::Write;

use crate::edit::Editor;
use crate::lines::Event;
use crate::matcher::{Hit, Matcher, Scratch};
use crate::patterns::Scope;
use crate::prefilter::Skipper;
use crate::report::{Observer, Removal};
use crate::shapes;
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

/// A line held in the window: a copy of it, or (when the detector has the
/// whole input, see [`Detector::whole_input`]) only where it is.
#[derive(Debug, Default)]
struct Held {
    text: Vec<u8>,
    len: usize,
    lineno: u64,
    offset: u64,
    verdict: Option<Verdict>,
    cuts: Vec<(usize, usize, u32)>,
}

/// A detector's buffers: capacity only, no state from one input to the
/// next once [`Buffers::reset`], but for the matcher's memo of the hits of
/// short lines it has seen (see `matcher::LineMemo`), which never changes
/// what a line gets. The cleaner keeps a set per thread for `clean_str` and
/// `clean_reader`, so cleaning many small documents does not allocate them
/// anew each time (allocation was 4% of cleaning an article), and
/// boilerplate lines seen in one document are not matched again in the next.
#[derive(Debug, Default)]
pub(crate) struct Buffers {
    scratch: Scratch,
    skipper: Skipper,
    hits: Vec<Hit>,
    cuts: Vec<(usize, usize, u32)>,
    // Boxed: a line enters and leaves the window by a move of its box,
    // not of its `Held` (some 80 bytes), whose copy the next load of its
    // fields waited for; boxed, a text of one word a line is 6-7% faster.
    held: VecDeque<Box<Held>>,
    #[allow(clippy::vec_box)] // (moved into `held`: boxed for the same reason)
    spare: Vec<Box<Held>>,
}

impl Buffers {
    /// Forgets everything but capacity.
    pub fn reset(&mut self) {
        self.skipper.reset();
        self.hits.clear();
        self.cuts.clear();
        self.spare.extend(self.held.drain(..));
    }

    /// About how many bytes the buffers hold.
    pub fn capacity(&self) -> usize {
        let held: usize = self
            .spare
            .iter()
            .chain(&self.held)
            .map(|h| h.text.capacity())
            .sum();
        self.scratch.capacity()
            + self.skipper.capacity()
            + held
            + self.hits.capacity() * size_of::<Hit>()
    }
}

/// The streaming detector. Lines go in; decisions come out, in order, to the
/// editor and the observer.
pub(crate) struct Detector<'m, W, O> {
    matcher: &'m Matcher,
    categories: &'m [String],
    editor: Editor<W>,
    observer: O,
    /// The matcher's scratch, the prefilter's state, this line's hits and
    /// cuts, and the window of held lines (with spares to reuse).
    bufs: Buffers,
    hold_max: usize,
    /// Lines still to take after an anchor, in its paragraph (`after=N`).
    after_left: u8,
    after_rule: u32,
    /// Lines still to take up to the first prose line (`box=N`).
    box_left: u8,
    box_rule: u32,
    /// The number of the current line, which is also the lines read so far
    /// ([`Detector::lines_in`]). One counter: two counted side by side were
    /// compiled to one 16-byte load, add and store on the stack per line,
    /// which stalled (`perf` put four fifths of a blank line's time there,
    /// likely a store that crossed a cache line): a file of blank lines ran
    /// three times slower.
    lineno: u64,
    pub overlong: u64,
    /// The whole input, when it is one slice that outlives the detector
    /// (`clean_str`): held lines are then written from it, not copied.
    whole: Option<&'m [u8]>,
}

impl<'m, W: Write, O: Observer> Detector<'m, W, O> {
    /// A detector with fresh buffers (the cleaner passes its own, see
    /// [`Detector::with_buffers`]).
    #[cfg(test)]
    pub fn new(
        matcher: &'m Matcher,
        categories: &'m [String],
        hold_max: usize,
        wtr: W,
        observer: O,
    ) -> Self {
        Detector::with_buffers(
            matcher,
            categories,
            hold_max,
            Editor::new(wtr),
            observer,
            Buffers::default(),
        )
    }

    /// A detector that writes through `editor` and works in `buffers`,
    /// which must be fresh or [`Buffers::reset`].
    pub fn with_buffers(
        matcher: &'m Matcher,
        categories: &'m [String],
        hold_max: usize,
        editor: Editor<W>,
        observer: O,
        buffers: Buffers,
    ) -> Self {
        Detector {
            matcher,
            categories,
            editor,
            observer,
            bufs: buffers,
            hold_max,
            after_left: 0,
            after_rule: 0,
            box_left: 0,
            box_rule: 0,
            lineno: 0,
            overlong: 0,
            whole: None,
        }
    }

    /// Tells the detector that `whole` is all of its input, lines at their
    /// offsets in it. Held lines are then not copied, and are written from
    /// it: a piece of `clean_str`'s input goes into its result without
    /// being checked as UTF-8 again, where a copy is checked (a held line is
    /// any short line, most of an article's).
    pub fn whole_input(&mut self, whole: &'m [u8]) {
        self.whole = Some(whole);
    }

    /// One complete line (no terminator) at absolute byte `offset`; `ahead`
    /// is the input buffered from the line on, and `ends_input` says that it
    /// runs to the end of the input (see `lines::Event::Line`).
    pub fn line(
        &mut self,
        line: &[u8],
        offset: u64,
        ahead: &[u8],
        ends_input: bool,
    ) -> std::io::Result<()> {
        self.lineno += 1;
        if text::is_blank(line) {
            self.flush_held()?;
            self.after_left = 0;
            self.editor.blank();
            return Ok(());
        }
        // Trimmed once for the prefilter, the shapes and the hold test.
        let (lo, hi) = text::trim_range(line);
        // The prefilter proves most lines safe without the matcher, and
        // finds the span hits of many others. A block rule's reach still
        // running needs the line's hits, so it asks the matcher too.
        let prefiltered = self.box_left == 0
            && self.after_left == 0
            && self.matcher.prefilter.check(
                &self.matcher.rules,
                line,
                (lo, hi),
                offset,
                ahead,
                ends_input,
                &mut self.bufs.skipper,
                &mut self.bufs.hits,
            );
        if !prefiltered {
            self.matcher
                .find(line, &mut self.bufs.scratch, &mut self.bufs.hits);
        }
        let mut verdict = self.decide(line, &line[lo..hi]);
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
                if shape_of(line).is_card_line() {
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
                && self.bufs.hits.iter().any(|h| h.rule == rule)
            {
                // The anchor itself: apply its reach.
                let n = (reach.before as usize).min(self.bufs.held.len());
                let len = self.bufs.held.len();
                for h in self.bufs.held.iter_mut().skip(len - n) {
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

        if self.hold_max > 0 && text::is_held_card_trimmed(&line[lo..hi]) {
            let mut held = self.bufs.spare.pop().unwrap_or_default();
            held.text.clear();
            if self.whole.is_none() {
                held.text.extend_from_slice(line);
            }
            held.len = line.len();
            held.lineno = self.lineno;
            held.offset = offset;
            held.verdict = Some(verdict);
            held.cuts.clear();
            held.cuts.extend_from_slice(&self.bufs.cuts);
            self.bufs.held.push_back(held);
            if self.bufs.held.len() > self.hold_max {
                let front = self.bufs.held.pop_front().expect("window is not empty");
                self.emit_held(front)?;
            }
            return Ok(());
        }
        self.flush_held()?;
        let cuts = std::mem::take(&mut self.bufs.cuts);
        let res = self.emit(line, self.lineno, offset, verdict, &cuts);
        self.bufs.cuts = cuts;
        res
    }

    /// One event of the line reader: a line ([`Detector::line`]) or a piece
    /// of an overlong one ([`Detector::long`]). Always inlined: as the one
    /// caller of `line`, it took a copy of `line`'s body, and the stream
    /// took 0.3% more instructions.
    #[inline(always)]
    pub fn event(&mut self, ev: Event<'_>) -> std::io::Result<()> {
        match ev {
            Event::Line {
                text,
                offset,
                ahead,
                ends_input,
            } => self.line(text, offset, ahead, ends_input),
            Event::Long { piece, first, last } => self.long(piece, first, last),
        }
    }

    /// A piece of an overlong line: copied through, never matched.
    pub fn long(&mut self, piece: &[u8], first: bool, last: bool) -> std::io::Result<()> {
        if first {
            self.flush_held()?;
            self.lineno += 1;
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

    /// Lines read so far.
    pub fn lines_in(&self) -> u64 {
        self.lineno
    }

    /// End of input: flush what is held.
    pub fn finish(&mut self) -> std::io::Result<()> {
        self.flush_held()?;
        self.editor.flush()
    }

    pub fn editor(&self) -> &Editor<W> {
        &self.editor
    }

    /// The editor and the buffers, once the input is finished.
    pub fn into_parts(self) -> (Editor<W>, Buffers) {
        (self.editor, self.bufs)
    }

    /// Decides one line on its own from its hits in `self.bufs.hits` (as
    /// `Matcher::find` leaves them; the shapes speak for a line without
    /// hits). Fills `self.bufs.cuts` for `Cut`.
    fn decide(&mut self, line: &[u8], trimmed: &[u8]) -> Verdict {
        self.bufs.cuts.clear();
        if self.bufs.hits.is_empty() {
            return match self.shape_of(line, trimmed) {
                Some(rule) => Verdict::Drop {
                    rule,
                    scope: Scope::Line,
                },
                None => Verdict::Keep,
            };
        }
        let rules = &self.matcher.rules;
        let sentence_hit = self
            .bufs
            .hits
            .iter()
            .any(|h| rules[h.rule as usize].sentence);
        if covers(line, &self.bufs.hits, sentence_hit) {
            // Prefer a block rule (its reach applies), then the longest hit
            // (see `Hit::preference`).
            let rules = &self.matcher.rules;
            let best = self
                .bufs
                .hits
                .iter()
                .max_by_key(|h| h.preference(rules))
                .expect("hits is not empty");
            // A covered line goes whole, even when a span rule covered it.
            let scope = match rules[best.rule as usize].scope {
                Scope::Block => Scope::Block,
                _ => Scope::Line,
            };
            return Verdict::Drop {
                rule: best.rule,
                scope,
            };
        }
        if let Some(rule) = self.shape_of(line, trimmed) {
            return Verdict::Drop {
                rule,
                scope: Scope::Line,
            };
        }
        let mut last_end = 0;
        // Span rules with the same match: the cut is the first one's, the
        // rule listed last (see `matcher::sort_hits`).
        for h in &self.bufs.hits {
            if self.matcher.rules[h.rule as usize].scope != Scope::Span || h.start < last_end {
                continue;
            }
            if let Some((s, e)) = text::align_cut(line, h.start, h.end)
                && s >= last_end
            {
                self.bufs.cuts.push((s, e, h.rule));
                last_end = e;
            }
        }
        if self.bufs.cuts.is_empty() {
            Verdict::Keep
        } else if let Some(rule) = self.caption_of(line) {
            self.bufs.cuts.clear();
            Verdict::Drop {
                rule,
                scope: Scope::Line,
            }
        } else {
            Verdict::Cut
        }
    }

    /// The first shape rule that the whole line has. Only short lines are
    /// looked at: a shape never takes a paragraph.
    /// (`trimmed` is the line without leading and trailing whitespace.)
    fn shape_of(&self, line: &[u8], trimmed: &[u8]) -> Option<u32> {
        if self.matcher.shapes.is_empty() || line.len() > 600 {
            return None;
        }
        // Most long lines are paragraphs that end like sentences, which the
        // shapes that take long lines reject at once: the features of the
        // line that the others need are not computed for them.
        if trimmed.len() > shapes::SHORT_SHAPE && shapes::long_line_takes_no_shape(trimmed) {
            return None;
        }
        // What the shapes' gates look at, computed once for all of them.
        let line = shapes::Line::of_trimmed(trimmed);
        // Most short lines are prose that no shape can take, as their
        // first word and their end show.
        if line.takes_no_shape() {
            return None;
        }
        // Most shapes take only short lines; prose lines are long. (Each
        // shape is asked only about lines within its bounds: its gate does
        // not test them again.)
        let (ids, kinds) = if line.len() > shapes::SHORT_SHAPE {
            (&self.matcher.long_shapes, self.matcher.long_shape_kinds)
        } else {
            (&self.matcher.shapes, self.matcher.shape_kinds)
        };
        // The gates, all at once; then the full tests of the shapes they
        // let through, in rule order (the first match wins).
        let passed = shapes::gates(&line, kinds);
        if passed == 0 {
            return None;
        }
        ids.iter().copied().find(|&id| {
            self.matcher.rules[id as usize]
                .shape
                .is_some_and(|k| passed & k.bit() != 0 && k.matches_text(&line))
        })
    }

    /// The `caption` shape: the last cut ends the line, it was made by a
    /// rule of the shape's category, and what the cuts leave is short and
    /// is no sentence: no sentence punctuation at its end and no finite
    /// verb (`Jane Doe at the premiere in 2011`). A caption that ends like
    /// a sentence keeps its words; only the credit is cut.
    fn caption_of(&self, line: &[u8]) -> Option<u32> {
        let rules = &self.matcher.rules;
        let id = self
            .matcher
            .shapes
            .iter()
            .copied()
            .find(|&id| rules[id as usize].shape == Some(crate::shapes::ShapeKind::Caption))?;
        let &(_, end, cut_rule) = self.bufs.cuts.last()?;
        if rules[cut_rule as usize].category != rules[id as usize].category
            || end < text::trim_range(line).1
        {
            return None;
        }
        let mut rest = Vec::new();
        let ranges: Vec<(usize, usize)> = self.bufs.cuts.iter().map(|c| (c.0, c.1)).collect();
        crate::edit::stitch(line, &ranges, &mut rest);
        let shape = Shape::of(&rest);
        (shape.words <= 30 && !shape.terminal && !text::has_verb(&rest)).then_some(id)
    }

    fn flush_held(&mut self) -> std::io::Result<()> {
        while let Some(h) = self.bufs.held.pop_front() {
            self.emit_held(h)?;
        }
        Ok(())
    }

    fn emit_held(&mut self, h: Box<Held>) -> std::io::Result<()> {
        let verdict = h.verdict.unwrap_or(Verdict::Keep);
        let text = match self.whole {
            Some(whole) => &whole[h.offset as usize..h.offset as usize + h.len],
            None => &h.text[..],
        };
        let res = self.emit(text, h.lineno, h.offset, verdict, &h.cuts);
        self.bufs.spare.push(h);
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
        if !self.observer.wants_removals() {
            return;
        }
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

/// True when the hits cover every letter and digit of `line`. With
/// `questions`, a gap made only of short questions counts as covered: the
/// reader questions of a sign-off (`Are you excited? Which team will you
/// root for?`) go with the junk sentences around them. Only sentence rules
/// turn this on, so a line rule never takes a question alone.
fn covers(line: &[u8], hits: &[Hit], questions: bool) -> bool {
    let gap_ok = |gap: &[u8]| !has_alnum(gap) || (questions && only_questions(gap));
    let mut pos = 0;
    for h in hits {
        if h.start > pos && !gap_ok(&line[pos..h.start]) {
            return false;
        }
        pos = pos.max(h.end);
    }
    gap_ok(&line[pos..])
}

/// True when `gap` is one or more sentences that all end in `?`, each of
/// fifteen words or fewer.
fn only_questions(gap: &[u8]) -> bool {
    let Ok(gap) = std::str::from_utf8(gap) else {
        return false;
    };
    let gap = gap.trim();
    if gap.is_empty() {
        return true;
    }
    let mut any = false;
    for q in gap.split_inclusive(['?', '.', '!']) {
        let q = q.trim();
        if q.is_empty() {
            continue;
        }
        if !q.ends_with('?') || q.split_whitespace().count() > 15 {
            return false;
        }
        any = true;
    }
    any
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

#[cfg(test)]
mod tests {
    //! The streaming detector against a naive whole-document reference that
    //! sees every line at once: the window must never change a decision.
    use super::*;
    use crate::edit::Editor;
    use crate::patterns;
    use crate::report::NoObserver;
    use proptest::prelude::*;

    const RULES: &str = "\
[line]
Junk line
[span]
(Photo: {text})
[block before=2]
{dur} - Source: {caps}
[block after=2]
JUST WATCHED
[block box=3]
Story highlights
";

    fn matcher() -> Matcher {
        let f = patterns::parse("t.txt", "t", RULES).unwrap();
        Matcher::new(
            f.rules
                .into_iter()
                .map(|r| (0, "t.txt".to_string(), r))
                .collect(),
        )
    }

    fn streaming(m: &Matcher, doc: &str) -> String {
        let cats = vec!["t".to_string()];
        let hold = m
            .rules
            .iter()
            .map(|r| r.reach.before as usize)
            .max()
            .unwrap();
        let mut out = Vec::new();
        let mut det = Detector::new(m, &cats, hold, &mut out, NoObserver);
        let mut offset = 0;
        for line in doc.split('\n') {
            // `ahead`: the input from the line on, as the line reader gives it.
            det.line(
                line.as_bytes(),
                offset,
                &doc.as_bytes()[offset as usize..],
                true,
            )
            .unwrap();
            offset += line.len() as u64 + 1;
        }
        det.finish().unwrap();
        drop(det);
        String::from_utf8(out).unwrap()
    }

    #[derive(Clone, Copy, PartialEq)]
    enum V {
        Keep,
        Drop,
    }

    /// Every rule applied with the whole document in view.
    fn naive(m: &Matcher, doc: &str) -> String {
        let lines: Vec<&[u8]> = doc.split('\n').map(str::as_bytes).collect();
        let mut scratch = Scratch::default();
        let mut verdicts = Vec::new();
        let mut cuts: Vec<Vec<(usize, usize)>> = Vec::new();
        let mut anchors = Vec::new();
        for line in &lines {
            let mut hits = Vec::new();
            m.find(line, &mut scratch, &mut hits);
            let mut c = Vec::new();
            let mut anchor = None;
            let v = if !hits.is_empty() && covers(line, &hits, false) {
                anchor = hits
                    .iter()
                    .find(|h| m.rules[h.rule as usize].scope == Scope::Block)
                    .map(|h| m.rules[h.rule as usize].reach);
                V::Drop
            } else {
                let mut last = 0;
                for h in &hits {
                    if m.rules[h.rule as usize].scope == Scope::Span
                        && h.start >= last
                        && let Some((s, e)) = text::align_cut(line, h.start, h.end)
                        && s >= last
                    {
                        c.push((s, e));
                        last = e;
                    }
                }
                V::Keep
            };
            verdicts.push(v);
            cuts.push(c);
            anchors.push(anchor);
        }
        let (mut after_left, mut box_left) = (0u8, 0u8);
        for i in 0..lines.len() {
            let line = lines[i];
            if text::is_blank(line) {
                after_left = 0;
                continue;
            }
            let shape = Shape::of(line);
            if box_left > 0 {
                box_left -= 1;
                if verdicts[i] != V::Drop {
                    if shape.is_prose() {
                        box_left = 0;
                    } else {
                        verdicts[i] = V::Drop;
                    }
                }
            }
            if after_left > 0 {
                after_left -= 1;
                if verdicts[i] != V::Drop {
                    if shape.is_card_line() {
                        verdicts[i] = V::Drop;
                    } else {
                        after_left = 0;
                    }
                }
            }
            if let Some(reach) = anchors[i] {
                let mut j = i;
                let mut n = 0;
                while n < reach.before as usize && j > 0 {
                    j -= 1;
                    let prev = lines[j];
                    if text::is_blank(prev) || prev.len() > 160 || !Shape::of(prev).is_card_line() {
                        break;
                    }
                    verdicts[j] = V::Drop;
                    n += 1;
                }
                if reach.after > 0 {
                    after_left = reach.after;
                }
                if reach.until_prose > 0 {
                    box_left = reach.until_prose;
                }
            }
        }
        let mut ed = Editor::new(Vec::new());
        for i in 0..lines.len() {
            if text::is_blank(lines[i]) {
                ed.blank();
            } else if verdicts[i] == V::Keep {
                if cuts[i].is_empty() {
                    ed.keep(lines[i]).unwrap();
                } else {
                    ed.keep_cut(lines[i], &cuts[i]).unwrap();
                }
            }
        }
        String::from_utf8(ed.into_writer().unwrap()).unwrap()
    }

    fn line() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "",
            "Junk line",
            "A card title",
            "Will the bridge reopen?",
            "01:02 - Source: CNN",
            "JUST WATCHED",
            "Story highlights",
            "A bullet without a stop",
            "The mayor said the bridge would reopen in the spring after the repairs.",
            "A credit (Photo: Jane Doe) sits in the middle of this sentence about rain.",
            "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen",
        ])
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn window_agrees_with_whole_document_reference(lines in prop::collection::vec(line(), 0..40)) {
            let m = matcher();
            let doc = lines.join("\n");
            prop_assert_eq!(streaming(&m, &doc), naive(&m, &doc), "doc: {:?}", doc);
        }
    }

    #[test]
    fn questions() {
        assert!(only_questions(b" Are you excited? Who will win? "));
        assert!(!only_questions(b"Are you excited? She left."));
        assert!(!only_questions(b"She left."));
    }

    #[test]
    fn block_reaches() {
        let m = matcher();
        let doc = "Intro paragraph that is long enough to be prose, ending here.\n\nobama putin\nWill ties thaw?\n01:02 - Source: CNN\n\nNext.";
        assert_eq!(
            streaming(&m, doc),
            "Intro paragraph that is long enough to be prose, ending here.\n\nNext.\n"
        );
        // The reach stops at a long line: the paragraph beside the card stays.
        let doc = "The mayor said the bridge would reopen in the spring after the repairs.\nCard title\n01:02 - Source: CNN";
        assert_eq!(
            streaming(&m, doc),
            "The mayor said the bridge would reopen in the spring after the repairs.\n"
        );
        // A box runs until the first prose line; a subheading-like line in it goes.
        let doc = "Story highlights\n\nA bullet\n\nAnother bullet\n\nThe mayor said the bridge would reopen in the spring after repairs.\n\nA bullet";
        assert_eq!(
            streaming(&m, doc),
            "The mayor said the bridge would reopen in the spring after repairs.\n\nA bullet\n"
        );
        // `after` stays in the paragraph.
        let doc = "JUST WATCHED\nCard one\nCard two\nCard three\n\nKept";
        assert_eq!(streaming(&m, doc), "Card three\n\nKept\n");
    }

    #[test]
    fn a_sentence_with_a_junk_phrase_stays() {
        let m = matcher();
        let doc = "He said the Junk line was a joke, and everyone laughed at it.";
        assert_eq!(streaming(&m, doc), format!("{doc}\n"));
        assert_eq!(streaming(&m, "Junk line"), "");
        assert_eq!(streaming(&m, "Junk line. Junk line!"), "");
    }

    /// Two span rules with the same hit: the cut is the later rule's in
    /// whatever order the hits were found (the matcher and the prefilter
    /// find them in different orders, then both sort them).
    #[test]
    fn same_span_from_two_rules_is_cut_by_one() {
        let f = patterns::parse("t.txt", "t", "[span]\n(Photo: {text})\n").unwrap();
        let def = f.rules.into_iter().next().unwrap();
        let m = Matcher::new(vec![
            (0, "a.txt".to_string(), def.clone()),
            (1, "b.txt".to_string(), def),
        ]);
        let cats = vec!["a".to_string(), "b".to_string()];
        let line = b"The mayor spoke (Photo: Jane Doe) on Tuesday.";
        let hit = |rule| Hit {
            rule,
            start: 16,
            end: 33,
        };
        for order in [[0, 1], [1, 0]] {
            let mut det = Detector::new(&m, &cats, 0, Vec::new(), NoObserver);
            det.bufs.hits = order.iter().map(|&r| hit(r)).collect();
            crate::matcher::sort_hits(&mut det.bufs.hits);
            assert_eq!(det.decide(line, line), Verdict::Cut);
            assert_eq!(det.bufs.cuts.len(), 1, "{order:?}");
            assert_eq!(det.bufs.cuts[0].2, 1, "{order:?}");
        }
    }

    /// Rules with the same hit that covers a line: the line goes by the
    /// most specific one (the most literal text, then the fewest
    /// placeholders), then by the one listed last, in whatever order the
    /// hits come. (The hits are handed to the detector as they are: the
    /// rules need not match the line.)
    #[test]
    fn a_covered_line_goes_by_the_most_specific_rule() {
        let build = |defs: &[(&str, &str)]| {
            let defs = defs
                .iter()
                .map(|&(origin, text)| {
                    let def = patterns::parse(origin, "t", &format!("[line]\n{text}\n"))
                        .unwrap()
                        .rules
                        .remove(0);
                    (0, origin.to_string(), def)
                })
                .collect();
            Matcher::new(defs)
        };
        let cats = vec!["t".to_string()];
        let line = b"REX/Shutterstock";
        let drop_by = |m: &Matcher, order: &[u32]| {
            let mut det = Detector::new(m, &cats, 0, Vec::new(), NoObserver);
            det.bufs.hits = order
                .iter()
                .map(|&rule| Hit {
                    rule,
                    start: 0,
                    end: line.len(),
                })
                .collect();
            match det.decide(line, line) {
                Verdict::Drop { rule, scope } => {
                    assert_eq!(scope, Scope::Line);
                    rule
                }
                other => panic!("{other:?}"),
            }
        };
        // Each case: its rules (origin, entry), and orders to feed their hits.
        type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a [u32]]);
        let cases: [Case; 3] = [
            // The most literal text, even with more placeholders.
            (
                &[
                    ("t.txt", "REX/{name}"),
                    ("t.txt", "{n} REX/Shutterstock {caps}"),
                    ("t.txt", "{name}/Shutterstock"),
                ],
                &[&[0, 1, 2], &[2, 1, 0], &[1, 2, 0]],
            ),
            // The same literal text: the fewer placeholders.
            (
                &[
                    ("t.txt", "{n} {name}/Shutterstock"),
                    ("t.txt", "{name}/Shutterstock"),
                    ("t.txt", "{n} {caps}/Shutterstock"),
                ],
                &[&[0, 1, 2], &[2, 1, 0], &[1, 0, 2]],
            ),
            // Alike in both: the rule listed last.
            (
                &[("a.txt", "REX/{name}"), ("b.txt", "REX/{name}")],
                &[&[0, 1], &[1, 0]],
            ),
        ];
        for (defs, orders) in cases {
            let m = build(defs);
            for order in orders {
                assert_eq!(drop_by(&m, order), 1, "{defs:?} {order:?}");
            }
        }
    }
}
