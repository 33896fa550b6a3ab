//! The scenario lexer: a line split into tokens (words and quoted strings,
//! each with its column), and the readers of names, ends, signals, numbers
//! with their limits, and strings that the parser builds statements from.

use super::ast::{End, Name, OpResult, PageRange, Payload, Pos, INIT_NAME};
use super::error::{suggest, Cut, ErrorKind, ScenarioError};
use super::keyword::BYTE_UNITS;
use super::parse::{MAX_IO_BYTES, MAX_PAGES};
use crate::errno::Errno;
use crate::ipc::end_name::{self, EndName, Which};
use crate::sig::Signal;
use crate::words::alternatives;

// ---------------------------------------------------------------------------
// Tokens

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Word,
    /// A `"..."` string, escapes not yet decoded; `text` is between the quotes.
    Quoted,
    /// A `"` with no closing quote; `text` runs to the end of the line.
    Unterminated,
}

#[derive(Clone, Copy, Debug)]
pub(super) struct Token<'a> {
    pub(super) text: &'a str,
    /// 1-based column of the token's first character (the quote, if quoted).
    pub(super) col: u32,
    pub(super) kind: Kind,
    /// Byte offsets of the whole token (quotes included) in the line.
    pub(super) start: usize,
    pub(super) end: usize,
}

impl<'a> Token<'a> {
    pub(super) fn pos(&self, line: u32) -> Pos {
        Pos {
            line,
            col: self.col,
        }
    }

    pub(super) fn is_word(&self, word: &str) -> bool {
        self.kind == Kind::Word && self.text == word
    }

    /// How many columns the token takes.
    pub(super) fn width(&self) -> u32 {
        let quotes = match self.kind {
            Kind::Word => 0,
            Kind::Quoted => 2,
            Kind::Unterminated => 1,
        };
        count_chars(self.text).saturating_add(quotes)
    }

    /// The part of a word after its first `chars` characters, as a token.
    pub(super) fn split_at(self, chars: usize) -> Token<'a> {
        let bytes = self
            .text
            .char_indices()
            .nth(chars)
            .map_or(self.text.len(), |(i, _)| i);
        Token {
            text: &self.text[bytes..],
            col: self.col.saturating_add(chars as u32),
            start: self.start + bytes,
            ..self
        }
    }

    /// How an error names this token in "found ...".
    pub(super) fn describe(&self) -> String {
        match self.kind {
            Kind::Word => format!("\"{}\"", Cut(self.text)),
            Kind::Quoted | Kind::Unterminated => "a quoted string".to_string(),
        }
    }
}

pub(super) fn count_chars(s: &str) -> u32 {
    u32::try_from(s.chars().count()).unwrap_or(u32::MAX)
}

/// One line's tokens and a cursor over them.
pub(super) struct Line<'a> {
    pub(super) text: &'a str,
    pub(super) number: u32,
    pub(super) tokens: Vec<Token<'a>>,
    pub(super) next: usize,
    /// The column just after the last token: where "the end of the line" is.
    pub(super) end_col: u32,
}

impl<'a> Line<'a> {
    /// Split a line into words and quoted strings, stopping at a comment: a
    /// `#` that begins a word outside a string.
    pub(super) fn lex(text: &'a str, number: u32) -> Line<'a> {
        let mut tokens = Vec::new();
        let mut chars = text.char_indices().peekable();
        let mut col: u32 = 1;
        let mut end_col: u32 = 1;
        // `"a"#b` is one run of text: the `#` follows a string, not a space,
        // so it begins no word and starts no comment.
        let mut after_space = true;
        while let Some(&(start, c)) = chars.peek() {
            if c.is_whitespace() {
                chars.next();
                col = col.saturating_add(1);
                after_space = true;
                continue;
            }
            if c == '#' && after_space {
                break;
            }
            after_space = false;
            let token_col = col;
            let token = if c == '"' {
                chars.next();
                col = col.saturating_add(1);
                let mut escaped = false;
                let mut close = None;
                for (i, c) in chars.by_ref() {
                    col = col.saturating_add(1);
                    match c {
                        _ if escaped => escaped = false,
                        '\\' => escaped = true,
                        '"' => {
                            close = Some(i);
                            break;
                        }
                        _ => {}
                    }
                }
                match close {
                    Some(i) => Token {
                        text: &text[start + 1..i],
                        col: token_col,
                        kind: Kind::Quoted,
                        start,
                        end: i + 1,
                    },
                    None => Token {
                        text: &text[start + 1..],
                        col: token_col,
                        kind: Kind::Unterminated,
                        start,
                        end: text.len(),
                    },
                }
            } else {
                let mut end = text.len();
                while let Some(&(i, c)) = chars.peek() {
                    if c.is_whitespace() {
                        end = i;
                        break;
                    }
                    chars.next();
                    col = col.saturating_add(1);
                }
                Token {
                    text: &text[start..end],
                    col: token_col,
                    kind: Kind::Word,
                    start,
                    end,
                }
            };
            end_col = col;
            tokens.push(token);
        }
        Line {
            text,
            number,
            tokens,
            next: 0,
            end_col,
        }
    }

    /// The text after the first word, for `title` and `say`: kept as written
    /// (quotes and all) up to a comment, with the ends trimmed.
    pub(super) fn rest_text(&self, what: &str) -> Result<String, ScenarioError> {
        match (self.tokens.get(1), self.tokens.last()) {
            (Some(first), Some(last)) => {
                Ok(self.text[first.start..last.end].trim_end().to_string())
            }
            _ => Err(expected(self.end_pos(), what, "the end of the line".into())),
        }
    }

    /// An unclosed string is an error on any line whose words are parsed.
    pub(super) fn check_strings(&self) -> Result<(), ScenarioError> {
        match self.tokens.iter().find(|t| t.kind == Kind::Unterminated) {
            Some(t) => Err(ScenarioError::new(
                t.pos(self.number),
                ErrorKind::UnterminatedString,
            )),
            None => Ok(()),
        }
    }

    pub(super) fn end_pos(&self) -> Pos {
        Pos {
            line: self.number,
            col: self.end_col,
        }
    }

    pub(super) fn peek(&self) -> Option<Token<'a>> {
        self.tokens.get(self.next).copied()
    }

    /// How many tokens are left to read.
    pub(super) fn remaining(&self) -> usize {
        self.tokens.len().saturating_sub(self.next)
    }

    pub(super) fn advance(&mut self) {
        self.next += 1;
    }

    /// Put back the rest of a word that held more than one token (`p:fork`).
    pub(super) fn push_front(&mut self, token: Token<'a>) {
        self.tokens.insert(self.next, token);
    }

    pub(super) fn next(&mut self, expected_what: &str) -> Result<Token<'a>, ScenarioError> {
        let token = self
            .peek()
            .ok_or_else(|| expected(self.end_pos(), expected_what, "the end of the line".into()))?;
        self.advance();
        Ok(token)
    }

    /// The next token, which must be a word (not a quoted string).
    pub(super) fn word(&mut self, expected_what: &str) -> Result<Token<'a>, ScenarioError> {
        let token = self.next(expected_what)?;
        match token.kind {
            Kind::Word => Ok(token),
            _ => Err(expected(
                token.pos(self.number),
                expected_what,
                token.describe(),
            )),
        }
    }

    pub(super) fn keyword(&mut self, keyword: &str) -> Result<(), ScenarioError> {
        let what = format!("\"{keyword}\"");
        let token = self.word(&what)?;
        if token.text == keyword {
            Ok(())
        } else {
            Err(expected(token.pos(self.number), &what, token.describe()))
        }
    }

    /// One of a few fixed words, each standing for a value (a keyword
    /// table's `WORDS`); an error offers them all, in order.
    pub(super) fn one_of<T: Clone>(&mut self, choices: &[(&str, T)]) -> Result<T, ScenarioError> {
        let what = alternatives(choices.iter().map(|(word, _)| word));
        let token = self.word(&what)?;
        choices
            .iter()
            .find(|(word, _)| *word == token.text)
            .map(|(_, value)| value.clone())
            .ok_or_else(|| expected(token.pos(self.number), &what, token.describe()))
    }

    /// The line must end here; `flags` are optional words that could have
    /// come instead, named in the error.
    pub(super) fn finish(&self, flags: &[&str]) -> Result<(), ScenarioError> {
        let Some(extra) = self.peek() else {
            return Ok(());
        };
        let mut what: String = flags.iter().map(|f| format!("\"{f}\" or ")).collect();
        what.push_str("the end of the line");
        Err(expected(extra.pos(self.number), &what, extra.describe()))
    }

    pub(super) fn name(&mut self, what: &str) -> Result<Name, ScenarioError> {
        let token = self.word(what)?;
        name_from(token, self.number)
    }

    /// A name being introduced, which may not be `init`.
    pub(super) fn declared_name(&mut self, what: &str) -> Result<Name, ScenarioError> {
        let name = self.name(what)?;
        if name.text == INIT_NAME {
            return Err(ScenarioError::new(
                name.pos,
                ErrorKind::ReservedName { word: name.text },
            ));
        }
        Ok(name)
    }

    pub(super) fn end(&mut self) -> Result<End, ScenarioError> {
        let token = self.word(&an_end())?;
        end_from(token, self.number)
    }

    /// A plain number of at most `max`; `subject` names it in "too large".
    pub(super) fn count(
        &mut self,
        what: &str,
        subject: &str,
        max: u64,
    ) -> Result<u64, ScenarioError> {
        let token = self.word(what)?;
        bounded(token.text, token.pos(self.number), what, subject, max)
    }

    /// A byte count of a `send` or `recv`: a plain number, or one with
    /// K/KiB, M/MiB or G/GiB after it, from 0 to MAX_IO_BYTES.
    pub(super) fn bytes(&mut self, what: &str) -> Result<u64, ScenarioError> {
        let n = self.integer(what, "the byte count", 0, MAX_IO_BYTES.into(), true)?;
        Ok(n as u64) // within 0..=MAX_IO_BYTES, checked by integer()
    }

    /// A count the kernel reports as a C int (FIONREAD for `queued`): a
    /// byte count from 0 to INT_MAX.
    pub(super) fn int_bytes(&mut self, what: &str) -> Result<u64, ScenarioError> {
        let n = self.integer(what, "the byte count", 0, i32::MAX.into(), true)?;
        Ok(n as u64) // within 0..=INT_MAX
    }

    /// An argument the syscall takes as a C int (SO_SNDBUF's value,
    /// F_SETPIPE_SZ's size): any value from INT_MIN to INT_MAX, negative
    /// ones included, with an optional K/M/G unit. What the kernel then
    /// does with a negative value is the model's business, not the
    /// parser's.
    pub(super) fn c_int(&mut self, what: &str, subject: &str) -> Result<i32, ScenarioError> {
        let n = self.integer(what, subject, i32::MIN.into(), i32::MAX.into(), true)?;
        Ok(n as i32) // within i32's range, checked by integer()
    }

    /// An integer from `min` to `max`: an optional `-`, digits, and (if
    /// `units`) K/KiB, M/MiB or G/GiB (powers of 1024). `what` names it
    /// when the word is not a number; `subject` when it is out of range,
    /// and the error says the range.
    pub(super) fn integer(
        &mut self,
        what: &str,
        subject: &str,
        min: i128,
        max: i128,
        units: bool,
    ) -> Result<i128, ScenarioError> {
        let token = self.word(what)?;
        let pos = token.pos(self.number);
        let (digits, unit) = BYTE_UNITS
            .iter()
            .filter(|_| units)
            .find_map(|(suffix, unit)| {
                token
                    .text
                    .strip_suffix(suffix)
                    .map(|d| (d, i128::from(*unit)))
            })
            .unwrap_or((token.text, 1));
        let negative = digits.starts_with('-');
        let out_of_range = || ScenarioError::new(pos, range_error(subject, min, max, negative));
        match signed(digits) {
            // "64X" is not a number; say so of the whole word, not its digits.
            Number::Invalid => Err(expected(pos, what, token.describe())),
            Number::TooLong => Err(out_of_range()),
            Number::Value(n) => n
                .checked_mul(unit)
                .filter(|n| (min..=max).contains(n))
                .ok_or_else(out_of_range),
        }
    }

    pub(super) fn payload(&mut self) -> Result<Payload, ScenarioError> {
        match self.peek() {
            Some(token) if token.kind == Kind::Quoted => {
                self.advance();
                Ok(Payload::Text(unescape(token, self.number)?))
            }
            _ => Ok(Payload::Bytes(
                self.bytes("a byte count or a \"quoted string\"")?,
            )),
        }
    }

    /// `I` or `I..J`, half-open.
    pub(super) fn range(&mut self) -> Result<PageRange, ScenarioError> {
        let what = "a page number or a range such as 0..4";
        let token = self.word(what)?;
        let pos = token.pos(self.number);
        let Some((start, end)) = token.text.split_once("..") else {
            let max = u64::from(MAX_PAGES - 1);
            let page = bounded(token.text, pos, what, "the page number", max)?;
            return Ok(PageRange::single(page as u32, pos));
        };
        let end_pos = Pos {
            line: pos.line,
            col: pos.col.saturating_add(count_chars(start).saturating_add(2)),
        };
        // Bounded only by u64 first, so that `9..3` is a bad range whatever
        // the sizes; then `start < end <= MAX_PAGES` bounds both.
        let start = bounded(
            start,
            pos,
            "a page number before \"..\"",
            "the page number",
            u64::MAX,
        )?;
        let end = bounded(
            end,
            end_pos,
            "a page number after \"..\"",
            "the page number",
            u64::MAX,
        )?;
        if end <= start {
            return Err(ScenarioError::new(pos, ErrorKind::BadRange { start, end }));
        }
        let end = bounded_value(end, end_pos, "the end of the range", u64::from(MAX_PAGES))?;
        Ok(PageRange::new(start as u32, end as u32, pos))
    }

    /// exit(2) takes a C int; the status keeps its low 8 bits.
    pub(super) fn exit_code(&mut self) -> Result<i32, ScenarioError> {
        let what = "an exit code";
        let n = self.integer(
            what,
            "the exit code",
            i32::MIN.into(),
            i32::MAX.into(),
            false,
        )?;
        Ok(n as i32) // within i32's range, checked by integer()
    }

    /// A number (possibly negative) or an errno name.
    pub(super) fn result(&mut self) -> Result<OpResult, ScenarioError> {
        let what = "a number or an errno name such as EAGAIN";
        let token = self.word(what)?;
        let pos = token.pos(self.number);
        let text = token.text;
        if text.starts_with(|c: char| c.is_ascii_digit() || c == '-') {
            let too_large = || {
                ScenarioError::new(
                    pos,
                    ErrorKind::TooLarge {
                        what: "the result".into(),
                        max: i64::MAX as u64,
                    },
                )
            };
            return match signed(text) {
                Number::Invalid => Err(expected(pos, what, token.describe())),
                Number::TooLong => Err(too_large()),
                Number::Value(n) => i64::try_from(n)
                    .map(OpResult::Value)
                    .map_err(|_| too_large()),
            };
        }
        text.parse::<Errno>().map(OpResult::Error).map_err(|()| {
            // Compare in capitals so that `eagain` suggests EAGAIN.
            let upper = text.to_ascii_uppercase();
            let suggestion = suggest(&upper, Errno::ALL.iter().map(|e| e.name()));
            ScenarioError::new(
                pos,
                ErrorKind::UnknownErrno {
                    word: text.to_string(),
                    suggestion,
                },
            )
        })
    }

    pub(super) fn signal(&mut self) -> Result<Signal, ScenarioError> {
        let token = self.word("a signal such as SIGTERM")?;
        signal_from(token, self.number)
    }

    /// One or more signals, to the end of the line.
    pub(super) fn signals(&mut self) -> Result<Vec<Signal>, ScenarioError> {
        let mut signals = vec![self.signal()?];
        while self.peek().is_some() {
            signals.push(self.signal()?);
        }
        Ok(signals)
    }
}

// ---------------------------------------------------------------------------
// Words

/// The error for a number outside `min..=max`: "too large" when a
/// non-negative number passed the top of a range that starts at 0,
/// otherwise the whole range.
pub(super) fn range_error(subject: &str, min: i128, max: i128, negative: bool) -> ErrorKind {
    match (min, u64::try_from(max)) {
        (0, Ok(max)) if !negative => ErrorKind::TooLarge {
            what: subject.to_string(),
            max,
        },
        // Every range the language has fits an i64.
        _ => ErrorKind::OutOfRange {
            what: subject.to_string(),
            min: i64::try_from(min).unwrap_or(i64::MIN),
            max: i64::try_from(max).unwrap_or(i64::MAX),
        },
    }
}

pub(super) fn expected(pos: Pos, expected: &str, found: String) -> ScenarioError {
    ScenarioError::new(
        pos,
        ErrorKind::Expected {
            expected: expected.to_string(),
            found,
        },
    )
}

/// `[a-z][a-z0-9_-]*`
pub(super) fn is_name(word: &str) -> bool {
    let mut chars = word.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

pub(super) fn name_from(token: Token<'_>, line: u32) -> Result<Name, ScenarioError> {
    let pos = token.pos(line);
    if !is_name(token.text) {
        return Err(ScenarioError::new(
            pos,
            ErrorKind::BadName {
                word: token.text.to_string(),
            },
        ));
    }
    Ok(Name {
        text: token.text.to_string(),
        pos,
    })
}

/// `p.r`, `p.w`, `s.0` or `s.1`.
pub(super) fn end_from(token: Token<'_>, line: u32) -> Result<End, ScenarioError> {
    let pos = token.pos(line);
    let bad = || expected(pos, &an_end(), token.describe());
    let (object, suffix) = EndName::split(token.text).ok_or_else(bad)?;
    let object = name_from(
        Token {
            text: object,
            ..token
        },
        line,
    )?;
    let which = Which::from_suffix(suffix).ok_or_else(bad)?;
    Ok(End::new(object, which))
}

/// "an end such as p.r, p.w, s.0 or s.1".
fn an_end() -> String {
    format!("an end such as {}", end_name::EXAMPLES)
}

pub(super) fn signal_from(token: Token<'_>, line: u32) -> Result<Signal, ScenarioError> {
    // A number (SIG15 or 15) names a signal only from 1 to _NSIG = 64
    // (include/uapi/asm-generic/signal.h); say so rather than "unknown".
    let upper = token.text.to_ascii_uppercase();
    let digits = upper.strip_prefix("SIG").unwrap_or(&upper);
    let nsig = i128::from(Signal::SIGRTMAX.number());
    if let Number::Value(n) = signed(digits) {
        if !(1..=nsig).contains(&n) {
            return Err(ScenarioError::new(
                token.pos(line),
                range_error("the signal number", 1, nsig, n < 0),
            ));
        }
    }
    token.text.parse::<Signal>().map_err(|e| {
        let word = token.text.to_string();
        let kind = match e.reserved {
            Some(number) => ErrorKind::ReservedSignal { word, number },
            None => ErrorKind::UnknownSignal {
                word,
                suggestion: e.suggestion,
            },
        };
        ScenarioError::new(token.pos(line), kind)
    })
}

/// What a word holds, read as a decimal number.
pub(super) enum Number<T> {
    Invalid,
    /// Digits, but more than the type holds.
    TooLong,
    Value(T),
}

/// Digits only, so `+3`, `0x10` and `1_000` are not numbers.
pub(super) fn number(text: &str) -> Number<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Number::Invalid;
    }
    // All digits, so the only way to fail is to be too long for a u64.
    text.parse().map_or(Number::TooLong, Number::Value)
}

/// A number with an optional leading `-`.
pub(super) fn signed(text: &str) -> Number<i128> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(digits) => (true, digits),
        None => (false, text),
    };
    match number(digits) {
        Number::Invalid => Number::Invalid,
        Number::TooLong => Number::TooLong,
        Number::Value(n) if negative => Number::Value(-i128::from(n)),
        Number::Value(n) => Number::Value(i128::from(n)),
    }
}

/// A plain number of at most `max`: `what` names it when it is not a number,
/// `subject` when it is too large.
pub(super) fn bounded(
    text: &str,
    pos: Pos,
    what: &str,
    subject: &str,
    max: u64,
) -> Result<u64, ScenarioError> {
    match number(text) {
        Number::Invalid => {
            let found = if text.is_empty() {
                "nothing".to_string()
            } else {
                format!("\"{text}\"")
            };
            Err(expected(pos, what, found))
        }
        Number::TooLong => Err(ScenarioError::new(
            pos,
            ErrorKind::TooLarge {
                what: subject.to_string(),
                max,
            },
        )),
        Number::Value(n) => bounded_value(n, pos, subject, max),
    }
}

pub(super) fn bounded_value(
    n: u64,
    pos: Pos,
    subject: &str,
    max: u64,
) -> Result<u64, ScenarioError> {
    if n > max {
        return Err(ScenarioError::new(
            pos,
            ErrorKind::TooLarge {
                what: subject.to_string(),
                max,
            },
        ));
    }
    Ok(n)
}

/// Decode a quoted string's escapes: `\"`, `\\`, `\n`, `\t`.
pub(super) fn unescape(token: Token<'_>, line: u32) -> Result<String, ScenarioError> {
    let mut out = String::with_capacity(token.text.len());
    let mut chars = token.text.chars();
    // Columns count from the opening quote.
    let mut col = token.col;
    while let Some(c) = chars.next() {
        col = col.saturating_add(1);
        if c != '\\' {
            out.push(c);
            continue;
        }
        let escape = chars.next();
        out.push(match escape {
            Some('"') => '"',
            Some('\\') => '\\',
            Some('n') => '\n',
            Some('t') => '\t',
            other => {
                // The lexer never ends a string on a backslash, so `other` is
                // a character; spell it out either way.
                let found = other.map_or("\\".to_string(), |c| format!("\"\\{c}\""));
                return Err(expected(
                    Pos { line, col },
                    "one of the escapes \\\" \\\\ \\n \\t",
                    found,
                ));
            }
        });
        col = col.saturating_add(1);
    }
    Ok(out)
}
