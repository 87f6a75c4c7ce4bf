//! Value parsers for the canonical types. Timestamps get a hand-written ISO 8601 reader:
//! it is the hot path of loading (several columns × millions of rows) and it must accept
//! naive local times, `Z` and numeric offsets in the same column.

use chrono::{LocalResult, NaiveDate, Offset, TimeZone};
use chrono_tz::Tz;

/// Converts local wall-clock times to UTC, caching the offset per local hour: the hour
/// at hand, and the hours met before in a table by hour (a column out of time order,
/// such as solve times, moves between hours at almost every value; the time zone's
/// rules were then looked up for each).
#[derive(Clone)]
pub struct LocalClock {
    tz: Tz,
    hour: i64,
    offset_ms: i64,
    /// (hour, its offset) at `hour % HOURS`; i64::MIN where none yet.
    hours: Box<[(i64, i64)]>,
}

/// Hours the table holds (about a year of distinct hours in slots, most in use).
const HOURS: usize = 8192;

impl LocalClock {
    pub fn new(tz: Tz) -> Self {
        LocalClock { tz, hour: i64::MIN, offset_ms: 0, hours: vec![(i64::MIN, 0); HOURS].into_boxed_slice() }
    }

    /// Epoch ms of a local wall-clock time given as "local epoch" ms. Ambiguous times
    /// (autumn) take the earlier instant; times in a spring gap the first instant after.
    pub fn to_utc_ms(&mut self, local_ms: i64) -> i64 {
        let hour = local_ms.div_euclid(3_600_000);
        if hour != self.hour {
            let slot = hour.rem_euclid(HOURS as i64) as usize;
            if self.hours[slot].0 == hour {
                (self.hour, self.offset_ms) = self.hours[slot];
                return local_ms - self.offset_ms;
            }
            let naive = chrono::DateTime::from_timestamp_millis(hour * 3_600_000).expect("in range").naive_utc();
            self.offset_ms = match self.tz.from_local_datetime(&naive) {
                LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => {
                    t.offset().fix().local_minus_utc() as i64 * 1000
                }
                LocalResult::None => {
                    // In a spring-forward gap: the instant the gap starts (the hour's start
                    // under the offset in force before it), which keeps times in order.
                    let before = self.tz.offset_from_utc_datetime(&(naive - chrono::Duration::hours(3)));
                    self.hour = i64::MIN;
                    return hour * 3_600_000 - before.fix().local_minus_utc() as i64 * 1000;
                }
            };
            self.hour = hour;
            self.hours[slot] = (hour, self.offset_ms);
        }
        local_ms - self.offset_ms
    }
}

fn digits(b: &[u8]) -> Option<i64> {
    let mut v = 0i64;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (c - b'0') as i64;
    }
    Some(v)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A day of the proleptic Gregorian calendar (years of four digits, so always in
/// chrono's range).
fn valid_date(y: i64, m: i64, d: i64) -> bool {
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

/// `s` without white space at either end, as `str::trim` gives it; most values have
/// none, which their first and last bytes tell.
pub fn trim(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(&a), Some(&z))
            if a.is_ascii() && z.is_ascii() && !(a as char).is_whitespace() && !(z as char).is_whitespace() =>
        {
            s
        }
        _ => s.trim(),
    }
}

/// Parse `YYYY-MM-DD`, `YYYY-MM-DD[T ]HH:MM[:SS[.fff…]]` with an optional `Z`, `UTC`,
/// `±HH`, `±HHMM` or `±HH:MM`. Values without an offset are local times in `clock`'s
/// timezone. Returns epoch milliseconds, or None when the text is not such a timestamp.
pub fn timestamp(s: &str, clock: &mut LocalClock) -> Option<i64> {
    let b = trim(s).as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?);
    if !valid_date(y, m, d) {
        return None;
    }
    let days = days_from_civil(y, m, d);
    let mut ms = days * 86_400_000;
    let mut i = 10;
    if b.len() == 10 {
        return Some(clock.to_utc_ms(ms));
    }
    if b[i] != b'T' && b[i] != b' ' && b[i] != b't' {
        return None;
    }
    i += 1;
    if b.len() < i + 5 || b[i + 2] != b':' {
        return None;
    }
    let hh = digits(&b[i..i + 2])?;
    let mm = digits(&b[i + 3..i + 5])?;
    i += 5;
    let mut ss = 0;
    if i < b.len() && b[i] == b':' {
        if b.len() < i + 3 {
            return None;
        }
        ss = digits(&b[i + 1..i + 3])?;
        i += 3;
        if i < b.len() && (b[i] == b'.' || b[i] == b',') {
            i += 1;
            let start = i;
            let mut frac_ms = 0i64;
            while i < b.len() && b[i].is_ascii_digit() {
                if i - start < 3 {
                    frac_ms = frac_ms * 10 + (b[i] - b'0') as i64;
                }
                i += 1;
            }
            if i == start {
                return None;
            }
            for _ in (i - start)..3 {
                frac_ms *= 10;
            }
            ms += frac_ms;
        }
    }
    if hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    ms += (hh * 3600 + mm * 60 + ss) * 1000;
    let rest = &b[i..];
    let rest = if rest.first() == Some(&b' ') { &rest[1..] } else { rest };
    match rest {
        [] => Some(clock.to_utc_ms(ms)),
        b"Z" | b"z" | b"UTC" | b"GMT" => Some(ms),
        [sign @ (b'+' | b'-'), tail @ ..] => {
            let (oh, om) = match tail {
                [a, b2] => (digits(&[*a, *b2])?, 0),
                [a, b2, b':', c, d] | [a, b2, c, d] => (digits(&[*a, *b2])?, digits(&[*c, *d])?),
                _ => return None,
            };
            if oh > 18 || om > 59 {
                return None;
            }
            let off = (oh * 3600 + om * 60) * 1000;
            Some(if *sign == b'+' { ms - off } else { ms + off })
        }
        _ => None,
    }
}

/// Null tokens with their lengths as bits, for the hot loops: a value of a length no
/// token has is told apart by one shift (`cell_in`).
#[derive(Clone, Debug)]
pub struct Nulls {
    tokens: Vec<String>,
    lengths: u64,
    long: bool,
}

impl Nulls {
    pub fn new(tokens: Vec<String>) -> Self {
        let (mut lengths, mut long) = (0u64, false);
        for t in &tokens {
            match t.len() {
                n @ 0..64 => lengths |= 1 << n,
                _ => long = true,
            }
        }
        Nulls { tokens, lengths, long }
    }

    /// Whether some token has this length (one shift).
    #[inline]
    pub fn of_length(&self, n: usize) -> bool {
        if n < 64 {
            self.lengths >> n & 1 == 1
        } else {
            self.long
        }
    }

    /// Whether `t` is a token (compared only when its length is a token's).
    #[inline]
    pub fn is_token(&self, t: &str) -> bool {
        self.of_length(t.len()) && self.tokens.iter().any(|x| x == t)
    }
}

/// The formats that read `value`, among the ones exports write most (US and European
/// dates, with and without a time and seconds, 12-hour clocks, month names), for a hint
/// in the finding of a timestamp column that is not ISO 8601: US and European both when
/// the day and the month are both 12 or less.
pub fn formats_that_read(value: &str, with_time: bool) -> Vec<&'static str> {
    const DATES: [&str; 8] =
        ["%m/%d/%Y", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%Y/%m/%d", "%d %b %Y", "%b %d %Y", "%b %d, %Y"];
    const TIMES: [&str; 4] = [" %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p"];
    static FORMATS: std::sync::OnceLock<Vec<(String, bool)>> = std::sync::OnceLock::new();
    let formats = FORMATS.get_or_init(|| {
        let dates = DATES.iter().map(|d| (d.to_string(), false));
        dates.chain(DATES.iter().flat_map(|d| TIMES.iter().map(move |t| (format!("{d}{t}"), true)))).collect()
    });
    let v = value.trim();
    formats
        .iter()
        .filter(|(_, timed)| with_time || !timed)
        .filter(|(f, timed)| match timed {
            true => chrono::NaiveDateTime::parse_from_str(v, f).is_ok(),
            false => NaiveDate::parse_from_str(v, f).is_ok(),
        })
        .map(|(f, _)| f.as_str())
        .collect()
}

/// `cell` with the tokens as `Nulls`.
#[inline]
pub fn cell_in<'a>(v: &'a str, nulls: &Nulls) -> Option<&'a str> {
    let t = trim(v);
    (!t.is_empty() && !nulls.is_token(t)).then_some(t)
}

/// A cell's value: trimmed; None when empty or a null token (compared only when its
/// length and first byte match one).
pub fn cell<'a>(v: &'a str, nulls: &[String]) -> Option<&'a str> {
    let t = trim(v);
    let token = |n: &String| n.len() == t.len() && n.as_bytes()[0] == t.as_bytes()[0] && n == t;
    (!t.is_empty() && !nulls.iter().any(token)).then_some(t)
}

/// A plain decimal number (`12`, `-3.5`, `1e3`); thousands separators are not accepted.
pub fn number(s: &str) -> Option<f64> {
    let t = trim(s);
    if t.is_empty() {
        return None;
    }
    // Most values are whole numbers: up to 15 digits are exact as f64, the value the
    // general parser gives.
    let (negative, digits) = match t.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        all => (false, all),
    };
    if (1..=15).contains(&digits.len()) && digits.iter().all(u8::is_ascii_digit) {
        let v = digits.iter().fold(0i64, |v, d| v * 10 + (d - b'0') as i64) as f64;
        return Some(if negative { -v } else { v });
    }
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

pub fn boolean(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "t" | "yes" | "y" | "1" => Some(true),
        "false" | "f" | "no" | "n" | "0" => Some(false),
        _ => None,
    }
}

/// Format epoch ms as a local date-time, for messages.
pub fn show_ms(ms: i64, tz: Tz) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| ms.to_string())
}

pub fn local_date(ms: i64, tz: Tz) -> Option<NaiveDate> {
    chrono::DateTime::from_timestamp_millis(ms).map(|t| t.with_timezone(&tz).date_naive())
}

/// strftime formats, each read once into chrono's items: `parse_from_str` reads the
/// format's text again for every value (W1's tickets as a Zendesk export with
/// `%d.%m.%Y %H:%M` dates, the third format tried: 1.8 s to load against 0.6 s with
/// ISO dates).
pub struct Formats(Vec<Format>);

struct Format {
    items: Vec<chrono::format::Item<'static>>,
    /// With an offset (`%z`): an instant; otherwise a local date and time.
    offset: bool,
    /// The format as steps read here without chrono, where it is only numbers of a
    /// date (and a time) between literal text and spaces (`%d.%m.%Y %H:%M`).
    steps: Option<Vec<Step>>,
}

/// A step of a format read without chrono.
enum Step {
    Literal(Box<str>),
    Space,
    /// A number: year (0), month, day, hour, minute, second (5).
    Number(usize),
}

/// `b` without its leading whitespace as `str::trim_start` sees it in ASCII (tab, line
/// feed, vertical tab, form feed, carriage return, space: `trim_ascii_start` keeps the
/// vertical tab).
fn trim_start(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|c| matches!(c, b'\t'..=b'\r' | b' ')).count();
    &b[n..]
}

/// What the steps read of a value: a date and time, nothing (chrono reads nothing
/// either), or a value they leave to chrono (non-ASCII text, a signed year, a leap second).
enum Quick {
    Read(Option<chrono::NaiveDateTime>),
    Unsure,
}

impl Format {
    /// The steps of `items`, when they are literal text, spaces and each of year, month
    /// and day once, with hour and minute (and second) once or none of them.
    fn steps(items: &[chrono::format::Item]) -> Option<Vec<Step>> {
        use chrono::format::{Item, Numeric};
        let mut seen = [0u8; 6];
        let mut steps = Vec::new();
        for item in items {
            steps.push(match item {
                Item::Literal(l) => Step::Literal((*l).into()),
                Item::OwnedLiteral(l) => Step::Literal(l.clone()),
                Item::Space(_) | Item::OwnedSpace(_) => Step::Space,
                Item::Numeric(n, _) => {
                    let field = match n {
                        Numeric::Year => 0,
                        Numeric::Month => 1,
                        Numeric::Day => 2,
                        Numeric::Hour => 3,
                        Numeric::Minute => 4,
                        Numeric::Second => 5,
                        _ => return None,
                    };
                    seen[field] += 1;
                    Step::Number(field)
                }
                _ => return None,
            });
        }
        let date = seen[..3] == [1, 1, 1];
        let time = matches!(seen[3..], [1, 1, 0 | 1] | [0, 0, 0]);
        (date && time).then_some(steps)
    }

    /// `s` read as chrono's `parse` reads it (leading whitespace before a number or at a
    /// space skipped, 1 to 4 digits of a year, 1 or 2 of the others, nothing left over),
    /// then made a date and time (midnight without a time). A month, day, hour, minute or
    /// second out of its range, which chrono's parse refuses, makes no date or time here.
    fn quick(steps: &[Step], s: &str) -> Quick {
        if !s.is_ascii() {
            return Quick::Unsure;
        }
        let mut rest = s.as_bytes();
        let mut v = [0i64; 6];
        for step in steps {
            match step {
                Step::Literal(l) => match rest.strip_prefix(l.as_bytes()) {
                    Some(r) => rest = r,
                    None => return Quick::Read(None),
                },
                Step::Space => rest = trim_start(rest),
                Step::Number(field) => {
                    rest = trim_start(rest);
                    if *field == 0 && matches!(rest.first(), Some(b'-' | b'+')) {
                        return Quick::Unsure;
                    }
                    let most = if *field == 0 { 4 } else { 2 };
                    let n = rest.iter().take(most).take_while(|c| c.is_ascii_digit()).count();
                    if n == 0 {
                        return Quick::Read(None);
                    }
                    let x = rest[..n].iter().fold(0i64, |a, c| a * 10 + i64::from(c - b'0'));
                    rest = &rest[n..];
                    if *field == 5 && x == 60 {
                        return Quick::Unsure;
                    }
                    v[*field] = x;
                }
            }
        }
        if !rest.is_empty() {
            return Quick::Read(None);
        }
        let date = chrono::NaiveDate::from_ymd_opt(v[0] as i32, v[1] as u32, v[2] as u32);
        Quick::Read(date.and_then(|d| d.and_hms_opt(v[3] as u32, v[4] as u32, v[5] as u32)))
    }
}

impl Formats {
    /// The formats, in the order they are tried; an error names the first that is not a
    /// valid strftime format.
    pub fn new(formats: &[String]) -> Result<Formats, String> {
        let read = |f: &String| -> Result<Format, String> {
            let items = chrono::format::StrftimeItems::new(f).parse_to_owned().map_err(|_| f.clone())?;
            let offset = f.contains("%z") || f.contains("%:z") || f.contains("%#z");
            let steps = if offset { None } else { Format::steps(&items) };
            Ok(Format { items, offset, steps })
        };
        formats.iter().map(read).collect::<Result<_, _>>().map(Formats)
    }

    /// The first format that reads `s`, as `parse_from_str` reads it: with an offset,
    /// the instant; a date and time, local; a date alone, local midnight.
    pub fn parse(&self, s: &str, clock: &mut LocalClock) -> Option<i64> {
        self.0.iter().find_map(|f| f.parse(s, clock))
    }
}

impl Format {
    fn parse(&self, s: &str, clock: &mut LocalClock) -> Option<i64> {
        if let Some(Quick::Read(t)) = self.steps.as_deref().map(|steps| Format::quick(steps, s)) {
            return t.map(|t| clock.to_utc_ms(t.and_utc().timestamp_millis()));
        }
        let mut parsed = chrono::format::Parsed::new();
        chrono::format::parse(&mut parsed, s, self.items.iter()).ok()?;
        if self.offset {
            return parsed.to_datetime().ok().map(|t| t.timestamp_millis());
        }
        let local = match parsed.to_naive_datetime_with_offset(0) {
            Ok(t) => t,
            Err(_) => parsed.to_naive_date().ok()?.and_hms_opt(0, 0, 0)?,
        };
        Some(clock.to_utc_ms(local.and_utc().timestamp_millis()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDateTime;

    fn naive(ms: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp_millis(ms).expect("range").naive_utc()
    }

    fn ts(s: &str, tz: &str) -> Option<String> {
        let mut c = LocalClock::new(tz.parse().unwrap());
        timestamp(s, &mut c).map(|ms| naive(ms).format("%Y-%m-%d %H:%M:%S%.3f").to_string())
    }

    #[test]
    fn iso_timestamps_with_and_without_offsets() {
        assert_eq!(ts("2026-07-01T09:13:27Z", "Europe/Paris").unwrap(), "2026-07-01 09:13:27.000");
        assert_eq!(ts("2026-07-01 09:13:27", "Europe/Paris").unwrap(), "2026-07-01 07:13:27.000");
        assert_eq!(ts("2026-07-01T09:13:27+02:00", "UTC").unwrap(), "2026-07-01 07:13:27.000");
        assert_eq!(ts("2026-07-01T09:13:27-0130", "UTC").unwrap(), "2026-07-01 10:43:27.000");
        assert_eq!(ts("2026-07-01T09:13:27.5Z", "UTC").unwrap(), "2026-07-01 09:13:27.500");
        assert_eq!(ts("2026-07-01 09:13", "UTC").unwrap(), "2026-07-01 09:13:00.000");
        assert_eq!(ts("2026-01-15", "Europe/Paris").unwrap(), "2026-01-14 23:00:00.000");
        assert_eq!(ts("2026-07-01 09:13:27 UTC", "Europe/Paris").unwrap(), "2026-07-01 09:13:27.000");
    }

    #[test]
    fn rejects_what_is_not_a_timestamp() {
        for s in [
            "",
            "2026-13-01",
            "2026-02-30",
            "01/07/2026",
            "2026-07-01T25:00:00",
            "2026-07-01X",
            "2026-07-01T09:13:27+5",
        ] {
            assert_eq!(ts(s, "UTC"), None, "{s}");
        }
    }

    #[test]
    fn dst_ambiguity_and_gap_in_paris() {
        // 02:30 on 25 Oct 2026 happens twice: the earlier (summer time, UTC+2) is taken.
        assert_eq!(ts("2026-10-25 02:30:00", "Europe/Paris").unwrap(), "2026-10-25 00:30:00.000");
        // 02:30 on 29 Mar 2026 does not exist: it maps to the end of the gap, 03:00 CEST.
        assert_eq!(ts("2026-03-29 02:30:00", "Europe/Paris").unwrap(), "2026-03-29 01:00:00.000");
        assert_eq!(ts("2026-03-29 03:10:00", "Europe/Paris").unwrap(), "2026-03-29 01:10:00.000");
    }

    #[test]
    fn days_from_civil_matches_chrono() {
        for (y, m, d) in [(1970, 1, 1), (2000, 2, 29), (2026, 12, 31), (1969, 12, 31)] {
            let c = NaiveDate::from_ymd_opt(y, m, d)
                .unwrap()
                .signed_duration_since(NaiveDate::from_ymd_opt(1970, 1, 1).unwrap())
                .num_days();
            assert_eq!(days_from_civil(y as i64, m as i64, d as i64), c);
        }
    }

    #[test]
    fn valid_date_agrees_with_chrono_over_four_centuries() {
        for y in 1900..2401 {
            for m in 0..14 {
                for d in 0..33 {
                    let chrono = (1..=12).contains(&m)
                        && d >= 1
                        && NaiveDate::from_ymd_opt(y as i32, m as u32, d as u32).is_some();
                    assert_eq!(valid_date(y, m, d), chrono, "{y}-{m}-{d}");
                }
            }
        }
    }

    #[test]
    fn whole_numbers_read_as_the_general_parser_reads_them() {
        for s in [
            "0",
            "-0",
            "7",
            "007",
            "-12",
            "1816",
            "999999999999999",
            "-999999999999999",
            "9999999999999999",
            "12345678901234567890",
            " 42 ",
            "\u{a0}5",
            "+5",
            "1e3",
            "-",
            "1.5",
            "4\u{b}",
        ] {
            let general = s.trim().parse::<f64>().ok().filter(|v| v.is_finite());
            let got = number(s);
            assert_eq!(got.map(f64::to_bits), general.map(f64::to_bits), "{s:?}");
        }
    }

    #[test]
    fn the_formats_that_read_a_value_are_named() {
        let read = |v: &str| formats_that_read(v, true);
        assert_eq!(read("9/1/2026 10:00"), ["%m/%d/%Y %H:%M", "%d/%m/%Y %H:%M"]);
        assert_eq!(read("9/13/2026 9:05 AM"), ["%m/%d/%Y %I:%M %p"]);
        assert_eq!(read("13.09.2026 09:05:59"), ["%d.%m.%Y %H:%M:%S"]);
        assert_eq!(read("13/09/2026"), ["%d/%m/%Y"]);
        assert_eq!(read("Sep 13, 2026 9:05 PM"), ["%b %d, %Y %I:%M %p"]);
        assert_eq!(formats_that_read("9/1/2026 10:00", false), Vec::<&str>::new());
        assert_eq!(formats_that_read("2026/09/13", false), ["%Y/%m/%d"]);
        for nothing in ["", "soon", "13/13/2026", "2026-09-13T10:00:00Z", "31/02/2026"] {
            assert_eq!(read(nothing), Vec::<&str>::new(), "{nothing}");
        }
    }

    #[test]
    fn cell_in_is_cell() {
        let tokens: Vec<String> = ["NA", "N/A", "null", "-", "", &"z".repeat(70)].map(String::from).into();
        let nulls = Nulls::new(tokens.clone());
        let z70 = "z".repeat(70);
        for v in
            ["", " ", "NA", " NA ", "na", "N/A", "null", "nul", "nulls", "-", "--", "12", " x ", "é", &z70, &z70[1..]]
        {
            assert_eq!(cell_in(v, &nulls), cell(v, &tokens), "{v:?}");
        }
        assert_eq!(cell_in(" NA ", &nulls), None);
        assert_eq!(cell_in(" 12 ", &nulls), Some("12"));
    }

    #[test]
    fn trim_is_str_trim() {
        for s in ["", " ", "a", " a", "a ", "\ta\r", "\u{b}a", "a\u{a0}", "\u{3000}a", "é", " é ", "a b"] {
            assert_eq!(trim(s), s.trim(), "{s:?}");
        }
    }

    #[test]
    fn formats_read_values_as_parse_from_str_does() {
        // The reference: chrono's parse_from_str with the format's text, as csreport
        // read formats before they were read once into items.
        let reference = |s: &str, f: &str, clock: &mut LocalClock| -> Option<i64> {
            if f.contains("%z") || f.contains("%:z") {
                return chrono::DateTime::parse_from_str(s, f).ok().map(|t| t.timestamp_millis());
            }
            let local = match chrono::NaiveDateTime::parse_from_str(s, f) {
                Ok(t) => t,
                Err(_) => chrono::NaiveDate::parse_from_str(s, f).ok()?.and_hms_opt(0, 0, 0)?,
            };
            Some(clock.to_utc_ms(local.and_utc().timestamp_millis()))
        };
        let formats = ["%d.%m.%Y %H:%M", "%m/%d/%Y %I:%M %p", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S %z", "%Y%m%d"];
        let values = [
            "30.09.2024 22:04",
            "1.2.2024 7:05",
            "30.09.2024",
            "31.02.2024 10:00",
            "09/30/2024 10:04 PM",
            "9/30/2024 10:04 pm",
            "05/06/2024",
            "2024-03-31 02:30:00 +0200",
            "2024-03-31 02:30:00",
            "20240331",
            "30.09.2024 22:04 extra",
            "",
            " 30.09.2024 22:04",
        ];
        let mut read = 0;
        for f in formats {
            let one = Formats::new(&[f.to_string()]).unwrap();
            for v in values {
                let mut a = LocalClock::new("Europe/Paris".parse().unwrap());
                let mut b = LocalClock::new("Europe/Paris".parse().unwrap());
                let got = one.parse(v, &mut a);
                assert_eq!(got, reference(v, f, &mut b), "{v:?} with {f:?}");
                read += usize::from(got.is_some());
            }
        }
        assert_eq!(read, 8, "values some format reads");
        // In order: the first format that reads a value wins (day first, then month first).
        let both = Formats::new(&["%d/%m/%Y".to_string(), "%m/%d/%Y".to_string()]).unwrap();
        let mut clock = LocalClock::new(chrono_tz::UTC);
        assert_eq!(both.parse("05/06/2024", &mut clock), Some(1_717_545_600_000)); // 5 June
        assert_eq!(both.parse("12/31/2024", &mut clock), Some(1_735_603_200_000)); // 31 December
        assert_eq!(Formats::new(&["%Y-%m-%d".to_string(), "%Q".to_string()]).err().as_deref(), Some("%Q"));
    }

    #[test]
    fn numeric_formats_read_without_chrono_as_chrono_reads_them() {
        // Values made of the pieces dates are written with, each read by formats the
        // steps take (and one they leave to chrono), against parse_from_str.
        let formats = [
            "%d.%m.%Y %H:%M",
            "%m/%d/%Y %H:%M:%S",
            "%Y-%m-%dT%H:%M:%S",
            "%Y%m%d",
            "%d/%m/%Y",
            "%Y-%m-%d %H",
            "%d %b %Y",
        ];
        let pieces = [
            "0", "1", "2", "9", "00", "01", "07", "12", "13", "23", "24", "29", "30", "31", "32", "59", "60", "61",
            "2024", "2023", "0099", "12345", "-", "+", ".", "/", ":", " ", "  ", "T", "\t", "\u{b}", "\u{c}", "é", "a",
            "",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let reference = |s: &str, f: &str| -> Option<chrono::NaiveDateTime> {
            match chrono::NaiveDateTime::parse_from_str(s, f) {
                Ok(t) => Some(t),
                Err(_) => chrono::NaiveDate::parse_from_str(s, f).ok()?.and_hms_opt(0, 0, 0),
            }
        };
        let (mut read, mut quick) = (0, 0);
        // A month name, and an hour without minutes (chrono then reads the date alone), are
        // left to chrono.
        for (f, by_steps) in formats.into_iter().zip([true, true, true, true, true, false, false]) {
            let one = Formats::new(&[f.to_string()]).unwrap();
            let steps = one.0[0].steps.as_deref();
            assert_eq!(steps.is_some(), by_steps, "{f}");
            // Values in the format's own shape with pieces for its numbers, and values
            // of random pieces.
            let shaped = |next: &mut dyn FnMut(usize) -> usize| -> String {
                let mut v = String::new();
                let mut chars = f.chars();
                while let Some(c) = chars.next() {
                    if c == '%' {
                        chars.next();
                        v.push_str(pieces[next(20)]);
                    } else if next(10) == 0 {
                        v.push_str(pieces[next(pieces.len())]);
                    } else {
                        v.push(c);
                    }
                }
                v
            };
            let mut clock = LocalClock::new(chrono_tz::UTC);
            for i in 0..40_000 {
                let v = if i % 4 == 0 {
                    (0..next(8)).map(|_| pieces[next(pieces.len())]).collect::<String>()
                } else {
                    shaped(&mut next)
                };
                let got = one.parse(&v, &mut clock);
                let want = reference(&v, f).map(|t| t.and_utc().timestamp_millis());
                assert_eq!(got, want, "{v:?} with {f:?}");
                read += usize::from(got.is_some());
                quick += usize::from(steps.is_some_and(|s| matches!(Format::quick(s, &v), Quick::Read(_))));
            }
        }
        assert!(read > 10_000 && quick > 150_000, "{read} read, {quick} by the steps");
    }

    #[test]
    fn the_clock_gives_each_hour_its_offset_whatever_came_before() {
        // Local times out of order across years and DST changes (a gap, a repeated hour,
        // Lord Howe's half-hour shift), some hours far apart that share a table slot: the
        // same instants from one clock as from a fresh clock for each time.
        for tz in ["Europe/Paris", "America/New_York", "Australia/Lord_Howe", "UTC"] {
            let tz: Tz = tz.parse().unwrap();
            let mut clock = LocalClock::new(tz);
            let mut seed = 0x9e37_79b9_7f4a_7c15u64;
            for i in 0..20_000i64 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                // 2024-2026, to the minute; every fourth one a slot's width of hours away.
                let local = 1_704_067_200_000 + (seed % (3 * 366 * 1440)) as i64 * 60_000;
                let local = if i % 4 == 0 { local + HOURS as i64 * 3_600_000 } else { local };
                assert_eq!(clock.to_utc_ms(local), LocalClock::new(tz).to_utc_ms(local), "{tz} {local}");
            }
        }
        // Paris: 2025-03-30 02:30 does not exist (the gap's start, 01:00 UTC); 2025-10-26
        // 02:30 happens twice (the first, 00:30 UTC).
        let mut paris = LocalClock::new(chrono_tz::Europe::Paris);
        let local =
            |s: &str| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap().and_utc().timestamp_millis();
        assert_eq!(paris.to_utc_ms(local("2025-03-30 02:30")), local("2025-03-30 01:00"));
        assert_eq!(paris.to_utc_ms(local("2025-10-26 02:30")), local("2025-10-26 00:30"));
        assert_eq!(paris.to_utc_ms(local("2025-03-30 02:30")), local("2025-03-30 01:00"));
    }
}
