//! spawn's 'ipc' stdio slot: `spawn('node', ['w.js'], {stdio: [..., 'ipc']})`
//! makes a node child with a channel, as fork() does: how it parses (one
//! 'ipc', for node only, errors at their line and column), the kernel
//! steps in slot order (strace, node 20: a socketpair per 'pipe' slot and
//! the channel's at its index, dup2 onto 0 to 3), and messages, exit and
//! disconnect both ways on the channel, with the stdio streams closed too.

use super::statements::{error, events, group_steps, run};
use crate::scenario;

const SPAWNED_NODE: &str = "node main\n\
    main: const w = child_process.spawn('node', ['w.js'], {stdio: ['pipe', 'pipe', 'pipe', 'ipc']})\n";

#[test]
fn an_ipc_slot_prints_as_written_and_parses_back_the_same() {
    let text = format!(
        "{SPAWNED_NODE}main: const v = child_process.spawn('/usr/bin/node', ['v.js'], {{stdio: ['ipc', 'inherit', 'ignore']}})\n"
    );
    let parsed = scenario::parse(&text).unwrap();
    let printed = scenario::print(&parsed);
    assert!(
        printed.contains("{stdio: ['pipe', 'pipe', 'pipe', 'ipc']}"),
        "{printed}"
    );
    assert!(
        printed.contains("{stdio: ['ipc', 'inherit', 'ignore']}"),
        "{printed}"
    );
    assert_eq!(scenario::parse(&printed).unwrap(), parsed);
}

#[test]
fn a_second_ipc_slot_or_a_program_other_than_node_is_an_error_at_the_options() {
    let cases = [
        (
            "main: const w = child_process.spawn('node', ['w.js'], {stdio: ['ipc', 'pipe', 'pipe', 'ipc']})",
            55,
            "at most one 'ipc' slot",
        ),
        (
            "main: const w = child_process.spawn('node', ['w.js'], {stdio: ['pipe', 'pipe', 'pipe', 'pipe']})",
            55,
            "4th slot (fd 3) is 'ipc'",
        ),
        (
            "main: const w = child_process.spawn('node', ['w.js'], {stdio: 'ipc'})",
            55,
            "stdio as 'pipe', 'inherit' or 'ignore'",
        ),
        (
            "main: const w = child_process.spawn('cat', [], {stdio: ['pipe', 'pipe', 'pipe', 'ipc']})",
            48,
            "'ipc' only for node",
        ),
    ];
    for (line, col, message) in cases {
        let (pos, got) = error(&format!("node main\n{line}\n"));
        assert_eq!((pos.line, pos.col), (2, col), "{line}: {got}");
        assert!(got.contains(message), "{line}: {got}");
    }
}

#[test]
fn spawn_with_ipc_makes_its_socketpairs_in_slot_order_and_execs_node() {
    let sim = run(SPAWNED_NODE);
    assert_eq!(
        group_steps(&sim, 2),
        [
            "main: socketpair w-stdin cloexec",
            "main: socketpair w-stdout cloexec",
            "main: socketpair w-stderr cloexec",
            "main: socketpair w-ipc cloexec",
            "main: signal SIGCHLD handle mask all",
            "main: pipe w-err cloexec",
            "main: fork w",
            "main: close w-err.w",
            "main: recv w-err.r 4",
            "w: signal SIGCHLD default",
            "w: cloexec w-stdin.1 off",
            "w: cloexec w-stdout.1 off",
            "w: cloexec w-stderr.1 off",
            "w: cloexec w-ipc.1 off",
            "w: exec node",
            "main: close w-err.r",
            "main: close w-stdin.1",
            "main: close w-stdout.1",
            "main: close w-stderr.1",
            "main: close w-ipc.1",
            "w: cloexec w-ipc.1 on",
            "w: pipe w-sig cloexec",
        ]
    );
    assert_eq!(events(&sim), ["main w 'spawn'"]);
}

#[test]
fn the_channel_slot_may_come_first_in_place_of_stdin() {
    let sim = run("node main\n\
         main: const w = child_process.spawn('node', ['w.js'], {stdio: ['ipc', 'inherit', 'pipe']})\n");
    let steps = group_steps(&sim, 2);
    let pairs: Vec<_> = steps.iter().filter(|s| s.contains("socketpair")).collect();
    assert_eq!(
        pairs,
        [
            "main: socketpair w-ipc cloexec",
            "main: socketpair w-stderr cloexec"
        ]
    );
}

#[test]
fn messages_go_both_ways_and_exit_closes_the_channel_and_the_streams() {
    let sim = run(&format!(
        "{SPAWNED_NODE}main: w.send('hi')\n\
         w: process.send({{got: 'hi'}})\n\
         w: process.exit(0)\n\
         expect main events w spawn message disconnect exit close\n"
    ));
    assert_eq!(
        events(&sim),
        [
            "main w 'spawn'",
            "w process 'message' (\"hi\")",
            "main w 'message' ({\"got\":\"hi\"})",
            "main w 'disconnect'",
            "main w.stdout 'end'",
            "main w.stderr 'end'",
            "main w 'exit' (0, null)",
            "main w 'close' (0, null)",
        ]
    );
    // 'close' waited for the three stdio streams as well as the channel.
    let exit = group_steps(&sim, 5);
    for stream in [
        "main: close w-stdout.0",
        "main: close w-stderr.0",
        "main: close w-stdin.0",
    ] {
        assert!(exit.contains(&stream.to_string()), "{stream} in {exit:?}");
    }
    assert!(sim
        .steps()
        .last()
        .unwrap()
        .expects
        .iter()
        .all(|e| e.holds()));
}

#[test]
fn disconnect_from_the_spawned_node_reaches_its_parent() {
    let sim = run(&format!(
        "{SPAWNED_NODE}w: process.disconnect()\nexpect main events w spawn disconnect\n"
    ));
    assert!(
        events(&sim).contains(&"main w 'disconnect'".to_string()),
        "{:?}",
        events(&sim)
    );
    assert!(group_steps(&sim, 3).contains(&"w: close w-ipc.1".to_string()));
    assert!(sim
        .steps()
        .iter()
        .all(|s| s.expects.iter().all(|e| e.holds())));
}

#[test]
fn a_channel_on_fd_0_to_2_is_never_closed_by_disconnect_only_by_death() {
    // libuv never closes fds 0 to 2: the child's disconnect() emits
    // 'disconnect' in it and closes nothing; main reads end of file, and
    // emits its own 'disconnect', only as w dies.
    let sim = run("node main\n\
         main: const w = child_process.spawn('node', ['./w.js'], {stdio: ['ipc', 'inherit', 'pipe']})\n\
         w: process.disconnect()\n\
         expect main events w spawn\n\
         expect w events process disconnect\n\
         expect w fd w-ipc.1 cloexec\n\
         main: w.kill()\n\
         expect main events w spawn disconnect exit close\n");
    // One step node takes alone: no system call.
    assert_eq!(group_steps(&sim, 3), ["w: process.disconnect()"]);
    let kill = group_steps(&sim, 7);
    assert!(
        kill.contains(&"main: recv w-ipc.0 65536".to_string()),
        "{kill:?}"
    );
    assert!(sim
        .steps()
        .iter()
        .all(|s| s.expects.iter().all(|e| e.holds())));
}

#[test]
fn a_parents_disconnect_is_read_by_a_child_that_keeps_its_stdio_channel_open() {
    let sim = run("node main\n\
         main: const w = child_process.spawn('node', ['w.js'], {stdio: ['pipe', 'ipc', 'pipe']})\n\
         main: w.disconnect()\n\
         expect w events process disconnect\n\
         expect w fd w-ipc.1 cloexec\n");
    assert_eq!(
        group_steps(&sim, 3),
        [
            "main: close w-ipc.0",
            "w: recv w-ipc.1 65536",
            // node's step alone: w's fd 1 stays open.
            "main: w.disconnect()"
        ]
    );
    assert!(sim
        .steps()
        .iter()
        .all(|s| s.expects.iter().all(|e| e.holds())));
}
