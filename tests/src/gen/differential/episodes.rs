//! The generator's episodes: lines strung together around one kernel
//! behaviour (a sleeper and its waker, a stop and its SIGCONT, signals
//! pending at once, SIGPIPE from a write, exec with signal state, libuv's
//! spawn). Each returns its lines; `Gen::draw` plays the first and plans
//! the rest.

use super::*;

impl Gen {
    /// The step that wakes a sleeper, if one sleeps: a writer for a
    /// reader, a reader draining (or a resize) for a writer, the child's
    /// exit for a `wait`.
    pub(super) fn wake(&mut self, w: &World) -> Option<String> {
        let sleepers: Vec<&Process> = w
            .procs()
            .filter(|p| matches!(p.state, ProcState::Blocked(_)))
            .collect();
        if sleepers.is_empty() {
            return None;
        }
        let sleeper = *self.rng.pick(&sleepers);
        let on = &call_of(sleeper).expect("a blocked process is in a call").on;
        match *on {
            BlockedOn::Wait { child } => {
                let kids: Vec<&Process> = match child {
                    Some(pid) => vec![w.proc(pid)],
                    None => w
                        .children(sleeper.pid)
                        .into_iter()
                        .map(|c| w.proc(c))
                        .collect(),
                };
                let kids: Vec<&Process> = kids.into_iter().filter(|k| !k.state.is_dead()).collect();
                if kids.is_empty() {
                    return None;
                }
                let kid = *self.rng.pick(&kids);
                if matches!(kid.state, ProcState::Running) {
                    return Some(format!("{}: exit {}", kid.name, self.rng.below(4)));
                }
                let killer = self.actor(w)?;
                let sig = self.rng.pick(&["SIGKILL", "SIGTERM"]);
                Some(format!("{}: kill {} {sig}", killer.name, kid.name))
            }
            BlockedOn::Recv { end, .. } => {
                let other = other_end(end);
                let writers = holders(w, other);
                if writers.is_empty() {
                    return None;
                }
                let writer = &*self.rng.pick(&writers).name;
                if self.rng.one_in(6) {
                    return Some(format!("{writer}: close {}", w.end_name(other)));
                }
                let size = *self.rng.pick(&SIZES);
                Some(self.io(w, writer, "send", other, size))
            }
            BlockedOn::Send { end, .. } => {
                if self.rng.one_in(2) {
                    // A resize: F_SETPIPE_SZ by anyone holding the pipe,
                    // SO_SNDBUF on the sender's own socket.
                    let resizers: Vec<&Process> = match end {
                        EndRef::Pipe(..) => {
                            let mut both = holders(w, end);
                            both.extend(holders(w, other_end(end)));
                            both
                        }
                        EndRef::Sock(..) => holders(w, end),
                    };
                    if !resizers.is_empty() {
                        let resizer = &*self.rng.pick(&resizers).name;
                        return Some(self.resize(w, resizer, end));
                    }
                }
                let other = other_end(end);
                let readers = holders(w, other);
                if readers.is_empty() {
                    return None;
                }
                let reader = &*self.rng.pick(&readers).name;
                let size = *self.rng.pick(&[4096, 5000, 65_536, 70_000, 300_000]);
                Some(self.io(w, reader, "recv", other, size))
            }
        }
    }

    /// A call that sleeps, and the step that wakes it: a reader then a
    /// writer, a writer on a full pipe or socket then a reader or a
    /// resize, `wait` on a running child then its exit.
    pub(super) fn sleep(&mut self, w: &World, me: &Process) -> Option<Vec<Planned>> {
        if alive(w).len() >= MAX_PROCS {
            return None;
        }
        let me = &*me.name;
        let n = self.fresh();
        let child = format!("c{n}");
        let mut plan = Vec::new();
        let line = |s: String| Planned::Line(s);
        let rng = &mut self.rng;
        // wait, reader (pipe, socket), writer (pipe, socket).
        let choice = [0, 0, 1, 2, 3, 4][rng.below(6)];
        if choice > 0 && w.object_names().count() >= MAX_OBJECTS {
            return None;
        }
        let obj = format!("o{n}");
        // The sleeper is the parent or the child, the other one wakes it.
        let (a, b) = if rng.one_in(2) {
            (me.to_string(), child.clone())
        } else {
            (child.clone(), me.to_string())
        };
        match choice {
            0 => {
                plan.push(line(format!("{me}: fork {child}")));
                let arg = if rng.one_in(3) {
                    String::new()
                } else {
                    format!(" {child}")
                };
                plan.push(line(format!("{me}: wait{arg}")));
            }
            1 => {
                plan.push(line(format!("{me}: pipe {obj}")));
                plan.push(line(format!("{me}: fork {child}")));
                plan.push(line(format!(
                    "{a}: recv {} {}",
                    end(&obj, READ),
                    rng.pick(&SIZES)
                )));
            }
            2 => {
                let dgram = if rng.one_in(2) { " dgram" } else { "" };
                plan.push(line(format!("{me}: socketpair {obj}{dgram}")));
                plan.push(line(format!("{me}: fork {child}")));
                plan.push(line(format!(
                    "{a}: recv {} {}",
                    end(&obj, SOCK1),
                    rng.pick(&SIZES)
                )));
            }
            3 => {
                plan.push(line(format!("{me}: pipe {obj}")));
                plan.push(line(format!("{me}: fork {child}")));
                plan.push(line(format!(
                    "{a}: send {} 65536 nonblock",
                    end(&obj, WRITE)
                )));
                let size = rng.pick(&[1, 100, 4096, 5000, 70_000]);
                plan.push(line(format!("{a}: send {} {size}", end(&obj, WRITE))));
            }
            _ => {
                plan.push(line(format!("{me}: socketpair {obj}")));
                plan.push(line(format!("{me}: fork {child}")));
                plan.push(line(format!("{a}: send {} 300000", end(&obj, SOCK0))));
            }
        }
        // A resize while the writer sleeps: grow, shrink, the same size,
        // beyond 1 GiB or negative; F_SETPIPE_SZ by either process, SO_SNDBUF on the
        // sender's socket by the other one, which shares it.
        if choice >= 3 && !rng.one_in(3) {
            let size = match rng.below(6) {
                0 => *rng.pick(&HUGE),
                1 if choice == 3 => 65_536,
                1 => 212_992 / 2,
                _ if choice == 3 => *rng.pick(&PIPE_SIZES),
                _ => *rng.pick(&SNDBUFS),
            };
            if choice == 3 {
                plan.push(line(format!("{b}: pipesize {obj} {size}")));
            } else {
                plan.push(line(format!("{b}: sndbuf {} {size}", end(&obj, SOCK0))));
            }
        }
        // Mostly the waker right away; sometimes a signal first.
        if rng.one_in(4) {
            plan.push(line(format!("{b}: kill {a} {}", rng.pick(&CATCHABLE))));
        }
        plan.push(Planned::Wake);
        Some(plan)
    }

    /// SIGSTOP, one to three signals while stopped, then (mostly)
    /// SIGCONT; now and then a process stops itself and another one goes
    /// on.
    pub(super) fn stop(&mut self, w: &World, me: &Process) -> Option<Vec<Planned>> {
        let others: Vec<&Process> = alive(w)
            .into_iter()
            .filter(|p| p.pid != me.pid && !matches!(p.state, ProcState::Stopped { .. }))
            .collect();
        let helpers: Vec<&Process> = running(w).into_iter().filter(|p| p.pid != me.pid).collect();
        let rng = &mut self.rng;
        let (sender, target) = if !helpers.is_empty() && rng.one_in(6) {
            (&*rng.pick(&helpers).name, &*me.name)
        } else if !others.is_empty() {
            (&*me.name, &*rng.pick(&others).name)
        } else {
            return None;
        };
        let mut plan = Vec::new();
        let first = if sender != me.name.as_ref() {
            // A process stops itself; another one does the rest.
            format!("{}: kill {target} SIGSTOP", me.name)
        } else {
            format!("{sender}: kill {target} SIGSTOP")
        };
        plan.push(Planned::Line(first));
        for _ in 0..1 + rng.below(3) {
            let sig = rng.pick(&[
                "SIGTERM",
                "SIGUSR1",
                "SIGCHLD",
                "SIGRTMIN",
                "SIGRTMIN",
                "SIGRTMIN+1",
                "SIGINT",
                "SIGPIPE",
            ]);
            plan.push(Planned::Line(format!("{sender}: kill {target} {sig}")));
        }
        if !rng.one_in(4) {
            plan.push(Planned::Line(format!("{sender}: kill {target} SIGCONT")));
        }
        Some(plan)
    }

    /// Several signals pending at once: block two to four (standard and
    /// real-time), make them pending (a process to itself, another
    /// process, a real-time one twice), then unblock them all or some.
    pub(super) fn pending(&mut self, w: &World, me: &Process) -> Option<Vec<Planned>> {
        let (mut plan, name) = self.delegate(w, me);
        let name = &*name;
        let others: Vec<&str> = running(w)
            .into_iter()
            .map(|p| &*p.name)
            .filter(|p| *p != name)
            .collect();
        let rng = &mut self.rng;
        let count = 2 + rng.below(3);
        let mut sigs = some_signals(rng, &CATCHABLE, count);
        // Mostly a real-time one among them, to queue twice.
        if !sigs.iter().any(|s| s.starts_with("SIGRTMIN")) && !rng.one_in(3) {
            sigs[0] = *rng.pick(&["SIGRTMIN", "SIGRTMIN+1"]);
        }
        for sig in &sigs {
            match rng.below(8) {
                0..=3 => plan.push(Planned::Line(format!(
                    "{name}: signal {sig} handle{}",
                    mask(rng)
                ))),
                4 => plan.push(Planned::Line(format!("{name}: signal {sig} ignore"))),
                _ => {}
            }
        }
        plan.push(Planned::Line(format!("{name}: block {}", sigs.join(" "))));
        for sig in &sigs {
            let times = if sig.starts_with("SIGRTMIN") && !rng.one_in(3) {
                2
            } else {
                1
            };
            for _ in 0..times {
                let sender = if others.is_empty() || rng.one_in(2) {
                    name
                } else {
                    *rng.pick(&others)
                };
                plan.push(Planned::Line(format!("{sender}: kill {name} {sig}")));
            }
        }
        match rng.below(4) {
            0 => {}
            1 => plan.push(Planned::Line(format!("{name}: unblock {}", sigs[0]))),
            _ => plan.push(Planned::Line(format!("{name}: unblock {}", sigs.join(" ")))),
        }
        Some(plan)
    }

    /// A write that raises SIGPIPE: on a pipe with no reader or a stream
    /// socket whose peer is closed, with SIGPIPE blocked, handled, ignored
    /// or (away from p0) default; now and then SIGPIPE also sent by
    /// `kill`, so that it is pending twice.
    pub(super) fn sigpipe(&mut self, w: &World, me: &Process) -> Option<Vec<Planned>> {
        if w.object_names().count() >= MAX_OBJECTS {
            return None;
        }
        let (mut plan, name) = self.delegate(w, me);
        let name = &*name;
        let obj = format!("o{}", self.fresh());
        let rng = &mut self.rng;
        let mut line = |s: String| plan.push(Planned::Line(s));
        let target = if rng.one_in(2) {
            line(format!("{name}: pipe {obj}"));
            line(format!("{name}: close {}", end(&obj, READ)));
            end(&obj, WRITE)
        } else {
            line(format!("{name}: socketpair {obj}"));
            line(format!("{name}: close {}", end(&obj, SOCK1)));
            end(&obj, SOCK0)
        };
        let how = match rng.below(4) {
            3 if name != "p0" => "default",
            0 => "ignore",
            1 => "handle",
            _ => "block",
        };
        match how {
            "block" => line(format!("{name}: block SIGPIPE")),
            "default" => {}
            _ => line(format!("{name}: signal SIGPIPE {how}")),
        }
        let nonblock = if rng.one_in(2) { " nonblock" } else { "" };
        line(format!(
            "{name}: send {target} {}{nonblock}",
            rng.pick(&SIZES)
        ));
        if rng.one_in(2) {
            line(format!("{name}: kill {name} SIGPIPE"));
        }
        if how == "block" && !rng.one_in(4) {
            line(format!("{name}: unblock SIGPIPE"));
        }
        Some(plan)
    }

    /// exec with a handler (reset to SIG_DFL), SIG_IGN (kept), a mask
    /// (kept) and pending signals (kept).
    pub(super) fn exec_signals(&mut self, w: &World, me: &Process) -> Option<Vec<Planned>> {
        let (fork, name) = self.delegate(w, me);
        let name = &*name;
        let rng = &mut self.rng;
        let sigs = some_signals(rng, &CATCHABLE, 4);
        let (handled, ignored, masked) = (sigs[0], sigs[1], &sigs[2..]);
        let mut plan = vec![
            format!("{name}: signal {handled} handle"),
            format!("{name}: signal {ignored} ignore"),
            format!("{name}: block {}", masked.join(" ")),
            format!("{name}: kill {name} {}", masked[0]),
        ];
        if rng.one_in(2) {
            plan.push(format!("{name}: kill {name} {handled}"));
        }
        if rng.one_in(2) {
            plan.push(format!("{name}: kill {name} {}", masked[1]));
        }
        plan.push(format!("{name}: exec node"));
        if rng.one_in(2) {
            plan.push(format!("{name}: unblock {}", masked.join(" ")));
        }
        Some(
            fork.into_iter()
                .chain(plan.into_iter().map(Planned::Line))
                .collect(),
        )
    }

    /// libuv's uv_spawn: a close-on-exec pipe (mostly; otherwise one the
    /// child makes close-on-exec with F_SETFD), a fork, the parent closes
    /// its write end and sleeps reading; the child's exec closes the last
    /// write end and the parent wakes with end of file. Then, mostly, the
    /// child exits, the parent's SIGCHLD handler (full sa_mask, as libuv's)
    /// runs, and `wait nohang` reaps it; a `wait nohang` before the exit
    /// returns 0.
    pub(super) fn spawn(&mut self, w: &World, me: &Process) -> Option<Vec<Planned>> {
        if alive(w).len() >= MAX_PROCS || w.object_names().count() >= MAX_OBJECTS {
            return None;
        }
        let me = &*me.name;
        let n = self.fresh();
        let (child, pipe) = (format!("c{n}"), format!("o{n}"));
        let (r, wr) = (end(&pipe, READ), end(&pipe, WRITE));
        let rng = &mut self.rng;
        let mut plan = Vec::new();
        let mut line = |s: String| plan.push(Planned::Line(s));
        let handler = rng.one_in(2);
        if handler {
            line(format!("{me}: signal SIGCHLD handle{}", mask(rng)));
        }
        let by_flag = !rng.one_in(4);
        line(format!(
            "{me}: pipe {pipe}{}",
            if by_flag { " cloexec" } else { "" }
        ));
        line(format!("{me}: fork {child}"));
        if !by_flag {
            line(format!("{child}: cloexec {wr} on"));
        }
        line(format!("{me}: close {wr}"));
        line(format!("{me}: recv {r} 4"));
        line(format!("{child}: exec node"));
        if rng.one_in(3) {
            line(format!("{me}: wait {child} nohang"));
        }
        if !rng.one_in(4) {
            line(format!("{child}: exit {}", rng.below(4)));
            let arg = if rng.one_in(2) {
                String::new()
            } else {
                format!(" {child}")
            };
            line(format!("{me}: wait{arg} nohang"));
        }
        Some(plan)
    }

    /// Who does an episode that may kill its actor: p0 forks a child for
    /// it while it can (p0 mostly stays to the end, so that the run goes
    /// on); anyone else does it itself.
    pub(super) fn delegate(&mut self, w: &World, me: &Process) -> (Vec<Planned>, String) {
        if &*me.name == "p0" && alive(w).len() < MAX_PROCS {
            let child = format!("c{}", self.fresh());
            (vec![Planned::Line(format!("p0: fork {child}"))], child)
        } else {
            (Vec::new(), me.name.to_string())
        }
    }
}
