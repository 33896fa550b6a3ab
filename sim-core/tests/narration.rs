//! Sentences that must stay short however large the machine is: a copy on
//! write among thousands of processes names a few sharers and counts the
//! rest.

use sim_core::engine::Sim;

/// `p` writes one page, forks `children` children, then `c0` writes it.
fn copy_among(children: u32) -> String {
    let mut text = String::from("process p\np: mmap m 1\np: write m 0\n");
    for i in 0..children {
        text.push_str(&format!("p: fork c{i}\n"));
    }
    text.push_str("c0: write m 0\n");
    let mut sim = Sim::from_source(&text).expect("the scenario parses");
    sim.run_to_end().expect("the scenario runs");
    sim.steps().last().expect("it has steps").narration.clone()
}

#[test]
fn a_copy_names_every_process_that_keeps_the_frame_when_they_are_few() {
    assert!(
        copy_among(2).ends_with("c0 now has frame F2, p and c1 keep F1."),
        "{}",
        copy_among(2)
    );
    assert!(
        copy_among(4).ends_with("c0 now has frame F2; p, c1, c2 and c3 keep F1."),
        "{}",
        copy_among(4)
    );
}

#[test]
fn a_copy_among_many_processes_names_three_and_counts_the_others() {
    let narration = copy_among(2000);
    assert!(
        narration.ends_with("c0 now has frame F2; p, c1, c2 and 1997 others keep F1."),
        "{narration}"
    );
}
