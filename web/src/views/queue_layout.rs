//! What the Pipes and sockets view draws, worked out without a browser:
//! each pipe's ring of page slots, each socketpair's two directions (the
//! skbs queued at the receiver, and their truesize charged to the sender
//! against its SO_SNDBUF), who sleeps at which end, and what the step
//! changed (slots and skbs added or drained, bytes queued before and now).
//!
//! Lists are capped (`MAX_ITEMS`); what is left out is counted.

use sim_core::ipc::fd::EndRef;
use sim_core::ipc::pipe::{PipeEnd, Slot};
use sim_core::ipc::socket::{Side, Skb, SockType};
use sim_core::proc::{BlockedCall, BlockedOn, ProcState};
use sim_core::sort::sort_by_key;
use sim_core::words::{bytes, count};
use sim_core::world::{Object, World};

/// Slots or skbs drawn per queue before the rest is counted.
pub const MAX_ITEMS: usize = 16;

/// A process asleep at an end (or stopped inside a call on it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sleeper {
    pub name: String,
    pub pid: u32,
    /// What it waits to do: "write 70000 B (65536 sent)", "read up to 10 B".
    pub doing: String,
    /// Stopped by a signal inside the call (it resumes on SIGCONT).
    pub stopped: bool,
}

/// One drawn slot or skb.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    /// Bytes still to read.
    pub unread: u32,
    /// Bytes already read from it (a pipe slot's offset, a stream skb's
    /// consumed count).
    pub read: u32,
    /// What it costs: a pipe slot a page, an skb its truesize.
    pub cost: u64,
    /// Added or changed at this step.
    pub changed: bool,
}

/// One direction of travel: bytes written at `from` wait in a queue until
/// read at `to`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lane {
    /// The end written to (`p.w`, `s.0`) and the end read from (`p.r`, `s.1`).
    pub from: String,
    pub to: String,
    /// Oldest first (the reader's side), capped at `MAX_ITEMS`.
    pub items: Vec<Item>,
    /// Items not drawn, and their unread bytes: they sit after the first
    /// `gap` items drawn (the oldest), before the newest ones.
    pub more: (usize, u64),
    pub gap: usize,
    /// Free places drawn after the items (pipe slots; 0 for sockets).
    pub free_slots: u32,
    /// Unread bytes in the queue now, and before the step (None: the
    /// object is new or it is step 0).
    pub queued: u64,
    pub queued_before: Option<u64>,
    /// For a socket direction: the sender's charged truesize
    /// (sk_wmem_alloc) and its SO_SNDBUF.
    pub charge: Option<(u64, u32)>,
    pub writers: Vec<Sleeper>,
    pub readers: Vec<Sleeper>,
    /// Open files on the writing end and on the reading end.
    pub files: (u32, u32),
}

impl Lane {
    /// Whether what is queued changed at this step.
    pub fn changed(&self) -> bool {
        self.queued_before.is_some_and(|b| b != self.queued) || self.items.iter().any(|i| i.changed)
    }
}

/// A pipe or a socketpair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Channel {
    pub name: String,
    /// "pipe", "stream socketpair", "datagram socketpair".
    pub kind: &'static str,
    /// A pipe's size: slots and bytes per slot.
    pub slots: Option<(u32, u32)>,
    /// One lane for a pipe, two for a socketpair (s.0 → s.1 first).
    pub lanes: Vec<Lane>,
    /// Every file on it is closed.
    pub closed: bool,
    /// Created at this step.
    pub new: bool,
}

/// What a blocked or stopped process waits for, if it waits at an end.
fn waits_at(state: &ProcState) -> Option<(&BlockedCall, bool)> {
    match state {
        ProcState::Blocked(call) => Some((call, false)),
        ProcState::Stopped {
            call: Some(call), ..
        } => Some((call, true)),
        _ => None,
    }
}

/// Every process waiting at `end`, oldest sleeper first (the order its
/// wake-ups reach them).
fn sleepers(world: &World, end: EndRef) -> Vec<Sleeper> {
    let mut out: Vec<(u64, Sleeper)> = world
        .procs()
        .filter_map(|p| {
            let (call, stopped) = waits_at(&p.state)?;
            let doing = match call.on {
                BlockedOn::Send {
                    end: e,
                    len,
                    so_far,
                } if e == end => {
                    if so_far > 0 {
                        format!("write {} ({} moved)", bytes(len), so_far)
                    } else {
                        format!("write {}", bytes(len))
                    }
                }
                BlockedOn::Recv { end: e, max } if e == end => format!("read up to {}", bytes(max)),
                _ => return None,
            };
            Some((
                call.queued,
                Sleeper {
                    name: p.name.to_string(),
                    pid: p.pid.0,
                    doing,
                    stopped,
                },
            ))
        })
        .collect();
    sort_by_key(&mut out, |(q, s)| (*q, s.pid));
    out.into_iter().map(|(_, s)| s).collect()
}

/// Mark which of `now` are new or changed against `before`, both oldest
/// first: the queue drains at the front and grows at the back, so the
/// best alignment of `now` against a suffix of `before` tells what stayed.
fn mark_changed<T: PartialEq>(before: Option<&[T]>, now: &[T]) -> Vec<bool> {
    let Some(before) = before else {
        return vec![false; now.len()];
    };
    let same = |drained: usize, i: usize| before.get(drained + i) == Some(&now[i]);
    let mut best = (0, 0); // (matches, drained)
    for drained in 0..=before.len().min(4 * MAX_ITEMS) {
        let matches = (0..now.len()).filter(|&i| same(drained, i)).count();
        if matches > best.0 {
            best = (matches, drained);
        }
    }
    (0..now.len()).map(|i| !same(best.1, i)).collect()
}

/// The items drawn, and the ones left out: a long queue is drawn as its
/// oldest and its newest `MAX_ITEMS / 2` (where reads and writes happen),
/// the middle counted.
fn items<T>(
    all: &[T],
    changed: &[bool],
    item: impl Fn(&T) -> (u32, u32, u64),
) -> (Vec<Item>, (usize, u64), usize) {
    let draw = |(x, &c): (&T, &bool)| {
        let (unread, read, cost) = item(x);
        Item {
            unread,
            read,
            cost,
            changed: c,
        }
    };
    if all.len() <= MAX_ITEMS {
        let drawn: Vec<Item> = all.iter().zip(changed).map(draw).collect();
        let n = drawn.len();
        return (drawn, (0, 0), n);
    }
    let half = MAX_ITEMS / 2;
    let tail = all.len() - half;
    let mut drawn: Vec<Item> = all[..half].iter().zip(&changed[..half]).map(draw).collect();
    drawn.extend(all[tail..].iter().zip(&changed[tail..]).map(draw));
    let middle = &all[half..tail];
    let bytes = middle.iter().map(|x| u64::from(item(x).0)).sum();
    (drawn, (middle.len(), bytes), half)
}

/// Every pipe and socketpair of `world` (after the step), with what
/// changed since `before`.
pub fn channels(world: &World, before: Option<&World>, page_size: u32) -> Vec<Channel> {
    let mut out = Vec::new();
    for name in world.object_names() {
        let Some(object) = world.object(name) else {
            continue;
        };
        let old = before.filter(|b| b.object(name).is_some());
        match object {
            Object::Pipe(id) => {
                let pipe = world.pipe(id);
                let slots: Vec<Slot> = pipe.slots().collect();
                let old_slots: Option<Vec<Slot>> = old.map(|b| b.pipe(id).slots().collect());
                let changed = mark_changed(old_slots.as_deref(), &slots);
                let (items, more, gap) = items(&slots, &changed, |s| {
                    (s.len, s.offset, u64::from(page_size))
                });
                let cap = pipe.capacity_slots();
                let drawn_free = cap
                    .saturating_sub(pipe.slots_in_use())
                    .min((MAX_ITEMS as u32).saturating_sub(items.len() as u32));
                let w = EndRef::Pipe(id, PipeEnd::Write);
                let r = EndRef::Pipe(id, PipeEnd::Read);
                out.push(Channel {
                    name: name.to_string(),
                    kind: "pipe",
                    slots: Some((cap, page_size)),
                    lanes: vec![Lane {
                        from: world.end_name(w),
                        to: world.end_name(r),
                        items,
                        more,
                        gap,
                        free_slots: drawn_free,
                        queued: pipe.queued(),
                        queued_before: old.map(|b| b.pipe(id).queued()),
                        charge: None,
                        writers: sleepers(world, w),
                        readers: sleepers(world, r),
                        files: (pipe.writers(), pipe.readers()),
                    }],
                    closed: pipe.is_unreferenced(),
                    new: before.is_some() && old.is_none(),
                });
            }
            Object::Socks(id) => {
                let pair = world.socks(id);
                let lanes = [Side::Zero, Side::One]
                    .into_iter()
                    .map(|from| {
                        let to = from.peer();
                        let sender = pair.socket(from);
                        let receiver = pair.socket(to);
                        let skbs: Vec<Skb> = receiver.queue().collect();
                        let old_skbs: Option<Vec<Skb>> =
                            old.map(|b| b.socks(id).socket(to).queue().collect());
                        let changed = mark_changed(old_skbs.as_deref(), &skbs);
                        let (items, more, gap) =
                            items(&skbs, &changed, |s| (s.unread(), s.consumed, s.truesize));
                        let w = EndRef::Sock(id, from);
                        let r = EndRef::Sock(id, to);
                        Lane {
                            from: world.end_name(w),
                            to: world.end_name(r),
                            items,
                            more,
                            gap,
                            free_slots: 0,
                            queued: receiver.queued_bytes(),
                            queued_before: old.map(|b| b.socks(id).socket(to).queued_bytes()),
                            charge: Some((sender.wmem_alloc(), sender.sndbuf())),
                            writers: sleepers(world, w),
                            readers: sleepers(world, r),
                            files: (sender.files(), receiver.files()),
                        }
                    })
                    .collect();
                out.push(Channel {
                    name: name.to_string(),
                    kind: match pair.kind() {
                        SockType::Stream => "stream socketpair",
                        SockType::Dgram => "datagram socketpair",
                    },
                    slots: None,
                    lanes,
                    closed: pair.is_unreferenced(),
                    new: before.is_some() && old.is_none(),
                });
            }
        }
    }
    out
}

/// A sentence per lane, for the visually hidden summary.
pub fn summary(channels: &[Channel]) -> Vec<String> {
    let mut out = Vec::new();
    for c in channels {
        for lane in &c.lanes {
            let mut s = format!(
                "{} {} → {}: {} queued",
                c.kind,
                lane.from,
                lane.to,
                bytes(lane.queued)
            );
            if let Some(b) = lane.queued_before.filter(|&b| b != lane.queued) {
                s.push_str(&format!(" (was {b})"));
            }
            let n = lane.items.len() + lane.more.0;
            match (c.slots, lane.charge) {
                (Some((cap, _)), _) => s.push_str(&format!(", {} of {} slots in use", n, cap)),
                (None, Some((charged, sndbuf))) => s.push_str(&format!(
                    ", {}, {charged} of SO_SNDBUF {sndbuf} charged to {}",
                    count(n as u64, "skb", "skbs"),
                    lane.from
                )),
                _ => {}
            }
            for w in &lane.writers {
                s.push_str(&format!("; {} sleeps to {}", w.name, w.doing));
            }
            for r in &lane.readers {
                s.push_str(&format!("; {} sleeps to {}", r.name, r.doing));
            }
            s.push('.');
            out.push(s);
        }
    }
    out
}

#[cfg(test)]
#[path = "queue_layout_tests.rs"]
mod tests;
