//! Component tests: the app's components rendered by yew into a real DOM
//! in headless Chromium (`cargo test -p web --target
//! wasm32-unknown-unknown`, run by `cargo xtask test`), checked through
//! what a learner and a screen reader get: aria-labels, disabled states,
//! the narration's text, the alert of a broken scenario.
//!
//! Each test mounts into its own element and takes it down after; the App
//! tests set the page's query (the link) first, since the App reads it
//! when it starts, and forget the drafts they leave in localStorage.

use crate::app::App;
use crate::controls::{Controls, ControlsProps, Move};
use sim_core::engine::Sim;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{Element, HtmlButtonElement, HtmlTextAreaElement};
use yew::prelude::*;
use yew::AppHandle;

wasm_bindgen_test_configure!(run_in_browser);

/// How long a test waits for the app to show something before failing.
const PATIENCE_MS: u32 = 10_000;

fn document() -> web_sys::Document {
    web_sys::window()
        .and_then(|w| w.document())
        .expect("a browser page has a document")
}

/// A fresh element in the page's body to render into.
fn mount() -> Element {
    crate::numbers::install();
    let root = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&root).unwrap();
    root
}

/// Let the browser run timers and yew's scheduler for `ms`.
async fn sleep(ms: u32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms as i32)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

/// Wait until `find` gives something (the app renders asynchronously and
/// computes its run in slices); fail, naming `what`, after PATIENCE_MS.
async fn wait_for<T>(what: &str, mut find: impl FnMut() -> Option<T>) -> T {
    let mut waited = 0;
    loop {
        if let Some(found) = find() {
            return found;
        }
        assert!(waited < PATIENCE_MS, "after {waited} ms, still no {what}");
        sleep(20).await;
        waited += 20;
    }
}

fn select(root: &Element, selector: &str) -> Option<Element> {
    root.query_selector(selector).ok().flatten()
}

fn button(root: &Element, label: &str) -> HtmlButtonElement {
    select(root, &format!("button[aria-label=\"{label}\"]"))
        .unwrap_or_else(|| panic!("no button labelled {label:?}"))
        .dyn_into()
        .unwrap()
}

fn text(root: &Element, selector: &str) -> Option<String> {
    select(root, selector).and_then(|e| e.text_content())
}

/// Point the page at `query` (a link's `?...`) and forget every draft, so
/// that the App opens what the link says.
fn open_link(query: &str) {
    let window = web_sys::window().unwrap();
    window
        .history()
        .unwrap()
        .replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(query))
        .unwrap();
    window.local_storage().unwrap().unwrap().clear().unwrap();
}

/// Controls at `step` of `total`, reporting moves and plays into `log`.
fn controls(
    step: u32,
    total: u32,
    computing: bool,
    log: &Rc<RefCell<Vec<String>>>,
) -> ControlsProps {
    let (moves, plays) = (Rc::clone(log), Rc::clone(log));
    ControlsProps {
        step,
        total,
        computing,
        playing: false,
        step_ms: 1000,
        on_move: Callback::from(move |m: Move| moves.borrow_mut().push(format!("{m:?}"))),
        on_play: Callback::from(move |()| plays.borrow_mut().push("play".into())),
        on_speed: Callback::noop(),
        children: Html::default(),
    }
}

async fn render_controls(props: ControlsProps) -> (Element, AppHandle<Controls>) {
    let root = mount();
    let handle = yew::Renderer::<Controls>::with_root_and_props(root.clone(), props).render();
    wait_for("step counter", || text(&root, "#step-counter")).await;
    (root, handle)
}

const LABELS: [&str; 5] = [
    "First step",
    "Previous step",
    "Play",
    "Next step",
    "Last step",
];

fn disabled(root: &Element) -> Vec<bool> {
    LABELS.iter().map(|l| button(root, l).disabled()).collect()
}

#[wasm_bindgen_test]
async fn at_the_first_step_only_going_back_is_disabled() {
    let log = Rc::default();
    let (root, handle) = render_controls(controls(0, 5, false, &log)).await;
    assert_eq!(disabled(&root), [true, true, false, false, false]);
    assert_eq!(text(&root, "#step-counter").unwrap(), "Step 0 of 5");
    let scrubber = select(&root, "input[type=range][aria-label=Step]").expect("the scrubber");
    assert_eq!(scrubber.get_attribute("max").as_deref(), Some("5"));
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn at_the_last_step_only_going_back_is_enabled_unless_steps_are_still_coming() {
    let log = Rc::default();
    let (root, handle) = render_controls(controls(5, 5, false, &log)).await;
    assert_eq!(disabled(&root), [false, false, true, true, true]);
    assert_eq!(text(&root, "#step-counter").unwrap(), "Step 5 of 5");
    handle.destroy();
    root.remove();

    let (root, handle) = render_controls(controls(5, 5, true, &log)).await;
    assert_eq!(disabled(&root), [false, false, false, false, false]);
    assert_eq!(text(&root, "#step-counter").unwrap(), "Step 5 of 5…");
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn clicking_the_buttons_reports_each_move_and_play() {
    let log: Rc<RefCell<Vec<String>>> = Rc::default();
    let (root, handle) = render_controls(controls(2, 5, false, &log)).await;
    for label in [
        "Next step",
        "Previous step",
        "First step",
        "Last step",
        "Play",
    ] {
        button(&root, label).click();
    }
    assert_eq!(*log.borrow(), ["Next", "Prev", "First", "Last", "play"]);
    handle.destroy();
    root.remove();
}

/// The narration of step `n` (from 1) of `source` and its say lines, as
/// the model gives them.
fn narration_of(source: &str, n: usize) -> (String, Vec<String>) {
    let mut sim = Sim::from_source(source).unwrap();
    for _ in 0..n {
        sim.step().unwrap().expect("the lesson has that many steps");
    }
    let step = &sim.steps()[n - 1];
    (step.narration.clone(), step.says.clone())
}

#[wasm_bindgen_test]
async fn a_lesson_link_opens_at_its_step_and_narrates_exactly_what_the_model_says() {
    let lesson = sim_core::lessons::find("cow-after-fork").unwrap();
    let (narration, says) = narration_of(lesson.source, 6);
    assert!(!narration.is_empty());

    open_link("?lesson=cow-after-fork&step=6");
    let root = mount();
    let handle = yew::Renderer::<App>::with_root(root.clone()).render();
    let counter = wait_for("step 6 on the counter", || {
        text(&root, "#step-counter").filter(|t| t.starts_with("Step 6 of "))
    })
    .await;
    assert!(!counter.ends_with('…'), "the lesson is short: {counter}");
    let shown = wait_for("narration", || {
        text(&root, "#narration").filter(|t| !t.trim().is_empty())
    })
    .await;
    assert!(shown.contains(&narration), "{shown:?} lacks {narration:?}");
    for say in &says {
        assert!(shown.contains(say.as_str()), "{shown:?} lacks {say:?}");
    }
    let live = select(&root, "#narration").unwrap();
    assert_eq!(live.get_attribute("aria-live").as_deref(), Some("polite"));
    handle.destroy();
    root.remove();
}

#[wasm_bindgen_test]
async fn a_broken_scenario_in_the_editor_shows_an_alert_at_its_line_and_column() {
    open_link("?lesson=cow-after-fork");
    let root = mount();
    let handle = yew::Renderer::<App>::with_root(root.clone()).render();
    let editor: HtmlTextAreaElement = wait_for("the Scenario textarea", || {
        select(&root, "textarea[aria-label=Scenario]")
    })
    .await
    .dyn_into()
    .unwrap();
    // The editor's alert region is always on the page (a screen reader
    // hears what is put in it); it is empty while the text parses.
    assert_eq!(
        text(&root, "#editor-error[role=alert]")
            .as_deref()
            .map(str::trim),
        Some(""),
        "the lesson parses: nothing in the alert"
    );

    let broken = "process p\np: mmap heap 2\np: frobnicate heap 0\n";
    let Err(error) = Sim::from_source(broken) else {
        panic!("frobnicate is no operation, yet the text parsed");
    };
    editor.set_value(broken);
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    let input = web_sys::Event::new_with_event_init_dict("input", &init).unwrap();
    editor.dispatch_event(&input).unwrap();

    let alert = wait_for("an alert", || {
        text(&root, "#editor-error[role=alert]").filter(|t| !t.trim().is_empty())
    })
    .await;
    let at = format!("Line {}, column {}", error.pos.line, error.pos.col);
    assert_eq!(error.pos.line, 3);
    assert!(alert.contains(&at), "{alert:?} does not say {at:?}");
    handle.destroy();
    root.remove();
    open_link("?");
}

#[wasm_bindgen_test]
async fn a_malformed_link_opens_the_first_lesson_with_a_notice_saying_so() {
    open_link("?lesson=no-such-lesson&step=3");
    let root = mount();
    let handle = yew::Renderer::<App>::with_root(root.clone()).render();
    let notice = wait_for("the notice", || text(&root, "#notice")).await;
    assert!(notice.contains("could not be opened"), "{notice:?}");
    let counter = wait_for("the step counter", || text(&root, "#step-counter")).await;
    assert!(counter.starts_with("Step 0 of "), "{counter:?}");
    let lesson = select(&root, "select[aria-label=Lesson]")
        .unwrap()
        .dyn_into::<web_sys::HtmlSelectElement>()
        .unwrap();
    assert_eq!(lesson.value(), crate::app::DEFAULT_LESSON);
    handle.destroy();
    root.remove();
    open_link("?");
}

#[wasm_bindgen_test]
async fn a_draft_saved_by_the_earlier_app_opens_with_its_lesson_and_moves_to_the_new_form() {
    let lesson = sim_core::lessons::find("cow-after-fork").unwrap();
    let draft = format!("{}\n# my note: \"quoted\" and \\ kept\n", lesson.source);
    open_link("?lesson=cow-after-fork");
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    // What gloo's LocalStorage wrote: the text as a JSON string.
    let encoded = js_sys::JSON::stringify(&draft.as_str().into())
        .unwrap()
        .as_string()
        .unwrap();
    let old = crate::storage::old_key(lesson.name);
    storage.set_item(&old, &encoded).unwrap();

    let root = mount();
    let handle = yew::Renderer::<App>::with_root(root.clone()).render();
    let shown = wait_for("the editor with the draft", || {
        select(&root, "textarea[aria-label=Scenario]")
            .and_then(|t| t.dyn_into::<HtmlTextAreaElement>().ok())
            .map(|t| t.value())
            .filter(|v| v.contains("# my note"))
    })
    .await;
    assert_eq!(shown, draft, "the editor holds the draft, decoded");
    // Let the run finish before the App is taken down.
    wait_for("the whole run on the counter", || {
        text(&root, "#step-counter").filter(|t| t.starts_with("Step 0 of ") && !t.ends_with('…'))
    })
    .await;
    assert_eq!(
        storage.get_item(&crate::storage::key(lesson.name)).unwrap(),
        Some(draft.clone()),
        "the draft is saved as plain text under the new key"
    );
    assert_eq!(
        storage.get_item(&old).unwrap(),
        None,
        "the old key is gone once the new one is written"
    );
    handle.destroy();
    root.remove();
    open_link("?");
}

#[wasm_bindgen_test]
async fn the_help_says_why_the_reference_could_not_be_loaded_and_where_the_same_text_is() {
    use crate::help::{Help, HelpProps};
    let root = mount();
    let handle = yew::Renderer::<Help>::with_root_and_props(
        root.clone(),
        HelpProps {
            on_close: Callback::noop(),
        },
    )
    .render();
    // While the reference is fetched the panel says so (not asserted:
    // the test runner's answer, a 404, can come before the first look).
    wait_for("the panel's heading", || select(&root, "#help-title")).await;
    let focused = document().active_element().map(|e| e.id());
    assert_eq!(
        focused.as_deref(),
        Some("help-title"),
        "the panel's heading takes focus"
    );
    // Its own sections are there at once, without the reference: the
    // keys (static markup, static_html.rs) with each key and what it does.
    let keys = root
        .query_selector_all("#help-keys + p + dl.keys dt kbd")
        .unwrap();
    assert_eq!(keys.length(), 8, "eight keys are listed");
    assert_eq!(
        text(&root, "dl.keys dt:first-child + dd").as_deref(),
        Some("Next step")
    );
    assert!(select(&root, "#help-editing + ul.help-list li").is_some());
    // The test runner serves no help/ directory, so the fetch fails.
    let failed = wait_for("the failure note", || text(&root, ".help-doc [role=alert]")).await;
    assert!(
        failed.starts_with("The language reference could not be loaded: "),
        "{failed}"
    );
    assert!(
        failed.contains("docs/scenario-language.md in the repository"),
        "{failed}"
    );
    handle.destroy();
    root.remove();
}

/// A scenario with Node statements: two groups, a kernel statement
/// between them, and an expect on the last group.
const NODE_SCENARIO: &str = "node main\nprocess other\nmain: const w = child_process.fork('./worker.js')\nexpect main event w spawn\n";

/// The kernel steps of each Node step of `source`, as the model runs it.
fn node_groups(source: &str) -> (Sim, Vec<std::ops::RangeInclusive<u32>>) {
    crate::numbers::install();
    let mut sim = Sim::from_source(source).unwrap();
    sim.run_to_end().unwrap();
    let mut groups = Vec::new();
    let mut first = 1;
    for step in sim.steps() {
        if step.group.as_ref().is_none_or(|g| g.last) {
            groups.push(first..=step.index);
            first = step.index + 1;
        }
    }
    (sim, groups)
}

fn checkbox(root: &Element, label: &str) -> web_sys::HtmlInputElement {
    select(root, &format!("input[aria-label=\"{label}\"]"))
        .unwrap_or_else(|| panic!("no input labelled {label:?}"))
        .dyn_into()
        .unwrap()
}

async fn counter_at(root: &Element, expected: String) -> String {
    wait_for(&format!("{expected:?} on the counter"), || {
        text(root, "#step-counter").filter(|t| *t == expected)
    })
    .await
}

#[wasm_bindgen_test]
async fn a_node_lesson_moves_by_node_step_until_the_kernel_steps_switch_is_on() {
    let (sim, groups) = node_groups(NODE_SCENARIO);
    let kernel_total = sim.steps().len() as u32;
    let nodes = groups.len() as u32;
    assert_eq!(nodes, 3);
    assert!(kernel_total > nodes + 2, "the groups have several steps");
    open_link(&format!(
        "?scenario={}",
        crate::url::pack(NODE_SCENARIO).await.unwrap()
    ));
    let root = mount();
    let handle = yew::Renderer::<App>::with_root(root.clone()).render();
    counter_at(&root, format!("Step 0 of {nodes}")).await;
    let switch = checkbox(&root, "Kernel steps");
    assert!(
        !switch.checked(),
        "a Node lesson moves by Node step at first"
    );

    // Next runs the whole first group: the narration is its last step's.
    button(&root, "Next step").click();
    counter_at(&root, format!("Step 1 of {nodes}")).await;
    let end = *groups[0].end();
    let last = &sim.steps()[end as usize - 1];
    let group_line = last
        .group
        .as_ref()
        .and_then(|g| g.narration.clone())
        .unwrap();
    let shown = wait_for("the group's narration", || {
        text(&root, "#narration").filter(|t| t.contains(&group_line))
    })
    .await;
    assert!(
        shown.contains(&last.narration),
        "{shown:?} lacks {:?}",
        last.narration
    );
    // The address is written once the move pauses; `step=` is a kernel step.
    wait_for(&format!("step={end} in the address"), || {
        let url = web_sys::window().unwrap().location().search().unwrap();
        url.ends_with(&format!("&step={end}")).then_some(())
    })
    .await;

    // Next again: the kernel statement, one step.
    button(&root, "Next step").click();
    counter_at(&root, format!("Step 2 of {nodes}")).await;
    // Back: the end of the first group again.
    button(&root, "Previous step").click();
    counter_at(&root, format!("Step 1 of {nodes}")).await;

    // The switch on: the counter counts kernel steps, Next moves by one.
    switch.click();
    counter_at(&root, format!("Step {end} of {kernel_total}")).await;
    button(&root, "Next step").click();
    counter_at(&root, format!("Step {} of {kernel_total}", end + 1)).await;
    wait_for("kernel=1 in the address", || {
        let url = web_sys::window().unwrap().location().search().unwrap();
        url.ends_with(&format!("step={}&kernel=1", end + 1))
            .then_some(())
    })
    .await;
    handle.destroy();
    root.remove();
    open_link("?");
}

#[wasm_bindgen_test]
async fn a_node_step_shows_its_group_collapsed_and_the_disclosure_lists_its_kernel_steps() {
    let (sim, groups) = node_groups(NODE_SCENARIO);
    let fork = groups[2].clone();
    let end = *fork.end();
    // Predictions off, so Next does not stop to ask about the expect.
    open_link(&format!(
        "?scenario={}&step={}",
        crate::url::pack(NODE_SCENARIO).await.unwrap(),
        fork.start() - 1
    ));
    let root = mount();
    let handle = yew::Renderer::<App>::with_root(root.clone()).render();
    counter_at(&root, "Step 2 of 3".into()).await;
    checkbox(&root, "Predictions").click();
    button(&root, "Next step").click();
    counter_at(&root, "Step 3 of 3".into()).await;

    let disclosure = wait_for("the group's disclosure", || {
        select(&root, ".narration button[aria-controls=group-steps]")
    })
    .await;
    let steps = fork.clone().count();
    assert_eq!(
        disclosure.get_attribute("aria-expanded").as_deref(),
        Some("false")
    );
    assert_eq!(
        disclosure
            .text_content()
            .unwrap_or_default()
            .trim_start_matches(['▸', ' ']),
        format!("{steps} kernel steps")
    );
    assert!(
        select(&root, "#group-steps").is_none(),
        "collapsed at first"
    );
    // The live region holds the model's texts, not the list.
    let live = text(&root, "#narration").unwrap();
    assert!(!live.contains("kernel steps"), "{live:?}");

    disclosure
        .dyn_ref::<web_sys::HtmlElement>()
        .unwrap()
        .click();
    let list = wait_for("the opened list", || select(&root, "#group-steps")).await;
    assert_eq!(list.children().length() as usize, steps);
    let listed = list.text_content().unwrap_or_default();
    for k in fork.clone() {
        let step = &sim.steps()[k as usize - 1];
        assert!(
            listed.contains(&step.source),
            "{listed:?} lacks {:?}",
            step.source
        );
        let why = &step.group.as_ref().unwrap().why;
        assert!(listed.contains(why.as_str()), "{listed:?} lacks {why:?}");
    }
    assert_eq!(
        disclosure.get_attribute("aria-expanded").as_deref(),
        Some("true")
    );

    // The system-call log shows the group as one line, closed while
    // moving by Node step.
    let group_line = wait_for("the log's group line", || {
        select(&root, "#view-log .log-group.current .log-disclosure")
    })
    .await;
    assert_eq!(
        group_line.get_attribute("aria-expanded").as_deref(),
        Some("false")
    );
    let log_lines = || {
        root.query_selector_all("#view-log .log-group-lines .log-line")
            .unwrap()
            .length()
    };
    assert_eq!(log_lines(), 0);
    group_line
        .dyn_ref::<web_sys::HtmlElement>()
        .unwrap()
        .click();
    wait_for("the group's kernel lines in the log", || {
        (log_lines() as usize >= steps).then_some(())
    })
    .await;
    assert_eq!(end, sim.steps().len() as u32);
    handle.destroy();
    root.remove();
    open_link("?");
}

#[wasm_bindgen_test]
async fn lesson_10_draws_its_worker_as_a_thread_of_main_with_one_address_space() {
    let lesson = sim_core::lessons::find("node-shared-memory-vs-ipc").unwrap();
    let mut sim = Sim::from_source(lesson.source).unwrap();
    sim.run_to_end().unwrap();
    let step = sim
        .steps()
        .iter()
        .find(|s| s.source == "main: write sab 0")
        .expect("the worker's store")
        .index;
    open_link(&format!(
        "?lesson=node-shared-memory-vs-ipc&step={step}&kernel=0"
    ));
    let root = mount();
    let handle = yew::Renderer::<App>::with_root(root.clone()).render();
    let rows = wait_for("a thread row in the process tree", || {
        text(&root, "#view-tree .pt-thread")
    })
    .await;
    assert!(rows.contains("thread wk"), "{rows:?}");
    assert!(rows.contains("a thread of main"), "{rows:?}");
    // The worker is no process: no row of its own with a pid.
    let names: Vec<String> = {
        let list = root
            .query_selector_all("#view-tree .pt-row .pt-name")
            .unwrap();
        (0..list.length())
            .filter_map(|i| list.item(i).and_then(|n| n.text_content()))
            .collect()
    };
    assert_eq!(names, ["init", "main", "thread wk"], "{names:?}");
    let threads = wait_for("main's threads in the memory view", || {
        text(&root, "#view-memory .mem-threads")
    })
    .await;
    assert!(
        threads.contains("2 threads, one address space: main, wk"),
        "{threads:?}"
    );
    handle.destroy();
    root.remove();
}
