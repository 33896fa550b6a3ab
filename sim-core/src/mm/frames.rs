//! Physical frames and their map counts, and shared anonymous memory
//! objects (the shmem files behind `mmap(MAP_SHARED|MAP_ANONYMOUS)`).
//!
//! A frame's count is the number of page-table entries that map it (what
//! /proc/kpagecount reports). Private frames are freed when it drops to 0;
//! a shmem object's frames live as long as the object does, mapped or not.
//! The zero page is never counted.

use super::pvec::{PVec, WIDTH};
use super::space::Pte;
use crate::ids::{FrameId, ShmId};
use litemap::LiteMap;
use serde::Serialize;

/// What one frame holds, for visualisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum FrameUse {
    /// A private anonymous page (zero-filled or a COW copy).
    Anon,
    /// A page of a shared anonymous object.
    Shm,
}

/// One frame's entry, packed in 32 bits so that the frame table, which
/// fork touches for every page, stays small: bit 31 says the frame is
/// allocated, bit 30 that a shmem object owns it, the rest is its map count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct FrameSlot(u32);

const LIVE: u32 = 1 << 31;
const SHM: u32 = 1 << 30;
const COUNT: u32 = SHM - 1;

impl FrameSlot {
    fn mapcount(self) -> u32 {
        self.0 & COUNT
    }
}

/// One shared anonymous object: its pages and how many mappings use it.
#[derive(Clone, Debug)]
pub(crate) struct Shm {
    /// Page index -> frame (FrameId::ZERO where no page exists yet).
    pub(crate) pages: PVec<FrameId>,
    /// Mappings (VMAs, across processes) that refer to it.
    pub(crate) mappings: u32,
}

impl Default for FrameId {
    fn default() -> Self {
        FrameId::ZERO
    }
}

/// Every frame ever allocated, and the shmem objects.
#[derive(Clone, Debug)]
pub struct Frames {
    slots: PVec<FrameSlot>,
    live: u32,
    shms: LiteMap<ShmId, Shm>,
    next_shm: u32,
}

impl Default for Frames {
    fn default() -> Self {
        // Slot 0 is the zero page: never free, never counted.
        let mut slots = PVec::new(0);
        slots.push(FrameSlot(LIVE));
        Frames {
            slots,
            live: 0,
            shms: LiteMap::new(),
            next_shm: 1,
        }
    }
}

impl Frames {
    /// A fresh frame, owned by `owner`, with no mappings yet.
    pub(crate) fn alloc(&mut self, owner: FrameUse) -> FrameId {
        self.live += 1;
        let flags = match owner {
            FrameUse::Anon => LIVE,
            FrameUse::Shm => LIVE | SHM,
        };
        FrameId(self.slots.push(FrameSlot(flags)))
    }

    /// Page-table entries that map `frame`.
    pub fn mapcount(&self, frame: FrameId) -> u32 {
        self.slots.get(frame.0).mapcount()
    }

    /// Is `frame` allocated (and not the zero page)?
    pub fn is_live(&self, frame: FrameId) -> bool {
        frame != FrameId::ZERO && self.slots.get(frame.0).0 & LIVE != 0
    }

    /// What holds `frame`, or None when it is free.
    pub fn owner(&self, frame: FrameId) -> Option<FrameUse> {
        let slot = self.slots.get(frame.0);
        match (slot.0 & LIVE != 0, slot.0 & SHM != 0) {
            (false, _) => None,
            (true, false) => Some(FrameUse::Anon),
            (true, true) => Some(FrameUse::Shm),
        }
    }

    /// Frames allocated and not yet freed (the zero page not counted).
    pub fn live(&self) -> u32 {
        self.live
    }

    /// Frame ids handed out so far, the zero page included.
    pub fn allocated(&self) -> u32 {
        self.slots.len()
    }

    /// Call `f(frame, count before, count now)` for every frame whose map
    /// count differs from its count in `before` (an earlier copy of this
    /// table), in frame order, reading only the slots written since.
    pub(crate) fn changed_counts(&self, before: &Frames, mut f: impl FnMut(FrameId, u32, u32)) {
        before.slots.diff(&self.slots, |id| {
            let (was, now) = (
                before.slots.get(id).mapcount(),
                self.slots.get(id).mapcount(),
            );
            if was != now {
                f(FrameId(id), was, now);
            }
        });
    }

    pub(crate) fn map(&mut self, frame: FrameId) {
        if frame != FrameId::ZERO {
            self.slots.get_mut(frame.0).0 += 1;
        }
    }

    /// Drop one mapping; a private frame whose count reaches 0 is freed.
    /// Returns whether it was freed.
    pub(crate) fn unmap(&mut self, frame: FrameId) -> bool {
        if frame == FrameId::ZERO {
            return false;
        }
        let slot = self.slots.get_mut(frame.0);
        assert!(
            slot.mapcount() > 0,
            "unmap of {frame} with no mappings: page tables and counts disagree"
        );
        slot.0 -= 1;
        if slot.0 == LIVE {
            *slot = FrameSlot(0);
            self.live -= 1;
            return true;
        }
        false
    }

    /// Add one mapping to the frame of every present entry in `ptes`
    /// (fork's bulk path); returns how many there were. Frames of
    /// neighbouring pages were usually allocated together, so the frame
    /// table's leaf is looked up once per run, not once per page.
    pub(crate) fn map_ptes(&mut self, ptes: &[Pte]) -> u64 {
        let mask = !(WIDTH as u32 - 1);
        // Fast path: pages written in order hold consecutive frames, so the
        // leaf's entries are one run spanning at most two frame-table leaves.
        if let Some(first) = ptes.first().and_then(|p| p.frame()) {
            let consecutive = first != FrameId::ZERO
                && ptes
                    .iter()
                    .zip(first.0..)
                    .all(|(p, want)| p.frame() == Some(FrameId(want)));
            if consecutive {
                let (mut next, end) = (first.0, first.0 + ptes.len() as u32);
                while next < end {
                    let base = next & mask;
                    let stop = end.min(base + WIDTH as u32);
                    let leaf = self.slots.leaf_mut(next);
                    for slot in &mut leaf[(next - base) as usize..(stop - base) as usize] {
                        slot.0 += 1;
                    }
                    next = stop;
                }
                return ptes.len() as u64;
            }
        }
        let mut mapped = 0;
        let mut leaf: Option<(u32, &mut [FrameSlot; WIDTH])> = None;
        for frame in ptes.iter().filter_map(|p| p.frame()) {
            mapped += 1;
            if frame == FrameId::ZERO {
                continue;
            }
            let base = frame.0 & mask;
            if leaf.as_ref().map(|(b, _)| *b) != Some(base) {
                leaf = Some((base, self.slots.leaf_mut(frame.0)));
            }
            if let Some((_, slots)) = leaf.as_mut() {
                slots[(frame.0 - base) as usize].0 += 1;
            }
        }
        mapped
    }

    // --- shmem objects ---

    pub(crate) fn new_shm(&mut self, pages: u32) -> ShmId {
        let id = ShmId(self.next_shm);
        self.next_shm += 1;
        self.shms.insert(
            id,
            Shm {
                pages: PVec::new(pages),
                mappings: 1,
            },
        );
        id
    }

    pub(crate) fn shm(&self, id: ShmId) -> &Shm {
        self.shms
            .get(&id)
            .expect("a mapping refers to a shmem object that does not exist")
    }

    /// The shmem object's page `index`, allocating it (zero-filled) if it
    /// does not exist yet. Returns the frame and whether it was allocated.
    pub(crate) fn shm_page(&mut self, id: ShmId, index: u32) -> (FrameId, bool) {
        let existing = self.shm(id).pages.get(index);
        if existing != FrameId::ZERO {
            return (existing, false);
        }
        let frame = self.alloc(FrameUse::Shm);
        self.shms
            .get_mut(&id)
            .expect("checked above")
            .pages
            .set(index, frame);
        (frame, true)
    }

    pub(crate) fn shm_add_mapping(&mut self, id: ShmId) {
        self.shms
            .get_mut(&id)
            .expect("fork of a mapping of a missing shmem object")
            .mappings += 1;
    }

    /// Drop one mapping of the object; the last one frees it and its pages.
    /// Returns the frames freed.
    pub(crate) fn shm_drop_mapping(&mut self, id: ShmId) -> u32 {
        let shm = self
            .shms
            .get_mut(&id)
            .expect("unmap of a missing shmem object");
        shm.mappings -= 1;
        if shm.mappings > 0 {
            return 0;
        }
        let shm = self.shms.remove(&id).expect("present above");
        let mut freed = 0;
        shm.pages.for_each_leaf(|_, frames| {
            for &frame in frames.iter().filter(|f| **f != FrameId::ZERO) {
                freed += 1;
                let slot = self.slots.get_mut(frame.0);
                assert_eq!(
                    slot.mapcount(),
                    0,
                    "shmem object freed while {frame} is still mapped"
                );
                *slot = FrameSlot(0);
                self.live -= 1;
            }
        });
        freed
    }

    /// How many shmem objects exist (one for each shared mapping still alive).
    pub fn shm_count(&self) -> usize {
        self.shms.len()
    }
}
