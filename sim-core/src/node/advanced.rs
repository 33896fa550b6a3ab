//! Node's `serialization: 'advanced'` IPC format: each `send(m)` is one
//! write() of a frame, a 4-byte big-endian length (not counting itself)
//! and the bytes of V8's ValueSerializer (format version 15, header
//! `ff 0f`) as node's ChildProcessSerializer drives it
//! (lib/internal/child_process/serialization.js). `'bye'` is
//! `00 00 00 07 ff 0f 22 03 62 79 65`.
//!
//! `frame` writes the frame (or says what `send` throws), `received` is
//! what the other side's 'message' event gets, and `FrameReader` splits
//! what read() returns into frames as node's reader does.
//!
//! The tags, as V8 11.3 (node 20) writes them (src/objects/value-serializer.cc):
//! `_` undefined, `0` null, `T`/`F` booleans, `I` + zigzag varint a Smi,
//! `N` + 8 bytes (little-endian) a heap number (`v8_numbers` says which
//! numbers are which), `Z` + varint (byte length << 1 | sign) + 64-bit
//! digits a BigInt, `"` + varint length + Latin-1 a one-byte string, `c` +
//! varint byte length + UTF-16LE a two-byte string (after a `00` padding
//! byte when that would start the characters at an odd offset of the
//! frame), `o` properties `{` count an object (integer keys as numbers),
//! `A` length elements `$` 0 length a dense array, `;` keys and values
//! `:` 2×count a Map, `'` values `,` count a Set, `D` + 8 bytes a Date,
//! `R` source flags a RegExp, `r` [`m` message] `s` stack `.` an Error,
//! `^` id a reference to an object written before (the outermost is 0), and
//! `\` a host object: node writes a Buffer as `\`, 0 (an ArrayBufferView),
//! 10 (FastBuffer), its length and its bytes. Every count is a varint.

use super::send_error::{check_message_type, SendError};
use super::v8_numbers::HeapNumbers;
use super::value::{array_index, is_smi, map_key, JsMap, JsObject, JsSet, JsValue};

/// V8's serializer format version, written after the `ff` header tag.
const FORMAT_VERSION: u8 = 15;
/// The index of FastBuffer (node's Buffer) in lib/v8.js's
/// arrayBufferViewTypes, which node writes for a Buffer host object.
const FAST_BUFFER_TYPE: u32 = 10;
/// Node's tag before a host object that is an ArrayBufferView
/// (kArrayBufferViewTag in lib/internal/child_process/serialization.js).
const ARRAY_BUFFER_VIEW_TAG: u32 = 0;

/// What `send(message)` writes in advanced mode, the whole frame, or what
/// it throws (having written nothing).
pub fn frame(message: &JsValue) -> Result<Vec<u8>, SendError> {
    check_message_type(message)?;
    let mut w = Writer {
        out: vec![0, 0, 0, 0, 0xff, FORMAT_VERSION],
        heap: HeapNumbers::of(message),
    };
    w.value(message)?;
    let len = u32::try_from(w.out.len() - 4).unwrap_or(u32::MAX);
    w.out[..4].copy_from_slice(&len.to_be_bytes());
    Ok(w.out)
}

/// What the receiving side's 'message' event gets for `send(message)`, or
/// what `send` threw (then nothing arrives). The deserializer rebuilds
/// everything the serializer wrote: Maps, Sets, Dates, BigInts, RegExps,
/// Errors (message and stack), Buffers, undefined and the cycle.
pub fn received(message: &JsValue) -> Result<JsValue, SendError> {
    frame(message)?;
    Ok(rebuilt(message))
}

/// A value as the deserializer makes it: one definition per property, one
/// written entry per Map key and Set value, and a Map key or Set value -0
/// as the 0 the Map holds.
fn rebuilt(v: &JsValue) -> JsValue {
    match v {
        JsValue::Array(items) => JsValue::Array(items.iter().map(rebuilt).collect()),
        JsValue::Object(o) => JsValue::Object(JsObject::new(
            o.entries()
                .map(|(k, v)| (k.to_string(), rebuilt(v)))
                .collect(),
        )),
        JsValue::Map(m) => JsValue::Map(JsMap::new(
            m.entries()
                .map(|(k, v)| (rebuilt(&map_key(k)), rebuilt(v)))
                .collect(),
        )),
        JsValue::Set(s) => JsValue::Set(JsSet::new(
            s.values().map(|v| rebuilt(&map_key(v))).collect(),
        )),
        other => other.clone(),
    }
}

struct Writer {
    out: Vec<u8>,
    heap: HeapNumbers,
}

impl Writer {
    fn varint(&mut self, mut n: u64) {
        loop {
            let low = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                self.out.push(low);
                return;
            }
            self.out.push(low | 0x80);
        }
    }

    fn smi(&mut self, n: i32) {
        self.out.push(b'I');
        // ZigZag: small negative numbers stay short.
        self.varint(u64::from(((n << 1) ^ (n >> 31)) as u32));
    }

    fn double(&mut self, tag: u8, n: f64) {
        self.out.push(tag);
        self.out.extend_from_slice(&n.to_le_bytes());
    }

    fn number(&mut self, v: &JsValue, n: f64) {
        if self.heap.is_heap(v) {
            self.double(b'N', n);
        } else {
            self.smi(n as i32);
        }
    }

    /// A Map key or Set value: Map#set and Set#add make any zero the Smi 0.
    fn key(&mut self, v: &JsValue) -> Result<(), SendError> {
        match v {
            JsValue::Number(n) if *n == 0.0 => {
                self.smi(0);
                Ok(())
            }
            other => self.value(other),
        }
    }

    fn string(&mut self, s: &str) {
        if s.chars().all(|c| (c as u32) <= 0xff) {
            self.out.push(b'"');
            self.varint(s.chars().count() as u64);
            self.out.extend(s.chars().map(|c| c as u8)); // Latin-1
            return;
        }
        let units: Vec<u16> = s.encode_utf16().collect();
        let bytes = units.len() as u64 * 2;
        // V8's reader expects two-byte characters at an even offset.
        if (self.out.len() + 1 + varint_len(bytes)) % 2 == 1 {
            self.out.push(0x00);
        }
        self.out.push(b'c');
        self.varint(bytes);
        for u in units {
            self.out.extend_from_slice(&u.to_le_bytes());
        }
    }

    fn value(&mut self, v: &JsValue) -> Result<(), SendError> {
        match v {
            JsValue::Undefined => self.out.push(b'_'),
            JsValue::Null => self.out.push(b'0'),
            JsValue::Bool(true) => self.out.push(b'T'),
            JsValue::Bool(false) => self.out.push(b'F'),
            JsValue::Number(n) => self.number(v, *n),
            JsValue::String(s) => self.string(s),
            JsValue::BigInt(b) => {
                self.out.push(b'Z');
                let bytes = b.digits().len() as u64 * 8;
                self.varint(bytes << 1 | u64::from(b.is_negative()));
                for d in b.digits() {
                    self.out.extend_from_slice(&d.to_le_bytes());
                }
            }
            JsValue::Symbol(d) => {
                return Err(SendError::CouldNotClone {
                    what: format!("Symbol({})", d.as_deref().unwrap_or("")),
                })
            }
            JsValue::Function(f) => {
                return Err(SendError::CouldNotClone {
                    what: f.source.clone(),
                })
            }
            JsValue::Array(items) => {
                self.out.push(b'A');
                self.varint(items.len() as u64);
                for item in items {
                    self.value(item)?;
                }
                self.out.push(b'$');
                self.varint(0); // properties other than the elements
                self.varint(items.len() as u64);
            }
            JsValue::Object(o) => {
                self.out.push(b'o');
                for (k, item) in o.entries() {
                    match array_index(k) {
                        // Element keys go as numbers (KeyAccumulator keeps them).
                        Some(i) if is_smi(f64::from(i)) => self.smi(i as i32),
                        Some(i) => self.double(b'N', f64::from(i)),
                        None => self.string(k),
                    }
                    self.value(item)?;
                }
                self.out.push(b'{');
                self.varint(o.len() as u64);
            }
            JsValue::Map(m) => {
                self.out.push(b';');
                for (k, item) in m.entries() {
                    self.key(k)?;
                    self.value(item)?;
                }
                self.out.push(b':');
                self.varint(2 * m.len() as u64);
            }
            JsValue::Set(s) => {
                self.out.push(b'\'');
                for item in s.values() {
                    self.key(item)?;
                }
                self.out.push(b',');
                self.varint(s.len() as u64);
            }
            JsValue::Date(t) => self.double(b'D', *t),
            JsValue::RegExp(r) => {
                self.out.push(b'R');
                self.string(&r.source);
                // JSRegExp::Flags bits.
                let bits: u64 = r
                    .flags
                    .chars()
                    .map(|f| match f {
                        'g' => 1,
                        'i' => 2,
                        'm' => 4,
                        'y' => 8,
                        'u' => 16,
                        's' => 32,
                        'd' => 128,
                        'v' => 256,
                        _ => 0,
                    })
                    .sum();
                self.varint(bits);
            }
            JsValue::Error(e) => {
                self.out.push(b'r');
                if let Some(m) = &e.message {
                    self.out.push(b'm');
                    self.string(m);
                }
                self.out.push(b's');
                self.string(&e.stack());
                self.out.push(b'.');
            }
            JsValue::Buffer(bytes) => {
                self.out.push(b'\\');
                self.varint(u64::from(ARRAY_BUFFER_VIEW_TAG));
                self.varint(u64::from(FAST_BUFFER_TYPE));
                self.varint(bytes.len() as u64);
                self.out.extend_from_slice(bytes);
            }
            // The outermost value was the first object written: id 0.
            JsValue::Circular => {
                self.out.push(b'^');
                self.varint(0);
            }
        }
        Ok(())
    }
}

fn varint_len(mut n: u64) -> usize {
    let mut len = 1;
    while n >= 0x80 {
        n >>= 7;
        len += 1;
    }
    len
}

/// The advanced-mode reader of one channel end, as node's
/// `parseChannelMessages`: a frame is complete once its length and all its
/// bytes have arrived; a frame split over reads waits.
#[derive(Clone, Debug, Default)]
pub struct FrameReader {
    pending: Vec<u8>,
}

impl FrameReader {
    pub fn new() -> FrameReader {
        FrameReader::default()
    }

    /// The frames (V8 serializer bytes, without the length) that one read()
    /// of `chunk` completes, in order.
    pub fn read(&mut self, chunk: &[u8]) -> Vec<Vec<u8>> {
        self.pending.extend_from_slice(chunk);
        let mut frames = Vec::new();
        let mut at = 0;
        while let Some(head) = self.pending.get(at..at + 4) {
            let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
            // A length near 4 GiB overflows a 32-bit usize (wasm32): such a
            // frame has not arrived yet either.
            let end = (at + 4).checked_add(len);
            let Some(body) = end.and_then(|end| self.pending.get(at + 4..end)) else {
                break;
            };
            frames.push(body.to_vec());
            at += 4 + len;
        }
        self.pending.drain(..at);
        frames
    }

    /// The bytes read so far that wait for the rest of their frame.
    pub fn pending(&self) -> &[u8] {
        &self.pending
    }
}
