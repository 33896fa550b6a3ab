//! The IPC channel's life beyond a message: `disconnect()` from either
//! side, a send or a disconnect on a closed channel ('error' with node's
//! code), internal `NODE_` messages ('internalMessage'), several messages
//! in one read, and a parent that dies first (its children read end of
//! file, emit 'disconnect' and go on, adopted by init). Each as node 20.20
//! does it; native/tests/check_node.rs holds the same scenarios against
//! real node.

use crate::engine::{Sim, Step};
use crate::scenario::Pos;

const FORKED: &str = "node main\nmain: const w = child_process.fork('./worker.js')\n";

fn run(text: &str) -> Sim {
    let mut sim = Sim::from_source(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
    if let Err(e) = sim.run_to_end() {
        panic!("{text:?} stops: {e}");
    }
    sim
}

fn group_steps(sim: &Sim, line: u32) -> Vec<String> {
    sim.steps()
        .iter()
        .filter(|s| s.group.as_ref().is_some_and(|g| g.pos.line == line))
        .map(|s| s.source.clone())
        .collect()
}

/// The Node events of the group from line `line`.
fn events_of(sim: &Sim, line: u32) -> Vec<String> {
    sim.steps()
        .iter()
        .filter_map(|s: &Step| s.group.as_ref())
        .filter(|g| g.pos.line == line)
        .flat_map(|g| &g.events)
        .map(|e| format!("{} {} {}", e.process, e.object, e.call()))
        .collect()
}

fn error(text: &str) -> (Pos, String) {
    let e = Sim::from_source(text)
        .and_then(|mut sim| sim.run_to_end())
        .expect_err("an error");
    (e.pos, e.kind.to_string())
}

#[test]
fn a_parents_disconnect_closes_both_ends_and_both_sides_emit_disconnect() {
    let sim = run(&format!("{FORKED}main: w.disconnect()\n"));
    assert_eq!(
        group_steps(&sim, 3),
        [
            "main: close w-ipc.0",
            "w: recv w-ipc.1 65536",
            "w: close w-ipc.1",
        ]
    );
    assert_eq!(
        events_of(&sim, 3),
        ["main w 'disconnect'", "w process 'disconnect'"]
    );
    let node = sim.current().node();
    assert!(
        !node
            .proc("main")
            .unwrap()
            .children
            .get("w")
            .unwrap()
            .connected
    );
    assert!(!node.proc("w").unwrap().parent_connected);
}

#[test]
fn after_a_parents_disconnect_the_childs_exit_gives_exit_and_never_close() {
    let sim = run(&format!(
        "{FORKED}main: w.disconnect()\nw: process.exit(3)\n\
         expect main events w spawn disconnect exit\n"
    ));
    // No end of file to read: the channel was closed already.
    assert_eq!(
        group_steps(&sim, 4),
        [
            "w: exit 3",
            "main: send main-sig.w 16 nonblock",
            "main: recv main-sig.r 512 nonblock",
            "main: wait w nohang",
        ]
    );
    assert_eq!(events_of(&sim, 4), ["main w 'exit' (3, null)"]);
    assert!(sim.failed_expects().next().is_none());
}

#[test]
fn a_childs_disconnect_reaches_the_parent_and_close_follows_its_exit() {
    let sim = run(&format!(
        "{FORKED}w: process.disconnect()\nw: process.exit(0)\n"
    ));
    assert_eq!(
        group_steps(&sim, 3),
        [
            "w: close w-ipc.1",
            "main: recv w-ipc.0 65536",
            "main: close w-ipc.0",
        ]
    );
    assert_eq!(
        events_of(&sim, 3),
        ["w process 'disconnect'", "main w 'disconnect'"]
    );
    assert_eq!(
        events_of(&sim, 4),
        ["main w 'exit' (0, null)", "main w 'close' (0, null)"]
    );
}

#[test]
fn a_send_or_a_disconnect_on_a_closed_channel_emits_error_with_nodes_code() {
    let sim = run(&format!(
        "{FORKED}main: w.disconnect()\nmain: w.send('late')\nmain: w.disconnect()\n\
         w: process.send('late')\nw: process.disconnect()\n\
         expect main event w error 'ERR_IPC_CHANNEL_CLOSED'\n"
    ));
    // Each is one step node takes alone: no kernel call, nothing written.
    for line in [4, 5, 6, 7] {
        let steps: Vec<_> = sim
            .steps()
            .iter()
            .filter_map(|s| s.group.as_ref())
            .filter(|g| g.pos.line == line)
            .collect();
        assert_eq!(steps.len(), 1, "line {line}");
        assert!(steps[0].kernel.is_none(), "line {line}: {:?}", steps[0]);
    }
    assert_eq!(sim.current().node().unread("w-ipc", 1), b"");
    assert_eq!(
        events_of(&sim, 4),
        ["main w 'error' (\"ERR_IPC_CHANNEL_CLOSED\")"]
    );
    assert_eq!(
        events_of(&sim, 5),
        ["main w 'error' (\"ERR_IPC_DISCONNECTED\")"]
    );
    assert_eq!(
        events_of(&sim, 6),
        ["w process 'error' (\"ERR_IPC_CHANNEL_CLOSED\")"]
    );
    assert_eq!(
        events_of(&sim, 7),
        ["w process 'error' (\"ERR_IPC_DISCONNECTED\")"]
    );
    assert!(sim.failed_expects().next().is_none());
    let why = &sim.steps().last().unwrap().group.as_ref().unwrap().why;
    assert!(why.contains("ERR_IPC_DISCONNECTED"), "{why}");
}

#[test]
fn a_parent_that_dies_first_leaves_its_child_running_disconnected_under_init() {
    let sim = run(&format!(
        "{FORKED}main: process.exit(0)\n\
         expect w state running\nexpect w parent init\n\
         expect w events process disconnect\n"
    ));
    assert_eq!(
        group_steps(&sim, 3),
        ["main: exit 0", "w: recv w-ipc.1 65536", "w: close w-ipc.1"]
    );
    assert_eq!(events_of(&sim, 3), ["w process 'disconnect'"]);
    assert!(
        sim.failed_expects().next().is_none(),
        "{:?}",
        sim.failed_expects().collect::<Vec<_>>()
    );
}

#[test]
fn a_node_message_is_internal_and_emitted_as_internal_message() {
    let sim = run(&format!(
        "{FORKED}main: w.send({{cmd: 'NODE_HELLO', n: 1}})\nmain: w.send({{cmd: 'NODE_'}})\n\
         main: w.send({{cmd: 'node_x'}})\n"
    ));
    assert_eq!(
        events_of(&sim, 3),
        ["w process 'internalMessage' ({\"cmd\":\"NODE_HELLO\",\"n\":1})"]
    );
    // `cmd` must be longer than "NODE_"; the prefix is case-sensitive.
    assert_eq!(
        events_of(&sim, 4),
        ["w process 'message' ({\"cmd\":\"NODE_\"})"]
    );
    assert_eq!(
        events_of(&sim, 5),
        ["w process 'message' ({\"cmd\":\"node_x\"})"]
    );
}

#[test]
fn disconnect_parse_errors_name_their_line_and_column() {
    let cases = [
        (
            "node main\nmain: w.disconnect(1)\n",
            (2, 20),
            "expected \")\"",
        ),
        (
            "node main\nmain: w.disconect()\n",
            (2, 9),
            "expected send, kill or disconnect",
        ),
        (
            "node main\nmain: process.disconnect() x\n",
            (2, 28),
            "the end of the statement",
        ),
        (
            "process p\np: process.disconnect()\n",
            (2, 1),
            "p is not a node process",
        ),
        (
            "node main\nmain: process.disconnect()\n",
            (2, 1),
            "no IPC channel to a parent",
        ),
        (
            "node main\nmain: x.disconnect()\n",
            (2, 7),
            "no child object named \"x\"",
        ),
    ];
    for (text, (line, col), message) in cases {
        let (pos, said) = error(text);
        assert_eq!((pos.line, pos.col), (line, col), "{text:?}: {said}");
        assert!(said.contains(message), "{text:?}: {said}");
    }
}

/// The bytes the `send()` of the group from line `line` wrote.
fn wrote(sim: &Sim, line: u32) -> Vec<Vec<u8>> {
    sim.steps()
        .iter()
        .filter_map(|s| s.group.as_ref())
        .filter(|g| g.pos.line == line)
        .filter_map(|g| g.wrote.clone())
        .collect()
}

const ADVANCED: &str =
    "node main\nmain: const w = child_process.fork('./worker.js', {serialization: 'advanced'})\n";

#[test]
fn an_advanced_channel_carries_a_length_and_v8s_bytes() {
    let sim = run(&format!(
        "{ADVANCED}main: w.send('bye')\nw: process.send(new Map([['a', 1]]))\n"
    ));
    // node 20: 00000007 ff0f 22 03 627965.
    assert_eq!(
        wrote(&sim, 3),
        [vec![0, 0, 0, 7, 0xff, 0x0f, 0x22, 3, b'b', b'y', b'e']]
    );
    assert_eq!(
        group_steps(&sim, 3),
        ["main: send w-ipc.0 11", "w: recv w-ipc.1 65536"]
    );
    assert_eq!(events_of(&sim, 3), ["w process 'message' (\"bye\")"]);
    // A Map survives; its listener's argument, as JSON text, is {}.
    assert_eq!(events_of(&sim, 4), ["main w 'message' ({})"]);
    let why = &sim.steps().last().unwrap().group.as_ref().unwrap().why;
    assert!(
        why.contains("into frames, each by its 4-byte length"),
        "{why}"
    );
}

#[test]
fn advanced_mode_sends_what_json_mode_throws_on() {
    // json mode: send() throws on a BigInt and writes nothing.
    let json = run(&format!("{FORKED}main: w.send({{n: 10n}})\n"));
    assert!(wrote(&json, 3).is_empty());
    // advanced mode sends it; JSON.stringify of what arrives throws, as
    // the listener's argument says.
    let adv = run(&format!("{ADVANCED}main: w.send({{n: 10n}})\n"));
    assert_eq!(wrote(&adv, 3).len(), 1);
    assert_eq!(
        events_of(&adv, 3),
        ["w process 'message' ((TypeError: Do not know how to serialize a BigInt))"]
    );
}

#[test]
fn fork_options_print_back_and_refuse_what_they_do_not_say() {
    let text = format!(
        "{ADVANCED}main: const v = child_process.fork('./v.js', {{serialization: 'json'}})\n"
    );
    let parsed = crate::scenario::parse(&text).unwrap();
    assert_eq!(crate::scenario::print(&parsed), text);
    let cases = [
        ("node main\nmain: const w = child_process.fork('./w.js', {serialization: 'xml'})\n", (2, 46)),
        ("node main\nmain: const w = child_process.fork('./w.js', {serialization: 'advanced', a: 1})\n", (2, 46)),
        ("node main\nmain: const w = child_process.fork('./w.js', 'advanced')\n", (2, 46)),
    ];
    for (text, (line, col)) in cases {
        let (pos, said) = error(text);
        assert_eq!((pos.line, pos.col), (line, col), "{text:?}: {said}");
        assert!(said.contains("{serialization: 'advanced'}"), "{said}");
    }
}

#[test]
fn a_message_longer_than_one_read_arrives_in_two_reads_as_one_message() {
    let long = "x".repeat(100_000);
    let sim = run(&format!("{FORKED}main: w.send('{long}')\n"));
    let steps = group_steps(&sim, 3);
    assert_eq!(
        steps[1..],
        ["w: recv w-ipc.1 65536", "w: recv w-ipc.1 65536"]
    );
    // The first read (65536 bytes) ends inside the line: no message yet;
    // the second brings the newline and the one message.
    let per_step: Vec<usize> = sim
        .steps()
        .iter()
        .filter_map(|s| s.group.as_ref())
        .filter(|g| g.pos.line == 3)
        .map(|g| g.events.len())
        .collect();
    assert_eq!(per_step, [0, 0, 1]);
    assert_eq!(wrote(&sim, 3)[0].len(), 100_003);
}

#[test]
fn sends_in_one_tick_arrive_in_one_read_as_one_message_each() {
    let text = format!(
        "{FORKED}main: w.send('a'); w.send({{b: 2}}); w.send([3])\n\
         w: process.send(1); process.send(2)\n"
    );
    let parsed = crate::scenario::parse(&text).unwrap();
    assert_eq!(crate::scenario::print(&parsed), text);
    let sim = run(&text);
    assert_eq!(
        group_steps(&sim, 3),
        [
            "main: send w-ipc.0 \"\\\"a\\\"\\n\"",
            "main: send w-ipc.0 \"{\\\"b\\\":2}\\n\"",
            "main: send w-ipc.0 \"[3]\\n\"",
            "w: recv w-ipc.1 65536",
        ]
    );
    // One read, three lines: three 'message' events, in order.
    assert_eq!(
        events_of(&sim, 3),
        [
            "w process 'message' (\"a\")",
            "w process 'message' ({\"b\":2})",
            "w process 'message' ([3])",
        ]
    );
    assert_eq!(group_steps(&sim, 4)[2..], ["main: recv w-ipc.0 65536"]);
    assert_eq!(events_of(&sim, 4).len(), 2);
}

#[test]
fn a_send_that_throws_ends_the_sends_of_its_tick() {
    let sim = run(&format!(
        "{FORKED}main: w.send('x'); w.send(10n); w.send('never')\n"
    ));
    assert_eq!(wrote(&sim, 3), [b"\"x\"\n".to_vec()]);
    assert_eq!(events_of(&sim, 3), ["w process 'message' (\"x\")"]);
    let (pos, said) = error("node main\nmain: w.send(1); w.snd(2)\n");
    assert_eq!((pos.line, pos.col), (2, 18), "{said}");
    assert!(said.contains("the end of the statement"), "{said}");
}
