//! Agents and teams: per-agent and per-team KPIs with the minimum-n flag, workload
//! balance, utilization and occupancy from agent_time, and cost per contact.

use super::groups::{grouped, Agg};
use super::{duration_value, num, Breakdown, BreakdownRow, Ctx, MetricValue, Row};
use crate::load::Loaded;
use anyhow::Result;
use polars::prelude::*;
use std::collections::BTreeMap;

type Rows = BTreeMap<String, Vec<MetricValue>>;

fn low_n(mut m: MetricValue, min: u64) -> MetricValue {
    m.low_n = m.is_available() && m.n < min;
    m
}

/// Each agent's solved tickets and handle time in the tickets' and the calls' groups,
/// for `workload`, which takes them from the agents' table when there is one (the same
/// group-bys, with its sums added) instead of grouping again.
#[derive(Default)]
struct PerAgent {
    tickets: Option<Vec<(String, Row)>>,
    calls: Option<Vec<(String, Row)>>,
}

/// The workload's handle time over an agent's tickets solved in the period (beside their
/// count, "solved", which the agents' table has too).
fn workload_handle(t: &crate::load::Source, ctx: &Ctx) -> Option<Agg> {
    let handle = num("handle_seconds").fill_null(lit(0.0));
    t.has("handle_seconds").then(|| Agg::sum("handle", handle, ctx.within("solved_at")))
}

/// The handle time of the answered calls (an agent's, for the workload; all of them,
/// for the computed handling time).
fn answered_handle(ctx: &Ctx) -> Agg {
    Agg::sum("h", col("handle_s"), ctx.call_masks().answered)
}

/// Per `key` (agent or team): the KPIs of METRICS.md's "per agent / team" row; per
/// agent, also the groups with the workload's sums.
fn table(data: &Loaded, ctx: &Ctx, key: &str, min: u64) -> Result<(Option<Breakdown>, PerAgent)> {
    let id = if key == "agent" { "by_agent" } else { "by_team" };
    let mut rows: Rows = BTreeMap::new();
    let mut any = false;
    let mut per_agent = PerAgent::default();
    if let Some(t) = data.tickets.as_ref().filter(|t| t.has(key)) {
        any = true;
        let created = ctx.within("created_at");
        let solved = if t.has("solved_at") { ctx.within("solved_at") } else { lit(false) };
        let mut e = vec![Agg::count("solved", solved.clone())];
        if t.has("frt_s") {
            e.push(Agg::duration("frt", col("frt_s"), created.clone()));
        }
        if let Some((den, num)) = super::tickets::fcr_masks(t, solved.clone(), ctx.cfg.metrics.fcr_variant) {
            e.push(Agg::count("fcr_n", den));
            e.push(Agg::count("fcr", num));
        }
        if t.has("escalated") {
            let den = created.clone().and(col("escalated").is_not_null());
            e.push(Agg::count("esc_n", den.clone()));
            e.push(Agg::count("esc", den.and(col("escalated"))));
        }
        if t.has("reopens") {
            let den = solved.clone().and(col("reopens").is_not_null());
            e.push(Agg::count("reo_n", den.clone()));
            e.push(Agg::count("reo", den.and(num("reopens").gt_eq(lit(1.0)))));
        }
        let for_workload = key == "agent" && t.has("solved_at");
        if for_workload {
            e.extend(workload_handle(t, ctx));
        }
        let groups = grouped(&t.frame, key, e)?;
        for (k, r) in &groups {
            let v = rows.entry(k.clone()).or_default();
            v.push(MetricValue::count("tickets_solved", r.n("solved")));
            if t.has("frt_s") {
                v.push(low_n(duration_value("first_response_time", r, "frt"), min));
            }
            if r.get("fcr_n").is_some() {
                let mut m = low_n(MetricValue::ratio("fcr", r.n("fcr"), r.n("fcr_n"), 100.0), min);
                m.variant = Some(format!("{:?}", ctx.cfg.metrics.fcr_variant));
                v.push(m);
            }
            if t.has("escalated") {
                v.push(low_n(MetricValue::ratio("escalation_rate", r.n("esc"), r.n("esc_n"), 100.0), min));
            }
            if t.has("reopens") {
                v.push(low_n(MetricValue::ratio("reopen_rate", r.n("reo"), r.n("reo_n"), 100.0), min));
            }
        }
        if for_workload {
            per_agent.tickets = Some(groups);
        }
    }
    if let Some(c) = data.calls.as_ref().filter(|c| c.has(key)) {
        any = true;
        let m = ctx.call_masks();
        let mut e = vec![Agg::count("answered", m.answered.clone())];
        let for_workload = key == "agent" && c.has("handle_s");
        if c.has("handle_s") {
            e.push(Agg::duration("aht", col("handle_s"), m.answered.clone().and(col("talk_seconds").is_not_null())));
        }
        if for_workload {
            e.push(answered_handle(ctx));
        }
        let groups = grouped(&c.frame, key, e)?;
        for (k, r) in &groups {
            let v = rows.entry(k.clone()).or_default();
            v.push(MetricValue::count("calls_answered", r.n("answered")));
            if c.has("handle_s") {
                v.push(low_n(super::mean_value("aht", r, "aht"), min));
            }
        }
        if for_workload {
            per_agent.calls = Some(groups);
        }
    }
    if let Some(s) = data.surveys.as_ref().filter(|s| s.has(key)) {
        let sv = &ctx.cfg.surveys;
        let ok = ctx
            .within("responded_at")
            .and(super::code_is("kind", "csat"))
            .and(col("score").gt_eq(lit(sv.csat_min)))
            .and(col("score").lt_eq(lit(sv.csat_max)));
        let e =
            vec![Agg::count("n", ok.clone()), Agg::count("pos", ok.and(col("score").gt_eq(lit(sv.csat_positive_min))))];
        for (k, r) in grouped(&s.frame, key, e)? {
            if r.n("n") > 0.0 {
                rows.entry(k).or_default().push(low_n(MetricValue::ratio("csat", r.n("pos"), r.n("n"), 100.0), min));
            }
        }
    }
    if !any {
        return Ok((None, per_agent));
    }
    // Keep groups with activity in the period.
    let rows = rows
        .into_iter()
        .filter(|(_, v)| v.iter().any(|m| m.n > 0))
        .map(|(key, values)| BreakdownRow { key, values, flags: vec![] })
        .collect();
    Ok((Some(Breakdown { id: id.into(), dimension: key.into(), rows, needs: vec![] }), per_agent))
}

/// Each agent's team: the one on most of their tickets (ties: the first by name), among
/// the tickets with both. Counted on the labels' codes, in one pass (a group-by of the
/// two and a sort took 7 ms a period in W1); `teams_of_by_polars` otherwise.
fn teams_of(frame: &DataFrame) -> Result<BTreeMap<String, String>> {
    let (agent, team) = (frame.column("agent")?, frame.column("team")?);
    let (Ok(a), Ok(t)) = (agent.cat32(), team.cat32()) else { return teams_of_by_polars(frame) };
    let mut pairs: rustc_hash::FxHashMap<(u32, u32), u64> = Default::default();
    for (a, t) in a.physical().iter().zip(t.physical().iter()) {
        if let (Some(a), Some(t)) = (a, t) {
            *pairs.entry((a, t)).or_default() += 1;
        }
    }
    let (am, tm) = (a.get_mapping(), t.get_mapping());
    let name = |m: &CategoricalMapping, code: u32| m.cat_to_str(code).unwrap_or_default().to_string();
    let mut best: BTreeMap<String, (u64, String)> = BTreeMap::new();
    for ((a, t), n) in pairs {
        let team = name(tm, t);
        let e = best.entry(name(am, a)).or_insert((n, team.clone()));
        if n > e.0 || (n == e.0 && team < e.1) {
            *e = (n, team);
        }
    }
    Ok(best.into_iter().map(|(a, (_, t))| (a, t)).collect())
}

/// `teams_of` through a polars group-by and sort (for text columns, and as its test's
/// reference).
fn teams_of_by_polars(frame: &DataFrame) -> Result<BTreeMap<String, String>> {
    let df = frame
        .clone()
        .lazy()
        .filter(col("agent").is_not_null().and(col("team").is_not_null()))
        .group_by([col("agent"), col("team")])
        .agg([len().alias("n")])
        .sort_by_exprs(
            [col("agent"), col("n"), col("team")],
            SortMultipleOptions::default().with_order_descending_multi([false, true, false]),
        )
        .collect()?;
    let (a, tm) = (crate::labels::text(df.column("agent")?)?, crate::labels::text(df.column("team")?)?);
    let mut out = BTreeMap::new();
    for (a, tm) in a.iter().zip(tm.iter()) {
        if let (Some(a), Some(tm)) = (a, tm) {
            out.entry(a.to_string()).or_insert_with(|| tm.to_string());
        }
    }
    Ok(out)
}

/// Tickets solved and handle seconds per agent, and each agent's team (`pre`: the
/// agents' groups with these sums, when the agents' table made them).
fn workload(data: &Loaded, ctx: &Ctx, pre: PerAgent) -> Result<Option<(Breakdown, MetricValue)>> {
    let Some(t) = data.tickets.as_ref().filter(|t| t.has("agent") && t.has("solved_at")) else { return Ok(None) };
    let groups = match pre.tickets {
        Some(groups) => groups,
        None => {
            let solved = Agg::count("solved", ctx.within("solved_at"));
            grouped(&t.frame, "agent", [solved].into_iter().chain(workload_handle(t, ctx)).collect())?
        }
    };
    let mut per: BTreeMap<String, (f64, f64, Option<String>)> = BTreeMap::new();
    for (k, r) in groups {
        per.insert(k, (r.n("solved"), r.n("handle"), None));
    }
    if t.has("team") {
        for (agent, team) in teams_of(&t.frame)? {
            if let Some(e) = per.get_mut(&agent) {
                e.2 = Some(team);
            }
        }
    }
    if let Some(c) = data.calls.as_ref().filter(|c| c.has("agent") && c.has("handle_s")) {
        let groups = match pre.calls {
            Some(groups) => groups,
            None => grouped(&c.frame, "agent", vec![answered_handle(ctx)])?,
        };
        for (k, r) in groups {
            if let Some(e) = per.get_mut(&k) {
                e.1 += r.n("h");
            } else if r.n("h") > 0.0 {
                per.insert(k, (0.0, r.n("h"), None));
            }
        }
    }
    per.retain(|k, v| k != crate::drivers::UNSET && (v.0 > 0.0 || v.1 > 0.0));
    let total_solved: f64 = per.values().map(|v| v.0).sum();
    let total_handle: f64 = per.values().map(|v| v.1).sum();
    // Team medians of solved tickets (agents who solved at least one).
    let mut by_team: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for v in per.values().filter(|v| v.0 > 0.0) {
        by_team.entry(v.2.clone().unwrap_or_default()).or_default().push(v.0);
    }
    let median = |xs: &mut Vec<f64>| {
        xs.sort_by(f64::total_cmp);
        let n = xs.len();
        if n % 2 == 1 {
            xs[n / 2]
        } else {
            (xs[n / 2 - 1] + xs[n / 2]) / 2.0
        }
    };
    let medians: BTreeMap<String, f64> = by_team.iter_mut().map(|(k, v)| (k.clone(), median(v))).collect();
    let factor = ctx.cfg.metrics.overload_factor;
    let rows: Vec<BreakdownRow> = per
        .iter()
        .map(|(agent, (s, h, team))| {
            let team_median = medians.get(&team.clone().unwrap_or_default()).copied().unwrap_or(0.0);
            let mut flags = vec![];
            if team_median > 0.0 && *s > factor * team_median {
                flags.push("overloaded".to_string());
            }
            let mut solved = MetricValue::count("tickets_solved", *s);
            solved.parts.insert("team_median".into(), team_median);
            BreakdownRow {
                key: agent.clone(),
                values: vec![
                    solved,
                    MetricValue::ratio("share_solved", *s, total_solved, 100.0),
                    MetricValue::ratio("share_handle_time", *h, total_handle, 100.0),
                ],
                flags,
            }
        })
        .collect();
    let xs: Vec<f64> = per.values().map(|v| v.0).filter(|s| *s > 0.0).collect();
    let mut cv = MetricValue::base("workload_balance");
    cv.n = xs.len() as u64;
    if !xs.is_empty() {
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / xs.len() as f64).sqrt();
        cv.value = (mean > 0.0).then_some(sd / mean);
        cv.parts.insert("mean_solved".into(), mean);
        cv.parts.insert("sd_solved".into(), sd);
        cv.parts.insert("overloaded_agents".into(), rows.iter().filter(|r| !r.flags.is_empty()).count() as f64);
    }
    Ok(Some((Breakdown { id: "workload".into(), dimension: "agent".into(), rows, needs: vec![] }, cv)))
}

/// Utilization and occupancy over agent_time days in the period.
fn utilization(data: &Loaded, ctx: &Ctx) -> Result<Vec<MetricValue>> {
    let Some(a) = data.agent_time.as_ref() else {
        return Ok(vec![
            MetricValue::not_available("utilization", vec!["agent_time".into()]),
            MetricValue::not_available("occupancy", vec!["agent_time".into()]),
        ]);
    };
    let days = ctx.within("date");
    let sum = |c: &str| col(c).filter(days.clone()).sum().alias(c);
    let mut e = vec![];
    for c in ["scheduled_seconds", "logged_in_seconds", "handling_seconds"] {
        if a.has(c) {
            e.push(sum(c));
        }
    }
    let row = Row::query(&a.frame, if e.is_empty() { vec![lit(0).alias("none")] } else { e })?;
    let (handling, how) = if a.has("handling_seconds") {
        (row.n("handling_seconds"), "agent_time.handling_seconds")
    } else {
        (computed_handling(data, ctx)?, "calls talk + hold + acw, tickets handle_seconds")
    };
    let make = |id: &str, den: &str, band: [f64; 2]| {
        if !a.has(den) {
            return MetricValue::not_available(id, vec![format!("agent_time.{den}")]);
        }
        let mut m = MetricValue::ratio(id, handling, row.n(den), 100.0);
        m.variant = Some(how.to_string());
        m.parts.insert("band_low".into(), band[0]);
        m.parts.insert("band_high".into(), band[1]);
        m
    };
    Ok(vec![
        make("utilization", "scheduled_seconds", ctx.cfg.metrics.utilization_band),
        make("occupancy", "logged_in_seconds", ctx.cfg.metrics.occupancy_band),
    ])
}

fn computed_handling(data: &Loaded, ctx: &Ctx) -> Result<f64> {
    let mut total = 0.0;
    if let Some(c) = data.calls.as_ref().filter(|c| c.has("handle_s")) {
        let e = col("handle_s").filter(ctx.call_masks().answered).sum().alias("h");
        total += Row::query(&c.frame, vec![e])?.n("h");
    }
    if let Some(t) = data.tickets.as_ref().filter(|t| t.has("handle_seconds") && t.has("solved_at")) {
        let e = num("handle_seconds").filter(ctx.within("solved_at")).sum().alias("h");
        total += Row::query(&t.frame, vec![e])?.n("h");
    }
    Ok(total)
}

fn cost(data: &Loaded, ctx: &Ctx, solved: Option<&MetricValue>, answered: Option<&MetricValue>) -> Result<MetricValue> {
    let id = "cost_per_contact";
    let c = &ctx.cfg.cost;
    let contacts = solved.and_then(|m| m.value).unwrap_or(0.0) + answered.and_then(|m| m.value).unwrap_or(0.0);
    let (period_cost, how) = match (c.per_agent_hour, c.per_day) {
        (Some(rate), _) => {
            let Some(a) = data.agent_time.as_ref().filter(|a| a.has("scheduled_seconds")) else {
                return Ok(MetricValue::not_available(id, vec!["agent_time.scheduled_seconds".into()]));
            };
            let e = col("scheduled_seconds").filter(ctx.within("date")).sum().alias("s");
            let hours = Row::query(&a.frame, vec![e])?.n("s") / 3600.0;
            (rate * hours, format!("per_agent_hour × {hours:.1} scheduled hours"))
        }
        (None, Some(per_day)) => (per_day * ctx.days, format!("per_day × {} days", ctx.days)),
        (None, None) => return Ok(MetricValue::not_available(id, vec!["config.cost".into()])),
    };
    let mut m = MetricValue::ratio(id, period_cost, contacts, 1.0);
    m.variant = Some(how);
    Ok(m)
}

pub fn compute(
    data: &Loaded,
    ctx: &Ctx,
    solved: Option<&MetricValue>,
    answered: Option<&MetricValue>,
) -> Result<(Vec<MetricValue>, Vec<Breakdown>)> {
    let m = &ctx.cfg.metrics;
    let mut breakdowns = Vec::new();
    let mut per_agent = PerAgent::default();
    if ctx.breakdowns {
        let (by_agent, groups) = table(data, ctx, "agent", m.min_n_agent)?;
        breakdowns.extend(by_agent);
        per_agent = groups;
        breakdowns.extend(table(data, ctx, "team", m.min_n_team)?.0);
    }
    let mut out = utilization(data, ctx)?;
    match workload(data, ctx, per_agent)? {
        Some((b, cv)) => {
            breakdowns.push(b);
            out.push(cv);
        }
        None => out.push(MetricValue::not_available(
            "workload_balance",
            vec!["tickets.agent".into(), "tickets.solved_at".into()],
        )),
    }
    out.push(cost(data, ctx, solved, answered)?);
    Ok((out, breakdowns))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::Rng;

    fn labels(name: &str, v: Vec<Option<String>>) -> Column {
        Column::new(name.into(), v).cast(&crate::labels::dtype(name)).unwrap()
    }

    #[test]
    fn an_agents_team_is_the_one_on_most_tickets_ties_by_name() {
        // Hand-made: Ann 2×B and 2×A (a tie: A), 1×C; Bob only C; Cy has no team.
        let agent = ["Ann", "Ann", "Ann", "Ann", "Ann", "Bob", "Cy"].map(|s| Some(s.to_string())).to_vec();
        let team = [Some("B"), Some("A"), Some("B"), Some("A"), Some("C"), Some("C"), None];
        let team = team.map(|t| t.map(str::to_string)).to_vec();
        let f = DataFrame::new_infer_height(vec![labels("agent", agent), labels("team", team)]).unwrap();
        let want: BTreeMap<String, String> = [("Ann", "A"), ("Bob", "C")].map(|(a, t)| (a.into(), t.into())).into();
        assert_eq!(teams_of(&f).unwrap(), want);
        assert_eq!(teams_of_by_polars(&f).unwrap(), want);
        // Random ones, with nulls and many ties, as polars' group-by and sort give them.
        let mut rng = Rng(5);
        for n in [10usize, 1000, 20_000] {
            let mut pick =
                |k: u64, p: &str| (0..n).map(|_| (rng.below(9) > 0).then(|| format!("{p}{}", rng.below(k)))).collect();
            let (a, t): (Vec<Option<String>>, Vec<Option<String>>) = (pick(30, "agent "), pick(4, "team "));
            let f = DataFrame::new_infer_height(vec![labels("agent", a), labels("team", t)]).unwrap();
            assert_eq!(teams_of(&f).unwrap(), teams_of_by_polars(&f).unwrap(), "{n}");
        }
    }
}
