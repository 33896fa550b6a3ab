//! Fetching a file served next to the app (the help's language reference,
//! a lesson's kernel recording: web/src/served.rs), as text, or why not in
//! words a learner can read.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// The body of the file at `url` (relative to the page), or why not.
pub async fn text(url: &str) -> Result<String, String> {
    let window = web_sys::window().ok_or("there is no window")?;
    let answer = JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(js_why)?;
    let answer: web_sys::Response = answer
        .dyn_into()
        .map_err(|_| "the answer is not an HTTP response".to_string())?;
    if !answer.ok() {
        return Err(format!(
            "the server answered {} {} for {url}",
            answer.status(),
            answer.status_text()
        ));
    }
    let body = JsFuture::from(answer.text().map_err(js_why)?)
        .await
        .map_err(js_why)?;
    body.as_string()
        .ok_or_else(|| "the answer is not text".to_string())
}

/// Lesson `name`'s text, fetched from next to the app (`served::lesson`).
/// The component tests run in a page that serves no lessons: there it is
/// the built-in copy (the end-to-end tests fetch it from the release
/// build's files).
pub async fn lesson(name: &str) -> Result<String, String> {
    #[cfg(test)]
    return sim_core::lessons::find(name)
        .map(|l| l.source.to_string())
        .ok_or_else(|| format!("there is no lesson called {name}"));
    #[cfg(not(test))]
    text(&crate::served::lesson(name)).await
}

/// A JavaScript error in words.
pub fn js_why(e: JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "the network failed".into())
}
