//! The scale cases: what each generates, measures and judges,
//! and the table it prints. Every case is measured twice over: through
//! `forkscope run` (model and text trace, as a user meets them; peak RSS)
//! and the model alone (`Sim::run_to_end`; peak live heap).

use crate::measure::{Cap, Caps, Job, Runs, Sample};
use crate::report::{self, Figure, Unit, Verdict};
use bench::cases::{self, GIB_PAGES, SMALL_PAGES};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The cases, by the name that selects them on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Name {
    /// One-page writes on a 1 GiB region against a 16-page region.
    Writes,
    /// Peak memory of 4000 flat forks against 1000.
    Forks,
    /// A 100,000-step run against a 10,000-step run.
    Steps,
    /// A 4,000-process run against a 1,000-process run.
    Procs,
}

impl Name {
    pub const ALL: [Name; 4] = [Name::Writes, Name::Forks, Name::Steps, Name::Procs];

    fn key(self) -> &'static str {
        match self {
            Name::Writes => "writes",
            Name::Forks => "forks",
            Name::Steps => "steps",
            Name::Procs => "procs",
        }
    }
}

/// How the whole bench runs.
pub struct Settings {
    pub quick: bool,
    pub runs: u32,
    pub caps: Caps,
    /// A file's runs stop repeating once they have taken this long.
    pub budget: Duration,
    pub forkscope: PathBuf,
    /// Where the generated scenarios and traces go.
    pub dir: PathBuf,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Cli,
    Model,
}

impl Mode {
    fn label(self) -> &'static str {
        match self {
            Mode::Cli => "forkscope run",
            Mode::Model => "model alone",
        }
    }
}

/// Which figure a target or a column is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fig {
    Time,
    Memory,
}

struct Target {
    fig: Fig,
    limit: f64,
    text: String,
}

struct Variant {
    label: String,
    text: String,
    steps: u32,
    /// Measure time per step rather than in total.
    per_step: Option<PerStep>,
}

/// Time per step: the model alone times the steps after `setup`;
/// `forkscope run` cannot, so it runs `shorter` too and divides the
/// difference of the two times by the difference of their steps, which
/// leaves out the start of the process, the parse and the set-up.
struct PerStep {
    setup: u32,
    shorter: String,
    shorter_steps: u32,
}

struct Case {
    name: Name,
    title: String,
    /// How the figures were taken, in a line.
    method: String,
    targets: Vec<Target>,
    /// The first variant is the baseline.
    variants: Vec<Variant>,
}

/// What one variant measured in one mode.
#[derive(Clone, Debug, Default)]
struct Measured {
    time: Option<Figure>,
    memory: Option<Figure>,
    trace: Option<Figure>,
    runs: usize,
    note: Option<String>,
}

impl Measured {
    fn get(&self, fig: Fig) -> Option<Figure> {
        match fig {
            Fig::Time => self.time,
            Fig::Memory => self.memory,
        }
    }

    /// This figure over the baseline's.
    fn ratio(&self, base: &Measured, fig: Fig) -> Option<Figure> {
        self.get(fig)?.ratio(base.get(fig)?)
    }
}

/// One target's verdict, for the summary.
pub struct Judged {
    pub line: String,
    pub verdict: Verdict,
}

fn case(name: Name, quick: bool) -> Case {
    let pick = |full: (u32, u32), small: (u32, u32)| if quick { small } else { full };
    match name {
        Name::Writes => {
            let (n1, n2) = pick((1000, 3000), (500, 1500));
            let variant = |label: String, pages: u32| Variant {
                label,
                text: cases::one_page_writes(pages, n2),
                steps: n2 + 2,
                per_step: Some(PerStep {
                    setup: 2,
                    shorter: cases::one_page_writes(pages, n1),
                    shorter_steps: n1 + 2,
                }),
            };
            Case {
                name,
                title: format!(
                    "one-page writes (pages 0 to 15 in turn) on a 1 GiB region ({} pages) \
                     against the same writes on a {SMALL_PAGES}-page region",
                    thousands(GIB_PAGES)
                ),
                method: format!(
                    "CPU time per write step; forkscope run: (CPU time of {} writes - of {} \
                     writes) / {}; model alone: the writes' CPU time / their number",
                    thousands(n2),
                    thousands(n1),
                    thousands(n2 - n1)
                ),
                targets: vec![Target {
                    fig: Fig::Time,
                    limit: 2.0,
                    text: format!("time per write step within 2x of the {SMALL_PAGES}-page region"),
                }],
                variants: vec![
                    variant(format!("{SMALL_PAGES} pages"), SMALL_PAGES),
                    variant(format!("1 GiB ({} pages)", thousands(GIB_PAGES)), GIB_PAGES),
                ],
            }
        }
        Name::Forks => {
            let (small, large) = pick((1000, 4000), (500, 2000));
            let variant = |n: u32| Variant {
                label: format!("{} flat forks", thousands(n)),
                text: cases::flat_forks(n),
                steps: n + 1,
                per_step: None,
            };
            let linear = f64::from(large) / f64::from(small);
            Case {
                name,
                title: format!(
                    "peak memory of {} flat forks against {} (`process p`, then `p: fork c0` ..)",
                    thousands(large),
                    thousands(small)
                ),
                method: "peak memory and CPU time of the whole run".into(),
                targets: vec![Target {
                    fig: Fig::Memory,
                    limit: 1.25 * linear,
                    text: format!(
                        "peak memory within {}x of {} forks (linear: {}x)",
                        1.25 * linear,
                        thousands(small),
                        linear
                    ),
                }],
                variants: vec![variant(small), variant(large)],
            }
        }
        Name::Steps => whole_run(
            name,
            pick((10_000, 100_000), (5_000, 50_000)),
            ("step", "steps"),
            "writes, reads and waits on a 10-page heap; a child every 10,000 steps",
            cases::long_run,
            |n| n,
        ),
        Name::Procs => whole_run(
            name,
            pick((1000, 4000), (500, 2000)),
            ("process", "processes"),
            "fork each, each writes a page, each exits, each is reaped",
            cases::many_processes,
            |n| 3 + 4 * n,
        ),
    }
}

/// A long run of `large` units against one of `small` (`one`, `many`: the
/// words for a unit), timed and weighed whole: `text` makes the
/// scenario of `n` units, `steps` counts its steps.
fn whole_run(
    name: Name,
    (small, large): (u32, u32),
    (one, many): (&str, &str),
    what: &str,
    text: fn(u32) -> String,
    steps: fn(u32) -> u32,
) -> Case {
    let variant = |n: u32| Variant {
        label: format!("{} {many}", thousands(n)),
        text: text(n),
        steps: steps(n),
        per_step: None,
    };
    Case {
        name,
        title: format!(
            "a {}-{one} run against a {}-{one} run ({what})",
            thousands(large),
            thousands(small)
        ),
        method: "CPU time and peak memory of the whole run".into(),
        targets: linear_targets(f64::from(large) / f64::from(small), &thousands(small), many),
        variants: vec![variant(small), variant(large)],
    }
}

/// The long runs have no number of their own; the bench holds them to
/// linear growth with the slack of the fork target (5x for 4x
/// the forks): 1.25 times the ratio of the sizes.
fn linear_targets(linear: f64, small: &str, unit: &str) -> Vec<Target> {
    let limit = 1.25 * linear;
    let text = |what: &str| {
        format!("{what} within {limit}x of {small} {unit} (linear: {linear}x, with the fork target's slack)")
    };
    vec![
        Target {
            fig: Fig::Time,
            limit,
            text: text("time"),
        },
        Target {
            fig: Fig::Memory,
            limit,
            text: text("peak memory"),
        },
    ]
}

/// Run the selected cases, print each case's table, and return every
/// target's verdict.
pub fn run(names: &[Name], settings: &Settings) -> Result<Vec<Judged>, String> {
    let mut judged = Vec::new();
    for name in Name::ALL.into_iter().filter(|n| names.contains(n)) {
        let case = case(name, settings.quick);
        judged.extend(run_case(&case, settings)?);
    }
    Ok(judged)
}

fn run_case(case: &Case, settings: &Settings) -> Result<Vec<Judged>, String> {
    println!("\n== {}: {} ==", case.name.key(), case.title);
    println!("   {}", case.method);
    for target in &case.targets {
        println!("   target: {}", target.text);
    }
    // results[variant][mode], in the order of MODES.
    let mut results: Vec<[Measured; 2]> = Vec::new();
    for (i, variant) in case.variants.iter().enumerate() {
        let stem = settings.dir.join(format!("{}-{i}", case.name.key()));
        let cli = measure(case, variant, Mode::Cli, &stem, settings)?;
        let model = measure(case, variant, Mode::Model, &stem, settings)?;
        results.push([cli, model]);
    }
    print!("{}", report::table(&rows(case, &results)));
    let judged = judge(case, &results);
    for j in &judged {
        println!("   => {}", j.line);
    }
    Ok(judged)
}

const MODES: [Mode; 2] = [Mode::Cli, Mode::Model];

/// The case's table: a row for each variant in each mode, with each
/// figure and its ratio to the baseline (the first variant).
fn rows(case: &Case, results: &[[Measured; 2]]) -> Vec<Vec<String>> {
    let figs: &[Fig] = match case.name {
        Name::Writes => &[Fig::Time],
        _ => &[Fig::Memory, Fig::Time],
    };
    let mut head = vec![String::new(), String::new()];
    for fig in figs {
        head.push(match (fig, case.name) {
            (Fig::Time, Name::Writes) => "CPU time a write".into(),
            (Fig::Time, _) => "CPU time".into(),
            (Fig::Memory, _) => "peak memory".into(),
        });
        head.push("ratio".into());
    }
    head.extend(["trace".into(), "runs".into()]);
    let mut rows = vec![head];
    for (mode_index, mode) in MODES.into_iter().enumerate() {
        let base = &results[0][mode_index];
        for (i, (variant, measured)) in case.variants.iter().zip(results).enumerate() {
            let m = &measured[mode_index];
            let mut row = vec![
                if i == 0 {
                    format!("{} (baseline)", variant.label)
                } else {
                    variant.label.clone()
                },
                match (mode, figs[0]) {
                    (Mode::Cli, Fig::Memory) => "forkscope run, peak RSS".into(),
                    (Mode::Model, Fig::Memory) => "model alone, peak heap".into(),
                    _ => mode.label().into(),
                },
            ];
            for fig in figs {
                let unit = match fig {
                    Fig::Time => Unit::Seconds,
                    Fig::Memory => Unit::Bytes,
                };
                row.push(m.get(*fig).map_or("?".into(), |f| report::show(f, unit)));
                row.push(if i == 0 {
                    String::new()
                } else {
                    report::show_ratio(m.ratio(base, *fig))
                });
            }
            row.push(
                m.trace
                    .map_or(String::new(), |f| report::show(f, Unit::Bytes)),
            );
            row.push(match &m.note {
                Some(note) => format!("{}; {note}", m.runs),
                None => m.runs.to_string(),
            });
            rows.push(row);
        }
    }
    rows
}

/// Each target's verdict over every variant but the baseline, in both
/// modes: met only if all are within it.
fn judge(case: &Case, results: &[[Measured; 2]]) -> Vec<Judged> {
    let mut judged = Vec::new();
    for target in &case.targets {
        let mut ratios = Vec::new();
        let mut parts = Vec::new();
        for (mode_index, mode) in MODES.into_iter().enumerate() {
            let base = &results[0][mode_index];
            let mode_ratios: Vec<Option<Figure>> = results[1..]
                .iter()
                .map(|m| m[mode_index].ratio(base, target.fig))
                .collect();
            let shown: Vec<String> = mode_ratios.iter().map(|r| report::show_ratio(*r)).collect();
            parts.push(format!("{} {}", mode.label(), shown.join(" and ")));
            ratios.extend(mode_ratios);
        }
        let verdict = Verdict::of(&ratios, target.limit);
        let line = format!(
            "{}: {}: {}: {}",
            case.name.key(),
            target.text,
            parts.join(", "),
            verdict.word()
        );
        judged.push(Judged { line, verdict });
    }
    judged
}

fn measure(
    case: &Case,
    variant: &Variant,
    mode: Mode,
    stem: &Path,
    settings: &Settings,
) -> Result<Measured, String> {
    eprintln!(
        "  measuring {}: {}, {} ..",
        case.name.key(),
        variant.label,
        mode.label()
    );
    let file = stem.with_extension("scn");
    write(&file, &variant.text)?;
    let out = stem.with_extension("out");
    let job = match mode {
        Mode::Cli => Job::Cli {
            forkscope: &settings.forkscope,
            out: &out,
        },
        Mode::Model => Job::Model {
            skip: variant.per_step.as_ref().map_or(0, |p| p.setup),
        },
    };
    let runs = Runs::measure(&job, &file, settings.caps, settings.runs, settings.budget)?;
    let mut measured = from_runs(&runs, settings.caps);
    let Some(per_step) = &variant.per_step else {
        return Ok(measured);
    };
    // Time per step.
    measured.time = match mode {
        Mode::Model => measured
            .time
            .map(|t| scale(t, 1.0 / f64::from(variant.steps - per_step.setup))),
        Mode::Cli => {
            let shorter_file = stem.with_extension("short.scn");
            write(&shorter_file, &per_step.shorter)?;
            let shorter = Runs::measure(
                &job,
                &shorter_file,
                settings.caps,
                settings.runs,
                settings.budget,
            )?;
            let extra = f64::from(variant.steps - per_step.shorter_steps);
            match (measured.time, from_runs(&shorter, settings.caps).time) {
                (Some(Figure::Value(long)), Some(Figure::Value(short))) if long > short => {
                    Some(Figure::Value((long - short) / extra))
                }
                (Some(Figure::Value(_)), Some(Figure::Value(_))) => {
                    measured.note = Some("the longer file ran no slower: too noisy to tell".into());
                    None
                }
                // A capped run: at least its time over all its steps.
                (Some(Figure::AtLeast(t)), _) => {
                    Some(Figure::AtLeast(t / f64::from(variant.steps)))
                }
                (_, Some(Figure::AtLeast(t))) => {
                    Some(Figure::AtLeast(t / f64::from(per_step.shorter_steps)))
                }
                _ => None,
            }
        }
    };
    Ok(measured)
}

fn scale(f: Figure, by: f64) -> Figure {
    match f {
        Figure::Value(v) => Figure::Value(v * by),
        Figure::AtLeast(v) => Figure::AtLeast(v * by),
    }
}

/// The medians of a file's runs, or the bound a cap gives.
fn from_runs(runs: &Runs, caps: Caps) -> Measured {
    let mut m = Measured {
        runs: runs.samples.len(),
        ..Measured::default()
    };
    if let Some((cap, spent)) = runs.capped {
        m.runs += 1;
        m.time = Some(Figure::AtLeast(spent.cpu));
        let wall = report::show(Figure::Value(spent.wall), Unit::Seconds);
        m.note = Some(match cap {
            Cap::Cpu => format!("stopped at the {} s CPU cap ({wall} wall)", caps.cpu_secs),
            Cap::Memory => {
                m.memory = Some(Figure::AtLeast(caps.mem_bytes as f64));
                format!(
                    "stopped at the {} address-space cap after {wall} wall",
                    report::show(Figure::Value(caps.mem_bytes as f64), Unit::Bytes),
                )
            }
        });
        return m;
    }
    let median = |f: fn(&Sample) -> Option<f64>| runs.median(f).map(Figure::Value);
    m.time = median(|s| Some(s.cpu));
    // The model's figure is its peak heap (counted by this binary's
    // allocator); forkscope's, its peak RSS.
    m.memory = median(|s| Some(s.heap.unwrap_or(s.peak_rss) as f64));
    m.trace = median(|s| s.trace.map(|t| t as f64));
    m
}

fn write(file: &Path, text: &str) -> Result<(), String> {
    std::fs::write(file, text).map_err(|e| format!("{}: {e}", file.display()))
}

/// 262144 as "262,144".
pub fn thousands(n: u32) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
