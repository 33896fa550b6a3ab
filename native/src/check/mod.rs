//! `forkscope check`: replay scenarios on the real kernel and compare with
//! the model, step by step.
//!
//! The model runs first (`sim_core::engine::Sim`), whole; then the kernel
//! replays the same statements (`kernel`), observed after each step. The two
//! observations of each step are compared (`diff`) and every expect is
//! judged on the kernel's observation too (`judge`). An expect a side could
//! not judge is reported as not judged, never as an agreement.
//!
//! Exit status: 0 when everything agrees, every expect holds and every
//! expect was judged; 1 when something differs or an expect fails; 2 on an
//! error or an interruption; 3 when, otherwise fine, some expect or page
//! was not judged (unless `--accept-unjudged`). The most serious wins.
//!
//! Modules: `proto` (control messages), `worker` (the process that obeys),
//! `nofile` (the fd numbers a scenario's processes get, as in the model),
//! `kernel` (the controller), `kernel_steps` (what each step changed on
//! the kernel, for the JSON), `probe` (reading /proc), `diff` (comparison and
//! tables), `judge` (one scenario, both sides), `outcome` (what it found),
//! `report` (what a person reads). docs/check-json.md documents `--json`.

mod diff;
mod judge;
mod kernel;
mod kernel_steps;
mod node;
mod nofile;
mod outcome;
mod probe;
mod proto;
mod report;
mod worker;

pub use diff::table;
pub use worker::WorkerArgs;

use kernel::{interrupted, Limits};
use outcome::{CheckError, ErrorKind, Outcome, Status};
use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

/// The longest bound `--step-timeout` and `--scenario-timeout` take: a day.
const MAX_SECONDS: f64 = 86_400.0;
/// The shortest: a millisecond (below it, a bound would round to nothing).
const MIN_SECONDS: f64 = 0.001;

/// A bound in seconds: a finite number from a millisecond to a day.
fn seconds(text: &str) -> Result<Duration, String> {
    let n: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("\"{text}\" is not a number of seconds (like 2 or 0.5)"))?;
    if !n.is_finite() || !(MIN_SECONDS..=MAX_SECONDS).contains(&n) {
        return Err(format!(
            "{text} seconds is not a bound: give a number from {MIN_SECONDS} to {MAX_SECONDS} (a day), like 2 or 0.5"
        ));
    }
    Ok(Duration::from_secs_f64(n))
}

#[derive(clap::Args)]
#[command(
    after_help = "The scenario language is documented in docs/scenario-language.md in \
Forkscope's repository.\n\nExit status: 0 when model and kernel agree, every expect holds and every \
expect was judged; 1 when something differs or an expect fails; 2 on an error or an \
interruption; 3 when some expect could not be judged (see --accept-unjudged)."
)]
pub struct CheckArgs {
    /// Scenario files or names of built-in lessons. A target with a '/' or
    /// ending in .scn is a file; any other is a lesson's name (see
    /// `forkscope lessons`), else a file of that name.
    #[arg(required_unless_present_any = ["all", "all_node"])]
    targets: Vec<String>,
    /// Check every built-in lesson.
    #[arg(long)]
    all: bool,
    /// Run the scenarios' Node statements with the real node on PATH and
    /// compare events and IPC channel bytes with the model
    /// (docs/check-node.md).
    #[arg(long, conflicts_with_all = ["all", "kernel_only", "kernel_steps"])]
    node: bool,
    /// With real node, check every built-in lesson that has Node statements.
    #[arg(long, conflicts_with_all = ["all", "kernel_only", "kernel_steps"])]
    all_node: bool,
    /// Print the results as JSON, for tools.
    #[arg(long)]
    json: bool,
    /// With --json: add what each step changed on the kernel
    /// (`kernel_steps`, in the shape of the trace's `changes`), as the
    /// lessons' recordings hold it. Large for a scenario that maps many
    /// pages: every frame whose users change is listed.
    #[arg(long, requires = "json")]
    kernel_steps: bool,
    /// Replay on the kernel only and judge the expects there, without the
    /// model (for scenarios the model cannot run yet).
    #[arg(long)]
    kernel_only: bool,
    /// Seconds one step may take on the kernel before the run is stopped
    /// (0.001 to 86400).
    #[arg(long, value_name = "SECONDS", default_value = "3", value_parser = seconds, allow_hyphen_values = true)]
    step_timeout: Duration,
    /// Seconds one scenario may take on the kernel (0.001 to 86400).
    #[arg(long, value_name = "SECONDS", default_value = "20", value_parser = seconds, allow_hyphen_values = true)]
    scenario_timeout: Duration,
    /// Exit 0 even if some expects could not be judged (without root, frame
    /// numbers are hidden, so `shared`, `zero` and `frame same/new` expects
    /// cannot be judged on the kernel). They are still reported as not
    /// judged, never as agreeing.
    #[arg(long)]
    accept_unjudged: bool,
}

/// The scenarios the arguments name: (name, source) or an error outcome.
/// Targets are resolved as `forkscope run` resolves them (`source::load`).
fn targets(args: &CheckArgs) -> Vec<Result<(String, String), Outcome>> {
    let mut out = Vec::new();
    if args.all {
        for lesson in sim_core::lessons::all() {
            out.push(Ok((lesson.name.to_string(), lesson.source.to_string())));
        }
    }
    for t in &args.targets {
        out.push(match crate::source::load(t) {
            Ok(loaded) => Ok((loaded.label, loaded.text)),
            Err(crate::source::LoadError::NotText { error, .. }) => Err(Outcome::error(
                t,
                CheckError::new(ErrorKind::Parse, error.kind.to_string()).at(error.pos),
                0.0,
            )),
            Err(e) => Err(Outcome::error(
                t,
                CheckError::new(ErrorKind::Target, e.to_string()),
                0.0,
            )),
        });
    }
    out
}

/// The exit status of a check that produced `outcomes` (see the module doc).
fn exit_code(outcomes: &[Outcome], interrupted: bool, accept_unjudged: bool) -> u8 {
    let any = |f: &dyn Fn(&Outcome) -> bool| outcomes.iter().any(f);
    if interrupted || any(&|o| matches!(o.status, Status::Error | Status::Interrupted)) {
        2
    } else if any(&|o| {
        o.status == Status::Differ
            || o.counts.fail_on_both > 0
            || o.counts.kernel_fails > 0
            || o.counts.model_fails > 0
    }) {
        1
    } else if !accept_unjudged && any(&|o| o.counts.not_judged > 0 || o.counts.pages_not_judged > 0)
    {
        3
    } else {
        0
    }
}

pub fn check(args: CheckArgs) -> ExitCode {
    if args.node || args.all_node {
        return node::check(&args);
    }
    if let Some(why) = worker::unsupported() {
        crate::output::eprint(&format!("error: {why}\n"));
        return ExitCode::from(2);
    }
    if let Err(why) = nofile::make_room() {
        crate::output::eprint(&format!("error: {why}\n"));
        return ExitCode::from(2);
    }
    kernel::install_controller();
    let limits = Limits {
        step: args.step_timeout,
        scenario: args.scenario_timeout,
    };
    let todo = targets(&args);
    let bar = if std::io::stderr().is_terminal() && !args.json {
        indicatif::ProgressBar::new(todo.len() as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut outcomes = Vec::new();
    let mut not_checked = Vec::new();
    let mut privileged = true;
    for t in todo {
        if interrupted() {
            not_checked.push(match t {
                Ok((name, _)) => name,
                Err(o) => o.name,
            });
            continue;
        }
        let (outcome, source) = match t {
            Ok((name, source)) => {
                bar.set_message(name.clone());
                let (o, p) = judge::check_one(
                    &name,
                    &source,
                    &limits,
                    judge::Wanted {
                        kernel_only: args.kernel_only,
                        kernel_steps: args.kernel_steps,
                    },
                );
                privileged &= p;
                (o, Some(source))
            }
            Err(o) => (o, None),
        };
        if !args.json && report::worth_showing(&outcome) {
            let text = report::render(&outcome, source.as_deref());
            bar.suspend(|| crate::output::print(&text));
        }
        outcomes.push(outcome);
        bar.inc(1);
        if crate::output::closed() {
            break; // No one reads the rest; the status is from what ran.
        }
    }
    bar.finish_and_clear();
    let interrupted = interrupted();
    if args.json {
        let doc = serde_json::json!({
            "kernel_release": probe::kernel_release(),
            "frames_visible": privileged,
            "interrupted": interrupted,
            "accept_unjudged": args.accept_unjudged,
            "scenarios": outcomes,
            "not_checked": not_checked,
        });
        let text = serde_json::to_string_pretty(&doc).expect("outcomes serialise");
        crate::output::print(&format!("{text}\n"));
    } else {
        if !privileged {
            crate::output::print("note: not root, so frame numbers are hidden: pages are compared by the exclusive bit (pagemap bit 56) and fault counts only, and expects about frames are not judged.\n");
        }
        crate::output::print(&report::summary(&outcomes));
        let unjudged: usize = outcomes.iter().map(|o| o.counts.not_judged).sum();
        let pages: usize = outcomes.iter().map(|o| o.counts.pages_not_judged).sum();
        if pages > 0 && !args.accept_unjudged {
            crate::output::print(&format!(
                "{} not judged, because the kernel was moving those pages (migration) while they were read; --accept-unjudged accepts that.\n",
                sim_core::words::count(pages as u64, "row of pages was", "rows of pages were"),
            ));
        }
        if unjudged > 0 && !args.accept_unjudged {
            crate::output::print(&format!(
                "{} not judged, so this check proves nothing about {}; --accept-unjudged accepts that.\n",
                sim_core::words::count(unjudged as u64, "expect was", "expects were"),
                sim_core::words::agree(unjudged as u64, "it", "them")
            ));
        }
        if interrupted {
            crate::output::print(&format!(
                "interrupted: every process of the run was killed and reaped; {} not checked.\n",
                sim_core::words::count(not_checked.len() as u64, "scenario", "scenarios")
            ));
        }
    }
    ExitCode::from(exit_code(&outcomes, interrupted, args.accept_unjudged))
}

pub fn worker(args: WorkerArgs) -> ExitCode {
    worker::run(args)
}
