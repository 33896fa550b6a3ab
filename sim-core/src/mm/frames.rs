//! Physical frames and their map counts, and shared anonymous memory
//! objects (the shmem files behind `mmap(MAP_SHARED|MAP_ANONYMOUS)`).
//!
//! A frame's count is the number of page-table entries that map it (what
//! /proc/kpagecount reports). Private frames are freed when it drops to 0;
//! a shmem object's frames live as long as the object does, mapped or not.
//! The zero page is never counted.

use super::pvec::{PVec, WIDTH};
use crate::ids::{FrameId, ShmId};
use serde::Serialize;
use std::collections::BTreeMap;

/// What one frame holds, for visualisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum FrameUse {
    /// A private anonymous page (zero-filled or a COW copy).
    Anon,
    /// A page of a shared anonymous object.
    Shm(ShmId),
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct FrameSlot {
    /// 0 for a free frame; 1 + ShmId for shmem pages; u32::MAX for anon.
    owner: u32,
    mapcount: u32,
}

const ANON: u32 = u32::MAX;

/// One shared anonymous object: its pages and how many mappings use it.
#[derive(Clone, Debug)]
pub struct Shm {
    /// Page index -> frame (FrameId::ZERO where no page exists yet).
    pub pages: PVec<FrameId>,
    /// Mappings (VMAs, across processes) that refer to it.
    pub mappings: u32,
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
    shms: BTreeMap<ShmId, Shm>,
    next_shm: u32,
}

impl Default for Frames {
    fn default() -> Self {
        // Slot 0 is the zero page: never free, never counted.
        let mut slots = PVec::new(0);
        slots.push(FrameSlot {
            owner: ANON,
            mapcount: 0,
        });
        Frames {
            slots,
            live: 0,
            shms: BTreeMap::new(),
            next_shm: 1,
        }
    }
}

impl Frames {
    /// A fresh frame, owned by `owner`, with no mappings yet.
    pub fn alloc(&mut self, owner: FrameUse) -> FrameId {
        let owner = match owner {
            FrameUse::Anon => ANON,
            FrameUse::Shm(id) => id.0 + 1,
        };
        self.live += 1;
        FrameId(self.slots.push(FrameSlot { owner, mapcount: 0 }))
    }

    /// Page-table entries that map `frame`.
    pub fn mapcount(&self, frame: FrameId) -> u32 {
        self.slots.get(frame.0).mapcount
    }

    /// Is `frame` allocated (and not the zero page)?
    pub fn is_live(&self, frame: FrameId) -> bool {
        frame != FrameId::ZERO && self.slots.get(frame.0).owner != 0
    }

    pub fn owner(&self, frame: FrameId) -> Option<FrameUse> {
        match self.slots.get(frame.0).owner {
            0 => None,
            ANON => Some(FrameUse::Anon),
            n => Some(FrameUse::Shm(ShmId(n - 1))),
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

    pub fn map(&mut self, frame: FrameId) {
        if frame != FrameId::ZERO {
            let slot = self.slot_mut(frame);
            slot.mapcount += 1;
        }
    }

    /// Drop one mapping; a private frame whose count reaches 0 is freed.
    /// Returns whether it was freed.
    pub fn unmap(&mut self, frame: FrameId) -> bool {
        if frame == FrameId::ZERO {
            return false;
        }
        let slot = self.slot_mut(frame);
        assert!(
            slot.mapcount > 0,
            "unmap of {frame} with no mappings: page tables and counts disagree"
        );
        slot.mapcount -= 1;
        if slot.mapcount == 0 && slot.owner == ANON {
            slot.owner = 0;
            self.live -= 1;
            return true;
        }
        false
    }

    /// Add one mapping to every frame in `frames` (fork's bulk path).
    /// Frames of neighbouring pages were usually allocated together, so the
    /// leaf of the last one is kept at hand.
    pub fn map_many(&mut self, frames: impl IntoIterator<Item = FrameId>) {
        let mask = !(WIDTH as u32 - 1);
        let mut frames = frames
            .into_iter()
            .filter(|f| *f != FrameId::ZERO)
            .peekable();
        while let Some(first) = frames.next() {
            let base = first.0 & mask;
            let leaf = self.slots.leaf_mut(first.0);
            leaf[(first.0 - base) as usize].mapcount += 1;
            while let Some(next) = frames.next_if(|f| f.0 & mask == base) {
                leaf[(next.0 - base) as usize].mapcount += 1;
            }
        }
    }

    fn slot_mut(&mut self, frame: FrameId) -> &mut FrameSlot {
        self.slots.get_mut(frame.0)
    }

    // --- shmem objects ---

    pub fn new_shm(&mut self, pages: u32) -> ShmId {
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

    pub fn shm(&self, id: ShmId) -> &Shm {
        self.shms
            .get(&id)
            .expect("a mapping refers to a shmem object that does not exist")
    }

    /// The shmem object's page `index`, allocating it (zero-filled) if it
    /// does not exist yet. Returns the frame and whether it was allocated.
    pub fn shm_page(&mut self, id: ShmId, index: u32) -> (FrameId, bool) {
        let existing = self.shm(id).pages.get(index);
        if existing != FrameId::ZERO {
            return (existing, false);
        }
        let frame = self.alloc(FrameUse::Shm(id));
        self.shms
            .get_mut(&id)
            .expect("checked above")
            .pages
            .set(index, frame);
        (frame, true)
    }

    pub fn shm_add_mapping(&mut self, id: ShmId) {
        self.shms
            .get_mut(&id)
            .expect("fork of a mapping of a missing shmem object")
            .mappings += 1;
    }

    /// Drop one mapping of the object; the last one frees it and its pages.
    /// Returns the frames freed.
    pub fn shm_drop_mapping(&mut self, id: ShmId) -> u32 {
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
                let slot = self.slots.get(frame.0);
                assert_eq!(
                    slot.mapcount, 0,
                    "shmem object freed while {frame} is still mapped"
                );
                self.slots.set(frame.0, FrameSlot::default());
                self.live -= 1;
            }
        });
        freed
    }

    pub fn shm_count(&self) -> usize {
        self.shms.len()
    }
}
