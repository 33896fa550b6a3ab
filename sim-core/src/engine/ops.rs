//! What each statement does to the world: the rules of fork, exec, exit,
//! wait and memory access, and the events they cause.

use super::narrate;
use crate::ids::Pid;
use crate::mm::{self, Access, AddressSpace, Backing, MemEvent, Region};
use crate::proc::{BlockedOn, LastOp, ProcState, WaitStatus};
use crate::profile::KernelProfile;
use crate::scenario::ast::{
    ExitStatus, Name, Op, OpResult, PageRange, Pos, Statement, StatementKind,
};
use crate::scenario::error::suggest;
use crate::scenario::{ErrorKind, ScenarioError};
use crate::world::World;
use serde::Serialize;
use std::sync::Arc;

/// Something that happened in a step, in the order it happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "event")]
pub enum Event {
    /// A `process` statement: a new child of init.
    Started { pid: Pid, name: String },
    Mapped {
        pid: Pid,
        region: String,
        pages: u32,
        shared: bool,
    },
    Unmapped {
        pid: Pid,
        region: String,
        freed: u32,
    },
    /// A fault or fault-around in `pid`.
    Mem { pid: Pid, mem: MemEvent },
    /// fork: `copied` page-table entries were copied into the child.
    Forked {
        parent: Pid,
        child: Pid,
        name: String,
        copied: u64,
    },
    /// exec: the old address space was released.
    Exec {
        pid: Pid,
        program: String,
        freed: u32,
    },
    /// The process exited (became a zombie) and its memory was released.
    Exited {
        pid: Pid,
        status: ExitStatus,
        freed: u32,
    },
    /// An orphan was adopted.
    Reparented { pid: Pid, parent: Pid },
    /// A zombie was reaped by `parent` (init reaps at once).
    Reaped {
        parent: Pid,
        child: Pid,
        status: ExitStatus,
    },
    /// The process entered a blocking call that cannot complete yet.
    Blocked { pid: Pid },
    /// A blocked call completed.
    Woken { pid: Pid, result: OpResult },
    /// The operation returned.
    Returned { pid: Pid, result: OpResult },
}

type Outcome = (Vec<Event>, String);

/// Apply one `process` or operation statement.
pub fn apply(
    world: &mut World,
    stmt: &Statement,
    step: u32,
    profile: &KernelProfile,
) -> Result<Outcome, ScenarioError> {
    let at = |kind| ScenarioError::new(stmt.pos, kind);
    match &stmt.kind {
        StatementKind::Process { name } => {
            unused_name(world, name)?;
            let pid = world.spawn(
                name.as_str(),
                Pid::INIT,
                AddressSpace::default(),
                stmt.pos.line,
            );
            Ok((
                vec![Event::Started {
                    pid,
                    name: name.text.clone(),
                }],
                format!("init starts {name}, pid {pid}: a process with an empty address space."),
            ))
        }
        StatementKind::Op { actor, op } => {
            let pid = actor_pid(world, actor)?;
            let mut cx = Cx {
                world,
                pid,
                step,
                profile,
                events: Vec::new(),
                pos: stmt.pos,
            };
            let narration = cx.op(op).map_err(at)?;
            Ok((cx.events, narration))
        }
        StatementKind::Say { .. } | StatementKind::Expect { .. } => {
            unreachable!("the engine hands only process and operation statements to apply")
        }
    }
}

fn unknown_process(world: &World, name: &Name) -> ErrorKind {
    ErrorKind::UnknownProcess {
        name: name.text.clone(),
        suggestion: suggest(name.as_str(), world.names()),
    }
}

/// The pid of a process that can act now.
fn actor_pid(world: &World, actor: &Name) -> Result<Pid, ScenarioError> {
    let at = |kind| ScenarioError::new(actor.pos, kind);
    let pid = world
        .pid_of(actor.as_str())
        .filter(|p| *p != Pid::INIT)
        .ok_or_else(|| at(unknown_process(world, actor)))?;
    let proc = world.proc(pid);
    match &proc.state {
        ProcState::Running => Ok(pid),
        ProcState::Blocked { on, pos, .. } => Err(at(ErrorKind::ProcessBlocked {
            process: actor.text.clone(),
            op: match on {
                BlockedOn::Wait { .. } => "wait".into(),
                BlockedOn::Io { op, .. } => match op {
                    crate::proc::IoOp::Send { .. } => "send".into(),
                    crate::proc::IoOp::Recv { .. } => "recv".into(),
                },
            },
            since_line: pos.line,
        })),
        ProcState::Stopped { by } => Err(at(ErrorKind::ProcessGone {
            process: actor.text.clone(),
            why: format!("it is stopped by {by} until SIGCONT"),
        })),
        ProcState::Zombie { status } | ProcState::Gone { status } => {
            Err(at(ErrorKind::ProcessGone {
                process: actor.text.clone(),
                why: format!("it has {}", narrate::ended(status.decode())),
            }))
        }
    }
}

fn unused_name(world: &World, name: &Name) -> Result<(), ScenarioError> {
    if world.pid_of(name.as_str()).is_some() {
        let first_line = first_line_of(world, name);
        return Err(ScenarioError::new(
            name.pos,
            ErrorKind::DuplicateName {
                name: name.text.clone(),
                first_line,
            },
        ));
    }
    Ok(())
}

fn first_line_of(world: &World, name: &Name) -> u32 {
    world
        .pid_of(name.as_str())
        .map_or(0, |pid| world.proc(pid).born_line)
}

/// The context of one operation.
struct Cx<'a> {
    world: &'a mut World,
    pid: Pid,
    step: u32,
    profile: &'a KernelProfile,
    events: Vec<Event>,
    pos: Pos,
}

impl Cx<'_> {
    fn name(&self, pid: Pid) -> String {
        self.world.name_of(pid).to_string()
    }

    fn me(&self) -> String {
        self.name(self.pid)
    }

    /// Record that the actor's operation returned `result` after `faults`.
    fn returned(&mut self, faults: u64, result: OpResult) {
        let step = self.step;
        let proc = self.world.proc_mut(self.pid);
        proc.faults += faults;
        proc.last_op = Some(LastOp {
            step,
            faults,
            result: Some(result),
        });
        self.events.push(Event::Returned {
            pid: self.pid,
            result,
        });
    }

    fn op(&mut self, op: &Op) -> Result<String, ErrorKind> {
        match op {
            Op::Mmap {
                region,
                pages,
                shared,
            } => self.mmap(region, *pages, *shared),
            Op::Munmap { region } => self.munmap(region),
            Op::Read { region, range } => self.touch(region, *range, Access::Read),
            Op::Write { region, range } => self.touch(region, *range, Access::Write),
            Op::Fork { child } => self.fork(child),
            Op::Exec { program } => self.exec(program),
            Op::Exit { code } => self.exit(*code),
            Op::Wait { child } => self.wait(child.as_ref()),
            other => Err(ErrorKind::NotSupportedYet {
                what: format!(
                    "{} (pipes, sockets and signals arrive with the IPC issue)",
                    other.keyword()
                ),
            }),
        }
    }

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

    fn mmap(&mut self, region: &Name, pages: u32, shared: bool) -> Result<String, ErrorKind> {
        let proc = self.world.proc(self.pid);
        if proc.mm.region(region.as_str()).is_some() {
            let first_line = proc.mm.region(region.as_str()).map_or(0, |r| r.line);
            return Err(ErrorKind::DuplicateName {
                name: region.text.clone(),
                first_line,
            });
        }
        let backing = if shared {
            Backing::Shared {
                shm: self.world.frames.new_shm(pages),
            }
        } else {
            Backing::Private { anon_vma: false }
        };
        let name: Arc<str> = Arc::from(region.as_str());
        self.world.proc_mut(self.pid).mm.regions.push(Region {
            name,
            backing,
            ptes: mm::pvec::PVec::new(pages),
            line: self.pos.line,
        });
        self.events.push(Event::Mapped {
            pid: self.pid,
            region: region.text.clone(),
            pages,
            shared,
        });
        self.returned(0, OpResult::Value(0));
        Ok(narrate::mmap(&self.me(), region.as_str(), pages, shared))
    }

    fn munmap(&mut self, region: &Name) -> Result<String, ErrorKind> {
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
        Ok(narrate::munmap(&self.me(), region.as_str(), freed))
    }

    fn touch(
        &mut self,
        region: &Name,
        range: PageRange,
        access: Access,
    ) -> Result<String, ErrorKind> {
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
        let me = self.me();
        let narration = narrate::touch(
            self.world,
            self.pid,
            &me,
            region.as_str(),
            range,
            access,
            &mem,
        );
        self.events
            .extend(mem.into_iter().map(|mem| Event::Mem { pid: self.pid, mem }));
        self.returned(faults, OpResult::Value(0));
        Ok(narration)
    }

    fn fork(&mut self, child: &Name) -> Result<String, ErrorKind> {
        if self.world.pid_of(child.as_str()).is_some() {
            return Err(ErrorKind::DuplicateName {
                name: child.text.clone(),
                first_line: first_line_of(self.world, child),
            });
        }
        let (proc, frames) = self.world.proc_and_frames(self.pid);
        let (child_mm, copied) = mm::fork(frames, &mut proc.mm);
        let regions: Vec<(String, Backing)> = proc
            .mm
            .regions
            .iter()
            .map(|r| (r.name.to_string(), r.backing))
            .collect();
        let child_pid = self
            .world
            .spawn(child.as_str(), self.pid, child_mm, self.pos.line);
        // The child returns 0 from fork; its fault counter starts at 0.
        let step = self.step;
        self.world.proc_mut(child_pid).last_op = Some(LastOp {
            step,
            faults: 0,
            result: Some(OpResult::Value(0)),
        });
        self.events.push(Event::Forked {
            parent: self.pid,
            child: child_pid,
            name: child.text.clone(),
            copied,
        });
        self.returned(0, OpResult::Value(i64::from(child_pid.0)));
        Ok(narrate::fork(
            &self.me(),
            child.as_str(),
            child_pid,
            copied,
            &regions,
        ))
    }

    fn exec(&mut self, program: &str) -> Result<String, ErrorKind> {
        let (proc, frames) = self.world.proc_and_frames(self.pid);
        let old = std::mem::take(&mut proc.mm);
        let freed = mm::release(frames, old);
        proc.program = Arc::from(program);
        self.events.push(Event::Exec {
            pid: self.pid,
            program: program.to_string(),
            freed,
        });
        self.returned(0, OpResult::Value(0));
        Ok(narrate::exec(&self.me(), program, freed))
    }

    fn exit(&mut self, code: i32) -> Result<String, ErrorKind> {
        let status = WaitStatus::exited(code);
        let step = self.step;
        {
            let proc = self.world.proc_mut(self.pid);
            proc.last_op = Some(LastOp {
                step,
                faults: 0,
                result: None,
            });
        }
        let mut story = narrate::exit_call(&self.me(), code, status.decode());
        story.push_str(&self.die(self.pid, status));
        Ok(story)
    }

    /// `pid` dies with `status`: its memory is released, its children are
    /// adopted by init, it becomes a zombie, and its parent is told.
    fn die(&mut self, pid: Pid, status: WaitStatus) -> String {
        let mut story = String::new();
        let (proc, frames) = self.world.proc_and_frames(pid);
        let old = std::mem::take(&mut proc.mm);
        let freed = mm::release(frames, old);
        proc.state = ProcState::Zombie { status };
        let parent = proc.parent;
        self.events.push(Event::Exited {
            pid,
            status: status.decode(),
            freed,
        });
        if freed > 0 {
            story.push_str(&format!(
                " Its memory is released: {}.",
                narrate::frames_freed(freed)
            ));
        }
        // Orphans go to init (kernel/exit.c forget_original_parent), which
        // reaps zombies among them at once.
        let orphans = self.world.children(pid);
        if !orphans.is_empty() {
            let names: Vec<String> = orphans.iter().map(|&c| self.name(c)).collect();
            story.push_str(&format!(
                " {} adopted by init.",
                narrate::list_is_are(&names)
            ));
        }
        for orphan in orphans {
            self.world.proc_mut(orphan).parent = Pid::INIT;
            self.events.push(Event::Reparented {
                pid: orphan,
                parent: Pid::INIT,
            });
            if let ProcState::Zombie { status } = self.world.proc(orphan).state {
                story.push_str(&self.reap(Pid::INIT, orphan, status));
            }
        }
        story.push_str(&self.notify_parent(parent, pid, status));
        story
    }

    /// The parent learns of a child's death: init reaps at once; a parent
    /// blocked in a matching wait is woken and reaps; otherwise the child
    /// stays a zombie.
    fn notify_parent(&mut self, parent: Pid, child: Pid, status: WaitStatus) -> String {
        if parent == Pid::INIT {
            return self.reap(Pid::INIT, child, status);
        }
        let waiting = match &self.world.proc(parent).state {
            ProcState::Blocked {
                on: BlockedOn::Wait { child: wanted },
                ..
            } => wanted.is_none_or(|w| w == child),
            _ => false,
        };
        if waiting {
            let mut story = format!(" {} was blocked in wait, so it wakes up", self.name(parent));
            story.push_str(&self.reap(parent, child, status));
            let result = OpResult::Value(i64::from(child.0));
            let p = self.world.proc_mut(parent);
            p.state = ProcState::Running;
            if let Some(last) = &mut p.last_op {
                last.result = Some(result);
            }
            self.events.push(Event::Woken {
                pid: parent,
                result,
            });
            story
        } else {
            format!(
                " {} is now a zombie until {} waits for it.",
                self.name(child),
                self.name(parent)
            )
        }
    }

    /// `parent` reaps the zombie `child`.
    fn reap(&mut self, parent: Pid, child: Pid, status: WaitStatus) -> String {
        self.world.proc_mut(child).state = ProcState::Gone { status };
        let decoded = status.decode();
        if parent != Pid::INIT {
            self.world.proc_mut(parent).last_reaped = Some(decoded);
        }
        self.events.push(Event::Reaped {
            parent,
            child,
            status: decoded,
        });
        if parent == Pid::INIT {
            format!(" init reaps {} at once.", self.name(child))
        } else {
            format!(
                " and reaps {}: {}.",
                self.name(child),
                narrate::ended(decoded)
            )
        }
    }

    fn wait(&mut self, child: Option<&Name>) -> Result<String, ErrorKind> {
        let me = self.me();
        let wanted = match child {
            Some(name) => Some(
                self.world
                    .pid_of(name.as_str())
                    .filter(|p| *p != Pid::INIT)
                    .ok_or_else(|| unknown_process(self.world, name))?,
            ),
            None => None,
        };
        let children: Vec<Pid> = self
            .world
            .children(self.pid)
            .into_iter()
            .filter(|c| wanted.is_none_or(|w| w == *c))
            .collect();
        if children.is_empty() {
            self.returned(0, OpResult::Error(crate::errno::Errno::ECHILD));
            return Ok(narrate::wait_echild(&me, child.map(|c| c.as_str())));
        }
        let zombie = children
            .iter()
            .copied()
            .find_map(|c| match self.world.proc(c).state {
                ProcState::Zombie { status } => Some((c, status)),
                _ => None,
            });
        match zombie {
            Some((c, status)) => {
                self.returned(0, OpResult::Value(i64::from(c.0)));
                let mut story = format!("{me} calls wait");
                story.push_str(&self.reap(self.pid, c, status));
                Ok(story)
            }
            None => {
                let step = self.step;
                let pos = self.pos;
                let p = self.world.proc_mut(self.pid);
                p.state = ProcState::Blocked {
                    on: BlockedOn::Wait { child: wanted },
                    since_step: step,
                    pos,
                };
                p.last_op = Some(LastOp {
                    step,
                    faults: 0,
                    result: None,
                });
                self.events.push(Event::Blocked { pid: self.pid });
                let names: Vec<String> = children.iter().map(|&c| self.name(c)).collect();
                Ok(narrate::wait_blocks(&me, &names))
            }
        }
    }
}
