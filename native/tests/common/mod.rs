//! Shared by the kernel-agreement tests: what "agrees fully" means for one
//! scenario of `forkscope check --json`, its table for a person, and the
//! scheduler races a test may meet, by name; and the setup the check tests
//! share: a scenario written to a file, a run started as its own session,
//! the processes of a session as /proc shows them, and how a run ended.
//!
//! A rerun is kept only for a named race that a test cannot avoid by
//! design; a disagreement no named race explains fails at once, and one a
//! named race may explain is printed (so that the test's output shows it)
//! and fails if it disagrees again.

#![allow(dead_code)] // each test binary uses part of it

use serde_json::Value;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The scenario `text` written to `NAME.scn` in a directory of this test
/// process's own.
pub fn scenario_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("forkscope-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.scn"));
    std::fs::write(&path, text).unwrap();
    path
}

/// `cmd` will start as a session of its own (setsid), so that every process
/// of its run, zombies included, can be told from any other process by its
/// session id.
pub fn in_own_session(cmd: &mut Command) -> &mut Command {
    // Safety: setsid is async-signal-safe and allocates nothing.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    cmd
}

/// `forkscope` ended with exit status `code` (the message shows what it
/// printed, stdout then stderr); its stdout.
#[track_caller]
pub fn assert_exit(out: &Output, code: Option<i32>) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        code,
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// One process of a session, as /proc shows it.
#[derive(Debug)]
pub struct Member {
    pub pid: i32,
    pub state: char,
    pub ppid: i32,
    pub pgrp: i32,
    pub cmdline: String,
}

/// Processes whose session is `sid`, with their parent, group and command line.
pub fn session_details(sid: i32) -> Vec<Member> {
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
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
                .unwrap_or_default();
            found.push(Member {
                pid,
                state: fields[0].chars().next().unwrap(),
                ppid: fields[1].parse().unwrap(),
                pgrp: fields[2].parse().unwrap(),
                cmdline,
            });
        }
    }
    found
}

/// A scheduler race on the real kernel that the model does not predict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Race {
    /// A stopped child continued with a fatal or handled signal pending
    /// sends its parent SIGCHLD for the continuation, then dequeues the
    /// pending signal; the parent's wake-up can preempt it between the two
    /// notices, which then do not coalesce (ARCHITECTURE.md, "When a signal
    /// takes effect"): the parent's SIGCHLD handler may run twice.
    ContinuedChildSigchld,
}

impl std::fmt::Display for Race {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Race::ContinuedChildSigchld => {
                f.write_str("a continued child's two SIGCHLD notices split by its parent's wake-up")
            }
        }
    }
}

/// The named race that may explain why the scenario `text` disagreed as
/// `result` (one scenario of `forkscope check --json`) says; `None` when
/// no named race can, so the disagreement is the model's.
pub fn race_that_may_explain(text: &str, result: &Value) -> Option<Race> {
    let continues = text.lines().any(|l| l.contains(" SIGCONT"));
    let about_sigchld = |v: &Value| v.to_string().contains("SIGCHLD");
    let rows_about_sigchld = result["differences"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|d| d["rows"].as_array().into_iter().flatten())
        .any(|r| about_sigchld(&r["what"]));
    let expects_about_sigchld = result["expects"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["status"] == "differ")
        .any(|e| about_sigchld(&e["text"]));
    (continues && (rows_about_sigchld || expects_about_sigchld))
        .then_some(Race::ContinuedChildSigchld)
}

/// One scenario of `forkscope check --json` agrees fully: no difference,
/// every expect judged on both sides, alike, and holding.
pub fn agrees_fully(result: &Value) -> bool {
    result["status"] == "agree"
        && result["error"].is_null()
        && result["expects"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|e| e["status"] == "agree" && e["kernel"] == serde_json::json!({"Ok": null}))
}

/// A scenario's result as a person reads it: its differences and every
/// expect that did not agree and hold, as a table.
pub fn describe(result: &Value) -> String {
    let mut out = format!(
        "{} is {}{}\n",
        result["name"].as_str().unwrap_or("?"),
        result["status"].as_str().unwrap_or("?"),
        match result["error"]["message"].as_str() {
            Some(m) => format!(": {m}"),
            None => String::new(),
        }
    );
    for d in result["differences"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "  {}: {}\n",
            d["line"],
            d["source"].as_str().unwrap_or("")
        ));
        for r in d["rows"].as_array().into_iter().flatten() {
            out.push_str(&format!(
                "      {} | model: {} | kernel: {}\n",
                r["what"].as_str().unwrap_or(""),
                r["model"].as_str().unwrap_or(""),
                r["kernel"].as_str().unwrap_or("")
            ));
        }
    }
    for e in result["expects"].as_array().into_iter().flatten() {
        if e["status"] == "agree" && e["kernel"] == serde_json::json!({"Ok": null}) {
            continue;
        }
        out.push_str(&format!(
            "  {}: {} | {} | model: {} | kernel: {}{}\n",
            e["line"],
            e["text"].as_str().unwrap_or(""),
            e["status"].as_str().unwrap_or(""),
            e["model"],
            e["kernel"],
            match e["reason"].as_str() {
                Some(r) => format!(" | {r}"),
                None => String::new(),
            }
        ));
    }
    out
}

/// `forkscope check --json` on the scenario files `paths`, in one run: how
/// it ended, and what it printed, as JSON.
pub fn check_json<P: AsRef<std::ffi::OsStr>>(paths: &[P]) -> (Output, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_forkscope"))
        .args(["check", "--json"])
        .args(paths)
        .output()
        .expect("forkscope runs");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "forkscope check printed no JSON ({e}):\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out, doc)
}

/// Check the scenario at `path` again, on its own; its result, as JSON.
pub fn check_again(path: &Path) -> Value {
    let (_, doc) = check_json(&[path]);
    doc["scenarios"][0].clone()
}
