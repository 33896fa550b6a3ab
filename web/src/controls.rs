//! The step controls: first, back, play/pause, next, last, the speed, and
//! a scrubber with "Step N of M". Every control is a button (or input)
//! with an aria-label, which the end-to-end tests find them by.
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// Steps per second a learner can choose; the first is the default.
pub const SPEEDS: &[(f64, &str)] = &[
    (1.0, "1 step/s"),
    (0.5, "1 step/2 s"),
    (2.0, "2 steps/s"),
    (5.0, "5 steps/s"),
    (20.0, "20 steps/s"),
    (100.0, "100 steps/s"),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Move {
    First,
    Prev,
    Next,
    Last,
    To(u32),
}

#[derive(Properties, PartialEq)]
pub struct ControlsProps {
    pub step: u32,
    /// Steps in the run (computed so far).
    pub total: u32,
    /// Still computing further steps.
    pub computing: bool,
    pub playing: bool,
    pub speed: f64,
    pub on_move: Callback<Move>,
    pub on_play: Callback<()>,
    pub on_speed: Callback<f64>,
}

#[function_component(Controls)]
pub fn controls(props: &ControlsProps) -> Html {
    let go = |m: Move| props.on_move.reform(move |_: MouseEvent| m);
    let play = props.on_play.reform(|_: MouseEvent| ());
    let scrub = props.on_move.reform(|e: InputEvent| {
        let value = e.target_unchecked_into::<HtmlInputElement>().value();
        Move::To(value.parse().unwrap_or(0))
    });
    let speed = props.on_speed.reform(|e: Event| {
        let value = e.target_unchecked_into::<HtmlSelectElement>().value();
        value.parse().unwrap_or(1.0)
    });
    let at_start = props.step == 0;
    let at_end = props.step >= props.total && !props.computing;
    let counter = if props.computing {
        format!("Step {} of {}…", props.step, props.total)
    } else {
        format!("Step {} of {}", props.step, props.total)
    };
    html! {
        <nav class="controls" aria-label="Step controls">
            <div class="buttons">
                <button type="button" aria-label="First step" title="First step (Home)" disabled={at_start} onclick={go(Move::First)}>{"⏮"}</button>
                <button type="button" aria-label="Previous step" title="Previous step (←)" disabled={at_start} onclick={go(Move::Prev)}>{"◀"}</button>
                if props.playing {
                    <button type="button" class="play" aria-label="Pause" title="Pause (Space)" onclick={play}>{"⏸"}</button>
                } else {
                    <button type="button" class="play" aria-label="Play" title="Play (Space)" disabled={at_end} onclick={play}>{"▶"}</button>
                }
                <button type="button" aria-label="Next step" title="Next step (→)" disabled={at_end} onclick={go(Move::Next)}>{"▶|"}</button>
                <button type="button" aria-label="Last step" title="Last step (End)" disabled={at_end} onclick={go(Move::Last)}>{"⏭"}</button>
            </div>
            <input type="range" class="scrubber" aria-label="Step" min="0" max={props.total.to_string()}
                value={props.step.to_string()} oninput={scrub} />
            <output id="step-counter" aria-live="off">{counter}</output>
            <label class="speed">{"Speed "}
                <select aria-label="Speed" onchange={speed}>
                    { for SPEEDS.iter().map(|(v, label)| html! {
                        <option value={v.to_string()} selected={*v == props.speed}>{*label}</option>
                    }) }
                </select>
            </label>
        </nav>
    }
}
