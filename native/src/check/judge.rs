//! Checking one scenario: the model runs first, whole; then the kernel
//! replays the same statements, observed after each step; then the two
//! observations of each step are compared and every expect is judged on
//! both sides. An expect a side could not judge is said to be not judged,
//! with the reason, and is never counted as an agreement.

use super::diff::{self, Cell, Sight};
use super::kernel::snapshot::{Unsettled, UNSETTLED};
use super::kernel::{interrupted, Failure, Kernel, Limits};
use super::kernel_steps::{kernel_steps, source_sha256};
use super::outcome::{
    CheckError, ErrorKind, ExpectCheck, ExpectStatus, Outcome, Status, StepDiff, NEEDS_ROOT,
};
use super::proto::Misbehave;
use sim_core::engine::Sim;
use sim_core::observe::{evaluate, Observation, Verdict, NOT_OBSERVED};
use sim_core::scenario::ast::{Expect, Pos, Scenario, Statement, StatementKind};
use std::collections::BTreeMap;
use std::time::Instant;

/// Deliberate misbehaviour for the robustness tests: the worker doing the
/// operation on this source line hangs, dies, only pretends to do it, or
/// lingers before it replies.
fn misbehaviour_from_env() -> BTreeMap<u32, Misbehave> {
    let mut out = BTreeMap::new();
    for (var, what) in [
        ("FORKSCOPE_TEST_HANG_LINE", Misbehave::Hang),
        ("FORKSCOPE_TEST_CRASH_LINE", Misbehave::Crash),
        ("FORKSCOPE_TEST_SKIP_LINE", Misbehave::Skip),
        ("FORKSCOPE_TEST_LINGER_LINE", Misbehave::Linger),
    ] {
        if let Some(line) = std::env::var(var).ok().and_then(|v| v.parse().ok()) {
            out.insert(line, what);
        }
    }
    out
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

/// Whether judging `expect` on the kernel needs a page that gave no
/// consistent reading: one of `now` (the last observation's), or, for
/// `frame same|new`, one that was unsettled at any step so far.
fn reads_an_unsettled_page(expect: &Expect, now: &Unsettled, ever: &Unsettled) -> bool {
    use sim_core::scenario::ast::PageCheck;
    let Expect::Page {
        process,
        region,
        page,
        check,
    } = expect
    else {
        return false;
    };
    let key = |p: &str| (p.to_string(), region.as_str().to_string(), *page);
    match check {
        PageCheck::Shared { other } => {
            now.contains(&key(process.as_str())) || now.contains(&key(other.as_str()))
        }
        PageCheck::FrameSame | PageCheck::FrameNew => ever.contains(&key(process.as_str())),
        _ => now.contains(&key(process.as_str())),
    }
}

/// What the kernel run produced: the observation after each step (by the
/// step's source position), the kernel's verdict on each expect it could
/// judge, and why it could not judge the others it reached.
struct KernelRun {
    /// By step number (the model's `Step::index`): where the step's
    /// statement is, and the observation after it. A Node statement's
    /// kernel steps share its position.
    observations: BTreeMap<u32, (Pos, Observation)>,
    verdicts: BTreeMap<Pos, Verdict>,
    unjudged: BTreeMap<Pos, &'static str>,
    /// The pages each step's observation could not read consistently
    /// (snapshot.rs: the kernel was migrating them), by step number.
    unsettled: BTreeMap<u32, Unsettled>,
    /// The statement the run stopped at, and why.
    failure: Option<(Pos, Failure)>,
    privileged: bool,
}

/// One thing the replay does: run a kernel statement (a scenario's own,
/// or one of the kernel steps a Node statement expanded into in the
/// model, which the replay runs as they are), take a step that changed
/// nothing in the kernel (a Node `send()` that threw), or judge an expect.
enum Replayed<'a> {
    Kernel(Pos, &'a Statement),
    NodeOnly(Pos),
    Expect(Pos, &'a Expect),
}

/// The scenario as the replay runs it: each Node statement (and each
/// spawned program's statement that the model ran as a group) as the
/// kernel steps the model ran for it.
fn replayed<'a>(scenario: &'a Scenario, sim: &'a Sim) -> Vec<Replayed<'a>> {
    let mut out = Vec::new();
    for stmt in &scenario.statements {
        match &stmt.kind {
            StatementKind::Process { .. } => out.push(Replayed::Kernel(stmt.pos, stmt)),
            // A spawned program's `exit` or output `send` is a group in
            // the model too (its parent's loop follows): replayed as the
            // model ran it, as a Node statement is.
            StatementKind::Op { .. } => {
                let group: Vec<_> = sim
                    .steps()
                    .iter()
                    .filter_map(|s| s.group.as_ref().filter(|g| g.pos == stmt.pos))
                    .filter_map(|g| g.kernel.as_ref())
                    .collect();
                if group.is_empty() {
                    out.push(Replayed::Kernel(stmt.pos, stmt));
                }
                for kernel in group {
                    out.push(Replayed::Kernel(stmt.pos, kernel));
                }
            }
            StatementKind::Expect { expect } => out.push(Replayed::Expect(stmt.pos, expect)),
            StatementKind::Node { .. } | StatementKind::NodeProcess { .. } => {
                for step in sim.steps() {
                    let Some(group) = step.group.as_ref().filter(|g| g.pos == stmt.pos) else {
                        continue;
                    };
                    out.push(match &group.kernel {
                        Some(kernel) => Replayed::Kernel(stmt.pos, kernel),
                        None => Replayed::NodeOnly(stmt.pos),
                    });
                }
            }
            StatementKind::Say { .. } => {}
        }
    }
    out
}

fn replay(
    scenario: &Scenario,
    sim: &Sim,
    stop_at: Option<Pos>,
    model_pids: BTreeMap<String, i64>,
    limits: Limits,
) -> Result<KernelRun, Failure> {
    let mut kernel = Kernel::start(limits, model_pids, misbehaviour_from_env())?;
    let mut run = KernelRun {
        observations: BTreeMap::new(),
        verdicts: BTreeMap::new(),
        unjudged: BTreeMap::new(),
        unsettled: BTreeMap::new(),
        failure: None,
        privileged: kernel.privileged(),
    };
    // The observation after the last step run (none before the first).
    let empty = Observation::default();
    let mut last_step: Option<u32> = None;
    // Every page that was unsettled at some step so far: `frame same|new`
    // compares with an earlier observation of the page.
    let mut ever_unsettled = Unsettled::new();
    let mut last_unsettled = Unsettled::new();
    let mut step = 0;
    for item in replayed(scenario, sim) {
        let pos = match item {
            Replayed::Kernel(pos, _) | Replayed::NodeOnly(pos) | Replayed::Expect(pos, _) => pos,
        };
        if stop_at.is_some_and(|p| pos >= p) {
            break;
        }
        let done = match item {
            Replayed::Kernel(_, stmt) => {
                step += 1;
                match &stmt.kind {
                    StatementKind::Process { name } => kernel.spawn(name.as_str()),
                    StatementKind::Op { actor, op } => {
                        kernel.op(step, pos.line, actor.as_str(), op)
                    }
                    _ => continue,
                }
            }
            Replayed::NodeOnly(_) => {
                step += 1;
                Ok(())
            }
            Replayed::Expect(_, expect) => {
                if expect.is_node() {
                    run.unjudged.insert(pos, NOT_OBSERVED);
                    continue;
                }
                if !run.privileged && needs_frames(expect) {
                    run.unjudged.insert(pos, NEEDS_ROOT);
                    continue;
                }
                if reads_an_unsettled_page(expect, &last_unsettled, &ever_unsettled) {
                    run.unjudged.insert(pos, UNSETTLED);
                    continue;
                }
                // The observation before the subject's last operation
                // (for `frame same|new`).
                let before = expect
                    .subject()
                    .and_then(|p| kernel.before_last_op(p.as_str()));
                let last = last_step
                    .and_then(|s| run.observations.get(&s))
                    .map_or(&empty, |(_, obs)| obs);
                run.verdicts.insert(pos, evaluate(expect, last, before));
                continue;
            }
        };
        if let Err(f) = done.and_then(|()| kernel.settle()) {
            run.failure = Some((pos, f));
            break;
        }
        run.observations.insert(step, (pos, kernel.observe()));
        last_step = Some(step);
        last_unsettled = kernel.unsettled().clone();
        if !last_unsettled.is_empty() {
            ever_unsettled.extend(last_unsettled.iter().cloned());
            run.unsettled.insert(step, last_unsettled.clone());
        }
    }
    Ok(run)
}

/// The error a kernel failure at the statement at `pos` is.
fn failure_error(pos: Pos, f: &Failure) -> CheckError {
    let kind = match f {
        Failure::Timeout(_) => ErrorKind::Timeout,
        Failure::Broken(_) => ErrorKind::Kernel,
        Failure::Interrupted => ErrorKind::Interrupted,
    };
    let text = f.to_string();
    // The kernel's messages may name the line too; the error carries it.
    let text = text.replace(&format!("line {}: ", pos.line), "");
    CheckError::new(kind, format!("the kernel run stopped: {text}")).at(pos)
}

/// What a check is asked for besides the comparison.
#[derive(Clone, Copy, Debug, Default)]
pub struct Wanted {
    /// Judge the expects on the kernel alone, without the model.
    pub kernel_only: bool,
    /// Keep what each step changed on the kernel (`Outcome::kernel_steps`).
    pub kernel_steps: bool,
}

/// Check one scenario: the model, then the kernel, then the comparison.
/// Returns the outcome and whether frame numbers were visible.
pub fn check_one(name: &str, source: &str, limits: &Limits, wanted: Wanted) -> (Outcome, bool) {
    let kernel_only = wanted.kernel_only;
    let started = Instant::now();
    let elapsed = || started.elapsed().as_secs_f64();
    let scenario = match sim_core::scenario::parse(source) {
        Ok(s) => s,
        Err(e) => {
            let mut err =
                CheckError::new(ErrorKind::Parse, format!("it does not parse: {}", e.kind))
                    .at(e.pos);
            err.help = crate::run::parse_help(&e.kind);
            return (Outcome::error(name, err, elapsed()).of_source(source), true);
        }
    };
    // Nothing to run would "agree" with nothing: refuse it as `run` does.
    if let Err(e) = sim_core::scenario::source::require_statements(&scenario, source) {
        let err = CheckError::new(ErrorKind::Parse, e.kind.to_string()).at(e.pos);
        return (Outcome::error(name, err, elapsed()).of_source(source), true);
    }
    let has_node = scenario.statements.iter().any(|s| {
        matches!(
            s.kind,
            StatementKind::Node { .. } | StatementKind::NodeProcess { .. }
        )
    });
    let mut sim = Sim::new(scenario);
    let model_error = if kernel_only {
        // The kernel steps of a Node statement are the model's expansion:
        // the model runs for them, and is not compared.
        if has_node {
            let _ = sim.run_to_end();
        }
        None
    } else {
        sim.run_to_end().err()
    };
    // The model holds the scenario; the kernel run reads the same one.
    let scenario = sim.scenario();
    let world = sim.current();
    let model_pids = world
        .names()
        .filter_map(|n| world.pid_of(n).map(|p| (n.to_string(), i64::from(p.0))))
        .chain(
            world
                .thread_names()
                .map(|(n, tid)| (n.to_string(), i64::from(tid.0))),
        )
        .collect();
    let run = match replay(
        scenario,
        &sim,
        model_error.as_ref().map(|e| e.pos),
        model_pids,
        limits.clone(),
    ) {
        Ok(run) => run,
        Err(f) => {
            let kind = if f == Failure::Interrupted {
                ErrorKind::Interrupted
            } else {
                ErrorKind::Kernel
            };
            let err = CheckError::new(kind, format!("cannot start the kernel run: {f}"));
            return (Outcome::error(name, err, elapsed()).of_source(source), true);
        }
    };
    let sight = if run.privileged {
        Sight::Frames
    } else {
        Sight::ExclusiveBit
    };
    let (differences, pages_not_judged, stopped_at) = compare(&sim, &run, sight);
    let expects = judge_expects(scenario, &sim, &run, kernel_only, model_error.as_ref());
    let mut error = match (&model_error, &run.failure) {
        (Some(e), _) => Some(
            CheckError::new(ErrorKind::Model, format!("the model stops: {}", e.kind)).at(e.pos),
        ),
        (None, Some((pos, f))) => Some(failure_error(*pos, f)),
        (None, None) => None,
    };
    if let (None, Some(pos)) = (&error, stopped_at) {
        error =
            Some(CheckError::new(ErrorKind::Interrupted, "interrupted while comparing").at(pos));
    }
    let counts = Outcome::count(&differences, &pages_not_judged, &expects);
    let status = match &error {
        Some(e) if e.kind == ErrorKind::Interrupted => Status::Interrupted,
        Some(_) => Status::Error,
        None if kernel_only => Status::KernelOnly,
        None if counts.differences == 0 && counts.differ == 0 => Status::Agree,
        None => Status::Differ,
    };
    let outcome = Outcome {
        name: name.to_string(),
        title: scenario.title.clone(),
        status,
        steps: run.observations.len(),
        seconds: elapsed(),
        counts,
        differences,
        pages_not_judged,
        expects,
        error,
        source_sha256: Some(source_sha256(source)),
        kernel_steps: wanted.kernel_steps.then(|| {
            kernel_steps(
                run.observations.values().map(|(pos, obs)| (pos.line, obs)),
                run.privileged,
            )
        }),
    };
    (outcome, run.privileged)
}

/// The differences of each step, shown at the step where they appear; and
/// the statement at which Ctrl-C stopped the comparison, if it did.
fn compare(sim: &Sim, run: &KernelRun, sight: Sight) -> Compared {
    let mut differences = Vec::new();
    let mut not_judged = Vec::new();
    let none = Unsettled::new();
    let mut prev_unsettled = &none;
    let mut names = diff::Names::default();
    let empty = Observation::default();
    let mut kernel_prev = &empty;
    let mut model_prev = sim.observe(0).unwrap_or_default();
    let mut prev_cells: Vec<Cell> = Vec::new();
    for step in sim.steps() {
        let Some((_, kernel_obs)) = run.observations.get(&step.index) else {
            break;
        };
        let model_obs = sim.observe(step.index).unwrap_or_default();
        let cells = match diff::diff(
            (&model_obs, Some(&model_prev)),
            (kernel_obs, Some(kernel_prev)),
            sight,
            &mut names,
            &interrupted,
        ) {
            Ok(cells) => cells,
            Err(diff::Stopped) => return (differences, not_judged, Some(step.pos)),
        };
        // A page the kernel was moving while it was read is not compared:
        // at this step, nor at the next (whose "new frame" compares with
        // it). It is listed as not judged instead.
        let unsettled = run.unsettled.get(&step.index).unwrap_or(&none);
        let cells = if unsettled.is_empty() && prev_unsettled.is_empty() {
            cells
        } else {
            let skip: Unsettled = unsettled.union(prev_unsettled).cloned().collect();
            not_judged.push(StepDiff {
                line: step.pos.line,
                source: step.source.clone(),
                rows: unsettled_rows(&skip),
            });
            cells
                .into_iter()
                .filter(|c| match &c.key {
                    diff::Key::Proc {
                        name,
                        field,
                        page: Some(i),
                    } => !skip.contains(&(name.to_string(), field.to_string(), *i)),
                    _ => true,
                })
                .collect()
        };
        prev_unsettled = unsettled;
        kernel_prev = kernel_obs;
        model_prev = model_obs;
        // A difference that persists is shown at the step where it appeared.
        let fresh = diff::fresh(&cells, &prev_cells);
        prev_cells = cells;
        if !fresh.is_empty() {
            differences.push(StepDiff {
                line: step.pos.line,
                source: step.source.clone(),
                rows: diff::rows(&fresh, &names),
            });
        }
        if interrupted() {
            return (differences, not_judged, Some(step.pos));
        }
    }
    (differences, not_judged, None)
}

/// The differences of each step, the pages each step could not judge, and
/// the statement at which Ctrl-C stopped the comparison, if it did.
type Compared = (Vec<StepDiff>, Vec<StepDiff>, Option<Pos>);

/// One row per run of consecutive unsettled pages of a region.
fn unsettled_rows(pages: &Unsettled) -> Vec<diff::Row> {
    let mut rows: Vec<diff::Row> = Vec::new();
    let mut run: Option<(&str, &str, u32, u32)> = None;
    let mut flush = |run: Option<(&str, &str, u32, u32)>| {
        if let Some((p, r, start, end)) = run {
            let at = if end == start + 1 {
                start.to_string()
            } else {
                format!("{start}..{end}")
            };
            rows.push(diff::Row {
                what: format!("{p} {r}[{at}]"),
                model: "-".into(),
                kernel: format!("not judged: {UNSETTLED}"),
            });
        }
    };
    for (p, r, i) in pages {
        match run {
            Some((rp, rr, start, end)) if rp == p && rr == r && end == *i => {
                run = Some((rp, rr, start, end + 1))
            }
            _ => {
                flush(run);
                run = Some((p, r, *i, *i + 1));
            }
        }
    }
    flush(run);
    rows
}

/// Every expect of the scenario, judged on both sides (or on the kernel
/// alone), in source order; those a side could not judge say why.
fn judge_expects(
    scenario: &Scenario,
    sim: &Sim,
    run: &KernelRun,
    kernel_only: bool,
    model_error: Option<&sim_core::scenario::ScenarioError>,
) -> Vec<ExpectCheck> {
    let model: BTreeMap<Pos, &Verdict> = sim
        .steps()
        .iter()
        .flat_map(|s| &s.expects)
        .map(|e| (e.pos, &e.verdict))
        .collect();
    let kernel_stop = run.failure.as_ref().map(|(pos, f)| match f {
        Failure::Interrupted => format!("the run was interrupted at line {}, before it", pos.line),
        _ => format!("the kernel run stopped at line {}, before it", pos.line),
    });
    let mut out = Vec::new();
    for stmt in &scenario.statements {
        let StatementKind::Expect { expect } = &stmt.kind else {
            continue;
        };
        let m = if kernel_only {
            None
        } else {
            model.get(&stmt.pos).map(|v| (*v).clone())
        };
        let k = run.verdicts.get(&stmt.pos).cloned();
        let model_reason = || match model_error {
            Some(e) => format!("the model stopped at line {}, before it", e.pos.line),
            None => "the model did not reach it".into(),
        };
        let kernel_reason = || match run.unjudged.get(&stmt.pos) {
            Some(why) => why.to_string(),
            None => kernel_stop
                .clone()
                .unwrap_or_else(|| "the kernel run did not reach it".into()),
        };
        let (status, reason) = if expect.is_node() && m.is_some() && !kernel_only {
            (ExpectStatus::ModelOnly, None)
        } else if !kernel_only && m.is_none() {
            (ExpectStatus::NotJudged, Some(model_reason()))
        } else if k.is_none() {
            (ExpectStatus::NotJudged, Some(kernel_reason()))
        } else if kernel_only {
            (ExpectStatus::KernelOnly, None)
        } else if m == k {
            (ExpectStatus::Agree, None)
        } else {
            (ExpectStatus::Differ, None)
        };
        out.push(ExpectCheck {
            line: stmt.pos.line,
            text: stmt.to_string().trim_end().to_string(),
            status,
            reason,
            model: m,
            kernel: k,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsettled_pages_are_one_row_per_run_of_a_region_and_say_why() {
        let pages: Unsettled = [
            ("c".to_string(), "heap".to_string(), 3),
            ("c".to_string(), "heap".to_string(), 4),
            ("c".to_string(), "heap".to_string(), 9),
            ("p".to_string(), "heap".to_string(), 4),
        ]
        .into();
        let rows = unsettled_rows(&pages);
        let what: Vec<&str> = rows.iter().map(|r| r.what.as_str()).collect();
        assert_eq!(what, ["c heap[3..5]", "c heap[9]", "p heap[4]"]);
        assert_eq!(rows[0].model, "-");
        assert_eq!(rows[0].kernel, format!("not judged: {UNSETTLED}"));
    }

    #[test]
    fn an_expect_on_a_page_read_while_it_moved_is_not_judged_on_the_kernel() {
        let scenario =
            sim_core::scenario::parse("process p\np: mmap heap 8\np: fork c\nexpect p heap[4] shared c\nexpect p heap[5] private\nexpect p heap[5] frame same\n")
                .unwrap();
        let expects: Vec<&Expect> = scenario
            .statements
            .iter()
            .filter_map(|s| match &s.kind {
                StatementKind::Expect { expect } => Some(expect),
                _ => None,
            })
            .collect();
        let now: Unsettled = [("c".to_string(), "heap".to_string(), 4)].into();
        let ever: Unsettled = [("p".to_string(), "heap".to_string(), 5)].into();
        assert!(reads_an_unsettled_page(expects[0], &now, &ever));
        assert!(!reads_an_unsettled_page(expects[1], &now, &ever));
        assert!(reads_an_unsettled_page(expects[2], &now, &ever));
    }
}
