//! Random scenarios that mix processes (fork, exec, exit, wait with and
//! without WNOHANG), pipes and socketpairs (with and without
//! close-on-exec, close, F_SETFD, blocking and nonblocking send/recv,
//! pipesize, sndbuf) and signals (sigaction with an empty or a full mask,
//! block, unblock, kill), for the step engine's properties
//! (tests/tests/ipc_signal_properties.rs).
//!
//! A scenario is written as text one line at a time, each line chosen by
//! looking at the world the lines before it left: only a process that is
//! running may act (so the run is long, not stopped at once by a blocked
//! actor), and ends, targets and children are ones the world knows. It is
//! drawn from a list of choices (from proptest, which can then shrink
//! them).

use sim_core::engine::Sim;
use sim_core::ipc::end_name::EndName;
use sim_core::ipc::fd::EndRef;
use sim_core::ipc::pipe::PipeEnd;
use sim_core::proc::ProcState;
use sim_core::world::World;

const MAX_PROCS: usize = 6;
const MAX_OBJECTS: usize = 4;
const SIZES: [u64; 8] = [1, 100, 4000, 4096, 4097, 10_000, 70_000, 300_000];
const PIPE_SIZES: [u64; 6] = [1, 4096, 8192, 16_384, 65_536, 2_097_152];
const SNDBUFS: [u64; 4] = [1, 4096, 100_000, 212_992];
const SIGNALS: [&str; 8] = [
    "SIGCHLD", "SIGUSR1", "SIGPIPE", "SIGTERM", "SIGRTMIN", "SIGSTOP", "SIGCONT", "SIGKILL",
];

/// One random choice: which operation, and three numbers to pick its
/// actor and arguments with.
pub type Choice = (u8, u8, u8, u8);

fn pick<T: Copy>(items: &[T], n: u8) -> T {
    items[usize::from(n) % items.len()]
}

/// Run `text` to its end (or its first scenario error).
pub fn run(text: &str) -> Sim {
    let mut sim = Sim::from_source(text).expect("the generator writes only valid syntax");
    while let Ok(Some(_)) = sim.step() {}
    sim
}

/// The next line for the world `w`, or None when no process can act.
fn next_line(w: &World, (op, a, b, c): Choice) -> Option<String> {
    let actors: Vec<&str> = w
        .procs()
        .filter(|p| !p.is_init() && matches!(p.state, ProcState::Running))
        .map(|p| &*p.name)
        .collect();
    if actors.is_empty() {
        return None;
    }
    let me = pick(&actors, a);
    let procs: Vec<&str> = w.names().filter(|n| *n != "init").collect();
    let ends: Vec<String> = w.ends().into_iter().map(|(name, _)| name).collect();
    let pipes: Vec<String> = w
        .ends()
        .into_iter()
        .filter(|(_, end)| matches!(end, EndRef::Pipe(_, PipeEnd::Read)))
        .filter_map(|(name, _)| EndName::parse(&name).map(|e| e.object.to_string()))
        .collect();
    let objects = ends.len() / 2;
    // Mostly nonblocking: a process asleep in a call acts no more.
    let nonblock = if c & 3 != 0 { " nonblock" } else { "" };
    let size = pick(&SIZES, c >> 2);
    let sig = pick(&SIGNALS, b);
    let cloexec = if c & 8 == 8 { " cloexec" } else { "" };
    let nohang = if c & 16 == 16 { " nohang" } else { "" };
    let op = match op % 19 {
        0 if procs.len() < MAX_PROCS => format!("fork p{}", procs.len()),
        // p0 stays to the end, so that the run goes on.
        1 if me != "p0" => format!("exit {}", b % 4),
        2 => format!("wait{nohang}"),
        3 => format!("wait {}{nohang}", pick(&procs, b)),
        4 if objects < MAX_OBJECTS => format!("pipe o{objects}{cloexec}"),
        5 if objects < MAX_OBJECTS => {
            format!(
                "socketpair o{objects}{}{cloexec}",
                if b & 1 == 1 { " dgram" } else { "" }
            )
        }
        6 if !ends.is_empty() => format!("close {}", ends[usize::from(b) % ends.len()]),
        7 | 8 if !ends.is_empty() => {
            format!(
                "send {} {size}{nonblock}",
                ends[usize::from(b) % ends.len()]
            )
        }
        9 | 10 if !ends.is_empty() => {
            format!(
                "recv {} {size}{nonblock}",
                ends[usize::from(b) % ends.len()]
            )
        }
        11 if !pipes.is_empty() => format!(
            "pipesize {} {}",
            pipes[usize::from(b) % pipes.len()],
            pick(&PIPE_SIZES, c)
        ),
        12 if !ends.is_empty() => format!(
            "sndbuf {} {}",
            ends[usize::from(b) % ends.len()],
            pick(&SNDBUFS, c)
        ),
        13 => format!(
            "signal {sig} {}{}",
            pick(&["handle", "handle mask all", "ignore", "default"], c),
            if c & 4 == 4 && sig == "SIGCHLD" {
                " nocldwait"
            } else {
                ""
            }
        ),
        14 => format!("block {sig}"),
        15 => format!("unblock {sig}"),
        16 if pick(&procs, c) != "p0" => format!("kill {} {sig}", pick(&procs, c)),
        17 => "exec node".to_string(),
        18 if !ends.is_empty() => format!(
            "cloexec {} {}",
            ends[usize::from(b) % ends.len()],
            if c & 1 == 1 { "on" } else { "off" }
        ),
        // An operation that is not possible yet: start something instead.
        _ if objects < MAX_OBJECTS => format!("pipe o{objects}"),
        _ => format!("kill {me} {}", pick(&["SIGCHLD", "SIGCONT"], c)),
    };
    Some(format!("{me}: {op}"))
}

/// A scenario of up to `choices.len()` operations after `process p0`.
pub fn scenario(choices: &[Choice]) -> String {
    let mut text = String::from("process p0\n");
    let mut sim = run(&text);
    for &choice in choices {
        if sim.error().is_some() {
            break;
        }
        let Some(line) = next_line(sim.current(), choice) else {
            break;
        };
        text.push_str(&line);
        text.push('\n');
        sim = run(&text);
    }
    text
}
