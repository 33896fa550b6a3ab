//! The printer: `Scenario` to canonical text that parses back to it.
//!
//! Canonical means: the title first, then one statement a line in order,
//! single spaces between words, no comments, page ranges as `I` when they
//! hold one page, byte counts as plain integers, signals by their canonical
//! name (`SIGTERM`, `SIGRTMIN+2`), strings quoted with `\"`, `\\`, `\n` and
//! `\t` escaped.
//!
//! The printer trusts the scenario to be one the parser could have produced
//! (names are names, `say` text is one line with no comment in it); it does
//! not validate.

use super::ast::{
    Expect, Op, PageCheck, PageRange, Payload, Scenario, Statement, StatementKind, ValueRead,
};
use super::keyword::{
    CheckWord, EndCheckWord, Flag, FrameWord, MaskWord, PageWord, StatementWord, Switch,
};
use std::fmt::{self, Write};

/// Print a scenario in canonical form.
pub fn print(scenario: &Scenario) -> String {
    let mut out = String::new();
    if let Some(title) = &scenario.title {
        out.push_str(StatementWord::Title.keyword());
        out.push(' ');
        out.push_str(title);
        out.push('\n');
    }
    for statement in &scenario.statements {
        // Writing to a String cannot fail.
        let _ = writeln!(out, "{}", Line(statement));
    }
    out
}

/// A statement displays as its canonical line (without a newline).
impl fmt::Display for Statement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Line(self).fmt(f)
    }
}

/// One statement, displayed as its canonical line.
struct Line<'a>(&'a Statement);

impl fmt::Display for Line<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0.kind {
            StatementKind::Process { name } => write!(f, "{} {name}", StatementWord::Process),
            StatementKind::Say { text } => write!(f, "{} {text}", StatementWord::Say),
            StatementKind::Op { actor, op } => {
                write!(f, "{actor}: {}", op.keyword())?;
                op_args(f, op)
            }
            StatementKind::Expect { expect } => {
                write!(f, "{} ", StatementWord::Expect)?;
                expect_args(f, expect)
            }
            StatementKind::NodeProcess { name } => write!(f, "{} {name}", StatementWord::Node),
            StatementKind::Node { actor, stmt } => write!(f, "{actor}: {stmt}"),
        }
    }
}

fn op_args(f: &mut fmt::Formatter<'_>, op: &Op) -> fmt::Result {
    let flag = |f: &mut fmt::Formatter<'_>, on: bool, flag: Flag| {
        if on {
            write!(f, " {flag}")
        } else {
            Ok(())
        }
    };
    match op {
        Op::Mmap {
            region,
            pages,
            shared,
        } => {
            write!(f, " {region} {pages}")?;
            flag(f, *shared, Flag::Shared)
        }
        Op::Munmap { region } => write!(f, " {region}"),
        Op::Read { region, range } | Op::Write { region, range } => {
            write!(f, " {region} {}", Range(*range))
        }
        Op::Fork { child } => write!(f, " {child}"),
        Op::Exec { program } => write!(f, " {program}"),
        Op::Thread { thread } => write!(f, " {thread}"),
        Op::Subreaper => Ok(()),
        Op::Exit { code } => write!(f, " {code}"),
        Op::Wait { child, nohang } => {
            if let Some(child) = child {
                write!(f, " {child}")?;
            }
            flag(f, *nohang, Flag::Nohang)
        }
        Op::Pipe { pipe, cloexec } => {
            write!(f, " {pipe}")?;
            flag(f, *cloexec, Flag::Cloexec)
        }
        Op::Socketpair {
            pair,
            dgram,
            cloexec,
        } => {
            write!(f, " {pair}")?;
            flag(f, *dgram, Flag::Dgram)?;
            flag(f, *cloexec, Flag::Cloexec)
        }
        Op::Close { end } => write!(f, " {end}"),
        Op::Cloexec { end, on } => {
            let switch = if *on { Switch::On } else { Switch::Off };
            write!(f, " {end} {switch}")
        }
        Op::Send {
            end,
            payload,
            nonblock,
        } => {
            match payload {
                Payload::Bytes(n) => write!(f, " {end} {n}")?,
                Payload::Text(text) => write!(f, " {end} {}", Quoted(text))?,
            }
            flag(f, *nonblock, Flag::Nonblock)
        }
        Op::Recv { end, max, nonblock } => {
            write!(f, " {end} {max}")?;
            flag(f, *nonblock, Flag::Nonblock)
        }
        Op::Pipesize { pipe, bytes } => write!(f, " {pipe} {bytes}"),
        Op::Sndbuf { end, bytes } => write!(f, " {end} {bytes}"),
        Op::Signal {
            signal,
            action,
            nocldwait,
            full_mask,
        } => {
            write!(f, " {signal} {action}")?;
            if *full_mask {
                write!(f, " {} {}", Flag::Mask, MaskWord::All)?;
            }
            flag(f, *nocldwait, Flag::Nocldwait)
        }
        Op::Block { signals } | Op::Unblock { signals } => {
            signals.iter().try_for_each(|signal| write!(f, " {signal}"))
        }
        Op::Kill { target, signal } => write!(f, " {target} {signal}"),
    }
}

fn expect_args(f: &mut fmt::Formatter<'_>, expect: &Expect) -> fmt::Result {
    match expect {
        Expect::Page {
            process,
            region,
            page,
            check,
        } => {
            write!(f, "{process} {region}[{page}] ")?;
            match check {
                PageCheck::Shared { other } => write!(f, "{} {other}", PageWord::Shared),
                PageCheck::Private => write!(f, "{}", PageWord::Private),
                PageCheck::Absent => write!(f, "{}", PageWord::Absent),
                PageCheck::Zero => write!(f, "{}", PageWord::Zero),
                PageCheck::FrameSame => write!(f, "{} {}", PageWord::Frame, FrameWord::Same),
                PageCheck::FrameNew => write!(f, "{} {}", PageWord::Frame, FrameWord::New),
            }
        }
        Expect::Faults { process, count } => write!(f, "{process} {} {count}", CheckWord::Faults),
        Expect::Result { process, result } => {
            write!(f, "{process} {} {result}", CheckWord::Result)
        }
        Expect::State { process, state } => write!(f, "{process} {} {state}", CheckWord::State),
        Expect::Parent { process, parent } => {
            write!(f, "{process} {} {parent}", CheckWord::Parent)
        }
        Expect::Queued { end, bytes } => write!(f, "{end} {} {bytes}", EndCheckWord::Queued),
        Expect::Handled {
            process,
            signal,
            count,
        } => write!(f, "{process} {} {signal} {count}", CheckWord::Handled),
        Expect::Status { process, status } => {
            write!(f, "{process} {} {status}", CheckWord::Status)
        }
        Expect::Fd {
            process,
            end,
            state,
        } => write!(f, "{process} {} {end} {state}", CheckWord::Fd),
        Expect::Event {
            process,
            object,
            event,
            args,
        } => {
            write!(f, "{process} {} {object} {event}", CheckWord::Event)?;
            args.iter().try_for_each(|a| write!(f, " {}", a.text))
        }
        Expect::Events {
            process,
            object,
            events,
        } => {
            write!(f, "{process} {} {object}", CheckWord::Events)?;
            events.iter().try_for_each(|e| write!(f, " {e}"))
        }
        Expect::Value {
            process,
            array,
            read,
            value,
        } => match read {
            ValueRead::Element { index } => write!(
                f,
                "{process} {} {array}[{index}] {}",
                CheckWord::Value,
                value.text
            ),
            ValueRead::ByteLength => write!(
                f,
                "{process} {} {array}.byteLength {}",
                CheckWord::Value,
                value.text
            ),
        },
    }
}

/// `I` for one page, `I..J` otherwise.
struct Range(PageRange);

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let PageRange { start, end, .. } = self.0;
        if end.checked_sub(start) == Some(1) {
            write!(f, "{start}")
        } else {
            write!(f, "{start}..{end}")
        }
    }
}

/// A string in double quotes with the parser's four escapes.
struct Quoted<'a>(&'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char('"')?;
        for c in self.0.chars() {
            match c {
                '"' => f.write_str("\\\"")?,
                '\\' => f.write_str("\\\\")?,
                '\n' => f.write_str("\\n")?,
                '\t' => f.write_str("\\t")?,
                c => f.write_char(c)?,
            }
        }
        f.write_char('"')
    }
}
