//! The machine a measurement came from, as `forkscope measure` records it:
//! the kernel release, the CPU model and count, the memory, node's version,
//! the date, and the load average (a figure taken on a busy machine must
//! say so).
//!
//! Everything here is read from /proc, /sys and `node --version`; a fact
//! that cannot be read is `None` (shown as "unknown"), never a failure, so
//! that a machine without some file still gets its figures.

use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Above this 1-minute load average per CPU, the machine is called busy: a
/// figure taken there is stretched by other work, and says so.
pub const BUSY_LOAD_PER_CPU: f64 = 0.5;

/// What the figures were measured on.
#[derive(Clone, Debug, Serialize)]
pub struct Machine {
    /// /proc/sys/kernel/osrelease.
    pub kernel: Option<String>,
    /// The first "model name" of /proc/cpuinfo.
    pub cpu_model: Option<String>,
    /// CPUs online (sysconf(_SC_NPROCESSORS_ONLN)).
    pub cpus: u32,
    /// MemTotal of /proc/meminfo, in bytes.
    pub memory_bytes: Option<u64>,
    /// `node --version` of the node on PATH, if there is one.
    pub node: Option<String>,
    /// /sys/kernel/mm/transparent_hugepage/enabled, the bracketed choice.
    pub transparent_hugepages: Option<String>,
    /// Whether this forkscope was built with debug assertions (a debug
    /// build): the timed code is syscalls, but a reader should know.
    pub debug_build: bool,
}

impl Machine {
    /// The machine this process runs on; `node` is the node found on PATH.
    pub fn this_one(node: Option<&Path>) -> Machine {
        let meminfo = read("/proc/meminfo").unwrap_or_default();
        Machine {
            kernel: read("/proc/sys/kernel/osrelease").map(|s| s.trim().to_string()),
            cpu_model: read("/proc/cpuinfo").and_then(|text| {
                text.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, v)| v.trim().to_string())
            }),
            cpus: cpus_online(),
            memory_bytes: meminfo_kib(&meminfo, "MemTotal").map(|k| k * 1024),
            node: node.and_then(node_version),
            transparent_hugepages: read("/sys/kernel/mm/transparent_hugepage/enabled").and_then(
                |s| {
                    s.split('[')
                        .nth(1)
                        .and_then(|r| r.split(']').next())
                        .map(str::to_string)
                },
            ),
            debug_build: cfg!(debug_assertions),
        }
    }
}

fn read(path: &str) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

/// CPUs online, at least 1.
pub fn cpus_online() -> u32 {
    // Safety: sysconf reads a system value and touches no memory of ours.
    let n = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    u32::try_from(n).unwrap_or(1).max(1)
}

/// The value in KiB of `key` in /proc/meminfo's text.
fn meminfo_kib(meminfo: &str, key: &str) -> Option<u64> {
    meminfo.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        (k == key).then(|| v.split_whitespace().next()?.parse().ok())?
    })
}

/// How many bytes this process may still touch without pushing the machine
/// (or its memory cgroup) into reclaim: MemAvailable, or the cgroup's limit
/// less its usage when that is smaller. `None` when neither can be read.
pub fn memory_available() -> Option<u64> {
    let machine = read("/proc/meminfo")
        .and_then(|m| meminfo_kib(&m, "MemAvailable"))
        .map(|k| k * 1024);
    match (machine, cgroup_headroom()) {
        (Some(m), Some(c)) => Some(m.min(c)),
        (m, c) => m.or(c),
    }
}

/// The room left under this process's memory cgroup limit, if it has one:
/// cgroup v2 (`0::PATH`, memory.max and memory.current) or v1
/// (`N:memory:PATH`, memory.limit_in_bytes and memory.usage_in_bytes).
fn cgroup_headroom() -> Option<u64> {
    let cgroups = read("/proc/self/cgroup")?;
    let mut best: Option<u64> = None;
    for line in cgroups.lines() {
        let mut parts = line.splitn(3, ':');
        let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
        let path = path.trim_start_matches('/');
        let (dir, limit, usage) = if controllers.is_empty() {
            (
                PathBuf::from("/sys/fs/cgroup").join(path),
                "memory.max",
                "memory.current",
            )
        } else if controllers.split(',').any(|c| c == "memory") {
            (
                PathBuf::from("/sys/fs/cgroup/memory").join(path),
                "memory.limit_in_bytes",
                "memory.usage_in_bytes",
            )
        } else {
            continue;
        };
        let number = |file: &str| -> Option<u64> {
            std::fs::read_to_string(dir.join(file))
                .ok()?
                .trim()
                .parse()
                .ok()
        };
        // "max" (v2) does not parse, and v1's "no limit" is a huge number:
        // either way there is no limit worth naming.
        if let (Some(limit), Some(usage)) = (number(limit), number(usage)) {
            if limit < (1 << 60) {
                let room = limit.saturating_sub(usage);
                best = Some(best.map_or(room, |b| b.min(room)));
            }
        }
    }
    best
}

/// `node --version`, trimmed, or `None` when it does not answer.
fn node_version(node: &Path) -> Option<String> {
    let out = std::process::Command::new(node)
        .arg("--version")
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    (out.status.success() && !text.trim().is_empty()).then(|| text.trim().to_string())
}

/// The first executable file named `node` in `PATH`, as a shell would find it.
pub fn node_on_path() -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| dir.join("node"))
        .find(|candidate| {
            std::fs::metadata(candidate)
                .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
                .unwrap_or(false)
        })
}

/// The load averages over 1, 5 and 15 minutes (/proc/loadavg).
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Load(pub [f64; 3]);

impl Load {
    /// Now, or `None` when /proc/loadavg cannot be read.
    pub fn now() -> Option<Load> {
        let text = read("/proc/loadavg")?;
        let mut it = text.split_whitespace().map(|w| w.parse::<f64>().ok());
        Some(Load([it.next()??, it.next()??, it.next()??]))
    }

    /// Is the 1-minute figure above `BUSY_LOAD_PER_CPU` for `cpus` CPUs?
    pub fn busy(&self, cpus: u32) -> bool {
        self.0[0] / f64::from(cpus.max(1)) > BUSY_LOAD_PER_CPU
    }
}

/// `now` as an ISO 8601 UTC date and time, to the second
/// (`2026-12-01T09:30:00Z`).
pub fn utc_date(now: SystemTime) -> String {
    let secs = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

/// Year, month, day of the `days`-th day after 1970-01-01, in the proleptic
/// Gregorian calendar (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn date_at(secs: u64) -> String {
        utc_date(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
    }

    #[test]
    fn the_epoch_is_the_first_of_january_1970() {
        assert_eq!(date_at(0), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn a_leap_day_and_the_day_after_are_told_apart() {
        // 2024-02-29T12:34:56Z and a day later.
        assert_eq!(date_at(1_709_210_096), "2024-02-29T12:34:56Z");
        assert_eq!(date_at(1_709_210_096 + 86_400), "2024-03-01T12:34:56Z");
    }

    #[test]
    fn the_last_second_of_a_year_is_in_that_year() {
        assert_eq!(date_at(1_735_689_599), "2024-12-31T23:59:59Z");
    }

    #[test]
    fn a_meminfo_line_gives_its_kib() {
        let text = "MemTotal:       24684188 kB\nMemAvailable:   23932080 kB\n";
        assert_eq!(meminfo_kib(text, "MemAvailable"), Some(23_932_080));
        assert_eq!(meminfo_kib(text, "Mem"), None);
    }

    #[test]
    fn a_load_above_half_a_cpu_each_is_busy() {
        assert!(Load([1.1, 0.0, 0.0]).busy(2));
        assert!(!Load([1.0, 9.0, 9.0]).busy(2));
    }
}
