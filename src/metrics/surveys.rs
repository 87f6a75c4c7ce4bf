//! Customer metrics from survey responses: CSAT and NPS.

use super::{MetricValue, Row, Window};
use crate::config::SurveysSection;
use crate::load::Source;
use anyhow::Result;
use polars::prelude::*;

pub fn compute(s: &Source, w: Window, cfg: &SurveysSection) -> Result<Vec<MetricValue>> {
    let in_window = w.contains("responded_at").and(col("score").is_not_null());
    let csat = in_window.clone().and(col("kind").eq(lit("csat")));
    let csat_ok = csat.clone().and(col("score").gt_eq(lit(cfg.csat_min))).and(col("score").lt_eq(lit(cfg.csat_max)));
    let nps = in_window.and(col("kind").eq(lit("nps")));
    let nps_ok = nps.clone().and(col("score").gt_eq(lit(0.0))).and(col("score").lt_eq(lit(10.0)));
    let row = Row::query(
        &s.frame,
        vec![
            csat_ok.clone().sum().alias("csat_n"),
            csat.and(csat_ok.clone().not()).sum().alias("csat_bad"),
            csat_ok.clone().and(col("score").gt_eq(lit(cfg.csat_positive_min))).sum().alias("csat_pos"),
            col("score").filter(csat_ok).mean().alias("csat_mean"),
            nps_ok.clone().sum().alias("nps_n"),
            nps.and(nps_ok.clone().not()).sum().alias("nps_bad"),
            nps_ok.clone().and(col("score").gt_eq(lit(9.0))).sum().alias("promoters"),
            nps_ok.and(col("score").lt_eq(lit(6.0))).sum().alias("detractors"),
        ],
    )?;
    let mut c = MetricValue::ratio("csat", row.n("csat_pos"), row.n("csat_n"), 100.0);
    c.excluded = row.n("csat_bad") as u64;
    if let Some(mean) = row.get("csat_mean") {
        c.parts.insert("mean_score".into(), mean);
    }
    let n = row.n("nps_n");
    let (p, d) = (row.n("promoters"), row.n("detractors"));
    let mut nps = MetricValue::ratio("nps", p - d, n, 100.0);
    nps.numerator = None;
    nps.denominator = None;
    nps.excluded = row.n("nps_bad") as u64;
    nps.parts.insert("promoters".into(), p);
    nps.parts.insert("passives".into(), n - p - d);
    nps.parts.insert("detractors".into(), d);
    Ok(vec![c, nps])
}
