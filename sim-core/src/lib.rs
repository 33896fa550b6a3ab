//! Forkscope's model of a Linux machine running Node.js child processes:
//! processes, page tables and copy-on-write, pipes and AF_UNIX socketpairs,
//! signals. Pure and deterministic: no IO, no clock, no randomness, no
//! `unsafe`; the same on wasm32 and x86_64.
//!
//! The scenario language (`scenario`) says what processes do; `engine::Sim`
//! runs a scenario step by step and keeps every earlier state reachable.
//!
//! # Public API
//!
//! What the `forkscope` CLI (native), the web app, the tests and the
//! benches use. A `World` is read-only from outside: everything that
//! changes it (spawning, mapping, queueing, signal generation) is
//! `pub(crate)` and reached only through `Sim::step`.
//!
//! - `engine`: `Sim` (parse and step a scenario, the world after every
//!   step, its observation and `Changes`, the first error), `Step` (events,
//!   narration, `say` lines, expect outcomes, and its `StepGroup` when it is
//!   a kernel step of a Node statement), `ExpectOutcome`, `Event`,
//!   `NodeEvent`.
//! - `scenario`: `parse` and `print`, the AST with positions (`ast`),
//!   `ScenarioError { pos, kind }` and `ErrorKind` (every message a learner
//!   sees, with line:column), `keyword` (every word of the language and its
//!   role: the reference test, an editor's highlighting), `source` (a
//!   file's bytes before parsing: the 1 MiB limit, UTF-8, no statements).
//! - `world`: `World`, read-only: processes (`procs`, `proc`, `children`,
//!   `pid_of`, `name_of`), `frames`, pipes and socketpairs (`object`,
//!   `pipe`, `socks`, `ends`, `queued`), `observe`, `changes_since`, and
//!   the invariant checks the property tests call (`check_frame_counts`,
//!   `check_attention`).
//! - `proc`: `Process` and its state (`ProcState`, `BlockedCall`,
//!   `LastOp`, `WaitStatus`), read through `&World`.
//! - `mm`: a process's `AddressSpace` (regions, each page's `PteView`),
//!   `Frames` (map counts, what a frame holds), `MemEvent` and `FaultKind`
//!   (what a step's memory access did). The fault, fork and unmap rules
//!   and the radix vector behind page tables are internal.
//! - `ipc`: `Pipe` (its slot ring), `SocketPair`, `Socket` and `Skb` (the
//!   queues and buffer accounting), `FdTable` and `EndRef` (who holds which
//!   end, and which fds are close-on-exec), `end_name` (the spelling `p.r`,
//!   `s.0`, shared with `check`).
//!   Reads only; the syscalls on them are internal.
//! - `signal`: `SigState` read-only (mask, both pending queues, handlers
//!   and their sa_mask, handler frames, counts), `SigSet`, `Disposition`, `default_action`,
//!   and the `Delivery`, `Fate` and `Queue` that events carry.
//! - `observe`: `Observation`, the common ground of model and kernel that
//!   `check` compares, and `evaluate`, which judges an expect on either.
//! - `changes`: `Changes`, what a step changed in what can be seen (the
//!   trace, the JSON trace, the web app's highlights).
//! - `profile`: `KernelProfile`, every kernel-dependent figure, which
//!   `forkscope calibrate` measures.
//! - `node`: what Node.js does with a value on a child_process IPC channel:
//!   `JsValue` and its literal parser (`parse_value`, `LiteralError` with
//!   line:column), `json` (`stringify`, `received`, `JsonReader`),
//!   `advanced` (`frame`, `received`, `FrameReader`), `SendError` (what
//!   `send()` throws, as node words it), `state` (`NodeState`, read
//!   through `World::node`: node processes, child objects and their
//!   events). The expansion of a Node statement into kernel steps is
//!   internal.
//! - `lessons`: the built-in lessons. `sig`, `errno`, `ids`: signals,
//!   errnos and handles as values. `words`: counts and lists in sentences.
//!   `sort`: stable sorting with one copy of the sort in the program (the
//!   web app's size).
#![forbid(unsafe_code)]
// The public API is the boundary above: an item that is `pub` but out of
// reach of other crates must say `pub(crate)`.
#![warn(unreachable_pub)]

mod attention;
pub mod changes;
pub mod engine;
pub mod errno;
pub mod ids;
pub mod ipc;
pub mod lessons;
pub mod mm;
pub mod node;
pub mod observe;
pub mod ostep;
pub mod proc;
pub mod profile;
pub mod scenario;
pub mod sig;
pub mod signal;
pub mod sort;
mod table;
pub mod words;
pub mod world;
