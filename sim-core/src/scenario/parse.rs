//! The parser: text to `Scenario`, or the first error with its line and column.
//! What it accepts is documented for a scenario's writer in
//! docs/scenario-language.md; its words come from `keyword.rs`.
//!
//! Parsing is line by line: each line is split into tokens (words and quoted
//! strings, each with its column), and the first word decides which statement
//! the line is. Errors point at the word that is wrong, counted in characters
//! from 1, and say in a learner's words what was expected there.
//!
//! The parser checks only what a single line can tell: spelling, numbers and
//! their limits, one title, `init` where only a scenario process may
//! stand. Whether a name refers to anything (a process, a region, a pipe)
//! is for the run to check, since that depends on what happened on
//! earlier lines.

use super::ast::{
    Action, ExitStatus, Expect, FdState, Name, Op, PageCheck, Pos, Scenario, StateName, Statement,
    StatementKind, ValueRead, INIT_NAME,
};
use super::error::{suggest, ErrorKind, ScenarioError};
use super::keyword::NodeEventName;
use super::keyword::{
    CheckWord, EndCheckWord, Flag, FrameWord, MaskWord, OpKind, PageWord, StatementWord,
    StatusWord, Switch,
};
use super::lex::*;
use super::node_syntax::{self, starts_node_statement, NodeObject, NodeValue, PROCESS_OBJECT};
use super::worker_syntax::PARENT_PORT_OBJECT;
use crate::node::JsValue;
use crate::words::alternatives;

/// The most pages one `mmap` may ask for: 1,048,576 pages of 4 KiB = 4 GiB.
/// Far beyond any lesson, and it keeps page arithmetic inside `u32`. (The
/// kernel's own bound depends on the machine: with heuristic overcommit a
/// private writable mapping larger than RAM plus swap fails with ENOMEM,
/// which the model cannot know.)
pub(crate) const MAX_PAGES: u32 = 1 << 20;

/// The largest byte count of a `send` or `recv` (a size_t): 2^46 bytes,
/// 64 TiB. read(2) and write(2) check with access_ok that the whole buffer
/// lies in the user address space (2^47 bytes on x86_64, TASK_SIZE_MAX)
/// and fail with EFAULT otherwise, wherever the buffer sits; a count up to
/// half of it names a buffer the replay can always place (it maps its
/// buffers at 4 GiB). The kernel moves at most MAX_RW_COUNT (2 GiB less a
/// page) in one call and the model clamps the same way, so no byte of a
/// count is ever allocated, in the model or on the kernel.
///
/// The other numbers a syscall takes keep the syscall's own type: `sndbuf`
/// and `pipesize` take any C int (INT_MIN to INT_MAX; see
/// `SocketPair::set_sndbuf` and `Pipe::set_size` for what the kernel does
/// with a negative one), `exit` a C int, `queued` (FIONREAD) 0 to INT_MAX.
pub(crate) const MAX_IO_BYTES: u64 = 1 << 46;

/// Parse a whole scenario.
pub fn parse(text: &str) -> Result<Scenario, ScenarioError> {
    // A byte-order mark some editors write is not part of the first word.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut title: Option<(String, u32)> = None;
    let mut statements = Vec::new();
    for (index, line_text) in text.lines().enumerate() {
        let line = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let mut line = Line::lex(line_text, line);
        let Some(first) = line.tokens.first().copied() else {
            continue; // blank, or only a comment
        };
        if first.is_word(StatementWord::Title.keyword()) {
            let text = line.rest_text("the title")?;
            if let Some((_, first_line)) = &title {
                return Err(ScenarioError::new(
                    first.pos(line.number),
                    ErrorKind::DuplicateTitle {
                        first_line: *first_line,
                    },
                ));
            }
            title = Some((text, line.number));
            continue;
        }
        let pos = first.pos(line.number);
        let kind = if first.is_word(StatementWord::Say.keyword()) {
            StatementKind::Say {
                text: line.rest_text("the text to say")?,
            }
        } else {
            // Strings are checked by each kind of statement: a Node
            // statement's JavaScript quotes its own way.
            statement(&mut line)?
        };
        statements.push(Statement { pos, kind });
    }
    Ok(Scenario {
        title: title.map(|(text, _)| text),
        statements,
    })
}

/// Any statement but `title` and `say`, whose text is not tokenized.
fn statement(line: &mut Line<'_>) -> Result<StatementKind, ScenarioError> {
    let first = line.next("a statement")?;
    if first.kind != Kind::Word {
        return Err(unknown_statement(line, first));
    }
    if first.is_word(StatementWord::Process.keyword()) {
        line.check_strings()?;
        let name = line.declared_name("a process name")?;
        line.finish(&[])?;
        return Ok(StatementKind::Process { name });
    }
    if first.is_word(StatementWord::Node.keyword()) {
        line.check_strings()?;
        let name = line.declared_name("a process name")?;
        line.finish(&[])?;
        return Ok(StatementKind::NodeProcess { name });
    }
    if first.is_word(StatementWord::Expect.keyword()) {
        let expect = expect(line)?;
        line.finish(&[])?;
        return Ok(StatementKind::Expect { expect });
    }
    // `actor: op`, also written `actor:op` or `actor : op`.
    if let Some((actor, rest)) = first.text.split_once(':') {
        let actor = Token {
            text: actor,
            ..first
        };
        if !rest.is_empty() {
            line.push_front(first.split_at(actor.text.chars().count() + 1));
        }
        return op_statement(line, actor);
    }
    if let Some(colon) = line
        .peek()
        .filter(|t| t.kind == Kind::Word && t.text.starts_with(':'))
    {
        line.advance();
        if colon.text.len() > 1 {
            line.push_front(colon.split_at(1));
        }
        return op_statement(line, first);
    }
    Err(unknown_statement(line, first))
}

/// The most helpful error for a line that begins with an unknown word.
fn unknown_statement(line: &Line<'_>, first: Token<'_>) -> ScenarioError {
    let pos = first.pos(line.number);
    let word = first.text.to_string();
    if first.kind != Kind::Word {
        return expected(pos, "a statement", first.describe());
    }
    // A near miss of a statement keyword is the likeliest story (`expcet`).
    if let Some(suggestion) = suggest(&word, StatementWord::keywords()) {
        return ScenarioError::new(
            pos,
            ErrorKind::UnknownStatement {
                word,
                suggestion: Some(suggestion),
            },
        );
    }
    // `parent fork child`: a name and an operation, but no colon between them.
    let second_is_op = line.peek().is_some_and(|t| {
        t.kind == Kind::Word
            && (OpKind::from_keyword(t.text).is_some()
                || suggest(t.text, OpKind::keywords()).is_some())
    });
    if second_is_op && is_name(&word) {
        let after = Pos {
            line: pos.line,
            col: pos.col.saturating_add(first.width()),
        };
        return expected(
            after,
            &format!("':' after the process name \"{word}\""),
            line.peek()
                .map_or_else(|| "the end of the line".into(), |t| t.describe()),
        );
    }
    // `fork child`: an operation with nobody to do it.
    if OpKind::from_keyword(first.text).is_some() {
        return expected(
            pos,
            "a process name and ':' before the operation",
            first.describe(),
        );
    }
    ScenarioError::new(
        pos,
        ErrorKind::UnknownStatement {
            word,
            suggestion: None,
        },
    )
}

/// The rest of `actor: op args`, after the colon.
fn op_statement(line: &mut Line<'_>, actor: Token<'_>) -> Result<StatementKind, ScenarioError> {
    let actor_pos = actor.pos(line.number);
    if actor.text.is_empty() {
        return Err(expected(
            actor_pos,
            "a process name before ':'",
            "':'".into(),
        ));
    }
    let actor = scenario_process(
        name_from(actor, line.number)?,
        "it does none of a scenario's operations",
    )?;
    if let Some(js) = line
        .peek()
        .filter(|t| t.kind == Kind::Word && starts_node_statement(t.text))
    {
        let stmt = node_syntax::parse_statement(line.text, line.number, js.start)?;
        return Ok(StatementKind::Node { actor, stmt });
    }
    line.check_strings()?;
    let op = op(line)?;
    Ok(StatementKind::Op { actor, op })
}

/// `expect P event OBJ NAME [ARGS]` or `expect P events OBJ NAME...`, when
/// the line is one (None when it is another expect).
fn node_expect(line: &mut Line<'_>) -> Result<Option<Expect>, ScenarioError> {
    let is_node = |t: Option<Token<'_>>| {
        t.is_some_and(|t| {
            t.is_word(CheckWord::Event.keyword()) || t.is_word(CheckWord::Events.keyword())
        })
    };
    let second = line.tokens.get(line.next + 1).copied();
    if second.is_some_and(|t| t.is_word(CheckWord::Value.keyword())) {
        return value_expect(line).map(Some);
    }
    if !is_node(second) {
        return Ok(None);
    }
    let process = scenario_process(line.name("a node process")?, NOT_CHECKED)?;
    let many = line.word("event or events")?.text == CheckWord::Events.keyword();
    let object_token = line.word(
        "a child object, its stdout or stderr (CHILD.stdout), a Worker, process or parentPort",
    )?;
    let object = if object_token.text == PROCESS_OBJECT {
        NodeObject::Process
    } else if object_token.text == PARENT_PORT_OBJECT {
        NodeObject::ParentPort
    } else if let Some((child, _)) = crate::node::state::stream_object(object_token.text) {
        // `CHILD.stdout`: the child's name must be a name; the stream is
        // held as its object's name, as node's events are told.
        let mut name = name_from(
            Token {
                text: child,
                ..object_token
            },
            line.number,
        )?;
        name.text = object_token.text.to_string();
        NodeObject::Child { name }
    } else {
        NodeObject::Child {
            name: name_from(object_token, line.number)?,
        }
    };
    if many {
        let mut events = Vec::new();
        while line.peek().is_some() {
            events.push(line.one_of(NodeEventName::WORDS)?);
        }
        return Ok(Some(Expect::Events {
            process,
            object,
            events,
        }));
    }
    let name_token = line.peek();
    let event = line.one_of(NodeEventName::WORDS)?;
    let start = name_token.map_or(line.text.len(), |t| t.end);
    let args = node_syntax::parse_values(line.text, line.number, start)?;
    // Arguments are compared as JSON text, as node's own would print.
    if let Some((arg, e)) = args
        .iter()
        .find_map(|a| crate::node::json::stringify(&a.value).err().map(|e| (a, e)))
    {
        return Err(ScenarioError::new(
            arg.pos,
            ErrorKind::BadValue {
                why: format!(
                    "an event's argument is compared as JSON text, and JSON.stringify throws {e}"
                ),
            },
        ));
    }
    if !args.is_empty() && args.len() != event.arity() {
        return Err(ScenarioError::new(
            args[0].pos,
            ErrorKind::EventArity {
                event: format!("'{event}'"),
                arity: event.arity(),
                given: args.len(),
            },
        ));
    }
    line.next = line.tokens.len();
    Ok(Some(Expect::Event {
        process,
        object,
        event,
        args,
    }))
}

/// `expect P value ARRAY[I] V` or `expect P value ARRAY.byteLength N`.
fn value_expect(line: &mut Line<'_>) -> Result<Expect, ScenarioError> {
    let process = scenario_process(line.name("a node process or worker thread")?, NOT_CHECKED)?;
    line.word("value")?;
    let what = "a typed array's element, such as sab[0], or its byteLength, such as buf.byteLength";
    let token = line.word(what)?;
    let pos = token.pos(line.number);
    let (array, read) = if let Some(array) = token.text.strip_suffix(".byteLength") {
        (array, ValueRead::ByteLength)
    } else if let Some((array, index)) = token.text.split_once('[') {
        let index = index
            .strip_suffix(']')
            .and_then(|i| i.parse::<u64>().ok())
            .ok_or_else(|| expected(pos, what, token.describe()))?;
        (array, ValueRead::Element { index })
    } else {
        return Err(expected(pos, what, token.describe()));
    };
    let array = name_from(
        Token {
            text: array,
            ..token
        },
        line.number,
    )?;
    let values = node_syntax::parse_values(line.text, line.number, token.end)?;
    let [value] = <[NodeValue; 1]>::try_from(values).map_err(|values| {
        let at = values.get(1).map_or(pos, |v| v.pos);
        expected(
            at,
            "one value: a number, or undefined",
            format!("{} values", values.len()),
        )
    })?;
    if !matches!(value.value, JsValue::Number(_) | JsValue::Undefined) {
        return Err(expected(
            value.pos,
            "a number, or undefined",
            value.text.clone(),
        ));
    }
    line.next = line.tokens.len();
    Ok(Expect::Value {
        process,
        array,
        read,
        value,
    })
}

fn op(line: &mut Line<'_>) -> Result<Op, ScenarioError> {
    let word = line.word("an operation")?;
    let Some(kind) = OpKind::from_keyword(word.text) else {
        return Err(ScenarioError::new(
            word.pos(line.number),
            ErrorKind::UnknownOperation {
                word: word.text.to_string(),
                suggestion: suggest(word.text, OpKind::keywords()),
            },
        ));
    };
    // The optional words a line of this operation may end with (`signal`
    // takes `mask all` only after `handle`).
    let mut allowed: Vec<Flag> = kind.flags().to_vec();
    let mut op = match kind {
        OpKind::Mmap => {
            let region = line.declared_name("a region name")?;
            // 0 pages is mmap's EINVAL, a result the run reports.
            let pages = line.count("a page count", "the page count", u64::from(MAX_PAGES))? as u32;
            Op::Mmap {
                region,
                pages,
                shared: false,
            }
        }
        OpKind::Munmap => Op::Munmap {
            region: line.name("a region name")?,
        },
        OpKind::Read => Op::Read {
            region: line.name("a region name")?,
            range: line.range()?,
        },
        OpKind::Write => Op::Write {
            region: line.name("a region name")?,
            range: line.range()?,
        },
        OpKind::Fork => Op::Fork {
            child: line.declared_name("a name for the child")?,
        },
        OpKind::Exec => {
            let program = line.word("a program such as /bin/true or node")?;
            Op::Exec {
                program: program.text.to_string(),
            }
        }
        OpKind::Thread => Op::Thread {
            thread: line.declared_name("a name for the thread")?,
        },
        OpKind::Subreaper => Op::Subreaper,
        OpKind::Exit => Op::Exit {
            code: line.exit_code()?,
        },
        OpKind::Wait => {
            // `wait nohang` is the flag; `wait nohang nohang` waits with
            // it for a child named nohang (so a lone `nohang` never names
            // the child, and the printer's `wait C nohang` reads back).
            let nohang = Flag::Nohang.keyword();
            let flag_first =
                line.peek().is_some_and(|t| t.is_word(nohang)) && line.remaining() == 1;
            let child = match line.peek() {
                Some(_) if !flag_first => Some(line.name("the name of a child")?),
                _ => None,
            };
            Op::Wait {
                child,
                nohang: false,
            }
        }
        OpKind::Pipe => Op::Pipe {
            pipe: line.declared_name("a pipe name")?,
            cloexec: false,
        },
        OpKind::Socketpair => Op::Socketpair {
            pair: line.declared_name("a socketpair name")?,
            dgram: false,
            cloexec: false,
        },
        OpKind::Close => Op::Close { end: line.end()? },
        OpKind::Cloexec => Op::Cloexec {
            end: line.end()?,
            on: line.one_of(Switch::WORDS)? == Switch::On,
        },
        OpKind::Send => {
            let end = line.end()?;
            let payload = line.payload()?;
            Op::Send {
                end,
                payload,
                nonblock: false,
            }
        }
        OpKind::Recv => {
            let end = line.end()?;
            let max = line.bytes("a byte count")?;
            Op::Recv {
                end,
                max,
                nonblock: false,
            }
        }
        OpKind::Pipesize => {
            let pipe = line.name("a pipe name")?;
            Op::Pipesize {
                pipe,
                bytes: line.c_int("a size in bytes", "the pipe size (a C int)")?,
            }
        }
        OpKind::Sndbuf => Op::Sndbuf {
            end: line.end()?,
            bytes: line.c_int("a size in bytes", "the SO_SNDBUF value (a C int)")?,
        },
        OpKind::Signal => {
            let signal = line.signal()?;
            let action = line.one_of(Action::WORDS)?;
            if action != Action::Handle {
                allowed.retain(|f| *f != Flag::Mask);
            }
            Op::Signal {
                signal,
                action,
                nocldwait: false,
                full_mask: false,
            }
        }
        OpKind::Block => Op::Block {
            signals: line.signals()?,
        },
        OpKind::Unblock => Op::Unblock {
            signals: line.signals()?,
        },
        OpKind::Kill => {
            let target = scenario_process(
                line.name("the process to signal")?,
                "a scenario may not signal it",
            )?;
            Op::Kill {
                target,
                signal: line.signal()?,
            }
        }
    };
    let given = flags(line, &allowed)?;
    for flag in &given {
        set_flag(&mut op, *flag);
    }
    // Say which optional words were possible, so `mmap heap 8 shraed`
    // reads well; each may come once, in any order.
    let may_follow: Vec<&str> = allowed
        .iter()
        .filter(|f| !given.contains(f))
        .map(|f| match f {
            Flag::Mask => "mask all",
            f => f.keyword(),
        })
        .collect();
    line.finish(&may_follow)?;
    Ok(op)
}

/// The optional words at the end of an operation's line: any of
/// `allowed`, in any order, each at most once (`mask` with its `all`).
fn flags(line: &mut Line<'_>, allowed: &[Flag]) -> Result<Vec<Flag>, ScenarioError> {
    let mut given: Vec<Flag> = Vec::new();
    while let Some(flag) = line.peek().and_then(|t| {
        allowed
            .iter()
            .copied()
            .find(|f| !given.contains(f) && t.is_word(f.keyword()))
    }) {
        line.advance();
        if flag == Flag::Mask {
            line.one_of(MaskWord::WORDS)?;
        }
        given.push(flag);
    }
    Ok(given)
}

/// Set the field of `op` that `flag` stands for.
fn set_flag(op: &mut Op, flag: Flag) {
    match (op, flag) {
        (Op::Mmap { shared, .. }, Flag::Shared) => *shared = true,
        (Op::Socketpair { dgram, .. }, Flag::Dgram) => *dgram = true,
        (Op::Pipe { cloexec, .. } | Op::Socketpair { cloexec, .. }, Flag::Cloexec) => {
            *cloexec = true
        }
        (Op::Send { nonblock, .. } | Op::Recv { nonblock, .. }, Flag::Nonblock) => *nonblock = true,
        (Op::Wait { nohang, .. }, Flag::Nohang) => *nohang = true,
        (Op::Signal { full_mask, .. }, Flag::Mask) => *full_mask = true,
        (Op::Signal { nocldwait, .. }, Flag::Nocldwait) => *nocldwait = true,
        // `OpKind::flags` offers each operation only its own flags.
        (op, flag) => unreachable!("{} takes no flag {flag}", op.keyword()),
    }
}

/// Why `init` cannot be the process an expect checks.
const NOT_CHECKED: &str =
    "an expect cannot check it; an expect names init only as a parent, as in \"expect c parent init\"";

/// `name`, unless it is `init` where only a scenario process may stand
/// (`consequence` says what follows): init is in every scenario but acts
/// in none, and the replay has no real process of its to look at.
fn scenario_process(name: Name, consequence: &str) -> Result<Name, ScenarioError> {
    if name.text == INIT_NAME {
        return Err(ScenarioError::new(
            name.pos,
            ErrorKind::NotAScenarioProcess {
                consequence: consequence.into(),
            },
        ));
    }
    Ok(name)
}

/// Everything after `expect`.
fn expect(line: &mut Line<'_>) -> Result<Expect, ScenarioError> {
    if let Some(node) = node_expect(line)? {
        return Ok(node);
    }
    line.check_strings()?;
    let subject = line.word("a process, or a pipe or socket end, to check")?;
    let subject_pos = subject.pos(line.number);
    if subject.text.contains('[') {
        return Err(expected(
            subject_pos,
            "a process name before the page",
            subject.describe(),
        ));
    }
    if subject.text.contains('.') {
        let end = end_from(subject, line.number)?;
        line.keyword(EndCheckWord::Queued.keyword())?;
        let bytes = line.int_bytes("a byte count")?;
        return Ok(Expect::Queued { end, bytes });
    }
    let process = scenario_process(name_from(subject, line.number)?, NOT_CHECKED)?;
    let checks = alternatives(CheckWord::keywords());
    let what = line.word(&format!("what to check: R[I], {checks}"))?;
    if let Some((region, index)) = what.text.split_once('[') {
        return page_expect(line, process, what, region, index);
    }
    let Some(check) = CheckWord::from_keyword(what.text) else {
        return Err(ScenarioError::new(
            what.pos(line.number),
            ErrorKind::UnknownExpect {
                word: what.text.to_string(),
                suggestion: suggest(what.text, CheckWord::keywords()),
            },
        ));
    };
    Ok(match check {
        // `node_expect` reads these, whose subject is always a process.
        CheckWord::Event | CheckWord::Events | CheckWord::Value => {
            return Err(expected(
                what.pos(line.number),
                "a node process before event or events",
                what.describe(),
            ))
        }
        CheckWord::Faults => Expect::Faults {
            process,
            count: line.count("a number of faults", "the number of faults", u64::MAX)?,
        },
        CheckWord::Result => Expect::Result {
            process,
            result: line.result()?,
        },
        CheckWord::State => Expect::State {
            process,
            state: line.one_of(StateName::WORDS)?,
        },
        // `init` is allowed here: it is the one name no line declares.
        CheckWord::Parent => Expect::Parent {
            process,
            parent: line.name("the parent's name, or init")?,
        },
        CheckWord::Handled => {
            let signal = line.signal()?;
            let count = line.count("how many times the handler ran", "the count", u64::MAX)?;
            Expect::Handled {
                process,
                signal,
                count,
            }
        }
        CheckWord::Fd => Expect::Fd {
            process,
            end: line.end()?,
            state: line.one_of(FdState::WORDS)?,
        },
        CheckWord::Status => {
            let status = match line.one_of(StatusWord::WORDS)? {
                StatusWord::Exited => {
                    let code = line.count("an exit status (0 to 255)", "the exit status", 255)?;
                    ExitStatus::Exited(code as u8) // at most 255, checked just above
                }
                StatusWord::Signaled => ExitStatus::Signaled(line.signal()?),
            };
            Expect::Status { process, status }
        }
    })
}

/// `expect P R[I] ...`, from the `R[I]` word on; `region` and `index` are its
/// parts before and after the `[`.
fn page_expect(
    line: &mut Line<'_>,
    process: Name,
    word: Token<'_>,
    region: &str,
    index: &str,
) -> Result<Expect, ScenarioError> {
    let pos = word.pos(line.number);
    let index = index
        .strip_suffix(']')
        .ok_or_else(|| expected(pos, "a page such as heap[2]", word.describe()))?;
    let region = name_from(
        Token {
            text: region,
            ..word
        },
        line.number,
    )?;
    let index_pos = Pos {
        line: pos.line,
        col: pos.col.saturating_add(count_chars(&region.text) + 1),
    };
    let max = u64::from(MAX_PAGES - 1);
    let page = bounded(index, index_pos, "a page number", "the page number", max)? as u32;
    let check = match line.one_of(PageWord::WORDS)? {
        PageWord::Shared => PageCheck::Shared {
            other: scenario_process(line.name("the process it shares with")?, NOT_CHECKED)?,
        },
        PageWord::Private => PageCheck::Private,
        PageWord::Absent => PageCheck::Absent,
        PageWord::Zero => PageCheck::Zero,
        PageWord::Frame => match line.one_of(FrameWord::WORDS)? {
            FrameWord::Same => PageCheck::FrameSame,
            FrameWord::New => PageCheck::FrameNew,
        },
    };
    Ok(Expect::Page {
        process,
        region,
        page,
        check,
    })
}
