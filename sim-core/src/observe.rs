//! What can be seen of a machine from outside, in terms a scenario names:
//! the common ground of the model and the real kernel. `forkscope check`
//! builds one `Observation` from the model's state and one from /proc after
//! each step, normalises frames, and compares; expects are evaluated on an
//! observation, so that the same code judges the model and the kernel.
//!
//! Frame numbers are opaque: only "which pages share a frame" and "how many
//! users a frame has" mean the same on both sides.

use crate::scenario::ast::{
    ExitStatus, Expect, FdState, OpResult, PageCheck, StateName, INIT_NAME,
};
use crate::sig::Signal;
use crate::words;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One page of one region, as seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "page")]
pub enum PageObs {
    /// Not present in the page table.
    Absent,
    /// Maps the shared zero page.
    Zero,
    /// Maps a frame; `users` is its map count (/proc/kpagecount).
    Frame { frame: u64, users: u32 },
}

/// The last operation a process issued, once it has completed or blocked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastOpObs {
    /// The step (index into the trace) that issued it.
    pub step: u32,
    /// Minor faults it took (so far, if it has not completed).
    pub faults: u64,
    /// Its return value; `None` while it is blocked.
    pub result: Option<OpResult>,
}

/// An fd a process holds for an end, as seen (/proc/PID/fdinfo).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FdObs {
    /// Its number.
    pub fd: u32,
    /// FD_CLOEXEC: exec closes it.
    pub cloexec: bool,
}

impl FdObs {
    /// What `expect P fd END ...` calls it.
    pub fn state(self) -> FdState {
        if self.cloexec {
            FdState::Cloexec
        } else {
            FdState::Open
        }
    }
}

/// One scenario process, as seen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcObs {
    /// Its state as the language names it.
    pub state: StateName,
    /// `init` or the parent's scenario name.
    pub parent: String,
    /// Region name -> its pages in index order. Empty once the process has
    /// exited or exec'd.
    pub regions: BTreeMap<String, Vec<PageObs>>,
    /// Its last operation, if it carried one out.
    pub last_op: Option<LastOpObs>,
    /// Runs of each handled signal's handler in this process's current
    /// program image (0 again after exec; a frame set up whose handler has
    /// not run yet does not count).
    pub handled: BTreeMap<Signal, u64>,
    /// How the last child this process reaped ended.
    pub last_reaped: Option<ExitStatus>,
    /// End (`p.r`, `s.0`) -> the fd it holds for it (a scenario never
    /// holds two for one end: it has no dup). Empty once it is dead.
    #[serde(default)]
    pub fds: BTreeMap<String, FdObs>,
    /// Threads in its thread group (/proc/PID/stat's num_threads): 1, and
    /// one more for each `thread` it made, until exec or its death ends
    /// them. Left out of the JSON when 1, so older records read back.
    #[serde(default = "one_thread", skip_serializing_if = "is_one_thread")]
    pub threads: u32,
}

pub(crate) fn one_thread() -> u32 {
    1
}

pub(crate) fn is_one_thread(n: &u32) -> bool {
    *n == 1
}

/// The whole machine, as seen after one step.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observation {
    /// Scenario name -> process. A process that was reaped stays, `gone`.
    pub processes: BTreeMap<String, ProcObs>,
    /// End (`p.r`, `s.0`) -> bytes waiting to be read there (FIONREAD).
    pub queued: BTreeMap<String, u64>,
}

impl Observation {
    /// Renumber frames 1, 2, 3... in order of first appearance (processes by
    /// name, regions by name, pages by index), so two machines that share
    /// the same pages the same way give equal observations.
    pub fn normalised(&self) -> Observation {
        let mut renumber = BTreeMap::new();
        let mut out = self.clone();
        for proc in out.processes.values_mut() {
            for pages in proc.regions.values_mut() {
                for page in pages.iter_mut() {
                    if let PageObs::Frame { frame, .. } = page {
                        let next = renumber.len() as u64 + 1;
                        *frame = *renumber.entry(*frame).or_insert(next);
                    }
                }
            }
        }
        out
    }

    pub(crate) fn page(&self, process: &str, region: &str, page: u32) -> Result<PageObs, String> {
        let proc = self
            .processes
            .get(process)
            .ok_or_else(|| format!("there is no process {process}"))?;
        let pages = proc
            .regions
            .get(region)
            .ok_or_else(|| format!("{process} has no region {region}"))?;
        pages.get(page as usize).copied().ok_or_else(|| {
            format!(
                "{region} has only {}",
                words::count(pages.len() as u64, "page", "pages")
            )
        })
    }

    fn proc(&self, process: &str) -> Result<&ProcObs, String> {
        self.processes
            .get(process)
            .ok_or_else(|| format!("there is no process {process}"))
    }
}

/// An expect's verdict: `Ok` when it holds, else what was found instead.
pub type Verdict = Result<(), String>;

fn describe_page(p: PageObs) -> String {
    match p {
        PageObs::Absent => "it is absent".into(),
        PageObs::Zero => "it maps the zero page".into(),
        PageObs::Frame { users: 1, .. } => "its frame has 1 user".into(),
        PageObs::Frame { users, .. } => format!("its frame has {users} users"),
    }
}

/// Why a process's last operation has no result, in its state. A dead
/// process's never will: either it was `exit`, which does not return, or
/// a signal killed the process before the call returned to it (an
/// observation does not tell which).
fn no_return(state: StateName) -> String {
    match state {
        StateName::Zombie | StateName::Gone => format!(
            "it has ended (it is {}): exit does not return, and neither does a call the process was killed in",
            if state == StateName::Zombie { "a zombie" } else { "gone" }
        ),
        StateName::Blocked | StateName::Stopped => format!(
            "its last operation has not returned: it is {}",
            state.as_str()
        ),
        StateName::Running => "its last operation has not returned".into(),
    }
}

/// Why an observation cannot judge a Node event expect.
pub const NOT_OBSERVED: &str =
    "Node events and JavaScript values are not in what the kernel shows: the model's Node layer judges them";

/// Judge `expect` against `now`. `before_last_op` is the observation from
/// just before the expect's process issued its last operation (needed only
/// by `frame same` / `frame new`).
pub fn evaluate(
    expect: &Expect,
    now: &Observation,
    before_last_op: Option<&Observation>,
) -> Verdict {
    match expect {
        // An observation is the kernel's view, which has no Node events;
        // the engine judges these on its Node state (`node::state`).
        Expect::Event { .. } | Expect::Events { .. } | Expect::Value { .. } => {
            Err(NOT_OBSERVED.to_string())
        }
        Expect::Page {
            process,
            region,
            page,
            check,
        } => {
            let here = now.page(process.as_str(), region.as_str(), *page)?;
            match check {
                PageCheck::Shared { other } => {
                    let there = now.page(other.as_str(), region.as_str(), *page)?;
                    match (here, there) {
                        (PageObs::Frame { frame: a, .. }, PageObs::Frame { frame: b, .. })
                            if a == b =>
                        {
                            Ok(())
                        }
                        (PageObs::Zero, PageObs::Zero) => Ok(()),
                        (PageObs::Frame { .. }, PageObs::Frame { .. }) => {
                            Err(format!("{process} and {other} map different frames"))
                        }
                        (h, t) => Err(format!(
                            "in {process} {}, in {other} {}",
                            describe_page(h),
                            describe_page(t)
                        )),
                    }
                }
                PageCheck::Private => match here {
                    PageObs::Frame { users: 1, .. } => Ok(()),
                    other => Err(describe_page(other)),
                },
                PageCheck::Absent => match here {
                    PageObs::Absent => Ok(()),
                    other => Err(describe_page(other)),
                },
                PageCheck::Zero => match here {
                    PageObs::Zero => Ok(()),
                    other => Err(describe_page(other)),
                },
                PageCheck::FrameSame | PageCheck::FrameNew => {
                    // Only a mapped page has a frame to compare.
                    if here == PageObs::Absent {
                        return Err(describe_page(here));
                    }
                    let before = before_last_op
                        .ok_or_else(|| format!("{process} has done no operation yet"))?
                        .page(process.as_str(), region.as_str(), *page)
                        .unwrap_or(PageObs::Absent);
                    let same = match (before, here) {
                        (PageObs::Frame { frame: a, .. }, PageObs::Frame { frame: b, .. }) => {
                            a == b
                        }
                        (PageObs::Zero, PageObs::Zero) => true,
                        _ => false,
                    };
                    let want_same = matches!(check, PageCheck::FrameSame);
                    if same == want_same {
                        Ok(())
                    } else if same {
                        Err("it keeps the frame it had".into())
                    } else {
                        Err(format!(
                            "it changed: before, {}; now, {}",
                            describe_page(before),
                            describe_page(here)
                        ))
                    }
                }
            }
        }
        Expect::Faults { process, count } => {
            let last = now.proc(process.as_str())?.last_op.as_ref();
            let faults = last.map_or(0, |l| l.faults);
            if faults == *count {
                Ok(())
            } else {
                Err(format!(
                    "its last operation took {}",
                    words::count(faults, "fault", "faults")
                ))
            }
        }
        Expect::Result { process, result } => match now.proc(process.as_str())?.last_op.as_ref() {
            None => Err(format!("{process} has done no operation yet")),
            Some(LastOpObs { result: None, .. }) => {
                Err(no_return(now.proc(process.as_str())?.state))
            }
            Some(LastOpObs {
                result: Some(r), ..
            }) if r == result => Ok(()),
            Some(LastOpObs {
                result: Some(r), ..
            }) => Err(format!("it returned {r}")),
        },
        Expect::State { process, state } => {
            let found = now.proc(process.as_str())?.state;
            if found == *state {
                Ok(())
            } else {
                Err(format!("it is {}", found.as_str()))
            }
        }
        Expect::Parent { process, parent } => {
            let found = &now.proc(process.as_str())?.parent;
            if found == parent.as_str() {
                Ok(())
            } else if found == INIT_NAME {
                Err("its parent is init".into())
            } else {
                Err(format!("its parent is {found}"))
            }
        }
        Expect::Queued { end, bytes } => {
            let key = end.to_string();
            let found = now.queued.get(&key).copied().unwrap_or(0);
            if found == *bytes {
                Ok(())
            } else {
                Err(format!(
                    "{} {} queued",
                    words::bytes(found),
                    words::agree(found, "is", "are")
                ))
            }
        }
        Expect::Handled {
            process,
            signal,
            count,
        } => {
            let found = now
                .proc(process.as_str())?
                .handled
                .get(signal)
                .copied()
                .unwrap_or(0);
            if found == *count {
                Ok(())
            } else {
                Err(format!("it ran {}", words::count(found, "time", "times")))
            }
        }
        Expect::Status { process, status } => match now.proc(process.as_str())?.last_reaped {
            Some(found) if found == *status => Ok(()),
            Some(found) => Err(format!("the last child it reaped {found}")),
            None => Err(format!("{process} has reaped no child")),
        },
        Expect::Fd {
            process,
            end,
            state,
        } => {
            let held = now.proc(process.as_str())?.fds.get(&end.to_string());
            match held {
                Some(fd) if fd.state() == *state => Ok(()),
                None if *state == FdState::Closed => Ok(()),
                Some(FdObs { fd, cloexec: true }) => {
                    Err(format!("it holds {end} as fd {fd}, close-on-exec"))
                }
                Some(FdObs { fd, .. }) => Err(format!(
                    "it holds {end} as fd {fd}, not close-on-exec (it survives exec)"
                )),
                None => Err(format!("it holds no fd for {end}")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::ast::{Name, Pos};

    fn name(text: &str) -> Name {
        Name {
            text: text.into(),
            pos: Pos { line: 1, col: 1 },
        }
    }

    fn with_page(page: PageObs) -> Observation {
        let proc = ProcObs {
            state: StateName::Running,
            parent: INIT_NAME.into(),
            regions: BTreeMap::from([("heap".to_string(), vec![page])]),
            last_op: None,
            handled: BTreeMap::new(),
            last_reaped: None,
            fds: BTreeMap::new(),
            threads: 1,
        };
        Observation {
            processes: BTreeMap::from([("p".to_string(), proc)]),
            queued: BTreeMap::new(),
        }
    }

    fn frame_check(check: PageCheck, before: PageObs, now: PageObs) -> Verdict {
        let expect = Expect::Page {
            process: name("p"),
            region: name("heap"),
            page: 0,
            check,
        };
        evaluate(&expect, &with_page(now), Some(&with_page(before)))
    }

    /// The verdict on the last expect of `source`, run by the model.
    fn last_verdict(source: &str) -> Verdict {
        let mut sim = crate::engine::Sim::from_source(source).expect("the scenario parses");
        sim.run_to_end().expect("the scenario runs");
        let step = sim.steps().last().expect("a step ran");
        step.expects.last().expect("an expect").verdict.clone()
    }

    #[test]
    fn the_result_of_exit_says_exit_does_not_return_in_the_state_the_process_is_in() {
        let zombie = "process p\np: fork c\nc: exit 3\nexpect c result 0\n";
        assert_eq!(
            last_verdict(zombie),
            Err("it has ended (it is a zombie): exit does not return, and neither does a call the process was killed in".into())
        );
        let reaped = "process p\np: fork c\nc: exit 3\np: wait c\nexpect c result 0\n";
        assert_eq!(
            last_verdict(reaped),
            Err("it has ended (it is gone): exit does not return, and neither does a call the process was killed in".into())
        );
    }

    #[test]
    fn the_result_of_a_blocked_call_says_the_process_is_blocked() {
        let blocked = "process p\np: pipe x\np: recv x.r 1\nexpect p result 0\n";
        assert_eq!(
            last_verdict(blocked),
            Err("its last operation has not returned: it is blocked".into())
        );
    }

    #[test]
    fn an_absent_page_has_neither_a_new_frame_nor_the_same_one() {
        for check in [PageCheck::FrameNew, PageCheck::FrameSame] {
            assert_eq!(
                frame_check(check, PageObs::Absent, PageObs::Absent),
                Err("it is absent".into())
            );
        }
        let mapped = PageObs::Frame { frame: 7, users: 1 };
        assert!(frame_check(PageCheck::FrameNew, mapped, PageObs::Absent).is_err());
    }

    #[test]
    fn frame_new_holds_only_when_the_frame_changed() {
        let old = PageObs::Frame { frame: 7, users: 2 };
        let new = PageObs::Frame { frame: 9, users: 1 };
        assert_eq!(frame_check(PageCheck::FrameNew, old, new), Ok(()));
        assert!(frame_check(PageCheck::FrameNew, old, old).is_err());
        assert_eq!(frame_check(PageCheck::FrameSame, old, old), Ok(()));
        assert_eq!(
            frame_check(PageCheck::FrameNew, PageObs::Absent, new),
            Ok(())
        );
    }
}
