//! The System calls view: an strace-like log of the steps up to the one
//! shown (views/strace.rs writes the lines), newest at the bottom, the
//! shown step's lines highlighted. Only the last `LOG_STEPS` steps are
//! drawn, so that step 100,000 costs what step 50 does. A line's step
//! number is a button that goes to that step.
use super::strace::{self, LineKind, LogLine};
use crate::session::RunHandle;
use std::collections::BTreeMap;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::Element;
use yew::prelude::*;

/// How many steps the log draws, up to the shown one. A far jump draws
/// them all anew: 200 made a jump in a 100,000-step run take 155 ms
/// (median, e2e, loaded machine), 50 take 75 ms; the box shows about 15.
pub const LOG_STEPS: u32 = 50;

#[derive(Properties, PartialEq, Clone)]
pub struct LogProps {
    pub run: RunHandle,
    pub step: u32,
    /// Go to a step (a click on a line's step number).
    pub on_jump: Callback<u32>,
}

#[function_component(LogView)]
pub fn view(props: &LogProps) -> Html {
    let scroller = use_node_ref();
    {
        // Keep the newest line (the shown step's) in sight. The box is a
        // reversed column (story.css), so it stays at its end as lines
        // come without any script; if the learner scrolled it away, it goes
        // back at the next frame, when the page is laid out already
        // (scrolling now would make the browser lay it out at once).
        let scroller = scroller.clone();
        use_effect_with((props.step, props.run.id()), move |_| {
            let back = Closure::once_into_js(move || {
                if let Some(el) = scroller.cast::<Element>() {
                    // The end of a reversed column is its scroll origin.
                    if el.scroll_top() != 0 {
                        el.set_scroll_top(0);
                    }
                }
            });
            if let Some(window) = web_sys::window() {
                window.request_animation_frame(back.unchecked_ref()).ok();
            }
        });
    }
    // Each step's lines are worked out once per run: stepping on draws
    // one new step's lines, not the whole window's.
    let cache = use_mut_ref(|| (0u64, BTreeMap::<u32, Rc<Vec<LogLine>>>::new()));
    let sim = props.run.sim();
    let window = strace::window_steps(props.step, sim.steps().len() as u32, LOG_STEPS);
    let (first, upto) = (*window.start(), *window.end());
    let earlier = first - 1;
    let steps: Vec<Rc<Vec<LogLine>>> = {
        let mut cache = cache.borrow_mut();
        if cache.0 != props.run.id() {
            *cache = (props.run.id(), BTreeMap::new());
        }
        // Keep only the window (and a window's worth around it, for
        // scrubbing back and forth).
        let keep = first.saturating_sub(LOG_STEPS)..=upto.saturating_add(LOG_STEPS);
        cache.1.retain(|k, _| keep.contains(k));
        window
            .clone()
            .map(|i| {
                Rc::clone(
                    cache
                        .1
                        .entry(i)
                        .or_insert_with(|| Rc::new(strace::lines_at(&sim, i))),
                )
            })
            .collect()
    };
    // One click handler for the whole list: a step number's button
    // carries its step in `data-step`.
    let on_jump = props.on_jump.clone();
    let click = Callback::from(move |e: MouseEvent| {
        let step = e
            .target()
            .and_then(|t| t.dyn_into::<Element>().ok())
            .and_then(|el| el.closest("[data-step]").ok().flatten())
            .and_then(|el| el.get_attribute("data-step"))
            .and_then(|s| s.parse::<u32>().ok());
        if let Some(step) = step {
            on_jump.emit(step);
        }
    });
    let body = if steps.iter().all(|v| v.is_empty()) {
        html! { <p class="log-empty">{"No calls yet. Step forward to run the first statement."}</p> }
    } else {
        html! {
            <ol class="log-lines" onclick={click}>
                { for steps.iter().zip(window).map(|(lines, step)| html! {
                    <StepLines key={step} lines={Lines(Rc::clone(lines))} current={step == props.step} />
                }) }
            </ol>
        }
    };
    html! {
        <section class="view" id="view-log" aria-labelledby="view-log-title">
            <h2 id="view-log-title">{"System calls"}</h2>
            <div class="log-scroll" ref={scroller} tabindex="0"
                aria-label={format!("System calls up to step {}", props.step)}>
                <div class="log-inner">
                    if earlier > 0 {
                        <p class="log-earlier">{format!("{earlier} earlier {} not shown", if earlier == 1 { "step" } else { "steps" })}</p>
                    }
                    { body }
                </div>
            </div>
        </section>
    }
}

/// One step's lines, shared with the cache; equal when they are the same
/// lines (a pointer compare, not a walk over the text).
#[derive(Clone)]
struct Lines(Rc<Vec<LogLine>>);

impl PartialEq for Lines {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

#[derive(Properties, PartialEq)]
struct StepLinesProps {
    lines: Lines,
    current: bool,
}

/// The lines of one step. Keyed by step, and redrawn only when they
/// become or stop being the shown step's: moving on by one step draws one
/// new step and two changed ones, whatever the window holds.
#[function_component(StepLines)]
fn step_lines(props: &StepLinesProps) -> Html {
    let current = props.current;
    html! {
        <>
            { for props.lines.0.iter().enumerate().map(|(k, line)| {
                let kind = match line.kind {
                    LineKind::Call => "log-call",
                    LineKind::Resumed => "log-resumed",
                    LineKind::Signal => "log-signal",
                    LineKind::Exit => "log-exit",
                };
                let step = line.step;
                html! {
                    <li class={classes!("log-line", kind, current.then_some("current changed"))}
                        aria-current={current.then_some("step")}>
                        // The step's number once, on its first line.
                        if k == 0 {
                            <button type="button" class="log-step" data-step={step.to_string()}
                                aria-label={format!("Go to step {step}")} title={format!("Go to step {step}")}>
                                {step}
                            </button>
                        } else {
                            <span class="log-step-more" aria-hidden="true"></span>
                        }
                        <span class="log-who">{line.who.clone()}</span>
                        <code class="log-text">{line.text.clone()}</code>
                    </li>
                }
            }) }
        </>
    }
}
