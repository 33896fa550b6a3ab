//! The Memory view: each process's pages (in runs) beside the physical
//! frames, with a line from every run to the frames it maps, so that
//! sharing after fork, a copy-on-write copy (a new frame, a line that
//! moves), a reuse, the zero page and freeing are seen at a glance.
//!
//! The rows come from `memory_layout` (pure, tested); this module only
//! turns them into SVG. Elements are keyed by what they stand for (a run's
//! process, region and first page; a frame's number), so that a line that
//! moves is the same element moving: CSS animates it, except under
//! prefers-reduced-motion.

use super::memory_layout::{self, Cell, FrameSeg, Layout, Limits, Maps, ProcBlock};
use super::ViewProps;
use crate::static_html::static_html;
use sim_core::words::count;
use yew::prelude::*;

/// Geometry of the drawing, in SVG user units (the SVG scales to its box).
/// Whole numbers: every coordinate is one, and formatting integers keeps
/// float printing out of the wasm.
const ROW: usize = 30;
const TOP: usize = 26;
const WIDTH: usize = 780;
const PROC_X: usize = 0;
#[cfg(test)] // drawn from PROC_W_S
const PROC_W: usize = 200;
const CELL_X: usize = 210;
const CELL_W: usize = 170;
const FRAME_X: usize = 570;
#[cfg(test)] // drawn from FRAME_W_S
const FRAME_W: usize = 210;
const BOX_H: usize = ROW - 6;

/// The fixed attributes, written out: formatting a constant at every draw
/// costs code and time (a test checks that each says its number).
const WIDTH_S: &str = "780";
const PROC_X_S: &str = "0";
const PROC_W_S: &str = "200";
const CELL_X_S: &str = "210";
const CELL_W_S: &str = "170";
const FRAME_X_S: &str = "570";
const FRAME_W_S: &str = "210";
const BOX_H_S: &str = "24";
/// A cell's badge, right-aligned 6 in from its right edge.
const CELL_BADGE_X_S: &str = "164";
/// A cell's changed dot, 4 out from its right edge.
const CELL_DOT_X_S: &str = "174";
/// A frame's users, right-aligned 8 in from its right edge.
const FRAME_USERS_X_S: &str = "202";
/// The NEW badge, 30 wide, at a frame's top right corner.
const FRAME_BADGE_S: &str = "translate(180,-7)";

/// The most characters a cell's label and its badge take together before
/// they would overlap (a 170-wide cell).
const LABEL_AND_BADGE: usize = 24;

fn y_of(row: usize) -> usize {
    TOP + row * ROW
}

#[function_component(MemoryView)]
pub fn view(props: &ViewProps) -> Html {
    let sim = props.run.sim();
    let step = props.step;
    let body = match sim.world(step) {
        Some(world) => {
            let before = step.checked_sub(1).and_then(|s| sim.world(s));
            let changes = sim.changes(step);
            let layout =
                memory_layout::layout(world, before, changes.as_ref(), step, Limits::default());
            if layout.frames.is_empty() && layout.procs.iter().all(|p| p.cells.is_empty()) {
                html! { <p class="mem-empty">{"No memory mapped yet: a process maps a region with mmap."}</p> }
            } else {
                draw(&layout)
            }
        }
        None => html! {},
    };
    html! {
        <section class="view" id="view-memory" aria-labelledby="view-memory-title">
            <h2 id="view-memory-title">{"Memory"}</h2>
            { body }
        </section>
    }
}

fn draw(l: &Layout) -> Html {
    let rows = l.rows.max(l.frame_rows).max(1);
    // A last row for "and N more processes" when some are left out.
    let height = y_of(rows + usize::from(l.procs_left_out > 0)) + 4;
    let summary = memory_layout::summary(l);
    let totals = totals(l);
    html! {
        <>
            <p class="mem-totals">{ totals }</p>
            <div class="mem-scroll">
                <svg class="mem" viewBox={format!("0 0 {WIDTH} {height}")}
                    width={WIDTH_S} height={height.to_string()}
                    role="img" aria-labelledby="mem-svg-title" aria-describedby="mem-summary">
                    <title id="mem-svg-title">{"Pages of each process, with a line to the physical frame each maps"}</title>
                    { defs() }
                    <text class="mem-col" x={PROC_X_S} y="14">{"Process"}</text>
                    <text class="mem-col" x={CELL_X_S} y="14">{"Pages (virtual)"}</text>
                    <text class="mem-col" x={FRAME_X_S} y="14">{"Frames (physical)"}</text>
                    <g class="mem-links">
                        { for l.links.iter().map(|k| link(l, k)) }
                    </g>
                    // Lists of changing length are each one node of the
                    // drawing (`collect`), so that a run or frame more or
                    // less does not shift, and redraw, what comes before.
                    { l.procs.iter().map(proc_block).collect::<Html>() }
                    if l.zero_page {
                        { zero_page() }
                    }
                    { l.frames.iter().map(frame).collect::<Html>() }
                    if l.frames_left_out.0 > 0 {
                        <g class="mem-more" transform={format!("translate({FRAME_X},{})", y_of(l.frame_rows - 1))}>
                            <rect class="mem-more-box" width={FRAME_W_S} height={BOX_H_S} rx="4" />
                            <text x="8" y="16">{format!("and {} more ({})", count(l.frames_left_out.0 as u64, "run", "runs"), count(l.frames_left_out.1, "frame", "frames"))}</text>
                        </g>
                    }
                    if l.procs_left_out > 0 {
                        <text class="mem-note" x={PROC_X_S} y={(y_of(l.rows) + 16).to_string()}>
                            {format!("and {} more, not drawn", count(l.procs_left_out as u64, "process", "processes"))}
                        </text>
                    }
                </svg>
            </div>
            { legend() }
            <ul id="mem-summary" class="mem-sr">
                { for summary.into_iter().map(|s| html! { <li>{s}</li> }) }
            </ul>
        </>
    }
}

/// One line of totals: frames in use, new and freed at this step.
fn totals(l: &Layout) -> String {
    let mut s = format!("{} in use", count(l.frames_in_use, "frame", "frames"));
    if l.frames_new > 0 {
        s.push_str(&format!(" · {} new", l.frames_new));
    }
    if l.frames_freed > 0 {
        s.push_str(&format!(" · {} freed", l.frames_freed));
    }
    s
}

/// The fills that say "shared" and "zero page" without colour
/// (static markup: static_html.rs).
fn defs() -> Html {
    static_html(concat!(
        r#"<defs><pattern id="mem-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">"#,
        r#"<rect class="mem-hatch-bg" width="6" height="6"/><line class="mem-hatch-line" x1="0" y1="0" x2="0" y2="6"/></pattern>"#,
        r#"<pattern id="mem-dots" width="6" height="6" patternUnits="userSpaceOnUse">"#,
        r#"<rect class="mem-dots-bg" width="6" height="6"/><circle class="mem-dots-dot" cx="3" cy="3" r="1.2"/></pattern></defs>"#,
    ))
}

fn proc_block(p: &ProcBlock) -> Html {
    let y = y_of(p.row);
    let h = p.rows * ROW - 6;
    let faults = match p.faults_now {
        Some(n) if n > 0 => format!("{} now · {} in all", count(n, "fault", "faults"), p.faults),
        _ => format!("{} in all", count(p.faults, "fault", "faults")),
    };
    let class = classes!(
        "mem-proc",
        p.changed.then_some("changed"),
        (p.state == "zombie" || p.state == "gone").then_some("dead")
    );
    html! {
        <g key={format!("p-{}", p.name)} class={class} style={format!("transform: translate({PROC_X}px, {y}px)")}>
            <rect class="mem-proc-box" width={PROC_W_S} height={h.to_string()} rx="6" />
            <text class="mem-proc-name" x="8" y="16">{format!("{} ", p.name)}
                <tspan class="mem-proc-pid">{format!("pid {} · {}", p.pid, p.state)}</tspan>
            </text>
            <text class="mem-proc-faults" x="8" y="38">{faults}</text>
            // Its threads under the fault counts, on two lines (the box
            // is as narrow as a name and a pid).
            if !p.threads.is_empty() {
                <text class="mem-threads" x="8" y="60">
                    <tspan>{ threads_count(p) }</tspan>
                    <tspan x="8" dy="14">{ threads_names(p) }</tspan>
                </text>
            }
            { p.cells.iter().map(|c| cell(p, c)).collect::<Html>() }
            { p.notes.iter().map(|(row, text)| html! {
                <text class="mem-note" x={CELL_X_S} y={(y_of(*row) - y + 16).to_string()}>{text.clone()}</text>
            }).collect::<Html>() }
        </g>
    }
}

/// A process with Workers: one address space, several threads, which
/// these page tables serve alike.
/// "2 threads, one address space: " (the line before the names).
fn threads_count(p: &ProcBlock) -> String {
    format!("{} threads, one address space: ", p.threads.len() + 1)
}

fn threads_names(p: &ProcBlock) -> String {
    let mut names = vec![p.name.clone()];
    names.extend(p.threads.iter().cloned());
    names.join(", ")
}

fn cell(p: &ProcBlock, c: &Cell) -> Html {
    let dy = y_of(c.row) - y_of(p.row);
    let (kind, badge) = match c.maps {
        Maps::Absent => ("absent", "not mapped"),
        Maps::Zero => ("zero", "zero page"),
        Maps::Frames {
            users, writable, ..
        } => (
            if users > 1 { "shared" } else { "private" },
            if writable { "rw" } else { "read-only" },
        ),
    };
    let class = classes!(
        "mem-cell",
        kind,
        c.changed.then_some("changed"),
        c.shared_mapping.then_some("shm")
    );
    let label = c.label();
    // A long label leaves no room for the badge: the box's style (and the
    // legend) still say what the badge would.
    let badge = (label.chars().count() + badge.len() <= LABEL_AND_BADGE).then_some(badge);
    html! {
        <g key={format!("c-{}-{}", c.region, c.from)} class={class}
            style={format!("transform: translate({}px, {dy}px)", CELL_X - PROC_X)}>
            <rect class="mem-cell-box" width={CELL_W_S} height={BOX_H_S} rx="4" />
            <text class="mem-cell-label" x="7" y="16">{label}</text>
            if let Some(badge) = badge {
                <text class="mem-cell-badge" x={CELL_BADGE_X_S} y="16" text-anchor="end">{badge}</text>
            }
            if c.changed {
                <circle class="mem-changed-dot" cx={CELL_DOT_X_S} cy="4" r="4" />
            }
        </g>
    }
}

fn zero_page() -> Html {
    html! {
        <g key="zero" class="mem-frame zero" style={format!("transform: translate({FRAME_X}px, {}px)", y_of(0))}>
            <rect class="mem-frame-box" width={FRAME_W_S} height={BOX_H_S} rx="4" />
            <text class="mem-frame-label" x="8" y="16">{"zero page"}</text>
            <text class="mem-frame-users" x={FRAME_USERS_X_S} y="16" text-anchor="end">{"read-only"}</text>
        </g>
    }
}

fn frame(f: &FrameSeg) -> Html {
    let users = if f.freed {
        "freed".to_string()
    } else {
        let mut s = count(f.users, "user", "users");
        if f.count > 1 {
            s.push_str(" each");
        }
        if let Some(b) = f.users_before {
            s.push_str(&format!(" (was {b})"));
        }
        s
    };
    let kind = if f.freed {
        "freed"
    } else if f.users > 1 {
        "shared"
    } else {
        "private"
    };
    let class = classes!(
        "mem-frame",
        kind,
        f.shm.then_some("shm"),
        (f.new || f.reshared).then_some("changed"),
        f.new.then_some("new")
    );
    let label = if f.shm {
        format!("{} shm", f.label())
    } else {
        f.label()
    };
    html! {
        <g key={format!("f-{}", f.first)} class={class}
            style={format!("transform: translate({FRAME_X}px, {}px)", y_of(f.row))}>
            <rect class="mem-frame-box" width={FRAME_W_S} height={BOX_H_S} rx="4" />
            <text class="mem-frame-label" x="8" y="16">{label}</text>
            <text class="mem-frame-users" x={FRAME_USERS_X_S} y="16" text-anchor="end">{users}</text>
            if f.new {
                <g class="mem-badge" transform={FRAME_BADGE_S}>
                    <rect width="30" height="13" rx="6" />
                    <text x="15" y="10" text-anchor="middle">{"NEW"}</text>
                </g>
            }
        </g>
    }
}

fn link(l: &Layout, k: &memory_layout::Link) -> Html {
    let p = &l.procs[k.proc];
    let c = &p.cells[k.cell];
    let x1 = CELL_X + CELL_W;
    let y1 = y_of(c.row) + BOX_H / 2;
    let x2 = FRAME_X;
    // A run of frames is reached over the whole span of its rows.
    let top = y_of(k.to_first) + 3;
    let bottom = y_of(k.to_last) + BOX_H - 3;
    // A whole number: top + bottom = 2 TOP + BOX_H + ROW (first + last)
    // is even (TOP, BOX_H and ROW are), as the drawing always was.
    let y2 = (top + bottom) / 2;
    let mid = (x1 + x2) / 2;
    let d = format!("M{x1},{y1} C{mid},{y1} {mid},{y2} {x2},{y2}");
    let class = classes!(
        "mem-link",
        if k.zero {
            "zero"
        } else if k.shared {
            "shared"
        } else {
            "private"
        },
        k.changed.then_some("changed")
    );
    html! {
        <path key={format!("l-{}-{}-{}", p.name, c.region, c.from)} class={class} d={d.clone()}
            style={format!("d: path('{d}')")} />
    }
}

fn legend() -> Html {
    static_html(concat!(
        r#"<ul class="mem-legend" aria-label="Legend">"#,
        r#"<li><svg width="22" height="14" aria-hidden="true"><rect class="mem-key private" x="1" y="1" width="20" height="12" rx="3"/></svg>private: 1 user</li>"#,
        r#"<li><svg width="22" height="14" aria-hidden="true"><rect class="mem-key shared" x="1" y="1" width="20" height="12" rx="3"/></svg>shared: 2 or more users (hatched)</li>"#,
        r#"<li><svg width="22" height="14" aria-hidden="true"><rect class="mem-key zero" x="1" y="1" width="20" height="12" rx="3"/></svg>zero page (dotted)</li>"#,
        r#"<li><svg width="22" height="14" aria-hidden="true"><rect class="mem-key absent" x="1" y="1" width="20" height="12" rx="3"/></svg>not mapped (dashed)</li>"#,
        r#"<li><svg width="22" height="14" aria-hidden="true"><circle class="mem-changed-dot" cx="11" cy="7" r="5"/></svg>changed at this step (thick line); NEW: frame allocated</li>"#,
        "</ul>"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_written_out_attribute_says_the_number_of_the_geometry() {
        let said = [
            (WIDTH_S, WIDTH.to_string()),
            (PROC_X_S, PROC_X.to_string()),
            (PROC_W_S, PROC_W.to_string()),
            (CELL_X_S, CELL_X.to_string()),
            (CELL_W_S, CELL_W.to_string()),
            (FRAME_X_S, FRAME_X.to_string()),
            (FRAME_W_S, FRAME_W.to_string()),
            (BOX_H_S, BOX_H.to_string()),
            (CELL_BADGE_X_S, (CELL_W - 6).to_string()),
            (CELL_DOT_X_S, (CELL_W + 4).to_string()),
            (FRAME_USERS_X_S, (FRAME_W - 8).to_string()),
            (FRAME_BADGE_S, format!("translate({},-7)", FRAME_W - 30)),
        ];
        for (written, number) in said {
            assert_eq!(written, number);
        }
    }
}
