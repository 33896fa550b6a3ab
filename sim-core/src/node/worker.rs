//! worker_threads, expanded into kernel steps (NODE-FACTS "worker_threads,
//! for contrast", measured on node 20 with strace): a typed array's buffer
//! is a region of its process's memory; `new Worker(...)` maps the
//! thread's stack (4 MiB and a guard page, MAP_STACK) and clones a thread
//! of the same process (clone3 with CLONE_VM|CLONE_FS|CLONE_FILES|
//! CLONE_SIGHAND|CLONE_THREAD|...); a store or a load by either thread is a
//! write or a read of the one page table's page; `postMessage` moves the
//! message through memory (V8's serializer, the port's queue), and no
//! system call carries it: only uv_async_send's 8-byte write to the
//! receiving loop's eventfd wakes it, which the kernel language has no
//! call for, so those steps are node's alone. A posted typed array is
//! copied into a new backing store (its pages written), shared when it is
//! a SharedArrayBuffer's, and moved without a copy when its buffer is in
//! the transfer list, which detaches the sender's.
//!
//! What is left out, and said so in the narration: the worker's own V8
//! isolate and heap (hundreds of MiB of reservations, mapped PROT_NONE),
//! its libuv loop's epoll and eventfd, and the first touches of its stack.
//! A worker runs until its process ends (`process.exit()` or
//! `terminate()` in a worker are not modelled yet).

use super::expand::{Plan, Why};
use super::state::Effect;
use super::worker_state::Arrival;
use super::JsValue;
use crate::scenario::ast::{Name, Op, PageRange};
use crate::scenario::node_syntax::{NodeObject, NodeStmt, NodeValue};
use crate::scenario::worker_syntax::{ArrayKind, PostValue, PARENT_PORT_OBJECT};
use crate::scenario::{ErrorKind, ScenarioError};
use crate::world::World;
use std::sync::Arc;

/// A worker's stack: node's default (stackSizeMb 4) and glibc's guard
/// page, as strace shows node 20 map it (mmap of 4198400 bytes, MAP_STACK).
pub(crate) const WORKER_STACK_PAGES: u32 = 1025;
/// Bytes in a page (the model's profile is x86_64's).
const PAGE: u64 = 4096;

/// Why node makes a step of a worker statement's group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum WorkerWhy {
    /// V8 allocates a buffer's zero-filled backing store.
    Buffer {
        by: Arc<str>,
        kind: ArrayKind,
        bytes: u64,
        shared: bool,
    },
    /// pthread_create maps the worker's stack.
    Stack { worker: Arc<str> },
    /// pthread_create clones the thread.
    Clone { worker: Arc<str>, data: bool },
    /// The worker's isolate and loop start, and it tells its owner.
    Online { worker: Arc<str> },
    /// A store into an element: a write to its page.
    Store {
        by: Arc<str>,
        array: Arc<str>,
        index: u64,
        page: u32,
        shared: bool,
    },
    /// A load of an element: a read of its page.
    Load {
        by: Arc<str>,
        array: Arc<str>,
        index: u64,
        page: u32,
    },
    /// A store that does nothing: the buffer is detached, or the index
    /// is past the end.
    StoreIgnored { array: Arc<str>, detached: bool },
    /// postMessage serializes the message onto the port's queue.
    Post {
        from: Arc<str>,
        to: Arc<str>,
        how: Option<Arrival>,
    },
    /// postMessage throws, and nothing is posted.
    Threw { error: String },
    /// The receiver's deserializer allocates the copy's backing store.
    CopyMap { to: Arc<str>, array: Arc<str> },
    /// ...and copies the bytes into it.
    CopyBytes { to: Arc<str>, array: Arc<str> },
    /// The receiving loop runs the port: 'message'.
    Message { to: Arc<str>, object: Arc<str> },
}

/// Whether `stmt` by `actor` is a worker statement, or any statement by a
/// worker thread: `expand` plans those.
pub(super) fn handles(world: &World, actor: &Name, stmt: &NodeStmt) -> bool {
    world.node().worker(&actor.text).is_some()
        || matches!(
            stmt,
            NodeStmt::Array { .. }
                | NodeStmt::Worker { .. }
                | NodeStmt::Store { .. }
                | NodeStmt::Load { .. }
                | NodeStmt::Post { .. }
        )
}

/// The group of a worker statement by `actor` (a node process's main
/// thread or a worker thread).
pub(super) fn expand(
    world: &World,
    plan: &mut Plan,
    actor: &Name,
    stmt: &NodeStmt,
) -> Result<(), ScenarioError> {
    let node = world.node();
    let isolate: Arc<str> = actor.text.as_str().into();
    let Some(process) = node.process_of(&isolate) else {
        return Err(ScenarioError::new(
            actor.pos,
            ErrorKind::NotNode {
                process: actor.text.clone(),
            },
        ));
    };
    let thread = node.worker(&isolate).is_some();
    match stmt {
        NodeStmt::Array {
            name,
            kind,
            bytes,
            shared,
        } => {
            // A worker's buffers are in its process's memory too: named
            // after the worker, beside the main thread's.
            let region = if thread {
                format!("{isolate}-{name}")
            } else {
                name.text.clone()
            };
            let pages = bytes.div_ceil(PAGE) as u32;
            let op = Op::Mmap {
                region: plan.name(&region),
                pages,
                shared: false,
            };
            let why = WorkerWhy::Buffer {
                by: isolate.clone(),
                kind: *kind,
                bytes: *bytes,
                shared: *shared,
            };
            let effect = Effect::NewArray {
                isolate,
                name: name.text.as_str().into(),
                process: process.clone(),
                region: region.into(),
                kind: *kind,
                bytes: *bytes,
                shared: *shared,
            };
            plan.op(&process, op, Why::Worker(why), effect);
        }
        NodeStmt::Worker { worker, data, .. } => {
            if let Some(data) = data {
                let view = array(world, &isolate, data)?;
                let shared = node.buffer(view).is_some_and(|b| b.shared);
                if !shared {
                    return Err(ScenarioError::new(
                        data.pos,
                        ErrorKind::Expected {
                            expected: "a typed array over a SharedArrayBuffer (the model passes only those as workerData)".into(),
                            found: format!("\"{data}\", over an ArrayBuffer of its own"),
                        },
                    ));
                }
            }
            let w: Arc<str> = worker.text.as_str().into();
            let stack = plan.name(&format!("{worker}-stack"));
            plan.op(
                &process,
                Op::Mmap {
                    region: stack,
                    pages: WORKER_STACK_PAGES,
                    shared: false,
                },
                Why::Worker(WorkerWhy::Stack { worker: w.clone() }),
                Effect::None,
            );
            plan.op(
                &process,
                Op::Thread {
                    thread: worker.clone(),
                },
                Why::Worker(WorkerWhy::Clone {
                    worker: w.clone(),
                    data: data.is_some(),
                }),
                Effect::WorkerStarted {
                    owner: isolate.clone(),
                    worker: w.clone(),
                    process: process.clone(),
                    data: data.as_ref().map(|d| d.text.as_str().into()),
                },
            );
            plan.alone_with(
                Why::Worker(WorkerWhy::Online { worker: w.clone() }),
                Effect::WorkerOnline {
                    owner: isolate,
                    worker: w,
                },
            );
        }
        NodeStmt::Store {
            array: name,
            index,
            value,
            ..
        } => {
            let Some((buffer, page)) = element(world, plan, &isolate, name, *index)? else {
                return Ok(());
            };
            let op = Op::Write {
                region: plan.name(&buffer.region),
                range: range(plan, page),
            };
            let number = match value.value {
                JsValue::Number(n) => n,
                _ => 0.0,
            };
            let why = WorkerWhy::Store {
                by: isolate.clone(),
                array: name.text.as_str().into(),
                index: *index,
                page,
                shared: buffer.shared,
            };
            let effect = Effect::Stored {
                isolate,
                array: name.text.as_str().into(),
                index: *index,
                value: number.to_bits(),
            };
            plan.op(&process, op, Why::Worker(why), effect);
        }
        NodeStmt::Load { array: name, index } => {
            let Some((buffer, page)) = element(world, plan, &isolate, name, *index)? else {
                return Ok(());
            };
            let op = Op::Read {
                region: plan.name(&buffer.region),
                range: range(plan, page),
            };
            let why = WorkerWhy::Load {
                by: isolate.clone(),
                array: name.text.as_str().into(),
                index: *index,
                page,
            };
            plan.op(&process, op, Why::Worker(why), Effect::None);
        }
        NodeStmt::Post {
            to,
            message,
            transfer,
        } => post(
            world, plan, actor, &isolate, &process, to, message, *transfer,
        )?,
        NodeStmt::Fork { .. } => return Err(not_in_worker(actor, &process, "child_process.fork")),
        NodeStmt::Send { .. } => return Err(not_in_worker(actor, &process, "send()")),
        NodeStmt::Exit { .. } => {
            return Err(not_in_worker(
                actor,
                &process,
                "process.exit() (ending one thread)",
            ))
        }
        NodeStmt::Kill { .. } => return Err(not_in_worker(actor, &process, "kill()")),
        NodeStmt::Spawn { via, .. } => {
            return Err(not_in_worker(
                actor,
                &process,
                &format!("child_process.{}", via.function()),
            ))
        }
        NodeStmt::Disconnect { .. } => return Err(not_in_worker(actor, &process, "disconnect()")),
    }
    Ok(())
}

/// `W.postMessage(...)` in W's owner, or `parentPort.postMessage(...)` in
/// a worker.
#[allow(clippy::too_many_arguments)]
fn post(
    world: &World,
    plan: &mut Plan,
    actor: &Name,
    isolate: &Arc<str>,
    process: &Arc<str>,
    to: &NodeObject,
    message: &PostValue,
    transfer: bool,
) -> Result<(), ScenarioError> {
    let node = world.node();
    // Who receives, and which of its objects emits 'message' there.
    let (receiver, object): (Arc<str>, Arc<str>) = match to {
        NodeObject::Child { name } => match node.worker(&name.text) {
            Some(w) if w.owner == *isolate => {
                (name.text.as_str().into(), PARENT_PORT_OBJECT.into())
            }
            _ => {
                return Err(ScenarioError::new(
                    name.pos,
                    ErrorKind::UnknownWorker {
                        process: actor.text.clone(),
                        name: name.text.clone(),
                        suggestion: crate::scenario::error::suggest(
                            &name.text,
                            node.workers()
                                .filter(|(_, w)| w.owner == *isolate)
                                .map(|(n, _)| n),
                        ),
                    },
                ))
            }
        },
        NodeObject::ParentPort => match node.worker(isolate) {
            Some(w) => (w.owner.clone(), isolate.clone()),
            None => {
                return Err(ScenarioError::new(
                    actor.pos,
                    ErrorKind::NoParentPort {
                        process: actor.text.clone(),
                    },
                ))
            }
        },
        NodeObject::Process => unreachable!("postMessage is never parsed on process"),
    };
    let (arg, array_move) = match message {
        PostValue::Value { value } => {
            if !plain(&value.value) {
                return Err(ScenarioError::new(
                    value.pos,
                    ErrorKind::PostValueNotModelled,
                ));
            }
            (json_text(value), None)
        }
        PostValue::Array { name } => {
            let view = array(world, isolate, name)?;
            let buffer = node.buffer(view).expect("a view's buffer exists");
            // As node 20 words them.
            if view.detached {
                plan.alone(Why::Worker(WorkerWhy::Threw {
                    error: "DataCloneError: An ArrayBuffer is detached and could not be cloned."
                        .into(),
                }));
                return Ok(());
            }
            if transfer && buffer.shared {
                plan.alone(Why::Worker(WorkerWhy::Threw {
                    error: "TypeError: Found invalid object in transferList".into(),
                }));
                return Ok(());
            }
            let how = if buffer.shared {
                Arrival::Shared
            } else if transfer {
                Arrival::Transferred
            } else {
                Arrival::Copied {
                    region: format!("{receiver}-{name}").into(),
                }
            };
            let length = buffer.bytes / buffer.kind.element_bytes();
            let arg = format!("\"{}({length})\"", buffer.kind.name());
            (arg, Some((name, how, buffer.bytes)))
        }
    };
    plan.alone(Why::Worker(WorkerWhy::Post {
        from: isolate.clone(),
        to: receiver.clone(),
        how: array_move.as_ref().map(|(_, how, _)| how.clone()),
    }));
    if let Some((name, Arrival::Copied { region }, bytes)) = &array_move {
        let pages = bytes.div_ceil(PAGE) as u32;
        let array: Arc<str> = name.text.as_str().into();
        plan.op(
            process,
            Op::Mmap {
                region: plan.name(region),
                pages,
                shared: false,
            },
            Why::Worker(WorkerWhy::CopyMap {
                to: receiver.clone(),
                array: array.clone(),
            }),
            Effect::None,
        );
        let all = PageRange {
            start: 0,
            end: pages,
            pos: plan.pos(),
        };
        plan.op(
            process,
            Op::Write {
                region: plan.name(region),
                range: all,
            },
            Why::Worker(WorkerWhy::CopyBytes {
                to: receiver.clone(),
                array,
            }),
            Effect::None,
        );
    }
    plan.alone_with(
        Why::Worker(WorkerWhy::Message {
            to: receiver.clone(),
            object: object.clone(),
        }),
        Effect::Delivered {
            from: isolate.clone(),
            to: receiver,
            object,
            arg,
            array: array_move.map(|(name, how, _)| (name.text.as_str().into(), how)),
        },
    );
    Ok(())
}

/// The typed array `name` that `isolate` holds, or the error that it
/// holds none.
fn array<'w>(
    world: &'w World,
    isolate: &str,
    name: &Name,
) -> Result<&'w super::worker_state::ArrayView, ScenarioError> {
    let node = world.node();
    node.array(isolate, &name.text).ok_or_else(|| {
        ScenarioError::new(
            name.pos,
            ErrorKind::UnknownArray {
                process: isolate.to_string(),
                name: name.text.clone(),
                suggestion: crate::scenario::error::suggest(&name.text, node.array_names(isolate)),
            },
        )
    })
}

fn not_in_worker(actor: &Name, process: &str, what: &str) -> ScenarioError {
    ScenarioError::new(
        actor.pos,
        ErrorKind::NotInWorker {
            thread: actor.text.clone(),
            process: process.to_string(),
            what: what.into(),
        },
    )
}

/// One page, as a range.
/// The buffer behind `name[index]` in `isolate` and the page of the
/// element; None when the access touches nothing (a detached buffer, an
/// index past the end: a store is ignored, a load reads undefined), and
/// the step says so.
fn element<'w>(
    world: &'w World,
    plan: &mut Plan,
    isolate: &str,
    name: &Name,
    index: u64,
) -> Result<Option<(&'w super::worker_state::Buffer, u32)>, ScenarioError> {
    let view = array(world, isolate, name)?;
    let buffer = world.node().buffer(view).expect("a view's buffer exists");
    let length = buffer.bytes / buffer.kind.element_bytes();
    if view.detached || index >= length {
        plan.alone(Why::Worker(WorkerWhy::StoreIgnored {
            array: name.text.as_str().into(),
            detached: view.detached,
        }));
        return Ok(None);
    }
    Ok(Some((
        buffer,
        (index * buffer.kind.element_bytes() / PAGE) as u32,
    )))
}

fn range(plan: &Plan, page: u32) -> PageRange {
    PageRange {
        start: page,
        end: page + 1,
        pos: plan.pos(),
    }
}

/// Whether structured clone gives the same value JSON would: the values
/// the model carries on a port.
fn plain(value: &JsValue) -> bool {
    match value {
        JsValue::Null | JsValue::Bool(_) | JsValue::String(_) => true,
        JsValue::Number(n) => n.is_finite(),
        JsValue::Array(items) => items.iter().all(plain),
        JsValue::Object(o) => o.entries().all(|(_, v)| plain(v)),
        _ => false,
    }
}

/// A value as the Node event expects compare it: JSON text.
fn json_text(value: &NodeValue) -> String {
    super::json::stringify(&value.value)
        .map(|line| line.trim_end_matches('\n').to_string())
        .unwrap_or_default()
}
