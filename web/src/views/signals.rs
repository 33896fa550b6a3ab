//! The Signals view.
use super::ViewProps;
use yew::prelude::*;

#[function_component(SignalsView)]
pub fn view(props: &ViewProps) -> Html {
    let _ = props;
    html! {
        <section class="view" id="view-signals" aria-labelledby="view-signals-title">
            <h2 id="view-signals-title">{"Signals"}</h2>
        </section>
    }
}
