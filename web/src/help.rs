//! The help panel: the keys, how the editor behaves, and the scenario
//! language reference, docs/scenario-language.md, built into the app and
//! drawn from its markdown (pulldown-cmark, without its HTML writer: the
//! events become yew nodes, so no HTML string is ever injected, and the
//! reference's scenarios get the editor's colours).

use crate::highlight;
use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag};
use std::collections::BTreeMap;
use wasm_bindgen::JsCast;
use web_sys::{Element, KeyboardEvent};
use yew::prelude::*;

/// The language reference, as the repository has it.
pub const REFERENCE: &str = include_str!("../../docs/scenario-language.md");

/// What the ids of the reference's headings start with, so that they
/// cannot clash with the app's own ids (`view-...`, `editor-...`).
const ID_PREFIX: &str = "help-";

#[derive(Properties, PartialEq)]
pub struct HelpProps {
    pub on_close: Callback<()>,
}

#[function_component(Help)]
pub fn help(props: &HelpProps) -> Html {
    let reference = use_memo((), |_| render(REFERENCE));
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

/// The id GitHub gives a heading: lowercase, punctuation dropped, spaces
/// as `-` (so the reference's own "Contents" links work here too).
pub fn slug(heading: &str) -> String {
    heading
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
/// The headings of a markdown text, with the ids `render` gives them
/// (prefixed; a repeated heading gets `-1`, `-2`... as on GitHub).
pub fn heading_ids(markdown: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut seen = BTreeMap::new();
    let mut text: Option<String> = None;
    for event in Parser::new_ext(markdown, options()) {
        match event {
            Event::Start(Tag::Heading { .. }) => text = Some(String::new()),
            Event::Text(t) | Event::Code(t) => {
                if let Some(s) = text.as_mut() {
                    s.push_str(&t);
                }
            }
            Event::End(pulldown_cmark::TagEnd::Heading(_)) => {
                ids.push(unique_id(&mut seen, &text.take().unwrap_or_default()));
            }
            _ => {}
        }
    }
    ids
}

#[cfg(test)]
/// The links of a markdown text that point inside it (`#...`).
pub fn internal_links(markdown: &str) -> Vec<String> {
    Parser::new_ext(markdown, options())
        .filter_map(|e| match e {
            Event::Start(Tag::Link { dest_url, .. }) => dest_url
                .strip_prefix('#')
                .map(|s| format!("{ID_PREFIX}{s}")),
            _ => None,
        })
        .collect()
}

fn options() -> Options {
    Options::ENABLE_TABLES
}

fn unique_id(seen: &mut BTreeMap<String, u32>, heading: &str) -> String {
    let base = slug(heading);
    let n = seen.entry(base.clone()).or_insert(0);
    let id = match *n {
        0 => format!("{ID_PREFIX}{base}"),
        k => format!("{ID_PREFIX}{base}-{k}"),
    };
    *n += 1;
    id
}

/// An element being built: its tag and what is inside it so far.
struct Open<'a> {
    tag: Tag<'a>,
    children: Vec<Html>,
    /// The plain text inside (headings need it for their id, code blocks
    /// are drawn from it).
    text: String,
}

/// Markdown drawn as yew nodes: headings one level down (the panel's own
/// heading is the h2), `scn` examples coloured as the editor colours them,
/// links inside the reference kept inside the panel, links to files of
/// the repository shown as text (the app has no such files).
pub fn render(markdown: &str) -> Html {
    let mut stack: Vec<Open> = vec![Open {
        tag: Tag::Paragraph,
        children: Vec::new(),
        text: String::new(),
    }];
    let mut seen = BTreeMap::new();
    let mut in_head = false;
    for event in Parser::new_ext(markdown, options()) {
        match event {
            Event::Start(tag) => {
                if matches!(tag, Tag::TableHead) {
                    in_head = true;
                }
                stack.push(Open {
                    tag,
                    children: Vec::new(),
                    text: String::new(),
                });
            }
            Event::End(_) => {
                let Some(open) = stack.pop() else { break };
                if matches!(open.tag, Tag::TableHead) {
                    in_head = false;
                }
                let node = element(open, in_head, &mut seen);
                if let Some(parent) = stack.last_mut() {
                    parent.children.push(node);
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t);
                    top.children.push(html! { {t.to_string()} });
                }
                // A heading's id needs the text of its inline children too.
                if let Some(h) = stack
                    .iter_mut()
                    .rev()
                    .skip(1)
                    .find(|o| matches!(o.tag, Tag::Heading { .. }))
                {
                    h.text.push_str(&t);
                }
            }
            Event::Code(t) => {
                for open in stack.iter_mut().rev() {
                    if matches!(open.tag, Tag::Heading { .. }) {
                        open.text.push_str(&t);
                        break;
                    }
                }
                if let Some(top) = stack.last_mut() {
                    top.children.push(html! { <code>{t.to_string()}</code> });
                }
            }
            Event::SoftBreak => push(&mut stack, html! { {" "} }),
            Event::HardBreak => push(&mut stack, html! { <br /> }),
            Event::Rule => push(&mut stack, html! { <hr /> }),
            // The reference has no raw HTML; show any as text, never as markup.
            Event::Html(t) | Event::InlineHtml(t) => push(&mut stack, html! { {t.to_string()} }),
            _ => {}
        }
    }
    let root = stack.swap_remove(0);
    html! { <>{ for root.children }</> }
}

fn push(stack: &mut [Open], node: Html) {
    if let Some(top) = stack.last_mut() {
        top.children.push(node);
    }
}

/// The element an open tag becomes once closed.
fn element(open: Open, in_head: bool, seen: &mut BTreeMap<String, u32>) -> Html {
    let Open {
        tag,
        children,
        text,
    } = open;
    let kids = html! { <>{ for children }</> };
    match tag {
        Tag::Paragraph => html! { <p>{kids}</p> },
        Tag::Heading { level, .. } => {
            let id = unique_id(seen, &text);
            match level {
                HeadingLevel::H1 => html! { <h2 {id}>{kids}</h2> },
                HeadingLevel::H2 => html! { <h3 {id}>{kids}</h3> },
                HeadingLevel::H3 => html! { <h4 {id}>{kids}</h4> },
                HeadingLevel::H4 => html! { <h5 {id}>{kids}</h5> },
                HeadingLevel::H5 | HeadingLevel::H6 => html! { <h6 {id}>{kids}</h6> },
            }
        }
        Tag::BlockQuote(_) => html! { <blockquote>{kids}</blockquote> },
        Tag::CodeBlock(kind) => {
            let info = match &kind {
                CodeBlockKind::Fenced(info) => info.to_string(),
                CodeBlockKind::Indented => String::new(),
            };
            code_block(&info, &text)
        }
        Tag::List(Some(start)) => {
            html! { <ol start={start.to_string()}>{kids}</ol> }
        }
        Tag::List(None) => html! { <ul>{kids}</ul> },
        Tag::Item => html! { <li>{kids}</li> },
        Tag::Table(_) => html! { <div class="help-table"><table>{kids}</table></div> },
        Tag::TableHead => html! { <thead><tr>{kids}</tr></thead> },
        Tag::TableRow => html! { <tr>{kids}</tr> },
        Tag::TableCell if in_head => html! { <th>{kids}</th> },
        Tag::TableCell => html! { <td>{kids}</td> },
        Tag::Emphasis => html! { <em>{kids}</em> },
        Tag::Strong => html! { <strong>{kids}</strong> },
        Tag::Strikethrough => html! { <s>{kids}</s> },
        Tag::Link { dest_url, .. } => match dest_url.strip_prefix('#') {
            Some(anchor) => {
                let href = format!("#{ID_PREFIX}{anchor}");
                html! { <a {href}>{kids}</a> }
            }
            None if dest_url.starts_with("https://") => {
                html! { <a href={dest_url.to_string()} target="_blank" rel="noopener">{kids}</a> }
            }
            None => html! { <span class="help-file">{kids}</span> },
        },
        _ => kids,
    }
}

/// A fenced block: `scn` examples coloured (the `scn error` and `scn
/// fails` ones captioned as such), `syntax` lines as the language's
/// forms, anything else (a trace, an error print) as plain text.
fn code_block(info: &str, text: &str) -> Html {
    let text = text.strip_suffix('\n').unwrap_or(text);
    let mut words = info.split_whitespace();
    let lang = words.next().unwrap_or("");
    let caption = match (lang, words.next()) {
        ("scn", Some("error")) => Some("Example that stops with an error"),
        ("scn", Some("fails")) => Some("Example whose expect fails"),
        ("scn", _) => Some("Example"),
        ("syntax", _) => Some("Form"),
        _ => None,
    };
    let body = if lang == "scn" {
        let lines = text.split('\n').map(|line| {
            let (segments, _) = highlight::segments(line, None);
            let spans = segments.into_iter().map(|s| {
                let piece = &line[s.start..s.end];
                match s.class {
                    Some(c) => html! { <span class={c.css()}>{piece}</span> },
                    None => html! { {piece} },
                }
            });
            html! { <>{ for spans }{"\n"}</> }
        });
        html! { <code>{ for lines }</code> }
    } else {
        html! { <code>{text.to_string()}</code> }
    };
    html! {
        <figure class={classes!("help-code", format!("lang-{lang}"))}>
            if let Some(caption) = caption {
                <figcaption>{caption}</figcaption>
            }
            <pre>{body}</pre>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_heading_slug_is_lowercase_with_dashes_and_no_punctuation() {
        assert_eq!(slug("A first scenario"), "a-first-scenario");
        assert_eq!(
            slug("Pages: shared, private, absent, zero"),
            "pages-shared-private-absent-zero"
        );
        assert_eq!(slug("read, write"), "read-write");
    }

    #[test]
    fn every_link_inside_the_reference_leads_to_one_of_its_headings() {
        let ids = heading_ids(REFERENCE);
        let links = internal_links(REFERENCE);
        assert!(links.len() >= 15, "the contents alone link 15 sections");
        for link in &links {
            assert!(ids.contains(link), "{link} is no heading's id");
        }
    }

    #[test]
    fn the_reference_headings_get_distinct_ids() {
        let ids = heading_ids(REFERENCE);
        let distinct: std::collections::BTreeSet<_> = ids.iter().collect();
        assert_eq!(distinct.len(), ids.len());
        assert!(ids.contains(&"help-the-scenario-language".to_string()));
        assert!(ids.contains(&"help-mmap".to_string()));
    }

    #[test]
    fn a_repeated_heading_gets_a_numbered_id() {
        assert_eq!(
            heading_ids("# Notes\n\n## Notes\n\n## Other\n"),
            vec!["help-notes", "help-notes-1", "help-other"]
        );
    }
}
