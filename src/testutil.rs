//! Helpers for the unit tests of the pipeline stages.

use std::io::{self, Read};

/// A reader that hands out at most `.1` bytes per call: tests of buffer
/// edges read through it.
pub(crate) struct Trickle<'a>(pub &'a [u8], pub usize);

impl crate::lines::Ends for Trickle<'_> {}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.0.len().min(self.1).min(buf.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}
