//! advanced mode: V8's serializer bytes for every kind of value, Smi or
//! heap number, the padding byte, the errors, what the receiver gets, and
//! the frame reader. Every frame here was printed by node 20 for the value
//! built by `to_js` in a fresh vm context.

use super::{hex, v};
use crate::node::advanced::{frame, received, FrameReader};
use crate::node::SendError;

fn bytes(text: &str) -> String {
    hex(&frame(&v(text)).unwrap_or_else(|e| panic!("{text} throws {e}")))
}

#[test]
fn a_frame_is_a_big_endian_length_then_v8s_bytes() {
    assert_eq!(bytes("'bye'"), "00000007ff0f2203627965");
    assert_eq!(
        bytes("{hello: 'world'}"),
        "00000013ff0f6f220568656c6c6f2205776f726c647b01"
    );
    let long = "x".repeat(200);
    assert_eq!(
        bytes(&format!("'{long}'")),
        format!("000000cdff0f22c801{}", "78".repeat(200))
    );
}

#[test]
fn primitives_take_their_tags() {
    assert_eq!(bytes("null"), "00000003ff0f30");
    assert_eq!(bytes("true"), "00000003ff0f54");
    assert_eq!(bytes("false"), "00000003ff0f46");
    assert_eq!(bytes("[undefined]"), "00000008ff0f41015f240001");
    assert_eq!(
        bytes("'é'"),
        "00000005ff0f2201e9",
        "Latin-1 is one byte a character"
    );
    assert_eq!(
        bytes("'€'"),
        "00000006ff0f6302ac20",
        "beyond Latin-1, UTF-16"
    );
    assert_eq!(bytes("'a€'"), "00000008ff0f63046100ac20");
}

#[test]
fn a_two_byte_string_starts_at_an_even_offset() {
    assert_eq!(bytes("{xy: '€'}"), "0000000eff0f6f22027879006302ac207b01");
    assert_eq!(
        bytes("['€', 'x€']"),
        "00000011ff0f41026302ac2063047800ac20240002"
    );
}

#[test]
fn numbers_are_smis_or_heap_numbers() {
    assert_eq!(bytes("1"), "00000004ff0f4902");
    assert_eq!(bytes("-1"), "00000004ff0f4901");
    assert_eq!(bytes("2147483647"), "00000008ff0f49feffffff0f");
    assert_eq!(bytes("-2147483648"), "00000008ff0f49ffffffff0f");
    assert_eq!(bytes("2147483648"), "0000000bff0f4e000000000000e041");
    assert_eq!(bytes("-0"), "0000000bff0f4e0000000000000080");
    assert_eq!(bytes("NaN"), "0000000bff0f4e000000000000f87f");
    assert_eq!(bytes("1.5"), "0000000bff0f4e000000000000f83f");
    assert_eq!(bytes("[-5, 7]"), "0000000bff0f41024909490e240002");
}

#[test]
fn an_arrays_elements_kind_decides_how_its_integers_go() {
    assert_eq!(bytes("[1, 2]"), "0000000bff0f410249024904240002");
    assert_eq!(
        bytes("[1.5, 2]"),
        "00000019ff0f41024e000000000000f83f4e0000000000000040240002"
    );
    assert_eq!(
        bytes("[1.5, 2, 'a']"),
        "00000015ff0f41034e000000000000f83f4904220161240003"
    );
    // The regex is stored after the literal is made, from PACKED_DOUBLE,
    // so 2 is boxed.
    assert_eq!(
        bytes("[1.5, 2, /a/]"),
        "0000001eff0f41034e000000000000f83f4e00000000000000405222016100240003"
    );
    assert_eq!(
        bytes("[NaN, 1]"),
        "00000019ff0f41024e000000000000f87f4e000000000000f03f240002"
    );
    assert_eq!(bytes("[1, undefined]"), "0000000aff0f410249025f240002");
}

#[test]
fn objects_sharing_a_map_share_their_fields_representation() {
    // The second 2 is a heap number: the first literal made field a Double.
    assert_eq!(
        bytes("[{a: 1.5}, {a: 2}]"),
        "00000025ff0f41026f2201614e000000000000f83f7b016f2201614e00000000000000407b01240002"
    );
    // A string makes it Tagged, where a Smi stays a Smi.
    assert_eq!(
        bytes("[{a: 2}, {a: 'x'}, {a: 3}]"),
        "00000020ff0f41036f22016149047b016f2201612201787b016f22016149067b01240003"
    );
    // The second object, all constant, is made with the array; the first
    // is made after, turns field a Double, but does not migrate it.
    assert_eq!(
        bytes("[{a: 1.5, b: undefined}, {a: 2, b: 1}]"),
        "00000027ff0f41026f2201614e000000000000f83f2201625f7b026f220161490422016249027b02240002"
    );
    // Different numbers of properties: different maps.
    assert_eq!(
        bytes("{a: 1.5, b: {a: 2}}"),
        "0000001cff0f6f2201614e000000000000f83f2201626f22016149047b017b02"
    );
}

#[test]
fn objects_write_integer_keys_as_numbers() {
    assert_eq!(
        bytes("{1: 'a', b: 2}"),
        "0000000fff0f6f490222016122016249047b02"
    );
    assert_eq!(
        bytes("{4294967294: 1}"),
        "00000010ff0f6f4e0000c0ffffffef4149027b01"
    );
    assert_eq!(
        bytes("{4294967295: 1}"),
        "00000013ff0f6f220a3432393439363732393549027b01"
    );
    assert_eq!(
        bytes("{a: {b: 2}, c: [1, 'x']}"),
        "0000001dff0f6f2201616f22016249047b01220163410249022201782400027b02"
    );
}

#[test]
fn maps_sets_dates_regexps_errors_buffers_and_bigints_survive() {
    assert_eq!(bytes("new Map([[1, 'a']])"), "0000000aff0f3b49022201613a02");
    assert_eq!(
        bytes("new Map([[NaN, 1], [0, 'z'], [-0, 'm']])"),
        "0000001cff0f3b4e000000000000f87f4e000000000000f03f490022016d3a04"
    );
    assert_eq!(bytes("new Set([1])"), "00000007ff0f2749022c01");
    assert_eq!(
        bytes("new Set([1, 'a', 1, NaN, NaN, -0, 0])"),
        "00000015ff0f2749022201614e000000000000f87f49002c04"
    );
    assert_eq!(bytes("new Date(0)"), "0000000bff0f440000000000000000");
    assert_eq!(bytes("new Date(NaN)"), "0000000bff0f44000000000000f87f");
    assert_eq!(bytes("/a/gimsuyd"), "00000008ff0f52220161bf01");
    assert_eq!(bytes("/b/v"), "00000008ff0f522201628002");
    assert_eq!(bytes("/a\\/b[/]/g"), "0000000dff0f522207615c2f625b2f5d01");
    assert_eq!(
        bytes("new Error('m')"),
        "00000013ff0f726d22016d7322084572726f723a206d2e"
    );
    assert_eq!(bytes("new Error()"), "0000000cff0f727322054572726f722e");
    assert_eq!(
        bytes("new Error('')"),
        "0000000fff0f726d22007322054572726f722e"
    );
    assert_eq!(
        bytes("Buffer.from([1, 2, 3])"),
        "00000009ff0f5c000a03010203"
    );
    assert_eq!(
        bytes("[10n, -10n, 0n, 18446744073709551616n]"),
        "0000002fff0f41045a100a000000000000005a110a000000000000005a005a2000000000000000000100000000000000240004"
    );
}

#[test]
fn a_cycle_is_a_reference_to_the_outermost_object() {
    assert_eq!(
        bytes("{a: 1, self: [Circular]}"),
        "00000012ff0f6f2201614902220473656c665e007b02"
    );
    assert_eq!(bytes("[1, [Circular]]"), "0000000bff0f410249025e00240002");
    assert_eq!(
        bytes("new Map([['me', [Circular]]])"),
        "0000000bff0f3b22026d655e003a02"
    );
}

#[test]
fn functions_and_symbols_inside_cannot_be_cloned() {
    let err = |text: &str| frame(&v(text)).unwrap_err();
    assert_eq!(
        err("{f: () => {}}").message(),
        "() => {} could not be cloned."
    );
    assert_eq!(err("{f: () => {}}").name(), "Error");
    assert_eq!(err("{f: () => {}}").code(), None);
    assert_eq!(
        err("[function (a) {}]").message(),
        "function (a) {} could not be cloned."
    );
    assert_eq!(
        err("{s: Symbol()}").message(),
        "Symbol() could not be cloned."
    );
    assert_eq!(
        err("new Set([Symbol('q')])").message(),
        "Symbol(q) could not be cloned."
    );
    // node's own check comes first, in this mode too.
    assert_eq!(
        err("10n"),
        SendError::InvalidType {
            received: "type bigint (10n)".into()
        }
    );
    assert_eq!(
        err("Symbol('x')"),
        SendError::InvalidType {
            received: "type symbol (Symbol(x))".into()
        }
    );
    assert_eq!(err("undefined"), SendError::MissingMessage);
}

#[test]
fn the_receiver_gets_everything_back() {
    let sent = v("{m: new Map([[-0, 1n], [1, 2]]), s: new Set([-0]), d: new Date(5), e: new Error('x'), b: Buffer.from('a'), u: undefined, a: 1, a: 2, self: [Circular]}");
    let got = received(&sent).unwrap();
    assert_eq!(got, v("{m: new Map([[0, 1n], [1, 2]]), s: new Set([0]), d: new Date(5), e: new Error('x'), b: Buffer.from('a'), u: undefined, a: 2, self: [Circular]}"));
    assert_eq!(
        received(&v("[() => {}]")).unwrap_err().message(),
        "() => {} could not be cloned."
    );
}

#[test]
fn the_frame_reader_waits_for_a_whole_frame() {
    let one = frame(&v("'bye'")).unwrap();
    let two = frame(&v("{hello: 'world'}")).unwrap();
    let wire: Vec<u8> = [one.clone(), two.clone()].concat();
    for size in 1..wire.len() {
        let mut reader = FrameReader::new();
        let frames: Vec<Vec<u8>> = wire.chunks(size).flat_map(|c| reader.read(c)).collect();
        assert_eq!(
            frames,
            [one[4..].to_vec(), two[4..].to_vec()],
            "reads of {size}"
        );
        assert!(reader.pending().is_empty());
    }
    let mut reader = FrameReader::new();
    assert!(reader.read(&one[..3]).is_empty(), "not even the length yet");
    assert!(reader.read(&one[3..6]).is_empty());
    assert_eq!(reader.pending(), &one[..6]);
    let mut reader = FrameReader::new();
    assert!(
        reader.read(&[0xff, 0xff, 0xff, 0xff, 1, 2]).is_empty(),
        "a 4 GiB frame waits"
    );
    assert_eq!(reader.pending().len(), 6);
}
