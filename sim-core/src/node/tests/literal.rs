//! The value-literal parser: what each form makes, JavaScript's key order,
//! `to_js` and `Display`, and the errors, each with its line and column.

use super::v;
use crate::node::bigint::JsBigInt;
use crate::node::value::{JsError, JsFunction, JsRegExp};
use crate::node::{parse_value, parse_value_prefix, JsValue, LiteralErrorKind};
use crate::scenario::ast::Pos;

fn keys(value: &JsValue) -> Vec<String> {
    match value {
        JsValue::Object(o) => o.entries().map(|(k, _)| k.to_string()).collect(),
        other => panic!("{other} is not an object"),
    }
}

/// The error of a literal that must not parse: its position and message.
fn error(text: &str) -> (String, LiteralErrorKind) {
    let e = parse_value(text, Pos { line: 1, col: 1 }).expect_err(text);
    (format!("{}:{}", e.pos.line, e.pos.col), e.kind)
}

#[test]
fn each_form_makes_its_value() {
    assert_eq!(v("'world'"), JsValue::String("world".into()));
    assert_eq!(v(" -2.5e3 "), JsValue::Number(-2500.0));
    assert_eq!(v(".5"), JsValue::Number(0.5));
    assert_eq!(v("-Infinity"), JsValue::Number(f64::NEG_INFINITY));
    assert!(matches!(v("NaN"), JsValue::Number(n) if n.is_nan()));
    assert_eq!(v("- 0"), JsValue::Number(-0.0));
    assert_ne!(v("-0"), v("0"), "-0 and 0 differ as Object.is tells them");
    assert_eq!(v("undefined"), JsValue::Undefined);
    assert_eq!(
        v("[true, false, null]"),
        JsValue::Array(vec![
            JsValue::Bool(true),
            JsValue::Bool(false),
            JsValue::Null
        ])
    );
    assert_eq!(
        v("10n"),
        JsValue::BigInt(JsBigInt::from_decimal("10", false).unwrap())
    );
    assert_eq!(v("-0n"), v("0n"));
    assert_eq!(v("Symbol()"), JsValue::Symbol(None));
    assert_eq!(v("Symbol('x')"), JsValue::Symbol(Some("x".into())));
    assert_eq!(
        v("/a[/]b/yg"),
        JsValue::RegExp(JsRegExp {
            source: "a[/]b".into(),
            flags: "gy".into()
        })
    );
    assert_eq!(
        v("new Error('boom')"),
        JsValue::Error(JsError {
            message: Some("boom".into())
        })
    );
    assert_eq!(v("new Error()"), JsValue::Error(JsError { message: None }));
    assert_eq!(
        v("Buffer.from('hé')"),
        JsValue::Buffer(vec![0x68, 0xc3, 0xa9])
    );
    assert_eq!(v("Buffer.from([0, 255,])"), JsValue::Buffer(vec![0, 255]));
    assert_eq!(v("new Date(1.9)"), JsValue::Date(1.0));
    assert!(matches!(v("new Date(8640000000000001)"), JsValue::Date(t) if t.is_nan()));
    assert_eq!(v("new Date(-8.64e15)"), JsValue::Date(-8.64e15));
    assert!(matches!(v("new Date(NaN)"), JsValue::Date(t) if t.is_nan()));
    assert_eq!(
        v("new Date('1970-01-01T00:00:01+00:00')"),
        JsValue::Date(1000.0)
    );
    assert_eq!(
        v("function named(a, b) {}"),
        JsValue::Function(JsFunction {
            source: "function named(a, b) {}".into(),
            name: "named".into()
        })
    );
    assert_eq!(
        v("( ) =>  { }"),
        JsValue::Function(JsFunction {
            source: "( ) =>  { }".into(),
            name: String::new()
        })
    );
    assert_eq!(
        v("x => {}"),
        JsValue::Function(JsFunction {
            source: "x => {}".into(),
            name: String::new()
        })
    );
    assert_eq!(
        v("[1, [Circular]]"),
        JsValue::Array(vec![JsValue::Number(1.0), JsValue::Circular])
    );
    assert_eq!(
        v("[[ Circular ]]"),
        v("[[Circular]]"),
        "spaces inside [Circular] are fine"
    );
}

#[test]
fn strings_take_javascripts_escapes() {
    assert_eq!(
        v(r#""\n\t\r\b\f\v\0\'\"\\""#),
        JsValue::String("\n\t\r\u{8}\u{c}\u{b}\0'\"\\".into())
    );
    assert_eq!(v(r"'\x41\u0042\u{43}\q'"), JsValue::String("ABCq".into()));
    assert_eq!(
        v(r"'\uD83D\uDE00 \u{1F600} 😀'"),
        JsValue::String("😀 😀 😀".into())
    );
    assert_eq!(
        v("'a\\\nb'"),
        JsValue::String("ab".into()),
        "a backslash before a line break continues the line"
    );
    assert_eq!(v("'\u{2028}'"), JsValue::String("\u{2028}".into()));
}

#[test]
fn object_keys_take_javascripts_order() {
    let o = v("{b: 1, a: 2, 10: 'ten', 2: 'two', '01': 'x', 1.5: 'y', 1e3: 'z', 4294967294: 'i', 4294967295: 'n'}");
    assert_eq!(
        keys(&o),
        [
            "2",
            "10",
            "1000",
            "4294967294",
            "b",
            "a",
            "01",
            "1.5",
            "4294967295"
        ]
    );
    // A repeated key keeps its first place and its last value, and the
    // definitions stay as written.
    let JsValue::Object(o) = v("{a: 1, b: 2, a: 3}") else {
        unreachable!()
    };
    let entries: Vec<(&str, &JsValue)> = o.entries().collect();
    assert_eq!(
        entries,
        [("a", &JsValue::Number(3.0)), ("b", &JsValue::Number(2.0))]
    );
    assert_eq!(o.written().len(), 3);
    assert_eq!(
        v("{a: 1, b: 2, a: 3}"),
        v("{a: 3, b: 2}"),
        "equality is what JavaScript can see"
    );
}

#[test]
fn maps_and_sets_keep_the_first_of_each_same_value_zero_key() {
    let JsValue::Map(m) = v("new Map([[1, 'a'], [NaN, 'n'], [1, 'b'], [0, 'z'], [-0, 'm'], [NaN, 'N'], [{}, 1], [{}, 2]])") else {
        unreachable!()
    };
    let entries: Vec<String> = m.entries().map(|(k, v)| format!("{k}=>{v}")).collect();
    assert_eq!(entries, ["1=>'b'", "NaN=>'N'", "0=>'m'", "{}=>1", "{}=>2"]);
    let JsValue::Set(s) = v("new Set([-0, 0, 'a', 'a', [Circular], [Circular]])") else {
        unreachable!()
    };
    let values: Vec<String> = s.values().map(ToString::to_string).collect();
    assert_eq!(
        values,
        ["-0", "'a'", "[Circular]"],
        "the Set keeps the first written; it holds -0 as 0 (map_key)"
    );
}

#[test]
fn circular_must_be_inside_the_outermost_value() {
    assert_eq!(
        error("[Circular]"),
        ("1:2".into(), LiteralErrorKind::CircularOutside)
    );
    assert!(matches!(v("new Set([[Circular]])"), JsValue::Set(_)));
    assert!(matches!(v("{a: {b: [Circular]}}"), JsValue::Object(_)));
}

#[test]
fn to_js_builds_the_same_value_and_parses_back() {
    for text in [
        "{hello: 'world', 2: [1.5, -0, NaN, -Infinity, 1e21], 'x y': undefined}",
        "{a: 1, b: 2, a: 3}",
        "new Map([[1, 'a'], [1, 'b'], [-0, new Set([10n, Symbol('s')])]])",
        "[new Date(-1), /a\\/b/gu, Buffer.from('hé'), () => {}, function f() {}, '\\u0001\"\\n']",
    ] {
        let value = v(text);
        let js = value.to_js();
        assert_eq!(v(&js), value, "{text} printed as {js}");
    }
    assert_eq!(v("{'__proto__x': 1}").to_js(), r#"{"__proto__x": 1}"#);
}

#[test]
fn to_js_builds_a_cycle_in_a_function_called_at_once() {
    assert_eq!(
        v("{a: 1, self: [Circular], b: [[Circular]]}").to_js(),
        r#"(() => { const $root = {"a": 1, "self": null, "b": null}; $root["self"] = $root; $root["b"] = [$root]; return $root; })()"#
    );
    assert_eq!(
        v("[1, [Circular]]").to_js(),
        "(() => { const $root = [1, null]; $root[1] = $root; return $root; })()"
    );
    assert_eq!(
        v("new Map([['me', [Circular]]])").to_js(),
        r#"(() => { const $root = new Map(); $root.set("me", $root); return $root; })()"#
    );
}

#[test]
fn display_is_short_for_narration() {
    assert_eq!(
        v("{hello: 'world', 'a b': [1, -0]}").to_string(),
        "{ hello: 'world', 'a b': [ 1, -0 ] }"
    );
    // Keys are bare as util.inspect has them: ASCII letters, digits, _.
    assert_eq!(
        v("{'$a': 1, 'café': 2, _b: 3, a1: 4, $c: 5}").to_string(),
        "{ '$a': 1, 'café': 2, _b: 3, a1: 4, '$c': 5 }"
    );
    assert_eq!(v("new Map([[1, 'a']])").to_string(), "Map(1) { 1 => 'a' }");
    assert_eq!(v("new Set([-0])").to_string(), "Set(1) { 0 }");
    assert_eq!(
        v("[new Date(0), new Date(NaN)]").to_string(),
        "[ 1970-01-01T00:00:00.000Z, Invalid Date ]"
    );
    assert_eq!(
        v("[new Error('m'), Buffer.from([1, 255]), 10n, Symbol(), () => {}, function f() {}]")
            .to_string(),
        "[ [Error: m], <Buffer 01 ff>, 10n, Symbol(), [Function (anonymous)], [Function: f] ]"
    );
    assert_eq!(
        v("[1, 2, 3, 4, 5, 6, 7, 8]").to_string(),
        "[ 1, 2, 3, 4, 5, 6, ... 2 more ]"
    );
    assert_eq!(
        v(&format!("'{}'", "x".repeat(50))).to_string(),
        format!("'{}…'", "x".repeat(40))
    );
}

#[test]
fn a_prefix_parse_says_where_the_value_ends() {
    let (value, end) = parse_value_prefix("  {a: 1}) # rest", Pos { line: 1, col: 1 }).unwrap();
    assert_eq!(value, v("{a: 1}"));
    assert_eq!(end, 8);
}

#[test]
fn errors_say_where_and_why() {
    let cases: Vec<(&str, &str, &str)> = vec![
        ("[1,, 2]", "1:4", "an array hole (a comma with nothing before it) is not supported; write undefined"),
        ("[1, 2", "1:6", "expected \",\" or \"]\", found the end of the text"),
        ("{a 1}", "1:4", "expected \":\" after the key, found \"1\""),
        ("{a: tru}", "1:5", "\"tru\" is not a value (did you mean \"true\"?); a value is a number, a string, true, false, null, undefined, NaN, Infinity, [...], {...}, new Map/Set/Date/Error, /regex/, Buffer.from(...), Symbol(...), a function or [Circular]"),
        ("'abc", "1:1", "unterminated string: a closing ' is missing"),
        ("\"a\nb\"", "1:3", "a string cannot run over a line break: write \\n for one"),
        ("010", "1:1", "\"010\": only 0 itself may start with 0 (JavaScript reads 010 as the octal number 8)"),
        ("1.2.3", "1:1", "\"1.2.3\" is not a number: the model reads decimal numbers (1, 2.5, 1e3) and BigInts (10n) only"),
        ("0x10", "1:1", "\"0x10\" is not a number: the model reads decimal numbers (1, 2.5, 1e3) and BigInts (10n) only"),
        ("1e", "1:1", "\"1e\" is not a number: an exponent needs digits"),
        ("'\\1'", "1:2", "bad escape \"\\1\": octal escapes are legacy JavaScript; write \\x or \\u"),
        ("'\\xZ'", "1:2", "bad escape \"\\x\": \\x takes two hex digits"),
        ("'ok \\uD800'", "1:5", "\\uD800 is half of a surrogate pair without its other half; the model's strings are Unicode text, which cannot hold it alone"),
        ("new Foo()", "1:5", "\"new Foo\" is not supported: only new Map, new Set, new Date and new Error are"),
        ("new Sat([1])", "1:5", "\"new Sat\" is not supported (did you mean \"Set\"?): only new Map, new Set, new Date and new Error are"),
        ("new Date()", "1:10", "new Date() reads the clock, which the model does not: give the time, as new Date(0) or new Date(\"2024-01-31T12:00:00Z\")"),
        ("new Date('2024-01-01T00:00')", "1:10", "\"2024-01-01T00:00\" is not a date the model reads: a time without \"Z\" or an offset (+01:00) is in the machine's local time zone, which the model does not know: add Z for UTC"),
        ("Buffer.from([1, 256])", "1:14", "Buffer.from([...]) takes bytes from 0 to 255, not 256"),
        ("/a/gg", "1:4", "bad regular expression: the flag \"g\" is given twice"),
        ("/a/uv", "1:4", "bad regular expression: the flags u and v cannot go together"),
        ("/a/x", "1:4", "bad regular expression: \"x\" is not a flag (they are d, g, i, m, s, u, v, y)"),
        ("//", "1:1", "bad regular expression: // begins a comment in JavaScript; an empty pattern is /(?:)/"),
        ("{café: 1}", "1:2", "\"café\": the model takes names of ASCII letters, digits, _ and $ only; write this one in quotes, as 'café'"),
        ("[1, é]", "1:5", "\"é\": the model takes names of ASCII letters, digits, _ and $ only; write this one in quotes, as 'é'"),
        ("{__proto__: 1}", "1:2", "\"__proto__\" as a key sets the object's prototype in JavaScript instead of making a property, so the model does not take it"),
        ("function () { return 1 }", "1:15", "a function's body must be empty here ({}): the model sends functions but never runs them"),
        ("new Map([[1]])", "1:10", "expected a Map entry of two values, [key, value], found another number of values"),
        ("1 2", "1:3", "expected the end of the value, found \"2\""),
        ("", "1:1", "expected a value, found the end of the text"),
    ];
    for (text, at, message) in cases {
        let (pos, kind) = error(text);
        assert_eq!(
            (pos.as_str(), kind.to_string().as_str()),
            (at, message),
            "{text:?}"
        );
    }
}

#[test]
fn an_error_names_the_scenario_line_and_column_of_a_value_inside_it() {
    let e = parse_value("{\n  a: 1,\n  b: tru\n}", Pos { line: 7, col: 12 }).unwrap_err();
    assert_eq!((e.pos.line, e.pos.col), (9, 6));
    assert!(
        e.to_string().starts_with("9:6: \"tru\" is not a value"),
        "{e}"
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let e = parse_value(&deep, Pos { line: 1, col: 1 }).unwrap_err();
    assert_eq!(
        e.kind,
        LiteralErrorKind::TooDeep {
            max: crate::node::literal::MAX_DEPTH
        }
    );
    assert_eq!(e.pos.col, 101);
    let ok = format!("{}{}", "[".repeat(100), "]".repeat(100));
    assert!(parse_value(&ok, Pos { line: 1, col: 1 }).is_ok());
}

#[test]
fn every_prefix_of_a_value_parses_or_is_an_error_inside_it() {
    // Every prefix of texts full of edge cases: each parses or is an error.
    let texts = [
        "{a: [1, 'x\\u{1F600}', new Map([[1, new Set([/r/g])]]), Buffer.from([1]), () => {}, -0n, [Circular]]}",
        "new Date(\"+275760-09-13T00:00:00.000Z\")",
        "'\\uD83D\\uDE00' \"\\x4",
    ];
    for text in texts {
        for (end, _) in text.char_indices() {
            let prefix = &text[..end];
            if let Err(e) = parse_value(prefix, Pos { line: 1, col: 1 }) {
                let width = prefix.chars().count() as u32 + 1;
                assert!(
                    e.pos.line == 1 && (1..=width).contains(&e.pos.col),
                    "{prefix:?}: {e} points outside the text"
                );
            }
        }
    }
}
