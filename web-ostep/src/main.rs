//! The web app's fork.py worker (index.html builds it with trunk as
//! `data-type="worker"`): it says "ready" once it listens (its wasm loads
//! after the worker starts, and a message before that would be lost);
//! then each message is `[options, seed]`; the answer is
//! sim-core's `ostep::prepared::to_message` of the run, an array of
//! strings. Running fork.py here keeps its code (the option reader, the
//! random actions, the drawings) out of the app's own wasm, which every
//! learner downloads; this one only comes with the OSTEP entry.

use sim_core::ostep::prepared;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

fn main() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let answer_to = scope.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        let request = js_sys::Array::from(&e.data());
        let command = request.get(0).as_string().unwrap_or_default();
        let seed = request.get(1).as_f64().unwrap_or(0.0) as u32;
        let run = prepared::prepare(&command, || seed);
        let answer: js_sys::Array = prepared::to_message(&run)
            .into_iter()
            .map(|s| wasm_bindgen::JsValue::from_str(&s))
            .collect();
        // A failed post has no one to tell: the app's request waits, and
        // the learner can run fork.py again.
        answer_to.post_message(&answer).ok();
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    // A message the app posted before this listened is lost: the app
    // waits for this word before it sends any (web/src/ostep.rs).
    scope
        .post_message(&wasm_bindgen::JsValue::from_str("ready"))
        .ok();
}
