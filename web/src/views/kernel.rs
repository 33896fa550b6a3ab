//! The kernel's view: for a built-in lesson, what `forkscope check --json`
//! recorded on a real kernel (lessons/kernel/, `cargo xtask record`), shown
//! at the step on view beside the model: "Checked on Linux 6.18 (as root)",
//! then each figure the step changed as the model and the kernel show it,
//! each marked as agreeing or not; the step's expects as the check judged
//! them on both sides; and the check's own differences at the step. Any
//! text that is not a lesson's own has no recording, and the view says how
//! to check it. Recordings are fetched from the server when their lesson
//! first opens (kernel/NAME.json next to the app) and kept for the page's
//! life; until one arrives the view says it is loading, and a failed fetch
//! says why.

mod figures;
mod recording;

use crate::session::RunHandle;
use figures::{Figure, Side};
use recording::{ExpectCheck, Missing, Recording};
use sim_core::engine::Step;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use yew::prelude::*;

/// Figures shown at one step; the rest are counted ("and 3 more").
pub const MAX_FIGURES: usize = 14;

#[derive(Properties, PartialEq)]
pub struct KernelProps {
    pub run: RunHandle,
    pub step: u32,
    /// The built-in lesson shown, if the text is still the lesson's.
    pub lesson: Option<AttrValue>,
}

/// A lesson's recording as far as it got: read (or why not), or still on
/// its way.
type Loaded = Option<Rc<Result<Recording, Missing>>>;

thread_local! {
    /// Lesson name -> its recording, fetched once per page (None: the
    /// fetch is under way).
    static FETCHED: RefCell<BTreeMap<String, Loaded>> = const { RefCell::new(BTreeMap::new()) };
}

/// What is known of `name`'s recording now: None if it is not here yet.
fn fetched(name: &str) -> Loaded {
    FETCHED.with(|f| f.borrow().get(name).cloned().flatten())
}

/// Fetches `name`'s recording unless it is here or on its way (a failed
/// fetch is tried again when its lesson opens again), then redraws.
fn fetch(name: &str, redraw: impl FnOnce() + 'static) {
    let start = FETCHED.with(|f| {
        let mut f = f.borrow_mut();
        let again = match f.get(name) {
            None => true,
            Some(None) => false,
            Some(Some(got)) => matches!(**got, Err(Missing::Unfetched(..))),
        };
        if again {
            f.insert(name.to_string(), None);
        }
        again
    });
    if !start {
        return;
    }
    let name = name.to_string();
    wasm_bindgen_futures::spawn_local(async move {
        let text = sim_core::lessons::find(&name).map_or("", |l| l.source);
        let got = match fetch_text(&recording::url(&name)).await {
            Ok(json) => recording::read(&name, &json, text),
            Err(why) => Err(Missing::Unfetched(name.clone(), why)),
        };
        FETCHED.with(|f| f.borrow_mut().insert(name, Some(Rc::new(got))));
        redraw();
    });
}

/// The body of the file at `url` (relative to the page), or why not.
async fn fetch_text(url: &str) -> Result<String, String> {
    let window = web_sys::window().ok_or("there is no window")?;
    let answer = JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(js_why)?;
    let answer: web_sys::Response = answer
        .dyn_into()
        .map_err(|_| "the answer is not an HTTP response".to_string())?;
    if !answer.ok() {
        return Err(format!(
            "the server answered {} {} for {url}",
            answer.status(),
            answer.status_text()
        ));
    }
    let body = JsFuture::from(answer.text().map_err(js_why)?)
        .await
        .map_err(js_why)?;
    body.as_string()
        .ok_or_else(|| "the answer is not text".to_string())
}

/// A JavaScript error in words.
fn js_why(e: JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "the network failed".into())
}

#[function_component(KernelView)]
pub fn view(props: &KernelProps) -> Html {
    let redraw = use_force_update();
    let name = recording::recorded(props.lesson.as_deref()).map(str::to_string);
    use_effect_with(name.clone(), move |name| {
        if let Ok(name) = name {
            fetch(name, move || redraw.force_update());
        }
    });
    let body = match name.map(|n| fetched(&n)) {
        Err(missing) => missing_note(&missing),
        Ok(None) => html! {
            <p class="kernel-note kernel-loading" role="status">
                <span class="kernel-icon" aria-hidden="true">{"…"}</span>
                {"Loading the kernel's recording…"}
            </p>
        },
        Ok(Some(got)) => match &*got {
            Err(missing) => missing_note(missing),
            Ok(rec) => recorded(rec, &props.run, props.step),
        },
    };
    html! {
        <section class="view" id="view-kernel" aria-labelledby="view-kernel-title">
            <h2 id="view-kernel-title">{"On a real kernel"}</h2>
            { body }
        </section>
    }
}

/// Why there is nothing recorded to show, and what to run instead.
fn missing_note(missing: &Missing) -> Html {
    let (text, command) = match missing {
        Missing::NotALesson => (
            "Your edited scenario has no kernel recording; run ".to_string(),
            "forkscope check FILE.scn".to_string(),
        ),
        Missing::NotRecorded(name) => (
            format!("The lesson {name} has no kernel recording yet; as root, run "),
            format!("cargo xtask record {name}"),
        ),
        Missing::Stale(name) => (
            format!("The lesson {name} changed since its kernel recording was made; as root, run "),
            format!("cargo xtask record {name}"),
        ),
        Missing::Unreadable(name, why) => (
            format!("The kernel recording of {name} cannot be read ({why}); as root, run "),
            format!("cargo xtask record {name}"),
        ),
        Missing::Unfetched(name, why) => {
            return html! {
                <p class="kernel-note kernel-missing" role="alert">
                    <span class="kernel-icon" aria-hidden="true">{"!"}</span>
                    {format!("The kernel recording of {name} could not be loaded: {why}. Open the lesson again or reload the page to try again; the model's views work without it.")}
                </p>
            };
        }
    };
    let tail = if matches!(missing, Missing::NotALesson) {
        " on it (as root, to see frames) to compare it with Linux."
    } else {
        "."
    };
    html! {
        <p class="kernel-note kernel-missing">
            <span class="kernel-icon" aria-hidden="true">{"i"}</span>
            {text}<code>{command}</code>{tail}
        </p>
    }
}

/// The recording at `step`.
fn recorded(rec: &Recording, run: &RunHandle, step: u32) -> Html {
    let short = recording::short_release(&rec.release);
    let who = if rec.as_root {
        "as root"
    } else {
        "without root: frames not seen"
    };
    let verdict = match rec.status.as_str() {
        "agree" => html! { <span class="kernel-badge agree">{"✓ the whole lesson agrees"}</span> },
        "differ" => {
            html! { <span class="kernel-badge differ">{"✗ model and Linux differ in this lesson"}</span> }
        }
        other => {
            html! { <span class="kernel-badge differ">{format!("✗ the check could not finish ({other})")}</span> }
        }
    };
    let head = html! {
        <p class="kernel-head">
            <strong>{format!("Checked on Linux {short} ({who})")}</strong>
            <span class="kernel-release" title="uname -r of the kernel the recording was made on">{rec.release.clone()}</span>
            { verdict }
        </p>
    };
    let sim = run.sim();
    let body = match step.checked_sub(1).map(|i| sim.steps().get(i as usize)) {
        None => html! {
            <>
                <p class="kernel-note">{ lesson_summary(rec) }</p>
                <p class="kernel-note">{"Before the first step. Step forward: each step shows what it changed on Linux beside what it changed in the model."}</p>
            </>
        },
        Some(None) => html! {},
        Some(Some(_)) if step as usize >= rec.kernel.len() => html! {
            <p class="kernel-note kernel-stopped">
                {"The kernel run did not reach this step"}
                { rec.error.as_ref().map(|e| format!(": {e}")).unwrap_or_default() }
            </p>
        },
        Some(Some(st)) => {
            let (before, after) = (sim.observe(step - 1), sim.observe(step));
            match (before, after) {
                (Some(before), Some(after)) => {
                    let kernel = Side {
                        before: &rec.kernel[step as usize - 1],
                        after: &rec.kernel[step as usize],
                    };
                    let figs = figures::figures(
                        Side {
                            before: &before,
                            after: &after,
                        },
                        kernel,
                    );
                    html! {
                        <>
                            { figure_table(&figs, step, short) }
                            { expects(st, rec) }
                            { differences(st, rec) }
                        </>
                    }
                }
                _ => html! {},
            }
        }
    };
    html! { <>{ head }{ body }</> }
}

/// The whole recording in a sentence: its steps and how its expects were
/// judged.
pub fn lesson_summary(rec: &Recording) -> String {
    use sim_core::words::{agree, count};
    let steps = count(rec.kernel.len().saturating_sub(1) as u64, "step", "steps");
    let n = rec.expects.len();
    let alike = rec.expects.iter().filter(|e| e.status == "agree").count();
    let expects = if alike == n {
        format!(
            "{} {} judged alike on both",
            count(n as u64, "expect", "expects"),
            agree(n as u64, "was", "were")
        )
    } else {
        format!(
            "{alike} of {} judged alike on both",
            count(n as u64, "expect", "expects")
        )
    };
    format!("Recorded with forkscope check: {steps} replayed on Linux; {expects}.")
}

/// The mark of a figure or an expect: a shape and a word, never colour alone.
fn mark(agrees: bool) -> Html {
    if agrees {
        html! { <span class="kernel-mark agree"><span aria-hidden="true">{"✓"}</span>{" same"}</span> }
    } else {
        html! { <span class="kernel-mark differ"><span aria-hidden="true">{"✗"}</span>{" differs"}</span> }
    }
}

/// The step's figures, both sides, at most `MAX_FIGURES` of them (those
/// that differ first when some must be left out).
fn figure_table(figs: &[Figure], step: u32, short: &str) -> Html {
    if figs.is_empty() {
        return html! { <p class="kernel-note">{"Nothing a scenario can see changed at this step, in the model or on Linux."}</p> };
    }
    let differ = figs.iter().filter(|f| !f.agrees()).count();
    let summary = summary(figs.len(), differ);
    let shown = shown_figures(figs, MAX_FIGURES);
    let more = figs.len() - shown.len();
    html! {
        <>
            <p class={classes!("kernel-summary", (differ > 0).then_some("differ"))}>{summary}</p>
            <table class="kernel-figures" key={step.to_string()}>
                <caption>{format!("What step {step} changed, in the model and on Linux {short}")}</caption>
                <thead><tr>
                    <th scope="col">{"What"}</th>
                    <th scope="col">{"Model"}</th>
                    <th scope="col">{format!("Linux {short}")}</th>
                    <th scope="col"><span class="kernel-vh">{"Agree?"}</span></th>
                </tr></thead>
                <tbody>
                    { for shown.iter().map(|f| html! {
                        <tr class={classes!("changed", if f.agrees() { "agree" } else { "differ" })}>
                            <th scope="row">{f.what.clone()}</th>
                            <td>{f.model.clone()}</td>
                            <td>{f.kernel.clone()}</td>
                            <td>{ mark(f.agrees()) }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
            if more > 0 {
                <p class="kernel-more">{format!("and {more} more {}", sim_core::words::agree(more as u64, "figure", "figures"))}</p>
            }
        </>
    }
}

/// The step's figures in a sentence: how many, and how many differ.
pub fn summary(figures: usize, differ: usize) -> String {
    let n = sim_core::words::count(figures as u64, "figure", "figures");
    match differ {
        0 if figures == 1 => "At this step, 1 figure: as the model shows it.".into(),
        0 => format!("At this step, {n}: all as the model shows them."),
        d => format!(
            "At this step, {n}: {d} {} from the model.",
            sim_core::words::agree(d as u64, "differs", "differ")
        ),
    }
}

/// At most `max` figures, in their order, keeping every one that differs
/// first when some must be left out.
pub fn shown_figures(figs: &[Figure], max: usize) -> Vec<&Figure> {
    if figs.len() <= max {
        return figs.iter().collect();
    }
    let differ = figs.iter().filter(|f| !f.agrees()).count();
    let mut agree_room = max.saturating_sub(differ);
    figs.iter()
        .filter(|f| {
            if f.agrees() {
                let keep = agree_room > 0;
                agree_room = agree_room.saturating_sub(1);
                keep
            } else {
                true
            }
        })
        .take(max)
        .collect()
}

/// A side's verdict on an expect, in words.
pub fn verdict_words(v: &Option<Result<(), String>>) -> String {
    match v {
        Some(Ok(())) => "holds".into(),
        Some(Err(why)) => format!("fails ({why})"),
        None => "not judged".into(),
    }
}

/// What the check said of one expect of the step, in words, and whether
/// both sides judged it alike (None: not judged, or not recorded).
pub fn expect_line(check: Option<&ExpectCheck>) -> (Option<bool>, String) {
    let Some(c) = check else {
        return (None, "not in the recording".into());
    };
    match c.status.as_str() {
        "agree" => (
            Some(true),
            match &c.kernel {
                Some(Ok(())) => "holds on both".into(),
                other => format!("{} on both", verdict_words(other)),
            },
        ),
        "differ" => (
            Some(false),
            format!(
                "model: {}; Linux: {}",
                verdict_words(&c.model),
                verdict_words(&c.kernel)
            ),
        ),
        _ => (
            None,
            format!(
                "not judged{}",
                c.reason
                    .as_ref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            ),
        ),
    }
}

/// The step's expects, as the check judged them on both sides.
fn expects(step: &Step, rec: &Recording) -> Html {
    if step.expects.is_empty() {
        return html! {};
    }
    html! {
        <ul class="kernel-expects" aria-label="The step's expects, judged on both sides">
            { for step.expects.iter().map(|e| {
                let check = rec.expects.iter().find(|c| c.line == e.pos.line);
                let (ok, words) = expect_line(check);
                let (class, glyph) = match ok {
                    Some(true) => ("agree", "✓"),
                    Some(false) => ("differ", "✗"),
                    None => ("unjudged", "?"),
                };
                html! {
                    <li class={classes!("kernel-expect", class)}>
                        <span class="kernel-glyph" aria-hidden="true">{glyph}</span>
                        <code>{e.text.clone()}</code>
                        <span class="kernel-verdict">{words}</span>
                    </li>
                }
            }) }
        </ul>
    }
}

/// The differences `forkscope check` itself found at the step.
fn differences(step: &Step, rec: &Recording) -> Html {
    let rows: Vec<_> = rec
        .differences
        .iter()
        .filter(|d| d.line == step.pos.line)
        .flat_map(|d| &d.rows)
        .collect();
    if rows.is_empty() {
        return html! {};
    }
    html! {
        <div class="kernel-check-diff" role="note">
            <p><span aria-hidden="true">{"✗ "}</span>{"forkscope check found these differences here:"}</p>
            <ul>
                { for rows.iter().map(|r| html! {
                    <li><code>{r.what.clone()}</code>{format!(": model {}, Linux {}", r.model, r.kernel)}</li>
                }) }
            </ul>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::engine::Sim;

    fn fig(what: &str, model: &str, kernel: &str) -> Figure {
        Figure {
            what: what.into(),
            model: model.into(),
            kernel: kernel.into(),
        }
    }

    #[test]
    fn every_figure_of_every_lesson_agrees_with_its_recording_at_every_step() {
        for lesson in sim_core::lessons::all() {
            let rec = recording::find(Some(lesson.name), lesson.source).unwrap();
            if rec.status != "agree" {
                continue;
            }
            let mut sim = Sim::from_source(lesson.source).unwrap();
            sim.run_to_end().unwrap();
            let mut shown = 0;
            for step in 1..=sim.steps().len() {
                let (b, a) = (
                    sim.observe(step as u32 - 1).unwrap(),
                    sim.observe(step as u32).unwrap(),
                );
                let figs = figures::figures(
                    Side {
                        before: &b,
                        after: &a,
                    },
                    Side {
                        before: &rec.kernel[step - 1],
                        after: &rec.kernel[step],
                    },
                );
                for f in &figs {
                    assert!(f.agrees(), "{} step {step}: {f:?}", lesson.name);
                }
                shown += figs.len();
            }
            assert!(
                shown >= sim.steps().len(),
                "{}: every step shows a figure",
                lesson.name
            );
        }
    }

    #[test]
    fn the_summary_counts_figures_and_those_that_differ_in_words() {
        assert_eq!(
            summary(1, 0),
            "At this step, 1 figure: as the model shows it."
        );
        assert_eq!(
            summary(4, 0),
            "At this step, 4 figures: all as the model shows them."
        );
        assert_eq!(
            summary(4, 1),
            "At this step, 4 figures: 1 differs from the model."
        );
        assert_eq!(
            summary(4, 2),
            "At this step, 4 figures: 2 differ from the model."
        );
    }

    #[test]
    fn when_figures_are_cut_the_ones_that_differ_stay() {
        let mut figs: Vec<Figure> = (0..20)
            .map(|i| fig(&format!("p{i} state"), "running", "running"))
            .collect();
        figs[17] = fig("p17 state", "running", "zombie");
        let shown = shown_figures(&figs, 5);
        assert_eq!(shown.len(), 5);
        assert!(shown.iter().any(|f| f.what == "p17 state"));
        assert_eq!(shown[0].what, "p0 state", "the rest keep their order");
        assert_eq!(shown_figures(&figs[..3], 5).len(), 3);
    }

    #[test]
    fn an_expect_is_told_as_the_check_judged_it() {
        let check = |status: &str, kernel: Option<Result<(), String>>| ExpectCheck {
            line: 4,
            text: "expect p faults 1".into(),
            status: status.into(),
            reason: (status == "not_judged").then(|| "frame numbers need root".into()),
            model: Some(Ok(())),
            kernel,
        };
        assert_eq!(
            expect_line(Some(&check("agree", Some(Ok(()))))),
            (Some(true), "holds on both".into())
        );
        assert_eq!(
            expect_line(Some(&check("differ", Some(Err("it took 2".into()))))),
            (Some(false), "model: holds; Linux: fails (it took 2)".into())
        );
        assert_eq!(
            expect_line(Some(&check("not_judged", None))),
            (None, "not judged: frame numbers need root".into())
        );
    }
}
