//! What the kernel showed at each step, for `check --json`: sim-core's
//! `Changes` between the kernel's observations before and after the step,
//! the same shape as the trace's `changes` (docs/trace-json.md), so that a
//! reader (the web app's kernel view) sets the kernel's figures beside the
//! model's step by step.
//!
//! Frames are renumbered before the changes are taken: a kernel frame's
//! identity is its PFN (or a number past every PFN, follow.rs), which says
//! nothing to a reader and differs from run to run. Each frame gets 1, 2,
//! 3... in order of first appearance over the whole run (steps in order,
//! then processes by name, regions by name, pages by index), the same
//! number at every step, so "the same frame" and "a new frame" read as on
//! the kernel, and two runs that map pages alike record alike. Without root
//! the frames are not seen (every frame reads 0, with 1 user when the page
//! is exclusive and 2 when not) and are left so. An end, once listed in
//! `queued`, stays listed (0 when empty), as the model lists its ends.

use serde::Serialize;
use sha2::{Digest, Sha256};
use sim_core::changes::Changes;
use sim_core::observe::{Observation, PageObs};
use std::collections::BTreeMap;

/// One step as the kernel showed it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KernelStep {
    /// The step's index, as in the trace (1: the first statement that acts).
    pub step: u32,
    /// The statement's source line.
    pub line: u32,
    /// What the step changed on the kernel.
    pub changes: Changes,
}

/// Frame identity -> its number in the recording, given in order of first
/// appearance.
#[derive(Default)]
struct Renumber {
    ids: BTreeMap<u64, u64>,
}

impl Renumber {
    /// `obs` with every frame renumbered, numbering frames first seen here.
    fn apply(&mut self, obs: &Observation) -> Observation {
        let mut out = obs.clone();
        for proc in out.processes.values_mut() {
            for pages in proc.regions.values_mut() {
                for page in pages.iter_mut() {
                    if let PageObs::Frame { frame, .. } = page {
                        let next = self.ids.len() as u64 + 1;
                        *frame = *self.ids.entry(*frame).or_insert(next);
                    }
                }
            }
        }
        out
    }
}

/// The kernel's steps from its observation after each step, in order
/// (`(line, observation)`); `frames_visible`: frames are numbers to
/// renumber (root).
pub fn kernel_steps<'a>(
    observations: impl IntoIterator<Item = (u32, &'a Observation)>,
    frames_visible: bool,
) -> Vec<KernelStep> {
    let mut renumber = Renumber::default();
    let mut before = Observation::default();
    let mut out = Vec::new();
    for (i, (line, obs)) in observations.into_iter().enumerate() {
        let mut now = if frames_visible {
            renumber.apply(obs)
        } else {
            obs.clone()
        };
        // The controller lists an end only while bytes wait there (it
        // reads FIONREAD on the ends processes hold); an end once listed
        // stays, with 0, as the model lists every end it made, so that an
        // end emptied by a read is a change to 0 and not a silence that a
        // reader replaying the changes would take for "as before".
        for end in before.queued.keys() {
            now.queued.entry(end.clone()).or_insert(0);
        }
        out.push(KernelStep {
            step: i as u32 + 1,
            line,
            changes: Changes::between(&before, &now),
        });
        before = now;
    }
    out
}

/// The SHA-256 of a scenario's text, in lowercase hex: what a recording
/// names its lesson's text by (`sha256sum lessons/NAME.scn` prints it).
pub fn source_sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::observe::ProcObs;
    use sim_core::scenario::ast::StateName;

    fn proc_with(pages: Vec<PageObs>) -> ProcObs {
        ProcObs {
            state: StateName::Running,
            parent: "init".into(),
            regions: [("heap".to_string(), pages)].into(),
            last_op: None,
            handled: BTreeMap::new(),
            last_reaped: None,
            fds: BTreeMap::new(),
            threads: 1,
        }
    }

    fn obs(procs: Vec<(&str, Vec<PageObs>)>) -> Observation {
        Observation {
            processes: procs
                .into_iter()
                .map(|(n, p)| (n.to_string(), proc_with(p)))
                .collect(),
            queued: BTreeMap::new(),
        }
    }

    fn frame(frame: u64, users: u32) -> PageObs {
        PageObs::Frame { frame, users }
    }

    #[test]
    fn frames_are_numbered_in_order_of_first_appearance_and_keep_their_number() {
        let one = obs(vec![("p", vec![frame(90_001, 1), frame(90_000, 1)])]);
        let two = obs(vec![
            ("c", vec![frame(90_001, 2), frame(77_000, 1)]),
            ("p", vec![frame(90_001, 2), frame(90_000, 1)]),
        ]);
        let steps = kernel_steps([(3, &one), (4, &two)], true);
        let first = &steps[0].changes.processes["p"].pages;
        assert_eq!(first.len(), 1, "pages 1 and 2 are one run: {first:?}");
        assert_eq!((first[0].from, first[0].to), (0, 2));
        assert_eq!(first[0].page, frame(1, 1));
        let child = &steps[1].changes.processes["c"].pages;
        assert_eq!(child[0].page, frame(1, 2), "the parent's frame keeps 1");
        assert_eq!(
            child[1].page,
            frame(3, 1),
            "the new frame is the third seen"
        );
        assert_eq!(
            steps[1].changes.frames[&1],
            sim_core::changes::FrameUsers { before: 1, now: 2 }
        );
        assert_eq!((steps[1].step, steps[1].line), (2, 4));
    }

    #[test]
    fn two_runs_that_map_pages_alike_record_alike() {
        let a = obs(vec![("p", vec![frame(5, 1), PageObs::Zero])]);
        let b = obs(vec![("p", vec![frame(123_456, 1), PageObs::Zero])]);
        assert_eq!(kernel_steps([(1, &a)], true), kernel_steps([(1, &b)], true));
    }

    #[test]
    fn without_root_frames_are_left_as_read() {
        let a = obs(vec![("p", vec![frame(0, 2)])]);
        let steps = kernel_steps([(1, &a)], false);
        assert_eq!(steps[0].changes.processes["p"].pages[0].page, frame(0, 2));
    }

    #[test]
    fn an_end_emptied_by_a_read_is_a_change_to_nothing_queued() {
        let mut full = obs(vec![]);
        full.queued.insert("s.1".into(), 278);
        let empty = obs(vec![]);
        let steps = kernel_steps([(1, &full), (2, &empty)], true);
        assert_eq!(steps[1].changes.queued.get("s.1"), Some(&0));
        let mut replayed = Observation::default();
        for s in &steps {
            s.changes.replay(&mut replayed);
        }
        assert_eq!(replayed.queued.get("s.1"), Some(&0));
    }

    #[test]
    fn a_text_is_named_by_the_sha256_that_sha256sum_prints() {
        assert_eq!(
            source_sha256("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
