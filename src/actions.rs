//! actions: findings (significant changes, missed targets, crossed thresholds, rising
//! drivers) become the executive summary and an action plan: what, why (the number),
//! owner, due date, and the KPI to watch. Rules come from report.toml first, then the
//! built-in ones. When the service level misses its target, an Erlang C estimate of the
//! agents needed in the busiest hours is attached.

use crate::compare::{Alert, Comparison, Direction, Level};
use crate::config::{ActionRule, Config};
use crate::drivers::Drivers;
use crate::metrics::catalog::Unit;
use crate::metrics::MetricSet;
use crate::render::format::Fmt;
use chrono::{Datelike, NaiveDate};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Action {
    pub action: String,
    pub why: String,
    pub owner: String,
    pub due: String,
    pub kpi: String,
    pub kpi_target: String,
    /// Supporting figures (the Erlang C staffing of the busiest hours).
    pub details: Vec<String>,
}

/// A finding worth a sentence, with the weight used to rank it.
struct Finding {
    weight: f64,
    sentence: String,
}

/// Below this n a rate, score or scale never drives a summary sentence.
pub const MIN_N_SUMMARY: u64 = 30;

/// Whether a significant change is also large enough to be news: 5% for counts and
/// durations, 1 point for rates and NPS, 0.1 on a CES scale.
fn material(c: &Comparison) -> bool {
    let d = &c.vs_previous;
    match c.unit {
        Unit::Percent | Unit::Score => d.abs.is_some_and(|a| a.abs() >= 1.0),
        Unit::Scale => d.abs.is_some_and(|a| a.abs() >= 0.1),
        _ => d.rel.is_some_and(|r| r.abs() >= 0.05),
    }
}

fn enough_n(c: &Comparison) -> bool {
    match c.unit {
        Unit::Percent | Unit::Score | Unit::Scale => c.current.n >= MIN_N_SUMMARY && c.previous.n >= MIN_N_SUMMARY,
        _ => true,
    }
}

/// 3 to 6 sentences: significant, material changes on enough responses and missed
/// targets of the headline metrics, biggest first, each with its numbers; then the main
/// driver and the one that grew most. Never about a change that is not significant.
pub fn summary(cmp: &[Comparison], drivers: &Drivers, fmt: &Fmt) -> Vec<String> {
    let mut found: Vec<Finding> = Vec::new();
    // Only the headline metrics speak in the summary; their parts (calls abandoned next
    // to the abandonment rate) would repeat them.
    for c in cmp.iter().filter(|c| crate::render::SCORECARD.contains(&c.id)) {
        let d = &c.vs_previous;
        let (Some(cur), Some(prev)) = (c.current.value, c.previous.value) else { continue };
        let label = fmt.label(c.id);
        let missed = c.target_met == Some(false);
        let target = fmt.value(c.unit, c.target);
        let changed = d.significant == Some(true)
            && material(c)
            && enough_n(c)
            && matches!(d.direction, Direction::Improved | Direction::Worsened | Direction::Changed);
        if changed {
            let verb = match (d.direction, cur > prev) {
                (Direction::Improved, _) => fmt.word("improved"),
                (Direction::Worsened, _) => fmt.word("worsened"),
                (_, true) => fmt.word("rose"),
                (_, false) => fmt.word("fell"),
            };
            let weight = match c.unit {
                Unit::Percent | Unit::Score => d.abs.unwrap_or(0.0).abs() / 10.0,
                Unit::Scale => d.abs.unwrap_or(0.0).abs(),
                _ => d.rel.unwrap_or(0.0).abs(),
            } + if d.direction == Direction::Worsened { 0.05 } else { 0.0 }
                + if missed { 0.5 } else { 0.0 };
            let (p, v, ch) = (fmt.value(c.unit, Some(prev)), fmt.value(c.unit, Some(cur)), fmt.delta(c.unit, d));
            found.push(Finding {
                weight,
                sentence: fmt.sentence_change(&label, verb, &p, &v, &ch, missed.then_some(target.as_str())),
            });
        } else if missed {
            found.push(Finding {
                weight: 0.5,
                sentence: fmt.sentence_target(&label, &fmt.value(c.unit, Some(cur)), &target),
            });
        }
    }
    found.sort_by(|a, b| b.weight.total_cmp(&a.weight).then_with(|| a.sentence.cmp(&b.sentence)));
    let mut out: Vec<String> = found.into_iter().map(|f| f.sentence).take(4).collect();
    if out.is_empty() {
        // When no metric has a previous value there is nothing to compare.
        let mut known = cmp.iter().filter(|c| c.current.value.is_some()).peekable();
        let no_previous = known.peek().is_some() && known.all(|c| c.previous.value.is_none());
        let key = if no_previous { "no_previous_data" } else { "no_significant_change" };
        out.push(fmt.word(key).to_string());
    }
    if let Some(top) = drivers.top.first() {
        out.push(fmt.sentence_driver(&top.name, top.count, top.share));
    }
    if let Some(e) = drivers.emerging.as_ref().filter(|e| e.significant == Some(true)) {
        out.push(fmt.sentence_emerging(&e.name, e.prev_count, e.count));
    }
    if out.len() < 3 && drivers.total > 0 {
        out.push(fmt.sentence_volume(drivers.total, drivers.total_prev));
    }
    out
}

/// The built-in rules: every metric with a standard action, raised by an alert, a
/// warning, a missed target or a significant deterioration.
fn builtin_rules(fmt: &Fmt) -> Vec<ActionRule> {
    let mut out = Vec::new();
    for def in crate::metrics::catalog::CATALOG {
        if let Some(text) = fmt.action_text(def.id) {
            for when in ["alert", "warning", "missed_target", "worsened"] {
                out.push(ActionRule {
                    metric: def.id.to_string(),
                    when: when.to_string(),
                    value: None,
                    action: text.to_string(),
                    owner: None,
                    due_days: None,
                });
            }
        }
    }
    out
}

/// Whether `rule` holds for `c`, and why (with the number).
fn fires(rule: &ActionRule, c: &Comparison, alerts: &[Alert], fmt: &Fmt) -> Option<String> {
    let cur = c.current.value?;
    let label = fmt.label(c.id);
    let v = fmt.value(c.unit, Some(cur));
    let level = alerts.iter().find(|a| a.id == c.id).map(|a| (a.level, a.bound));
    match rule.when.as_str() {
        "missed_target" if c.target_met == Some(false) => {
            Some(fmt.why_target(&label, &v, &fmt.value(c.unit, c.target)))
        }
        "worsened"
            if c.vs_previous.direction == Direction::Worsened
                && c.vs_previous.significant == Some(true)
                && material(c)
                && enough_n(c) =>
        {
            Some(fmt.why_change(&label, &fmt.value(c.unit, c.previous.value), &v))
        }
        "alert" | "warning" => match level {
            Some((l, bound)) if l == Level::Alert || rule.when == "warning" => {
                Some(fmt.why_bound(&label, &v, l, &fmt.value(c.unit, Some(bound))))
            }
            _ => None,
        },
        "above" if rule.value.is_some_and(|x| cur > x) => {
            Some(fmt.why_rule(&label, &v, ">", &fmt.value(c.unit, rule.value)))
        }
        "below" if rule.value.is_some_and(|x| cur < x) => {
            Some(fmt.why_rule(&label, &v, "<", &fmt.value(c.unit, rule.value)))
        }
        _ => None,
    }
}

pub struct PlanInput<'a> {
    pub comparisons: &'a [Comparison],
    pub alerts: &'a [Alert],
    pub drivers: &'a Drivers,
    pub current: &'a MetricSet,
    pub period: &'a crate::period::Period,
    pub as_of: NaiveDate,
}

/// The action plan: config rules first, then the built-in ones for metrics no config
/// rule names; actions with the same text share one line with every reason; rising
/// drivers go to their owners.
pub fn plan(input: &PlanInput, cfg: &Config, fmt: &Fmt) -> Vec<Action> {
    let due_of =
        |days: Option<i64>| (input.as_of + chrono::Duration::days(days.unwrap_or(cfg.actions.due_days))).to_string();
    let owner_of = |rule: &ActionRule| {
        rule.owner
            .clone()
            .or_else(|| cfg.targets.get(&rule.metric).and_then(|t| t.owner.clone()))
            .unwrap_or_else(|| cfg.actions.default_owner.clone())
    };
    let mut rules: Vec<ActionRule> = cfg.actions.rules.clone();
    if cfg.actions.builtin_rules {
        let named: Vec<&str> = cfg.actions.rules.iter().map(|r| r.metric.as_str()).collect();
        rules.extend(builtin_rules(fmt).into_iter().filter(|r| !named.contains(&r.metric.as_str())));
    }
    let mut out: Vec<Action> = Vec::new();
    // One reason per metric and action: the first rule that fires (alert, warning,
    // missed target, then deterioration, for the built-ins).
    let mut said: Vec<(String, String)> = Vec::new();
    for rule in &rules {
        let Some(c) = input.comparisons.iter().find(|c| c.id == rule.metric) else { continue };
        if said.iter().any(|(a, m)| *a == rule.action && *m == rule.metric) {
            continue;
        }
        let Some(why) = fires(rule, c, input.alerts, fmt) else { continue };
        said.push((rule.action.clone(), rule.metric.clone()));
        if let Some(a) = out.iter_mut().find(|a| a.action == rule.action) {
            a.why.push(' ');
            a.why.push_str(&why);
            continue;
        }
        let mut details = Vec::new();
        if c.id == "service_level" || rule.action == fmt.action_text("service_level").unwrap_or_default() {
            details = staffing(input, cfg, fmt);
        }
        out.push(Action {
            action: rule.action.clone(),
            why,
            owner: owner_of(rule),
            due: due_of(rule.due_days),
            kpi: fmt.label(c.id),
            kpi_target: c
                .target
                .map(|t| fmt.value(c.unit, Some(t)))
                .unwrap_or_else(|| format!("{} {}", fmt.word("back_to_previous"), fmt.value(c.unit, c.previous.value))),
            details,
        });
    }
    // A driver whose share of contacts rose significantly goes to its owner.
    for d in input.drivers.top.iter().filter(|d| d.delta_share_pts > 0.0 && d.significant == Some(true)) {
        out.push(Action {
            action: fmt.action_driver(&d.name),
            why: fmt.why_driver(d.prev_count, d.count, d.delta_share_pts),
            owner: d.owner.clone().unwrap_or_else(|| cfg.actions.default_owner.clone()),
            due: due_of(None),
            kpi: fmt.driver_kpi(&d.name),
            kpi_target: fmt.share_target(d.prev_share),
            details: vec![],
        });
    }
    out
}

/// Erlang C for the five busiest weekday-hours of the period (calls offered per hour,
/// the period's AHT, the service-level threshold and target), with shrinkage; empty
/// when the service level has no target or the inputs are missing.
fn staffing(input: &PlanInput, cfg: &Config, fmt: &Fmt) -> Vec<String> {
    let Some(target) = cfg.targets.get("service_level").and_then(|t| t.target) else { return vec![] };
    let Some(aht) = input.current.value("aht") else { return vec![] };
    let Some(grid) = input.current.breakdowns.iter().find(|b| b.id == "contacts_by_weekday_hour" && b.needs.is_empty())
    else {
        return vec![];
    };
    let mut per_weekday = [0.0f64; 7];
    let mut d = input.period.start;
    while d < input.period.end {
        per_weekday[d.weekday().num_days_from_monday() as usize] += 1.0;
        d = d.succ_opt().expect("date");
    }
    // (calls per hour, weekday, hour): calls offered in that cell / days of that weekday.
    let mut cells: Vec<(f64, usize, usize)> = grid
        .rows
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let (w, h) = (i / 24, i % 24);
            let calls = r.get("calls")?.value?;
            (per_weekday[w] > 0.0 && calls > 0.0).then(|| (calls / per_weekday[w], w, h))
        })
        .collect();
    cells.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let t = cfg.calls.service_level_seconds;
    let shrink = cfg.actions.shrinkage;
    cells
        .iter()
        .take(5)
        .filter_map(|(rate, w, h)| {
            let agents = crate::stats::agents_needed(*rate, aht, t, target / 100.0)?;
            let scheduled = (agents as f64 / (1.0 - shrink)).ceil() as u32;
            Some(fmt.staffing_line(
                *w,
                *h,
                *rate,
                &fmt.value(Unit::Seconds, Some(aht)),
                agents,
                scheduled,
                shrink,
                target,
                t,
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::{delta, Comparison};
    use crate::metrics::catalog::Better;
    use crate::metrics::MetricValue;
    use crate::render::format::Lang;

    fn csat(pos: f64, n: f64, prev_pos: f64, prev_n: f64) -> Comparison {
        let cur = MetricValue::ratio("csat", pos, n, 100.0);
        let prev = MetricValue::ratio("csat", prev_pos, prev_n, 100.0);
        Comparison {
            id: "csat",
            unit: Unit::Percent,
            better: Better::Higher,
            vs_previous: delta(&cur, &prev, (30.0, 30.0), Better::Higher),
            vs_year_ago: delta(&cur, &prev, (30.0, 30.0), Better::Higher),
            current: cur,
            year_ago: prev.clone(),
            previous: prev,
            trend: vec![],
            target: None,
            target_met: None,
        }
    }

    fn no_drivers() -> Drivers {
        Drivers {
            field: "reason".into(),
            total: 0,
            total_prev: 0,
            top: vec![],
            top_tickets: vec![],
            top_calls: vec![],
            emerging: None,
            new_drivers: vec![],
            distinct: 0,
            by_product: None,
            by_location: None,
            csat_heatmap: None,
            ces_heatmap: None,
            contacts_heatmap: None,
        }
    }

    #[test]
    fn a_significant_change_is_told_the_same_change_on_small_n_is_not() {
        let fmt = Fmt::new(Lang::En);
        // 80% → 60% on 500 responses a side: z-test p ≈ 0 → a sentence with its numbers.
        let big = summary(&[csat(300.0, 500.0, 400.0, 500.0)], &no_drivers(), &fmt);
        assert!(big.contains(&"CSAT worsened from 80.0% to 60.0% (−20.0 pts).".to_string()), "{big:?}");
        // The same 80% → 60% on 10 responses: p = 0.33, and n < 30 anyway → nothing said.
        let small = summary(&[csat(6.0, 10.0, 8.0, 10.0)], &no_drivers(), &fmt);
        assert!(small.iter().all(|s| !s.contains("CSAT")), "{small:?}");
        assert_eq!(small[0], "No headline metric changed significantly and materially against the previous period.");
        // In French.
        let fr = summary(&[csat(300.0, 500.0, 400.0, 500.0)], &no_drivers(), &Fmt::new(Lang::Fr));
        assert!(
            fr.contains(&"CSAT s'est dégradé : de 80,0\u{202F}% à 60,0\u{202F}% (−20,0 pt).".to_string()),
            "{fr:?}"
        );
    }

    #[test]
    fn a_significant_but_tiny_change_is_not_news() {
        // 80.0% → 79.6% on 1,000,000 responses a side is significant (p ≈ 1e-12) but
        // moves less than a point: not in the summary.
        let c = csat(796_000.0, 1_000_000.0, 800_000.0, 1_000_000.0);
        assert_eq!(c.vs_previous.significant, Some(true));
        let s = summary(&[c], &no_drivers(), &Fmt::new(Lang::En));
        assert!(s.iter().all(|x| !x.contains("CSAT")), "{s:?}");
    }
}
