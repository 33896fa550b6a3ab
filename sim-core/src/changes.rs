//! What a step changed in what can be seen: the one rule for the
//! difference of two observations, which the text trace, the JSON trace
//! and the web app all show.
//!
//! `Changes::between` compares two whole `Observation`s; `World::changes_since`
//! gives the same value from two worlds, looking only at what the step
//! touched (processes, page-table leaves, frames and ends that are not
//! shared between the two worlds), so a step costs what it changes, not
//! what the machine holds. A property test holds the two equal.
//!
//! A frame's user count is a fact about the frame: when it changes (a
//! child forked or exited, another process wrote its own copy), it is
//! told once in `frames`, not again for every page that maps the frame.
//! Pages are listed when what they map changed.

use crate::observe::{FdObs, LastOpObs, Observation, PageObs, ProcObs};
use crate::scenario::ast::{ExitStatus, StateName};
use crate::sig::Signal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What changed between two observations. Replaying the changes of steps
/// 1..=i onto an empty machine gives the observation after step i.
///
/// It reads back from its JSON (`forkscope check --json` records the
/// kernel's changes in this shape, and the web app reads the recordings);
/// the flags `ProcChange::born`, `moved` and `reaped` are not in the JSON
/// and read back as false.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Changes {
    /// Scenario name -> what changed in that process.
    pub processes: BTreeMap<String, ProcChange>,
    /// Frame -> its user count, for every frame mapped after the change
    /// whose count differs from before (0 before: it was not mapped).
    pub frames: BTreeMap<u64, FrameUsers>,
    /// End -> bytes now queued there, for the ends whose count changed
    /// (every end of a new pipe or socketpair).
    pub queued: BTreeMap<String, u64>,
}

/// A frame's user count (map count) before and after.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameUsers {
    /// The count before the step (0: the frame was new).
    pub before: u32,
    /// The count after it (0: the frame was freed).
    pub now: u32,
}

impl FrameUsers {
    /// Did the frame go from one user to several, or back? (What the text
    /// trace's `*` shows.)
    pub fn reshared(self) -> bool {
        self.before > 0 && (self.before > 1) != (self.now > 1)
    }
}

/// A process whose observation changed: its small fields whole, its pages
/// as the runs that changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcChange {
    /// Its state after the step.
    pub state: StateName,
    /// Its parent's scenario name after the step.
    pub parent: String,
    /// Its last operation after the step.
    pub last_op: Option<LastOpObs>,
    /// Runs of each handler after the step.
    pub handled: BTreeMap<Signal, u64>,
    /// How the last child it reaped ended, after the step.
    pub last_reaped: Option<ExitStatus>,
    /// Threads in its thread group after the step (left out when 1).
    #[serde(
        default = "crate::observe::one_thread",
        skip_serializing_if = "crate::observe::is_one_thread"
    )]
    pub threads: u32,
    /// The ends whose fd in this process changed: opened, closed (None),
    /// or its close-on-exec flag set or cleared. (Recordings made before
    /// fds were observed read back with none.)
    #[serde(default)]
    pub fds: BTreeMap<String, Option<FdObs>>,
    /// Runs of pages whose mapping changed (absent, the zero page, which
    /// frame), in region and page order. A new region has all its pages
    /// here.
    pub pages: Vec<PageRun>,
    /// Regions with a page whose frame is the same but went from one user
    /// to several or back (`FrameUsers::reshared`), in name order.
    pub reshared: Vec<String>,
    /// Regions that are gone (munmap, exec, exit), in name order.
    pub unmapped: Vec<String>,
    /// The process is new.
    #[serde(skip)]
    pub born: bool,
    /// Its state or its parent changed (or it is new).
    #[serde(skip)]
    pub moved: bool,
    /// It reaped a child (its last reaped status changed).
    #[serde(skip)]
    pub reaped: bool,
}

/// Pages `from..to` of `region` changed, and are now `page` for `from`;
/// each next page of the run is the same, except that a frame's number goes
/// up by one (pages written in order get frames allocated in order).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageRun {
    /// The region's name.
    pub region: String,
    /// The first page of the run.
    pub from: u32,
    /// One past its last page.
    pub to: u32,
    /// What page `from` is now.
    pub page: PageObs,
}

/// What a page maps, its user count left out.
pub(crate) fn mapping(page: PageObs) -> Option<u64> {
    match page {
        PageObs::Absent => None,
        PageObs::Zero => Some(0),
        PageObs::Frame { frame, .. } => Some(frame),
    }
}

/// Collects the changed pages of one process into runs.
#[derive(Default)]
pub(crate) struct Runs {
    runs: Vec<PageRun>,
    last: Option<PageObs>,
}

impl Runs {
    /// Page `index` of `region` changed and is now `page`. Pages come in
    /// region and index order.
    pub(crate) fn push(&mut self, region: &str, index: u32, page: PageObs) {
        match self.runs.last_mut() {
            Some(run)
                if run.to == index
                    && *run.region == *region
                    && self.last.is_some_and(|l| continues(l, page)) =>
            {
                run.to = index + 1
            }
            _ => self.runs.push(PageRun {
                region: region.to_string(),
                from: index,
                to: index + 1,
                page,
            }),
        }
        self.last = Some(page);
    }

    pub(crate) fn finish(self) -> Vec<PageRun> {
        self.runs
    }
}

/// Does `next` continue a run whose last page is `last`?
fn continues(last: PageObs, next: PageObs) -> bool {
    match (last, next) {
        (PageObs::Frame { frame: a, users: u }, PageObs::Frame { frame: b, users: v }) => {
            b == a + 1 && u == v
        }
        (a, b) => a == b && !matches!(a, PageObs::Frame { .. }),
    }
}

/// A process's small fields, as an observation shows them.
pub(crate) struct Head<'a> {
    pub(crate) state: StateName,
    pub(crate) parent: &'a str,
    pub(crate) last_op: Option<LastOpObs>,
    pub(crate) handled: &'a BTreeMap<Signal, u64>,
    pub(crate) last_reaped: Option<ExitStatus>,
    pub(crate) threads: u32,
}

impl<'a> Head<'a> {
    pub(crate) fn of(p: &'a ProcObs) -> Head<'a> {
        Head {
            state: p.state,
            parent: &p.parent,
            last_op: p.last_op.clone(),
            handled: &p.handled,
            last_reaped: p.last_reaped,
            threads: p.threads,
        }
    }
}

/// The ends whose fd differs from `old` to `now`: the new fd, or None
/// when it was closed.
pub(crate) fn fd_changes(
    old: Option<&BTreeMap<String, FdObs>>,
    now: &BTreeMap<String, FdObs>,
) -> BTreeMap<String, Option<FdObs>> {
    let mut changed = BTreeMap::new();
    changed.extend(
        now.iter()
            .filter(|(end, fd)| old.and_then(|o| o.get(*end)) != Some(fd))
            .map(|(end, fd)| (end.clone(), Some(*fd))),
    );
    if let Some(old) = old {
        changed.extend(
            old.keys()
                .filter(|end| !now.contains_key(*end))
                .map(|end| (end.clone(), None)),
        );
    }
    changed
}

/// The change of one process, or None when nothing seen changed (`fds`:
/// the ends whose fd changed). Both ways of finding changes end here, so
/// that they judge alike.
pub(crate) fn proc_change(
    old: Option<&Head>,
    now: &Head,
    fds: BTreeMap<String, Option<FdObs>>,
    pages: Vec<PageRun>,
    reshared: Vec<String>,
    unmapped: Vec<String>,
) -> Option<ProcChange> {
    let born = old.is_none();
    let moved = old.is_none_or(|o| o.state != now.state || o.parent != now.parent);
    let reaped = now.last_reaped.is_some() && old.and_then(|o| o.last_reaped) != now.last_reaped;
    let others = old.is_none_or(|o| {
        o.last_op != now.last_op
            || o.handled != now.handled
            || o.last_reaped != now.last_reaped
            || o.threads != now.threads
    });
    let quiet = !(moved || others || !fds.is_empty());
    if quiet && pages.is_empty() && reshared.is_empty() && unmapped.is_empty() {
        return None;
    }
    Some(ProcChange {
        state: now.state,
        parent: now.parent.to_string(),
        last_op: now.last_op.clone(),
        handled: now.handled.clone(),
        last_reaped: now.last_reaped,
        threads: now.threads,
        fds,
        pages,
        reshared,
        unmapped,
        born,
        moved,
        reaped,
    })
}

/// Frame -> user count, for every frame some page of `obs` maps.
fn frame_users(obs: &Observation) -> BTreeMap<u64, u32> {
    let mut users = BTreeMap::new();
    for proc in obs.processes.values() {
        for pages in proc.regions.values() {
            for page in pages {
                if let PageObs::Frame { frame, users: u } = page {
                    users.insert(*frame, *u);
                }
            }
        }
    }
    users
}

impl Changes {
    /// The difference from `before` to `after`, both whole observations
    /// (`World::observe`).
    pub fn between(before: &Observation, after: &Observation) -> Changes {
        let users_before = frame_users(before);
        // Maps here are filled by `extend` (insert one by one) rather than
        // `collect` (sort, then build): the result is the same and the web
        // build does not carry one sort per key type.
        let mut frames: BTreeMap<u64, FrameUsers> = BTreeMap::new();
        frames.extend(frame_users(after).into_iter().filter_map(|(frame, now)| {
            let before = users_before.get(&frame).copied().unwrap_or(0);
            (before != now).then_some((frame, FrameUsers { before, now }))
        }));
        let mut processes = BTreeMap::new();
        for (name, now) in &after.processes {
            let old = before.processes.get(name);
            if old == Some(now) {
                continue;
            }
            let mut runs = Runs::default();
            let mut reshared = Vec::new();
            for (region, now_pages) in &now.regions {
                let old_pages = old.and_then(|o| o.regions.get(region));
                let mut flipped = false;
                for (i, &page) in now_pages.iter().enumerate() {
                    match old_pages.and_then(|p| p.get(i)) {
                        Some(&was) if mapping(was) == mapping(page) => {
                            flipped |= matches!(page, PageObs::Frame { frame, .. }
                                if frames.get(&frame).is_some_and(|f| f.reshared()));
                        }
                        _ => runs.push(region, i as u32, page),
                    }
                }
                if flipped {
                    reshared.push(region.clone());
                }
            }
            let unmapped = old
                .map(|o| {
                    o.regions
                        .keys()
                        .filter(|r| !now.regions.contains_key(*r))
                        .cloned()
                        .collect()
                })
                .unwrap_or_default();
            let old_head = old.map(Head::of);
            if let Some(change) = proc_change(
                old_head.as_ref(),
                &Head::of(now),
                fd_changes(old.map(|o| &o.fds), &now.fds),
                runs.finish(),
                reshared,
                unmapped,
            ) {
                processes.insert(name.clone(), change);
            }
        }
        let mut queued = BTreeMap::new();
        queued.extend(
            after
                .queued
                .iter()
                .filter(|(end, bytes)| before.queued.get(*end) != Some(bytes))
                .map(|(end, bytes)| (end.clone(), *bytes)),
        );
        Changes {
            processes,
            frames,
            queued,
        }
    }

    /// Bring `obs` (the observation before) up to the observation after:
    /// what a reader of the JSON trace does with each step's changes.
    pub fn replay(&self, obs: &mut Observation) {
        for (name, change) in &self.processes {
            let proc = obs
                .processes
                .entry(name.clone())
                .or_insert_with(|| ProcObs {
                    state: change.state,
                    parent: change.parent.clone(),
                    regions: BTreeMap::new(),
                    last_op: None,
                    handled: BTreeMap::new(),
                    last_reaped: None,
                    fds: BTreeMap::new(),
                    threads: 1,
                });
            proc.state = change.state;
            proc.parent.clone_from(&change.parent);
            proc.last_op.clone_from(&change.last_op);
            proc.handled.clone_from(&change.handled);
            proc.last_reaped = change.last_reaped;
            proc.threads = change.threads;
            for (end, fd) in &change.fds {
                match fd {
                    Some(fd) => proc.fds.insert(end.clone(), *fd),
                    None => proc.fds.remove(end),
                };
            }
            for region in &change.unmapped {
                proc.regions.remove(region);
            }
            for run in &change.pages {
                let pages = proc.regions.entry(run.region.clone()).or_default();
                if pages.len() < run.to as usize {
                    pages.resize(run.to as usize, PageObs::Absent);
                }
                for (k, index) in (run.from..run.to).enumerate() {
                    pages[index as usize] = match run.page {
                        PageObs::Frame { frame, users } => PageObs::Frame {
                            frame: frame + k as u64,
                            users,
                        },
                        other => other,
                    };
                }
            }
        }
        if !self.frames.is_empty() {
            for proc in obs.processes.values_mut() {
                for page in proc.regions.values_mut().flatten() {
                    if let PageObs::Frame { frame, users } = page {
                        if let Some(change) = self.frames.get(frame) {
                            *users = change.now;
                        }
                    }
                }
            }
        }
        for (end, bytes) in &self.queued {
            obs.queued.insert(end.clone(), *bytes);
        }
    }

    /// Whether the step changed nothing that can be seen.
    pub fn is_empty(&self) -> bool {
        self.processes.is_empty() && self.frames.is_empty() && self.queued.is_empty()
    }
}
