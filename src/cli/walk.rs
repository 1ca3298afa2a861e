//! Which inputs to clean: paths from the command line, and with -r every
//! file under the directories among them that passes the filters, in name
//! order.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::path::{Component, Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};

/// Where a cleaned input goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dest {
    Stdout,
    /// A file (under -o DIR), written atomically.
    File(PathBuf),
    /// The input itself, rewritten atomically.
    InPlace,
}

/// One input to clean, or one that failed before it could be opened.
#[derive(Debug)]
pub enum Input {
    Stdin,
    File {
        path: PathBuf,
        /// Named on the command line (as opposed to found under -r).
        explicit: bool,
        dest: Dest,
        /// Its size when it is a regular file; `None` for a pipe or a
        /// device, whose input has no known end, and when `unlooked`.
        size: Option<u64>,
        /// The walk did not look the file up ([`WalkOpts::sizes`]): it is
        /// taken for a small regular file, to be run with others, and the
        /// worker finds out what it is when it opens it.
        unlooked: bool,
    },
    /// Reported as failed, in order with the others.
    Error {
        label: String,
        message: String,
    },
}

/// The filters and options the walk needs, without clap types.
pub struct WalkOpts {
    pub recursive: bool,
    pub hidden: bool,
    pub follow: bool,
    pub include: Option<GlobSet>,
    pub exclude: Option<GlobSet>,
    /// Lower-case extensions, without dots; empty means any.
    pub ext: Vec<String>,
    pub output: Option<PathBuf>,
    pub in_place: bool,
    /// Look up each file's size as it is found, for the progress total.
    /// Without it, a file named on the command line without -r, or found
    /// under a directory, is not looked up at all: the worker learns what
    /// it is from the open file (`fstat`), and each file costs one path
    /// lookup in the kernel instead of two (5% of the CPU time of a run
    /// over 11,648 small files).
    pub sizes: bool,
}

/// Compiles globs; the error names the bad one.
pub fn globset(globs: &[String]) -> Result<Option<GlobSet>, String> {
    if globs.is_empty() {
        return Ok(None);
    }
    let mut b = GlobSetBuilder::new();
    for g in globs {
        b.add(Glob::new(g).map_err(|e| format!("bad glob '{g}': {e}"))?);
    }
    b.build().map(Some).map_err(|e| e.to_string())
}

impl WalkOpts {
    fn dest_for(&self, rel: &Path) -> Dest {
        match (&self.output, self.in_place) {
            (Some(dir), _) => Dest::File(dir.join(rel)),
            (None, true) => Dest::InPlace,
            (None, false) => Dest::Stdout,
        }
    }

    fn matches(set: &GlobSet, rel: &Path) -> bool {
        set.is_match(rel) || rel.file_name().is_some_and(|n| set.is_match(n))
    }

    fn wanted_file(&self, rel: &Path) -> bool {
        if let Some(ex) = &self.exclude
            && Self::matches(ex, rel)
        {
            return false;
        }
        if let Some(inc) = &self.include
            && !Self::matches(inc, rel)
        {
            return false;
        }
        if !self.ext.is_empty() {
            let Some(ext) = rel.extension().and_then(OsStr::to_str) else {
                return false;
            };
            if !self.ext.iter().any(|e| e.eq_ignore_ascii_case(ext)) {
                return false;
            }
        }
        true
    }
}

fn is_hidden(name: &OsStr) -> bool {
    name.as_encoded_bytes().first() == Some(&b'.')
}

/// Calls `emit` for every input, in order, until it returns false.
pub fn walk(
    paths: Vec<PathBuf>,
    opts: &WalkOpts,
    emit: &mut dyn FnMut(Input) -> bool,
    on_found: &dyn Fn(u64),
) {
    // Two inputs must not be cleaned into the same output file.
    let mut outputs: HashSet<PathBuf> = HashSet::new();
    let out_canon = opts.output.as_ref().and_then(|o| o.canonicalize().ok());
    for path in paths {
        if path.as_os_str() == "-" {
            if !emit(Input::Stdin) {
                return;
            }
            continue;
        }
        // Only errors need it: made when one is reported.
        let label = || path.to_string_lossy().into_owned();
        if !opts.recursive && !opts.sizes {
            // A directory, a missing file or a pipe is found out by the
            // worker, with the same messages.
            let dest = opts.dest_for(named_rel(&path));
            let input = file_input(&mut outputs, path, dest, true, None, true);
            if !emit(input) {
                return;
            }
            continue;
        }
        let meta = match std::fs::metadata(&path) {
            Ok(m) => m,
            Err(e) => {
                if !emit(Input::Error {
                    label: label(),
                    message: format!("cannot open: {e}"),
                }) {
                    return;
                }
                continue;
            }
        };
        if !meta.is_dir() {
            let size = meta.is_file().then_some(meta.len());
            let dest = opts.dest_for(named_rel(&path));
            let input = file_input(&mut outputs, path, dest, true, size, false);
            if matches!(input, Input::File { .. }) {
                on_found(meta.len());
            }
            if !emit(input) {
                return;
            }
            continue;
        }
        if !opts.recursive {
            if !emit(Input::Error {
                label: label(),
                message: super::work::IS_DIR.to_string(),
            }) {
                return;
            }
            continue;
        }
        let root = path.as_path();
        let walker = walkdir::WalkDir::new(root)
            .follow_links(opts.follow)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| {
                if e.depth() == 0 {
                    return true;
                }
                if !opts.hidden && is_hidden(e.file_name()) {
                    return false;
                }
                if e.file_type().is_dir() {
                    if let Some(out) = &out_canon {
                        // Never walk into our own output.
                        if e.path().canonicalize().is_ok_and(|p| &p == out) {
                            return false;
                        }
                    }
                    if let Some(ex) = &opts.exclude {
                        let rel = e.path().strip_prefix(root).unwrap_or(e.path());
                        return !WalkOpts::matches(ex, rel);
                    }
                }
                true
            });
        for entry in walker {
            let entry = match entry {
                Ok(e) => e,
                Err(err) => {
                    let label = err
                        .path()
                        .map(|p| p.to_string_lossy().into_owned())
                        .unwrap_or_else(label);
                    let message = match (err.io_error(), err.loop_ancestor()) {
                        (Some(io), _) => format!("cannot read: {io}"),
                        // walkdir's own words name the ancestor last and
                        // unquoted (`... points to an ancestor in`).
                        (None, Some(ancestor)) => format!(
                            "symbolic link loop: leads back to '{}'; not followed",
                            ancestor.display()
                        ),
                        (None, None) => err.to_string(),
                    };
                    if !emit(Input::Error { label, message }) {
                        return;
                    }
                    continue;
                }
            };
            // Without --follow, symbolic links are neither files nor
            // directories here, and are passed over like ripgrep does.
            if !entry.file_type().is_file() {
                continue;
            }
            let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
            if rel.components().any(|c| matches!(c, Component::ParentDir)) {
                continue;
            }
            if !opts.wanted_file(rel) {
                continue;
            }
            let unlooked = !opts.sizes;
            let size = if unlooked {
                None
            } else {
                entry.metadata().ok().map(|m| m.len())
            };
            let dest = opts.dest_for(rel);
            let input = file_input(&mut outputs, entry.into_path(), dest, false, size, unlooked);
            if matches!(input, Input::File { .. }) {
                on_found(size.unwrap_or(0));
            }
            if !emit(input) {
                return;
            }
        }
    }
}

/// Where a file named on the command line goes under -o: its name alone.
fn named_rel(path: &Path) -> &Path {
    Path::new(path.file_name().unwrap_or(path.as_os_str()))
}

/// The input for a file, or an error if its output would clash with an
/// earlier one's.
fn file_input(
    outputs: &mut HashSet<PathBuf>,
    path: PathBuf,
    dest: Dest,
    explicit: bool,
    size: Option<u64>,
    unlooked: bool,
) -> Input {
    if let Dest::File(out) = &dest
        && !outputs.insert(out.clone())
    {
        return Input::Error {
            label: path.display().to_string(),
            message: format!(
                "its output {} is also the output of an earlier input; not cleaned \
                 (rename it, or clean the common parent directory with -r)",
                out.display()
            ),
        };
    }
    Input::File {
        path,
        explicit,
        dest,
        size,
        unlooked,
    }
}
