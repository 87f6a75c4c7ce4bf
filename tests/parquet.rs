//! Parquet's typed columns are taken as they are (no round trip through text): naive
//! datetimes are local times, dates local midnights, NaN an unread number, integers
//! read as text where the column is text.

use csreport::config::Config;
use csreport::load::load_all;
use polars::prelude::*;

/// `df` written as the tickets' Parquet file of a report in Europe/Paris, and loaded.
fn load_tickets(df: &mut DataFrame) -> csreport::load::Source {
    load_tickets_in(df, None)
}

/// `load_tickets`, the file written in row groups of `rows` (polars' default: None).
fn load_tickets_in(df: &mut DataFrame, rows: Option<usize>) -> csreport::load::Source {
    let dir = tempfile::tempdir().unwrap();
    let file = std::fs::File::create(dir.path().join("t.parquet")).unwrap();
    ParquetWriter::new(file).with_row_group_size(rows).finish(df).unwrap();
    std::fs::write(
        dir.path().join("r.toml"),
        "[report]\ntimezone = \"Europe/Paris\"\n[inputs.tickets]\npath = \"t.parquet\"\n",
    )
    .unwrap();
    let cfg = Config::from_file(&dir.path().join("r.toml")).unwrap();
    load_all(&cfg, dir.path()).unwrap().tickets.unwrap()
}

#[test]
fn typed_columns_are_read_as_they_are() {
    // 2026-09-01T10:00:00 in Paris (CEST, UTC+2) = 2026-09-01T08:00:00Z.
    let local_10h = 1_788_256_800_000i64;
    let created = Series::new("created_at".into(), [local_10h, local_10h + 3_600_000, local_10h + 7_200_000])
        .cast(&DataType::Datetime(TimeUnit::Milliseconds, None))
        .unwrap();
    // 2026-09-02 (days since 1970-01-01).
    let solved = Series::new("solved_at".into(), [20_698i32, 20_698, 20_698]).cast(&DataType::Date).unwrap();
    let mut df = DataFrame::new_infer_height(vec![
        Series::new("ticket_id".into(), [101i64, 102, 103]).into_column(),
        created.into_column(),
        solved.into_column(),
        Series::new("agent_replies".into(), [1.0f64, f64::NAN, 2.0]).into_column(),
        Series::new("escalated".into(), [true, false, true]).into_column(),
        Series::new("status".into(), ["solved", "Solved", "closed"]).into_column(),
    ])
    .unwrap();
    let t = load_tickets(&mut df);
    let f = &t.frame;
    let ids: Vec<Option<&str>> = f.column("ticket_id").unwrap().str().unwrap().iter().collect();
    assert_eq!(ids, vec![Some("101"), Some("102"), Some("103")]);
    let created: Vec<Option<i64>> = f.column("created_at").unwrap().i64().unwrap().iter().collect();
    assert_eq!(created[0], Some(1_788_249_600_000));
    assert_eq!(created[2], Some(1_788_249_600_000 + 7_200_000));
    // Local midnight of 2 September in Paris: 2026-09-01T22:00:00Z.
    assert_eq!(f.column("solved_at").unwrap().i64().unwrap().get(1), Some(1_788_300_000_000));
    // Counts are held in 4 bytes (load::schema::COMPACT), with the values read.
    let replies = f.column("agent_replies").unwrap();
    assert_eq!(replies.dtype(), &DataType::Float32);
    let replies: Vec<Option<f64>> = replies.cast(&DataType::Float64).unwrap().f64().unwrap().iter().collect();
    assert_eq!(replies, vec![Some(1.0), None, Some(2.0)]);
    let escalated: Vec<Option<bool>> = f.column("escalated").unwrap().bool().unwrap().iter().collect();
    assert_eq!(escalated, vec![Some(true), Some(false), Some(true)]);
    let status = csreport::labels::text(f.column("status").unwrap()).unwrap();
    let status: Vec<Option<&str>> = status.iter().collect();
    assert_eq!(status, vec![Some("solved"), Some("solved"), Some("closed")]);
    let issue = t.meta.issues.iter().find(|i| i.column == "agent_replies").expect("NaN reported");
    assert_eq!((issue.count, issue.first_row, issue.first_value.as_str()), (1, 2, "NaN"));
    assert!(t.meta.mapped_columns.iter().any(|m| m == "created_at ← `created_at`"));
}

/// A Parquet file is read and typed a slice of rows at a time: rows past the first
/// slices keep their values, and their findings name the file's rows. Whether a slice
/// is several row groups (20,000 rows each: three a slice), one (100,000), or a piece
/// of one (a single group of 600,000 rows: pieces of 262,144, the last one partial).
#[test]
fn a_large_file_is_read_in_slices_with_the_files_row_numbers() {
    for rows in [20_000, 100_000, 600_000] {
        large_file_in_row_groups_of(rows);
    }
}

fn large_file_in_row_groups_of(rows: usize) {
    let n = 600_000usize;
    // Naive local times from 2026-09-01T10:00 in Paris, a second apart (all in CEST).
    let local_10h = 1_788_256_800_000i64;
    let created = Series::new("created_at".into(), (0..n as i64).map(|i| local_10h + i * 1000).collect::<Vec<_>>())
        .cast(&DataType::Datetime(TimeUnit::Milliseconds, None))
        .unwrap();
    // 2026-09-01T08:00:00Z
    let start = 1_788_249_600_000i64;
    // One unread number at row 550,001 of the file, one unknown priority at row 300,001:
    // in the last slice and a middle one, however the file is sliced.
    let replies: Vec<f64> = (0..n).map(|i| if i == 550_000 { f64::NAN } else { (i % 7) as f64 }).collect();
    let priority: Vec<&str> = (0..n).map(|i| if i == 300_000 { "asap" } else { "normal" }).collect();
    let mut df = DataFrame::new_infer_height(vec![
        Series::new("ticket_id".into(), (0..n as i64).collect::<Vec<_>>()).into_column(),
        created.into_column(),
        Series::new("agent_replies".into(), replies).into_column(),
        Series::new("priority".into(), priority).into_column(),
    ])
    .unwrap();
    let t = load_tickets_in(&mut df, Some(rows));
    let f = &t.frame;
    assert_eq!(f.height(), n, "row groups of {rows}");
    let ids = f.column("ticket_id").unwrap().str().unwrap();
    assert_eq!((ids.get(0), ids.get(300_000), ids.get(n - 1)), (Some("0"), Some("300000"), Some("599999")));
    let created = f.column("created_at").unwrap().i64().unwrap();
    assert_eq!((created.get(0), created.get(n - 1)), (Some(start), Some(start + 599_999 * 1000)));
    let replies = f.column("agent_replies").unwrap().cast(&DataType::Float64).unwrap();
    let replies = replies.f64().unwrap();
    assert_eq!((replies.get(549_999), replies.get(550_000)), (Some((549_999 % 7) as f64), None));
    // An unknown priority (an optional column without a fallback) is a missing value.
    let priority = csreport::labels::text(f.column("priority").unwrap()).unwrap();
    assert_eq!((priority.get(299_999), priority.get(300_000)), (Some("normal"), None));
    let issue =
        |c: &str| t.meta.issues.iter().find(|i| i.column == c).unwrap_or_else(|| panic!("{c}: {:?}", t.meta.issues));
    let nan = issue("agent_replies");
    assert_eq!((nan.count, nan.first_row, nan.first_value.as_str()), (1, 550_001, "NaN"));
    let unknown = issue("priority");
    assert_eq!((unknown.count, unknown.first_row, unknown.first_value.as_str()), (1, 300_001, "asap"));
}
