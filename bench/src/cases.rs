//! The scenarios the scale benchmarks run, generated from code (so that no
//! large file is committed), each a plain scenario a user could have
//! written.
//!
//! Every generated text must fit the 1 MiB limit of a scenario file
//! (`MAX_SOURCE_BYTES`), since `forkscope run` refuses a larger one. That
//! is why the 100,000-step run is written tersely (`p:write h 3`, the
//! `actor:op` form the language accepts): 100,000 statements leave about
//! 10 bytes a line.

use std::fmt::Write as _;

/// 1 GiB in 4 KiB pages.
pub const GIB_PAGES: u32 = 262_144;

/// The small region the 1 GiB region is measured against.
pub const SMALL_PAGES: u32 = 16;

/// `process p`, `p: mmap heap PAGES`, then `writes` one-page writes, to
/// page `i % 16` at write `i`: the very same writes in any region of at
/// least 16 pages, so that the region's size is the only difference.
/// Steps: `2 + writes`.
pub fn one_page_writes(pages: u32, writes: u32) -> String {
    let mut text = format!("process p\np: mmap heap {pages}\n");
    for i in 0..writes {
        let _ = writeln!(text, "p: write heap {}", i % SMALL_PAGES);
    }
    text
}

/// `process p`, then `p: fork c0` .. `p: fork c{n-1}`: `n` children of one
/// parent, all alive at the end. Steps: `1 + n`.
pub fn flat_forks(n: u32) -> String {
    let mut text = String::from("process p\n");
    for i in 0..n {
        let _ = writeln!(text, "p: fork c{i}");
    }
    text
}

/// A run of exactly `steps` steps (at least 3) on one process with a
/// 10-page heap: a write, a read and a `wait` (no child: ECHILD) in turn,
/// on pages drawn by a fixed xorshift; every 10,000 steps a child forks,
/// writes a page (a copy-on-write fault), exits and is reaped.
pub fn long_run(steps: u32) -> String {
    let mut text = String::from("process p\np:mmap h 10\n");
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut page = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % 10
    };
    let mut n = 2;
    let mut child = 0;
    while n < steps {
        if n % 10_000 == 0 && steps - n >= 4 {
            let _ = write!(
                text,
                "p:fork c{child}\nc{child}:write h 3\nc{child}:exit 0\np:wait c{child}\n"
            );
            child += 1;
            n += 4;
            continue;
        }
        match n % 3 {
            0 => {
                let _ = writeln!(text, "p:write h {}", page());
            }
            1 => {
                let _ = writeln!(text, "p:read h {}", page());
            }
            _ => text.push_str("p:wait\n"),
        }
        n += 1;
    }
    text
}

/// `n` processes that each do something: `p` maps and writes a 16-page
/// heap, forks `c0` .. `c{n-1}`; then each child writes one page (a
/// copy-on-write fault), then each exits, then `p` reaps each by name.
/// Steps: `3 + 4n`.
pub fn many_processes(n: u32) -> String {
    let mut text =
        format!("process p\np: mmap heap {SMALL_PAGES}\np: write heap 0..{SMALL_PAGES}\n");
    for i in 0..n {
        let _ = writeln!(text, "p: fork c{i}");
    }
    for i in 0..n {
        let _ = writeln!(text, "c{i}: write heap {}", i % SMALL_PAGES);
    }
    for i in 0..n {
        let _ = writeln!(text, "c{i}: exit 0");
    }
    for i in 0..n {
        let _ = writeln!(text, "p: wait c{i}");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::engine::Sim;
    use sim_core::scenario::ast::StatementKind;
    use sim_core::scenario::source::MAX_SOURCE_BYTES;

    /// Parses `text` as `forkscope run` would and counts its steps.
    fn steps_of(text: &str) -> usize {
        assert!(
            text.len() <= MAX_SOURCE_BYTES,
            "{} bytes is over the scenario file limit",
            text.len()
        );
        let scenario = sim_core::scenario::parse(text).expect("a generated scenario parses");
        scenario
            .statements
            .iter()
            .filter(|s| {
                matches!(
                    s.kind,
                    StatementKind::Process { .. } | StatementKind::Op { .. }
                )
            })
            .count()
    }

    #[test]
    fn the_largest_generated_scenarios_parse_fit_a_file_and_have_the_steps_they_promise() {
        assert_eq!(steps_of(&one_page_writes(GIB_PAGES, 3000)), 3002);
        assert_eq!(steps_of(&flat_forks(4000)), 4001);
        assert_eq!(steps_of(&long_run(100_000)), 100_000);
        assert_eq!(steps_of(&long_run(10_000)), 10_000);
        assert_eq!(steps_of(&many_processes(4000)), 16_003);
    }

    #[test]
    fn small_versions_of_every_scenario_run_in_the_model_without_error() {
        let texts = [
            one_page_writes(SMALL_PAGES, 40),
            one_page_writes(GIB_PAGES, 40),
            flat_forks(20),
            long_run(20_010),
            many_processes(20),
        ];
        for text in texts {
            let mut sim = Sim::from_source(&text).expect("parses");
            sim.run_to_end().expect("runs to the end");
            assert_eq!(sim.steps().len(), steps_of(&text));
        }
    }
}
