//! The integration test binary (one binary, a module per area).
mod prefilter;
mod samples;
