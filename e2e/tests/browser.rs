//! The web app end to end: the release build served on 127.0.0.1 and
//! driven by headless Chromium through WebDriver, as a learner would use
//! it. Built only with `--features browser`; needs `FORKSCOPE_DIST` (see
//! the crate's docs). Each test runs alone (one browser at a time), so the
//! speed figures are not disturbed by another test's browser.
//!
//! Expected content comes from sim-core in this process: the narration of
//! a step is exactly what `forkscope run --json` gives for it (the same
//! `Sim` computes both).

use e2e::browser::Browser;
use e2e::link::encode_text;
use e2e::measure::{self, Action};
use serde_json::json;
use sim_core::engine::Sim;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One browser at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Run a browser test: alone, on a runtime of its own.
fn in_browser(test: impl std::future::Future<Output = ()>) {
    // A test that failed holding the lock poisoned it; the next may run.
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(test);
}

/// A scenario run to its end in the model.
fn model(text: &str) -> Sim {
    let mut sim = Sim::from_source(text).expect("the scenario parses");
    sim.run_to_end().expect("the scenario runs to its end");
    sim
}

/// What `#narration` must read at `step` (1-based): the step's narration
/// then its `say` lines, whitespace collapsed.
fn narration_of(sim: &Sim, step: u32) -> String {
    let s = &sim.steps()[step as usize - 1];
    let mut parts = vec![s.narration.clone()];
    parts.extend(s.says.iter().cloned());
    collapse(&parts.join(" "))
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

const COW: &str = "cow-after-fork";

/// The step of the COW lesson where the child writes the shared page, and
/// the frame the write gets (a frame with no user before the step).
fn cow_childs_write(sim: &Sim) -> (u32, u64) {
    let step = sim
        .steps()
        .iter()
        .find(|s| s.actor.as_deref() == Some("child") && s.source.contains("write"))
        .expect("the COW lesson has the child write")
        .index;
    let changes = sim.changes(step).expect("the step's changes");
    let (&frame, _) = changes
        .frames
        .iter()
        .find(|(_, users)| users.before == 0)
        .expect("the child's write allocates a frame");
    (step, frame)
}

/// Press Next step until the counter reads `to` (predictions off).
async fn step_to(b: &Browser, to: u32) {
    let (mut at, _) = b.counter().await;
    while at < to {
        b.press("Next step").await;
        at += 1;
        b.wait_step(at).await;
    }
}

/// The memory view's selectors this relies on are only `#view-memory`
/// and its text: the new frame's name (`F9`), and the word "new" more
/// often than at the step before (the view's NEW badge, "1 new" in its
/// totals).
#[test]
fn the_childs_write_in_the_cow_lesson_shows_a_new_frame_and_the_models_narration_and_stepping_back_returns(
) {
    in_browser(async {
        let lesson = sim_core::lessons::find(COW).expect("the COW lesson");
        let sim = model(lesson.source);
        let (write, frame) = cow_childs_write(&sim);
        let label = format!("F{frame}");

        let b = Browser::start().await;
        b.open(&format!("?lesson={COW}")).await;
        b.set_predictions(false).await;
        step_to(&b, write - 1).await;
        let before = b.text_content("#view-memory").await;
        let narration_before = collapse(&b.inner_text("#narration").await);
        assert!(
            !before.contains(&label),
            "before the child's write, no {label} yet; the memory view reads:\n{before}"
        );

        b.press("Next step").await;
        b.wait_step(write).await;
        let after = b.text_content("#view-memory").await;
        // "new" may be in a legend at every step: the step marks the frame
        // new when the word is there more often than before.
        let news = |t: &str| t.to_lowercase().matches("new").count();
        assert!(
            after.contains(&label) && news(&after) > news(&before),
            "at the child's write (step {write}) the memory view shows {label} as new; it reads:\n{after}"
        );
        assert_eq!(
            collapse(&b.inner_text("#narration").await),
            narration_of(&sim, write),
            "the narration at step {write} is the model's"
        );
        assert!(
            narration_of(&sim, write).contains("copies")
                && narration_of(&sim, write).contains(&label),
            "the model's narration of the child's write says the kernel copies into {label}"
        );
        b.shoot_element("#view-memory", "cow-childs-write-memory")
            .await;

        b.press("Previous step").await;
        b.wait_step(write - 1).await;
        assert_eq!(
            b.text_content("#view-memory").await,
            before,
            "stepping back shows the memory view as it was at step {}",
            write - 1
        );
        let narration_back = collapse(&b.inner_text("#narration").await);
        assert_eq!(narration_back, narration_before);
        assert_eq!(narration_before, narration_of(&sim, write - 1));
        b.close().await;
    });
}

#[test]
fn with_predictions_on_next_first_asks_about_a_step_with_expects_and_a_second_next_reveals_it() {
    in_browser(async {
        let sim = model(sim_core::lessons::find(COW).expect("the COW lesson").source);
        let asked = sim
            .steps()
            .iter()
            .find(|s| !s.expects.is_empty())
            .expect("the COW lesson has expects")
            .index;

        let b = Browser::start().await;
        b.open(&format!("?lesson={COW}&step={}", asked - 1)).await;
        b.set_predictions(true).await;
        b.press("Next step").await;
        b.wait_js(
            "the prediction prompt",
            "return document.querySelector('section[aria-label=Prediction]') !== null;",
        )
        .await;
        assert_eq!(
            collapse(&b.inner_text("#narration").await),
            narration_of(&sim, asked - 1),
            "while asking, the step before is still shown"
        );
        b.shoot_page("prediction-asked").await;
        b.press("Next step").await;
        b.wait_js(
            "the prediction to be revealed",
            "return document.querySelector('section[aria-label=Prediction]') === null;",
        )
        .await;
        b.wait_step(asked).await;
        assert_eq!(
            collapse(&b.inner_text("#narration").await),
            narration_of(&sim, asked)
        );
        b.close().await;
    });
}

#[test]
fn play_steps_on_by_itself_until_pause_and_first_and_last_jump_to_the_ends() {
    in_browser(async {
        let b = Browser::start().await;
        // A long lesson, so that at 20 steps/s play is still going when the
        // test presses Pause (about 8 s of play).
        b.open("?lesson=pipe-fills-up").await;
        b.set_predictions(false).await;
        let (_, total) = b.counter().await;
        b.client()
            .find(fantoccini::Locator::Css("select[aria-label=Speed]"))
            .await
            .expect("a Speed select")
            .select_by_value("20")
            .await
            .expect("20 steps/s can be chosen");
        b.press("Play").await;
        b.wait_js(
            "Play to become Pause",
            "return document.querySelector('button[aria-label=Pause]') !== null;",
        )
        .await;
        b.wait_js(
            "play to reach step 3",
            "const m = /^Step (\\d+) of/.exec(document.getElementById('step-counter').textContent.trim()); \
             return !!m && Number(m[1]) >= 3;",
        )
        .await;
        b.press("Pause").await;
        b.wait_js(
            "Pause to become Play",
            "return document.querySelector('button[aria-label=Play]') !== null;",
        )
        .await;
        let (paused, _) = b.counter().await;
        assert!(paused >= 3, "play moved on to step {paused}");
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(b.counter().await.0, paused, "paused, the step stays");

        b.press("Last step").await;
        b.wait_step(total).await;
        b.press("First step").await;
        b.wait_step(0).await;
        b.close().await;
    });
}

#[test]
fn a_shared_link_opens_its_lesson_or_its_scenario_at_its_step() {
    in_browser(async {
        let cow = model(sim_core::lessons::find(COW).expect("the COW lesson").source);
        let (write, _) = cow_childs_write(&cow);

        let b = Browser::start().await;
        b.open(&format!("?lesson={COW}&step={write}")).await;
        assert_eq!(b.counter().await, (write, cow.steps().len() as u32));
        assert_eq!(
            collapse(&b.inner_text("#narration").await),
            narration_of(&cow, write)
        );
        let picked = b
            .js(
                "return document.querySelector('select[aria-label=Lesson]').value;",
                vec![],
            )
            .await;
        assert_eq!(picked, json!(COW), "the Lesson picker shows the lesson");

        let text = "process p\np: mmap heap 4\np: write heap 0..4\np: fork c\nc: write heap 1\nsay The child copied page 1.\n";
        let sim = model(text);
        b.open(&format!("?scenario={}&step=3", encode_text(text)))
            .await;
        assert_eq!(b.counter().await, (3, sim.steps().len() as u32));
        let shown = b
            .js(
                "return document.querySelector('textarea[aria-label=Scenario]').value;",
                vec![],
            )
            .await;
        assert_eq!(shown, json!(text), "the editor holds the link's text");
        assert_eq!(
            collapse(&b.inner_text("#narration").await),
            narration_of(&sim, 3)
        );
        b.press("Last step").await;
        b.wait_step(5).await;
        assert!(b
            .inner_text("#narration")
            .await
            .contains("The child copied page 1."));
        b.close().await;
    });
}

#[test]
fn a_broken_line_typed_into_the_editor_is_shown_at_its_line_and_column_and_survives_a_reload() {
    in_browser(async {
        let b = Browser::start().await;
        b.open(&format!("?lesson={COW}")).await;
        let editor = b
            .client()
            .find(fantoccini::Locator::Css("textarea[aria-label=Scenario]"))
            .await
            .expect("the Scenario textarea");
        editor.click().await.expect("the editor takes focus");
        // Ctrl+End: to the end of the text, then type a line that cannot parse.
        let keys = format!(
            "{}{}",
            fantoccini::key::Key::Control,
            fantoccini::key::Key::End
        );
        editor
            .send_keys(&keys)
            .await
            .expect("keys reach the editor");
        editor
            .send_keys(&format!(
                "{}parent: frobnicate heap 2",
                fantoccini::key::Key::Null
            ))
            .await
            .expect("typing reaches the editor");
        b.wait_js(
            "the parse error",
            // The alert region is always on the page (a screen reader hears
            // what is put in it); the error is there once the text re-ran.
            "const a = document.querySelector('#editor-error[role=alert]'); \
             return a !== null && a.innerText.trim() !== '';",
        )
        .await;
        let typed = b
            .js(
                "return document.querySelector('textarea[aria-label=Scenario]').value;",
                vec![],
            )
            .await
            .as_str()
            .expect("the editor's text")
            .to_string();
        assert!(
            typed.ends_with("parent: frobnicate heap 2"),
            "typed: {typed:?}"
        );
        let err = Sim::from_source(&typed).expect_err("the typed text does not parse");
        let want = format!(
            "Line {}, column {}: {}",
            err.pos.line, err.pos.col, err.kind
        );
        assert_eq!(
            b.inner_text("#editor-error[role=alert]").await.trim(),
            want,
            "the inline error is the parser's, at its line and column"
        );
        assert_eq!(
            err.pos.line as usize,
            typed.lines().count(),
            "the error is on the typed line"
        );
        b.shoot_page("editor-parse-error").await;

        b.client().refresh().await.expect("the page reloads");
        b.wait_js(
            "the editor after the reload",
            "return document.querySelector('textarea[aria-label=Scenario]') !== null;",
        )
        .await;
        let after = b
            .js(
                "return document.querySelector('textarea[aria-label=Scenario]').value;",
                vec![],
            )
            .await;
        assert_eq!(after, json!(typed), "the typed text survived the reload");
        b.wait_js(
            "the parse error after the reload",
            // The alert region is always on the page (a screen reader hears
            // what is put in it); the error is there once the text re-ran.
            "const a = document.querySelector('#editor-error[role=alert]'); \
             return a !== null && a.innerText.trim() !== '';",
        )
        .await;
        assert_eq!(b.inner_text("#editor-error[role=alert]").await.trim(), want);

        // The lesson's own link brings the draft back too (from storage,
        // not from the address bar), and says so.
        b.client().goto("about:blank").await.expect("a blank page");
        b.client()
            .goto(&b.url(&format!("?lesson={COW}")))
            .await
            .expect("the lesson's link opens");
        b.wait_js(
            "the editor",
            "return document.querySelector('textarea[aria-label=Scenario]') !== null;",
        )
        .await;
        let draft = b
            .js(
                "return document.querySelector('textarea[aria-label=Scenario]').value;",
                vec![],
            )
            .await;
        assert_eq!(draft, json!(typed), "the lesson opens with the draft");
        let notice = b.inner_text("#notice").await;
        assert!(
            notice.contains("is back"),
            "the app says the draft is back; #notice reads {notice:?}"
        );
        b.close().await;
    });
}

#[test]
fn a_malformed_link_says_why_it_could_not_be_opened_and_opens_the_first_lesson() {
    in_browser(async {
        let data = encode_text("process p\np: mmap heap 4\n");
        let cases = [
            (
                format!("?scenario={}", &data[..data.len() / 2]),
                "truncated or damaged",
            ),
            ("?scenario=%%%".to_string(), "percent-encoding"),
            (
                "?lesson=no-such-lesson".to_string(),
                "no lesson called \"no-such-lesson\"",
            ),
            (format!("?lesson={COW}&step=seven"), "not a step number"),
        ];
        let b = Browser::start().await;
        for (i, (query, why)) in cases.iter().enumerate() {
            b.open(query).await;
            let notice = b.inner_text("#notice").await;
            assert!(
            notice.contains("could not be opened") && notice.contains(why),
            "{query}: the notice must say the link could not be opened because {why:?}; it reads {notice:?}"
        );
            let role = b
            .js(
                "const n = document.getElementById('notice'); return n && n.getAttribute('role');",
                vec![],
            )
            .await;
            assert_eq!(role, json!("status"));
            let picked = b
                .js(
                    "return document.querySelector('select[aria-label=Lesson]').value;",
                    vec![],
                )
                .await;
            assert_eq!(
                picked,
                json!(COW),
                "{query}: the first lesson opens instead"
            );
            if i == 0 {
                b.shoot_page("malformed-link-notice").await;
            }
        }
        b.close().await;
    });
}

/// The views, by id, as the app draws them.
const VIEWS: [&str; 6] = ["tree", "memory", "queues", "signals", "log", "kernel"];

#[test]
fn every_view_is_saved_as_a_screenshot_in_light_and_dark_and_has_a_heading() {
    in_browser(async {
        let cow = model(sim_core::lessons::find(COW).expect("the COW lesson").source);
        let (write, _) = cow_childs_write(&cow);
        // A lesson for each part of the machine, at a step where it is busy.
        let pages = [
            (COW.to_string(), write),
            ("pipe-fills-up".to_string(), 0),
            ("sigchld-coalesces".to_string(), 0),
            ("socketpair-buffer-fills".to_string(), 0),
        ];
        let b = Browser::start().await;
        for (lesson, step) in pages {
            let step = if step == 0 {
                let text = sim_core::lessons::find(&lesson).expect("the lesson").source;
                model(text).steps().len() as u32 * 2 / 3
            } else {
                step
            };
            b.open(&format!("?lesson={lesson}&step={step}")).await;
            for scheme in ["light", "dark"] {
                b.color_scheme(scheme);
                let dark = b
                    .js(
                        "return matchMedia('(prefers-color-scheme: dark)').matches;",
                        vec![],
                    )
                    .await;
                assert_eq!(
                    dark,
                    json!(scheme == "dark"),
                    "the page sees the {scheme} scheme"
                );
                b.shoot_page(&format!("{lesson}-step{step}-{scheme}")).await;
                for view in VIEWS {
                    let css = format!("#view-{view}");
                    let heading = b
                        .js(
                            "const v = document.querySelector(arguments[0]); if (!v) return null; \
                         const h = document.getElementById(v.getAttribute('aria-labelledby')); \
                         return h ? h.textContent.trim() : '';",
                            vec![json!(css)],
                        )
                        .await;
                    let heading = heading
                        .as_str()
                        .unwrap_or_else(|| panic!("{lesson}: there is no {css}"));
                    assert!(
                        !heading.is_empty(),
                        "{lesson}: {css} is labelled by a heading with text"
                    );
                    b.shoot_element(&css, &format!("{lesson}-step{step}-{scheme}-{view}"))
                        .await;
                }
            }
        }
        b.color_scheme("light");
        b.open(&format!("?lesson={COW}&step={write}&embed=1")).await;
        assert!(
            !b.exists("textarea[aria-label=Scenario]").await,
            "an embedded app shows no editor"
        );
        b.shoot_page("cow-embed").await;
        b.close().await;
    });
}

#[test]
fn the_time_to_the_first_lesson_is_reported_beside_the_load_of_the_page_itself() {
    in_browser(async {
        let b = Browser::start().await;
        let mut ready = Vec::new();
        println!("FIGURE first lesson, 5 fresh loads of ?lesson={COW} (ms after navigation start; nothing cached):");
        for i in 0..5 {
            b.client().goto("about:blank").await.expect("a blank page");
            b.client()
                .goto(&b.url(&format!("?lesson={COW}")))
                .await
                .expect("the app loads");
            b.wait_js(
                "the app's forkscope-ready mark",
                "return performance.getEntriesByName('forkscope-ready').length > 0;",
            )
            .await;
            let t = b
            .js(
                "const nav = performance.getEntriesByType('navigation')[0]; \
                 const wasm = performance.getEntriesByType('resource').find(r => r.name.endsWith('.wasm')); \
                 const fcp = performance.getEntriesByName('first-contentful-paint')[0]; \
                 return { html: nav.responseEnd, dcl: nav.domContentLoadedEventEnd, \
                   wasm: wasm ? wasm.responseEnd : null, \
                   fcp: fcp ? fcp.startTime : null, \
                   ready: performance.getEntriesByName('forkscope-ready')[0].startTime, \
                   title: !!document.querySelector('.lesson-title') };",
                vec![],
            )
            .await;
            assert_eq!(
                t["title"],
                json!(true),
                "the lesson's title is drawn at the mark"
            );
            let f = |k: &str| t[k].as_f64().map_or("-".to_string(), |v| format!("{v:.0}"));
            println!(
            "FIGURE   load {}: page html {} ms, DOMContentLoaded {}, wasm fetched {}, first paint {}, lesson drawn {}",
            i + 1,
            f("html"),
            f("dcl"),
            f("wasm"),
            f("fcp"),
            f("ready")
        );
            ready.push(t["ready"].as_f64().expect("the mark's time"));
        }
        let (median, _, max) = measure::summary(&ready);
        println!(
            "FIGURE first lesson drawn: median {median:.0} ms, max {max:.0} ms (target 1500 ms)"
        );
        b.close().await;
    });
}

#[test]
fn step_times_with_64_processes_of_1024_pages_are_reported_beside_a_small_lessons() {
    in_browser(async {
        let b = Browser::start().await;

        // Baseline: every step of the COW lesson.
        b.open(&format!("?lesson={COW}")).await;
        b.set_predictions(false).await;
        let (_, steps) = b.counter().await;
        let targets: Vec<u32> = (1..=steps).collect();
        let small = measure::time_steps(&b, Action::Next, &targets).await;

        let text = measure::many_big_processes(64, 1024);
        let sim = model(&text);
        let total = sim.steps().len() as u32;
        let forked = 2 + 64; // process, mmap, write, 63 forks
        let start = Instant::now();
        b.open_within(
            &format!("?scenario={}&step={forked}", encode_text(&text)),
            Duration::from_secs(300),
        )
        .await;
        let computed = start.elapsed();
        assert_eq!(b.counter().await, (forked, total));
        let procs = b
            .js(
                "return document.querySelector('#view-memory').textContent.length;",
                vec![],
            )
            .await;
        b.shoot_page("64x1024-forked").await;
        let targets: Vec<u32> = (forked + 1..=total).collect();
        let big = measure::time_steps(&b, Action::Next, &targets).await;
        b.shoot_page("64x1024-last").await;
        let jumps: Vec<u32> = [0, total, forked, total / 2, 1, total - 1, 3, total]
            .into_iter()
            .collect();
        let scrub = measure::time_steps(&b, Action::Scrub, &jumps).await;
        println!(
        "FIGURE 64 processes x 1024 pages: {total} steps, opened and computed in {:.1} s; memory view text {} chars",
        computed.as_secs_f64(),
        procs
    );
        println!(
            "FIGURE {}",
            measure::line("baseline, Next through the COW lesson", &small)
        );
        println!(
            "FIGURE {}",
            measure::line(
                "Next with 64 processes x 1024 pages (each step copies 1024 pages)",
                &big
            )
        );
        println!(
            "FIGURE {}",
            measure::line("scrubber jumps with 64 x 1024", &scrub)
        );
        b.close().await;
    });
}

#[test]
fn scrubbing_a_100000_step_run_is_reported_beside_scrubbing_a_small_lesson() {
    in_browser(async {
        let b = Browser::start().await;

        b.open(&format!("?lesson={COW}")).await;
        b.set_predictions(false).await;
        let (_, steps) = b.counter().await;
        let small_targets: Vec<u32> = (0..60).map(|i| (i * 7 + 3) % (steps + 1)).collect();
        let small = measure::time_steps(&b, Action::Scrub, &small_targets).await;

        let text = bench::cases::long_run(100_000);
        let deflate = Instant::now();
        let link = format!("?scenario={}", encode_text(&text));
        let deflate = deflate.elapsed();
        let start = Instant::now();
        b.open_within(&link, Duration::from_secs(600)).await;
        let computed = start.elapsed();
        assert_eq!(b.counter().await, (0, 100_000));
        // Jumps across the whole run, then one-step moves as a slow drag.
        let jumps: Vec<u32> = (0..30u32).map(|i| (i * 37_813 + 1_009) % 100_001).collect();
        let far = measure::time_steps(&b, Action::Scrub, &jumps).await;
        let drag: Vec<u32> = (50_000..50_030).collect();
        let near = measure::time_steps(&b, Action::Scrub, &drag).await;
        b.shoot_page("100000-steps").await;

        // The same run embedded: no editor holding the 1 MB text.
        b.open_within(&format!("{link}&embed=1"), Duration::from_secs(600))
            .await;
        let embedded = measure::time_steps(&b, Action::Scrub, &jumps).await;

        println!(
            "FIGURE 100,000 steps: {} KB of text, a link of {} KB; opened and computed in {:.1} s",
            text.len() / 1000,
            link.len() / 1000,
            computed.as_secs_f64()
        );
        println!(
            "FIGURE writing that link (DEFLATE level 9, natively in this test process): {:.0} ms",
            deflate.as_secs_f64() * 1000.0
        );
        let lines = [
            ("baseline, scrubbing the COW lesson", &small),
            ("scrubbing 100,000 steps, far jumps", &far),
            ("scrubbing 100,000 steps, one step at a time", &near),
            (
                "scrubbing 100,000 steps embedded (no editor), far jumps",
                &embedded,
            ),
        ];
        for (what, timed) in lines {
            println!("FIGURE {}", measure::line(what, timed));
        }
        b.close().await;
    });
}

#[test]
fn the_help_fetches_the_language_reference_with_coloured_examples_and_the_kernel_view_its_recording(
) {
    in_browser(async {
        let b = Browser::start().await;
        b.open(&format!("?lesson={COW}&step=1")).await;
        // The kernel view: the digest served next to the app, inserted.
        b.wait_js(
            "the kernel view's head",
            "const h = document.querySelector('#view-kernel .kernel-head'); \
             return h !== null && h.textContent.startsWith('Checked on Linux');",
        )
        .await;
        assert!(
            b.exists("#view-kernel table.kernel-figures caption").await,
            "step 1 of {COW} shows its figures on both sides"
        );

        b.press("Help").await;
        b.wait_js(
            "the language reference in the help panel",
            "return document.querySelector('.help-doc #help-the-scenario-language') !== null;",
        )
        .await;
        assert!(
            b.exists(".help-doc pre.scn span.t-stmt").await,
            "the reference's examples are coloured as the editor colours them"
        );
        assert_eq!(
            b.js(
                "return document.activeElement && document.activeElement.id;",
                vec![]
            )
            .await,
            json!("help-title"),
            "opening the help takes focus to its heading"
        );
        b.close().await;
    });
}

/// The Node lesson of docs/scenario-language.md ("A child and its
/// messages"): a fork, a message each way, and the child's exit.
const NODE_MESSAGES: &str = "title A child and its messages
node main
main: const w = child_process.fork('./worker.js')
expect main event w spawn
main: w.send({hello: 'world'})
expect w event process message {\"hello\":\"world\"}
w: process.send([1, 2, 3])
expect main event w message [1,2,3]
w: process.exit(0)
expect main event w exit 0 null
expect main events w spawn message disconnect exit close
";

/// The kernel step that ends each Node step of `sim` (a group's last).
fn node_step_ends(sim: &Sim) -> Vec<u32> {
    sim.steps()
        .iter()
        .filter(|s| s.group.as_ref().is_none_or(|g| g.last))
        .map(|s| s.index)
        .collect()
}

#[test]
fn a_node_scenario_steps_by_node_statement_expands_a_group_and_is_saved_as_screenshots() {
    in_browser(async {
        let sim = model(NODE_MESSAGES);
        let ends = node_step_ends(&sim);
        assert_eq!(ends.len(), 5, "node, fork, two sends, exit");
        let b = Browser::start().await;
        b.open(&format!("?scenario={}", encode_text(NODE_MESSAGES)))
            .await;
        b.set_predictions(false).await;
        assert_eq!(b.counter().await, (0, 5), "the counter counts Node steps");
        b.press("Next step").await;
        b.wait_step(1).await;
        b.press("Next step").await;
        b.wait_step(2).await;
        // The fork's group, shown at its last kernel step.
        let fork_end = ends[1];
        let last = &sim.steps()[fork_end as usize - 1];
        let line = last
            .group
            .as_ref()
            .and_then(|g| g.narration.clone())
            .expect("a group's line");
        let live = collapse(&b.inner_text("#narration").await);
        assert!(live.contains(&collapse(&line)), "{live:?} lacks {line:?}");
        assert!(live.contains(&narration_of(&sim, fork_end)), "{live:?}");
        b.wait_js(
            "the address to hold the kernel step",
            &format!("return location.search.endsWith('step={fork_end}');"),
        )
        .await;
        b.shoot_page("node-messages-fork-collapsed").await;
        b.press_css(".narration button[aria-controls=group-steps]")
            .await;
        b.wait_js(
            "the fork's kernel steps listed",
            &format!(
                "const l = document.getElementById('group-steps'); \
                 return !!l && l.children.length === {};",
                fork_end - ends[0]
            ),
        )
        .await;
        b.shoot_page("node-messages-fork-expanded").await;
        // On to the end: the Node view shows every event of w.
        for n in 3..=5 {
            b.press("Next step").await;
            b.wait_step(n).await;
        }
        let node_view = b.inner_text("#view-node").await;
        for event in [
            "'spawn'",
            "'message' ([1,2,3])",
            "'exit' (0, null)",
            "'close' (0, null)",
        ] {
            assert!(node_view.contains(event), "{node_view:?} lacks {event}");
        }
        for scheme in ["light", "dark"] {
            b.color_scheme(scheme);
            b.shoot_page(&format!("node-messages-end-{scheme}")).await;
            b.js(
                "document.getElementById('view-node').scrollIntoView({block: 'center'}); return true;",
                vec![],
            )
            .await;
            b.shoot_element("#view-node", &format!("node-messages-end-{scheme}-node"))
                .await;
            b.shoot_element("#view-log", &format!("node-messages-end-{scheme}-log"))
                .await;
        }
        b.color_scheme("light");
        // Kernel steps: the counter counts every kernel step.
        b.press_css("input[aria-label=\"Kernel steps\"]").await;
        b.wait_step(*ends.last().unwrap()).await;
        assert_eq!(
            b.counter().await,
            (*ends.last().unwrap(), sim.steps().len() as u32)
        );
        b.press("First step").await;
        b.wait_step(0).await;
        b.press("Next step").await;
        b.wait_step(1).await;
        b.shoot_page("node-messages-kernel-step1").await;
        b.close().await;
    });
}

/// Lesson 10: a worker is drawn as a thread of its process (a thread row
/// in the tree, one address space of two threads in the memory view),
/// saved as screenshots in both schemes.
#[test]
fn a_worker_thread_is_drawn_as_a_thread_of_its_process_and_saved_as_screenshots() {
    in_browser(async {
        let lesson = sim_core::lessons::find("node-shared-memory-vs-ipc").expect("lesson 10");
        let sim = model(lesson.source);
        let step = sim
            .steps()
            .iter()
            .find(|s| s.source == "main: write sab 0")
            .expect("the worker's store")
            .index;
        let b = Browser::start().await;
        b.open(&format!(
            "?lesson=node-shared-memory-vs-ipc&step={step}&kernel=1"
        ))
        .await;
        b.wait_js(
            "the thread row in the process tree",
            "const r = document.querySelector('#view-tree .pt-thread'); \
             return !!r && r.textContent.includes('a thread of main');",
        )
        .await;
        let memory = b.inner_text("#view-memory").await;
        assert!(
            memory.contains("2 threads, one address space: main, wk"),
            "{memory:?}"
        );
        for scheme in ["light", "dark"] {
            b.color_scheme(scheme);
            b.shoot_element("#view-tree", &format!("worker-thread-{scheme}-tree"))
                .await;
            b.shoot_element("#view-memory", &format!("worker-thread-{scheme}-memory"))
                .await;
        }
    });
}

/// Lesson 9: fork, spawn and exec side by side; at its end the Node view
/// shows each child object's events, exec's callback among them, saved
/// as screenshots in both schemes.
#[test]
fn spawned_programs_and_execs_callback_are_drawn_in_the_node_view_and_saved_as_screenshots() {
    in_browser(async {
        let lesson = sim_core::lessons::find("node-fork-spawn-exec").expect("lesson 9");
        let last = model(lesson.source).steps().len();
        let b = Browser::start().await;
        b.open(&format!(
            "?lesson=node-fork-spawn-exec&step={last}&kernel=1"
        ))
        .await;
        b.wait_js(
            "exec's callback in the Node view",
            "const v = document.getElementById('view-node'); \
             return !!v && v.textContent.includes(\"'callback'\");",
        )
        .await;
        for scheme in ["light", "dark"] {
            b.color_scheme(scheme);
            b.js(
                "document.getElementById('view-node').scrollIntoView({block: 'center'}); return true;",
                vec![],
            )
            .await;
            b.shoot_element("#view-node", &format!("spawn-exec-{scheme}-node"))
                .await;
        }
    });
}

/// The OSTEP fork.py entry: a link with fork.py's options opens its
/// actions as a scenario (fork.py itself runs in the web worker); at the
/// step where b exits, fork.py's tree waits behind a prediction, and once
/// opened it shows c and d both moved to a, where on Linux (a is a
/// subreaper) c goes to a and keeps its child d, and says so. Bad options are refused in fork.py's words. Screenshots in
/// both schemes.
#[test]
fn an_ostep_link_runs_fork_py_in_its_worker_and_shows_both_trees_where_they_differ() {
    in_browser(async {
        let command = "-A a+b,b+c,c+d,b-";
        let prepared = sim_core::ostep::prepared::prepare(command, || 0).expect("fork.py runs");
        let sim = model(&prepared.scenario);
        let step = sim
            .steps()
            .iter()
            .find(|s| s.source == "a: wait b")
            .expect("a reaps b")
            .index;
        let b = Browser::start().await;
        b.open(&format!("?ostep=-A+a%2Bb,b%2Bc,c%2Bd,b-&step={step}"))
            .await;
        b.wait_js(
            "the OSTEP panel at b's exit",
            "const a = document.querySelector('.ostep .os-action'); \
             return !!a && a.textContent === 'Action 4 of 4: b EXITS';",
        )
        .await;
        assert_eq!(
            b.js("return document.querySelector('.os-reveal').open;", vec![])
                .await,
            json!(false),
            "fork.py's tree waits for a prediction"
        );
        // The editor draws the whole scenario that came from the worker
        // after the page's first draw.
        b.wait_js(
            "the whole scenario in the editor",
            "const code = document.querySelector('.ed-body').textContent; \
             return code.includes('c: fork d') && code.includes('a: wait b');",
        )
        .await;
        let linux = b.inner_text("[aria-label=\"Linux's tree\"]").await;
        assert_eq!(linux, "init\n└── a\n    └── c\n        └── d", "{linux:?}");
        b.js(
            "document.querySelector('.os-reveal summary').click();",
            vec![],
        )
        .await;
        let forkpy = b.inner_text("[aria-label=\"fork.py's tree\"]").await;
        assert_eq!(forkpy, "a\n├── c\n└── d", "{forkpy:?}");
        let differ = b.inner_text(".os-differ").await;
        assert!(
            differ.contains("d's parent is c on Linux, a in fork.py"),
            "{differ:?}"
        );
        for scheme in ["light", "dark"] {
            b.color_scheme(scheme);
            b.shoot_element(".ostep", &format!("ostep-{scheme}-b-exits"))
                .await;
        }
        b.shoot_page("ostep-page-b-exits").await;
        b.js(
            "const i = document.querySelector('[aria-label=\"fork.py options\"]'); \
             i.value = '-x'; i.form.requestSubmit();",
            vec![],
        )
        .await;
        b.wait_js(
            "fork.py's refusal in the notice",
            "const n = document.getElementById('notice'); \
             return !!n && n.textContent.includes('no such option: -x');",
        )
        .await;
        b.close().await;
    });
}
