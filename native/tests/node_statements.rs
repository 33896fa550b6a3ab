//! Node statements end to end: `forkscope run --json` gives each kernel
//! step of a Node statement its group (docs/trace-json.md), and
//! `forkscope check` replays those kernel steps on the real kernel, where
//! they agree with the model, and says that it does not judge the Node
//! event expects.

mod common;

use serde_json::{json, Value};
use std::process::Command;

const FORK_SEND_EXIT: &str = "\
title A child, a message each way, an exit
node main
main: const w = child_process.fork('./worker.js')
main: w.send({hello: 'world'})
expect w event process message {\"hello\":\"world\"}
w: process.send([1, 2, 3])
main: mmap heap 2
main: write heap 0..2
w: process.exit(0)
expect main events w spawn message exit disconnect close
expect main heap[1] private
expect w state gone
";

fn run_json(path: &std::path::Path) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_forkscope"))
        .args(["run", "--json"])
        .arg(path)
        .output()
        .expect("forkscope runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    serde_json::from_slice(&out.stdout).expect("the trace is JSON")
}

#[test]
fn the_json_trace_gives_each_kernel_step_its_node_statement() {
    let path = common::scenario_file("node-json", FORK_SEND_EXIT);
    let trace = run_json(&path);
    let steps = trace["steps"].as_array().expect("steps");
    // A kernel statement of its own has no group.
    let mmap = steps
        .iter()
        .find(|s| s["source"] == "main: mmap heap 2")
        .expect("the mmap step");
    assert!(mmap.get("group").is_none(), "{mmap:#}");
    // The send: its write, then the child's read, which emits 'message'.
    let send: Vec<&Value> = steps
        .iter()
        .filter(|s| s["group"]["pos"]["line"] == 4)
        .collect();
    assert_eq!(send.len(), 2);
    assert_eq!(
        send[0]["source"],
        "main: send w-ipc.0 \"{\\\"hello\\\":\\\"world\\\"}\\n\""
    );
    assert_eq!(send[1]["source"], "w: recv w-ipc.1 65536");
    assert_eq!(send[0]["pos"], json!({"line": 4, "col": 1}));
    assert_eq!(send[1]["group"]["source"], "main: w.send({hello: 'world'})");
    assert_eq!(send[1]["group"]["index"], 1);
    assert_eq!(send[1]["group"]["last"], true);
    assert_eq!(send[0]["group"]["last"], false);
    assert_eq!(
        send[1]["group"]["events"],
        json!([{"process": "w", "object": "process", "event": "message", "args": ["{\"hello\":\"world\"}"]}])
    );
    assert_eq!(send[1]["changes"]["queued"]["w-ipc.1"], 0);
    assert_eq!(send[1]["expects"][0]["verdict"], json!({"Ok": null}));
    assert!(send[0]["group"]["narration"].is_null());
    let told = send[1]["group"]["narration"]
        .as_str()
        .expect("the group's line");
    assert!(told.contains("18 bytes"), "{told}");
}

#[test]
fn check_replays_the_kernel_steps_of_node_statements_and_agrees() {
    let path = common::scenario_file("node-check", FORK_SEND_EXIT);
    let (_, doc) = common::check_json(&[&path]);
    let result = &doc["scenarios"][0];
    assert_eq!(result["status"], "agree", "{}", common::describe(result));
    assert!(result["error"].is_null(), "{}", common::describe(result));
    // Every kernel step of the model ran on the kernel.
    let model = run_json(&path);
    assert_eq!(
        result["steps"],
        model["steps"].as_array().map(Vec::len).unwrap_or(0)
    );
    let expects = result["expects"].as_array().expect("expects");
    let by_line = |line: u64| {
        expects
            .iter()
            .find(|e| e["line"] == line)
            .unwrap_or_else(|| panic!("no expect on line {line}"))
    };
    for line in [5, 10] {
        let e = by_line(line);
        assert_eq!(e["status"], "not_judged");
        assert_eq!(e["reason"], sim_core::observe::NOT_OBSERVED);
        assert_eq!(e["model"], json!({"Ok": null}));
    }
    for line in [11, 12] {
        let e = by_line(line);
        assert_eq!(e["status"], "agree", "{e:#}");
        assert_eq!(e["kernel"], json!({"Ok": null}));
    }
}
