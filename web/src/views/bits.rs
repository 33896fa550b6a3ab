//! Small shared HTML shapes the views repeat many times. Each `html!`
//! element is built by its own inlined code, so a shape written out in
//! twenty places is twenty copies in the wasm; written once here, it is
//! one function and twenty calls (issue 9: the release wasm's size).

use yew::prelude::*;

/// `<span class=CLASS>TEXT</span>`.
pub(crate) fn span(class: &'static str, text: String) -> Html {
    html! { <span class={class}>{ text }</span> }
}
