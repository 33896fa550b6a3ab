//! One browser for one test: the static server on the release dist,
//! chromedriver on a free port of 127.0.0.1, and a headless Chromium
//! session, with the few actions the tests need, all found by the app's
//! accessible names (aria-label) and ids (the contract in the e2e brief:
//! buttons "First step", "Previous step", "Play"/"Pause", "Next step",
//! "Last step"; the range "Step"; `#step-counter`; the select "Lesson";
//! the checkbox "Predictions"; `#narration`; the textarea "Scenario";
//! `[role=alert]`; `#notice`; the views `#view-*`).
//!
//! The session is closed and chromedriver killed however a test ends: a
//! failed assertion unwinds through [`Driver`]'s `Drop`, which ends the
//! session with a plain blocking HTTP request (it cannot await) and kills
//! the chromedriver it started, by its pid.

use dist_server::DistServer;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long a condition is waited for before the test fails saying what
/// it waited for (generous: other builds share the machine's two cores).
pub const WAIT: Duration = Duration::from_secs(30);

/// The window every test uses, so that screenshots compare.
pub const WINDOW: (u32, u32) = (1400, 1000);

/// The release dist to serve: `FORKSCOPE_DIST`, an absolute path to a
/// directory holding `index.html` and the app's `.wasm`.
pub fn dist() -> PathBuf {
    let Some(dir) = std::env::var_os("FORKSCOPE_DIST") else {
        panic!(
            "FORKSCOPE_DIST is not set. The end-to-end tests serve a release build of the web app: \
             build it with `TRUNK_OFFLINE=true trunk build --release` (writes dist/), then run \
             `FORKSCOPE_DIST=/absolute/path/to/dist cargo test -p e2e --features browser`"
        );
    };
    let dir = PathBuf::from(dir);
    assert!(
        dir.is_absolute(),
        "FORKSCOPE_DIST must be an absolute path, not {}",
        dir.display()
    );
    assert!(
        dir.join("index.html").is_file(),
        "FORKSCOPE_DIST={} has no index.html: is it trunk's dist/?",
        dir.display()
    );
    assert!(
        wasm_file(&dir).is_some(),
        "FORKSCOPE_DIST={} has no .wasm file: is it a finished trunk build?",
        dir.display()
    );
    dir
}

/// The app's `.wasm` in a dist directory (not the OSTEP worker's).
pub fn wasm_file(dist: &std::path::Path) -> Option<PathBuf> {
    std::fs::read_dir(dist)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().is_some_and(|n| n != "ostep-worker_bg.wasm"))
        .find(|p| p.extension().is_some_and(|e| e == "wasm"))
}

/// The chromedriver this test started, and its session: ended on drop.
struct Driver {
    child: Child,
    port: u16,
    session: Option<String>,
}

impl Driver {
    fn start() -> Driver {
        let program = std::env::var("FORKSCOPE_CHROMEDRIVER").unwrap_or("chromedriver".into());
        let mut child = Command::new(&program)
            .arg("--port=0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {program} (set FORKSCOPE_CHROMEDRIVER?): {e}")
            });
        let stdout = child.stdout.take().expect("stdout was piped");
        let (tx, rx) = mpsc::channel();
        // Read the port it chose, then keep draining its output so that
        // it never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(port) = line
                    .split("started successfully on port ")
                    .nth(1)
                    .and_then(|rest| rest.trim_end_matches('.').trim().parse::<u16>().ok())
                {
                    if let Some(tx) = tx.take() {
                        let _ = tx.send(port);
                    }
                }
            }
        });
        let mut driver = Driver {
            child,
            port: 0,
            session: None,
        };
        driver.port = rx
            .recv_timeout(WAIT)
            .unwrap_or_else(|_| panic!("{program} did not say which port it listens on"));
        driver
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        if let Some(id) = self.session.take() {
            delete_session(self.port, &id);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// End a WebDriver session with a blocking `DELETE /session/ID` (from a
/// `Drop`, which cannot await); chromedriver then quits its Chromium.
fn delete_session(port: u16, id: &str) {
    let _ = raw_request(port, "DELETE", &format!("/session/{id}"), "");
}

/// One plain blocking HTTP/1.1 request to chromedriver; the answer's body.
/// The body is read by its Content-Length: chromedriver keeps the
/// connection open whatever the request says.
fn raw_request(port: u16, method: &str, path: &str, body: &str) -> std::io::Result<String> {
    let s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(20)))?;
    write!(
        &s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut reader = BufReader::new(&s);
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut answer = vec![0; length];
    reader.read_exact(&mut answer)?;
    Ok(String::from_utf8_lossy(&answer).into_owned())
}

/// A headless Chromium on the served app.
pub struct Browser {
    client: Client,
    // Dropped after `client`: the session ends before the server stops.
    driver: Driver,
    server: DistServer,
}

impl Browser {
    /// Serve `FORKSCOPE_DIST`, start chromedriver and open a session.
    pub async fn start() -> Browser {
        let server = DistServer::start(dist(), 0).expect("the static server starts on 127.0.0.1");
        let mut driver = Driver::start();
        let chromium = std::env::var("FORKSCOPE_CHROMIUM").unwrap_or("/usr/bin/chromium".into());
        let caps = json!({
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--hide-scrollbars",
                    format!("--window-size={},{}", WINDOW.0, WINDOW.1),
                ],
            },
        });
        let Value::Object(caps) = caps else {
            unreachable!("the capabilities are an object")
        };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", driver.port))
            .await
            .unwrap_or_else(|e| panic!("cannot open a Chromium session through chromedriver: {e}"));
        driver.session = client.session_id().await.ok().flatten();
        let browser = Browser {
            client,
            driver,
            server,
        };
        browser
            .client
            .set_window_size(WINDOW.0, WINDOW.1)
            .await
            .expect("the window can be sized");
        // A timing script over 60 frames of a big run may take a while;
        // a 100,000-step link is a long page load.
        let limits = fantoccini::wd::TimeoutConfiguration::new(
            Some(Duration::from_secs(600)),
            Some(Duration::from_secs(600)),
            Some(Duration::ZERO),
        );
        browser
            .client
            .update_timeouts(limits)
            .await
            .expect("the timeouts can be set");
        browser
    }

    /// End the session and stop chromedriver and the server.
    pub async fn close(mut self) {
        if self.client.clone().close().await.is_ok() {
            self.driver.session = None;
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The served app's address with `query` (`?lesson=...`).
    pub fn url(&self, query: &str) -> String {
        self.server.url(query)
    }

    /// Open the app at `query` and wait until the run is computed (the
    /// counter no longer ends in "…").
    pub async fn open(&self, query: &str) {
        self.open_within(query, WAIT).await;
    }

    /// [`Browser::open`], for a run that may take up to `limit` to compute.
    pub async fn open_within(&self, query: &str, limit: Duration) {
        self.client
            .goto(&self.url(query))
            .await
            .unwrap_or_else(|e| panic!("cannot open {}: {e}", short(query)));
        self.wait_js_within(
            "the step counter to show a finished run, and a lesson's kernel recording fetched",
            "const c = document.getElementById('step-counter'); \
             return !!c && /^Step \\d+ of \\d+$/.test(c.textContent.trim()) \
               && document.querySelector('#view-kernel .kernel-loading') === null;",
            limit,
        )
        .await;
    }

    /// Run `script` (a function body: `return ...`) in the page.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Wait until `script` returns true; fail naming `what` if it does not
    /// within [`WAIT`].
    pub async fn wait_js(&self, what: &str, script: &str) {
        self.wait_js_within(what, script, WAIT).await;
    }

    /// [`Browser::wait_js`] with a limit of its own.
    pub async fn wait_js_within(&self, what: &str, script: &str, limit: Duration) {
        let start = Instant::now();
        loop {
            if self.js(script, vec![]).await == Value::Bool(true) {
                return;
            }
            assert!(
                start.elapsed() < limit,
                "waited {limit:?} for {what}; the page shows:\n{}",
                short(&self.inner_text("body").await)
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// The `textContent` of the first element matching `css` (all its
    /// text, an SVG's `<text>` and `<title>` and visually hidden summaries
    /// included), or "" if there is none.
    pub async fn text_content(&self, css: &str) -> String {
        self.js(
            "const e = document.querySelector(arguments[0]); return e ? e.textContent : '';",
            vec![json!(css)],
        )
        .await
        .as_str()
        .unwrap_or("")
        .to_string()
    }

    /// The `innerText` of the first element matching `css` (what a
    /// person sees), or "" if there is none.
    pub async fn inner_text(&self, css: &str) -> String {
        self.js(
            "const e = document.querySelector(arguments[0]); return e ? e.innerText : '';",
            vec![json!(css)],
        )
        .await
        .as_str()
        .unwrap_or("")
        .to_string()
    }

    /// Whether an element matches `css`.
    pub async fn exists(&self, css: &str) -> bool {
        self.js(
            "return document.querySelector(arguments[0]) !== null;",
            vec![json!(css)],
        )
        .await
            == Value::Bool(true)
    }

    /// Click the button whose aria-label is `label`.
    pub async fn press(&self, label: &str) {
        self.press_css(&format!("button[aria-label=\"{label}\"]"))
            .await;
    }

    /// Click the first element that `css` matches.
    pub async fn press_css(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("nothing matches {css:?}: {e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("cannot click {css:?}: {e}"));
    }

    /// The step counter as (step, steps).
    pub async fn counter(&self) -> (u32, u32) {
        let text = self.inner_text("#step-counter").await;
        parse_counter(&text).unwrap_or_else(|| panic!("#step-counter reads {text:?}"))
    }

    /// Wait until the counter reads "Step `step` of ...".
    pub async fn wait_step(&self, step: u32) {
        self.wait_js(
            &format!("the counter to read step {step}"),
            &format!(
                "const c = document.getElementById('step-counter'); \
                 return !!c && c.textContent.trim().startsWith('Step {step} of ');"
            ),
        )
        .await;
    }

    /// Turn the Predictions checkbox on or off.
    pub async fn set_predictions(&self, on: bool) {
        let boxed = self
            .client
            .find(Locator::Css("input[aria-label=\"Predictions\"]"))
            .await
            .expect("a checkbox labelled Predictions");
        let checked = boxed.prop("checked").await.ok().flatten() == Some("true".into());
        if checked != on {
            boxed
                .click()
                .await
                .expect("the Predictions checkbox clicks");
        }
    }

    /// Emulate `prefers-color-scheme: SCHEME` ("light" or "dark") through
    /// chromedriver's Chrome DevTools bridge (WebDriver has no command
    /// for it).
    pub fn color_scheme(&self, scheme: &str) {
        let id = self.driver.session.as_deref().expect("an open session");
        let body = json!({
            "cmd": "Emulation.setEmulatedMedia",
            "params": { "features": [{ "name": "prefers-color-scheme", "value": scheme }] },
        });
        let answer = raw_request(
            self.driver.port,
            "POST",
            &format!("/session/{id}/goog/cdp/execute"),
            &body.to_string(),
        )
        .unwrap_or_else(|e| panic!("chromedriver did not answer the colour scheme command: {e}"));
        assert!(
            !answer.contains("\"error\""),
            "chromedriver refused the colour scheme command: {answer}"
        );
    }

    /// Save a screenshot of the element `css` as `NAME.png` in the
    /// artifacts directory.
    pub async fn shoot_element(&self, css: &str, name: &str) -> PathBuf {
        let png = self
            .client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("nothing matches {css} to screenshot: {e}"))
            .screenshot()
            .await
            .unwrap_or_else(|e| panic!("cannot screenshot {css}: {e}"));
        crate::artifacts::save_png(name, &png)
    }

    /// Save a screenshot of the window as `NAME.png`.
    pub async fn shoot_page(&self, name: &str) -> PathBuf {
        let png = self
            .client
            .screenshot()
            .await
            .unwrap_or_else(|e| panic!("cannot screenshot the page: {e}"));
        crate::artifacts::save_png(name, &png)
    }
}

/// Text as a failure message shows it: a long `?scenario=` or page cut
/// short.
fn short(text: &str) -> String {
    match text.char_indices().nth(2000) {
        Some((i, _)) => format!("{}… ({} bytes)", &text[..i], text.len()),
        None => text.to_string(),
    }
}

/// "Step 3 of 17" -> (3, 17); None for anything else (a run still
/// computing reads "Step 3 of 17…").
pub fn parse_counter(text: &str) -> Option<(u32, u32)> {
    let rest = text.trim().strip_prefix("Step ")?;
    let (step, total) = rest.split_once(" of ")?;
    Some((step.parse().ok()?, total.parse().ok()?))
}
