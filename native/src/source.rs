//! Where a scenario comes from: a file, or a built-in lesson by name. One
//! resolver, for `forkscope run` and `forkscope check` alike.

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
pub fn load(target: &str) -> Result<Loaded, String> {
    if !is_path(target) {
        if let Some(lesson) = sim_core::lessons::find(target) {
            return Ok(Loaded {
                label: lesson.name.to_string(),
                text: lesson.source.to_string(),
            });
        }
    }
    match std::fs::read_to_string(target) {
        Ok(text) => Ok(Loaded {
            label: target.to_string(),
            text,
        }),
        Err(e) => {
            let names: Vec<&str> = sim_core::lessons::all().iter().map(|l| l.name).collect();
            let lessons = names.join(", ");
            if !is_path(target) {
                return Err(format!(
                    "cannot read {target}: {e}. It is not a built-in lesson either (lessons: {lessons})."
                ));
            }
            let stem = std::path::Path::new(target)
                .file_stem()
                .and_then(|s| s.to_str())
                .filter(|s| sim_core::lessons::find(s).is_some());
            match stem {
                Some(name) => Err(format!(
                    "cannot read {target}: {e}. (The built-in lesson is named without '/' or .scn: {name}.)"
                )),
                None => Err(format!(
                    "cannot read {target}: {e}. (Built-in lessons are named without '/' or .scn: {lessons}.)"
                )),
            }
        }
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
            .expect("no such file in the current directory");
        assert!(err.contains(lesson.name), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
