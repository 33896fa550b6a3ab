//! `forkscope`: run a scenario in the model, or replay it on the real kernel
//! and compare.

use clap::{Parser, Subcommand};
use std::io::IsTerminal;
use std::process::ExitCode;

mod calibrate;
mod check;
mod measure;
mod ostep;
mod output;
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
    /// Measure the figures the Node lessons show (fork cost by memory, send() against shared memory).
    Measure(measure::MeasureArgs),
    /// OSTEP's fork.py homework: its options, its output byte for byte
    /// (`forkscope ostep -h`); `--unix` for Linux's trees, `--scenario` to
    /// import the actions.
    #[command(disable_help_flag = true)]
    Ostep {
        /// fork.py's options (-s, -f, -A, -a, -t, -P, -F, -L, -R, -c), --unix, --scenario.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// (internal) Run as a scenario worker process under a controller.
    #[command(hide = true)]
    Worker(check::WorkerArgs),
}

fn main() -> ExitCode {
    // fork.py's options are optparse's, not clap's: `ostep` reads its own
    // arguments (ostep.rs), so that its errors and help are fork.py's.
    let mut raw = std::env::args_os().skip(1);
    if raw.next().is_some_and(|first| first == "ostep") {
        let args = raw.map(|a| a.to_string_lossy().into_owned()).collect();
        return output::finish(ostep::main(args));
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // A usage error goes to stderr, where a failure has no one to tell.
        Err(e) if e.use_stderr() => {
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
        // --help and --version go to stdout, so they are written as every
        // other output is: a full disk is reported, a closed pipe is not.
        Err(e) => {
            let shown = e.render();
            if std::io::stdout().is_terminal() {
                output::print(&shown.ansi().to_string());
            } else {
                output::print(&shown.to_string());
            }
            return output::finish(ExitCode::SUCCESS);
        }
    };
    let code = match cli.command {
        Command::Run(args) => run::run(args),
        Command::Lessons(args) => run::lessons(args),
        Command::Check(args) => check::check(args),
        Command::Calibrate(args) => calibrate::calibrate(args),
        Command::Measure(args) => measure::measure(args),
        Command::Ostep { args } => ostep::main(args),
        Command::Worker(args) => check::worker(args),
    };
    // A closed or full stdout ends here, as a status, never as a panic.
    output::finish(code)
}
