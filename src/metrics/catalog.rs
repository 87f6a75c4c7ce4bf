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
    /// A mean on a bounded scale (CES 1–7); deltas are in points.
    Scale,
    /// A plain number (per day, per ticket, a coefficient).
    Number,
    /// An amount in the configured currency.
    Money,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Better {
    Higher,
    Lower,
    Neither,
    /// Inside a configured band (utilization, occupancy).
    InBand,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    Volume,
    Responsiveness,
    Quality,
    Calls,
    Customer,
    Agents,
    Cost,
}

/// A scalar has one value per period; a breakdown has one value per group (channel,
/// priority, agent …) and lives in `MetricSet::breakdowns`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Scalar,
    Breakdown,
}

#[derive(Debug, Clone, Serialize)]
pub struct MetricDef {
    pub id: &'static str,
    pub label_en: &'static str,
    pub label_fr: &'static str,
    pub unit: Unit,
    pub better: Better,
    pub family: Family,
    pub kind: Kind,
    /// The canonical columns it needs (source.column).
    pub needs: &'static [&'static str],
    pub definition: &'static str,
    /// Named variants (config), the default first.
    pub variants: &'static [(&'static str, &'static str)],
}

macro_rules! m {
    ($id:literal, $en:literal, $fr:literal, $unit:ident, $better:ident, $fam:ident, $kind:ident, [$($need:literal),*], $def:literal) => {
        m!($id, $en, $fr, $unit, $better, $fam, $kind, [$($need),*], $def, [])
    };
    ($id:literal, $en:literal, $fr:literal, $unit:ident, $better:ident, $fam:ident, $kind:ident, [$($need:literal),*], $def:literal, [$(($vn:literal, $vd:literal)),*]) => {
        MetricDef { id: $id, label_en: $en, label_fr: $fr, unit: Unit::$unit, better: Better::$better, family: Family::$fam,
                    kind: Kind::$kind, needs: &[$($need),*], definition: $def, variants: &[$(($vn, $vd)),*] }
    };
}

#[rustfmt::skip]
pub const CATALOG: &[MetricDef] = &[
    // Volume and workload
    m!("tickets_created", "Tickets created", "Tickets créés", Count, Neither, Volume, Scalar, ["tickets.created_at"],
       "Tickets whose created_at falls in the period."),
    m!("tickets_per_day", "Tickets per day", "Tickets par jour", Number, Neither, Volume, Scalar, ["tickets.created_at"],
       "tickets_created / days in the period."),
    m!("contacts_by_weekday_hour", "Contacts by weekday and hour", "Contacts par jour et heure", Count, Neither, Volume, Breakdown, ["tickets.created_at"],
       "Tickets created and inbound calls offered in the period per local weekday × hour (the heat map); values are counts, and per day in `parts`."),
    m!("channel_mix", "Channel mix", "Répartition par canal", Count, Neither, Volume, Breakdown, ["tickets.channel"],
       "tickets_created per channel, count and share of tickets created (tickets without a channel under \"(not set)\")."),
    m!("tickets_solved", "Tickets solved", "Tickets résolus", Count, Higher, Volume, Scalar, ["tickets.solved_at"],
       "Tickets whose (last) solved_at falls in the period (\"completion\")."),
    m!("completion_ratio", "Completion ratio", "Taux d'achèvement", Percent, Higher, Volume, Scalar, ["tickets.solved_at"],
       "tickets_solved / tickets_created × 100; a flow ratio that may exceed 100%."),
    m!("backlog_end", "Backlog at period end", "Stock en fin de période", Count, Lower, Volume, Scalar, ["tickets.solved_at"],
       "Tickets created before the period end and not solved (solved_at, else closed_at) before it, whatever their creation date."),
    m!("backlog_age", "Backlog by age", "Stock par ancienneté", Count, Lower, Volume, Breakdown, ["tickets.solved_at"],
       "backlog_end by age at the period end (period end − created_at): <1d, 1–3d, 3–7d, >7d."),
    m!("backlog_change", "Backlog change", "Variation du stock", Count, Lower, Volume, Scalar, ["tickets.solved_at"],
       "backlog_end − backlog at the period start (same rule at the first instant of the period)."),
    m!("unique_customers", "Unique customers", "Clients distincts", Count, Neither, Volume, Scalar, ["tickets.customer_id"],
       "Distinct customer_id among tickets created and calls offered (inbound, short abandons excluded) in the period."),
    // Responsiveness and resolution
    m!("first_response_time", "First response time (median)", "Délai de première réponse (médiane)", Seconds, Lower, Responsiveness, Scalar, ["tickets.first_response_at"],
       "first_response_at − created_at over tickets created in the period that have a first response (even after the period end); calendar time; median, with mean and p90. Negative durations are excluded and counted."),
    m!("first_response_time_business", "First response time, business hours (median)", "Délai de première réponse, heures ouvrées (médiane)", Seconds, Lower, Responsiveness, Scalar, ["tickets.first_response_at", "config.calendar"],
       "As first_response_time, counting only the open hours of [calendar] (weekly hours, holidays, report timezone)."),
    m!("no_response_yet", "No response at period end", "Sans réponse en fin de période", Count, Lower, Responsiveness, Scalar, ["tickets.first_response_at"],
       "Tickets created in the period without a first response before the period end."),
    m!("resolution_time", "Resolution time (median)", "Délai de résolution (médiane)", Seconds, Lower, Responsiveness, Scalar, ["tickets.solved_at"],
       "solved_at − created_at over tickets solved in the period (full resolution: the last solve); calendar time; median, with mean and p90. Negative durations are excluded and counted."),
    m!("resolution_time_business", "Resolution time, business hours (median)", "Délai de résolution, heures ouvrées (médiane)", Seconds, Lower, Responsiveness, Scalar, ["tickets.solved_at", "config.calendar"],
       "As resolution_time, counting only the open hours of [calendar]."),
    m!("first_resolution_time", "First resolution time (median)", "Délai de première résolution (médiane)", Seconds, Lower, Responsiveness, Scalar, ["tickets.solved_at"],
       "first_resolved_at − created_at (solved_at when first_resolved_at is empty) over tickets solved in the period; calendar time."),
    m!("sla_first_response", "SLA: first response", "SLA : première réponse", Percent, Higher, Responsiveness, Scalar, ["tickets.first_response_at", "tickets.priority", "config.sla.first_response"],
       "Share of tickets created in the period, with a target for their priority, whose first response met it. A ticket with no response yet counts as met until its target has elapsed at --as-of, then as breached. sla_breached from the export wins when mapped. Clock: [sla] clock."),
    m!("sla_resolution", "SLA: resolution", "SLA : résolution", Percent, Higher, Responsiveness, Scalar, ["tickets.solved_at", "tickets.priority", "config.sla.resolution"],
       "Share of tickets created in the period, with a resolution target for their priority, solved within it; an unsolved ticket counts as met until its target has elapsed at --as-of, then as breached."),
    m!("sla_by_priority", "SLA by priority", "SLA par priorité", Percent, Higher, Responsiveness, Breakdown, ["tickets.priority"],
       "sla_first_response and sla_resolution per priority."),
    // Quality
    m!("fcr", "First contact resolution", "Résolution au premier contact", Percent, Higher, Quality, Scalar, ["tickets.solved_at"],
       "Share of tickets solved in the period resolved at first contact, by the variant in force ([metrics] fcr_variant); every variant's value is in `variants`.",
       [("one_touch", "agent_replies ≤ 1 and reopens = 0 (needs agent_replies)"),
        ("no_reopen", "reopens = 0 (needs reopens)"),
        ("no_repeat_contact", "no other ticket or inbound call from the same customer with the same reason within repeat_contact_days (default 7) after the ticket was created (needs customer_id, reason)")]),
    m!("reopen_rate", "Reopen rate", "Taux de réouverture", Percent, Lower, Quality, Scalar, ["tickets.reopens"],
       "Tickets solved in the period with reopens ≥ 1 / tickets solved in the period with a reopens value × 100."),
    m!("escalation_rate", "Escalation rate", "Taux d'escalade", Percent, Lower, Quality, Scalar, ["tickets.escalated"],
       "Tickets created in the period with escalated = true / tickets created in the period with an escalated value × 100."),
    m!("interactions_per_ticket", "Agent replies per ticket", "Réponses d'agent par ticket", Number, Lower, Quality, Scalar, ["tickets.agent_replies"],
       "Mean agent_replies over tickets solved in the period (customer messages are not counted)."),
    // Calls
    m!("calls_offered", "Calls offered", "Appels présentés", Count, Neither, Calls, Scalar, ["calls.offered_at", "calls.outcome"],
       "Inbound calls (all calls when direction is not mapped) that entered a queue in the period: outcome other than ivr_resolved, short abandons excluded."),
    m!("calls_answered", "Calls answered", "Appels répondus", Count, Higher, Calls, Scalar, ["calls.outcome"],
       "Offered calls with outcome answered or transferred."),
    m!("calls_abandoned", "Calls abandoned", "Appels abandonnés", Count, Lower, Calls, Scalar, ["calls.outcome"],
       "Offered calls with outcome abandoned (short abandons excluded). voicemail and callback are offered but neither answered nor abandoned."),
    m!("short_abandons", "Short abandons", "Abandons courts", Count, Neither, Calls, Scalar, ["calls.outcome", "calls.wait_seconds"],
       "Inbound abandoned calls with wait_seconds below short_abandon_seconds (default 5); left out of every other call metric."),
    m!("abandonment_rate", "Abandonment rate", "Taux d'abandon", Percent, Lower, Calls, Scalar, ["calls.outcome"],
       "calls_abandoned / calls_offered × 100."),
    m!("service_level", "Service level", "Niveau de service", Percent, Higher, Calls, Scalar, ["calls.outcome", "calls.wait_seconds"],
       "Calls answered within service_level_seconds (T, default 20; wait ≤ T) by the variant in force ([calls] service_level_variant); every variant's value is in `variants`.",
       [("abandons_negative", "answered ≤ T / offered"),
        ("abandons_ignored", "answered ≤ T / answered"),
        ("abandons_positive", "(answered ≤ T + abandoned ≤ T) / offered")]),
    m!("asa", "Average speed of answer", "Délai moyen de décroché", Seconds, Lower, Calls, Scalar, ["calls.wait_seconds"],
       "Mean wait_seconds of answered calls, with median and p90."),
    m!("aht", "Average handle time", "Durée moyenne de traitement", Seconds, Lower, Calls, Scalar, ["calls.talk_seconds"],
       "Mean of talk + hold + acw over answered calls with a talk time (an empty hold or ACW counts as 0); the mean of each component is in `parts`."),
    m!("acw", "After-call work (mean)", "Travail après appel (moyenne)", Seconds, Lower, Calls, Scalar, ["calls.acw_seconds"],
       "Mean acw_seconds of answered calls with an ACW value."),
    m!("repeat_call_rate", "Repeat call rate", "Taux de rappel", Percent, Lower, Calls, Scalar, ["calls.customer_id"],
       "Answered calls in the period followed by another inbound call from the same customer within repeat_call_days (default 7) / answered calls with a customer_id × 100."),
    m!("ivr_containment", "IVR containment", "Résolution par le SVI", Percent, Higher, Calls, Scalar, ["calls.outcome"],
       "ivr_resolved / (ivr_resolved + calls_offered) × 100."),
    // Customer
    m!("csat", "CSAT", "CSAT", Percent, Higher, Customer, Scalar, ["surveys.kind", "surveys.score"],
       "CSAT responses in the period scoring at least csat_positive_min (default 4 on 1–5) / CSAT responses × 100; the mean score is in `parts`. tickets.csat_score counts as a response at the ticket's solved_at. Scores off the scale are excluded and counted; two scales in one period are refused unless [tickets] csat_rescale."),
    m!("nps", "NPS", "NPS", Score, Higher, Customer, Scalar, ["surveys.kind", "surveys.score"],
       "% promoters (9–10) − % detractors (0–6) among NPS responses in the period, passives in the denominator; −100 to +100. Scores off 0–10 are excluded and counted."),
    m!("ces", "Customer effort score (mean)", "Effort client (moyenne)", Scale, Higher, Customer, Scalar, ["surveys.kind", "surveys.score"],
       "Mean CES score in the period on [surveys] ces_min–ces_max (default 1–7, higher = easier, CES 2.0); % agree (≥ ces_agree_min, default 5) is in `parts`. With ces_higher_is_easier = false (CES 1.0) lower is better."),
    m!("survey_response_rate", "Survey response rate", "Taux de réponse aux enquêtes", Percent, Higher, Customer, Scalar, ["surveys.ticket_id", "tickets.solved_at"],
       "Tickets solved in the period with at least one CSAT response linked by ticket_id (at any time) / tickets solved in the period × 100."),
    m!("csat_by_channel", "CSAT by channel", "CSAT par canal", Percent, Higher, Customer, Breakdown, ["surveys.kind"],
       "csat per channel (the response's, else its ticket's)."),
    m!("csat_by_reason", "CSAT by reason", "CSAT par motif", Percent, Higher, Customer, Breakdown, ["surveys.kind"],
       "csat per contact reason (the response's, else its ticket's): the heat map with ces_by_reason."),
    m!("ces_by_reason", "CES by reason", "Effort client par motif", Scale, Higher, Customer, Breakdown, ["surveys.kind"],
       "ces per contact reason (the response's, else its ticket's)."),
    // Agents and teams
    m!("by_agent", "Per agent", "Par agent", Count, Neither, Agents, Breakdown, ["tickets.agent"],
       "Per agent: tickets solved, calls answered, first_response_time median, aht, fcr, csat, escalation_rate, reopen_rate, each with its n; a value on fewer than min_n_agent (default 10) observations is flagged low_n."),
    m!("by_team", "Per team", "Par équipe", Count, Neither, Agents, Breakdown, ["tickets.team"],
       "The same per team; low_n below min_n_team (default 30)."),
    m!("workload_balance", "Workload balance (CV)", "Équilibre de charge (CV)", Number, Lower, Agents, Scalar, ["tickets.agent", "tickets.solved_at"],
       "Coefficient of variation (population standard deviation / mean) of tickets solved per agent in the period; each agent's share of solved tickets and of handle time, and whether they solved more than overload_factor (default 1.5) × their team's median, are in the workload breakdown."),
    m!("workload", "Workload per agent", "Charge par agent", Percent, Neither, Agents, Breakdown, ["tickets.agent", "tickets.solved_at"],
       "Per agent: share of tickets solved and of handle time (ticket handle_seconds of tickets solved + talk, hold and ACW of calls answered) in the period; flag overloaded."),
    m!("utilization", "Utilization", "Taux d'utilisation", Percent, InBand, Agents, Scalar, ["agent_time.date", "agent_time.scheduled_seconds"],
       "Handling time / scheduled time of agent_time days in the period × 100. Handling is agent_time.handling_seconds when mapped, else talk + hold + ACW of answered calls + handle_seconds of tickets solved. Target band [metrics] utilization_band, default 60–85%."),
    m!("occupancy", "Occupancy", "Taux d'occupation", Percent, InBand, Agents, Scalar, ["agent_time.date", "agent_time.logged_in_seconds"],
       "Handling time / logged-in time of agent_time days in the period × 100; target band default 75–85%."),
    // Cost
    m!("cost_per_contact", "Cost per contact", "Coût par contact", Money, Lower, Cost, Scalar, ["config.cost"],
       "Period cost / (tickets solved + calls answered). Period cost: [cost] per_agent_hour × scheduled agent hours of agent_time days in the period, or [cost] per_day × days in the period."),
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
         Conventions for every metric:\n\n\
         - A period is `[start, end)` in the report timezone. A row belongs to the period in\n  \
         which the event measured happened: created for volume, solved for resolution,\n  \
         responded for surveys, offered for calls.\n\
         - Durations are in seconds. The report shows the median; metrics.json also has the\n  \
         mean and the 90th percentile (linear interpolation between closest ranks, as numpy's\n  \
         default).\n\
         - Ratios carry their numerator and denominator (`n` is the denominator). A zero\n  \
         denominator gives `n/a` (`null` in metrics.json), never 0.\n\
         - A metric whose inputs are not mapped is \"not available (needs: …)\"; `config.x`\n  \
         means a section of report.toml.\n\
         - Negative durations (a response before creation …) and scores off their scale are\n  \
         excluded from the metric and counted in `excluded` and in the data-quality appendix.\n\
         - Per-agent and per-team values on fewer than `min_n_agent` (10) / `min_n_team` (30)\n  \
         observations are shown but flagged `low_n`, and never drive a summary sentence.\n\n",
    );
    let families = [
        (Family::Volume, "Volume and workload"),
        (Family::Responsiveness, "Responsiveness, resolution and SLA"),
        (Family::Quality, "Quality"),
        (Family::Calls, "Contact center"),
        (Family::Customer, "Customer"),
        (Family::Agents, "Agents and teams"),
        (Family::Cost, "Cost"),
    ];
    for (fam, title) in families {
        s.push_str(&format!(
            "## {title}\n\n| id | label | kind | unit | better | needs | definition |\n|---|---|---|---|---|---|---|\n"
        ));
        for m in CATALOG.iter().filter(|m| m.family == fam) {
            let unit = match m.unit {
                Unit::Count => "count",
                Unit::Percent => "%",
                Unit::Seconds => "seconds",
                Unit::Score => "score",
                Unit::Scale => "scale",
                Unit::Number => "number",
                Unit::Money => "money",
            };
            let better = match m.better {
                Better::Higher => "higher",
                Better::Lower => "lower",
                Better::Neither => "—",
                Better::InBand => "in band",
            };
            let kind = match m.kind {
                Kind::Scalar => "value",
                Kind::Breakdown => "breakdown",
            };
            let mut def = m.definition.to_string();
            for (i, (name, d)) in m.variants.iter().enumerate() {
                def.push_str(&format!("<br>• `{name}`{}: {d}", if i == 0 { " (default)" } else { "" }));
            }
            s.push_str(&format!(
                "| `{}` | {} | {} | {} | {} | {} | {} |\n",
                m.id,
                m.label_en,
                kind,
                unit,
                better,
                m.needs.join(", "),
                def
            ));
        }
        s.push('\n');
    }
    s.push_str(
        "## Significance\n\n\
         A change against the previous or year-ago period is called significant when:\n\n\
         - rates: a two-proportion z-test gives p < 0.05 (each rate also has its Wilson 95%\n  \
         interval, `ci95` in metrics.json);\n\
         - counts: a Poisson test of the two counts, per day of each period, gives p < 0.05;\n\
         - NPS: the difference exceeds 1.96 × its standard error, from the promoter and\n  \
         detractor shares of each period;\n\
         - durations: a Mann–Whitney U test of the two periods' durations gives p < 0.05\n  \
         (normal approximation with the tie correction and a continuity correction of 0.5;\n  \
         deterministic, no resampling);\n\
         - CES, money and plain numbers are not tested.\n\n\
         The executive summary speaks only of significant changes that are also material\n\
         (at least 5% for counts and durations, 1 point for rates and NPS, 0.1 on CES) and,\n\
         for rates and scores, rest on at least 30 responses on each side; and of missed\n\
         targets.\n",
    );
    s
}
