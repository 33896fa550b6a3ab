//! `cargo xtask record [LESSON..]`: check every built-in lesson (or those
//! named) on this machine's kernel and keep what `forkscope check --json
//! --kernel-steps LESSON` prints as the lesson's recording,
//! lessons/kernel/LESSON.json,
//! which the web app shows beside the model ("checked on Linux 6.18").
//!
//! Root only: without it pagemap hides frame numbers, and a recording
//! would say nothing about frames. A lesson whose check could not finish
//! (an error, a timeout under load) is not recorded, and its old recording
//! is kept; one where model and kernel differ is recorded, since that is
//! what the kernel showed, and said loudly. Recording every lesson also
//! removes the recordings of lessons that are gone. A recording names the
//! lesson text it was made from (`source_sha256`); native/tests/
//! lesson_recordings.rs fails when a lesson changed since.

use crate::{cargo, root, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where the recordings are, from the workspace root.
const DIR: &str = "lessons/kernel";

/// The effective user id, from /proc/self/status ("Uid: real effective ...").
fn effective_uid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// The forkscope binary that `cargo build -p native` made.
fn forkscope_binary() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"));
    root().join(target).join("debug").join("forkscope")
}

/// The built-in lessons' names, as `forkscope lessons` lists them (one a
/// line, the name first, then a blank line and how to run one).
fn lesson_names(forkscope: &Path) -> Result<Vec<String>> {
    let out = Command::new(forkscope)
        .arg("lessons")
        .output()
        .map_err(|e| format!("could not run {}: {e}", forkscope.display()))?;
    if !out.status.success() {
        return Err(format!("`forkscope lessons` failed ({})", out.status));
    }
    Ok(names_in(&String::from_utf8_lossy(&out.stdout)))
}

/// The names in a listing of `forkscope lessons`: the first word of each
/// line, up to the blank line before the hint.
fn names_in(listing: &str) -> Vec<String> {
    listing
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

/// What `forkscope check` said of one lesson, by its exit status.
enum Checked {
    /// Recorded: model and kernel agree and every expect holds (0), or
    /// not (1: a difference or an expect that fails; recorded all the
    /// same, and said).
    Recorded { differ: bool },
    /// Not recorded: the check could not finish or judge (the status).
    Refused(String),
}

fn record_one(forkscope: &Path, dir: &Path, name: &str) -> Result<Checked> {
    let out = Command::new(forkscope)
        .args(["check", "--json", "--kernel-steps", name])
        .output()
        .map_err(|e| format!("could not run {}: {e}", forkscope.display()))?;
    let why = match out.status.code() {
        Some(0) => None,
        Some(1) => None,
        Some(2) => Some("the check could not finish (an error or a timeout): run it again, or `forkscope check NAME` to see why"),
        Some(3) => Some("some expect or page was not judged"),
        _ => Some("forkscope check was killed"),
    };
    if let Some(why) = why {
        return Ok(Checked::Refused(why.replace("NAME", name)));
    }
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, &out.stdout)
        .map_err(|e| format!("could not write {}: {e}", path.display()))?;
    Ok(Checked::Recorded {
        differ: out.status.code() == Some(1),
    })
}

/// `cargo xtask record [LESSON..]`.
pub fn run(args: &[String]) -> Result {
    if effective_uid() != Some(0) {
        return Err(
            "recording needs root: pagemap shows frame numbers only to root (CAP_SYS_ADMIN), \
             and a recording without them says nothing about frames. Run `sudo -E cargo xtask record`."
                .into(),
        );
    }
    crate::run(cargo().args(["build", "-p", "native", "--bin", "forkscope"]))?;
    let forkscope = forkscope_binary();
    let all = lesson_names(&forkscope)?;
    let wanted: Vec<String> = if args.is_empty() {
        all.clone()
    } else {
        for a in args {
            if !all.contains(a) {
                return Err(format!(
                    "{a} is not a built-in lesson (they are: {})",
                    all.join(", ")
                ));
            }
        }
        args.to_vec()
    };
    let dir = root().join(DIR);
    std::fs::create_dir_all(&dir).map_err(|e| format!("could not make {DIR}: {e}"))?;
    let mut refused = Vec::new();
    for name in &wanted {
        match record_one(&forkscope, &dir, name)? {
            Checked::Recorded { differ: false } => eprintln!("recorded {DIR}/{name}.json"),
            Checked::Recorded { differ: true } => eprintln!(
                "recorded {DIR}/{name}.json, but the check FAILED: model and kernel differ, \
                 or an expect fails; `forkscope check {name}` shows where (Linux is right: \
                 mend the model, or the lesson)"
            ),
            Checked::Refused(why) => {
                eprintln!("NOT recorded {name} (its old recording is kept): {why}");
                refused.push(name.clone());
            }
        }
    }
    if args.is_empty() {
        remove_orphans(&dir, &all)?;
    }
    if refused.is_empty() {
        Ok(())
    } else {
        Err(format!("not recorded: {}", refused.join(", ")))
    }
}

/// Remove the recordings of lessons that are no longer built in.
fn remove_orphans(dir: &Path, lessons: &[String]) -> Result {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("could not read {DIR}: {e}"))?;
    for entry in entries.flatten() {
        let path = entry.path();
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        let json = path.extension().is_some_and(|e| e == "json");
        if json && !lessons.iter().any(|l| l == stem) {
            std::fs::remove_file(&path)
                .map_err(|e| format!("could not remove {}: {e}", path.display()))?;
            eprintln!("removed {DIR}/{stem}.json: no such lesson any more");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::names_in;

    #[test]
    fn lesson_names_are_read_from_the_listing_and_not_from_its_hint() {
        let listing = "cow-after-fork           Copy-on-write after fork\n\
                       sigpipe                  SIGPIPE when the reader is gone\n\
                       \n\
                       Run one with: forkscope run NAME\n";
        assert_eq!(names_in(listing), ["cow-after-fork", "sigpipe"]);
    }
}
