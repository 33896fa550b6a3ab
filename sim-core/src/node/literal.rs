//! The parser of JavaScript value literals, the subset of JavaScript
//! expressions a scenario may send: numbers (`1`, `-2.5e3`, `.5`, `NaN`,
//! `Infinity`, `-Infinity`), strings in `'...'` or `"..."` with JavaScript's
//! escapes, `true false null undefined`, arrays, objects (identifier, string
//! or number keys), `new Map([[k, v], ...])`, `new Set([...])`,
//! `new Date(MS)`, `new Date("ISO")`, `/re/flags`, `new Error("msg")`,
//! `Buffer.from("text")`, `Buffer.from([1, 2])`, BigInts (`10n`),
//! `Symbol("x")`, functions with an empty body (`function f() {}`,
//! `(a) => {}`, `a => {}`), and `[Circular]`, the outermost value itself.
//!
//! Every error is a value with the line and column where the text goes
//! wrong, never a panic. What it deliberately does not read: other
//! expressions (`1 + 1`, variables, calls), holes (`[1,,2]`), legacy octal
//! (`010`, `"\1"`), a `__proto__` key (it sets the prototype), a lone
//! surrogate, a regular expression's pattern syntax (taken as written:
//! node refuses a bad one when it compiles the program), dates that
//! depend on the time zone or the clock.

use super::bigint::JsBigInt;
use super::date;
pub use super::literal_error::{LiteralError, LiteralErrorKind};
use super::value::{number_to_string, JsError, JsMap, JsObject, JsSet, JsValue};
use crate::scenario::ast::Pos;
use crate::scenario::error::{suggest, Cut};

/// Arrays, objects, Maps and Sets nest at most this deep, so that a hostile
/// text cannot exhaust the stack of the parser or of the serializers after.
pub const MAX_DEPTH: u32 = 100;
/// The most digits a BigInt literal may have (about 33,000 bits).
pub const MAX_BIGINT_DIGITS: usize = 10_000;

/// The words that begin a value, for suggestions (and the editor's colours).
pub const VALUE_WORDS: [&str; 11] = [
    "true",
    "false",
    "null",
    "undefined",
    "NaN",
    "Infinity",
    "new",
    "Buffer",
    "Symbol",
    "function",
    "Circular",
];

/// Parses `text`, all of it (spaces and line breaks around are fine), as one
/// value. `origin` is the position of the text's first character in the
/// scenario, so that errors name the scenario's line and column.
pub fn parse_value(text: &str, origin: Pos) -> Result<JsValue, LiteralError> {
    let mut p = Parser::new(text, origin);
    let value = p.top()?;
    p.skip_space();
    if p.peek().is_some() {
        return Err(p.expected("the end of the value"));
    }
    Ok(value)
}

/// Parses one value at the start of `text` (after spaces) and returns it with
/// the byte offset where it ends, for a statement that goes on after it.
pub fn parse_value_prefix(text: &str, origin: Pos) -> Result<(JsValue, usize), LiteralError> {
    let mut p = Parser::new(text, origin);
    let value = p.top()?;
    Ok((value, p.at))
}

pub(super) struct Parser<'a> {
    pub(super) src: &'a str,
    pub(super) at: usize,
    pub(super) line: u32,
    pub(super) col: u32,
    pub(super) depth: u32,
    pub(super) first_circular: Option<Pos>,
}

pub(super) type Parsed<T> = Result<T, LiteralError>;

/// A name (a key written bare, a word such as `true` or `Map`) is ASCII:
/// letters, `_` and `$`, then digits too. JavaScript also allows other
/// Unicode letters in names; the model asks for those keys in quotes
/// (`NonAsciiName`), which keeps Unicode's letter tables out of the wasm.
pub(super) fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == '$'
}

pub(super) fn is_ident_part(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$'
}

impl<'a> Parser<'a> {
    fn new(src: &'a str, origin: Pos) -> Parser<'a> {
        Parser {
            src,
            at: 0,
            line: origin.line,
            col: origin.col,
            depth: 0,
            first_circular: None,
        }
    }

    pub(super) fn pos(&self) -> Pos {
        Pos {
            line: self.line,
            col: self.col,
        }
    }

    pub(super) fn rest(&self) -> &'a str {
        &self.src[self.at..]
    }

    pub(super) fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    pub(super) fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.at += c.len_utf8();
        if c == '\n' {
            self.line = self.line.saturating_add(1);
            self.col = 1;
        } else {
            self.col = self.col.saturating_add(1);
        }
        Some(c)
    }

    pub(super) fn skip_space(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.bump();
        }
    }

    pub(super) fn err(&self, kind: LiteralErrorKind) -> LiteralError {
        LiteralError {
            pos: self.pos(),
            kind,
        }
    }

    /// How "found ..." names what is next.
    fn found(&self) -> String {
        match self.peek() {
            None => "the end of the text".to_string(),
            Some(c) if is_ident_start(c) || c.is_ascii_digit() => {
                let word: String = self
                    .rest()
                    .chars()
                    .take_while(|&c| is_ident_part(c) || c == '.')
                    .collect();
                format!("\"{}\"", Cut(&word))
            }
            Some(c) => format!("\"{c}\""),
        }
    }

    pub(super) fn expected(&self, what: &str) -> LiteralError {
        self.err(LiteralErrorKind::Expected {
            expected: what.to_string(),
            found: self.found(),
        })
    }

    /// Skips spaces, then takes `c` or fails naming `what` was expected.
    pub(super) fn expect(&mut self, c: char, what: &str) -> Parsed<()> {
        self.skip_space();
        if self.peek() == Some(c) {
            self.bump();
            Ok(())
        } else {
            Err(self.expected(what))
        }
    }

    pub(super) fn eat(&mut self, c: char) -> bool {
        self.skip_space();
        let ok = self.peek() == Some(c);
        if ok {
            self.bump();
        }
        ok
    }

    pub(super) fn word(&mut self) -> &'a str {
        let start = self.at;
        while self.peek().is_some_and(is_ident_part) {
            self.bump();
        }
        &self.src[start..self.at]
    }

    /// A bare name, which must not go on in a letter beyond ASCII.
    fn name(&mut self) -> Parsed<&'a str> {
        let (start, pos) = (self.at, self.pos());
        self.word();
        if self
            .peek()
            .is_some_and(|c| !c.is_ascii() && !c.is_whitespace())
        {
            while self
                .peek()
                .is_some_and(|c| is_ident_part(c) || !c.is_ascii() && !c.is_whitespace())
            {
                self.bump();
            }
            return Err(LiteralError {
                pos,
                kind: LiteralErrorKind::NonAsciiName {
                    name: self.src[start..self.at].to_string(),
                },
            });
        }
        Ok(&self.src[start..self.at])
    }

    fn expect_word(&mut self, want: &str) -> Parsed<()> {
        self.skip_space();
        let save = (self.at, self.line, self.col);
        if self.word() == want {
            return Ok(());
        }
        (self.at, self.line, self.col) = save;
        Err(self.expected(&format!("\"{want}\"")))
    }

    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> Parsed<T>) -> Parsed<T> {
        if self.depth >= MAX_DEPTH {
            return Err(self.err(LiteralErrorKind::TooDeep { max: MAX_DEPTH }));
        }
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }

    /// The outermost value, where `[Circular]` must be inside a container.
    fn top(&mut self) -> Parsed<JsValue> {
        let value = self.value()?;
        match (self.first_circular, &value) {
            (None, _)
            | (_, JsValue::Array(_) | JsValue::Object(_) | JsValue::Map(_) | JsValue::Set(_)) => {
                Ok(value)
            }
            (Some(pos), _) => Err(LiteralError {
                pos,
                kind: LiteralErrorKind::CircularOutside,
            }),
        }
    }

    fn value(&mut self) -> Parsed<JsValue> {
        self.skip_space();
        let Some(c) = self.peek() else {
            return Err(self.expected("a value"));
        };
        match c {
            '\'' | '"' => Ok(JsValue::String(self.string()?)),
            '[' => self.nested(Parser::array),
            '{' => self.nested(Parser::object),
            '/' => self.regexp(),
            '(' => self.arrow(),
            '-' => self.negative(),
            '.' => self.number(false),
            c if c.is_ascii_digit() => self.number(false),
            c if is_ident_start(c) || !c.is_ascii() => self.word_value(),
            _ => Err(self.expected("a value")),
        }
    }

    fn word_value(&mut self) -> Parsed<JsValue> {
        let (start, pos) = (self.at, self.pos());
        let word = self.name()?;
        Ok(match word {
            "true" => JsValue::Bool(true),
            "false" => JsValue::Bool(false),
            "null" => JsValue::Null,
            "undefined" => JsValue::Undefined,
            "NaN" => JsValue::Number(f64::NAN),
            "Infinity" => JsValue::Number(f64::INFINITY),
            "new" => return self.constructed(),
            "Buffer" => return self.buffer(),
            "Symbol" => {
                self.expect('(', "\"(\" after Symbol")?;
                let desc = self.optional_string()?;
                self.expect(')', "\")\" to close Symbol(...)")?;
                JsValue::Symbol(desc)
            }
            "function" => return self.function(start),
            _ => {
                self.skip_space();
                if self.rest().starts_with("=>") {
                    return self.arrow_body(start);
                }
                return Err(LiteralError {
                    pos,
                    kind: LiteralErrorKind::UnknownWord {
                        word: word.to_string(),
                        suggestion: suggest(word, VALUE_WORDS),
                    },
                });
            }
        })
    }

    fn negative(&mut self) -> Parsed<JsValue> {
        self.bump();
        self.skip_space();
        match self.peek() {
            Some(c) if c.is_ascii_digit() || c == '.' => self.number(true),
            Some('I') => {
                self.expect_word("Infinity")?;
                Ok(JsValue::Number(f64::NEG_INFINITY))
            }
            _ => Err(self.expected("a number, Infinity or a BigInt after \"-\"")),
        }
    }

    /// A decimal number literal, or a BigInt when it ends in `n`.
    fn number(&mut self, negative: bool) -> Parsed<JsValue> {
        let (start, pos) = (self.at, self.pos());
        let mut integer = true;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.bump();
        }
        if self.peek() == Some('.') {
            integer = false;
            self.bump();
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.bump();
            }
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            integer = false;
            self.bump();
            if matches!(self.peek(), Some('+' | '-')) {
                self.bump();
            }
            if !self.peek().is_some_and(|c| c.is_ascii_digit()) {
                let text = &self.src[start..self.at];
                return Err(LiteralError {
                    pos,
                    kind: LiteralErrorKind::BadNumber {
                        text: text.into(),
                        why: "an exponent needs digits".into(),
                    },
                });
            }
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.bump();
            }
        }
        let text = &self.src[start..self.at];
        let bad = |why: &str| LiteralError {
            pos,
            kind: LiteralErrorKind::BadNumber {
                text: text.into(),
                why: why.into(),
            },
        };
        if text == "." {
            return Err(bad("a \".\" needs digits"));
        }
        if text.len() > 1 && text.starts_with('0') && text.as_bytes()[1].is_ascii_digit() {
            return Err(LiteralError {
                pos,
                kind: LiteralErrorKind::LeadingZero { text: text.into() },
            });
        }
        if integer && self.peek() == Some('n') {
            self.bump();
            if text.len() > MAX_BIGINT_DIGITS {
                return Err(LiteralError {
                    pos,
                    kind: LiteralErrorKind::TooLong {
                        max: MAX_BIGINT_DIGITS,
                    },
                });
            }
            let big =
                JsBigInt::from_decimal(text, negative).ok_or_else(|| bad("not decimal digits"))?;
            self.end_of_number(pos, start)?;
            return Ok(JsValue::BigInt(big));
        }
        self.end_of_number(pos, start)?;
        let n = super::number_text::parse(text)
            .ok_or_else(|| bad("it cannot be read as a decimal number"))?;
        Ok(JsValue::Number(if negative { -n } else { n }))
    }

    fn end_of_number(&mut self, pos: Pos, start: usize) -> Parsed<()> {
        match self.peek() {
            Some(c) if is_ident_part(c) || c == '.' => {
                let text: String = self.src[start..]
                    .chars()
                    .take_while(|&c| is_ident_part(c) || c == '.' || c == '+' || c == '-')
                    .collect();
                Err(LiteralError {
                    pos,
                    kind: LiteralErrorKind::BadNumber {
                        text,
                        why: "the model reads decimal numbers (1, 2.5, 1e3) and BigInts (10n) only"
                            .into(),
                    },
                })
            }
            _ => Ok(()),
        }
    }

    fn array(&mut self) -> Parsed<JsValue> {
        self.bump(); // [
        self.skip_space();
        if self.rest().starts_with("Circular") {
            let pos = self.pos();
            let save = (self.at, self.line, self.col);
            if self.word() == "Circular" && self.eat(']') {
                self.first_circular.get_or_insert(pos);
                return Ok(JsValue::Circular);
            }
            (self.at, self.line, self.col) = save;
        }
        Ok(JsValue::Array(self.items(']', "\",\" or \"]\"")?))
    }

    /// Values separated by commas up to `close` (the opening bracket taken),
    /// a trailing comma allowed.
    fn items(&mut self, close: char, between: &str) -> Parsed<Vec<JsValue>> {
        let mut items = Vec::new();
        loop {
            self.skip_space();
            if self.eat(close) {
                return Ok(items);
            }
            if self.peek() == Some(',') {
                return Err(self.err(LiteralErrorKind::Hole));
            }
            items.push(self.value()?);
            if !self.eat(',') {
                self.expect(close, between)?;
                return Ok(items);
            }
        }
    }

    fn object(&mut self) -> Parsed<JsValue> {
        self.bump(); // {
        let mut defs = Vec::new();
        loop {
            self.skip_space();
            if self.eat('}') {
                break;
            }
            let pos = self.pos();
            let key = match self.peek() {
                Some('\'' | '"') => self.string()?,
                Some(c) if c.is_ascii_digit() || c == '.' => match self.number(false)? {
                    JsValue::Number(n) => number_to_string(n),
                    _ => {
                        return Err(LiteralError {
                            pos,
                            kind: LiteralErrorKind::Expected {
                                expected: "a key (a name, a string or a number)".into(),
                                found: "a BigInt".into(),
                            },
                        })
                    }
                },
                Some(c) if is_ident_start(c) || !c.is_ascii() => self.name()?.to_string(),
                _ => return Err(self.expected("a key (a name, a string or a number) or \"}\"")),
            };
            if key == "__proto__" {
                return Err(LiteralError {
                    pos,
                    kind: LiteralErrorKind::ProtoKey,
                });
            }
            self.expect(':', "\":\" after the key")?;
            defs.push((key, self.value()?));
            if !self.eat(',') {
                self.expect('}', "\",\" or \"}\"")?;
                break;
            }
        }
        Ok(JsValue::Object(JsObject::new(defs)))
    }

    /// After `new`: Map, Set, Date or Error.
    fn constructed(&mut self) -> Parsed<JsValue> {
        self.skip_space();
        let pos = self.pos();
        let name = self.word();
        match name {
            "Map" | "Set" | "Date" | "Error" => {}
            _ => {
                return Err(LiteralError {
                    pos,
                    kind: LiteralErrorKind::UnknownConstructor {
                        name: name.to_string(),
                        suggestion: suggest(name, ["Map", "Set", "Date", "Error"]),
                    },
                })
            }
        }
        self.expect('(', &format!("\"(\" after new {name}"))?;
        let value = match name {
            "Map" => self.nested(|p| {
                let mut entries = Vec::new();
                if p.eat('[') {
                    loop {
                        if p.eat(']') {
                            break;
                        }
                        p.skip_space();
                        let entry_pos = p.pos();
                        p.expect('[', "a Map entry [key, value]")?;
                        let pair =
                            p.nested(|p| p.items(']', "\"]\" after a Map entry's key and value"))?;
                        let mut pair = pair.into_iter();
                        match (pair.next(), pair.next(), pair.next()) {
                            (Some(k), Some(v), None) => entries.push((k, v)),
                            _ => {
                                return Err(LiteralError {
                                    pos: entry_pos,
                                    kind: LiteralErrorKind::Expected {
                                        expected: "a Map entry of two values, [key, value]".into(),
                                        found: "another number of values".into(),
                                    },
                                })
                            }
                        }
                        if !p.eat(',') {
                            p.expect(']', "\",\" or \"]\" after a Map entry")?;
                            break;
                        }
                    }
                }
                Ok(JsValue::Map(JsMap::new(entries)))
            })?,
            "Set" => self.nested(|p| {
                let values = if p.eat('[') {
                    p.items(']', "\",\" or \"]\"")?
                } else {
                    Vec::new()
                };
                Ok(JsValue::Set(JsSet::new(values)))
            })?,
            "Date" => {
                self.skip_space();
                let pos = self.pos();
                match self.peek() {
                    Some(')') => return Err(self.err(LiteralErrorKind::DateNeedsTime)),
                    Some('\'' | '"') => {
                        let text = self.string()?;
                        let t = date::parse_iso(&text).map_err(|why| LiteralError {
                            pos,
                            kind: LiteralErrorKind::BadDate { text, why },
                        })?;
                        JsValue::Date(t)
                    }
                    _ => match self.value()? {
                        JsValue::Number(n) => JsValue::Date(date::time_clip(n)),
                        _ => {
                            return Err(LiteralError {
                                pos,
                                kind: LiteralErrorKind::Expected {
                                    expected: "a time in ms or an ISO date string".into(),
                                    found: "another value".into(),
                                },
                            })
                        }
                    },
                }
            }
            _ => JsValue::Error(JsError {
                message: self.optional_string()?,
            }),
        };
        self.expect(')', &format!("\")\" to close new {name}(...)"))?;
        Ok(value)
    }

    fn buffer(&mut self) -> Parsed<JsValue> {
        self.expect('.', "\".from\" after Buffer")?;
        self.expect_word("from")?;
        self.expect('(', "\"(\" after Buffer.from")?;
        self.skip_space();
        let bytes = if self.peek() == Some('[') {
            self.bump();
            let mut bytes = Vec::new();
            let pos = self.pos();
            for v in self.items(']', "\",\" or \"]\"")? {
                match v {
                    JsValue::Number(n) if n.fract() == 0.0 && (0.0..=255.0).contains(&n) => {
                        bytes.push(n as u8)
                    }
                    other => {
                        return Err(LiteralError {
                            pos,
                            kind: LiteralErrorKind::BadByte {
                                value: other.to_string(),
                            },
                        })
                    }
                }
            }
            bytes
        } else {
            self.string_arg("a string or an array of bytes")?
                .into_bytes()
        };
        self.expect(')', "\")\" to close Buffer.from(...)")?;
        Ok(JsValue::Buffer(bytes))
    }
}
