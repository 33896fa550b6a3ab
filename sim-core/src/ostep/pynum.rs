//! Python's text for numbers and strings, as far as fork.py's options
//! show them: `int(text, radix)` (optparse's integers, of any size),
//! `float(text)`, `repr(float)` (what `print` writes for one) and
//! `repr(str)` (the quoted value in optparse's "invalid value" error).
//!
//! Only these conversions; the integers are sign and magnitude, kept to
//! print them back and to seed the generator.

/// An integer of any size, as Python holds one: a sign and 32-bit words,
/// least significant first, without high zero words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PyInt {
    pub negative: bool,
    pub magnitude: Vec<u32>,
}

/// The digits Python's `int()` reads from a decimal string at most
/// (`sys.int_max_str_digits`, 4300 since Python 3.11): a longer string is
/// a ValueError, which optparse reports as an invalid integer.
const INT_MAX_STR_DIGITS: usize = 4300;

impl PyInt {
    /// The integer `n`.
    pub fn from_i64(n: i64) -> Self {
        let m = n.unsigned_abs();
        let mut int = PyInt {
            negative: n < 0,
            magnitude: vec![m as u32, (m >> 32) as u32],
        };
        int.trim();
        int
    }

    fn trim(&mut self) {
        while self.magnitude.last() == Some(&0) {
            self.magnitude.pop();
        }
        if self.magnitude.is_empty() {
            self.negative = false;
        }
    }

    fn mul_add(&mut self, factor: u32, add: u32) {
        let mut carry = u64::from(add);
        for word in &mut self.magnitude {
            let v = u64::from(*word) * u64::from(factor) + carry;
            *word = v as u32;
            carry = v >> 32;
        }
        if carry > 0 {
            self.magnitude.push(carry as u32);
        }
    }

    /// The value when it fits an `i64`, else `None`.
    pub fn to_i64(&self) -> Option<i64> {
        if self.magnitude.len() > 2 {
            return None;
        }
        let m = self
            .magnitude
            .iter()
            .rev()
            .fold(0u64, |acc, w| acc << 32 | u64::from(*w));
        if self.negative {
            0i64.checked_sub_unsigned(m)
        } else {
            i64::try_from(m).ok()
        }
    }

    /// Whether the value is -1 (fork.py's "no seed given").
    pub fn is_minus_one(&self) -> bool {
        self.negative && self.magnitude == [1]
    }

    /// The decimal text, as `str(n)` writes it.
    pub fn to_decimal(&self) -> String {
        let mut words = self.magnitude.clone();
        let mut chunks = Vec::new();
        while !words.is_empty() {
            let mut rem = 0u64;
            for word in words.iter_mut().rev() {
                let v = rem << 32 | u64::from(*word);
                *word = (v / 1_000_000_000) as u32;
                rem = v % 1_000_000_000;
            }
            chunks.push(rem as u32);
            while words.last() == Some(&0) {
                words.pop();
            }
        }
        let mut text = String::from(if self.negative { "-" } else { "" });
        match chunks.split_last() {
            None => text.push('0'),
            Some((top, rest)) => {
                text.push_str(&top.to_string());
                for chunk in rest.iter().rev() {
                    text.push_str(&format!("{chunk:09}"));
                }
            }
        }
        text
    }
}

/// optparse's integer option: the radix from the text's start (`0x` 16,
/// `0b` 2 with the prefix cut off, another leading `0` 8, else 10), then
/// `int(text, radix)`. `None` when Python raises ValueError.
pub(super) fn parse_optparse_int(text: &str) -> Option<PyInt> {
    // ASCII case is enough: no other letter's lower case is an ASCII one
    // of 0x, 0o, 0b (and Unicode's tables stay out of the web build).
    let head: String = text
        .chars()
        .take(2)
        .collect::<String>()
        .to_ascii_lowercase();
    if head == "0x" {
        parse_int(text, 16)
    } else if head == "0b" {
        let rest = &text[2..];
        parse_int(if rest.is_empty() { "0" } else { rest }, 2)
    } else if text.starts_with('0') {
        parse_int(text, 8)
    } else {
        parse_int(text, 10)
    }
}

/// Python's `int(text, radix)` for the radixes 2, 8, 10 and 16: blanks
/// around it, a sign, the radix's own prefix, digits with single `_`
/// between them.
fn parse_int(text: &str, radix: u32) -> Option<PyInt> {
    let text = text.trim_matches(char::is_whitespace);
    let (negative, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let prefix = match radix {
        16 => "0x",
        8 => "0o",
        2 => "0b",
        _ => "",
    };
    let (body, after_prefix) =
        if !prefix.is_empty() && body.len() >= 2 && body[..2].eq_ignore_ascii_case(prefix) {
            (&body[2..], true)
        } else {
            (body, false)
        };
    let body = if after_prefix {
        body.strip_prefix('_').unwrap_or(body)
    } else {
        body
    };
    let digits = digits_with_underscores(body)?;
    if radix == 10 && digits.len() > INT_MAX_STR_DIGITS {
        return None;
    }
    let mut int = PyInt {
        negative,
        magnitude: Vec::new(),
    };
    for c in digits.chars() {
        int.mul_add(radix, c.to_digit(radix)?);
    }
    int.trim();
    Some(int)
}

/// The text without its underscores, when each stands between two
/// alphanumerics and the text is not empty.
fn digits_with_underscores(body: &str) -> Option<String> {
    let bytes = body.as_bytes();
    if bytes.is_empty() || bytes[0] == b'_' || bytes[bytes.len() - 1] == b'_' {
        return None;
    }
    if body.contains("__") {
        return None;
    }
    Some(body.replace('_', ""))
}

/// Python's `float(text)`: blanks around it, `_` only between digits,
/// `inf`, `infinity` and `nan` in any case. `None` for a ValueError.
pub(super) fn parse_float(text: &str) -> Option<f64> {
    let text = text.trim_matches(char::is_whitespace);
    let bytes = text.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'_' {
            let digit_before = i > 0 && bytes[i - 1].is_ascii_digit();
            let digit_after = bytes.get(i + 1).is_some_and(u8::is_ascii_digit);
            if !digit_before || !digit_after {
                return None;
            }
        }
    }
    let plain = text.replace('_', "");
    let unsigned = plain.strip_prefix(['+', '-']).unwrap_or(&plain);
    let word = unsigned.to_ascii_lowercase();
    let numeric = !unsigned.is_empty()
        && unsigned
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    let negative = plain.starts_with('-');
    match word.as_str() {
        "inf" | "infinity" => Some(if negative {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        }),
        "nan" => Some(f64::NAN),
        // Decimal text reads alike in Python and JavaScript (rounded to
        // nearest): the web build has the browser read it, and carries no
        // float parser of its own (number_text.rs).
        _ if numeric => crate::node::number_text::parse(&plain),
        _ => None,
    }
}

/// `repr(x)` for a float, which `print` writes: the shortest digits that
/// read back as `x`, in positional notation from 1e-4 up to below 1e16,
/// else as `1.5e-05`, `1e+16`.
pub fn float_repr(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.into();
    }
    // Rust's `{:e}` writes the shortest round-trip digits too.
    let sci = format!("{x:e}");
    let (mantissa, exponent) = sci.split_once('e').expect("{:e} writes an exponent");
    let exponent: i32 = exponent.parse().expect("{:e} writes a decimal exponent");
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if !(-4..16).contains(&exponent) {
        let (first, rest) = digits.split_at(1);
        let dot = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let esign = if exponent < 0 { '-' } else { '+' };
        return format!("{sign}{first}{dot}e{esign}{:02}", exponent.unsigned_abs());
    }
    let point = exponent + 1;
    let body = if point <= 0 {
        format!("0.{}{digits}", "0".repeat(point.unsigned_abs() as usize))
    } else if point as usize >= digits.len() {
        format!("{digits}{}.0", "0".repeat(point as usize - digits.len()))
    } else {
        let (int, frac) = digits.split_at(point as usize);
        format!("{int}.{frac}")
    };
    format!("{sign}{body}")
}

/// `repr(s)` for a string: single quotes unless it holds a `'` and no
/// `"`; backslash escapes for the quote, `\`, `\t`, `\n`, `\r` and the
/// characters Python does not print (C0 and C1 controls, DEL, a few
/// invisible format characters).
pub(super) fn str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::new();
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if !is_printable(c) => {
                let n = u32::from(c);
                if n <= 0xff {
                    out.push_str(&format!("\\x{n:02x}"));
                } else if n <= 0xffff {
                    out.push_str(&format!("\\u{n:04x}"));
                } else {
                    out.push_str(&format!("\\U{n:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Python's `str.isprintable` for one character, for the characters a
/// command line is likely to hold: the controls, the non-space blanks and
/// the common invisible format characters are not printable.
fn is_printable(c: char) -> bool {
    let n = u32::from(c);
    !(n < 0x20
        || (0x7f..=0xa0).contains(&n)
        || n == 0xad
        || (0x2000..=0x200f).contains(&n)
        || (0x2028..=0x202f).contains(&n)
        || (0x205f..=0x206f).contains(&n)
        || n == 0x3000
        || n == 0xfeff
        || (0xd800..=0xdfff).contains(&n)
        || (0xe000..=0xf8ff).contains(&n))
}
