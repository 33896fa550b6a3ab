//! The speed figures: how long one step takes to reach the screen, how
//! long the first lesson takes to appear, and the size of the wasm, as
//! numbers to print beside a baseline from the same run (never as timed
//! assertions, which would flake on a shared machine).
//!
//! A step is timed from inside an animation frame: in a
//! `requestAnimationFrame` callback the test clicks (or moves the
//! scrubber) at `t0`. yew updates the DOM in the microtask that follows;
//! when that work passes 16 ms yew yields and goes on in later tasks
//! (`setTimeout(0)`), so the test polls with `setTimeout(0)` until the
//! counter shows the step and a whole poll passed with no DOM mutation.
//! `dom` is `t0` to the last mutation (a MutationObserver's callback).
//! `frame` is `t0` to the end of the frame that shows it: when every
//! mutation landed in the click's own frame, the time of the first poll
//! (a task queued from the rAF callback runs after that frame's paint);
//! otherwise `dom` plus the style, layout and paint of the next frame
//! (its rAF callback to a `setTimeout(0)` queued there), without the wait
//! for that frame's vsync.

use crate::browser::Browser;
use serde_json::{json, Value};
use std::fmt::Write as _;

/// The script: `arguments[0]` is "next" (press Next step) or "scrub"
/// (set the Step range to each target and fire `input`, as a drag does);
/// `arguments[1]` the steps the counter must read after each action.
/// Returns `[{dom, frame, counter, tasks, url}]`, one per action (`tasks`: 1
/// when the update landed in the click's own frame).
const TIME_STEPS: &str = r#"
const done = arguments[arguments.length - 1];
const kind = arguments[0], targets = arguments[1];
const counter = () => document.getElementById('step-counter').textContent.trim();
const act = (target) => {
  if (kind === 'next') {
    document.querySelector('button[aria-label="Next step"]').click();
  } else {
    const r = document.querySelector('input[aria-label="Step"]');
    r.value = String(target);
    r.dispatchEvent(new Event('input', { bubbles: true }));
  }
};
// The app writes its state into the address bar (history.replaceState)
// at the end of each move: note when, to split the time of a slow step
// into "before the URL was written" (the update) and after (the render).
if (!window.__forkscopeUrlTimes) {
  window.__forkscopeUrlTimes = [];
  const replace = history.replaceState.bind(history);
  history.replaceState = (...a) => { window.__forkscopeUrlTimes.push(performance.now()); return replace(...a); };
}
const tick = () => new Promise((r) => setTimeout(r, 0));
const frame = () => new Promise((r) => requestAnimationFrame(() => r(performance.now())));
const timeOne = (target) => new Promise((resolve) => {
  const want = 'Step ' + target + ' of ';
  let muts = 0, tLast = null;
  const mo = new MutationObserver(() => { muts += 1; tLast = performance.now(); });
  mo.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
  requestAnimationFrame(async () => {
    const t0 = performance.now();
    window.__forkscopeUrlTimes.length = 0;
    act(target);
    await tick();
    const tFirst = performance.now(), mutsFirst = muts;
    let seen = -1, polls = 0;
    while (!(counter().startsWith(want) && muts === seen) && polls < 100000) {
      seen = muts;
      polls += 1;
      await tick();
    }
    mo.disconnect();
    const shown = counter();
    const urls = window.__forkscopeUrlTimes;
    const url = urls.length ? urls[urls.length - 1] - t0 : null;
    if (tLast === null) return resolve({ dom: null, frame: null, counter: shown, tasks: 0, url });
    if (muts === mutsFirst && tLast <= tFirst) {
      return resolve({ dom: tLast - t0, frame: tFirst - t0, counter: shown, tasks: 1, url });
    }
    const tRaf = await frame();
    await tick();
    const paint = performance.now() - tRaf;
    resolve({ dom: tLast - t0, frame: tLast - t0 + paint, counter: shown, tasks: polls + 1, url });
  });
});
(async () => {
  const out = [];
  for (const t of targets) out.push(await timeOne(t));
  done(out);
})().catch((e) => done({ error: String(e) }));
"#;

/// One timed action.
#[derive(Clone, Debug)]
pub struct Timed {
    /// Until the app's DOM updates were done, ms.
    pub dom: f64,
    /// Until the frame that shows them was painted, ms.
    pub frame: f64,
    /// The whole update landed in the frame of the click.
    pub one_frame: bool,
    /// Until the app wrote the step into the address bar, ms (None: it
    /// did not).
    pub url: Option<f64>,
}

/// How to move: press Next step, or drag the scrubber.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Next,
    Scrub,
}

/// Time each action (one per frame), checking after each that the counter
/// reads the step it should: a frame that did not show the step is not a
/// figure, and fails the test.
pub async fn time_steps(b: &Browser, action: Action, targets: &[u32]) -> Vec<Timed> {
    let kind = match action {
        Action::Next => "next",
        Action::Scrub => "scrub",
    };
    let out = b
        .client()
        .execute_async(TIME_STEPS, vec![json!(kind), json!(targets)])
        .await
        .unwrap_or_else(|e| panic!("the timing script failed: {e}"));
    let Value::Array(rows) = out else {
        panic!("the timing script failed: {out}");
    };
    assert_eq!(rows.len(), targets.len(), "one timing per action");
    rows.iter()
        .zip(targets)
        .map(|(row, &want)| {
            let counter = row["counter"].as_str().unwrap_or("");
            assert!(
                counter.starts_with(&format!("Step {want} of ")),
                "after the action for step {want}, the counter read {counter:?}"
            );
            let dom = row["dom"].as_f64().unwrap_or_else(|| {
                panic!("no DOM change was seen for step {want}: nothing to time")
            });
            Timed {
                dom,
                frame: row["frame"].as_f64().expect("a frame time"),
                one_frame: row["tasks"].as_u64() == Some(1),
                url: row["url"].as_f64(),
            }
        })
        .collect()
}

/// Median, 95th percentile and maximum of `xs` (nearest rank).
pub fn summary(xs: &[f64]) -> (f64, f64, f64) {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let rank = |p: f64| v[(((p * v.len() as f64).ceil() as usize).max(1) - 1).min(v.len() - 1)];
    (rank(0.5), rank(0.95), v[v.len() - 1])
}

/// One line of figures for a set of timed actions.
pub fn line(what: &str, timed: &[Timed]) -> String {
    let dom: Vec<f64> = timed.iter().map(|t| t.dom).collect();
    let frame: Vec<f64> = timed.iter().map(|t| t.frame).collect();
    let (dm, d95, dmax) = summary(&dom);
    let (fm, f95, fmax) = summary(&frame);
    let over = frame.iter().filter(|&&f| f > 16.0).count();
    let later = timed.iter().filter(|t| !t.one_frame).count();
    let urls: Vec<f64> = timed.iter().filter_map(|t| t.url).collect();
    let url = if urls.is_empty() {
        "the address bar was not written".to_string()
    } else {
        format!("address bar written at median {:.1} ms", summary(&urls).0)
    };
    let mut s = String::new();
    let _ = write!(
        s,
        "{what}: {n} frames; DOM updated median {dm:.1} ms, p95 {d95:.1}, max {dmax:.1}; \
         frame painted median {fm:.1} ms, p95 {f95:.1}, max {fmax:.1}; {over} of {n} over 16 ms; \
         {later} not drawn in the frame of the action; {url}",
        n = timed.len()
    );
    s
}

/// `n` processes of `pages` pages each, every one with frames of its own
/// at the end: `p0` maps and writes the region, forks `c1`..`c{n-1}`, then
/// each child writes every page (copy-on-write: `pages` new frames a step).
/// Steps: `3 + 2(n-1)`.
pub fn many_big_processes(n: u32, pages: u32) -> String {
    let mut text = format!("process p0\np0: mmap heap {pages}\np0: write heap 0..{pages}\n");
    for i in 1..n {
        let _ = writeln!(text, "p0: fork c{i}");
    }
    for i in 1..n {
        let _ = writeln!(text, "c{i}: write heap 0..{pages}");
    }
    text
}
