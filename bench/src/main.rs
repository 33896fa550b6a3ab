//! `scale`: the scale benchmarks. Each case runs generated
//! scenarios through the release `forkscope run` and through the model
//! alone, each beside a baseline measured in the same run, prints the
//! figures with their ratios, and says whether the target is met.
//!
//! Run it with `cargo xtask bench` (or `cargo xtask bench scale --quick`).
//! A benchmark is not a test: the exit status says only whether the bench
//! could measure, never whether a target was met.

mod alloc;
mod measure;
mod report;
mod suite;

use clap::Parser;
use measure::Caps;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use suite::Name;

#[global_allocator]
static ALLOC: alloc::Counting = alloc::Counting;

/// The scale benchmarks: `forkscope run` and the model alone on
/// generated scenarios, each case beside a baseline from the same run.
#[derive(Parser)]
#[command(name = "scale")]
struct Args {
    /// Smaller sizes and one run of each file: a check that the bench
    /// works, not the target figures.
    #[arg(long)]
    quick: bool,
    /// Runs of each file (fresh processes); the median is reported. A file
    /// whose runs have taken 15 s is not run again.
    #[arg(long)]
    runs: Option<u32>,
    /// CPU seconds one run may use before the kernel stops it.
    #[arg(long, default_value_t = 60)]
    cpu_cap: u64,
    /// GiB of address space one run may use before its allocations fail.
    #[arg(long, default_value_t = 8)]
    mem_cap: u64,
    /// The forkscope binary to run [default: the one beside this binary,
    /// built with `cargo build --release -p native`].
    #[arg(long)]
    forkscope: Option<PathBuf>,
    /// The cases to run [default: all].
    #[arg(value_enum)]
    cases: Vec<Name>,
}

fn main() -> ExitCode {
    let raw: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if raw.get(1).is_some_and(|a| a == measure::CHILD_ARG) {
        return measure::child_main(&raw[2..]);
    }
    match bench(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("scale: {e}");
            ExitCode::FAILURE
        }
    }
}

fn bench(args: Args) -> Result<(), String> {
    let forkscope = match args.forkscope {
        Some(path) => path,
        None => std::env::current_exe()
            .map_err(|e| format!("where is this binary? {e}"))?
            .with_file_name("forkscope"),
    };
    if !forkscope.is_file() {
        return Err(format!(
            "no forkscope binary at {}: build it with `cargo build --release -p native` \
             or name one with --forkscope",
            forkscope.display()
        ));
    }
    let dir = TempDir::new()?;
    let settings = suite::Settings {
        quick: args.quick,
        runs: args.runs.unwrap_or(if args.quick { 1 } else { 3 }),
        caps: Caps {
            cpu_secs: args.cpu_cap,
            mem_bytes: args.mem_cap << 30,
        },
        budget: Duration::from_secs(15),
        forkscope,
        dir: dir.0.clone(),
    };
    let names = if args.cases.is_empty() {
        Name::ALL.to_vec()
    } else {
        args.cases
    };
    println!(
        "Scale benchmarks{}",
        if args.quick {
            ": --quick, smaller sizes and one run each, not the target figures"
        } else {
            ""
        }
    );
    println!("forkscope: {}", settings.forkscope.display());
    println!(
        "Each figure: {}; each run a fresh process, capped at {} CPU s and {} GiB of \
         address space. Times are CPU time (user + system), which other work on the \
         machine stretches less than wall time.",
        match settings.runs {
            1 => "one run of each file".to_string(),
            n => format!(
                "the median of up to {n} runs of each file (fewer once they took {} s)",
                settings.budget.as_secs()
            ),
        },
        args.cpu_cap,
        args.mem_cap
    );
    if let Some(load) = load_average() {
        println!(
            "Load average at the start: {load} on {} CPUs.",
            std::thread::available_parallelism().map_or(1, |n| n.get())
        );
    }
    let started = std::time::Instant::now();
    let judged = suite::run(&names, &settings)?;
    println!("\nSummary (each ratio against the baseline of this run):");
    for j in &judged {
        println!("  {}", j.line);
    }
    let met = judged
        .iter()
        .filter(|j| j.verdict == report::Verdict::Met)
        .count();
    println!(
        "{met} of {} targets met; the bench took {:.0} s.",
        judged.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The one-minute load average, from /proc/loadavg.
fn load_average() -> Option<String> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    text.split_whitespace().next().map(str::to_string)
}

/// A directory for the generated scenarios and traces, removed at the end.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Result<TempDir, String> {
        let dir = std::env::temp_dir().join(format!("forkscope-scale-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
