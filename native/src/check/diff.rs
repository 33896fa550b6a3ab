//! Comparing two observations of the same step, the model's and the
//! kernel's, and printing what differs as a table.
//!
//! Frame numbers mean nothing across machines, so a page is described by
//! what can be compared: absent, the zero page, or a frame with its number
//! of users, the other pages that map the same frame, and whether the frame
//! changed since the step before. One page that differs shows up as that
//! page alone, not as a renumbering of every frame after it.

use sim_core::observe::{Observation, PageObs};
use std::collections::BTreeMap;

/// One thing that differs.
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

fn users(n: u32) -> String {
    if n == 1 {
        "1 user".into()
    } else {
        format!("{n} users")
    }
}

/// Everything comparable in `obs`, keyed by what a reader would call it.
pub fn flatten(
    obs: &Observation,
    prev: Option<&Observation>,
    sight: Sight,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut sharers: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    if sight == Sight::Frames {
        for (name, p) in &obs.processes {
            for (region, pages) in &p.regions {
                for (i, page) in pages.iter().enumerate() {
                    if let PageObs::Frame { frame, .. } = page {
                        sharers
                            .entry(*frame)
                            .or_default()
                            .push(format!("{name} {region}[{i}]"));
                    }
                }
            }
        }
    }
    for (name, p) in &obs.processes {
        out.insert(format!("{name} state"), p.state.as_str().to_string());
        out.insert(format!("{name} parent"), p.parent.clone());
        if let Some(last) = &p.last_op {
            let res = match last.result {
                Some(r) => format!("returned {r}"),
                None => "not returned".into(),
            };
            out.insert(
                format!("{name} last op"),
                format!(
                    "step {}, {}, {res}",
                    last.step,
                    sim_core::words::count(last.faults, "fault", "faults")
                ),
            );
        }
        for (sig, n) in &p.handled {
            out.insert(format!("{name} handled {sig}"), n.to_string());
        }
        if let Some(s) = p.last_reaped {
            out.insert(format!("{name} last reaped"), s.to_string());
        }
        for (region, pages) in &p.regions {
            let before = prev
                .and_then(|o| o.processes.get(name))
                .and_then(|q| q.regions.get(region));
            for (i, page) in pages.iter().enumerate() {
                let me = format!("{name} {region}[{i}]");
                let text = match (sight, page) {
                    (_, PageObs::Absent) => "absent".to_string(),
                    (Sight::ExclusiveBit, PageObs::Frame { users: 1, .. }) => {
                        "present, exclusive".into()
                    }
                    (Sight::ExclusiveBit, _) => "present, not exclusive".into(),
                    (Sight::Frames, PageObs::Zero) => "zero page".into(),
                    (Sight::Frames, PageObs::Frame { frame, users: n }) => {
                        let mut t = format!("frame, {}", users(*n));
                        let others: Vec<&String> = sharers
                            .get(frame)
                            .into_iter()
                            .flatten()
                            .filter(|o| **o != me)
                            .collect();
                        if !others.is_empty() {
                            let shown: Vec<&str> =
                                others.iter().take(3).map(|s| s.as_str()).collect();
                            t.push_str(&format!(", same as {}", shown.join(", ")));
                            if others.len() > 3 {
                                t.push_str(&format!(" and {} more", others.len() - 3));
                            }
                        }
                        if let Some(PageObs::Frame { frame: old, .. }) =
                            before.and_then(|b| b.get(i))
                        {
                            if old != frame {
                                t.push_str(", new frame");
                            }
                        }
                        t
                    }
                };
                out.insert(me, text);
            }
        }
    }
    for (end, n) in &obs.queued {
        if *n > 0 {
            out.insert(format!("queued at {end}"), n.to_string());
        }
    }
    out
}

/// What differs between the model's and the kernel's observation of one step.
pub fn diff(
    model: &Observation,
    model_prev: Option<&Observation>,
    kernel: &Observation,
    kernel_prev: Option<&Observation>,
    sight: Sight,
) -> Vec<Row> {
    let m = flatten(model, model_prev, sight);
    let k = flatten(kernel, kernel_prev, sight);
    let mut keys: Vec<&String> = m.keys().chain(k.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|key| {
            let a = m.get(key);
            let b = k.get(key);
            (a != b).then(|| Row {
                what: key.clone(),
                model: a.cloned().unwrap_or_else(|| "-".into()),
                kernel: b.cloned().unwrap_or_else(|| "-".into()),
            })
        })
        .collect()
}

/// A plain text table; the first row is the header.
pub fn table(rows: &[[String; 4]]) -> String {
    let mut width = [0usize; 4];
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
        assert_eq!(diff(&model, None, &kernel, None, Sight::Frames), vec![]);
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
        let rows = diff(&model, Some(&shared), &kernel, Some(&shared), Sight::Frames);
        let what: Vec<&str> = rows.iter().map(|r| r.what.as_str()).collect();
        assert_eq!(what, ["child heap[0]", "child last op", "parent heap[0]"]);
        assert_eq!(rows[0].model, "frame, 1 user, new frame");
        assert_eq!(rows[0].kernel, "frame, 2 users, same as parent heap[0]");
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
            diff(&model, None, &kernel, None, Sight::ExclusiveBit),
            vec![]
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
