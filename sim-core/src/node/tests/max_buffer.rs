//! exec's and execFile's maxBuffer: how the option parses and prints
//! (errors at their line and column), the parent's read of each write as
//! it comes, and what node does past maxBuffer: the kernel steps in order
//! (the read, both streams destroyed, kill(SIGTERM), the child's death and
//! libuv's SIGCHLD chain), and the events ('exit' (null, 'SIGTERM'), the
//! callback with ERR_CHILD_PROCESS_STDIO_MAXBUFFER and stdout cut at
//! exactly maxBuffer bytes, 'close'), as node 20 does them.

use super::statements::{error, events, group_steps, run};
use crate::scenario;

/// exec of a shell line that writes 6 bytes and then waits on its stdin
/// (which node keeps open), so node's SIGTERM always finds it alive.
const PAST_4: &str = "node main\n\
    main: const e = child_process.exec('echo hello; read x', {maxBuffer: 4})\n\
    e: send e-stdout.1 \"hello\\n\"\n";

#[test]
fn max_buffer_prints_as_written_and_parses_back_the_same() {
    let text = "node main\n\
                main: const e = child_process.exec('ls', {maxBuffer: 4})\n\
                main: const f = child_process.execFile('ls', ['-l'], { maxBuffer : 0 })\n\
                main: const g = child_process.execFile('ls', {maxBuffer: 1048576})\n";
    let parsed = scenario::parse(text).unwrap();
    let printed = scenario::print(&parsed);
    for line in [
        "main: const e = child_process.exec('ls', {maxBuffer: 4})",
        "main: const f = child_process.execFile('ls', ['-l'], { maxBuffer : 0 })",
        "main: const g = child_process.execFile('ls', {maxBuffer: 1048576})",
    ] {
        assert!(printed.contains(line), "{line} in {printed}");
    }
    assert_eq!(scenario::parse(&printed).unwrap(), parsed);
}

#[test]
fn a_max_buffer_that_does_not_parse_names_its_line_and_column() {
    let cases = [
        (
            "main: const e = child_process.exec('ls', {maxBuffer: -1})",
            42,
            "maxBuffer as a whole number of bytes",
        ),
        (
            "main: const e = child_process.exec('ls', {maxBuffer: 1.5})",
            42,
            "maxBuffer as a whole number of bytes",
        ),
        (
            "main: const e = child_process.exec('ls', {maxBuffer: '4'})",
            42,
            "maxBuffer as a whole number of bytes",
        ),
        (
            "main: const e = child_process.exec('ls', {timeout: 5})",
            42,
            "options with maxBuffer only",
        ),
        (
            "main: const e = child_process.exec('ls', {maxBuffer: 4}, {})",
            58,
            "the options, such as {maxBuffer: 1024}",
        ),
        (
            "main: const f = child_process.execFile('ls', [], {stdio: 'pipe'})",
            50,
            "options with maxBuffer only",
        ),
        (
            "main: const c = child_process.spawn('ls', {maxBuffer: 4})",
            43,
            "the model reads no option \"maxBuffer\" of spawn()",
        ),
    ];
    for (line, col, message) in cases {
        let (pos, got) = error(&format!("node main\n{line}\n"));
        assert_eq!((pos.line, pos.col), (2, col), "{line}: {got}");
        assert!(got.contains(message), "{line}: {got}");
    }
}

#[test]
fn below_max_buffer_a_write_is_read_at_the_programs_end_as_before() {
    // The reads are claimed at the death, where every order of them on
    // the kernel has them (spawn.rs, past_max_buffer, says why).
    let sim = run("node main\n\
         main: const e = child_process.exec('echo hi', {maxBuffer: 3})\n\
         e: send e-stdout.1 \"hi\\n\"\n\
         e: exit 0\n");
    assert_eq!(group_steps(&sim, 3), ["e: send e-stdout.1 \"hi\\n\""]);
    let steps = group_steps(&sim, 4);
    let at = |s: &str| steps.iter().position(|x| x == s).unwrap();
    assert!(at("main: recv e-stdout.0 65536") < at("main: close e-stdout.0"));
    assert!(at("main: close e-stdout.0") < at("main: wait e nohang"));
    assert_eq!(
        events(&sim)[2],
        "main e 'callback' (null, \"hi\\n\", \"\")",
        "3 bytes fit maxBuffer 3"
    );
}

#[test]
fn past_max_buffer_node_reads_destroys_both_streams_and_kills_with_sigterm() {
    let sim = run(PAST_4);
    assert_eq!(
        group_steps(&sim, 3),
        [
            "e: send e-stdout.1 \"hello\\n\"",
            "main: recv e-stdout.0 65536",
            "main: close e-stdout.0",
            "main: close e-stderr.0",
            "main: kill e SIGTERM",
            "main: send main-sig.w 16 nonblock",
            "main: recv main-sig.r 512 nonblock",
            "main: wait e nohang",
            "main: close e-stdin.0",
        ]
    );
    let kill = sim
        .steps()
        .iter()
        .find(|s| s.source == "main: kill e SIGTERM")
        .unwrap();
    let why = &kill.group.as_ref().unwrap().why;
    assert!(why.contains("child.killed becomes true"), "{why}");
}

#[test]
fn past_max_buffer_the_callback_gets_the_range_error_and_stdout_cut_at_max_buffer() {
    let sim = run(&format!(
        "{PAST_4}expect main events e spawn exit callback close\n\
         expect main event e callback 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER' 'hell' ''\n"
    ));
    assert_eq!(
        events(&sim),
        [
            "main e 'spawn'",
            "main e 'exit' (null, \"SIGTERM\")",
            "main e 'callback' (\"ERR_CHILD_PROCESS_STDIO_MAXBUFFER\", \"hell\", \"\")",
            "main e 'close' (null, \"SIGTERM\")",
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
fn writes_up_to_max_buffer_are_kept_whole_and_the_one_past_it_is_cut() {
    // 4 bytes fit maxBuffer 4 exactly; stderr's 3 are its own count.
    let sim = run("node main\n\
         main: const f = child_process.execFile('sh', ['-c', 'x'], {maxBuffer: 4})\n\
         f: send f-stdout.1 \"abcd\"\n\
         f: send f-stderr.1 \"err\"\n\
         f: send f-stderr.1 \"or!\"\n");
    assert_eq!(
        events(&sim),
        [
            "main f 'spawn'",
            "main f 'exit' (null, \"SIGTERM\")",
            "main f 'callback' (\"ERR_CHILD_PROCESS_STDIO_MAXBUFFER\", \"abcd\", \"erro\")",
            "main f 'close' (null, \"SIGTERM\")",
        ]
    );
    // The first two writes stay queued; the third takes stderr past
    // maxBuffer: node had read stdout's bytes as they came, so they are
    // read first, then stderr's, cut at 4.
    assert_eq!(group_steps(&sim, 3).len(), 1);
    assert_eq!(group_steps(&sim, 4).len(), 1);
    let third = group_steps(&sim, 5);
    assert_eq!(
        third[..6],
        [
            "f: send f-stderr.1 \"or!\"",
            "main: recv f-stdout.0 65536",
            "main: recv f-stderr.0 65536",
            "main: close f-stdout.0",
            "main: close f-stderr.0",
            "main: kill f SIGTERM",
        ]
    );
}

#[test]
fn max_buffer_0_kills_at_the_first_byte_and_keeps_none() {
    let sim = run("node main\n\
         main: const e = child_process.exec('x', {maxBuffer: 0})\n\
         e: send e-stdout.1 \"a\"\n");
    assert_eq!(
        events(&sim),
        [
            "main e 'spawn'",
            "main e 'exit' (null, \"SIGTERM\")",
            "main e 'callback' (\"ERR_CHILD_PROCESS_STDIO_MAXBUFFER\", \"\", \"\")",
            "main e 'close' (null, \"SIGTERM\")",
        ]
    );
}

#[test]
fn the_default_max_buffer_is_one_mebibyte_read_in_64_kib_reads() {
    // 1 MiB and one byte more, in one write: 17 reads of up to 64 KiB
    // take node past 1048576 bytes.
    let big = "x".repeat(1024 * 1024 + 1);
    let sim = run(&format!(
        "node main\nmain: const e = child_process.exec('x')\ne: send e-stdout.1 \"{big}\"\n"
    ));
    let steps = group_steps(&sim, 3);
    let reads = steps.iter().filter(|s| s.contains("recv e-stdout")).count();
    assert_eq!(reads, 17, "{steps:?}");
    assert!(steps.contains(&"main: kill e SIGTERM".to_string()));
}
