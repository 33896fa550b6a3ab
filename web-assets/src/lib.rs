//! The files the web app fetches instead of carrying them in its wasm,
//! made on the host at every trunk build (a `post_build` hook in
//! Trunk.toml runs this crate's binary, which writes them into trunk's
//! staging directory, next to the app):
//!
//! - `lessons/LESSON.scn`: each lesson's text, fetched when the lesson
//!   opens (the app carries only the lessons' names and titles);
//! - `help/scenario-language.html`: docs/scenario-language.md as HTML
//!   (`reference`), fetched by the help panel when it first opens;
//! - `kernel/LESSON.json`: each lesson's kernel recording
//!   (lessons/kernel/, `cargo xtask record`) read (`recording`), compared
//!   with the model step by step (`figures`) and written as the HTML the
//!   kernel view shows at each step (`digest`), fetched when the lesson
//!   opens.
//!
//! The app then needs neither a markdown parser nor serde to read them:
//! it inserts the HTML, reading the digest's few fields with the browser's
//! own JSON parser.

/// HTML escaping: the app's own file, so that the text written here and
/// the help panel's `unescape` of its examples are one rule.
#[path = "../../web/src/escape.rs"]
pub mod escape;

pub mod digest;
pub mod figures;
pub mod recording;
pub mod reference;

use std::path::{Path, PathBuf};

/// Where the app finds the files (the app's own file, shared).
#[path = "../../web/src/served.rs"]
pub mod served;

/// The repository's root (this crate's parent directory).
pub fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the crate is inside the repository")
        .to_path_buf()
}

/// Every file the app fetches, as (path under the app's directory,
/// contents), made from the repository at `root`; warnings (a lesson
/// whose recording is stale, say: the app shows why, the build goes on)
/// are pushed to `warnings`. An error says which file could not be read.
pub fn files(root: &Path, warnings: &mut Vec<String>) -> Result<Vec<(String, String)>, String> {
    let source = root.join("docs").join("scenario-language.md");
    let markdown = std::fs::read_to_string(&source)
        .map_err(|e| format!("cannot read {}: {e}", source.display()))?;
    let mut out = vec![(served::REFERENCE.to_string(), reference::render(&markdown))];
    for lesson in sim_core::lessons::all() {
        let path = recording::recording_path(root, lesson.name);
        let got = match std::fs::read_to_string(&path) {
            Ok(json) => recording::read(lesson.name, &json, lesson.source),
            Err(e) => {
                warnings.push(format!("cannot read {}: {e}", path.display()));
                Err(recording::Missing::NotRecorded(lesson.name.to_string()))
            }
        };
        if let Err(why @ (recording::Missing::Stale(_) | recording::Missing::Unreadable(..))) = &got
        {
            warnings.push(why.to_string());
        }
        let json = digest::digest(lesson.source, &got)?;
        out.push((served::kernel_digest(lesson.name), json));
        out.push((served::lesson(lesson.name), lesson.source.to_string()));
    }
    Ok(out)
}
