//! `child_process.spawn`, `exec` and `execFile`: how they parse and print
//! (errors at their line and column), the kernel steps they expand into in
//! order (as strace shows node 20 making them), a spawned program's exit
//! followed by its parent's loop, `kill()`, ENOENT's 'error' and 'close'
//! (-2, null), and exec's callback with the bytes the program wrote.

use super::statements::{error, events, group_steps, run};
use crate::node::spawn::program_exists;
use crate::scenario;

const SPAWNED: &str = "node main\nmain: const c = child_process.spawn('cat')\n";

#[test]
fn spawn_prints_as_written_and_parses_back_the_same() {
    let text = "node main\n\
                main: const a = child_process.spawn('ls')\n\
                main: const b = child_process.spawn( \"ls\" , ['-l', 'x'] )\n\
                main: const c = child_process.spawn('cat', [], {stdio: ['pipe', 'inherit', 'ignore']})\n\
                main: const d = child_process.spawn('cat', {stdio: 'ignore'})\n\
                expect main event a error 'ENOENT'\n";
    let parsed = scenario::parse(text).unwrap();
    let printed = scenario::print(&parsed);
    assert!(
        printed.contains("main: const b = child_process.spawn(\"ls\", ['-l', 'x'])"),
        "{printed}"
    );
    assert!(
        printed.contains(
            "main: const c = child_process.spawn('cat', [], {stdio: ['pipe', 'inherit', 'ignore']})"
        ),
        "{printed}"
    );
    assert!(
        printed.contains("main: const d = child_process.spawn('cat', {stdio: 'ignore'})"),
        "{printed}"
    );
    assert_eq!(scenario::parse(&printed).unwrap(), parsed);
}

#[test]
fn a_spawn_that_does_not_parse_names_its_line_and_column() {
    let cases = [
        (
            "main: const c = child_process.spawn(3)",
            37,
            "the command as a non-empty string",
        ),
        (
            "main: const c = child_process.spawn('')",
            37,
            "the command as a non-empty string",
        ),
        (
            "main: const c = child_process.spawn('ls', [1])",
            43,
            "an array of strings",
        ),
        (
            "main: const c = child_process.spawn('ls', {cwd: '/'})",
            43,
            "stdio only",
        ),
        (
            "main: const c = child_process.spawn('ls', {stdio: ['pipe', 'ipc']})",
            43,
            "'ipc' only for node",
        ),
        (
            "main: const c = child_process.spawn('ls', {}, [])",
            47,
            "the arguments (an array of strings) and then the options",
        ),
        (
            "main: const c = child_process.spawn('ls'",
            41,
            "expected \")\"",
        ),
    ];
    for (line, col, message) in cases {
        let text = format!("node main\n{line}\n");
        let (pos, got) = error(&text);
        assert_eq!((pos.line, pos.col), (2, col), "{line}: {got}");
        assert!(got.contains(message), "{line}: {got}");
    }
}

#[test]
fn a_spawned_child_has_no_send() {
    let (pos, got) = error(&format!("{SPAWNED}main: c.send(1)\n"));
    assert_eq!((pos.line, pos.col), (3, 7));
    assert!(got.contains("has no IPC channel"), "{got}");
}

#[test]
fn spawn_expands_into_a_socketpair_per_pipe_slot_then_libuvs_spawn() {
    let sim = run(SPAWNED);
    assert_eq!(
        group_steps(&sim, 2),
        [
            "main: socketpair c-stdin cloexec",
            "main: socketpair c-stdout cloexec",
            "main: socketpair c-stderr cloexec",
            "main: signal SIGCHLD handle mask all",
            "main: pipe c-err cloexec",
            "main: fork c",
            "main: close c-err.w",
            "main: recv c-err.r 4",
            "c: signal SIGCHLD default",
            "c: cloexec c-stdin.1 off",
            "c: cloexec c-stdout.1 off",
            "c: cloexec c-stderr.1 off",
            "c: exec cat",
            "main: close c-err.r",
            "main: close c-stdin.1",
            "main: close c-stdout.1",
            "main: close c-stderr.1",
        ]
    );
    assert_eq!(events(&sim), ["main c 'spawn'"]);
}

#[test]
fn inherit_and_ignore_slots_make_no_socketpair() {
    let sim = run(
        "node main\nmain: const c = child_process.spawn('cat', [], {stdio: ['pipe', 'inherit', 'ignore']})\n",
    );
    let steps = group_steps(&sim, 2);
    let pairs: Vec<_> = steps.iter().filter(|s| s.contains("socketpair")).collect();
    assert_eq!(pairs, ["main: socketpair c-stdin cloexec"]);
    assert!(steps.contains(&"c: exec cat".to_string()), "{steps:?}");
    let exec = sim
        .steps()
        .iter()
        .find(|s| s.source == "c: exec cat")
        .unwrap();
    let why = &exec.group.as_ref().unwrap().why;
    assert!(why.contains("fd 1 is the parent's own"), "{why}");
    assert!(why.contains("fd 2 is /dev/null"), "{why}");
}

#[test]
fn a_spawned_programs_write_is_data_at_once_and_its_streams_end_before_exit() {
    let sim = run(&format!(
        "{SPAWNED}c: send c-stdout.1 \"hi\\n\"\nexpect main event c.stdout data \"hi\\n\"\nc: exit 3\nexpect main events c spawn exit close\nexpect main event c close 3 null\nexpect main events c.stdout data end\n"
    ));
    // The parent's loop reads the write as it comes: 'data'.
    assert_eq!(
        group_steps(&sim, 3),
        [
            "c: send c-stdout.1 \"hi\\n\"",
            "main: recv c-stdout.0 65536"
        ]
    );
    // At the death each stream reads end of file ('end') and closes
    // before the watcher runs.
    assert_eq!(
        group_steps(&sim, 5),
        [
            "c: exit 3",
            "main: send main-sig.w 16 nonblock",
            "main: recv c-stdout.0 65536",
            "main: close c-stdout.0",
            "main: recv c-stderr.0 65536",
            "main: close c-stderr.0",
            "main: recv main-sig.r 512 nonblock",
            "main: wait c nohang",
            "main: close c-stdin.0",
        ]
    );
    assert_eq!(
        events(&sim),
        [
            "main c 'spawn'",
            "main c.stdout 'data' (\"hi\\n\")",
            "main c.stdout 'end'",
            "main c.stderr 'end'",
            "main c 'exit' (3, null)",
            "main c 'close' (3, null)"
        ]
    );
    assert!(sim
        .steps()
        .last()
        .unwrap()
        .expects
        .iter()
        .all(|e| e.holds()));
}

#[test]
fn kill_ends_a_spawned_program_with_null_and_the_signal() {
    let sim = run(&format!("{SPAWNED}main: c.kill()\n"));
    assert_eq!(
        events(&sim),
        [
            "main c 'spawn'",
            "main c.stdout 'end'",
            "main c.stderr 'end'",
            "main c 'exit' (null, \"SIGTERM\")",
            "main c 'close' (null, \"SIGTERM\")"
        ]
    );
}

#[test]
fn a_missing_program_is_error_enoent_then_close_minus_2_with_no_spawn_and_no_exit() {
    let sim = run("node main\nmain: const x = child_process.spawn('no-such-cmd')\n");
    let steps = group_steps(&sim, 2);
    let after_fork: Vec<_> = steps
        .iter()
        .skip_while(|s| !s.starts_with("x: cloexec x-stderr.1"))
        .skip(1)
        .cloned()
        .collect();
    assert_eq!(
        after_fork,
        [
            "x: send x-err.w 4",
            "main: wait x",
            "x: exit 127",
            "main: send main-sig.w 16 nonblock",
            "main: close x-err.r",
            "main: close x-stdin.1",
            "main: close x-stdout.1",
            "main: close x-stderr.1",
            "main: close x-stdin.0",
            "main: recv x-stdout.0 65536",
            "main: close x-stdout.0",
            "main: recv x-stderr.0 65536",
            "main: close x-stderr.0",
            "main: recv main-sig.r 512 nonblock",
        ]
    );
    assert_eq!(
        events(&sim),
        [
            "main x 'error' (\"ENOENT\")",
            "main x.stdout 'end'",
            "main x.stderr 'end'",
            "main x 'close' (-2, null)"
        ]
    );
    // The parent sleeps in a blocking wait, and the child's _exit(127)
    // wakes it with the child reaped.
    let wait = sim
        .steps()
        .iter()
        .find(|s| s.source == "main: wait x")
        .unwrap();
    assert!(wait.narration.contains("blocks"), "{}", wait.narration);
    let exit = sim
        .steps()
        .iter()
        .find(|s| s.source == "x: exit 127")
        .unwrap();
    assert!(exit.narration.contains("reaps x"), "{}", exit.narration);
}

#[test]
fn a_missing_program_with_no_pipes_still_emits_error_and_close() {
    let sim =
        run("node main\nmain: const x = child_process.spawn('nope', [], {stdio: 'inherit'})\n");
    assert_eq!(
        events(&sim),
        ["main x 'error' (\"ENOENT\")", "main x 'close' (-2, null)"]
    );
}

#[test]
fn the_model_takes_only_the_common_programs_to_exist() {
    assert!(program_exists("cat"));
    assert!(program_exists("/bin/sh"));
    assert!(program_exists("/usr/bin/echo"));
    assert!(!program_exists("no-such-cmd"));
    assert!(!program_exists("/opt/bin/cat"));
    assert!(!program_exists("./cat"));
}

#[test]
fn a_spawned_program_with_no_output_has_its_streams_closed_before_exit() {
    let sim = run(&format!("{SPAWNED}c: exit 0\n"));
    let steps = group_steps(&sim, 3);
    let at = |s: &str| steps.iter().position(|x| x == s).unwrap();
    assert!(
        at("main: close c-stdout.0") < at("main: wait c nohang"),
        "{steps:?}"
    );
    assert!(
        at("main: close c-stderr.0") < at("main: wait c nohang"),
        "{steps:?}"
    );
}

#[test]
fn exec_and_exec_file_print_as_written_and_refuse_what_they_do_not_take() {
    let text = "node main\n\
                main: const e = child_process.exec('echo hi | cat')\n\
                main: const f = child_process.execFile('echo', ['hi'])\n";
    let parsed = scenario::parse(text).unwrap();
    let printed = scenario::print(&parsed);
    assert!(
        printed.contains("main: const e = child_process.exec('echo hi | cat')"),
        "{printed}"
    );
    assert!(
        printed.contains("main: const f = child_process.execFile('echo', ['hi'])"),
        "{printed}"
    );
    assert_eq!(scenario::parse(&printed).unwrap(), parsed);
    let (pos, got) = error("node main\nmain: const e = child_process.exec('ls', ['-l'])\n");
    assert_eq!((pos.line, pos.col), (2, 42), "{got}");
    assert!(
        got.contains("exec takes its arguments in the command line"),
        "{got}"
    );
    let (pos, got) =
        error("node main\nmain: const f = child_process.execFile('ls', [], {cwd: '/'})\n");
    assert_eq!((pos.line, pos.col), (2, 50), "{got}");
    assert!(
        got.contains("the model reads no other option of exec() or execFile()"),
        "{got}"
    );
}

#[test]
fn exec_runs_the_command_line_with_bin_sh_and_pipes_all_three_slots() {
    let sim = run(
        "node main\nmain: const e = child_process.exec('echo hi', )\n"
            .replace(", )", ")")
            .as_str(),
    );
    let steps = group_steps(&sim, 2);
    let pairs = steps.iter().filter(|s| s.contains("socketpair")).count();
    assert_eq!(pairs, 3, "{steps:?}");
    assert!(steps.contains(&"e: exec /bin/sh".to_string()), "{steps:?}");
}

#[test]
fn exec_calls_back_with_what_the_program_wrote_between_exit_and_close() {
    let sim = run("node main\n\
         main: const e = child_process.exec('echo hi; echo oops >&2; exit 2')\n\
         e: send e-stdout.1 \"hi\\n\"\n\
         e: send e-stderr.1 \"oops\\n\"\n\
         e: exit 2\n");
    assert_eq!(
        events(&sim),
        [
            "main e 'spawn'",
            "main e 'exit' (2, null)",
            "main e 'callback' (2, \"hi\\n\", \"oops\\n\")",
            "main e 'close' (2, null)",
        ]
    );
    // Both streams were read and closed before the watcher ran: exec's
    // own listeners took the bytes.
    let steps = group_steps(&sim, 5);
    let at = |s: &str| steps.iter().position(|x| x == s).unwrap();
    assert!(
        at("main: close e-stdout.0") < at("main: wait e nohang"),
        "{steps:?}"
    );
}

#[test]
fn a_killed_exec_file_calls_back_with_the_signal_and_a_missing_one_before_error() {
    let sim = run("node main\n\
         main: const k = child_process.execFile('sleep', ['5'])\n\
         main: k.kill()\n\
         main: const x = child_process.execFile('no-such-cmd')\n");
    assert_eq!(
        events(&sim),
        [
            "main k 'spawn'",
            "main k 'exit' (null, \"SIGTERM\")",
            "main k 'callback' (\"SIGTERM\", \"\", \"\")",
            "main k 'close' (null, \"SIGTERM\")",
            "main x 'callback' (\"ENOENT\", \"\", \"\")",
            "main x 'error' (\"ENOENT\")",
            "main x 'close' (-2, null)",
        ]
    );
}

#[test]
fn a_spawned_programs_text_is_kept_only_when_it_writes_its_own_output() {
    // c writes on its own stdout: a group; main's send on c's stdin is a
    // plain kernel statement.
    let sim = run(&format!(
        "{SPAWNED}c: send c-stdout.1 \"x\"\nmain: send c-stdin.0 \"y\"\n"
    ));
    assert_eq!(
        group_steps(&sim, 3),
        ["c: send c-stdout.1 \"x\"", "main: recv c-stdout.0 65536"]
    );
    assert!(group_steps(&sim, 4).is_empty());
}
