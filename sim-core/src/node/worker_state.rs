//! What the Node layer knows of worker_threads: each Worker's thread (the
//! process it runs in, the isolate that made it, the events of its Worker
//! object and of its `parentPort`), and the typed arrays each isolate
//! holds, each a view of a buffer whose backing store is a region of the
//! process's memory. A `SharedArrayBuffer` is one buffer that several
//! isolates view; a transferred `ArrayBuffer` changes hands and leaves the
//! sender's view detached; a posted one is copied into a new buffer.
//!
//! The kernel model holds the pages (their frames, faults and map
//! counts); this holds what JavaScript reads from them: the elements
//! stored, since the kernel model moves no bytes. Changed only by
//! `NodeState::apply`, as `state.rs`.

use super::state::{NodeEvent, NodeState};
use crate::scenario::keyword::NodeEventName;
use crate::scenario::node_syntax::PROCESS_OBJECT;
use crate::scenario::worker_syntax::{ArrayKind, PARENT_PORT_OBJECT};
use litemap::LiteMap;
use std::sync::Arc;

/// A Worker's thread, and its two ends of the port between it and the
/// isolate that made it.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkerThread {
    /// The process it is a thread of.
    pub process: Arc<str>,
    /// The isolate that made it (the process's main thread, or a worker).
    pub owner: Arc<str>,
    /// What its Worker object emitted in `owner`.
    pub object_events: super::state::EventLog,
    /// What its `parentPort` emitted in the worker.
    pub port_events: super::state::EventLog,
}

/// A typed array an isolate holds: a view of one buffer.
#[derive(Clone, Debug, PartialEq)]
pub struct ArrayView {
    /// The buffer's key in `NodeState::buffers`.
    pub buffer: Arc<str>,
    /// Whether its ArrayBuffer was transferred away: byteLength 0, and a
    /// store does nothing.
    pub detached: bool,
}

/// A buffer's backing store: a region of its process's memory.
#[derive(Clone, Debug, PartialEq)]
pub struct Buffer {
    /// The process whose memory holds it.
    pub process: Arc<str>,
    /// Its region there.
    pub region: Arc<str>,
    pub kind: ArrayKind,
    pub bytes: u64,
    /// A SharedArrayBuffer's: shared by every isolate that holds it.
    pub shared: bool,
    /// The elements stored so far (the others read 0).
    pub values: LiteMap<u64, f64>,
}

/// The typed arrays of every isolate, by (isolate, name).
pub(crate) type Views = LiteMap<(Arc<str>, Arc<str>), ArrayView>;

/// How a typed array posted with `postMessage` reaches its receiver.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Arrival {
    /// Structured clone of a SharedArrayBuffer: the same buffer.
    Shared,
    /// In the transfer list: the same buffer, the sender's view detached.
    Transferred,
    /// Copied into a new buffer, at this region.
    Copied { region: Arc<str> },
}

/// The key of a buffer: its process and region.
pub(crate) fn buffer_key(process: &str, region: &str) -> Arc<str> {
    format!("{process}/{region}").into()
}

impl NodeState {
    /// The worker thread named `name`.
    pub fn worker(&self, name: &str) -> Option<&WorkerThread> {
        self.workers.get(name)
    }

    /// Every worker thread, by name.
    pub fn workers(&self) -> impl Iterator<Item = (&str, &WorkerThread)> {
        self.workers.iter().map(|(n, w)| (&**n, w))
    }

    /// The process an isolate runs in: a node process itself, or a
    /// worker's process.
    pub fn process_of(&self, isolate: &str) -> Option<Arc<str>> {
        if self.proc(isolate).is_some() {
            return Some(isolate.into());
        }
        self.workers.get(isolate).map(|w| w.process.clone())
    }

    /// The typed array `name` that `isolate` holds.
    pub fn array(&self, isolate: &str, name: &str) -> Option<&ArrayView> {
        self.arrays.get(&(Arc::from(isolate), Arc::from(name)))
    }

    /// The names of the typed arrays `isolate` holds.
    pub fn array_names<'a>(&'a self, isolate: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.arrays
            .iter()
            .filter(move |((i, _), _)| &**i == isolate)
            .map(|((_, n), _)| &**n)
    }

    /// The buffer a view shows.
    pub fn buffer(&self, view: &ArrayView) -> Option<&Buffer> {
        self.buffers.get(&view.buffer)
    }

    /// What `isolate` reads at `array[index]`: None when it holds no such
    /// array; `undefined` past the end or once detached.
    pub fn element(&self, isolate: &str, array: &str, index: u64) -> Option<Option<f64>> {
        let view = self.array(isolate, array)?;
        let buffer = self.buffer(view)?;
        let length = buffer.bytes / buffer.kind.element_bytes();
        if view.detached || index >= length {
            return Some(None);
        }
        Some(Some(buffer.values.get(&index).copied().unwrap_or(0.0)))
    }

    /// `array.byteLength` in `isolate`: 0 once detached.
    pub fn byte_length(&self, isolate: &str, array: &str) -> Option<u64> {
        let view = self.array(isolate, array)?;
        let buffer = self.buffer(view)?;
        Some(if view.detached { 0 } else { buffer.bytes })
    }

    /// What JavaScript in `isolate` reads for `expect P value ARRAY...`:
    /// an element (`undefined` past the end or once detached) or the
    /// byteLength; None when it holds no such array. What the model
    /// judges the expect on, and `check --node` compares with node's read.
    pub fn read(
        &self,
        isolate: &str,
        array: &str,
        read: &crate::scenario::ast::ValueRead,
    ) -> Option<Option<f64>> {
        match read {
            crate::scenario::ast::ValueRead::Element { index } => {
                self.element(isolate, array, *index)
            }
            crate::scenario::ast::ValueRead::ByteLength => self
                .byte_length(isolate, array)
                .map(|bytes| Some(bytes as f64)),
        }
    }

    /// `isolate` makes the typed array `name` over a new `buffer`.
    pub(super) fn new_array(&mut self, isolate: &Arc<str>, name: &Arc<str>, buffer: Buffer) {
        let key = buffer_key(&buffer.process, &buffer.region);
        Arc::make_mut(&mut self.buffers).insert(key.clone(), buffer);
        self.bind(isolate, name, key);
    }

    fn bind(&mut self, isolate: &Arc<str>, name: &Arc<str>, buffer: Arc<str>) {
        Arc::make_mut(&mut self.arrays).insert(
            (isolate.clone(), name.clone()),
            ArrayView {
                buffer,
                detached: false,
            },
        );
    }

    pub(super) fn start_worker(
        &mut self,
        owner: &Arc<str>,
        worker: &Arc<str>,
        process: &Arc<str>,
        data: Option<&Arc<str>>,
    ) {
        Arc::make_mut(&mut self.workers).insert(
            worker.clone(),
            WorkerThread {
                process: process.clone(),
                owner: owner.clone(),
                object_events: super::state::EventLog::new(),
                port_events: super::state::EventLog::new(),
            },
        );
        // workerData is cloned into the worker: a SharedArrayBuffer's
        // view arrives on the same buffer (the model lets only those).
        if let Some(data) = data {
            if let Some(view) = self.array(owner, data).cloned() {
                self.bind(worker, data, view.buffer);
            }
        }
    }

    pub(super) fn store(&mut self, isolate: &str, array: &str, index: u64, value: f64) {
        let Some(view) = self.array(isolate, array).cloned() else {
            return;
        };
        if view.detached {
            return;
        }
        if let Some(b) = Arc::make_mut(&mut self.buffers).get_mut(&view.buffer) {
            if index < b.bytes / b.kind.element_bytes() {
                let stored = b.kind.stored(value);
                b.values.insert(index, stored);
            }
        }
    }

    /// A typed array `name` of `from` arriving in `to` as `how` says.
    pub(super) fn arrive(
        &mut self,
        from: &Arc<str>,
        to: &Arc<str>,
        name: &Arc<str>,
        how: &Arrival,
    ) {
        let Some(view) = self.array(from, name).cloned() else {
            return;
        };
        match how {
            Arrival::Shared => self.bind(to, name, view.buffer),
            Arrival::Transferred => {
                if let Some(v) =
                    Arc::make_mut(&mut self.arrays).get_mut(&(from.clone(), name.clone()))
                {
                    v.detached = true;
                }
                self.bind(to, name, view.buffer);
            }
            Arrival::Copied { region } => {
                let Some(old) = self.buffers.get(&view.buffer).cloned() else {
                    return;
                };
                let key = buffer_key(&old.process, region);
                Arc::make_mut(&mut self.buffers).insert(
                    key.clone(),
                    Buffer {
                        region: region.clone(),
                        shared: false,
                        ..old
                    },
                );
                self.bind(to, name, key);
            }
        }
    }

    /// Record that `object` in `isolate` emitted `event(args)`, where
    /// `object` is a Worker's name (in its owner) or `parentPort` (in a
    /// worker); None when there is no such object.
    pub(super) fn emit_worker(
        &mut self,
        isolate: &Arc<str>,
        object: &Arc<str>,
        event: NodeEventName,
        args: Vec<String>,
    ) -> Option<NodeEvent> {
        let record = NodeEvent {
            process: isolate.clone(),
            object: object.clone(),
            event,
            args,
            worker: true,
        };
        let workers = Arc::make_mut(&mut self.workers);
        if &**object == PARENT_PORT_OBJECT {
            workers
                .get_mut(isolate)?
                .port_events
                .push_back(record.clone());
        } else {
            let w = workers.get_mut(object).filter(|w| &w.owner == isolate)?;
            w.object_events.push_back(record.clone());
        }
        Some(record)
    }

    /// The events of a worker-related object: `parentPort` in a worker,
    /// or a Worker object in the isolate that made it.
    pub fn worker_events(&self, isolate: &str, object: &str) -> Option<&super::state::EventLog> {
        if object == PARENT_PORT_OBJECT {
            return self.workers.get(isolate).map(|w| &w.port_events);
        }
        if object == PROCESS_OBJECT {
            return None;
        }
        self.workers
            .get(object)
            .filter(|w| &*w.owner == isolate)
            .map(|w| &w.object_events)
    }
}
