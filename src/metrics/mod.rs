//! compute: the metric catalogue for one period, from the loaded sources.
//! Polars stays in here; what leaves is a plain `MetricSet`.

mod calls;
pub mod catalog;
pub(crate) use calls::masks as calls_masks;
mod surveys;
mod tickets;

use crate::config::Config;
use crate::load::Loaded;
use anyhow::Result;
use polars::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;

/// One metric's value in one period, with what it was computed from.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MetricValue {
    pub id: String,
    /// The headline value; None when the denominator is 0 ("n/a") or inputs are missing.
    pub value: Option<f64>,
    /// Observations behind the value (the denominator of a ratio).
    pub n: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub numerator: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub denominator: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distribution: Option<Distribution>,
    /// Extra counts (promoters, detractors, …) that let a reader recompute the value.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub parts: BTreeMap<String, f64>,
    /// Rows left out of this metric because their value was impossible (negative
    /// durations, scores off the scale).
    #[serde(skip_serializing_if = "is_zero")]
    pub excluded: u64,
    /// Non-empty when the metric cannot be computed: the columns it needs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub needs: Vec<String>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Distribution {
    pub median: f64,
    pub mean: f64,
    pub p90: f64,
}

impl MetricValue {
    fn base(id: &str) -> Self {
        MetricValue {
            id: id.to_string(),
            value: None,
            n: 0,
            numerator: None,
            denominator: None,
            distribution: None,
            parts: BTreeMap::new(),
            excluded: 0,
            needs: Vec::new(),
        }
    }

    pub fn count(id: &str, n: f64) -> Self {
        MetricValue { value: Some(n), n: n as u64, ..Self::base(id) }
    }

    /// num / den × scale, "n/a" (None) when den is 0.
    pub fn ratio(id: &str, num: f64, den: f64, scale: f64) -> Self {
        MetricValue {
            value: (den > 0.0).then(|| num / den * scale),
            n: den as u64,
            numerator: Some(num),
            denominator: Some(den),
            ..Self::base(id)
        }
    }

    pub fn not_available(id: &str, needs: Vec<String>) -> Self {
        MetricValue { needs, ..Self::base(id) }
    }

    pub fn is_available(&self) -> bool {
        self.needs.is_empty()
    }

    pub fn def(&self) -> &'static catalog::MetricDef {
        catalog::get(&self.id)
    }
}

/// Every metric of the catalogue for one period, in catalogue order.
#[derive(Debug, Clone, Serialize)]
pub struct MetricSet {
    pub period: String,
    pub metrics: Vec<MetricValue>,
}

impl MetricSet {
    pub fn get(&self, id: &str) -> &MetricValue {
        self.metrics.iter().find(|m| m.id == id).unwrap_or_else(|| panic!("metric `{id}` not computed"))
    }

    pub fn value(&self, id: &str) -> Option<f64> {
        self.get(id).value
    }
}

/// The half-open window `[start, end)` in epoch milliseconds.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub start: i64,
    pub end: i64,
}

impl Window {
    pub fn contains(&self, column: &str) -> Expr {
        col(column).gt_eq(lit(self.start)).and(col(column).lt(lit(self.end)))
    }
}

pub fn compute(data: &Loaded, cfg: &Config, period: &crate::period::Period) -> Result<MetricSet> {
    let tz = cfg.timezone()?;
    let (start, end) = period.bounds_ms(tz);
    let w = Window { start, end };
    let mut found: BTreeMap<String, MetricValue> = BTreeMap::new();
    let mut put = |v: Vec<MetricValue>| {
        for m in v {
            found.insert(m.id.clone(), m);
        }
    };
    if let Some(t) = &data.tickets {
        put(tickets::compute(t, w)?);
    }
    if let Some(c) = &data.calls {
        put(calls::compute(c, w, &cfg.calls)?);
    }
    if let Some(s) = &data.surveys {
        put(surveys::compute(s, w, &cfg.surveys)?);
    }
    let metrics = catalog::CATALOG
        .iter()
        .map(|def| {
            found.remove(def.id).unwrap_or_else(|| {
                let needs = def.needs.iter().map(|s| s.to_string()).collect();
                MetricValue::not_available(def.id, needs)
            })
        })
        .collect();
    Ok(MetricSet { period: period.to_string(), metrics })
}

/// Needs of a metric that `source` does not satisfy.
pub(crate) fn missing(source: &crate::load::Source, needs: &[&str]) -> Vec<String> {
    needs
        .iter()
        .filter(|n| {
            let (src, column) = n.split_once('.').expect("source.column");
            src == source.name && !source.has(column)
        })
        .map(|n| n.to_string())
        .collect()
}

/// A metric from the catalogue if its inputs are there, else "not available".
pub(crate) fn guarded(
    source: &crate::load::Source,
    id: &str,
    f: impl FnOnce() -> Result<MetricValue>,
) -> Result<MetricValue> {
    let m = missing(source, catalog::get(id).needs);
    if m.is_empty() {
        f()
    } else {
        Ok(MetricValue::not_available(id, m))
    }
}

/// Runs one lazy query that yields a single row, and reads its columns as f64.
pub(crate) struct Row(DataFrame);

impl Row {
    pub fn query(frame: &DataFrame, exprs: Vec<Expr>) -> Result<Row> {
        let exprs: Vec<Expr> = exprs.into_iter().map(|e| e.cast(DataType::Float64)).collect();
        Ok(Row(frame.clone().lazy().select(exprs).collect()?))
    }

    pub fn get(&self, name: &str) -> Option<f64> {
        self.0.column(name).ok()?.f64().ok()?.get(0).filter(|v| v.is_finite())
    }

    pub fn n(&self, name: &str) -> f64 {
        self.get(name).unwrap_or(0.0)
    }
}

/// Median, mean, p90 and count of `values` (seconds) among rows where `keep` holds,
/// plus the count of rows where `keep` holds but the value is negative.
pub(crate) fn duration_exprs(prefix: &str, values: Expr, keep: Expr) -> Vec<Expr> {
    let ok = keep.clone().and(values.clone().is_not_null()).and(values.clone().gt_eq(lit(0.0)));
    let v = values.clone().filter(ok);
    vec![
        v.clone().median().alias(format!("{prefix}_median")),
        v.clone().mean().alias(format!("{prefix}_mean")),
        v.clone().quantile(lit(0.9), QuantileMethod::Linear).alias(format!("{prefix}_p90")),
        v.count().alias(format!("{prefix}_n")),
        keep.and(values.lt(lit(0.0))).sum().alias(format!("{prefix}_neg")),
    ]
}

pub(crate) fn duration_value(id: &str, row: &Row, prefix: &str) -> MetricValue {
    let n = row.n(&format!("{prefix}_n"));
    let median = row.get(&format!("{prefix}_median"));
    let mut m = MetricValue::base(id);
    m.n = n as u64;
    m.excluded = row.n(&format!("{prefix}_neg")) as u64;
    if n > 0.0 {
        m.value = median;
        m.distribution = Some(Distribution {
            median: median.unwrap_or(f64::NAN),
            mean: row.get(&format!("{prefix}_mean")).unwrap_or(f64::NAN),
            p90: row.get(&format!("{prefix}_p90")).unwrap_or(f64::NAN),
        });
    }
    m
}

/// The same as `duration_value` but with the mean as the headline (ASA, AHT).
pub(crate) fn mean_value(id: &str, row: &Row, prefix: &str) -> MetricValue {
    let mut m = duration_value(id, row, prefix);
    if let Some(d) = m.distribution {
        m.value = Some(d.mean);
    }
    m
}
