//! Drafts in localStorage: the editor's text survives a reload and is
//! never thrown away silently. Each lesson keeps its own draft; a scenario
//! opened from a link or written from scratch keeps one more.
//!
//! A draft is stored as its plain text under `forkscope.text.<slot>`.
//! Earlier versions of the app stored it JSON-encoded (through gloo's
//! storage) under `forkscope.draft.<slot>`: such a draft is read with the
//! browser's JSON parser the first time its slot is loaded, saved under the
//! new key, and only then removed, so a learner's text is never lost.

use web_sys::Storage;

const PREFIX: &str = "forkscope.text.";

/// Where drafts were kept, JSON-encoded, before `PREFIX`.
pub const OLD_PREFIX: &str = "forkscope.draft.";

/// The key of a draft: a lesson's name, or "scratch" for any other text.
pub fn key(slot: &str) -> String {
    format!("{PREFIX}{slot}")
}

/// The key the app used for a draft before.
pub fn old_key(slot: &str) -> String {
    format!("{OLD_PREFIX}{slot}")
}

/// The page's localStorage, if the browser gives one (not in some private
/// modes).
fn local() -> Option<Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The saved draft of `slot`, if any (a draft saved in the old form is
/// moved to the new one on the way).
pub fn load(slot: &str) -> Option<String> {
    let storage = local()?;
    if let Some(text) = storage.get_item(&key(slot)).ok().flatten() {
        return Some(text);
    }
    let old = storage.get_item(&old_key(slot)).ok().flatten()?;
    // Anything but a JSON string was not written by the app: left alone.
    let text = js_sys::JSON::parse(&old).ok()?.as_string()?;
    if storage.set_item(&key(slot), &text).is_ok() {
        storage.remove_item(&old_key(slot)).ok();
    }
    Some(text)
}

/// Save a draft; false when the browser refused (private mode, full).
pub fn save(slot: &str, text: &str) -> bool {
    local().is_some_and(|s| s.set_item(&key(slot), text).is_ok())
}

/// Forget a draft (the learner chose to go back to the lesson's text), in
/// both forms.
pub fn forget(slot: &str) {
    if let Some(s) = local() {
        s.remove_item(&key(slot)).ok();
        s.remove_item(&old_key(slot)).ok();
    }
}
