//! compute: the metric catalogue for one period, from the loaded sources.
//! Polars stays in here; what leaves is a plain `MetricSet`.

mod agents;
mod calls;
pub mod catalog;
pub(crate) mod groups;
pub(crate) use calls::masks as calls_masks;
pub mod prepare;
mod surveys;
mod tickets;
pub(crate) mod volume;

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
    /// The variant in force, for metrics that have several (fcr, service_level).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// Every variant's value (None: n/a or its inputs are missing).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub variants: BTreeMap<String, Option<f64>>,
    /// Fewer observations than the minimum n for a per-agent or per-team value.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub low_n: bool,
    /// Wilson 95% interval of a proportion, in percent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ci95: Option<[f64; 2]>,
    /// The durations behind a duration metric (current, previous and year-ago periods
    /// only), for the Mann–Whitney test. Not serialised.
    #[serde(skip)]
    pub sample: Option<std::sync::Arc<Sample>>,
}

/// A duration metric's values in ascending order, held from its period's computation to
/// the comparisons (the three compared periods' samples: W1, 3.8 million values): in 4
/// bytes a value when every one is exactly a 4-byte float (whole seconds under 194 days
/// are), else in 8. Either way `values` gives back the values as they were computed.
#[derive(Debug, PartialEq)]
pub enum Sample {
    Wide(Vec<f64>),
    Narrow(Vec<f32>),
}

impl Sample {
    pub fn new(values: Vec<f64>) -> Self {
        if values.iter().all(|v| crate::load::stack::exact_f32(*v)) {
            Sample::Narrow(values.into_iter().map(|v| v as f32).collect())
        } else {
            Sample::Wide(values)
        }
    }

    /// The values, as 8-byte floats (made for the caller when held in 4 bytes).
    pub fn values(&self) -> std::borrow::Cow<'_, [f64]> {
        match self {
            Sample::Wide(v) => std::borrow::Cow::Borrowed(v),
            Sample::Narrow(v) => std::borrow::Cow::Owned(v.iter().map(|x| f64::from(*x)).collect()),
        }
    }
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
    pub(crate) fn base(id: &str) -> Self {
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
            variant: None,
            variants: BTreeMap::new(),
            low_n: false,
            ci95: None,
            sample: None,
        }
    }

    pub fn count(id: &str, n: f64) -> Self {
        MetricValue { value: Some(n), n: n as u64, ..Self::base(id) }
    }

    /// num / den × scale, "n/a" (None) when den is 0.
    pub fn ratio(id: &str, num: f64, den: f64, scale: f64) -> Self {
        // A proportion in percent gets its Wilson interval.
        let ci95 = if scale == 100.0 && den > 0.0 && (0.0..=den).contains(&num) {
            crate::stats::wilson95(num, den).map(|(lo, hi)| [lo * 100.0, hi * 100.0])
        } else {
            None
        };
        MetricValue {
            value: (den > 0.0).then(|| num / den * scale),
            n: den as u64,
            numerator: Some(num),
            denominator: Some(den),
            ci95,
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

/// A metric with one value per group (channel, priority, agent …).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Breakdown {
    pub id: String,
    /// What the rows are keyed by (`channel`, `agent`, `weekday_hour` …).
    pub dimension: String,
    pub rows: Vec<BreakdownRow>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub needs: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BreakdownRow {
    pub key: String,
    pub values: Vec<MetricValue>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
}

impl BreakdownRow {
    pub fn get(&self, id: &str) -> Option<&MetricValue> {
        self.values.iter().find(|m| m.id == id)
    }
}

impl Breakdown {
    pub fn row(&self, key: &str) -> Option<&BreakdownRow> {
        self.rows.iter().find(|r| r.key == key)
    }

    fn not_available(id: &str, dimension: &str, needs: Vec<String>) -> Self {
        Breakdown { id: id.into(), dimension: dimension.into(), rows: vec![], needs }
    }
}

/// Every metric of the catalogue for one period, in catalogue order.
#[derive(Debug, Clone, Serialize)]
pub struct MetricSet {
    pub period: String,
    pub metrics: Vec<MetricValue>,
    pub breakdowns: Vec<Breakdown>,
    /// Tickets created and inbound calls offered on each local day, for the daily
    /// volume chart (made with the breakdowns). Not serialised.
    #[serde(skip)]
    pub daily: Option<Vec<(f64, f64)>>,
}

impl MetricSet {
    pub fn get(&self, id: &str) -> &MetricValue {
        self.metrics.iter().find(|m| m.id == id).unwrap_or_else(|| panic!("metric `{id}` not computed"))
    }

    pub fn value(&self, id: &str) -> Option<f64> {
        self.get(id).value
    }

    pub fn breakdown(&self, id: &str) -> &Breakdown {
        self.breakdowns.iter().find(|b| b.id == id).unwrap_or_else(|| panic!("breakdown `{id}` not computed"))
    }
}

/// The code columns prepare() also keeps as integers (`__<column>`).
pub(crate) const CODED: [&str; 3] = ["outcome", "kind", "priority"];

/// A number column's values as 8-byte floats, which every metric computes with: the
/// columns of `load::schema::COMPACT` are held in 4 bytes where that is exact (each
/// period's rows too), and a sum, mean, quantile or comparison in 4-byte floats would
/// not give the values the 8-byte ones do. Every read of those columns' values goes
/// through here (a test for null needs no cast); the cast is made as a query reads
/// them, not as a copy of each period's rows (W1: 10 MB a period, 19 MB for the
/// drivers).
pub(crate) fn num(name: &str) -> Expr {
    col(name).cast(DataType::Float64)
}

/// `column == value` for a code column, on its integer form when it has one.
pub(crate) fn code_is(column: &str, value: &str) -> Expr {
    let code = CODED
        .contains(&column)
        .then(|| crate::load::schema::vocabulary(column))
        .flatten()
        .and_then(|(words, _)| words.iter().position(|w| *w == value));
    match code {
        Some(i) => col(format!("__{column}")).eq(lit(prepare::code(i))),
        None if CODED.contains(&column) => lit(false),
        None => col(column).eq(lit(value)),
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

    /// Which of `times` are in the window, as bits (a slot of a null too: the caller
    /// applies the validity).
    fn bits(&self, times: &[i64]) -> polars_arrow::bitmap::Bitmap {
        polars_arrow::bitmap::Bitmap::from_trusted_len_iter(times.iter().map(|v| *v >= self.start && *v < self.end))
    }
}

/// What every family's computation receives.
pub struct Ctx<'a> {
    pub cfg: &'a Config,
    pub period: &'a crate::period::Period,
    pub window: Window,
    pub days: f64,
    /// "Now" (--as-of), epoch ms: the SLA's "not yet responded" rule is judged then.
    pub as_of: i64,
    /// Keep duration samples for significance tests.
    pub keep_samples: bool,
    /// Compute every breakdown. A trend-only period needs its scalar metrics and the
    /// channel mix (its chart); its other breakdowns would never be shown.
    pub breakdowns: bool,
}

/// The prefix of the mask columns `compute_with` adds to a period's frames.
pub(crate) const MASK: &str = "__mask_";

impl Ctx<'_> {
    /// `column` in the period's window, as the mask column made once for the period
    /// (see `add_masks`); null where `column` is, like `window.contains(column)`.
    pub fn within(&self, column: &str) -> Expr {
        col(format!("{MASK}{column}"))
    }

    /// The calls' masks of the period, as the columns `add_masks` made of them.
    pub(crate) fn call_masks(&self) -> calls::CallMasks {
        let m = |name: &str| col(format!("{MASK}{name}"));
        calls::CallMasks {
            offered: m("offered"),
            answered: m("answered"),
            abandoned: m("abandoned"),
            short: m("short"),
            ivr: m("ivr"),
        }
    }
}

/// The period's masks as columns of its frames: `window.contains(..)` of each time
/// column the families filter on, and the calls' masks. Each was an expression that
/// every query of every family evaluated again (polars compares without SIMD on stable
/// Rust: a bit at a time), dozens of times a period.
fn add_masks(win: &mut Loaded, w: &Window, cfg: &Config) -> Result<()> {
    if let Some(t) = win.tickets.as_mut() {
        with_masks(t, &["created_at", "solved_at"], w)?;
        // Each SLA's target by priority (a chain of when/then a priority), which the
        // SLA masks compare with in several queries.
        if t.has("priority") {
            let sla = &cfg.sla;
            let targets = [("frt", &sla.first_response), ("res", &sla.resolution)];
            let exprs: Vec<Expr> = (targets.iter())
                .filter(|(_, t)| !t.is_empty())
                .map(|(d, t)| tickets::target_expr(t).alias(tickets::target_column(d)))
                .collect();
            if !exprs.is_empty() {
                t.frame = t.frame.clone().lazy().with_columns(exprs).collect()?;
            }
        }
    }
    if let Some(s) = win.surveys.as_mut() {
        with_masks(s, &["responded_at"], w)?;
    }
    if let Some(a) = win.agent_time.as_mut() {
        with_masks(a, &["date"], w)?;
    }
    if let Some(c) = win.calls.as_mut() {
        with_masks(c, &["offered_at"], w)?;
        let m = calls::masks_of(c, col(format!("{MASK}offered_at")), &cfg.calls);
        let named = [
            ("offered", m.offered),
            ("answered", m.answered),
            ("abandoned", m.abandoned),
            ("short", m.short),
            ("ivr", m.ivr),
        ];
        let exprs: Vec<Expr> = named.into_iter().map(|(n, e)| e.alias(format!("{MASK}{n}"))).collect();
        c.frame = c.frame.clone().lazy().with_columns(exprs).collect()?;
    }
    Ok(())
}

/// Adds the window mask of each of `columns` that `src` has.
fn with_masks(src: &mut crate::load::Source, columns: &[&str], w: &Window) -> Result<()> {
    for c in columns {
        if !src.has(c) {
            continue;
        }
        let mask = window_mask(&src.frame, c, w)?;
        src.frame.with_column(mask.with_name(format!("{MASK}{c}").into()).into_column())?;
    }
    Ok(())
}

/// `window.contains(column)` of a frame, in one pass over its values (the validity is
/// the column's: null where the time is). A column of another type goes through polars.
fn window_mask(frame: &DataFrame, column: &str, w: &Window) -> Result<Series> {
    let Ok(times) = frame.column(column)?.i64() else {
        let df = frame.clone().lazy().select([w.contains(column).alias("m")]).collect()?;
        return Ok(df.column("m")?.as_materialized_series().clone());
    };
    let chunks: Vec<polars_arrow::array::BooleanArray> = times
        .downcast_iter()
        .map(|arr| {
            polars_arrow::array::BooleanArray::new(
                ArrowDataType::Boolean,
                w.bits(arr.values()),
                arr.validity().cloned(),
            )
        })
        .collect();
    Ok(BooleanChunked::from_chunk_iter(column.into(), chunks).into_series())
}

pub fn compute(data: &Loaded, cfg: &Config, period: &crate::period::Period, as_of: i64) -> Result<MetricSet> {
    compute_with(data, cfg, period, as_of, false, true)
}

/// `compute`, keeping the duration samples behind each duration metric when asked, and
/// only the scalar metrics and the channel mix unless `breakdowns`.
pub fn compute_with(
    data: &Loaded,
    cfg: &Config,
    period: &crate::period::Period,
    as_of: i64,
    keep_samples: bool,
    breakdowns: bool,
) -> Result<MetricSet> {
    let tz = cfg.timezone()?;
    let (start, end) = period.bounds_ms(tz);
    let window = Window { start, end };
    let ctx = Ctx { cfg, period, window, days: period.days() as f64, as_of, keep_samples, breakdowns };
    let mut found: BTreeMap<String, MetricValue> = BTreeMap::new();
    let mut breakdowns: BTreeMap<String, Breakdown> = BTreeMap::new();
    let put = |found: &mut BTreeMap<String, MetricValue>, v: Vec<MetricValue>| {
        for m in v {
            found.insert(m.id.clone(), m);
        }
    };
    // Each family looks only at the rows that can count in the period (tickets created
    // or solved in it, calls offered, responses given), instead of masking the whole
    // frames again for every period. The backlog (tickets open at the period's start or
    // end, whenever created) is counted in one loop over every ticket.
    let backlog = data.tickets.as_ref().map(|t| tickets::Backlog::count(&t.frame, &ctx.window)).transpose()?.flatten();
    let mut win = windowed(data, &ctx.window)?;
    prepare::period_columns(&mut win, cfg, Some(as_of), ctx.breakdowns)?;
    add_masks(&mut win, &ctx.window, cfg)?;
    if let Some(t) = &win.tickets {
        let (m, b) = tickets::compute(t, &ctx, backlog.as_ref())?;
        put(&mut found, m);
        breakdowns.extend(b.into_iter().map(|b| (b.id.clone(), b)));
    }
    if let Some(s) = &win.surveys {
        let (m, b) = surveys::compute(s, &win, &ctx)?;
        put(&mut found, m);
        breakdowns.extend(b.into_iter().map(|b| (b.id.clone(), b)));
    }
    let data = &win;
    if let Some(c) = &data.calls {
        put(&mut found, calls::compute(c, &ctx)?);
    }
    put(&mut found, volume::compute(data, &ctx)?);
    if let Some(b) = ctx.breakdowns.then(|| volume::weekday_hour(data, &ctx)).transpose()?.flatten() {
        breakdowns.insert(b.id.clone(), b);
    }
    let daily = ctx.breakdowns.then(|| volume::daily(data, &ctx, tz)).transpose()?;
    let (solved, answered) = (found.get("tickets_solved").cloned(), found.get("calls_answered").cloned());
    let (m, b) = agents::compute(data, &ctx, solved.as_ref(), answered.as_ref())?;
    put(&mut found, m);
    breakdowns.extend(b.into_iter().map(|b| (b.id.clone(), b)));
    let mut metrics = Vec::new();
    let mut out_breakdowns = Vec::new();
    for def in catalog::CATALOG {
        let needs = || -> Vec<String> { def.needs.iter().map(|s| s.to_string()).collect() };
        match def.kind {
            catalog::Kind::Scalar => {
                metrics.push(found.remove(def.id).unwrap_or_else(|| MetricValue::not_available(def.id, needs())))
            }
            catalog::Kind::Breakdown => out_breakdowns
                .push(breakdowns.remove(def.id).unwrap_or_else(|| Breakdown::not_available(def.id, "", needs()))),
        }
    }
    Ok(MetricSet { period: period.to_string(), metrics, breakdowns: out_breakdowns, daily })
}

/// The non-negative values of `values` where `keep` holds, in the rows' order: a
/// duration metric's values, for its median and p90 and, in a compared period, its
/// sample. The mask and the values are read as columns, and the values kept are taken
/// from the mask's set bits.
fn kept_values(frame: &DataFrame, values: Expr, keep: Expr) -> Result<Vec<f64>> {
    let columns = groups::columns_of(frame, vec![keep.alias("k"), values.cast(DataType::Float64).alias("v")])?;
    let (keep, values) = (columns[0].bool()?.downcast_iter().next(), columns[1].f64()?.downcast_iter().next());
    let mut v = Vec::new();
    if let (Some(keep), Some(values)) = (keep, values) {
        // Kept and with a value, as one bitmap, read 64 rows at a time.
        let kept = groups::kept_rows(keep, [values.validity()]);
        v.reserve(kept.set_bits());
        let values = values.values().as_slice();
        groups::for_each_set(&kept, |r| {
            if values[r] >= 0.0 {
                v.push(values[r]);
            }
        });
    }
    Ok(v)
}

/// Sorts floats in `f64::total_cmp`'s order (the same result as `sort_unstable_by` with
/// it), by the radix of their bits: one pass counts each byte's values, then one pass
/// per byte that is not the same in every value. Durations in whole seconds share their
/// low bytes, so a sample of them is sorted in four or five passes (W1's 24 samples:
/// 64-72 ms of sorting by comparison).
pub(crate) fn sort_ascending(values: &mut Vec<f64>) {
    const SIGN: u64 = 1 << 63;
    // total_cmp's key (an involution), moved to unsigned order.
    let key = |b: u64| (b ^ ((((b as i64) >> 63) as u64) >> 1)) ^ SIGN;
    if values.len() < 256 {
        values.sort_unstable_by(f64::total_cmp);
        return;
    }
    let mut keys: Vec<u64> = std::mem::take(values).into_iter().map(|v| key(v.to_bits())).collect();
    let mut counts = vec![[0usize; 256]; 8];
    for k in &keys {
        for (byte, c) in counts.iter_mut().enumerate() {
            c[((k >> (8 * byte)) & 0xff) as usize] += 1;
        }
    }
    let mut spare = vec![0u64; keys.len()];
    for (byte, c) in counts.iter().enumerate() {
        if c.contains(&keys.len()) {
            continue;
        }
        let mut at = [0usize; 256];
        let mut sum = 0;
        for (a, n) in at.iter_mut().zip(c) {
            *a = sum;
            sum += n;
        }
        for k in &keys {
            let d = ((k >> (8 * byte)) & 0xff) as usize;
            spare[at[d]] = *k;
            at[d] += 1;
        }
        std::mem::swap(&mut keys, &mut spare);
    }
    // The key back to the float's bits: the same involution, after the sign's move.
    *values = keys.into_iter().map(|k| f64::from_bits(key(k ^ SIGN) ^ SIGN)).collect();
}

/// The median and p90 of the duration metrics of `out` named in `specs` (id, values,
/// keep), made without them (`period_duration_exprs`), from their values: selected
/// (`selected_quantiles`), or, when `keep` (a compared period), read from the values
/// sorted, which are kept as the metric's sample for the comparisons. Either is the
/// median and p90 polars' quantile gives, to the bit.
pub(crate) fn attach_quantiles(
    frame: &DataFrame,
    out: &mut [MetricValue],
    specs: Vec<(&str, Expr, Expr)>,
    keep: bool,
) -> Result<()> {
    for (id, values, keep_rows) in specs {
        let Some(m) = out.iter_mut().find(|m| m.id == id && m.is_available()) else { continue };
        let mut v = kept_values(frame, values, keep_rows)?;
        let (median, p90) = if keep {
            sort_ascending(&mut v);
            let q = (linear_quantile(&v, 0.5), linear_quantile(&v, 0.9));
            m.sample = Some(std::sync::Arc::new(Sample::new(v)));
            q
        } else {
            let [median, p90] = groups::selected_quantiles(&mut v, [0.5, 0.9]);
            (median, p90)
        };
        if let Some(d) = m.distribution.as_mut() {
            // The median is also the headline value of those whose headline is not the
            // mean (`mean_value`).
            d.median = median.unwrap_or(f64::NAN);
            d.p90 = p90.unwrap_or(f64::NAN);
            if m.value.is_none() {
                m.value = median;
            }
        }
    }
    Ok(())
}

/// Named values: one lazy query's single row (`query`), or a group's (`groups`).
pub(crate) struct Row(Vec<(String, Option<f64>)>);

impl Row {
    pub fn query(frame: &DataFrame, exprs: Vec<Expr>) -> Result<Row> {
        let exprs: Vec<Expr> = exprs.into_iter().map(|e| e.cast(DataType::Float64)).collect();
        Row::from_frame(&frame.clone().lazy().select(exprs).collect()?)
    }

    /// The first row of a frame of 8-byte floats.
    fn from_frame(df: &DataFrame) -> Result<Row> {
        let mut values = Vec::with_capacity(df.width());
        for c in df.columns() {
            values.push((c.name().to_string(), c.f64()?.get(0)));
        }
        Ok(Row(values))
    }

    /// The value named (None where there is none, or it is not finite).
    pub fn get(&self, name: &str) -> Option<f64> {
        self.0.iter().find(|(n, _)| n == name)?.1.filter(|v| v.is_finite())
    }

    pub fn n(&self, name: &str) -> f64 {
        self.get(name).unwrap_or(0.0)
    }
}

/// The rows of each source with a time in `w`: tickets created or solved in it (first
/// responses count for tickets created in it), calls offered, survey responses; agent
/// time as it is. For the families, which only ever look at those rows (the backlog
/// aside: `tickets::Backlog`).
/// Numbers held in 4 bytes stay so (`num` reads them).
pub(crate) fn windowed(data: &Loaded, w: &Window) -> Result<Loaded> {
    Ok(Loaded {
        tickets: data
            .tickets
            .as_ref()
            .map(|t| t.with_rows(|f| Ok(f.filter(&created_or_solved(f, w)?)?)))
            .transpose()?,
        calls: data.calls.as_ref().map(|c| c.with_rows(|f| in_window(f, "offered_at", w))).transpose()?,
        surveys: data.surveys.as_ref().map(|s| s.with_rows(|f| in_window(f, "responded_at", w))).transpose()?,
        agent_time: data.agent_time.as_ref().map(|a| a.with_rows(|f| Ok(f.clone()))).transpose()?,
    })
}

/// The rows of `frame` whose `time` is in `w`. Exports are usually in time order:
/// then those rows are one run of the frame, taken as a slice of it (no copy, no mask:
/// W1's compute stage went from +248 MB to +60 MB of peak memory); otherwise (or with a
/// missing time) they are filtered.
fn in_window(frame: &DataFrame, time: &str, w: &Window) -> Result<DataFrame> {
    Ok(match frame.column(time)?.i64().ok().and_then(in_order) {
        Some(t) => {
            let (first, end) = (t.partition_point(|&v| v < w.start), t.partition_point(|&v| v < w.end));
            frame.slice(first as i64, end - first)
        }
        None => frame.clone().lazy().filter(w.contains(time)).collect()?,
    })
}

/// A time column's values as one slice, where they are in ascending order with none
/// missing: known so once (`prepare::mark_sorted` flags them) rather than checked again
/// for every period (W1's calls: 2M times, nine windows), or else checked.
pub(crate) fn in_order(times: &Int64Chunked) -> Option<&[i64]> {
    let flagged = times.is_sorted_flag() == polars::series::IsSorted::Ascending;
    times.cont_slice().ok().filter(|t| flagged || t.is_sorted())
}

/// The tickets created or solved in `w`, as a mask: the two timestamp columns' values
/// compared a slice at a time into bitmaps, each ANDed with its column's validity and
/// the two ORed, rather than four polars comparisons over every ticket for every period
/// (or a loop reading each row's two Options: 33-41 ms over W1's nine windows). It
/// keeps what `w.contains("created_at") | w.contains("solved_at")` keeps (a missing
/// time makes its part not true).
fn created_or_solved(frame: &DataFrame, w: &Window) -> Result<BooleanChunked> {
    use polars_arrow::array::BooleanArray;
    let inside = |name: &str| -> Result<polars_arrow::bitmap::Bitmap> {
        let times = frame.column(name)?.i64()?.rechunk();
        let arr = times.downcast_as_array();
        let mask = BooleanArray::new(ArrowDataType::Boolean, w.bits(arr.values()), arr.validity().cloned());
        Ok(groups::kept_rows(&mask, []))
    };
    let mut mask = inside("created_at")?;
    if frame.get_column_names().iter().any(|c| c.as_str() == "solved_at") {
        mask = &mask | &inside("solved_at")?;
    }
    Ok(BooleanChunked::with_chunk("mask".into(), BooleanArray::new(ArrowDataType::Boolean, mask, None)))
}

/// Median, mean, p90 and count of `values` (seconds) among rows where `keep` holds,
/// plus the count of rows where `keep` holds but the value is negative.
pub(crate) fn duration_exprs(prefix: &str, values: Expr, keep: Expr) -> Vec<Expr> {
    let mut e = period_duration_exprs(prefix, values.clone(), keep.clone());
    let v = values.clone().filter(sample_rows(values, keep));
    e.push(v.clone().median().alias(format!("{prefix}_median")));
    e.push(v.quantile(lit(0.9), QuantileMethod::Linear).alias(format!("{prefix}_p90")));
    e
}

/// The rows of a duration's sample: `keep`, with a value, not negative.
fn sample_rows(values: Expr, keep: Expr) -> Expr {
    keep.and(values.clone().is_not_null()).and(values.gt_eq(lit(0.0)))
}

/// A period's `duration_exprs`: without the median and p90, which `attach_quantiles`
/// makes from the values, instead of polars selecting each from another copy of them.
pub(crate) fn period_duration_exprs(prefix: &str, values: Expr, keep: Expr) -> Vec<Expr> {
    let v = values.clone().filter(sample_rows(values.clone(), keep.clone()));
    vec![
        v.clone().mean().alias(format!("{prefix}_mean")),
        v.count().alias(format!("{prefix}_n")),
        keep.and(values.lt(lit(0.0))).sum().alias(format!("{prefix}_neg")),
    ]
}

/// The `q` quantile of ascending values as polars computes it (`QuantileMethod::Linear`:
/// between the values at floor and ceil of (n − 1)·q, in proportion), so that a median or
/// p90 read from a sorted sample is the one the query would have given, to the bit.
pub(crate) fn linear_quantile(sorted: &[f64], q: f64) -> Option<f64> {
    linear_quantile_with(sorted.len(), q, |low, high| (sorted[low], sorted[high]))
}

/// `linear_quantile` of `n` values, of which `pick(low, high)` gives the values at the
/// places `low` and `high` (`high` is `low` or `low + 1`) in ascending order.
pub(crate) fn linear_quantile_with(n: usize, q: f64, pick: impl FnOnce(usize, usize) -> (f64, f64)) -> Option<f64> {
    match n {
        0 => None,
        1 => Some(pick(0, 0).0),
        n => {
            let float_idx = (n as f64 - 1.0) * q;
            let idx = (float_idx as usize).clamp(0, n - 1);
            let top = (float_idx.ceil() as usize).min(n - 1);
            let (lower, upper) = pick(idx, top);
            Some(if idx == top || lower == upper { lower } else { (float_idx - idx as f64) * (upper - lower) + lower })
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The values kept are those a row-by-row reading keeps (mask true, a value, not
    /// negative), in row order: masks and values with nulls, dense and sparse, any
    /// length around a word of 64 rows, and a frame sliced off a word's start.
    #[test]
    fn kept_values_are_the_rows_the_mask_keeps_with_a_value() {
        let mut rng = crate::test_rng::Rng(0x5DEE_CE66_D1CE_4E5B);
        for round in 0..60 {
            let n = [0, 1, 63, 64, 65, 127, 128, 1000][round % 8] + rng.below(3) as usize;
            // Every third round sparse, every third with no null and every row kept (whole
            // words of 64), the others dense with nulls.
            let (sparse, full) = (round % 3 == 0, round % 3 == 1);
            let mask: Vec<Option<bool>> = (0..n)
                .map(|_| {
                    (full || rng.below(10) > 0)
                        .then(|| full || if sparse { rng.below(4) == 0 } else { rng.below(20) > 0 })
                })
                .collect();
            let v: Vec<Option<f64>> =
                (0..n).map(|_| (full || rng.below(8) > 0).then(|| rng.below(1000) as f64 - 100.0 + 0.5)).collect();
            let frame = df!("k" => mask, "v" => v).unwrap();
            let skip = (round % 5) as i64;
            let frame = frame.slice(skip.min(n as i64), n);
            let (k, v) = (frame.column("k").unwrap().bool().unwrap(), frame.column("v").unwrap().f64().unwrap());
            let want: Vec<f64> = k
                .iter()
                .zip(v.iter())
                .filter_map(|(k, v)| (k == Some(true)).then_some(v).flatten().filter(|x| *x >= 0.0))
                .collect();
            let got = kept_values(&frame, col("v"), col("k")).unwrap();
            assert_eq!(got, want, "round {round}");
        }
    }

    #[test]
    fn sort_ascending_is_total_cmp_order() {
        let mut rng = crate::test_rng::Rng(11);
        let specials = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
            f64::MAX,
            5e-324,
            f64::NAN,
            -f64::NAN,
        ];
        for n in [0usize, 3, 255, 256, 1000, 70_000] {
            for kind in 0..3 {
                let mut v: Vec<f64> = (0..n)
                    .map(|i| match kind {
                        // whole seconds, as durations mostly are
                        0 => rng.below(1_000_000) as f64,
                        // fractions of both signs
                        1 => (rng.below(2_000_000) as f64 - 1_000_000.0) / 7.0,
                        // the edges of the order, among others
                        _ => specials.get(i % 20).copied().unwrap_or(rng.below(100) as f64 * 1.5),
                    })
                    .collect();
                let mut want = v.clone();
                want.sort_unstable_by(f64::total_cmp);
                sort_ascending(&mut v);
                assert_eq!(
                    v.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                    want.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                    "n {n} kind {kind}"
                );
            }
        }
    }

    /// A sample is held in 4 bytes a value only when every value survives it, and
    /// gives back the values it was made from either way.
    #[test]
    fn a_sample_keeps_its_values_in_4_or_8_bytes() {
        let whole = vec![0.0, 1.5, 60.0, 86_400.0, 16_777_216.0];
        let narrow = Sample::new(whole.clone());
        assert!(matches!(narrow, Sample::Narrow(_)));
        assert_eq!((narrow.values().as_ref(), narrow.values().len()), (whole.as_slice(), 5));
        for odd in [0.001, 16_777_217.0, 1e-50] {
            let mut v = whole.clone();
            v.push(odd);
            let wide = Sample::new(v.clone());
            assert!(matches!(wide, Sample::Wide(_)), "{odd}");
            assert_eq!(wide.values().as_ref(), v.as_slice());
        }
        assert!(Sample::new(Vec::new()).values().is_empty());
    }

    /// The median and p90 read from a sorted sample are polars' own, to the bit, on random
    /// samples of every small size (ties, one value, two) and a few large ones.
    #[test]
    fn quantiles_from_a_sorted_sample_are_the_querys() {
        let mut rng = crate::test_rng::Rng(0x853C_49E6_748F_EA9B);
        let mut rand = |n: u64| rng.below(n);
        for len in (0..40).chain([999, 1000, 123_457]) {
            let values: Vec<f64> = (0..len).map(|_| rand(50) as f64 * 1.5 + rand(1000) as f64 / 7.0).collect();
            let frame = df!("v" => &values).unwrap();
            let q = frame
                .lazy()
                .select([
                    col("v").median().alias("median"),
                    col("v").quantile(lit(0.9), QuantileMethod::Linear).alias("p90"),
                ])
                .collect()
                .unwrap();
            let want = |c: &str| q.column(c).unwrap().f64().unwrap().get(0).map(f64::to_bits);
            let mut sorted = values.clone();
            sorted.sort_unstable_by(f64::total_cmp);
            let got = |p: f64| linear_quantile(&sorted, p).map(f64::to_bits);
            assert_eq!((got(0.5), got(0.9)), (want("median"), want("p90")), "{len} values");
        }
    }

    #[test]
    fn a_window_mask_is_the_window_expression_nulls_included() {
        // Both edges (start in, end out), a null time, in two chunks.
        let w = Window { start: 10, end: 20 };
        let mut times = Int64Chunked::new("t".into(), &[Some(9), Some(10), None, Some(19)]);
        times.append(&Int64Chunked::new("t".into(), &[Some(20), None, Some(15)])).unwrap();
        let frame = DataFrame::new(7, vec![times.into_series().into_column()]).unwrap();
        let mask = window_mask(&frame, "t", &w).unwrap();
        let got: Vec<Option<bool>> = mask.bool().unwrap().iter().collect();
        assert_eq!(got, [Some(false), Some(true), None, Some(true), Some(false), None, Some(true)]);
        let expected = frame.lazy().select([w.contains("t").alias("m")]).collect().unwrap();
        let expected: Vec<Option<bool>> = expected.column("m").unwrap().bool().unwrap().iter().collect();
        assert_eq!(got, expected);
    }

    fn xs(frame: DataFrame) -> Vec<i32> {
        frame.column("x").unwrap().i32().unwrap().into_no_null_iter().collect()
    }

    #[test]
    fn the_created_or_solved_loop_keeps_what_the_expression_keeps() {
        let w = Window { start: 10, end: 20 };
        // Every mix of a time before, at the start of, inside, at the end of, after the
        // window, or missing, for created and solved.
        let times = [Some(5i64), Some(10), Some(15), Some(20), Some(25), None];
        let (mut c, mut s) = (vec![], vec![]);
        for a in times {
            for b in times {
                c.push(a);
                s.push(b);
            }
        }
        let full = df!("created_at" => &c, "solved_at" => &s).unwrap();
        for with_solved in [true, false] {
            let frame = if with_solved { full.clone() } else { full.drop("solved_at").unwrap() };
            let mut keep = w.contains("created_at");
            if with_solved {
                keep = keep.or(w.contains("solved_at"));
            }
            let kept = frame.clone().lazy().with_row_index("i", None).filter(keep).collect().unwrap();
            let mut expected = vec![false; frame.height()];
            kept.column("i").unwrap().idx().unwrap().into_no_null_iter().for_each(|i| expected[i as usize] = true);
            let looped: Vec<bool> = created_or_solved(&frame, &w).unwrap().iter().map(|k| k == Some(true)).collect();
            assert_eq!(looped, expected, "solved {with_solved}");
            assert!(looped.iter().any(|k| *k) && looped.iter().any(|k| !*k));
        }
    }

    #[test]
    fn the_backlog_loop_counts_what_the_expressions_count() {
        const DAY: i64 = 86_400_000;
        let w = Window { start: 10 * DAY, end: 20 * DAY };
        // Created at every few hours from 2 days before the start to after the end (and
        // missing); done before, at and after both edges, or never.
        let mut created: Vec<Option<i64>> = (0..60).map(|h| Some(8 * DAY + h * 5 * 3_600_000)).collect();
        created.extend([Some(w.start), Some(w.end), Some(w.end - 1), None]);
        let dones =
            [None, Some(w.start - 1), Some(w.start), Some(15 * DAY), Some(w.end - 1), Some(w.end), Some(30 * DAY)];
        let (mut c, mut d) = (vec![], vec![]);
        for ci in &created {
            for di in dones {
                c.push(*ci);
                d.push(di);
            }
        }
        // Done as solved, else as closed (the first of every three rows has no solved_at,
        // the second no closed_at, the third both, closed after solved).
        let solved: Vec<Option<i64>> = d.iter().enumerate().map(|(i, d)| if i % 3 == 0 { None } else { *d }).collect();
        let closed: Vec<Option<i64>> = d
            .iter()
            .enumerate()
            .map(|(i, d)| if i % 3 == 1 { None } else { d.map(|d| d + 7 * (i % 3) as i64) })
            .collect();
        let frame = df!("created_at" => &c, "solved_at" => &solved, "closed_at" => &closed).unwrap();
        let b = tickets::Backlog::count(&frame, &w).unwrap().expect("solved_at is there");
        let frame = frame
            .lazy()
            .with_column(coalesce(&[col("solved_at"), col("closed_at")]).alias("done_at"))
            .collect()
            .unwrap();
        let expected = |frame: &DataFrame| {
            let age = lit(w.end) - col("created_at");
            let mut exprs = vec![
                tickets::open_at(w.start).sum().cast(DataType::Float64).alias("start"),
                tickets::open_at(w.end).sum().cast(DataType::Float64).alias("end"),
            ];
            for (k, lo, hi) in tickets::AGE_BUCKETS {
                let open = tickets::open_at(w.end).and(age.clone().gt_eq(lit(lo))).and(age.clone().lt(lit(hi)));
                exprs.push(open.sum().cast(DataType::Float64).alias(k));
            }
            let row = frame.clone().lazy().select(exprs).collect().unwrap();
            let get = |k: &str| row.column(k).unwrap().f64().unwrap().get(0).unwrap();
            let by_age: Vec<f64> = tickets::AGE_BUCKETS.iter().map(|(k, _, _)| get(k)).collect();
            (get("start"), get("end"), by_age)
        };
        assert_eq!((b.start, b.end, b.by_age.to_vec()), expected(&frame));
        assert!(b.start > 0.0 && b.end > b.start && b.by_age.iter().all(|n| *n > 0.0), "{b:?}");
        // In creation order with no time missing, the loop stops at the period's end.
        let sorted = frame
            .clone()
            .lazy()
            .filter(col("created_at").is_not_null())
            .sort(["created_at"], SortMultipleOptions::default().with_maintain_order(true))
            .collect()
            .unwrap();
        let b = tickets::Backlog::count(&sorted, &w).unwrap().expect("solved_at is there");
        assert_eq!((b.start, b.end, b.by_age.to_vec()), expected(&sorted));
        let neither = frame.drop_many(["solved_at", "closed_at"]);
        assert_eq!(tickets::Backlog::count(&neither, &w).unwrap(), None);
        // Either one alone is the done time.
        let only_closed = df!("created_at" => &c, "closed_at" => &d).unwrap();
        let only_solved = df!("created_at" => &c, "solved_at" => &d).unwrap();
        assert_eq!(
            tickets::Backlog::count(&only_closed, &w).unwrap(),
            tickets::Backlog::count(&only_solved, &w).unwrap()
        );
    }

    #[test]
    fn the_rows_in_a_window_are_the_same_sorted_or_not() {
        let w = Window { start: 10, end: 20 };
        // In time order (taken as a slice): the start is in, the end is out.
        let sorted = df!("t" => [5i64, 10, 10, 15, 19, 20, 25], "x" => [1, 2, 3, 4, 5, 6, 7]).unwrap();
        assert_eq!(xs(in_window(&sorted, "t", &w).unwrap()), [2, 3, 4, 5]);
        assert_eq!(xs(in_window(&sorted, "t", &Window { start: 30, end: 40 }).unwrap()), Vec::<i32>::new());
        // Out of order, or with a missing time (filtered): the same rule, in file order.
        let unsorted = df!("t" => [20i64, 10, 5, 19, 10], "x" => [1, 2, 3, 4, 5]).unwrap();
        assert_eq!(xs(in_window(&unsorted, "t", &w).unwrap()), [2, 4, 5]);
        let missing = df!("t" => [Some(10i64), None, Some(15), Some(20)], "x" => [1, 2, 3, 4]).unwrap();
        assert_eq!(xs(in_window(&missing, "t", &w).unwrap()), [1, 3]);
    }
}
