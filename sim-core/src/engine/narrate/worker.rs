//! The sentences of worker_threads (`node::worker`): why node makes each
//! step of a worker statement's group, and what the statement does. A
//! thread's steps are its process's (one address space), so each sentence
//! names the thread that acts and the process whose memory it touches.

use crate::node::worker::{WorkerWhy, WORKER_STACK_PAGES};
use crate::node::worker_state::Arrival;
use crate::scenario::node_syntax::NodeStmt;
use crate::scenario::worker_syntax::PostValue;
use crate::words::count;

/// Why node made this step; `actor` is the process whose step it is.
pub(super) fn why(why: &WorkerWhy, actor: &str) -> String {
    match why {
        WorkerWhy::Buffer {
            by,
            kind,
            bytes,
            shared,
        } => {
            let buffer = if *shared {
                "SharedArrayBuffer"
            } else {
                "ArrayBuffer"
            };
            let article = if kind.name().starts_with(['A', 'E', 'I', 'O', 'U']) {
                "an"
            } else {
                "a"
            };
            format!(
                "V8 in {by} allocates the {buffer}'s {} zero-filled, for {article} {} over it (node's allocator calloc()s it: for a small buffer from malloc's heap, not an mmap of its own; the model gives it a region of {actor}'s memory so that its pages can be seen). Nothing is touched yet.",
                count(*bytes, "byte", "bytes"),
                kind.name()
            )
        }
        WorkerWhy::Stack { worker } => format!(
            "new Worker() starts a thread: pthread_create maps its stack in {actor}'s memory, 4 MiB (node's stackSizeMb) and a guard page, {} with MAP_STACK, as strace shows node 20 do. Untouched, it costs no frame; the thread's first touches of it are not shown. It is {worker}'s stack in {actor}'s address space, not a process of its own.",
            count(u64::from(WORKER_STACK_PAGES), "page", "pages")
        ),
        WorkerWhy::Clone { worker, data } => {
            let data = if *data {
                " workerData is cloned to it: a SharedArrayBuffer arrives as the same memory, not a copy."
            } else {
                ""
            };
            format!(
                "pthread_create clones {worker}: clone3(CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|...), as strace shows node 20 do. A thread of {actor}, not a child process: the same pid, the same page tables.{data}"
            )
        }
        WorkerWhy::Online { worker } => format!(
            "{worker} starts its own V8 isolate, heap and libuv loop (their mmaps, PROT_NONE reservations of hundreds of MiB, and its loop's epoll and eventfd are left out), runs './w.js', and tells its owner it is online."
        ),
        WorkerWhy::Store {
            by,
            array,
            index,
            page,
            shared,
        } => {
            let seen = if *shared {
                " Every thread that holds this SharedArrayBuffer reads it at once: they all map this page through the one page table."
            } else {
                ""
            };
            format!(
                "{by} stores into {array}[{index}]: a plain write to page {page} of the buffer, in {actor}'s memory, with no system call.{seen}"
            )
        }
        WorkerWhy::Load {
            by,
            array,
            index,
            page,
        } => format!(
            "{by} loads {array}[{index}]: a plain read of page {page} of the buffer, in {actor}'s memory, with no system call."
        ),
        WorkerWhy::StoreIgnored { array, detached } => {
            if *detached {
                format!("{array}'s buffer was transferred away: it is detached (byteLength 0), so the access touches nothing and reads undefined; a store does nothing and throws nothing.")
            } else {
                format!("The index is past the end of {array}: a store does nothing and a load reads undefined; no memory is touched.")
            }
        }
        WorkerWhy::Post { from, to, how } => {
            let moved = match how {
                None => "V8's serializer copies the value into a message on the port's queue",
                Some(Arrival::Copied { .. }) => "V8's serializer copies the typed array's bytes into a message on the port's queue",
                Some(Arrival::Shared) => "the message carries a reference to the SharedArrayBuffer's memory, not its bytes",
                Some(Arrival::Transferred) => "the ArrayBuffer is in the transfer list: its backing store changes hands with no copy, and the sender's buffer is detached (byteLength 0)",
            };
            format!(
                "postMessage in {from}: {moved}. No system call carries it: a MessagePort is memory in one process. uv_async_send then writes 8 bytes to {to}'s loop's eventfd to wake it (an eventfd, which the model's language has no call for)."
            )
        }
        WorkerWhy::Threw { error } => {
            let stop = if error.ends_with('.') { "" } else { "." };
            format!("postMessage throws {error}{stop} Nothing is posted.")
        }
        WorkerWhy::CopyMap { to, array } => format!(
            "{to}'s deserializer allocates a new backing store for its copy of {array}, in {actor}'s memory: a copy, not the sender's pages."
        ),
        WorkerWhy::CopyBytes { to, array } => format!(
            "{to}'s deserializer copies {array}'s bytes into it: every page is written, so every page takes a frame of its own."
        ),
        WorkerWhy::Message { to, object } => format!(
            "{to}'s loop wakes on its eventfd and runs the port: {object} emits 'message' with the clone."
        ),
    }
}

/// What a worker statement by `actor` does, in a sentence.
pub(super) fn what(actor: &str, stmt: &NodeStmt) -> String {
    match stmt {
        NodeStmt::Array {
            name,
            kind,
            bytes,
            shared,
        } => {
            let buffer = if *shared {
                "a SharedArrayBuffer"
            } else {
                "an ArrayBuffer of its own"
            };
            let article = if kind.name().starts_with(['A', 'E', 'I', 'O', 'U']) {
                "an"
            } else {
                "a"
            };
            format!(
                "{actor} makes {name}, {article} {} over {buffer} of {}.",
                kind.name(),
                count(*bytes, "byte", "bytes")
            )
        }
        NodeStmt::Worker { worker, data, .. } => {
            let data = data
                .as_ref()
                .map(|d| format!(" with {d} as its workerData"))
                .unwrap_or_default();
            format!("{actor} starts the Worker {worker}{data}: a thread of the same process.")
        }
        NodeStmt::Store {
            array,
            index,
            value,
            ..
        } => format!("{actor} stores {} into {array}[{index}].", value.text),
        NodeStmt::Load { array, index } => format!("{actor} loads {array}[{index}]."),
        NodeStmt::Post {
            to,
            message,
            transfer,
        } => {
            let what = match (message, transfer) {
                (PostValue::Value { value }, _) => format!("the value {}", value.text),
                (PostValue::Array { name }, false) => format!("the typed array {name}"),
                (PostValue::Array { name }, true) => {
                    format!("the typed array {name}, transferring its buffer")
                }
            };
            match to {
                crate::scenario::node_syntax::NodeObject::ParentPort => {
                    format!("{actor} posts {what} on its parentPort, to the thread that made it.")
                }
                _ => format!("{actor} posts {what} to the Worker {to}, on its port."),
            }
        }
        _ => String::new(),
    }
}
