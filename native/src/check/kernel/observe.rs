//! Observing: the machine as /proc and pagemap show it after a step, and
//! each worker's published counters.

use super::{snapshot, KProc, Kernel, Life};
use crate::check::nofile;
use crate::check::probe;
use crate::check::worker::PAGE;
use sim_core::ipc::end_name::{EndName, Which};
use sim_core::observe::{FdObs, Observation, PageObs, ProcObs};
use sim_core::scenario::ast::{StateName, INIT_NAME};
use sim_core::sig::Signal;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use std::time::Duration;

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

    /// Without privilege: no PFN; the exclusive bit says 1 user or more.
    fn observe_pages_unprivileged(&self, pid: i32, addr: u64, pages: u32) -> Vec<PageObs> {
        probe::pagemap(pid, addr, pages as usize)
            .unwrap_or_default()
            .iter()
            .map(|e| match (e.present(), e.exclusive()) {
                (false, _) => PageObs::Absent,
                (true, true) => PageObs::Frame { frame: 0, users: 1 },
                (true, false) => PageObs::Frame { frame: 0, users: 2 },
            })
            .collect()
    }

    /// The pages of every live process's regions, by (process, region), as
    /// one consistent reading of pagemap and /proc/kpagecount (snapshot.rs:
    /// the kernel migrates pages between the two reads); and the pages that
    /// gave no consistent reading, shown as absent here and not judged.
    fn observe_all_pages(
        &self,
    ) -> (
        BTreeMap<(String, String), Vec<PageObs>>,
        snapshot::Unsettled,
    ) {
        let places: Vec<(&String, &String, i32, u64, u32)> = self
            .procs
            .iter()
            .filter(|(_, p)| p.life == Life::Alive)
            .flat_map(|(name, p)| {
                p.regions
                    .iter()
                    .map(move |(r, &(addr, pages))| (name, r, p.pid, addr, pages))
            })
            .collect();
        let mut out = BTreeMap::new();
        let (Some(zero), Some(kpc)) = (self.zero, &self.kpc) else {
            for &(name, region, pid, addr, pages) in &places {
                let pages = self.observe_pages_unprivileged(pid, addr, pages);
                out.insert((name.clone(), region.clone()), pages);
            }
            return (out, snapshot::Unsettled::new());
        };
        let sizes: Vec<u32> = places.iter().map(|p| p.4).collect();
        let snap = snapshot::read(
            &sizes,
            zero,
            |r, first, n| {
                let (_, _, pid, addr, _) = places[r];
                probe::pagemap(pid, addr + u64::from(first) * PAGE as u64, n as usize).ok()
            },
            |frames| kpc.users_of(frames),
            |round| std::thread::sleep(Duration::from_millis(1 << round.min(4))),
        );
        for (r, entries) in snap.entries.iter().enumerate() {
            let (name, region, ..) = places[r];
            let pages = entries
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    if !e.present() || snap.unsettled.contains(&(r, i as u32)) {
                        PageObs::Absent
                    } else if e.pfn() == zero {
                        PageObs::Zero
                    } else {
                        PageObs::Frame {
                            frame: e.pfn(),
                            users: snap.counts.get(&e.pfn()).copied().unwrap_or(0) as u32,
                        }
                    }
                })
                .collect();
            out.insert((name.clone(), region.clone()), pages);
        }
        let unsettled = snap
            .unsettled
            .iter()
            .map(|&(r, i)| (places[r].0.clone(), places[r].1.clone(), i))
            .collect();
        (out, unsettled)
    }

    /// The machine as it is now.
    pub fn observe(&mut self) -> Observation {
        let mut obs = Observation::default();
        let (mut pages, unsettled) = self.observe_all_pages();
        let mut faults = BTreeMap::new();
        let names: Vec<String> = self.procs.keys().cloned().collect();
        for name in &names {
            let p = &self.procs[name];
            let stat = if p.life == Life::Gone {
                None
            } else {
                probe::stat(p.pid)
            };
            if let Some(s) = stat {
                faults.insert(name.clone(), s.minflt);
            }
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
                    .keys()
                    .map(|r| {
                        let seen = pages.remove(&(name.clone(), r.clone()));
                        (r.clone(), seen.unwrap_or_default())
                    })
                    .collect()
            } else {
                BTreeMap::new()
            };
            // Read whatever the life: the memfd outlives the worker, so
            // the runs of a handler that ran just before a fatal signal
            // are seen.
            let words = probe::published(&p.published);
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
            let fds = if p.life == Life::Alive {
                self.observe_fds(p)
            } else {
                BTreeMap::new()
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
                    fds,
                    // A zombie's or a reaped one's threads are gone with it,
                    // as in the model (its leader is all that is left).
                    threads: match (p.life, stat) {
                        (Life::Alive, Some(s)) => s.threads,
                        _ => 1,
                    },
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
        let mut unsettled = unsettled;
        if self.privileged() {
            // Processes that took no fault since the last observation.
            let still: BTreeSet<&str> = faults
                .iter()
                .filter(|&(n, f)| self.faults_seen.get(n) == Some(f))
                .map(|(n, _)| n.as_str())
                .collect();
            unsettled.extend(self.frames.follow(&self.last, &mut obs, &still));
        }
        self.faults_seen = faults;
        self.last = Rc::new(obs.clone());
        self.unsettled = unsettled;
        obs
    }

    /// The fds a live worker has open in the scenario's range (3 up to
    /// the model's RLIMIT_NOFILE; its control socket sits above), as
    /// /proc/PID/fd and fdinfo show them, each named by the end the
    /// controller gave that number to (`fd N` for a number it gave none:
    /// a difference the table shows). The listing is read at every look;
    /// an fd's flag only when it is new since the last look or the
    /// process's own call named it since (`KProc::cloexec_seen`).
    fn observe_fds(&self, p: &KProc) -> BTreeMap<String, FdObs> {
        let by_fd: BTreeMap<i32, &String> = p.fds.iter().map(|(end, &fd)| (fd, end)).collect();
        let nofile = nofile::ctrl_fd();
        let mut seen = p.cloexec_seen.borrow_mut();
        let open: Vec<i32> = probe::open_fds(p.pid)
            .unwrap_or_default()
            .into_iter()
            .filter(|fd| (3..nofile).contains(fd))
            .collect();
        seen.retain(|fd, _| open.binary_search(fd).is_ok());
        let mut fds = BTreeMap::new();
        for fd in open {
            let cloexec = match seen.get(&fd) {
                Some(&cloexec) => cloexec,
                // An fd closed between the two reads is not open.
                None => match probe::cloexec(p.pid, fd) {
                    Some(cloexec) => *seen.entry(fd).or_insert(cloexec),
                    None => continue,
                },
            };
            let key = by_fd
                .get(&fd)
                .map_or_else(|| format!("fd {fd}"), |end| end.to_string());
            fds.insert(
                key,
                FdObs {
                    fd: fd as u32,
                    cloexec,
                },
            );
        }
        fds
    }

    /// The pages of the last observation that gave no consistent reading.
    pub fn unsettled(&self) -> &snapshot::Unsettled {
        &self.unsettled
    }

    /// The observation from before `process`'s last operation.
    pub fn before_last_op(&self, process: &str) -> Option<&Observation> {
        self.procs.get(process).map(|p| &*p.before)
    }
}
