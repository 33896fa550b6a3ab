//! Each live process's signal state as the Signals view shows it: only
//! what is not the default (handlers, ignored signals, the mask, both
//! pending queues, handler frames waiting to run, handler runs), each
//! signal marked when the step put it there, and processes whose signal
//! state is alike on one card. One walk over the processes; at most
//! `MAX_CARDS` cards.

use sim_core::proc::Process;
use sim_core::sig::Signal;
use sim_core::signal::{default_action, DefaultAction, Disposition, Queue, SigState};
use sim_core::world::World;

/// Cards drawn at most; processes past them are counted.
pub const MAX_CARDS: usize = 24;
/// Names listed on a card of alike processes before "and N more".
pub const MAX_NAMES: usize = 6;

/// A signal on a card, and whether the step put it there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chip {
    pub signal: Signal,
    /// Instances (pending real-time signals), runs (handlers); 1 otherwise.
    pub count: u64,
    pub changed: bool,
}

/// One line of a card: what it is about and its signals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// What the line is ("handles", "pending (thread)").
    pub label: &'static str,
    /// What the line means, for a hover and a screen reader.
    pub hint: &'static str,
    /// A CSS class suffix picking the chips' shape.
    pub kind: &'static str,
    pub chips: Vec<Chip>,
}

/// The signal state of one process, or of several alike ones.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Card {
    pub first_pid: u32,
    /// The names (at most `MAX_NAMES`), and how many processes in all.
    pub names: Vec<String>,
    pub count: u32,
    pub lines: Vec<Line>,
    /// SA_NOCLDWAIT on SIGCHLD.
    pub nocldwait: bool,
    /// The step changed this process's signal state.
    pub changed: bool,
}

/// The signal state of every live process after a step.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cards {
    pub cards: Vec<Card>,
    /// Live processes whose signal state is all default.
    pub plain: Vec<String>,
    pub plain_count: u32,
    /// Processes with non-default state past `MAX_CARDS` cards.
    pub more: u32,
}

fn chips(
    now: impl Iterator<Item = (Signal, u64)>,
    old: Option<&dyn Fn(Signal) -> u64>,
) -> Vec<Chip> {
    now.map(|(signal, count)| Chip {
        signal,
        count,
        changed: old.is_some_and(|f| f(signal) != count),
    })
    .collect()
}

fn lines(s: &SigState, old: Option<&SigState>) -> Vec<Line> {
    let disp = |d: Disposition| {
        move |st: &SigState| {
            st.dispositions()
                .filter(move |&(_, x)| x == d)
                .map(|(sig, _)| (sig, 1u64))
                .collect::<Vec<_>>()
        }
    };
    let handlers = disp(Disposition::Handler);
    let ignored = disp(Disposition::Ignore);
    let blocked = |st: &SigState| st.blocked().iter().map(|s| (s, 1u64)).collect::<Vec<_>>();
    let queue = |q: Queue| {
        move |st: &SigState| {
            let pending = st.pending_queue(q);
            pending
                .set()
                .iter()
                .map(|s| (s, u64::from(pending.count(s))))
                .collect::<Vec<_>>()
        }
    };
    // Counted into a vector kept in signal order, not a BTreeMap: one
    // B-tree type less in the wasm (issue 9).
    let frames = |st: &SigState| {
        let mut by: Vec<(Signal, u64)> = Vec::new();
        for sig in st.frames() {
            match by.binary_search_by_key(&sig, |&(s, _)| s) {
                Ok(at) => by[at].1 += 1,
                Err(at) => by.insert(at, (sig, 1)),
            }
        }
        by
    };
    let runs = |st: &SigState| {
        st.handled_counts()
            .iter()
            .filter(|(_, &n)| n > 0)
            .map(|(&s, &n)| (s, n))
            .collect::<Vec<_>>()
    };
    type Getter<'a> = Box<dyn Fn(&SigState) -> Vec<(Signal, u64)> + 'a>;
    let specs: [(&'static str, &'static str, &'static str, Getter); 7] = [
        ("handles", "a handler is installed (caught)", "handler", Box::new(handlers)),
        ("ignores", "SIG_IGN: discarded when sent", "ignored", Box::new(ignored)),
        ("blocks", "in the blocked mask: stays pending until unblocked", "blocked", Box::new(blocked)),
        (
            "pending (thread)",
            "the thread's own queue: signals the kernel raised for it, such as SIGPIPE from a write",
            "pending",
            Box::new(queue(Queue::Private)),
        ),
        (
            "pending (process)",
            "the process's shared queue: kill and SIGCHLD",
            "pending",
            Box::new(queue(Queue::Shared)),
        ),
        (
            "handler due",
            "delivered: the handler's frame is set up, and the handler runs on the way back to user mode",
            "due",
            Box::new(frames),
        ),
        ("handler ran", "times the handler has run", "ran", Box::new(runs)),
    ];
    specs
        .into_iter()
        .filter_map(|(label, hint, kind, get)| {
            let now = get(s);
            if now.is_empty() {
                return None;
            }
            // At most 64 signals a line: a linear search, no map.
            let before: Option<Vec<(Signal, u64)>> = old.map(&get);
            let lookup = before.map(|b| {
                move |sig: Signal| b.iter().find(|&&(s, _)| s == sig).map_or(0, |&(_, n)| n)
            });
            Some(Line {
                label,
                hint,
                kind,
                chips: chips(
                    now.into_iter(),
                    lookup.as_ref().map(|f| f as &dyn Fn(Signal) -> u64),
                ),
            })
        })
        .collect()
}

fn alive(p: &Process) -> bool {
    !p.state.is_dead()
}

/// The signal state of the processes alive after a step. `before` is the
/// world before it (None at step 0), to mark what changed.
pub fn cards(now: &World, before: Option<&World>) -> Cards {
    let mut out = Cards::default();
    // Alike processes share a card: the same signal state, and, if the
    // step changed it, the same state before (what the chips mark). At
    // most `MAX_CARDS` keys, so a linear search.
    let mut keys: Vec<(&SigState, Option<&SigState>)> = Vec::new();
    for (proc, old) in super::proctree::paired(now, before) {
        if !alive(proc) {
            continue;
        }
        let state = &proc.signals;
        if is_plain(state) {
            if out.plain.len() < MAX_NAMES {
                out.plain.push(proc.name.to_string());
            }
            out.plain_count += 1;
            continue;
        }
        let old = old.map(|p| &p.signals);
        let changed = old.is_some_and(|o| o != state);
        let key = (state, old.filter(|_| changed));
        if let Some(i) = keys.iter().position(|k| *k == key) {
            let card = &mut out.cards[i];
            if card.names.len() < MAX_NAMES {
                card.names.push(proc.name.to_string());
            }
            card.count += 1;
            continue;
        }
        if out.cards.len() >= MAX_CARDS {
            out.more += 1;
            continue;
        }
        keys.push(key);
        out.cards.push(Card {
            first_pid: proc.pid.0,
            names: vec![proc.name.to_string()],
            count: 1,
            lines: lines(state, old),
            nocldwait: state.nocldwait(),
            changed,
        });
    }
    out
}

/// Whether every signal is at SIG_DFL, none blocked or pending, no handler
/// due or ever run: nothing for a card to show.
fn is_plain(s: &SigState) -> bool {
    s.dispositions().next().is_none()
        && !s.nocldwait()
        && s.blocked().is_empty()
        && s.pending_set().is_empty()
        && s.frames().next().is_none()
        && s.handled_counts().values().all(|&n| n == 0)
}

/// What a signal does when nothing catches it, in a few words (a chip's
/// hover).
pub fn default_words(sig: Signal) -> &'static str {
    match default_action(sig) {
        DefaultAction::Terminate => "default: terminate",
        DefaultAction::CoreDump => "default: terminate (core)",
        DefaultAction::Stop => "default: stop",
        DefaultAction::Continue => "default: continue",
        DefaultAction::Ignore => "default: ignore",
    }
}
