//! The figures a lesson quotes come from lessons/figures/measured.json
//! (what `forkscope measure --json` recorded, with the machine): the
//! lesson's line is written from the record here, so a new record or an
//! edited lesson that no longer match fail, naming the line to write.

use serde_json::Value;
use sim_core::lessons;

fn record() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../lessons/figures/measured.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn ms(ns: &Value) -> String {
    format!("{:.2} ms", ns.as_f64().expect("a median in ns") / 1e6)
}

fn ratio(x: &Value) -> String {
    let x = x.as_f64().expect("a ratio");
    if x >= 10.0 {
        format!("x{x:.0}")
    } else {
        format!("x{x:.1}")
    }
}

/// The line lesson 11 says, from the record: fork + exec against
/// posix_spawn, for the smallest and the largest parent measured.
fn fork_cost_line(r: &Value) -> String {
    let m = &r["machine"];
    let sizes = r["fork"]["sizes"].as_array().expect("fork sizes");
    let (lo, hi) = (&sizes[0], &sizes[sizes.len() - 1]);
    format!(
        "Measured with forkscope measure on Linux {} ({} CPUs, {}), {}: fork + exec + wait from \
         a parent of {} MiB took {}, from one of {} MiB {} ({}); posix_spawn + wait took {} and {} ({}).",
        m["kernel"].as_str().expect("kernel"),
        m["cpus"],
        m["cpu_model"].as_str().expect("cpu model"),
        &r["date"].as_str().expect("date")[..10],
        lo["mib"],
        ms(&lo["fork_exec"]["median_ns"]),
        hi["mib"],
        ms(&hi["fork_exec"]["median_ns"]),
        ratio(&hi["ratio"]["fork_exec"]),
        ms(&lo["spawn"]["median_ns"]),
        ms(&hi["spawn"]["median_ns"]),
        ratio(&hi["ratio"]["spawn"]),
    )
}

#[test]
fn the_pros_and_cons_lesson_quotes_the_recorded_fork_figures() {
    let r = record();
    assert_eq!(
        r["load"]["busy"],
        Value::Bool(false),
        "the record was taken on a busy machine"
    );
    let line = fork_cost_line(&r);
    let lesson = lessons::find("node-pros-and-cons").expect("the lesson");
    assert!(
        lesson.source.lines().any(|l| l.strip_prefix("say ") == Some(line.as_str())),
        "lessons/node-pros-and-cons.scn should say, from lessons/figures/measured.json:\nsay {line}"
    );
}

fn us(ns: &Value) -> String {
    format!("{:.1} µs", ns.as_f64().expect("a median in ns") / 1e3)
}

/// The line lesson 10 says, from the record: a send() round trip to a
/// child against a SharedArrayBuffer round trip to a worker, on one CPU
/// and on any.
fn ipc_cost_line(r: &Value) -> String {
    let m = &r["machine"];
    let ipc = &r["ipc"];
    let (one, any) = (&ipc["one_cpu"], &ipc["any_cpu"]);
    format!(
        "Measured with forkscope measure on Linux {} ({} CPUs, {}), {}, node {}: on one CPU, a \
         send() round trip to a child took {}, a SharedArrayBuffer round trip to a worker \
         (Atomics.store, notify, wait) {} ({}); on any CPU, {} and {} ({}).",
        m["kernel"].as_str().expect("kernel"),
        m["cpus"],
        m["cpu_model"].as_str().expect("cpu model"),
        &r["date"].as_str().expect("date")[..10],
        ipc["node"].as_str().expect("node's version"),
        us(&one["send_round_trip"]["median_ns"]),
        us(&one["shared_memory_round_trip"]["median_ns"]),
        ratio(&one["ratio"]),
        us(&any["send_round_trip"]["median_ns"]),
        us(&any["shared_memory_round_trip"]["median_ns"]),
        ratio(&any["ratio"]),
    )
}

#[test]
fn the_shared_memory_lesson_quotes_the_recorded_ipc_figures() {
    let r = record();
    let line = ipc_cost_line(&r);
    let lesson = lessons::find("node-shared-memory-vs-ipc").expect("the lesson");
    assert!(
        lesson.source.lines().any(|l| l.strip_prefix("say ") == Some(line.as_str())),
        "lessons/node-shared-memory-vs-ipc.scn should say, from lessons/figures/measured.json:\nsay {line}"
    );
}
