//! The help panel: the keys, how the editor behaves, and the scenario
//! language reference, docs/scenario-language.md, built into the app as
//! HTML. web/build.rs renders the markdown at build time (so the app
//! carries neither the markdown nor a parser); here its `scn` examples get
//! the editor's colours (`colour_examples`, every piece of text escaped)
//! and the result is put in the panel. It is our own compiled-in document,
//! with any HTML in the markdown escaped by build.rs, so injecting it is
//! safe.

use crate::escape::escape;
use crate::highlight;
use wasm_bindgen::JsCast;
use web_sys::{Element, KeyboardEvent};
use yew::prelude::*;

/// The language reference as HTML, rendered by web/build.rs from
/// docs/scenario-language.md (headings with `help-` ids, `scn` examples
/// as `<pre class="scn"><code>` with their text escaped).
pub const REFERENCE_HTML: &str = include_str!(concat!(env!("OUT_DIR"), "/scenario-language.html"));

/// Where build.rs opens and closes a `scn` example's text.
const SCN_OPEN: &str = "<pre class=\"scn\"><code>";
const SCN_CLOSE: &str = "</code></pre>";

#[derive(Properties, PartialEq)]
pub struct HelpProps {
    pub on_close: Callback<()>,
}

#[function_component(Help)]
pub fn help(props: &HelpProps) -> Html {
    let reference = use_memo((), |_| {
        Html::from_html_unchecked(AttrValue::from(colour_examples(REFERENCE_HTML)))
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
            <h3 id="help-keys">{"Keys"}</h3>
            <p class="help-note">{"These work anywhere but in the editor and other fields."}</p>
            <dl class="keys">
                <dt><kbd aria-label="Right arrow">{"→"}</kbd></dt><dd>{"Next step"}</dd>
                <dt><kbd aria-label="Left arrow">{"←"}</kbd></dt><dd>{"Previous step"}</dd>
                <dt><kbd>{"Space"}</kbd></dt><dd>{"Play or pause"}</dd>
                <dt><kbd>{"Home"}</kbd></dt><dd>{"First step (before anything ran)"}</dd>
                <dt><kbd>{"End"}</kbd></dt><dd>{"Last step"}</dd>
                <dt><kbd>{"?"}</kbd></dt><dd>{"Open or close this help"}</dd>
                <dt><kbd>{"Esc"}</kbd></dt><dd>{"Close this help (from inside it)"}</dd>
                <dt><kbd>{"Tab"}</kbd></dt><dd>{"Move to the next control, also out of the editor (Tab types nothing there; indent with spaces)"}</dd>
            </dl>
            <h3 id="help-editing">{"Editing"}</h3>
            <ul class="help-list">
                <li>{"The scenario runs again a moment after you stop typing. The line of the step shown is marked ▶ in the margin."}</li>
                <li>{"While the text has an error, its line is marked ⚠, the word is underlined, and the message below the editor says the line and column. The views keep showing the last version that ran."}</li>
                <li>{"Your text is saved in this browser as you type, and is back when you reload. Each lesson keeps its own edited copy."}</li>
                <li>{format!("A text longer than {} lines is edited a part at a time: the editor holds the lines around what you see, so selecting all selects those.", crate::editor::WHOLE_MAX_LINES)}</li>
            </ul>
            <div class="help-doc" onclick={jump()}>
                { (*reference).clone() }
            </div>
        </aside>
    }
}

/// A click on a link to a heading of the panel scrolls the panel to it,
/// without changing the page's address (the app keeps its state there).
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
        if let Some(target) = gloo::utils::document().get_element_by_id(&id) {
            e.prevent_default();
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

/// The text build.rs escaped (the four entities it writes; `&amp;` last,
/// so that an escaped `&lt;` in the text stays `&lt;`).
fn unescape(html: &str) -> String {
    html.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

/// build.rs's renderer, run here on small texts.
#[cfg(test)]
#[path = "../build/reference.rs"]
mod reference;

#[cfg(test)]
mod tests {
    use super::*;

    /// The values of `attr="..."` in an HTML text, in order.
    fn attrs(html: &str, attr: &str) -> Vec<String> {
        let open = format!(" {attr}=\"");
        html.match_indices(&open)
            .filter_map(|(at, _)| {
                let rest = &html[at + open.len()..];
                rest.find('"').map(|end| rest[..end].to_string())
            })
            .collect()
    }

    #[test]
    fn a_heading_slug_is_lowercase_with_dashes_and_no_punctuation() {
        assert_eq!(reference::slug("A first scenario"), "a-first-scenario");
        assert_eq!(
            reference::slug("Pages: shared, private, absent, zero"),
            "pages-shared-private-absent-zero"
        );
        assert_eq!(reference::slug("read, write"), "read-write");
    }

    #[test]
    fn every_link_inside_the_reference_leads_to_one_of_its_headings() {
        let ids = attrs(REFERENCE_HTML, "id");
        let links: Vec<_> = attrs(REFERENCE_HTML, "href")
            .into_iter()
            .filter_map(|h| h.strip_prefix('#').map(str::to_string))
            .collect();
        assert!(links.len() >= 15, "the contents alone link 15 sections");
        for link in &links {
            assert!(link.starts_with("help-"), "{link} is not a help id");
            assert!(ids.contains(link), "{link} is no heading's id");
        }
    }

    #[test]
    fn the_reference_headings_get_distinct_ids() {
        let ids = attrs(REFERENCE_HTML, "id");
        let distinct: std::collections::BTreeSet<_> = ids.iter().collect();
        assert_eq!(distinct.len(), ids.len());
        assert!(ids.contains(&"help-the-scenario-language".to_string()));
        assert!(ids.contains(&"help-mmap".to_string()));
        assert!(REFERENCE_HTML.starts_with("<h2 id=\"help-the-scenario-language\">"));
    }

    #[test]
    fn a_repeated_heading_gets_a_numbered_id() {
        let html = reference::render("# Notes\n\n## Notes\n\n## Other\n");
        assert_eq!(
            attrs(&html, "id"),
            vec!["help-notes", "help-notes-1", "help-other"]
        );
    }

    #[test]
    fn markup_in_the_markdown_is_shown_as_text_and_files_are_not_links() {
        let html =
            reference::render("A <b>bold</b> claim & [the facts](tests/facts.rs), [up](#top).\n");
        assert_eq!(
            html,
            "<p>A &lt;b&gt;bold&lt;/b&gt; claim &amp; \
             <span class=\"help-file\">the facts</span>, <a href=\"#help-top\">up</a>.</p>"
        );
    }

    #[test]
    fn a_scn_example_is_captioned_and_marked_for_colouring() {
        let html = reference::render("```scn error\nP: write <1> \"a\"\n```\n");
        assert_eq!(
            html,
            "<figure class=\"help-code lang-scn\">\
             <figcaption>Example that stops with an error</figcaption>\
             <pre class=\"scn\"><code>P: write &lt;1&gt; &quot;a&quot;</code></pre></figure>\n"
        );
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
    fn every_example_of_the_reference_gets_colours() {
        let html = colour_examples(REFERENCE_HTML);
        let examples = html.matches(SCN_OPEN).count();
        assert_eq!(examples, REFERENCE_HTML.matches(SCN_OPEN).count());
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
