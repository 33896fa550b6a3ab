//! What checking one scenario found, as values: the differences, each
//! expect with its own status, the error if the check could not finish,
//! and the verdict a person reads. docs/check-json.md documents the JSON.

use super::diff::Row;
use super::kernel_steps::{source_sha256, KernelStep};
use serde::Serialize;
use sim_core::observe::Verdict;
use sim_core::scenario::ast::Pos;
use sim_core::words::{agree, count};

/// One statement where the model and the kernel differ.
#[derive(Clone, Debug, Serialize)]
pub struct StepDiff {
    pub line: u32,
    pub source: String,
    pub rows: Vec<Row>,
}

/// How an expect came out of the comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpectStatus {
    /// Both sides judged it, alike: both hold, or both fail finding the same.
    Agree,
    /// Both sides judged it, differently.
    Differ,
    /// A side could not judge it (`reason` says why). Never an agreement.
    NotJudged,
    /// `--kernel-only`: judged on the kernel, compared with nothing.
    KernelOnly,
    /// A Node event expect (`expect P event ...`): the kernel shows no
    /// Node events, so only the model judged it; `check --node` compares
    /// it with a real node. Not a gap in this check: it is not the
    /// kernel's to judge.
    ModelOnly,
}

/// An expect, judged on both sides.
#[derive(Clone, Debug, Serialize)]
pub struct ExpectCheck {
    pub line: u32,
    pub text: String,
    pub status: ExpectStatus,
    /// Why it was not judged (only with status `not_judged`).
    pub reason: Option<String>,
    /// `None` when the model did not judge it.
    pub model: Option<Verdict>,
    /// `None` when the kernel did not judge it.
    pub kernel: Option<Verdict>,
}

impl ExpectCheck {
    /// It fails on some side that judged it.
    pub fn fails(&self) -> bool {
        self.model.as_ref().is_some_and(|m| m.is_err())
            || self.kernel.as_ref().is_some_and(|k| k.is_err())
    }
}

/// Why an expect was not judged.
pub const NEEDS_ROOT: &str = "frame numbers need root";

/// The verdict on one scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// No difference, and every expect judged alike (some may fail on both,
    /// some may not be judged: see `counts`).
    Agree,
    Differ,
    /// `--kernel-only`: nothing was compared.
    KernelOnly,
    /// The check could not finish (`error` says why): no verdict.
    Error,
    /// Stopped by Ctrl-C (or SIGTERM, SIGHUP): no verdict.
    Interrupted,
}

/// What kind of error stopped a check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The target is neither a readable file nor a lesson.
    Target,
    /// The scenario does not parse.
    Parse,
    /// The model stops with a scenario error.
    Model,
    /// The kernel run broke (a worker vanished, could not start...).
    Kernel,
    /// A step or the scenario took longer than its bound.
    Timeout,
    Interrupted,
    /// `check --node`: the scenario cannot run in node (a kernel
    /// statement, a module outside the run's directory).
    NotNode,
    /// `check --node`: the node run broke (node would not start, a
    /// process never connected, a barrier went unanswered).
    Node,
}

/// Why a check could not finish: one shape for every error, with the same
/// keys as `forkscope run --json`'s errors (`pos`, `kind`, `message`).
#[derive(Clone, Debug, Serialize)]
pub struct CheckError {
    pub kind: ErrorKind,
    pub message: String,
    /// Where in the scenario (the word, or the statement), when known.
    pub pos: Option<Pos>,
    /// A line for a person after the error (where the language is
    /// documented, for a parse error), as `forkscope run` prints it.
    #[serde(skip)]
    pub help: Option<String>,
}

impl CheckError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> CheckError {
        CheckError {
            kind,
            message: message.into(),
            pos: None,
            help: None,
        }
    }

    pub fn at(mut self, pos: Pos) -> CheckError {
        self.pos = Some(pos);
        self
    }
}

impl std::fmt::Display for CheckError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.pos {
            Some(p) => write!(f, "{}:{}: {}", p.line, p.col, self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// Counts a verdict is made of.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Rows of the difference table (a run of pages is one row).
    pub differences: usize,
    pub expects: usize,
    /// Expects judged alike on both sides, of which `fail_on_both` fail.
    pub agree: usize,
    pub fail_on_both: usize,
    pub differ: usize,
    pub not_judged: usize,
    /// Pages the kernel was moving while they were read, at some step:
    /// not compared (`pages_not_judged` lists them).
    pub pages_not_judged: usize,
    /// `--kernel-only`: expects judged on the kernel, of which `kernel_fails` fail.
    pub kernel_only: usize,
    pub kernel_fails: usize,
    /// Node expects (events and values), judged by the model alone, of which
    /// `model_fails` fail.
    pub model_only: usize,
    pub model_fails: usize,
}

/// What checking one scenario found.
#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    pub name: String,
    pub title: Option<String>,
    pub status: Status,
    /// Steps replayed on the kernel.
    pub steps: usize,
    pub seconds: f64,
    pub counts: Counts,
    pub differences: Vec<StepDiff>,
    /// Per step, the pages not compared because the kernel was moving them
    /// while they were read (and the next step's, whose "new frame" needs
    /// them): neither a difference nor an agreement.
    pub pages_not_judged: Vec<StepDiff>,
    pub expects: Vec<ExpectCheck>,
    pub error: Option<CheckError>,
    /// The SHA-256 of the scenario's text (lowercase hex), when it was
    /// read: what a recording of a lesson names its text by.
    pub source_sha256: Option<String>,
    /// What each step replayed on the kernel changed there, as the kernel
    /// showed it (kernel_steps.rs); None unless asked (`--kernel-steps`).
    pub kernel_steps: Option<Vec<KernelStep>>,
}

impl Outcome {
    pub fn error(name: &str, error: CheckError, seconds: f64) -> Outcome {
        Outcome {
            name: name.to_string(),
            title: None,
            status: if error.kind == ErrorKind::Interrupted {
                Status::Interrupted
            } else {
                Status::Error
            },
            steps: 0,
            seconds,
            counts: Counts::default(),
            differences: Vec::new(),
            pages_not_judged: Vec::new(),
            expects: Vec::new(),
            error: Some(error),
            source_sha256: None,
            kernel_steps: None,
        }
    }

    /// The outcome, naming the text it was checked from.
    pub fn of_source(mut self, text: &str) -> Outcome {
        self.source_sha256 = Some(source_sha256(text));
        self
    }

    /// Count what the verdict is made of.
    pub fn count(
        differences: &[StepDiff],
        pages_not_judged: &[StepDiff],
        expects: &[ExpectCheck],
    ) -> Counts {
        let mut c = Counts {
            differences: differences.iter().map(|d| d.rows.len()).sum(),
            pages_not_judged: pages_not_judged.iter().map(|d| d.rows.len()).sum(),
            expects: expects.len(),
            ..Counts::default()
        };
        for e in expects {
            match e.status {
                ExpectStatus::Agree => {
                    c.agree += 1;
                    c.fail_on_both += usize::from(e.fails());
                }
                ExpectStatus::Differ => c.differ += 1,
                ExpectStatus::NotJudged => c.not_judged += 1,
                ExpectStatus::KernelOnly => {
                    c.kernel_only += 1;
                    c.kernel_fails += usize::from(e.fails());
                }
                ExpectStatus::ModelOnly => {
                    c.model_only += 1;
                    c.model_fails += usize::from(e.fails());
                }
            }
        }
        c
    }

    /// The distinct reasons expects were not judged, in order of first appearance.
    fn unjudged_reasons(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for r in self.expects.iter().filter_map(|e| e.reason.as_deref()) {
            if !out.contains(&r) {
                out.push(r);
            }
        }
        out
    }

    /// The verdict in words: "agree", "agree; 1 expect fails on both",
    /// "differ: 2 differences, 1 expect differs", "interrupted at line 5"...
    /// Never a verdict the check did not reach.
    pub fn verdict(&self) -> String {
        let c = &self.counts;
        let mut parts: Vec<String> = Vec::new();
        let head = match self.status {
            Status::Agree => "agree".to_string(),
            Status::Differ => {
                let mut what = Vec::new();
                if c.differences > 0 {
                    what.push(count(c.differences as u64, "difference", "differences"));
                }
                if c.differ > 0 {
                    what.push(format!(
                        "{} {}",
                        count(c.differ as u64, "expect", "expects"),
                        agree(c.differ as u64, "differs", "differ")
                    ));
                }
                format!("differ: {}", what.join(", "))
            }
            Status::KernelOnly => {
                if c.kernel_fails == 0 {
                    format!(
                        "kernel only (not compared): {} {}",
                        count(c.kernel_only as u64, "expect", "expects"),
                        agree(c.kernel_only as u64, "holds", "hold")
                    )
                } else {
                    format!(
                        "kernel only (not compared): {} of {} {}",
                        c.kernel_fails,
                        count(c.kernel_only as u64, "expect", "expects"),
                        agree(c.kernel_fails as u64, "fails", "fail")
                    )
                }
            }
            Status::Error => {
                return match &self.error {
                    Some(e) => format!("error ({})", error_label(e.kind)),
                    None => "error".into(),
                }
            }
            Status::Interrupted => {
                return match self.error.as_ref().and_then(|e| e.pos) {
                    Some(p) => format!("interrupted at line {}, no verdict", p.line),
                    None => "interrupted, no verdict".into(),
                }
            }
        };
        parts.push(head);
        parts.extend(fail_on_both_part(c.fail_on_both));
        parts.extend(model_only_part(c.model_only, c.model_fails, "Node", |_| {
            "check --node compares events with real node".into()
        }));
        if c.not_judged > 0 {
            parts.push(format!(
                "{} not judged ({})",
                count(c.not_judged as u64, "expect", "expects"),
                self.unjudged_reasons().join("; ")
            ));
        }
        if c.pages_not_judged > 0 {
            parts.push(format!(
                "{} not judged (the kernel was moving those pages while they were read)",
                count(c.pages_not_judged as u64, "row of pages", "rows of pages"),
            ));
        }
        parts.join("; ")
    }
}

/// "2 expects fail on both", when some do: a verdict's words, for the
/// kernel check and for `check --node` alike.
pub(super) fn fail_on_both_part(n: usize) -> Option<String> {
    (n > 0).then(|| {
        format!(
            "{} {} on both",
            count(n as u64, "expect", "expects"),
            agree(n as u64, "fails", "fail")
        )
    })
}

/// "3 KIND expects judged by the model only, 1 fails in the model
/// (ELSEWHERE)", when some are: the expects a check leaves to the model
/// by design, because the other check judges them (`elsewhere` is told
/// "it" or "them").
pub(super) fn model_only_part(
    n: usize,
    fails: usize,
    kind: &str,
    elsewhere: impl Fn(&str) -> String,
) -> Option<String> {
    if n == 0 {
        return None;
    }
    let fails = if fails > 0 {
        format!(
            ", {fails} {} in the model",
            agree(fails as u64, "fails", "fail")
        )
    } else {
        String::new()
    };
    Some(format!(
        "{n} {kind} {} judged by the model only{fails} ({})",
        agree(n as u64, "expect", "expects"),
        elsewhere(agree(n as u64, "it", "them")),
    ))
}

pub(super) fn error_label(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Target => "no such scenario",
        ErrorKind::Parse => "does not parse",
        ErrorKind::Model => "the model stops",
        ErrorKind::Kernel => "the kernel run broke",
        ErrorKind::Timeout => "timed out",
        ErrorKind::Interrupted => "interrupted",
        ErrorKind::NotNode => "cannot run in node",
        ErrorKind::Node => "the node run broke",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expect(
        status: ExpectStatus,
        model: Option<Verdict>,
        kernel: Option<Verdict>,
    ) -> ExpectCheck {
        ExpectCheck {
            line: 3,
            text: "expect p state running".into(),
            status,
            reason: (status == ExpectStatus::NotJudged).then(|| NEEDS_ROOT.to_string()),
            model,
            kernel,
        }
    }

    fn outcome(status: Status, differences: Vec<StepDiff>, expects: Vec<ExpectCheck>) -> Outcome {
        Outcome {
            name: "s".into(),
            title: None,
            status,
            steps: 1,
            seconds: 0.0,
            counts: Outcome::count(&differences, &[], &expects),
            differences,
            pages_not_judged: Vec::new(),
            expects,
            error: None,
            source_sha256: None,
            kernel_steps: None,
        }
    }

    fn row() -> Row {
        Row {
            what: "p state".into(),
            model: "running".into(),
            kernel: "zombie".into(),
        }
    }

    #[test]
    fn an_expect_failing_on_both_sides_is_an_agreement_that_says_so() {
        let e = expect(
            ExpectStatus::Agree,
            Some(Err("it is zombie".into())),
            Some(Err("it is zombie".into())),
        );
        let o = outcome(Status::Agree, vec![], vec![e]);
        assert_eq!(o.verdict(), "agree; 1 expect fails on both");
    }

    #[test]
    fn differences_and_expects_are_counted_in_words_with_plurals() {
        let one = StepDiff {
            line: 2,
            source: "p: exit 0".into(),
            rows: vec![row()],
        };
        let two = StepDiff {
            rows: vec![row(), row()],
            ..one.clone()
        };
        let differs = expect(ExpectStatus::Differ, Some(Ok(())), Some(Err("no".into())));
        assert_eq!(
            outcome(Status::Differ, vec![one.clone()], vec![differs.clone()]).verdict(),
            "differ: 1 difference, 1 expect differs"
        );
        assert_eq!(
            outcome(Status::Differ, vec![two], vec![differs.clone(), differs]).verdict(),
            "differ: 2 differences, 2 expects differ"
        );
    }

    #[test]
    fn unjudged_expects_are_counted_with_their_reason() {
        let e = expect(ExpectStatus::NotJudged, Some(Ok(())), None);
        let o = outcome(Status::Agree, vec![], vec![e.clone(), e]);
        assert_eq!(
            o.verdict(),
            "agree; 2 expects not judged (frame numbers need root)"
        );
    }

    #[test]
    fn node_event_expects_are_the_models_alone_and_a_failing_one_is_said() {
        let holds = expect(ExpectStatus::ModelOnly, Some(Ok(())), None);
        let fails = expect(ExpectStatus::ModelOnly, Some(Err("no".into())), None);
        let o = outcome(Status::Agree, vec![], vec![holds.clone()]);
        assert_eq!(
            (
                o.counts.model_only,
                o.counts.model_fails,
                o.counts.not_judged
            ),
            (1, 0, 0)
        );
        assert_eq!(
            o.verdict(),
            "agree; 1 Node expect judged by the model only (check --node compares events with real node)"
        );
        let o = outcome(Status::Agree, vec![], vec![holds, fails]);
        assert_eq!((o.counts.model_only, o.counts.model_fails), (2, 1));
        assert!(
            o.verdict()
                .contains("2 Node expects judged by the model only, 1 fails in the model"),
            "{}",
            o.verdict()
        );
    }

    #[test]
    fn kernel_only_never_says_agree() {
        let holds = expect(ExpectStatus::KernelOnly, None, Some(Ok(())));
        let fails = expect(ExpectStatus::KernelOnly, None, Some(Err("no".into())));
        let o = outcome(Status::KernelOnly, vec![], vec![holds.clone()]);
        assert_eq!(o.verdict(), "kernel only (not compared): 1 expect holds");
        let o = outcome(Status::KernelOnly, vec![], vec![holds, fails]);
        assert_eq!(
            o.verdict(),
            "kernel only (not compared): 1 of 2 expects fails"
        );
    }

    #[test]
    fn an_interrupted_check_gives_no_verdict() {
        let e = CheckError::new(ErrorKind::Interrupted, "interrupted").at(Pos { line: 4, col: 1 });
        let o = Outcome::error("s", e, 0.0);
        assert_eq!(o.status, Status::Interrupted);
        assert_eq!(o.verdict(), "interrupted at line 4, no verdict");
    }
}
