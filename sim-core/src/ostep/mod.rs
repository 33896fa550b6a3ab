//! OSTEP's fork homework (`fork.py`, from the book's ostep-homework
//! repository, cpu-api/): its options, its random actions, its tree and
//! its printing, reproduced so that `forkscope ostep` prints what
//! `python3 fork.py` prints, byte for byte, and ends with its status.
//!
//! - `mt.rs`: Python's Mersenne Twister, seeded as `random.seed(n)`;
//! - `options.rs` + `pynum.rs`: the command line as optparse reads it;
//! - `names.rs`: process names; `generate.rs`: the random actions;
//! - `model.rs`: fork.py's tree and its two reparenting rules;
//! - `print.rs`: the drawings; `unix.rs`: what Linux does instead;
//! - `scenario.rs`: an action list as a scenario of the language;
//! - `prepared.rs`: a run made ready for the web app, and its wire format.
//!
//! The run here takes its seed from the caller: without `-s`, fork.py
//! seeds Python's generator from the OS, and sim-core has no randomness.
//! What fork.py does not do: nothing here reads the clock or a file.

mod generate;
mod model;
mod mt;
mod names;
mod options;
pub mod prepared;
mod print;
mod pynum;
pub mod scenario;
pub mod unix;

#[cfg(test)]
mod tests;

pub use generate::Action;
pub use model::{Stop, Tree};
pub use mt::PyRandom;
pub use names::{generated_name, Id, Names};
pub use options::{parse, Options, Parsed};
pub use print::{print_tree, End, Sink};
pub use pynum::{float_repr, PyInt};

/// How a run of fork.py ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Exit status 0.
    Done,
    /// fork.py's own message and `exit(1)`.
    Exit1,
    /// fork.py dies of a Python exception (status 1, a traceback on
    /// stderr) or would never end.
    Stopped(Stop),
}

impl Outcome {
    /// The exit status fork.py ends with (a run that never ends has none;
    /// forkscope says so and ends with 1).
    pub fn status(&self) -> i32 {
        match self {
            Outcome::Done => 0,
            Outcome::Exit1 | Outcome::Stopped(_) => 1,
        }
    }
}

/// The header fork.py prints before the first tree.
const TREE_HEADER: &str = "                           Process Tree:\n";
/// The header of the final tree (`-F`), after a blank line.
const FINAL_HEADER: &str = "\n                        Final Process Tree:\n";

pub(crate) fn python_bool(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}

/// One action read from an `-A` list, or why it is bad.
enum Parsed1<'a> {
    Fork(&'a str, &'a str),
    Exit(&'a str),
    Bad,
}

/// fork.py's `check_legal`: `X+Y` (split on `+` into exactly two) or,
/// with no `+`, `X-` (split on `-` into exactly two, the second ignored).
fn read_action(text: &str) -> Parsed1<'_> {
    if text.contains('+') {
        let mut parts = text.split('+');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(p), Some(c), None) => Parsed1::Fork(p, c),
            _ => Parsed1::Bad,
        }
    } else if text.contains('-') {
        let mut parts = text.split('-');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(p), Some(_), None) => Parsed1::Exit(p),
            _ => Parsed1::Bad,
        }
    } else {
        Parsed1::Bad
    }
}

/// The actions a run performs: generated ones, or an `-A` list read one
/// at a time (a bad one ends the run where fork.py meets it).
pub enum Actions<'a> {
    Generated(std::vec::IntoIter<Action>),
    Listed(std::str::Split<'a, char>),
}

/// One step of a run: an action done (with fork.py's words for it), or
/// the end it met.
pub enum Next {
    Done { action: Action, words: String },
    Failed(String),
    Bad(String),
}

/// fork.py's `Forker`: the tree, the names and the options that change
/// how actions act.
pub struct Forker {
    pub names: Names,
    pub tree: Tree,
    pub root: Id,
    leaf_only: bool,
    local_reparent: bool,
}

impl Forker {
    /// The root process `a` alone.
    pub fn new(leaf_only: bool, local_reparent: bool) -> Self {
        let mut names = Names::default();
        let root = names.intern("a");
        Forker {
            tree: Tree::new(root),
            names,
            root,
            leaf_only,
            local_reparent,
        }
    }

    /// The actions of a run: `-A`'s list when given, else `max_actions`
    /// generated with `rng`.
    pub fn actions<'a>(
        &mut self,
        options: &'a Options,
        rng: &mut PyRandom,
    ) -> Result<Actions<'a>, Stop> {
        if !options.action_list.is_empty() {
            return Ok(Actions::Listed(options.action_list.split(',')));
        }
        let max = match options.actions.to_i64() {
            Some(n) => u64::try_from(n).unwrap_or(0),
            None if options.actions.negative => 0,
            None => u64::MAX,
        };
        let generated = generate::generate(
            rng,
            options.fork_percentage,
            max,
            self.root,
            &mut self.names,
        )?;
        Ok(Actions::Generated(generated.into_iter()))
    }

    /// Does one action and says it as fork.py does (`a forks b`, `b
    /// EXITS`, `b EXITS (failed: has children)`).
    pub fn act(&mut self, action: &Action) -> Result<String, End> {
        match *action {
            Action::Fork(p, c) => {
                self.tree.fork(p, c).map_err(End::Stop)?;
                Ok(format!(
                    "{} forks {}",
                    self.names.name(p),
                    self.names.name(c)
                ))
            }
            Action::Exit(p) => {
                let name = self.names.name(p).to_string();
                if self.leaf_only {
                    match self.tree.list_state(p) {
                        model::Slot::Live => {}
                        _ => {
                            return Err(End::Stop(Stop::Exception {
                                kind: "TypeError",
                                detail: "object of type 'int' has no len()".into(),
                            }))
                        }
                    }
                    if self.tree.child_count(p) > 0 {
                        return Ok(format!("{name} EXITS (failed: has children)"));
                    }
                }
                if p == self.root {
                    return Err(End::Exit1);
                }
                self.tree.exit(p, self.local_reparent).map_err(End::Stop)?;
                Ok(format!("{name} EXITS"))
            }
        }
    }

    /// The next action of `actions`, checked as fork.py checks it: its
    /// form, and that its actor is alive. `Err` carries fork.py's message.
    pub fn next_action(&mut self, actions: &mut Actions<'_>) -> Option<Result<Action, String>> {
        match actions {
            Actions::Generated(list) => list.next().map(Ok),
            Actions::Listed(list) => {
                let text = list.next()?;
                let bad = || {
                    Err(format!(
                        "bad action ({text}), must be X+Y or X- where X and Y are processes\n"
                    ))
                };
                Some(match read_action(text) {
                    Parsed1::Bad => bad(),
                    Parsed1::Fork(p, c) => {
                        let p = self.names.intern(p);
                        if !self.tree.is_listed(p) {
                            return Some(bad());
                        }
                        Ok(Action::Fork(p, self.names.intern(c)))
                    }
                    Parsed1::Exit(p) => {
                        let p = self.names.intern(p);
                        if !self.tree.is_listed(p) {
                            return Some(bad());
                        }
                        Ok(Action::Exit(p))
                    }
                })
            }
        }
    }
}

impl Forker {
    /// The next action of `actions` done, with fork.py's words for it; or
    /// how fork.py ends there, its message (a bad action, the root's
    /// exit) written to `out` first, as fork.py prints it.
    pub fn step(
        &mut self,
        actions: &mut Actions<'_>,
        out: &mut dyn Sink,
    ) -> Option<Result<(Action, String), End>> {
        let action = match self.next_action(actions)? {
            Ok(action) => action,
            Err(message) => {
                out.text(&message);
                return Some(Err(End::Exit1));
            }
        };
        Some(match self.act(&action) {
            Ok(words) => Ok((action, words)),
            Err(End::Exit1) => {
                out.text("root process: cannot exit\n");
                Err(End::Exit1)
            }
            Err(stop) => Err(stop),
        })
    }
}

/// What ends a run, in a sentence: fork.py's message (what it printed,
/// in `said`) or the Python error it stops with.
pub(crate) fn end_text(end: End, said: &str) -> String {
    match end {
        End::Exit1 => said.trim_end().to_string(),
        End::Stop(stop) => stop.to_string(),
    }
}

/// fork.py's whole run with parsed options: `rng` is the generator as
/// fork.py's would be (seeded with `-s` unless it is -1; the caller seeds
/// it from the OS then). Writes stdout to `out`.
pub fn run(options: &Options, rng: &mut PyRandom, out: &mut dyn Sink) -> Outcome {
    if options.fork_percentage <= 0.001 {
        out.text("fork_percentage must be > 0.001\n");
        return Outcome::Exit1;
    }
    out.text(&format!(
        "\nARG seed {}\nARG fork_percentage {}\nARG actions {}\nARG action_list {}\n\
         ARG show_tree {}\nARG just_final {}\nARG leaf_only {}\nARG local_reparent {}\n\
         ARG print_style {}\nARG solve {}\n\n",
        options.seed.to_decimal(),
        float_repr(options.fork_percentage),
        options.actions.to_decimal(),
        options.action_list,
        python_bool(options.show_tree),
        python_bool(options.just_final),
        python_bool(options.leaf_only),
        python_bool(options.local_reparent),
        options.print_style,
        python_bool(options.solve),
    ));
    match run_forker(options, rng, out) {
        Ok(()) => Outcome::Done,
        Err(End::Exit1) => Outcome::Exit1,
        Err(End::Stop(stop)) => Outcome::Stopped(stop),
    }
}

fn run_forker(options: &Options, rng: &mut PyRandom, out: &mut dyn Sink) -> Result<(), End> {
    let mut forker = Forker::new(options.leaf_only, options.local_reparent);
    let style = options.print_style.as_str();
    out.text(TREE_HEADER);
    print_tree(&forker.tree, &forker.names, style, out)?;
    out.text("\n");
    let mut actions = forker.actions(options, rng).map_err(End::Stop)?;
    while let Some(step) = forker.step(&mut actions, out) {
        let (_, words) = step?;
        if options.show_tree {
            if options.solve {
                out.text(&format!("Action: {words}\n"));
            } else {
                out.text("Action?\n");
            }
            if !options.just_final {
                print_tree(&forker.tree, &forker.names, style, out)?;
            }
        } else {
            out.text(&format!("Action: {words}\n"));
            if !options.just_final {
                if options.solve {
                    print_tree(&forker.tree, &forker.names, style, out)?;
                } else {
                    out.text("Process Tree?\n");
                }
            }
        }
    }
    if options.just_final {
        if options.show_tree || options.solve {
            out.text(FINAL_HEADER);
            print_tree(&forker.tree, &forker.names, style, out)?;
            out.text("\n");
        } else {
            out.text("\n                        Final Process Tree?\n\n");
        }
    }
    Ok(())
}
