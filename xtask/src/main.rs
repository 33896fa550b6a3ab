//! `cargo xtask serve|test|bench`: the project's jobs, each of which first
//! installs what it needs and is missing, so that a fresh machine needs no
//! other set-up.

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

const WASM_TARGET: &str = "wasm32-unknown-unknown";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(),
        Some("serve") => serve(),
        Some("bench") => bench(&args[1..]),
        _ => {
            eprintln!(
                "usage: cargo xtask <job>\n\n\
                 jobs:\n  \
                 serve   build and serve the web app with its lessons\n  \
                 test    every check CI runs: fmt, clippy, all tests, the wasm build\n  \
                 bench   the criterion benchmarks (extra arguments go to criterion)"
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

/// rustup components and targets the jobs need.
fn ensure_toolchain(wasm: bool) -> Result {
    let have = |tool: &str| {
        Command::new("cargo")
            .args([tool, "--version"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    for (tool, component) in [("fmt", "rustfmt"), ("clippy", "clippy")] {
        if !have(tool) {
            run(Command::new("rustup").args(["component", "add", component]))?;
        }
    }
    if wasm {
        let installed = output(Command::new("rustup").args(["target", "list", "--installed"]))
            .unwrap_or_default();
        if !installed.lines().any(|l| l.trim() == WASM_TARGET) {
            run(Command::new("rustup").args(["target", "add", WASM_TARGET]))?;
        }
    }
    Ok(())
}

fn test() -> Result {
    ensure_toolchain(true)?;
    run(cargo().args(["fmt", "--all", "--", "--check"]))?;
    run(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    run(cargo().args(["build", "-p", "sim-core", "--target", WASM_TARGET]))?;
    run(cargo().args(["test", "--workspace"]))?;
    eprintln!("\nxtask test: every check passed.");
    Ok(())
}

fn serve() -> Result {
    ensure_toolchain(false)?;
    run(cargo().args([
        "run",
        "--quiet",
        "-p",
        "native",
        "--bin",
        "forkscope",
        "--",
        "lessons",
    ]))?;
    println!(
        "\nThe web app is coming with the web issue. Until then, run a lesson in the terminal:\n  \
         cargo run -p native --bin forkscope -- run cow-after-fork"
    );
    Ok(())
}

fn bench(extra: &[String]) -> Result {
    ensure_toolchain(false)?;
    let mut cmd = cargo();
    cmd.args(["bench", "-p", "sim-core", "--bench", "model", "--"])
        .args(extra);
    run(&mut cmd)
}
