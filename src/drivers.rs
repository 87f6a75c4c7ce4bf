//! drivers: what customers contact us about. The top N values of the driver field
//! (tickets and calls together, and apart), their share and change, who owns them, and
//! what they cost in satisfaction, effort, resolution time and handle time; the driver
//! that grew most and the new ones; breakdowns by product and location; heat maps.
//!
//! Order, everywhere: by count, descending; ties by name in byte order (so "Billing"
//! before "Login", and a run never differs from the next).

use crate::config::Config;
use crate::labels;
use crate::load::Loaded;
use crate::metrics::groups::Agg;
use crate::metrics::Window;
use crate::stats;
use anyhow::Result;
use polars::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;

/// Contacts whose driver field is empty are counted under this name.
pub const UNSET: &str = "(not set)";

#[derive(Debug, Clone, Serialize)]
pub struct DriverRow {
    pub rank: usize,
    pub name: String,
    pub count: u64,
    pub tickets: u64,
    pub calls: u64,
    /// Share of all contacts, in percent.
    pub share: f64,
    pub prev_count: u64,
    pub prev_share: f64,
    pub delta_count: i64,
    pub delta_share_pts: f64,
    /// Share change tested with a two-proportion z-test (p < 0.05).
    pub significant: Option<bool>,
    pub p_value: Option<f64>,
    pub csat: Option<f64>,
    pub csat_n: u64,
    pub ces: Option<f64>,
    pub ces_n: u64,
    pub median_resolution_seconds: Option<f64>,
    pub aht_seconds: Option<f64>,
    pub owner: Option<String>,
    pub is_new: bool,
}

/// A ranking of one field's values over the chosen sources.
#[derive(Debug, Clone, Serialize)]
pub struct Ranking {
    pub field: String,
    pub sources: Vec<String>,
    pub total: u64,
    pub total_prev: u64,
    /// Every value, ranked.
    pub rows: Vec<DriverRow>,
}

/// A matrix of values (rows × columns) with the n behind each cell.
#[derive(Debug, Clone, Serialize)]
pub struct HeatMap {
    pub id: String,
    pub rows: Vec<String>,
    pub columns: Vec<String>,
    pub values: Vec<Vec<Option<f64>>>,
    pub n: Vec<Vec<u64>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Drivers {
    pub field: String,
    pub total: u64,
    pub total_prev: u64,
    /// The top N, tickets and calls together (the configured sources).
    pub top: Vec<DriverRow>,
    /// The top N counting tickets only, and calls only (empty without that source).
    pub top_tickets: Vec<DriverRow>,
    pub top_calls: Vec<DriverRow>,
    /// The driver (any rank) whose count grew most against the previous period.
    pub emerging: Option<DriverRow>,
    /// Drivers with contacts now and none in the previous period.
    pub new_drivers: Vec<String>,
    pub distinct: usize,
    /// Tickets by product and by location, when those columns are mapped.
    pub by_product: Option<Ranking>,
    pub by_location: Option<Ranking>,
    /// CSAT and CES (rows: the top drivers; columns: channels), and contacts by local
    /// weekday × hour.
    pub csat_heatmap: Option<HeatMap>,
    pub ces_heatmap: Option<HeatMap>,
    pub contacts_heatmap: Option<HeatMap>,
}

fn key_expr(field: &str) -> Expr {
    col(field).fill_null(lit(UNSET)).alias("key")
}

/// `aggs` per value of `field` among rows where `filter` holds, in one group-by.
fn per_key_all(frame: &DataFrame, field: &str, filter: Expr, aggs: Vec<Expr>) -> Result<BTreeMap<String, Vec<f64>>> {
    let names: Vec<String> = (0..aggs.len()).map(|i| format!("v{i}")).collect();
    let aggs: Vec<Expr> =
        aggs.into_iter().zip(&names).map(|(a, n)| a.cast(DataType::Float64).alias(n.as_str())).collect();
    let df = frame.clone().lazy().filter(filter).group_by([key_expr(field)]).agg(aggs).collect()?;
    let keys = labels::text(df.column("key")?)?;
    let cols = names.iter().map(|n| Ok(df.column(n)?.f64()?.clone())).collect::<Result<Vec<_>>>()?;
    let mut out = BTreeMap::new();
    for (i, k) in keys.iter().enumerate() {
        let vals: Option<Vec<f64>> = cols.iter().map(|c| c.get(i).filter(|v| v.is_finite())).collect();
        if let (Some(k), Some(vals)) = (k, vals) {
            out.insert(k.to_string(), vals);
        }
    }
    Ok(out)
}

/// `agg` per value of `field` among rows where `filter` holds.
fn per_key(frame: &DataFrame, field: &str, filter: Expr, agg: Expr) -> Result<BTreeMap<String, f64>> {
    Ok(per_key_all(frame, field, filter, vec![agg])?.into_iter().map(|(k, v)| (k, v[0])).collect())
}

/// `per_key` of one aggregate of `metrics::groups` (a count, a mean, or a duration's
/// median), grouped on the label's codes, not filtered into a copy and grouped by
/// polars (W1: the drivers' counts and KPIs over two quarters of tickets and calls):
/// the values of `field` with a row kept (a count above 0, a finite mean or median).
/// A field holding the text that stands for no value (`UNSET`) as well as nulls goes
/// through `per_key`, whose polars group-by counts the two as one.
fn per_key_grouped(frame: &DataFrame, field: &str, agg: Agg) -> Result<BTreeMap<String, f64>> {
    // The value read from each group's row, and the same as `per_key`'s filter and
    // aggregate.
    let (wanted, filter, polars) = match &agg {
        Agg::Count(name, mask) => (name.clone(), mask.clone(), len()),
        Agg::Mean(name, v, keep) => (name.clone(), keep.clone(), v.clone().mean()),
        Agg::Sum(name, v, keep) => (name.clone(), keep.clone(), v.clone().sum()),
        Agg::Duration(prefix, v, keep) => {
            (format!("{prefix}_median"), keep.clone().and(v.clone().gt_eq(lit(0.0))), v.clone().median())
        }
    };
    let count = matches!(agg, Agg::Count(..));
    let mut out = BTreeMap::new();
    for (key, row) in crate::metrics::groups::grouped(frame, field, vec![agg])? {
        if let Some(v) = row.get(&wanted).filter(|v| !count || *v > 0.0) {
            if out.insert(key, v).is_some() {
                return per_key(frame, field, filter, polars);
            }
        }
    }
    Ok(out)
}

/// Contacts per value: (tickets, calls).
type Counts = BTreeMap<String, (u64, u64)>;

/// Contacts per value of a field, and what they are kept by: (source, field, window
/// start, window end).
type PerValue = std::rc::Rc<BTreeMap<String, f64>>;
type CountsKey = (&'static str, String, i64, i64);

/// What the rankings share, found once: the rankings of all sources, of tickets only
/// and of calls only count the same contacts per value and read the same KPIs.
#[derive(Default)]
struct Memo {
    counts: std::cell::RefCell<BTreeMap<CountsKey, PerValue>>,
    /// KPIs by field (always of the current period).
    kpis: std::cell::RefCell<BTreeMap<String, std::rc::Rc<Kpis>>>,
}

impl Memo {
    fn counts(
        &self,
        source: &'static str,
        field: &str,
        w: Window,
        find: impl FnOnce() -> Result<BTreeMap<String, f64>>,
    ) -> Result<PerValue> {
        found_once(&self.counts, (source, field.to_string(), w.start, w.end), find)
    }

    fn kpis(&self, field: &str, find: impl FnOnce() -> Result<Kpis>) -> Result<std::rc::Rc<Kpis>> {
        found_once(&self.kpis, field.to_string(), find)
    }
}

/// The value kept under `key`, found (and kept) the first time it is asked for.
fn found_once<K: Ord, V>(
    kept: &std::cell::RefCell<BTreeMap<K, std::rc::Rc<V>>>,
    key: K,
    find: impl FnOnce() -> Result<V>,
) -> Result<std::rc::Rc<V>> {
    if let Some(found) = kept.borrow().get(&key) {
        return Ok(found.clone());
    }
    let found = std::rc::Rc::new(find()?);
    kept.borrow_mut().insert(key, found.clone());
    Ok(found)
}

fn counts(
    data: &Loaded,
    cfg: &Config,
    field: &str,
    sources: &[String],
    w: Window,
    memo: &Memo,
) -> Result<(Counts, u64)> {
    let mut out = Counts::new();
    if let Some(t) = data.tickets.as_ref().filter(|t| t.has(field) && sources.iter().any(|s| s == "tickets")) {
        let found = memo.counts("tickets", field, w, || {
            per_key_grouped(&t.frame, field, Agg::count("n", w.contains("created_at")))
        })?;
        for (k, v) in found.iter() {
            out.entry(k.clone()).or_default().0 += *v as u64;
        }
    }
    if let Some(c) = data.calls.as_ref().filter(|c| c.has(field) && sources.iter().any(|s| s == "calls")) {
        let found = memo.counts("calls", field, w, || {
            per_key_grouped(&c.frame, field, Agg::count("n", crate::metrics::calls_masks(c, w, &cfg.calls).offered))
        })?;
        for (k, v) in found.iter() {
            out.entry(k.clone()).or_default().1 += *v as u64;
        }
    }
    let total = out.values().map(|(a, b)| a + b).sum();
    Ok((out, total))
}

/// Per-value KPIs of the current period: median resolution, CSAT (pos, n), CES (sum, n), AHT.
struct Kpis {
    resolution: BTreeMap<String, f64>,
    csat: BTreeMap<String, (f64, f64)>,
    ces: BTreeMap<String, (f64, f64)>,
    aht: BTreeMap<String, f64>,
}

fn kpis(data: &Loaded, cfg: &Config, field: &str, cur: Window) -> Result<Kpis> {
    let mut k = Kpis { resolution: BTreeMap::new(), csat: BTreeMap::new(), ces: BTreeMap::new(), aht: BTreeMap::new() };
    if let Some(t) = data.tickets.as_ref().filter(|t| t.has(field) && t.has("res_s")) {
        // The median of the values not negative.
        k.resolution = per_key_grouped(&t.frame, field, Agg::duration("res", col("res_s"), cur.contains("solved_at")))?;
    }
    // Survey responses carry their ticket's field through the ticket link (prepare).
    if let Some(s) = data.surveys.as_ref().filter(|s| s.has(field)) {
        let sv = &cfg.surveys;
        let csat = cur
            .contains("responded_at")
            .and(crate::metrics::code_is("kind", "csat"))
            .and(col("score").gt_eq(lit(sv.csat_min)))
            .and(col("score").lt_eq(lit(sv.csat_max)));
        let csat_aggs = vec![col("score").gt_eq(lit(sv.csat_positive_min)).sum(), len()];
        for (key, v) in per_key_all(&s.frame, field, csat, csat_aggs)? {
            k.csat.insert(key, (v[0], v[1]));
        }
        let ces = cur
            .contains("responded_at")
            .and(crate::metrics::code_is("kind", "ces"))
            .and(col("score").gt_eq(lit(sv.ces_min)))
            .and(col("score").lt_eq(lit(sv.ces_max)));
        for (key, v) in per_key_all(&s.frame, field, ces, vec![col("score").sum(), len()])? {
            k.ces.insert(key, (v[0], v[1]));
        }
    }
    if let Some(c) = data.calls.as_ref().filter(|c| c.has(field) && c.has("handle_s")) {
        let m = crate::metrics::calls_masks(c, cur, &cfg.calls);
        let talked = m.answered.and(col("talk_seconds").is_not_null());
        k.aht = per_key_grouped(&c.frame, field, Agg::mean("aht", col("handle_s"), talked))?;
    }
    Ok(k)
}

/// Every value of `field`, ranked, with its change and KPIs.
fn rank(
    data: &Loaded,
    cfg: &Config,
    field: &str,
    sources: &[String],
    cur: Window,
    prev: Window,
    memo: &Memo,
) -> Result<Ranking> {
    let (now, total) = counts(data, cfg, field, sources, cur, memo)?;
    let (before, total_prev) = counts(data, cfg, field, sources, prev, memo)?;
    let k = memo.kpis(field, || kpis(data, cfg, field, cur))?;
    let pct = |x: u64, n: u64| if n > 0 { x as f64 / n as f64 * 100.0 } else { 0.0 };
    let mut rows: Vec<DriverRow> = now
        .iter()
        .map(|(name, (t, c))| {
            let count = t + c;
            let prev_count = before.get(name).map(|(a, b)| a + b).unwrap_or(0);
            let (cp, cn) = k.csat.get(name).copied().unwrap_or((0.0, 0.0));
            let (es, en) = k.ces.get(name).copied().unwrap_or((0.0, 0.0));
            let p_value = stats::two_proportion_p(count as f64, total as f64, prev_count as f64, total_prev as f64);
            DriverRow {
                rank: 0,
                name: name.clone(),
                count,
                tickets: *t,
                calls: *c,
                share: pct(count, total),
                prev_count,
                prev_share: pct(prev_count, total_prev),
                delta_count: count as i64 - prev_count as i64,
                delta_share_pts: pct(count, total) - pct(prev_count, total_prev),
                significant: p_value.map(|p| p < 0.05),
                p_value,
                csat: (cn > 0.0).then(|| cp / cn * 100.0),
                csat_n: cn as u64,
                ces: (en > 0.0).then(|| es / en),
                ces_n: en as u64,
                median_resolution_seconds: k.resolution.get(name).copied(),
                aht_seconds: k.aht.get(name).copied(),
                owner: cfg.drivers.owners.get(name).cloned(),
                is_new: prev_count == 0 && total_prev > 0,
            }
        })
        .collect();
    rows.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    for (i, r) in rows.iter_mut().enumerate() {
        r.rank = i + 1;
    }
    Ok(Ranking { field: field.to_string(), sources: sources.to_vec(), total, total_prev, rows })
}

/// CSAT or CES of survey responses by driver (rows, the top drivers) × channel.
fn survey_heatmap(
    data: &Loaded,
    cfg: &Config,
    field: &str,
    rows: &[String],
    kind: &str,
    cur: Window,
) -> Result<Option<HeatMap>> {
    let Some(s) = data.surveys.as_ref().filter(|s| s.has(field) && s.has("channel")) else { return Ok(None) };
    let sv = &cfg.surveys;
    let (lo, hi) = if kind == "csat" { (sv.csat_min, sv.csat_max) } else { (sv.ces_min, sv.ces_max) };
    let ok = cur
        .contains("responded_at")
        .and(crate::metrics::code_is("kind", kind))
        .and(col("score").gt_eq(lit(lo)))
        .and(col("score").lt_eq(lit(hi)));
    let value = if kind == "csat" {
        col("score").gt_eq(lit(sv.csat_positive_min)).cast(DataType::Float64).mean() * lit(100.0)
    } else {
        col("score").mean()
    };
    let df = s
        .frame
        .clone()
        .lazy()
        .filter(ok)
        .group_by([key_expr(field), col("channel").fill_null(lit(UNSET)).alias("channel")])
        .agg([value.cast(DataType::Float64).alias("v"), len().cast(DataType::Float64).alias("n")])
        .collect()?;
    let (k, ch, v, n) = (
        labels::text(df.column("key")?)?,
        labels::text(df.column("channel")?)?,
        df.column("v")?.f64()?,
        df.column("n")?.f64()?,
    );
    let mut cells: BTreeMap<(String, String), (f64, u64)> = BTreeMap::new();
    let mut columns: Vec<String> = Vec::new();
    for i in 0..df.height() {
        if let (Some(k), Some(ch), Some(v), Some(n)) = (k.get(i), ch.get(i), v.get(i), n.get(i)) {
            if rows.iter().any(|r| r == k) {
                cells.insert((k.to_string(), ch.to_string()), (v, n as u64));
                if !columns.iter().any(|c| c == ch) {
                    columns.push(ch.to_string());
                }
            }
        }
    }
    columns.sort();
    let values = rows
        .iter()
        .map(|r| columns.iter().map(|c| cells.get(&(r.clone(), c.clone())).map(|x| x.0)).collect())
        .collect();
    let n = rows
        .iter()
        .map(|r| columns.iter().map(|c| cells.get(&(r.clone(), c.clone())).map_or(0, |x| x.1)).collect())
        .collect();
    Ok(Some(HeatMap { id: format!("{kind}_by_driver_channel"), rows: rows.to_vec(), columns, values, n }))
}

pub fn compute(
    data: &Loaded,
    cfg: &Config,
    period: &crate::period::Period,
    cur: Window,
    prev: Window,
) -> Result<Drivers> {
    compute_given(data, cfg, period, cur, prev, None)
}

/// `compute`, with the current period's weekday × hour counts already made (a report's
/// current period has them: `metrics::volume::weekday_hour`; None where they are not
/// available): the contacts heat map is read from them, and the rows are not given a
/// weekday and an hour again (the time zone looked up for each of W1's 750k contacts
/// of two quarters, on the drivers' single-threaded start).
pub fn compute_with_counts(
    data: &Loaded,
    cfg: &Config,
    period: &crate::period::Period,
    cur: Window,
    prev: Window,
    weekday_hour: Option<&crate::metrics::Breakdown>,
) -> Result<Drivers> {
    compute_given(data, cfg, period, cur, prev, Some(weekday_hour))
}

fn compute_given(
    data: &Loaded,
    cfg: &Config,
    period: &crate::period::Period,
    cur: Window,
    prev: Window,
    weekday_hour: Option<Option<&crate::metrics::Breakdown>>,
) -> Result<Drivers> {
    let d = &cfg.drivers;
    let field = d.field.as_str();
    // The rows any ranking or heat map can count: tickets created or solved, calls
    // offered and responses given from the earlier period's start to the later one's
    // end. Each ranking masks them again for its period; narrowing them once spares
    // every one of the dozens of rankings' queries a pass over the whole frames.
    let span = Window { start: cur.start.min(prev.start), end: cur.end.max(prev.end) };
    let mut narrowed = crate::metrics::windowed(data, &span)?;
    crate::metrics::prepare::period_columns(&mut narrowed, cfg, None, weekday_hour.is_none())?;
    let data = &narrowed;
    // The rankings of the driver field, and its CSAT and CES heat maps (which need its
    // top names), on this thread; the rankings by product and by location and the
    // contacts heat map, which need neither, beside them. (The comparisons on the other
    // core are done by then: the drivers were the compare stage's last 50 ms alone.)
    std::thread::scope(|scope| -> Result<Drivers> {
        let beside = scope.spawn(|| -> Result<_> {
            let memo = Memo::default();
            let by = |f: &str| -> Result<Option<Ranking>> {
                match &data.tickets {
                    Some(t) if t.has(f) && f != field => {
                        Ok(Some(rank(data, cfg, f, &["tickets".to_string()], cur, prev, &memo)?))
                    }
                    _ => Ok(None),
                }
            };
            let contacts = match weekday_hour {
                Some(counted) => counted.map(heatmap_of),
                None => contacts_heatmap(data, cfg, period, cur)?,
            };
            Ok((by("product")?, by("location")?, contacts))
        });
        let memo = Memo::default();
        let all = rank(data, cfg, field, &d.sources, cur, prev, &memo)?;
        let top_n = |r: &Ranking| r.rows.iter().take(d.top).cloned().collect::<Vec<_>>();
        let only = |s: &str| -> Result<Vec<DriverRow>> {
            if d.sources.iter().any(|x| x == s) {
                Ok(top_n(&rank(data, cfg, field, &[s.to_string()], cur, prev, &memo)?))
            } else {
                Ok(vec![])
            }
        };
        let emerging = all
            .rows
            .iter()
            .filter(|r| r.delta_count > 0 && r.name != UNSET)
            .max_by(|a, b| a.delta_count.cmp(&b.delta_count).then_with(|| b.name.cmp(&a.name)))
            .cloned();
        let new_drivers = all.rows.iter().filter(|r| r.is_new).map(|r| r.name.clone()).collect();
        let top = top_n(&all);
        let names: Vec<String> = top.iter().map(|r| r.name.clone()).collect();
        let (top_tickets, top_calls) = (only("tickets")?, only("calls")?);
        let csat_heatmap = survey_heatmap(data, cfg, field, &names, "csat", cur)?;
        let ces_heatmap = survey_heatmap(data, cfg, field, &names, "ces", cur)?;
        let (by_product, by_location, contacts_heatmap) =
            beside.join().unwrap_or_else(|p| std::panic::resume_unwind(p))?;
        Ok(Drivers {
            field: field.to_string(),
            total: all.total,
            total_prev: all.total_prev,
            distinct: all.rows.len(),
            top_tickets,
            top_calls,
            emerging,
            new_drivers,
            by_product,
            by_location,
            csat_heatmap,
            ces_heatmap,
            contacts_heatmap,
            top,
        })
    })
}

/// Contacts by local weekday × hour in the period (`cur`), as a heat map of the
/// contacts a day, with the count behind each cell.
fn contacts_heatmap(
    data: &Loaded,
    cfg: &Config,
    period: &crate::period::Period,
    cur: Window,
) -> Result<Option<HeatMap>> {
    let ctx = crate::metrics::Ctx {
        cfg,
        period,
        window: cur,
        days: period.days() as f64,
        as_of: cur.end,
        keep_samples: false,
        breakdowns: true,
    };
    Ok(crate::metrics::volume::weekday_hour(data, &ctx)?.as_ref().map(heatmap_of))
}

/// The contacts heat map of a weekday × hour breakdown (`metrics::volume::weekday_hour`).
fn heatmap_of(b: &crate::metrics::Breakdown) -> HeatMap {
    let days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let cell = |dname: &str, h: usize, i: usize| b.row(&format!("{dname} {h:02}")).and_then(|r| r.values[i].value);
    HeatMap {
        id: "contacts_by_weekday_hour".into(),
        rows: days.iter().map(|s| s.to_string()).collect(),
        columns: (0..24).map(|h| format!("{h:02}")).collect(),
        values: days.iter().map(|dn| (0..24).map(|h| cell(dn, h, 2)).collect()).collect(),
        n: days
            .iter()
            .map(|dn| (0..24).map(|h| (cell(dn, h, 0).unwrap_or(0.0) + cell(dn, h, 1).unwrap_or(0.0)) as u64).collect())
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Grouped on the codes, the counts are polars' own; a field that holds the text of
    /// "no value" beside nulls is counted as polars counts it (the two as one), whether
    /// the field is a label or plain text.
    #[test]
    fn counts_per_value_are_polars_even_where_a_value_reads_as_none() {
        let count = |frame: &DataFrame, keep: Expr| per_key_grouped(frame, "f", Agg::count("n", keep)).unwrap();
        let polars = |frame: &DataFrame, keep: Expr| per_key(frame, "f", keep, len()).unwrap();
        let plain = df!(
            "f" => [Some("b"), None, Some("a"), Some("b"), Some(UNSET), None],
            "k" => [true, true, false, true, true, true],
        )
        .unwrap();
        let mut label = plain.clone();
        label.replace("f", crate::labels::encode(plain.column("f").unwrap()).unwrap()).unwrap();
        for frame in [&plain, &label] {
            let got = count(frame, col("k"));
            assert_eq!(got, polars(frame, col("k")));
            // b: rows 0 and 3; no value: rows 1, 4 (the text) and 5; a is not kept.
            let want: BTreeMap<String, f64> = [("b".to_string(), 2.0), (UNSET.to_string(), 3.0)].into();
            assert_eq!(got, want);
        }
        // Without the text: the codes' groups, a value kept nowhere left out.
        let frame = label.slice(0, 4);
        let want: BTreeMap<String, f64> = [("b".to_string(), 2.0), (UNSET.to_string(), 1.0)].into();
        assert_eq!(count(&frame, col("k")), want);
        assert_eq!(polars(&frame, col("k")), want);
    }
}
