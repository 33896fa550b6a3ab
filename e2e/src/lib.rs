//! End-to-end tests of the web app (issue 9): the release build of `web/`
//! served on 127.0.0.1 by the `dist-server` crate, driven by real headless
//! Chromium through chromedriver (WebDriver), with the speed figures the
//! issue asks for printed from the same run.
//!
//! Everything here is behind the `browser` feature: `cargo test
//! --workspace` builds an empty library and no test. Run the tests with
//!
//! ```text
//! TRUNK_OFFLINE=true trunk build --release          # writes dist/
//! FORKSCOPE_DIST=$PWD/dist cargo test -p e2e --features browser -- --nocapture
//! ```
//!
//! The screenshots are written to `target/e2e/` (see [`artifacts`]).

#[cfg(feature = "browser")]
pub mod artifacts;
#[cfg(feature = "browser")]
pub mod browser;
pub mod link;
#[cfg(feature = "browser")]
pub mod measure;
