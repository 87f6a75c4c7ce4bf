//! Customer metrics: CSAT, NPS, CES, the survey response rate, and CSAT/CES per
//! channel and per reason.

use super::groups::{grouped, Agg};
use super::{Breakdown, BreakdownRow, Ctx, MetricValue, Row};
use crate::load::{Loaded, Source};
use anyhow::{bail, Result};
use polars::prelude::*;

/// CSAT masks: (valid response in the window, satisfied).
fn csat_masks(s: &Source, ctx: &Ctx) -> (Expr, Expr, Expr) {
    let sv = &ctx.cfg.surveys;
    let t = &ctx.cfg.tickets;
    let (tmin, tmax) = (t.csat_min.unwrap_or(sv.csat_min), t.csat_max.unwrap_or(sv.csat_max));
    // A ticket rating kept on its own scale is judged on that scale, with the satisfied
    // threshold at the same relative place.
    let tpos = tmin + (sv.csat_positive_min - sv.csat_min) * (tmax - tmin) / (sv.csat_max - sv.csat_min);
    let foreign = if s.has("foreign_scale") { col("foreign_scale").eq(lit(1.0)) } else { lit(false) };
    let pick = |a: f64, b: f64| when(foreign.clone()).then(lit(b)).otherwise(lit(a));
    let any = ctx.within("responded_at").and(super::code_is("kind", "csat")).and(col("score").is_not_null());
    let valid =
        any.clone().and(col("score").gt_eq(pick(sv.csat_min, tmin))).and(col("score").lt_eq(pick(sv.csat_max, tmax)));
    let positive = valid.clone().and(col("score").gt_eq(pick(sv.csat_positive_min, tpos)));
    (any, valid, positive)
}

fn ces_masks(ctx: &Ctx) -> (Expr, Expr, Expr) {
    let sv = &ctx.cfg.surveys;
    let any = ctx.within("responded_at").and(super::code_is("kind", "ces")).and(col("score").is_not_null());
    let valid = any.clone().and(col("score").gt_eq(lit(sv.ces_min))).and(col("score").lt_eq(lit(sv.ces_max)));
    let agree = if sv.ces_higher_is_easier {
        valid.clone().and(col("score").gt_eq(lit(sv.ces_agree_min)))
    } else {
        valid.clone().and(col("score").lt_eq(lit(sv.ces_agree_min)))
    };
    (any, valid, agree)
}

pub fn compute(s: &Source, data: &Loaded, ctx: &Ctx) -> Result<(Vec<MetricValue>, Vec<Breakdown>)> {
    let (csat_any, csat_ok, csat_pos) = csat_masks(s, ctx);
    let (ces_any, ces_ok, ces_agree) = ces_masks(ctx);
    let nps_any = ctx.within("responded_at").and(super::code_is("kind", "nps")).and(col("score").is_not_null());
    let nps_ok = nps_any.clone().and(col("score").gt_eq(lit(0.0))).and(col("score").lt_eq(lit(10.0)));
    let mut e = vec![
        csat_ok.clone().sum().alias("csat_n"),
        csat_any.clone().and(csat_ok.clone().not()).sum().alias("csat_bad"),
        csat_pos.clone().sum().alias("csat_pos"),
        col("score").filter(csat_ok.clone()).mean().alias("csat_mean"),
        nps_ok.clone().sum().alias("nps_n"),
        nps_any.and(nps_ok.clone().not()).sum().alias("nps_bad"),
        nps_ok.clone().and(col("score").gt_eq(lit(9.0))).sum().alias("promoters"),
        nps_ok.and(col("score").lt_eq(lit(6.0))).sum().alias("detractors"),
        ces_ok.clone().sum().alias("ces_n"),
        ces_any.and(ces_ok.clone().not()).sum().alias("ces_bad"),
        ces_agree.sum().alias("ces_agree"),
        col("score").filter(ces_ok).mean().alias("ces_mean"),
    ];
    if s.has("foreign_scale") {
        e.push(csat_any.clone().and(col("foreign_scale").eq(lit(1.0))).sum().alias("csat_foreign"));
    }
    let row = Row::query(&s.frame, e)?;
    let foreign = row.n("csat_foreign");
    if foreign > 0.0 && foreign < row.n("csat_n") + row.n("csat_bad") {
        let t = &ctx.cfg.tickets;
        let sv = &ctx.cfg.surveys;
        bail!(
            "CSAT responses of this period are on two scales: surveys on {}–{} and tickets.csat_score on {}–{}. \
             Set [tickets] csat_rescale = true to map ticket ratings onto the survey scale",
            sv.csat_min,
            sv.csat_max,
            t.csat_min.unwrap_or(sv.csat_min),
            t.csat_max.unwrap_or(sv.csat_max)
        );
    }
    let n = |k: &str| row.n(k);
    let mut csat = MetricValue::ratio("csat", n("csat_pos"), n("csat_n"), 100.0);
    csat.excluded = n("csat_bad") as u64;
    if let Some(mean) = row.get("csat_mean") {
        csat.parts.insert("mean_score".into(), mean);
    }
    let (p, d, nn) = (n("promoters"), n("detractors"), n("nps_n"));
    let mut nps = MetricValue::ratio("nps", p - d, nn, 100.0);
    (nps.numerator, nps.denominator) = (None, None);
    // Not a proportion: its 95% interval is ± 1.96 standard errors of the NPS.
    nps.ci95 = match (nps.value, crate::stats::nps_se(p, d, nn)) {
        (Some(v), Some(se)) => Some([v - 1.96 * se, v + 1.96 * se]),
        _ => None,
    };
    nps.excluded = n("nps_bad") as u64;
    nps.parts.insert("promoters".into(), p);
    nps.parts.insert("passives".into(), nn - p - d);
    nps.parts.insert("detractors".into(), d);
    let mut ces = MetricValue::base("ces");
    ces.n = n("ces_n") as u64;
    ces.value = if ces.n > 0 { row.get("ces_mean") } else { None };
    ces.excluded = n("ces_bad") as u64;
    if ces.n > 0 {
        ces.parts.insert("agree_pct".into(), n("ces_agree") / n("ces_n") * 100.0);
    }
    let out = vec![csat, nps, ces, response_rate(s, data, ctx)?];
    if !ctx.breakdowns {
        return Ok((out, vec![]));
    }
    let by = |id: &str, dim: &str, kind: &str| -> Result<Breakdown> { per_group(s, ctx, id, dim, kind) };
    Ok((
        out,
        vec![
            by("csat_by_channel", "channel", "csat")?,
            by("csat_by_reason", "reason", "csat")?,
            by("ces_by_reason", "reason", "ces")?,
        ],
    ))
}

/// Tickets solved in the period with a CSAT response linked by ticket_id / tickets solved.
fn response_rate(s: &Source, data: &Loaded, ctx: &Ctx) -> Result<MetricValue> {
    let id = "survey_response_rate";
    let Some(t) = data.tickets.as_ref().filter(|t| t.has("solved_at")) else {
        return Ok(MetricValue::not_available(id, vec!["tickets.solved_at".into()]));
    };
    if !s.has("ticket_id") || !t.has(ANSWERED) {
        return Ok(MetricValue::not_available(id, vec!["surveys.ticket_id".into()]));
    }
    let solved = ctx.within("solved_at");
    let row = Row::query(
        &t.frame,
        vec![solved.clone().sum().alias("solved"), solved.and(col(ANSWERED)).sum().alias("answered")],
    )?;
    Ok(MetricValue::ratio(id, row.n("answered"), row.n("solved"), 100.0))
}

/// Tickets' flag: a CSAT response names the ticket by ticket_id, whenever it came (set
/// once per run by prepare; ticket ids are unique once loaded).
pub const ANSWERED: &str = "__csat_answered";

fn per_group(s: &Source, ctx: &Ctx, id: &str, dim: &str, kind: &str) -> Result<Breakdown> {
    if !s.has(dim) {
        return Ok(Breakdown::not_available(
            id,
            dim,
            vec![format!("surveys.{dim} (or tickets.{dim} through ticket_id)")],
        ));
    }
    let (exprs, csat) = if kind == "csat" {
        let (_, ok, pos) = csat_masks(s, ctx);
        (vec![Agg::count("n", ok), Agg::count("pos", pos)], true)
    } else {
        let (_, ok, agree) = ces_masks(ctx);
        (vec![Agg::count("n", ok.clone()), Agg::mean("mean", col("score"), ok), Agg::count("agree", agree)], false)
    };
    let rows = grouped(&s.frame, dim, exprs)?
        .into_iter()
        .filter(|(_, r)| r.n("n") > 0.0)
        .map(|(k, r)| {
            let v = if csat {
                MetricValue::ratio("csat", r.n("pos"), r.n("n"), 100.0)
            } else {
                let mut m = MetricValue::base("ces");
                m.n = r.n("n") as u64;
                m.value = r.get("mean");
                m.parts.insert("agree_pct".into(), r.n("agree") / r.n("n") * 100.0);
                m
            };
            BreakdownRow { key: k, values: vec![v], flags: vec![] }
        })
        .collect();
    Ok(Breakdown { id: id.into(), dimension: dim.into(), rows, needs: vec![] })
}
