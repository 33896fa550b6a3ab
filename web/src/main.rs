//! Forkscope in the browser: a yew app that runs sim-core in WebAssembly
//! and draws a scenario's machine step by step (ARCHITECTURE.md, "web").
//!
//! The pure parts (the run, the link format, highlighting, the layout of
//! the memory view) are plain Rust, unit-tested on the host; the
//! components draw them.

mod app;
#[cfg(all(test, target_arch = "wasm32"))]
mod component_tests;
mod controls;
mod deflate;
mod editor;
mod escape;
mod fetch;
mod help;
mod highlight;
mod node_steps;
mod numbers;
mod ostep;
mod panic;
mod predict;
mod questions;
mod served;
mod session;
mod static_html;
mod storage;
mod url;
mod views;

fn main() {
    panic::install();
    numbers::install();
    yew::Renderer::<app::App>::new().render();
}
