//! Forkscope's model of a Linux machine running Node.js child processes:
//! processes, page tables and copy-on-write, pipes and AF_UNIX socketpairs,
//! signals. Pure and deterministic: no IO, no clock, no randomness, no
//! `unsafe`; the same on wasm32 and x86_64.
//!
//! The scenario language (`scenario`) says what processes do; `engine::Sim`
//! runs a scenario step by step and keeps every earlier state reachable.
#![forbid(unsafe_code)]

mod attention;
pub mod changes;
pub mod engine;
pub mod errno;
pub mod ids;
pub mod ipc;
pub mod lessons;
pub mod mm;
pub mod observe;
pub mod proc;
pub mod profile;
pub mod scenario;
pub mod sig;
pub mod signal;
pub mod words;
pub mod world;
