//! actions: findings (significant changes, missed targets, emerging drivers) become
//! the executive summary and an action plan with an owner, a due date and a KPI.

use crate::compare::{Comparison, Direction};
use crate::config::Config;
use crate::drivers::Drivers;
use crate::metrics::catalog::Unit;
use crate::render::format::Fmt;
use chrono::NaiveDate;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Action {
    pub action: String,
    pub why: String,
    pub owner: String,
    pub due: String,
    pub kpi: String,
    pub kpi_target: String,
}

/// A finding worth a sentence, with the weight used to rank it.
struct Finding {
    weight: f64,
    sentence: String,
}

/// 3–6 sentences: significant changes and missed targets, biggest first, each with
/// its numbers; then the main driver. Never about a change that is not significant.
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
    if let Some(top) = drivers.top.first() {
        out.push(fmt.sentence_driver(&top.name, top.count, top.share));
    }
    if let Some(e) = drivers.emerging.as_ref().filter(|e| e.significant == Some(true)) {
        out.push(fmt.sentence_emerging(&e.name, e.prev_count, e.count));
    }
    if out.is_empty() {
        out.push(fmt.word("no_significant_change").to_string());
    }
    out
}

/// Built-in rules: a missed target or a significant deterioration of a key metric, and
/// a significant rise of a driver, each raise one action.
pub fn plan(cmp: &[Comparison], drivers: &Drivers, cfg: &Config, as_of: NaiveDate, fmt: &Fmt) -> Vec<Action> {
    let due = (as_of + chrono::Duration::days(cfg.actions.due_days)).to_string();
    let owner_of = |id: &str| {
        cfg.targets.get(id).and_then(|t| t.owner.clone()).unwrap_or_else(|| cfg.actions.default_owner.clone())
    };
    let mut out = Vec::new();
    for c in cmp {
        let Some(cur) = c.current.value else { continue };
        let missed = c.target_met == Some(false);
        let worsened = c.vs_previous.direction == Direction::Worsened && c.vs_previous.significant == Some(true);
        if !(missed || worsened) {
            continue;
        }
        let Some(text) = fmt.action_text(c.id) else { continue };
        let why = if missed {
            fmt.why_target(&fmt.label(c.id), &fmt.value(c.unit, Some(cur)), &fmt.value(c.unit, c.target))
        } else {
            fmt.why_change(&fmt.label(c.id), &fmt.value(c.unit, c.previous.value), &fmt.value(c.unit, Some(cur)))
        };
        // Metrics that call for the same action share one line, with every reason.
        if let Some(a) = out.iter_mut().find(|a: &&mut Action| a.action == text) {
            a.why.push(' ');
            a.why.push_str(&why);
            continue;
        }
        out.push(Action {
            action: text.to_string(),
            why,
            owner: owner_of(c.id),
            due: due.clone(),
            kpi: fmt.label(c.id),
            kpi_target: c.target.map(|t| fmt.value(c.unit, Some(t))).unwrap_or_else(|| {
                fmt.word("back_to_previous").to_string() + " " + &fmt.value(c.unit, c.previous.value)
            }),
        });
    }
    for d in drivers.top.iter().filter(|d| d.delta_count > 0 && d.significant == Some(true)) {
        out.push(Action {
            action: fmt.action_driver(&d.name),
            why: fmt.why_driver(d.prev_count, d.count, d.delta_share_pts),
            owner: d.owner.clone().unwrap_or_else(|| cfg.actions.default_owner.clone()),
            due: due.clone(),
            kpi: fmt.driver_kpi(&d.name),
            kpi_target: fmt.share_target(d.prev_share),
        });
    }
    out
}
