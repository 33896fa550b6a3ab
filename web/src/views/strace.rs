//! The system-call log as text: one strace-like line per call a step made,
//! and a line for what else the step did to a process (a sleeping call
//! resumed, a signal sent or taken, an exit). Pure: built from the step's
//! statement, its events and the worlds before and after it, so that the
//! log view only lays lines out.
//!
//! The words follow strace where a learner may meet them later
//! (`<unfinished ...>`, `<... wait4 resumed>`, `--- SIGCHLD ... ---`,
//! `+++ exited with 0 +++`, `= -1 EAGAIN (...)`); the arguments are the
//! scenario's own names (`p.w`, `heap[2]`), which say more than fd numbers.

use sim_core::engine::{Event, Sim, Step};
use sim_core::ids::{FrameId, Pid};
use sim_core::mm::{FaultKind, MemEvent};
use sim_core::proc::{BlockedOn, ProcState};
use sim_core::scenario::ast::{
    Action, End, ExitStatus, Op, OpResult, Payload, Scenario, Statement, StatementKind,
};
use sim_core::sig::Signal;
use sim_core::signal::{Delivery, Fate};
use sim_core::world::World;

/// How many runs of alike faults one line names before "and N more".
const FAULT_RUNS_SHOWN: usize = 3;
/// How many characters of a text payload a line quotes (strace's default
/// `-s 32`).
const QUOTE_CHARS: usize = 32;

/// What a line tells, for its look.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineKind {
    /// A call and what it returned (or that it sleeps).
    Call,
    /// A sleeping call that returned in this step.
    Resumed,
    /// A signal sent, taken or handled.
    Signal,
    /// A process exited or was killed.
    Exit,
}

/// One line of the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    /// The step that made it (1-based).
    pub step: u32,
    /// The process the line is about.
    pub who: String,
    pub text: String,
    pub kind: LineKind,
}

/// The statement written at `step`'s position (statements are in source
/// order, so a binary search finds it).
pub fn statement_of<'a>(scenario: &'a Scenario, step: &'a Step) -> Option<&'a Statement> {
    // A kernel step of a Node statement ran the statement its group holds.
    if let Some(group) = &step.group {
        return group.kernel.as_ref();
    }
    scenario
        .statements
        .binary_search_by_key(&step.pos, |s| s.pos)
        .ok()
        .map(|i| &scenario.statements[i])
}

/// The steps the log draws when step `shown` is shown and `ran` steps
/// have run: the last `max` of them up to the shown one (empty at step
/// 0). The steps before the window are `*range.start() - 1`.
pub fn window_steps(shown: u32, ran: u32, max: u32) -> std::ops::RangeInclusive<u32> {
    let upto = shown.min(ran);
    (upto.saturating_sub(max) + 1)..=upto
}

/// A piece of the log's window: a step of a kernel statement, or the
/// steps of one Node statement's group that are in the window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Chunk {
    Step(u32),
    Group {
        /// The group's first kernel step (possibly before the window): it
        /// names the group.
        first: u32,
        /// Its steps in the window.
        steps: std::ops::RangeInclusive<u32>,
        /// The Node statement's line, actor and text (without the actor).
        line: u32,
        who: String,
        source: String,
    },
}

/// The window's steps, each group's gathered into one chunk.
pub fn chunks(sim: &Sim, window: std::ops::RangeInclusive<u32>) -> Vec<Chunk> {
    let mut out: Vec<Chunk> = Vec::new();
    for i in window {
        let Some(step) = sim.steps().get(i as usize - 1) else {
            continue;
        };
        let Some(g) = &step.group else {
            out.push(Chunk::Step(i));
            continue;
        };
        let start = i - g.index;
        if let Some(Chunk::Group { first, steps, .. }) = out.last_mut() {
            if *first == start {
                *steps = *steps.start()..=i;
                continue;
            }
        }
        let who = g.actor.clone().unwrap_or_default();
        let source = g
            .source
            .strip_prefix(&format!("{who}: "))
            .unwrap_or(&g.source)
            .to_string();
        out.push(Chunk::Group {
            first: start,
            steps: i..=i,
            line: g.pos.line,
            who,
            source,
        });
    }
    out
}

/// The log up to step `shown`, at most its last `max` steps: how many
/// steps came before the window, and the window's lines, oldest first.
#[cfg(test)]
fn window(sim: &Sim, shown: u32, max: u32) -> (u32, Vec<LogLine>) {
    let steps = window_steps(shown, sim.steps().len() as u32, max);
    let earlier = *steps.start() - 1;
    (earlier, steps.flat_map(|i| lines_at(sim, i)).collect())
}

/// The lines of step `index` (1-based) of `sim`; none for a step not run.
pub fn lines_at(sim: &Sim, index: u32) -> Vec<LogLine> {
    let Some(step) = index
        .checked_sub(1)
        .and_then(|i| sim.steps().get(i as usize))
    else {
        return Vec::new();
    };
    let (Some(before), Some(after)) = (sim.world(index - 1), sim.world(index)) else {
        return Vec::new();
    };
    let stmt = statement_of(sim.scenario(), step).map(|s| &s.kind);
    let syscall_at = |i: u32| {
        let step = sim.steps().get(i.checked_sub(1)? as usize)?;
        match &statement_of(sim.scenario(), step)?.kind {
            StatementKind::Op { op, .. } => {
                let call = call_text(op);
                Some(call.split('(').next().unwrap_or_default().to_string())
            }
            _ => None,
        }
    };
    step_lines(step, stmt, before, after, &syscall_at)
}

/// The lines of one step. `before` and `after` are the worlds around it.
/// `syscall_at(i)` names the syscall of step `i`'s statement (for a call
/// that resumes in a later step).
pub fn step_lines(
    step: &Step,
    stmt: Option<&StatementKind>,
    before: &World,
    after: &World,
    syscall_at: &dyn Fn(u32) -> Option<String>,
) -> Vec<LogLine> {
    let name = |pid: Pid| after.name_of(pid).to_string();
    let line = |who: String, text: String, kind: LineKind| LogLine {
        step: step.index,
        who,
        text,
        kind,
    };
    let mut out = Vec::new();
    let actor = step.actor.clone();
    let actor_pid = actor.as_deref().and_then(|a| after.pid_of(a));
    match (stmt, &actor) {
        (Some(StatementKind::Op { op, .. }), Some(who)) => {
            let call = call_text(op);
            let ret = result_text(op, step, actor_pid, after);
            out.push(line(who.clone(), format!("{call}{ret}"), LineKind::Call));
        }
        (None, Some(who)) if step.group.is_some() => {
            // A step node takes alone (a send() that throws): no system
            // call, only what node did.
            let group = step.group.as_ref().expect("matched on is_some");
            let js = group
                .source
                .split_once(':')
                .map_or(group.source.as_str(), |(_, js)| js.trim());
            out.push(line(
                who.clone(),
                format!("{js} = {} (no system call)", group.why),
                LineKind::Call,
            ));
        }
        _ => {
            // `process NAME`: init starts it.
            if let Some(Event::Started { pid, name }) = step
                .events
                .iter()
                .find(|e| matches!(e, Event::Started { .. }))
            {
                out.push(line(
                    "init".into(),
                    format!("fork() = {pid} ({name})"),
                    LineKind::Call,
                ));
            }
        }
    }
    // What else happened, in order, after the call line (as strace prints
    // a signal or an exit after the call it interrupted).
    for event in &step.events {
        match event {
            // The actor's own wake-up is on its call line.
            Event::Woken { pid, result } if Some(*pid) != actor_pid => {
                let proc = before.proc(*pid);
                let call = match &proc.state {
                    ProcState::Blocked(b) => blocked_syscall(&b.on, before).to_string(),
                    ProcState::Stopped { call: Some(b), .. } => {
                        blocked_syscall(&b.on, before).to_string()
                    }
                    // A call that ended before a stop: the one its last
                    // operation issued.
                    _ => proc
                        .last_op
                        .as_ref()
                        .and_then(|l| syscall_at(l.step))
                        .unwrap_or_else(|| "call".into()),
                };
                out.push(line(
                    name(*pid),
                    format!("<... {call} resumed> = {}", op_result(*result)),
                    LineKind::Resumed,
                ));
            }
            Event::SignalSent {
                pid, signal, fate, ..
            } => {
                let from = sender(step, event, after);
                let what = match fate {
                    Fate::Queued { .. } => "pending",
                    Fate::AlreadyPending => "already pending: merged",
                    Fate::Ignored(_) => "ignored: discarded",
                };
                out.push(line(
                    name(*pid),
                    format!("--- {signal} {{{from}}} {what} ---"),
                    LineKind::Signal,
                ));
            }
            Event::SignalDelivered {
                pid,
                signal,
                delivery: Delivery::Handler,
            } => out.push(line(
                name(*pid),
                format!("--- {signal} taken: handler frame set up ---"),
                LineKind::Signal,
            )),
            Event::HandlerRan { pid, signal, runs } => out.push(line(
                name(*pid),
                format!("rt_sigreturn() = 0  [{signal} handler ran, run {runs}]"),
                LineKind::Signal,
            )),
            Event::Stopped { pid, signal, .. } => out.push(line(
                name(*pid),
                format!("--- stopped by {signal} ---"),
                LineKind::Signal,
            )),
            Event::Continued { pid, by, .. } => out.push(line(
                name(*pid),
                format!("--- continued by {by} ---"),
                LineKind::Signal,
            )),
            Event::Exited { pid, status, .. } => out.push(line(
                name(*pid),
                match status {
                    ExitStatus::Exited(c) => format!("+++ exited with {c} +++"),
                    ExitStatus::Signaled(s) => format!("+++ killed by {s} +++"),
                },
                LineKind::Exit,
            )),
            _ => {}
        }
    }
    out
}

/// Who a signal came from, in strace's `si_pid=` words.
fn sender(step: &Step, sent: &Event, after: &World) -> String {
    // A child that exited, stopped or continued just before a SIGCHLD is
    // its cause: strace's si_pid and si_status.
    let mut last_child = None;
    for event in &step.events {
        if std::ptr::eq(event, sent) {
            break;
        }
        match event {
            Event::Exited { pid, status, .. } => {
                let st = match status {
                    ExitStatus::Exited(c) => c.to_string(),
                    ExitStatus::Signaled(s) => s.to_string(),
                };
                last_child = Some((*pid, st));
            }
            Event::Stopped { pid, signal, .. } => last_child = Some((*pid, signal.to_string())),
            Event::Continued { pid, by, .. } => last_child = Some((*pid, by.to_string())),
            _ => {}
        }
    }
    let Event::SignalSent { signal, .. } = sent else {
        return String::new();
    };
    if *signal == Signal::SIGCHLD {
        if let Some((pid, st)) = last_child {
            return format!("si_pid={}, si_status={st}", after.name_of(pid));
        }
    }
    match &step.actor {
        Some(a) => format!("si_pid={a}"),
        None => "from the kernel".into(),
    }
}

/// The syscall a sleeping call is in.
fn blocked_syscall(on: &BlockedOn, world: &World) -> &'static str {
    let pipe = |end| world.end_name(end).ends_with(".r") || world.end_name(end).ends_with(".w");
    match on {
        BlockedOn::Wait { .. } => "wait4",
        BlockedOn::Send { end, .. } if pipe(*end) => "write",
        BlockedOn::Send { .. } => "sendmsg",
        BlockedOn::Recv { end, .. } if pipe(*end) => "read",
        BlockedOn::Recv { .. } => "recvmsg",
    }
}

fn is_pipe_end(end: &End) -> bool {
    matches!(end, End::PipeRead { .. } | End::PipeWrite { .. })
}

/// The call as strace would print it, with the scenario's names.
pub fn call_text(op: &Op) -> String {
    match op {
        Op::Mmap {
            region,
            pages,
            shared,
        } => {
            let flags = if *shared { "MAP_SHARED" } else { "MAP_PRIVATE" };
            format!("mmap({region}, {pages} pages, {flags}|MAP_ANONYMOUS)")
        }
        Op::Munmap { region } => format!("munmap({region})"),
        Op::Read { region, range } | Op::Write { region, range } => {
            let verb = if matches!(op, Op::Read { .. }) {
                "read"
            } else {
                "write"
            };
            if range.len() == 1 {
                format!("{verb}({region}[{}])", range.start)
            } else {
                format!("{verb}({region}[{}..{}])", range.start, range.end)
            }
        }
        Op::Fork { .. } => "fork()".into(),
        Op::Exec { program } => format!("execve(\"{program}\")"),
        Op::Thread { .. } => {
            "clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM})"
                .into()
        }
        Op::Subreaper => "prctl(PR_SET_CHILD_SUBREAPER, 1)".into(),
        Op::Exit { code } => format!("exit_group({code})"),
        Op::Wait { child, nohang } => {
            let who = child.as_ref().map_or("-1".to_string(), |c| c.to_string());
            let flags = if *nohang { ", WNOHANG" } else { "" };
            format!("wait4({who}{flags})")
        }
        Op::Pipe { pipe, cloexec } => match cloexec {
            true => format!("pipe2({pipe}, O_CLOEXEC)"),
            false => format!("pipe({pipe})"),
        },
        Op::Socketpair {
            pair,
            dgram,
            cloexec,
        } => {
            let kind = if *dgram { "SOCK_DGRAM" } else { "SOCK_STREAM" };
            let flags = if *cloexec { "|SOCK_CLOEXEC" } else { "" };
            format!("socketpair(AF_UNIX, {kind}{flags}, {pair})")
        }
        Op::Close { end } => format!("close({end})"),
        Op::Cloexec { end, on } => {
            let flag = if *on { "FD_CLOEXEC" } else { "0" };
            format!("fcntl({end}, F_SETFD, {flag})")
        }
        Op::Send {
            end,
            payload,
            nonblock,
        } => {
            let data = match payload {
                Payload::Bytes(1) => "1 byte".into(),
                Payload::Bytes(n) => format!("{n} bytes"),
                Payload::Text(t) => quote(t),
            };
            match (is_pipe_end(end), nonblock) {
                (true, false) => format!("write({end}, {data})"),
                (true, true) => format!("write({end}, {data}) O_NONBLOCK"),
                (false, false) => format!("sendmsg({end}, {data})"),
                (false, true) => format!("sendmsg({end}, {data}, MSG_DONTWAIT)"),
            }
        }
        Op::Recv { end, max, nonblock } => match (is_pipe_end(end), nonblock) {
            (true, false) => format!("read({end}, {max})"),
            (true, true) => format!("read({end}, {max}) O_NONBLOCK"),
            (false, false) => format!("recvmsg({end}, {max})"),
            (false, true) => format!("recvmsg({end}, {max}, MSG_DONTWAIT)"),
        },
        Op::Pipesize { pipe, bytes } => format!("fcntl({pipe}, F_SETPIPE_SZ, {bytes})"),
        Op::Sndbuf { end, bytes } => format!("setsockopt({end}, SO_SNDBUF, {bytes})"),
        Op::Signal {
            signal,
            action,
            nocldwait,
            full_mask,
        } => {
            let act = match (action, full_mask) {
                (Action::Handle, false) => "{handler, SA_RESTART}",
                (Action::Handle, true) => "{handler, ~[], SA_RESTART}",
                (Action::Ignore, _) => "SIG_IGN",
                (Action::Default, _) => "SIG_DFL",
            };
            let extra = if *nocldwait { " SA_NOCLDWAIT" } else { "" };
            format!("rt_sigaction({signal}, {act}{extra})")
        }
        Op::Block { signals } => format!("rt_sigprocmask(SIG_BLOCK, [{}])", list(signals)),
        Op::Unblock { signals } => format!("rt_sigprocmask(SIG_UNBLOCK, [{}])", list(signals)),
        Op::Kill { target, signal } => format!("kill({target}, {signal})"),
    }
}

fn list<T: std::fmt::Display>(items: &[T]) -> String {
    items.iter().map(T::to_string).collect::<Vec<_>>().join(" ")
}

/// A text payload as strace quotes it: escaped, cut at 32 characters.
fn quote(text: &str) -> String {
    let mut out = String::from("\"");
    for (i, c) in text.chars().enumerate() {
        if i == QUOTE_CHARS {
            out.push_str("\"...");
            return out;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A return value: a number, or -1 and the errno with strerror's words.
pub fn op_result(result: OpResult) -> String {
    match result {
        OpResult::Value(v) => v.to_string(),
        OpResult::Error(e) => format!("-1 {} ({})", e.name(), e.describe()),
    }
}

/// ` = RESULT` and what the call did that the result alone does not say.
fn result_text(op: &Op, step: &Step, actor: Option<Pid>, after: &World) -> String {
    let mine = |pid: &Pid| Some(*pid) == actor;
    let mut result = None;
    let mut blocked = false;
    for event in &step.events {
        match event {
            Event::Returned { pid, result: r } | Event::Woken { pid, result: r } if mine(pid) => {
                result = Some(*r)
            }
            Event::Blocked { pid, .. } if mine(pid) => blocked = true,
            _ => {}
        }
    }
    if let (Op::Read { .. } | Op::Write { .. }, Some(OpResult::Value(_))) = (op, result) {
        return format!(" = {}", faults_text(&step.events));
    }
    let detail = match (op, result) {
        (Op::Fork { child }, Some(OpResult::Value(_))) => format!(" ({child})"),
        (Op::Thread { thread }, Some(OpResult::Value(_))) => format!(" (thread {thread})"),
        (Op::Wait { .. }, Some(OpResult::Value(_))) => step
            .events
            .iter()
            .find_map(|e| match e {
                Event::Reaped { child, status, .. } => {
                    Some(format!(" ({}, {status})", after.name_of(*child)))
                }
                _ => None,
            })
            .unwrap_or_default(),
        (Op::Pipe { pipe, .. }, _) | (Op::Socketpair { pair: pipe, .. }, _) => {
            fds_text(&step.events, pipe.as_str())
        }
        _ => String::new(),
    };
    match result {
        Some(r) if !blocked => format!(" = {}{detail}", op_result(r)),
        Some(r) => format!(" <unfinished ...> = {}{detail}", op_result(r)),
        None if blocked => " <unfinished ...>".into(),
        None => " = ?".into(),
    }
}

/// The fds a new pipe or socketpair got, `[p.r=3, p.w=4]`.
fn fds_text(events: &[Event], object: &str) -> String {
    let fds: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            Event::Opened { end, fd, .. } if end.starts_with(object) => Some(format!("{end}={fd}")),
            _ => None,
        })
        .collect();
    if fds.is_empty() {
        String::new()
    } else {
        format!(" [{}]", fds.join(", "))
    }
}

/// What the faults of a memory access did: `1 fault: COW copy F3 -> F9`.
pub fn faults_text(events: &[Event]) -> String {
    let mems: Vec<&MemEvent> = events
        .iter()
        .filter_map(|e| match e {
            Event::Mem { mem, .. } => Some(mem),
            _ => None,
        })
        .collect();
    let mut count: u64 = 0;
    let mut runs = Vec::new();
    let mut around = 0usize;
    for mem in &mems {
        match mem {
            MemEvent::Faults {
                from, to, fault, ..
            } => {
                count += u64::from(to - from);
                runs.push(run_text(*fault, to - from));
            }
            MemEvent::FaultAround { pages, .. } => around += pages.len(),
        }
    }
    if count == 0 && around == 0 {
        return "0 (no fault)".into();
    }
    let mut text = format!("{count} {}", if count == 1 { "fault" } else { "faults" });
    if !runs.is_empty() {
        let more = runs.len().saturating_sub(FAULT_RUNS_SHOWN);
        text.push_str(": ");
        text.push_str(&runs[..runs.len().min(FAULT_RUNS_SHOWN)].join(", "));
        if more > 0 {
            text.push_str(&format!(" and {more} more"));
        }
    }
    if around > 0 {
        text.push_str(&format!(" (+{around} mapped around)"));
    }
    text
}

/// `n` alike faults, the first being `fault`: `COW copy F3–F5 -> F9–F11`.
fn run_text(fault: FaultKind, n: u32) -> String {
    let span = |f: FrameId| {
        if n <= 1 {
            f.to_string()
        } else {
            format!("{f}–{}", FrameId(f.0 + n - 1))
        }
    };
    match fault {
        FaultKind::ZeroPage => "zero page".into(),
        FaultKind::ZeroFill { frame } => format!("zero-fill {}", span(frame)),
        FaultKind::ZeroPageReplaced { frame } => format!("zero page -> {}", span(frame)),
        FaultKind::CowCopy { from, to } => format!("COW copy {} -> {}", span(from), span(to)),
        FaultKind::Reuse { frame } => format!("reuse {}", span(frame)),
        FaultKind::ShmNew { frame } => format!("shmem new {}", span(frame)),
        FaultKind::ShmExisting { frame } => format!("shmem {}", span(frame)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(text: &str) -> Vec<String> {
        let mut sim = Sim::from_source(text).expect("parses");
        sim.run_to_end().expect("runs");
        let (_, lines) = window(&sim, u32::MAX, u32::MAX);
        lines
            .iter()
            .map(|l| format!("{} {}", l.who, l.text))
            .collect()
    }

    #[test]
    fn a_node_statements_kernel_steps_are_one_chunk_named_by_its_first_step() {
        let text = "node main\nprocess p\nmain: const w = child_process.fork('./w.js')\n";
        let mut sim = Sim::from_source(text).expect("parses");
        sim.run_to_end().expect("runs");
        let n = sim.steps().len() as u32;
        let all = chunks(&sim, 1..=n);
        assert_eq!(all.len(), 3, "{all:?}");
        let Chunk::Group {
            first,
            steps,
            line,
            who,
            source,
        } = &all[2]
        else {
            panic!("the fork is a group: {all:?}");
        };
        assert_eq!((*line, who.as_str()), (3, "main"));
        assert_eq!(source, "const w = child_process.fork('./w.js')");
        assert_eq!(*steps, *first..=n);
        assert!(matches!(all[1], Chunk::Step(s) if s == first - 1));
        // A window that starts inside the group still names it by its
        // first step.
        let tail = chunks(&sim, first + 2..=n);
        assert_eq!(tail.len(), 1);
        assert!(
            matches!(&tail[0], Chunk::Group { first: f, steps, .. } if f == first && *steps == (first + 2..=n))
        );
    }

    #[test]
    fn every_lesson_and_fact_logs_one_call_line_for_every_step() {
        let mut texts: Vec<(String, String)> = sim_core::lessons::all()
            .iter()
            .map(|l| (l.name.to_string(), l.source.to_string()))
            .collect();
        let facts = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/scenarios/facts");
        for entry in std::fs::read_dir(facts).expect("the fact scenarios are in the repository") {
            let path = entry.expect("a directory entry").path();
            let text = std::fs::read_to_string(&path).expect("a fact scenario reads");
            texts.push((path.display().to_string(), text));
        }
        assert!(texts.len() > 80, "the lessons and the facts were found");
        for (name, text) in texts {
            let mut sim = Sim::from_source(&text).expect("parses");
            sim.run_to_end().expect("runs");
            let (earlier, lines) = window(&sim, u32::MAX, u32::MAX);
            assert_eq!(earlier, 0);
            let calls: Vec<&LogLine> = lines.iter().filter(|l| l.kind == LineKind::Call).collect();
            assert_eq!(calls.len(), sim.steps().len(), "{name}");
            for (call, step) in calls.iter().zip(sim.steps()) {
                assert_eq!(call.step, step.index, "{name}");
                // A call line names a call and how it ended (or that it sleeps).
                assert!(
                    call.text.contains('(')
                        && (call.text.contains(" = ") || call.text.ends_with("<unfinished ...>")),
                    "{name}: {}",
                    call.text
                );
            }
        }
    }

    #[test]
    fn a_memory_access_logs_its_faults_and_what_each_did() {
        let lines = log(sim_core::lessons::find("cow-after-fork").unwrap().source);
        assert_eq!(
            lines[2],
            "parent write(heap[0..8]) = 8 faults: zero-fill F1–F8"
        );
        assert_eq!(lines[4], "child read(heap[2]) = 0 (no fault)");
        assert_eq!(
            lines[5],
            "child write(heap[2]) = 1 fault: COW copy F3 -> F9"
        );
        assert_eq!(lines[6], "parent write(heap[2]) = 1 fault: reuse F3");
    }

    #[test]
    fn an_exit_logs_the_exit_then_the_sigchld_its_parent_gets() {
        let lines = log(sim_core::lessons::find("zombies-and-wait").unwrap().source);
        let from = lines
            .iter()
            .position(|l| l == "job exit_group(300) = ?")
            .unwrap();
        assert_eq!(
            lines[from..from + 4],
            [
                "job exit_group(300) = ?",
                "job +++ exited with 44 +++",
                "shell --- SIGCHLD {si_pid=job, si_status=44} ignored: discarded ---",
                "shell wait4(job) = 3 (job, exited 44)",
            ]
        );
    }

    #[test]
    fn a_sleeping_call_is_unfinished_then_resumed_with_its_result() {
        let lines = log("process p\np: fork c\np: wait c\nc: exit 3\n");
        assert_eq!(
            lines[2..],
            [
                "p wait4(c) <unfinished ...>",
                "c exit_group(3) = ?",
                "c +++ exited with 3 +++",
                "p --- SIGCHLD {si_pid=c, si_status=3} ignored: discarded ---",
                "p <... wait4 resumed> = 3",
            ]
        );
    }

    #[test]
    fn pipes_log_their_fds_text_payloads_and_errnos() {
        let lines = log(
            "process p\np: pipe q\np: close q.r\np: signal SIGPIPE ignore\np: send q.w \"hi\\n\" nonblock\np: send q.w 1\n",
        );
        assert_eq!(lines[1], "p pipe(q) = 0 [q.r=3, q.w=4]");
        assert_eq!(
            lines[4],
            "p write(q.w, \"hi\\n\") O_NONBLOCK = -1 EPIPE (broken pipe)"
        );
        assert_eq!(lines[6], "p write(q.w, 1 byte) = -1 EPIPE (broken pipe)");
    }

    #[test]
    fn close_on_exec_wnohang_and_a_full_mask_show_as_their_flags() {
        let lines = log(
            "process p\np: pipe q cloexec\np: socketpair s dgram cloexec\np: cloexec q.r off\np: fork c\np: wait c nohang\np: signal SIGCHLD handle mask all\n",
        );
        assert_eq!(lines[1], "p pipe2(q, O_CLOEXEC) = 0 [q.r=3, q.w=4]");
        assert_eq!(
            lines[2],
            "p socketpair(AF_UNIX, SOCK_DGRAM|SOCK_CLOEXEC, s) = 0 [s.0=5, s.1=6]"
        );
        assert_eq!(lines[3], "p fcntl(q.r, F_SETFD, 0) = 0");
        assert_eq!(lines[5], "p wait4(c, WNOHANG) = 0");
        assert_eq!(
            lines[6],
            "p rt_sigaction(SIGCHLD, {handler, ~[], SA_RESTART}) = 0"
        );
    }

    #[test]
    fn the_window_keeps_the_last_steps_up_to_the_one_shown_and_counts_the_rest() {
        let mut text = String::from("process p\np: mmap heap 1\n");
        for _ in 0..500 {
            text.push_str("p: write heap 0\n");
        }
        let mut sim = Sim::from_source(&text).unwrap();
        sim.run_to_end().unwrap();
        let (earlier, lines) = window(&sim, 300, 200);
        assert_eq!(earlier, 100);
        assert_eq!(lines.len(), 200);
        assert_eq!(lines.first().unwrap().step, 101);
        assert_eq!(lines.last().unwrap().step, 300);
        let (earlier, lines) = window(&sim, 0, 200);
        assert_eq!((earlier, lines.len()), (0, 0));
    }

    #[test]
    fn a_call_that_ended_before_a_stop_resumes_under_its_own_name_and_sigchld_names_the_child() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/scenarios/facts/signal-sigstop-ends-a-blocking-write-with-its-partial-count.scn"
        ))
        .expect("the fact scenario reads");
        let mut sim = Sim::from_source(&text).expect("parses");
        sim.run_to_end().expect("runs");
        let texts: Vec<String> = (1..=sim.steps().len() as u32)
            .flat_map(|i| lines_at(&sim, i))
            .map(|l| format!("{} {}", l.who, l.text))
            .collect();
        assert!(
            texts.contains(&"w <... write resumed> = 4096".to_string()),
            "{texts:#?}"
        );
        let mut sim =
            Sim::from_source("process a\na: fork b\nb: kill b SIGSTOP\na: kill b SIGCONT\n")
                .expect("parses");
        sim.run_to_end().expect("runs");
        let lines = lines_at(&sim, 3);
        assert!(
            lines
                .iter()
                .any(|l| l.who == "a" && l.text.contains("SIGCHLD {si_pid=b, si_status=SIGSTOP}")),
            "{lines:#?}"
        );
        let lines = lines_at(&sim, 4);
        assert!(
            lines
                .iter()
                .any(|l| l.who == "a" && l.text.contains("SIGCHLD {si_pid=b, si_status=SIGCONT}")),
            "{lines:#?}"
        );
    }
}
