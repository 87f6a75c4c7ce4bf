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
    /// folder of report.toml.
    pub path: PathBuf,
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
    /// Abandons that waited less than this are short abandons (excluded everywhere).
    pub short_abandon_seconds: f64,
}

impl Default for CallsSection {
    fn default() -> Self {
        CallsSection { service_level_seconds: 20.0, short_abandon_seconds: 5.0 }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SurveysSection {
    pub csat_min: f64,
    pub csat_max: f64,
    /// Scores at or above this count as satisfied (top-two-box on 1–5).
    pub csat_positive_min: f64,
}

impl Default for SurveysSection {
    fn default() -> Self {
        SurveysSection { csat_min: 1.0, csat_max: 5.0, csat_positive_min: 4.0 }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DriversSection {
    pub field: String,
    pub top: usize,
    /// Driver value → the team that owns it.
    pub owners: BTreeMap<String, String>,
}

impl Default for DriversSection {
    fn default() -> Self {
        DriversSection { field: "reason".into(), top: 5, owners: BTreeMap::new() }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    pub target: f64,
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
}

impl Default for ActionsSection {
    fn default() -> Self {
        ActionsSection { due_days: 14, default_owner: "Customer service management".into() }
    }
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
            if spec.profile != "canonical" {
                bail!("[inputs.{name}] profile = \"{}\": unknown profile (available: \"canonical\")", spec.profile);
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
        for id in self.targets.keys() {
            if crate::metrics::catalog::find(id).is_none() {
                let known: Vec<&str> = crate::metrics::catalog::CATALOG.iter().map(|m| m.id).collect();
                bail!("[targets.{id}]: unknown metric (known: {})", known.join(", "));
            }
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
        assert!(format!("{err:#}").contains("[targets.csatt]: unknown metric"));
    }

    #[test]
    fn defaults_fill_what_is_not_said() {
        let c = Config::parse("[inputs.tickets]\npath='t.csv'\n", "r.toml").unwrap();
        assert_eq!(c.calls.service_level_seconds, 20.0);
        assert_eq!(c.drivers.top, 5);
        assert_eq!(c.report.trend_periods, 8);
    }
}
