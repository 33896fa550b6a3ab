//! Expects as questions: for each expect of a step, what to ask the
//! learner before the step is shown ("shared or private?", "how many
//! faults?"), the choices, and the answer the model gives after the step.
//!
//! The answer is the model's, not the expect's: an expect may be wrong on
//! purpose (a lesson that shows a common mistake), so the right choice is
//! found by judging each choice on the world after the step, with the same
//! `observe::evaluate` that judges expects, and the expect's own verdict is
//! shown beside it.

use sim_core::engine::{ExpectOutcome, Sim};
use sim_core::errno::Errno;
use sim_core::observe::{self, Observation, PageObs};
use sim_core::scenario::ast::{
    ExitStatus, Expect, FdState, Name, OpResult, PageCheck, StateName, StatementKind, INIT_NAME,
};
use sim_core::sig::Signal;
use sim_core::world::World;
use std::str::FromStr;

/// What the learner answers with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// One of these.
    Choices(Vec<Choice>),
    /// A count (`unit` names what is counted).
    Number { unit: &'static str },
    /// A return value: a number or an errno name.
    ReturnValue,
}

/// One choice: the value an answer carries, and its words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

fn choice(value: impl Into<String>, label: impl Into<String>) -> Choice {
    Choice {
        value: value.into(),
        label: label.into(),
    }
}

/// One expect, asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    /// The expect as written.
    pub expect: String,
    pub prompt: String,
    pub input: Input,
    /// The answers that are right after the step (normalised values);
    /// empty when none of the choices is (the process is gone, say).
    pub right: Vec<String>,
    /// The model's answer, in words.
    pub truth: String,
    /// What the expect says the answer is (a value `judge` takes).
    pub expected: String,
    /// The expect's verdict: `Err` says what was found instead.
    pub verdict: Result<(), String>,
}

impl Question {
    /// Whether `said` is right; None when nothing was said.
    pub fn judge(&self, said: &str) -> Option<bool> {
        let said = said.trim();
        if said.is_empty() {
            return None;
        }
        let norm = match self.input {
            Input::Choices(_) => Some(said.to_string()),
            Input::Number { .. } => said.parse::<u64>().ok().map(|n| n.to_string()),
            Input::ReturnValue => parse_return(said).map(|r| r.to_string()),
        };
        Some(norm.is_some_and(|n| self.right.contains(&n)))
    }

    /// The words of an answer the learner gave (a choice's label).
    pub fn said_words(&self, said: &str) -> String {
        match &self.input {
            Input::Choices(choices) => choices
                .iter()
                .find(|c| c.value == said)
                .map_or_else(|| said.to_string(), |c| c.label.clone()),
            Input::Number { unit } => format!("{} {unit}", said.trim()),
            Input::ReturnValue => said.trim().to_string(),
        }
    }
}

/// A return value as a learner types it: `100`, `-1`, `EAGAIN`,
/// `eagain`, `-1 EAGAIN`.
pub fn parse_return(text: &str) -> Option<OpResult> {
    let text = text.trim();
    if let Ok(n) = text.parse::<i64>() {
        return Some(OpResult::Value(n));
    }
    let word = text
        .strip_prefix("-1")
        .unwrap_or(text)
        .trim()
        .to_ascii_uppercase();
    Errno::from_str(&word).ok().map(OpResult::Error)
}

/// The questions of step `step` (1-based), one per expect, in order.
pub fn questions(sim: &Sim, step: u32) -> Vec<Question> {
    let Some(s) = step
        .checked_sub(1)
        .and_then(|i| sim.steps().get(i as usize))
    else {
        return Vec::new();
    };
    let Some(world) = sim.world(step) else {
        return Vec::new();
    };
    s.expects
        .iter()
        .filter_map(|outcome| {
            let expect = expect_at(sim, outcome)?;
            Some(question(sim, world, expect, outcome))
        })
        .collect()
}

/// The parsed expect an outcome is of (statements are in source order).
fn expect_at<'a>(sim: &'a Sim, outcome: &ExpectOutcome) -> Option<&'a Expect> {
    let statements = &sim.scenario().statements;
    let i = statements
        .binary_search_by_key(&outcome.pos, |s| s.pos)
        .ok()?;
    match &statements[i].kind {
        StatementKind::Expect { expect } => Some(expect),
        _ => None,
    }
}

/// What can be seen of the processes `procs` and of `region`'s pages up to
/// `page` (not the whole machine: a 1 GiB region stays unwalked).
fn observe(world: &World, procs: &[&str], page: Option<(&str, u32)>) -> Observation {
    world.observe_scoped(
        |p| procs.contains(&p),
        |_, r| match page {
            Some((region, i)) if region == r => Some(i + 1),
            _ => None,
        },
    )
}

fn question(sim: &Sim, world: &World, expect: &Expect, outcome: &ExpectOutcome) -> Question {
    let procs: Vec<&str> = expect.processes().iter().map(|n| n.as_str()).collect();
    let page = expect.page().map(|(r, i)| (r.as_str(), i));
    let now = observe(world, &procs, page);
    let proc = expect.subject().and_then(|p| now.processes.get(p.as_str()));
    let holds =
        |e: &Expect, before: Option<&Observation>| observe::evaluate(e, &now, before).is_ok();
    let verdict = outcome.verdict.clone();
    let unknown = || match &verdict {
        Err(found) => found.clone(),
        Ok(()) => "unknown".into(),
    };
    let mut q = Question {
        expect: outcome.text.clone(),
        prompt: String::new(),
        input: Input::Choices(Vec::new()),
        right: Vec::new(),
        truth: String::new(),
        expected: expected_value(expect),
        verdict: verdict.clone(),
    };
    match expect {
        Expect::Page {
            process,
            region,
            page,
            check: check @ (PageCheck::FrameSame | PageCheck::FrameNew),
        } => {
            let _ = check;
            let before = world
                .pid_of(process.as_str())
                .and_then(|pid| world.proc(pid).last_op.as_ref())
                .and_then(|l| sim.world(l.step - 1))
                .map(|w| observe(w, &procs, Some((region.as_str(), *page))));
            q.prompt = format!(
                "After {process}'s last operation, does {process}'s {region}[{page}] map the \
                 frame it mapped before, or a new one?"
            );
            q.input = Input::Choices(vec![
                choice("same", "the same frame as before"),
                choice("new", "a new frame"),
            ]);
            for (value, c) in [("same", PageCheck::FrameSame), ("new", PageCheck::FrameNew)] {
                let e = page_expect(process, region, *page, c);
                if holds(&e, before.as_ref()) {
                    q.right.push(value.into());
                }
            }
            q.truth = match q.right.first().map(String::as_str) {
                Some("same") => "the same frame as before".into(),
                Some(_) => "a new frame".into(),
                None => unknown(),
            };
        }
        Expect::Page {
            process,
            region,
            page,
            check,
        } => {
            q.prompt = format!("After this step, what does {process}'s {region}[{page}] map?");
            let shared_label = match check {
                PageCheck::Shared { other } => {
                    format!("the same frame as {other}'s {region}[{page}]")
                }
                _ => "a frame another process maps too".into(),
            };
            q.input = Input::Choices(vec![
                choice("absent", "nothing: the page is absent"),
                choice("zero", "the shared zero page"),
                choice("private", "a frame of its own"),
                choice("shared", shared_label.clone()),
            ]);
            let seen = now
                .processes
                .get(process.as_str())
                .and_then(|p| p.regions.get(region.as_str()))
                .and_then(|pages| pages.get(*page as usize))
                .copied();
            let shared_holds = match check {
                PageCheck::Shared { .. } => holds(expect, None),
                _ => matches!(seen, Some(PageObs::Frame { users, .. }) if users > 1),
            };
            let (value, words) = match seen {
                _ if shared_holds => ("shared", shared_label),
                Some(PageObs::Absent) => ("absent", "nothing: the page is absent".into()),
                Some(PageObs::Zero) => ("zero", "the shared zero page".into()),
                Some(PageObs::Frame { users: 1, frame }) => {
                    ("private", format!("a frame of its own (F{frame})"))
                }
                _ => ("", unknown()),
            };
            if !value.is_empty() {
                q.right.push(value.into());
            }
            q.truth = words;
        }
        Expect::Faults { process, .. } => {
            q.prompt = format!("How many page faults does {process}'s last operation take?");
            q.input = Input::Number { unit: "faults" };
            let n = proc
                .and_then(|p| p.last_op.as_ref())
                .map_or(0, |l| l.faults);
            q.right.push(n.to_string());
            q.truth = count(n, "fault", "faults");
        }
        Expect::Result { process, .. } => {
            q.prompt = format!("What does {process}'s last call return?");
            q.input = Input::ReturnValue;
            match proc.and_then(|p| p.last_op.as_ref()).and_then(|l| l.result) {
                Some(r) => {
                    q.right.push(r.to_string());
                    q.truth = match r {
                        OpResult::Value(v) => v.to_string(),
                        OpResult::Error(e) => format!("-1, errno {} ({})", e.name(), e.describe()),
                    };
                }
                None => q.truth = unknown(),
            }
        }
        Expect::State { process, .. } => {
            q.prompt = format!("After this step, what state is {process} in?");
            q.input = Input::Choices(
                [
                    StateName::Running,
                    StateName::Blocked,
                    StateName::Stopped,
                    StateName::Zombie,
                    StateName::Gone,
                ]
                .into_iter()
                .map(|s| choice(s.as_str(), state_words(s)))
                .collect(),
            );
            match proc {
                Some(p) => {
                    q.right.push(p.state.as_str().into());
                    q.truth = state_words(p.state).into();
                }
                None => q.truth = unknown(),
            }
        }
        Expect::Parent { process, parent } => {
            q.prompt = format!("Who is {process}'s parent now?");
            let found = proc.map(|p| p.parent.clone());
            let mut names = vec![INIT_NAME.to_string(), parent.text.clone()];
            names.extend(found.clone());
            sim_core::sort::sort_by_key(&mut names, |n| (n != INIT_NAME, n.clone()));
            names.dedup();
            q.input = Input::Choices(
                names
                    .iter()
                    .map(|n| {
                        let label = if n == INIT_NAME {
                            "init (pid 1)".to_string()
                        } else {
                            n.clone()
                        };
                        choice(n.clone(), label)
                    })
                    .collect(),
            );
            match found {
                Some(f) => {
                    q.truth = f.clone();
                    q.right.push(f);
                }
                None => q.truth = unknown(),
            }
        }
        Expect::Queued { end, .. } => {
            q.prompt = format!("How many bytes are waiting to be read at {end}?");
            q.input = Input::Number { unit: "bytes" };
            let n = now.queued.get(&end.to_string()).copied().unwrap_or(0);
            q.right.push(n.to_string());
            q.truth = count(n, "byte", "bytes");
        }
        Expect::Handled {
            process, signal, ..
        } => {
            q.prompt = format!("How many times has {process}'s {signal} handler run so far?");
            q.input = Input::Number { unit: "times" };
            let n = proc
                .and_then(|p| p.handled.get(signal).copied())
                .unwrap_or(0);
            q.right.push(n.to_string());
            q.truth = count(n, "time", "times");
        }
        Expect::Status { process, status } => {
            q.prompt = format!("How did the last child {process} reaped end?");
            let found = proc.and_then(|p| p.last_reaped);
            let mut statuses = vec![
                *status,
                ExitStatus::Exited(0),
                ExitStatus::Signaled(Signal::SIGKILL),
            ];
            statuses.extend(found);
            sim_core::sort::sort_by_key(&mut statuses, |s| match s {
                ExitStatus::Exited(c) => (0, u32::from(*c)),
                ExitStatus::Signaled(sig) => (1, u32::from(sig.number())),
            });
            statuses.dedup();
            q.input = Input::Choices(
                statuses
                    .iter()
                    .map(|s| choice(s.to_string(), status_words(*s)))
                    .collect(),
            );
            match found {
                Some(f) => {
                    q.right.push(f.to_string());
                    q.truth = status_words(f);
                }
                None => q.truth = unknown(),
            }
        }
        Expect::Fd { process, end, .. } => {
            q.prompt = format!(
                "After this step, does {process} hold an fd for {end}, and would exec close it?"
            );
            q.input = Input::Choices(
                [FdState::Open, FdState::Cloexec, FdState::Closed]
                    .into_iter()
                    .map(|s| choice(s.keyword(), fd_words(s)))
                    .collect(),
            );
            match proc {
                Some(p) => {
                    let state = p
                        .fds
                        .get(&end.to_string())
                        .map_or(FdState::Closed, |fd| fd.state());
                    q.right.push(state.keyword().into());
                    q.truth = fd_words(state).into();
                }
                None => q.truth = unknown(),
            }
        }
        // The Node layer's own view comes later: until then, whether the
        // expect holds.
        Expect::Event { .. } | Expect::Events { .. } | Expect::Value { .. } => {
            q.prompt = format!("After this step, does this hold: {}?", outcome.text);
            q.input = Input::Choices(vec![choice("yes", "yes"), choice("no", "no")]);
            q.right
                .push(if verdict.is_ok() { "yes" } else { "no" }.into());
            q.truth = match &verdict {
                Ok(()) => "it holds".into(),
                Err(found) => found.clone(),
            };
        }
    }
    q
}

/// What an expect asserts, as the answer value a learner would give.
fn expected_value(expect: &Expect) -> String {
    match expect {
        Expect::Page { check, .. } => match check {
            PageCheck::Shared { .. } => "shared",
            PageCheck::Private => "private",
            PageCheck::Absent => "absent",
            PageCheck::Zero => "zero",
            PageCheck::FrameSame => "same",
            PageCheck::FrameNew => "new",
        }
        .into(),
        Expect::Faults { count, .. } | Expect::Handled { count, .. } => count.to_string(),
        Expect::Result { result, .. } => result.to_string(),
        Expect::State { state, .. } => state.as_str().into(),
        Expect::Parent { parent, .. } => parent.text.clone(),
        Expect::Queued { bytes, .. } => bytes.to_string(),
        Expect::Status { status, .. } => status.to_string(),
        Expect::Fd { state, .. } => state.keyword().into(),
        Expect::Event { .. } | Expect::Events { .. } | Expect::Value { .. } => "yes".into(),
    }
}

fn page_expect(process: &Name, region: &Name, page: u32, check: PageCheck) -> Expect {
    Expect::Page {
        process: process.clone(),
        region: region.clone(),
        page,
        check,
    }
}

fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn state_words(state: StateName) -> &'static str {
    match state {
        StateName::Running => "running",
        StateName::Blocked => "blocked (asleep in a call)",
        StateName::Stopped => "stopped (until SIGCONT)",
        StateName::Zombie => "a zombie (dead, not yet reaped)",
        StateName::Gone => "gone (reaped)",
    }
}

fn fd_words(state: FdState) -> &'static str {
    match state {
        FdState::Open => "an fd that survives exec",
        FdState::Cloexec => "an fd that exec closes (close-on-exec)",
        FdState::Closed => "no fd",
    }
}

fn status_words(status: ExitStatus) -> String {
    match status {
        ExitStatus::Exited(c) => format!("it exited with code {c}"),
        ExitStatus::Signaled(s) => format!("{s} killed it"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Every built-in lesson and every fact scenario, by name.
    fn scenarios() -> Vec<(String, String)> {
        let mut all: Vec<(String, String)> = sim_core::lessons::all()
            .iter()
            .map(|l| (l.name.to_string(), l.source.to_string()))
            .collect();
        let facts = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/scenarios/facts");
        let mut files: Vec<_> = std::fs::read_dir(facts)
            .expect("the fact scenarios are in the repository")
            .map(|e| e.expect("a directory entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "scn"))
            .collect();
        sim_core::sort::sort(&mut files);
        for path in files {
            let text = std::fs::read_to_string(&path).expect("a fact scenario reads");
            all.push((path.display().to_string(), text));
        }
        all
    }

    fn run(text: &str) -> Sim {
        let mut sim = Sim::from_source(text).expect("parses");
        sim.run_to_end().expect("runs");
        sim
    }

    fn kind(q: &Question) -> &'static str {
        match &q.input {
            Input::Choices(_) if q.prompt.contains("hold an fd") => "fd",
            Input::Choices(_) if q.prompt.contains("frame it mapped before") => "frame",
            Input::Choices(_) if q.prompt.contains("map?") => "page",
            Input::Choices(_) if q.prompt.contains("state") => "state",
            Input::Choices(_) if q.prompt.contains("parent") => "parent",
            Input::Choices(_) => "status",
            Input::Number { unit: "faults" } => "faults",
            Input::Number { unit: "bytes" } => "queued",
            Input::Number { .. } => "handled",
            Input::ReturnValue => "result",
        }
    }

    #[test]
    fn every_expect_of_every_lesson_and_fact_is_asked_and_its_verdict_agrees_with_the_answer() {
        let mut kinds = BTreeSet::new();
        let mut asked = 0;
        let mut failing = 0;
        for (name, text) in scenarios() {
            let sim = run(&text);
            for step in 1..=sim.steps().len() as u32 {
                let qs = questions(&sim, step);
                assert_eq!(
                    qs.len(),
                    sim.steps()[step as usize - 1].expects.len(),
                    "{name}"
                );
                for q in qs {
                    asked += 1;
                    kinds.insert(kind(&q));
                    assert!(!q.prompt.is_empty() && !q.truth.is_empty(), "{name}: {q:?}");
                    // The expect's own answer is right exactly when it holds.
                    assert_eq!(
                        q.judge(&q.expected),
                        Some(q.verdict.is_ok()),
                        "{name} step {step}: {q:?}"
                    );
                    if q.verdict.is_err() {
                        failing += 1;
                    }
                    if let Input::Choices(choices) = &q.input {
                        for right in &q.right {
                            assert!(
                                choices.iter().any(|c| &c.value == right),
                                "{name}: the right answer is a choice: {q:?}"
                            );
                        }
                    }
                }
            }
        }
        assert!(asked > 500, "{asked} expects asked");
        assert_eq!(failing, 0, "the lessons and facts all hold");
        let all: BTreeSet<&str> = [
            "frame", "page", "state", "parent", "status", "faults", "queued", "handled", "result",
            "fd",
        ]
        .into();
        assert_eq!(kinds, all, "every kind of expect is asked");
    }

    #[test]
    fn a_failing_expect_is_asked_with_the_models_answer_and_its_verdict() {
        let sim = run("process p\np: mmap heap 2\np: write heap 0\nexpect p faults 2\nexpect p heap[0] zero\n");
        let qs = questions(&sim, 3);
        assert_eq!(
            qs[0].prompt,
            "How many page faults does p's last operation take?"
        );
        assert_eq!(qs[0].truth, "1 fault");
        assert_eq!(qs[0].judge("1"), Some(true));
        assert_eq!(qs[0].judge(" 2 "), Some(false));
        assert_eq!(qs[0].judge(""), None);
        assert_eq!(qs[0].verdict, Err("its last operation took 1 fault".into()));
        assert_eq!(qs[1].right, ["private"]);
        assert_eq!(qs[1].truth, "a frame of its own (F1)");
        assert_eq!(qs[1].said_words("zero"), "the shared zero page");
    }

    #[test]
    fn a_return_value_is_judged_as_a_number_or_an_errno_however_it_is_typed() {
        let sim = run("process p\np: pipe q\np: close q.r\np: signal SIGPIPE ignore\np: send q.w 1\nexpect p result EPIPE\n");
        let q = &questions(&sim, 5)[0];
        assert_eq!(q.truth, "-1, errno EPIPE (broken pipe)");
        for typed in ["EPIPE", "epipe", "-1 EPIPE", " -1 epipe "] {
            assert_eq!(q.judge(typed), Some(true), "{typed}");
        }
        for typed in ["-1", "1", "EAGAIN", "broken"] {
            assert_eq!(q.judge(typed), Some(false), "{typed}");
        }
    }

    #[test]
    fn a_frame_question_compares_with_the_world_before_the_processes_last_operation() {
        let sim = run(sim_core::lessons::find("cow-after-fork").unwrap().source);
        // Step 6: the child's write copies heap[2].
        let qs = questions(&sim, 6);
        let frame = qs
            .iter()
            .find(|q| q.expect == "expect child heap[2] frame new")
            .unwrap();
        assert_eq!(frame.right, ["new"]);
        assert_eq!(frame.truth, "a new frame");
        let shared = &questions(&sim, 4)[0];
        assert_eq!(shared.right, ["shared"]);
        assert_eq!(shared.truth, "the same frame as child's heap[2]");
    }
}
