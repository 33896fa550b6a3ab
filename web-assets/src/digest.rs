//! A lesson's kernel recording as the kernel view draws it, one piece of
//! HTML per step, written here on the host so that the app needs neither
//! serde nor the comparison code: "Checked on Linux 6.18 (as root)" and
//! the lesson's verdict (the head), then at each step each figure the step
//! changed as the model and the kernel show it, each marked as agreeing or
//! not; the step's expects as the check judged them on both sides; and the
//! check's own differences at the step. A lesson without a usable
//! recording gets the note that says why and what to run.
//!
//! The markup is what the view wrote with yew before it moved here (the
//! same elements, classes and words, no whitespace between elements), and
//! every text in it goes through the one `escape`.

use crate::escape::escape;
use crate::figures::{self, Figure, Side};
use crate::recording::{short_release, ExpectCheck, Missing, Recording};
use crate::served;
use sim_core::engine::{Sim, Step};

/// Figures shown at one step; the rest are counted ("and 3 more").
pub const MAX_FIGURES: usize = 14;

/// `text` escaped.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape(text, &mut out);
    out
}

/// The digest of a lesson whose text is `source` and whose recording is
/// `got` (or why there is none), as the JSON the app fetches
/// (web/src/served.rs names its fields). An error if the lesson itself
/// does not run (a broken built-in lesson: sim-core's tests say so too).
pub fn digest(source: &str, got: &Result<Recording, Missing>) -> Result<String, String> {
    let rec = match got {
        Err(missing) => {
            return Ok(serde_json::json!({ served::NOTE: missing_note(missing) }).to_string());
        }
        Ok(rec) => rec,
    };
    let mut sim = Sim::from_source(source).map_err(|e| format!("a lesson does not parse: {e}"))?;
    sim.run_to_end()
        .map_err(|e| format!("a lesson does not run: {e}"))?;
    let steps: Vec<String> = (0..=sim.steps().len() as u32)
        .map(|step| step_html(rec, &sim, step))
        .collect();
    Ok(serde_json::json!({ served::HEAD: head(rec), served::STEPS: steps }).to_string())
}

/// Why there is nothing recorded to show, and what to run instead.
pub fn missing_note(missing: &Missing) -> String {
    let (text, name) = match missing {
        Missing::NotRecorded(name) => (
            format!("The lesson {name} has no kernel recording yet; as root, run "),
            name,
        ),
        Missing::Stale(name) => (
            format!("The lesson {name} changed since its kernel recording was made; as root, run "),
            name,
        ),
        Missing::Unreadable(name, why) => (
            format!("The kernel recording of {name} cannot be read ({why}); as root, run "),
            name,
        ),
    };
    format!(
        "<p class=\"kernel-note kernel-missing\"><span class=\"kernel-icon\" aria-hidden=\"true\">i</span>{}<code>{}</code>.</p>",
        esc(&text),
        esc(&format!("cargo xtask record {name}"))
    )
}

/// The line above every step: the kernel, whether as root, the verdict.
pub fn head(rec: &Recording) -> String {
    let short = short_release(&rec.release);
    let who = if rec.as_root {
        "as root"
    } else {
        "without root: frames not seen"
    };
    let verdict = match rec.status.as_str() {
        "agree" => {
            "<span class=\"kernel-badge agree\">✓ the whole lesson agrees</span>".to_string()
        }
        "differ" => {
            "<span class=\"kernel-badge differ\">✗ model and Linux differ in this lesson</span>"
                .to_string()
        }
        other => format!(
            "<span class=\"kernel-badge differ\">{}</span>",
            esc(&format!("✗ the check could not finish ({other})"))
        ),
    };
    format!(
        "<p class=\"kernel-head\"><strong>{}</strong><span class=\"kernel-release\" title=\"uname -r of the kernel the recording was made on\">{}</span>{verdict}</p>",
        esc(&format!("Checked on Linux {short} ({who})")),
        esc(&rec.release)
    )
}

/// What the view shows below the head at `step` of the model `sim` (run
/// to its end).
fn step_html(rec: &Recording, sim: &Sim, step: u32) -> String {
    let short = short_release(&rec.release);
    let Some(index) = step.checked_sub(1) else {
        return format!(
            "<p class=\"kernel-note\">{}</p><p class=\"kernel-note\">Before the first step. Step forward: each step shows what it changed on Linux beside what it changed in the model.</p>",
            esc(&lesson_summary(rec))
        );
    };
    let Some(st) = sim.steps().get(index as usize) else {
        return String::new();
    };
    if step as usize >= rec.kernel.len() {
        let why = rec
            .error
            .as_ref()
            .map(|e| format!(": {e}"))
            .unwrap_or_default();
        return format!(
            "<p class=\"kernel-note kernel-stopped\">The kernel run did not reach this step{}</p>",
            esc(&why)
        );
    }
    let (Some(before), Some(after)) = (sim.observe(step - 1), sim.observe(step)) else {
        return String::new();
    };
    let figs = figures::figures(
        Side {
            before: &before,
            after: &after,
        },
        Side {
            before: &rec.kernel[step as usize - 1],
            after: &rec.kernel[step as usize],
        },
    );
    let mut out = figure_table(&figs, step, short);
    out.push_str(&expects(st, rec));
    out.push_str(&differences(st, rec));
    out
}

/// The whole recording in a sentence: its steps and how its expects were
/// judged.
pub fn lesson_summary(rec: &Recording) -> String {
    use sim_core::words::{agree, count};
    let steps = count(rec.kernel.len().saturating_sub(1) as u64, "step", "steps");
    let n = rec.expects.len();
    let alike = rec.expects.iter().filter(|e| e.status == "agree").count();
    let expects = if alike == n {
        format!(
            "{} {} judged alike on both",
            count(n as u64, "expect", "expects"),
            agree(n as u64, "was", "were")
        )
    } else {
        format!(
            "{alike} of {} judged alike on both",
            count(n as u64, "expect", "expects")
        )
    };
    format!("Recorded with forkscope check: {steps} replayed on Linux; {expects}.")
}

/// The mark of a figure: a shape and a word, never colour alone.
fn mark(agrees: bool) -> &'static str {
    if agrees {
        "<span class=\"kernel-mark agree\"><span aria-hidden=\"true\">✓</span> same</span>"
    } else {
        "<span class=\"kernel-mark differ\"><span aria-hidden=\"true\">✗</span> differs</span>"
    }
}

/// The step's figures, both sides, at most `MAX_FIGURES` of them (those
/// that differ first when some must be left out).
fn figure_table(figs: &[Figure], step: u32, short: &str) -> String {
    if figs.is_empty() {
        return "<p class=\"kernel-note\">Nothing a scenario can see changed at this step, in the model or on Linux.</p>".into();
    }
    let differ = figs.iter().filter(|f| !f.agrees()).count();
    let shown = shown_figures(figs, MAX_FIGURES);
    let more = figs.len() - shown.len();
    let mut out = format!(
        "<p class=\"{}\">{}</p><table class=\"kernel-figures\"><caption>{}</caption><thead><tr><th scope=\"col\">What</th><th scope=\"col\">Model</th><th scope=\"col\">{}</th><th scope=\"col\"><span class=\"kernel-vh\">Agree?</span></th></tr></thead><tbody>",
        if differ > 0 {
            "kernel-summary differ"
        } else {
            "kernel-summary"
        },
        esc(&summary(figs.len(), differ)),
        esc(&format!(
            "What step {step} changed, in the model and on Linux {short}"
        )),
        esc(&format!("Linux {short}")),
    );
    for f in shown {
        out.push_str(&format!(
            "<tr class=\"changed {}\"><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td></tr>",
            if f.agrees() { "agree" } else { "differ" },
            esc(&f.what),
            esc(&f.model),
            esc(&f.kernel),
            mark(f.agrees())
        ));
    }
    out.push_str("</tbody></table>");
    if more > 0 {
        out.push_str(&format!(
            "<p class=\"kernel-more\">{}</p>",
            esc(&format!(
                "and {more} more {}",
                sim_core::words::agree(more as u64, "figure", "figures")
            ))
        ));
    }
    out
}

/// The step's figures in a sentence: how many, and how many differ.
pub fn summary(figures: usize, differ: usize) -> String {
    let n = sim_core::words::count(figures as u64, "figure", "figures");
    match differ {
        0 if figures == 1 => "At this step, 1 figure: as the model shows it.".into(),
        0 => format!("At this step, {n}: all as the model shows them."),
        d => format!(
            "At this step, {n}: {d} {} from the model.",
            sim_core::words::agree(d as u64, "differs", "differ")
        ),
    }
}

/// At most `max` figures, in their order, keeping every one that differs
/// first when some must be left out.
pub fn shown_figures(figs: &[Figure], max: usize) -> Vec<&Figure> {
    if figs.len() <= max {
        return figs.iter().collect();
    }
    let differ = figs.iter().filter(|f| !f.agrees()).count();
    let mut agree_room = max.saturating_sub(differ);
    figs.iter()
        .filter(|f| {
            if f.agrees() {
                let keep = agree_room > 0;
                agree_room = agree_room.saturating_sub(1);
                keep
            } else {
                true
            }
        })
        .take(max)
        .collect()
}

/// A side's verdict on an expect, in words.
pub fn verdict_words(v: &Option<Result<(), String>>) -> String {
    match v {
        Some(Ok(())) => "holds".into(),
        Some(Err(why)) => format!("fails ({why})"),
        None => "not judged".into(),
    }
}

/// What the check said of one expect of the step, in words, and whether
/// both sides judged it alike (None: not judged, or not recorded).
pub fn expect_line(check: Option<&ExpectCheck>) -> (Option<bool>, String) {
    let Some(c) = check else {
        return (None, "not in the recording".into());
    };
    match c.status.as_str() {
        "agree" => (
            Some(true),
            match &c.kernel {
                Some(Ok(())) => "holds on both".into(),
                other => format!("{} on both", verdict_words(other)),
            },
        ),
        "differ" => (
            Some(false),
            format!(
                "model: {}; Linux: {}",
                verdict_words(&c.model),
                verdict_words(&c.kernel)
            ),
        ),
        _ => (
            None,
            format!(
                "not judged{}",
                c.reason
                    .as_ref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            ),
        ),
    }
}

/// The step's expects, as the check judged them on both sides.
fn expects(step: &Step, rec: &Recording) -> String {
    if step.expects.is_empty() {
        return String::new();
    }
    let mut out =
        "<ul class=\"kernel-expects\" aria-label=\"The step's expects, judged on both sides\">"
            .to_string();
    for e in &step.expects {
        let check = rec.expects.iter().find(|c| c.line == e.pos.line);
        let (ok, words) = expect_line(check);
        let (class, glyph) = match ok {
            Some(true) => ("agree", "✓"),
            Some(false) => ("differ", "✗"),
            None => ("unjudged", "?"),
        };
        out.push_str(&format!(
            "<li class=\"kernel-expect {class}\"><span class=\"kernel-glyph\" aria-hidden=\"true\">{glyph}</span><code>{}</code><span class=\"kernel-verdict\">{}</span></li>",
            esc(&e.text),
            esc(&words)
        ));
    }
    out.push_str("</ul>");
    out
}

/// The differences `forkscope check` itself found at the step.
fn differences(step: &Step, rec: &Recording) -> String {
    let rows: Vec<_> = rec
        .differences
        .iter()
        .filter(|d| d.line == step.pos.line)
        .flat_map(|d| &d.rows)
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    let mut out = "<div class=\"kernel-check-diff\" role=\"note\"><p><span aria-hidden=\"true\">✗ </span>forkscope check found these differences here:</p><ul>".to_string();
    for r in rows {
        out.push_str(&format!(
            "<li><code>{}</code>{}</li>",
            esc(&r.what),
            esc(&format!(": model {}, Linux {}", r.model, r.kernel))
        ));
    }
    out.push_str("</ul></div>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recording;

    fn fig(what: &str, model: &str, kernel: &str) -> Figure {
        Figure {
            what: what.into(),
            model: model.into(),
            kernel: kernel.into(),
        }
    }

    #[test]
    fn every_figure_of_every_lesson_agrees_with_its_recording_at_every_step() {
        for lesson in sim_core::lessons::all() {
            let rec = recording::find(lesson.name, lesson.source).unwrap();
            if rec.status != "agree" {
                continue;
            }
            let mut sim = Sim::from_source(lesson.source).unwrap();
            sim.run_to_end().unwrap();
            let mut shown = 0;
            for step in 1..=sim.steps().len() {
                let (b, a) = (
                    sim.observe(step as u32 - 1).unwrap(),
                    sim.observe(step as u32).unwrap(),
                );
                let figs = figures::figures(
                    Side {
                        before: &b,
                        after: &a,
                    },
                    Side {
                        before: &rec.kernel[step - 1],
                        after: &rec.kernel[step],
                    },
                );
                for f in &figs {
                    assert!(f.agrees(), "{} step {step}: {f:?}", lesson.name);
                }
                shown += figs.len();
            }
            assert!(
                shown >= sim.steps().len(),
                "{}: every step shows a figure",
                lesson.name
            );
        }
    }

    #[test]
    fn every_lesson_digest_has_a_head_and_one_piece_per_step_and_before_the_first() {
        for lesson in sim_core::lessons::all() {
            let rec = recording::find(lesson.name, lesson.source);
            let json: serde_json::Value =
                serde_json::from_str(&digest(lesson.source, &rec).unwrap()).unwrap();
            let mut sim = Sim::from_source(lesson.source).unwrap();
            sim.run_to_end().unwrap();
            let steps = json[served::STEPS].as_array().expect("steps");
            assert_eq!(steps.len(), sim.steps().len() + 1, "{}", lesson.name);
            let head = json[served::HEAD].as_str().expect("a head");
            assert!(head.starts_with("<p class=\"kernel-head\"><strong>Checked on Linux "));
            assert!(steps[0]
                .as_str()
                .unwrap()
                .contains("Recorded with forkscope check: "));
            for (i, step) in steps.iter().enumerate().skip(1) {
                let html = step.as_str().unwrap();
                assert!(
                    html.contains(&format!("<caption>What step {i} changed"))
                        || html.contains("Nothing a scenario can see changed"),
                    "{} step {i}: {html}",
                    lesson.name
                );
            }
        }
    }

    #[test]
    fn a_lesson_without_a_usable_recording_gets_a_note_saying_what_to_run() {
        let lesson = &sim_core::lessons::all()[0];
        let json = digest(lesson.source, &Err(Missing::Stale(lesson.name.into()))).unwrap();
        let json: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(
            json[served::NOTE].as_str().unwrap(),
            format!(
                "<p class=\"kernel-note kernel-missing\"><span class=\"kernel-icon\" aria-hidden=\"true\">i</span>\
                 The lesson {0} changed since its kernel recording was made; as root, run \
                 <code>cargo xtask record {0}</code>.</p>",
                lesson.name
            )
        );
        assert!(json.get(served::STEPS).is_none());
    }

    #[test]
    fn what_a_recording_says_is_escaped_in_the_html() {
        let row = recording::DiffRow {
            what: "p <heap>".into(),
            model: "a&b".into(),
            kernel: "\"c\"".into(),
        };
        let lesson = &sim_core::lessons::all()[0];
        let mut sim = Sim::from_source(lesson.source).unwrap();
        sim.run_to_end().unwrap();
        let st = &sim.steps()[0];
        let rec = Recording {
            release: "6.18<x>".into(),
            as_root: true,
            status: "error".into(),
            kernel: vec![],
            differences: vec![recording::StepDiff {
                line: st.pos.line,
                rows: vec![row],
            }],
            expects: vec![],
            error: None,
        };
        assert_eq!(
            differences(st, &rec),
            "<div class=\"kernel-check-diff\" role=\"note\"><p><span aria-hidden=\"true\">✗ </span>\
             forkscope check found these differences here:</p><ul><li><code>p &lt;heap&gt;</code>\
             : model a&amp;b, Linux &quot;c&quot;</li></ul></div>"
        );
        assert!(
            head(&rec).contains(">6.18&lt;x&gt;</span>"),
            "{}",
            head(&rec)
        );
    }

    #[test]
    fn the_summary_counts_figures_and_those_that_differ_in_words() {
        assert_eq!(
            summary(1, 0),
            "At this step, 1 figure: as the model shows it."
        );
        assert_eq!(
            summary(4, 0),
            "At this step, 4 figures: all as the model shows them."
        );
        assert_eq!(
            summary(4, 1),
            "At this step, 4 figures: 1 differs from the model."
        );
        assert_eq!(
            summary(4, 2),
            "At this step, 4 figures: 2 differ from the model."
        );
    }

    #[test]
    fn when_figures_are_cut_the_ones_that_differ_stay() {
        let mut figs: Vec<Figure> = (0..20)
            .map(|i| fig(&format!("p{i} state"), "running", "running"))
            .collect();
        figs[17] = fig("p17 state", "running", "zombie");
        let shown = shown_figures(&figs, 5);
        assert_eq!(shown.len(), 5);
        assert!(shown.iter().any(|f| f.what == "p17 state"));
        assert_eq!(shown[0].what, "p0 state", "the rest keep their order");
        assert_eq!(shown_figures(&figs[..3], 5).len(), 3);
    }

    #[test]
    fn an_expect_is_told_as_the_check_judged_it() {
        let check = |status: &str, kernel: Option<Result<(), String>>| ExpectCheck {
            line: 4,
            text: "expect p faults 1".into(),
            status: status.into(),
            reason: (status == "not_judged").then(|| "frame numbers need root".into()),
            model: Some(Ok(())),
            kernel,
        };
        assert_eq!(
            expect_line(Some(&check("agree", Some(Ok(()))))),
            (Some(true), "holds on both".into())
        );
        assert_eq!(
            expect_line(Some(&check("differ", Some(Err("it took 2".into()))))),
            (Some(false), "model: holds; Linux: fails (it took 2)".into())
        );
        assert_eq!(
            expect_line(Some(&check("not_judged", None))),
            (None, "not judged: frame numbers need root".into())
        );
    }
}
