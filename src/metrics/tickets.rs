//! Ticket metrics: volume, backlog, responsiveness and resolution.

use super::{duration_exprs, duration_value, guarded, MetricValue, Row, Window};
use crate::load::Source;
use anyhow::Result;
use polars::prelude::*;

fn seconds_between(from: &str, to: &str) -> Expr {
    (col(to) - col(from)).cast(DataType::Float64) / lit(1000.0)
}

/// The instant a ticket stopped being open: its last solve, else its close.
fn done_at(t: &Source) -> Option<Expr> {
    match (t.has("solved_at"), t.has("closed_at")) {
        (true, true) => Some(coalesce(&[col("solved_at"), col("closed_at")])),
        (true, false) => Some(col("solved_at")),
        (false, true) => Some(col("closed_at")),
        (false, false) => None,
    }
}

fn open_at(done: &Expr, instant: i64) -> Expr {
    col("created_at").lt(lit(instant)).and(done.clone().is_null().or(done.clone().gt_eq(lit(instant))))
}

pub fn compute(t: &Source, w: Window) -> Result<Vec<MetricValue>> {
    let created = w.contains("created_at");
    let mut exprs = vec![created.clone().sum().alias("created")];
    let has_fr = t.has("first_response_at");
    let has_solved = t.has("solved_at");
    if has_fr {
        exprs.extend(duration_exprs("frt", seconds_between("created_at", "first_response_at"), created.clone()));
        exprs.push(
            created
                .clone()
                .and(col("first_response_at").is_null().or(col("first_response_at").gt_eq(lit(w.end))))
                .sum()
                .alias("no_response"),
        );
    }
    if has_solved {
        let solved = w.contains("solved_at");
        exprs.push(solved.clone().sum().alias("solved"));
        exprs.extend(duration_exprs("res", seconds_between("created_at", "solved_at"), solved));
    }
    if let Some(done) = done_at(t) {
        exprs.push(open_at(&done, w.end).sum().alias("backlog_end"));
        exprs.push(open_at(&done, w.start).sum().alias("backlog_start"));
    }
    let row = Row::query(&t.frame, exprs)?;
    let created_n = row.n("created");
    Ok(vec![
        MetricValue::count("tickets_created", created_n),
        guarded(t, "tickets_solved", || Ok(MetricValue::count("tickets_solved", row.n("solved"))))?,
        guarded(t, "completion_ratio", || {
            Ok(MetricValue::ratio("completion_ratio", row.n("solved"), created_n, 100.0))
        })?,
        guarded(t, "backlog_end", || Ok(MetricValue::count("backlog_end", row.n("backlog_end"))))?,
        guarded(t, "backlog_change", || {
            let mut m = MetricValue::count("backlog_change", row.n("backlog_end") - row.n("backlog_start"));
            m.n = row.n("backlog_end") as u64;
            m.parts.insert("backlog_start".into(), row.n("backlog_start"));
            m.parts.insert("backlog_end".into(), row.n("backlog_end"));
            Ok(m)
        })?,
        guarded(t, "first_response_time", || Ok(duration_value("first_response_time", &row, "frt")))?,
        guarded(t, "no_response_yet", || {
            let mut m = MetricValue::count("no_response_yet", row.n("no_response"));
            m.n = created_n as u64;
            Ok(m)
        })?,
        guarded(t, "resolution_time", || Ok(duration_value("resolution_time", &row, "res")))?,
    ])
}
