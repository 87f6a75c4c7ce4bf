//! CSV dialects: text encoding and separator.

use anyhow::{bail, Result};

/// Bytes to UTF-8 text. "utf-8" (a BOM is skipped), "windows-1252" / "latin-1", or
/// "auto" (default): UTF-8 when valid, else Windows-1252 (a superset of Latin-1's
/// printable characters), which is what spreadsheet exports on Windows write.
pub fn decode(bytes: Vec<u8>, encoding: Option<&str>) -> Result<(String, Option<String>)> {
    let enc = encoding.unwrap_or("auto").to_ascii_lowercase();
    let strip_bom = |b: &[u8]| if b.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
    match enc.as_str() {
        "utf-8" | "utf8" => {
            let skip = strip_bom(&bytes);
            match String::from_utf8(bytes[skip..].to_vec()) {
                Ok(s) => Ok((s, None)),
                Err(e) => {
                    let at = e.utf8_error().valid_up_to() + skip;
                    let line = bytes[..at].iter().filter(|b| **b == b'\n').count() + 1;
                    bail!("not valid UTF-8 at byte {at} (line {line}): set [csv] encoding = \"windows-1252\" in the profile if the export is Latin-1 / Windows-1252")
                }
            }
        }
        "windows-1252" | "cp1252" | "latin-1" | "latin1" | "iso-8859-1" => {
            let (text, _, _) = encoding_rs::WINDOWS_1252.decode(&bytes);
            Ok((text.into_owned(), None))
        }
        "auto" => {
            let skip = strip_bom(&bytes);
            match std::str::from_utf8(&bytes[skip..]) {
                Ok(_) => {
                    let mut b = bytes;
                    b.drain(..skip);
                    Ok((String::from_utf8(b).expect("checked"), None))
                }
                Err(_) => {
                    let (text, _, _) = encoding_rs::WINDOWS_1252.decode(&bytes);
                    Ok((text.into_owned(), Some("not UTF-8: decoded as Windows-1252".into())))
                }
            }
        }
        other => bail!("encoding `{other}`: expected utf-8, windows-1252, latin-1 or auto"),
    }
}

/// The most frequent of `,` `;` tab `|` outside quotes on the header line (`,` on a tie
/// or none).
pub fn sniff_separator(text: &str) -> u8 {
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0), (b'|', 0)];
    let mut quoted = false;
    for b in text.bytes() {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => break,
            _ if !quoted => {
                for c in counts.iter_mut() {
                    if c.0 == b {
                        c.1 += 1;
                    }
                }
            }
            _ => {}
        }
    }
    counts.iter().fold((b',', 0), |best, c| if c.1 > best.1 { *c } else { best }).0
}

/// What the shape check found: data records, and those with fewer fields than the header.
#[derive(Debug, Default, PartialEq)]
pub struct Shape {
    pub records: usize,
    /// 0-based data rows (as polars numbers them: blank lines are skipped) with fewer
    /// fields than the header; polars reads their missing fields as empty.
    pub short_rows: Vec<usize>,
    /// Field count of the first short row.
    pub first_short: Option<usize>,
    /// Byte offsets in the text where data rows 0, CHUNK_ROWS, 2 × CHUNK_ROWS… start:
    /// the file is parsed and typed a chunk of rows at a time.
    pub chunk_starts: Vec<usize>,
}

/// Rows parsed and typed at a time: the text of one chunk as polars strings, not the
/// whole file's, is in memory beside the typed columns.
pub const CHUNK_ROWS: usize = 1 << 17;

/// Checks a CSV's structure before polars parses it, so that a broken file is named by
/// row and line: a quote never closed, a row with more fields than the header (a wrong
/// separator or an unquoted separator in a value), a column named twice.
pub fn check_shape(text: &str, sep: u8, quote: u8) -> Result<Shape> {
    let b = text.as_bytes();
    let mut shape = Shape::default();
    let (mut line, mut record_line) = (1usize, 1usize);
    let mut header: Option<usize> = None;
    let mut header_names: Vec<String> = Vec::new();
    let (mut fields, mut field_start, mut record_start) = (1usize, 0usize, 0usize);
    let mut pos = 0usize;
    let finish = |shape: &mut Shape,
                  header: &mut Option<usize>,
                  names: &mut Vec<String>,
                  fields: usize,
                  start: usize,
                  end: usize,
                  record_line: usize|
     -> Result<()> {
        let raw = text[start..end].trim_end_matches('\r');
        if raw.is_empty() {
            return Ok(());
        }
        match *header {
            None => {
                *header = Some(fields);
                *names = split_header(raw, sep as char, quote as char);
            }
            Some(h) if fields > h => bail!(
                "row {} (line {record_line}) has {fields} fields, the header has {h}: check the separator and that values containing `{}` are quoted",
                shape.records + 1,
                sep as char
            ),
            Some(h) => {
                if shape.records % CHUNK_ROWS == 0 {
                    shape.chunk_starts.push(start);
                }
                if fields < h {
                    shape.short_rows.push(shape.records);
                    if shape.first_short.is_none() {
                        shape.first_short = Some(fields);
                    }
                }
                shape.records += 1;
            }
        }
        Ok(())
    };
    while pos < b.len() {
        // A record on one line without a quote (most of them): its fields are its
        // separators plus one, counted in one pass over the line.
        if pos == record_start {
            let end = memchr::memchr(b'\n', &b[pos..]).map_or(b.len(), |o| pos + o);
            let bytes = &b[pos..end];
            if memchr::memchr(quote, bytes).is_none() {
                let fields = 1 + bytes.iter().filter(|c| **c == sep).count();
                finish(&mut shape, &mut header, &mut header_names, fields, record_start, end, record_line)?;
                line += 1;
                record_line = line;
                pos = (end + 1).min(b.len());
                (field_start, record_start) = (pos, pos);
                continue;
            }
        }
        // At the start of a field: a quoted field runs to its closing quote.
        if pos == field_start && b[pos] == quote {
            let open_line = line;
            let mut i = pos + 1;
            loop {
                match memchr::memchr2(quote, b'\n', &b[i..]) {
                    None => {
                        let row = match header {
                            Some(_) => format!("row {}", shape.records + 1),
                            None => "the header".to_string(),
                        };
                        bail!(
                            "{row} (line {open_line}): a quoted value opened here is never closed: check for a stray `{}`",
                            quote as char
                        )
                    }
                    Some(off) if b[i + off] == b'\n' => {
                        line += 1;
                        i += off + 1;
                    }
                    Some(off) => {
                        let q = i + off;
                        if b.get(q + 1) == Some(&quote) {
                            i = q + 2;
                        } else {
                            pos = q + 1;
                            break;
                        }
                    }
                }
            }
            continue;
        }
        match memchr::memchr2(sep, b'\n', &b[pos..]) {
            None => break,
            Some(off) => {
                let at = pos + off;
                if b[at] == sep {
                    fields += 1;
                    pos = at + 1;
                    field_start = pos;
                } else {
                    finish(&mut shape, &mut header, &mut header_names, fields, record_start, at, record_line)?;
                    line += 1;
                    record_line = line;
                    pos = at + 1;
                    (fields, field_start, record_start) = (1, pos, pos);
                }
            }
        }
    }
    if record_start < b.len() {
        finish(&mut shape, &mut header, &mut header_names, fields, record_start, b.len(), record_line)?;
    }
    let mut seen: Vec<(&str, usize)> = Vec::new();
    for (i, n) in header_names.iter().enumerate() {
        if let Some((_, first)) = seen.iter().find(|(s, _)| *s == n.as_str()) {
            bail!("the header names column `{n}` twice (columns {} and {}): rename one", first + 1, i + 1);
        }
        seen.push((n.as_str(), i));
    }
    Ok(shape)
}

/// The header's column names (quotes removed).
fn split_header(line: &str, sep: char, quote: char) -> Vec<String> {
    let (mut out, mut cur, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c == quote {
            if quoted && chars.peek() == Some(&quote) {
                cur.push(quote);
                chars.next();
            } else {
                quoted = !quoted;
            }
        } else if c == sep && !quoted {
            out.push(std::mem::take(&mut cur).trim().to_string());
        } else {
            cur.push(c);
        }
    }
    out.push(cur.trim().to_string());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_the_header_separator_outside_quotes() {
        assert_eq!(sniff_separator("a;b;\"c,d,e\"\n1;2;3"), b';');
        assert_eq!(sniff_separator("a\tb\tc\n"), b'\t');
        assert_eq!(sniff_separator("a,b\n1;2;3;4"), b',');
        assert_eq!(sniff_separator("single\n"), b',');
    }

    #[test]
    fn checks_the_shape_of_a_csv() {
        let ok = check_shape("a,b,c\n1,\"x,\ny\"\"\",3\n\n4,5\r\n", b',', b'"').unwrap();
        assert_eq!(ok, Shape { records: 2, short_rows: vec![1], first_short: Some(2), chunk_starts: vec![6] });
        let e = check_shape("a,b\n1,2\n3,\"4\n5,6\n", b',', b'"').unwrap_err().to_string();
        assert_eq!(e, "row 2 (line 3): a quoted value opened here is never closed: check for a stray `\"`");
        let e = check_shape("a,b\n1,2\n3,4,5\n", b',', b'"').unwrap_err().to_string();
        assert!(e.starts_with("row 2 (line 3) has 3 fields, the header has 2"), "{e}");
        let e = check_shape("a,\"b\",a\n", b',', b'"').unwrap_err().to_string();
        assert_eq!(e, "the header names column `a` twice (columns 1 and 3): rename one");
        assert_eq!(check_shape("a,b", b',', b'"').unwrap().records, 0);
    }

    #[test]
    fn decodes_bom_and_windows_1252() {
        let (s, n) = decode(b"\xEF\xBB\xBFid\n".to_vec(), None).unwrap();
        assert_eq!((s.as_str(), n), ("id\n", None));
        let (s, n) = decode(b"R\xE9seau\n".to_vec(), None).unwrap();
        assert_eq!(s, "Réseau\n");
        assert!(n.unwrap().contains("Windows-1252"));
        let e = decode(b"R\xE9seau\n".to_vec(), Some("utf-8")).unwrap_err().to_string();
        assert!(e.contains("not valid UTF-8 at byte 1 (line 1)"), "{e}");
    }
}
