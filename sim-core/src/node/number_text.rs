//! JavaScript numbers to text and back: `Number#toString` (the shortest
//! text that reads back as the number, with JavaScript's exponents) and
//! the reading of a decimal literal (rounded to nearest, as JavaScript
//! rounds it).
//!
//! Two ways to do it, the same answers. With the `rust-number-text`
//! feature (the default) sim-core does it itself, with `ryu-js` and Rust's
//! own float parser. Without it, the embedder hands over functions that do
//! it, with `use_host`: the web app gives the browser's own JavaScript
//! engine, which is by definition right about JavaScript numbers, and so
//! does not ship the two libraries' tables (about 21 KB of the wasm that
//! gzip cannot shrink). A build without the feature and without a host
//! reads no fractional number and says so, and prints non-integers as
//! `NaN`: a missing `use_host` is a bug of the embedder, and shows.

#[cfg(not(feature = "rust-number-text"))]
use std::sync::OnceLock;

/// Number text as the host's JavaScript engine makes it.
#[derive(Clone, Copy)]
pub struct HostNumbers {
    /// `String(n)`.
    pub format: fn(f64) -> String,
    /// `Number(text)` for a decimal number's text (an optional `-`,
    /// digits, an optional fraction and exponent): `None` when the host
    /// cannot read it.
    pub parse: fn(&str) -> Option<f64>,
}

#[cfg(not(feature = "rust-number-text"))]
static HOST: OnceLock<HostNumbers> = OnceLock::new();

/// Makes `host` the way numbers become text and back, for the rest of the
/// program. The first call wins; later calls change nothing. With the
/// `rust-number-text` feature (which another crate of the same build may
/// turn on) sim-core's own way stays.
pub fn use_host(host: HostNumbers) {
    #[cfg(not(feature = "rust-number-text"))]
    let _ = HOST.set(host);
    #[cfg(feature = "rust-number-text")]
    let _ = host;
}

/// `Number#toString` (and `String(n)`): the shortest text that reads back
/// as `n`, with JavaScript's switch to exponents at 1e21 and 1e-7; -0 is
/// "0".
pub fn format(n: f64) -> String {
    #[cfg(feature = "rust-number-text")]
    {
        ryu_js::Buffer::new().format(n).to_string()
    }
    #[cfg(not(feature = "rust-number-text"))]
    match HOST.get() {
        Some(host) => (host.format)(n),
        None => integer_text(n).unwrap_or_else(|| "NaN".to_string()),
    }
}

/// A decimal number's text (an optional `-`, digits, an optional
/// fraction and exponent) read as JavaScript reads it:
/// rounded to the nearest number. `None` when it cannot be read.
pub fn parse(text: &str) -> Option<f64> {
    #[cfg(feature = "rust-number-text")]
    {
        text.parse().ok()
    }
    #[cfg(not(feature = "rust-number-text"))]
    match HOST.get() {
        Some(host) => (host.parse)(text),
        None => integer_value(text),
    }
}

/// What a build with neither the feature nor a host still gets right:
/// integers below 2^53, whose text is their digits.
#[cfg(not(feature = "rust-number-text"))]
fn integer_text(n: f64) -> Option<String> {
    const EXACT: f64 = 9_007_199_254_740_992.0;
    (n.fract() == 0.0 && n.abs() < EXACT).then(|| (n as i64).to_string())
}

#[cfg(not(feature = "rust-number-text"))]
fn integer_value(text: &str) -> Option<f64> {
    let n: i64 = text.parse().ok()?;
    (n.unsigned_abs() < 1 << 53).then_some(n as f64)
}

#[cfg(all(test, feature = "rust-number-text"))]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_as_javascript_prints_them() {
        let cases = [
            (0.0, "0"),
            (-0.0, "0"),
            (1.0, "1"),
            (0.1, "0.1"),
            (1e21, "1e+21"),
            (123456789012345680000.0, "123456789012345680000"),
            (1e-7, "1e-7"),
            (0.000001, "0.000001"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-Infinity"),
        ];
        for (n, text) in cases {
            assert_eq!(format(n), text, "String({n:e})");
        }
    }

    #[test]
    fn literals_round_to_nearest() {
        assert_eq!(parse("0.1"), Some(0.1));
        assert_eq!(parse("9007199254740993"), Some(9_007_199_254_740_992.0));
        assert_eq!(parse("1e400"), Some(f64::INFINITY));
        assert_eq!(parse("2e-324"), Some(0.0));
        assert_eq!(parse("-0.5"), Some(-0.5));
        assert_eq!(parse("1.2.3"), None);
    }
}
