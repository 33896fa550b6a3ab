//! fork.py's process names and the table that gives each name a number.
//!
//! Generated names run `a` .. `z`, `A` .. `Z`, then every pair of those
//! letters (`aa`, `ab`, .. `ZZ`), then every triple, and so on; `a` is
//! the first process, so the first child is `b`. Names from an action
//! list (`-A`) are any text, and are numbered as they first appear.

use std::collections::BTreeMap;

/// The letters fork.py names processes with, in its order.
const LETTERS: &[u8; 52] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// The `k`th generated name (`0` is `a`, the first process).
pub fn generated_name(k: u64) -> String {
    let mut len = 1u32;
    let mut first = 0u64;
    let mut count = 52u64;
    while k - first >= count {
        first += count;
        count = count.saturating_mul(52);
        len += 1;
    }
    let mut rank = k - first;
    let mut name = vec![0u8; len as usize];
    for slot in name.iter_mut().rev() {
        *slot = LETTERS[(rank % 52) as usize];
        rank /= 52;
    }
    String::from_utf8(name).expect("the letters are ASCII")
}

/// A process name's number: an index into the model's tables.
pub type Id = u32;

/// Every name met, numbered from 0 in the order met.
#[derive(Clone, Default)]
pub struct Names {
    text: Vec<String>,
    ids: BTreeMap<String, Id>,
}

impl Names {
    /// The number of `name`, given one if it is new.
    pub fn intern(&mut self, name: &str) -> Id {
        if let Some(id) = self.ids.get(name) {
            return *id;
        }
        let id = self.push_new(name.to_string());
        self.ids.insert(name.to_string(), id);
        id
    }

    /// Numbers a name known to be new (a generated one) without looking
    /// it up: generated names are all different, and never looked up.
    pub fn push_new(&mut self, name: String) -> Id {
        let id = Id::try_from(self.text.len()).expect("fewer than 2^32 names");
        self.text.push(name);
        id
    }

    /// The name numbered `id`.
    pub fn name(&self, id: Id) -> &str {
        &self.text[id as usize]
    }

    /// How many names have numbers.
    pub fn len(&self) -> usize {
        self.text.len()
    }

    /// Whether no name has a number yet.
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }
}
