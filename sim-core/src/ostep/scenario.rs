//! An action list as a scenario of the language: `process a`, then per
//! action `P: fork C`, or `X: exit 0` and its parent's `wait X` (fork.py's
//! exit leaves no zombie). The scenario runs Linux's rules with `a` as a
//! subreaper (`a: subreaper`, as `--unix` has it): an orphan goes to `a`
//! and keeps its own children, and `a` waits for it when it exits; each
//! orphaning is followed by `expect C parent a`, which `forkscope check`
//! judges on the kernel too.
//!
//! Names: fork.py's names are letters (any text in `-A`); the language's
//! start with a lowercase letter, then lowercase letters, digits, `_`, `-`.
//! A capital becomes its small letter and a `_` after it (`aB` -> `ab_`),
//! a name that is a word of the language (or `init`) gets a `-` after it,
//! and a name forked again after it exited gets `-2`, `-3`..: no two names
//! of fork.py meet in one. Other names (a digit first, a space) are
//! refused with a message.

use super::names::Id;
use super::{Action, Forker, Options, PyRandom};
use crate::scenario::keyword;

/// The language's limit on a scenario's size (docs/scenario-language.md).
const MAX_BYTES: usize = 1 << 20;

/// fork.py's actions for `options` as a scenario's text, or why they
/// cannot be one.
pub fn scenario(options: &Options, rng: &mut PyRandom) -> Result<String, String> {
    scenario_and_lines(options, rng).map(|(text, _)| text)
}

/// The scenario, and the line each action begins on (its fork, its exit,
/// or the `say` of an exit refused with `-L`; the `expect`s and the `wait`
/// after an exit belong to it).
pub fn scenario_and_lines(
    options: &Options,
    rng: &mut PyRandom,
) -> Result<(String, Vec<u32>), String> {
    let mut forker = Forker::new(options.leaf_only, options.local_reparent);
    let root = forker.root;
    let mut actions = forker
        .actions(options, rng)
        .map_err(|stop| stop.to_string())?;
    let mut text = String::new();
    text.push_str("title OSTEP fork.py actions, run with Linux's rules\n");
    text.push_str(
        "say Made by forkscope ostep --scenario. fork.py's X- is X's exit and its parent's wait.\n",
    );
    text.push_str("say a is a subreaper, as in forkscope ostep --unix: an orphan goes to a, and keeps its children.\n");
    text.push_str("process a\na: subreaper\n");
    // The Linux tree: each live process's parent (None: init).
    let mut parent: Vec<Option<Option<Id>>> = vec![Some(None)];
    let mut lives: Vec<u32> = vec![1];
    let mut spelled: Vec<String> = vec!["a".into()];
    let reserved: Vec<&str> = keyword::all().iter().map(|k| k.word).collect();
    let mut starts: Vec<usize> = Vec::new();
    let mut said = String::new();
    while let Some(step) = forker.step(&mut actions, &mut said) {
        let (action, words) = step.map_err(|end| super::end_text(end, &said))?;
        starts.push(text.len());
        match action {
            Action::Fork(p, c) => {
                let slot = c as usize;
                if parent.len() <= slot {
                    parent.resize(slot + 1, None);
                    lives.resize(slot + 1, 0);
                    spelled.resize(slot + 1, String::new());
                }
                if parent[slot].is_some() || c == root {
                    return Err(format!(
                        "{} is forked while it is alive: not a Linux process tree",
                        forker.names.name(c)
                    ));
                }
                lives[slot] += 1;
                spelled[slot] = scenario_name(forker.names.name(c), lives[slot], &reserved)?;
                parent[slot] = Some(Some(p));
                text.push_str(&format!(
                    "{}: fork {}\n",
                    spelled[p as usize], spelled[slot]
                ));
            }
            Action::Exit(x) if words.ends_with("(failed: has children)") => {
                text.push_str(&format!(
                    "say {} does not exit: it has children (-L)\n",
                    spelled[x as usize]
                ));
            }
            Action::Exit(x) => {
                let name = spelled[x as usize].clone();
                text.push_str(&format!("{name}: exit 0\n"));
                let orphans: Vec<usize> = (0..parent.len())
                    .filter(|o| parent[*o] == Some(Some(x)))
                    .collect();
                for o in &orphans {
                    parent[*o] = Some(Some(root));
                    text.push_str(&format!("expect {} parent a\n", spelled[*o]));
                }
                if let Some(Some(p)) = parent[x as usize] {
                    text.push_str(&format!("{}: wait {name}\n", spelled[p as usize]));
                }
                parent[x as usize] = None;
            }
        }
        if text.len() > MAX_BYTES {
            return Err(format!(
                "the scenario would be over the language's limit of {MAX_BYTES} bytes: use fewer actions"
            ));
        }
    }
    // Byte offsets to line numbers, in one pass.
    let mut lines = Vec::with_capacity(starts.len());
    let mut line = 1;
    let mut at = 0;
    for start in starts {
        line += text.as_bytes()[at..start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u32;
        at = start;
        lines.push(line);
    }
    Ok((text, lines))
}

/// fork.py's `name` as a name of the language, for its `life`-th fork.
fn scenario_name(name: &str, life: u32, reserved: &[&str]) -> Result<String, String> {
    let first_is_letter = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    if !first_is_letter || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(format!(
            "process name \"{name}\" has no scenario spelling: a scenario name is letters and digits, a letter first"
        ));
    }
    let mut out = String::new();
    for c in name.chars() {
        out.push(c.to_ascii_lowercase());
        if c.is_ascii_uppercase() {
            out.push('_');
        }
    }
    if reserved.contains(&out.as_str()) {
        out.push('-');
    }
    if life > 1 {
        out.push_str(&format!("-{life}"));
    }
    Ok(out)
}
