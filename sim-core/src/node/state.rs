//! What the Node layer knows of the machine, beside the kernel: which
//! processes run node, the child objects each holds (the value
//! `child_process.fork` returned), the events each object has emitted so
//! far, and the bytes in each IPC channel with node's own reader at each
//! end (the kernel model moves counts, not contents). It is part of
//! `World`, so time travel covers it; its tables are small sorted vectors
//! (`LiteMap`: one B-tree copy less per table in the wasm) behind an
//! `Arc`, so a world's clone shares them and a step that changes one
//! copies that table; an object's events are an `imbl::Vector`, shared
//! the same way.
//!
//! It changes only through `NodeState::apply`, after a kernel step of a
//! Node statement's group, by the `Effect` the expansion (`expand.rs`)
//! attached to that step; the kernel model never looks at it.

use super::json::JsonReader;
use crate::scenario::keyword::NodeEventName;
use crate::scenario::node_syntax::Stdio;
use crate::scenario::{ExitStatus, OpResult};
use crate::world::World;
use litemap::LiteMap;
use serde::Serialize;
use std::sync::Arc;

/// One event a Node object emitted: its name, and its arguments as JSON
/// text (a message as the JSON line it came in, `null` for a missing exit
/// code or signal).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NodeEvent {
    /// The node process the object lives in.
    pub process: Arc<str>,
    /// The child object's name, or `process`.
    pub object: Arc<str>,
    pub event: NodeEventName,
    pub args: Vec<String>,
}

impl NodeEvent {
    /// The event as an expect's "found" and the trace tell it:
    /// `'exit' (0, null)`, `'spawn'`.
    pub fn call(&self) -> String {
        if self.args.is_empty() {
            format!("'{}'", self.event)
        } else {
            format!("'{}' ({})", self.event, self.args.join(", "))
        }
    }
}

/// A child object in its parent: what `fork()` or `spawn()` returned.
#[derive(Clone, Debug, PartialEq)]
pub struct ChildObject {
    /// The socketpair of its IPC channel, for a child made by `fork()`;
    /// the parent holds side 0.
    pub channel: Option<Arc<str>>,
    /// Its stdio slots 0 to 2 (`fork()`'s inherit all three).
    pub stdio: [Stdio; 3],
    /// How many of its 'pipe' stdio streams the parent still holds open:
    /// 'close' waits for them all.
    pub open_streams: u32,
    /// The errno of a spawn whose exec failed (ENOENT is -2), once
    /// 'error' was emitted: 'close' then gets (errno, null).
    pub failed: Option<i32>,
    /// For exec and execFile: the stdout and stderr bytes read so far,
    /// which the callback gets.
    pub output: Option<[Vec<u8>; 2]>,
    pub events: imbl::Vector<NodeEvent>,
    /// How the child ended, once 'exit' was emitted.
    pub exit: Option<ExitStatus>,
    /// Whether the channel is still open in the parent.
    pub connected: bool,
    /// Its place among its parent's children in the order they were
    /// spawned: the order of libuv's process handle queue, which the
    /// SIGCHLD watcher walks.
    pub order: u32,
}

/// A process running node.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeProc {
    /// libuv's signal pipe (uv_loop_init makes it for its SIGCHLD watcher).
    pub signal_pipe: Arc<str>,
    /// Whether uv_spawn has started the SIGCHLD watcher (the first fork
    /// installs libuv's handler).
    pub watching_sigchld: bool,
    pub children: LiteMap<Arc<str>, ChildObject>,
    /// The socketpair to its parent, for a child made by `fork()`; it
    /// holds side 1.
    pub parent_channel: Option<Arc<str>>,
    /// What its `process` object emitted.
    pub process_events: imbl::Vector<NodeEvent>,
}

/// The bytes written into one direction of a channel and not yet read,
/// and the reader at its receiving end.
#[derive(Clone, Debug, Default)]
pub struct Flow {
    pub unread: Vec<u8>,
    pub reader: JsonReader,
}

/// One IPC channel: the flow to side 0 (the parent) and to side 1.
#[derive(Clone, Debug, Default)]
pub struct Channel {
    pub to: [Flow; 2],
}

/// The Node layer's state.
#[derive(Clone, Debug, Default)]
pub struct NodeState {
    procs: Arc<LiteMap<Arc<str>, NodeProc>>,
    channels: Arc<LiteMap<Arc<str>, Channel>>,
}

/// What a kernel step of a Node statement's group means to the Node
/// layer, applied once the step has run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Effect {
    None,
    /// `node NAME` started: NAME runs node, with this signal pipe.
    Boot {
        process: Arc<str>,
        signal_pipe: Arc<str>,
    },
    /// libuv installed its SIGCHLD handler in `process`.
    WatchSigchld {
        process: Arc<str>,
    },
    /// `fork()` or `spawn()` made the child object `child` in `parent`.
    Forked {
        parent: Arc<str>,
        child: Arc<str>,
        channel: Option<Arc<str>>,
        stdio: [Stdio; 3],
        /// exec or execFile: the output is buffered for the callback.
        buffers: bool,
    },
    /// The parent's loop read a spawned child's stdout (slot 1) or
    /// stderr (2): the bytes leave the socketpair's flow, into exec's
    /// buffer.
    ReadOutput {
        parent: Arc<str>,
        child: Arc<str>,
        channel: Arc<str>,
        slot: u8,
    },
    /// A spawned program's exec returned control to the parent's
    /// uv_spawn, which read the error pipe: EOF is 'spawn'. The child runs
    /// no node.
    ProgramExeced {
        parent: Arc<str>,
        child: Arc<str>,
    },
    /// uv_spawn read the child's errno from the error pipe and reaped it:
    /// 'error' (the errno's code, such as ENOENT).
    SpawnFailed {
        parent: Arc<str>,
        child: Arc<str>,
        errno: i32,
        code: &'static str,
        /// Whether this step also closed the parent's stdin stream.
        stdin_closed: bool,
    },
    /// The parent closed one of the child's stdio streams: 'close' once
    /// they all are and the child has exited (or failed to spawn).
    StreamClosed {
        parent: Arc<str>,
        child: Arc<str>,
    },
    /// The child's exec returned control to the parent's uv_spawn, which
    /// read the error pipe: EOF is 'spawn'. The child now runs node.
    Execed {
        parent: Arc<str>,
        child: Arc<str>,
        signal_pipe: Arc<str>,
    },
    /// `writer`'s `send()` wrote `bytes` into `channel`, toward side `to`
    /// (as much of them as its kernel step moved).
    Wrote {
        writer: Arc<str>,
        channel: Arc<str>,
        to: usize,
        bytes: Arc<[u8]>,
    },
    /// The receiving end's read of `channel` at side `side`, in `process`,
    /// for `object` (a child object's name, or `process`).
    Read {
        process: Arc<str>,
        object: Arc<str>,
        channel: Arc<str>,
        side: usize,
    },
    /// libuv's `waitpid(pid, WNOHANG)` for `child` in `parent`: a reaped
    /// child is 'exit'.
    Waited {
        parent: Arc<str>,
        child: Arc<str>,
    },
    /// The parent closed the channel after its EOF: 'disconnect', then
    /// 'close' once 'exit' came.
    Closed {
        parent: Arc<str>,
        child: Arc<str>,
    },
}

impl NodeState {
    /// The node process named `name`, if it runs node.
    pub fn proc(&self, name: &str) -> Option<&NodeProc> {
        self.procs.get(name)
    }

    /// The events `object` (a child object's name, or `process`) emitted
    /// in `process`, or None when there is no such object.
    pub fn events(&self, process: &str, object: Option<&str>) -> Option<&imbl::Vector<NodeEvent>> {
        let proc = self.procs.get(process)?;
        match object {
            None => Some(&proc.process_events),
            Some(child) => proc.children.get(child).map(|c| &c.events),
        }
    }

    /// The bytes written toward `side` of `channel` and not read yet.
    pub fn unread(&self, channel: &str, side: usize) -> &[u8] {
        self.channels
            .get(channel)
            .map_or(&[], |c| c.to[side].unread.as_slice())
    }

    /// Apply `effect` after its kernel step ran, leaving `world` as the
    /// step left it; returns the events it emitted, in order.
    pub(crate) fn apply(world: &mut World, effect: &Effect) -> Vec<NodeEvent> {
        let mut events = Vec::new();
        let result_of = |world: &World, name: &str| {
            world
                .pid_of(name)
                .and_then(|pid| world.proc(pid).last_op.as_ref()?.result)
        };
        match effect {
            Effect::None => {}
            Effect::Boot {
                process,
                signal_pipe,
            } => {
                Arc::make_mut(&mut world.node.procs)
                    .insert(process.clone(), NodeProc::new(signal_pipe.clone(), None));
            }
            Effect::WatchSigchld { process } => {
                if let Some(p) = Arc::make_mut(&mut world.node.procs).get_mut(process) {
                    p.watching_sigchld = true;
                }
            }
            Effect::Forked {
                parent,
                child,
                channel,
                stdio,
                buffers,
            } => {
                if let Some(channel) = channel {
                    Arc::make_mut(&mut world.node.channels)
                        .insert(channel.clone(), Channel::default());
                }
                // A 'pipe' slot's socketpair keeps its bytes as a channel
                // does (only stdout's and stderr's are ever written).
                for slot in (1..3).filter(|&s| stdio[s] == Stdio::Pipe) {
                    let name = super::expand::stdio_pair(child, slot);
                    Arc::make_mut(&mut world.node.channels)
                        .insert(name.as_str().into(), Channel::default());
                }
                if let Some(p) = Arc::make_mut(&mut world.node.procs).get_mut(parent) {
                    let order = p.children.len() as u32;
                    p.children.insert(
                        child.clone(),
                        ChildObject {
                            channel: channel.clone(),
                            stdio: *stdio,
                            open_streams: stdio.iter().filter(|s| **s == Stdio::Pipe).count()
                                as u32,
                            failed: None,
                            output: buffers.then(|| [Vec::new(), Vec::new()]),
                            events: imbl::Vector::new(),
                            exit: None,
                            connected: channel.is_some(),
                            order,
                        },
                    );
                }
            }
            Effect::ProgramExeced { parent, child } => {
                if result_of(world, parent) == Some(OpResult::Value(0)) {
                    events.push(world.node.emit(parent, child, NodeEventName::Spawn, vec![]));
                }
            }
            Effect::SpawnFailed {
                parent,
                child,
                errno,
                code,
                stdin_closed,
            } => {
                if let Some(c) = world.node.child_mut(parent, child) {
                    c.failed = Some(*errno);
                    if *stdin_closed {
                        c.open_streams = c.open_streams.saturating_sub(1);
                    }
                }
                // execFile's own 'error' listener calls back first.
                events.extend(world.node.call_back(parent, child, format!("\"{code}\"")));
                events.push(world.node.emit(
                    parent,
                    child,
                    NodeEventName::Error,
                    vec![format!("\"{code}\"")],
                ));
                events.extend(world.node.close_if_done(parent, child));
            }
            Effect::ReadOutput {
                parent,
                child,
                channel,
                slot,
            } => {
                let n = match result_of(world, parent) {
                    Some(OpResult::Value(n)) if n > 0 => n as usize,
                    _ => return events,
                };
                let Some(c) = Arc::make_mut(&mut world.node.channels).get_mut(channel) else {
                    return events;
                };
                let flow = &mut c.to[0];
                let n = n.min(flow.unread.len());
                let chunk: Vec<u8> = flow.unread.drain(..n).collect();
                if let Some(out) = world
                    .node
                    .child_mut(parent, child)
                    .and_then(|c| c.output.as_mut())
                {
                    out[usize::from(*slot) - 1].extend_from_slice(&chunk);
                }
            }
            Effect::StreamClosed { parent, child } => {
                if let Some(c) = world.node.child_mut(parent, child) {
                    c.open_streams = c.open_streams.saturating_sub(1);
                }
                events.extend(world.node.close_if_done(parent, child));
            }
            Effect::Execed {
                parent,
                child,
                signal_pipe,
            } => {
                let channel = world
                    .node
                    .procs
                    .get(parent)
                    .and_then(|p| p.children.get(child))
                    .and_then(|c| c.channel.clone());
                Arc::make_mut(&mut world.node.procs)
                    .insert(child.clone(), NodeProc::new(signal_pipe.clone(), channel));
                if result_of(world, parent) == Some(OpResult::Value(0)) {
                    events.push(world.node.emit(parent, child, NodeEventName::Spawn, vec![]));
                }
            }
            Effect::Wrote {
                writer,
                channel,
                to,
                bytes,
            } => {
                let moved = match result_of(world, writer) {
                    Some(OpResult::Value(n)) if n >= 0 => (n as usize).min(bytes.len()),
                    _ => 0,
                };
                if let Some(c) = Arc::make_mut(&mut world.node.channels).get_mut(channel) {
                    c.to[*to].unread.extend_from_slice(&bytes[..moved]);
                }
            }
            Effect::Read {
                process,
                object,
                channel,
                side,
            } => {
                let n = match result_of(world, process) {
                    Some(OpResult::Value(n)) if n >= 0 => n as usize,
                    _ => return events,
                };
                let Some(c) = Arc::make_mut(&mut world.node.channels).get_mut(channel) else {
                    return events;
                };
                let flow = &mut c.to[*side];
                let n = n.min(flow.unread.len());
                let chunk: Vec<u8> = flow.unread.drain(..n).collect();
                let messages = flow.reader.read(&chunk);
                for m in messages.into_iter().filter(|m| !m.internal) {
                    events.push(world.node.emit(
                        process,
                        object,
                        NodeEventName::Message,
                        vec![m.line],
                    ));
                }
            }
            Effect::Waited { parent, child } => {
                let reaped = world.pid_of(child).is_some_and(|pid| {
                    result_of(world, parent) == Some(OpResult::Value(i64::from(pid.0)))
                });
                let status = world
                    .pid_of(parent)
                    .and_then(|pid| world.proc(pid).last_reaped);
                if let (true, Some(status)) = (reaped, status) {
                    if let Some(c) = world.node.child_mut(parent, child) {
                        c.exit = Some(status);
                    }
                    events.push(world.node.emit(
                        parent,
                        child,
                        NodeEventName::Exit,
                        exit_args(status),
                    ));
                    // 'close' once the child has exited and its channel
                    // and streams are closed, whichever came last.
                    events.extend(world.node.close_if_done(parent, child));
                }
            }
            Effect::Closed { parent, child } => {
                let Some(c) = world.node.child_mut(parent, child) else {
                    return events;
                };
                c.connected = false;
                events.push(
                    world
                        .node
                        .emit(parent, child, NodeEventName::Disconnect, vec![]),
                );
                events.extend(world.node.close_if_done(parent, child));
            }
        }
        events
    }

    fn child_mut(&mut self, parent: &str, child: &str) -> Option<&mut ChildObject> {
        Arc::make_mut(&mut self.procs)
            .get_mut(parent)
            .and_then(|p| p.children.get_mut(child))
    }

    /// 'close', if `child` has now exited (or failed to spawn) and its
    /// channel and every stdio stream are closed: node emits it once the
    /// last of these comes (ChildProcess's maybeClose).
    fn close_if_done(&mut self, parent: &Arc<str>, child: &Arc<str>) -> Vec<NodeEvent> {
        let Some(c) = self.procs.get(parent).and_then(|p| p.children.get(child)) else {
            return Vec::new();
        };
        if c.connected || c.open_streams > 0 {
            return Vec::new();
        }
        let (args, error) = match (c.exit, c.failed) {
            (Some(status), _) => (exit_args(status), callback_error(status)),
            (None, Some(errno)) => (vec![errno.to_string(), "null".into()], String::new()),
            (None, None) => return Vec::new(),
        };
        if c.events.iter().any(|e| e.event == NodeEventName::Close) {
            return Vec::new();
        }
        // exec's exithandler listens to 'close' before anyone else: the
        // callback comes first.
        let mut events = self.call_back(parent, child, error);
        events.push(self.emit(parent, child, NodeEventName::Close, args));
        events
    }

    /// exec's or execFile's callback, once: (error, stdout, stderr), the
    /// error as its code (or the signal when there is none).
    fn call_back(&mut self, parent: &Arc<str>, child: &Arc<str>, error: String) -> Vec<NodeEvent> {
        let Some(c) = self.procs.get(parent).and_then(|p| p.children.get(child)) else {
            return Vec::new();
        };
        let Some(output) = &c.output else {
            return Vec::new();
        };
        if c.events.iter().any(|e| e.event == NodeEventName::Callback) {
            return Vec::new();
        }
        let text = |bytes: &[u8]| {
            let s = String::from_utf8_lossy(bytes).into_owned();
            super::json::stringify(&super::JsValue::String(s))
                .map(|l| l.trim_end_matches('\n').to_string())
                .unwrap_or_default()
        };
        let args = vec![error, text(&output[0]), text(&output[1])];
        vec![self.emit(parent, child, NodeEventName::Callback, args)]
    }

    /// Record that `object` in `process` emitted `event(args)`.
    fn emit(
        &mut self,
        process: &Arc<str>,
        object: &Arc<str>,
        event: NodeEventName,
        args: Vec<String>,
    ) -> NodeEvent {
        let record = NodeEvent {
            process: process.clone(),
            object: object.clone(),
            event,
            args,
        };
        if let Some(p) = Arc::make_mut(&mut self.procs).get_mut(process) {
            if &**object == crate::scenario::node_syntax::PROCESS_OBJECT {
                p.process_events.push_back(record.clone());
            } else if let Some(c) = p.children.get_mut(object) {
                c.events.push_back(record.clone());
            }
        }
        record
    }
}

impl NodeProc {
    fn new(signal_pipe: Arc<str>, parent_channel: Option<Arc<str>>) -> NodeProc {
        NodeProc {
            signal_pipe,
            watching_sigchld: false,
            children: LiteMap::new(),
            parent_channel,
            process_events: imbl::Vector::new(),
        }
    }
}

/// The error exec's callback gets, as its code: null after exit 0, the
/// exit code, or the signal's name (its code is null then).
fn callback_error(status: ExitStatus) -> String {
    match status {
        ExitStatus::Exited(0) => "null".into(),
        ExitStatus::Exited(code) => code.to_string(),
        ExitStatus::Signaled(sig) => format!("\"{sig}\""),
    }
}

/// 'exit' and 'close' arguments: (code, null) or (null, 'SIGNAL').
fn exit_args(status: ExitStatus) -> Vec<String> {
    match status {
        ExitStatus::Exited(code) => vec![code.to_string(), "null".into()],
        ExitStatus::Signaled(sig) => vec!["null".into(), format!("\"{sig}\"")],
    }
}
