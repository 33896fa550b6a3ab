//! What a person reads: each scenario's table of what differs or was not
//! judged (source line | what | model | kernel), and the summary with one
//! verdict per scenario.

use super::diff;
use super::outcome::{ExpectCheck, ExpectStatus, Outcome, Status};
use sim_core::observe::Verdict;

fn verdict_text(v: &Verdict) -> String {
    match v {
        Ok(()) => "holds".into(),
        Err(why) => format!("fails: {why}"),
    }
}

/// Does this outcome need its table shown?
pub fn worth_showing(o: &Outcome) -> bool {
    match o.status {
        Status::Agree => {
            o.counts.fail_on_both > 0
                || o.counts.model_fails > 0
                || o.counts.not_judged > 0
                || o.counts.pages_not_judged > 0
        }
        Status::KernelOnly => o.counts.kernel_fails > 0 || o.counts.not_judged > 0,
        Status::Differ | Status::Error | Status::Interrupted => true,
    }
}

/// The model's and the kernel's cells for an expect.
fn expect_cells(e: &ExpectCheck) -> (String, String) {
    let not_judged = || {
        format!(
            "not judged: {}",
            e.reason.as_deref().unwrap_or("no reason given")
        )
    };
    let model = match (&e.model, e.status) {
        (Some(v), _) => verdict_text(v),
        (None, ExpectStatus::KernelOnly) => "not run (--kernel-only)".into(),
        (None, _) => not_judged(),
    };
    let kernel = match &e.kernel {
        Some(v) => verdict_text(v),
        None if e.status == ExpectStatus::ModelOnly => {
            "- (a Node event: check --node compares it with node)".into()
        }
        None if e.model.is_none() && e.status == ExpectStatus::NotJudged => "-".into(),
        None => not_judged(),
    };
    (model, kernel)
}

/// The per-step table of one scenario: source line | what | model | kernel.
/// An error at a place in `source` (the scenario's text, when it was read)
/// shows that line with a caret under the column, as `forkscope run` does.
pub fn render(outcome: &Outcome, source: Option<&str>) -> String {
    let mut out = String::new();
    let mark = match outcome.status {
        Status::Agree => "agree",
        Status::Differ => "DIFFER",
        Status::KernelOnly => "KERNEL ONLY",
        Status::Error => "ERROR",
        Status::Interrupted => "INTERRUPTED",
    };
    let title = outcome
        .title
        .as_deref()
        .map(|t| format!(" ({t})"))
        .unwrap_or_default();
    out.push_str(&format!("{mark}: {}{title}\n", outcome.name));
    if let Some(e) = &outcome.error {
        // A position in the scenario reads as a compiler's: file:line:column.
        match e.pos {
            Some(p) => {
                out.push_str(&format!(
                    "  {}:{}:{}: {}\n",
                    outcome.name, p.line, p.col, e.message
                ));
                let pointer = source.map_or_else(String::new, |s| crate::run::pointer(s, p));
                for line in pointer.lines() {
                    out.push_str(&format!("  {line}\n"));
                }
            }
            None => out.push_str(&format!("  {e}\n")),
        }
        if let Some(help) = &e.help {
            out.push_str(&format!("  {help}"));
        }
    }
    let mut rows: Vec<(u32, [String; 4])> = Vec::new();
    for d in outcome.differences.iter().chain(&outcome.pages_not_judged) {
        rows.extend(diff::difference_rows(
            d.line,
            &d.source,
            d.rows
                .iter()
                .map(|r| [r.what.clone(), r.model.clone(), r.kernel.clone()]),
        ));
    }
    for e in &outcome.expects {
        if diff::expect_listed(e.status, e.fails()) {
            let (model, kernel) = expect_cells(e);
            rows.push((
                e.line,
                [
                    format!("{}: {}", e.line, e.text),
                    "expect".into(),
                    model,
                    kernel,
                ],
            ));
        }
    }
    out.push_str(&diff::by_line(rows, "kernel"));
    out
}

/// One row per scenario checked: its steps, verdict and time.
pub fn summary(outcomes: &[Outcome]) -> String {
    let mut cells = vec![[
        "scenario".to_string(),
        "steps".into(),
        "result".into(),
        "time".into(),
    ]];
    for o in outcomes {
        cells.push([
            o.name.clone(),
            o.steps.to_string(),
            o.verdict(),
            format!("{:.2} s", o.seconds),
        ]);
    }
    diff::table(&cells)
}
