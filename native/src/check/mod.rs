//! `forkscope check`: replay scenarios on the real kernel and compare with
//! the model, step by step.
//!
//! The model runs first (`sim_core::engine::Sim`), whole; then the kernel
//! replays the same statements (`kernel`), observed after each step. The two
//! observations of each step are compared (`diff`) and every expect is
//! judged on the kernel's observation too. Exit 0 when they agree and every
//! expect holds, 1 when something differs, 2 on an error.
//!
//! Modules: `proto` (control messages), `worker` (the process that obeys),
//! `kernel` (the controller), `probe` (reading /proc), `diff` (comparison and
//! tables).

mod diff;
mod kernel;
mod probe;
mod proto;
mod worker;

pub use diff::table;
pub use worker::WorkerArgs;

use diff::{Row, Sight};
use kernel::{Failure, Kernel, Limits};
use proto::Misbehave;
use serde::Serialize;
use sim_core::engine::Sim;
use sim_core::observe::{evaluate, Observation, Verdict};
use sim_core::scenario::ast::{Expect, Pos, Scenario, StatementKind};
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct CheckArgs {
    /// Scenario files or names of built-in lessons. A target with a '/' or
    /// ending in .scn is a file; any other is a lesson's name (see
    /// `forkscope lessons`), else a file of that name.
    #[arg(required_unless_present = "all")]
    targets: Vec<String>,
    /// Check every built-in lesson.
    #[arg(long)]
    all: bool,
    /// Print the results as JSON, for tools.
    #[arg(long)]
    json: bool,
    /// Replay on the kernel only and judge the expects there, without the
    /// model (for scenarios the model cannot run yet).
    #[arg(long)]
    kernel_only: bool,
    /// Seconds one step may take on the kernel before the run is stopped.
    #[arg(long, default_value_t = 3.0)]
    step_timeout: f64,
    /// Seconds one scenario may take on the kernel.
    #[arg(long, default_value_t = 20.0)]
    scenario_timeout: f64,
}

/// One statement where the model and the kernel differ.
#[derive(Clone, Debug, Serialize)]
pub struct StepDiff {
    pub line: u32,
    pub source: String,
    pub rows: Vec<Row>,
}

/// An expect, judged on both sides.
#[derive(Clone, Debug, Serialize)]
pub struct ExpectCheck {
    pub line: u32,
    pub text: String,
    /// `None` with `--kernel-only`.
    pub model: Option<Verdict>,
    /// `None` when the kernel run stopped before it.
    pub kernel: Option<Verdict>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Agree,
    Differ,
    Error,
}

/// What checking one scenario found.
#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    pub name: String,
    pub title: Option<String>,
    pub status: Status,
    pub steps: usize,
    pub seconds: f64,
    pub differences: Vec<StepDiff>,
    pub expects: Vec<ExpectCheck>,
    pub error: Option<String>,
}

impl Outcome {
    fn error(name: &str, error: String, started: Instant) -> Outcome {
        Outcome {
            name: name.to_string(),
            title: None,
            status: Status::Error,
            steps: 0,
            seconds: started.elapsed().as_secs_f64(),
            differences: Vec::new(),
            expects: Vec::new(),
            error: Some(error),
        }
    }
}

/// Deliberate misbehaviour for the robustness tests: the worker doing the
/// operation on this source line hangs or dies.
fn misbehaviour_from_env() -> BTreeMap<u32, Misbehave> {
    let mut out = BTreeMap::new();
    for (var, what) in [
        ("FORKSCOPE_TEST_HANG_LINE", Misbehave::Hang),
        ("FORKSCOPE_TEST_CRASH_LINE", Misbehave::Crash),
    ] {
        if let Some(line) = std::env::var(var).ok().and_then(|v| v.parse().ok()) {
            out.insert(line, what);
        }
    }
    out
}

/// The process an expect is about, whose "before its last operation" it may need.
fn expect_process(expect: &Expect) -> Option<&str> {
    match expect {
        Expect::Page { process, .. }
        | Expect::Faults { process, .. }
        | Expect::Result { process, .. }
        | Expect::State { process, .. }
        | Expect::Parent { process, .. }
        | Expect::Handled { process, .. }
        | Expect::Status { process, .. } => Some(process.as_str()),
        Expect::Queued { .. } => None,
    }
}

/// An expect that only frame numbers can judge (the exclusive bit cannot).
fn needs_frames(expect: &Expect) -> bool {
    use sim_core::scenario::ast::PageCheck;
    matches!(
        expect,
        Expect::Page {
            check: PageCheck::Shared { .. }
                | PageCheck::Zero
                | PageCheck::FrameSame
                | PageCheck::FrameNew,
            ..
        }
    )
}

/// What the kernel run produced: the observation after each step (by the
/// step's source position) and the kernel's verdict on each expect.
struct KernelRun {
    observations: BTreeMap<Pos, Observation>,
    verdicts: BTreeMap<Pos, Verdict>,
    failure: Option<(u32, Failure)>,
    privileged: bool,
}

fn replay(
    scenario: &Scenario,
    stop_at: Option<Pos>,
    model_pids: BTreeMap<String, i64>,
    limits: Limits,
) -> Result<KernelRun, Failure> {
    let mut kernel = Kernel::start(limits, model_pids, misbehaviour_from_env())?;
    let mut run = KernelRun {
        observations: BTreeMap::new(),
        verdicts: BTreeMap::new(),
        failure: None,
        privileged: kernel.privileged(),
    };
    let mut last = Observation::default();
    let mut step = 0;
    for stmt in &scenario.statements {
        if stop_at.is_some_and(|p| stmt.pos >= p) {
            break;
        }
        let done = match &stmt.kind {
            StatementKind::Process { name } => {
                step += 1;
                kernel.spawn(name.as_str())
            }
            StatementKind::Op { actor, op } => {
                step += 1;
                kernel.op(step, stmt.pos.line, actor.as_str(), op)
            }
            StatementKind::Expect { expect } => {
                if !run.privileged && needs_frames(expect) {
                    continue; // not judged: frame identity is hidden without root
                }
                let before = expect_process(expect).and_then(|p| kernel.before_last_op(p));
                run.verdicts
                    .insert(stmt.pos, evaluate(expect, &last, before));
                continue;
            }
            _ => continue,
        };
        if let Err(f) = done.and_then(|()| kernel.settle()) {
            run.failure = Some((stmt.pos.line, f));
            break;
        }
        last = kernel.observe();
        run.observations.insert(stmt.pos, last.clone());
    }
    Ok(run)
}

/// Check one scenario: the model, then the kernel, then the comparison.
pub fn check_one(name: &str, source: &str, limits: &Limits, kernel_only: bool) -> (Outcome, bool) {
    let started = Instant::now();
    let scenario = match sim_core::scenario::parse(source) {
        Ok(s) => s,
        Err(e) => {
            return (
                Outcome::error(name, format!("it does not parse: {e}"), started),
                true,
            )
        }
    };
    let mut sim = Sim::new(scenario.clone());
    let model_error = if kernel_only {
        None
    } else {
        sim.run_to_end().err()
    };
    let world = sim.current();
    let model_pids = world
        .names()
        .filter_map(|n| world.pid_of(n).map(|p| (n.to_string(), i64::from(p.0))))
        .collect();
    let run = match replay(
        &scenario,
        model_error.as_ref().map(|e| e.pos),
        model_pids,
        limits.clone(),
    ) {
        Ok(run) => run,
        Err(f) => {
            return (
                Outcome::error(name, format!("cannot start the kernel run: {f}"), started),
                true,
            )
        }
    };
    let sight = if run.privileged {
        Sight::Frames
    } else {
        Sight::ExclusiveBit
    };
    let mut differences = Vec::new();
    let mut expects = Vec::new();
    let empty = Observation::default();
    let mut kernel_prev = &empty;
    let mut prev_rows: Vec<Row> = Vec::new();
    for step in sim.steps() {
        let Some(kernel_obs) = run.observations.get(&step.pos) else {
            break;
        };
        let model_obs = sim.observe(step.index).unwrap_or_default();
        let model_prev = sim.observe(step.index - 1);
        let rows = diff::diff(
            &model_obs,
            model_prev.as_ref(),
            kernel_obs,
            Some(kernel_prev),
            sight,
        );
        kernel_prev = kernel_obs;
        // A difference that persists is shown at the step where it appeared.
        let fresh: Vec<Row> = rows
            .iter()
            .filter(|r| !prev_rows.contains(r))
            .cloned()
            .collect();
        prev_rows = rows;
        if !fresh.is_empty() {
            differences.push(StepDiff {
                line: step.pos.line,
                source: step.source.clone(),
                rows: fresh,
            });
        }
        for e in &step.expects {
            expects.push(ExpectCheck {
                line: e.pos.line,
                text: e.text.clone(),
                model: Some(e.verdict.clone()),
                kernel: run.verdicts.get(&e.pos).cloned(),
            });
        }
    }
    if kernel_only {
        for stmt in &scenario.statements {
            if let (StatementKind::Expect { .. }, Some(v)) =
                (&stmt.kind, run.verdicts.get(&stmt.pos))
            {
                let one = Scenario {
                    title: None,
                    statements: vec![stmt.clone()],
                };
                let text = sim_core::scenario::print(&one).trim_end().to_string();
                expects.push(ExpectCheck {
                    line: stmt.pos.line,
                    text,
                    model: None,
                    kernel: Some(v.clone()),
                });
            }
        }
    }
    let expects_fail = expects.iter().any(failed);
    let error = match (&model_error, &run.failure) {
        (Some(e), _) => Some(format!("the model stops at {e}")),
        (None, Some((line, f))) => Some(format!("the kernel run stopped at line {line}: {f}")),
        (None, None) => None,
    };
    let status = if error.is_some() {
        Status::Error
    } else if differences.is_empty() && !expects_fail {
        Status::Agree
    } else {
        Status::Differ
    };
    let outcome = Outcome {
        name: name.to_string(),
        title: scenario.title.clone(),
        status,
        steps: run.observations.len(),
        seconds: started.elapsed().as_secs_f64(),
        differences,
        expects,
        error,
    };
    (outcome, run.privileged)
}

/// An expect fails on either side.
fn failed(e: &ExpectCheck) -> bool {
    e.model.as_ref().is_some_and(|m| m.is_err()) || e.kernel.as_ref().is_some_and(|k| k.is_err())
}

fn verdict_text(v: &Verdict) -> String {
    match v {
        Ok(()) => "holds".into(),
        Err(why) => format!("fails: {why}"),
    }
}

/// The per-step table of one scenario: source line | what | model | kernel.
pub fn render(outcome: &Outcome) -> String {
    let mut out = String::new();
    let mark = match outcome.status {
        Status::Agree => "agree",
        Status::Differ => "DIFFER",
        Status::Error => "ERROR",
    };
    let title = outcome
        .title
        .as_deref()
        .map(|t| format!(" ({t})"))
        .unwrap_or_default();
    out.push_str(&format!("{mark}: {}{title}\n", outcome.name));
    if let Some(e) = &outcome.error {
        out.push_str(&format!("  {e}\n"));
    }
    let mut rows: Vec<(u32, [String; 4])> = Vec::new();
    for d in &outcome.differences {
        for (i, r) in d.rows.iter().enumerate() {
            let src = if i == 0 {
                format!("{}: {}", d.line, d.source)
            } else {
                String::new()
            };
            rows.push((
                d.line,
                [src, r.what.clone(), r.model.clone(), r.kernel.clone()],
            ));
        }
    }
    for e in &outcome.expects {
        if failed(e) {
            let kernel = e
                .kernel
                .as_ref()
                .map_or_else(|| "not judged on the kernel".into(), verdict_text);
            rows.push((
                e.line,
                [
                    format!("{}: {}", e.line, e.text),
                    "expect".into(),
                    e.model
                        .as_ref()
                        .map_or_else(|| "not run".into(), verdict_text),
                    kernel,
                ],
            ));
        }
    }
    if !rows.is_empty() {
        rows.sort_by_key(|(line, _)| *line);
        let mut cells = vec![[
            "source line".to_string(),
            "what".into(),
            "model".into(),
            "kernel".into(),
        ]];
        cells.extend(rows.into_iter().map(|(_, r)| r));
        out.push_str(&diff::table(&cells));
    }
    out
}

fn summary(outcomes: &[Outcome]) -> String {
    let mut cells = vec![[
        "scenario".to_string(),
        "steps".into(),
        "result".into(),
        "time".into(),
    ]];
    for o in outcomes {
        let result = match o.status {
            Status::Agree => "agree".to_string(),
            Status::Differ => {
                let n: usize = o.differences.iter().map(|d| d.rows.len()).sum();
                let bad = o.expects.iter().filter(|e| failed(e)).count();
                format!(
                    "differ ({}, {})",
                    sim_core::words::count(n as u64, "difference", "differences"),
                    sim_core::words::count(bad as u64, "failed expect", "failed expects")
                )
            }
            Status::Error => "error".into(),
        };
        cells.push([
            o.name.clone(),
            o.steps.to_string(),
            result,
            format!("{:.2} s", o.seconds),
        ]);
    }
    diff::table(&cells)
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
            // Nothing to run would "agree" with nothing: refuse it as `run` does.
            Ok(loaded) => match sim_core::scenario::parse(&loaded.text)
                .map(|s| sim_core::scenario::source::require_statements(&s, &loaded.text))
            {
                Ok(Err(e)) => Err(Outcome::error(
                    t,
                    format!("{}:{e}", loaded.label),
                    Instant::now(),
                )),
                _ => Ok((loaded.label, loaded.text)),
            },
            Err(e) => Err(Outcome::error(t, e.to_string(), Instant::now())),
        });
    }
    out
}

pub fn check(args: CheckArgs) -> ExitCode {
    kernel::install_controller();
    let limits = Limits {
        step: Duration::from_secs_f64(args.step_timeout.max(0.05)),
        scenario: Duration::from_secs_f64(args.scenario_timeout.max(0.1)),
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
    let mut privileged = true;
    for t in todo {
        if kernel::INTERRUPTED.load(std::sync::atomic::Ordering::SeqCst) {
            break;
        }
        let outcome = match t {
            Ok((name, source)) => {
                bar.set_message(name.clone());
                let (o, p) = check_one(&name, &source, &limits, args.kernel_only);
                privileged &= p;
                o
            }
            Err(o) => o,
        };
        if !args.json && outcome.status != Status::Agree {
            bar.suspend(|| crate::output::print(&render(&outcome)));
        }
        outcomes.push(outcome);
        bar.inc(1);
        if crate::output::closed() {
            break; // No one reads the rest; the status is from what ran.
        }
    }
    bar.finish_and_clear();
    let interrupted = kernel::INTERRUPTED.load(std::sync::atomic::Ordering::SeqCst);
    if args.json {
        let doc = serde_json::json!({
            "frames_visible": privileged,
            "interrupted": interrupted,
            "scenarios": outcomes,
        });
        crate::output::println(&format!("{doc:#}"));
    } else {
        if !privileged {
            crate::output::println("note: not root, so frame numbers are hidden: pages are compared by the exclusive bit (pagemap bit 56) and fault counts only.");
        }
        crate::output::print(&summary(&outcomes));
        if interrupted {
            crate::output::println("interrupted: every process of the run was killed and reaped.");
        }
    }
    let code = if interrupted || outcomes.iter().any(|o| o.status == Status::Error) {
        2
    } else if outcomes.iter().any(|o| o.status == Status::Differ) {
        1
    } else {
        0
    };
    ExitCode::from(code)
}

pub fn worker(args: WorkerArgs) -> ExitCode {
    worker::run(args)
}
