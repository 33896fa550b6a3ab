//! The story of a process's end: exit, death by a signal, what becomes of
//! its children, its parent told or not, wait and reaping.

use super::{ended, frames_freed, list_is_are, Teller};
use crate::engine::event::{AutoReap, Event, WaitFound};
use crate::ids::Pid;
use crate::scenario::ast::ExitStatus;
use crate::sig::Signal;
use crate::words::{agree, list, short_list};

impl Teller<'_> {
    pub(super) fn life(&self, event: &Event) -> String {
        match event {
            Event::Exited {
                pid,
                status,
                freed,
                code,
                unrun,
                closed,
                orphans,
                reaper,
            } => {
                let mut story = match code {
                    Some(code) => exit_call(self.name(*pid), *code, *status),
                    // It was killed: the sentence of the signal began it.
                    None => unrun_before_death(unrun),
                };
                let threads: Vec<String> = self
                    .before
                    .procs()
                    .find(|p| p.pid == *pid)
                    .map(|p| p.threads.iter().map(|t| t.name.to_string()).collect())
                    .unwrap_or_default();
                if !threads.is_empty() {
                    story.push_str(&format!(
                        " Its {} {} with it (the whole thread group exits).",
                        if threads.len() == 1 {
                            "thread"
                        } else {
                            "threads"
                        },
                        list_ends(&threads)
                    ));
                }
                if *freed > 0 {
                    story.push_str(&format!(
                        " Its memory is released: {}.",
                        frames_freed(*freed)
                    ));
                }
                if !closed.is_empty() {
                    story.push_str(&format!(
                        " Its fds are closed: {}.",
                        short_list(closed, closed.len())
                    ));
                }
                if !orphans.is_empty() {
                    let names: Vec<String> =
                        orphans.iter().map(|&c| self.name(c).to_string()).collect();
                    story.push_str(&format!(" {} adopted by ", list_is_are(&names)));
                    if *reaper == Pid::INIT {
                        story.push_str("init.");
                    } else {
                        story.push_str(&format!(
                            "its nearest subreaper ancestor, {}.",
                            self.name(*reaper)
                        ));
                    }
                }
                story
            }
            Event::Zombie {
                pid,
                parent,
                parent_asleep,
            } => {
                if *parent_asleep {
                    // Its wait reaps it now: that is the story.
                    String::new()
                } else {
                    format!(
                        " {} is now a zombie until {} waits for it.",
                        self.name(*pid),
                        self.name(*parent)
                    )
                }
            }
            Event::Reaped {
                parent,
                child,
                status,
                auto,
            } => self.reaped(*parent, *child, *status, *auto),
            Event::ParentNotTold {
                parent, exit: true, ..
            } => format!(" {} ignores SIGCHLD, so none is sent.", self.name(*parent)),
            Event::ParentNotTold { parent, .. } => format!(
                " {} ignores SIGCHLD (SIG_IGN), so it is not told.",
                self.name(*parent)
            ),
            Event::WaitCalled {
                pid,
                child,
                found,
                nohang,
            } => {
                let me = self.name(*pid);
                let child = child.map(|c| self.name(c));
                let call = if *nohang { "wait with WNOHANG" } else { "wait" };
                match found {
                    WaitFound::NoChild => match child {
                        Some(c) => format!("{me} calls {call} for {c}, but {c} is not a child it can still reap: wait fails with ECHILD."),
                        None => format!("{me} calls {call}, but it has no child left to reap: wait fails with ECHILD."),
                    },
                    WaitFound::Zombie { .. } => format!(
                        "{me} calls {call}{}.",
                        child.map(|c| format!(" for {c}")).unwrap_or_default()
                    ),
                    WaitFound::Running { children } => {
                        let names: Vec<String> =
                            children.iter().map(|&c| self.name(c).to_string()).collect();
                        if *nohang {
                            format!(
                                "{me} calls {call}{}, but {} still running: with WNOHANG, wait does not sleep, it returns 0 at once.",
                                child.map(|c| format!(" for {c}")).unwrap_or_default(),
                                list_is_are(&names)
                            )
                        } else {
                            format!(
                                "{me} calls wait, but {} still running, so {me} blocks until a child exits.",
                                list_is_are(&names)
                            )
                        }
                    }
                }
            }
            Event::WaitFailed { pid } => format!(
                " {} has no child left that it could reap, so wait fails with ECHILD.",
                self.name(*pid)
            ),
            _ => String::new(),
        }
    }

    fn reaped(
        &self,
        parent: Pid,
        child: Pid,
        status: ExitStatus,
        auto: Option<AutoReap>,
    ) -> String {
        let child = self.name(child);
        match auto {
            Some(AutoReap { parent, sig_ign }) => format!(
                " Because {} {}, the kernel reaps {child} at once: no zombie, and no status for wait to report.",
                self.name(parent),
                if sig_ign {
                    "set SIGCHLD to SIG_IGN"
                } else {
                    "set SA_NOCLDWAIT on SIGCHLD"
                }
            ),
            None if parent == Pid::INIT => format!(" init reaps {child} at once."),
            None => format!(
                " {} reaps {child}, which {}.",
                self.name(parent),
                ended(status)
            ),
        }
    }
}

fn exit_call(me: &str, code: i32, status: ExitStatus) -> String {
    match status {
        ExitStatus::Exited(reported) if i64::from(reported) != i64::from(code) => format!(
            "{me} calls exit({code}). Only the low 8 bits of the code survive, so its parent will see {reported}."
        ),
        _ => format!("{me} calls exit({code})."),
    }
}

/// The end of the sentence of a death by a signal: the handlers whose
/// frames were set up in this return to user mode but never ran.
fn unrun_before_death(unrun: &[Signal]) -> String {
    if unrun.is_empty() {
        return ".".into();
    }
    let n = unrun.len() as u64;
    format!(
        " before its {} {} ran: the kernel had set up {}, but the process never returned to user mode to run {}.",
        list(unrun.iter().copied()),
        agree(n, "handler", "handlers"),
        agree(n, "the frame", "their frames"),
        agree(n, "it", "them")
    )
}

/// "wk ends", "wk and wk2 end".
fn list_ends(names: &[String]) -> String {
    format!(
        "{} {}",
        crate::words::short_list(names, names.len()),
        crate::words::agree(names.len() as u64, "ends", "end")
    )
}
