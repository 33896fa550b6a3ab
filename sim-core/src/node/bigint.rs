//! JavaScript BigInt values as a scenario writes them (`10n`, `-3n`): a sign
//! and a magnitude of any size, in the 64-bit digits V8 keeps and writes in
//! its serializer (node/advanced.rs), with the decimal text JavaScript
//! prints. No arithmetic: a scenario only writes BigInts and sends them.

use std::fmt;

/// A BigInt: `negative` is false for zero, and `digits` (base 2^64, least
/// significant first) has no zero digit at the top, so each value has one
/// form and `==` is numeric equality.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct JsBigInt {
    negative: bool,
    digits: Vec<u64>,
}

/// 10^19, the largest power of ten in a u64: decimal text is made 19 digits
/// at a time.
const TEN_TO_19: u64 = 10_000_000_000_000_000_000;

impl JsBigInt {
    /// The BigInt of decimal `digits` (ASCII digits only, at least one),
    /// negated when `negative` (`-0n` is `0n`, as in JavaScript). `None` if
    /// `digits` holds anything but a digit.
    pub fn from_decimal(digits: &str, negative: bool) -> Option<JsBigInt> {
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let mut words: Vec<u64> = Vec::new();
        for b in digits.bytes() {
            let mut carry = u128::from(b - b'0');
            for w in &mut words {
                let x = u128::from(*w) * 10 + carry;
                *w = x as u64; // the low 64 bits; the rest carries
                carry = x >> 64;
            }
            if carry != 0 {
                words.push(carry as u64);
            }
        }
        Some(JsBigInt::from_digits(negative, words))
    }

    /// The BigInt of sign and base-2^64 digits (least significant first).
    pub fn from_digits(negative: bool, mut digits: Vec<u64>) -> JsBigInt {
        while digits.last() == Some(&0) {
            digits.pop();
        }
        JsBigInt {
            negative: negative && !digits.is_empty(),
            digits,
        }
    }

    pub fn is_negative(&self) -> bool {
        self.negative
    }

    pub fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }

    /// The magnitude's base-2^64 digits, least significant first.
    pub fn digits(&self) -> &[u64] {
        &self.digits
    }
}

impl fmt::Display for JsBigInt {
    /// The decimal text, as `String(x)` gives it (no `n`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.digits.is_empty() {
            return f.write_str("0");
        }
        // Divide by 10^19 repeatedly: each remainder is 19 decimal digits.
        let mut words = self.digits.clone();
        let mut chunks: Vec<u64> = Vec::new();
        while !words.is_empty() {
            let mut rem: u128 = 0;
            for w in words.iter_mut().rev() {
                let x = (rem << 64) | u128::from(*w);
                *w = (x / u128::from(TEN_TO_19)) as u64;
                rem = x % u128::from(TEN_TO_19);
            }
            chunks.push(rem as u64);
            while words.last() == Some(&0) {
                words.pop();
            }
        }
        if self.negative {
            f.write_str("-")?;
        }
        let mut chunks = chunks.iter().rev();
        if let Some(top) = chunks.next() {
            write!(f, "{top}")?;
        }
        for c in chunks {
            write!(f, "{c:019}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_text_goes_round_through_64_bit_digits() {
        for text in [
            "0",
            "1",
            "18446744073709551615",
            "18446744073709551616",
            "123456789012345678901234567890123456789",
        ] {
            let b = JsBigInt::from_decimal(text, false).unwrap();
            assert_eq!(b.to_string(), text);
        }
        let two_to_64 = JsBigInt::from_decimal("18446744073709551616", true).unwrap();
        assert_eq!(two_to_64.digits(), &[0, 1]);
        assert_eq!(two_to_64.to_string(), "-18446744073709551616");
    }

    #[test]
    fn minus_zero_is_zero_and_leading_zeros_vanish() {
        let z = JsBigInt::from_decimal("000", true).unwrap();
        assert!(z.is_zero() && !z.is_negative());
        assert_eq!(z, JsBigInt::from_decimal("0", false).unwrap());
        assert_eq!(
            JsBigInt::from_decimal("0010", false).unwrap().to_string(),
            "10"
        );
        assert_eq!(JsBigInt::from_decimal("1x", false), None);
    }
}
