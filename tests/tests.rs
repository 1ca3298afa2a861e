//! The integration test binary (one binary, a module per area).
mod bulk;
mod cli;
mod learn;
mod prefilter;
mod props;
mod quality;
mod rules;
mod samples;
mod util;
