//! The figures of one step, the model's beside the kernel's: for each thing
//! a learner can see that the step changed on either side (a process's
//! state, parent, last call's faults and return, handler runs, reaped
//! child, a run of pages, a queue), how each side shows it after the step.
//! Both sides are read the same way, from the observations before and
//! after the step (sim-core's `Observation`, the common ground of the model
//! and `forkscope check`), so a figure agrees exactly when the two sides
//! show the same thing.
//!
//! Frame numbers mean nothing across the two sides, so a page reads as
//! what a learner asks of it: absent, the zero page, its frame the same as
//! before the step, a new frame (one no page mapped before the step), or
//! another existing frame (a parent's, after fork); and its frame's users.

use sim_core::observe::{Observation, PageObs, ProcObs};
use sim_core::scenario::ast::OpResult;
use sim_core::words;
use std::collections::{BTreeMap, BTreeSet};

/// One figure, as each side shows it after the step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Figure {
    /// What it is: `child state`, `child heap[0..8]`, `p.r queued`.
    pub what: String,
    pub model: String,
    pub kernel: String,
}

impl Figure {
    /// Both sides show the same.
    pub fn agrees(&self) -> bool {
        self.model == self.kernel
    }
}

/// What a side shows for a thing it does not have.
pub const NONE: &str = "—";

/// One side of the comparison: its observations before and after the step.
#[derive(Clone, Copy)]
pub struct Side<'a> {
    pub before: &'a Observation,
    pub after: &'a Observation,
}

impl<'a> Side<'a> {
    fn procs(&self, name: &str) -> (Option<&'a ProcObs>, Option<&'a ProcObs>) {
        (
            self.before.processes.get(name),
            self.after.processes.get(name),
        )
    }
}

/// Every frame some page of `obs` maps.
///
/// The sets in this file are filled by `extend` (insert one by one) rather
/// than `collect` (sort, then build): the same set, without one stable sort
/// per element type in the wasm.
fn frames_of(obs: &Observation) -> BTreeSet<u64> {
    let mut frames = BTreeSet::new();
    frames.extend(
        obs.processes
            .values()
            .flat_map(|p| p.regions.values().flatten())
            .filter_map(|p| match p {
                PageObs::Frame { frame, .. } => Some(*frame),
                _ => None,
            }),
    );
    frames
}

/// A call's return, as a learner reads it.
fn returned(result: Option<OpResult>) -> String {
    match result {
        Some(OpResult::Value(v)) => v.to_string(),
        Some(OpResult::Error(e)) => format!("error {e}"),
        None => "not yet (asleep or ended)".into(),
    }
}

/// A page after the step, given the same page before it (None: the region
/// had no such page) and the frames mapped anywhere before the step.
fn page_words(before: Option<PageObs>, after: PageObs, old_frames: &BTreeSet<u64>) -> String {
    match after {
        PageObs::Absent => "absent".into(),
        PageObs::Zero => "zero page".into(),
        PageObs::Frame { frame, users } => {
            let which = match before {
                Some(PageObs::Frame { frame: f, .. }) if f == frame => "same frame",
                _ if !old_frames.contains(&frame) => "new frame",
                _ => "an existing frame",
            };
            format!("{which}, {}", words::count(users, "user", "users"))
        }
    }
}

/// Collects figures, keeping those that changed on either side.
struct Table {
    out: Vec<Figure>,
}

impl Table {
    /// Add `what` if it changed on either side (`changed`), showing each
    /// side's value after the step; not when neither side has one (a new
    /// process has no call and no reaped child yet: nothing to compare).
    fn add(&mut self, what: String, changed: bool, model: String, kernel: String) {
        if changed && !(model == NONE && kernel == NONE) {
            self.out.push(Figure {
                what,
                model,
                kernel,
            });
        }
    }
}

/// A process's field before and after, on one side: changed, and the value
/// after (`NONE` when the process is not there).
fn field<T: PartialEq>(
    (before, after): (Option<&ProcObs>, Option<&ProcObs>),
    get: impl Fn(&ProcObs) -> T,
    show: impl Fn(T) -> String,
) -> (bool, String) {
    let b = before.map(&get);
    let a = after.map(&get);
    let changed = b != a;
    (changed, a.map_or_else(|| NONE.to_string(), show))
}

/// The figures of one step: the model's and the kernel's observations
/// before and after it. In order: processes by name (state, parent, last
/// call, handlers, reaped child, then pages by region and index, in runs
/// of pages alike on both sides), then queues by end.
pub fn figures(model: Side, kernel: Side) -> Vec<Figure> {
    let mut t = Table { out: Vec::new() };
    let mut names: BTreeSet<&String> = BTreeSet::new();
    names.extend(
        [model.before, model.after, kernel.before, kernel.after]
            .iter()
            .flat_map(|o| o.processes.keys()),
    );
    let old_frames = (frames_of(model.before), frames_of(kernel.before));
    for name in names {
        let (m, k) = (model.procs(name), kernel.procs(name));
        if m.0 == m.1 && k.0 == k.1 {
            continue;
        }
        let pair = |get: &dyn Fn(&ProcObs) -> String| {
            let (mc, mv) = field(m, get, |s| s);
            let (kc, kv) = field(k, get, |s| s);
            (mc || kc, mv, kv)
        };
        let (c, mv, kv) = pair(&|p| p.state.as_str().to_string());
        t.add(format!("{name} state"), c, mv, kv);
        let (c, mv, kv) = pair(&|p| p.parent.clone());
        t.add(format!("{name} parent"), c, mv, kv);
        let last_op_changed = m.0.map(|p| &p.last_op) != m.1.map(|p| &p.last_op)
            || k.0.map(|p| &p.last_op) != k.1.map(|p| &p.last_op);
        if last_op_changed {
            let faults = |p: &ProcObs| {
                p.last_op
                    .as_ref()
                    .map_or_else(|| NONE.to_string(), |o| o.faults.to_string())
            };
            let ret = |p: &ProcObs| {
                p.last_op
                    .as_ref()
                    .map_or_else(|| NONE.to_string(), |o| returned(o.result))
            };
            let (_, mv, kv) = pair(&faults);
            t.add(format!("{name} faults"), true, mv, kv);
            let (_, mv, kv) = pair(&ret);
            t.add(format!("{name} returned"), true, mv, kv);
        }
        let mut signals = BTreeSet::new();
        signals.extend(
            [m.0, m.1, k.0, k.1]
                .iter()
                .flatten()
                .flat_map(|p| p.handled.keys().copied()),
        );
        for sig in signals {
            let (c, mv, kv) = pair(&|p| p.handled.get(&sig).copied().unwrap_or(0).to_string());
            t.add(format!("{name} {sig} handler runs"), c, mv, kv);
        }
        let (c, mv, kv) = pair(&|p| {
            p.last_reaped
                .map_or_else(|| NONE.to_string(), |s| s.to_string())
        });
        t.add(format!("{name} last child reaped"), c, mv, kv);
        pages(&mut t, name, (m, &old_frames.0), (k, &old_frames.1));
    }
    let mut ends: BTreeSet<&String> = BTreeSet::new();
    ends.extend(
        [model.before, model.after, kernel.before, kernel.after]
            .iter()
            .flat_map(|o| o.queued.keys()),
    );
    for end in ends {
        let queued = |o: &Observation| o.queued.get(end).copied().unwrap_or(0);
        let show = |n: u64| {
            if n == 0 {
                "empty".to_string()
            } else {
                words::bytes(n)
            }
        };
        let changed = queued(model.before) != queued(model.after)
            || queued(kernel.before) != queued(kernel.after);
        t.add(
            format!("{end} queued"),
            changed,
            show(queued(model.after)),
            show(queued(kernel.after)),
        );
    }
    t.out
}

type ProcPair<'a> = (Option<&'a ProcObs>, Option<&'a ProcObs>);

/// One side's page `i` of `region` in words, and whether it changed.
fn page_on(
    (before, after): ProcPair,
    old_frames: &BTreeSet<u64>,
    region: &str,
    i: usize,
) -> (bool, String) {
    let b = before.and_then(|p| p.regions.get(region));
    let a = after.and_then(|p| p.regions.get(region));
    let was = b.and_then(|r| r.get(i)).copied();
    let now = a.and_then(|r| r.get(i)).copied();
    let words = match (now, b) {
        (Some(page), _) => page_words(was, page, old_frames),
        (None, Some(_)) if a.is_none() => "unmapped".into(),
        _ => NONE.into(),
    };
    (was != now, words)
}

/// The pages of `name` that changed on either side, in runs of pages that
/// read alike on both.
fn pages(
    t: &mut Table,
    name: &str,
    model: (ProcPair, &BTreeSet<u64>),
    kernel: (ProcPair, &BTreeSet<u64>),
) {
    let (m, k) = (model.0, kernel.0);
    let mut regions: BTreeMap<&String, usize> = BTreeMap::new();
    for p in [m.0, m.1, k.0, k.1].into_iter().flatten() {
        for (r, pages) in &p.regions {
            let n = regions.entry(r).or_default();
            *n = (*n).max(pages.len());
        }
    }
    for (region, len) in regions {
        // (first page, one past the last, model's words, kernel's words)
        let mut run: Option<(usize, usize, String, String)> = None;
        let flush = |run: Option<(usize, usize, String, String)>, t: &mut Table| {
            if let Some((from, to, mv, kv)) = run {
                let at = if to == from + 1 {
                    from.to_string()
                } else {
                    format!("{from}..{to}")
                };
                t.add(format!("{name} {region}[{at}]"), true, mv, kv);
            }
        };
        for i in 0..len {
            let (mc, mv) = page_on(m, model.1, region, i);
            let (kc, kv) = page_on(k, kernel.1, region, i);
            if !(mc || kc) {
                flush(run.take(), t);
                continue;
            }
            run = match run.take() {
                Some((from, to, a, b)) if to == i && a == mv && b == kv => {
                    Some((from, i + 1, a, b))
                }
                other => {
                    flush(other, t);
                    Some((i, i + 1, mv, kv))
                }
            };
        }
        flush(run, t);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::engine::Sim;

    /// The model's observations of `text` before and after every step.
    fn model_run(text: &str) -> Vec<Observation> {
        let mut sim = Sim::from_source(text).unwrap();
        sim.run_to_end().unwrap();
        (0..=sim.steps().len() as u32)
            .map(|i| sim.observe(i).unwrap())
            .collect()
    }

    fn side(obs: &[Observation], step: usize) -> Side<'_> {
        Side {
            before: &obs[step - 1],
            after: &obs[step],
        }
    }

    #[test]
    fn a_copy_on_write_shows_the_faults_and_a_new_frame_for_the_written_page() {
        let obs = model_run(
            "process p\np: mmap heap 4\np: write heap 0..4\np: fork c\nc: write heap 2\n",
        );
        let f = figures(side(&obs, 5), side(&obs, 5));
        let find = |w: &str| {
            f.iter()
                .find(|x| x.what == w)
                .unwrap_or_else(|| panic!("{w} in {f:?}"))
        };
        assert_eq!(find("c faults").model, "1");
        assert_eq!(find("c returned").model, "0");
        assert_eq!(find("c heap[2]").model, "new frame, 1 user");
        assert_eq!(find("p heap[2]").model, "same frame, 1 user");
        assert!(f.iter().all(Figure::agrees));
    }

    #[test]
    fn a_fork_shows_the_child_on_the_parents_frames_in_one_run() {
        let obs = model_run("process p\np: mmap heap 4\np: write heap 0..4\np: fork c\n");
        let f = figures(side(&obs, 4), side(&obs, 4));
        let child = f
            .iter()
            .find(|x| x.what == "c heap[0..4]")
            .expect("one run");
        assert_eq!(child.model, "an existing frame, 2 users");
        let parent = f
            .iter()
            .find(|x| x.what == "p heap[0..4]")
            .expect("one run");
        assert_eq!(parent.model, "same frame, 2 users");
        assert_eq!(f.iter().find(|x| x.what == "c parent").unwrap().model, "p");
        assert_eq!(
            f.iter().find(|x| x.what == "p returned").unwrap().model,
            "3"
        );
    }

    #[test]
    fn a_side_that_shows_otherwise_is_a_figure_that_differs() {
        let obs = model_run("process p\np: mmap heap 2\np: write heap 0\n");
        let mut kernel_after = obs[3].clone();
        let proc = kernel_after.processes.get_mut("p").unwrap();
        proc.last_op.as_mut().unwrap().faults = 2;
        let f = figures(
            side(&obs, 3),
            Side {
                before: &obs[2],
                after: &kernel_after,
            },
        );
        let faults = f.iter().find(|x| x.what == "p faults").unwrap();
        assert_eq!((faults.model.as_str(), faults.kernel.as_str()), ("1", "2"));
        assert!(!faults.agrees());
        let page = f.iter().find(|x| x.what == "p heap[0]").unwrap();
        assert!(page.agrees());
    }

    #[test]
    fn queues_and_ends_show_bytes_and_unmapped_regions_say_so() {
        let obs =
            model_run("process p\np: pipe x\np: send x.w 100\np: mmap heap 1\np: munmap heap\n");
        let f = figures(side(&obs, 3), side(&obs, 3));
        let q = f.iter().find(|x| x.what == "x.r queued").unwrap();
        assert_eq!(q.model, "100 bytes");
        let f = figures(side(&obs, 5), side(&obs, 5));
        assert_eq!(
            f.iter().find(|x| x.what == "p heap[0]").unwrap().model,
            "unmapped"
        );
    }

    #[test]
    fn a_new_process_shows_its_state_and_parent_and_not_what_it_has_not_done() {
        let obs = model_run("process p\n");
        let f = figures(side(&obs, 1), side(&obs, 1));
        let what: Vec<&str> = f.iter().map(|x| x.what.as_str()).collect();
        assert_eq!(what, ["p state", "p parent"]);
        assert_eq!(f[1].model, "init");
    }

    #[test]
    fn nothing_that_stayed_the_same_is_a_figure() {
        let obs = model_run("process p\nprocess q\np: mmap heap 2\n");
        let f = figures(side(&obs, 3), side(&obs, 3));
        assert!(f.iter().all(|x| x.what.starts_with("p ")), "{f:?}");
    }
}
