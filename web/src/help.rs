//! The help panel: the keys, how the editor behaves, and the scenario
//! language reference, docs/scenario-language.md, served next to the app
//! as HTML. The web-assets crate renders the markdown at every build
//! (web-assets/src/reference.rs: headings with `help-` ids, `scn` examples
//! as `<pre class="scn"><code>` with their text escaped), so the app
//! carries neither the markdown nor a parser, nor the reference itself: it
//! is fetched when the panel first opens and kept for the page's life.
//! Here its `scn` examples get the editor's colours (`colour_examples`,
//! every piece of text escaped) and the result is put in the panel. It is
//! our own document, served with the app, with any HTML in the markdown
//! escaped when it was rendered, so injecting it is safe.

use crate::escape::escape;
use crate::highlight;
use crate::static_html::static_html;
use std::cell::RefCell;
use wasm_bindgen::JsCast;
use web_sys::{Element, KeyboardEvent};
use yew::prelude::*;

/// A panel's redraw, waiting for the reference.
type Redraw = Box<dyn FnOnce()>;

/// The reference as far as it got this page (none before the panel first
/// opened).
enum Reference {
    /// On its way, with the panels to redraw when it arrives (a panel
    /// closed and opened again meanwhile is a new one, and waits too).
    Loading(Vec<Redraw>),
    /// Its HTML, coloured.
    Ready(AttrValue),
    /// Why it could not be fetched (it is fetched again when the panel
    /// opens again).
    Failed(String),
}

thread_local! {
    static REFERENCE: RefCell<Option<Reference>> = const { RefCell::new(None) };
}

/// Fetches the reference unless it is here or on its way; while it is on
/// its way, `redraw` is called when it arrives.
fn fetch_reference(redraw: impl FnOnce() + 'static) {
    let start = REFERENCE.with(|r| {
        let mut r = r.borrow_mut();
        match &mut *r {
            Some(Reference::Loading(waiting)) => {
                waiting.push(Box::new(redraw));
                false
            }
            Some(Reference::Ready(_)) => false,
            None | Some(Reference::Failed(_)) => {
                *r = Some(Reference::Loading(vec![Box::new(redraw)]));
                true
            }
        }
    });
    if !start {
        return;
    }
    wasm_bindgen_futures::spawn_local(async move {
        let got = match crate::fetch::text(crate::served::REFERENCE).await {
            Ok(html) => Reference::Ready(colour_examples(&html).into()),
            Err(why) => Reference::Failed(why),
        };
        if let Some(Reference::Loading(waiting)) = REFERENCE.with(|r| r.borrow_mut().replace(got)) {
            for redraw in waiting {
                redraw();
            }
        }
    });
}

/// Where the reference's renderer opens and closes a `scn` example's text.
const SCN_OPEN: &str = "<pre class=\"scn\"><code>";
const SCN_CLOSE: &str = "</code></pre>";

#[derive(Properties, PartialEq)]
pub struct HelpProps {
    pub on_close: Callback<()>,
}

/// The help's own sections, before the reference: static markup
/// (static_html.rs). A test checks the line count it names is the editor's.
const KEYS_AND_EDITING: &str = concat!(
    r#"<h3 id="help-keys">Keys</h3>"#,
    r#"<p class="help-note">These work anywhere but in the editor and other fields.</p>"#,
    r#"<dl class="keys">"#,
    r#"<dt><kbd aria-label="Right arrow">→</kbd></dt><dd>Next step</dd>"#,
    r#"<dt><kbd aria-label="Left arrow">←</kbd></dt><dd>Previous step</dd>"#,
    r#"<dt><kbd>Space</kbd></dt><dd>Play or pause</dd>"#,
    r#"<dt><kbd>Home</kbd></dt><dd>First step (before anything ran)</dd>"#,
    r#"<dt><kbd>End</kbd></dt><dd>Last step</dd>"#,
    r#"<dt><kbd>?</kbd></dt><dd>Open or close this help</dd>"#,
    r#"<dt><kbd>Esc</kbd></dt><dd>Close this help (from inside it)</dd>"#,
    r#"<dt><kbd>Tab</kbd></dt><dd>Move to the next control, also out of the editor (Tab types nothing there; indent with spaces)</dd>"#,
    "</dl>",
    r#"<h3 id="help-editing">Editing</h3>"#,
    r#"<ul class="help-list">"#,
    "<li>The scenario runs again a moment after you stop typing. The line of the step shown is marked ▶ in the margin.</li>",
    "<li>While the text has an error, its line is marked ⚠, the word is underlined, and the message below the editor says the line and column. The views keep showing the last version that ran.</li>",
    "<li>Your text is saved in this browser as you type, and is back when you reload. Each lesson keeps its own edited copy.</li>",
    "<li>A text longer than 2000 lines is edited a part at a time: the editor holds the lines around what you see, so selecting all selects those.</li>",
    "</ul>",
);

#[function_component(Help)]
pub fn help(props: &HelpProps) -> Html {
    let redraw = use_force_update();
    use_effect_with((), move |_| fetch_reference(move || redraw.force_update()));
    let reference = REFERENCE.with(|r| match &*r.borrow() {
        Some(Reference::Ready(html)) => Html::from_html_unchecked(html.clone()),
        Some(Reference::Failed(why)) => html! {
            <p class="help-note help-failed" role="alert">
                {format!("The language reference could not be loaded: {why}. Close and open the help to try again; the same text is docs/scenario-language.md in the repository.")}
            </p>
        },
        None | Some(Reference::Loading(_)) => html! {
            <p class="help-note help-loading" role="status">{"Loading the language reference…"}</p>
        },
    });
    let heading = use_node_ref();
    {
        // Move focus into the panel when it opens, so that a keyboard or
        // screen-reader user is taken to it.
        let heading = heading.clone();
        use_effect_with((), move |_| {
            if let Some(h) = heading.cast::<web_sys::HtmlElement>() {
                h.focus().ok();
            }
        });
    }
    let close = props.on_close.reform(|_: MouseEvent| ());
    let on_key = {
        let on_close = props.on_close.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Escape" {
                e.prevent_default();
                on_close.emit(());
            }
        })
    };
    html! {
        <aside class="help" aria-labelledby="help-title" onkeydown={on_key}>
            <header class="help-head">
                <h2 id="help-title" tabindex="-1" ref={heading}>{"Help"}</h2>
                <button type="button" class="help-close" aria-label="Close help" onclick={close}>{"×"}</button>
            </header>
            <nav class="help-jump" aria-label="Help sections">
                <a href="#help-keys" onclick={jump()}>{"Keys"}</a>
                <a href="#help-editing" onclick={jump()}>{"Editing"}</a>
                <a href="#help-the-scenario-language" onclick={jump()}>{"The scenario language"}</a>
            </nav>
            { static_html(KEYS_AND_EDITING) }
            <div class="help-doc" onclick={jump()}>
                { reference }
            </div>
        </aside>
    }
}

/// A click on a link to a heading of the panel scrolls the panel to it,
/// without changing the page's address (the app keeps its state there),
/// also while the reference it may lead into is not here yet.
fn jump() -> Callback<MouseEvent> {
    Callback::from(|e: MouseEvent| {
        let Some(link) = e
            .target()
            .and_then(|t| t.dyn_into::<Element>().ok())
            .and_then(|el| el.closest("a[href^='#help-']").ok().flatten())
        else {
            return;
        };
        let Some(id) = link.get_attribute("href").map(|h| h[1..].to_string()) else {
            return;
        };
        e.prevent_default();
        if let Some(target) = gloo::utils::document().get_element_by_id(&id) {
            target.scroll_into_view();
        }
    })
}

/// The reference's HTML with each `scn` example's text coloured as the
/// editor colours it: its lines cut by `highlight::segments`, each piece
/// escaped again and wrapped in a span of its class.
pub fn colour_examples(html: &str) -> String {
    let mut out = String::with_capacity(html.len() * 2);
    let mut rest = html;
    while let Some(at) = rest.find(SCN_OPEN) {
        let body_at = at + SCN_OPEN.len();
        let Some(len) = rest[body_at..].find(SCN_CLOSE) else {
            break;
        };
        out.push_str(&rest[..body_at]);
        let text = unescape(&rest[body_at..body_at + len]);
        for (i, line) in text.split('\n').enumerate() {
            if i > 0 {
                out.push('\n');
            }
            let (segments, _) = highlight::segments(line, None);
            for s in segments {
                let piece = &line[s.start..s.end];
                match s.class {
                    Some(c) => {
                        out.push_str("<span class=\"");
                        out.push_str(c.css());
                        out.push_str("\">");
                        escape(piece, &mut out);
                        out.push_str("</span>");
                    }
                    None => escape(piece, &mut out),
                }
            }
        }
        rest = &rest[body_at + len..];
    }
    out.push_str(rest);
    out
}

/// The text the reference's renderer escaped (the four entities it writes; `&amp;` last,
/// so that an escaped `&lt;` in the text stays `&lt;`).
fn unescape(html: &str) -> String {
    html.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_help_names_the_editors_line_limit() {
        let said = format!(
            "A text longer than {} lines",
            crate::editor::WHOLE_MAX_LINES
        );
        assert!(KEYS_AND_EDITING.contains(&said), "{said}");
    }

    /// The reference as the app fetches it: docs/scenario-language.md
    /// rendered by web-assets.
    #[cfg(not(target_arch = "wasm32"))]
    fn reference_html() -> String {
        let root = web_assets::repository();
        let markdown = std::fs::read_to_string(root.join("docs/scenario-language.md"))
            .expect("docs/scenario-language.md is there");
        web_assets::reference::render(&markdown)
    }

    #[test]
    fn the_examples_are_coloured_with_every_piece_escaped() {
        let html = colour_examples(
            "<p>x &lt; y</p><pre class=\"scn\"><code>process P\n# a &lt;note&gt; &amp;</code></pre>",
        );
        assert!(html.starts_with("<p>x &lt; y</p><pre class=\"scn\"><code><span class=\""));
        assert!(html.contains("\"t-stmt\">process</span>"), "{html}");
        assert!(
            html.contains("# a &lt;note&gt; &amp;</span></code></pre>"),
            "{html}"
        );
        assert!(!html.contains("<note>"));
    }

    #[test]
    #[cfg(not(target_arch = "wasm32"))]
    fn every_example_of_the_reference_gets_colours() {
        let reference = reference_html();
        let html = colour_examples(&reference);
        let examples = html.matches(SCN_OPEN).count();
        assert_eq!(examples, reference.matches(SCN_OPEN).count());
        assert!(
            examples >= 60,
            "the reference has 61 scn examples, found {examples}"
        );
        for block in html.split(SCN_OPEN).skip(1) {
            let body = &block[..block.find(SCN_CLOSE).expect("every example is closed")];
            assert!(
                body.contains("<span class=\"t-"),
                "an example without colour: {body}"
            );
        }
    }
}
