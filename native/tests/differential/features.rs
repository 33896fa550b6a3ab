//! What the generator means to draw, read back from a scenario by running
//! it in the model: so the test can say that each of them is in most
//! scenarios, not only that the generator has code for it.

use sim_core::engine::{Event, Sim};
use sim_core::errno::Errno;
use sim_core::ipc::end_name::EndName;
use sim_core::ipc::fd::EndRef;
use sim_core::ipc::socket::SockType;
use sim_core::proc::{BlockedOn, ProcState, Process};
use sim_core::scenario::OpResult;
use sim_core::sig::Signal;
use sim_core::signal::Disposition;
use sim_core::world::World;
use std::collections::BTreeSet;

/// Every feature, as `features` names them.
pub const ALL: [&str; 18] = [
    "a call sleeps",
    "a step wakes another process's call",
    "a wait sleeps on a running child",
    "pipesize or sndbuf while a sleeper waits on it",
    "signals are sent to a stopped process",
    "a stopped process is continued",
    "two signals are pending at once",
    "a real-time signal is pending twice",
    "a blocked signal is unblocked while pending",
    "a write raises SIGPIPE",
    "a process kills itself",
    "exec with a handler, SIG_IGN, a mask and a pending signal",
    "mmap of 0 pages",
    "a size beyond 1 GiB or negative",
    "exec closes a close-on-exec fd",
    "an exec's close wakes another process's call",
    "wait nohang returns 0 while a child runs",
    "a full-mask handler holds a pending signal off",
];

/// Races on the kernel that the generator leaves out
/// (tests/src/gen/differential.rs,
/// `socket_race` and `racy`): `features` names them when a scenario has
/// one, and no scenario may.
pub const RACES: [&str; 2] = [
    "race: two calls asleep on one stream socket end",
    "race: a continued child dies while its parent handles SIGCHLD unblocked",
];

/// The features (and races) `text` shows when the model runs it.
pub fn features(text: &str) -> BTreeSet<&'static str> {
    let mut found = BTreeSet::new();
    let mut sim = Sim::from_source(text).expect("a generated scenario parses");
    loop {
        let before = sim.current().clone();
        let Ok(Some(step)) = sim.step() else {
            break;
        };
        let source = step.source.clone();
        let actor = step.actor.clone();
        let held_off = step
            .events
            .iter()
            .any(|e| matches!(e, Event::HeldOff { .. }));
        let after = sim.current();
        let words: Vec<&str> = source.split_whitespace().collect();
        let Some(actor) = actor else {
            continue;
        };
        let op = words.get(1).copied().unwrap_or_default();
        let me = before.pid_of(&actor).expect("the actor exists");
        let (was, now) = (before.proc(me), after.proc(me));
        let mut see = |f: &'static str| {
            found.insert(f);
        };

        if matches!(now.state, ProcState::Blocked(_)) && !matches!(was.state, ProcState::Blocked(_))
        {
            see("a call sleeps");
            if op == "wait" {
                see("a wait sleeps on a running child");
            }
        }
        for p in before.procs().filter(|p| p.pid != me) {
            if matches!(p.state, ProcState::Blocked(_))
                && matches!(after.proc(p.pid).state, ProcState::Running)
            {
                see("a step wakes another process's call");
            }
        }
        if matches!(op, "pipesize" | "sndbuf")
            && before.procs().any(|p| sleeps_on(&before, p, words[2]))
        {
            see("pipesize or sndbuf while a sleeper waits on it");
        }
        if op == "kill" {
            let target = before.proc(before.pid_of(words[2]).expect("a known target"));
            if target.pid == me {
                see("a process kills itself");
            }
            if matches!(target.state, ProcState::Stopped { .. }) {
                if !matches!(after.proc(target.pid).state, ProcState::Stopped { .. }) {
                    see("a stopped process is continued");
                } else {
                    see("signals are sent to a stopped process");
                }
            }
        }
        for p in after.procs() {
            let pending = p.signals.pending_set();
            if pending.len() >= 2 {
                see("two signals are pending at once");
            }
            if pending
                .iter()
                .any(|s| s.is_realtime() && p.signals.pending_count(s) >= 2)
            {
                see("a real-time signal is pending twice");
            }
        }
        if stream_end_with_two_sleepers(after) {
            see(RACES[0]);
        }
        if op == "kill" && words[3] == "SIGCONT" {
            for child in before.procs().filter(|p| !p.is_init()) {
                let parent = before.proc(child.parent);
                if matches!(child.state, ProcState::Stopped { .. })
                    && after.proc(child.pid).state.is_dead()
                    && !parent.is_init()
                    && parent.signals.disposition(Signal::SIGCHLD) == Disposition::Handler
                    && !parent.signals.blocked().contains(Signal::SIGCHLD)
                {
                    see(RACES[1]);
                }
            }
        }
        if op == "unblock"
            && was
                .signals
                .pending_set()
                .iter()
                .any(|s| was.signals.blocked().contains(s) && !now.signals.blocked().contains(s))
        {
            see("a blocked signal is unblocked while pending");
        }
        if op == "send"
            && now.last_op.as_ref().and_then(|o| o.result) == Some(OpResult::Error(Errno::EPIPE))
        {
            see("a write raises SIGPIPE");
        }
        if op == "exec" && exec_keeps_signal_state(was) {
            see("exec with a handler, SIG_IGN, a mask and a pending signal");
        }
        if op == "exec" && was.fds.iter_with_flags().any(|(_, _, cloexec)| cloexec) {
            see("exec closes a close-on-exec fd");
            let woke = before.procs().any(|p| {
                p.pid != me
                    && matches!(p.state, ProcState::Blocked(_))
                    && matches!(after.proc(p.pid).state, ProcState::Running)
            });
            if woke {
                see("an exec's close wakes another process's call");
            }
        }
        if op == "wait"
            && words.last() == Some(&"nohang")
            && now.last_op.as_ref().and_then(|o| o.result) == Some(OpResult::Value(0))
        {
            see("wait nohang returns 0 while a child runs");
        }
        if held_off {
            see("a full-mask handler holds a pending signal off");
        }
        if op == "mmap" && words.get(3) == Some(&"0") {
            see("mmap of 0 pages");
        }
        if matches!(op, "pipesize" | "sndbuf")
            && words
                .get(3)
                .and_then(|n| n.parse::<i64>().ok())
                .is_some_and(|n| !(0..=1 << 30).contains(&n))
        {
            see("a size beyond 1 GiB or negative");
        }
    }
    found
}

/// Is `p` asleep (or stopped) in a call on the object named by `object`
/// (a pipe name, or a socket end `s.0`)?
fn sleeps_on(w: &World, p: &Process, object: &str) -> bool {
    let call = match &p.state {
        ProcState::Blocked(call) => Some(call),
        ProcState::Stopped { call, .. } => call.as_ref(),
        _ => None,
    };
    let Some(BlockedOn::Send { end, .. } | BlockedOn::Recv { end, .. }) = call.map(|c| &c.on)
    else {
        return false;
    };
    fn object_of(name: &str) -> &str {
        EndName::parse(name).map_or(name, |e| e.object)
    }
    object_of(&w.end_name(*end)) == object_of(object)
}

/// Are two calls asleep (or stopped) on one end of a stream socketpair?
fn stream_end_with_two_sleepers(w: &World) -> bool {
    let mut ends = BTreeSet::new();
    w.procs().any(|p| {
        let call = match &p.state {
            ProcState::Blocked(call) => Some(call),
            ProcState::Stopped { call, .. } => call.as_ref(),
            _ => None,
        };
        match call.map(|c| &c.on) {
            Some(BlockedOn::Send { end, .. } | BlockedOn::Recv { end, .. }) => match end {
                EndRef::Sock(id, side) if w.socks(*id).kind() == SockType::Stream => {
                    !ends.insert((*id, side.index()))
                }
                _ => false,
            },
            _ => false,
        }
    })
}

/// Does `p` have every kind of signal state that exec treats differently?
fn exec_keeps_signal_state(p: &Process) -> bool {
    let has = |d: Disposition| p.signals.dispositions().any(|(_, x)| x == d);
    has(Disposition::Handler)
        && has(Disposition::Ignore)
        && !p.signals.blocked().is_empty()
        && !p.signals.pending_set().is_empty()
}
