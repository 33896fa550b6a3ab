//! The JavaScript `check --node` runs: one file per program (a `node NAME`
//! process runs `NAME.js`; a forked child runs the module its `fork()`
//! names, `./worker.js`), each a table of the statements every process
//! running that file takes, by statement number, run one per command from
//! forkscope (harness.js). Values are written by `JsValue::to_js`, the
//! same source the value tests send through real node.
//!
//! Also the plan of the run: what forkscope does at each statement
//! (start a node, run a statement in its actor, judge an expect). A
//! scenario with a statement node cannot run (a kernel call by a process
//! that runs no node, say) is refused here, with its line, before
//! anything starts.

use sim_core::node::JsValue;
use sim_core::scenario::ast::{Action, Expect, Op, Pos, Scenario, Statement, StatementKind};
use sim_core::scenario::node_syntax::{NodeObject, NodeStmt, Via};
use sim_core::scenario::worker_syntax::PostValue;
use std::collections::BTreeMap;

/// The harness every program loads (written next to them).
pub(super) const HARNESS: &str = include_str!("harness.js");
/// Its file name in the run's directory.
pub(super) const HARNESS_FILE: &str = "forkscope-harness.js";

/// What forkscope does at one statement of the scenario.
#[derive(Clone, Debug)]
pub(super) enum Todo {
    /// `node NAME`: start node on `file`, named `name`.
    Start { name: String, file: String },
    /// A statement `actor` runs in node. `ends` when it ends the actor
    /// (`process.exit`), so no 'ran' comes back; `forks` names the child
    /// it makes, whose harness must say hello.
    Run {
        actor: String,
        ends: bool,
        forks: Option<String>,
    },
    /// An expect: Node event expects are judged on node's events.
    Expect(Box<Expect>),
    /// A `say` line: nothing to run.
    Nothing,
}

/// One statement of the plan, with where it is and its text.
#[derive(Clone, Debug)]
pub(super) struct Planned {
    pub pos: Pos,
    pub source: String,
    pub todo: Todo,
}

/// The programs to write and the plan to run them by.
#[derive(Debug)]
pub(super) struct Programs {
    /// (file path relative to the run's directory, its text).
    pub files: Vec<(String, String)>,
    pub plan: Vec<Planned>,
    /// What a statement runs differently from the model, said once in the
    /// report (a kernel `signal ... ignore` is a JS listener in node).
    pub notes: Vec<String>,
    /// A spawned program's statements (their position) folded into its
    /// spawn's (that position): their model events are expected there.
    pub folded: Vec<(Pos, Pos)>,
}

/// Why a scenario cannot be run in node: a message at a place.
#[derive(Clone, Debug)]
pub(super) struct Refused {
    pub pos: Pos,
    pub message: String,
}

/// A module path `fork()` may name here: relative, inside the run's
/// directory, not the harness.
fn module_file(module: &JsValue, pos: Pos) -> Result<String, Refused> {
    let refuse = |why: &str| Refused {
        pos,
        message: format!(
            "check --node writes the modules it runs into its own directory, so {why}"
        ),
    };
    let JsValue::String(path) = module else {
        return Err(refuse("fork() must name its module by a string"));
    };
    let rel = path.strip_prefix("./").unwrap_or(path);
    if rel.is_empty()
        || path.starts_with('/')
        || rel
            .split('/')
            .any(|part| part == ".." || part == "." || part.is_empty())
    {
        return Err(refuse(&format!(
            "the module \"{path}\" must be a relative path inside it, like './worker.js'"
        )));
    }
    if rel == HARNESS_FILE {
        return Err(refuse(&format!("\"{path}\" is taken by its harness")));
    }
    Ok(rel.to_string())
}

/// A JavaScript string literal.
fn js_string(s: &str) -> String {
    serde_json::to_string(s).expect("a string serialises")
}

/// Build the programs and the plan of `scenario`.
pub(super) fn build(scenario: &Scenario) -> Result<Programs, Refused> {
    // Which file each node process runs, and its statements by number.
    let mut file_of: BTreeMap<String, String> = BTreeMap::new();
    let mut tables: BTreeMap<String, BTreeMap<String, Vec<(usize, String)>>> = BTreeMap::new();
    let mut plan = Vec::new();
    let mut notes = Vec::new();
    // The children made by spawn(), exec() or execFile() (real programs,
    // run by themselves), with their spawn's position; and the statements
    // folded into a spawn's.
    let mut spawned: Vec<(String, Pos)> = Vec::new();
    let mut folded: Vec<(Pos, Pos)> = Vec::new();
    // The processes that run no node (`process NAME` and their kernel
    // fork children): the kernel's alone, not run here (`kernel_only`).
    let mut kernel: Vec<String> = Vec::new();
    for (i, stmt) in scenario.statements.iter().enumerate() {
        let pos = stmt.pos;
        let source = stmt.to_string();
        // A spawned program is the real one and runs by itself: its
        // statements (what it writes, its exit) are not run but folded
        // into its spawn's, whose window then waits for their events; only
        // statements right after that spawn can be, since the real program
        // does not wait for the statements between.
        if let StatementKind::Op { actor, .. } = &stmt.kind {
            if let Some((_, owner)) = spawned.iter().find(|(c, _)| *c == actor.text) {
                let next_to_it = plan.last().is_some_and(|p: &Planned| {
                    p.pos == *owner || folded.iter().any(|(f, _)| *f == p.pos)
                });
                if !next_to_it {
                    return Err(Refused {
                        pos,
                        message: format!(
                            "{} is a real program here (spawned), which writes and exits by itself, not a statement at a time: check --node can hold \"{source}\" only right after its spawn (and its other statements), with no statement or expect between; `forkscope check` replays it on the kernel",
                            actor.text
                        ),
                    });
                }
                folded.push((pos, *owner));
                notes.push(format!(
                    "line {}: \"{source}\" is what the real {} does by itself: its events are compared with its spawn's (line {})",
                    pos.line, actor.text, owner.line
                ));
                plan.push(Planned {
                    pos,
                    source,
                    todo: Todo::Nothing,
                });
                continue;
            }
        }
        if let Some(todo) = kernel_only(stmt, &source, &mut kernel, &file_of, &mut notes)? {
            plan.push(Planned { pos, source, todo });
            continue;
        }
        let not_node = |actor: &str| {
            Refused {
            pos,
            message: format!(
                "{actor} runs no node here: check --node runs node processes only (`node NAME` and children made by fork())"
            ),
        }
        };
        let mut code = |actor: &str, js: String| -> Result<(), Refused> {
            let file = file_of.get(actor).ok_or_else(|| not_node(actor))?;
            tables
                .entry(file.clone())
                .or_default()
                .entry(actor.to_string())
                .or_default()
                .push((i, js));
            Ok(())
        };
        let todo = match &stmt.kind {
            StatementKind::NodeProcess { name } => {
                let file = format!("{}.js", name.text);
                file_of.insert(name.text.clone(), file.clone());
                Todo::Start {
                    name: name.text.clone(),
                    file,
                }
            }
            StatementKind::Node { actor, stmt: node } => {
                let actor = actor.text.as_str();
                let (js, ends, forks) = match node {
                    NodeStmt::Fork {
                        child,
                        module,
                        options,
                    } => {
                        let file = module_file(&module.value, module.pos)?;
                        let JsValue::String(path) = &module.value else {
                            unreachable!("module_file accepts strings only")
                        };
                        let options = options
                            .as_ref()
                            .map_or_else(String::new, |o| format!(", {}", o.value.to_js()));
                        let js = format!(
                            "h.fork({}, {}{options})",
                            js_string(path),
                            js_string(&child.text)
                        );
                        (js, false, Some((child.text.clone(), file)))
                    }
                    // spawn() of node with an 'ipc' slot: a node child with
                    // a channel, as fork()'s, running its module's harness
                    // (the module is its first argument).
                    NodeStmt::Spawn {
                        via: Via::Spawn,
                        child,
                        command,
                        args,
                        options,
                    } if NodeStmt::ipc_slot(options).is_some() => {
                        let first = match args.as_ref().map(|a| &a.value) {
                            Some(JsValue::Array(items)) => items.first().cloned(),
                            _ => None,
                        };
                        let module = first.unwrap_or(JsValue::Undefined);
                        let at = args.as_ref().map_or(command.pos, |a| a.pos);
                        let file = module_file(&module, at)?;
                        let js = format!(
                            "h.spawnNode({}, {}, {}, {})",
                            command.value.to_js(),
                            args.as_ref().map_or("[]".to_string(), |a| a.value.to_js()),
                            options.as_ref().map_or("{}".to_string(), |o| o.value.to_js()),
                            js_string(&child.text)
                        );
                        (js, false, Some((child.text.clone(), file)))
                    }
                    // A spawned program is the real one, not a node: it
                    // says no hello and runs no statement.
                    NodeStmt::Spawn {
                        via,
                        child,
                        command,
                        args,
                        options,
                    } => {
                        let value = |v: &Option<Box<sim_core::scenario::node_syntax::NodeValue>>, none: &str| {
                            v.as_ref().map_or(none.to_string(), |v| v.value.to_js())
                        };
                        spawned.push((child.text.clone(), pos));
                        let js = match via {
                            Via::Spawn => format!(
                                "h.spawn({}, {}, {}, {})",
                                command.value.to_js(),
                                value(args, "[]"),
                                value(options, "{}"),
                                js_string(&child.text)
                            ),
                            _ => format!(
                                "h.exec({}, {}, {}, {}, {})",
                                js_string(via.function()),
                                command.value.to_js(),
                                value(args, "[]"),
                                value(options, "{}"),
                                js_string(&child.text)
                            ),
                        };
                        (js, false, None)
                    }
                    NodeStmt::Send { to, message, more } => {
                        let target = match to {
                            NodeObject::Child { name } => format!("o[{}]", js_string(&name.text)),
                            NodeObject::Process | NodeObject::ParentPort => "process".to_string(),
                        };
                        // Several sends run in one tick, as written.
                        let js: Vec<String> = std::iter::once(message)
                            .chain(more)
                            .map(|m| format!("{target}.send({})", m.value.to_js()))
                            .collect();
                        (js.join("; "), false, None)
                    }
                    NodeStmt::Exit { code } => {
                        let arg = code.as_ref().map(|c| c.value.to_js()).unwrap_or_default();
                        (format!("process.exit({arg})"), true, None)
                    }
                    NodeStmt::Kill { child, signal } => {
                        let arg = signal.as_ref().map(|s| s.value.to_js()).unwrap_or_default();
                        (format!("o[{}].kill({arg})", js_string(&child.text)), false, None)
                    }
                    NodeStmt::Disconnect { on } => {
                        let target = match on {
                            NodeObject::Child { name } => format!("o[{}]", js_string(&name.text)),
                            NodeObject::Process | NodeObject::ParentPort => "process".to_string(),
                        };
                        (format!("{target}.disconnect()"), false, None)
                    }
                    NodeStmt::Worker {
                        worker,
                        module,
                        data,
                    } => {
                        let file = module_file(&module.value, module.pos)?;
                        let JsValue::String(path) = &module.value else {
                            unreachable!("module_file accepts strings only")
                        };
                        let data = data
                            .as_ref()
                            .map_or("null".to_string(), |d| js_string(&d.text));
                        let js = format!(
                            "h.worker({}, {}, {data})",
                            js_string(path),
                            js_string(&worker.text)
                        );
                        (js, false, Some((worker.text.clone(), file)))
                    }
                    NodeStmt::Array {
                        name,
                        kind,
                        bytes,
                        shared,
                    } => {
                        let made = if *shared {
                            format!("new {}(new SharedArrayBuffer({bytes}))", kind.name())
                        } else {
                            format!("new {}({})", kind.name(), bytes / kind.element_bytes())
                        };
                        (format!("h.vars[{}] = {made}", js_string(&name.text)), false, None)
                    }
                    NodeStmt::Store {
                        array,
                        index,
                        value,
                        atomics,
                    } => {
                        let array = format!("h.vars[{}]", js_string(&array.text));
                        let value = value.value.to_js();
                        let js = match atomics {
                            true => format!("Atomics.store({array}, {index}, {value})"),
                            false => format!("{array}[{index}] = {value}"),
                        };
                        (js, false, None)
                    }
                    NodeStmt::Load { array, index } => (
                        format!("Atomics.load(h.vars[{}], {index})", js_string(&array.text)),
                        false,
                        None,
                    ),
                    NodeStmt::Post {
                        to,
                        message,
                        transfer,
                    } => {
                        let target = match to {
                            NodeObject::Child { name } => format!("o[{}]", js_string(&name.text)),
                            NodeObject::ParentPort | NodeObject::Process => {
                                "h.parentPort()".to_string()
                            }
                        };
                        let js = match message {
                            PostValue::Value { value } => {
                                format!("{target}.postMessage({})", value.value.to_js())
                            }
                            PostValue::Array { name } => {
                                format!("h.post({target}, {}, {transfer})", js_string(&name.text))
                            }
                        };
                        (js, false, None)
                    }
                };
                code(actor, js)?;
                // A child (or Worker) with a module of its own: its file
                // runs too, as that child.
                let forks = forks.map(|(child, file)| {
                    file_of.insert(child.clone(), file);
                    child
                });
                Todo::Run {
                    actor: actor.to_string(),
                    ends,
                    forks,
                }
            }
            // A kernel `signal SIG ignore|handle` by a node process: node
            // can only listen, so a JS listener stands for both (the
            // signal is survived either way; no Node event differs).
            StatementKind::Op {
                actor,
                op:
                    Op::Signal {
                        signal,
                        action: action @ (Action::Ignore | Action::Handle),
                        ..
                    },
            } => {
                let name = signal.to_string();
                code(
                    &actor.text,
                    format!("process.on({}, () => {{}})", js_string(&name)),
                )?;
                if *action == Action::Ignore {
                    notes.push(format!(
                        "line {}: node cannot ignore {name} (SIG_IGN); it runs process.on('{name}', () => {{}}) instead, which survives it alike",
                        pos.line
                    ));
                }
                Todo::Run {
                    actor: actor.text.clone(),
                    ends: false,
                    forks: None,
                }
            }
            // Memory statements by a node process (the lessons' stand-ins
            // for node's heap) change no Node event and write nothing on a
            // channel: not run in node, and the report says so.
            StatementKind::Op {
                op: Op::Mmap { .. } | Op::Munmap { .. } | Op::Read { .. } | Op::Write { .. },
                ..
            } => {
                notes.push(format!(
                    "line {}: \"{source}\" only touches memory, which no Node event shows: not run in node (`forkscope check` replays it on the kernel)",
                    pos.line
                ));
                Todo::Nothing
            }
            StatementKind::Expect { expect } => Todo::Expect(Box::new(expect.clone())),
            StatementKind::Say { .. } => Todo::Nothing,
            _ => {
                return Err(Refused {
                    pos,
                    message: format!(
                        "\"{source}\" is a kernel statement: check --node runs Node statements in node, and of the kernel's only `signal SIG ignore|handle` (as a JS listener); `forkscope check` replays the rest on the kernel"
                    ),
                })
            }
        };
        plan.push(Planned { pos, source, todo });
    }
    let harness = format!("./{HARNESS_FILE}");
    let mut files = vec![(HARNESS_FILE.to_string(), HARNESS.to_string())];
    // Every file named (a child's module that no statement uses still runs).
    let mut all: BTreeMap<String, BTreeMap<String, Vec<(usize, String)>>> = BTreeMap::new();
    for file in file_of.values() {
        all.entry(file.clone()).or_default();
    }
    for (file, table) in tables {
        all.insert(file, table);
    }
    for (file, table) in all {
        let depth = file.matches('/').count();
        let up = if depth == 0 {
            harness.clone()
        } else {
            format!("{}{HARNESS_FILE}", "../".repeat(depth))
        };
        let mut text = format!(
            "'use strict';\n// Generated by forkscope check --node: the statements of each process that runs this file, by statement number.\nconst h = require({});\nconst o = h.objects;\nh.run({{\n",
            js_string(&up)
        );
        for (process, statements) in table {
            text.push_str(&format!("  {}: {{\n", js_string(&process)));
            for (i, js) in statements {
                text.push_str(&format!("    {i}: () => {{ {js}; }},\n"));
            }
            text.push_str("  },\n");
        }
        text.push_str("});\n");
        files.push((file, text));
    }
    Ok(Programs {
        files,
        plan,
        notes,
        folded,
    })
}

/// A statement of a process that runs no node (`process NAME`, and what
/// it and its kernel fork children do): a C program beside node, such as
/// a lesson's process that forks without exec for contrast. It emits no
/// Node event and writes on no channel of node's, so it is not run here
/// (`forkscope check` replays it on the kernel) and a note says so, once
/// per process. It may not signal a node process, whose events would
/// then differ unseen. None when `stmt` is not such a statement.
fn kernel_only(
    stmt: &Statement,
    source: &str,
    kernel: &mut Vec<String>,
    node: &BTreeMap<String, String>,
    notes: &mut Vec<String>,
) -> Result<Option<Todo>, Refused> {
    let pos = stmt.pos;
    let (actor, op) = match &stmt.kind {
        StatementKind::Process { name } => {
            kernel.push(name.text.clone());
            notes.push(format!(
                "line {}: \"{source}\" starts a process that runs no node: its statements are not run here (`forkscope check` replays them on the kernel)",
                pos.line
            ));
            return Ok(Some(Todo::Nothing));
        }
        StatementKind::Op { actor, op } if kernel.contains(&actor.text) => (actor, op),
        _ => return Ok(None),
    };
    match op {
        Op::Fork { child } => kernel.push(child.text.clone()),
        Op::Kill { target, .. } if node.contains_key(&target.text) => {
            return Err(Refused {
                pos,
                message: format!(
                    "\"{source}\" signals {}, which runs node, from {}, which runs none: check --node cannot run {} here",
                    target.text, actor.text, actor.text
                ),
            })
        }
        _ => {}
    }
    Ok(Some(Todo::Nothing))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn programs(text: &str) -> Result<Programs, Refused> {
        build(&sim_core::scenario::parse(text).expect("parses"))
    }

    #[test]
    fn each_process_gets_its_statements_in_the_file_it_runs() {
        let p = programs(
            "node main\nmain: const w = child_process.fork('./worker.js')\nmain: w.send({a: 1})\nw: process.exit(3)\n",
        )
        .expect("builds");
        let file = |name: &str| &p.files.iter().find(|(f, _)| f == name).expect("written").1;
        let main = file("main.js");
        assert!(
            main.contains("1: () => { h.fork(\"./worker.js\", \"w\"); }"),
            "{main}"
        );
        assert!(main.contains("2: () => { o[\"w\"].send("), "{main}");
        let worker = file("worker.js");
        assert!(
            worker.contains("\"w\": {\n    3: () => { process.exit(3); }"),
            "{worker}"
        );
    }

    #[test]
    fn a_worker_runs_the_module_it_names_and_holds_its_arrays_by_name() {
        let p = programs(
            "node main\nmain: const sab = new Int32Array(new SharedArrayBuffer(8))\n\
             main: const wk = new Worker('./w.js', {workerData: sab})\nwk: sab[1] = 5\n\
             main: const b = new Uint8Array(4)\nmain: wk.postMessage(b, [b.buffer])\n\
             wk: parentPort.postMessage({ok: true})\n",
        )
        .expect("builds");
        let file = |name: &str| &p.files.iter().find(|(f, _)| f == name).expect("written").1;
        let main = file("main.js");
        for js in [
            "1: () => { h.vars[\"sab\"] = new Int32Array(new SharedArrayBuffer(8)); }",
            "2: () => { h.worker(\"./w.js\", \"wk\", \"sab\"); }",
            "4: () => { h.vars[\"b\"] = new Uint8Array(4); }",
            "5: () => { h.post(o[\"wk\"], \"b\", true); }",
        ] {
            assert!(main.contains(js), "{js} not in {main}");
        }
        let worker = file("w.js");
        assert!(
            worker.contains("3: () => { h.vars[\"sab\"][1] = 5; }"),
            "{worker}"
        );
        assert!(
            worker.contains("6: () => { h.parentPort().postMessage({\"ok\": true}); }"),
            "{worker}"
        );
        // The Worker statement waits for the worker's hello, as a fork does.
        assert!(matches!(
            &p.plan[2].todo,
            Todo::Run { forks: Some(w), .. } if w == "wk"
        ));
    }

    #[test]
    fn a_kernel_statement_is_refused_with_its_line() {
        let e = programs("node main\nmain: pipe p\n").expect_err("refused");
        assert_eq!(e.pos.line, 2);
        assert!(e.message.contains("is a kernel statement"), "{}", e.message);
    }

    #[test]
    fn a_process_that_runs_no_node_is_left_to_the_kernel_with_a_note() {
        let p = programs(
            "node main\nprocess db\ndb: mmap heap 2\ndb: fork snap\nsnap: exit 0\ndb: wait snap\n",
        )
        .expect("builds");
        assert!(p.plan[1..].iter().all(|s| matches!(s.todo, Todo::Nothing)));
        assert_eq!(p.notes.len(), 1, "{:?}", p.notes);
        assert!(
            p.notes[0].starts_with("line 2: \"process db\""),
            "{:?}",
            p.notes
        );
        let e = programs("node main\nprocess db\ndb: kill main SIGTERM\n").expect_err("refused");
        assert_eq!(e.pos.line, 3);
        assert!(e.message.contains("which runs node"), "{}", e.message);
    }

    #[test]
    fn a_module_outside_the_directory_is_refused() {
        let e = programs("node main\nmain: const w = child_process.fork('../w.js')\n")
            .expect_err("refused");
        assert!(
            e.message.contains("relative path inside it"),
            "{}",
            e.message
        );
    }
}
