//! The whole simulated machine as one value (turmoil's `World`): processes,
//! frames, pipes and socketpairs. Cloning a `World` is
//! cheap, every table sharing structure with the clone, and that is how the
//! step engine keeps every earlier state. What can be seen of it (its
//! observation, and what a step changed) is in `seen.rs`.

mod seen;

use crate::attention::Attention;
use crate::ids::{FrameId, Pid};
use crate::ids::{PipeId, SockPairId};
use crate::ipc::end_name::EndName;
use crate::ipc::fd::{EndRef, FdTable};
use crate::ipc::pipe::{Pipe, PipeEnd};
use crate::ipc::socket::{Side, SocketPair};
use crate::mm::{AddressSpace, Frames};
use crate::proc::{ProcState, Process};
use crate::scenario::ast::INIT_NAME;
use crate::signal::SigState;
use crate::table::{NameTable, Table};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The simulated machine.
#[derive(Clone, Debug)]
pub struct World {
    /// Behind `Arc`s so that a step that changes one process copies only
    /// that process, not the map node (16 entries) that holds it; equal
    /// only when the same allocation, so that the diff of two worlds'
    /// tables visits only the processes a step changed. (Every table is
    /// one `imbl::OrdMap` type underneath: `table`.)
    procs: Table<Pid, Arc<Process>>,
    /// Scenario name -> pid, for every process ever created.
    names: NameTable<Pid>,
    /// Thread name -> its process, its tid and the line that made it, for
    /// every thread ever made (`thread NAME`).
    threads: NameTable<(Pid, Pid, u32)>,
    pub(crate) frames: Frames,
    next_pid: u32,
    pipes: Table<PipeId, Pipe>,
    socks: Table<SockPairId, SocketPair>,
    /// Pipe and socketpair names -> the object, for every one ever created.
    objects: NameTable<(Object, u32)>,
    /// The other way: each object's name (by its id: pipes and
    /// socketpairs are numbered from one counter), so that an end is named
    /// without a walk over every object.
    object_names: Table<PipeId, Arc<str>>,
    next_object: u32,
    /// The next `tick`.
    next_tick: u64,
    /// Which processes the end of a step must look at (`Attention`).
    attention: Attention,
    /// The Node layer: node processes, child objects, their events, the
    /// channels' bytes (`node::state`).
    pub(crate) node: crate::node::state::NodeState,
}

/// A named IPC object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Object {
    Pipe(PipeId),
    Socks(SockPairId),
}

impl Object {
    /// Its number, unique among pipes and socketpairs (one counter).
    fn number(self) -> PipeId {
        match self {
            Object::Pipe(id) => id,
            Object::Socks(SockPairId(n)) => PipeId(n),
        }
    }
}

impl Default for World {
    fn default() -> Self {
        World::new()
    }
}

impl World {
    /// A machine with only init (pid 1) running.
    pub(crate) fn new() -> World {
        let init = Process {
            pid: Pid::INIT,
            name: Arc::from(INIT_NAME),
            parent: Pid(0),
            state: ProcState::Running,
            program: Arc::from("/sbin/init"),
            mm: AddressSpace::default(),
            fds: FdTable::new(),
            signals: SigState::new(),
            born_line: 0,
            faults: 0,
            last_op: None,
            last_reaped: None,
            threads: Vec::new(),
            subreaper: false,
        };
        let mut procs = Table::default();
        procs.insert(Pid::INIT, Arc::new(init));
        World {
            procs,
            names: NameTable::default(),
            threads: NameTable::default(),
            frames: Frames::default(),
            next_pid: 2,
            pipes: Table::default(),
            socks: Table::default(),
            objects: NameTable::default(),
            object_names: Table::default(),
            next_object: 1,
            next_tick: 1,
            attention: Attention::default(),
            node: crate::node::state::NodeState::default(),
        }
    }

    /// The Node layer's state: node processes, child objects and their
    /// events, the channels' unread bytes.
    pub fn node(&self) -> &crate::node::state::NodeState {
        &self.node
    }

    /// Create a process named `name` with `parent`, running the scenario's
    /// program with an empty address space. The caller fills it in.
    pub(crate) fn spawn(
        &mut self,
        name: &str,
        parent: Pid,
        mm: AddressSpace,
        fds: FdTable,
        signals: SigState,
        born_line: u32,
    ) -> Pid {
        let pid = Pid(self.next_pid);
        self.next_pid += 1;
        let name: Arc<str> = Arc::from(name);
        self.names.insert(name.clone(), pid);
        self.attention.touch(pid);
        self.procs.insert(
            pid,
            Arc::new(Process {
                pid,
                name,
                parent,
                state: ProcState::Running,
                program: Arc::from("scenario"),
                mm,
                fds,
                signals,
                born_line,
                faults: 0,
                last_op: None,
                last_reaped: None,
                threads: Vec::new(),
                subreaper: false,
            }),
        );
        pid
    }

    /// A thread id for a new thread of `pid` named `name`: the next pid
    /// number (threads and processes share the pid space, alloc_pid).
    pub(crate) fn new_thread(&mut self, pid: Pid, name: &str, line: u32) -> Pid {
        let tid = Pid(self.next_pid);
        self.next_pid += 1;
        let name: Arc<str> = Arc::from(name);
        self.threads.insert(name.clone(), (pid, tid, line));
        self.proc_mut(pid)
            .threads
            .push(crate::proc::Thread { tid, name });
        tid
    }

    /// The process and thread id of the thread a scenario named `name`
    /// (made by `thread NAME`), alive or not.
    pub fn thread_of(&self, name: &str) -> Option<(Pid, Pid)> {
        self.threads.get(name).map(|&(pid, tid, _)| (pid, tid))
    }

    /// Every thread name with its tid, in name order.
    pub fn thread_names(&self) -> impl Iterator<Item = (&str, Pid)> {
        self.threads.iter().map(|(n, &(_, tid, _))| (&**n, tid))
    }

    /// The line of the statement that made the thread `name`.
    pub(crate) fn thread_line(&self, name: &str) -> Option<u32> {
        self.threads.get(name).map(|&(_, _, line)| line)
    }

    /// A number larger than every one given before: when a sleeper joined
    /// its wait queue (`BlockedCall::queued`).
    pub(crate) fn tick(&mut self) -> u64 {
        let tick = self.next_tick;
        self.next_tick += 1;
        tick
    }

    /// Create a pipe named `name` (both ends unreferenced).
    pub(crate) fn new_pipe(&mut self, name: &str, pipe: Pipe, line: u32) -> PipeId {
        let id = PipeId(self.next_object);
        self.next_object += 1;
        self.pipes.insert(id, pipe);
        self.name_object(name, Object::Pipe(id), line);
        id
    }

    /// Create a socketpair named `name`.
    pub(crate) fn new_socks(&mut self, name: &str, pair: SocketPair, line: u32) -> SockPairId {
        let id = SockPairId(self.next_object);
        self.next_object += 1;
        self.socks.insert(id, pair);
        self.name_object(name, Object::Socks(id), line);
        id
    }

    /// Record that the statement on `line` named `object` `name`.
    fn name_object(&mut self, name: &str, object: Object, line: u32) {
        let name: Arc<str> = Arc::from(name);
        self.objects.insert(name.clone(), (object, line));
        self.object_names.insert(object.number(), name);
    }

    /// The pipe or socketpair a scenario named `name`, if one was made.
    pub fn object(&self, name: &str) -> Option<Object> {
        self.objects.get(name).map(|(o, _)| *o)
    }

    /// The line of the statement that created the object `name`.
    pub fn object_line(&self, name: &str) -> u32 {
        self.objects.get(name).map_or(0, |(_, line)| *line)
    }

    /// Every pipe and socketpair name, in name order.
    pub fn object_names(&self) -> impl Iterator<Item = &str> {
        self.objects.keys().map(|k| &**k)
    }

    /// The pipe `id` (a handle the world gave out).
    pub fn pipe(&self, id: PipeId) -> &Pipe {
        self.pipes
            .get(&id)
            .expect("a pipe id handed out by the world names a pipe")
    }

    pub(crate) fn pipe_mut(&mut self, id: PipeId) -> &mut Pipe {
        self.pipes
            .get_mut(&id)
            .expect("a pipe id handed out by the world names a pipe")
    }

    /// The socketpair `id` (a handle the world gave out).
    pub fn socks(&self, id: SockPairId) -> &SocketPair {
        self.socks
            .get(&id)
            .expect("a socketpair id handed out by the world names one")
    }

    pub(crate) fn socks_mut(&mut self, id: SockPairId) -> &mut SocketPair {
        self.socks
            .get_mut(&id)
            .expect("a socketpair id handed out by the world names one")
    }

    /// The name of an end as a scenario writes it (`p.r`, `s.0`).
    pub fn end_name(&self, end: EndRef) -> String {
        let object = match end {
            EndRef::Pipe(id, _) => Object::Pipe(id),
            EndRef::Sock(id, _) => Object::Socks(id),
        };
        let name = self
            .object_names
            .get(&object.number())
            .map_or("?", |n| &**n);
        EndName::new(name, end.which()).to_string()
    }

    /// Bytes waiting to be read at `end` (FIONREAD).
    pub fn queued(&self, end: EndRef) -> u64 {
        match end {
            EndRef::Pipe(id, _) => self.pipe(id).queued(),
            EndRef::Sock(id, side) => self.socks(id).inq(side),
        }
    }

    /// Add a reference (an fd) to `end`.
    pub(crate) fn retain(&mut self, end: EndRef) {
        match end {
            EndRef::Pipe(id, e) => self.pipe_mut(id).retain(e),
            EndRef::Sock(id, side) => self.socks_mut(id).retain(side),
        }
    }

    /// Drop a reference (an fd) to `end`.
    pub(crate) fn release(&mut self, end: EndRef) {
        match end {
            EndRef::Pipe(id, e) => self.pipe_mut(id).release(e),
            EndRef::Sock(id, side) => self.socks_mut(id).release(side),
        }
    }

    /// Every end of every object, with its scenario name.
    pub fn ends(&self) -> Vec<(String, EndRef)> {
        let mut out = Vec::new();
        for (name, (object, _)) in self.objects.iter() {
            let ends = match *object {
                Object::Pipe(id) => {
                    [PipeEnd::Read, PipeEnd::Write].map(|end| EndRef::Pipe(id, end))
                }
                Object::Socks(id) => [Side::Zero, Side::One].map(|side| EndRef::Sock(id, side)),
            };
            for end in ends {
                out.push((EndName::new(&**name, end.which()).to_string(), end));
            }
        }
        out
    }

    /// The pid of the process a scenario named `name`, if it was created.
    pub fn pid_of(&self, name: &str) -> Option<Pid> {
        if name == INIT_NAME {
            return Some(Pid::INIT);
        }
        self.names.get(name).copied()
    }

    /// The process `pid` (a handle the world gave out, alive or a zombie or reaped).
    pub fn proc(&self, pid: Pid) -> &Process {
        self.procs
            .get(&pid)
            .expect("a pid handed out by the world names a process")
    }

    pub(crate) fn proc_mut(&mut self, pid: Pid) -> &mut Process {
        self.attention.touch(pid);
        Arc::make_mut(
            self.procs
                .get_mut(&pid)
                .expect("a pid handed out by the world names a process"),
        )
    }

    /// The process and the frame table, both mutable (for faults).
    pub(crate) fn proc_and_frames(&mut self, pid: Pid) -> (&mut Process, &mut Frames) {
        self.attention.touch(pid);
        let proc = self
            .procs
            .get_mut(&pid)
            .expect("a pid handed out by the world names a process");
        (Arc::make_mut(proc), &mut self.frames)
    }

    /// The first process after `after` (pid order) that may have something
    /// to do when it takes its signals: asleep in a call, or with a signal
    /// it can take now or a handler frame to run. Any other process's
    /// `take_signals` would do nothing.
    pub(crate) fn wanted_after(&mut self, after: Pid) -> Option<Pid> {
        let procs = &self.procs;
        self.attention.refresh(|pid| {
            procs
                .get(&pid)
                .expect("a pid the index holds names a process")
        });
        self.attention.wanted_after(after)
    }

    /// The processes asleep in a call, in pid order.
    pub(crate) fn blocked_pids(&mut self) -> Vec<Pid> {
        let procs = &self.procs;
        self.attention.refresh(|pid| {
            procs
                .get(&pid)
                .expect("a pid the index holds names a process")
        });
        self.attention.blocked().collect()
    }

    /// The physical frames: each one's user (map) count, what it holds,
    /// and the shmem objects.
    pub fn frames(&self) -> &Frames {
        &self.frames
    }

    /// Every process, init first, in pid order.
    pub fn procs(&self) -> impl Iterator<Item = &Process> {
        self.procs.values().map(|p| &**p)
    }

    /// Every scenario name ever given, in name order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.names.keys().map(|k| &**k)
    }

    /// Children of `pid`, oldest first: the order `wait` scans them. (Only
    /// init adopts children in the model, and init reaps at once, so pid
    /// order is the kernel's list order.)
    pub fn children(&self, pid: Pid) -> Vec<Pid> {
        self.attention.children_of(pid, |child| self.proc(child))
    }

    /// The scenario name of the process `pid`.
    pub fn name_of(&self, pid: Pid) -> &str {
        &self.proc(pid).name
    }

    /// Check the attention invariant: the index of processes the end of a
    /// step must look at names exactly those asleep in a call or with a
    /// signal or handler frame to take (init aside), its list of sleepers
    /// exactly those asleep, in pid order, and its children of each
    /// process exactly those not reaped, before and after a refresh. Works
    /// on a clone (the index is brought up to date lazily). Returns the
    /// first disagreement.
    pub fn check_attention(&self) -> Result<(), String> {
        let mut world = self.clone();
        let expected: Vec<Pid> = self
            .procs()
            .filter(|p| match p.state {
                ProcState::Blocked(_) => true,
                ProcState::Running => {
                    p.signals.next_deliverable().is_some() || p.signals.frames().next().is_some()
                }
                _ => false,
            })
            .map(|p| p.pid)
            .collect();
        let mut wanted = Vec::new();
        let mut cursor = Pid::INIT;
        while let Some(pid) = world.wanted_after(cursor) {
            wanted.push(pid);
            cursor = pid;
        }
        if wanted != expected {
            return Err(format!(
                "the index names {wanted:?} as having something to do, the processes say {expected:?}"
            ));
        }
        let blocked: Vec<Pid> = self
            .procs()
            .filter(|p| matches!(p.state, ProcState::Blocked(_)))
            .map(|p| p.pid)
            .collect();
        let indexed = world.blocked_pids();
        if indexed != blocked {
            return Err(format!(
                "the index names {indexed:?} as asleep in a call, the processes say {blocked:?}"
            ));
        }
        for parent in self.procs().map(|p| p.pid) {
            let scanned: Vec<Pid> = self
                .procs()
                .filter(|p| p.parent == parent && !matches!(p.state, ProcState::Gone { .. }))
                .map(|p| p.pid)
                .collect();
            for (when, indexed) in [
                ("before a refresh", self.children(parent)),
                ("after a refresh", {
                    world.blocked_pids();
                    world.children(parent)
                }),
            ] {
                if indexed != scanned {
                    return Err(format!(
                        "{when}, the index names {indexed:?} as the children of {parent}, the processes say {scanned:?}"
                    ));
                }
            }
        }
        Ok(())
    }

    /// Check the frame invariant: every frame's map count equals the number
    /// of page-table entries that map it. Returns the first disagreement.
    pub fn check_frame_counts(&self) -> Result<(), String> {
        let mut counted: BTreeMap<FrameId, u32> = BTreeMap::new();
        for proc in self.procs() {
            for region in &proc.mm.regions {
                region.ptes.for_each_leaf(|_, ptes| {
                    for frame in ptes
                        .iter()
                        .filter_map(|p| p.frame())
                        .filter(|f| *f != FrameId::ZERO)
                    {
                        *counted.entry(frame).or_default() += 1;
                    }
                });
            }
        }
        for id in 1..self.frames.allocated() {
            let frame = FrameId(id);
            let expected = counted.get(&frame).copied().unwrap_or(0);
            if self.frames.mapcount(frame) != expected {
                return Err(format!(
                    "{frame} has map count {} but {expected} page-table entries map it",
                    self.frames.mapcount(frame)
                ));
            }
            if expected > 0 && !self.frames.is_live(frame) {
                return Err(format!("{frame} is mapped but free"));
            }
        }
        Ok(())
    }
}
