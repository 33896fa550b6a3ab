//! `forkscope check`: replay scenarios on the real kernel and compare with the model.

use std::process::ExitCode;

#[derive(clap::Args)]
pub struct CheckArgs {}

#[derive(clap::Args)]
pub struct WorkerArgs {}

pub fn check(_args: CheckArgs) -> ExitCode {
    eprintln!("forkscope check: not built yet");
    ExitCode::from(2)
}

pub fn worker(_args: WorkerArgs) -> ExitCode {
    ExitCode::from(2)
}
