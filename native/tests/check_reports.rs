//! `forkscope check` reports only what was compared: workers start with
//! every signal at its default action; an expect that could not be judged
//! is never an agreement; verdicts say what happened; every error under
//! `--json` is JSON of one shape; bad timeouts are refused and a timeout
//! names its flag; a gigabyte region that differs everywhere is reported
//! as one row per side (how fast is the bench's business, not a test's).

mod common;

use serde_json::Value;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// All tests that start processes share this lock (as nix's FORK_MTX), so
/// that the timed ones are not slowed by the others.
static FORK_MTX: Mutex<()> = Mutex::new(());

/// `forkscope` with `args`, extra environment, and a hook run in the child
/// just before exec.
fn run_with(
    args: &[&str],
    env: &[(&str, &str)],
    before_exec: Option<fn() -> std::io::Result<()>>,
) -> Output {
    let _guard = FORK_MTX.lock().unwrap_or_else(|e| e.into_inner());
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_forkscope"));
    cmd.args(args).envs(env.iter().copied());
    if let Some(hook) = before_exec {
        // Safety: the hook only calls async-signal-safe functions.
        unsafe { cmd.pre_exec(hook) };
    }
    cmd.output().unwrap()
}

/// `forkscope` with `args` and extra environment, and how long it ran
/// (from its start, not counting the wait for the lock).
fn timed(args: &[&str], env: &[(&str, &str)]) -> (Output, Duration) {
    let _guard = FORK_MTX.lock().unwrap_or_else(|e| e.into_inner());
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_forkscope"))
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    (out, started.elapsed())
}

fn forkscope(args: &[&str]) -> Output {
    run_with(args, &[], None)
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", text(out)))
}

/// Check `path` as JSON and return its one scenario, after asserting that
/// it agrees with every expect judged alike and holding.
fn agrees_fully(path: &Path) -> Value {
    let out = forkscope(&["check", "--json", path.to_str().unwrap()]);
    let doc = json(&out);
    let s = doc["scenarios"][0].clone();
    assert_eq!(out.status.code(), Some(0), "{doc:#}");
    assert_eq!(s["status"], "agree", "{s:#}");
    for e in s["expects"].as_array().unwrap() {
        assert_eq!(e["status"], "agree", "{e:#}");
        assert_eq!(e["kernel"], serde_json::json!({"Ok": null}), "{e:#}");
    }
    s
}

#[test]
fn a_worker_killed_with_sigsegv_or_sigbus_dies_of_it_as_the_model_says() {
    // The Rust runtime's SIGSEGV and SIGBUS handlers would catch these and
    // leave the worker alive; after exec the new image installs them again.
    let path = common::scenario_file(
        "sigsegv",
        "\
process p
p: fork c
p: kill c SIGSEGV
expect c state zombie
p: wait c
expect p status signaled SIGSEGV
p: fork d
d: exec node
p: kill d SIGBUS
expect d state zombie
p: wait d
expect p status signaled SIGBUS
",
    );
    let s = agrees_fully(&path);
    assert_eq!(s["counts"]["expects"], 4);
}

#[test]
fn a_writer_with_sigpipe_at_its_default_dies_of_it_even_after_exec() {
    // Rust's runtime ignores SIGPIPE in every image it starts.
    let path = common::scenario_file(
        "sigpipe-default",
        "\
process p
p: pipe x
p: fork c
c: exec node
c: close x.r
p: close x.r
c: send x.w 10
expect c state zombie
p: wait c
expect p status signaled SIGPIPE
",
    );
    agrees_fully(&path);
}

/// Ignore SIGQUIT and SIGHUP and block SIGUSR1, as a shell does for a
/// background job or nohup; then exec forkscope.
fn start_with_signals_ignored_and_blocked() -> std::io::Result<()> {
    // Safety: signal and sigprocmask are async-signal-safe; the set is ours.
    unsafe {
        libc::signal(libc::SIGQUIT, libc::SIG_IGN);
        libc::signal(libc::SIGHUP, libc::SIG_IGN);
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGUSR1);
        libc::sigprocmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
    Ok(())
}

#[test]
fn what_the_controller_was_started_with_does_not_reach_a_worker() {
    let path = common::scenario_file(
        "inherited-signals",
        "\
process p
p: fork c
p: kill c SIGQUIT
expect c state zombie
p: fork d
p: kill d SIGHUP
expect d state zombie
p: fork e
p: kill e SIGUSR1
expect e state zombie
",
    );
    let out = run_with(
        &["check", "--json", path.to_str().unwrap()],
        &[],
        Some(start_with_signals_ignored_and_blocked),
    );
    let doc = json(&out);
    assert_eq!(out.status.code(), Some(0), "{doc:#}");
    assert_eq!(doc["scenarios"][0]["status"], "agree", "{doc:#}");
    assert_eq!(doc["scenarios"][0]["counts"]["agree"], 3, "{doc:#}");
}

const WRONG_EXPECT: &str = "\
process parent
parent: mmap heap 4
parent: write heap 0..4
parent: fork child
child: write heap 2
expect child faults 5
";

#[test]
fn an_expect_that_fails_on_both_sides_alike_is_an_agreement_that_says_so() {
    let path = common::scenario_file("fails-on-both", WRONG_EXPECT);
    let out = forkscope(&["check", path.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("| agree; 1 expect fails on both |"),
        "{stdout}"
    );
    assert!(!stdout.contains("DIFFER"), "{stdout}");
    let doc = json(&forkscope(&["check", "--json", path.to_str().unwrap()]));
    let s = &doc["scenarios"][0];
    assert_eq!(s["status"], "agree");
    assert_eq!(s["counts"]["fail_on_both"], 1);
    assert_eq!(s["expects"][0]["status"], "agree");
}

#[test]
fn a_difference_is_counted_in_words_with_the_right_plural() {
    // The child dies instead of writing: its state, its pages and the
    // parent's pages differ from the model.
    let path = common::scenario_file("crash", WRONG_EXPECT);
    let out = run_with(
        &["check", path.to_str().unwrap()],
        &[("FORKSCOPE_TEST_CRASH_LINE", "5")],
        None,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let row = stdout
        .lines()
        .find(|l| l.contains("crash.scn |"))
        .unwrap_or_else(|| panic!("no summary row:\n{stdout}"));
    assert!(row.contains("| differ: "), "{row}");
    assert!(row.contains(" differences, 1 expect differs"), "{row}");
}

const FRAMES: &str = "\
process p
p: mmap heap 2
p: write heap 0..2
p: fork c
expect c heap[0] shared p
c: write heap 1
expect c heap[1] private
expect c faults 1
";

/// Run forkscope as the unprivileged user nobody when we are root (as
/// setpriv does), so that frame numbers are hidden.
fn as_nobody() -> std::io::Result<()> {
    // Safety: setgroups, setgid and setuid are async-signal-safe.
    unsafe {
        if libc::geteuid() == 0
            && (libc::setgroups(0, std::ptr::null()) != 0
                || libc::setgid(65534) != 0
                || libc::setuid(65534) != 0)
        {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

#[test]
fn an_expect_not_judged_is_never_an_agreement_and_fails_the_check_unless_accepted() {
    let path = common::scenario_file("frames", FRAMES);
    let path = path.to_str().unwrap();
    let out = run_with(&["check", path], &[], Some(as_nobody));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let row = stdout
        .lines()
        .find(|l| l.contains("5: expect c heap[0] shared p"))
        .unwrap_or_else(|| panic!("no row for line 5:\n{stdout}"));
    assert!(row.contains("not judged: frame numbers need root"), "{row}");
    assert!(
        stdout.contains("| agree; 1 expect not judged (frame numbers need root) |"),
        "{stdout}"
    );
    assert!(stdout.contains("--accept-unjudged"), "{stdout}");

    let out = run_with(&["check", "--json", path], &[], Some(as_nobody));
    let doc = json(&out);
    assert_eq!(doc["frames_visible"], false);
    let expects = doc["scenarios"][0]["expects"].as_array().unwrap();
    let statuses: Vec<&str> = expects
        .iter()
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["not_judged", "agree", "agree"], "{doc:#}");
    assert_eq!(expects[0]["reason"], "frame numbers need root");
    assert_eq!(expects[0]["kernel"], Value::Null);
    assert_eq!(doc["scenarios"][0]["counts"]["not_judged"], 1);

    let out = run_with(&["check", "--accept-unjudged", path], &[], Some(as_nobody));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 expect not judged"));

    let help = forkscope(&["check", "--help"]);
    assert!(String::from_utf8_lossy(&help.stdout).contains("--accept-unjudged"));
}

#[test]
fn as_root_every_expect_is_judged() {
    // Safety: geteuid only reads.
    if unsafe { libc::geteuid() } != 0 {
        // Not root: frame numbers are hidden here; the test above covers it.
        let out = forkscope(&[
            "check",
            common::scenario_file("frames-user", FRAMES)
                .to_str()
                .unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(3), "{}", text(&out));
        return;
    }
    let s = agrees_fully(&common::scenario_file("frames-root", FRAMES));
    assert_eq!(s["counts"]["not_judged"], 0, "{s:#}");
    assert_eq!(s["counts"]["agree"], 3, "{s:#}");
}

#[test]
fn kernel_only_never_says_agree() {
    let path = common::scenario_file("kernel-only", WRONG_EXPECT);
    let out = forkscope(&["check", "--kernel-only", path.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(!stdout.contains("agree"), "{stdout}");
    assert!(
        stdout.contains("kernel only (not compared): 1 of 1 expect fails"),
        "{stdout}"
    );
    let doc = json(&forkscope(&[
        "check",
        "--kernel-only",
        "--json",
        path.to_str().unwrap(),
    ]));
    assert_eq!(doc["scenarios"][0]["status"], "kernel_only");
    assert_eq!(doc["scenarios"][0]["expects"][0]["status"], "kernel_only");
}

const HANGS_AT_LINE_5: &str = "\
process p
p: mmap heap 4
p: write heap 0..4
p: fork c
c: write heap 1
expect c faults 1
";

/// Is a worker (not the anchor) of session `sid` running right now?
fn spinning_worker(sid: i32) -> bool {
    common::session_details(sid)
        .iter()
        .any(|m| m.state == 'R' && m.cmdline.contains("worker") && !m.cmdline.contains("anchor"))
}

#[test]
fn an_interrupted_check_prints_no_verdict_it_did_not_reach() {
    let path = common::scenario_file("interrupted", HANGS_AT_LINE_5);
    let _guard = FORK_MTX.lock().unwrap_or_else(|e| e.into_inner());
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_forkscope"));
    cmd.args(["check", "--step-timeout", "60", "--scenario-timeout", "60"])
        .arg(&path)
        .arg("orphans")
        .env("FORKSCOPE_TEST_HANG_LINE", "5")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    common::in_own_session(&mut cmd);
    let child = cmd.spawn().unwrap();
    let pid = child.id() as i32;
    // Wait until the run is under way, at best at line 5, where a worker of
    // the session spins.
    let until = Instant::now() + Duration::from_secs(30);
    let mut seen = 0;
    while seen < 3 && Instant::now() < until {
        if spinning_worker(pid) {
            seen += 1;
        } else {
            seen = 0;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // Safety: interrupting the process this test started.
    unsafe { libc::kill(pid, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    // Line 5 spins, but a worker also runs (prefaults) after its fork, so
    // under load the interrupt may come a line earlier: any line, no verdict.
    let row = stdout
        .lines()
        .find(|l| l.contains("interrupted.scn |"))
        .unwrap_or_else(|| panic!("no summary row:\n{stdout}"));
    assert!(row.contains("| interrupted at line "), "{row}");
    assert!(row.contains(", no verdict |"), "{row}");
    assert!(stdout.contains("1 scenario not checked"), "{stdout}");
    assert!(!stdout.contains("| agree"), "{stdout}");
    assert!(!stdout.contains("differ"), "{stdout}");
}

#[test]
fn timeouts_that_are_not_a_positive_number_of_seconds_are_refused_by_the_parser() {
    let path = common::scenario_file("timeouts", "process p\n");
    for flag in ["--step-timeout", "--scenario-timeout"] {
        for bad in ["inf", "1e20", "nan", "0", "1e-10", "-1", "-0.5", "soon"] {
            let out = forkscope(&["check", flag, bad, path.to_str().unwrap()]);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{flag} {bad}: {stderr}");
            assert!(stderr.contains(flag), "{flag} {bad}: {stderr}");
            assert!(
                stderr.contains("is not a bound") || stderr.contains("is not a number"),
                "{flag} {bad}: {stderr}"
            );
            assert!(!stderr.contains("panicked"), "{flag} {bad}: {stderr}");
        }
    }
    let out = forkscope(&["check", "--step-timeout", "0.5", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn a_scenario_timeout_fires_on_time_and_names_the_flag_that_raises_it() {
    let path = common::scenario_file("scenario-timeout", HANGS_AT_LINE_5);
    let (out, took) = timed(
        &[
            "check",
            "--json",
            "--scenario-timeout",
            "1",
            "--step-timeout",
            "30",
            path.to_str().unwrap(),
        ],
        &[("FORKSCOPE_TEST_HANG_LINE", "5")],
    );
    let doc = json(&out);
    assert_eq!(out.status.code(), Some(2), "{doc:#}");
    let error = &doc["scenarios"][0]["error"];
    assert_eq!(error["kind"], "timeout", "{doc:#}");
    assert_eq!(error["pos"]["line"], 5, "{doc:#}");
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("more than 1 s"), "{message}");
    assert!(message.contains("--scenario-timeout"), "{message}");
    // It was the scenario's bound that stopped the run, not the step's
    // 30 s one (the message names the flag): the run ended before the
    // step's bound could have fired, however loaded the machine.
    assert!(took < Duration::from_secs(30), "took {took:?}");

    let out = run_with(
        &["check", "--step-timeout", "0.5", path.to_str().unwrap()],
        &[("FORKSCOPE_TEST_HANG_LINE", "5")],
        None,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("within 0.5 s"), "{stdout}");
    assert!(stdout.contains("--step-timeout"), "{stdout}");
}

#[test]
fn every_error_under_json_is_json_of_one_shape() {
    let parse = common::scenario_file("parse-error", "process p\np: frobnicate\n");
    let model = common::scenario_file("model-error", "process p\np: write heap 0\n");
    let hang = common::scenario_file("kernel-error", HANGS_AT_LINE_5);
    let out = run_with(
        &[
            "check",
            "--json",
            "--step-timeout",
            "0.5",
            "/no/such/file.scn",
            parse.to_str().unwrap(),
            model.to_str().unwrap(),
            hang.to_str().unwrap(),
        ],
        &[("FORKSCOPE_TEST_HANG_LINE", "5")],
        None,
    );
    let doc = json(&out);
    assert_eq!(out.status.code(), Some(2), "{doc:#}");
    let scenarios = doc["scenarios"].as_array().unwrap();
    let kinds: Vec<&str> = scenarios
        .iter()
        .map(|s| s["error"]["kind"].as_str().unwrap_or("none"))
        .collect();
    assert_eq!(kinds, ["target", "parse", "model", "timeout"], "{doc:#}");
    for s in scenarios {
        assert_eq!(s["status"], "error", "{s:#}");
        let mut keys: Vec<&String> = s["error"].as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(keys, ["kind", "message", "pos"], "{s:#}");
        assert!(s["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
    }
    assert_eq!(scenarios[0]["error"]["pos"], Value::Null);
    assert_eq!(
        scenarios[1]["error"]["pos"],
        serde_json::json!({"line": 2, "col": 4})
    );
    assert_eq!(scenarios[2]["error"]["pos"]["line"], 2);
    assert_eq!(scenarios[3]["error"]["pos"]["line"], 5);
}

#[test]
fn a_gigabyte_region_that_differs_on_every_page_is_one_row_per_side() {
    // The child's write on line 6 is only pretended on the kernel: every
    // one of 262144 pages differs, in both processes.
    let path = common::scenario_file(
        "gigabyte",
        "\
title a 1 GiB region
process p
p: mmap heap 262144
p: write heap 0..262144
p: fork c
c: write heap 0..262144
",
    );
    let (out, took) = timed(
        &[
            "check",
            "--json",
            "--step-timeout",
            "120",
            "--scenario-timeout",
            "300",
            path.to_str().unwrap(),
        ],
        &[("FORKSCOPE_TEST_SKIP_LINE", "6")],
    );
    eprintln!("a 1 GiB region differing on every page took {took:?}");
    let doc = json(&out);
    assert_eq!(out.status.code(), Some(1), "{doc:#}");
    let s = &doc["scenarios"][0];
    assert_eq!(s["status"], "differ", "{s:#}");
    let diffs = s["differences"].as_array().unwrap();
    assert_eq!(diffs.len(), 1, "{s:#}");
    assert_eq!(diffs[0]["line"], 6);
    let what: Vec<&str> = diffs[0]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["what"].as_str().unwrap())
        .collect();
    assert_eq!(
        what,
        ["c heap[0..262144]", "c last op", "p heap[0..262144]"],
        "{s:#}"
    );
    // How long it takes is measured by the bench (a timed assertion here
    // would fail on a loaded machine and prove nothing there); the rows
    // above are what this test is about. Under load the kernel migrates
    // some of these pages while they are read: the probe reads them again
    // (kernel/snapshot.rs), so the rows stay one per side.
}

#[test]
fn an_fd_whose_close_on_exec_flag_differs_is_a_row_and_so_is_the_fd_exec_did_not_close() {
    // Line 3 is skipped on the kernel: the flag is never set there, so the
    // kernel's exec keeps the fd the model's closes.
    let path = common::scenario_file(
        "cloexec-skipped",
        "process p\np: pipe x\np: cloexec x.w on\np: fork c\nc: exec node\n",
    );
    let (out, _) = timed(
        &["check", "--json", path.to_str().unwrap()],
        &[("FORKSCOPE_TEST_SKIP_LINE", "3")],
    );
    let doc = json(&out);
    assert_eq!(out.status.code(), Some(1), "{doc:#}");
    let s = &doc["scenarios"][0];
    assert_eq!(s["status"], "differ", "{s:#}");
    let rows = |line: u64| -> Vec<(String, String, String)> {
        let diffs = s["differences"].as_array().unwrap();
        let found = diffs.iter().find(|d| d["line"] == line);
        found.map_or_else(Vec::new, |d| {
            d["rows"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    let get = |k: &str| r[k].as_str().unwrap().to_string();
                    (get("what"), get("model"), get("kernel"))
                })
                .collect()
        })
    };
    let row = |what: &str, model: &str, kernel: &str| {
        (what.to_string(), model.to_string(), kernel.to_string())
    };
    assert_eq!(
        rows(3),
        [row("p holds x.w", "fd 4, close-on-exec", "fd 4")],
        "{s:#}"
    );
    assert!(rows(5).contains(&row("c holds x.w", "-", "fd 4")), "{s:#}");
}

#[test]
fn only_a_named_race_may_explain_a_disagreement_and_earn_a_rerun() {
    let sigchld = serde_json::json!({
        "status": "differ",
        "differences": [{"line": 7, "source": "p: kill c SIGCONT",
            "rows": [{"what": "p handled SIGCHLD", "model": "1", "kernel": "2"}]}],
        "expects": [],
    });
    let continued = "process p\np: fork c\np: kill c SIGSTOP\np: kill c SIGCONT\n";
    assert_eq!(
        common::race_that_may_explain(continued, &sigchld),
        Some(common::Race::ContinuedChildSigchld)
    );
    // No SIGCONT, or a difference about something else: the model's.
    assert_eq!(
        common::race_that_may_explain("process p\np: fork c\n", &sigchld),
        None
    );
    let pages = serde_json::json!({
        "status": "differ",
        "differences": [{"line": 3, "source": "c: write heap 1",
            "rows": [{"what": "c heap[1]", "model": "frame, 1 user", "kernel": "absent"}]}],
        "expects": [],
    });
    assert_eq!(common::race_that_may_explain(continued, &pages), None);
    let table = common::describe(&pages);
    assert!(
        table.contains("c heap[1] | model: frame, 1 user | kernel: absent"),
        "{table}"
    );
}

/// Is any process but `sid` itself in session `sid`?
fn session_has_others(sid: i32) -> bool {
    common::session_details(sid).iter().any(|m| m.pid != sid)
}

#[test]
fn ctrl_c_while_the_table_of_a_gigabyte_region_is_built_stops_it_with_no_verdict() {
    let path = common::scenario_file(
        "gigabyte-interrupted",
        "\
process p
p: mmap heap 262144
p: write heap 0..262144
p: fork c
c: write heap 0..262144
p: write heap 0..262144
",
    );
    let _guard = FORK_MTX.lock().unwrap_or_else(|e| e.into_inner());
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_forkscope"));
    cmd.args([
        "check",
        "--step-timeout",
        "120",
        "--scenario-timeout",
        "300",
    ])
    .arg(&path)
    .env("FORKSCOPE_TEST_SKIP_LINE", "5")
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped());
    common::in_own_session(&mut cmd);
    let child = cmd.spawn().unwrap();
    let sid = child.id() as i32;
    // The kernel run is over once every worker is gone: the controller is
    // comparing (262144 pages a step, both sides) and has not printed yet.
    let until = Instant::now() + Duration::from_secs(120);
    let mut started = false;
    while Instant::now() < until {
        let others = session_has_others(sid);
        started |= others;
        if started && !others {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    // Safety: interrupting the process this test started.
    unsafe { libc::kill(sid, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(stdout.contains("interrupted while comparing"), "{stdout}");
    assert!(stdout.contains(", no verdict"), "{stdout}");
    assert!(!stdout.contains("| differ"), "{stdout}");
}
