//! The Pipes and sockets view's layout on real runs of the model.
use super::*;
use sim_core::engine::Sim;

fn run(text: &str) -> Sim {
    let mut sim = Sim::from_source(text).expect("the test scenario parses");
    sim.run_to_end().expect("the test scenario runs");
    sim
}

/// The channels after the `nth` step (1-based) whose source is `source`.
fn at(sim: &Sim, source: &str, nth: usize) -> Vec<Channel> {
    let step = sim
        .steps()
        .iter()
        .enumerate()
        .filter(|(_, s)| s.source == source)
        .nth(nth - 1)
        .expect("the step is in the scenario")
        .0 as u32
        + 1;
    channels(sim.world(step).unwrap(), sim.world(step - 1), 4096)
}

const PIPE: &str = "process w\nw: pipe x\nw: fork r\nw: send x.w 65536 nonblock\nw: send x.w 100\nr: recv x.r 100\nr: recv x.r 3996\n";

#[test]
fn a_full_pipe_is_sixteen_full_slots_with_its_sleeping_writer_at_the_write_end() {
    let sim = run(PIPE);
    let c = at(&sim, "w: send x.w 100", 1);
    assert_eq!(c.len(), 1);
    assert_eq!(
        (c[0].name.as_str(), c[0].kind, c[0].slots),
        ("x", "pipe", Some((16, 4096)))
    );
    let lane = &c[0].lanes[0];
    assert_eq!((lane.from.as_str(), lane.to.as_str()), ("x.w", "x.r"));
    assert_eq!(lane.items.len(), 16);
    assert!(lane
        .items
        .iter()
        .all(|i| i.unread == 4096 && i.read == 0 && i.cost == 4096));
    assert_eq!(lane.free_slots, 0);
    assert_eq!(lane.queued, 65536);
    assert_eq!(lane.writers.len(), 1);
    assert_eq!(lane.writers[0].name, "w");
    assert_eq!(lane.writers[0].doing, "write 100 bytes");
    assert!(lane.readers.is_empty());
    assert_eq!(lane.files, (2, 2), "fork gave the child both ends too");
    assert!(!lane.changed(), "a write that sleeps queues nothing");
}

#[test]
fn a_partial_read_changes_only_the_first_slot_and_shows_its_offset() {
    let sim = run(PIPE);
    let c = at(&sim, "r: recv x.r 100", 1);
    let lane = &c[0].lanes[0];
    assert_eq!((lane.items[0].read, lane.items[0].unread), (100, 3996));
    assert!(lane.items[0].changed);
    assert!(lane.items[1..].iter().all(|i| !i.changed));
    assert_eq!((lane.queued, lane.queued_before), (65436, Some(65536)));
    assert!(lane.changed());
}

#[test]
fn draining_a_slot_lets_the_sleeping_writer_add_a_new_slot_at_the_back() {
    let sim = run(PIPE);
    let c = at(&sim, "r: recv x.r 3996", 1);
    let lane = &c[0].lanes[0];
    assert!(lane.writers.is_empty(), "the writer woke");
    assert_eq!(lane.items.len(), 16);
    assert_eq!(lane.items[15].unread, 100);
    assert!(lane.items[15].changed);
    assert!(lane.items[..15].iter().all(|i| !i.changed));
    assert_eq!(lane.queued, 61540);
}

#[test]
fn an_empty_pipe_draws_its_free_slots_and_a_sleeping_reader_at_the_read_end() {
    let sim = run("process a\na: pipe p\na: fork b\nb: recv p.r 10\n");
    let c = at(&sim, "b: recv p.r 10", 1);
    let lane = &c[0].lanes[0];
    assert!(lane.items.is_empty());
    assert_eq!(lane.free_slots, 16);
    assert_eq!(lane.readers.len(), 1);
    assert_eq!(lane.readers[0].doing, "read up to 10 bytes");
    let text = summary(&c).join("\n");
    assert!(text.contains("pipe p.w → p.r: 0 bytes queued, 0 of 16 slots in use; b sleeps to read up to 10 bytes."), "{text}");
}

#[test]
fn a_socketpair_has_two_lanes_each_charging_its_sender() {
    let sim = run("process a\na: socketpair s\na: send s.0 1 nonblock\na: send s.0 1 nonblock\n");
    let first = at(&sim, "a: socketpair s", 1);
    assert!(first[0].new);
    let c = at(&sim, "a: send s.0 1 nonblock", 2);
    assert_eq!(c[0].kind, "stream socketpair");
    assert_eq!(c[0].lanes.len(), 2);
    let there = &c[0].lanes[0];
    assert_eq!((there.from.as_str(), there.to.as_str()), ("s.0", "s.1"));
    assert_eq!(there.items.len(), 2);
    assert!(there.items.iter().all(|i| i.unread == 1 && i.cost == 768));
    assert_eq!(
        (there.items[0].changed, there.items[1].changed),
        (false, true)
    );
    assert_eq!(there.charge, Some((1536, 212992)));
    let back = &c[0].lanes[1];
    assert_eq!(
        (back.from.as_str(), back.items.len(), back.charge),
        ("s.1", 0, Some((0, 212992)))
    );
    let text = summary(&c).join("\n");
    assert!(text.contains("stream socketpair s.0 → s.1: 2 bytes queued (was 1), 2 skbs, 1536 of SO_SNDBUF 212992 charged to s.0."), "{text}");
}

#[test]
fn a_long_queue_is_cut_at_sixteen_with_the_rest_counted() {
    let mut text = String::from("process a\na: socketpair s\n");
    for _ in 0..20 {
        text.push_str("a: send s.0 3 nonblock\n");
    }
    let sim = run(&text);
    let c = at(&sim, "a: send s.0 3 nonblock", 20);
    let lane = &c[0].lanes[0];
    assert_eq!(lane.items.len(), MAX_ITEMS);
    // The oldest 8 and the newest 8 are drawn, the 4 between counted; the
    // skb this step added is among those drawn.
    assert_eq!((lane.more, lane.gap), ((4, 12), 8));
    assert!(lane.items[15].changed);
    assert!(lane.items[..15].iter().all(|i| !i.changed));
    assert_eq!(lane.queued, 60);
}

#[test]
fn a_stream_sender_asleep_on_a_full_buffer_waits_at_its_own_end() {
    let sim = run("process a\na: socketpair s\na: fork b\nb: send s.0 300000\n");
    let c = at(&sim, "b: send s.0 300000", 1);
    let lane = &c[0].lanes[0];
    assert_eq!(lane.writers.len(), 1);
    assert_eq!(lane.writers[0].name, "b");
    assert!(
        lane.writers[0].doing.starts_with("write 300000 bytes ("),
        "{:?}",
        lane.writers[0]
    );
    let (charged, sndbuf) = lane.charge.unwrap();
    assert!(
        charged >= u64::from(sndbuf),
        "asleep because the charge reached SO_SNDBUF"
    );
    assert!(c[0].lanes[1].writers.is_empty());
}
