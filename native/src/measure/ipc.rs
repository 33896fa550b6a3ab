//! Shared memory against IPC (lesson 10), with real node: the round trip
//! of a small object through `send()` between a node parent and a node
//! child made by `child_process.fork` (json mode: the object is written
//! as one line of JSON into a socketpair, read, parsed, and the same back),
//! against a handoff of one number through a SharedArrayBuffer between two
//! worker_threads of one process (Atomics.store + Atomics.notify, and the
//! other side's Atomics.wait wakes; then the same back).
//!
//! Both are the wake-up of a sleeping thread or process, and where it
//! sleeps matters as much as how it is woken: on another CPU, that CPU's
//! wake-up (tens of microseconds on a virtual machine) can hide the rest.
//! So the program runs twice: held to one CPU, where the figures show what
//! each way's software costs, and where the scheduler puts it.
//!
//! The program is `PROGRAM`, embedded here and written into a directory of
//! this process's own for the run (node's fork needs a file to start), then
//! removed. One node process measures both, timing each round trip with
//! process.hrtime and printing every sample; the figures are made here,
//! with the same `Spread` as the fork figures. Node is given a time limit,
//! and dies with this process (PR_SET_PDEATHSIG); its fork child leaves on
//! 'disconnect', which its parent's death brings.

use super::spread::{Plan, Spread};
use serde::Serialize;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The node program. `node PROGRAM parent BUDGET_MS MIN MAX` prints one
/// line of JSON: `{"node": version, "send": [ns...], "shared": [ns...]}`.
const PROGRAM: &str = r#"'use strict';
// forkscope measure ipc: send() round trips to a forked child (json mode)
// and SharedArrayBuffer handoffs between two worker_threads.
const { fork } = require('child_process');
const { Worker } = require('worker_threads');
const [role, budgetMs, minRuns, maxRuns] = process.argv.slice(2);
const BUDGET = BigInt(budgetMs || 0) * 1000000n;
const MIN = Number(minRuns), MAX = Number(maxRuns);
const WARM_UP = 20;

function enough(samples, since) {
  return samples.length >= MAX ||
    (samples.length >= MIN && process.hrtime.bigint() - since >= BUDGET);
}

function sendRoundTrips() {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, ['child'], {
      serialization: 'json', stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const samples = [];
    let seq = 0, sentAt = 0n, since = 0n, done = false;
    const ping = () => { seq++; sentAt = process.hrtime.bigint(); child.send({ seq, hello: 'world' }); };
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (!done) reject(new Error(`the forked child ended early (${code}, ${signal})`));
    });
    child.on('message', (m) => {
      const now = process.hrtime.bigint();
      if (m.seq !== seq) { done = true; child.kill(); reject(new Error(`reply ${m.seq} to ${seq}`)); return; }
      if (seq === WARM_UP) since = now;
      if (seq > WARM_UP) samples.push(Number(now - sentAt));
      if (seq > WARM_UP && enough(samples, since)) {
        done = true;
        child.once('exit', () => resolve(samples));
        child.disconnect();
        return;
      }
      ping();
    });
    ping();
  });
}

const WORKER = `
const { workerData } = require('worker_threads');
const a = new Int32Array(workerData);
let last = 0;
for (;;) {
  let v;
  while ((v = Atomics.load(a, 0)) === last) Atomics.wait(a, 0, last);
  last = v;
  if (v < 0) break;
  Atomics.store(a, 1, v);
  Atomics.notify(a, 1);
}`;

function sharedRoundTrips() {
  return new Promise((resolve, reject) => {
    const a = new Int32Array(new SharedArrayBuffer(8));
    const worker = new Worker(WORKER, { eval: true, workerData: a.buffer });
    worker.once('error', reject);
    worker.once('online', () => {
      const samples = [];
      let since = process.hrtime.bigint();
      for (let seq = 1; ; seq++) {
        const sentAt = process.hrtime.bigint();
        Atomics.store(a, 0, seq);
        Atomics.notify(a, 0);
        let v;
        while ((v = Atomics.load(a, 1)) !== seq) {
          if (Atomics.wait(a, 1, v, 10000) === 'timed-out') {
            reject(new Error('the worker did not answer within 10 s'));
            return;
          }
        }
        const now = process.hrtime.bigint();
        if (seq === WARM_UP) since = now;
        if (seq > WARM_UP) samples.push(Number(now - sentAt));
        if (seq > WARM_UP && enough(samples, since)) break;
      }
      Atomics.store(a, 0, -1);
      Atomics.notify(a, 0);
      worker.once('exit', () => resolve(samples));
    });
  });
}

if (role === 'child') {
  process.on('message', (m) => process.send(m));
  process.on('disconnect', () => process.exit(0));
} else {
  (async () => {
    const send = await sendRoundTrips();
    const shared = await sharedRoundTrips();
    process.stdout.write(JSON.stringify({ node: process.version, send, shared }) + '\n');
  })().catch((e) => { process.stderr.write(String(e && e.stack || e) + '\n'); process.exit(1); });
}
"#;

/// How long node may take, beyond its budgets, before it is killed.
const NODE_SLACK: Duration = Duration::from_secs(60);

/// Everything `measure ipc` found: the program run twice, once held to one
/// CPU and once where the scheduler puts it.
#[derive(Clone, Debug, Serialize)]
pub struct IpcFigures {
    /// process.version of the node that ran.
    pub node: String,
    /// Every thread and process of the run on one CPU (sched_setaffinity
    /// before exec; the fork child inherits it): a handoff is a context
    /// switch on that CPU, and the figures show what each way's software
    /// costs.
    pub one_cpu: Placement,
    /// Where the scheduler puts them: a handoff to a thread asleep on
    /// another CPU also pays that CPU's wake-up (an interrupt, and on a
    /// virtual machine an exit to the host), which both ways pay alike.
    pub any_cpu: Placement,
}

/// The two round trips of one run of the program.
#[derive(Clone, Debug, Serialize)]
pub struct Placement {
    /// The CPU the run was held to, or `None` for the scheduler's choice.
    pub cpu: Option<usize>,
    /// A `send()` of `{seq, hello: 'world'}` to a forked node child (json
    /// mode) until its reply arrives.
    pub send_round_trip: Spread,
    /// Atomics.store + notify to a worker_thread until its answer is seen.
    pub shared_memory_round_trip: Spread,
    /// send's median over the shared memory's.
    pub ratio: f64,
}

#[derive(serde::Deserialize)]
struct Printed {
    node: String,
    send: Vec<u64>,
    shared: Vec<u64>,
}

/// Run `node` on the program with `plan`'s runs for each round trip, held
/// to one CPU, then free.
pub fn measure(node: &Path, plan: Plan) -> Result<IpcFigures, String> {
    let dir = std::env::temp_dir().join(format!("forkscope-measure-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("could not make {}: {e}", dir.display()))?;
    let result = first_allowed_cpu().and_then(|cpu| {
        let (version, one_cpu) = run_in(&dir, node, plan, Some(cpu))?;
        let (_, any_cpu) = run_in(&dir, node, plan, None)?;
        Ok(IpcFigures {
            node: version,
            one_cpu,
            any_cpu,
        })
    });
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// The lowest CPU this process may run on.
fn first_allowed_cpu() -> Result<usize, String> {
    // Safety: a zeroed cpu_set_t is an empty set; sched_getaffinity fills
    // it, and CPU_ISSET reads inside it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return Err(format!(
                "could not read this process's CPUs: {}",
                std::io::Error::last_os_error()
            ));
        }
        (0..libc::CPU_SETSIZE as usize)
            .find(|&cpu| libc::CPU_ISSET(cpu, &set))
            .ok_or_else(|| "this process may run on no CPU".to_string())
    }
}

/// One run of the program, on `cpu` alone or anywhere: node's version and
/// the figures.
fn run_in(
    dir: &Path,
    node: &Path,
    plan: Plan,
    cpu: Option<usize>,
) -> Result<(String, Placement), String> {
    let script = dir.join("measure-ipc.js");
    let out_path = dir.join("out.json");
    let err_path = dir.join("err.txt");
    let file = |p: &Path| {
        std::fs::File::create(p).map_err(|e| format!("could not write {}: {e}", p.display()))
    };
    std::fs::write(&script, PROGRAM)
        .map_err(|e| format!("could not write {}: {e}", script.display()))?;
    let mut cmd = Command::new(node);
    cmd.arg(&script)
        .args([
            "parent".to_string(),
            plan.budget.as_millis().to_string(),
            plan.min_runs.to_string(),
            plan.max_runs.to_string(),
        ])
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(file(&out_path)?)
        .stderr(file(&err_path)?);
    // Made before the fork: the child may not allocate.
    let set = cpu.map(|cpu| {
        // Safety: a zeroed cpu_set_t is an empty set; CPU_SET writes inside
        // it (cpu < CPU_SETSIZE, as first_allowed_cpu found it there).
        unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(cpu, &mut set);
            set
        }
    });
    // Safety: prctl and sched_setaffinity are async-signal-safe system
    // calls that allocate nothing. The first asks the kernel to kill node
    // when this (single-threaded) process dies; the second holds node, and
    // so every thread and child it makes, to one CPU.
    unsafe {
        cmd.pre_exec(move || {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            if let Some(set) = &set {
                if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), set) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("could not start {}: {e}", node.display()))?;
    // Two measurements, each its budget, plus node's start and warm-up.
    let limit = plan.budget * 2 + NODE_SLACK;
    let deadline = Instant::now() + limit;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "node did not finish within {} s and was killed",
                    limit.as_secs()
                ));
            }
            Err(e) => return Err(format!("could not wait for node: {e}")),
        }
    };
    let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
    if !status.success() {
        return Err(format!(
            "node failed ({status}): {}",
            stderr.trim().lines().next().unwrap_or("it said nothing")
        ));
    }
    let out = std::fs::read_to_string(&out_path).unwrap_or_default();
    let printed: Printed = serde_json::from_str(out.trim())
        .map_err(|e| format!("node's output could not be read ({e}): {}", out.trim()))?;
    let send = Spread::of(printed.send).ok_or("node timed no send() round trip")?;
    let shared = Spread::of(printed.shared).ok_or("node timed no shared-memory round trip")?;
    Ok((
        printed.node,
        Placement {
            cpu,
            ratio: send.median_ns as f64 / shared.median_ns.max(1) as f64,
            send_round_trip: send,
            shared_memory_round_trip: shared,
        },
    ))
}
