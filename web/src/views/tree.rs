//! The Processes view: the process tree after the step, init at the root,
//! each process with its pid, name and state (badge: icon, shape and word),
//! what the step did to it highlighted (forked, changed state, adopted by
//! init, reaped). The rows come from `proctree`, which caps and groups
//! them; this file only draws.
use super::proctree::{self, Badge, Row, StateText};
use super::ViewProps;
use yew::prelude::*;

/// The badge's icon: a small SVG shape per state, so that the state is
/// told by shape and word, never by colour alone.
pub(super) fn icon(badge: Badge) -> Html {
    let shape = match badge {
        // A triangle: "play".
        Badge::Running => html! { <path d="M4 2.5 L13 8 L4 13.5 Z" /> },
        // An hourglass: waiting.
        Badge::Blocked => {
            html! { <path d="M4 2 H12 V3.5 L9 8 L12 12.5 V14 H4 V12.5 L7 8 L4 3.5 Z" /> }
        }
        // Two bars: paused.
        Badge::Stopped => html! { <path d="M4 3 H7 V13 H4 Z M9 3 H12 V13 H9 Z" /> },
        // A tombstone: dead, not yet buried.
        Badge::Zombie => {
            html! { <path d="M3 14 V7 A5 5 0 0 1 13 7 V14 Z M7.2 5 V11 H8.8 V5 Z M5.5 7 V8.4 H10.5 V7 Z" fill-rule="evenodd" /> }
        }
        // A hollow ring: nothing left.
        Badge::Reaped => {
            html! { <circle cx="8" cy="8" r="5" fill="none" stroke="currentColor" stroke-width="2" stroke-dasharray="3 2" /> }
        }
    };
    html! {
        <svg class="pt-icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false">
            { shape }
        </svg>
    }
}

fn badge(state: &StateText) -> Html {
    html! {
        <span class={classes!("pt-badge", format!("pt-{}", state.badge.word()))}>
            { icon(state.badge) }
            <span class="pt-state">{ state.words.clone() }</span>
        </span>
    }
}

fn row_html(row: &Row) -> Html {
    let key = row.key();
    match row {
        Row::Proc(p) => {
            let changed = p.born || p.change.is_some() || p.adopted_from.is_some();
            let class = classes!(
                "pt-row",
                format!("pt-is-{}", p.state.badge.word()),
                changed.then_some("changed"),
                p.born.then_some("pt-born"),
                p.adopted_from.is_some().then_some("pt-adopted"),
                p.change.is_some().then_some("pt-restated"),
            );
            html! {
                <li {key} class={class} style={format!("--depth:{}", p.depth)}>
                    <span class="pt-name">{ p.name.clone() }</span>
                    <span class="pt-pid">{ format!("pid {}", p.pid) }</span>
                    { badge(&p.state) }
                    if let Some(program) = &p.program {
                        <span class="pt-tag pt-exec">{ format!("runs {program}") }</span>
                    }
                    if p.born {
                        <span class="pt-tag pt-tag-new">{ if p.depth <= 1 { "new" } else { "new: forked" } }</span>
                    }
                    if let Some(from) = &p.adopted_from {
                        <span class="pt-tag pt-tag-adopted">{ format!("adopted by init ({from} exited)") }</span>
                    }
                    if let Some(change) = p.change {
                        <span class="pt-tag pt-tag-changed">{ change }</span>
                    }
                </li>
            }
        }
        Row::Thread(t) => html! {
            <li {key} class={classes!("pt-row", "pt-thread", t.born.then_some("changed"), t.born.then_some("pt-born"))}
                style={format!("--depth:{}", t.depth)}>
                <span class="pt-name">{ format!("thread {}", t.name) }</span>
                <span class="pt-pid">{ format!("tid {}", t.tid) }</span>
                <span class="pt-tag pt-tag-thread">{ format!("a thread of {} (pid {}): the same memory, fds and handlers", t.process, t.pid) }</span>
                if t.born {
                    <span class="pt-tag pt-tag-new">{ "new: cloned" }</span>
                }
            </li>
        },
        Row::Group(g) => html! {
            <li {key} class={classes!("pt-row", "pt-group", format!("pt-is-{}", g.state.badge.word()))}
                style={format!("--depth:{}", g.depth)}>
                <span class="pt-name">{ format!("{} … {}", g.first, g.last) }</span>
                <span class="pt-pid">{ format!("pids {}–{}", g.first_pid, g.last_pid) }</span>
                <span class={classes!("pt-badge", format!("pt-{}", g.state.badge.word()))}>
                    { icon(g.state.badge) }
                    <span class="pt-state">{ format!("{} children, {}", g.count, group_words(&g.state)) }</span>
                </span>
            </li>
        },
        Row::More { depth, count, .. } => html! {
            <li {key} class="pt-row pt-more" style={format!("--depth:{depth}")}>
                { format!("and {} more not shown", sim_core::words::count(*count, "process", "processes")) }
            </li>
        },
    }
}

/// A group's state in the plural: "zombies", "blocked in recv on p.r".
fn group_words(state: &StateText) -> String {
    match state.badge {
        Badge::Zombie => "zombies (not yet reaped)".into(),
        Badge::Reaped => "reaped".into(),
        _ => state.words.clone(),
    }
}

#[function_component(TreeView)]
pub fn view(props: &ViewProps) -> Html {
    let sim = props.run.sim();
    let Some(now) = sim.world(props.step) else {
        return html! {};
    };
    let before = props.step.checked_sub(1).and_then(|s| sim.world(s));
    let tree = proctree::build(now, before);
    let summary = tree.summary();
    html! {
        <section class="view" id="view-tree" aria-labelledby="view-tree-title">
            <h2 id="view-tree-title">{"Processes"}</h2>
            <p class="pt-summary">{ summary }</p>
            <ul class="pt-tree" role="list" tabindex="0" aria-label="Process tree, init at the root; indentation shows who is whose child">
                { for tree.rows.iter().map(row_html) }
            </ul>
        </section>
    }
}
