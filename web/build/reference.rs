//! The reference's markdown to HTML (see web/build.rs, which runs it at
//! build time; web/src/help.rs includes this file in its tests too, so the
//! rules below are tested with the app's tests).

use crate::escape::escape;
use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// What the ids of the reference's headings start with, so that they
/// cannot clash with the app's own ids (`view-...`, `editor-...`).
pub const ID_PREFIX: &str = "help-";

/// The id GitHub gives a heading: lowercase, punctuation dropped, spaces
/// as `-`.
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

/// A heading's id, prefixed; a repeated heading gets `-1`, `-2`... as on
/// GitHub.
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
    inner: String,
    /// The plain text inside (headings need it for their id, code blocks
    /// are drawn from it).
    text: String,
}

pub fn render(markdown: &str) -> String {
    let mut stack: Vec<Open> = vec![Open {
        tag: Tag::Paragraph,
        inner: String::new(),
        text: String::new(),
    }];
    let mut seen = BTreeMap::new();
    let mut in_head = false;
    for event in Parser::new_ext(markdown, Options::ENABLE_TABLES) {
        match event {
            Event::Start(tag) => {
                if matches!(tag, Tag::TableHead) {
                    in_head = true;
                }
                stack.push(Open {
                    tag,
                    inner: String::new(),
                    text: String::new(),
                });
            }
            Event::End(end) => {
                let Some(open) = stack.pop() else { break };
                if matches!(end, TagEnd::TableHead) {
                    in_head = false;
                }
                let node = element(open, in_head, &mut seen);
                if let Some(parent) = stack.last_mut() {
                    parent.inner.push_str(&node);
                }
            }
            Event::Text(t) => {
                // A heading's id needs the text of its inline children too.
                for open in stack.iter_mut().rev() {
                    if matches!(open.tag, Tag::Heading { .. }) {
                        open.text.push_str(&t);
                        break;
                    }
                }
                if let Some(top) = stack.last_mut() {
                    if !matches!(top.tag, Tag::Heading { .. }) {
                        top.text.push_str(&t);
                    }
                    escape(&t, &mut top.inner);
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
                    top.inner.push_str("<code>");
                    escape(&t, &mut top.inner);
                    top.inner.push_str("</code>");
                }
            }
            Event::SoftBreak => push(&mut stack, " "),
            Event::HardBreak => push(&mut stack, "<br>"),
            Event::Rule => push(&mut stack, "<hr>"),
            // The reference has no raw HTML; show any as text, never as markup.
            Event::Html(t) | Event::InlineHtml(t) => {
                if let Some(top) = stack.last_mut() {
                    escape(&t, &mut top.inner);
                }
            }
            _ => {}
        }
    }
    stack.swap_remove(0).inner
}

fn push(stack: &mut [Open], html: &str) {
    if let Some(top) = stack.last_mut() {
        top.inner.push_str(html);
    }
}

/// The HTML an open tag becomes once closed.
fn element(open: Open, in_head: bool, seen: &mut BTreeMap<String, u32>) -> String {
    let Open { tag, inner, text } = open;
    match tag {
        Tag::Paragraph => format!("<p>{inner}</p>"),
        Tag::Heading { level, .. } => {
            let id = unique_id(seen, &text);
            let h = match level {
                HeadingLevel::H1 => "h2",
                HeadingLevel::H2 => "h3",
                HeadingLevel::H3 => "h4",
                HeadingLevel::H4 => "h5",
                HeadingLevel::H5 | HeadingLevel::H6 => "h6",
            };
            format!("<{h} id=\"{id}\">{inner}</{h}>\n")
        }
        Tag::BlockQuote(_) => format!("<blockquote>{inner}</blockquote>"),
        Tag::CodeBlock(kind) => {
            let info = match &kind {
                CodeBlockKind::Fenced(info) => info.to_string(),
                CodeBlockKind::Indented => String::new(),
            };
            code_block(&info, &text)
        }
        Tag::List(Some(start)) => format!("<ol start=\"{start}\">{inner}</ol>"),
        Tag::List(None) => format!("<ul>{inner}</ul>"),
        Tag::Item => format!("<li>{inner}</li>"),
        Tag::Table(_) => format!("<div class=\"help-table\"><table>{inner}</table></div>"),
        Tag::TableHead => format!("<thead><tr>{inner}</tr></thead>"),
        Tag::TableRow => format!("<tr>{inner}</tr>"),
        Tag::TableCell if in_head => format!("<th>{inner}</th>"),
        Tag::TableCell => format!("<td>{inner}</td>"),
        Tag::Emphasis => format!("<em>{inner}</em>"),
        Tag::Strong => format!("<strong>{inner}</strong>"),
        Tag::Strikethrough => format!("<s>{inner}</s>"),
        Tag::Link { dest_url, .. } => {
            let mut href = String::new();
            match dest_url.strip_prefix('#') {
                Some(anchor) => {
                    escape(&format!("#{ID_PREFIX}{anchor}"), &mut href);
                    format!("<a href=\"{href}\">{inner}</a>")
                }
                None if dest_url.starts_with("https://") => {
                    escape(&dest_url, &mut href);
                    format!("<a href=\"{href}\" target=\"_blank\" rel=\"noopener\">{inner}</a>")
                }
                None => format!("<span class=\"help-file\">{inner}</span>"),
            }
        }
        _ => inner,
    }
}

/// A fenced block: `scn` examples marked for colouring (the `scn error`
/// and `scn fails` ones captioned as such), `syntax` lines as the
/// language's forms, anything else (a trace, an error print) as plain text.
fn code_block(info: &str, text: &str) -> String {
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
    let mut out = String::new();
    out.push_str("<figure class=\"help-code lang-");
    escape(lang, &mut out);
    out.push_str("\">");
    if let Some(caption) = caption {
        let _ = write!(out, "<figcaption>{caption}</figcaption>");
    }
    out.push_str(if lang == "scn" {
        "<pre class=\"scn\"><code>"
    } else {
        "<pre><code>"
    });
    escape(text, &mut out);
    out.push_str("</code></pre></figure>\n");
    out
}
