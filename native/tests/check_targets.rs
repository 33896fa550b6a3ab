//! `forkscope check` and `forkscope run` read a target by one rule
//! (`source::load`): a name without '/' and not ending in .scn is a lesson
//! even when a file of that name exists; `./name` and `name.scn` are files.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Mutex;

/// All tests that start processes share this lock (as nix's FORK_MTX).
static FORK_MTX: Mutex<()> = Mutex::new(());

fn forkscope(args: &[&str], dir: &Path) -> Output {
    let _guard = FORK_MTX.lock().unwrap_or_else(|e| e.into_inner());
    Command::new(env!("CARGO_BIN_EXE_forkscope"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

/// The title `run --json` and `check --json` see for `target`, and the name
/// `check` reports.
fn titles(target: &str, dir: &Path) -> (String, String, String) {
    let run = json(&forkscope(&["run", "--json", target], dir));
    let check = json(&forkscope(&["check", "--json", target], dir));
    let one = &check["scenarios"][0];
    assert_eq!(one["status"], "agree", "{check}");
    (
        run["title"].as_str().unwrap_or_default().to_string(),
        one["title"].as_str().unwrap_or_default().to_string(),
        one["name"].as_str().unwrap_or_default().to_string(),
    )
}

#[test]
fn run_and_check_pick_the_same_scenario_for_a_file_named_like_a_lesson() {
    let dir = std::env::temp_dir().join(format!("forkscope-targets-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = "title a file named like a lesson\nprocess solo\nsolo: mmap heap 1\n";
    std::fs::write(dir.join("orphans"), text).unwrap();
    std::fs::write(dir.join("orphans.scn"), text).unwrap();
    let lesson = "Orphans are adopted by init";
    let file = "a file named like a lesson";
    assert_eq!(
        titles("orphans", &dir),
        (lesson.into(), lesson.into(), "orphans".into())
    );
    assert_eq!(
        titles("./orphans", &dir),
        (file.into(), file.into(), "./orphans".into())
    );
    assert_eq!(
        titles("orphans.scn", &dir),
        (file.into(), file.into(), "orphans.scn".into())
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_path_that_is_missing_is_an_error_not_the_lesson() {
    let dir =
        std::env::temp_dir().join(format!("forkscope-targets-missing-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = forkscope(&["check", "orphans.scn"], &dir);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(stdout.contains("cannot read orphans.scn"), "{stdout}");
    assert!(
        stdout.contains("named without '/' or .scn: orphans."),
        "{stdout}"
    );
}
