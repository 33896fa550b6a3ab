//! The model against real node, per Node statement: the events of each
//! object (names, arguments as JSON text, in node's order for that
//! object), the bytes the statement's actor wrote on its IPC channels, and
//! each expect judged on both. What checking one scenario found
//! (`NodeOutcome`), as `check`'s outcome is for the kernel; the JSON is
//! documented in docs/check-node.md.

use super::super::outcome::{CheckError, ExpectStatus, Status};
use super::model::{ModelRun, Seen};
use super::program::{Programs, Todo};
use super::run::{NodeRead, Observed};
use super::strace;
use super::syscalls::{SyscallCheck, Traced};
use serde::Serialize;
use sim_core::scenario::ast::{Expect, ValueRead};
use sim_core::scenario::node_syntax::NodeObject;

/// One thing a statement's two accounts differ in.
#[derive(Clone, Debug, Serialize)]
pub(super) struct Row {
    pub what: String,
    pub model: String,
    pub node: String,
}

/// One Node statement where the model and real node differ.
#[derive(Clone, Debug, Serialize)]
pub(super) struct StatementDiff {
    pub line: u32,
    pub source: String,
    pub rows: Vec<Row>,
}

/// One Node statement as both sides did it, for the record (`--json`):
/// every event and channel write, agreeing or not.
#[derive(Clone, Debug, Serialize)]
pub(super) struct Record {
    pub line: u32,
    pub source: String,
    pub model_events: Vec<Seen>,
    pub node_events: Vec<Seen>,
    /// Each write(2) on an IPC channel by the statement's actor, its
    /// bytes escaped as in the report.
    pub model_writes: Vec<String>,
    /// None when the bytes were not recorded (no strace).
    pub node_writes: Option<Vec<String>>,
    /// The kernel steps the model's group claims against node's system
    /// calls; None when strace did not run.
    pub syscalls: Option<SyscallCheck>,
}

/// An expect judged on both sides.
#[derive(Clone, Debug, Serialize)]
pub(super) struct ExpectCheck {
    pub line: u32,
    pub text: String,
    pub status: ExpectStatus,
    pub reason: Option<String>,
    pub model: Option<Result<(), String>>,
    pub node: Option<Result<(), String>>,
}

impl ExpectCheck {
    pub fn fails(&self) -> bool {
        self.model.as_ref().is_some_and(|m| m.is_err())
            || self.node.as_ref().is_some_and(|n| n.is_err())
    }
}

/// Why a kernel expect is not judged here.
pub(super) const KERNEL_EXPECT: &str = "a kernel expect: `forkscope check` judges it on the kernel";

/// Counts the verdict is made of.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub(super) struct Counts {
    pub differences: usize,
    pub expects: usize,
    pub agree: usize,
    pub fail_on_both: usize,
    pub differ: usize,
    pub not_judged: usize,
    /// Kernel expects: the model's alone here (`forkscope check` judges
    /// them on the kernel), of which `model_fails` fail in the model.
    pub model_only: usize,
    pub model_fails: usize,
}

/// What checking one scenario with real node found.
#[derive(Clone, Debug, Serialize)]
pub(super) struct NodeOutcome {
    pub name: String,
    pub title: Option<String>,
    pub status: Status,
    /// Statements run in node.
    pub statements: usize,
    pub seconds: f64,
    /// Whether the channel bytes were compared, and if not, why.
    pub bytes_compared: bool,
    pub bytes_not_compared: Option<String>,
    pub counts: Counts,
    pub differences: Vec<StatementDiff>,
    pub expects: Vec<ExpectCheck>,
    /// Every Node statement run, as both sides did it.
    pub record: Vec<Record>,
    /// Where the run differs from the scenario on purpose.
    pub notes: Vec<String>,
    pub error: Option<CheckError>,
    /// What node wrote on stderr, when the run broke.
    pub node_stderr: Option<String>,
}

/// Events told as a list: `'spawn', 'exit' (0, null)`, or `none`.
fn calls(events: &[&Seen]) -> String {
    if events.is_empty() {
        "none".into()
    } else {
        events
            .iter()
            .map(|e| e.call())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// One write's bytes, escaped (`{"a":1}\n`).
fn escaped(b: &[u8]) -> String {
    b.escape_ascii().to_string()
}

/// Channel writes told exactly: each as its bytes, escaped, and its length.
fn writes(w: &[Vec<u8>]) -> String {
    if w.is_empty() {
        return "nothing".into();
    }
    w.iter()
        .map(|b| format!("\"{}\" ({} bytes)", escaped(b), b.len()))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Judge a Node event expect on node's events `so_far`, in the model's
/// words: the model's own rule (`event_expect_verdict`), so both
/// verdicts compare as text.
fn judge_on_node(expect: &Expect, so_far: &[Seen]) -> Option<Result<(), String>> {
    let (process, object) = match expect {
        Expect::Event {
            process, object, ..
        }
        | Expect::Events {
            process, object, ..
        } => (process, object),
        _ => return None,
    };
    let object_name = match object {
        NodeObject::Child { name } => name.text.clone(),
        NodeObject::Process => "process".into(),
        NodeObject::ParentPort => "parentPort".into(),
    };
    let events: Vec<(&str, &[String])> = so_far
        .iter()
        .filter(|e| e.process == process.text && e.object == object_name)
        .map(|e| (e.name.as_str(), e.args.as_slice()))
        .collect();
    sim_core::engine::event_expect_verdict(expect, &events)
}

/// Judge `expect P value ...` on what node read, in the model's words
/// (`value_expect_verdict`); None when node read nothing.
fn value_on_node(expect: &Expect, read: &NodeRead) -> Option<Result<(), String>> {
    match read {
        NodeRead::Value(found) => sim_core::engine::value_expect_verdict(expect, *found),
        NodeRead::NoArray => match expect {
            Expect::Value { process, array, .. } => Some(Err(format!(
                "{process} holds no typed array {array} in node"
            ))),
            _ => None,
        },
        NodeRead::NotRead(_) => None,
    }
}

/// The row where the value node read at a value expect differs from the
/// model's (`model`: the model's read there, the outer None when its P
/// holds no such array), as events are compared: whatever the expect
/// says. None when they agree or node read nothing.
fn value_row(
    expect: &Expect,
    model: Option<&Option<Option<f64>>>,
    node: Option<&NodeRead>,
) -> Option<Row> {
    let Expect::Value {
        process,
        array,
        read,
        ..
    } = expect
    else {
        return None;
    };
    let told = |r: Option<Option<f64>>| match r {
        Some(v) => sim_core::engine::value_text(v),
        None => format!("no typed array {array}"),
    };
    let node = match node? {
        NodeRead::Value(v) => Some(*v),
        NodeRead::NoArray => None,
        NodeRead::NotRead(_) => return None,
    };
    let model = model.copied().flatten();
    let same = match (model, node) {
        (Some(Some(a)), Some(Some(b))) => a == b || (a.is_nan() && b.is_nan()),
        (a, b) => a == b,
    };
    if same {
        return None;
    }
    let what = match read {
        ValueRead::Element { index } => format!("{process}: {array}[{index}]"),
        ValueRead::ByteLength => format!("{process}: {array}.byteLength"),
    };
    Some(Row {
        what,
        model: told(model),
        node: told(node),
    })
}

/// The rows where statement `i`'s accounts differ.
fn statement_rows(
    i: usize,
    actor: Option<&str>,
    model: &ModelRun,
    observed: &Observed,
    pos: sim_core::scenario::ast::Pos,
    bytes: Option<&strace::ChannelWrites>,
    traced: Option<&Traced>,
) -> (Vec<Row>, Record) {
    let said = model.said.get(&pos).cloned().unwrap_or_default();
    let real = observed.statements.get(&i).cloned().unwrap_or_default();
    let mut rows = Vec::new();
    let mut node_writes = None;
    // Per object, in the order objects first appear (model first).
    let mut objects: Vec<(String, String)> = Vec::new();
    for e in said.events.iter().chain(&real.events) {
        let key = (e.process.clone(), e.object.clone());
        if !objects.contains(&key) {
            objects.push(key);
        }
    }
    for (process, object) in &objects {
        let of = |list: &[Seen]| -> Vec<Seen> {
            list.iter()
                .filter(|e| &e.process == process && &e.object == object)
                .cloned()
                .collect()
        };
        let (m, n) = (of(&said.events), of(&real.events));
        if m != n {
            rows.push(Row {
                what: format!("{process}: {object}'s events"),
                model: calls(&m.iter().collect::<Vec<_>>()),
                node: calls(&n.iter().collect::<Vec<_>>()),
            });
        }
    }
    for missing in &real.missing {
        rows.push(Row {
            what: "waited for".into(),
            model: "it comes".into(),
            node: missing.clone(),
        });
    }
    if let (Some(bytes), Some(actor)) = (bytes, actor) {
        let pid = observed
            .known
            .iter()
            .find(|k| k.name == actor)
            .map(|k| k.pid);
        if let Some(pid) = pid {
            let got = bytes.get(&(pid, i)).cloned().unwrap_or_default();
            node_writes = Some(got.iter().map(|b| escaped(b)).collect());
            if got != said.writes {
                let mut node = writes(&got);
                if let Some(threw) = &real.threw {
                    node.push_str(&format!(" (it threw {threw})"));
                }
                rows.push(Row {
                    what: format!("{actor}: bytes written on its IPC channels"),
                    model: writes(&said.writes),
                    node,
                });
            }
        }
    }
    let syscalls = traced.map(|t| t.check(i, &said.steps));
    if let Some(Some(m)) = syscalls.as_ref().map(|s| &s.missing) {
        let after = m
            .after
            .as_ref()
            .map_or_else(String::new, |a| format!(" after {a}"));
        let saw = match m.saw.is_empty() {
            true => format!("no {} call{after}", m.syscalls),
            false => format!("next{after}: {}", m.saw.join("; ")),
        };
        rows.push(Row {
            what: format!("{}: kernel steps against its system calls", m.process),
            model: format!("{} ({})", m.step, m.syscalls),
            node: format!("not found in order; {saw}"),
        });
    }
    let record = Record {
        line: pos.line,
        source: String::new(),
        model_events: said.events.clone(),
        node_events: real.events.clone(),
        model_writes: said.writes.iter().map(|b| escaped(b)).collect(),
        node_writes,
        syscalls,
    };
    (rows, record)
}

/// Compare what the model said with what node did.
pub(super) fn compare(
    programs: &Programs,
    model: &ModelRun,
    observed: &Observed,
    reached: usize,
) -> (Vec<StatementDiff>, Vec<ExpectCheck>, Vec<Record>) {
    let bytes = observed
        .strace
        .as_ref()
        .map(|text| strace::channel_writes(text, &observed.known));
    let runs: Vec<usize> = programs
        .plan
        .iter()
        .enumerate()
        .filter(|(_, p)| matches!(p.todo, Todo::Start { .. } | Todo::Run { .. }))
        .map(|(i, _)| i)
        .collect();
    let traced = observed
        .strace
        .as_ref()
        .map(|text| Traced::new(text, &observed.known, &runs));
    let mut diffs = Vec::new();
    let mut expects = Vec::new();
    let mut records = Vec::new();
    for (i, planned) in programs.plan.iter().enumerate().take(reached) {
        match &planned.todo {
            Todo::Nothing => {}
            Todo::Start { .. } | Todo::Run { .. } => {
                let actor = match &planned.todo {
                    Todo::Run { actor, .. } => Some(actor.as_str()),
                    _ => None,
                };
                let (rows, mut record) = statement_rows(
                    i,
                    actor,
                    model,
                    observed,
                    planned.pos,
                    bytes.as_ref(),
                    traced.as_ref(),
                );
                record.source = planned.source.clone();
                records.push(record);
                if !rows.is_empty() {
                    diffs.push(StatementDiff {
                        line: planned.pos.line,
                        source: planned.source.clone(),
                        rows,
                    });
                }
            }
            Todo::Expect(expect) => {
                let model_verdict = model.verdicts.get(&planned.pos).cloned();
                let so_far = observed
                    .at_expect
                    .get(&i)
                    .map_or(&[][..], |&n| &observed.all[..n]);
                let node = match expect.as_ref() {
                    Expect::Value { .. } => {
                        let read = observed.values.get(&i);
                        if let Some(row) = value_row(expect, model.values.get(&planned.pos), read) {
                            diffs.push(StatementDiff {
                                line: planned.pos.line,
                                source: planned.source.clone(),
                                rows: vec![row],
                            });
                        }
                        read.and_then(|r| value_on_node(expect, r))
                    }
                    _ => expect
                        .is_node()
                        .then(|| judge_on_node(expect, so_far))
                        .flatten(),
                };
                let (status, reason) = match (&model_verdict, &node) {
                    // A kernel expect: the model's alone here, by design
                    // (the kernel replay judges it), not a gap.
                    (Some(_), None) if !expect.is_node() => {
                        (ExpectStatus::ModelOnly, Some(KERNEL_EXPECT.to_string()))
                    }
                    (_, None) if matches!(expect.as_ref(), Expect::Value { .. }) => {
                        let why = match observed.values.get(&i) {
                            Some(NodeRead::NotRead(why)) => why.clone(),
                            _ => "node's value was not read".to_string(),
                        };
                        (ExpectStatus::NotJudged, Some(why))
                    }
                    (_, None) => (ExpectStatus::NotJudged, Some(KERNEL_EXPECT.to_string())),
                    (None, _) => (
                        ExpectStatus::NotJudged,
                        Some("the model stopped before it".to_string()),
                    ),
                    (Some(m), Some(n)) if m == n => (ExpectStatus::Agree, None),
                    (Some(_), Some(_)) => (ExpectStatus::Differ, None),
                };
                expects.push(ExpectCheck {
                    line: planned.pos.line,
                    text: planned.source.clone(),
                    status,
                    reason,
                    model: model_verdict,
                    node,
                });
            }
        }
    }
    (diffs, expects, records)
}

/// Count what the verdict is made of.
pub(super) fn count(diffs: &[StatementDiff], expects: &[ExpectCheck]) -> Counts {
    let mut c = Counts {
        differences: diffs.iter().map(|d| d.rows.len()).sum(),
        expects: expects.len(),
        ..Counts::default()
    };
    for e in expects {
        match e.status {
            ExpectStatus::Agree => {
                c.agree += 1;
                c.fail_on_both += usize::from(e.fails());
            }
            ExpectStatus::Differ => c.differ += 1,
            ExpectStatus::NotJudged => c.not_judged += 1,
            ExpectStatus::KernelOnly => {}
            ExpectStatus::ModelOnly => {
                c.model_only += 1;
                c.model_fails += usize::from(e.fails());
            }
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(object: &str, name: &str, args: &[&str]) -> Seen {
        Seen {
            process: "main".into(),
            object: object.into(),
            name: name.into(),
            args: args.iter().map(|a| a.to_string()).collect(),
        }
    }

    fn expect(text: &str) -> Expect {
        let s = sim_core::scenario::parse(&format!("node main\n{text}\n")).expect("parses");
        match &s.statements[1].kind {
            sim_core::scenario::ast::StatementKind::Expect { expect } => expect.clone(),
            other => panic!("not an expect: {other:?}"),
        }
    }

    /// What node did, as the model says it: each statement's events.
    fn as_the_model_says(programs: &Programs, model: &ModelRun) -> Observed {
        let mut observed = Observed::default();
        for (i, planned) in programs.plan.iter().enumerate() {
            let said = model.said.get(&planned.pos).cloned().unwrap_or_default();
            observed.statements.insert(
                i,
                super::super::run::Real {
                    events: said.events,
                    ..Default::default()
                },
            );
        }
        observed
    }

    #[test]
    fn a_statement_whose_events_differ_from_nodes_is_named_with_both_sides() {
        let text = "node main\n\
                    main: const w = child_process.fork('./worker.js')\n\
                    w: process.exit(7)\n";
        let scenario = sim_core::scenario::parse(text).expect("parses");
        let programs = super::super::program::build(&scenario).expect("runs in node");
        let model = super::super::model::run(text).expect("runs in the model");
        let mut observed = as_the_model_says(&programs, &model);
        let all = programs.plan.len();
        let (diffs, _, _) = compare(&programs, &model, &observed, all);
        assert!(
            diffs.is_empty(),
            "the model's own account agrees: {diffs:?}"
        );

        // Node emits the exit statement's events in another order.
        let exit = programs
            .plan
            .iter()
            .position(|p| p.source == "w: process.exit(7)")
            .expect("the exit statement");
        let events = &mut observed
            .statements
            .get_mut(&exit)
            .expect("its events")
            .events;
        assert!(events.len() >= 2, "{events:?}");
        events.swap(0, 1);
        let (diffs, _, _) = compare(&programs, &model, &observed, all);
        assert_eq!(diffs.len(), 1, "{diffs:?}");
        assert_eq!(
            (diffs[0].line, diffs[0].source.as_str()),
            (3, "w: process.exit(7)")
        );
        let row = &diffs[0].rows[0];
        assert_eq!(row.what, "main: w's events");
        assert_ne!(row.model, row.node);
        assert!(row.model.starts_with("'disconnect', 'exit'"), "{row:?}");
        assert!(
            row.node.starts_with("'exit' (7, null), 'disconnect'"),
            "{row:?}"
        );
    }

    #[test]
    fn a_value_node_read_otherwise_than_the_model_is_a_difference_at_its_line() {
        let text = "node main\n\
                    main: const a = new Int32Array(new SharedArrayBuffer(8))\n\
                    main: a[1] = 5\n\
                    expect main value a[1] 5\n";
        let scenario = sim_core::scenario::parse(text).expect("parses");
        let programs = super::super::program::build(&scenario).expect("runs in node");
        let model = super::super::model::run(text).expect("runs in the model");
        let mut observed = as_the_model_says(&programs, &model);
        let all = programs.plan.len();
        let expect_at = 3;
        observed
            .values
            .insert(expect_at, NodeRead::Value(Some(5.0)));
        let (diffs, expects, _) = compare(&programs, &model, &observed, all);
        assert!(diffs.is_empty(), "{diffs:?}");
        assert_eq!(expects[0].status, ExpectStatus::Agree);

        // node reads 6 where the model reads 5.
        observed
            .values
            .insert(expect_at, NodeRead::Value(Some(6.0)));
        let (diffs, expects, _) = compare(&programs, &model, &observed, all);
        assert_eq!(diffs.len(), 1, "{diffs:?}");
        assert_eq!(diffs[0].line, 4);
        let row = &diffs[0].rows[0];
        assert_eq!(
            (row.what.as_str(), row.model.as_str(), row.node.as_str()),
            ("main: a[1]", "5", "6")
        );
        assert_eq!(expects[0].status, ExpectStatus::Differ);
        assert_eq!(expects[0].node, Some(Err("a[1] is 6 in main".into())));

        // Nothing read (node gone): not judged, with why; no difference.
        observed.values.insert(
            expect_at,
            NodeRead::NotRead("main's node is not running".into()),
        );
        let (diffs, expects, _) = compare(&programs, &model, &observed, all);
        assert!(diffs.is_empty(), "{diffs:?}");
        assert_eq!(expects[0].status, ExpectStatus::NotJudged);
        assert_eq!(
            expects[0].reason.as_deref(),
            Some("main's node is not running")
        );
    }

    #[test]
    fn an_event_expect_compares_arguments_as_json_text() {
        let so_far = [seen("w", "spawn", &[]), seen("w", "exit", &["0", "null"])];
        assert_eq!(
            judge_on_node(&expect("expect main event w exit 0 null"), &so_far),
            Some(Ok(()))
        );
        assert_eq!(
            judge_on_node(&expect("expect main event w exit 1 null"), &so_far),
            Some(Err("w emitted 'spawn', 'exit' (0, null)".into()))
        );
    }

    #[test]
    fn an_events_expect_holds_only_for_the_same_names_in_the_same_order() {
        let so_far = [
            seen("w", "disconnect", &[]),
            seen("w", "exit", &["0", "null"]),
        ];
        assert_eq!(
            judge_on_node(&expect("expect main events w exit disconnect"), &so_far),
            Some(Err("w emitted 'disconnect', 'exit' (0, null)".into()))
        );
        assert_eq!(
            judge_on_node(&expect("expect main events w disconnect exit"), &so_far),
            Some(Ok(()))
        );
    }
}
