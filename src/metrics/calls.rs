//! Contact-center metrics over the call log.

use super::{mean_value, num, period_duration_exprs, Ctx, MetricValue, Row, Window};
use crate::config::{CallsSection, ServiceLevelVariant};
use crate::load::Source;
use anyhow::Result;
use polars::prelude::*;
use std::collections::BTreeMap;

fn outcome_is(v: &str) -> Expr {
    super::code_is("outcome", v)
}

/// The masks every call metric shares.
pub(crate) struct CallMasks {
    /// Inbound, entered a queue (not IVR-resolved), not a short abandon.
    pub offered: Expr,
    pub answered: Expr,
    pub abandoned: Expr,
    pub short: Expr,
    pub ivr: Expr,
}

pub(crate) fn masks(c: &Source, w: Window, cfg: &CallsSection) -> CallMasks {
    masks_of(c, w.contains("offered_at"), cfg)
}

/// The masks of the calls offered where `in_window` holds.
pub(crate) fn masks_of(c: &Source, in_window: Expr, cfg: &CallsSection) -> CallMasks {
    let inb = in_window.and(col("inbound"));
    // An abandon without a wait time cannot be called short: it counts as abandoned.
    // (fill_null: a null here would turn `not short` into null and drop the call.)
    let short = if c.has("wait_seconds") {
        inb.clone()
            .and(outcome_is("abandoned"))
            .and(num("wait_seconds").lt(lit(cfg.short_abandon_seconds)))
            .fill_null(lit(false))
    } else {
        lit(false)
    };
    let ivr = inb.clone().and(outcome_is("ivr_resolved"));
    let offered = inb.and(outcome_is("ivr_resolved").not()).and(short.clone().not());
    let answered = offered.clone().and(outcome_is("answered").or(outcome_is("transferred")));
    let abandoned = offered.clone().and(outcome_is("abandoned"));
    CallMasks { offered, answered, abandoned, short, ivr }
}

pub fn compute(c: &Source, ctx: &Ctx) -> Result<Vec<MetricValue>> {
    let cfg = &ctx.cfg.calls;
    let m = ctx.call_masks();
    let mut e = vec![
        m.offered.clone().sum().alias("offered"),
        m.answered.clone().sum().alias("answered"),
        m.abandoned.clone().sum().alias("abandoned"),
        m.short.clone().sum().alias("short"),
        m.ivr.clone().sum().alias("ivr"),
    ];
    let has_wait = c.has("wait_seconds");
    if has_wait {
        let within = num("wait_seconds").lt_eq(lit(cfg.service_level_seconds));
        e.push(m.answered.clone().and(within.clone()).sum().alias("answered_in_t"));
        e.push(m.abandoned.clone().and(within).sum().alias("abandoned_in_t"));
        e.extend(period_duration_exprs("asa", num("wait_seconds"), m.answered.clone()));
    }
    if c.has("handle_s") {
        let talked = m.answered.clone().and(col("talk_seconds").is_not_null());
        e.extend(period_duration_exprs("aht", col("handle_s"), talked.clone()));
        e.push(num("talk_seconds").filter(talked.clone()).mean().alias("aht_talk"));
        for part in ["hold", "acw"] {
            if c.has(&format!("{part}_seconds")) {
                e.push(
                    num(&format!("{part}_seconds"))
                        .fill_null(lit(0.0))
                        .filter(talked.clone())
                        .mean()
                        .alias(format!("aht_{part}")),
                );
            }
        }
    }
    if c.has("acw_seconds") {
        e.extend(period_duration_exprs("acw", num("acw_seconds"), m.answered.clone()));
    }
    if c.has("repeat_call") {
        let den = m.answered.clone().and(col("repeat_call").is_not_null());
        e.push(den.clone().sum().alias("rep_n"));
        e.push(den.and(col("repeat_call")).sum().alias("rep"));
    }
    let row = Row::query(&c.frame, e)?;
    let n = |k: &str| row.n(k);
    let offered = n("offered");
    let na = |id: &str, col: &str| MetricValue::not_available(id, vec![format!("calls.{col}")]);
    let mut out = vec![
        MetricValue::count("calls_offered", offered),
        MetricValue::count("calls_answered", n("answered")),
        MetricValue::count("calls_abandoned", n("abandoned")),
        MetricValue::ratio("abandonment_rate", n("abandoned"), offered, 100.0),
        MetricValue::ratio("ivr_containment", n("ivr"), n("ivr") + offered, 100.0),
    ];
    if has_wait {
        out.push(MetricValue::count("short_abandons", n("short")));
        out.push(mean_value("asa", &row, "asa"));
        let variants = [
            (ServiceLevelVariant::AbandonsNegative, "abandons_negative", n("answered_in_t"), offered),
            (ServiceLevelVariant::AbandonsIgnored, "abandons_ignored", n("answered_in_t"), n("answered")),
            (
                ServiceLevelVariant::AbandonsPositive,
                "abandons_positive",
                n("answered_in_t") + n("abandoned_in_t"),
                offered,
            ),
        ];
        let mut all = BTreeMap::new();
        let mut chosen = None;
        for (v, name, num, den) in variants {
            let m = MetricValue::ratio("service_level", num, den, 100.0);
            all.insert(name.to_string(), m.value);
            if v == cfg.service_level_variant {
                chosen = Some((name, m));
            }
        }
        let (name, mut sl) = chosen.expect("every variant is listed");
        sl.variant = Some(name.into());
        sl.variants = all;
        sl.parts.insert("threshold_seconds".into(), cfg.service_level_seconds);
        out.push(sl);
    } else {
        out.push(na("short_abandons", "wait_seconds"));
        out.push(na("asa", "wait_seconds"));
        out.push(na("service_level", "wait_seconds"));
    }
    out.push(if c.has("handle_s") {
        let mut v = mean_value("aht", &row, "aht");
        for part in ["talk", "hold", "acw"] {
            if let Some(x) = row.get(&format!("aht_{part}")) {
                v.parts.insert(format!("{part}_mean"), x);
            }
        }
        v
    } else {
        na("aht", "talk_seconds")
    });
    out.push(if c.has("acw_seconds") { mean_value("acw", &row, "acw") } else { na("acw", "acw_seconds") });
    let mut specs = Vec::new();
    if has_wait {
        specs.push(("asa", num("wait_seconds"), m.answered.clone()));
    }
    if c.has("handle_s") {
        specs.push(("aht", col("handle_s"), m.answered.clone().and(col("talk_seconds").is_not_null())));
    }
    if c.has("acw_seconds") {
        specs.push(("acw", num("acw_seconds"), m.answered.clone()));
    }
    super::attach_quantiles(&c.frame, &mut out, specs, ctx.keep_samples)?;
    out.push(if c.has("repeat_call") {
        MetricValue::ratio("repeat_call_rate", n("rep"), n("rep_n"), 100.0)
    } else {
        na("repeat_call_rate", "customer_id")
    });
    Ok(out)
}
