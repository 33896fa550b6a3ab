//! Random scenarios of processes and memory only
//! (process/mmap/munmap/read/write/fork/exec/exit/wait), for the model's
//! properties (tests/tests/model_properties.rs).
//!
//! A scenario is written as text by a small shadow of the process rules
//! (who may act, who is blocked, which regions exist), so every scenario
//! is one the model must run without a scenario error, and it ends with
//! every process gone. It is drawn from a list of actions of five bytes
//! each (from proptest, which can then shrink them): the first byte picks
//! the kind of line, the others its actor and arguments.

const REGION_NAMES: [&str; 4] = ["heap", "buf", "shm", "data"];
const MAX_PROCS: usize = 8;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Life {
    Running,
    /// In `wait`, for one child or (None) any.
    Blocked(Option<usize>),
    Zombie,
    Gone,
}

#[derive(Clone, Debug)]
struct Shadow {
    name: String,
    /// None: init.
    parent: Option<usize>,
    life: Life,
    /// Region name and size in pages.
    regions: Vec<(&'static str, u32)>,
}

/// What the test knows of the scenario it is writing.
#[derive(Default)]
struct Writer {
    procs: Vec<Shadow>,
    text: String,
}

impl Writer {
    fn line(&mut self, line: String) {
        self.text.push_str(&line);
        self.text.push('\n');
    }

    fn new_process(&mut self) {
        let name = format!("p{}", self.procs.len());
        self.line(format!("process {name}"));
        self.procs.push(Shadow {
            name,
            parent: None,
            life: Life::Running,
            regions: Vec::new(),
        });
    }

    fn running(&self) -> Vec<usize> {
        (0..self.procs.len())
            .filter(|&i| self.procs[i].life == Life::Running)
            .collect()
    }

    fn children(&self, of: usize) -> Vec<usize> {
        (0..self.procs.len())
            .filter(|&i| self.procs[i].parent == Some(of) && self.procs[i].life != Life::Gone)
            .collect()
    }

    /// `who` exits: its children go to init (which reaps the zombies among
    /// them), and its parent reaps it if it is init or waiting for it.
    fn exit(&mut self, who: usize, code: u16) {
        let name = self.procs[who].name.clone();
        self.line(format!("{name}: exit {code}"));
        self.procs[who].life = Life::Zombie;
        self.procs[who].regions.clear();
        for child in self.children(who) {
            self.procs[child].parent = None;
            if self.procs[child].life == Life::Zombie {
                self.procs[child].life = Life::Gone;
            }
        }
        match self.procs[who].parent {
            None => self.procs[who].life = Life::Gone,
            Some(parent) => match self.procs[parent].life {
                Life::Blocked(wanted) if wanted.is_none_or(|w| w == who) => {
                    self.procs[who].life = Life::Gone;
                    self.procs[parent].life = Life::Running;
                }
                _ => {}
            },
        }
    }

    fn wait(&mut self, who: usize, wanted: Option<usize>) {
        let name = self.procs[who].name.clone();
        match wanted {
            Some(w) => {
                let child = self.procs[w].name.clone();
                self.line(format!("{name}: wait {child}"));
            }
            None => self.line(format!("{name}: wait")),
        }
        let children: Vec<usize> = self
            .children(who)
            .into_iter()
            .filter(|&c| wanted.is_none_or(|w| w == c))
            .collect();
        if children.is_empty() {
            return; // ECHILD
        }
        match children
            .iter()
            .find(|&&c| self.procs[c].life == Life::Zombie)
        {
            Some(&zombie) => self.procs[zombie].life = Life::Gone,
            None => self.procs[who].life = Life::Blocked(wanted),
        }
    }

    /// Interpret one random action; actions that make no sense in the
    /// current state do nothing.
    fn act(&mut self, [kind, a, b, c, d]: [u8; 5]) {
        let running = self.running();
        if running.is_empty() || kind % 16 == 0 {
            if self.procs.len() < MAX_PROCS {
                self.new_process();
            }
            return;
        }
        let who = running[a as usize % running.len()];
        let name = self.procs[who].name.clone();
        match kind % 16 {
            1 | 2 => {
                let region = REGION_NAMES[b as usize % REGION_NAMES.len()];
                if self.procs[who].regions.iter().any(|(r, _)| *r == region) {
                    return;
                }
                let pages = 1 + u32::from(c) % 40;
                let shared = if d % 3 == 0 { " shared" } else { "" };
                self.line(format!("{name}: mmap {region} {pages}{shared}"));
                self.procs[who].regions.push((region, pages));
            }
            3 => {
                if self.procs[who].regions.is_empty() {
                    return;
                }
                let index = b as usize % self.procs[who].regions.len();
                let (region, _) = self.procs[who].regions.remove(index);
                self.line(format!("{name}: munmap {region}"));
            }
            4..=9 => {
                if self.procs[who].regions.is_empty() {
                    return;
                }
                let (region, pages) =
                    self.procs[who].regions[b as usize % self.procs[who].regions.len()];
                let start = u32::from(c) % pages;
                let len = 1 + u32::from(d) % (pages - start);
                let op = if kind % 2 == 0 { "read" } else { "write" };
                let range = if len == 1 && d % 2 == 0 {
                    format!("{start}")
                } else {
                    format!("{start}..{}", start + len)
                };
                self.line(format!("{name}: {op} {region} {range}"));
            }
            10 | 11 => {
                if self.procs.len() >= MAX_PROCS {
                    return;
                }
                let child = format!("p{}", self.procs.len());
                self.line(format!("{name}: fork {child}"));
                let regions = self.procs[who].regions.clone();
                self.procs.push(Shadow {
                    name: child,
                    parent: Some(who),
                    life: Life::Running,
                    regions,
                });
            }
            12 => {
                self.line(format!("{name}: exec /bin/true"));
                self.procs[who].regions.clear();
            }
            13 => self.exit(who, u16::from(b) * 3),
            14 => {
                let wanted = if b % 2 == 0 {
                    None
                } else {
                    Some(c as usize % self.procs.len())
                };
                self.wait(who, wanted);
            }
            _ => self.expect([a, b, c, d]),
        }
    }

    /// An expect about any process, living or not. Whether it holds does
    /// not matter here; it must only be judged without error or panic.
    fn expect(&mut self, [a, b, c, d]: [u8; 4]) {
        let target = &self.procs[a as usize % self.procs.len()];
        let other = self.procs[d as usize % self.procs.len()].name.clone();
        let name = target.name.clone();
        let page = match target.regions.get(b as usize % target.regions.len().max(1)) {
            Some(&(region, pages)) if target.life != Life::Gone => {
                Some(format!("{region}[{}]", u32::from(c) % pages))
            }
            _ => None,
        };
        let line = match (c % 12, page) {
            (0, Some(page)) => format!("expect {name} {page} shared {other}"),
            (1, Some(page)) => format!("expect {name} {page} private"),
            (2, Some(page)) => format!("expect {name} {page} absent"),
            (3, Some(page)) => format!("expect {name} {page} zero"),
            (4, Some(page)) => format!("expect {name} {page} frame same"),
            (5, Some(page)) => format!("expect {name} {page} frame new"),
            (6, _) => format!("expect {name} faults {}", d % 4),
            (7, _) => format!("expect {name} result {}", d % 4),
            (8, _) => format!("expect {name} result ECHILD"),
            (9, _) => {
                let state = ["running", "blocked", "zombie", "gone"][d as usize % 4];
                format!("expect {name} state {state}")
            }
            (10, _) => format!("expect {name} parent {other}"),
            _ => format!("expect {name} status exited {}", d % 4),
        };
        self.line(line);
    }

    /// Make every process exit, so that all end up reaped.
    fn finish(&mut self) {
        while let Some(&who) = self.running().first() {
            self.exit(who, 0);
        }
        assert!(
            self.procs.iter().all(|p| p.life == Life::Gone),
            "the shadow leaves no process behind:\n{}",
            self.text
        );
    }
}

/// A valid scenario from random actions; it ends with every process gone.
pub fn scenario(actions: &[[u8; 5]]) -> String {
    let mut w = Writer::default();
    w.new_process();
    for &action in actions {
        w.act(action);
    }
    w.finish();
    w.text
}
