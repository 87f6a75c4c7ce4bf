//! drivers: the top-N request drivers of the period (tickets and calls together),
//! with their share, change, owner and per-driver KPIs.

use crate::config::Config;
use crate::load::Loaded;
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
    pub csat: Option<f64>,
    pub csat_n: u64,
    pub median_resolution_seconds: Option<f64>,
    pub aht_seconds: Option<f64>,
    pub owner: Option<String>,
    pub is_new: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Drivers {
    pub field: String,
    pub total: u64,
    pub total_prev: u64,
    pub top: Vec<DriverRow>,
    /// The driver (any rank) whose count grew most against the previous period.
    pub emerging: Option<DriverRow>,
    /// Drivers with contacts now and none in the previous period.
    pub new_drivers: Vec<String>,
    pub distinct: usize,
}

fn key_expr(field: &str) -> Expr {
    col(field).fill_null(lit(UNSET)).alias("key")
}

/// `agg` per value of `field` among rows where `filter` holds.
fn per_key(frame: &DataFrame, field: &str, filter: Expr, agg: Expr) -> Result<BTreeMap<String, f64>> {
    let df = frame
        .clone()
        .lazy()
        .filter(filter)
        .group_by([key_expr(field)])
        .agg([agg.cast(DataType::Float64).alias("v")])
        .collect()?;
    let keys = df.column("key")?.str()?;
    let vals = df.column("v")?.f64()?;
    Ok(keys
        .iter()
        .zip(vals.iter())
        .filter_map(|(k, v)| Some((k?.to_string(), v?)))
        .filter(|(_, v)| v.is_finite())
        .collect())
}

/// Contacts per driver value: (tickets, calls).
type Counts = BTreeMap<String, (u64, u64)>;

fn counts(data: &Loaded, cfg: &Config, w: Window) -> Result<(Counts, u64)> {
    let field = cfg.drivers.field.as_str();
    let mut out = Counts::new();
    if let Some(t) = data.tickets.as_ref().filter(|t| t.has(field)) {
        for (k, v) in per_key(&t.frame, field, w.contains("created_at"), len())? {
            out.entry(k).or_default().0 += v as u64;
        }
    }
    if let Some(c) = data.calls.as_ref().filter(|c| c.has(field)) {
        let m = crate::metrics::calls_masks(c, w, &cfg.calls);
        for (k, v) in per_key(&c.frame, field, m.offered, len())? {
            out.entry(k).or_default().1 += v as u64;
        }
    }
    let total = out.values().map(|(a, b)| a + b).sum();
    Ok((out, total))
}

pub fn compute(data: &Loaded, cfg: &Config, cur: Window, prev: Window) -> Result<Drivers> {
    let field = cfg.drivers.field.as_str();
    let (now, total) = counts(data, cfg, cur)?;
    let (before, total_prev) = counts(data, cfg, prev)?;
    let pct = |x: u64, n: u64| if n > 0 { x as f64 / n as f64 * 100.0 } else { 0.0 };

    // Per-driver KPIs for the current period.
    let mut resolution = BTreeMap::new();
    let mut csat: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    let mut aht = BTreeMap::new();
    if let Some(t) = data.tickets.as_ref().filter(|t| t.has(field) && t.has("solved_at")) {
        let secs = (col("solved_at") - col("created_at")).cast(DataType::Float64) / lit(1000.0);
        let keep = cur.contains("solved_at").and(secs.clone().gt_eq(lit(0.0)));
        resolution = per_key(&t.frame, field, keep, secs.median())?;
    }
    if let (Some(s), Some(t)) = (&data.surveys, &data.tickets) {
        if s.has("ticket_id") && t.has(field) {
            let sv = &cfg.surveys;
            let joined = s
                .frame
                .clone()
                .lazy()
                .filter(
                    cur.contains("responded_at")
                        .and(col("kind").eq(lit("csat")))
                        .and(col("score").gt_eq(lit(sv.csat_min)))
                        .and(col("score").lt_eq(lit(sv.csat_max))),
                )
                .select([col("ticket_id"), col("score")])
                .join(
                    t.frame.clone().lazy().select([col("ticket_id"), col(field)]),
                    [col("ticket_id")],
                    [col("ticket_id")],
                    crate::metrics::join_args(JoinType::Inner),
                )
                .collect()?;
            let pos = per_key(&joined, field, lit(true), col("score").gt_eq(lit(sv.csat_positive_min)).sum())?;
            let n = per_key(&joined, field, lit(true), len())?;
            for (k, n) in n {
                csat.insert(k.clone(), (*pos.get(&k).unwrap_or(&0.0), n));
            }
        }
    }
    if let Some(c) = data.calls.as_ref().filter(|c| c.has(field) && c.has("talk_seconds")) {
        let m = crate::metrics::calls_masks(c, cur, &cfg.calls);
        let part = |n: &str| if c.has(n) { col(n).fill_null(lit(0.0)) } else { lit(0.0) };
        let handle = col("talk_seconds") + part("hold_seconds") + part("acw_seconds");
        aht = per_key(&c.frame, field, m.answered.and(col("talk_seconds").is_not_null()), handle.mean())?;
    }

    let row = |name: &String, (t, c): (u64, u64)| -> DriverRow {
        let count = t + c;
        let prev_count = before.get(name).map(|(a, b)| a + b).unwrap_or(0);
        let (cp, cn) = csat.get(name).copied().unwrap_or((0.0, 0.0));
        DriverRow {
            rank: 0,
            name: name.clone(),
            count,
            tickets: t,
            calls: c,
            share: pct(count, total),
            prev_count,
            prev_share: pct(prev_count, total_prev),
            delta_count: count as i64 - prev_count as i64,
            delta_share_pts: pct(count, total) - pct(prev_count, total_prev),
            significant: stats::two_proportion_p(count as f64, total as f64, prev_count as f64, total_prev as f64)
                .map(|p| p < 0.05),
            csat: (cn > 0.0).then(|| cp / cn * 100.0),
            csat_n: cn as u64,
            median_resolution_seconds: resolution.get(name).copied(),
            aht_seconds: aht.get(name).copied(),
            owner: cfg.drivers.owners.get(name).cloned(),
            is_new: prev_count == 0 && total_prev > 0,
        }
    };
    let mut all: Vec<DriverRow> = now.iter().map(|(k, v)| row(k, *v)).collect();
    // Ties: the larger count first, then the name in byte order, so runs never differ.
    all.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    for (i, r) in all.iter_mut().enumerate() {
        r.rank = i + 1;
    }
    let emerging = all
        .iter()
        .filter(|r| r.delta_count > 0 && r.name != UNSET)
        .max_by(|a, b| a.delta_count.cmp(&b.delta_count).then_with(|| b.name.cmp(&a.name)))
        .cloned();
    let new_drivers = all.iter().filter(|r| r.is_new).map(|r| r.name.clone()).collect();
    let distinct = all.len();
    all.truncate(cfg.drivers.top);
    Ok(Drivers { field: field.to_string(), total, total_prev, top: all, emerging, new_drivers, distinct })
}
