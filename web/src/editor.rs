//! The scenario editor: a textarea labelled "Scenario" over a `<pre>` of
//! coloured lines, with a line-number gutter, the shown step's line marked,
//! and the parse error underlined at its line and column and said in an
//! alert below.
//!
//! The textarea is as tall and wide as the lines it holds, so it never
//! scrolls itself: one box around it, the gutter and the colours scrolls
//! them all together, and nothing has to be kept in sync by script. Only
//! the lines in that box's view (and a margin) are coloured and numbered.
//!
//! A browser lays a textarea's text out whole on every key: at 100,000
//! lines that is seconds a key (measured in headless Chromium here). So a
//! text longer than `WHOLE_MAX_LINES` is edited a part at a time: the
//! textarea holds the lines around the view (`held`), placed at their
//! height in the box, and is given the next part as the view moves, the
//! caret and selection carried over. Shorter texts are held whole, and
//! behave exactly as a plain textarea.
//!
//! The textarea is left uncontrolled: its value is set only when the text
//! comes from elsewhere (a lesson opened, a draft restored), never on the
//! learner's own typing, so re-rendering never moves the caret or loses the
//! selection.

use crate::highlight::{self, Segment};
use gloo::events::EventListener;
use gloo::timers::callback::Timeout;
use sim_core::scenario::{Pos, ScenarioError};
use std::ops::Range;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, HtmlTextAreaElement};
use yew::prelude::*;

/// The height of a line in CSS pixels (web/css/editor.css `--ed-lh`).
/// Styles are written from the whole-number forms, so that no float is
/// formatted (float printing is kilobytes of wasm).
const LINE: usize = 20;
const LINE_PX: f64 = LINE as f64;
/// The padding above the first line and left of the text (`--ed-pad`).
const PAD: usize = 8;
const PAD_PX: f64 = PAD as f64;
/// Lines coloured beyond each edge of the view, so that a scroll shows
/// coloured lines before the next render.
const OVERSCAN: usize = 40;
/// The coloured window moves in steps of this many lines, so scrolling
/// re-renders only now and then.
const CHUNK: usize = 32;
/// A step far away draws only the lines in view and this many either
/// side: a scrub through a long run jumps every frame, and each jump
/// would otherwise draw three screens of lines that nobody scrolls to.
const SNUG: usize = 6;
/// A scroll keeps the drawn lines while they cover the view and this
/// many lines either side; past that it draws the view and `OVERSCAN`.
const KEEP: usize = 3;
/// The view's height assumed before it is measured.
const DEFAULT_VIEW_PX: f64 = 800.0;
/// Texts up to this many lines are held whole by the textarea.
pub const WHOLE_MAX_LINES: usize = 2_000;
/// A longer text's textarea holds this many lines either side of the view.
const HOLD_MARGIN: usize = 300;
/// ... and is given a new part when the view comes this close to an edge
/// of the part it holds.
const HOLD_SLACK: usize = 60;
/// ... once the view has rested this long (unless the text is being
/// typed in): scrubbing through a long run moves the view at every step.
const REHOLD_DELAY_MS: u32 = 150;

/// A parse error as the editor shows it: where, and what it says ("Line
/// 3, column 7: ..."), made once per parse. The app keeps this rather than
/// the ScenarioError, whose clone and comparison over its many kinds cost
/// the wasm about 5 KB.
#[derive(Clone, PartialEq)]
pub struct ShownError {
    pub pos: Pos,
    pub message: Rc<str>,
}

impl From<&ScenarioError> for ShownError {
    fn from(err: &ScenarioError) -> ShownError {
        ShownError {
            pos: err.pos,
            message: format!(
                "Line {}, column {}: {}",
                err.pos.line, err.pos.col, err.kind
            )
            .into(),
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct EditorProps {
    pub text: AttrValue,
    /// The parse error of the text as it is, if it does not parse.
    pub error: Option<ShownError>,
    /// The source line of the step shown, to mark (1-based).
    pub line: Option<u32>,
    pub on_edit: Callback<String>,
}

pub enum Msg {
    /// The learner changed the text.
    Input,
    /// The box scrolled (or was resized): see which lines are in view.
    Scroll,
    /// Put the caret at the parse error and focus the text.
    GoToError,
    /// The view has rested: give the textarea the part in view, if it
    /// does not hold it.
    Rehold,
    /// The box is being scrolled to show the step's line: draw the lines
    /// there now, from where it will be.
    Revealed,
}

pub struct Editor {
    area: NodeRef,
    scroller: NodeRef,
    /// The whole text (what the lines are drawn from).
    text: String,
    /// The same text, shared with the drawn lines (a new one at each
    /// change, so that a line knows to redraw by a pointer compare).
    shared: Rc<str>,
    lines: LineIndex,
    /// The lines drawn.
    window: Range<usize>,
    /// The lines the textarea holds (all of them, up to `WHOLE_MAX_LINES`).
    held: Range<usize>,
    /// The textarea must be given the held lines at the next render...
    set_value: bool,
    /// What the textarea holds as it is made (its default value): it has
    /// the text from the start, so that what is typed into it before the
    /// first `rendered` (yew may yield in between) is never overwritten.
    initial: AttrValue,
    /// ... and then this selection (UTF-16 offsets in the held text).
    selection: Option<(u32, u32)>,
    /// The shown step's line must be scrolled into view if it is not.
    reveal: bool,
    /// The caret must be scrolled into view (after typing).
    follow_caret: bool,
    /// The textarea must be focused, and this line shown, once it holds
    /// the part the caret was put in.
    focus_line: Option<u32>,
    /// The box's scroll offset and height as last measured or set (None:
    /// to be measured), so that showing a step's line reads no layout.
    view: Option<(f64, f64)>,
    /// Giving the textarea the part in view waits until the view rests
    /// (a scrubber drag moves it at every step).
    rehold_later: Option<Timeout>,
    _resize: Option<EventListener>,
}

impl Component for Editor {
    type Message = Msg;
    type Properties = EditorProps;

    fn create(ctx: &Context<Self>) -> Self {
        let text = ctx.props().text.to_string();
        let lines = LineIndex::new(&text);
        let window = window(0.0, DEFAULT_VIEW_PX, lines.count());
        let held = hold(lines.count(), &in_view(0.0, DEFAULT_VIEW_PX, lines.count()));
        let initial = AttrValue::from(text[held_bytes(&text, &lines, &held)].to_string());
        Editor {
            area: NodeRef::default(),
            scroller: NodeRef::default(),
            shared: Rc::from(text.as_str()),
            text,
            lines,
            window,
            held,
            set_value: false,
            initial,
            selection: None,
            reveal: true,
            follow_caret: false,
            focus_line: None,
            view: None,
            rehold_later: None,
            _resize: web_sys::window().map(|w| {
                let link = ctx.link().clone();
                EventListener::new(&w, "resize", move |_| link.send_message(Msg::Scroll))
            }),
        }
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        match msg {
            Msg::Input => {
                let Some(area) = self.area.cast::<HtmlTextAreaElement>() else {
                    return false;
                };
                let value = area.value();
                let bytes = self.held_bytes();
                let mut text = String::with_capacity(self.text.len() - bytes.len() + value.len());
                text.push_str(&self.text[..bytes.start]);
                text.push_str(&value);
                text.push_str(&self.text[bytes.end..]);
                let held_lines = value.bytes().filter(|&b| b == b'\n').count() + 1;
                self.held = self.held.start..self.held.start + held_lines;
                self.text = text;
                self.reindex();
                // The window and the held part follow once the caret is in
                // view (`rendered`), so that a paste keeps its caret.
                self.follow_caret = true;
                ctx.props().on_edit.emit(self.text.clone());
                true
            }
            Msg::Scroll => match self.measure() {
                Some(view) => self.update_window(ctx, view, false),
                None => false,
            },
            Msg::Revealed => match self.view {
                Some(view) => self.update_window(ctx, view, true),
                None => false,
            },
            Msg::Rehold => {
                self.rehold_later = None;
                let Some((top, height)) = self.view else {
                    return false;
                };
                let count = self.lines.count();
                let view = in_view(top, height, count);
                if !needs_rehold(&self.held, &view, count) {
                    return false;
                }
                self.rehold(&view);
                true
            }
            Msg::GoToError => {
                if let (Some(err), Some(area)) =
                    (&ctx.props().error, self.area.cast::<HtmlTextAreaElement>())
                {
                    let line = (err.pos.line.max(1) as usize - 1).min(self.lines.count() - 1);
                    if !self.held.contains(&line) {
                        // Hold the error's part first; the caret goes there
                        // once the textarea has it (`rendered`).
                        self.held = hold(self.lines.count(), &(line..line + 1));
                        self.set_value = true;
                    }
                    let at = utf16_offset(&self.text, &self.lines, err.pos.line, err.pos.col)
                        - utf16_len(&self.text[..self.held_bytes().start]);
                    if self.set_value {
                        self.selection = Some((at, at));
                        self.focus_line = Some(err.pos.line);
                        return true;
                    }
                    // Caret first, then focus: focusing scrolls to the caret.
                    area.set_selection_range(at, at).ok();
                    area.focus().ok();
                    self.scroll_to_line(err.pos.line, false);
                }
                false
            }
        }
    }

    fn changed(&mut self, ctx: &Context<Self>, old: &EditorProps) -> bool {
        let props = ctx.props();
        if props.text != old.text && *props.text != *self.text {
            // Text from elsewhere: a lesson opened, a draft restored.
            self.text = props.text.to_string();
            self.reindex();
            self.held = hold(self.lines.count(), &(0..1));
            self.set_value = true;
            self.selection = None;
            self.reveal = true;
        }
        if props.line != old.line {
            self.reveal = true;
        }
        if props.error != old.error {
            // The alert below the box opens or closes: the box's height
            // changes.
            self.view = None;
        }
        true
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let props = ctx.props();
        let link = ctx.link();
        let count = self.lines.count();
        let digits = count.to_string().len();
        let error_line = props.error.as_ref().map(|e| e.pos.line as usize);
        let current = props.line.map(|l| l as usize);
        // The window in view was worked out for the text before an edit
        // or a paste that may have made it shorter; it moves on in
        // `rendered`, so here it is only kept inside the text.
        let window = self.window.start.min(count)..self.window.end.min(count);
        let top = PAD + window.start * LINE;
        let height = 2 * PAD + (count + 1) * LINE;

        // Each line is its own component, redrawn only when what it shows
        // changes: moving on a step redraws the two lines whose mark
        // moved, not the whole window (and its colouring). They are not
        // keyed: a window that moves far gives each line drawn new props
        // (a redraw in place) instead of making and dropping them all.
        let shared = SharedText(self.shared.clone());
        let numbers = window.clone().map(|i| {
            let n = i + 1;
            html! {
                <LineNumber {n} current={current == Some(n)} error={error_line == Some(n)} />
            }
        });
        let code = window.map(|i| {
            let n = i + 1;
            let error_col = props
                .error
                .as_ref()
                .filter(|e| e.pos.line as usize == n)
                .map(|e| e.pos.col);
            let bytes = self.lines.bytes(&self.text, i);
            html! {
                <CodeLine text={shared.clone()} start={bytes.start} end={bytes.end}
                    current={current == Some(n)} error={error_line == Some(n)} {error_col} />
            }
        });

        let status = match &props.error {
            Some(_) => html! {
                <span class="ed-status bad">{"⚠ Not run until the error is fixed"}</span>
            },
            None => {
                // The empty line after a final newline is no line of the text.
                let written = count - usize::from(self.text.ends_with('\n'));
                let lines = if written == 1 { "line" } else { "lines" };
                let part = if count > WHOLE_MAX_LINES {
                    " (edited a part at a time)"
                } else {
                    ""
                };
                html! { <span class="ed-status good">{format!("✓ Runs · {written} {lines}{part}")}</span> }
            }
        };
        let message = props.error.as_ref().map(|err| err.message.clone());
        html! {
            <section class="editor" aria-labelledby="editor-title">
                <header class="ed-head">
                    <h2 id="editor-title">{"Scenario"}</h2>
                    { status }
                </header>
                <div class="ed-scroll" ref={self.scroller.clone()} onscroll={link.callback(|_: Event| Msg::Scroll)}
                    style={format!("--ed-gutter-w:{}ch", digits + 3)}>
                    <div class="ed-body" style={format!("height:{height}px")}>
                        <div class="ed-gutter" aria-hidden="true" style={format!("width:{}ch", digits + 3)}>
                            <div class="ed-window" style={format!("top:{top}px")}>{ for numbers }</div>
                        </div>
                        <div class="ed-text" style={format!("width:max(100%, calc({}ch + 3rem))", self.lines.widest)}>
                            <pre class="ed-code" aria-hidden="true" style={format!("top:{top}px")}>{ for code }</pre>
                            <textarea ref={self.area.clone()} aria-label="Scenario"
                                defaultvalue={self.initial.clone()}
                                aria-invalid={props.error.is_some().to_string()}
                                aria-describedby="editor-error"
                                spellcheck="false" autocomplete="off" autocapitalize="off"
                                wrap="off"
                                style={format!("top:{}px;height:{}px",
                                    self.held.start * LINE,
                                    2 * PAD + (self.held.len() + 1) * LINE)}
                                oninput={link.callback(|_: InputEvent| Msg::Input)} />
                        </div>
                    </div>
                </div>
                <div class={classes!("ed-alert", props.error.is_some().then_some("shown"))}>
                    <span class="ed-alert-icon" aria-hidden="true">{"⚠"}</span>
                    <p id="editor-error" class="ed-alert-text" role="alert">{ message.as_deref().unwrap_or_default() }</p>
                    <button type="button" class="ed-goto" onclick={link.callback(|_| Msg::GoToError)}>
                        {"Go to the error"}
                    </button>
                </div>
            </section>
        }
    }

    fn rendered(&mut self, ctx: &Context<Self>, first_render: bool) {
        let area = self.area.cast::<HtmlTextAreaElement>();
        let scroller = self.scroller.cast::<HtmlElement>();
        // Only new text, typing or a caret put somewhere can scroll the
        // textarea itself; a step shown cannot (and setting its scroll
        // would make the browser lay the page out at once).
        let settle =
            first_render || self.set_value || self.follow_caret || self.focus_line.is_some();
        if let (true, Some(area)) = (self.set_value || first_render, &area) {
            let bytes = self.held_bytes();
            if std::mem::take(&mut self.set_value) {
                area.set_value(&self.text[bytes.clone()]);
            }
            // The textarea keeps `\n` line ends only: draw what it holds.
            let value = area.value();
            if value != self.text[bytes.clone()] {
                self.text.replace_range(bytes, &value);
                self.reindex();
                ctx.link().send_message(Msg::Scroll);
            }
            match self.selection.take() {
                Some((start, end)) => {
                    area.set_selection_range(start, end).ok();
                }
                None if !first_render => {
                    if let Some(s) = &scroller {
                        s.set_scroll_top(0);
                        self.view = None;
                        // New text from elsewhere (a lesson, fork.py's
                        // run) that came after the first measure: the
                        // window of drawn lines must follow it, or only
                        // the lines of the text before are drawn.
                        ctx.link().send_message(Msg::Scroll);
                    }
                }
                None => {}
            }
        }
        if let (Some(line), Some(area)) = (self.focus_line.take(), &area) {
            area.focus().ok();
            self.scroll_to_line(line, false);
        }
        if let (true, Some(area)) = (settle, &area) {
            // The textarea is as big as its text and must not scroll itself
            // (it can, for a moment, when a paste outgrows it).
            area.set_scroll_top(0);
            area.set_scroll_left(0);
        }
        if first_render {
            ctx.link().send_message(Msg::Scroll);
        }
        if std::mem::take(&mut self.follow_caret) {
            if let Some(area) = &area {
                let caret = area.selection_end().ok().flatten().unwrap_or(0);
                let caret = caret + utf16_len(&self.text[..self.held_bytes().start]);
                let line = line_of_utf16_offset(&self.text, &self.lines, caret);
                self.scroll_to_line(line, true);
                // A paste may have made the held part long: hold less.
                ctx.link().send_message(Msg::Scroll);
            }
        }
        if std::mem::take(&mut self.reveal) {
            let typing = area.as_ref().is_some_and(|a| {
                gloo::utils::document().active_element().as_ref() == Some(a.unchecked_ref())
            });
            if let (Some(line), false) = (ctx.props().line, typing) {
                if self.reveal_line(line) {
                    ctx.link().send_message(Msg::Revealed);
                }
            }
        }
    }
}

impl Editor {
    /// The text changed: index its lines and share it anew.
    fn reindex(&mut self) {
        self.lines = LineIndex::new(&self.text);
        self.shared = Rc::from(self.text.as_str());
    }

    /// Move the drawn window if the view (the box's scroll offset and
    /// height) left it (`jump`: the box was scrolled to show a step);
    /// true when it moved.
    fn update_window(
        &mut self,
        ctx: &Context<Self>,
        (top, height): (f64, f64),
        jump: bool,
    ) -> bool {
        let count = self.lines.count();
        let next = next_window(&self.window, top, height, count, jump);
        let view = in_view(top, height, count);
        let mut rehold = needs_rehold(&self.held, &view, count);
        if rehold {
            let typing = self
                .area
                .cast::<web_sys::Element>()
                .is_some_and(|a| gloo::utils::document().active_element().as_ref() == Some(&a));
            if typing || count <= WHOLE_MAX_LINES {
                self.rehold(&view);
            } else {
                // Not being typed in: the part follows once the view rests
                // (the coloured lines show the text meanwhile).
                rehold = false;
                let link = ctx.link().clone();
                self.rehold_later = Some(Timeout::new(REHOLD_DELAY_MS, move || {
                    link.send_message(Msg::Rehold)
                }));
            }
        }
        if next == self.window && !rehold {
            return false;
        }
        self.window = next;
        true
    }

    /// The byte range of the text the textarea holds.
    fn held_bytes(&self) -> Range<usize> {
        held_bytes(&self.text, &self.lines, &self.held)
    }

    /// Hold the part of the text around `view` instead, carrying the caret
    /// and selection over where they are in both parts; a caret that falls
    /// outside goes to the start of the first line in view.
    fn rehold(&mut self, view: &Range<usize>) {
        let old = self.held_bytes();
        let selection = self.area.cast::<HtmlTextAreaElement>().and_then(|a| {
            let start = a.selection_start().ok().flatten()?;
            let end = a.selection_end().ok().flatten()?;
            let held = &self.text[old.clone()];
            Some((
                old.start + byte_of_utf16(held, start),
                old.start + byte_of_utf16(held, end),
            ))
        });
        self.held = hold(self.lines.count(), view);
        let new = self.held_bytes();
        let held = &self.text[new.clone()];
        let to_units = |at: usize| utf16_len(&held[..at - new.start]);
        self.selection = Some(match selection {
            Some((s, e)) if new.contains(&s) || s == new.end => {
                (to_units(s), to_units(e.clamp(new.start, new.end)))
            }
            _ => {
                let first = self.lines.starts[view.start.clamp(self.held.start, self.held.end - 1)];
                let at = to_units(first.clamp(new.start, new.end));
                (at, at)
            }
        });
        self.set_value = true;
    }

    /// The box's scroll offset and height, measured now (the page is laid
    /// out if it must be).
    fn measure(&mut self) -> Option<(f64, f64)> {
        let scroller = self.scroller.cast::<HtmlElement>()?;
        let height = match scroller.client_height() {
            0 => DEFAULT_VIEW_PX,
            h => f64::from(h),
        };
        let view = (f64::from(scroller.scroll_top()), height);
        self.view = Some(view);
        Some(view)
    }

    /// Scroll the box a third down to `line` (1-based) if it is not in
    /// view, judged from the view as last measured (or set): showing a
    /// step reads no layout. True when it scrolled.
    fn reveal_line(&mut self, line: u32) -> bool {
        let Some((view_top, view_height)) = self.view.or_else(|| self.measure()) else {
            return false;
        };
        let top = PAD_PX + f64::from(line.saturating_sub(1)) * LINE_PX;
        if top >= view_top && top + LINE_PX <= view_top + view_height {
            return false;
        }
        let Some(window) = web_sys::window() else {
            return false;
        };
        let target = (top - view_height / 3.0).max(0.0);
        // Scrolled at the next frame, when the browser lays the page out
        // anyway (scrolling now would lay it out at once, and again after
        // the lines there are drawn); the lines are drawn for where the box
        // will be (`Revealed`), and the `Scroll` that follows measures
        // where it went (the box may not scroll that far).
        let scroller = self.scroller.clone();
        let scroll = Closure::once_into_js(move || {
            if let Some(s) = scroller.cast::<HtmlElement>() {
                s.set_scroll_top(target as i32);
            }
        });
        if window
            .request_animation_frame(scroll.unchecked_ref())
            .is_err()
        {
            return false;
        }
        self.view = Some((target, view_height));
        true
    }

    /// Scroll the box so that `line` (1-based) is in view, if it is not:
    /// just into view when following the caret, else a third down the
    /// box. True when it scrolled.
    fn scroll_to_line(&mut self, line: u32, nearest: bool) -> bool {
        let Some(scroller) = self.scroller.cast::<HtmlElement>() else {
            return false;
        };
        let top = PAD_PX + f64::from(line.saturating_sub(1)) * LINE_PX;
        let view_top = f64::from(scroller.scroll_top());
        let view_height = f64::from(scroller.client_height());
        if top >= view_top && top + LINE_PX <= view_top + view_height {
            return false;
        }
        let target = if nearest {
            if top < view_top {
                top - PAD_PX
            } else {
                top + LINE_PX + PAD_PX - view_height
            }
        } else {
            top - view_height / 3.0
        };
        scroller.set_scroll_top(target.max(0.0) as i32);
        self.view = None;
        true
    }
}

/// The editor's text as the drawn lines share it: equal when it is the
/// same text (a pointer compare, not a walk over a megabyte).
#[derive(Clone)]
struct SharedText(Rc<str>);

impl PartialEq for SharedText {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

#[derive(Properties, PartialEq)]
struct LineNumberProps {
    /// The line's number (from 1).
    n: usize,
    /// The shown step's line.
    current: bool,
    /// The parse error's line.
    error: bool,
}

/// A line's number in the gutter, marked ▶ at the shown step's line and
/// ⚠ at the error's.
#[function_component(LineNumber)]
fn line_number(props: &LineNumberProps) -> Html {
    let mark = if props.error {
        "⚠"
    } else if props.current {
        "▶"
    } else {
        ""
    };
    let class = classes!(
        "ed-num",
        props.current.then_some("current"),
        props.error.then_some("has-error"),
    );
    html! { <div {class}><span class="ed-mark">{mark}</span>{props.n}</div> }
}

#[derive(Properties, PartialEq)]
struct CodeLineProps {
    text: SharedText,
    /// The line's bytes in the text, without its line end.
    start: usize,
    end: usize,
    current: bool,
    error: bool,
    /// The error's column when it is on this line.
    error_col: Option<u32>,
}

/// One coloured line of the text.
#[function_component(CodeLine)]
fn code_line(props: &CodeLineProps) -> Html {
    let class = classes!(
        "ed-line",
        props.current.then_some("current"),
        props.error.then_some("has-error"),
    );
    let text = &props.text.0[props.start..props.end];
    html! { <div {class}>{ line_html(text, props.error_col) }</div> }
}

/// One line drawn: its segments as spans, the error's piece underlined.
fn line_html(text: &str, error_col: Option<u32>) -> Html {
    let (segments, past_end) = highlight::segments(text, error_col);
    let spans = segments.into_iter().map(
        |Segment {
             start,
             end,
             class,
             error,
         }| {
            let piece = &text[start..end];
            match (class, error) {
                (None, false) => html! { {piece} },
                _ => {
                    let class = classes!(class.map(|c| c.css()), error.then_some("ed-err"));
                    html! { <span {class}>{piece}</span> }
                }
            }
        },
    );
    html! {
        <>
            { for spans }
            if past_end {
                <span class="ed-err ed-err-eol">{"\u{a0}\u{a0}"}</span>
            }
        </>
    }
}

/// Where each line starts in a text, and its widest line in characters
/// (a tab counted as 4, the editor's `tab-size`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineIndex {
    starts: Vec<usize>,
    pub widest: usize,
    /// Whether the text is ASCII (then offsets in bytes and in UTF-16
    /// units agree, and finding the caret's line needs no scan).
    ascii: bool,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        let mut widest = 0;
        let mut width = 0;
        for (i, c) in text.char_indices() {
            match c {
                '\n' => {
                    starts.push(i + 1);
                    widest = widest.max(width);
                    width = 0;
                }
                '\t' => width += 4,
                _ => width += 1,
            }
        }
        LineIndex {
            starts,
            widest: widest.max(width),
            ascii: text.is_ascii(),
        }
    }

    /// How many lines (a text ending in a newline has an empty last line,
    /// as the textarea shows it).
    pub fn count(&self) -> usize {
        self.starts.len()
    }

    /// Line `i` (from 0) of `text`, without its line end.
    pub fn line<'t>(&self, text: &'t str, i: usize) -> &'t str {
        &text[self.bytes(text, i)]
    }

    /// The bytes of line `i` (from 0) of `text`, without its line end.
    pub fn bytes(&self, text: &str, i: usize) -> Range<usize> {
        let start = self.starts[i];
        let end = self.starts.get(i + 1).map_or(text.len(), |&next| next - 1);
        let cr = text[start..end].ends_with('\r');
        start..end - usize::from(cr)
    }
}

/// The lines in a view `height` pixels tall scrolled to `top` (at least
/// one, inside the text).
pub fn in_view(top: f64, height: f64, count: usize) -> Range<usize> {
    let first = ((top - PAD_PX) / LINE_PX).floor().max(0.0) as usize;
    let last = ((top + height - PAD_PX) / LINE_PX).ceil().max(0.0) as usize;
    let first = first.min(count.saturating_sub(1));
    first..last.clamp(first + 1, count.max(first + 1))
}

/// The lines to draw for a view `height` pixels tall scrolled to `top`:
/// those in view and `OVERSCAN` either side, on `CHUNK` boundaries.
pub fn window(top: f64, height: f64, count: usize) -> Range<usize> {
    let first = ((top - PAD_PX) / LINE_PX).floor().max(0.0) as usize;
    let last = ((top + height - PAD_PX) / LINE_PX).ceil().max(0.0) as usize;
    let start = first.saturating_sub(OVERSCAN) / CHUNK * CHUNK;
    let end = (last + OVERSCAN).div_ceil(CHUNK) * CHUNK;
    start.min(count)..end.min(count)
}

/// The lines to draw next, from those drawn (`current`) and the view: the
/// same while they cover it (with `KEEP` lines either side after a
/// scroll); after a jump to show a step, the view and `SNUG` lines either
/// side; after a scroll, `window`.
pub fn next_window(
    current: &Range<usize>,
    top: f64,
    height: f64,
    count: usize,
    jump: bool,
) -> Range<usize> {
    let view = in_view(top, height, count);
    let margin = if jump { 0 } else { KEEP };
    let wanted = view.start.saturating_sub(margin)..(view.end + margin).min(count);
    if current.start <= wanted.start && wanted.end <= current.end && current.end <= count {
        return current.clone();
    }
    if jump {
        view.start.saturating_sub(SNUG)..(view.end + SNUG).min(count)
    } else {
        window(top, height, count)
    }
}

/// The lines the textarea should hold for a text of `count` lines whose
/// lines `view` are in view: all of them for a short text, else the view
/// and `HOLD_MARGIN` either side.
pub fn hold(count: usize, view: &Range<usize>) -> Range<usize> {
    if count <= WHOLE_MAX_LINES {
        return 0..count;
    }
    let start = view.start.saturating_sub(HOLD_MARGIN).min(count - 1);
    let end = (view.end + HOLD_MARGIN).clamp(start + 1, count);
    start..end
}

/// Whether the textarea should be given another part: a short text not
/// held whole, or a long one held too long (after a paste) or whose view
/// has come within `HOLD_SLACK` lines of an edge of its part (an edge of
/// the text aside).
pub fn needs_rehold(held: &Range<usize>, view: &Range<usize>, count: usize) -> bool {
    if count <= WHOLE_MAX_LINES {
        return *held != (0..count);
    }
    let near_start = held.start > 0 && view.start < held.start + HOLD_SLACK;
    let near_end = held.end < count && view.end + HOLD_SLACK > held.end;
    held.end > count || held.len() > 2 * HOLD_MARGIN + 2 * WHOLE_MAX_LINES || near_start || near_end
}

/// The bytes of `text` that lines `held` take (without the line end after
/// the last).
pub fn held_bytes(text: &str, lines: &LineIndex, held: &Range<usize>) -> Range<usize> {
    let start = lines.starts[held.start.min(lines.count() - 1)];
    let end = match lines.starts.get(held.end) {
        Some(&next) => next - 1,
        None => text.len(),
    };
    start..end.max(start)
}

/// How many UTF-16 units `s` takes (what a textarea counts).
fn utf16_len(s: &str) -> u32 {
    u32::try_from(s.encode_utf16().count()).unwrap_or(u32::MAX)
}

/// The byte offset in `s` of a UTF-16 offset (clamped to its end).
fn byte_of_utf16(s: &str, units: u32) -> usize {
    let mut seen = 0u32;
    for (i, c) in s.char_indices() {
        if seen >= units {
            return i;
        }
        seen += c.len_utf16() as u32;
    }
    s.len()
}

/// The textarea offset (UTF-16 code units, as `setSelectionRange` counts)
/// of a 1-based line and character column, clamped to the line's end.
pub fn utf16_offset(text: &str, lines: &LineIndex, line: u32, col: u32) -> u32 {
    let i = (line.max(1) as usize - 1).min(lines.count() - 1);
    let start = lines.starts[i];
    let before: usize = text[..start].encode_utf16().count();
    let within: usize = lines
        .line(text, i)
        .chars()
        .take(col.saturating_sub(1) as usize)
        .map(char::len_utf16)
        .sum();
    u32::try_from(before + within).unwrap_or(u32::MAX)
}

/// The 1-based line holding a textarea offset (UTF-16 code units).
pub fn line_of_utf16_offset(text: &str, lines: &LineIndex, offset: u32) -> u32 {
    if lines.ascii {
        // One byte, one unit: find the line by its start.
        let at = offset as usize;
        let line = lines.starts.partition_point(|&start| start <= at);
        return u32::try_from(line).unwrap_or(u32::MAX);
    }
    let mut units = 0u32;
    let mut line = 1u32;
    for c in text.chars() {
        if units >= offset {
            break;
        }
        units += c.len_utf16() as u32;
        if c == '\n' {
            line += 1;
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_index_finds_each_line_and_the_widest() {
        let text = "process p\n\tp: fork c\r\n\nlast";
        let lines = LineIndex::new(text);
        assert_eq!(lines.count(), 4);
        assert_eq!(lines.line(text, 0), "process p");
        assert_eq!(
            lines.line(text, 1),
            "\tp: fork c",
            "a CR before the LF is not drawn"
        );
        assert_eq!(lines.line(text, 2), "");
        assert_eq!(lines.line(text, 3), "last");
        assert_eq!(lines.widest, 4 + 9 + 1, "the tab counts 4, and the CR one");
    }

    #[test]
    fn a_text_ending_in_a_newline_has_an_empty_last_line() {
        let lines = LineIndex::new("process p\n");
        assert_eq!(lines.count(), 2);
        assert_eq!(lines.line("process p\n", 1), "");
    }

    #[test]
    fn the_window_covers_the_view_and_a_margin_and_no_more_than_the_text() {
        // A view 400 px tall at the top of 100,000 lines.
        let w = window(0.0, 400.0, 100_000);
        assert_eq!(w.start, 0);
        assert!(
            w.end >= 20 + OVERSCAN && w.end <= 20 + OVERSCAN + CHUNK,
            "{w:?}"
        );
        // Scrolled to line 50,000.
        let top = PAD_PX + 50_000.0 * LINE_PX;
        let w = window(top, 400.0, 100_000);
        assert!(
            w.start <= 50_000 - OVERSCAN && w.start + OVERSCAN + CHUNK > 50_000,
            "{w:?}"
        );
        assert!(w.end >= 50_020 + OVERSCAN, "{w:?}");
        assert!(
            w.len() < 200,
            "a window is a few screens, not the text: {w:?}"
        );
        // Past the end, or a short text: clamped.
        assert_eq!(window(0.0, 400.0, 3), 0..3);
        let w = window(1e9, 400.0, 10);
        assert!(w.start <= w.end && w.end == 10);
    }

    #[test]
    fn a_short_text_is_held_whole_and_a_long_one_around_the_view() {
        assert_eq!(hold(35, &(0..20)), 0..35);
        assert_eq!(hold(WHOLE_MAX_LINES, &(500..520)), 0..WHOLE_MAX_LINES);
        let held = hold(100_000, &(50_000..50_030));
        assert_eq!(held, 50_000 - HOLD_MARGIN..50_030 + HOLD_MARGIN);
        assert_eq!(hold(100_000, &(0..30)), 0..30 + HOLD_MARGIN);
        assert_eq!(
            hold(100_000, &(99_990..100_000)),
            99_990 - HOLD_MARGIN..100_000
        );
    }

    #[test]
    fn a_long_text_is_held_anew_only_when_the_view_nears_an_edge_of_its_part() {
        let held = hold(100_000, &(50_000..50_030));
        assert!(!needs_rehold(&held, &(50_000..50_030), 100_000));
        assert!(!needs_rehold(&held, &(49_800..49_830), 100_000));
        assert!(needs_rehold(&held, &(49_720..49_750), 100_000));
        assert!(needs_rehold(&held, &(50_260..50_290), 100_000));
        // At the text's own edges there is nothing more to hold.
        let top = hold(100_000, &(0..30));
        assert!(!needs_rehold(&top, &(0..30), 100_000));
        // A text that shrank below the limit is held whole again.
        assert!(needs_rehold(&(10..400), &(10..40), 1_000));
        assert!(!needs_rehold(&(0..1_000), &(10..40), 1_000));
        // A paste that made the part huge.
        assert!(needs_rehold(&(0..90_000), &(89_970..90_000), 100_000));
    }

    #[test]
    fn the_held_bytes_are_the_held_lines_without_the_line_end_after_them() {
        let text = "a\nbb\nccc\n";
        let lines = LineIndex::new(text);
        assert_eq!(&text[held_bytes(text, &lines, &(0..4))], text);
        assert_eq!(&text[held_bytes(text, &lines, &(1..3))], "bb\nccc");
        assert_eq!(&text[held_bytes(text, &lines, &(3..4))], "");
        // Put back between what is before and after, the text is whole.
        let b = held_bytes(text, &lines, &(1..2));
        assert_eq!(
            format!("{}{}{}", &text[..b.start], "bb", &text[b.end..]),
            text
        );
    }

    #[test]
    fn utf16_offsets_and_bytes_convert_both_ways() {
        let s = "a😀é\nb";
        assert_eq!(utf16_len(s), 1 + 2 + 1 + 1 + 1);
        assert_eq!(byte_of_utf16(s, 3), 5, "after the emoji");
        assert_eq!(byte_of_utf16(s, 99), s.len());
    }

    #[test]
    fn the_lines_in_view_are_at_least_one_and_inside_the_text() {
        assert_eq!(in_view(0.0, 400.0, 100), 0..20);
        assert_eq!(in_view(0.0, 400.0, 3), 0..3);
        assert_eq!(in_view(1e9, 400.0, 10), 9..10);
        assert_eq!(in_view(0.0, 0.0, 1), 0..1);
    }

    #[test]
    fn a_jump_draws_the_view_and_a_few_lines_and_a_scroll_then_widens_it() {
        let at = |line: f64| PAD_PX + line * LINE_PX;
        let drawn = window(at(0.0), 400.0, 100_000);
        // A step at line 50,000: only the view and SNUG lines either side.
        let jumped = next_window(&drawn, at(50_000.0), 400.0, 100_000, true);
        let view = in_view(at(50_000.0), 400.0, 100_000);
        assert_eq!(jumped, view.start - SNUG..view.end + SNUG);
        // The scroll that shows it changes nothing; one past KEEP lines
        // draws the overscan.
        let same = next_window(&jumped, at(50_000.0), 400.0, 100_000, false);
        assert_eq!(same, jumped);
        let further = at(50_000.0 + (SNUG - KEEP + 1) as f64);
        let wide = next_window(&jumped, further, 400.0, 100_000, false);
        assert_eq!(wide, window(further, 400.0, 100_000));
        // A jump within what is drawn keeps it.
        assert_eq!(next_window(&wide, at(50_001.0), 400.0, 100_000, true), wide);
        // A shorter text after an edit: never beyond its end.
        let short = next_window(&wide, at(0.0), 400.0, 10, false);
        assert_eq!(short, window(at(0.0), 400.0, 10));
    }

    #[test]
    fn scrolling_a_little_keeps_the_same_window() {
        let a = window(PAD_PX + 1000.0 * LINE_PX, 400.0, 100_000);
        let b = window(PAD_PX + 1001.0 * LINE_PX, 400.0, 100_000);
        assert_eq!(a, b, "one line of scroll should not redraw");
    }

    #[test]
    fn an_error_position_becomes_a_textarea_offset_in_utf16_units() {
        let text = "say 😀 é\np: mmap heap 8 shraed\n";
        let lines = LineIndex::new(text);
        // "say 😀 é\n" is 4 + 2 (surrogate pair) + 1 + 1 + 1 = 9 units.
        assert_eq!(utf16_offset(text, &lines, 2, 1), 9);
        assert_eq!(utf16_offset(text, &lines, 2, 16), 9 + 15);
        assert_eq!(utf16_offset(text, &lines, 1, 6), 6, "after the emoji");
        // A column past the line's end stops at its end.
        assert_eq!(utf16_offset(text, &lines, 1, 99), 8);
        assert_eq!(line_of_utf16_offset(text, &lines, 9), 2);
        assert_eq!(line_of_utf16_offset(text, &lines, 8), 1);
        assert_eq!(line_of_utf16_offset(text, &lines, 0), 1);
    }

    #[test]
    fn the_caret_line_of_an_ascii_text_is_found_by_its_line_starts() {
        let text = "process p\np: fork c\n";
        let lines = LineIndex::new(text);
        let lines_of = |o| line_of_utf16_offset(text, &lines, o);
        assert_eq!(
            [lines_of(0), lines_of(9), lines_of(10), lines_of(20)],
            [1, 1, 2, 3]
        );
    }
}
