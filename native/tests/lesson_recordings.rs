//! Every built-in lesson carries a recording of `forkscope check --json` on
//! a real kernel (lessons/kernel/NAME.json, made by `cargo xtask record` as
//! root), which the web app shows beside the model. A recording names the
//! lesson text it was made from by its SHA-256; these tests fail, naming the
//! lesson and the command to run, when a lesson changed and its recording
//! was not made again, and when a recording could not show what the app
//! needs (made without root, cut short, or not a check of that lesson).

use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

fn recordings() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../lessons/kernel")
}

fn sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The command that makes `lesson`'s recording again.
fn remedy(lesson: &str) -> String {
    format!("run `sudo -E cargo xtask record {lesson}` (as root, on Linux) and commit lessons/kernel/{lesson}.json")
}

/// The recording of `lesson`, read and parsed, or why not.
fn recording(lesson: &str) -> Result<Value, String> {
    let path = recordings().join(format!("{lesson}.json"));
    let text = std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "lesson {lesson} has no kernel recording ({}: {e}): {}",
            path.display(),
            remedy(lesson)
        )
    })?;
    serde_json::from_str(&text).map_err(|e| {
        format!(
            "the recording of lesson {lesson} is not JSON ({e}): {}",
            remedy(lesson)
        )
    })
}

/// Every problem of every lesson's recording, in lesson order.
fn problems(check: impl Fn(&sim_core::lessons::Lesson, &Value) -> Option<String>) -> Vec<String> {
    sim_core::lessons::all()
        .iter()
        .filter_map(|lesson| match recording(lesson.name) {
            Ok(doc) => check(lesson, &doc),
            Err(why) => Some(why),
        })
        .collect()
}

#[test]
fn every_lesson_recording_was_made_from_the_lesson_text_as_it_is_now() {
    let stale = problems(|lesson, doc| {
        let recorded = doc["scenarios"][0]["source_sha256"]
            .as_str()
            .unwrap_or("none");
        let now = sha256(lesson.source);
        (recorded != now).then(|| {
            format!(
                "lesson {} changed since its kernel recording was made (recorded from text {recorded}, the lesson is now {now}): {}",
                lesson.name,
                remedy(lesson.name)
            )
        })
    });
    assert!(stale.is_empty(), "{}", stale.join("\n"));
}

#[test]
fn every_lesson_recording_is_a_whole_check_of_that_lesson_as_root() {
    let bad = problems(|lesson, doc| {
        let s = &doc["scenarios"][0];
        let model_steps = sim_core::engine::Sim::from_source(lesson.source)
            .ok()
            .and_then(|mut sim| sim.run_to_end().ok().map(|()| sim.steps().len()))
            .unwrap_or(0);
        let why = if doc["scenarios"].as_array().map(Vec::len) != Some(1) {
            "it holds other than one scenario".to_string()
        } else if s["name"] != lesson.name {
            format!("it checked {} instead", s["name"])
        } else if doc["frames_visible"] != true {
            "it was made without root, so it shows no frames".to_string()
        } else if doc["kernel_release"].as_str().is_none() {
            "it does not name the kernel release".to_string()
        } else if !matches!(s["status"].as_str(), Some("agree" | "differ")) {
            format!("its check has no verdict ({})", s["status"])
        } else if s["kernel_steps"].as_array().map(Vec::len) != Some(model_steps) {
            format!(
                "it shows {} kernel steps, and the lesson has {model_steps}",
                s["kernel_steps"].as_array().map_or(0, Vec::len)
            )
        } else {
            return None;
        };
        Some(format!(
            "the recording of lesson {}: {why}: {}",
            lesson.name,
            remedy(lesson.name)
        ))
    });
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn every_recording_is_of_a_built_in_lesson() {
    let names: Vec<&str> = sim_core::lessons::all().iter().map(|l| l.name).collect();
    let strays: Vec<String> = std::fs::read_dir(recordings())
        .expect("lessons/kernel exists")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|f| {
            f.strip_suffix(".json")
                .is_none_or(|stem| !names.contains(&stem))
        })
        .collect();
    assert!(
        strays.is_empty(),
        "lessons/kernel holds files that are no lesson's recording: {strays:?} (`sudo -E cargo xtask record` removes them)"
    );
}

#[test]
fn a_changed_lesson_text_is_told_from_its_recording() {
    // The staleness test's own rule, on a text changed by one byte: what
    // makes it fail when a lesson is edited.
    let lesson = &sim_core::lessons::all()[0];
    let recorded = recording(lesson.name).expect("the first lesson is recorded");
    let edited = format!("{} ", lesson.source);
    assert_ne!(
        recorded["scenarios"][0]["source_sha256"].as_str(),
        Some(sha256(&edited).as_str())
    );
    assert_eq!(
        recorded["scenarios"][0]["source_sha256"].as_str(),
        Some(sha256(lesson.source).as_str())
    );
}
