//! Where a scenario comes from: a file, or a built-in lesson by name.

/// A scenario's text and how to name it in messages.
pub struct Loaded {
    /// The file path, or the lesson name.
    pub label: String,
    pub text: String,
}

/// Load `target`: a built-in lesson name, else a file path.
pub fn load(target: &str) -> Result<Loaded, String> {
    if let Some(lesson) = sim_core::lessons::find(target) {
        return Ok(Loaded {
            label: lesson.name.to_string(),
            text: lesson.source.to_string(),
        });
    }
    match std::fs::read_to_string(target) {
        Ok(text) => Ok(Loaded {
            label: target.to_string(),
            text,
        }),
        Err(e) => {
            let names: Vec<&str> = sim_core::lessons::all().iter().map(|l| l.name).collect();
            Err(format!(
                "cannot read {target}: {e}. It is not a built-in lesson either (lessons: {}).",
                names.join(", ")
            ))
        }
    }
}
