//! Derived columns. Computed once per run before any period, those that look across
//! rows: repeat contacts, customer codes, the survey ↔ ticket link, and ticket CSAT
//! ratings as survey responses. Computed for each period's rows (`period_columns`),
//! those that depend on a row alone: durations in calendar and business time, ages at
//! as-of, handle time, local weekday and hour.

use crate::calendar::{BusinessClock, WeekHours};
use crate::config::{Clock, Config};
use crate::load::{Loaded, Source, SourceMeta};
use anyhow::{bail, Result};
use chrono::TimeZone;
use chrono_tz::Tz;
use polars::prelude::*;
use polars_arrow::bitmap::BitmapBuilder;

/// Local weekday (0 = Monday) and hour of each timestamp, as the columns `weekday` and
/// `hour` (written straight into them, in one pass: over millions of rows, vectors of
/// options in between were 48 bytes a row at the derived columns' peak).
fn weekday_hour(ts: &Int64Chunked, tz: Tz) -> (Series, Series) {
    use polars_arrow::array::MutablePrimitiveArray;
    const DAY_MS: i64 = 86_400_000;
    let mut wd = MutablePrimitiveArray::<i32>::with_capacity(ts.len());
    let mut hr = MutablePrimitiveArray::<i32>::with_capacity(ts.len());
    // The UTC offset changes rarely: cache it per UTC hour.
    let mut cache: (i64, i64) = (i64::MIN, 0);
    let values = ts.downcast_iter().flat_map(|arr| {
        let valid = arr.validity();
        arr.values().iter().enumerate().map(move |(i, t)| valid.is_none_or(|v| v.get_bit(i)).then_some(*t))
    });
    for t in values {
        let Some(t) = t else {
            wd.push(None);
            hr.push(None);
            continue;
        };
        let h = t.div_euclid(3_600_000);
        if h != cache.0 {
            let off = chrono::Offset::fix(&tz.offset_from_utc_datetime(
                &chrono::DateTime::from_timestamp_millis(h * 3_600_000).expect("range").naive_utc(),
            ))
            .local_minus_utc() as i64;
            cache = (h, off * 1000);
        }
        let local = t + cache.1;
        // 1970-01-01 was a Thursday (3 days after a Monday).
        wd.push_value((local.div_euclid(DAY_MS) + 3).rem_euclid(7) as i32);
        hr.push_value((local.rem_euclid(DAY_MS) / 3_600_000) as i32);
    }
    (
        Int32Chunked::with_chunk("weekday".into(), wd.into()).into_series(),
        Int32Chunked::with_chunk("hour".into(), hr.into()).into_series(),
    )
}

/// For each contact, whether another contact of the same group (a customer code below
/// `n_groups`) and the same sub-key (a reason code; none given: one for all) follows
/// within `window_ms` (at the same instant or later): None where the group or the
/// sub-key is unknown (NO_CODE), false where the time is (NO_TIME).
///
/// One walk through the contacts in time order where they come in it (`swept`), else
/// buckets (`bucketed`): the same answers.
fn followed_within(
    groups: &[u32],
    subs: Option<&[u32]>,
    times: &[i64],
    n_groups: usize,
    window_ms: i64,
) -> Result<Vec<Option<bool>>> {
    if groups.len() >= u32::MAX as usize {
        bail!("more than {} contacts to look for repeats in", u32::MAX - 1);
    }
    let contacts = Contacts { groups, subs, times };
    Ok(match swept(contacts, n_groups, window_ms) {
        Some(out) => out,
        None => bucketed(contacts, n_groups, window_ms),
    })
}

/// The contacts `followed_within` looks through: each one's group, sub-key and time.
#[derive(Clone, Copy)]
struct Contacts<'a> {
    groups: &'a [u32],
    subs: Option<&'a [u32]>,
    times: &'a [i64],
}

impl Contacts<'_> {
    fn sub(&self, i: usize) -> u32 {
        self.subs.map_or(0, |s| s[i])
    }

    /// Its group and sub-key are known: it has an answer.
    fn known(&self, i: usize) -> bool {
        self.groups[i] != NO_CODE && self.sub(i) != NO_CODE
    }

    /// Known and in time: it takes part in the search.
    fn counted(&self, i: usize) -> bool {
        self.known(i) && self.times[i] != NO_TIME
    }
}

/// `followed_within` for contacts in time order, or in two runs that each are (the
/// tickets, then the calls), merged as they are walked: each contact looks back through
/// its group's earlier contacts within the window, from the latest, for the last one
/// with its sub-key, which it follows. A contact is visited in the order of a sort by
/// (time, row), as each bucket of `bucketed` is, and with no sort and no buckets (a
/// slot per group and a link per contact): 3M contacts in 90-100 ms instead of 170-200
/// ms. None when the times go back more than once, or the walks grow long (a group with
/// many contacts within a window, few of them with one sub-key): the buckets then.
fn swept(c: Contacts, n_groups: usize, window_ms: i64) -> Option<Vec<Option<bool>>> {
    const NONE: u32 = u32::MAX;
    let Contacts { groups, times, .. } = c;
    let n = groups.len();
    // Where the second run starts, if there is one.
    let (mut second, mut latest) = (None, i64::MIN);
    for i in (0..n).filter(|i| c.counted(*i)) {
        if times[i] < latest {
            if second.is_some() {
                return None;
            }
            second = Some(i);
        }
        latest = times[i];
    }
    let end = second.unwrap_or(n);
    let mut out: Vec<Option<bool>> = (0..n).map(|i| c.known(i).then_some(false)).collect();
    // The latest contact of each group so far, with its time and sub-key (a contact's
    // previous one is mostly too long ago: one read of its group's slot says so, where
    // reading its time and sub-key from their columns missed the cache), and each
    // contact's previous one in its group (looked back through only with sub-keys).
    #[derive(Clone, Copy)]
    struct Latest {
        time: i64,
        at: u32,
        sub: u32,
    }
    let mut last = vec![Latest { time: 0, at: NONE, sub: 0 }; n_groups];
    let mut before = if c.subs.is_some() { vec![NONE; n] } else { Vec::new() };
    let (mut steps, most) = (0usize, 8 * n + 1024);
    // The contacts in order, a batch at a time: their groups' slots are read first, all
    // together (reads the processor overlaps, where one at a time each waited for memory),
    // then each contact in turn.
    let (mut i, mut j) = (0, end);
    let mut batch = [0u32; 64];
    loop {
        let mut len = 0;
        while len < batch.len() {
            while i < end && !c.counted(i) {
                i += 1;
            }
            while j < n && !c.counted(j) {
                j += 1;
            }
            // The earlier of the two, the first run's at the same instant.
            batch[len] = if i < end && (j == n || times[i] <= times[j]) {
                i += 1;
                i as u32 - 1
            } else if j < n {
                j += 1;
                j as u32 - 1
            } else {
                break;
            };
            len += 1;
        }
        if len == 0 {
            break;
        }
        let touched = batch[..len].iter().fold(0, |x, &b| x ^ last[groups[b as usize] as usize].at);
        std::hint::black_box(touched);
        for &b in &batch[..len] {
            let b = b as usize;
            let (g, t, s) = (groups[b] as usize, times[b], c.sub(b));
            let Latest { mut time, mut at, sub: mut key } =
                std::mem::replace(&mut last[g], Latest { time: t, at: b as u32, sub: s });
            if let Some(link) = before.get_mut(b) {
                *link = at;
            }
            while at != NONE && t - time <= window_ms {
                steps += 1;
                if steps > most {
                    return None;
                }
                if key == s {
                    out[at as usize] = Some(true);
                    break;
                }
                at = before[at as usize];
                if at != NONE {
                    (time, key) = (times[at as usize], c.sub(at as usize));
                }
            }
        }
    }
    Some(out)
}

/// `followed_within` by buckets: the contacts are bucketed by group (a counting sort:
/// the codes are dense) and each bucket — a customer's few contacts — is sorted by
/// (sub-key, time, row), which orders them as one sort of all contacts by (group,
/// sub-key, time, row) would, in linear time and 16 bytes a contact.
fn bucketed(c: Contacts, n_groups: usize, window_ms: i64) -> Vec<Option<bool>> {
    let Contacts { groups, times, .. } = c;
    // Where each group's bucket starts, then fill.
    let mut start = vec![0usize; n_groups + 1];
    for i in (0..groups.len()).filter(|i| c.counted(*i)) {
        start[groups[i] as usize + 1] += 1;
    }
    for g in 0..n_groups {
        start[g + 1] += start[g];
    }
    let mut next = start.clone();
    let mut buckets = vec![(0u32, 0i64, 0u32); start[n_groups]];
    for i in (0..groups.len()).filter(|i| c.counted(*i)) {
        let g = groups[i] as usize;
        buckets[next[g]] = (c.sub(i), times[i], i as u32);
        next[g] += 1;
    }
    let mut out: Vec<Option<bool>> = (0..groups.len()).map(|i| c.known(i).then_some(false)).collect();
    for g in 0..n_groups {
        let bucket = &mut buckets[start[g]..start[g + 1]];
        bucket.sort_unstable();
        for w in bucket.windows(2) {
            let ((sa, ta, a), (sb, tb, _)) = (w[0], w[1]);
            out[a as usize] = Some(sa == sb && tb - ta <= window_ms);
        }
    }
    out
}

/// No value: a code, a time. Repeat contacts over millions of rows keep codes as u32
/// and times as plain i64 (not Option<u64> / Option<i64>, 16 bytes each): the
/// derived-columns stage was the run's peak of memory.
const NO_CODE: u32 = u32::MAX;
const NO_TIME: i64 = i64::MIN;

/// A timestamp column as i64 (NO_TIME where empty).
fn times(frame: &DataFrame, name: &str) -> Result<Vec<i64>> {
    Ok(or_none(frame.column(name)?.i64()?, NO_TIME))
}

/// A primitive column's values, `none` where null: from the value slices (the per-row
/// Option iterator took milliseconds per million rows on the derived columns' single-
/// threaded stretches).
fn or_none<T: PolarsNumericType>(ca: &ChunkedArray<T>, none: T::Native) -> Vec<T::Native> {
    let mut out = Vec::new();
    or_none_into(ca, none, &mut out);
    out
}

/// `or_none`, appended to `out`.
fn or_none_into<T: PolarsNumericType>(ca: &ChunkedArray<T>, none: T::Native, out: &mut Vec<T::Native>) {
    out.reserve(ca.len());
    for arr in ca.downcast_iter() {
        match arr.validity() {
            None => out.extend_from_slice(arr.values()),
            Some(valid) => out.extend(arr.values().iter().zip(valid.iter()).map(|(v, ok)| if ok { *v } else { none })),
        }
    }
}

/// Integer codes for the distinct values of text columns (the same text, the same code
/// across calls), so that keys compare as numbers. The text is borrowed from the frames.
/// A value of up to 12 bytes (a customer id, mostly) is held whole in its string view:
/// its view's bytes are the key, hashed and compared as one integer.
#[derive(Default)]
struct Codes<'a> {
    short: rustc_hash::FxHashMap<u128, u32>,
    long: rustc_hash::FxHashMap<&'a str, u32>,
}

impl<'a> Codes<'a> {
    /// Codes given so far: the next code (as u32 while below NO_CODE, which `column` and
    /// `translate` refuse).
    fn len(&self) -> usize {
        self.short.len() + self.long.len()
    }

    /// The codes of a text column's values (`name` for messages).
    fn text(&mut self, ca: &'a StringChunked, name: &str) -> Result<Vec<u32>> {
        let mut out = Vec::with_capacity(ca.len());
        for arr in ca.downcast_iter() {
            for value in crate::views::chunk_values(arr) {
                let next = self.len() as u32;
                out.push(match value.map(|v| v.key()) {
                    None => NO_CODE,
                    Some(crate::views::TextKey::Short(k)) => *self.short.entry(k).or_insert(next),
                    Some(crate::views::TextKey::Long(s)) => *self.long.entry(s).or_insert(next),
                });
            }
        }
        if self.len() >= NO_CODE as usize {
            bail!("`{name}` has more than {} distinct values", NO_CODE - 1);
        }
        Ok(out)
    }

    /// The code of a value given one already (NO_CODE for none, or a value not coded).
    fn get(&self, value: Option<crate::views::Value>) -> u32 {
        let code = match value.map(|v| v.key()) {
            None => None,
            Some(crate::views::TextKey::Short(k)) => self.short.get(&k),
            Some(crate::views::TextKey::Long(s)) => self.long.get(s),
        };
        code.copied().unwrap_or(NO_CODE)
    }

    /// Each of `other`'s codes as this one's (new values get new codes).
    fn translate(&mut self, other: Codes<'a>) -> Result<Vec<u32>> {
        let mut to = vec![0u32; other.len()];
        for (k, c) in other.short {
            let next = self.len() as u32;
            to[c as usize] = *self.short.entry(k).or_insert(next);
        }
        for (s, c) in other.long {
            let next = self.len() as u32;
            to[c as usize] = *self.long.entry(s).or_insert(next);
        }
        if self.len() >= NO_CODE as usize {
            bail!("more than {} distinct customers", NO_CODE - 1);
        }
        Ok(to)
    }
}

/// Ids written as one prefix and a number ("CUS-171631", "48213"), as exports mostly
/// write them: the number is the code, with no hashing. Two texts get the same number
/// only if they are the same text: every value has the same prefix (text that does not
/// end with a digit), and its digits either never start with a zero or always have the
/// same length.
struct Numbered<'a> {
    prefix: Option<&'a [u8]>,
    leading_zero: bool,
    /// The shortest and longest digits.
    widths: (usize, usize),
    /// The smallest and largest numbers.
    range: (u32, u32),
}

impl Default for Numbered<'_> {
    fn default() -> Self {
        Numbered { prefix: None, leading_zero: false, widths: (usize::MAX, 0), range: (u32::MAX, 0) }
    }
}

impl<'a> Numbered<'a> {
    /// The numbers of a text column's values (NO_CODE where null), or None from the
    /// first value that is not the prefix and at most 9 digits.
    fn text(&mut self, ca: &'a StringChunked) -> Option<Vec<u32>> {
        let mut out = Vec::with_capacity(ca.len());
        for arr in ca.downcast_iter() {
            for value in crate::views::chunk_values(arr) {
                let Some(value) = value else {
                    out.push(NO_CODE);
                    continue;
                };
                let bytes = value.text().as_bytes();
                let width = bytes.iter().rev().take_while(|b| b.is_ascii_digit()).count();
                if width == 0 || width > 9 {
                    return None;
                }
                let (prefix, digits) = bytes.split_at(bytes.len() - width);
                match self.prefix {
                    Some(p) if p == prefix => {}
                    None => self.prefix = Some(prefix),
                    Some(_) => return None,
                }
                self.leading_zero |= digits[0] == b'0' && width > 1;
                self.widths = (self.widths.0.min(width), self.widths.1.max(width));
                let n = digits.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
                self.range = (self.range.0.min(n), self.range.1.max(n));
                out.push(n);
            }
        }
        Some(out)
    }

    /// Both parts' findings, if they have the same prefix (or one has no value).
    fn and(self, other: Numbered<'a>) -> Option<Numbered<'a>> {
        let prefix = match (self.prefix, other.prefix) {
            (Some(a), Some(b)) if a != b => return None,
            (a, b) => a.or(b),
        };
        Some(Numbered {
            prefix,
            leading_zero: self.leading_zero || other.leading_zero,
            widths: (self.widths.0.min(other.widths.0), self.widths.1.max(other.widths.1)),
            range: (self.range.0.min(other.range.0), self.range.1.max(other.range.1)),
        })
    }

    /// The codes' count (the largest number less the smallest, plus one), if the numbers
    /// say the same as the texts and are no more spread out than `most`.
    fn count(&self, most: usize) -> Option<usize> {
        let one_text_each = !self.leading_zero || self.widths.0 == self.widths.1;
        let n = if self.prefix.is_none() { 0 } else { (self.range.1 - self.range.0) as usize + 1 };
        (one_text_each && n <= most).then_some(n)
    }
}

/// The customers' codes of the tickets and the calls (`customer_codes`), all below `count`.
struct CustomerCodes {
    tickets: Option<Vec<u32>>,
    calls: Option<Vec<u32>>,
    count: usize,
}

/// Every ticket's and call's customer as a code below the count returned, the same text
/// the same code in both (NO_CODE where there is none): the ids' numbers less the
/// smallest (`Numbered`) where they allow, else codes in order of first appearance
/// (`Codes`). Either way in two halves side by side: the tickets' and the first calls',
/// and the other calls' (as many contacts as the first half).
fn customer_codes(tickets: Option<&StringChunked>, calls: Option<&StringChunked>) -> Result<CustomerCodes> {
    let n_tickets = tickets.map_or(0, |t| t.len());
    let split = calls.map_or(0, |ids| ids.len().saturating_sub(n_tickets) / 2);
    let halves = calls.map(|ids| (ids.slice(0, split), ids.slice(split as i64, ids.len() - split)));
    let halves = halves.as_ref();
    let joined = |a: Option<Vec<u32>>, b: Option<Vec<u32>>| match (a, b) {
        (Some(mut a), Some(b)) => {
            a.extend(b);
            Some(a)
        }
        _ => None,
    };
    // The numbers, where every value has them. Codes the count of the values at most
    // apart (the repeat contacts and the distinct customers hold a slot per code).
    let most = (n_tickets + calls.map_or(0, |c| c.len())).max(1 << 16);
    let numbered = std::thread::scope(|scope| {
        let later = scope.spawn(|| {
            let mut numbered = Numbered::default();
            let codes = match halves {
                Some((_, later)) => Some(numbered.text(later)?),
                None => None,
            };
            Some((numbered, codes))
        });
        let mut numbered = Numbered::default();
        let mut mine = || -> Option<_> {
            let t = tickets.map(|t| numbered.text(t)).map_or(Some(None), |c| c.map(Some))?;
            let first = halves.map(|(first, _)| numbered.text(first)).map_or(Some(None), |c| c.map(Some))?;
            Some((t, first))
        };
        let mine = mine();
        let later = later.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        let ((t, first), (other, later)) = (mine?, later?);
        let all = numbered.and(other)?;
        let n = all.count(most)?;
        let from = all.range.0;
        let mut codes = [t, joined(first, later)];
        for c in codes.iter_mut().flatten().flat_map(|c| c.iter_mut()) {
            if *c != NO_CODE {
                *c -= from;
            }
        }
        let [tickets, calls] = codes;
        Some(CustomerCodes { tickets, calls, count: n })
    });
    if let Some(done) = numbered {
        return Ok(done);
    }
    let (ticket_cust, call_cust, mut customers) = std::thread::scope(|scope| -> Result<_> {
        let later = scope.spawn(|| -> Result<Option<(Codes, Vec<u32>)>> {
            let Some((_, later)) = halves else { return Ok(None) };
            let mut codes = Codes::default();
            let v = codes.text(later, "customer_id")?;
            Ok(Some((codes, v)))
        });
        let mut customers = Codes::default();
        let ticket_cust = tickets.map(|t| customers.text(t, "customer_id")).transpose()?;
        let first = halves.map(|(first, _)| customers.text(first, "customer_id")).transpose()?;
        let later = later.join().unwrap_or_else(|p| std::panic::resume_unwind(p))?;
        Ok((ticket_cust, first.zip(later), customers))
    })?;
    let call_cust = match call_cust {
        Some((mut cust, (codes, later))) => {
            let to = customers.translate(codes)?;
            cust.extend(later.into_iter().map(|k| if k == NO_CODE { NO_CODE } else { to[k as usize] }));
            Some(cust)
        }
        None => None,
    };
    Ok(CustomerCodes { tickets: ticket_cust, calls: call_cust, count: customers.len() })
}

/// A label column's codes as u32 (NO_CODE where null): the same text, the same code,
/// across the frames that have the column (crate::labels). A plain text column (a frame
/// made by hand) is coded first.
#[cfg(test)]
fn label_codes(frame: &DataFrame, name: &str) -> Result<Vec<u32>> {
    let mut out = Vec::new();
    label_codes_into(frame, name, &mut out)?;
    Ok(out)
}

/// `label_codes`, appended to `out`.
fn label_codes_into(frame: &DataFrame, name: &str, out: &mut Vec<u32>) -> Result<()> {
    let column = frame.column(name)?;
    let coded;
    let column = if crate::labels::is_coded(column) {
        column
    } else {
        coded = crate::labels::encode(column)?;
        &coded
    };
    let (ids, n) = crate::labels::codes(column)?;
    if n >= NO_CODE as usize {
        bail!("`{name}` has more than {} distinct values", NO_CODE - 1);
    }
    or_none_into(ids, NO_CODE, out);
    Ok(())
}

fn add(frame: &mut DataFrame, s: Series) -> Result<()> {
    frame.with_column(s.into_column())?;
    Ok(())
}

fn add_exprs(frame: &mut DataFrame, exprs: Vec<Expr>) -> Result<()> {
    if !exprs.is_empty() {
        *frame = frame.clone().lazy().with_columns(exprs).collect()?;
    }
    Ok(())
}

/// Each ticket's and call's customer as a code (the same customer, the same code, in
/// tickets and calls; null where there is none): the distinct customers of a period are
/// counted on these, and the customer ids' text is not kept past the derived columns.
pub const CUSTOMER: &str = "__customer";

/// Columns that no metric, breakdown, driver or chart reads: checked while loading
/// (their unknown or unreadable values are findings of the report) and then dropped by
/// a report, so as not to hold them through the derived columns and the periods (W1:
/// 190 MB of the 630 MB loaded). `before`: not read by the derived columns either;
/// `after`: read only by them (the survey ↔ ticket link, inbound calls, repeat contacts,
/// and the codes that the metrics read as integers: `__outcome`, `__kind`,
/// `__customer`).
pub const UNREAD: [(&str, &[&str], &[&str]); 3] = [
    ("tickets", &["status", "customer_messages"], &["ticket_id", "customer_id"]),
    ("calls", &["call_id", "queue", "ivr_seconds"], &["direction", "outcome", "customer_id"]),
    ("surveys", &["survey_id", "comment"], &["kind"]),
];

/// Drops the `UNREAD` columns: those read by nothing (`derived` false), or those the
/// derived columns read once they are made (`derived` true).
pub fn drop_unread(data: &mut Loaded, derived: bool) {
    for src in [&mut data.tickets, &mut data.calls, &mut data.surveys].into_iter().flatten() {
        if let Some((_, before, after)) = UNREAD.iter().find(|(name, _, _)| *name == src.name) {
            for c in if derived { *after } else { *before } {
                // A column the input does not have is simply not there to drop.
                let _ = src.frame.drop_in_place(c);
            }
        }
    }
}

/// Add the derived columns that look across rows (the others are made for each
/// period's rows: `period_columns`).
pub fn prepare(data: &mut Loaded, cfg: &Config) -> Result<()> {
    // The calendar is read here for its errors (each period reads it again).
    let hours = cfg.calendar.as_ref().map(WeekHours::parse).transpose()?;
    if let Some(c) = data.calls.as_mut() {
        inbound(c)?;
    }
    // The responses linked to their tickets need none of the repeat contacts: they are
    // made on the repeat calls' thread once it is done (the repeat contacts, over
    // tickets and calls, take it twice as long), instead of on one core after.
    // (Responses made from tickets' ratings are added later, so the link waits for
    // them when there are any.)
    // So are the code columns, but the responses' where tickets' ratings will be added
    // to them.
    let ratings = data.tickets.as_ref().is_some_and(ratings_become_responses);
    let (early, mut codes) = repeat_contacts(data, cfg, |data: &Loaded| -> Result<_> {
        let link = match (&data.surveys, &data.tickets) {
            (Some(s), Some(t)) if s.has("ticket_id") && !ratings => Some(linked(s, t)?),
            _ => None,
        };
        let mut codes = Vec::new();
        for src in [&data.tickets, &data.calls, &data.surveys].into_iter().flatten() {
            if !(ratings && src.name == "surveys") {
                codes.push((src.name, code_series(src)?));
            }
        }
        Ok((link, codes))
    })?;
    if cfg.sla.clock == Clock::Business && hours.is_none() {
        bail!("[sla] clock = \"business\" needs a [calendar]");
    }
    ticket_csat_as_responses(data, cfg)?;
    if let (Some(s), Some(t)) = (data.surveys.as_mut(), data.tickets.as_mut()) {
        if s.has("ticket_id") {
            let Linked { surveys, answered } = match early {
                Some(done) => done,
                None => linked(s, t)?,
            };
            s.frame = surveys;
            add(&mut t.frame, answered)?;
        }
    }
    let times =
        [(&mut data.tickets, "created_at"), (&mut data.calls, "offered_at"), (&mut data.surveys, "responded_at")];
    for (src, time) in times {
        if let Some(src) = src.as_mut() {
            mark_sorted(src, time)?;
        }
    }
    for src in [&mut data.tickets, &mut data.calls, &mut data.surveys].into_iter().flatten() {
        match codes.iter().position(|(name, _)| *name == src.name) {
            Some(at) => {
                for s in codes.swap_remove(at).1 {
                    add(&mut src.frame, s)?;
                }
            }
            None => code_columns(src)?,
        }
    }
    Ok(())
}

/// Flags a time column as sorted where it is (in one chunk, no value missing, in
/// ascending order): each period's calls and responses are then one slice of the frame
/// (`super::in_window`), and its backlog stops at the period's end
/// (`tickets::Backlog`), without checking the order again (`super::in_order`).
fn mark_sorted(src: &mut Source, time: &str) -> Result<()> {
    if !src.has(time) {
        return Ok(());
    }
    let Ok(ca) = src.frame.column(time)?.i64() else { return Ok(()) };
    if ca.cont_slice().is_ok_and(|t| t.is_sorted()) {
        let mut flagged = ca.clone();
        flagged.set_sorted_flag(polars::series::IsSorted::Ascending);
        add(&mut src.frame, flagged.into_series())?;
    }
    Ok(())
}

/// The codes every period filters on, as small integers beside their text (`__outcome`
/// = the value's place in its vocabulary): comparing integers over millions of rows,
/// nine periods over, is much cheaper than comparing strings (see super::code_is). One
/// byte a row: the vocabularies are a few words (W1's calls: 2 MB instead of 8).
fn code_columns(src: &mut Source) -> Result<()> {
    for s in code_series(src)? {
        add(&mut src.frame, s)?;
    }
    Ok(())
}

/// The code columns of `src` (`code_columns`), made but not added.
fn code_series(src: &Source) -> Result<Vec<Series>> {
    let mut out = Vec::new();
    for column in super::CODED {
        if !src.has(column) {
            continue;
        }
        let (words, _) = crate::load::schema::vocabulary(column).expect("a coded column has a vocabulary");
        // Each row's code, NONE where there is none; the validity from those (not an
        // Option a row: 10-15 ms over W1's three million rows, on one core).
        const NONE: i8 = -1;
        let codes = crate::labels::per_row(src.frame.column(column)?, |v| {
            v.and_then(|v| words.iter().position(|w| *w == v)).map_or(NONE, code)
        })?;
        let valid = BitmapBuilder::from_trusted_len_iter(codes.iter().map(|c| *c != NONE)).into_opt_validity();
        let name = format!("__{column}");
        out.push(Int8Chunked::from_vec_validity(name.into(), codes, valid).into_series());
    }
    Ok(out)
}

/// A word's place in its vocabulary, as the code columns hold it.
pub(crate) fn code(place: usize) -> i8 {
    i8::try_from(place).expect("a vocabulary of fewer than 128 words")
}

/// The derived columns that depend on a row alone, made for a period's rows only
/// (`metrics::windowed`) rather than for every row once per run: durations in calendar
/// and business time, the age at as-of, handle time, and the local weekday and hour.
/// Every period's rows are a fraction of the data, so they add little to the period's
/// work, and they are no longer held beside the whole frames (W1: 88 MB).
///
/// `as_of`: the ages and the business-time durations too (None: only the calendar
/// durations and handle time, for the drivers); `weekday_hour`: for the heat maps.
pub(crate) fn period_columns(win: &mut Loaded, cfg: &Config, as_of: Option<i64>, weekday_hour: bool) -> Result<()> {
    let tz = cfg.timezone()?;
    if let Some(t) = win.tickets.as_mut() {
        let hours = match as_of {
            Some(_) => cfg.calendar.as_ref().map(WeekHours::parse).transpose()?,
            None => None,
        };
        ticket_columns(t, tz, hours.as_ref(), as_of, weekday_hour)?;
    }
    if let Some(c) = win.calls.as_mut() {
        for column in calls_columns(c, tz, weekday_hour)? {
            add(&mut c.frame, column)?;
        }
    }
    Ok(())
}

fn ticket_columns(t: &mut Source, tz: Tz, hours: Option<&WeekHours>, as_of: Option<i64>, wd_hr: bool) -> Result<()> {
    use polars_arrow::array::MutablePrimitiveArray;
    // The times from their value slices, NO_TIME where empty.
    let time = |name: &str| if t.has(name) { times(&t.frame, name).map(Some) } else { Ok(None) };
    let (created, responded, solved) = (times(&t.frame, "created_at")?, time("first_response_at")?, time("solved_at")?);
    // Calendar seconds from creation to `to(row)` (null where either is missing), as
    // the expression `(to - created).cast(f64) / 1000` computes them, in one pass: the
    // values and the validity written side by side (not an Option a row, through a
    // dynamic call: 51-56 ms over W1's nine windows with the times' copies).
    fn calendar(name: &str, created: &[i64], to: impl Fn(usize) -> i64) -> Series {
        let mut values = Vec::with_capacity(created.len());
        let mut valid = BitmapBuilder::with_capacity(created.len());
        for (i, &a) in created.iter().enumerate() {
            let b = to(i);
            let known = a != NO_TIME && b != NO_TIME;
            values.push(if known { (b - a) as f64 / 1000.0 } else { 0.0 });
            valid.push(known);
        }
        Float64Chunked::from_vec_validity(name.into(), values, valid.into_opt_validity()).into_series()
    }
    let mut columns = Vec::new();
    if let Some(r) = &responded {
        columns.push(calendar("frt_s", &created, |i| r[i]));
    }
    if let Some(s) = &solved {
        columns.push(calendar("res_s", &created, |i| s[i]));
        // The first resolution, else the solve.
        columns.push(match &time("first_resolved_at")? {
            Some(f) => calendar("first_res_s", &created, |i| if f[i] != NO_TIME { f[i] } else { s[i] }),
            None => calendar("first_res_s", &created, |i| s[i]),
        });
    }
    if let Some(as_of) = as_of {
        columns.push(calendar("age_asof_s", &created, |_| as_of));
    }
    for c in columns {
        add(&mut t.frame, c)?;
    }
    if wd_hr {
        let (wd, hr) = weekday_hour(t.frame.column("created_at")?.i64()?, tz);
        add(&mut t.frame, wd)?;
        add(&mut t.frame, hr)?;
    }

    if let (Some(hours), Some(as_of)) = (hours, as_of) {
        // One clock over every day the tickets and as-of touch (the open time between
        // two instants inside it does not depend on its first day).
        let all = created.iter().chain(responded.iter().flatten()).chain(solved.iter().flatten());
        let (lo, hi) = (all.copied().filter(|v| *v != NO_TIME).chain([as_of]))
            .fold((i64::MAX, i64::MIN), |(a, b), v| (a.min(v), b.max(v)));
        let day = |ms: i64| crate::load::parse::local_date(ms, tz).expect("in chrono's range");
        let clock = BusinessClock::new(hours, tz, day(lo), day(hi));
        // A negative calendar duration stays negative in business time (at most −1 s),
        // so that it is excluded and counted like its calendar twin. The open time
        // between two instants is the difference of their `cumulative` open times: a
        // ticket's creation is looked up once for its three columns, as-of once for all.
        let seconds = |a: i64, open_a: i64, b: i64, open_b: i64| -> f64 {
            let s = (open_b - open_a) as f64 / 1000.0;
            if b < a {
                s.min(-1.0)
            } else {
                s
            }
        };
        let open_as_of = clock.cumulative(as_of);
        // The three columns written straight into arrays (not as Options first: 16
        // bytes a ticket).
        let mut out = [(); 3].map(|_| MutablePrimitiveArray::<f64>::with_capacity(created.len()));
        for (i, &a) in created.iter().enumerate() {
            if a == NO_TIME {
                out.iter_mut().for_each(|o| o.push(None));
                continue;
            }
            let open_a = clock.cumulative(a);
            let until = |b: i64| (b != NO_TIME).then(|| seconds(a, open_a, b, clock.cumulative(b)));
            out[0].push(responded.as_ref().and_then(|r| until(r[i])));
            out[1].push(solved.as_ref().and_then(|s| until(s[i])));
            out[2].push(Some(seconds(a, open_a, as_of, open_as_of)));
        }
        let [frt, res, age] = out;
        let column = |a: MutablePrimitiveArray<f64>, name: &str| Float64Chunked::with_chunk(name.into(), a.into());
        if responded.is_some() {
            add(&mut t.frame, column(frt, "frt_bs").into_series())?;
        }
        if solved.is_some() {
            add(&mut t.frame, column(res, "res_bs").into_series())?;
        }
        add(&mut t.frame, column(age, "age_asof_bs").into_series())?;
    }
    Ok(())
}

/// The calls' derived columns: handle time, and the weekday and hour offered.
fn calls_columns(c: &Source, tz: Tz, wd_hr: bool) -> Result<Vec<Series>> {
    let mut out = Vec::new();
    if c.has("talk_seconds") {
        let part = |n: &str| if c.has(n) { super::num(n).fill_null(lit(0.0)) } else { lit(0.0) };
        let handle = super::num("talk_seconds") + part("hold_seconds") + part("acw_seconds");
        let df = c.frame.clone().lazy().select([handle.alias("handle_s")]).collect()?;
        out.push(df.column("handle_s")?.as_materialized_series().clone());
    }
    if wd_hr {
        let (wd, hr) = weekday_hour(c.frame.column("offered_at")?.i64()?, tz);
        out.extend([wd, hr]);
    }
    Ok(out)
}

/// Whether the tickets' ratings are added to the responses (`ticket_csat_as_responses`).
fn ratings_become_responses(t: &Source) -> bool {
    t.has("csat_score") && t.has("solved_at")
}

/// `inbound` on calls: the direction says so, or there is none.
fn inbound(c: &mut Source) -> Result<()> {
    let inbound: BooleanChunked = if c.has("direction") {
        BooleanChunked::from_iter_values(
            "inbound".into(),
            crate::labels::per_row(c.frame.column("direction")?, |d| d.is_none_or(|d| d == "inbound"))?.into_iter(),
        )
    } else {
        BooleanChunked::full("inbound".into(), true, c.frame.height())
    };
    c.frame.with_column(inbound.with_name("inbound".into()).into_column())?;
    Ok(())
}

/// `repeat_contact` on tickets (same customer and reason, ticket or inbound call, within
/// repeat_contact_days) and `repeat_call` on calls (same customer, inbound call, within
/// repeat_call_days).
///
/// `beside` is other work, done on the repeat calls' thread once they are found; its
/// result is returned.
fn repeat_contacts<R: Send>(
    data: &mut Loaded,
    cfg: &Config,
    beside: impl FnOnce(&Loaded) -> Result<R> + Send,
) -> Result<R> {
    let day = 86_400_000.0;
    let (call_window, contact_window) =
        ((cfg.metrics.repeat_call_days * day) as i64, (cfg.metrics.repeat_contact_days * day) as i64);
    let ids = |src: &Option<Source>| -> Result<Option<StringChunked>> {
        match src.as_ref().filter(|s| s.has("customer_id")) {
            Some(s) => Ok(Some(s.frame.column("customer_id")?.str()?.clone())),
            None => Ok(None),
        }
    };
    let (ticket_ids, call_ids) = (ids(&data.tickets)?, ids(&data.calls)?);
    let CustomerCodes { tickets: ticket_cust, calls: call_cust, count: n_customers } =
        customer_codes(ticket_ids.as_ref(), call_ids.as_ref())?;
    // The ids' text is not read past their codes: dropped now rather than after the
    // derived columns, so it is not held beside the search's working memory (W1: 48 MB
    // of string views at the derived columns' peak).
    drop((ticket_ids, call_ids));
    for src in [&mut data.tickets, &mut data.calls].into_iter().flatten() {
        let _ = src.frame.drop_in_place("customer_id");
    }
    let view: &Loaded = data;
    let calls = view.calls.as_ref().filter(|_| call_cust.is_some());
    let tickets = view.tickets.as_ref().filter(|_| ticket_cust.is_some());
    // Every contact's customer code, kept as `__customer` (see CUSTOMER).
    let as_column = |codes: &[u32]| -> Series {
        UInt32Chunked::from_iter(codes.iter().map(|&k| (k != NO_CODE).then_some(k)))
            .with_name(CUSTOMER.into())
            .into_series()
    };
    let mut call_codes = None;
    // Inbound calls' customers (NO_CODE for outbound calls) and offer times.
    let call_customers = match (calls, call_cust) {
        (Some(c), Some(mut cust)) => {
            call_codes = Some(as_column(&cust));
            let inbound = c.frame.column("inbound")?.bool()?;
            let mut at = 0;
            for arr in inbound.downcast_iter() {
                let valid = arr.validity();
                for (j, yes) in arr.values().iter().enumerate() {
                    if !(yes && valid.is_none_or(|v| v.get_bit(j))) {
                        cust[at + j] = NO_CODE;
                    }
                }
                at += arr.len();
            }
            Some((cust, times(&c.frame, "offered_at")?))
        }
        _ => None,
    };
    // The two are independent: side by side, the repeat calls (and `beside`) from the
    // start, while the contacts are gathered (their single-threaded copies were a stretch
    // before both).
    let (repeat_call, repeat_contact, ticket_codes, beside) = std::thread::scope(|scope| -> Result<_> {
        let repeat_calls = scope.spawn(|| -> Result<_> {
            let repeat = call_customers
                .as_ref()
                .map(|(cust, at)| followed_within(cust, None, at, n_customers, call_window))
                .transpose()?
                .map(|rep| Series::new("repeat_call".into(), rep));
            Ok((repeat, beside(view)?))
        });
        // The tickets' customer column, made here beside the repeat calls, not before.
        let ticket_codes = ticket_cust.as_deref().map(as_column);
        // Tickets' customers and reasons, followed by inbound calls' where calls have a reason.
        // Each list made at its full length at once (growing the tickets' by the calls'
        // moved them and faulted in their memory twice).
        let contacts = match (tickets, ticket_cust) {
            (Some(t), Some(mut cust)) if t.has("reason") => {
                let with_calls = calls.filter(|c| c.has("reason")).zip(call_customers.as_ref());
                let n = cust.len() + with_calls.map_or(0, |(_, (call_cust, _))| call_cust.len());
                cust.reserve_exact(n - cust.len());
                let (mut reason, mut at) = (Vec::with_capacity(n), Vec::with_capacity(n));
                label_codes_into(&t.frame, "reason", &mut reason)?;
                or_none_into(t.frame.column("created_at")?.i64()?, NO_TIME, &mut at);
                if let Some((c, (call_cust, call_times))) = with_calls {
                    cust.extend_from_slice(call_cust);
                    label_codes_into(&c.frame, "reason", &mut reason)?;
                    at.extend_from_slice(call_times);
                }
                Some((t.frame.height(), cust, reason, at))
            }
            _ => None,
        };
        let contact = contacts
            .as_ref()
            .map(|(n_t, cust, reason, at)| -> Result<_> {
                let mut rep = followed_within(cust, Some(reason), at, n_customers, contact_window)?;
                rep.truncate(*n_t);
                Ok(Series::new("repeat_contact".into(), rep))
            })
            .transpose()?;
        let (repeat, beside) = repeat_calls.join().unwrap_or_else(|p| std::panic::resume_unwind(p))?;
        Ok((repeat, contact, ticket_codes, beside))
    })?;
    if let (Some(rep), Some(c)) = (repeat_call, data.calls.as_mut()) {
        add(&mut c.frame, rep)?;
    }
    if let (Some(rep), Some(t)) = (repeat_contact, data.tickets.as_mut()) {
        add(&mut t.frame, rep)?;
    }
    if let (Some(codes), Some(t)) = (ticket_codes, data.tickets.as_mut()) {
        add(&mut t.frame, codes)?;
    }
    if let (Some(codes), Some(c)) = (call_codes, data.calls.as_mut()) {
        add(&mut c.frame, codes)?;
    }
    Ok(beside)
}

/// tickets.csat_score becomes CSAT responses at the ticket's solved_at (rescaled onto
/// the survey scale when asked), marked `from_ticket`.
fn ticket_csat_as_responses(data: &mut Loaded, cfg: &Config) -> Result<()> {
    let Some(t) = data.tickets.as_ref().filter(|t| ratings_become_responses(t)) else {
        if let Some(s) = data.surveys.as_mut() {
            add_exprs(&mut s.frame, vec![lit(false).alias("from_ticket")])?;
        }
        return Ok(());
    };
    let sv = &cfg.surveys;
    let (tmin, tmax) = (cfg.tickets.csat_min.unwrap_or(sv.csat_min), cfg.tickets.csat_max.unwrap_or(sv.csat_max));
    let same_scale = tmin == sv.csat_min && tmax == sv.csat_max;
    let score = if !same_scale && cfg.tickets.csat_rescale {
        lit(sv.csat_min) + (col("csat_score") - lit(tmin)) * lit((sv.csat_max - sv.csat_min) / (tmax - tmin))
    } else {
        col("csat_score")
    };
    let mut cols = vec![
        col("solved_at").alias("responded_at"),
        lit("csat").alias("kind"),
        score.alias("score"),
        col("ticket_id"),
        lit(true).alias("from_ticket"),
        // The scale of a ticket rating, to refuse mixing scales in a period.
        lit(if same_scale || cfg.tickets.csat_rescale { 0.0 } else { 1.0 }).alias("foreign_scale"),
    ];
    for c in ["channel", "agent", "team", "reason"] {
        if t.has(c) {
            cols.push(col(c));
        }
    }
    let from_tickets = t
        .frame
        .clone()
        .lazy()
        .filter(col("csat_score").is_not_null().and(col("solved_at").is_not_null()))
        .select(cols)
        .collect()?;
    match data.surveys.as_mut() {
        Some(s) => {
            add_exprs(&mut s.frame, vec![lit(false).alias("from_ticket"), lit(0.0).alias("foreign_scale")])?;
            // Same columns, same order, same types: then stack.
            let schema = s.frame.schema().clone();
            let aligned: Vec<Expr> = schema
                .iter()
                .map(|(name, dt)| {
                    if from_tickets.get_column_names().contains(&name) {
                        col(name.clone()).cast(dt.clone())
                    } else {
                        lit(NULL).cast(dt.clone()).alias(name.clone())
                    }
                })
                .collect();
            let extra = from_tickets.lazy().select(aligned).collect()?;
            s.frame.vstack_mut(&extra)?;
            s.frame.rechunk_mut();
        }
        None => {
            let rows = from_tickets.height() as u64;
            data.surveys = Some(Source {
                name: "surveys",
                frame: from_tickets,
                meta: SourceMeta {
                    name: "surveys".into(),
                    path: "(tickets.csat_score)".into(),
                    format: "derived".into(),
                    profile: String::new(),
                    rows_read: rows,
                    rows_merged: 0,
                    rows_kept: rows,
                    coverage: None,
                    mapped_columns: vec![],
                    issues: vec![],
                    notes: vec!["CSAT ratings of the ticket export".into()],
                    unmatched: vec![],
                },
            });
        }
    }
    Ok(())
}

/// The survey responses and the tickets they name by ticket_id (ticket ids are unique
/// once loaded: duplicates are dropped, an event log is reduced to one row per id).
struct SurveyTickets {
    /// Each response's ticket row (None where it names no ticket).
    ticket_of: Vec<Option<IdxSize>>,
    /// Each ticket: whether a CSAT response names it (a survey's or the ticket's own
    /// rating, whenever it came): the survey response rate's numerator, per period.
    answered: Vec<bool>,
}

impl SurveyTickets {
    /// The responses' ticket ids are indexed (each id's first response, then a chain
    /// through the others), and the tickets' ids looked up in that: one pass over the
    /// tickets, ids compared by their string views (see crate::views).
    fn find(s: &Source, t: &Source) -> Result<SurveyTickets> {
        let ids = s.frame.column("ticket_id")?.str()?;
        if ids.len() >= u32::MAX as usize {
            bail!("more than {} survey responses", u32::MAX - 1);
        }
        let csat = crate::labels::per_row(s.frame.column("kind")?, |k| k == Some("csat"))?;
        let ticket_ids = t.frame.column("ticket_id")?.str()?;
        match Self::by_numbers(ids, ticket_ids, &csat) {
            Some(link) => Ok(link),
            None => Self::by_text(ids, ticket_ids, &csat),
        }
    }

    /// `find` with the ids coded by their string views (`Codes`): the responses' ids
    /// are given codes, the tickets' ids are looked up among them.
    fn by_text(ids: &StringChunked, ticket_ids: &StringChunked, csat: &[bool]) -> Result<SurveyTickets> {
        let mut codes = Codes::default();
        let responses = codes.text(ids, "ticket_id")?;
        let tickets: Vec<u32> = crate::views::values(ticket_ids).map(|v| codes.get(v)).collect();
        Ok(Self::by_codes(&responses, &tickets, codes.len(), csat))
    }

    /// `find` where the ids are numbers with one prefix (`Numbered`: the same number,
    /// the same text): the number less the smallest is the code, with no hashing (W1:
    /// 300k responses, 1M tickets, 45-60 ms hashed).
    fn by_numbers(ids: &StringChunked, ticket_ids: &StringChunked, csat: &[bool]) -> Option<SurveyTickets> {
        let mut numbered = Numbered::default();
        let (mut responses, mut tickets) = (numbered.text(ids)?, numbered.text(ticket_ids)?);
        let count = numbered.count((ids.len() + ticket_ids.len()).max(1 << 16))?;
        let from = numbered.range.0;
        for c in responses.iter_mut().chain(tickets.iter_mut()).filter(|c| **c != NO_CODE) {
            *c -= from;
        }
        Some(Self::by_codes(&responses, &tickets, count, csat))
    }

    /// The link from each response's and each ticket's id code (below `count`, NO_CODE
    /// for none): each code's responses are chained (the last first) from a slot a code,
    /// and each ticket walks its code's chain.
    fn by_codes(responses: &[u32], tickets: &[u32], count: usize, csat: &[bool]) -> SurveyTickets {
        const END: u32 = u32::MAX;
        let mut head = vec![END; count];
        let mut next = vec![END; responses.len()];
        for (i, &c) in responses.iter().enumerate() {
            if c != NO_CODE {
                next[i] = std::mem::replace(&mut head[c as usize], i as u32);
            }
        }
        let mut ticket_of = vec![None; responses.len()];
        let mut answered = vec![false; tickets.len()];
        for (row, &c) in tickets.iter().enumerate() {
            let mut at = if c == NO_CODE { END } else { head[c as usize] };
            while at != END {
                ticket_of[at as usize] = Some(row as IdxSize);
                answered[row] |= csat[at as usize];
                at = next[at as usize];
            }
        }
        SurveyTickets { ticket_of, answered }
    }
}

/// The responses linked to their tickets (`link_surveys`), and the tickets' flag of a
/// CSAT response (`surveys::ANSWERED`).
struct Linked {
    surveys: DataFrame,
    answered: Series,
}

fn linked(s: &Source, t: &Source) -> Result<Linked> {
    let link = SurveyTickets::find(s, t)?;
    let surveys = linked_surveys(s, t, &link.ticket_of)?;
    let answered = BooleanChunked::from_iter_values(super::surveys::ANSWERED.into(), link.answered.into_iter());
    Ok(Linked { surveys, answered: answered.into_series() })
}

/// A response linked to a ticket takes the ticket's channel, agent, team, reason,
/// sub-reason, product and location where it has none of its own (`ticket_of`: each
/// response's ticket row).
#[cfg(test)]
fn link_surveys(s: &mut Source, t: &Source, ticket_of: &[Option<IdxSize>]) -> Result<()> {
    s.frame = linked_surveys(s, t, ticket_of)?;
    Ok(())
}

/// The responses' frame as `link_surveys` makes it.
fn linked_surveys(s: &Source, t: &Source, ticket_of: &[Option<IdxSize>]) -> Result<DataFrame> {
    let attrs: Vec<&str> = ["channel", "agent", "team", "reason", "sub_reason", "product", "location"]
        .into_iter()
        .filter(|c| t.has(c))
        .collect();
    if attrs.is_empty() {
        return Ok(s.frame.clone());
    }
    let own: Vec<bool> = attrs.iter().map(|c| s.has(c)).collect();
    let rows: IdxCa = ticket_of.iter().copied().collect();
    let theirs = t.frame.select(attrs.iter().copied())?.take(&rows)?;
    let mut frame = s.frame.clone();
    for c in &attrs {
        let mut column = theirs.column(c)?.clone();
        column.rename(format!("__t_{c}").into());
        frame.with_column(column)?;
    }
    let mut exprs = Vec::new();
    for (c, own) in attrs.iter().zip(own) {
        let e = if own { coalesce(&[col(*c), col(format!("__t_{c}"))]) } else { col(format!("__t_{c}")) };
        exprs.push(e.alias(*c));
    }
    let drop: Vec<String> = attrs.iter().map(|c| format!("__t_{c}")).collect();
    Ok(frame.lazy().with_columns(exprs).drop(cols(drop)).collect()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_column_fits_its_byte() {
        for column in super::super::CODED {
            let (words, _) = crate::load::schema::vocabulary(column).expect("a vocabulary");
            assert!(words.len() < 128, "{column}");
            assert_eq!(code(words.len() - 1) as usize, words.len() - 1);
        }
    }

    fn source(name: &'static str, frame: DataFrame) -> Source {
        Source { name, frame, meta: SourceMeta::of_test(name) }
    }

    #[test]
    fn responses_find_their_tickets_and_take_what_they_lack() {
        // A ticket id past a string view's 12 inline bytes takes the other key.
        let long = "TICKET-0000000000002";
        let t = source(
            "tickets",
            df!("ticket_id" => ["T1", long, "T3"], "channel" => ["email", "chat", "phone"], "agent" => ["Ann", "Bo", "Cy"])
                .unwrap(),
        );
        let mut s = source(
            "surveys",
            df!(
                "ticket_id" => [Some(long), None, Some("T9"), Some(long), Some("T1")],
                "kind" => ["csat", "csat", "csat", "nps", "nps"],
                "channel" => [None, Some("web"), None, Some("sms"), None],
            )
            .unwrap(),
        );
        let link = SurveyTickets::find(&s, &t).unwrap();
        // The second ticket is named twice (csat, nps); no id, or an unknown one: no ticket.
        assert_eq!(link.ticket_of, [Some(1), None, None, Some(1), Some(0)]);
        // Answered: a CSAT response names it (T1's only response is an NPS one).
        assert_eq!(link.answered, [false, true, false]);
        link_surveys(&mut s, &t, &link.ticket_of).unwrap();
        let text = |c: &str| -> Vec<Option<String>> {
            s.frame.column(c).unwrap().str().unwrap().iter().map(|v| v.map(str::to_string)).collect()
        };
        let some = |v: &str| Some(v.to_string());
        // A response's own channel stays; a missing one is its ticket's.
        assert_eq!(text("channel"), [some("chat"), some("web"), None, some("sms"), some("email")]);
        // A column the responses lack comes whole from the tickets, after theirs.
        assert_eq!(text("agent"), [some("Bo"), None, None, some("Bo"), some("Ann")]);
        let names: Vec<&str> = s.frame.get_column_names().iter().map(|n| n.as_str()).collect();
        assert_eq!(names, ["ticket_id", "kind", "channel", "agent"]);
    }

    /// Numbered ids are linked by their numbers as they are by their text; ids whose
    /// numbers would not say the same as their text are linked by their text.
    #[test]
    fn responses_find_their_tickets_by_number_as_by_text() {
        let strings = |v: &[Option<String>]| StringChunked::from_iter_options("ticket_id".into(), v.iter().cloned());
        // By hand: response 1 and 3 name ticket row 2 ("T-7"), response 0 row 0, a
        // response names an id no ticket has, and one names none.
        let ids = strings(
            &["T-5", "T-7", "T-9", "T-7"].map(|v| Some(v.to_string())).into_iter().chain([None]).collect::<Vec<_>>(),
        );
        let tickets = strings(&[Some("T-5".into()), None, Some("T-7".into())]);
        let csat = [false, false, true, true, true];
        let link = SurveyTickets::by_numbers(&ids, &tickets, &csat).expect("numbered");
        assert_eq!(link.ticket_of, [Some(0), Some(2), None, Some(2), None]);
        assert_eq!(link.answered, [false, false, true]);
        // Not numbered alike: another prefix, or digits with and without a leading zero.
        for other in ["X-5", "T-05"] {
            let tickets = strings(&[Some("T-5".into()), Some(other.into())]);
            assert!(SurveyTickets::by_numbers(&ids, &tickets, &csat).is_none(), "{other}");
        }
        let mut rng = crate::test_rng::Rng(0x2545_F491_4F6C_DD1D);
        for round in 0..40 {
            let n_tickets = rng.below(300) as usize;
            let width = rng.below(2) == 0;
            let id = |n: u64| if width { format!("{n:06}") } else { format!("{}", n + 1) };
            let mut tickets: Vec<Option<String>> = (0..n_tickets as u64).map(|n| Some(id(n * 3))).collect();
            for _ in 0..rng.below(5) {
                if !tickets.is_empty() {
                    let at = rng.below(tickets.len() as u64) as usize;
                    tickets[at] = None;
                }
            }
            let n_responses = rng.below(200) as usize;
            let responses: Vec<Option<String>> = (0..n_responses)
                .map(|_| (rng.below(10) != 0).then(|| id(rng.below(3 * n_tickets as u64 + 5))))
                .collect();
            let csat: Vec<bool> = (0..n_responses).map(|_| rng.below(2) == 0).collect();
            let (ids, tickets) = (strings(&responses), strings(&tickets));
            let by_number = SurveyTickets::by_numbers(&ids, &tickets, &csat).expect("numbered");
            let by_text = SurveyTickets::by_text(&ids, &tickets, &csat).unwrap();
            assert_eq!(by_number.ticket_of, by_text.ticket_of, "round {round}");
            assert_eq!(by_number.answered, by_text.answered, "round {round}");
        }
    }

    /// A time column in order and complete is flagged sorted; one out of order, or with a
    /// missing time, is not (each period then checks or filters it).
    #[test]
    fn only_a_complete_time_column_in_order_is_flagged_sorted() {
        let flag = |times: Vec<Option<i64>>| {
            let mut src = source("calls", df!("offered_at" => times).unwrap());
            mark_sorted(&mut src, "offered_at").unwrap();
            mark_sorted(&mut src, "no_such_column").unwrap();
            src.frame.column("offered_at").unwrap().i64().unwrap().is_sorted_flag()
        };
        assert_eq!(flag(vec![Some(1), Some(1), Some(5)]), polars::series::IsSorted::Ascending);
        assert_eq!(flag(vec![Some(1), Some(0), Some(5)]), polars::series::IsSorted::Not);
        assert_eq!(flag(vec![Some(1), None, Some(5)]), polars::series::IsSorted::Not);
    }

    #[test]
    fn repeats_follow_within_the_window_per_key() {
        let day = 86_400_000;
        // Customers 0 and 1; reasons 7 and 8.
        let groups = vec![0, 1, 0, 0, NO_CODE, 1, 1, 0, 0];
        let reasons = vec![7, 7, 7, 7, 7, 7, 7, 7, NO_CODE];
        let times = vec![0, day, 3 * day, 20 * day, day, NO_TIME, day, 20 * day, 0];
        // 0@0 → 0@3d within 7 d: repeat; 0@3d → 0@20d: no; 0@20d → 0@20d (the same
        // instant, a later row): repeat; the last: no. 1@1d → 1@1d: repeat; a contact
        // without a time: no. No customer or no reason: unknown.
        let rep = followed_within(&groups, Some(&reasons), &times, 2, 7 * day).unwrap();
        let (t, f) = (Some(true), Some(false));
        assert_eq!(rep, vec![t, t, f, t, None, f, f, f, None]);
        // Another reason is another key; without sub-keys the customer alone is.
        let reasons = vec![7, 7, 8, 7, 7, 7, 7, 7, NO_CODE];
        let rep = followed_within(&groups, Some(&reasons), &times, 2, 7 * day).unwrap();
        assert_eq!(rep[0], f);
        assert_eq!(followed_within(&groups, None, &times, 2, 7 * day).unwrap()[0], t);
    }

    /// One sort of every contact (customer, reason, time) by (customer, reason, time, row).
    fn reference(rows: &[(u32, u32, i64)], window: i64) -> Vec<Option<bool>> {
        let mut all: Vec<(u32, u32, i64, usize)> = (rows.iter().enumerate())
            .filter(|(_, r)| r.0 != NO_CODE && r.1 != NO_CODE && r.2 != NO_TIME)
            .map(|(i, r)| (r.0, r.1, r.2, i))
            .collect();
        all.sort_unstable();
        let mut want: Vec<Option<bool>> =
            rows.iter().map(|r| (r.0 != NO_CODE && r.1 != NO_CODE).then_some(false)).collect();
        for w in all.windows(2) {
            let ((ga, sa, ta, a), (gb, sb, tb, _)) = (w[0], w[1]);
            want[a] = Some(ga == gb && sa == sb && tb - ta <= window);
        }
        want
    }

    /// The bucketed search and the walk in time order against one sort of every contact
    /// by (customer, reason, time, row), on random contacts with many ties.
    #[test]
    fn repeats_match_one_sort_of_all_contacts() {
        let mut rng = crate::test_rng::Rng(0x9E37_79B9_7F4A_7C15);
        let mut rand = |n: u64| rng.below(n);
        for round in 0..50 {
            let (n, n_groups) = (1 + rand(400) as usize, 1 + rand(30) as usize);
            let pick = |r: u64, none: u64, v: u64| if r < none { None } else { Some(v) };
            let mut rows = Vec::new();
            for _ in 0..n {
                let g = pick(rand(20), 1, rand(n_groups as u64)).map_or(NO_CODE, |g| g as u32);
                let s = pick(rand(20), 1, rand(3)).map_or(NO_CODE, |s| s as u32);
                let t = pick(rand(20), 1, rand(30) * 3_600_000).map_or(NO_TIME, |t| t as i64);
                rows.push((g, s, t));
            }
            let groups: Vec<u32> = rows.iter().map(|r| r.0).collect();
            let subs: Vec<u32> = rows.iter().map(|r| r.1).collect();
            let mut times: Vec<i64> = rows.iter().map(|r| r.2).collect();
            let window = rand(10) as i64 * 3_600_000;
            let want = reference(&rows, window);
            let got = followed_within(&groups, Some(&subs), &times, n_groups, window).unwrap();
            assert_eq!(got, want, "round {round}");
            assert_eq!(
                bucketed(Contacts { groups: &groups, subs: Some(&subs), times: &times }, n_groups, window),
                want,
                "round {round}"
            );
            // In time order, or in two runs that are (split anywhere), the walk answers.
            if round % 2 == 0 {
                times.sort_unstable_by_key(|t| if *t == NO_TIME { 0 } else { *t });
            } else {
                let at = rand(n as u64 + 1) as usize;
                times[..at].sort_unstable();
                times[at..].sort_unstable();
            }
            for (r, t) in rows.iter_mut().zip(&times) {
                r.2 = *t;
            }
            let want = reference(&rows, window);
            let walked = swept(Contacts { groups: &groups, subs: Some(&subs), times: &times }, n_groups, window)
                .expect("in order");
            assert_eq!(walked, want, "round {round}, in order");
            assert_eq!(
                bucketed(Contacts { groups: &groups, subs: Some(&subs), times: &times }, n_groups, window),
                want,
                "round {round}"
            );
            let walked =
                swept(Contacts { groups: &groups, subs: None, times: &times }, n_groups, window).expect("in order");
            assert_eq!(
                walked,
                bucketed(Contacts { groups: &groups, subs: None, times: &times }, n_groups, window),
                "round {round}"
            );
        }
    }

    #[test]
    fn codes_are_shared_by_short_and_long_values_and_across_frames() {
        let long = "a customer id longer than twelve bytes";
        let a = df!("c" => [Some("x"), None, Some(long), Some("x"), Some("y")]).unwrap();
        let b = df!("c" => [Some("y"), Some(long), Some("z")]).unwrap();
        let mut codes = Codes::default();
        assert_eq!(codes.text(a.column("c").unwrap().str().unwrap(), "c").unwrap(), vec![0, NO_CODE, 1, 0, 2]);
        let mut other = Codes::default();
        let from_b = other.text(b.column("c").unwrap().str().unwrap(), "c").unwrap();
        assert_eq!(from_b, vec![0, 1, 2]);
        let to = codes.translate(other).unwrap();
        let translated: Vec<u32> = from_b.iter().map(|c| to[*c as usize]).collect();
        assert_eq!(translated, vec![2, 1, 3]);
        // A frame in several chunks, sliced: validity and views stay aligned.
        let mut c = df!("c" => [Some("q"), None]).unwrap();
        c.vstack_mut(&df!("c" => [None, Some(long)]).unwrap()).unwrap();
        assert_eq!(
            codes.text(c.slice(1, 3).column("c").unwrap().str().unwrap(), "c").unwrap(),
            vec![NO_CODE, NO_CODE, 1]
        );
    }

    #[test]
    fn numbered_customer_ids_are_their_numbers_and_other_ids_are_coded() {
        let codes = |t: &[Option<&str>], c: &[Option<&str>]| {
            let t = StringChunked::from_iter_options("t".into(), t.iter().copied());
            let c = StringChunked::from_iter_options("c".into(), c.iter().copied());
            let codes = customer_codes(Some(&t), Some(&c)).unwrap();
            (codes.tickets, codes.calls, codes.count)
        };
        let (t, c, n) = codes(
            &[Some("CUS-120"), None, Some("CUS-7")],
            &[Some("CUS-9"), Some("CUS-120"), None, Some("CUS-8"), Some("CUS-7")],
        );
        // The numbers less the smallest (7), the same id the same code in both.
        assert_eq!((t.unwrap(), c.unwrap(), n), (vec![113, NO_CODE, 0], vec![2, 113, NO_CODE, 1, 0], 114));
        // Zero-padded to one width: still one number per text.
        let (t, c, n) = codes(&[Some("007"), Some("010")], &[Some("010"), Some("000"), Some("009")]);
        assert_eq!((t.unwrap(), c.unwrap(), n), (vec![7, 10], vec![10, 0, 9], 11));
        // "CUS-07" and "CUS-7" are two customers, as are "A1" and "B1"; ids that are not
        // a number, or numbers too spread out for their count, are coded by appearance.
        let firsts = |t: &[Option<&str>], c: &[Option<&str>]| {
            let (t, c, n) = codes(t, c);
            (t.unwrap(), c.unwrap(), n)
        };
        assert_eq!(
            firsts(&[Some("CUS-07"), Some("CUS-7")], &[Some("CUS-7"), Some("CUS-07"), Some("CUS-10")]),
            (vec![0, 1], vec![1, 0, 2], 3)
        );
        assert_eq!(firsts(&[Some("A1"), Some("B1")], &[Some("B1"), Some("A1")]), (vec![0, 1], vec![1, 0], 2));
        assert_eq!(firsts(&[Some("x"), Some("12")], &[Some("12")]), (vec![0, 1], vec![1], 2));
        assert_eq!(firsts(&[Some("1"), Some("99999999")], &[Some("1")]), (vec![0, 1], vec![0], 2));
        assert_eq!(firsts(&[Some("1234567890")], &[Some("1234567890")]), (vec![0], vec![0], 1));
    }

    #[test]
    fn label_codes_are_shared_across_frames_and_plain_text_is_coded() {
        let long = "a reason longer than twelve bytes";
        let a = df!("test_codes" => [Some("x"), None, Some(long), Some("x"), Some("y")]).unwrap();
        let mut b = df!("test_codes" => [Some("y"), Some(long), Some("z")]).unwrap();
        let from_a = label_codes(&a, "test_codes").unwrap();
        assert_eq!(from_a[1], NO_CODE);
        assert_eq!(from_a[0], from_a[3]);
        assert!(from_a[0] != from_a[2] && from_a[2] != from_a[4] && from_a[0] != from_a[4]);
        // Held as a label (as loaded), in another frame, after `a`'s coded copy is gone:
        // the same codes for the same text.
        let coded = crate::labels::encode(b.column("test_codes").unwrap()).unwrap();
        b.replace("test_codes", coded).unwrap();
        let from_b = label_codes(&b, "test_codes").unwrap();
        assert_eq!(from_b[0], from_a[4]);
        assert_eq!(from_b[1], from_a[2]);
        assert!(!from_a.contains(&from_b[2]));
        // A frame in several chunks, sliced: validity and codes stay aligned.
        let mut c = df!("test_codes" => [Some("q"), None]).unwrap();
        c.vstack_mut(&df!("test_codes" => [None, Some(long)]).unwrap()).unwrap();
        assert_eq!(label_codes(&c.slice(1, 3), "test_codes").unwrap(), vec![NO_CODE, NO_CODE, from_a[2]]);
    }
}
