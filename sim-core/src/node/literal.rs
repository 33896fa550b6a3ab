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
use super::value::{
    number_to_string, JsError, JsFunction, JsMap, JsObject, JsRegExp, JsSet, JsValue,
};
use crate::scenario::ast::Pos;
use crate::scenario::error::{suggest, Cut};
use std::fmt;
use thiserror::Error;

/// Arrays, objects, Maps and Sets nest at most this deep, so that a hostile
/// text cannot exhaust the stack of the parser or of the serializers after.
pub const MAX_DEPTH: u32 = 100;
/// The most digits a BigInt literal may have (about 33,000 bits).
pub const MAX_BIGINT_DIGITS: usize = 10_000;

/// A value literal that cannot be read: where, and why.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{pos}: {kind}")]
pub struct LiteralError {
    pub pos: Pos,
    pub kind: LiteralErrorKind,
}

/// Why a value literal cannot be read, in a learner's words.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum LiteralErrorKind {
    #[error("expected {expected}, found {found}")]
    Expected { expected: String, found: String },
    #[error("unterminated string: a closing {quote} is missing")]
    UnterminatedString { quote: char },
    #[error("a string cannot run over a line break: write \\n for one")]
    LineBreakInString,
    #[error("bad escape \"{escape}\": {why}")]
    BadEscape { escape: String, why: String },
    #[error("\\u{unit:04X} is half of a surrogate pair without its other half; the model's strings are Unicode text, which cannot hold it alone")]
    LoneSurrogate { unit: u16 },
    #[error(
        "\"{}\": only 0 itself may start with 0 (JavaScript reads 010 as the octal number 8)",
        Cut(text)
    )]
    LeadingZero { text: String },
    #[error("\"{}\" is not a number: {why}", Cut(text))]
    BadNumber { text: String, why: String },
    #[error("\"{}\" is not a value{}; a value is a number, a string, true, false, null, undefined, NaN, Infinity, [...], {{...}}, new Map/Set/Date/Error, /regex/, Buffer.from(...), Symbol(...), a function or [Circular]", Cut(word), Suggest(suggestion))]
    UnknownWord {
        word: String,
        suggestion: Option<String>,
    },
    #[error(
        "\"new {}\" is not supported{}: only new Map, new Set, new Date and new Error are",
        Cut(name),
        Suggest(suggestion)
    )]
    UnknownConstructor {
        name: String,
        suggestion: Option<String>,
    },
    #[error("\"__proto__\" as a key sets the object's prototype in JavaScript instead of making a property, so the model does not take it")]
    ProtoKey,
    #[error("[Circular] stands for the outermost value, so it must be inside it: in an array, an object, a Map or a Set")]
    CircularOutside,
    #[error("an array hole (a comma with nothing before it) is not supported; write undefined")]
    Hole,
    #[error("new Date() reads the clock, which the model does not: give the time, as new Date(0) or new Date(\"2024-01-31T12:00:00Z\")")]
    DateNeedsTime,
    #[error("\"{}\" is not a date the model reads: {why}", Cut(text))]
    BadDate { text: String, why: String },
    #[error("Buffer.from([...]) takes bytes from 0 to 255, not {value}")]
    BadByte { value: String },
    #[error("bad regular expression: {why}")]
    BadRegExp { why: String },
    #[error("a function's body must be empty here ({{}}): the model sends functions but never runs them")]
    FunctionBody,
    #[error("values nested more than {max} deep are not supported")]
    TooDeep { max: u32 },
    #[error("a BigInt of more than {max} digits is not supported")]
    TooLong { max: usize },
}

/// Formats `; did you mean "x"?` when there is a suggestion.
struct Suggest<'a>(&'a Option<String>);

impl fmt::Display for Suggest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(s) => write!(f, " (did you mean \"{s}\"?)"),
            None => Ok(()),
        }
    }
}

/// The words that begin a value, for suggestions.
const VALUE_WORDS: [&str; 11] = [
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

struct Parser<'a> {
    src: &'a str,
    at: usize,
    line: u32,
    col: u32,
    depth: u32,
    first_circular: Option<Pos>,
}

type Parsed<T> = Result<T, LiteralError>;

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || c == '$'
}

fn is_ident_part(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
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

    fn pos(&self) -> Pos {
        Pos {
            line: self.line,
            col: self.col,
        }
    }

    fn rest(&self) -> &'a str {
        &self.src[self.at..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn bump(&mut self) -> Option<char> {
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

    fn skip_space(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.bump();
        }
    }

    fn err(&self, kind: LiteralErrorKind) -> LiteralError {
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

    fn expected(&self, what: &str) -> LiteralError {
        self.err(LiteralErrorKind::Expected {
            expected: what.to_string(),
            found: self.found(),
        })
    }

    /// Skips spaces, then takes `c` or fails naming `what` was expected.
    fn expect(&mut self, c: char, what: &str) -> Parsed<()> {
        self.skip_space();
        if self.peek() == Some(c) {
            self.bump();
            Ok(())
        } else {
            Err(self.expected(what))
        }
    }

    fn eat(&mut self, c: char) -> bool {
        self.skip_space();
        let ok = self.peek() == Some(c);
        if ok {
            self.bump();
        }
        ok
    }

    fn word(&mut self) -> &'a str {
        let start = self.at;
        while self.peek().is_some_and(is_ident_part) {
            self.bump();
        }
        &self.src[start..self.at]
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
            c if is_ident_start(c) => self.word_value(),
            _ => Err(self.expected("a value")),
        }
    }

    fn word_value(&mut self) -> Parsed<JsValue> {
        let (start, pos) = (self.at, self.pos());
        let word = self.word();
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
        // Rust's parse rounds to nearest, as JavaScript's number reading does.
        let n: f64 = text
            .parse()
            .map_err(|_| bad("it cannot be read as a decimal number"))?;
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

    fn optional_string(&mut self) -> Parsed<Option<String>> {
        self.skip_space();
        match self.peek() {
            Some('\'' | '"') => Ok(Some(self.string()?)),
            _ => Ok(None),
        }
    }

    fn string_arg(&mut self, what: &str) -> Parsed<String> {
        self.skip_space();
        match self.peek() {
            Some('\'' | '"') => self.string(),
            _ => Err(self.expected(what)),
        }
    }

    /// A quoted string with JavaScript's escapes.
    fn string(&mut self) -> Parsed<String> {
        let open_pos = self.pos();
        let quote = self.bump().unwrap_or('"');
        let mut out = String::new();
        // A high surrogate from \uD83D waits for its low half.
        let mut high: Option<(u16, Pos)> = None;
        loop {
            let pos = self.pos();
            let Some(c) = self.bump() else {
                return Err(LiteralError {
                    pos: open_pos,
                    kind: LiteralErrorKind::UnterminatedString { quote },
                });
            };
            let unit = match c {
                c if c == quote => None,
                '\n' | '\r' => {
                    return Err(LiteralError {
                        pos,
                        kind: LiteralErrorKind::LineBreakInString,
                    })
                }
                '\\' => self.escape(pos)?,
                c => Some(Unit::Char(c)),
            };
            match (high.take(), unit) {
                (Some((h, _)), Some(Unit::Code(l))) if (0xDC00..0xE000).contains(&l) => {
                    let cp = 0x10000 + ((u32::from(h) - 0xD800) << 10) + (u32::from(l) - 0xDC00);
                    out.extend(char::from_u32(cp));
                    continue;
                }
                (Some((h, hpos)), _) => {
                    return Err(LiteralError {
                        pos: hpos,
                        kind: LiteralErrorKind::LoneSurrogate { unit: h },
                    });
                }
                (None, _) => {}
            }
            match unit {
                None => return Ok(out),
                Some(Unit::Char(c)) => out.push(c),
                Some(Unit::Skip) => {}
                Some(Unit::Code(u)) if (0xD800..0xDC00).contains(&u) => high = Some((u, pos)),
                Some(Unit::Code(u)) => match char::from_u32(u32::from(u)) {
                    Some(c) => out.push(c),
                    None => {
                        return Err(LiteralError {
                            pos,
                            kind: LiteralErrorKind::LoneSurrogate { unit: u },
                        })
                    }
                },
            }
        }
    }

    /// The escape after a `\` (at `pos`).
    fn escape(&mut self, pos: Pos) -> Parsed<Option<Unit>> {
        let bad = |escape: String, why: &str| LiteralError {
            pos,
            kind: LiteralErrorKind::BadEscape {
                escape,
                why: why.into(),
            },
        };
        let Some(c) = self.bump() else {
            return Err(bad("\\".into(), "nothing follows the backslash"));
        };
        Ok(Some(match c {
            'n' => Unit::Char('\n'),
            't' => Unit::Char('\t'),
            'r' => Unit::Char('\r'),
            'b' => Unit::Char('\u{8}'),
            'f' => Unit::Char('\u{c}'),
            'v' => Unit::Char('\u{b}'),
            '0' if !self.peek().is_some_and(|c| c.is_ascii_digit()) => Unit::Char('\0'),
            '0'..='9' => {
                return Err(bad(
                    format!("\\{c}"),
                    "octal escapes are legacy JavaScript; write \\x or \\u",
                ));
            }
            '\n' | '\u{2028}' | '\u{2029}' => Unit::Skip,
            '\r' => {
                if self.peek() == Some('\n') {
                    self.bump();
                }
                Unit::Skip
            }
            'x' => {
                let hex = self.hex_digits(2);
                let v = u16::from_str_radix(&hex, 16)
                    .ok()
                    .filter(|_| hex.len() == 2)
                    .ok_or_else(|| bad(format!("\\x{hex}"), "\\x takes two hex digits"))?;
                Unit::Code(v)
            }
            'u' if self.peek() == Some('{') => {
                self.bump();
                let hex = self.hex_digits(8);
                let closed = self.peek() == Some('}');
                if closed {
                    self.bump();
                }
                let cp = u32::from_str_radix(&hex, 16)
                    .ok()
                    .filter(|&v| closed && v <= 0x10FFFF);
                let Some(cp) = cp else {
                    return Err(bad(
                        format!("\\u{{{hex}"),
                        "\\u{...} takes hex digits up to 10FFFF and a closing }",
                    ));
                };
                match u16::try_from(cp) {
                    Ok(u) => Unit::Code(u),
                    Err(_) => Unit::Char(char::from_u32(cp).unwrap_or('\u{FFFD}')),
                }
            }
            'u' => {
                let hex = self.hex_digits(4);
                let v = u16::from_str_radix(&hex, 16)
                    .ok()
                    .filter(|_| hex.len() == 4)
                    .ok_or_else(|| {
                        bad(format!("\\u{hex}"), "\\u takes four hex digits, or {...}")
                    })?;
                Unit::Code(v)
            }
            c => Unit::Char(c),
        }))
    }

    fn hex_digits(&mut self, max: usize) -> String {
        let mut hex = String::new();
        while hex.len() < max && self.peek().is_some_and(|c| c.is_ascii_hexdigit()) {
            hex.extend(self.bump());
        }
        hex
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
                Some(c) if is_ident_start(c) => self.word().to_string(),
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
                        p.expect('[', "a Map entry [key, value]")?;
                        let pair =
                            p.nested(|p| p.items(']', "\"]\" after a Map entry's key and value"))?;
                        let mut pair = pair.into_iter();
                        match (pair.next(), pair.next(), pair.next()) {
                            (Some(k), Some(v), None) => entries.push((k, v)),
                            _ => {
                                return Err(p.err(LiteralErrorKind::Expected {
                                    expected: "a Map entry of two values, [key, value]".into(),
                                    found: "another number of values".into(),
                                }))
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

    /// `/source/flags`.
    fn regexp(&mut self) -> Parsed<JsValue> {
        let pos = self.pos();
        self.bump();
        let start = self.at;
        let mut in_class = false;
        loop {
            let bad = |why: &str| LiteralError {
                pos,
                kind: LiteralErrorKind::BadRegExp { why: why.into() },
            };
            match self.peek() {
                None | Some('\n' | '\r' | '\u{2028}' | '\u{2029}') => {
                    return Err(bad("it has no closing \"/\" on its line"))
                }
                Some('\\') => {
                    self.bump();
                    if matches!(self.peek(), None | Some('\n' | '\r')) {
                        return Err(bad("it ends in a backslash"));
                    }
                    self.bump();
                }
                Some('[') => {
                    in_class = true;
                    self.bump();
                }
                Some(']') => {
                    in_class = false;
                    self.bump();
                }
                Some('/') if !in_class => break,
                Some(_) => {
                    self.bump();
                }
            }
        }
        let source = self.src[start..self.at].to_string();
        self.bump(); // the closing /
        if source.is_empty() {
            return Err(LiteralError {
                pos,
                kind: LiteralErrorKind::BadRegExp {
                    why: "// begins a comment in JavaScript; an empty pattern is /(?:)/".into(),
                },
            });
        }
        let flags_pos = self.pos();
        let written = self.word();
        let mut flags = String::new();
        for flag in "dgimsuvy".chars() {
            match written.matches(flag).count() {
                0 => {}
                1 => flags.push(flag),
                _ => {
                    return Err(LiteralError {
                        pos: flags_pos,
                        kind: LiteralErrorKind::BadRegExp {
                            why: format!("the flag \"{flag}\" is given twice"),
                        },
                    })
                }
            }
        }
        if let Some(c) = written.chars().find(|c| !"dgimsuvy".contains(*c)) {
            return Err(LiteralError {
                pos: flags_pos,
                kind: LiteralErrorKind::BadRegExp {
                    why: format!("\"{c}\" is not a flag (they are d, g, i, m, s, u, v, y)"),
                },
            });
        }
        if flags.contains('u') && flags.contains('v') {
            return Err(LiteralError {
                pos: flags_pos,
                kind: LiteralErrorKind::BadRegExp {
                    why: "the flags u and v cannot go together".into(),
                },
            });
        }
        Ok(JsValue::RegExp(JsRegExp { source, flags }))
    }

    /// `function name(params) {}`, `function` already read from `start`.
    fn function(&mut self, start: usize) -> Parsed<JsValue> {
        self.skip_space();
        let name = if self.peek().is_some_and(is_ident_start) {
            self.word().to_string()
        } else {
            String::new()
        };
        self.expect('(', "\"(\" and the parameters")?;
        self.params()?;
        self.body()?;
        Ok(JsValue::Function(JsFunction {
            source: self.src[start..self.at].to_string(),
            name,
        }))
    }

    /// `(params) => {}`.
    fn arrow(&mut self) -> Parsed<JsValue> {
        let start = self.at;
        self.bump(); // (
        self.params()?;
        self.skip_space();
        if !self.rest().starts_with("=>") {
            return Err(self.expected("\"=>\" (a value in parentheses must be an arrow function)"));
        }
        self.arrow_body(start)
    }

    /// `=> {}` of an arrow function that began at `start`.
    fn arrow_body(&mut self, start: usize) -> Parsed<JsValue> {
        self.bump();
        self.bump(); // =>
        self.body()?;
        Ok(JsValue::Function(JsFunction {
            source: self.src[start..self.at].to_string(),
            name: String::new(),
        }))
    }

    /// Parameter names up to `)`, the `(` taken.
    fn params(&mut self) -> Parsed<()> {
        loop {
            self.skip_space();
            if self.eat(')') {
                return Ok(());
            }
            if !self.peek().is_some_and(is_ident_start) {
                return Err(self.expected("a parameter name or \")\""));
            }
            self.word();
            if !self.eat(',') {
                return self.expect(')', "\",\" or \")\" after a parameter");
            }
        }
    }

    fn body(&mut self) -> Parsed<()> {
        self.expect('{', "\"{\" and the function's body")?;
        self.skip_space();
        if self.peek() == Some('}') {
            self.bump();
            Ok(())
        } else {
            Err(self.err(LiteralErrorKind::FunctionBody))
        }
    }
}

/// One UTF-16 unit of a string as its escapes give it, or a whole char.
#[derive(Clone, Copy)]
enum Unit {
    Char(char),
    Code(u16),
    /// A line continuation: a backslash before a line break adds nothing.
    Skip,
}
