//! The whole simulated machine as one value (turmoil's `World`): processes,
//! frames, pipes and socketpairs. Cloning a `World` is
//! cheap, every table sharing structure with the clone, and that is how the
//! step engine keeps every earlier state.

use crate::attention::Attention;
use crate::changes::{self, Changes, FrameUsers, Head, ProcChange, Runs};
use crate::ids::{FrameId, Pid};
use crate::ids::{PipeId, SockPairId};
use crate::ipc::end_name::EndName;
use crate::ipc::fd::{EndRef, FdTable};
use crate::ipc::pipe::{Pipe, PipeEnd};
use crate::ipc::socket::{Side, SocketPair};
use crate::mm::{AddressSpace, Frames, PteView};
use crate::observe::{FdObs, LastOpObs, Observation, PageObs, ProcObs};
use crate::proc::{ProcState, Process};
use crate::scenario::ast::INIT_NAME;
use crate::signal::SigState;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The simulated machine.
#[derive(Clone, Debug)]
pub struct World {
    /// Behind `Arc`s so that a step that changes one process copies only
    /// that process, not the map node (16 entries) that holds it.
    procs: imbl::OrdMap<Pid, Shared>,
    /// Scenario name -> pid, for every process ever created.
    names: imbl::OrdMap<Arc<str>, Pid>,
    pub(crate) frames: Frames,
    next_pid: u32,
    pipes: imbl::OrdMap<PipeId, Pipe>,
    socks: imbl::OrdMap<SockPairId, SocketPair>,
    /// Pipe and socketpair names -> the object, for every one ever created.
    objects: imbl::OrdMap<Arc<str>, (Object, u32)>,
    /// The other way: each object's name, so that an end is named without
    /// a walk over every object.
    object_names: imbl::OrdMap<Object, Arc<str>>,
    next_object: u32,
    /// The next `tick`.
    next_tick: u64,
    /// Which processes the end of a step must look at (`Attention`).
    attention: Attention,
}

/// A process behind an `Arc`, equal to another only when it is the same
/// allocation: two worlds share every process a step did not touch, so
/// `imbl`'s diff of the two tables visits only what the step changed.
#[derive(Clone, Debug)]
struct Shared(Arc<Process>);

impl PartialEq for Shared {
    fn eq(&self, other: &Shared) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// The keys of `after` whose entry is new or differs from `before`'s (no
/// entry is ever removed from a world's tables), skipping the subtrees
/// the two maps share.
fn written<'a, K: Ord + Copy, V: PartialEq>(
    before: &'a imbl::OrdMap<K, V>,
    after: &'a imbl::OrdMap<K, V>,
) -> impl Iterator<Item = K> + 'a {
    before.diff(after).filter_map(|item| match item {
        imbl::ordmap::DiffItem::Add(key, _)
        | imbl::ordmap::DiffItem::Update { new: (key, _), .. } => Some(*key),
        imbl::ordmap::DiffItem::Remove(..) => None,
    })
}

/// Adds `item` to a sorted vector without duplicates, unless it is there.
/// The small sets a step's changes are worked out with are such vectors,
/// searched by halves, rather than a BTreeSet type each: in the web build
/// each BTreeSet or BTreeMap type is its own copy of the B-tree code
/// (issue 9, the wasm's size). Fast when items come in order.
fn insert_sorted<T: Ord>(set: &mut Vec<T>, item: T) {
    if let Err(at) = set.binary_search(&item) {
        set.insert(at, item);
    }
}

/// Records that page `index` of the region `name` maps a flipped frame.
fn add_position(positions: &mut Vec<(Arc<str>, Vec<u32>)>, name: &Arc<str>, index: u32) {
    let at = match positions.iter().position(|(n, _)| n == name) {
        Some(at) => at,
        None => {
            positions.push((name.clone(), Vec::new()));
            positions.len() - 1
        }
    };
    insert_sorted(&mut positions[at].1, index);
}

/// A named IPC object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Object {
    Pipe(PipeId),
    Socks(SockPairId),
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
        };
        World {
            procs: imbl::OrdMap::unit(Pid::INIT, Shared(Arc::new(init))),
            names: imbl::OrdMap::new(),
            frames: Frames::default(),
            next_pid: 2,
            pipes: imbl::OrdMap::new(),
            socks: imbl::OrdMap::new(),
            objects: imbl::OrdMap::new(),
            object_names: imbl::OrdMap::new(),
            next_object: 1,
            next_tick: 1,
            attention: Attention::default(),
        }
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
            Shared(Arc::new(Process {
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
            })),
        );
        pid
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
        self.object_names.insert(object, name);
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
        let name = self.object_names.get(&object).map_or("?", |n| &**n);
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
        &self
            .procs
            .get(&pid)
            .expect("a pid handed out by the world names a process")
            .0
    }

    pub(crate) fn proc_mut(&mut self, pid: Pid) -> &mut Process {
        self.attention.touch(pid);
        Arc::make_mut(
            &mut self
                .procs
                .get_mut(&pid)
                .expect("a pid handed out by the world names a process")
                .0,
        )
    }

    /// The process and the frame table, both mutable (for faults).
    pub(crate) fn proc_and_frames(&mut self, pid: Pid) -> (&mut Process, &mut Frames) {
        self.attention.touch(pid);
        let proc = self
            .procs
            .get_mut(&pid)
            .expect("a pid handed out by the world names a process");
        (Arc::make_mut(&mut proc.0), &mut self.frames)
    }

    /// The first process after `after` (pid order) that may have something
    /// to do when it takes its signals: asleep in a call, or with a signal
    /// it can take now or a handler frame to run. Any other process's
    /// `take_signals` would do nothing.
    pub(crate) fn wanted_after(&mut self, after: Pid) -> Option<Pid> {
        let procs = &self.procs;
        self.attention.refresh(|pid| &procs[&pid].0);
        self.attention.wanted_after(after)
    }

    /// The processes asleep in a call, in pid order.
    pub(crate) fn blocked_pids(&mut self) -> Vec<Pid> {
        let procs = &self.procs;
        self.attention.refresh(|pid| &procs[&pid].0);
        self.attention.blocked().collect()
    }

    /// The physical frames: each one's user (map) count, what it holds,
    /// and the shmem objects.
    pub fn frames(&self) -> &Frames {
        &self.frames
    }

    /// Every process, init first, in pid order.
    pub fn procs(&self) -> impl Iterator<Item = &Process> {
        self.procs.values().map(|p| &*p.0)
    }

    /// Every scenario name ever given, in name order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.names.keys().map(|k| &**k)
    }

    /// Children of `pid`, oldest first: the order `wait` scans them. (Only
    /// init adopts children in the model, and init reaps at once, so pid
    /// order is the kernel's list order.)
    pub fn children(&self, pid: Pid) -> Vec<Pid> {
        self.attention
            .children_of(pid, |child| &self.procs[&child].0)
    }

    /// The scenario name of the process `pid`.
    pub fn name_of(&self, pid: Pid) -> &str {
        &self.proc(pid).name
    }

    /// A process as an observation reports it; its fds only `with_fds`
    /// (the changes of a step diff the fd tables themselves, so that a
    /// process holding a thousand fds does not name them all each step).
    fn observe_proc(
        &self,
        proc: &Process,
        pages: impl Fn(&str) -> Option<u32>,
        with_fds: bool,
    ) -> ProcObs {
        // Maps in this file are filled by `extend` (insert one by one)
        // rather than `collect` (sort, then build): the same map, without
        // one sort per key type in the web build.
        let mut regions = BTreeMap::new();
        regions.extend(proc.mm.regions.iter().filter_map(|region| {
            let n = pages(&region.name)?.min(region.pages());
            let obs = (0..n).map(|i| self.observe_page(region.view(i))).collect();
            Some((region.name.to_string(), obs))
        }));
        ProcObs {
            state: proc.state.name(),
            parent: self.name_of(proc.parent).to_string(),
            regions,
            last_op: proc.last_op.as_ref().map(|l| LastOpObs {
                step: l.step,
                faults: l.faults,
                result: l.result,
            }),
            handled: proc.signals.handled_counts().clone(),
            last_reaped: proc.last_reaped,
            fds: if with_fds {
                self.observe_fds(proc)
            } else {
                BTreeMap::new()
            },
        }
    }

    /// The fds `proc` holds, by the name of their end.
    fn observe_fds(&self, proc: &Process) -> BTreeMap<String, FdObs> {
        let mut fds = BTreeMap::new();
        fds.extend(
            proc.fds
                .iter_with_flags()
                .map(|(fd, end, cloexec)| (self.end_name(end), FdObs { fd: fd.0, cloexec })),
        );
        fds
    }

    /// The ends whose fd differs from the table `old` (an earlier one of
    /// the same process) to `now`, as `changes::fd_changes` finds them from
    /// two observations, from one walk of the two tables in fd order. An
    /// fd that went names its end (None) and one that came or changed its
    /// flag names its own: a process holds at most one fd per end, and
    /// never one for an end again once it closed it (the language has no
    /// dup and no fd passing), so an end that went is held nowhere else.
    fn fd_changes(&self, old: Option<&FdTable>, now: &FdTable) -> BTreeMap<String, Option<FdObs>> {
        let mut changed = BTreeMap::new();
        let mut was = old.into_iter().flat_map(|t| t.iter_with_flags()).peekable();
        for (fd, end, cloexec) in now.iter_with_flags() {
            while let Some((_, e, _)) = was.next_if(|(f, ..)| *f < fd) {
                changed.insert(self.end_name(e), None);
            }
            if let Some((_, e, c)) = was.next_if(|(f, ..)| *f == fd) {
                if e == end && c == cloexec {
                    continue;
                }
                if e != end {
                    changed.insert(self.end_name(e), None);
                }
            }
            changed.insert(self.end_name(end), Some(FdObs { fd: fd.0, cloexec }));
        }
        for (_, e, _) in was {
            changed.insert(self.end_name(e), None);
        }
        changed
    }

    /// A page-table entry as an observation shows it.
    pub fn observe_page(&self, pte: PteView) -> PageObs {
        match pte {
            PteView::Absent => PageObs::Absent,
            PteView::Mapped { frame, .. } if frame == FrameId::ZERO => PageObs::Zero,
            PteView::Mapped { frame, .. } => PageObs::Frame {
                frame: u64::from(frame.0),
                users: self.frames.mapcount(frame),
            },
        }
    }

    /// Everything a scenario can name, as `forkscope check` compares it.
    pub fn observe(&self) -> Observation {
        self.observe_scoped(|_| true, |_, _| Some(u32::MAX))
    }

    /// An observation of only the processes `want_proc` keeps, and of their
    /// regions only the first `pages(proc, region)` pages (None: leave the
    /// region out). Expects use this to look at a page without walking a
    /// 1 GiB page table.
    pub fn observe_scoped(
        &self,
        want_proc: impl Fn(&str) -> bool,
        pages: impl Fn(&str, &str) -> Option<u32>,
    ) -> Observation {
        let mut processes = BTreeMap::new();
        processes.extend(self.names.iter().filter(|(name, _)| want_proc(name)).map(
            |(name, pid)| {
                (
                    name.to_string(),
                    self.observe_proc(self.proc(*pid), |region| pages(name, region), true),
                )
            },
        ));
        let mut queued = BTreeMap::new();
        queued.extend(
            self.ends()
                .into_iter()
                .map(|(name, end)| (name, self.queued(end))),
        );
        Observation { processes, queued }
    }

    /// What changed from `before` (an earlier world of the same run) to
    /// this one, as `Changes::between` would find it from the two worlds'
    /// observations, but looking only at what the two do not share: the
    /// processes, page-table leaves, frame slots, pipes and socketpairs
    /// written in between. The one walk over every process is for frames
    /// that went from one user to several or back, to find the pages that
    /// map them (there is no reverse map), and only when there are some.
    pub fn changes_since(&self, before: &World) -> Changes {
        let mut frames = BTreeMap::new();
        self.frames
            .changed_counts(&before.frames, |frame, was, now| {
                if now > 0 {
                    frames.insert(u64::from(frame.0), FrameUsers { before: was, now });
                }
            });
        let reshared = self.reshared_pages(before, &frames);
        let mut pids: Vec<Pid> = Vec::new();
        for pid in written(&before.procs, &self.procs).chain(reshared.iter().map(|(p, _)| *p)) {
            insert_sorted(&mut pids, pid);
        }
        let mut processes = BTreeMap::new();
        for pid in pids.into_iter().filter(|&p| p != Pid::INIT) {
            let proc = self.proc(pid);
            let old = before.procs.get(&pid).map(|p| &*p.0);
            let names = reshared
                .binary_search_by_key(&pid, |(p, _)| *p)
                .ok()
                .map(|at| reshared[at].1.as_slice());
            if let Some(change) = self.proc_change(before, old, proc, names) {
                processes.insert(proc.name.to_string(), change);
            }
        }
        let mut objects: Vec<Object> = Vec::new();
        for object in written(&before.pipes, &self.pipes)
            .map(Object::Pipe)
            .chain(written(&before.socks, &self.socks).map(Object::Socks))
        {
            insert_sorted(&mut objects, object);
        }
        let mut queued = BTreeMap::new();
        for (name, end) in self.ends_of(&objects) {
            let now = self.queued(end);
            let known = match end {
                EndRef::Pipe(id, _) => before.pipes.contains_key(&id),
                EndRef::Sock(id, _) => before.socks.contains_key(&id),
            };
            if !known || before.queued(end) != now {
                queued.insert(name, now);
            }
        }
        Changes {
            processes,
            frames,
            queued,
        }
    }

    /// The ends of `objects`, with their names.
    fn ends_of(&self, objects: &[Object]) -> Vec<(String, EndRef)> {
        if objects.is_empty() {
            return Vec::new();
        }
        self.ends()
            .into_iter()
            .filter(|(_, end)| {
                let object = match *end {
                    EndRef::Pipe(id, _) => Object::Pipe(id),
                    EndRef::Sock(id, _) => Object::Socks(id),
                };
                objects.binary_search(&object).is_ok()
            })
            .collect()
    }

    /// Pid -> regions with a page that maps the same frame as in `before`
    /// while the frame went from one user to several or back, in pid order,
    /// each process's region names in name order.
    ///
    /// A frame's user count changes only when a page-table entry that maps
    /// it changes, in a process the step changed; and every entry that maps
    /// a frame is at the same region and page (frames are shared by fork,
    /// which copies regions by name and index). So the pages to look at are
    /// those positions, found by diffing the changed processes' page
    /// tables, and not every page of every process.
    fn reshared_pages(
        &self,
        before: &World,
        frames: &BTreeMap<u64, FrameUsers>,
    ) -> Vec<(Pid, Vec<Arc<str>>)> {
        let mut flipped: Vec<FrameId> = Vec::new();
        for (&frame, users) in frames {
            if users.reshared() {
                insert_sorted(&mut flipped, FrameId(frame as u32));
            }
        }
        let mut found: Vec<(Pid, Vec<Arc<str>>)> = Vec::new();
        if flipped.is_empty() {
            return found;
        }
        let is_flipped = |pte: crate::mm::space::Pte| {
            pte.frame()
                .is_some_and(|f| flipped.binary_search(&f).is_ok())
        };
        // Where the flipped frames are mapped: region name -> page indexes.
        let mut positions: Vec<(Arc<str>, Vec<u32>)> = Vec::new();
        for pid in written(&before.procs, &self.procs) {
            let now = &self.proc(pid).mm;
            let old = before.procs.get(&pid).map(|p| &p.0.mm);
            let names = now
                .regions
                .iter()
                .chain(old.into_iter().flat_map(|o| o.regions.iter()))
                .map(|r| &r.name);
            for name in names {
                let (a, b) = (old.and_then(|o| o.region(name)), now.region(name));
                let mut at = |region: &crate::mm::Region, i: u32| {
                    if i < region.pages() && is_flipped(region.ptes.get(i)) {
                        add_position(&mut positions, name, i);
                    }
                };
                match (a, b) {
                    (Some(a), Some(b)) => a.ptes.diff(&b.ptes, |i| {
                        at(a, i);
                        at(b, i);
                    }),
                    (Some(only), None) | (None, Some(only)) => {
                        only.ptes.for_each_leaf(|base, ptes| {
                            for (i, pte) in ptes.iter().enumerate() {
                                if is_flipped(*pte) {
                                    add_position(&mut positions, name, base + i as u32);
                                }
                            }
                        })
                    }
                    (None, None) => {}
                }
            }
        }
        for proc in self.procs() {
            let Some(old) = before.procs.get(&proc.pid) else {
                continue;
            };
            for (name, pages) in &positions {
                let (Some(region), Some(old_region)) =
                    (proc.mm.region(name), old.0.mm.region(name))
                else {
                    continue;
                };
                let hit = pages.iter().any(|&index| {
                    index < region.pages()
                        && index < old_region.pages()
                        && is_flipped(region.ptes.get(index))
                        && old_region.ptes.get(index).frame() == region.ptes.get(index).frame()
                });
                if hit {
                    // `procs` goes in pid order: this process's entry, if
                    // any, is the last.
                    match found.last_mut() {
                        Some((pid, names)) if *pid == proc.pid => {
                            insert_sorted(names, region.name.clone())
                        }
                        _ => found.push((proc.pid, vec![region.name.clone()])),
                    }
                }
            }
        }
        found
    }

    /// The change of one process from `old` (in `before`) to `proc`.
    fn proc_change(
        &self,
        before: &World,
        old: Option<&Process>,
        proc: &Process,
        reshared: Option<&[Arc<str>]>,
    ) -> Option<ProcChange> {
        let mut regions: Vec<_> = proc.mm.regions.iter().collect();
        // Region names are unique: unstable sorting gives the same order.
        regions.sort_unstable_by(|a, b| a.name.cmp(&b.name));
        let mut runs = Runs::default();
        for region in regions {
            let page = |i: u32| self.observe_page(region.view(i));
            match old.and_then(|o| o.mm.region(&region.name)) {
                Some(was) if was.pages() == region.pages() => {
                    was.ptes.diff(&region.ptes, |i| {
                        if was.ptes.get(i).frame() != region.ptes.get(i).frame() {
                            runs.push(&region.name, i, page(i));
                        }
                    });
                }
                was => {
                    for i in 0..region.pages() {
                        let old_frame =
                            was.filter(|w| i < w.pages()).map(|w| w.ptes.get(i).frame());
                        if old_frame != Some(region.ptes.get(i).frame()) {
                            runs.push(&region.name, i, page(i));
                        }
                    }
                }
            }
        }
        let mut unmapped: Vec<String> = old
            .map(|o| {
                o.mm.regions
                    .iter()
                    .filter(|r| proc.mm.region(&r.name).is_none())
                    .map(|r| r.name.to_string())
                    .collect()
            })
            .unwrap_or_default();
        unmapped.sort_unstable();
        let reshared = reshared
            .map(|set| set.iter().map(|r| r.to_string()).collect())
            .unwrap_or_default();
        // The small fields, as an observation shows them (no pages, no fds).
        let now = self.observe_proc(proc, |_| None, false);
        let was = old.map(|o| before.observe_proc(o, |_| None, false));
        let fds = match old {
            Some(o) if o.fds == proc.fds => BTreeMap::new(),
            _ => self.fd_changes(old.map(|o| &o.fds), &proc.fds),
        };
        changes::proc_change(
            was.as_ref().map(Head::of).as_ref(),
            &Head::of(&now),
            fds,
            runs.finish(),
            reshared,
            unmapped,
        )
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
