//! `forkscope check` leaves nothing behind: a scenario that hangs, one whose
//! worker dies and one that ends with a process still blocked all finish
//! with every process of the run killed and reaped, not even a zombie left.
//!
//! Each run is started as its own session (setsid), so that every process
//! it ever started, zombies included, can be found by its session id in
//! /proc/PID/stat.

use std::os::unix::process::CommandExt;
use std::process::{Command, Output};
use std::sync::Mutex;

/// All tests that start processes share this lock (as nix's FORK_MTX), so
/// that one run's processes are never mistaken for another's.
static FORK_MTX: Mutex<()> = Mutex::new(());

fn scenario_file(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("forkscope-check-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.scn"));
    std::fs::write(&path, text).unwrap();
    path
}

/// Processes whose session is `sid`, as (pid, state).
fn session_members(sid: i32) -> Vec<(i32, char)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let rest = &stat[stat.rfind(')').unwrap() + 2..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        if fields[3].parse::<i32>() == Ok(sid) {
            found.push((pid, fields[0].chars().next().unwrap()));
        }
    }
    found
}

/// Run `forkscope check` on `text` with extra env, in a session of its own;
/// return its output and whatever of its session is left afterwards.
fn check_in_session(name: &str, text: &str, env: &[(&str, &str)]) -> (Output, Vec<(i32, char)>) {
    let _guard = FORK_MTX.lock().unwrap_or_else(|e| e.into_inner());
    let path = scenario_file(name, text);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_forkscope"));
    cmd.args(["check", "--step-timeout", "0.5"])
        .arg(&path)
        .envs(env.iter().copied());
    cmd.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    // Safety: setsid is async-signal-safe and allocates nothing.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
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
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
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

#[test]
fn a_blocked_wait_completes_at_the_step_where_the_child_exits() {
    let text = "\
process parent
parent: fork child
parent: wait child
expect parent state blocked
child: exit 4
expect parent state running
expect parent status exited 4
expect child state gone
";
    let (out, left) = check_in_session("wakes", text, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
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
