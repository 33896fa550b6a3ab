//! Which numbers of a value V8 holds as heap numbers once node has
//! evaluated its literal (`JsValue::to_js`) in a fresh context: the advanced
//! serializer writes a Smi (a small integer kept inside the pointer) as
//! `I` and zigzag varint, and a heap number as `N` and 8 bytes, so `2` can
//! go either way. A number that is not a 32-bit integer (1.5, -0, NaN,
//! 2^31) is always a heap number; an integer is one when V8 keeps it in
//! storage for doubles. Measured on node 20 (V8 11.3), where that happens:
//!
//! - **Arrays** (elements kinds). An array literal's kind comes from its
//!   constant elements (number literals, strings, booleans, null, BigInts,
//!   and nested array and object literals made only of those): all Smis,
//!   PACKED_SMI; a non-Smi number among only numbers, PACKED_DOUBLE; any
//!   other constant, PACKED_ELEMENTS. The other elements (NaN, Infinity,
//!   undefined, `new Map(...)`, a regex, ...) are stored when the literal
//!   runs, in order, and move the kind on: a double makes PACKED_SMI
//!   PACKED_DOUBLE; anything else makes it PACKED_ELEMENTS, and from
//!   PACKED_DOUBLE that boxes every number in it as a heap number. The
//!   serializer writes every element of a PACKED_DOUBLE array as `N`.
//!   So `[1.5, 2, "a"]` writes 2 as `I`, `[1.5, 2, /a/]` as `N`.
//! - **Maps and Sets** keep the numbers as their argument arrays held them
//!   (`new Set([1, 2.5])` writes both as `N`); a key -0 becomes the Smi 0.
//! - **Objects** (field representations). Object literals with the same
//!   number of named properties start from one cached map per context, so
//!   two literals whose keys begin alike share their first fields, and a
//!   field's representation (none, Smi, Double, HeapObject, Tagged) is
//!   the join of every value stored in it, in the order V8 creates them:
//!   a literal's constant parts first (nested constant literals before the
//!   property that holds them), then its other values in order, each
//!   having been evaluated in turn. A Double field holds even its integers
//!   as heap numbers (`[{a: 1.5}, {a: 2}]` writes 2 as `N`). A field made
//!   Double after a Smi was stored boxes that Smi only if both belong to
//!   the making of one literal (which migrates its objects to the new map
//!   when done, JSObjectWalkVisitor): an object from a literal made earlier
//!   keeps its old map and its Smi (`[{a: 1.5, b: undefined}, {a: 2, b: 1}]`
//!   writes 2 as `I`: the second object, all constant, is made first).
//!   Reaching Tagged from Smi or HeapObject keeps what was stored. A property whose
//!   value is not constant first gets a placeholder that counts as a heap
//!   object. Objects with 128 named properties or more are dictionaries,
//!   and integer keys are elements: there a number is a heap number only if
//!   it is not a Smi.
//!
//! For a value with `[Circular]`, `to_js` builds the outermost array or
//! object with `null` where a part refers back, stores those parts after,
//! and builds a Map or Set by `set`/`add` calls whose numbers are plain
//! literals; the rules above are applied to exactly that.
//!
//! Deliberately absent: anything that depends on code run before the value
//! is built. In a real program an earlier object literal of the same shape
//! in the same context can make a field Double, so `{a: 2}` may be written
//! `N`; the model answers for a fresh context, as the kernel-check harness
//! builds each value (a new `vm` context per value). Either way the
//! receiver gets the same number.

use super::value::{array_index, is_smi, JsObject, JsValue};
use std::collections::{HashMap, HashSet};

/// The numbers of one value that V8 holds as heap numbers.
pub struct HeapNumbers {
    /// Integers that V8 boxed (the others are decided by their value).
    /// Addresses of `JsValue::Number`s inside the value this was made for.
    boxed: HashSet<*const JsValue>,
}

impl HeapNumbers {
    /// Works out, for the value `root` as `to_js` builds it, which of its
    /// numbers are heap numbers.
    pub fn of(root: &JsValue) -> HeapNumbers {
        let mut sim = Sim {
            fields: HashMap::new(),
            boxed: HashSet::new(),
            unit: 0,
            making: 0,
        };
        if root.has_circular() {
            sim.cyclic_root(root);
        } else {
            sim.eval(root);
        }
        HeapNumbers { boxed: sim.boxed }
    }

    /// Whether the number `v` (a `JsValue::Number` inside the value this
    /// was made for) is a heap number.
    pub fn is_heap(&self, v: &JsValue) -> bool {
        match v {
            JsValue::Number(n) => !is_smi(*n) || self.boxed.contains(&(v as *const JsValue)),
            _ => false,
        }
    }
}

/// A field's representation (V8's `Representation`, ordered by generality
/// except that Double and HeapObject join to Tagged).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Rep {
    None,
    Smi,
    Double,
    HeapObject,
    Tagged,
}

/// What a stored value is to a representation.
#[derive(Clone, Copy)]
enum Stored<'v> {
    Smi(&'v JsValue),
    Double,
    Object,
}

fn stored(v: &JsValue) -> Stored<'_> {
    match v {
        JsValue::Number(n) if is_smi(*n) => Stored::Smi(v),
        JsValue::Number(_) => Stored::Double,
        _ => Stored::Object,
    }
}

/// An array's elements kind (the packed ones: a scenario writes no holes).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Smi,
    Double,
    Elements,
}

/// Whether V8 takes `v` as a compile-time value of its literal (a literal,
/// or a literal made only of those): NaN and Infinity are global
/// variables, `undefined` too, and `-Infinity` negates one.
fn is_constant(v: &JsValue) -> bool {
    match v {
        JsValue::Number(n) => n.is_finite(),
        JsValue::String(_) | JsValue::Bool(_) | JsValue::Null | JsValue::BigInt(_) => true,
        JsValue::Array(items) => items.iter().all(is_constant),
        JsValue::Object(o) => o.written().iter().all(|(_, v)| is_constant(v)),
        _ => false,
    }
}

/// One element of an array literal as V8 evaluates it.
#[derive(Clone, Copy)]
enum Elem<'v> {
    Value(&'v JsValue),
    /// A Map entry `[k, v]`, itself an array literal.
    Entry(&'v JsValue, &'v JsValue),
    /// The `null` that `to_js` writes where a part refers back.
    Null,
}

impl Elem<'_> {
    fn is_constant(self) -> bool {
        match self {
            Elem::Value(v) => is_constant(v),
            Elem::Entry(k, v) => is_constant(k) && is_constant(v),
            Elem::Null => true,
        }
    }
}

/// A field: the number of named properties of the literals that share it
/// and the keys up to and including its own.
type FieldKey<'v> = (usize, Vec<&'v str>);

struct Field<'v> {
    rep: Rep,
    /// Smis stored while the field was Smi, each with the literal creation
    /// that stored it: boxed if the field becomes Double in that creation.
    smis: Vec<(&'v JsValue, u32)>,
}

struct Sim<'v> {
    fields: HashMap<FieldKey<'v>, Field<'v>>,
    boxed: HashSet<*const JsValue>,
    /// The literal creation under way: each literal that runs (not one made
    /// as a constant part of another) is one.
    unit: u32,
    /// How deep inside the making of a literal's constant parts we are.
    making: u32,
}

/// Object literals with this many named properties or more are made as
/// dictionaries (Factory::ObjectLiteralMapFromCache; measured: 127 share
/// fields, 128 do not).
const MAP_CACHE_SIZE: usize = 128;

impl<'v> Sim<'v> {
    /// A literal starts to run, unless it is a constant part of another.
    fn begin_literal(&mut self) {
        if self.making == 0 {
            self.unit += 1;
        }
    }

    fn mark(&mut self, v: &'v JsValue) {
        self.boxed.insert(v as *const JsValue);
    }

    /// Evaluates `v` as its literal runs.
    fn eval(&mut self, v: &'v JsValue) {
        match v {
            JsValue::Array(items) => {
                let elems: Vec<Elem<'v>> = items.iter().map(Elem::Value).collect();
                self.array(&elems);
            }
            JsValue::Object(o) => self.object(o, false),
            JsValue::Map(m) => {
                let elems: Vec<Elem<'v>> =
                    m.written().iter().map(|(k, v)| Elem::Entry(k, v)).collect();
                self.array(&elems);
            }
            JsValue::Set(s) => {
                let elems: Vec<Elem<'v>> = s.written().iter().map(Elem::Value).collect();
                self.array(&elems);
            }
            _ => {}
        }
    }

    fn eval_elem(&mut self, e: Elem<'v>) {
        match e {
            Elem::Value(v) => self.eval(v),
            Elem::Entry(k, v) => self.array(&[Elem::Value(k), Elem::Value(v)]),
            Elem::Null => {}
        }
    }

    /// An array literal: its kind from its constants, their nested literals
    /// made, then its other elements evaluated and stored in order.
    fn array(&mut self, elems: &[Elem<'v>]) {
        self.begin_literal();
        let mut kind = Kind::Smi;
        for &e in elems.iter().filter(|e| e.is_constant()) {
            match e {
                Elem::Value(JsValue::Number(n)) if is_smi(*n) => {}
                Elem::Value(JsValue::Number(_)) => {
                    if kind == Kind::Smi {
                        kind = Kind::Double;
                    }
                }
                _ => kind = Kind::Elements,
            }
        }
        self.making += 1;
        for &e in elems.iter().filter(|e| e.is_constant()) {
            self.eval_elem(e);
        }
        self.making -= 1;
        let mut boxed_all = false;
        for &e in elems.iter().filter(|e| !e.is_constant()) {
            self.eval_elem(e);
            let is_number = matches!(e, Elem::Value(JsValue::Number(_)));
            kind = match (kind, is_number) {
                (Kind::Smi, true) => Kind::Double,
                (Kind::Double, false) => {
                    boxed_all = true;
                    Kind::Elements
                }
                (_, false) => Kind::Elements,
                (k, true) => k,
            };
        }
        if kind == Kind::Double || boxed_all {
            for &e in elems {
                match e {
                    Elem::Value(v @ JsValue::Number(_)) => self.mark(v),
                    Elem::Value(_) | Elem::Null => {}
                    // The entry's own array decides its numbers.
                    Elem::Entry(..) => {}
                }
            }
        }
    }

    /// An object literal. `patched`: the outermost object of a value with
    /// `[Circular]`, whose parts that refer back are `null` in the literal
    /// and stored after it.
    fn object(&mut self, o: &'v JsObject, patched: bool) {
        self.begin_literal();
        let defs = o.written();
        let is_named = |k: &str| array_index(k).is_none();
        let count = defs.iter().filter(|(k, _)| is_named(k)).count();
        let dictionary = count >= MAP_CACHE_SIZE;
        // Each named key's field: the keys in the order first defined.
        let mut path: Vec<&'v str> = Vec::new();
        let mut field_of: Vec<Option<FieldKey<'v>>> = Vec::with_capacity(defs.len());
        for (k, _) in defs {
            if !is_named(k) || dictionary {
                field_of.push(None);
                continue;
            }
            if !path.contains(&k.as_str()) {
                path.push(k);
            }
            let upto = path
                .iter()
                .position(|p| *p == k)
                .map_or(path.len(), |i| i + 1);
            field_of.push(Some((count, path[..upto].to_vec())));
        }
        let later = |v: &JsValue| patched && v.has_circular();
        // The constant parts, with placeholders for the rest.
        self.making += 1;
        for ((_, v), field) in defs.iter().zip(&field_of) {
            let constant = is_constant(v) && !later(v);
            if constant {
                self.eval(v);
            }
            if let Some(field) = field {
                let what = if later(v) || !constant {
                    Stored::Object
                } else {
                    stored(v)
                };
                self.store(field.clone(), what);
            }
        }
        self.making -= 1;
        // The other values, then (for the outermost object) the parts that
        // refer back, each evaluated and stored in order.
        for pass_later in [false, true] {
            for ((_, v), field) in defs.iter().zip(&field_of) {
                if is_constant(v) && !later(v) || later(v) != pass_later {
                    continue;
                }
                self.eval(v);
                if let Some(field) = field {
                    self.store(field.clone(), stored(v));
                }
            }
        }
    }

    fn store(&mut self, key: FieldKey<'v>, what: Stored<'v>) {
        let field = self.fields.entry(key).or_insert(Field {
            rep: Rep::None,
            smis: Vec::new(),
        });
        let mut boxed: Vec<&'v JsValue> = Vec::new();
        field.rep = match (field.rep, what) {
            (Rep::None | Rep::Smi, Stored::Smi(v)) => {
                field.smis.push((v, self.unit));
                Rep::Smi
            }
            (Rep::Double, Stored::Smi(v)) => {
                boxed.push(v);
                Rep::Double
            }
            // The field's map is deprecated. The literal being made walks
            // its objects when it is done and migrates them, boxing their
            // Smis; objects of literals made before keep the old map, and
            // their Smis, to the end.
            (Rep::None | Rep::Smi, Stored::Double) => {
                let unit = self.unit;
                boxed.extend(
                    field
                        .smis
                        .drain(..)
                        .filter(|(_, u)| *u == unit)
                        .map(|(v, _)| v),
                );
                Rep::Double
            }
            (Rep::None, Stored::Object) => Rep::HeapObject,
            (Rep::Double, Stored::Double) | (Rep::HeapObject, Stored::Object) => field.rep,
            (_, _) => {
                field.smis.clear();
                Rep::Tagged
            }
        };
        for v in boxed {
            self.mark(v);
        }
    }

    /// The outermost value of a value with `[Circular]`, as `to_js` builds it.
    fn cyclic_root(&mut self, root: &'v JsValue) {
        match root {
            JsValue::Array(items) => {
                let elems: Vec<Elem<'v>> = items
                    .iter()
                    .map(|v| {
                        if v.has_circular() {
                            Elem::Null
                        } else {
                            Elem::Value(v)
                        }
                    })
                    .collect();
                self.array(&elems);
                for v in items.iter().filter(|v| v.has_circular()) {
                    self.eval(v);
                }
            }
            JsValue::Object(o) => self.object(o, true),
            // `$root.set(k, v)` and `$root.add(v)`: plain literals, so each
            // number is a Smi or not by its value alone.
            other => {
                for v in other.written_children() {
                    self.eval(v);
                }
            }
        }
    }
}
