//! worker_threads in the model: a Worker is a thread of its process (the
//! same pid and page tables, no copy), a store by either thread is read by
//! both, postMessage copies (into new pages for a typed array), a transfer
//! moves a buffer and detaches the sender's, and the errors a scenario can
//! make name their line and column.

use crate::engine::Sim;
use crate::observe::PageObs;
use crate::scenario::{self, Pos};

/// main with a SharedArrayBuffer of 2 pages and a Worker `wk` holding it.
const WORKER: &str = "node main\n\
                      main: const sab = new Int32Array(new SharedArrayBuffer(8192))\n\
                      main: const wk = new Worker('./w.js', {workerData: sab})\n";

fn run(text: &str) -> Sim {
    let mut sim = Sim::from_source(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
    if let Err(e) = sim.run_to_end() {
        panic!("{text:?} stops: {e}");
    }
    sim
}

fn error(text: &str) -> (Pos, String) {
    let e = Sim::from_source(text)
        .and_then(|mut sim| sim.run_to_end())
        .expect_err("an error");
    (e.pos, e.kind.to_string())
}

/// Every expect of the run with its verdict.
fn verdicts(sim: &Sim) -> Vec<(String, Result<(), String>)> {
    sim.steps()
        .iter()
        .flat_map(|s| &s.expects)
        .map(|e| (e.text.clone(), e.verdict.clone()))
        .collect()
}

fn page(sim: &Sim, process: &str, region: &str, index: u32) -> PageObs {
    sim.current()
        .observe()
        .page(process, region, index)
        .unwrap_or_else(|e| panic!("{process} {region}[{index}]: {e}"))
}

#[test]
fn worker_statements_print_as_written_and_parse_back_the_same() {
    let text = "node main\n\
                main: const sab = new Int32Array( new SharedArrayBuffer(8192) );\n\
                main: const buf = new Uint8Array(4096)\n\
                main: const wk = new Worker('./w.js', { workerData: sab })\n\
                main: const w2 = new Worker(\"./w.js\")\n\
                wk: sab[1] = -7\n\
                wk: Atomics.store(sab, 0, 42)\n\
                main: Atomics.load(sab, 0)\n\
                main: wk.postMessage({a: 1})\n\
                main: wk.postMessage(buf, [ buf.buffer ])\n\
                wk: parentPort.postMessage(buf)\n\
                expect wk event parentPort message {\"a\":1}\n\
                expect main event wk online\n\
                expect main value sab[0] 42\n\
                expect main value buf.byteLength 0\n";
    let parsed = scenario::parse(text).unwrap();
    let printed = scenario::print(&parsed);
    assert_eq!(
        printed,
        "node main\n\
         main: const sab = new Int32Array(new SharedArrayBuffer(8192))\n\
         main: const buf = new Uint8Array(4096)\n\
         main: const wk = new Worker('./w.js', {workerData: sab})\n\
         main: const w2 = new Worker(\"./w.js\")\n\
         wk: sab[1] = -7\n\
         wk: Atomics.store(sab, 0, 42)\n\
         main: Atomics.load(sab, 0)\n\
         main: wk.postMessage({a: 1})\n\
         main: wk.postMessage(buf, [buf.buffer])\n\
         wk: parentPort.postMessage(buf)\n\
         expect wk event parentPort message {\"a\":1}\n\
         expect main event wk online\n\
         expect main value sab[0] 42\n\
         expect main value buf.byteLength 0\n"
    );
    assert_eq!(scenario::parse(&printed).unwrap(), parsed);
}

#[test]
fn a_worker_is_a_thread_of_its_process_with_a_stack_and_no_pid_of_its_own() {
    let sim = run(WORKER);
    let world = sim.current();
    let main = world.pid_of("main").expect("main");
    let (process, tid) = world.thread_of("wk").expect("wk is a thread");
    assert_eq!(process, main);
    assert_ne!(tid, main);
    // No process is named wk, and main's only child is none.
    assert_eq!(world.pid_of("wk"), None);
    assert!(world.children(main).is_empty());
    let threads: Vec<&str> = world.proc(main).threads.iter().map(|t| &*t.name).collect();
    assert_eq!(threads, ["wk"]);
    let sources: Vec<&str> = sim
        .steps()
        .iter()
        .filter(|s| s.group.as_ref().is_some_and(|g| g.pos.line == 3))
        .map(|s| s.source.as_str())
        .collect();
    assert_eq!(
        sources,
        [
            "main: mmap wk-stack 1025",
            "main: thread wk",
            "main: const wk = new Worker('./w.js', {workerData: sab})"
        ]
    );
}

#[test]
fn a_store_by_the_worker_is_read_by_main_through_the_one_page_table() {
    let text = format!(
        "{WORKER}wk: sab[1] = 42\nexpect main value sab[1] 42\nexpect wk value sab[1] 42\n\
         main: Atomics.load(sab, 1)\nexpect main faults 0\n\
         main: sab[1025] = 5\nexpect wk value sab[1025] 5\n\
         expect wk value sab[2048] undefined\n"
    );
    let sim = run(&text);
    for (text, verdict) in verdicts(&sim) {
        assert_eq!(verdict, Ok(()), "{text}");
    }
    // Element 1 is on page 0, element 1025 (byte 4100) on page 1: each
    // one frame, one page-table entry, however many threads use it.
    for index in [0, 1] {
        assert!(
            matches!(
                page(&sim, "main", "sab", index),
                PageObs::Frame { users: 1, .. }
            ),
            "sab[{index}]"
        );
    }
}

#[test]
fn post_message_copies_a_typed_array_into_new_pages_and_a_transfer_detaches_it() {
    let text = format!(
        "{WORKER}main: const buf = new Uint8Array(4096)\nmain: buf[0] = 7\n\
         main: wk.postMessage(buf)\nmain: buf[0] = 9\n\
         expect wk value buf[0] 7\nexpect main value buf[0] 9\n\
         main: wk.postMessage(buf, [buf.buffer])\n\
         expect main value buf.byteLength 0\nexpect main value buf[0] undefined\n\
         expect wk value buf[0] 9\nexpect wk value buf.byteLength 4096\n\
         main: buf[0] = 1\nexpect wk value buf[0] 9\n"
    );
    let sim = run(&text);
    for (text, verdict) in verdicts(&sim) {
        assert_eq!(verdict, Ok(()), "{text}");
    }
    let (PageObs::Frame { frame: a, .. }, PageObs::Frame { frame: b, .. }) = (
        page(&sim, "main", "buf", 0),
        page(&sim, "main", "wk-buf", 0),
    ) else {
        panic!("both pages are mapped");
    };
    assert_ne!(a, b, "the copy has a frame of its own");
    // The store into a detached buffer made no step of the kernel.
    let last = sim.steps().last().expect("steps");
    assert!(last.group.as_ref().is_some_and(|g| g.kernel.is_none()));
}

#[test]
fn messages_go_both_ways_and_a_value_expect_fails_with_what_was_read() {
    let text = format!(
        "{WORKER}main: wk.postMessage({{a: [1, 'two']}})\n\
         wk: parentPort.postMessage(null)\n\
         expect wk event parentPort message {{\"a\":[1,\"two\"]}}\n\
         expect main events wk online message\n\
         expect main event wk message null\n\
         expect main value sab[0] 1\n"
    );
    let sim = run(&text);
    let got = verdicts(&sim);
    assert!(got[..3].iter().all(|(_, v)| v.is_ok()), "{got:?}");
    assert_eq!(got[3].1, Err("sab[0] is 0 in main".to_string()));
}

#[test]
fn the_process_exit_ends_its_threads_and_a_fork_child_has_none() {
    let text =
        format!("{WORKER}main: const c = child_process.fork('./c.js')\nmain: process.exit(0)\n");
    let sim = run(&text);
    let world = sim.current();
    let c = world.pid_of("c").expect("c");
    assert!(world.proc(c).threads.is_empty());
    let main = world.pid_of("main").expect("main");
    assert!(world.proc(main).threads.is_empty());
    assert!(world.proc(main).state.is_dead());
}

#[test]
fn a_worker_statement_that_cannot_run_names_its_line_and_column() {
    let cases = [
        (
            format!("{WORKER}main: nope[0] = 1\n"),
            (4, 7),
            "main has no typed array named \"nope\"",
        ),
        (
            format!("{WORKER}main: parentPort.postMessage(1)\n"),
            (4, 1),
            "main is not a worker thread",
        ),
        (
            format!("{WORKER}wk: w2.postMessage(1)\n"),
            (4, 5),
            "wk has no Worker named \"w2\"",
        ),
        (
            format!("{WORKER}wk: process.exit(0)\n"),
            (4, 1),
            "wk is a thread of main",
        ),
        (
            format!("{WORKER}main: wk.postMessage(10n)\n"),
            (4, 22),
            "postMessage in the model carries plain values",
        ),
        (
            "node main\nmain: const b = new Uint8Array(4)\nmain: const w = new Worker('./w.js', {workerData: b})\n".to_string(),
            (3, 51),
            "a typed array over a SharedArrayBuffer",
        ),
        (
            "node main\nmain: const b = new Int32Array(new SharedArrayBuffer(6))\n".to_string(),
            (2, 54),
            "a multiple of 4",
        ),
        (
            "node main\nmain: const b = new BigArray(4)\n".to_string(),
            (2, 21),
            "Worker, or a typed array",
        ),
        (
            format!("{WORKER}expect main value sab[0] 'x'\n"),
            (4, 26),
            "a number, or undefined",
        ),
        (
            format!("{WORKER}expect wk event process message 1\n"),
            (4, 8),
            "wk is a thread of main",
        ),
    ];
    for (text, (line, col), message) in cases {
        let (pos, said) = error(&text);
        assert!(said.contains(message), "{text:?}: {said}");
        assert_eq!((pos.line, pos.col), (line, col), "{text:?}: {said}");
    }
}

#[test]
fn a_shared_buffer_in_the_transfer_list_or_a_detached_one_posted_throws_and_posts_nothing() {
    let text = format!(
        "{WORKER}main: wk.postMessage(sab, [sab.buffer])\n\
         main: const b = new Uint8Array(8)\nmain: wk.postMessage(b, [b.buffer])\n\
         main: wk.postMessage(b)\nexpect wk events parentPort message\n"
    );
    let sim = run(&text);
    let whys: Vec<String> = sim
        .steps()
        .iter()
        .filter_map(|s| s.group.as_ref())
        .filter(|g| g.source.contains("postMessage") && g.kernel.is_none())
        .map(|g| g.why.clone())
        .filter(|w| w.contains("throws"))
        .collect();
    assert_eq!(whys.len(), 2, "{whys:?}");
    assert!(whys[0].contains("TypeError: Found invalid object in transferList"));
    assert!(whys[1].contains("DataCloneError: An ArrayBuffer is detached"));
    for (text, verdict) in verdicts(&sim) {
        assert_eq!(verdict, Ok(()), "{text}");
    }
}
