//! Counts and durations are held in 4 bytes a value where that is exact
//! (`load::schema::COMPACT`), and every metric reads them as 8-byte floats: on
//! sample-data, every metric, breakdown and duration sample of a quarter, a month and a
//! week is the same as with the same values held in 8 bytes.

use csreport::config::Config;
use csreport::load::{load_all, Loaded};
use csreport::metrics::{self, prepare};
use csreport::period::Period;
use polars::prelude::*;
use std::path::{Path, PathBuf};

fn loaded(cfg: &Config, dir: &Path) -> Loaded {
    let mut data = load_all(cfg, dir).unwrap();
    prepare::prepare(&mut data, cfg).unwrap();
    data
}

#[test]
fn metrics_do_not_depend_on_how_numbers_are_held() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample-data");
    let cfg = Config::from_file(&dir.join("report.toml")).unwrap();
    let compact = loaded(&cfg, &dir);
    let mut wide = loaded(&cfg, &dir);
    let mut narrow = Vec::new();
    for src in [&mut wide.tickets, &mut wide.calls].into_iter().flatten() {
        let names: Vec<PlSmallStr> =
            src.frame.columns().iter().filter(|c| c.dtype() == &DataType::Float32).map(|c| c.name().clone()).collect();
        for name in names {
            let c = src.frame.column(&name).unwrap().cast(&DataType::Float64).unwrap();
            src.frame.replace(&name, c).unwrap();
            narrow.push(format!("{}.{name}", src.name));
        }
    }
    for want in ["calls.wait_seconds", "calls.talk_seconds", "calls.acw_seconds", "tickets.handle_seconds"] {
        assert!(narrow.iter().any(|n| n == want), "{want} held in 4 bytes: {narrow:?}");
    }
    let as_of = 1_791_180_000_000; // 2026-10-05T06:00:00Z
    for period in ["2026-Q3", "2026-08", "2026-W30"] {
        let p = Period::parse(period).unwrap();
        let a = metrics::compute_with(&compact, &cfg, &p, as_of, true, true).unwrap();
        let b = metrics::compute_with(&wide, &cfg, &p, as_of, true, true).unwrap();
        assert!(a.metrics.iter().filter(|m| m.sample.is_some()).count() >= 5, "{period}: samples kept");
        for (x, y) in a.metrics.iter().zip(&b.metrics) {
            assert_eq!(x, y, "{period}: {}", x.id);
        }
        assert_eq!(a.breakdowns, b.breakdowns, "{period}");
    }
}
