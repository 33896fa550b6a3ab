//! A consistent reading of the page tables of a run: each page's frame
//! number from /proc/PID/pagemap together with that frame's map count from
//! /proc/kpagecount, read while the kernel moves pages under us.
//!
//! The race (named `PageMovedBetweenReads`): the two files cannot be read
//! at one instant. While the workers sit idle between steps, the kernel
//! still migrates their pages: compaction (kcompactd, or any process's
//! direct compaction when it wants a huge page), NUMA balancing, memory
//! offlining. migrate_pages replaces every page-table entry of the old
//! frame by a migration entry (try_to_migrate), copies, then points them
//! all at the new frame (remove_migration_ptes) and frees the old one. A
//! frame number read before that is stale by the time its count is read:
//! the count is 0 (the frame is free), or 1 of 2 (half unmapped), or
//! another page's; and a page read during it shows a migration entry
//! (pagemap bit 62, not present) that is not "absent". Under load (a
//! process faulting in huge pages beside a 1 GiB run) dozens of a
//! region's pages move within one observation.
//!
//! The protocol, a seqlock with the page table as the sequence: read every
//! page's entry; read the counts of their frames; read the entries again.
//! A page whose entry is the same in both reads, present with a count of
//! at least 1, was on that frame the whole time its count was read (a
//! frame that migration left is never the target of the next one while we
//! look: a migration target is a free frame, and a page leaving X and
//! coming back to X between two reads a few milliseconds apart is not a
//! case we guard against). A page whose entry changed, that is mid-
//! migration, or whose count is 0 is read again, with every page that
//! shares its old or new frame (that frame's count changed), and only
//! those, until two reads agree, at most `ROUNDS` times. Migration moves
//! all of a frame's mappers together and never onto a frame in use, so a
//! frame's group can be re-read alone. A page that never gives two
//! agreeing reads is *unsettled*: `check` reports it as not judged, never
//! as a difference and never as an agreement.

use crate::check::probe::PageEntry;
use std::collections::{BTreeSet, HashMap};

/// Reads of a moving page before it is given up as unsettled. A migration
/// takes microseconds; a round, a few milliseconds (plus the pause below).
pub const ROUNDS: u32 = 12;

/// Why an unsettled page was not judged (the race's name, for a person).
pub const UNSETTLED: &str =
    "the kernel moved the page (migration) while it was read, so its frame cannot be told";

/// Pages that gave no consistent reading: (process, region, page).
pub type Unsettled = BTreeSet<(String, String, u32)>;

/// A page: (region index in the list given, page index).
pub type PageId = (usize, u32);

/// One consistent reading.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// Each region's entries, as in the last agreeing read.
    pub entries: Vec<Vec<PageEntry>>,
    /// The map count of every present frame of `entries` (the zero page's
    /// too, if asked).
    pub counts: HashMap<u64, u64>,
    /// Pages whose reads never agreed: their entries and counts mean nothing.
    pub unsettled: BTreeSet<PageId>,
    /// Rounds of re-reading it took (0: the second read agreed everywhere).
    pub rounds: u32,
}

/// Whether an entry is in the middle of a move: not present but holding a
/// swap-format entry (bit 62), which in an anonymous region of a run is a
/// migration entry (or a page being swapped out).
fn in_flight(e: PageEntry) -> bool {
    !e.present() && e.0 >> 62 & 1 == 1
}

/// Read `sizes.len()` regions consistently. `read(region, first, n)` reads
/// `n` pagemap entries of a region from page `first` (an error reads as an
/// empty region, as before: the process is gone); `count(frames)` reads
/// their map counts in order; `zero` is the zero page's PFN, whose count is
/// not wanted; `pause(round)` waits a little before a re-read.
pub fn read(
    sizes: &[u32],
    zero: u64,
    mut read: impl FnMut(usize, u32, u32) -> Option<Vec<PageEntry>>,
    mut count: impl FnMut(&[u64]) -> Vec<u64>,
    mut pause: impl FnMut(u32),
) -> Snapshot {
    let mut s = Snapshot {
        entries: sizes
            .iter()
            .enumerate()
            .map(|(r, &n)| read(r, 0, n).unwrap_or_default())
            .collect(),
        ..Snapshot::default()
    };
    let frame = |e: PageEntry| (e.present() && e.pfn() != zero).then_some(e.pfn());
    let mut count_into = |frames: &[u64], counts: &mut HashMap<u64, u64>| {
        counts.extend(frames.iter().copied().zip(count(frames)));
    };
    let all: Vec<u64> = s
        .entries
        .iter()
        .flatten()
        .filter_map(|&e| frame(e))
        .collect();
    count_into(&all, &mut s.counts);
    // The pages to read again, and check against what we hold: at first
    // every page (round 0 reads whole regions), then only those that moved.
    let mut suspects: BTreeSet<PageId> = BTreeSet::new();
    for round in 0..=ROUNDS {
        let again: Vec<(PageId, Option<PageEntry>)> = if round == 0 {
            // A frame counted 0 marks its pages moved even if their entries
            // did not change.
            let none_zero = !s.counts.values().any(|&n| n == 0);
            let sizes: Vec<u32> = s.entries.iter().map(|pages| pages.len() as u32).collect();
            let mut out = Vec::new();
            for (r, n) in sizes.into_iter().enumerate() {
                match read(r, 0, n).filter(|v| v.len() == n as usize) {
                    // The common case, a page table that did not change.
                    Some(v)
                        if v == s.entries[r] && none_zero && !v.iter().any(|&e| in_flight(e)) => {}
                    now => {
                        out.extend((0..n).map(|i| ((r, i), now.as_ref().map(|v| v[i as usize]))))
                    }
                }
            }
            out
        } else {
            suspects
                .iter()
                .copied()
                .zip(read_pages(&suspects, &mut read))
                .collect()
        };
        let mut moved: Vec<(PageId, PageEntry)> = Vec::new();
        for ((r, i), now) in again {
            let held = s.entries[r][i as usize];
            let zero_count = frame(held).is_some_and(|f| s.counts.get(&f) == Some(&0));
            match now {
                Some(now) if now == held && !in_flight(held) && !zero_count => {}
                // Gone between two reads (the region could not be read):
                // keep what we hold, and try again.
                None => moved.push(((r, i), held)),
                Some(now) => moved.push(((r, i), now)),
            }
        }
        s.rounds = round;
        if moved.is_empty() {
            suspects.clear();
            break;
        }
        if round == ROUNDS {
            s.unsettled = moved.iter().map(|m| m.0).collect();
            // The pages on the frames they left or reached hold counts
            // that may be stale too.
            let touched: BTreeSet<u64> = moved
                .iter()
                .flat_map(|&((r, i), now)| [frame(s.entries[r][i as usize]), frame(now)])
                .flatten()
                .collect();
            s.unsettled.extend(pages_on(&s.entries, &touched, frame));
            break;
        }
        let mut touched: BTreeSet<u64> = BTreeSet::new();
        for &((r, i), now) in &moved {
            touched.extend(frame(s.entries[r][i as usize]));
            touched.extend(frame(now));
            s.entries[r][i as usize] = now;
        }
        pause(round);
        count_into(
            &touched.iter().copied().collect::<Vec<u64>>(),
            &mut s.counts,
        );
        suspects = moved.iter().map(|m| m.0).collect();
        suspects.extend(pages_on(&s.entries, &touched, frame));
    }
    s
}

/// Every page whose entry maps one of `frames`.
fn pages_on(
    entries: &[Vec<PageEntry>],
    frames: &BTreeSet<u64>,
    frame: impl Fn(PageEntry) -> Option<u64>,
) -> Vec<PageId> {
    if frames.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (r, pages) in entries.iter().enumerate() {
        for (i, &e) in pages.iter().enumerate() {
            if frame(e).is_some_and(|f| frames.contains(&f)) {
                out.push((r, i as u32));
            }
        }
    }
    out
}

/// The entries of `pages` (sorted), a run of consecutive pages of a region
/// in one read; `None` for a page whose region could not be read.
fn read_pages(
    pages: &BTreeSet<PageId>,
    read: &mut impl FnMut(usize, u32, u32) -> Option<Vec<PageEntry>>,
) -> Vec<Option<PageEntry>> {
    let mut out = Vec::with_capacity(pages.len());
    let list: Vec<PageId> = pages.iter().copied().collect();
    let mut k = 0;
    while k < list.len() {
        let (r, first) = list[k];
        let mut n = 1;
        while list.get(k + n as usize) == Some(&(r, first + n)) {
            n += 1;
        }
        match read(r, first, n) {
            Some(v) if v.len() == n as usize => out.extend(v.into_iter().map(Some)),
            _ => out.extend((0..n).map(|_| None)),
        }
        k += n as usize;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    const PRESENT: u64 = 1 << 63;
    const SWAP: u64 = 1 << 62;

    /// A fake machine: two regions whose page i maps frame 100 + i in both
    /// (shared after a fork), with a count of 2; `moves` says, per read of
    /// a page table, which frames migrate just before it.
    struct Machine {
        /// frame -> its mappers' count.
        counts: BTreeMap<u64, u64>,
        /// (region, page) -> entry.
        table: BTreeMap<PageId, u64>,
        reads: u32,
    }

    impl Machine {
        fn new(pages: u32) -> Machine {
            let mut m = Machine {
                counts: BTreeMap::new(),
                table: BTreeMap::new(),
                reads: 0,
            };
            for i in 0..pages {
                m.counts.insert(100 + u64::from(i), 2);
                for r in 0..2 {
                    m.table.insert((r, i), PRESENT | (100 + u64::from(i)));
                }
            }
            m
        }
        /// Migrate frame `from` to `to`: both mappers at once.
        fn migrate(&mut self, from: u64, to: u64) {
            for e in self.table.values_mut() {
                if *e == PRESENT | from {
                    *e = PRESENT | to;
                }
            }
            let n = self.counts.remove(&from).unwrap_or(0);
            self.counts.insert(to, n);
        }
        /// Only the first mapper is unmapped (a migration entry): half done.
        fn half_migrate(&mut self, from: u64) {
            *self.table.get_mut(&(0, (from - 100) as u32)).unwrap() = SWAP | 7;
            *self.counts.get_mut(&from).unwrap() -= 1;
        }
    }

    fn run(m: &RefCell<Machine>, on_read: impl Fn(u32, &mut Machine)) -> Snapshot {
        read(
            &[4, 4],
            1,
            |r, first, n| {
                let mut m = m.borrow_mut();
                m.reads += 1;
                let k = m.reads;
                on_read(k, &mut m);
                Some(
                    (first..first + n)
                        .map(|i| PageEntry(m.table[&(r, i)]))
                        .collect(),
                )
            },
            |frames| {
                let m = m.borrow();
                frames
                    .iter()
                    .map(|f| m.counts.get(f).copied().unwrap_or(0))
                    .collect()
            },
            |_| {},
        )
    }

    #[test]
    fn a_still_machine_is_read_twice_and_nothing_more() {
        let m = RefCell::new(Machine::new(4));
        let s = run(&m, |_, _| {});
        assert_eq!(s.rounds, 0);
        assert!(s.unsettled.is_empty());
        assert_eq!(m.borrow().reads, 4, "two regions, each read twice");
        assert!(s.counts.values().all(|&n| n == 2));
    }

    #[test]
    fn a_page_migrated_between_the_reads_is_read_again_with_its_new_frame_and_count() {
        let m = RefCell::new(Machine::new(4));
        // After the first region's first read: frame 102 moves to 900.
        let s = run(&m, |k, m| {
            if k == 2 {
                m.migrate(102, 900);
            }
        });
        assert!(s.unsettled.is_empty());
        assert_eq!(s.entries[0][2].pfn(), 900);
        assert_eq!(s.entries[1][2].pfn(), 900);
        assert_eq!(s.counts[&900], 2);
        assert!(s.rounds >= 1);
    }

    #[test]
    fn a_page_caught_mid_migration_is_never_taken_for_absent_or_for_one_user() {
        let m = RefCell::new(Machine::new(4));
        // Half unmapped before the first read of region 0; finished later.
        let s = run(&m, |k, m| match k {
            1 => m.half_migrate(101),
            4 => {
                *m.table.get_mut(&(0, 1)).unwrap() = PRESENT | 901;
                *m.table.get_mut(&(1, 1)).unwrap() = PRESENT | 901;
                m.counts.remove(&101);
                m.counts.insert(901, 2);
            }
            _ => {}
        });
        assert!(s.unsettled.is_empty(), "{:?}", s.unsettled);
        assert_eq!(s.entries[0][1].pfn(), 901);
        assert_eq!(s.entries[1][1].pfn(), 901);
        assert_eq!(s.counts[&901], 2);
    }

    #[test]
    fn a_page_that_never_stops_moving_is_unsettled_with_its_sharers_and_nothing_else() {
        let m = RefCell::new(Machine::new(4));
        let s = run(&m, |k, m| {
            // Frame of page 3 moves before every read.
            let now = m.table[&(0, 3)] & ((1 << 55) - 1);
            m.migrate(now, 1000 + u64::from(k));
        });
        assert_eq!(s.rounds, ROUNDS);
        assert_eq!(s.unsettled, [(0, 3), (1, 3)].into());
        for i in 0..3 {
            assert_eq!(s.counts[&(100 + i)], 2);
        }
    }
}
