//! Expects as predictions: stepping onto a step with expects first asks
//! the learner (`Predict`, questions.rs builds the questions), then, once
//! the step is shown, `Checks` reveals the model's answer beside what the
//! learner said and the expect's verdict (an expect can fail on purpose);
//! the why is the step's narration and `say` lines, which the narration
//! region just above shows at the same moment (not repeated here).
//!
//! The learner's answers live in the app (app.rs), so that Next, the
//! keyboard and the Reveal button all reveal the same answers, and a step
//! visited again shows them again.
use crate::questions::{self, Input, Question};
use crate::session::RunHandle;
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct PredictProps {
    pub run: RunHandle,
    /// The step about to be shown (1-based); it has expects.
    pub step: u32,
    /// What the learner has answered so far, by question ("" = nothing).
    pub answers: Vec<String>,
    /// The learner answered question `i` with a value.
    pub on_pick: Callback<(usize, String)>,
    /// The learner has answered (or skipped): show the step.
    pub on_reveal: Callback<()>,
}

#[function_component(Predict)]
pub fn predict(props: &PredictProps) -> Html {
    let sim = props.run.sim();
    let Some(step) = sim.steps().get(props.step as usize - 1) else {
        return html! {};
    };
    let qs = questions::questions(&sim, props.step);
    let reveal = props.on_reveal.reform(|e: SubmitEvent| {
        e.prevent_default();
    });
    let any = props.answers.iter().any(|a| !a.trim().is_empty());
    html! {
        <section class="predict changed" aria-label="Prediction" key={props.step}>
            <p class="predict-kicker"><span class="predict-icon" aria-hidden="true">{"?"}</span>
                {format!("Predict before line {} runs", step.pos.line)}</p>
            <p class="predict-source"><code>{step.source.clone()}</code></p>
            <form onsubmit={reveal}>
                { for qs.iter().enumerate().map(|(i, q)| question_input(props, i, q)) }
                <div class="predict-actions">
                    <button type="submit" class="primary">
                        { if any { "Check my prediction" } else { "Show the answer" } }
                    </button>
                    <span class="predict-hint">{"Next also reveals it."}</span>
                </div>
            </form>
        </section>
    }
}

/// One question's fieldset: radio choices, or a box to type into.
fn question_input(props: &PredictProps, i: usize, q: &Question) -> Html {
    let said = props.answers.get(i).cloned().unwrap_or_default();
    let typed = props
        .on_pick
        .reform(move |e: InputEvent| (i, e.target_unchecked_into::<HtmlInputElement>().value()));
    let input = match &q.input {
        Input::Choices(choices) => html! {
            <div class="choices">
                { for choices.iter().map(|c| {
                    let value = c.value.clone();
                    let pick = props.on_pick.reform(move |_: Event| (i, value.clone()));
                    html! {
                        <label class={classes!("choice", (said == c.value).then_some("picked"))}>
                            <input type="radio" name={format!("predict-{}-{i}", props.step)}
                                value={c.value.clone()} checked={said == c.value} onchange={pick} />
                            <span>{c.label.clone()}</span>
                        </label>
                    }
                }) }
            </div>
        },
        Input::Number { unit } => html! {
            <label class="typed">
                <input type="number" min="0" step="1" inputmode="numeric" value={said}
                    aria-label={q.prompt.clone()} oninput={typed} />
                <span>{*unit}</span>
            </label>
        },
        Input::ReturnValue => html! {
            <label class="typed">
                <input type="text" value={said} placeholder="e.g. 100 or EAGAIN" spellcheck="false"
                    aria-label={q.prompt.clone()} oninput={typed} />
                <span>{"a number, or an errno name"}</span>
            </label>
        },
    };
    html! {
        <fieldset class="question">
            <legend>{q.prompt.clone()}</legend>
            { input }
        </fieldset>
    }
}

#[derive(Properties, PartialEq)]
pub struct ChecksProps {
    pub run: RunHandle,
    /// The step shown (its expects are drawn, if it has any).
    pub step: u32,
    /// What the learner predicted for this step, if it was asked.
    pub answers: Option<Vec<String>>,
}

/// The expects of the step shown: the answer, what the learner said, the
/// verdict, and why.
#[function_component(Checks)]
pub fn checks(props: &ChecksProps) -> Html {
    let sim = props.run.sim();
    let Some(step) = props
        .step
        .checked_sub(1)
        .and_then(|i| sim.steps().get(i as usize))
    else {
        return html! {};
    };
    if step.expects.is_empty() {
        return html! {};
    }
    let qs = questions::questions(&sim, props.step);
    let asked = props.answers.is_some();
    let title = if asked {
        "Your prediction"
    } else {
        "What the scenario expects"
    };
    // The score counts only the questions the learner answered.
    let score = props.answers.as_ref().and_then(|a| {
        let judged: Vec<bool> = qs.iter().zip(a).filter_map(|(q, s)| q.judge(s)).collect();
        let right = judged.iter().filter(|r| **r).count();
        (!judged.is_empty()).then(|| format!("{right} of {} right", judged.len()))
    });
    html! {
        <section class={classes!("checks", asked.then_some("revealed"), "changed")}
            aria-labelledby="checks-title" key={props.step}>
            <h3 id="checks-title">{title}
                if let Some(score) = score {
                    <span class="checks-score">{score}</span>
                }
            </h3>
            <ul>
                { for qs.iter().enumerate().map(|(i, q)| check_item(q, props.answers.as_ref().map(|a| a.get(i).map_or("", String::as_str)))) }
            </ul>
            if asked {
                <p class="why">{"Why: the narration above tells what the kernel did at this step."}</p>
            }
        </section>
    }
}

fn check_item(q: &Question, said: Option<&str>) -> Html {
    let verdict = verdict_line(q);
    let Some(said) = said else {
        // Not asked (predictions off, or reached by a jump): the verdict
        // alone, one line an expect.
        return html! { <li class="check compact">{ verdict }</li> };
    };
    let you = you_said(q, said);
    html! {
        <li class="check">
            <p class="check-q">{q.prompt.clone()}</p>
            <p class="check-a"><strong>{"Answer: "}</strong>{q.truth.clone()}</p>
            { you }
            { verdict }
        </li>
    }
}

/// What the learner said of one question, judged.
fn you_said(q: &Question, s: &str) -> Html {
    match q.judge(s) {
        Some(true) => html! {
            <p class="you right"><span class="mark" aria-hidden="true">{"✓"}</span>
                {format!("You said {}: right.", q.said_words(s))}</p>
        },
        Some(false) => html! {
            <p class="you wrong"><span class="mark" aria-hidden="true">{"✗"}</span>
                {format!("You said {}: not quite.", q.said_words(s))}</p>
        },
        None => html! { <p class="you skipped">{"You did not predict this one."}</p> },
    }
}

/// The expect as written and whether it holds.
fn verdict_line(q: &Question) -> Html {
    match &q.verdict {
        Ok(()) => html! {
            <p class="verdict holds"><span class="mark" aria-hidden="true">{"✓"}</span>
                <code>{q.expect.clone()}</code>{" holds"}</p>
        },
        Err(found) => html! {
            <p class="verdict fails"><span class="mark" aria-hidden="true">{"✗"}</span>
                <code>{q.expect.clone()}</code>{format!(" fails: {found}")}</p>
        },
    }
}
