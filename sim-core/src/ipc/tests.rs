//! The pipe, socketpair and fd-table facts (tests/scenarios/facts), each as a
//! test of the data structures in `ipc`, plus property tests that
//! random operation sequences conserve bytes and never panic.

use crate::errno::Errno;
use crate::ids::{Fd, PipeId, SockPairId};
use crate::ipc::fd::{EndRef, FdTable};
use crate::ipc::pipe::{Pipe, PipeEnd, Slot};
use crate::ipc::socket::{How, Side, SockType, SocketPair};
use crate::ipc::{Progress, WriteOutcome};
use crate::profile::KernelProfile;
use proptest::prelude::*;

fn k() -> KernelProfile {
    KernelProfile::linux_6_18_x86_64()
}

fn new_pipe() -> Pipe {
    Pipe::new(&k())
}

fn stream_pair() -> SocketPair {
    SocketPair::new(&k(), SockType::Stream)
}

fn dgram_pair() -> SocketPair {
    SocketPair::new(&k(), SockType::Dgram)
}

/// An outcome that neither raised SIGPIPE nor left the caller asleep.
fn quiet(outcome: WriteOutcome) -> Progress {
    assert!(!outcome.sigpipe, "unexpected SIGPIPE: {outcome:?}");
    outcome.progress
}

/// Write `len`-byte nonblocking messages until refused; answer the bytes
/// accepted and the refusal.
fn fill_pipe(pipe: &mut Pipe, len: u64) -> (u64, Errno) {
    let mut total = 0;
    loop {
        match quiet(pipe.write(&k(), len, true)) {
            Progress::Done(n) => total += n,
            Progress::Failed(e) => return (total, e),
            Progress::Blocked { .. } => panic!("a nonblocking write slept"),
        }
    }
}

/// Send `len`-byte nonblocking messages until refused; answer how many
/// sends were accepted and the refusal.
fn fill_socket(pair: &mut SocketPair, side: Side, len: u64) -> (u64, Errno) {
    let mut sends = 0;
    loop {
        match quiet(pair.send(&k(), side, len, true)) {
            Progress::Done(n) => {
                assert_eq!(n, len);
                sends += 1;
            }
            Progress::Failed(e) => return (sends, e),
            Progress::Blocked { .. } => panic!("a nonblocking send slept"),
        }
    }
}

// ---------------------------------------------------------------- pipes

#[test]
fn a_new_pipe_holds_sixteen_page_slots_of_65536_bytes() {
    let pipe = new_pipe();
    assert_eq!(pipe.capacity_slots(), 16);
    assert_eq!(pipe.size_bytes(&k()), 65536);
    assert_eq!((pipe.readers(), pipe.writers()), (1, 1));
}

#[test]
fn one_byte_writes_fit_65536_bytes() {
    let mut pipe = new_pipe();
    assert_eq!(fill_pipe(&mut pipe, 1), (65536, Errno::EAGAIN));
    assert_eq!(pipe.queued(), 65536);
    assert!(pipe.slots().all(|s| s
        == Slot {
            offset: 0,
            len: 4096
        }));
}

#[test]
fn hundred_byte_writes_fill_only_4000_bytes_of_each_slot() {
    let mut pipe = new_pipe();
    assert_eq!(fill_pipe(&mut pipe, 100), (64000, Errno::EAGAIN));
    assert_eq!(pipe.slots_in_use(), 16);
    // 40 writes merge into a page (4000 bytes); the 41st does not fit
    // there whole, so it takes a fresh slot instead of splitting.
    assert!(pipe.slots().all(|s| s.len == 4000));
}

#[test]
fn a_write_of_at_most_pipe_buf_is_never_partial() {
    let mut pipe = new_pipe();
    fill_pipe(&mut pipe, 100);
    // 96 bytes are free in the last page, but a 100-byte write is all or
    // nothing: EAGAIN, and the pipe is unchanged.
    let before = pipe.clone();
    assert_eq!(
        quiet(pipe.write(&k(), 100, true)),
        Progress::Failed(Errno::EAGAIN)
    );
    assert_eq!(pipe, before);
    // A 96-byte write fits the last page whole and merges.
    assert_eq!(quiet(pipe.write(&k(), 96, true)), Progress::Done(96));
    assert_eq!(pipe.queued(), 64096);
}

#[test]
fn a_pipe_buf_sized_write_takes_one_whole_slot() {
    let mut pipe = new_pipe();
    assert_eq!(quiet(pipe.write(&k(), 10, true)), Progress::Done(10));
    // 4096 & (PAGE_SIZE-1) is 0: nothing to merge, one fresh page.
    assert_eq!(quiet(pipe.write(&k(), 4096, true)), Progress::Done(4096));
    assert_eq!(
        pipe.slots().collect::<Vec<_>>(),
        [
            Slot { offset: 0, len: 10 },
            Slot {
                offset: 0,
                len: 4096
            }
        ]
    );
}

#[test]
fn a_large_nonblocking_write_is_partial() {
    let mut pipe = new_pipe();
    assert_eq!(
        quiet(pipe.write(&k(), 100_000, true)),
        Progress::Done(65536)
    );
    assert_eq!(
        quiet(pipe.write(&k(), 100_000, true)),
        Progress::Failed(Errno::EAGAIN)
    );
}

#[test]
fn a_large_write_merges_only_its_leading_remainder() {
    let mut pipe = new_pipe();
    quiet(pipe.write(&k(), 10, true));
    // 5000 = 904 + 4096: the 904 merge into the first page, then a page.
    assert_eq!(quiet(pipe.write(&k(), 5000, true)), Progress::Done(5000));
    assert_eq!(
        pipe.slots().collect::<Vec<_>>(),
        [
            Slot {
                offset: 0,
                len: 914
            },
            Slot {
                offset: 0,
                len: 4096
            }
        ]
    );
}

#[test]
fn reading_part_of_the_head_slot_frees_no_space() {
    let mut pipe = new_pipe();
    fill_pipe(&mut pipe, 1);
    assert_eq!(pipe.read(&k(), 1, true), Progress::Done(1));
    assert_eq!(
        pipe.slots().next(),
        Some(Slot {
            offset: 1,
            len: 4095
        })
    );
    // The ring is still 16 slots full: a 1-byte write is refused.
    assert_eq!(
        quiet(pipe.write(&k(), 1, true)),
        Progress::Failed(Errno::EAGAIN)
    );
    assert_eq!(pipe.read(&k(), 4095, true), Progress::Done(4095));
    assert_eq!(pipe.slots_in_use(), 15);
    assert_eq!(quiet(pipe.write(&k(), 1, true)), Progress::Done(1));
}

#[test]
fn a_read_takes_bytes_across_slots_and_frees_each_emptied_one() {
    let mut pipe = new_pipe();
    quiet(pipe.write(&k(), 10_000, true));
    assert_eq!(pipe.read(&k(), 5000, true), Progress::Done(5000));
    assert_eq!(
        pipe.slots().collect::<Vec<_>>(),
        [
            Slot {
                offset: 904,
                len: 3192
            },
            Slot {
                offset: 0,
                len: 1808
            }
        ]
    );
    assert_eq!(pipe.queued(), 5000);
}

#[test]
fn a_merge_counts_the_bytes_already_read_from_the_last_slot() {
    let mut pipe = new_pipe();
    quiet(pipe.write(&k(), 4000, true));
    pipe.read(&k(), 3999, true);
    // One unread byte at offset 3999: 100 more would end past the page.
    quiet(pipe.write(&k(), 100, true));
    assert_eq!(
        pipe.slots().collect::<Vec<_>>(),
        [
            Slot {
                offset: 3999,
                len: 1
            },
            Slot {
                offset: 0,
                len: 100
            }
        ]
    );
}

#[test]
fn a_blocking_small_write_sleeps_until_a_whole_slot_is_free() {
    let mut pipe = new_pipe();
    fill_pipe(&mut pipe, 4096);
    assert_eq!(
        quiet(pipe.write(&k(), 10, false)),
        Progress::Blocked { so_far: 0 }
    );
    assert!(!pipe.can_resume_write());
    pipe.read(&k(), 1, true);
    assert!(!pipe.can_resume_write());
    // Resuming early is harmless: nothing changes.
    let before = pipe.clone();
    assert_eq!(
        quiet(pipe.resume_write(&k(), 10, 0)),
        Progress::Blocked { so_far: 0 }
    );
    assert_eq!(pipe, before);
    pipe.read(&k(), 4095, true);
    assert!(pipe.can_resume_write());
    assert_eq!(quiet(pipe.resume_write(&k(), 10, 0)), Progress::Done(10));
    // A resumed write does not retry the merge: it takes a fresh slot.
    assert_eq!(pipe.slots().last(), Some(Slot { offset: 0, len: 10 }));
}

#[test]
fn a_blocking_large_write_writes_what_fits_then_sleeps() {
    let mut pipe = new_pipe();
    let len = 100_000;
    let mut progress = quiet(pipe.write(&k(), len, false));
    assert_eq!(progress, Progress::Blocked { so_far: 65536 });
    let mut read = 0;
    while let Progress::Blocked { so_far } = progress {
        assert!(!pipe.can_resume_write());
        if let Progress::Done(n) = pipe.read(&k(), 4096, true) {
            read += n;
        }
        progress = quiet(pipe.resume_write(&k(), len, so_far));
    }
    assert_eq!(progress, Progress::Done(len));
    assert_eq!(read + pipe.queued(), len);
}

#[test]
fn an_empty_pipe_makes_a_reader_sleep_or_fail_with_eagain() {
    let mut pipe = new_pipe();
    assert_eq!(pipe.read(&k(), 10, true), Progress::Failed(Errno::EAGAIN));
    assert_eq!(pipe.read(&k(), 10, false), Progress::Blocked { so_far: 0 });
    assert!(!pipe.can_resume_read());
    quiet(pipe.write(&k(), 3, true));
    assert!(pipe.can_resume_read());
    assert_eq!(pipe.read(&k(), 10, false), Progress::Done(3));
}

#[test]
fn reading_with_no_writers_left_returns_eof_after_the_data() {
    let mut pipe = new_pipe();
    quiet(pipe.write(&k(), 5, true));
    pipe.release(PipeEnd::Write);
    assert_eq!(pipe.read(&k(), 100, false), Progress::Done(5));
    assert_eq!(pipe.read(&k(), 100, false), Progress::Done(0));
    assert!(pipe.can_resume_read());
}

#[test]
fn the_last_writer_closing_wakes_a_sleeping_reader_with_eof() {
    let mut pipe = new_pipe();
    pipe.retain(PipeEnd::Write); // a forked child holds the write end too
    assert_eq!(pipe.read(&k(), 1, false), Progress::Blocked { so_far: 0 });
    pipe.release(PipeEnd::Write);
    assert!(!pipe.can_resume_read());
    pipe.release(PipeEnd::Write);
    assert!(pipe.can_resume_read());
    assert_eq!(pipe.read(&k(), 1, false), Progress::Done(0));
}

#[test]
fn writing_with_no_readers_left_fails_with_epipe_and_raises_sigpipe() {
    let mut pipe = new_pipe();
    pipe.release(PipeEnd::Read);
    assert_eq!(
        pipe.write(&k(), 1, false),
        WriteOutcome {
            progress: Progress::Failed(Errno::EPIPE),
            sigpipe: true
        }
    );
    // A null write succeeds before the readers are even checked.
    assert_eq!(
        pipe.write(&k(), 0, false),
        WriteOutcome {
            progress: Progress::Done(0),
            sigpipe: false
        }
    );
}

#[test]
fn a_sleeping_writer_gets_its_partial_count_and_sigpipe_when_the_last_reader_closes() {
    let mut pipe = new_pipe();
    assert_eq!(
        quiet(pipe.write(&k(), 70_000, false)),
        Progress::Blocked { so_far: 65536 }
    );
    pipe.release(PipeEnd::Read);
    assert!(pipe.can_resume_write());
    assert_eq!(
        pipe.resume_write(&k(), 70_000, 65536),
        WriteOutcome {
            progress: Progress::Done(65536),
            sigpipe: true
        }
    );
}

#[test]
fn fionread_on_a_pipe_counts_the_unread_bytes() {
    let mut pipe = new_pipe();
    quiet(pipe.write(&k(), 300, true));
    quiet(pipe.write(&k(), 5000, true));
    pipe.read(&k(), 50, true);
    assert_eq!(pipe.queued(), 5250);
}

#[test]
fn f_setpipe_sz_rounds_up_to_a_power_of_two_number_of_pages() {
    let cases = [
        (0, 4096),
        (1, 4096),
        (4096, 4096),
        (5000, 8192),
        (65537, 131_072),
        (1_048_576, 1_048_576),
    ];
    for (arg, size) in cases {
        let mut pipe = new_pipe();
        assert_eq!(
            pipe.set_size(&k(), arg, false),
            Ok(size),
            "F_SETPIPE_SZ {arg}"
        );
        assert_eq!(pipe.size_bytes(&k()), size);
    }
}

#[test]
fn f_setpipe_sz_above_pipe_max_size_needs_cap_sys_resource() {
    let mut pipe = new_pipe();
    assert_eq!(pipe.set_size(&k(), 1_048_577, false), Err(Errno::EPERM));
    assert_eq!(pipe.size_bytes(&k()), 65536);
    assert_eq!(pipe.set_size(&k(), 1_048_577, true), Ok(2_097_152));
    // Shrinking is always allowed, even from above the limit.
    assert_eq!(pipe.set_size(&k(), 65536, false), Ok(65536));
}

#[test]
fn f_setpipe_sz_above_two_gib_is_einval() {
    let mut pipe = new_pipe();
    assert_eq!(pipe.set_size(&k(), (1 << 31) + 1, true), Err(Errno::EINVAL));
    // The argument is an unsigned int: -1 is 4294967295, too large.
    assert_eq!(
        pipe.set_size(&k(), u64::from(u32::MAX), true),
        Err(Errno::EINVAL)
    );
}

#[test]
fn shrinking_a_pipe_below_the_slots_in_use_fails_with_ebusy() {
    let mut pipe = new_pipe();
    quiet(pipe.write(&k(), 4096, true));
    pipe.read(&k(), 4095, true);
    quiet(pipe.write(&k(), 1, true));
    // Two bytes queued, but in two slots: one page is not enough.
    assert_eq!(pipe.queued(), 2);
    assert_eq!(pipe.set_size(&k(), 4096, false), Err(Errno::EBUSY));
    assert_eq!(pipe.set_size(&k(), 8192, false), Ok(8192));
    assert!(pipe.is_full());
    assert_eq!(
        quiet(pipe.write(&k(), 4096, true)),
        Progress::Failed(Errno::EAGAIN)
    );
}

// ---------------------------------------------------------- socketpairs

#[test]
fn socket_buffers_default_to_212992() {
    let pair = stream_pair();
    for side in [Side::Zero, Side::One] {
        assert_eq!(pair.socket(side).sndbuf(), 212_992);
        assert_eq!(pair.socket(side).rcvbuf(), 212_992);
    }
}

#[test]
fn a_one_byte_or_hundred_byte_stream_send_costs_768() {
    for len in [1, 100] {
        let mut pair = stream_pair();
        assert_eq!(
            quiet(pair.send(&k(), Side::Zero, len, true)),
            Progress::Done(len)
        );
        assert_eq!(pair.outq(Side::Zero), 768, "{len}-byte send");
    }
}

#[test]
fn a_nonblocking_sender_of_one_byte_messages_is_refused_after_278_sends() {
    let mut pair = stream_pair();
    assert_eq!(fill_socket(&mut pair, Side::Zero, 1), (278, Errno::EAGAIN));
    // Admitted while below SO_SNDBUF, so the last one overshoots it.
    assert_eq!(pair.outq(Side::Zero), 278 * 768);
    assert_eq!(pair.inq(Side::One), 278);
}

#[test]
fn a_datagram_is_charged_its_truesize_too() {
    let mut pair = dgram_pair();
    assert_eq!(fill_socket(&mut pair, Side::Zero, 1), (278, Errno::EAGAIN));
    assert_eq!(pair.outq(Side::Zero), 278 * 768);
}

#[test]
fn fionread_on_a_stream_socket_counts_every_queued_byte() {
    let mut pair = stream_pair();
    quiet(pair.send(&k(), Side::Zero, 100, true));
    quiet(pair.send(&k(), Side::Zero, 50, true));
    assert_eq!(pair.inq(Side::One), 150);
    assert_eq!(pair.recv(&k(), Side::One, 120, true), Progress::Done(120));
    assert_eq!(pair.inq(Side::One), 30);
}

#[test]
fn fionread_on_a_datagram_socket_counts_only_the_first_datagram() {
    let mut pair = dgram_pair();
    quiet(pair.send(&k(), Side::Zero, 100, true));
    quiet(pair.send(&k(), Side::Zero, 50, true));
    assert_eq!(pair.inq(Side::One), 100);
}

#[test]
fn siocoutq_reports_the_truesize_sum_until_the_peer_reads() {
    let mut pair = stream_pair();
    quiet(pair.send(&k(), Side::Zero, 1, true));
    quiet(pair.send(&k(), Side::Zero, 3000, true));
    // 3000 bytes: SKB_HEAD_ALIGN(3000) = 3008 + 320 -> kmalloc-4096, + 256.
    assert_eq!(pair.outq(Side::Zero), 768 + 4352);
    // A partly read skb stays charged; a fully read one is freed.
    assert_eq!(pair.recv(&k(), Side::One, 2, true), Progress::Done(2));
    assert_eq!(pair.outq(Side::Zero), 4352);
    assert_eq!(pair.recv(&k(), Side::One, 5000, true), Progress::Done(2999));
    assert_eq!(pair.outq(Side::Zero), 0);
    assert_eq!(pair.outq(Side::One), 0);
}

#[test]
fn a_stream_read_takes_bytes_across_skbs() {
    let mut pair = stream_pair();
    for _ in 0..3 {
        quiet(pair.send(&k(), Side::One, 10, true));
    }
    assert_eq!(pair.recv(&k(), Side::Zero, 25, true), Progress::Done(25));
    let left: Vec<_> = pair
        .socket(Side::Zero)
        .queue()
        .map(|s| (s.len, s.consumed))
        .collect();
    assert_eq!(left, [(10, 5)]);
    assert_eq!(pair.outq(Side::One), 768);
}

#[test]
fn a_large_stream_send_is_cut_into_skbs_of_head_and_page_fragments() {
    let mut pair = stream_pair();
    assert_eq!(
        quiet(pair.send(&k(), Side::Zero, 100_000, true)),
        Progress::Done(100_000)
    );
    let skbs: Vec<_> = pair
        .socket(Side::One)
        .queue()
        .map(|s| (s.len, s.truesize))
        .collect();
    // Each skb holds at most SKB_MAX_HEAD(0) + 32 KiB = 3776 + 32768. Its
    // head is kmalloc'd, its fragments are whole pages of falling order.
    assert_eq!(
        skbs,
        [
            (36_544, 4096 + 256 + 32_768),
            (36_544, 37_120),
            (26_912, 4096 + 256 + 16_384 + 8192)
        ]
    );
}

#[test]
fn a_large_nonblocking_stream_send_is_partial() {
    let mut pair = stream_pair();
    // Six 36544-byte skbs of truesize 37120: the sixth is admitted at
    // 185600 < 212992 and overshoots.
    assert_eq!(
        quiet(pair.send(&k(), Side::Zero, 1_000_000, true)),
        Progress::Done(6 * 36_544)
    );
    assert_eq!(pair.outq(Side::Zero), 6 * 37_120);
    assert_eq!(
        quiet(pair.send(&k(), Side::Zero, 1, true)),
        Progress::Failed(Errno::EAGAIN)
    );
}

#[test]
fn a_blocked_stream_sender_wakes_only_when_the_reader_frees_three_quarters() {
    let mut pair = stream_pair();
    let len = 1_000_000;
    let mut progress = quiet(pair.send(&k(), Side::Zero, len, false));
    assert_eq!(progress, Progress::Blocked { so_far: 6 * 36_544 });
    // Reading one skb brings wmem below SO_SNDBUF, but unix_write_space
    // wakes the sender only at a quarter of it.
    pair.recv(&k(), Side::One, 36_544, true);
    assert!(!pair.can_resume_send(Side::Zero));
    let before = pair.clone();
    assert_eq!(
        quiet(pair.resume_send(&k(), Side::Zero, len, 6 * 36_544)),
        Progress::Blocked { so_far: 6 * 36_544 }
    );
    assert_eq!(pair, before);
    for _ in 0..4 {
        pair.recv(&k(), Side::One, 36_544, true);
    }
    assert_eq!(pair.outq(Side::Zero), 37_120);
    assert!(pair.can_resume_send(Side::Zero));
    let mut received = 5 * 36_544;
    while let Progress::Blocked { so_far } = progress {
        progress = quiet(pair.resume_send(&k(), Side::Zero, len, so_far));
        while let Progress::Done(n) = pair.recv(&k(), Side::One, 1 << 20, true) {
            received += n;
        }
    }
    assert_eq!(progress, Progress::Done(len));
    assert_eq!(received, len);
}

#[test]
fn a_datagram_larger_than_sndbuf_minus_32_is_emsgsize() {
    let mut pair = dgram_pair();
    assert_eq!(
        quiet(pair.send(&k(), Side::Zero, 212_961, true)),
        Progress::Failed(Errno::EMSGSIZE)
    );
    assert_eq!(
        quiet(pair.send(&k(), Side::Zero, 212_960, true)),
        Progress::Done(212_960)
    );
    assert_eq!(pair.inq(Side::One), 212_960);
}

#[test]
fn a_datagram_read_returns_one_message_and_discards_its_rest() {
    let mut pair = dgram_pair();
    quiet(pair.send(&k(), Side::Zero, 100, true));
    quiet(pair.send(&k(), Side::Zero, 50, true));
    assert_eq!(pair.recv(&k(), Side::One, 10, true), Progress::Done(10));
    assert_eq!(pair.inq(Side::One), 50);
    assert_eq!(pair.recv(&k(), Side::One, 1000, true), Progress::Done(50));
    assert_eq!(
        pair.recv(&k(), Side::One, 1000, true),
        Progress::Failed(Errno::EAGAIN)
    );
    assert_eq!(pair.outq(Side::Zero), 0);
}

#[test]
fn a_zero_byte_datagram_is_a_message_of_its_own() {
    let mut pair = dgram_pair();
    assert_eq!(
        quiet(pair.send(&k(), Side::Zero, 0, true)),
        Progress::Done(0)
    );
    assert_eq!(pair.outq(Side::Zero), 768);
    assert_eq!(pair.recv(&k(), Side::One, 10, true), Progress::Done(0));
    assert_eq!(pair.outq(Side::Zero), 0);
}

#[test]
fn so_sndbuf_stores_double_the_value_with_a_floor_and_a_cap() {
    let mut pair = stream_pair();
    let cases = [
        (1000, 4608),
        (10_000, 20_000),
        (1_000_000, 425_984),
        (-1, 425_984),
        (0, 4608),
    ];
    for (val, stored) in cases {
        assert_eq!(
            pair.set_sndbuf(&k(), Side::Zero, val),
            Ok(stored),
            "SO_SNDBUF {val}"
        );
        assert_eq!(pair.socket(Side::Zero).sndbuf(), stored);
    }
    assert_eq!(
        pair.set_sndbuf_force(&k(), Side::Zero, 1_000_000, false),
        Err(Errno::EPERM)
    );
    assert_eq!(
        pair.set_sndbuf_force(&k(), Side::Zero, 1_000_000, true),
        Ok(2_000_000)
    );
    assert_eq!(pair.set_sndbuf_force(&k(), Side::Zero, -5, true), Ok(4608));
}

#[test]
fn a_smaller_sndbuf_makes_smaller_stream_skbs() {
    let mut pair = stream_pair();
    pair.set_sndbuf(&k(), Side::Zero, 2304).unwrap(); // stored 4608
                                                      // (4608 >> 1) - 64 = 2240 bytes per skb; each costs 4352.
    assert_eq!(
        quiet(pair.send(&k(), Side::Zero, 10_000, true)),
        Progress::Done(4480)
    );
    assert_eq!(
        pair.socket(Side::One)
            .queue()
            .map(|s| s.len)
            .collect::<Vec<_>>(),
        [2240, 2240]
    );
    assert_eq!(pair.outq(Side::Zero), 2 * 4352);
}

#[test]
fn an_empty_socket_makes_a_reader_sleep_or_fail_with_eagain() {
    for kind in [SockType::Stream, SockType::Dgram] {
        let mut pair = SocketPair::new(&k(), kind);
        assert_eq!(
            pair.recv(&k(), Side::One, 10, true),
            Progress::Failed(Errno::EAGAIN)
        );
        assert_eq!(
            pair.recv(&k(), Side::One, 10, false),
            Progress::Blocked { so_far: 0 }
        );
        assert!(!pair.can_resume_recv(Side::One));
        quiet(pair.send(&k(), Side::Zero, 4, true));
        assert!(pair.can_resume_recv(Side::One));
        assert_eq!(pair.recv(&k(), Side::One, 10, false), Progress::Done(4));
    }
}

#[test]
fn a_stream_reader_sees_eof_after_the_peer_closes_and_the_data_is_read() {
    let mut pair = stream_pair();
    quiet(pair.send(&k(), Side::Zero, 7, true));
    assert_eq!(pair.recv(&k(), Side::One, 1, false), Progress::Done(1));
    pair.release(Side::Zero);
    assert_eq!(pair.recv(&k(), Side::One, 100, false), Progress::Done(6));
    assert_eq!(pair.recv(&k(), Side::One, 100, true), Progress::Done(0));
    assert_eq!(pair.recv(&k(), Side::One, 100, false), Progress::Done(0));
}

#[test]
fn a_stream_send_to_a_closed_peer_fails_with_epipe_and_raises_sigpipe() {
    let mut pair = stream_pair();
    pair.release(Side::One);
    assert_eq!(
        pair.send(&k(), Side::Zero, 1, true),
        WriteOutcome {
            progress: Progress::Failed(Errno::EPIPE),
            sigpipe: true
        }
    );
}

#[test]
fn closing_with_unread_data_resets_the_peer_once() {
    let mut pair = stream_pair();
    quiet(pair.send(&k(), Side::Zero, 10, true));
    pair.release(Side::One);
    // The closer's queue is freed: the sender's buffer is empty again.
    assert_eq!(pair.outq(Side::Zero), 0);
    assert_eq!(
        pair.recv(&k(), Side::Zero, 10, true),
        Progress::Failed(Errno::ECONNRESET)
    );
    assert_eq!(pair.recv(&k(), Side::Zero, 10, true), Progress::Done(0));
}

#[test]
fn a_blocked_stream_sender_is_woken_by_the_peer_closing() {
    let mut pair = stream_pair();
    let progress = quiet(pair.send(&k(), Side::Zero, 1_000_000, false));
    let Progress::Blocked { so_far } = progress else {
        panic!("{progress:?}")
    };
    pair.release(Side::One);
    assert!(pair.can_resume_send(Side::Zero));
    // sock_alloc_send_pskb reports the reset; what was sent is returned,
    // and this path raises no SIGPIPE.
    assert_eq!(
        quiet(pair.resume_send(&k(), Side::Zero, 1_000_000, so_far)),
        Progress::Done(so_far)
    );
}

#[test]
fn shutting_down_writing_gives_the_stream_peer_eof() {
    let mut pair = stream_pair();
    quiet(pair.send(&k(), Side::Zero, 3, true));
    pair.shutdown(Side::Zero, How::Write).unwrap();
    assert_eq!(pair.recv(&k(), Side::One, 10, false), Progress::Done(3));
    assert_eq!(pair.recv(&k(), Side::One, 10, false), Progress::Done(0));
    assert_eq!(
        pair.send(&k(), Side::Zero, 1, true).progress,
        Progress::Failed(Errno::EPIPE)
    );
    // The other direction still works.
    assert_eq!(
        quiet(pair.send(&k(), Side::One, 2, true)),
        Progress::Done(2)
    );
}

#[test]
fn a_datagram_send_to_a_closed_peer_is_refused_then_not_connected() {
    let mut pair = dgram_pair();
    quiet(pair.send(&k(), Side::One, 5, true));
    quiet(pair.send(&k(), Side::Zero, 5, true));
    pair.release(Side::One);
    assert_eq!(pair.outq(Side::Zero), 0);
    // Unread datagrams from the dead peer are still readable until the
    // next send, which reports ECONNREFUSED and drops them.
    assert_eq!(pair.inq(Side::Zero), 5);
    assert_eq!(
        quiet(pair.send(&k(), Side::Zero, 5, true)),
        Progress::Failed(Errno::ECONNREFUSED)
    );
    assert_eq!(pair.inq(Side::Zero), 0);
    assert_eq!(
        quiet(pair.send(&k(), Side::Zero, 5, true)),
        Progress::Failed(Errno::ENOTCONN)
    );
}

#[test]
fn a_datagram_reader_is_not_woken_by_the_peer_closing() {
    let mut pair = dgram_pair();
    assert_eq!(
        pair.recv(&k(), Side::Zero, 5, false),
        Progress::Blocked { so_far: 0 }
    );
    pair.release(Side::One);
    assert!(!pair.can_resume_recv(Side::Zero));
    assert_eq!(
        pair.recv(&k(), Side::Zero, 5, true),
        Progress::Failed(Errno::EAGAIN)
    );
}

#[test]
fn a_socket_lives_until_its_last_file_is_closed() {
    let mut pair = stream_pair();
    pair.retain(Side::One); // inherited by a forked child
    pair.release(Side::One);
    assert!(!pair.socket(Side::One).is_dead());
    assert_eq!(
        quiet(pair.send(&k(), Side::Zero, 1, true)),
        Progress::Done(1)
    );
    pair.release(Side::One);
    assert!(pair.socket(Side::One).is_dead());
    assert!(!pair.is_unreferenced());
    pair.release(Side::Zero);
    assert!(pair.is_unreferenced());
}

// ------------------------------------------------------------- fd tables

fn pipe_end(n: u32, end: PipeEnd) -> EndRef {
    EndRef::Pipe(PipeId(n), end)
}

#[test]
fn fds_start_at_3_and_reuse_the_lowest_free_number() {
    let mut table = FdTable::new();
    let nofile = k().nofile;
    assert_eq!(
        table.open(pipe_end(0, PipeEnd::Read), nofile, false),
        Ok(Fd(3))
    );
    assert_eq!(
        table.open(pipe_end(0, PipeEnd::Write), nofile, false),
        Ok(Fd(4))
    );
    assert_eq!(
        table.open(EndRef::Sock(SockPairId(0), Side::Zero), nofile, false),
        Ok(Fd(5))
    );
    assert_eq!(table.close(Fd(3)), Ok(pipe_end(0, PipeEnd::Read)));
    assert_eq!(
        table.open(EndRef::Sock(SockPairId(0), Side::One), nofile, false),
        Ok(Fd(3))
    );
    assert_eq!(
        table.open(pipe_end(1, PipeEnd::Read), nofile, false),
        Ok(Fd(6))
    );
    assert_eq!(table.find(pipe_end(0, PipeEnd::Write)), Some(Fd(4)));
}

#[test]
fn closing_an_fd_that_is_not_open_is_ebadf() {
    let mut table = FdTable::new();
    assert_eq!(table.close(Fd(3)), Err(Errno::EBADF));
    assert_eq!(table.get(Fd(0)), Err(Errno::EBADF));
}

#[test]
fn the_fd_after_the_nofile_limit_is_emfile() {
    let mut table = FdTable::new();
    for n in 3..10 {
        assert_eq!(table.open(pipe_end(n, PipeEnd::Read), 10, false), Ok(Fd(n)));
    }
    assert_eq!(
        table.open(pipe_end(99, PipeEnd::Read), 10, false),
        Err(Errno::EMFILE)
    );
}

#[test]
fn a_pair_with_one_free_number_left_is_emfile_and_installs_nothing() {
    let mut table = FdTable::new();
    for n in 3..9 {
        table.open(pipe_end(n, PipeEnd::Read), 10, false).unwrap();
    }
    let before = table.clone();
    assert_eq!(
        table.open_pair(
            [pipe_end(99, PipeEnd::Read), pipe_end(99, PipeEnd::Write)],
            10,
            false
        ),
        Err(Errno::EMFILE)
    );
    assert_eq!(table, before, "fd 9 stays free");
    assert_eq!(
        table.open(pipe_end(98, PipeEnd::Read), 10, false),
        Ok(Fd(9))
    );
}

#[test]
fn a_pair_takes_the_two_lowest_free_numbers_however_far_apart() {
    let mut table = FdTable::new();
    for n in 3..9 {
        table.open(pipe_end(n, PipeEnd::Read), 10, false).unwrap();
    }
    table.close(Fd(4)).unwrap();
    let ends = [
        EndRef::Sock(SockPairId(7), Side::Zero),
        EndRef::Sock(SockPairId(7), Side::One),
    ];
    assert_eq!(table.open_pair(ends, 10, false), Ok([Fd(4), Fd(9)]));
    assert_eq!(table.open_pair(ends, 10, false), Err(Errno::EMFILE));
}

#[test]
fn fork_copies_the_table_with_the_same_numbers() {
    let mut parent = FdTable::new();
    parent
        .open(pipe_end(0, PipeEnd::Read), 1024, false)
        .unwrap();
    parent
        .open(pipe_end(0, PipeEnd::Write), 1024, false)
        .unwrap();
    let mut child = parent.dup_all();
    assert_eq!(child, parent);
    child.close(Fd(4)).unwrap();
    assert_eq!(parent.get(Fd(4)), Ok(pipe_end(0, PipeEnd::Write)));
    assert_eq!(child.close_all(), [pipe_end(0, PipeEnd::Read)]);
    assert!(child.is_empty());
}

#[test]
fn fork_copies_each_fds_close_on_exec_flag_and_exec_closes_only_those() {
    let mut parent = FdTable::new();
    let ends = [pipe_end(0, PipeEnd::Read), pipe_end(0, PipeEnd::Write)];
    assert_eq!(parent.open_pair(ends, 1024, true), Ok([Fd(3), Fd(4)]));
    parent
        .open(pipe_end(1, PipeEnd::Read), 1024, false)
        .unwrap();
    assert_eq!(parent.set_cloexec(Fd(3), false), Ok(()));
    assert_eq!(parent.set_cloexec(Fd(9), true), Err(Errno::EBADF));
    let child = parent.dup_all();
    let flags = |t: &FdTable| {
        t.iter_with_flags()
            .map(|(fd, _, c)| (fd.0, c))
            .collect::<Vec<_>>()
    };
    assert_eq!(flags(&child), [(3, false), (4, true), (5, false)]);
    assert_eq!(child.close_on_exec(), [Fd(4)]);
    assert_eq!(child.cloexec(Fd(4)), Ok(true));
    assert_eq!(child.cloexec(Fd(6)), Err(Errno::EBADF));
}

// --------------------------------------------------------------- profile

#[test]
fn the_default_socket_buffer_is_256_packets_of_256_bytes() {
    let k = k();
    // SK_WMEM_MAX = SKB_TRUESIZE(256) * 256 (include/net/sock.h).
    assert_eq!(k.skb.truesize(256) * 256, u64::from(k.wmem_default));
    assert_eq!(k.wmem_default, k.wmem_max);
}

#[test]
fn sock_min_sndbuf_is_two_minimal_tcp_skbs() {
    let k = k();
    assert_eq!(2 * (2048 + k.skb.sk_buff_aligned), k.sock_min_sndbuf);
}

#[test]
fn skb_limits_follow_from_the_page_and_shared_info_sizes() {
    let k = k();
    assert_eq!(k.skb.max_head(&k, 0), 3776);
    assert_eq!(k.skb.max_alloc(&k), 16_064);
    assert_eq!(k.skb.kmalloc_size_roundup(&k, 384), 512);
    assert_eq!(k.skb.kmalloc_size_roundup(&k, 97), 128);
    assert_eq!(k.skb.kmalloc_size_roundup(&k, 8193), 16_384);
    assert_eq!(k.skb.alloc_skb_truesize(&k, 1), 768);
}

// ------------------------------------------------------------ properties

#[derive(Clone, Debug)]
enum PipeOp {
    Write(u64, bool),
    Read(u64, bool),
    Resume,
    SetSize(u64, bool),
}

fn pipe_op() -> impl Strategy<Value = PipeOp> {
    prop_oneof![
        (0u64..20_000, any::<bool>()).prop_map(|(n, nb)| PipeOp::Write(n, nb)),
        (0u64..20_000, any::<bool>()).prop_map(|(n, nb)| PipeOp::Read(n, nb)),
        Just(PipeOp::Resume),
        (0u64..300_000, any::<bool>()).prop_map(|(n, cap)| PipeOp::SetSize(n, cap)),
    ]
}

#[derive(Clone, Debug)]
enum SockOp {
    Send(bool, u64, bool),
    Recv(bool, u64, bool),
    Resume,
    SetSndbuf(bool, i32),
}

fn sock_op() -> impl Strategy<Value = SockOp> {
    prop_oneof![
        (any::<bool>(), 0u64..100_000, any::<bool>()).prop_map(|(s, n, nb)| SockOp::Send(s, n, nb)),
        (any::<bool>(), 0u64..100_000, any::<bool>()).prop_map(|(s, n, nb)| SockOp::Recv(s, n, nb)),
        Just(SockOp::Resume),
        (any::<bool>(), any::<i32>()).prop_map(|(s, v)| SockOp::SetSndbuf(s, v)),
    ]
}

fn side_of(one: bool) -> Side {
    if one {
        Side::One
    } else {
        Side::Zero
    }
}

/// Every socket's wmem_alloc is exactly the truesize its peer still holds.
fn assert_wmem_matches_queues(pair: &SocketPair) {
    for side in [Side::Zero, Side::One] {
        let held: u64 = pair.socket(side.peer()).queue().map(|s| s.truesize).sum();
        assert_eq!(pair.outq(side), held);
    }
}

proptest! {
    #[test]
    fn pipe_bytes_are_conserved(ops in prop::collection::vec(pipe_op(), 0..200)) {
        let k = k();
        let mut pipe = Pipe::new(&k);
        let (mut written, mut read) = (0u64, 0u64);
        // A blocked blocking write: (len, so_far).
        let mut pending: Option<(u64, u64)> = None;
        for op in ops {
            match op {
                PipeOp::Write(len, nonblock) if pending.is_none() => {
                    match pipe.write(&k, len, nonblock).progress {
                        Progress::Done(n) => written += n,
                        Progress::Blocked { so_far } => pending = Some((len, so_far)),
                        Progress::Failed(_) => {}
                    }
                }
                PipeOp::Write(..) => {}
                PipeOp::Read(len, nonblock) => {
                    if let Progress::Done(n) = pipe.read(&k, len, nonblock) {
                        prop_assert!(n <= len);
                        read += n;
                    }
                }
                PipeOp::Resume => {
                    if let Some((len, so_far)) = pending {
                        match pipe.resume_write(&k, len, so_far).progress {
                            Progress::Done(n) => { written += n; pending = None; }
                            Progress::Blocked { so_far: now } => {
                                prop_assert!(now >= so_far);
                                pending = Some((len, now));
                            }
                            Progress::Failed(e) => prop_assert!(false, "resume failed: {e}"),
                        }
                    }
                }
                PipeOp::SetSize(bytes, cap) => {
                    if let Ok(size) = pipe.set_size(&k, bytes, cap) {
                        prop_assert_eq!(size, pipe.size_bytes(&k));
                    }
                }
            }
            let in_flight = pending.map_or(0, |(_, so_far)| so_far);
            prop_assert_eq!(written + in_flight, read + pipe.queued());
            prop_assert!(pipe.slots().all(|s| s.len > 0 && s.offset + s.len <= 4096));
            prop_assert!(pipe.slots_in_use() <= pipe.capacity_slots());
        }
    }

    #[test]
    fn socketpair_bytes_are_conserved(dgram in any::<bool>(), ops in prop::collection::vec(sock_op(), 0..120)) {
        let k = k();
        let kind = if dgram { SockType::Dgram } else { SockType::Stream };
        let mut pair = SocketPair::new(&k, kind);
        // Per sending side: bytes sent, and a blocked send (len, so_far).
        let mut sent = [0u64; 2];
        let mut pending: [Option<(u64, u64)>; 2] = [None, None];
        // Per receiving side: bytes received or cut off a datagram.
        let mut taken = [0u64; 2];
        for op in ops {
            match op {
                SockOp::Send(one, len, nonblock) => {
                    let s = side_of(one);
                    if pending[s.index()].is_none() {
                        match pair.send(&k, s, len, nonblock).progress {
                            Progress::Done(n) => sent[s.index()] += n,
                            Progress::Blocked { so_far } => pending[s.index()] = Some((len, so_far)),
                            Progress::Failed(_) => {}
                        }
                    }
                }
                SockOp::Recv(one, len, nonblock) => {
                    let s = side_of(one);
                    let first = pair.socket(s).queue().next().map(|skb| u64::from(skb.unread()));
                    if let Progress::Done(n) = pair.recv(&k, s, len, nonblock) {
                        prop_assert!(n <= len);
                        // A datagram is consumed whole, however much is read.
                        taken[s.index()] += if dgram { first.unwrap_or(0) } else { n };
                    }
                }
                SockOp::Resume => {
                    for s in [Side::Zero, Side::One] {
                        if let Some((len, so_far)) = pending[s.index()] {
                            match pair.resume_send(&k, s, len, so_far).progress {
                                Progress::Done(n) => { sent[s.index()] += n; pending[s.index()] = None; }
                                Progress::Blocked { so_far } => pending[s.index()] = Some((len, so_far)),
                                Progress::Failed(_) => pending[s.index()] = None,
                            }
                        }
                    }
                }
                SockOp::SetSndbuf(one, val) => {
                    prop_assert!(pair.set_sndbuf(&k, side_of(one), val).is_ok());
                }
            }
            assert_wmem_matches_queues(&pair);
            for s in [Side::Zero, Side::One] {
                let in_flight = pending[s.index()].map_or(0, |(_, so_far)| so_far);
                let queued_at_peer: u64 = pair.socket(s.peer()).queue().map(|skb| u64::from(skb.unread())).sum();
                prop_assert_eq!(sent[s.index()] + in_flight, taken[s.peer().index()] + queued_at_peer);
            }
        }
    }

    #[test]
    fn no_ipc_operation_panics(
        dgram in any::<bool>(),
        ops in prop::collection::vec((0u8..10, any::<bool>(), any::<u64>(), any::<bool>(), any::<i32>()), 0..80),
    ) {
        let k = k();
        let kind = if dgram { SockType::Dgram } else { SockType::Stream };
        let mut pair = SocketPair::new(&k, kind);
        let mut pipe = Pipe::new(&k);
        let mut table = FdTable::new();
        for (op, flag, n, nb, v) in ops {
            let side = side_of(flag);
            let len = n % 300_000;
            match op {
                0 => { pair.send(&k, side, n, nb); pipe.write(&k, n, nb); }
                1 => { pair.recv(&k, side, n, nb); pipe.read(&k, n, nb); }
                2 => { pair.resume_send(&k, side, len, n % 1000); pipe.resume_write(&k, len, n % 1000); }
                3 => { let _ = pair.set_sndbuf(&k, side, v); let _ = pair.set_sndbuf_force(&k, side, v, nb); }
                4 => { let _ = pipe.set_size(&k, n, nb); }
                5 => { pair.release(side); pipe.release(if nb { PipeEnd::Read } else { PipeEnd::Write }); }
                6 => { pair.retain(side); pipe.retain(if nb { PipeEnd::Read } else { PipeEnd::Write }); }
                7 => { let _ = pair.shutdown(side, if nb { How::Read } else { How::Both }); }
                8 => { let _ = table.open(EndRef::Sock(SockPairId(v as u32), side), (n % 64) as u32, nb); }
                _ => { let _ = table.close(Fd((n % 70) as u32)); }
            }
            pair.inq(side);
            pair.can_resume_send(side);
            pair.can_resume_recv(side);
            pipe.can_resume_read();
            pipe.can_resume_write();
            assert_wmem_matches_queues(&pair);
        }
    }
}

// ------------------------------------------- wake-ups, numbers and profile

/// Run a scenario in the model and answer the expects that failed, as
/// "line N: expect ... -- found"; empty when every one held.
fn failed_expects_with(profile: KernelProfile, text: &str) -> Vec<String> {
    let scenario = crate::scenario::parse(text).expect("the scenario parses");
    let mut sim = crate::engine::Sim::with_profile(scenario, profile);
    sim.run_to_end().expect("the scenario runs");
    let failed: Vec<String> = sim
        .steps()
        .iter()
        .flat_map(|step| step.expects.iter())
        .filter(|e| !e.holds())
        .map(|e| format!("line {}: {} -- {:?}", e.pos.line, e.text, e.verdict))
        .collect();
    let checked = sim.steps().iter().map(|s| s.expects.len()).sum::<usize>();
    assert!(checked > 0, "a scenario that checks nothing proves nothing");
    failed
}

fn failed_expects(text: &str) -> Vec<String> {
    failed_expects_with(KernelProfile::default(), text)
}

/// A pipe filled to its 16 slots, with `writers` children asleep writing
/// 4096 bytes each, in the order w1, w2, ...
fn full_pipe_with_sleeping_writers(writers: u32) -> String {
    let mut text = String::from("process a\na: pipe p\n");
    for w in 1..=writers {
        text.push_str(&format!("a: fork w{w}\n"));
    }
    text.push_str("a: send p.w 64K nonblock\nexpect a result 65536\n");
    for w in 1..=writers {
        text.push_str(&format!("w{w}: send p.w 4096\nexpect w{w} state blocked\n"));
    }
    text
}

#[test]
fn resizing_a_full_pipe_sends_its_first_sleeping_writer_to_the_back_of_the_queue() {
    let text = full_pipe_with_sleeping_writers(2)
        + "a: pipesize p 64K\n\
           expect w1 state blocked\n\
           a: recv p.r 4096\n\
           expect w2 result 4096\n\
           expect w1 state blocked\n\
           a: recv p.r 4096\n\
           expect w1 result 4096\n";
    assert_eq!(failed_expects(&text), Vec::<String>::new());
}

#[test]
fn with_three_sleeping_writers_one_resize_makes_the_order_second_third_first() {
    let text = full_pipe_with_sleeping_writers(3)
        + "a: pipesize p 64K\n\
           a: recv p.r 4096\n\
           expect w2 result 4096\n\
           expect w3 state blocked\n\
           a: recv p.r 4096\n\
           expect w3 result 4096\n\
           expect w1 state blocked\n\
           a: recv p.r 4096\n\
           expect w1 result 4096\n";
    assert_eq!(failed_expects(&text), Vec::<String>::new());
}

#[test]
fn each_successful_resize_moves_one_more_writer_to_the_back() {
    let text = full_pipe_with_sleeping_writers(3)
        + "a: pipesize p 64K\n\
           a: pipesize p 64K\n\
           a: recv p.r 4096\n\
           expect w3 result 4096\n\
           expect w1 state blocked\n\
           a: recv p.r 4096\n\
           expect w1 result 4096\n\
           expect w2 state blocked\n";
    assert_eq!(failed_expects(&text), Vec::<String>::new());
}

#[test]
fn a_resize_that_fails_wakes_no_writer() {
    let text = full_pipe_with_sleeping_writers(2)
        + "a: pipesize p 4096\n\
           expect a result EBUSY\n\
           a: pipesize p 2M\n\
           expect a result EPERM\n\
           a: pipesize p -1\n\
           expect a result EINVAL\n\
           a: recv p.r 4096\n\
           expect w1 result 4096\n\
           expect w2 state blocked\n";
    assert_eq!(failed_expects(&text), Vec::<String>::new());
}

#[test]
fn growing_a_full_pipe_lets_its_sleeping_writers_write_in_the_order_they_slept() {
    // A byte read frees no slot, so the pipe is still full until it grows
    // by 16 slots: then w1, w2 and w3 write, each waking the next.
    let text = full_pipe_with_sleeping_writers(3)
        + "a: recv p.r 1\n\
           a: pipesize p 128K\n\
           expect a result 131072\n\
           expect w1 result 4096\n\
           expect w2 result 4096\n\
           expect w3 result 4096\n\
           expect p.r queued 77823\n";
    assert_eq!(failed_expects(&text), Vec::<String>::new());
}

#[test]
fn resizing_a_pipe_wakes_no_reader() {
    // pipe_resize_ring wakes wr_wait only: the readers keep their order.
    let text = "process a\na: pipe p\na: fork r1\na: fork r2\n\
                r1: recv p.r 10\nr2: recv p.r 10\n\
                a: pipesize p 128K\n\
                a: send p.w 10\n\
                expect r1 result 10\n\
                expect r2 state blocked\n";
    assert_eq!(failed_expects(text), Vec::<String>::new());
}

/// A stream pair whose side 0 sleeps in a send of `len` after SO_SNDBUF
/// 2304 (stored 4608): two skbs of 2240 bytes went in, charged 8704.
fn sender_asleep_at_8704(len: u64) -> SocketPair {
    let mut pair = stream_pair();
    pair.set_sndbuf(&k(), Side::Zero, 2304).unwrap();
    assert_eq!(
        quiet(pair.send(&k(), Side::Zero, len, false)),
        Progress::Blocked { so_far: 4480 }
    );
    assert_eq!(pair.outq(Side::Zero), 8704);
    pair
}

#[test]
fn so_sndbuf_wakes_a_sleeping_sender_once_four_times_its_charge_plus_one_fits() {
    // unix_writable from setsockopt: (8704 + 1) * 4 = 34820.
    let mut pair = sender_asleep_at_8704(10_000);
    pair.set_sndbuf(&k(), Side::Zero, 17_409).unwrap(); // 34818
    assert!(!pair.can_resume_send(Side::Zero));
    pair.set_sndbuf(&k(), Side::Zero, 17_410).unwrap(); // 34820
    assert!(pair.can_resume_send(Side::Zero));
    assert_eq!(
        quiet(pair.resume_send(&k(), Side::Zero, 10_000, 4480)),
        Progress::Done(10_000)
    );
}

#[test]
fn a_reader_freeing_to_the_same_boundary_does_not_wake_the_sender() {
    // sock_wfree holds one more reference: (charge + 2) * 4 <= SO_SNDBUF.
    // SO_SNDBUF 6148 = 4 * (1536 + 1): one-byte skbs cost 768 each.
    let mut pair = stream_pair();
    pair.set_sndbuf(&k(), Side::Zero, 3074).unwrap();
    assert_eq!(fill_socket(&mut pair, Side::Zero, 1), (9, Errno::EAGAIN));
    assert_eq!(
        quiet(pair.send(&k(), Side::Zero, 1, false)),
        Progress::Blocked { so_far: 0 }
    );
    assert_eq!(pair.recv(&k(), Side::One, 7, true), Progress::Done(7));
    assert_eq!(pair.outq(Side::Zero), 1536);
    assert!(!pair.can_resume_send(Side::Zero));
    // The very same value through setsockopt wakes it.
    pair.set_sndbuf(&k(), Side::Zero, 3074).unwrap();
    assert!(pair.can_resume_send(Side::Zero));
    assert_eq!(
        quiet(pair.resume_send(&k(), Side::Zero, 1, 0)),
        Progress::Done(1)
    );
}

#[test]
fn lowering_so_sndbuf_wakes_no_sender() {
    let mut pair = sender_asleep_at_8704(10_000);
    pair.set_sndbuf(&k(), Side::Zero, 1).unwrap();
    assert!(!pair.can_resume_send(Side::Zero));
}

#[test]
fn a_woken_sender_first_sends_the_skb_it_sized_before_sleeping() {
    let mut pair = sender_asleep_at_8704(60_000);
    pair.set_sndbuf(&k(), Side::Zero, 17_410).unwrap(); // 34820
    assert_eq!(
        quiet(pair.resume_send(&k(), Side::Zero, 60_000, 4480)),
        Progress::Blocked {
            so_far: 4480 + 2240 + 2 * 17_346
        }
    );
    let lens: Vec<u32> = pair.socket(Side::One).queue().map(|s| s.len).collect();
    assert_eq!(lens, [2240, 2240, 2240, 17_346, 17_346]);
}

#[test]
fn the_same_send_sizes_its_skbs_afresh_once_it_is_past_the_one_it_slept_for() {
    // A fresh send on the same socket never uses a stale size.
    let mut pair = stream_pair();
    pair.set_sndbuf(&k(), Side::Zero, 17_410).unwrap();
    assert_eq!(
        quiet(pair.send(&k(), Side::Zero, 20_000, false)),
        Progress::Done(20_000)
    );
    let lens: Vec<u32> = pair.socket(Side::One).queue().map(|s| s.len).collect();
    assert_eq!(lens, [17_346, 2654]);
}

#[test]
fn mmap_of_zero_pages_fails_with_einval_and_makes_no_region() {
    let text = "process p\n\
                p: mmap heap 0\n\
                expect p result EINVAL\n\
                p: mmap heap 2\n\
                expect p result 0\n\
                p: write heap 1\n\
                expect p faults 1\n";
    assert_eq!(failed_expects(text), Vec::<String>::new());
}

#[test]
fn f_setpipe_sz_reads_a_negative_int_as_unsigned() {
    let text = "process p\np: pipe x\n\
                p: pipesize x -1\nexpect p result EINVAL\n\
                p: pipesize x -4096\nexpect p result EINVAL\n\
                p: pipesize x -2147483648\nexpect p result EPERM\n\
                p: pipesize x 2147483647\nexpect p result EPERM\n\
                p: pipesize x 0\nexpect p result 4096\n";
    assert_eq!(failed_expects(text), Vec::<String>::new());
}

#[test]
fn a_negative_so_sndbuf_means_wmem_max() {
    let k = k();
    let mut pair = stream_pair();
    for val in [-1, i32::MIN, i32::MAX, k.wmem_max as i32] {
        assert_eq!(
            pair.set_sndbuf(&k, Side::Zero, val),
            Ok(2 * k.wmem_max),
            "SO_SNDBUF {val}"
        );
    }
}

#[test]
fn a_huge_send_is_clamped_to_max_rw_count_and_allocates_nothing() {
    // 64 TiB: the model counts bytes and never holds them. (The figures
    // agree with the kernel: forkscope check, Linux 6.18.)
    let text = "process p\np: pipe x\np: socketpair s\n\
                p: send x.w 70368744177664 nonblock\n\
                expect p result 65536\n\
                p: recv x.r 70368744177664\n\
                expect p result 65536\n\
                p: send s.0 4G nonblock\n\
                expect s.1 queued 219264\n";
    assert_eq!(failed_expects(text), Vec::<String>::new());
    let mut pipe = new_pipe();
    pipe.set_size(&k(), 1 << 31, true).unwrap();
    assert_eq!(
        quiet(pipe.write(&k(), u64::MAX, true)),
        Progress::Done(k().max_rw_count())
    );
}

#[test]
fn the_profile_alone_sets_wmem_max_pipe_max_size_and_sock_min_sndbuf() {
    let profile = KernelProfile {
        wmem_max: 10_000,
        pipe_max_size: 65_536,
        sock_min_sndbuf: 8192,
        ..KernelProfile::default()
    };
    // SO_SNDBUF -1 stores 2 * wmem_max = 20000: datagrams up to 19968.
    // SO_SNDBUF 1 stores the floor, 8192: datagrams up to 8160.
    let text = "process p\np: socketpair s dgram\np: pipe x\n\
                p: sndbuf s.0 -1\n\
                p: send s.0 19968 nonblock\nexpect p result 19968\n\
                p: send s.0 19969 nonblock\nexpect p result EMSGSIZE\n\
                p: sndbuf s.0 1\n\
                p: send s.0 8161 nonblock\nexpect p result EMSGSIZE\n\
                p: send s.0 8160 nonblock\nexpect p result EAGAIN\n\
                p: pipesize x 131072\nexpect p result EPERM\n\
                p: pipesize x 65536\nexpect p result 65536\n";
    assert_eq!(failed_expects_with(profile, text), Vec::<String>::new());
}

// ----- a signal wakes a sleeping sender (sock_alloc_send_pskb's loop) ----------

/// A stream sender asleep after 6 skbs of a 300000-byte send (charge
/// 222720), then a reader that takes 70000 bytes: the charge is 185600,
/// below SO_SNDBUF 212992 but far from the quarter unix_write_space wants.
fn sender_asleep_below_sndbuf() -> SocketPair {
    let mut pair = stream_pair();
    assert_eq!(
        quiet(pair.send(&k(), Side::Zero, 300_000, false)),
        Progress::Blocked { so_far: 219_264 }
    );
    assert_eq!(
        pair.recv(&k(), Side::One, 70_000, true),
        Progress::Done(70_000)
    );
    assert_eq!(pair.outq(Side::Zero), 185_600);
    assert!(!pair.can_resume_send(Side::Zero));
    pair
}

#[test]
fn a_signalled_stream_sender_below_sndbuf_queues_skbs_until_it_would_sleep_again() {
    let mut pair = sender_asleep_below_sndbuf();
    // One 36544-byte skb (truesize 37120) takes the charge to 222720,
    // above SO_SNDBUF: there it would sleep, so there it sees the signal.
    assert_eq!(
        quiet(pair.send_when_signalled(&k(), Side::Zero, 300_000, 219_264)),
        Progress::Blocked { so_far: 255_808 }
    );
    assert_eq!(pair.outq(Side::Zero), 222_720);
    assert_eq!(pair.inq(Side::One), 185_808);
}

#[test]
fn a_signalled_stream_sender_at_its_sndbuf_moves_nothing() {
    let mut pair = stream_pair();
    assert_eq!(
        quiet(pair.send(&k(), Side::Zero, 300_000, false)),
        Progress::Blocked { so_far: 219_264 }
    );
    let charge = pair.outq(Side::Zero);
    assert_eq!(
        quiet(pair.send_when_signalled(&k(), Side::Zero, 300_000, 219_264)),
        Progress::Blocked { so_far: 219_264 }
    );
    assert_eq!(pair.outq(Side::Zero), charge);
    assert_eq!(pair.inq(Side::One), 219_264);
}

#[test]
fn a_signalled_stream_sender_under_a_raised_sndbuf_sends_everything() {
    let mut pair = stream_pair();
    assert_eq!(
        quiet(pair.send(&k(), Side::Zero, 300_000, false)),
        Progress::Blocked { so_far: 219_264 }
    );
    pair.set_sndbuf(&k(), Side::Zero, 212_992).unwrap();
    assert!(!pair.can_resume_send(Side::Zero));
    assert_eq!(
        quiet(pair.send_when_signalled(&k(), Side::Zero, 300_000, 219_264)),
        Progress::Done(300_000)
    );
    assert_eq!(pair.inq(Side::One), 300_000);
}

#[test]
fn a_signalled_datagram_sender_below_sndbuf_sends_its_datagram() {
    let mut pair = dgram_pair();
    for _ in 0..4 {
        assert_eq!(
            quiet(pair.send(&k(), Side::Zero, 60_000, true)),
            Progress::Done(60_000)
        );
    }
    assert_eq!(pair.outq(Side::Zero), 4 * 61_696);
    assert_eq!(
        quiet(pair.send(&k(), Side::Zero, 60_000, false)),
        Progress::Blocked { so_far: 0 }
    );
    assert_eq!(
        pair.recv(&k(), Side::One, 60_000, true),
        Progress::Done(60_000)
    );
    assert!(!pair.can_resume_send(Side::Zero));
    assert_eq!(
        quiet(pair.send_when_signalled(&k(), Side::Zero, 60_000, 0)),
        Progress::Done(60_000)
    );
    assert_eq!(pair.outq(Side::Zero), 4 * 61_696);
}

#[test]
fn a_signalled_sender_at_the_shutdown_gets_epipe_and_no_sigpipe() {
    // sock_alloc_send_pskb's own EPIPE: unix_stream_sendmsg sends SIGPIPE
    // only from its first test and from out_pipe.
    let mut pair = stream_pair();
    assert_eq!(
        quiet(pair.send(&k(), Side::Zero, 300_000, false)),
        Progress::Blocked { so_far: 219_264 }
    );
    pair.shutdown(Side::Zero, How::Write).unwrap();
    let outcome = pair.send_when_signalled(&k(), Side::Zero, 300_000, 219_264);
    assert_eq!(outcome.progress, Progress::Done(219_264));
    assert!(!outcome.sigpipe);
}

#[test]
fn a_restarted_send_is_admitted_below_sndbuf_with_an_skb_sized_afresh() {
    // SO_SNDBUF 4608: skbs of (4608 >> 1) - 64 = 2240 bytes, charged 4352.
    let mut pair = stream_pair();
    pair.set_sndbuf(&k(), Side::Zero, 2304).unwrap();
    assert_eq!(
        quiet(pair.send(&k(), Side::Zero, 4480, true)),
        Progress::Done(4480)
    );
    assert_eq!(
        quiet(pair.send(&k(), Side::Zero, 100_000, false)),
        Progress::Blocked { so_far: 0 }
    );
    // Interrupted, then SO_SNDBUF raised to 17280 (not enough to wake a
    // sleeper: 4 * (8704 + 1) > 17280) while the sender is stopped.
    pair.set_sndbuf(&k(), Side::Zero, 8640).unwrap();
    assert!(!pair.can_resume_send(Side::Zero));
    // Started again, its first skb is (17280 >> 1) - 64 = 8576 bytes.
    let outcome = pair.restart_send(&k(), Side::Zero, 100_000);
    assert_eq!(outcome.progress, Progress::Blocked { so_far: 8576 });
    assert_eq!(pair.inq(Side::One), 4480 + 8576);
}

#[test]
fn a_restarted_send_on_a_shut_down_socket_fails_epipe_with_sigpipe() {
    let mut pair = stream_pair();
    assert_eq!(
        quiet(pair.send(&k(), Side::Zero, 300_000, true)),
        Progress::Done(219_264)
    );
    assert_eq!(
        quiet(pair.send(&k(), Side::Zero, 1000, false)),
        Progress::Blocked { so_far: 0 }
    );
    pair.shutdown(Side::Zero, How::Write).unwrap();
    let outcome = pair.restart_send(&k(), Side::Zero, 1000);
    assert_eq!(outcome.progress, Progress::Failed(Errno::EPIPE));
    assert!(outcome.sigpipe);
}

proptest! {
    /// Whatever a sleeping stream sender went through, a signal lets it
    /// queue bytes exactly when its charge is below SO_SNDBUF, and it stops
    /// where its charge reaches SO_SNDBUF again or its data runs out.
    #[test]
    fn a_signalled_sender_moves_bytes_exactly_when_its_charge_is_below_sndbuf(
        sndbuf in 2304i32..200_000,
        len in 1u64..2_000_000,
        read in 0u64..400_000,
        raised in proptest::option::of(2304i32..400_000),
    ) {
        let mut pair = stream_pair();
        pair.set_sndbuf(&k(), Side::Zero, sndbuf).unwrap();
        let Progress::Blocked { so_far } = quiet(pair.send(&k(), Side::Zero, len, false)) else {
            return Ok(());
        };
        pair.recv(&k(), Side::One, read, true);
        if let Some(v) = raised {
            pair.set_sndbuf(&k(), Side::Zero, v).unwrap();
        }
        if pair.can_resume_send(Side::Zero) {
            return Ok(());
        }
        let below = pair.outq(Side::Zero) < u64::from(pair.socket(Side::Zero).sndbuf());
        let queued = pair.inq(Side::One);
        let progress = quiet(pair.send_when_signalled(&k(), Side::Zero, len, so_far));
        let moved = pair.inq(Side::One) - queued;
        match progress {
            Progress::Blocked { so_far: now } => {
                prop_assert_eq!(now - so_far, moved);
                prop_assert!(pair.outq(Side::Zero) >= u64::from(pair.socket(Side::Zero).sndbuf()));
            }
            Progress::Done(n) => {
                prop_assert_eq!(n, len);
                prop_assert_eq!(n - so_far, moved);
            }
            Progress::Failed(e) => prop_assert!(false, "unexpected {e}"),
        }
        prop_assert_eq!(moved > 0, below);
    }
}

// ------------------------------------------------------ the fd limit

/// Every end's open count equals the fds that refer to it, over every
/// process: an fd table never holds an end the object does not count,
/// nor the object a reference no fd holds.
fn open_counts_match_fd_tables(w: &crate::world::World) -> Result<(), String> {
    for (name, end) in w.ends() {
        let held = w
            .procs()
            .map(|p| p.fds.fds_of(end).count() as u32)
            .sum::<u32>();
        let counted = match end {
            EndRef::Pipe(id, PipeEnd::Read) => w.pipe(id).readers(),
            EndRef::Pipe(id, PipeEnd::Write) => w.pipe(id).writers(),
            EndRef::Sock(id, side) => w.socks(id).socket(side).files(),
        };
        if held != counted {
            return Err(format!("{name}: {held} fds hold it, {counted} counted"));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// With a small RLIMIT_NOFILE, random pipes, socketpairs, closes and
    /// forks by two processes: a pipe or socketpair fails with EMFILE
    /// exactly when fewer than two numbers below the limit are free, and
    /// then opens nothing (__do_pipe_flags, __sys_socketpair); no fd is
    /// ever at or above the limit; open counts match the fd tables.
    #[test]
    fn pipes_and_socketpairs_under_a_small_fd_limit_open_both_ends_or_neither(
        nofile in 3u32..12,
        ops in prop::collection::vec((0u8..4, any::<bool>(), any::<u8>()), 1..48),
    ) {
        let profile = KernelProfile { nofile, ..KernelProfile::default() };
        let mut text = String::from("process a\n");
        let mut objects: Vec<(String, [&str; 2])> = Vec::new();
        let mut forked = false;
        for (i, (op, by_b, pick)) in ops.into_iter().enumerate() {
            let actor = if by_b && forked { "b" } else { "a" };
            match op {
                0 => {
                    text.push_str(&format!("{actor}: pipe p{i}\n"));
                    objects.push((format!("p{i}"), ["r", "w"]));
                }
                1 => {
                    text.push_str(&format!("{actor}: socketpair s{i}\n"));
                    objects.push((format!("s{i}"), ["0", "1"]));
                }
                2 if !objects.is_empty() => {
                    let (name, ends) = &objects[pick as usize % objects.len()];
                    let end = ends[(pick as usize / objects.len()) % 2];
                    text.push_str(&format!("{actor}: close {name}.{end}\n"));
                }
                _ if !forked => {
                    text.push_str("a: fork b\n");
                    forked = true;
                }
                _ => {}
            }
        }
        let scenario = crate::scenario::parse(&text).expect("the scenario parses");
        let mut sim = crate::engine::Sim::with_profile(scenario, profile);
        let mut before = sim.current().clone();
        while let Some(step) = sim.step().expect("the scenario runs") {
            let line = step.pos.line as usize;
            let statement = text.lines().nth(line - 1).unwrap_or_default().to_string();
            let after = sim.current().clone();
            for p in after.procs() {
                for (fd, _) in p.fds.iter() {
                    prop_assert!(fd.0 >= 3 && fd.0 < nofile, "line {line}: fd {} of {}", fd.0, p.name);
                }
            }
            prop_assert_eq!(open_counts_match_fd_tables(&after), Ok(()), "line {}: {}", line, statement);
            let mut words = statement.split_whitespace();
            let actor = words.next().unwrap_or_default().trim_end_matches(':');
            let call = words.next().unwrap_or_default();
            if call == "pipe" || call == "socketpair" {
                let pid = after.pid_of(actor).expect("the actor exists");
                let free = before.proc(pid).fds.free_count(nofile);
                let got = after.observe().processes[actor]
                    .last_op
                    .as_ref()
                    .and_then(|op| op.result);
                if free >= 2 {
                    prop_assert_eq!(got, Some(crate::scenario::ast::OpResult::Value(0)), "line {}", line);
                    prop_assert_eq!(after.proc(pid).fds.len(), before.proc(pid).fds.len() + 2);
                } else {
                    prop_assert_eq!(got, Some(crate::scenario::ast::OpResult::Error(Errno::EMFILE)), "line {}", line);
                    prop_assert_eq!(&after.proc(pid).fds, &before.proc(pid).fds, "line {}: EMFILE opened something", line);
                }
            }
            before = after;
        }
    }
}
