//! The lessons' kernel recordings: what `forkscope check --json LESSON`
//! printed on a real kernel as root (lessons/kernel/, made by `cargo xtask
//! record`; docs/check-json.md), read back into the little the kernel view
//! shows. `digest` turns what is read here into the HTML the app fetches
//! (kernel/LESSON.json next to it). A recording counts only for the exact
//! text it names by SHA-256; any other text has none.

use serde::Deserialize;
use sha2::{Digest, Sha256};
use sim_core::changes::Changes;
use sim_core::observe::Observation;

/// The JSON document, as much of it as is read.
#[derive(Deserialize)]
struct Doc {
    kernel_release: Option<String>,
    frames_visible: bool,
    scenarios: Vec<Scenario>,
}

#[derive(Deserialize)]
struct Scenario {
    status: String,
    source_sha256: Option<String>,
    kernel_steps: Vec<KernelStep>,
    differences: Vec<StepDiff>,
    expects: Vec<ExpectCheck>,
    error: Option<CheckError>,
}

#[derive(Deserialize)]
struct KernelStep {
    changes: Changes,
}

/// The rows of the difference table at one statement.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct StepDiff {
    pub line: u32,
    pub rows: Vec<DiffRow>,
}

/// One row of `check`'s difference table: what, and how each side sees it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct DiffRow {
    pub what: String,
    pub model: String,
    pub kernel: String,
}

/// An expect as the check judged it on both sides.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ExpectCheck {
    pub line: u32,
    pub text: String,
    /// `agree`, `differ`, `not_judged` or `kernel_only`.
    pub status: String,
    pub reason: Option<String>,
    pub model: Option<Result<(), String>>,
    pub kernel: Option<Result<(), String>>,
}

#[derive(Deserialize)]
struct CheckError {
    message: String,
}

/// A lesson's recording, read.
#[derive(Clone, Debug, PartialEq)]
pub struct Recording {
    /// `uname -r` of the kernel it was made on.
    pub release: String,
    /// Made as root (frames seen).
    pub as_root: bool,
    /// The check's verdict: `agree` or `differ` (or `error`...).
    pub status: String,
    /// The kernel's observation after each step: `kernel[0]` before the
    /// first, `kernel[i]` after step i (its changes replayed in order).
    pub kernel: Vec<Observation>,
    pub differences: Vec<StepDiff>,
    pub expects: Vec<ExpectCheck>,
    /// Why the kernel run stopped early, if it did.
    pub error: Option<String>,
}

/// Why a lesson has no recording to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Missing {
    /// The lesson has no recording in lessons/kernel/.
    NotRecorded(String),
    /// The lesson's text changed since its recording was made.
    Stale(String),
    /// The recording could not be read (a broken file), and why.
    Unreadable(String, String),
}

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Missing::NotRecorded(name) => write!(f, "{name} has no kernel recording"),
            Missing::Stale(name) => write!(
                f,
                "{name} changed since its kernel recording was made (as root: cargo xtask record {name})"
            ),
            Missing::Unreadable(name, why) => {
                write!(f, "the kernel recording of {name} cannot be read: {why}")
            }
        }
    }
}

/// The SHA-256 of `text` in lowercase hex, as `check --json` names a text.
pub fn sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The repository's recording of lesson `name` (`cargo xtask record`
/// writes it), under the repository at `root`.
pub fn recording_path(root: &std::path::Path, name: &str) -> std::path::PathBuf {
    root.join("lessons")
        .join("kernel")
        .join(format!("{name}.json"))
}

/// The recording of lesson `name`, `json`, if it was made from
/// `text`, read.
pub fn read(name: &str, json: &str, text: &str) -> Result<Recording, Missing> {
    let unreadable = |why: String| Missing::Unreadable(name.to_string(), why);
    let doc: Doc = serde_json::from_str(json).map_err(|e| unreadable(e.to_string()))?;
    let [scenario] = <[Scenario; 1]>::try_from(doc.scenarios)
        .map_err(|_| unreadable("it does not hold exactly one scenario".into()))?;
    if scenario.source_sha256.as_deref() != Some(sha256(text).as_str()) {
        return Err(Missing::Stale(name.to_string()));
    }
    let mut kernel = vec![Observation::default()];
    for step in &scenario.kernel_steps {
        let mut next = kernel.last().cloned().unwrap_or_default();
        step.changes.replay(&mut next);
        kernel.push(next);
    }
    Ok(Recording {
        release: doc.kernel_release.unwrap_or_else(|| "(unknown)".into()),
        as_root: doc.frames_visible,
        status: scenario.status,
        kernel,
        differences: scenario.differences,
        expects: scenario.expects,
        error: scenario.error.map(|e| e.message),
    })
}

/// "6.18" for "6.18.44-fc-v595": the version a learner knows a kernel by.
pub fn short_release(release: &str) -> &str {
    let mut dots = release.match_indices('.').map(|(i, _)| i);
    let end = dots
        .nth(1)
        .or_else(|| release.find(|c: char| !(c.is_ascii_digit() || c == '.')))
        .unwrap_or(release.len());
    &release[..end]
}

/// The repository's recording of `lesson` if it was made from `text`,
/// read.
pub fn find(lesson: &str, text: &str) -> Result<Recording, Missing> {
    let path = recording_path(&crate::repository(), lesson);
    let json =
        std::fs::read_to_string(path).map_err(|_| Missing::NotRecorded(lesson.to_string()))?;
    read(lesson, &json, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_lesson_has_its_recording_in_the_repository() {
        for lesson in sim_core::lessons::all() {
            let path = recording_path(&crate::repository(), lesson.name);
            assert!(
                path.is_file(),
                "{}: {} is there",
                lesson.name,
                path.display()
            );
        }
    }

    #[test]
    fn a_broken_recording_says_it_cannot_be_read() {
        let lesson = &sim_core::lessons::all()[0];
        match read(lesson.name, "{\"scenarios\": [", lesson.source) {
            Err(Missing::Unreadable(name, why)) => {
                assert_eq!(name, lesson.name);
                assert!(why.contains("EOF"), "{why}");
            }
            other => panic!("a cut-off file was read as {other:?}"),
        }
    }

    #[test]
    fn every_lesson_reads_its_recording_with_every_step_it_has() {
        for lesson in sim_core::lessons::all() {
            let rec = find(lesson.name, lesson.source)
                .unwrap_or_else(|e| panic!("{}: {e:?}", lesson.name));
            let mut sim = sim_core::engine::Sim::from_source(lesson.source).unwrap();
            sim.run_to_end().unwrap();
            assert_eq!(rec.kernel.len(), sim.steps().len() + 1, "{}", lesson.name);
            assert!(rec.as_root, "{} was recorded as root", lesson.name);
        }
    }

    #[test]
    fn an_edited_lesson_text_has_no_recording() {
        let lesson = &sim_core::lessons::all()[0];
        let edited = format!("{}\n# my note\n", lesson.source);
        assert_eq!(
            find(lesson.name, &edited),
            Err(Missing::Stale(lesson.name.to_string()))
        );
        assert_eq!(
            find("no-such-lesson", "x"),
            Err(Missing::NotRecorded("no-such-lesson".into()))
        );
    }

    #[test]
    fn a_release_is_shortened_to_its_version() {
        assert_eq!(short_release("6.18.44-fc-v595"), "6.18");
        assert_eq!(short_release("6.18-rc3"), "6.18");
        assert_eq!(short_release("6.18"), "6.18");
    }
}
