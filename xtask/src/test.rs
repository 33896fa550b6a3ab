//! `cargo xtask test`: every check CI runs, in order, and one closing
//! line "N passed, M failed" that counts the tests of every suite:
//!
//! 1. rustfmt and clippy (host, and the web crate on wasm32 with its
//!    component tests);
//! 2. `cargo test --workspace` (unit, property, snapshot tests and the
//!    model-vs-kernel checks);
//! 3. the web app's component tests, in headless Chromium
//!    (`cargo test -p web --target wasm32-unknown-unknown`);
//! 4. the release build with wasm-opt, and the wasm's size against its
//!    target (a figure with a verdict, like the benches' targets: a target
//!    is reported, met or NOT MET, and is not a test);
//! 5. the end-to-end tests (`cargo test -p e2e --features browser`)
//!    against that release build.
//!
//! A failing suite does not stop the later ones (each is counted), except
//! that nothing runs against a release build that failed.

use crate::{cargo, root, run, tools, web, Result};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// The counts of every suite run so far, and the suites that failed
/// without a count (a build error).
#[derive(Default)]
struct Tally {
    passed: u64,
    failed: u64,
    broken: Vec<String>,
    /// Targets measured on the way (the wasm's size), each with its verdict.
    figures: Vec<String>,
}

impl Tally {
    fn suite(&mut self, name: &str, cmd: &mut Command) {
        match run_tests(cmd) {
            Ok(counts) => self.add(name, counts, None),
            Err((counts, e)) => self.add(name, counts, Some(e)),
        }
    }

    fn add(&mut self, name: &str, (passed, failed): (u64, u64), error: Option<String>) {
        self.passed += passed;
        self.failed += failed;
        if let Some(e) = error {
            // A failing test already counts; a suite that failed with no
            // failing test (it did not build, or it crashed) must show too.
            if failed == 0 {
                self.broken.push(format!("{name}: {e}"));
            }
        }
    }
}

pub fn test() -> Result {
    tools::ensure_toolchain(true)?;
    run(cargo().args(["fmt", "--all", "--", "--check"]))?;
    run(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    let wasm = tools::WASM_TARGET;
    run(cargo().args([
        "clippy",
        "-p",
        "web",
        "-p",
        "web-ostep",
        "--all-targets",
        "--target",
        wasm,
        "--",
        "-D",
        "warnings",
    ]))?;

    tools::ensure_node()?;
    tools::ensure_strace()?;
    let mut tally = Tally::default();
    tally.suite("workspace tests", cargo().args(["test", "--workspace"]));

    // Component tests: wasm-bindgen-test-runner (the runner in
    // .cargo/config.toml) drives headless Chromium through chromedriver,
    // with web/webdriver.json's flags.
    let driver = tools::ensure_chromium()?;
    tools::ensure_wasm_bindgen()?;
    tally.suite(
        "component tests",
        cargo()
            .args(["test", "-p", "web", "--target", wasm])
            .env("CHROMEDRIVER", &driver),
    );

    match web::build_release() {
        Ok(dist) => {
            let size = web::wasm_size(&dist)?;
            eprintln!("\nxtask: release wasm {}", size.summary());
            tally
                .figures
                .push(format!("release wasm {}", size.summary()));
            let worker = web::worker_size(&dist)?;
            let worker = format!(
                "{}: {} gzipped (fetched only by the OSTEP entry)",
                web::WORKER_WASM,
                worker.gzip_kb()
            );
            eprintln!("xtask: worker wasm {worker}");
            tally.figures.push(format!("worker wasm {worker}"));
            if root().join("e2e").join("Cargo.toml").is_file() {
                tally.suite(
                    "end-to-end tests",
                    cargo()
                        .args(["test", "-p", "e2e", "--features", "browser"])
                        .env("FORKSCOPE_DIST", &dist)
                        // The brief's name and the one the e2e crate reads.
                        .env("CHROMEDRIVER", &driver)
                        .env("FORKSCOPE_CHROMEDRIVER", &driver),
                );
            } else {
                tally
                    .broken
                    .push("end-to-end tests: there is no e2e/ crate in this checkout".into());
            }
        }
        Err(e) => tally.broken.push(format!(
            "release build: {e} (so the end-to-end tests did not run)"
        )),
    }

    for f in &tally.figures {
        eprintln!("xtask: target: {f}");
    }
    for b in &tally.broken {
        eprintln!("xtask: FAILED {b}");
    }
    // One closing line for every test binary together.
    println!("{} passed, {} failed", tally.passed, tally.failed);
    if tally.failed == 0 && tally.broken.is_empty() {
        eprintln!("xtask test: every check passed.");
        Ok(())
    } else {
        Err(format!(
            "{} test(s) failed{}",
            tally.failed,
            match tally.broken.len() {
                0 => String::new(),
                n => format!(", and {n} suite(s) failed as listed above"),
            }
        ))
    }
}

/// Run a test command, passing its output through, and add up the counts
/// of its `test result:` lines; on failure the counts come with the error.
fn run_tests(cmd: &mut Command) -> std::result::Result<(u64, u64), ((u64, u64), String)> {
    let shown = format!("{cmd:?}").replace('"', "");
    eprintln!("\n==> {shown}");
    let mut child = cmd
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| ((0, 0), format!("could not start {shown}: {e}")))?;
    let stdout = child.stdout.take().expect("stdout was piped");
    let (mut passed, mut failed) = (0, 0);
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        println!("{line}");
        if let Some(rest) = line.trim_start().strip_prefix("test result: ") {
            passed += count_before(rest, " passed");
            failed += count_before(rest, " failed");
        }
    }
    let status = child
        .wait()
        .map_err(|e| ((passed, failed), format!("waiting for {shown}: {e}")))?;
    if status.success() {
        Ok((passed, failed))
    } else {
        Err(((passed, failed), format!("{shown} failed ({status})")))
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

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn a_suite_that_fails_without_a_failing_test_is_listed_as_broken() {
        let mut tally = Tally::default();
        tally.add("unit", (10, 0), None);
        tally.add("component", (3, 1), Some("exit 101".into()));
        tally.add("e2e", (0, 0), Some("did not build".into()));
        assert_eq!((tally.passed, tally.failed), (13, 1));
        assert_eq!(tally.broken, vec!["e2e: did not build".to_string()]);
    }

    #[test]
    fn a_real_failing_command_counts_its_results_and_its_error() {
        let mut sh = Command::new("sh");
        sh.args([
            "-c",
            "echo 'test result: ok. 4 passed; 0 failed; 0 ignored'; \
             echo 'test result: FAILED. 2 passed; 1 failed; 0 ignored'; exit 101",
        ]);
        let ((passed, failed), err) = run_tests(&mut sh).unwrap_err();
        assert_eq!((passed, failed), (6, 1));
        assert!(err.contains("exit status: 101"), "{err}");
    }
}
