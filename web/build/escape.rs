//! HTML escaping, shared by build.rs (the language reference it renders)
//! and the app (the help panel's colouring, the panic page), so that the
//! help panel's `unescape` undoes exactly what was written.

/// `text` with `&`, `<`, `>` and `"` written as entities, appended to `out`.
pub fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
}
