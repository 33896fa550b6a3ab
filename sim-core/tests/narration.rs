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

#[test]
fn an_exec_tells_which_fds_it_closes_because_they_are_close_on_exec_and_what_follows() {
    let narration = last_narration(
        "process p\np: pipe x cloexec\np: pipe y\np: fork c\np: close x.w\np: recv x.r 1\nc: exec node\n",
    );
    assert!(
        narration.contains(
            "exec closes its close-on-exec fds; its other open fds survive. x.r (fd 3) is closed. 1 fd of it is still open elsewhere. x.w (fd 4) is closed. That was the last write end"
        ),
        "{narration}"
    );
    assert!(
        narration.ends_with(
            "p was blocked in recv on x.r: no writer is left, so it wakes with end of file (0)."
        ),
        "{narration}"
    );
}

#[test]
fn a_fork_child_is_told_that_its_close_on_exec_fds_keep_the_flag() {
    let narration =
        last_narration("process p\np: socketpair s cloexec\np: cloexec s.1 off\np: fork c\n");
    assert!(
        narration.ends_with("c inherits s.0, s.1: each end now has one more open fd. s.0 is close-on-exec in c too: the flag is copied with the fd."),
        "{narration}"
    );
}

#[test]
fn fcntl_f_setfd_says_whether_exec_will_close_the_fd() {
    assert_eq!(
        last_narration("process p\np: pipe x\np: cloexec x.w on\n"),
        "p sets close-on-exec on x.w (fd 4; fcntl F_SETFD, FD_CLOEXEC): exec will close it."
    );
    assert_eq!(
        last_narration("process p\np: pipe x cloexec\np: cloexec x.r off\n"),
        "p clears close-on-exec on x.r (fd 3; fcntl F_SETFD, 0): it will survive exec."
    );
    assert_eq!(
        last_narration("process p\np: pipe x\np: close x.r\np: cloexec x.r on\n"),
        "p does not hold x.r: fcntl F_SETFD fails with EBADF."
    );
}

#[test]
fn wait_with_wnohang_on_a_running_child_returns_0_instead_of_blocking() {
    assert_eq!(
        last_narration("process p\np: fork c\np: wait c nohang\n"),
        "p calls wait with WNOHANG for c, but c is still running: with WNOHANG, wait does not sleep, it returns 0 at once."
    );
}
