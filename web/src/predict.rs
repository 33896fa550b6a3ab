//! Expects as predictions: stepping onto a step with expects first asks
//! the learner, then reveals the answer and why.
use crate::session::RunHandle;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct PredictProps {
    pub run: RunHandle,
    /// The step about to be shown (1-based); it has expects.
    pub step: u32,
    /// The learner has answered (or skipped): show the step.
    pub on_reveal: Callback<()>,
}

#[function_component(Predict)]
pub fn predict(props: &PredictProps) -> Html {
    let sim = props.run.sim();
    let Some(step) = sim.steps().get(props.step as usize - 1) else {
        return html! {};
    };
    let reveal = props.on_reveal.reform(|_: MouseEvent| ());
    html! {
        <section class="predict" aria-label="Prediction">
            <p>{format!("Before line {} runs: {}", step.pos.line, step.source)}</p>
            <button type="button" onclick={reveal}>{"Reveal"}</button>
        </section>
    }
}
