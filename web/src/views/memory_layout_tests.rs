//! The Memory view's layout on real runs of the model.
use super::*;
use sim_core::engine::Sim;

/// Run `text` to its end.
fn run(text: &str) -> Sim {
    let mut sim = Sim::from_source(text).expect("the test scenario parses");
    sim.run_to_end().expect("the test scenario runs");
    sim
}

/// The layout after the step whose source is `source` (the first such).
fn at(sim: &Sim, source: &str) -> Layout {
    let step = sim
        .steps()
        .iter()
        .position(|s| s.source == source)
        .expect("the step is in the scenario") as u32
        + 1;
    at_step(sim, step, Limits::default())
}

fn at_step(sim: &Sim, step: u32, limits: Limits) -> Layout {
    layout(
        sim.world(step).unwrap(),
        sim.world(step - 1),
        sim.changes(step).as_ref(),
        step,
        limits,
    )
}

fn block<'a>(l: &'a Layout, name: &str) -> &'a ProcBlock {
    l.procs
        .iter()
        .find(|p| p.name == name)
        .expect("the process is drawn")
}

fn labels(p: &ProcBlock) -> Vec<String> {
    p.cells.iter().map(Cell::label).collect()
}

fn frame_labels(l: &Layout) -> Vec<String> {
    l.frames.iter().map(FrameSeg::label).collect()
}

const COW: &str = "process parent\nparent: mmap heap 8\nparent: write heap 0..8\nparent: fork child\nchild: write heap 2\nchild: exit 0\nparent: wait child\n";

#[test]
fn eight_written_pages_are_one_cell_and_one_frame_run() {
    let sim = run(COW);
    let l = at(&sim, "parent: write heap 0..8");
    let parent = block(&l, "parent");
    assert_eq!(labels(parent), ["heap[0..8]"]);
    assert_eq!(
        parent.cells[0].maps,
        Maps::Frames {
            first: 1,
            users: 1,
            writable: true
        }
    );
    assert!(parent.cells[0].changed);
    assert_eq!(parent.faults_now, Some(8));
    assert_eq!(frame_labels(&l), ["F1–F8"]);
    assert!(l.frames[0].new);
    assert_eq!(l.frames_new, 8);
    assert_eq!(l.links.len(), 1);
    assert_eq!((l.links[0].to_first, l.links[0].to_last), (0, 0));
}

#[test]
fn after_fork_both_processes_map_the_same_frames_read_only_with_two_users() {
    let sim = run(COW);
    let l = at(&sim, "parent: fork child");
    for name in ["parent", "child"] {
        let p = block(&l, name);
        assert_eq!(labels(p), ["heap[0..8]"]);
        assert_eq!(
            p.cells[0].maps,
            Maps::Frames {
                first: 1,
                users: 2,
                writable: false
            }
        );
    }
    assert_eq!(frame_labels(&l), ["F1–F8"]);
    assert_eq!(l.frames[0].users_before, Some(1));
    assert!(!l.frames[0].new);
    assert!(l.links.iter().all(|k| k.shared && k.to_first == 0));
    assert!(block(&l, "child").changed, "the child is born at this step");
}

#[test]
fn a_cow_copy_splits_the_runs_and_gives_the_writer_a_new_frame() {
    let sim = run(COW);
    let l = at(&sim, "child: write heap 2");
    let child = block(&l, "child");
    assert_eq!(labels(child), ["heap[0..2]", "heap[2]", "heap[3..8]"]);
    assert_eq!(
        child.cells[1].maps,
        Maps::Frames {
            first: 9,
            users: 1,
            writable: true
        }
    );
    assert_eq!(child.faults_now, Some(1));
    assert_eq!(
        labels(block(&l, "parent")),
        ["heap[0..2]", "heap[2]", "heap[3..8]"]
    );
    assert_eq!(frame_labels(&l), ["F1–F2", "F3", "F4–F8", "F9"]);
    let f3 = &l.frames[1];
    assert_eq!((f3.users, f3.users_before, f3.new), (1, Some(2), false));
    let f9 = &l.frames[3];
    assert_eq!((f9.users, f9.new), (1, true));
    // The child's new line goes to F9's row, and is marked changed; the
    // parent's page 2 changed too (its frame lost a user).
    let child_index = l.procs.iter().position(|p| p.name == "child").unwrap();
    let moved = l
        .links
        .iter()
        .find(|k| k.proc == child_index && k.cell == 1)
        .unwrap();
    assert_eq!((moved.to_first, moved.changed), (3, true));
    assert!(block(&l, "parent").cells[1].changed);
    assert!(!block(&l, "parent").cells[0].changed);
}

#[test]
fn exit_frees_the_frames_only_the_child_mapped_and_shows_them_freed() {
    let sim = run(COW);
    let l = at(&sim, "child: exit 0");
    let child = block(&l, "child");
    assert!(child.cells.is_empty());
    assert_eq!(child.notes[0].1, "exited: its memory is released");
    let f9 = l
        .frames
        .iter()
        .find(|s| s.first == 9)
        .expect("F9 is drawn, freed");
    assert!(f9.freed);
    assert_eq!(l.frames_freed, 1);
    assert!(l
        .frames
        .iter()
        .filter(|s| s.first != 9)
        .all(|s| !s.freed && s.users == 1));
    assert!(
        l.links.iter().all(|k| k.to_first != f9.row),
        "no line reaches a freed frame"
    );
}

#[test]
fn a_reaped_process_that_did_not_change_is_not_drawn() {
    let sim = run(COW);
    let l = at_step(&sim, sim.steps().len() as u32, Limits::default());
    let last = &sim.steps()[sim.steps().len() - 1];
    assert_eq!(last.source, "parent: wait child");
    // The wait reaps the child at this step: it is still drawn, gone.
    assert_eq!(block(&l, "child").state, "gone");
    let sim = run(&format!("{COW}parent: read heap 0\n"));
    let l = at_step(&sim, sim.steps().len() as u32, Limits::default());
    assert!(l.procs.iter().all(|p| p.name != "child"));
}

#[test]
fn a_read_of_an_untouched_page_maps_the_zero_page_drawn_first() {
    let sim = run("process p\np: mmap heap 4\np: read heap 1\np: write heap 3\n");
    let l = at(&sim, "p: write heap 3");
    assert!(l.zero_page);
    let p = block(&l, "p");
    assert_eq!(labels(p), ["heap[0]", "heap[1]", "heap[2]", "heap[3]"]);
    let maps: Vec<Maps> = p.cells.iter().map(|c| c.maps).collect();
    assert_eq!(maps[0], Maps::Absent);
    assert_eq!(maps[1], Maps::Zero);
    assert_eq!(maps[2], Maps::Absent);
    assert!(matches!(maps[3], Maps::Frames { users: 1, .. }));
    assert_eq!(l.links.len(), 2, "absent pages have no line");
    assert!(l.links[0].zero && l.links[0].to_first == 0);
    assert_eq!(l.frames[0].row, 1, "frames start below the zero page");
    assert_eq!(l.links[1].to_first, 1);
}

#[test]
fn a_huge_region_with_two_pages_written_is_five_cells() {
    let sim = run("process p\np: mmap big 262144\np: write big 5\np: write big 200000\n");
    let l = at(&sim, "p: write big 200000");
    assert_eq!(
        labels(block(&l, "p")),
        [
            "big[0..5]",
            "big[5]",
            "big[6..200000]",
            "big[200000]",
            "big[200001..262144]"
        ]
    );
    assert_eq!(frame_labels(&l), ["F1", "F2"]);
    assert!(l.frames[1].new && !l.frames[0].new);
}

#[test]
fn sixty_four_processes_of_1024_pages_are_capped_and_counted() {
    let mut text = String::from("process p0\np0: mmap heap 1024\np0: write heap 0..1024\n");
    for i in 1..64 {
        text.push_str(&format!("p0: fork p{i}\n"));
    }
    for i in 0..64 {
        text.push_str(&format!("p{i}: write heap {i}\n"));
    }
    let sim = run(&text);
    let step = sim.steps().len() as u32;
    let l = at_step(&sim, step, Limits::default());
    // A block starts only below the cap, and a block here is 4 rows at
    // most; past it, only p63, which this step changed, is drawn.
    assert!(l.rows < Limits::default().rows + 8, "{} rows", l.rows);
    assert_eq!(l.procs.last().unwrap().name, "p63");
    let p63 = block(&l, "p63");
    assert_eq!(p63.faults_now, Some(1));
    assert!(p63
        .cells
        .iter()
        .any(|c| c.changed && c.label() == "heap[63]"));
    assert!(l.procs_left_out > 0);
    assert_eq!(l.procs.len() + l.procs_left_out, 64);
    // A child's heap is four runs: pages the others share (63 users), its
    // own copy, more pages of 63 users, then pages nobody wrote (64 users).
    let p5 = block(&l, "p5");
    assert_eq!(
        labels(p5),
        ["heap[0..5]", "heap[5]", "heap[6..64]", "heap[64..1024]"]
    );
    let users: Vec<u32> = p5
        .cells
        .iter()
        .map(|c| match c.maps {
            Maps::Frames { users, .. } => users,
            _ => 0,
        })
        .collect();
    assert_eq!(users, [63, 1, 63, 64]);
    // p63's copy took F64 from 64 users to 63: told as "was 64" on the
    // frame, but nobody's run is highlighted for it, as nothing went from
    // shared to private; only p63's own copy is.
    let wide = at_step(
        &sim,
        step,
        Limits {
            frame_rows: 200,
            ..Limits::default()
        },
    );
    let f64 = wide
        .frames
        .iter()
        .find(|s| s.first == 64)
        .expect("F64 is drawn");
    assert_eq!(
        (f64.count, f64.users, f64.users_before, f64.reshared),
        (1, 63, Some(64), false)
    );
    let changed: Vec<(String, String)> = l
        .procs
        .iter()
        .flat_map(|p| {
            p.cells
                .iter()
                .filter(|c| c.changed)
                .map(|c| (p.name.clone(), c.label()))
        })
        .collect();
    assert!(changed.iter().all(|(p, _)| p == "p63"), "{changed:?}");
    assert!(l.frames.len() <= 2 * Limits::default().frame_rows);
    let new = l
        .frames
        .iter()
        .find(|s| s.new)
        .expect("the new frame is drawn past the cap");
    assert_eq!((new.first, new.users), (1088, 1));
    let p63 = l.procs.iter().position(|p| p.name == "p63").unwrap();
    let copy = l.links.iter().find(|k| k.proc == p63 && k.changed).unwrap();
    assert_eq!(
        copy.to_first, new.row,
        "p63's new line reaches its new frame"
    );
    assert!(
        l.frames_left_out.0 > 0,
        "the frames past the cap are counted"
    );
    let drawn: u64 = l.frames.iter().map(|s| u64::from(s.count)).sum();
    assert_eq!(drawn + l.frames_left_out.1, l.frames_in_use);
    assert_eq!(l.frames_in_use, 1024 + 64);
    assert!(l.links.iter().all(|k| k.to_last < l.frame_rows));
}

#[test]
fn many_runs_in_one_region_are_cut_with_a_count_of_the_rest() {
    let mut text = String::from("process p\np: mmap heap 40\n");
    for i in (0..40).step_by(2) {
        text.push_str(&format!("p: write heap {i}\n"));
    }
    let sim = run(&text);
    let l = at_step(&sim, sim.steps().len() as u32, Limits::default());
    let p = block(&l, "p");
    assert_eq!(p.cells.len(), 8);
    assert_eq!(
        p.notes,
        [(8, "… 32 more runs of heap (32 pages)".to_string())]
    );
    assert_eq!(p.rows, 9);
}

#[test]
fn the_summary_says_where_each_run_points() {
    let sim = run(COW);
    let l = at(&sim, "child: write heap 2");
    let text = summary(&l).join("\n");
    assert!(
        text.contains("child heap[2] -> F9 (new, 1 user, writable) (changed at this step)."),
        "{text}"
    );
    assert!(
        text.contains("parent heap[3..8] -> F4–F8 (2 users, read-only)."),
        "{text}"
    );
    assert!(
        text.contains("child (pid 3, running): 1 fault this step, 1 in all."),
        "{text}"
    );
}

#[test]
fn a_process_with_a_worker_is_one_block_that_names_both_threads() {
    let text = "node main\n\
                main: const sab = new Int32Array(new SharedArrayBuffer(8192))\n\
                main: const wk = new Worker('./w.js', {workerData: sab})\n\
                wk: sab[0] = 42\n";
    let sim = run(text);
    let l = at(&sim, "main: write sab 0");
    let names: Vec<&str> = l.procs.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["main"], "the worker has no block of its own");
    let main = block(&l, "main");
    assert_eq!(main.threads, ["wk"]);
    // Its regions, the worker's stack among them, are main's.
    let labels = labels(main);
    assert!(labels.iter().any(|c| c.starts_with("sab[0]")), "{labels:?}");
    assert!(
        labels.iter().any(|c| c.starts_with("wk-stack")),
        "{labels:?}"
    );
}
