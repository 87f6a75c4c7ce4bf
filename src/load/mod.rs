//! load: read each configured input (CSV, JSON array, NDJSON, Parquet), map it to
//! the canonical columns, type every value, and count what had to be dropped.
//!
//! Every value is typed here (a CSV's plain timestamps and numbers as its records are
//! split), so that a bad value is reported with its row and column instead of becoming
//! a silent null.

mod dialect;
mod fields;
mod ndjson;
pub mod parse;
pub mod profile;
pub mod schema;
pub(crate) mod stack;

use crate::config::{Config, InputSpec};
use anyhow::{bail, Context, Result};
use chrono_tz::Tz;
use parse::LocalClock;
use polars::prelude::*;
use polars_arrow::array::{Array as _, MutableBinaryViewArray};
use profile::Profile;
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

    /// The same source with other rows (a period's, a filter's): its name and what was
    /// found while loading it kept.
    pub fn with_rows(&self, rows: impl FnOnce(&DataFrame) -> Result<DataFrame>) -> Result<Source> {
        Ok(Source { name: self.name, frame: rows(&self.frame)?, meta: self.meta.clone() })
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
    /// Rows folded into others by an event log's reduction (not rejected).
    pub rows_merged: u64,
    pub rows_kept: u64,
    /// First and last local day of the column that places rows in time.
    pub coverage: Option<(String, String)>,
    /// How each canonical column was filled (`created_at ← \`Created at\``).
    pub mapped_columns: Vec<String>,
    pub issues: Vec<QualityIssue>,
    /// What was assumed while reading (decoding, separator, event-log reduction).
    pub notes: Vec<String>,
    /// Canonical columns not mapped because a column the profile names for them is not
    /// in the file.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unmatched: Vec<Unmatched>,
}

#[cfg(test)]
impl SourceMeta {
    /// A source read from nowhere, with no findings: for frames made by hand in tests.
    pub(crate) fn of_test(name: &str) -> SourceMeta {
        SourceMeta {
            name: name.into(),
            path: String::new(),
            format: String::new(),
            profile: String::new(),
            rows_read: 0,
            rows_merged: 0,
            rows_kept: 0,
            coverage: None,
            mapped_columns: vec![],
            issues: vec![],
            notes: vec![],
            unmatched: vec![],
        }
    }
}

/// A canonical column the profile reads from a column the file does not have.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Unmatched {
    pub column: String,
    /// The column the profile names.
    pub source: String,
    /// A column of the file whose name differs from it only in case, spaces or
    /// punctuation: most likely the one meant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub like: Option<String>,
}

/// Whether `mapped` (`SourceMeta::mapped_columns`: `created_at ← …`) fills `column`.
pub fn maps(mapped: &[String], column: &str) -> bool {
    mapped.iter().any(|m| m.split(' ').next() == Some(column))
}

/// The canonical columns of `source` that `mapped` lacks because a column `profile`
/// names for them is not among the file's `columns`.
fn unmatched(source: &str, profile: &Profile, mapped: &[String], columns: &[String]) -> Vec<Unmatched> {
    let (all, _) = schema::columns(source);
    all.iter()
        .filter(|c| !maps(mapped, c.name))
        .filter_map(|c| {
            let missing = profile.named_sources(c.name).into_iter().find(|s| !columns.contains(s))?;
            Some(Unmatched { column: c.name.to_string(), like: spelled_like(&missing, columns), source: missing })
        })
        .collect()
}

/// The column of `columns` whose name is `name` but for case, spaces and punctuation.
fn spelled_like(name: &str, columns: &[String]) -> Option<String> {
    let key = |s: &str| s.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect::<String>();
    let k = key(name);
    columns.iter().find(|c| c.as_str() != name && !k.is_empty() && key(c) == k).cloned()
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
    // The inputs are read side by side (each is mostly single-threaded work: decoding,
    // checking, typing values); results are placed by name, so the order is fixed.
    let inputs: Vec<(&'static str, &InputSpec)> = cfg.inputs.iter().collect();
    let loaded: Vec<(&'static str, Result<(Source, Displayed)>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = inputs
            .iter()
            .map(|(name, spec)| {
                (
                    *name,
                    scope.spawn(move || -> Result<(Source, Displayed)> {
                        let src = load_source(name, spec, base_dir, tz, cfg)?;
                        let shown = displayed(&src.frame)?;
                        Ok((src, shown))
                    }),
                )
            })
            .collect();
        handles.into_iter().map(|(name, h)| (name, h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))).collect()
    });
    let mut shown: Vec<(&'static str, Displayed)> = Vec::new();
    for (name, src) in loaded {
        let (src, values) = src?;
        shown.push((name, values));
        match name {
            "tickets" => out.tickets = Some(src),
            "calls" => out.calls = Some(src),
            "surveys" => out.surveys = Some(src),
            _ => out.agent_time = Some(src),
        }
    }
    // Personal data out of everything displayed: e-mail addresses, phone numbers and
    // the customers' own ids, wherever people typed them.
    let redactor = crate::redact::Redactor::new(customer_ids(&out, &shown)?);
    for src in [&mut out.tickets, &mut out.calls, &mut out.surveys, &mut out.agent_time].into_iter().flatten() {
        let values = shown.iter().find(|(n, _)| *n == src.name).map(|(_, v)| v.as_slice()).unwrap_or_default();
        redact_text(&mut src.frame, values, &redactor)?;
        for issue in src.meta.issues.iter_mut() {
            issue.first_value = redactor.finding(&issue.column, &issue.first_value);
        }
    }
    Ok(out)
}

/// The customer ids that occur as a word of a displayed value or a finding: the words
/// of the (few) distinct displayed values are looked up in the customer_id columns,
/// rather than every id being gathered. Each id is looked up by its string view (a value
/// of up to 12 bytes as one integer, `crate::views`), the columns in two halves side by
/// side: the lookup is on one core between the loading and the derived columns (W1's
/// 3M ids through polars' `is_in`: 20-30 ms).
fn customer_ids(data: &Loaded, shown: &[(&'static str, Displayed)]) -> Result<Vec<String>> {
    use crate::views::{chunk_values, short_key, TextKey};
    let mut words: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    for (_, columns) in shown {
        for (_, values) in columns {
            for v in values {
                words.extend(crate::redact::words(v).map(|(_, w)| w.to_string()));
            }
        }
    }
    for src in data.sources() {
        for issue in &src.meta.issues {
            words.extend(crate::redact::words(&issue.first_value).map(|(_, w)| w.to_string()));
        }
    }
    if words.is_empty() {
        return Ok(Vec::new());
    }
    let mut short: rustc_hash::FxHashSet<u128> = Default::default();
    let mut long: rustc_hash::FxHashSet<&str> = Default::default();
    // The words' (length, first byte) pairs, lengths past 63 as 63: most ids are no
    // word's, and are passed over on their view's length and prefix.
    let pair = |len: usize, first: u8| len.min(63) * 256 + first as usize;
    let mut pairs = vec![false; 64 * 256];
    for w in &words {
        pairs[pair(w.len(), w.as_bytes().first().copied().unwrap_or(0))] = true;
        let view = (w.len() <= polars_arrow::array::View::MAX_INLINE_SIZE as usize)
            .then(|| polars_arrow::array::View::new_inline(w.as_bytes()));
        match view.and_then(short_key) {
            Some(k) => short.insert(k),
            None => long.insert(w.as_str()),
        };
    }
    let (short, long, pairs) = (&short, &long, &pairs);
    let found_in = |ca: &StringChunked| -> std::collections::BTreeSet<String> {
        let mut found = std::collections::BTreeSet::new();
        for arr in ca.downcast_iter() {
            for v in chunk_values(arr).flatten() {
                if !pairs[pair(v.len(), v.view.prefix.to_ne_bytes()[0])] {
                    continue;
                }
                let hit = match v.key() {
                    TextKey::Short(k) => short.contains(&k),
                    TextKey::Long(text) => long.contains(text),
                };
                if hit && !found.contains(v.text()) {
                    found.insert(v.text().to_string());
                }
            }
        }
        found
    };
    let mut halves = Vec::new();
    for src in [&data.tickets, &data.calls].into_iter().flatten().filter(|s| s.has("customer_id")) {
        let ids = src.frame.column("customer_id")?.str()?;
        let mid = ids.len() / 2;
        halves.push(ids.slice(0, mid));
        halves.push(ids.slice(mid as i64, ids.len() - mid));
    }
    let (first, second): (Vec<_>, Vec<_>) = halves.iter().enumerate().partition(|(i, _)| i % 2 == 0);
    let ids = std::thread::scope(|scope| {
        let other = scope.spawn(|| second.iter().flat_map(|(_, ca)| found_in(ca)).collect::<Vec<_>>());
        let mut mine: std::collections::BTreeSet<String> = first.iter().flat_map(|(_, ca)| found_in(ca)).collect();
        mine.extend(other.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
        mine
    });
    Ok(ids.into_iter().collect())
}

/// Scores off their configured scale: kept in the data, excluded (and counted) by the
/// metric that reads them; listed here so that validate and the appendix show them.
fn off_scale(name: &str, frame: &DataFrame, cfg: &Config) -> Result<Vec<QualityIssue>> {
    let has = |c: &str| frame.get_column_names().iter().any(|n| n.as_str() == c);
    let sv = &cfg.surveys;
    let checks: Vec<(&str, Option<&str>, f64, f64)> = match name {
        "surveys" => vec![
            ("score", Some("csat"), sv.csat_min, sv.csat_max),
            ("score", Some("nps"), 0.0, 10.0),
            ("score", Some("ces"), sv.ces_min, sv.ces_max),
        ],
        "tickets" => vec![(
            "csat_score",
            None,
            cfg.tickets.csat_min.unwrap_or(sv.csat_min),
            cfg.tickets.csat_max.unwrap_or(sv.csat_max),
        )],
        _ => vec![],
    };
    let mut out = Vec::new();
    for (column, kind, lo, hi) in checks {
        if !has(column) {
            continue;
        }
        let scores = frame.column(column)?.f64()?;
        let kinds = match kind {
            Some(_) => Some(crate::labels::text(frame.column("kind")?)?),
            None => None,
        };
        let mut bad = BadValues::default();
        for (i, v) in scores.iter().enumerate() {
            let Some(v) = v else { continue };
            let of_kind = match (&kinds, kind) {
                (Some(k), Some(want)) => k.get(i) == Some(want),
                _ => true,
            };
            if of_kind && !(lo..=hi).contains(&v) {
                bad.note(i, &v.to_string());
            }
        }
        bad.renumber_to_file(frame)?;
        let what = kind.map_or("CSAT".to_string(), str::to_uppercase);
        let problem = format!("{what} score outside its scale {lo}–{hi}: excluded from {what}");
        out.extend(bad.issue(&format!("{column} ({})", kind.unwrap_or("csat")), problem, false));
    }
    Ok(out)
}

/// The files of an input, resolved against the config's folder.
pub fn resolve_paths(spec: &InputSpec, base_dir: &Path) -> Vec<PathBuf> {
    spec.path
        .list()
        .into_iter()
        .map(PathBuf::from)
        .map(|p| if p.is_absolute() { p } else { base_dir.join(p) })
        .collect()
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Format {
    Csv,
    Json,
    Ndjson,
    Parquet,
}

pub fn format_of(path: &Path) -> Result<Format> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    Ok(match ext.as_str() {
        "csv" | "tsv" | "txt" => Format::Csv,
        "json" => Format::Json,
        "ndjson" | "jsonl" => Format::Ndjson,
        "parquet" | "pq" => Format::Parquet,
        // A workbook: saved as CSV from the spreadsheet, it is read.
        "xlsx" | "xlsm" | "xls" | "ods" | "numbers" => bail!(
            "`{}`: a spreadsheet workbook (`.{ext}`) is not read: save the sheet as \"CSV UTF-8\" (or \"Unicode text\") and point the input at that file",
            path.display()
        ),
        "gz" | "zip" | "bz2" | "xz" | "zst" | "7z" => bail!(
            "`{}`: a compressed file (`.{ext}`) is not read: uncompress it and point the input at the file inside",
            path.display()
        ),
        _ => bail!(
            "`{}`: cannot tell the format from the extension `.{ext}`: expected .csv, .tsv, .json (an array of objects), .ndjson, .jsonl or .parquet",
            path.display()
        ),
    })
}

/// The column that carries each row's index in the file (0-based) until loading ends,
/// once rows are dropped or merged; until then a row's index is its place in the frame,
/// and the column is not made (it was 8 bytes a row at the load's peak: 26 MB for W1).
const ROW: &str = "__row";

fn has_file_rows(frame: &DataFrame) -> bool {
    frame.get_column_names().iter().any(|c| c.as_str() == ROW)
}

/// The frame with its ROW column, made as the frame's places if it is not there yet:
/// before the first step that drops or merges rows.
fn with_file_rows(mut frame: DataFrame) -> Result<DataFrame> {
    if !has_file_rows(&frame) {
        let rows = UInt64Chunked::from_vec(ROW.into(), (0..frame.height() as u64).collect());
        frame.with_column(rows.into_column())?;
    }
    Ok(frame)
}

/// The rows (from 0) of the non-null values of a number column (8- or 4-byte floats,
/// `schema::COMPACT`) for which `hit` holds, read from the value slices: validity is
/// looked at only for a hit.
fn rows_where(values: &Column, hit: impl Fn(f64) -> bool) -> Result<Vec<usize>> {
    fn scan<'a, T: polars_arrow::types::NativeType>(
        arrays: impl Iterator<Item = &'a polars_arrow::array::PrimitiveArray<T>>,
        wide: impl Fn(T) -> f64,
        hit: impl Fn(f64) -> bool,
    ) -> Vec<usize> {
        let mut out = Vec::new();
        let mut offset = 0;
        for arr in arrays {
            for (i, v) in arr.values().iter().enumerate() {
                if hit(wide(*v)) && arr.is_valid(i) {
                    out.push(offset + i);
                }
            }
            offset += arr.len();
        }
        out
    }
    Ok(match values.dtype() {
        DataType::Float32 => scan(values.f32()?.downcast_iter(), f64::from, hit),
        _ => scan(values.f64()?.downcast_iter(), |v| v, hit),
    })
}

/// Row `i`'s value of a number column (see rows_where), as the 8-byte float it was read as.
fn number_at(values: &Column, i: usize) -> Result<f64> {
    Ok(values.get(i)?.extract::<f64>().unwrap_or_default())
}

/// Each row's index in the file (see ROW).
fn file_rows(frame: &DataFrame) -> Result<Vec<usize>> {
    if !has_file_rows(frame) {
        return Ok((0..frame.height()).collect());
    }
    Ok(frame.column(ROW)?.u64()?.iter().map(|r| r.unwrap_or(0) as usize).collect())
}

/// Text values of one canonical column before typing, with where each came from.
struct TextColumn<'a> {
    values: Vec<Option<&'a str>>,
    /// The source column(s), for messages.
    source: String,
}

/// Loads one input (the config gives the score scales to check against).
pub fn load_source(name: &'static str, spec: &InputSpec, base_dir: &Path, tz: Tz, cfg: &Config) -> Result<Source> {
    // A CSV whose encoding is "auto" is read as UTF-8 until a byte says otherwise; then
    // the input is read again with that file as Windows-1252.
    let mut fallback: Vec<PathBuf> = Vec::new();
    loop {
        match load_source_from(name, spec, base_dir, tz, cfg, &fallback) {
            Err(e) => match e.downcast_ref::<NotUtf8>() {
                Some(NotUtf8(path)) if !fallback.contains(path) => fallback.push(path.clone()),
                _ => return Err(e),
            },
            loaded => return loaded,
        }
    }
}

fn load_source_from(
    name: &'static str,
    spec: &InputSpec,
    base_dir: &Path,
    tz: Tz,
    cfg: &Config,
    fallback: &[PathBuf],
) -> Result<Source> {
    let profile = Profile::resolve(&spec.profile, base_dir).with_context(|| format!("[inputs.{name}] profile"))?;
    let ptz: Tz = match &profile.timezone {
        Some(t) => t
            .parse()
            .map_err(|_| anyhow::anyhow!("profile `{}`: timezone `{t}` is not an IANA timezone", spec.profile))?,
        None => tz,
    };
    let paths = resolve_paths(spec, base_dir);
    let shown = paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ");
    let (cols, time_col) = schema::columns(name);
    let mut typer = Typer::new(name, &profile, &spec.profile, ptz, cols, shown.clone());
    let mut issues = Vec::new();
    let mut notes = Vec::new();
    let mut first_columns: Option<Vec<String>> = None;
    let mut height = 0usize;
    for path in &paths {
        let format = format_of(path)?;
        if !path.is_file() {
            bail!("[inputs.{name}] path `{}`: no such file", path.display());
        }
        let (mut raw, note) = read_raw(path, format, &profile, name, ptz, fallback.contains(path))
            .with_context(|| format!("failed to read `{}` ({name})", path.display()))?;
        notes.extend(note);
        let file_start = height;
        // The next chunk is read and split (on its own thread) while this one is typed;
        // the file's structure findings come once it is all read.
        let shape_issues = std::thread::scope(|scope| -> Result<Vec<QualityIssue>> {
            // The file's columns come with its first chunk.
            type Sent = Result<(fields::Chunk, Option<Vec<String>>)>;
            let (tx, rx) = std::sync::mpsc::sync_channel::<Sent>(1);
            let reader = scope.spawn(move || {
                let mut first = true;
                loop {
                    let (parsed, end) = match raw.next() {
                        Ok(Some(df)) => {
                            let columns = first.then(|| raw.columns(&df));
                            first = false;
                            (Ok((df, columns)), false)
                        }
                        Ok(None) => break,
                        Err(e) => (Err(e), true),
                    };
                    // A closed channel: the typing side stopped on an error.
                    if tx.send(parsed).is_err() || end {
                        break;
                    }
                }
                raw.issues()
            });
            let mut columns = Vec::new();
            for chunk in rx {
                let (chunk, file_columns) =
                    chunk.with_context(|| format!("failed to read `{}` ({name})", path.display()))?;
                if let Some(file_columns) = file_columns {
                    match &first_columns {
                        None => first_columns = Some(file_columns.clone()),
                        Some(first) if *first != file_columns => bail!(
                            "`{}` ({name}): its columns differ from the first file's: {} vs {}",
                            path.display(),
                            file_columns.join(", "),
                            first.join(", ")
                        ),
                        Some(_) => {}
                    }
                    columns = file_columns;
                }
                let rows = chunk.rows;
                typer.chunk(chunk, height, &columns)?;
                height += rows;
            }
            Ok(reader.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
        })?;
        // Rows of later files continue the numbering of the first.
        issues.extend(shape_issues.into_iter().map(|mut i| {
            i.first_row += file_start as u64;
            i
        }));
        if height == file_start {
            notes.push(format!("`{}` has no data rows", path.display()));
        }
    }
    let Typed { mut frame, keep, mut mapped, issues: typing } = typer.finish()?;
    issues.extend(typing);
    let rows_read = height as u64;
    if keep.iter().any(|k| !k) {
        let mask: BooleanChunked = keep.iter().map(|k| Some(*k)).collect();
        frame = with_file_rows(frame)?.filter(&mask)?;
    }
    let mut rows_merged = 0;
    if let Some(ev) = &profile.event_log {
        let id = schema::id_column(name).unwrap_or("agent");
        let before = frame.height();
        frame = reduce_event_log(with_file_rows(frame)?, id, ev)?;
        rows_merged = (before - frame.height()) as u64;
        for c in &ev.first {
            mapped.push(format!("{c} ← first `{}` of the {id}", ev.order_by));
        }
        for (c, w) in &ev.first_when {
            mapped.push(format!("{c} ← first `{}` where {} = {}", ev.order_by, w.column, w.equals));
        }
        notes.push(format!("event log: {before} events reduced to {} rows, one per {id}", frame.height()));
    } else if let Some(id) =
        schema::id_column(name).filter(|id| frame.get_column_names().iter().any(|c| c.as_str() == *id))
    {
        let (f, dup) = drop_duplicates(frame, id)?;
        frame = f;
        if let Some(d) = dup {
            issues.push(d);
        }
    }
    issues.extend(negative_durations(&frame, name)?);
    let (frame, absurd) = absurd_durations(frame)?;
    issues.extend(absurd);
    issues.extend(off_scale(name, &frame, cfg)?);
    let frame = if has_file_rows(&frame) { frame.drop(ROW)? } else { frame };
    let coverage = coverage(&frame, time_col, tz)?;
    let meta = SourceMeta {
        name: name.to_string(),
        path: spec.path.list().join(", "),
        format: paths
            .first()
            .and_then(|p| format_of(p).ok())
            .map(|f| format!("{f:?}").to_lowercase())
            .unwrap_or_default(),
        profile: spec.profile.clone(),
        rows_read,
        rows_merged,
        rows_kept: frame.height() as u64,
        coverage,
        unmatched: unmatched(name, &profile, &mapped, first_columns.as_deref().unwrap_or_default()),
        mapped_columns: mapped,
        issues,
        notes,
    };
    Ok(Source { name, frame, meta })
}

/// Where each canonical column stands across chunks: its source (once typed) and the
/// values it could not read, it found empty, or (codes) did not know.
#[derive(Default)]
struct ColState {
    source: Option<String>,
    bad: BadValues,
    empty: BadValues,
    unknown: BadValues,
}

/// Types an input's rows a chunk at a time, keeping its findings (counted over every
/// row, the first one named) until the last chunk.
struct Typer<'p> {
    name: &'static str,
    profile: &'p Profile,
    profile_name: String,
    cols: &'static [schema::Col],
    shown: String,
    nulls: Vec<String>,
    clock: LocalClock,
    state: Vec<ColState>,
    after: Vec<BadValues>,
    order: BadValues,
    keep: Vec<bool>,
    mapped: Vec<String>,
    /// The typed rows so far.
    stack: stack::Stack,
}

impl<'p> Typer<'p> {
    fn new(
        name: &'static str,
        profile: &'p Profile,
        profile_name: &str,
        ptz: Tz,
        cols: &'static [schema::Col],
        shown: String,
    ) -> Self {
        Typer {
            name,
            profile,
            profile_name: profile_name.to_string(),
            cols,
            shown,
            nulls: profile.null_tokens(),
            clock: LocalClock::new(ptz),
            state: cols.iter().map(|_| ColState::default()).collect(),
            after: profile.after.iter().map(|_| BadValues::default()).collect(),
            order: BadValues::default(),
            keep: Vec::new(),
            mapped: Vec::new(),
            stack: stack::Stack::with_labels(
                cols.iter().filter(|c| crate::labels::is_label(c.name, c.kind)).map(|c| c.name).collect(),
            )
            .with_compact(cols.iter().filter(|c| schema::COMPACT.contains(&c.name)).map(|c| c.name).collect()),
        }
    }

    /// Types the rows of `raw`, the input's rows `offset..` (`file_columns`: all of the
    /// file's columns, for messages; `raw` has those the profile reads).
    fn chunk(&mut self, chunk: fields::Chunk, offset: usize, file_columns: &[String]) -> Result<()> {
        let fields::Chunk { text: raw, typed: pretyped, rows: height, expected_rows, labels, .. } = chunk;
        let raw = &raw;
        let Typer { name, profile, profile_name, cols, shown, nulls, clock, state, after, order, keep, mapped, stack } =
            self;
        let (name, profile, cols, shown) = (*name, *profile, *cols, shown.as_str());
        let profile_name = profile_name.as_str();
        keep.resize(offset + height, true);
        // Columns typed as the CSV was split, by the canonical column that reads each.
        let mut pretyped: std::collections::HashMap<&str, fields::Typed> =
            pretyped.into_iter().map(|t| (t.canonical, t)).collect();
        // Label columns split as each row's number among the block's distinct values.
        let mut prelabeled: std::collections::HashMap<&str, fields::Label> =
            labels.into_iter().map(|l| (l.canonical, l)).collect();
        // Typed columns (Parquet) go to the canonical columns that read them as they are;
        // every other use reads them as text.
        let (raw, mut typed_in) = typed_columns(raw, profile, cols, clock)?;
        let raw = &raw;
        let present: Vec<String> = raw.get_column_names().iter().map(|c| c.to_string()).collect();
        let mut typed: Vec<Column> = Vec::new();
        let mut missing_required = Vec::new();
        // Cells borrow from the raw frame: no allocation per value.
        let text_of = |col: &str| -> Result<Option<Vec<Option<&str>>>> {
            let Ok(c) = raw.column(col) else { return Ok(None) };
            let ca = c.str().map_err(|e| anyhow::anyhow!("`{shown}`: column `{col}` is not text: {e}"))?;
            Ok(Some(cells(ca, nulls).collect()))
        };
        // A column read from one source column as it is (no constant, no split): its cells
        // are typed straight from the raw text, without a vector of them first.
        let plain_source = |c: &str| -> Option<(&StringChunked, String)> {
            if profile.constants.contains_key(c) || profile.split.contains_key(c) {
                return None;
            }
            let src = profile.columns.get(c).map(String::as_str).unwrap_or(c);
            Some((raw.column(src).ok()?.str().ok()?, format!("`{src}`")))
        };
        // Where each canonical column comes from.
        let text_column = |c: &str| -> Result<Option<TextColumn>> {
            if let Some(v) = profile.constants.get(c) {
                return Ok(Some(TextColumn {
                    values: vec![Some(v.as_str()); height],
                    source: format!("constant \"{v}\""),
                }));
            }
            if let Some(sp) = profile.split.get(c) {
                let Some(src) = text_of(&sp.column)? else { return Ok(None) };
                let values = src
                    .into_iter()
                    .map(|v| {
                        v.and_then(|v| v.split(sp.separator.as_str()).nth(sp.index))
                            .map(str::trim)
                            .filter(|p| !p.is_empty())
                    })
                    .collect();
                return Ok(Some(TextColumn { values, source: format!("part {} of `{}`", sp.index, sp.column) }));
            }
            let src = profile.columns.get(c).map(String::as_str).unwrap_or(c);
            Ok(text_of(src)?.map(|values| TextColumn { values, source: format!("`{src}`") }))
        };
        // A column's cells: straight from the raw text where it is read from one column as
        // it is, else through text_column (a constant, a part of a column).
        type Cells<'c> = Box<dyn Iterator<Item = Option<&'c str>> + 'c>;
        let text_column_cells = |c: &str| -> Result<Option<(Cells, String)>> {
            if let Some((ca, source)) = plain_source(c) {
                return Ok(Some((Box::new(cells(ca, nulls)), source)));
            }
            Ok(text_column(c)?.map(|t| (Box::new(t.values.into_iter()) as Cells, t.source)))
        };
        // Columns read as they are (no constant, split, value map or duration spec): plain
        // text is trimmed and its null tokens removed, and plain numbers are cast, by polars
        // in one parallel pass instead of value by value. The number values it could not
        // read (text that was there, but no finite number came out) are found after.
        let direct = |c: &&schema::Col| -> Option<(&'static str, String)> {
            let mapped = profile.constants.contains_key(c.name)
                || profile.split.contains_key(c.name)
                || profile.values.contains_key(c.name)
                || profile.durations.contains_key(c.name);
            let src = profile.columns.get(c.name).cloned().unwrap_or_else(|| c.name.to_string());
            (!mapped && !typed_in.contains_key(c.name) && present.contains(&src)).then_some((c.name, src))
        };
        let fast_text: Vec<(&str, String)> =
            cols.iter().filter(|c| c.kind == Kind::Text).filter_map(|c| direct(&c)).collect();
        let plain_numbers: Vec<(&str, String)> = cols
            .iter()
            .filter(|c| c.kind == Kind::Number && !profile.csv.decimal_comma)
            .filter_map(|c| direct(&c))
            .collect();
        let mut fast: std::collections::HashMap<&str, Series> = std::collections::HashMap::new();
        let mut numbers: std::collections::HashMap<&str, (Series, Series)> = std::collections::HashMap::new();
        if !fast_text.is_empty() || !plain_numbers.is_empty() {
            let mut tokens = nulls.clone();
            tokens.push(String::new());
            let tokens = Series::new("tokens".into(), tokens);
            let cleaned = |src: &str| {
                let t = col(src).str().strip_chars(lit(NULL));
                when(t.clone().is_in(lit(tokens.clone()).implode(false), false))
                    .then(lit(NULL).cast(DataType::String))
                    .otherwise(t)
            };
            // Most exports need no cleaning: a column with no padded value, no empty value
            // and no null token is taken as it is (no copy of its text).
            let token_list = nulls.clone();
            let as_read = |src: &str| -> Expr {
                let clean =
                    raw.column(src).ok().and_then(|c| c.str().ok()).is_some_and(|ca| already_clean(ca, &token_list));
                if clean {
                    col(src)
                } else {
                    cleaned(src)
                }
            };
            let mut exprs: Vec<Expr> = fast_text.iter().map(|(c, src)| as_read(src).alias(*c)).collect();
            for (c, src) in &plain_numbers {
                let text = as_read(src);
                exprs.push(text.clone().alias(format!("__text_{c}")));
                exprs.push(text.cast(DataType::Float64).alias(*c));
            }
            let df = raw.clone().lazy().select(exprs).collect()?;
            let series = |name: &str| -> Result<Series> { Ok(df.column(name)?.as_materialized_series().clone()) };
            for (c, _) in &fast_text {
                fast.insert(c, series(c)?);
            }
            for (c, _) in &plain_numbers {
                numbers.insert(c, (series(&format!("__text_{c}"))?, series(c)?));
            }
        }
        for (ci, col) in cols.iter().enumerate() {
            let mut bad = std::mem::take(&mut state[ci].bad);
            let mut empty = std::mem::take(&mut state[ci].empty);
            (bad.base, empty.base) = (offset, offset);
            let (bad_before, empty_before) = (bad.rows.len(), empty.rows.len());
            let values: Option<(Series, String)> = if let Some((series, source, unread)) = typed_in.remove(col.name) {
                for (i, v) in unread {
                    bad.note(i, &v);
                }
                Some((series, source))
            } else if let Some(t) = pretyped.remove(col.name) {
                bad.absorb(t.unread);
                Some((t.values.with_name(col.name.into()), format!("`{}`", t.source)))
            } else {
                match col.kind {
                    Kind::Timestamp | Kind::Date => {
                        if let Some(d) = profile.datetimes.get(col.name) {
                            datetime_column(d, &text_of, &mut bad, clock, col.name)?
                                .map(|(v, src)| (Series::new(col.name.into(), v), src))
                        } else if profile.after.contains_key(col.name) {
                            None // computed below, once its base is typed
                        } else if let Some((ca, source)) = plain_source(col.name) {
                            let v: Int64Chunked = cells(ca, nulls)
                                .enumerate()
                                .map(|(i, o)| {
                                    let s = o?;
                                    let r = parse::timestamp(s, clock);
                                    if r.is_none() {
                                        bad.note(i, s);
                                    }
                                    r
                                })
                                .collect();
                            Some((v.with_name(col.name.into()).into_series(), source))
                        } else {
                            text_column(col.name)?.map(|t| {
                                let v: Vec<Option<i64>> = t
                                    .values
                                    .iter()
                                    .enumerate()
                                    .map(|(i, o)| {
                                        let s = (*o)?;
                                        let r = parse::timestamp(s, clock);
                                        if r.is_none() {
                                            bad.note(i, s);
                                        }
                                        r
                                    })
                                    .collect();
                                (Series::new(col.name.into(), v), t.source)
                            })
                        }
                    }
                    Kind::Number => {
                        if let Some(d) = profile.durations.get(col.name) {
                            duration_column(d, &text_of, &mut bad, clock)?
                                .map(|(v, src)| (Series::new(col.name.into(), v), src))
                        } else if let Some((text, parsed)) = numbers.remove(col.name) {
                            let src = &plain_numbers.iter().find(|(c, _)| *c == col.name).expect("listed").1;
                            let (text, parsed) = (text.str()?, parsed.f64()?);
                            // Fast path: every value that was there became a finite number.
                            let clean =
                                text.null_count() == parsed.null_count() && parsed.iter().flatten().all(f64::is_finite);
                            let values = if clean {
                                parsed.clone().with_name(col.name.into()).into_series()
                            } else {
                                let v: Float64Chunked = text
                                    .iter()
                                    .zip(parsed.iter())
                                    .enumerate()
                                    .map(|(i, (t, v))| match (t, v) {
                                        (Some(_), Some(v)) if v.is_finite() => Some(v),
                                        (Some(t), _) => {
                                            bad.note(i, t);
                                            None
                                        }
                                        (None, _) => None,
                                    })
                                    .collect();
                                v.with_name(col.name.into()).into_series()
                            };
                            Some((values, format!("`{src}`")))
                        } else {
                            text_column(col.name)?.map(|t| {
                                let map = profile.values.get(col.name);
                                let v: Vec<Option<f64>> = t
                                    .values
                                    .iter()
                                    .enumerate()
                                    .map(|(i, o)| {
                                        let s = mapped_value((*o)?, map)?;
                                        let r = if profile.csv.decimal_comma && s.contains(',') {
                                            parse::number(&s.replace(',', "."))
                                        } else {
                                            parse::number(s)
                                        };
                                        if r.is_none() {
                                            bad.note(i, s);
                                        }
                                        r
                                    })
                                    .collect();
                                (Series::new(col.name.into(), v), t.source)
                            })
                        }
                    }
                    Kind::Bool => text_column_cells(col.name)?.map(|(cells, source)| {
                        let map = profile.values.get(col.name);
                        let v: BooleanChunked = cells
                            .enumerate()
                            .map(|(i, o)| {
                                let s = mapped_value(o?, map)?;
                                let r = match &profile.booleans {
                                    Some(b) if b.yes.iter().any(|y| y.eq_ignore_ascii_case(s)) => Some(true),
                                    Some(b) if b.no.iter().any(|n| n.eq_ignore_ascii_case(s)) => Some(false),
                                    _ => parse::boolean(s),
                                };
                                if r.is_none() {
                                    bad.note(i, s);
                                }
                                r
                            })
                            .collect();
                        (v.with_name(col.name.into()).into_series(), source)
                    }),
                    Kind::Text if fast.contains_key(col.name) => {
                        let src = &fast_text.iter().find(|(c, _)| *c == col.name).expect("listed").1;
                        Some((fast.remove(col.name).expect("listed"), format!("`{src}`")))
                    }
                    Kind::Text | Kind::Code => {
                        let map = profile.values.get(col.name);
                        let is_code = col.kind == Kind::Code;
                        let vocab = is_code.then(|| schema::vocabulary(col.name)).flatten();
                        let split = prelabeled.remove(col.name);
                        // Once per distinct text: the cleaning, the value map, the code's
                        // spelling, the vocabulary: (the text as cleaned, the value, unknown).
                        let mut distinct: Vec<Distinct> = Vec::new();
                        let cleaning = Some(nulls.as_slice());
                        const NONE: u32 = u32::MAX;
                        let mut at: Vec<u32> = Vec::with_capacity(height);
                        let source = if let Some(l) = &split {
                            // Split as numbers among the block's distinct values.
                            let number: Vec<u32> = l
                                .values
                                .iter()
                                .map(|v| distinct_entry(v, cleaning, map, is_code, vocab, &mut distinct))
                                .collect();
                            at.extend(
                                l.rows.iter().map(|&r| if r == fields::NO_VALUE { NONE } else { number[r as usize] }),
                            );
                            Some(format!("`{}`", l.source))
                        } else if let Some((ca, source)) = plain_source(col.name) {
                            // Read as it is: a short value is keyed by its string view.
                            let mut short: rustc_hash::FxHashMap<u128, u32> = Default::default();
                            let mut long: rustc_hash::FxHashMap<&str, u32> = Default::default();
                            for arr in ca.downcast_iter() {
                                for v in crate::views::chunk_values(arr) {
                                    at.push(match v.map(|v| (v, v.key())) {
                                        None => NONE,
                                        Some((v, crate::views::TextKey::Short(k))) => {
                                            *short.entry(k).or_insert_with(|| {
                                                distinct_entry(v.text(), cleaning, map, is_code, vocab, &mut distinct)
                                            })
                                        }
                                        Some((_, crate::views::TextKey::Long(s))) => {
                                            *long.entry(s).or_insert_with(|| {
                                                distinct_entry(s, cleaning, map, is_code, vocab, &mut distinct)
                                            })
                                        }
                                    });
                                }
                            }
                            Some(source)
                        } else if let Some(t) = text_column(col.name)? {
                            // A constant or a part of a column: already cleaned.
                            let mut seen: rustc_hash::FxHashMap<&str, u32> = Default::default();
                            at.extend(t.values.iter().map(|o| match o {
                                None => NONE,
                                Some(raw) => {
                                    *seen.entry(raw).or_insert_with(|| {
                                        distinct_entry(raw, None, map, is_code, vocab, &mut distinct)
                                    })
                                }
                            }));
                            Some(t.source)
                        } else {
                            None
                        };
                        source
                            .map(|source| -> Result<(Series, String)> {
                                let mut unknown = std::mem::take(&mut state[ci].unknown);
                                unknown.base = offset;
                                let unknown_before = unknown.rows.len();
                                for (i, &k) in at.iter().enumerate() {
                                    if k != NONE && distinct[k as usize].2 {
                                        unknown.note(i, distinct[k as usize].0.unwrap_or_default());
                                    }
                                }
                                if let Some((_, None)) = vocab.filter(|_| col.required) {
                                    for &i in &unknown.rows[unknown_before..] {
                                        keep[i] = false;
                                    }
                                }
                                state[ci].unknown = unknown;
                                if crate::labels::is_label(col.name, col.kind) {
                                    // Each distinct value's code, then each row's: no text per row.
                                    let mapping = crate::labels::dtype(col.name).cat_mapping()?.clone();
                                    let code = distinct
                                        .iter()
                                        .map(|(_, v, _)| v.as_deref().map(|v| mapping.insert_cat(v)).transpose())
                                        .collect::<PolarsResult<Vec<_>>>()?;
                                    let mut ids =
                                        polars_arrow::array::MutablePrimitiveArray::<u32>::with_capacity(at.len());
                                    ids.extend_trusted_len(at.iter().map(|&k| {
                                        if k == NONE {
                                            None
                                        } else {
                                            code[k as usize]
                                        }
                                    }));
                                    // The codes as plain numbers: the stack holds them as the
                                    // label (polars checks every code once, there).
                                    return Ok((
                                        UInt32Chunked::with_chunk(col.name.into(), ids.into()).into_series(),
                                        source,
                                    ));
                                }
                                let mut values = MutableBinaryViewArray::<str>::with_capacity(at.len());
                                values.extend_trusted_len(at.iter().map(|&k| {
                                    if k == NONE {
                                        None
                                    } else {
                                        distinct[k as usize].1.as_deref()
                                    }
                                }));
                                let values: polars_arrow::array::Utf8ViewArray = values.into();
                                Ok((StringChunked::with_chunk(col.name.into(), values).into_series(), source))
                            })
                            .transpose()?
                    }
                }
            };
            (state[ci].bad, state[ci].empty) = (bad, empty);
            let Some((series, source)) = values else {
                let from_log = profile
                    .event_log
                    .as_ref()
                    .is_some_and(|e| e.first.iter().any(|f| f == col.name) || e.first_when.contains_key(col.name));
                if col.required && !profile.after.contains_key(col.name) && !from_log {
                    missing_required.push(col.name);
                }
                continue;
            };
            let ColState { bad, empty, source: from, .. } = &mut state[ci];
            if col.required && series.null_count() > 0 {
                let unreadable: std::collections::HashSet<usize> = bad.rows[bad_before..].iter().copied().collect();
                for (i, null) in series.is_null().iter().enumerate() {
                    // A row already rejected (an unknown code, an earlier column) counts once.
                    if null == Some(true) && !unreadable.contains(&(offset + i)) && keep[offset + i] {
                        empty.note(i, "");
                    }
                }
            }
            if col.required {
                for &i in bad.rows[bad_before..].iter().chain(&empty.rows[empty_before..]) {
                    keep[i] = false;
                }
            }
            *from = Some(source);
            typed.push(series.into_column());
        }
        if !missing_required.is_empty() {
            // Name the column the file lacks: the profile's source name where it maps one.
            let described: Vec<String> = missing_required
                .iter()
                .map(|m| {
                    let named = profile.named_sources(m);
                    let src = named.iter().find(|s| !file_columns.contains(s)).map_or(*m, String::as_str);
                    let like = spelled_like(src, file_columns).map(|l| format!("the file has `{l}`"));
                    let what =
                        [(src != *m).then(|| format!("for {m}")), like].into_iter().flatten().collect::<Vec<_>>();
                    match what.is_empty() {
                        true => format!("`{src}`"),
                        false => format!("`{src}` ({})", what.join("; ")),
                    }
                })
                .collect();
            bail!(
                "`{shown}` ({name}, profile `{}`): missing required column{} {}; the file has: {}",
                profile_name,
                if missing_required.len() > 1 { "s" } else { "" },
                described.join(", "),
                file_columns.join(", ")
            );
        }
        // Timestamps defined as another timestamp plus a duration.
        for (j, (c, a)) in profile.after.iter().enumerate() {
            let Some(base) = typed.iter().find(|t| t.name().as_str() == a.base) else {
                bail!("profile `{}`: [after.{c}] base `{}` is not a mapped timestamp", profile_name, a.base);
            };
            let base: Vec<Option<i64>> = base.i64()?.iter().collect();
            let Some(offsets) = text_of(&a.column)? else { continue };
            let bad = &mut after[j];
            bad.base = offset;
            let unit = a.unit.as_deref().unwrap_or("seconds");
            let v: Vec<Option<i64>> = offsets
                .iter()
                .enumerate()
                .map(|(i, o)| {
                    let s = (*o)?;
                    let secs = parse_duration(s, unit);
                    if secs.is_none() {
                        bad.note(i, s);
                    }
                    Some(base[i]? + (secs? * 1000.0).round() as i64)
                })
                .collect();
            if offset == 0 {
                mapped.push(format!("{c} ← {} + `{}` ({unit})", a.base, a.column));
            }
            typed.push(Series::new(c.as_str().into(), v).into_column());
        }
        if let Some(ev) = &profile.event_log {
            let bad = &mut *order;
            bad.base = offset;
            let before = bad.rows.len();
            let spec_dt = crate::load::profile::DatetimeSpec {
                column: Some(ev.order_by.clone()),
                format: ev.format.clone(),
                ..Default::default()
            };
            match datetime_column(&spec_dt, &text_of, bad, clock, "__order")? {
                Some((v, _)) => typed.push(Series::new("__order".into(), v).into_column()),
                None => {
                    bail!(
                        "profile `{}`: [event_log] order_by `{}` is not a column of `{shown}`",
                        profile_name,
                        ev.order_by
                    )
                }
            }
            for &i in &bad.rows[before..] {
                keep[i] = false;
            }
        }
        stack.append(&DataFrame::new(height, typed)?)?;
        if let Some(rows) = expected_rows {
            stack.reserve(rows.saturating_sub(height));
        }
        Ok(())
    }

    /// The typed frame (rows not yet filtered), which rows to keep, where each column
    /// came from, and the findings over every row.
    fn finish(self) -> Result<Typed> {
        if !self.stack.started() {
            bail!("`{}`: nothing read", self.shown);
        }
        // One chunk per column: the metrics' filters and group-bys are several times
        // slower on the blocks' chunks.
        let frame = self.stack.finish()?;
        let mut issues = Vec::new();
        let mut mapped = Vec::new();
        for (col, st) in self.cols.iter().zip(&self.state) {
            let Some(source) = &st.source else { continue };
            if let Some((words, fallback)) = (col.kind == Kind::Code).then(|| schema::vocabulary(col.name)).flatten() {
                // Without a fallback the value is lost (the row, where the column is
                // required): where to say what the export's words mean. (The value
                // itself is not repeated here: the finding's first value is, redacted.)
                let problem = match fallback {
                    Some(f) => format!("unknown value (expected {}): counted as `{f}`", words.join(", ")),
                    None => format!(
                        "unknown value (expected {}): map the export's words to these in the profile's [values.{}]",
                        words.join(", "),
                        col.name
                    ),
                };
                issues.extend(st.unknown.issue(col.name, problem, col.required && fallback.is_none()));
            }
            let problem = expected_of(col.kind, st.bad.first.as_ref(), col.name, source);
            issues.extend(st.bad.issue(col.name, problem, col.required));
            issues.extend(st.empty.issue(col.name, "empty required value".to_string(), true));
            mapped.push(format!("{} ← {}", col.name, source));
        }
        mapped.extend(self.mapped);
        for ((c, a), bad) in self.profile.after.iter().zip(&self.after) {
            let unit = a.unit.as_deref().unwrap_or("seconds");
            issues.extend(bad.issue(c, format!("not a duration in {unit}"), false));
        }
        if let Some(ev) = &self.profile.event_log {
            issues.extend(self.order.issue(&ev.order_by, expected(Kind::Timestamp), true));
        }
        Ok(Typed { frame, keep: self.keep, mapped, issues })
    }
}

/// An input once typed: its frame (every row), which rows to keep, where each column
/// came from, and the findings.
struct Typed {
    frame: DataFrame,
    keep: Vec<bool>,
    mapped: Vec<String>,
    issues: Vec<QualityIssue>,
}

/// A text or code cell through the profile's value map, spelt as a code where it is one,
/// checked against the vocabulary: (the value, whether it was unknown).
fn typed_text<'a>(
    raw: &'a str,
    map: Option<&'a std::collections::BTreeMap<String, String>>,
    is_code: bool,
    vocab: Option<(&'static [&'static str], Option<&'static str>)>,
) -> (Option<std::borrow::Cow<'a, str>>, bool) {
    let Some(s) = mapped_value(raw, map) else { return (None, false) };
    let s = if is_code { code(s) } else { std::borrow::Cow::Borrowed(s) };
    match vocab {
        Some((words, fallback)) if !words.contains(&s.as_ref()) => (fallback.map(std::borrow::Cow::Borrowed), true),
        _ => (Some(s), false),
    }
}

/// A distinct text of a text or code column: the text as cleaned (trimmed, None when
/// empty or a null token), its value, whether it was unknown.
type Distinct<'t> = (Option<&'t str>, Option<std::borrow::Cow<'t, str>>, bool);

/// Adds `raw` as a distinct text (cleaned first when `nulls` are given); its number.
fn distinct_entry<'t>(
    raw: &'t str,
    nulls: Option<&[String]>,
    map: Option<&'t std::collections::BTreeMap<String, String>>,
    is_code: bool,
    vocab: Option<(&'static [&'static str], Option<&'static str>)>,
    distinct: &mut Vec<Distinct<'t>>,
) -> u32 {
    let cleaned = match nulls {
        Some(nulls) => parse::cell(raw, nulls),
        None => Some(raw),
    };
    let (value, unknown) = match cleaned {
        Some(t) => typed_text(t, map, is_code, vocab),
        None => (None, false),
    };
    distinct.push((cleaned, value, unknown));
    (distinct.len() - 1) as u32
}

/// The cells of a text column: trimmed, and None where empty or a null token.
fn cells<'a>(ca: &'a StringChunked, nulls: &'a [String]) -> impl Iterator<Item = Option<&'a str>> + 'a {
    ca.iter().map(move |v| parse::cell(v?, nulls))
}

/// True when no value of a text column needs cleaning: none is empty, starts or ends
/// with white space, or is a null token.
///
/// Read from the string views (see crate::views): most values are judged by their first
/// and last bytes without their text; a value is compared with the tokens only when it
/// has a token's length, and one that starts or ends outside ASCII is judged by its
/// characters.
fn already_clean(ca: &StringChunked, tokens: &[String]) -> bool {
    // A value of a length no token has is no token, told by one shift instead of a
    // comparison per token (this runs over every text value).
    let nulls = parse::Nulls::new(tokens.to_vec());
    let clean_text = |v: &str| match (v.chars().next(), v.chars().next_back()) {
        (Some(a), Some(z)) => !a.is_whitespace() && !z.is_whitespace() && !nulls.is_token(v),
        _ => false,
    };
    ca.downcast_iter().all(|arr| {
        crate::views::chunk_values(arr).flatten().all(|v| match v.ends() {
            None => false,
            Some((first, last)) if !first.is_ascii() || !last.is_ascii() || nulls.of_length(v.len()) => {
                clean_text(v.text())
            }
            Some((first, last)) => !(first as char).is_whitespace() && !(last as char).is_whitespace(),
        })
    })
}

/// A code as the vocabularies spell it: lower case, `_` for spaces and dashes
/// (allocating only when it has to change).
fn code(s: &str) -> std::borrow::Cow<'_, str> {
    if s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
        std::borrow::Cow::Borrowed(s)
    } else {
        std::borrow::Cow::Owned(s.to_lowercase().replace([' ', '-'], "_"))
    }
}

/// A value through the profile's value map (case-insensitive); an empty mapped value
/// means "no value".
fn mapped_value<'a>(s: &'a str, map: Option<&'a std::collections::BTreeMap<String, String>>) -> Option<&'a str> {
    match map.and_then(|m| m.iter().find(|(k, _)| k.eq_ignore_ascii_case(s))) {
        Some((_, v)) if v.is_empty() => None,
        Some((_, v)) => Some(v.as_str()),
        None => Some(s),
    }
}

/// Seconds from a duration in `unit` (seconds, minutes, hours, hms).
pub fn parse_duration(s: &str, unit: &str) -> Option<f64> {
    let s = s.trim();
    if unit == "hms" || s.contains(':') {
        let parts: Vec<&str> = s.split(':').collect();
        let nums: Option<Vec<f64>> = parts.iter().map(|p| p.trim().parse::<f64>().ok()).collect();
        let nums = nums?;
        return match nums.as_slice() {
            [h, m, sec] => Some(h * 3600.0 + m * 60.0 + sec),
            [m, sec] => Some(m * 60.0 + sec),
            [sec] => Some(*sec),
            _ => None,
        };
    }
    let v = parse::number(&s.replace(',', "."))?;
    Some(match unit {
        "minutes" => v * 60.0,
        "hours" => v * 3600.0,
        _ => v,
    })
}

type TextOf<'a> = dyn Fn(&str) -> Result<Option<Vec<Option<&'a str>>>> + 'a;

/// A timestamp column by a `[datetimes]` spec: one column or date + time, ISO first,
/// then the formats in order, or epoch seconds/milliseconds. Local times go through
/// `clock` (the typer's, which keeps the hours it has met from chunk to chunk), or one
/// of the spec's own timezone.
fn datetime_column(
    d: &crate::load::profile::DatetimeSpec,
    text_of: &TextOf,
    bad: &mut BadValues,
    clock: &mut LocalClock,
    name: &str,
) -> Result<Option<(Vec<Option<i64>>, String)>> {
    let mut own;
    let clock = match &d.timezone {
        Some(t) => {
            let tz: Tz =
                t.parse().map_err(|_| anyhow::anyhow!("[datetimes.{name}] timezone `{t}` is not an IANA timezone"))?;
            own = LocalClock::new(tz);
            &mut own
        }
        None => clock,
    };
    let joined: Vec<Option<String>>;
    let (values, source): (Vec<Option<&str>>, String) = match (&d.column, &d.date, &d.time) {
        (Some(c), _, _) => match text_of(c)? {
            Some(v) => (v, format!("`{c}`")),
            None => return Ok(None),
        },
        (None, Some(date), time) => {
            let Some(dv) = text_of(date)? else { return Ok(None) };
            let tv = match time {
                Some(t) => {
                    text_of(t)?.ok_or_else(|| anyhow::anyhow!("[datetimes.{name}] time column `{t}` not found"))?
                }
                None => vec![None; dv.len()],
            };
            joined = dv
                .into_iter()
                .zip(tv)
                .map(|(a, b)| match (a, b) {
                    (Some(a), Some(b)) => Some(format!("{a} {b}")),
                    (Some(a), None) => Some(a.to_string()),
                    _ => None,
                })
                .collect();
            (joined.iter().map(|o| o.as_deref()).collect(), format!("`{date}` + `{}`", time.as_deref().unwrap_or("")))
        }
        _ => anyhow::bail!("[datetimes.{name}]: give `column`, or `date` (and `time`)"),
    };
    let formats = d.format.as_ref().map(|f| f.list()).unwrap_or_default();
    let formats = parse::Formats::new(&formats).map_err(|f| {
        anyhow::anyhow!("[datetimes.{name}] format `{f}` is not a valid strftime format (e.g. \"%d/%m/%Y %H:%M\")")
    })?;
    let epoch = d.epoch.as_deref();
    if let Some(e) = epoch {
        if !matches!(e, "seconds" | "milliseconds") {
            anyhow::bail!("[datetimes.{name}] epoch = \"{e}\": expected \"seconds\" or \"milliseconds\"");
        }
    }
    let v = values
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let s = (*o)?;
            let r = match epoch {
                Some(unit) => {
                    parse::number(s)
                        .map(|n| if unit == "seconds" { (n * 1000.0).round() as i64 } else { n.round() as i64 })
                }
                None => parse::timestamp(s, clock).or_else(|| formats.parse(s, clock)),
            };
            if r.is_none() {
                bad.note(i, s);
            }
            r
        })
        .collect();
    Ok(Some((v, source)))
}

/// A duration column in seconds: one column in a unit, or end − start.
fn duration_column(
    d: &crate::load::profile::DurationSpec,
    text_of: &TextOf,
    bad: &mut BadValues,
    clock: &mut LocalClock,
) -> Result<Option<(Vec<Option<f64>>, String)>> {
    let unit = d.unit.as_deref().unwrap_or("seconds");
    if !matches!(unit, "seconds" | "minutes" | "hours" | "hms") {
        anyhow::bail!("duration unit `{unit}`: expected seconds, minutes, hours or hms");
    }
    match (&d.column, &d.start, &d.end) {
        (Some(c), _, _) => {
            let Some(v) = text_of(c)? else { return Ok(None) };
            let out = v
                .iter()
                .enumerate()
                .map(|(i, o)| {
                    let s = (*o)?;
                    let r = parse_duration(s, unit);
                    if r.is_none() {
                        bad.note(i, s);
                    }
                    r
                })
                .collect();
            Ok(Some((out, format!("`{c}` ({unit})"))))
        }
        (None, Some(a), Some(b)) => {
            let spec = |c: &String| crate::load::profile::DatetimeSpec {
                column: Some(c.clone()),
                format: d.format.clone(),
                epoch: d.epoch.clone(),
                ..Default::default()
            };
            let Some((start, _)) = datetime_column(&spec(a), text_of, bad, clock, a)? else { return Ok(None) };
            let Some((end, _)) = datetime_column(&spec(b), text_of, bad, clock, b)? else { return Ok(None) };
            let out = start.iter().zip(&end).map(|(s, e)| Some(((*e)? - (*s)?) as f64 / 1000.0)).collect();
            Ok(Some((out, format!("`{b}` − `{a}`"))))
        }
        _ => anyhow::bail!("a [durations] entry needs `column`, or `start` and `end`"),
    }
}

/// One row per id: the latest event's values, plus the `first` and `first_when` times.
fn reduce_event_log(frame: DataFrame, id: &str, ev: &crate::load::profile::EventLog) -> Result<DataFrame> {
    let names: Vec<String> = frame.get_column_names().iter().map(|c| c.to_string()).collect();
    if !names.iter().any(|n| n == id) {
        bail!("[event_log]: the id column `{id}` is not mapped");
    }
    let mut aggs: Vec<Expr> = names
        .iter()
        .filter(|n| {
            n.as_str() != id
                && n.as_str() != "__order"
                && !ev.first.contains(n)
                && !ev.first_when.contains_key(n.as_str())
        })
        .map(|n| col(n.as_str()).last())
        .collect();
    for c in &ev.first {
        aggs.push(col("__order").min().alias(c.as_str()));
    }
    for (c, w) in &ev.first_when {
        if !names.contains(&w.column) {
            bail!("[event_log.first_when.{c}]: column `{}` is not a mapped canonical column", w.column);
        }
        aggs.push(col("__order").filter(col(w.column.as_str()).eq(lit(w.equals.as_str()))).min().alias(c.as_str()));
    }
    let out = frame
        .lazy()
        .sort_by_exprs([col(id), col("__order")], SortMultipleOptions::default().with_maintain_order(true))
        .group_by_stable([col(id)])
        .agg(aggs)
        .collect()?;
    Ok(out)
}

/// Timestamps that run backwards (a response before the ticket exists) and negative
/// durations: kept, but excluded from the metrics that measure them; counted here.
fn negative_durations(frame: &DataFrame, source: &str) -> Result<Vec<QualityIssue>> {
    let has = |c: &str| frame.get_column_names().iter().any(|n| n.as_str() == c);
    let mut out = Vec::new();
    let pairs: &[(&str, &str)] = match source {
        "tickets" => &[
            ("created_at", "first_response_at"),
            ("created_at", "first_resolved_at"),
            ("created_at", "solved_at"),
            ("created_at", "closed_at"),
        ],
        _ => &[],
    };
    for (a, b) in pairs {
        if !(has(a) && has(b)) {
            continue;
        }
        let (x, y) = (frame.column(a)?.i64()?.rechunk(), frame.column(b)?.i64()?.rechunk());
        let (x, y) = (x.downcast_as_array(), y.downcast_as_array());
        let mut bad = BadValues::default();
        // Over the value slices, validity looked at only where the values would be a
        // finding (a null's slot holds some value): the per-row Option iterator took
        // tens of milliseconds per column of W1, on the load's single-threaded tail.
        for (i, (vx, vy)) in x.values().iter().zip(y.values().iter()).enumerate() {
            if vy < vx && x.is_valid(i) && y.is_valid(i) {
                bad.note(i, &format!("{} s", (vy - vx) / 1000));
            }
        }
        bad.renumber_to_file(frame)?;
        out.extend(bad.issue(
            b,
            format!("before {a} (a negative duration): excluded from the durations that use it"),
            false,
        ));
    }
    for c in [
        "wait_seconds",
        "talk_seconds",
        "hold_seconds",
        "acw_seconds",
        "handle_seconds",
        "scheduled_seconds",
        "logged_in_seconds",
        "handling_seconds",
    ] {
        if !has(c) {
            continue;
        }
        let mut bad = BadValues::default();
        let values = frame.column(c)?;
        for i in rows_where(values, |v| v < 0.0)? {
            bad.note(i, &number_at(values, i)?.to_string());
        }
        bad.renumber_to_file(frame)?;
        out.extend(bad.issue(c, "negative duration: excluded from the metrics that use it".into(), false));
    }
    Ok(out)
}

/// The free-text columns that reach the outputs (drivers, agents, teams, queues).
const DISPLAYED_TEXT: [&str; 8] = ["reason", "sub_reason", "product", "location", "agent", "team", "queue", "comment"];

/// The distinct values of each displayed text column of a frame.
type Displayed = Vec<(&'static str, Vec<String>)>;

/// Found once per input, in its loading thread: the customer-id lookup and the
/// redaction look at each distinct value once, not at every row.
fn displayed(frame: &DataFrame) -> Result<Displayed> {
    let mut out = Vec::new();
    for c in DISPLAYED_TEXT {
        let Ok(column) = frame.column(c) else { continue };
        let distinct = crate::labels::distinct(column)?;
        out.push((c, distinct));
    }
    Ok(out)
}

/// E-mail addresses and phone numbers in displayed text are replaced (crate::redact);
/// a column is rewritten only when one of its distinct values (`shown`) changes.
fn redact_text(
    frame: &mut DataFrame,
    shown: &[(&'static str, Vec<String>)],
    redactor: &crate::redact::Redactor,
) -> Result<()> {
    for (c, values) in shown {
        let changed: rustc_hash::FxHashMap<&str, String> = values
            .iter()
            .filter_map(|v| match redactor.clean(v) {
                std::borrow::Cow::Owned(o) => Some((v.as_str(), o)),
                std::borrow::Cow::Borrowed(_) => None,
            })
            .collect();
        if changed.is_empty() {
            continue;
        }
        let column = frame.column(c)?;
        let ca = crate::labels::text(column)?;
        let cleaned: StringChunked =
            ca.iter().map(|v| v.map(|v| changed.get(v).cloned().unwrap_or_else(|| v.to_string()))).collect();
        let cleaned = cleaned.with_name((*c).into()).into_column();
        let cleaned = if crate::labels::is_coded(column) { crate::labels::encode(&cleaned)? } else { cleaned };
        frame.replace(c, cleaned)?;
    }
    Ok(())
}

/// A duration over this is a unit mistake (milliseconds read as seconds, a timestamp in
/// a duration column), not a real wait or handle time.
const ABSURD_SECONDS: f64 = 366.0 * 86_400.0;

/// Durations over a year: dropped (the value, not the row) and counted.
fn absurd_durations(mut frame: DataFrame) -> Result<(DataFrame, Vec<QualityIssue>)> {
    let mut out = Vec::new();
    let names: Vec<String> = frame.get_column_names().iter().map(|c| c.to_string()).collect();
    for c in names.iter().filter(|n| n.ends_with("_seconds")) {
        let column = frame.column(c)?.clone();
        if rows_where(&column, |v| v > ABSURD_SECONDS)?.is_empty() {
            continue;
        }
        let values = column.cast(&DataType::Float64)?;
        let values = values.f64()?;
        let rows = file_rows(&frame)?;
        let mut bad = BadValues::default();
        let cleaned: Float64Chunked = values
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Some(v) if v > ABSURD_SECONDS => {
                    bad.note(rows[i], &v.to_string());
                    None
                }
                v => v,
            })
            .collect();
        // Held as it was (the values kept are the column's own: still exact).
        frame.replace(c, cleaned.with_name(c.as_str().into()).into_column().cast(column.dtype())?)?;
        out.extend(bad.issue(c, "over a year (a unit mistake?): the value is ignored".into(), false));
    }
    Ok((frame, out))
}

/// Keep the first row of each id; count the others.
fn drop_duplicates(frame: DataFrame, id: &str) -> Result<(DataFrame, Option<QualityIssue>)> {
    let ids = frame.column(id)?.str()?;
    // Exports usually list ids in increasing order (shorter numbers first): strictly
    // increasing by (length, text) means no id twice, found without hashing them all.
    fn key(v: Option<&str>) -> Option<(usize, &str)> {
        v.map(|v| (v.len(), v))
    }
    if ids.null_count() == 0 && ids.iter().zip(ids.iter().skip(1)).all(|(a, b)| key(a) < key(b)) {
        return Ok((frame, None));
    }
    let mut seen = rustc_hash::FxHashSet::with_capacity_and_hasher(ids.len(), Default::default());
    let dups: Vec<usize> =
        ids.iter().enumerate().filter_map(|(i, v)| v.filter(|v| !seen.insert(*v)).map(|_| i)).collect();
    if dups.is_empty() {
        return Ok((frame, None));
    }
    let rows = file_rows(&frame)?;
    let mut dup = BadValues::default();
    let mut keep = vec![true; ids.len()];
    for &i in &dups {
        dup.note(rows[i], ids.get(i).unwrap_or(""));
        keep[i] = false;
    }
    let issue = dup.issue(id, "duplicate id: later rows dropped".to_string(), true);
    let mask: BooleanChunked = keep.into_iter().map(Some).collect();
    Ok((with_file_rows(frame)?.filter(&mask)?, issue))
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

/// `expected`, with what would read the first bad value of a column read from one
/// source column and the profile line that says so: a duration written as a clock, a
/// score given as words, a yes/no in other words, an epoch, a date format the profile
/// does not name (the most common). The value itself is not repeated: the finding's
/// first value shows it, redacted, and this text is not.
fn expected_of(kind: Kind, first: Option<&(usize, String)>, column: &str, source: &str) -> String {
    let read = |how: String| format!("{}{how}", expected(kind));
    // Only for a column read as it is from one source column (`Name`), with a bad value.
    let (Some((_, v)), Some(src)) = (first, source.strip_prefix('`').and_then(|s| s.strip_suffix('`'))) else {
        return expected(kind);
    };
    let (v, src) = (v.trim(), src.replace('"', "\\\""));
    // Two or three groups of up to three digits: `0:05:23`, `12:03`.
    let clock = || {
        let parts: Vec<&str> = v.split(':').collect();
        (2..=3).contains(&parts.len())
            && parts.iter().all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()))
    };
    match kind {
        // A duration written as a clock: the unit that reads it.
        Kind::Number if column.ends_with("_seconds") && clock() => {
            read(format!(
                "; the first reads as hours, minutes and seconds: in the profile, [durations] {column} = {{ column = \"{src}\", unit = \"hms\" }}"
            ))
        }
        // A score given as words ("Very satisfied"): they can be mapped to numbers.
        Kind::Number if column.ends_with("score") && v.chars().any(char::is_alphabetic) => read(format!(
            ": map the export's words to numbers in the profile's [values.{column}] (\"Very satisfied\" = \"5\")"
        )),
        // Yes and no in other words ("Oui", "x").
        Kind::Bool => read(
            ": name the export's words in the profile's [booleans] (true = [\"Oui\"], false = [\"Non\"])".to_string(),
        ),
        // Epoch seconds or milliseconds (10 or 13 digits: 2001 to 2286).
        Kind::Timestamp if matches!(v.len(), 10 | 13) && v.bytes().all(|b| b.is_ascii_digit()) => {
            let epoch = if v.len() == 10 { "seconds" } else { "milliseconds" };
            read(format!(
                "; the first reads as {epoch} since 1970: in the profile, [datetimes] {column} = {{ column = \"{src}\", epoch = \"{epoch}\" }}"
            ))
        }
        Kind::Timestamp | Kind::Date => match parse::formats_that_read(v, kind == Kind::Timestamp).as_slice() {
            [] => expected(kind),
            [f, rest @ ..] => {
                let or: String = rest.iter().map(|r| format!(" (or \"{r}\")")).collect();
                read(format!(
                    "; the first reads with the format \"{f}\"{or}: in the profile, [datetimes] {column} = {{ column = \"{src}\", format = \"{f}\" }}"
                ))
            }
        },
        _ => expected(kind),
    }
}

#[derive(Default)]
struct BadValues {
    /// Added to the row numbers noted: the first row of the chunk being typed.
    base: usize,
    rows: Vec<usize>,
    first: Option<(usize, String)>,
}

impl BadValues {
    fn note(&mut self, i: usize, v: &str) {
        let i = self.base + i;
        if self.first.is_none() {
            self.first = Some((i, v.chars().take(60).collect()));
        }
        self.rows.push(i);
    }

    /// Rows noted as rows of `frame` become the file's rows (its ROW column), read only
    /// when there is one.
    fn renumber_to_file(&mut self, frame: &DataFrame) -> Result<()> {
        if self.first.is_some() {
            let rows = file_rows(frame)?;
            self.rows.iter_mut().for_each(|i| *i = rows[*i]);
            self.first.iter_mut().for_each(|(i, _)| *i = rows[*i]);
        }
        Ok(())
    }

    /// Takes the values another noted (from row 0 of this chunk).
    fn absorb(&mut self, other: BadValues) {
        if self.first.is_none() {
            self.first = other.first.map(|(i, v)| (self.base + i, v));
        }
        self.rows.extend(other.rows.iter().map(|i| self.base + i));
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

/// Canonical columns typed straight from typed source columns, with the values they
/// could not take: (the values, their source, the unread values by row).
type TypedIn = std::collections::HashMap<&'static str, (Series, String, Vec<(usize, String)>)>;

/// Typed source columns (Parquet): a canonical column that reads one as it is takes its
/// values — numbers as f64 (NaN and infinities unread), timestamps as epoch ms (a zoned
/// column is UTC, a naive one local time in `clock`'s timezone), dates as local
/// midnight, booleans. The source columns any other use reads (a split, a value map, a
/// datetime format, a text column) become text, as CSV's would be.
fn typed_columns(
    raw: &DataFrame,
    profile: &Profile,
    cols: &[schema::Col],
    clock: &mut LocalClock,
) -> Result<(DataFrame, TypedIn)> {
    let mut typed = TypedIn::new();
    if raw.dtypes().iter().all(|d| *d == DataType::String) {
        return Ok((raw.clone(), typed));
    }
    let mut as_text: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    as_text.extend(profile.split.values().map(|s| s.column.clone()));
    for d in profile.datetimes.values() {
        as_text.extend([&d.column, &d.date, &d.time].into_iter().flatten().cloned());
    }
    for d in profile.durations.values() {
        as_text.extend([&d.column, &d.start, &d.end].into_iter().flatten().cloned());
    }
    as_text.extend(profile.after.values().map(|a| a.column.clone()));
    if let Some(e) = &profile.event_log {
        as_text.insert(e.order_by.clone());
    }
    for c in cols {
        let src = profile.columns.get(c.name).cloned().unwrap_or_else(|| c.name.to_string());
        if profile.values.contains_key(c.name) {
            as_text.insert(src);
            continue;
        }
        let elsewhere = profile.constants.contains_key(c.name)
            || profile.split.contains_key(c.name)
            || profile.durations.contains_key(c.name)
            || profile.datetimes.contains_key(c.name)
            || profile.after.contains_key(c.name);
        let Ok(column) = raw.column(&src) else { continue };
        if elsewhere || *column.dtype() == DataType::String {
            continue;
        }
        let mut unread = Vec::new();
        let series = match (c.kind, column.dtype().clone()) {
            (Kind::Number, dt) if dt.is_primitive_numeric() && !as_text.contains(&src) => {
                let v = column.cast(&DataType::Float64)?;
                let v: Float64Chunked = v
                    .f64()?
                    .iter()
                    .enumerate()
                    .map(|(i, v)| match v {
                        Some(x) if !x.is_finite() => {
                            unread.push((i, x.to_string()));
                            None
                        }
                        v => v,
                    })
                    .collect();
                v.into_series()
            }
            (Kind::Timestamp | Kind::Date, DataType::Datetime(unit, tz)) if !as_text.contains(&src) => {
                let per_ms = match unit {
                    TimeUnit::Nanoseconds => 1_000_000,
                    TimeUnit::Microseconds => 1_000,
                    TimeUnit::Milliseconds => 1,
                };
                // The instants chrono can represent (what from_timestamp_millis accepts),
                // compared as numbers rather than each made into a date.
                let range = chrono::DateTime::<chrono::Utc>::MIN_UTC.timestamp_millis()
                    ..=chrono::DateTime::<chrono::Utc>::MAX_UTC.timestamp_millis();
                let v = column.cast(&DataType::Int64)?;
                let v: Int64Chunked = v
                    .i64()?
                    .iter()
                    .map(|v| {
                        let ms = Some(v?.div_euclid(per_ms)).filter(|ms| range.contains(ms))?;
                        Some(if tz.is_some() { ms } else { clock.to_utc_ms(ms) })
                    })
                    .collect();
                v.into_series()
            }
            (Kind::Timestamp | Kind::Date, DataType::Date) if !as_text.contains(&src) => {
                let v = column.cast(&DataType::Int32)?;
                let v: Int64Chunked = v.i32()?.iter().map(|d| Some(clock.to_utc_ms(d? as i64 * 86_400_000))).collect();
                v.into_series()
            }
            (Kind::Bool, DataType::Boolean) if !as_text.contains(&src) => column.as_materialized_series().clone(),
            _ => {
                as_text.insert(src);
                continue;
            }
        };
        typed.insert(c.name, (series.with_name(c.name.into()), format!("`{src}`"), unread));
    }
    let mut out = raw.clone();
    for name in &as_text {
        let Ok(column) = raw.column(name) else { continue };
        let text = match column.dtype() {
            DataType::String => continue,
            DataType::Datetime(unit, tz) => datetime_text(column, *unit, tz.is_some())?,
            _ => column.cast(&DataType::String)?.str()?.clone(),
        };
        out.replace(name, text.with_name(name.as_str().into()).into_column())?;
    }
    Ok((out, typed))
}

/// A typed datetime column as ISO 8601 text (`Z` when zoned), for the uses that read text.
fn datetime_text(column: &Column, unit: TimeUnit, zoned: bool) -> Result<StringChunked> {
    let per_ms = match unit {
        TimeUnit::Nanoseconds => 1_000_000,
        TimeUnit::Microseconds => 1_000,
        TimeUnit::Milliseconds => 1,
    };
    let suffix = if zoned { "Z" } else { "" };
    let raw = column.cast(&DataType::Int64)?;
    Ok(raw
        .i64()?
        .iter()
        .map(|v| {
            let ms = v?.div_euclid(per_ms);
            let t = chrono::DateTime::from_timestamp_millis(ms)?;
            Some(format!("{}{suffix}", t.naive_utc().format("%Y-%m-%dT%H:%M:%S%.3f")))
        })
        .collect())
}

/// JSON records gathered as text columns, in the order keys first appear.
#[derive(Default)]
struct JsonColumns {
    names: Vec<String>,
    index: std::collections::HashMap<String, usize>,
    columns: Vec<Vec<Option<String>>>,
    rows: usize,
}

impl JsonColumns {
    fn push(&mut self, record: serde_json::Map<String, serde_json::Value>) {
        for (k, v) in record {
            let i = match self.index.get(&k) {
                Some(i) => *i,
                None => {
                    self.index.insert(k.clone(), self.names.len());
                    self.names.push(k);
                    self.columns.push(vec![None; self.rows]);
                    self.names.len() - 1
                }
            };
            let text = match v {
                serde_json::Value::Null => None,
                serde_json::Value::String(s) => Some(s),
                serde_json::Value::Bool(b) => Some(b.to_string()),
                serde_json::Value::Number(n) => Some(n.to_string()),
                other => Some(other.to_string()),
            };
            self.columns[i].push(text);
        }
        self.rows += 1;
        for c in self.columns.iter_mut() {
            c.resize(self.rows, None);
        }
    }

    fn finish(self) -> Result<DataFrame> {
        let columns: Vec<Column> =
            self.names.iter().zip(self.columns).map(|(n, v)| Series::new(n.as_str().into(), v).into_column()).collect();
        Ok(DataFrame::new(self.rows, columns)?)
    }
}

/// NDJSON read a line at a time into `serde_json::Value`s (`ndjson::read` gives the
/// same columns faster; this names the line that is not one JSON object).
fn ndjson_by_value(path: &Path) -> Result<DataFrame> {
    use std::io::BufRead;
    let file = std::io::BufReader::new(std::fs::File::open(path)?);
    let mut records = JsonColumns::default();
    for (i, line) in file.lines().enumerate() {
        let line = line.with_context(|| format!("line {}: not UTF-8 text", i + 1))?;
        let line = if i == 0 { line.strip_prefix('\u{feff}').map(str::to_string).unwrap_or(line) } else { line };
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<serde_json::Value>(&line) {
            Ok(serde_json::Value::Object(m)) => records.push(m),
            Ok(_) => bail!("line {}: expected a JSON object (one record per line)", i + 1),
            Err(e) => bail!("line {}: not valid JSON: {e}", i + 1),
        }
    }
    records.finish()
}

/// A JSON array of objects read into `serde_json::Value`s (`ndjson::read_array` gives
/// the same columns faster; this names the element that is not an object).
fn json_by_value(bytes: &[u8]) -> Result<DataFrame> {
    let rows: Vec<serde_json::Value> =
        serde_json::from_slice(bytes).map_err(|e| anyhow::anyhow!("not a valid JSON array: {e}"))?;
    let mut records = JsonColumns::default();
    for (i, r) in rows.into_iter().enumerate() {
        match r {
            serde_json::Value::Object(m) => records.push(m),
            other => bail!("element {} of the array is not an object: {}", i + 1, short_json(&other)),
        }
    }
    records.finish()
}

fn short_json(v: &serde_json::Value) -> String {
    v.to_string().chars().take(40).collect()
}

/// Read a file into a frame whose columns are all text, decoding and sniffing CSV
/// dialects; returns notes on what was assumed.
fn read_raw(
    path: &Path,
    format: Format,
    profile: &Profile,
    source: &str,
    ptz: Tz,
    fallback: bool,
) -> Result<(RawFile, Vec<String>)> {
    let dialect = &profile.csv;
    let wanted = &profile.source_columns(source);
    let mut notes = Vec::new();
    // The frame, and the file's columns where the frame holds only those read (JSON).
    // Parquet: where its slices end, from its row groups.
    let mut slices = None;
    let (lf, names) = match format {
        Format::Csv => {
            let mut stream = CsvStream::open(path, dialect, fallback)?;
            if stream.utf16.is_some() {
                notes.push("UTF-16 (it starts with a byte-order mark): decoded".to_string());
            } else if fallback {
                notes.push("not UTF-8: decoded as Windows-1252".to_string());
            }
            if stream.cr_only {
                notes.push("lines end with a CR alone (Excel for Mac): read as line ends".to_string());
            }
            let named = stream.take_sep_line();
            stream.skip_lines(dialect.skip_lines.unwrap_or(0))?;
            let sep = match dialect.separator.as_deref() {
                None | Some("auto") if named.is_some() => {
                    let s = named.expect("named");
                    notes.push(format!("separator {:?} from the file's first line `sep=`", s as char));
                    s
                }
                None | Some("auto") => {
                    let s = if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("tsv")) {
                        b'\t'
                    } else {
                        dialect::sniff_separator(stream.first_block().0)
                    };
                    if s != b',' {
                        notes.push(format!("separator sniffed: {:?}", s as char));
                    }
                    s
                }
                Some("tab") | Some("\t") => b'\t',
                Some(s) if s.len() == 1 => s.as_bytes()[0],
                Some(s) => bail!("separator `{s}`: expected one character, \"tab\" or \"auto\""),
            };
            if matches!(stream.first_block(), (text, true) if text.trim().is_empty()) {
                bail!("the file is empty: expected a header line");
            }
            let quote = dialect.quote.map(|q| q as u8).unwrap_or(b'"');
            stream.start(sep, quote, wanted, profile.direct_columns(source), profile.null_tokens(), ptz);
            return Ok((RawFile::Csv(Box::new(stream)), notes));
        }
        // JSON is typed by csreport like every other value, so it is read as text here:
        // numbers keep their digits (polars panics on integers past 64 bits), nested
        // values become their JSON text.
        Format::Ndjson => {
            match ndjson::read(path, wanted)? {
                Some((frame, names)) => (frame.lazy(), Some(names)),
                // A line that is not one JSON object, or bytes that are not UTF-8: read
                // again line by line, for the message that names the line.
                None => (ndjson_by_value(path)?.lazy(), None),
            }
        }
        // Only the columns the profile reads are read from the file (projection).
        Format::Parquet => {
            let lf = LazyFrame::scan_parquet(PlRefPath::try_from_path(path)?, ScanArgsParquet::default())?;
            let schema = lf.clone().collect_schema()?;
            let keep: Vec<Expr> = schema
                .iter_names()
                .filter(|n| wanted.iter().any(|w| w == n.as_str()))
                .map(|n| col(n.clone()))
                .collect();
            let mut reader = ParquetReader::new(std::fs::File::open(path)?);
            let groups: Vec<usize> = reader.get_metadata()?.row_groups.iter().map(|g| g.num_rows()).collect();
            slices = Some(slice_ends(&groups));
            (lf.select(keep), None)
        }
        Format::Json => {
            let mut bytes = std::fs::read(path)?;
            // A byte-order mark (Windows tools write one) is not JSON.
            let bom = if bytes.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
            let bytes = &mut bytes[bom..];
            match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
                Some(b'[') => {}
                None => bail!("the file is empty: expected a JSON array of objects"),
                Some(_) => bail!(
                    "expected a JSON array of objects (`[{{…}}, {{…}}]`); for one object per line, name the file .ndjson"
                ),
            }
            match ndjson::read_array(bytes, wanted)? {
                Some((frame, names)) => (frame.lazy(), Some(names)),
                // Not an array of objects, or not UTF-8: read again into `Value`s, for
                // the message that names the element.
                None => (json_by_value(bytes)?.lazy(), None),
            }
        }
    };
    // Text, numbers, booleans, dates and times stay as they are (see typed_columns);
    // anything else is read as its text.
    let schema = lf.clone().collect_schema()?;
    let exprs: Vec<Expr> = schema
        .iter()
        .map(|(n, dt)| {
            let kept = dt.is_primitive_numeric()
                || matches!(dt, DataType::String | DataType::Boolean | DataType::Date)
                || matches!(dt, DataType::Datetime(..));
            if kept {
                col(n.clone())
            } else {
                col(n.clone()).cast(DataType::String)
            }
        })
        .collect();
    let lf = lf.select(exprs);
    let height = lf.clone().select([len().alias("n")]).collect()?.column("n")?.cast(&DataType::UInt64)?;
    let height = height.u64()?.get(0).unwrap_or(0) as usize;
    let ends =
        slices.unwrap_or_else(|| (1..=height.div_ceil(FRAME_ROWS)).map(|i| (i * FRAME_ROWS).min(height)).collect());
    Ok((RawFile::Frame(Box::new(lf), ends, Some(0), names), notes))
}

/// Where each slice of a Parquet file read at a time ends (exclusive row), from its row
/// groups' sizes: whole row groups, as many as fit in `SLICE_ROWS` (at least one), so
/// that no row group is decoded twice; a row group larger than `FRAME_ROWS` in pieces
/// of that size.
fn slice_ends(groups: &[usize]) -> Vec<usize> {
    let (mut ends, mut at, mut open) = (Vec::new(), 0usize, 0usize);
    for &n in groups {
        if open > 0 && open + n > SLICE_ROWS {
            ends.push(at);
            open = 0;
        }
        if n > FRAME_ROWS {
            ends.extend((1..=n.div_ceil(FRAME_ROWS)).map(|i| at + (i * FRAME_ROWS).min(n)));
            at += n;
            continue;
        }
        at += n;
        open += n;
    }
    if open > 0 {
        ends.push(at);
    }
    ends
}

/// A file's rows before typing: CSV read, checked and parsed a block at a time (so that
/// neither the file's text nor all of its values as text are in memory at once), JSON
/// and Parquet as a lazy frame (JSON parsed, Parquet a scan of the columns read), its
/// where each slice of it read and typed at a time ends, and the first row not given
/// yet (None once all are): only a slice of a Parquet file's values is in memory beside
/// the typed columns.
enum RawFile {
    Csv(Box<CsvStream>),
    /// The frame, where its slices end (the last end is its height), the next row, and
    /// the file's columns where the frame holds only those read (JSON and NDJSON;
    /// otherwise the frame's).
    Frame(Box<LazyFrame>, Vec<usize>, Option<usize>, Option<Vec<String>>),
}

/// The rows of a JSON frame read and typed at a time, and of the pieces of a Parquet row
/// group larger than that (W1 as Parquet, read and typed whole: 1.42 GB at the load's
/// peak). Polars decodes a row group again from its start for each piece: pieces of
/// 65,536 rows of a row group of a million took twice the CPU.
const FRAME_ROWS: usize = 1 << 18;

/// The most rows of a Parquet file's whole row groups read at a time. A slice that cut
/// across row groups decoded each of them twice; one or more whole row groups at a time
/// are each decoded once, and fewer of their values are in memory at once (W1 as
/// Parquet, 12 row groups of about 85,000 tickets: the tickets' load 0.39-0.40 s and
/// 292-305 MB with slices of 262,144 rows, 0.33 s and 233-240 MB a row group at a time).
const SLICE_ROWS: usize = 1 << 16;

impl RawFile {
    /// The next chunk of rows (text columns; Parquet's typed columns as they are; CSV
    /// columns typed as they were split), None after the last.
    fn next(&mut self) -> Result<Option<fields::Chunk>> {
        match self {
            RawFile::Frame(lf, ends, next, _) => {
                // The first chunk comes even from a frame without rows (its columns).
                let Some(from) = *next else { return Ok(None) };
                let end = ends.iter().copied().find(|e| *e > from).unwrap_or(from);
                let text = lf.clone().slice(from as i64, (end - from) as IdxSize).collect()?;
                let to = from + text.height();
                let height = ends.last().copied().unwrap_or(0);
                *next = (to < height && text.height() > 0).then_some(to);
                Ok(Some(fields::Chunk {
                    rows: text.height(),
                    seen: Default::default(),
                    expected_rows: (from == 0).then_some(height),
                    text,
                    typed: Vec::new(),
                    labels: Vec::new(),
                }))
            }
            RawFile::Csv(stream) => stream.next_chunk(),
        }
    }

    /// The file's columns, all of them (a CSV's header; a frame's columns), once the
    /// first chunk is read.
    fn columns(&self, chunk: &fields::Chunk) -> Vec<String> {
        match self {
            RawFile::Csv(stream) => stream.check.as_ref().map(|c| c.names().to_vec()).unwrap_or_default(),
            RawFile::Frame(.., Some(names)) => names.clone(),
            RawFile::Frame(..) => chunk.text.get_column_names().iter().map(|c| c.to_string()).collect(),
        }
    }

    /// What the structure check found over the whole file (short rows), once read.
    fn issues(self) -> Vec<QualityIssue> {
        let RawFile::Csv(stream) = self else { return Vec::new() };
        let shape = stream.check.map(|c| c.finish()).unwrap_or_default();
        let Some(fields) = shape.first_short else { return Vec::new() };
        vec![QualityIssue {
            column: "(row)".into(),
            problem: format!(
                "fewer fields than the header ({fields} in the first such row): the missing values are read as empty"
            ),
            count: shape.short_rows.len() as u64,
            first_row: shape.short_rows[0] as u64 + 1,
            // Not the row's text: it may hold a customer's details.
            first_value: String::new(),
            rows_dropped: false,
        }]
    }
}

/// Bytes of CSV read at a time. 4 MiB: a block's text and its columns stay nearer the
/// caches than with 8 MiB, and fewer are in flight (W1, alternating runs: read and type
/// 1.23-1.54 s -> 1.10-1.44 s, peak 656-685 MB -> 611-678 MB; 2 MiB saved another
/// 30 MB but was no faster, 1 MiB slower).
pub const BLOCK_BYTES: usize = 4 << 20;

/// The file is not UTF-8 and its encoding is "auto": it is read again as Windows-1252.
#[derive(Debug)]
struct NotUtf8(PathBuf);

impl std::fmt::Display for NotUtf8 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}` is not UTF-8", self.0.display())
    }
}

impl std::error::Error for NotUtf8 {}

#[derive(Clone, Copy, PartialEq)]
enum Encoding {
    Utf8 { auto: bool },
    Windows1252,
}

/// The line (from 1) of byte `at` of a file, counted when an error needs it rather than
/// for every block read.
fn line_at(path: &Path, at: u64) -> Result<usize> {
    use std::io::Read;
    let mut before = std::fs::File::open(path)?.take(at);
    let (mut buf, mut lines) = (vec![0u8; 1 << 20], 1);
    loop {
        match before.read(&mut buf) {
            Ok(0) => return Ok(lines),
            Ok(n) => lines += memchr::memchr_iter(b'\n', &buf[..n]).count(),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
}

/// Where to cut whole records in two halves side by side: after the line end past the
/// middle, for text of 1 MiB or more where every line end ends a record: text with no
/// quote, or `quote_free` (known to have none, or NDJSON, whose line ends inside a value
/// are escaped; the text is not searched again).
fn halfway(records: &str, quote: u8, quote_free: bool) -> Option<usize> {
    let b = records.as_bytes();
    if b.len() < 1 << 20 || (!quote_free && memchr::memchr(quote, b).is_some()) {
        return None;
    }
    let mid = b.len() / 2 + memchr::memchr(b'\n', &b[b.len() / 2..])? + 1;
    (mid < b.len()).then_some(mid)
}

/// A CSV file read a block of whole lines at a time: decoded, checked for its shape
/// (records that run past a block wait for the next), split into the columns the
/// profile reads (load::fields).
struct CsvStream {
    path: PathBuf,
    file: std::fs::File,
    encoding: Encoding,
    check: Option<dialect::ShapeCheck>,
    sep: u8,
    quote: u8,
    /// Bytes read after the last newline, not decoded yet.
    pending: Vec<u8>,
    /// The last block's buffer, for the next block.
    spare: Vec<u8>,
    /// The file's size in bytes.
    len: u64,
    /// Bytes of the file before `pending` (for UTF-8 error positions).
    offset: u64,
    /// The first block, read by `open` (for sniffing) and not yet checked, and whether it
    /// was the whole file.
    first: Option<(String, bool)>,
    /// The unfinished record at the end of the block before, as decoded text (Windows-1252
    /// and UTF-16 files; in UTF-8 ones it goes back into `pending`).
    carry: String,
    /// A UTF-16 file (it starts with a byte-order mark: Excel's "Unicode text"): decoded
    /// a block at a time whatever the configured encoding, a code unit split between two
    /// blocks included, and the text after its last line end, held for the next block
    /// (a line end is two bytes there: the bytes are not cut at it).
    utf16: Option<encoding_rs::Decoder>,
    tail: String,
    /// Lines end with a lone CR (Excel for Mac's "CSV (Macintosh)"): each CR is read as a
    /// line end. Set when the first block has a CR and no LF.
    cr_only: bool,
    /// The source columns the profile reads (the only ones kept), those typed as they
    /// are split, the null tokens and the timezone of local times.
    wanted: Vec<String>,
    direct: Vec<(String, &'static str, Kind)>,
    nulls: Vec<String>,
    ptz: Tz,
    /// Splits records into the wanted columns, once the header is read; a second one
    /// for the second half of a large block, and that half's records, returned next.
    fields: Option<fields::Fields>,
    helper: Option<fields::Fields>,
    queued: Option<fields::Chunk>,
    chunks: usize,
    done: bool,
}

impl CsvStream {
    /// Opens the file and decodes its first block (for sniffing the separator).
    fn open(path: &Path, dialect: &crate::load::profile::CsvDialect, fallback: bool) -> Result<CsvStream> {
        let encoding = match dialect.encoding.as_deref().unwrap_or("auto").to_ascii_lowercase().as_str() {
            _ if fallback => Encoding::Windows1252,
            "utf-8" | "utf8" => Encoding::Utf8 { auto: false },
            "auto" => Encoding::Utf8 { auto: true },
            "windows-1252" | "cp1252" | "latin-1" | "latin1" | "iso-8859-1" => Encoding::Windows1252,
            other => bail!("encoding `{other}`: expected utf-8, windows-1252, latin-1 or auto"),
        };
        let mut stream = CsvStream {
            path: path.to_path_buf(),
            len: std::fs::metadata(path)?.len(),
            file: std::fs::File::open(path)?,
            encoding,
            check: None,
            sep: b',',
            quote: b'"',
            pending: Vec::new(),
            spare: Vec::new(),
            offset: 0,
            first: None,
            carry: String::new(),
            utf16: None,
            tail: String::new(),
            cr_only: false,
            helper: None,
            queued: None,
            wanted: Vec::new(),
            direct: Vec::new(),
            nulls: Vec::new(),
            ptz: Tz::UTC,
            fields: None,
            chunks: 0,
            done: false,
        };
        let (text, last) = stream.read_block()?;
        stream.first = Some((text, last));
        Ok(stream)
    }

    /// The separator named by a first line `sep=;` (Excel reads it, and some tools write
    /// it for Excel), that line left blank so that lines keep the file's numbers.
    fn take_sep_line(&mut self) -> Option<u8> {
        let (text, _) = self.first.as_mut()?;
        let end = text.find('\n').unwrap_or(text.len());
        let line = text[..end].trim_end_matches('\r');
        let sep = *line.strip_prefix("sep=").filter(|s| s.len() == 1)?.as_bytes().first()?;
        self.skip_lines(1).ok()?;
        Some(sep)
    }

    /// Blanks the first `n` lines (a title above the header), so that lines keep the
    /// file's numbers; they must be in the first block.
    fn skip_lines(&mut self, n: usize) -> Result<()> {
        let Some((text, last)) = self.first.as_mut() else { return Ok(()) };
        let mut at = 0;
        for _ in 0..n {
            match text[at..].find('\n') {
                Some(i) => {
                    text.replace_range(at..at + i, "");
                    at += 1;
                }
                None if *last => {
                    text.truncate(at);
                    break;
                }
                None => {
                    bail!("[csv] skip_lines = {n}: the lines to skip run past the file's first {BLOCK_BYTES} bytes")
                }
            }
        }
        Ok(())
    }

    /// The first block's text, and whether it is the whole file (empty once parsing
    /// has started).
    fn first_block(&self) -> (&str, bool) {
        self.first.as_ref().map_or(("", false), |(text, last)| (text.as_str(), *last))
    }

    fn start(
        &mut self,
        sep: u8,
        quote: u8,
        wanted: &[String],
        direct: Vec<(String, &'static str, Kind)>,
        nulls: Vec<String>,
        ptz: Tz,
    ) {
        (self.sep, self.quote) = (sep, quote);
        (self.wanted, self.direct, self.nulls, self.ptz) = (wanted.to_vec(), direct, nulls, ptz);
        self.check = Some(dialect::ShapeCheck::new(sep, quote));
    }

    /// Reads the next block and decodes its whole lines (all of it at the end of the
    /// file); the rest waits in `pending`.
    fn read_block(&mut self) -> Result<(String, bool)> {
        use std::io::Read;
        // The block before's memory, already mapped: a fresh buffer per block was
        // page faults and zeroing in the kernel.
        let mut block = std::mem::take(&mut self.spare);
        block.clear();
        block.reserve(self.pending.len() + BLOCK_BYTES);
        block.extend_from_slice(&self.pending);
        self.pending.clear();
        let read = (&mut self.file).take(BLOCK_BYTES as u64).read_to_end(&mut block)?;
        let last = read < BLOCK_BYTES;
        if self.offset == 0 {
            self.utf16 = match block.get(..2) {
                Some([0xFF, 0xFE]) => Some(encoding_rs::UTF_16LE.new_decoder_with_bom_removal()),
                Some([0xFE, 0xFF]) => Some(encoding_rs::UTF_16BE.new_decoder_with_bom_removal()),
                _ => None,
            };
        }
        if let Some(decoder) = self.utf16.as_mut() {
            let mut text = std::mem::take(&mut self.tail);
            let from = text.len();
            text.reserve(decoder.max_utf8_buffer_length(block.len()).unwrap_or(block.len() * 3));
            let (_, _, _) = decoder.decode_to_string(&block, &mut text, last);
            if self.offset == 0 {
                self.cr_only = text.contains('\r') && !text.contains('\n');
            }
            if self.cr_only {
                text.replace_range(from.., &text[from..].replace('\r', "\n"));
            }
            let cut = if last { text.len() } else { text.rfind('\n').map_or(0, |i| i + 1) };
            self.tail = text.split_off(cut);
            self.offset += block.len() as u64;
            self.spare = block;
            return Ok((text, last));
        }
        if self.offset == 0 {
            self.cr_only = memchr::memchr(b'\r', &block).is_some() && memchr::memchr(b'\n', &block).is_none();
        }
        if self.cr_only {
            // (`pending` was changed before it was put back.)
            let from = block.len() - read;
            block[from..].iter_mut().filter(|b| **b == b'\r').for_each(|b| *b = b'\n');
        }
        let cut = if last { block.len() } else { memchr::memrchr(b'\n', &block).map_or(0, |i| i + 1) };
        self.pending.extend_from_slice(&block[cut..]);
        block.truncate(cut);
        // A byte-order mark at the start of a UTF-8 file is not text.
        let skip =
            if self.offset == 0 && matches!(self.encoding, Encoding::Utf8 { .. }) && block.starts_with(b"\xEF\xBB\xBF")
            {
                3
            } else {
                0
            };
        let bytes = block.len() as u64;
        let text = match self.encoding {
            // A byte-order mark is looked for at the start of the file only: a later
            // block's first line may start with the bytes of one ("ÿþ").
            Encoding::Windows1252 if self.offset == 0 => encoding_rs::WINDOWS_1252.decode(&block).0.into_owned(),
            Encoding::Windows1252 => encoding_rs::WINDOWS_1252.decode_without_bom_handling(&block).0.into_owned(),
            // Valid UTF-8 becomes the text without a copy.
            Encoding::Utf8 { auto } => match std::str::from_utf8(&block[skip..]) {
                Ok(_) => {
                    block.drain(..skip);
                    String::from_utf8(block).expect("checked")
                }
                Err(_) if auto => return Err(NotUtf8(self.path.clone()).into()),
                Err(e) => {
                    let at = self.offset + (skip + e.valid_up_to()) as u64;
                    let line = line_at(&self.path, at)?;
                    bail!("not valid UTF-8 at byte {at} (line {line}): set [csv] encoding = \"windows-1252\" in the profile if the export is Latin-1 / Windows-1252")
                }
            },
        };
        self.offset += bytes;
        Ok((text, last))
    }

    /// The next block's whole records, parsed; None after the last. A file with a header
    /// and no rows gives one empty chunk.
    fn next_chunk(&mut self) -> Result<Option<fields::Chunk>> {
        if let Some(queued) = self.queued.take() {
            return Ok(Some(queued));
        }
        loop {
            if self.done {
                return Ok(None);
            }
            let (text, last) = if let Some(first) = self.first.take() {
                first
            } else {
                let (more, last) = self.read_block()?;
                let text = if self.carry.is_empty() {
                    more
                } else {
                    let mut text = std::mem::take(&mut self.carry);
                    text.push_str(&more);
                    text
                };
                (text, last)
            };
            let check = self.check.as_mut().expect("started");
            let records_before = check.records();
            // A block of whole lines without a quote, past the header: each line is a
            // record (or blank), so the split counts their fields and the check takes
            // its findings from those counts (`account`) instead of a pass of its own
            // over the block (4% of W1's CPU).
            let quote_free = self.fields.is_some()
                && check.has_header()
                && (last || text.ends_with('\n'))
                && memchr::memchr(self.quote, text.as_bytes()).is_none();
            // A block with quotes can be cut where a record starts past its middle (a
            // third, for the thread that also checked it, was slower: it waits for the
            // other part before reading the next block).
            let fed = if quote_free {
                dialect::Fed { end: text.len(), header_end: None, cut: None }
            } else {
                check.feed(&text, last, text.len() / 2)?
            };
            let (end, header_end) = (fed.end, fed.header_end);
            let start = match header_end {
                Some(h) => {
                    let (wanted, direct) = (&self.wanted, &self.direct);
                    let keep = |c: &str| {
                        wanted
                            .iter()
                            .any(|w| w == c)
                            .then(|| direct.iter().find(|(d, ..)| d == c).map(|(_, n, k)| (*n, *k)))
                    };
                    let clock = LocalClock::new(self.ptz);
                    self.fields =
                        Some(fields::Fields::new(self.sep, self.quote, check.names(), keep, self.nulls.clone(), clock));
                    h
                }
                // Blank lines before the header: nothing to keep.
                None if self.fields.is_none() => end,
                None => 0,
            };
            let rows = check.records() - records_before;
            let unfinished = &text[end..];
            if matches!(self.encoding, Encoding::Utf8 { .. }) && self.utf16.is_none() && !last {
                // UTF-8 text is its bytes: the unfinished record goes back in front of
                // the bytes not read yet, and the next block starts with it (no copy of
                // the block to put it in front).
                self.pending.splice(0..0, unfinished.bytes());
                self.offset -= unfinished.len() as u64;
            } else {
                self.carry = unfinished.to_string();
            }
            self.done = last;
            if rows == 0 && !quote_free && !(last && self.chunks == 0) {
                continue;
            }
            let (Some(fields), helper) = (&mut self.fields, &mut self.helper) else {
                bail!("the file is empty: expected a header line");
            };
            let body = &text[start.min(end)..end];
            // A large block is split in two parts side by side (one big export otherwise
            // keeps a core idle): without a quote, a record ends at every line end; with
            // quotes (exports that quote every value), where the check found one.
            let checked_cut = fed.cut.filter(|c| *c > start && end.saturating_sub(start) >= 1 << 20).map(|c| c - start);
            let (mut chunk, second) = match halfway(body, self.quote, quote_free).or(checked_cut) {
                Some(mid) => {
                    let helper = helper.get_or_insert_with(|| fields.clone());
                    let (first, second) = std::thread::scope(|scope| {
                        let second = scope.spawn(|| helper.chunk(&body[mid..]));
                        let first = fields.chunk(&body[..mid]);
                        (first, second.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                    });
                    (first?, Some(second?))
                }
                None => (fields.chunk(body)?, None),
            };
            if quote_free {
                let check = self.check.as_mut().expect("started");
                let mut parts = vec![(&chunk.seen, chunk.rows)];
                parts.extend(second.as_ref().map(|s| (&s.seen, s.rows)));
                check.account(&parts)?;
                let rows = chunk.rows + second.as_ref().map_or(0, |s| s.rows);
                if rows == 0 && !(last && self.chunks == 0) {
                    self.spare = text.into_bytes();
                    continue;
                }
            }
            self.chunks += 1;
            if self.chunks == 1 && end > start {
                // The file's size over this block's bytes per row, and a little more.
                let rows = chunk.rows + second.as_ref().map_or(0, |s| s.rows);
                let per_row = (end - start) as f64 / rows.max(1) as f64;
                chunk.expected_rows = Some((self.len as f64 / per_row * 1.05) as usize);
            }
            self.queued = second;
            self.spare = text.into_bytes();
            return Ok(Some(chunk));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The customer ids found among the displayed words and the findings' values: short
    /// (in the string view) and long ids, in tickets and calls, in either half of a
    /// column; a word that is no one's id, or an id no one wrote, is not found.
    #[test]
    fn customer_ids_are_the_displayed_words_that_are_ids() {
        let long = "CUSTOMER-000000000042";
        let meta = |name: &str, issues: Vec<QualityIssue>| SourceMeta { issues, ..SourceMeta::of_test(name) };
        let finding = QualityIssue {
            column: "agent".into(),
            problem: String::new(),
            count: 1,
            first_row: 1,
            first_value: format!("see {long}"),
            rows_dropped: false,
        };
        let tickets = df!("customer_id" => [Some("CUS-1"), None, Some("CUS-2"), Some("CUS-3")]).unwrap();
        let calls =
            df!("customer_id" => [Some("CUS-9"), Some(long), Some("CUS-4"), Some("CUS-4"), Some("CUS-5")]).unwrap();
        let data = Loaded {
            tickets: Some(Source { name: "tickets", frame: tickets, meta: meta("tickets", vec![]) }),
            calls: Some(Source { name: "calls", frame: calls, meta: meta("calls", vec![finding]) }),
            surveys: None,
            agent_time: None,
        };
        let shown: Vec<(&'static str, Displayed)> = vec![
            ("tickets", vec![("reason", vec!["Call CUS-3 back".into(), "CUS-4 and CUS-7".into()])]),
            ("calls", vec![("agent", vec!["CUS-1".into()])]),
        ];
        assert_eq!(customer_ids(&data, &shown).unwrap(), ["CUS-1", "CUS-3", "CUS-4", long]);
    }

    /// A Parquet datetime is kept where chrono can represent it, checked as a range of
    /// milliseconds (typed_columns): the range from_timestamp_millis accepts.
    #[test]
    fn chronos_range_of_instants_is_the_one_from_timestamp_millis_accepts() {
        let (lo, hi) = (
            chrono::DateTime::<chrono::Utc>::MIN_UTC.timestamp_millis(),
            chrono::DateTime::<chrono::Utc>::MAX_UTC.timestamp_millis(),
        );
        for ms in [i64::MIN, lo - 1, lo, lo + 1, -1, 0, 1_788_249_600_000, hi - 1, hi, hi + 1, i64::MAX] {
            assert_eq!(chrono::DateTime::from_timestamp_millis(ms).is_some(), (lo..=hi).contains(&ms), "{ms}");
        }
    }

    #[test]
    fn a_bad_value_that_a_profile_line_would_read_is_told_with_that_line() {
        let first = |v: &str| Some((0usize, v.to_string()));
        let hint = |kind, v: &str, column, source| expected_of(kind, first(v).as_ref(), column, source);
        let e = hint(Kind::Timestamp, "13/09/2026 10:00", "created_at", "`Créé le`");
        assert!(e.starts_with(&expected(Kind::Timestamp)), "{e}");
        assert!(e.ends_with(r#"[datetimes] created_at = { column = "Créé le", format = "%d/%m/%Y %H:%M" }"#), "{e}");
        let e = hint(Kind::Number, "1:02:03", "handle_seconds", "`Time \"tracked\"`");
        assert!(e.ends_with(r#"[durations] handle_seconds = { column = "Time \"tracked\"", unit = "hms" }"#), "{e}");
        assert!(hint(Kind::Number, "12:03", "talk_seconds", "`Talk`").contains("unit = \"hms\""));
        let e = hint(Kind::Number, "Very satisfied", "score", "`Rating`");
        assert!(e.ends_with(r#"in the profile's [values.score] ("Very satisfied" = "5")"#), "{e}");
        assert!(hint(Kind::Number, "Good", "csat_score", "`Satisfaction`").contains("[values.csat_score]"));
        assert_eq!(hint(Kind::Number, "five", "reopens", "`Reopens`"), expected(Kind::Number));
        assert!(hint(Kind::Bool, "Oui", "escalated", "`Escaladé`")
            .ends_with("[booleans] (true = [\"Oui\"], false = [\"Non\"])"));
        let e = hint(Kind::Timestamp, "1788256800", "created_at", "`ts`");
        assert!(e.ends_with(r#"[datetimes] created_at = { column = "ts", epoch = "seconds" }"#), "{e}");
        let e = hint(Kind::Timestamp, " 1788256800000", "created_at", "`ts`");
        assert!(e.ends_with(r#"epoch = "milliseconds" }"#), "{e}");
        assert_eq!(hint(Kind::Timestamp, "178825680", "created_at", "`ts`"), expected(Kind::Timestamp));
        // Nothing to name: a count written as a clock, a value no format reads, a column
        // not read from one source column (a constant, a part of a column).
        for (kind, v, column, source) in [
            (Kind::Number, "1:02", "agent_replies", "`Replies`"),
            (Kind::Number, "1:02:03:04", "handle_seconds", "`Time`"),
            (Kind::Timestamp, "soon", "created_at", "`Created`"),
            (Kind::Timestamp, "13/09/2026", "created_at", "part 0 of `When`"),
        ] {
            assert_eq!(hint(kind, v, column, source), expected(kind), "{v}");
        }
        assert_eq!(expected_of(Kind::Timestamp, None, "created_at", "`Created`"), expected(Kind::Timestamp));
    }

    #[test]
    fn a_column_spelled_otherwise_is_found() {
        let file: Vec<String> = ["Ticket ID", "created_at", "Kanal", "--"].map(String::from).to_vec();
        let like = |name: &str| spelled_like(name, &file);
        assert_eq!(like("Created at").as_deref(), Some("created_at"));
        assert_eq!(like("ticket-id").as_deref(), Some("Ticket ID"));
        assert_eq!(like("TICKET_ID").as_deref(), Some("Ticket ID"));
        // Not the column itself, not another word, not a name of punctuation alone.
        assert_eq!(like("created_at"), None);
        assert_eq!(like("Channel"), None);
        assert_eq!(like("__"), None);
    }

    #[test]
    fn parquet_slices_are_whole_row_groups_or_pieces_of_a_large_one() {
        let k = 1000;
        // Small groups gathered up to SLICE_ROWS (65,536): 3 × 20k, then 2 × 20k.
        assert_eq!(slice_ends(&[20 * k; 5]), [60 * k, 100 * k]);
        // A group over SLICE_ROWS is a slice of its own, wherever it comes.
        assert_eq!(slice_ends(&[20 * k, 100 * k, 20 * k]), [20 * k, 120 * k, 140 * k]);
        assert_eq!(slice_ends(&[65_536, 1]), [65_536, 65_537]);
        // A group over FRAME_ROWS (262,144) in pieces of that size.
        assert_eq!(slice_ends(&[10, 600_000, 10]), [10, 262_154, 524_298, 600_010, 600_020]);
        assert_eq!(slice_ends(&[]), Vec::<usize>::new());
        assert_eq!(slice_ends(&[0, 5, 0]), [5]);
    }

    #[test]
    fn large_quote_free_records_are_cut_in_two_after_a_line_end() {
        let line = "1234567,2026-09-01T00:00:00Z,solved,email,x\n";
        let text = line.repeat((1 << 20) / line.len() + 10);
        let mid = halfway(&text, b'"', false).expect("large and quote-free");
        assert_eq!(halfway(&text, b'"', true), Some(mid));
        assert_eq!(mid % line.len(), 0);
        assert!((mid as i64 - text.len() as i64 / 2).unsigned_abs() <= line.len() as u64);
        let quoted = format!("{text}9,\"a\",b\n");
        assert_eq!(halfway(&quoted, b'"', false), None);
        assert_eq!(halfway(&line.repeat(100), b'"', false), None);
    }

    #[test]
    fn ndjson_is_read_as_by_value() {
        // Past one 8 MiB block, each cut in two halves: keys in changing orders, keys first
        // met late, a key given twice, nested values, numbers of every kind, escapes,
        // blank lines, CRLF, and keys not wanted.
        let mut text = String::new();
        let values = [
            r#""plain""#,
            r#""esc\"aped\n é \u00e9""#,
            "12",
            "-7",
            "0.10",
            "1e300",
            "-0.0",
            "18446744073709551615",
            "123456789012345678901234567890",
            "true",
            "null",
            r#"{"b": [1, 2.5, "x"], "a": null}"#,
            "[]",
            r#""""#,
        ];
        let mut r = 0usize;
        while text.len() < 19 << 20 {
            let v = |k: usize| values[(r + k) % values.len()];
            let line = match r % 5 {
                0 => format!(r#"{{"id": "{r}", "a": {}, "b": {}, "skip": {}}}"#, v(0), v(1), v(2)),
                1 => format!(r#"{{"b": {}, "id": "{r}", "a": {}, "a": {}}}"#, v(3), v(4), v(5)),
                2 => format!("{{\"id\":\"{r}\",\"a\":{}}}\r", v(6)),
                3 => "  ".to_string(),
                _ => format!(r#"{{"id": "{r}", "b": {}, "skip": {{"deep": [{}]}}}}"#, v(7), v(8)),
            };
            text.push_str(&line);
            text.push('\n');
            if r == 150_000 {
                text.push_str(r#"{"late": "first seen here", "id": "late"}"#);
                text.push('\n');
            }
            r += 1;
        }
        text.push_str(r#"{"id": "last, without a line end", "a": 1}"#);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.ndjson");
        std::fs::write(&path, &text).unwrap();
        let wanted: Vec<String> = ["a", "b", "id", "late", "absent"].map(String::from).to_vec();
        let (fast, names) = ndjson::read(&path, &wanted).unwrap().expect("every line an object");
        let slow = ndjson_by_value(&path).unwrap();
        let slow_names: Vec<String> = slow.get_column_names().iter().map(|c| c.to_string()).collect();
        assert_eq!(names, slow_names);
        assert_eq!(names, ["id", "a", "b", "skip", "late"]);
        assert_eq!(fast.get_column_names(), ["id", "a", "b", "late"]);
        assert_eq!(fast.height(), slow.height());
        for c in ["id", "a", "b", "late"] {
            let (f, s) = (fast.column(c).unwrap().str().unwrap(), slow.column(c).unwrap().str().unwrap());
            assert!(f.iter().eq(s.iter()), "{c}");
        }
        let late = fast.column("late").unwrap().str().unwrap();
        assert_eq!((late.null_count(), late.len()), (late.len() - 1, fast.height()));
        // The same records as one JSON array.
        let array = format!("[{}]", text.lines().filter(|l| !l.trim().is_empty()).collect::<Vec<_>>().join(",\n"));
        // Read in two halves (its records start with "id", as the first does); the comma
        // set to `[` for the second half is put back.
        let array_of = |text: &str| {
            let mut bytes = text.as_bytes().to_vec();
            let read = ndjson::read_array(&mut bytes, &wanted).unwrap();
            assert!(bytes == text.as_bytes(), "the text is given back as it was");
            read
        };
        assert!(ndjson::halves_of(array.as_bytes()).is_some());
        let (fast_array, array_names) = array_of(&array).expect("an array of objects");
        assert_eq!(array_names, names);
        assert_eq!(fast_array, fast);
        assert_eq!(json_by_value(array.as_bytes()).unwrap(), slow);
        for bad in ["[1]", "[{\"a\": 1}, 2]", "[{\"a\": 1}] x", "{\"a\": 1}"] {
            assert!(array_of(bad).is_none(), "{bad}");
            assert!(json_by_value(bad.as_bytes()).is_err(), "{bad}");
        }
        // Not an array of objects past its middle, or before it: None, halves or not.
        let mut records: Vec<&str> = array[1..array.len() - 1].split(",\n").collect();
        let n = records.len();
        for at in [n / 4, n * 3 / 4] {
            let kept = records[at];
            records[at] = "[1]";
            let bad = format!("[{}]", records.join(",\n"));
            assert!(ndjson::halves_of(bad.as_bytes()).is_some());
            assert!(array_of(&bad).is_none(), "record {at} of {n}");
            records[at] = kept;
        }
        // Objects nested in arrays that start with the records' first key: a comma between
        // two of them looks like one between records, and the first half then ends inside
        // a record. The array is read whole instead, with the same columns.
        let nested: Vec<String> = (0..40_000)
            .map(|r| {
                format!(
                    r#"{{"id": "{r}", "a": [{{"id": 1}}, {{"id": 2}}, {{"id": 3}}], "b": "{}"}}"#,
                    "x".repeat(r % 50)
                )
            })
            .collect();
        let nested = format!("[{}]", nested.join(","));
        let cut = ndjson::halves_of(nested.as_bytes()).expect("a comma that looks like one between records");
        assert!(nested[cut..].starts_with(r#", {"id": 2}"#) || nested[cut..].starts_with(r#", {"id": 3}"#));
        let (fast, _) = array_of(&nested).expect("an array of objects");
        let slow = json_by_value(nested.as_bytes()).unwrap();
        assert_eq!(fast.height(), 40_000);
        for c in ["id", "a", "b"] {
            let (f, s) = (fast.column(c).unwrap().str().unwrap(), slow.column(c).unwrap().str().unwrap());
            assert!(f.iter().eq(s.iter()), "{c}");
        }
        // Not one object per line: None, and the line-by-line read names the line.
        for bad in ["[1, 2]", "{\"a\": 1} x", "{\"a\": }"] {
            std::fs::write(&path, format!("{{\"a\": 1}}\n{bad}\n")).unwrap();
            assert!(ndjson::read(&path, &wanted).unwrap().is_none(), "{bad}");
            let e = ndjson_by_value(&path).unwrap_err().to_string();
            assert!(e.starts_with("line 2: "), "{e}");
        }
        std::fs::write(&path, b"{\"a\": \"caf\xe9\"}\n").unwrap();
        assert!(ndjson::read(&path, &wanted).unwrap().is_none());
        // A byte-order mark before the first record is skipped, both ways.
        std::fs::write(&path, "\u{feff}{\"a\": \"x\"}\n{\"a\": 2}\n").unwrap();
        let (fast, _) = ndjson::read(&path, &wanted).unwrap().expect("objects after the mark");
        let a = |f: &DataFrame| {
            f.column("a").unwrap().str().unwrap().iter().map(|v| v.map(str::to_string)).collect::<Vec<_>>()
        };
        assert_eq!(a(&fast), [Some("x".to_string()), Some("2".to_string())]);
        assert_eq!(a(&ndjson_by_value(&path).unwrap()), a(&fast));
        let mut marked = "\u{feff}[{\"a\": \"x\"}]".as_bytes().to_vec();
        let (array, _) = ndjson::read_array(&mut marked, &wanted).unwrap().expect("an array");
        assert_eq!(a(&array), [Some("x".to_string())]);
    }

    fn ids_frame(ids: &[Option<&str>]) -> DataFrame {
        let rows: Vec<u64> = (0..ids.len() as u64).collect();
        df!("ticket_id" => ids, ROW => rows).expect("frame")
    }

    #[test]
    fn duplicate_ids_are_found_in_any_order() {
        // Increasing by (length, text): the no-hash path, nothing dropped.
        let (f, issue) = drop_duplicates(ids_frame(&[Some("9"), Some("10"), Some("11")]), "ticket_id").unwrap();
        assert_eq!((f.height(), issue), (3, None));
        // A repeat right after its first (sorted input) and out of order (hashed path).
        for ids in [[Some("9"), Some("10"), Some("10")], [Some("10"), Some("9"), Some("10")]] {
            let (f, issue) = drop_duplicates(ids_frame(&ids), "ticket_id").unwrap();
            let issue = issue.expect("a duplicate");
            assert_eq!((f.height(), issue.count, issue.first_row, issue.first_value.as_str()), (2, 1, 3, "10"));
        }
        // Empty ids are not duplicates of each other.
        let (f, issue) = drop_duplicates(ids_frame(&[Some("1"), None, None]), "ticket_id").unwrap();
        assert_eq!((f.height(), issue), (3, None));
    }

    #[test]
    fn a_column_needs_cleaning_when_padded_empty_or_a_null_token() {
        let tokens = vec!["NA".to_string(), "null".to_string()];
        let clean = |v: &[Option<&str>]| already_clean(&StringChunked::new("c".into(), v), &tokens);
        assert!(clean(&[Some("a b"), None, Some("é")]));
        for bad in [" a", "a\t", "", "NA", "null", "\u{a0}x", "x\u{3000}", "a\u{b}"] {
            assert!(!clean(&[Some("ok"), Some(bad)]), "{bad:?}");
        }
        // Values longer than a view holds: their last byte is in a buffer.
        let long = "a value longer than twelve bytes";
        assert!(clean(&[Some(long), Some("x"), Some("twelve bytes")]));
        for bad in [format!("{long} "), format!(" {long}"), format!("{long}\u{a0}"), format!("{long}\r")] {
            assert!(!clean(&[Some(long), Some(bad.as_str())]), "{bad:?}");
        }
        // A null token of a long length; non-ASCII values that are clean.
        let tokens_long = vec!["(no value given)".to_string()];
        let ca = StringChunked::new("c".into(), &[Some("(no value given)")]);
        assert!(!already_clean(&ca, &tokens_long));
        // A token of 64 bytes or more (past the lengths' bits).
        let very_long = "x".repeat(70);
        let ca = StringChunked::new("c".into(), &[Some("ok"), Some(very_long.as_str())]);
        assert!(!already_clean(&ca, std::slice::from_ref(&very_long)));
        assert!(already_clean(&ca, &["y".repeat(70)]));
        assert!(clean(&[Some("é"), Some("Réseau"), Some("日本語のテキストの値です")]));
        // Several chunks and a slice: validity and views stay aligned.
        let mut ca = StringChunked::new("c".into(), &[Some("ok"), None]);
        ca.append(&StringChunked::new("c".into(), &[None, Some(" padded")])).unwrap();
        assert!(!already_clean(&ca, &tokens));
        assert!(already_clean(&ca.slice(0, 3), &tokens));
        let ca = StringChunked::new("c".into(), &[Some(" x "), Some("NA"), Some(""), None]);
        assert_eq!(cells(&ca, &tokens).collect::<Vec<_>>(), vec![Some("x"), None, None, None]);
    }
}
