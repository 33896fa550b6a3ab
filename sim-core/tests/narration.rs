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

/// The narration of the last step of `text`.
fn last_narration(text: &str) -> String {
    let mut sim = Sim::from_source(text).expect("the scenario parses");
    sim.run_to_end().expect("the scenario runs");
    sim.steps().last().expect("it has steps").narration.clone()
}

#[test]
fn an_exit_with_many_fds_and_children_names_a_few_of_each_and_counts_the_rest() {
    let mut text = String::from("process p\n");
    for i in 0..300 {
        text.push_str(&format!("p: pipe q{i}\n"));
    }
    for i in 0..40 {
        text.push_str(&format!("p: fork c{i}\n"));
    }
    text.push_str("p: exit 0\n");
    let narration = last_narration(&text);
    assert!(
        narration.contains("Its fds are closed: q0.r, q0.w, q1.r and 597 others."),
        "{narration}"
    );
    assert!(
        narration.contains("c0, c1, c2 and 37 others are adopted by init."),
        "{narration}"
    );
}
