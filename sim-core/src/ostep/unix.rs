//! `forkscope ostep --unix`: fork.py's actions as Linux runs them, beside
//! fork.py's trees, saying after each action where the two differ.
//!
//! What is modelled: `a` is a child subreaper (PR_SET_CHILD_SUBREAPER),
//! so an orphan goes to `a` (find_new_reaper: the nearest subreaper
//! ancestor) and keeps its own children; fork.py's `X-` is X's exit and
//! its parent's wait at once, so no zombie stays in the tree. fork.py
//! instead moves every descendant of X to `a` (flattened), or with `-R`
//! X's children to X's parent. `-L` refuses an exit the same way in both.
//!
//! Linux has no second process of one name: an action list that forks a
//! name already used is refused here (fork.py lists such a name twice).

use super::model::Tree;
use super::names::Id;
use super::print::{print_tree, End};
use super::{float_repr, python_bool, Action, Forker, Options, Outcome, PyRandom, Sink};

/// The most processes named in one difference line before "and N more".
const SHOWN: usize = 8;

/// The --unix run: fork.py's header, then each action with both trees.
pub fn run(options: &Options, rng: &mut PyRandom, out: &mut dyn Sink) -> Outcome {
    if options.fork_percentage <= 0.001 {
        out.text("fork_percentage must be > 0.001\n");
        return Outcome::Exit1;
    }
    out.text(&format!(
        "\nARG seed {}\nARG fork_percentage {}\nARG actions {}\nARG action_list {}\n\
         ARG leaf_only {}\nARG local_reparent {}\nARG print_style {}\nARG unix True\n\n",
        options.seed.to_decimal(),
        float_repr(options.fork_percentage),
        options.actions.to_decimal(),
        options.action_list,
        python_bool(options.leaf_only),
        python_bool(options.local_reparent),
        options.print_style,
    ));
    match compare(options, rng, out) {
        Ok(()) => Outcome::Done,
        Err(End::Exit1) => Outcome::Exit1,
        Err(End::Stop(stop)) => Outcome::Stopped(stop),
    }
}

fn compare(options: &Options, rng: &mut PyRandom, out: &mut dyn Sink) -> Result<(), End> {
    let style = options.print_style.as_str();
    let mut forker = Forker::new(options.leaf_only, options.local_reparent);
    let root = forker.root;
    let mut linux = Tree::new(root);
    let mut used: Vec<bool> = vec![true];
    out.text("                           Process Tree:\n");
    print_tree(&forker.tree, &forker.names, style, out)?;
    out.text("\n");
    let mut actions = forker.actions(options, rng).map_err(End::Stop)?;
    while let Some(next) = forker.next_action(&mut actions) {
        let action = match next {
            Ok(action) => action,
            Err(message) => {
                out.text(&message);
                return Err(End::Exit1);
            }
        };
        if let Action::Fork(_, c) = action {
            if used.len() <= c as usize {
                used.resize(c as usize + 1, false);
            }
            if used[c as usize] {
                let name = forker.names.name(c);
                out.text(&format!(
                    "{name} is forked again: on Linux every fork makes a new process, so --unix needs a new name for each\n"
                ));
                return Err(End::Exit1);
            }
            used[c as usize] = true;
        }
        let words = match forker.act(&action) {
            Ok(words) => words,
            Err(End::Exit1) => {
                out.text("root process: cannot exit\n");
                return Err(End::Exit1);
            }
            Err(e) => return Err(e),
        };
        let refused = words.ends_with("(failed: has children)");
        match action {
            Action::Fork(p, c) => linux.fork(p, c).map_err(End::Stop)?,
            Action::Exit(p) if !refused => linux.exit_to_reaper(p, root),
            Action::Exit(_) => {}
        }
        out.text(&format!("Action: {words}\n"));
        if !options.just_final {
            show(&forker, &linux, action, style, out)?;
        }
    }
    if options.just_final {
        out.text("\n                        Final Process Trees:\n");
        show(&forker, &linux, Action::Fork(root, root), style, out)?;
    }
    Ok(())
}

/// Both trees after an action, or one when they are drawn the same, and
/// the processes whose parent differs.
fn show(
    forker: &Forker,
    linux: &Tree,
    action: Action,
    style: &str,
    out: &mut dyn Sink,
) -> Result<(), End> {
    let mut ours = String::new();
    let mut theirs = String::new();
    print_tree(&forker.tree, &forker.names, style, &mut ours)?;
    print_tree(linux, &forker.names, style, &mut theirs)?;
    if ours == theirs {
        out.text("  fork.py and Linux: the same tree\n");
        out.text(&ours);
        return Ok(());
    }
    out.text("  fork.py:\n");
    out.text(&ours);
    let exited = match action {
        Action::Exit(p) => format!("; {} is reaped by its parent at once", forker.names.name(p)),
        Action::Fork(..) => String::new(),
    };
    out.text(&format!("  Linux (a is a subreaper{exited}):\n"));
    out.text(&theirs);
    let moved = differences(forker, linux);
    if moved.is_empty() {
        out.text("  where they differ: the same parents, the children in another order\n");
    } else {
        let mut line = String::from("  where they differ:");
        for (i, (name, on_linux, in_forkpy)) in moved.iter().take(SHOWN).enumerate() {
            let sep = if i == 0 { " " } else { "; " };
            line.push_str(&format!(
                "{sep}{name}'s parent is {on_linux} on Linux, {in_forkpy} in fork.py"
            ));
        }
        if moved.len() > SHOWN {
            line.push_str(&format!("; and {} more", moved.len() - SHOWN));
        }
        line.push('\n');
        out.text(&line);
    }
    Ok(())
}

/// The live processes whose parent is not the same in the two trees, in
/// the order of the Linux tree (preorder).
fn differences(forker: &Forker, linux: &Tree) -> Vec<(String, String, String)> {
    let mut found = Vec::new();
    let mut stack: Vec<Id> = vec![forker.root];
    while let Some(node) = stack.pop() {
        let kids: Vec<Id> = linux.children(node).collect();
        for kid in kids.iter().rev() {
            stack.push(*kid);
        }
        let (Some(l), Some(f)) = (linux.parent_of(node), forker.tree.parent_of(node)) else {
            continue;
        };
        if l != f {
            let name = |id: Id| forker.names.name(id).to_string();
            found.push((name(node), name(l), name(f)));
        }
    }
    found
}
