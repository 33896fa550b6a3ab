//! `SigSet`: a set of signals as one 64-bit word, the kernel's `sigset_t`
//! on x86_64 (`_NSIG_WORDS` = 1, arch/x86/include/asm/signal.h).
//!
//! Owns the bit layout and nothing else; which signals belong to which
//! default-action class lives in `action`, what a process does with them in
//! `state`.

use crate::sig::Signal;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A set of signals. Bit `n - 1` stands for signal `n`, as `sigmask(sig)`
/// does in include/linux/signal.h, so the value is the one
/// `/proc/PID/status` prints as `SigBlk`/`SigPnd`/`SigIgn`/`SigCgt`.
///
/// Bits 31 and 32 (signals 32 and 33, which glibc reserves) can only appear
/// in a deserialised value; `iter` skips them.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct SigSet(u64);

/// The bit of signal number `n` (1..=64), `sigmask()` in include/linux/signal.h.
pub(crate) const fn bit(n: u8) -> u64 {
    1u64 << (n - 1)
}

impl SigSet {
    /// The empty set.
    pub const EMPTY: SigSet = SigSet(0);

    /// The set whose raw word is `bits` (bit `n - 1` for signal `n`).
    pub const fn from_bits(bits: u64) -> SigSet {
        SigSet(bits)
    }

    /// The raw word, as `/proc/PID/status` shows it (in hex).
    pub const fn bits(self) -> u64 {
        self.0
    }

    /// The set of exactly `signals`.
    pub fn from_signals(signals: &[Signal]) -> SigSet {
        signals.iter().fold(SigSet::EMPTY, |set, &s| set.with(s))
    }

    /// Whether `sig` is in the set.
    pub fn contains(self, sig: Signal) -> bool {
        self.0 & bit(sig.number()) != 0
    }

    /// This set plus `sig`.
    #[must_use]
    pub fn with(self, sig: Signal) -> SigSet {
        SigSet(self.0 | bit(sig.number()))
    }

    /// This set minus `sig`.
    #[must_use]
    pub fn without(self, sig: Signal) -> SigSet {
        SigSet(self.0 & !bit(sig.number()))
    }

    /// Add `sig`.
    pub fn insert(&mut self, sig: Signal) {
        *self = self.with(sig);
    }

    /// Take `sig` out.
    pub fn remove(&mut self, sig: Signal) {
        *self = self.without(sig);
    }

    /// Whether the set holds no signal.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    #[must_use]
    /// Signals in either set.
    pub const fn union(self, other: SigSet) -> SigSet {
        SigSet(self.0 | other.0)
    }

    #[must_use]
    /// Signals in both sets.
    pub const fn intersection(self, other: SigSet) -> SigSet {
        SigSet(self.0 & other.0)
    }

    /// The signals of `self` not in `other` (`sigandnsets`).
    #[must_use]
    pub const fn difference(self, other: SigSet) -> SigSet {
        SigSet(self.0 & !other.0)
    }

    /// The lowest-numbered signal in the set (`ffz(~x) + 1` in next_signal).
    pub fn lowest(self) -> Option<Signal> {
        self.iter().next()
    }

    /// The signals in the set, lowest number first.
    pub fn iter(self) -> impl Iterator<Item = Signal> {
        Signal::all().filter(move |&s| self.contains(s))
    }

    /// How many signals the set holds.
    pub fn len(self) -> u32 {
        self.iter().fold(0, |n, _| n + 1)
    }
}

impl FromIterator<Signal> for SigSet {
    fn from_iter<I: IntoIterator<Item = Signal>>(iter: I) -> SigSet {
        iter.into_iter().fold(SigSet::EMPTY, SigSet::with)
    }
}

impl fmt::Display for SigSet {
    /// `{SIGINT, SIGCHLD}`, for narration.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, s) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{s}")?;
        }
        f.write_str("}")
    }
}
