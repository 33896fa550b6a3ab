//! What the model says of each Node statement, in the terms real node can
//! be held to: the Node events its group emitted (process, object, name,
//! arguments as JSON text, in order) and the bytes its `send()` wrote on
//! an IPC channel; and each expect's verdict. Read off a whole run of the
//! model (`Sim`), by the statement's position.

use sim_core::engine::Sim;
use sim_core::scenario::ast::{Expect, Op, Pos, StatementKind};
use sim_core::scenario::ScenarioError;
use std::collections::BTreeMap;

/// One Node event, as either side saw it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub(super) struct Seen {
    /// The node process the object lives in.
    pub process: String,
    /// A child object's name, or `process`.
    pub object: String,
    pub name: String,
    /// Each argument as JSON text (`null`, `"SIGTERM"`, `{"a":1}`).
    pub args: Vec<String>,
}

impl Seen {
    /// As the model's expects tell an event: `'exit' (0, null)`, `'spawn'`.
    pub fn call(&self) -> String {
        if self.args.is_empty() {
            format!("'{}'", self.name)
        } else {
            format!("'{}' ({})", self.name, self.args.join(", "))
        }
    }
}

/// One kernel step a Node statement's group claims: the kernel statement
/// the model ran, in the process that ran it.
#[derive(Clone, Debug)]
pub(super) struct Claim {
    pub process: String,
    /// Made by a signal handler (libuv's SIGCHLD handler): compared apart
    /// from the loop's own calls (syscalls.rs says why).
    pub in_handler: bool,
    pub op: Op,
    /// The kernel statement, as the trace prints it.
    pub source: String,
}

/// The model's account of one Node statement.
#[derive(Clone, Debug, Default)]
pub(super) struct Said {
    pub events: Vec<Seen>,
    /// What the statement's `send()` wrote on the channel, one entry per
    /// write(2).
    pub writes: Vec<Vec<u8>>,
    /// The kernel steps its group claims, in the order the model ran them.
    pub steps: Vec<Claim>,
}

/// The model's whole run: each statement's account by its position, each
/// expect's verdict by its position, what JavaScript reads at each value
/// expect, and the error that stopped it.
pub(super) struct ModelRun {
    pub said: BTreeMap<Pos, Said>,
    pub verdicts: BTreeMap<Pos, Result<(), String>>,
    /// At each `expect P value ...` (by its position), what the model's P
    /// reads there: a number, or None for `undefined`; the outer None
    /// when P holds no such array.
    pub values: BTreeMap<Pos, Option<Option<f64>>>,
    pub error: Option<ScenarioError>,
}

/// Run `text` in the model, whole.
pub(super) fn run(text: &str) -> Result<ModelRun, ScenarioError> {
    let mut sim = Sim::from_source(text)?;
    let error = sim.run_to_end().err();
    let mut said: BTreeMap<Pos, Said> = BTreeMap::new();
    let mut verdicts = BTreeMap::new();
    let mut values = BTreeMap::new();
    let value_expects: BTreeMap<Pos, &Expect> = sim
        .scenario()
        .statements
        .iter()
        .filter_map(|s| match &s.kind {
            StatementKind::Expect {
                expect: expect @ Expect::Value { .. },
            } => Some((s.pos, expect)),
            _ => None,
        })
        .collect();
    for step in sim.steps() {
        for e in &step.expects {
            verdicts.insert(e.pos, e.verdict.clone());
            if let (
                Some(Expect::Value {
                    process,
                    array,
                    read,
                    ..
                }),
                Some(world),
            ) = (value_expects.get(&e.pos), sim.world(step.index))
            {
                let read = world.node().read(process.as_str(), array.as_str(), read);
                values.insert(e.pos, read);
            }
        }
        let Some(group) = &step.group else { continue };
        let entry = said.entry(group.pos).or_default();
        entry.events.extend(group.events.iter().map(|e| Seen {
            process: e.process.to_string(),
            object: e.object.to_string(),
            name: e.event.to_string(),
            args: e.args.clone(),
        }));
        match group.kernel.as_ref().map(|s| &s.kind) {
            Some(StatementKind::Op { actor, op }) => entry.steps.push(Claim {
                process: actor.text.clone(),
                in_handler: group.in_handler,
                op: op.clone(),
                source: step.source.clone(),
            }),
            // `node NAME`: the process starts (the execve of node).
            Some(StatementKind::Process { name }) => entry.steps.push(Claim {
                process: name.text.clone(),
                in_handler: false,
                op: Op::Exec {
                    program: "node".into(),
                },
                source: step.source.clone(),
            }),
            _ => {}
        }
        // A send() is a channel write, its JSON line or its advanced
        // frame (libuv's signal-pipe messages are not).
        if let Some(bytes) = &group.wrote {
            entry.writes.push(bytes.clone());
        }
    }
    Ok(ModelRun {
        said,
        verdicts,
        values,
        error,
    })
}
