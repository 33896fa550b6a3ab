//! `forkscope check` on pipes, socketpairs and signals: scenarios that
//! exercise each IPC and signal operation (blocking and nonblocking, EOF,
//! EPIPE and SIGPIPE, EAGAIN, pipesize, sndbuf, handlers, masks, stop and
//! continue, SIGCHLD coalescing, real-time queuing, restarted calls) agree
//! step by step with the kernel, and every expect holds on both sides.

mod common;

use std::process::Command;
use std::sync::Mutex;

/// All tests that start processes share this lock (as nix's FORK_MTX).
static FORK_MTX: Mutex<()> = Mutex::new(());

/// Check `text` on the kernel; panic with the table unless it agrees.
fn agrees(name: &str, text: &str) {
    let path = common::scenario_file(name, text);
    let out = {
        let _guard = FORK_MTX.lock().unwrap_or_else(|e| e.into_inner());
        Command::new(env!("CARGO_BIN_EXE_forkscope"))
            .arg("check")
            .arg(&path)
            .output()
            .unwrap()
    };
    assert_agrees(&out);
}

#[test]
fn a_pipe_reader_gets_eagain_then_sleeps_then_eof() {
    agrees(
        "a_pipe_reader_gets_eagain_then_sleeps_then_eof",
        "\
title pipe basics
process parent
parent: pipe p
parent: fork child
child: close p.w
parent: close p.r
parent: send p.w 100
expect parent result 100
expect p.r queued 100
child: recv p.r 40
expect child result 40
expect p.r queued 60
child: recv p.r 1000
expect child result 60
child: recv p.r 10 nonblock
expect child result EAGAIN
child: recv p.r 10
expect child state blocked
parent: send p.w \"hello\"
expect child result 5
expect child state running
parent: close p.w
child: recv p.r 10
expect child result 0
child: exit 0
parent: wait child
expect parent status exited 0
",
    );
}

#[test]
fn a_writer_without_readers_dies_of_sigpipe() {
    agrees(
        "a_writer_without_readers_dies_of_sigpipe",
        "\
title EPIPE and SIGPIPE
process parent
parent: pipe p
parent: fork child
child: close p.r
parent: close p.r
child: send p.w 10
expect child state zombie
parent: wait child
expect parent status signaled SIGPIPE
",
    );
}

#[test]
fn an_ignored_or_handled_sigpipe_leaves_epipe() {
    agrees(
        "an_ignored_or_handled_sigpipe_leaves_epipe",
        "\
process parent
parent: signal SIGPIPE ignore
parent: pipe p
parent: close p.r
parent: send p.w 10
expect parent result EPIPE
parent: signal SIGPIPE handle
parent: send p.w 10
expect parent result EPIPE
expect parent handled SIGPIPE 1
",
    );
}

#[test]
fn a_full_pipe_refuses_and_pipesize_fails_with_ebusy_and_eperm() {
    agrees(
        "a_full_pipe_refuses_and_pipesize_fails_with_ebusy_and_eperm",
        "\
process a
a: pipe p
a: send p.w 65536 nonblock
expect a result 65536
a: send p.w 1 nonblock
expect a result EAGAIN
a: recv p.r 100
a: send p.w 1 nonblock
expect a result EAGAIN
a: recv p.r 3996
a: send p.w 1 nonblock
expect a result 1
a: pipesize p 4096
expect a result EBUSY
a: pipesize p 2000000
expect a result EPERM
a: pipesize p 1048576
expect a result 1048576
a: pipesize p 100000
expect a result 131072
",
    );
}

#[test]
fn big_nonblocking_writes_are_partial_and_sndbuf_is_capped_by_wmem_max() {
    agrees(
        "big_nonblocking_writes_are_partial_and_sndbuf_is_capped_by_wmem_max",
        "\
process a
a: pipe p
a: send p.w 100 nonblock
a: send p.w 70000 nonblock
expect a result 61808
a: pipesize p 8192
expect a result EBUSY
a: recv p.r 70000
a: pipesize p 8192
expect a result 8192
a: send p.w 5000 nonblock
a: send p.w 5000 nonblock
expect a result 904
a: send p.w 100 nonblock
expect a result 100
a: socketpair s
a: send s.0 300000 nonblock
expect s.1 queued 219264
a: sndbuf s.1 100000
expect a result 0
a: sndbuf s.0 1000000
a: send s.0 400000 nonblock
",
    );
}

#[test]
fn a_socketpair_moves_bytes_and_its_closed_peer_kills_the_sender() {
    agrees(
        "a_socketpair_moves_bytes_and_its_closed_peer_kills_the_sender",
        "\
process parent
parent: socketpair s
parent: fork child
child: close s.0
parent: close s.1
parent: send s.0 100
expect s.1 queued 100
parent: send s.0 \"abc\"
expect s.1 queued 103
child: recv s.1 50
expect child result 50
child: recv s.1 100
expect child result 53
child: recv s.1 10 nonblock
expect child result EAGAIN
child: recv s.1 10
expect child state blocked
parent: send s.0 7
expect child result 7
parent: sndbuf s.0 10000
expect parent result 0
child: close s.1
parent: send s.0 1
expect parent state gone
",
    );
}

#[test]
fn a_nonblocking_sender_is_refused_by_truesize() {
    agrees(
        "a_nonblocking_sender_is_refused_by_truesize",
        "\
process a
a: socketpair s
a: sndbuf s.0 4608
a: send s.0 1 nonblock
a: send s.0 1 nonblock
a: send s.0 1 nonblock
a: send s.0 1 nonblock
a: send s.0 1 nonblock
a: send s.0 1 nonblock
a: send s.0 1 nonblock
a: send s.0 1 nonblock
a: send s.0 1 nonblock
a: send s.0 1 nonblock
a: send s.0 1 nonblock
a: send s.0 1 nonblock
a: send s.0 1 nonblock
expect a result EAGAIN
expect s.1 queued 12
",
    );
}

#[test]
fn a_datagram_reader_sees_one_datagram_and_a_dead_peer_refuses() {
    agrees(
        "a_datagram_reader_sees_one_datagram_and_a_dead_peer_refuses",
        "\
process a
a: socketpair d dgram
a: send d.0 100
a: send d.0 30
expect d.1 queued 100
a: recv d.1 10
expect a result 10
expect d.1 queued 30
a: close d.1
a: send d.0 5
expect a result ECONNREFUSED
",
    );
}

#[test]
fn an_end_nobody_holds_shows_what_the_other_end_queues() {
    agrees(
        "an_end_nobody_holds_shows_what_the_other_end_queues",
        "\
process parent
parent: pipe p
parent: socketpair s
parent: fork child
parent: send p.w 10
parent: send s.0 20
parent: send s.1 7
parent: close p.r
child: close p.r
child: close s.1
child: close p.w
child: close s.0
expect p.w queued 10
expect s.0 queued 7
parent: close s.1
parent: close p.w
",
    );
}

#[test]
fn handlers_ignores_and_default_deaths_then_kill_of_zombie_and_reaped() {
    agrees(
        "handlers_ignores_and_default_deaths_then_kill_of_zombie_and_reaped",
        "\
process parent
parent: fork child
child: signal SIGUSR1 handle
parent: kill child SIGUSR1
expect parent result 0
expect child handled SIGUSR1 1
child: signal SIGUSR1 ignore
parent: kill child SIGUSR1
expect child handled SIGUSR1 1
child: signal SIGUSR1 default
parent: kill child SIGUSR1
expect child state zombie
parent: kill child SIGUSR1
expect parent result 0
parent: wait child
expect parent status signaled SIGUSR1
parent: kill child SIGTERM
expect parent result ESRCH
",
    );
}

#[test]
fn blocked_standard_signals_coalesce_and_realtime_ones_queue() {
    agrees(
        "blocked_standard_signals_coalesce_and_realtime_ones_queue",
        "\
process parent
parent: fork child
child: signal SIGUSR1 handle
child: block SIGUSR1
parent: kill child SIGUSR1
parent: kill child SIGUSR1
expect child handled SIGUSR1 0
child: unblock SIGUSR1
expect child handled SIGUSR1 1
child: signal SIGRTMIN handle
child: block SIGRTMIN
parent: kill child SIGRTMIN
parent: kill child SIGRTMIN
parent: kill child SIGRTMIN
parent: kill child SIGRTMIN
parent: kill child SIGRTMIN
child: unblock SIGRTMIN
expect child handled SIGRTMIN 5
",
    );
}

#[test]
fn ten_children_leave_one_sigchld() {
    agrees(
        "ten_children_leave_one_sigchld",
        "\
process parent
parent: signal SIGCHLD handle
parent: block SIGCHLD
parent: fork c1
parent: fork c2
parent: fork c3
parent: fork c4
parent: fork c5
parent: fork c6
parent: fork c7
parent: fork c8
parent: fork c9
parent: fork c10
c1: exit 0
c2: exit 0
c3: exit 0
c4: exit 0
c5: exit 0
c6: exit 0
c7: exit 0
c8: exit 0
c9: exit 0
c10: exit 0
expect parent handled SIGCHLD 0
parent: unblock SIGCHLD
expect parent handled SIGCHLD 1
expect c7 state zombie
parent: wait
parent: wait
parent: wait
parent: wait
parent: wait
parent: wait
parent: wait
parent: wait
parent: wait
parent: wait
parent: wait
expect parent result ECHILD
",
    );
}

#[test]
fn a_sleeping_reader_killed_by_sigterm_is_reaped() {
    agrees(
        "a_sleeping_reader_killed_by_sigterm_is_reaped",
        "\
process parent
parent: pipe p
parent: fork child
child: recv p.r 10
parent: kill child SIGTERM
expect child state zombie
parent: wait child
expect parent status signaled SIGTERM
",
    );
}

#[test]
fn nocldwait_and_sig_ign_reap_children_at_once() {
    agrees(
        "nocldwait_and_sig_ign_reap_children_at_once",
        "\
process parent
parent: signal SIGCHLD handle nocldwait
parent: fork child
child: exit 3
expect child state gone
expect parent handled SIGCHLD 1
parent: wait
expect parent result ECHILD
parent: signal SIGCHLD ignore
parent: fork c2
c2: exit 0
expect c2 state gone
parent: wait c2
expect parent result ECHILD
",
    );
}

#[test]
fn a_handler_interrupts_a_sleeping_call_which_restarts() {
    agrees(
        "a_handler_interrupts_a_sleeping_call_which_restarts",
        "\
process parent
parent: socketpair s
parent: fork child
child: signal SIGUSR1 handle
child: recv s.1 10
expect child state blocked
parent: kill child SIGUSR1
expect child handled SIGUSR1 1
expect child state blocked
parent: send s.0 4
expect child result 4
parent: signal SIGUSR2 handle
parent: wait child
expect parent state blocked
child: kill parent SIGUSR2
expect parent handled SIGUSR2 1
expect parent state blocked
child: exit 2
expect parent result 3
expect parent status exited 2
",
    );
}

#[test]
fn a_stopped_child_notifies_its_parent_on_stop_and_continue() {
    agrees(
        "a_stopped_child_notifies_its_parent_on_stop_and_continue",
        "\
process parent
parent: signal SIGCHLD handle
parent: fork child
parent: kill child SIGSTOP
expect child state stopped
expect parent handled SIGCHLD 1
parent: kill child SIGCONT
expect child state running
expect parent handled SIGCHLD 2
parent: kill child SIGKILL
expect parent handled SIGCHLD 3
parent: wait child
expect parent status signaled SIGKILL
",
    );
}

#[test]
fn a_stopped_reader_keeps_its_signals_pending_until_sigcont() {
    agrees(
        "a_stopped_reader_keeps_its_signals_pending_until_sigcont",
        "\
process parent
parent: pipe p
parent: fork child
child: signal SIGUSR1 handle
child: recv p.r 10
parent: kill child SIGSTOP
expect child state stopped
parent: kill child SIGUSR1
expect child handled SIGUSR1 0
parent: send p.w 3
expect child state stopped
parent: kill child SIGCONT
expect child handled SIGUSR1 1
expect child result 3
expect child state running
",
    );
}

#[test]
fn a_process_that_stops_itself_has_returned_zero() {
    agrees(
        "a_process_that_stops_itself_has_returned_zero",
        "\
process parent
parent: fork child
parent: signal SIGCHLD handle
child: kill child SIGSTOP
expect child result 0
expect child state stopped
expect parent handled SIGCHLD 1
parent: kill child SIGCONT
expect child state running
expect parent handled SIGCHLD 2
parent: wait child
child: kill child SIGKILL
expect parent status signaled SIGKILL
parent: fork c3
parent: kill c3 SIGSTOP
parent: kill c3 SIGKILL
expect c3 state zombie
parent: fork c4
c4: signal SIGTSTP handle
c4: block SIGTSTP
parent: kill c4 SIGTSTP
c4: signal SIGTSTP default
c4: unblock SIGTSTP
expect c4 state stopped
expect c4 result 0
parent: kill c4 SIGCONT
expect c4 state running
",
    );
}

#[test]
fn a_handler_interrupting_a_partial_write_returns_the_bytes() {
    agrees(
        "a_handler_interrupting_a_partial_write_returns_the_bytes",
        "\
process parent
parent: pipe p
parent: fork child
child: signal SIGUSR1 handle
child: send p.w 70000
expect child state blocked
parent: kill child SIGUSR1
expect child result 65536
expect child handled SIGUSR1 1
parent: socketpair s
parent: fork c2
c2: signal SIGUSR2 handle
c2: sndbuf s.0 4608
c2: send s.0 100000
expect c2 state blocked
parent: kill c2 SIGUSR2
expect c2 state running
parent: fork c3
c3: signal SIGUSR2 handle
c3: recv s.1 1
c3: send s.1 10
c3: sndbuf s.1 4608
c3: send s.1 100000 nonblock
c3: send s.1 100000
expect c3 state blocked
parent: kill c3 SIGUSR2
expect c3 state blocked
",
    );
}

#[test]
fn socket_eof_wakes_a_stream_reader_but_not_a_datagram_one() {
    agrees(
        "socket_eof_wakes_a_stream_reader_but_not_a_datagram_one",
        "\
process parent
parent: socketpair s
parent: fork child
child: close s.0
child: recv s.1 10
expect child state blocked
parent: close s.0
expect child result 0
parent: socketpair d dgram
parent: fork c2
c2: close d.0
c2: recv d.1 10
parent: close d.0
expect c2 state blocked
parent: kill c2 SIGKILL
parent: wait c2
expect parent status signaled SIGKILL
",
    );
}

#[test]
fn handler_counts_start_from_zero_at_exec() {
    agrees(
        "handler_counts_start_from_zero_at_exec",
        "\
process parent
parent: signal SIGUSR1 handle
parent: kill parent SIGUSR1
expect parent handled SIGUSR1 1
parent: exec node
expect parent handled SIGUSR1 0
parent: kill parent SIGUSR1
expect parent state gone
",
    );
}

#[test]
fn misc_eagain_eof_ebadf_and_stop_then_terminate() {
    agrees(
        "misc_eagain_eof_ebadf_and_stop_then_terminate",
        "\
process a
a: pipe p
a: recv p.r 5 nonblock
expect a result EAGAIN
a: close p.w
a: recv p.r 5 nonblock
expect a result 0
a: close p.r
a: close p.r
expect a result EBADF
a: socketpair s
a: sndbuf s.0 1
a: send s.0 3000 nonblock
expect a result 3000
a: send s.0 3000 nonblock
expect a result EAGAIN
a: recv s.1 5000
expect a result 3000
a: fork b
b: kill a SIGSTOP
expect a state stopped
b: kill a SIGTERM
expect a state stopped
b: kill a SIGCONT
expect a state gone
",
    );
}

#[test]
fn edge_cases_of_pipesize_sigaction_wait_dgram_and_a_zombie_orphan() {
    agrees(
        "edge_cases_of_pipesize_sigaction_wait_dgram_and_a_zombie_orphan",
        "\
process a
a: pipe p
a: pipesize p 0
a: pipesize p 1
a: pipesize p 5000
a: pipesize p 4096
a: send p.w 4096 nonblock
a: send p.w 1 nonblock
a: signal SIGKILL handle
a: signal SIGSTOP ignore
a: wait
a: fork b
b: kill b SIGKILL
a: socketpair s
a: sndbuf s.0 0
a: send s.0 5000 nonblock
a: send s.0 5000 nonblock
a: socketpair d dgram
a: send d.0 300000
a: send d.0 212000 nonblock
a: recv d.1 1
a: close d.0
a: recv d.1 10 nonblock
a: recv s.1 100000
a: fork c
c: signal SIGCHLD ignore
a: signal SIGUSR2 ignore
a: block SIGUSR2
a: kill a SIGUSR2
a: signal SIGUSR2 default
a: unblock SIGUSR2
",
    );
}

#[test]
fn exec_keeps_fds_mask_and_ignored_signals_and_sigcont_is_caught_after_unblock() {
    agrees(
        "exec_keeps_fds_mask_and_ignored_signals_and_sigcont_is_caught_after_unblock",
        "\
process a
a: pipe p
a: signal SIGUSR1 handle
a: signal SIGUSR2 ignore
a: block SIGUSR1
a: kill a SIGUSR1
a: exec node
expect a handled SIGUSR1 0
a: send p.w 10
expect p.r queued 10
a: fork b
b: kill b SIGUSR2
expect b state running
b: block SIGCONT
b: signal SIGCONT handle
a: kill b SIGSTOP
a: kill b SIGCONT
expect b state running
b: unblock SIGCONT
expect b handled SIGCONT 1
a: unblock SIGUSR1
expect a state gone
",
    );
}

/// 510 pipes of `p`: fds 3 to 1022 under the model's RLIMIT_NOFILE of
/// 1024, one number (1023) left free.
fn at_the_fd_limit(title: &str) -> String {
    let mut text = format!("title {title}\nprocess p\n");
    for n in 1..=510 {
        text.push_str(&format!("p: pipe p{n}\n"));
    }
    text
}

#[test]
fn a_child_forked_and_exec_d_at_the_fd_limit_has_as_few_free_fds_as_its_parent() {
    let mut text = at_the_fd_limit("fork and exec at the fd limit");
    text.push_str(
        "\
p: close p1.r
p: pipe y
expect p result 0
p: fork c
c: pipe z
expect c result EMFILE
c: exec node
expect c result 0
c: send y.w 3
expect c result 3
c: close p2.r
c: socketpair s
expect c result EMFILE
c: close p2.w
c: socketpair t
expect c result 0
c: send t.0 4
c: recv t.1 10
expect c result 4
p: socketpair u
expect p result EMFILE
c: exit 0
p: wait c
expect p status exited 0
p: recv y.r 10
expect p result 3
",
    );
    agrees(
        "a_child_forked_and_exec_d_at_the_fd_limit_has_as_few_free_fds_as_its_parent",
        &text,
    );
}

#[test]
fn an_fd_that_check_inherits_is_not_a_scenario_processs() {
    // fd 5 open in `forkscope check` without close-on-exec, as a shell may
    // leave one: its workers must not inherit it, or the 510th pipe would
    // find no room.
    let mut text = at_the_fd_limit("an inherited fd takes no room");
    text.push_str("expect p result 0\np: pipe x\nexpect p result EMFILE\n");
    let path = common::scenario_file("an_fd_that_check_inherits", &text);
    let out = {
        let _guard = FORK_MTX.lock().unwrap_or_else(|e| e.into_inner());
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_forkscope"));
        cmd.arg("check").arg(&path);
        // Safety: dup2 is async-signal-safe and allocates nothing; a dup2
        // result has no close-on-exec flag.
        unsafe {
            std::os::unix::process::CommandExt::pre_exec(&mut cmd, || {
                libc::dup2(2, 5);
                Ok(())
            });
        }
        cmd.output().unwrap()
    };
    assert_agrees(&out);
}

/// `check` exited 0 and printed an agreement.
#[track_caller]
fn assert_agrees(out: &std::process::Output) {
    let stdout = common::assert_exit(out, Some(0));
    assert!(stdout.contains("| agree"), "{stdout}");
}
