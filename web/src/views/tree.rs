//! The Processes view.
use super::ViewProps;
use yew::prelude::*;

#[function_component(TreeView)]
pub fn view(props: &ViewProps) -> Html {
    let _ = props;
    html! {
        <section class="view" id="view-tree" aria-labelledby="view-tree-title">
            <h2 id="view-tree-title">{"Processes"}</h2>
        </section>
    }
}
