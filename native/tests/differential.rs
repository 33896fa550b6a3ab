//! Differential testing: random valid scenarios, generated from fixed
//! seeds, replayed by `forkscope check` on the real kernel, must all agree
//! with the model ("when the model and Linux disagree, Linux is right").
//!
//! A scenario is written one line at a time, each line chosen by looking at
//! the world the lines before it left in the model (as
//! sim-core/tests/ipc_signal_properties.rs does): only a process that is
//! running acts, and it names its own regions and fds, known processes and
//! objects. A line the model rejects as a scenario error is dropped and
//! another one is drawn, so every scenario runs to its end in the model.
//!
//! The mix: mmap (private and shared, 1..20 pages), munmap, read and write
//! ranges, fork, exec, exit, wait; pipe, socketpair (stream and dgram),
//! close, send and recv (blocking and nonblocking, sizes from 1 byte to
//! 70000), pipesize, sndbuf; signal handle/ignore/default (nocldwait),
//! block, unblock and kill with SIGTERM, SIGUSR1, SIGCHLD, SIGSTOP,
//! SIGCONT, SIGKILL, SIGRTMIN and SIGPIPE.
//!
//! Knobs for a longer hunt (the default is what CI runs):
//! `FORKSCOPE_DIFF_FIRST` (first seed), `FORKSCOPE_DIFF_COUNT` (how many),
//! `FORKSCOPE_DIFF_KEEP` (a folder to leave the scenario files in).

mod common;

use sim_core::engine::Sim;
use sim_core::ipc::fd::EndRef;
use sim_core::proc::{BlockedOn, ProcState};
use sim_core::world::World;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

/// The seeds CI runs: enough that every kind of operation is drawn many
/// times (checked below), few enough for a debug build in seconds.
const FIRST_SEED: u64 = 1;
const SEEDS: u64 = 120;

const MAX_PROCS: usize = 6;
const MAX_OBJECTS: usize = 4;
const MAX_REGIONS: usize = 3;
const SIZES: [u64; 6] = [1, 100, 4096, 5000, 70_000, 300_000];
const PIPE_SIZES: [u64; 5] = [1, 4096, 8192, 16_384, 65_536];
const SNDBUFS: [u64; 4] = [1, 4096, 100_000, 212_992];
const SIGNALS: [&str; 8] = [
    "SIGTERM", "SIGUSR1", "SIGCHLD", "SIGSTOP", "SIGCONT", "SIGKILL", "SIGRTMIN", "SIGPIPE",
];

/// xorshift64*: small, deterministic, good enough to pick operations.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        // Mix the seed so that neighbouring seeds start far apart.
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in 0..n (n > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// True one time in `n`.
    fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }
}

/// Run `text` in the model to its end or its first scenario error.
fn run(text: &str) -> Sim {
    let mut sim = Sim::from_source(text).expect("the generator writes only valid syntax");
    while let Ok(Some(_)) = sim.step() {}
    sim
}

/// A page range of a region of `pages` pages: one page or `i..j`.
fn range(rng: &mut Rng, pages: u32) -> String {
    let i = rng.below(pages as usize) as u32;
    if rng.one_in(3) {
        return i.to_string();
    }
    let j = i + 1 + rng.below((pages - i) as usize) as u32;
    format!("{i}..{j}")
}

/// Is some process asleep (or stopped) in a call on the socket `end`?
/// Then a second sleeper there would race: a socket wakes its non-exclusive
/// sleepers all at once (a stream reader, a sender waiting for buffer
/// space), and which of them runs first is the scheduler's choice.
fn sleeper_on_socket(w: &World, end: &str) -> bool {
    let Some(end) = w.ends().into_iter().find(|(name, _)| name == end) else {
        return false;
    };
    let EndRef::Sock(id, side) = end.1 else {
        return false;
    };
    w.procs().any(|p| {
        let call = match &p.state {
            ProcState::Blocked(call) => Some(call),
            ProcState::Stopped { call, .. } => call.as_ref(),
            _ => None,
        };
        matches!(
            call.map(|c| &c.on),
            Some(BlockedOn::Send { end: EndRef::Sock(i, s), .. } | BlockedOn::Recv { end: EndRef::Sock(i, s), .. })
                if *i == id && *s == side
        )
    })
}

/// The next operation line for the world `w`, or None when no process can
/// act. `n` makes new names unique (regions, objects, children).
fn next_line(w: &World, rng: &mut Rng, n: usize, focus: usize) -> Option<String> {
    let actors: Vec<&sim_core::proc::Process> = w
        .procs()
        .filter(|p| !p.is_init() && matches!(p.state, ProcState::Running))
        .collect();
    if actors.is_empty() {
        return None;
    }
    let me = *rng.pick(&actors);
    let name = &*me.name;
    let procs: Vec<&str> = w.names().filter(|n| *n != "init").collect();
    let my_ends: Vec<String> = me
        .fds
        .iter()
        .map(|(_, end)| w.end_name(end))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    // Ends that can send (pipe write ends, sockets) and receive (pipe read
    // ends, sockets); now and then the wrong one, for EBADF.
    let wrong = rng.one_in(10);
    let senders: Vec<String> = my_ends
        .iter()
        .filter(|e| wrong || !e.ends_with(".r"))
        .cloned()
        .collect();
    let receivers: Vec<String> = my_ends
        .iter()
        .filter(|e| wrong || !e.ends_with(".w"))
        .cloned()
        .collect();
    let my_pipes: Vec<String> = me
        .fds
        .iter()
        .filter(|(_, end)| matches!(end, EndRef::Pipe(..)))
        .map(|(_, end)| {
            let end = w.end_name(end);
            end[..end.len() - 2].to_string()
        })
        .collect();
    let regions: Vec<(&str, u32)> = me
        .mm
        .regions
        .iter()
        .map(|r| (&*r.name, r.pages()))
        .collect();
    let objects = w.object_names().count();
    // Mostly nonblocking: a process asleep in a call acts no more.
    let mut nonblock = if rng.one_in(3) { "" } else { " nonblock" };
    let sig = *rng.pick(&SIGNALS);
    // Half the draws stay within the scenario's focus: memory (0..=11),
    // pipes and sockets (12..=19) or signals and processes (8..=11, 20, 21).
    let kind = match (focus, rng.one_in(2)) {
        (0, true) => rng.below(12),
        (1, true) => 12 + rng.below(8),
        (2, true) => *rng.pick(&[8, 9, 10, 11, 20, 20, 21, 21]),
        _ => rng.below(22),
    };
    let op = match kind {
        0 | 1 if regions.len() < MAX_REGIONS => format!(
            "mmap m{n} {}{}",
            1 + rng.below(20),
            if rng.one_in(3) { " shared" } else { "" }
        ),
        2 | 3 if !regions.is_empty() => {
            let (r, pages) = *rng.pick(&regions);
            format!("read {r} {}", range(rng, pages))
        }
        4..=6 if !regions.is_empty() => {
            let (r, pages) = *rng.pick(&regions);
            format!("write {r} {}", range(rng, pages))
        }
        7 if !regions.is_empty() => format!("munmap {}", rng.pick(&regions).0),
        8 if procs.len() < MAX_PROCS => format!("fork c{n}"),
        // p0 mostly stays to the end, so that the run goes on.
        9 if name != "p0" || rng.one_in(8) => format!("exit {}", rng.below(4)),
        10 if rng.one_in(2) => "wait".to_string(),
        10 => format!("wait {}", rng.pick(&procs)),
        11 if rng.one_in(3) => "exec node".to_string(),
        12 if objects < MAX_OBJECTS => format!("pipe o{n}"),
        13 if objects < MAX_OBJECTS => {
            format!(
                "socketpair o{n}{}",
                if rng.one_in(2) { " dgram" } else { "" }
            )
        }
        14 if !my_ends.is_empty() => format!("close {}", rng.pick(&my_ends)),
        15 | 16 if !senders.is_empty() => {
            let end = rng.pick(&senders);
            if sleeper_on_socket(w, end) {
                nonblock = " nonblock";
            }
            format!("send {end} {}{nonblock}", rng.pick(&SIZES))
        }
        17 | 18 if !receivers.is_empty() => {
            let end = rng.pick(&receivers);
            if sleeper_on_socket(w, end) {
                nonblock = " nonblock";
            }
            format!("recv {end} {}{nonblock}", rng.pick(&SIZES))
        }
        19 if !my_pipes.is_empty() && rng.one_in(2) => {
            format!("pipesize {} {}", rng.pick(&my_pipes), rng.pick(&PIPE_SIZES))
        }
        19 if !my_ends.is_empty() => {
            format!("sndbuf {} {}", rng.pick(&my_ends), rng.pick(&SNDBUFS))
        }
        20 => match rng.below(3) {
            0 => format!(
                "signal {sig} {}{}",
                rng.pick(&["handle", "ignore", "default"]),
                if sig == "SIGCHLD" && rng.one_in(3) {
                    " nocldwait"
                } else {
                    ""
                }
            ),
            1 => format!("block {sig}"),
            _ => format!("unblock {sig}"),
        },
        21 => {
            let target = *rng.pick(&procs);
            if target == "p0" && !rng.one_in(6) {
                format!("kill p0 {}", rng.pick(&["SIGCHLD", "SIGCONT"]))
            } else {
                format!("kill {target} {sig}")
            }
        }
        // Not possible now: start something instead.
        _ if objects < MAX_OBJECTS => format!("pipe o{n}"),
        _ if procs.len() < MAX_PROCS => format!("fork c{n}"),
        _ => format!("signal {sig} handle"),
    };
    Some(format!("{name}: {op}"))
}

/// The scenario of `seed`: `process p0` and then 10..60 operations, each
/// one the model runs without a scenario error.
fn scenario(seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let want = 10 + rng.below(51);
    let focus = rng.below(4);
    let mut text = format!("title random scenario {seed}\nprocess p0\n");
    let mut sim = run(&text);
    let (mut lines, mut draws) = (0, 0);
    while lines < want && draws < want * 4 {
        draws += 1;
        let Some(line) = next_line(sim.current(), &mut rng, draws, focus) else {
            break;
        };
        let longer = format!("{text}{line}\n");
        let tried = run(&longer);
        if tried.error().is_none() {
            text = longer;
            sim = tried;
            lines += 1;
        }
    }
    text
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn random_scenarios_agree_with_the_kernel() {
    let first = env_u64("FORKSCOPE_DIFF_FIRST", FIRST_SEED);
    let count = env_u64("FORKSCOPE_DIFF_COUNT", SEEDS);
    let dir = match std::env::var("FORKSCOPE_DIFF_KEEP") {
        Ok(dir) => PathBuf::from(dir),
        Err(_) => std::env::temp_dir().join(format!("forkscope-diff-{}", std::process::id())),
    };
    std::fs::create_dir_all(&dir).expect("a scratch folder");

    let mut files = Vec::new();
    let mut ops = BTreeSet::new();
    for seed in first..first + count {
        let text = scenario(seed);
        for line in text.lines().skip(2) {
            let op = line.split_whitespace().nth(1).expect("an operation");
            ops.insert(op.to_string());
        }
        let path = dir.join(format!("random-{seed}.scn"));
        std::fs::write(&path, &text).expect("a scenario file");
        files.push((path, text));
    }
    if count >= SEEDS {
        for op in sim_core::scenario::Op::KEYWORDS {
            assert!(ops.contains(*op), "no scenario does {op}: {ops:?}");
        }
    }

    // One run for all of them: this file is its own test binary, so no
    // other test of it forks at the same time.
    let out = Command::new(env!("CARGO_BIN_EXE_forkscope"))
        .arg("check")
        .arg("--json")
        .args(files.iter().map(|(path, _)| path))
        .output()
        .expect("forkscope runs");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "forkscope check printed no JSON ({e}):\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let results = doc["scenarios"].as_array().expect("a list of scenarios");
    assert_eq!(results.len(), files.len(), "{doc}");
    let mut failures = Vec::new();
    let mut raced = Vec::new();
    for ((path, text), result) in files.iter().zip(results) {
        if result["status"] == "agree" {
            continue;
        }
        // A rerun only for a named scheduler race (common/mod.rs) that
        // may explain this disagreement; it must then agree the second time.
        let table = common::describe(result);
        let Some(race) = common::race_that_may_explain(text, result) else {
            failures.push(format!("{}:\n{text}{table}", path.display()));
            continue;
        };
        eprintln!(
            "{} disagreed, as the race \"{race}\" can make it; checking it again:\n{table}",
            path.display()
        );
        let again = common::check_again(path);
        if again["status"] == "agree" {
            raced.push(format!("{} ({race})", path.display()));
        } else {
            failures.push(format!(
                "{} disagreed twice, so not by the race \"{race}\":\n{text}first: {table}again: {}",
                path.display(),
                common::describe(&again)
            ));
        }
    }
    if !raced.is_empty() {
        eprintln!(
            "{} of {} random scenarios disagreed once by a named race and agreed when checked again: {}",
            raced.len(),
            files.len(),
            raced.join(", ")
        );
    }
    if std::env::var_os("FORKSCOPE_DIFF_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    assert!(
        failures.is_empty(),
        "{} of {} random scenarios disagree with the kernel:\n\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "forkscope check failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
