//! The end of a step: every sleeper that the step made able to go on does
//! so, in the kernel's wake-up order, until none can (`settle`); and one
//! sleeper's try (`try_complete`).

use super::ops::Cx;
use crate::ids::Pid;
use crate::ipc::fd::EndRef;
use crate::ipc::socket::SockType;
use crate::proc::{BlockedCall, BlockedOn, ProcState};
use crate::scenario::ErrorKind;

/// Bound on wake-up rounds in one step: each round completes or advances
/// at least one blocked call, and there are few processes; the bound only
/// guards against a model bug looping forever.
pub(super) const MAX_SETTLE_ROUNDS: u32 = 10_000;

impl Cx<'_> {
    /// Let every blocked call that can now make progress do so, until none
    /// can (a reader freeing space can let a writer go on, and so on).
    pub(crate) fn settle(&mut self) -> Result<(), ErrorKind> {
        for _ in 0..self.max_settle_rounds {
            let mut blocked: Vec<(Pid, (bool, i128))> = self
                .world
                .blocked_pids()
                .into_iter()
                .filter_map(|pid| match &self.world.proc(pid).state {
                    ProcState::Blocked(call) => Some((pid, self.wake_order(call))),
                    _ => None,
                })
                .collect();
            crate::sort::sort_by_key(&mut blocked, |&(pid, key)| (key, pid));
            let mut progressed = false;
            for (pid, _) in blocked {
                if self.try_complete(pid) {
                    self.take_signals(pid);
                    progressed = true;
                }
            }
            if !progressed {
                return Ok(());
            }
        }
        // A wake-up loop is a bug in the model, not in the scenario; an
        // error value (not a panic) lets the trace and the web app show
        // every step before it.
        Err(ErrorKind::ModelBug {
            step: self.step,
            line: self.pos.line,
            rounds: self.max_settle_rounds,
        })
    }

    /// The order in which a wake-up reaches sleepers, as __wake_up_common
    /// walks a wait queue: non-exclusive sleepers first, newest first
    /// (prepare_to_wait and add_wait_queue add at the head; do_wait, a
    /// stream socket's unix_stream_data_wait, a send waiting for send-buffer
    /// space in sock_wait_for_wmem); then exclusive sleepers, oldest first
    /// (prepare_to_wait_exclusive adds at the tail, and each is woken in
    /// turn: pipe_read and pipe_write wait so, and pass the wake-up on while
    /// data or room is left; a datagram reader waits so in
    /// __skb_wait_for_more_packets). So of two readers asleep on one pipe
    /// the first to sleep reads first. Non-exclusive sleepers are all woken
    /// at once and the scheduler picks who runs first: usually the first
    /// woken, but not always, so a scenario that depends on it is a race.
    fn wake_order(&self, call: &BlockedCall) -> (bool, i128) {
        let exclusive = match call.on {
            BlockedOn::Wait { .. } => false,
            BlockedOn::Send { end, .. } => matches!(end, EndRef::Pipe(..)),
            BlockedOn::Recv { end, .. } => match end {
                EndRef::Pipe(..) => true,
                EndRef::Sock(id, _) => self.world.socks(id).kind() == SockType::Dgram,
            },
        };
        let queued = i128::from(call.queued);
        (exclusive, if exclusive { queued } else { -queued })
    }

    /// Advance `pid`'s blocked call if it can move: true when it did,
    /// false when it is still stuck exactly where it was.
    pub(crate) fn try_complete(&mut self, pid: Pid) -> bool {
        let ProcState::Blocked(call) = self.world.proc(pid).state.clone() else {
            return false;
        };
        match call.on {
            BlockedOn::Wait { child } => self.try_wait(pid, child),
            BlockedOn::Send { end, len, so_far } => self.resume_send(pid, &call, end, len, so_far),
            BlockedOn::Recv { end, max } => self.resume_recv(pid, end, max),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::Sim;
    use crate::scenario::ErrorKind;

    /// b sleeps in recv at step 4; a's send at step 5 (line 5) wakes it in
    /// the first round of `settle`, which a bound of one round leaves no
    /// room to see come to rest.
    const WAKES_A_READER: &str = "process a\na: pipe p\na: fork b\nb: recv p.r 10\na: send p.w 5\n";

    #[test]
    fn a_step_that_wakes_a_sleeper_comes_to_rest_within_the_bound() {
        let mut sim = Sim::from_source(WAKES_A_READER).expect("parses");
        sim.run_to_end().expect("no model bug");
        assert!(sim.steps()[4]
            .narration
            .contains("b was blocked in recv on p.r: it wakes and receives 5 bytes."));
    }

    #[test]
    fn wake_ups_that_do_not_come_to_rest_stop_the_run_with_a_model_bug_error_not_a_panic() {
        let mut sim = Sim::from_source(WAKES_A_READER)
            .expect("parses")
            .with_settle_rounds(1);
        for _ in 0..4 {
            assert!(matches!(sim.step(), Ok(Some(_))));
        }
        let err = sim.step().expect_err("the fifth step cannot come to rest");
        assert_eq!(
            err.kind,
            ErrorKind::ModelBug {
                step: 5,
                line: 5,
                rounds: 1
            }
        );
        assert_eq!((err.pos.line, err.pos.col), (5, 1));
        let message = err.to_string();
        assert!(
            message.starts_with("5:1: a bug in Forkscope's model: in step 5 (line 5)"),
            "{message}"
        );
        // The run stops there for good; the steps before it stay viewable.
        assert_eq!(sim.steps().len(), 4);
        assert_eq!(sim.error(), Some(&err));
        assert_eq!(sim.step().expect_err("stopped"), err);
    }
}
