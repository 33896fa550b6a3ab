//! What the Memory view draws, worked out without a browser: each process's
//! pages grouped into runs (one cell for `heap[0..8]` when its pages map
//! consecutive frames alike), the frames those runs map grouped into
//! segments the same way, the lines between them, and what the step
//! changed. Drawing is left to `memory.rs`; this module only decides rows.
//!
//! Cost: a region is read through `Region::for_each_mapped`, which skips
//! page-table parts never touched; frames are found from the pages that map
//! them (never by walking every frame ever allocated); what changed comes
//! from the step's `Changes`. Rows are capped, and what is left out is
//! counted ("and 40 more processes").

use sim_core::changes::{Changes, FrameUsers};
use sim_core::ids::FrameId;
use sim_core::mm::{Backing, FrameUse, PteView, Region};
use sim_core::proc::{ProcState, Process};
use sim_core::words::{agree, count};
use sim_core::world::World;
use std::collections::BTreeMap;

/// How much the view draws before it counts instead.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Page runs drawn per region.
    pub cells_per_region: usize,
    /// Rows on the processes' side.
    pub rows: usize,
    /// Rows on the frames' side.
    pub frame_rows: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            cells_per_region: 8,
            rows: 40,
            frame_rows: 40,
        }
    }
}

/// What a run of pages maps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Maps {
    /// Nothing yet: the next access faults.
    Absent,
    /// The shared zero page, read-only.
    Zero,
    /// Frames `first`, `first + 1`, ... each with `users` mappings.
    Frames {
        first: u32,
        users: u32,
        writable: bool,
    },
}

/// A run of pages `from..to` of one region, mapping alike.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cell {
    pub region: String,
    pub from: u32,
    pub to: u32,
    pub maps: Maps,
    /// A shared mapping (MAP_SHARED): its frames belong to a shmem object.
    pub shared_mapping: bool,
    /// What it maps changed at this step, or one of its frames went from
    /// one user to several or back.
    pub changed: bool,
    /// Its row on the processes' side.
    pub row: usize,
}

impl Cell {
    /// `heap[2]` or `heap[0..8]`.
    pub fn label(&self) -> String {
        if self.to == self.from + 1 {
            format!("{}[{}]", self.region, self.from)
        } else {
            format!("{}[{}..{}]", self.region, self.from, self.to)
        }
    }

    pub fn pages(&self) -> u32 {
        self.to - self.from
    }
}

/// One process's block: its header beside its first row, then its cells.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcBlock {
    pub name: String,
    pub pid: u32,
    pub state: &'static str,
    /// Minor faults over its life.
    pub faults: u64,
    /// Faults of the operation it issued at this very step, if it did.
    pub faults_now: Option<u64>,
    /// It was born, or its state changed, at this step.
    pub changed: bool,
    /// Its first row and how many rows it spans (at least one).
    pub row: usize,
    pub rows: usize,
    pub cells: Vec<Cell>,
    /// Rows saying what was left out or why there is nothing to draw:
    /// (row, text).
    pub notes: Vec<(usize, String)>,
    /// Its threads besides the first (Workers), by name: one address
    /// space, these page tables, for all of them.
    pub threads: Vec<String>,
}

/// Frames `first..first + count`, alike (same users, all new or not).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameSeg {
    pub first: u32,
    pub count: u32,
    /// Mappings of each frame (0 for a freed frame).
    pub users: u32,
    /// A shmem object's page.
    pub shm: bool,
    /// Allocated at this step.
    pub new: bool,
    /// The user count before this step, when it changed (and was not 0).
    pub users_before: Option<u32>,
    /// It went from one user to several or back at this step
    /// (`FrameUsers::reshared`): highlighted, unlike a count that went
    /// from 64 to 63.
    pub reshared: bool,
    /// Freed at this step: drawn fading, with no line.
    pub freed: bool,
    pub row: usize,
}

impl FrameSeg {
    /// `F3` or `F4–F8`.
    pub fn label(&self) -> String {
        if self.count == 1 {
            format!("F{}", self.first)
        } else {
            format!("F{}–F{}", self.first, self.first + self.count - 1)
        }
    }
}

/// A line from a cell to the frames it maps (a span of frame rows).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    /// Index of the process in `Layout::procs`, and of the cell in it.
    pub proc: usize,
    pub cell: usize,
    /// The frame rows it reaches, first and last (inclusive). The zero
    /// page is row 0 when drawn.
    pub to_first: usize,
    pub to_last: usize,
    pub changed: bool,
    pub zero: bool,
    pub shared: bool,
}

/// Everything the Memory view draws for one step.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Layout {
    pub procs: Vec<ProcBlock>,
    /// Rows used on the processes' side (note rows included).
    pub rows: usize,
    /// Processes not drawn for want of room (past the cap, the ones the
    /// step changed are still drawn).
    pub procs_left_out: usize,
    /// Whether the zero page row (row 0 on the frames' side) is drawn.
    pub zero_page: bool,
    pub frames: Vec<FrameSeg>,
    /// Frame segments not drawn, and how many frames they hold: drawn as
    /// one last row (`frame_rows - 1`) that the lines to them reach.
    pub frames_left_out: (usize, u64),
    pub frame_rows: usize,
    pub links: Vec<Link>,
    /// Frames in use (mapped by some page) and the step's new and freed.
    pub frames_in_use: u64,
    pub frames_new: u64,
    pub frames_freed: u64,
}

/// The runs of one region, in page order: absent gaps included.
pub fn region_runs(region: &Region, world: &World) -> Vec<(u32, u32, Maps)> {
    let mut runs: Vec<(u32, u32, Maps)> = Vec::new();
    let mut next = 0;
    let push = |runs: &mut Vec<(u32, u32, Maps)>, page: u32, maps: Maps| {
        if let Some(last) = runs.last_mut() {
            if last.1 == page && continues(last.2, last.1 - last.0, maps) {
                last.1 = page + 1;
                return;
            }
        }
        runs.push((page, page + 1, maps));
    };
    region.for_each_mapped(|page, view| {
        if page > next {
            runs.push((next, page, Maps::Absent));
        }
        let maps = match view {
            PteView::Absent => Maps::Absent,
            PteView::Mapped { frame, .. } if frame == FrameId::ZERO => Maps::Zero,
            PteView::Mapped { frame, writable } => Maps::Frames {
                first: frame.0,
                users: world.frames().mapcount(frame),
                writable,
            },
        };
        push(&mut runs, page, maps);
        next = page + 1;
    });
    if next < region.pages() {
        runs.push((next, region.pages(), Maps::Absent));
    }
    runs
}

/// Does a page mapping `next` continue a run of `len` pages starting `run`?
fn continues(run: Maps, len: u32, next: Maps) -> bool {
    match (run, next) {
        (
            Maps::Frames {
                first,
                users,
                writable,
            },
            Maps::Frames {
                first: f,
                users: u,
                writable: w,
            },
        ) => f == first + len && u == users && w == writable,
        (a, b) => a == b,
    }
}

fn state_word(state: &ProcState) -> &'static str {
    state.name().as_str()
}

/// Whether the process is worth a block at this step: alive, or dead with
/// memory released at this very step.
fn shown(p: &Process, changes: &Changes) -> bool {
    !p.is_init()
        && (!matches!(p.state, ProcState::Gone { .. }) || changes.processes.contains_key(&*p.name))
}

/// Consecutive keys of `map` for which `keep` holds, as `[start, end)` ranges.
fn key_ranges(
    map: &BTreeMap<u64, FrameUsers>,
    keep: impl Fn(FrameUsers) -> bool,
) -> Vec<(u64, u64)> {
    let mut out: Vec<(u64, u64)> = Vec::new();
    for (&f, &u) in map {
        if !keep(u) {
            continue;
        }
        match out.last_mut() {
            Some(last) if last.1 == f => last.1 = f + 1,
            _ => out.push((f, f + 1)),
        }
    }
    out
}

/// Frames that the pages this step changed or unmapped mapped before, and
/// that are free now.
/// Sorted, without repeats: a vector searched by halves rather than a
/// BTreeSet (each B-tree type is its own copy of the code in the wasm).
fn freed_frames(world: &World, before: Option<&World>, changes: &Changes) -> Vec<u32> {
    let mut freed = Vec::new();
    let Some(before) = before else { return freed };
    let mut consider = |frame: FrameId| {
        if frame != FrameId::ZERO
            && world.frames().owner(frame).is_none()
            && before.frames().is_live(frame)
        {
            freed.push(frame.0);
        }
    };
    for (name, change) in &changes.processes {
        let Some(pid) = before.pid_of(name) else {
            continue;
        };
        // A process new at this step has no earlier pages.
        if change.born {
            continue;
        }
        let old = before.proc(pid);
        for region in &change.unmapped {
            if let Some(r) = old.mm.region(region) {
                r.for_each_mapped(|_, v| {
                    if let PteView::Mapped { frame, .. } = v {
                        consider(frame)
                    }
                });
            }
        }
        for run in &change.pages {
            if let Some(r) = old.mm.region(&run.region) {
                for page in run.from..run.to.min(r.pages()) {
                    if let PteView::Mapped { frame, .. } = r.view(page) {
                        consider(frame)
                    }
                }
            }
        }
    }
    sorted_set(freed)
}

/// `items` sorted, without repeats.
fn sorted_set(mut items: Vec<u32>) -> Vec<u32> {
    sim_core::sort::sort(&mut items);
    items.dedup();
    items
}

/// Lay out the memory of `world` (after step `step`), `before` being the
/// world before it and `changes` what it changed (both None at step 0).
pub fn layout(
    world: &World,
    before: Option<&World>,
    changes: Option<&Changes>,
    step: u32,
    limits: Limits,
) -> Layout {
    let empty = Changes::default();
    let changes = changes.unwrap_or(&empty);
    let mut out = Layout::default();

    // Every run of every shown process (uncapped: the frames' side needs
    // them all), then the blocks that are drawn.
    struct Region0 {
        name: String,
        shared: bool,
        runs: Vec<(u32, u32, Maps)>,
    }
    let procs: Vec<(&Process, Vec<Region0>)> = world
        .procs()
        .filter(|p| shown(p, changes))
        .map(|p| {
            let regions =
                p.mm.regions
                    .iter()
                    .map(|r| Region0 {
                        name: r.name.to_string(),
                        shared: matches!(r.backing, Backing::Shared { .. }),
                        runs: region_runs(r, world),
                    })
                    .collect();
            (p, regions)
        })
        .collect();

    // The frames' side: cut the frames mapped into segments at every run's
    // ends and wherever the step's news (new frame, count changed) changes.
    let mut intervals: Vec<(u32, u32, u32)> = Vec::new(); // (first, end, users)
    for (_, regions) in &procs {
        for r in regions {
            for &(from, to, maps) in &r.runs {
                match maps {
                    Maps::Frames { first, users, .. } => {
                        intervals.push((first, first + (to - from), users))
                    }
                    Maps::Zero => out.zero_page = true,
                    Maps::Absent => {}
                }
            }
        }
    }
    let freed = freed_frames(world, before, changes);
    for &f in &freed {
        intervals.push((f, f + 1, 0));
    }
    let mut cuts: Vec<u32> = Vec::new();
    for &(a, b, _) in &intervals {
        cuts.push(a);
        cuts.push(b);
    }
    let new_ranges = key_ranges(&changes.frames, |u| u.before == 0);
    let moved_ranges = key_ranges(&changes.frames, |u| u.before != 0);
    let reshared_ranges = key_ranges(&changes.frames, FrameUsers::reshared);
    for &(a, b) in new_ranges.iter().chain(&moved_ranges) {
        cuts.push(a as u32);
        cuts.push(b as u32);
    }
    let cuts = sorted_set(cuts);
    sim_core::sort::sort(&mut intervals);
    let mut segs: Vec<FrameSeg> = Vec::new();
    let mut covered_to = 0u32;
    for &(a, b, users) in &intervals {
        let start = a.max(covered_to);
        if start >= b {
            continue;
        }
        for (lo, hi) in split(start, b, &cuts) {
            let change = changes.frames.get(&u64::from(lo)).copied();
            let is_freed = users == 0 && freed.binary_search(&lo).is_ok();
            segs.push(FrameSeg {
                first: lo,
                count: hi - lo,
                users,
                shm: world.frames().owner(FrameId(lo)) == Some(FrameUse::Shm),
                new: change.is_some_and(|c| c.before == 0),
                users_before: change.filter(|c| c.before != 0).map(|c| c.before),
                reshared: change.is_some_and(|c| c.reshared()),
                freed: is_freed,
                row: 0,
            });
        }
        covered_to = b;
    }
    out.frames_in_use = segs
        .iter()
        .filter(|s| !s.freed)
        .map(|s| u64::from(s.count))
        .sum();
    out.frames_new = segs
        .iter()
        .filter(|s| s.new)
        .map(|s| u64::from(s.count))
        .sum();
    out.frames_freed = freed.len() as u64;

    let first_frame_row = usize::from(out.zero_page);
    let frame_room = limits.frame_rows.saturating_sub(first_frame_row).max(2);
    if segs.len() > frame_room {
        // The first frames in number order, then (a few rows more) the
        // ones this step made, freed or flipped between one user and
        // several, so that the step's news is always drawn.
        let keep = frame_room - 1;
        let mut kept = Vec::with_capacity(keep);
        for s in std::mem::take(&mut segs) {
            let news = s.new || s.freed || s.reshared;
            if kept.len() < keep || (news && kept.len() < 2 * keep) {
                kept.push(s);
            } else {
                out.frames_left_out.0 += 1;
                if !s.freed {
                    out.frames_left_out.1 += u64::from(s.count);
                }
            }
        }
        segs = kept;
    }
    for (i, s) in segs.iter_mut().enumerate() {
        s.row = first_frame_row + i;
    }
    out.frame_rows = first_frame_row + segs.len() + usize::from(out.frames_left_out.0 > 0);
    let more_row = out.frame_rows.saturating_sub(1);
    // Which drawn row holds frame `f` (the "more" row past the last drawn).
    let row_of = |f: u32| -> usize {
        let i = segs.partition_point(|s| s.first + s.count <= f);
        match segs.get(i) {
            Some(s) if s.first <= f => s.row,
            _ => more_row,
        }
    };

    // The processes' side.
    let mut row = 0;
    for (p, regions) in &procs {
        let change = changes.processes.get(&*p.name);
        // Past the cap, only the processes this step changed are drawn (a
        // few more rows), so that what the step did is always in sight.
        if row >= limits.rows && (change.is_none() || row >= 2 * limits.rows) {
            out.procs_left_out += 1;
            continue;
        }
        let mut block = ProcBlock {
            name: p.name.to_string(),
            pid: p.pid.0,
            state: state_word(&p.state),
            faults: p.faults,
            faults_now: p
                .last_op
                .as_ref()
                .filter(|l| l.step == step && step > 0)
                .map(|l| l.faults),
            changed: change.is_some_and(|c| c.born || c.moved),
            row,
            rows: 0,
            cells: Vec::new(),
            notes: Vec::new(),
            threads: p.threads.iter().map(|t| t.name.to_string()).collect(),
        };
        if regions.is_empty() {
            let why = if p.state.is_dead() {
                "exited: its memory is released"
            } else {
                "no memory mapped"
            };
            block.notes.push((row, why.to_string()));
            row += 1;
        }
        for r in regions {
            let changed_runs: Vec<(u32, u32)> = change
                .map(|c| {
                    c.pages
                        .iter()
                        .filter(|pr| pr.region == r.name)
                        .map(|pr| (pr.from, pr.to))
                        .collect()
                })
                .unwrap_or_default();
            for (k, &(from, to, maps)) in r.runs.iter().enumerate() {
                if k == limits.cells_per_region {
                    let rest = &r.runs[k..];
                    let pages: u32 = rest.iter().map(|(a, b, _)| b - a).sum();
                    block.notes.push((
                        row,
                        format!(
                            "… {} more {} of {} ({})",
                            rest.len(),
                            agree(rest.len() as u64, "run", "runs"),
                            r.name,
                            count(pages, "page", "pages")
                        ),
                    ));
                    row += 1;
                    break;
                }
                let mut changed = changed_runs.iter().any(|&(a, b)| a < to && from < b);
                if let Maps::Frames { first, .. } = maps {
                    let end = first + (to - from);
                    changed |= reshared_ranges
                        .iter()
                        .any(|&(a, b)| a < u64::from(end) && u64::from(first) < b);
                }
                block.cells.push(Cell {
                    region: r.name.clone(),
                    from,
                    to,
                    maps,
                    shared_mapping: r.shared,
                    changed,
                    row,
                });
                row += 1;
            }
        }
        // Two rows at least: the header's name and its fault counts; three
        // with threads, whose two lines come under them.
        let least = if block.threads.is_empty() { 2 } else { 3 };
        row = row.max(block.row + least);
        block.rows = row - block.row;
        let index = out.procs.len();
        for (c, cell) in block.cells.iter().enumerate() {
            let (to_first, to_last, zero, shared) = match cell.maps {
                Maps::Absent => continue,
                Maps::Zero => (0, 0, true, false),
                Maps::Frames { first, users, .. } => (
                    row_of(first),
                    row_of(first + cell.pages() - 1),
                    false,
                    users > 1,
                ),
            };
            out.links.push(Link {
                proc: index,
                cell: c,
                to_first,
                to_last,
                changed: cell.changed,
                zero,
                shared,
            });
        }
        out.procs.push(block);
    }
    out.rows = row;
    out.frames = segs;
    out
}

/// `[a, b)` cut at every point of `cuts` strictly inside it.
fn split(a: u32, b: u32, cuts: &[u32]) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    let mut lo = a;
    let inside = cuts.partition_point(|&c| c <= a)..cuts.partition_point(|&c| c < b);
    for &c in &cuts[inside] {
        out.push((lo, c));
        lo = c;
    }
    out.push((lo, b));
    out
}

/// A sentence per drawn cell, for the visually hidden summary.
pub fn summary(layout: &Layout) -> Vec<String> {
    let mut out = Vec::new();
    for p in &layout.procs {
        let faults = match p.faults_now {
            Some(n) => format!(
                "{} this step, {} in all",
                count(n, "fault", "faults"),
                p.faults
            ),
            None => format!("{} in all", count(p.faults, "fault", "faults")),
        };
        out.push(format!(
            "{} (pid {}, {}): {}.",
            p.name, p.pid, p.state, faults
        ));
        for c in &p.cells {
            let what = match c.maps {
                Maps::Absent => "not mapped yet".to_string(),
                Maps::Zero => "the zero page, read-only".to_string(),
                Maps::Frames {
                    first,
                    users,
                    writable,
                } => {
                    let seg = layout
                        .frames
                        .iter()
                        .find(|s| s.first <= first && first < s.first + s.count);
                    let new = if seg.is_some_and(|s| s.new) {
                        "new, "
                    } else {
                        ""
                    };
                    let frames = if c.pages() == 1 {
                        format!("F{first}")
                    } else {
                        format!("F{}–F{}", first, first + c.pages() - 1)
                    };
                    let users = count(users, "user", "users");
                    let rw = if writable { "writable" } else { "read-only" };
                    format!("-> {frames} ({new}{users}, {rw})")
                }
            };
            let changed = if c.changed {
                " (changed at this step)"
            } else {
                ""
            };
            out.push(format!("{} {} {}{}.", p.name, c.label(), what, changed));
        }
        for (_, note) in &p.notes {
            out.push(format!("{}: {}.", p.name, note));
        }
    }
    if layout.procs_left_out > 0 {
        out.push(format!(
            "And {} more, not drawn.",
            count(layout.procs_left_out as u64, "process", "processes")
        ));
    }
    if layout.frames_freed > 0 {
        out.push(format!(
            "{} freed at this step.",
            count(layout.frames_freed, "frame", "frames")
        ));
    }
    out
}

#[cfg(test)]
#[path = "memory_layout_tests.rs"]
mod tests;
