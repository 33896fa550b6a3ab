//! The parser: text to `Scenario`, or the first error with its line and column.
//!
//! Parsing is line by line: each line is split into tokens (words and quoted
//! strings, each with its column), and the first word decides which statement
//! the line is. Errors point at the word that is wrong, counted in characters
//! from 1, and say in a learner's words what was expected there.
//!
//! The parser checks only what a single line can tell: spelling, numbers and
//! their limits, one title. Whether a name refers to anything (a process, a
//! region, a pipe) is for the run to check, since that depends on what
//! happened on earlier lines.

use super::ast::{
    Action, End, ExitStatus, Expect, Name, Op, OpResult, PageCheck, PageRange, Payload, Pos,
    Scenario, StateName, Statement, StatementKind, INIT_NAME,
};
use super::error::{suggest, ErrorKind, ScenarioError};
use crate::errno::Errno;
use crate::sig::Signal;

/// The most pages one `mmap` may ask for: 1,048,576 pages of 4 KiB = 4 GiB.
/// Far beyond any lesson, and it keeps page arithmetic inside `u32`.
pub const MAX_PAGES: u32 = 1 << 20;

/// The largest byte count (`send`, `recv`, `pipesize`, `sndbuf`, `queued`):
/// 1 GiB, above Linux's default /proc/sys/fs/pipe-max-size (1 MiB) and any
/// socket buffer a scenario could get.
pub const MAX_BYTES: u64 = 1 << 30;

/// The words that may begin a line, besides `ACTOR:`.
const STATEMENTS: &[&str] = &["title", "process", "say", "expect"];

/// Parse a whole scenario.
pub fn parse(text: &str) -> Result<Scenario, ScenarioError> {
    // A byte-order mark some editors write is not part of the first word.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut title: Option<(String, u32)> = None;
    let mut statements = Vec::new();
    for (index, line_text) in text.lines().enumerate() {
        let line = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let mut line = Line::lex(line_text, line);
        let Some(first) = line.tokens.first().copied() else {
            continue; // blank, or only a comment
        };
        if first.is_word("title") {
            let text = line.rest_text("the title")?;
            if let Some((_, first_line)) = &title {
                return Err(ScenarioError::new(
                    first.pos(line.number),
                    ErrorKind::DuplicateTitle {
                        first_line: *first_line,
                    },
                ));
            }
            title = Some((text, line.number));
            continue;
        }
        let pos = first.pos(line.number);
        let kind = if first.is_word("say") {
            StatementKind::Say {
                text: line.rest_text("the text to say")?,
            }
        } else {
            line.check_strings()?;
            statement(&mut line)?
        };
        statements.push(Statement { pos, kind });
    }
    Ok(Scenario {
        title: title.map(|(text, _)| text),
        statements,
    })
}

/// Any statement but `title` and `say`, whose text is not tokenized.
fn statement(line: &mut Line<'_>) -> Result<StatementKind, ScenarioError> {
    let first = line.next("a statement")?;
    if first.kind != Kind::Word {
        return Err(unknown_statement(line, first));
    }
    if first.is_word("process") {
        let name = line.declared_name("a process name")?;
        line.finish(&[])?;
        return Ok(StatementKind::Process { name });
    }
    if first.is_word("expect") {
        let expect = expect(line)?;
        line.finish(&[])?;
        return Ok(StatementKind::Expect { expect });
    }
    // `actor: op`, also written `actor:op` or `actor : op`.
    if let Some((actor, rest)) = first.text.split_once(':') {
        let actor = Token {
            text: actor,
            ..first
        };
        if !rest.is_empty() {
            line.push_front(first.split_at(actor.text.chars().count() + 1));
        }
        return op_statement(line, actor);
    }
    if let Some(colon) = line
        .peek()
        .filter(|t| t.kind == Kind::Word && t.text.starts_with(':'))
    {
        line.advance();
        if colon.text.len() > 1 {
            line.push_front(colon.split_at(1));
        }
        return op_statement(line, first);
    }
    Err(unknown_statement(line, first))
}

/// The most helpful error for a line that begins with an unknown word.
fn unknown_statement(line: &Line<'_>, first: Token<'_>) -> ScenarioError {
    let pos = first.pos(line.number);
    let word = first.text.to_string();
    if first.kind != Kind::Word {
        return expected(pos, "a statement", first.describe());
    }
    // A near miss of a statement keyword is the likeliest story (`expcet`).
    if let Some(suggestion) = suggest(&word, STATEMENTS.iter().copied()) {
        return ScenarioError::new(
            pos,
            ErrorKind::UnknownStatement {
                word,
                suggestion: Some(suggestion),
            },
        );
    }
    // `parent fork child`: a name and an operation, but no colon between them.
    let second_is_op = line.peek().is_some_and(|t| {
        t.kind == Kind::Word
            && (Op::KEYWORDS.contains(&t.text)
                || suggest(t.text, Op::KEYWORDS.iter().copied()).is_some())
    });
    if second_is_op && is_name(&word) {
        let after = Pos {
            line: pos.line,
            col: pos.col.saturating_add(first.width()),
        };
        return expected(
            after,
            &format!("':' after the process name \"{word}\""),
            line.peek()
                .map_or_else(|| "the end of the line".into(), |t| t.describe()),
        );
    }
    // `fork child`: an operation with nobody to do it.
    if Op::KEYWORDS.contains(&first.text) {
        return expected(
            pos,
            "a process name and ':' before the operation",
            first.describe(),
        );
    }
    ScenarioError::new(
        pos,
        ErrorKind::UnknownStatement {
            word,
            suggestion: None,
        },
    )
}

/// The rest of `actor: op args`, after the colon.
fn op_statement(line: &mut Line<'_>, actor: Token<'_>) -> Result<StatementKind, ScenarioError> {
    let actor_pos = actor.pos(line.number);
    if actor.text.is_empty() {
        return Err(expected(
            actor_pos,
            "a process name before ':'",
            "':'".into(),
        ));
    }
    let actor = name_from(actor, line.number)?;
    let op = op(line)?;
    Ok(StatementKind::Op { actor, op })
}

fn op(line: &mut Line<'_>) -> Result<Op, ScenarioError> {
    let word = line.word("an operation")?;
    let op = match word.text {
        "mmap" => {
            let region = line.declared_name("a region name")?;
            let pages = line.count("a page count", "the page count", u64::from(MAX_PAGES))? as u32;
            let shared = line.flag("shared");
            Op::Mmap {
                region,
                pages,
                shared,
            }
        }
        "munmap" => Op::Munmap {
            region: line.name("a region name")?,
        },
        "read" => Op::Read {
            region: line.name("a region name")?,
            range: line.range()?,
        },
        "write" => Op::Write {
            region: line.name("a region name")?,
            range: line.range()?,
        },
        "fork" => Op::Fork {
            child: line.declared_name("a name for the child")?,
        },
        "exec" => {
            let program = line.word("a program such as /bin/true or node")?;
            Op::Exec {
                program: program.text.to_string(),
            }
        }
        "exit" => Op::Exit {
            code: line.exit_code()?,
        },
        "wait" => {
            let child = match line.peek() {
                Some(_) => Some(line.name("the name of a child")?),
                None => None,
            };
            Op::Wait { child }
        }
        "pipe" => Op::Pipe {
            pipe: line.declared_name("a pipe name")?,
        },
        "socketpair" => {
            let pair = line.declared_name("a socketpair name")?;
            Op::Socketpair {
                pair,
                dgram: line.flag("dgram"),
            }
        }
        "close" => Op::Close { end: line.end()? },
        "send" => {
            let end = line.end()?;
            let payload = line.payload()?;
            Op::Send {
                end,
                payload,
                nonblock: line.flag("nonblock"),
            }
        }
        "recv" => {
            let end = line.end()?;
            let max = line.bytes("a byte count")?;
            Op::Recv {
                end,
                max,
                nonblock: line.flag("nonblock"),
            }
        }
        "pipesize" => {
            let pipe = line.name("a pipe name")?;
            Op::Pipesize {
                pipe,
                bytes: line.bytes("a size in bytes")?,
            }
        }
        "sndbuf" => Op::Sndbuf {
            end: line.end()?,
            bytes: line.bytes("a size in bytes")?,
        },
        "signal" => {
            let signal = line.signal()?;
            let action = line.one_of(
                "handle, ignore or default",
                &[
                    ("handle", Action::Handle),
                    ("ignore", Action::Ignore),
                    ("default", Action::Default),
                ],
            )?;
            Op::Signal {
                signal,
                action,
                nocldwait: line.flag("nocldwait"),
            }
        }
        "block" => Op::Block {
            signals: line.signals()?,
        },
        "unblock" => Op::Unblock {
            signals: line.signals()?,
        },
        "kill" => {
            let target = line.name("the process to signal")?;
            Op::Kill {
                target,
                signal: line.signal()?,
            }
        }
        other => {
            let suggestion = suggest(other, Op::KEYWORDS.iter().copied());
            return Err(ScenarioError::new(
                word.pos(line.number),
                ErrorKind::UnknownOperation {
                    word: other.to_string(),
                    suggestion,
                },
            ));
        }
    };
    // Say which optional words were possible, so `mmap heap 8 shraed` reads well.
    let flags: &[&str] = match &op {
        Op::Mmap { shared: false, .. } => &["shared"],
        Op::Socketpair { dgram: false, .. } => &["dgram"],
        Op::Send {
            nonblock: false, ..
        }
        | Op::Recv {
            nonblock: false, ..
        } => &["nonblock"],
        Op::Signal {
            nocldwait: false, ..
        } => &["nocldwait"],
        _ => &[],
    };
    line.finish(flags)?;
    Ok(op)
}

/// Everything after `expect`.
fn expect(line: &mut Line<'_>) -> Result<Expect, ScenarioError> {
    let subject = line.word("a process, or a pipe or socket end, to check")?;
    let subject_pos = subject.pos(line.number);
    if subject.text.contains('[') {
        return Err(expected(
            subject_pos,
            "a process name before the page",
            subject.describe(),
        ));
    }
    if subject.text.contains('.') {
        let end = end_from(subject, line.number)?;
        line.keyword("queued")?;
        let bytes = line.bytes("a byte count")?;
        return Ok(Expect::Queued { end, bytes });
    }
    let process = name_from(subject, line.number)?;
    let what =
        line.word("what to check: R[I], faults, result, state, parent, handled or status")?;
    if let Some((region, index)) = what.text.split_once('[') {
        return page_expect(line, process, what, region, index);
    }
    Ok(match what.text {
        "faults" => Expect::Faults {
            process,
            count: line.count("a number of faults", "the number of faults", u64::MAX)?,
        },
        "result" => Expect::Result {
            process,
            result: line.result()?,
        },
        "state" => {
            let states = [
                StateName::Running,
                StateName::Blocked,
                StateName::Stopped,
                StateName::Zombie,
                StateName::Gone,
            ];
            let choices = states.map(|state| (state.as_str(), state));
            let what = "running, blocked, stopped, zombie or gone";
            Expect::State {
                process,
                state: line.one_of(what, &choices)?,
            }
        }
        // `init` is allowed here: it is the one name no line declares.
        "parent" => Expect::Parent {
            process,
            parent: line.name("the parent's name, or init")?,
        },
        "handled" => {
            let signal = line.signal()?;
            let count = line.count("how many times the handler ran", "the count", u64::MAX)?;
            Expect::Handled {
                process,
                signal,
                count,
            }
        }
        "status" => {
            let exited = line.one_of(
                "exited or signaled",
                &[("exited", true), ("signaled", false)],
            )?;
            let status = if exited {
                let code = line.count("an exit status (0 to 255)", "the exit status", 255)?;
                ExitStatus::Exited(code as u8) // at most 255, checked just above
            } else {
                ExitStatus::Signaled(line.signal()?)
            };
            Expect::Status { process, status }
        }
        other => {
            const CHECKS: &[&str] = &["faults", "result", "state", "parent", "handled", "status"];
            return Err(ScenarioError::new(
                what.pos(line.number),
                ErrorKind::UnknownExpect {
                    word: other.to_string(),
                    suggestion: suggest(other, CHECKS.iter().copied()),
                },
            ));
        }
    })
}

/// `expect P R[I] ...`, from the `R[I]` word on; `region` and `index` are its
/// parts before and after the `[`.
fn page_expect(
    line: &mut Line<'_>,
    process: Name,
    word: Token<'_>,
    region: &str,
    index: &str,
) -> Result<Expect, ScenarioError> {
    let pos = word.pos(line.number);
    let index = index
        .strip_suffix(']')
        .ok_or_else(|| expected(pos, "a page such as heap[2]", word.describe()))?;
    let region = name_from(
        Token {
            text: region,
            ..word
        },
        line.number,
    )?;
    let index_pos = Pos {
        line: pos.line,
        col: pos.col.saturating_add(count_chars(&region.text) + 1),
    };
    let max = u64::from(MAX_PAGES - 1);
    let page = bounded(index, index_pos, "a page number", "the page number", max)? as u32;
    let check = line.word("shared, private, absent, zero or frame")?;
    let check = match check.text {
        "shared" => PageCheck::Shared {
            other: line.name("the process it shares with")?,
        },
        "private" => PageCheck::Private,
        "absent" => PageCheck::Absent,
        "zero" => PageCheck::Zero,
        "frame" => line.one_of(
            "same or new",
            &[("same", PageCheck::FrameSame), ("new", PageCheck::FrameNew)],
        )?,
        _ => {
            let what = "shared, private, absent, zero or frame";
            return Err(expected(check.pos(line.number), what, check.describe()));
        }
    };
    Ok(Expect::Page {
        process,
        region,
        page,
        check,
    })
}

// ---------------------------------------------------------------------------
// Tokens

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Word,
    /// A `"..."` string, escapes not yet decoded; `text` is between the quotes.
    Quoted,
    /// A `"` with no closing quote; `text` runs to the end of the line.
    Unterminated,
}

#[derive(Clone, Copy, Debug)]
struct Token<'a> {
    text: &'a str,
    /// 1-based column of the token's first character (the quote, if quoted).
    col: u32,
    kind: Kind,
    /// Byte offsets of the whole token (quotes included) in the line.
    start: usize,
    end: usize,
}

impl<'a> Token<'a> {
    fn pos(&self, line: u32) -> Pos {
        Pos {
            line,
            col: self.col,
        }
    }

    fn is_word(&self, word: &str) -> bool {
        self.kind == Kind::Word && self.text == word
    }

    /// How many columns the token takes.
    fn width(&self) -> u32 {
        let quotes = match self.kind {
            Kind::Word => 0,
            Kind::Quoted => 2,
            Kind::Unterminated => 1,
        };
        count_chars(self.text).saturating_add(quotes)
    }

    /// The part of a word after its first `chars` characters, as a token.
    fn split_at(self, chars: usize) -> Token<'a> {
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
    fn describe(&self) -> String {
        match self.kind {
            Kind::Word => format!("\"{}\"", self.text),
            Kind::Quoted | Kind::Unterminated => "a quoted string".to_string(),
        }
    }
}

fn count_chars(s: &str) -> u32 {
    u32::try_from(s.chars().count()).unwrap_or(u32::MAX)
}

/// One line's tokens and a cursor over them.
struct Line<'a> {
    text: &'a str,
    number: u32,
    tokens: Vec<Token<'a>>,
    next: usize,
    /// The column just after the last token: where "the end of the line" is.
    end_col: u32,
}

impl<'a> Line<'a> {
    /// Split a line into words and quoted strings, stopping at a comment: a
    /// `#` that begins a word outside a string.
    fn lex(text: &'a str, number: u32) -> Line<'a> {
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
    fn rest_text(&self, what: &str) -> Result<String, ScenarioError> {
        match (self.tokens.get(1), self.tokens.last()) {
            (Some(first), Some(last)) => {
                Ok(self.text[first.start..last.end].trim_end().to_string())
            }
            _ => Err(expected(self.end_pos(), what, "the end of the line".into())),
        }
    }

    /// An unclosed string is an error on any line whose words are parsed.
    fn check_strings(&self) -> Result<(), ScenarioError> {
        match self.tokens.iter().find(|t| t.kind == Kind::Unterminated) {
            Some(t) => Err(ScenarioError::new(
                t.pos(self.number),
                ErrorKind::UnterminatedString,
            )),
            None => Ok(()),
        }
    }

    fn end_pos(&self) -> Pos {
        Pos {
            line: self.number,
            col: self.end_col,
        }
    }

    fn peek(&self) -> Option<Token<'a>> {
        self.tokens.get(self.next).copied()
    }

    fn advance(&mut self) {
        self.next += 1;
    }

    /// Put back the rest of a word that held more than one token (`p:fork`).
    fn push_front(&mut self, token: Token<'a>) {
        self.tokens.insert(self.next, token);
    }

    fn next(&mut self, expected_what: &str) -> Result<Token<'a>, ScenarioError> {
        let token = self
            .peek()
            .ok_or_else(|| expected(self.end_pos(), expected_what, "the end of the line".into()))?;
        self.advance();
        Ok(token)
    }

    /// The next token, which must be a word (not a quoted string).
    fn word(&mut self, expected_what: &str) -> Result<Token<'a>, ScenarioError> {
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

    fn keyword(&mut self, keyword: &str) -> Result<(), ScenarioError> {
        let what = format!("\"{keyword}\"");
        let token = self.word(&what)?;
        if token.text == keyword {
            Ok(())
        } else {
            Err(expected(token.pos(self.number), &what, token.describe()))
        }
    }

    /// One of a few fixed words, each standing for a value.
    fn one_of<T: Clone>(&mut self, what: &str, choices: &[(&str, T)]) -> Result<T, ScenarioError> {
        let token = self.word(what)?;
        choices
            .iter()
            .find(|(word, _)| *word == token.text)
            .map(|(_, value)| value.clone())
            .ok_or_else(|| expected(token.pos(self.number), what, token.describe()))
    }

    /// Consume an optional trailing word such as `shared`.
    fn flag(&mut self, flag: &str) -> bool {
        let present = self.peek().is_some_and(|t| t.is_word(flag));
        if present {
            self.advance();
        }
        present
    }

    /// The line must end here; `flags` are optional words that could have
    /// come instead, named in the error.
    fn finish(&self, flags: &[&str]) -> Result<(), ScenarioError> {
        let Some(extra) = self.peek() else {
            return Ok(());
        };
        let mut what: String = flags.iter().map(|f| format!("\"{f}\" or ")).collect();
        what.push_str("the end of the line");
        Err(expected(extra.pos(self.number), &what, extra.describe()))
    }

    fn name(&mut self, what: &str) -> Result<Name, ScenarioError> {
        let token = self.word(what)?;
        name_from(token, self.number)
    }

    /// A name being introduced, which may not be `init`.
    fn declared_name(&mut self, what: &str) -> Result<Name, ScenarioError> {
        let name = self.name(what)?;
        if name.text == INIT_NAME {
            return Err(ScenarioError::new(
                name.pos,
                ErrorKind::ReservedName { word: name.text },
            ));
        }
        Ok(name)
    }

    fn end(&mut self) -> Result<End, ScenarioError> {
        let token = self.word("an end such as p.r, p.w, s.0 or s.1")?;
        end_from(token, self.number)
    }

    /// A plain number of at most `max`; `subject` names it in "too large".
    fn count(&mut self, what: &str, subject: &str, max: u64) -> Result<u64, ScenarioError> {
        let token = self.word(what)?;
        bounded(token.text, token.pos(self.number), what, subject, max)
    }

    /// A byte count: a plain number, or one with K/KiB or M/MiB after it.
    fn bytes(&mut self, what: &str) -> Result<u64, ScenarioError> {
        const UNITS: [(&str, u64); 4] = [
            ("KiB", 1 << 10),
            ("K", 1 << 10),
            ("MiB", 1 << 20),
            ("M", 1 << 20),
        ];
        let token = self.word(what)?;
        let pos = token.pos(self.number);
        let (digits, unit) = UNITS
            .iter()
            .find_map(|(suffix, unit)| token.text.strip_suffix(suffix).map(|d| (d, *unit)))
            .unwrap_or((token.text, 1));
        let too_large = || {
            ScenarioError::new(
                pos,
                ErrorKind::TooLarge {
                    what: "the byte count".into(),
                    max: MAX_BYTES,
                },
            )
        };
        match number(digits) {
            // "64X" is not a number; say so of the whole word, not its digits.
            Number::Invalid => Err(expected(pos, what, token.describe())),
            Number::TooLong => Err(too_large()),
            Number::Value(n) => n
                .checked_mul(unit)
                .filter(|n| *n <= MAX_BYTES)
                .ok_or_else(too_large),
        }
    }

    fn payload(&mut self) -> Result<Payload, ScenarioError> {
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
    fn range(&mut self) -> Result<PageRange, ScenarioError> {
        let what = "a page number or a range such as 0..4";
        let token = self.word(what)?;
        let pos = token.pos(self.number);
        let Some((start, end)) = token.text.split_once("..") else {
            let max = u64::from(MAX_PAGES - 1);
            let page = bounded(token.text, pos, what, "the page number", max)?;
            return Ok(PageRange::single(page as u32));
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
        Ok(PageRange {
            start: start as u32,
            end: end as u32,
        })
    }

    fn exit_code(&mut self) -> Result<i32, ScenarioError> {
        let token = self.word("an exit code")?;
        let pos = token.pos(self.number);
        let too_large = || {
            ScenarioError::new(
                pos,
                ErrorKind::TooLarge {
                    what: "the exit code".into(),
                    max: i32::MAX as u64,
                },
            )
        };
        match signed(token.text) {
            Number::Invalid => Err(expected(pos, "an exit code", token.describe())),
            Number::TooLong => Err(too_large()),
            Number::Value(n) => i32::try_from(n).map_err(|_| too_large()),
        }
    }

    /// A number (possibly negative) or an errno name.
    fn result(&mut self) -> Result<OpResult, ScenarioError> {
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

    fn signal(&mut self) -> Result<Signal, ScenarioError> {
        let token = self.word("a signal such as SIGTERM")?;
        signal_from(token, self.number)
    }

    /// One or more signals, to the end of the line.
    fn signals(&mut self) -> Result<Vec<Signal>, ScenarioError> {
        let mut signals = vec![self.signal()?];
        while self.peek().is_some() {
            signals.push(self.signal()?);
        }
        Ok(signals)
    }
}

// ---------------------------------------------------------------------------
// Words

fn expected(pos: Pos, expected: &str, found: String) -> ScenarioError {
    ScenarioError::new(
        pos,
        ErrorKind::Expected {
            expected: expected.to_string(),
            found,
        },
    )
}

/// `[a-z][a-z0-9_-]*`
fn is_name(word: &str) -> bool {
    let mut chars = word.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

fn name_from(token: Token<'_>, line: u32) -> Result<Name, ScenarioError> {
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
fn end_from(token: Token<'_>, line: u32) -> Result<End, ScenarioError> {
    let pos = token.pos(line);
    let bad = || expected(pos, "an end such as p.r, p.w, s.0 or s.1", token.describe());
    let (object, side) = token.text.rsplit_once('.').ok_or_else(bad)?;
    let object = name_from(
        Token {
            text: object,
            ..token
        },
        line,
    )?;
    Ok(match side {
        "r" => End::PipeRead { pipe: object },
        "w" => End::PipeWrite { pipe: object },
        "0" => End::Socket {
            pair: object,
            side: 0,
        },
        "1" => End::Socket {
            pair: object,
            side: 1,
        },
        _ => return Err(bad()),
    })
}

fn signal_from(token: Token<'_>, line: u32) -> Result<Signal, ScenarioError> {
    token.text.parse::<Signal>().map_err(|e| {
        ScenarioError::new(
            token.pos(line),
            ErrorKind::UnknownSignal {
                word: token.text.to_string(),
                suggestion: e.suggestion,
            },
        )
    })
}

/// What a word holds, read as a decimal number.
enum Number<T> {
    Invalid,
    /// Digits, but more than the type holds.
    TooLong,
    Value(T),
}

/// Digits only, so `+3`, `0x10` and `1_000` are not numbers.
fn number(text: &str) -> Number<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Number::Invalid;
    }
    // All digits, so the only way to fail is to be too long for a u64.
    text.parse().map_or(Number::TooLong, Number::Value)
}

/// A number with an optional leading `-`.
fn signed(text: &str) -> Number<i128> {
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
fn bounded(
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

fn bounded_value(n: u64, pos: Pos, subject: &str, max: u64) -> Result<u64, ScenarioError> {
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
fn unescape(token: Token<'_>, line: u32) -> Result<String, ScenarioError> {
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
