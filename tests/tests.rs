//! The integration test binary (one binary, a module per area).
mod quality;
mod rules;
mod samples;
