//! The language reference's markdown (docs/scenario-language.md) to the
//! HTML the help panel shows (web/src/help.rs fetches it, served as
//! help/scenario-language.html).
//!
//! The HTML is what the help panel showed when it rendered the markdown at
//! run time: headings one level down (the panel's own heading is the h2),
//! ids as GitHub gives them with a `help-` prefix (so the reference's own
//! Contents links work inside the panel), links to files of the repository
//! shown as text (the app has no such files), fenced blocks as captioned
//! figures. A `scn` example is written as `<pre class="scn"><code>` with
//! its text escaped: the panel colours those with the editor's highlighter,
//! so the colours follow sim-core's word tables.

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

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference as the app fetches it.
    fn reference_html() -> String {
        let path = crate::repository().join("docs/scenario-language.md");
        render(&std::fs::read_to_string(path).expect("docs/scenario-language.md is there"))
    }

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
        assert_eq!(slug("A first scenario"), "a-first-scenario");
        assert_eq!(
            slug("Pages: shared, private, absent, zero"),
            "pages-shared-private-absent-zero"
        );
        assert_eq!(slug("read, write"), "read-write");
    }

    #[test]
    fn every_link_inside_the_reference_leads_to_one_of_its_headings() {
        let reference = reference_html();
        let ids = attrs(&reference, "id");
        let links: Vec<_> = attrs(&reference, "href")
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
        let reference = reference_html();
        let ids = attrs(&reference, "id");
        let distinct: std::collections::BTreeSet<_> = ids.iter().collect();
        assert_eq!(distinct.len(), ids.len());
        assert!(ids.contains(&"help-the-scenario-language".to_string()));
        assert!(ids.contains(&"help-mmap".to_string()));
        assert!(reference.starts_with("<h2 id=\"help-the-scenario-language\">"));
    }

    #[test]
    fn a_repeated_heading_gets_a_numbered_id() {
        let html = render("# Notes\n\n## Notes\n\n## Other\n");
        assert_eq!(
            attrs(&html, "id"),
            vec!["help-notes", "help-notes-1", "help-other"]
        );
    }

    #[test]
    fn markup_in_the_markdown_is_shown_as_text_and_files_are_not_links() {
        let html = render("A <b>bold</b> claim & [the facts](tests/facts.rs), [up](#top).\n");
        assert_eq!(
            html,
            "<p>A &lt;b&gt;bold&lt;/b&gt; claim &amp; \
             <span class=\"help-file\">the facts</span>, <a href=\"#help-top\">up</a>.</p>"
        );
    }

    #[test]
    fn a_scn_example_is_captioned_and_marked_for_colouring() {
        let html = render("```scn error\nP: write <1> \"a\"\n```\n");
        assert_eq!(
            html,
            "<figure class=\"help-code lang-scn\">\
             <figcaption>Example that stops with an error</figcaption>\
             <pre class=\"scn\"><code>P: write &lt;1&gt; &quot;a&quot;</code></pre></figure>\n"
        );
    }
}
