//! The scenario editor: a textarea labelled "Scenario" over a `<pre>` of
//! coloured lines, with a line-number gutter, the shown step's line marked,
//! and the parse error underlined at its line and column and said in an
//! alert below.
//!
//! The textarea is as tall and wide as its text, so it never scrolls
//! itself: one box around it, the gutter and the colours scrolls them all
//! together, and nothing has to be kept in sync by script. Only the lines
//! in that box's view (and a margin) are coloured and numbered, so a
//! 100,000-line text costs what 100 lines do.
//!
//! The textarea is left uncontrolled: its value is set only when the text
//! comes from elsewhere (a lesson opened, a draft restored), never on the
//! learner's own typing, so re-rendering never moves the caret or loses the
//! selection.

use crate::highlight::{self, Segment};
use sim_core::scenario::ScenarioError;
use std::ops::Range;
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, HtmlTextAreaElement};
use yew::prelude::*;

/// The height of a line in CSS pixels (web/css/editor.css `--ed-lh`).
const LINE_PX: f64 = 20.0;
/// The padding above the first line and left of the text (`--ed-pad`).
const PAD_PX: f64 = 8.0;
/// Lines coloured beyond each edge of the view, so that a scroll shows
/// coloured lines before the next render.
const OVERSCAN: usize = 40;
/// The coloured window moves in steps of this many lines, so scrolling
/// re-renders only now and then.
const CHUNK: usize = 32;
/// The view's height assumed before it is measured.
const DEFAULT_VIEW_PX: f64 = 800.0;

#[derive(Properties, PartialEq)]
pub struct EditorProps {
    pub text: AttrValue,
    /// The parse error of the text as it is, if it does not parse.
    pub error: Option<ScenarioError>,
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
}

pub struct Editor {
    area: NodeRef,
    scroller: NodeRef,
    /// The text the textarea holds (what the lines are drawn from).
    text: String,
    lines: LineIndex,
    /// The lines drawn.
    window: Range<usize>,
    /// The textarea must be given `text` at the next render.
    set_value: bool,
    /// The shown step's line must be scrolled into view if it is not.
    reveal: bool,
    /// The caret must be scrolled into view (after typing).
    follow_caret: bool,
}

impl Component for Editor {
    type Message = Msg;
    type Properties = EditorProps;

    fn create(ctx: &Context<Self>) -> Self {
        let text = ctx.props().text.to_string();
        let lines = LineIndex::new(&text);
        let window = window(0.0, DEFAULT_VIEW_PX, lines.count());
        Editor {
            area: NodeRef::default(),
            scroller: NodeRef::default(),
            text,
            lines,
            window,
            set_value: true,
            reveal: true,
            follow_caret: false,
        }
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        match msg {
            Msg::Input => {
                let Some(area) = self.area.cast::<HtmlTextAreaElement>() else {
                    return false;
                };
                self.text = area.value();
                self.lines = LineIndex::new(&self.text);
                self.follow_caret = true;
                self.update_window();
                ctx.props().on_edit.emit(self.text.clone());
                true
            }
            Msg::Scroll => self.update_window(),
            Msg::GoToError => {
                if let (Some(err), Some(area)) =
                    (&ctx.props().error, self.area.cast::<HtmlTextAreaElement>())
                {
                    let at = utf16_offset(&self.text, &self.lines, err.pos.line, err.pos.col);
                    area.focus().ok();
                    area.set_selection_range(at, at).ok();
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
            self.lines = LineIndex::new(&self.text);
            self.set_value = true;
            self.reveal = true;
        }
        if props.line != old.line {
            self.reveal = true;
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
        let top = PAD_PX + self.window.start as f64 * LINE_PX;
        let height = 2.0 * PAD_PX + (count + 1) as f64 * LINE_PX;

        let numbers = self.window.clone().map(|i| {
            let n = i + 1;
            let mark = if error_line == Some(n) {
                "⚠"
            } else if current == Some(n) {
                "▶"
            } else {
                ""
            };
            let class = classes!(
                "ed-num",
                (current == Some(n)).then_some("current"),
                (error_line == Some(n)).then_some("has-error"),
            );
            html! { <div {class}><span class="ed-mark">{mark}</span>{n}</div> }
        });
        let code = self.window.clone().map(|i| {
            let n = i + 1;
            let error_col = props
                .error
                .as_ref()
                .filter(|e| e.pos.line as usize == n)
                .map(|e| e.pos.col);
            let class = classes!(
                "ed-line",
                (current == Some(n)).then_some("current"),
                (error_line == Some(n)).then_some("has-error"),
            );
            html! { <div {class}>{ line_html(self.lines.line(&self.text, i), error_col) }</div> }
        });

        let status = match &props.error {
            Some(_) => html! {
                <span class="ed-status bad">{"⚠ Not run: the views show the last version that ran"}</span>
            },
            None => {
                // The empty line after a final newline is no line of the text.
                let written = count - usize::from(self.text.ends_with('\n'));
                let lines = if written == 1 { "line" } else { "lines" };
                html! { <span class="ed-status good">{format!("✓ Runs · {written} {lines}")}</span> }
            }
        };
        let alert = match &props.error {
            Some(err) => html! {
                <>
                    <span class="ed-alert-icon" aria-hidden="true">{"⚠"}</span>
                    <span class="ed-alert-text">
                        {format!("Line {}, column {}: {}", err.pos.line, err.pos.col, err.kind)}
                    </span>
                    <button type="button" class="ed-goto" onclick={link.callback(|_| Msg::GoToError)}>
                        {"Go to the error"}
                    </button>
                </>
            },
            None => html! {},
        };
        html! {
            <section class="editor" aria-labelledby="editor-title">
                <header class="ed-head">
                    <h2 id="editor-title">{"Scenario"}</h2>
                    { status }
                </header>
                <div class="ed-scroll" ref={self.scroller.clone()} onscroll={link.callback(|_: Event| Msg::Scroll)}>
                    <div class="ed-body" style={format!("height:{height}px")}>
                        <div class="ed-gutter" aria-hidden="true" style={format!("width:{}ch", digits + 3)}>
                            <div class="ed-window" style={format!("top:{top}px")}>{ for numbers }</div>
                        </div>
                        <div class="ed-text">
                            <pre class="ed-code" aria-hidden="true" style={format!("top:{top}px")}>{ for code }</pre>
                            <textarea ref={self.area.clone()} aria-label="Scenario"
                                aria-invalid={props.error.is_some().to_string()}
                                aria-describedby="editor-error"
                                spellcheck="false" autocomplete="off" autocapitalize="off"
                                wrap="off"
                                style={format!("height:{height}px;width:max(100%, calc({}ch + 3rem))", self.lines.widest)}
                                oninput={link.callback(|_: InputEvent| Msg::Input)} />
                        </div>
                    </div>
                </div>
                <div id="editor-error" class={classes!("ed-alert", props.error.is_some().then_some("shown"))} role="alert">
                    { alert }
                </div>
            </section>
        }
    }

    fn rendered(&mut self, ctx: &Context<Self>, first_render: bool) {
        let area = self.area.cast::<HtmlTextAreaElement>();
        let scroller = self.scroller.cast::<HtmlElement>();
        if let (true, Some(area)) = (self.set_value, &area) {
            self.set_value = false;
            area.set_value(&self.text);
            // The textarea keeps `\n` line ends only: draw what it holds.
            let held = area.value();
            if held != self.text {
                self.text = held;
                self.lines = LineIndex::new(&self.text);
                ctx.link().send_message(Msg::Scroll);
            }
            if !first_render {
                if let Some(s) = &scroller {
                    s.set_scroll_top(0);
                }
            }
        }
        if let Some(area) = &area {
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
                let line = line_of_utf16_offset(&self.text, caret);
                self.scroll_to_line(line, true);
            }
        }
        if std::mem::take(&mut self.reveal) {
            let typing = area.as_ref().is_some_and(|a| {
                gloo::utils::document().active_element().as_ref() == Some(a.unchecked_ref())
            });
            if let (Some(line), false) = (ctx.props().line, typing) {
                if self.scroll_to_line(line, false) {
                    ctx.link().send_message(Msg::Scroll);
                }
            }
        }
    }
}

impl Editor {
    /// Measure the box and move the drawn window if the view left it;
    /// true when it moved.
    fn update_window(&mut self) -> bool {
        let Some(scroller) = self.scroller.cast::<HtmlElement>() else {
            return false;
        };
        let height = match scroller.client_height() {
            0 => DEFAULT_VIEW_PX,
            h => f64::from(h),
        };
        let next = window(f64::from(scroller.scroll_top()), height, self.lines.count());
        if next == self.window {
            return false;
        }
        self.window = next;
        true
    }

    /// Scroll the box so that `line` (1-based) is in view, if it is not:
    /// just into view when following the caret, else a third down the
    /// box. True when it scrolled.
    fn scroll_to_line(&self, line: u32, nearest: bool) -> bool {
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
        true
    }
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
        }
    }

    /// How many lines (a text ending in a newline has an empty last line,
    /// as the textarea shows it).
    pub fn count(&self) -> usize {
        self.starts.len()
    }

    /// Line `i` (from 0) of `text`, without its line end.
    pub fn line<'t>(&self, text: &'t str, i: usize) -> &'t str {
        let start = self.starts[i];
        let end = self.starts.get(i + 1).map_or(text.len(), |&next| next - 1);
        let line = &text[start..end];
        line.strip_suffix('\r').unwrap_or(line)
    }
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
pub fn line_of_utf16_offset(text: &str, offset: u32) -> u32 {
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
        assert_eq!(line_of_utf16_offset(text, 9), 2);
        assert_eq!(line_of_utf16_offset(text, 8), 1);
        assert_eq!(line_of_utf16_offset(text, 0), 1);
    }
}
