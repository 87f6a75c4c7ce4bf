//! compare: each metric against the previous period, the year-ago period and its
//! trend; direction-aware deltas, significance and targets → `Comparison`s.

use crate::config::Config;
use crate::metrics::catalog::{Better, Unit};
use crate::metrics::{MetricSet, MetricValue};
use crate::stats;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Improved,
    Worsened,
    /// Changed, on a metric with no better direction (volumes).
    Changed,
    Unchanged,
    /// One side has no value.
    NotComparable,
}

#[derive(Debug, Clone, Serialize)]
pub struct Delta {
    /// current − base, in the metric's unit (points for percentages and scores).
    pub abs: Option<f64>,
    /// (current − base) / |base|; None where the base is 0 or the unit is a rate.
    pub rel: Option<f64>,
    pub direction: Direction,
    /// Whether the change passes the test named in `test`; None when untestable.
    pub significant: Option<bool>,
    pub p_value: Option<f64>,
    pub test: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub id: &'static str,
    pub unit: Unit,
    pub better: Better,
    pub current: MetricValue,
    pub previous: MetricValue,
    pub year_ago: MetricValue,
    pub vs_previous: Delta,
    pub vs_year_ago: Delta,
    /// The metric over the trend periods, oldest first (the current one last).
    pub trend: Vec<Option<f64>>,
    pub target: Option<f64>,
    /// Whether the current value meets the target (None without a target or a value).
    pub target_met: Option<bool>,
}

/// The better direction of a metric under this config (CES 1.0 scores lower = easier).
pub fn better_of(id: &str, cfg: &Config) -> Better {
    let b = crate::metrics::catalog::get(id).better;
    if id == "ces" && !cfg.surveys.ces_higher_is_easier {
        Better::Lower
    } else {
        b
    }
}

pub fn delta(cur: &MetricValue, base: &MetricValue, days: (f64, f64), better: Better) -> Delta {
    let def = cur.def();
    let (Some(c), Some(b)) = (cur.value, base.value) else {
        return Delta {
            abs: None,
            rel: None,
            direction: Direction::NotComparable,
            significant: None,
            p_value: None,
            test: "",
        };
    };
    let abs = c - b;
    let rel = match def.unit {
        Unit::Count | Unit::Seconds | Unit::Number | Unit::Money if b != 0.0 => Some(abs / b.abs()),
        _ => None,
    };
    let (p_value, test) = match def.unit {
        Unit::Percent => (
            match (cur.numerator, cur.denominator, base.numerator, base.denominator) {
                (Some(x1), Some(n1), Some(x2), Some(n2)) => stats::two_proportion_p(x1, n1, x2, n2),
                _ => None,
            },
            "two-proportion z-test, p < 0.05",
        ),
        Unit::Count => (
            if cur.id == "backlog_change" { None } else { stats::poisson_p(c, days.0, b, days.1) },
            "Poisson test on the two counts (per day), p < 0.05",
        ),
        Unit::Score => {
            let se = |m: &MetricValue| {
                stats::nps_se(
                    *m.parts.get("promoters").unwrap_or(&0.0),
                    *m.parts.get("detractors").unwrap_or(&0.0),
                    m.n as f64,
                )
            };
            (
                match (se(cur), se(base)) {
                    (Some(s1), Some(s2)) if s1 + s2 > 0.0 => Some(stats::p_two_sided(abs / (s1 * s1 + s2 * s2).sqrt())),
                    _ => None,
                },
                "difference > 1.96 × its standard error (promoter/detractor variance)",
            )
        }
        Unit::Seconds => (
            match (&cur.sample, &base.sample) {
                (Some(a), Some(b)) => {
                    use crate::metrics::Sample::{Narrow, Wide};
                    // Each sample as it is held (not widened to 8 bytes for each test).
                    match (a.as_ref(), b.as_ref()) {
                        (Narrow(x), Narrow(y)) => stats::mann_whitney_ranked(x, y),
                        (Wide(x), Wide(y)) => stats::mann_whitney_p(x, y),
                        _ => stats::mann_whitney_p(&a.values(), &b.values()),
                    }
                }
                _ => None,
            },
            "Mann–Whitney U test (normal approximation, tie and continuity corrections), p < 0.05",
        ),
        Unit::Number if cur.id == "tickets_per_day" => (
            match (cur.numerator, base.numerator) {
                (Some(c1), Some(c2)) => stats::poisson_p(c1, days.0, c2, days.1),
                _ => None,
            },
            "Poisson test on the two counts (per day), p < 0.05",
        ),
        Unit::Number | Unit::Money | Unit::Scale => (None, "not tested"),
    };
    let significant = p_value.map(|p| p < 0.05);
    let direction = if abs.abs() < 1e-9 {
        Direction::Unchanged
    } else {
        match better {
            Better::Higher if abs > 0.0 => Direction::Improved,
            Better::Higher => Direction::Worsened,
            Better::Lower if abs < 0.0 => Direction::Improved,
            Better::Lower => Direction::Worsened,
            Better::Neither | Better::InBand => Direction::Changed,
        }
    };
    Delta { abs: Some(abs), rel, direction, significant, p_value, test }
}

/// How far past its bounds a metric is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Warning,
    Alert,
}

/// A threshold crossed: the metric's value lies beyond its warning or alert bound.
#[derive(Debug, Clone, Serialize)]
pub struct Alert {
    pub id: &'static str,
    pub level: Level,
    pub value: f64,
    pub bound: f64,
    /// "below" when lower values are worse, else "above".
    pub worse: &'static str,
}

/// Whether lower values of `id` are the worse ones, for its thresholds.
pub fn lower_is_worse(id: &str, cfg: &Config) -> bool {
    match cfg.targets.get(id).and_then(|t| t.worse.as_deref()) {
        Some("below") => true,
        Some(_) => false,
        None => better_of(id, cfg) == Better::Higher,
    }
}

/// Every warning and alert bound crossed by the current values, alerts first.
pub fn alerts(cmp: &[Comparison], cfg: &Config) -> Vec<Alert> {
    let mut out = Vec::new();
    for c in cmp {
        let (Some(t), Some(v)) = (cfg.targets.get(c.id), c.current.value) else { continue };
        let low = lower_is_worse(c.id, cfg);
        let beyond = |b: f64| if low { v < b } else { v > b };
        let level = match (t.alert, t.warning) {
            (Some(a), _) if beyond(a) => Some((Level::Alert, a)),
            (_, Some(w)) if beyond(w) => Some((Level::Warning, w)),
            _ => None,
        };
        if let Some((level, bound)) = level {
            out.push(Alert { id: c.id, level, value: v, bound, worse: if low { "below" } else { "above" } });
        }
    }
    out.sort_by_key(|a| std::cmp::Reverse(a.level));
    out
}

/// A breakdown in the three periods, for metrics.json.
#[derive(Debug, Clone, Serialize)]
pub struct BreakdownComparison {
    pub id: &'static str,
    pub dimension: String,
    pub current: crate::metrics::Breakdown,
    pub previous: crate::metrics::Breakdown,
    pub year_ago: crate::metrics::Breakdown,
}

pub fn breakdowns(p: &Periods) -> Vec<BreakdownComparison> {
    p.current
        .breakdowns
        .iter()
        .map(|b| {
            let id = crate::metrics::catalog::get(&b.id).id;
            BreakdownComparison {
                id,
                dimension: b.dimension.clone(),
                current: b.clone(),
                previous: p.previous.breakdown(id).clone(),
                year_ago: p.year_ago.breakdown(id).clone(),
            }
        })
        .collect()
}

pub struct Periods<'a> {
    pub current: &'a MetricSet,
    pub previous: &'a MetricSet,
    pub year_ago: &'a MetricSet,
    pub trend: &'a [MetricSet],
    /// Days in the current, previous and year-ago periods (exposure of counts).
    pub days: (f64, f64, f64),
}

pub fn compare(p: &Periods, cfg: &Config) -> Vec<Comparison> {
    p.current
        .metrics
        .iter()
        .map(|cur| {
            let def = cur.def();
            let prev = p.previous.get(def.id).clone();
            let ya = p.year_ago.get(def.id).clone();
            let better = better_of(def.id, cfg);
            let target = cfg.targets.get(def.id).and_then(|t| t.target);
            let band = match (cur.parts.get("band_low"), cur.parts.get("band_high")) {
                (Some(lo), Some(hi)) => Some((*lo, *hi)),
                _ => None,
            };
            let target_met = match (target, band, cur.value) {
                (Some(t), _, Some(v)) => Some(match better {
                    Better::Lower => v <= t,
                    _ => v >= t,
                }),
                (None, Some((lo, hi)), Some(v)) => Some(v >= lo && v <= hi),
                _ => None,
            };
            Comparison {
                id: def.id,
                unit: def.unit,
                better,
                vs_previous: delta(cur, &prev, (p.days.0, p.days.1), better),
                vs_year_ago: delta(cur, &ya, (p.days.0, p.days.2), better),
                current: cur.clone(),
                previous: prev,
                year_ago: ya,
                trend: p.trend.iter().map(|s| s.value(def.id)).collect(),
                target,
                target_met,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direction_follows_better() {
        let a = MetricValue::ratio("abandonment_rate", 12.0, 100.0, 100.0);
        let b = MetricValue::ratio("abandonment_rate", 6.0, 100.0, 100.0);
        let d = delta(&a, &b, (1.0, 1.0), Better::Lower);
        assert_eq!(d.direction, Direction::Worsened);
        assert!((d.abs.unwrap() - 6.0).abs() < 1e-9);
        assert_eq!(d.rel, None, "rates move in points, not percent");
        let d = delta(&b, &a, (1.0, 1.0), Better::Lower);
        assert_eq!(d.direction, Direction::Improved);
    }

    #[test]
    fn zero_denominator_is_not_comparable() {
        let a = MetricValue::ratio("csat", 0.0, 0.0, 100.0);
        let b = MetricValue::ratio("csat", 8.0, 10.0, 100.0);
        let d = delta(&a, &b, (1.0, 1.0), Better::Higher);
        assert_eq!(d.direction, Direction::NotComparable);
        assert_eq!(d.abs, None);
    }

    #[test]
    fn same_relative_change_on_small_n_is_not_significant() {
        // 80% → 60%: on 500 responses each the change is clear, on 10 it is noise.
        let big = delta(
            &MetricValue::ratio("csat", 300.0, 500.0, 100.0),
            &MetricValue::ratio("csat", 400.0, 500.0, 100.0),
            (1.0, 1.0),
            Better::Higher,
        );
        let small = delta(
            &MetricValue::ratio("csat", 6.0, 10.0, 100.0),
            &MetricValue::ratio("csat", 8.0, 10.0, 100.0),
            (1.0, 1.0),
            Better::Higher,
        );
        assert_eq!(big.significant, Some(true));
        assert_eq!(small.significant, Some(false));
    }
}

#[cfg(test)]
mod threshold_tests {
    use super::*;

    fn comparison(id: &'static str, value: f64) -> Comparison {
        let v = MetricValue::count(id, value);
        let def = v.def();
        Comparison {
            id,
            unit: def.unit,
            better: def.better,
            vs_previous: delta(&v, &v, (1.0, 1.0), def.better),
            vs_year_ago: delta(&v, &v, (1.0, 1.0), def.better),
            current: v.clone(),
            previous: v.clone(),
            year_ago: v,
            trend: vec![],
            target: None,
            target_met: None,
        }
    }

    #[test]
    fn bounds_are_crossed_on_the_worse_side() {
        let cfg = Config::parse(
            "[inputs.tickets]\npath='t.csv'\n\
             [targets.service_level]\ntarget = 80\nwarning = 70\nalert = 60\n\
             [targets.abandonment_rate]\ntarget = 5\nwarning = 8\nalert = 12\n\
             [targets.backlog_end]\nwarning = 500\nalert = 800\n\
             [targets.tickets_created]\nwarning = 100\nworse = \"below\"\n",
            "r.toml",
        )
        .unwrap();
        let cmp = [
            comparison("service_level", 65.0),    // below 70: warning
            comparison("abandonment_rate", 12.5), // above 12: alert
            comparison("backlog_end", 400.0),     // fine
            comparison("tickets_created", 90.0),  // below 100, lower is worse here: warning
        ];
        let a = alerts(&cmp, &cfg);
        let got: Vec<(&str, Level)> = a.iter().map(|a| (a.id, a.level)).collect();
        assert_eq!(
            got,
            [
                ("abandonment_rate", Level::Alert),
                ("service_level", Level::Warning),
                ("tickets_created", Level::Warning)
            ]
        );
        assert_eq!((a[1].bound, a[1].worse), (70.0, "below"));
    }

    #[test]
    fn bounds_out_of_order_are_refused() {
        let e = Config::parse(
            "[inputs.tickets]\npath='t.csv'\n[targets.service_level]\ntarget = 80\nwarning = 85\n",
            "r.toml",
        )
        .unwrap_err();
        assert!(
            format!("{e:#}").contains("[targets.service_level]: target, warning and alert must go from good to bad"),
            "{e:#}"
        );
    }

    #[test]
    fn durations_are_compared_with_mann_whitney() {
        use std::sync::Arc;
        let with = |xs: Vec<f64>| {
            let mut m = MetricValue::count("first_response_time", xs.len() as f64);
            m.value = Some(xs[xs.len() / 2]);
            m.sample = Some(Arc::new(crate::metrics::Sample::new(xs)));
            m
        };
        // 10% slower on 400 tickets a side: significant. The same shift on 6: not.
        let base: Vec<f64> = (0..400).map(|i| 1000.0 + i as f64 * 10.0).collect();
        let slower: Vec<f64> = base.iter().map(|x| x * 1.1).collect();
        let d = delta(&with(slower), &with(base), (1.0, 1.0), Better::Lower);
        assert_eq!((d.significant, d.direction), (Some(true), Direction::Worsened));
        let small: Vec<f64> = (0..6).map(|i| 1000.0 + i as f64 * 500.0).collect();
        let small_slower: Vec<f64> = small.iter().map(|x| x * 1.1).collect();
        let d = delta(&with(small_slower), &with(small), (1.0, 1.0), Better::Lower);
        assert_eq!(d.significant, Some(false));
        assert!(d.test.starts_with("Mann–Whitney"));
    }
}
