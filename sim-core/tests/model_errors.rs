//! Scenarios that parse but cannot run: one test per run-time error class,
//! each pinning the exact `line:col: message` a learner sees.

use sim_core::engine::Sim;

/// Run `source` to its end and return the error that stopped it.
fn run_error(source: &str) -> String {
    let mut sim = Sim::from_source(source).expect("the scenario parses");
    let err = sim
        .run_to_end()
        .expect_err("the scenario stops with an error");
    assert_eq!(
        sim.error(),
        Some(&err),
        "the sim keeps the error that stopped it"
    );
    err.to_string()
}

#[test]
fn an_operation_by_an_unknown_process_suggests_the_close_name() {
    let source = "process parent\nparnet: mmap heap 2\n";
    assert_eq!(
        run_error(source),
        "2:1: no process is named \"parnet\"; did you mean \"parent\"?"
    );
}

#[test]
fn an_operation_by_a_misspelt_child_suggests_the_child() {
    let source = "process parent\nparent: fork child\nchidl: exit 0\n";
    assert_eq!(
        run_error(source),
        "3:1: no process is named \"chidl\"; did you mean \"child\"?"
    );
}

#[test]
fn an_expect_naming_an_unknown_process_suggests_the_close_name() {
    let source = "process parent\nparent: mmap heap 1\nexpect parnet state running\n";
    assert_eq!(
        run_error(source),
        "3:8: no process is named \"parnet\"; did you mean \"parent\"?"
    );
}

#[test]
fn waiting_for_a_name_nothing_resembles_has_no_suggestion() {
    let source = "process parent\nparent: wait nobody\n";
    assert_eq!(run_error(source), "2:14: no process is named \"nobody\"");
}

#[test]
fn an_operation_on_an_unknown_region_suggests_the_close_name() {
    let source = "process parent\nparent: mmap heap 2\nparent: write haep 0\n";
    assert_eq!(
        run_error(source),
        "3:15: parent has no region named \"haep\"; did you mean \"heap\"?"
    );
}

#[test]
fn an_expect_on_an_unknown_region_suggests_the_close_name() {
    let source = "process parent\nparent: mmap heap 2\nexpect parent haep[0] absent\n";
    assert_eq!(
        run_error(source),
        "3:15: parent has no region named \"haep\"; did you mean \"heap\"?"
    );
}

#[test]
fn a_region_is_unknown_after_exec_released_it() {
    let source = "process p\np: mmap heap 2\np: fork c\nc: exec /bin/true\nc: read heap 0\n";
    assert_eq!(run_error(source), "5:9: c has no region named \"heap\"");
}

#[test]
fn a_region_is_unknown_after_munmap() {
    let source = "process p\np: mmap heap 2\np: munmap heap\np: write heap 0\n";
    assert_eq!(run_error(source), "4:10: p has no region named \"heap\"");
}

#[test]
fn a_page_past_the_end_of_its_region_is_out_of_range_pointed_at_the_page() {
    let source = "process parent\nparent: mmap heap 2\nparent: write heap 2\n";
    assert_eq!(
        run_error(source),
        "3:20: page 2 is out of range: heap has 2 pages (0..2)"
    );
}

#[test]
fn a_range_running_past_the_end_names_its_last_page_and_points_at_the_range() {
    let source = "process parent\nparent: mmap heap 2\nparent: read heap 1..5\n";
    assert_eq!(
        run_error(source),
        "3:19: page 4 is out of range: heap has 2 pages (0..2)"
    );
}

#[test]
fn an_expect_on_a_page_out_of_range_is_an_error_at_the_page_index() {
    let source = "process parent\nparent: mmap heap 2\nexpect parent heap[7] absent\n";
    assert_eq!(
        run_error(source),
        "3:20: page 7 is out of range: heap has 2 pages (0..2)"
    );
}

#[test]
fn a_zombie_can_do_nothing_more_and_waits_for_its_parent() {
    let source = "process parent\nparent: fork child\nchild: exit 0\nchild: exit 1\n";
    assert_eq!(
        run_error(source),
        "4:1: child exited with status 0 and is a zombie until parent waits for it, so it can do nothing more"
    );
}

#[test]
fn a_zombie_killed_by_a_signal_says_how_it_ended() {
    let source = "process parent\nparent: fork child\nparent: kill child SIGKILL\nchild: exit 1\n";
    assert_eq!(
        run_error(source),
        "4:1: child was killed by SIGKILL and is a zombie until parent waits for it, so it can do nothing more"
    );
}

#[test]
fn a_reaped_process_can_do_nothing_more() {
    let source =
        "process parent\nparent: fork child\nchild: exit 300\nparent: wait\nchild: mmap heap 1\n";
    assert_eq!(
        run_error(source),
        "5:1: child exited with status 44 and was reaped: it is gone, so it can do nothing more"
    );
}

#[test]
fn a_process_blocked_in_wait_names_the_line_that_blocked_it() {
    let source = "process parent\nparent: fork child\nparent: wait child\nparent: mmap heap 1\n";
    assert_eq!(
        run_error(source),
        "4:1: parent is blocked in \"wait\" since step 3 (line 3); another process must wake it first"
    );
}

#[test]
fn a_second_process_with_the_same_name_is_a_duplicate() {
    let source = "process parent\nprocess parent\n";
    assert_eq!(
        run_error(source),
        "2:9: \"parent\" is already used (line 1); pick another name"
    );
}

#[test]
fn forking_a_child_with_a_used_name_is_a_duplicate() {
    let source = "process parent\nparent: fork child\nparent: fork child\n";
    assert_eq!(
        run_error(source),
        "3:14: \"child\" is already used (line 2); pick another name"
    );
}

#[test]
fn a_second_region_with_the_same_name_is_a_duplicate() {
    let source = "process parent\nparent: mmap heap 2\nparent: mmap heap 4\n";
    assert_eq!(
        run_error(source),
        "3:14: \"heap\" is already used (line 2); pick another name"
    );
}

#[test]
fn an_expect_before_any_process_is_an_error() {
    let source = "say hello\nexpect p state running\nprocess p\n";
    let sim = Sim::from_source(source).expect("the scenario parses");
    let err = sim.error().expect("the sim refuses it at once").to_string();
    assert_eq!(
        err,
        "2:1: this expect comes before any process; start with \"process NAME\""
    );
    assert_eq!(sim.intro(), ["hello".to_string()]);
}

#[test]
fn a_stopped_run_keeps_its_error_and_its_earlier_steps() {
    let source =
        "process parent\nparent: mmap heap 2\nparent: write heap 9\nparent: write heap 0\n";
    let mut sim = Sim::from_source(source).expect("the scenario parses");
    let first = sim.run_to_end().expect_err("the write is out of range");
    let again = sim.step().expect_err("the run stays stopped");
    assert_eq!(first, again);
    assert_eq!(sim.steps().len(), 2);
    assert!(sim.world(2).is_some());
    assert!(sim.world(3).is_none());
}

#[test]
fn a_wrong_kind_of_object_reads_as_a_sentence_with_its_articles() {
    assert_eq!(
        run_error("process p\np: pipe x\np: send x.0 1\n"),
        "3:9: \"x\" is a pipe (whose ends are .r and .w), not a socketpair (whose ends are .0 and .1)"
    );
}

#[test]
fn cloexec_and_an_fd_expect_name_an_object_that_exists_and_of_the_right_kind() {
    assert_eq!(
        run_error("process p\np: pipe x\np: cloexec y.w on\n"),
        "3:12: no pipe or socketpair is named \"y\""
    );
    assert_eq!(
        run_error("process p\np: pipe x\np: cloexec x.0 on\n"),
        "3:12: \"x\" is a pipe (whose ends are .r and .w), not a socketpair (whose ends are .0 and .1)"
    );
    assert_eq!(
        run_error("process p\np: pipe pipe1\nexpect p fd pip1.w open\n"),
        "3:13: no pipe or socketpair is named \"pip1\"; did you mean \"pipe1\"?"
    );
}

#[test]
fn a_page_past_the_end_of_a_one_page_region_counts_one_page() {
    assert_eq!(
        run_error("process p\np: mmap one 1\np: write one 1\n"),
        "3:14: page 1 is out of range: one has 1 page (0..1)"
    );
}

// --- Reading a file: sim_core::scenario::source ---

use sim_core::scenario::source::{decode, require_statements};
use sim_core::scenario::{parse, ErrorKind, Pos};

#[test]
fn bytes_that_are_not_utf8_are_named_by_line_and_character_column() {
    // "é" is two bytes but one column; the byte-order mark is no column.
    let err = decode(b"\xef\xbb\xbfprocess p\np: mmap h\xc3\xa9ap \xc0\n").unwrap_err();
    assert_eq!(err.pos, Pos { line: 2, col: 14 });
    assert_eq!(err.kind, ErrorKind::NotUtf8 { byte: 0xc0 });
    assert_eq!(
        err.to_string(),
        "2:14: this is not UTF-8 text: byte 0xC0 cannot begin or continue a character; a scenario is a UTF-8 text file (is this a binary file?)"
    );
    // A character cut off by the end of the file.
    let err = decode(b"process p\xe6\x97").unwrap_err();
    assert_eq!(err.pos, Pos { line: 1, col: 10 });
    assert_eq!(err.kind, ErrorKind::NotUtf8 { byte: 0xe6 });
}

#[test]
fn a_nul_byte_means_a_binary_file_even_in_valid_utf8() {
    let err = decode(b"process p\n\0\0\0").unwrap_err();
    assert_eq!(err.pos, Pos { line: 2, col: 1 });
    assert_eq!(err.kind, ErrorKind::NulByte);
    // The first problem wins: a NUL before a bad byte.
    let err = decode(b"a\0\xff").unwrap_err();
    assert_eq!(err.kind, ErrorKind::NulByte);
}

#[test]
fn a_scenario_with_nothing_to_run_is_an_error_just_past_its_last_line() {
    for (text, line) in [
        ("", 1),
        ("# only a comment\n", 2),
        ("title T\n\nsay hello\n", 4),
    ] {
        let scenario = parse(text).expect("it parses");
        let err = require_statements(&scenario, text).unwrap_err();
        assert_eq!(err.pos, Pos { line, col: 1 }, "{text:?}");
        assert_eq!(
            err.kind.to_string(),
            "the scenario has no statements to run: start with \"process NAME\""
        );
    }
    let scenario = parse("process p\n").expect("it parses");
    assert_eq!(require_statements(&scenario, "process p\n"), Ok(()));
}

#[test]
fn a_word_as_long_as_a_line_is_cut_in_the_message() {
    let word = "x".repeat(100_000);
    let err = parse(&format!("{word}\n")).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("1:1: unknown statement \"{}…\"", "x".repeat(40))
    );
}

// --- Counts in sentences ---

/// Plural nouns that must never follow the number 1.
const PLURALS: &[&str] = &[
    "pages",
    "slots",
    "bytes",
    "frames",
    "entries",
    "faults",
    "steps",
    "expects",
    "times",
    "users",
    "fds",
    "instances",
    "children",
    "processes",
    "differences",
];

/// Every sentence the model says for `source`: narrations, expect
/// verdicts and the error that stopped it.
fn sentences(source: &str) -> Vec<String> {
    let mut sim = Sim::from_source(source).expect("the scenario parses");
    let end = sim.run_to_end().err().map(|e| e.to_string());
    let mut out: Vec<String> = Vec::new();
    for step in sim.steps() {
        out.push(step.narration.clone());
        out.extend(step.expects.iter().filter_map(|e| e.verdict.clone().err()));
    }
    out.extend(end);
    out
}

/// What is wrong with a sentence's counts or articles, if anything.
fn garbled(sentence: &str) -> Option<String> {
    let words: Vec<&str> = sentence
        .split(|c: char| c.is_whitespace() || "(),;:.".contains(c))
        .filter(|w| !w.is_empty())
        .collect();
    words.windows(2).find_map(|pair| match pair {
        ["1", noun] if PLURALS.contains(noun) => Some(format!("\"1 {noun}\"")),
        ["all", "1", ..] => Some("\"all 1\"".to_string()),
        ["a" | "an", "a" | "an" | "the"] => Some(format!("\"{} {}\"", pair[0], pair[1])),
        _ => None,
    })
}

#[test]
fn no_sentence_counts_one_thing_in_the_plural_or_doubles_an_article() {
    let mut sources: Vec<(String, String)> = sim_core::lessons::all()
        .iter()
        .map(|l| (l.name.to_string(), l.source.to_string()))
        .collect();
    let facts = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/scenarios/facts");
    for entry in std::fs::read_dir(&facts).expect("the facts folder exists") {
        let path = entry.expect("a readable entry").path();
        let source = std::fs::read_to_string(&path).expect("a fact is text");
        sources.push((path.display().to_string(), source));
    }
    // Counts of one, where plurals go wrong.
    for (name, source) in [
        ("one page", "process p\np: mmap one 1\np: write one 0\np: fork c\nc: write one 0\np: munmap one\nc: exec /bin/true\n"),
        ("one slot", "process w\nw: pipe x\nw: pipesize x 4096\nw: send x.w 100 nonblock\nw: send x.w 4000 nonblock\nw: send x.w 1 nonblock\nw: recv x.r 4095\nexpect x.w queued 2\n"),
        ("one handler run", "process p\np: signal SIGUSR1 handle\np: kill p SIGUSR1\nexpect p handled SIGUSR1 2\n"),
        ("one wrong kind", "process p\np: socketpair x\np: close x.r\n"),
    ] {
        sources.push((name.to_string(), source.to_string()));
    }
    let mut checked = 0;
    for (name, source) in &sources {
        for sentence in sentences(source) {
            if let Some(wrong) = garbled(&sentence) {
                panic!("{name}: {wrong} in: {sentence}");
            }
            checked += 1;
        }
    }
    assert!(checked > 500, "only {checked} sentences were read");
}

#[test]
fn counts_of_one_read_in_the_singular() {
    let said = |source: &str| sentences(source).join("\n");
    let one_page = said("process p\np: mmap one 1\np: write one 0\np: fork c\nc: exec /bin/true\n");
    for phrase in [
        "1 page of private anonymous memory",
        "1 entry of one now maps the same frame in both",
    ] {
        assert!(one_page.contains(phrase), "no \"{phrase}\" in:\n{one_page}");
    }
    let one_slot = said("process w\nw: pipe x\nw: pipesize x 4096\nw: send x.w 4096 nonblock\nw: send x.w 1 nonblock\nexpect x.w queued 1\n");
    for phrase in [
        "4096 bytes, 1 slot (it was",
        "1 of 1 slot in use",
        "its only slot is in use (4096 bytes queued)",
        "4096 bytes are queued",
    ] {
        assert!(one_slot.contains(phrase), "no \"{phrase}\" in:\n{one_slot}");
    }
    let one_run = said(
        "process p\np: signal SIGUSR1 handle\np: kill p SIGUSR1\nexpect p handled SIGUSR1 2\n",
    );
    assert!(one_run.contains("it ran 1 time"), "{one_run}");
}
