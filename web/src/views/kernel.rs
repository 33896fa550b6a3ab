//! The kernel's view: for a built-in lesson, what `forkscope check --json`
//! recorded on a real kernel at this step, beside the model.
use crate::session::RunHandle;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct KernelProps {
    pub run: RunHandle,
    pub step: u32,
    /// The built-in lesson shown, if the text is still the lesson's.
    pub lesson: Option<AttrValue>,
}

#[function_component(KernelView)]
pub fn view(props: &KernelProps) -> Html {
    let _ = props;
    html! {
        <section class="view" id="view-kernel" aria-labelledby="view-kernel-title">
            <h2 id="view-kernel-title">{"On a real kernel"}</h2>
        </section>
    }
}
