//! What the Node layer knows of the machine, beside the kernel: which
//! processes run node, the child objects each holds (the value
//! `child_process.fork` returned), the events each object has emitted so
//! far, and the bytes in each IPC channel with node's own reader at each
//! end (the kernel model moves counts, not contents). It is part of
//! `World`, so time travel covers it; its tables are small sorted vectors
//! (`LiteMap`: one B-tree copy less per table in the wasm) behind an
//! `Arc`, so a world's clone shares them and a step that changes one
//! copies that table; an object's events are an `EventLog`, shared the
//! same way.
//!
//! It changes only through `NodeState::apply`, after a kernel step of a
//! Node statement's group, by the `Effect` the expansion (`expand.rs`)
//! attached to that step; the kernel model never looks at it.

use super::advanced::FrameReader;
use super::json::JsonReader;
use super::worker_state::{Arrival, Buffer, Views, WorkerThread};
use crate::scenario::keyword::NodeEventName;
use crate::scenario::node_syntax::{Stdio, STDIO_NAMES};
use crate::scenario::worker_syntax::ArrayKind;
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
    /// Whether `object` is a Worker or a worker's parentPort (not a child
    /// process's object): how the sentences name it.
    #[serde(skip)]
    pub worker: bool,
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

/// The events an object emitted, oldest first: a persistent list (one of
/// the world's `Table`s underneath), so that a step that adds one copies
/// a few nodes, not every event before it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EventLog(crate::table::Table<u32, NodeEvent>);

impl EventLog {
    pub fn new() -> EventLog {
        EventLog::default()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.len() == 0
    }

    /// Oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &NodeEvent> + '_ {
        self.0.values()
    }

    pub fn last(&self) -> Option<&NodeEvent> {
        let len = u32::try_from(self.len()).ok()?;
        self.0.get(&len.checked_sub(1)?)
    }

    pub(crate) fn push_back(&mut self, event: NodeEvent) {
        let at = u32::try_from(self.len()).expect("fewer than 2^32 events");
        self.0.insert(at, event);
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
    /// For exec and execFile: what node buffers for the callback.
    pub output: Option<Buffered>,
    pub events: EventLog,
    /// What its stdout and stderr streams (`CHILD.stdout`, `CHILD.stderr`)
    /// emitted: 'data' and 'end', for a spawn()'s 'pipe' slots.
    pub streams: [EventLog; 2],
    /// How the child ended, once 'exit' was emitted.
    pub exit: Option<ExitStatus>,
    /// Whether the channel is still open in the parent.
    pub connected: bool,
    /// Whether the parent closed it with `disconnect()`: node then never
    /// emits 'close' (a known node bug, NODE-FACTS), even after 'exit'.
    pub disconnected_here: bool,
    /// Its place among its parent's children in the order they were
    /// spawned: the order of libuv's process handle queue, which the
    /// SIGCHLD watcher walks.
    pub order: u32,
}

/// exec's and execFile's buffer of a child's output.
#[derive(Clone, Debug, PartialEq)]
pub struct Buffered {
    /// The stdout and stderr bytes read so far, which the callback gets.
    pub bytes: [Vec<u8>; 2],
    /// `maxBuffer`: node keeps at most this many bytes of each stream.
    pub max: u64,
    /// The stream (1 stdout, 2 stderr) whose read went past `max`: node
    /// cut it at `max`, destroyed both streams and killed the child, and
    /// the callback's error is ERR_CHILD_PROCESS_STDIO_MAXBUFFER.
    pub exceeded: Option<u8>,
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
    /// Whether that channel is still open here (`process.connected`):
    /// false after `process.disconnect()`, or once the parent closed its
    /// end or died and the loop read the end of file.
    pub parent_connected: bool,
    /// What its `process` object emitted.
    pub process_events: EventLog,
    /// Whether its channel is one of its fds 0 to 2 (spawn's 'ipc' slot
    /// there): libuv never closes those (uv__stream_close), so its
    /// disconnect() closes nothing and its parent reads end of file only
    /// when it dies (measured on node 20).
    pub channel_on_stdio: bool,
}

/// The bytes written into one direction of a channel and not yet read,
/// and the reader at its receiving end.
#[derive(Clone, Debug, Default)]
pub struct Flow {
    pub unread: Vec<u8>,
    pub reader: JsonReader,
    /// The advanced-mode reader (`serialization: 'advanced'`).
    pub frames: FrameReader,
    /// In advanced mode, what each frame written and not yet read is to
    /// its 'message' listener, in order: the received value as JSON text
    /// (what `expect ... message` compares) and whether it is internal.
    /// The bytes are V8's; the model keeps the value beside them rather
    /// than deserialise them.
    pub sent: std::collections::VecDeque<(String, bool)>,
}

/// One IPC channel: the flow to side 0 (the parent) and to side 1.
#[derive(Clone, Debug, Default)]
pub struct Channel {
    pub to: [Flow; 2],
    /// Whether fork() asked for `serialization: 'advanced'`: each message
    /// a length and V8's bytes, not a JSON line.
    pub advanced: bool,
}

/// The Node layer's state.
#[derive(Clone, Debug, Default)]
pub struct NodeState {
    pub(super) procs: Arc<LiteMap<Arc<str>, NodeProc>>,
    channels: Arc<LiteMap<Arc<str>, Channel>>,
    /// worker_threads (`worker_state.rs`): each Worker's thread, by name.
    pub(super) workers: Arc<LiteMap<Arc<str>, WorkerThread>>,
    /// The typed arrays each isolate holds, by (isolate, name).
    pub(super) arrays: Arc<Views>,
    /// The buffers they view, by `buffer_key` (process and region).
    pub(super) buffers: Arc<LiteMap<Arc<str>, Buffer>>,
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
        /// exec or execFile: the output is buffered for the callback, up
        /// to this maxBuffer.
        buffers: Option<u64>,
        /// `serialization: 'advanced'`: the channel carries V8 frames.
        advanced: bool,
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
        /// Its channel is on fd 0, 1 or 2 (`NodeProc::channel_on_stdio`).
        channel_on_stdio: bool,
    },
    /// `writer`'s `send()` wrote `bytes` into `channel`, toward side `to`
    /// (as much of them as its kernel step moved).
    Wrote {
        writer: Arc<str>,
        channel: Arc<str>,
        to: usize,
        bytes: Arc<[u8]>,
        /// In advanced mode, the message as its listener gets it (JSON
        /// text, internal or not).
        advanced: Option<(String, bool)>,
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
    /// The parent's `child.disconnect()` closed its end: 'disconnect',
    /// and never 'close'.
    Disconnected {
        parent: Arc<str>,
        child: Arc<str>,
    },
    /// `child`'s channel to its parent is closed at its end (its own
    /// `process.disconnect()`, or its loop read the end of file of a
    /// parent that disconnected or died): its `process` emits
    /// 'disconnect'.
    ParentGone {
        child: Arc<str>,
    },
    /// Node emits 'error' with an Error of this code on `object` in
    /// `process` (a send on a closed channel, a second disconnect()).
    Error {
        process: Arc<str>,
        object: Arc<str>,
        code: &'static str,
    },
    /// `isolate` made the typed array `name` on a new buffer at `region`
    /// of `process`'s memory.
    NewArray {
        isolate: Arc<str>,
        name: Arc<str>,
        process: Arc<str>,
        region: Arc<str>,
        kind: ArrayKind,
        bytes: u64,
        shared: bool,
    },
    /// `owner` made the Worker `worker`, a thread of `process`, with
    /// `data` (a typed array's name) as its workerData.
    WorkerStarted {
        owner: Arc<str>,
        worker: Arc<str>,
        process: Arc<str>,
        data: Option<Arc<str>>,
    },
    /// The worker runs: its Worker object emits 'online' in `owner`.
    WorkerOnline {
        owner: Arc<str>,
        worker: Arc<str>,
    },
    /// `isolate` stored `value` at `array[index]`.
    Stored {
        isolate: Arc<str>,
        array: Arc<str>,
        index: u64,
        /// The number's bits (`f64::to_bits`), so that effects compare.
        value: u64,
    },
    /// A message posted by `from` arrives in `to`, where `object` (a
    /// Worker's name, or parentPort) emits 'message' with `arg` (JSON
    /// text); a typed array `array` arrives as `how` says.
    Delivered {
        from: Arc<str>,
        to: Arc<str>,
        object: Arc<str>,
        arg: String,
        array: Option<(Arc<str>, Arrival)>,
    },
}

impl NodeState {
    /// The node process named `name`, if it runs node.
    pub fn proc(&self, name: &str) -> Option<&NodeProc> {
        self.procs.get(name)
    }

    /// The events `object` (a child object's name, or `process`) emitted
    /// in `process`, or None when there is no such object.
    pub fn events(&self, process: &str, object: Option<&str>) -> Option<&EventLog> {
        let proc = self.procs.get(process)?;
        match object {
            None => Some(&proc.process_events),
            Some(object) => match stream_object(object) {
                Some((child, slot)) => proc
                    .children
                    .get(child)
                    .map(|c| &c.streams[usize::from(slot) - 1]),
                None => proc.children.get(object).map(|c| &c.events),
            },
        }
    }

    /// Whether `channel` carries advanced-mode frames.
    pub fn advanced(&self, channel: &str) -> bool {
        self.channels.get(channel).is_some_and(|c| c.advanced)
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
                Arc::make_mut(&mut world.node.procs).insert(
                    process.clone(),
                    NodeProc::new(signal_pipe.clone(), None, false),
                );
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
                advanced,
            } => {
                if let Some(channel) = channel {
                    Arc::make_mut(&mut world.node.channels).insert(
                        channel.clone(),
                        Channel {
                            advanced: *advanced,
                            ..Channel::default()
                        },
                    );
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
                            output: buffers.map(|max| Buffered {
                                bytes: [Vec::new(), Vec::new()],
                                max,
                                exceeded: None,
                            }),
                            events: EventLog::new(),
                            streams: [EventLog::new(), EventLog::new()],
                            exit: None,
                            connected: channel.is_some(),
                            disconnected_here: false,
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
                    Some(OpResult::Value(n)) if n >= 0 => n as usize,
                    _ => return events,
                };
                let Some(c) = Arc::make_mut(&mut world.node.channels).get_mut(channel) else {
                    return events;
                };
                let flow = &mut c.to[0];
                let n = n.min(flow.unread.len());
                let chunk: Vec<u8> = flow.unread.drain(..n).collect();
                // A spawn()'s stream: 'data' with what one read took, 'end'
                // at its end of file (exec keeps its output for the
                // callback instead).
                let spawned = world
                    .node
                    .procs
                    .get(parent)
                    .and_then(|p| p.children.get(child))
                    .is_some_and(|c| c.output.is_none());
                if spawned {
                    let stream: Arc<str> =
                        format!("{child}.{}", STDIO_NAMES[usize::from(*slot)]).into();
                    let (event, args) = match chunk.is_empty() {
                        true => (NodeEventName::End, vec![]),
                        false => (NodeEventName::Data, vec![string_text(&chunk)]),
                    };
                    events.push(world.node.emit(parent, &stream, event, args));
                    return events;
                }
                if let Some(out) = world
                    .node
                    .child_mut(parent, child)
                    .and_then(|c| c.output.as_mut())
                {
                    // exec's 'data' listener: past maxBuffer it keeps the
                    // first maxBuffer bytes and reads no more.
                    let held = &mut out.bytes[usize::from(*slot) - 1];
                    if out.exceeded.is_none() {
                        held.extend_from_slice(&chunk);
                        if held.len() as u64 > out.max {
                            held.truncate(out.max as usize);
                            out.exceeded = Some(*slot);
                        }
                    }
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
                channel_on_stdio,
            } => {
                let channel = world
                    .node
                    .procs
                    .get(parent)
                    .and_then(|p| p.children.get(child))
                    .and_then(|c| c.channel.clone());
                Arc::make_mut(&mut world.node.procs).insert(
                    child.clone(),
                    NodeProc::new(signal_pipe.clone(), channel, *channel_on_stdio),
                );
                if result_of(world, parent) == Some(OpResult::Value(0)) {
                    events.push(world.node.emit(parent, child, NodeEventName::Spawn, vec![]));
                }
            }
            Effect::Wrote {
                writer,
                channel,
                to,
                bytes,
                advanced,
            } => {
                let moved = match result_of(world, writer) {
                    Some(OpResult::Value(n)) if n >= 0 => (n as usize).min(bytes.len()),
                    _ => 0,
                };
                if let Some(c) = Arc::make_mut(&mut world.node.channels).get_mut(channel) {
                    c.to[*to].unread.extend_from_slice(&bytes[..moved]);
                    if let (Some(m), true) = (advanced, moved > 0) {
                        c.to[*to].sent.push_back(m.clone());
                    }
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
                let advanced = c.advanced;
                let flow = &mut c.to[*side];
                let n = n.min(flow.unread.len());
                let chunk: Vec<u8> = flow.unread.drain(..n).collect();
                let messages: Vec<(String, bool)> = if advanced {
                    let frames = flow.frames.read(&chunk).len();
                    (0..frames).filter_map(|_| flow.sent.pop_front()).collect()
                } else {
                    flow.reader
                        .read(&chunk)
                        .into_iter()
                        .map(|m| (m.line, m.internal))
                        .collect()
                };
                for (line, internal) in messages {
                    let name = match internal {
                        true => NodeEventName::InternalMessage,
                        false => NodeEventName::Message,
                    };
                    events.push(world.node.emit(process, object, name, vec![line]));
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
            Effect::Disconnected { parent, child } => {
                if let Some(c) = Arc::make_mut(&mut world.node.procs)
                    .get_mut(parent)
                    .and_then(|p| p.children.get_mut(child))
                {
                    c.connected = false;
                    c.disconnected_here = true;
                    events.push(
                        world
                            .node
                            .emit(parent, child, NodeEventName::Disconnect, vec![]),
                    );
                }
            }
            Effect::ParentGone { child } => {
                if let Some(p) = Arc::make_mut(&mut world.node.procs).get_mut(child) {
                    p.parent_connected = false;
                    let process: Arc<str> = crate::scenario::node_syntax::PROCESS_OBJECT.into();
                    events.push(world.node.emit(
                        child,
                        &process,
                        NodeEventName::Disconnect,
                        vec![],
                    ));
                }
            }
            Effect::Error {
                process,
                object,
                code,
            } => {
                events.push(world.node.emit(
                    process,
                    object,
                    NodeEventName::Error,
                    vec![format!("\"{code}\"")],
                ));
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
            Effect::NewArray {
                isolate,
                name,
                process,
                region,
                kind,
                bytes,
                shared,
            } => {
                // Only if its region was mapped: a failed mmap made nothing.
                if matches!(result_of(world, process), Some(OpResult::Value(_))) {
                    let buffer = Buffer {
                        process: process.clone(),
                        region: region.clone(),
                        kind: *kind,
                        bytes: *bytes,
                        shared: *shared,
                        values: LiteMap::new(),
                    };
                    world.node.new_array(isolate, name, buffer);
                }
            }
            Effect::WorkerStarted {
                owner,
                worker,
                process,
                data,
            } => {
                if matches!(result_of(world, process), Some(OpResult::Value(_))) {
                    world
                        .node
                        .start_worker(owner, worker, process, data.as_ref());
                }
            }
            Effect::WorkerOnline { owner, worker } => {
                events.extend(
                    world
                        .node
                        .emit_worker(owner, worker, NodeEventName::Online, vec![]),
                );
            }
            Effect::Stored {
                isolate,
                array,
                index,
                value,
            } => world
                .node
                .store(isolate, array, *index, f64::from_bits(*value)),
            Effect::Delivered {
                from,
                to,
                object,
                arg,
                array,
            } => {
                if let Some((name, how)) = array {
                    world.node.arrive(from, to, name, how);
                }
                events.extend(world.node.emit_worker(
                    to,
                    object,
                    NodeEventName::Message,
                    vec![arg.clone()],
                ));
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
        // Never after the parent's own disconnect() (a known node bug,
        // NODE-FACTS): 'exit' comes, 'close' does not.
        if c.connected || c.open_streams > 0 || c.disconnected_here {
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
        let text = string_text;
        // Past maxBuffer the error is node's, whatever the child's end.
        let error = match output.exceeded {
            Some(_) => format!("\"{MAX_BUFFER_CODE}\""),
            None => error,
        };
        let args = vec![error, text(&output.bytes[0]), text(&output.bytes[1])];
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
            worker: false,
        };
        if let Some(p) = Arc::make_mut(&mut self.procs).get_mut(process) {
            if &**object == crate::scenario::node_syntax::PROCESS_OBJECT {
                p.process_events.push_back(record.clone());
            } else if let Some((child, slot)) = stream_object(object) {
                if let Some(c) = p.children.get_mut(child) {
                    c.streams[usize::from(slot) - 1].push_back(record.clone());
                }
            } else if let Some(c) = p.children.get_mut(object) {
                c.events.push_back(record.clone());
            }
        }
        record
    }
}

impl NodeProc {
    fn new(
        signal_pipe: Arc<str>,
        parent_channel: Option<Arc<str>>,
        channel_on_stdio: bool,
    ) -> NodeProc {
        NodeProc {
            signal_pipe,
            watching_sigchld: false,
            children: LiteMap::new(),
            parent_connected: parent_channel.is_some(),
            parent_channel,
            process_events: EventLog::new(),
            channel_on_stdio,
        }
    }
}

/// Bytes as a JavaScript string's JSON text: what a chunk's
/// `toString()` (UTF-8) gives, as the events' arguments are compared.
fn string_text(bytes: &[u8]) -> String {
    let s = String::from_utf8_lossy(bytes).into_owned();
    super::json::stringify(&super::JsValue::String(s))
        .map(|l| l.trim_end_matches('\n').to_string())
        .unwrap_or_default()
}

/// `CHILD.stdout` or `CHILD.stderr`: the child's name and the slot (1 or
/// 2), for an object that names a child's output stream.
pub fn stream_object(object: &str) -> Option<(&str, u8)> {
    let (child, stream) = object.rsplit_once('.')?;
    let slot = STDIO_NAMES.iter().position(|n| *n == stream)?;
    (slot > 0 && !child.is_empty()).then_some((child, slot as u8))
}

/// The code of the RangeError exec's callback gets when a stream went past
/// maxBuffer (its message: "stdout maxBuffer length exceeded"; node 20 sets
/// only `code` and `cmd` on it, no `killed` or `signal`).
pub const MAX_BUFFER_CODE: &str = "ERR_CHILD_PROCESS_STDIO_MAXBUFFER";

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
