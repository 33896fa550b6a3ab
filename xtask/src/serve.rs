//! `cargo xtask serve [--port N]`: the release build, served from dist/
//! on 127.0.0.1 by a small static file server until Ctrl-C.
//!
//! A plain server rather than `trunk serve`: the URL is printed only once
//! the port is really listening, the wasm measured is the one served, and
//! nothing rebuilds behind the learner's back.

use crate::{web, Result};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

pub const DEFAULT_PORT: u16 = 8080;

/// Parse `serve`'s arguments: `--port N` or `--port=N`.
pub fn parse_port(args: &[String]) -> Result<u16> {
    let mut port = DEFAULT_PORT;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let value = match arg.strip_prefix("--port") {
            Some("") => args
                .next()
                .ok_or("--port needs a number: `cargo xtask serve --port 8081`")?,
            Some(v) if v.starts_with('=') => &v[1..],
            _ => {
                return Err(format!(
                    "unknown argument `{arg}`: use `cargo xtask serve [--port N]`"
                ))
            }
        };
        port = value
            .parse()
            .map_err(|_| format!("--port {value}: not a port number (1 to 65535)"))?;
        if port == 0 {
            return Err("--port 0: not a port number (1 to 65535)".into());
        }
    }
    Ok(port)
}

pub fn serve(args: &[String]) -> Result {
    let port = parse_port(args)?;
    // Check the port before the build, so that a busy one fails at once.
    let listener = TcpListener::bind(("127.0.0.1", port)).map_err(|e| {
        format!("cannot listen on 127.0.0.1:{port} ({e}): try another port, `cargo xtask serve --port 8081`")
    })?;
    let dist = web::build_release()?;
    let size = web::wasm_size(&dist)?;
    println!("\nwasm {}", size.summary());
    println!("Forkscope is served at http://127.0.0.1:{port}/ (Ctrl-C stops it)");
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let dist = dist.clone();
        std::thread::spawn(move || {
            // A client that goes away mid-answer is its own business.
            let _ = answer(stream, &dist);
        });
    }
    Ok(())
}

/// Answer one request (GET or HEAD of a file under `dist`), then close.
fn answer(mut stream: TcpStream, dist: &Path) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request = String::new();
    reader.read_line(&mut request)?;
    // The headers are not needed; read them so the client is not reset.
    let mut line = String::new();
    while reader.read_line(&mut line)? > 2 {
        line.clear();
    }
    let mut words = request.split_whitespace();
    let (method, target) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let head = method == "HEAD";
    if method != "GET" && !head {
        return respond(
            &mut stream,
            "405 Method Not Allowed",
            "text/plain",
            b"GET only\n",
            head,
        );
    }
    match file_for(dist, target).and_then(|p| Some((std::fs::read(&p).ok()?, p))) {
        Some((body, path)) => respond(&mut stream, "200 OK", content_type(&path), &body, head),
        None => respond(
            &mut stream,
            "404 Not Found",
            "text/plain",
            b"not found\n",
            head,
        ),
    }
}

fn respond(
    stream: &mut TcpStream,
    status: &str,
    content_type: &str,
    body: &[u8],
    head: bool,
) -> std::io::Result<()> {
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Cache-Control: no-cache\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    if !head {
        stream.write_all(body)?;
    }
    stream.flush()
}

/// The file a request target names under `dist` ("/" is index.html; the
/// query is the app's, not the server's); None for anything that would
/// leave `dist` or does not exist.
fn file_for(dist: &Path, target: &str) -> Option<PathBuf> {
    let path = target.split(['?', '#']).next()?;
    let relative = Path::new(path.strip_prefix('/')?);
    if !relative
        .components()
        .all(|c| matches!(c, Component::Normal(_)))
    {
        return None;
    }
    let mut file = dist.join(relative);
    if path.ends_with('/') {
        file.push("index.html");
    }
    file.is_file().then_some(file)
}

/// application/wasm matters: browsers compile a wasm streamed with any
/// other type only after a slower fallback.
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

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_port_is_8080_unless_given_either_way() {
        assert_eq!(parse_port(&[]), Ok(8080));
        assert_eq!(parse_port(&args(&["--port", "9000"])), Ok(9000));
        assert_eq!(parse_port(&args(&["--port=9001"])), Ok(9001));
    }

    #[test]
    fn a_bad_port_argument_is_an_error_that_says_why() {
        let err = parse_port(&args(&["--port", "http"])).unwrap_err();
        assert!(err.contains("not a port number"), "{err}");
        let err = parse_port(&args(&["--port"])).unwrap_err();
        assert!(err.contains("needs a number"), "{err}");
        let err = parse_port(&args(&["--release"])).unwrap_err();
        assert!(err.contains("unknown argument `--release`"), "{err}");
        assert!(parse_port(&args(&["--port", "0"])).is_err());
    }

    #[test]
    fn requests_map_to_files_inside_dist_only() {
        let dist = std::env::temp_dir().join(format!("xtask-serve-test-{}", std::process::id()));
        std::fs::create_dir_all(dist.join("sub")).unwrap();
        std::fs::write(dist.join("index.html"), "<!doctype html>").unwrap();
        std::fs::write(dist.join("web_bg.wasm"), b"\0asm").unwrap();
        let found = |t: &str| file_for(&dist, t).map(|p| p.strip_prefix(&dist).unwrap().to_owned());
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
        std::fs::remove_dir_all(&dist).unwrap();
    }

    #[test]
    fn wasm_is_served_as_application_wasm() {
        assert_eq!(content_type(Path::new("a_bg.wasm")), "application/wasm");
        assert_eq!(
            content_type(Path::new("index.html")),
            "text/html; charset=utf-8"
        );
    }
}
