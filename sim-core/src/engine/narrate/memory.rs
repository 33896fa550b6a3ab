//! The story of memory: mmap and munmap, the faults of a read or write,
//! fork's copy of the page tables, exec. Numbers and frame names come from
//! the events; the words say why.

use super::{frames_freed, Teller};
use crate::engine::event::{Event, ForkedRegion, RegionFork};
use crate::ids::{FrameId, Pid};
use crate::mm::{Access, Backing, FaultKind, MemEvent};
use crate::words::{agree, count, list, short_list, NAMED};
use crate::world::World;
use std::ops::Range;

impl Teller<'_> {
    pub(super) fn memory(&self, event: &Event, rest: &[Event]) -> String {
        match event {
            Event::Mapped {
                pid,
                region,
                pages,
                shared,
            } => mmap(self.name(*pid), region, *pages, *shared),
            Event::MapRefused { pid, region, errno } => format!(
                "{} asks for a mapping {region} of 0 pages: mmap fails with {errno}, because a mapping needs at least one page. No region {region} is made.",
                self.name(*pid)
            ),
            Event::Unmapped { pid, region, freed } => munmap(self.name(*pid), region, *freed),
            Event::Touched {
                pid,
                region,
                from,
                to,
                access,
            } => {
                // Its faults are the `mem` events right after it.
                let mem: Vec<MemEvent> = rest
                    .iter()
                    .map_while(|e| match e {
                        Event::Mem { pid: p, mem } if p == pid => Some(mem.clone()),
                        _ => None,
                    })
                    .collect();
                let shared = self
                    .before
                    .proc(*pid)
                    .mm
                    .region(region)
                    .is_some_and(|r| matches!(r.backing, Backing::Shared { .. }));
                touch(
                    self.after,
                    *pid,
                    self.name(*pid),
                    region,
                    *from..*to,
                    *access,
                    shared,
                    &mem,
                )
            }
            Event::Forked {
                parent,
                child,
                name,
                copied,
                regions,
                inherited,
                cloexec,
            } => {
                let mut story = fork(self.name(*parent), name, *child, *copied, regions);
                if !inherited.is_empty() {
                    story.push_str(&format!(
                        " {name} inherits {}: each end now has one more open fd.",
                        inherited.join(", ")
                    ));
                }
                if !cloexec.is_empty() {
                    story.push_str(&format!(
                        " {} {} close-on-exec in {name} too: the flag is copied with the fd.",
                        short_list(cloexec, cloexec.len()),
                        agree(cloexec.len() as u64, "is", "are")
                    ));
                }
                story
            }
            Event::Exec {
                pid,
                program,
                freed,
                keeps_fds,
                cloexec_closed,
            } => {
                let mut story = exec(self.name(*pid), program, *freed);
                story.push_str(match (*cloexec_closed > 0, *keeps_fds) {
                    (true, true) => {
                        " exec closes its close-on-exec fds; its other open fds survive."
                    }
                    (true, false) => " exec closes its fds: every one was close-on-exec.",
                    (false, true) => " Its open fds survive exec.",
                    (false, false) => "",
                });
                story
            }
            Event::ThreadMade {
                pid,
                tid,
                name,
                regions,
                fds,
            } => {
                let me = self.name(*pid);
                format!(
                    "{me} starts thread {name}, tid {tid}: clone(CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|...) makes a new task in {me}'s thread group, not a new process. {name} runs in {me}'s address space: the same page tables ({}) and so the same frames, nothing copied, no copy-on-write; the same fd table ({}) and signal handlers. getpid() in {name} is still {pid}.",
                    count(u64::from(*regions), "region", "regions"),
                    count(u64::from(*fds), "fd", "fds"),
                )
            }
            _ => String::new(),
        }
    }
}

fn mmap(me: &str, region: &str, pages: u32, shared: bool) -> String {
    let kind = if shared {
        "shared anonymous"
    } else {
        "private anonymous"
    };
    format!(
        "{me} maps {region}: {} of {kind} memory. Nothing is allocated yet: every page is absent until it is touched.",
        count(u64::from(pages), "page", "pages")
    )
}

fn munmap(me: &str, region: &str, freed: u32) -> String {
    if freed == 0 {
        format!("{me} unmaps {region}; no frame was freed (none was its alone).")
    } else {
        format!("{me} unmaps {region}: {}.", frames_freed(freed))
    }
}

fn range_text(region: &str, range: Range<u32>) -> String {
    if range.len() == 1 {
        format!("{region}[{}]", range.start)
    } else {
        format!("{region}[{}..{}]", range.start, range.end)
    }
}

/// Who else maps `frame` at `region[page]`, by name, in pid order (only as
/// many as `words::short_list` shows), and how many there are. A frame is
/// shared only by fork, so each other map of it is another process's same
/// page, and the frame's map count tells how many there are without
/// looking at every process.
fn others(world: &World, me: Pid, region: &str, page: u32, frame: FrameId) -> (Vec<String>, u32) {
    let total = world.frames().mapcount(frame);
    let names = world
        .procs()
        .filter(|p| p.pid != me)
        .filter(|p| {
            p.mm.region(region)
                .is_some_and(|r| page < r.pages() && r.ptes.get(page).frame() == Some(frame))
        })
        .map(|p| p.name.to_string())
        // No more than `total` can match: stop once they are all found.
        .take(NAMED.min(total as usize))
        .collect();
    (names, total)
}

#[allow(clippy::too_many_arguments)]
fn touch(
    world: &World,
    me_pid: Pid,
    me: &str,
    region: &str,
    range: Range<u32>,
    access: Access,
    shared: bool,
    events: &[MemEvent],
) -> String {
    let verb = match access {
        Access::Read => "reads",
        Access::Write => "writes",
    };
    let what = range_text(region, range.clone());
    let faults = MemEvent::faults(events);
    let around: Vec<u32> = events
        .iter()
        .flat_map(|e| match e {
            MemEvent::FaultAround { pages, .. } => pages.clone(),
            MemEvent::Faults { .. } => Vec::new(),
        })
        .collect();
    let mut text = if faults.is_empty() {
        let why = match (access, shared) {
            (Access::Read, _) => "already mapped, so the CPU reads without the kernel's help",
            (Access::Write, true) => "a shared mapping is mapped writable, so the write goes straight to the shared frame",
            (Access::Write, false) => "already mapped writable, so the write needs no help from the kernel",
        };
        format!("{me} {verb} {what}: {why}. No fault.")
    } else if let [(page, fault)] = faults[..] {
        format!(
            "{me} {verb} {what}: {}",
            one_fault(world, me_pid, me, region, page, fault)
        )
    } else {
        let untouched = if range.len() > faults.len() {
            format!(
                " ({} already mapped took none)",
                count(range.len() as u64 - faults.len() as u64, "page", "pages")
            )
        } else {
            String::new()
        };
        format!(
            "{me} {verb} {what}: {}{untouched}. {}",
            count(faults.len() as u64, "fault", "faults"),
            summary(&faults)
        )
    };
    if !around.is_empty() {
        let list: Vec<String> = around.iter().map(u32::to_string).collect();
        text.push_str(&format!(
            " Fault-around also maps {} {} of the same 64 KiB block, which already exist, without a fault.",
            agree(around.len() as u64, "page", "pages"),
            list.join(", ")
        ));
    }
    text
}

fn one_fault(
    world: &World,
    me_pid: Pid,
    me: &str,
    region: &str,
    page: u32,
    fault: FaultKind,
) -> String {
    match fault {
        FaultKind::ZeroPage => "the page was never touched, so the kernel maps the shared zero page, read-only (1 fault). A write will fault again.".into(),
        FaultKind::ZeroFill { frame } => {
            format!("the page was never touched, so the kernel gives it a fresh zeroed frame, {frame} (1 fault).")
        }
        FaultKind::ZeroPageReplaced { frame } => format!(
            "the page maps the read-only zero page, so the kernel gives it a fresh zeroed frame, {frame} (1 fault)."
        ),
        FaultKind::CowCopy { from, to } => {
            let (others, total) = others(world, me_pid, region, page, from);
            let keep = match others.as_slice() {
                [] => String::new(),
                [one] => format!(", {one} keeps {from}, which is now its alone"),
                [a, b] => format!(", {a} and {b} keep {from}"),
                many => format!("; {} keep {from}", short_list(many, total as usize)),
            };
            format!("the frame is shared, so the kernel copies it (1 fault); {me} now has frame {to}{keep}.")
        }
        FaultKind::Reuse { frame } => format!(
            "{frame} is write-protected, but no one else maps it any more, so the kernel reuses it without copying and makes it writable (1 fault)."
        ),
        FaultKind::ShmNew { frame } => {
            format!("the shared page did not exist yet: the kernel allocates {frame} in the shared object and maps it writable (1 fault).")
        }
        FaultKind::ShmExisting { frame } => format!(
            "the shared object already holds this page in {frame}; the kernel maps it writable, the same frame other processes see (1 fault)."
        ),
    }
}

fn frame_span(frames: &[FrameId]) -> String {
    match frames {
        [] => String::new(),
        [one] => format!(" ({one})"),
        [first, .., last] if last.0 - first.0 + 1 == frames.len() as u32 => {
            format!(" ({first}–{last})")
        }
        [first, ..] => format!(" ({first}, ...)"),
    }
}

/// "8 untouched pages get fresh zeroed frames (F1–F8); 2 shared frames are copied."
fn summary(faults: &[(u32, FaultKind)]) -> String {
    let mut zero_page = 0u64;
    let mut fresh = Vec::new();
    let mut replaced = Vec::new();
    let mut copied = Vec::new();
    let mut reused = 0u64;
    let mut shm_new = Vec::new();
    let mut shm_existing = 0u64;
    for (_, fault) in faults {
        match *fault {
            FaultKind::ZeroPage => zero_page += 1,
            FaultKind::ZeroFill { frame } => fresh.push(frame),
            FaultKind::ZeroPageReplaced { frame } => replaced.push(frame),
            FaultKind::CowCopy { to, .. } => copied.push(to),
            FaultKind::Reuse { .. } => reused += 1,
            FaultKind::ShmNew { frame } => shm_new.push(frame),
            FaultKind::ShmExisting { .. } => shm_existing += 1,
        }
    }
    let mut parts = Vec::new();
    if zero_page > 0 {
        parts.push(format!(
            "{} the shared zero page, read-only",
            count(zero_page, "untouched page maps", "untouched pages map")
        ));
    }
    if !fresh.is_empty() {
        parts.push(format!(
            "{} fresh zeroed frames{}",
            count(
                fresh.len() as u64,
                "untouched page gets",
                "untouched pages get"
            ),
            frame_span(&fresh)
        ));
    }
    if !replaced.is_empty() {
        parts.push(format!(
            "{} the zero page get fresh frames{}",
            count(
                replaced.len() as u64,
                "page that mapped",
                "pages that mapped"
            ),
            frame_span(&replaced)
        ));
    }
    if !copied.is_empty() {
        parts.push(format!(
            "{} shared, so the kernel copies {}{}",
            count(copied.len() as u64, "frame is", "frames are"),
            agree(copied.len() as u64, "it", "them"),
            frame_span(&copied)
        ));
    }
    if reused > 0 {
        parts.push(format!(
            "{} no one else maps any more, so the kernel reuses {} without copying",
            count(reused, "write-protected frame", "write-protected frames"),
            agree(reused, "it", "them")
        ));
    }
    if !shm_new.is_empty() {
        parts.push(format!(
            "{} allocated in the shared object{}",
            count(shm_new.len() as u64, "shared page is", "shared pages are"),
            frame_span(&shm_new)
        ));
    }
    if shm_existing > 0 {
        parts.push(format!(
            "{} of the shared object mapped",
            count(shm_existing, "existing page is", "existing pages are")
        ));
    }
    let mut text = crate::words::capitalized(&parts.join("; "));
    text.push('.');
    text
}

fn fork(me: &str, child: &str, pid: Pid, copied: u64, regions: &[ForkedRegion]) -> String {
    let mut text = format!("{me} forks {child} (pid {pid}). ");
    if regions.is_empty() {
        text.push_str("There is no memory to share yet.");
        return text;
    }
    let copied_regions: Vec<&str> = regions
        .iter()
        .filter(|r| r.fork == RegionFork::Copied)
        .map(|r| r.region.as_str())
        .collect();
    if copied > 0 {
        text.push_str(&format!(
            "The kernel copies page tables, not pages: {} of {} now {} in both, and each entry is write-protected in both, so the first write by either side faults.",
            count(copied, "entry", "entries"),
            list(&copied_regions),
            agree(copied, "maps the same frame", "map the same frames")
        ));
    } else {
        text.push_str("No page-table entry needed copying.");
    }
    let skipped: Vec<&str> = regions
        .iter()
        .filter(|r| r.fork == RegionFork::NeverWritten)
        .map(|r| r.region.as_str())
        .collect();
    if !skipped.is_empty() {
        text.push_str(&format!(
            " {} {} never written, so fork does not copy {} entries: {child} will fault its pages in itself.",
            list(&skipped),
            agree(skipped.len() as u64, "was", "were"),
            agree(skipped.len() as u64, "its", "their")
        ));
    }
    let shared: Vec<&str> = regions
        .iter()
        .filter(|r| r.fork == RegionFork::Shared)
        .map(|r| r.region.as_str())
        .collect();
    if !shared.is_empty() {
        text.push_str(&format!(
            " {} {} shared: {child} gets an empty page table for {} and will fault in the same frames.",
            list(&shared),
            agree(shared.len() as u64, "is", "are"),
            agree(shared.len() as u64, "it", "them")
        ));
    }
    text
}

fn exec(me: &str, program: &str, freed: u32) -> String {
    let mut text = format!("{me} execs {program}: its whole address space is replaced, so any sharing with other processes ends here.");
    if freed > 0 {
        text.push_str(&format!(
            " {} {} freed.",
            count(freed, "frame", "frames"),
            agree(freed, "was", "were")
        ));
    }
    text
}
