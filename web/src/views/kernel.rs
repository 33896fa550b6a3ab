//! The kernel's view: for a built-in lesson, what `forkscope check --json`
//! recorded on a real kernel (lessons/kernel/, `cargo xtask record`), shown
//! at the step on view beside the model: "Checked on Linux 6.18 (as root)",
//! then each figure the step changed as the model and the kernel show it,
//! each marked as agreeing or not; the step's expects as the check judged
//! them on both sides; and the check's own differences at the step. Any
//! text that is not a lesson's own has no recording, and the view says how
//! to check it.
//!
//! All of that is worked out at build time on the host (web-assets,
//! digest.rs): each lesson's digest, kernel/NAME.json next to the app,
//! holds the HTML of every step, and is fetched when its lesson first
//! opens and kept for the page's life. The view reads its few fields with
//! the browser's JSON parser and inserts the HTML; until it arrives the
//! view says it is loading, and a failed fetch says why.

use crate::served;
use crate::session::RunHandle;
use litemap::LiteMap;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsValue;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct KernelProps {
    pub run: RunHandle,
    pub step: u32,
    /// The built-in lesson shown, if the text is still the lesson's.
    pub lesson: Option<AttrValue>,
}

/// A lesson's digest, as made by web-assets.
enum Digest {
    /// Why the lesson has no recording to show (HTML).
    Note(AttrValue),
    /// The head (HTML) and each step's HTML, the first for before the
    /// first step.
    Steps {
        head: AttrValue,
        steps: Vec<AttrValue>,
    },
}

/// A view's redraw, waiting for a digest.
type Redraw = Box<dyn FnOnce()>;

/// A lesson's digest as far as it got.
enum State {
    /// On its way, with the views to redraw when it arrives (a view drawn
    /// again meanwhile, as a new component, waits too).
    Waiting(Vec<Redraw>),
    /// Read, or why it could not be fetched or read.
    Done(Rc<Result<Digest, String>>),
}

thread_local! {
    /// Lesson name -> its digest, fetched once per page.
    static FETCHED: RefCell<LiteMap<String, State>> = const { RefCell::new(LiteMap::new()) };
}

/// `name`'s digest (or why there is none), if its fetch has ended.
fn fetched(name: &str) -> Option<Rc<Result<Digest, String>>> {
    FETCHED.with(|f| match f.borrow().get(name) {
        Some(State::Done(got)) => Some(Rc::clone(got)),
        _ => None,
    })
}

/// Fetches `name`'s digest unless it is here or on its way (a failed fetch
/// is tried again when its lesson opens again); while it is on its way,
/// `redraw` is called when it arrives.
fn fetch(name: &str, redraw: impl FnOnce() + 'static) {
    let start = FETCHED.with(|f| {
        let mut f = f.borrow_mut();
        match f.get_mut(name) {
            Some(State::Waiting(waiting)) => {
                waiting.push(Box::new(redraw));
                false
            }
            Some(State::Done(got)) if got.is_ok() => false,
            _ => {
                f.insert(name.to_string(), State::Waiting(vec![Box::new(redraw)]));
                true
            }
        }
    });
    if !start {
        return;
    }
    let name = name.to_string();
    wasm_bindgen_futures::spawn_local(async move {
        let got = crate::fetch::text(&served::kernel_digest(&name))
            .await
            .and_then(|json| read(&json));
        let before = FETCHED.with(|f| f.borrow_mut().insert(name, State::Done(Rc::new(got))));
        if let Some(State::Waiting(waiting)) = before {
            for redraw in waiting {
                redraw();
            }
        }
    });
}

/// A digest's JSON read with the browser's parser, or why it is not one.
fn read(json: &str) -> Result<Digest, String> {
    let doc = js_sys::JSON::parse(json)
        .map_err(|e| format!("its file is not JSON ({})", crate::fetch::js_why(e)))?;
    let field = |name: &str| {
        js_sys::Reflect::get(&doc, &JsValue::from_str(name))
            .ok()
            .filter(|v| !v.is_undefined())
    };
    if let Some(note) = field(served::NOTE) {
        let note = note.as_string().ok_or("its note is not text")?;
        return Ok(Digest::Note(note.into()));
    }
    let head = field(served::HEAD)
        .and_then(|h| h.as_string())
        .ok_or("its file has no head")?;
    let steps = field(served::STEPS)
        .filter(js_sys::Array::is_array)
        .ok_or("its file has no steps")?;
    let steps = js_sys::Array::from(&steps)
        .iter()
        .map(|s| s.as_string().map(AttrValue::from))
        .collect::<Option<Vec<_>>>()
        .ok_or("a step of its file is not text")?;
    Ok(Digest::Steps {
        head: head.into(),
        steps,
    })
}

#[function_component(KernelView)]
pub fn view(props: &KernelProps) -> Html {
    let redraw = use_force_update();
    let name = props
        .lesson
        .as_deref()
        .and_then(sim_core::lessons::entry)
        .map(|l| l.name);
    use_effect_with(name, move |name| {
        if let Some(name) = name {
            fetch(name, move || redraw.force_update());
        }
    });
    let body = match name.map(|n| (n, fetched(n))) {
        None => not_a_lesson(),
        Some((_, None)) => html! {
            <p class="kernel-note kernel-loading" role="status">
                <span class="kernel-icon" aria-hidden="true">{"…"}</span>
                {"Loading the kernel's recording…"}
            </p>
        },
        Some((name, Some(got))) => match &*got {
            Err(why) => html! {
                <p class="kernel-note kernel-missing" role="alert">
                    <span class="kernel-icon" aria-hidden="true">{"!"}</span>
                    {format!("The kernel recording of {name} could not be loaded: {why}. Open the lesson again or reload the page to try again; the model's views work without it.")}
                </p>
            },
            Ok(Digest::Note(note)) => Html::from_html_unchecked(note.clone()),
            Ok(Digest::Steps { head, steps }) => {
                // The step's HTML once the model has reached it too.
                let reached = props.run.sim().steps().len() >= props.step as usize;
                let step = steps
                    .get(props.step as usize)
                    .filter(|_| reached)
                    .cloned()
                    .unwrap_or_default();
                html! {
                    <>
                        { Html::from_html_unchecked(head.clone()) }
                        { Html::from_html_unchecked(step) }
                    </>
                }
            }
        },
    };
    html! {
        <section class="view" id="view-kernel" aria-labelledby="view-kernel-title">
            <h2 id="view-kernel-title">{"On a real kernel"}</h2>
            { body }
        </section>
    }
}

/// What to run to compare a text that is not a lesson's with Linux.
fn not_a_lesson() -> Html {
    html! {
        <p class="kernel-note kernel-missing">
            <span class="kernel-icon" aria-hidden="true">{"i"}</span>
            {"Your edited scenario has no kernel recording; run "}<code>{"forkscope check FILE.scn"}</code>{" on it (as root, to see frames) to compare it with Linux."}
        </p>
    }
}
