//! `forkscope run` and `forkscope lessons`: the model's trace, for a person
//! or (with --json) for a tool.

use crate::output;
use crate::source::{load, LoadError, Loaded};
use serde::Serialize;
use sim_core::changes::Changes;
use sim_core::engine::{ExpectOutcome, Sim, Step, StepGroup};
use sim_core::mm::Region;
use sim_core::observe::PageObs;
use sim_core::scenario::ast::Pos;
use sim_core::scenario::source::{require_statements, MAX_SOURCE_BYTES};
use sim_core::scenario::{ErrorKind, ExitStatus, ScenarioError};
use sim_core::words::count;
use sim_core::world::World;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::process::ExitCode;

/// Where a scenario's writer finds the language, as --help and a parse
/// error say it: a path in Forkscope's repository, since the binary may
/// run far from a checkout.
pub const LANGUAGE_REFERENCE: &str = "docs/scenario-language.md";

#[derive(clap::Args)]
#[command(
    after_help = "The scenario language (every statement and expect, names, units, signals, \
limits, and how to read this trace) is documented in docs/scenario-language.md in Forkscope's \
repository.\n\nExit status: 0 when every expect holds; 1 when one fails; 2 on an error in the \
scenario or in reading it."
)]
pub struct RunArgs {
    /// A scenario file or the name of a built-in lesson. A target with a '/'
    /// or ending in .scn is a file; any other is a lesson's name (see
    /// `forkscope lessons`), else a file of that name.
    pub target: String,
    /// Print the trace as JSON (documented in docs/trace-json.md) instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args)]
pub struct LessonsArgs {
    /// Print name, title and source of each lesson as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn lessons(args: LessonsArgs) -> ExitCode {
    let all = sim_core::lessons::all();
    if args.json {
        #[derive(Serialize)]
        struct Item {
            name: &'static str,
            title: &'static str,
            source: &'static str,
        }
        let items: Vec<Item> = all
            .iter()
            .map(|l| Item {
                name: l.name,
                title: l.title(),
                source: l.source,
            })
            .collect();
        match serde_json::to_string_pretty(&items) {
            Ok(json) => output::println(&json),
            Err(e) => {
                output::eprint(&format!("error: the lessons do not serialise: {e}\n"));
                return ExitCode::from(2);
            }
        }
    } else {
        let width = all.iter().map(|l| l.name.len()).max().unwrap_or(0);
        let mut text = String::new();
        for lesson in all {
            let _ = writeln!(text, "{:width$}  {}", lesson.name, lesson.title());
        }
        text.push_str("\nRun one with: forkscope run NAME\n");
        output::print(&text);
    }
    ExitCode::SUCCESS
}

pub fn run(args: RunArgs) -> ExitCode {
    let loaded = match load(&args.target) {
        Ok(l) => l,
        Err(err) => {
            if args.json {
                let error = JsonError::load(&err);
                print_json(&args.target, None, None, Some(error));
            } else {
                output::eprint(&format!("error: {err}\n"));
            }
            return ExitCode::from(2);
        }
    };
    let parsed = sim_core::scenario::parse(&loaded.text)
        .and_then(|s| require_statements(&s, &loaded.text).map(|()| s));
    let scenario = match parsed {
        Ok(s) => s,
        Err(err) => {
            if args.json {
                let error = JsonError::scenario(&err);
                print_json(&loaded.label, Some(&loaded.text), None, Some(error));
            } else {
                let mut text = render_error(&loaded, &err);
                if let Some(help) = parse_help(&err.kind) {
                    text.push_str(&help);
                }
                output::eprint(&text);
            }
            return ExitCode::from(2);
        }
    };
    let mut sim = Sim::new(scenario);
    let result = sim.run_to_end();
    let error = result.as_ref().err();
    if args.json {
        print_json(
            &loaded.label,
            Some(&loaded.text),
            Some(&sim),
            error.map(JsonError::scenario),
        );
    } else {
        output::print(&render_text(&loaded, &sim, error));
        if let Some(err) = error {
            output::eprint(&render_error(&loaded, err));
        }
    }
    match result {
        Err(_) => ExitCode::from(2),
        Ok(()) if sim.failed_expects().next().is_some() => ExitCode::from(1),
        Ok(()) => ExitCode::SUCCESS,
    }
}

/// `error: FILE:LINE:COL: message`, then the line with a caret under the
/// column (a window of it around the caret when the line is long).
pub fn render_error(loaded: &Loaded, err: &ScenarioError) -> String {
    let mut out = format!("error: {}:{err}\n", loaded.label);
    out.push_str(&pointer(&loaded.text, err.pos));
    out
}

/// The line at `pos` of `text` and, under it, a caret under the column:
/// ` 3 | a: wrte heap 0` then `   |    ^^^^`. What every command shows
/// under a scenario error (`run`, and `check` indented in its report).
/// Empty when the text has no such line.
pub fn pointer(text: &str, pos: Pos) -> String {
    let Some(line) = text
        .strip_prefix('\u{feff}')
        .unwrap_or(text)
        .lines()
        .nth(pos.line.saturating_sub(1) as usize)
    else {
        return String::new();
    };
    let n = pos.line.to_string();
    let pad = " ".repeat(n.len());
    let (shown, caret) = excerpt(line, pos.col.saturating_sub(1) as usize);
    format!(" {n} | {shown}\n {pad} | {caret}\n")
}

/// The `help:` line after an error the parser found: a line it could not
/// read points to the language reference. (A file with no statement at all
/// is told what to start with instead, so it gets none.)
pub fn parse_help(kind: &ErrorKind) -> Option<String> {
    (*kind != ErrorKind::NoStatements).then(|| {
        format!(
            "help: the scenario language is documented in {LANGUAGE_REFERENCE}, in Forkscope's repository\n"
        )
    })
}

/// The most columns of a line an error shows.
const EXCERPT_COLUMNS: usize = 80;

/// The line as a terminal shows it and, under it, a caret line marking the
/// word at character `col` (0-based, as the parser counts). Tabs become
/// spaces (to the next multiple of 8) and control characters `�`, so that
/// both lines are plain columns; wide characters count their width. A line
/// wider than `EXCERPT_COLUMNS` is cut to a window around the caret, with
/// `…` on each side that was cut.
fn excerpt(line: &str, col: usize) -> (String, String) {
    use unicode_width::UnicodeWidthChar;
    // Each character as shown: the character, its first column and width.
    let mut cells: Vec<(char, usize, usize)> = Vec::with_capacity(line.len());
    let mut x = 0;
    for c in line.chars() {
        let (shown, width) = match c {
            '\t' => (' ', 8 - x % 8),
            c if c.is_control() => ('\u{fffd}', 1),
            c => (c, c.width().unwrap_or(0)),
        };
        cells.push((shown, x, width));
        x += width;
    }
    let line_width = x;
    let chars: Vec<char> = line.chars().collect();
    // Past the end (an error about "the end of the line"): one column per
    // missing character.
    let caret_x = match cells.get(col) {
        Some(&(_, start, _)) => start,
        None => line_width + (col - cells.len()),
    };
    // Underline the word the error is about.
    let word = chars
        .iter()
        .skip(col)
        .take_while(|c| !c.is_whitespace() && **c != ':')
        .count();
    let word_width = cells
        .iter()
        .skip(col)
        .take(word)
        .map(|&(_, _, w)| w)
        .sum::<usize>()
        .max(1);
    let (lo, hi) = if line_width.max(caret_x + 1) <= EXCERPT_COLUMNS {
        (0, usize::MAX)
    } else {
        // Room for "…" on both sides; the caret a third of the way in, so
        // that what led to the error shows and the word after it too.
        let room = EXCERPT_COLUMNS - 2;
        let lo = caret_x.saturating_sub(room / 3);
        let lo = lo.min(line_width.saturating_sub(room)).min(caret_x);
        (lo, lo + room)
    };
    let mut shown = String::new();
    let mut first_shown = None;
    if lo > 0 {
        shown.push('…');
    }
    for &(c, start, width) in &cells {
        if start >= lo && start + width <= hi {
            first_shown.get_or_insert(start);
            // A tab is shown as the spaces it spans.
            let copies = if c == ' ' { width.max(1) } else { 1 };
            shown.extend(std::iter::repeat_n(c, copies));
        }
    }
    if cells.last().is_some_and(|&(_, start, w)| start + w > hi) {
        shown.push('…');
    }
    // The window starts at the first character shown (a wide character cut
    // by `lo` is left out whole).
    let origin = first_shown.unwrap_or(lo.min(caret_x));
    let indent = usize::from(lo > 0) + caret_x.saturating_sub(origin);
    let carets = word_width.min(hi.saturating_sub(caret_x)).max(1);
    let caret = format!("{}{}", " ".repeat(indent), "^".repeat(carets));
    (shown, caret)
}

/// The human trace: each step's source line, narration, changed state and
/// expect verdicts, then a summary. `error` is what stopped the run early,
/// if something did: the summary then says so, and never "all hold".
pub fn render_text(loaded: &Loaded, sim: &Sim, error: Option<&ScenarioError>) -> String {
    let mut out = String::new();
    let title = sim.title().unwrap_or(&loaded.label);
    let _ = writeln!(out, "{title}\n{}", "=".repeat(title.chars().count()));
    for say in sim.intro() {
        let _ = writeln!(out, "{say}");
    }
    let steps = sim.steps();
    for (i, step) in steps.iter().enumerate() {
        let lines = match (sim.changes(step.index), sim.world(step.index)) {
            (Some(changes), Some(after)) => change_lines(&changes, after),
            _ => Vec::new(),
        };
        match &step.group {
            Some(group) => {
                if group.index == 0 {
                    render_group_head(&mut out, &steps[i..]);
                }
                render_group_step(&mut out, step, group, &lines);
            }
            None => render_step(&mut out, step, &lines),
        }
    }
    let _ = writeln!(out);
    out.push_str(&summary(sim, error));
    out
}

/// The last lines of the trace: how many steps and expects, and how the
/// run ended.
fn summary(sim: &Sim, error: Option<&ScenarioError>) -> String {
    let failed: Vec<&ExpectOutcome> = sim.failed_expects().collect();
    let expects: usize = sim.steps().iter().map(|s| s.expects.len()).sum();
    let steps = sim.steps().len() as u64;
    let mut out = String::new();
    match error {
        Some(err) => {
            let why = err.kind.to_string();
            let stop = if why.ends_with(['?', '.']) { "" } else { "." };
            let _ = writeln!(out, "The run stopped at line {}: {why}{stop}", err.pos.line);
            let ran = match steps {
                0 => "no step ran".to_string(),
                n => format!("{} ran", count(n, "step", "steps")),
            };
            let checked = match (expects, failed.len()) {
                (0, _) => String::new(),
                (n, 0) => format!(", and {} held", count(n as u64, "expect", "expects")),
                (n, f) => format!(
                    ", and of {} checked, {f} failed",
                    count(n as u64, "expect", "expects")
                ),
            };
            let _ = writeln!(out, "Before it, {ran}{checked}.");
        }
        None => {
            let verdict = match (expects, failed.len()) {
                (0, _) => "nothing to check".to_string(),
                (1, 0) => "it holds".to_string(),
                (_, 0) => "all hold".to_string(),
                (_, f) => format!("{f} failed"),
            };
            let _ = writeln!(
                out,
                "{}, {}: {verdict}.",
                count(steps, "step", "steps"),
                count(expects as u64, "expect", "expects")
            );
        }
    }
    for f in failed {
        let found = f
            .verdict
            .as_ref()
            .err()
            .map(String::as_str)
            .unwrap_or_default();
        let _ = writeln!(out, "  line {}: {} -- but {found}", f.pos.line, f.text);
    }
    out
}

fn render_step(out: &mut String, step: &Step, changes: &[String]) {
    let _ = writeln!(
        out,
        "\nstep {} (line {}): {}",
        step.index, step.pos.line, step.source
    );
    let _ = writeln!(out, "{}", wrap(&step.narration, "  "));
    for say in &step.says {
        let _ = writeln!(out, "{}", wrap(say, "  > "));
    }
    for line in changes {
        let _ = writeln!(out, "  | {line}");
    }
    for e in &step.expects {
        match &e.verdict {
            Ok(()) => {
                let _ = writeln!(out, "  ok    {}", e.text);
            }
            Err(found) => {
                let _ = writeln!(out, "  FAIL  {} (line {}): {found}", e.text, e.pos.line);
            }
        }
    }
}

/// A Node statement's line, before its kernel steps: the statement, and
/// its Node events told (`steps` begins with the group's first step).
fn render_group_head(out: &mut String, steps: &[Step]) {
    let Some(group) = steps.first().and_then(|s| s.group.as_ref()) else {
        return;
    };
    let _ = writeln!(out, "\nnode (line {}): {}", group.pos.line, group.source);
    let mut ended = false;
    let events: Vec<_> = steps
        .iter()
        .map_while(|s| {
            let g = s.group.as_ref().filter(|g| !ended && g.pos == group.pos)?;
            ended = g.last;
            Some(g)
        })
        .collect();
    let told = match events.last().and_then(|g| g.narration.as_ref()) {
        Some(narration) => narration.clone(),
        // A group the run stopped in: the events it got to.
        None => {
            sim_core::engine::group_narration(&group.what, events.iter().flat_map(|g| &g.events))
        }
    };
    let _ = writeln!(out, "{}", wrap(&told, "  "));
}

/// One kernel step of a Node statement, indented under it: why node makes
/// it, then the step as any other; the statement's says and expects after
/// its last step.
fn render_group_step(out: &mut String, step: &Step, group: &StepGroup, changes: &[String]) {
    let _ = writeln!(out, "\n  step {}: {}", step.index, step.source);
    let _ = writeln!(out, "{}", wrap(&group.why, "    "));
    if !step.narration.is_empty() {
        let _ = writeln!(out, "{}", wrap(&step.narration, "    "));
    }
    for line in changes {
        let _ = writeln!(out, "    | {line}");
    }
    if !group.last {
        return;
    }
    for say in &step.says {
        let _ = writeln!(out, "{}", wrap(say, "  > "));
    }
    for e in &step.expects {
        match &e.verdict {
            Ok(()) => {
                let _ = writeln!(out, "  ok    {}", e.text);
            }
            Err(found) => {
                let _ = writeln!(out, "  FAIL  {} (line {}): {found}", e.text, e.pos.line);
            }
        }
    }
}

/// Wrap text at 78 columns with a prefix on every line.
fn wrap(text: &str, prefix: &str) -> String {
    let mut lines = vec![prefix.to_string()];
    for word in text.split_whitespace() {
        let line = lines.last_mut().expect("never empty");
        if line.len() > prefix.len() && line.len() + 1 + word.len() > 78 {
            lines.push(format!("{prefix}{word}"));
        } else {
            if line.len() > prefix.len() {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    lines.join("\n")
}

/// One line per process whose state as the trace shows it changed: its
/// state and parent, the regions whose pages changed (what they map, or
/// whether a frame is shared: a frame's user count alone is not shown), the
/// regions unmapped, a child reaped. Processes with the same line are told
/// in one (`summarise`).
fn change_lines(changes: &Changes, after: &World) -> Vec<String> {
    let mut lines = Vec::new();
    for (name, change) in &changes.processes {
        let mut parts = Vec::new();
        if change.moved {
            parts.push(format!(
                "{} (parent {})",
                change.state.as_str(),
                change.parent
            ));
        }
        let mut regions: Vec<&str> = change
            .pages
            .iter()
            .map(|run| run.region.as_str())
            .chain(change.reshared.iter().map(String::as_str))
            .collect();
        regions.sort_unstable();
        regions.dedup();
        let proc = after.pid_of(name).map(|pid| after.proc(pid));
        for region in regions {
            if let Some(r) = proc.and_then(|p| p.mm.region(region)) {
                parts.push(format!("{region} {}", pages_text(after, r)));
            }
        }
        for region in &change.unmapped {
            parts.push(format!("{region} unmapped"));
        }
        if let Some(status) = change.last_reaped.filter(|_| change.reaped) {
            parts.push(match status {
                ExitStatus::Exited(code) => format!("reaped a child that exited {code}"),
                ExitStatus::Signaled(sig) => format!("reaped a child killed by {sig}"),
            });
        }
        if !parts.is_empty() {
            lines.push((name.as_str(), parts.join("; ")));
        }
    }
    summarise(lines)
}

/// Processes with the same change, this many or more, are told in one line.
const GROUP_AT: usize = 3;

/// `name: change` lines, with every change that `GROUP_AT` or more
/// processes share told once, where the first of them was: "c1..c500:
/// running (parent init)" when their names are a numbered run with none
/// missing, else "a, b, c and 5 others: ...".
fn summarise(lines: Vec<(&str, String)>) -> Vec<String> {
    let mut by_text: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (name, text) in &lines {
        by_text.entry(text.as_str()).or_default().push(name);
    }
    let mut out = Vec::new();
    for (name, text) in &lines {
        let names = &by_text[text.as_str()];
        if names.len() < GROUP_AT {
            out.push(format!("{name}: {text}"));
        } else if names[0] == *name {
            out.push(format!("{}: {text}", group_label(names)));
        }
    }
    out
}

/// "c1..c500" for names that are one prefix and every number from the
/// first to the last; else as `words::short_list` names them, in order.
fn group_label(names: &[&str]) -> String {
    let split = |name: &str| {
        let digits = name.len() - name.trim_end_matches(|c: char| c.is_ascii_digit()).len();
        let (prefix, number) = name.split_at(name.len() - digits);
        // A leading zero (c01) would not print back as the same name.
        let number = (number.len() == 1 || !number.starts_with('0'))
            .then(|| number.parse::<u64>().ok())
            .flatten();
        (prefix.to_string(), number)
    };
    let mut keyed: Vec<((String, Option<u64>), &str)> =
        names.iter().map(|&n| (split(n), n)).collect();
    keyed.sort();
    let prefix = &keyed[0].0 .0;
    let numbers: Option<Vec<u64>> = keyed
        .iter()
        .map(|((p, n), _)| n.filter(|_| p == prefix))
        .collect();
    let run = numbers.is_some_and(|ns| ns.windows(2).all(|w| w[1] == w[0] + 1));
    let (first, last) = (keyed[0].1, keyed[keyed.len() - 1].1);
    if run {
        format!("{first}..{last}")
    } else {
        sim_core::words::short_list(keyed.iter().map(|k| k.1), keyed.len())
    }
}

/// `[F1 F2 F3* . 0]`: frame per page, `*` when another page table maps it
/// too, `.` absent, `0` the zero page. Long regions are cut.
fn pages_text(world: &World, region: &Region) -> String {
    const SHOWN: u32 = 16;
    let mut parts: Vec<String> = (0..region.pages().min(SHOWN))
        .map(|i| world.observe_page(region.view(i)))
        .map(|p| match p {
            PageObs::Absent => ".".into(),
            PageObs::Zero => "0".into(),
            PageObs::Frame { frame, users: 1 } => format!("F{frame}"),
            PageObs::Frame { frame, .. } => format!("F{frame}*"),
        })
        .collect();
    if region.pages() > SHOWN {
        parts.push(format!("... {} more", region.pages() - SHOWN));
    }
    format!("[{}]", parts.join(" "))
}

#[derive(Serialize)]
struct JsonTrace<'a> {
    source: &'a str,
    title: Option<&'a str>,
    intro: &'a [String],
    steps: JsonSteps<'a>,
    error: Option<JsonError>,
    expects: usize,
    failed: usize,
}

/// Every error `run --json` reports, in one shape (docs/trace-json.md):
/// where (`pos`, null when the error is about the whole file), what (`kind`,
/// tagged by `"error"`), and the sentence `forkscope run` prints.
#[derive(Serialize)]
struct JsonError {
    pos: Option<Pos>,
    kind: serde_json::Value,
    message: String,
}

impl JsonError {
    fn scenario(err: &ScenarioError) -> JsonError {
        JsonError {
            pos: Some(err.pos),
            kind: serde_json::to_value(&err.kind).unwrap_or_default(),
            message: err.kind.to_string(),
        }
    }

    fn load(err: &LoadError) -> JsonError {
        let kind = match err {
            LoadError::NotText { error, .. } => return JsonError::scenario(error),
            LoadError::Unreadable { reason, .. } => {
                serde_json::json!({ "error": "cannot_read", "reason": reason })
            }
            LoadError::TooLarge { .. } => {
                serde_json::json!({ "error": "file_too_large", "max_bytes": MAX_SOURCE_BYTES })
            }
        };
        JsonError {
            pos: None,
            kind,
            message: err.to_string(),
        }
    }
}

/// The steps of a run, each with its changes found as it is written, so
/// that a long run's trace never holds every step's changes at once.
struct JsonSteps<'a>(Option<&'a Sim>);

impl Serialize for JsonSteps<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let steps = self.0.map(Sim::steps).unwrap_or_default();
        serializer.collect_seq(steps.iter().map(|step| {
            JsonStep {
                step,
                changes: self
                    .0
                    .and_then(|sim| sim.changes(step.index))
                    .unwrap_or_default(),
            }
        }))
    }
}

#[derive(Serialize)]
struct JsonStep<'a> {
    #[serde(flatten)]
    step: &'a Step,
    /// What the step changed (docs/trace-json.md): replaying the changes
    /// of steps 1..=i from an empty machine gives the state after step i.
    changes: Changes,
}

/// The JSON trace of `sim` (None when the scenario never ran: it could
/// not be read or parsed), on stdout.
fn print_json(label: &str, text: Option<&str>, sim: Option<&Sim>, error: Option<JsonError>) {
    let steps = JsonSteps(sim);
    let trace = JsonTrace {
        source: label,
        // Without a parsed scenario, the title line as written.
        title: sim.and_then(Sim::title).or_else(|| {
            text?
                .lines()
                .find_map(|l| l.trim_start().strip_prefix("title "))
                .map(str::trim)
        }),
        intro: sim.map(Sim::intro).unwrap_or_default(),
        steps,
        error,
        expects: sim.map_or(0, |s| s.steps().iter().map(|s| s.expects.len()).sum()),
        failed: sim.map_or(0, |s| s.failed_expects().count()),
    };
    match serde_json::to_string_pretty(&trace) {
        Ok(json) => {
            // Not `println`, which would copy a long trace once more.
            output::print(&json);
            output::print("\n");
        }
        Err(e) => output::eprint(&format!("error: the trace does not serialise: {e}\n")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_width::UnicodeWidthStr;

    #[test]
    fn a_group_is_named_by_its_numbered_run_or_its_first_two_names() {
        assert_eq!(
            group_label(&["c1", "c10", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9"]),
            "c1..c10"
        );
        assert_eq!(group_label(&["c1", "c3", "c4"]), "c1, c3 and c4");
        assert_eq!(group_label(&["c1", "c3", "c4", "c5"]), "c1, c3, c4 and c5");
        assert_eq!(group_label(&["b", "a", "c", "d"]), "a, b, c and d");
        assert_eq!(
            group_label(&["f", "b", "a", "c", "d", "e"]),
            "a, b, c and 3 others"
        );
        assert_eq!(group_label(&["x01", "x02", "x03"]), "x01, x02 and x03");
        assert_eq!(group_label(&["c1", "d2", "c3"]), "c1, c3 and d2");
    }

    #[test]
    fn a_change_shared_by_fewer_than_three_processes_is_not_grouped() {
        let lines = vec![
            ("a", "running (parent init)".to_string()),
            ("b", "running (parent init)".to_string()),
            ("c", "zombie (parent p)".to_string()),
        ];
        assert_eq!(
            summarise(lines),
            [
                "a: running (parent init)",
                "b: running (parent init)",
                "c: zombie (parent p)"
            ]
        );
    }

    /// Lines of narrow, wide and tab characters with an `X` at a known
    /// column, in windows cut anywhere: the caret is always under the `X`,
    /// and the shown line is never wider than the window.
    #[test]
    fn the_caret_stays_under_its_character_in_every_window() {
        let pieces = ["a", "日", "\t", " ", "é", "\u{301}"];
        let mut seed: u64 = 7;
        let mut next = |n: usize| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize % n
        };
        for _ in 0..2000 {
            let before: String = (0..next(300)).map(|_| pieces[next(pieces.len())]).collect();
            let after: String = (0..next(300)).map(|_| pieces[next(pieces.len())]).collect();
            let line = format!("{before}X{after}");
            let col = before.chars().count();
            let (shown, caret) = excerpt(&line, col);
            let at = shown
                .find('X')
                .expect("the character at the caret is shown");
            let indent = caret.find('^').expect("a caret");
            assert_eq!(shown[..at].width(), indent, "{line:?}\n{shown}\n{caret}");
            assert!(shown.width() <= EXCERPT_COLUMNS, "{shown}");
        }
    }
}
