//! Learning a site's boilerplate from many of its documents.
//!
//! Junk that no built-in pattern knows still gives itself away by
//! repetition: the same sign-up prompt, copyright line or share bar recurs
//! word for word on every page of a site. A [`Learner`] reads documents one
//! at a time, counts in how many documents each line (and each sentence of a
//! line) recurs, and [`Learned::write_patterns`] turns the recurring ones
//! into a pattern file for [`CleanerBuilder::patterns_file`].
//!
//! ```
//! use dejunk::learn::LearnerBuilder;
//!
//! let stories = [
//!     "The council voted to close the bridge.",
//!     "Repairs to the station start in May.",
//!     "A new library opens on the market square.",
//! ];
//! let mut learner = LearnerBuilder::new().min_docs(3).build();
//! for story in stories {
//!     learner.add(&format!("{story}\n\nSign up for the Daily Brief newsletter"));
//! }
//! let learned = learner.finish();
//! assert_eq!(learned.entries().len(), 1);
//! assert_eq!(learned.entries()[0].pattern, "Sign up for the Daily Brief newsletter");
//! let file = learned.to_patterns("mysite");
//! let cleaner = dejunk::CleanerBuilder::new()
//!     .patterns_str("mysite.txt", &file)
//!     .build()
//!     .unwrap();
//! assert_eq!(
//!     cleaner.clean_str("A new story.\n\nSign up for the Daily Brief newsletter\n"),
//!     "A new story.\n"
//! );
//! ```
//!
//! # Units and counting
//!
//! A unit is a whole line, or a sentence of a line that holds two or more.
//! Units are compared normalised: case folded, whitespace runs collapsed,
//! and every number (`3`, `1,204`, `4.83`) read as `{n}`. A unit counts once
//! per document however often it occurs there. When a unit's numbers differ
//! between documents, its entry writes them as `{n}`.
//!
//! # Boilerplate or repeated article text
//!
//! Text also recurs because articles share it: one wire story carried by
//! twenty outlets, a quote every site repeated. Three things keep it out:
//!
//! 1. **Near-duplicate documents count once.** Each document gets a MinHash
//!    signature over its word 5-grams; a document whose signature collides in
//!    a band with an earlier one is a near-duplicate (locality-sensitive
//!    hashing, 10 bands of 6 rows: 5-gram sets that overlap 80% collide 95%
//!    of the time, 50% overlap 15%). It is read, but its units do not count
//!    towards [`LearnerBuilder::min_docs`]. One syndicated story is one
//!    document. Documents under 40 words always count.
//! 2. **Shape and place.** Quoted speech, reporting verbs (`said`, `told`)
//!    and full sentences read as prose; junk vocabulary (`newsletter`,
//!    `subscribe`, `cookies`, `Getty Images`), short labels and units at the
//!    head or tail of their documents read as boilerplate.
//! 3. **Spread across sites.** With groups ([`Learner::add_in_group`], e.g.
//!    one per site), boilerplate concentrates in one site, while article text
//!    repeats across many sites, once or twice each.
//!
//! Each signal has a weight of 1 or 2 (see `judge`); an entry reads as
//! prose when the prose side weighs more. Entries that read as prose are
//! still written, but commented
//! out with `# review: looks like prose`, so that nothing is dropped
//! silently and nothing risky is used unless a person says so.
//!
//! # Memory
//!
//! The learner holds at most [`LearnerBuilder::max_keys`] distinct units (a
//! document with more units than half of that is counted in part). A unit
//! takes 128 bytes in a hash table that is at most 7/8 full, so the default
//! limit, [`DEFAULT_MAX_KEYS`] (7/8 of 2^20), keeps the table within 2^20
//! slots, about 135 MB. A unit seen in two or more documents also keeps one
//! example of at most [`LearnerBuilder::max_unit_len`] bytes (longer units
//! are not counted).
//!
//! When the table is full it is pruned by lossy counting (Manku and
//! Motwani, 2002). A floor rises by one at each pruning; the units whose
//! count plus possible loss is at or under the floor are dropped, until at
//! most half the table remains; a unit that comes back carries the floor as
//! its possible loss. So every unit seen in more documents than the final
//! floor ([`Learned::prune_floor`]) is kept, and its count is short by at
//! most that floor. A corpus with fewer distinct units than `max_keys` is
//! counted exactly.
//!
//! The near-duplicate index holds 10 band hashes per document (about 100 to
//! 200 bytes) and is cleared when it reaches `max_keys` hashes, so
//! near-duplicates further apart than that are not noticed.
//!
//! [`CleanerBuilder::patterns_file`]: crate::CleanerBuilder::patterns_file

use std::collections::{HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{self, Write};

use crate::patterns;
use crate::text::{self, Shape};

/// The default [`LearnerBuilder::max_keys`]: 7/8 of 2^20, the most a hash
/// table of 2^20 slots holds without growing.
pub const DEFAULT_MAX_KEYS: usize = 917_504;

/// Builds a [`Learner`].
#[derive(Clone, Debug)]
pub struct LearnerBuilder {
    min_docs: u32,
    max_keys: usize,
    max_unit_len: usize,
    sentences: bool,
    near_duplicates: bool,
}

impl Default for LearnerBuilder {
    fn default() -> Self {
        LearnerBuilder::new()
    }
}

impl LearnerBuilder {
    /// A builder with the default configuration.
    pub fn new() -> LearnerBuilder {
        LearnerBuilder {
            min_docs: 5,
            max_keys: DEFAULT_MAX_KEYS,
            max_unit_len: 400,
            sentences: true,
            near_duplicates: true,
        }
    }

    /// The least number of documents (near-duplicates counted once) a unit
    /// must recur in to be learned.
    ///
    /// By default, 5. Values below 2 are taken as 2.
    pub fn min_docs(&mut self, n: u32) -> &mut LearnerBuilder {
        self.min_docs = n.max(2);
        self
    }

    /// The most distinct units held at once; see the module docs on memory.
    ///
    /// By default, [`DEFAULT_MAX_KEYS`]: a table of about 135 MB at most.
    pub fn max_keys(&mut self, n: usize) -> &mut LearnerBuilder {
        self.max_keys = n.max(1024);
        self
    }

    /// The longest unit, in bytes, that is counted.
    ///
    /// By default, 400. Boilerplate is short; longer lines are still split
    /// into sentences.
    pub fn max_unit_len(&mut self, bytes: usize) -> &mut LearnerBuilder {
        self.max_unit_len = bytes.max(8);
        self
    }

    /// Whether sentences inside lines are units too, not only whole lines.
    ///
    /// By default, they are: a prompt glued into a longer line of other
    /// junk is found that way.
    pub fn sentences(&mut self, yes: bool) -> &mut LearnerBuilder {
        self.sentences = yes;
        self
    }

    /// Whether near-duplicate documents count once.
    ///
    /// By default, they do.
    pub fn near_duplicates(&mut self, yes: bool) -> &mut LearnerBuilder {
        self.near_duplicates = yes;
        self
    }

    /// A learner with this configuration.
    pub fn build(&self) -> Learner {
        Learner {
            cfg: self.clone(),
            table: HashMap::new(),
            bands: HashSet::new(),
            groups: HashMap::new(),
            docs: 0,
            near_dups: 0,
            prune_floor: 0,
            pruned: 0,
            units: Vec::new(),
            norm: String::new(),
        }
    }
}

/// Number of groups remembered per unit (Misra-Gries heavy hitters).
const GROUP_SLOTS: usize = 8;

/// What is known about one unit.
#[derive(Clone, Debug, Default)]
struct Stat {
    /// Documents, near-duplicates not counted.
    docs: u32,
    /// Documents, near-duplicates counted.
    raw: u32,
    /// How many documents it may have been in before it was last pruned
    /// (lossy counting).
    delta: u32,
    /// The last document (1-based) that counted it, so it counts once.
    last_doc: u32,
    /// Documents where it was a whole line.
    whole: u32,
    /// Documents long enough to tell head and tail from middle ...
    placed: u32,
    /// ... and of those, where it sat in the first or last three lines.
    edge: u32,
    /// Heavy-hitter groups and their approximate counts.
    groups: [(u32, u32); GROUP_SLOTS],
    /// Distinct groups seen, saturating at `GROUP_SLOTS + 1` ("more").
    distinct: u8,
    /// Hash of the numbers in the first example, and whether a later
    /// occurrence had other numbers.
    digits: u64,
    digits_vary: bool,
    /// The text of one occurrence, kept from the second document on.
    example: Option<Box<str>>,
}

impl Stat {
    fn note_group(&mut self, g: u32) {
        if let Some(slot) = self.groups.iter_mut().find(|s| s.1 > 0 && s.0 == g) {
            slot.1 += 1;
            return;
        }
        if (self.distinct as usize) <= GROUP_SLOTS {
            self.distinct += 1;
        }
        if let Some(slot) = self.groups.iter_mut().find(|s| s.1 == 0) {
            *slot = (g, 1);
        } else {
            for s in &mut self.groups {
                s.1 -= 1;
            }
        }
    }

    fn top_group(&self) -> (u32, u32) {
        self.groups
            .iter()
            .copied()
            .max_by_key(|s| s.1)
            .unwrap_or((0, 0))
    }
}

/// One unit found in the document being added.
#[derive(Clone, Copy, Debug)]
struct Unit {
    key: u64,
    digits: u64,
    start: usize,
    end: usize,
    whole: bool,
    placed: bool,
    edge: bool,
}

/// Counts recurring lines and sentences over many documents. Made by
/// [`LearnerBuilder::build`].
#[derive(Debug)]
pub struct Learner {
    cfg: LearnerBuilder,
    table: HashMap<u64, Stat>,
    bands: HashSet<u64>,
    groups: HashMap<String, u32>,
    docs: u32,
    near_dups: u32,
    prune_floor: u32,
    pruned: u64,
    units: Vec<Unit>,
    norm: String,
}

impl Learner {
    /// Adds one document (all in one group).
    pub fn add(&mut self, doc: &str) {
        self.add_in_group("", doc);
    }

    /// Adds one document that belongs to `group`, typically its site.
    /// Boilerplate recurs within a group; text that recurs across many groups
    /// reads as article text.
    pub fn add_in_group(&mut self, group: &str, doc: &str) {
        let g = match self.groups.get(group) {
            Some(&g) => g,
            None => {
                let g = self.groups.len() as u32;
                self.groups.insert(group.to_string(), g);
                g
            }
        };
        self.docs += 1;
        let doc_id = self.docs;
        let dup = self.cfg.near_duplicates && self.is_near_duplicate(doc);
        if dup {
            self.near_dups += 1;
        }
        self.collect_units(doc);
        // Make room first, so the table never holds more than max_keys. A
        // document with more units than half of that is counted in part.
        self.units.truncate(self.cfg.max_keys / 2);
        if self.table.len() + self.units.len() > self.cfg.max_keys {
            self.prune();
        }
        let units = std::mem::take(&mut self.units);
        for u in &units {
            let floor = self.prune_floor;
            let stat = self.table.entry(u.key).or_insert_with(|| Stat {
                delta: floor,
                ..Stat::default()
            });
            if stat.last_doc == doc_id {
                continue;
            }
            stat.last_doc = doc_id;
            stat.raw += 1;
            if stat.raw == 1 {
                stat.digits = u.digits;
            } else if stat.digits != u.digits {
                stat.digits_vary = true;
            }
            if stat.example.is_none() && stat.raw >= 2 {
                stat.example = Some(doc[u.start..u.end].into());
            }
            if dup {
                continue;
            }
            stat.docs += 1;
            stat.whole += u.whole as u32;
            stat.placed += u.placed as u32;
            stat.edge += u.edge as u32;
            stat.note_group(g);
        }
        self.units = units;
    }

    /// Lossy counting: raises the floor and drops the units that may have
    /// been seen no more often than it, until at most half the table
    /// remains.
    fn prune(&mut self) {
        let target = self.cfg.max_keys / 2;
        loop {
            self.prune_floor += 1;
            let floor = self.prune_floor;
            let before = self.table.len();
            self.table.retain(|_, s| s.raw + s.delta > floor);
            self.pruned += (before - self.table.len()) as u64;
            if self.table.len() <= target {
                break;
            }
        }
    }

    /// Finds the units of `doc` into `self.units`.
    fn collect_units(&mut self, doc: &str) {
        self.units.clear();
        let lines: Vec<(usize, usize)> = line_ranges(doc)
            .filter(|&(s, e)| !doc[s..e].trim().is_empty())
            .collect();
        let n = lines.len();
        let placed = n >= 12;
        for (i, &(ls, le)) in lines.iter().enumerate() {
            let edge = placed && (i < 3 || i + 3 >= n);
            let (ts, te) = text::trim_range(&doc.as_bytes()[ls..le]);
            let (ls, le) = (ls + ts, ls + te);
            self.push_unit(doc, ls, le, true, placed, edge);
            if self.cfg.sentences {
                let parts = sentences(&doc[ls..le]);
                if parts.len() >= 2 {
                    for (s, e) in parts {
                        self.push_unit(doc, ls + s, ls + e, false, placed, edge);
                    }
                }
            }
        }
    }

    fn push_unit(&mut self, doc: &str, s: usize, e: usize, whole: bool, placed: bool, edge: bool) {
        if e - s > self.cfg.max_unit_len {
            return;
        }
        let Some(digits) = normalise(&doc[s..e], &mut self.norm) else {
            return;
        };
        let mut h = DefaultHasher::new();
        self.norm.hash(&mut h);
        self.units.push(Unit {
            key: h.finish(),
            digits,
            start: s,
            end: e,
            whole,
            placed,
            edge,
        });
    }

    /// MinHash-LSH: true when `doc` shares a band with an earlier document.
    fn is_near_duplicate(&mut self, doc: &str) -> bool {
        // Words: runs of letters and digits, case folded, hashed as they go.
        let mut words: Vec<u64> = Vec::new();
        let mut h = 0u64;
        let mut in_word = false;
        for c in doc.chars() {
            if c.is_alphanumeric() {
                for l in c.to_lowercase() {
                    h = mix(h ^ l as u64);
                }
                in_word = true;
            } else if in_word {
                words.push(h);
                h = 0;
                in_word = false;
            }
        }
        if in_word {
            words.push(h);
        }
        // Too short to tell a copy from a template.
        if words.len() < 40 {
            return false;
        }
        let mut mins = [u64::MAX; BANDS * ROWS];
        for w in words.windows(5) {
            let mut x = 0u64;
            for &v in w {
                x = mix(x ^ v);
            }
            // x is well mixed, so an odd multiplier and an offset per hash
            // give the independent orderings MinHash needs, cheaply.
            for (m, &(a, b)) in mins.iter_mut().zip(PERMS.iter()) {
                let v = x.wrapping_mul(a).wrapping_add(b);
                if v < *m {
                    *m = v;
                }
            }
        }
        let mut dup = false;
        if self.bands.len() + BANDS > self.cfg.max_keys {
            self.bands.clear();
        }
        for (b, rows) in mins.chunks(ROWS).enumerate() {
            let mut x = b as u64;
            for &r in rows {
                x = mix(x ^ r);
            }
            dup |= !self.bands.insert(x);
        }
        dup
    }

    /// Documents added so far.
    pub fn docs(&self) -> u64 {
        self.docs as u64
    }

    /// Distinct units held now (at most [`LearnerBuilder::max_keys`]).
    pub fn units(&self) -> usize {
        self.table.len()
    }

    /// Decides which recurring units to keep and how they read.
    pub fn finish(self) -> Learned {
        let names: HashMap<u32, &str> = self.groups.iter().map(|(k, &v)| (v, k.as_str())).collect();
        let grouped = self.groups.len() >= 2;
        let mut entries = Vec::new();
        let mut unexpressible = 0;
        for stat in self.table.values() {
            if stat.docs < self.cfg.min_docs {
                continue;
            }
            let Some(example) = stat.example.as_deref() else {
                continue;
            };
            let Some(pattern) = to_pattern(example, stat.digits_vary) else {
                unexpressible += 1;
                continue;
            };
            let (top, top_docs) = stat.top_group();
            let evidence = Evidence {
                docs: stat.docs,
                groups: grouped.then_some(stat.distinct as u32),
                top_group_docs: top_docs,
                edge_share: (stat.placed >= 3).then(|| stat.edge as f32 / stat.placed as f32),
                whole_share: stat.whole as f32 / stat.docs as f32,
                numbers_vary: stat.digits_vary,
            };
            let verdict = judge(example, &evidence);
            entries.push(Entry {
                pattern,
                example: example.to_string(),
                docs: stat.docs as u64,
                raw_docs: stat.raw as u64,
                groups: evidence.groups.map(|g| {
                    if g as usize > GROUP_SLOTS {
                        GroupCount::AtLeast(g)
                    } else {
                        GroupCount::Exactly(g)
                    }
                }),
                top_group: if grouped {
                    names.get(&top).map(|s| s.to_string())
                } else {
                    None
                },
                top_group_docs: top_docs as u64,
                edge_share: evidence.edge_share,
                whole_share: evidence.whole_share,
                verdict,
            });
        }
        entries.sort_by(|a, b| {
            b.docs
                .cmp(&a.docs)
                .then_with(|| a.pattern.to_lowercase().cmp(&b.pattern.to_lowercase()))
                .then_with(|| a.pattern.cmp(&b.pattern))
                .then_with(|| a.example.cmp(&b.example))
        });
        // A sentence that recurs only inside a line that is learned whole
        // (found in at least 80% as many documents) adds nothing.
        let key = |s: &str| patterns::collapse_ws(s.trim()).to_lowercase();
        let mut in_lines: HashMap<String, u64> = HashMap::new();
        for e in entries.iter().filter(|e| e.whole_share >= 0.5) {
            let parts = sentences(&e.example);
            if parts.len() >= 2 {
                for (s, t) in parts {
                    let docs = in_lines.entry(key(&e.example[s..t])).or_default();
                    *docs = (*docs).max(e.docs);
                }
            }
        }
        entries.retain(|e| {
            e.whole_share >= 0.5
                || in_lines
                    .get(&key(&e.example))
                    .is_none_or(|&docs| docs * 5 < e.docs * 4)
        });
        // Two examples can normalise to the same entry text (digits written
        // as {n}); keep the first.
        let mut seen = HashSet::new();
        entries.retain(|e| seen.insert(e.pattern.to_lowercase()));
        Learned {
            docs: self.docs as u64,
            near_duplicates: self.near_dups as u64,
            groups: self.groups.len() as u64,
            min_docs: self.cfg.min_docs,
            prune_floor: self.prune_floor,
            pruned: self.pruned,
            unexpressible,
            entries,
        }
    }
}

/// How many groups a unit was seen in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupCount {
    /// This many.
    Exactly(u32),
    /// This many or more.
    AtLeast(u32),
}

/// Whether an entry reads as boilerplate or as article text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Boilerplate: written as an entry.
    Boilerplate,
    /// Looks like prose (the reasons, e.g. `quoted speech, 12 sites`):
    /// written commented out, for review.
    Prose(String),
}

/// One learned entry.
#[derive(Clone, Debug)]
pub struct Entry {
    /// The entry as it goes in a `[line]` section: braces escaped, numbers
    /// that vary written as `{n}`.
    pub pattern: String,
    /// One occurrence, as found.
    pub example: String,
    /// Documents it recurs in, near-duplicates counted once.
    pub docs: u64,
    /// Documents it recurs in, near-duplicates included.
    pub raw_docs: u64,
    /// Groups it was seen in, when documents came in two or more groups.
    pub groups: Option<GroupCount>,
    /// The group it was seen in most, when documents came in groups.
    pub top_group: Option<String>,
    /// Documents in that group (approximate when it was seen in more than
    /// eight groups: low by at most `docs / 9`).
    pub top_group_docs: u64,
    /// Share of its documents (those of 12 lines or more) where it sits in
    /// the first or last three lines; `None` when fewer than 3 such.
    pub edge_share: Option<f32>,
    /// Share of its documents where it is a whole line, not a sentence in
    /// a longer line.
    pub whole_share: f32,
    /// Boilerplate or prose.
    pub verdict: Verdict,
}

impl Entry {
    /// True when the entry reads as boilerplate.
    pub fn is_boilerplate(&self) -> bool {
        self.verdict == Verdict::Boilerplate
    }
}

/// What a [`Learner`] found.
#[derive(Clone, Debug)]
pub struct Learned {
    docs: u64,
    near_duplicates: u64,
    groups: u64,
    min_docs: u32,
    prune_floor: u32,
    pruned: u64,
    unexpressible: u64,
    entries: Vec<Entry>,
}

impl Learned {
    /// The entries, most documents first.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Documents read.
    pub fn docs(&self) -> u64 {
        self.docs
    }

    /// Documents found to be near-duplicates of earlier ones.
    pub fn near_duplicates(&self) -> u64 {
        self.near_duplicates
    }

    /// Distinct groups.
    pub fn groups(&self) -> u64 {
        self.groups
    }

    /// The lossy-counting floor after the last pruning (0 when the table
    /// never filled): a unit seen in more documents than this was kept, and
    /// any count may be short by up to this much.
    pub fn prune_floor(&self) -> u32 {
        self.prune_floor
    }

    /// Units dropped to keep within [`LearnerBuilder::max_keys`].
    pub fn pruned(&self) -> u64 {
        self.pruned
    }

    /// Recurring units that a pattern file cannot express (a line that
    /// starts with `#` or `@`, or looks like a section header).
    pub fn unexpressible(&self) -> u64 {
        self.unexpressible
    }

    /// The pattern file as a string; see [`Learned::write_patterns`].
    pub fn to_patterns(&self, category: &str) -> String {
        let mut buf = Vec::new();
        self.write_patterns(&mut buf, category)
            .expect("writing to a Vec cannot fail");
        String::from_utf8(buf).expect("entries are UTF-8")
    }

    /// Writes a pattern file of category `category`: one `[line]` entry per
    /// boilerplate unit, each after a comment with its document count and an
    /// example; units that read as prose are commented out, marked
    /// `# review: looks like prose`.
    pub fn write_patterns<W: Write>(&self, mut wtr: W, category: &str) -> io::Result<()> {
        let active = self.entries.iter().filter(|e| e.is_boilerplate()).count();
        let groups = if self.groups > 1 {
            format!(", {} groups", thousands(self.groups))
        } else {
            String::new()
        };
        writeln!(
            wtr,
            "# Learned by dejunk learn from {} documents ({} near-duplicates counted once{groups}).",
            thousands(self.docs),
            thousands(self.near_duplicates),
        )?;
        writeln!(
            wtr,
            "# {} entries recur in at least {} documents; {} of them read as prose and are commented out",
            self.entries.len(),
            self.min_docs,
            self.entries.len() - active
        )?;
        writeln!(
            wtr,
            "# (\"review\"): check them, and remove the \"# \" before an entry to use it."
        )?;
        if self.prune_floor > 0 {
            writeln!(
                wtr,
                "# The count table was pruned (--max-keys): units seen in at most {0} document(s) may be missing, and counts may be short by up to {0}.",
                self.prune_floor
            )?;
        }
        writeln!(wtr, "@category {category}")?;
        writeln!(
            wtr,
            "@description Boilerplate learned from {} documents by dejunk learn",
            thousands(self.docs)
        )?;
        writeln!(wtr, "[line]")?;
        for e in &self.entries {
            let mut about = format!("{} docs", thousands(e.docs));
            match (e.groups, &e.top_group) {
                (Some(GroupCount::Exactly(1)), Some(top)) => about += &format!(", 1 group ({top})"),
                (Some(g), Some(top)) if e.top_group_docs > 0 => {
                    let (n, more) = match g {
                        GroupCount::Exactly(n) => (n, ""),
                        GroupCount::AtLeast(n) => (n, "+"),
                    };
                    about += &format!(
                        ", {n}{more} groups (most: {top} {})",
                        thousands(e.top_group_docs)
                    );
                }
                (Some(GroupCount::AtLeast(n)), _) => about += &format!(", {n}+ groups"),
                _ => {}
            }
            if let Some(s) = e.edge_share {
                about += &format!(", {:.0}% at head/tail", s * 100.0);
            }
            let example = e.example.replace(char::is_control, " ");
            match &e.verdict {
                Verdict::Boilerplate => {
                    writeln!(wtr, "# {about}, e.g. \"{example}\"")?;
                    writeln!(wtr, "{}", e.pattern)?;
                }
                Verdict::Prose(why) => {
                    writeln!(wtr, "# review: looks like prose ({why}); {about}")?;
                    writeln!(wtr, "# {}", e.pattern)?;
                }
            }
        }
        Ok(())
    }
}

/// The facts a verdict is based on.
struct Evidence {
    docs: u32,
    groups: Option<u32>,
    top_group_docs: u32,
    edge_share: Option<f32>,
    whole_share: f32,
    numbers_vary: bool,
}

/// Words that mark page furniture rather than reporting.
const JUNK_WORDS: &[&str] = &[
    "advertisement",
    "newsletter",
    "subscribe",
    "subscription",
    "sign up",
    "signup",
    "sign in",
    "log in",
    "click",
    "cookie",
    "privacy",
    "terms of",
    "copyright",
    "©",
    "all rights reserved",
    "getty",
    "shutterstock",
    "splash news",
    "giphy",
    "wireimage",
    "filmmagic",
    "backgrid",
    "image zoom",
    "photo:",
    "image:",
    "photograph",
    "credit:",
    "video",
    "javascript",
    "browser",
    "download",
    "the app",
    "push notification",
    "follow us",
    "share this",
    "facebook",
    "twitter",
    "instagram",
    "pinterest",
    "email",
    "inbox",
    "comments",
    "read more",
    "related",
    "recommended",
    "sponsored",
    "affiliate",
    "commission",
    "recaptcha",
    "delivered",
];

/// Verbs that introduce reported speech.
const SPEECH_WORDS: &[&str] = &[
    " said",
    " says",
    " told",
    " tells",
    " added",
    " explained",
    "according to",
];

/// Weighs the signals for and against article text. The strong ones weigh
/// 2: quotation marks, spread over three or more groups, a stock phrase
/// inside paragraphs (towards prose); junk vocabulary, 80% of documents in
/// one group (towards boilerplate). The rest weigh 1. Ties go to
/// boilerplate: a tie has no strong reason to call the unit prose, and the
/// entry is still a whole-line rule that cannot cut into a paragraph.
fn judge(example: &str, ev: &Evidence) -> Verdict {
    let lower = example.to_lowercase();
    let shape = Shape::of(example.as_bytes());
    let mut prose = 0;
    let mut junk = 0;
    let mut why = Vec::new();
    let quoted = shape.words >= 2
        && (example.contains('"')
            || example.contains('“')
            || example.contains('”')
            || (example.contains(" '") && example.contains("' ")));
    if quoted {
        prose += 2;
        why.push("quoted speech".to_string());
    }
    if SPEECH_WORDS.iter().any(|w| lower.contains(w)) {
        prose += 1;
        why.push("reporting verb".to_string());
    }
    if shape.terminal && shape.words >= 8 && !shape.is_title_case() {
        prose += 1;
        why.push("a full sentence".to_string());
    }
    if let Some(groups) = ev.groups {
        let top_share = ev.top_group_docs as f32 / ev.docs as f32;
        if groups >= 3 && top_share < 0.5 {
            prose += 2;
            why.push(format!("spread over {groups} groups"));
        } else if top_share >= 0.8 {
            junk += 2;
        }
    }
    if let Some(edge) = ev.edge_share {
        if edge < 0.2 {
            prose += 1;
            why.push("mid-document".to_string());
        } else if edge >= 0.6 {
            junk += 1;
        }
    }
    let vocabulary = JUNK_WORDS.iter().any(|w| lower.contains(w));
    if ev.whole_share < 0.5 && !vocabulary {
        // Mostly a sentence inside a longer paragraph, without the words of
        // page furniture: a stock phrase of the writers ("Oh dear!"). With
        // them, it is more likely a prompt glued to other junk.
        prose += 2;
        why.push("inside paragraphs".to_string());
    }
    if vocabulary {
        junk += 2;
    } else if shape.words <= 4 && !shape.terminal && shape.capitalised >= 1 && shape.is_title_case()
        || (shape.words == 1 && shape.capitalised == 1)
    {
        // A name or a subheading (`Maria Lopez`, `Career Highlights`): list items and
        // headings of articles recur across sites as well.
        prose += 1;
        why.push("a name or heading".to_string());
    }
    if ev.numbers_vary {
        // A template filled with numbers: a counter, a date, a timestamp.
        junk += 1;
    }
    if shape.words <= 4 || !shape.terminal {
        junk += 1;
    }
    if prose > junk {
        Verdict::Prose(why.join(", "))
    } else {
        Verdict::Boilerplate
    }
}

/// Normalises `s` into `out` (case folded, whitespace collapsed, numbers as
/// `{n}`); returns a hash of the numbers, or `None` when `s` has fewer than
/// two letters.
fn normalise(s: &str, out: &mut String) -> Option<u64> {
    out.clear();
    let mut digits = DefaultHasher::new();
    let mut letters = 0;
    let b = s.as_bytes();
    let mut i = 0;
    let mut prev_alnum = false;
    let mut pending_space = false;
    while i < b.len() {
        let w = text::ws_len(&b[i..]);
        if w > 0 {
            pending_space = !out.is_empty();
            prev_alnum = false;
            i += w;
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        if let Some(n) = number_at(b, i, prev_alnum) {
            out.push_str("{n}");
            b[i..i + n].hash(&mut digits);
            i += n;
            prev_alnum = true;
            continue;
        }
        let c = s[i..].chars().next().expect("i is on a char boundary");
        if c.is_alphabetic() {
            letters += 1;
        }
        prev_alnum = c.is_alphanumeric();
        out.extend(c.to_lowercase());
        i += c.len_utf8();
    }
    (letters >= 2).then(|| digits.finish())
}

/// The length of a number starting at `i` that stands alone as a word (not
/// `mp3` or `1st`), as `{n}` matches it.
fn number_at(b: &[u8], i: usize, prev_alnum: bool) -> Option<usize> {
    if prev_alnum || !b[i].is_ascii_digit() {
        return None;
    }
    let n = text::number_len(&b[i..])?;
    let next_alnum = std::str::from_utf8(&b[i + n..])
        .ok()
        .and_then(|r| r.chars().next())
        .is_some_and(char::is_alphanumeric);
    (!next_alnum).then_some(n)
}

/// The entry for an example: whitespace collapsed, braces escaped, numbers as
/// `{n}` when they vary. `None` when a pattern file cannot hold it.
fn to_pattern(example: &str, numbers: bool) -> Option<String> {
    let flat = patterns::collapse_ws(example.trim());
    let b = flat.as_bytes();
    let mut out = String::with_capacity(flat.len() + 8);
    let mut i = 0;
    let mut prev_alnum = false;
    while i < b.len() {
        if let Some(n) = number_at(b, i, prev_alnum).filter(|_| numbers) {
            out.push_str("{n}");
            i += n;
            prev_alnum = true;
            continue;
        }
        let c = flat[i..].chars().next().expect("i is on a char boundary");
        match c {
            '{' => out.push_str("{{"),
            '}' => out.push_str("}}"),
            c => out.push(c),
        }
        prev_alnum = c.is_alphanumeric();
        i += c.len_utf8();
    }
    // The entry must parse back as one [line] rule of the same text: a
    // comment, a directive or a section header would not.
    let file = format!("[line]\n{out}\n");
    match patterns::parse("learned", "learned", &file) {
        Ok(f) if f.rules.len() == 1 && f.rules[0].text == out => Some(out),
        _ => None,
    }
}

/// Byte ranges of the lines of `s`, without their terminators.
fn line_ranges(s: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut start = 0;
    let b = s.as_bytes();
    std::iter::from_fn(move || {
        if start > b.len() || (start == b.len() && start > 0 && b[start - 1] == b'\n') {
            return None;
        }
        let end = memchr::memchr(b'\n', &b[start..]).map_or(b.len(), |i| start + i);
        let r = (start, end);
        start = end + 1;
        Some(r)
    })
}

/// Abbreviations that end in a period without ending a sentence.
const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "st", "jr", "sr", "vs", "no", "inc", "co", "ltd", "gen", "gov", "sen",
    "rep", "lt", "col", "sgt", "capt", "prof", "rev", "mt", "ft", "jan", "feb", "aug", "sept",
    "sep", "oct", "nov", "dec", "u.s", "u.k", "e.g", "i.e", "etc",
];

/// Splits a line into sentences: after `.`, `!`, `?` or `…` (and any closing
/// quotes or brackets), before whitespace and a capital, a digit or an
/// opening quote. Returns trimmed byte ranges.
fn sentences(line: &str) -> Vec<(usize, usize)> {
    let b = line.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut iter = line.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        if !matches!(c, '.' | '!' | '?' | '…') {
            continue;
        }
        let mut end = i + c.len_utf8();
        while let Some(&(j, d)) = iter.peek() {
            if matches!(
                d,
                '.' | '!' | '?' | '"' | '\'' | ')' | ']' | '”' | '’' | '…'
            ) {
                end = j + d.len_utf8();
                iter.next();
            } else {
                break;
            }
        }
        let ws = text::ws_len(&b[end..]);
        if ws == 0 {
            continue;
        }
        let next = line[end + ws..].chars().next();
        if !next.is_some_and(|n| n.is_uppercase() || n.is_ascii_digit() || "\"“‘'(".contains(n))
        {
            continue;
        }
        // The word before the mark: an initial (`J.`), a name (`E! News`,
        // `Yahoo!`), an abbreviation (`Mr.`, `p.m.`) does not end a sentence.
        let word_start = line[..i]
            .rfind(|ch: char| ch.is_whitespace() || ch == '(' || ch == '"')
            .map_or(0, |p| p + 1);
        let word = line[word_start..i].to_lowercase();
        let letters = word.chars().filter(|ch| ch.is_alphabetic()).count();
        if c == '.'
            && (letters <= 1 || word.contains('.') || ABBREVIATIONS.contains(&word.as_str()))
        {
            continue;
        }
        if c == '!' && (letters <= 1 || word == "yahoo") {
            continue;
        }
        push_trimmed(line, start, end, &mut out);
        start = end;
    }
    push_trimmed(line, start, line.len(), &mut out);
    out
}

fn push_trimmed(line: &str, s: usize, e: usize, out: &mut Vec<(usize, usize)>) {
    let (ts, te) = text::trim_range(&line.as_bytes()[s..e]);
    if te > ts {
        out.push((s + ts, s + te));
    }
}

/// `1234567` as `1,234,567`.
fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// splitmix64's finaliser: a cheap, well-mixed 64-bit hash step.
const fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// MinHash: 10 bands of 6 rows.
const BANDS: usize = 10;
const ROWS: usize = 6;

/// The MinHash orderings: an odd multiplier and an offset each.
const PERMS: [(u64, u64); BANDS * ROWS] = {
    let mut out = [(0u64, 0u64); BANDS * ROWS];
    let mut i = 0;
    while i < out.len() {
        out[i] = (mix(2 * i as u64) | 1, mix(2 * i as u64 + 1));
        i += 1;
    }
    out
};

#[cfg(test)]
mod tests {
    use super::*;

    const WORDS: &[&str] = &[
        "council",
        "river",
        "bridge",
        "voted",
        "morning",
        "engineers",
        "repairs",
        "budget",
        "mayor",
        "residents",
        "traffic",
        "winter",
        "school",
        "teachers",
        "harvest",
        "market",
        "prices",
        "weather",
        "station",
        "library",
        "museum",
        "garden",
        "festival",
        "players",
    ];

    /// A paragraph of `n` pseudo-random words, different for every seed.
    fn prose(seed: u64, n: usize) -> String {
        let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        let mut out = Vec::new();
        for _ in 0..n {
            x = mix(x);
            out.push(WORDS[(x % WORDS.len() as u64) as usize]);
        }
        let mut s = out.join(" ");
        s[..1].make_ascii_uppercase();
        s + "."
    }

    fn learn(docs: &[String], min_docs: u32) -> Learned {
        let mut l = LearnerBuilder::new().min_docs(min_docs).build();
        for d in docs {
            l.add(d);
        }
        l.finish()
    }

    fn patterns(l: &Learned) -> Vec<&str> {
        l.entries().iter().map(|e| e.pattern.as_str()).collect()
    }

    #[test]
    fn boilerplate_is_learned() {
        let docs: Vec<String> = (0..6)
            .map(|i| {
                format!(
                    "Share this article\n\n{}\n\n{}\n\nSign up for The Daily newsletter",
                    prose(i, 60),
                    prose(100 + i, 40)
                )
            })
            .collect();
        let l = learn(&docs, 5);
        assert_eq!(
            patterns(&l),
            ["Share this article", "Sign up for The Daily newsletter"]
        );
        assert!(
            l.entries()
                .iter()
                .all(|e| e.is_boilerplate() && e.docs == 6)
        );
    }

    #[test]
    fn too_few_documents_learn_nothing() {
        let docs: Vec<String> = (0..4)
            .map(|i| format!("Share this article\n\n{}", prose(i, 60)))
            .collect();
        assert!(learn(&docs, 5).entries().is_empty());
    }

    #[test]
    fn near_duplicate_documents_count_once() {
        // One syndicated story, carried by six outlets that each add their
        // own first line; the quote in it must not be learned.
        let quote = "\"We will rebuild the bridge before winter,\" the mayor said.";
        let story = format!("{}\n\n{quote}\n\n{}", prose(7, 80), prose(8, 80));
        let docs: Vec<String> = (0..6)
            .map(|i| format!("Outlet {} reports\n\n{story}", WORDS[i]))
            .collect();
        let l = learn(&docs, 3);
        assert_eq!(l.near_duplicates(), 5);
        assert!(patterns(&l).is_empty(), "{:?}", patterns(&l));
        // Without the collapse, the whole story would be learned.
        let mut l = LearnerBuilder::new()
            .min_docs(3)
            .near_duplicates(false)
            .build();
        for d in &docs {
            l.add(d);
        }
        assert!(l.finish().entries().iter().any(|e| e.example == quote));
    }

    #[test]
    fn quotes_repeated_across_sites_are_marked_for_review() {
        let quote =
            "\u{201c}We will rebuild the bridge before winter,\u{201d} the mayor told reporters.";
        let mut l = LearnerBuilder::new().min_docs(3).build();
        for i in 0..6 {
            // Different stories on different sites, each quoting the mayor.
            let doc = format!("{}\n\n{quote}\n\n{}", prose(i, 60), prose(50 + i, 60));
            l.add_in_group(&format!("site{i}.example"), &doc);
        }
        let learned = l.finish();
        let e = &learned.entries()[0];
        assert_eq!(e.example, quote);
        assert!(
            matches!(&e.verdict, Verdict::Prose(why) if why.contains("quoted speech")),
            "{:?}",
            e.verdict
        );
        let file = learned.to_patterns("learned");
        assert!(file.contains("# review: looks like prose"), "{file}");
        let parsed = patterns::parse("l.txt", "l", &file).unwrap();
        assert!(parsed.rules.is_empty(), "review entries are commented out");
    }

    #[test]
    fn numbers_are_normalised() {
        let docs: Vec<String> = (0..5)
            .map(|i| {
                format!(
                    "{}\n\nPhoto {} of {}\n\nCopyright 2018 Acme  Media",
                    prose(i, 60),
                    i + 1,
                    20 + i * 7
                )
            })
            .collect();
        let l = learn(&docs, 5);
        // The counter varies and becomes {n}; the year does not, and stays.
        assert_eq!(
            patterns(&l),
            ["Copyright 2018 Acme Media", "Photo {n} of {n}"]
        );
    }

    #[test]
    fn normalise_folds_case_space_and_numbers() {
        let mut a = String::new();
        let mut b = String::new();
        let da = normalise("Watch  the VIDEO: 3 of 1,204", &mut a).unwrap();
        let db = normalise("watch the video:\u{a0}17 of 9", &mut b).unwrap();
        assert_eq!(a, "watch the video: {n} of {n}");
        assert_eq!(a, b);
        assert_ne!(da, db);
        normalise("Top 10 mp3 players of 2018", &mut a).unwrap();
        assert_eq!(a, "top {n} mp3 players of {n}");
        assert_eq!(normalise("12 - 3", &mut a), None, "needs two letters");
    }

    #[test]
    fn sentences_split_at_ends_not_abbreviations() {
        let line = "Mr. Smith met J. Doe at 9 p.m. ET. They watched E! News. Was it \"fun?\" Yes!";
        let parts: Vec<&str> = sentences(line).iter().map(|&(s, e)| &line[s..e]).collect();
        assert_eq!(
            parts,
            [
                "Mr. Smith met J. Doe at 9 p.m. ET.",
                "They watched E! News.",
                "Was it \"fun?\"",
                "Yes!"
            ]
        );
        assert_eq!(sentences("no end here").len(), 1);
    }

    #[test]
    fn entries_escape_braces_and_skip_what_a_file_cannot_hold() {
        assert_eq!(
            to_pattern("Use {code} here", false).as_deref(),
            Some("Use {{code}} here")
        );
        assert_eq!(
            to_pattern("Page 3 of 7", true).as_deref(),
            Some("Page {n} of {n}")
        );
        assert_eq!(to_pattern("#hashtag of the week", false), None);
        assert_eq!(to_pattern("@handle on Twitter", false), None);
        assert_eq!(to_pattern("[gallery]", false), None);
        assert_eq!(
            to_pattern("[Image via AP]", false).as_deref(),
            Some("[Image via AP]")
        );
    }

    #[test]
    fn a_sentence_inside_a_learned_line_is_not_repeated() {
        let docs: Vec<String> = (0..5)
            .map(|i| {
                format!(
                    "{}\n\nWant more? Sign up for our newsletter to get stories in your inbox.",
                    prose(i, 60)
                )
            })
            .collect();
        let l = learn(&docs, 5);
        assert_eq!(
            patterns(&l),
            ["Want more? Sign up for our newsletter to get stories in your inbox."]
        );
    }

    #[test]
    fn the_table_stays_within_max_keys() {
        let mut l = LearnerBuilder::new().min_docs(5).max_keys(1024).build();
        for i in 0..1000 {
            let doc = format!(
                "{}\n{}\n{}\n{}\n\nSubscribe to our newsletter",
                prose(i * 4, 12),
                prose(i * 4 + 1, 12),
                prose(i * 4 + 2, 12),
                prose(i * 4 + 3, 12)
            );
            l.add(&doc);
            assert!(l.table.len() <= 1024);
        }
        let learned = l.finish();
        assert!(learned.pruned() > 0);
        // A pruning per 1,024 new units, the floor rising by one each time.
        assert_eq!(learned.prune_floor(), 3);
        assert_eq!(patterns(&learned), ["Subscribe to our newsletter"]);
        assert_eq!(learned.entries()[0].docs, 1000);
    }

    #[test]
    fn the_file_parses_and_names_its_counts() {
        let docs: Vec<String> = (0..5)
            .map(|i| format!("{}\n\nFollow us on Instagram", prose(i, 60)))
            .collect();
        let file = learn(&docs, 5).to_patterns("mysite");
        let parsed = patterns::parse("mysite.txt", "mysite", &file).unwrap();
        assert_eq!(parsed.category, "mysite");
        assert_eq!(parsed.rules.len(), 1);
        assert!(
            file.contains("# 5 docs, e.g. \"Follow us on Instagram\"\nFollow us on Instagram\n"),
            "{file}"
        );
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1204), "1,204");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
