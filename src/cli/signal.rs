//! Ctrl-C and SIGTERM while files are being written: stop cleanly, so that
//! no temporary file is left behind. A second signal exits at once.
//!
//! Only runs that write files (-o, --in-place) install the handler; a run
//! that writes to stdout is simply killed, as any filter is.

use std::sync::atomic::{AtomicBool, Ordering};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    if INTERRUPTED.swap(true, Ordering::SeqCst) {
        // SAFETY: `_exit` is async-signal-safe.
        unsafe { libc::_exit(130) }
    }
}

/// Installs the handler for SIGINT and SIGTERM.
pub fn install() {
    let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    // SAFETY: the handler only touches an atomic and calls `_exit`.
    unsafe {
        libc::signal(libc::SIGINT, handler);
        libc::signal(libc::SIGTERM, handler);
    }
}

/// Whether a signal asked the run to stop.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::Relaxed)
}

/// The error a reader or writer returns once interrupted. Not
/// `ErrorKind::Interrupted`, which `write_all` would retry.
pub fn error() -> std::io::Error {
    std::io::Error::other("interrupted")
}
