//! HTML escaping, shared by the app (the help panel's colouring, the panic
//! page) and web-assets (the language reference and the kernel digests it
//! writes at build time; it includes this file), so that the help panel's
//! `unescape` undoes exactly what was written.

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
