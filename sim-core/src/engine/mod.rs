//! The step engine: runs a scenario one statement at a time and keeps the
//! world after every step (time travel).
//!
//! A step is one `process` or operation statement. The `say` and `expect`
//! statements after it belong to it: the says are its narration for a
//! teacher's words, the expects are checked on the world it leaves.
//! Snapshots are whole `World` values; they share structure, so keeping one
//! per step costs only what the step changed.

//!
//! The layers, in order: the scenario (a parsed statement) -> the engine's
//! operations (ops.rs and its siblings change the world) -> the events
//! they push (event.rs) -> narrate, which builds the sentences from the
//! events and the worlds before and after -> the `Step`.

mod event;
mod ipc;
mod life;
mod memory;
mod narrate;
mod node_step;
mod ops;
mod settle;
mod signals;
mod wait;

use crate::observe::{self, Observation};
use crate::profile::KernelProfile;
use crate::scenario::ast::{Expect, Pos, Scenario, StatementKind};
use crate::scenario::{ErrorKind, ScenarioError};
use crate::world::World;
use serde::Serialize;
use std::sync::Arc;

pub use crate::node::state::NodeEvent;
pub use event::{
    AutoReap, Call, EndKind, Event, ForkedRegion, KillTarget, QueueFigures, Refusal, RegionFork,
    WaitFound,
};
pub use node_step::{event_expect_verdict, value_expect_verdict, value_text, StepGroup};

/// A Node statement's line told from what it does and its Node events
/// (what a group's last step holds in `StepGroup::narration`; for a group
/// a run stopped in).
pub fn group_narration<'a>(what: &str, events: impl IntoIterator<Item = &'a NodeEvent>) -> String {
    narrate::node::group(what, events)
}

/// An expect and its verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExpectOutcome {
    pub pos: Pos,
    /// The expect as written (canonical form).
    pub text: String,
    /// `Ok` when it holds; otherwise what was found instead.
    pub verdict: Result<(), String>,
}

impl ExpectOutcome {
    pub fn holds(&self) -> bool {
        self.verdict.is_ok()
    }
}

/// One step of a run.
#[derive(Clone, Debug, Serialize)]
pub struct Step {
    /// 1-based; step 0 is the initial world.
    pub index: u32,
    pub pos: Pos,
    /// The statement as written (canonical form).
    pub source: String,
    /// The process that acted (None for `process` statements).
    pub actor: Option<String>,
    pub events: Vec<Event>,
    /// What happened, in a sentence or two for a learner.
    pub narration: String,
    /// The scenario's own `say` lines for this step.
    pub says: Vec<String>,
    pub expects: Vec<ExpectOutcome>,
    /// The Node statement this step is part of, if it is one of the
    /// kernel steps a Node statement expands into.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<StepGroup>,
}

/// A scenario being run.
#[derive(Clone, Debug)]
pub struct Sim {
    scenario: Arc<Scenario>,
    profile: Arc<KernelProfile>,
    /// history[0] is the initial world; history[i] the world after step i.
    history: Vec<World>,
    steps: Vec<Step>,
    /// `say` lines before the first step.
    intro: Vec<String>,
    /// Next statement to run.
    next: usize,
    error: Option<ScenarioError>,
    /// The bound on wake-up rounds in one step (`settle::MAX_SETTLE_ROUNDS`;
    /// lower in a test of the error it gives).
    settle_rounds: u32,
    /// The Node statement being run, and its kernel steps still to run.
    group: Option<node_step::GroupRun>,
}

impl Sim {
    pub fn new(scenario: Scenario) -> Sim {
        Sim::with_profile(scenario, KernelProfile::default())
    }

    pub fn with_profile(scenario: Scenario, profile: KernelProfile) -> Sim {
        let mut sim = Sim {
            scenario: Arc::new(scenario),
            profile: Arc::new(profile),
            history: vec![World::new()],
            steps: Vec::new(),
            intro: Vec::new(),
            next: 0,
            error: None,
            settle_rounds: settle::MAX_SETTLE_ROUNDS,
            group: None,
        };
        while let Some(stmt) = sim.scenario.statements.get(sim.next) {
            match &stmt.kind {
                StatementKind::Say { text } => sim.intro.push(text.clone()),
                StatementKind::Expect { .. } => {
                    sim.error = Some(ScenarioError::new(
                        stmt.pos,
                        ErrorKind::NoProcessYet {
                            what: "this expect".into(),
                        },
                    ));
                    break;
                }
                _ => break,
            }
            sim.next += 1;
        }
        sim
    }

    /// The same run with wake-ups bounded by `rounds` a step instead of
    /// `settle::MAX_SETTLE_ROUNDS`: a bound so low that a correct step
    /// reaches it, to test the error a wake-up loop gives.
    #[cfg(test)]
    fn with_settle_rounds(mut self, rounds: u32) -> Sim {
        self.settle_rounds = rounds;
        self
    }

    /// Parse and set up in one go.
    pub fn from_source(text: &str) -> Result<Sim, ScenarioError> {
        Ok(Sim::new(crate::scenario::parse(text)?))
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    pub fn profile(&self) -> &KernelProfile {
        &self.profile
    }

    pub fn title(&self) -> Option<&str> {
        self.scenario.title.as_deref()
    }

    /// `say` lines that come before the first step.
    pub fn intro(&self) -> &[String] {
        &self.intro
    }

    /// Steps run so far.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The world after step `index` (0: before the first step). O(1).
    pub fn world(&self, index: u32) -> Option<&World> {
        self.history.get(index as usize)
    }

    /// The current world.
    pub fn current(&self) -> &World {
        self.history
            .last()
            .expect("history always holds the initial world")
    }

    /// The model's observation after step `index`.
    pub fn observe(&self, index: u32) -> Option<Observation> {
        self.world(index).map(World::observe)
    }

    /// What step `index` changed in what can be seen (1-based; None for
    /// step 0 or a step not run). Costs what the step changed, not what
    /// the machine holds (`World::changes_since`).
    pub fn changes(&self, index: u32) -> Option<crate::changes::Changes> {
        let before = self.world(index.checked_sub(1)?)?;
        Some(self.world(index)?.changes_since(before))
    }

    /// The error that stopped the run, if one did.
    pub fn error(&self) -> Option<&ScenarioError> {
        self.error.as_ref()
    }

    pub fn is_finished(&self) -> bool {
        self.error.is_some()
            || (self.group.is_none() && self.next >= self.scenario.statements.len())
    }

    /// Run the next step. `Ok(None)` at the end; an error stops the run for
    /// good (the steps before it stay viewable). A Node statement is run
    /// as the kernel steps it expands into, one a call; its `say` and
    /// `expect` lines belong to its last step.
    pub fn step(&mut self) -> Result<Option<&Step>, ScenarioError> {
        if let Some(err) = &self.error {
            return Err(err.clone());
        }
        // The scenario is shared, so holding it costs a reference count,
        // not a copy of the statement.
        let scenario = Arc::clone(&self.scenario);
        if self.group.is_none() {
            let Some(stmt) = scenario.statements.get(self.next) else {
                return Ok(None);
            };
            let node = matches!(
                &stmt.kind,
                StatementKind::Node { .. } | StatementKind::NodeProcess { .. }
            );
            let program = crate::node::expand::is_program_exit(self.current(), stmt)
                || crate::node::expand::is_program_output(self.current(), stmt);
            if node || program {
                match node_step::GroupRun::start(self.current(), stmt) {
                    Ok(group) => {
                        self.group = Some(group);
                        self.next += 1;
                    }
                    Err(err) => {
                        self.error = Some(err.clone());
                        return Err(err);
                    }
                }
            }
        }
        let planned = self.group.as_mut().and_then(node_step::GroupRun::next);
        let stmt = match &planned {
            Some(p) => p.stmt.as_ref(),
            None => scenario.statements.get(self.next),
        };
        let index = self.steps.len() as u32 + 1;
        let mut world = self.current().clone();
        let events = match stmt {
            Some(stmt) => {
                match ops::apply(&mut world, stmt, index, &self.profile, self.settle_rounds) {
                    Ok(events) => events,
                    Err(err) => {
                        self.error = Some(err.clone());
                        return Err(err);
                    }
                }
            }
            None => Vec::new(),
        };
        let narration = narrate::step(&events, self.current(), &world);
        let group = match (&planned, self.group.as_mut()) {
            (Some(p), Some(run)) => Some(run.after(p, &mut world)),
            _ => {
                self.next += 1;
                None
            }
        };
        // A step node takes alone (a send that throws) has no kernel
        // events to tell: its narration is what node did.
        let narration = match (stmt, &group) {
            (None, Some(g)) => g.why.clone(),
            _ => narration,
        };
        let (pos, source, actor) = match (stmt, &group) {
            (Some(stmt), _) => (stmt.pos, stmt.to_string(), actor_of(stmt)),
            // A step node takes alone: told as its Node statement.
            (None, Some(g)) => (g.pos, g.source.clone(), g.actor.clone()),
            (None, None) => unreachable!("a step with no statement belongs to a group"),
        };
        let mut step = Step {
            index,
            pos,
            source,
            actor,
            events,
            narration,
            says: Vec::new(),
            expects: Vec::new(),
            group,
        };
        self.history.push(world);
        if step.group.as_ref().is_some_and(|g| !g.last) {
            self.steps.push(step);
            return Ok(self.steps.last());
        }
        self.group = None;
        while let Some(next) = self.scenario.statements.get(self.next) {
            match &next.kind {
                StatementKind::Say { text } => step.says.push(text.clone()),
                StatementKind::Expect { expect } => match self.check(expect) {
                    Ok(verdict) => step.expects.push(ExpectOutcome {
                        pos: next.pos,
                        text: next.to_string(),
                        verdict,
                    }),
                    Err(err) => {
                        self.error = Some(err.clone());
                        self.steps.push(step);
                        return Err(err);
                    }
                },
                _ => break,
            }
            self.next += 1;
        }
        self.steps.push(step);
        Ok(self.steps.last())
    }

    /// Run every remaining step. Failed expects do not stop the run; a
    /// scenario error does.
    pub fn run_to_end(&mut self) -> Result<(), ScenarioError> {
        while self.step()?.is_some() {}
        Ok(())
    }

    /// Whether the run is inside a Node statement's group (its next step
    /// is one of the group's kernel steps).
    pub fn in_group(&self) -> bool {
        self.group.is_some()
    }

    /// Every expect that failed so far.
    pub fn failed_expects(&self) -> impl Iterator<Item = &ExpectOutcome> {
        self.steps
            .iter()
            .flat_map(|s| s.expects.iter())
            .filter(|e| !e.holds())
    }

    /// Judge an expect on the current world. Names it uses must exist.
    fn check(&self, expect: &Expect) -> Result<Result<(), String>, ScenarioError> {
        let world = self.current();
        if expect.is_node() {
            return node_step::judge(world, expect);
        }
        let known = |name: &crate::scenario::ast::Name| -> Result<(), ScenarioError> {
            match world.pid_of(name.as_str()) {
                Some(_) => Ok(()),
                None => Err(ScenarioError::new(
                    name.pos,
                    ErrorKind::UnknownProcess {
                        name: name.text.clone(),
                        suggestion: crate::scenario::error::suggest(name.as_str(), world.names()),
                    },
                )),
            }
        };
        if let Some(end) = expect.end() {
            let object = end.object();
            if world.object(object.as_str()).is_none() {
                return Err(ScenarioError::new(
                    object.pos,
                    ErrorKind::UnknownObject {
                        name: object.text.clone(),
                        suggestion: crate::scenario::error::suggest(
                            object.as_str(),
                            world.object_names(),
                        ),
                    },
                ));
            }
        }
        let names = expect.processes();
        for name in &names {
            known(name)?;
        }
        let procs: Vec<&str> = names.iter().map(|p| p.as_str()).collect();
        let subject = expect.subject().and_then(|p| world.pid_of(p.as_str()));
        let region_page = expect.page();
        if let (Some(pid), Some((region, page))) = (subject, region_page) {
            self.check_page(world, pid, region, page).map_err(|kind| {
                // A page out of range is pointed at its index, just after
                // `R[` (a region name is ASCII: one column a byte).
                let pos = match kind {
                    ErrorKind::PageOutOfRange { .. } => Pos {
                        line: region.pos.line,
                        col: region.pos.col + region.text.len() as u32 + 1,
                    },
                    _ => region.pos,
                };
                ScenarioError::new(pos, kind)
            })?;
        }
        let scope = |w: &World| {
            w.observe_scoped(
                |p| procs.contains(&p),
                |_, r| match region_page {
                    Some((region, page)) if region.as_str() == r => Some(page + 1),
                    _ => None,
                },
            )
        };
        let now = scope(world);
        // `frame same|new` compares with the world before the subject's
        // last operation.
        let before = match (subject, region_page) {
            (Some(pid), Some(_)) => world
                .proc(pid)
                .last_op
                .as_ref()
                .and_then(|l| self.world(l.step - 1))
                .map(scope),
            _ => None,
        };
        Ok(observe::evaluate(expect, &now, before.as_ref()))
    }

    fn check_page(
        &self,
        world: &World,
        pid: crate::ids::Pid,
        region: &crate::scenario::ast::Name,
        page: u32,
    ) -> Result<(), ErrorKind> {
        let proc = world.proc(pid);
        if proc.state.is_dead() {
            // Its regions are gone; the verdict will say so.
            return Ok(());
        }
        match proc.mm.region(region.as_str()) {
            None => Err(ErrorKind::UnknownRegion {
                process: proc.name.to_string(),
                name: region.text.clone(),
                suggestion: crate::scenario::error::suggest(
                    region.as_str(),
                    proc.mm.regions.iter().map(|r| &*r.name),
                ),
            }),
            Some(r) if page >= r.pages() => Err(ErrorKind::PageOutOfRange {
                region: region.text.clone(),
                page: u64::from(page),
                pages: r.pages(),
            }),
            Some(_) => Ok(()),
        }
    }
}

/// The process that acts in a kernel statement (None for `process`).
fn actor_of(stmt: &crate::scenario::ast::Statement) -> Option<String> {
    match &stmt.kind {
        StatementKind::Op { actor, .. } | StatementKind::Node { actor, .. } => {
            Some(actor.text.clone())
        }
        _ => None,
    }
}
