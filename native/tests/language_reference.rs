//! docs/scenario-language.md, the reference a scenario's writer reads, is
//! held to the code: every example in it runs as it says, every trace in it
//! is what `forkscope run` prints, and it documents exactly the words the
//! parser accepts (`sim_core::scenario::keyword::all`).
//!
//! The reference's fenced blocks, by their info string:
//! - `scn`: a scenario that parses and runs to its end, every expect holding;
//! - `scn fails`: the same, but each expect whose line has a `# fails`
//!   comment fails, and only those;
//! - `scn error`: a scenario that stops with the error its `# error: ` line
//!   gives (`LINE:COL: message`), whether the parser, the check that there
//!   is a step, or the run finds it;
//! - `trace`: what `forkscope run my.scn` prints on stdout, `my.scn` being
//!   the scenario block just before it;
//! - `stderr`: what it prints on stderr, likewise;
//! - `syntax`: syntax lines, whose lowercase words are the language's words
//!   and whose capitalised words are placeholders.
//!
//! A block with any other info string (or none) fails the test, so no
//! example escapes being run. The examples that run to their end are also
//! replayed on the kernel (`forkscope check`, as root): what the reference
//! teaches is what Linux does.

mod common;

use sim_core::engine::Sim;
use sim_core::errno::Errno;
use sim_core::scenario::keyword;
use sim_core::scenario::source::require_statements;
use sim_core::sig::Signal;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The reference, read from the repository.
fn reference() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/scenario-language.md");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{} cannot be read: {e}", path.display()))
}

/// One fenced block: its info string, its text, and the line of the
/// reference its first line of text is on.
#[derive(Clone, Debug)]
struct Block {
    info: String,
    text: String,
    line: usize,
}

/// Every fenced block of a Markdown text (fences of three backticks).
fn blocks(markdown: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut open: Option<Block> = None;
    for (i, line) in markdown.lines().enumerate() {
        match (&mut open, line.strip_prefix("```")) {
            (None, Some(info)) => {
                open = Some(Block {
                    info: info.trim().to_string(),
                    text: String::new(),
                    line: i + 2,
                })
            }
            (Some(_), Some("")) => out.extend(open.take()),
            (Some(block), _) => {
                block.text.push_str(line);
                block.text.push('\n');
            }
            (None, None) => {}
        }
    }
    assert!(open.is_none(), "a fenced block is never closed");
    out
}

/// Parse, check that there is a step, and run to the end.
fn run(text: &str) -> Result<Sim, sim_core::scenario::ScenarioError> {
    let scenario = sim_core::scenario::parse(text)?;
    require_statements(&scenario, text)?;
    let mut sim = Sim::new(scenario);
    sim.run_to_end()?;
    Ok(sim)
}

/// The lines (1-based) of the expects a `scn fails` block marks `# fails`.
fn marked_to_fail(text: &str) -> BTreeSet<u32> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.contains("# fails"))
        .map(|(i, _)| i as u32 + 1)
        .collect()
}

const KINDS: &[&str] = &["scn", "scn fails", "scn error", "trace", "stderr", "syntax"];

#[test]
fn every_block_of_the_reference_is_of_a_kind_the_test_runs() {
    let reference = reference();
    let blocks = blocks(&reference);
    assert!(blocks.len() > 40, "only {} blocks found", blocks.len());
    for block in blocks {
        assert!(
            KINDS.contains(&block.info.as_str()),
            "docs/scenario-language.md:{}: a block of kind {:?}; use one of {KINDS:?}",
            block.line,
            block.info
        );
    }
}

/// What is wrong with one example, or None when it runs as its block says.
fn judge(block: &Block) -> Option<String> {
    match block.info.as_str() {
        "scn" => match run(&block.text) {
            Err(e) => Some(format!("stops with {e}")),
            Ok(sim) => {
                let failed: Vec<String> = sim
                    .failed_expects()
                    .map(|e| format!("line {}: {:?}", e.pos.line, e.verdict))
                    .collect();
                (!failed.is_empty()).then(|| format!("expects fail: {failed:?}"))
            }
        },
        "scn fails" => match run(&block.text) {
            Err(e) => Some(format!("stops with {e}")),
            Ok(sim) => {
                let failed: BTreeSet<u32> = sim.failed_expects().map(|e| e.pos.line).collect();
                let marked = marked_to_fail(&block.text);
                if marked.is_empty() {
                    Some("no expect is marked # fails".into())
                } else {
                    (failed != marked).then(|| {
                        format!("the expects of lines {failed:?} fail, not those of {marked:?}")
                    })
                }
            }
        },
        "scn error" => {
            let Some(want) = block
                .text
                .lines()
                .find_map(|l| l.trim_start().strip_prefix("# error: "))
            else {
                return Some("no \"# error: \" line".into());
            };
            match run(&block.text) {
                Ok(_) => Some(format!("runs without the error {want:?}")),
                Err(err) if err.to_string() == want => None,
                Err(err) => Some(format!("stops with {:?}, not {want:?}", err.to_string())),
            }
        }
        _ => None,
    }
}

#[test]
fn every_example_runs_as_the_reference_says() {
    let blocks = blocks(&reference());
    let examples: Vec<&Block> = blocks
        .iter()
        .filter(|b| b.info.starts_with("scn"))
        .collect();
    assert!(examples.len() > 40, "only {} examples", examples.len());
    let wrong: Vec<String> = examples
        .iter()
        .filter_map(|b| judge(b).map(|why| format!("docs/scenario-language.md:{}: {why}", b.line)))
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// A fresh folder for one test's example files.
fn scratch(test: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("language_reference-{test}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("the scratch folder can be made");
    dir
}

#[test]
fn every_trace_in_the_reference_is_what_forkscope_run_prints() {
    let dir = scratch("trace");
    let blocks = blocks(&reference());
    let mut shown = 0;
    for (i, block) in blocks.iter().enumerate() {
        if block.info != "trace" && block.info != "stderr" {
            continue;
        }
        let at = format!("docs/scenario-language.md:{}", block.line);
        let scenario = i
            .checked_sub(1)
            .map(|j| &blocks[j])
            .filter(|b| b.info.starts_with("scn"))
            .unwrap_or_else(|| panic!("{at}: a {} follows no scenario block", block.info));
        let folder = dir.join(format!("example-{i}"));
        std::fs::create_dir_all(&folder).expect("the example's folder can be made");
        std::fs::write(folder.join("my.scn"), &scenario.text).expect("the example can be written");
        let out = Command::new(env!("CARGO_BIN_EXE_forkscope"))
            .args(["run", "my.scn"])
            .current_dir(&folder)
            .output()
            .expect("forkscope runs");
        let printed = if block.info == "trace" {
            out.stdout
        } else {
            out.stderr
        };
        let printed = String::from_utf8(printed).expect("forkscope prints UTF-8");
        assert_eq!(printed, block.text, "{at}");
        shown += 1;
    }
    assert!(shown >= 2, "the reference shows no trace or no error");
}

#[test]
fn every_example_that_runs_agrees_with_the_kernel() {
    let dir = scratch("kernel");
    let blocks = blocks(&reference());
    let examples: Vec<(PathBuf, &Block)> = blocks
        .iter()
        .filter(|b| b.info == "scn" || b.info == "scn fails")
        .enumerate()
        .map(|(i, b)| {
            let path = dir.join(format!("example-{i:02}.scn"));
            std::fs::write(&path, &b.text).expect("the example can be written");
            (path, b)
        })
        .collect();
    assert!(examples.len() > 30, "only {} examples", examples.len());
    let paths: Vec<&PathBuf> = examples.iter().map(|(p, _)| p).collect();
    // One run for all of them: this file is its own test binary, so no
    // other test of it forks at the same time.
    let (_, doc) = common::check_json(&paths);
    assert_eq!(doc["frames_visible"], true, "run the examples as root");
    let results = doc["scenarios"].as_array().expect("a list of scenarios");
    assert_eq!(results.len(), examples.len(), "{doc:#}");
    let wrong: Vec<String> = results
        .iter()
        .zip(&examples)
        .filter(|(result, (_, block))| {
            if block.info == "scn" {
                return !agrees_but_on_node_events(result);
            }
            // `scn fails`: both sides agree, and fail on the marked lines.
            let expects = result["expects"].as_array().into_iter().flatten();
            let failing: BTreeSet<u32> = expects
                .clone()
                .filter(|e| e["kernel"].get("Err").is_some())
                .filter_map(|e| e["line"].as_u64().map(|l| l as u32))
                .collect();
            result["status"] != "agree"
                || !result["error"].is_null()
                || expects.clone().any(|e| e["status"] != "agree")
                || failing != marked_to_fail(&block.text)
        })
        .map(|(result, (_, block))| {
            format!(
                "docs/scenario-language.md:{}: {}",
                block.line,
                common::describe(result)
            )
        })
        .collect();
    assert!(
        wrong.is_empty(),
        "examples of the reference that the kernel does not bear out:\n\n{}",
        wrong.join("\n")
    );
}

/// Whether a `check` result agrees fully, but for the expects on Node
/// events, which the kernel cannot judge (it shows no Node events): those
/// must hold in the model and be the model's alone (`model_only`).
fn agrees_but_on_node_events(result: &serde_json::Value) -> bool {
    let node_only = |e: &serde_json::Value| {
        e["status"] == "model_only"
            && e["kernel"].is_null()
            && e["model"] == serde_json::json!({"Ok": null})
    };
    result["status"] == "agree"
        && result["error"].is_null()
        && result["expects"].as_array().into_iter().flatten().all(|e| {
            node_only(e)
                || (e["status"] == "agree" && e["kernel"] == serde_json::json!({"Ok": null}))
        })
}

/// The language's words in the `syntax` blocks: lowercase words between
/// spaces, brackets and bars (`[shared]`, `same|new`), or camelCase ones
/// (node's event `internalMessage`). Placeholders are capitalised; `P.r`,
/// `R[I]` and `"TEXT"` are not words.
fn syntax_words(reference: &str) -> BTreeSet<String> {
    blocks(reference)
        .into_iter()
        .filter(|b| b.info == "syntax")
        .flat_map(|b| {
            b.text
                .split(|c: char| c.is_whitespace() || "[]|:".contains(c))
                .filter(|w| {
                    w.starts_with(|c: char| c.is_ascii_lowercase())
                        && w.chars().all(|c| c.is_ascii_alphabetic())
                })
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn the_reference_documents_every_word_the_parser_accepts_and_no_other() {
    let reference = reference();
    let documented = syntax_words(&reference);
    let parsed: BTreeSet<String> = keyword::all().iter().map(|k| k.word.to_string()).collect();
    let undocumented: Vec<_> = parsed.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "the parser accepts words docs/scenario-language.md's syntax lines do not show: {undocumented:?}"
    );
    let unknown: Vec<_> = documented.difference(&parsed).collect();
    assert!(
        unknown.is_empty(),
        "docs/scenario-language.md's syntax lines show words the parser does not accept: {unknown:?}"
    );
}

#[test]
fn every_word_of_the_language_is_used_in_an_example_that_runs() {
    let reference = reference();
    let mut used = BTreeSet::new();
    for block in blocks(&reference) {
        if block.info != "scn" && block.info != "scn fails" {
            continue;
        }
        for line in block.text.lines() {
            let code = line.split(" #").next().unwrap_or(line);
            for word in code.split(|c: char| c.is_whitespace() || c == ':') {
                used.insert(word.to_string());
            }
        }
    }
    for k in keyword::all() {
        assert!(
            used.contains(k.word),
            "no example that runs uses {:?} ({:?})",
            k.word,
            k.role
        );
    }
}

#[test]
fn the_reference_shows_every_unit_a_byte_count_takes_in_an_example_that_runs() {
    let reference = reference();
    let examples: String = blocks(&reference)
        .into_iter()
        .filter(|b| b.info == "scn")
        .map(|b| b.text)
        .collect();
    for (unit, _) in keyword::BYTE_UNITS {
        assert!(
            reference.contains(&format!("`{unit}`")),
            "the reference does not name the unit {unit}"
        );
        let used = examples.split_whitespace().any(|w| {
            w.strip_suffix(unit)
                .is_some_and(|d| d.parse::<u64>().is_ok())
        });
        assert!(used, "no example that runs uses the unit {unit}");
    }
}

#[test]
fn the_reference_names_every_signal_and_every_errno() {
    let reference = reference();
    let words: BTreeSet<&str> = reference
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '+' || c == '-'))
        .collect();
    for signal in Signal::all().filter(|s| s.number() <= 31) {
        let name = signal.to_string();
        assert!(
            words.contains(name.as_str()),
            "{name} is not in the reference"
        );
    }
    for name in ["SIGPOLL", "SIGRTMIN", "SIGRTMAX"] {
        assert!(words.contains(name), "{name} is not in the reference");
    }
    for errno in Errno::ALL {
        assert!(
            words.contains(errno.name()),
            "{} is not in the reference",
            errno.name()
        );
    }
}
