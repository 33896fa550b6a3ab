//! Memory: frames, page tables, and the fault, fork, exec and exit rules of
//! mm/memory.c, as the fact scenarios in tests/scenarios/facts show them.
//!
//! Owns: `Frames` (map counts, the zero page, shmem objects) and
//! `AddressSpace` (regions and their page tables). Does not own processes,
//! fault counters or narration: each operation returns the `MemEvent`s it
//! caused and the caller counts and tells them.

pub mod frames;
pub(crate) mod pvec;
pub mod space;

pub use frames::{FrameUse, Frames};
pub use space::{AddressSpace, Backing, PteView, Region};

use crate::ids::FrameId;
use crate::profile::KernelProfile;
use serde::Serialize;
use std::sync::Arc;

/// How one page fault was resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum FaultKind {
    /// Read of an absent private page: the shared zero page is mapped read-only.
    ZeroPage,
    /// Write to an absent private page: a fresh zeroed frame.
    ZeroFill { frame: FrameId },
    /// Write to a page that maps the zero page: a fresh zeroed frame replaces it.
    ZeroPageReplaced { frame: FrameId },
    /// Write to a frame others still map: the writer gets a copy (wp_page_copy).
    CowCopy { from: FrameId, to: FrameId },
    /// Write to a write-protected frame nobody else maps: it is reused (wp_page_reuse).
    Reuse { frame: FrameId },
    /// A shmem page that did not exist yet is allocated and mapped.
    ShmNew { frame: FrameId },
    /// An existing shmem page is mapped.
    ShmExisting { frame: FrameId },
}

impl FaultKind {
    /// The same fault `k` pages further into a run: frames `k` higher.
    pub fn nth(self, k: u32) -> FaultKind {
        let up = |f: FrameId| FrameId(f.0 + k);
        match self {
            FaultKind::ZeroPage => FaultKind::ZeroPage,
            FaultKind::ZeroFill { frame } => FaultKind::ZeroFill { frame: up(frame) },
            FaultKind::ZeroPageReplaced { frame } => {
                FaultKind::ZeroPageReplaced { frame: up(frame) }
            }
            FaultKind::CowCopy { from, to } => FaultKind::CowCopy {
                from: up(from),
                to: up(to),
            },
            FaultKind::Reuse { frame } => FaultKind::Reuse { frame: up(frame) },
            FaultKind::ShmNew { frame } => FaultKind::ShmNew { frame: up(frame) },
            FaultKind::ShmExisting { frame } => FaultKind::ShmExisting { frame: up(frame) },
        }
    }
}

impl MemEvent {
    /// Every page fault in these events, one by one, in order.
    pub fn faults(events: &[MemEvent]) -> Vec<(u32, FaultKind)> {
        events
            .iter()
            .flat_map(|e| match e {
                MemEvent::Faults {
                    from, to, fault, ..
                } => (*from..*to).map(|p| (p, fault.nth(p - from))).collect(),
                MemEvent::FaultAround { .. } => Vec::new(),
            })
            .collect()
    }
}

/// Something the memory subsystem did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "event")]
pub enum MemEvent {
    /// One minor fault on each page `from..to` of `region`, all resolved
    /// alike: `fault` is the first page's, and each next page's frames are
    /// numbered one higher (`FaultKind::nth`). A run keeps a 1 GiB write
    /// one event, not 262,144.
    Faults {
        region: Arc<str>,
        from: u32,
        to: u32,
        fault: FaultKind,
    },
    /// Fault-around mapped these existing shmem pages too, without faults.
    FaultAround { region: Arc<str>, pages: Vec<u32> },
}

/// What an access to one page is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    Read,
    Write,
}

/// Touch `pages` of region `index` in `space`. Returns the number of faults;
/// events are appended to `events`. The caller has checked the range.
pub(crate) fn touch(
    frames: &mut Frames,
    space: &mut AddressSpace,
    index: usize,
    pages: std::ops::Range<u32>,
    access: Access,
    profile: &KernelProfile,
    events: &mut Vec<MemEvent>,
) -> u64 {
    let region = &mut space.regions[index];
    let mut faults = 0;
    for page in pages {
        let fault = match (region.backing, access, region.view(page)) {
            (_, Access::Read, PteView::Mapped { .. }) => None,
            (_, Access::Write, PteView::Mapped { writable: true, .. }) => None,
            (Backing::Private { .. }, Access::Read, PteView::Absent) => {
                region.map(page, FrameId::ZERO, false);
                Some(FaultKind::ZeroPage)
            }
            (Backing::Private { .. }, Access::Write, PteView::Absent) => {
                let frame = frames.alloc(FrameUse::Anon);
                frames.map(frame);
                region.map(page, frame, true);
                region.backing = Backing::Private { anon_vma: true };
                Some(FaultKind::ZeroFill { frame })
            }
            (
                Backing::Private { .. },
                Access::Write,
                PteView::Mapped {
                    frame,
                    writable: false,
                },
            ) => {
                // do_wp_page: the zero page is always copied; otherwise a
                // frame with one mapping is reused, else copied.
                let kind = if frame == FrameId::ZERO {
                    let new = frames.alloc(FrameUse::Anon);
                    frames.map(new);
                    region.map(page, new, true);
                    FaultKind::ZeroPageReplaced { frame: new }
                } else if frames.mapcount(frame) == 1 {
                    region.map(page, frame, true);
                    FaultKind::Reuse { frame }
                } else {
                    let new = frames.alloc(FrameUse::Anon);
                    frames.map(new);
                    frames.unmap(frame);
                    region.map(page, new, true);
                    FaultKind::CowCopy {
                        from: frame,
                        to: new,
                    }
                };
                region.backing = Backing::Private { anon_vma: true };
                Some(kind)
            }
            (Backing::Shared { shm }, access, PteView::Absent) => {
                let (frame, new) = frames.shm_page(shm, page);
                frames.map(frame);
                region.map(page, frame, true);
                if access == Access::Read {
                    // do_read_fault -> do_fault_around: map the block's other
                    // pages that already exist in the object.
                    let block = profile.fault_around_pages().max(1);
                    let start = page - page % block;
                    let end = (start + block).min(region.pages());
                    let mut around = Vec::new();
                    for other in (start..end).filter(|&p| p != page) {
                        let existing = frames.shm(shm).pages.get(other);
                        if existing != FrameId::ZERO && !region.ptes.get(other).is_present() {
                            frames.map(existing);
                            region.map(other, existing, true);
                            around.push(other);
                        }
                    }
                    if !around.is_empty() {
                        events.push(MemEvent::FaultAround {
                            region: region.name.clone(),
                            pages: around,
                        });
                    }
                }
                Some(if new {
                    FaultKind::ShmNew { frame }
                } else {
                    FaultKind::ShmExisting { frame }
                })
            }
            (
                Backing::Shared { .. },
                Access::Write,
                PteView::Mapped {
                    writable: false, ..
                },
            ) => {
                unreachable!("shared mappings are always mapped writable")
            }
        };
        if let Some(fault) = fault {
            faults += 1;
            match events.last_mut() {
                Some(MemEvent::Faults {
                    from,
                    to,
                    fault: first,
                    ..
                }) if *to == page && first.nth(page - *from) == fault => {
                    *to = page + 1;
                }
                _ => events.push(MemEvent::Faults {
                    region: region.name.clone(),
                    from: page,
                    to: page + 1,
                    fault,
                }),
            }
        }
    }
    faults
}

/// The child's address space after fork, per mm/memory.c copy_page_range:
/// a private region that holds anonymous pages has its entries copied and
/// write-protected on both sides; other regions start empty in the child.
/// Returns the child's space and the number of entries copied.
pub(crate) fn fork(frames: &mut Frames, parent: &mut AddressSpace) -> (AddressSpace, u64) {
    let mut child = AddressSpace::default();
    let mut copied = 0u64;
    for region in &mut parent.regions {
        let ptes = match region.backing {
            Backing::Private { anon_vma: true } => {
                // The child's entries map the same frames: one more user
                // each. Then both sides' entries turn read-only at once,
                // and the child shares the parent's page table until
                // either side writes (copy-on-write of the model itself).
                region
                    .ptes
                    .for_each_leaf(|_, ptes| copied += frames.map_ptes(ptes));
                region.write_protect_all();
                region.ptes.clone()
            }
            Backing::Private { anon_vma: false } => pvec::PVec::new(region.pages()),
            Backing::Shared { shm } => {
                frames.shm_add_mapping(shm);
                pvec::PVec::new(region.pages())
            }
        };
        child.regions.push(region.fork_copy(ptes));
    }
    (child, copied)
}

/// Unmap one region entirely (munmap, exec, exit). Returns frames freed.
pub(crate) fn unmap_region(frames: &mut Frames, region: Region) -> u32 {
    let mut freed = 0;
    region.ptes.for_each_leaf(|_, ptes| {
        for frame in ptes.iter().filter_map(|p| p.frame()) {
            freed += u32::from(frames.unmap(frame));
        }
    });
    if let Backing::Shared { shm } = region.backing {
        freed += frames.shm_drop_mapping(shm);
    }
    freed
}

/// Release a whole address space (exec, exit). Returns frames freed.
pub(crate) fn release(frames: &mut Frames, space: AddressSpace) -> u32 {
    space
        .regions
        .into_iter()
        .map(|r| unmap_region(frames, r))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ShmId;

    fn profile() -> KernelProfile {
        KernelProfile::default()
    }

    /// A space with one private region of `pages` pages.
    fn space_with_region(pages: u32) -> AddressSpace {
        AddressSpace {
            regions: vec![Region::new(
                Arc::from("heap"),
                Backing::Private { anon_vma: false },
                pages,
                1,
            )],
        }
    }

    fn touch_one(
        frames: &mut Frames,
        space: &mut AddressSpace,
        page: u32,
        access: Access,
    ) -> Vec<MemEvent> {
        let mut events = Vec::new();
        touch(
            frames,
            space,
            0,
            page..page + 1,
            access,
            &profile(),
            &mut events,
        );
        events
    }

    fn fault(events: &[MemEvent]) -> FaultKind {
        match events {
            [MemEvent::Faults {
                fault, from, to, ..
            }] if *to == *from + 1 => *fault,
            other => panic!("expected one fault, got {other:?}"),
        }
    }

    /// A parent that wrote `pages` pages, and its forked child.
    fn sim_after_fork(pages: u32) -> (Frames, AddressSpace, AddressSpace) {
        let mut frames = Frames::default();
        let mut parent = space_with_region(pages);
        let mut events = Vec::new();
        touch(
            &mut frames,
            &mut parent,
            0,
            0..pages,
            Access::Write,
            &profile(),
            &mut events,
        );
        let (child, copied) = fork(&mut frames, &mut parent);
        assert_eq!(copied, u64::from(pages));
        (frames, parent, child)
    }

    #[test]
    fn for_each_mapped_visits_exactly_the_mapped_pages_as_view_sees_them() {
        let mut frames = Frames::default();
        let mut space = space_with_region(300);
        for page in [3, 70, 299] {
            touch_one(&mut frames, &mut space, page, Access::Write);
        }
        touch_one(&mut frames, &mut space, 200, Access::Read);
        let (child, _) = fork(&mut frames, &mut space);
        for region in [&space.regions[0], &child.regions[0]] {
            let mut seen = Vec::new();
            region.for_each_mapped(|page, view| seen.push((page, view)));
            let expected: Vec<(u32, PteView)> = (0..region.pages())
                .map(|p| (p, region.view(p)))
                .filter(|(_, v)| *v != PteView::Absent)
                .collect();
            assert_eq!(seen, expected);
            assert_eq!(
                seen.iter().map(|(p, _)| *p).collect::<Vec<_>>(),
                [3, 70, 200, 299]
            );
        }
    }

    #[test]
    fn a_first_write_zero_fills_a_fresh_frame() {
        let mut frames = Frames::default();
        let mut space = space_with_region(4);
        let kind = fault(&touch_one(&mut frames, &mut space, 1, Access::Write));
        assert!(matches!(kind, FaultKind::ZeroFill { .. }));
        assert_eq!(frames.live(), 1);
        assert_eq!(
            space.regions[0].backing,
            Backing::Private { anon_vma: true }
        );
    }

    #[test]
    fn a_first_read_maps_the_zero_page_and_creates_no_anon_vma() {
        let mut frames = Frames::default();
        let mut space = space_with_region(4);
        assert_eq!(
            fault(&touch_one(&mut frames, &mut space, 0, Access::Read)),
            FaultKind::ZeroPage
        );
        assert_eq!(frames.live(), 0);
        assert_eq!(
            space.regions[0].backing,
            Backing::Private { anon_vma: false }
        );
        let kind = fault(&touch_one(&mut frames, &mut space, 0, Access::Write));
        assert!(matches!(kind, FaultKind::ZeroPageReplaced { .. }));
    }

    #[test]
    fn fork_write_protects_both_sides_and_counts_two_users() {
        let (frames, parent, child) = sim_after_fork(3);
        for space in [&parent, &child] {
            let PteView::Mapped { frame, writable } = space.regions[0].view(1) else {
                panic!("page 1 is mapped after fork");
            };
            assert!(!writable);
            assert_eq!(frames.mapcount(frame), 2);
        }
    }

    #[test]
    fn child_write_copies_the_shared_frame_and_leaves_the_parent_exclusive() {
        let (mut frames, parent, mut child) = sim_after_fork(2);
        let old = parent.regions[0].ptes.get(0).frame().unwrap();
        let kind = fault(&touch_one(&mut frames, &mut child, 0, Access::Write));
        assert!(matches!(kind, FaultKind::CowCopy { from, .. } if from == old));
        assert_eq!(frames.mapcount(old), 1);
    }

    #[test]
    fn a_write_to_a_frame_with_one_user_left_reuses_it() {
        let (mut frames, mut parent, mut child) = sim_after_fork(1);
        touch_one(&mut frames, &mut child, 0, Access::Write);
        let kind = fault(&touch_one(&mut frames, &mut parent, 0, Access::Write));
        assert!(matches!(kind, FaultKind::Reuse { .. }));
        assert!(touch_one(&mut frames, &mut parent, 0, Access::Write).is_empty());
    }

    #[test]
    fn fork_leaves_a_mapping_that_was_only_read_absent_in_the_child() {
        let mut frames = Frames::default();
        let mut parent = space_with_region(2);
        touch_one(&mut frames, &mut parent, 0, Access::Read);
        let (child, copied) = fork(&mut frames, &mut parent);
        assert_eq!(copied, 0);
        assert!(!child.regions[0].ptes.get(0).is_present());
    }

    #[test]
    fn releasing_both_sides_frees_every_frame() {
        let (mut frames, parent, child) = sim_after_fork(5);
        assert_eq!(release(&mut frames, parent), 0);
        assert_eq!(release(&mut frames, child), 5);
        assert_eq!(frames.live(), 0);
    }

    #[test]
    fn a_shared_read_fault_maps_existing_neighbours_of_its_block() {
        let mut frames = Frames::default();
        let shm: ShmId = frames.new_shm(20);
        let region = |_: ()| Region::new(Arc::from("s"), Backing::Shared { shm }, 20, 1);
        let mut writer = AddressSpace {
            regions: vec![region(())],
        };
        let mut events = Vec::new();
        touch(
            &mut frames,
            &mut writer,
            0,
            0..20,
            Access::Write,
            &profile(),
            &mut events,
        );
        frames.shm_add_mapping(shm);
        let mut reader = AddressSpace {
            regions: vec![region(())],
        };
        let events = touch_one(&mut frames, &mut reader, 3, Access::Read);
        let around = events.iter().find_map(|e| match e {
            MemEvent::FaultAround { pages, .. } => Some(pages.len()),
            _ => None,
        });
        assert_eq!(around, Some(15));
        assert!(!reader.regions[0].ptes.get(16).is_present());
    }
}
