//! `cargo xtask serve|test|bench|record|tools`: the project's jobs, each of which first
//! installs what it needs and is missing (tools.rs), so that a fresh
//! machine with a Rust toolchain needs no other set-up.

mod ostep_bench;
mod record;
mod serve;
mod test;
mod tools;
mod web;

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => tools::setup_path().and_then(|()| test::test()),
        Some("serve") => tools::setup_path().and_then(|()| serve::serve(&args[1..])),
        Some("bench") if args.get(1).is_some_and(|a| a == "ostep") => {
            ostep_bench::bench(&args[2..])
        }
        Some("bench") => bench(&args[1..]),
        Some("record") => record::run(&args[1..]),
        Some("tools") => tools::setup_path().and_then(|()| tools::ensure_all()),
        _ => {
            eprintln!(
                "usage: cargo xtask <job>\n\n\
                 jobs:\n  \
                 serve   build the web app (release) and serve it on http://127.0.0.1:8080/\n          \
                 (`serve --port N`)\n  \
                 test    every check CI runs: fmt, clippy, all tests, the component tests and\n          \
                 the end-to-end tests in headless Chromium, the release wasm's size\n  \
                 bench   the benchmarks: the model's (criterion), then the scale cases\n          \
                 (`bench --quick`, `bench model ARGS`, `bench scale [--quick] [CASE..]`,\n          \
                 `bench ostep FORK_PY`: forkscope ostep against OSTEP's fork.py)\n  \
                 record  as root: check the lessons on this kernel into lessons/kernel/ (`record [LESSON..]`)\n  \
                 tools   find, or install when missing, every tool serve and test use"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

type Result<T = ()> = std::result::Result<T, String>;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// The target directory cargo builds into ($CARGO_TARGET_DIR, relative to
/// the workspace when relative, else target/).
fn target_dir() -> PathBuf {
    match env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root().join(dir),
        None => root().join("target"),
    }
}

fn cargo() -> Command {
    let mut cmd = Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(root());
    cmd
}

/// Run a command, echoing it, and fail with its name if it fails.
fn run(cmd: &mut Command) -> Result {
    let shown = format!("{cmd:?}").replace('"', "");
    eprintln!("\n==> {shown}");
    let status = cmd
        .status()
        .map_err(|e| format!("could not start {shown}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed ({status})"))
    }
}

fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `bench [--quick]`: the criterion benches of the model, then the scale
/// cases (bench/); `bench model ARGS` or `bench scale ARGS` runs one of
/// them with its own arguments (criterion's; `scale --help`'s).
fn bench(args: &[String]) -> Result {
    tools::ensure_toolchain(false)?;
    let (model, scale): (Option<&[String]>, Option<&[String]>) =
        match args.first().map(String::as_str) {
            Some("model") => (Some(&args[1..]), None),
            Some("scale") => (None, Some(&args[1..])),
            _ if args.iter().all(|a| a == "--quick") => (Some(args), Some(args)),
            _ => {
                return Err(format!(
                    "unknown arguments {args:?}: use `cargo xtask bench [--quick]`, \
                     `cargo xtask bench model [criterion's arguments]` or \
                     `cargo xtask bench scale [--quick] [CASE..]` (`cargo xtask bench scale --help` lists the cases)"
                ))
            }
        };
    if let Some(extra) = model {
        run(cargo()
            .args(["bench", "-p", "sim-core", "--bench", "model", "--"])
            .args(extra))?;
    }
    if let Some(extra) = scale {
        // The scale cases run the release forkscope binary, found beside
        // the scale binary in the same target directory.
        run(cargo().args(["build", "--release", "-p", "native", "--bin", "forkscope"]))?;
        run(cargo()
            .args(["run", "--release", "-p", "bench", "--bin", "scale", "--"])
            .args(extra))?;
    }
    Ok(())
}
