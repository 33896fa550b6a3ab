//! The scenario language v1, as README.md shows it: every statement form parses to the
//! right AST, every kind of mistake gets its `line:col: message`, printing is
//! canonical and parses back, and no input makes the parser panic.

use proptest::prelude::*;
use sim_core::errno::Errno;
use sim_core::scenario::{
    parse, print, Action, End, ErrorKind, ExitStatus, Expect, FdState, Name, Op, OpResult,
    PageCheck, PageRange, Payload, Pos, Scenario, StateName, Statement, StatementKind,
};
use sim_core::sig::Signal;

/// The example of README.md, "Scenarios".
const COW_AFTER_FORK: &str = "\
title Copy-on-write after fork
process parent                 # the first process
parent: mmap heap 8            # private anonymous, 8 pages of 4 KiB
parent: write heap 0..8        # touch pages 0..7 (half-open range)
parent: fork child
say After fork both map the same frames, read-only.
expect parent heap[2] shared child
child: write heap 2            # COW fault: child gets a copy
expect child faults 1
expect child heap[2] private
expect parent heap[2] private  # the parent's frame is now exclusive
child: exit 0
parent: wait child
expect parent status exited 0
";

const MAX_PAGES: u32 = 1 << 20;

/// A position for a range built by a test: equality ignores it.
const AT: Pos = Pos { line: 1, col: 1 };
/// 2^46: half the x86_64 user address space (parse.rs, MAX_IO_BYTES).
const MAX_IO_BYTES: u64 = 1 << 46;

// ---------------------------------------------------------------------------
// Helpers

/// A name for comparing with parsed ones: `Name` equality ignores positions.
fn name(text: &str) -> Name {
    Name {
        text: text.to_string(),
        pos: Pos { line: 0, col: 0 },
    }
}

fn kinds(text: &str) -> Vec<StatementKind> {
    let scenario = parse(text).unwrap_or_else(|e| panic!("{text:?} should parse, but: {e}"));
    scenario.statements.into_iter().map(|s| s.kind).collect()
}

/// The one statement `text` holds.
fn kind(text: &str) -> StatementKind {
    let mut all = kinds(text);
    assert_eq!(all.len(), 1, "{text:?} should be one statement");
    all.remove(0)
}

fn op(text: &str) -> Op {
    match kind(text) {
        StatementKind::Op { actor, op } => {
            assert_eq!(actor, name("p"));
            op
        }
        other => panic!("{text:?} should be an operation, not {other:?}"),
    }
}

fn expect(text: &str) -> Expect {
    match kind(text) {
        StatementKind::Expect { expect } => expect,
        other => panic!("{text:?} should be an expect, not {other:?}"),
    }
}

/// The error `text` gives, as a learner reads it.
fn error(text: &str) -> String {
    match parse(text) {
        Ok(scenario) => panic!("{text:?} should not parse, but gave {scenario:?}"),
        Err(e) => e.to_string(),
    }
}

fn pipe_read(pipe: &str) -> End {
    End::PipeRead { pipe: name(pipe) }
}

fn pipe_write(pipe: &str) -> End {
    End::PipeWrite { pipe: name(pipe) }
}

fn socket(pair: &str, side: u8) -> End {
    End::Socket {
        pair: name(pair),
        side,
    }
}

fn sig(text: &str) -> Signal {
    text.parse().unwrap()
}

// ---------------------------------------------------------------------------
// Statements

#[test]
fn the_design_example_parses_with_its_title_and_positions() {
    let scenario = parse(COW_AFTER_FORK).unwrap();
    assert_eq!(scenario.title.as_deref(), Some("Copy-on-write after fork"));
    assert_eq!(scenario.statements.len(), 13);
    let write = &scenario.statements[2];
    assert_eq!(write.pos, Pos { line: 4, col: 1 });
    let StatementKind::Op {
        actor,
        op: Op::Write { region, range },
    } = &write.kind
    else {
        panic!("line 4 should be a write, not {write:?}");
    };
    assert_eq!(actor.pos, Pos { line: 4, col: 1 });
    assert_eq!(region.pos, Pos { line: 4, col: 15 });
    assert_eq!(region.as_str(), "heap");
    assert_eq!(*range, PageRange::new(0, 8, AT));
    assert_eq!(range.pos, Pos { line: 4, col: 20 });
}

#[test]
fn process_and_say_statements_parse() {
    assert_eq!(
        kind("process parent"),
        StatementKind::Process {
            name: name("parent")
        }
    );
    assert_eq!(
        kind("say Both map the same frames, \"read-only\".   # not said"),
        StatementKind::Say {
            text: "Both map the same frames, \"read-only\".".into()
        }
    );
}

#[test]
fn the_title_is_kept_apart_from_the_statements() {
    let scenario = parse("process p\ntitle   Pipes  and signals  # why\n").unwrap();
    assert_eq!(scenario.title.as_deref(), Some("Pipes  and signals"));
    assert_eq!(scenario.statements.len(), 1);
}

#[test]
fn blank_lines_and_comments_are_not_statements() {
    let scenario = parse("\n   \n# a comment\n\t# another\r\nprocess p\r\n").unwrap();
    assert_eq!(scenario.statements.len(), 1);
    assert_eq!(scenario.statements[0].pos, Pos { line: 5, col: 1 });
}

#[test]
fn a_hash_inside_a_word_or_a_string_is_not_a_comment() {
    assert_eq!(
        op("p: exec c#sharp"),
        Op::Exec {
            program: "c#sharp".into()
        }
    );
    assert_eq!(
        op("p: send x.w \"a # b\" # but this is"),
        Op::Send {
            end: pipe_write("x"),
            payload: Payload::Text("a # b".into()),
            nonblock: false
        }
    );
    // Right after a closing quote, `#` begins no word.
    assert_eq!(
        kind("say \"a\"#b # c"),
        StatementKind::Say {
            text: "\"a\"#b".into()
        }
    );
}

#[test]
fn memory_operations_parse() {
    let heap = || name("heap");
    assert_eq!(
        op("p: mmap heap 8"),
        Op::Mmap {
            region: heap(),
            pages: 8,
            shared: false
        }
    );
    assert_eq!(
        op("p: mmap heap 8 shared"),
        Op::Mmap {
            region: heap(),
            pages: 8,
            shared: true
        }
    );
    assert_eq!(op("p: munmap heap"), Op::Munmap { region: heap() });
    assert_eq!(
        op("p: read heap 3"),
        Op::Read {
            region: heap(),
            range: PageRange::single(3, AT)
        }
    );
    assert_eq!(
        op("p: read heap 2..5"),
        Op::Read {
            region: heap(),
            range: PageRange::new(2, 5, AT)
        }
    );
    assert_eq!(
        op("p: write heap 0"),
        Op::Write {
            region: heap(),
            range: PageRange::single(0, AT)
        }
    );
    assert_eq!(
        op("p: write heap 0..8"),
        Op::Write {
            region: heap(),
            range: PageRange::new(0, 8, AT)
        }
    );
}

#[test]
fn process_operations_parse() {
    assert_eq!(
        op("p: fork child"),
        Op::Fork {
            child: name("child")
        }
    );
    assert_eq!(
        op("p: exec /bin/true"),
        Op::Exec {
            program: "/bin/true".into()
        }
    );
    assert_eq!(
        op("p: exec node"),
        Op::Exec {
            program: "node".into()
        }
    );
    assert_eq!(op("p: exit 0"), Op::Exit { code: 0 });
    assert_eq!(op("p: exit -1"), Op::Exit { code: -1 });
    assert_eq!(op("p: exit 256"), Op::Exit { code: 256 });
    assert_eq!(
        op("p: wait"),
        Op::Wait {
            child: None,
            nohang: false
        }
    );
    assert_eq!(
        op("p: wait child"),
        Op::Wait {
            child: Some(name("child")),
            nohang: false
        }
    );
    assert_eq!(
        op("p: wait child nohang"),
        Op::Wait {
            child: Some(name("child")),
            nohang: true
        }
    );
}

#[test]
fn a_lone_nohang_after_wait_is_the_flag_and_a_second_one_names_the_child() {
    assert_eq!(
        op("p: wait nohang"),
        Op::Wait {
            child: None,
            nohang: true
        }
    );
    let both = Op::Wait {
        child: Some(name("nohang")),
        nohang: true,
    };
    assert_eq!(op("p: wait nohang nohang"), both);
    let printed = print(&Scenario {
        title: None,
        statements: vec![Statement {
            pos: AT,
            kind: StatementKind::Op {
                actor: name("p"),
                op: both.clone(),
            },
        }],
    });
    assert_eq!(printed, "p: wait nohang nohang\n");
    assert_eq!(op(&printed), both);
    assert_eq!(
        error("process p\np: wait c nohang nohang\n"),
        "2:18: expected the end of the line, found \"nohang\""
    );
}

#[test]
fn pipe_and_socket_operations_parse() {
    assert_eq!(
        op("p: pipe x"),
        Op::Pipe {
            pipe: name("x"),
            cloexec: false
        }
    );
    assert_eq!(
        op("p: pipe x cloexec"),
        Op::Pipe {
            pipe: name("x"),
            cloexec: true
        }
    );
    assert_eq!(
        op("p: socketpair s"),
        Op::Socketpair {
            pair: name("s"),
            dgram: false,
            cloexec: false
        }
    );
    assert_eq!(
        op("p: socketpair s dgram"),
        Op::Socketpair {
            pair: name("s"),
            dgram: true,
            cloexec: false
        }
    );
    // The flags come in any order, each once.
    for line in [
        "p: socketpair s dgram cloexec",
        "p: socketpair s cloexec dgram",
    ] {
        assert_eq!(
            op(line),
            Op::Socketpair {
                pair: name("s"),
                dgram: true,
                cloexec: true
            },
            "{line}"
        );
    }
    assert_eq!(
        op("p: cloexec s.1 on"),
        Op::Cloexec {
            end: socket("s", 1),
            on: true
        }
    );
    assert_eq!(
        op("p: cloexec x.w off"),
        Op::Cloexec {
            end: pipe_write("x"),
            on: false
        }
    );
    assert_eq!(
        op("p: close x.r"),
        Op::Close {
            end: pipe_read("x")
        }
    );
    assert_eq!(
        op("p: close s.1"),
        Op::Close {
            end: socket("s", 1)
        }
    );
    assert_eq!(
        op("p: send x.w 100"),
        Op::Send {
            end: pipe_write("x"),
            payload: Payload::Bytes(100),
            nonblock: false
        }
    );
    assert_eq!(
        op(r#"p: send s.0 "say \"hi\"\n\tback\\slash" nonblock"#),
        Op::Send {
            end: socket("s", 0),
            payload: Payload::Text("say \"hi\"\n\tback\\slash".into()),
            nonblock: true,
        }
    );
    assert_eq!(
        op("p: recv x.r 10"),
        Op::Recv {
            end: pipe_read("x"),
            max: 10,
            nonblock: false
        }
    );
    assert_eq!(
        op("p: recv s.1 4K nonblock"),
        Op::Recv {
            end: socket("s", 1),
            max: 4096,
            nonblock: true
        }
    );
    assert_eq!(
        op("p: pipesize x 65536"),
        Op::Pipesize {
            pipe: name("x"),
            bytes: 65536
        }
    );
    assert_eq!(
        op("p: sndbuf s.0 1M"),
        Op::Sndbuf {
            end: socket("s", 0),
            bytes: 1 << 20
        }
    );
}

#[test]
fn byte_counts_take_k_kib_m_mib_g_and_gib_suffixes() {
    let bytes = |text: &str| match op(&format!("p: recv x.r {text}")) {
        Op::Recv { max, .. } => max,
        other => panic!("not a recv: {other:?}"),
    };
    assert_eq!(bytes("64K"), 65536);
    assert_eq!(bytes("64KiB"), 65536);
    assert_eq!(bytes("2M"), 2 << 20);
    assert_eq!(bytes("2MiB"), 2 << 20);
    assert_eq!(bytes("4G"), 4 << 30);
    assert_eq!(bytes("65536GiB"), MAX_IO_BYTES);
}

#[test]
fn send_and_recv_counts_go_far_beyond_a_gibibyte() {
    assert_eq!(
        op("p: send x.w 70368744177664 nonblock"),
        Op::Send {
            end: End::PipeWrite { pipe: name("x") },
            payload: Payload::Bytes(MAX_IO_BYTES),
            nonblock: true
        }
    );
    assert_eq!(
        error("p: send x.w 70368744177665"),
        "1:13: the byte count is too large (at most 70368744177664)"
    );
}

#[test]
fn sndbuf_and_pipesize_take_any_c_int_negative_ones_included() {
    let pipesize = |text: &str| match op(&format!("p: pipesize x {text}")) {
        Op::Pipesize { bytes, .. } => bytes,
        other => panic!("not a pipesize: {other:?}"),
    };
    let sndbuf = |text: &str| match op(&format!("p: sndbuf s.0 {text}")) {
        Op::Sndbuf { bytes, .. } => bytes,
        other => panic!("not a sndbuf: {other:?}"),
    };
    for (text, value) in [
        ("2147483647", i32::MAX),
        ("-2147483648", i32::MIN),
        ("-1", -1),
        ("0", 0),
    ] {
        assert_eq!(pipesize(text), value, "pipesize {text}");
        assert_eq!(sndbuf(text), value, "sndbuf {text}");
    }
    assert_eq!(pipesize("1M"), 1 << 20);
    assert_eq!(sndbuf("-4K"), -4096);
}

#[test]
fn init_is_not_a_scenario_process_so_no_line_acts_as_it_signals_it_or_checks_it() {
    let init = "init (pid 1) is the machine's own process, not a scenario process, so";
    assert_eq!(
        error("expect init state running"),
        format!("1:8: {init} an expect cannot check it; an expect names init only as a parent, as in \"expect c parent init\"")
    );
    assert_eq!(
        error("expect p heap[0] shared init"),
        format!("1:25: {init} an expect cannot check it; an expect names init only as a parent, as in \"expect c parent init\"")
    );
    assert_eq!(
        error("p: kill init SIGTERM"),
        format!("1:9: {init} a scenario may not signal it")
    );
    assert_eq!(
        error("init: exit 0"),
        format!("1:1: {init} it does none of a scenario's operations")
    );
    // As a parent, init is what it names.
    assert!(parse("process c\nexpect c parent init\n").is_ok());
}

#[test]
fn signals_32_and_33_are_glibcs_and_the_error_says_so() {
    let why = "is reserved: glibc keeps signals 32 and 33 for its threads, so a program's real-time signals run from SIGRTMIN = 34 to SIGRTMAX = 64";
    assert_eq!(error("p: kill q 32"), format!("1:11: signal 32 {why}"));
    assert_eq!(error("p: kill q SIG33"), format!("1:11: signal 33 {why}"));
    assert_eq!(
        error("p: signal SIGRTMAX-31 handle"),
        format!("1:11: SIGRTMAX-31 (signal 33) {why}")
    );
    assert_eq!(
        parse("p: kill q 32").unwrap_err().kind,
        ErrorKind::ReservedSignal {
            word: "32".into(),
            number: 32
        }
    );
}

#[test]
fn a_c_int_out_of_range_is_an_error_that_says_the_range() {
    assert_eq!(
        error("p: pipesize x 2147483648"),
        "1:15: the pipe size (a C int) is out of range: it must be from -2147483648 to 2147483647"
    );
    assert_eq!(
        error("p: sndbuf s.0 -2147483649"),
        "1:15: the SO_SNDBUF value (a C int) is out of range: it must be from -2147483648 to 2147483647"
    );
    assert_eq!(
        error("p: sndbuf s.0 2G"),
        "1:15: the SO_SNDBUF value (a C int) is out of range: it must be from -2147483648 to 2147483647"
    );
    assert_eq!(
        error("p: exit -2147483649"),
        "1:9: the exit code is out of range: it must be from -2147483648 to 2147483647"
    );
    assert_eq!(
        error("p: recv x.r -1"),
        "1:13: the byte count is out of range: it must be from 0 to 70368744177664"
    );
    assert_eq!(
        error("expect x.r queued 2147483648"),
        "1:19: the byte count is too large (at most 2147483647)"
    );
    assert_eq!(
        error("p: kill q 65"),
        "1:11: the signal number is out of range: it must be from 1 to 64"
    );
    assert_eq!(
        error("p: kill q SIG0"),
        "1:11: the signal number is out of range: it must be from 1 to 64"
    );
}

#[test]
fn signal_operations_parse() {
    assert_eq!(
        op("p: signal SIGUSR1 handle"),
        Op::Signal {
            signal: Signal::SIGUSR1,
            action: Action::Handle,
            nocldwait: false,
            full_mask: false
        }
    );
    assert_eq!(
        op("p: signal TERM ignore"),
        Op::Signal {
            signal: Signal::SIGTERM,
            action: Action::Ignore,
            nocldwait: false,
            full_mask: false
        }
    );
    assert_eq!(
        op("p: signal SIGCHLD default nocldwait"),
        Op::Signal {
            signal: Signal::SIGCHLD,
            action: Action::Default,
            nocldwait: true,
            full_mask: false
        }
    );
    for line in [
        "p: signal SIGCHLD handle mask all nocldwait",
        "p: signal SIGCHLD handle nocldwait mask all",
    ] {
        assert_eq!(
            op(line),
            Op::Signal {
                signal: Signal::SIGCHLD,
                action: Action::Handle,
                nocldwait: true,
                full_mask: true
            },
            "{line}"
        );
    }
    assert_eq!(
        op("p: block SIGINT 15 SIGRTMIN+2"),
        Op::Block {
            signals: vec![Signal::SIGINT, Signal::SIGTERM, sig("SIGRTMIN+2")]
        }
    );
    assert_eq!(
        op("p: unblock USR2"),
        Op::Unblock {
            signals: vec![Signal::SIGUSR2]
        }
    );
    assert_eq!(
        op("p: kill child SIGKILL"),
        Op::Kill {
            target: name("child"),
            signal: Signal::SIGKILL
        }
    );
}

#[test]
fn the_colon_may_be_attached_or_spaced() {
    assert_eq!(op("p:fork c"), Op::Fork { child: name("c") });
    assert_eq!(op("p : fork c"), Op::Fork { child: name("c") });
    assert_eq!(op("p :fork c"), Op::Fork { child: name("c") });
    // Names that are also statement keywords still act with a colon.
    assert_eq!(
        kind("say: fork c"),
        StatementKind::Op {
            actor: name("say"),
            op: Op::Fork { child: name("c") }
        }
    );
}

#[test]
fn page_expects_parse() {
    let page = |check| Expect::Page {
        process: name("p"),
        region: name("heap"),
        page: 2,
        check,
    };
    assert_eq!(
        expect("expect p heap[2] shared q"),
        page(PageCheck::Shared { other: name("q") })
    );
    assert_eq!(expect("expect p heap[2] private"), page(PageCheck::Private));
    assert_eq!(expect("expect p heap[2] absent"), page(PageCheck::Absent));
    assert_eq!(expect("expect p heap[2] zero"), page(PageCheck::Zero));
    assert_eq!(
        expect("expect p heap[2] frame same"),
        page(PageCheck::FrameSame)
    );
    assert_eq!(
        expect("expect p heap[2] frame new"),
        page(PageCheck::FrameNew)
    );
}

#[test]
fn process_expects_parse() {
    let p = || name("p");
    assert_eq!(
        expect("expect p faults 3"),
        Expect::Faults {
            process: p(),
            count: 3
        }
    );
    assert_eq!(
        expect("expect p result 42"),
        Expect::Result {
            process: p(),
            result: OpResult::Value(42)
        }
    );
    assert_eq!(
        expect("expect p result -1"),
        Expect::Result {
            process: p(),
            result: OpResult::Value(-1)
        }
    );
    assert_eq!(
        expect("expect p result EAGAIN"),
        Expect::Result {
            process: p(),
            result: OpResult::Error(Errno::EAGAIN)
        }
    );
    for (word, state) in [
        ("running", StateName::Running),
        ("blocked", StateName::Blocked),
        ("stopped", StateName::Stopped),
        ("zombie", StateName::Zombie),
        ("gone", StateName::Gone),
    ] {
        assert_eq!(
            expect(&format!("expect p state {word}")),
            Expect::State {
                process: p(),
                state
            }
        );
    }
    assert_eq!(
        expect("expect p parent init"),
        Expect::Parent {
            process: p(),
            parent: name("init")
        }
    );
    assert_eq!(
        expect("expect p parent q"),
        Expect::Parent {
            process: p(),
            parent: name("q")
        }
    );
    assert_eq!(
        expect("expect p handled SIGUSR1 2"),
        Expect::Handled {
            process: p(),
            signal: Signal::SIGUSR1,
            count: 2
        }
    );
    assert_eq!(
        expect("expect p status exited 255"),
        Expect::Status {
            process: p(),
            status: ExitStatus::Exited(255)
        }
    );
    assert_eq!(
        expect("expect p status signaled 9"),
        Expect::Status {
            process: p(),
            status: ExitStatus::Signaled(Signal::SIGKILL)
        }
    );
}

#[test]
fn queued_expects_name_an_end() {
    assert_eq!(
        expect("expect x.r queued 5"),
        Expect::Queued {
            end: pipe_read("x"),
            bytes: 5
        }
    );
    assert_eq!(
        expect("expect s.1 queued 64K"),
        Expect::Queued {
            end: socket("s", 1),
            bytes: 65536
        }
    );
}

// ---------------------------------------------------------------------------
// Errors, one test per kind of mistake

#[test]
fn a_misspelt_operation_suggests_the_right_one() {
    assert_eq!(
        error("process p\np: mmap heap 1\np: wirte heap 0"),
        "3:4: unknown operation \"wirte\"; did you mean \"write\"?"
    );
}

#[test]
fn a_misspelt_statement_suggests_the_right_one() {
    assert_eq!(
        error("expcet p faults 1"),
        "1:1: unknown statement \"expcet\"; did you mean \"expect\"?"
    );
    assert_eq!(error("hello world"), "1:1: unknown statement \"hello\"");
}

#[test]
fn a_missing_colon_after_the_actor_is_pointed_out() {
    assert_eq!(
        error("parent fork child"),
        "1:7: expected ':' after the process name \"parent\", found \"fork\""
    );
    assert_eq!(
        error("parent wirte heap 0"),
        "1:7: expected ':' after the process name \"parent\", found \"wirte\""
    );
}

#[test]
fn an_operation_without_an_actor_asks_for_one() {
    assert_eq!(
        error("fork child"),
        "1:1: expected a process name and ':' before the operation, found \"fork\""
    );
    assert_eq!(
        error(": fork child"),
        "1:1: expected a process name before ':', found ':'"
    );
}

#[test]
fn a_misspelt_signal_suggests_the_right_one() {
    assert_eq!(
        error("p: kill q SIGTREM"),
        "1:11: unknown signal \"SIGTREM\"; did you mean \"SIGTERM\"?"
    );
    assert_eq!(
        error("p: block SIGINT SIGWHAT"),
        "1:17: unknown signal \"SIGWHAT\""
    );
}

#[test]
fn a_misspelt_errno_suggests_the_right_one() {
    assert_eq!(
        error("expect p result EAGIAN"),
        "1:17: unknown errno \"EAGIAN\"; did you mean \"EAGAIN\"?"
    );
    assert_eq!(
        error("expect p result eagain"),
        "1:17: unknown errno \"eagain\"; did you mean \"EAGAIN\"?"
    );
}

#[test]
fn a_misspelt_expectation_suggests_the_right_one() {
    assert_eq!(
        error("expect p fualts 1"),
        "1:10: \"fualts\" is not something expect can check \
         (R[I], faults, result, state, parent, handled, status, fd, event, events or value); did you mean \"faults\"?"
    );
}

#[test]
fn a_name_with_capitals_is_not_a_name() {
    assert_eq!(
        error("process Parent"),
        "1:9: \"Parent\" is not a name: names start with a lowercase letter, \
         then lowercase letters, digits, '_' or '-'"
    );
    assert_eq!(
        error("p: mmap 2heap 1"),
        "1:9: \"2heap\" is not a name: names start with a lowercase letter, \
         then lowercase letters, digits, '_' or '-'"
    );
}

#[test]
fn init_may_not_be_declared() {
    let reserved = "\"init\" is reserved: it names pid 1, the init process; pick another name";
    assert_eq!(error("process init"), format!("1:9: {reserved}"));
    assert_eq!(error("p: fork init"), format!("1:9: {reserved}"));
}

#[test]
fn a_missing_argument_says_what_was_expected() {
    assert_eq!(
        error("p: mmap heap"),
        "1:13: expected a page count, found the end of the line"
    );
    assert_eq!(
        error("p: mmap heap # 8"),
        "1:13: expected a page count, found the end of the line"
    );
    assert_eq!(
        error("p:"),
        "1:3: expected an operation, found the end of the line"
    );
    assert_eq!(
        error("p: block"),
        "1:9: expected a signal such as SIGTERM, found the end of the line"
    );
    assert_eq!(
        error("say"),
        "1:4: expected the text to say, found the end of the line"
    );
    assert_eq!(
        error("expect p state"),
        "1:15: expected running, blocked, stopped, zombie or gone, found the end of the line"
    );
}

#[test]
fn a_wrong_word_says_what_was_expected() {
    assert_eq!(
        error("p: read heap x"),
        "1:14: expected a page number or a range such as 0..4, found \"x\""
    );
    assert_eq!(
        error("p: signal SIGINT catch"),
        "1:18: expected handle, ignore or default, found \"catch\""
    );
    assert_eq!(
        error("expect p state asleep"),
        "1:16: expected running, blocked, stopped, zombie or gone, found \"asleep\""
    );
    assert_eq!(
        error("p: close x.q"),
        "1:10: expected an end such as p.r, p.w, s.0 or s.1, found \"x.q\""
    );
    assert_eq!(
        error("expect x.r pending 3"),
        "1:12: expected \"queued\", found \"pending\""
    );
    assert_eq!(
        error("p: fork \"c\""),
        "1:9: expected a name for the child, found a quoted string"
    );
    assert_eq!(
        error("p: exit one"),
        "1:9: expected an exit code, found \"one\""
    );
    assert_eq!(
        error("p: recv x.r 4X"),
        "1:13: expected a byte count, found \"4X\""
    );
    assert_eq!(
        error("expect heap[2] private"),
        "1:8: expected a process name before the page, found \"heap[2]\""
    );
}

#[test]
fn an_extra_word_is_reported_where_it_starts() {
    assert_eq!(
        error("p: munmap heap now"),
        "1:16: expected the end of the line, found \"now\""
    );
    assert_eq!(
        error("process p q"),
        "1:11: expected the end of the line, found \"q\""
    );
    assert_eq!(
        error("p: mmap heap 8 shraed"),
        "1:16: expected \"shared\" or the end of the line, found \"shraed\""
    );
}

#[test]
fn an_empty_or_backward_range_is_a_bad_range() {
    let message =
        |s: u32, e: u32| format!("bad page range {s}..{e}: the end must be greater than the start");
    assert_eq!(
        error("p: read heap 4..2"),
        format!("1:14: {}", message(4, 2))
    );
    assert_eq!(
        error("p: write heap 3..3"),
        format!("1:15: {}", message(3, 3))
    );
}

#[test]
fn numbers_beyond_the_limits_are_too_large() {
    assert_eq!(
        error("p: mmap heap 1048577"),
        "1:14: the page count is too large (at most 1048576)"
    );
    assert_eq!(
        error("p: read heap 0..1048577"),
        "1:17: the end of the range is too large (at most 1048576)"
    );
    assert_eq!(
        error("p: send x.w 65537G"),
        "1:13: the byte count is too large (at most 70368744177664)"
    );
    assert_eq!(
        error("p: recv x.r 99999999999999999999999"),
        "1:13: the byte count is too large (at most 70368744177664)"
    );
    assert_eq!(
        error("p: exit 2147483648"),
        "1:9: the exit code is out of range: it must be from -2147483648 to 2147483647"
    );
    assert_eq!(
        error("expect p status exited 256"),
        "1:24: the exit status is too large (at most 255)"
    );
    assert_eq!(
        error("expect p heap[1048576] zero"),
        "1:15: the page number is too large (at most 1048575)"
    );
}

#[test]
fn an_unterminated_string_points_at_its_quote() {
    assert_eq!(
        error("p: send x.w \"hello # world"),
        "1:13: unterminated string: a closing '\"' is missing"
    );
}

#[test]
fn an_unknown_escape_points_at_its_backslash() {
    assert_eq!(
        error(r#"p: send x.w "a\qb""#),
        r#"1:15: expected one of the escapes \" \\ \n \t, found "\q""#
    );
}

#[test]
fn a_second_title_names_the_line_of_the_first() {
    assert_eq!(
        error("title One\nprocess p\n\ntitle Two"),
        "4:1: a scenario has one title, and it was already given on line 1"
    );
}

#[test]
fn columns_count_characters_not_bytes() {
    assert_eq!(
        error("p: send x.w \"héllo\" now"),
        "1:21: expected \"nonblock\" or the end of the line, found \"now\""
    );
    assert_eq!(
        error("say héllo\n\tp: wirte heap 0")
            .split(':')
            .take(2)
            .collect::<Vec<_>>(),
        ["2", "5"]
    );
}

#[test]
fn errors_carry_their_position_and_kind_as_values() {
    let err = parse("process p\np: wirte heap 0").unwrap_err();
    assert_eq!(err.pos, Pos { line: 2, col: 4 });
    assert_eq!(
        err.kind,
        ErrorKind::UnknownOperation {
            word: "wirte".into(),
            suggestion: Some("write".into())
        }
    );
}

// ---------------------------------------------------------------------------
// Printing and round trips

#[test]
fn the_design_example_prints_canonically() {
    insta::assert_snapshot!(print(&parse(COW_AFTER_FORK).unwrap()));
}

#[test]
fn printing_spells_every_form_canonically() {
    let text = "\
p: read heap 3..4
p: write heap 0..2
p: send s.0 \"a\\\"b\" nonblock
p: pipesize x 64K
p: block TERM 34 SIGRTMAX-1
p: kill q 9
expect p handled usr1 1
expect x.w queued 1KiB
";
    assert_eq!(
        print(&parse(text).unwrap()),
        "\
p: read heap 3
p: write heap 0..2
p: send s.0 \"a\\\"b\" nonblock
p: pipesize x 65536
p: block SIGTERM SIGRTMIN SIGRTMIN+29
p: kill q SIGKILL
expect p handled SIGUSR1 1
expect x.w queued 1024
"
    );
}

#[test]
fn every_built_in_lesson_parses_and_survives_print_and_parse() {
    for lesson in sim_core::lessons::all() {
        let scenario = parse(lesson.source).unwrap_or_else(|e| panic!("{}: {e}", lesson.name));
        let printed = print(&scenario);
        assert_eq!(kinds(&printed), kinds(lesson.source), "{}", lesson.name);
        assert_eq!(
            parse(&printed).unwrap().title,
            scenario.title,
            "{}",
            lesson.name
        );
    }
}

#[test]
fn the_design_example_survives_print_and_parse() {
    let scenario = parse(COW_AFTER_FORK).unwrap();
    let printed = print(&scenario);
    let again = parse(&printed).unwrap();
    assert_eq!(again.title, scenario.title);
    assert_eq!(kinds(&printed), kinds(COW_AFTER_FORK));
    assert_eq!(print(&again), printed);
}

#[test]
fn a_parsed_scenario_survives_a_json_round_trip() {
    let scenario = parse(COW_AFTER_FORK).unwrap();
    let json = serde_json::to_string(&scenario).unwrap();
    let back: Scenario = serde_json::from_str(&json).unwrap();
    assert_eq!(back, scenario);
    // Name equality ignores positions; JSON must keep them all the same.
    assert_eq!(serde_json::to_string(&back).unwrap(), json);
}

// ---------------------------------------------------------------------------
// Generated scenarios

fn arb_name() -> impl Strategy<Value = Name> {
    "[a-z][a-z0-9_-]{0,6}".prop_map(|text| Name {
        text,
        pos: Pos { line: 1, col: 1 },
    })
}

/// A name a line may introduce: anything but `init`.
fn arb_declared() -> impl Strategy<Value = Name> {
    arb_name().prop_filter("init is reserved", |n| n.text != "init")
}

/// Text for `title` and `say`: words that print and parse back unchanged
/// (no `#` starting a word, single spaces, nothing to trim).
fn arb_text() -> impl Strategy<Value = String> {
    prop::collection::vec("[A-Za-z0-9,.'!?\"é→-][A-Za-z0-9,.'!?\"#é→-]{0,7}", 1..6)
        .prop_map(|w| w.join(" "))
}

fn arb_signal() -> impl Strategy<Value = Signal> {
    prop::sample::select(Signal::all().collect::<Vec<_>>())
}

fn arb_end() -> impl Strategy<Value = End> {
    prop_oneof![
        arb_name().prop_map(|pipe| End::PipeRead { pipe }),
        arb_name().prop_map(|pipe| End::PipeWrite { pipe }),
        (arb_name(), 0u8..=1).prop_map(|(pair, side)| End::Socket { pair, side }),
    ]
}

fn arb_range() -> impl Strategy<Value = PageRange> {
    (0..MAX_PAGES).prop_flat_map(|start| {
        (start + 1..=MAX_PAGES).prop_map(move |end| PageRange::new(start, end, AT))
    })
}

fn arb_bytes() -> impl Strategy<Value = u64> {
    prop_oneof![0..=64u64, 0..=MAX_IO_BYTES]
}

fn arb_queued() -> impl Strategy<Value = u64> {
    prop_oneof![0..=64u64, 0..=i32::MAX as u64]
}

fn arb_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (arb_declared(), 0..=MAX_PAGES, any::<bool>()).prop_map(|(region, pages, shared)| {
            Op::Mmap {
                region,
                pages,
                shared,
            }
        }),
        arb_name().prop_map(|region| Op::Munmap { region }),
        (arb_name(), arb_range()).prop_map(|(region, range)| Op::Read { region, range }),
        (arb_name(), arb_range()).prop_map(|(region, range)| Op::Write { region, range }),
        arb_declared().prop_map(|child| Op::Fork { child }),
        "[a-z/._-]{1,12}".prop_map(|program| Op::Exec { program }),
        arb_declared().prop_map(|thread| Op::Thread { thread }),
        any::<i32>().prop_map(|code| Op::Exit { code }),
        // `wait nohang` is the flag, never a child named nohang.
        (prop::option::of(arb_name()), any::<bool>())
            .prop_filter("a lone nohang is the flag", |(child, nohang)| {
                *nohang || child.as_ref().is_none_or(|c| c.text != "nohang")
            })
            .prop_map(|(child, nohang)| Op::Wait { child, nohang }),
        (arb_declared(), any::<bool>()).prop_map(|(pipe, cloexec)| Op::Pipe { pipe, cloexec }),
        (arb_declared(), any::<bool>(), any::<bool>()).prop_map(|(pair, dgram, cloexec)| {
            Op::Socketpair {
                pair,
                dgram,
                cloexec,
            }
        }),
        arb_end().prop_map(|end| Op::Close { end }),
        (arb_end(), any::<bool>()).prop_map(|(end, on)| Op::Cloexec { end, on }),
        (
            arb_end(),
            prop_oneof![
                arb_bytes().prop_map(Payload::Bytes),
                any::<String>().prop_map(Payload::Text)
            ],
            any::<bool>()
        )
            .prop_map(|(end, payload, nonblock)| Op::Send {
                end,
                payload,
                nonblock
            }),
        (arb_end(), arb_bytes(), any::<bool>()).prop_map(|(end, max, nonblock)| Op::Recv {
            end,
            max,
            nonblock
        }),
        (arb_name(), any::<i32>()).prop_map(|(pipe, bytes)| Op::Pipesize { pipe, bytes }),
        (arb_end(), any::<i32>()).prop_map(|(end, bytes)| Op::Sndbuf { end, bytes }),
        (
            arb_signal(),
            prop::sample::select(vec![Action::Handle, Action::Ignore, Action::Default]),
            any::<bool>(),
            any::<bool>()
        )
            // `mask all` goes with `handle` only.
            .prop_map(|(signal, action, nocldwait, full)| Op::Signal {
                signal,
                action,
                nocldwait,
                full_mask: full && action == Action::Handle
            }),
        prop::collection::vec(arb_signal(), 1..4).prop_map(|signals| Op::Block { signals }),
        prop::collection::vec(arb_signal(), 1..4).prop_map(|signals| Op::Unblock { signals }),
        (arb_name(), arb_signal()).prop_map(|(target, signal)| Op::Kill { target, signal }),
    ]
}

fn arb_expect() -> impl Strategy<Value = Expect> {
    let check = prop_oneof![
        arb_name().prop_map(|other| PageCheck::Shared { other }),
        Just(PageCheck::Private),
        Just(PageCheck::Absent),
        Just(PageCheck::Zero),
        Just(PageCheck::FrameSame),
        Just(PageCheck::FrameNew),
    ];
    let state = prop::sample::select(vec![
        StateName::Running,
        StateName::Blocked,
        StateName::Stopped,
        StateName::Zombie,
        StateName::Gone,
    ]);
    let result = prop_oneof![
        any::<i64>().prop_map(OpResult::Value),
        prop::sample::select(Errno::ALL.to_vec()).prop_map(OpResult::Error),
    ];
    let status = prop_oneof![
        any::<u8>().prop_map(ExitStatus::Exited),
        arb_signal().prop_map(ExitStatus::Signaled),
    ];
    prop_oneof![
        (arb_name(), arb_name(), 0..MAX_PAGES, check).prop_map(|(process, region, page, check)| {
            Expect::Page {
                process,
                region,
                page,
                check,
            }
        }),
        (arb_name(), any::<u64>()).prop_map(|(process, count)| Expect::Faults { process, count }),
        (arb_name(), result).prop_map(|(process, result)| Expect::Result { process, result }),
        (arb_name(), state).prop_map(|(process, state)| Expect::State { process, state }),
        (arb_name(), arb_name()).prop_map(|(process, parent)| Expect::Parent { process, parent }),
        (arb_end(), arb_queued()).prop_map(|(end, bytes)| Expect::Queued { end, bytes }),
        (arb_name(), arb_signal(), any::<u64>()).prop_map(|(process, signal, count)| {
            Expect::Handled {
                process,
                signal,
                count,
            }
        }),
        (arb_name(), status).prop_map(|(process, status)| Expect::Status { process, status }),
        (
            arb_name(),
            arb_end(),
            prop::sample::select(vec![FdState::Open, FdState::Cloexec, FdState::Closed])
        )
            .prop_map(|(process, end, state)| Expect::Fd {
                process,
                end,
                state
            }),
    ]
}

fn arb_statement() -> impl Strategy<Value = StatementKind> {
    prop_oneof![
        arb_declared().prop_map(|name| StatementKind::Process { name }),
        arb_text().prop_map(|text| StatementKind::Say { text }),
        (arb_name(), arb_op()).prop_map(|(actor, op)| StatementKind::Op { actor, op }),
        arb_expect().prop_map(|expect| StatementKind::Expect { expect }),
    ]
}

fn arb_scenario() -> impl Strategy<Value = Scenario> {
    (
        prop::option::of(arb_text()),
        prop::collection::vec(arb_statement(), 0..12),
    )
        .prop_map(|(title, kinds)| {
            let statements = kinds
                .into_iter()
                .enumerate()
                .map(|(i, kind)| Statement {
                    pos: Pos {
                        line: i as u32 + 1,
                        col: 1,
                    },
                    kind,
                })
                .collect();
            Scenario { title, statements }
        })
}

/// Words the parser knows, and near misses, for building lines that get
/// further into it than random characters do.
const VOCABULARY: &[&str] = &[
    "title",
    "process",
    "say",
    "expect",
    "p",
    "p:",
    ":",
    "init",
    "mmap",
    "munmap",
    "read",
    "write",
    "fork",
    "exec",
    "exit",
    "wait",
    "pipe",
    "socketpair",
    "close",
    "send",
    "recv",
    "pipesize",
    "sndbuf",
    "signal",
    "block",
    "unblock",
    "kill",
    "shared",
    "dgram",
    "nonblock",
    "nocldwait",
    "handle",
    "ignore",
    "default",
    "heap",
    "heap[",
    "heap[2]",
    "heap[]",
    "[",
    "]",
    "x.r",
    "x.w",
    "s.0",
    "s.1",
    "s.2",
    ".",
    "..",
    "0",
    "1",
    "3..1",
    "0..4",
    "..4",
    "4..",
    "-1",
    "-",
    "4294967296",
    "99999999999999999999999",
    "64K",
    "1MiB",
    "K",
    "M",
    "SIGTERM",
    "SIGRTMIN+99",
    "SIGRTMAX-",
    "TERM",
    "15",
    "0",
    "EAGAIN",
    "EAGIAN",
    "faults",
    "result",
    "state",
    "running",
    "parent",
    "queued",
    "handled",
    "status",
    "exited",
    "signaled",
    "frame",
    "same",
    "new",
    "private",
    "absent",
    "zero",
    "\"",
    "\"a\"",
    "\"\\",
    "\\\"",
    "#",
    "#x",
    "é",
    "\u{feff}",
    "\r",
    "\t",
];

fn arb_line() -> impl Strategy<Value = String> {
    prop::collection::vec(
        (
            prop::sample::select(VOCABULARY),
            prop::sample::select(vec![" ", "", "  ", "\t"]),
        ),
        0..8,
    )
    .prop_map(|words| words.into_iter().flat_map(|(w, sep)| [w, sep]).collect())
}

proptest! {
    #[test]
    fn printing_a_generated_scenario_parses_back_to_it(scenario in arb_scenario()) {
        let printed = print(&scenario);
        let parsed = parse(&printed).map_err(|e| TestCaseError::fail(format!("{e}\n{printed}")))?;
        prop_assert_eq!(&parsed.title, &scenario.title);
        let kinds = |s: &Scenario| s.statements.iter().map(|s| s.kind.clone()).collect::<Vec<_>>();
        prop_assert_eq!(kinds(&parsed), kinds(&scenario));
        prop_assert_eq!(print(&parsed), printed);
    }

    #[test]
    fn a_generated_scenario_survives_json(scenario in arb_scenario()) {
        let json = serde_json::to_string(&scenario).unwrap();
        let back: Scenario = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back, scenario);
    }

    #[test]
    fn parsing_arbitrary_text_never_panics(text in any::<String>()) {
        let _ = parse(&text);
    }

    #[test]
    fn parsing_lines_of_known_words_never_panics(lines in prop::collection::vec(arb_line(), 1..6)) {
        let text = lines.join("\n");
        // Whatever parses must print to text that parses to the same thing.
        if let Ok(scenario) = parse(&text) {
            let printed = print(&scenario);
            let again = parse(&printed).map_err(|e| TestCaseError::fail(format!("{e}\n{text:?}\n{printed}")))?;
            prop_assert_eq!(print(&again), printed);
        }
    }
}
