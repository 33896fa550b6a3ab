//! An AF_UNIX socketpair as Linux keeps it (net/unix/af_unix.c).
//!
//! Owns: for each of the two sockets, its receive queue of skbs (payload
//! length, bytes consumed, truesize), `sk_sndbuf`, `sk_wmem_alloc` (the
//! truesize of the skbs it sent that still sit in its peer's receive
//! queue), shutdown flags, the pending `sk_err`, whether it still has a
//! peer, and how many open files refer to it. Sends follow
//! unix_stream_sendmsg / unix_dgram_sendmsg and sock_alloc_send_pskb;
//! receives follow unix_stream_read_generic / __unix_dgram_recvmsg; closing
//! the last file follows unix_release_sock. Every skb is charged its
//! truesize from the profile's skb layout, which is how a 1-byte send comes
//! to cost 768 and a nonblocking sender of 1-byte messages is refused after
//! 278 of them.
//!
//! Deliberately not here: payload bytes, SCM_RIGHTS/credentials, MSG_PEEK,
//! MSG_OOB, MSG_WAITALL, SO_RCVLOWAT (always 1), socket filters, seqpacket,
//! timeouts (SO_SNDTIMEO/SO_RCVTIMEO are infinite), named sockets and
//! connect(2): a socketpair is born connected and its peers never change.

use super::{Progress, WriteOutcome};
use crate::errno::Errno;
use crate::profile::KernelProfile;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// SOCK_STREAM or SOCK_DGRAM.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SockType {
    Stream,
    Dgram,
}

/// One of the two sockets of a pair: `sv[0]` or `sv[1]` of socketpair(2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Side {
    Zero,
    One,
}

impl Side {
    /// The other socket of the pair.
    pub fn peer(self) -> Side {
        match self {
            Side::Zero => Side::One,
            Side::One => Side::Zero,
        }
    }

    /// 0 or 1.
    pub fn index(self) -> usize {
        match self {
            Side::Zero => 0,
            Side::One => 1,
        }
    }
}

/// shutdown(2) directions.
#[cfg(test)] // Only the tests use this: no statement of the scenario language does yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum How {
    /// SHUT_RD
    Read,
    /// SHUT_WR
    Write,
    /// SHUT_RDWR
    Both,
}

/// One queued `struct sk_buff`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skb {
    /// Payload bytes (`skb->len`).
    pub len: u32,
    /// Bytes a stream reader already took (`UNIXCB(skb).consumed`); a
    /// datagram is always read whole, so it stays 0 there.
    pub consumed: u32,
    /// What the skb costs its sender's `sk_wmem_alloc` (`skb->truesize`).
    pub truesize: u64,
}

impl Skb {
    /// unix_skb_len(): bytes still to read.
    pub fn unread(&self) -> u32 {
        self.len.saturating_sub(self.consumed)
    }
}

/// `sk->sk_shutdown`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shutdown {
    /// RCV_SHUTDOWN: reads find end of file once the queue is empty.
    pub rcv: bool,
    /// SEND_SHUTDOWN: sends fail with EPIPE.
    pub send: bool,
}

/// One socket of the pair: `struct sock` reduced to what decides behaviour.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Socket {
    /// `sk_receive_queue`: skbs the peer sent, oldest first.
    queue: VecDeque<Skb>,
    /// `sk_sndbuf`.
    sndbuf: u32,
    /// `sk_rcvbuf`: reported by getsockopt, never consulted by AF_UNIX.
    rcvbuf: u32,
    /// `sk_wmem_alloc_get()`: truesize of this socket's skbs still queued
    /// at the peer (the kernel's refcount minus its base reference).
    wmem_alloc: u64,
    /// Open files referring to this socket, across all processes.
    files: u32,
    shutdown: Shutdown,
    /// SOCK_DEAD: the last file was closed and unix_release_sock ran.
    dead: bool,
    /// `unix_peer(sk) != NULL`. Only the closing socket clears its own;
    /// a datagram survivor clears its pointer on its next send.
    has_peer: bool,
    /// `sk_err`, reported (and cleared) by the next call that checks it.
    err: Option<Errno>,
    /// A wake-up reached this socket's wait queue since its sender went to
    /// sleep, other than sock_wfree's: the peer queued data here
    /// (sk_data_ready wakes everything asleep on the socket's wait queue,
    /// its own sender in sock_wait_for_wmem included), or SO_SNDBUF found
    /// the socket writable (unix_write_space). The sender then goes on if
    /// `sk_wmem_alloc < sk_sndbuf`, sock_wait_for_wmem's own test.
    #[serde(default, alias = "data_ready")]
    woken: bool,
    /// The SO_SNDBUF that the stream skb its sender sleeps for was sized
    /// with: unix_stream_sendmsg sizes an skb before sock_alloc_send_pskb
    /// sleeps, and allocates it at that size after waking, even if
    /// SO_SNDBUF changed in between. (Two senders asleep on one stream
    /// socket race on the kernel anyway; the last to sleep sets it.)
    #[serde(default)]
    sleeping_skb_sndbuf: Option<u32>,
}

impl Socket {
    fn new(k: &KernelProfile) -> Socket {
        Socket {
            queue: VecDeque::new(),
            sndbuf: k.wmem_default,
            rcvbuf: k.rmem_default,
            wmem_alloc: 0,
            files: 1,
            shutdown: Shutdown::default(),
            dead: false,
            has_peer: true,
            err: None,
            woken: false,
            sleeping_skb_sndbuf: None,
        }
    }

    /// The receive queue, oldest skb first (for drawing).
    pub fn queue(&self) -> impl ExactSizeIterator<Item = Skb> + '_ {
        self.queue.iter().copied()
    }

    /// getsockopt(SO_SNDBUF).
    pub fn sndbuf(&self) -> u32 {
        self.sndbuf
    }

    /// getsockopt(SO_RCVBUF).
    pub fn rcvbuf(&self) -> u32 {
        self.rcvbuf
    }

    /// Truesize of this socket's sent-but-unread skbs (SIOCOUTQ).
    pub fn wmem_alloc(&self) -> u64 {
        self.wmem_alloc
    }

    /// Open files referring to this socket.
    pub fn files(&self) -> u32 {
        self.files
    }

    /// The socket's shutdown flags (both set when it or, for a stream, its
    /// peer is closed for good).
    pub fn shutdown(&self) -> Shutdown {
        self.shutdown
    }

    /// The last file was closed.
    pub fn is_dead(&self) -> bool {
        self.dead
    }

    /// Whether it still points at its peer.
    pub fn has_peer(&self) -> bool {
        self.has_peer
    }

    /// The error its next receive (or send) will report.
    pub fn pending_error(&self) -> Option<Errno> {
        self.err
    }

    /// Unread payload bytes in the queue.
    pub fn queued_bytes(&self) -> u64 {
        self.queue.iter().map(|s| u64::from(s.unread())).sum()
    }
}

/// Why sock_alloc_send_pskb did not hand out an skb.
enum AllocStop {
    Fail(Errno),
    Sleep,
}

/// PAGE_ALLOC_COSTLY_ORDER (include/linux/mmzone.h): 3, the largest page
/// order unix_dgram_sendmsg lets its fragments use.
const PAGE_ALLOC_COSTLY_ORDER: u32 = 3;

/// Two connected AF_UNIX sockets, as socketpair(2) makes them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SocketPair {
    kind: SockType,
    sides: [Socket; 2],
}

impl SocketPair {
    /// A connected pair, one open file on each socket, both with the
    /// default buffers (sock_init_data).
    pub(crate) fn new(k: &KernelProfile, kind: SockType) -> SocketPair {
        SocketPair {
            kind,
            sides: [Socket::new(k), Socket::new(k)],
        }
    }

    /// Stream or datagram.
    pub fn kind(&self) -> SockType {
        self.kind
    }

    /// One socket's state.
    pub fn socket(&self, side: Side) -> &Socket {
        &self.sides[side.index()]
    }

    fn me(&mut self, side: Side) -> &mut Socket {
        &mut self.sides[side.index()]
    }

    /// One more open file refers to `side` (fork duplicates every fd).
    pub(crate) fn retain(&mut self, side: Side) {
        let me = self.me(side);
        me.files = me.files.saturating_add(1);
    }

    /// An open file on `side` was closed; closing the last one releases
    /// the socket (unix_release_sock):
    /// - it is marked dead and fully shut down, and forgets its peer;
    /// - a stream peer gets SHUTDOWN_MASK (it reads EOF once its queue is
    ///   drained, and its sends fail with EPIPE), plus sk_err = ECONNRESET
    ///   if the closing socket still had unread data;
    /// - a datagram peer is not told anything;
    /// - the closing socket's own queue is freed, which gives the peer its
    ///   send-buffer space back (sock_wfree).
    pub(crate) fn release(&mut self, side: Side) {
        let me = self.me(side);
        if me.dead {
            return;
        }
        me.files = me.files.saturating_sub(1);
        if me.files > 0 {
            return;
        }
        me.dead = true;
        me.shutdown = Shutdown {
            rcv: true,
            send: true,
        };
        let had_peer = std::mem::replace(&mut me.has_peer, false);
        let unread = !me.queue.is_empty();
        if had_peer && self.kind == SockType::Stream {
            let peer = self.me(side.peer());
            peer.shutdown = Shutdown {
                rcv: true,
                send: true,
            };
            if unread {
                peer.err = Some(Errno::ECONNRESET);
            }
        }
        self.purge(side);
    }

    /// Neither socket has an open file: the pair can be dropped.
    pub fn is_unreferenced(&self) -> bool {
        self.sides.iter().all(|s| s.dead)
    }

    /// Free every skb queued at `side`, uncharging the peer that sent them.
    fn purge(&mut self, side: Side) {
        let freed: u64 = self.me(side).queue.drain(..).map(|s| s.truesize).sum();
        let sender = self.me(side.peer());
        sender.wmem_alloc = sender.wmem_alloc.saturating_sub(freed);
    }

    /// Dequeue `side`'s oldest skb and give its truesize back to the sender.
    fn free_front(&mut self, side: Side) {
        if let Some(skb) = self.me(side).queue.pop_front() {
            let sender = self.me(side.peer());
            sender.wmem_alloc = sender.wmem_alloc.saturating_sub(skb.truesize);
        }
    }

    /// shutdown(2) (unix_shutdown): sets the flags on `side`, and for a
    /// stream the mirrored flags on the peer (our SHUT_WR is its
    /// RCV_SHUTDOWN, so it reads EOF).
    #[cfg(test)] // Only the tests call this: no statement of the scenario language does yet.
    pub(crate) fn shutdown(&mut self, side: Side, how: How) -> Result<(), Errno> {
        if self.socket(side).dead {
            return Err(Errno::EBADF);
        }
        let (rcv, send) = match how {
            How::Read => (true, false),
            How::Write => (false, true),
            How::Both => (true, true),
        };
        let me = self.me(side);
        me.shutdown.rcv |= rcv;
        me.shutdown.send |= send;
        let has_peer = me.has_peer;
        if has_peer && self.kind == SockType::Stream {
            let peer = self.me(side.peer());
            peer.shutdown.send |= rcv;
            peer.shutdown.rcv |= send;
        }
        Ok(())
    }

    /// setsockopt(SO_SNDBUF, val) (sk_setsockopt): clamp to wmem_max with
    /// `min_t(u32, val, wmem_max)` (an unsigned compare, so a negative
    /// value means wmem_max), then store `max(val * 2, SOCK_MIN_SNDBUF)`,
    /// then call sk_write_space ("wake up sending tasks if we upped the
    /// value"): see `store_sndbuf`.
    pub(crate) fn set_sndbuf(
        &mut self,
        k: &KernelProfile,
        side: Side,
        val: i32,
    ) -> Result<u32, Errno> {
        self.store_sndbuf(k, side, (val as u32).min(k.wmem_max))
    }

    /// setsockopt(SO_SNDBUFFORCE, val): like SO_SNDBUF without the wmem_max
    /// cap, for CAP_NET_ADMIN only (EPERM otherwise); negative means 0.
    #[cfg(test)] // Only the tests call this: no statement of the scenario language does yet.
    pub(crate) fn set_sndbuf_force(
        &mut self,
        k: &KernelProfile,
        side: Side,
        val: i32,
        cap_net_admin: bool,
    ) -> Result<u32, Errno> {
        if !cap_net_admin {
            return Err(Errno::EPERM);
        }
        self.store_sndbuf(k, side, val.max(0) as u32)
    }

    /// sk_setsockopt's `set_sndbuf:` label, for a non-negative `val`.
    /// Answers the stored sk_sndbuf (what getsockopt reports from then on).
    fn store_sndbuf(&mut self, k: &KernelProfile, side: Side, val: u32) -> Result<u32, Errno> {
        if self.socket(side).dead {
            return Err(Errno::EBADF);
        }
        // "Ensure val * 2 fits into an int."
        let val = val.min((i32::MAX / 2) as u32);
        let stored = (val * 2).max(k.sock_min_sndbuf);
        self.me(side).sndbuf = stored;
        if self.writable(side) {
            self.me(side).woken = true;
        }
        Ok(stored)
    }

    /// unix_writable as sk_setsockopt's call of unix_write_space sees it:
    /// `(refcount(sk_wmem_alloc) << 2) <= sk_sndbuf`, the refcount being
    /// the charge plus the base reference only (sock_wfree's extra
    /// reference is not held here). One less than when a reader frees an
    /// skb, so SO_SNDBUF wakes a sender a little sooner than a reader does.
    pub fn writable(&self, side: Side) -> bool {
        let me = self.socket(side);
        me.wmem_alloc.saturating_add(1).saturating_mul(4) <= u64::from(me.sndbuf)
    }

    /// ioctl(SIOCINQ) a.k.a. FIONREAD (unix_inq_len): a stream counts every
    /// unread byte; a datagram socket only the first datagram's length.
    pub fn inq(&self, side: Side) -> u64 {
        let me = self.socket(side);
        match self.kind {
            SockType::Stream => me.queued_bytes(),
            SockType::Dgram => me.queue.front().map_or(0, |s| u64::from(s.len)),
        }
    }

    /// ioctl(SIOCOUTQ) (unix_outq_len): this socket's sk_wmem_alloc, the
    /// truesize of what it sent and the peer has not read.
    pub fn outq(&self, side: Side) -> u64 {
        self.socket(side).wmem_alloc
    }

    /// sock_alloc_send_pskb's loop before it allocates: report and clear
    /// sk_err, refuse after SEND_SHUTDOWN, and admit the skb while
    /// `sk_wmem_alloc < sk_sndbuf`, however far the skb then overshoots.
    fn admit(&mut self, side: Side, nonblock: bool) -> Result<(), AllocStop> {
        let me = self.me(side);
        if let Some(e) = me.err.take() {
            return Err(AllocStop::Fail(e));
        }
        if me.shutdown.send {
            return Err(AllocStop::Fail(Errno::EPIPE));
        }
        if me.wmem_alloc < u64::from(me.sndbuf) {
            return Ok(());
        }
        if nonblock {
            return Err(AllocStop::Fail(Errno::EAGAIN));
        }
        // Going to sleep: only a wake-up from now on counts.
        me.woken = false;
        Err(AllocStop::Sleep)
    }

    /// Queue an skb at the peer of `side` and charge `side` for it
    /// (skb_set_owner_w, then skb_queue_tail on the peer).
    fn deliver(&mut self, side: Side, len: u64, truesize: u64) {
        let me = self.me(side);
        me.wmem_alloc = me.wmem_alloc.saturating_add(truesize);
        let peer = self.me(side.peer());
        peer.woken = true;
        peer.queue.push_back(Skb {
            len: len as u32,
            consumed: 0,
            truesize,
        });
    }

    /// write(2)/send(2) on `side`.
    ///
    /// Stream (unix_stream_sendmsg): EPIPE and SIGPIPE after SEND_SHUTDOWN
    /// (the peer closed); otherwise the data is cut into skbs of at most
    /// `(sk_sndbuf >> 1) - 64` bytes (and SKB_MAX_HEAD(0) +
    /// UNIX_SKB_FRAGS_SZ), each admitted while sk_wmem_alloc < sk_sndbuf.
    /// A nonblocking send returns what went in (EAGAIN if nothing); a
    /// blocking one sleeps until it has sent everything.
    ///
    /// Datagram (unix_dgram_sendmsg): EMSGSIZE above `sk_sndbuf - 32`,
    /// then one skb for the whole datagram, admitted like a stream skb, and
    /// only then ENOTCONN without a peer: since Linux 6.11 unix_peer_get
    /// runs after sock_alloc_send_pskb, so an oversized datagram to a
    /// forgotten peer fails with EMSGSIZE, and a full buffer answers
    /// EAGAIN (or sleeps) before ENOTCONN. A socketpair skips the receiver-queue-length
    /// check (`unix_peer(other) == sk`), so only the sender's buffer limits
    /// it. Sending after the peer closed answers ECONNREFUSED once (and
    /// drops the sender's own unread datagrams), then ENOTCONN; never
    /// SIGPIPE.
    pub(crate) fn send(
        &mut self,
        k: &KernelProfile,
        side: Side,
        len: u64,
        nonblock: bool,
    ) -> WriteOutcome {
        if self.socket(side).dead {
            return WriteOutcome::quiet(Progress::Failed(Errno::EBADF));
        }
        let len = len.min(k.max_rw_count());
        match self.kind {
            SockType::Stream => {
                if !self.socket(side).has_peer {
                    return WriteOutcome::quiet(Progress::Failed(Errno::ENOTCONN));
                }
                if self.socket(side).shutdown.send {
                    return WriteOutcome::with_sigpipe(Progress::Failed(Errno::EPIPE));
                }
                self.stream_send_loop(k, side, len, 0, nonblock, None)
            }
            SockType::Dgram => {
                if len > u64::from(self.socket(side).sndbuf).saturating_sub(32) {
                    return WriteOutcome::quiet(Progress::Failed(Errno::EMSGSIZE));
                }
                self.dgram_send_from_alloc(k, side, len, nonblock)
            }
        }
    }

    /// Would a sender sleeping in sock_wait_for_wmem be woken?
    ///
    /// It is woken by sk_write_space, by a state change and by an error.
    /// unix_write_space wakes only when `unix_writable`: `(refcount << 2)
    /// <= sk_sndbuf`, evaluated inside sock_wfree while the refcount is the
    /// remaining charge plus the socket's base reference plus the one
    /// sock_wfree keeps across the call: remaining + 2. So a reader must
    /// bring the sender down to about a quarter of its buffer before the
    /// sender runs again; consuming less leaves it asleep. Other wake-ups
    /// (`woken`: data arriving on the sender's own socket, SO_SNDBUF
    /// finding it writable) leave the decision to sock_wait_for_wmem's own
    /// test: `sk_wmem_alloc` (charge + 1 base reference) `< sk_sndbuf`.
    pub(crate) fn can_resume_send(&self, side: Side) -> bool {
        let me = self.socket(side);
        me.err.is_some()
            || me.shutdown.send
            || me.wmem_alloc.saturating_add(2).saturating_mul(4) <= u64::from(me.sndbuf)
            || (me.woken && me.wmem_alloc.saturating_add(1) < u64::from(me.sndbuf))
    }

    /// Continue a blocking send that slept after moving `so_far` of `len`
    /// bytes: the loop around sock_wait_for_wmem. Changes nothing while
    /// `can_resume_send` is false. A stream sender allocates the skb it
    /// slept for at the size it had computed before sleeping (with the
    /// SO_SNDBUF of that time), and sizes the next ones afresh.
    pub(crate) fn resume_send(
        &mut self,
        k: &KernelProfile,
        side: Side,
        len: u64,
        so_far: u64,
    ) -> WriteOutcome {
        let len = len.min(k.max_rw_count());
        let can = self.can_resume_send(side);
        // A wake-up is used up by this look, go on or not.
        self.me(side).woken = false;
        if !can {
            return WriteOutcome::quiet(Progress::Blocked { so_far });
        }
        self.send_from_alloc(k, side, len, so_far)
    }

    /// The sleeping sender goes on from sock_alloc_send_pskb's admission: a
    /// stream sender with the skb it sized before sleeping (with the
    /// SO_SNDBUF of that time), then fresh ones; a datagram sender with its
    /// one skb.
    fn send_from_alloc(
        &mut self,
        k: &KernelProfile,
        side: Side,
        len: u64,
        so_far: u64,
    ) -> WriteOutcome {
        match self.kind {
            SockType::Stream => {
                let sized_with = self.me(side).sleeping_skb_sndbuf.take();
                self.stream_send_loop(k, side, len, so_far, false, sized_with)
            }
            SockType::Dgram => self.dgram_send_from_alloc(k, side, len, false),
        }
    }

    /// A signal woke a blocking send that slept after moving `so_far` of
    /// `len` bytes. The signal breaks sock_wait_for_wmem's loop, but
    /// sock_alloc_send_pskb (net/core/sock.c) goes round its own loop
    /// before it looks at the signal: sk_err, SEND_SHUTDOWN, then
    /// `sk_wmem_alloc_get(sk) < sk_sndbuf` (which breaks out to allocate
    /// the skb), and only then `signal_pending(current)`. So a sender whose
    /// charge is below SO_SNDBUF without having been woken (a reader
    /// drained less than unix_write_space wants, SO_SNDBUF was raised less
    /// than that) allocates the skb it slept for, and unix_stream_sendmsg
    /// goes on sizing and queuing skbs while the charge stays below; a
    /// datagram sender queues its datagram (unix_dgram_sendmsg's other
    /// wait, unix_wait_for_peer on a full receive queue, is skipped for a
    /// socketpair: `unix_peer(other) == sk`). `Blocked { so_far }` is where
    /// it reaches the signal test: the call returns `so_far` if it moved
    /// anything (`sent ? : err`), and is interrupted with -ERESTARTSYS if
    /// not; then a restart sizes its skb afresh, with the SO_SNDBUF of the
    /// moment.
    pub(crate) fn send_when_signalled(
        &mut self,
        k: &KernelProfile,
        side: Side,
        len: u64,
        so_far: u64,
    ) -> WriteOutcome {
        let len = len.min(k.max_rw_count());
        self.me(side).woken = false;
        let outcome = self.send_from_alloc(k, side, len, so_far);
        if let Progress::Blocked { .. } = outcome.progress {
            // The call ends here: a restart sizes its skb afresh.
            let now = self.socket(side).sndbuf;
            self.me(side).sleeping_skb_sndbuf = Some(now);
        }
        outcome
    }

    /// A blocking send that moved nothing and was interrupted starts again
    /// from the top (-ERESTARTSYS, after SIGCONT): it is `send` once more,
    /// so unix_stream_sendmsg checks SEND_SHUTDOWN first (EPIPE with
    /// SIGPIPE), sizes its first skb with the SO_SNDBUF of now, and
    /// sock_alloc_send_pskb admits it while `sk_wmem_alloc < sk_sndbuf`,
    /// whatever wake-up rule would have let a sleeper go on. `Blocked`
    /// means it sleeps again.
    pub(crate) fn restart_send(&mut self, k: &KernelProfile, side: Side, len: u64) -> WriteOutcome {
        self.me(side).woken = false;
        self.me(side).sleeping_skb_sndbuf = None;
        self.send(k, side, len, false)
    }

    /// unix_stream_sendmsg's `while (sent < len)` loop. The first skb is
    /// sized with `sized_with` when given (the SO_SNDBUF of the moment the
    /// sender slept for it), every other one with the current SO_SNDBUF.
    fn stream_send_loop(
        &mut self,
        k: &KernelProfile,
        side: Side,
        len: u64,
        mut sent: u64,
        nonblock: bool,
        mut sized_with: Option<u32>,
    ) -> WriteOutcome {
        while sent < len {
            let sndbuf = sized_with.take().unwrap_or(self.socket(side).sndbuf);
            match self.admit(side, nonblock) {
                Ok(()) => {}
                Err(AllocStop::Fail(e)) => return WriteOutcome::quiet(partial_or(sent, e)),
                Err(AllocStop::Sleep) => {
                    self.me(side).sleeping_skb_sndbuf = Some(sndbuf);
                    return WriteOutcome::quiet(Progress::Blocked { so_far: sent });
                }
            }
            let (size, truesize) = match k.stream_skb(len - sent, sndbuf) {
                Ok(skb) => skb,
                Err(e) => return WriteOutcome::quiet(partial_or(sent, e)),
            };
            let peer = self.socket(side.peer());
            if peer.dead || peer.shutdown.rcv {
                // out_pipe: SIGPIPE only if nothing was sent.
                let progress = partial_or(sent, Errno::EPIPE);
                return WriteOutcome {
                    progress,
                    sigpipe: sent == 0,
                };
            }
            self.deliver(side, size, truesize);
            sent += size;
        }
        WriteOutcome::quiet(Progress::Done(sent))
    }

    /// unix_dgram_sendmsg from sock_alloc_send_pskb on (where a blocked
    /// sender sleeps), after the EMSGSIZE check.
    fn dgram_send_from_alloc(
        &mut self,
        k: &KernelProfile,
        side: Side,
        len: u64,
        nonblock: bool,
    ) -> WriteOutcome {
        let skb = &k.skb;
        // Above SKB_MAX_ALLOC the excess (up to MAX_SKB_FRAGS pages) goes
        // to page fragments, rounded up to whole pages.
        let max_alloc = skb.max_alloc(k);
        let data_len = if len > max_alloc {
            k.page_align(
                (len - max_alloc).min(u64::from(skb.max_skb_frags) * u64::from(k.page_size)),
            )
        } else {
            0
        };
        match self.admit(side, nonblock) {
            Ok(()) => {}
            Err(AllocStop::Fail(e)) => return WriteOutcome::quiet(Progress::Failed(e)),
            Err(AllocStop::Sleep) => return WriteOutcome::quiet(Progress::Blocked { so_far: 0 }),
        }
        let header_len = len.saturating_sub(data_len);
        let truesize = match skb.alloc_skb_with_frags_truesize(
            k,
            header_len,
            data_len,
            PAGE_ALLOC_COSTLY_ORDER,
        ) {
            Ok(t) => t,
            Err(e) => return WriteOutcome::quiet(Progress::Failed(e)),
        };
        // unix_peer_get, after the skb is allocated and filled: a sender that
        // forgot its peer (after ECONNREFUSED) fails with ENOTCONN here.
        if !self.socket(side).has_peer {
            return WriteOutcome::quiet(Progress::Failed(Errno::ENOTCONN));
        }
        let peer = self.socket(side.peer());
        if peer.dead {
            // "Check with 1003.1g - what should datagram error": the sender
            // forgets its dead peer, drops what that peer had sent it
            // (unix_dgram_disconnected) and reports ECONNREFUSED.
            self.me(side).has_peer = false;
            self.purge(side);
            return WriteOutcome::quiet(Progress::Failed(Errno::ECONNREFUSED));
        }
        if peer.shutdown.rcv {
            return WriteOutcome::quiet(Progress::Failed(Errno::EPIPE));
        }
        self.deliver(side, len, truesize);
        WriteOutcome::quiet(Progress::Done(len))
    }

    /// read(2)/recv(2) on `side`.
    ///
    /// Stream (unix_stream_read_generic): reads across skbs up to `len`,
    /// freeing each skb once fully consumed (which gives its truesize back
    /// to the sender). With nothing queued: a pending sk_err first (once),
    /// then 0 if RCV_SHUTDOWN (the peer closed), then EAGAIN or sleep.
    ///
    /// Datagram (__unix_dgram_recvmsg): one whole datagram, truncated to
    /// `len` (the rest is discarded). With nothing queued: a pending
    /// sk_err, EAGAIN if nonblocking, else 0 if RCV_SHUTDOWN, else sleep.
    /// A datagram socket is never shut down by its peer's close, so a
    /// blocking read after the peer is gone sleeps for good.
    ///
    /// A read sleeps only before moving anything: resuming is calling
    /// `recv` again once `can_resume_recv` holds.
    pub(crate) fn recv(
        &mut self,
        k: &KernelProfile,
        side: Side,
        len: u64,
        nonblock: bool,
    ) -> Progress {
        if self.socket(side).dead {
            return Progress::Failed(Errno::EBADF);
        }
        let len = len.min(k.max_rw_count());
        match self.kind {
            SockType::Stream => self.stream_recv(side, len, nonblock),
            SockType::Dgram => self.dgram_recv(side, len, nonblock),
        }
    }

    fn stream_recv(&mut self, side: Side, len: u64, nonblock: bool) -> Progress {
        // target = sock_rcvlowat(): 1 whatever `len` is, so even a 0-byte
        // read waits for data.
        let mut want = len;
        let mut copied = 0;
        loop {
            let Some(front) = self.me(side).queue.front_mut() else {
                if copied >= 1 {
                    return Progress::Done(copied);
                }
                let me = self.me(side);
                // "POSIX 1003.1g mandates this order."
                if let Some(e) = me.err.take() {
                    return Progress::Failed(e);
                }
                if me.shutdown.rcv {
                    return Progress::Done(0);
                }
                if nonblock {
                    return Progress::Failed(Errno::EAGAIN);
                }
                return Progress::Blocked { so_far: 0 };
            };
            let chunk = u64::from(front.unread()).min(want);
            front.consumed += chunk as u32;
            copied += chunk;
            want -= chunk;
            if front.unread() > 0 {
                // Partly read: it stays at the head, still charged.
                return Progress::Done(copied);
            }
            self.free_front(side);
            if want == 0 {
                return Progress::Done(copied);
            }
        }
    }

    fn dgram_recv(&mut self, side: Side, len: u64, nonblock: bool) -> Progress {
        let me = self.me(side);
        // __skb_try_recv_datagram reports sk_err before looking.
        if let Some(e) = me.err.take() {
            return Progress::Failed(e);
        }
        let Some(front) = me.queue.front() else {
            if nonblock {
                return Progress::Failed(Errno::EAGAIN);
            }
            // __skb_wait_for_more_packets returns at once on RCV_SHUTDOWN.
            if me.shutdown.rcv {
                return Progress::Done(0);
            }
            return Progress::Blocked { so_far: 0 };
        };
        let n = u64::from(front.len).min(len);
        self.free_front(side);
        Progress::Done(n)
    }

    /// Would a reader sleeping on `side` be woken and return? Data queued,
    /// an error pending, or RCV_SHUTDOWN (unix_stream_data_wait,
    /// __skb_wait_for_more_packets).
    pub(crate) fn can_resume_recv(&self, side: Side) -> bool {
        let me = self.socket(side);
        !me.queue.is_empty() || me.err.is_some() || me.shutdown.rcv
    }
}

/// `sent ? : err`: a call that moved something returns the count.
fn partial_or(sent: u64, err: Errno) -> Progress {
    if sent > 0 {
        Progress::Done(sent)
    } else {
        Progress::Failed(err)
    }
}
