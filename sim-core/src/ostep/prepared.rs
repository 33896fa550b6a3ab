//! fork.py's run made ready for the web app's OSTEP entry: the actions as
//! a scenario, and fork.py's own tree after each action (`prepare`); and
//! the plain list of strings it travels as from the worker that makes it
//! (web-ostep) to the app (`to_message`, `from_message`), so that the app
//! itself carries none of fork.py's code.

use super::{Forker, Options, Parsed, PyInt, PyRandom};

/// What the entry opens with the first time.
pub const DEFAULT_COMMAND: &str = "-s 4 -a 6";

/// One of fork.py's actions, and fork.py's tree after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Act {
    /// fork.py's words: "b forks c", "b EXITS".
    pub words: String,
    /// fork.py's drawing of its tree after the action (its style, without
    /// its margin).
    pub tree: String,
    /// Each process in fork.py's tree with its parent there.
    pub parents: Vec<(String, String)>,
}

/// fork.py's run for one command line, ready to step through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prepared {
    /// The options as they were given, with `-s N` added when they had
    /// none (what the link keeps, so that it opens the same run).
    pub command: String,
    /// Said when the seed was picked here (fork.py seeds itself then).
    pub seed_note: Option<String>,
    /// The actions as a scenario of the language.
    pub scenario: String,
    /// fork.py's tree before any action (the root alone).
    pub initial: String,
    pub acts: Vec<Act>,
    /// The line of each action's first statement in `scenario`.
    pub lines: Vec<u32>,
}

impl Prepared {
    /// How many actions are done once the statement at `line` has run.
    pub fn actions_done(&self, line: Option<u32>) -> usize {
        line.map_or(0, |l| self.lines.partition_point(|&a| a <= l))
    }
}

/// The words of a command line (quotes and a leading `./fork.py` or
/// `python3 fork.py` dropped: what a learner copies from the book).
fn words(command: &str) -> Vec<String> {
    let mut out: Vec<String> = command
        .split_whitespace()
        .map(|w| w.trim_matches(|c| c == '"' || c == '\'').to_string())
        .collect();
    if out.first().is_some_and(|w| w.starts_with("python")) {
        out.remove(0);
    }
    if out.first().is_some_and(|w| w.ends_with("fork.py")) {
        out.remove(0);
    }
    out
}

/// fork.py's run for `command`; `pick_seed` gives a seed when it has no
/// `-s` (fork.py would seed itself from the OS). Err: why not, in
/// fork.py's words where it has them.
pub fn prepare(command: &str, pick_seed: impl FnOnce() -> u32) -> Result<Prepared, String> {
    let mut args = words(command);
    let mut options = match super::parse(&args) {
        Parsed::Run(options) => options,
        Parsed::Help(help) => return Err(help),
        Parsed::Error(message) => return Err(message.trim_end().to_string()),
    };
    let mut seed_note = None;
    if options.seed.is_minus_one() && options.action_list.is_empty() {
        let seed = pick_seed();
        options.seed = PyInt::from_i64(i64::from(seed));
        args.extend(["-s".to_string(), seed.to_string()]);
        seed_note = Some(format!(
            "Without -s, fork.py seeds itself from the clock: this run has -s {seed}."
        ));
    }
    if options.fork_percentage <= 0.001 {
        return Err("fork_percentage must be > 0.001".into());
    }
    let rng = || PyRandom::seeded(&options.seed.magnitude);
    // Both walk the same actions (the same seed): a line for each act.
    let (scenario, lines) = super::scenario::scenario_and_lines(&options, &mut rng())?;
    let (initial, acts) = acts(&options, &mut rng())?;
    Ok(Prepared {
        command: args.join(" "),
        seed_note,
        scenario,
        initial,
        acts,
        lines,
    })
}

/// fork.py's tree before the actions, and each action with the tree after
/// it.
fn acts(options: &Options, rng: &mut PyRandom) -> Result<(String, Vec<Act>), String> {
    let mut forker = Forker::new(options.leaf_only, options.local_reparent);
    let initial = drawing(&forker, &options.print_style)?;
    let mut actions = forker
        .actions(options, rng)
        .map_err(|stop| stop.to_string())?;
    let mut acts = Vec::new();
    let mut said = String::new();
    while let Some(step) = forker.step(&mut actions, &mut said) {
        let (_, words) = step.map_err(|end| super::end_text(end, &said))?;
        acts.push(Act {
            words,
            tree: drawing(&forker, &options.print_style)?,
            parents: parents(&forker),
        });
    }
    Ok((initial, acts))
}

/// fork.py's drawing of its tree now, without the margin it prints.
fn drawing(forker: &Forker, style: &str) -> Result<String, String> {
    let mut out = String::new();
    if let Err(end) = super::print_tree(&forker.tree, &forker.names, style, &mut out) {
        // fork.py's message ("bad style x") is what it printed.
        return Err(super::end_text(end, out.trim_start()));
    }
    let lines: Vec<&str> = out.lines().collect();
    let margin = lines
        .iter()
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    Ok(lines
        .iter()
        .map(|l| &l[margin..])
        .collect::<Vec<_>>()
        .join("\n"))
}

/// Every process under fork.py's root, with its parent there.
fn parents(forker: &Forker) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut todo = vec![forker.root];
    while let Some(p) = todo.pop() {
        for c in forker.tree.children(p) {
            out.push((
                forker.names.name(c).to_string(),
                forker.names.name(p).to_string(),
            ));
            todo.push(c);
        }
    }
    out
}

/// The first string of a message: what follows.
const OK: &str = "ok";
const ERROR: &str = "error";

/// `prepared` (or why fork.py refused) as strings: "ok", the command, the
/// seed note ("" for none), the scenario, the first tree, then four per
/// action: its words, its tree, its line, its parents as "child parent"
/// lines. Or "error" and the message.
pub fn to_message(prepared: &Result<Prepared, String>) -> Vec<String> {
    match prepared {
        Err(why) => vec![ERROR.into(), why.clone()],
        Ok(p) => {
            let mut out = vec![
                OK.into(),
                p.command.clone(),
                p.seed_note.clone().unwrap_or_default(),
                p.scenario.clone(),
                p.initial.clone(),
            ];
            for (act, line) in p.acts.iter().zip(&p.lines) {
                out.push(act.words.clone());
                out.push(act.tree.clone());
                out.push(line.to_string());
                let parents: Vec<String> = act
                    .parents
                    .iter()
                    .map(|(c, p)| format!("{c} {p}"))
                    .collect();
                out.push(parents.join("\n"));
            }
            out
        }
    }
}

/// What `to_message` made, read back; a message of another shape is an
/// error that says so.
pub fn from_message(message: &[String]) -> Result<Prepared, String> {
    let broken = || "the fork.py worker's answer is not in its format".to_string();
    match message.first().map(String::as_str) {
        Some(ERROR) => return Err(message.get(1).cloned().unwrap_or_else(broken)),
        Some(OK) if message.len() >= 5 && (message.len() - 5).is_multiple_of(4) => {}
        _ => return Err(broken()),
    }
    let mut acts = Vec::new();
    let mut lines = Vec::new();
    for chunk in message[5..].chunks(4) {
        lines.push(chunk[2].parse().map_err(|_| broken())?);
        acts.push(Act {
            words: chunk[0].clone(),
            tree: chunk[1].clone(),
            parents: chunk[3]
                .lines()
                .filter_map(|l| l.split_once(' '))
                .map(|(c, p)| (c.to_string(), p.to_string()))
                .collect(),
        });
    }
    Ok(Prepared {
        command: message[1].clone(),
        seed_note: Some(message[2].clone()).filter(|n| !n.is_empty()),
        scenario: message[3].clone(),
        initial: message[4].clone(),
        acts,
        lines,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_is_picked_and_kept_in_the_command_when_none_is_given() {
        let p = prepare("./fork.py -a 3", || 7).unwrap();
        assert_eq!(p.command, "-a 3 -s 7");
        assert!(p.seed_note.as_deref().is_some_and(|n| n.contains("-s 7")));
        assert_eq!(
            p,
            prepare("-a 3 -s 7", || 99)
                .map(|mut q| {
                    q.seed_note = p.seed_note.clone();
                    q
                })
                .unwrap()
        );
    }

    #[test]
    fn each_action_has_a_line_of_the_scenario_and_fork_pys_tree() {
        let p = prepare("-A a+b,b+c,b-,a+d", || 0).unwrap();
        let words: Vec<&str> = p.acts.iter().map(|a| a.words.as_str()).collect();
        assert_eq!(words, ["a forks b", "b forks c", "b EXITS", "a forks d"]);
        assert_eq!(p.lines.len(), 4);
        let lines: Vec<&str> = p.scenario.lines().collect();
        assert_eq!(lines[p.lines[0] as usize - 1], "a: fork b");
        assert_eq!(lines[p.lines[2] as usize - 1], "b: exit 0");
        // fork.py's tree after b exits: c moved to a.
        assert_eq!(p.acts[2].parents, [("c".to_string(), "a".to_string())]);
        assert_eq!(p.acts[2].tree, "a\n└── c");
        assert_eq!(p.actions_done(None), 0);
        assert_eq!(p.actions_done(Some(p.lines[1])), 2);
    }

    #[test]
    fn a_prepared_run_travels_as_strings_and_comes_back_whole() {
        for command in ["-A a+b,b+c,b-,a+d -R", "-s 3 -a 8 -L", "-x"] {
            let prepared = prepare(command, || 5);
            assert_eq!(from_message(&to_message(&prepared)), prepared, "{command}");
        }
        assert!(from_message(&["ok".to_string()]).is_err());
    }

    #[test]
    fn bad_options_and_bad_actions_say_why_in_fork_pys_words() {
        let e = prepare("-x", || 0).unwrap_err();
        assert!(e.contains("no such option: -x"), "{e}");
        let e = prepare("-A a+b,zz", || 0).unwrap_err();
        assert!(e.starts_with("bad action (zz)"), "{e}");
        assert!(prepare("-h", || 0)
            .unwrap_err()
            .starts_with("Usage: fork.py"));
    }
}
