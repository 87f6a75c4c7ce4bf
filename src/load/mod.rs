//! load: read each configured input (CSV, JSON array, NDJSON) with polars, map it to
//! the canonical columns, type every value, and count what had to be dropped.
//!
//! Every source is read as text first and typed here, so that a bad value is reported
//! with its row and column instead of becoming a silent null.

pub mod parse;
pub mod schema;

use crate::config::{Config, InputSpec};
use anyhow::{bail, Context, Result};
use chrono_tz::Tz;
use parse::LocalClock;
use polars::prelude::*;
use schema::Kind;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// One loaded source: canonical, typed columns (timestamps as epoch ms, UTC).
pub struct Source {
    pub name: &'static str,
    pub frame: DataFrame,
    pub meta: SourceMeta,
}

impl Source {
    pub fn has(&self, column: &str) -> bool {
        self.frame.get_column_names().iter().any(|c| c.as_str() == column)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceMeta {
    pub name: String,
    /// The path as written in the config.
    pub path: String,
    pub format: String,
    pub profile: String,
    pub rows_read: u64,
    pub rows_kept: u64,
    /// First and last local day of the column that places rows in time.
    pub coverage: Option<(String, String)>,
    pub mapped_columns: Vec<String>,
    pub issues: Vec<QualityIssue>,
}

/// A data-quality finding: what was wrong, how often, and the first place it happened.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct QualityIssue {
    pub column: String,
    pub problem: String,
    pub count: u64,
    /// 1-based data row (the header is not counted).
    pub first_row: u64,
    pub first_value: String,
    /// Whether the rows were dropped (a required value) or only the value was.
    pub rows_dropped: bool,
}

#[derive(Default)]
pub struct Loaded {
    pub tickets: Option<Source>,
    pub calls: Option<Source>,
    pub surveys: Option<Source>,
    pub agent_time: Option<Source>,
}

impl Loaded {
    pub fn sources(&self) -> impl Iterator<Item = &Source> {
        [&self.tickets, &self.calls, &self.surveys, &self.agent_time].into_iter().flatten()
    }
}

/// Load every input of the config; paths are relative to `base_dir` (the config's folder).
pub fn load_all(cfg: &Config, base_dir: &Path) -> Result<Loaded> {
    let tz = cfg.timezone()?;
    let mut out = Loaded::default();
    for (name, spec) in cfg.inputs.iter() {
        let src = load_source(name, spec, base_dir, tz)?;
        match name {
            "tickets" => out.tickets = Some(src),
            "calls" => out.calls = Some(src),
            "surveys" => out.surveys = Some(src),
            _ => out.agent_time = Some(src),
        }
    }
    Ok(out)
}

pub fn resolve_path(spec: &InputSpec, base_dir: &Path) -> PathBuf {
    if spec.path.is_absolute() {
        spec.path.clone()
    } else {
        base_dir.join(&spec.path)
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Format {
    Csv,
    Json,
    Ndjson,
}

pub fn format_of(path: &Path) -> Result<Format> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    Ok(match ext.as_str() {
        "csv" | "tsv" | "txt" => Format::Csv,
        "json" => Format::Json,
        "ndjson" | "jsonl" => Format::Ndjson,
        _ => bail!(
            "`{}`: cannot tell the format from the extension `.{ext}`: expected .csv, .tsv, .json (an array of objects), .ndjson or .jsonl",
            path.display()
        ),
    })
}

pub fn load_source(name: &'static str, spec: &InputSpec, base_dir: &Path, tz: Tz) -> Result<Source> {
    let path = resolve_path(spec, base_dir);
    let shown = path.display().to_string();
    let format = format_of(&path)?;
    if !path.is_file() {
        bail!("[inputs.{name}] path `{shown}`: no such file");
    }
    let (cols, time_col) = schema::columns(name);
    let wanted: Vec<&str> = cols.iter().map(|c| c.name).collect();
    let (raw, present) =
        read_text_frame(&path, format, &wanted).with_context(|| format!("failed to read `{shown}` ({name})"))?;
    let missing: Vec<&str> =
        cols.iter().filter(|c| c.required && !present.iter().any(|p| p == c.name)).map(|c| c.name).collect();
    if !missing.is_empty() {
        bail!(
            "`{shown}` ({name}): missing required column{} {}; the file has: {}",
            if missing.len() > 1 { "s" } else { "" },
            missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", "),
            present.join(", ")
        );
    }
    let rows_read = raw.height() as u64;
    let mut clock = LocalClock::new(tz);
    let mut typed: Vec<Column> = Vec::new();
    let mut issues = Vec::new();
    let mut keep = vec![true; raw.height()];
    let mut mapped = Vec::new();
    for col in cols.iter() {
        let Ok(c) = raw.column(col.name) else { continue };
        mapped.push(col.name.to_string());
        let text = c.str().map_err(|e| anyhow::anyhow!("`{shown}`: column `{}` is not text: {e}", col.name))?;
        let mut bad = BadValues::default();
        let series: Series = match col.kind {
            Kind::Text => {
                let v: StringChunked = text.iter().map(|o| o.map(str::trim).filter(|s| !s.is_empty())).collect();
                v.with_name(col.name.into()).into_series()
            }
            Kind::Code => {
                let v: StringChunked =
                    text.iter().map(|o| o.map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty())).collect();
                v.with_name(col.name.into()).into_series()
            }
            Kind::Timestamp | Kind::Date => {
                let v: Int64Chunked = text
                    .iter()
                    .enumerate()
                    .map(|(i, o)| {
                        let s = o?.trim();
                        if s.is_empty() {
                            return None;
                        }
                        let r = parse::timestamp(s, &mut clock);
                        if r.is_none() {
                            bad.note(i, s);
                        }
                        r
                    })
                    .collect();
                v.with_name(col.name.into()).into_series()
            }
            Kind::Number => {
                let v: Float64Chunked = text
                    .iter()
                    .enumerate()
                    .map(|(i, o)| {
                        let s = o?.trim();
                        if s.is_empty() {
                            return None;
                        }
                        let r = parse::number(s);
                        if r.is_none() {
                            bad.note(i, s);
                        }
                        r
                    })
                    .collect();
                v.with_name(col.name.into()).into_series()
            }
            Kind::Bool => {
                let v: BooleanChunked = text
                    .iter()
                    .enumerate()
                    .map(|(i, o)| {
                        let s = o?.trim();
                        if s.is_empty() {
                            return None;
                        }
                        let r = parse::boolean(s);
                        if r.is_none() {
                            bad.note(i, s);
                        }
                        r
                    })
                    .collect();
                v.with_name(col.name.into()).into_series()
            }
        };
        if col.required {
            // A required value that is empty or unreadable drops the row.
            let mut empty = BadValues::default();
            for (i, v) in text.iter().enumerate() {
                if v.map(str::trim).unwrap_or("").is_empty() {
                    empty.note(i, "");
                }
            }
            for (set, problem) in [(&bad, expected(col.kind)), (&empty, "empty required value".to_string())] {
                if let Some(issue) = set.issue(col.name, problem, true) {
                    issues.push(issue);
                }
                for &i in &set.rows {
                    keep[i] = false;
                }
            }
        } else if let Some(issue) = bad.issue(col.name, expected(col.kind), false) {
            issues.push(issue);
        }
        typed.push(series.into_column());
    }
    let mut frame = DataFrame::new_infer_height(typed)?;
    let dropped = keep.iter().filter(|k| !**k).count();
    if dropped > 0 {
        let mask: BooleanChunked = keep.iter().map(|k| Some(*k)).collect();
        frame = frame.filter(&mask)?;
    }
    let coverage = coverage(&frame, time_col, tz)?;
    let meta = SourceMeta {
        name: name.to_string(),
        path: spec.path.display().to_string(),
        format: format!("{format:?}").to_lowercase(),
        profile: spec.profile.clone(),
        rows_read,
        rows_kept: frame.height() as u64,
        coverage,
        mapped_columns: mapped,
        issues,
    };
    Ok(Source { name, frame, meta })
}

fn expected(kind: Kind) -> String {
    match kind {
        Kind::Timestamp => "not a timestamp (expected ISO 8601 such as 2026-07-01T09:30:00Z or 2026-07-01 11:30:00)",
        Kind::Date => "not a date (expected YYYY-MM-DD)",
        Kind::Number => "not a number",
        Kind::Bool => "not a boolean (expected true/false, yes/no, 1/0)",
        Kind::Text | Kind::Code => "unreadable text",
    }
    .to_string()
}

#[derive(Default)]
struct BadValues {
    rows: Vec<usize>,
    first: Option<(usize, String)>,
}

impl BadValues {
    fn note(&mut self, i: usize, v: &str) {
        if self.first.is_none() {
            self.first = Some((i, v.chars().take(60).collect()));
        }
        self.rows.push(i);
    }

    fn issue(&self, column: &str, problem: String, rows_dropped: bool) -> Option<QualityIssue> {
        let (row, value) = self.first.clone()?;
        Some(QualityIssue {
            column: column.to_string(),
            problem,
            count: self.rows.len() as u64,
            first_row: row as u64 + 1,
            first_value: value,
            rows_dropped,
        })
    }
}

fn coverage(frame: &DataFrame, time_col: &str, tz: Tz) -> Result<Option<(String, String)>> {
    let Ok(c) = frame.column(time_col) else { return Ok(None) };
    let ca = c.i64()?;
    Ok(match (ca.min(), ca.max()) {
        (Some(a), Some(b)) => Some((
            parse::local_date(a, tz).map(|d| d.to_string()).unwrap_or_default(),
            parse::local_date(b, tz).map(|d| d.to_string()).unwrap_or_default(),
        )),
        _ => None,
    })
}

/// Read the `wanted` columns of a file as text; also returns every column name it has.
fn read_text_frame(path: &Path, format: Format, wanted: &[&str]) -> Result<(DataFrame, Vec<String>)> {
    let pl_path = PlRefPath::try_from_path(path)?;
    let lf = match format {
        Format::Csv => {
            let sep = if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("tsv")) { b'\t' } else { b',' };
            LazyCsvReader::new(pl_path)
                .with_has_header(true)
                .with_separator(sep)
                .with_infer_schema_length(Some(0))
                .with_missing_is_null(true)
                .finish()?
        }
        Format::Ndjson => LazyJsonLineReader::new(pl_path).with_infer_schema_length(None).finish()?,
        Format::Json => {
            let file = std::fs::File::open(path)?;
            JsonReader::new(file).with_json_format(JsonFormat::Json).infer_schema_len(None).finish()?.lazy()
        }
    };
    let mut lf = lf;
    let schema = lf.collect_schema()?;
    let names: Vec<String> = schema.iter_names().map(|n| n.to_string()).collect();
    let exprs: Vec<Expr> = schema
        .iter_names()
        .filter(|n| wanted.contains(&n.as_str()))
        .map(|n| {
            let e = col(n.clone());
            if schema.get(n) == Some(&DataType::String) {
                e
            } else {
                e.cast(DataType::String)
            }
        })
        .collect();
    Ok((lf.select(exprs).collect()?, names))
}
