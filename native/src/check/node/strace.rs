//! strace's output (`strace -f -qq -xx -s 1048576`) read: every finished
//! call (`calls`, which syscalls.rs holds against the model's kernel
//! steps), and the bytes each node process wrote on its IPC channels, per
//! statement (`channel_writes`).
//!
//! Why it is exact: libuv's uv_write tries the write at once when nothing
//! is queued, so a `send()` writes its line in the call, on the loop's
//! thread (whose tid is the process's pid), between the harness's 'start'
//! and 'ran' lines, which are themselves one write each on the control fd.
//! So the writes of statement N are those of that thread between its
//! `{"start":N,...}` and its `{"ran":N,...}` (or its end, for
//! `process.exit`), on a channel fd the harness named in those lines. A
//! write libuv had to queue (a full socket) would land outside the window
//! and show as a difference, never be guessed at.

use std::collections::BTreeMap;

/// One write(2), writev(2) or sendmsg(2) on one fd: the bytes it moved.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Write {
    fd: i64,
    bytes: Vec<u8>,
}

/// Decode strace's `-xx` strings in `text` (every `"..."`), concatenated:
/// the iovecs of a writev or sendmsg in order.
fn quoted_bytes(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut inside = false;
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => inside = !inside,
            b'\\' if inside && b.get(i + 1) == Some(&b'x') => {
                let hex = text.get(i + 2..i + 4).unwrap_or("");
                if let Ok(v) = u8::from_str_radix(hex, 16) {
                    out.push(v);
                }
                i += 3;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// The first `"..."` string in `args`, decoded (an execve's path).
pub(super) fn first_string(args: &str) -> Vec<u8> {
    let Some(open) = args.find('"') else {
        return Vec::new();
    };
    let Some(len) = args[open + 1..].find('"') else {
        return Vec::new();
    };
    quoted_bytes(&args[open..open + len + 2])
}

/// One finished system call as `strace -f` printed it: a call another
/// thread interrupted (`<unfinished ...>`) joined with its `<... NAME
/// resumed>` line, and placed where it finished.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Call {
    pub tid: u32,
    pub name: String,
    /// Between the parentheses, as strace wrote them.
    pub args: String,
    /// After ` = ` (`0`, `-1 EBADF (Bad file descriptor)`, `?`).
    pub result: String,
}

impl Call {
    /// The result as a number, when it is one.
    pub fn value(&self) -> Option<i64> {
        self.result.split_whitespace().next()?.parse().ok()
    }

    /// The first argument as a number (an fd, a pid, a signal's number).
    pub fn first_number(&self) -> Option<i64> {
        self.args.split(',').next()?.trim().parse().ok()
    }

    /// The bytes a write, writev or sendmsg moved (its result's count of
    /// the bytes it was given); None for any other call.
    pub fn written(&self) -> Option<Vec<u8>> {
        if !matches!(
            self.name.as_str(),
            "write" | "writev" | "sendmsg" | "sendto"
        ) {
            return None;
        }
        let mut bytes = quoted_bytes(&self.args);
        bytes.truncate(usize::try_from(self.value()?).unwrap_or(0));
        Some(bytes)
    }

    /// The line as strace wrote it (for a report).
    pub fn text(&self) -> String {
        format!("{}({}) = {}", self.name, self.args, self.result)
    }
}

/// A finished call's text, `NAME(ARGS) = RESULT`, parsed.
fn parse_call(tid: u32, call: &str) -> Option<Call> {
    let open = call.find('(')?;
    let name = &call[..open];
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return None;
    }
    // A resumed call's head and tail are joined with the padding strace
    // put before its ` = `.
    let eq = call.rfind(" = ")?;
    let head = call[..eq].trim_end().strip_suffix(')')?;
    if head.len() < open + 1 {
        return None;
    }
    Some(Call {
        tid,
        name: name.to_string(),
        args: head[open + 1..].to_string(),
        result: call[eq + 3..].trim().to_string(),
    })
}

/// Every finished call in strace's output, in the order they finished.
pub(super) fn calls(text: &str) -> Vec<Call> {
    let mut open: BTreeMap<u32, String> = BTreeMap::new();
    let mut out = Vec::new();
    for line in text.lines() {
        let Some((tid, rest)) = line.split_once(' ') else {
            continue;
        };
        let Ok(tid) = tid.parse::<u32>() else {
            continue;
        };
        let rest = rest.trim_start();
        let call = if let Some(head) = rest.strip_suffix(" <unfinished ...>") {
            open.insert(tid, head.to_string());
            continue;
        } else if rest.starts_with("<... ") {
            let Some(head) = open.remove(&tid) else {
                continue;
            };
            let Some((_, tail)) = rest.split_once(" resumed>") else {
                continue;
            };
            format!("{head}{tail}")
        } else {
            rest.to_string()
        };
        out.extend(parse_call(tid, &call));
    }
    out
}

/// Each thread's finished writes, in order.
fn writes_by_tid(text: &str) -> BTreeMap<u32, Vec<Write>> {
    let mut out: BTreeMap<u32, Vec<Write>> = BTreeMap::new();
    for call in calls(text) {
        let (Some(bytes), Some(fd)) = (call.written(), call.first_number()) else {
            continue;
        };
        out.entry(call.tid).or_default().push(Write { fd, bytes });
    }
    out
}

/// A process as the harness introduced itself.
#[derive(Clone, Debug)]
pub(super) struct Known {
    pub name: String,
    pub pid: u32,
    pub control_fd: i64,
}

/// Each statement's channel writes, by (pid, statement number).
pub(super) type ChannelWrites = BTreeMap<(u32, usize), Vec<Vec<u8>>>;

/// The channel writes of each statement (by its number in the scenario)
/// of each process in `known`, in order, read from strace's `text`.
pub(super) fn channel_writes(text: &str, known: &[Known]) -> ChannelWrites {
    let calls = writes_by_tid(text);
    let mut out = BTreeMap::new();
    for k in known {
        let Some(calls) = calls.get(&k.pid) else {
            continue;
        };
        // The statement under way and the channel fds it may write on.
        let mut window: Option<(usize, Vec<i64>)> = None;
        for w in calls {
            if w.fd == k.control_fd {
                for line in w.bytes.split(|&b| b == b'\n') {
                    let Ok(v) = serde_json::from_slice::<serde_json::Value>(line) else {
                        continue;
                    };
                    let fds = |v: &serde_json::Value| -> Vec<i64> {
                        v["fds"]
                            .as_array()
                            .map(|a| a.iter().filter_map(|f| f.as_i64()).collect())
                            .unwrap_or_default()
                    };
                    if let Some(n) = v["start"].as_u64() {
                        let n = n as usize;
                        out.entry((k.pid, n)).or_insert_with(Vec::new);
                        window = Some((n, fds(&v)));
                    } else if v["ran"].as_u64().is_some() {
                        window = None;
                    }
                }
                continue;
            }
            if let Some((n, fds)) = &window {
                if fds.contains(&w.fd) {
                    out.entry((k.pid, *n)).or_default().push(w.bytes.clone());
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUN: &str = r#"100 write(21, "\x7b\x22\x73\x74\x61\x72\x74\x22\x3a\x34\x2c\x22\x66\x64\x73\x22\x3a\x5b\x31\x39\x5d\x7d\x0a", 23) = 23
101 write(5, "\x2a", 1) = 1
100 write(5, "\x2a", 1) = 1
100 write(19, "\x7b\x7d\x0a", 3 <unfinished ...>
101 write(19, "\x41", 1) = 1
100 <... write resumed>) = 2
100 write(21, "\x7b\x22\x72\x61\x6e\x22\x3a\x34\x7d\x0a", 10) = 10
100 write(19, "\x42\x0a", 2) = 2
"#;

    #[test]
    fn only_the_loop_threads_writes_on_a_channel_fd_inside_the_window_count() {
        let got = channel_writes(
            RUN,
            &[Known {
                name: "main".into(),
                pid: 100,
                control_fd: 21,
            }],
        );
        // The resumed write moved 2 of its 3 bytes; thread 101's write and
        // the write after 'ran' are not statement 4's.
        assert_eq!(got.get(&(100, 4)), Some(&vec![b"{}".to_vec()]));
        assert_eq!(got.len(), 1);
    }
}
