//! Drafts in localStorage: the editor's text survives a reload and is
//! never thrown away silently. Each lesson keeps its own draft; a scenario
//! opened from a link or written from scratch keeps one more.

use gloo::storage::{LocalStorage, Storage};

const PREFIX: &str = "forkscope.draft.";

/// The key of a draft: a lesson's name, or "scratch" for any other text.
fn key(slot: &str) -> String {
    format!("{PREFIX}{slot}")
}

/// The saved draft of `slot`, if any.
pub fn load(slot: &str) -> Option<String> {
    LocalStorage::get::<String>(key(slot)).ok()
}

/// Save a draft; false when the browser refused (private mode, full).
pub fn save(slot: &str, text: &str) -> bool {
    LocalStorage::set(key(slot), text).is_ok()
}

/// Forget a draft (the learner chose to go back to the lesson's text).
pub fn forget(slot: &str) {
    LocalStorage::delete(key(slot));
}
