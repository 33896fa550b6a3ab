//! The OSTEP fork.py entry: fork.py's options in (`-s 4 -a 6`, `-A
//! a+b,b-`, `-R`, `-L`, `-f`, `-P`), its actions made into a scenario that
//! the app steps through with Linux's rules, and beside the views, at each
//! action, fork.py's own tree (behind a prediction, as fork.py's `-c`
//! hides it) and Linux's tree, with where the two differ.
//!
//! `prepare` is pure (host tests below); `OstepPanel` draws one action.
//! The scenario is sim-core's (`ostep::scenario`, what `forkscope ostep
//! --scenario` prints): each action is one statement, or an exit and its
//! parent's wait, so the step shown says which action it is of.

use crate::session::RunHandle;
use sim_core::ostep::{self, Action, End, Forker, Options, Parsed, PyInt, PyRandom};
use sim_core::scenario::ast::StateName;
use sim_core::world::World;
use std::rc::Rc;
use yew::prelude::*;

/// What the entry opens with the first time.
pub const DEFAULT_COMMAND: &str = "-s 4 -a 6";

/// One of fork.py's actions, and fork.py's tree after it.
#[derive(Clone, Debug, PartialEq)]
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
#[derive(Clone, Debug, PartialEq)]
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
    let mut options = match ostep::parse(&args) {
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
    let scenario = ostep::scenario::scenario(&options, &mut rng())?;
    let (initial, acts) = acts(&options, &mut rng())?;
    let lines = action_lines(&scenario);
    if lines.len() != acts.len() {
        return Err(format!(
            "the scenario has {} actions where fork.py has {}",
            lines.len(),
            acts.len()
        ));
    }
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
    while let Some(next) = forker.next_action(&mut actions) {
        let action: Action = next.map_err(|m| m.trim_end().to_string())?;
        let words = forker.act(&action).map_err(|end| match end {
            End::Exit1 => "root process: cannot exit".to_string(),
            End::Stop(stop) => stop.to_string(),
        })?;
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
    if let Err(end) = ostep::print_tree(&forker.tree, &forker.names, style, &mut out) {
        return Err(match end {
            // fork.py's message ("bad style x") is what it printed.
            End::Exit1 => out.trim().to_string(),
            End::Stop(stop) => stop.to_string(),
        });
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

/// The lines where the scenario's actions begin: a fork, an exit, or the
/// `say` of an exit that failed (`-L`); the `expect` and `wait` after an
/// exit belong to it.
fn action_lines(scenario: &str) -> Vec<u32> {
    scenario
        .lines()
        .enumerate()
        .filter(|(_, l)| {
            l.contains(": fork ")
                || l.ends_with(": exit 0")
                || (l.starts_with("say ") && l.contains(" does not exit"))
        })
        .map(|(i, _)| i as u32 + 1)
        .collect()
}

/// Linux's tree at `world`: init, then every process that is not gone,
/// under its parent, with fork.py's `fancy` lines; and each process with
/// its parent.
fn linux_tree(world: &World) -> (String, Vec<(String, String)>) {
    let mut parents: Vec<(String, String, bool)> = world
        .names()
        .filter_map(|n| {
            let proc = world.proc(world.pid_of(n)?);
            let state = proc.state.name();
            (state != StateName::Gone).then(|| {
                (
                    n.to_string(),
                    world.name_of(proc.parent).to_string(),
                    state == StateName::Zombie,
                )
            })
        })
        .collect();
    sim_core::sort::sort_by_key(&mut parents, |p| p.0.clone());
    let mut text = String::from("init");
    draw_under("init", "", &parents, &mut text);
    let pairs = parents
        .into_iter()
        .map(|(child, parent, _)| (child, parent))
        .collect();
    (text, pairs)
}

fn draw_under(parent: &str, indent: &str, all: &[(String, String, bool)], out: &mut String) {
    let children: Vec<&(String, String, bool)> =
        all.iter().filter(|(_, p, _)| p == parent).collect();
    for (i, (name, _, zombie)) in children.iter().enumerate() {
        let last = i + 1 == children.len();
        out.push('\n');
        out.push_str(indent);
        out.push_str(if last { "└── " } else { "├── " });
        out.push_str(name);
        if *zombie {
            out.push_str(" (zombie)");
        }
        let deeper = format!("{indent}{}", if last { "    " } else { "│   " });
        draw_under(name, &deeper, all, out);
    }
}

/// Where fork.py's tree and Linux's differ: each process whose parent is
/// not the same, in a sentence.
fn differences(forkpy: &[(String, String)], linux: &[(String, String)]) -> Vec<String> {
    let mut out = Vec::new();
    for (child, parent) in linux {
        match forkpy.iter().find(|(c, _)| c == child) {
            Some((_, p)) if p != parent => out.push(format!(
                "{child}'s parent is {parent} on Linux, {p} in fork.py"
            )),
            None if parent != "init" || child != "a" => {
                out.push(format!("{child} is still in Linux's tree (its parent {parent})"))
            }
            _ => {}
        }
    }
    out
}

#[derive(Properties, PartialEq)]
pub struct OstepProps {
    pub run: RunHandle,
    pub step: u32,
    pub prepared: Rc<Prepared>,
    /// Ask before showing fork.py's tree (the app's prediction switch).
    pub predictions: bool,
    /// Run fork.py with other options.
    pub on_command: Callback<String>,
}

#[function_component(OstepPanel)]
pub fn panel(props: &OstepProps) -> Html {
    let typed = use_state(|| props.prepared.command.clone());
    // Which action's tree was revealed: (the command, the action).
    let revealed = use_state(|| None::<(String, usize)>);
    let p = &props.prepared;
    let sim = props.run.sim();
    let line = props
        .step
        .checked_sub(1)
        .and_then(|i| sim.steps().get(i as usize))
        .map(|s| s.pos.line);
    let done = p.actions_done(line);
    let (words, forkpy_tree, forkpy_parents) = match done.checked_sub(1).map(|i| &p.acts[i]) {
        Some(a) => (format!("Action {done} of {}: {}", p.acts.len(), a.words), a.tree.as_str(), a.parents.as_slice()),
        None => (format!("Before the first of {} actions", p.acts.len()), p.initial.as_str(), &[][..]),
    };
    let (linux, linux_parents) = match sim.world(props.step) {
        Some(world) => linux_tree(world),
        None => (String::new(), Vec::new()),
    };
    let shown = !props.predictions
        || done == 0
        || revealed.as_ref().is_some_and(|(c, i)| *c == p.command && *i == done);
    let forkpy = if shown {
        html! { <pre class="os-tree" aria-label="fork.py's tree">{ forkpy_tree }</pre> }
    } else {
        let reveal = {
            let revealed = revealed.clone();
            let command = p.command.clone();
            Callback::from(move |_: MouseEvent| revealed.set(Some((command.clone(), done))))
        };
        html! {
            <div class="os-ask">
                <p>{"Predict fork.py's tree after this action (fork.py -c would show it)."}</p>
                <button type="button" onclick={reveal}>{"Reveal fork.py's tree"}</button>
            </div>
        }
    };
    let differ = if shown {
        differences(forkpy_parents, &linux_parents)
    } else {
        Vec::new()
    };
    let submit = {
        let typed = typed.clone();
        let on_command = props.on_command.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            on_command.emit((*typed).clone());
        })
    };
    let input = {
        let typed = typed.clone();
        Callback::from(move |e: InputEvent| {
            typed.set(e.target_unchecked_into::<web_sys::HtmlInputElement>().value())
        })
    };
    html! {
        <section class="ostep" aria-labelledby="ostep-title">
            <h2 id="ostep-title">{"OSTEP fork.py"}</h2>
            <form class="os-form" onsubmit={submit}>
                <label>{"./fork.py "}
                    <input type="text" aria-label="fork.py options" value={(*typed).clone()} oninput={input} spellcheck="false" />
                </label>
                <button type="submit">{"Run"}</button>
            </form>
            if let Some(note) = &p.seed_note {
                <p class="os-note">{ note.clone() }</p>
            }
            <p class="os-action" aria-live="polite">{ words }</p>
            <div class="os-trees">
                <div><h3>{"fork.py's tree"}</h3>{ forkpy }</div>
                <div><h3>{"Linux's tree"}</h3><pre class="os-tree" aria-label="Linux's tree">{ linux }</pre></div>
            </div>
            if !differ.is_empty() {
                <p class="os-differ">
                    {"They differ: "}{ differ.join("; ") }
                    {". fork.py moves an exiting process's children to a (-R: to its parent); on Linux they go to init, with their own children."}
                </p>
            }
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_is_picked_and_kept_in_the_command_when_none_is_given() {
        let p = prepare("./fork.py -a 3", || 7).unwrap();
        assert_eq!(p.command, "-a 3 -s 7");
        assert!(p.seed_note.as_deref().is_some_and(|n| n.contains("-s 7")));
        assert_eq!(p, prepare("-a 3 -s 7", || 99).map(|mut q| {
            q.seed_note = p.seed_note.clone();
            q
        }).unwrap());
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
    fn linux_and_fork_py_differ_where_an_orphan_goes() {
        let forkpy = [("c".to_string(), "a".to_string())];
        let linux = [
            ("a".to_string(), "init".to_string()),
            ("c".to_string(), "init".to_string()),
        ];
        assert_eq!(
            differences(&forkpy, &linux),
            ["c's parent is init on Linux, a in fork.py"]
        );
        assert!(differences(&forkpy, &[("a".into(), "init".into()), ("c".into(), "a".into())]).is_empty());
    }

    #[test]
    fn bad_options_and_bad_actions_say_why_in_fork_pys_words() {
        let e = prepare("-x", || 0).unwrap_err();
        assert!(e.contains("no such option: -x"), "{e}");
        let e = prepare("-A a+b,zz", || 0).unwrap_err();
        assert!(e.starts_with("bad action (zz)"), "{e}");
        assert!(prepare("-h", || 0).unwrap_err().starts_with("Usage: fork.py"));
    }
}
