//! Every fork/COW/exit, pipe, socketpair, fd and signal fact the model reproduces,
//! as a scenario in `tests/scenarios/facts/`, run through the model: each
//! must run without a scenario error, and every expect in it must hold.
//!
//! The list of files is spelled out here, and checked against the folder,
//! so that a fact cannot silently vanish (or appear untested).

use sim_core::engine::Sim;
use sim_core::scenario::ast::StatementKind;
use std::collections::BTreeSet;
use std::path::PathBuf;

fn facts_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/facts")
}

/// Run `tests/scenarios/facts/NAME.scn` and assert the fact holds in the
/// model: it parses, has a title, explains itself with `say`, pins the fact
/// with expects, runs without error, every expect holds, and the frame
/// counts agree with the page tables after every step.
fn assert_fact_holds(name: &str) {
    let path = facts_dir().join(format!("{name}.scn"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let scenario = sim_core::scenario::parse(&text)
        .unwrap_or_else(|e| panic!("{name}.scn does not parse: {e}"));
    assert!(
        scenario.title.as_deref().is_some_and(|t| !t.is_empty()),
        "{name}.scn has no title"
    );
    let says = scenario
        .statements
        .iter()
        .filter(|s| matches!(s.kind, StatementKind::Say { .. }))
        .count();
    let expects = scenario
        .statements
        .iter()
        .filter(|s| matches!(s.kind, StatementKind::Expect { .. }))
        .count();
    assert!(
        says > 0,
        "{name}.scn explains nothing: it has no `say` line"
    );
    assert!(expects > 0, "{name}.scn pins nothing: it has no expect");

    let mut sim = Sim::new(scenario);
    loop {
        match sim.step() {
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(err) => panic!("{name}.scn stopped with an error: {err}"),
        }
        let index = sim.steps().len() as u32;
        let world = sim.world(index).expect("the world after a step is kept");
        if let Err(why) = world.check_frame_counts() {
            panic!("{name}.scn, after step {index}: {why}");
        }
    }
    assert!(sim.error().is_none());
    let checked: usize = sim.steps().iter().map(|s| s.expects.len()).sum();
    assert_eq!(
        checked, expects,
        "{name}.scn: every expect is checked at its step"
    );
    let failed: Vec<String> = sim
        .failed_expects()
        .map(|e| {
            format!(
                "line {}: {} -- but {}",
                e.pos.line,
                e.text,
                e.verdict.as_ref().err().map_or("", String::as_str)
            )
        })
        .collect();
    assert!(
        failed.is_empty(),
        "{name}.scn: the model disagrees with the kernel fact:\n{}",
        failed.join("\n")
    );
}

/// One test per fact file, and the list of all of them.
macro_rules! facts {
    ($($test:ident => $file:literal,)*) => {
        const FACT_FILES: &[&str] = &[$($file),*];
        $(
            #[test]
            fn $test() {
                assert_fact_holds($file);
            }
        )*
    };
}

facts! {
    fork_shares_frames_read_only_with_neither_side_exclusive => "fork-shares-frames-read-only",
    reading_a_shared_page_costs_no_fault => "reading-a-shared-page-costs-no-fault",
    the_childs_first_write_copies_and_leaves_the_parent_exclusive => "first-write-by-the-child-copies",
    the_parents_first_write_copies_and_leaves_the_child_exclusive => "first-write-by-the-parent-copies",
    a_write_after_the_other_side_copied_reuses_the_frame => "write-after-the-other-side-copied-reuses-the-frame",
    a_write_after_the_other_side_exited_reuses_the_frame => "write-after-the-other-side-exited-reuses-the-frame",
    a_write_after_the_other_side_was_reaped_reuses_the_frame => "write-after-the-other-side-was-reaped-reuses-the-frame",
    untouched_pages_are_absent_in_both_after_fork => "untouched-pages-are-absent-after-fork",
    a_first_write_to_an_untouched_page_zero_fills_a_fresh_frame => "first-write-to-an-untouched-page-zero-fills",
    a_first_read_maps_the_zero_page_and_a_later_write_faults_again => "first-read-maps-the-zero-page-then-a-write-faults-again",
    fork_skips_a_private_mapping_that_was_only_read => "fork-skips-a-private-mapping-that-was-only-read",
    fork_copies_the_zero_page_entries_of_a_written_mapping => "fork-copies-zero-page-entries-of-a-written-mapping",
    fork_copies_no_entries_of_a_shared_mapping => "fork-copies-no-entries-of-a-shared-mapping",
    a_shared_mapping_never_maps_the_zero_page => "a-shared-mapping-never-maps-the-zero-page",
    a_read_fault_maps_the_existing_neighbours_of_its_block => "a-read-fault-maps-the-existing-neighbours",
    exec_releases_the_address_space => "exec-releases-the-address-space",
    exit_releases_the_address_space => "exit-releases-the-address-space",
    exit_300_is_reported_as_44 => "exit-300-is-reported-as-44",
    a_child_is_a_zombie_until_its_parent_waits => "a-child-is-a-zombie-until-its-parent-waits",
    orphans_are_adopted_by_init => "orphans-are-adopted-by-init",
    a_pipe_holds_sixteen_page_slots_of_65536_bytes => "pipe-capacity-is-sixteen-page-slots",
    setting_a_pipe_size_rounds_up_to_a_power_of_two_pages => "pipe-size-rounds-up-to-a-power-of-two-pages",
    shrinking_a_pipe_below_what_it_holds_fails_with_ebusy => "pipe-shrinking-below-what-is-queued-fails-ebusy",
    a_pipe_above_pipe_max_size_fails_with_eperm => "pipe-size-above-pipe-max-size-fails-eperm",
    hundred_byte_writes_fill_a_pipe_with_only_64000_bytes => "pipe-hundred-byte-writes-fill-64000-bytes",
    one_byte_writes_fill_a_pipe_with_65536_bytes => "pipe-one-byte-writes-fill-65536-bytes",
    pipe_writes_of_at_most_pipe_buf_bytes_are_all_or_nothing => "pipe-small-writes-are-all-or-nothing",
    nonblocking_pipe_writes_above_pipe_buf_may_be_partial => "pipe-large-nonblocking-writes-may-be-partial",
    a_full_pipe_frees_space_a_whole_slot_at_a_time => "pipe-space-frees-a-whole-slot-at-a-time",
    a_blocking_writer_sleeps_until_a_reader_frees_a_slot => "pipe-a-blocking-writer-sleeps-until-a-slot-is-free",
    a_pipe_reader_sleeps_until_data_arrives => "pipe-a-reader-sleeps-until-data-arrives",
    reading_a_pipe_with_no_writer_left_returns_end_of_file => "pipe-reading-with-no-writer-left-returns-eof",
    writing_a_pipe_with_no_reader_left_raises_sigpipe_and_fails_with_epipe => "pipe-writing-with-no-reader-left-raises-sigpipe",
    a_writer_asleep_on_a_full_pipe_dies_of_sigpipe_when_the_reader_goes => "pipe-a-sleeping-writer-dies-of-sigpipe-when-the-reader-goes",
    readers_asleep_on_one_pipe_read_in_the_order_they_slept => "pipe-sleeping-readers-read-in-the-order-they-slept",
    a_pipe_or_socketpair_with_one_free_fd_left_fails_with_emfile_and_opens_nothing => "pipe-or-socketpair-at-the-fd-limit-fails-with-emfile-and-opens-nothing",
    a_nonblocking_sender_of_one_byte_messages_is_refused_after_278_sends => "sock-one-byte-sends-are-refused-after-278",
    a_hundred_byte_stream_send_costs_768_like_a_one_byte_send => "sock-hundred-byte-sends-cost-768-too",
    setting_so_sndbuf_stores_double_the_value => "sock-sndbuf-stores-double-the-value",
    so_sndbuf_has_a_floor => "sock-sndbuf-has-a-floor",
    data_arriving_on_a_blocked_senders_socket_wakes_it => "sock-data-arriving-wakes-a-blocked-sender",
    readers_asleep_on_one_datagram_socket_take_turns_in_the_order_they_slept => "sock-sleeping-datagram-readers-take-turns-in-the-order-they-slept",
    an_oversized_datagram_fails_with_emsgsize_even_without_a_peer => "sock-an-oversized-datagram-fails-emsgsize-even-without-a-peer",
    fionread_on_a_stream_socket_counts_every_queued_byte => "sock-fionread-counts-all-queued-stream-bytes",
    fionread_on_a_datagram_socket_counts_only_the_first_datagram => "sock-fionread-counts-only-the-first-datagram",
    a_datagram_larger_than_the_send_buffer_fails_with_emsgsize => "sock-an-oversized-datagram-fails-emsgsize",
    f_setpipe_sz_wakes_the_first_writer_which_sleeps_again_at_the_back => "pipe-resizing-wakes-the-first-writer-which-sleeps-again-at-the-back",
    growing_a_full_pipe_lets_its_sleeping_writers_write => "pipe-growing-a-full-pipe-lets-its-sleeping-writers-write",
    f_setpipe_sz_reads_its_int_as_unsigned => "pipe-size-is-an-int-read-as-unsigned",
    so_sndbuf_wakes_a_sender_that_the_reader_left_asleep => "sock-setting-sndbuf-wakes-a-sender-that-a-reader-left-asleep",
    a_woken_sender_sends_the_skb_it_sized_before_sleeping => "sock-a-woken-sender-sends-the-skb-it-sized-before-sleeping",
    a_negative_so_sndbuf_means_wmem_max => "sock-a-negative-sndbuf-means-wmem-max",
    a_signal_lets_a_half_drained_sender_queue_one_more_skb_before_send_returns => "sock-a-signal-lets-a-half-drained-sender-queue-one-more-skb-before-send-returns",
    a_signal_lets_a_sender_that_moved_nothing_send_instead_of_restarting => "sock-a-signal-lets-a-sender-that-moved-nothing-send-instead-of-restarting",
    a_signal_lets_a_sleeping_datagram_sender_send_its_datagram => "sock-a-signal-lets-a-sleeping-datagram-sender-send-its-datagram",
    a_fatal_signal_lets_a_sleeping_sender_fill_a_raised_sndbuf_before_it_dies => "sock-a-fatal-signal-lets-a-sleeping-sender-fill-a-raised-sndbuf-before-it-dies",
    even_sigkill_lets_a_sleeping_sender_fill_a_raised_sndbuf_before_it_dies => "sock-even-sigkill-lets-a-sleeping-sender-fill-a-raised-sndbuf-before-it-dies",
    sigstop_lets_a_half_drained_sender_queue_one_more_skb_before_it_stops => "sock-sigstop-lets-a-half-drained-sender-queue-one-more-skb-before-it-stops",
    a_send_restarted_after_sigcont_is_admitted_below_sndbuf => "sock-a-send-restarted-after-sigcont-is-admitted-below-sndbuf",
    a_send_restarted_after_sigcont_on_a_closed_peer_fails_epipe_with_sigpipe => "sock-a-send-restarted-after-sigcont-on-a-closed-peer-fails-epipe-with-sigpipe",
    mmap_of_zero_pages_fails_with_einval => "mmap-of-zero-pages-fails-einval",
    standard_signals_sent_while_blocked_coalesce_into_one => "signal-standard-signals-coalesce",
    ten_child_exits_while_sigchld_is_blocked_leave_one_sigchld_and_ten_zombies => "signal-ten-child-exits-leave-one-sigchld-and-ten-zombies",
    real_time_signals_sent_while_blocked_queue_every_instance => "signal-realtime-signals-queue",
    with_sigchld_ignored_a_child_is_reaped_at_once_and_wait_fails_with_echild => "signal-sigchld-ignored-reaps-at-once",
    with_sa_nocldwait_a_child_is_reaped_at_once_and_wait_fails_with_echild => "signal-sa-nocldwait-reaps-at-once",
    wait_reports_an_exit_code_and_a_killing_signal => "signal-wait-reports-exit-codes-and-signals",
    a_continued_child_dies_of_a_pending_signal_before_its_parent_hears => "signal-a-continued-child-dies-of-a-pending-signal-first",
    exec_keeps_the_mask_and_a_pending_sigpipe => "signal-a-blocked-pending-sigpipe-survives-exec",
    a_writes_sigpipe_and_a_kills_are_pending_in_two_queues => "signal-sigpipe-can-be-pending-twice-once-per-queue",
    a_streams_sigpipe_is_the_threads_own_too => "sock-a-send-raises-sigpipe-in-the-threads-own-queue",
    the_threads_own_queue_is_dequeued_first => "signal-the-threads-own-queue-is-dequeued-first",
    sig_ign_discards_a_signal_from_both_queues => "signal-sig-ign-discards-a-signal-pending-in-both-queues",
    exec_keeps_both_pending_queues => "signal-exec-keeps-both-pending-queues",
    a_parent_ignoring_sigchld_is_not_told_of_a_stop => "signal-a-parent-ignoring-sigchld-is-not-told-of-a-stop",
    sigstop_ends_a_pipe_write_that_moved_bytes_with_its_partial_count => "signal-sigstop-ends-a-blocking-write-with-its-partial-count",
    sigstop_ends_a_stream_send_that_moved_bytes_with_its_partial_count => "sock-sigstop-ends-a-blocking-send-with-its-partial-count",
    a_fatal_signal_pending_with_a_handled_one_kills_before_the_handler_runs => "signal-a-pending-fatal-signal-kills-before-a-handler-runs",
    two_handled_signals_pending_together_both_run => "signal-two-handled-signals-pending-together-both-run",
    a_stop_after_a_handler_frame_delays_the_handler_until_sigcont => "signal-a-stop-taken-after-a-handler-frame-delays-the-handler",
    handlers_waiting_in_a_stopped_process_run_after_sigcont => "signal-handlers-waiting-in-a-stopped-process-run-after-sigcont",
    sigkill_kills_a_stopped_process_before_its_other_pending_signals => "signal-sigkill-kills-a-stopped-process-before-its-other-pending-signals",
    sigkill_to_a_stopped_reader_reads_nothing => "signal-sigkill-to-a-stopped-reader-reads-nothing",
    a_continued_process_takes_its_signals_before_its_call_starts_again => "signal-a-continued-process-takes-its-signals-before-its-call-starts-again",
    sigsegv_sent_by_kill_kills_a_sleeping_reader => "signal-sigsegv-sent-by-kill-kills-a-sleeping-reader",
    exec_starts_handler_counts_from_zero => "signal-exec-starts-handler-counts-from-zero",
    sigpoll_is_another_name_for_sigio => "signal-sigpoll-is-sigio",
    exec_closes_the_close_on_exec_fds_only_and_fork_copies_the_flag => "fd-exec-closes-close-on-exec-fds-and-fork-copies-the-flag",
    a_reader_asleep_on_a_close_on_exec_pipe_reads_eof_when_the_last_writer_execs => "fd-a-reader-asleep-on-a-close-on-exec-pipe-sees-eof-when-the-writer-execs",
    an_exec_that_closes_the_last_fd_of_an_end_has_every_effect_of_a_close => "fd-an-exec-closing-the-last-end-has-every-effect-of-a-close",
    wait_with_wnohang_returns_0_the_pid_or_echild_and_never_sleeps => "wait-nohang-returns-0-the-pid-or-echild",
    a_full_mask_handler_holds_a_pending_fatal_signal_off_until_it_returns => "signal-a-full-mask-handler-holds-a-pending-fatal-signal-off-until-it-returns",
    threads_end_at_exec_and_a_fork_child_has_only_one => "threads-end-at-exec-and-a-fork-child-has-one",
    orphans_go_to_the_nearest_living_subreaper_and_keep_their_children => "orphans-go-to-the-nearest-subreaper",
}

#[test]
fn the_fact_files_are_exactly_the_ones_this_test_runs() {
    let on_disk: BTreeSet<String> = std::fs::read_dir(facts_dir())
        .expect("tests/scenarios/facts exists")
        .map(|entry| entry.expect("a readable directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "scn"))
        .map(|path| {
            path.file_stem()
                .expect("a .scn file has a stem")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let listed: BTreeSet<String> = FACT_FILES.iter().map(|s| s.to_string()).collect();
    assert_eq!(listed.len(), FACT_FILES.len(), "a fact is listed twice");
    assert_eq!(
        on_disk, listed,
        "tests/scenarios/facts/*.scn and the list in kernel_facts.rs differ"
    );
}
