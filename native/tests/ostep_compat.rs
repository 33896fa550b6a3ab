//! `forkscope ostep` against fork.py's own outputs: every case of
//! native/tests/ostep/cases.jsonl (its arguments and fork.py's exit
//! status) was run with `python3 fork.py` and its stdout kept as
//! NAME.out (or, when large, NAME.sha256: its digest and length), and
//! optparse's stderr as NAME.err. The command must print the same bytes
//! and end with the same status. docs/ostep.md says how to record them.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ostep")
}

struct Case {
    name: String,
    args: Vec<String>,
    status: i32,
}

fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(dir().join("cases.jsonl")).expect("cases.jsonl is readable");
    text.lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).expect("each line is JSON");
            Case {
                name: v["name"].as_str().expect("a name").to_string(),
                args: v["args"]
                    .as_array()
                    .expect("args")
                    .iter()
                    .map(|a| a.as_str().expect("an argument is text").to_string())
                    .collect(),
                status: i32::try_from(v["status"].as_i64().expect("a status"))
                    .expect("a small status"),
            }
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn every_recorded_case_prints_fork_py_bytes_and_status() {
    let cases = cases();
    assert!(cases.len() >= 60, "the manifest holds the recorded cases");
    let mut failed = Vec::new();
    for case in &cases {
        let run = Command::new(env!("CARGO_BIN_EXE_forkscope"))
            .arg("ostep")
            .args(&case.args)
            .output()
            .expect("forkscope runs");
        let out_file = dir().join(format!("{}.out", case.name));
        let same_stdout = if out_file.exists() {
            run.stdout == std::fs::read(&out_file).expect("the .out file is readable")
        } else {
            let recorded = std::fs::read_to_string(dir().join(format!("{}.sha256", case.name)))
                .expect("a case has a .out or a .sha256 file");
            let ours = format!("{} {}", hex(&Sha256::digest(&run.stdout)), run.stdout.len());
            recorded.trim() == ours
        };
        let err_file = dir().join(format!("{}.err", case.name));
        let same_stderr = !err_file.exists()
            || run.stderr == std::fs::read(&err_file).expect("the .err file is readable");
        let status = run.status.code();
        if !same_stdout || !same_stderr || status != Some(case.status) {
            failed.push(format!(
                "{}: stdout {}, stderr {}, status {status:?} (fork.py {})",
                case.name,
                if same_stdout { "same" } else { "differs" },
                if same_stderr { "same" } else { "differs" },
                case.status
            ));
        }
    }
    assert!(
        failed.is_empty(),
        "cases unlike fork.py:\n{}",
        failed.join("\n")
    );
}

#[test]
fn a_python_error_in_fork_py_is_named_on_stderr() {
    let run = Command::new(env!("CARGO_BIN_EXE_forkscope"))
        .args(["ostep", "-A", "a+b,a+b,b-,b-", "-F"])
        .output()
        .expect("forkscope runs");
    assert_eq!(run.status.code(), Some(1));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains("TypeError"),
        "stderr names the exception: {err}"
    );
}

#[test]
fn unix_mode_names_where_linux_keeps_a_subtree() {
    let run = Command::new(env!("CARGO_BIN_EXE_forkscope"))
        .args(["ostep", "--unix", "-A", "a+b,b+c,c+d,b-", "-P", "basic"])
        .output()
        .expect("forkscope runs");
    assert_eq!(run.status.code(), Some(0));
    let out = String::from_utf8(run.stdout).expect("UTF-8");
    assert!(
        out.contains("where they differ: d's parent is c on Linux, a in fork.py"),
        "{out}"
    );
    let linux = out
        .split("Linux (a is a subreaper; b is reaped by its parent at once):\n")
        .nth(1)
        .expect("a Linux tree");
    assert!(linux.starts_with("                                a\n                                   c\n                                      d\n"), "{linux}");
}

#[test]
fn an_imported_action_list_runs_with_every_expect_holding() {
    let scn = Command::new(env!("CARGO_BIN_EXE_forkscope"))
        .args(["ostep", "--scenario", "-s", "5", "-a", "40"])
        .output()
        .expect("forkscope runs");
    assert_eq!(scn.status.code(), Some(0));
    let text = String::from_utf8(scn.stdout).expect("UTF-8");
    assert!(
        text.contains("expect ") && text.contains(": exit 0") && text.contains(": wait "),
        "{text}"
    );
    let file = std::env::temp_dir().join(format!("forkscope-ostep-{}.scn", std::process::id()));
    std::fs::write(&file, &text).expect("the temp dir is writable");
    let run = Command::new(env!("CARGO_BIN_EXE_forkscope"))
        .arg("run")
        .arg(&file)
        .output()
        .expect("forkscope runs");
    let _ = std::fs::remove_file(&file);
    let trace = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(0), "{trace}");
    assert!(trace.contains("all hold"), "{trace}");
}
