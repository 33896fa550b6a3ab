//! The System calls view: an strace-like log of the steps up to the one
//! shown (views/strace.rs writes the lines), newest at the bottom, the
//! shown step's lines highlighted. Only the last `LOG_STEPS` steps are
//! drawn, so that step 100,000 costs what step 50 does. A line's step
//! number is a button that goes to that step.
//!
//! A Node statement's kernel steps are one line, the Node statement, with
//! a button that shows its kernel lines under it (`strace::chunks`); moving
//! by kernel step, the group of the shown step is open.
use super::strace::{self, LineKind, LogLine};
use crate::session::RunHandle;
use litemap::LiteMap;
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
    /// The controls move one kernel step at a time: the shown step's group
    /// is open.
    pub kernel_steps: bool,
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
    let cache = use_mut_ref(|| (0u64, LiteMap::<u32, Rc<Vec<LogLine>>>::new()));
    // The groups the learner opened or closed (by their first kernel step),
    // against the default (open when it holds the shown step and the
    // controls move by kernel step).
    let toggled = use_state_eq(|| (0u64, Vec::<u32>::new()));
    let sim = props.run.sim();
    let window = strace::window_steps(props.step, sim.steps().len() as u32, LOG_STEPS);
    let (first, upto) = (*window.start(), *window.end());
    let earlier = first - 1;
    let steps: Vec<Rc<Vec<LogLine>>> = {
        let mut cache = cache.borrow_mut();
        if cache.0 != props.run.id() {
            *cache = (props.run.id(), LiteMap::new());
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
    let run_id = props.run.id();
    let flipped = |first: u32| toggled.0 == run_id && toggled.1.contains(&first);
    let toggle = {
        let toggled = toggled.clone();
        Callback::from(move |first: u32| {
            let mut list = if toggled.0 == run_id {
                toggled.1.clone()
            } else {
                Vec::new()
            };
            match list.iter().position(|&f| f == first) {
                Some(i) => {
                    list.remove(i);
                }
                None => list.push(first),
            }
            toggled.set((run_id, list));
        })
    };
    let body = if steps.iter().all(|v| v.is_empty()) {
        html! { <p class="log-empty">{"No calls yet. Step forward to run the first statement."}</p> }
    } else {
        let lines_of = |step: u32| Lines(Rc::clone(&steps[(step - first) as usize]));
        let chunks = strace::chunks(&sim, window.clone());
        html! {
            <ol class="log-lines" onclick={click}>
                { for chunks.into_iter().map(|chunk| match chunk {
                    strace::Chunk::Step(step) => html! {
                        <StepLines key={step} lines={lines_of(step)} current={step == props.step} />
                    },
                    strace::Chunk::Group { first: start, steps: span, line, who, source } => {
                        let holds = span.contains(&props.step);
                        let open = (holds && props.kernel_steps) != flipped(start);
                        let toggle = toggle.reform(move |_: MouseEvent| start);
                        let last = *span.end();
                        html! {
                            <li key={format!("g{start}")} class="log-group-item">
                                <div class={classes!("log-line", "log-group", holds.then_some("current"))}
                                    aria-current={holds.then_some("step")}>
                                    <button type="button" class="log-step" data-step={last.to_string()}
                                        aria-label={format!("Go to step {last}")} title={format!("Go to step {last}")}>
                                        {last}
                                    </button>
                                    <span class="log-who">{who}</span>
                                    <span class="log-text">
                                        <button type="button" class="disclosure log-disclosure" aria-expanded={open.to_string()}
                                            onclick={toggle} title={format!("line {line}: the kernel calls node made for it")}>
                                            <span class="disclosure-mark" aria-hidden="true">{ if open { "▾" } else { "▸" } }</span>
                                            <code>{source}</code>
                                            <span class="log-group-count">{format!(" {}", sim_core::words::count(span.end() - span.start() + 1, "kernel step", "kernel steps"))}</span>
                                        </button>
                                    </span>
                                </div>
                                if open {
                                    <ol class="log-lines log-group-lines">
                                        { for span.map(|step| html! {
                                            <StepLines key={step} lines={lines_of(step)} current={step == props.step} />
                                        }) }
                                    </ol>
                                }
                            </li>
                        }
                    }
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
