//! Standard output and standard error without panics.
//!
//! `println!` panics when a write fails: when the reader of a pipe has gone
//! (`forkscope run X | head -1`: EPIPE, since Rust ignores SIGPIPE) or the
//! disk is full (ENOSPC). Every command writes through `print` instead,
//! which never panics and remembers the first failure; `main` ends with
//! `finish`, which turns it into the exit status:
//!
//! - the reader went away (EPIPE): nothing more is written and nothing is
//!   said, as `cat` or `grep` would end; the status is the command's own
//!   verdict (the run was complete; the reader only stopped listening), so
//!   `set -o pipefail` still sees a failed expect;
//! - any other error: one line on stderr naming it, and status 2.
//!
//! A controller (`forkscope check`) keeps running after a failed write so
//! that it still kills and reaps every process it started; `closed` tells
//! it that no one reads any more, so it can stop early.

use std::io::{self, Write};
use std::process::ExitCode;
use std::sync::Mutex;

/// The first write error on stdout, if any: its kind and its description.
static FAILED: Mutex<Option<(io::ErrorKind, String)>> = Mutex::new(None);

fn failed() -> std::sync::MutexGuard<'static, Option<(io::ErrorKind, String)>> {
    // A panic while holding the lock cannot leave the Option half-written.
    FAILED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Write `text` to stdout and flush it. After a failure, further writes are
/// skipped: a broken pipe stays broken, a full disk stays full.
pub fn print(text: &str) {
    let mut failed = failed();
    if failed.is_some() {
        return;
    }
    let mut out = io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        *failed = Some((e.kind(), e.to_string()));
    }
}

/// `print` with a newline.
pub fn println(text: &str) {
    print(&format!("{text}\n"));
}

/// Has a write to stdout failed (its reader gone, or its disk full)? Then
/// whatever the command would still print is lost.
pub fn closed() -> bool {
    failed().is_some()
}

/// Write `text` to stderr. A failure there has no one left to tell, so it
/// is ignored rather than turned into a panic (which would itself write to
/// stderr).
pub fn eprint(text: &str) {
    let mut err = io::stderr().lock();
    let _ = err.write_all(text.as_bytes()).and_then(|()| err.flush());
}

/// The exit status: the command's own `code`, unless stdout could not be
/// written for another reason than a closed pipe.
pub fn finish(code: ExitCode) -> ExitCode {
    // Whatever another writer left buffered must fail here, where it can be
    // reported, not in the runtime's silent flush at exit.
    print("");
    match failed().take() {
        None | Some((io::ErrorKind::BrokenPipe, _)) => code,
        Some((_, reason)) => {
            eprint(&format!(
                "error: cannot write to standard output: {reason}\n"
            ));
            ExitCode::from(2)
        }
    }
}
