//! The System calls view.
use super::ViewProps;
use yew::prelude::*;

#[function_component(LogView)]
pub fn view(props: &ViewProps) -> Html {
    let _ = props;
    html! {
        <section class="view" id="view-log" aria-labelledby="view-log-title">
            <h2 id="view-log-title">{"System calls"}</h2>
        </section>
    }
}
