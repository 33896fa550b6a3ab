//! fork.py's command line, read as Python's optparse reads it: short
//! options alone or clustered (`-tc`, `-s5`), long ones in full, as a
//! unique prefix (`--se 5`) or with `=` (`--seed=5`), a value taken from
//! the next argument whatever it looks like (`-s -5`), `--` ending the
//! options, other arguments accepted and ignored; `-h` printing the help.
//! Errors are optparse's own messages, for stderr with status 2.
//!
//! The help is optparse's layout at its default width (80 columns, no
//! `COLUMNS` in the environment): its text is fork.py's, as it prints it.

use super::pynum::{self, PyInt};

/// fork.py's settings, with its defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// `-s`: the seed; -1 means none (Python seeds itself from the OS).
    pub seed: PyInt,
    /// `-f`: the share of generated actions that are forks.
    pub fork_percentage: f64,
    /// `-A`: the actions, comma-separated; empty to generate them.
    pub action_list: String,
    /// `-a`: how many actions to generate.
    pub actions: PyInt,
    /// `-t`: show the trees and ask for the actions.
    pub show_tree: bool,
    /// `-P`: basic, line1, line2 or fancy (anything else fails when the
    /// first tree is printed).
    pub print_style: String,
    /// `-F`: only the final tree.
    pub just_final: bool,
    /// `-L`: only a process without children may exit.
    pub leaf_only: bool,
    /// `-R`: an exiting process's children go to its parent.
    pub local_reparent: bool,
    /// `-c`: show the answers.
    pub solve: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            seed: PyInt::from_i64(-1),
            fork_percentage: 0.7,
            action_list: String::new(),
            actions: PyInt::from_i64(5),
            show_tree: false,
            print_style: "fancy".into(),
            just_final: false,
            leaf_only: false,
            local_reparent: false,
            solve: false,
        }
    }
}

/// What reading the command line came to.
#[derive(Clone, Debug, PartialEq)]
pub enum Parsed {
    /// Run with these options.
    Run(Options),
    /// `-h`: print this on stdout and exit 0.
    Help(String),
    /// A usage error: print this on stderr and exit 2.
    Error(String),
}

/// The program name optparse puts in its usage and errors: fork.py's, so
/// that the text is the same.
const PROG: &str = "fork.py";

/// optparse's help for fork.py at the default width.
const HELP: &str = "Usage: fork.py [options]

Options:
  -h, --help            show this help message and exit
  -s SEED, --seed=SEED  the random seed
  -f FORK_PERCENTAGE, --forks=FORK_PERCENTAGE
                        percent of actions that are forks (not exits)
  -A ACTION_LIST, --action_list=ACTION_LIST
                        action list, instead of randomly generated ones
                        (format: a+b,b+c,b- means a fork b, b fork c, b exit)
  -a ACTIONS, --actions=ACTIONS
                        number of forks/exits to do
  -t, --show_tree       show tree (not actions)
  -P PRINT_STYLE, --print_style=PRINT_STYLE
                        tree print style (basic, line1, line2, fancy)
  -F, --final_only      just show final state
  -L, --leaf_only       only leaf processes exit
  -R, --local_reparent  reparent to local parent
  -c, --compute         compute answers for me
";

/// One of fork.py's options.
#[derive(Clone, Copy, PartialEq)]
enum Opt {
    Help,
    Seed,
    Forks,
    ActionList,
    Actions,
    ShowTree,
    PrintStyle,
    FinalOnly,
    LeafOnly,
    LocalReparent,
    Compute,
}

/// The options by short letter and by long name (sorted, as optparse
/// lists the candidates of an ambiguous prefix).
const SHORT: [(char, Opt); 11] = [
    ('h', Opt::Help),
    ('s', Opt::Seed),
    ('f', Opt::Forks),
    ('A', Opt::ActionList),
    ('a', Opt::Actions),
    ('t', Opt::ShowTree),
    ('P', Opt::PrintStyle),
    ('F', Opt::FinalOnly),
    ('L', Opt::LeafOnly),
    ('R', Opt::LocalReparent),
    ('c', Opt::Compute),
];
const LONG: [(&str, Opt); 11] = [
    ("--action_list", Opt::ActionList),
    ("--actions", Opt::Actions),
    ("--compute", Opt::Compute),
    ("--final_only", Opt::FinalOnly),
    ("--forks", Opt::Forks),
    ("--help", Opt::Help),
    ("--leaf_only", Opt::LeafOnly),
    ("--local_reparent", Opt::LocalReparent),
    ("--print_style", Opt::PrintStyle),
    ("--seed", Opt::Seed),
    ("--show_tree", Opt::ShowTree),
];

impl Opt {
    fn takes_value(self) -> bool {
        matches!(
            self,
            Opt::Seed | Opt::Forks | Opt::ActionList | Opt::Actions | Opt::PrintStyle
        )
    }
}

/// An optparse error, as it reaches stderr.
fn error(message: &str) -> Parsed {
    Parsed::Error(format!(
        "Usage: {PROG} [options]\n\n{PROG}: error: {message}\n"
    ))
}

/// Reads fork.py's arguments (without the program name).
pub fn parse(args: &[String]) -> Parsed {
    let mut options = Options::default();
    let mut rest: std::collections::VecDeque<String> = args.iter().cloned().collect();
    while let Some(arg) = rest.pop_front() {
        if arg == "--" {
            break;
        } else if let Some(long) = arg.strip_prefix("--") {
            let (typed, explicit) = match long.split_once('=') {
                Some((name, value)) => (format!("--{name}"), Some(value.to_string())),
                None => (arg.clone(), None),
            };
            let (name, opt) = match match_long(&typed) {
                Ok(found) => found,
                Err(message) => return error(&message),
            };
            let value = if opt.takes_value() {
                match explicit.or_else(|| rest.pop_front()) {
                    Some(value) => Some(value),
                    None => return error(&format!("{name} option requires 1 argument")),
                }
            } else if explicit.is_some() {
                return error(&format!("{name} option does not take a value"));
            } else {
                None
            };
            if let Some(done) = apply(&mut options, opt, name, value) {
                return done;
            }
        } else if arg.len() > 1 && arg.starts_with('-') {
            let letters: Vec<(usize, char)> = arg.char_indices().skip(1).collect();
            for (at, letter) in letters {
                let Some(&(_, opt)) = SHORT.iter().find(|(c, _)| *c == letter) else {
                    return error(&format!("no such option: -{letter}"));
                };
                let name = format!("-{letter}");
                if opt.takes_value() {
                    let after = &arg[at + letter.len_utf8()..];
                    let value = if !after.is_empty() {
                        after.to_string()
                    } else if let Some(next) = rest.pop_front() {
                        next
                    } else {
                        return error(&format!("{name} option requires 1 argument"));
                    };
                    if let Some(done) = apply(&mut options, opt, &name, Some(value)) {
                        return done;
                    }
                    break;
                }
                if let Some(done) = apply(&mut options, opt, &name, None) {
                    return done;
                }
            }
        }
        // Any other argument is a positional one, which fork.py ignores.
    }
    Parsed::Run(options)
}

/// A long option as typed, or the one option it is a prefix of.
fn match_long(typed: &str) -> Result<(&'static str, Opt), String> {
    if let Some(&(name, opt)) = LONG.iter().find(|(name, _)| *name == typed) {
        return Ok((name, opt));
    }
    let candidates: Vec<&(&str, Opt)> = LONG
        .iter()
        .filter(|(name, _)| name.starts_with(typed))
        .collect();
    match candidates.as_slice() {
        [] => Err(format!("no such option: {typed}")),
        [(name, opt)] => Ok((name, *opt)),
        many => {
            let names: Vec<&str> = many.iter().map(|(name, _)| *name).collect();
            Err(format!("ambiguous option: {typed} ({}?)", names.join(", ")))
        }
    }
}

/// Sets one option; `Some` when reading ends here (help or a bad value).
fn apply(options: &mut Options, opt: Opt, name: &str, value: Option<String>) -> Option<Parsed> {
    let value = value.unwrap_or_default();
    let bad_int = || {
        let shown = pynum::str_repr(&value);
        Some(error(&format!(
            "option {name}: invalid integer value: {shown}"
        )))
    };
    match opt {
        Opt::Help => return Some(Parsed::Help(HELP.into())),
        Opt::Seed => match pynum::parse_optparse_int(&value) {
            Some(n) => options.seed = n,
            None => return bad_int(),
        },
        Opt::Actions => match pynum::parse_optparse_int(&value) {
            Some(n) => options.actions = n,
            None => return bad_int(),
        },
        Opt::Forks => match pynum::parse_float(&value) {
            Some(f) => options.fork_percentage = f,
            None => {
                let shown = pynum::str_repr(&value);
                return Some(error(&format!(
                    "option {name}: invalid floating-point value: {shown}"
                )));
            }
        },
        Opt::ActionList => options.action_list = value,
        Opt::PrintStyle => options.print_style = value,
        Opt::ShowTree => options.show_tree = true,
        Opt::FinalOnly => options.just_final = true,
        Opt::LeafOnly => options.leaf_only = true,
        Opt::LocalReparent => options.local_reparent = true,
        Opt::Compute => options.solve = true,
    }
    None
}
