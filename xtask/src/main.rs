//! `cargo xtask serve|test|bench`: the project's jobs, each of which first
//! installs what it needs and is missing, so that a fresh machine needs no
//! other set-up.

mod record;

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
        Some("record") => record::run(&args[1..]),
        _ => {
            eprintln!(
                "usage: cargo xtask <job>\n\n\
                 jobs:\n  \
                 serve   build and serve the web app with its lessons\n  \
                 test    every check CI runs: fmt, clippy, all tests, the wasm build\n  \
                 bench   the benchmarks: the model's (criterion), then the scale cases\n          \
                 (`bench --quick`, `bench model ARGS`, `bench scale [--quick] [CASE..]`)\n  \
                 record  as root: check the lessons on this kernel into lessons/kernel/ (`record [LESSON..]`)"
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
    let (passed, failed) = run_tests(cargo().args(["test", "--workspace"]))?;
    eprintln!("\nxtask test: every check passed.");
    // One closing line for every test binary together.
    println!("{passed} passed, {failed} failed");
    Ok(())
}

/// Run `cargo test`, passing its output through, and add up the counts of
/// its `test result:` lines.
fn run_tests(cmd: &mut Command) -> Result<(u64, u64)> {
    use std::io::{BufRead, BufReader};
    let shown = format!("{cmd:?}").replace('"', "");
    eprintln!("\n==> {shown}");
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not start {shown}: {e}"))?;
    let stdout = child.stdout.take().expect("stdout was piped");
    let (mut passed, mut failed) = (0, 0);
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(|e| format!("reading the output of {shown}: {e}"))?;
        println!("{line}");
        if let Some(rest) = line.strip_prefix("test result: ") {
            passed += count_before(rest, " passed");
            failed += count_before(rest, " failed");
        }
    }
    let status = child
        .wait()
        .map_err(|e| format!("waiting for {shown}: {e}"))?;
    if status.success() {
        Ok((passed, failed))
    } else {
        println!("{passed} passed, {failed} failed");
        Err(format!("{shown} failed ({status})"))
    }
}

/// In "ok. 5 passed; 0 failed; ...", the number before `word`.
fn count_before(text: &str, word: &str) -> u64 {
    text.split(';')
        .find_map(|part| {
            part.trim()
                .trim_start_matches("ok. ")
                .trim_start_matches("FAILED. ")
                .strip_suffix(word.trim_start())
                .map(str::trim)
        })
        .and_then(|n| n.split_whitespace().last()?.parse().ok())
        .unwrap_or(0)
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

/// `bench [--quick]`: the criterion benches of the model, then the scale
/// cases (bench/); `bench model ARGS` or `bench scale ARGS` runs one of
/// them with its own arguments (criterion's; `scale --help`'s).
fn bench(args: &[String]) -> Result {
    ensure_toolchain(false)?;
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

#[cfg(test)]
mod tests {
    use super::count_before;

    #[test]
    fn counts_are_read_from_a_test_result_line() {
        let line =
            "ok. 57 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 1.52s";
        assert_eq!(count_before(line, " passed"), 57);
        assert_eq!(count_before(line, " failed"), 2);
        assert_eq!(
            count_before("FAILED. 9 passed; 1 failed; 0 ignored", " failed"),
            1
        );
    }
}
