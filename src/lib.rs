//! csreport: help-desk and contact-center exports in, periodic customer-service
//! reports out. `run` is the pipeline; each stage is a module of the same name.

pub mod actions;
pub mod calendar;
pub mod charts;
pub mod cli;
pub mod compare;
pub mod config;
pub mod deliver;
pub mod drivers;
pub mod email;
pub mod generate;
pub mod labels;
pub mod load;
pub mod manifest;
pub mod metrics;
pub mod period;
pub mod plan;
mod progress;
pub mod redact;
pub mod render;
pub mod stats;
#[cfg(test)]
mod test_rng;
mod views;

use anyhow::{Context, Result};
use cli::{Cli, Command, MetricsFormat};
use metrics::MetricSet;
use render::format::{Fmt, Lang};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Documented exit codes (docs/cli.md).
pub mod exit {
    pub const OK: u8 = 0;
    /// The report was written, and it holds a threshold crossed at the --fail-on level.
    pub const ALERTS: u8 = 1;
    pub const BAD_INPUT: u8 = 2;
    /// The report was written but the e-mail could not be delivered.
    pub const DELIVERY_FAILED: u8 = 3;
    /// `csreport verify` found a difference.
    pub const VERIFY_FAILED: u8 = 4;
}

/// The command line as the manifest records it: without the flags that do not change
/// the report (the output folder, --force, --quiet, --verbose, --timings, --send, --fail-on).
fn recorded_command() -> Vec<String> {
    let mut out = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--out" | "-o" | "--fail-on" => {
                args.next();
            }
            "--force" | "--quiet" | "-q" | "--verbose" | "-v" | "--timings" | "--send" => {}
            _ if a.starts_with("--out=") || a.starts_with("--fail-on=") => {}
            _ => out.push(a),
        }
    }
    out
}

/// Runs a command; the exit code on success (0, or 1 for alerts with --fail-on).
pub fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Report(args) => report(args, recorded_command()),
        Command::Verify(args) => verify(args),
        Command::Templates { action: cli::TemplatesAction::Eject { dir, force } } => {
            eject(&dir, force).map(|_| exit::OK)
        }
        Command::Metrics(args) => metrics_command(args).map(|_| exit::OK),
        Command::SampleData(args) => sample_data(args).map(|_| exit::OK),
        Command::Validate(args) => validate(args).map(|_| exit::OK),
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "csreport",
                &mut std::io::stdout(),
            );
            Ok(exit::OK)
        }
        Command::Man => {
            clap_mangen::Man::new(<Cli as clap::CommandFactory>::command())
                .render(&mut std::io::stdout())
                .context("writing the man page")?;
            Ok(exit::OK)
        }
    }
}

/// The metric sets of every period the report needs, each computed once.
struct Sets {
    by_period: BTreeMap<String, MetricSet>,
}

impl Sets {
    fn compute(data: &load::Loaded, p: &plan::ReportPlan) -> Result<Sets> {
        let as_of = p.as_of.timestamp_millis();
        // The compared periods keep their duration samples (for the Mann–Whitney test)
        // and every breakdown; the trend's other periods need their scalar metrics and
        // the channel mix.
        let compared = [&p.period, &p.previous, &p.year_ago];
        let mut todo: Vec<&period::Period> = Vec::new();
        for period in compared.into_iter().chain(p.trend.iter()) {
            if !todo.contains(&period) {
                todo.push(period);
            }
        }
        // Two periods at a time: each period's queries are small, and a second one
        // keeps the cores busy while the first waits on its own. Each thread takes the
        // next period when it is free (the compared periods, listed first, take several
        // times longer than the trend's others).
        let next = std::sync::atomic::AtomicUsize::new(0);
        let results: Vec<(String, Result<MetricSet>)> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..2)
                .map(|_| {
                    let (next, todo) = (&next, &todo);
                    scope.spawn(move || {
                        let mut done = Vec::new();
                        while let Some(&period) = todo.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed)) {
                            let keep = compared.contains(&period);
                            let set = metrics::compute_with(data, &p.config, period, as_of, keep, keep)
                                .with_context(|| format!("computing {period}"));
                            done.push((period.to_string(), set));
                        }
                        done
                    })
                })
                .collect();
            handles.into_iter().flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
        });
        // Errors in the order the periods are listed, whichever thread met them.
        let mut by_period = BTreeMap::new();
        let mut results = results;
        results.sort_by_key(|(name, _)| todo.iter().position(|p| p.to_string() == *name));
        for (name, set) in results {
            by_period.insert(name, set?);
        }
        Ok(Sets { by_period })
    }

    fn get(&self, p: &period::Period) -> &MetricSet {
        &self.by_period[&p.to_string()]
    }
}

fn report(args: cli::ReportArgs, command: Vec<String>) -> Result<u8> {
    let progress = progress::Progress::new(8, args.quiet, args.period.timings, args.verbose);
    progress.stage("plan");
    let plan = plan::resolve(&args.period)?;
    let lang = Lang::parse(args.lang.as_deref().unwrap_or(&plan.config.report.language))?;
    let out_dir = args.out.clone().unwrap_or_else(|| plan.config.report.output_dir.join(plan.period.to_string()));
    progress.stage("load");
    // Fail before minutes of work when the report folder exists and may not be replaced,
    // or the templates do not load.
    deliver::check_target(&out_dir, args.force)?;
    let template_dir =
        args.templates.clone().or_else(|| plan.config.report.templates.as_ref().map(|t| plan.base_dir.join(t)));
    let template_set = render::TemplateSet::load(template_dir.as_deref())?;
    let strings = template_set.strings(lang)?;
    // The input files are hashed for the manifest (hundreds of MB for a large export) in
    // the background from the start, when a core would otherwise be idle (the load's and
    // the derived columns' single-threaded stretches, the rendering), instead of taking
    // a share of the cores from the metrics.
    let files = input_files(&plan);
    let hashing = manifest::BackgroundHashes::start(files.iter().map(|(_, _, p)| p.clone()).collect());
    let data = load_stage(&plan)?;
    progress.stage("compute");
    let sets = Sets::compute(&data, &plan)?;
    // The drivers need the loaded data only: found side by side with the comparisons
    // (each is single-threaded), in the one "compare" stage.
    progress.stage("compare");
    let ((comparisons, breakdowns), drivers) = std::thread::scope(|scope| {
        let drivers = scope.spawn(|| drivers_stage(&data, &plan, &sets));
        let compared = compare_stage(&plan, &sets, &data);
        (compared, drivers.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
    });
    let drivers = drivers?;
    let fmt = Fmt::new(lang);
    progress.stage("actions");
    let summary = actions::summary(&comparisons, &drivers, &fmt);
    let as_of_local = plan.as_of.with_timezone(&plan.tz);
    let alerts = compare::alerts(&comparisons, &plan.config);
    let actions = actions::plan(
        &actions::PlanInput {
            comparisons: &comparisons,
            alerts: &alerts,
            drivers: &drivers,
            current: sets.get(&plan.period),
            period: &plan.period,
            as_of: as_of_local.date_naive(),
        },
        &plan.config,
        &fmt,
    );
    progress.stage("charts");
    let staging = deliver::Staging::begin(&out_dir)?;
    let workload = sets.get(&plan.period).breakdowns.iter().find(|b| b.id == "workload" && b.needs.is_empty());
    let daily_of = |p: &period::Period| sets.get(p).daily.clone().expect("a compared period's daily counts");
    let daily = (daily_of(&plan.period), daily_of(&plan.previous));
    let chart_data = ChartInputs { comparisons: &comparisons, drivers: &drivers, workload, sets: &sets, daily };
    let (charts, sparklines) = charts_stage(&staging.charts_dir(), &plan, &chart_data, &fmt)?;
    let hashes = hashing.finish();
    let hashed: Vec<_> = files.iter().zip(hashes).map(|((name, spec, path), h)| (*name, *spec, path, h)).collect();
    let manifest = manifest_stage(&plan, &data, lang, args.email || args.send, command, &template_set, hashed)?;
    let report = render::Report {
        title: plan.config.report.title.clone(),
        lang,
        period: plan.period.clone(),
        previous: plan.previous.clone(),
        year_ago: plan.year_ago.clone(),
        trend: plan.trend.clone(),
        partial: plan.partial,
        as_of: as_of_local.format("%Y-%m-%d %H:%M %Z").to_string(),
        timezone: plan.config.report.timezone.clone(),
        sources: data.sources().map(|s| s.meta.clone()).collect(),
        comparisons,
        breakdowns,
        drivers,
        summary,
        alerts,
        actions,
        charts,
        sparklines,
        version: VERSION.to_string(),
        digest: manifest.digest.clone(),
    };
    progress.stage("render");
    let mut view = render::view(&report, &strings);
    let (html, md) = render::render_with(&view, &template_set)?;
    let tables = render::tables::tables(&report);
    render::tables::write_csv(&tables, &staging.path().join("tables"))?;
    let xlsx = render::tables::xlsx_bytes(&tables, &as_of_local.naive_local())?;
    staging.write("report.xlsx", &xlsx)?;
    staging.write("metrics.json", metrics_json(&report)?)?;
    let message = if args.email || args.send {
        view.email = true;
        let (email_html, _) = render::render_with(&view, &template_set)?;
        let images = report
            .charts
            .iter()
            .chain(&report.sparklines)
            .map(|c| Ok((c.id.clone(), std::fs::read(staging.path().join(&c.png))?)))
            .collect::<Result<Vec<_>>>()?;
        let e = &plan.config.email;
        let parts = email::Parts {
            subject: email::subject(&e.subject, &report.title, &view.period, &view.period_range, &report.as_of),
            html: email_html,
            text: md.clone(),
            images,
            attachments: vec![
                ("metrics.csv".into(), "text/csv", std::fs::read(staging.path().join("tables/metrics.csv"))?),
                ("report.xlsx".into(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx),
            ],
            seed: &format!("{}|{}|{}", report.title, plan.period, plan.as_of.to_rfc3339()),
            date: std::time::SystemTime::UNIX_EPOCH
                + std::time::Duration::from_secs(plan.as_of.timestamp().max(0) as u64),
        };
        let m = email::build(e, &parts)?;
        staging.write("report.eml", m.formatted())?;
        Some(m)
    } else {
        None
    };
    staging.write("report.html", html)?;
    staging.write("report.md", md)?;
    staging.write("manifest.json", manifest.to_json()?)?;
    progress.stage("deliver");
    let done = staging.commit(args.force)?;
    progress.finish();
    if !args.quiet {
        eprintln!("csreport: wrote {}", done.join("report.html").display());
        eprintln!("csreport: wrote {}", done.join("report.md").display());
    }
    if let (true, Some(m)) = (args.send, &message) {
        if let Err(e) = email::send(&plan.config.email, &plan.base_dir, m) {
            eprintln!("csreport: error: {e:#} (the report is in {})", done.display());
            return Ok(exit::DELIVERY_FAILED);
        }
        if !args.quiet {
            eprintln!("csreport: sent to {}", plan.config.email.to.join(", "));
        }
    }
    let failing: Vec<&compare::Alert> = match args.fail_on {
        Some(cli::FailOn::Alert) => report.alerts.iter().filter(|a| a.level == compare::Level::Alert).collect(),
        Some(cli::FailOn::Warning) => report.alerts.iter().collect(),
        None => vec![],
    };
    if failing.is_empty() {
        return Ok(exit::OK);
    }
    for a in &failing {
        eprintln!("csreport: {:?}: {} = {:.2} is {} its bound {}", a.level, a.id, a.value, a.worse, a.bound);
    }
    Ok(exit::ALERTS)
}

/// `csreport templates eject DIR`.
fn eject(dir: &Path, force: bool) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("failed to create `{}`", dir.display()))?;
    for (name, text) in render::BUILT_IN_TEMPLATES {
        let path = dir.join(name);
        if path.exists() && !force {
            anyhow::bail!("`{}` exists: pass --force to overwrite it", path.display());
        }
        std::fs::write(&path, text).with_context(|| format!("failed to write `{}`", path.display()))?;
        eprintln!("csreport: wrote {}", path.display());
    }
    Ok(())
}

/// Every input file, with its input's name and spec, in the config's order.
fn input_files(plan: &plan::ReportPlan) -> Vec<(&'static str, &config::InputSpec, PathBuf)> {
    plan.config
        .inputs
        .iter()
        .flat_map(|(name, spec)| load::resolve_paths(spec, &plan.base_dir).into_iter().map(move |p| (name, spec, p)))
        .collect()
}

/// An input file with its size and SHA-256 (or why it could not be read).
type HashedFile<'a> = (&'static str, &'a config::InputSpec, &'a PathBuf, Result<(u64, String)>);

/// What the report is made from, sealed with its digest.
fn manifest_stage(
    plan: &plan::ReportPlan,
    data: &load::Loaded,
    lang: Lang,
    email: bool,
    command: Vec<String>,
    templates: &render::TemplateSet,
    files: Vec<HashedFile>,
) -> Result<manifest::Manifest> {
    let mut inputs = Vec::new();
    for (name, spec, path, hash) in files {
        let meta = data.sources().find(|s| s.meta.name == name).map(|s| &s.meta);
        let (size, sha256) = hash?;
        inputs.push(manifest::Input {
            name: name.to_string(),
            path: path.display().to_string(),
            size,
            sha256,
            profile: spec.profile.clone(),
            rows_read: meta.map_or(0, |m| m.rows_read),
            rows_kept: meta.map_or(0, |m| m.rows_kept),
            coverage: meta.and_then(|m| m.coverage.clone()),
        });
    }
    manifest::Manifest {
        schema_version: manifest::SCHEMA_VERSION,
        tool: manifest::Tool {
            name: "csreport".into(),
            version: VERSION.into(),
            git_commit: env!("CSREPORT_GIT_COMMIT").into(),
        },
        definitions_version: DEFINITIONS_VERSION,
        period: plan.period.to_string(),
        as_of: plan.as_of.to_rfc3339(),
        timezone: plan.config.report.timezone.clone(),
        lang: lang.code().into(),
        email,
        command,
        config: manifest::Hashed {
            source: plan.config_path.display().to_string(),
            sha256: manifest::config_hash(&plan.config)?,
        },
        templates: manifest::Hashed { source: templates.source.clone(), sha256: templates.sha256() },
        inputs,
        variants: manifest::variants(&plan.config),
        digest: String::new(),
    }
    .seal()
}

/// `csreport verify`: the inputs, config and templates against the manifest, then a
/// re-run of the period compared file by file with the report folder.
fn verify(args: cli::VerifyArgs) -> Result<u8> {
    // The report folder itself names its manifest.
    let manifest_path =
        if args.manifest.is_dir() { args.manifest.join("manifest.json") } else { args.manifest.clone() };
    let m = manifest::Manifest::read(&manifest_path)?;
    let folder = manifest_path.parent().map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."));
    let config_path = args.config.clone().unwrap_or_else(|| PathBuf::from(&m.config.source));
    let mut problems: Vec<String> = Vec::new();
    if m.tool.version != VERSION {
        problems.push(format!("tool: the report was made by csreport {}, this is {VERSION}", m.tool.version));
    }
    if m.definitions_version != DEFINITIONS_VERSION {
        problems.push(format!("metric definitions: version {} then, {DEFINITIONS_VERSION} now", m.definitions_version));
    }
    let cfg = config::Config::from_file(&config_path)?;
    if manifest::config_hash(&cfg)? != m.config.sha256 {
        problems.push(format!("config `{}` changed since the report was made", config_path.display()));
    }
    // The templates the re-run will use: the recorded override folder, if any.
    let template_dir = m.templates.source.split(" (").next().filter(|s| *s != "built-in").map(PathBuf::from);
    let templates = render::TemplateSet::load(template_dir.as_deref())?;
    if templates.sha256() != m.templates.sha256 {
        problems.push(format!("templates: the templates in use ({}) differ from the report's", templates.source));
    }
    for i in &m.inputs {
        match manifest::sha256_file(Path::new(&i.path)) {
            Ok((size, sha)) if sha == i.sha256 => {
                let _ = size;
            }
            Ok((size, sha)) => problems.push(format!(
                "input {} `{}` changed: {} bytes, sha256 {} (the report used {} bytes, sha256 {})",
                i.name,
                i.path,
                size,
                &sha[..12],
                i.size,
                &i.sha256[..12]
            )),
            Err(e) => problems.push(format!("input {} `{}`: {e:#}", i.name, i.path)),
        }
    }
    let tmp = tempfile::tempdir().context("creating a temporary folder")?;
    let out = tmp.path().join("rerun");
    let rerun = cli::ReportArgs {
        period: cli::PeriodArgs {
            config: config_path.clone(),
            period: Some(m.period.clone()),
            last: None,
            as_of: Some(m.as_of.clone()),
            timings: false,
        },
        out: Some(out.clone()),
        lang: Some(m.lang.clone()),
        templates: template_dir.clone(),
        quiet: true,
        verbose: false,
        force: true,
        email: m.email,
        send: false,
        fail_on: None,
    };
    match report(rerun, m.command.clone()) {
        Ok(_) => problems.extend(compare_folders(&folder, &out)?),
        Err(e) => problems.push(format!("the re-run failed: {e:#}")),
    }
    if problems.is_empty() {
        eprintln!("csreport: verified: {} is the same report (manifest {})", folder.display(), &m.digest[..16]);
        return Ok(exit::OK);
    }
    for p in &problems {
        eprintln!("csreport: verify: {p}");
    }
    Ok(exit::VERIFY_FAILED)
}

fn files_under(dir: &Path) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).with_context(|| format!("failed to list `{}`", d.display()))? {
            let p = e?.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(rel) = p.strip_prefix(dir) {
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Every file of the two folders: missing, extra, or where the first difference is.
fn compare_folders(original: &Path, rerun: &Path) -> Result<Vec<String>> {
    let (a, b) = (files_under(original)?, files_under(rerun)?);
    let mut out = Vec::new();
    for f in a.iter().filter(|f| !b.contains(f)) {
        out.push(format!("{f}: in the report folder but not produced by the re-run"));
    }
    for f in b.iter().filter(|f| !a.contains(f)) {
        out.push(format!("{f}: produced by the re-run but missing from the report folder"));
    }
    for f in a.iter().filter(|f| b.contains(f)) {
        let (x, y) = (std::fs::read(original.join(f))?, std::fs::read(rerun.join(f))?);
        if x == y {
            continue;
        }
        match (std::str::from_utf8(&x), std::str::from_utf8(&y)) {
            (Ok(tx), Ok(ty)) => {
                let cut = |s: &str| s.chars().take(80).collect::<String>();
                match tx.lines().zip(ty.lines()).enumerate().find(|(_, (lx, ly))| lx != ly) {
                    Some((i, (lx, ly))) => out.push(format!(
                        "{f} differs from line {}: report has «{}», re-run has «{}»",
                        i + 1,
                        cut(lx),
                        cut(ly)
                    )),
                    None => out.push(format!(
                        "{f} differs in length: the report's has {} lines, the re-run's {}",
                        tx.lines().count(),
                        ty.lines().count()
                    )),
                }
            }
            _ => {
                let at = x.iter().zip(&y).position(|(p, q)| p != q).unwrap_or(x.len().min(y.len()));
                out.push(format!("{f} differs from byte {at} ({} vs {} bytes)", x.len(), y.len()));
            }
        }
    }
    Ok(out)
}

/// Load every input and add the derived columns the metrics use.
fn load_stage(plan: &plan::ReportPlan) -> Result<load::Loaded> {
    let t = std::time::Instant::now();
    let mut data = load::load_all(&plan.config, &plan.base_dir)?;
    period_has_data(plan, &data)?;
    let read = t.elapsed();
    let read_peak = if plan.timings { progress::peak_rss_mb() } else { None };
    metrics::prepare::drop_unread(&mut data, false);
    metrics::prepare::prepare(&mut data, &plan.config)?;
    metrics::prepare::drop_unread(&mut data, true);
    if plan.timings {
        eprintln!(
            "csreport: timing load: read and type {:.3} s{}, derived columns {:.3} s",
            read.as_secs_f64(),
            read_peak.map(|mb| format!(" (peak RSS {mb} MB)")).unwrap_or_default(),
            (t.elapsed() - read).as_secs_f64()
        );
    }
    Ok(data)
}

/// A period none of whose inputs has a row in it is a mistake (a wrong --period, an
/// export of another range, an empty file), not a report of zeros and n/a.
fn period_has_data(plan: &plan::ReportPlan, data: &load::Loaded) -> Result<()> {
    let (start, last) = (plan.period.start.to_string(), plan.period.last_day().to_string());
    let mut seen = Vec::new();
    for s in data.sources() {
        match &s.meta.coverage {
            Some((a, b)) if a.as_str() <= last.as_str() && b.as_str() >= start.as_str() => return Ok(()),
            Some((a, b)) => seen.push(format!("{} `{}` covers {a} – {b}", s.meta.name, s.meta.path)),
            // Rows read and every one rejected (a date format not read, most often):
            // say why, rather than that the file is empty.
            None if s.meta.rows_read > 0 => {
                let why = s.meta.issues.iter().find(|i| i.rows_dropped).map_or(String::new(), |i| {
                    format!(" (first: {} {}, at row {}: \"{}\")", i.column, i.problem, i.first_row, i.first_value)
                });
                seen.push(format!(
                    "{} `{}`: all {} rows rejected{why}; `csreport validate` lists why",
                    s.meta.name, s.meta.path, s.meta.rows_read
                ))
            }
            None => seen.push(format!("{} `{}` has no rows", s.meta.name, s.meta.path)),
        }
    }
    anyhow::bail!(
        "no input has data in {} ({start} – {last}): {}. Choose a period inside the data, or check the export",
        plan.period,
        seen.join("; ")
    )
}

fn compare_stage(
    plan: &plan::ReportPlan,
    sets: &Sets,
    data: &load::Loaded,
) -> (Vec<compare::Comparison>, Vec<compare::BreakdownComparison>) {
    // A period wholly outside a source's data says nothing about it: its values are
    // unknown, not zero, so a comparison with it is n/a rather than "+5,000".
    let blank = |p: &period::Period| -> MetricSet {
        let mut set = sets.get(p).clone();
        for m in set.metrics.iter_mut() {
            let source = metrics::catalog::get(&m.id).needs.first().and_then(|n| n.split('.').next()).unwrap_or("");
            let covered = data.sources().find(|s| s.meta.name == source).and_then(|s| s.meta.coverage.clone());
            if let Some((first, last)) = covered {
                let (first, last) = (first.parse::<chrono::NaiveDate>(), last.parse::<chrono::NaiveDate>());
                if let (Ok(first), Ok(last)) = (first, last) {
                    if p.end <= first || p.start > last {
                        m.value = None;
                        m.sample = None;
                        m.ci95 = None;
                    }
                }
            }
        }
        set
    };
    let trend: Vec<MetricSet> = plan.trend.iter().map(blank).collect();
    let (previous, year_ago) = (blank(&plan.previous), blank(&plan.year_ago));
    let periods = compare::Periods {
        current: sets.get(&plan.period),
        previous: &previous,
        year_ago: &year_ago,
        trend: &trend,
        days: (plan.period.days() as f64, plan.previous.days() as f64, plan.year_ago.days() as f64),
    };
    (compare::compare(&periods, &plan.config), compare::breakdowns(&periods))
}

fn drivers_stage(data: &load::Loaded, plan: &plan::ReportPlan, sets: &Sets) -> Result<drivers::Drivers> {
    let window = |p: &period::Period| {
        let (start, end) = p.bounds_ms(plan.tz);
        metrics::Window { start, end }
    };
    // The contacts heat map is the current period's weekday × hour counts.
    let counted =
        sets.get(&plan.period).breakdowns.iter().find(|b| b.id == "contacts_by_weekday_hour" && b.needs.is_empty());
    let (cur, prev) = (window(&plan.period), window(&plan.previous));
    drivers::compute_with_counts(data, &plan.config, &plan.period, cur, prev, counted)
}

/// (tickets, calls) per day of a period.
type Daily = Vec<(f64, f64)>;

/// What the charts are drawn from (plain values: no DataFrame past this point).
struct ChartInputs<'a> {
    comparisons: &'a [compare::Comparison],
    drivers: &'a drivers::Drivers,
    workload: Option<&'a metrics::Breakdown>,
    sets: &'a Sets,
    /// (tickets, calls) per day of the period and of the previous period.
    daily: (Daily, Daily),
}

fn charts_stage(
    dir: &std::path::Path,
    plan: &plan::ReportPlan,
    inputs: &ChartInputs,
    fmt: &Fmt,
) -> Result<(Vec<charts::Chart>, Vec<charts::Chart>)> {
    let (comparisons, drivers, workload) = (inputs.comparisons, inputs.drivers, inputs.workload);
    use charts::{theme, BarData, LineData, Series};
    let fr = fmt.lang == Lang::Fr;
    let labels: Vec<String> = plan.trend.iter().map(|p| p.to_string()).collect();
    // The trend as compared: periods without data for a source are gaps, not zeros.
    let series = |id: &str, color| Series {
        name: fmt.label(id),
        values: comparisons.iter().find(|c| c.id == id).map(|c| c.trend.clone()).unwrap_or_default(),
        color,
    };
    let mut out = Vec::new();
    let top = &drivers.top;
    out.push(charts::bar_chart(
        dir,
        &BarData {
            id: "drivers".into(),
            title: if fr { "Principaux motifs de contact" } else { "Top request drivers" }.into(),
            alt: top
                .iter()
                .map(|d| format!("{}: {} ({})", d.name, d.count, d.prev_count))
                .collect::<Vec<_>>()
                .join("; "),
            categories: top.iter().map(|d| d.name.clone()).collect(),
            current: (plan.period.to_string(), top.iter().map(|d| d.count as f64).collect()),
            previous: (plan.previous.to_string(), top.iter().map(|d| d.prev_count as f64).collect()),
        },
    )?);
    let volume = [series("tickets_created", theme::BLUE), series("calls_offered", theme::ORANGE)];
    let alt_of = |ss: &[Series]| {
        ss.iter()
            .map(|s| {
                let v: Vec<String> =
                    s.values.iter().map(|v| v.map(|x| format!("{x:.1}")).unwrap_or("n/a".into())).collect();
                format!("{}: {}", s.name, v.join(", "))
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    out.push(charts::line_chart(
        dir,
        &LineData {
            id: "volume_trend".into(),
            title: if fr { "Volume par période" } else { "Contact volume by period" }.into(),
            alt: alt_of(&volume),
            x_labels: labels.clone(),
            series: volume.into(),
            y_suffix: String::new(),
            reference: None,
            y_from_zero: true,
            markers: true,
        },
    )?);
    out.push(daily_chart(dir, plan, &inputs.daily, fr)?);
    if let Some(c) = channel_mix_chart(dir, plan, inputs.sets, fmt)? {
        out.push(c);
    }
    let sl = [series("service_level", theme::GREEN), series("abandonment_rate", theme::VERMILLION)];
    let target = plan
        .config
        .targets
        .get("service_level")
        .and_then(|t| t.target)
        .map(|t| (t, format!("{} {}", if fr { "Objectif" } else { "Target" }, fmt.percent(t))));
    out.push(charts::line_chart(
        dir,
        &LineData {
            id: "service_level_trend".into(),
            title: if fr { "Niveau de service et abandon" } else { "Service level and abandonment" }.into(),
            alt: alt_of(&sl),
            x_labels: labels.clone(),
            series: sl.into(),
            y_suffix: "%".into(),
            reference: target,
            y_from_zero: true,
            markers: true,
        },
    )?);
    if let Some(h) = &drivers.contacts_heatmap {
        out.push(charts::heat_chart(
            dir,
            &charts::HeatData {
                id: "weekday_hour".into(),
                title: if fr {
                    "Contacts par jour et heure (moyenne par jour)"
                } else {
                    "Contacts by weekday and hour (a day)"
                }
                .into(),
                alt: h
                    .rows
                    .iter()
                    .zip(&h.values)
                    .map(|(r, v)| {
                        let peak = v
                            .iter()
                            .enumerate()
                            .filter_map(|(i, x)| x.map(|x| (i, x)))
                            .fold((0, 0.0), |a, b| if b.1 > a.1 { b } else { a });
                        format!("{r}: peak {:02}h {:.1}", peak.0, peak.1)
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
                rows: h.rows.clone(),
                columns: h.columns.clone(),
                values: h.values.clone(),
                row_label_width: 50,
                annotate: None,
            },
        )?);
    }
    if let Some(h) = drivers.csat_heatmap.as_ref().filter(|h| h.values.iter().flatten().any(Option::is_some)) {
        out.push(charts::heat_chart(
            dir,
            &charts::HeatData {
                id: "csat_by_driver".into(),
                title: if fr { "CSAT (%) par motif et canal" } else { "CSAT (%) by driver and channel" }.into(),
                alt: h
                    .rows
                    .iter()
                    .zip(h.values.iter().zip(&h.n))
                    .map(|(r, (v, n))| {
                        let cells: Vec<String> = h
                            .columns
                            .iter()
                            .zip(v.iter().zip(n))
                            .map(|(c, (x, n))| match x {
                                Some(x) if *n >= 5 => format!("{c} {x:.0}% (n={n})"),
                                _ => format!("{c} n={n}"),
                            })
                            .collect();
                        format!("{r}: {}", cells.join(", "))
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
                rows: h.rows.iter().map(|r| r.chars().take(26).collect()).collect(),
                columns: h.columns.clone(),
                // Fewer than 5 responses say little: the cell stays grey.
                values: h
                    .values
                    .iter()
                    .zip(&h.n)
                    .map(|(v, n)| v.iter().zip(n).map(|(v, n)| v.filter(|_| *n >= 5)).collect())
                    .collect(),
                row_label_width: 170,
                annotate: Some("%".into()),
            },
        )?);
    }
    if let Some(sample) =
        comparisons.iter().find(|c| c.id == "first_response_time").and_then(|c| c.current.sample.clone())
    {
        // Buckets of first-response time, in hours.
        let edges = [0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 24.0, 48.0];
        let names = ["<15m", "15-30m", "30m-1h", "1-2h", "2-4h", "4-8h", "8-24h", "1-2d", ">2d"];
        let mut counts = [0.0f64; 9];
        for s in sample.values().iter() {
            let h = s / 3600.0;
            counts[edges.iter().position(|e| h < *e).unwrap_or(8)] += 1.0;
        }
        out.push(charts::column_chart(
            dir,
            &charts::ColumnData {
                id: "frt_distribution".into(),
                title: if fr { "Délai de première réponse (tickets)" } else { "First response time (tickets)" }.into(),
                alt: names.iter().zip(counts).map(|(n, c)| format!("{n}: {c}")).collect::<Vec<_>>().join("; "),
                categories: names.iter().map(|s| s.to_string()).collect(),
                values: counts.to_vec(),
                highlight: vec![],
                y_label: "tickets".into(),
            },
        )?);
    }
    if let Some(w) = workload.filter(|w| !w.rows.is_empty()) {
        let mut rows: Vec<&metrics::BreakdownRow> = w.rows.iter().collect();
        rows.sort_by(|a, b| {
            let v = |r: &metrics::BreakdownRow| r.get("tickets_solved").and_then(|m| m.value).unwrap_or(0.0);
            v(b).total_cmp(&v(a)).then_with(|| a.key.cmp(&b.key))
        });
        out.push(charts::column_chart(
            dir,
            &charts::ColumnData {
                id: "agent_workload".into(),
                title: if fr {
                    "Tickets résolus par agent (surchargés en orange)"
                } else {
                    "Tickets solved by agent (overloaded in orange)"
                }
                .into(),
                alt: rows
                    .iter()
                    .map(|r| {
                        format!(
                            "{}: {}{}",
                            r.key,
                            r.get("tickets_solved").and_then(|m| m.value).unwrap_or(0.0),
                            if r.flags.is_empty() { "" } else { " (overloaded)" }
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
                categories: rows.iter().map(|r| r.key.split_whitespace().next().unwrap_or("").to_string()).collect(),
                values: rows.iter().map(|r| r.get("tickets_solved").and_then(|m| m.value).unwrap_or(0.0)).collect(),
                highlight: rows.iter().enumerate().filter(|(_, r)| !r.flags.is_empty()).map(|(i, _)| i).collect(),
                y_label: "tickets".into(),
            },
        )?);
    }
    let cust = [series("csat", theme::BLUE), series("nps", theme::ORANGE)];
    out.push(charts::line_chart(
        dir,
        &LineData {
            id: "csat_nps_trend".into(),
            title: if fr { "CSAT (%) et NPS" } else { "CSAT (%) and NPS" }.into(),
            alt: alt_of(&cust),
            x_labels: labels,
            series: cust.into(),
            y_suffix: String::new(),
            reference: None,
            y_from_zero: false,
            markers: true,
        },
    )?);
    let mut sparks = Vec::new();
    for id in render::SCORECARD {
        let Some(c) = comparisons.iter().find(|c| c.id == id) else { continue };
        if c.trend.iter().flatten().count() < 2 {
            continue;
        }
        let shown: Vec<String> = c.trend.iter().map(|v| fmt.value(c.unit, *v)).collect();
        sparks.push(charts::sparkline(
            dir,
            &charts::SparkData {
                id: format!("spark_{id}"),
                alt: format!("{}: {}", fmt.label(id), shown.join(", ")),
                values: c.trend.clone(),
            },
        )?);
    }
    Ok((out, sparks))
}

/// Contacts per day of the period against the previous period's, day 1 on day 1.
fn daily_chart(
    dir: &std::path::Path,
    plan: &plan::ReportPlan,
    daily: &(Daily, Daily),
    fr: bool,
) -> Result<charts::Chart> {
    use charts::{theme, LineData, Series};
    let total = |d: &[(f64, f64)]| -> Vec<Option<f64>> { d.iter().map(|(t, c)| Some(t + c)).collect() };
    let n = daily.0.len().max(daily.1.len());
    let step = if n > 31 { 7 } else { 1 };
    let x_labels: Vec<String> =
        (0..n).map(|i| if i % step == 0 { format!("{}", i + 1) } else { String::new() }).collect();
    let series = vec![
        Series { name: plan.period.to_string(), values: total(&daily.0), color: theme::BLUE },
        Series { name: plan.previous.to_string(), values: total(&daily.1), color: theme::GREY },
    ];
    let sum = |d: &[(f64, f64)]| d.iter().map(|(t, c)| t + c).sum::<f64>();
    charts::line_chart(
        dir,
        &LineData {
            id: "volume_daily".into(),
            title: if fr {
                "Contacts par jour (tickets + appels), jour 1 = premier jour"
            } else {
                "Contacts a day (tickets + calls), day 1 = first day"
            }
            .into(),
            alt: format!(
                "{}: {} contacts over {} days; {}: {} over {} days",
                plan.period,
                sum(&daily.0),
                daily.0.len(),
                plan.previous,
                sum(&daily.1),
                daily.1.len()
            ),
            x_labels,
            series,
            y_suffix: String::new(),
            reference: None,
            y_from_zero: true,
            markers: false,
        },
    )
}

/// The channel mix of tickets created in each trend period, stacked to 100%.
fn channel_mix_chart(
    dir: &std::path::Path,
    plan: &plan::ReportPlan,
    sets: &Sets,
    fmt: &Fmt,
) -> Result<Option<charts::Chart>> {
    use charts::theme;
    let channels = ["email", "phone", "chat", "web", "social", "self_service", "other"];
    let colors = [
        theme::BLUE,
        theme::ORANGE,
        theme::GREEN,
        theme::VERMILLION,
        charts::theme::SKY,
        charts::theme::PURPLE,
        theme::GREY,
    ];
    let mut shares: Vec<Vec<f64>> = vec![Vec::new(); channels.len()];
    for p in &plan.trend {
        let b = sets.get(p).breakdown("channel_mix");
        let count = |ch: &str| b.row(ch).and_then(|r| r.values.first()).and_then(|v| v.value).unwrap_or(0.0);
        let total: f64 = channels.iter().map(|c| count(c)).sum();
        for (i, ch) in channels.iter().enumerate() {
            shares[i].push(if total > 0.0 { count(ch) / total * 100.0 } else { 0.0 });
        }
    }
    if shares.iter().flatten().all(|v| *v == 0.0) {
        return Ok(None);
    }
    let segments: Vec<(String, plotters::style::RGBColor, Vec<f64>)> = channels
        .iter()
        .zip(colors)
        .zip(shares)
        .filter(|(_, s)| s.iter().any(|v| *v > 0.0))
        .map(|((c, color), s)| (c.replace('_', " "), color, s))
        .collect();
    let labels: Vec<String> = plan.trend.iter().map(|p| p.to_string()).collect();
    let alt = segments
        .iter()
        .map(|(n, _, s)| format!("{n}: {}", s.iter().map(|v| fmt.percent(*v)).collect::<Vec<_>>().join(", ")))
        .collect::<Vec<_>>()
        .join("; ");
    let fr = fmt.lang == Lang::Fr;
    Ok(Some(charts::stack_chart(
        dir,
        &charts::StackData {
            id: "channel_mix".into(),
            title: if fr { "Répartition des tickets par canal" } else { "Tickets by channel (share)" }.into(),
            alt,
            x_labels: labels,
            segments,
        },
    )?))
}

/// The version of the metric definitions (bumped when a definition changes).
pub const DEFINITIONS_VERSION: u32 = 1;

/// metrics.json: every metric for the current, previous and year-ago periods
/// (schema in docs/metrics-json.md).
fn metrics_json(r: &render::Report) -> Result<String> {
    let metrics: Vec<serde_json::Value> = r
        .comparisons
        .iter()
        .map(|c| {
            let def = metrics::catalog::get(c.id);
            serde_json::json!({
                "id": c.id,
                "label": def.label_en,
                "family": def.family,
                "unit": c.unit,
                "better": c.better,
                "definition": def.definition,
                "variant": c.current.variant,
                "current": c.current,
                "previous": c.previous,
                "year_ago": c.year_ago,
                "vs_previous": c.vs_previous,
                "vs_year_ago": c.vs_year_ago,
                "trend": c.trend,
                "target": c.target,
                "target_met": c.target_met,
            })
        })
        .collect();
    let breakdowns: Vec<serde_json::Value> = r
        .breakdowns
        .iter()
        .map(|b| {
            let def = metrics::catalog::get(b.id);
            serde_json::json!({
                "id": b.id,
                "label": def.label_en,
                "family": def.family,
                "definition": def.definition,
                "dimension": b.dimension,
                "current": b.current,
                "previous": b.previous,
                "year_ago": b.year_ago,
            })
        })
        .collect();
    let span =
        |p: &period::Period| serde_json::json!({ "id": p.to_string(), "start": p.start, "end_exclusive": p.end });
    let doc = serde_json::json!({
        "schema_version": 1,
        "tool": format!("csreport {VERSION}"),
        "definitions_version": DEFINITIONS_VERSION,
        "period": { "id": r.period.to_string(), "start": r.period.start, "end_exclusive": r.period.end, "partial": r.partial },
        "previous": span(&r.previous),
        "year_ago": span(&r.year_ago),
        "trend_periods": r.trend.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
        "timezone": r.timezone,
        "as_of": r.as_of,
        "metrics": metrics,
        "breakdowns": breakdowns,
        "alerts": r.alerts,
        "actions": r.actions,
        "drivers": r.drivers,
    });
    Ok(serde_json::to_string_pretty(&doc)? + "\n")
}

fn metrics_command(args: cli::MetricsArgs) -> Result<()> {
    let progress = progress::Progress::new(5, true, args.period.timings, false);
    progress.stage("plan");
    let plan = plan::resolve(&args.period)?;
    progress.stage("load");
    let data = load_stage(&plan)?;
    progress.stage("compute");
    let sets = Sets::compute(&data, &plan)?;
    progress.stage("compare");
    let (comparisons, breakdowns) = compare_stage(&plan, &sets, &data);
    progress.stage("output");
    match args.format {
        MetricsFormat::Json => {
            let drivers = drivers_stage(&data, &plan, &sets)?;
            let alerts = compare::alerts(&comparisons, &plan.config);
            let report = render::Report {
                title: plan.config.report.title.clone(),
                lang: Lang::En,
                period: plan.period.clone(),
                previous: plan.previous.clone(),
                year_ago: plan.year_ago.clone(),
                trend: plan.trend.clone(),
                partial: plan.partial,
                as_of: plan.as_of.with_timezone(&plan.tz).format("%Y-%m-%d %H:%M %Z").to_string(),
                timezone: plan.config.report.timezone.clone(),
                sources: data.sources().map(|s| s.meta.clone()).collect(),
                comparisons,
                breakdowns,
                drivers,
                summary: vec![],
                alerts,
                actions: vec![],
                charts: vec![],
                sparklines: vec![],
                version: VERSION.to_string(),
                digest: String::new(),
            };
            print_out(&metrics_json(&report)?)?;
        }
        MetricsFormat::Table => print_out(&metrics_table(&plan, &comparisons))?,
    }
    progress.finish();
    Ok(())
}

/// The scalar metrics as an aligned text table, by family.
fn metrics_table(plan: &plan::ReportPlan, comparisons: &[compare::Comparison]) -> String {
    let fmt = Fmt::new(Lang::En);
    let mut out = format!(
        "{} ({}), compared with {}; as of {}\n",
        plan.period,
        fmt.range(plan.period.start, plan.period.last_day()),
        plan.previous,
        plan.as_of.with_timezone(&plan.tz).format("%Y-%m-%d %H:%M %Z"),
    );
    let mut family = None;
    for c in comparisons {
        let def = metrics::catalog::get(c.id);
        if family != Some(def.family) {
            family = Some(def.family);
            out.push_str(&format!(
                "\n{:<46} {:>12} {:>12} {:>11} {:>9}  id\n",
                format!("{:?}", def.family),
                "value",
                "previous",
                "change",
                "n"
            ));
        }
        let value = if c.current.is_available() {
            fmt.value(c.unit, c.current.value)
        } else {
            format!("needs {}", c.current.needs.join(", "))
        };
        out.push_str(&format!(
            "{:<46} {:>12} {:>12} {:>11} {:>9}  {}\n",
            fmt.label(c.id),
            value,
            fmt.value(c.unit, c.previous.value),
            fmt.delta(c.unit, &c.vs_previous),
            c.current.n,
            c.id
        ));
    }
    out.push_str("\nBreakdowns (per channel, priority, agent, team, hour …) are in --format json.\n");
    out
}

/// `csreport validate`: each input's rows read, kept and rejected by reason, coverage,
/// and how the canonical columns were mapped.
fn validate(args: cli::ValidateArgs) -> Result<()> {
    let config = config::Config::from_file(&args.config)?;
    let base_dir =
        args.config.parent().map(|p| if p.as_os_str().is_empty() { PathBuf::from(".") } else { p.to_path_buf() });
    let data = load::load_all(&config, &base_dir.unwrap_or_else(|| PathBuf::from(".")))?;
    let metas: Vec<&load::SourceMeta> = data.sources().map(|s| &s.meta).collect();
    match args.format {
        MetricsFormat::Json => print_out(&format!("{}\n", serde_json::to_string_pretty(&metas)?))?,
        MetricsFormat::Table => print_out(&validate_text(&metas))?,
    }
    Ok(())
}

/// Writes `text` to standard output. A reader that stops reading (`csreport metrics |
/// head`) is not an error: the rest is not wanted (`print!` panics there).
fn print_out(text: &str) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        done => Ok(done?),
    }
}

fn validate_text(metas: &[&load::SourceMeta]) -> String {
    let fmt = Fmt::new(Lang::En);
    let mut out = String::new();
    for m in metas {
        let (all, _) = load::schema::columns(&m.name);
        // A column the profile names but the file lacks says so (a misspelt mapping is
        // otherwise just one more unmapped column).
        let unmapped: Vec<String> = all
            .iter()
            .map(|c| c.name)
            .filter(|c| !load::maps(&m.mapped_columns, c))
            .map(|c| match m.unmatched.iter().find(|u| u.column == c) {
                Some(load::Unmatched { source, like: Some(like), .. }) => {
                    format!("{c} (no column `{source}`; the file has `{like}`)")
                }
                Some(u) => format!("{c} (no column `{}`)", u.source),
                None => c.to_string(),
            })
            .collect();
        out.push_str(&format!("{} — {} ({}, profile {})\n", m.name, m.path, m.format, m.profile));
        out.push_str(&format!(
            "  rows: {} read, {} kept, {} rejected{}\n",
            fmt.num(m.rows_read as f64, 0),
            fmt.num(m.rows_kept as f64, 0),
            fmt.num(m.rows_read.saturating_sub(m.rows_kept + m.rows_merged) as f64, 0),
            if m.rows_merged > 0 {
                format!(", {} merged by the event log", fmt.num(m.rows_merged as f64, 0))
            } else {
                String::new()
            }
        ));
        if let Some((a, b)) = &m.coverage {
            out.push_str(&format!("  coverage: {a} → {b}\n"));
        }
        out.push_str(&format!("  mapped: {}\n", m.mapped_columns.join("; ")));
        if !unmapped.is_empty() {
            out.push_str(&format!("  not mapped: {}\n", unmapped.join(", ")));
        }
        for n in &m.notes {
            out.push_str(&format!("  note: {n}\n"));
        }
        if m.issues.is_empty() {
            out.push_str("  no data-quality issue\n");
        }
        for i in &m.issues {
            out.push_str(&format!(
                "  {} {}: {} — {} {}; first at row {}: \"{}\"\n",
                if i.rows_dropped { "REJECTED" } else { "ignored " },
                i.column,
                i.problem,
                fmt.num(i.count as f64, 0),
                if i.rows_dropped { "rows dropped" } else { "values ignored" },
                i.first_row,
                i.first_value
            ));
        }
        out.push('\n');
    }
    out
}

fn sample_data(args: cli::SampleArgs) -> Result<()> {
    let date = |s: &str, flag: &str| {
        chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| anyhow::anyhow!("{flag} `{s}`: expected YYYY-MM-DD"))
    };
    let opts = generate::Options {
        out: PathBuf::from(&args.out),
        seed: args.seed,
        from: date(&args.from, "--from")?,
        to: date(&args.to, "--to")?,
        scale: args.scale,
        calls_factor: args.calls_factor,
        surveys_factor: args.surveys_factor,
        timezone: args
            .timezone
            .parse()
            .map_err(|_| anyhow::anyhow!("--timezone `{}` is not an IANA timezone", args.timezone))?,
    };
    let s = generate::generate(&opts)?;
    eprintln!(
        "csreport: wrote {} tickets, {} calls, {} survey responses and {} agent-days to {}",
        s.tickets,
        s.calls,
        s.surveys,
        s.agent_days,
        args.out.display()
    );
    Ok(())
}
