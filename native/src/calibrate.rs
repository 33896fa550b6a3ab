//! `forkscope calibrate`: measure the kernel figures the model's profile holds.

use std::process::ExitCode;

#[derive(clap::Args)]
pub struct CalibrateArgs {}

pub fn calibrate(_args: CalibrateArgs) -> ExitCode {
    eprintln!("forkscope calibrate: not built yet");
    ExitCode::from(2)
}
