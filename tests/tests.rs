//! The integration test binary (one binary, a module per area).
#[cfg(feature = "cli")] // runs the binary
mod learn;
mod samples;
