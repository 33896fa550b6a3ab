//! The lockstep run: real node on the generated programs, one scenario
//! statement at a time.
//!
//! forkscope listens on a Unix socket in the run's directory (its path in
//! FORKSCOPE_NODE_CONTROL); every node process's harness connects to it,
//! says hello with its name, pid and control fd, runs a statement when told
//! and tells each event its objects emit. After each statement forkscope
//! waits until the statement is over: its 'ran' (or, for `process.exit`,
//! the actor's control socket closing), a forked child's hello, and every
//! event the model says the statement emits, by process, object and name;
//! then a barrier (`sync` to every live process, answered in order on the
//! same socket), so that what a process emitted before the barrier is this
//! statement's. A bound names what did not come; nothing is retried.
//!
//! The races this avoids by design, not by waiting longer:
//! - 'exit' against the last 'message': a statement after a `send()` is
//!   sent only once the message's 'message' event has come, so a child
//!   never exits with its message still unsent or unread.
//! - events of two processes: they come on two sockets, whose order with
//!   each other means nothing, so events are compared per object (one
//!   process's own order), never across processes.
//!
//! What it cannot avoid, and says: an event node emits later than the
//! statement's barrier (one the model does not expect, after a delay) is
//! counted to the next statement.

use super::model::Seen;
use super::program::Programs;
use super::strace::Known;
use sim_core::scenario::ast::{Expect, ValueRead};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// What node did at one statement.
#[derive(Clone, Debug, Default)]
pub(super) struct Real {
    pub events: Vec<Seen>,
    /// What did not come within the bound ("'ran' from main", "w's
    /// hello", "main: w 'exit'").
    pub missing: Vec<String>,
    /// What the statement threw, if it did.
    pub threw: Option<String>,
}

/// What JavaScript in node read at an `expect P value ...`.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum NodeRead {
    /// A number, or None for `undefined`.
    Value(Option<f64>),
    /// P holds no typed array of that name.
    NoArray,
    /// Nothing was read, and why.
    NotRead(String),
}

/// Everything the run saw.
#[derive(Debug, Default)]
pub(super) struct Observed {
    /// By statement number.
    pub statements: BTreeMap<usize, Real>,
    /// Every event, in the order it came (per process, node's own order).
    pub all: Vec<Seen>,
    /// At each expect (by statement number), how many of `all` had come.
    pub at_expect: BTreeMap<usize, usize>,
    /// At each value expect (by statement number), what node read there.
    pub values: BTreeMap<usize, NodeRead>,
    pub known: Vec<Known>,
    /// The strace output, when strace ran.
    pub strace: Option<String>,
    /// What node wrote on stderr (shown when something broke).
    pub stderr: String,
}

/// Why the run stopped before its end.
#[derive(Debug)]
pub(super) struct Broke {
    pub statement: usize,
    pub message: String,
}

/// A control message, or a connection's end.
enum Incoming {
    Connected(u64, UnixStream),
    Line(u64, String),
    Closed(u64),
}

/// A node process of the run.
struct Proc {
    conn: u64,
    known: Known,
    alive: bool,
}

/// The run's directory, removed with everything in it when dropped.
pub(super) struct RunDir(pub PathBuf);

impl RunDir {
    pub fn new() -> std::io::Result<RunDir> {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "forkscope-node-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir)?;
        Ok(RunDir(dir))
    }
}

impl Drop for RunDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The tools a run uses.
pub(super) struct Tools {
    pub node: PathBuf,
    pub strace: Option<PathBuf>,
}

/// The processes a run started (strace, or node itself), each the leader
/// of its own process group: killed with their groups on drop, so a
/// failed run leaves nothing behind.
struct Started(Vec<Child>);

impl Drop for Started {
    fn drop(&mut self) {
        for child in &mut self.0 {
            if let Ok(pid) = i32::try_from(child.id()) {
                // Safety: killpg on a group this run made; no memory is touched.
                unsafe { libc::killpg(pid, libc::SIGKILL) };
            }
            let _ = child.wait();
        }
    }
}

struct Runner<'a> {
    rx: mpsc::Receiver<Incoming>,
    writers: BTreeMap<u64, UnixStream>,
    names: BTreeMap<u64, String>,
    procs: BTreeMap<String, Proc>,
    seen: Observed,
    bound: Duration,
    /// Statement under way: its number and what it has gathered.
    current: usize,
    ran: Option<usize>,
    synced: BTreeMap<String, u64>,
    /// Answers to `read` commands, by statement number.
    reads: BTreeMap<u64, NodeRead>,
    dir: &'a Path,
}

impl Runner<'_> {
    /// Take one incoming message.
    fn take(&mut self, m: Incoming) {
        match m {
            Incoming::Connected(conn, stream) => {
                self.writers.insert(conn, stream);
            }
            Incoming::Closed(conn) => {
                if let Some(name) = self.names.get(&conn) {
                    if let Some(p) = self.procs.get_mut(name) {
                        p.alive = false;
                    }
                }
                self.writers.remove(&conn);
            }
            Incoming::Line(conn, line) => {
                let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else {
                    return;
                };
                if let Some(name) = v["hello"].as_str() {
                    let known = Known {
                        name: name.to_string(),
                        pid: v["pid"].as_u64().unwrap_or(0) as u32,
                        control_fd: v["fd"].as_i64().unwrap_or(-1),
                    };
                    self.names.insert(conn, name.to_string());
                    self.seen.known.push(known.clone());
                    self.procs.insert(
                        name.to_string(),
                        Proc {
                            conn,
                            known,
                            alive: true,
                        },
                    );
                    return;
                }
                let Some(name) = self.names.get(&conn).cloned() else {
                    return;
                };
                if let Some(event) = v["event"].as_str() {
                    let seen = Seen {
                        process: name,
                        object: v["object"].as_str().unwrap_or("").to_string(),
                        name: event.to_string(),
                        args: v["args"]
                            .as_array()
                            .map(|a| {
                                a.iter()
                                    .map(|x| x.as_str().unwrap_or("").to_string())
                                    .collect()
                            })
                            .unwrap_or_default(),
                    };
                    self.seen.all.push(seen.clone());
                    self.real().events.push(seen);
                } else if let Some(n) = v["ran"].as_u64() {
                    self.ran = Some(n as usize);
                    if let Some(threw) = v["threw"].as_str() {
                        self.real().threw = Some(threw.to_string());
                    }
                } else if let Some(k) = v["synced"].as_u64() {
                    self.synced.insert(name, k);
                } else if let Some(k) = v["read"].as_u64() {
                    self.reads.insert(k, answer(&v));
                }
            }
        }
    }

    /// Ask `process`'s harness what its JavaScript reads at `array`
    /// (an element, or the byteLength when `index` is None), and wait for
    /// the answer.
    fn read(&mut self, k: u64, process: &str, array: &str, index: Option<u64>) -> NodeRead {
        if !self.alive(process) {
            return NodeRead::NotRead(format!("{process}'s node is not running"));
        }
        let command = serde_json::json!({ "read": k, "array": array, "index": index });
        if !self.tell(process, &command) {
            return NodeRead::NotRead(format!("forkscope could not ask {process}"));
        }
        self.wait(&|r: &Runner| r.reads.contains_key(&k) || !r.alive(process));
        self.reads.remove(&k).unwrap_or_else(|| {
            NodeRead::NotRead(format!(
                "{process} did not answer within {:.1} s",
                self.bound.as_secs_f64()
            ))
        })
    }

    fn real(&mut self) -> &mut Real {
        self.seen.statements.entry(self.current).or_default()
    }

    fn alive(&self, name: &str) -> bool {
        self.procs.get(name).is_some_and(|p| p.alive)
    }

    /// Take messages until `done` holds or the bound passes; false then.
    fn wait(&mut self, done: &dyn Fn(&Runner) -> bool) -> bool {
        let deadline = Instant::now() + self.bound;
        while !done(self) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(m) => self.take(m),
                Err(_) => return done(self),
            }
        }
        true
    }

    /// Send `command` to `name`'s harness.
    fn tell(&mut self, name: &str, command: &serde_json::Value) -> bool {
        let Some(conn) = self.procs.get(name).map(|p| p.conn) else {
            return false;
        };
        let Some(w) = self.writers.get_mut(&conn) else {
            return false;
        };
        w.write_all(format!("{command}\n").as_bytes()).is_ok()
    }

    /// The barrier: every live process answers a `sync` after whatever it
    /// wrote before it.
    fn barrier(&mut self, k: u64) -> Result<(), String> {
        let live: Vec<String> = self
            .procs
            .iter()
            .filter(|(_, p)| p.alive)
            .map(|(n, _)| n.clone())
            .collect();
        for name in &live {
            self.tell(name, &serde_json::json!({ "sync": k }));
        }
        let ok = self.wait(&|r: &Runner| {
            live.iter()
                .all(|n| !r.alive(n) || r.synced.get(n) == Some(&k))
        });
        if ok {
            Ok(())
        } else {
            Err(format!(
                "node did not answer forkscope's barrier within {:.1} s",
                self.bound.as_secs_f64()
            ))
        }
    }

    /// Start `node FILE` as `name`, under strace when there is one.
    fn start(
        &mut self,
        tools: &Tools,
        name: &str,
        file: &str,
        started: &mut Started,
    ) -> Result<(), String> {
        let stderr = std::fs::File::create(self.dir.join(format!("{name}.stderr")))
            .map_err(|e| format!("cannot make a file for node's stderr: {e}"))?;
        let mut cmd = match &tools.strace {
            Some(strace) => {
                let mut c = Command::new(strace);
                c.args([
                    "-f",
                    "-qq",
                    "-e",
                    super::syscalls::TRACE,
                    "-e",
                    "signal=none",
                ])
                .args(["-xx", "-s", "1048576", "-o"])
                .arg(self.dir.join(format!("{name}.strace")))
                .arg(&tools.node);
                c
            }
            None => Command::new(&tools.node),
        };
        cmd.arg(file)
            .current_dir(self.dir)
            .env("FORKSCOPE_NODE_NAME", name)
            .env("FORKSCOPE_NODE_CONTROL", self.dir.join("control.sock"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .process_group(0);
        let child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", cmd.get_program().to_string_lossy()))?;
        started.0.push(child);
        Ok(())
    }
}

/// Run `programs` in `dir` with real node, in lockstep with the plan,
/// waiting at each statement for `expected` (by statement number: the
/// model's events there).
pub(super) fn run(
    tools: &Tools,
    dir: &Path,
    programs: &Programs,
    expected: &BTreeMap<usize, Vec<Seen>>,
    bound: Duration,
) -> (Observed, Option<Broke>) {
    for (file, text) in &programs.files {
        let path = dir.join(file);
        if let Some(parent) = path.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        if let Err(e) = std::fs::write(&path, text) {
            return broke(0, format!("cannot write {file}: {e}"));
        }
    }
    let listener = match UnixListener::bind(dir.join("control.sock")) {
        Ok(l) => l,
        Err(e) => return broke(0, format!("cannot listen on the control socket: {e}")),
    };
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for (conn, stream) in (0u64..).zip(listener.incoming()) {
            let Ok(stream) = stream else { return };
            let Ok(writer) = stream.try_clone() else {
                continue;
            };
            if tx.send(Incoming::Connected(conn, writer)).is_err() {
                return;
            }
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines() {
                    let Ok(line) = line else { break };
                    if tx.send(Incoming::Line(conn, line)).is_err() {
                        return;
                    }
                }
                let _ = tx.send(Incoming::Closed(conn));
            });
        }
    });
    let mut r = Runner {
        rx,
        writers: BTreeMap::new(),
        names: BTreeMap::new(),
        procs: BTreeMap::new(),
        seen: Observed::default(),
        bound,
        current: 0,
        ran: None,
        synced: BTreeMap::new(),
        reads: BTreeMap::new(),
        dir,
    };
    let mut started = Started(Vec::new());
    let mut stop = None;
    for (i, planned) in programs.plan.iter().enumerate() {
        r.current = i;
        if let Err(message) = one(&mut r, tools, i, &planned.todo, expected, &mut started) {
            stop = Some(Broke {
                statement: i,
                message,
            });
            break;
        }
    }
    // The end: every node process killed (strace sees them die and ends
    // with its output written), then strace waited for, within the bound.
    for p in r.procs.values() {
        if p.alive {
            if let Ok(pid) = i32::try_from(p.known.pid) {
                // Safety: kill of a pid that said hello and is still connected.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        }
    }
    let deadline = Instant::now() + bound;
    for child in &mut started.0 {
        while Instant::now() < deadline && matches!(child.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    drop(started);
    let mut strace = String::new();
    let mut stderr = String::new();
    for planned in &programs.plan {
        if let super::program::Todo::Start { name, .. } = &planned.todo {
            if tools.strace.is_some() {
                strace.push_str(
                    &std::fs::read_to_string(dir.join(format!("{name}.strace")))
                        .unwrap_or_default(),
                );
            }
            stderr.push_str(
                &std::fs::read_to_string(dir.join(format!("{name}.stderr"))).unwrap_or_default(),
            );
        }
    }
    r.seen.strace = tools.strace.is_some().then_some(strace);
    r.seen.stderr = stderr;
    (r.seen, stop)
}

/// A harness's answer to `read`: `{"read":N,"known":true,"value":42}`,
/// the value a JSON number, null for `undefined`, or the text of one JSON
/// has no number for (`NaN`, `Infinity`).
fn answer(v: &serde_json::Value) -> NodeRead {
    if v["known"] != serde_json::Value::Bool(true) {
        return NodeRead::NoArray;
    }
    match &v["value"] {
        serde_json::Value::Null => NodeRead::Value(None),
        serde_json::Value::Number(n) => NodeRead::Value(n.as_f64()),
        serde_json::Value::String(t) => match t.as_str() {
            "NaN" => NodeRead::Value(Some(f64::NAN)),
            "Infinity" => NodeRead::Value(Some(f64::INFINITY)),
            "-Infinity" => NodeRead::Value(Some(f64::NEG_INFINITY)),
            other => NodeRead::NotRead(format!("the harness answered {other:?}")),
        },
        other => NodeRead::NotRead(format!("the harness answered {other}")),
    }
}

fn broke(statement: usize, message: String) -> (Observed, Option<Broke>) {
    (Observed::default(), Some(Broke { statement, message }))
}

/// Do statement `i` and wait until it is over.
fn one(
    r: &mut Runner,
    tools: &Tools,
    i: usize,
    todo: &super::program::Todo,
    expected: &BTreeMap<usize, Vec<Seen>>,
    started: &mut Started,
) -> Result<(), String> {
    use super::program::Todo;
    let secs = r.bound.as_secs_f64();
    r.real();
    match todo {
        Todo::Nothing => return Ok(()),
        Todo::Expect(expect) => {
            r.seen.at_expect.insert(i, r.seen.all.len());
            // A value expect: what node's JavaScript reads there, asked of
            // the isolate it names (a worker answers on its own socket).
            if let Expect::Value {
                process,
                array,
                read,
                ..
            } = expect.as_ref()
            {
                let index = match read {
                    ValueRead::Element { index } => Some(*index),
                    ValueRead::ByteLength => None,
                };
                let got = r.read(i as u64, process.as_str(), array.as_str(), index);
                r.seen.values.insert(i, got);
            }
            return Ok(());
        }
        Todo::Start { name, file } => {
            r.start(tools, name, file, started)?;
            let name2 = name.clone();
            if !r.wait(&|r: &Runner| r.alive(&name2)) {
                return Err(format!(
                    "node {name} did not connect to forkscope within {secs:.1} s (node's stderr is shown below)"
                ));
            }
        }
        Todo::Run { actor, ends, forks } => {
            if !r.alive(actor) {
                return Err(format!(
                    "{actor}'s node is not running, so it cannot run this statement"
                ));
            }
            r.ran = None;
            r.tell(actor, &serde_json::json!({ "run": i }));
            let want: Vec<Seen> = expected.get(&i).cloned().unwrap_or_default();
            let (actor2, ends, forks2) = (actor.clone(), *ends, forks.clone());
            let over = |r: &Runner| -> Vec<String> {
                let mut missing = Vec::new();
                if ends {
                    if r.alive(&actor2) {
                        missing.push(format!("{actor2}'s end (it is still running)"));
                    }
                } else if r.ran != Some(i) && r.alive(&actor2) {
                    missing.push(format!("'ran' from {actor2}"));
                }
                if let Some(child) = &forks2 {
                    if !r.procs.contains_key(child) {
                        missing.push(format!("{child}'s hello (its node never connected)"));
                    }
                }
                // Each expected event matched by one that came, by process,
                // object and name (the arguments are compared after).
                let got = r
                    .seen
                    .statements
                    .get(&i)
                    .map(|s| s.events.clone())
                    .unwrap_or_default();
                let mut used = vec![false; got.len()];
                for w in &want {
                    let found = got.iter().enumerate().position(|(k, g)| {
                        !used[k]
                            && g.process == w.process
                            && g.object == w.object
                            && g.name == w.name
                    });
                    match found {
                        Some(k) => used[k] = true,
                        None => missing.push(format!("{}: {} '{}'", w.process, w.object, w.name)),
                    }
                }
                missing
            };
            r.wait(&|r: &Runner| over(r).is_empty());
            let missing = over(r);
            if !missing.is_empty() {
                r.real().missing = missing
                    .iter()
                    .map(|m| format!("{m} did not come within {secs:.1} s"))
                    .collect();
            }
        }
    }
    r.barrier(i as u64)
}

/// What `node --version` says.
pub(super) fn version(node: &Path) -> Option<String> {
    let out = Command::new(node).arg("--version").output().ok()?;
    Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
}
