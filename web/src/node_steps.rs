//! Node steps: a run's kernel steps counted the way a Node lesson moves.
//! A Node statement runs as a group of kernel steps (`Step::group`); moving
//! by Node step, the group is one step, shown at its last kernel step,
//! and a kernel statement outside groups is one step as ever.
//!
//! Pure and incremental: `NodeSteps::extend` reads only the steps computed
//! since its last call, so a run computed in slices is scanned once. It
//! maps between the two counts; which count the controls use is the app's.
//! The address keeps the kernel step (`step=`), so a link means the same
//! step whichever way its reader moves.

use sim_core::engine::Step;
use sim_core::scenario::ast::{Scenario, StatementKind};

/// Where each Node step ends, as kernel step indexes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeSteps {
    /// `ends[n - 1]` is the kernel step (from 1) that ends Node step `n`:
    /// a kernel statement's own step, or a group's last.
    ends: Vec<u32>,
    /// Kernel steps read so far.
    read: u32,
    /// The last step read is inside a group whose end is not computed yet
    /// (or never will be: an error stopped the run inside it).
    open: bool,
}

/// Whether `scenario` has a Node statement (then the app offers moving by
/// Node step, and does so by default).
pub fn has_node_statements(scenario: &Scenario) -> bool {
    scenario.statements.iter().any(|s| {
        matches!(
            s.kind,
            StatementKind::Node { .. } | StatementKind::NodeProcess { .. }
        )
    })
}

impl NodeSteps {
    /// Read the steps after the ones already read (`steps` is the whole run
    /// so far, as `Sim::steps` gives it).
    pub fn extend(&mut self, steps: &[Step]) {
        for step in steps.iter().skip(self.read as usize) {
            let ends_here = step.group.as_ref().is_none_or(|g| g.last);
            if ends_here {
                self.ends.push(step.index);
            }
            self.open = !ends_here;
            self.read = step.index;
        }
    }

    /// Node steps whose end is computed. A run that stopped inside a group
    /// (`finished`) counts that group too: its last computed step ends it.
    pub fn count(&self, finished: bool) -> u32 {
        self.ends.len() as u32 + u32::from(finished && self.open)
    }

    /// The kernel step that shows Node step `node` (0: before the first).
    /// Past the end, the last step read.
    pub fn kernel_of(&self, node: u32) -> u32 {
        match node.checked_sub(1) {
            None => 0,
            Some(i) => self.ends.get(i as usize).copied().unwrap_or(self.read),
        }
    }

    /// The Node step kernel step `kernel` belongs to (a group's steps all
    /// belong to their group's Node step).
    pub fn node_of(&self, kernel: u32) -> u32 {
        if kernel == 0 {
            return 0;
        }
        self.ends.partition_point(|&end| end < kernel) as u32 + 1
    }

    /// Whether kernel step `kernel` ends its Node step (is where moving by
    /// Node step stops).
    pub fn ends_at(&self, kernel: u32) -> bool {
        kernel == 0 || self.ends.binary_search(&kernel).is_ok()
    }

    /// The kernel step "Next" goes to from `kernel`, moving by Node step:
    /// the end of the next Node step, or of this one when `kernel` is
    /// inside a group (reached by a link or by moving by kernel step).
    /// `finished`: the run is complete, so an open group's last computed
    /// step is its end.
    pub fn next(&self, kernel: u32, finished: bool) -> u32 {
        let node = self.node_of(kernel);
        let target = if self.ends_at(kernel) { node + 1 } else { node };
        if target > self.count(finished) {
            return kernel;
        }
        self.kernel_of(target)
    }

    /// The kernel step "Back" goes to from `kernel`: the end of the Node
    /// step before the one `kernel` belongs to.
    pub fn prev(&self, kernel: u32) -> u32 {
        self.kernel_of(self.node_of(kernel).saturating_sub(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::engine::Sim;

    /// A node parent, a kernel statement, then a fork group, run to the
    /// end; and its Node steps.
    fn run(source: &str) -> (Sim, NodeSteps) {
        let mut sim = Sim::from_source(source).unwrap();
        sim.run_to_end().unwrap();
        let mut steps = NodeSteps::default();
        steps.extend(sim.steps());
        (sim, steps)
    }

    const MIXED: &str =
        "node main\nprocess other\nmain: const w = child_process.fork('./w.js')\nother: exit 0\n";

    /// The kernel steps of the group each step belongs to, from the model
    /// itself: a new group starts at a step whose group index is 0.
    fn groups_of(sim: &Sim) -> Vec<Vec<u32>> {
        let mut out: Vec<Vec<u32>> = Vec::new();
        for step in sim.steps() {
            match &step.group {
                Some(g) if g.index > 0 => out.last_mut().unwrap().push(step.index),
                _ => out.push(vec![step.index]),
            }
        }
        out
    }

    #[test]
    fn a_group_is_one_node_step_and_a_kernel_statement_another() {
        let (sim, steps) = run(MIXED);
        let groups = groups_of(&sim);
        // node main, process other, the fork, exit: four Node steps.
        assert_eq!(groups.len(), 4);
        assert!(groups[0].len() > 1 && groups[2].len() > 1, "{groups:?}");
        assert_eq!(groups[1].len(), 1);
        assert_eq!(steps.count(true), 4);
        for (n, group) in groups.iter().enumerate() {
            let node = n as u32 + 1;
            let last = *group.last().unwrap();
            assert_eq!(steps.kernel_of(node), last, "Node step {node}");
            for &k in group {
                assert_eq!(steps.node_of(k), node, "kernel step {k}");
                assert_eq!(steps.ends_at(k), k == last, "kernel step {k}");
            }
        }
    }

    #[test]
    fn next_and_back_go_from_group_end_to_group_end() {
        let (sim, steps) = run(MIXED);
        let groups = groups_of(&sim);
        let ends: Vec<u32> = groups.iter().map(|g| *g.last().unwrap()).collect();
        let mut at = 0;
        let mut visited = Vec::new();
        loop {
            let next = steps.next(at, true);
            if next == at {
                break;
            }
            visited.push(next);
            at = next;
        }
        assert_eq!(visited, ends);
        let mut back = Vec::new();
        while at > 0 {
            at = steps.prev(at);
            back.push(at);
        }
        let mut expected: Vec<u32> = ends[..ends.len() - 1].iter().rev().copied().collect();
        expected.push(0);
        assert_eq!(back, expected);
    }

    #[test]
    fn from_inside_a_group_next_goes_to_its_end_and_back_to_the_one_before() {
        let (sim, steps) = run(MIXED);
        let fork = &groups_of(&sim)[2];
        let inside = fork[1];
        assert_eq!(steps.next(inside, true), *fork.last().unwrap());
        assert_eq!(steps.prev(inside), fork[0] - 1);
    }

    #[test]
    fn steps_read_in_slices_count_as_steps_read_at_once() {
        let mut sim = Sim::from_source(MIXED).unwrap();
        let mut sliced = NodeSteps::default();
        while sim.step().unwrap().is_some() {
            sliced.extend(sim.steps());
            // A group not ended yet is no Node step of the count so far.
            let open = sim.in_group();
            assert_eq!(sliced.count(false), sliced.ends.len() as u32);
            assert_eq!(sliced.open, open);
        }
        let (_, whole) = run(MIXED);
        assert_eq!(sliced, whole);
    }

    #[test]
    fn a_run_stopped_inside_a_group_counts_that_group_once_finished() {
        let mut steps = NodeSteps::default();
        let (sim, _) = run(MIXED);
        let groups = groups_of(&sim);
        // As if the run had stopped two steps into the fork's group.
        let cut = groups[2][1] as usize;
        steps.extend(&sim.steps()[..cut]);
        assert_eq!(steps.count(false), 2);
        assert_eq!(steps.count(true), 3);
        assert_eq!(steps.next(groups[1][0], true), cut as u32);
        assert_eq!(steps.next(groups[1][0], false), groups[1][0]);
    }

    #[test]
    fn a_scenario_without_node_statements_moves_one_kernel_step_at_a_time() {
        let source = "process p\np: mmap heap 2\np: write heap 0..2\n";
        let (sim, steps) = run(source);
        assert!(!has_node_statements(sim.scenario()));
        assert!(has_node_statements(run(MIXED).0.scenario()));
        assert_eq!(steps.count(true), 3);
        for k in 0..=3 {
            assert_eq!(steps.node_of(k), k);
            assert_eq!(steps.kernel_of(k), k);
        }
    }
}
