//! `cargo xtask serve [--port N]`: the release build, served from dist/
//! on 127.0.0.1 by the dist-server crate until Ctrl-C.
//!
//! A plain server rather than `trunk serve`: the URL is printed only once
//! the port is really listening, the wasm measured is the one served, and
//! nothing rebuilds behind the learner's back.

use crate::{web, Result};
use dist_server::DistServer;
use std::net::TcpListener;

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
    let server = DistServer::on(listener, dist)
        .map_err(|e| format!("cannot serve on 127.0.0.1:{port}: {e}"))?;
    println!("\nwasm {}", size.summary());
    println!(
        "Forkscope is served at {} (Ctrl-C stops it)",
        server.url("")
    );
    server.wait();
    Ok(())
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
}
