//! The Pipes and sockets view.
use super::ViewProps;
use yew::prelude::*;

#[function_component(QueuesView)]
pub fn view(props: &ViewProps) -> Html {
    let _ = props;
    html! {
        <section class="view" id="view-queues" aria-labelledby="view-queues-title">
            <h2 id="view-queues-title">{"Pipes and sockets"}</h2>
        </section>
    }
}
