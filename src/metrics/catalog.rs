//! The metric registry: one entry per metric, the single source of labels, units,
//! directions and definitions for the report, metrics.json and docs/metrics.md.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Count,
    /// A share shown as a percentage (0–100); deltas are in points.
    Percent,
    /// Seconds, shown humanised.
    Seconds,
    /// A score on its own scale (NPS −100…+100, CES 1–7); deltas are in points.
    Score,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Better {
    Higher,
    Lower,
    Neither,
}

#[derive(Debug, Clone, Serialize)]
pub struct MetricDef {
    pub id: &'static str,
    pub label_en: &'static str,
    pub label_fr: &'static str,
    pub unit: Unit,
    pub better: Better,
    pub source: &'static str,
    /// The canonical columns it needs (source.column).
    pub needs: &'static [&'static str],
    pub definition: &'static str,
}

macro_rules! m {
    ($id:literal, $en:literal, $fr:literal, $unit:ident, $better:ident, $src:literal, [$($need:literal),*], $def:literal) => {
        MetricDef { id: $id, label_en: $en, label_fr: $fr, unit: Unit::$unit, better: Better::$better, source: $src, needs: &[$($need),*], definition: $def }
    };
}

#[rustfmt::skip]
pub const CATALOG: &[MetricDef] = &[
    m!("tickets_created", "Tickets created", "Tickets créés", Count, Neither, "tickets", ["tickets.created_at"],
       "Tickets whose created_at falls in the period."),
    m!("tickets_solved", "Tickets solved", "Tickets résolus", Count, Higher, "tickets", ["tickets.solved_at"],
       "Tickets whose (last) solved_at falls in the period."),
    m!("completion_ratio", "Completion ratio", "Taux d'achèvement", Percent, Higher, "tickets", ["tickets.solved_at"],
       "tickets_solved / tickets_created × 100; a flow ratio that may exceed 100%."),
    m!("backlog_end", "Backlog at period end", "Stock en fin de période", Count, Lower, "tickets", ["tickets.solved_at"],
       "Tickets created before the period end and not solved (solved_at, else closed_at) before it, whatever their creation date."),
    m!("backlog_change", "Backlog change", "Variation du stock", Count, Lower, "tickets", ["tickets.solved_at"],
       "backlog_end − backlog at the period start."),
    m!("first_response_time", "First response time (median)", "Délai de première réponse (médiane)", Seconds, Lower, "tickets", ["tickets.first_response_at"],
       "first_response_at − created_at over tickets created in the period that have a first response; calendar time; median (mean and p90 in metrics.json). Negative durations are excluded and counted."),
    m!("no_response_yet", "No response at period end", "Sans réponse en fin de période", Count, Lower, "tickets", ["tickets.first_response_at"],
       "Tickets created in the period without a first response before the period end."),
    m!("resolution_time", "Resolution time (median)", "Délai de résolution (médiane)", Seconds, Lower, "tickets", ["tickets.solved_at"],
       "solved_at − created_at over tickets solved in the period (full resolution); calendar time; median (mean and p90 in metrics.json). Negative durations are excluded and counted."),
    m!("calls_offered", "Calls offered", "Appels présentés", Count, Neither, "calls", ["calls.offered_at", "calls.outcome"],
       "Inbound calls that entered a queue in the period, excluding short abandons and calls resolved in the IVR."),
    m!("calls_answered", "Calls answered", "Appels répondus", Count, Higher, "calls", ["calls.outcome"],
       "Offered calls with outcome answered or transferred."),
    m!("short_abandons", "Short abandons", "Abandons courts", Count, Neither, "calls", ["calls.outcome", "calls.wait_seconds"],
       "Abandoned inbound calls that waited less than short_abandon_seconds (default 5 s); excluded from every other call metric."),
    m!("abandonment_rate", "Abandonment rate", "Taux d'abandon", Percent, Lower, "calls", ["calls.outcome"],
       "Abandoned calls / calls offered × 100 (short abandons excluded from both)."),
    m!("service_level", "Service level", "Niveau de service", Percent, Higher, "calls", ["calls.outcome", "calls.wait_seconds"],
       "Calls answered within T seconds (default 20) / calls offered × 100 (variant abandons_negative)."),
    m!("asa", "Average speed of answer", "Délai moyen de décroché", Seconds, Lower, "calls", ["calls.wait_seconds"],
       "Mean wait_seconds of answered calls (median and p90 in metrics.json)."),
    m!("aht", "Average handle time", "Durée moyenne de traitement", Seconds, Lower, "calls", ["calls.talk_seconds"],
       "Mean of talk + hold + after-call work over answered calls (a missing hold or ACW counts as 0)."),
    m!("csat", "CSAT", "CSAT", Percent, Higher, "surveys", ["surveys.kind", "surveys.score"],
       "CSAT responses in the period with a score at or above csat_positive_min (default 4 on 1–5) / CSAT responses × 100. Scores outside the scale are excluded and counted."),
    m!("nps", "NPS", "NPS", Score, Higher, "surveys", ["surveys.kind", "surveys.score"],
       "% promoters (9–10) − % detractors (0–6) among NPS responses in the period, passives in the denominator; −100 to +100. Scores outside 0–10 are excluded and counted."),
];

pub fn find(id: &str) -> Option<&'static MetricDef> {
    CATALOG.iter().find(|m| m.id == id)
}

pub fn get(id: &str) -> &'static MetricDef {
    find(id).unwrap_or_else(|| panic!("metric `{id}` is not in the catalog"))
}

/// docs/metrics.md, generated from the registry (a test keeps the file in step).
pub fn markdown() -> String {
    let mut s = String::from(
        "# Metrics as computed\n\n\
         <!-- Generated from src/metrics/catalog.rs: edit the registry, then run\n     \
         CSREPORT_BLESS=1 cargo test --release --test docs -->\n\n\
         Conventions: a period is `[start, end)` in the report timezone. A ratio whose\n\
         denominator is 0 is `n/a`, never 0. A metric whose input columns are not mapped is\n\
         \"not available (needs: …)\". Durations are in seconds; the report shows the median,\n\
         metrics.json also has the mean and the 90th percentile (linear interpolation between\n\
         closest ranks, as numpy's default). Rates are percentages; their changes are in points.\n\n\
         | id | label | unit | better | needs | definition |\n|---|---|---|---|---|---|\n",
    );
    for m in CATALOG {
        let unit = match m.unit {
            Unit::Count => "count",
            Unit::Percent => "%",
            Unit::Seconds => "seconds",
            Unit::Score => "score",
        };
        let better = match m.better {
            Better::Higher => "higher",
            Better::Lower => "lower",
            Better::Neither => "—",
        };
        s.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} |\n",
            m.id,
            m.label_en,
            unit,
            better,
            m.needs.join(", "),
            m.definition
        ));
    }
    s.push_str(
        "\n## Significance\n\n\
         A change against the previous or year-ago period is called significant when:\n\n\
         - rates: a two-proportion z-test gives p < 0.05;\n\
         - counts: a Poisson test of the two counts, per day of each period, gives p < 0.05;\n\
         - NPS: the difference exceeds 1.96 × its standard error, from the promoter and\n  \
         detractor shares of each period;\n\
         - durations: the median moved by at least 10% with at least 30 observations on\n  \
         both sides (a documented rule, printed in the report's appendix).\n\n\
         The executive summary only speaks of significant changes and missed targets.\n",
    );
    s
}
