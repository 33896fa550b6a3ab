//! `forkscope check --node`: scenarios' Node statements run with the real
//! node (Node 20 on PATH, strace at /usr/bin/strace), in lockstep, and
//! compared with the model: events per object and the exact bytes written
//! on the IPC channel, statement by statement.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

/// All tests that start processes share this lock (as nix's FORK_MTX).
static FORK_MTX: Mutex<()> = Mutex::new(());

/// A directory of this test's own, removed after it.
struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let dir = std::env::temp_dir().join(format!(
            "forkscope-check-node-{}-{name}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Dir(dir)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn forkscope(args: &[&str], dir: &Path, path: Option<&Path>) -> Output {
    let _guard = FORK_MTX.lock().unwrap_or_else(|e| e.into_inner());
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_forkscope"));
    cmd.args(args).current_dir(dir);
    if let Some(path) = path {
        cmd.env("PATH", path);
    }
    cmd.output().unwrap()
}

/// `check --node --json` of `text`: the exit status and the scenario's record.
fn check(name: &str, text: &str) -> (i32, serde_json::Value) {
    let dir = Dir::new(name);
    std::fs::write(dir.0.join("s.scn"), text).unwrap();
    let out = forkscope(&["check", "--node", "--json", "s.scn"], &dir.0, None);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), doc["scenarios"][0].clone())
}

/// The Node statements' examples of docs/scenario-language.md that run
/// (not the error examples).
fn docs_node_examples() -> Vec<String> {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/scenario-language.md"
    ))
    .unwrap();
    let section = doc
        .split("\n## Node statements")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("the docs have a Node statements section");
    section
        .split("```scn\n")
        .skip(1)
        .filter_map(|block| block.split("\n```").next().map(str::to_string))
        .collect()
}

/// The record of the statement at `line`.
fn at_line(outcome: &serde_json::Value, line: u64) -> serde_json::Value {
    outcome["record"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["line"] == line)
        .unwrap_or_else(|| panic!("no statement at line {line}: {outcome}"))
        .clone()
}

/// Every statement's kernel steps were compared with node's system calls
/// and found, in order; a fork's at least 10 of them (socketpair,
/// rt_sigaction, pipe2, clone, close, read, ..., execve, ...).
fn every_kernel_step_was_found(outcome: &serde_json::Value) {
    for r in outcome["record"].as_array().unwrap() {
        let sys = &r["syscalls"];
        assert_eq!(sys["status"], "agree", "{r:#}");
        assert_eq!(sys["found"], sys["steps"], "{r:#}");
        if r["source"]
            .as_str()
            .unwrap()
            .contains("child_process.fork(")
        {
            assert!(sys["steps"].as_u64().unwrap() >= 10, "{r:#}");
        }
    }
}

/// Each object's events, in order: across objects (a child's stdout and
/// stderr ending in one turn of the loop) node's order is epoll's, which
/// check --node compares per object too.
fn per_object(events: &serde_json::Value) -> Vec<(String, Vec<serde_json::Value>)> {
    let mut objects: Vec<(String, Vec<serde_json::Value>)> = Vec::new();
    for e in events.as_array().unwrap() {
        let key = format!("{} {}", e["process"], e["object"]);
        match objects.iter_mut().find(|(k, _)| *k == key) {
            Some((_, list)) => list.push(e.clone()),
            None => objects.push((key, vec![e.clone()])),
        }
    }
    objects.sort_by(|a, b| a.0.cmp(&b.0));
    objects
}

/// The names of the events of `object` alone.
fn names_of(events: &serde_json::Value, object: &str) -> Vec<String> {
    events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["object"] == object)
        .map(|e| e["name"].as_str().unwrap().to_string())
        .collect()
}

fn names(events: &serde_json::Value) -> Vec<String> {
    events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn fork_and_messages_both_ways_agree_with_node_byte_for_byte() {
    let (code, o) = check(
        "messages",
        "node main\n\
         main: const w = child_process.fork('./worker.js')\n\
         expect main event w spawn\n\
         main: w.send({hello: 'world'})\n\
         expect w event process message {\"hello\":\"world\"}\n\
         w: process.send([1, 2, 3])\n\
         expect main events w spawn message\n",
    );
    assert_eq!(o["status"], "agree", "{o}");
    assert_eq!(code, 0, "{o}");
    assert_eq!(o["bytes_compared"], true, "{o}");
    // The bytes node really wrote, as strace saw them, not only the model's.
    let send = at_line(&o, 4);
    assert_eq!(
        send["node_writes"],
        serde_json::json!([r#"{\"hello\":\"world\"}\n"#])
    );
    assert_eq!(send["node_writes"], send["model_writes"]);
    let reply = at_line(&o, 6);
    assert_eq!(reply["node_writes"], serde_json::json!([r"[1,2,3]\n"]));
    assert_eq!(names(&reply["node_events"]), ["message"]);
    assert_eq!(
        reply["node_events"][0]["args"],
        serde_json::json!(["[1,2,3]"])
    );
    assert_eq!(names(&at_line(&o, 2)["node_events"]), ["spawn"]);
}

#[test]
fn values_json_changes_reach_node_as_the_model_writes_them() {
    let (code, o) = check(
        "values",
        "node main\n\
         main: const w = child_process.fork('./w.js')\n\
         main: w.send({m: new Map([[1, 2]]), d: new Date(0), n: NaN, u: undefined, a: [undefined, -0]})\n\
         main: w.send(10n)\n",
    );
    assert_eq!(o["status"], "agree", "{o}");
    assert_eq!(code, 0, "{o}");
    assert_eq!(
        at_line(&o, 3)["node_writes"],
        serde_json::json!([
            r#"{\"m\":{},\"d\":\"1970-01-01T00:00:00.000Z\",\"n\":null,\"a\":[null,0]}\n"#
        ])
    );
    // A BigInt throws in send(): nothing is written, on either side.
    assert_eq!(at_line(&o, 4)["node_writes"], serde_json::json!([]));
}

/// The docs' Node examples agree with node 20, event for event and byte
/// for byte (the model once had 'exit' before 'disconnect': this check
/// found it; the parent's loop reads the channel's end of file before its
/// signal watcher runs).
#[test]
fn the_docs_examples_agree_with_node_event_for_event_and_byte_for_byte() {
    let examples = docs_node_examples();
    assert!(examples.len() >= 3, "{examples:?}");
    for (i, text) in examples.iter().enumerate() {
        let (code, o) = check(&format!("docs{i}"), text);
        assert!(o["error"].is_null(), "example {i}: {o}");
        assert_eq!(o["status"], "agree", "example {i}: {o}");
        assert_eq!(o["differences"], serde_json::json!([]), "example {i}: {o}");
        for r in o["record"].as_array().unwrap() {
            // `node NAME` has no actor to have written anything.
            if r["source"].as_str().unwrap().starts_with("node ") {
                continue;
            }
            assert_eq!(
                per_object(&r["node_events"]),
                per_object(&r["model_events"]),
                "example {i}: {r}"
            );
            assert_eq!(r["node_writes"], r["model_writes"], "example {i}: {r}");
        }
        every_kernel_step_was_found(&o);
        assert_eq!(code, 0, "example {i}: {o}");
    }
}

#[test]
fn every_node_lesson_agrees_with_node() {
    let dir = Dir::new("all-node");
    let out = forkscope(&["check", "--all-node", "--json"], &dir.0, None);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    let scenarios = doc["scenarios"].as_array().expect("scenarios");
    let names: Vec<&str> = scenarios
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    let lessons: Vec<&str> = sim_core::lessons::all()
        .iter()
        .filter(|l| l.name.starts_with("node-"))
        .map(|l| l.name)
        .collect();
    assert_eq!(names, lessons, "{doc:#}");
    for s in scenarios {
        assert_eq!(s["status"], "agree", "{s:#}");
        assert_eq!(s["counts"]["differences"], 0, "{s:#}");
        assert_eq!(s["counts"]["not_judged"], 0, "{s:#}");
        every_kernel_step_was_found(s);
    }
    assert_eq!(out.status.code(), Some(0), "{doc:#}");
}

#[test]
fn a_fork_send_exit_and_kill_scenario_agrees_event_for_event() {
    let (code, o) = check(
        "fsek",
        "node main\n\
         main: const a = child_process.fork('./worker.js')\n\
         main: const b = child_process.fork('./worker.js')\n\
         a: process.send('hi')\n\
         a: process.exit(7)\n\
         main: b.kill('SIGKILL')\n\
         expect main event a message 'bye'\n",
    );
    assert_eq!(o["status"], "agree", "{o:#}");
    every_kernel_step_was_found(&o);
    let record = |line: u64| {
        o["record"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["line"] == line)
            .unwrap_or_else(|| panic!("no record of line {line}: {o:#}"))
            .clone()
    };
    let exit = record(5);
    assert_eq!(
        per_object(&exit["node_events"]),
        per_object(&exit["model_events"]),
        "{exit:#}"
    );
    assert_eq!(
        names(&exit["node_events"]),
        ["disconnect", "exit", "close"],
        "{exit:#}"
    );
    let kill = record(6);
    assert_eq!(
        per_object(&kill["node_events"]),
        per_object(&kill["model_events"]),
        "{kill:#}"
    );
    assert_eq!(
        kill["node_events"].as_array().unwrap().last().unwrap()["args"],
        serde_json::json!(["null", "\"SIGKILL\""]),
        "{kill:#}"
    );
    // The wrong message fails on both sides alike: the check fails.
    assert_eq!(o["counts"]["fail_on_both"], 1, "{o:#}");
    assert_eq!(code, 1, "{o:#}");
}

#[test]
fn an_expect_of_the_wrong_message_fails_on_both_sides_alike() {
    let (code, o) = check(
        "wrong",
        "node main\n\
         main: const w = child_process.fork('./worker.js')\n\
         w: process.send({n: 1})\n\
         expect main event w message {n: 2}\n",
    );
    assert_eq!(code, 1, "{o}");
    assert_eq!(o["status"], "agree", "{o}");
    assert_eq!(o["counts"]["fail_on_both"], 1, "{o}");
    let e = &o["expects"][0];
    assert_eq!(e["line"], 4);
    assert_eq!(
        e["node"]["Err"], "w emitted 'spawn', 'message' ({\"n\":1})",
        "{o}"
    );
}

#[test]
fn lesson_10s_values_are_read_from_node_and_agree_with_the_model() {
    let lesson = sim_core::lessons::find("node-shared-memory-vs-ipc").expect("lesson 10");
    let (code, o) = check("lesson-10-values", lesson.source);
    assert_eq!(o["status"], "agree", "{o:#}");
    assert_eq!(code, 0, "{o:#}");
    let values: Vec<&serde_json::Value> = o["expects"]
        .as_array()
        .expect("expects")
        .iter()
        .filter(|e| e["text"].as_str().is_some_and(|t| t.contains(" value ")))
        .collect();
    assert_eq!(values.len(), 6, "{o:#}");
    for e in values {
        // Judged on node's own read, not the model's alone.
        assert_eq!(e["status"], "agree", "{e}");
        assert_eq!(e["node"], serde_json::json!({"Ok": null}), "{e}");
    }
}

#[test]
fn a_wrong_value_expect_fails_on_node_with_the_value_node_read() {
    // postMessage copies: wk's buf keeps 7 after main stores 9.
    let (code, o) = check(
        "wrong-value",
        "node main\n\
         main: const wk = new Worker('./w.js')\n\
         main: const buf = new Uint8Array(4096)\n\
         main: buf[0] = 7\n\
         main: wk.postMessage(buf)\n\
         main: buf[0] = 9\n\
         expect wk value buf[0] 9\n\
         expect main value buf[0] 9\n",
    );
    assert_eq!(code, 1, "{o:#}");
    assert_eq!(o["counts"]["fail_on_both"], 1, "{o:#}");
    let wrong = &o["expects"][0];
    assert_eq!(wrong["line"], 7);
    assert_eq!(wrong["node"]["Err"], "buf[0] is 7 in wk", "{o:#}");
    assert_eq!(wrong["model"], wrong["node"], "{o:#}");
    let right = &o["expects"][1];
    assert_eq!(right["node"], serde_json::json!({"Ok": null}), "{o:#}");
}

#[test]
fn a_kernel_statement_is_refused_with_its_line_before_node_starts() {
    let (code, o) = check("kernel", "node main\nmain: pipe p\n");
    assert_eq!(code, 2, "{o}");
    assert_eq!(o["status"], "error");
    assert_eq!(o["error"]["kind"], "not_node");
    assert_eq!(o["error"]["pos"]["line"], 2);
    assert!(
        o["error"]["message"]
            .as_str()
            .unwrap()
            .contains("is a kernel statement"),
        "{o}"
    );
}

#[test]
fn no_node_on_path_is_a_clear_error_never_a_pass() {
    let dir = Dir::new("nonode");
    let empty = dir.0.join("empty-bin");
    std::fs::create_dir_all(&empty).unwrap();
    std::fs::write(dir.0.join("s.scn"), "node main\nmain: process.exit(0)\n").unwrap();
    let out = forkscope(&["check", "--node", "s.scn"], &dir.0, Some(&empty));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("there is no node on PATH"), "{err}");
    assert!(err.contains("Nothing was checked"), "{err}");
}

/// node's own events of the statement at `line`, as `process object name`.
fn node_events_at(o: &serde_json::Value, line: u64) -> Vec<String> {
    at_line(o, line)["node_events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| format!("{} {} {}", e["process"], e["object"], e["name"]).replace('"', ""))
        .collect()
}

#[test]
fn disconnect_from_either_side_and_what_follows_agree_with_node() {
    let (code, o) = check(
        "disconnect",
        "node main\n\
         main: const w = child_process.fork('./worker.js')\n\
         main: const v = child_process.fork('./worker.js')\n\
         main: w.disconnect()\n\
         main: w.send('late')\n\
         main: w.disconnect()\n\
         w: process.exit(3)\n\
         v: process.disconnect()\n\
         v: process.send('late')\n\
         v: process.exit(0)\n\
         expect main events w spawn disconnect error error exit\n\
         expect main events v spawn disconnect exit close\n",
    );
    assert_eq!(o["status"], "agree", "{o:#}");
    assert_eq!(code, 0, "{o:#}");
    every_kernel_step_was_found(&o);
    let mut both = node_events_at(&o, 4);
    both.sort();
    assert_eq!(both, ["main w disconnect", "w process disconnect"]);
    assert_eq!(
        at_line(&o, 5)["node_events"][0]["args"],
        serde_json::json!(["\"ERR_IPC_CHANNEL_CLOSED\""])
    );
    assert_eq!(at_line(&o, 5)["node_writes"], serde_json::json!([]));
    assert_eq!(
        at_line(&o, 6)["node_events"][0]["args"],
        serde_json::json!(["\"ERR_IPC_DISCONNECTED\""])
    );
    // After the parent's disconnect(), 'exit' but never 'close'.
    assert_eq!(node_events_at(&o, 7), ["main w exit"]);
    // Two processes' events: their order with each other is a race (two
    // control sockets), so only the set is compared.
    let mut both = node_events_at(&o, 8);
    both.sort();
    assert_eq!(both, ["main v disconnect", "v process disconnect"]);
    assert_eq!(node_events_at(&o, 9), ["v process error"]);
    assert_eq!(node_events_at(&o, 10), ["main v exit", "main v close"]);
}

#[test]
fn a_parent_that_dies_first_and_internal_messages_agree_with_node() {
    let (code, o) = check(
        "orphan",
        "node main\n\
         main: const w = child_process.fork('./worker.js')\n\
         main: w.send({cmd: 'NODE_HELLO', n: 1})\n\
         main: w.send({cmd: 'NODE_'})\n\
         w: process.send({cmd: 'NODE_X'})\n\
         main: process.exit(0)\n\
         expect w events process internalMessage message disconnect\n\
         w: process.send('anyone?')\n\
         w: process.exit(0)\n",
    );
    assert_eq!(o["status"], "agree", "{o:#}");
    assert_eq!(code, 0, "{o:#}");
    every_kernel_step_was_found(&o);
    assert_eq!(node_events_at(&o, 3), ["w process internalMessage"]);
    assert_eq!(
        at_line(&o, 3)["node_events"][0]["args"],
        serde_json::json!(["{\"cmd\":\"NODE_HELLO\",\"n\":1}"])
    );
    assert_eq!(
        at_line(&o, 3)["node_writes"],
        serde_json::json!([r#"{\"cmd\":\"NODE_HELLO\",\"n\":1}\n"#])
    );
    assert_eq!(node_events_at(&o, 4), ["w process message"]);
    assert_eq!(node_events_at(&o, 5), ["main w internalMessage"]);
    // The child reads its channel's end of file and closes it.
    assert_eq!(node_events_at(&o, 6), ["w process disconnect"]);
    assert_eq!(at_line(&o, 6)["syscalls"]["steps"], 3, "{o:#}");
    assert_eq!(node_events_at(&o, 8), ["w process error"]);
}

#[test]
fn advanced_serialization_writes_v8s_bytes_as_node_does() {
    let (code, o) = check(
        "advanced",
        "node main\n\
         main: const w = child_process.fork('./worker.js', {serialization: 'advanced'})\n\
         main: w.send('bye')\n\
         main: w.send({seen: new Map([['a', 1]]), d: new Date(0), n: 10n})\n\
         w: process.send([1, 'two', {three: 3}, new Set([1])])\n\
         main: w.send({cmd: 'NODE_PING'})\n\
         w: process.exit(0)\n",
    );
    assert_eq!(o["status"], "agree", "{o:#}");
    assert_eq!(code, 0, "{o:#}");
    every_kernel_step_was_found(&o);
    // node 20's frame for 'bye': a 4-byte length, then V8's bytes.
    assert_eq!(
        at_line(&o, 3)["node_writes"],
        serde_json::json!([r#"\x00\x00\x00\x07\xff\x0f\"\x03bye"#])
    );
    for line in [3, 4, 5, 6] {
        let r = at_line(&o, line);
        assert_eq!(r["node_writes"], r["model_writes"], "{r:#}");
        assert_eq!(
            per_object(&r["node_events"]),
            per_object(&r["model_events"]),
            "{r:#}"
        );
    }
    assert_eq!(node_events_at(&o, 6), ["w process internalMessage"]);
}

#[test]
fn a_message_longer_than_one_read_agrees_with_node_read_by_read() {
    let long = "x".repeat(100_000);
    let (code, o) = check(
        "long",
        &format!(
            "node main\n\
             main: const w = child_process.fork('./worker.js')\n\
             main: w.send('{long}')\n\
             expect w events process message\n"
        ),
    );
    assert_eq!(o["status"], "agree", "{o:#}");
    assert_eq!(code, 0, "{o:#}");
    every_kernel_step_was_found(&o);
    let send = at_line(&o, 3);
    // One write of 100,003 bytes, then two reads of up to 64 KiB.
    assert_eq!(send["syscalls"]["steps"], 3, "{send:#}");
    assert_eq!(
        send["node_writes"][0].as_str().map(str::len),
        Some(100_006),
        "the line escaped: its quotes as \\\" and its newline as \\n"
    );
    assert_eq!(node_events_at(&o, 3), ["w process message"]);
}

/// Sends of one tick: node writes each at once (one write each, never
/// coalesced) and the other side's 'message' events come one per line,
/// however many reads node needed (the model's one read is found among
/// them; more are not a gap).
#[test]
fn sends_in_one_tick_agree_with_node_write_by_write() {
    let (code, o) = check(
        "one-tick",
        "node main\n\
         main: const w = child_process.fork('./worker.js')\n\
         main: w.send('a'); w.send({b: 2}); w.send([3])\n\
         w: process.send(1); process.send(2)\n\
         main: w.send('x'); w.send(10n); w.send('never')\n",
    );
    assert_eq!(o["status"], "agree", "{o:#}");
    assert_eq!(code, 0, "{o:#}");
    every_kernel_step_was_found(&o);
    assert_eq!(
        at_line(&o, 3)["node_writes"],
        serde_json::json!([r#"\"a\"\n"#, r#"{\"b\":2}\n"#, r"[3]\n"])
    );
    assert_eq!(
        node_events_at(&o, 3),
        [
            "w process message",
            "w process message",
            "w process message"
        ]
    );
    assert_eq!(node_events_at(&o, 4), ["main w message", "main w message"]);
    // The BigInt throws: 'never' is not sent.
    assert_eq!(
        at_line(&o, 5)["node_writes"],
        serde_json::json!([r#"\"x\"\n"#])
    );
}

#[test]
fn spawn_kill_and_a_missing_command_agree_with_node_event_for_event() {
    let (code, o) = check(
        "spawn",
        "node main\n\
         main: const c = child_process.spawn('cat', [], {stdio: ['pipe', 'inherit', 'ignore']})\n\
         main: c.kill()\n\
         main: const x = child_process.spawn('no-such-cmd')\n\
         expect main event x close -2 null\n",
    );
    assert_eq!(o["status"], "agree", "{o:#}");
    let spawn = at_line(&o, 2);
    assert_eq!(names(&spawn["node_events"]), ["spawn"], "{spawn:#}");
    let kill = at_line(&o, 3);
    assert_eq!(
        per_object(&kill["node_events"]),
        per_object(&kill["model_events"]),
        "{kill:#}"
    );
    assert_eq!(
        names_of(&kill["node_events"], "c"),
        ["exit", "close"],
        "{kill:#}"
    );
    // Its stdout is inherited: no stream of it to end.
    assert!(
        names_of(&kill["node_events"], "c.stdout").is_empty(),
        "{kill:#}"
    );
    let missing = at_line(&o, 4);
    assert_eq!(
        per_object(&missing["node_events"]),
        per_object(&missing["model_events"]),
        "{missing:#}"
    );
    assert_eq!(
        names_of(&missing["node_events"], "x"),
        ["error", "close"],
        "{missing:#}"
    );
    // A failed spawn's streams read end of file, and end.
    assert_eq!(
        names_of(&missing["node_events"], "x.stderr"),
        ["end"],
        "{missing:#}"
    );
    assert_eq!(
        missing["node_events"][0]["args"],
        serde_json::json!(["\"ENOENT\""]),
        "{missing:#}"
    );
    assert_eq!(code, 0, "{o:#}");
}

#[test]
fn a_spawned_programs_statement_not_right_after_its_spawn_is_refused_with_its_line() {
    let (code, o) = check(
        "program",
        "node main\n\
         main: const c = child_process.spawn('cat')\n\
         expect main event c spawn\n\
         c: exit 0\n",
    );
    assert_eq!(code, 2, "{o}");
    assert_eq!(o["error"]["kind"], "not_node", "{o}");
    assert_eq!(o["error"]["pos"]["line"], 4, "{o}");
    assert!(
        o["error"]["message"]
            .as_str()
            .unwrap()
            .contains("c is a real program here (spawned)"),
        "{o}"
    );
}

#[test]
fn exec_and_exec_file_call_back_as_node_does_with_the_programs_statements_folded() {
    let (code, o) = check(
        "exec",
        "node main\n\
         main: const e = child_process.exec('echo hi; exit 3')\n\
         e: send e-stdout.1 \"hi\\n\"\n\
         e: exit 3\n\
         main: const f = child_process.execFile('no-such-cmd')\n\
         expect main event e callback 3 \"hi\\n\" \"\"\n",
    );
    assert_eq!(o["status"], "agree", "{o:#}");
    let exec = at_line(&o, 2);
    assert_eq!(
        per_object(&exec["node_events"]),
        per_object(&exec["model_events"]),
        "{exec:#}"
    );
    assert_eq!(
        names(&exec["node_events"]),
        ["spawn", "exit", "callback", "close"],
        "{exec:#}"
    );
    assert_eq!(
        exec["node_events"][2]["args"],
        serde_json::json!(["3", "\"hi\\n\"", "\"\""]),
        "{exec:#}"
    );
    let missing = at_line(&o, 5);
    assert_eq!(
        names(&missing["node_events"]),
        ["callback", "error", "close"],
        "{missing:#}"
    );
    assert!(
        o["notes"]
            .to_string()
            .contains("what the real e does by itself"),
        "{o:#}"
    );
    assert_eq!(code, 0, "{o:#}");
}

#[test]
fn a_program_that_writes_other_bytes_than_the_scenario_says_differs() {
    let (code, o) = check(
        "exec-differs",
        "node main\n\
         main: const e = child_process.execFile('echo', ['hi'])\n\
         e: send e-stdout.1 \"ho\\n\"\n\
         e: exit 0\n",
    );
    assert_eq!(o["status"], "differ", "{o:#}");
    assert_eq!(code, 1, "{o:#}");
}

#[test]
fn exec_past_max_buffer_agrees_with_node_on_the_kill_the_error_and_the_cut_stdout() {
    // The shell writes 6 bytes and then waits in `read x` on its stdin,
    // which node keeps open: SIGTERM always finds it alive (a program that
    // exits by itself races the kill).
    let text = "node main\n\
         main: const e = child_process.exec('echo hello; read x', {maxBuffer: 4})\n\
         e: send e-stdout.1 \"hello\\n\"\n\
         expect main event e callback 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER' \"hell\" \"\"\n";
    let (code, o) = check("max-buffer", text);
    assert_eq!(o["status"], "agree", "{o:#}");
    let exec = at_line(&o, 2);
    assert_eq!(
        per_object(&exec["node_events"]),
        per_object(&exec["model_events"]),
        "{exec:#}"
    );
    assert_eq!(
        names(&exec["node_events"]),
        ["spawn", "exit", "callback", "close"],
        "{exec:#}"
    );
    assert_eq!(
        exec["node_events"][1]["args"],
        serde_json::json!(["null", "\"SIGTERM\""]),
        "{exec:#}"
    );
    assert_eq!(
        exec["node_events"][2]["args"],
        serde_json::json!(["\"ERR_CHILD_PROCESS_STDIO_MAXBUFFER\"", "\"hell\"", "\"\""]),
        "{exec:#}"
    );
    // The write's group (the read, both closes, the kill, the SIGCHLD
    // chain) is held to node's calls with its spawn's, not only its events.
    every_kernel_step_was_found(&o);
    let mut sim = sim_core::engine::Sim::from_source(text).unwrap();
    sim.run_to_end().unwrap();
    let claimed = sim
        .steps()
        .iter()
        .filter(|s| {
            s.group
                .as_ref()
                .is_some_and(|g| [2, 3].contains(&g.pos.line))
        })
        .count();
    assert!(
        sim.steps()
            .iter()
            .any(|s| s.source == "main: kill e SIGTERM"),
        "the model kills e"
    );
    assert_eq!(exec["syscalls"]["steps"], claimed, "{exec:#}");
    assert_eq!(code, 0, "{o:#}");
}

#[test]
fn spawn_of_node_with_an_ipc_slot_agrees_with_node_both_ways_and_on_fd_0() {
    // The channel on fd 3, after three pipes: messages both ways, exit.
    let (code, o) = check(
        "spawn-ipc",
        "node main\n\
         main: const w = child_process.spawn('node', ['w.js'], {stdio: ['pipe', 'pipe', 'pipe', 'ipc']})\n\
         main: w.send('hi')\n\
         w: process.send({got: 'hi'})\n\
         w: process.exit(0)\n\
         expect main events w spawn message disconnect exit close\n",
    );
    assert_eq!(o["status"], "agree", "{o:#}");
    every_kernel_step_was_found(&o);
    assert_eq!(at_line(&o, 2)["syscalls"]["steps"], 22, "{o:#}");
    let sent = at_line(&o, 4);
    assert_eq!(
        per_object(&sent["node_events"]),
        per_object(&sent["model_events"]),
        "{sent:#}"
    );
    assert_eq!(names(&sent["node_events"]), ["message"], "{sent:#}");
    assert_eq!(code, 0, "{o:#}");
    // The channel on fd 0: libuv never closes it, so main's 'disconnect'
    // comes only as w dies, on both sides.
    let (code, o) = check(
        "spawn-ipc-fd0",
        "node main\n\
         main: const w = child_process.spawn('node', ['./w.js'], {stdio: ['ipc', 'inherit', 'pipe']})\n\
         w: process.disconnect()\n\
         expect main events w spawn\n\
         main: w.kill()\n\
         expect main events w spawn disconnect exit close\n",
    );
    assert_eq!(o["status"], "agree", "{o:#}");
    every_kernel_step_was_found(&o);
    let kill = at_line(&o, 5);
    assert_eq!(
        names_of(&kill["node_events"], "w"),
        ["disconnect", "exit", "close"],
        "{kill:#}"
    );
    assert_eq!(code, 0, "{o:#}");
}

#[test]
fn a_spawned_programs_output_is_data_and_end_as_node_emits_them() {
    // One write per stream (two writes on one stream before the loop reads
    // are one 'data' on the kernel: a race), and a program that waits after
    // writing, so that its end of file is a read of its own.
    let (code, o) = check(
        "data",
        "node main\n\
         main: const c = child_process.spawn('sh', ['-c', 'echo hi; echo oops >&2; read x'])\n\
         c: send c-stdout.1 \"hi\\n\"\n\
         c: send c-stderr.1 \"oops\\n\"\n\
         main: c.kill()\n\
         expect main events c.stdout data end\n",
    );
    assert_eq!(o["status"], "agree", "{o:#}");
    every_kernel_step_was_found(&o);
    let spawn = at_line(&o, 2);
    assert_eq!(
        per_object(&spawn["node_events"]),
        per_object(&spawn["model_events"]),
        "{spawn:#}"
    );
    let data: Vec<_> = spawn["node_events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["name"] == "data")
        .map(|e| (e["object"].clone(), e["args"][0].clone()))
        .collect();
    assert_eq!(
        data,
        [
            (
                serde_json::json!("c.stdout"),
                serde_json::json!("\"hi\\n\"")
            ),
            (
                serde_json::json!("c.stderr"),
                serde_json::json!("\"oops\\n\"")
            ),
        ],
        "{spawn:#}"
    );
    let kill = at_line(&o, 5);
    assert_eq!(
        names_of(&kill["node_events"], "c.stdout"),
        ["end"],
        "{kill:#}"
    );
    assert_eq!(
        names_of(&kill["node_events"], "c.stderr"),
        ["end"],
        "{kill:#}"
    );
    assert_eq!(code, 0, "{o:#}");
}

#[test]
fn exec_file_past_max_buffer_on_stderr_keeps_what_stdout_had_as_node_does() {
    // stdout's 3 bytes fit; stderr's 8 go past 4: node had read stdout's
    // as they came, so the callback has them whole, and stderr cut at 4.
    let (code, o) = check(
        "max-buffer-stderr",
        "node main\n\
         main: const f = child_process.execFile('sh', ['-c', 'echo ab; echo toolong >&2; read x'], {maxBuffer: 4})\n\
         f: send f-stdout.1 \"ab\\n\"\n\
         f: send f-stderr.1 \"toolong\\n\"\n\
         expect main event f callback 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER' \"ab\\n\" \"tool\"\n",
    );
    assert_eq!(o["status"], "agree", "{o:#}");
    every_kernel_step_was_found(&o);
    let exec = at_line(&o, 2);
    assert_eq!(
        exec["node_events"][2]["args"],
        serde_json::json!([
            "\"ERR_CHILD_PROCESS_STDIO_MAXBUFFER\"",
            "\"ab\\n\"",
            "\"tool\""
        ]),
        "{exec:#}"
    );
    assert_eq!(code, 0, "{o:#}");
}
