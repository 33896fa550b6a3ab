//! The speed figures: how long one step takes to reach the screen, how
//! long the first lesson takes to appear, and the size of the wasm, as
//! numbers to print beside a baseline from the same run (never as timed
//! assertions, which would flake on a shared machine).
//!
//! A step is timed inside one animation frame: in a `requestAnimationFrame`
//! callback the test clicks (or moves the scrubber), yew updates the DOM in
//! the microtask that follows, the browser lays out and paints that frame,
//! and a `setTimeout(0)` queued in the callback runs after the frame. So
//! `frame` = script + DOM update + style + layout + paint of that one
//! frame, without the wait for the next vsync; `dom` = until the app's
//! DOM mutations were done (a MutationObserver's first callback).

use crate::browser::Browser;
use serde_json::{json, Value};
use std::fmt::Write as _;

/// The script: `arguments[0]` is "next" (press Next step) or "scrub"
/// (set the Step range to each target and fire `input`, as a drag does);
/// `arguments[1]` the steps the counter must read after each action.
/// Returns `[{dom, frame, counter}]`, one per action.
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
const oneFrame = (target) => new Promise((resolve) => {
  requestAnimationFrame(() => {
    const t0 = performance.now();
    let tDom = null;
    const mo = new MutationObserver(() => { if (tDom === null) tDom = performance.now(); });
    mo.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    act(target);
    setTimeout(() => {
      mo.disconnect();
      resolve({ dom: tDom === null ? null : tDom - t0, frame: performance.now() - t0, counter: counter() });
    }, 0);
  });
});
(async () => {
  const out = [];
  for (const t of targets) out.push(await oneFrame(t));
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
                "after the action for step {want}, the counter read {counter:?} in the same frame"
            );
            let dom = row["dom"].as_f64().unwrap_or_else(|| {
                panic!("no DOM change was seen for step {want}: nothing to time")
            });
            Timed {
                dom,
                frame: row["frame"].as_f64().expect("a frame time"),
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
    let mut s = String::new();
    let _ = write!(
        s,
        "{what}: {n} frames; DOM updated median {dm:.1} ms, p95 {d95:.1}, max {dmax:.1}; \
         frame painted median {fm:.1} ms, p95 {f95:.1}, max {fmax:.1}; {over} of {n} over 16 ms",
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

/// Bytes of `data` compressed with gzip at its best level (`gzip -9`).
pub fn gzip_len(data: &[u8]) -> usize {
    use std::io::Write as _;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(data).expect("gzip into memory");
    enc.finish().expect("gzip into memory").len()
}
