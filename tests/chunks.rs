//! A tickets export longer than two blocks (CSV is read, checked, parsed and typed
//! `BLOCK_BYTES` at a time): every finding counts rows of every block and names the first
//! by its row in the file, whichever block it is in; a quoted value with line breaks that
//! runs past a block's end is read whole; errors and encodings found in a later block
//! name the place in the whole file.

use csreport::config::Config;
use csreport::load::{load_all, Loaded, BLOCK_BYTES};
use std::fmt::Write;
use std::path::Path;

const START: i64 = 1_788_220_800; // 2026-09-01T00:00:00Z

fn created(r: usize) -> String {
    let t = chrono::DateTime::from_timestamp(START + (r as i64 % 1_728_000), 0).unwrap();
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The row `blocks` blocks into a file of `write_csv`'s rows (44 bytes each).
fn at(blocks: f64) -> usize {
    (blocks * (BLOCK_BYTES / 44) as f64) as usize
}

/// Rows of 44 bytes (`1000000,2026-09-01T00:00:00Z,solved,email,x` and its newline,
/// about 95k a block of 4 MiB) until the file is `blocks` blocks long. `row` may rewrite a row's
/// fields; it is given the row's number and the byte where it starts.
fn write_csv(blocks: f64, mut row: impl FnMut(usize, &mut Vec<String>, usize)) -> (String, usize) {
    let mut csv = String::from("ticket_id,created_at,status,channel,reason\n");
    let mut r = 0;
    while (csv.len() as f64) < blocks * BLOCK_BYTES as f64 {
        let mut fields = vec![(1_000_000 + r).to_string(), created(r), "solved".into(), "email".into(), "x".into()];
        row(r, &mut fields, csv.len());
        writeln!(csv, "{}", fields.join(",")).unwrap();
        r += 1;
    }
    (csv, r)
}

/// Each finding's column, count and first row.
fn findings(t: &csreport::load::Source) -> Vec<(&str, u64, u64)> {
    t.meta.issues.iter().map(|i| (i.column.as_str(), i.count, i.first_row)).collect()
}

fn load(dir: &Path, csv: &[u8], profile: Option<&str>) -> anyhow::Result<Loaded> {
    std::fs::write(dir.join("t.csv"), csv).unwrap();
    let mut toml = "[report]\ntimezone = \"UTC\"\n[inputs.tickets]\npath = \"t.csv\"\n".to_string();
    if let Some(p) = profile {
        std::fs::write(dir.join("p.toml"), p).unwrap();
        toml.push_str("profile = \"p.toml\"\n");
    }
    std::fs::write(dir.join("r.toml"), toml).unwrap();
    let cfg = Config::from_file(&dir.join("r.toml")).unwrap();
    load_all(&cfg, dir)
}

#[test]
fn findings_and_rows_are_counted_across_blocks() {
    // Rows in the second and third blocks.
    let (b2, b3) = (at(1.31), at(2.36));
    let mut straddler = None;
    let (csv, n) = write_csv(2.5, |r, f, at| {
        if r == b2 + 5 {
            f[0] = "1000007".into(); // a repeat of row 8's id
        }
        match r {
            _ if r == 3 || r == b2 + 1 || r == b3 + 2 => f[1] = "not a date".into(),
            _ if r == b2 => f[1] = String::new(),
            _ => {}
        }
        if r == b3 - 1 {
            f[2] = "weird".into();
        }
        if r == 10 || r == b3 + 10 {
            f[3] = "fax".into();
        }
        if r == b2 + 100 {
            f.truncate(2); // a short row
        }
        // A subject with line breaks that starts just before the first block ends and
        // ends after it.
        if straddler.is_none() && at + 200 > BLOCK_BYTES {
            f[4] = format!("\"first line\n{}\nlast, \"\"quoted\"\" line\"", "y".repeat(300));
            assert!(at + 60 < BLOCK_BYTES && at + f[4].len() > BLOCK_BYTES);
            straddler = Some(r);
        }
    });
    let straddler = straddler.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = load(dir.path(), csv.as_bytes(), None).unwrap();
    let t = data.tickets.unwrap();
    let found: Vec<(&str, u64, u64, &str, bool)> = t
        .meta
        .issues
        .iter()
        .map(|i| (i.column.as_str(), i.count, i.first_row, i.first_value.as_str(), i.rows_dropped))
        .collect();
    let (b2r, b3r) = (b2 as u64, b3 as u64);
    assert_eq!(
        found,
        vec![
            ("(row)", 1, b2r + 101, "", false),
            ("created_at", 3, 4, "not a date", true),
            ("created_at", 1, b2r + 1, "", true),
            ("status", 1, b3r, "weird", false),
            ("channel", 2, 11, "fax", false),
            ("ticket_id", 1, b2r + 6, "1000007", true),
        ]
    );
    assert_eq!((t.meta.rows_read, t.meta.rows_kept), (n as u64, n as u64 - 5));
    // The row that ran past the first block, whole: one row before it (row 4) was dropped.
    let subject =
        csreport::labels::text(t.frame.column("reason").unwrap()).unwrap().get(straddler - 1).map(str::to_string);
    assert_eq!(subject, Some(format!("first line\n{}\nlast, \"quoted\" line", "y".repeat(300))));
    let id = t.frame.column("ticket_id").unwrap().str().unwrap().get(straddler - 1).map(str::to_string);
    assert_eq!(id, Some((1_000_000 + straddler).to_string()));
    // The last row, typed in the third block.
    let last = t.frame.column("created_at").unwrap().i64().unwrap().get(t.frame.height() - 1);
    assert_eq!(last, Some((START + ((n - 1) as i64 % 1_728_000)) * 1000));
    assert_eq!(t.frame.column("created_at").unwrap().n_chunks(), 1);
}

#[test]
fn a_broken_row_in_a_later_block_is_named_by_its_row_and_line_in_the_file() {
    // Two rows with a line break in a quoted value (two extra lines) before the third
    // block's ragged row.
    let bad = at(2.36);
    let (csv, _) = write_csv(2.5, |r, f, _| {
        if r == 7 || r == at(1.57) {
            f[4] = "\"a\nb\"".into();
        }
        if r == bad {
            f.push("extra".into());
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let e = load(dir.path(), csv.as_bytes(), None).err().expect("a ragged row");
    let e = format!("{e:#}");
    let (row, line) = (bad + 1, bad + 2 + 2);
    assert!(e.contains(&format!("row {row} (line {line}) has 6 fields, the header has 5")), "{e}");
}

#[test]
fn a_byte_that_is_not_utf8_in_a_later_block() {
    // Windows-1252 `é` (0xE9) in the second block's subject; the first block is ASCII.
    let at_row = at(1.57);
    let mut offset = 0;
    let (csv, _) = write_csv(2.2, |r, f, at| {
        if r == at_row {
            f[4] = "caf\u{1}".into();
            offset = at + f[..4].iter().map(|s| s.len() + 1).sum::<usize>() + 3;
        }
    });
    let mut bytes = csv.into_bytes();
    assert_eq!(bytes[offset], 1);
    bytes[offset] = 0xE9;
    let dir = tempfile::tempdir().unwrap();
    // Declared UTF-8: the error names the byte and line in the file, not in the block.
    let declared = "extends = \"canonical\"\n[csv]\nencoding = \"utf-8\"\n";
    let e = load(dir.path(), &bytes, Some(declared)).err().expect("not UTF-8");
    let e = format!("{e:#}");
    let line = at_row + 2;
    assert!(e.contains(&format!("not valid UTF-8 at byte {offset} (line {line})")), "{e}");
    // Auto: the whole file is read again as Windows-1252, and the report says so.
    let t = load(dir.path(), &bytes, None).unwrap().tickets.unwrap();
    assert!(t.meta.notes.iter().any(|n| n.contains("decoded as Windows-1252")), "{:?}", t.meta.notes);
    let subject = csreport::labels::text(t.frame.column("reason").unwrap()).unwrap().get(at_row).map(str::to_string);
    assert_eq!(subject.as_deref(), Some("café"));
    assert_eq!(t.meta.rows_read as usize, t.frame.height());
}

/// Every column's values as text.
type Values = Vec<Vec<Option<String>>>;

/// Two loads' `contents` are the same: the first difference, if any, named briefly.
fn assert_same(a: &csreport::load::Source, b: &csreport::load::Source) {
    let ((va, fa), (vb, fb)) = (contents(a), contents(b));
    assert_eq!(fa, fb, "findings");
    assert_eq!((va.len(), a.frame.height()), (vb.len(), b.frame.height()), "columns and rows");
    for (c, (x, y)) in va.iter().zip(&vb).enumerate() {
        if let Some(i) = x.iter().zip(y).position(|(x, y)| x != y) {
            panic!("column {c}, row {i}: {:?} against {:?}", x[i], y[i]);
        }
    }
}

/// The frame's values and the findings of a load, to compare two loads of the same rows.
fn contents(t: &csreport::load::Source) -> (Values, Vec<(&str, u64, u64)>) {
    let columns = t
        .frame
        .columns()
        .iter()
        .map(|c| {
            let text = match csreport::labels::is_coded(c) || c.dtype() == &polars::prelude::DataType::String {
                true => csreport::labels::text(c).unwrap(),
                false => c.cast(&polars::prelude::DataType::String).unwrap().str().unwrap().clone(),
            };
            text.iter().map(|v| v.map(str::to_string)).collect()
        })
        .collect();
    (columns, findings(t))
}

/// Excel's "Unicode text" is UTF-16 with a byte-order mark (and usually CRLF): read as
/// its UTF-8 twin is, across blocks (the first one's end inside a surrogate pair),
/// little- and big-endian, whatever encoding is configured.
#[test]
fn utf16_with_a_byte_order_mark_is_read_across_blocks() {
    let (csv, n) = write_csv(2.3, |r, f, _| {
        // Non-ASCII labels (two bytes and four: a surrogate pair in UTF-16), and an
        // unknown channel now and then for a finding.
        f[4] = ["café", "日本語", "😀 emoji", "x"][r % 4].into();
        if r % 1000 == 7 {
            f[3] = "fax".into();
        }
    });
    let mut csv = csv.replace('\n', "\r\n");
    // The first block holds the mark and this many code units: the last emoji before its
    // end is moved (letters before it, in the UTF-8 twin too) to straddle it.
    let boundary = (BLOCK_BYTES - 2) / 2;
    let (mut units, mut emoji) = (0, None);
    for (i, c) in csv.char_indices() {
        if units >= boundary {
            break;
        }
        if c == '😀' {
            emoji = Some((i, units));
        }
        units += c.len_utf16();
    }
    let (at, unit) = emoji.expect("an emoji in the first block");
    csv.insert_str(at, &"a".repeat(boundary - 1 - unit));
    let dir = tempfile::tempdir().unwrap();
    let utf8 = load(dir.path(), csv.as_bytes(), None).unwrap().tickets.unwrap();
    assert_eq!(utf8.frame.height(), n);
    let units: Vec<u16> = csv.encode_utf16().collect();
    let le: Vec<u8> = [0xFF, 0xFE].into_iter().chain(units.iter().flat_map(|u| u.to_le_bytes())).collect();
    let be: Vec<u8> = [0xFE, 0xFF].into_iter().chain(units.iter().flat_map(|u| u.to_be_bytes())).collect();
    assert!(le.len() > 4 * BLOCK_BYTES, "past four blocks");
    let split = u16::from_le_bytes([le[BLOCK_BYTES - 2], le[BLOCK_BYTES - 1]]);
    assert!((0xD800..0xDC00).contains(&split), "the first block ends inside a surrogate pair: {split:#x}");
    let latin = "extends = \"canonical\"\n[csv]\nencoding = \"windows-1252\"\n";
    for (bytes, profile) in [(&le, None), (&be, None), (&le, Some(latin))] {
        let t = load(dir.path(), bytes, profile).unwrap().tickets.unwrap();
        assert_same(&t, &utf8);
        assert!(t.meta.notes.iter().any(|n| n.starts_with("UTF-16")), "{:?}", t.meta.notes);
    }
}

/// In a Windows-1252 file a line may start with the bytes of a UTF-16 byte-order mark
/// (`ÿþ`, 0xFF 0xFE): a block that starts with such a line is still Windows-1252.
#[test]
fn a_later_block_that_starts_like_a_byte_order_mark_is_not_utf16() {
    let (csv, n) = write_csv(2.3, |_, f, _| f[0].insert_str(0, "\u{ff}\u{fe}"));
    let dir = tempfile::tempdir().unwrap();
    let utf8 = load(dir.path(), csv.as_bytes(), None).unwrap().tickets.unwrap();
    let (latin, _, _) = encoding_rs::WINDOWS_1252.encode(&csv);
    assert!(latin.windows(3).any(|w| w == b"\n\xFF\xFE"));
    let t = load(dir.path(), &latin, None).unwrap().tickets.unwrap();
    assert_eq!(t.frame.height(), n);
    assert!(t.meta.notes.iter().any(|n| n.contains("decoded as Windows-1252")), "{:?}", t.meta.notes);
    assert_same(&t, &utf8);
}

/// What spreadsheets write around the data: unnamed empty columns at the right of the
/// header, rows of separators alone under (and among) the data, lines that end with a CR
/// alone (Excel for Mac), a first line `sep=;`. Each is read as the plain file is: the
/// same values and findings, across blocks, in quote-free blocks and in one with quotes.
#[test]
fn what_spreadsheets_write_around_the_data_is_read_as_the_plain_file() {
    let quoted_row = at(1.4);
    let (plain, n) = write_csv(2.3, |r, f, _| {
        if r == quoted_row {
            f[4] = "\"a, quoted\nvalue\"".into();
        }
        if r % 5000 == 3 {
            f[3] = "fax".into();
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let expected = load(dir.path(), plain.as_bytes(), None).unwrap().tickets.unwrap();
    assert_eq!(expected.frame.height(), n);
    let read = |text: &str| {
        let t = load(dir.path(), text.as_bytes(), None).unwrap().tickets.unwrap();
        assert_same(&t, &expected);
        t
    };
    // Two unnamed columns, and rows of separators in the first block, next to the quoted
    // value's record, and at the end.
    let lines: Vec<&str> = plain.lines().collect();
    let mut wide = String::new();
    for (i, line) in lines.iter().enumerate() {
        if i == 101 {
            wide.push_str(",,,,,,\n");
        }
        wide.push_str(line);
        // The quoted value's first line ends inside the value.
        if !line.ends_with("\"a, quoted") {
            wide.push_str(",,");
        }
        wide.push('\n');
        // Right after the record with the quoted value (a block with a quote).
        if line.ends_with("value\"") {
            wide.push_str(",,,,,,\n");
        }
    }
    assert_eq!(wide.matches(",,,,,,\n").count(), 2);
    wide.push_str(",,,,,,\n,,,,,,\r\n");
    read(&wide);
    // A row too long in the last block is named by its row among the records (the rows
    // of separators are none) and by its line in the file (they are lines).
    let late = at(2.1);
    let id = format!("\n{},", 1_000_000 + late);
    let from = wide.find(&id).expect("the late row") + 1;
    let end = from + wide[from..].find('\n').expect("its line end");
    let broken = format!("{},extra{}", &wide[..end], &wide[end..]);
    let e = format!("{:#}", load(dir.path(), broken.as_bytes(), None).err().expect("a row too long"));
    let (row, line) = (late + 1, late + 2 + 3);
    assert!(e.contains(&format!("row {row} (line {line}) has 8 fields, the header has 7")), "{e}");
    // Lines ended by a CR alone.
    let t = read(&plain.replace('\n', "\r"));
    assert!(t.meta.notes.iter().any(|n| n.contains("CR alone")), "{:?}", t.meta.notes);
    // `sep=;` before the header: the separator it names; lines keep the file's numbers.
    let semi = format!("sep=;\r\n{}", plain.replace(',', ";").replace("a; quoted", "a, quoted"));
    let t = read(&semi);
    assert!(t.meta.notes.iter().any(|n| n.contains("`sep=`")), "{:?}", t.meta.notes);
    let broken = semi.replacen(";solved;email;x\n", ";solved;email;x;extra\n", 1);
    let e = format!("{:#}", load(dir.path(), broken.as_bytes(), None).err().expect("a row too long"));
    assert!(e.contains("row 1 (line 3) has 6 fields, the header has 5"), "{e}");
}

/// A report exported from a BI tool: title lines above the header. Without
/// `skip_lines` the error says to set it; with it the file reads as the plain one, and
/// lines keep the file's numbers.
#[test]
fn title_lines_above_the_header_are_skipped_when_the_profile_says_how_many() {
    let (plain, _) = write_csv(1.3, |_, _, _| {});
    let titled = format!("Tickets, all channels\r\nGenerated 2026-10-01\r\n\r\n{plain}");
    let dir = tempfile::tempdir().unwrap();
    let e = format!("{:#}", load(dir.path(), titled.as_bytes(), None).err().expect("a title is no header"));
    assert!(e.contains("row 2 (line 4) has 5 fields, the header has 2"), "{e}");
    assert!(e.ends_with("set [csv] skip_lines in the profile"), "{e}");
    let expected = load(dir.path(), plain.as_bytes(), None).unwrap().tickets.unwrap();
    let skip = "extends = \"canonical\"\n[csv]\nskip_lines = 3\n";
    let t = load(dir.path(), titled.as_bytes(), Some(skip)).unwrap().tickets.unwrap();
    assert_same(&t, &expected);
    // A row too long in the second block: its line counts the title lines.
    let late = at(1.2);
    let broken = titled.replacen(&format!("\n{},", 1_000_000 + late), &format!("\n{},extra,", 1_000_000 + late), 1);
    let e = format!("{:#}", load(dir.path(), broken.as_bytes(), Some(skip)).err().expect("a row too long"));
    assert!(e.contains(&format!("row {} (line {}) has 6 fields", late + 1, late + 5)), "{e}");
    assert!(!e.contains("skip_lines"), "{e}");
}

#[test]
fn blank_lines_in_any_block_are_no_rows() {
    // Blank lines (some with a carriage return) before every 40,000th row, and at the
    // end: no row of their own, and the rows after them keep their numbers.
    let bad = at(1.57) + 1;
    let (mut csv, n) = write_csv(2.2, |r, f, _| {
        if r % 40_000 == 0 {
            f[0] = format!("\n\r\n{}", f[0]);
        }
        if r == bad {
            f[1] = "not a date".into();
        }
    });
    csv.push_str("\n\n");
    let dir = tempfile::tempdir().unwrap();
    let t = load(dir.path(), csv.as_bytes(), None).unwrap().tickets.unwrap();
    assert_eq!((t.meta.rows_read, t.meta.rows_kept), (n as u64, n as u64 - 1));
    let found = findings(&t);
    assert_eq!(found, vec![("created_at", 1, bad as u64 + 1)]);
    let ids = t.frame.column("ticket_id").unwrap().str().unwrap();
    assert_eq!(ids.get(40_000), Some("1040000"));
    assert_eq!(ids.null_count(), 0);
}

#[test]
fn a_quote_free_later_block_is_checked_from_its_split() {
    // No quote anywhere: every block after the first is checked from the split's own
    // counts (ShapeCheck::account). Two blank lines before every 40,000th row; short
    // rows in the second and third blocks; then a ragged row in the third.
    let (short, later_short, bad) = (at(1.31), at(2.2), at(2.36));
    let rows = |ragged: bool| {
        write_csv(2.5, move |r, f, _| {
            if r % 40_000 == 0 {
                f[0] = format!("\n\r\n{}", f[0]);
            }
            if r == short || r == later_short {
                f.truncate(3);
            }
            if ragged && r == bad {
                f.push("extra".into());
            }
        })
    };
    let dir = tempfile::tempdir().unwrap();
    let (csv, n) = rows(false);
    assert!(!csv.contains('"'));
    let t = load(dir.path(), csv.as_bytes(), None).unwrap().tickets.unwrap();
    let found = findings(&t);
    assert_eq!(found, vec![("(row)", 2, short as u64 + 1)]);
    assert_eq!(t.meta.rows_read, n as u64);
    let reasons = csreport::labels::text(t.frame.column("reason").unwrap()).unwrap();
    assert_eq!((reasons.get(short), reasons.get(short + 1), reasons.get(later_short)), (None, Some("x"), None));
    // The header, the rows before it, and 2 blank lines before each of rows 0, 40,000,
    // … up to it.
    let (csv, _) = rows(true);
    let e = format!("{:#}", load(dir.path(), csv.as_bytes(), None).err().expect("a ragged row"));
    let (row, line) = (bad + 1, 1 + bad + 1 + 2 * (bad / 40_000 + 1));
    assert!(e.contains(&format!("row {row} (line {line}) has 6 fields, the header has 5")), "{e}");
}

#[test]
fn findings_after_dropped_rows_name_the_files_rows() {
    // A row rejected for its creation time, then a repeated id dropped: a finding on a
    // later row still names that row of the file (the rows' places are only recorded
    // once rows are dropped), and without any drop the places are the file's rows.
    let csv = "ticket_id,created_at,first_response_at,status,channel,reason\n\
        T1,2026-09-01T08:00:00Z,2026-09-01T09:00:00Z,solved,email,x\n\
        T2,not a date,2026-09-01T09:00:00Z,solved,email,x\n\
        T3,2026-09-02T08:00:00Z,2026-09-02T09:00:00Z,solved,email,x\n\
        T1,2026-09-03T08:00:00Z,2026-09-03T09:00:00Z,solved,email,x\n\
        T4,2026-09-04T08:00:00Z,2026-09-04T07:00:00Z,solved,email,x\n";
    let dir = tempfile::tempdir().unwrap();
    let t = load(dir.path(), csv.as_bytes(), None).unwrap().tickets.unwrap();
    let found = findings(&t);
    for want in [("created_at", 1, 2), ("ticket_id", 1, 4), ("first_response_at", 1, 5)] {
        assert!(found.contains(&want), "{want:?} in {found:?}");
    }
    assert_eq!((t.meta.rows_read, t.meta.rows_kept), (5, 3));
    assert!(t.frame.column("__row").is_err());
    // The repeated id alone (the first rows dropped are its), then neither.
    let readable = csv.replace("not a date", "2026-09-01T08:30:00Z");
    let t = load(dir.path(), readable.as_bytes(), None).unwrap().tickets.unwrap();
    let found = findings(&t);
    assert_eq!(found, vec![("ticket_id", 1, 4), ("first_response_at", 1, 5)]);
    let clean = readable.replace("\nT1,2026-09-03", "\nT5,2026-09-03");
    let t = load(dir.path(), clean.as_bytes(), None).unwrap().tickets.unwrap();
    let found = findings(&t);
    assert_eq!(found, vec![("first_response_at", 1, 5)]);
}

/// Label columns are split as each row's number among its block's distinct values, not
/// as text: every value comes out as the text path reads it (the same rows as NDJSON),
/// with the same findings, in every block and in either half of a block.
#[test]
fn labels_split_as_numbers_read_as_their_text() {
    let reasons = [
        "  Billing ",
        "NA",
        "\"\"",
        "\"Refund, \"\"late\"\"\"",
        "Billing",
        "Ünïcode reason",
        "a reason that is longer than thirty-two bytes",
        "",
    ];
    let channels = ["email", " Phone", "FAX", "Web", "", "chat", "SELF-SERVICE"];
    // Quoted values only in the first block: the blocks after it have no quote, so each
    // is split in two halves side by side.
    let (csv, n) = write_csv(2.5, |r, f, _| {
        let reason = reasons[(r / 7) % reasons.len()];
        if r % 7 == 0 && (r < at(0.9) || !reason.contains('"')) {
            f[4] = reason.to_string();
        }
        if r % 5 == 0 {
            f[3] = channels[(r / 5) % channels.len()].to_string();
        }
        if r % 11 == 0 {
            f[2] = ["Pending", "reopened", " closed"][(r / 11) % 3].to_string();
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let (split, text) = read_as_csv_and_ndjson(dir.path(), &csv);
    assert_eq!((split.meta.rows_read, text.meta.rows_read), (n as u64, n as u64));
    let reason = csreport::labels::text(split.frame.column("reason").unwrap()).unwrap();
    let seen: std::collections::BTreeSet<Option<&str>> = reason.iter().collect();
    for want in [None, Some("Billing"), Some("Refund, \"late\""), Some("Ünïcode reason"), Some("x")] {
        assert!(seen.contains(&want), "{want:?} in {seen:?}");
    }
    // An unknown code and an unknown status are findings (FAX, reopened).
    assert!(issues(&split).iter().any(|f| f.0 == "status" && f.4 == "reopened"), "{:?}", issues(&split));
    assert!(issues(&split).iter().any(|f| f.0 == "channel" && f.4 == "FAX"), "{:?}", issues(&split));
}

/// Each finding's column, problem, count, first row and first value.
fn issues(t: &csreport::load::Source) -> Vec<(String, String, u64, u64, String)> {
    t.meta
        .issues
        .iter()
        .map(|i| (i.column.clone(), i.problem.clone(), i.count, i.first_row, i.first_value.clone()))
        .collect()
}

/// `csv` loaded as it is, and its records as NDJSON (read as text, value by value; an
/// empty field is null): the two must hold the same values and findings.
fn read_as_csv_and_ndjson(dir: &Path, csv: &str) -> (csreport::load::Source, csreport::load::Source) {
    let mut ndjson = String::new();
    let mut reader = csv::ReaderBuilder::new().from_reader(csv.as_bytes());
    let header = reader.headers().unwrap().clone();
    for record in reader.records() {
        let record = record.unwrap();
        let object: serde_json::Map<String, serde_json::Value> = header
            .iter()
            .zip(record.iter())
            .map(|(h, v)| (h.to_string(), if v.is_empty() { serde_json::Value::Null } else { v.into() }))
            .collect();
        writeln!(ndjson, "{}", serde_json::Value::Object(object)).unwrap();
    }
    let split = load(dir, csv.as_bytes(), None).unwrap().tickets.unwrap();
    std::fs::write(dir.join("t.ndjson"), &ndjson).unwrap();
    std::fs::write(dir.join("j.toml"), "[report]\ntimezone = \"UTC\"\n[inputs.tickets]\npath = \"t.ndjson\"\n")
        .unwrap();
    let cfg = Config::from_file(&dir.join("j.toml")).unwrap();
    let text = load_all(&cfg, dir).unwrap().tickets.unwrap();
    assert_eq!(split.frame.height(), text.frame.height());
    for column in ["status", "channel", "reason"] {
        let values = |t: &csreport::load::Source| -> Vec<Option<String>> {
            let c = t.frame.column(column).unwrap();
            assert!(csreport::labels::is_coded(c), "{column} is a label");
            csreport::labels::text(c).unwrap().iter().map(|v| v.map(str::to_string)).collect()
        };
        assert_eq!(values(&split), values(&text), "{column}");
    }
    let ids = |t: &csreport::load::Source| -> Vec<Option<String>> {
        t.frame.column("ticket_id").unwrap().str().unwrap().iter().map(|v| v.map(str::to_string)).collect()
    };
    assert_eq!(ids(&split), ids(&text));
    let times = |t: &csreport::load::Source| -> Vec<Option<i64>> {
        t.frame.column("created_at").unwrap().i64().unwrap().iter().collect()
    };
    assert_eq!(times(&split), times(&text));
    assert_eq!(issues(&split), issues(&text));
    (split, text)
}

/// Exports that quote every value (Zendesk's, Freshdesk's) are cut in two parts read
/// side by side, like quote-free ones, but where a record starts: most line ends here
/// are inside a quoted value, and a record running past a block's end waits for the next.
#[test]
fn an_export_quoting_every_value_reads_as_its_text() {
    let reasons = ["Billing", "line one\nline two, \"quoted\"\r\nline three\n", "Refund", "a,b", "", "Ünïcode"];
    let mut rows: Vec<Vec<String>> = Vec::new();
    let (mut bytes, mut r) = (0usize, 0usize);
    while bytes < BLOCK_BYTES * 5 / 2 {
        let mut f = vec![(1_000_000 + r).to_string(), created(r), "solved".into(), "email".into(), "x".into()];
        // Every other row's reason has three line ends; a few creation times are unread.
        f[4] = reasons[if r % 2 == 1 { 1 } else { (r / 2) % reasons.len() }].to_string();
        if r % 10_007 == 3 {
            f[1] = "not a date".into();
        }
        bytes += f.iter().map(|v| v.len() + 3).sum::<usize>() + 1;
        rows.push(f);
        r += 1;
    }
    let mut writer = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Always)
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    writer.write_record(["ticket_id", "created_at", "status", "channel", "reason"]).unwrap();
    for row in &rows {
        writer.write_record(row).unwrap();
    }
    let csv = String::from_utf8(writer.into_inner().unwrap()).unwrap();
    assert!(csv.len() > BLOCK_BYTES * 2 && csv.matches('\n').count() > 2 * rows.len());
    let dir = tempfile::tempdir().unwrap();
    let (split, _) = read_as_csv_and_ndjson(dir.path(), &csv);
    assert_eq!(split.meta.rows_read, rows.len() as u64);
    let reason = csreport::labels::text(split.frame.column("reason").unwrap()).unwrap();
    assert_eq!(reason.get(1), Some("line one\nline two, \"quoted\"\r\nline three"));
    assert_eq!(issues(&split)[0].0, "created_at");
}
