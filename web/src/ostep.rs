//! The OSTEP fork.py entry: fork.py's options in (`-s 4 -a 6`, `-A
//! a+b,b-`, `-R`, `-L`, `-f`, `-P`), its actions made into a scenario that
//! the app steps through with Linux's rules, and beside the views, at each
//! action, fork.py's own tree (behind a prediction, as fork.py's `-c`
//! hides it) and Linux's tree, with where the two differ.
//!
//! fork.py itself runs in a web worker (the web-ostep crate: sim-core's
//! `ostep::prepared::prepare`), so the app's own wasm carries none of its
//! code: `request` sends the options and hands back the run. The scenario
//! is what `forkscope ostep --scenario` prints: each action is one
//! statement, or an exit and its parent's wait, so the step shown says
//! which action it is of. `OstepPanel` draws one action.

use crate::session::RunHandle;
use sim_core::ostep::prepared;
pub use sim_core::ostep::prepared::Prepared;
use sim_core::scenario::ast::StateName;
use sim_core::world::World;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{MessageEvent, Worker};
use yew::prelude::*;

/// What the entry opens with the first time.
pub const DEFAULT_COMMAND: &str = "-s 4 -a 6";

/// The worker's loader, next to the app (index.html builds web-ostep as a
/// worker, not hashed: trunk names it after its binary).
const WORKER: &str = "./ostep-worker_loader.js";

/// The worker, made the first time the entry runs fork.py.
struct Handle {
    worker: Worker,
    /// It said it listens: a message posted before that is lost (its
    /// wasm loads after its script has started).
    ready: bool,
    /// The request waiting for it to be ready (the latest one).
    queued: Option<js_sys::Array>,
    /// Where its next answer goes.
    reply: Option<Reply>,
}

thread_local! {
    static HANDLE: RefCell<Option<Handle>> = const { RefCell::new(None) };
}

type Reply = Box<dyn FnOnce(Result<Prepared, String>)>;

/// What the worker says once it listens (web-ostep/src/main.rs).
const READY: &str = "ready";

/// Asks the worker to run fork.py with `command` (`seed` when it has no
/// `-s`); `reply` gets the run, or why not. A request made before the
/// last one was answered takes its place.
pub fn request(command: &str, seed: u32, reply: impl FnOnce(Result<Prepared, String>) + 'static) {
    let message = js_sys::Array::of2(&command.into(), &seed.into());
    let started = HANDLE.with(|cell| {
        let mut cell = cell.borrow_mut();
        if cell.is_none() {
            *cell = start_worker().ok();
        }
        let handle = cell.as_mut()?;
        handle.reply = Some(Box::new(reply));
        if handle.ready {
            handle.worker.post_message(&message).ok()?;
        } else {
            handle.queued = Some(message);
        }
        Some(())
    });
    if started.is_none() {
        answer(Err("the fork.py worker could not be started".into()));
    }
}

/// Hands `got` to the callback waiting for it.
fn answer(got: Result<Prepared, String>) {
    let reply = HANDLE.with(|cell| cell.borrow_mut().as_mut().and_then(|h| h.reply.take()));
    if let Some(reply) = reply {
        reply(got);
    }
}

/// The worker said it listens: send what waited.
fn ready() {
    HANDLE.with(|cell| {
        if let Some(handle) = cell.borrow_mut().as_mut() {
            handle.ready = true;
            if let Some(message) = handle.queued.take() {
                handle.worker.post_message(&message).ok();
            }
        }
    });
}

fn start_worker() -> Result<Handle, JsValue> {
    let worker = Worker::new(WORKER)?;
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(|e: MessageEvent| {
        let data = e.data();
        if data.as_string().as_deref() == Some(READY) {
            ready();
            return;
        }
        let strings: Vec<String> = js_sys::Array::from(&data)
            .iter()
            .map(|v| v.as_string().unwrap_or_default())
            .collect();
        answer(prepared::from_message(&strings));
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(|_| {
        answer(Err(
            "the fork.py worker could not be loaded: reload the page to try again".into(),
        ));
    });
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    on_error.forget();
    Ok(Handle {
        worker,
        ready: false,
        queued: None,
        reply: None,
    })
}

/// Linux's tree at `world`: init, then every process that is not gone,
/// under its parent, with fork.py's `fancy` lines; and each process with
/// its parent.
fn linux_tree(world: &World) -> (String, Vec<(String, String)>) {
    let mut parents: Vec<(String, String, bool)> = world
        .names()
        .filter_map(|n| {
            let proc = world.proc(world.pid_of(n)?);
            let state = proc.state.name();
            (state != StateName::Gone).then(|| {
                (
                    n.to_string(),
                    world.name_of(proc.parent).to_string(),
                    state == StateName::Zombie,
                )
            })
        })
        .collect();
    sim_core::sort::sort_by_key(&mut parents, |p| p.0.clone());
    let mut text = String::from("init");
    draw_under("init", "", &parents, &mut text);
    let pairs = parents
        .into_iter()
        .map(|(child, parent, _)| (child, parent))
        .collect();
    (text, pairs)
}

fn draw_under(parent: &str, indent: &str, all: &[(String, String, bool)], out: &mut String) {
    let children: Vec<&(String, String, bool)> =
        all.iter().filter(|(_, p, _)| p == parent).collect();
    for (i, (name, _, zombie)) in children.iter().enumerate() {
        let last = i + 1 == children.len();
        out.push('\n');
        out.push_str(indent);
        out.push_str(if last { "└── " } else { "├── " });
        out.push_str(name);
        if *zombie {
            out.push_str(" (zombie)");
        }
        let deeper = format!("{indent}{}", if last { "    " } else { "│   " });
        draw_under(name, &deeper, all, out);
    }
}

/// Where fork.py's tree and Linux's differ: each process whose parent is
/// not the same, in a sentence.
fn differences(forkpy: &[(String, String)], linux: &[(String, String)]) -> Vec<String> {
    let mut out = Vec::new();
    for (child, parent) in linux {
        match forkpy.iter().find(|(c, _)| c == child) {
            Some((_, p)) if p != parent => out.push(format!(
                "{child}'s parent is {parent} on Linux, {p} in fork.py"
            )),
            None if parent != "init" || child != "a" => out.push(format!(
                "{child} is still in Linux's tree (its parent {parent})"
            )),
            _ => {}
        }
    }
    out
}

#[derive(Properties)]
pub struct OstepProps {
    pub run: RunHandle,
    pub step: u32,
    pub prepared: Rc<Prepared>,
    /// Ask before showing fork.py's tree (the app's prediction switch).
    pub predictions: bool,
    /// Run fork.py with other options.
    pub on_command: Callback<String>,
}

/// The run is compared by identity: a new fork.py run is a new `Rc`, and
/// comparing its text (up to a 1 MiB scenario) on every step would cost
/// what drawing does.
impl PartialEq for OstepProps {
    fn eq(&self, other: &Self) -> bool {
        self.run == other.run
            && self.step == other.step
            && Rc::ptr_eq(&self.prepared, &other.prepared)
            && self.predictions == other.predictions
            && self.on_command == other.on_command
    }
}

#[function_component(OstepPanel)]
pub fn panel(props: &OstepProps) -> Html {
    let input = use_node_ref();
    let p = &props.prepared;
    let sim = props.run.sim();
    let line = props
        .step
        .checked_sub(1)
        .and_then(|i| sim.steps().get(i as usize))
        .map(|s| s.pos.line);
    let done = p.actions_done(line);
    let (words, forkpy_tree, forkpy_parents) = match done.checked_sub(1).map(|i| &p.acts[i]) {
        Some(a) => (
            format!("Action {done} of {}: {}", p.acts.len(), a.words),
            a.tree.as_str(),
            a.parents.as_slice(),
        ),
        None => (
            format!("Before the first of {} actions", p.acts.len()),
            p.initial.as_str(),
            &[][..],
        ),
    };
    let (linux, linux_parents) = match sim.world(props.step) {
        Some(world) => linux_tree(world),
        None => (String::new(), Vec::new()),
    };
    let differ = differences(forkpy_parents, &linux_parents);
    let submit = {
        let input = input.clone();
        let on_command = props.on_command.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if let Some(field) = input.cast::<web_sys::HtmlInputElement>() {
                on_command.emit(field.value());
            }
        })
    };
    // Predict, then reveal, as fork.py's -c does: a <details> per action
    // (keyed by it, so the next action's starts closed), open at once when
    // predictions are off.
    html! {
        <section class="ostep" aria-labelledby="ostep-title">
            <h2 id="ostep-title">{"OSTEP fork.py"}</h2>
            <form class="os-form" onsubmit={submit}>
                <label>{"./fork.py "}
                    <input ref={input} type="text" aria-label="fork.py options" value={p.command.clone()} spellcheck="false" />
                </label>
                <button type="submit">{"Run"}</button>
            </form>
            if let Some(note) = &p.seed_note {
                <p class="os-note">{ note.clone() }</p>
            }
            <p class="os-action" aria-live="polite">{ words }</p>
            <div class="os-trees">
                <details key={done} class="os-reveal" open={!props.predictions || done == 0}>
                    <summary>{"fork.py's tree (predict it, then open)"}</summary>
                    <pre class="os-tree" aria-label="fork.py's tree">{ forkpy_tree }</pre>
                    if !differ.is_empty() {
                        <p class="os-differ">{"They differ: "}{ differ.join("; ") }{ WHY_THEY_DIFFER }</p>
                    }
                </details>
                <div><h3>{"Linux's tree"}</h3><pre class="os-tree" aria-label="Linux's tree">{ linux }</pre></div>
            </div>
        </section>
    }
}

/// After the differences, once.
const WHY_THEY_DIFFER: &str = ". fork.py moves an exiting process's children, and all theirs, to a (with -R its children to its parent); on Linux its children go to the nearest subreaper, here a, and keep their own children.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linux_and_fork_py_differ_where_an_orphan_goes() {
        let forkpy = [("c".to_string(), "a".to_string())];
        let linux = [
            ("a".to_string(), "init".to_string()),
            ("c".to_string(), "init".to_string()),
        ];
        assert_eq!(
            differences(&forkpy, &linux),
            ["c's parent is init on Linux, a in fork.py"]
        );
        assert!(differences(
            &forkpy,
            &[("a".into(), "init".into()), ("c".into(), "a".into())]
        )
        .is_empty());
    }
}
