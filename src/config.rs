//! report.toml: strict (a typo is an error), with defaults where they serve.

use anyhow::{bail, Context, Result};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub report: ReportSection,
    pub inputs: Inputs,
    pub calls: CallsSection,
    pub surveys: SurveysSection,
    pub drivers: DriversSection,
    /// Per metric id: the target the scorecard and the action plan check against.
    pub targets: BTreeMap<String, Target>,
    pub actions: ActionsSection,
    /// Opening hours and holidays: enables business-time durations.
    pub calendar: Option<Calendar>,
    /// First-response and resolution targets per priority.
    pub sla: SlaSection,
    pub tickets: TicketsSection,
    /// Variants and thresholds of the metric catalogue.
    pub metrics: MetricsSection,
    pub cost: CostSection,
    /// Recipients and transport for --email / --send.
    pub email: EmailSection,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmailSection {
    pub from: Option<String>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    /// `{title}`, `{period}`, `{period_range}` and `{as_of}` are replaced.
    pub subject: String,
    /// "smtp" or "sendmail".
    pub transport: String,
    pub smtp_host: Option<String>,
    pub smtp_port: Option<u16>,
    /// "starttls" (default), "tls" (implicit, port 465) or "none" (a local relay only).
    pub tls: String,
    /// One line `user:password`, relative to report.toml; else the environment
    /// variables CSREPORT_SMTP_USER and CSREPORT_SMTP_PASSWORD.
    pub credentials_file: Option<PathBuf>,
    pub sendmail_command: Option<String>,
}

impl Default for EmailSection {
    fn default() -> Self {
        EmailSection {
            from: None,
            to: vec![],
            cc: vec![],
            subject: "{title} — {period}".into(),
            transport: "smtp".into(),
            smtp_host: None,
            smtp_port: None,
            tls: "starttls".into(),
            credentials_file: None,
            sendmail_command: None,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Calendar {
    /// Opening hours per weekday (`mon` … `sun`), local time, e.g. `"08:00-19:00"`;
    /// a day not listed is closed.
    pub hours: BTreeMap<String, String>,
    /// Closed days (YYYY-MM-DD).
    pub holidays: Vec<chrono::NaiveDate>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Clock {
    #[default]
    Calendar,
    Business,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SlaSection {
    /// Whether targets run on calendar time or on the business calendar.
    pub clock: Clock,
    /// Priority → target in seconds.
    pub first_response: BTreeMap<String, f64>,
    pub resolution: BTreeMap<String, f64>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct TicketsSection {
    /// The scale of tickets.csat_score; default: the survey CSAT scale.
    pub csat_min: Option<f64>,
    pub csat_max: Option<f64>,
    /// Map tickets.csat_score linearly onto the survey scale when the scales differ.
    pub csat_rescale: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FcrVariant {
    #[default]
    OneTouch,
    NoReopen,
    NoRepeatContact,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceLevelVariant {
    #[default]
    AbandonsNegative,
    AbandonsIgnored,
    AbandonsPositive,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsSection {
    pub fcr_variant: FcrVariant,
    /// Window of the no_repeat_contact FCR variant, in days.
    pub repeat_contact_days: f64,
    /// Window of repeat_call_rate, in days.
    pub repeat_call_days: f64,
    /// Below these n a per-agent or per-team value is flagged "low n".
    pub min_n_agent: u64,
    pub min_n_team: u64,
    /// Agents above this multiple of their team's median of solved tickets are flagged.
    pub overload_factor: f64,
    /// Target bands, in percent.
    pub utilization_band: [f64; 2],
    pub occupancy_band: [f64; 2],
}

impl Default for MetricsSection {
    fn default() -> Self {
        MetricsSection {
            fcr_variant: FcrVariant::OneTouch,
            repeat_contact_days: 7.0,
            repeat_call_days: 7.0,
            min_n_agent: 10,
            min_n_team: 30,
            overload_factor: 1.5,
            utilization_band: [60.0, 85.0],
            occupancy_band: [75.0, 85.0],
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct CostSection {
    /// Cost of one scheduled agent hour (needs agent_time.scheduled_seconds).
    pub per_agent_hour: Option<f64>,
    /// A fixed cost per day, multiplied by the days of the period.
    pub per_day: Option<f64>,
    pub currency: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReportSection {
    pub title: String,
    /// IANA timezone: period bounds, naive timestamps and hour-of-day are read in it.
    pub timezone: String,
    pub language: String,
    /// Where `reports/<period>/` goes, relative to the current directory.
    pub output_dir: PathBuf,
    /// The kind of period used when neither --period nor --last is given.
    pub default_period: String,
    /// How many periods the trend charts show, the current one included.
    pub trend_periods: usize,
    /// A folder of templates overriding the built-ins, relative to report.toml.
    pub templates: Option<PathBuf>,
}

impl Default for ReportSection {
    fn default() -> Self {
        ReportSection {
            title: "Customer service report".into(),
            timezone: "UTC".into(),
            language: "en".into(),
            output_dir: PathBuf::from("reports"),
            default_period: "quarter".into(),
            trend_periods: 8,
            templates: None,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Inputs {
    pub tickets: Option<InputSpec>,
    pub surveys: Option<InputSpec>,
    pub calls: Option<InputSpec>,
    pub agent_time: Option<InputSpec>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct InputSpec {
    /// CSV, JSON (an array of objects) or NDJSON, chosen by extension; relative to the
    /// folder of report.toml. A list of files with the same columns is read as one.
    pub path: crate::load::profile::OneOrMany,
    #[serde(default = "canonical")]
    pub profile: String,
}

fn canonical() -> String {
    "canonical".into()
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct CallsSection {
    /// T of the service level: answered within T seconds.
    pub service_level_seconds: f64,
    /// How abandons count in the service level.
    pub service_level_variant: ServiceLevelVariant,
    /// Abandons that waited less than this are short abandons (excluded everywhere).
    pub short_abandon_seconds: f64,
}

impl Default for CallsSection {
    fn default() -> Self {
        CallsSection {
            service_level_seconds: 20.0,
            service_level_variant: ServiceLevelVariant::AbandonsNegative,
            short_abandon_seconds: 5.0,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SurveysSection {
    pub csat_min: f64,
    pub csat_max: f64,
    /// Scores at or above this count as satisfied (top-two-box on 1–5).
    pub csat_positive_min: f64,
    /// CES scale (CES 2.0: 1–7, higher = easier) and the lowest "agree" score.
    pub ces_min: f64,
    pub ces_max: f64,
    pub ces_agree_min: f64,
    /// false for CES 1.0, where a lower score means less effort.
    pub ces_higher_is_easier: bool,
}

impl Default for SurveysSection {
    fn default() -> Self {
        SurveysSection {
            csat_min: 1.0,
            csat_max: 5.0,
            csat_positive_min: 4.0,
            ces_min: 1.0,
            ces_max: 7.0,
            ces_agree_min: 5.0,
            ces_higher_is_easier: true,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DriversSection {
    pub field: String,
    pub top: usize,
    /// Which sources count as contacts: "tickets", "calls" (default both).
    pub sources: Vec<String>,
    /// Driver value → the team that owns it.
    pub owners: BTreeMap<String, String>,
}

impl Default for DriversSection {
    fn default() -> Self {
        DriversSection {
            field: "reason".into(),
            top: 5,
            sources: vec!["tickets".into(), "calls".into()],
            owners: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// The value to meet (≥ for higher-is-better metrics, ≤ for lower-is-better).
    #[serde(default)]
    pub target: Option<f64>,
    /// Bounds beyond which the value raises a warning and an alert, on the worse side.
    #[serde(default)]
    pub warning: Option<f64>,
    #[serde(default)]
    pub alert: Option<f64>,
    /// Which side is worse, for metrics without a better direction (volumes):
    /// "above" (default) or "below".
    #[serde(default)]
    pub worse: Option<String>,
    /// Team that owns the action when the target is missed.
    #[serde(default)]
    pub owner: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ActionsSection {
    /// An action is due this many days after --as-of.
    pub due_days: i64,
    pub default_owner: String,
    /// Keep the built-in rules for metrics that no rule of the config names.
    pub builtin_rules: bool,
    /// Agents' time not on the phones (breaks, training…), for the Erlang C staffing.
    pub shrinkage: f64,
    /// Your rules, tried before the built-in ones.
    pub rules: Vec<ActionRule>,
}

impl Default for ActionsSection {
    fn default() -> Self {
        ActionsSection {
            due_days: 14,
            default_owner: "Customer service management".into(),
            builtin_rules: true,
            shrinkage: 0.30,
            rules: Vec::new(),
        }
    }
}

/// A finding (metric, condition) that raises an action.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ActionRule {
    pub metric: String,
    /// missed_target, worsened (significantly), warning, alert, above or below (`value`).
    pub when: String,
    #[serde(default)]
    pub value: Option<f64>,
    pub action: String,
    #[serde(default)]
    pub owner: Option<String>,
    #[serde(default)]
    pub due_days: Option<i64>,
}

impl Config {
    /// Parse and validate report.toml text; `origin` names it in messages.
    pub fn parse(text: &str, origin: &str) -> Result<Config> {
        let cfg: Config = toml::from_str(text).map_err(|e| anyhow::anyhow!("{origin}: {e}"))?;
        cfg.validate().with_context(|| format!("{origin}: invalid configuration"))?;
        Ok(cfg)
    }

    pub fn from_file(path: &Path) -> Result<Config> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("failed to read config `{}`", path.display()))?;
        Config::parse(&text, &path.display().to_string())
    }

    pub fn timezone(&self) -> Result<Tz> {
        self.report.timezone.parse::<Tz>().map_err(|_| {
            anyhow::anyhow!(
                "[report] timezone = \"{}\" is not an IANA timezone (e.g. \"Europe/Paris\", \"UTC\")",
                self.report.timezone
            )
        })
    }

    fn validate(&self) -> Result<()> {
        self.timezone()?;
        if !matches!(self.report.language.as_str(), "en" | "fr") {
            bail!("[report] language = \"{}\": expected \"en\" or \"fr\"", self.report.language);
        }
        crate::period::PeriodKind::parse_last(&self.report.default_period).context("[report] default_period")?;
        if self.report.trend_periods == 0 || self.report.trend_periods > 60 {
            bail!("[report] trend_periods = {}: expected 1 to 60", self.report.trend_periods);
        }
        if self.inputs.tickets.is_none() && self.inputs.calls.is_none() && self.inputs.surveys.is_none() {
            bail!("[inputs] names no input: add at least [inputs.tickets], [inputs.calls] or [inputs.surveys]");
        }
        for (name, spec) in self.inputs.iter() {
            if spec.path.list().is_empty() {
                bail!("[inputs.{name}] path = []: give at least one file");
            }
        }
        let s = &self.surveys;
        if !(s.csat_min < s.csat_max && s.csat_positive_min > s.csat_min && s.csat_positive_min <= s.csat_max) {
            bail!(
                "[surveys] expected csat_min < csat_positive_min <= csat_max, got {} / {} / {}",
                s.csat_min,
                s.csat_positive_min,
                s.csat_max
            );
        }
        if !(s.ces_min < s.ces_max && s.ces_agree_min >= s.ces_min && s.ces_agree_min <= s.ces_max) {
            bail!("[surveys] expected ces_min <= ces_agree_min <= ces_max and ces_min < ces_max");
        }
        let t = &self.tickets;
        if let (Some(a), Some(b)) = (t.csat_min, t.csat_max) {
            if a >= b {
                bail!("[tickets] csat_min must be below csat_max");
            }
        }
        if t.csat_min.is_some() != t.csat_max.is_some() {
            bail!("[tickets] give both csat_min and csat_max, or neither");
        }
        if let Some(cal) = &self.calendar {
            crate::calendar::WeekHours::parse(cal).context("[calendar]")?;
        }
        if self.sla.clock == Clock::Business && self.calendar.is_none() {
            bail!("[sla] clock = \"business\" needs a [calendar] with opening hours");
        }
        for (name, map) in [("first_response", &self.sla.first_response), ("resolution", &self.sla.resolution)] {
            for (prio, secs) in map {
                if !matches!(prio.as_str(), "low" | "normal" | "high" | "urgent") {
                    bail!("[sla.{name}] {prio}: expected a priority (low, normal, high, urgent)");
                }
                if secs.is_nan() || *secs <= 0.0 {
                    bail!("[sla.{name}] {prio} = {secs}: a target is a positive number of seconds");
                }
            }
        }
        let m = &self.metrics;
        if m.repeat_contact_days <= 0.0 || m.repeat_call_days <= 0.0 {
            bail!("[metrics] repeat_contact_days and repeat_call_days must be positive");
        }
        if m.overload_factor <= 1.0 {
            bail!("[metrics] overload_factor = {}: expected more than 1", m.overload_factor);
        }
        for (name, b) in [("utilization_band", m.utilization_band), ("occupancy_band", m.occupancy_band)] {
            if !(0.0..=100.0).contains(&b[0]) || b[0] > b[1] || b[1] > 100.0 {
                bail!("[metrics] {name} = [{}, {}]: expected [low, high] within 0–100", b[0], b[1]);
            }
        }
        if self.cost.per_agent_hour.is_some() && self.cost.per_day.is_some() {
            bail!("[cost] give per_agent_hour or per_day, not both");
        }
        if !matches!(self.email.transport.as_str(), "smtp" | "sendmail") {
            bail!("[email] transport = \"{}\": expected \"smtp\" or \"sendmail\"", self.email.transport);
        }
        if !matches!(self.email.tls.as_str(), "starttls" | "tls" | "none") {
            bail!("[email] tls = \"{}\": expected \"starttls\", \"tls\" or \"none\"", self.email.tls);
        }
        if self.drivers.sources.is_empty() || self.drivers.sources.iter().any(|s| s != "tickets" && s != "calls") {
            bail!(
                "[drivers] sources = {:?}: expected a non-empty list of \"tickets\" and \"calls\"",
                self.drivers.sources
            );
        }
        if self.drivers.top == 0 {
            bail!("[drivers] top must be at least 1");
        }
        if !matches!(self.drivers.field.as_str(), "reason" | "sub_reason" | "product" | "location" | "channel" | "team")
        {
            bail!(
                "[drivers] field = \"{}\": expected reason, sub_reason, product, location, channel or team",
                self.drivers.field
            );
        }
        let known = || crate::metrics::catalog::CATALOG.iter().map(|m| m.id).collect::<Vec<_>>().join(", ");
        let unknown = |id: &str| match closest(id, crate::metrics::catalog::CATALOG.iter().map(|m| m.id)) {
            Some(c) => format!("unknown metric `{id}`: did you mean `{c}`? (docs/metrics.md lists every metric)"),
            None => format!("unknown metric `{id}` (known: {})", known()),
        };
        for (id, t) in &self.targets {
            let Some(def) = crate::metrics::catalog::find(id) else {
                bail!("[targets.{id}]: {}", unknown(id));
            };
            if t.target.is_none() && t.warning.is_none() && t.alert.is_none() {
                bail!("[targets.{id}]: give a target, a warning or an alert bound");
            }
            let lower_is_worse = match t.worse.as_deref() {
                Some("below") => true,
                Some("above") | None => def.better == crate::metrics::catalog::Better::Higher,
                Some(w) => bail!("[targets.{id}] worse = \"{w}\": expected \"above\" or \"below\""),
            };
            // From good to bad: target, then warning, then alert.
            let order: Vec<f64> = [t.target, t.warning, t.alert].into_iter().flatten().collect();
            let sorted = order.windows(2).all(|w| if lower_is_worse { w[0] >= w[1] } else { w[0] <= w[1] });
            if !sorted {
                bail!(
                    "[targets.{id}]: target, warning and alert must go from good to bad ({} is worse): got {:?} / {:?} / {:?}",
                    if lower_is_worse { "lower" } else { "higher" },
                    t.target,
                    t.warning,
                    t.alert
                );
            }
        }
        for (i, r) in self.actions.rules.iter().enumerate() {
            if crate::metrics::catalog::find(&r.metric).is_none() {
                bail!("[[actions.rules]] #{}: {}", i + 1, unknown(&r.metric));
            }
            match r.when.as_str() {
                "missed_target" | "worsened" | "warning" | "alert" => {}
                "above" | "below" if r.value.is_some() => {}
                "above" | "below" => bail!("[[actions.rules]] #{}: when = \"{}\" needs a `value`", i + 1, r.when),
                w => bail!(
                    "[[actions.rules]] #{}: when = \"{w}\": expected missed_target, worsened, warning, alert, above or below",
                    i + 1
                ),
            }
        }
        if !(0.0..0.95).contains(&self.actions.shrinkage) {
            bail!("[actions] shrinkage = {}: expected a share from 0 to 0.95", self.actions.shrinkage);
        }
        Ok(())
    }
}

impl Inputs {
    /// The configured inputs, in a fixed order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &InputSpec)> {
        [
            ("tickets", self.tickets.as_ref()),
            ("calls", self.calls.as_ref()),
            ("surveys", self.surveys.as_ref()),
            ("agent_time", self.agent_time.as_ref()),
        ]
        .into_iter()
        .filter_map(|(n, s)| s.map(|s| (n, s)))
    }
}

/// The known name nearest to a misspelt one (at most a third of its letters off).
pub fn closest<'a>(word: &str, known: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let distance = |a: &str, b: &str| -> usize {
        let b: Vec<char> = b.chars().collect();
        let mut row: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut prev = row[0];
            row[0] = i + 1;
            for j in 0..b.len() {
                let cur = row[j + 1];
                row[j + 1] = (prev + usize::from(ca != b[j])).min(row[j] + 1).min(cur + 1);
                prev = cur;
            }
        }
        row[b.len()]
    };
    known
        .map(|k| (distance(word, k), k))
        .filter(|(d, _)| *d * 3 <= word.chars().count().max(3))
        .min_by_key(|(d, k)| (*d, *k))
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typo_is_an_error_that_names_the_key() {
        let err = Config::parse("[report]\ntimezon = \"UTC\"\n[inputs.tickets]\npath='t.csv'\n", "r.toml").unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.contains("r.toml") && msg.contains("timezon"), "{msg}");
    }

    #[test]
    fn bad_timezone_and_unknown_target_are_refused() {
        let err =
            Config::parse("[report]\ntimezone = \"Paris\"\n[inputs.tickets]\npath='t.csv'\n", "r.toml").unwrap_err();
        assert!(format!("{err:#}").contains("\"Paris\" is not an IANA timezone"));
        let err =
            Config::parse("[inputs.tickets]\npath='t.csv'\n[targets.csatt]\ntarget = 80\n", "r.toml").unwrap_err();
        assert!(format!("{err:#}").contains("[targets.csatt]: unknown metric `csatt`: did you mean `csat`?"));
    }

    #[test]
    fn defaults_fill_what_is_not_said() {
        let c = Config::parse("[inputs.tickets]\npath='t.csv'\n", "r.toml").unwrap();
        assert_eq!(c.calls.service_level_seconds, 20.0);
        assert_eq!(c.drivers.top, 5);
        assert_eq!(c.report.trend_periods, 8);
    }
}
