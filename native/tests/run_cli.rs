//! `forkscope run` end to end: the trace of every built-in lesson as a
//! snapshot, the exit codes (0 all expects hold, 1 one fails, 2 the
//! scenario is wrong), the caret message, and the JSON trace's fields.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn forkscope(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_forkscope"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("forkscope runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("forkscope prints UTF-8")
}

/// A fresh folder for one test's scenario files.
fn scratch(test: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("run_cli-{test}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("the scratch folder can be made");
    dir
}

/// Write `source` to `dir/file`.
fn scenario_file(dir: &Path, file: &str, source: &str) {
    std::fs::write(dir.join(file), source).expect("the scenario file can be written");
}

const WRONG_EXPECT: &str = "\
title One expect is wrong
process p
p: mmap buf 2
p: write buf 0
expect p faults 2
expect p buf[0] private
";

const TYPO: &str = "\
title A typo
process p
p: mmap buf 2
p: wirte buf 0
";

#[test]
fn every_lesson_runs_to_the_trace_in_its_snapshot() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    for lesson in sim_core::lessons::all() {
        let out = forkscope(&["run", lesson.name], here);
        assert_eq!(
            out.status.code(),
            Some(0),
            "lesson {} does not run cleanly:\n{}{}",
            lesson.name,
            text(&out.stdout),
            text(&out.stderr)
        );
        assert_eq!(
            text(&out.stderr),
            "",
            "lesson {} writes to stderr",
            lesson.name
        );
        insta::assert_snapshot!(format!("lesson_{}", lesson.name), text(&out.stdout));
    }
}

#[test]
fn every_lesson_snapshot_belongs_to_a_lesson() {
    let snapshots = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let mut on_disk: Vec<String> = std::fs::read_dir(snapshots)
        .expect("native/tests/snapshots exists")
        .map(|e| {
            e.expect("a readable entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter_map(|f| {
            f.strip_prefix("run_cli__lesson_")
                .and_then(|f| f.strip_suffix(".snap"))
                .map(str::to_string)
        })
        .collect();
    on_disk.sort();
    let mut lessons: Vec<String> = sim_core::lessons::all()
        .iter()
        .map(|l| l.name.to_string())
        .collect();
    lessons.sort();
    assert_eq!(on_disk, lessons);
}

#[test]
fn a_scenario_whose_expects_all_hold_exits_0() {
    let dir = scratch("all-hold");
    scenario_file(
        &dir,
        "good.scn",
        "process p\np: mmap buf 2\np: write buf 0\nexpect p faults 1\n",
    );
    let out = forkscope(&["run", "good.scn"], &dir);
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("  ok    expect p faults 1\n"), "{stdout}");
    assert!(
        stdout.ends_with("3 steps, 1 expects: all hold.\n"),
        "{stdout}"
    );
}

#[test]
fn a_wrong_expect_exits_1_and_names_its_line() {
    let dir = scratch("wrong-expect");
    scenario_file(&dir, "wrong.scn", WRONG_EXPECT);
    let out = forkscope(&["run", "wrong.scn"], &dir);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("  FAIL  expect p faults 2 (line 5): its last operation took 1\n"),
        "{stdout}"
    );
    assert!(
        stdout.ends_with(
            "3 steps, 2 expects: 1 failed.\n  line 5: expect p faults 2 -- but its last operation took 1\n"
        ),
        "{stdout}"
    );
    assert_eq!(text(&out.stderr), "");
}

#[test]
fn a_typo_exits_2_with_a_caret_under_it_on_stderr() {
    let dir = scratch("typo");
    scenario_file(&dir, "typo.scn", TYPO);
    let out = forkscope(&["run", "typo.scn"], &dir);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(text(&out.stdout), "");
    assert_eq!(
        text(&out.stderr),
        "error: typo.scn:4:4: unknown operation \"wirte\"; did you mean \"write\"?\n 4 | p: wirte buf 0\n   |    ^^^^^\n"
    );
}

#[test]
fn a_run_time_error_exits_2_after_the_steps_that_ran() {
    let dir = scratch("run-time-error");
    scenario_file(
        &dir,
        "ghost.scn",
        "process parent\nparent: mmap buf 2\nparnet: write buf 0\n",
    );
    let out = forkscope(&["run", "ghost.scn"], &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stdout).contains("step 2 (line 2): parent: mmap buf 2\n"));
    assert_eq!(
        text(&out.stderr),
        "error: ghost.scn:3:1: no process is named \"parnet\"; did you mean \"parent\"?\n 3 | parnet: write buf 0\n   | ^^^^^^\n"
    );
}

#[test]
fn a_missing_file_that_is_no_lesson_exits_2() {
    let dir = scratch("missing");
    let out = forkscope(&["run", "nowhere.scn"], &dir);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with("error: cannot read nowhere.scn: "),
        "{stderr}"
    );
    assert!(stderr.contains("cow-after-fork"), "{stderr}");
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "forkscope run --json prints JSON ({e}):\n{}",
            text(&out.stdout)
        )
    })
}

#[test]
fn the_json_trace_of_every_lesson_has_the_documented_fields() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    for lesson in sim_core::lessons::all() {
        let out = forkscope(&["run", "--json", lesson.name], here);
        assert_eq!(out.status.code(), Some(0), "lesson {}", lesson.name);
        let trace = json(&out);
        assert_eq!(trace["source"], lesson.name);
        assert_eq!(trace["title"], lesson.title());
        assert!(trace["intro"].is_array());
        assert!(trace["error"].is_null());
        assert_eq!(trace["failed"], 0);
        let steps = trace["steps"].as_array().expect("steps is an array");
        assert!(!steps.is_empty());
        let mut expects = 0;
        for (i, step) in steps.iter().enumerate() {
            assert_eq!(step["index"], i + 1);
            assert!(step["pos"]["line"].is_u64() && step["pos"]["col"].is_u64());
            assert!(step["source"].is_string());
            assert!(step["actor"].is_string() || step["actor"].is_null());
            assert!(step["events"].is_array());
            assert!(step["narration"].as_str().is_some_and(|n| !n.is_empty()));
            assert!(step["says"].is_array());
            assert!(step["changes"]["processes"].is_object());
            assert!(step["changes"]["queued"].is_object());
            for expect in step["expects"].as_array().expect("expects is an array") {
                assert!(expect["pos"]["line"].is_u64());
                assert!(expect["text"]
                    .as_str()
                    .is_some_and(|t| t.starts_with("expect ")));
                assert_eq!(expect["verdict"], serde_json::json!({ "Ok": null }));
                expects += 1;
            }
            for proc in step["changes"]["processes"]
                .as_object()
                .expect("changes")
                .values()
            {
                for field in [
                    "state",
                    "parent",
                    "pages",
                    "unmapped",
                    "last_op",
                    "handled",
                    "last_reaped",
                ] {
                    assert!(proc.get(field).is_some(), "a process has no {field}");
                }
            }
        }
        assert_eq!(trace["expects"], expects);
    }
}

#[test]
fn the_json_trace_of_a_wrong_expect_says_what_was_found() {
    let dir = scratch("json-wrong-expect");
    scenario_file(&dir, "wrong.scn", WRONG_EXPECT);
    let out = forkscope(&["run", "--json", "wrong.scn"], &dir);
    assert_eq!(out.status.code(), Some(1));
    let trace = json(&out);
    assert_eq!(trace["source"], "wrong.scn");
    assert_eq!(trace["title"], "One expect is wrong");
    assert_eq!(trace["expects"], 2);
    assert_eq!(trace["failed"], 1);
    assert!(trace["error"].is_null());
    let write = &trace["steps"][2];
    assert_eq!(write["source"], "p: write buf 0");
    assert_eq!(write["actor"], "p");
    assert_eq!(
        write["expects"][0],
        serde_json::json!({
            "pos": { "line": 5, "col": 1 },
            "text": "expect p faults 2",
            "verdict": { "Err": "its last operation took 1" },
        })
    );
    let p = &write["changes"]["processes"]["p"];
    assert_eq!(p["last_op"]["faults"], 1);
    assert_eq!(
        p["pages"],
        serde_json::json!([{ "region": "buf", "from": 0, "to": 1, "page": { "page": "frame", "frame": 1, "users": 1 } }])
    );
}

#[test]
fn the_json_trace_of_a_typo_carries_the_error_and_exits_2() {
    let dir = scratch("json-typo");
    scenario_file(&dir, "typo.scn", TYPO);
    let out = forkscope(&["run", "--json", "typo.scn"], &dir);
    assert_eq!(out.status.code(), Some(2));
    let trace = json(&out);
    assert_eq!(trace["steps"], serde_json::json!([]));
    assert_eq!(
        trace["error"],
        serde_json::json!({
            "pos": { "line": 4, "col": 4 },
            "kind": { "error": "unknown_operation", "word": "wirte", "suggestion": "write" },
        })
    );
}
