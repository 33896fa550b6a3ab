//! Where a scenario comes from: a file, or a built-in lesson by name. One
//! resolver, for `forkscope run` and `forkscope check` alike.

use sim_core::scenario::source::{decode, MAX_SOURCE_BYTES, MAX_SOURCE_TEXT};
use sim_core::scenario::ScenarioError;
use std::fmt;
use std::io::Read;

/// A scenario's text and how to name it in messages.
pub struct Loaded {
    /// The file path, or the lesson name.
    pub label: String,
    pub text: String,
}

/// A target that names a file and only a file: it contains a '/' or ends in `.scn`.
fn is_path(target: &str) -> bool {
    target.contains('/') || target.ends_with(".scn")
}

/// Why a target could not be loaded.
#[derive(Debug)]
pub enum LoadError {
    /// The file could not be opened or read; `reason` is the system's
    /// word for it, `hint` names the lessons that might have been meant.
    Unreadable {
        target: String,
        reason: String,
        hint: String,
    },
    /// The file holds more than `MAX_SOURCE_BYTES`: it was read no further.
    TooLarge { target: String },
    /// The file is not text; the error names the line and column.
    NotText {
        target: String,
        error: ScenarioError,
    },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Unreadable {
                target,
                reason,
                hint,
            } => write!(f, "cannot read {target}: {reason}. {hint}"),
            LoadError::TooLarge { target } => write!(
                f,
                "cannot read {target}: it holds more than {MAX_SOURCE_TEXT}, the most a scenario may hold (is it a scenario file?)"
            ),
            LoadError::NotText { target, error } => write!(f, "{target}:{error}"),
        }
    }
}

/// Load `target`, by one rule (say it so in the --help of every command
/// that takes a target):
///
/// - a target that contains a '/' or ends in `.scn` is a file path, and only
///   that file is read (never a lesson of the same name);
/// - any other target is the name of a built-in lesson, or else a file of
///   that name.
///
/// So `cow-after-fork` is the lesson even when a file of that name exists,
/// and `./cow-after-fork` or `cow-after-fork.scn` is the file.
///
/// A file is read up to `MAX_SOURCE_BYTES` and no further, so a file with
/// no end (`/dev/zero`, a FIFO whose writer never stops) costs a bounded
/// amount of memory and ends in an error.
pub fn load(target: &str) -> Result<Loaded, LoadError> {
    if !is_path(target) {
        if let Some(lesson) = sim_core::lessons::find(target) {
            return Ok(Loaded {
                label: lesson.name.to_string(),
                text: lesson.source.to_string(),
            });
        }
    }
    let bytes = match read_capped(target) {
        Ok(bytes) => bytes,
        Err(e) => {
            return Err(LoadError::Unreadable {
                target: target.to_string(),
                reason: e.to_string(),
                hint: hint(target),
            })
        }
    };
    if bytes.len() > MAX_SOURCE_BYTES {
        return Err(LoadError::TooLarge {
            target: target.to_string(),
        });
    }
    match decode(&bytes) {
        Ok(text) => Ok(Loaded {
            label: target.to_string(),
            text: text.to_string(),
        }),
        Err(error) => Err(LoadError::NotText {
            target: target.to_string(),
            error,
        }),
    }
}

/// At most `MAX_SOURCE_BYTES + 1` bytes of the file: one more than a
/// scenario may hold tells a file that is too large.
fn read_capped(path: &str) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_SOURCE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// What to add when `target` cannot be read: the lessons it might mean.
fn hint(target: &str) -> String {
    let names: Vec<&str> = sim_core::lessons::all().iter().map(|l| l.name).collect();
    let lessons = names.join(", ");
    if !is_path(target) {
        return format!("It is not a built-in lesson either (lessons: {lessons}).");
    }
    let stem = std::path::Path::new(target)
        .file_stem()
        .and_then(|s| s.to_str())
        .filter(|s| sim_core::lessons::find(s).is_some());
    match stem {
        Some(name) => format!("(The built-in lesson is named without '/' or .scn: {name}.)"),
        None => format!("(Built-in lessons are named without '/' or .scn: {lessons}.)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lesson_name_is_the_lesson_and_a_path_is_a_file() {
        let lesson = sim_core::lessons::all()[0];
        let loaded = load(lesson.name).unwrap();
        assert_eq!(loaded.label, lesson.name);
        assert_eq!(loaded.text, lesson.source);

        let dir = std::env::temp_dir().join(format!("forkscope-source-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join(format!("{}.scn", lesson.name));
        std::fs::write(&file, "process p\n").unwrap();
        let path = file.to_str().unwrap();
        let loaded = load(path).unwrap();
        assert_eq!(loaded.label, path);
        assert_eq!(loaded.text, "process p\n");

        // Path-like but missing: an error, never the lesson.
        let missing = format!("{}.scn", lesson.name);
        let err = load(&missing)
            .err()
            .expect("no such file in the current directory")
            .to_string();
        assert!(err.contains(lesson.name), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
