//! `cargo xtask bench ostep [FORK_PY]`: `forkscope ostep -s 1 -a 100000
//! -c -F` against `python3 fork.py` with the same options, in one run:
//! both outputs must be the same bytes, then the times and their ratio
//! (the target: at least 50 times faster). fork.py is not in the
//! repository (OSTEP's ostep-homework, cpu-api/fork.py): its path is the
//! argument, or $FORK_PY.

use crate::{cargo, run, target_dir, Result};
use std::process::Command;
use std::time::{Duration, Instant};

/// The options timed.
const ARGS: [&str; 6] = ["-s", "1", "-a", "100000", "-c", "-F"];
/// The target ratio (issue 11).
const TARGET: f64 = 50.0;
/// Runs of forkscope, whose median is taken (fork.py runs once: ~20 s).
const RUNS: usize = 5;

fn timed(command: &mut Command) -> Result<(Duration, Vec<u8>)> {
    let start = Instant::now();
    let out = command
        .output()
        .map_err(|e| format!("cannot run {command:?}: {e}"))?;
    let took = start.elapsed();
    if !out.status.success() {
        return Err(format!("{command:?} failed: {}", out.status));
    }
    Ok((took, out.stdout))
}

pub fn bench(args: &[String]) -> Result {
    let fork_py = args
        .first()
        .cloned()
        .or_else(|| std::env::var("FORK_PY").ok())
        .ok_or("give fork.py's path: `cargo xtask bench ostep PATH/fork.py` (or set FORK_PY)")?;
    run(cargo().args(["build", "--release", "-p", "native", "--bin", "forkscope"]))?;
    let forkscope = target_dir().join("release/forkscope");
    let args = ARGS;
    let mut ours = Vec::new();
    let mut bytes = Vec::new();
    for _ in 0..RUNS {
        let (took, out) = timed(Command::new(&forkscope).arg("ostep").args(args))?;
        ours.push(took);
        bytes = out;
    }
    ours.sort();
    let ours = ours[RUNS / 2];
    let (theirs, python_bytes) = timed(Command::new("python3").arg(&fork_py).args(args))?;
    if bytes != python_bytes {
        return Err(format!(
            "forkscope ostep {} does not print fork.py's bytes",
            args.join(" ")
        ));
    }
    let ratio = theirs.as_secs_f64() / ours.as_secs_f64();
    let verdict = if ratio >= TARGET { "met" } else { "NOT MET" };
    println!("ostep {}: the same {} bytes", args.join(" "), bytes.len());
    println!("  python3 fork.py    {:>9.3} s", theirs.as_secs_f64());
    println!(
        "  forkscope ostep    {:>9.3} s (median of {RUNS})",
        ours.as_secs_f64()
    );
    println!("  ratio              {ratio:>9.0}x (target {TARGET}x: {verdict})");
    Ok(())
}
