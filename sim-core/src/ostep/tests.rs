//! The fork.py port's facts: Python's generator numbers (recorded with
//! Python 3.11's `random`), Python's number text, fork.py's names, and
//! the import of an action list as a scenario that runs.

use super::pynum::{float_repr, parse_float, parse_optparse_int, str_repr};
use super::*;
use crate::engine::Sim;

/// Per seed (the words of abs(seed)): Python's first five `random()`
/// values and its 701st, as IEEE-754 bits.
#[rustfmt::skip]
const PYTHON_RANDOM: [(&[u32], [u64; 5], u64); 6] = [
    (&[], [0x3feb0580f98a7dbe, 0x3fe84129978f9c1a, 0x3fdaeaa51052e978, 0x3fd092178fb945a6, 0x3fe05c5ccdf19707], 0x3fe46b1962b5c09f), // seed 0
    (&[0x00000001], [0x3fc132d8f91b7584, 0x3feb1e2d5b3584f8, 0x3fe870d778409f13, 0x3fd0530d08f17f5c, 0x3fdfb5355e16737a], 0x3faed07325a09030), // seed 1
    (&[0x00000001], [0x3fc132d8f91b7584, 0x3feb1e2d5b3584f8, 0x3fe870d778409f13, 0x3fd0530d08f17f5c, 0x3fdfb5355e16737a], 0x3faed07325a09030), // seed -1
    (&[0x00000007], [0x3fd4b9ad0f953a6e, 0x3fc34f0696513270, 0x3fe4d474883171ff, 0x3fb28b2f3a47e100, 0x3fe125f2046063a0], 0x3fd5a2a30dbf24f8), // seed 7
    (&[0x00000005, 0x00000001], [0x3fc4218067c49768, 0x3fd21442cf1e9172, 0x3fe357affb575f81, 0x3f8dbe785ae59e00, 0x3fe416bcbcaf6e4c], 0x3fa03edeabb98150), // seed 2**32+5
    (&[0xeb1f0ad2, 0xab54a98c], [0x3fe06273c7710f4d, 0x3fedd1f72a2feb81, 0x3fe48dd221ca4920, 0x3feb4594614e7efb, 0x3fd6a86bec34d808], 0x3fa97f3f9c0be790), // seed 12345678901234567890
];

#[test]
fn the_twister_draws_pythons_numbers_for_every_recorded_seed() {
    for (words, first, later) in PYTHON_RANDOM {
        let mut rng = PyRandom::seeded(words);
        let drawn: Vec<u64> = (0..5).map(|_| rng.random().to_bits()).collect();
        assert_eq!(drawn, first, "seed words {words:?}");
        for _ in 5..700 {
            rng.random();
        }
        assert_eq!(
            rng.random().to_bits(),
            later,
            "the 701st draw, seed words {words:?}"
        );
    }
}

#[test]
fn seeds_read_as_optparse_reads_integers_seed_as_python_does() {
    let big = parse_optparse_int("12345678901234567890").expect("a decimal");
    assert_eq!(big.magnitude, PYTHON_RANDOM[5].0);
    assert_eq!(big.to_decimal(), "12345678901234567890");
    let minus_one = parse_optparse_int("-1").expect("a negative decimal");
    assert!(minus_one.is_minus_one());
    let two32 = parse_optparse_int("4294967301").expect("a decimal");
    assert_eq!(
        PyRandom::seeded(&two32.magnitude).random().to_bits(),
        PYTHON_RANDOM[4].1[0]
    );
    assert_eq!(
        parse_optparse_int("0x1F").and_then(|n| n.to_i64()),
        Some(31)
    );
    assert_eq!(parse_optparse_int("010").and_then(|n| n.to_i64()), Some(8));
    assert_eq!(
        parse_optparse_int("0b101").and_then(|n| n.to_i64()),
        Some(5)
    );
    assert_eq!(
        parse_optparse_int(" 1_000 ").and_then(|n| n.to_i64()),
        Some(1000)
    );
    assert_eq!(parse_optparse_int("08"), None);
    assert_eq!(parse_optparse_int("-0x5"), None);
    assert_eq!(parse_optparse_int("1__0"), None);
    assert_eq!(parse_optparse_int(""), None);
}

#[test]
fn floats_read_and_print_as_python_writes_them() {
    let shown: Vec<String> = [
        "0.7", "1e16", "1e-5", "0.0001", "1e15", "2", "-0.0", "1_0.5", "inf", "NaN", " .5 ",
    ]
    .iter()
    .map(|t| float_repr(parse_float(t).expect("a float")))
    .collect();
    assert_eq!(
        shown,
        [
            "0.7",
            "1e+16",
            "1e-05",
            "0.0001",
            "1000000000000000.0",
            "2.0",
            "-0.0",
            "10.5",
            "inf",
            "nan",
            "0.5"
        ]
    );
    assert_eq!(float_repr(1.2345678901234568e17), "1.2345678901234568e+17");
    assert_eq!(parse_float("_1"), None);
    assert_eq!(parse_float("half"), None);
    assert_eq!(str_repr("x'y"), "\"x'y\"");
    assert_eq!(str_repr("a\tb\\"), "'a\\tb\\\\'");
}

#[test]
fn generated_names_run_through_the_letters_then_pairs() {
    let names: Vec<String> = [0, 1, 25, 26, 51, 52, 53, 103, 52 + 2704]
        .iter()
        .map(|k| generated_name(*k))
        .collect();
    assert_eq!(names, ["a", "b", "z", "A", "Z", "aa", "ab", "aZ", "aaa"]);
}

fn run_text(args: &[&str]) -> (String, Outcome) {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let Parsed::Run(options) = parse(&args) else {
        panic!("the test's options are good")
    };
    let mut rng = PyRandom::seeded(&options.seed.magnitude);
    let mut out = String::new();
    let outcome = run(&options, &mut rng, &mut out);
    (out, outcome)
}

#[test]
fn an_exit_flattens_the_subtree_unless_reparenting_locally() {
    let (flat, outcome) = run_text(&["-A", "a+b,b+c,c+d,b-", "-c", "-F", "-P", "basic"]);
    assert_eq!(outcome, Outcome::Done);
    assert!(flat.ends_with("                                a\n                                   c\n                                   d\n\n"), "{flat}");
    let (local, _) = run_text(&["-A", "a+b,b+c,c+d,b-", "-c", "-F", "-R", "-P", "basic"]);
    assert!(local.ends_with("                                a\n                                   c\n                                      d\n\n"), "{local}");
}

#[test]
fn a_bad_action_ends_with_fork_py_message_and_status_1() {
    let (text, outcome) = run_text(&["-A", "a+b,q-"]);
    assert_eq!(outcome.status(), 1);
    assert!(
        text.ends_with("bad action (q-), must be X+Y or X- where X and Y are processes\n"),
        "{text}"
    );
}

#[test]
fn optparse_errors_and_help_are_optparse_text() {
    let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        parse(&args(&["--a", "3"])),
        Parsed::Error("Usage: fork.py [options]\n\nfork.py: error: ambiguous option: --a (--action_list, --actions?)\n".into())
    );
    assert!(
        matches!(parse(&args(&["-c", "-h", "-x"])), Parsed::Help(h) if h.starts_with("Usage: fork.py [options]\n\nOptions:\n"))
    );
    let Parsed::Run(o) = parse(&args(&["-tcs-5", "--actions=7", "--", "-x"])) else {
        panic!("good options")
    };
    assert!(o.show_tree && o.solve);
    assert_eq!(
        (o.seed.to_decimal(), o.actions.to_decimal()),
        ("-5".to_string(), "7".to_string())
    );
}

#[test]
fn an_imported_action_list_runs_with_linux_rules_and_its_expects_hold() {
    let args: Vec<String> = ["-A", "a+b,b+c,c+d,b+e,b-,a+B,B+init,c-,a+b"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let Parsed::Run(options) = parse(&args) else {
        panic!("good options")
    };
    let text = scenario::scenario(&options, &mut PyRandom::from_u64(1)).expect("a scenario");
    assert!(
        text.contains("b: exit 0\nexpect c parent a\nexpect e parent a\na: wait b\n"),
        "{text}"
    );
    assert!(
        text.contains("a: fork b_\nb_: fork init-\n") && text.contains("a: fork b-2\n"),
        "{text}"
    );
    let mut sim = Sim::from_source(&text).expect("the scenario parses");
    sim.run_to_end().expect("the scenario runs to its end");
    assert_eq!(sim.failed_expects().count(), 0);
    // a's start and its subreaper call, 9 actions, and a's waits for b
    // and (adopted) c.
    assert_eq!(sim.steps().len(), 13);
}

#[test]
fn a_name_the_language_cannot_spell_is_refused_with_its_reason() {
    let args: Vec<String> = ["-A", "a+1x"].iter().map(|s| s.to_string()).collect();
    let Parsed::Run(options) = parse(&args) else {
        panic!("good options")
    };
    let err = scenario::scenario(&options, &mut PyRandom::from_u64(1))
        .expect_err("1x is no scenario name");
    assert!(err.contains("\"1x\" has no scenario spelling"), "{err}");
}
