//! The static file server for the web app's `dist/` on 127.0.0.1, used by
//! `cargo xtask serve` (a learner's browser) and by the end-to-end tests
//! (headless Chromium): one thread accepting, one thread per connection,
//! `GET` and `HEAD` only, every answer `Connection: close` and
//! `Cache-Control: no-store` (a reload, and every measured first load,
//! fetches the wasm afresh). The query string is the app's, not the
//! server's: `/?lesson=x` is `index.html`.
//!
//! Written here rather than taken from hyper or axum: a `?scenario=` link
//! carries a whole compressed scenario (76 KB for a 100,000-step run, up
//! to a few hundred KB for the 1 MiB a scenario may be), and the `http`
//! crate refuses any URI longer than 64 KB.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// A running server; dropping it stops it.
pub struct DistServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl DistServer {
    /// Listen on `127.0.0.1:port` (0: a free port) and serve the files
    /// under `root`. Fails at once when the port is taken.
    pub fn start(root: PathBuf, port: u16) -> io::Result<DistServer> {
        DistServer::on(TcpListener::bind(("127.0.0.1", port))?, root)
    }

    /// Serve the files under `root` on a listener already bound (so that a
    /// caller can check its port before a long build).
    pub fn on(listener: TcpListener, root: PathBuf) -> io::Result<DistServer> {
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let root = root.clone();
                std::thread::spawn(move || {
                    // A failed connection is the browser's business (it
                    // gave up, or preconnected and never asked).
                    let _ = answer(&root, stream);
                });
            }
        });
        Ok(DistServer {
            addr,
            stop,
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT/` followed by `query` (e.g. `?lesson=x`).
    pub fn url(&self, query: &str) -> String {
        format!("http://{}/{query}", self.addr)
    }

    /// Serve until the process is stopped (Ctrl-C).
    pub fn wait(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for DistServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The longest request head read: a `?scenario=` link is at most a few
/// hundred kilobytes.
const MAX_HEAD: usize = 8 << 20;

/// Answer one request (GET or HEAD of a file under `root`), then close.
fn answer(root: &Path, stream: TcpStream) -> io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    // Read the headers so that the client is not reset; nothing in them
    // changes the answer.
    let mut read = request_line.len();
    loop {
        let mut line = String::new();
        let n = reader.read_line(&mut line)?;
        read += n;
        if n == 0 || line == "\r\n" || line == "\n" || read > MAX_HEAD {
            break;
        }
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let head = method == "HEAD";
    let mut out = stream;
    if method != "GET" && !head {
        let body: &[u8] = b"GET only\n";
        return respond(&mut out, "405 Method Not Allowed", "text/plain", body, head);
    }
    match file_for(root, target).and_then(|p| Some((std::fs::read(&p).ok()?, p))) {
        Some((body, path)) => respond(&mut out, "200 OK", content_type(&path), &body, head),
        None => respond(
            &mut out,
            "404 Not Found",
            "text/plain",
            b"not found\n",
            head,
        ),
    }
}

fn respond(
    out: &mut TcpStream,
    status: &str,
    content_type: &str,
    body: &[u8],
    head: bool,
) -> io::Result<()> {
    write!(
        out,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    if !head {
        out.write_all(body)?;
    }
    out.flush()
}

/// The file a request target names under `root` (a path ending in `/` is
/// its `index.html`); None for anything that would leave `root` or is not
/// a file.
fn file_for(root: &Path, target: &str) -> Option<PathBuf> {
    let path = target.split(['?', '#']).next()?;
    let relative = Path::new(path.strip_prefix('/')?);
    if !relative
        .components()
        .all(|c| matches!(c, Component::Normal(_)))
    {
        return None;
    }
    let mut file = root.join(relative);
    if path.ends_with('/') {
        file.push("index.html");
    }
    file.is_file().then_some(file)
}

/// The MIME type by extension. `application/wasm` matters: a browser
/// compiles a wasm while it streams only with that type, and otherwise
/// falls back to a slower path.
fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "json" => "application/json",
        "txt" | "scn" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// A dist with an index, a wasm and a subdirectory, removed on drop.
    struct Dist(PathBuf);

    impl Dist {
        fn new(name: &str) -> Dist {
            let dist =
                std::env::temp_dir().join(format!("dist-server-{name}-{}", std::process::id()));
            std::fs::create_dir_all(dist.join("sub")).unwrap();
            std::fs::write(dist.join("index.html"), "<!doctype html>").unwrap();
            std::fs::write(dist.join("web_bg.wasm"), b"\0asm").unwrap();
            Dist(dist)
        }
    }

    impl Drop for Dist {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn requests_map_to_files_inside_dist_only() {
        let dist = Dist::new("map");
        let found =
            |t: &str| file_for(&dist.0, t).map(|p| p.strip_prefix(&dist.0).unwrap().to_owned());
        assert_eq!(found("/"), Some(PathBuf::from("index.html")));
        assert_eq!(
            found("/?lesson=cow-after-fork&step=6"),
            Some(PathBuf::from("index.html"))
        );
        assert_eq!(found("/web_bg.wasm"), Some(PathBuf::from("web_bg.wasm")));
        assert_eq!(found("/../etc/passwd"), None);
        assert_eq!(found("/sub/../index.html"), None);
        assert_eq!(found("/missing.js"), None);
        assert_eq!(found("/sub"), None, "a directory is not a file");
        assert_eq!(found("no-leading-slash"), None);
    }

    #[test]
    fn wasm_is_served_as_application_wasm() {
        assert_eq!(content_type(Path::new("a_bg.wasm")), "application/wasm");
        assert_eq!(
            content_type(Path::new("index.html")),
            "text/html; charset=utf-8"
        );
    }

    /// One raw HTTP exchange with the server.
    fn get(server: &DistServer, request: &str) -> String {
        let mut s = TcpStream::connect(server.addr).unwrap();
        s.write_all(request.as_bytes()).unwrap();
        let mut answer = String::new();
        s.read_to_string(&mut answer).unwrap();
        answer
    }

    #[test]
    fn a_link_longer_than_64_kb_is_served_its_index() {
        let dist = Dist::new("long");
        let server = DistServer::start(dist.0.clone(), 0).unwrap();
        let query = "A".repeat(300_000);
        let answer = get(
            &server,
            &format!("GET /?scenario={query} HTTP/1.1\r\nHost: x\r\n\r\n"),
        );
        assert!(
            answer.starts_with("HTTP/1.1 200 OK\r\n"),
            "{}",
            &answer[..40]
        );
        assert!(answer.contains("Cache-Control: no-store\r\n"));
        assert!(answer.ends_with("<!doctype html>"));
    }

    #[test]
    fn head_has_no_body_and_other_methods_are_refused() {
        let dist = Dist::new("methods");
        let server = DistServer::start(dist.0.clone(), 0).unwrap();
        let head = get(&server, "HEAD /web_bg.wasm HTTP/1.1\r\n\r\n");
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n"));
        assert!(head.contains("Content-Type: application/wasm\r\nContent-Length: 4\r\n"));
        assert!(head.ends_with("\r\n\r\n"), "no body after the headers");
        let post = get(&server, "POST / HTTP/1.1\r\n\r\n");
        assert!(post.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"));
        let missing = get(&server, "GET /nope.js HTTP/1.1\r\n\r\n");
        assert!(missing.starts_with("HTTP/1.1 404 Not Found\r\n"));
    }

    #[test]
    fn a_taken_port_is_an_error_at_start() {
        let dist = Dist::new("port");
        let first = DistServer::start(dist.0.clone(), 0).unwrap();
        let taken = first.addr.port();
        assert!(DistServer::start(dist.0.clone(), taken).is_err());
    }
}
