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
use super::worker_state::{Arrival, Buffer, Views, WorkerThread};
use crate::scenario::keyword::NodeEventName;
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

/// A child object in its parent: what `fork()` returned.
#[derive(Clone, Debug, PartialEq)]
pub struct ChildObject {
    /// The socketpair of its IPC channel; the parent holds side 0.
    pub channel: Arc<str>,
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
    /// `fork()` made the child object `child` in `parent`.
    Forked {
        parent: Arc<str>,
        child: Arc<str>,
        channel: Arc<str>,
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
            } => {
                Arc::make_mut(&mut world.node.channels).insert(channel.clone(), Channel::default());
                if let Some(p) = Arc::make_mut(&mut world.node.procs).get_mut(parent) {
                    let order = p.children.len() as u32;
                    p.children.insert(
                        child.clone(),
                        ChildObject {
                            channel: channel.clone(),
                            events: imbl::Vector::new(),
                            exit: None,
                            connected: true,
                            order,
                        },
                    );
                }
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
                    .map(|c| c.channel.clone());
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
                    let mut connected = true;
                    if let Some(c) = Arc::make_mut(&mut world.node.procs)
                        .get_mut(parent)
                        .and_then(|p| p.children.get_mut(child))
                    {
                        c.exit = Some(status);
                        connected = c.connected;
                    }
                    events.push(world.node.emit(
                        parent,
                        child,
                        NodeEventName::Exit,
                        exit_args(status),
                    ));
                    // 'close' once the child has exited and its channel
                    // is closed, whichever came last.
                    if !connected {
                        events.push(world.node.emit(
                            parent,
                            child,
                            NodeEventName::Close,
                            exit_args(status),
                        ));
                    }
                }
            }
            Effect::Closed { parent, child } => {
                let Some(c) = Arc::make_mut(&mut world.node.procs)
                    .get_mut(parent)
                    .and_then(|p| p.children.get_mut(child))
                else {
                    return events;
                };
                c.connected = false;
                let exit = c.exit;
                events.push(
                    world
                        .node
                        .emit(parent, child, NodeEventName::Disconnect, vec![]),
                );
                if let Some(status) = exit {
                    events.push(world.node.emit(
                        parent,
                        child,
                        NodeEventName::Close,
                        exit_args(status),
                    ));
                }
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

/// 'exit' and 'close' arguments: (code, null) or (null, 'SIGNAL').
fn exit_args(status: ExitStatus) -> Vec<String> {
    match status {
        ExitStatus::Exited(code) => vec![code.to_string(), "null".into()],
        ExitStatus::Signaled(sig) => vec!["null".into(), format!("\"{sig}\"")],
    }
}
