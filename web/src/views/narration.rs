//! The narration of the step: exactly what `forkscope run --json` gives for
//! it (`narration`, then the step's `say` lines), in one polite live region
//! so that a screen reader reads each step.
//!
//! The live region itself stays in the page from step to step (a region
//! made anew is not announced); only its body is keyed by the step, so
//! that the body's "changed" animation plays once per step.
use super::ViewProps;
use yew::prelude::*;

#[function_component(Narration)]
pub fn narration(props: &ViewProps) -> Html {
    let sim = props.run.sim();
    let body = match props
        .step
        .checked_sub(1)
        .and_then(|i| sim.steps().get(i as usize))
    {
        Some(step) => html! {
            <div class="narration-body changed" key={props.step}>
                <p class="narration-text">{step.narration.clone()}</p>
                { for step.says.iter().map(|s| html! { <p class="say">{s.clone()}</p> }) }
            </div>
        },
        None => html! {},
    };
    html! {
        <section id="narration" class="narration" aria-live="polite" aria-label="What happened">
            { body }
        </section>
    }
}
