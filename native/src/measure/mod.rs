//! `forkscope measure`: the figures the Node lessons show, measured on this
//! machine and recorded with the machine they came from.
//!
//! - `fork` (lesson 11): what starting a child costs from parents of
//!   growing memory, by fork, by fork + exec (libuv's way) and by
//!   posix_spawn (`fork.rs`);
//! - `ipc` (lesson 10): a `send()` round trip to a forked node child
//!   against a SharedArrayBuffer handoff between two worker_threads, with
//!   real node (`ipc.rs`);
//! - the machine, the date and the load average at the start and the end
//!   (`machine.rs`); medians and spreads (`spread.rs`).
//!
//! Exit status: 0 when what was asked was measured (with `all`, a missing
//! node is said and its part left out); 1 when a part asked for by name
//! could not be measured (`ipc` without node, `fork` with no size that
//! fits); 2 on an error. docs/measure.md says how to read the figures.
//! Nothing here is a model: sim-core does no IO and reads no clock.

mod fork;
mod ipc;
mod machine;
mod spread;

use machine::{Load, Machine, BUSY_LOAD_PER_CPU};
use serde::Serialize;
use spread::{duration, ratio_text, Plan};
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

/// The parent sizes of a full run, in MiB.
const FULL_SIZES: [u64; 5] = [1, 16, 64, 256, 1024];
/// The parent sizes of a `--quick` run, in MiB.
const QUICK_SIZES: [u64; 2] = [1, 64];
/// The largest size `--sizes` takes: 1 TiB, far past any machine's memory,
/// so that a size too large is skipped by the memory check, with its reason.
const MAX_MIB: u64 = 1 << 20;
/// The most runs `--runs` takes.
const MAX_RUNS: usize = 100_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Part {
    /// Starting a child from parents of 1 MiB to 1 GiB (lesson 11).
    Fork,
    /// send() against shared memory, with node (lesson 10).
    Ipc,
    /// Both (without node, only fork, saying so).
    All,
}

#[derive(clap::Args)]
pub struct MeasureArgs {
    /// What to measure [default: all].
    #[arg(value_enum)]
    part: Option<Part>,
    /// Print the figures and the machine as JSON (docs/measure.md).
    #[arg(long)]
    json: bool,
    /// Sizes 1 and 64 MiB and short runs: a check, not figures to keep.
    #[arg(long)]
    quick: bool,
    /// Parent sizes in MiB, comma-separated [default: 1,16,64,256,1024;
    /// with --quick 1,64].
    #[arg(long, value_delimiter = ',', value_parser = parse_mib)]
    sizes: Option<Vec<u64>>,
    /// Time exactly N runs of every figure, instead of as many as fit its
    /// time budget.
    #[arg(long, value_name = "N", value_parser = parse_runs)]
    runs: Option<usize>,
}

fn parse_mib(text: &str) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(n) if (1..=MAX_MIB).contains(&n) => Ok(n),
        _ => Err(format!(
            "\"{text}\" is not a size: give a whole number of MiB from 1 to {MAX_MIB}"
        )),
    }
}

fn parse_runs(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_RUNS).contains(&n) => Ok(n),
        _ => Err(format!(
            "\"{text}\" is not a number of runs: give a whole number from 1 to {MAX_RUNS}"
        )),
    }
}

/// The ipc part: measured, or why not.
#[derive(Serialize)]
#[serde(untagged)]
enum IpcPart {
    Measured(Box<ipc::IpcFigures>),
    Skipped { skipped: String },
}

/// The load average at the start and the end of the run.
#[derive(Serialize)]
struct LoadRecord {
    start: Option<Load>,
    end: Option<Load>,
    /// The 1-minute figure per CPU above which the machine is called busy.
    busy_above_per_cpu: f64,
    busy: bool,
}

/// What `--json` prints, and what lessons/figures/measured.json holds.
#[derive(Serialize)]
struct Record {
    forkscope: &'static str,
    command: String,
    date: String,
    machine: Machine,
    load: LoadRecord,
    warnings: Vec<String>,
    fork: Option<fork::ForkFigures>,
    ipc: Option<IpcPart>,
}

pub fn measure(args: MeasureArgs) -> ExitCode {
    let part = args.part.unwrap_or(Part::All);
    let node = machine::node_on_path();
    let machine = Machine::this_one(node.as_deref());
    let date = machine::utc_date(SystemTime::now());
    let start = Load::now();
    let mut warnings = Vec::new();
    let mut code = 0;

    let fork = if matches!(part, Part::Fork | Part::All) {
        let mut sizes = args.sizes.clone().unwrap_or_else(|| {
            if args.quick {
                QUICK_SIZES.to_vec()
            } else {
                FULL_SIZES.to_vec()
            }
        });
        sizes.sort_unstable();
        sizes.dedup();
        match fork::measure(&sizes, fork_plan(&args)) {
            Ok(figures) => {
                for s in &figures.skipped {
                    warnings.push(format!("skipped {} MiB: {}", s.mib, s.reason));
                }
                if figures.sizes.is_empty() && part == Part::Fork {
                    code = 1;
                }
                Some(figures)
            }
            Err(e) => return error(&e),
        }
    } else {
        None
    };

    let ipc = if matches!(part, Part::Ipc | Part::All) {
        Some(match &node {
            None => {
                let reason = "node is not on PATH, so the ipc figures (send() against \
                              shared memory, lesson 10) were not measured: install Node.js \
                              (v20) or put its directory on PATH"
                    .to_string();
                if part == Part::Ipc {
                    code = 1;
                    crate::output::eprint(&format!("error: forkscope measure: {reason}\n"));
                } else {
                    warnings.push(reason.clone());
                }
                IpcPart::Skipped { skipped: reason }
            }
            Some(node) => match ipc::measure(node, ipc_plan(&args)) {
                Ok(figures) => IpcPart::Measured(Box::new(figures)),
                Err(e) => return error(&e),
            },
        })
    } else {
        None
    };

    let end = Load::now();
    let per_cpu = |l: &Load| l.0[0] / f64::from(machine.cpus);
    let busy = match (
        start.filter(|l| l.busy(machine.cpus)),
        end.filter(|l| l.busy(machine.cpus)),
    ) {
        (None, None) => false,
        (a, b) => {
            let said: Vec<String> = [(a, "start"), (b, "end")]
                .into_iter()
                .filter_map(|(l, when)| {
                    l.map(|l| format!("{:.2} at the {when} ({:.2} per CPU)", l.0[0], per_cpu(&l)))
                })
                .collect();
            warnings.push(format!(
                "busy machine: the 1-minute load average was {}, above {BUSY_LOAD_PER_CPU} per CPU: other work stretched these figures and their spread",
                said.join(" and ")
            ));
            true
        }
    };
    for w in &warnings {
        crate::output::eprint(&format!("warning: {w}\n"));
    }
    let record = Record {
        forkscope: env!("CARGO_PKG_VERSION"),
        command: command_line(),
        date,
        machine,
        load: LoadRecord {
            start,
            end,
            busy_above_per_cpu: BUSY_LOAD_PER_CPU,
            busy,
        },
        warnings,
        fork,
        ipc,
    };
    if args.json {
        let doc = serde_json::to_value(&record).expect("a record serialises");
        crate::output::println(&format!("{doc:#}"));
    } else {
        crate::output::print(&report(&record));
    }
    ExitCode::from(code)
}

fn error(message: &str) -> ExitCode {
    crate::output::eprint(&format!("error: forkscope measure: {message}\n"));
    ExitCode::from(2)
}

fn fork_plan(args: &MeasureArgs) -> Plan {
    match (args.runs, args.quick) {
        (Some(n), _) => Plan::exactly(n),
        (None, true) => Plan {
            min_runs: 5,
            max_runs: 100,
            budget: Duration::from_millis(100),
        },
        (None, false) => Plan {
            min_runs: 11,
            max_runs: 1000,
            budget: Duration::from_secs(1),
        },
    }
}

fn ipc_plan(args: &MeasureArgs) -> Plan {
    match (args.runs, args.quick) {
        (Some(n), _) => Plan::exactly(n),
        (None, true) => Plan {
            min_runs: 21,
            max_runs: 2000,
            budget: Duration::from_millis(200),
        },
        (None, false) => Plan {
            min_runs: 101,
            max_runs: 100_000,
            budget: Duration::from_secs(1),
        },
    }
}

/// The command as typed, with the program named `forkscope` whatever its
/// path: the record says how it was made, not where the binary was.
fn command_line() -> String {
    std::iter::once("forkscope".to_string())
        .chain(std::env::args().skip(1))
        .collect::<Vec<_>>()
        .join(" ")
}

/// What a person reads.
fn report(r: &Record) -> String {
    let m = &r.machine;
    let unknown = || "unknown".to_string();
    let mut out = format!("forkscope measure, {}\n", r.date);
    out.push_str(&format!(
        "machine: Linux {}, {} CPU{} ({}), {} memory, node {}, transparent huge pages {}{}\n",
        m.kernel.clone().unwrap_or_else(unknown),
        m.cpus,
        if m.cpus == 1 { "" } else { "s" },
        m.cpu_model.clone().unwrap_or_else(unknown),
        m.memory_bytes.map_or_else(unknown, |b| format!(
            "{:.1} GiB",
            b as f64 / f64::from(1 << 30)
        )),
        m.node.clone().unwrap_or_else(|| "not on PATH".into()),
        m.transparent_hugepages.clone().unwrap_or_else(unknown),
        if m.debug_build { ", a debug build" } else { "" },
    ));
    let load = |l: Option<Load>| l.map_or_else(unknown, |l| format!("{:.2}", l.0[0]));
    out.push_str(&format!(
        "load average (1 minute): {} at the start, {} at the end{}\n",
        load(r.load.start),
        load(r.load.end),
        if r.load.busy {
            " (busy: see the warning)"
        } else {
            ""
        }
    ));
    if let Some(f) = &r.fork {
        out.push_str(&fork_report(f));
    }
    match &r.ipc {
        Some(IpcPart::Measured(i)) => out.push_str(&ipc_report(i)),
        Some(IpcPart::Skipped { skipped }) => {
            out.push_str(&format!("\nShared memory against IPC: {skipped}.\n"));
        }
        None => {}
    }
    out
}

fn fork_report(f: &fork::ForkFigures) -> String {
    let base = f
        .ratio_base_mib
        .map_or_else(|| "the first size".into(), |b| format!("{b} MiB"));
    let mut out = String::from(
        "\nStarting a child from a parent of growing memory (lesson 11): the median\n\
         of each way's runs and, in brackets, the middle half of them\n",
    );
    let mut rows = vec![[
        "parent memory".to_string(),
        "fork + _exit + waitpid".into(),
        "fork + execve + waitpid".into(),
        "posix_spawn + waitpid".into(),
        format!("fork vs {base}"),
        format!("posix_spawn vs {base}"),
    ]];
    for s in &f.sizes {
        rows.push([
            format!("{} MiB", s.mib),
            s.fork_exit.text(),
            s.fork_exec.text(),
            s.spawn.text(),
            ratio_text(Some(s.ratio.fork_exit)),
            ratio_text(Some(s.ratio.spawn)),
        ]);
    }
    out.push_str(&crate::check::table(&rows));
    for s in &f.skipped {
        out.push_str(&format!("  skipped {} MiB: {}\n", s.mib, s.reason));
    }
    let runs = f
        .sizes
        .iter()
        .flat_map(|s| [s.fork_exit.runs, s.fork_exec.runs, s.spawn.runs]);
    if let (Some(lo), Some(hi)) = (runs.clone().min(), runs.max()) {
        let count = if lo == hi {
            format!("{lo}")
        } else {
            format!("{lo} to {hi}")
        };
        out.push_str(&format!(
            "  {count} runs a cell (--json gives each); the children run {}; every parent\n  \
             also holds forkscope's own {} resident\n",
            f.program,
            f.base_rss_kib.map_or_else(
                || "memory".into(),
                |k| format!("{:.1} MiB", k as f64 / 1024.0)
            ),
        ));
    }
    out
}

fn ipc_report(i: &ipc::IpcFigures) -> String {
    let p = [&i.one_cpu, &i.any_cpu];
    let one = i
        .one_cpu
        .cpu
        .map_or_else(|| "on one CPU".into(), |c| format!("on one CPU (CPU {c})"));
    let rows = [
        ["how".to_string(), one, "on any CPU".into()],
        [
            "send() to a forked node child and back (json mode)".into(),
            p[0].send_round_trip.text(),
            p[1].send_round_trip.text(),
        ],
        [
            "SharedArrayBuffer between two worker_threads".into(),
            p[0].shared_memory_round_trip.text(),
            p[1].shared_memory_round_trip.text(),
        ],
        [
            "send() against shared memory".into(),
            ratio_text(Some(p[0].ratio)),
            ratio_text(Some(p[1].ratio)),
        ],
        [
            "runs (send(), shared memory)".into(),
            format!(
                "{}, {}",
                p[0].send_round_trip.runs, p[0].shared_memory_round_trip.runs
            ),
            format!(
                "{}, {}",
                p[1].send_round_trip.runs, p[1].shared_memory_round_trip.runs
            ),
        ],
    ];
    format!(
        "\nShared memory against IPC, a small message there and back (lesson 10),\n\
         with node {}: the median and the middle half of the runs\n{}  on one CPU a \
         send() round trip takes {} times as long as a shared-memory one ({} against {})\n",
        i.node,
        crate::check::table(&rows),
        ratio_text(Some(p[0].ratio)).trim_start_matches('×'),
        duration(p[0].send_round_trip.median_ns),
        duration(p[0].shared_memory_round_trip.median_ns),
    )
}
