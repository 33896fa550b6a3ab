//! What a person reads of `check --node`: each scenario's table of what
//! differs or was not judged (source line | what | model | node), and the
//! summary, one verdict per scenario, in the words of `check`'s report.

use super::super::diff;
use super::super::outcome::{error_label, fail_on_both_part, model_only_part, Status};
use super::compare::{ExpectCheck, NodeOutcome};
use sim_core::words::{agree, count};

/// Does this outcome need its table shown?
pub(super) fn worth_showing(o: &NodeOutcome) -> bool {
    match o.status {
        Status::Agree => {
            o.counts.fail_on_both > 0
                || o.counts.model_fails > 0
                || o.counts.not_judged > 0
                || !o.notes.is_empty()
        }
        _ => true,
    }
}

fn verdict_text(v: &Option<Result<(), String>>, e: &ExpectCheck) -> String {
    match v {
        Some(Ok(())) => "holds".into(),
        Some(Err(why)) => format!("fails: {why}"),
        None => format!(
            "not judged: {}",
            e.reason.as_deref().unwrap_or("no reason given")
        ),
    }
}

/// The verdict in words: "agree", "differ: 2 differences, 1 expect
/// differs", "agree; 1 expect not judged (...)", "error (...)".
pub(super) fn verdict(o: &NodeOutcome) -> String {
    let c = &o.counts;
    let mut parts = Vec::new();
    match o.status {
        Status::Agree => parts.push("agree".to_string()),
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
            parts.push(format!("differ: {}", what.join(", ")));
        }
        _ => {
            return match &o.error {
                Some(e) => format!("error ({})", error_label(e.kind)),
                None => "error".into(),
            }
        }
    }
    // How many of the kernel steps the model claims were found among
    // node's system calls (strace), when they were compared.
    let checks: Vec<_> = o
        .record
        .iter()
        .filter_map(|r| r.syscalls.as_ref())
        .collect();
    if !checks.is_empty() {
        let steps: usize = checks.iter().map(|s| s.steps).sum();
        let found: usize = checks.iter().map(|s| s.found).sum();
        parts.push(format!(
            "{found} of {} found in node's system calls",
            count(steps as u64, "kernel step", "kernel steps")
        ));
    }
    parts.extend(fail_on_both_part(c.fail_on_both));
    parts.extend(model_only_part(
        c.model_only,
        c.model_fails,
        "kernel",
        |them| format!("forkscope check judges {them} on the kernel"),
    ));
    if c.not_judged > 0 {
        parts.push(format!(
            "{} not judged",
            count(c.not_judged as u64, "expect", "expects")
        ));
    }
    if let Some(why) = &o.bytes_not_compared {
        parts.push(format!("bytes not compared ({why})"));
    }
    parts.join("; ")
}

/// One scenario's table: source line | what | model | node.
pub(super) fn render(o: &NodeOutcome, source: Option<&str>) -> String {
    let mark = match o.status {
        Status::Agree => "agree",
        Status::Differ => "DIFFER",
        _ => "ERROR",
    };
    let title = o
        .title
        .as_deref()
        .map(|t| format!(" ({t})"))
        .unwrap_or_default();
    let mut out = format!("{mark}: {}{title} (with node)\n", o.name);
    if let Some(e) = &o.error {
        match e.pos {
            Some(p) => {
                out.push_str(&format!(
                    "  {}:{}:{}: {}\n",
                    o.name, p.line, p.col, e.message
                ));
                let pointer = source.map_or_else(String::new, |s| crate::run::pointer(s, p));
                for line in pointer.lines() {
                    out.push_str(&format!("  {line}\n"));
                }
            }
            None => out.push_str(&format!("  {e}\n")),
        }
    }
    if let Some(stderr) = &o.node_stderr {
        out.push_str("  node's stderr:\n");
        for line in stderr.lines().take(20) {
            out.push_str(&format!("  | {line}\n"));
        }
    }
    for note in &o.notes {
        out.push_str(&format!("  note: {note}\n"));
    }
    let mut rows: Vec<(u32, [String; 4])> = Vec::new();
    for d in &o.differences {
        rows.extend(diff::difference_rows(
            d.line,
            &d.source,
            d.rows
                .iter()
                .map(|r| [r.what.clone(), r.model.clone(), r.node.clone()]),
        ));
    }
    for e in &o.expects {
        if diff::expect_listed(e.status, e.fails()) {
            rows.push((
                e.line,
                [
                    format!("{}: {}", e.line, e.text),
                    "expect".into(),
                    verdict_text(&e.model, e),
                    verdict_text(&e.node, e),
                ],
            ));
        }
    }
    out.push_str(&diff::by_line(rows, "node"));
    out
}

/// One row per scenario: its Node statements, verdict and time.
pub(super) fn summary(outcomes: &[NodeOutcome]) -> String {
    let mut cells = vec![[
        "scenario".to_string(),
        "statements".into(),
        "result with node".into(),
        "time".into(),
    ]];
    for o in outcomes {
        cells.push([
            o.name.clone(),
            o.statements.to_string(),
            verdict(o),
            format!("{:.2} s", o.seconds),
        ]);
    }
    diff::table(&cells)
}
