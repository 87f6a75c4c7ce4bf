//! End-to-end: the real binary on sample-data/, numbers checked against values
//! recomputed here straight from the CSV files by the definitions in METRICS.md.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;

fn root() -> PathBuf {
    PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("run by cargo test"))
}

fn csreport(args: &[&str]) -> Output {
    let out =
        Command::new(env!("CARGO_BIN_EXE_csreport")).args(args).current_dir(root()).output().expect("run csreport");
    out
}

fn ok(args: &[&str]) -> Output {
    let out = csreport(args);
    assert!(
        out.status.success(),
        "csreport {:?} failed ({}):\n{}",
        args,
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn report_q3(out: &Path) -> String {
    ok(&[
        "report",
        "--config",
        "sample-data/report.toml",
        "--period",
        "2026-Q3",
        "--as-of",
        "2026-11-23T06:00:00",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    std::fs::read_to_string(out.join("report.md")).unwrap()
}

/// 2026-Q3 in Europe/Paris, as UTC instants: [2026-06-30T22:00Z, 2026-09-30T22:00Z).
fn in_q3(ts: &str) -> bool {
    ts.len() == 20 && ("2026-06-30T22:00:00Z".."2026-09-30T22:00:00Z").contains(&ts)
}

fn rows(file: &str) -> Vec<csv::StringRecord> {
    let mut r = csv::Reader::from_path(root().join("sample-data").join(file)).unwrap();
    r.records().map(|r| r.unwrap()).collect()
}

fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The cells of the scorecard row whose first cell is `label`.
fn scorecard_row(md: &str, label: &str) -> Vec<String> {
    let line = md
        .lines()
        .find(|l| l.starts_with(&format!("| {label} |")))
        .unwrap_or_else(|| panic!("no scorecard row `{label}` in:\n{md}"));
    line.trim_matches('|').split('|').map(|c| c.trim().to_string()).collect()
}

/// `csreport metrics | head`: the reader stops before the output is written; csreport
/// stops quietly (print! would panic on the closed pipe).
#[test]
fn output_to_a_reader_that_has_gone_is_not_a_panic() {
    for args in [&["metrics", "--format", "json"][..], &["metrics"], &["validate"], &["validate", "--format", "json"]] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_csreport"))
            .args(args)
            .args(["--config", "sample-data/report.toml"])
            .args(if args[0] == "metrics" { &["--as-of", "2026-10-05T06:00:00"][..] } else { &[] })
            .current_dir(root())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run csreport");
        // The read end is closed before csreport has loaded the data.
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("csreport ends");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {}\n{stderr}", out.status);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[test]
fn sample_report_numbers_match_an_independent_count() {
    let tmp = tempfile::tempdir().unwrap();
    let md = report_q3(&tmp.path().join("q3"));

    // Tickets created in Q3 (column 1 = created_at).
    let tickets = rows("tickets.csv");
    let created = tickets.iter().filter(|r| in_q3(&r[1])).count();
    assert!(created > 3000, "sample data too thin: {created}");
    assert_eq!(scorecard_row(&md, "Tickets created")[1], thousands(created));

    // Calls offered: inbound, not IVR-resolved, not abandoned under 5 s.
    let calls = rows("calls.csv");
    let offered: Vec<_> = calls
        .iter()
        .filter(|r| in_q3(&r[1]) && &r[2] == "inbound" && &r[4] != "ivr_resolved")
        .filter(|r| !(&r[4] == "abandoned" && r[5].parse::<f64>().unwrap() < 5.0))
        .collect();
    assert_eq!(scorecard_row(&md, "Calls offered")[1], thousands(offered.len()));
    // Service level: answered (or transferred) within 20 s / offered.
    let within = offered
        .iter()
        .filter(|r| matches!(&r[4], "answered" | "transferred") && r[5].parse::<f64>().unwrap() <= 20.0)
        .count();
    let sl = within as f64 / offered.len() as f64 * 100.0;
    assert_eq!(scorecard_row(&md, "Service level")[1], format!("{sl:.1}%"));

    // CSAT: scores 4–5 among CSAT responses in Q3.
    let surveys = rows("surveys.csv");
    let csat: Vec<f64> =
        surveys.iter().filter(|r| in_q3(&r[1]) && &r[2] == "csat").map(|r| r[3].parse().unwrap()).collect();
    let pos = csat.iter().filter(|s| **s >= 4.0).count();
    let csat_pct = pos as f64 / csat.len() as f64 * 100.0;
    assert_eq!(scorecard_row(&md, "CSAT")[1], format!("{csat_pct:.1}%"));

    // The header, the drivers table, the summary and the action plan are there.
    assert!(md.contains("2026-Q3 (1 Jul 2026 – 30 Sep 2026)"), "{md}");
    assert!(md.contains("**Compared with:** 2026-Q2"));
    assert!(md.contains("## Executive summary"));
    assert!(md.contains("## Top request drivers"));
    assert!(md.contains("## Action plan"));
    // The incident of August makes "App crash" the driver that grew most.
    assert!(md.contains("“App crash” grew the most"), "{md}");
}

#[test]
fn charts_are_png_for_markdown_and_inline_svg_for_html() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("q3");
    let md = report_q3(&out);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    for id in [
        "drivers",
        "volume_trend",
        "service_level_trend",
        "weekday_hour",
        "frt_distribution",
        "agent_workload",
        "csat_nps_trend",
        "volume_daily",
        "channel_mix",
        "csat_by_driver",
    ] {
        let png = std::fs::read(out.join(format!("charts/{id}.png"))).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{id}.png is not a PNG");
        assert!(md.contains(&format!("](charts/{id}.png)")), "{id} not referenced in report.md");
    }
    // 10 charts, and a sparkline for each of the 16 scorecard KPIs (all have a trend
    // in sample-data).
    assert_eq!(html.matches("<figure").count(), 10);
    assert_eq!(html.matches("<svg").count(), 10 + 16);
    assert_eq!(md.matches("](charts/spark_").count(), 16);
    assert!(!html.contains("<script"), "the report runs no script");
    assert!(!html.contains("src=\"http") && !html.contains("href=\"http"), "no external request");
}

#[test]
fn same_inputs_and_as_of_give_byte_identical_reports() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    report_q3(&a);
    report_q3(&b);
    let mut files = vec!["report.html", "report.md", "metrics.json"].into_iter().map(String::from).collect::<Vec<_>>();
    for e in std::fs::read_dir(a.join("charts")).unwrap() {
        files.push(format!("charts/{}", e.unwrap().file_name().to_string_lossy()));
    }
    for f in files {
        assert_eq!(std::fs::read(a.join(&f)).unwrap(), std::fs::read(b.join(&f)).unwrap(), "{f} differs");
    }
}

#[test]
fn without_period_the_last_complete_quarter_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("default");
    ok(&["report", "-c", "sample-data/report.toml", "--as-of", "2026-10-01", "--out", out.to_str().unwrap(), "-q"]);
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("**Period:** 2026-Q3"), "{md}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("metrics.json")).unwrap()).unwrap();
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["period"]["id"], "2026-Q3");
    assert_eq!(json["year_ago"]["id"], "2025-Q3");
}

#[test]
fn bad_input_names_the_file_and_exits_2() {
    let out = csreport(&["report", "--config", "no/such/report.toml"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("failed to read config `no/such/report.toml`"), "{err}");

    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("t.csv"), "id,created\n1,2026-09-01\n").unwrap();
    std::fs::write(tmp.path().join("r.toml"), "[inputs.tickets]\npath = \"t.csv\"\n").unwrap();
    let cfg = tmp.path().join("r.toml");
    let out = csreport(&[
        "report",
        "-c",
        cfg.to_str().unwrap(),
        "--period",
        "2026-09",
        "--out",
        tmp.path().join("o").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("t.csv` (tickets, profile `canonical`): missing required columns `ticket_id`, `created_at`; the file has: id, created"),
        "{err}"
    );
    assert!(!tmp.path().join("o").exists(), "no report folder after a failure");
}

#[test]
fn sample_data_generator_is_deterministic() {
    let tmp = tempfile::tempdir().unwrap();
    for d in ["x", "y"] {
        let out = tmp.path().join(d);
        ok(&[
            "sample-data",
            "--out",
            out.to_str().unwrap(),
            "--seed",
            "7",
            "--from",
            "2026-08-01",
            "--to",
            "2026-08-31",
        ]);
    }
    for f in ["tickets.csv", "calls.csv", "surveys.csv", "agent_time.csv"] {
        let a = std::fs::read(tmp.path().join("x").join(f)).unwrap();
        assert!(a.len() > 1000, "{f} is nearly empty");
        assert_eq!(a, std::fs::read(tmp.path().join("y").join(f)).unwrap(), "{f} differs for one seed");
    }
}

#[test]
fn committed_sample_data_is_what_the_generator_writes() {
    // sample-data/ must be regenerable: `csreport sample-data --out sample-data` (defaults).
    let tmp = tempfile::tempdir().unwrap();
    ok(&["sample-data", "--out", tmp.path().to_str().unwrap()]);
    for f in ["tickets.csv", "calls.csv", "surveys.csv", "agent_time.csv"] {
        let fresh = std::fs::read(tmp.path().join(f)).unwrap();
        let committed = std::fs::read(root().join("sample-data").join(f)).unwrap();
        assert!(fresh == committed, "sample-data/{f} is not what the generator writes today: regenerate it");
    }
}

#[test]
fn metrics_json_has_every_metric_for_three_periods_and_matches_the_metrics_command() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("q3");
    report_q3(&out);
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("metrics.json")).unwrap()).unwrap();
    let scalars: Vec<&str> = csreport::metrics::catalog::CATALOG
        .iter()
        .filter(|m| m.kind == csreport::metrics::catalog::Kind::Scalar)
        .map(|m| m.id)
        .collect();
    let ids: Vec<&str> = file["metrics"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(ids, scalars);
    for m in file["metrics"].as_array().unwrap() {
        for p in ["current", "previous", "year_ago"] {
            assert_eq!(m[p]["id"], m["id"], "{p} of {}", m["id"]);
            assert!(m[p]["n"].is_u64(), "{p} of {} has no n", m["id"]);
            assert!(m[p]["needs"].is_null(), "{} is not available on sample-data: {}", m["id"], m[p]["needs"]);
        }
    }
    let sl = file["metrics"].as_array().unwrap().iter().find(|m| m["id"] == "service_level").unwrap();
    assert_eq!(sl["variant"], "abandons_negative");
    assert_eq!(sl["current"]["variants"].as_object().unwrap().len(), 3);
    let b: Vec<&str> = file["breakdowns"].as_array().unwrap().iter().map(|b| b["id"].as_str().unwrap()).collect();
    assert!(
        b.contains(&"by_agent") && b.contains(&"contacts_by_weekday_hour") && b.contains(&"sla_by_priority"),
        "{b:?}"
    );
    // The two overloaded agents of the generator are flagged.
    let workload = file["breakdowns"].as_array().unwrap().iter().find(|b| b["id"] == "workload").unwrap();
    let flagged: Vec<&str> = workload["current"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["flags"].as_array().is_some_and(|f| !f.is_empty()))
        .map(|r| r["key"].as_str().unwrap())
        .collect();
    assert_eq!(flagged, ["Bruno Silva", "Kenji Sato"]);

    let printed = ok(&[
        "metrics",
        "-c",
        "sample-data/report.toml",
        "--period",
        "2026-Q3",
        "--as-of",
        "2026-11-23T06:00:00",
        "--format",
        "json",
    ]);
    let cmd: serde_json::Value = serde_json::from_slice(&printed.stdout).unwrap();
    assert_eq!(cmd["metrics"], file["metrics"]);
    assert_eq!(cmd["breakdowns"], file["breakdowns"]);
}

#[test]
fn metrics_table_lists_every_family() {
    let out = ok(&["metrics", "-c", "sample-data/report.toml", "--period", "2026-Q3", "--as-of", "2026-11-23"]);
    let text = String::from_utf8(out.stdout).unwrap();
    for family in ["Volume", "Responsiveness", "Quality", "Calls", "Customer", "Agents", "Cost"] {
        assert!(text.lines().any(|l| l.starts_with(family)), "{family} missing:\n{text}");
    }
    assert!(text.contains("First contact resolution") && text.contains("fcr"), "{text}");
}

#[test]
fn fail_on_sets_the_exit_code_after_writing_the_report() {
    // Sample 2026-Q3: service level 64.3% (warning below 70, alert below 60) and
    // abandonment 11.8% (warning above 10, alert above 15): warnings, no alert.
    let tmp = tempfile::tempdir().unwrap();
    let run = |level: &str, dir: &str| {
        let out = tmp.path().join(dir);
        let o = csreport(&[
            "report",
            "-c",
            "sample-data/report.toml",
            "--period",
            "2026-Q3",
            "--as-of",
            "2026-11-23T06:00:00",
            "--out",
            out.to_str().unwrap(),
            "-q",
            "--fail-on",
            level,
        ]);
        (o, out)
    };
    let (o, out) = run("alert", "a");
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("- Service level was 64.3%, past its warning bound of 70.0%."), "{md}");
    let (o, out) = run("warning", "w");
    assert_eq!(o.status.code(), Some(1));
    assert!(out.join("report.html").is_file(), "the report is written before the exit code says so");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("service_level = 64.31 is below its bound 70"), "{err}");
    // The Erlang C staffing sits under the service-level action.
    assert!(md.contains("agents on the phones for 80.0% within 20 s (Erlang C)"), "{md}");
    // The config's own rule (reopen rate above 8%) does not fire at 4.9%.
    assert!(!md.contains("Review reopened tickets"), "{md}");
}

#[test]
fn an_existing_report_is_kept_unless_forced() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("q3");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("report.md"), "the earlier report").unwrap();
    let args = |force: bool| {
        let mut a = vec![
            "report",
            "-c",
            "sample-data/report.toml",
            "--period",
            "2026-Q3",
            "--as-of",
            "2026-11-23",
            "-q",
            "--out",
        ];
        a.push(out.to_str().unwrap());
        if force {
            a.push("--force");
        }
        a.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let o = csreport(&args(false).iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("exists: pass --force to replace it"));
    assert_eq!(std::fs::read_to_string(out.join("report.md")).unwrap(), "the earlier report");
    ok(&args(true).iter().map(String::as_str).collect::<Vec<_>>());
    assert!(std::fs::read_to_string(out.join("report.md")).unwrap().contains("## Executive summary"));
    // No staging folder is left beside it.
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
}

#[test]
fn tables_as_csv_and_xlsx_with_formula_injection_neutralised() {
    let tmp = tempfile::tempdir().unwrap();
    // A hostile reason and agent name in an otherwise tiny ticket export.
    let (run, out) = common::september_report(
        tmp.path(),
        "ticket_id,created_at,solved_at,reason,agent\n\
         A,2026-09-01 10:00,2026-09-01 11:00,\"=HYPERLINK(\"\"http://e.vil\"\",\"\"x\"\")\",@mallory\n\
         B,2026-09-02 10:00,2026-09-02 12:00,Billing,+33612345678\n",
    );
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let drivers = std::fs::read_to_string(out.join("tables/drivers.csv")).unwrap();
    assert!(drivers.contains("\"'=HYPERLINK(\"\"http://e.vil\"\",\"\"x\"\")\""), "{drivers}");
    assert!(!drivers.lines().any(|l| l.contains(",=HYPERLINK")), "{drivers}");
    let metrics = std::fs::read_to_string(out.join("tables/metrics.csv")).unwrap();
    // Numbers stay numbers: tickets created is 2.
    assert!(metrics.lines().any(|l| l.starts_with("tickets_created,Tickets created,count,2,2,")), "{metrics}");
    for t in ["scorecard", "trend", "drivers_tickets", "alerts", "actions", "data_quality"] {
        assert!(out.join(format!("tables/{t}.csv")).is_file(), "{t}.csv");
    }
    let xlsx = std::fs::read(out.join("report.xlsx")).unwrap();
    assert_eq!(&xlsx[..2], b"PK", "an xlsx is a zip");
}

#[test]
fn completions_and_man_page() {
    let o = ok(&["completions", "bash"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("csreport"));
    let o = ok(&["man"]);
    let man = String::from_utf8_lossy(&o.stdout);
    assert!(man.contains(".TH csreport") && man.contains("report"), "{man}");
}

#[test]
fn a_period_before_the_data_is_not_compared_as_zero() {
    // Tickets start in September: August is not "0 tickets", it is unknown.
    let tmp = tempfile::tempdir().unwrap();
    let (run, out) = common::september_report(
        tmp.path(),
        "ticket_id,created_at\nA,2026-09-01 10:00\nB,2026-09-02 10:00\nC,2026-09-03 10:00\n",
    );
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert_eq!(scorecard_row(&md, "Tickets created")[1..4], ["3", "n/a", "n/a"]);
    assert!(md.contains("- The previous period has no data to compare with."), "{md}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("metrics.json")).unwrap()).unwrap();
    let m = json["metrics"].as_array().unwrap().iter().find(|m| m["id"] == "tickets_created").unwrap();
    assert!(m["previous"]["value"].is_null());
    assert_eq!(m["vs_previous"]["direction"], "not_comparable");
}
