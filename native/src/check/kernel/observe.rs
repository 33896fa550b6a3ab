//! Observing: the machine as /proc and pagemap show it after a step.

use super::{Kernel, Life};
use crate::check::probe;
use sim_core::ipc::end_name::{EndName, Which};
use sim_core::observe::{Observation, PageObs, ProcObs};
use sim_core::scenario::ast::{StateName, INIT_NAME};
use sim_core::sig::Signal;
use std::collections::BTreeMap;

impl Kernel {
    /// The parent's name as a scenario says it.
    fn parent_name(&self, ppid: i32) -> String {
        if ppid == self.me || ppid <= 1 {
            INIT_NAME.to_string()
        } else {
            self.by_pid
                .get(&ppid)
                .cloned()
                .unwrap_or_else(|| INIT_NAME.to_string())
        }
    }

    fn observe_pages(&self, pid: i32, addr: u64, pages: u32) -> Vec<PageObs> {
        let entries = probe::pagemap(pid, addr, pages as usize).unwrap_or_default();
        let (Some(zero), Some(_)) = (self.zero, &self.kpc) else {
            // Without privilege: no PFN; the exclusive bit says 1 user or more.
            return entries
                .iter()
                .map(|e| match (e.present(), e.exclusive()) {
                    (false, _) => PageObs::Absent,
                    (true, true) => PageObs::Frame { frame: 0, users: 1 },
                    (true, false) => PageObs::Frame { frame: 0, users: 2 },
                })
                .collect();
        };
        // Map counts are filled in by `fill_users`, for every region at once.
        entries
            .iter()
            .map(|e| {
                if !e.present() {
                    PageObs::Absent
                } else if e.pfn() == zero {
                    PageObs::Zero
                } else {
                    PageObs::Frame {
                        frame: e.pfn(),
                        users: 0,
                    }
                }
            })
            .collect()
    }

    /// Read the map count of every frame `obs` shows from /proc/kpagecount,
    /// in one batched pass: a frame several processes share is read once.
    fn fill_users(&self, obs: &mut Observation) {
        let (Some(_), Some(kpc)) = (self.zero, &self.kpc) else {
            return; // frame numbers hidden: `observe_pages` used the exclusive bit
        };
        // `users_of` sorts and merges the frames itself, and answers in the
        // order asked: the same walk over the pages hands the counts back.
        let frames: Vec<u64> = obs
            .processes
            .values()
            .flat_map(|p| p.regions.values().flatten())
            .filter_map(|page| match page {
                PageObs::Frame { frame, .. } => Some(*frame),
                _ => None,
            })
            .collect();
        let mut users = kpc.users_of(&frames).into_iter();
        for p in obs.processes.values_mut() {
            for page in p.regions.values_mut().flatten() {
                if let PageObs::Frame { users: n, .. } = page {
                    *n = users.next().expect("one count per frame asked") as u32;
                }
            }
        }
    }

    /// The machine as it is now.
    pub fn observe(&mut self) -> Observation {
        let mut obs = Observation::default();
        let names: Vec<String> = self.procs.keys().cloned().collect();
        for name in &names {
            let p = &self.procs[name];
            let stat = if p.life == Life::Gone {
                None
            } else {
                probe::stat(p.pid)
            };
            let parent = match stat {
                Some(s) => self.parent_name(s.ppid),
                None => p.parent.clone(),
            };
            let state = match p.life {
                Life::Gone => StateName::Gone,
                Life::Zombie => StateName::Zombie,
                // /proc state T: stopped by a stop signal (not 't', traced).
                Life::Alive if stat.is_some_and(|s| s.state == 'T') => StateName::Stopped,
                Life::Alive if p.pending.is_some() => StateName::Blocked,
                Life::Alive => StateName::Running,
            };
            let regions = if p.life == Life::Alive {
                p.regions
                    .iter()
                    .map(|(r, (addr, pages))| (r.clone(), self.observe_pages(p.pid, *addr, *pages)))
                    .collect()
            } else {
                BTreeMap::new()
            };
            let words = if p.life == Life::Alive {
                probe::published(p.pid, p.published)
            } else {
                None
            };
            let mut last_op = p.last_op.clone();
            if let (Some(last), Some(_), Some(w), Some(s)) = (&mut last_op, p.pending, &words, stat)
            {
                last.faults = s.minflt.saturating_sub(w[65]);
            }
            let handled: BTreeMap<Signal, u64> = match words {
                Some(w) => (1..65u8)
                    .filter(|&n| w[n as usize] > 0)
                    .filter_map(|n| Signal::from_number(n).map(|s| (s, w[n as usize])))
                    .collect(),
                None => p.handled.clone(),
            };
            obs.processes.insert(
                name.clone(),
                ProcObs {
                    state,
                    parent: parent.clone(),
                    regions,
                    last_op,
                    handled: handled.clone(),
                    last_reaped: p.last_reaped,
                },
            );
            let p = self.procs.get_mut(name).expect("listed");
            p.parent = parent;
            p.handled = handled;
        }
        let mut ends: BTreeMap<String, (i32, i32)> = BTreeMap::new();
        for p in self.procs.values().filter(|p| p.life == Life::Alive) {
            for (key, fd) in &p.fds {
                ends.entry(key.clone()).or_insert((p.pid, *fd));
            }
        }
        for (key, (pid, fd)) in ends {
            let Some(n) = probe::fionread(pid, fd).filter(|&n| n > 0) else {
                continue;
            };
            // FIONREAD on either end of a pipe counts the same buffers
            // (pipe_ioctl), so an end nobody holds any more is seen through
            // the other. A socket's count is its own receive queue, purged
            // when its last fd is closed (unix_release_sock).
            let pipe = EndName::parse(&key).filter(|e| matches!(e.which, Which::Pipe(_)));
            if let Some(pipe) = pipe {
                for which in Which::PIPE {
                    obs.queued
                        .insert(EndName::new(pipe.object, which).to_string(), n);
                }
            } else {
                obs.queued.insert(key, n);
            }
        }
        self.fill_users(&mut obs);
        self.last = obs.clone();
        obs
    }

    /// The observation from before `process`'s last operation.
    pub fn before_last_op(&self, process: &str) -> Option<&Observation> {
        self.procs.get(process).map(|p| &p.before)
    }
}
