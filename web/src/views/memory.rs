//! The Memory view.
use super::ViewProps;
use yew::prelude::*;

#[function_component(MemoryView)]
pub fn view(props: &ViewProps) -> Html {
    let _ = props;
    html! {
        <section class="view" id="view-memory" aria-labelledby="view-memory-title">
            <h2 id="view-memory-title">{"Memory"}</h2>
        </section>
    }
}
