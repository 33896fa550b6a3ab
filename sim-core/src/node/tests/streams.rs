//! 'data' and 'end' on a spawned child's stdout and stderr
//! (`CHILD.stdout`, `CHILD.stderr` in expects): each read the parent's
//! loop makes is one 'data' with what it took (up to 64 KiB), the end of
//! file is 'end'; how the expects on them parse (errors at their line and
//! column) and print.

use super::statements::{error, events, group_steps, run};
use crate::scenario;

const CAT: &str = "node main\nmain: const c = child_process.spawn('cat')\n";

#[test]
fn a_stream_expect_prints_as_written_and_parses_back_the_same() {
    let text = format!(
        "{CAT}expect main events c.stdout\nexpect main event c.stderr data 'x'\nexpect main event c.stdout end\n"
    );
    let parsed = scenario::parse(&text).unwrap();
    let printed = scenario::print(&parsed);
    for line in [
        "expect main events c.stdout",
        "expect main event c.stderr data 'x'",
        "expect main event c.stdout end",
    ] {
        assert!(printed.contains(line), "{line} in {printed}");
    }
    assert_eq!(scenario::parse(&printed).unwrap(), parsed);
}

#[test]
fn a_stream_that_is_not_stdout_or_stderr_of_a_named_child_is_an_error_at_it() {
    let cases = [
        ("expect main event c.stdin data 'x'", 19, "c.stdin"),
        ("expect main event C.stdout end", 19, "C"),
        (
            "expect main event c.stdout data 'x' 'y'",
            33,
            "'data' takes 1 argument",
        ),
        ("expect main event d.stdout end", 19, "d.stdout"),
    ];
    for (line, col, message) in cases {
        let (pos, got) = error(&format!("{CAT}{line}\n"));
        assert_eq!((pos.line, pos.col), (3, col), "{line}: {got}");
        assert!(got.contains(message), "{line}: {got}");
    }
}

#[test]
fn each_write_is_one_read_and_one_data_event_as_it_comes() {
    let sim = run(&format!(
        "{CAT}c: send c-stdout.1 \"one\"\n\
         c: send c-stderr.1 \"two\"\n\
         c: send c-stdout.1 \"three\"\n\
         expect main events c.stdout data data\n\
         expect main event c.stderr data \"two\"\n"
    ));
    assert_eq!(
        events(&sim)[1..],
        [
            "main c.stdout 'data' (\"one\")",
            "main c.stderr 'data' (\"two\")",
            "main c.stdout 'data' (\"three\")",
        ]
    );
    assert!(sim
        .steps()
        .iter()
        .all(|s| s.expects.iter().all(|e| e.holds())));
}

#[test]
fn a_write_longer_than_64_kib_is_read_in_chunks_of_65536() {
    let big = "y".repeat(65536 + 10);
    let sim = run(&format!("{CAT}c: send c-stdout.1 \"{big}\"\n"));
    let reads = group_steps(&sim, 3);
    assert_eq!(reads.len(), 3, "the write and two reads");
    let sizes: Vec<usize> = sim
        .steps()
        .iter()
        .filter_map(|s| s.group.as_ref())
        .flat_map(|g| &g.events)
        .filter(|e| e.event == crate::scenario::keyword::NodeEventName::Data)
        .map(|e| e.args[0].len() - 2)
        .collect();
    assert_eq!(sizes, [65536, 10]);
}

#[test]
fn the_stream_ends_as_the_child_dies_and_the_expect_of_its_end_holds() {
    let sim = run(&format!(
        "{CAT}c: send c-stdout.1 \"hi\"\nmain: c.kill()\nexpect main events c.stdout data end\nexpect main events c.stderr end\n"
    ));
    assert!(sim
        .steps()
        .iter()
        .all(|s| s.expects.iter().all(|e| e.holds())));
}
