//! The errno values an operation can fail with, numbered as on Linux
//! (include/uapi/asm-generic/errno-base.h and errno.h).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

macro_rules! errnos {
    ($($name:ident = $n:literal: $text:literal,)*) => {
        /// An errno a scenario operation can return.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[allow(clippy::upper_case_acronyms)]
        pub enum Errno { $($name,)* }

        impl Errno {
            /// Every errno the model can return, in declaration order.
            pub const ALL: &'static [Errno] = &[$(Errno::$name,)*];

            /// The number Linux gives it.
            pub fn number(self) -> i32 {
                match self { $(Errno::$name => $n,)* }
            }

            /// strerror's words, for narration.
            pub fn describe(self) -> &'static str {
                match self { $(Errno::$name => $text,)* }
            }

            /// The symbolic name, as in `EPIPE`.
            pub fn name(self) -> &'static str {
                match self { $(Errno::$name => stringify!($name),)* }
            }

            /// The errno with this number, if the model knows it.
            pub fn from_number(n: i32) -> Option<Errno> {
                match n { $($n => Some(Errno::$name),)* _ => None }
            }
        }
    };
}

errnos! {
    EPERM = 1: "operation not permitted",
    ESRCH = 3: "no such process",
    EINTR = 4: "interrupted system call",
    EBADF = 9: "bad file descriptor",
    ECHILD = 10: "no child processes",
    EAGAIN = 11: "resource temporarily unavailable",
    ENOMEM = 12: "cannot allocate memory",
    EFAULT = 14: "bad address",
    EBUSY = 16: "device or resource busy",
    EINVAL = 22: "invalid argument",
    EMFILE = 24: "too many open files",
    EPIPE = 32: "broken pipe",
    ENOENT = 2: "no such file or directory",
    ENOTSOCK = 88: "socket operation on non-socket",
    EMSGSIZE = 90: "message too long",
    ENOTCONN = 107: "transport endpoint is not connected",
    ECONNRESET = 104: "connection reset by peer",
    ENOBUFS = 105: "no buffer space available",
    ECONNREFUSED = 111: "connection refused",
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Errno {
    type Err = ();

    fn from_str(s: &str) -> Result<Errno, ()> {
        Errno::ALL.iter().copied().find(|e| e.name() == s).ok_or(())
    }
}
