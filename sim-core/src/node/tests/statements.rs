//! Node statements: how they parse and print (with errors at their line
//! and column), the kernel steps each expands into, in order, the Node
//! events they emit with their arguments, a message's exact bytes in the
//! model's channel, and the event expects, holding and failing.

use crate::engine::{Sim, Step};
use crate::scenario::{self, Expect, Pos, StatementKind};

/// A Node-only scenario with a forked child, the base of most tests.
const FORKED: &str = "node main\nmain: const w = child_process.fork('./worker.js')\n";

pub(super) fn run(text: &str) -> Sim {
    let mut sim = Sim::from_source(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
    if let Err(e) = sim.run_to_end() {
        panic!("{text:?} stops: {e}");
    }
    sim
}

/// The kernel steps of the group from line `line`, as their source lines.
pub(super) fn group_steps(sim: &Sim, line: u32) -> Vec<String> {
    sim.steps()
        .iter()
        .filter(|s| s.group.as_ref().is_some_and(|g| g.pos.line == line))
        .map(|s| s.source.clone())
        .collect()
}

/// Every Node event of the run, as `process object 'name' (args)`.
pub(super) fn events(sim: &Sim) -> Vec<String> {
    sim.steps()
        .iter()
        .filter_map(|s: &Step| s.group.as_ref())
        .flat_map(|g| &g.events)
        .map(|e| format!("{} {} {}", e.process, e.object, e.call()))
        .collect()
}

pub(super) fn error(text: &str) -> (Pos, String) {
    let e = Sim::from_source(text)
        .and_then(|mut sim| sim.run_to_end())
        .expect_err("an error");
    (e.pos, e.kind.to_string())
}

#[test]
fn node_statements_print_as_written_and_parse_back_the_same() {
    let text = "node main\n\
                main: const w = child_process.fork( './worker.js' ) ; # a comment\n\
                main: w.send({hello: 'world', n: [1, 2, 3]})\n\
                w: process.send(\"a #b\")\n\
                w: process.exit()\n\
                main: w.kill('SIGKILL')\n\
                main: w.kill(9)\n\
                w: process.exit(7)\n\
                expect main event w message {\"hello\": \"world\"}\n\
                expect main event w exit null 'SIGTERM'\n\
                expect w event process spawn\n\
                expect main events w spawn message disconnect exit close\n";
    let parsed = scenario::parse(text).unwrap();
    let printed = scenario::print(&parsed);
    assert_eq!(
        printed,
        "node main\n\
         main: const w = child_process.fork('./worker.js')\n\
         main: w.send({hello: 'world', n: [1, 2, 3]})\n\
         w: process.send(\"a #b\")\n\
         w: process.exit()\n\
         main: w.kill('SIGKILL')\n\
         main: w.kill(9)\n\
         w: process.exit(7)\n\
         expect main event w message {\"hello\": \"world\"}\n\
         expect main event w exit null 'SIGTERM'\n\
         expect w event process spawn\n\
         expect main events w spawn message disconnect exit close\n"
    );
    assert_eq!(scenario::parse(&printed).unwrap(), parsed);
    // The value keeps where it was written.
    let StatementKind::Node { stmt, .. } = &parsed.statements[2].kind else {
        panic!("a Node statement");
    };
    let scenario::NodeStmt::Send { message, .. } = stmt else {
        panic!("a send");
    };
    assert_eq!(message.pos, Pos { line: 3, col: 14 });
    let Some(StatementKind::Expect {
        expect: Expect::Event { args, .. },
    }) = parsed.statements.get(9).map(|s| &s.kind)
    else {
        panic!("an event expect");
    };
    assert_eq!(args.len(), 2);
}

#[test]
fn a_node_statement_that_does_not_parse_names_its_line_and_column() {
    let cases = [
        (
            "node main\nmain: const W = child_process.fork('./w.js')\n",
            (2, 13),
            "\"W\" is not a name",
        ),
        (
            "node main\nmain: const w = child_process.execSync('ls')\n",
            (2, 31),
            "expected child_process.fork, spawn, exec or execFile",
        ),
        (
            "node main\nmain: const w = child_process.fork(3)\n",
            (2, 36),
            "the module's path as a string",
        ),
        (
            "node main\nmain: w.send({a: 1,, b: 2})\n",
            (2, 20),
            "bad JavaScript value",
        ),
        (
            "node main\nmain: w.send('abc)\n",
            (2, 14),
            "unterminated string",
        ),
        (
            "node main\nmain: w.snd(1)\n",
            (2, 9),
            "expected send, kill or disconnect",
        ),
        (
            "node main\nmain: process.kill()\n",
            (2, 15),
            "expected process.send, process.exit or process.disconnect",
        ),
        (
            "node main\nmain: w.kill('SIGNOPE')\n",
            (2, 14),
            "a signal such as 'SIGKILL'",
        ),
        (
            "node main\nmain: process.exit(1.5)\n",
            (2, 20),
            "an exit code, an integer",
        ),
        (
            "node main\nmain: w.send(1) extra\n",
            (2, 17),
            "expected the end of the statement, found \"extra\"",
        ),
        (
            "node main\nexpect main event w exit 0\n",
            (2, 26),
            "'exit' takes 2 arguments",
        ),
        (
            "node main\nexpect main event w spwan\n",
            (2, 21),
            "expected spawn, message, exit, disconnect, close, error, internalMessage, callback, online, data or end, found \"spwan\"",
        ),
    ];
    for (text, (line, col), message) in cases {
        let (pos, said) = error(text);
        assert_eq!((pos.line, pos.col), (line, col), "{text:?}: {said}");
        assert!(said.contains(message), "{text:?}: {said}");
    }
}

#[test]
fn a_node_statement_in_a_process_that_runs_no_node_or_on_no_child_object_is_an_error() {
    let (pos, said) = error("process p\np: w.send(1)\n");
    assert_eq!(pos, Pos { line: 2, col: 1 });
    assert!(said.contains("p is not a node process"), "{said}");
    let (pos, said) = error(&format!("{FORKED}main: x.send(1)\n"));
    assert_eq!(pos, Pos { line: 3, col: 7 });
    assert!(
        said.contains("main has no child object named \"x\""),
        "{said}"
    );
    let (pos, said) = error("node main\nmain: process.send(1)\n");
    assert_eq!(pos, Pos { line: 2, col: 1 });
    assert!(said.contains("no IPC channel to a parent"), "{said}");
    let (pos, said) = error(&format!("{FORKED}expect main event x spawn\n"));
    assert_eq!(pos, Pos { line: 3, col: 19 });
    assert!(said.contains("no child object named \"x\""), "{said}");
}

/// The order node 20's system calls show (`forkscope check --node`
/// compares them): the SIGCHLD handler before the error pipe, and the new
/// node's channel close-on-exec before its signal pipe.
#[test]
fn fork_expands_into_the_kernel_steps_of_libuvs_spawn_in_order() {
    let sim = run(FORKED);
    assert_eq!(
        group_steps(&sim, 1),
        ["process main", "main: pipe main-sig cloexec"]
    );
    assert_eq!(
        group_steps(&sim, 2),
        [
            "main: socketpair w-ipc cloexec",
            "main: signal SIGCHLD handle mask all",
            "main: pipe w-err cloexec",
            "main: fork w",
            "main: close w-err.w",
            "main: recv w-err.r 4",
            "w: signal SIGCHLD default",
            "w: cloexec w-ipc.1 off",
            "w: exec node",
            "main: close w-err.r",
            "main: close w-ipc.1",
            "w: cloexec w-ipc.1 on",
            "w: pipe w-sig cloexec",
        ]
    );
    assert_eq!(events(&sim), ["main w 'spawn'"]);
    // 'spawn' comes when the exec closed the error pipe's last write end
    // and the parent's read returned 0.
    let exec = sim
        .steps()
        .iter()
        .find(|s| s.source == "w: exec node")
        .unwrap();
    assert_eq!(exec.group.as_ref().unwrap().events.len(), 1);
    // Every step of the group records it, in order; the last one tells it.
    let groups: Vec<_> = sim.steps()[2..]
        .iter()
        .map(|s| s.group.clone().unwrap())
        .collect();
    assert!(groups.iter().enumerate().all(|(i, g)| g.index == i as u32));
    assert!(groups
        .iter()
        .rev()
        .skip(1)
        .all(|g| !g.last && g.narration.is_none()));
    let told = groups.last().unwrap().narration.clone().unwrap();
    assert!(told.contains("child object w emits 'spawn'"), "{told}");
}

#[test]
fn only_the_first_fork_installs_libuvs_sigchld_handler() {
    let sim = run(&format!(
        "{FORKED}main: const v = child_process.fork('./v.js')\n"
    ));
    let second = group_steps(&sim, 3);
    assert!(
        !second.iter().any(|s| s.contains("signal SIGCHLD handle")),
        "{second:?}"
    );
    // The child inherits the handler, and libuv's child code resets it.
    assert!(second.contains(&"v: signal SIGCHLD default".to_string()));
}

#[test]
fn a_send_writes_json_and_a_newline_which_the_other_side_reads_as_one_message() {
    let mut sim = Sim::from_source(&format!(
        "{FORKED}main: w.send({{hello: 'world', skip: undefined}})\n"
    ))
    .unwrap();
    // Up to the send's own write: the bytes wait in the channel.
    while sim.steps().last().map(|s| s.source.as_str())
        != Some("main: send w-ipc.0 \"{\\\"hello\\\":\\\"world\\\"}\\n\"")
    {
        sim.step().unwrap().expect("a step");
    }
    let world = sim.current();
    assert_eq!(world.node().unread("w-ipc", 1), b"{\"hello\":\"world\"}\n");
    sim.run_to_end().unwrap();
    assert_eq!(sim.current().node().unread("w-ipc", 1), b"");
    assert_eq!(
        group_steps(&sim, 3),
        [
            "main: send w-ipc.0 \"{\\\"hello\\\":\\\"world\\\"}\\n\"",
            "w: recv w-ipc.1 65536",
        ]
    );
    assert_eq!(
        events(&sim)[1..],
        ["w process 'message' ({\"hello\":\"world\"})"]
    );
    // The model's socket moved exactly those 18 bytes.
    let send = &sim.steps()[sim.steps().len() - 2];
    let result = sim
        .world(send.index)
        .unwrap()
        .proc(sim.current().pid_of("main").unwrap());
    assert_eq!(
        result.last_op.as_ref().and_then(|l| l.result),
        Some(scenario::OpResult::Value(18))
    );
}

#[test]
fn a_send_node_would_throw_is_a_step_that_writes_nothing() {
    let sim = run(&format!(
        "{FORKED}main: w.send(10n)\nexpect main state running\n"
    ));
    let last = sim.steps().last().unwrap();
    assert!(last.events.is_empty());
    assert_eq!(last.source, "main: w.send(10n)");
    let why = &last.group.as_ref().unwrap().why;
    assert!(
        why.contains("throws TypeError [ERR_INVALID_ARG_TYPE]: The \"message\" argument must be one of type string, object, number, or boolean. Received type bigint (10n)"),
        "{why}"
    );
    assert_eq!(sim.current().node().unread("w-ipc", 1), b"");
    let sim = run(&format!("{FORKED}main: w.send({{a: 1n}})\n"));
    let why = &sim.steps().last().unwrap().group.as_ref().unwrap().why;
    assert!(
        why.contains("TypeError: Do not know how to serialize a BigInt"),
        "{why}"
    );
}

#[test]
fn a_childs_exit_reaches_its_parent_through_libuvs_sigchld_chain() {
    let sim = run(&format!(
        "{FORKED}w: process.send([1, 2, 3])\nw: process.exit(7)\n"
    ));
    assert_eq!(
        group_steps(&sim, 4),
        [
            "w: exit 7",
            "main: send main-sig.w 16 nonblock",
            "main: recv w-ipc.0 65536",
            "main: close w-ipc.0",
            "main: recv main-sig.r 512 nonblock",
            "main: wait w nohang",
        ]
    );
    assert_eq!(
        events(&sim),
        [
            "main w 'spawn'",
            "main w 'message' ([1,2,3])",
            "main w 'disconnect'",
            "main w 'exit' (7, null)",
            "main w 'close' (7, null)",
        ]
    );
    // libuv's handler ran once, in the exit's step.
    let main = sim.current().pid_of("main").unwrap();
    assert_eq!(
        sim.current()
            .proc(main)
            .signals
            .handled(crate::sig::Signal::SIGCHLD),
        1
    );
}

#[test]
fn kill_sends_sigterm_and_exit_gets_null_and_the_signal() {
    let sim = run(&format!("{FORKED}main: w.kill()\n"));
    assert_eq!(group_steps(&sim, 3)[0], "main: kill w SIGTERM");
    assert_eq!(
        events(&sim)[1..],
        [
            "main w 'disconnect'",
            "main w 'exit' (null, \"SIGTERM\")",
            "main w 'close' (null, \"SIGTERM\")",
        ]
    );
}

#[test]
fn a_kill_the_child_survives_ends_with_the_kill() {
    // A mixed scenario: a kernel statement makes w ignore SIGUSR1.
    let sim = run(&format!(
        "{FORKED}w: signal SIGUSR1 ignore\nmain: w.kill('SIGUSR1')\nexpect w state running\n"
    ));
    assert_eq!(group_steps(&sim, 4), ["main: kill w SIGUSR1"]);
    assert_eq!(events(&sim), ["main w 'spawn'"]);
    assert!(sim.failed_expects().next().is_none());
}

#[test]
fn event_expects_hold_on_what_was_emitted_and_fail_saying_what_was() {
    let sim = run(&format!(
        "{FORKED}main: w.send('hi')\n\
         expect w event process message 'hi'\n\
         expect w event process message \"hi\"\n\
         expect w event process message\n\
         expect w event process message 'ho'\n\
         expect main events w spawn\n\
         expect main events w spawn exit\n\
         expect main event w exit 0 null\n"
    ));
    let verdicts: Vec<Result<(), String>> = sim
        .steps()
        .iter()
        .flat_map(|s| &s.expects)
        .map(|e| e.verdict.clone())
        .collect();
    assert_eq!(
        verdicts,
        [
            Ok(()),
            Ok(()),
            Ok(()),
            Err("process emitted 'message' (\"hi\")".to_string()),
            Ok(()),
            Err("w emitted 'spawn'".to_string()),
            Err("w emitted 'spawn'".to_string()),
        ]
    );
}

#[test]
fn node_and_kernel_statements_mix_in_one_scenario() {
    let sim = run(&format!(
        "{FORKED}main: mmap heap 4\nmain: write heap 0..4\nw: process.send({{ok: true}})\n\
         expect main event w message {{\"ok\":true}}\nexpect main heap[0] private\n\
         main: kill w SIGKILL\nexpect w state zombie\n"
    ));
    assert!(sim.failed_expects().next().is_none());
    // A kernel kill is not node's: no Node event follows it, and the
    // child stays a zombie, since no libuv chain runs for it.
    assert_eq!(events(&sim).len(), 2);
    assert!(sim.steps().last().unwrap().group.is_none());
}

#[test]
fn time_travel_covers_the_node_state() {
    let sim = run(&format!("{FORKED}w: process.exit(0)\n"));
    let before_exit = sim
        .steps()
        .iter()
        .find(|s| s.source == "w: exit 0")
        .unwrap()
        .index
        - 1;
    let then = sim.world(before_exit).unwrap().node();
    assert_eq!(then.events("main", Some("w")).unwrap().len(), 1);
    assert_eq!(
        sim.current()
            .node()
            .events("main", Some("w"))
            .unwrap()
            .len(),
        4
    );
}
