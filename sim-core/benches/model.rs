//! The model's speed and memory targets (issue 2), each against a baseline
//! measured in the same run:
//! - fork of a process with 262,144 touched pages (1 GiB), through the step
//!   engine (so the history's copy-on-write is paid too); baseline: copying
//!   that process's page table as flat memory (2 MiB of 8-byte entries), the
//!   least any fork could do. The kernel's own figure is ~15 ms
//!   (measured on Linux 6.18, x86_64); the target is a tenth of it.
//! - page reads and writes per second, through the step engine and through
//!   the memory subsystem alone; target: at least 1,000,000.
//! - showing any step of a 100,000-step run again, and the memory its
//!   history holds per step, against a full copy of the state per step.
//!
//! Run: `cargo xtask bench` (or `cargo bench -p sim-core --bench model`).

use criterion::{criterion_group, BatchSize, Criterion, Throughput};
use sim_core::engine::Sim;
use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Counts live heap bytes, to measure what the history keeps.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarding to the system allocator with the caller's layout.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: `ptr` came from `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const GIB_PAGES: u32 = 262_144;

/// A sim that has run up to just before `p: fork c`, with 1 GiB touched.
fn sim_before_fork() -> Sim {
    let text =
        format!("process p\np: mmap heap {GIB_PAGES}\np: write heap 0..{GIB_PAGES}\np: fork c\n");
    let mut sim = Sim::from_source(&text).expect("the bench scenario parses");
    for _ in 0..3 {
        sim.step().expect("set-up steps run");
    }
    sim
}

fn fork(c: &mut Criterion) {
    let mut group = c.benchmark_group("fork 1 GiB");
    group.sample_size(20);
    group.bench_function("baseline: copy a 2 MiB page table", |b| {
        let table: Vec<u64> = (0..u64::from(GIB_PAGES))
            .map(|i| (i << 12) | 0x67)
            .collect();
        b.iter(|| black_box(table.clone()))
    });
    group.bench_function("model: fork step (with history)", |b| {
        b.iter_batched(
            sim_before_fork,
            |mut sim| {
                sim.step().expect("fork runs");
                sim
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

fn page_ops(c: &mut Criterion) {
    let mut group = c.benchmark_group("page accesses");
    // 64 steps of 1024 pages each: writes that fault in fresh frames, COW
    // copies after a fork, reuses, and fault-free reads.
    let mut text = String::from("process p\np: mmap heap 16384\n");
    for i in 0..16 {
        text.push_str(&format!("p: write heap {}..{}\n", i * 1024, (i + 1) * 1024));
    }
    text.push_str("p: fork c\n");
    for i in 0..16 {
        text.push_str(&format!("c: write heap {}..{}\n", i * 1024, (i + 1) * 1024));
    }
    for i in 0..16 {
        text.push_str(&format!("p: write heap {}..{}\n", i * 1024, (i + 1) * 1024));
    }
    for i in 0..16 {
        text.push_str(&format!("p: read heap {}..{}\n", i * 1024, (i + 1) * 1024));
    }
    let scenario = sim_core::scenario::parse(&text).expect("the bench scenario parses");
    let pages = 64 * 1024u64;
    group.throughput(Throughput::Elements(pages));
    group.bench_function("engine: 65,536 page accesses in 1 KiB-page steps", |b| {
        b.iter(|| {
            let mut sim = Sim::new(scenario.clone());
            sim.run_to_end().expect("runs");
            sim
        })
    });
    group.finish();
}

/// A 100,000-step run: one process with a 1 GiB heap writes pages here and
/// there; every 10,000 steps a child forks, writes, exits and is reaped.
fn long_run_text(steps: u32) -> String {
    let mut text = format!("process p\np: mmap heap {GIB_PAGES}\np: write heap 0..4096\n");
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut n = 3;
    let mut child = 0;
    while n < steps {
        if n % 10_000 == 0 {
            text.push_str(&format!(
                "p: fork c{child}\nc{child}: write heap 7\nc{child}: exit 0\np: wait c{child}\n"
            ));
            child += 1;
            n += 4;
            continue;
        }
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let page = (seed % u64::from(GIB_PAGES)) as u32;
        text.push_str(&format!("p: write heap {page}\n"));
        n += 1;
    }
    text
}

fn time_travel(c: &mut Criterion) {
    let steps = 100_000;
    let scenario = sim_core::scenario::parse(&long_run_text(steps)).expect("parses");
    let before = LIVE.load(Ordering::Relaxed);
    let started = Instant::now();
    let mut sim = Sim::new(scenario);
    sim.run_to_end().expect("the long run runs");
    let elapsed = started.elapsed();
    let history = LIVE.load(Ordering::Relaxed) - before;
    let n = sim.steps().len();
    // A full copy of the state per step would hold at least the heap's page
    // table (4 bytes an entry) and the frame table (8 bytes a frame).
    let full_state = GIB_PAGES as usize * 4 + sim.current().frames().allocated() as usize * 8;
    println!(
        "\nlong run: {n} steps in {:.2} s; history holds {:.1} MiB = {} bytes a step, \
         against {} bytes a step for a full copy of the state (ratio {:.4})",
        elapsed.as_secs_f64(),
        history as f64 / (1 << 20) as f64,
        history / n,
        full_state,
        (history / n) as f64 / full_state as f64
    );
    let mut group = c.benchmark_group("time travel over 100,000 steps");
    group.bench_function("baseline: index a Vec of 100,000 u64", |b| {
        let v: Vec<u64> = (0..100_000).collect();
        let mut i = 0usize;
        b.iter(|| {
            i = (i + 7919) % v.len();
            black_box(v[i])
        })
    });
    group.bench_function(
        "show a step: its world, trace entry and a 64-page window",
        |b| {
            let mut i = 0u32;
            b.iter(|| {
                i = (i + 7919) % steps;
                let world = sim.world(i).expect("every step is kept");
                let step = &sim.steps()[(i.max(1) - 1) as usize];
                let obs = world.observe_scoped(|_| true, |_, _| Some(64));
                black_box((step, obs))
            })
        },
    );
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! { name = benches; config = config(); targets = fork, page_ops, time_travel }

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
