//! The Node view: what the Node layer knows at the step (`World::node`),
//! for a scenario with Node statements. Per node process, its child
//! objects (what `child_process.fork` returned) with the events each has
//! emitted so far, the newest marked and those of this step glowing, and
//! the bytes waiting on each IPC channel, in each direction, as node wrote
//! them (JSON lines).
//!
//! Everything is text (names, event calls, byte counts), so a screen
//! reader gets the view as it is; colour only repeats it. Each process has
//! a hue of its own, from its pid, on its card's edge. It decides nothing:
//! which events there are is the model's.
use super::ViewProps;
use sim_core::engine::NodeEvent;
use sim_core::words::count;
use sim_core::world::World;
use yew::prelude::*;

/// How many events of one object a card lists, the newest last.
const EVENTS_SHOWN: usize = 8;
/// How many characters of the waiting bytes a channel line quotes.
const QUOTE_CHARS: usize = 48;
/// The process hues (style's `.nd-hue-N`), taken by pid in turn.
const HUES: u32 = 6;

#[function_component(NodeView)]
pub fn view(props: &ViewProps) -> Html {
    let sim = props.run.sim();
    let Some(now) = sim.world(props.step) else {
        return html! {};
    };
    let before = props.step.checked_sub(1).and_then(|s| sim.world(s));
    let cards: Vec<Html> = now
        .procs()
        .filter_map(|p| {
            let node = now.node().proc(&p.name)?;
            let hue = format!("nd-hue-{}", p.pid.0 % HUES);
            let mut children: Vec<_> = node.children.iter().collect();
            sim_core::sort::sort_by_key(&mut children, |(_, c)| c.order);
            let objects: Html = children
                .into_iter()
                .map(|(name, child)| {
                    let new_from = seen_before(before, &p.name, Some(name));
                    let state = match (&child.exit, child.connected, &child.channel) {
                        (_, _, None) if child.failed.is_some() => "spawn failed",
                        (Some(_), _, None) => "exited",
                        (None, _, None) => "running, no channel",
                        (Some(_), false, _) => "exited, channel closed",
                        (Some(_), true, _) => "exited",
                        (None, true, _) => "connected",
                        (None, false, _) => "channel closed",
                    };
                    html! {
                        <li class="nd-object">
                            <p class="nd-object-head">
                                <code class="nd-name">{name.to_string()}</code>
                                <span class="nd-state">{format!(" · {state}")}</span>
                            </p>
                            { events(child.events.iter(), new_from) }
                            { child.channel.as_ref().map(|c| channel(now, c, &p.name, name)).unwrap_or_default() }
                        </li>
                    }
                })
                .collect();
            let own = if node.parent_channel.is_some() || !node.process_events.is_empty() {
                let new_from = seen_before(before, &p.name, None);
                html! {
                    <li class="nd-object">
                        <p class="nd-object-head"><code class="nd-name">{"process"}</code>
                            <span class="nd-state">{" · its own process object"}</span></p>
                        { events(node.process_events.iter(), new_from) }
                    </li>
                }
            } else {
                html! {}
            };
            let dead = p.state.is_dead();
            Some(html! {
                <li class={classes!("nd-proc", hue, dead.then_some("nd-dead"))} key={p.name.to_string()}>
                    <p class="nd-proc-head">
                        <span class="nd-proc-name">{p.name.to_string()}</span>
                        <span class="nd-proc-what">{ if dead { " · node, gone" } else { " · runs node" } }</span>
                    </p>
                    <ul class="nd-objects">{ own }{ objects }</ul>
                </li>
            })
        })
        .collect();
    let body = if cards.is_empty() {
        html! { <p class="nd-empty">{"No node process yet: `node NAME` starts one."}</p> }
    } else {
        html! { <ul class="nd-procs">{ cards.into_iter().collect::<Html>() }</ul> }
    };
    html! {
        <section class="view" id="view-node" aria-labelledby="view-node-title">
            <h2 id="view-node-title">{"Node"}</h2>
            { body }
        </section>
    }
}

/// How many events `object` (None: `process`) of `process` had emitted in
/// the world before the step: those after are this step's.
fn seen_before(before: Option<&World>, process: &str, object: Option<&str>) -> usize {
    before
        .and_then(|w| w.node().events(process, object))
        .map_or(0, |e| e.len())
}

/// An object's events, oldest first: the last `EVENTS_SHOWN`, the newest
/// marked, the step's own glowing.
fn events<'a>(list: impl IntoIterator<Item = &'a NodeEvent>, new_from: usize) -> Html {
    let list: Vec<&NodeEvent> = list.into_iter().collect();
    if list.is_empty() {
        return html! { <p class="nd-none">{"no event yet"}</p> };
    }
    let skip = list.len().saturating_sub(EVENTS_SHOWN);
    let newest = list.len() - 1;
    html! {
        <ol class="nd-events" aria-label="events, oldest first">
            if skip > 0 {
                <li class="nd-more">{format!("{} before", count(skip as u64, "event", "events"))}</li>
            }
            { list.iter().enumerate().skip(skip).map(|(i, e)| {
                let class = classes!(
                    "nd-event",
                    (i == newest).then_some("nd-newest"),
                    (i >= new_from).then_some("changed"),
                );
                html! {
                    <li {class}>
                        <code>{e.call()}</code>
                        if i == newest { <span class="nd-mark">{" newest"}</span> }
                    </li>
                }
            }).collect::<Html>() }
        </ol>
    }
}

/// A child's IPC channel: the bytes node wrote into it that the other
/// side has not read yet, toward the parent (side 0) and the child (1).
fn channel(world: &World, name: &str, parent: &str, child: &str) -> Html {
    let node = world.node();
    let line = |side: usize, reader: &str| {
        let bytes = node.unread(name, side);
        let quoted = if bytes.is_empty() {
            String::new()
        } else {
            format!(": {}", quote(bytes))
        };
        html! {
            <li class={classes!("nd-flow", (!bytes.is_empty()).then_some("nd-waiting"))}>
                {format!("→ {reader}: {} waiting{quoted}", count(bytes.len() as u64, "byte", "bytes"))}
            </li>
        }
    };
    html! {
        <div class="nd-channel">
            <span class="nd-channel-name">{format!("channel {name}")}</span>
            <ul class="nd-flows">{ line(1, child) }{ line(0, parent) }</ul>
        </div>
    }
}

/// The first `QUOTE_CHARS` characters of `bytes` as text, a newline as
/// `\n` (node's JSON lines are text).
fn quote(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out: String = text
        .chars()
        .take(QUOTE_CHARS)
        .flat_map(|c| match c {
            '\n' => vec!['\\', 'n'],
            c => vec![c],
        })
        .collect();
    if text.chars().count() > QUOTE_CHARS {
        out.push('…');
    }
    out
}
