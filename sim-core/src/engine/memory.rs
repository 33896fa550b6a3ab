//! The memory operations of a step: mmap, munmap, and reading or writing
//! pages (the fault rules are `mm`'s; this applies them to a process).

use super::event::Event;
use super::ops::Cx;
use crate::mm::{self, Access, Backing, Region};
use crate::scenario::ast::{Name, OpResult, PageRange};
use crate::scenario::error::suggest;
use crate::scenario::ErrorKind;
use std::sync::Arc;

impl Cx<'_> {
    fn region_index(&self, region: &Name) -> Result<usize, ErrorKind> {
        let proc = self.world.proc(self.pid);
        proc.mm
            .region_index(region.as_str())
            .ok_or_else(|| ErrorKind::UnknownRegion {
                process: proc.name.to_string(),
                name: region.text.clone(),
                suggestion: suggest(region.as_str(), proc.mm.regions.iter().map(|r| &*r.name)),
            })
    }

    pub(super) fn mmap(
        &mut self,
        region: &Name,
        pages: u32,
        shared: bool,
    ) -> Result<(), ErrorKind> {
        let proc = self.world.proc(self.pid);
        if proc.mm.region(region.as_str()).is_some() {
            let first_line = proc.mm.region(region.as_str()).map_or(0, |r| r.line);
            return Err(ErrorKind::DuplicateName {
                name: region.text.clone(),
                first_line,
            });
        }
        // do_mmap (mm/mmap.c) begins with `if (!len) return -EINVAL;`: a
        // mapping of no pages is refused, and no region is made.
        if pages == 0 {
            self.events.push(Event::MapRefused {
                pid: self.pid,
                region: region.text.clone(),
                errno: crate::errno::Errno::EINVAL,
            });
            self.returned(0, OpResult::Error(crate::errno::Errno::EINVAL));
            return Ok(());
        }
        let backing = if shared {
            Backing::Shared {
                shm: self.world.frames.new_shm(pages),
            }
        } else {
            Backing::Private { anon_vma: false }
        };
        let name: Arc<str> = Arc::from(region.as_str());
        let line = self.pos.line;
        self.world
            .proc_mut(self.pid)
            .mm
            .regions
            .push(Region::new(name, backing, pages, line));
        self.events.push(Event::Mapped {
            pid: self.pid,
            region: region.text.clone(),
            pages,
            shared,
        });
        self.returned(0, OpResult::Value(0));
        Ok(())
    }

    pub(super) fn munmap(&mut self, region: &Name) -> Result<(), ErrorKind> {
        let index = self.region_index(region)?;
        let (proc, frames) = self.world.proc_and_frames(self.pid);
        let removed = proc.mm.regions.remove(index);
        let freed = mm::unmap_region(frames, removed);
        self.events.push(Event::Unmapped {
            pid: self.pid,
            region: region.text.clone(),
            freed,
        });
        self.returned(0, OpResult::Value(0));
        Ok(())
    }

    pub(super) fn touch(
        &mut self,
        region: &Name,
        range: PageRange,
        access: Access,
    ) -> Result<(), ErrorKind> {
        let index = self.region_index(region)?;
        let profile = self.profile;
        let (proc, frames) = self.world.proc_and_frames(self.pid);
        let pages = proc.mm.regions[index].pages();
        if range.end > pages || range.start >= range.end {
            return Err(ErrorKind::PageOutOfRange {
                region: region.text.clone(),
                page: u64::from(if range.start >= pages {
                    range.start
                } else {
                    range.end - 1
                }),
                pages,
            });
        }
        let mut mem = Vec::new();
        let faults = mm::touch(
            frames,
            &mut proc.mm,
            index,
            range.pages(),
            access,
            profile,
            &mut mem,
        );
        self.events.push(Event::Touched {
            pid: self.pid,
            region: region.text.clone(),
            from: range.start,
            to: range.end,
            access,
        });
        self.events
            .extend(mem.into_iter().map(|mem| Event::Mem { pid: self.pid, mem }));
        self.returned(faults, OpResult::Value(0));
        Ok(())
    }
}
