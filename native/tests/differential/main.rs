//! Differential testing: random valid scenarios, generated from fixed
//! seeds, replayed by `forkscope check` on the real kernel, must all agree
//! with the model ("when the model and Linux disagree, Linux is right").
//!
//! `tests::gen::differential` (tests/src/gen/differential.rs) draws the
//! scenarios (what they are made of, and the kernel races they avoid, are
//! written there); `features.rs` reads them back in the model to show that
//! each thing the generator means to draw is in most of them.
//!
//! Knobs for a longer hunt (the default is what CI runs):
//! `FORKSCOPE_DIFF_FIRST` (first seed), `FORKSCOPE_DIFF_COUNT` (how many),
//! `FORKSCOPE_DIFF_KEEP` (a folder to leave the scenario files in). The
//! replay uses the `forkscope` binary of the test's own profile: build with
//! `cargo test --release` for a fast hunt.

// The agreement tests' shared rules (tests/common), from this test's
// own folder.
#[path = "../common/mod.rs"]
mod common;
mod features;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use tests::gen::differential as gen;

/// The seeds CI runs: enough that every kind of operation is drawn many
/// times (checked below), few enough for a debug build in seconds.
const FIRST_SEED: u64 = 1;
const SEEDS: u64 = 100;
/// Each feature must be in at least one scenario in MOST (the weights in
/// the generator put most of them in half or more; mmap of 0 pages is rarer).
const MOST: u64 = 20;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn random_scenarios_agree_with_the_kernel() {
    let first = env_u64("FORKSCOPE_DIFF_FIRST", FIRST_SEED);
    let count = env_u64("FORKSCOPE_DIFF_COUNT", SEEDS);
    let dir = match std::env::var("FORKSCOPE_DIFF_KEEP") {
        Ok(dir) => PathBuf::from(dir),
        Err(_) => std::env::temp_dir().join(format!("forkscope-diff-{}", std::process::id())),
    };
    std::fs::create_dir_all(&dir).expect("a scratch folder");

    let mut files = Vec::new();
    let mut ops = BTreeSet::new();
    let mut seen: BTreeMap<&str, u64> = BTreeMap::new();
    for seed in first..first + count {
        let text = gen::scenario(seed);
        for line in text.lines().skip(2) {
            let op = line.split_whitespace().nth(1).expect("an operation");
            ops.insert(op.to_string());
        }
        for feature in features::features(&text) {
            *seen.entry(feature).or_default() += 1;
        }
        let path = dir.join(format!("random-{seed}.scn"));
        std::fs::write(&path, &text).expect("a scenario file");
        files.push((path, text));
    }
    for feature in features::ALL {
        eprintln!(
            "{:>5} of {count} scenarios: {feature}",
            seen.get(feature).copied().unwrap_or(0)
        );
    }
    for race in features::RACES {
        assert!(
            !seen.contains_key(race),
            "{} scenarios have a kernel race the generator must leave out: {race}",
            seen[race]
        );
    }
    if count >= SEEDS {
        for op in sim_core::scenario::OpKind::KEYWORDS {
            assert!(ops.contains(*op), "no scenario does {op}: {ops:?}");
        }
        // A size beyond 1 GiB is drawn, but counts only once the parser
        // takes it (before C-int sizes, it refused them).
        let huge = sim_core::scenario::parse("process a\na: pipesize p 2000000000\n").is_ok();
        for feature in features::ALL {
            let times = seen.get(feature).copied().unwrap_or(0);
            if feature == "a size beyond 1 GiB or negative" && !huge {
                continue;
            }
            assert!(
                times * MOST >= count,
                "only {times} of {count} scenarios show \"{feature}\""
            );
        }
    }

    // One run for all of them: this file is its own test binary, so no
    // other test of it forks at the same time.
    let paths: Vec<&PathBuf> = files.iter().map(|(path, _)| path).collect();
    let (out, doc) = common::check_json(&paths);
    let results = doc["scenarios"].as_array().expect("a list of scenarios");
    assert_eq!(results.len(), files.len(), "{doc}");
    let mut failures = Vec::new();
    let mut raced = Vec::new();
    for ((path, text), result) in files.iter().zip(results) {
        if result["status"] == "agree" {
            continue;
        }
        // A rerun only for a named scheduler race (common/mod.rs) that
        // may explain this disagreement; it must then agree the second time.
        let table = common::describe(result);
        let Some(race) = common::race_that_may_explain(text, result) else {
            failures.push(format!("{}:\n{text}{table}", path.display()));
            continue;
        };
        eprintln!(
            "{} disagreed, as the race \"{race}\" can make it; checking it again:\n{table}",
            path.display()
        );
        let again = common::check_again(path);
        if again["status"] == "agree" {
            raced.push(format!("{} ({race})", path.display()));
        } else {
            failures.push(format!(
                "{} disagreed twice, so not by the race \"{race}\":\n{text}first: {table}again: {}",
                path.display(),
                common::describe(&again)
            ));
        }
    }
    if !raced.is_empty() {
        eprintln!(
            "{} of {} random scenarios disagreed once by a named race and agreed when checked again: {}",
            raced.len(),
            files.len(),
            raced.join(", ")
        );
    }
    if std::env::var_os("FORKSCOPE_DIFF_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    assert!(
        failures.is_empty(),
        "{} of {} random scenarios disagree with the kernel:\n\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "forkscope check failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
