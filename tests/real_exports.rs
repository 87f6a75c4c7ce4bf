//! Real exports (../shared/data/real-exports, beside the checkout) through the example
//! profiles of docs/examples, and a French export fixture. Expected figures come from
//! the exports' READMEs or are recomputed here from the raw CSV with the csv crate.
//! Without the shared folder (a fresh clone on its own) the real-export tests say so
//! and pass; in CI (CI set) its absence is a failure.

use csreport::config::Config;
use csreport::metrics::{self, MetricSet};
use csreport::period::Period;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("run by cargo test"))
}

fn shared() -> Option<PathBuf> {
    let dir = root().join("../shared/data/real-exports");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(std::env::var_os("CI").is_none(), "CI must have ../shared/data/real-exports beside the checkout");
    eprintln!("skipped: {} not found", dir.display());
    None
}

fn load(config: &str) -> (Config, csreport::load::Loaded) {
    let path = root().join("docs/examples").join(config);
    let cfg = Config::from_file(&path).unwrap();
    let data = csreport::load::load_all(&cfg, path.parent().unwrap()).unwrap();
    (cfg, data)
}

fn compute(config: &str, period: &str, as_of: &str) -> (csreport::load::Loaded, MetricSet) {
    let (cfg, mut data) = load(config);
    let as_of = csreport::plan::parse_as_of(as_of, cfg.timezone().unwrap()).unwrap().timestamp_millis();
    metrics::prepare::prepare(&mut data, &cfg).unwrap();
    let m = metrics::compute(&data, &cfg, &Period::parse(period).unwrap(), as_of).unwrap();
    (data, m)
}

fn records(path: &Path) -> (csv::StringRecord, Vec<csv::StringRecord>) {
    let mut r = csv::ReaderBuilder::new().from_path(path).unwrap();
    let h = r.headers().unwrap().clone();
    (h, r.records().map(|r| r.unwrap()).collect())
}

fn field<'a>(h: &csv::StringRecord, r: &'a csv::StringRecord, name: &str) -> &'a str {
    let i =
        h.iter().position(|c| c.trim_start_matches('\u{feff}') == name).unwrap_or_else(|| panic!("no column {name}"));
    &r[i]
}

#[track_caller]
fn approx(v: Option<f64>, want: f64) {
    let v = v.unwrap_or_else(|| panic!("expected {want}, got n/a"));
    assert!((v - want).abs() < 1e-9, "expected {want}, got {v}");
}

#[test]
fn pwc_call_log_5000_calls_946_unanswered() {
    let Some(dir) = shared() else { return };
    let (data, m) = compute("pwc.report.toml", "2021-Q1", "2021-04-01");
    let calls = data.calls.as_ref().unwrap();
    assert_eq!((calls.meta.rows_read, calls.meta.rows_kept), (5000, 5000));
    assert_eq!(m.value("calls_offered"), Some(5000.0));
    assert_eq!(m.value("calls_abandoned"), Some(946.0));
    approx(m.value("abandonment_rate"), 946.0 / 5000.0 * 100.0);
    // ASA and CSAT recomputed from the raw file.
    let (h, rows) = records(&dir.join("pwc-call-center/call_center_pwc.csv"));
    let waits: Vec<f64> = rows
        .iter()
        .filter(|r| field(&h, r, "Answered (Y/N)") == "Y")
        .map(|r| field(&h, r, "Speed of answer in seconds").parse().unwrap())
        .collect();
    approx(m.value("asa"), waits.iter().sum::<f64>() / waits.len() as f64);
    let ratings: Vec<f64> = rows.iter().filter_map(|r| field(&h, r, "Satisfaction rating").parse().ok()).collect();
    assert_eq!(ratings.len(), 4054);
    let surveys = data.surveys.as_ref().unwrap();
    assert_eq!(surveys.meta.rows_kept, 4054);
    let issue = &surveys.meta.issues[0];
    assert_eq!((issue.column.as_str(), issue.count, issue.rows_dropped), ("score", 946, true));
    approx(m.value("csat"), ratings.iter().filter(|r| **r >= 4.0).count() as f64 / 4054.0 * 100.0);
    // AHT from HH:MM:SS talk times (no hold or ACW in this export).
    let talk: Vec<f64> = rows
        .iter()
        .filter(|r| field(&h, r, "Answered (Y/N)") == "Y")
        .map(|r| {
            let p: Vec<f64> = field(&h, r, "AvgTalkDuration").split(':').map(|x| x.parse().unwrap()).collect();
            p[0] * 3600.0 + p[1] * 60.0 + p[2]
        })
        .collect();
    approx(m.value("aht"), talk.iter().sum::<f64>() / talk.len() as f64);
}

#[test]
fn kaggle_tickets_bad_rows_become_findings_not_crashes() {
    let Some(_) = shared() else { return };
    let (data, m) = compute("kaggle.report.toml", "2023-05-31..2023-06-02", "2023-07-01");
    let t = data.tickets.as_ref().unwrap();
    // 8,469 tickets; the 2,819 open ones have no time at all and are rejected.
    assert_eq!((t.meta.rows_read, t.meta.rows_kept), (8469, 5650));
    let i = &t.meta.issues[0];
    assert_eq!((i.column.as_str(), i.problem.as_str(), i.count), ("created_at", "empty required value", 2819));
    // validate lists the backwards resolutions too.
    let neg = t.meta.issues.iter().find(|i| i.column == "solved_at").unwrap();
    assert_eq!((neg.count, neg.rows_dropped), (1365, false));
    assert!(neg.problem.starts_with("before created_at (a negative duration)"), "{}", neg.problem);
    assert_eq!(m.value("tickets_created"), Some(5650.0));
    // The 2,769 closed tickets are solved; on 1,365 the resolution precedes the first
    // response: excluded from resolution_time and counted.
    assert_eq!(m.value("tickets_solved"), Some(2769.0));
    let res = m.get("resolution_time");
    assert_eq!((res.n, res.excluded), (2769 - 1365, 1365));
    // CSAT from the ticket ratings (closed tickets only): 1,087 of 2,769 are 4 or 5.
    approx(m.value("csat"), 1087.0 / 2769.0 * 100.0);
    assert_eq!(m.get("csat").n, 2769);
    // "Critical" maps to urgent, "Social media" to social.
    let mix = m.breakdown("channel_mix");
    assert!(mix.row("social").is_some() && mix.row("Social media").is_none());
}

#[test]
fn preppin_status_log_reduces_to_665_tickets() {
    let Some(_) = shared() else { return };
    let (data, m) = compute("preppin-sla.report.toml", "2020-Q1", "2020-04-01");
    let t = data.tickets.as_ref().unwrap();
    assert_eq!((t.meta.rows_read, t.meta.rows_merged, t.meta.rows_kept), (2542, 2542 - 665, 665));
    assert!(t.meta.issues.is_empty(), "{:?}", t.meta.issues);
    assert_eq!(m.value("tickets_created"), Some(665.0));
    // 103 tickets reach Closed.
    assert_eq!(m.value("tickets_solved"), Some(103.0));
    assert_eq!(m.value("backlog_end"), Some(665.0 - 103.0));
    // The department is the middle part of "id / department / requester".
    let teams = m.breakdown("by_team");
    assert!(teams.row("Project Management").is_some(), "{:?}", teams.rows.iter().map(|r| &r.key).collect::<Vec<_>>());
}

fn nps_of(scores: &[f64]) -> f64 {
    let p = scores.iter().filter(|s| **s >= 9.0).count() as f64;
    let d = scores.iter().filter(|s| **s <= 6.0).count() as f64;
    (p - d) / scores.len() as f64 * 100.0
}

#[test]
fn preppin_nps_two_timestamp_formats_and_a_long_question_column() {
    let Some(dir) = shared() else { return };
    let (data, m) = compute("preppin-nps.report.toml", "2019-11", "2019-12-01");
    assert_eq!(data.surveys.as_ref().unwrap().meta.rows_kept, 78);
    let mut scores = Vec::new();
    for f in ["case040_sudzilla_input_01.csv", "case040_sudzilla_input_02.csv"] {
        let (h, rows) = records(&dir.join("preppin-nps-surveys").join(f));
        scores.extend(
            rows.iter()
                .map(|r| field(&h, r, "On a scale of 0-10, how would you rate Sudzilla?").parse::<f64>().unwrap()),
        );
    }
    approx(m.value("nps"), nps_of(&scores));
    assert_eq!(m.get("nps").n, 78);

    let (_, m) = compute("preppin-airline.report.toml", "2021-06", "2021-07-01");
    let (h, rows) = records(&dir.join("preppin-nps-surveys/case122_airline_nps_input_01.csv"));
    let scores: Vec<f64> =
        rows.iter().map(|r| field(&h, r, "How likely are you to recommend this airline?").parse().unwrap()).collect();
    assert_eq!(m.get("nps").n, 5723);
    approx(m.value("nps"), nps_of(&scores));
}

#[test]
fn a_french_latin1_export_loads_and_its_accents_reach_the_report() {
    let dir = root().join("tests/fixtures/french");
    let cfg = Config::from_file(&dir.join("report.toml")).unwrap();
    let mut data = csreport::load::load_all(&cfg, &dir).unwrap();
    let t = data.tickets.as_ref().unwrap();
    assert_eq!(t.meta.rows_kept, 5);
    // "Courrier" is not a channel csreport knows: counted as other, and said.
    let i = &t.meta.issues[0];
    assert_eq!((i.column.as_str(), i.count, i.first_row, i.first_value.as_str()), ("channel", 1, 5, "Courrier"));
    let as_of = 1_790_000_000_000; // 2026-09-21
    metrics::prepare::prepare(&mut data, &cfg).unwrap();
    let m = metrics::compute(&data, &cfg, &Period::parse("2026-09").unwrap(), as_of).unwrap();
    // FRT: 1 h, 30 min, 30 min, 5 min (FR-003 has "-") → median 1800 s.
    approx(m.value("first_response_time"), 1800.0);
    approx(m.value("escalation_rate"), 20.0); // oui on 1 of 5
                                              // Decimal commas in minutes: 12,5 → 750 s and 7,25 → 435 s (FR-001, FR-004, solved).
    let handle = t_handles(&data);
    assert_eq!(handle, [Some(750.0), Some(1800.0), None, Some(435.0), Some(300.0)]);

    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("fr");
    let run = Command::new(env!("CARGO_BIN_EXE_csreport"))
        .args([
            "report",
            "-c",
            dir.join("report.toml").to_str().unwrap(),
            "--period",
            "2026-09",
            "--as-of",
            "2026-10-05",
        ])
        .args(["--out", out.to_str().unwrap(), "-q"])
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    for word in ["Réseau", "Facturation électronique", "Déménagement", "Principaux motifs de contact"] {
        assert!(md.contains(word), "{word} missing from:\n{md}");
    }
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("Facturation électronique"));
}

fn t_handles(data: &csreport::load::Loaded) -> Vec<Option<f64>> {
    numbers(&data.tickets.as_ref().unwrap().frame, "handle_seconds")
}

/// A number column's values as read (counts and durations may be held in 4 bytes).
fn numbers(frame: &polars::prelude::DataFrame, column: &str) -> Vec<Option<f64>> {
    let values = frame.column(column).unwrap().cast(&polars::prelude::DataType::Float64).unwrap();
    values.f64().unwrap().iter().collect()
}

#[test]
fn validate_lists_rows_issues_and_mapping() {
    let dir = root().join("tests/fixtures/french");
    let out = Command::new(env!("CARGO_BIN_EXE_csreport"))
        .args(["validate", "-c", dir.join("report.toml").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("rows: 5 read, 5 kept, 0 rejected"), "{text}");
    assert!(text.contains("created_at ← `Créé le`"), "{text}");
    assert!(text.contains("ignored  channel: unknown value (expected email, phone, chat, social, web, self_service, other): counted as `other` — 1 values ignored; first at row 5: \"Courrier\""), "{text}");
    assert!(text.contains("not mapped:") && text.contains("customer_id"), "{text}");
}

/// A profile that names a column the file does not have (a typo, another spelling of
/// the export's header): validate says which, and the file's column it most likely
/// meant, rather than only listing the canonical column as not mapped.
#[test]
fn validate_names_the_profiles_columns_the_file_lacks() {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        ("tickets.csv", "id,created_at,CHANNEL,Team\n1,2026-09-01T10:00:00Z,email,A\n"),
        ("p.toml", "[columns]\nticket_id = \"id\"\nchannel = \"Channel\"\npriority = \"Prio\"\nteam = \"Team\"\n"),
        (
            "report.toml",
            "[report]\ntimezone = \"UTC\"\n[inputs.tickets]\npath = \"tickets.csv\"\nprofile = \"p.toml\"\n",
        ),
    ];
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let validate = |format: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_csreport"))
            .args(["validate", "--format", format, "-c", dir.path().join("report.toml").to_str().unwrap()])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let text = validate("table");
    let unmapped = text.lines().find(|l| l.trim_start().starts_with("not mapped:")).expect("a not-mapped line");
    assert!(unmapped.contains("channel (no column `Channel`; the file has `CHANNEL`)"), "{unmapped}");
    assert!(unmapped.contains("priority (no column `Prio`)"), "{unmapped}");
    // Columns the profile does not name are listed as before.
    assert!(unmapped.contains(", reason,") && !unmapped.contains("team"), "{unmapped}");
    let json: serde_json::Value = serde_json::from_str(&validate("json")).unwrap();
    assert_eq!(
        json[0]["unmatched"],
        serde_json::json!([
            {"column": "channel", "source": "Channel", "like": "CHANNEL"},
            {"column": "priority", "source": "Prio"},
        ])
    );
}

fn fixture(name: &str, period: &str) -> (csreport::load::Loaded, MetricSet) {
    let dir = root().join("tests/fixtures").join(name);
    let cfg = Config::from_file(&dir.join("report.toml")).unwrap();
    let mut data = csreport::load::load_all(&cfg, &dir).unwrap();
    let as_of = 1_790_000_000_000;
    metrics::prepare::prepare(&mut data, &cfg).unwrap();
    let m = metrics::compute(&data, &cfg, &Period::parse(period).unwrap(), as_of).unwrap();
    (data, m)
}

#[test]
fn zendesk_built_in_profile() {
    let (data, m) = fixture("zendesk", "2026-09");
    let t = data.tickets.as_ref().unwrap();
    assert!(t.meta.issues.is_empty(), "{:?}", t.meta.issues);
    assert_eq!(m.value("tickets_created"), Some(4.0));
    // First reply in minutes after creation: 30, 90, 20 (1004 has none) → median 30 min.
    approx(m.value("first_response_time"), 1800.0);
    // Solved: 1001 (3 h), 1002 (24 h) → median 13.5 h.
    approx(m.value("resolution_time"), 13.5 * 3600.0);
    // Satisfaction Good / Bad → 1 of 2 satisfied; Offered/Unoffered are no rating.
    approx(m.value("csat"), 50.0);
    // Via: Mail → email, Web Form → web, Voice → phone, API → other.
    let mix = m.breakdown("channel_mix");
    let keys: Vec<&str> = mix.rows.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, ["email", "other", "phone", "web"]);
    approx(m.value("reopen_rate"), 50.0);
}

#[test]
fn freshdesk_built_in_profile() {
    let (data, m) = fixture("freshdesk", "2026-09");
    let t = data.tickets.as_ref().unwrap();
    assert!(t.meta.issues.is_empty(), "{:?}", t.meta.issues);
    assert_eq!(m.value("tickets_created"), Some(3.0));
    // Initial response: 1 h, 26 h, 2 min → median 1 h.
    approx(m.value("first_response_time"), 3600.0);
    // Resolved: 2001 after 8 h, 2002 after 48 h.
    approx(m.value("resolution_time"), 28.0 * 3600.0);
    // Time tracked HH:MM:SS → seconds.
    let h = numbers(&t.frame, "handle_seconds");
    assert_eq!(h, [Some(1200.0), Some(3900.0), Some(300.0)]);
    // Status: Closed, Resolved → solved, Open; SLA Violated → breached.
    let b: Vec<Option<bool>> = t.frame.column("sla_breached").unwrap().bool().unwrap().iter().collect();
    assert_eq!(b, [Some(false), Some(true), Some(false)]);
}

#[test]
fn epoch_times_end_minus_start_durations_and_splits() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("c.csv"),
        "ref|start_ms|end_ms|result\nQ1/alpha|1790000000000|1790000090000|ok\nQ2/beta|1790000100000|1790000105000|hangup\n",
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("p.toml"),
        "[csv]\nseparator = \"|\"\n[split.call_id]\ncolumn = \"ref\"\nseparator = \"/\"\nindex = 0\n[split.queue]\ncolumn = \"ref\"\nseparator = \"/\"\nindex = 1\n\
         [datetimes.offered_at]\ncolumn = \"start_ms\"\nepoch = \"milliseconds\"\n[durations.talk_seconds]\nstart = \"start_ms\"\nend = \"end_ms\"\nepoch = \"milliseconds\"\n\
         [columns]\noutcome = \"result\"\n[values.outcome]\nok = \"answered\"\nhangup = \"abandoned\"\n",
    )
    .unwrap();
    std::fs::write(tmp.path().join("r.toml"), "[inputs.calls]\npath = \"c.csv\"\nprofile = \"p.toml\"\n").unwrap();
    let cfg = Config::from_file(&tmp.path().join("r.toml")).unwrap();
    let data = csreport::load::load_all(&cfg, tmp.path()).unwrap();
    let f = &data.calls.as_ref().unwrap().frame;
    let ids: Vec<Option<&str>> = f.column("call_id").unwrap().str().unwrap().iter().collect();
    assert_eq!(ids, [Some("Q1"), Some("Q2")]);
    let q = csreport::labels::text(f.column("queue").unwrap()).unwrap();
    let q: Vec<Option<&str>> = q.iter().collect();
    assert_eq!(q, [Some("alpha"), Some("beta")]);
    let t = numbers(f, "talk_seconds");
    assert_eq!(t, [Some(90.0), Some(5.0)]);
    let at: Vec<Option<i64>> = f.column("offered_at").unwrap().i64().unwrap().iter().collect();
    assert_eq!(at, [Some(1_790_000_000_000), Some(1_790_000_100_000)]);
}
