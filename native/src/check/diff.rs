//! Comparing two observations of the same step, the model's and the
//! kernel's, and printing what differs as a table.
//!
//! Frame numbers mean nothing across machines, so a page is described by
//! what can be compared: absent, the zero page, or a frame with its number
//! of users, the other pages that map the same frame, and whether the frame
//! changed since the step before. One page that differs shows up as that
//! page alone, not as a renumbering of every frame after it; a run of
//! pages that differ alike is one row (`heap[0..262144]`), so a gigabyte
//! region that differs everywhere is a line, found in O(n log n).

use sim_core::observe::{Observation, PageObs};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// One thing that differs, as the table shows it: a run of pages that
/// differ alike is one row (`p heap[0..262144]`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Row {
    pub what: String,
    pub model: String,
    pub kernel: String,
}

/// How pages can be compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sight {
    /// Frame numbers and map counts (root).
    Frames,
    /// Only present/absent and the exclusive bit (pagemap bit 56).
    ExclusiveBit,
}

/// A name (process, region, field), shared rather than copied.
pub type Name = Arc<str>;

/// Names interned once for a whole check, both sides and every step: a
/// key costs no allocation, whatever the number of pages.
#[derive(Debug, Default)]
pub struct Names {
    names: BTreeSet<Name>,
    /// Places (process, region) by number, for the sharers of a page.
    places: Vec<(Name, Name)>,
    place_ids: BTreeMap<(Name, Name), u32>,
}

impl Names {
    pub fn name(&mut self, s: &str) -> Name {
        if let Some(n) = self.names.get(s) {
            return n.clone();
        }
        let n: Name = s.into();
        self.names.insert(n.clone());
        n
    }

    fn place(&mut self, process: &str, region: &str) -> u32 {
        let key = (self.name(process), self.name(region));
        if let Some(&id) = self.place_ids.get(&key) {
            return id;
        }
        let id = self.places.len() as u32;
        self.places.push(key.clone());
        self.place_ids.insert(key, id);
        id
    }
}

/// What a comparable value is about, in the order the table shows it:
/// processes by name, then their fields, pages by region and page number;
/// then the queues.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Key {
    /// `page` is set for a page of the region `field`.
    Proc {
        name: Name,
        field: Name,
        page: Option<u32>,
    },
    Queued(Name),
}

/// How a page looks, whatever its neighbours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Look {
    Absent,
    Zero,
    Exclusive,
    NotExclusive,
    Frame { users: u32 },
}

/// A page that maps the same frame as the page being described: its place
/// (process, region) and its page number relative to the described page,
/// so that a run of pages each shared with its counterpart compares equal
/// page to page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Sharer {
    place: u32,
    offset: i64,
}

/// How a page looks, relative to its own page number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageText {
    look: Look,
    /// Up to three other pages on the same frame (`shown` of them).
    sharers: [Sharer; 3],
    shown: u8,
    /// How many more there are.
    more: usize,
    new_frame: bool,
}

/// One comparable value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Val {
    Text(String),
    Page(PageText),
}

/// One key where the two sides differ (`None`: that side has no such thing).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cell {
    pub key: Key,
    pub model: Option<Val>,
    pub kernel: Option<Val>,
}

/// The comparison was stopped (Ctrl-C).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stopped;

/// Pages between two looks at `stop`.
const STOP_EVERY: usize = 4096;

fn users(n: u32) -> String {
    if n == 1 {
        "1 user".into()
    } else {
        format!("{n} users")
    }
}

fn range_text(start: u32, end: u32) -> String {
    if end == start + 1 {
        start.to_string()
    } else {
        format!("{start}..{end}")
    }
}

impl Val {
    /// The text for the pages `start..end` (one page for anything but a page).
    fn render(&self, start: u32, end: u32, names: &Names) -> String {
        let p = match self {
            Val::Text(t) => return t.clone(),
            Val::Page(p) => p,
        };
        let mut t = match p.look {
            Look::Absent => "absent".to_string(),
            Look::Zero => "zero page".into(),
            Look::Exclusive => "present, exclusive".into(),
            Look::NotExclusive => "present, not exclusive".into(),
            Look::Frame { users: n } => format!("frame, {}", users(n)),
        };
        if p.shown > 0 {
            let shown: Vec<String> = p.sharers[..usize::from(p.shown)]
                .iter()
                .map(|s| {
                    let at = |i: u32| (i64::from(i) + s.offset).max(0) as u32;
                    let (process, region) = &names.places[s.place as usize];
                    format!("{process} {region}[{}]", range_text(at(start), at(end)))
                })
                .collect();
            t.push_str(&format!(", same as {}", shown.join(", ")));
            if p.more > 0 {
                t.push_str(&format!(" and {} more", p.more));
            }
        }
        if p.new_frame {
            t.push_str(", new frame");
        }
        t
    }
}

/// Everything comparable in `obs`, sorted by key; `Err(Stopped)` as soon
/// as `stop` says so.
pub fn flatten(
    obs: &Observation,
    prev: Option<&Observation>,
    sight: Sight,
    names: &mut Names,
    stop: &dyn Fn() -> bool,
) -> Result<Vec<(Key, Val)>, Stopped> {
    let mut out = Vec::new();
    // (frame, place, page) of every mapped page, sorted: the pages that map
    // one frame are a run, in (process, region, page) order.
    let mut sharers: Vec<(u64, u32, u32)> = Vec::new();
    if sight == Sight::Frames {
        for (name, p) in &obs.processes {
            for (region, pages) in &p.regions {
                let place = names.place(name, region);
                for (i, page) in pages.iter().enumerate() {
                    if let PageObs::Frame { frame, .. } = page {
                        sharers.push((*frame, place, i as u32));
                    }
                }
            }
        }
        sharers.sort_unstable();
    }
    let on_frame = |frame: u64| {
        let from = sharers.partition_point(|s| s.0 < frame);
        let to = sharers.partition_point(|s| s.0 <= frame);
        &sharers[from..to]
    };
    for (name, p) in &obs.processes {
        let me = names.name(name);
        let mut field = |f: &str, v: String| {
            let key = Key::Proc {
                name: me.clone(),
                field: names.name(f),
                page: None,
            };
            out.push((key, Val::Text(v)));
        };
        field("state", p.state.as_str().into());
        field("parent", p.parent.clone());
        if let Some(last) = &p.last_op {
            let res = match last.result {
                Some(r) => format!("returned {r}"),
                None => "not returned".into(),
            };
            field(
                "last op",
                format!(
                    "step {}, {}, {res}",
                    last.step,
                    sim_core::words::count(last.faults, "fault", "faults")
                ),
            );
        }
        for (sig, n) in &p.handled {
            field(&format!("handled {sig}"), n.to_string());
        }
        if let Some(s) = p.last_reaped {
            field("last reaped", s.to_string());
        }
        field("threads", p.threads.to_string());
        for (end, fd) in &p.fds {
            let flag = if fd.cloexec { ", close-on-exec" } else { "" };
            field(&format!("holds {end}"), format!("fd {}{flag}", fd.fd));
        }
        for (region, pages) in &p.regions {
            let before = prev
                .and_then(|o| o.processes.get(name))
                .and_then(|q| q.regions.get(region));
            let region_name = names.name(region);
            let place = names.place(name, region);
            out.reserve(pages.len());
            for (i, page) in pages.iter().enumerate() {
                if i % STOP_EVERY == 0 && stop() {
                    return Err(Stopped);
                }
                let i = i as u32;
                let look = match (sight, page) {
                    (_, PageObs::Absent) => Look::Absent,
                    (Sight::ExclusiveBit, PageObs::Frame { users: 1, .. }) => Look::Exclusive,
                    (Sight::ExclusiveBit, _) => Look::NotExclusive,
                    (Sight::Frames, PageObs::Zero) => Look::Zero,
                    (Sight::Frames, PageObs::Frame { users: n, .. }) => Look::Frame { users: *n },
                };
                let mut text = PageText {
                    look,
                    sharers: [Sharer {
                        place: 0,
                        offset: 0,
                    }; 3],
                    shown: 0,
                    more: 0,
                    new_frame: false,
                };
                if let (Sight::Frames, PageObs::Frame { frame, .. }) = (sight, page) {
                    let others = on_frame(*frame)
                        .iter()
                        .filter(|&&(_, q, j)| !(q == place && j == i));
                    for &(_, q, j) in others.clone().take(3) {
                        text.sharers[usize::from(text.shown)] = Sharer {
                            place: q,
                            offset: i64::from(j) - i64::from(i),
                        };
                        text.shown += 1;
                    }
                    text.more = others.count().saturating_sub(3);
                    if let Some(PageObs::Frame { frame: old, .. }) =
                        before.and_then(|b| b.get(i as usize))
                    {
                        text.new_frame = old != frame;
                    }
                }
                let key = Key::Proc {
                    name: me.clone(),
                    field: region_name.clone(),
                    page: Some(i),
                };
                out.push((key, Val::Page(text)));
            }
        }
    }
    for (end, n) in &obs.queued {
        if *n > 0 {
            out.push((Key::Queued(names.name(end)), Val::Text(n.to_string())));
        }
    }
    // Mostly sorted already (runs of pages): the sort finds the runs.
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// What differs between the model's and the kernel's observation of one
/// step, key by key, in key order. O(n log n) in the pages observed.
pub fn diff(
    model: (&Observation, Option<&Observation>),
    kernel: (&Observation, Option<&Observation>),
    sight: Sight,
    names: &mut Names,
    stop: &dyn Fn() -> bool,
) -> Result<Vec<Cell>, Stopped> {
    let m = flatten(model.0, model.1, sight, names, stop)?;
    let k = flatten(kernel.0, kernel.1, sight, names, stop)?;
    let mut out = Vec::new();
    let (mut m, mut k) = (m.into_iter().peekable(), k.into_iter().peekable());
    loop {
        let order = match (m.peek(), k.peek()) {
            (None, None) => break,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some(a), Some(b)) => a.0.cmp(&b.0),
        };
        let cell = match order {
            Ordering::Less => {
                let (key, v) = m.next().expect("peeked");
                Cell {
                    key,
                    model: Some(v),
                    kernel: None,
                }
            }
            Ordering::Greater => {
                let (key, v) = k.next().expect("peeked");
                Cell {
                    key,
                    model: None,
                    kernel: Some(v),
                }
            }
            Ordering::Equal => {
                let (key, a) = m.next().expect("peeked");
                let (_, b) = k.next().expect("peeked");
                if a == b {
                    continue;
                }
                Cell {
                    key,
                    model: Some(a),
                    kernel: Some(b),
                }
            }
        };
        out.push(cell);
    }
    Ok(out)
}

/// The cells of `now` that were not already in `before` (both in key
/// order): a difference that persists is shown where it appeared. O(n).
pub fn fresh(now: &[Cell], before: &[Cell]) -> Vec<Cell> {
    let mut old = before.iter().peekable();
    now.iter()
        .filter(|c| {
            while old.peek().is_some_and(|o| o.key < c.key) {
                old.next();
            }
            old.peek() != Some(c)
        })
        .cloned()
        .collect()
}

/// The rows of the table: consecutive pages of one region that differ
/// alike (each page's texts equal relative to its page number) become one
/// row, `heap[0..262144]`. O(n).
pub fn rows(cells: &[Cell], names: &Names) -> Vec<Row> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < cells.len() {
        let first = &cells[i];
        let mut j = i + 1;
        if let Key::Proc {
            name,
            field,
            page: Some(start),
        } = &first.key
        {
            while let Some(Cell {
                key:
                    Key::Proc {
                        name: n,
                        field: f,
                        page: Some(p),
                    },
                model,
                kernel,
            }) = cells.get(j)
            {
                let next = *start + (j - i) as u32;
                if n != name || f != field || *p != next {
                    break;
                }
                if *model != first.model || *kernel != first.kernel {
                    break;
                }
                j += 1;
            }
        }
        let (start, end) = match &first.key {
            Key::Proc { page: Some(p), .. } => (*p, *p + (j - i) as u32),
            _ => (0, 1),
        };
        let what = match &first.key {
            Key::Proc {
                name,
                field,
                page: Some(_),
            } => format!("{name} {field}[{}]", range_text(start, end)),
            Key::Proc { name, field, .. } => format!("{name} {field}"),
            Key::Queued(end) => format!("queued at {end}"),
        };
        let side = |v: &Option<Val>| {
            v.as_ref()
                .map_or_else(|| "-".into(), |v| v.render(start, end, names))
        };
        out.push(Row {
            what,
            model: side(&first.model),
            kernel: side(&first.kernel),
        });
        i = j;
    }
    out
}

/// A difference's rows for a report's table (source line | what | model |
/// the other side): the first names its line and statement.
pub fn difference_rows(
    line: u32,
    source: &str,
    rows: impl IntoIterator<Item = [String; 3]>,
) -> Vec<(u32, [String; 4])> {
    rows.into_iter()
        .enumerate()
        .map(|(i, [what, model, other])| {
            let src = if i == 0 {
                format!("{line}: {source}")
            } else {
                String::new()
            };
            (line, [src, what, model, other])
        })
        .collect()
}

/// Whether a report lists an expect: one that agrees, or is judged by one
/// side only, is listed only when it fails.
pub fn expect_listed(status: super::outcome::ExpectStatus, fails: bool) -> bool {
    use super::outcome::ExpectStatus::*;
    match status {
        Agree | KernelOnly | ModelOnly => fails,
        Differ | NotJudged => true,
    }
}

/// The rows of differences and expects as one table sorted by line
/// (stable: at one line, the step's rows before its expects), whose last
/// column is `other`'s ("kernel", "node"); "" when there are none.
pub fn by_line(mut rows: Vec<(u32, [String; 4])>, other: &str) -> String {
    if rows.is_empty() {
        return String::new();
    }
    rows.sort_by_key(|(line, _)| *line);
    let mut cells = vec![[
        "source line".to_string(),
        "what".into(),
        "model".into(),
        other.into(),
    ]];
    cells.extend(rows.into_iter().map(|(_, r)| r));
    table(&cells)
}

/// A plain text table of `N` columns; the first row is the header.
pub fn table<const N: usize>(rows: &[[String; N]]) -> String {
    let mut width = [0usize; N];
    for r in rows {
        for (w, cell) in width.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for (n, r) in rows.iter().enumerate() {
        let cells: Vec<String> = r
            .iter()
            .zip(width)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
            .collect();
        out.push_str("  ");
        out.push_str(cells.join(" | ").trim_end());
        out.push('\n');
        if n == 0 {
            let rule: Vec<String> = width.iter().map(|w| "-".repeat(*w)).collect();
            out.push_str("  ");
            out.push_str(&rule.join("-+-"));
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::observe::{LastOpObs, ProcObs};
    use sim_core::scenario::ast::{OpResult, StateName};

    fn compare(
        model: &Observation,
        model_prev: Option<&Observation>,
        kernel: &Observation,
        kernel_prev: Option<&Observation>,
        sight: Sight,
    ) -> Vec<Row> {
        let mut names = Names::default();
        let cells = diff(
            (model, model_prev),
            (kernel, kernel_prev),
            sight,
            &mut names,
            &|| false,
        )
        .unwrap();
        rows(&cells, &names)
    }

    fn proc(pages: Vec<PageObs>, faults: u64) -> ProcObs {
        ProcObs {
            state: StateName::Running,
            parent: "init".into(),
            regions: [("heap".to_string(), pages)].into(),
            last_op: Some(LastOpObs {
                step: 3,
                faults,
                result: Some(OpResult::Value(0)),
            }),
            handled: BTreeMap::new(),
            last_reaped: None,
            fds: BTreeMap::new(),
            threads: 1,
        }
    }

    fn after_fork(child_page: PageObs, parent_page: PageObs, faults: u64) -> Observation {
        Observation {
            processes: [
                ("child".to_string(), proc(vec![child_page], faults)),
                ("parent".to_string(), proc(vec![parent_page], 0)),
            ]
            .into(),
            queued: BTreeMap::new(),
        }
    }

    #[test]
    fn frames_are_compared_by_sharing_not_by_number() {
        let model = after_fork(
            PageObs::Frame { frame: 1, users: 2 },
            PageObs::Frame { frame: 1, users: 2 },
            0,
        );
        let kernel = after_fork(
            PageObs::Frame {
                frame: 7000,
                users: 2,
            },
            PageObs::Frame {
                frame: 7000,
                users: 2,
            },
            0,
        );
        assert_eq!(compare(&model, None, &kernel, None, Sight::Frames), vec![]);
    }

    #[test]
    fn a_copy_the_kernel_did_not_make_is_one_row_per_page_and_the_faults() {
        let shared = after_fork(
            PageObs::Frame { frame: 1, users: 2 },
            PageObs::Frame { frame: 1, users: 2 },
            0,
        );
        let model = after_fork(
            PageObs::Frame { frame: 2, users: 1 },
            PageObs::Frame { frame: 1, users: 1 },
            1,
        );
        let kernel = after_fork(
            PageObs::Frame { frame: 1, users: 2 },
            PageObs::Frame { frame: 1, users: 2 },
            0,
        );
        let rows = compare(&model, Some(&shared), &kernel, Some(&shared), Sight::Frames);
        let what: Vec<&str> = rows.iter().map(|r| r.what.as_str()).collect();
        assert_eq!(what, ["child heap[0]", "child last op", "parent heap[0]"]);
        assert_eq!(rows[0].model, "frame, 1 user, new frame");
        assert_eq!(rows[0].kernel, "frame, 2 users, same as parent heap[0]");
    }

    #[test]
    fn a_thread_the_other_side_does_not_have_is_a_row() {
        let page = PageObs::Frame { frame: 1, users: 1 };
        let model = after_fork(page, page, 0);
        let mut kernel = model.clone();
        kernel.processes.get_mut("parent").unwrap().threads = 2;
        let rows = compare(&model, None, &kernel, None, Sight::Frames);
        let what: Vec<(&str, &str, &str)> = rows
            .iter()
            .map(|r| (r.what.as_str(), r.model.as_str(), r.kernel.as_str()))
            .collect();
        assert_eq!(what.len(), 1, "{what:?}");
        assert_eq!(what[0].0, "parent threads");
        assert_eq!(what[0].2, "2");
    }

    #[test]
    fn without_frame_numbers_only_exclusiveness_is_compared() {
        let model = after_fork(PageObs::Zero, PageObs::Frame { frame: 1, users: 2 }, 0);
        let kernel = after_fork(
            PageObs::Frame { frame: 0, users: 2 },
            PageObs::Frame { frame: 0, users: 2 },
            0,
        );
        assert_eq!(
            compare(&model, None, &kernel, None, Sight::ExclusiveBit),
            vec![]
        );
    }

    fn one_region(name: &str, pages: Vec<PageObs>) -> Observation {
        Observation {
            processes: [(name.to_string(), proc(pages, 0))].into(),
            queued: BTreeMap::new(),
        }
    }

    #[test]
    fn pages_that_differ_alike_merge_into_one_row_in_page_order() {
        let mut model = vec![PageObs::Absent; 12];
        model[11] = PageObs::Frame { frame: 3, users: 1 };
        let mut kernel = vec![PageObs::Zero; 12];
        kernel[5] = PageObs::Absent;
        let rows = compare(
            &one_region("p", model),
            None,
            &one_region("p", kernel),
            None,
            Sight::Frames,
        );
        let what: Vec<&str> = rows.iter().map(|r| r.what.as_str()).collect();
        assert_eq!(what, ["p heap[0..5]", "p heap[6..11]", "p heap[11]"]);
        assert_eq!(rows[2].model, "frame, 1 user");
        assert_eq!(rows[2].kernel, "zero page");
    }

    #[test]
    fn pages_shared_page_for_page_merge_and_name_the_range_they_share() {
        let frames = |base: u64, users: u32| -> Vec<PageObs> {
            (0..4)
                .map(|i| PageObs::Frame {
                    frame: base + i,
                    users,
                })
                .collect()
        };
        let model = Observation {
            processes: [
                ("c".to_string(), proc(frames(100, 1), 0)),
                ("p".to_string(), proc(frames(200, 1), 0)),
            ]
            .into(),
            queued: BTreeMap::new(),
        };
        let kernel = Observation {
            processes: [
                ("c".to_string(), proc(frames(200, 2), 0)),
                ("p".to_string(), proc(frames(200, 2), 0)),
            ]
            .into(),
            queued: BTreeMap::new(),
        };
        let rows = compare(&model, None, &kernel, None, Sight::Frames);
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(rows[0].what, "c heap[0..4]");
        assert_eq!(rows[0].model, "frame, 1 user");
        assert_eq!(rows[0].kernel, "frame, 2 users, same as p heap[0..4]");
        assert_eq!(rows[1].kernel, "frame, 2 users, same as c heap[0..4]");
    }

    #[test]
    fn a_difference_already_shown_at_an_earlier_step_is_not_fresh() {
        let mut names = Names::default();
        let model = one_region("p", vec![PageObs::Absent; 3]);
        let kernel = one_region("p", vec![PageObs::Zero; 3]);
        let no = || false;
        let before = diff(
            (&model, None),
            (&kernel, None),
            Sight::Frames,
            &mut names,
            &no,
        )
        .unwrap();
        let mut kernel2 = kernel.clone();
        kernel2
            .processes
            .get_mut("p")
            .unwrap()
            .regions
            .get_mut("heap")
            .unwrap()[1] = PageObs::Frame { frame: 9, users: 1 };
        let now = diff(
            (&model, None),
            (&kernel2, None),
            Sight::Frames,
            &mut names,
            &no,
        )
        .unwrap();
        let shown = rows(&fresh(&now, &before), &names);
        assert_eq!(shown.len(), 1, "{shown:?}");
        assert_eq!(shown[0].what, "p heap[1]");
    }

    #[test]
    fn a_comparison_stops_when_asked() {
        let obs = one_region("p", vec![PageObs::Absent; 3]);
        let mut names = Names::default();
        assert_eq!(
            diff(
                (&obs, None),
                (&obs, None),
                Sight::Frames,
                &mut names,
                &|| true
            ),
            Err(Stopped)
        );
    }

    #[test]
    fn the_table_pads_its_columns() {
        let t = table(&[
            ["a".into(), "bb".into(), "c".into(), "d".into()],
            ["xxx".into(), "y".into(), "z".into(), "w".into()],
        ]);
        assert_eq!(
            t,
            "  a   | bb | c | d\n  ----+----+---+--\n  xxx | y  | z | w\n"
        );
    }
}
