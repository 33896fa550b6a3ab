//! `forkscope check --node`: run a scenario's Node statements with the
//! real node on PATH, in lockstep, and compare with the model, statement
//! by statement: the events each object emits (names, arguments, order)
//! and the exact bytes each side writes on the IPC channel, with the Node
//! event expects judged on node's events as well as the model's,
//!
//! and the system calls each process made, against the kernel steps the
//! model's group claims.
//!
//! `program` writes the JavaScript (one file per program, run by the
//! harness in harness.js), `run` runs it in lockstep over a control socket
//! (and under strace when there is one), `strace` reads strace's output
//! (its calls, the channel bytes), `syscalls` holds each group's kernel
//! steps against the calls, `model` reads the model's account off a run of
//! `Sim`, `compare` holds one against the other, `report` is what a person
//! reads. docs/check-node.md documents it and its `--json`.
//!
//! Not here: the kernel replay, `forkscope check` without `--node`.

mod compare;
mod model;
mod program;
mod report;
mod run;
mod strace;
mod syscalls;

use super::outcome::{CheckError, ErrorKind, Status};
use super::CheckArgs;
use compare::NodeOutcome;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// The first executable `name` in PATH.
fn on_path(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| {
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// strace on PATH, else where the project's machines have it.
fn find_strace() -> Option<PathBuf> {
    on_path("strace").or_else(|| {
        let usual = Path::new("/usr/bin/strace");
        usual.exists().then(|| usual.to_path_buf())
    })
}

/// Whether `text` has a Node statement (a built-in lesson for `--all-node`).
fn has_node(text: &str) -> bool {
    sim_core::scenario::parse(text).is_ok_and(|s| {
        s.statements.iter().any(|st| {
            matches!(
                st.kind,
                sim_core::scenario::ast::StatementKind::NodeProcess { .. }
            )
        })
    })
}

/// The exit status, as `check`'s (docs/check-node.md).
fn exit_code(outcomes: &[NodeOutcome], accept_unjudged: bool) -> u8 {
    let any = |f: &dyn Fn(&NodeOutcome) -> bool| outcomes.iter().any(f);
    if any(&|o| matches!(o.status, Status::Error | Status::Interrupted)) {
        2
    } else if any(&|o| {
        o.status == Status::Differ || o.counts.fail_on_both > 0 || o.counts.model_fails > 0
    }) {
        1
    } else if !accept_unjudged && any(&|o| o.counts.not_judged > 0 || !o.bytes_compared) {
        3
    } else {
        0
    }
}

/// Check one scenario with real node.
fn blank(name: &str) -> NodeOutcome {
    NodeOutcome {
        name: name.to_string(),
        title: None,
        status: Status::Error,
        statements: 0,
        seconds: 0.0,
        bytes_compared: false,
        bytes_not_compared: None,
        counts: compare::Counts::default(),
        differences: Vec::new(),
        expects: Vec::new(),
        record: Vec::new(),
        notes: Vec::new(),
        error: None,
        node_stderr: None,
    }
}

fn check_one(name: &str, text: &str, tools: &run::Tools, args: &CheckArgs) -> NodeOutcome {
    let started = Instant::now();
    let mut outcome = blank(name);
    let fail = |mut o: NodeOutcome, e: CheckError| {
        o.error = Some(e);
        o.seconds = started.elapsed().as_secs_f64();
        o
    };
    let scenario = match sim_core::scenario::parse(text) {
        Ok(s) => s,
        Err(e) => {
            return fail(
                outcome,
                CheckError::new(ErrorKind::Parse, e.kind.to_string()).at(e.pos),
            )
        }
    };
    outcome.title = scenario.title.clone();
    let mut model = match model::run(text) {
        Ok(m) => m,
        Err(e) => {
            return fail(
                outcome,
                CheckError::new(ErrorKind::Model, e.kind.to_string()).at(e.pos),
            )
        }
    };
    if let Some(e) = &model.error {
        let e = CheckError::new(ErrorKind::Model, e.kind.to_string()).at(e.pos);
        return fail(outcome, e);
    }
    let programs = match program::build(&scenario) {
        Ok(p) => p,
        Err(r) => {
            return fail(
                outcome,
                CheckError::new(ErrorKind::NotNode, r.message).at(r.pos),
            )
        }
    };
    outcome.notes = programs.notes.clone();
    // A spawned program's statements are what the real one does by itself
    // after its spawn: their events are expected in the spawn's window,
    // and their kernel steps (its writes and exit, its parent's reads and
    // what follows, such as exec's kill past maxBuffer) looked for there
    // (their writes are on its stdio, not on an IPC channel).
    for (from, to) in &programs.folded {
        if let Some(said) = model.said.remove(from) {
            let into = model.said.entry(*to).or_default();
            into.events.extend(said.events);
            into.steps.extend(said.steps);
        }
    }
    // The events the run waits for at each statement: the model's.
    let expected = programs
        .plan
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let events = model.said.get(&p.pos).map(|s| s.events.clone());
            (i, events.unwrap_or_default())
        })
        .collect();
    let dir = match run::RunDir::new() {
        Ok(d) => d,
        Err(e) => {
            return fail(
                outcome,
                CheckError::new(
                    ErrorKind::Node,
                    format!("cannot make a directory to run node in: {e}"),
                ),
            )
        }
    };
    let (observed, broke) = run::run(tools, &dir.0, &programs, &expected, args.step_timeout);
    let reached = broke
        .as_ref()
        .map_or(programs.plan.len(), |b| b.statement + 1);
    outcome.statements = programs
        .plan
        .iter()
        .take(reached)
        .filter(|p| {
            matches!(
                p.todo,
                program::Todo::Start { .. } | program::Todo::Run { .. }
            )
        })
        .count();
    match &observed.strace {
        Some(_) => outcome.bytes_compared = true,
        None => outcome.bytes_not_compared = Some(
            "strace is not on PATH nor at /usr/bin/strace, so the channel bytes were not recorded"
                .into(),
        ),
    }
    let (diffs, expects, record) = compare::compare(&programs, &model, &observed, reached);
    outcome.record = record;
    outcome.counts = compare::count(&diffs, &expects);
    outcome.differences = diffs;
    outcome.expects = expects;
    outcome.seconds = started.elapsed().as_secs_f64();
    if let Some(b) = broke {
        outcome.node_stderr = Some(observed.stderr.clone()).filter(|s| !s.is_empty());
        let pos = programs.plan.get(b.statement).map(|p| p.pos);
        let mut e = CheckError::new(ErrorKind::Node, b.message);
        if let Some(pos) = pos {
            e = e.at(pos);
        }
        outcome.error = Some(e);
        return outcome;
    }
    outcome.status = if outcome.counts.differences == 0 && outcome.counts.differ == 0 {
        Status::Agree
    } else {
        Status::Differ
    };
    outcome
}

/// `forkscope check --node` (or `--all-node`).
pub(super) fn check(args: &CheckArgs) -> ExitCode {
    let Some(node) = on_path("node") else {
        crate::output::eprint(
            "error: check --node runs the scenario's JavaScript with the real node, and there is no node on PATH; install Node.js (20 is what the model follows) or put it on PATH. Nothing was checked.\n",
        );
        return ExitCode::from(2);
    };
    let tools = run::Tools {
        node,
        strace: find_strace(),
    };
    let mut todo: Vec<(String, Result<String, CheckError>)> = Vec::new();
    if args.all_node {
        let lessons: Vec<_> = sim_core::lessons::all()
            .iter()
            .filter(|l| has_node(l.source))
            .collect();
        if lessons.is_empty() && args.targets.is_empty() {
            crate::output::print(
                "No built-in lesson has Node statements yet: nothing to check with node.\n",
            );
            return ExitCode::SUCCESS;
        }
        for l in lessons {
            todo.push((l.name.to_string(), Ok(l.source.to_string())));
        }
    }
    for t in &args.targets {
        todo.push(match crate::source::load(t) {
            Ok(loaded) => (loaded.label, Ok(loaded.text)),
            Err(e) => (
                t.clone(),
                Err(CheckError::new(ErrorKind::Target, e.to_string())),
            ),
        });
    }
    let mut outcomes = Vec::new();
    for (name, source) in todo {
        let (outcome, text) = match source {
            Ok(text) => (check_one(&name, &text, &tools, args), Some(text)),
            Err(e) => {
                let mut o = blank(&name);
                o.error = Some(e);
                (o, None)
            }
        };
        if !args.json && report::worth_showing(&outcome) {
            crate::output::print(&report::render(&outcome, text.as_deref()));
        }
        outcomes.push(outcome);
        if crate::output::closed() {
            break;
        }
    }
    if args.json {
        let doc = serde_json::json!({
            "node": tools.node,
            "node_version": run::version(&tools.node),
            "strace": tools.strace,
            "accept_unjudged": args.accept_unjudged,
            "scenarios": outcomes,
        });
        let text = serde_json::to_string_pretty(&doc).expect("outcomes serialise");
        crate::output::print(&format!("{text}\n"));
    } else {
        crate::output::print(&report::summary(&outcomes));
        let unjudged: usize = outcomes.iter().map(|o| o.counts.not_judged).sum();
        if unjudged > 0 && !args.accept_unjudged {
            crate::output::print(&format!(
                "{} not judged with node, so this check proves nothing about {}; --accept-unjudged accepts that.\n",
                sim_core::words::count(unjudged as u64, "expect was", "expects were"),
                sim_core::words::agree(unjudged as u64, "it", "them")
            ));
        }
    }
    ExitCode::from(exit_code(&outcomes, args.accept_unjudged))
}
