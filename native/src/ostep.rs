//! `forkscope ostep [fork.py's options]`: OSTEP's fork homework, printing
//! what `python3 fork.py` prints for the same options, byte for byte, and
//! ending with its status (sim-core's `ostep` does the work). Two options
//! are forkscope's own: `--unix` (the same actions as Linux runs them,
//! beside fork.py's trees) and `--scenario` (the actions as a scenario of
//! the language, for `forkscope run` and `forkscope check`).
//!
//! Without `-s`, fork.py's generator is seeded by Python from the OS: so
//! is this one, from /dev/urandom.

use crate::output;
use sim_core::ostep::{self, Outcome, Parsed, PyRandom, Sink, Stop};
use std::io::Read;
use std::process::ExitCode;

/// Text for stdout, written in large pieces (a 100,000-action run prints
/// megabytes: one write per line would cost more than the run).
struct Buffered(String);

impl Sink for Buffered {
    fn text(&mut self, text: &str) {
        self.0.push_str(text);
        if self.0.len() >= 1 << 16 {
            self.flush();
        }
    }
}

impl Buffered {
    fn flush(&mut self) {
        output::print(&self.0);
        self.0.clear();
    }
}

/// What forkscope adds to fork.py's command line.
#[derive(Default)]
struct Extra {
    unix: bool,
    scenario: bool,
}

/// Runs `forkscope ostep` with the arguments after `ostep`.
pub fn main(args: Vec<String>) -> ExitCode {
    let mut extra = Extra::default();
    let mut rest = Vec::new();
    for arg in args {
        match arg.as_str() {
            "--unix" => extra.unix = true,
            "--scenario" => extra.scenario = true,
            _ => rest.push(arg),
        }
    }
    let options = match ostep::parse(&rest) {
        ostep::Parsed::Run(options) => options,
        Parsed::Help(text) => {
            // fork.py's help exactly; forkscope's two options are in
            // `forkscope --help` and docs/ostep.md.
            output::print(&text);
            return ExitCode::SUCCESS;
        }
        Parsed::Error(text) => {
            output::eprint(&text);
            return ExitCode::from(2);
        }
    };
    let mut rng = if options.seed.is_minus_one() {
        PyRandom::seeded(&entropy())
    } else {
        PyRandom::seeded(&options.seed.magnitude)
    };
    let mut out = Buffered(String::new());
    if extra.scenario {
        let code = match ostep::scenario::scenario(&options, &mut rng) {
            Ok(text) => {
                out.text(&text);
                ExitCode::SUCCESS
            }
            Err(message) => {
                output::eprint(&format!("forkscope ostep: {message}\n"));
                ExitCode::FAILURE
            }
        };
        out.flush();
        return code;
    }
    let outcome = if extra.unix {
        ostep::unix::run(&options, &mut rng, &mut out)
    } else {
        ostep::run(&options, &mut rng, &mut out)
    };
    out.flush();
    match &outcome {
        Outcome::Stopped(Stop::Exception { kind, detail }) => output::eprint(&format!(
            "forkscope ostep: fork.py stops here: Python raises {kind}: {detail}\n"
        )),
        Outcome::Stopped(Stop::NeverEnds(why)) => output::eprint(&format!(
            "forkscope ostep: fork.py never ends here ({why}); forkscope stops instead\n"
        )),
        Outcome::Done | Outcome::Exit1 => {}
    }
    ExitCode::from(u8::try_from(outcome.status()).unwrap_or(1))
}

/// 128 bits from the OS for a run without `-s`, as Python seeds itself.
fn entropy() -> Vec<u32> {
    let mut bytes = [0u8; 16];
    let read = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes));
    if read.is_err() {
        // No /dev/urandom: the time is seed enough for a homework run.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        bytes[..16].copy_from_slice(&now.as_nanos().to_le_bytes());
    }
    bytes
        .chunks(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}
