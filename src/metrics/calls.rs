//! Contact-center metrics over the call log.

use super::{duration_exprs, guarded, mean_value, MetricValue, Row, Window};
use crate::config::CallsSection;
use crate::load::Source;
use anyhow::Result;
use polars::prelude::*;

/// Inbound calls in the window (all calls when the export has no direction).
fn inbound(c: &Source, w: Window) -> Expr {
    let in_window = w.contains("offered_at");
    if c.has("direction") {
        in_window.and(col("direction").is_null().or(col("direction").eq(lit("inbound"))))
    } else {
        in_window
    }
}

fn outcome_is(v: &str) -> Expr {
    col("outcome").eq(lit(v))
}

/// The masks every call metric shares: offered, answered, abandoned, short abandons.
pub(crate) struct CallMasks {
    pub offered: Expr,
    pub answered: Expr,
    pub abandoned: Expr,
    pub short: Expr,
}

pub(crate) fn masks(c: &Source, w: Window, cfg: &CallsSection) -> CallMasks {
    let inb = inbound(c, w);
    let short = if c.has("wait_seconds") {
        inb.clone().and(outcome_is("abandoned")).and(col("wait_seconds").lt(lit(cfg.short_abandon_seconds)))
    } else {
        lit(false)
    };
    let offered = inb.and(outcome_is("ivr_resolved").not()).and(short.clone().not());
    let answered = offered.clone().and(outcome_is("answered").or(outcome_is("transferred")));
    let abandoned = offered.clone().and(outcome_is("abandoned"));
    CallMasks { offered, answered, abandoned, short }
}

pub fn compute(c: &Source, w: Window, cfg: &CallsSection) -> Result<Vec<MetricValue>> {
    let m = masks(c, w, cfg);
    let mut exprs = vec![
        m.offered.clone().sum().alias("offered"),
        m.answered.clone().sum().alias("answered"),
        m.abandoned.clone().sum().alias("abandoned"),
        m.short.clone().sum().alias("short"),
    ];
    if c.has("wait_seconds") {
        exprs.push(
            m.answered
                .clone()
                .and(col("wait_seconds").lt_eq(lit(cfg.service_level_seconds)))
                .sum()
                .alias("answered_in_t"),
        );
        exprs.extend(duration_exprs("asa", col("wait_seconds"), m.answered.clone()));
    }
    if c.has("talk_seconds") {
        let part = |name: &str| if c.has(name) { col(name).fill_null(lit(0.0)) } else { lit(0.0) };
        let handle = col("talk_seconds") + part("hold_seconds") + part("acw_seconds");
        exprs.extend(duration_exprs("aht", handle, m.answered.clone()));
        exprs.push(col("talk_seconds").filter(m.answered.clone()).mean().alias("aht_talk"));
        if c.has("hold_seconds") {
            exprs.push(part("hold_seconds").filter(m.answered.clone()).mean().alias("aht_hold"));
        }
        if c.has("acw_seconds") {
            exprs.push(part("acw_seconds").filter(m.answered.clone()).mean().alias("aht_acw"));
        }
    }
    let row = Row::query(&c.frame, exprs)?;
    let offered = row.n("offered");
    Ok(vec![
        MetricValue::count("calls_offered", offered),
        MetricValue::count("calls_answered", row.n("answered")),
        guarded(c, "short_abandons", || Ok(MetricValue::count("short_abandons", row.n("short"))))?,
        MetricValue::ratio("abandonment_rate", row.n("abandoned"), offered, 100.0),
        guarded(c, "service_level", || {
            Ok(MetricValue::ratio("service_level", row.n("answered_in_t"), offered, 100.0))
        })?,
        guarded(c, "asa", || Ok(mean_value("asa", &row, "asa")))?,
        guarded(c, "aht", || {
            let mut v = mean_value("aht", &row, "aht");
            for part in ["talk", "hold", "acw"] {
                if let Some(x) = row.get(&format!("aht_{part}")) {
                    v.parts.insert(format!("{part}_mean"), x);
                }
            }
            Ok(v)
        })?,
    ])
}
