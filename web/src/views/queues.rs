//! The Pipes and sockets view: each pipe's ring of page slots and each
//! socketpair's two directions, filling and draining, with every slot's
//! and skb's bytes labelled, a socket's truesize charge against its
//! SO_SNDBUF, and the processes asleep at each end.
//!
//! What is drawn comes from `queue_layout` (pure, tested); this module
//! turns it into HTML, which is text already, plus a visually hidden
//! summary of each queue in one sentence.

use super::bits::span;
use super::queue_layout::{self, Channel, Item, Lane, Sleeper};
use super::ViewProps;
use crate::static_html::static_html;
use sim_core::words::{bytes, count};
use yew::prelude::*;

#[function_component(QueuesView)]
pub fn view(props: &ViewProps) -> Html {
    let sim = props.run.sim();
    let step = props.step;
    let body = match sim.world(step) {
        Some(world) => {
            let before = step.checked_sub(1).and_then(|s| sim.world(s));
            let page = sim.profile().page_size;
            let chans = queue_layout::channels(world, before, page);
            if chans.is_empty() {
                html! { <p class="q-empty">{"No pipe or socketpair yet."}</p> }
            } else {
                let summary = queue_layout::summary(&chans);
                html! {
                    <>
                        { for chans.iter().map(channel) }
                        { legend() }
                        <ul class="q-sr">{ for summary.into_iter().map(|s| html! { <li>{s}</li> }) }</ul>
                    </>
                }
            }
        }
        None => html! {},
    };
    html! {
        <section class="view" id="view-queues" aria-labelledby="view-queues-title">
            <h2 id="view-queues-title">{"Pipes and sockets"}</h2>
            { body }
        </section>
    }
}

fn channel(c: &Channel) -> Html {
    let size = match c.slots {
        Some((slots, page)) => format!(
            "ring of {} of {}",
            count(slots, "slot", "slots"),
            bytes(page)
        ),
        None => "each direction its own queue".to_string(),
    };
    let class = classes!(
        "q-chan",
        c.new.then_some("changed"),
        c.closed.then_some("closed")
    );
    html! {
        <article class={class} aria-label={format!("{} {}", c.kind, c.name)}>
            <h3 class="q-title">
                { span("q-name", c.name.clone()) }
                { span("q-kind", format!("{} · {}", c.kind, size)) }
                if c.closed { <span class="q-tag">{"closed"}</span> }
                if c.new { <span class="q-tag new">{"NEW"}</span> }
            </h3>
            { for c.lanes.iter().map(|l| lane(c, l)) }
        </article>
    }
}

fn lane(c: &Channel, l: &Lane) -> Html {
    let pipe = c.slots.is_some();
    let page = c.slots.map_or(0, |(_, p)| p);
    // A pipe slot's bar is its page; an skb's is its truesize, so that a
    // 1-byte skb looks as empty as the 768 bytes it costs make it.
    let page = u64::from(page.max(1));
    let delta = match l.queued_before {
        Some(b) if b < l.queued => span("q-delta up", format!("▲ +{}", l.queued - b)),
        Some(b) if b > l.queued => span("q-delta down", format!("▼ −{}", b - l.queued)),
        _ => html! {},
    };
    let n = l.items.len() + l.more.0;
    let fill = match c.slots {
        Some((cap, _)) => format!("{} of {} in use", n, count(cap, "slot", "slots")),
        None => count(n as u64, "skb", "skbs"),
    };
    // Drawn as the data flows, writer on the left and reader on the
    // right: free slots first, then the newest item, the oldest last.
    html! {
        <div class={classes!("q-lane", l.changed().then_some("changed"))}>
            <div class="q-head">
                <div class="q-end q-from">
                    { span("q-end-name", l.from.clone()) }
                    { span("q-files", format!("writes · {} open", count(l.files.0, "file", "files"))) }
                    { sleepers(&l.writers, "asleep writing") }
                </div>
                <div class="q-flow" aria-hidden="true"></div>
                <div class="q-end q-to">
                    { span("q-end-name", l.to.clone()) }
                    { span("q-files", format!("reads · {} open", count(l.files.1, "file", "files"))) }
                    { sleepers(&l.readers, "asleep reading") }
                </div>
            </div>
            <ol class="q-items" aria-label={format!("{} → {}, newest first", l.from, l.to)}>
                { for (0..l.free_slots).map(|_| html! { <li class="q-item free" aria-hidden="true"><span class="q-bar"></span><span class="q-len">{"free"}</span></li> }) }
                { for l.items.iter().enumerate().rev().map(|(i, it)| html! {
                    <>
                        { item(i, it, pipe, page) }
                        if l.more.0 > 0 && i == l.gap {
                            <li class="q-more">{format!("+{} more ({})", l.more.0, bytes(l.more.1))}</li>
                        }
                    </>
                }) }
            </ol>
            <p class="q-stats">
                <span>{format!("{} queued · {}", bytes(l.queued), fill)}</span>
                { delta }
            </p>
            if let Some((charged, sndbuf)) = l.charge {
                { charge(&l.from, charged, sndbuf) }
            }
        </div>
    }
}

fn item(i: usize, it: &Item, pipe: bool, page: u64) -> Html {
    let scale = if pipe { page } else { it.cost.max(1) };
    let unread_pct = percent(u64::from(it.unread), scale);
    let read_pct = percent(u64::from(it.read), scale);
    let what = if pipe { "slot" } else { "skb" };
    let mut label = format!("{} {}: {} unread", what, i + 1, bytes(it.unread));
    if it.read > 0 {
        label.push_str(&format!(", {} already read", it.read));
    }
    if !pipe {
        label.push_str(&format!(", truesize {}", it.cost));
    }
    if it.changed {
        label.push_str(" (changed at this step)");
    }
    html! {
        <li class={classes!("q-item", it.changed.then_some("changed"))} aria-label={label.clone()} title={label}>
            <span class="q-bar">
                <span class="q-read" style={format!("height: {read_pct}%")}></span>
                <span class="q-unread" style={format!("height: {unread_pct}%")}></span>
            </span>
            { span("q-len", compact(u64::from(it.unread))) }
            if !pipe {
                { span("q-truesize", format!("ts {}", compact(it.cost))) }
            } else if it.read > 0 {
                { span("q-truesize", format!("@{}", it.read)) }
            }
        </li>
    }
}

/// A byte count short enough for a slot's label: 4096, 61.5k.
fn compact(n: u64) -> String {
    if n < 10_000 {
        n.to_string()
    } else {
        format!("{}k", tenths(n, 1000))
    }
}

/// `part` as a percentage of `whole`, at most 100, to one decimal: "37.5".
fn percent(part: u64, whole: u64) -> String {
    tenths(
        part.saturating_mul(100).min(whole.saturating_mul(100)),
        whole,
    )
}

/// `num / den` to one decimal, rounded half up: "61.5". Integer
/// arithmetic, so the wasm carries no float formatting code (issue 9).
fn tenths(num: u64, den: u64) -> String {
    let den = den.max(1);
    let t = (num.saturating_mul(10) + den / 2) / den;
    format!("{}.{}", t / 10, t % 10)
}

/// The sender's charged truesize against its SO_SNDBUF: admitted while
/// below it, so the bar may overshoot the mark.
fn charge(from: &str, charged: u64, sndbuf: u32) -> Html {
    let full = charged.max(u64::from(sndbuf));
    let used = percent(charged, full);
    let mark = percent(u64::from(sndbuf), full);
    let over = charged >= u64::from(sndbuf);
    html! {
        <div class={classes!("q-charge", over.then_some("full"))}>
            <span class="q-meter" role="meter" aria-valuemin="0" aria-valuemax={sndbuf.to_string()}
                aria-valuenow={charged.to_string()} aria-label={format!("{from} send buffer charge")}>
                <span class="q-meter-fill" style={format!("width: {used}%")}></span>
                <span class="q-meter-mark" style={format!("left: {mark}%")}></span>
            </span>
            <span class="q-charge-text">
                {format!("{charged} of SO_SNDBUF {sndbuf} charged to {from}")}
                if over { <strong>{" · full: sends sleep"}</strong> }
            </span>
        </div>
    }
}

fn sleepers(list: &[Sleeper], what: &str) -> Html {
    if list.is_empty() {
        return html! {};
    }
    html! {
        <ul class="q-sleepers" aria-label={what.to_string()}>
            { for list.iter().map(|s| html! {
                <li class={classes!("q-sleeper", s.stopped.then_some("stopped"))}>
                    <span class="q-zz" aria-hidden="true">{ if s.stopped { "⏸" } else { "z" } }</span>
                    <strong>{s.name.clone()}</strong>
                    <span>{format!(" {}{}", if s.stopped { "stopped in: " } else { "" }, s.doing)}</span>
                </li>
            }) }
        </ul>
    }
}

fn legend() -> Html {
    static_html(concat!(
        r#"<ul class="q-legend" aria-label="Legend">"#,
        r#"<li><span class="q-key unread"></span>unread bytes</li>"#,
        r#"<li><span class="q-key read"></span>already read (hatched)</li>"#,
        r#"<li><span class="q-key"></span>bar: a slot's page, an skb's truesize (ts)</li>"#,
        r#"<li><span class="q-key changed"></span>changed at this step (thick outline, ▲▼ bytes)</li>"#,
        r#"<li><span class="q-key sleeper">z</span>process asleep at that end</li>"#,
        "</ul>"
    ))
}
