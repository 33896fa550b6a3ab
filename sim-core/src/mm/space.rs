//! One process's address space: its regions (VMAs) and their page tables.

use super::pvec::PVec;
use crate::ids::{FrameId, ShmId};
use std::sync::Arc;

/// A page-table entry, packed in 64 bits: the low half is the frame number
/// plus one (0: not present); the high half is the region's write
/// generation when the entry was made writable (0: read-only).
///
/// The write bit is a generation rather than a bit so that fork can
/// write-protect a whole page table in O(1), the way the kernel's is made
/// copy-on-write: fork bumps the region's generation, and every entry made
/// writable before it reads as read-only in both processes, while parent
/// and child go on sharing one page table (a `PVec` clone) until either
/// writes.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub(crate) struct Pte(u64);

/// A page-table entry, unpacked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PteView {
    /// No page mapped: the next access faults.
    Absent,
    /// `frame` mapped, writable or (shared, until a COW fault) read-only.
    Mapped { frame: FrameId, writable: bool },
}

impl Pte {
    fn new(frame: FrameId, wgen: u32) -> Pte {
        Pte((u64::from(wgen) << 32) | u64::from(frame.0 + 1))
    }

    pub(crate) fn is_present(self) -> bool {
        self.0 as u32 != 0
    }

    /// The mapped frame, or None when absent.
    pub(crate) fn frame(self) -> Option<FrameId> {
        self.is_present().then(|| FrameId(self.0 as u32 - 1))
    }

    fn wgen(self) -> u32 {
        (self.0 >> 32) as u32
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
    /// Its name in the scenario.
    pub name: Arc<str>,
    /// Private or shared anonymous memory.
    pub backing: Backing,
    pub(crate) ptes: PVec<Pte>,
    /// The line of the `mmap` that made it (for "already used" errors).
    pub line: u32,
    /// Entries made writable under this generation are writable (see `Pte`).
    wgen: u32,
}

impl Region {
    /// A region of `pages` absent pages.
    pub(crate) fn new(name: Arc<str>, backing: Backing, pages: u32, line: u32) -> Region {
        Region {
            name,
            backing,
            ptes: PVec::new(pages),
            line,
            wgen: 1,
        }
    }

    /// The child's copy of this region at fork: `ptes` shared or fresh.
    pub(crate) fn fork_copy(&self, ptes: PVec<Pte>) -> Region {
        Region {
            name: self.name.clone(),
            backing: self.backing,
            ptes,
            line: self.line,
            wgen: self.wgen,
        }
    }

    /// Page `page`'s entry.
    pub fn view(&self, page: u32) -> PteView {
        let pte = self.ptes.get(page);
        match pte.frame() {
            None => PteView::Absent,
            Some(frame) => PteView::Mapped {
                frame,
                writable: pte.wgen() != 0 && pte.wgen() == self.wgen,
            },
        }
    }

    /// Every mapped page in index order, `f(page, view)`, skipping the
    /// parts of the page table never touched: how a view draws a 1 GiB
    /// region that holds a few pages without reading 262,144 entries.
    /// Pages not visited are absent.
    pub fn for_each_mapped(&self, mut f: impl FnMut(u32, PteView)) {
        self.ptes.for_each_leaf(|base, leaf| {
            for (k, pte) in leaf.iter().enumerate() {
                if let Some(frame) = pte.frame() {
                    let writable = pte.wgen() != 0 && pte.wgen() == self.wgen;
                    f(base + k as u32, PteView::Mapped { frame, writable });
                }
            }
        });
    }

    /// Map `frame` at `page`, writable or read-only.
    pub(crate) fn map(&mut self, page: u32, frame: FrameId, writable: bool) {
        let wgen = if writable { self.wgen } else { 0 };
        self.ptes.set(page, Pte::new(frame, wgen));
    }

    /// Make every entry read-only at once (fork's write-protection).
    pub(crate) fn write_protect_all(&mut self) {
        self.wgen += 1;
    }

    /// How many pages the region spans.
    pub fn pages(&self) -> u32 {
        self.ptes.len()
    }
}

/// The regions of one process, in the order they were mapped.
#[derive(Clone, Debug, Default)]
pub struct AddressSpace {
    /// The regions, oldest first.
    pub regions: Vec<Region>,
}

impl AddressSpace {
    /// The region mapped under `name`, if any.
    pub fn region(&self, name: &str) -> Option<&Region> {
        self.regions.iter().find(|r| &*r.name == name)
    }

    pub(crate) fn region_index(&self, name: &str) -> Option<usize> {
        self.regions.iter().position(|r| &*r.name == name)
    }
}
