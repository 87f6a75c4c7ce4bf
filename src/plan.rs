//! plan: the command line and report.toml resolved into one validated plan, before
//! any data is read.

use crate::cli::PeriodArgs;
use crate::config::Config;
use crate::period::{Period, PeriodKind};
use anyhow::{bail, Context, Result};
use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use std::path::PathBuf;

pub struct ReportPlan {
    pub config: Config,
    pub config_path: PathBuf,
    /// Input paths are relative to this folder (the config's).
    pub base_dir: PathBuf,
    pub tz: Tz,
    pub period: Period,
    pub previous: Period,
    pub year_ago: Period,
    /// The trend periods, oldest first, ending with `period`.
    pub trend: Vec<Period>,
    pub as_of: DateTime<Utc>,
    /// The period has not ended at `as_of`.
    pub partial: bool,
    /// --timings: stage durations on stderr.
    pub timings: bool,
}

pub fn parse_as_of(s: &str, tz: Tz) -> Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S"))
        .or_else(|_| NaiveDate::parse_from_str(s, "%Y-%m-%d").map(|d| d.and_hms_opt(0, 0, 0).expect("midnight")))
        .map_err(|_| {
            anyhow::anyhow!(
                "--as-of `{s}`: expected 2026-10-01, 2026-10-01T06:00:00 or RFC 3339 (2026-10-01T06:00:00+02:00)"
            )
        })?;
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => Ok(t.with_timezone(&Utc)),
        LocalResult::None => bail!("--as-of `{s}` does not exist in {tz} (a daylight-saving gap)"),
    }
}

pub fn resolve(args: &PeriodArgs) -> Result<ReportPlan> {
    let config = Config::from_file(&args.config)?;
    let tz = config.timezone()?;
    let as_of = match &args.as_of {
        Some(s) => parse_as_of(s, tz)?,
        None => Utc::now(),
    };
    let period = match (&args.period, &args.last) {
        (Some(p), _) => Period::parse(p).context("--period")?,
        (None, Some(k)) => Period::last_complete(PeriodKind::parse_last(k).context("--last")?, as_of, tz),
        (None, None) => Period::last_complete(PeriodKind::parse_last(&config.report.default_period)?, as_of, tz),
    };
    let base_dir = args
        .config
        .parent()
        .map(|p| if p.as_os_str().is_empty() { PathBuf::from(".") } else { p.to_path_buf() })
        .unwrap_or_else(|| PathBuf::from("."));
    let partial = period.end_utc(tz) > as_of;
    if period.start_utc(tz) >= as_of {
        bail!("--period {period} starts after --as-of {}: there is nothing to report yet", as_of.to_rfc3339());
    }
    Ok(ReportPlan {
        previous: period.previous(),
        year_ago: period.year_ago(),
        trend: period.trend(config.report.trend_periods),
        config,
        config_path: args.config.clone(),
        base_dir,
        tz,
        period,
        as_of,
        partial,
        timings: args.timings,
    })
}
