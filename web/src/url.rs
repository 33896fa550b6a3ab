//! The link format: the app's state in its URL (docs/url-format.md).
//!
//! `?lesson=NAME&step=N` opens a built-in lesson at a step;
//! `?scenario=DATA&step=N` opens an edited scenario, where DATA is the
//! text's UTF-8 bytes, compressed with raw DEFLATE and written in URL-safe
//! base64 without padding (the compressing is the browser's: `deflate`,
//! so `pack` and `unpack` are async); `&embed=1` shows only the view and the
//! controls; `&kernel=1` moves one kernel step at a time in a scenario
//! with Node statements (`step=` is a kernel step either way). A link that cannot be read is a `LinkError` that says why;
//! the app then opens the default lesson and shows the message.

use crate::deflate::Inflate;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use std::fmt;

/// The most text a link may carry once inflated: the scenario file limit.
pub const MAX_TEXT: usize = 1 << 20;

/// What a link opens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A built-in lesson, by name.
    Lesson(String),
    /// A scenario's text as the link carries it, still compressed
    /// (`unpack` gives the text, or why not).
    Packed(Vec<u8>),
    /// OSTEP's fork.py with these options (`-s 4 -a 6`).
    Ostep(String),
}

/// The state a link carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    /// None: no lesson or scenario named (the default lesson).
    pub target: Option<Target>,
    /// The step to open at (0: before the first step).
    pub step: u32,
    pub embed: bool,
    /// Move by kernel step in a scenario with Node statements.
    pub kernel: bool,
}

/// Why a link could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkError(pub String);

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A scenario's text as a `?scenario=` value: compressed, in URL-safe
/// base64.
pub async fn pack(text: &str) -> Result<String, String> {
    Ok(base64(&crate::deflate::compress(text.as_bytes()).await?))
}

/// The text of a `?scenario=` value (its bytes, once out of base64).
pub async fn unpack(bytes: &[u8]) -> Result<String, LinkError> {
    let text = crate::deflate::decompress(bytes, MAX_TEXT)
        .await
        .map_err(|e| match e {
            Inflate::TooLarge => LinkError("the link's scenario is larger than 1 MiB".into()),
            Inflate::Damaged => LinkError(
                "the link's scenario does not decompress: the link is truncated or damaged".into(),
            ),
        })?;
    String::from_utf8(text).map_err(|_| LinkError("the link's scenario is not UTF-8 text".into()))
}

/// `bytes` in URL-safe base64 without padding.
pub fn base64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The bytes of a `?scenario=` value.
pub fn unbase64(data: &str) -> Result<Vec<u8>, LinkError> {
    URL_SAFE_NO_PAD
        .decode(data.trim_end_matches('='))
        .map_err(|_| {
            LinkError(
            "the link's scenario is not valid URL-safe base64: the link is truncated or damaged"
                .into(),
        )
        })
}

/// Read a query string (`?a=b&c=d`, with or without the `?`).
pub fn parse(query: &str) -> Result<Link, LinkError> {
    let mut link = Link {
        target: None,
        step: 0,
        embed: false,
        kernel: false,
    };
    for pair in query
        .trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_decode(value).ok_or_else(|| {
            LinkError(format!("the link's `{key}` is not valid percent-encoding"))
        })?;
        match key {
            "lesson" => {
                if sim_core::lessons::entry(&value).is_none() {
                    return Err(LinkError(format!("there is no lesson called \"{value}\"")));
                }
                set_target(&mut link, Target::Lesson(value))?;
            }
            "scenario" => set_target(&mut link, Target::Packed(unbase64(&value)?))?,
            "ostep" => set_target(&mut link, Target::Ostep(value))?,
            "step" => {
                link.step = value.parse().map_err(|_| {
                    LinkError(format!(
                        "the link's step \"{value}\" is not a step number (0, 1, 2...)"
                    ))
                })?
            }
            "embed" => link.embed = matches!(value.as_str(), "1" | "true" | ""),
            "kernel" => link.kernel = matches!(value.as_str(), "1" | "true" | ""),
            // Unknown keys (a tracker's utm_source) are no reason to refuse a link.
            _ => {}
        }
    }
    Ok(link)
}

fn set_target(link: &mut Link, target: Target) -> Result<(), LinkError> {
    if link.target.is_some() {
        return Err(LinkError(
            "the link names more than one lesson or scenario".into(),
        ));
    }
    link.target = Some(target);
    Ok(())
}

/// The query string for `link` (with its leading `?`). The app builds its
/// query from parts (`target_query` once per text, then `query`); the
/// host tests build whole links.
#[cfg(all(test, not(target_arch = "wasm32")))]
pub fn to_query(link: &Link) -> String {
    query(
        link.target.as_ref().map(target_query).as_deref(),
        link.step,
        link.embed,
        link.kernel,
    )
}

/// The `lesson=NAME` or `scenario=DATA` part of a link (for a text, the
/// costly part: the app packs a text once).
pub fn target_query(target: &Target) -> String {
    match target {
        Target::Lesson(name) => format!("lesson={name}"),
        Target::Packed(bytes) => format!("scenario={}", base64(bytes)),
        Target::Ostep(command) => format!("ostep={}", percent_encode(command)),
    }
}

/// `value` for a query: a space as `+`, letters, digits and `-_.,` as
/// they are, every other byte as `%XX` (so `+` is `%2B`).
fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b' ' => out.push('+'),
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b',' => {
                out.push(char::from(b))
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A query string from its target part (`target_query`), step, embed and
/// kernel.
pub fn query(target: Option<&str>, step: u32, embed: bool, kernel: bool) -> String {
    let mut parts: Vec<String> = target.map(str::to_string).into_iter().collect();
    parts.push(format!("step={step}"));
    if embed {
        parts.push("embed=1".into());
    }
    if kernel {
        parts.push("kernel=1".into());
    }
    format!("?{}", parts.join("&"))
}

/// `%XX` escapes and `+` as a space, as in a form-encoded query.
fn percent_decode(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = value.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

// Host tests: the compressing itself is the browser's (deflate.rs has its
// tests in the browser); here miniz stands in for it.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    fn deflate(text: &str) -> Vec<u8> {
        miniz_oxide::deflate::compress_to_vec(text.as_bytes(), 9)
    }

    fn inflate(bytes: &[u8]) -> String {
        String::from_utf8(miniz_oxide::inflate::decompress_to_vec(bytes).unwrap()).unwrap()
    }

    #[test]
    fn a_lesson_link_opens_the_lesson_at_its_step() {
        let link = parse("?lesson=cow-after-fork&step=6&embed=1").unwrap();
        assert_eq!(link.target, Some(Target::Lesson("cow-after-fork".into())));
        assert_eq!(link.step, 6);
        assert!(link.embed);
        assert_eq!(parse(&to_query(&link)).unwrap(), link);
    }

    #[test]
    fn an_ostep_link_carries_fork_pys_options_and_comes_back_whole() {
        let link = parse("?ostep=-s+4+-a+6&step=3").unwrap();
        assert_eq!(link.target, Some(Target::Ostep("-s 4 -a 6".into())));
        assert_eq!(link.step, 3);
        let list = Link {
            target: Some(Target::Ostep("-A a+b,b+c,b- -R".into())),
            step: 0,
            embed: false,
            kernel: false,
        };
        assert_eq!(to_query(&list), "?ostep=-A+a%2Bb,b%2Bc,b-+-R&step=0");
        assert_eq!(parse(&to_query(&list)).unwrap(), list);
    }

    #[test]
    fn the_kernel_steps_switch_travels_in_the_link_and_step_stays_a_kernel_step() {
        let link = parse("?lesson=cow-after-fork&step=9&kernel=1").unwrap();
        assert!(link.kernel);
        assert_eq!(link.step, 9);
        assert!(to_query(&link).ends_with("step=9&kernel=1"));
        assert_eq!(parse(&to_query(&link)).unwrap(), link);
        let off = parse("?lesson=cow-after-fork&step=9").unwrap();
        assert!(!off.kernel);
        assert!(!to_query(&off).contains("kernel"));
    }

    #[test]
    fn a_scenario_travels_compressed_and_comes_back_whole() {
        let text = "process p\np: mmap heap 8 # ünïcode\np: write heap 0..8\n".repeat(50);
        let link = Link {
            target: Some(Target::Packed(deflate(&text))),
            step: 3,
            embed: false,
            kernel: false,
        };
        let query = to_query(&link);
        assert!(
            query.len() < text.len() / 4,
            "{} bytes for {}",
            query.len(),
            text.len()
        );
        let back = parse(&query).unwrap();
        assert_eq!(back, link);
        let Some(Target::Packed(bytes)) = back.target else {
            unreachable!()
        };
        assert_eq!(inflate(&bytes), text);
    }

    #[test]
    fn a_link_made_by_the_documented_python_one_liner_opens() {
        // docs/url-format.md's one-liner, run on "process p\np: mmap heap 8\n".
        let link = parse("?scenario=KyjKT04tLlYo4CqwUsjNTSxQyEgFEhZcAA").unwrap();
        let Some(Target::Packed(bytes)) = link.target else {
            unreachable!()
        };
        assert_eq!(inflate(&bytes), "process p\np: mmap heap 8\n");
    }

    #[test]
    fn bad_links_say_what_is_wrong() {
        assert!(parse("?lesson=nope")
            .unwrap_err()
            .0
            .contains("no lesson called \"nope\""));
        assert!(parse("?lesson=orphans&step=x")
            .unwrap_err()
            .0
            .contains("step \"x\""));
        assert!(parse("?scenario=***").unwrap_err().0.contains("base64"));
        assert!(parse("?lesson=orphans&lesson=sigpipe")
            .unwrap_err()
            .0
            .contains("more than one"));
        assert!(parse("?lesson=%zz").unwrap_err().0.contains("percent"));
    }

    #[test]
    fn an_empty_query_opens_the_default_lesson_at_the_start() {
        assert_eq!(
            parse("").unwrap(),
            Link {
                target: None,
                step: 0,
                embed: false,
                kernel: false
            }
        );
    }
}
