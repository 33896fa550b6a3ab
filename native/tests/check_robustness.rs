//! `forkscope check` leaves nothing behind: a scenario that hangs, one whose
//! worker dies and one that ends with a process still blocked all finish
//! with every process of the run killed and reaped, not even a zombie left;
//! and so does a run whose controller is itself killed with SIGKILL.
//!
//! Each run is started as its own session (setsid), so that every process
//! it ever started, zombies included, can be found by its session id in
//! /proc/PID/stat.

mod common;

use std::process::{Command, Output};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// All tests that start processes share this lock (as nix's FORK_MTX), so
/// that one run's processes are never mistaken for another's.
static FORK_MTX: Mutex<()> = Mutex::new(());

/// Processes whose session is `sid`, as (pid, state).
fn session_members(sid: i32) -> Vec<(i32, char)> {
    common::session_details(sid)
        .into_iter()
        .map(|m| (m.pid, m.state))
        .collect()
}

/// Run `forkscope check` on `text` with extra env, in a session of its own;
/// return its output and whatever of its session is left afterwards.
fn check_in_session(name: &str, text: &str, env: &[(&str, &str)]) -> (Output, Vec<(i32, char)>) {
    let _guard = FORK_MTX.lock().unwrap_or_else(|e| e.into_inner());
    let path = common::scenario_file(name, text);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_forkscope"));
    cmd.args(["check", "--step-timeout", "0.5"])
        .arg(&path)
        .envs(env.iter().copied());
    cmd.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    common::in_own_session(&mut cmd);
    let child = cmd.spawn().unwrap();
    let sid = child.id() as i32;
    let out = child.wait_with_output().unwrap();
    (out, session_members(sid))
}

const FORK_AND_WRITE: &str = "\
process parent
parent: mmap heap 4
parent: write heap 0..4
parent: fork child
child: write heap 1
parent: wait child
";

#[test]
fn a_scenario_that_hangs_times_out_and_leaves_no_process() {
    let (out, left) = check_in_session(
        "hangs",
        FORK_AND_WRITE,
        &[("FORKSCOPE_TEST_HANG_LINE", "5")],
    );
    let stdout = common::assert_exit(&out, Some(2));
    assert!(stdout.contains("timed out"), "{stdout}");
    assert_eq!(left, vec![], "processes left behind");
}

#[test]
fn a_worker_that_dies_is_reported_and_leaves_no_process() {
    let (out, left) = check_in_session(
        "dies",
        FORK_AND_WRITE,
        &[("FORKSCOPE_TEST_CRASH_LINE", "5")],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_ne!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("child state"), "{stdout}");
    assert_eq!(left, vec![], "processes left behind");
}

#[test]
fn a_scenario_that_ends_with_a_blocked_wait_agrees_and_leaves_no_process() {
    let text = "\
process parent
parent: fork child
parent: wait child
expect parent state blocked
expect child state running
";
    let (out, left) = check_in_session("blocked", text, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert_eq!(left, vec![], "processes left behind");
}

/// A parent blocks in `wait` until its child exits at line 5.
const WAIT_THEN_CHILD_EXITS: &str = "\
process parent
parent: fork child
parent: wait child
expect parent state blocked
child: exit 4
expect parent state running
expect parent status exited 4
expect child state gone
";

#[test]
fn a_blocked_wait_completes_at_the_step_where_the_child_exits() {
    let (out, left) = check_in_session("wakes", WAIT_THEN_CHILD_EXITS, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert_eq!(left, vec![], "processes left behind");
}

/// The parent, woken in `wait` by its child's exit, keeps its reply back in
/// an uninterruptible sleep (FORKSCOPE_TEST_LINGER_LINE): asleep, but not
/// where a scenario waits, so the step is not over until it replies.
#[test]
fn a_woken_wait_that_replies_late_from_an_uninterruptible_sleep_completes_in_its_step() {
    let (out, left) = check_in_session(
        "lingers",
        WAIT_THEN_CHILD_EXITS,
        &[("FORKSCOPE_TEST_LINGER_LINE", "3")],
    );
    common::assert_exit(&out, Some(0));
    assert_eq!(left, vec![], "processes left behind");
}

#[test]
fn a_sleeping_reader_killed_by_a_signal_settles_and_leaves_no_process() {
    let text = "\
process parent
parent: pipe p
parent: fork child
child: recv p.r 10
expect child state blocked
parent: kill child SIGTERM
expect child state zombie
";
    let (out, left) = check_in_session("killed-reader", text, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert_eq!(left, vec![], "processes left behind");
}

#[test]
fn a_scenario_that_ends_with_a_stopped_process_leaves_no_process() {
    let text = "\
process parent
parent: pipe p
parent: fork child
child: recv p.r 10
parent: kill child SIGSTOP
expect child state stopped
parent: kill child SIGUSR1
expect child state stopped
";
    let (out, left) = check_in_session("stopped", text, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert_eq!(left, vec![], "processes left behind");
}

/// Wait (bounded) until session `sid` is empty; return what is left. The
/// zombies of workers reparented to the real init are init's to reap.
fn wait_until_empty(sid: i32, bound: Duration) -> Vec<common::Member> {
    let until = Instant::now() + bound;
    loop {
        let left = common::session_details(sid);
        if left.is_empty() || Instant::now() > until {
            return left;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_controller_killed_mid_run_leaves_no_process() {
    // b is forked by a (so it has no parent-death signal of its own) and
    // sleeps in recv, where it never reads the EOF of its control channel;
    // c has exec'd; a hangs on line 7 until the controller is killed.
    let text = "\
process a
a: pipe p
a: fork b
b: recv p.r 10
a: fork c
c: exec /bin/true
a: mmap heap 1
expect a state running
";
    let _guard = FORK_MTX.lock().unwrap_or_else(|e| e.into_inner());
    let path = common::scenario_file("controller-killed", text);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_forkscope"));
    cmd.args(["check", "--step-timeout", "60", "--scenario-timeout", "120"])
        .arg(&path)
        .env("FORKSCOPE_TEST_HANG_LINE", "7")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    common::in_own_session(&mut cmd);
    let mut child = cmd.spawn().unwrap();
    let sid = child.id() as i32;

    // Mid-run: the anchor and a, b, c all exist, c has exec'd, b sleeps and
    // a spins in its hang.
    let until = Instant::now() + Duration::from_secs(20);
    let workers = loop {
        let workers: Vec<common::Member> = common::session_details(sid)
            .into_iter()
            .filter(|m| m.pid != sid)
            .collect();
        let anchor = workers.iter().find(|m| m.cmdline.contains("--anchor"));
        let a = workers
            .iter()
            .find(|m| m.ppid == sid && !m.cmdline.contains("--anchor"));
        let execd = workers.iter().any(|m| m.cmdline.contains("--after-exec"));
        let b_sleeps = workers
            .iter()
            .any(|m| a.is_some_and(|a| m.ppid == a.pid) && m.state == 'S');
        if workers.len() == 4
            && anchor.is_some()
            && execd
            && b_sleeps
            && a.is_some_and(|a| a.state == 'R')
        {
            break workers;
        }
        if Instant::now() > until {
            // Safety: killing the process this test started.
            unsafe { libc::kill(sid, libc::SIGKILL) };
            let _ = child.wait();
            panic!("the run never reached line 7: {workers:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    // Every worker, forked or exec'd, is in the group the anchor leads.
    let anchor = workers
        .iter()
        .find(|m| m.cmdline.contains("--anchor"))
        .unwrap();
    assert_eq!(anchor.pgrp, anchor.pid, "the anchor leads the group");
    for m in &workers {
        assert_eq!(m.pgrp, anchor.pid, "{m:?} left the run's group");
    }

    // Safety: killing the process this test started.
    unsafe { libc::kill(sid, libc::SIGKILL) };
    let status = child.wait().unwrap();
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(libc::SIGKILL)
    );
    let left = wait_until_empty(sid, Duration::from_secs(10));
    for m in &left {
        // Safety: a process of this test's own session, so that a failure
        // does not leave it running.
        unsafe { libc::kill(m.pid, libc::SIGKILL) };
    }
    assert!(left.is_empty(), "processes left behind: {left:?}");
}
