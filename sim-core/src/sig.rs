//! Signal numbers and names, as on Linux x86_64 with glibc (whose SIGRTMIN is
//! 34: glibc keeps 32 and 33 for its threads).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A signal number, 1..=64.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Signal(u8);

/// Standard signal names, indexed by number - 1 (include/uapi/asm-generic/signal.h).
const NAMES: [&str; 31] = [
    "SIGHUP",
    "SIGINT",
    "SIGQUIT",
    "SIGILL",
    "SIGTRAP",
    "SIGABRT",
    "SIGBUS",
    "SIGFPE",
    "SIGKILL",
    "SIGUSR1",
    "SIGSEGV",
    "SIGUSR2",
    "SIGPIPE",
    "SIGALRM",
    "SIGTERM",
    "SIGSTKFLT",
    "SIGCHLD",
    "SIGCONT",
    "SIGSTOP",
    "SIGTSTP",
    "SIGTTIN",
    "SIGTTOU",
    "SIGURG",
    "SIGXCPU",
    "SIGXFSZ",
    "SIGVTALRM",
    "SIGPROF",
    "SIGWINCH",
    "SIGIO", // also SIGPOLL: see ALIASES
    "SIGPWR",
    "SIGSYS",
];

/// Other names of a standard signal, accepted when parsing; printing always
/// uses the name in `NAMES`. Signal 29 is both SIGIO and SIGPOLL
/// (include/uapi/asm-generic/signal.h: `#define SIGPOLL SIGIO`); SIGIO is
/// the name printed, as `kill -l` prints it.
const ALIASES: [(&str, u8); 1] = [("SIGPOLL", 29)];

impl Signal {
    /// SIGHUP, signal 1 (arch/x86/include/uapi/asm/signal.h).
    pub const SIGHUP: Signal = Signal(1);
    /// SIGINT, signal 2 (arch/x86/include/uapi/asm/signal.h).
    pub const SIGINT: Signal = Signal(2);
    /// SIGQUIT, signal 3 (arch/x86/include/uapi/asm/signal.h).
    pub const SIGQUIT: Signal = Signal(3);
    /// SIGILL, signal 4 (arch/x86/include/uapi/asm/signal.h).
    pub const SIGILL: Signal = Signal(4);
    /// SIGTRAP, signal 5 (arch/x86/include/uapi/asm/signal.h).
    pub const SIGTRAP: Signal = Signal(5);
    /// SIGABRT, signal 6 (arch/x86/include/uapi/asm/signal.h).
    pub const SIGABRT: Signal = Signal(6);
    /// SIGBUS, signal 7 (arch/x86/include/uapi/asm/signal.h).
    pub const SIGBUS: Signal = Signal(7);
    /// SIGFPE, signal 8 (arch/x86/include/uapi/asm/signal.h).
    pub const SIGFPE: Signal = Signal(8);
    /// SIGKILL, signal 9 (arch/x86/include/uapi/asm/signal.h).
    pub const SIGKILL: Signal = Signal(9);
    /// SIGUSR1, signal 10 (arch/x86/include/uapi/asm/signal.h).
    pub const SIGUSR1: Signal = Signal(10);
    /// SIGSEGV, signal 11 (arch/x86/include/uapi/asm/signal.h).
    pub const SIGSEGV: Signal = Signal(11);
    /// SIGUSR2, signal 12 (arch/x86/include/uapi/asm/signal.h).
    pub const SIGUSR2: Signal = Signal(12);
    /// SIGPIPE, signal 13 (arch/x86/include/uapi/asm/signal.h).
    pub const SIGPIPE: Signal = Signal(13);
    /// SIGALRM, signal 14 (arch/x86/include/uapi/asm/signal.h).
    pub const SIGALRM: Signal = Signal(14);
    /// SIGTERM, signal 15 (arch/x86/include/uapi/asm/signal.h).
    pub const SIGTERM: Signal = Signal(15);
    /// SIGCHLD, signal 17 (arch/x86/include/uapi/asm/signal.h).
    pub const SIGCHLD: Signal = Signal(17);
    /// SIGCONT, signal 18 (arch/x86/include/uapi/asm/signal.h).
    pub const SIGCONT: Signal = Signal(18);
    /// SIGSTOP, signal 19 (arch/x86/include/uapi/asm/signal.h).
    pub const SIGSTOP: Signal = Signal(19);
    /// SIGTSTP, signal 20 (arch/x86/include/uapi/asm/signal.h).
    pub const SIGTSTP: Signal = Signal(20);
    /// SIGTTIN, signal 21 (arch/x86/include/uapi/asm/signal.h).
    pub const SIGTTIN: Signal = Signal(21);
    /// SIGTTOU, signal 22 (arch/x86/include/uapi/asm/signal.h).
    pub const SIGTTOU: Signal = Signal(22);
    /// SIGSYS, signal 31 (arch/x86/include/uapi/asm/signal.h).
    pub const SIGSYS: Signal = Signal(31);
    /// glibc's SIGRTMIN (the kernel's is 32; glibc reserves 32 and 33).
    pub const SIGRTMIN: Signal = Signal(34);
    /// _NSIG = 64 (arch/x86/include/asm/signal.h).
    pub const SIGRTMAX: Signal = Signal(64);
    /// The kernel's first two real-time signals, which glibc keeps for its
    /// threads (nptl's SIGCANCEL and SIGSETXID), so that a program's
    /// SIGRTMIN is 34: no program may use them, and no scenario names them.
    pub const GLIBC_RESERVED: std::ops::RangeInclusive<u8> = 32..=33;

    /// The signal with this number, if it is one a scenario may name.
    pub fn from_number(n: u8) -> Option<Signal> {
        ((1..=31).contains(&n) || (34..=64).contains(&n)).then_some(Signal(n))
    }

    /// The signal number (1..=64).
    pub fn number(self) -> u8 {
        self.0
    }

    /// Real-time signals queue; standard ones (1..=31) coalesce.
    pub fn is_realtime(self) -> bool {
        self.0 >= 32
    }

    /// SIGKILL and SIGSTOP can be neither caught, ignored nor blocked.
    pub fn is_uncatchable(self) -> bool {
        self == Signal::SIGKILL || self == Signal::SIGSTOP
    }

    /// Every signal a scenario may name, in number order.
    pub fn all() -> impl Iterator<Item = Signal> {
        (1..=64u8).filter_map(Signal::from_number)
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            n @ 1..=31 => f.write_str(NAMES[usize::from(n) - 1]),
            34 => f.write_str("SIGRTMIN"),
            64 => f.write_str("SIGRTMAX"),
            n => write!(f, "SIGRTMIN+{}", n - 34),
        }
    }
}

/// Why a word is not a signal name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownSignal {
    /// The closest real name, when one is close.
    pub suggestion: Option<String>,
    /// The number it names, when that is one glibc keeps for itself
    /// (`Signal::GLIBC_RESERVED`): `32`, `SIGRTMAX-31`.
    pub reserved: Option<u8>,
}

impl UnknownSignal {
    /// Not a signal for a scenario because glibc keeps signal `n`, if it
    /// does; else simply unknown.
    fn numbered(n: i64) -> UnknownSignal {
        UnknownSignal {
            suggestion: None,
            reserved: u8::try_from(n)
                .ok()
                .filter(|n| Signal::GLIBC_RESERVED.contains(n)),
        }
    }
}

impl FromStr for Signal {
    type Err = UnknownSignal;

    /// Accepts `SIGTERM`, `TERM`, `15`, `SIGRTMIN`, `SIGRTMIN+3`, `SIGRTMAX-2`.
    fn from_str(s: &str) -> Result<Signal, UnknownSignal> {
        let upper = s.to_ascii_uppercase();
        let name = upper.strip_prefix("SIG").unwrap_or(&upper);
        if let Ok(n) = name.parse::<u8>() {
            return Signal::from_number(n).ok_or(UnknownSignal::numbered(i64::from(n)));
        }
        if let Some(pos) = NAMES.iter().position(|known| &known[3..] == name) {
            return Ok(Signal(pos as u8 + 1));
        }
        if let Some(&(_, n)) = ALIASES.iter().find(|(alias, _)| &alias[3..] == name) {
            return Ok(Signal(n));
        }
        // The number `SIGRTMIN+N` or `SIGRTMAX-N` names, if it is written
        // right; only 34..=64 are signals (below is glibc's, above _NSIG).
        let rt = |rest: &str, base: i32, sign: i32| -> Option<i32> {
            let offset = if rest.is_empty() {
                0
            } else {
                rest.parse::<i32>().ok()?
            };
            base.checked_add(sign.checked_mul(offset)?)
        };
        let numbered = if let Some(rest) = name.strip_prefix("RTMIN") {
            rest.strip_prefix('+')
                .or(rest.is_empty().then_some(""))
                .and_then(|r| rt(r, 34, 1))
        } else if let Some(rest) = name.strip_prefix("RTMAX") {
            rest.strip_prefix('-')
                .or(rest.is_empty().then_some(""))
                .and_then(|r| rt(r, 64, -1))
        } else {
            None
        };
        if let Some(n) = numbered {
            return u8::try_from(n)
                .ok()
                .filter(|n| (34..=64).contains(n))
                .map(Signal)
                .ok_or(UnknownSignal::numbered(i64::from(n)));
        }
        Err(UnknownSignal {
            reserved: None,
            suggestion: NAMES
                .iter()
                .chain(ALIASES.iter().map(|(alias, _)| alias))
                .chain(["SIGRTMIN", "SIGRTMAX"].iter())
                .map(|n| (strsim::levenshtein(&n[3..], name), *n))
                .filter(|(d, _)| *d <= 2)
                .min()
                .map(|(_, n)| n.to_string()),
        })
    }
}

impl Serialize for Signal {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Signal {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Signal, D::Error> {
        let s = String::deserialize(d)?;
        s.parse()
            .map_err(|_| serde::de::Error::custom(format!("unknown signal {s:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers_round_trip() {
        for sig in Signal::all() {
            assert_eq!(sig.to_string().parse::<Signal>(), Ok(sig));
        }
        assert_eq!(Signal::all().count(), 62);
    }

    #[test]
    fn short_names_numbers_and_realtime_offsets_parse() {
        assert_eq!("TERM".parse(), Ok(Signal::SIGTERM));
        assert_eq!("9".parse(), Ok(Signal::SIGKILL));
        assert_eq!("SIGRTMIN+2".parse(), Ok(Signal(36)));
        assert_eq!("SIGRTMAX-1".parse(), Ok(Signal(63)));
        assert!("SIGRTMIN+31".parse::<Signal>().is_err());
        assert!("SIGRTMIN+2147483647".parse::<Signal>().is_err());
        assert!("SIGRTMAX-2147483647".parse::<Signal>().is_err());
    }

    #[test]
    fn sigpoll_is_another_name_for_sigio_which_is_printed() {
        let poll: Signal = "SIGPOLL".parse().unwrap();
        assert_eq!(poll.number(), 29);
        assert_eq!("POLL".parse(), Ok(poll));
        assert_eq!("SIGIO".parse(), Ok(poll));
        assert_eq!(poll.to_string(), "SIGIO");
        assert_eq!(
            "SIGPOL"
                .parse::<Signal>()
                .unwrap_err()
                .suggestion
                .as_deref(),
            Some("SIGPOLL")
        );
    }

    #[test]
    fn a_misspelt_name_suggests_the_real_one() {
        let err = "SIGCHDL".parse::<Signal>().unwrap_err();
        assert_eq!(err.suggestion.as_deref(), Some("SIGCHLD"));
    }
}
