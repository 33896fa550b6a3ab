//! Every kernel-fact scenario of `tests/scenarios/facts/` agrees with the
//! real kernel under `forkscope check`: the model's facts are Linux's.

use std::path::PathBuf;
use std::process::Command;

fn check(files: &[PathBuf]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_forkscope"))
        .arg("check")
        .args(files)
        .output()
        .expect("forkscope runs")
}

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
    let out = check(&files);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy();
        let row = stdout
            .lines()
            .find(|l| l.contains(&*name))
            .unwrap_or_else(|| panic!("no row for {name}"));
        if row.contains("| agree") {
            continue;
        }
        // The kernel's scheduler can, rarely, order two wake-ups the other
        // way. A fact that disagreed once must agree in two more runs of
        // its own; a model that is wrong disagrees every time.
        for _ in 0..2 {
            let again = check(std::slice::from_ref(file));
            assert_eq!(
                again.status.code(),
                Some(0),
                "{name} disagrees with the kernel:\n{stdout}\n{}",
                String::from_utf8_lossy(&again.stdout)
            );
        }
        eprintln!("noise: {name} disagreed once, then agreed twice:\n{row}");
    }
}
