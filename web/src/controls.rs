//! The step controls: first, back, play/pause, next, last, the speed, and
//! a scrubber with "Step N of M". Every control is a button (or input)
//! with an aria-label, which the end-to-end tests find them by.
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// A control's icon: SVG paths in a 24-unit box, drawn in the text colour
/// (fonts differ in which media symbols they have; a path is the same
/// everywhere).
fn icon(paths: &'static [&'static str]) -> Html {
    html! {
        <svg class="icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
            { for paths.iter().map(|d| html! { <path d={*d} /> }) }
        </svg>
    }
}

const FIRST: &[&str] = &["M5 5h2.5v14H5z", "M19 5v14L9 12z"];
const PREV: &[&str] = &["M17 5v14L7 12z"];
const PLAY: &[&str] = &["M8 5v14l11-7z"];
const PAUSE: &[&str] = &["M7 5h3.5v14H7z", "M13.5 5H17v14h-3.5z"];
const NEXT: &[&str] = &["M7 5v14l10-7z"];
const LAST: &[&str] = &["M5 5v14l10-7z", "M16.5 5H19v14h-2.5z"];

/// The speeds a learner can choose, the first the default: the option's
/// value (steps per second), the time between steps in ms, the label.
/// Whole milliseconds and written-out values: no float is parsed or
/// printed (that code would be kilobytes of wasm).
pub const SPEEDS: &[(&str, u32, &str)] = &[
    ("1", 1000, "1 step/s"),
    ("0.5", 2000, "1 step/2 s"),
    ("2", 500, "2 steps/s"),
    ("5", 200, "5 steps/s"),
    ("20", 50, "20 steps/s"),
    ("100", 10, "100 steps/s"),
];

/// The time between steps for a Speed option's value (the default for
/// one that is not in `SPEEDS`).
pub fn step_ms_of(value: &str) -> u32 {
    SPEEDS
        .iter()
        .find(|(v, _, _)| *v == value)
        .map_or(SPEEDS[0].1, |&(_, ms, _)| ms)
}

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
    /// The time between steps while playing, ms (one of `SPEEDS`).
    pub step_ms: u32,
    pub on_move: Callback<Move>,
    pub on_play: Callback<()>,
    pub on_speed: Callback<u32>,
    /// More controls at the end of the bar (the "Kernel steps" switch).
    #[prop_or_default]
    pub children: Html,
}

/// A scrubber drag sends an `input` for every step it passes, often many
/// between two frames: the first of a frame moves at once, the rest wait
/// for the next frame, where only the last of them moves (a drag never
/// queues work the screen would not show).
#[derive(Default)]
struct Scrub {
    /// A move was made since the last animation frame.
    moved: bool,
    /// The step the drag reached since, to go to at the next frame.
    pending: Option<u32>,
    on_move: Option<Callback<Move>>,
    /// The animation frame callback, and the frame asked for.
    frame: Option<Closure<dyn FnMut()>>,
    asked: Option<i32>,
}

impl Scrub {
    fn input(this: &Rc<RefCell<Scrub>>, step: u32) {
        let mut s = this.borrow_mut();
        if s.moved {
            s.pending = Some(step);
            return;
        }
        s.moved = true;
        let on_move = s.on_move.clone();
        Scrub::ask_frame(this, &mut s);
        drop(s);
        if let Some(on_move) = on_move {
            on_move.emit(Move::To(step));
        }
    }

    /// At the next frame: the frame is over, and a step still pending is
    /// gone to.
    fn ask_frame(this: &Rc<RefCell<Scrub>>, s: &mut Scrub) {
        let Some(window) = web_sys::window() else {
            s.moved = false;
            return;
        };
        let scrub = Rc::downgrade(this);
        let frame = s.frame.get_or_insert_with(|| {
            Closure::new(move || {
                let Some(scrub) = scrub.upgrade() else {
                    return;
                };
                let step = {
                    let mut s = scrub.borrow_mut();
                    s.moved = false;
                    s.asked = None;
                    s.pending.take()
                };
                if let Some(step) = step {
                    Scrub::input(&scrub, step);
                }
            })
        });
        match window.request_animation_frame(frame.as_ref().unchecked_ref()) {
            Ok(id) => s.asked = Some(id),
            Err(_) => s.moved = false,
        }
    }

    /// The controls are gone: no frame may call back into them.
    fn cancel(&mut self) {
        if let (Some(id), Some(window)) = (self.asked.take(), web_sys::window()) {
            window.cancel_animation_frame(id).ok();
        }
    }
}

#[function_component(Controls)]
pub fn controls(props: &ControlsProps) -> Html {
    let go = |m: Move| props.on_move.reform(move |_: MouseEvent| m);
    let play = props.on_play.reform(|_: MouseEvent| ());
    let state = use_mut_ref(Scrub::default);
    state.borrow_mut().on_move = Some(props.on_move.clone());
    {
        let state = Rc::clone(&state);
        use_effect_with((), move |_| move || state.borrow_mut().cancel());
    }
    let scrub = Callback::from(move |e: InputEvent| {
        let value = e.target_unchecked_into::<HtmlInputElement>().value();
        Scrub::input(&state, value.parse().unwrap_or(0));
    });
    let speed = props
        .on_speed
        .reform(|e: Event| step_ms_of(&e.target_unchecked_into::<HtmlSelectElement>().value()));
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
                <button type="button" aria-label="First step" title="First step (Home)" disabled={at_start} onclick={go(Move::First)}>{icon(FIRST)}</button>
                <button type="button" aria-label="Previous step" title="Previous step (←)" disabled={at_start} onclick={go(Move::Prev)}>{icon(PREV)}</button>
                if props.playing {
                    <button type="button" class="play" aria-label="Pause" title="Pause (Space)" onclick={play}>{icon(PAUSE)}</button>
                } else {
                    <button type="button" class="play" aria-label="Play" title="Play (Space)" disabled={at_end} onclick={play}>{icon(PLAY)}</button>
                }
                <button type="button" aria-label="Next step" title="Next step (→)" disabled={at_end} onclick={go(Move::Next)}>{icon(NEXT)}</button>
                <button type="button" aria-label="Last step" title="Last step (End)" disabled={at_end} onclick={go(Move::Last)}>{icon(LAST)}</button>
            </div>
            <input type="range" class="scrubber" aria-label="Step" min="0" max={props.total.to_string()}
                value={props.step.to_string()} oninput={scrub} />
            <output id="step-counter" aria-live="off">{counter}</output>
            <label class="speed">{"Speed "}
                <select aria-label="Speed" onchange={speed}>
                    { for SPEEDS.iter().map(|&(value, ms, label)| html! {
                        <option {value} selected={ms == props.step_ms}>{label}</option>
                    }) }
                </select>
            </label>
            { props.children.clone() }
        </nav>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_speed_waits_a_second_divided_by_its_steps_per_second() {
        for &(value, ms, label) in SPEEDS {
            let per_second: f64 = value.parse().expect("a number");
            assert_eq!(f64::from(ms), (1000.0 / per_second).round(), "{label}");
        }
    }

    #[test]
    fn a_speed_option_value_gives_its_time_between_steps_and_an_unknown_one_the_default() {
        assert_eq!(step_ms_of("20"), 50);
        assert_eq!(step_ms_of("0.5"), 2000);
        assert_eq!(step_ms_of("100"), 10);
        assert_eq!(step_ms_of("fast"), 1000);
    }
}
