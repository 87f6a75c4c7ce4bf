//! Volume across sources: distinct customers and the weekday × hour heat map.

use super::{Breakdown, BreakdownRow, Ctx, MetricValue};
use crate::load::Loaded;
use anyhow::Result;
use chrono::Datelike;
use polars::prelude::*;

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// Marks the customer codes (`prepare::CUSTOMER`) of the rows where `filter` holds.
/// The mask and the codes are read as columns, and the codes taken at the rows the mask
/// keeps that have one (`groups::kept_rows`), not filtered into a copy and read row by row.
fn mark(frame: &DataFrame, filter: Expr, seen: &mut Vec<u64>) -> Result<()> {
    use super::prepare::CUSTOMER;
    let columns = super::groups::columns_of(frame, vec![filter.alias("__keep"), col(CUSTOMER)])?;
    let (keep, codes) = (columns[0].bool()?, columns[1].u32()?);
    let (Some(keep), Some(codes)) = (keep.downcast_iter().next(), codes.downcast_iter().next()) else {
        return Ok(());
    };
    let values = codes.values().as_slice();
    super::groups::for_each_set(&super::groups::kept_rows(keep, [codes.validity()]), |r| {
        let code = values[r];
        let (word, bit) = (code as usize / 64, code % 64);
        if word >= seen.len() {
            seen.resize(word + 1, 0);
        }
        seen[word] |= 1 << bit;
    });
    Ok(())
}

pub fn compute(data: &Loaded, ctx: &Ctx) -> Result<Vec<MetricValue>> {
    use super::prepare::CUSTOMER;
    let id = "unique_customers";
    let t = data.tickets.as_ref().filter(|t| t.has(CUSTOMER));
    let c = data.calls.as_ref().filter(|c| c.has(CUSTOMER));
    if t.is_none() && c.is_none() {
        return Ok(vec![MetricValue::not_available(id, vec!["tickets.customer_id or calls.customer_id".into()])]);
    }
    // The customers' codes are dense: one bit each.
    let mut seen = Vec::new();
    if let Some(t) = t {
        mark(&t.frame, ctx.within("created_at"), &mut seen)?;
    }
    if let Some(c) = c {
        let m = ctx.call_masks();
        mark(&c.frame, m.offered, &mut seen)?;
    }
    let n: u32 = seen.iter().map(|w| w.count_ones()).sum();
    Ok(vec![MetricValue::count(id, n as f64)])
}

/// Rows where `filter` holds, per local (weekday, hour): one loop over the filter and the
/// two columns (a polars group-by per source took 10-18 ms of each compared quarter).
fn counts(frame: &DataFrame, filter: Expr) -> Result<[[f64; 24]; 7]> {
    let mut grid = [[0.0; 24]; 7];
    let columns = super::groups::columns_of(frame, vec![filter.alias("__keep"), col("weekday"), col("hour")])?;
    let (keep, w, h) = (columns[0].bool()?, columns[1].i32()?, columns[2].i32()?);
    let (Some(keep), Some(w), Some(h)) =
        (keep.downcast_iter().next(), w.downcast_iter().next(), h.downcast_iter().next())
    else {
        return Ok(grid);
    };
    let (weekdays, hours) = (w.values().as_slice(), h.values().as_slice());
    super::groups::for_each_set(&super::groups::kept_rows(keep, [w.validity(), h.validity()]), |r| {
        grid[weekdays[r] as usize][hours[r] as usize] += 1.0;
    });
    Ok(grid)
}

/// 168 cells, Monday 00h first: tickets created and inbound calls offered, and their
/// sum per day of that weekday in the period.
pub(crate) fn weekday_hour(data: &Loaded, ctx: &Ctx) -> Result<Option<Breakdown>> {
    let Some(t) = &data.tickets else { return Ok(None) };
    // A period's frames have its masks (`Ctx::within`); the drivers' rows do not.
    let masked = |s: &crate::load::Source, time: &str| s.has(&format!("{}{time}", super::MASK));
    let created = if masked(t, "created_at") { ctx.within("created_at") } else { ctx.window.contains("created_at") };
    let tickets = counts(&t.frame, created)?;
    let calls = match &data.calls {
        Some(c) if masked(c, "offered_at") => counts(&c.frame, ctx.call_masks().offered)?,
        Some(c) => counts(&c.frame, super::calls_masks(c, ctx.window, &ctx.cfg.calls).offered)?,
        None => [[0.0; 24]; 7],
    };
    let mut per_weekday = [0.0f64; 7];
    let mut d = ctx.period.start;
    while d < ctx.period.end {
        per_weekday[d.weekday().num_days_from_monday() as usize] += 1.0;
        d = d.succ_opt().expect("date");
    }
    let mut rows = Vec::with_capacity(168);
    for (w, name) in WEEKDAYS.iter().enumerate() {
        for h in 0..24 {
            let (tk, cl) = (tickets[w][h], calls[w][h]);
            let mut per_day = MetricValue::ratio("contacts_per_day", tk + cl, per_weekday[w], 1.0);
            per_day.n = (tk + cl) as u64;
            rows.push(BreakdownRow {
                key: format!("{name} {h:02}"),
                values: vec![MetricValue::count("tickets", tk), MetricValue::count("calls", cl), per_day],
                flags: vec![],
            });
        }
    }
    Ok(Some(Breakdown { id: "contacts_by_weekday_hour".into(), dimension: "weekday_hour".into(), rows, needs: vec![] }))
}

/// Tickets created and inbound calls offered on each local day of the period, for the
/// chart that sets the period's days against the previous period's: counted on the
/// period's rows and masks (`data` is the period's, `windowed`), on its thread, rather
/// than by filtering every ticket and call again after the periods (W1: 25 ms on one
/// core).
pub(crate) fn daily(data: &Loaded, ctx: &Ctx, tz: chrono_tz::Tz) -> Result<Vec<(f64, f64)>> {
    let period = ctx.period;
    let days: Vec<chrono::NaiveDate> = period.start.iter_days().take_while(|d| *d < period.end).collect();
    // Local midnights as UTC ms: day i is [bounds[i], bounds[i + 1]).
    let bounds: Vec<i64> = days
        .iter()
        .chain(std::iter::once(&period.end))
        .map(|d| crate::period::local_midnight(*d, tz).timestamp_millis())
        .collect();
    let count = |frame: &DataFrame, column: &str, filter: Expr| -> Result<Vec<f64>> {
        let mut out = vec![0.0; days.len()];
        let columns = super::groups::columns_of(frame, vec![filter.alias("__keep"), col(column)])?;
        let (keep, times) = (columns[0].bool()?, columns[1].i64()?);
        let (Some(keep), Some(times)) = (keep.downcast_iter().next(), times.downcast_iter().next()) else {
            return Ok(out);
        };
        let values = times.values().as_slice();
        super::groups::for_each_set(&super::groups::kept_rows(keep, [times.validity()]), |r| {
            let i = bounds.partition_point(|b| *b <= values[r]).saturating_sub(1);
            if i < out.len() {
                out[i] += 1.0;
            }
        });
        Ok(out)
    };
    let tickets = match &data.tickets {
        Some(t) => count(&t.frame, "created_at", ctx.within("created_at"))?,
        None => vec![0.0; days.len()],
    };
    let calls = match &data.calls {
        Some(c) => count(&c.frame, "offered_at", ctx.call_masks().offered)?,
        None => vec![0.0; days.len()],
    };
    Ok(tickets.into_iter().zip(calls).collect())
}
