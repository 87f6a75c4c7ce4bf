//! The tiny fixture (tests/fixtures/tiny): every expected value below is computed by
//! hand from the rows, with the arithmetic in the comments. Period: 2026-09 in UTC,
//! i.e. [2026-09-01T00:00Z, 2026-10-01T00:00Z).

use csreport::config::Config;
use csreport::metrics::{self, MetricSet};
use csreport::period::Period;
use std::path::Path;

/// --as-of 2026-10-15T00:00Z.
const AS_OF: i64 = 1_792_022_400_000;

fn compute(format: &str) -> MetricSet {
    let dir = Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("run by cargo test")).join("tests/fixtures/tiny");
    let cfg = Config::from_file(&dir.join(format!("report-{format}.toml"))).unwrap();
    let mut data = csreport::load::load_all(&cfg, &dir).unwrap();
    metrics::prepare::prepare(&mut data, &cfg).unwrap();
    metrics::compute(&data, &cfg, &Period::parse("2026-09").unwrap(), AS_OF).unwrap()
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}

#[test]
fn ticket_volume_backlog_and_durations() {
    let m = compute("csv");
    // Created in September: T1, T2, T3, T4, T6, T7 (T7 at 23:30Z on the 30th is still in).
    assert_eq!(m.value("tickets_created"), Some(6.0));
    // Solved in September: T1 (1st), T5 (2nd, created in August), T2 (5th), T6 (20th).
    assert_eq!(m.value("tickets_solved"), Some(4.0));
    // 4 / 6 × 100 = 66.67%.
    assert!(close(m.value("completion_ratio"), 400.0 / 6.0));
    // Open at the end: T3, T4, T7 (never solved) = 3. Open at the start: T5 = 1.
    assert_eq!(m.value("backlog_end"), Some(3.0));
    assert_eq!(m.value("backlog_change"), Some(2.0));

    // First response, created in period, with a response, not negative:
    // T1 3600 s, T2 1800 s, T3 14400 s, T7 5400 s (answered after the period: still its FRT).
    // Sorted 1800, 3600, 5400, 14400 → median (3600 + 5400) / 2 = 4500;
    // mean 25200 / 4 = 6300; p90 (linear) at rank 0.9 × 3 = 2.7 → 5400 + 0.7 × 9000 = 11700.
    // T6 answered an hour before it was created: excluded and counted.
    let frt = m.get("first_response_time");
    assert_eq!(frt.value, Some(4500.0));
    assert_eq!(frt.n, 4);
    assert_eq!(frt.excluded, 1);
    let d = frt.distribution.unwrap();
    assert!((d.mean - 6300.0).abs() < 1e-9 && (d.p90 - 11700.0).abs() < 1e-9, "{d:?}");
    // No first response before the period end: T4 (none) and T7 (1 October) = 2.
    assert_eq!(m.value("no_response_yet"), Some(2.0));

    // Resolution of the tickets solved in period: T1 4 h = 14400, T2 3 d = 259200,
    // T5 5 d = 432000, T6 2 h = 7200 → sorted 7200, 14400, 259200, 432000 →
    // median (14400 + 259200) / 2 = 136800 s.
    let res = m.get("resolution_time");
    assert_eq!(res.value, Some(136800.0));
    assert_eq!(res.n, 4);
}

#[test]
fn call_metrics() {
    let m = compute("csv");
    // K3 is a short abandon (3 s < 5 s), K5 stayed in the IVR, K6 is outbound, K8 is in
    // August: offered = K1, K2, K4, K7 = 4.
    assert_eq!(m.value("calls_offered"), Some(4.0));
    assert_eq!(m.value("short_abandons"), Some(1.0));
    assert_eq!(m.value("calls_answered"), Some(3.0));
    // Abandoned: K4 → 1 / 4 = 25%.
    assert_eq!(m.value("abandonment_rate"), Some(25.0));
    // Answered within 20 s: K1 (10 s) and K7 (exactly 20 s) → 2 / 4 = 50%.
    let sl = m.get("service_level");
    assert_eq!((sl.value, sl.numerator, sl.denominator), (Some(50.0), Some(2.0), Some(4.0)));
    // ASA: (10 + 45 + 20) / 3 = 25 s.
    assert!(close(m.value("asa"), 25.0));
    // AHT: K1 300+0+60 = 360, K2 200+30+40 = 270, K7 150 (hold, ACW empty = 0) → 780 / 3 = 260 s.
    assert!(close(m.value("aht"), 260.0));
}

#[test]
fn survey_metrics() {
    let m = compute("csv");
    // CSAT on 1–5: S1 5, S2 4, S3 2 → 2 satisfied of 3 = 66.67%; S4 scored 7: excluded.
    let c = m.get("csat");
    assert!(close(c.value, 200.0 / 3.0));
    assert_eq!((c.n, c.excluded), (3, 1));
    // NPS: 10, 9, 7, 3 (11 is off the scale) → promoters 2, detractors 1 of 4 →
    // (2 − 1) / 4 × 100 = +25.
    let n = m.get("nps");
    assert_eq!((n.value, n.n, n.excluded), (Some(25.0), 4, 1));
}

#[test]
fn csv_json_ndjson_and_parquet_give_identical_metrics() {
    let csv = compute("csv");
    assert_eq!(compute("json").metrics, csv.metrics);
    assert_eq!(compute("ndjson").metrics, csv.metrics);
    // Parquet with typed columns (UTC datetimes in microseconds, integers) and a column
    // the profile does not read.
    assert_eq!(compute("parquet").metrics, csv.metrics);
    // JSON and NDJSON with a byte-order mark, as Windows tools write them.
    for format in ["json", "ndjson"] {
        let tiny = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tiny");
        let dir = tempfile::tempdir().unwrap();
        for name in ["tickets", "calls", "surveys"] {
            let text = std::fs::read(tiny.join(format!("{name}.{format}"))).unwrap();
            std::fs::write(dir.path().join(format!("{name}.{format}")), [b"\xEF\xBB\xBF".as_slice(), &text].concat())
                .unwrap();
        }
        let cfg = Config::from_file(&tiny.join(format!("report-{format}.toml"))).unwrap();
        let mut data = csreport::load::load_all(&cfg, dir.path()).unwrap();
        metrics::prepare::prepare(&mut data, &cfg).unwrap();
        let m = metrics::compute(&data, &cfg, &Period::parse("2026-09").unwrap(), AS_OF).unwrap();
        assert_eq!(m.metrics, csv.metrics, "{format} with a byte-order mark");
    }
}

#[test]
fn parquet_reads_only_the_columns_the_profile_maps() {
    let dir = Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("run by cargo test")).join("tests/fixtures/tiny");
    let cfg = Config::from_file(&dir.join("report-parquet.toml")).unwrap();
    let data = csreport::load::load_all(&cfg, &dir).unwrap();
    let t = data.tickets.as_ref().unwrap();
    assert_eq!(t.meta.format, "parquet");
    assert!(t.meta.mapped_columns.iter().any(|m| m == "created_at ← `created_at`"), "{:?}", t.meta.mapped_columns);
    assert!(!t.has("unused_text"));
    // The same first creation time as the CSV's 2026-09-01T08:00:00Z.
    let first = t.frame.column("created_at").unwrap().i64().unwrap().get(0);
    assert_eq!(first, Some(1_788_249_600_000));
}

#[test]
fn drivers_count_tickets_and_calls_with_ties_by_name() {
    let dir = Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("run by cargo test")).join("tests/fixtures/tiny");
    let cfg = Config::from_file(&dir.join("report-csv.toml")).unwrap();
    let mut data = csreport::load::load_all(&cfg, &dir).unwrap();
    metrics::prepare::prepare(&mut data, &cfg).unwrap();
    let w = |p: &str| {
        let (start, end) = Period::parse(p).unwrap().bounds_ms(chrono_tz::UTC);
        metrics::Window { start, end }
    };
    let d = csreport::drivers::compute(&data, &cfg, &Period::parse("2026-09").unwrap(), w("2026-09"), w("2026-08"))
        .unwrap();
    // Tickets: Billing T1 T3 T4 T7 = 4, Login T2 = 1, Refund T6 = 1.
    // Calls offered: Billing K1 K4 = 2, Login K2 = 1, Refund K7 = 1. Total 10.
    assert_eq!(d.total, 10);
    let rows: Vec<(&str, u64, u64, u64)> =
        d.top.iter().map(|r| (r.name.as_str(), r.count, r.tickets, r.calls)).collect();
    // Login and Refund tie at 2: byte order of the name breaks the tie.
    assert_eq!(rows, [("Billing", 6, 4, 2), ("Login", 2, 1, 1), ("Refund", 2, 1, 1)]);
    assert!((d.top[0].share - 60.0).abs() < 1e-9);
    // CSAT per driver through the ticket link: Billing S1 (5) → 100%; Login S2 (4) → 100%,
    // S3 is about T5, a Login ticket too → Login 1 of 2 = 50%.
    assert_eq!(d.top[0].csat, Some(100.0));
    assert_eq!(d.top[1].csat, Some(50.0));
}
