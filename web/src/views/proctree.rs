//! The process tree as rows to draw, worked out from the world after a
//! step and the world before it: who is whose child, in which state
//! (running, blocked and on what, stopped, zombie, reaped), what the step
//! changed (forked, changed state, adopted by init, reaped).
//!
//! The tree is a flat list of rows with a depth, not nested boxes, so that
//! it can be capped: a parent with many alike children shows them as one
//! row ("c1 … c500: 500 children, running"), and past `MAX_ROWS` rows the
//! rest is counted, not drawn. The cost is one pass over the processes,
//! never over the steps.

use sim_core::ids::Pid;
use sim_core::proc::{BlockedCall, BlockedOn, ProcState, Process, WaitStatus};
use sim_core::scenario::ast::ExitStatus;
use sim_core::world::World;

/// Rows drawn at most; the rest are counted in one "and N more" row.
pub const MAX_ROWS: usize = 200;
/// Entries (processes or groups) drawn at most under one parent.
pub const MAX_CHILD_ENTRIES: usize = 40;
/// A parent with more children than this has its runs of alike children
/// drawn as one row each.
pub const COLLAPSE_ABOVE: usize = 12;
/// The shortest run of alike children drawn as one row.
pub const COLLAPSE_RUN: usize = 4;

/// The kind of state, which picks the badge's icon and shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Badge {
    Running,
    Blocked,
    Stopped,
    Zombie,
    Reaped,
}

impl Badge {
    /// Every badge, in the order of the enum (the summary's order).
    pub const ALL: [Badge; 5] = [
        Badge::Running,
        Badge::Blocked,
        Badge::Stopped,
        Badge::Zombie,
        Badge::Reaped,
    ];

    /// The CSS class suffix and the word for the badge.
    pub fn word(self) -> &'static str {
        match self {
            Badge::Running => "running",
            Badge::Blocked => "blocked",
            Badge::Stopped => "stopped",
            Badge::Zombie => "zombie",
            Badge::Reaped => "reaped",
        }
    }
}

/// A process's state as a badge and the words that say it in full
/// ("blocked in recv on p.r").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateText {
    pub badge: Badge,
    pub words: String,
}

/// One process drawn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcRow {
    pub pid: u32,
    pub name: String,
    /// The program it runs, when it called exec.
    pub program: Option<String>,
    pub depth: u32,
    pub state: StateText,
    /// Forked (or started) by this step.
    pub born: bool,
    /// Its state changed in this step (not counting birth): how, in a
    /// word or two ("exited", "woke up").
    pub change: Option<&'static str>,
    /// Adopted by init in this step: the parent it had before.
    pub adopted_from: Option<String>,
}

/// Alike children drawn as one row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupRow {
    pub depth: u32,
    pub first: String,
    pub last: String,
    pub first_pid: u32,
    pub last_pid: u32,
    pub count: u32,
    pub state: StateText,
}

/// A thread of a process besides its first (a Worker's): drawn under its
/// process, not as a process of its own, since it has no pid, memory or
/// fds of its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThreadRow {
    pub tid: u32,
    pub name: String,
    /// The pid of its process.
    pub pid: u32,
    /// The process's name.
    pub process: String,
    pub depth: u32,
    /// Made by this step.
    pub born: bool,
}

/// A row of the tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Row {
    Proc(ProcRow),
    Thread(ThreadRow),
    Group(GroupRow),
    /// `count` more processes at this depth (and below) not drawn.
    More {
        depth: u32,
        count: u32,
        under: u32,
    },
}

impl Row {
    /// A key that stays with the same process from step to step, so that
    /// a row moves (and animates) rather than being redrawn.
    pub fn key(&self) -> String {
        match self {
            Row::Proc(p) => format!("p{}", p.pid),
            Row::Thread(t) => format!("t{}", t.tid),
            Row::Group(g) => format!("g{}-{}", g.first_pid, g.last_pid),
            Row::More { under, .. } => format!("m{under}"),
        }
    }
}

/// The tree after a step.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tree {
    pub rows: Vec<Row>,
    /// Processes drawn per badge (indexed by `Badge as usize`), init
    /// included (reaped: in this step).
    pub counts: [u32; Badge::ALL.len()],
    /// Processes reaped before this step (not drawn).
    pub reaped_before: u32,
}

impl Tree {
    /// The tree in one sentence, for a screen reader and the view's header.
    pub fn summary(&self) -> String {
        let total: u32 = self.counts.iter().sum();
        let mut parts: Vec<String> = Badge::ALL
            .iter()
            .zip(self.counts)
            .filter(|&(_, n)| n > 0)
            .map(|(b, n)| format!("{n} {}", b.word()))
            .collect();
        if self.reaped_before > 0 {
            parts.push(format!("{} reaped earlier", self.reaped_before));
        }
        format!(
            "{}: {}.",
            sim_core::words::count(total, "process", "processes"),
            parts.join(", ")
        )
    }
}

/// How a dead process ended, in words: "exited 1", "killed by SIGPIPE".
pub fn status_words(status: WaitStatus) -> String {
    match status.try_decode() {
        Some(ExitStatus::Exited(code)) => format!("exited {code}"),
        Some(ExitStatus::Signaled(sig)) => format!("killed by {sig}"),
        None => format!("wait status {:#x}", status.0),
    }
}

/// What a blocked call waits for: "recv on p.r", "wait for c1".
pub fn call_words(world: &World, call: &BlockedCall) -> String {
    match &call.on {
        BlockedOn::Wait { child: Some(c) } => format!("wait for {}", world.name_of(*c)),
        BlockedOn::Wait { child: None } => "wait (for any child)".to_string(),
        BlockedOn::Send { end, len, so_far } if *so_far > 0 => format!(
            "send on {} ({so_far} of {} sent)",
            world.end_name(*end),
            sim_core::words::bytes(*len)
        ),
        BlockedOn::Send { end, .. } => format!("send on {}", world.end_name(*end)),
        BlockedOn::Recv { end, .. } => format!("recv on {}", world.end_name(*end)),
    }
}

/// The badge of a state (no words: cheap, for counting thousands).
pub fn badge_of(state: &ProcState) -> Badge {
    match state {
        ProcState::Running => Badge::Running,
        ProcState::Blocked(_) => Badge::Blocked,
        ProcState::Stopped { .. } => Badge::Stopped,
        ProcState::Zombie { .. } => Badge::Zombie,
        ProcState::Gone { .. } => Badge::Reaped,
    }
}

/// A process's state as a badge and words.
pub fn state_text(world: &World, proc: &Process) -> StateText {
    let (badge, words) = match &proc.state {
        ProcState::Running => (Badge::Running, "running".to_string()),
        ProcState::Blocked(call) => (
            Badge::Blocked,
            format!("blocked in {}", call_words(world, call)),
        ),
        ProcState::Stopped { by, call, .. } => (
            Badge::Stopped,
            match call {
                Some(call) => format!(
                    "stopped by {by}, in {} (starts again on SIGCONT)",
                    call_words(world, call)
                ),
                None => format!("stopped by {by}"),
            },
        ),
        ProcState::Zombie { status } => (
            Badge::Zombie,
            format!("zombie, {} (not yet reaped)", status_words(*status)),
        ),
        ProcState::Gone { status } => (Badge::Reaped, format!("reaped, {}", status_words(*status))),
    };
    StateText { badge, words }
}

/// What can tell alike children apart in a group: the badge, and for a
/// blocked or stopped process what it is in (zombies group whatever their
/// status, which each one's own row would show). Words are made only for
/// those.
fn alike_key(world: &World, proc: &Process) -> (Badge, Option<String>) {
    match badge_of(&proc.state) {
        b @ (Badge::Blocked | Badge::Stopped) => (b, Some(state_text(world, proc).words)),
        b => (b, None),
    }
}

/// What the step did to one process.
struct Marks {
    born: bool,
    change: Option<&'static str>,
    adopted_from: Option<String>,
}

impl Marks {
    fn any(&self) -> bool {
        self.born || self.change.is_some() || self.adopted_from.is_some()
    }
}

/// How a state changed, in a word or two, or None if it did not.
pub fn change_words(old: &ProcState, now: &ProcState) -> Option<&'static str> {
    if old == now {
        return None;
    }
    Some(match (old, now) {
        (_, ProcState::Zombie { status }) => match status.try_decode() {
            Some(ExitStatus::Signaled(_)) => "killed",
            _ => "exited",
        },
        (_, ProcState::Gone { .. }) => "reaped",
        (_, ProcState::Stopped { .. }) => "stopped",
        (ProcState::Stopped { .. }, _) => "continued",
        (ProcState::Blocked(_), ProcState::Running) => "call returned",
        (_, ProcState::Blocked(_)) => "blocked",
        _ => "changed",
    })
}

fn marks(now: &World, before: Option<&World>, proc: &Process, old: Option<&Process>) -> Marks {
    match old {
        None => Marks {
            born: before.is_some(),
            change: None,
            adopted_from: None,
        },
        Some(old) => Marks {
            born: false,
            change: change_words(&old.state, &proc.state),
            adopted_from: (old.parent != proc.parent && !proc.is_init())
                .then(|| now.name_of(old.parent).to_string()),
        },
    }
}

/// Every process after the step with itself before the step (None: new).
/// Pids are handed out in order and a world never drops a process, so the
/// processes before are a prefix of the processes after, in pid order: one
/// walk pairs them, without a lookup per process.
pub fn paired<'a>(
    now: &'a World,
    before: Option<&'a World>,
) -> impl Iterator<Item = (&'a Process, Option<&'a Process>)> + 'a {
    let mut old = before.into_iter().flat_map(World::procs).peekable();
    now.procs().map(move |proc| {
        let was = old.next_if(|o| o.pid == proc.pid);
        (proc, was)
    })
}

/// A pid-keyed table, sorted by pid: a vector searched by halves rather
/// than a BTreeMap, because each BTreeMap type is its own copy of the
/// B-tree code in the wasm (issue 9).
type Table<V> = Vec<(Pid, V)>;

/// The entry for `pid` in a table sorted by pid.
fn find<V>(table: &[(Pid, V)], pid: Pid) -> Option<&V> {
    let at = table.binary_search_by_key(&pid, |e| e.0).ok()?;
    Some(&table[at].1)
}

/// The entry for a pid the table was built with.
fn known<'t, 'a>(info: &'t [(Pid, Info<'a>)], pid: Pid) -> &'t Info<'a> {
    find(info, pid).expect("every drawn child has its info")
}

/// What the tree needs of one process, worked out once.
struct Info<'a> {
    proc: &'a Process,
    marks: Marks,
}

/// One entry under a parent: a process (with its subtree) or a run of
/// alike children.
enum Entry {
    One(Pid),
    Run(Vec<Pid>),
}

/// The tree after a step: `now` is the world after it, `before` the world
/// before it (None for step 0). Processes reaped before this step are
/// counted, not drawn; one reaped in this step is drawn (greyed) so that
/// the learner sees it go.
pub fn build(now: &World, before: Option<&World>) -> Tree {
    let mut tree = Tree::default();
    let mut info: Table<Info> = Vec::new();
    let mut kids: Table<Vec<Pid>> = Vec::new();
    for (proc, old) in paired(now, before) {
        let gone = matches!(proc.state, ProcState::Gone { .. });
        if gone && old.is_none_or(|o| matches!(o.state, ProcState::Gone { .. })) {
            tree.reaped_before += 1;
            continue;
        }
        tree.counts[badge_of(&proc.state) as usize] += 1;
        if !proc.is_init() {
            let at = match kids.binary_search_by_key(&proc.parent, |e| e.0) {
                Ok(at) => at,
                Err(at) => {
                    kids.insert(at, (proc.parent, Vec::new()));
                    at
                }
            };
            kids[at].1.push(proc.pid);
        }
        let marks = marks(now, before, proc, old);
        // `paired` goes in pid order, so the table stays sorted.
        info.push((proc.pid, Info { proc, marks }));
    }
    let total: u32 = info.len() as u32;
    let mut drawn = 0u32;
    // Depth-first from a stack, not by recursion: a chain of a thousand
    // forks is a thousand deep.
    let mut stack: Vec<Work> = vec![Work::Proc(Pid::INIT, 0)];
    while let Some(work) = stack.pop() {
        if tree.rows.len() >= MAX_ROWS {
            tree.rows.push(Row::More {
                depth: 0,
                count: total - drawn,
                under: 0,
            });
            break;
        }
        let (pid, depth) = match work {
            Work::Row(row) => {
                drawn += match &row {
                    Row::Group(g) => g.count,
                    Row::More { count, .. } => *count,
                    Row::Proc(_) => 1,
                    Row::Thread(_) => 0,
                };
                tree.rows.push(row);
                continue;
            }
            Work::Proc(pid, depth) => (pid, depth),
        };
        let Some(Info { proc, marks }) = find(&info, pid) else {
            continue;
        };
        let children = find(&kids, pid).map(Vec::as_slice).unwrap_or(&[]);
        tree.rows.push(Row::Proc(ProcRow {
            pid: pid.0,
            name: proc.name.to_string(),
            program: (!proc.is_init() && &*proc.program != SCENARIO_PROGRAM)
                .then(|| proc.program.to_string()),
            depth,
            state: state_text(now, proc),
            born: marks.born,
            change: marks.change,
            adopted_from: marks.adopted_from.clone(),
        }));
        drawn += 1;
        // Its threads, right under it: a thread is no child process.
        let had = |tid: Pid| {
            before
                .and_then(|b| b.procs().find(|p| p.pid == pid))
                .is_some_and(|p| p.threads.iter().any(|t| t.tid == tid))
        };
        for thread in &proc.threads {
            tree.rows.push(Row::Thread(ThreadRow {
                tid: thread.tid.0,
                name: thread.name.to_string(),
                pid: pid.0,
                process: proc.name.to_string(),
                depth: depth + 1,
                born: !had(thread.tid),
            }));
        }
        let mut under: Vec<Work> = Vec::new();
        let mut hidden = 0u32;
        for (i, entry) in entries(now, children, &kids, &info).into_iter().enumerate() {
            if i >= MAX_CHILD_ENTRIES {
                hidden += match entry {
                    Entry::One(p) => 1 + descendants(p, &kids),
                    Entry::Run(run) => run.len() as u32,
                };
                continue;
            }
            under.push(match entry {
                Entry::One(p) => Work::Proc(p, depth + 1),
                Entry::Run(run) => {
                    let first = known(&info, run[0]);
                    let last = known(&info, run[run.len() - 1]);
                    Work::Row(Row::Group(GroupRow {
                        depth: depth + 1,
                        first: first.proc.name.to_string(),
                        last: last.proc.name.to_string(),
                        first_pid: first.proc.pid.0,
                        last_pid: last.proc.pid.0,
                        count: run.len() as u32,
                        state: state_text(now, first.proc),
                    }))
                }
            });
        }
        if hidden > 0 {
            under.push(Work::Row(Row::More {
                depth: depth + 1,
                count: hidden,
                under: pid.0,
            }));
        }
        // Reversed, so that the oldest child comes off the stack first.
        stack.extend(under.into_iter().rev());
    }
    tree
}

/// The program a scenario process runs until it calls exec (the model's
/// name for it, world.rs).
const SCENARIO_PROGRAM: &str = "scenario";

/// What is left to draw: a process and its subtree, or a row on its own.
enum Work {
    Proc(Pid, u32),
    Row(Row),
}

/// How many processes are under `pid` (drawable ones).
fn descendants(pid: Pid, kids: &Table<Vec<Pid>>) -> u32 {
    let mut n = 0;
    let mut stack = vec![pid];
    while let Some(p) = stack.pop() {
        if let Some(children) = find(kids, p) {
            n += children.len() as u32;
            stack.extend(children.iter().copied());
        }
    }
    n
}

/// The children of one parent as entries: each on its own, except that
/// under a parent with many children, runs of alike, unchanged childless
/// children become one entry.
fn entries(
    now: &World,
    children: &[Pid],
    kids: &Table<Vec<Pid>>,
    info: &Table<Info>,
) -> Vec<Entry> {
    let collapse = children.len() > COLLAPSE_ABOVE;
    let mut out: Vec<Entry> = Vec::new();
    let mut run: Vec<Pid> = Vec::new();
    let mut run_key = (Badge::Running, None);
    let flush = |run: &mut Vec<Pid>, out: &mut Vec<Entry>| {
        if run.len() >= COLLAPSE_RUN {
            out.push(Entry::Run(std::mem::take(run)));
        } else {
            out.extend(run.drain(..).map(Entry::One));
        }
    };
    for &child in children {
        let me = known(info, child);
        let groupable = collapse && find(kids, child).is_none() && !me.marks.any();
        if groupable {
            let key = alike_key(now, me.proc);
            if !run.is_empty() && key != run_key {
                flush(&mut run, &mut out);
            }
            run_key = key;
            run.push(child);
        } else {
            flush(&mut run, &mut out);
            out.push(Entry::One(child));
        }
    }
    flush(&mut run, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::engine::Sim;

    /// The run of `text` to its end.
    fn run(text: &str) -> Sim {
        let mut sim = Sim::from_source(text).expect("the test scenario parses");
        sim.run_to_end().expect("the test scenario runs");
        sim
    }

    /// The tree after the step of line `line`.
    fn tree_at(sim: &Sim, line: u32) -> Tree {
        let step = sim
            .steps()
            .iter()
            .find(|s| s.pos.line == line)
            .expect("a step on that line")
            .index;
        build(sim.world(step).unwrap(), sim.world(step - 1))
    }

    #[test]
    fn a_worker_is_a_thread_row_under_its_process_not_a_process_of_its_own() {
        let text = "node main\n\
                    main: const wk = new Worker('./w.js')\n\
                    main: const c = child_process.fork('./c.js')\n";
        let sim = run(text);
        let step = sim
            .steps()
            .iter()
            .find(|s| s.source == "main: thread wk")
            .expect("the clone step")
            .index;
        let tree = build(sim.world(step).unwrap(), sim.world(step - 1));
        let at = tree
            .rows
            .iter()
            .position(|r| matches!(r, Row::Proc(p) if p.name == "main"))
            .expect("main's row");
        let Some(Row::Thread(t)) = tree.rows.get(at + 1) else {
            panic!("no thread row right under main: {:?}", tree.rows);
        };
        assert_eq!((t.name.as_str(), t.process.as_str()), ("wk", "main"));
        assert_eq!(t.depth, proc_row(&tree, "main").depth + 1);
        assert_eq!(t.pid, proc_row(&tree, "main").pid);
        assert_ne!(t.tid, t.pid);
        assert!(t.born);
        // It is counted as no process: init and main only.
        assert_eq!(tree.summary(), "2 processes: 2 running.");
        // Later, it is no longer new, and a fork child sits under main
        // beside it, with no thread of its own.
        let step = sim
            .steps()
            .iter()
            .find(|s| s.source == "main: fork c")
            .expect("the fork step")
            .index;
        let tree = build(sim.world(step).unwrap(), sim.world(step - 1));
        let threads: Vec<(&str, bool)> = tree
            .rows
            .iter()
            .filter_map(|r| match r {
                Row::Thread(t) => Some((t.name.as_str(), t.born)),
                _ => None,
            })
            .collect();
        assert_eq!(threads, [("wk", false)]);
        assert_eq!(
            proc_row(&tree, "c").depth,
            proc_row(&tree, "main").depth + 1
        );
    }

    fn proc_row<'a>(tree: &'a Tree, name: &str) -> &'a ProcRow {
        tree.rows
            .iter()
            .find_map(|r| match r {
                Row::Proc(p) if p.name == name => Some(p),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no row for {name} in {:?}", tree.rows))
    }

    #[test]
    fn init_is_the_root_and_each_child_is_one_deeper_than_its_parent() {
        let sim = run("process a\na: fork b\nb: fork c\n");
        let tree = tree_at(&sim, 3);
        let names: Vec<(&str, u32)> = tree
            .rows
            .iter()
            .map(|r| match r {
                Row::Proc(p) => (p.name.as_str(), p.depth),
                other => panic!("only processes here, found {other:?}"),
            })
            .collect();
        assert_eq!(names, [("init", 0), ("a", 1), ("b", 2), ("c", 3)]);
        assert!(proc_row(&tree, "c").born);
        assert!(!proc_row(&tree, "b").born);
        assert_eq!(tree.summary(), "4 processes: 4 running.");
    }

    #[test]
    fn a_sleeping_reader_says_it_is_blocked_in_recv_on_the_pipes_read_end() {
        let sim = run("process w\nw: pipe x\nw: fork r\nr: recv x.r 100\nw: send x.w 10\n");
        let tree = tree_at(&sim, 4);
        let r = proc_row(&tree, "r");
        assert_eq!(r.state.badge, Badge::Blocked);
        assert_eq!(r.state.words, "blocked in recv on x.r");
        assert_eq!(r.change, Some("blocked"));
        let woken = proc_row(&tree_at(&sim, 5), "r").clone();
        assert_eq!(woken.state.badge, Badge::Running);
        assert_eq!(woken.change, Some("call returned"));
    }

    #[test]
    fn a_wait_names_the_child_it_waits_for() {
        let sim = run("process p\np: fork c\np: wait c\n");
        let p = proc_row(&tree_at(&sim, 3), "p").clone();
        assert_eq!(p.state.words, "blocked in wait for c");
    }

    #[test]
    fn an_orphan_is_adopted_by_init_in_the_step_its_parent_exits() {
        let sim =
            run("process g\ng: fork parent\nparent: fork child\nparent: exit 0\nchild: exit 1\n");
        let tree = tree_at(&sim, 4);
        let child = proc_row(&tree, "child");
        assert_eq!(child.adopted_from.as_deref(), Some("parent"));
        assert_eq!(child.depth, 1, "now directly under init");
        let parent = proc_row(&tree, "parent");
        assert_eq!(parent.state.words, "zombie, exited 0 (not yet reaped)");
        assert_eq!(parent.change, Some("exited"));
        // Next step: no longer "adopted", and init reaps it at once.
        let next = tree_at(&sim, 5);
        let child = proc_row(&next, "child");
        assert_eq!(child.adopted_from, None);
        assert_eq!(child.state.words, "reaped, exited 1");
    }

    #[test]
    fn a_process_reaped_before_the_step_is_counted_not_drawn() {
        let sim = run("process p\np: fork c\nc: exit 3\np: wait c\np: fork d\n");
        let reaped = tree_at(&sim, 4);
        assert_eq!(proc_row(&reaped, "c").state.badge, Badge::Reaped);
        assert_eq!(proc_row(&reaped, "c").change, Some("reaped"));
        assert_eq!(reaped.summary(), "3 processes: 2 running, 1 reaped.");
        let later = tree_at(&sim, 5);
        assert!(later
            .rows
            .iter()
            .all(|r| !matches!(r, Row::Proc(p) if p.name == "c")));
        assert_eq!(later.reaped_before, 1);
        assert_eq!(later.summary(), "3 processes: 3 running, 1 reaped earlier.");
    }

    #[test]
    fn a_stopped_process_says_by_which_signal_and_the_call_it_will_restart() {
        let sim = run("process a\na: pipe p\na: fork b\nb: recv p.r 10\na: kill b SIGSTOP\n");
        let b = proc_row(&tree_at(&sim, 5), "b").clone();
        assert_eq!(b.state.badge, Badge::Stopped);
        assert_eq!(
            b.state.words,
            "stopped by SIGSTOP, in recv on p.r (starts again on SIGCONT)"
        );
        assert_eq!(b.change, Some("stopped"));
    }

    /// A parent `p` with `n` children c1..cn, all forked.
    fn family(n: u32) -> String {
        let mut text = String::from("process p\n");
        for i in 1..=n {
            text.push_str(&format!("p: fork c{i}\n"));
        }
        text
    }

    #[test]
    fn many_alike_children_are_one_row_naming_the_first_and_the_last() {
        let mut text = family(500);
        text.push_str("c250: exit 0\n");
        let sim = run(&text);
        let tree = tree_at(&sim, 502);
        let rows: Vec<String> = tree
            .rows
            .iter()
            .map(|r| match r {
                Row::Proc(p) => p.name.clone(),
                Row::Thread(t) => format!("thread {}", t.name),
                Row::Group(g) => {
                    format!("{}..{} ({}, {})", g.first, g.last, g.count, g.state.words)
                }
                Row::More { count, .. } => format!("more {count}"),
            })
            .collect();
        assert_eq!(
            rows,
            [
                "init",
                "p",
                "c1..c249 (249, running)",
                "c250",
                "c251..c500 (250, running)"
            ]
        );
        assert_eq!(proc_row(&tree, "c250").change, Some("exited"));
    }

    #[test]
    fn a_few_children_are_each_drawn() {
        let sim = run(&family(COLLAPSE_ABOVE as u32));
        let tree = tree_at(&sim, COLLAPSE_ABOVE as u32 + 1);
        assert_eq!(tree.rows.len(), COLLAPSE_ABOVE + 2);
        assert!(tree.rows.iter().all(|r| matches!(r, Row::Proc(_))));
    }

    #[test]
    fn children_in_different_states_are_not_grouped_together() {
        let mut text = family(20);
        for i in 1..=10 {
            text.push_str(&format!("c{i}: exit {i}\n"));
        }
        text.push_str("p: fork d\n");
        let sim = run(&text);
        let tree = tree_at(&sim, 32);
        let groups: Vec<(String, u32, Badge)> = tree
            .rows
            .iter()
            .filter_map(|r| match r {
                Row::Group(g) => Some((g.first.clone(), g.count, g.state.badge)),
                _ => None,
            })
            .collect();
        assert_eq!(
            groups,
            [
                ("c1".to_string(), 10, Badge::Zombie),
                ("c11".to_string(), 10, Badge::Running)
            ]
        );
        assert!(proc_row(&tree, "d").born);
    }

    #[test]
    fn a_chain_longer_than_the_row_cap_ends_with_a_count_of_the_rest() {
        let mut text = String::from("process p0\n");
        for i in 1..=300 {
            text.push_str(&format!("p{}: fork p{i}\n", i - 1));
        }
        let sim = run(&text);
        let tree = tree_at(&sim, 301);
        assert_eq!(tree.rows.len(), MAX_ROWS + 1);
        // init, p0..p300: 302 processes, MAX_ROWS drawn.
        assert_eq!(
            tree.rows.last(),
            Some(&Row::More {
                depth: 0,
                count: 302 - MAX_ROWS as u32,
                under: 0
            })
        );
    }

    #[test]
    fn a_parent_with_thousands_of_unlike_children_draws_at_most_its_cap() {
        // Alternate running and zombie children: no run to group.
        let mut text = family(2000);
        for i in (2..=2000).step_by(2) {
            text.push_str(&format!("c{i}: exit 0\n"));
        }
        let sim = run(&text);
        let last = sim.steps().len() as u32;
        let tree = build(sim.world(last).unwrap(), sim.world(last - 1));
        assert!(
            tree.rows.len() <= MAX_CHILD_ENTRIES + 3,
            "{}",
            tree.rows.len()
        );
        let more = tree.rows.last().unwrap();
        assert!(
            matches!(more, Row::More { count, depth: 2, .. } if *count > 1900),
            "{more:?}"
        );
        assert_eq!(tree.counts[Badge::Zombie as usize], 1000);
    }

    #[test]
    fn a_process_killed_by_a_signal_is_marked_killed_not_exited() {
        let sim = run("process p\np: fork c\np: kill c SIGTERM\n");
        let c = proc_row(&tree_at(&sim, 3), "c").clone();
        assert_eq!(c.change, Some("killed"));
        assert_eq!(c.state.words, "zombie, killed by SIGTERM (not yet reaped)");
    }

    #[test]
    fn pairing_finds_each_process_as_a_lookup_by_name_would() {
        let text = sim_core::lessons::find("orphans").unwrap().source;
        let sim = run(text);
        for step in 1..=sim.steps().len() as u32 {
            let (now, before) = (sim.world(step).unwrap(), sim.world(step - 1).unwrap());
            for (proc, old) in paired(now, Some(before)) {
                let looked_up = before.pid_of(&proc.name).map(|pid| before.proc(pid).pid);
                assert_eq!(
                    old.map(|o| o.pid),
                    looked_up,
                    "{} at step {step}",
                    proc.name
                );
            }
        }
    }

    #[test]
    fn exec_shows_the_program_the_process_now_runs() {
        let sim = run("process p\np: exec node\n");
        let p = proc_row(&tree_at(&sim, 2), "p").clone();
        assert_eq!(p.program.as_deref(), Some("node"));
        assert_eq!(proc_row(&tree_at(&sim, 2), "init").program, None);
    }
}
