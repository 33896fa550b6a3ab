//! Node's default IPC serialization, `serialization: 'json'`: each
//! `send(m)` is one write() of `JSON.stringify(m) + '\n'`
//! (lib/internal/child_process/serialization.js), and the reader splits
//! what read() returns on `'\n'` and `JSON.parse`s each line.
//!
//! `stringify` is JSON.stringify as node's `send` applies it, with V8's
//! exact number text (`number_text`: JavaScript's Number#toString), string
//! escapes and the TypeErrors it throws; `received` is what the other
//! side's `'message'` event gets; `JsonReader` is the channel's reader,
//! chunk by chunk, with node's internal messages (`{cmd: 'NODE_...'}`)
//! marked, since node emits those as 'internalMessage', not 'message'.
//!
//! Not modelled: `toJSON` methods other than Date's and Buffer's (a
//! scenario's values have no others), and V8's SyntaxError wording for a
//! line that is not JSON (the reader says where and why in its own words).

use super::date;
use super::send_error::{check_message_type, SendError};
use super::value::{number_to_string, JsObject, JsValue};

/// The reader's JSON.parse nests at most this deep, so that a hostile line
/// cannot exhaust the stack.
pub const MAX_PARSE_DEPTH: u32 = 500;

/// What `send(message)` writes in json mode: `JSON.stringify(message)`
/// and a newline, or what it throws (having written nothing).
pub fn stringify(message: &JsValue) -> Result<String, SendError> {
    check_message_type(message)?;
    let mut out = String::new();
    let mut stack = Vec::new();
    // A top-level value that JSON skips cannot get here: undefined,
    // functions and symbols were refused above.
    write_value(&mut out, message, Key::Root, &mut stack)?;
    out.push('\n');
    Ok(out)
}

/// What the receiving side's `'message'` event gets for `send(message)`:
/// `JSON.parse` of the line, or what `send` threw (then nothing arrives).
pub fn received(message: &JsValue) -> Result<JsValue, SendError> {
    let line = stringify(message)?;
    // No depth limit here: the value was already walked to this depth.
    match parse_nested(line.trim_end_matches('\n'), u32::MAX) {
        Ok(v) => Ok(v),
        // stringify writes JSON, which parse reads; a failure here is a
        // bug in one of them. (The line as it is, not `{:?}`: Debug's
        // escapes would bring Unicode's tables into the wasm.)
        Err(e) => {
            panic!("the model's JSON.stringify wrote `{line}`, which its JSON.parse refuses: {e}")
        }
    }
}

/// A string as JSON.stringify quotes it: `"` and `\` escaped, the short
/// escapes for \b \f \n \r \t, `\u00xx` (lowercase) for the other control
/// characters, and everything else as it is (DEL and U+2028 too).
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// How V8 names, in a circular-structure message, the key under which an
/// object was reached.
#[derive(Clone, Copy)]
enum Key<'a> {
    Root,
    Index(usize),
    Property(&'a str),
}

impl Key<'_> {
    fn describe(self) -> String {
        match self {
            Key::Root | Key::Property("") => "<anonymous>".to_string(),
            Key::Index(i) => format!("index {i}"),
            Key::Property(k) => format!("property '{k}'"),
        }
    }
}

/// The arrays and objects being written, outermost first: (the key each
/// was reached by, its constructor's name).
type Stack<'a> = Vec<(Key<'a>, &'static str)>;

/// Writes `v` as JSON.stringify does; `Ok(false)` for a value it skips
/// (undefined, a function, a symbol), which an object leaves out and an
/// array writes as null.
fn write_value<'a>(
    out: &mut String,
    v: &'a JsValue,
    key: Key<'a>,
    stack: &mut Stack<'a>,
) -> Result<bool, SendError> {
    match v {
        JsValue::Undefined | JsValue::Function(_) | JsValue::Symbol(_) => return Ok(false),
        JsValue::Null => out.push_str("null"),
        JsValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        JsValue::Number(n) if n.is_finite() => out.push_str(&number_to_string(*n)),
        JsValue::Number(_) => out.push_str("null"),
        JsValue::String(s) => out.push_str(&quote(s)),
        JsValue::BigInt(_) => return Err(SendError::BigIntInJson),
        // Date#toJSON: toISOString, or null for an invalid date.
        JsValue::Date(t) => match date::iso_string(*t) {
            Some(iso) => out.push_str(&quote(&iso)),
            None => out.push_str("null"),
        },
        // Buffer#toJSON.
        JsValue::Buffer(bytes) => {
            let data: Vec<String> = bytes.iter().map(u8::to_string).collect();
            out.push_str(&format!(
                "{{\"type\":\"Buffer\",\"data\":[{}]}}",
                data.join(",")
            ));
        }
        // No own enumerable properties: what they hold is not looked at.
        JsValue::Map(_) | JsValue::Set(_) | JsValue::RegExp(_) | JsValue::Error(_) => {
            out.push_str("{}")
        }
        JsValue::Circular => return Err(circular(stack, key)),
        JsValue::Array(items) => {
            stack.push((key, "Array"));
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if !write_value(out, item, Key::Index(i), stack)? {
                    out.push_str("null");
                }
            }
            out.push(']');
            stack.pop();
        }
        JsValue::Object(o) => {
            stack.push((key, "Object"));
            out.push('{');
            let mut first = true;
            for (k, item) in o.entries() {
                let mark = out.len();
                if !first {
                    out.push(',');
                }
                out.push_str(&quote(k));
                out.push(':');
                if write_value(out, item, Key::Property(k), stack)? {
                    first = false;
                } else {
                    out.truncate(mark);
                }
            }
            out.push('}');
            stack.pop();
        }
    }
    Ok(true)
}

/// V8's TypeError for a cycle (CircularStructureMessageBuilder in
/// src/json/json-stringifier.cc): the object the cycle starts at, the
/// first two steps from it, "..." for the middle, the last step, and the
/// key that closes the circle. A scenario's only cycle is `[Circular]`, so
/// it always starts at the outermost value, at the bottom of the stack.
fn circular(stack: &Stack<'_>, closing: Key<'_>) -> SendError {
    const PREFIX: usize = 2;
    const POSTFIX: usize = 1;
    let line = |(key, ctor): &(Key<'_>, &str)| {
        format!(
            "\n    |     {} -> object with constructor '{ctor}'",
            key.describe()
        )
    };
    let mut message = String::from("Converting circular structure to JSON");
    let start = stack.first().map_or("Object", |(_, ctor)| ctor);
    message.push_str(&format!(
        "\n    --> starting at object with constructor '{start}'"
    ));
    let prefix_end = stack.len().min(1 + PREFIX);
    for entry in stack.iter().take(prefix_end).skip(1) {
        message.push_str(&line(entry));
    }
    if stack.len() > prefix_end + POSTFIX {
        message.push_str("\n    |     ...");
    }
    let postfix_start = stack.len().saturating_sub(POSTFIX).max(prefix_end);
    for entry in stack.iter().skip(postfix_start) {
        message.push_str(&line(entry));
    }
    message.push_str(&format!(
        "\n    --- {} closes the circle",
        closing.describe()
    ));
    SendError::Circular { message }
}

/// Whether node takes a received message as its own (lib/internal/
/// child_process.js, `isInternal`): an object whose `cmd` is a string
/// longer than "NODE_" that starts with it. Node emits such a message as
/// 'internalMessage', never as 'message'.
pub fn is_internal(message: &JsValue) -> bool {
    match message {
        JsValue::Object(o) => match o.get("cmd") {
            // `cmd.length` counts UTF-16 units; "NODE_" is ASCII, so any
            // character after it makes it longer.
            Some(JsValue::String(cmd)) => cmd.len() > 5 && cmd.starts_with("NODE_"),
            _ => false,
        },
        _ => false,
    }
}

/// A line that JSON.parse refuses: where (a byte offset in the line) and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not JSON at byte {offset}: {why}")]
pub struct JsonError {
    pub offset: usize,
    pub why: String,
}

/// One complete line the reader took off the channel.
#[derive(Clone, Debug, PartialEq)]
pub struct ChannelMessage {
    /// The line without its newline.
    pub line: String,
    /// JSON.parse of the line; an `Err` is the SyntaxError node would throw
    /// in the receiving process, from its channel's read callback.
    pub value: Result<JsValue, JsonError>,
    /// Whether node takes it as its own (`is_internal`).
    pub internal: bool,
}

/// The json-mode reader of one channel end: bytes wait until a newline
/// completes their line, so a message split over several reads is one
/// message once its newline arrives.
#[derive(Clone, Debug, Default)]
pub struct JsonReader {
    pending: Vec<u8>,
}

impl JsonReader {
    pub fn new() -> JsonReader {
        JsonReader::default()
    }

    /// The messages that one read() of `chunk` completes, in order.
    pub fn read(&mut self, chunk: &[u8]) -> Vec<ChannelMessage> {
        let mut messages = Vec::new();
        for &b in chunk {
            if b != b'\n' {
                self.pending.push(b);
                continue;
            }
            // Node decodes with a StringDecoder, which replaces bad UTF-8
            // as from_utf8_lossy does; '\n' is never inside a character.
            let line = String::from_utf8_lossy(&self.pending).into_owned();
            self.pending.clear();
            let value = parse(&line);
            let internal = value.as_ref().is_ok_and(is_internal);
            messages.push(ChannelMessage {
                line,
                value,
                internal,
            });
        }
        messages
    }

    /// The bytes read so far that wait for a newline.
    pub fn pending(&self) -> &[u8] {
        &self.pending
    }
}

/// The messages in `chunks` (each what one read() returned), and the bytes
/// left over waiting for a newline.
pub fn read_chunks<'a>(
    chunks: impl IntoIterator<Item = &'a [u8]>,
) -> (Vec<ChannelMessage>, Vec<u8>) {
    let mut reader = JsonReader::new();
    let messages = chunks.into_iter().flat_map(|c| reader.read(c)).collect();
    (messages, reader.pending)
}

/// JSON.parse of `text` into a value. A `\u` escape of a lone surrogate
/// becomes U+FFFD, since the model's strings are Unicode text.
pub fn parse(text: &str) -> Result<JsValue, JsonError> {
    parse_nested(text, MAX_PARSE_DEPTH)
}

fn parse_nested(text: &str, max_depth: u32) -> Result<JsValue, JsonError> {
    let mut p = JsonParser {
        s: text.as_bytes(),
        text,
        at: 0,
        max_depth,
    };
    p.space();
    let v = p.value(0)?;
    p.space();
    if p.at < p.s.len() {
        return Err(p.err("more text after the value"));
    }
    Ok(v)
}

struct JsonParser<'a> {
    s: &'a [u8],
    text: &'a str,
    at: usize,
    max_depth: u32,
}

impl JsonParser<'_> {
    fn err(&self, why: &str) -> JsonError {
        JsonError {
            offset: self.at,
            why: why.to_string(),
        }
    }

    fn space(&mut self) {
        while matches!(self.s.get(self.at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn eat(&mut self, b: u8) -> bool {
        self.space();
        let ok = self.s.get(self.at) == Some(&b);
        if ok {
            self.at += 1;
        }
        ok
    }

    fn literal(&mut self, word: &str, v: JsValue) -> Result<JsValue, JsonError> {
        if self.text[self.at..].starts_with(word) {
            self.at += word.len();
            Ok(v)
        } else {
            Err(self.err("an unexpected word"))
        }
    }

    fn value(&mut self, depth: u32) -> Result<JsValue, JsonError> {
        if depth > self.max_depth {
            return Err(self.err("nested too deep for the model"));
        }
        self.space();
        match self.s.get(self.at) {
            None => Err(self.err("the text ends where a value should be")),
            Some(b'n') => self.literal("null", JsValue::Null),
            Some(b't') => self.literal("true", JsValue::Bool(true)),
            Some(b'f') => self.literal("false", JsValue::Bool(false)),
            Some(b'"') => Ok(JsValue::String(self.string()?)),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b'[') => {
                self.at += 1;
                let mut items = Vec::new();
                if !self.eat(b']') {
                    loop {
                        items.push(self.value(depth + 1)?);
                        if self.eat(b']') {
                            break;
                        }
                        if !self.eat(b',') {
                            return Err(self.err("expected \",\" or \"]\""));
                        }
                    }
                }
                Ok(JsValue::Array(items))
            }
            Some(b'{') => {
                self.at += 1;
                let mut defs = Vec::new();
                if !self.eat(b'}') {
                    loop {
                        self.space();
                        if self.s.get(self.at) != Some(&b'"') {
                            return Err(self.err("expected a key in double quotes"));
                        }
                        let key = self.string()?;
                        if !self.eat(b':') {
                            return Err(self.err("expected \":\" after a key"));
                        }
                        defs.push((key, self.value(depth + 1)?));
                        if self.eat(b'}') {
                            break;
                        }
                        if !self.eat(b',') {
                            return Err(self.err("expected \",\" or \"}\""));
                        }
                    }
                }
                Ok(JsValue::Object(JsObject::new(defs)))
            }
            Some(_) => Err(self.err("an unexpected character")),
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.at;
        while self.s.get(self.at).is_some_and(u8::is_ascii_digit) {
            self.at += 1;
        }
        self.at - start
    }

    fn number(&mut self) -> Result<JsValue, JsonError> {
        let start = self.at;
        if self.s[self.at] == b'-' {
            self.at += 1;
        }
        let int_start = self.at;
        if self.digits() == 0 {
            return Err(self.err("a number needs digits"));
        }
        if self.s[int_start] == b'0' && self.at - int_start > 1 {
            return Err(JsonError {
                offset: int_start,
                why: "a number cannot start with 0".into(),
            });
        }
        if self.s.get(self.at) == Some(&b'.') {
            self.at += 1;
            if self.digits() == 0 {
                return Err(self.err("a \".\" needs digits after it"));
            }
        }
        if matches!(self.s.get(self.at), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.s.get(self.at), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if self.digits() == 0 {
                return Err(self.err("an exponent needs digits"));
            }
        }
        let n = super::number_text::parse(&self.text[start..self.at]).ok_or_else(|| JsonError {
            offset: start,
            why: "a bad number".into(),
        })?;
        Ok(JsValue::Number(n))
    }

    fn hex4(&mut self) -> Result<u16, JsonError> {
        let hex = self.text.get(self.at..self.at + 4).unwrap_or("");
        let v = u16::from_str_radix(hex, 16)
            .ok()
            .filter(|_| hex.len() == 4 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| self.err("\\u takes four hex digits"))?;
        self.at += 4;
        Ok(v)
    }

    fn string(&mut self) -> Result<String, JsonError> {
        self.at += 1; // "
        let mut out = String::new();
        loop {
            let start = self.at;
            while let Some(&b) = self.s.get(self.at) {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.at += 1;
            }
            out.push_str(&self.text[start..self.at]);
            match self.s.get(self.at) {
                None => return Err(self.err("a string has no closing quote")),
                Some(b'"') => {
                    self.at += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.at += 1;
                    let Some(&e) = self.s.get(self.at) else {
                        return Err(self.err("a string ends in a backslash"));
                    };
                    self.at += 1;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let unit = self.hex4()?;
                            let low = (0xD800..0xDC00).contains(&unit)
                                && self.text[self.at..].starts_with("\\u");
                            let c = if low {
                                let save = self.at;
                                self.at += 2;
                                let l = self.hex4()?;
                                if (0xDC00..0xE000).contains(&l) {
                                    let cp = 0x10000
                                        + ((u32::from(unit) - 0xD800) << 10)
                                        + (u32::from(l) - 0xDC00);
                                    char::from_u32(cp)
                                } else {
                                    self.at = save;
                                    None
                                }
                            } else {
                                char::from_u32(u32::from(unit))
                            };
                            out.push(c.unwrap_or('\u{FFFD}'));
                        }
                        _ => {
                            return Err(JsonError {
                                offset: self.at - 1,
                                why: "a bad escape".into(),
                            })
                        }
                    }
                }
                Some(_) => return Err(self.err("a control character inside a string")),
            }
        }
    }
}
