//! One measurement is one fresh child process, so that peaks of memory do
//! not mix between cases and a case that runs away is stopped by the
//! kernel, not by a timer that races it.
//!
//! The orchestrator starts this same binary as `scale __measure ...`; that
//! child sets its resource limits (inherited by what it starts), measures,
//! and prints one line. Two kinds:
//! - `cli`: runs the release `forkscope run FILE` (the model and the text
//!   trace, as a user meets them) with its stdout in a file; the figures
//!   are the CPU time (user + system) and the peak RSS of that process,
//!   read with `getrusage(RUSAGE_CHILDREN)` after the wait: the only child
//!   this process ever waits for is that one, so the figures are its own.
//! - `model`: parses FILE and runs `Sim::run_to_end` in this process; the
//!   figures are the CPU time of the run (after `skip` set-up steps) and
//!   the peak of live heap bytes counted by the binary's global allocator.
//!
//! Time is CPU time, not wall time: the machine this runs on is often
//! shared, and other work there stretches wall time far more than it
//! stretches the CPU time of a single-threaded run. Wall time is kept for
//! the notes.

use crate::alloc;
use nix::sys::resource::{getrusage, setrlimit, Resource, UsageWho};
use sim_core::engine::Sim;
use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

/// The word that makes the binary a measuring child.
pub const CHILD_ARG: &str = "__measure";

/// Limits on one measured run, so that a case far off its target (before
/// the engine is fixed, say) ends with a clear line instead of filling the
/// machine or the afternoon.
#[derive(Clone, Copy, Debug)]
pub struct Caps {
    /// CPU seconds (RLIMIT_CPU: the kernel sends SIGXCPU when they are used).
    pub cpu_secs: u64,
    /// Bytes of address space (RLIMIT_AS: an allocation past it fails, and
    /// a Rust program aborts).
    pub mem_bytes: u64,
}

/// What one run measured.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    /// CPU seconds, user and system.
    pub cpu: f64,
    pub wall: f64,
    /// Peak resident set of the process, in bytes.
    pub peak_rss: u64,
    /// `model`: peak live heap bytes.
    pub heap: Option<u64>,
    /// `cli`: the size of the text trace.
    pub trace: Option<u64>,
}

/// Why a run did not finish.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cap {
    Cpu,
    Memory,
}

#[derive(Clone, Copy, Debug)]
pub enum Outcome {
    Done(Sample),
    /// Stopped by a cap after this much time.
    Capped(Cap, Spent),
}

/// CPU and wall seconds a run took.
#[derive(Clone, Copy, Debug)]
pub struct Spent {
    pub cpu: f64,
    pub wall: f64,
}

/// What to measure.
pub enum Job<'a> {
    Cli { forkscope: &'a Path, out: &'a Path },
    Model { skip: u32 },
}

/// Measure `file` once, in a fresh child.
pub fn once(job: &Job<'_>, file: &Path, caps: Caps) -> Result<Outcome, String> {
    let me = std::env::current_exe().map_err(|e| format!("where is this binary? {e}"))?;
    let mut cmd = Command::new(me);
    cmd.arg(CHILD_ARG)
        .arg(caps.cpu_secs.to_string())
        .arg(caps.mem_bytes.to_string());
    match job {
        Job::Cli { forkscope, out } => {
            cmd.arg("cli").arg(forkscope).arg(file).arg(out);
        }
        Job::Model { skip } => {
            cmd.arg("model").arg(file).arg(skip.to_string());
        }
    }
    let before = children_cpu()?;
    let started = Instant::now();
    let output = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("could not start the measuring child: {e}"))?;
    // What the child and everything it waited for used, also when it was
    // killed: the children's sums grow by exactly that at the wait.
    let spent = Spent {
        cpu: children_cpu()? - before,
        wall: started.elapsed().as_secs_f64(),
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let fields: Vec<&str> = stdout.split_whitespace().collect();
    match (job, fields.as_slice()) {
        (Job::Cli { out, .. }, ["ok", cpu, wall, rss_kb]) => {
            let trace = std::fs::metadata(out)
                .map_err(|e| format!("{}: {e}", out.display()))?
                .len();
            Ok(Outcome::Done(Sample {
                cpu: parse_nanos(cpu)?,
                wall: parse_nanos(wall)?,
                peak_rss: parse_u64(rss_kb)? * 1024,
                heap: None,
                trace: Some(trace),
            }))
        }
        (Job::Cli { out, .. }, [how, cpu, wall, _rss]) => {
            let spent = Spent {
                cpu: parse_nanos(cpu)?,
                wall: parse_nanos(wall)?,
            };
            let err_file = out.with_extension("err");
            let err = std::fs::read_to_string(&err_file).unwrap_or_default();
            capped(how, &err, spent).ok_or_else(|| {
                format!(
                    "forkscope run {} failed ({}):\n{}",
                    file.display(),
                    how.replace('-', " "),
                    tail(&err)
                )
            })
        }
        (Job::Model { .. }, ["ok", cpu, wall, heap, rss_kb]) => Ok(Outcome::Done(Sample {
            cpu: parse_nanos(cpu)?,
            wall: parse_nanos(wall)?,
            peak_rss: parse_u64(rss_kb)? * 1024,
            heap: Some(parse_u64(heap)?),
            trace: None,
        })),
        (Job::Model { .. }, _) => {
            let how = match (output.status.code(), signal_of(&output.status)) {
                (_, Some(sig)) => format!("signal-{sig}"),
                (Some(code), None) => format!("code-{code}"),
                (None, None) => "unknown".into(),
            };
            capped(&how, &stderr, spent).ok_or_else(|| {
                format!(
                    "the model run of {} failed ({}):\n{}",
                    file.display(),
                    how.replace('-', " "),
                    tail(&stderr)
                )
            })
        }
        _ => Err(format!(
            "the measuring child printed {stdout:?}; stderr:\n{}",
            tail(&stderr)
        )),
    }
}

/// A run that ended by one of the caps: SIGXCPU (or the SIGKILL at the
/// hard CPU limit), or an abort after a failed allocation.
fn capped(how: &str, stderr: &str, spent: Spent) -> Option<Outcome> {
    let sigxcpu = format!("signal-{}", nix::libc::SIGXCPU);
    let sigkill = format!("signal-{}", nix::libc::SIGKILL);
    if how == sigxcpu || how == sigkill {
        return Some(Outcome::Capped(Cap::Cpu, spent));
    }
    if stderr.contains("memory allocation of") {
        return Some(Outcome::Capped(Cap::Memory, spent));
    }
    None
}

fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(10)..].join("\n")
}

fn parse_u64(s: &str) -> Result<u64, String> {
    s.parse()
        .map_err(|_| format!("the measuring child printed {s:?} for a number"))
}

fn parse_nanos(s: &str) -> Result<f64, String> {
    Ok(parse_u64(s)? as f64 / 1e9)
}

/// CPU seconds, user and system, in a `getrusage` answer.
fn cpu_secs(usage: &nix::sys::resource::Usage) -> f64 {
    let secs = |t: nix::sys::time::TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 / 1e6;
    secs(usage.user_time()) + secs(usage.system_time())
}

/// The CPU time of every child waited for so far.
fn children_cpu() -> Result<f64, String> {
    let usage = getrusage(UsageWho::RUSAGE_CHILDREN).map_err(|e| format!("getrusage: {e}"))?;
    Ok(cpu_secs(&usage))
}

fn signal_of(status: &std::process::ExitStatus) -> Option<i32> {
    use std::os::unix::process::ExitStatusExt;
    status.signal()
}

/// Runs of one file: up to `runs`, fewer once `budget` of wall time is
/// spent (a slow case is still measured once), none after a capped run.
pub struct Runs {
    pub samples: Vec<Sample>,
    pub capped: Option<(Cap, Spent)>,
}

impl Runs {
    pub fn measure(
        job: &Job<'_>,
        file: &Path,
        caps: Caps,
        runs: u32,
        budget: Duration,
    ) -> Result<Runs, String> {
        let mut samples = Vec::new();
        let mut spent = 0.0;
        for _ in 0..runs.max(1) {
            match once(job, file, caps)? {
                Outcome::Done(sample) => {
                    spent += sample.wall;
                    samples.push(sample);
                }
                Outcome::Capped(cap, took) => {
                    return Ok(Runs {
                        samples,
                        capped: Some((cap, took)),
                    })
                }
            }
            if spent > budget.as_secs_f64() {
                break;
            }
        }
        Ok(Runs {
            samples,
            capped: None,
        })
    }

    /// The median of one figure over the samples that have it.
    pub fn median(&self, figure: impl Fn(&Sample) -> Option<f64>) -> Option<f64> {
        let mut values: Vec<f64> = self.samples.iter().filter_map(figure).collect();
        values.sort_by(f64::total_cmp);
        let n = values.len();
        match n {
            0 => None,
            _ if n % 2 == 1 => Some(values[n / 2]),
            _ => Some((values[n / 2 - 1] + values[n / 2]) / 2.0),
        }
    }
}

/// The measuring child: `__measure CPU_SECS MEM_BYTES cli FORKSCOPE FILE OUT`
/// or `__measure CPU_SECS MEM_BYTES model FILE SKIP`.
pub fn child_main(args: &[OsString]) -> ExitCode {
    match child(args) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("scale __measure: {e}");
            ExitCode::from(2)
        }
    }
}

fn child(args: &[OsString]) -> Result<String, String> {
    let arg = |i: usize| -> Result<&OsString, String> {
        args.get(i)
            .ok_or_else(|| format!("missing argument {i} in {args:?}"))
    };
    let number = |i: usize| -> Result<u64, String> {
        arg(i)?
            .to_str()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("argument {i} is not a number: {args:?}"))
    };
    let cpu = number(0)?;
    let mem = number(1)?;
    // The soft CPU limit sends SIGXCPU; the hard one, a little later,
    // SIGKILL for a process that ignores it.
    setrlimit(Resource::RLIMIT_CPU, cpu, cpu + 5).map_err(|e| format!("RLIMIT_CPU: {e}"))?;
    setrlimit(Resource::RLIMIT_AS, mem, mem).map_err(|e| format!("RLIMIT_AS: {e}"))?;
    match arg(2)?.to_str() {
        Some("cli") => {
            let out = PathBuf::from(arg(5)?);
            cli(Path::new(arg(3)?), Path::new(arg(4)?), &out)
        }
        Some("model") => model(Path::new(arg(3)?), number(4)? as u32),
        _ => Err(format!("unknown job in {args:?}")),
    }
}

fn cli(forkscope: &Path, file: &Path, out: &Path) -> Result<String, String> {
    let stdout = File::create(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let err_file = out.with_extension("err");
    let stderr = File::create(&err_file).map_err(|e| format!("{}: {e}", err_file.display()))?;
    let started = Instant::now();
    let status = Command::new(forkscope)
        .arg("run")
        .arg(file)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .status()
        .map_err(|e| format!("could not start {}: {e}", forkscope.display()))?;
    let wall = started.elapsed().as_nanos();
    let usage = getrusage(UsageWho::RUSAGE_CHILDREN).map_err(|e| format!("getrusage: {e}"))?;
    let cpu = (cpu_secs(&usage) * 1e9) as u64;
    // ru_maxrss is in KiB on Linux (getrusage(2)).
    let rss_kb = usage.max_rss();
    let how = match (status.code(), signal_of(&status)) {
        (Some(0), _) => "ok".to_string(),
        (_, Some(sig)) => format!("signal-{sig}"),
        (Some(code), None) => format!("code-{code}"),
        (None, None) => "unknown".into(),
    };
    Ok(format!("{how} {cpu} {wall} {rss_kb}"))
}

fn model(file: &Path, skip: u32) -> Result<String, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let mut sim = Sim::from_source(&text).map_err(|e| format!("{}: {e}", file.display()))?;
    for _ in 0..skip {
        sim.step().map_err(|e| format!("{}: {e}", file.display()))?;
    }
    let self_usage = || getrusage(UsageWho::RUSAGE_SELF).map_err(|e| format!("getrusage: {e}"));
    let before = cpu_secs(&self_usage()?);
    let started = Instant::now();
    sim.run_to_end()
        .map_err(|e| format!("{}: {e}", file.display()))?;
    let wall = started.elapsed().as_nanos();
    let usage = self_usage()?;
    let cpu = ((cpu_secs(&usage) - before) * 1e9) as u64;
    let peak_heap = alloc::peak();
    drop(sim);
    Ok(format!("ok {cpu} {wall} {peak_heap} {}", usage.max_rss()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(secs: f64) -> Sample {
        Sample {
            cpu: secs,
            wall: secs,
            peak_rss: 0,
            heap: None,
            trace: None,
        }
    }

    #[test]
    fn the_median_is_the_middle_run_or_the_mean_of_the_two_middle_ones() {
        let runs = |secs: &[f64]| Runs {
            samples: secs.iter().copied().map(sample).collect(),
            capped: None,
        };
        assert_eq!(runs(&[3.0, 1.0, 2.0]).median(|s| Some(s.cpu)), Some(2.0));
        assert_eq!(runs(&[4.0, 1.0]).median(|s| Some(s.cpu)), Some(2.5));
        assert_eq!(runs(&[]).median(|s| Some(s.cpu)), None);
        assert_eq!(runs(&[1.0]).median(|s| s.heap.map(|h| h as f64)), None);
    }

    #[test]
    fn a_run_stopped_by_a_cap_is_told_from_a_failure() {
        let xcpu = format!("signal-{}", nix::libc::SIGXCPU);
        let spent = Spent {
            cpu: 1.0,
            wall: 1.0,
        };
        assert!(matches!(
            capped(&xcpu, "", spent),
            Some(Outcome::Capped(Cap::Cpu, _))
        ));
        assert!(matches!(
            capped("signal-6", "memory allocation of 376 bytes failed\n", spent),
            Some(Outcome::Capped(Cap::Memory, _))
        ));
        assert!(capped("code-1", "error: 3:1: unknown statement", spent).is_none());
    }
}
