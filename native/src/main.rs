//! `forkscope`: run a scenario in the model, or replay it on the real kernel
//! and compare.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod calibrate;
mod check;
mod run;
mod source;

/// Forkscope: what really happens under Node.js child_process, step by step.
#[derive(Parser)]
#[command(name = "forkscope", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario in the model and print its trace, step by step.
    Run(run::RunArgs),
    /// List the built-in lessons.
    Lessons(run::LessonsArgs),
    /// Replay scenarios on the real kernel and compare with the model, step by step.
    Check(check::CheckArgs),
    /// Measure the kernel figures the model's profile holds, and compare.
    Calibrate(calibrate::CalibrateArgs),
    /// (internal) Run as a scenario worker process under a controller.
    #[command(hide = true)]
    Worker(check::WorkerArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => run::run(args),
        Command::Lessons(args) => run::lessons(args),
        Command::Check(args) => check::check(args),
        Command::Calibrate(args) => calibrate::calibrate(args),
        Command::Worker(args) => check::worker(args),
    }
}
