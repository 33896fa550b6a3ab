//! Every kernel-fact scenario of `tests/scenarios/facts/` agrees with the
//! real kernel under `forkscope check`: the model's facts are Linux's.
//!
//! Every fact must agree fully, in one run: no difference, every expect
//! judged on both sides and holding on both. There is no rerun: the known
//! scheduler races (see native/tests/common/mod.rs) are avoided by the
//! facts' design (the SIGCONT facts block SIGCHLD around the continuation;
//! no fact puts two sleepers on one stream socket end), so a fact that
//! disagrees is a model bug or a fact to redesign.

mod common;

use std::path::PathBuf;

#[test]
fn every_fact_scenario_agrees_with_the_kernel() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/scenarios/facts");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("the facts folder exists")
        .map(|e| e.expect("a readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "scn"))
        .collect();
    files.sort();
    assert!(files.len() >= 40, "only {} fact scenarios", files.len());
    // One run for all of them: this file is its own test binary, so no
    // other test of it forks at the same time.
    let (out, doc) = common::check_json(&files);
    assert_eq!(doc["frames_visible"], true, "run the facts as root");
    let results = doc["scenarios"].as_array().expect("a list of scenarios");
    assert_eq!(results.len(), files.len(), "{doc:#}");
    let failures: Vec<String> = results
        .iter()
        .filter(|r| !common::agrees_fully(r))
        .map(common::describe)
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} facts do not agree fully with the kernel:\n\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
    assert_eq!(out.status.code(), Some(0), "{doc:#}");
}
