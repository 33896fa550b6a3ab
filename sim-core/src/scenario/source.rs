//! A scenario file's bytes before the parser sees them: how large a
//! scenario may be, and whether the bytes are text at all. Also the one
//! check that needs the whole parsed file: that it has something to run.
//!
//! Errors name the line and column (counted in characters, as the parser
//! counts them) of the first byte that is wrong.

use super::ast::{Pos, Scenario, StatementKind};
use super::error::{ErrorKind, ScenarioError};

/// The most bytes a scenario file may hold: 1 MiB. The longest lesson is a
/// few KiB; the limit is there so that a tool reading a file with no end
/// (`/dev/zero`, a FIFO) or a wrong file stops at a bound instead of
/// filling memory. A reader should read at most `MAX_SOURCE_BYTES + 1`
/// bytes and call a longer file too large.
pub const MAX_SOURCE_BYTES: usize = 1 << 20;

/// "1 MiB": `MAX_SOURCE_BYTES` as a person reads it.
pub const MAX_SOURCE_TEXT: &str = "1 MiB (1048576 bytes)";

/// The bytes as text, or where the first byte is that text may not hold:
/// a byte that is not UTF-8, or a NUL (which UTF-8 allows, but no scenario
/// has: it means a binary file).
pub fn decode(bytes: &[u8]) -> Result<&str, ScenarioError> {
    let (valid, bad_byte) = match std::str::from_utf8(bytes) {
        Ok(text) => (text, None),
        Err(e) => {
            let valid = std::str::from_utf8(&bytes[..e.valid_up_to()])
                .expect("the bytes up to valid_up_to are UTF-8");
            (valid, bytes.get(e.valid_up_to()).copied())
        }
    };
    if let Some(nul) = valid.find('\0') {
        return Err(ScenarioError::new(pos_at(valid, nul), ErrorKind::NulByte));
    }
    match bad_byte {
        Some(byte) => Err(ScenarioError::new(
            pos_at(valid, valid.len()),
            ErrorKind::NotUtf8 { byte },
        )),
        None => Ok(valid),
    }
}

/// The line and column of byte `offset` of `text`, as the parser counts
/// them: lines from 1, characters from 1, a leading byte-order mark not
/// counted.
fn pos_at(text: &str, offset: usize) -> Pos {
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.bytes().filter(|b| *b == b'\n').count() + 1;
    let mut this_line = &before[line_start..];
    if line == 1 {
        this_line = this_line.strip_prefix('\u{feff}').unwrap_or(this_line);
    }
    Pos {
        line: u32::try_from(line).unwrap_or(u32::MAX),
        col: u32::try_from(this_line.chars().count() + 1).unwrap_or(u32::MAX),
    }
}

/// A scenario to run must have a step: a `process` or an operation. A file
/// of blank lines, comments, a title or `say` lines parses, but running it
/// would show nothing and call that a success. The error points just past
/// the last line of `text`, where the missing statements would go.
pub fn require_statements(scenario: &Scenario, text: &str) -> Result<(), ScenarioError> {
    let runs = scenario.statements.iter().any(|s| {
        matches!(
            s.kind,
            StatementKind::Process { .. }
                | StatementKind::Op { .. }
                | StatementKind::NodeProcess { .. }
                | StatementKind::Node { .. }
        )
    });
    if runs {
        return Ok(());
    }
    let lines = text.lines().count();
    Err(ScenarioError::new(
        Pos {
            line: u32::try_from(lines + 1).unwrap_or(u32::MAX),
            col: 1,
        },
        ErrorKind::NoStatements,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_bad_byte_is_named_by_line_and_character_column() {
        let err = decode(b"process p\np: mmap h\xc3\xa9\xff 1\n").unwrap_err();
        assert_eq!(err.pos, Pos { line: 2, col: 11 });
        assert_eq!(err.kind, ErrorKind::NotUtf8 { byte: 0xff });
        let err = decode(b"\x7fELF\x02\x01\x01\x00\xff").unwrap_err();
        assert_eq!(err.pos, Pos { line: 1, col: 8 });
        assert_eq!(err.kind, ErrorKind::NulByte);
        assert_eq!(decode("process p\n".as_bytes()), Ok("process p\n"));
    }
}
