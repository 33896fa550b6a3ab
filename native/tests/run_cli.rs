//! `forkscope run` end to end: the trace of every built-in lesson as a
//! snapshot, the exit codes (0 all expects hold, 1 one fails, 2 the
//! scenario is wrong), the caret message, and the JSON trace's fields.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

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
        stdout.ends_with("3 steps, 1 expect: it holds.\n"),
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
        stdout.contains("  FAIL  expect p faults 2 (line 5): its last operation took 1 fault\n"),
        "{stdout}"
    );
    assert!(
        stdout.ends_with(
            "3 steps, 2 expects: 1 failed.\n  line 5: expect p faults 2 -- but its last operation took 1 fault\n"
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
        "error: typo.scn:4:4: unknown operation \"wirte\"; did you mean \"write\"?\n 4 | p: wirte buf 0\n   |    ^^^^^\n\
help: the scenario language is documented in docs/scenario-language.md, in Forkscope's repository\n"
    );
}

#[test]
fn check_shows_a_typo_as_run_does_with_its_caret_and_the_help_line() {
    let dir = scratch("check-typo");
    scenario_file(&dir, "typo.scn", TYPO);
    let out = forkscope(&["check", "typo.scn"], &dir);
    assert_eq!(out.status.code(), Some(2));
    let report = text(&out.stdout);
    assert!(
        report.starts_with(concat!(
            "ERROR: typo.scn\n",
            "  typo.scn:4:4: it does not parse: unknown operation \"wirte\"; did you mean \"write\"?\n",
            "   4 | p: wirte buf 0\n",
            "     |    ^^^^^\n",
            "  help: the scenario language is documented in docs/scenario-language.md, in Forkscope's repository\n",
        )),
        "{report}"
    );
}

#[test]
fn check_points_at_a_page_out_of_range_as_run_does() {
    let dir = scratch("check-page-out-of-range");
    let source = "process p\np: mmap heap 2\np: read heap 1..5\n";
    scenario_file(&dir, "range.scn", source);
    let run = forkscope(&["run", "range.scn"], &dir);
    assert_eq!(
        text(&run.stderr),
        "error: range.scn:3:14: page 4 is out of range: heap has 2 pages (0..2)\n 3 | p: read heap 1..5\n   |              ^^^^\n"
    );
    let check = forkscope(&["check", "range.scn"], &dir);
    assert_eq!(check.status.code(), Some(2));
    let report = text(&check.stdout);
    // A run-time error is no parse error: no help line after it.
    assert!(
        report.starts_with(
            "ERROR: range.scn\n  range.scn:3:14: the model stops: page 4 is out of range: heap has 2 pages (0..2)\n   3 | p: read heap 1..5\n     |              ^^^^\n  scenario "
        ),
        "{report}"
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
            assert!(step["changes"]["frames"].is_object());
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
                    "reshared",
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
            "verdict": { "Err": "its last operation took 1 fault" },
        })
    );
    let p = &write["changes"]["processes"]["p"];
    assert_eq!(p["last_op"]["faults"], 1);
    assert_eq!(
        p["pages"],
        serde_json::json!([{ "region": "buf", "from": 0, "to": 1, "page": { "page": "frame", "frame": 1, "users": 1 } }])
    );
}

/// A parent with a written page forks three children, then exits: what
/// each step prints.
const FAMILY: &str = "\
process p
p: mmap buf 1
p: write buf 0
p: fork a
p: fork b
p: fork c1
p: fork c2
p: fork c3
p: fork c4
p: exit 0
";

#[test]
fn the_text_trace_tells_a_change_shared_by_many_processes_in_one_line() {
    let dir = scratch("groups");
    scenario_file(&dir, "family.scn", FAMILY);
    let out = forkscope(&["run", "family.scn"], &dir);
    assert_eq!(out.status.code(), Some(0));
    let trace = text(&out.stdout);
    let exit = trace
        .split("\nstep ")
        .find(|s| s.contains("p: exit 0"))
        .expect("a step for the exit");
    let changes: Vec<&str> = exit.lines().filter(|l| l.starts_with("  | ")).collect();
    assert_eq!(
        changes,
        [
            "  | a, b, c1 and 3 others: running (parent init)",
            "  | p: gone (parent init); buf unmapped",
        ],
        "{trace}"
    );
}

#[test]
fn the_text_trace_names_a_numbered_group_by_its_first_and_last() {
    let dir = scratch("numbered-group");
    let source = FAMILY.replace("p: fork a\np: fork b\n", "");
    scenario_file(&dir, "family.scn", &source);
    let out = forkscope(&["run", "family.scn"], &dir);
    let trace = text(&out.stdout);
    assert!(
        trace.contains("  | c1..c4: running (parent init)\n"),
        "{trace}"
    );
}

#[test]
fn the_json_trace_tells_a_frames_users_once_not_for_every_page_that_maps_it() {
    let dir = scratch("json-frames");
    scenario_file(&dir, "family.scn", FAMILY);
    let out = forkscope(&["run", "--json", "family.scn"], &dir);
    let trace = json(&out);
    // Fork b: the frame gains its third user; a and p, whose pages are
    // unchanged, are not listed again.
    let fork_b = &trace["steps"][4];
    assert_eq!(fork_b["source"], "p: fork b");
    assert_eq!(
        fork_b["changes"]["frames"],
        serde_json::json!({ "1": { "before": 2, "now": 3 } })
    );
    let listed: Vec<&String> = fork_b["changes"]["processes"]
        .as_object()
        .expect("processes")
        .keys()
        .collect();
    assert_eq!(
        listed,
        ["b", "p"],
        "p's last operation changed, a's nothing"
    );
    assert_eq!(
        fork_b["changes"]["processes"]["p"]["pages"],
        serde_json::json!([])
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
            "message": "unknown operation \"wirte\"; did you mean \"write\"?",
        })
    );
}

/// `forkscope ARGS` in `dir` with stdout going to `stdout` (stderr kept).
fn forkscope_to(args: &[&str], dir: &Path, stdout: Stdio) -> Output {
    Command::new(env!("CARGO_BIN_EXE_forkscope"))
        .args(args)
        .current_dir(dir)
        .stdout(stdout)
        .output()
        .expect("forkscope runs")
}

/// A pipe whose reader has already gone: every write to it fails with EPIPE.
fn closed_pipe() -> Stdio {
    let (reader, writer) = std::io::pipe().expect("a pipe can be made");
    drop(reader);
    Stdio::from(writer)
}

/// /dev/full: every write to it fails with ENOSPC.
fn full_disk() -> Stdio {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full can be opened");
    Stdio::from(full)
}

#[test]
fn output_into_a_closed_pipe_ends_quietly_with_the_commands_own_status() {
    let dir = scratch("closed-pipe");
    scenario_file(&dir, "wrong.scn", WRONG_EXPECT);
    let cases: [(&[&str], i32); 8] = [
        (&["run", "cow-after-fork"], 0),
        (&["run", "--json", "cow-after-fork"], 0),
        (&["run", "wrong.scn"], 1),
        (&["run", "--json", "wrong.scn"], 1),
        (&["lessons"], 0),
        (&["lessons", "--json"], 0),
        (&["check", "cow-after-fork"], 0),
        (&["--help"], 0),
    ];
    for (args, status) in cases {
        let out = forkscope_to(args, &dir, closed_pipe());
        assert_eq!(
            out.status.code(),
            Some(status),
            "forkscope {args:?} into a closed pipe:\n{}",
            text(&out.stderr)
        );
        assert_eq!(text(&out.stderr), "", "forkscope {args:?} says nothing");
    }
}

#[test]
fn output_to_a_full_disk_is_one_line_on_stderr_and_exit_2() {
    let dir = scratch("full-disk");
    let cases: [&[&str]; 5] = [
        &["run", "cow-after-fork"],
        &["run", "--json", "cow-after-fork"],
        &["lessons"],
        &["check", "cow-after-fork"],
        &["--version"],
    ];
    for args in cases {
        let out = forkscope_to(args, &dir, full_disk());
        assert_eq!(out.status.code(), Some(2), "forkscope {args:?} > /dev/full");
        assert_eq!(
            text(&out.stderr),
            "error: cannot write to standard output: No space left on device (os error 28)\n",
            "forkscope {args:?} > /dev/full"
        );
    }
}

#[test]
fn a_file_that_is_not_utf8_text_is_named_at_its_first_bad_byte() {
    let dir = scratch("not-text");
    // "café " is five characters, so the 0xFF byte is column 22 of line 2.
    std::fs::write(
        dir.join("latin1.scn"),
        b"process p\np: mmap buf 2 # caf\xc3\xa9 \xff\n",
    )
    .expect("written");
    let out = forkscope(&["run", "latin1.scn"], &dir);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(text(&out.stdout), "");
    assert_eq!(
        text(&out.stderr),
        "error: latin1.scn:2:22: this is not UTF-8 text: byte 0xFF cannot begin or continue a character; a scenario is a UTF-8 text file (is this a binary file?)\n"
    );
    // An ELF header is valid UTF-8 up to its first NUL byte.
    std::fs::write(dir.join("program"), b"\x7fELF\x02\x01\x01\x00\x00\xff").expect("written");
    let out = forkscope(&["run", "./program"], &dir);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "error: ./program:1:8: this is not UTF-8 text: it holds a NUL byte (0x00), as binary files do; a scenario is a UTF-8 text file\n"
    );
}

#[test]
fn a_file_with_no_end_or_of_megabytes_stops_at_the_size_limit() {
    let dir = scratch("too-large");
    let too_large = |target: &str| {
        format!("error: cannot read {target}: it holds more than 1 MiB (1048576 bytes), the most a scenario may hold (is it a scenario file?)\n")
    };
    let out = forkscope(&["run", "/dev/zero"], &dir);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(text(&out.stderr), too_large("/dev/zero"));

    // Three megabytes of valid statements: still too large.
    let big = "say this line is text\n".repeat(3 << 20 >> 4);
    assert!(big.len() > 3 << 20);
    scenario_file(&dir, "big.scn", &big);
    let out = forkscope(&["run", "big.scn"], &dir);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(text(&out.stderr), too_large("big.scn"));

    // A FIFO whose writer never stops: forkscope reads its limit and quits,
    // and the writer then sees its reader gone.
    let fifo = dir.join("endless.scn");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).expect("a FIFO can be made");
    let writer_path = fifo.clone();
    std::thread::spawn(move || {
        use std::io::Write;
        let mut w = std::fs::OpenOptions::new()
            .write(true)
            .open(writer_path)
            .expect("the FIFO opens for writing");
        let chunk = "say more\n".repeat(4096);
        while w.write_all(chunk.as_bytes()).is_ok() {}
    });
    let out = forkscope(&["run", "endless.scn"], &dir);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(text(&out.stderr), too_large("endless.scn"));
}

#[test]
fn a_scenario_with_no_statements_says_so_and_exits_2() {
    let dir = scratch("no-statements");
    for (file, source, pos) in [
        ("empty.scn", "", "1:1"),
        ("comments.scn", "# nothing\n\n# yet\n", "4:1"),
        ("title.scn", "title Nothing\nsay hello\n", "3:1"),
    ] {
        scenario_file(&dir, file, source);
        let out = forkscope(&["run", file], &dir);
        assert_eq!(out.status.code(), Some(2), "{file}");
        assert_eq!(text(&out.stdout), "", "{file}");
        assert_eq!(
            text(&out.stderr),
            format!("error: {file}:{pos}: the scenario has no statements to run: start with \"process NAME\"\n")
        );
        // `check` refuses it too, rather than find that nothing agrees with nothing.
        let out = forkscope(&["check", file], &dir);
        assert_eq!(out.status.code(), Some(2), "check {file}");
        let stdout = text(&out.stdout);
        assert!(
            stdout.contains(&format!(
                "ERROR: {file}\n  {file}:{pos}: the scenario has no statements to run"
            )),
            "{stdout}"
        );
    }
}

const BLOCKED: &str = "\
process p
p: pipe x
expect p state running
p: recv x.r 1
p: close x.w
";

#[test]
fn a_run_time_error_ends_the_trace_with_where_the_run_stopped_never_all_hold() {
    let dir = scratch("stopped");
    scenario_file(&dir, "blocked.scn", BLOCKED);
    let out = forkscope(&["run", "blocked.scn"], &dir);
    assert_eq!(out.status.code(), Some(2));
    let stdout = text(&out.stdout);
    assert!(!stdout.contains("all hold"), "{stdout}");
    assert!(
        stdout.ends_with(
            "\nThe run stopped at line 5: p is blocked in \"recv\" since step 3 (line 4); another process must wake it first.\nBefore it, 3 steps ran, and 1 expect held.\n"
        ),
        "{stdout}"
    );
    assert!(text(&out.stderr).starts_with("error: blocked.scn:5:1: p is blocked"));

    // A failed expect before the error is still listed.
    scenario_file(
        &dir,
        "failed-then-stopped.scn",
        "process p\nexpect p state zombie\nq: exit 0\n",
    );
    let out = forkscope(&["run", "failed-then-stopped.scn"], &dir);
    assert_eq!(out.status.code(), Some(2));
    let stdout = text(&out.stdout);
    assert!(
        stdout.ends_with(
            "\nThe run stopped at line 3: no process is named \"q\".\nBefore it, 1 step ran, and of 1 expect checked, 1 failed.\n  line 2: expect p state zombie -- but it is running\n"
        ),
        "{stdout}"
    );
}

#[test]
fn every_error_of_run_json_is_the_trace_with_one_error_shape_and_exit_2() {
    let dir = scratch("json-errors");
    scenario_file(&dir, "typo.scn", TYPO);
    scenario_file(&dir, "blocked.scn", BLOCKED);
    scenario_file(&dir, "empty.scn", "# nothing\n");
    std::fs::write(dir.join("binary.scn"), b"process p\n\xff").expect("written");
    let cases = [
        ("nowhere.scn", "cannot_read", None),
        ("/dev/zero", "file_too_large", None),
        ("binary.scn", "not_utf8", Some((2, 1))),
        ("empty.scn", "no_statements", Some((2, 1))),
        ("typo.scn", "unknown_operation", Some((4, 4))),
        ("blocked.scn", "process_blocked", Some((5, 1))),
    ];
    for (target, kind, pos) in cases {
        let out = forkscope(&["run", "--json", target], &dir);
        assert_eq!(out.status.code(), Some(2), "{target}");
        assert_eq!(text(&out.stderr), "", "{target}: everything is in the JSON");
        let trace = json(&out);
        assert_eq!(trace["source"], target);
        assert!(trace["steps"].is_array(), "{target}");
        let error = &trace["error"];
        assert_eq!(error["kind"]["error"], kind, "{target}: {error}");
        let message = error["message"].as_str().unwrap_or_default();
        assert!(!message.is_empty(), "{target}: {error}");
        match pos {
            Some((line, col)) => {
                assert_eq!(
                    error["pos"],
                    serde_json::json!({ "line": line, "col": col })
                )
            }
            None => assert!(error["pos"].is_null(), "{target}: {error}"),
        }
    }
}

/// The shown line and the caret line of an error excerpt, without their
/// ` N | ` margins (a parse error's last line points to the language
/// reference).
fn excerpt(stderr: &str) -> (String, String) {
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 4, "{stderr}");
    assert!(lines[3].starts_with("help: "), "{stderr}");
    let strip = |l: &str| l.split_once(" | ").map(|(_, rest)| rest.to_string());
    (
        strip(lines[1]).expect("a shown line"),
        strip(lines[2]).expect("a caret line"),
    )
}

#[test]
fn a_long_line_is_shown_as_a_window_around_the_caret_with_the_exact_column() {
    let dir = scratch("long-line");
    let line = format!(
        "{}p: wirte buf 0 # {}",
        " ".repeat(50_000),
        "y".repeat(50_000)
    );
    scenario_file(&dir, "long.scn", &format!("process p\n{line}\n"));
    let out = forkscope(&["run", "long.scn"], &dir);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with(
            "error: long.scn:2:50004: unknown operation \"wirte\"; did you mean \"write\"?\n"
        ),
        "{stderr}"
    );
    let (shown, caret) = excerpt(&stderr);
    assert!(shown.starts_with('…') && shown.ends_with('…'), "{shown}");
    assert!(shown.chars().count() <= 80, "{shown}");
    let word = shown.find("wirte").expect("the word is in the window");
    let at = shown[..word].chars().count();
    assert_eq!(caret, format!("{}^^^^^", " ".repeat(at)));
}

#[test]
fn tabs_and_wide_characters_before_the_error_do_not_shift_the_caret() {
    use unicode_width::UnicodeWidthStr;
    let dir = scratch("wide");
    scenario_file(
        &dir,
        "wide.scn",
        "process p\np: socketpair s\np:\tsend s.0 \"日本語\" wirte\n",
    );
    let out = forkscope(&["run", "wide.scn"], &dir);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with(
            "error: wide.scn:3:19: expected \"nonblock\" or the end of the line, found \"wirte\"\n"
        ),
        "{stderr}"
    );
    let (shown, caret) = excerpt(&stderr);
    assert!(!shown.contains('\t'), "tabs are shown as spaces: {shown:?}");
    let word = shown.find("wirte").expect("the word is shown");
    let columns = shown[..word].width();
    assert_eq!(caret, format!("{}^^^^^", " ".repeat(columns)), "{shown}");
}
