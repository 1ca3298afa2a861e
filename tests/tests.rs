//! The integration test binary (one binary, a module per area).
mod props;
mod samples;
