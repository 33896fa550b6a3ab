//! The web app's release build (trunk, offline, with wasm-opt) and the
//! size of its wasm, raw and gzipped, against the budget.

use crate::{root, run, tools, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The budget for the release wasm, gzipped: 350 KB (of 1000
/// bytes, the stricter reading).
pub const GZIP_BUDGET: u64 = 350_000;

/// gzip's header (10 bytes, no file name) and trailer (CRC-32 and size,
/// 8 bytes) around the raw DEFLATE stream (RFC 1952, section 2.3).
const GZIP_FRAMING: u64 = 18;

/// trunk, told never to download tools or check for a newer trunk (the
/// `--offline` flag would swallow the next word: the environment is used).
fn trunk() -> Command {
    let mut cmd = Command::new("trunk");
    cmd.current_dir(root())
        .env("TRUNK_OFFLINE", "true")
        .env("TRUNK_SKIP_VERSION_CHECK", "true");
    cmd
}

/// The cargo profile of the release build (Cargo.toml: small, not fast).
pub const PROFILE: &str = "web-release";

/// Install what the build needs, then `trunk build --release` with the
/// web-release profile into dist/; returns dist's absolute path.
pub fn build_release() -> Result<PathBuf> {
    tools::ensure_toolchain(true)?;
    tools::ensure_wasm_bindgen()?;
    tools::ensure_wasm_opt()?;
    tools::ensure_trunk()?;
    fetch_std_sources()?;
    let dist = root().join("dist");
    let mut trunk = trunk();
    build_std(&mut trunk);
    run(trunk
        .args(["build", "--release", "--cargo-profile", PROFILE, "--dist"])
        .arg(&dist))?;
    Ok(dist)
}

/// The release wasm is built with its own standard library, compiled from
/// the toolchain's sources for size (the budget is 350 KB gzipped), and
/// with panics that carry their message but no file/line and no `{:?}`
/// text. Measured on 2026-12-01, trunk's wasm-opt after, gzip -9: 368,966
/// bytes with the prebuilt std; 353,949 with std built for size and
/// `location-detail=none`; 348,577 with `fmt-debug=none` as well.
///
/// These are unstable cargo and rustc options, allowed on the machine's one
/// stable toolchain by RUSTC_BOOTSTRAP=1: the toolchain is fixed, so the
/// options cannot change under us. They are set for this build alone
/// (component tests, clippy and the native crates build as usual), and
/// Trunk.toml's post-build hook removes them before it runs cargo again.
/// The panic hook (web/src/panic.rs) still shows every panic's message.
fn build_std(cmd: &mut Command) {
    cmd.env("RUSTC_BOOTSTRAP", "1")
        .env("CARGO_UNSTABLE_BUILD_STD", "std,panic_abort")
        .env("CARGO_UNSTABLE_BUILD_STD_FEATURES", "optimize_for_size")
        .env(
            "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS",
            "-Zlocation-detail=none -Zfmt-debug=none",
        );
}

/// The standard library's own dependencies (dlmalloc, compiler_builtins,
/// ...), downloaded from the crate registry before the build, which trunk
/// runs offline.
fn fetch_std_sources() -> Result {
    let sysroot = crate::output(Command::new("rustc").args(["--print", "sysroot"]))
        .ok_or("`rustc --print sysroot` failed")?;
    let manifest = Path::new(sysroot.trim()).join("lib/rustlib/src/rust/library/Cargo.toml");
    run(crate::cargo()
        .env("RUSTC_BOOTSTRAP", "1")
        .args(["fetch", "--quiet", "--manifest-path"])
        .arg(manifest))
}

/// The release wasm's size, raw and gzipped.
#[derive(Debug)]
pub struct WasmSize {
    pub file: PathBuf,
    pub raw: u64,
    pub gzip: u64,
}

impl WasmSize {
    /// The gzipped size, in KB of 1000.
    pub fn gzip_kb(&self) -> String {
        kb(self.gzip)
    }

    pub fn within_budget(&self) -> bool {
        self.gzip <= GZIP_BUDGET
    }

    /// "web-1a2b_bg.wasm: 812.4 KB, 251.0 KB gzipped (budget 350 KB)".
    pub fn summary(&self) -> String {
        let name = self.file.file_name().unwrap_or_default().to_string_lossy();
        format!(
            "{name}: {} raw, {} gzipped (level 9; budget {}{})",
            kb(self.raw),
            kb(self.gzip),
            kb(GZIP_BUDGET),
            if self.within_budget() {
                ""
            } else {
                ": OVER BUDGET"
            }
        )
    }
}

/// Bytes in KB of 1000, one decimal.
fn kb(bytes: u64) -> String {
    format!("{:.1} KB", bytes as f64 / 1000.0)
}

/// The web worker's wasm (index.html: OSTEP's fork.py), which only the
/// OSTEP entry fetches; trunk names a worker's files after its binary.
pub const WORKER_WASM: &str = "ostep-worker_bg.wasm";

/// The app's own .wasm file in `dist` (the one every learner downloads),
/// measured.
pub fn wasm_size(dist: &Path) -> Result<WasmSize> {
    let entries =
        std::fs::read_dir(dist).map_err(|e| format!("cannot read {}: {e}", dist.display()))?;
    let wasm: Vec<PathBuf> = entries
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "wasm"))
        .filter(|p| p.file_name().is_some_and(|n| n != WORKER_WASM))
        .collect();
    let [file] = wasm.as_slice() else {
        return Err(format!(
            "expected one .wasm file of the app (besides {WORKER_WASM}) in {}, found {}",
            dist.display(),
            wasm.len()
        ));
    };
    measure(file)
}

/// The worker's wasm in `dist`, measured (it is not counted in the
/// budget: a learner who never opens the OSTEP entry never fetches it).
pub fn worker_size(dist: &Path) -> Result<WasmSize> {
    measure(&dist.join(WORKER_WASM))
}

fn measure(file: &Path) -> Result<WasmSize> {
    let bytes = std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    Ok(WasmSize {
        file: file.to_path_buf(),
        raw: bytes.len() as u64,
        gzip: gzip_len(&bytes),
    })
}

/// The size of `bytes` gzipped at level 9 (miniz: on this app within 0.5%
/// of `gzip -9`, a little larger).
fn gzip_len(bytes: &[u8]) -> u64 {
    miniz_oxide::deflate::compress_to_vec(bytes, 9).len() as u64 + GZIP_FRAMING
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repetitive_file_gzips_to_a_small_fraction_with_its_framing() {
        let bytes = vec![b'a'; 100_000];
        let len = gzip_len(&bytes);
        assert!(len > GZIP_FRAMING && len < 1_000, "{len}");
        assert_eq!(
            gzip_len(&[]),
            2 + GZIP_FRAMING,
            "an empty DEFLATE stream is 2 bytes"
        );
    }

    #[test]
    fn the_summary_names_the_file_and_says_when_it_is_over_budget() {
        let mut size = WasmSize {
            file: PathBuf::from("dist/web-1a2b_bg.wasm"),
            raw: 812_400,
            gzip: 251_000,
        };
        assert_eq!(
            size.summary(),
            "web-1a2b_bg.wasm: 812.4 KB raw, 251.0 KB gzipped (level 9; budget 350.0 KB)"
        );
        size.gzip = 350_001;
        assert!(!size.within_budget());
        assert!(size.summary().ends_with("budget 350.0 KB: OVER BUDGET)"));
    }
}
