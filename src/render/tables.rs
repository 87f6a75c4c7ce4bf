//! The report's tables as data: `tables/*.csv` and `report.xlsx` (a sheet per table).
//! Numbers stay numbers; text that a spreadsheet would take for a formula (starting
//! with = + - @, a tab or a carriage return) is neutralised with a leading apostrophe.

use super::Report;
use crate::metrics::catalog;
use anyhow::{Context, Result};
use std::path::Path;

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Num(f64),
    Empty,
}

impl Cell {
    fn opt(v: Option<f64>) -> Cell {
        v.filter(|x| x.is_finite()).map(Cell::Num).unwrap_or(Cell::Empty)
    }

    fn text(s: impl Into<String>) -> Cell {
        Cell::Text(neutralise(&s.into()))
    }

    fn csv(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Num(v) => format!("{v}"),
            Cell::Empty => String::new(),
        }
    }
}

/// Text a spreadsheet could evaluate as a formula gets a leading apostrophe.
pub fn neutralise(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_string(),
    }
}

pub struct Table {
    pub name: &'static str,
    pub columns: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
}

fn driver_table(name: &'static str, rows: &[crate::drivers::DriverRow]) -> Table {
    Table {
        name,
        columns: vec![
            "rank",
            "driver",
            "contacts",
            "tickets",
            "calls",
            "share_pct",
            "previous",
            "previous_share_pct",
            "change",
            "change_share_pts",
            "significant",
            "p_value",
            "csat_pct",
            "csat_n",
            "ces",
            "ces_n",
            "median_resolution_seconds",
            "aht_seconds",
            "owner",
            "new",
        ],
        rows: rows
            .iter()
            .map(|d| {
                vec![
                    Cell::Num(d.rank as f64),
                    Cell::text(&d.name),
                    Cell::Num(d.count as f64),
                    Cell::Num(d.tickets as f64),
                    Cell::Num(d.calls as f64),
                    Cell::Num(d.share),
                    Cell::Num(d.prev_count as f64),
                    Cell::Num(d.prev_share),
                    Cell::Num(d.delta_count as f64),
                    Cell::Num(d.delta_share_pts),
                    d.significant.map(|s| Cell::text(s.to_string())).unwrap_or(Cell::Empty),
                    Cell::opt(d.p_value),
                    Cell::opt(d.csat),
                    Cell::Num(d.csat_n as f64),
                    Cell::opt(d.ces),
                    Cell::Num(d.ces_n as f64),
                    Cell::opt(d.median_resolution_seconds),
                    Cell::opt(d.aht_seconds),
                    d.owner.as_ref().map(Cell::text).unwrap_or(Cell::Empty),
                    Cell::text(d.is_new.to_string()),
                ]
            })
            .collect(),
    }
}

fn heat_table(name: &'static str, value: &'static str, h: &crate::drivers::HeatMap) -> Table {
    let mut rows = Vec::new();
    for (r, (vals, ns)) in h.rows.iter().zip(h.values.iter().zip(&h.n)) {
        for (c, (v, n)) in h.columns.iter().zip(vals.iter().zip(ns)) {
            rows.push(vec![Cell::text(r), Cell::text(c), Cell::opt(*v), Cell::Num(*n as f64)]);
        }
    }
    Table { name, columns: vec!["row", "column", value, "n"], rows }
}

/// Every table of the report, at the granularity its charts use.
pub fn tables(r: &Report) -> Vec<Table> {
    let metric_row = |c: &crate::compare::Comparison| {
        let def = catalog::get(c.id);
        vec![
            Cell::text(c.id),
            Cell::text(def.label_en),
            Cell::text(format!("{:?}", def.unit).to_lowercase()),
            Cell::opt(c.current.value),
            Cell::Num(c.current.n as f64),
            Cell::opt(c.previous.value),
            Cell::opt(c.vs_previous.abs),
            Cell::opt(c.vs_previous.rel),
            c.vs_previous.significant.map(|s| Cell::text(s.to_string())).unwrap_or(Cell::Empty),
            Cell::opt(c.vs_previous.p_value),
            Cell::opt(c.year_ago.value),
            Cell::opt(c.target),
            c.target_met.map(|m| Cell::text(m.to_string())).unwrap_or(Cell::Empty),
            Cell::text(c.current.needs.join(" ")),
        ]
    };
    let metric_cols = vec![
        "id",
        "label",
        "unit",
        "value",
        "n",
        "previous",
        "change",
        "change_relative",
        "significant",
        "p_value",
        "year_ago",
        "target",
        "target_met",
        "needs",
    ];
    let mut out = vec![
        Table {
            name: "scorecard",
            columns: metric_cols.clone(),
            rows: super::SCORECARD
                .iter()
                .filter_map(|id| r.comparisons.iter().find(|c| c.id == *id))
                .map(metric_row)
                .collect(),
        },
        Table { name: "metrics", columns: metric_cols, rows: r.comparisons.iter().map(metric_row).collect() },
        Table {
            name: "trend",
            columns: vec!["id", "period", "value"],
            rows: r
                .comparisons
                .iter()
                .flat_map(|c| {
                    r.trend
                        .iter()
                        .zip(&c.trend)
                        .map(|(p, v)| vec![Cell::text(c.id), Cell::text(p.to_string()), Cell::opt(*v)])
                        .collect::<Vec<_>>()
                })
                .collect(),
        },
        driver_table("drivers", &r.drivers.top),
        driver_table("drivers_tickets", &r.drivers.top_tickets),
        driver_table("drivers_calls", &r.drivers.top_calls),
    ];
    if let Some(p) = &r.drivers.by_product {
        out.push(driver_table("by_product", &p.rows));
    }
    if let Some(l) = &r.drivers.by_location {
        out.push(driver_table("by_location", &l.rows));
    }
    if let Some(h) = &r.drivers.csat_heatmap {
        out.push(heat_table("csat_by_driver_channel", "csat_pct", h));
    }
    if let Some(h) = &r.drivers.ces_heatmap {
        out.push(heat_table("ces_by_driver_channel", "ces", h));
    }
    if let Some(h) = &r.drivers.contacts_heatmap {
        out.push(heat_table("contacts_by_weekday_hour", "contacts_per_day", h));
    }
    out.push(Table {
        name: "alerts",
        columns: vec!["id", "level", "value", "bound", "worse"],
        rows: r
            .alerts
            .iter()
            .map(|a| {
                vec![
                    Cell::text(a.id),
                    Cell::text(format!("{:?}", a.level).to_lowercase()),
                    Cell::Num(a.value),
                    Cell::Num(a.bound),
                    Cell::text(a.worse),
                ]
            })
            .collect(),
    });
    out.push(Table {
        name: "actions",
        columns: vec!["action", "why", "owner", "due", "kpi", "kpi_target", "details"],
        rows: r
            .actions
            .iter()
            .map(|a| {
                vec![
                    Cell::text(&a.action),
                    Cell::text(&a.why),
                    Cell::text(&a.owner),
                    Cell::text(&a.due),
                    Cell::text(&a.kpi),
                    Cell::text(&a.kpi_target),
                    Cell::text(a.details.join(" | ")),
                ]
            })
            .collect(),
    });
    out.push(Table {
        name: "data_quality",
        columns: vec!["source", "column", "problem", "count", "first_row", "first_value", "rows_dropped"],
        rows: r
            .sources
            .iter()
            .flat_map(|s| {
                s.issues.iter().map(|i| {
                    vec![
                        Cell::text(&s.name),
                        Cell::text(&i.column),
                        Cell::text(&i.problem),
                        Cell::Num(i.count as f64),
                        Cell::Num(i.first_row as f64),
                        Cell::text(&i.first_value),
                        Cell::text(i.rows_dropped.to_string()),
                    ]
                })
            })
            .collect(),
    });
    out
}

/// One CSV per table, in `dir`.
pub fn write_csv(tables: &[Table], dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("failed to create `{}`", dir.display()))?;
    for t in tables {
        let path = dir.join(format!("{}.csv", t.name));
        let mut w = csv::Writer::from_path(&path).with_context(|| format!("failed to create `{}`", path.display()))?;
        w.write_record(&t.columns)?;
        for row in &t.rows {
            w.write_record(row.iter().map(Cell::csv))?;
        }
        w.flush().with_context(|| format!("failed to write `{}`", path.display()))?;
    }
    Ok(())
}

/// report.xlsx: a sheet per table, numbers as numbers, a bold header, frozen panes.
/// The document's creation time is the report's as-of, so reruns are identical.
pub fn xlsx_bytes(tables: &[Table], as_of: &chrono::NaiveDateTime) -> Result<Vec<u8>> {
    use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook};
    let mut wb = Workbook::new();
    let created = ExcelDateTime::from_ymd(
        chrono::Datelike::year(as_of) as u16,
        chrono::Datelike::month(as_of) as u8,
        chrono::Datelike::day(as_of) as u8,
    )?
    .and_hms(chrono::Timelike::hour(as_of) as u16, chrono::Timelike::minute(as_of) as u8, 0)?;
    wb.set_properties(&DocProperties::new().set_creation_datetime(&created).set_author("csreport"));
    let bold = Format::new().set_bold();
    let number = Format::new().set_num_format("#,##0.00");
    for t in tables {
        let ws = wb.add_worksheet();
        ws.set_name(t.name.chars().take(31).collect::<String>())?;
        for (c, name) in t.columns.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *name, &bold)?;
        }
        for (r, row) in t.rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c) = (r as u32 + 1, c as u16);
                match cell {
                    Cell::Text(s) => {
                        ws.write_string(r, c, s)?;
                    }
                    Cell::Num(v) => {
                        ws.write_number_with_format(r, c, *v, &number)?;
                    }
                    Cell::Empty => {}
                }
            }
        }
        ws.set_freeze_panes(1, 0)?;
    }
    Ok(wb.save_to_buffer()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_like_text_is_neutralised() {
        assert_eq!(neutralise("=HYPERLINK(\"http://e.vil\")"), "'=HYPERLINK(\"http://e.vil\")");
        assert_eq!(neutralise("+33 6 12"), "'+33 6 12");
        assert_eq!(neutralise("-1+1"), "'-1+1");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("Billing"), "Billing");
        // Numbers are cells of their own kind: a negative change stays a number.
        assert_eq!(Cell::opt(Some(-5.7)).csv(), "-5.7");
    }
}
