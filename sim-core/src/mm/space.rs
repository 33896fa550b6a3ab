//! One process's address space: its regions (VMAs) and their page tables.

use super::pvec::PVec;
use crate::ids::{FrameId, ShmId};
use std::sync::Arc;

/// A page-table entry, packed in 32 bits so that fork copies 4 bytes a page:
/// 0 is "not present"; otherwise bit 31 is the write bit and the low 31 bits
/// are the frame number plus one.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub struct Pte(u32);

const WRITABLE: u32 = 1 << 31;

/// A page-table entry, unpacked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PteView {
    Absent,
    Mapped { frame: FrameId, writable: bool },
}

impl Pte {
    pub const ABSENT: Pte = Pte(0);

    pub fn mapped(frame: FrameId, writable: bool) -> Pte {
        debug_assert!(frame.0 < WRITABLE - 1, "frame number overflows a PTE");
        Pte((frame.0 + 1) | if writable { WRITABLE } else { 0 })
    }

    pub fn view(self) -> PteView {
        if self.0 == 0 {
            PteView::Absent
        } else {
            PteView::Mapped {
                frame: self.frame_unchecked(),
                writable: self.0 & WRITABLE != 0,
            }
        }
    }

    pub fn is_present(self) -> bool {
        self.0 != 0
    }

    /// The mapped frame, or None when absent.
    pub fn frame(self) -> Option<FrameId> {
        self.is_present().then(|| self.frame_unchecked())
    }

    fn frame_unchecked(self) -> FrameId {
        FrameId((self.0 & !WRITABLE) - 1)
    }

    pub fn is_writable(self) -> bool {
        self.0 & WRITABLE != 0
    }

    pub fn write_protected(self) -> Pte {
        Pte(self.0 & !WRITABLE)
    }
}

/// What backs a region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backing {
    /// Private anonymous memory. `anon_vma` is whether the mapping already
    /// holds anonymous pages: created by its first write fault (or COW copy)
    /// and inherited by fork; it decides whether fork copies the page table
    /// (mm/memory.c vma_needs_copy).
    Private { anon_vma: bool },
    /// A shared anonymous mapping of a shmem object.
    Shared { shm: ShmId },
}

/// One mapping (VMA) of a process.
#[derive(Clone, Debug)]
pub struct Region {
    pub name: Arc<str>,
    pub backing: Backing,
    pub ptes: PVec<Pte>,
    /// The line of the `mmap` that made it (for "already used" errors).
    pub line: u32,
}

impl Region {
    pub fn pages(&self) -> u32 {
        self.ptes.len()
    }

    pub fn is_shared(&self) -> bool {
        matches!(self.backing, Backing::Shared { .. })
    }
}

/// The regions of one process, in the order they were mapped.
#[derive(Clone, Debug, Default)]
pub struct AddressSpace {
    pub regions: Vec<Region>,
}

impl AddressSpace {
    pub fn region(&self, name: &str) -> Option<&Region> {
        self.regions.iter().find(|r| &*r.name == name)
    }

    pub fn region_mut(&mut self, name: &str) -> Option<&mut Region> {
        self.regions.iter_mut().find(|r| &*r.name == name)
    }

    pub fn region_index(&self, name: &str) -> Option<usize> {
        self.regions.iter().position(|r| &*r.name == name)
    }
}
