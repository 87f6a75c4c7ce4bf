//! A report drops the columns no computation reads (metrics::prepare::UNREAD) before
//! the derived columns and the periods. That must change nothing: every metric,
//! breakdown and driver is the same with those columns as without them, on the
//! sample data (every column of the canonical exports) and on the catalogue fixture
//! (business hours, ticket CSAT ratings, SLA by priority).

use csreport::config::Config;
use csreport::period::Period;
use std::path::Path;

fn results(dir: &Path, period: &str, as_of: i64, drop: bool) -> String {
    let text = std::fs::read_to_string(dir.join("report.toml")).unwrap();
    let cfg = Config::parse(&text, "report.toml").unwrap();
    let mut data = csreport::load::load_all(&cfg, dir).unwrap();
    if drop {
        csreport::metrics::prepare::drop_unread(&mut data, false);
    }
    csreport::metrics::prepare::prepare(&mut data, &cfg).unwrap();
    if drop {
        csreport::metrics::prepare::drop_unread(&mut data, true);
    }
    let period = Period::parse(period).unwrap();
    let (start, end) = period.bounds_ms(cfg.timezone().unwrap());
    let set = csreport::metrics::compute(&data, &cfg, &period, as_of).unwrap();
    let previous = period.previous();
    let (p_start, p_end) = previous.bounds_ms(cfg.timezone().unwrap());
    let drivers = csreport::drivers::compute(
        &data,
        &cfg,
        &period,
        csreport::metrics::Window { start, end },
        csreport::metrics::Window { start: p_start, end: p_end },
    )
    .unwrap();
    serde_json::to_string(&(set, drivers)).unwrap()
}

fn same_without_unread(dir: &str, period: &str, as_of: i64) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let (kept, dropped) = (results(&dir, period, as_of, false), results(&dir, period, as_of, true));
    assert!(kept.len() > 1000, "{kept}");
    assert!(kept == dropped, "dropping the unread columns changed the results of {}", dir.display());
}

#[test]
fn sample_data_results_do_not_read_the_dropped_columns() {
    same_without_unread("sample-data", "2026-Q3", 1_791_180_000_000); // 2026-10-05T06:00Z
}

#[test]
fn catalogue_results_do_not_read_the_dropped_columns() {
    same_without_unread("tests/fixtures/catalog", "2026-W13", 1_774_857_600_000);
    // 2026-03-30T08:00Z
}
