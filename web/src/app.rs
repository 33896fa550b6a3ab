//! The app: which scenario is open (a lesson or edited text), the run, the
//! step shown, playback, predictions, and the URL that carries it all.
//!
//! State flows one way: messages change `App`, `App` draws the header, the
//! editor, the controls and the views from the run and the step shown.

use crate::controls::{Controls, Move, SPEEDS};
use crate::editor::{Editor, ShownError};
use crate::help::Help;
use crate::node_steps::{self, NodeSteps};
use crate::ostep::{self, OstepPanel};
use crate::predict::{Checks, Predict};
use crate::session::RunHandle;
use crate::storage;
use crate::url::{self, Link, Target};
use crate::views::kernel::KernelView;
use crate::views::log::LogView;
use crate::views::memory::MemoryView;
use crate::views::narration::Narration;
use crate::views::node::NodeView;
use crate::views::queues::QueuesView;
use crate::views::signals::SignalsView;
use crate::views::tree::TreeView;
use gloo::events::EventListener;
use gloo::timers::callback::{Interval, Timeout};
use litemap::LiteMap;
use sim_core::lessons::{self, LessonEntry};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::{HtmlSelectElement, KeyboardEvent};
use yew::prelude::*;

/// The lesson a bare or broken link opens.
pub const DEFAULT_LESSON: &str = "cow-after-fork";
/// The draft slot of text that is no lesson's (from a link or typed).
const SCRATCH: &str = "scratch";
/// The lesson picker's value for that text.
const SCRATCH_OPTION: &str = "@scratch";
/// The draft slot of a scratch text that a link's text replaced.
const EARLIER: &str = "earlier";
/// The lesson picker's value for that text.
const EARLIER_OPTION: &str = "@earlier";
/// How long one slice of computing a run may take, in milliseconds.
const SLICE_MS: f64 = 12.0;
/// How long typing must pause before the text is run again.
const RERUN_DELAY_MS: u32 = 250;
/// How long after the last move the address bar is written. Writing it
/// costs milliseconds for a long text's link (a 76 KB query), which a
/// scrub or a fast play would pay on every step; the link is written once
/// the motion pauses, and at once when playing stops.
const URL_DELAY_MS: u32 = 200;

/// Send `msg` to the App in `ms` milliseconds, unless the timer is dropped
/// first (one closure for every such timer keeps the wasm smaller).
fn later(ctx: &Context<App>, ms: u32, msg: Msg) -> Timeout {
    let link = ctx.link().clone();
    Timeout::new(ms, move || link.send_message(msg))
}

/// The draft slot of an edited OSTEP fork.py scenario, and the option of
/// the lesson list that opens the entry.
const OSTEP: &str = "ostep";
const OSTEP_OPTION: &str = "@ostep";
/// Where the last fork.py options are kept (the entry opens with them).
const OSTEP_COMMAND: &str = "ostep-command";

/// Where the text came from: a lesson (possibly edited), OSTEP's fork.py
/// (its actions as a scenario, possibly edited), or elsewhere.
#[derive(Clone, Debug, PartialEq)]
pub enum Origin {
    Lesson(&'static LessonEntry),
    Ostep(Rc<ostep::Prepared>),
    Scratch,
}

impl Origin {
    fn slot(&self) -> &str {
        match self {
            Origin::Lesson(l) => l.name,
            Origin::Ostep(_) => OSTEP,
            Origin::Scratch => SCRATCH,
        }
    }
}

pub enum Msg {
    /// Compute the next slice of the run `id`.
    Compute(u64),
    Move(Move),
    TogglePlay,
    Tick,
    /// The time between steps while playing, ms.
    Speed(u32),
    Edit(String),
    /// Run the text again if it is still edit number `n`.
    Rerun(u64),
    OpenLesson(String),
    /// Lesson `name`'s own text arrived (fetched from next to the app), or
    /// why not.
    LessonLoaded(&'static str, Result<String, String>),
    /// The scenario in the link the app opened with, inflated, or why not.
    LinkText(Result<String, url::LinkError>),
    /// Text version `n`'s `scenario=` link part, packed, or why not.
    Packed(u64, Result<String, String>),
    /// Open a saved text that is no lesson's (from a link, or typed): the
    /// draft slot `SCRATCH`, or `EARLIER` (one a link's text replaced).
    OpenScratch(&'static str),
    /// Go back to the lesson's own text (the draft is forgotten).
    RestoreLesson,
    /// Run OSTEP's fork.py with these options.
    OpenOstep(String),
    /// fork.py's run for these options, from its worker, or why not.
    OstepReady(String, Result<ostep::Prepared, String>),
    Reveal,
    /// The learner answered question `i` of the step being predicted.
    Pick(usize, String),
    TogglePredictions,
    ToggleHelp,
    Key(KeyboardEvent),
    DismissNotice,
    /// Write the address bar (the moves before it were left unwritten).
    WriteUrl,
    /// Go to kernel step `n` (a line of the system-call log), whichever
    /// way the controls move.
    Jump(u32),
    /// The "Kernel steps" switch: move one kernel step at a time, or one
    /// Node statement.
    ToggleKernelSteps,
}

pub struct App {
    /// The app's own link, for the tasks the browser finishes later
    /// (compressing the text for the address bar).
    scope: yew::html::Scope<App>,
    /// The text version whose link is being packed, if one is.
    packing: std::cell::Cell<Option<u64>>,
    origin: Origin,
    /// The open lesson's own text, once it has arrived: the app carries
    /// only the lessons' names and titles, and fetches a lesson's text
    /// when it opens it (None for a text that is no lesson's).
    lesson_text: Option<String>,
    /// The lesson's text is on its way and will fill the editor: nothing
    /// was typed since it was opened (typing wins over the text that
    /// arrives late).
    loading: bool,
    /// fork.py's options whose run the worker is making, while the app has
    /// nothing else to show (a link that opens the OSTEP entry).
    ostep_pending: Option<String>,
    text: String,
    /// The same text as the editor's prop: shared, so that drawing a step
    /// neither copies nor compares the text (a megabyte, for a long run).
    shared_text: AttrValue,
    /// The last run whose text parsed (shown while the text is broken).
    run: RunHandle,
    next_id: u64,
    /// The parse error of the text as it is now, if it does not parse.
    parse_error: Option<ShownError>,
    /// The step shown.
    step: u32,
    /// A step the link asked for, reached once it is computed.
    wanted: Option<u32>,
    /// Where the run's Node steps end (read as the run is computed).
    node_steps: NodeSteps,
    /// The text has Node statements: the "Kernel steps" switch is shown.
    node_lesson: bool,
    /// The switch is on: move one kernel step at a time even in a Node
    /// lesson (off by default; `&kernel=1` in the link).
    kernel_steps: bool,
    playing: Option<Interval>,
    /// The time between steps while playing, ms.
    step_ms: u32,
    predictions: bool,
    /// A step whose expects the learner is asked to predict; the views
    /// show the step before it until the learner reveals.
    asking: Option<u32>,
    /// What the learner answered so far for the step being predicted
    /// (one entry per question; "" for none).
    draft: Vec<String>,
    /// Steps already predicted (per run), with what the learner said.
    answers: LiteMap<u32, Vec<String>>,
    help: bool,
    embed: bool,
    /// A message for the learner: a link that could not be read, a draft
    /// restored.
    notice: Option<String>,
    edits: u64,
    /// A text that is no lesson's is saved in this browser.
    scratch_saved: bool,
    /// So is an earlier one, which a link's text replaced.
    earlier_saved: bool,
    help_button: NodeRef,
    /// Give the focus back to the Help button after the next render.
    refocus_help: bool,
    /// Bumped by `set_text`: which text `link_target` was made from.
    text_version: u64,
    /// The link's `lesson=` or `scenario=` part for text `text_version`.
    link_target: std::cell::RefCell<Option<(u64, String)>>,
    /// `performance.mark("forkscope-ready")` was set: the first run is
    /// computed and drawn (the end-to-end tests time first render by it).
    ready_marked: bool,
    rerun: Option<Timeout>,
    compute: Option<Timeout>,
    /// The pending address-bar write after a move (dropping it cancels it).
    url_later: Option<Timeout>,
    _keys: Option<EventListener>,
}

impl Component for App {
    type Message = Msg;
    type Properties = ();

    fn create(ctx: &Context<Self>) -> Self {
        let query = web_sys::window()
            .and_then(|w| w.location().search().ok())
            .unwrap_or_default();
        let default = lessons::entry(DEFAULT_LESSON).expect("the default lesson is built in");
        let (link, notice) = match url::parse(&query) {
            Ok(link) => (link, None),
            Err(e) => (
                Link {
                    target: None,
                    step: 0,
                    embed: query.contains("embed=1"),
                    kernel: false,
                },
                Some(format!(
                    "This link could not be opened: {e}. Here is the first lesson instead."
                )),
            ),
        };
        let origin = match &link.target {
            Some(Target::Packed(_)) => Origin::Scratch,
            Some(Target::Lesson(name)) => {
                Origin::Lesson(lessons::entry(name).expect("url::parse checks lesson names"))
            }
            // `open_ostep` below sets it (to the default lesson if fork.py
            // refuses the options).
            Some(Target::Ostep(_)) | None => Origin::Lesson(default),
        };
        let keys = web_sys::window().map(|w| {
            let link = ctx.link().clone();
            EventListener::new(&w, "keydown", move |e| {
                if let Some(e) = e.dyn_ref::<KeyboardEvent>() {
                    link.send_message(Msg::Key(e.clone()));
                }
            })
        });
        let mut app = App {
            scope: ctx.link().clone(),
            packing: std::cell::Cell::new(None),
            origin: origin.clone(),
            lesson_text: None,
            loading: false,
            ostep_pending: None,
            text: String::new(),
            shared_text: AttrValue::default(),
            // Not `expect`: its message would bring ScenarioError's Debug
            // (every variant's name) into the wasm.
            run: RunHandle::parse("", 0)
                .unwrap_or_else(|_| unreachable!("the empty scenario parses")),
            next_id: 1,
            parse_error: None,
            step: 0,
            wanted: Some(link.step),
            node_steps: NodeSteps::default(),
            node_lesson: false,
            kernel_steps: link.kernel,
            playing: None,
            step_ms: SPEEDS[0].1,
            predictions: true,
            asking: None,
            draft: Vec::new(),
            answers: LiteMap::new(),
            help: false,
            embed: link.embed,
            notice,
            edits: 0,
            scratch_saved: storage::load(SCRATCH).is_some(),
            earlier_saved: storage::load(EARLIER).is_some(),
            help_button: NodeRef::default(),
            refocus_help: false,
            text_version: 0,
            link_target: Default::default(),
            ready_marked: false,
            rerun: None,
            compute: None,
            url_later: None,
            _keys: keys,
        };
        match (origin, link.target) {
            (_, Some(Target::Ostep(command))) => app.open_ostep(ctx, &command),
            (Origin::Lesson(lesson), _) => app.open_lesson(ctx, lesson),
            (Origin::Scratch, Some(Target::Packed(bytes))) => {
                // The browser inflates the link's text; it arrives as a
                // message.
                app.loading = true;
                let link = ctx.link().clone();
                wasm_bindgen_futures::spawn_local(async move {
                    link.send_message(Msg::LinkText(url::unpack(&bytes).await));
                });
            }
            (Origin::Scratch | Origin::Ostep(_), _) => app.start_run(ctx),
        }
        app
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        match msg {
            Msg::Compute(id) => {
                if id != self.run.id() {
                    return false;
                }
                // A slice of about one frame, so the page stays responsive
                // while a long run computes.
                let perf = web_sys::window().and_then(|w| w.performance());
                let start = perf.as_ref().map_or(0.0, |p| p.now());
                self.run = self
                    .run
                    .advance(|| perf.as_ref().is_none_or(|p| p.now() - start > SLICE_MS));
                self.node_steps.extend(self.run.sim().steps());
                if let Some(want) = self.wanted {
                    if self.run.ready() >= want || self.run.is_finished() {
                        self.step = want.min(self.run.ready());
                        self.wanted = None;
                        self.sync_url();
                    }
                }
                self.compute = if self.run.is_finished() {
                    None
                } else {
                    Some(later(ctx, 0, Msg::Compute(id)))
                };
                true
            }
            Msg::Move(m) => {
                self.go(ctx, m);
                true
            }
            Msg::TogglePlay => {
                if self.playing.take().is_none() {
                    if self.step >= self.run.ready() {
                        self.step = 0;
                    }
                    self.start_playing(ctx);
                } else {
                    self.flush_url();
                }
                true
            }
            Msg::Tick => {
                if self.asking.is_some() || self.at_end() {
                    self.playing = None;
                    self.flush_url();
                } else {
                    self.go(ctx, Move::Next);
                }
                true
            }
            Msg::WriteUrl => {
                self.flush_url();
                false
            }
            Msg::Speed(ms) => {
                self.step_ms = ms;
                if self.playing.is_some() {
                    self.start_playing(ctx);
                }
                true
            }
            Msg::Edit(text) => {
                if text == self.text {
                    return false;
                }
                self.set_text(text);
                // What the learner types wins over a lesson text still on
                // its way.
                self.loading = false;
                let saved = if self.lesson_text.as_ref() == Some(&self.text) {
                    // Back to the lesson's own text: no draft to keep.
                    storage::forget(self.origin.slot());
                    true
                } else {
                    storage::save(self.origin.slot(), &self.text)
                };
                if saved && self.origin == Origin::Scratch {
                    self.scratch_saved = true;
                }
                if !saved {
                    self.notice = Some(
                        "This browser would not save your text (private mode or storage full): \
                         copy it somewhere before you close the page."
                            .into(),
                    );
                }
                self.edits += 1;
                let n = self.edits;
                self.rerun = Some(later(ctx, RERUN_DELAY_MS, Msg::Rerun(n)));
                true
            }
            Msg::Rerun(n) => {
                if n != self.edits {
                    return false;
                }
                self.wanted = Some(self.step);
                self.start_run(ctx);
                true
            }
            Msg::OpenLesson(name) => {
                let Some(lesson) = lessons::entry(&name) else {
                    return false;
                };
                self.notice = None;
                self.wanted = Some(0);
                self.playing = None;
                self.open_lesson(ctx, lesson);
                true
            }
            Msg::LessonLoaded(name, got) => {
                if !matches!(self.origin, Origin::Lesson(l) if l.name == name) {
                    // The learner opened something else meanwhile.
                    return false;
                }
                match got {
                    Ok(text) => {
                        self.lesson_text = Some(text.clone());
                        if std::mem::take(&mut self.loading) {
                            self.set_text(text);
                            self.start_run(ctx);
                        } else if text == self.text {
                            // The draft shown is the lesson's own text: not
                            // an edited version after all.
                            storage::forget(name);
                            self.notice = None;
                        }
                    }
                    Err(why) if self.loading => {
                        self.loading = false;
                        self.notice = Some(format!(
                            "The lesson \"{}\" could not be loaded: {why}. Reload the page to try again.",
                            self.origin_title()
                        ));
                    }
                    // A draft is shown: it stays; only "Back to the
                    // lesson's own text" needs the lesson, and tries again.
                    Err(_) => {}
                }
                true
            }
            Msg::LinkText(got) => {
                if !std::mem::take(&mut self.loading) || self.origin != Origin::Scratch {
                    // The learner typed or opened something else meanwhile.
                    return false;
                }
                match got {
                    Ok(text) => {
                        // A link's text takes the scratch slot; a different
                        // text that was there is kept aside, not lost.
                        if let Some(old) = storage::load(SCRATCH).filter(|old| *old != text) {
                            storage::save(EARLIER, &old);
                            self.earlier_saved = true;
                            self.notice.get_or_insert_with(|| {
                                "This link's scenario is in the editor. Your own earlier scenario \
                                 is kept: \"Your earlier scenario\" in the lesson list opens it."
                                    .into()
                            });
                        }
                        storage::save(SCRATCH, &text);
                        self.scratch_saved = true;
                        self.set_text(text);
                        self.start_run(ctx);
                    }
                    Err(e) => {
                        self.notice = Some(format!(
                            "This link could not be opened: {e}. Here is the first lesson instead."
                        ));
                        self.wanted = Some(0);
                        let default =
                            lessons::entry(DEFAULT_LESSON).expect("the default lesson is built in");
                        self.open_lesson(ctx, default);
                    }
                }
                true
            }
            Msg::Packed(version, got) => {
                if self.packing.get() == Some(version) {
                    self.packing.set(None);
                }
                if version != self.text_version {
                    return false;
                }
                match got {
                    Ok(data) => {
                        *self.link_target.borrow_mut() =
                            Some((version, format!("scenario={data}")));
                        self.sync_url();
                    }
                    Err(why) => {
                        self.notice = Some(format!(
                            "The address bar could not be given this text's link: {why}."
                        ))
                    }
                }
                false
            }
            Msg::OpenOstep(command) => {
                self.wanted = Some(0);
                self.playing = None;
                self.open_ostep(ctx, &command);
                true
            }
            Msg::OstepReady(command, got) => {
                self.ostep_ready(ctx, &command, got);
                true
            }
            Msg::RestoreLesson => {
                if let (Origin::Ostep(_), Some(text)) = (&self.origin, self.lesson_text.clone()) {
                    storage::forget(OSTEP);
                    self.notice = None;
                    self.wanted = Some(0);
                    self.set_text(text);
                    self.start_run(ctx);
                }
                if let Origin::Lesson(lesson) = self.origin {
                    storage::forget(lesson.name);
                    self.notice = None;
                    self.wanted = Some(0);
                    match self.lesson_text.clone() {
                        Some(text) => {
                            self.set_text(text);
                            self.start_run(ctx);
                        }
                        None => {
                            self.loading = true;
                            self.set_text(String::new());
                            self.fetch_lesson(ctx, lesson);
                        }
                    }
                }
                true
            }
            Msg::Reveal => {
                self.reveal();
                true
            }
            Msg::Pick(i, value) => {
                if self.asking.is_none() {
                    return false;
                }
                if let Some(slot) = self.draft.get_mut(i) {
                    *slot = value;
                }
                true
            }
            Msg::TogglePredictions => {
                self.predictions = !self.predictions;
                if let Some(s) = self.asking.take() {
                    self.step = s;
                    self.draft.clear();
                    self.sync_url();
                }
                true
            }
            Msg::ToggleHelp => {
                self.help = !self.help;
                // Closing the panel gives focus back to the button that
                // opened it (the panel takes it when it opens).
                self.refocus_help = !self.help;
                true
            }
            Msg::OpenScratch(slot) => {
                let mut text = storage::load(slot).unwrap_or_default();
                if slot == EARLIER {
                    // The earlier text becomes the scratch text again, and
                    // the one it swaps with is kept as the earlier one.
                    if let Some(current) = storage::load(SCRATCH) {
                        storage::save(EARLIER, &current);
                    }
                    storage::save(SCRATCH, &text);
                    text = storage::load(SCRATCH).unwrap_or(text);
                }
                self.notice = None;
                self.origin = Origin::Scratch;
                self.lesson_text = None;
                self.loading = false;
                self.set_text(text);
                self.wanted = Some(0);
                self.playing = None;
                self.start_run(ctx);
                true
            }
            Msg::DismissNotice => {
                self.notice = None;
                true
            }
            Msg::Key(e) => self.key(ctx, &e),
            Msg::Jump(n) => {
                self.asking = None;
                self.draft.clear();
                self.step = n.min(self.run.ready());
                self.url_later = Some(later(ctx, URL_DELAY_MS, Msg::WriteUrl));
                true
            }
            Msg::ToggleKernelSteps => {
                self.kernel_steps = !self.kernel_steps;
                self.sync_url();
                true
            }
        }
    }

    fn rendered(&mut self, _ctx: &Context<Self>, _first_render: bool) {
        if std::mem::take(&mut self.refocus_help) {
            if let Some(button) = self.help_button.cast::<web_sys::HtmlElement>() {
                button.focus().ok();
            }
        }
        let Some(window) = web_sys::window() else {
            return;
        };
        if let Some(document) = window.document() {
            let title = match self.run.sim().title() {
                Some(t) => format!("{t} · Forkscope"),
                None => "Forkscope".to_string(),
            };
            if document.title() != title {
                document.set_title(&title);
            }
        }
        if !self.ready_marked && !self.loading && (self.run.ready() > 0 || self.run.is_finished()) {
            self.ready_marked = true;
            if let Some(perf) = window.performance() {
                perf.mark("forkscope-ready").ok();
            }
        }
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let shown = self.shown();
        let (counted, total) = self.counted();
        let controls = html! {
            <Controls step={counted} {total}
                computing={!self.run.is_finished()} playing={self.playing.is_some()}
                step_ms={self.step_ms}
                on_move={link.callback(Msg::Move)}
                on_play={link.callback(|_| Msg::TogglePlay)}
                on_speed={link.callback(Msg::Speed)}>
                { self.kernel_switch(ctx) }
            </Controls>
        };
        let run = self.run.clone();
        let views = html! {
            <div class="views">
                // In a Node lesson the Node layer comes first.
                if self.node_lesson {
                    <NodeView run={run.clone()} step={shown} />
                }
                <TreeView run={run.clone()} step={shown} />
                <SignalsView run={run.clone()} step={shown} />
                <MemoryView run={run.clone()} step={shown} />
                <QueuesView run={run.clone()} step={shown} />
                <KernelView run={run.clone()} step={shown} lesson={self.lesson_name().map(AttrValue::from)} />
                <LogView run={run.clone()} step={shown} kernel_steps={!self.by_node()} on_jump={link.callback(Msg::Jump)} />
            </div>
        };
        let ostep = match &self.origin {
            Origin::Ostep(p) => html! {
                <OstepPanel run={run.clone()} step={shown} prepared={p.clone()}
                    predictions={self.predictions} on_command={link.callback(Msg::OpenOstep)} />
            },
            _ => html! {},
        };
        let stage = html! {
            <main class="stage">
                { self.lesson_intro() }
                { ostep }
                { controls }
                <Narration run={run.clone()} step={shown} by_node={self.by_node()} />
                if let Some(s) = self.asking {
                    <Predict run={run.clone()} step={s} answers={self.draft.clone()}
                        on_pick={link.callback(|(i, v)| Msg::Pick(i, v))}
                        on_reveal={link.callback(|_| Msg::Reveal)} />
                } else {
                    <Checks run={run.clone()} step={shown} answers={self.answers.get(&shown).cloned()} />
                }
                { self.up_next() }
                { self.run_error() }
                { views }
            </main>
        };
        if self.embed {
            return html! { <div class="app embed">{ self.notice_html(ctx) }{ stage }</div> };
        }
        let pick = link.callback(|e: Event| {
            match e.target_unchecked_into::<HtmlSelectElement>().value() {
                v if v == SCRATCH_OPTION => Msg::OpenScratch(SCRATCH),
                v if v == EARLIER_OPTION => Msg::OpenScratch(EARLIER),
                v if v == OSTEP_OPTION => Msg::OpenOstep(
                    storage::load(OSTEP_COMMAND).unwrap_or_else(|| ostep::DEFAULT_COMMAND.into()),
                ),
                v => Msg::OpenLesson(v),
            }
        });
        let current = match self.origin {
            // A link's fork.py run on its way: the list says what comes.
            _ if self.ostep_pending.is_some() => OSTEP_OPTION,
            Origin::Lesson(l) => l.name,
            Origin::Ostep(_) => OSTEP_OPTION,
            Origin::Scratch => SCRATCH_OPTION,
        };
        let edited = self.edited();
        let scratch = self.scratch_saved || matches!(self.origin, Origin::Scratch);
        html! {
            <div class="app">
                <header class="top">
                    <h1 class="brand">{"Forkscope"}</h1>
                    <label class="picker">{"Lesson "}
                        <select aria-label="Lesson" onchange={pick}>
                            { for lessons::index().iter().map(|l| html! {
                                <option value={l.name} selected={l.name == current}>
                                    { if edited && l.name == current { format!("{} (edited)", l.title) } else { l.title.to_string() } }
                                </option>
                            }) }
                            <option value={OSTEP_OPTION} selected={current == OSTEP_OPTION}>
                                { if edited && current == OSTEP_OPTION { "OSTEP fork.py homework (edited)" } else { "OSTEP fork.py homework" } }
                            </option>
                            if scratch {
                                <option value={SCRATCH_OPTION} selected={current == SCRATCH_OPTION}>{"Your own scenario"}</option>
                            }
                            if self.earlier_saved {
                                <option value={EARLIER_OPTION} selected=false>{"Your earlier scenario"}</option>
                            }
                        </select>
                    </label>
                    <label class="switch">
                        <input type="checkbox" aria-label="Predictions" checked={self.predictions}
                            onchange={link.callback(|_| Msg::TogglePredictions)} />
                        {" Predict before each expect"}
                    </label>
                    <button type="button" aria-label="Help" ref={self.help_button.clone()} aria-expanded={self.help.to_string()}
                        onclick={link.callback(|_| Msg::ToggleHelp)}>{"?"}</button>
                </header>
                { self.notice_html(ctx) }
                <div class="workspace">
                    <Editor text={self.shared_text.clone()}
                        error={self.parse_error.clone()}
                        line={self.shown_line()}
                        on_edit={link.callback(Msg::Edit)} />
                    { stage }
                </div>
                if self.help {
                    <Help on_close={link.callback(|_| Msg::ToggleHelp)} />
                }
            </div>
        }
    }
}

impl App {
    /// Open `lesson`: its saved draft at once if there is one (with a
    /// notice saying so), else its own text once it arrives; either way
    /// its own text is fetched (the draft is compared with it, and "Back
    /// to the lesson's own text" needs it).
    fn open_lesson(&mut self, ctx: &Context<Self>, lesson: &'static LessonEntry) {
        self.origin = Origin::Lesson(lesson);
        self.lesson_text = None;
        match storage::load(lesson.name) {
            Some(draft) => {
                self.notice = Some(format!(
                    "Your edited version of \"{}\" is back, as you left it.",
                    lesson.title
                ));
                self.loading = false;
                self.set_text(draft);
                self.start_run(ctx);
            }
            None => {
                self.loading = true;
                self.set_text(String::new());
            }
        }
        self.fetch_lesson(ctx, lesson);
    }

    fn fetch_lesson(&self, ctx: &Context<Self>, lesson: &'static LessonEntry) {
        let link = ctx.link().clone();
        wasm_bindgen_futures::spawn_local(async move {
            let got = crate::fetch::lesson(lesson.name).await;
            link.send_message(Msg::LessonLoaded(lesson.name, got));
        });
    }

    /// Run OSTEP's fork.py with `command` (in its worker, ostep.rs); its
    /// answer comes back as `Msg::OstepReady`.
    fn open_ostep(&mut self, ctx: &Context<Self>, command: &str) {
        // fork.py's seeds in the book are small numbers.
        let seed = (js_sys::Math::random() * 1000.0) as u32;
        let scope = ctx.link().clone();
        let typed = command.to_string();
        if self.text.is_empty() {
            // Opened by a link: the intro says what is coming.
            self.loading = true;
            self.ostep_pending = Some(typed.clone());
        } else {
            self.notice = Some(format!("Running ./fork.py {command}…"));
        }
        ostep::request(command, seed, move |got| {
            scope.send_message(Msg::OstepReady(typed, got))
        });
    }

    /// fork.py's run for `command` arrived: open its actions as a
    /// scenario; an edited one that was open is kept aside, not lost. If
    /// fork.py refused the options, the notice says why in its words (and
    /// at the app's start the first lesson opens).
    fn ostep_ready(
        &mut self,
        ctx: &Context<Self>,
        command: &str,
        got: Result<ostep::Prepared, String>,
    ) {
        self.ostep_pending = None;
        let prepared = match got {
            Ok(p) => p,
            Err(why) => {
                self.notice = Some(format!("./fork.py {command}: {why}"));
                if std::mem::take(&mut self.loading) {
                    let default =
                        lessons::entry(DEFAULT_LESSON).expect("the default lesson is built in");
                    self.open_lesson(ctx, default);
                }
                return;
            }
        };
        self.notice = None;
        if let Some(old) = storage::load(OSTEP).filter(|old| *old != prepared.scenario) {
            storage::save(EARLIER, &old);
            self.earlier_saved = true;
            self.notice = Some(
                "Your edited fork.py scenario is kept: \"Your earlier scenario\" in the lesson list opens it."
                    .into(),
            );
        }
        storage::forget(OSTEP);
        storage::save(OSTEP_COMMAND, &prepared.command);
        self.loading = false;
        self.lesson_text = Some(prepared.scenario.clone());
        self.set_text(prepared.scenario.clone());
        self.origin = Origin::Ostep(Rc::new(prepared));
        self.start_run(ctx);
    }

    /// The open lesson's title ("" for a text that is no lesson's).
    fn origin_title(&self) -> &'static str {
        match self.origin {
            Origin::Lesson(l) => l.title,
            Origin::Ostep(_) => "OSTEP fork.py homework",
            Origin::Scratch => "",
        }
    }

    /// A lesson (or a fork.py run) is open and its text is not its own (a
    /// draft, or the lesson could not be loaded).
    fn edited(&self) -> bool {
        matches!(self.origin, Origin::Lesson(_) | Origin::Ostep(_))
            && !self.loading
            && self.lesson_text.as_ref() != Some(&self.text)
    }

    /// Parse the text and start computing its run; a text that does not
    /// parse keeps the last good run on screen and shows the error.
    fn start_run(&mut self, ctx: &Context<Self>) {
        match RunHandle::parse(&self.text, self.next_id) {
            Ok(run) => {
                self.next_id += 1;
                self.parse_error = None;
                self.run = run;
                self.asking = None;
                self.draft.clear();
                self.answers.clear();
                self.step = 0;
                self.node_steps = NodeSteps::default();
                self.node_lesson = node_steps::has_node_statements(self.run.sim().scenario());
                ctx.link().send_message(Msg::Compute(self.run.id()));
            }
            Err(e) => {
                self.parse_error = Some(ShownError::from(&e));
                if let Some(want) = self.wanted.take() {
                    self.step = want.min(self.run.ready());
                }
            }
        }
        self.sync_url();
    }

    fn start_playing(&mut self, ctx: &Context<Self>) {
        let link = ctx.link().clone();
        self.playing = Some(Interval::new(self.step_ms, move || {
            link.send_message(Msg::Tick)
        }));
    }

    fn at_end(&self) -> bool {
        self.step >= self.run.ready() && self.run.is_finished()
    }

    /// The step the views draw. While a step is being predicted, it is
    /// the one the learner was at (moving by Node step, the end of the
    /// Node step before).
    fn shown(&self) -> u32 {
        self.step
    }

    /// Whether the controls move one Node statement at a time.
    fn by_node(&self) -> bool {
        self.node_lesson && !self.kernel_steps
    }

    /// The step the controls show and how many there are so far, in the
    /// unit they move by.
    fn counted(&self) -> (u32, u32) {
        let step = self.asking.unwrap_or(self.step);
        if self.by_node() {
            let finished = self.run.is_finished();
            (
                self.node_steps.node_of(step),
                self.node_steps.count(finished),
            )
        } else {
            (step, self.run.ready())
        }
    }

    /// The "Kernel steps" switch, for a text with Node statements.
    fn kernel_switch(&self, ctx: &Context<Self>) -> Html {
        if !self.node_lesson {
            return html! {};
        }
        html! {
            <label class="kernel-switch" title="Move one system call at a time, not one Node statement">
                <input type="checkbox" aria-label="Kernel steps" checked={self.kernel_steps}
                    onchange={ctx.link().callback(|_| Msg::ToggleKernelSteps)} />
                {" Kernel steps"}
            </label>
        }
    }

    fn shown_line(&self) -> Option<u32> {
        let step = self.asking.unwrap_or(self.step);
        let sim = self.run.sim();
        step.checked_sub(1)
            .and_then(|i| sim.steps().get(i as usize))
            .map(|s| s.pos.line)
    }

    /// The open lesson's name while its own text is shown (or on its way).
    fn lesson_name(&self) -> Option<&'static str> {
        if self.ostep_pending.is_some() {
            return None;
        }
        match self.origin {
            Origin::Lesson(l) if self.loading || self.lesson_text.as_ref() == Some(&self.text) => {
                Some(l.name)
            }
            _ => None,
        }
    }

    fn go(&mut self, ctx: &Context<Self>, m: Move) {
        let total = self.run.ready();
        if let (Some(_), Move::Next) = (self.asking, m) {
            // Next while asked is "reveal".
            self.reveal();
            return;
        }
        self.asking = None;
        self.draft.clear();
        let finished = self.run.is_finished();
        let target = match (m, self.by_node()) {
            (Move::First, _) => 0,
            (Move::Prev, false) => self.step.saturating_sub(1),
            (Move::Prev, true) => self.node_steps.prev(self.step),
            (Move::Next, false) => (self.step + 1).min(total),
            (Move::Next, true) => self.node_steps.next(self.step, finished),
            (Move::Last, false) => total,
            (Move::Last, true) => self.node_steps.kernel_of(self.node_steps.count(finished)),
            (Move::To(n), false) => n.min(total),
            (Move::To(n), true) => self.node_steps.kernel_of(n).min(total),
        };
        if m == Move::Next && target > self.step && self.should_ask(target) {
            self.asking = Some(target);
            self.draft = vec![String::new(); self.expects_at(target)];
        } else {
            self.step = target;
        }
        self.url_later = Some(later(ctx, URL_DELAY_MS, Msg::WriteUrl));
    }

    /// Write the address bar now if a move left it unwritten.
    fn flush_url(&mut self) {
        if self.url_later.take().is_some() {
            self.sync_url();
        }
    }

    /// Whether stepping onto `step` asks for a prediction first.
    fn should_ask(&self, step: u32) -> bool {
        self.predictions && !self.answers.contains_key(&step) && self.expects_at(step) > 0
    }

    /// How many expects step `step` has.
    fn expects_at(&self, step: u32) -> usize {
        let sim = self.run.sim();
        step.checked_sub(1)
            .and_then(|i| sim.steps().get(i as usize))
            .map_or(0, |s| s.expects.len())
    }

    /// Show the step being predicted, keeping what the learner said.
    fn reveal(&mut self) {
        if let Some(s) = self.asking.take() {
            self.answers.insert(s, std::mem::take(&mut self.draft));
            self.step = s;
            self.sync_url();
        }
    }

    fn key(&mut self, ctx: &Context<Self>, e: &KeyboardEvent) -> bool {
        // Keys typed into the editor or a form field are theirs.
        let typing = e
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .is_some_and(|el| matches!(el.tag_name().as_str(), "TEXTAREA" | "INPUT" | "SELECT"));
        if typing || e.ctrl_key() || e.meta_key() || e.alt_key() {
            return false;
        }
        let m = match e.key().as_str() {
            "ArrowRight" => Some(Move::Next),
            "ArrowLeft" => Some(Move::Prev),
            "Home" => Some(Move::First),
            "End" => Some(Move::Last),
            " " => {
                e.prevent_default();
                ctx.link().send_message(Msg::TogglePlay);
                return false;
            }
            "?" => {
                self.help = !self.help;
                self.refocus_help = !self.help;
                return true;
            }
            _ => None,
        };
        match m {
            Some(m) => {
                e.prevent_default();
                self.go(ctx, m);
                true
            }
            None => false,
        }
    }

    /// Put the state in the address bar, without adding history entries.
    /// Compressing a large text takes long (860 KB: about 100 ms), so the
    /// link's target is worked out once per text, not on every step.
    fn sync_url(&self) {
        if self.ostep_pending.is_some() {
            // The link that opened fork.py stays until its run is here.
            return;
        }
        let mut cached = self.link_target.borrow_mut();
        if cached
            .as_ref()
            .is_none_or(|(version, _)| *version != self.text_version)
        {
            let ostep = match &self.origin {
                Origin::Ostep(p) if self.lesson_text.as_ref() == Some(&self.text) => {
                    Some(p.command.clone())
                }
                _ => None,
            };
            match (self.lesson_name(), ostep) {
                (Some(name), _) => {
                    let target = url::target_query(&Target::Lesson(name.into()));
                    *cached = Some((self.text_version, target));
                }
                (None, Some(command)) => {
                    let target = url::target_query(&Target::Ostep(command));
                    *cached = Some((self.text_version, target));
                }
                (None, None) => {
                    // The browser packs the text; the address bar is
                    // written when it has (`Msg::Packed`).
                    let version = self.text_version;
                    if self.packing.get() != Some(version) {
                        self.packing.set(Some(version));
                        let text = self.text.clone();
                        let scope = self.scope.clone();
                        wasm_bindgen_futures::spawn_local(async move {
                            scope.send_message(Msg::Packed(version, url::pack(&text).await));
                        });
                    }
                    return;
                }
            }
        }
        let (_, target) = cached.as_ref().expect("just filled");
        let kernel = self.node_lesson && self.kernel_steps;
        let query = url::query(
            Some(target),
            self.asking.unwrap_or(self.step),
            self.embed,
            kernel,
        );
        if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
            history
                .replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&query))
                .ok();
        }
    }

    /// Every change of the text goes through here, so that what is worked
    /// out once per text (the link) knows it changed.
    fn set_text(&mut self, text: String) {
        self.shared_text = AttrValue::from(text.clone());
        self.text = text;
        self.text_version += 1;
    }

    fn lesson_intro(&self) -> Html {
        if let (true, Some(command)) = (self.loading, &self.ostep_pending) {
            return html! {
                <header class="lesson">
                    <h2 class="lesson-title">{"OSTEP fork.py homework"}</h2>
                    <p class="intro" role="status">{format!("Running ./fork.py {command}…")}</p>
                </header>
            };
        }
        if self.loading {
            let what = match self.origin {
                Origin::Lesson(_) | Origin::Ostep(_) => "Loading the lesson…",
                Origin::Scratch => "Opening the scenario in the link…",
            };
            return html! {
                <header class="lesson">
                    <h2 class="lesson-title">{self.origin_title()}</h2>
                    <p class="intro" role="status">{what}</p>
                </header>
            };
        }
        let sim = self.run.sim();
        let title = sim.title().map(str::to_string);
        html! {
            <header class="lesson">
                if let Some(title) = title {
                    <h2 class="lesson-title">{title}</h2>
                }
                if self.shown() == 0 {
                    { for sim.intro().iter().map(|s| html! { <p class="intro">{s.clone()}</p> }) }
                }
            </header>
        }
    }

    /// The statement the next step runs, so a learner knows what "Next
    /// step" will do (outside the live region: it is not the narration).
    fn up_next(&self) -> Html {
        if self.asking.is_some() {
            return html! {};
        }
        let sim = self.run.sim();
        match sim.steps().get(self.shown() as usize) {
            Some(next) => {
                // Moving by Node step, Next runs the whole Node statement.
                let (line, source) = match &next.group {
                    Some(g) if self.by_node() => (g.pos.line, g.source.clone()),
                    _ => (next.pos.line, next.source.clone()),
                };
                html! {
                    <p class="up-next">
                        <span class="up-next-label">{"Next: "}</span>
                        {format!("line {line} ")}
                        <code>{source}</code>
                    </p>
                }
            }
            None if self.run.is_finished() && sim.error().is_none() && self.shown() > 0 => html! {
                <p class="up-next">{"The end of the scenario. "}
                    <span class="up-next-label">{"Home"}</span>{" goes back to the start."}</p>
            },
            None => html! {},
        }
    }

    /// A run-time error: where the run stopped and why.
    fn run_error(&self) -> Html {
        let sim = self.run.sim();
        match sim.error() {
            Some(e) if self.parse_error.is_none() && self.shown() >= self.run.ready() => html! {
                <p class="run-error" role="alert">
                    {format!("The run stopped at line {}, column {}: {}", e.pos.line, e.pos.col, e.kind)}
                </p>
            },
            _ => html! {},
        }
    }

    fn notice_html(&self, ctx: &Context<Self>) -> Html {
        let Some(notice) = &self.notice else {
            return html! {};
        };
        let restore = self.edited();
        html! {
            <div class="notice" role="status" id="notice">
                <p>{notice.clone()}</p>
                if restore {
                    <button type="button" onclick={ctx.link().callback(|_| Msg::RestoreLesson)}>
                        {"Back to the lesson's own text"}
                    </button>
                }
                <button type="button" aria-label="Dismiss" onclick={ctx.link().callback(|_| Msg::DismissNotice)}>{"×"}</button>
            </div>
        }
    }
}
