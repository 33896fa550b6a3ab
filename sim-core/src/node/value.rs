//! `JsValue`: the JavaScript values a scenario can send over node's IPC
//! channel, kept as the scenario wrote them, with the order and the
//! equality that JavaScript gives them; `to_js`, the JavaScript that builds
//! the same value in real node; and a short `Display` for narration.
//!
//! The literal syntax and its parser are in `literal.rs`; what node does to
//! a value on the channel is in `json.rs` and `advanced.rs`.
//!
//! A value keeps what was *written*, not only what JavaScript ends up with:
//! `{a: 1.5, a: 2}` is one property `a` equal to 2, but the first
//! definition is kept, because V8 builds the object through it and that
//! decides how 2 is held and so how the advanced serializer writes it
//! (`v8_numbers.rs`). Equality (`==`) is what JavaScript can see.
//!
//! Two deliberate limits: strings are Unicode text (Rust `String`), so a
//! lone surrogate such as `"\uD800"` cannot be written; and an `Error` has
//! no stack frames (see `JsError`).

use super::bigint::JsBigInt;
use super::date;
use super::json::quote;
use std::collections::{HashMap, HashSet};
use std::fmt;

/// A JavaScript value as a scenario writes it.
#[derive(Clone, Debug)]
pub enum JsValue {
    Undefined,
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    BigInt(JsBigInt),
    /// `Symbol("x")`: the description, `None` for `Symbol()`.
    Symbol(Option<String>),
    Function(JsFunction),
    Array(Vec<JsValue>),
    Object(JsObject),
    Map(JsMap),
    Set(JsSet),
    /// A Date's time value in ms since 1970 (already `TimeClip`ped); NaN is
    /// an invalid date.
    Date(f64),
    RegExp(JsRegExp),
    Error(JsError),
    /// A Buffer's bytes.
    Buffer(Vec<u8>),
    /// `[Circular]`: the outermost value itself, as util.inspect prints a
    /// reference back to it. Only inside an array, object, Map or Set.
    Circular,
}

/// A function: `function f(a) {}` or `() => {}`. Only its text matters to
/// node's channel (the advanced serializer's error quotes it) and its name
/// (ERR_INVALID_ARG_TYPE names it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsFunction {
    /// The source text exactly as written, from `function` or `(` to `}`.
    pub source: String,
    /// The declared name, empty for an anonymous function or an arrow.
    pub name: String,
}

/// A regular expression literal `/source/flags`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsRegExp {
    /// The pattern as written between the slashes (`RegExp#source`).
    pub source: String,
    /// The flags in the order `RegExp#flags` gives them: "dgimsuvy".
    pub flags: String,
}

/// `new Error("msg")` or `new Error()`.
///
/// Its stack has no frames: a real error's stack lists where it was made
/// (files, lines, columns of the program), which the model cannot know, so
/// the model's error is the one node makes with `Error.stackTraceLimit = 0`:
/// its stack is the header line alone, `Error: msg`. `to_js` builds exactly
/// that error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsError {
    /// `None` when no message was given: the error then has no own
    /// `message` property (`new Error("")` has one, empty).
    pub message: Option<String>,
}

impl JsError {
    /// `error.stack` with no frames: "Error", or "Error: " and the message.
    pub fn stack(&self) -> String {
        match self.message.as_deref() {
            None | Some("") => "Error".to_string(),
            Some(m) => format!("Error: {m}"),
        }
    }
}

/// An object literal: its property definitions in the order written
/// (repeats included), and the properties JavaScript makes of them.
#[derive(Clone, Debug)]
pub struct JsObject {
    defs: Vec<(String, JsValue)>,
    /// For each property in JavaScript's order: (its first definition,
    /// which gives its place, its last definition, which gives its value).
    order: Vec<(u32, u32)>,
}

impl JsObject {
    /// The object of these definitions, in the order written. JavaScript's
    /// order: integer-like keys (canonical array indices) ascending, then
    /// the other keys in the order first written; a repeated key keeps its
    /// first place and its last value.
    pub fn new(defs: Vec<(String, JsValue)>) -> JsObject {
        let mut order: Vec<(u32, u32)> = Vec::new();
        let mut place: HashMap<&str, usize> = HashMap::new();
        for (i, (key, _)) in defs.iter().enumerate() {
            let i = i as u32;
            match place.get(key.as_str()) {
                Some(&at) => order[at].1 = i,
                None => {
                    place.insert(key, order.len());
                    order.push((i, i));
                }
            }
        }
        // A stable sort keeps the string keys in the order first written.
        crate::sort::sort_by_key(&mut order, |(first, _)| {
            match array_index(&defs[*first as usize].0) {
                Some(n) => (0, n),
                None => (1, 0),
            }
        });
        JsObject { defs, order }
    }

    /// The definitions as written, repeats included.
    pub fn written(&self) -> &[(String, JsValue)] {
        &self.defs
    }

    /// The properties in JavaScript's order, each with its value.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &JsValue)> + '_ {
        self.order.iter().map(|&(first, last)| {
            (
                self.defs[first as usize].0.as_str(),
                &self.defs[last as usize].1,
            )
        })
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    pub fn get(&self, key: &str) -> Option<&JsValue> {
        self.entries().find(|(k, _)| *k == key).map(|(_, v)| v)
    }
}

/// `new Map([[k, v], ...])`: the entries written and the ones the Map keeps
/// (keys compared as SameValueZero; a repeated key keeps its first place and
/// the first key written, and takes the last value).
#[derive(Clone, Debug)]
pub struct JsMap {
    written: Vec<(JsValue, JsValue)>,
    order: Vec<(u32, u32)>,
}

impl JsMap {
    pub fn new(written: Vec<(JsValue, JsValue)>) -> JsMap {
        let mut order: Vec<(u32, u32)> = Vec::new();
        let mut place: HashMap<SvzKey, usize> = HashMap::new();
        for (i, (key, _)) in written.iter().enumerate() {
            let i = i as u32;
            let at = svz_key(key).and_then(|k| match place.get(&k) {
                Some(&at) => Some(at),
                None => {
                    place.insert(k, order.len());
                    None
                }
            });
            match at {
                Some(at) => order[at].1 = i,
                None => order.push((i, i)),
            }
        }
        JsMap { written, order }
    }

    pub fn written(&self) -> &[(JsValue, JsValue)] {
        &self.written
    }

    /// The entries in insertion order. A key written `-0` is kept by the
    /// Map as `0`: see `map_key`.
    pub fn entries(&self) -> impl Iterator<Item = (&JsValue, &JsValue)> + '_ {
        self.order.iter().map(|&(first, last)| {
            (
                &self.written[first as usize].0,
                &self.written[last as usize].1,
            )
        })
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

/// `new Set([...])`: the values written and the ones the Set keeps (the
/// first of each SameValueZero class).
#[derive(Clone, Debug)]
pub struct JsSet {
    written: Vec<JsValue>,
    order: Vec<u32>,
}

impl JsSet {
    pub fn new(written: Vec<JsValue>) -> JsSet {
        let mut order: Vec<u32> = Vec::new();
        let mut seen: HashSet<SvzKey> = HashSet::new();
        for (i, v) in written.iter().enumerate() {
            if svz_key(v).is_none_or(|k| seen.insert(k)) {
                order.push(i as u32);
            }
        }
        JsSet { written, order }
    }

    pub fn written(&self) -> &[JsValue] {
        &self.written
    }

    pub fn values(&self) -> impl Iterator<Item = &JsValue> + '_ {
        self.order.iter().map(|&i| &self.written[i as usize])
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

/// What a Map or Set holds for a key written `k`: `Map#set` and `Set#add`
/// turn -0 into +0.
pub fn map_key(k: &JsValue) -> JsValue {
    match k {
        JsValue::Number(n) if *n == 0.0 => JsValue::Number(0.0),
        other => other.clone(),
    }
}

/// SameValueZero, the key equality of Map and Set: NaN equals NaN, -0
/// equals +0, and objects (each literal a new one) equal only themselves;
/// `[Circular]` is always the same object, the outermost value.
pub fn same_value_zero(a: &JsValue, b: &JsValue) -> bool {
    svz_key(a).is_some_and(|k| Some(k) == svz_key(b))
}

/// A value as SameValueZero tells values apart, for the ones that can equal
/// another value; `None` for a value equal only to itself (every object
/// literal, symbol and function is a new object).
#[derive(PartialEq, Eq, Hash)]
enum SvzKey {
    Undefined,
    Null,
    Circular,
    Bool(bool),
    Number(u64),
    String(String),
    BigInt(JsBigInt),
}

fn svz_key(v: &JsValue) -> Option<SvzKey> {
    Some(match v {
        JsValue::Undefined => SvzKey::Undefined,
        JsValue::Null => SvzKey::Null,
        JsValue::Circular => SvzKey::Circular,
        JsValue::Bool(b) => SvzKey::Bool(*b),
        JsValue::Number(n) if n.is_nan() => SvzKey::Number(f64::NAN.to_bits()),
        JsValue::Number(n) if *n == 0.0 => SvzKey::Number(0),
        JsValue::Number(n) => SvzKey::Number(n.to_bits()),
        JsValue::String(s) => SvzKey::String(s.clone()),
        JsValue::BigInt(b) => SvzKey::BigInt(b.clone()),
        _ => return None,
    })
}

/// The canonical array index a property key names, if any: "0", or digits
/// without a leading zero, below 2^32 - 1 (ECMA-262 6.1.7). Such keys come
/// first in an object, ascending.
pub fn array_index(key: &str) -> Option<u32> {
    if key.is_empty() || key.len() > 10 || (key.len() > 1 && key.starts_with('0')) {
        return None;
    }
    if !key.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    key.parse::<u64>()
        .ok()
        .filter(|&n| n < u64::from(u32::MAX))
        .map(|n| n as u32)
}

/// `Number#toString` (and `String(n)`): the shortest text that reads back
/// as `n`, with JavaScript's switch to exponents at 1e21 and 1e-7; -0 is
/// "0".
pub fn number_to_string(n: f64) -> String {
    super::number_text::format(n)
}

/// A number as JavaScript source: as `number_to_string`, but -0 is "-0".
fn number_to_js(n: f64) -> String {
    if n == 0.0 && n.is_sign_negative() {
        "-0".to_string()
    } else {
        number_to_string(n)
    }
}

/// Whether V8 holds the integer `n` as a Smi (a small integer inside the
/// pointer, 32 bits on x86-64 node 20), rather than as a heap number.
pub fn is_smi(n: f64) -> bool {
    n.fract() == 0.0
        && (-2_147_483_648.0..=2_147_483_647.0).contains(&n)
        && !(n == 0.0 && n.is_sign_negative())
}

impl PartialEq for JsValue {
    /// What JavaScript can see: numbers as `Object.is` compares them (NaN
    /// equals NaN, -0 differs from +0), objects by their properties in
    /// order, Maps and Sets by what they hold.
    fn eq(&self, other: &Self) -> bool {
        use JsValue::*;
        match (self, other) {
            (Number(x), Number(y)) | (Date(x), Date(y)) => {
                x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan())
            }
            (Undefined, Undefined) | (Null, Null) | (Circular, Circular) => true,
            (Bool(x), Bool(y)) => x == y,
            (String(x), String(y)) => x == y,
            (BigInt(x), BigInt(y)) => x == y,
            (Symbol(x), Symbol(y)) => x == y,
            (Function(x), Function(y)) => x == y,
            (Array(x), Array(y)) => x == y,
            (Object(x), Object(y)) => x.entries().eq(y.entries()),
            (Map(x), Map(y)) => x
                .entries()
                .map(|(k, v)| (map_key(k), v))
                .eq(y.entries().map(|(k, v)| (map_key(k), v))),
            (Set(x), Set(y)) => x.values().map(map_key).eq(y.values().map(map_key)),
            (RegExp(x), RegExp(y)) => x == y,
            (Error(x), Error(y)) => x == y,
            (Buffer(x), Buffer(y)) => x == y,
            _ => false,
        }
    }
}

impl JsValue {
    /// JavaScript's `typeof`.
    pub fn type_of(&self) -> &'static str {
        match self {
            JsValue::Undefined => "undefined",
            JsValue::Bool(_) => "boolean",
            JsValue::Number(_) => "number",
            JsValue::String(_) => "string",
            JsValue::BigInt(_) => "bigint",
            JsValue::Symbol(_) => "symbol",
            JsValue::Function(_) => "function",
            _ => "object",
        }
    }

    /// The values directly inside this one, as written (a Map's keys and
    /// values, an object's every definition).
    pub fn written_children(&self) -> Vec<&JsValue> {
        match self {
            JsValue::Array(items) => items.iter().collect(),
            JsValue::Object(o) => o.written().iter().map(|(_, v)| v).collect(),
            JsValue::Map(m) => m.written().iter().flat_map(|(k, v)| [k, v]).collect(),
            JsValue::Set(s) => s.written().iter().collect(),
            _ => Vec::new(),
        }
    }

    /// Whether `[Circular]` appears anywhere inside.
    pub fn has_circular(&self) -> bool {
        matches!(self, JsValue::Circular)
            || self
                .written_children()
                .into_iter()
                .any(JsValue::has_circular)
    }

    /// JavaScript source that builds this value in node, definitions in the
    /// order written. A value with `[Circular]` is built by a function
    /// called at once: the outermost value is made first with `null` (or
    /// nothing, for a Map or Set) where a part refers back to it, and those
    /// parts are then stored into it. The advanced serializer's output is
    /// predicted for exactly this source (see `v8_numbers.rs`).
    pub fn to_js(&self) -> String {
        let mut out = String::new();
        if !self.has_circular() {
            write_js(&mut out, self);
            return out;
        }
        out.push_str("(() => { const $root = ");
        let mut patches = String::new();
        match self {
            JsValue::Array(items) => {
                let shell: Vec<JsValue> = items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| {
                        if v.has_circular() {
                            patches.push_str(&format!("$root[{i}] = "));
                            write_js(&mut patches, v);
                            patches.push_str("; ");
                            JsValue::Null
                        } else {
                            v.clone()
                        }
                    })
                    .collect();
                write_js(&mut out, &JsValue::Array(shell));
            }
            JsValue::Object(o) => {
                let shell = o
                    .written()
                    .iter()
                    .map(|(k, v)| {
                        if v.has_circular() {
                            patches.push_str(&format!("$root[{}] = ", quote(k)));
                            write_js(&mut patches, v);
                            patches.push_str("; ");
                            (k.clone(), JsValue::Null)
                        } else {
                            (k.clone(), v.clone())
                        }
                    })
                    .collect();
                write_js(&mut out, &JsValue::Object(JsObject::new(shell)));
            }
            JsValue::Map(m) => {
                out.push_str("new Map()");
                for (k, v) in m.written() {
                    patches.push_str("$root.set(");
                    write_js(&mut patches, k);
                    patches.push_str(", ");
                    write_js(&mut patches, v);
                    patches.push_str("); ");
                }
            }
            JsValue::Set(s) => {
                out.push_str("new Set()");
                for v in s.written() {
                    patches.push_str("$root.add(");
                    write_js(&mut patches, v);
                    patches.push_str("); ");
                }
            }
            // The parser accepts [Circular] only inside these four.
            other => write_js(&mut out, other),
        }
        out.push_str("; ");
        out.push_str(&patches);
        out.push_str("return $root; })()");
        out
    }
}

fn write_list<'a>(out: &mut String, items: impl IntoIterator<Item = &'a JsValue>) {
    for (i, v) in items.into_iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_js(out, v);
    }
}

fn write_js(out: &mut String, v: &JsValue) {
    match v {
        JsValue::Undefined => out.push_str("undefined"),
        JsValue::Null => out.push_str("null"),
        JsValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        JsValue::Number(n) => out.push_str(&number_to_js(*n)),
        JsValue::String(s) => out.push_str(&quote(s)),
        JsValue::BigInt(b) => out.push_str(&format!("{b}n")),
        JsValue::Symbol(None) => out.push_str("Symbol()"),
        JsValue::Symbol(Some(d)) => out.push_str(&format!("Symbol({})", quote(d))),
        JsValue::Function(f) => out.push_str(&f.source),
        JsValue::Array(items) => {
            out.push('[');
            write_list(out, items);
            out.push(']');
        }
        JsValue::Object(o) => {
            out.push('{');
            for (i, (k, v)) in o.written().iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                // A literal key "__proto__" would set the prototype; a
                // computed one makes a property, as JSON.parse does.
                if k == "__proto__" {
                    out.push_str(&format!("[{}]: ", quote(k)));
                } else {
                    out.push_str(&format!("{}: ", quote(k)));
                }
                write_js(out, v);
            }
            out.push('}');
        }
        JsValue::Map(m) => {
            out.push_str("new Map([");
            for (i, (k, v)) in m.written().iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push('[');
                write_list(out, [k, v]);
                out.push(']');
            }
            out.push_str("])");
        }
        JsValue::Set(s) => {
            out.push_str("new Set([");
            write_list(out, s.written());
            out.push_str("])");
        }
        JsValue::Date(t) => out.push_str(&format!("new Date({})", number_to_js(*t))),
        JsValue::RegExp(r) => out.push_str(&format!("/{}/{}", r.source, r.flags)),
        JsValue::Error(e) => {
            let arg = e.message.as_deref().map(quote).unwrap_or_default();
            out.push_str(&format!(
                "(() => {{ const limit = Error.stackTraceLimit; Error.stackTraceLimit = 0; \
                 try {{ return new Error({arg}); }} finally {{ Error.stackTraceLimit = limit; }} }})()"
            ));
        }
        JsValue::Buffer(bytes) => {
            let list: Vec<String> = bytes.iter().map(u8::to_string).collect();
            out.push_str(&format!("Buffer.from([{}])", list.join(", ")));
        }
        JsValue::Circular => out.push_str("$root"),
    }
}

/// At most this many items of a list are shown in narration.
const SHOWN_ITEMS: usize = 6;
/// Strings longer than this many characters are cut in narration.
const SHOWN_CHARS: usize = 40;

impl fmt::Display for JsValue {
    /// A short form for narration, after util.inspect: `{ hello: 'world' }`,
    /// `Map(1) { 1 => 'a' }`, `<Buffer 01 02>`; long strings and lists cut.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JsValue::Undefined => f.write_str("undefined"),
            JsValue::Null => f.write_str("null"),
            JsValue::Bool(b) => write!(f, "{b}"),
            JsValue::Number(n) => f.write_str(&number_to_js(*n)),
            JsValue::String(s) => show_string(f, s),
            JsValue::BigInt(b) => write!(f, "{b}n"),
            JsValue::Symbol(d) => write!(f, "Symbol({})", d.as_deref().unwrap_or("")),
            JsValue::Function(func) if func.name.is_empty() => {
                f.write_str("[Function (anonymous)]")
            }
            JsValue::Function(func) => write!(f, "[Function: {}]", func.name),
            JsValue::Array(items) => {
                show_list(f, "[", "]", items.iter().map(|v| v as &dyn fmt::Display))
            }
            JsValue::Object(o) => {
                let props: Vec<Prop> = o.entries().map(|(k, v)| Prop(k, v)).collect();
                show_list(f, "{", "}", props.iter().map(|p| p as &dyn fmt::Display))
            }
            JsValue::Map(m) => {
                write!(f, "Map({}) ", m.len())?;
                let entries: Vec<Entry> = m.entries().map(|(k, v)| Entry(map_key(k), v)).collect();
                show_list(f, "{", "}", entries.iter().map(|e| e as &dyn fmt::Display))
            }
            JsValue::Set(s) => {
                write!(f, "Set({}) ", s.len())?;
                let values: Vec<JsValue> = s.values().map(map_key).collect();
                show_list(f, "{", "}", values.iter().map(|v| v as &dyn fmt::Display))
            }
            JsValue::Date(t) => match date::iso_string(*t) {
                Some(iso) => f.write_str(&iso),
                None => f.write_str("Invalid Date"),
            },
            JsValue::RegExp(r) => write!(f, "/{}/{}", r.source, r.flags),
            JsValue::Error(e) => write!(f, "[{}]", e.stack()),
            JsValue::Buffer(bytes) => {
                f.write_str("<Buffer")?;
                for b in bytes.iter().take(SHOWN_ITEMS * 4) {
                    write!(f, " {b:02x}")?;
                }
                if bytes.len() > SHOWN_ITEMS * 4 {
                    write!(f, " ... {} more bytes", bytes.len() - SHOWN_ITEMS * 4)?;
                }
                f.write_str(">")
            }
            JsValue::Circular => f.write_str("[Circular]"),
        }
    }
}

fn show_string(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_str("'")?;
    for (i, c) in s.chars().enumerate() {
        if i == SHOWN_CHARS {
            return f.write_str("…'");
        }
        match c {
            '\'' => f.write_str("\\'")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            c if (c as u32) < 0x20 => write!(f, "\\x{:02X}", c as u32)?,
            c => write!(f, "{c}")?,
        }
    }
    f.write_str("'")
}

fn show_list<'a>(
    f: &mut fmt::Formatter<'_>,
    open: &str,
    close: &str,
    items: impl ExactSizeIterator<Item = &'a dyn fmt::Display>,
) -> fmt::Result {
    let total = items.len();
    if total == 0 {
        return write!(f, "{open}{close}");
    }
    write!(f, "{open} ")?;
    for (i, item) in items.take(SHOWN_ITEMS).enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{item}")?;
    }
    if total > SHOWN_ITEMS {
        write!(f, ", ... {} more", total - SHOWN_ITEMS)?;
    }
    write!(f, " {close}")
}

struct Prop<'a>(&'a str, &'a JsValue);

impl fmt::Display for Prop<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // As node's util.inspect decides (/^[a-zA-Z_][a-zA-Z_0-9]*$/):
        // `{ '$a': 1, 'café': 2, _b: 3 }`.
        let plain = self
            .0
            .bytes()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
            && self
                .0
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'_');
        if plain {
            write!(f, "{}: {}", self.0, self.1)
        } else {
            show_string(f, self.0)?;
            write!(f, ": {}", self.1)
        }
    }
}

struct Entry<'a>(JsValue, &'a JsValue);

impl fmt::Display for Entry<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} => {}", self.0, self.1)
    }
}
