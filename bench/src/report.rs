//! How the figures read: units, ratios against the baseline, and a plain
//! verdict on each target.

use std::fmt::Write as _;

/// A measured quantity, or a lower bound when a cap stopped the run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Figure {
    Value(f64),
    AtLeast(f64),
}

impl Figure {
    fn amount(self) -> f64 {
        match self {
            Figure::Value(v) | Figure::AtLeast(v) => v,
        }
    }

    /// `self` over `baseline`; unknown when the baseline is only a bound
    /// (the ratio could then be anything) or zero.
    pub fn ratio(self, baseline: Figure) -> Option<Figure> {
        let Figure::Value(base) = baseline else {
            return None;
        };
        if base <= 0.0 {
            return None;
        }
        Some(match self {
            Figure::Value(v) => Figure::Value(v / base),
            Figure::AtLeast(v) => Figure::AtLeast(v / base),
        })
    }
}

/// What a figure measures, which decides its unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Seconds,
    Bytes,
}

pub fn show(figure: Figure, unit: Unit) -> String {
    let (prefix, v) = match figure {
        Figure::Value(v) => ("", v),
        Figure::AtLeast(v) => ("> ", v),
    };
    let amount = match unit {
        Unit::Seconds => seconds(v),
        Unit::Bytes => bytes(v),
    };
    format!("{prefix}{amount}")
}

pub fn show_ratio(ratio: Option<Figure>) -> String {
    match ratio {
        None => "?".into(),
        Some(Figure::Value(r)) => format!("{}x", sig3(r)),
        Some(Figure::AtLeast(r)) => format!("> {}x", sig3(r)),
    }
}

fn seconds(s: f64) -> String {
    if s >= 1.0 {
        format!("{} s", sig3(s))
    } else if s >= 1e-3 {
        format!("{} ms", sig3(s * 1e3))
    } else if s >= 1e-6 {
        format!("{} µs", sig3(s * 1e6))
    } else {
        format!("{} ns", sig3(s * 1e9))
    }
}

fn bytes(b: f64) -> String {
    const KIB: f64 = 1024.0;
    if b >= KIB * KIB * KIB {
        format!("{} GiB", sig3(b / (KIB * KIB * KIB)))
    } else if b >= KIB * KIB {
        format!("{} MiB", sig3(b / (KIB * KIB)))
    } else if b >= KIB {
        format!("{} KiB", sig3(b / KIB))
    } else {
        format!("{b:.0} B")
    }
}

/// Three significant digits, without a useless exponent: 1.23, 12.3, 123,
/// 1234.
fn sig3(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// Whether a target holds, given the ratios measured against it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Met,
    NotMet,
    /// A baseline did not finish, or a capped run's bound is still within
    /// the target: the run could not tell.
    Unknown,
}

impl Verdict {
    pub fn of(ratios: &[Option<Figure>], limit: f64) -> Verdict {
        if ratios.is_empty() {
            return Verdict::Unknown;
        }
        let over = |r: &Option<Figure>| r.is_some_and(|r| r.amount() > limit);
        if ratios.iter().any(over) {
            return Verdict::NotMet;
        }
        if ratios
            .iter()
            .all(|r| matches!(r, Some(Figure::Value(v)) if *v <= limit))
        {
            Verdict::Met
        } else {
            Verdict::Unknown
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Verdict::Met => "met",
            Verdict::NotMet => "NOT MET",
            Verdict::Unknown => "not judged (a run was stopped by a cap)",
        }
    }
}

/// Left-aligned columns with two spaces between them, for rows of cells.
pub fn table(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut text = String::new();
    for row in rows {
        let mut line = String::from("  ");
        for (c, cell) in row.iter().enumerate() {
            let _ = write!(line, "{cell:<w$}  ", w = widths[c]);
        }
        let _ = writeln!(text, "{}", line.trim_end());
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_read_in_the_unit_that_fits_them() {
        assert_eq!(show(Figure::Value(0.000_012_34), Unit::Seconds), "12.3 µs");
        assert_eq!(show(Figure::Value(2.5), Unit::Seconds), "2.50 s");
        assert_eq!(show(Figure::AtLeast(60.0), Unit::Seconds), "> 60.0 s");
        assert_eq!(
            show(Figure::Value(215.0 * 1024.0 * 1024.0), Unit::Bytes),
            "215 MiB"
        );
        assert_eq!(show_ratio(Some(Figure::Value(1.234))), "1.23x");
    }

    #[test]
    fn a_target_is_met_only_when_every_ratio_is_measured_and_within_it() {
        let v = |r| Some(Figure::Value(r));
        assert_eq!(Verdict::of(&[v(1.5), v(1.9)], 2.0), Verdict::Met);
        assert_eq!(Verdict::of(&[v(1.5), v(2.1)], 2.0), Verdict::NotMet);
        assert_eq!(
            Verdict::of(&[v(1.5), Some(Figure::AtLeast(3.0))], 2.0),
            Verdict::NotMet
        );
        assert_eq!(
            Verdict::of(&[v(1.5), Some(Figure::AtLeast(1.0))], 2.0),
            Verdict::Unknown
        );
        assert_eq!(Verdict::of(&[v(1.5), None], 2.0), Verdict::Unknown);
    }
}
