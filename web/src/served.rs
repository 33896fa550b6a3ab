//! The files served next to the app that it fetches rather than carries
//! (made at every trunk build by the web-assets crate, which includes this
//! file too, so that both sides name them alike).

/// The language reference as HTML, fetched when the help panel first opens.
pub const REFERENCE: &str = "help/scenario-language.html";

/// Where lesson `name`'s text is, relative to the page: the app carries
/// only the lessons' names and titles, and fetches a lesson when it opens.
#[cfg_attr(test, allow(dead_code))] // the component tests use the built-in copy
pub fn lesson(name: &str) -> String {
    format!("lessons/{name}.scn")
}

/// Where the digest of lesson `name`'s kernel recording is, relative to
/// the page.
pub fn kernel_digest(name: &str) -> String {
    format!("kernel/{name}.json")
}

/// A digest is a JSON object with either `NOTE` (the HTML that says why
/// the lesson has no recording to show), or `HEAD` (the HTML of the line
/// naming the kernel and the verdict) and `STEPS` (an array of HTML, one
/// per step of the lesson, the first for before its first step).
pub const NOTE: &str = "note";
pub const HEAD: &str = "head";
pub const STEPS: &str = "steps";
