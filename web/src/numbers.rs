//! JavaScript numbers to text and back, done by the browser's JavaScript
//! engine: sim-core is built here without its own (`rust-number-text`,
//! whose tables would add about 21 KB to the wasm), and the values a
//! scenario sends are printed and read exactly as the browser's
//! `String(n)` and `Number(text)` do, which is what node does too.

use sim_core::node::number_text::{use_host, HostNumbers};

/// Lends sim-core the browser's number text. Called before anything runs a
/// scenario (the app's start, the component tests); calling it again
/// changes nothing.
pub fn install() {
    use_host(HostNumbers { format, parse });
}

fn format(n: f64) -> String {
    js_sys::Number::from(n)
        .to_string_with_radix(10)
        .map_or_else(|_| "NaN".to_string(), String::from)
}

fn parse(text: &str) -> Option<f64> {
    // `+text`: JavaScript's own reading of a number's text (NaN when it is
    // not one; "NaN" itself never comes here).
    let n = wasm_bindgen::JsValue::from_str(text).unchecked_into_f64();
    (!n.is_nan()).then_some(n)
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    /// The browser and sim-core's own `rust-number-text` (tested in
    /// sim-core) agree on the hard cases.
    #[wasm_bindgen_test]
    fn the_browser_prints_and_reads_numbers_as_javascript_does() {
        install();
        let printed = [
            (0.1, "0.1"),
            (-0.0, "0"),
            (1e21, "1e+21"),
            (123456789012345680000.0, "123456789012345680000"),
            (1e-7, "1e-7"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            (f64::NEG_INFINITY, "-Infinity"),
        ];
        for (n, text) in printed {
            assert_eq!(sim_core::node::number_text::format(n), text);
        }
        assert_eq!(sim_core::node::number_text::parse("0.1"), Some(0.1));
        assert_eq!(sim_core::node::number_text::parse("-2.5e3"), Some(-2500.0));
        assert_eq!(
            sim_core::node::number_text::parse("9007199254740993"),
            Some(9_007_199_254_740_992.0)
        );
        assert_eq!(sim_core::node::number_text::parse("1.2.3"), None);
    }
}
