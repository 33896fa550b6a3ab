//! `web-assets`: writes the files the web app fetches into trunk's staging
//! directory (`TRUNK_STAGING_DIR`, set for a hook; Trunk.toml runs this as
//! a `post_build` hook), or into the directory given as its one argument.
//! A failure ends with a message saying which file and why, and a non-zero
//! status, which fails trunk's build.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(why) => {
            eprintln!("web-assets: {why}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let out: PathBuf = match (std::env::args_os().nth(1), std::env::var_os("TRUNK_STAGING_DIR")) {
        (Some(dir), _) | (None, Some(dir)) => dir.into(),
        (None, None) => {
            return Err("no directory to write to: run by trunk (TRUNK_STAGING_DIR) or give one as the argument".into())
        }
    };
    let mut warnings = Vec::new();
    let files = web_assets::files(&web_assets::repository(), &mut warnings)?;
    for w in &warnings {
        eprintln!("web-assets: warning: {w}");
    }
    for (path, text) in &files {
        write(&out.join(path), text)?;
    }
    Ok(())
}

/// Write `text` to `path`, making its directory.
fn write(path: &Path, text: &str) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot make {}: {e}", dir.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
