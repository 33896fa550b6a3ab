//! The narration of the step: exactly what `forkscope run --json` gives for
//! it (`narration`, then the step's `say` lines), in one polite live region
//! so that a screen reader reads each step.
//!
//! A kernel step of a Node statement's group also has its group's texts
//! from the same JSON (`group`): moving by Node step, the step shown is
//! the group's last, and the region holds the group's line (what node did
//! and its events) before the step's own narration; moving by kernel step,
//! it holds why node makes the step. The Node statement itself is named
//! above the region, and a disclosure under it lists the group's kernel
//! steps: neither is read out at every step (the list is the learner's to
//! open, and its button says how long it is).
//!
//! The live region itself stays in the page from step to step (a region
//! made anew is not announced); only its body is keyed by the step, so
//! that the body's "changed" animation plays once per step.
use crate::session::RunHandle;
use sim_core::engine::{Step, StepGroup};
use sim_core::words::count;
use yew::prelude::*;

#[derive(Properties, PartialEq, Clone)]
pub struct NarrationProps {
    pub run: RunHandle,
    pub step: u32,
    /// Moving by Node step: a group's last step stands for its group.
    pub by_node: bool,
}

#[function_component(Narration)]
pub fn narration(props: &NarrationProps) -> Html {
    // Which group's list is open: (run, the group's first kernel step).
    // Opening is per group, so moving on closes it again.
    let open = use_state_eq(|| None::<(u64, u32)>);
    let sim = props.run.sim();
    let step = props
        .step
        .checked_sub(1)
        .and_then(|i| sim.steps().get(i as usize));
    let Some(step) = step else {
        return html! {
            <div class="narration">
                <section id="narration" class="narration-live" aria-live="polite" aria-label="What happened"></section>
            </div>
        };
    };
    let group = step.group.as_ref();
    // The group as one step: its last, while moving by Node step.
    let whole = props.by_node && group.is_some_and(|g| g.last);
    let head = group.map(|g| group_head(g, whole));
    let lead = match group {
        Some(g) if whole => g.narration.clone().map(|line| {
            html! {
                <p class="group-line">{line}</p>
            }
        }),
        Some(g) => Some(html! { <p class="group-why">{g.why.clone()}</p> }),
        None => None,
    };
    let list = match group {
        Some(g) if whole => {
            let first = step.index - g.index;
            let key = (props.run.id(), first);
            let expanded = *open == Some(key);
            let toggle = {
                let open = open.clone();
                Callback::from(move |_: MouseEvent| {
                    open.set(if expanded { None } else { Some(key) })
                })
            };
            let steps = &sim.steps()[first as usize - 1..step.index as usize];
            html! {
                <div class="group-steps-box">
                    <button type="button" class="disclosure" aria-expanded={expanded.to_string()}
                        aria-controls="group-steps" onclick={toggle}>
                        <span class="disclosure-mark" aria-hidden="true">{ if expanded { "▾" } else { "▸" } }</span>
                        { count(steps.len() as u64, "kernel step", "kernel steps") }
                    </button>
                    if expanded {
                        <ol id="group-steps" class="group-steps">
                            { steps.iter().map(kernel_step).collect::<Html>() }
                        </ol>
                    }
                </div>
            }
        }
        _ => html! {},
    };
    html! {
        <div class={classes!("narration", group.map(|_| "in-group"))}>
            { head }
            <section id="narration" class="narration-live" aria-live="polite" aria-label="What happened">
                <div class="narration-body changed" key={props.step}>
                    { lead }
                    <p class={classes!("narration-text", whole.then_some("of-last"))}>{step.narration.clone()}</p>
                    { for step.says.iter().map(|s| html! { <p class="say">{s.clone()}</p> }) }
                </div>
            </section>
            { list }
        </div>
    }
}

/// The Node statement a step belongs to, above the live region: its line,
/// its text, and (moving by kernel step) which of its steps this is.
fn group_head(g: &StepGroup, whole: bool) -> Html {
    html! {
        <p class="group-head">
            <span class="group-badge">{"Node"}</span>
            {format!(" line {} ", g.pos.line)}
            <code>{g.source.clone()}</code>
            if !whole {
                <span class="group-place">{format!(" · kernel step {} of the group", g.index + 1)}</span>
            }
        </p>
    }
}

/// One kernel step of an opened group: its number, its statement, why
/// node makes it, and its own narration.
fn kernel_step(step: &Step) -> Html {
    let why = step
        .group
        .as_ref()
        .map(|g| g.why.clone())
        .unwrap_or_default();
    html! {
        <li class="group-step">
            <span class="group-step-n">{step.index}</span>
            <div>
                <code>{step.source.clone()}</code>
                <p class="group-step-why">{why}</p>
                <p class="group-step-text">{step.narration.clone()}</p>
            </div>
        </li>
    }
}
