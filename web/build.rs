//! Renders the scenario language reference, docs/scenario-language.md, to
//! HTML at build time, so that the app carries neither the markdown nor a
//! markdown parser (pulldown-cmark is a build dependency only; the help
//! panel includes `$OUT_DIR/scenario-language.html`).
//!
//! The HTML is what the help panel showed when it rendered the markdown at
//! run time: headings one level down (the panel's own heading is the h2),
//! ids as GitHub gives them with a `help-` prefix (so the reference's own
//! Contents links work inside the panel), links to files of the repository
//! shown as text (the app has no such files), fenced blocks as captioned
//! figures. A `scn` example is written as `<pre class="scn"><code>` with
//! its text escaped: the panel colours those with the editor's highlighter
//! (web/src/help.rs), so the colours follow sim-core's word tables.

#[path = "build/escape.rs"]
mod escape;
#[path = "build/reference.rs"]
mod reference;

use std::path::Path;

/// Relative to web/, where cargo runs a build script.
const SOURCE: &str = "../docs/scenario-language.md";

fn main() {
    println!("cargo::rerun-if-changed={SOURCE}");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=build/reference.rs");
    println!("cargo::rerun-if-changed=build/escape.rs");
    let markdown = match std::fs::read_to_string(SOURCE) {
        Ok(text) => text,
        Err(e) => {
            println!("cargo::error=cannot read {SOURCE}: {e}");
            return;
        }
    };
    let html = reference::render(&markdown);
    let Some(out_dir) = std::env::var_os("OUT_DIR") else {
        println!("cargo::error=cargo did not set OUT_DIR");
        return;
    };
    let out = Path::new(&out_dir).join("scenario-language.html");
    if let Err(e) = std::fs::write(&out, html) {
        println!("cargo::error=cannot write {}: {e}", out.display());
    }
}
