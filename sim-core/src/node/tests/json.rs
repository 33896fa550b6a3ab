//! json mode: the bytes of `send`, number text and string escapes, each
//! JSON.stringify rule, each throw with node's own wording, what the other
//! side receives, and the channel reader.

use super::v;
use crate::node::json::{self, read_chunks, stringify, JsonReader};
use crate::node::value::number_to_string;
use crate::node::{is_internal, JsValue, SendError};

fn line(text: &str) -> String {
    stringify(&v(text)).unwrap_or_else(|e| panic!("{text} throws {e}"))
}

fn thrown(text: &str) -> (&'static str, Option<&'static str>, String) {
    let e = stringify(&v(text)).expect_err(text);
    (e.name(), e.code(), e.message())
}

#[test]
fn a_send_writes_the_json_and_a_newline() {
    assert_eq!(line("{hello: 'world'}"), "{\"hello\":\"world\"}\n");
    assert_eq!(line("{hello: 'world'}").len(), 18);
    assert_eq!(line("'bye'"), "\"bye\"\n");
    assert_eq!(line("null"), "null\n");
}

#[test]
fn numbers_are_written_as_number_to_string_writes_them() {
    // Each text printed by node 20: String(n), and JSON.stringify([..]).
    let cases = [
        ("1e21", "1e+21"),
        ("1e20", "100000000000000000000"),
        ("1e-7", "1e-7"),
        ("0.000001", "0.000001"),
        ("-0", "0"),
        ("0.30000000000000004", "0.30000000000000004"),
        ("0.1", "0.1"),
        ("9007199254740992", "9007199254740992"),
        ("9007199254740993", "9007199254740992"),
        ("123e-20", "1.23e-18"),
        ("5e-324", "5e-324"),
        ("1.7976931348623157e308", "1.7976931348623157e+308"),
        ("-1.5", "-1.5"),
        ("2147483648", "2147483648"),
    ];
    for (literal, text) in cases {
        let JsValue::Number(n) = v(literal) else {
            unreachable!()
        };
        assert_eq!(number_to_string(n), text, "{literal}");
        assert_eq!(line(literal), format!("{text}\n"), "{literal}");
    }
    assert_eq!(
        line("[NaN, Infinity, -Infinity, 1e400]"),
        "[null,null,null,null]\n"
    );
    assert_eq!(line("NaN"), "null\n", "a top-level NaN sends null");
}

#[test]
fn strings_are_escaped_as_json_stringify_escapes_them() {
    // node 20: JSON.stringify('a\u0001\u001f\u007f\u2028"\\\n\t\b\f\r/é€😀')
    assert_eq!(
        line(r#"'a\u0001\u001f\u007f\u2028"\\\n\t\b\f\r/é€😀'"#),
        "\"a\\u0001\\u001f\u{7f}\u{2028}\\\"\\\\\\n\\t\\b\\f\\r/é€😀\"\n"
    );
    assert_eq!(
        line("'\\u000b\\u0000'"),
        "\"\\u000b\\u0000\"\n",
        "control characters take lowercase \\u00xx"
    );
}

#[test]
fn each_json_rule_applies() {
    assert_eq!(
        line("{a: undefined, b: () => {}, c: Symbol('s'), d: 1}"),
        "{\"d\":1}\n"
    );
    assert_eq!(
        line("[undefined, function () {}, Symbol()]"),
        "[null,null,null]\n"
    );
    assert_eq!(
        line("[new Map([[1, 2]]), new Set([1]), /x/g, new Error('e')]"),
        "[{},{},{},{}]\n"
    );
    assert_eq!(
        line("new Map([[1, 10n]])"),
        "{}\n",
        "what a Map holds is not looked at, so its BigInt does not throw"
    );
    assert_eq!(line("new Date(0)"), "\"1970-01-01T00:00:00.000Z\"\n");
    assert_eq!(
        line("new Date(8.64e15)"),
        "\"+275760-09-13T00:00:00.000Z\"\n"
    );
    assert_eq!(
        line("new Date(-62198755200000)"),
        "\"-000001-01-01T00:00:00.000Z\"\n"
    );
    assert_eq!(line("new Date(NaN)"), "null\n");
    assert_eq!(
        line("Buffer.from('hé')"),
        "{\"type\":\"Buffer\",\"data\":[104,195,169]}\n"
    );
    assert_eq!(
        line("{b: 1, a: 2, 10: 0, 2: 0}"),
        "{\"2\":0,\"10\":0,\"b\":1,\"a\":2}\n"
    );
    assert_eq!(
        line("{a: 1, a: undefined}"),
        "{}\n",
        "the last definition wins, even undefined"
    );
}

#[test]
fn each_throw_has_nodes_name_code_and_message() {
    let invalid = |received: &str| {
        ("TypeError", Some("ERR_INVALID_ARG_TYPE"), format!(
            "The \"message\" argument must be one of type string, object, number, or boolean. Received {received}"
        ))
    };
    assert_eq!(thrown("10n"), invalid("type bigint (10n)"));
    assert_eq!(thrown("Symbol('x')"), invalid("type symbol (Symbol(x))"));
    assert_eq!(thrown("function () {}"), invalid("function "));
    assert_eq!(thrown("function named() {}"), invalid("function named"));
    assert_eq!(
        thrown("undefined"),
        (
            "TypeError",
            Some("ERR_MISSING_ARGS"),
            "The \"message\" argument must be specified".into()
        )
    );
    assert_eq!(
        thrown("{a: 1n}"),
        (
            "TypeError",
            None,
            "Do not know how to serialize a BigInt".into()
        )
    );
    assert_eq!(
        SendError::MissingMessage.to_string(),
        "TypeError [ERR_MISSING_ARGS]: The \"message\" argument must be specified"
    );
}

#[test]
fn a_cycle_throws_v8s_message_drawing_the_path() {
    // Each message printed by node 20 for the same object made by hand.
    let circle = |text: &str| thrown(text).2;
    assert_eq!(
        circle("{a: 1, self: [Circular]}"),
        "Converting circular structure to JSON\n    --> starting at object with constructor 'Object'\n    --- property 'self' closes the circle"
    );
    assert_eq!(
        circle("{a: {b: {c: {d: [1, [Circular]]}}}}"),
        "Converting circular structure to JSON\n    --> starting at object with constructor 'Object'\n    |     property 'a' -> object with constructor 'Object'\n    |     property 'b' -> object with constructor 'Object'\n    |     ...\n    |     property 'd' -> object with constructor 'Array'\n    --- index 1 closes the circle"
    );
    assert_eq!(
        circle("[[{'': [Circular]}]]"),
        "Converting circular structure to JSON\n    --> starting at object with constructor 'Array'\n    |     index 0 -> object with constructor 'Array'\n    |     index 0 -> object with constructor 'Object'\n    --- <anonymous> closes the circle"
    );
    assert_eq!(
        circle("{1: {2: [Circular]}}"),
        "Converting circular structure to JSON\n    --> starting at object with constructor 'Object'\n    |     property '1' -> object with constructor 'Object'\n    --- property '2' closes the circle"
    );
    assert_eq!(
        circle("{a: {b: {c: {d: [Circular]}}}}"),
        "Converting circular structure to JSON\n    --> starting at object with constructor 'Object'\n    |     property 'a' -> object with constructor 'Object'\n    |     property 'b' -> object with constructor 'Object'\n    |     property 'c' -> object with constructor 'Object'\n    --- property 'd' closes the circle"
    );
    // What comes first in the walk throws: here the BigInt.
    assert_eq!(
        thrown("{big: 10n, self: [Circular]}").2,
        "Do not know how to serialize a BigInt"
    );
    // A cycle through a Map is never walked.
    assert_eq!(line("new Map([['me', [Circular]]])"), "{}\n");
}

#[test]
fn the_receiver_gets_json_parse_of_the_line() {
    let got = json::received(&v(
        "{a: undefined, b: [undefined, NaN, -0], c: new Date(0), d: new Map(), 2: 'x'}",
    ))
    .unwrap();
    assert_eq!(
        got,
        v("{2: 'x', b: [null, null, 0], c: '1970-01-01T00:00:00.000Z', d: {}}")
    );
    assert_eq!(
        json::received(&v("10n")),
        Err(SendError::InvalidType {
            received: "type bigint (10n)".into()
        })
    );
}

#[test]
fn the_reader_joins_a_line_split_across_reads() {
    let mut reader = JsonReader::new();
    assert!(reader.read(b"{\"hello\":").is_empty());
    assert_eq!(reader.pending(), b"{\"hello\":");
    assert!(reader.read(b"\"wor").is_empty());
    let messages = reader.read(b"ld\"}\n[1]\n\"tail");
    let values: Vec<String> = messages
        .iter()
        .map(|m| m.value.as_ref().unwrap().to_string())
        .collect();
    assert_eq!(values, ["{ hello: 'world' }", "[ 1 ]"]);
    assert_eq!(messages[0].line, "{\"hello\":\"world\"}");
    assert_eq!(reader.pending(), b"\"tail");
    assert!(reader.read(b"").is_empty());
    assert_eq!(
        reader.read(b"\"\n")[0].value,
        Ok(JsValue::String("tail".into()))
    );
    assert!(reader.pending().is_empty());
}

#[test]
fn the_reader_joins_a_character_split_across_reads() {
    let bytes = "\"é€😀\"\n".as_bytes();
    for cut in 1..bytes.len() {
        let (messages, left) = read_chunks([&bytes[..cut], &bytes[cut..]]);
        assert_eq!(messages.len(), 1);
        assert_eq!(
            messages[0].value,
            Ok(JsValue::String("é€😀".into())),
            "cut at {cut}"
        );
        assert!(left.is_empty());
    }
}

#[test]
fn internal_messages_are_the_node_commands() {
    let (messages, _) = read_chunks([
        &b"{\"cmd\":\"NODE_X\"}\n{\"cmd\":\"NODE_\"}\n{\"cmd\":\"node_x\"}\n{\"cmd\":[\"NODE_X\"]}\n[\"NODE_X\"]\n"[..],
    ]);
    let internal: Vec<bool> = messages.iter().map(|m| m.internal).collect();
    assert_eq!(internal, [true, false, false, false, false]);
    assert!(is_internal(&v("{cmd: 'NODE_HANDLE', type: null}")));
    assert!(!is_internal(&v("new Map([['cmd', 'NODE_X']])")));
}

#[test]
fn a_line_that_is_not_json_is_an_error_that_says_where() {
    let (messages, _) = read_chunks([&b"{\"a\":}\n\n[1,]\n"[..]]);
    let errors: Vec<String> = messages
        .iter()
        .map(|m| m.value.as_ref().unwrap_err().to_string())
        .collect();
    assert_eq!(
        errors,
        [
            "not JSON at byte 5: an unexpected character",
            "not JSON at byte 0: the text ends where a value should be",
            "not JSON at byte 3: an unexpected character",
        ]
    );
    assert!(messages.iter().all(|m| !m.internal));
}

#[test]
fn json_parse_reads_what_stringify_writes() {
    for text in [
        "{a: [1, -1.5e-7, 'x\\u0001\"\\\\', true, null, {}], '': 2}",
        "'😀'",
        "[[[[]]]]",
    ] {
        let value = v(text);
        let written = stringify(&value).unwrap();
        assert_eq!(json::parse(written.trim_end()), Ok(value), "{written}");
    }
    assert_eq!(
        json::parse("\"\\ud800\""),
        Ok(JsValue::String("\u{FFFD}".into())),
        "a lone surrogate becomes U+FFFD"
    );
    let deep = format!("{}{}", "[".repeat(600), "]".repeat(600));
    assert!(
        json::parse(&deep).is_err(),
        "nesting past the limit is an error, not a stack overflow"
    );
}
