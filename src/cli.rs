//! The command line (clap derive): the doc comments are the help text.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Turn help-desk and contact-center exports into periodic customer-service reports.
#[derive(Debug, Parser)]
#[command(name = "csreport", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build the report of a period: report.html, report.md, charts/, metrics.json.
    Report(ReportArgs),
    /// Print the metrics of a period without rendering a report.
    Metrics(MetricsArgs),
    /// Write a realistic, deterministic sample data set (tickets, calls, surveys, agent time).
    SampleData(SampleArgs),
    /// Read every input through its profile and report data quality; render nothing.
    Validate(ValidateArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) to standard output.
    Man,
    /// The report templates: `csreport templates eject DIR` copies the built-ins out.
    Templates {
        #[command(subcommand)]
        action: TemplatesAction,
    },
    /// Re-hash a report's inputs, re-run its period into a temporary folder and compare:
    /// exit 0 when everything is the same, 4 with the differences listed.
    Verify(VerifyArgs),
}

#[derive(Debug, Subcommand)]
pub enum TemplatesAction {
    /// Write the built-in templates into DIR, to edit and pass as --templates DIR.
    Eject {
        dir: PathBuf,
        /// Overwrite files that exist.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The manifest.json of the report folder to verify (or the folder).
    pub manifest: PathBuf,
    /// The report.toml to use (default: the path recorded in the manifest, from the
    /// current directory).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The report configuration (report.toml).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: PathBuf,
    #[arg(long, value_enum, default_value = "table")]
    pub format: MetricsFormat,
}

#[derive(Debug, Args, Clone)]
pub struct PeriodArgs {
    /// The report configuration (report.toml). Input paths in it are relative to its folder.
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: PathBuf,
    /// The period: 2026-W46, 2026-11, 2026-Q3, 2026-H2, 2026 or 2026-09-01..2026-09-30 (both
    /// days included). Default: the last complete period of [report] default_period.
    #[arg(long, short = 'p', conflicts_with = "last")]
    pub period: Option<String>,
    /// The last complete week, month, quarter, half or year before --as-of (for cron).
    #[arg(long, value_name = "KIND")]
    pub last: Option<String>,
    /// Pin "now": 2026-10-01, 2026-10-01T06:00:00 (report timezone) or RFC 3339. Default:
    /// the current time, recorded in the report.
    #[arg(long, value_name = "TIME")]
    pub as_of: Option<String>,
    /// Print each stage's wall time to stderr at the end.
    #[arg(long)]
    pub timings: bool,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub period: PeriodArgs,
    /// The report folder. Default: <[report] output_dir>/<period>, e.g. reports/2026-Q3.
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Language of the report (default: [report] language).
    #[arg(long, value_parser = ["en", "fr"])]
    pub lang: Option<String>,
    /// A folder of templates overriding the built-ins one file at a time
    /// (default: [report] templates). See `csreport templates eject`.
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// Print nothing but errors.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Print each stage as it starts (plan, load, compute, …, render, deliver), for
    /// cron logs.
    #[arg(long, short = 'v', conflicts_with = "quiet")]
    pub verbose: bool,
    /// Replace an existing report folder of the same period (kept otherwise).
    #[arg(long)]
    pub force: bool,
    /// Also build report.eml (HTML with the charts as inline PNG, the Markdown as plain
    /// text, the metrics CSV and report.xlsx attached) for [email] recipients.
    #[arg(long)]
    pub email: bool,
    /// Build report.eml and deliver it by [email] transport (SMTP or sendmail); a failed
    /// delivery exits with code 3 and leaves the report in place.
    #[arg(long)]
    pub send: bool,
    /// Exit with code 1 (after writing the report) when a metric is past its alert bound,
    /// or with `warning`, past its warning bound too. For cron.
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub fail_on: Option<FailOn>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FailOn {
    Alert,
    Warning,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum MetricsFormat {
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct MetricsArgs {
    #[command(flatten)]
    pub period: PeriodArgs,
    #[arg(long, value_enum, default_value = "table")]
    pub format: MetricsFormat,
}

#[derive(Debug, Args)]
pub struct SampleArgs {
    /// Folder to write tickets.csv, calls.csv, surveys.csv and agent_time.csv into.
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: PathBuf,
    /// The same seed gives byte-identical files.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// First day (YYYY-MM-DD).
    #[arg(long, default_value = "2024-10-01")]
    pub from: String,
    /// Last day, included (YYYY-MM-DD).
    #[arg(long, default_value = "2026-09-30")]
    pub to: String,
    /// Volume multiplier: 1 gives about 45 tickets and 60 calls a weekday.
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,
    /// Further multiplies the calls, to shape a benchmark (2M calls beside 1M tickets).
    #[arg(long, default_value_t = 1.0)]
    pub calls_factor: f64,
    /// Keeps this share of the survey responses (0–1], to shape a benchmark.
    #[arg(long, default_value_t = 1.0)]
    pub surveys_factor: f64,
    /// Timezone of the simulated service's opening hours.
    #[arg(long, default_value = "Europe/Paris")]
    pub timezone: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
