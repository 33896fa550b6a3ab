//! `forkscope run` and `forkscope lessons`.

use std::process::ExitCode;

#[derive(clap::Args)]
pub struct RunArgs {}

#[derive(clap::Args)]
pub struct LessonsArgs {}

pub fn run(_args: RunArgs) -> ExitCode {
    ExitCode::from(2)
}

pub fn lessons(_args: LessonsArgs) -> ExitCode {
    ExitCode::from(2)
}
