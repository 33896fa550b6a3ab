//! JavaScript Date time values: `TimeClip` (what `new Date(ms)` keeps), the
//! ISO text `Date#toISOString` prints (and `JSON.stringify` sends), and the
//! strict ISO 8601 forms a scenario may pass to `new Date("...")`.
//!
//! Deliberately absent: local time. A date-time without `Z` or an offset
//! is in the machine's time zone in JavaScript, which the model does not
//! know, so the parser refuses it; and V8's fallback parser for other
//! texts ("March 7, 2020") is implementation-defined, so it is refused too.

/// The largest time value a Date holds, in ms either side of 1970
/// (ECMA-262 21.4.1.1: 100,000,000 days).
pub const MAX_TIME: f64 = 8.64e15;

const MS_PER_DAY: i64 = 86_400_000;

/// ECMA-262 `TimeClip`: NaN outside ±8.64e15 ms or when not finite, else the
/// integer towards zero, with -0 made +0.
pub fn time_clip(t: f64) -> f64 {
    if !t.is_finite() || t.abs() > MAX_TIME {
        f64::NAN
    } else {
        t.trunc() + 0.0
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date. `day` may run past
/// the month's end (Feb 30 is Mar 2), as V8's date arithmetic lets it.
/// (Howard Hinnant's days_from_civil.)
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01: (year, month 1-12, day 1-31).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `Date#toISOString` of a time value, or `None` for an invalid date (NaN),
/// where toISOString throws and `toJSON` gives null. Years outside 0..=9999
/// take a sign and six digits (`+275760-09-13T00:00:00.000Z`).
pub fn iso_string(t: f64) -> Option<String> {
    if t.is_nan() {
        return None;
    }
    let t = t as i64; // a clipped time value is an integer within ±8.64e15
    let days = t.div_euclid(MS_PER_DAY);
    let ms = t.rem_euclid(MS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    let year = if (0..=9999).contains(&year) {
        format!("{year:04}")
    } else {
        format!("{}{:06}", if year < 0 { '-' } else { '+' }, year.abs())
    };
    Some(format!(
        "{year}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    ))
}

/// The time value of an ISO 8601 date string as `new Date(text)` reads it:
/// `YYYY`, `YYYY-MM` or `YYYY-MM-DD` (UTC), or one of those followed by
/// `THH:mm`, `THH:mm:ss` or `THH:mm:ss.sss` and then `Z` or `±HH:mm`;
/// a year may also be `+YYYYYY` or `-YYYYYY`. A date beyond ±8.64e15 ms is
/// an invalid date (NaN), as in JavaScript. `Err` says why the text is not
/// one the model reads.
pub fn parse_iso(text: &str) -> Result<f64, String> {
    let mut r = Reader {
        s: text.as_bytes(),
        at: 0,
    };
    let year = match r.peek() {
        Some(sign @ (b'+' | b'-')) => {
            r.at += 1;
            let y = r.digits(6, "an expanded year (+YYYYYY or -YYYYYY)")?;
            if sign == b'-' && y == 0 {
                return Err("-000000 is not a year: write +000000 or 0000".into());
            }
            if sign == b'-' {
                -y
            } else {
                y
            }
        }
        _ => r.digits(4, "a four-digit year")?,
    };
    let (mut month, mut day) = (1, 1);
    if r.eat(b'-') {
        month = r.digits(2, "a two-digit month")?;
        if r.eat(b'-') {
            day = r.digits(2, "a two-digit day")?;
        }
    }
    if !(1..=12).contains(&month) {
        return Err(format!("month {month} is not from 01 to 12"));
    }
    if !(1..=31).contains(&day) {
        return Err(format!("day {day} is not from 01 to 31"));
    }
    let mut ms_of_day = 0;
    let mut offset_min = 0;
    if r.eat(b'T') {
        let hour = r.digits(2, "a two-digit hour")?;
        if !r.eat(b':') {
            return Err("the hour must be followed by \":\" and minutes (THH:mm)".into());
        }
        let minute = r.digits(2, "two-digit minutes")?;
        let (mut second, mut milli) = (0, 0);
        if r.eat(b':') {
            second = r.digits(2, "two-digit seconds")?;
            if r.eat(b'.') {
                // Any number of digits; V8 keeps the first three.
                let start = r.at;
                while r.peek().is_some_and(|b| b.is_ascii_digit()) {
                    r.at += 1;
                }
                let frac = &text[start..r.at];
                if frac.is_empty() {
                    return Err("a \".\" after the seconds must be followed by digits".into());
                }
                let three = format!("{:0<3}", &frac[..frac.len().min(3)]);
                milli = three.parse::<i64>().unwrap_or(0);
            }
        }
        if hour > 24 || minute > 59 || second > 59 || (hour == 24 && minute + second + milli > 0) {
            return Err(format!(
                "{hour:02}:{minute:02}:{second:02} is not a time of day"
            ));
        }
        ms_of_day = ((hour * 60 + minute) * 60 + second) * 1000 + milli;
        match r.peek() {
            Some(b'Z') => r.at += 1,
            Some(sign @ (b'+' | b'-')) => {
                r.at += 1;
                let h = r.digits(2, "a two-digit offset hour")?;
                if !r.eat(b':') {
                    return Err("an offset is written ±HH:mm".into());
                }
                let m = r.digits(2, "two-digit offset minutes")?;
                if h > 23 || m > 59 {
                    return Err(format!("{h:02}:{m:02} is not an offset"));
                }
                offset_min = if sign == b'-' { -(h * 60 + m) } else { h * 60 + m };
            }
            _ => {
                return Err("a time without \"Z\" or an offset (+01:00) is in the machine's local time zone, which the model does not know: add Z for UTC".into())
            }
        }
    }
    if r.at != r.s.len() {
        return Err(format!(
            "unexpected \"{}\" after the date: the model reads ISO dates like 2024-01-31 or 2024-01-31T12:00:00.000Z",
            &text[r.at..]
        ));
    }
    let days = days_from_civil(year, month, day);
    let t = days * MS_PER_DAY + ms_of_day - offset_min * 60_000;
    Ok(time_clip(t as f64))
}

struct Reader<'a> {
    s: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.at).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        let ok = self.peek() == Some(b);
        if ok {
            self.at += 1;
        }
        ok
    }

    /// Exactly `n` ASCII digits.
    fn digits(&mut self, n: usize, what: &str) -> Result<i64, String> {
        let end = self.at + n;
        match self.s.get(self.at..end) {
            Some(d) if d.iter().all(u8::is_ascii_digit) => {
                self.at = end;
                let more = self.peek().is_some_and(|b| b.is_ascii_digit());
                if more {
                    return Err(format!("expected {what}, found more digits"));
                }
                Ok(d.iter().fold(0, |acc, b| acc * 10 + i64::from(b - b'0')))
            }
            _ => Err(format!("expected {what}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_clip_truncates_towards_zero_and_drops_minus_zero() {
        assert_eq!(time_clip(1.7), 1.0);
        assert_eq!(time_clip(-1.7), -1.0);
        assert!(time_clip(-0.0).is_sign_positive());
        assert!(time_clip(MAX_TIME + 1.0).is_nan());
        assert_eq!(time_clip(-MAX_TIME), -MAX_TIME);
        assert!(time_clip(f64::INFINITY).is_nan());
    }

    #[test]
    fn iso_strings_match_to_iso_string() {
        // Each figure printed by node 20: new Date(t).toISOString().
        assert_eq!(iso_string(0.0).unwrap(), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_string(-1.0).unwrap(), "1969-12-31T23:59:59.999Z");
        assert_eq!(iso_string(MAX_TIME).unwrap(), "+275760-09-13T00:00:00.000Z");
        assert_eq!(
            iso_string(-MAX_TIME).unwrap(),
            "-271821-04-20T00:00:00.000Z"
        );
        assert_eq!(
            iso_string(-62_198_755_200_000.0).unwrap(),
            "-000001-01-01T00:00:00.000Z"
        );
        assert_eq!(
            iso_string(1_582_934_400_000.0).unwrap(),
            "2020-02-29T00:00:00.000Z"
        );
        assert_eq!(iso_string(f64::NAN), None);
    }

    #[test]
    fn iso_dates_parse_as_node_reads_them() {
        // Each time value printed by node 20: new Date(text).getTime().
        let cases = [
            ("2021", 1_609_459_200_000.0),
            ("2021-05", 1_619_827_200_000.0),
            ("+002021-05-01", 1_619_827_200_000.0),
            ("2021-02-30", 1_614_643_200_000.0),
            ("2021-01-01T24:00:00Z", 1_609_545_600_000.0),
            ("2021-01-01T10:00Z", 1_609_495_200_000.0),
            ("2021-01-01T10:00:00.1234Z", 1_609_495_200_123.0),
            ("2021-01-01T10:00:00+01:30", 1_609_489_800_000.0),
            ("+275760-09-13T00:00:00.000Z", MAX_TIME),
        ];
        for (text, t) in cases {
            assert_eq!(parse_iso(text), Ok(t), "{text}");
        }
        assert!(parse_iso("+275760-09-13T00:00:00.001Z").unwrap().is_nan());
    }

    #[test]
    fn texts_that_are_not_strict_iso_or_are_local_time_are_refused() {
        for text in [
            "2021-13-01",
            "2021-1-01",
            "20210101",
            "2021-01-01T10Z",
            "-000000-01-01",
            "2021-01-01T24:00:01Z",
            "2021-01-01T10:00:00,5Z",
            "March 7, 2020",
        ] {
            assert!(parse_iso(text).is_err(), "{text}");
        }
        let local = parse_iso("2021-01-01T10:00").unwrap_err();
        assert!(local.contains("local time zone"), "{local}");
    }
}
