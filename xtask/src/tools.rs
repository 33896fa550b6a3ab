//! The tools the jobs need, found on PATH or installed when missing or of
//! the wrong version, so that a fresh machine with a Rust toolchain needs
//! no other set-up:
//!
//! - rustfmt, clippy and the wasm32 target (rustup);
//! - trunk and wasm-bindgen-cli (`cargo install`, into cargo's bin
//!   directory; wasm-bindgen at the version Cargo.lock pins, since its
//!   output must match the `wasm-bindgen` crate the app links);
//! - wasm-opt (npm's binaryen, into the target directory: Debian's
//!   binaryen is too old to read what current rustc emits);
//! - chromium and chromedriver (apt), for the browser tests.
//!
//! Trunk never downloads anything itself: the jobs run it offline, and it
//! takes the tools on PATH whose versions match (Trunk.toml).

use crate::{output, root, run, target_dir, Result};
use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

pub const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// trunk 0.22 needs a newer rustc than the workspace's 1.95.
pub const TRUNK_VERSION: &str = "0.21.14";
/// binaryen's release number; Trunk.toml asks trunk for `version_132`.
pub const BINARYEN_VERSION: &str = "132";
/// The oldest Node.js whose behaviour the Node layer reproduces (node 20,
/// as measured; CI has it).
const NODE_MAJOR: u32 = 20;

/// Put the directories the tools are installed into first on PATH, for
/// this process and every command it starts.
pub fn setup_path() -> Result {
    let ours = [npm_bin_dir(), cargo_bin_dir()];
    let mut dirs = ours.to_vec();
    if let Some(path) = env::var_os("PATH") {
        dirs.extend(env::split_paths(&path).filter(|d| !ours.contains(d)));
    }
    let joined = env::join_paths(dirs).map_err(|e| format!("cannot build PATH: {e}"))?;
    env::set_var("PATH", joined);
    Ok(())
}

/// Where `cargo install` puts binaries: $CARGO_INSTALL_ROOT/bin,
/// $CARGO_HOME/bin or ~/.cargo/bin.
fn cargo_bin_dir() -> PathBuf {
    let base = env::var_os("CARGO_INSTALL_ROOT")
        .or_else(|| env::var_os("CARGO_HOME"))
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"));
    base.join("bin")
}

/// The npm prefix wasm-opt is installed into (per target directory, so
/// that no global install is touched).
fn npm_prefix() -> PathBuf {
    target_dir().join("xtask-tools").join("npm")
}

fn npm_bin_dir() -> PathBuf {
    npm_prefix().join("node_modules").join(".bin")
}

/// The first executable called `name` on PATH.
pub fn which(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = env::var_os("PATH")?;
    env::split_paths(&path).map(|dir| dir.join(name)).find(|p| {
        p.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    })
}

/// The first line `program ARGS` prints, if it runs and succeeds.
fn version_line(program: &str, args: &[&str]) -> Option<String> {
    let out = output(Command::new(program).args(args))?;
    out.lines().next().map(|l| l.trim().to_string())
}

/// The `n`th word (from 0) of a `--version` line: "trunk 0.21.14" -> 1
/// gives "0.21.14"; "wasm-opt version 132 (version_132)" -> 2 gives "132".
pub fn word(line: &str, n: usize) -> Option<&str> {
    line.split_whitespace().nth(n)
}

/// The version Cargo.lock pins for the package `name` (the first one, if
/// several versions are locked).
pub fn locked_version(lock: &str, name: &str) -> Option<String> {
    let wanted = format!("name = \"{name}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == wanted {
            let next = lines.next()?.trim();
            return next
                .strip_prefix("version = \"")?
                .strip_suffix('"')
                .map(str::to_string);
        }
    }
    None
}

/// rustup components and targets the jobs need.
pub fn ensure_toolchain(wasm: bool) -> Result {
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
        // The release wasm builds the standard library from source
        // (web.rs, `build_std`): it needs the toolchain's own sources.
        let components = output(Command::new("rustup").args(["component", "list", "--installed"]))
            .unwrap_or_default();
        if !components.lines().any(|l| l.trim() == "rust-src") {
            run(Command::new("rustup").args(["component", "add", "rust-src"]))?;
        }
    }
    Ok(())
}

/// Every tool `serve` and `test` use (`cargo xtask tools`: a CI cache
/// step, or a check of what a machine has).
pub fn ensure_all() -> Result {
    ensure_toolchain(true)?;
    ensure_trunk()?;
    ensure_wasm_bindgen()?;
    ensure_wasm_opt()?;
    ensure_chromium()?;
    ensure_node()?;
    ensure_strace()?;
    Ok(())
}

/// Say which tool is used, or that it is being installed and why.
fn found(name: &str, version: &str) {
    let at = which(name).map(|p| p.display().to_string());
    eprintln!(
        "xtask: {name} {version} ({})",
        at.as_deref().unwrap_or("on PATH")
    );
}

/// trunk, at TRUNK_VERSION.
pub fn ensure_trunk() -> Result {
    let have = version_line("trunk", &["--version"]);
    if have.as_deref().and_then(|l| word(l, 1)) == Some(TRUNK_VERSION) {
        found("trunk", TRUNK_VERSION);
        return Ok(());
    }
    eprintln!(
        "xtask: trunk {TRUNK_VERSION} is needed ({}): installing it (a few minutes)",
        describe(have.as_deref())
    );
    run(crate::cargo().args(["install", "trunk", "--locked", "--version", TRUNK_VERSION]))?;
    check_now("trunk", &["--version"], 1, TRUNK_VERSION)
}

/// wasm-bindgen and wasm-bindgen-test-runner, at the version of the
/// wasm-bindgen crate in Cargo.lock.
pub fn ensure_wasm_bindgen() -> Result {
    let lock_path = root().join("Cargo.lock");
    let lock = std::fs::read_to_string(&lock_path)
        .map_err(|e| format!("cannot read {}: {e}", lock_path.display()))?;
    let wanted = locked_version(&lock, "wasm-bindgen")
        .ok_or_else(|| format!("{} locks no wasm-bindgen", lock_path.display()))?;
    let bindgen = version_line("wasm-bindgen", &["--version"]);
    let runner = version_line("wasm-bindgen-test-runner", &["--version"]);
    let matches = |line: &Option<String>| line.as_deref().and_then(|l| word(l, 1)) == Some(&wanted);
    if matches(&bindgen) && matches(&runner) {
        found("wasm-bindgen", &wanted);
        return Ok(());
    }
    let why = if matches(&bindgen) {
        format!("wasm-bindgen-test-runner: {}", describe(runner.as_deref()))
    } else {
        describe(bindgen.as_deref())
    };
    eprintln!(
        "xtask: wasm-bindgen-cli {wanted} (Cargo.lock's wasm-bindgen) is needed ({why}): installing it (a few minutes)"
    );
    // Not --locked: wasm-bindgen-cli's own lock file does not build with
    // this toolchain, its semver ranges do.
    run(crate::cargo().args(["install", "wasm-bindgen-cli", "--version", &wanted]))?;
    check_now("wasm-bindgen", &["--version"], 1, &wanted)?;
    check_now("wasm-bindgen-test-runner", &["--version"], 1, &wanted)
}

/// wasm-opt from npm's binaryen (a JavaScript build: needs node).
pub fn ensure_wasm_opt() -> Result {
    let have = version_line("wasm-opt", &["--version"]);
    if have.as_deref().and_then(|l| word(l, 2)) == Some(BINARYEN_VERSION) {
        found("wasm-opt", BINARYEN_VERSION);
        return Ok(());
    }
    eprintln!(
        "xtask: wasm-opt of binaryen {BINARYEN_VERSION} is needed ({}): installing it with npm into {}",
        describe(have.as_deref()),
        npm_prefix().display()
    );
    if which("npm").is_none() {
        apt_install(&["nodejs", "npm"])?;
    }
    let prefix = npm_prefix();
    std::fs::create_dir_all(&prefix)
        .map_err(|e| format!("cannot create {}: {e}", prefix.display()))?;
    run(Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--prefix"])
        .arg(&prefix)
        .arg(format!("binaryen@{BINARYEN_VERSION}.0.0")))?;
    check_now("wasm-opt", &["--version"], 2, BINARYEN_VERSION)
}

/// chromium and its chromedriver (one package pair, so that their
/// versions match); returns chromedriver's path.
pub fn ensure_chromium() -> Result<PathBuf> {
    let browser = || {
        ["chromium", "chromium-browser", "google-chrome"]
            .into_iter()
            .find_map(which)
    };
    let driver = || match env::var_os("CHROMEDRIVER") {
        Some(p) if Path::new(&p).is_file() => Some(PathBuf::from(p)),
        _ => which("chromedriver"),
    };
    if browser().is_none() || driver().is_none() {
        eprintln!("xtask: chromium and chromedriver are needed for the browser tests: installing them with apt");
        apt_install(&["chromium", "chromium-driver"])?;
    }
    let (Some(b), Some(d)) = (browser(), driver()) else {
        return Err("chromium or chromedriver is still missing after installing them".into());
    };
    eprintln!("xtask: browser {} with {}", b.display(), d.display());
    Ok(d)
}

/// Node.js 20 or later, which the tests of the Node layer run (they
/// compare the model's bytes with what a real `node` writes).
pub fn ensure_node() -> Result {
    let major = || {
        let line = version_line("node", &["--version"])?;
        line.trim()
            .trim_start_matches('v')
            .split('.')
            .next()?
            .parse::<u32>()
            .ok()
    };
    if major().is_none_or(|m| m < NODE_MAJOR) {
        eprintln!("xtask: node {NODE_MAJOR} or later is needed for the Node layer's tests: installing nodejs with apt");
        apt_install(&["nodejs"])?;
    }
    match major() {
        Some(m) if m >= NODE_MAJOR => {
            let path = which("node").map_or_else(String::new, |p| p.display().to_string());
            eprintln!("xtask: node {m} ({path})");
            Ok(())
        }
        other => Err(format!(
            "node {NODE_MAJOR} or later is needed, and PATH gives {}",
            other.map_or_else(|| "none".to_string(), |m| format!("node {m}"))
        )),
    }
}

/// strace, with which `check --node` reads the bytes node writes on its
/// IPC channels (its tests need it).
pub fn ensure_strace() -> Result {
    if which("strace").is_none() {
        eprintln!("xtask: strace is needed for check --node's tests: installing it with apt");
        apt_install(&["strace"])?;
    }
    match version_line("strace", &["-V"]) {
        Some(v) => {
            eprintln!("xtask: {v}");
            Ok(())
        }
        None => Err("strace is still missing after installing it".into()),
    }
}

/// `apt-get install` as root (through sudo when not root), after
/// refreshing the package lists (empty on a fresh container).
fn apt_install(packages: &[&str]) -> Result {
    if which("apt-get").is_none() {
        return Err(format!(
            "{} missing and this machine has no apt-get: install them with its package manager",
            packages.join(" and ")
        ));
    }
    let is_root = output(Command::new("id").arg("-u")).is_some_and(|id| id.trim() == "0");
    let apt = |args: &[&str]| {
        let mut cmd = if is_root {
            Command::new("apt-get")
        } else {
            let mut c = Command::new("sudo");
            c.arg("apt-get");
            c
        };
        cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        cmd
    };
    run(&mut apt(&["update"]))?;
    run(apt(&["install", "-y", "--no-install-recommends"]).args(packages))
}

/// After an install: the tool now answers with the wanted version.
fn check_now(program: &str, args: &[&str], n: usize, wanted: &str) -> Result {
    let have = version_line(program, args);
    if have.as_deref().and_then(|l| word(l, n)) == Some(wanted) {
        found(program, wanted);
        Ok(())
    } else {
        Err(format!(
            "{program} {wanted} was installed but PATH gives {} ({})",
            describe(have.as_deref()),
            which(program).map_or_else(|| "not found".into(), |p| p.display().to_string())
        ))
    }
}

fn describe(version: Option<&str>) -> String {
    match version {
        Some(v) => format!("found {v}"),
        None => "not found".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_locked_version_is_the_line_after_the_package_name() {
        let lock = "[[package]]\nname = \"wasm-bindgen-futures\"\nversion = \"0.4.80\"\n\n\
                    [[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.130\"\n";
        assert_eq!(
            locked_version(lock, "wasm-bindgen").as_deref(),
            Some("0.2.130")
        );
        assert_eq!(locked_version(lock, "trunk"), None);
    }

    #[test]
    fn the_workspace_lock_pins_a_wasm_bindgen() {
        let lock = std::fs::read_to_string(root().join("Cargo.lock")).unwrap();
        let version = locked_version(&lock, "wasm-bindgen").unwrap();
        assert!(version.starts_with("0.2."), "{version}");
    }

    #[test]
    fn versions_are_read_from_each_tools_own_version_line() {
        assert_eq!(word("trunk 0.21.14", 1), Some("0.21.14"));
        assert_eq!(word("wasm-bindgen 0.2.130", 1), Some("0.2.130"));
        assert_eq!(
            word("wasm-opt version 132 (version_132)", 2),
            Some(BINARYEN_VERSION)
        );
        assert_eq!(word("wasm-opt version 108", 2), Some("108"));
    }
}
