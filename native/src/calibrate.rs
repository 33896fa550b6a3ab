//! `forkscope calibrate`: measure the kernel figures the model's profile
//! holds (sim_core::profile::KernelProfile), print them beside the
//! profile's, and exit 1 where they differ.
//!
//! The profile is read through its serialised form, by field name, so that
//! a figure the profile does not hold yet is shown as such instead of
//! failing the build. Measurements use fresh pipes and socketpairs of this
//! process only; nothing is changed system-wide.

use sim_core::profile::KernelProfile;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct CalibrateArgs {
    /// Print the figures as JSON.
    #[arg(long)]
    json: bool,
}

/// One figure: what was measured, what the profile says.
#[derive(Clone, Debug, serde::Serialize)]
struct Figure {
    name: String,
    measured: Option<String>,
    profile: Option<String>,
}

impl Figure {
    fn differs(&self) -> bool {
        matches!((&self.measured, &self.profile), (Some(m), Some(p)) if m != p)
    }
}

fn read_trim(path: &str) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_string())
}

/// The profile's field `path` (dot-separated), as text.
fn profile_field(profile: &serde_json::Value, path: &str) -> Option<String> {
    let mut v = profile;
    for key in path.split('.') {
        v = v.get(key)?;
    }
    Some(match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    })
}

fn pipe_pair() -> Option<[i32; 2]> {
    let mut fds = [0; 2];
    // Safety: pipe2 writes two fds into a local array.
    (unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } == 0).then_some(fds)
}

fn socket_pair() -> Option<[i32; 2]> {
    let mut fds = [0; 2];
    // Safety: socketpair writes two fds into a local array.
    let r = unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_STREAM | libc::SOCK_CLOEXEC,
            0,
            fds.as_mut_ptr(),
        )
    };
    (r == 0).then_some(fds)
}

fn close_all(fds: [i32; 2]) {
    for fd in fds {
        // Safety: closing fds this module opened.
        unsafe { libc::close(fd) };
    }
}

fn sndbuf(fd: i32) -> Option<u64> {
    let mut v: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // Safety: SO_SNDBUF writes one int.
    let r = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_SNDBUF,
            (&mut v as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    (r == 0).then_some(v as u64)
}

/// SIOCOUTQ after one nonblocking send of `n` bytes on a fresh socketpair:
/// the truesize the kernel charged the sender.
fn truesize_of_send(n: usize) -> Option<u64> {
    let fds = socket_pair()?;
    let data = vec![b'x'; n];
    // Safety: data is a live buffer of n bytes.
    let sent = unsafe { libc::send(fds[0], data.as_ptr().cast(), n, libc::MSG_DONTWAIT) };
    let mut q: libc::c_int = 0;
    // Safety: SIOCOUTQ (= TIOCOUTQ) writes one int.
    let r = unsafe { libc::ioctl(fds[0], libc::TIOCOUTQ, &mut q) };
    close_all(fds);
    (sent == n as isize && r == 0).then_some(q as u64)
}

/// fault_around_bytes, measured: one read fault in a fresh shared mapping of
/// a file whose pages are all in the page cache maps the neighbours of the
/// faulting page within its fault_around_bytes-aligned block
/// (do_fault_around in mm/memory.c), so the pages present afterwards are
/// that block. Used when debugfs is not mounted. The mapping is 1 MiB,
/// aligned to 1 MiB, so any value up to 1 MiB is seen whole.
fn fault_around_bytes() -> Option<u64> {
    const SPAN: usize = 1 << 20;
    let page = 4096usize;
    // Safety: a memfd, a reservation and a mapping of our own, all released
    // before returning; the only memory read is inside the mapping.
    unsafe {
        let fd = libc::memfd_create(c"forkscope-calibrate".as_ptr(), libc::MFD_CLOEXEC);
        if fd < 0 {
            return None;
        }
        let data = vec![1u8; SPAN];
        let filled = libc::pwrite(fd, data.as_ptr().cast(), SPAN, 0) == SPAN as isize;
        let reserve = libc::mmap(
            std::ptr::null_mut(),
            2 * SPAN,
            libc::PROT_NONE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        );
        let mut present = None;
        if filled && reserve != libc::MAP_FAILED {
            let addr = (reserve as usize).next_multiple_of(SPAN);
            let p = libc::mmap(
                addr as *mut libc::c_void,
                SPAN,
                libc::PROT_READ,
                libc::MAP_SHARED | libc::MAP_FIXED,
                fd,
                0,
            );
            if p != libc::MAP_FAILED {
                std::ptr::read_volatile(p as *const u8);
                present = std::fs::File::open("/proc/self/pagemap")
                    .ok()
                    .and_then(|f| {
                        use std::os::unix::fs::FileExt;
                        let mut buf = vec![0u8; SPAN / page * 8];
                        f.read_exact_at(&mut buf, (addr / page * 8) as u64).ok()?;
                        Some(
                            buf.chunks_exact(8).filter(|c| c[7] & 0x80 != 0).count() as u64
                                * page as u64,
                        )
                    });
            }
            libc::munmap(reserve, 2 * SPAN);
        }
        libc::close(fd);
        present
    }
}

fn measure(profile: &serde_json::Value) -> Vec<Figure> {
    let k = KernelProfile::default();
    let mut out = Vec::new();
    let mut fig = |name: &str, measured: Option<String>, profile_value: Option<String>| {
        out.push(Figure {
            name: name.into(),
            measured,
            profile: profile_value,
        });
    };
    // Safety: sysconf reads a constant.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    fig(
        "page size",
        Some(page.to_string()),
        profile_field(profile, "page_size"),
    );
    let fault_around = read_trim("/sys/kernel/debug/fault_around_bytes")
        .or_else(|| fault_around_bytes().map(|b| b.to_string()));
    fig(
        "fault-around bytes",
        fault_around,
        profile_field(profile, "fault_around_bytes"),
    );

    let pipe_size = pipe_pair().map(|fds| {
        // Safety: F_GETPIPE_SZ on our own pipe.
        let n = unsafe { libc::fcntl(fds[0], libc::F_GETPIPE_SZ) };
        close_all(fds);
        n.to_string()
    });
    let profile_pipe = match (
        profile_field(profile, "pipe_def_buffers"),
        profile_field(profile, "page_size"),
    ) {
        (Some(b), Some(p)) => b
            .parse::<u64>()
            .ok()
            .zip(p.parse::<u64>().ok())
            .map(|(b, p)| (b * p).to_string()),
        _ => None,
    };
    fig("pipe size (F_GETPIPE_SZ)", pipe_size, profile_pipe);
    fig(
        "pipe-max-size",
        read_trim("/proc/sys/fs/pipe-max-size"),
        profile_field(profile, "pipe_max_size"),
    );

    let (default_sndbuf, min_sndbuf) = match socket_pair() {
        Some(fds) => {
            let default = sndbuf(fds[0]);
            let one: libc::c_int = 1;
            // Safety: SO_SNDBUF reads one int; the kernel applies its floor.
            unsafe {
                libc::setsockopt(
                    fds[0],
                    libc::SOL_SOCKET,
                    libc::SO_SNDBUF,
                    (&one as *const libc::c_int).cast(),
                    std::mem::size_of::<libc::c_int>() as libc::socklen_t,
                )
            };
            let floor = sndbuf(fds[0]);
            close_all(fds);
            (default, floor)
        }
        None => (None, None),
    };
    fig(
        "SO_SNDBUF default",
        default_sndbuf.map(|v| v.to_string()),
        profile_field(profile, "wmem_default"),
    );
    fig(
        "SO_SNDBUF floor",
        min_sndbuf.map(|v| v.to_string()),
        profile_field(profile, "sock_min_sndbuf"),
    );
    fig(
        "wmem_max",
        read_trim("/proc/sys/net/core/wmem_max"),
        profile_field(profile, "wmem_max"),
    );
    fig(
        "rmem_default",
        read_trim("/proc/sys/net/core/rmem_default"),
        profile_field(profile, "rmem_default"),
    );
    for n in [1usize, 100, 1000, 3000, 4096, 16384, 65536] {
        fig(
            &format!("truesize of a {n}-byte stream send"),
            truesize_of_send(n).map(|v| v.to_string()),
            k.stream_send_truesize(n as u64).ok().map(|v| v.to_string()),
        );
    }
    let thp = read_trim("/sys/kernel/mm/transparent_hugepage/enabled").and_then(|s| {
        s.split('[')
            .nth(1)
            .and_then(|r| r.split(']').next())
            .map(str::to_string)
    });
    fig("transparent huge pages", thp, profile_field(profile, "thp"));
    // The profile holds major.minor; the full release is shown in the name.
    let release = read_trim("/proc/sys/kernel/osrelease");
    let version = release.as_deref().map(|r| {
        r.split(|c: char| !c.is_ascii_digit() && c != '.')
            .next()
            .unwrap_or(r)
            .split('.')
            .take(2)
            .collect::<Vec<_>>()
            .join(".")
    });
    fig(
        &format!(
            "kernel version ({})",
            release.as_deref().unwrap_or("unknown release")
        ),
        version,
        profile_field(profile, "kernel"),
    );
    out
}

pub fn calibrate(args: CalibrateArgs) -> ExitCode {
    let profile = serde_json::to_value(KernelProfile::default()).expect("a profile serialises");
    let figures = measure(&profile);
    let differ = figures.iter().any(Figure::differs);
    if args.json {
        let doc = serde_json::json!({ "figures": figures, "differ": differ });
        crate::output::println(&format!("{doc:#}"));
    } else {
        let rows: Vec<[String; 4]> = std::iter::once([
            "figure".into(),
            "measured".into(),
            "profile".into(),
            String::new(),
        ])
        .chain(figures.iter().map(|f| {
            let mark = if f.differs() {
                "DIFFERS"
            } else if f.profile.is_none() {
                "(not in the profile)"
            } else if f.measured.is_none() {
                "(could not measure)"
            } else {
                ""
            };
            [
                f.name.clone(),
                f.measured.clone().unwrap_or_else(|| "-".into()),
                f.profile.clone().unwrap_or_else(|| "-".into()),
                mark.into(),
            ]
        }))
        .collect();
        crate::output::print(&crate::check::table(&rows));
    }
    ExitCode::from(if differ { 1 } else { 0 })
}
