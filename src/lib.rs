//! dejunk strips scraped web junk out of plain text and keeps the article.
//!
//! Text that a scraper pulled out of a web page still carries the page's
//! furniture: ad markers, newsletter prompts, photo credits, video cards,
//! share bars, related-link teasers, cookie notices, standalone bylines.
//! dejunk removes them and leaves the prose as it was: nothing reworded,
//! paragraphs intact.
//!
//! ```
//! use dejunk::Cleaner;
//!
//! let cleaner = Cleaner::new(); // build once, share across threads
//! let page = "\
//! Advertisement
//!
//! The council voted on Tuesday to close the bridge. (Photo: Jane Doe, AP)
//!
//! Get push notifications with news, features and more.
//!
//! Repairs start in May.";
//! assert_eq!(
//!     cleaner.clean_str(page),
//!     "The council voted on Tuesday to close the bridge.\n\nRepairs start in May.\n"
//! );
//! ```
//!
//! # Pipeline
//!
//! Data flows one way: bytes are decoded to UTF-8 (`decode`), split into
//! lines in a bounded buffer (`lines`), matched against the compiled
//! patterns (`matcher`), decided line by line with a small window for block
//! rules (`detect`), and written out with cuts stitched and blank lines
//! collapsed (`edit`). Every removal can be observed ([`Observer`]).
//!
//! # Memory
//!
//! Streaming cleaning ([`Cleaner::clean_reader`]) holds at most one line up
//! to the line limit (1 MiB by default), one read chunk, and up to eight
//! short lines that a block rule may still claim. Longer lines are copied
//! through unchanged in pieces.
//!
//! # Patterns
//!
//! The default patterns (one file per category: `ads`, `newsletter`,
//! `media`, `social`, `navigation`, `byline`, `legal`, `promo`, `comments`,
//! `browser`, and `dateline`, which is off by default) are compiled into the
//! crate. Add your own with [`CleanerBuilder::patterns_file`]; the format is
//! described in `patterns/README.md`.
#![deny(missing_docs)]

mod cleaner;
mod decode;
mod detect;
mod diff;
mod edit;
mod error;
mod grams;
pub mod learn;
mod lines;
mod matcher;
mod patterns;
mod prefilter;
mod report;
mod sentinels;
mod shapes;
#[cfg(test)]
mod testutil;
mod text;
mod windows;

pub use cleaner::{Binary, Category, Cleaner, CleanerBuilder, DEFAULT_MAX_LINE};
pub use decode::{Decoding, EncodingSource, SNIFF_LEN};
pub use diff::diff_str;
pub use error::{BuildError, CleanError, PatternError};
pub use report::{NoObserver, Observer, Removal, Scope, Stats, Summary};

/// Re-exported so callers can name an encoding for
/// [`CleanerBuilder::encoding`] without depending on `encoding_rs` themselves.
pub use encoding_rs::Encoding;
