//! Settling: waiting after each step until every process is quiet, and
//! reaping, as init does, the controller's dead children.

use super::{readable, Kernel, Life, Res};
use crate::check::probe;
use crate::check::proto::{self, Msg};
use sim_core::scenario::ast::INIT_NAME;
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

impl Kernel {
    /// Wait until every process is quiet: no deliverable signal pending,
    /// nobody running, every death settled into a zombie (or reaped by the
    /// controller, as init reaps), every completed operation collected.
    pub fn settle(&mut self) -> Res<()> {
        let until = Instant::now() + self.limits.step;
        loop {
            self.check_time()?;
            let mut quiet = true;
            self.reap_orphans();
            let names: Vec<String> = self.procs.keys().cloned().collect();
            for name in names {
                let p = &self.procs[&name];
                if p.life == Life::Gone {
                    continue;
                }
                if let (Some(kind), Some(ctrl)) = (p.pending, p.ctrl.as_ref()) {
                    if readable(ctrl, 0) {
                        let mut buf = Vec::new();
                        match proto::recv::<Msg>(ctrl.as_fd(), &mut buf) {
                            Ok(Some((Msg::Reply(r), _))) => self.complete(&name, r, kind),
                            // The channel closed: the worker died in its
                            // operation (killed by a signal); it never returns.
                            Ok(None) | Err(_) => {
                                let p = self.procs.get_mut(&name).expect("listed");
                                p.ctrl = None;
                                p.pending = None;
                            }
                            Ok(Some((Msg::Ready(_), _))) => {}
                        }
                        quiet = false;
                        continue;
                    }
                }
                let pid = p.pid;
                match probe::stat(pid) {
                    None => {
                        let p = self.procs.get_mut(&name).expect("listed");
                        p.life = Life::Gone;
                        p.ctrl = None;
                    }
                    Some(s) if s.state == 'Z' || s.state == 'X' => {
                        let p = self.procs.get_mut(&name).expect("listed");
                        if p.life == Life::Alive {
                            p.life = Life::Zombie;
                            p.ctrl = None;
                            p.regions.clear();
                            p.fds.clear();
                            p.pending = None;
                        }
                        if s.ppid == self.me {
                            quiet = false; // the controller reaps it next round
                        }
                    }
                    Some(s) if s.state == 'R' => quiet = false,
                    // Stopped: signals other than SIGKILL and SIGCONT stay
                    // pending until it continues, so pending ones are quiet.
                    Some(s) if s.state == 'T' => {}
                    Some(_) => {
                        if let Some((pending, blocked)) = probe::signals(pid) {
                            if pending & !blocked != 0 {
                                quiet = false;
                            }
                        }
                        // Asleep now, but it may have replied between the poll
                        // above and the stat: look again.
                        let p = &self.procs[&name];
                        if let (Some(_), Some(ctrl)) = (p.pending, p.ctrl.as_ref()) {
                            if readable(ctrl, 0) {
                                quiet = false;
                            }
                        }
                    }
                }
            }
            if quiet {
                return Ok(());
            }
            if Instant::now() > until {
                return Err(self.step_timeout("the processes did not settle".into()));
            }
            std::thread::sleep(Duration::from_micros(100));
        }
    }

    /// Reap the controller's zombie children: init reaps at once.
    fn reap_orphans(&mut self) {
        loop {
            let mut status = 0;
            // Safety: waitpid writes a status into a local.
            let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
            if pid <= 0 {
                return;
            }
            if let Some(name) = self.by_pid.get(&pid).cloned() {
                if let Some(p) = self.procs.get_mut(&name) {
                    p.life = Life::Gone;
                    p.ctrl = None;
                    p.regions.clear();
                    p.fds.clear();
                    // Only init's children are the controller's to reap: a
                    // zombie whose parent died was reparented first.
                    p.parent = INIT_NAME.to_string();
                }
            }
        }
    }
}
