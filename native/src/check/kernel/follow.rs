//! Frames followed through migration from one step to the next
//! (`FrameMigratedBetweenSteps`, the other face of the race snapshot.rs
//! names): the kernel may migrate a page while the workers sit idle
//! between two steps, and a PFN that changed would read as "new frame"
//! (and break `frame same`), although the page never left its frame in
//! any sense a process or the model can tell.
//!
//! A migration moves every mapper of the old frame to one new frame at
//! once and frees the old one (migrate_pages: try_to_migrate, then
//! remove_migration_ptes). A copy on write never does that: the writer
//! gets the new frame and the others keep the old one (wp_page_copy), and
//! the last mapper reuses its frame (wp_can_reuse_anon_folio). So a frame
//! number seen for the first time, whose pages that were already mapped
//! all were on one frame that no page maps any more, is that frame moved:
//! it keeps that frame's identity. The observation carries identities,
//! not PFNs (they are opaque to the comparison anyway); an identity is the
//! PFN a frame had when first seen, or a fresh number past every PFN when
//! that one was taken. If two new frames claim one vanished frame (a copy
//! on write and a migration of the same page in one step), the one whose
//! pages are all in processes that took no fault in the step is the
//! moved one (a copy on write is the faulting process's own doing,
//! do_wp_page); if that does not single one out, which is the copy cannot
//! be told: their pages are unsettled.

use super::snapshot::Unsettled;
use sim_core::observe::{Observation, PageObs};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// Every page of `now`, with the process it is in and the same page in
/// `before` (None when it had no such page then).
fn pages_beside<'a>(
    before: &'a Observation,
    now: &'a Observation,
) -> impl Iterator<Item = (&'a str, &'a PageObs, Option<&'a PageObs>)> {
    now.processes.iter().flat_map(move |(name, p)| {
        let was = before.processes.get(name);
        p.regions.iter().flat_map(move |(region, pages)| {
            let prev = was.and_then(|q| q.regions.get(region));
            pages
                .iter()
                .enumerate()
                .map(move |(i, page)| (name.as_str(), page, prev.and_then(|v| v.get(i))))
        })
    })
}

/// Identities given to frames that could not keep their PFN: above any PFN
/// (pagemap has 55 bits for one).
const FRESH: u64 = 1 << 56;

/// The identities of the frames seen so far.
#[derive(Debug, Default)]
pub struct Frames {
    /// PFN now -> identity, for the frames whose identity is not their
    /// PFN (those that moved): usually none.
    ids: HashMap<u64, u64>,
    fresh: u64,
}

fn frame_of(p: &PageObs) -> Option<u64> {
    match p {
        PageObs::Frame { frame, .. } => Some(*frame),
        _ => None,
    }
}

/// What the pages of one frame seen now were on at the last step.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Was {
    /// None of them was mapped then (or they are new pages).
    Nothing,
    /// All that were mapped were on this identity.
    One(u64),
    /// They were on different frames.
    Many,
}

impl Frames {
    /// Rewrite the PFNs of `now` (the raw reading) as identities, given
    /// `before`, the last observation (already in identities). Returns the
    /// pages whose frame could not be told (to be not judged).
    /// `still`: the processes that took no fault in the step, so whose
    /// pages cannot have been copied on write.
    pub fn follow(
        &mut self,
        before: &Observation,
        now: &mut Observation,
        still: &BTreeSet<&str>,
    ) -> Unsettled {
        let unsettled = if self.nothing_moved(before, now) {
            Unsettled::new()
        } else {
            let (ids, unsettled) = self.identify(before, now, still);
            // Only the frames whose identity is not their PFN are kept.
            self.ids = ids.into_iter().filter(|(p, i)| p != i).collect();
            unsettled
        };
        if !self.ids.is_empty() {
            for p in now.processes.values_mut() {
                for page in p.regions.values_mut().flatten() {
                    if let PageObs::Frame { frame, .. } = page {
                        *frame = self.ids.get(frame).copied().unwrap_or(*frame);
                    }
                }
            }
        }
        unsettled
    }

    /// The common case, in one cheap pass: every page that was mapped is
    /// on the identity it had, and every other page is on a PFN no moved
    /// frame goes by.
    fn nothing_moved(&self, before: &Observation, now: &Observation) -> bool {
        let moved_away: HashSet<u64> = self.ids.values().copied().collect();
        pages_beside(before, now).all(|(_, page, prev)| {
            let Some(pfn) = frame_of(page) else {
                return true;
            };
            let id = self.ids.get(&pfn).copied().unwrap_or(pfn);
            match prev.and_then(frame_of) {
                Some(was) => was == id,
                None => id != pfn || !moved_away.contains(&pfn),
            }
        })
    }

    /// PFN -> identity for every frame of `now`, and the pages of frames
    /// that could not be told. O(pages), hashing: it runs on every page of
    /// a step where some page changed frame.
    fn identify(
        &mut self,
        before: &Observation,
        now: &Observation,
        still: &BTreeSet<&str>,
    ) -> (HashMap<u64, u64>, Unsettled) {
        let frame = frame_of;
        let mut was: HashMap<u64, Was> = HashMap::new();
        // Frames all of whose pages are in processes that took no fault.
        let mut quiet: HashMap<u64, bool> = HashMap::new();
        for (name, page, prev) in pages_beside(before, now) {
            let Some(pfn) = frame(page) else { continue };
            let old = prev.and_then(frame);
            *quiet.entry(pfn).or_insert(true) &= still.contains(name);
            let w = was.entry(pfn).or_insert(Was::Nothing);
            *w = match (*w, old) {
                (w, None) => w,
                (Was::Nothing, Some(id)) => Was::One(id),
                (Was::One(a), Some(b)) if a == b => Was::One(a),
                _ => Was::Many,
            };
        }
        // Identity -> the PFN it had at the last step: its own number,
        // unless it moved.
        let moved: HashMap<u64, u64> = self.ids.iter().map(|(&p, &i)| (i, p)).collect();
        let pfn_of = |id: u64| moved.get(&id).copied().unwrap_or(id);
        // A frame claims the identity its already-mapped pages all had.
        let mut claims: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
        let mut unclaimed: Vec<u64> = Vec::new();
        for (&pfn, w) in &was {
            match w {
                Was::One(id) => claims.entry(*id).or_default().push(pfn),
                _ => unclaimed.push(pfn),
            }
        }
        let mut ids: HashMap<u64, u64> = HashMap::with_capacity(was.len());
        let mut claimed: HashSet<u64> = HashSet::new();
        let mut torn: BTreeSet<u64> = BTreeSet::new();
        for (id, pfns) in claims {
            // The frame still at the identity's PFN stayed (the others are
            // copies); else one frame alone is the identity moved.
            match pfns.iter().find(|&&p| pfn_of(id) == p) {
                Some(&stayed) => {
                    ids.insert(stayed, id);
                    claimed.insert(id);
                    unclaimed.extend(pfns.into_iter().filter(|&p| p != stayed));
                }
                None if pfns.len() == 1 => {
                    ids.insert(pfns[0], id);
                    claimed.insert(id);
                }
                None => {
                    // A copy on write and a migration in one step. A
                    // process that took no fault copied nothing: if the
                    // pages of exactly one of these frames are all in such
                    // processes, that frame is the one that moved.
                    let moved: Vec<u64> = pfns.iter().copied().filter(|p| quiet[p]).collect();
                    if let [moved] = moved[..] {
                        ids.insert(moved, id);
                        claimed.insert(id);
                        unclaimed.extend(pfns.into_iter().filter(|&p| p != moved));
                    } else {
                        torn.extend(&pfns);
                        unclaimed.extend(pfns);
                    }
                }
            }
        }
        for pfn in unclaimed {
            // Its PFN, unless a frame that has moved goes by that number
            // (its old PFN, now reused).
            let id = if moved.contains_key(&pfn) || claimed.contains(&pfn) {
                self.fresh += 1;
                FRESH + self.fresh
            } else {
                pfn
            };
            ids.insert(pfn, id);
        }
        let mut unsettled = Unsettled::new();
        if !torn.is_empty() {
            for (name, p) in &now.processes {
                for (region, pages) in &p.regions {
                    for (i, page) in pages.iter().enumerate() {
                        if frame(page).is_some_and(|f| torn.contains(&f)) {
                            unsettled.insert((name.clone(), region.clone(), i as u32));
                        }
                    }
                }
            }
        }
        (ids, unsettled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::observe::ProcObs;
    use sim_core::scenario::ast::StateName;

    /// No process was still: every one may have copied.
    const NONE: BTreeSet<&str> = BTreeSet::new();

    fn obs(procs: &[(&str, &[u64])]) -> Observation {
        let mut o = Observation::default();
        for (name, frames) in procs {
            let pages = frames
                .iter()
                .map(|&f| PageObs::Frame { frame: f, users: 1 })
                .collect();
            o.processes.insert(
                name.to_string(),
                ProcObs {
                    state: StateName::Running,
                    parent: "init".into(),
                    regions: [("heap".to_string(), pages)].into(),
                    last_op: None,
                    handled: BTreeMap::new(),
                    last_reaped: None,
                    fds: BTreeMap::new(),
                    threads: 1,
                },
            );
        }
        o
    }

    fn frames(o: &Observation, name: &str) -> Vec<u64> {
        o.processes[name].regions["heap"]
            .iter()
            .map(|p| match p {
                PageObs::Frame { frame, .. } => *frame,
                _ => 0,
            })
            .collect()
    }

    #[test]
    fn a_frame_migrated_with_all_its_mappers_keeps_its_identity() {
        let mut f = Frames::default();
        let mut first = obs(&[("c", &[10, 11]), ("p", &[10, 11])]);
        assert!(f
            .follow(&Observation::default(), &mut first, &NONE)
            .is_empty());
        let mut second = obs(&[("c", &[10, 99]), ("p", &[10, 99])]);
        assert!(f.follow(&first, &mut second, &NONE).is_empty());
        assert_eq!(frames(&second, "c"), [10, 11]);
        assert_eq!(frames(&second, "p"), [10, 11]);
    }

    #[test]
    fn a_copy_on_write_is_a_new_frame_and_the_other_mapper_keeps_the_old() {
        let mut f = Frames::default();
        let mut first = obs(&[("c", &[10]), ("p", &[10])]);
        f.follow(&Observation::default(), &mut first, &NONE);
        let mut second = obs(&[("c", &[50]), ("p", &[10])]);
        assert!(f.follow(&first, &mut second, &NONE).is_empty());
        assert_eq!(frames(&second, "c"), [50]);
        assert_eq!(frames(&second, "p"), [10]);
    }

    #[test]
    fn a_copy_and_a_migration_of_one_page_in_one_step_cannot_be_told_apart() {
        let mut f = Frames::default();
        let mut first = obs(&[("c", &[10]), ("p", &[10])]);
        f.follow(&Observation::default(), &mut first, &NONE);
        let mut second = obs(&[("c", &[50]), ("p", &[60])]);
        let both_faulted = BTreeSet::new();
        let unsettled = f.follow(&first, &mut second, &both_faulted);
        assert_eq!(unsettled.len(), 2, "{unsettled:?}");
    }

    #[test]
    fn in_a_copy_and_a_migration_the_frame_of_the_process_that_took_no_fault_moved() {
        let mut f = Frames::default();
        let mut first = obs(&[("c", &[10]), ("p", &[10])]);
        f.follow(&Observation::default(), &mut first, &NONE);
        // c wrote (copy 50); p's frame 10 migrated to 60; p took no fault.
        let mut second = obs(&[("c", &[50]), ("p", &[60])]);
        let unsettled = f.follow(&first, &mut second, &["p"].into());
        assert!(unsettled.is_empty(), "{unsettled:?}");
        assert_eq!(frames(&second, "p"), [10]);
        assert_eq!(frames(&second, "c"), [50]);
    }

    #[test]
    fn a_freed_pfn_reused_by_another_page_gets_a_fresh_identity() {
        let mut f = Frames::default();
        let mut first = obs(&[("p", &[10, 20])]);
        f.follow(&Observation::default(), &mut first, &NONE);
        // Page 1 migrates 20 -> 30; page 0 migrates 10 -> 20 (freed just now).
        let mut second = obs(&[("p", &[20, 30])]);
        assert!(f.follow(&first, &mut second, &NONE).is_empty());
        assert_eq!(frames(&second, "p"), [10, 20]);
    }
}
