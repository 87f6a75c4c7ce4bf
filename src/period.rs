//! Reporting periods: parsing, half-open bounds in the report timezone, and the
//! periods a report compares against (previous, year-ago, trend).

use anyhow::{bail, Context, Result};
use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    Week,
    Month,
    Quarter,
    Half,
    Year,
    Custom,
}

impl PeriodKind {
    pub fn parse_last(s: &str) -> Result<Self> {
        Ok(match s {
            "week" => Self::Week,
            "month" => Self::Month,
            "quarter" => Self::Quarter,
            "half" => Self::Half,
            "year" => Self::Year,
            _ => bail!("`{s}` is not a period kind: expected week, month, quarter, half or year"),
        })
    }
}

/// A period of whole local days, `[start, end)`: `end` is the first day after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Period {
    pub kind: PeriodKind,
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.start;
        match self.kind {
            PeriodKind::Week => {
                let w = s.iso_week();
                write!(f, "{}-W{:02}", w.year(), w.week())
            }
            PeriodKind::Month => write!(f, "{}-{:02}", s.year(), s.month()),
            PeriodKind::Quarter => write!(f, "{}-Q{}", s.year(), s.month0() / 3 + 1),
            PeriodKind::Half => write!(f, "{}-H{}", s.year(), s.month0() / 6 + 1),
            PeriodKind::Year => write!(f, "{}", s.year()),
            PeriodKind::Custom => write!(f, "{}..{}", s, self.end.pred_opt().unwrap_or(self.end)),
        }
    }
}

fn ymd(y: i32, m: u32, d: u32) -> Result<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d).with_context(|| format!("{y:04}-{m:02}-{d:02} is not a date"))
}

fn months_after(d: NaiveDate, months: i32) -> NaiveDate {
    let total = d.year() * 12 + d.month0() as i32 + months;
    NaiveDate::from_ymd_opt(total.div_euclid(12), total.rem_euclid(12) as u32 + 1, 1)
        .expect("first of a month is always a date")
}

/// The same calendar day `years` earlier or later; 29 February becomes the 28th.
fn shift_years(d: NaiveDate, years: i32) -> NaiveDate {
    let y = d.year() + years;
    NaiveDate::from_ymd_opt(y, d.month(), d.day())
        .or_else(|| NaiveDate::from_ymd_opt(y, d.month(), d.day() - 1))
        .expect("a day exists in every month")
}

const SYNTAX: &str = "expected 2026-W46, 2026-11, 2026-Q3, 2026-H2, 2026 or 2026-09-01..2026-09-30";

impl Period {
    /// Parse the period syntax of the command line.
    pub fn parse(s: &str) -> Result<Period> {
        let s = s.trim();
        let bad = || anyhow::anyhow!("`{s}` is not a period: {SYNTAX}");
        if let Some((a, b)) = s.split_once("..") {
            let a = NaiveDate::parse_from_str(a.trim(), "%Y-%m-%d").map_err(|_| bad())?;
            let b = NaiveDate::parse_from_str(b.trim(), "%Y-%m-%d").map_err(|_| bad())?;
            if b < a {
                bail!("`{s}`: the period ends before it starts");
            }
            return Ok(Period { kind: PeriodKind::Custom, start: a, end: b + Duration::days(1) });
        }
        let (year, rest) = match s.split_once('-') {
            Some((y, r)) => (y, Some(r)),
            None => (s, None),
        };
        if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let y: i32 = year.parse().map_err(|_| bad())?;
        let num = |t: &str, lo: u32, hi: u32| -> Result<u32> {
            let n: u32 = t.parse().map_err(|_| bad())?;
            if n < lo || n > hi || t.is_empty() {
                return Err(bad());
            }
            Ok(n)
        };
        let p = match rest {
            None => Period { kind: PeriodKind::Year, start: ymd(y, 1, 1)?, end: ymd(y + 1, 1, 1)? },
            Some(r) if r.starts_with('W') => {
                let w = num(&r[1..], 1, 53)?;
                let start = NaiveDate::from_isoywd_opt(y, w, Weekday::Mon)
                    .ok_or_else(|| anyhow::anyhow!("`{s}`: {y} has no ISO week {w}"))?;
                Period { kind: PeriodKind::Week, start, end: start + Duration::days(7) }
            }
            Some(r) if r.starts_with('Q') => {
                let q = num(&r[1..], 1, 4)?;
                let start = ymd(y, (q - 1) * 3 + 1, 1)?;
                Period { kind: PeriodKind::Quarter, start, end: months_after(start, 3) }
            }
            Some(r) if r.starts_with('H') => {
                let h = num(&r[1..], 1, 2)?;
                let start = ymd(y, (h - 1) * 6 + 1, 1)?;
                Period { kind: PeriodKind::Half, start, end: months_after(start, 6) }
            }
            Some(r) if r.len() == 2 => {
                let m = num(r, 1, 12)?;
                let start = ymd(y, m, 1)?;
                Period { kind: PeriodKind::Month, start, end: months_after(start, 1) }
            }
            Some(_) => return Err(bad()),
        };
        Ok(p)
    }

    /// The period of `kind` that contains the local day `d`.
    pub fn containing(kind: PeriodKind, d: NaiveDate) -> Period {
        let (start, end) = match kind {
            PeriodKind::Week => {
                let start = d - Duration::days(d.weekday().num_days_from_monday() as i64);
                (start, start + Duration::days(7))
            }
            PeriodKind::Month => {
                let s = months_after(d.with_day(1).expect("day 1"), 0);
                (s, months_after(s, 1))
            }
            PeriodKind::Quarter => {
                let s = NaiveDate::from_ymd_opt(d.year(), d.month0() / 3 * 3 + 1, 1).expect("date");
                (s, months_after(s, 3))
            }
            PeriodKind::Half => {
                let s = NaiveDate::from_ymd_opt(d.year(), d.month0() / 6 * 6 + 1, 1).expect("date");
                (s, months_after(s, 6))
            }
            PeriodKind::Year | PeriodKind::Custom => {
                let s = NaiveDate::from_ymd_opt(d.year(), 1, 1).expect("date");
                (s, months_after(s, 12))
            }
        };
        let kind = if kind == PeriodKind::Custom { PeriodKind::Year } else { kind };
        Period { kind, start, end }
    }

    /// The last period of `kind` that has ended at the instant `as_of`.
    pub fn last_complete(kind: PeriodKind, as_of: DateTime<Utc>, tz: Tz) -> Period {
        let local = as_of.with_timezone(&tz).date_naive();
        Period::containing(kind, local).previous()
    }

    pub fn days(&self) -> i64 {
        (self.end - self.start).num_days()
    }

    /// The period just before, of the same kind (a custom range: the same number of days).
    pub fn previous(&self) -> Period {
        match self.kind {
            PeriodKind::Week => self.shifted_days(-7),
            PeriodKind::Month => self.shifted_months(-1),
            PeriodKind::Quarter => self.shifted_months(-3),
            PeriodKind::Half => self.shifted_months(-6),
            PeriodKind::Year => self.shifted_months(-12),
            PeriodKind::Custom => self.shifted_days(-self.days()),
        }
    }

    /// The same period one year earlier (ISO week: the same week number, or week 52 when
    /// the earlier year has no week 53).
    pub fn year_ago(&self) -> Period {
        match self.kind {
            PeriodKind::Week => {
                let w = self.start.iso_week();
                let start = NaiveDate::from_isoywd_opt(w.year() - 1, w.week(), Weekday::Mon)
                    .or_else(|| NaiveDate::from_isoywd_opt(w.year() - 1, 52, Weekday::Mon))
                    .expect("every ISO year has 52 weeks");
                Period { kind: self.kind, start, end: start + Duration::days(7) }
            }
            PeriodKind::Custom => {
                Period { kind: self.kind, start: shift_years(self.start, -1), end: shift_years(self.end, -1) }
            }
            _ => self.shifted_months(-12),
        }
    }

    /// The `n` periods ending with this one, oldest first.
    pub fn trend(&self, n: usize) -> Vec<Period> {
        let mut out = vec![self.clone()];
        while out.len() < n.max(1) {
            let p = out.last().expect("non-empty").previous();
            out.push(p);
        }
        out.reverse();
        out
    }

    fn shifted_days(&self, days: i64) -> Period {
        Period { kind: self.kind, start: self.start + Duration::days(days), end: self.end + Duration::days(days) }
    }

    fn shifted_months(&self, months: i32) -> Period {
        Period { kind: self.kind, start: months_after(self.start, months), end: months_after(self.end, months) }
    }

    /// The first instant of the period in `tz`, as UTC.
    pub fn start_utc(&self, tz: Tz) -> DateTime<Utc> {
        local_midnight(self.start, tz)
    }

    /// The first instant after the period in `tz`, as UTC.
    pub fn end_utc(&self, tz: Tz) -> DateTime<Utc> {
        local_midnight(self.end, tz)
    }

    /// `[start, end)` as epoch milliseconds, the unit of every timestamp column.
    pub fn bounds_ms(&self, tz: Tz) -> (i64, i64) {
        (self.start_utc(tz).timestamp_millis(), self.end_utc(tz).timestamp_millis())
    }

    /// The last day of the period (inclusive), for display.
    pub fn last_day(&self) -> NaiveDate {
        self.end.pred_opt().expect("date after min")
    }
}

/// Midnight of `d` in `tz`; where midnight does not exist (a DST gap at 00:00) the first
/// instant of the day that does, and where it is ambiguous the earlier one.
pub fn local_midnight(d: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let mut t = d.and_hms_opt(0, 0, 0).expect("midnight");
    for _ in 0..48 {
        match tz.from_local_datetime(&t) {
            LocalResult::Single(x) => return x.with_timezone(&Utc),
            LocalResult::Ambiguous(a, _) => return a.with_timezone(&Utc),
            LocalResult::None => t += Duration::minutes(30),
        }
    }
    Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn parses_every_syntax_to_half_open_days() {
        let cases = [
            ("2026-W46", "2026-11-09", "2026-11-16", "2026-W46"),
            ("2026-11", "2026-11-01", "2026-12-01", "2026-11"),
            ("2026-Q3", "2026-07-01", "2026-10-01", "2026-Q3"),
            ("2026-H2", "2026-07-01", "2027-01-01", "2026-H2"),
            ("2026", "2026-01-01", "2027-01-01", "2026"),
            ("2026-09-01..2026-09-30", "2026-09-01", "2026-10-01", "2026-09-01..2026-09-30"),
            ("2026-W01", "2025-12-29", "2026-01-05", "2026-W01"),
        ];
        for (s, start, end, label) in cases {
            let p = Period::parse(s).unwrap();
            assert_eq!((p.start, p.end), (d(start), d(end)), "{s}");
            assert_eq!(p.to_string(), label);
        }
    }

    #[test]
    fn rejects_malformed_periods_with_the_syntax() {
        for s in ["2026-Q5", "2026-13", "2026-W54", "26-Q1", "2026-09-30..2026-09-01", "Q3", "2026-H3", "2026-1"] {
            let err = Period::parse(s).unwrap_err().to_string();
            assert!(err.contains(s), "{s}: {err}");
        }
        assert!(Period::parse("2025-W53").is_err(), "2025 has 52 ISO weeks");
        assert!(Period::parse("2026-W53").is_ok(), "2026 has 53 ISO weeks");
    }

    #[test]
    fn previous_year_ago_and_trend() {
        let q = Period::parse("2026-Q3").unwrap();
        assert_eq!(q.previous().to_string(), "2026-Q2");
        assert_eq!(q.year_ago().to_string(), "2025-Q3");
        let t: Vec<String> = q.trend(8).iter().map(|p| p.to_string()).collect();
        assert_eq!(t, ["2024-Q4", "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"]);
        assert_eq!(Period::parse("2026-01").unwrap().previous().to_string(), "2025-12");
        assert_eq!(Period::parse("2026-W01").unwrap().previous().to_string(), "2025-W52");
        assert_eq!(Period::parse("2026-W53").unwrap().year_ago().to_string(), "2025-W52");
        assert_eq!(Period::parse("2026-H1").unwrap().previous().to_string(), "2025-H2");
        let c = Period::parse("2026-09-01..2026-09-10").unwrap();
        assert_eq!(c.previous().to_string(), "2026-08-22..2026-08-31");
        assert_eq!(Period::parse("2028-02-29..2028-03-01").unwrap().year_ago().to_string(), "2027-02-28..2027-03-01");
    }

    #[test]
    fn last_complete_period_before_as_of() {
        let tz: Tz = "Europe/Paris".parse().unwrap();
        let as_of = Utc.with_ymd_and_hms(2026, 11, 23, 5, 0, 0).unwrap();
        assert_eq!(Period::last_complete(PeriodKind::Quarter, as_of, tz).to_string(), "2026-Q3");
        assert_eq!(Period::last_complete(PeriodKind::Month, as_of, tz).to_string(), "2026-10");
        assert_eq!(Period::last_complete(PeriodKind::Week, as_of, tz).to_string(), "2026-W47");
        // 2026-09-30T22:30Z is already 1 October in Paris: Q3 has ended there.
        let edge = Utc.with_ymd_and_hms(2026, 9, 30, 22, 30, 0).unwrap();
        assert_eq!(Period::last_complete(PeriodKind::Quarter, edge, tz).to_string(), "2026-Q3");
        let utc: Tz = "UTC".parse().unwrap();
        assert_eq!(Period::last_complete(PeriodKind::Quarter, edge, utc).to_string(), "2026-Q2");
    }

    #[test]
    fn dst_week_in_paris_is_167_hours() {
        // Summer time starts on Sunday 29 March 2026 at 02:00 in Europe/Paris.
        let tz: Tz = "Europe/Paris".parse().unwrap();
        let w = Period::parse("2026-W13").unwrap();
        assert_eq!(w.start, d("2026-03-23"));
        assert_eq!(w.start_utc(tz).to_rfc3339(), "2026-03-22T23:00:00+00:00");
        assert_eq!(w.end_utc(tz).to_rfc3339(), "2026-03-29T22:00:00+00:00");
        let (s, e) = w.bounds_ms(tz);
        assert_eq!(e - s, 167 * 3_600_000);
        // ... and ends on Sunday 25 October 2026: that week has 169 hours.
        let (s, e) = Period::parse("2026-W43").unwrap().bounds_ms(tz);
        assert_eq!(e - s, 169 * 3_600_000);
    }

    #[test]
    fn midnight_in_a_dst_gap_moves_forward() {
        // Chile (America/Santiago) started DST at local midnight on 2023-09-03.
        let tz: Tz = "America/Santiago".parse().unwrap();
        let m = local_midnight(d("2023-09-03"), tz);
        assert_eq!(m.with_timezone(&tz).format("%H:%M").to_string(), "01:00");
    }
}
