//! The median and spread of a set of timed runs, and how a duration is
//! written for a person.
//!
//! Medians, not means: one run that the scheduler delayed (a busy machine,
//! an interrupt) moves a mean and barely moves a median. The spread is the
//! middle half of the runs (the 25th to the 75th percentile), with the
//! fastest and slowest kept in the JSON.

use serde::Serialize;
use std::time::Duration;

/// How many runs to time: at least `min_runs`, then until `budget` has
/// passed, and never more than `max_runs`.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    pub min_runs: usize,
    pub max_runs: usize,
    pub budget: Duration,
}

impl Plan {
    /// Exactly `n` runs, whatever they take.
    pub fn exactly(n: usize) -> Plan {
        Plan {
            min_runs: n,
            max_runs: n,
            budget: Duration::ZERO,
        }
    }

    /// Should another run be timed, after `done` runs that took `spent`?
    pub fn wants_more(&self, done: usize, spent: Duration) -> bool {
        done < self.min_runs || (done < self.max_runs && spent < self.budget)
    }
}

/// The figures of one measurement, in nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Spread {
    pub runs: usize,
    pub median_ns: u64,
    /// The 25th percentile (nearest rank).
    pub q1_ns: u64,
    /// The 75th percentile (nearest rank).
    pub q3_ns: u64,
    pub min_ns: u64,
    pub max_ns: u64,
}

impl Spread {
    /// The figures of `samples` (nanoseconds, any order); `None` for no
    /// samples, which has no median.
    pub fn of(mut samples: Vec<u64>) -> Option<Spread> {
        if samples.is_empty() {
            return None;
        }
        samples.sort_unstable();
        let n = samples.len();
        let at = |p: usize| samples[(p * (n - 1) + 50) / 100];
        let median = if n % 2 == 1 {
            samples[n / 2]
        } else {
            (samples[n / 2 - 1] + samples[n / 2]) / 2
        };
        Some(Spread {
            runs: n,
            median_ns: median,
            q1_ns: at(25),
            q3_ns: at(75),
            min_ns: samples[0],
            max_ns: samples[n - 1],
        })
    }

    /// "95.1 µs (90.2-101 µs)": the median, then the middle half; the low
    /// end names its unit only when it differs from the high end's.
    pub fn text(&self) -> String {
        let (low, high) = (duration(self.q1_ns), duration(self.q3_ns));
        let low = match (low.split_once(' '), high.split_once(' ')) {
            (Some((n, a)), Some((_, b))) if a == b => n.to_string(),
            _ => low,
        };
        format!("{} ({low}-{high})", duration(self.median_ns))
    }
}

/// `ns` with three significant figures and its unit: "850 ns", "95.1 µs",
/// "12.3 ms", "1.20 s".
pub fn duration(ns: u64) -> String {
    let (value, unit) = match ns {
        0..=999 => return format!("{ns} ns"),
        1_000..=999_999 => (ns as f64 / 1e3, "µs"),
        1_000_000..=999_999_999 => (ns as f64 / 1e6, "ms"),
        _ => (ns as f64 / 1e9, "s"),
    };
    format!("{} {unit}", three_figures(value))
}

fn three_figures(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// `a / b` as "×12.3" (three figures), or "-" when `b` is 0.
pub fn ratio_text(ratio: Option<f64>) -> String {
    ratio.map_or_else(|| "-".into(), |r| format!("×{}", three_figures(r)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_odd_count_has_its_middle_run_as_median() {
        let s = Spread::of(vec![50, 10, 40, 20, 30]).unwrap();
        assert_eq!(s.median_ns, 30);
        assert_eq!((s.q1_ns, s.q3_ns), (20, 40));
        assert_eq!((s.min_ns, s.max_ns, s.runs), (10, 50, 5));
    }

    #[test]
    fn an_even_count_has_the_mean_of_its_middle_two_as_median() {
        let s = Spread::of(vec![4, 1, 3, 2]).unwrap();
        assert_eq!(s.median_ns, 2);
        let s = Spread::of(vec![10, 20]).unwrap();
        assert_eq!(s.median_ns, 15);
    }

    #[test]
    fn one_slow_run_barely_moves_the_median() {
        let s = Spread::of(vec![100, 101, 102, 103, 1_000_000]).unwrap();
        assert_eq!(s.median_ns, 102);
        assert_eq!(s.max_ns, 1_000_000);
    }

    #[test]
    fn no_samples_have_no_spread() {
        assert_eq!(Spread::of(Vec::new()), None);
    }

    #[test]
    fn durations_keep_three_figures_and_their_unit() {
        assert_eq!(duration(850), "850 ns");
        assert_eq!(duration(95_140), "95.1 µs");
        assert_eq!(duration(1_234_567), "1.23 ms");
        assert_eq!(duration(12_345_678), "12.3 ms");
        assert_eq!(duration(1_200_000_000), "1.20 s");
    }

    #[test]
    fn a_spread_reads_as_median_then_middle_half() {
        let s = Spread::of(vec![88_000, 90_200, 95_100, 101_000, 120_000]).unwrap();
        assert_eq!(s.text(), "95.1 µs (90.2-101 µs)");
        let s = Spread::of(vec![900, 950, 990, 1_020, 1_100]).unwrap();
        assert_eq!(s.text(), "990 ns (950 ns-1.02 µs)");
    }

    #[test]
    fn a_plan_runs_its_minimum_then_stops_at_its_budget_or_maximum() {
        let plan = Plan {
            min_runs: 3,
            max_runs: 5,
            budget: Duration::from_millis(10),
        };
        assert!(plan.wants_more(2, Duration::from_secs(1)));
        assert!(!plan.wants_more(3, Duration::from_millis(10)));
        assert!(plan.wants_more(4, Duration::from_millis(1)));
        assert!(!plan.wants_more(5, Duration::ZERO));
        assert!(!Plan::exactly(2).wants_more(2, Duration::ZERO));
    }
}
