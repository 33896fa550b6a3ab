//! The help panel: the keyboard keys and the scenario language reference.
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct HelpProps {
    pub on_close: Callback<()>,
}

#[function_component(Help)]
pub fn help(props: &HelpProps) -> Html {
    let close = props.on_close.reform(|_: MouseEvent| ());
    html! {
        <aside class="help" aria-label="Help">
            <button type="button" aria-label="Close help" onclick={close}>{"×"}</button>
            <h2>{"Keys"}</h2>
            <dl class="keys">
                <dt><kbd>{"→"}</kbd></dt><dd>{"Next step"}</dd>
                <dt><kbd>{"←"}</kbd></dt><dd>{"Previous step"}</dd>
                <dt><kbd>{"Space"}</kbd></dt><dd>{"Play or pause"}</dd>
                <dt><kbd>{"Home"}</kbd></dt><dd>{"First step"}</dd>
                <dt><kbd>{"End"}</kbd></dt><dd>{"Last step"}</dd>
                <dt><kbd>{"?"}</kbd></dt><dd>{"This help"}</dd>
            </dl>
        </aside>
    }
}
