//! A Node statement in the step engine: the group of kernel steps it
//! expanded into (`node::expand`), run one a step, with the Node layer's
//! effect applied after each (`NodeState::apply`) and the group's record
//! on every step (`StepGroup`); and the judging of the Node event expects
//! on the Node state.

use super::narrate;
use crate::node::expand::{self, Guard, Planned};
use crate::node::state::{NodeEvent, NodeState};
use crate::scenario::ast::{Expect, Pos, Statement, StatementKind, ValueRead};
use crate::scenario::node_syntax::NodeObject;
use crate::scenario::worker_syntax::PARENT_PORT_OBJECT;
use crate::scenario::{ErrorKind, ScenarioError};
use crate::world::World;
use serde::Serialize;
use std::collections::VecDeque;

/// What a kernel step of a Node statement's group records of its group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StepGroup {
    /// The Node statement, in its canonical form.
    pub source: String,
    /// Where the Node statement is.
    pub pos: Pos,
    /// The process whose statement it is (the new process, for `node`).
    pub actor: Option<String>,
    /// This step's place in the group, from 0.
    pub index: u32,
    /// Whether this is the group's last step, after which its `say` and
    /// `expect` lines are taken.
    pub last: bool,
    /// Why node or libuv makes this step.
    pub why: String,
    /// The Node events emitted once this step ran.
    pub events: Vec<NodeEvent>,
    /// What the Node statement does, in a sentence.
    pub what: String,
    /// The kernel statement this step ran (None for a step node takes
    /// alone, such as a `send()` that threw): what `forkscope check`
    /// replays. Its text is the step's `source`.
    #[serde(skip)]
    pub kernel: Option<Statement>,
    /// Whether a signal handler makes this step (libuv's SIGCHLD handler
    /// writing to the loop's signal pipe): it runs whenever the signal
    /// arrives, on any of the process's threads, so its place among the
    /// loop's own calls is a race with the process that sent the signal
    /// (`check --node` compares it apart from them).
    #[serde(skip)]
    pub in_handler: bool,
    /// What this step's `send()` wrote on an IPC channel: a JSON line, or
    /// in advanced mode a frame (a length and V8's bytes), which the
    /// kernel statement moves as a count. `check --node` compares it with
    /// node's write.
    #[serde(skip)]
    pub wrote: Option<Vec<u8>>,
    /// The Node statement's own line, told from what it does and every
    /// Node event of the group: on its last step only.
    pub narration: Option<String>,
}

/// A Node statement being run: its steps still to come.
#[derive(Clone, Debug)]
pub(crate) struct GroupRun {
    source: String,
    pos: Pos,
    actor: Option<String>,
    /// What the statement does, in a sentence (`narrate::node::what`).
    what: String,
    index: u32,
    pending: VecDeque<Planned>,
    events: Vec<NodeEvent>,
}

impl GroupRun {
    /// The group of `stmt`, a Node statement, planned on `world`.
    pub(crate) fn start(world: &World, stmt: &Statement) -> Result<GroupRun, ScenarioError> {
        let pending: VecDeque<Planned> = expand::expand(world, stmt)?.into();
        let actor = match &stmt.kind {
            StatementKind::Node { actor, .. } => Some(actor.text.clone()),
            StatementKind::NodeProcess { name } => Some(name.text.clone()),
            _ => None,
        };
        Ok(GroupRun {
            source: stmt.to_string(),
            pos: stmt.pos,
            actor,
            what: narrate::node::what(world, stmt),
            index: 0,
            pending,
            events: Vec::new(),
        })
    }

    /// The next step to run.
    pub(crate) fn next(&mut self) -> Option<Planned> {
        self.pending.pop_front()
    }

    /// After `planned` ran on `world`: its Node effect, the steps whose
    /// guard no longer holds dropped, and the step's record of its group.
    pub(crate) fn after(&mut self, planned: &Planned, world: &mut World) -> StepGroup {
        let events = NodeState::apply(world, &planned.effect);
        while self
            .pending
            .front()
            .is_some_and(|next| !holds(world, &next.guard))
        {
            self.pending.pop_front();
        }
        self.events.extend(events.iter().cloned());
        let last = self.pending.is_empty();
        let actor = match &planned.stmt {
            Some(Statement {
                kind: StatementKind::Op { actor, .. },
                ..
            }) => actor.text.clone(),
            _ => self.actor.clone().unwrap_or_default(),
        };
        let mut why = narrate::node::why(&planned.why, &actor);
        if !events.is_empty() {
            why.push(' ');
            why.push_str(&narrate::node::events(&events));
        }
        let group = StepGroup {
            source: self.source.clone(),
            pos: self.pos,
            actor: self.actor.clone(),
            index: self.index,
            last,
            why,
            events,
            what: self.what.clone(),
            kernel: planned.stmt.clone(),
            in_handler: planned.why == expand::Why::HandlerWrites,
            wrote: match &planned.effect {
                crate::node::state::Effect::Wrote { bytes, .. } => Some(bytes.to_vec()),
                _ => None,
            },
            narration: last.then(|| narrate::node::group(&self.what, &self.events)),
        };
        self.index += 1;
        group
    }
}

/// Whether a planned step's guard holds on `world`.
fn holds(world: &World, guard: &Guard) -> bool {
    match guard {
        Guard::Always => true,
        Guard::Dead(name) => world
            .pid_of(name)
            .is_some_and(|pid| world.proc(pid).state.is_dead()),
    }
}

/// An event argument as the expects compare it: JSON text.
fn json_text(value: &crate::node::JsValue) -> String {
    match crate::node::json::stringify(value) {
        Ok(line) => line.trim_end_matches('\n').to_string(),
        Err(e) => format!("({e})"),
    }
}

/// Judge `expect P event ...`, `expect P events ...` or `expect P value
/// ...` on the Node state. P is a node process or a worker thread.
pub(crate) fn judge(world: &World, expect: &Expect) -> Result<Result<(), String>, ScenarioError> {
    let process = expect
        .subject()
        .expect("a Node expect names its node process");
    let node = world.node();
    let worker = node.worker(process.as_str()).is_some();
    if world.pid_of(process.as_str()).is_none() && !worker {
        let threads = node.workers().map(|(n, _)| n);
        return Err(ScenarioError::new(
            process.pos,
            ErrorKind::UnknownProcess {
                name: process.text.clone(),
                suggestion: crate::scenario::error::suggest(
                    process.as_str(),
                    world.names().chain(threads),
                ),
            },
        ));
    }
    if node.proc(process.as_str()).is_none() && !worker {
        return Err(ScenarioError::new(
            process.pos,
            ErrorKind::NotNode {
                process: process.text.clone(),
            },
        ));
    }
    let object = match expect {
        Expect::Event { object, .. } | Expect::Events { object, .. } => object,
        Expect::Value {
            array, read, value, ..
        } => return value_verdict(world, process, array, read, value),
        _ => unreachable!("judge is given Node expects only"),
    };
    let events = match object {
        NodeObject::Child { name } => node
            .events(process.as_str(), Some(name.as_str()))
            .or_else(|| node.worker_events(process.as_str(), name.as_str()))
            .ok_or_else(|| {
                let children = node
                    .proc(process.as_str())
                    .into_iter()
                    .flat_map(|p| p.children.keys().map(|k| &**k));
                let workers = node
                    .workers()
                    .filter(|(_, w)| *w.owner == *process.as_str())
                    .map(|(n, _)| n);
                ScenarioError::new(
                    name.pos,
                    ErrorKind::UnknownChildObject {
                        process: process.text.clone(),
                        name: name.text.clone(),
                        suggestion: crate::scenario::error::suggest(
                            name.as_str(),
                            children.chain(workers),
                        ),
                    },
                )
            })?,
        NodeObject::Process => node.events(process.as_str(), None).ok_or_else(|| {
            ScenarioError::new(
                process.pos,
                ErrorKind::NotInWorker {
                    thread: process.text.clone(),
                    process: node
                        .process_of(process.as_str())
                        .map(|p| p.to_string())
                        .unwrap_or_default(),
                    what: "its process object's events".into(),
                },
            )
        })?,
        NodeObject::ParentPort => node
            .worker_events(process.as_str(), PARENT_PORT_OBJECT)
            .ok_or_else(|| {
                ScenarioError::new(
                    process.pos,
                    ErrorKind::NoParentPort {
                        process: process.text.clone(),
                    },
                )
            })?,
    };
    let list: Vec<(&str, &[String])> = events
        .iter()
        .map(|e| (e.event.keyword(), e.args.as_slice()))
        .collect();
    Ok(event_expect_verdict(expect, &list).expect("judge is given Node event expects only"))
}

/// Whether `expect P value ARRAY... VALUE` holds: what JavaScript in P
/// reads.
fn value_verdict(
    world: &World,
    process: &crate::scenario::ast::Name,
    array: &crate::scenario::ast::Name,
    read: &ValueRead,
    value: &crate::scenario::node_syntax::NodeValue,
) -> Result<Result<(), String>, ScenarioError> {
    let node = world.node();
    let found = node
        .read(process.as_str(), array.as_str(), read)
        .ok_or_else(|| {
            ScenarioError::new(
                array.pos,
                ErrorKind::UnknownArray {
                    process: process.text.clone(),
                    name: array.text.clone(),
                    suggestion: crate::scenario::error::suggest(
                        array.as_str(),
                        node.array_names(process.as_str()),
                    ),
                },
            )
        })?;
    Ok(value_verdict_of(process, array, read, value, found))
}

/// Whether `expect P value ...` holds when JavaScript in P read `found`
/// (None: `undefined`), in the words a failing one gives; None for an
/// expect that is not a value expect. The model judges with it, and
/// `check --node` on the value node read.
pub fn value_expect_verdict(expect: &Expect, found: Option<f64>) -> Option<Result<(), String>> {
    match expect {
        Expect::Value {
            process,
            array,
            read,
            value,
        } => Some(value_verdict_of(process, array, read, value, found)),
        _ => None,
    }
}

fn value_verdict_of(
    process: &crate::scenario::ast::Name,
    array: &crate::scenario::ast::Name,
    read: &ValueRead,
    value: &crate::scenario::node_syntax::NodeValue,
    found: Option<f64>,
) -> Result<(), String> {
    let want = match value.value {
        crate::node::JsValue::Number(n) => Some(n),
        _ => None,
    };
    if found == want {
        return Ok(());
    }
    let text = match read {
        ValueRead::Element { index } => format!("{array}[{index}]"),
        ValueRead::ByteLength => format!("{array}.byteLength"),
    };
    Err(format!("{text} is {} in {process}", value_text(found)))
}

/// A value JavaScript read, as the verdicts and `check --node` write it:
/// its number text, or `undefined`.
pub fn value_text(found: Option<f64>) -> String {
    match found {
        Some(n) => json_text(&crate::node::JsValue::Number(n)),
        None => "undefined".to_string(),
    }
}

/// Whether a Node event expect holds over `events`, what its object
/// emitted in order (each its name and its arguments as JSON text), in the
/// words a failing one gives; None for an expect that is not about Node
/// events. The model judges with it, and `check --node` on node's events.
pub fn event_expect_verdict(
    expect: &Expect,
    events: &[(&str, &[String])],
) -> Option<Result<(), String>> {
    let (object, holds) = match expect {
        Expect::Event {
            object,
            event,
            args,
            ..
        } => {
            let want: Vec<String> = args.iter().map(|a| json_text(&a.value)).collect();
            let holds = events
                .iter()
                .any(|(name, got)| *name == event.keyword() && (want.is_empty() || *got == want));
            (object, holds)
        }
        Expect::Events {
            object,
            events: want,
            ..
        } => {
            let holds = events.len() == want.len()
                && events
                    .iter()
                    .zip(want)
                    .all(|((name, _), w)| *name == w.keyword());
            (object, holds)
        }
        _ => return None,
    };
    if holds {
        return Some(Ok(()));
    }
    let calls: Vec<String> = events
        .iter()
        .map(|(name, args)| match args.is_empty() {
            true => format!("'{name}'"),
            false => format!("'{name}' ({})", args.join(", ")),
        })
        .collect();
    Some(Err(match calls.is_empty() {
        true => format!("{object} emitted no event"),
        false => format!("{object} emitted {}", calls.join(", ")),
    }))
}
