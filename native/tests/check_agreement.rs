//! `forkscope check` against the real kernel: every built-in lesson agrees
//! with the model, and a scenario with a deliberately wrong expect fails
//! and shows where in its table.

mod common;

use std::process::{Command, Output};
use std::sync::Mutex;

/// All tests that start processes share this lock (as nix's FORK_MTX).
static FORK_MTX: Mutex<()> = Mutex::new(());

fn forkscope(args: &[&str]) -> Output {
    let _guard = FORK_MTX.lock().unwrap_or_else(|e| e.into_inner());
    Command::new(env!("CARGO_BIN_EXE_forkscope"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn every_built_in_lesson_agrees_with_the_kernel() {
    let out = forkscope(&["check", "--all"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("cow-after-fork"), "{stdout}");
}

#[test]
fn a_wrong_expect_fails_the_check_and_the_table_shows_its_line() {
    let path = common::scenario_file(
        "wrong",
        "\
process parent
parent: mmap heap 4
parent: write heap 0..4
parent: fork child
child: write heap 2
expect child faults 5
expect parent heap[2] private
",
    );
    let out = forkscope(&["check", path.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("source line"), "{stdout}");
    let row = stdout
        .lines()
        .find(|l| l.contains("6: expect child faults 5"))
        .expect("a row for line 6");
    assert!(
        row.contains("fails: its last operation took 1 fault"),
        "{row}"
    );
    assert!(
        !stdout.contains("7: expect parent heap[2] private"),
        "{stdout}"
    );
}

#[test]
fn json_output_names_each_scenario_and_its_status() {
    let out = forkscope(&["check", "--json", "orphans"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["scenarios"][0]["name"], "orphans");
    assert_eq!(doc["scenarios"][0]["status"], "agree");
}

#[test]
fn kernel_steps_are_given_when_asked_with_the_kernels_changes_at_each_step() {
    let out = forkscope(&["check", "--json", "cow-after-fork"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = &doc["scenarios"][0];
    assert_eq!(
        s["kernel_steps"],
        serde_json::Value::Null,
        "not asked: {s:#}"
    );
    assert!(doc["kernel_release"].is_string(), "{doc:#}");
    let out = forkscope(&["check", "--json", "--kernel-steps", "cow-after-fork"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = &doc["scenarios"][0];
    let steps = s["kernel_steps"].as_array().expect("asked");
    assert_eq!(steps.len() as u64, s["steps"].as_u64().unwrap());
    // Step 3 writes heap[0..8] in `parent`: 8 faults, 8 new frames.
    let third = &steps[2];
    assert_eq!(
        (third["step"].as_u64(), third["line"].as_u64()),
        (Some(3), Some(5))
    );
    let parent = &third["changes"]["processes"]["parent"];
    assert_eq!(parent["last_op"]["faults"], 8, "{third:#}");
    assert_eq!(parent["pages"][0]["to"], 8, "{third:#}");
    if doc["frames_visible"] == true {
        // Frames numbered 1, 2, 3... by first appearance, not PFNs.
        let frames: Vec<&str> = third["changes"]["frames"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(frames, ["1", "2", "3", "4", "5", "6", "7", "8"]);
    }
}

#[test]
fn calibrate_measures_the_page_size_and_pipe_size() {
    let out = forkscope(&["calibrate", "--json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let figures = doc["figures"].as_array().unwrap();
    let find = |n: &str| figures.iter().find(|f| f["name"] == n).unwrap()["measured"].clone();
    assert_eq!(find("page size"), "4096");
    assert_eq!(find("pipe size (F_GETPIPE_SZ)"), "65536");
}

#[test]
fn a_spawned_programs_exit_is_replayed_with_its_parents_loop_every_step() {
    let text = "node main\n\
                main: const c = child_process.spawn('cat')\n\
                c: send c-stdout.1 \"hi\\n\"\n\
                c: exit 0\n\
                expect c-stdout.0 queued 0\n";
    let path = std::env::temp_dir().join(format!("forkscope-program-{}.scn", std::process::id()));
    std::fs::write(&path, text).unwrap();
    let out = forkscope(&["check", "--json", path.to_str().unwrap()]);
    let _ = std::fs::remove_file(&path);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = &doc["scenarios"][0];
    let mut sim = sim_core::engine::Sim::from_source(text).unwrap();
    sim.run_to_end().unwrap();
    // The model ran the exit as a group (the parent's loop after it); the
    // kernel ran every one of those steps too.
    let exit_group = sim
        .steps()
        .iter()
        .filter(|s| s.group.as_ref().is_some_and(|g| g.pos.line == 4))
        .count();
    assert!(exit_group > 5, "{exit_group}");
    assert_eq!(s["steps"].as_u64(), Some(sim.steps().len() as u64), "{s:#}");
    assert_eq!(s["status"], "agree", "{s:#}");
}
