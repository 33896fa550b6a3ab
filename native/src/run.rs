//! `forkscope run` and `forkscope lessons`: the model's trace, for a person
//! or (with --json) for a tool.

use crate::source::{load, Loaded};
use serde::Serialize;
use sim_core::engine::{ExpectOutcome, Sim, Step};
use sim_core::observe::{LastOpObs, Observation, PageObs};
use sim_core::scenario::ast::StateName;
use sim_core::scenario::{ExitStatus, ScenarioError};
use sim_core::sig::Signal;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::process::ExitCode;

#[derive(clap::Args)]
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
        println!(
            "{}",
            serde_json::to_string_pretty(&items).expect("lessons serialise")
        );
    } else {
        let width = all.iter().map(|l| l.name.len()).max().unwrap_or(0);
        for lesson in all {
            println!("{:width$}  {}", lesson.name, lesson.title());
        }
        println!("\nRun one with: forkscope run NAME");
    }
    ExitCode::SUCCESS
}

pub fn run(args: RunArgs) -> ExitCode {
    let loaded = match load(&args.target) {
        Ok(l) => l,
        Err(msg) => {
            eprintln!("error: {msg}");
            return ExitCode::from(2);
        }
    };
    let scenario = match sim_core::scenario::parse(&loaded.text) {
        Ok(s) => s,
        Err(err) => {
            if args.json {
                print_json(&loaded, None, Some(&err));
            } else {
                eprint!("{}", render_error(&loaded, &err));
            }
            return ExitCode::from(2);
        }
    };
    let mut sim = Sim::new(scenario);
    let result = sim.run_to_end();
    if args.json {
        print_json(&loaded, Some(&sim), result.as_ref().err());
    } else {
        print!("{}", render_text(&loaded, &sim));
        if let Err(err) = &result {
            eprint!("{}", render_error(&loaded, err));
        }
    }
    match result {
        Err(_) => ExitCode::from(2),
        Ok(()) if sim.failed_expects().next().is_some() => ExitCode::from(1),
        Ok(()) => ExitCode::SUCCESS,
    }
}

/// `error: FILE:LINE:COL: message`, then the line with a caret under the column.
pub fn render_error(loaded: &Loaded, err: &ScenarioError) -> String {
    let mut out = format!("error: {}:{err}\n", loaded.label);
    if let Some(line) = loaded
        .text
        .lines()
        .nth(err.pos.line.saturating_sub(1) as usize)
    {
        let n = err.pos.line.to_string();
        let pad = " ".repeat(n.len());
        let col = err.pos.col.saturating_sub(1) as usize;
        let caret_at: String = line
            .chars()
            .take(col)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        // Underline the word the error is about.
        let width = line
            .chars()
            .skip(col)
            .take_while(|c| !c.is_whitespace() && *c != ':')
            .count()
            .max(1);
        let _ = writeln!(
            out,
            " {n} | {line}\n {pad} | {caret_at}{}",
            "^".repeat(width)
        );
    }
    out
}

/// The human trace: each step's source line, narration, changed state and
/// expect verdicts.
pub fn render_text(loaded: &Loaded, sim: &Sim) -> String {
    let mut out = String::new();
    let title = sim.title().unwrap_or(&loaded.label);
    let _ = writeln!(out, "{title}\n{}", "=".repeat(title.chars().count()));
    for say in sim.intro() {
        let _ = writeln!(out, "{say}");
    }
    let mut before = sim.observe(0).unwrap_or_default();
    for step in sim.steps() {
        let after = sim.observe(step.index).unwrap_or_default();
        render_step(&mut out, step, &before, &after);
        before = after;
    }
    let failed: Vec<&ExpectOutcome> = sim.failed_expects().collect();
    let total: usize = sim.steps().iter().map(|s| s.expects.len()).sum();
    let _ = writeln!(out);
    if failed.is_empty() {
        let _ = writeln!(
            out,
            "{} steps, {total} expects: all hold.",
            sim.steps().len()
        );
    } else {
        let _ = writeln!(
            out,
            "{} steps, {total} expects: {} failed.",
            sim.steps().len(),
            failed.len()
        );
        for f in failed {
            let found = f
                .verdict
                .as_ref()
                .err()
                .map(String::as_str)
                .unwrap_or_default();
            let _ = writeln!(out, "  line {}: {} -- but {found}", f.pos.line, f.text);
        }
    }
    out
}

fn render_step(out: &mut String, step: &Step, before: &Observation, after: &Observation) {
    let _ = writeln!(
        out,
        "\nstep {} (line {}): {}",
        step.index, step.pos.line, step.source
    );
    let _ = writeln!(out, "{}", wrap(&step.narration, "  "));
    for say in &step.says {
        let _ = writeln!(out, "{}", wrap(say, "  > "));
    }
    for line in changes(before, after) {
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

/// One line per process whose observable state changed.
fn changes(before: &Observation, after: &Observation) -> Vec<String> {
    let mut lines = Vec::new();
    for (name, now) in &after.processes {
        let old = before.processes.get(name);
        if old == Some(now) {
            continue;
        }
        let mut parts = Vec::new();
        if old.map(|o| o.state) != Some(now.state) || old.map(|o| &o.parent) != Some(&now.parent) {
            parts.push(format!("{} (parent {})", now.state.as_str(), now.parent));
        }
        for (region, pages) in &now.regions {
            if old.and_then(|o| o.regions.get(region)) != Some(pages) {
                parts.push(format!("{region} {}", pages_text(pages)));
            }
        }
        if let Some(o) = old {
            for region in o.regions.keys().filter(|r| !now.regions.contains_key(*r)) {
                parts.push(format!("{region} unmapped"));
            }
        }
        if let Some(status) = now
            .last_reaped
            .filter(|s| old.and_then(|o| o.last_reaped) != Some(*s))
        {
            parts.push(match status {
                ExitStatus::Exited(code) => format!("reaped a child that exited {code}"),
                ExitStatus::Signaled(sig) => format!("reaped a child killed by {sig}"),
            });
        }
        if parts.is_empty() {
            continue;
        }
        lines.push(format!("{name}: {}", parts.join("; ")));
    }
    lines
}

/// `[F1 F2 F3* . 0]`: frame per page, `*` when another page table maps it
/// too, `.` absent, `0` the zero page. Long regions are cut.
fn pages_text(pages: &[PageObs]) -> String {
    const SHOWN: usize = 16;
    let mut parts: Vec<String> = pages
        .iter()
        .take(SHOWN)
        .map(|p| match p {
            PageObs::Absent => ".".into(),
            PageObs::Zero => "0".into(),
            PageObs::Frame { frame, users: 1 } => format!("F{frame}"),
            PageObs::Frame { frame, .. } => format!("F{frame}*"),
        })
        .collect();
    if pages.len() > SHOWN {
        parts.push(format!("... {} more", pages.len() - SHOWN));
    }
    format!("[{}]", parts.join(" "))
}

#[derive(Serialize)]
struct JsonTrace<'a> {
    source: &'a str,
    title: Option<&'a str>,
    intro: &'a [String],
    steps: Vec<JsonStep<'a>>,
    error: Option<&'a ScenarioError>,
    expects: usize,
    failed: usize,
}

#[derive(Serialize)]
struct JsonStep<'a> {
    #[serde(flatten)]
    step: &'a Step,
    changes: JsonChanges,
}

/// What a step changed in the observable state: replaying the changes of
/// steps 1..=i from an empty machine gives the state after step i.
#[derive(Serialize, Default)]
struct JsonChanges {
    processes: BTreeMap<String, JsonProc>,
    /// End -> bytes now queued there, for the ends whose count changed.
    queued: BTreeMap<String, u64>,
}

/// Pages `from..to` of `region` changed, and are now `page` for `from`;
/// each next page of the run is the same, except that a frame's number goes
/// up by one (pages written in order get frames allocated in order).
#[derive(Serialize)]
struct PageRun {
    region: String,
    from: u32,
    to: u32,
    page: PageObs,
}

/// Does `next` continue a run whose last page is `last`?
fn continues(last: PageObs, next: PageObs) -> bool {
    match (last, next) {
        (PageObs::Frame { frame: a, users: u }, PageObs::Frame { frame: b, users: v }) => {
            b == a + 1 && u == v
        }
        (a, b) => a == b && !matches!(a, PageObs::Frame { .. }),
    }
}

/// A process whose observation changed: its small fields whole, its pages
/// as the list of those that changed.
#[derive(Serialize)]
struct JsonProc {
    state: StateName,
    parent: String,
    last_op: Option<LastOpObs>,
    handled: BTreeMap<Signal, u64>,
    last_reaped: Option<ExitStatus>,
    /// Runs of changed pages, in region and page order.
    pages: Vec<PageRun>,
    /// Regions that are gone (munmap, exec, exit).
    unmapped: Vec<String>,
}

fn json_changes(before: &Observation, after: &Observation) -> JsonChanges {
    let mut changes = JsonChanges::default();
    for (name, now) in &after.processes {
        let old = before.processes.get(name);
        if old == Some(now) {
            continue;
        }
        let mut pages: Vec<PageRun> = Vec::new();
        for (region, now_pages) in &now.regions {
            let old_pages = old.and_then(|o| o.regions.get(region));
            let mut last: Option<PageObs> = None;
            for (i, page) in now_pages.iter().enumerate() {
                let i = i as u32;
                if old_pages.and_then(|p| p.get(i as usize)) == Some(page) {
                    last = None;
                    continue;
                }
                match pages.last_mut() {
                    Some(run) if run.to == i && last.is_some_and(|l| continues(l, *page)) => {
                        run.to = i + 1
                    }
                    _ => pages.push(PageRun {
                        region: region.clone(),
                        from: i,
                        to: i + 1,
                        page: *page,
                    }),
                }
                last = Some(*page);
            }
        }
        let unmapped = old
            .map(|o| {
                o.regions
                    .keys()
                    .filter(|r| !now.regions.contains_key(*r))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        changes.processes.insert(
            name.clone(),
            JsonProc {
                state: now.state,
                parent: now.parent.clone(),
                last_op: now.last_op.clone(),
                handled: now.handled.clone(),
                last_reaped: now.last_reaped,
                pages,
                unmapped,
            },
        );
    }
    for (end, bytes) in &after.queued {
        if before.queued.get(end) != Some(bytes) {
            changes.queued.insert(end.clone(), *bytes);
        }
    }
    changes
}

fn print_json(loaded: &Loaded, sim: Option<&Sim>, error: Option<&ScenarioError>) {
    let steps = sim
        .map(|sim| {
            let mut before = sim.observe(0).unwrap_or_default();
            sim.steps()
                .iter()
                .map(|step| {
                    let after = sim.observe(step.index).unwrap_or_default();
                    let changes = json_changes(&before, &after);
                    before = after;
                    JsonStep { step, changes }
                })
                .collect()
        })
        .unwrap_or_default();
    let trace = JsonTrace {
        source: &loaded.label,
        // Without a parsed scenario, the title line as written.
        title: sim.and_then(Sim::title).or_else(|| {
            loaded
                .text
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
    println!(
        "{}",
        serde_json::to_string_pretty(&trace).expect("the trace serialises")
    );
}
