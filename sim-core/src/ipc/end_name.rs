//! The names of ends, spelled here and nowhere else: a pipe `p` has the
//! ends `p.r` (read) and `p.w` (write), a socketpair `s` the sockets `s.0`
//! and `s.1` (`sv[0]` and `sv[1]` of socketpair(2)).
//!
//! The scenario parser reads them, the model names its ends with them
//! (`World::end_name`, `World::ends`), and `forkscope check` keys the fds
//! of its workers and the queues it observes by them.

use super::pipe::PipeEnd;
use super::socket::Side;
use std::fmt;

/// What a person is shown as an example of an end, in errors.
pub const EXAMPLES: &str = "p.r, p.w, s.0 or s.1";

/// Which end of its object a name says: the part after the last dot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Which {
    Pipe(PipeEnd),
    Sock(Side),
}

impl Which {
    /// A pipe's two ends, in the order pipe(2) returns them: read, write.
    pub const PIPE: [Which; 2] = [Which::Pipe(PipeEnd::Read), Which::Pipe(PipeEnd::Write)];
    /// A socketpair's two sockets, in the order socketpair(2) returns them.
    pub const SOCKETPAIR: [Which; 2] = [Which::Sock(Side::Zero), Which::Sock(Side::One)];

    /// The text after the dot: `r`, `w`, `0` or `1`.
    pub fn suffix(self) -> &'static str {
        match self {
            Which::Pipe(PipeEnd::Read) => "r",
            Which::Pipe(PipeEnd::Write) => "w",
            Which::Sock(Side::Zero) => "0",
            Which::Sock(Side::One) => "1",
        }
    }

    /// The end a suffix names, if it names one.
    pub fn from_suffix(suffix: &str) -> Option<Which> {
        [Which::PIPE, Which::SOCKETPAIR]
            .into_iter()
            .flatten()
            .find(|w| w.suffix() == suffix)
    }
}

/// An end's name: its object (a name, or anything shown as one) and which
/// end of it. Shown as `object.suffix`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EndName<T> {
    /// The pipe or socketpair.
    pub object: T,
    /// Which of its two ends.
    pub which: Which,
}

impl<T> EndName<T> {
    /// The end `which` of the pipe or socketpair `object`.
    pub fn new(object: T, which: Which) -> EndName<T> {
        EndName { object, which }
    }
}

impl<'a> EndName<&'a str> {
    /// `p.r` as its object and suffix, split at the last dot, whether or
    /// not the suffix names an end (so that a parser can judge the
    /// object's name before the suffix); None without a dot.
    pub fn split(text: &'a str) -> Option<(&'a str, &'a str)> {
        text.rsplit_once('.')
    }

    /// The end `text` names, if it is `object.suffix` with a suffix that
    /// names an end (the object's name is not judged here).
    pub fn parse(text: &'a str) -> Option<EndName<&'a str>> {
        let (object, suffix) = EndName::split(text)?;
        Some(EndName::new(object, Which::from_suffix(suffix)?))
    }
}

impl<T: fmt::Display> fmt::Display for EndName<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.object, self.which.suffix())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_end_name_reads_back_as_the_end_it_was_made_from() {
        for which in [Which::PIPE, Which::SOCKETPAIR].into_iter().flatten() {
            let text = EndName::new("o1", which).to_string();
            assert_eq!(EndName::parse(&text), Some(EndName::new("o1", which)));
        }
        assert_eq!(EndName::new("p", Which::PIPE[0]).to_string(), "p.r");
        assert_eq!(EndName::new("s", Which::SOCKETPAIR[1]).to_string(), "s.1");
    }

    #[test]
    fn a_name_without_a_dot_or_with_an_unknown_suffix_names_no_end() {
        assert_eq!(EndName::parse("p"), None);
        assert_eq!(EndName::parse("p.x"), None);
        assert_eq!(EndName::parse("p.2"), None);
        // The last dot splits: an object's name has none, the parser says so.
        assert_eq!(
            EndName::parse("a.b.w"),
            Some(EndName::new("a.b", Which::PIPE[1]))
        );
    }
}
