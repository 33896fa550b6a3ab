//! Markup that never changes (a legend, SVG patterns, the help's keys) is
//! written as a string rather than with html!: every html! element is code
//! in the wasm (a call per attribute and per child), while a string sits
//! in the data section and compresses to a fraction of it. yew inserts it
//! as it is (in the parent's namespace, so SVG works) and never compares
//! more than the string.

use yew::{AttrValue, Html};

/// `html`, which must be our own markup: it is not escaped.
pub fn static_html(html: &'static str) -> Html {
    Html::from_html_unchecked(AttrValue::Static(html))
}
