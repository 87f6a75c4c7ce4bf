//! Ticket metrics: volume and backlog, responsiveness and resolution (calendar and
//! business time), SLA per priority, and quality (FCR, reopens, escalations).

use super::groups::{grouped, Agg};
use super::{duration_value, num, period_duration_exprs, Breakdown, BreakdownRow, Ctx, MetricValue, Row};
use crate::config::{Clock, FcrVariant};
use crate::load::Source;
use anyhow::Result;
use polars::prelude::*;
use std::collections::BTreeMap;

const DAY_MS: i64 = 86_400_000;

/// Open at `instant`: created before it and not done (`done_at`: solved, else closed)
/// before it. (As `Backlog` counts it; the expression is kept for its tests.)
#[cfg(test)]
pub(crate) fn open_at(instant: i64) -> Expr {
    col("created_at").lt(lit(instant)).and(col("done_at").is_null().or(col("done_at").gt_eq(lit(instant))))
}

/// The backlog's age buckets at the period's end: (name, from, to) in ms of age.
pub(crate) const AGE_BUCKETS: [(&str, i64, i64); 4] =
    [("<1d", 0, DAY_MS), ("1-3d", DAY_MS, 3 * DAY_MS), ("3-7d", 3 * DAY_MS, 7 * DAY_MS), (">7d", 7 * DAY_MS, i64::MAX)];

/// The tickets open at a period's start and at its end (created before it and not done,
/// solved else closed, before it), and those open at the end by age: the only ticket
/// counts that reach outside the period's rows. One loop over every ticket's creation
/// and done times (None with neither solved_at nor closed_at).
#[derive(Debug, Clone, PartialEq)]
pub struct Backlog {
    pub start: f64,
    pub end: f64,
    /// Open at the end, by `AGE_BUCKETS`.
    pub by_age: [f64; 4],
}

impl Backlog {
    pub fn count(frame: &DataFrame, w: &super::Window) -> Result<Option<Backlog>> {
        let time = |name: &str| -> Result<Option<Int64Chunked>> {
            match frame.column(name) {
                Ok(c) => Ok(Some(c.i64()?.rechunk().into_owned())),
                Err(_) => Ok(None),
            }
        };
        let (solved, closed) = (time("solved_at")?, time("closed_at")?);
        if solved.is_none() && closed.is_none() {
            return Ok(None);
        }
        let created = frame.column("created_at")?.i64()?.rechunk().into_owned();
        let c = created.downcast_as_array();
        let (s, d) = (solved.as_ref().map(|s| s.downcast_as_array()), closed.as_ref().map(|d| d.downcast_as_array()));
        let open = |c: i64, d: Option<i64>, x: i64| c < x && d.is_none_or(|d| d >= x);
        let mut b = Backlog { start: 0.0, end: 0.0, by_age: [0.0; 4] };
        // A ticket created at the period's end or later is open at neither instant: in
        // tickets in creation order (exports mostly are), the loop stops at the first.
        let last = match super::in_order(&created) {
            Some(values) => values.partition_point(|v| *v < w.end),
            None => c.len(),
        };
        for i in 0..last {
            let Some(ci) = c.get(i) else { continue };
            let di = s.and_then(|s| s.get(i)).or_else(|| d.and_then(|d| d.get(i)));
            if open(ci, di, w.start) {
                b.start += 1.0;
            }
            if open(ci, di, w.end) {
                b.end += 1.0;
                let age = w.end - ci;
                if let Some(k) = AGE_BUCKETS.iter().position(|(_, lo, hi)| age >= *lo && age < *hi) {
                    b.by_age[k] += 1.0;
                }
            }
        }
        Ok(Some(b))
    }
}

/// The per-priority target as an expression (null for a priority without one).
pub(crate) fn target_expr(targets: &BTreeMap<String, f64>) -> Expr {
    let mut e = lit(NULL).cast(DataType::Float64);
    for (prio, secs) in targets {
        e = when(super::code_is("priority", prio.as_str())).then(lit(*secs)).otherwise(e);
    }
    e
}

/// The column of a period's tickets that holds an SLA's target (`duration`: "frt",
/// "res").
pub(crate) fn target_column(duration: &str) -> String {
    format!("{}sla_target_{duration}", super::MASK)
}

/// (considered, met) masks of an SLA: tickets created in the window with a target;
/// met when done within it, or not done yet and the target not elapsed at as-of.
fn sla_masks(
    t: &Source,
    ctx: &Ctx,
    targets: &BTreeMap<String, f64>,
    duration: &str,
    export_flag: bool,
) -> (Expr, Expr) {
    let business = ctx.cfg.sla.clock == Clock::Business;
    let dur = col(if business { format!("{duration}_bs") } else { format!("{duration}_s") });
    let age = col(if business { "age_asof_bs" } else { "age_asof_s" });
    // The period's target column (`super::add_masks`: one pass of the per-priority
    // choice a period, not one for each of its uses in each query), else the choice.
    let column = target_column(duration);
    let target = if t.has(&column) { col(column) } else { target_expr(targets) };
    let considered = ctx.within("created_at").and(target.clone().is_not_null());
    let computed = when(dur.clone().is_not_null()).then(dur.lt_eq(target.clone())).otherwise(age.lt_eq(target));
    let met = if export_flag && t.has("sla_breached") {
        when(col("sla_breached").is_not_null()).then(col("sla_breached").not()).otherwise(computed)
    } else {
        computed
    };
    (considered.clone(), considered.and(met))
}

fn sla_available(t: &Source, ctx: &Ctx, targets: &BTreeMap<String, f64>, column: &str, section: &str) -> Vec<String> {
    let mut needs = Vec::new();
    for c in [column, "priority"] {
        if !t.has(c) {
            needs.push(format!("tickets.{c}"));
        }
    }
    if targets.is_empty() {
        needs.push(format!("config.sla.{section}"));
    }
    if ctx.cfg.sla.clock == Clock::Business && !t.has("age_asof_bs") {
        needs.push("config.calendar".into());
    }
    needs
}

/// The ticket family over the period's rows (`t`: created or solved in it) and its
/// backlog (None without a done time).
pub fn compute(t: &Source, ctx: &Ctx, backlog: Option<&Backlog>) -> Result<(Vec<MetricValue>, Vec<Breakdown>)> {
    let w = ctx.window;
    let created = ctx.within("created_at");
    let solved = ctx.within("solved_at");
    let has = |c: &str| t.has(c);
    let mut e = vec![created.clone().sum().alias("created")];
    if has("first_response_at") {
        e.extend(period_duration_exprs("frt", col("frt_s"), created.clone()));
        let late = col("first_response_at").is_null().or(col("first_response_at").gt_eq(lit(w.end)));
        e.push(created.clone().and(late).sum().alias("no_response"));
    }
    if has("frt_bs") {
        e.extend(period_duration_exprs("frtb", col("frt_bs"), created.clone()));
    }
    if has("solved_at") {
        e.push(solved.clone().sum().alias("solved"));
        e.extend(period_duration_exprs("res", col("res_s"), solved.clone()));
        e.extend(period_duration_exprs("fres", col("first_res_s"), solved.clone()));
    }
    if has("res_bs") {
        e.extend(period_duration_exprs("resb", col("res_bs"), solved.clone()));
    }
    let fr_needs = sla_available(t, ctx, &ctx.cfg.sla.first_response, "first_response_at", "first_response");
    let res_needs = sla_available(t, ctx, &ctx.cfg.sla.resolution, "solved_at", "resolution");
    let fr_masks = fr_needs.is_empty().then(|| sla_masks(t, ctx, &ctx.cfg.sla.first_response, "frt", true));
    let res_masks = res_needs.is_empty().then(|| sla_masks(t, ctx, &ctx.cfg.sla.resolution, "res", false));
    for (name, m) in [("slafr", &fr_masks), ("slares", &res_masks)] {
        if let Some((considered, met)) = m {
            e.push(considered.clone().sum().alias(format!("{name}_n")));
            e.push(met.clone().sum().alias(format!("{name}_met")));
        }
    }
    // Quality, over tickets solved in the period.
    if has("solved_at") {
        for (i, v) in FCR_VARIANTS.iter().enumerate() {
            if let Some((den, num)) = fcr_masks(t, solved.clone(), v.0) {
                e.push(den.sum().alias(format!("fcr{i}_n")));
                e.push(num.sum().alias(format!("fcr{i}")));
            }
        }
        if has("agent_replies") {
            e.push(num("agent_replies").filter(solved.clone()).mean().alias("replies_mean"));
            e.push(solved.clone().and(col("agent_replies").is_not_null()).sum().alias("replies_n"));
        }
        if has("reopens") {
            let den = solved.clone().and(col("reopens").is_not_null());
            e.push(den.clone().sum().alias("reopen_n"));
            e.push(den.and(num("reopens").gt_eq(lit(1.0))).sum().alias("reopened"));
        }
    }
    if has("escalated") {
        let den = created.clone().and(col("escalated").is_not_null());
        e.push(den.clone().sum().alias("esc_n"));
        e.push(den.and(col("escalated")).sum().alias("esc"));
    }
    let row = Row::query(&t.frame, e)?;
    let n = |k: &str| row.n(k);
    let na = |id: &str, needs: Vec<String>| MetricValue::not_available(id, needs);
    let need = |c: &str| vec![format!("tickets.{c}")];
    let mut out = vec![MetricValue::count("tickets_created", n("created")), {
        let mut m = MetricValue::ratio("tickets_per_day", n("created"), ctx.days, 1.0);
        m.n = n("created") as u64;
        m
    }];
    if has("solved_at") {
        out.push(MetricValue::count("tickets_solved", n("solved")));
        out.push(MetricValue::ratio("completion_ratio", n("solved"), n("created"), 100.0));
        out.push(duration_value("resolution_time", &row, "res"));
        out.push(duration_value("first_resolution_time", &row, "fres"));
    }
    if let Some(b) = backlog {
        out.push(MetricValue::count("backlog_end", b.end));
        let mut m = MetricValue::count("backlog_change", b.end - b.start);
        m.n = b.end as u64;
        m.parts.insert("backlog_start".into(), b.start);
        m.parts.insert("backlog_end".into(), b.end);
        out.push(m);
    }
    if has("first_response_at") {
        out.push(duration_value("first_response_time", &row, "frt"));
        let mut m = MetricValue::count("no_response_yet", n("no_response"));
        m.n = n("created") as u64;
        out.push(m);
    }
    let cal = |id: &str, base: &str, prefix: &str| {
        if !has(base) {
            na(id, need(base))
        } else if ctx.cfg.calendar.is_none() {
            na(id, vec!["config.calendar".into()])
        } else {
            duration_value(id, &row, prefix)
        }
    };
    out.push(cal("first_response_time_business", "first_response_at", "frtb"));
    out.push(cal("resolution_time_business", "solved_at", "resb"));
    for (id, name, needs) in [("sla_first_response", "slafr", fr_needs), ("sla_resolution", "slares", res_needs)] {
        out.push(if needs.is_empty() {
            let mut m = MetricValue::ratio(id, n(&format!("{name}_met")), n(&format!("{name}_n")), 100.0);
            m.variant = Some(format!("{:?}", ctx.cfg.sla.clock).to_lowercase());
            m
        } else {
            na(id, needs)
        });
    }
    out.push(fcr(t, ctx, &row));
    out.push(if has("reopens") && has("solved_at") {
        MetricValue::ratio("reopen_rate", n("reopened"), n("reopen_n"), 100.0)
    } else {
        na("reopen_rate", need(if has("reopens") { "solved_at" } else { "reopens" }))
    });
    out.push(if has("escalated") {
        MetricValue::ratio("escalation_rate", n("esc"), n("esc_n"), 100.0)
    } else {
        na("escalation_rate", need("escalated"))
    });
    out.push(if has("agent_replies") && has("solved_at") {
        let mut m = MetricValue::base("interactions_per_ticket");
        m.n = n("replies_n") as u64;
        m.value = if m.n > 0 { row.get("replies_mean") } else { None };
        m
    } else {
        na("interactions_per_ticket", need("agent_replies"))
    });

    let mut specs = Vec::new();
    for (id, c, keep) in [
        ("first_response_time", "frt_s", created.clone()),
        ("first_response_time_business", "frt_bs", created.clone()),
        ("resolution_time", "res_s", solved.clone()),
        ("resolution_time_business", "res_bs", solved.clone()),
        ("first_resolution_time", "first_res_s", solved.clone()),
    ] {
        if has(c) {
            specs.push((id, col(c), keep));
        }
    }
    super::attach_quantiles(&t.frame, &mut out, specs, ctx.keep_samples)?;
    let mut breakdowns = vec![channel_mix(t, ctx, n("created"))?];
    if ctx.breakdowns {
        breakdowns.push(backlog_age(backlog));
        breakdowns.push(sla_by_priority(t, ctx, fr_masks, res_masks)?);
    }
    Ok((out, breakdowns))
}

/// The FCR variants: config value, name, and what each needs.
const FCR_VARIANTS: [(FcrVariant, &str, &str); 3] = [
    (FcrVariant::OneTouch, "one_touch", "tickets.agent_replies"),
    (FcrVariant::NoReopen, "no_reopen", "tickets.reopens"),
    (FcrVariant::NoRepeatContact, "no_repeat_contact", "tickets.customer_id, tickets.reason"),
];

/// (denominator, numerator) masks of an FCR variant among rows where `solved` holds;
/// None when its inputs are not mapped.
pub(crate) fn fcr_masks(t: &Source, solved: Expr, v: FcrVariant) -> Option<(Expr, Expr)> {
    match v {
        FcrVariant::OneTouch if t.has("agent_replies") => {
            // reopens counts as 0 where the export has none.
            let reopens0 = if t.has("reopens") { super::num("reopens").fill_null(lit(0.0)) } else { lit(0.0) };
            let den = solved.and(col("agent_replies").is_not_null());
            let num = den.clone().and(super::num("agent_replies").lt_eq(lit(1.0))).and(reopens0.eq(lit(0.0)));
            Some((den, num))
        }
        FcrVariant::NoReopen if t.has("reopens") => {
            let den = solved.and(col("reopens").is_not_null());
            Some((den.clone(), den.and(super::num("reopens").eq(lit(0.0)))))
        }
        FcrVariant::NoRepeatContact if t.has("repeat_contact") => {
            let den = solved.and(col("repeat_contact").is_not_null());
            Some((den.clone(), den.and(col("repeat_contact").not())))
        }
        _ => None,
    }
}

fn fcr(t: &Source, ctx: &Ctx, row: &Row) -> MetricValue {
    if !t.has("solved_at") {
        return MetricValue::not_available("fcr", vec!["tickets.solved_at".into()]);
    }
    let mut all = BTreeMap::new();
    let mut chosen = None;
    for (i, (v, name, needs)) in FCR_VARIANTS.iter().enumerate() {
        let value = if fcr_masks(t, lit(true), *v).is_some() {
            MetricValue::ratio("fcr", row.n(&format!("fcr{i}")), row.n(&format!("fcr{i}_n")), 100.0)
        } else {
            MetricValue::not_available("fcr", vec![needs.to_string()])
        };
        all.insert(name.to_string(), value.value);
        if *v == ctx.cfg.metrics.fcr_variant {
            chosen = Some((name, value));
        }
    }
    let (name, mut m) = chosen.expect("every variant is listed");
    m.variant = Some(name.to_string());
    m.variants = all;
    m
}

fn channel_mix(t: &Source, ctx: &Ctx, total: f64) -> Result<Breakdown> {
    if !t.has("channel") {
        return Ok(Breakdown::not_available("channel_mix", "channel", vec!["tickets.channel".into()]));
    }
    let created = ctx.within("created_at");
    let rows = grouped(&t.frame, "channel", vec![Agg::count("n", created)])?
        .into_iter()
        .filter(|(_, r)| r.n("n") > 0.0)
        .map(|(k, r)| BreakdownRow {
            key: k,
            values: vec![
                MetricValue::count("tickets_created", r.n("n")),
                MetricValue::ratio("share", r.n("n"), total, 100.0),
            ],
            flags: vec![],
        })
        .collect();
    Ok(Breakdown { id: "channel_mix".into(), dimension: "channel".into(), rows, needs: vec![] })
}

fn backlog_age(backlog: Option<&Backlog>) -> Breakdown {
    let Some(b) = backlog else {
        return Breakdown::not_available("backlog_age", "age", vec!["tickets.solved_at".into()]);
    };
    let rows = AGE_BUCKETS
        .iter()
        .zip(b.by_age)
        .map(|((k, _, _), n)| BreakdownRow {
            key: k.to_string(),
            values: vec![MetricValue::count("backlog_end", n)],
            flags: vec![],
        })
        .collect();
    Breakdown { id: "backlog_age".into(), dimension: "age".into(), rows, needs: vec![] }
}

fn sla_by_priority(t: &Source, _ctx: &Ctx, fr: Option<(Expr, Expr)>, res: Option<(Expr, Expr)>) -> Result<Breakdown> {
    if !t.has("priority") || (fr.is_none() && res.is_none()) {
        return Ok(Breakdown::not_available(
            "sla_by_priority",
            "priority",
            vec!["tickets.priority".into(), "config.sla".into()],
        ));
    }
    let mut exprs = Vec::new();
    for (name, m) in [("fr", &fr), ("res", &res)] {
        if let Some((considered, met)) = m {
            exprs.push(Agg::count(&format!("{name}_n"), considered.clone()));
            exprs.push(Agg::count(&format!("{name}_met"), met.clone()));
        }
    }
    let rows = grouped(&t.frame, "priority", exprs)?
        .into_iter()
        .filter(|(_, r)| r.n("fr_n") + r.n("res_n") > 0.0)
        .map(|(k, r)| {
            let mut values = Vec::new();
            if fr.is_some() {
                values.push(MetricValue::ratio("sla_first_response", r.n("fr_met"), r.n("fr_n"), 100.0));
            }
            if res.is_some() {
                values.push(MetricValue::ratio("sla_resolution", r.n("res_met"), r.n("res_n"), 100.0));
            }
            BreakdownRow { key: k, values, flags: vec![] }
        })
        .collect();
    Ok(Breakdown { id: "sla_by_priority".into(), dimension: "priority".into(), rows, needs: vec![] })
}
