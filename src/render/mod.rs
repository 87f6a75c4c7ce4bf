//! render: the plain `Report` becomes one serialisable `ReportView` of formatted
//! strings, which the tera templates turn into report.html and report.md.

pub mod format;
pub mod tables;

use crate::actions::Action;
use crate::charts::Chart;
use crate::compare::{Comparison, Direction};
use crate::drivers::Drivers;
use crate::load::SourceMeta;
use crate::metrics::catalog::{self, Unit};
use anyhow::{Context, Result};
use format::Fmt;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Everything the report says, as plain data (no DataFrame past this point).
pub struct Report {
    pub title: String,
    pub lang: format::Lang,
    pub period: crate::period::Period,
    pub previous: crate::period::Period,
    pub year_ago: crate::period::Period,
    pub trend: Vec<crate::period::Period>,
    pub partial: bool,
    pub as_of: String,
    pub timezone: String,
    pub sources: Vec<SourceMeta>,
    pub comparisons: Vec<Comparison>,
    /// Every breakdown for the current, previous and year-ago periods.
    pub breakdowns: Vec<crate::compare::BreakdownComparison>,
    pub drivers: Drivers,
    pub summary: Vec<String>,
    pub alerts: Vec<crate::compare::Alert>,
    pub actions: Vec<Action>,
    pub charts: Vec<Chart>,
    /// A small trend line per scorecard KPI (id `spark_<metric>`).
    pub sparklines: Vec<Chart>,
    pub version: String,
    /// The manifest's digest, shown in the footer.
    pub digest: String,
}

/// Metrics on the scorecard, in order.
pub const SCORECARD: [&str; 16] = [
    "tickets_created",
    "tickets_solved",
    "backlog_end",
    "first_response_time",
    "resolution_time",
    "sla_first_response",
    "fcr",
    "calls_offered",
    "service_level",
    "abandonment_rate",
    "asa",
    "aht",
    "csat",
    "nps",
    "ces",
    "cost_per_contact",
];

#[derive(Serialize)]
pub struct ReportView {
    /// Rendering the e-mail body: charts as `cid:` PNG images instead of inline SVG.
    pub email: bool,
    pub lang: &'static str,
    pub t: Strings,
    pub title: String,
    pub period: String,
    pub period_range: String,
    pub partial: bool,
    pub previous: String,
    pub previous_range: String,
    pub year_ago: String,
    pub as_of: String,
    pub timezone: String,
    pub version: String,
    pub digest: String,
    pub sources: Vec<SourceView>,
    pub summary: Vec<String>,
    pub scorecard: Vec<KpiRow>,
    pub drivers: DriversView,
    pub charts: Vec<Chart>,
    pub alerts: Vec<AlertView>,
    pub actions: Vec<Action>,
    pub quality: Vec<QualityRow>,
    pub definitions: Vec<DefinitionRow>,
}

#[derive(Serialize)]
pub struct SourceView {
    pub name: String,
    pub path: String,
    pub format: String,
    pub profile: String,
    pub rows_read: String,
    pub rows_kept: String,
    /// Rows rejected (read − kept − merged).
    pub rows_rejected: String,
    /// Rows folded by an event-log reduction.
    pub rows_merged: String,
    pub coverage: String,
    /// What was assumed while reading, and how the canonical columns were filled.
    pub notes: Vec<String>,
    pub mapped: String,
}

#[derive(Serialize)]
pub struct KpiRow {
    pub id: String,
    pub label: String,
    pub value: String,
    pub previous: String,
    pub delta: String,
    /// improved / worsened / changed / unchanged / not_comparable: a CSS class.
    pub direction: String,
    pub significant: bool,
    pub year_ago: String,
    pub delta_year_ago: String,
    pub direction_year_ago: String,
    pub target: String,
    /// met / missed / "" : a CSS class.
    pub target_status: String,
    pub n: String,
    /// "not available (needs: …)" when inputs are missing.
    pub note: String,
    /// The Wilson 95% interval of a rate, "95% CI 62.1–66.4%" (empty otherwise).
    pub ci: String,
    /// The KPI's trend over the trend periods: inline SVG, and the PNG's path (empty
    /// when fewer than two periods have a value).
    pub spark_svg: String,
    pub spark_png: String,
    pub spark_alt: String,
}

/// A short ranking row (tickets only, calls only, product, location).
#[derive(Serialize)]
pub struct RankView {
    pub rank: usize,
    pub name: String,
    pub count: String,
    pub share: String,
    pub change: String,
    pub significant: bool,
    pub csat: String,
}

#[derive(Serialize)]
pub struct RankBlock {
    pub title: String,
    pub rows: Vec<RankView>,
}

#[derive(Serialize)]
pub struct HeatCell {
    pub value: String,
    /// 0–4: how far from the best (0) to the worst (4) cell, for the colour.
    pub level: u8,
    pub n: u64,
}

#[derive(Serialize)]
pub struct HeatMapView {
    pub title: String,
    pub columns: Vec<String>,
    pub rows: Vec<(String, Vec<HeatCell>)>,
}

#[derive(Serialize)]
pub struct DriversView {
    pub field: String,
    pub total: String,
    pub distinct: usize,
    /// Tickets only, calls only, by product, by location (those with rows).
    pub blocks: Vec<RankBlock>,
    pub heatmaps: Vec<HeatMapView>,
    /// "“App crash” grew the most: 418 → 1,026 contacts." / new drivers, in words.
    pub emerging_text: String,
    pub new_text: String,
    /// "N contacts in all (tickets and calls), M distinct values of `reason`".
    pub note: String,
    pub rows: Vec<DriverView>,
    pub emerging: String,
    pub new_drivers: Vec<String>,
}

#[derive(Serialize)]
pub struct DriverView {
    pub rank: usize,
    pub name: String,
    pub count: String,
    pub tickets: String,
    pub calls: String,
    pub share: String,
    pub previous: String,
    pub delta_count: String,
    pub delta_share: String,
    pub significant: bool,
    pub csat: String,
    pub ces: String,
    pub resolution: String,
    pub aht: String,
    pub owner: String,
    pub is_new: bool,
}

#[derive(Serialize)]
pub struct AlertView {
    /// "alert" or "warning": a CSS class.
    pub level: String,
    pub text: String,
}

#[derive(Serialize)]
pub struct QualityRow {
    pub source: String,
    pub column: String,
    pub problem: String,
    pub count: String,
    pub first_row: u64,
    pub first_value: String,
    pub effect: String,
}

#[derive(Serialize)]
pub struct DefinitionRow {
    pub id: String,
    pub label: String,
    pub definition: String,
}

fn dir_class_level(l: crate::compare::Level) -> String {
    match l {
        crate::compare::Level::Alert => "alert".into(),
        crate::compare::Level::Warning => "warning".into(),
    }
}

fn dir_class(d: Direction) -> String {
    serde_json::to_value(d).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()
}

/// The words of the templates in one language, from `strings.<lang>.toml`.
pub type Strings = BTreeMap<String, String>;

fn parse_strings(name: &str, origin: &str, text: &str, reference: Option<&Strings>) -> Result<Strings> {
    let map: Strings = toml::from_str(text).with_context(|| format!("template strings {origin}"))?;
    if let Some(reference) = reference {
        let missing: Vec<&str> = reference.keys().filter(|k| !map.contains_key(*k)).map(String::as_str).collect();
        if !missing.is_empty() {
            anyhow::bail!(
                "{origin}: missing key{} {} (see the built-in {name})",
                if missing.len() > 1 { "s" } else { "" },
                missing.join(", ")
            );
        }
    }
    Ok(map)
}

pub fn view(r: &Report, t: &Strings) -> ReportView {
    let fmt = Fmt::new(r.lang);
    let by_id: HashMap<&str, &Comparison> = r.comparisons.iter().map(|c| (c.id, c)).collect();
    let scorecard = SCORECARD
        .iter()
        .filter_map(|id| by_id.get(id))
        .map(|c| {
            let note = if c.current.is_available() {
                String::new()
            } else if r.lang == format::Lang::Fr {
                format!("non disponible (requiert : {})", c.current.needs.join(", "))
            } else {
                format!("not available (needs: {})", c.current.needs.join(", "))
            };
            let spark = r.sparklines.iter().find(|s| s.id == format!("spark_{}", c.id));
            KpiRow {
                spark_svg: spark.map(|s| s.svg.clone()).unwrap_or_default(),
                spark_png: spark.map(|s| s.png.clone()).unwrap_or_default(),
                spark_alt: spark.map(|s| s.alt.clone()).unwrap_or_default(),
                id: c.id.to_string(),
                label: fmt.label(c.id),
                value: fmt.value(c.unit, c.current.value),
                previous: fmt.value(c.unit, c.previous.value),
                delta: fmt.delta(c.unit, &c.vs_previous),
                direction: dir_class(c.vs_previous.direction),
                significant: c.vs_previous.significant == Some(true),
                year_ago: fmt.value(c.unit, c.year_ago.value),
                delta_year_ago: fmt.delta(c.unit, &c.vs_year_ago),
                direction_year_ago: dir_class(c.vs_year_ago.direction),
                target: c.target.map(|t| fmt.value(c.unit, Some(t))).unwrap_or_default(),
                target_status: match c.target_met {
                    Some(true) => "met".into(),
                    Some(false) => "missed".into(),
                    None => String::new(),
                },
                n: fmt.num(c.current.n as f64, 0),
                note,
                ci: c
                    .current
                    .ci95
                    .map(|[lo, hi]| {
                        let (lo, hi) = (
                            fmt.num(lo, 1),
                            fmt.value(if c.unit == Unit::Score { Unit::Number } else { Unit::Percent }, Some(hi)),
                        );
                        if r.lang == format::Lang::Fr {
                            format!("IC 95 % {lo}–{hi}")
                        } else {
                            format!("95% CI {lo}–{hi}")
                        }
                    })
                    .unwrap_or_default(),
            }
        })
        .collect();
    let d = &r.drivers;
    let opt = |u: Unit, v: Option<f64>| v.map(|v| fmt.value(u, Some(v))).unwrap_or_else(|| "—".into());
    let drivers = DriversView {
        field: d.field.clone(),
        total: fmt.num(d.total as f64, 0),
        distinct: d.distinct,
        note: if r.lang == format::Lang::Fr {
            format!(
                "{} contacts au total (tickets et appels), {} valeurs distinctes de « {} ».",
                fmt.num(d.total as f64, 0),
                d.distinct,
                d.field
            )
        } else {
            format!(
                "{} contacts in all (tickets and calls), {} distinct values of “{}”.",
                fmt.num(d.total as f64, 0),
                d.distinct,
                d.field
            )
        },
        rows: d
            .top
            .iter()
            .map(|x| DriverView {
                rank: x.rank,
                name: x.name.clone(),
                count: fmt.num(x.count as f64, 0),
                tickets: fmt.num(x.tickets as f64, 0),
                calls: fmt.num(x.calls as f64, 0),
                share: fmt.percent(x.share),
                previous: fmt.num(x.prev_count as f64, 0),
                delta_count: {
                    let s = fmt.num(x.delta_count as f64, 0);
                    if x.delta_count > 0 {
                        format!("+{s}")
                    } else {
                        s
                    }
                },
                delta_share: {
                    let s = fmt.num(x.delta_share_pts, 1);
                    let s = if x.delta_share_pts > 0.0 && s != "0.0" && s != "0,0" { format!("+{s}") } else { s };
                    format!("{s} {}", if r.lang == format::Lang::Fr { "pt" } else { "pts" })
                },
                significant: x.significant == Some(true),
                csat: if x.csat_n > 0 {
                    format!("{} (n={})", opt(Unit::Percent, x.csat), x.csat_n)
                } else {
                    "—".into()
                },
                ces: if x.ces_n > 0 { format!("{} (n={})", opt(Unit::Scale, x.ces), x.ces_n) } else { "—".into() },
                resolution: opt(Unit::Seconds, x.median_resolution_seconds),
                aht: opt(Unit::Seconds, x.aht_seconds),
                owner: x.owner.clone().unwrap_or_else(|| "—".into()),
                is_new: x.is_new,
            })
            .collect(),
        emerging: d.emerging.as_ref().map(|e| e.name.clone()).unwrap_or_default(),
        new_drivers: d.new_drivers.clone(),
        blocks: [
            ("tickets_only", d.top_tickets.iter().collect::<Vec<_>>()),
            ("calls_only", d.top_calls.iter().collect()),
            ("by_product", d.by_product.iter().flat_map(|r| r.rows.iter().take(10)).collect()),
            ("by_location", d.by_location.iter().flat_map(|r| r.rows.iter().take(10)).collect()),
        ]
        .into_iter()
        .filter(|(_, rows)| !rows.is_empty())
        .map(|(k, rows)| RankBlock {
            title: t.get(k).cloned().unwrap_or_default(),
            rows: rows.into_iter().map(|x| rank_view(x, &fmt)).collect(),
        })
        .collect(),
        heatmaps: [(&d.csat_heatmap, "csat"), (&d.ces_heatmap, "ces")]
            .into_iter()
            .filter_map(|(h, k)| h.as_ref().map(|h| heat_view(h, k, &fmt, r.lang)))
            .collect(),
        emerging_text: d
            .emerging
            .as_ref()
            .map(|e| fmt.sentence_emerging(&e.name, e.prev_count, e.count))
            .unwrap_or_default(),
        new_text: if d.new_drivers.is_empty() {
            String::new()
        } else if r.lang == format::Lang::Fr {
            format!("Nouveaux motifs cette période : {}.", d.new_drivers.join(", "))
        } else {
            format!("New this period: {}.", d.new_drivers.join(", "))
        },
    };
    let quality = r
        .sources
        .iter()
        .flat_map(|s| {
            s.issues.iter().map(|i| QualityRow {
                source: s.name.clone(),
                column: i.column.clone(),
                problem: i.problem.clone(),
                count: fmt.num(i.count as f64, 0),
                first_row: i.first_row,
                first_value: i.first_value.clone(),
                effect: if i.rows_dropped { "rows dropped" } else { "value ignored" }.into(),
            })
        })
        .chain(r.comparisons.iter().filter(|c| c.current.excluded > 0).map(|c| QualityRow {
            source: catalog::get(c.id).needs.first().and_then(|n| n.split('.').next()).unwrap_or("").to_string(),
            column: c.id.to_string(),
            problem: "impossible value (negative duration or score off the scale)".into(),
            count: fmt.num(c.current.excluded as f64, 0),
            first_row: 0,
            first_value: String::new(),
            effect: format!("excluded from {}", c.id),
        }))
        .collect();
    let variant_of: HashMap<&str, String> =
        r.comparisons.iter().filter_map(|c| Some((c.id, c.current.variant.clone()?))).collect();
    let definitions = catalog::CATALOG
        .iter()
        .map(|m| {
            let mut definition = m.definition.to_string();
            if let Some(v) = variant_of.get(m.id) {
                let desc = m.variants.iter().find(|(n, _)| n == v).map(|(_, d)| format!(": {d}")).unwrap_or_default();
                definition.push_str(&format!(" Variant in force: {v}{desc}."));
            }
            DefinitionRow { id: m.id.to_string(), label: fmt.label(m.id), definition }
        })
        .chain(std::iter::once(DefinitionRow {
            id: "significance".into(),
            label: "Significance".into(),
            definition: "Rates: two-proportion z-test, p < 0.05 (Wilson 95% intervals in metrics.json). Counts: Poisson test of the two counts per day, p < 0.05. NPS: difference larger than 1.96 × its standard error. Durations: Mann–Whitney U test on the two periods' durations (normal approximation with tie and continuity corrections), p < 0.05. The summary speaks only of significant changes that are also material (5% for counts and durations, 1 point for rates and NPS, 0.1 on CES) on at least 30 responses for rates and scores.".into(),
        }))
        .collect();
    ReportView {
        email: false,
        lang: r.lang.code(),
        t: t.clone(),
        title: r.title.clone(),
        period: r.period.to_string(),
        period_range: fmt.range(r.period.start, r.period.last_day()),
        partial: r.partial,
        previous: r.previous.to_string(),
        previous_range: fmt.range(r.previous.start, r.previous.last_day()),
        year_ago: r.year_ago.to_string(),
        as_of: r.as_of.clone(),
        timezone: r.timezone.clone(),
        version: r.version.clone(),
        digest: r.digest.clone(),
        sources: r
            .sources
            .iter()
            .map(|s| SourceView {
                name: s.name.clone(),
                path: s.path.clone(),
                format: s.format.clone(),
                profile: s.profile.clone(),
                rows_read: fmt.num(s.rows_read as f64, 0),
                rows_kept: fmt.num(s.rows_kept as f64, 0),
                rows_rejected: fmt.num(s.rows_read.saturating_sub(s.rows_kept + s.rows_merged) as f64, 0),
                rows_merged: fmt.num(s.rows_merged as f64, 0),
                coverage: s.coverage.as_ref().map(|(a, b)| format!("{a} → {b}")).unwrap_or_else(|| "—".into()),
                notes: s.notes.clone(),
                mapped: s.mapped_columns.join("; "),
            })
            .collect(),
        summary: r.summary.clone(),
        scorecard,
        drivers,
        charts: r.charts.clone(),
        alerts: r
            .alerts
            .iter()
            .map(|a| {
                let def = catalog::get(a.id);
                AlertView {
                    level: dir_class_level(a.level),
                    text: fmt.why_bound(
                        &fmt.label(a.id),
                        &fmt.value(def.unit, Some(a.value)),
                        a.level,
                        &fmt.value(def.unit, Some(a.bound)),
                    ),
                }
            })
            .collect(),
        actions: r.actions.clone(),
        quality,
        definitions,
    }
}

fn rank_view(x: &crate::drivers::DriverRow, fmt: &Fmt) -> RankView {
    let pts = if fmt.lang == format::Lang::Fr { "pt" } else { "pts" };
    let delta = fmt.num(x.delta_count as f64, 0);
    let share = fmt.num(x.delta_share_pts, 1);
    RankView {
        rank: x.rank,
        name: x.name.clone(),
        count: fmt.num(x.count as f64, 0),
        share: fmt.percent(x.share),
        change: format!(
            "{}{delta} / {}{share} {pts}",
            if x.delta_count > 0 { "+" } else { "" },
            if x.delta_share_pts > 0.0 && share.chars().any(|c| c.is_ascii_digit() && c != '0') { "+" } else { "" }
        ),
        significant: x.significant == Some(true),
        csat: if x.csat_n > 0 { fmt.value(Unit::Percent, x.csat) } else { "—".into() },
    }
}

/// Heat-map cells on fewer responses than this are marked with `*`.
pub const HEAT_MIN_N: u64 = 10;

/// A heat map's cells as formatted values and a 0–4 level (0 best) for the colour.
fn heat_view(h: &crate::drivers::HeatMap, kind: &str, fmt: &Fmt, lang: format::Lang) -> HeatMapView {
    let all: Vec<f64> = h.values.iter().flatten().flatten().copied().collect();
    let (lo, hi) = all.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(*v), b.max(*v)));
    let unit = if kind == "csat" { Unit::Percent } else { Unit::Scale };
    let rows = h
        .rows
        .iter()
        .zip(&h.values)
        .zip(&h.n)
        .map(|((name, vals), ns)| {
            let cells = vals
                .iter()
                .zip(ns)
                .map(|(v, n)| HeatCell {
                    // A cell on fewer than 10 responses is marked: read it with care.
                    value: v
                        .map(|v| format!("{}{}", fmt.value(unit, Some(v)), if *n < HEAT_MIN_N { "*" } else { "" }))
                        .unwrap_or_else(|| "—".into()),
                    // Higher is better for both: the best cell is level 0.
                    level: match v {
                        Some(v) if hi > lo => (((hi - v) / (hi - lo)) * 4.0).round() as u8,
                        _ => 0,
                    },
                    n: *n,
                })
                .collect();
            (name.clone(), cells)
        })
        .collect();
    let title = match (kind, lang) {
        ("csat", format::Lang::Fr) => "CSAT par motif et canal",
        ("csat", _) => "CSAT by driver and channel",
        (_, format::Lang::Fr) => "Effort client par motif et canal",
        _ => "CES by driver and channel",
    };
    HeatMapView { title: title.into(), columns: h.columns.clone(), rows }
}

pub const HTML_TEMPLATE: &str = include_str!("../../report-templates/report.html");
pub const MD_TEMPLATE: &str = include_str!("../../report-templates/report.md");

/// Escape text for a GitHub-flavoured Markdown table cell or paragraph: no raw HTML,
/// no links or images, no table breaks.
pub fn md_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '|' | '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '!' | '~' => {
                out.push('\\');
                out.push(ch);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(ch),
        }
    }
    out
}

fn md_filter(v: &tera::Value, _: &HashMap<String, tera::Value>) -> tera::Result<tera::Value> {
    let s = match v {
        tera::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    Ok(tera::Value::String(md_escape(&s)))
}

/// The templates a report is rendered with: the built-ins, each replaced by a file of
/// the same name in the override folder when there is one.
#[derive(Debug, Clone)]
pub struct TemplateSet {
    /// (name, source text)
    pub files: Vec<(&'static str, String)>,
    /// "built-in", or the override folder (with the names it replaced).
    pub source: String,
    /// Where each overridden file came from, for messages.
    overridden: Vec<(&'static str, std::path::PathBuf)>,
}

/// Every template csreport renders, with its built-in text.
pub const BUILT_IN_TEMPLATES: [(&str, &str); 4] = [
    ("report.html", HTML_TEMPLATE),
    ("report.md", MD_TEMPLATE),
    ("strings.en.toml", include_str!("../../report-templates/strings.en.toml")),
    ("strings.fr.toml", include_str!("../../report-templates/strings.fr.toml")),
];

impl TemplateSet {
    /// The built-ins, overridden one file at a time by `dir`. Only the known names are
    /// read, from the folder itself: nothing outside it (links out are refused).
    pub fn load(dir: Option<&std::path::Path>) -> Result<TemplateSet> {
        let mut files: Vec<(&'static str, String)> =
            BUILT_IN_TEMPLATES.iter().map(|(n, t)| (*n, t.to_string())).collect();
        let Some(dir) = dir else {
            return Ok(TemplateSet { files, source: "built-in".into(), overridden: Vec::new() });
        };
        if !dir.is_dir() {
            anyhow::bail!("template folder `{}` does not exist", dir.display());
        }
        let root = dir.canonicalize().with_context(|| format!("failed to read `{}`", dir.display()))?;
        let mut replaced = Vec::new();
        for (name, text) in files.iter_mut() {
            let path = dir.join(*name);
            if !path.exists() {
                continue;
            }
            let real = path.canonicalize().with_context(|| format!("failed to read `{}`", path.display()))?;
            if !real.starts_with(&root) {
                anyhow::bail!("template `{}` points outside the template folder `{}`", path.display(), dir.display());
            }
            *text = std::fs::read_to_string(&real)
                .with_context(|| format!("failed to read template `{}`", path.display()))?;
            replaced.push((*name, path));
        }
        let source = if replaced.is_empty() {
            "built-in".to_string()
        } else {
            format!("{} ({})", dir.display(), replaced.iter().map(|r| r.0).collect::<Vec<_>>().join(", "))
        };
        Ok(TemplateSet { files, source, overridden: replaced })
    }

    /// The template words in `lang`; an overriding strings file must keep every key.
    pub fn strings(&self, lang: format::Lang) -> Result<Strings> {
        let name = if lang == format::Lang::Fr { "strings.fr.toml" } else { "strings.en.toml" };
        let built_in = BUILT_IN_TEMPLATES.iter().find(|(n, _)| *n == name).expect("listed").1;
        let reference = parse_strings(name, &format!("built-in `{name}`"), built_in, None)?;
        let text = &self.files.iter().find(|(n, _)| *n == name).expect("listed").1;
        parse_strings(name, &self.origin(name), text, Some(&reference))
    }

    /// `tpl/report.md` for an overridden file, "built-in `report.md`" otherwise.
    pub fn origin(&self, name: &str) -> String {
        match self.overridden.iter().find(|(n, _)| *n == name) {
            Some((_, path)) => format!("`{}`", path.display()),
            None => format!("built-in `{name}`"),
        }
    }

    /// SHA-256 of the templates in use, for the manifest.
    pub fn sha256(&self) -> String {
        let joined: Vec<String> = self.files.iter().map(|(n, t)| format!("{n}\u{0}{t}")).collect();
        crate::manifest::sha256_hex(joined.join("\u{0}").as_bytes())
    }

    fn tera(&self) -> Result<tera::Tera> {
        let mut t = tera::Tera::default();
        for (name, text) in self.files.iter().filter(|(n, _)| !n.ends_with(".toml")) {
            t.add_raw_template(name, text).map_err(|e| {
                // tera says "Failed to parse 'name'"; the file's path says more.
                let detail = chain(&e);
                let detail = detail.split_once(": ").map_or(detail.as_str(), |(_, d)| d).trim_start();
                anyhow::anyhow!("template {} does not parse:\n{detail}", self.origin(name))
            })?;
        }
        t.register_filter("md", md_filter);
        Ok(t)
    }
}

fn chain(e: &tera::Error) -> String {
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg.push_str(&format!(": {s}"));
        src = s.source();
    }
    msg
}

pub fn templates() -> Result<tera::Tera> {
    TemplateSet::load(None)?.tera()
}

/// Render report.html and report.md with the built-in templates.
pub fn render(view: &ReportView) -> Result<(String, String)> {
    render_with(view, &TemplateSet::load(None)?)
}

/// Render report.html and report.md with `set`.
pub fn render_with(view: &ReportView, set: &TemplateSet) -> Result<(String, String)> {
    let t = set.tera()?;
    let ctx = tera::Context::from_serialize(view).context("building the template context")?;
    let error = |name: &str| {
        let origin = set.origin(name);
        move |e: tera::Error| anyhow::anyhow!("template {origin} does not render: {}", chain(&e))
    };
    let html = t.render("report.html", &ctx).map_err(error("report.html"))?;
    let md = t.render("report.md", &ctx).map_err(error("report.md"))?;
    Ok((html, md))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_escape_neutralises_links_html_and_tables() {
        assert_eq!(md_escape("[x](http://e.vil)"), "\\[x\\](http://e.vil)");
        assert_eq!(md_escape("<script>a|b</script>"), "&lt;script&gt;a\\|b&lt;/script&gt;");
        assert_eq!(md_escape("![i](u)"), "\\!\\[i\\](u)");
    }

    #[test]
    fn built_in_templates_parse() {
        templates().unwrap();
    }
}
