//! The integration test binary (one binary, a module per area). Modules that
//! run the `dejunk` binary need the `cli` feature (on by default).
#[cfg(feature = "cli")]
mod bulk;
#[cfg(feature = "cli")]
mod cli;
#[cfg(feature = "cli")]
mod learn;
mod prefilter;
mod props;
#[cfg(feature = "cli")]
mod quality;
mod rules;
mod samples;
#[cfg(feature = "cli")]
mod util;
