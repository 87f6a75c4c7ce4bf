//! A tickets export longer than two chunks of rows (CSV is parsed and typed
//! `CHUNK_ROWS` rows at a time): every finding counts rows of every chunk and names the
//! first by its row in the file, whichever chunk it is in.

use csreport::config::Config;
use csreport::load::{load_all, CHUNK_ROWS};
use std::fmt::Write;

const START: i64 = 1_788_220_800; // 2026-09-01T00:00:00Z

fn created(r: usize) -> String {
    let t = chrono::DateTime::from_timestamp(START + (r as i64 % 1_728_000), 0).unwrap();
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[test]
fn findings_and_rows_are_counted_across_chunks() {
    let c = CHUNK_ROWS;
    let n = 2 * c + 1000;
    let mut csv = String::from("ticket_id,created_at,status,channel\n");
    for r in 0..n {
        let id = if r == c + 5 { 1_000_007 } else { 1_000_000 + r };
        let created = match r {
            _ if r == 3 || r == c + 1 || r == 2 * c + 2 => "not a date".to_string(),
            _ if r == c => String::new(),
            _ => created(r),
        };
        let status = if r == 2 * c - 1 { "weird" } else { "solved" };
        let channel = if r == 10 || r == 2 * c + 10 { "fax" } else { "email" };
        if r == c + 100 {
            writeln!(csv, "{id},{created}").unwrap(); // a short row
        } else {
            writeln!(csv, "{id},{created},{status},{channel}").unwrap();
        }
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.csv"), csv).unwrap();
    std::fs::write(dir.path().join("r.toml"), "[report]\ntimezone = \"UTC\"\n[inputs.tickets]\npath = \"t.csv\"\n")
        .unwrap();
    let cfg = Config::from_file(&dir.path().join("r.toml")).unwrap();
    let data = load_all(&cfg, dir.path()).unwrap();
    let t = data.tickets.unwrap();
    let found: Vec<(&str, u64, u64, &str, bool)> = t
        .meta
        .issues
        .iter()
        .map(|i| (i.column.as_str(), i.count, i.first_row, i.first_value.as_str(), i.rows_dropped))
        .collect();
    let (c1, n1) = (c as u64, n as u64);
    assert_eq!(
        found,
        vec![
            ("(row)", 1, c1 + 101, "", false),
            ("created_at", 3, 4, "not a date", true),
            ("created_at", 1, c1 + 1, "", true),
            ("status", 1, 2 * c1, "weird", false),
            ("channel", 2, 11, "fax", false),
            ("ticket_id", 1, c1 + 6, "1000007", true),
        ]
    );
    assert_eq!((t.meta.rows_read, t.meta.rows_kept), (n1, n1 - 5));
    // The last row, typed in the third chunk.
    let last = t.frame.column("created_at").unwrap().i64().unwrap().get(t.frame.height() - 1);
    assert_eq!(last, Some((START + ((n - 1) as i64 % 1_728_000)) * 1000));
    assert_eq!(t.frame.column("created_at").unwrap().n_chunks(), 1);
}
