//! Where the tests write what a person should look at: the screenshots,
//! in `target/e2e/` of the workspace (or `FORKSCOPE_E2E_OUT`).

use std::path::PathBuf;

/// The artifacts directory, created if need be.
pub fn dir() -> PathBuf {
    let dir = match std::env::var_os("FORKSCOPE_E2E_OUT") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/e2e"),
    };
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| {
        panic!(
            "cannot create the artifacts directory {}: {e}",
            dir.display()
        )
    });
    dir.canonicalize().unwrap_or(dir)
}

/// Write `png` as `NAME.png` in the artifacts directory; returns its path.
pub fn save_png(name: &str, png: &[u8]) -> PathBuf {
    let path = dir().join(format!("{name}.png"));
    std::fs::write(&path, png)
        .unwrap_or_else(|e| panic!("cannot write the screenshot {}: {e}", path.display()));
    println!("screenshot: {}", path.display());
    path
}
