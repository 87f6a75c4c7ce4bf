//! The business calendar: weekly opening hours and holidays in the report timezone,
//! and the open time between two instants.

use crate::config::Calendar;
use anyhow::{bail, Result};
use chrono::{Datelike, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone};
use chrono_tz::Tz;
use std::collections::BTreeSet;

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Opening hours per weekday (Monday first) as minutes since local midnight.
#[derive(Debug, Clone, PartialEq)]
pub struct WeekHours {
    pub days: [Option<(u32, u32)>; 7],
    pub holidays: BTreeSet<NaiveDate>,
}

fn minutes(s: &str) -> Option<u32> {
    if s == "24:00" {
        return Some(24 * 60);
    }
    let t = NaiveTime::parse_from_str(s, "%H:%M").ok()?;
    Some(chrono::Timelike::hour(&t) * 60 + chrono::Timelike::minute(&t))
}

impl WeekHours {
    pub fn parse(c: &Calendar) -> Result<WeekHours> {
        let mut days = [None; 7];
        for (k, v) in &c.hours {
            let Some(i) = DAYS.iter().position(|d| d == k) else {
                bail!("hours: `{k}` is not a weekday (expected one of {})", DAYS.join(", "));
            };
            let parsed = v.split_once('-').and_then(|(a, b)| Some((minutes(a.trim())?, minutes(b.trim())?)));
            match parsed {
                Some((a, b)) if a < b => days[i] = Some((a, b)),
                _ => bail!("hours.{k} = \"{v}\": expected \"HH:MM-HH:MM\" with the end after the start"),
            }
        }
        if days.iter().all(Option::is_none) {
            bail!("hours: no day is open");
        }
        Ok(WeekHours { days, holidays: c.holidays.iter().copied().collect() })
    }

    fn open(&self, d: NaiveDate) -> Option<(u32, u32)> {
        if self.holidays.contains(&d) {
            return None;
        }
        self.days[d.weekday().num_days_from_monday() as usize]
    }
}

fn local_ms(d: NaiveDate, minute: u32, tz: Tz) -> i64 {
    let t = d.and_hms_opt(0, 0, 0).expect("midnight") + Duration::minutes(minute as i64);
    match tz.from_local_datetime(&t) {
        LocalResult::Single(x) | LocalResult::Ambiguous(x, _) => x.timestamp_millis(),
        // An opening time inside a DST gap: the first half hour after it that exists.
        LocalResult::None => local_ms(d, minute + 30, tz),
    }
}

/// Open time between instants, over a fixed span of days.
pub struct BusinessClock {
    /// Local midnight of each day, as epoch ms; one more than there are days.
    starts: Vec<i64>,
    /// The open interval of each day (epoch ms), empty when closed.
    open: Vec<(i64, i64)>,
    /// Open ms before each day.
    before: Vec<i64>,
}

impl BusinessClock {
    /// A clock covering `[first, last]` (local days).
    pub fn new(hours: &WeekHours, tz: Tz, first: NaiveDate, last: NaiveDate) -> BusinessClock {
        let mut starts = Vec::new();
        let mut open = Vec::new();
        let mut before = Vec::new();
        let mut acc = 0i64;
        let mut d = first;
        while d <= last {
            starts.push(crate::period::local_midnight(d, tz).timestamp_millis());
            let iv = match hours.open(d) {
                Some((a, b)) => (local_ms(d, a, tz), local_ms(d, b, tz)),
                None => (0, 0),
            };
            before.push(acc);
            acc += iv.1 - iv.0;
            open.push(iv);
            d = d.succ_opt().expect("date");
        }
        starts.push(crate::period::local_midnight(d, tz).timestamp_millis());
        before.push(acc);
        BusinessClock { starts, open, before }
    }

    /// Open ms from the clock's first day to `t` (clamped to the clock's span): the open
    /// time between two instants is the difference of theirs (`seconds_between`).
    pub fn cumulative(&self, t: i64) -> i64 {
        let n = self.open.len();
        if n == 0 || t <= self.starts[0] {
            return 0;
        }
        if t >= self.starts[n] {
            return self.before[n];
        }
        // The day of `t`: local days are 24 h give or take a DST shift, so the day
        // counted in 24 h from the first midnight is off by at most one (then fixed),
        // where a search over the days took most of the business-time columns' time.
        const DAY: i64 = 86_400_000;
        let mut i = (((t - self.starts[0]) / DAY) as usize).min(n - 1);
        while self.starts[i] > t {
            i -= 1;
        }
        while self.starts[i + 1] <= t {
            i += 1;
        }
        let (a, b) = self.open[i];
        self.before[i] + (t.clamp(a, b) - a).max(0)
    }

    /// Open seconds between `from` and `to` (negative when `to` is earlier).
    pub fn seconds_between(&self, from: i64, to: i64) -> f64 {
        (self.cumulative(to) - self.cumulative(from)) as f64 / 1000.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn cal(holidays: &[&str]) -> WeekHours {
        let mut hours = BTreeMap::new();
        for d in ["mon", "tue", "wed", "thu", "fri"] {
            hours.insert(d.to_string(), "09:00-17:00".to_string());
        }
        WeekHours::parse(&Calendar { hours, holidays: holidays.iter().map(|h| h.parse().unwrap()).collect() }).unwrap()
    }

    fn ms(s: &str, tz: Tz) -> i64 {
        let t = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        tz.from_local_datetime(&t).unwrap().timestamp_millis()
    }

    #[test]
    fn across_a_weekend_and_a_holiday() {
        let tz: Tz = "Europe/Paris".parse().unwrap();
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        // Friday 2026-12-18 16:00 → Tuesday 2026-12-22 10:00 with Monday 21 a holiday:
        // Friday 1 h + Tuesday 1 h = 2 h = 7200 s.
        let c = BusinessClock::new(&cal(&["2026-12-21"]), tz, d("2026-12-01"), d("2026-12-31"));
        assert_eq!(c.seconds_between(ms("2026-12-18 16:00", tz), ms("2026-12-22 10:00", tz)), 7200.0);
        // Without the holiday, Monday adds 8 h.
        let c = BusinessClock::new(&cal(&[]), tz, d("2026-12-01"), d("2026-12-31"));
        assert_eq!(c.seconds_between(ms("2026-12-18 16:00", tz), ms("2026-12-22 10:00", tz)), 7200.0 + 8.0 * 3600.0);
        // Created at night, answered the next morning at 09:30: 30 open minutes.
        assert_eq!(c.seconds_between(ms("2026-12-15 22:00", tz), ms("2026-12-16 09:30", tz)), 1800.0);
        // Created and answered on Saturday: no open time at all.
        assert_eq!(c.seconds_between(ms("2026-12-19 10:00", tz), ms("2026-12-19 15:00", tz)), 0.0);
    }

    #[test]
    fn dst_night_does_not_change_open_hours() {
        // Summer time starts on Sunday 29 March 2026: Friday 16:00 → Monday 10:00 is still 2 h.
        let tz: Tz = "Europe/Paris".parse().unwrap();
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let c = BusinessClock::new(&cal(&[]), tz, d("2026-03-01"), d("2026-04-30"));
        assert_eq!(c.seconds_between(ms("2026-03-27 16:00", tz), ms("2026-03-30 10:00", tz)), 7200.0);
    }

    #[test]
    fn the_day_of_an_instant_is_found_across_dst_changes_and_the_edges() {
        // Every 7 minutes 13 seconds over two years and a margin on each side, in zones
        // with and without DST (and one of 30-minute shifts), open on weekdays or round
        // the clock (where the minutes before midnight count): the day counted in 24 h
        // steps and fixed is the day a search over the midnights finds.
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let always: BTreeMap<String, String> =
            DAYS.iter().map(|d| (d.to_string(), "00:00-24:00".to_string())).collect();
        let always = WeekHours::parse(&Calendar { hours: always, holidays: vec![d("2025-12-25")] }).unwrap();
        let zones = ["Europe/Paris", "America/New_York", "Australia/Lord_Howe", "UTC"];
        for (zone, hours) in zones.iter().flat_map(|z| [(z, cal(&["2025-12-25"])), (z, always.clone())]) {
            let tz: Tz = zone.parse().unwrap();
            let c = BusinessClock::new(&hours, tz, d("2025-01-01"), d("2026-12-31"));
            let searched = |t: i64| {
                let n = c.open.len();
                if t <= c.starts[0] {
                    return 0;
                }
                if t >= c.starts[n] {
                    return c.before[n];
                }
                let i = c.starts.partition_point(|s| *s <= t) - 1;
                let (a, b) = c.open[i];
                c.before[i] + (t.clamp(a, b) - a).max(0)
            };
            let (first, last) = (c.starts[0] - 3 * 86_400_000, c.starts[c.open.len()] + 3 * 86_400_000);
            let mut t = first;
            while t < last {
                assert_eq!(c.cumulative(t), searched(t), "{zone} at {t}");
                t += 433_000;
            }
            for s in &c.starts {
                for x in [s - 1, *s, s + 1] {
                    assert_eq!(c.cumulative(x), searched(x), "{zone} at a midnight {x}");
                }
            }
        }
    }

    #[test]
    fn bad_hours_are_refused() {
        let mut hours = BTreeMap::new();
        hours.insert("mon".to_string(), "19:00-08:00".to_string());
        let e = WeekHours::parse(&Calendar { hours, holidays: vec![] }).unwrap_err();
        assert!(e.to_string().contains("hours.mon = \"19:00-08:00\""), "{e}");
        let mut hours = BTreeMap::new();
        hours.insert("monday".to_string(), "08:00-19:00".to_string());
        assert!(WeekHours::parse(&Calendar { hours, holidays: vec![] }).is_err());
    }
}
