//! Scenarios that parse but cannot run: one test per run-time error class,
//! each pinning the exact `line:col: message` a learner sees.

use sim_core::engine::Sim;

/// Run `source` to its end and return the error that stopped it.
fn run_error(source: &str) -> String {
    let mut sim = Sim::from_source(source).expect("the scenario parses");
    let err = sim
        .run_to_end()
        .expect_err("the scenario stops with an error");
    assert_eq!(
        sim.error(),
        Some(&err),
        "the sim keeps the error that stopped it"
    );
    err.to_string()
}

#[test]
fn an_operation_by_an_unknown_process_suggests_the_close_name() {
    let source = "process parent\nparnet: mmap heap 2\n";
    assert_eq!(
        run_error(source),
        "2:1: no process is named \"parnet\"; did you mean \"parent\"?"
    );
}

#[test]
fn an_operation_by_a_misspelt_child_suggests_the_child() {
    let source = "process parent\nparent: fork child\nchidl: exit 0\n";
    assert_eq!(
        run_error(source),
        "3:1: no process is named \"chidl\"; did you mean \"child\"?"
    );
}

#[test]
fn an_expect_naming_an_unknown_process_suggests_the_close_name() {
    let source = "process parent\nparent: mmap heap 1\nexpect parnet state running\n";
    assert_eq!(
        run_error(source),
        "3:8: no process is named \"parnet\"; did you mean \"parent\"?"
    );
}

#[test]
fn waiting_for_a_name_nothing_resembles_has_no_suggestion() {
    let source = "process parent\nparent: wait nobody\n";
    assert_eq!(run_error(source), "2:14: no process is named \"nobody\"");
}

#[test]
fn an_operation_on_an_unknown_region_suggests_the_close_name() {
    let source = "process parent\nparent: mmap heap 2\nparent: write haep 0\n";
    assert_eq!(
        run_error(source),
        "3:15: parent has no region named \"haep\"; did you mean \"heap\"?"
    );
}

#[test]
fn an_expect_on_an_unknown_region_suggests_the_close_name() {
    let source = "process parent\nparent: mmap heap 2\nexpect parent haep[0] absent\n";
    assert_eq!(
        run_error(source),
        "3:15: parent has no region named \"haep\"; did you mean \"heap\"?"
    );
}

#[test]
fn a_region_is_unknown_after_exec_released_it() {
    let source = "process p\np: mmap heap 2\np: fork c\nc: exec /bin/true\nc: read heap 0\n";
    assert_eq!(run_error(source), "5:9: c has no region named \"heap\"");
}

#[test]
fn a_region_is_unknown_after_munmap() {
    let source = "process p\np: mmap heap 2\np: munmap heap\np: write heap 0\n";
    assert_eq!(run_error(source), "4:10: p has no region named \"heap\"");
}

#[test]
fn a_page_past_the_end_of_its_region_is_out_of_range() {
    let source = "process parent\nparent: mmap heap 2\nparent: write heap 2\n";
    assert_eq!(
        run_error(source),
        "3:15: page 2 is out of range: heap has 2 pages (0..2)"
    );
}

#[test]
fn a_range_running_past_the_end_names_its_last_page() {
    let source = "process parent\nparent: mmap heap 2\nparent: read heap 1..5\n";
    assert_eq!(
        run_error(source),
        "3:14: page 4 is out of range: heap has 2 pages (0..2)"
    );
}

#[test]
fn an_expect_on_a_page_out_of_range_is_an_error() {
    let source = "process parent\nparent: mmap heap 2\nexpect parent heap[7] absent\n";
    assert_eq!(
        run_error(source),
        "3:15: page 7 is out of range: heap has 2 pages (0..2)"
    );
}

#[test]
fn a_zombie_can_do_nothing_more() {
    let source = "process parent\nparent: fork child\nchild: exit 0\nchild: exit 1\n";
    assert_eq!(
        run_error(source),
        "4:1: child is gone: it has exited with status 0, so it can do nothing more"
    );
}

#[test]
fn a_reaped_process_can_do_nothing_more() {
    let source =
        "process parent\nparent: fork child\nchild: exit 300\nparent: wait\nchild: mmap heap 1\n";
    assert_eq!(
        run_error(source),
        "5:1: child is gone: it has exited with status 44, so it can do nothing more"
    );
}

#[test]
fn a_process_blocked_in_wait_names_the_line_that_blocked_it() {
    let source = "process parent\nparent: fork child\nparent: wait child\nparent: mmap heap 1\n";
    assert_eq!(
        run_error(source),
        "4:1: parent is blocked in \"wait\" since step 3 (line 3); another process must wake it first"
    );
}

#[test]
fn a_second_process_with_the_same_name_is_a_duplicate() {
    let source = "process parent\nprocess parent\n";
    assert_eq!(
        run_error(source),
        "2:9: \"parent\" is already used (line 1); pick another name"
    );
}

#[test]
fn forking_a_child_with_a_used_name_is_a_duplicate() {
    let source = "process parent\nparent: fork child\nparent: fork child\n";
    assert_eq!(
        run_error(source),
        "3:14: \"child\" is already used (line 2); pick another name"
    );
}

#[test]
fn a_second_region_with_the_same_name_is_a_duplicate() {
    let source = "process parent\nparent: mmap heap 2\nparent: mmap heap 4\n";
    assert_eq!(
        run_error(source),
        "3:14: \"heap\" is already used (line 2); pick another name"
    );
}

#[test]
fn an_expect_before_any_process_is_an_error() {
    let source = "say hello\nexpect p state running\nprocess p\n";
    let sim = Sim::from_source(source).expect("the scenario parses");
    let err = sim.error().expect("the sim refuses it at once").to_string();
    assert_eq!(
        err,
        "2:1: this expect comes before any process; start with \"process NAME\""
    );
    assert_eq!(sim.intro(), ["hello".to_string()]);
}

#[test]
fn a_stopped_run_keeps_its_error_and_its_earlier_steps() {
    let source =
        "process parent\nparent: mmap heap 2\nparent: write heap 9\nparent: write heap 0\n";
    let mut sim = Sim::from_source(source).expect("the scenario parses");
    let first = sim.run_to_end().expect_err("the write is out of range");
    let again = sim.step().expect_err("the run stays stopped");
    assert_eq!(first, again);
    assert_eq!(sim.steps().len(), 2);
    assert!(sim.world(2).is_some());
    assert!(sim.world(3).is_none());
}
