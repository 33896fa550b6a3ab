//! What can be seen of the machine: a world's `Observation` (what an
//! expect judges and `forkscope check` compares), and the `Changes` of a
//! step found from two worlds by looking only at what they do not share
//! (the processes, page-table leaves, frame slots, pipes and socketpairs
//! written in between, and of a process's fd table only the fds that
//! changed), so that a step costs what it changed.

use super::{Object, World};
use crate::changes::{self, Changes, FrameUsers, Head, ProcChange, Runs};
use crate::ids::{FrameId, Pid};
use crate::ipc::fd::{EndRef, FdTable};
use crate::mm::PteView;
use crate::observe::{FdObs, LastOpObs, Observation, PageObs, ProcObs};
use crate::proc::Process;
use std::collections::BTreeMap;
use std::sync::Arc;

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

impl World {
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
            // Exec and death clear its other threads (de_thread, exit).
            threads: 1 + proc.threads.len() as u32,
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
        for pid in self
            .procs
            .written_since(&before.procs)
            .chain(reshared.iter().map(|(p, _)| *p))
        {
            insert_sorted(&mut pids, pid);
        }
        let mut processes = BTreeMap::new();
        for pid in pids.into_iter().filter(|&p| p != Pid::INIT) {
            let proc = self.proc(pid);
            let old = before.procs.get(&pid).map(|p| &**p);
            let names = reshared
                .binary_search_by_key(&pid, |(p, _)| *p)
                .ok()
                .map(|at| reshared[at].1.as_slice());
            if let Some(change) = self.proc_change(before, old, proc, names) {
                processes.insert(proc.name.to_string(), change);
            }
        }
        let mut objects: Vec<Object> = Vec::new();
        for object in self
            .pipes
            .written_since(&before.pipes)
            .map(Object::Pipe)
            .chain(self.socks.written_since(&before.socks).map(Object::Socks))
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
        for pid in self.procs.written_since(&before.procs) {
            let now = &self.proc(pid).mm;
            let old = before.procs.get(&pid).map(|p| &p.mm);
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
                let (Some(region), Some(old_region)) = (proc.mm.region(name), old.mm.region(name))
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
        crate::sort::sort_by(&mut regions, |a, b| a.name.cmp(&b.name));
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
        crate::sort::sort(&mut unmapped);
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
}
