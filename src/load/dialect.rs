//! CSV dialects: the separator, and the structure check run before a block's records are
//! split (load::fields).

use anyhow::{bail, Result};

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
    /// 0-based data rows (blank lines are no rows) with fewer fields than the header;
    /// their missing fields are read as empty.
    pub short_rows: Vec<usize>,
    /// Field count of the first short row.
    pub first_short: Option<usize>,
}

/// What `ShapeCheck::feed` found in a block of text.
#[derive(Debug, PartialEq)]
pub struct Fed {
    /// The byte offset where the whole records end (an unfinished record after it is
    /// part of the next block).
    pub end: usize,
    /// Where the header ends, if it is in this block.
    pub header_end: Option<usize>,
    /// Where the first record after the header starting at or past the byte asked for
    /// starts, if it is before `end`: the records before it and those after can be split
    /// side by side (a quoted value may hold line ends, so a line end alone does not say
    /// where a record starts).
    pub cut: Option<usize>,
}

/// Checks a CSV's structure before its records are split, so that a broken file is named
/// by row and line: a quote never closed, a row with more fields than the header (a
/// wrong separator or an unquoted separator in a value), a column named twice. The text comes
/// in blocks (the file is read a block at a time); each block starts where a record
/// starts, and the check says how much of it is whole records.
pub struct ShapeCheck {
    sep: u8,
    quote: u8,
    shape: Shape,
    /// The line (from 1) the next block starts on.
    line: usize,
    /// The header's field count, once read.
    header: Option<usize>,
    /// The header's column names (unquoted, trimmed), once read.
    names: Vec<String>,
}

impl ShapeCheck {
    pub fn new(sep: u8, quote: u8) -> Self {
        ShapeCheck { sep, quote, shape: Shape::default(), line: 1, header: None, names: Vec::new() }
    }

    /// Checks the whole records at the start of `text` (all of it when `last`): where
    /// they end, where the header ends, and where the first record (after the header)
    /// starting at or past byte `cut` starts (see `Fed`).
    pub fn feed(&mut self, text: &str, last: bool, cut: usize) -> Result<Fed> {
        let b = text.as_bytes();
        let (sep, quote) = (self.sep, self.quote);
        let mut line = self.line;
        let mut record_line = line;
        let (mut fields, mut field_start, mut record_start) = (1usize, 0usize, 0usize);
        let mut header_end = None;
        let mut pos = 0usize;
        let mut next_quote = memchr::memchr(quote, b);
        let mut cut_at = None;
        // A record ends at `end` (its newline or the end of the text).
        let mut finish =
            |me: &mut ShapeCheck, fields: usize, start: usize, end: usize, record_line: usize| -> Result<()> {
                let raw = text[start..end].trim_end_matches('\r');
                // Blank, or separators alone (a spreadsheet's empty rows): no record.
                if raw.bytes().all(|c| c == sep) {
                    return Ok(());
                }
                let shape = &mut me.shape;
                match me.header {
                    None => {
                        me.header = Some(fields);
                        header_end = Some((end + 1).min(b.len()));
                        let names = split_header(raw, sep as char, quote as char);
                        let mut seen: Vec<(&str, usize)> = Vec::new();
                        // Columns without a name (the empty columns spreadsheets leave at the
                        // right) are never read: any number of them is no conflict.
                        for (i, n) in names.iter().enumerate().filter(|(_, n)| !n.trim().is_empty()) {
                            if let Some((_, first)) = seen.iter().find(|(s, _)| *s == n.as_str()) {
                                bail!(
                                    "the header names column `{n}` twice (columns {} and {}): rename one",
                                    first + 1,
                                    i + 1
                                );
                            }
                            seen.push((n.as_str(), i));
                        }
                        me.names = names;
                    }
                    Some(h) if fields > h => bail!(
                        "row {} (line {record_line}) has {fields} fields, the header has {h}: {}",
                        shape.records + 1,
                        too_long_hint(shape.records + 1, h, shape.short_rows.len() == shape.records, sep)
                    ),
                    Some(h) => {
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
                let Some(end) = memchr::memchr(b'\n', &b[pos..]).map(|o| pos + o).or(last.then_some(b.len())) else {
                    break; // unfinished: the next block has the rest
                };
                let bytes = &b[pos..end];
                // The next quote in the text, looked for again only once passed: most
                // exports have none, or few.
                if next_quote.is_some_and(|q| q < pos) {
                    next_quote = memchr::memchr(quote, &b[pos..]).map(|o| pos + o);
                }
                if next_quote.is_none_or(|q| q >= end) {
                    let fields = 1 + bytes.iter().filter(|c| **c == sep).count();
                    finish(self, fields, record_start, end, record_line)?;
                    line += 1;
                    record_line = line;
                    pos = (end + 1).min(b.len());
                    (field_start, record_start) = (pos, pos);
                    if cut_at.is_none() && pos >= cut && self.header.is_some() {
                        cut_at = Some(pos);
                    }
                    continue;
                }
            }
            // At the start of a field: a quoted field runs to its closing quote.
            if pos == field_start && b[pos] == quote {
                let open_line = line;
                let mut i = pos + 1;
                let mut closed = false;
                loop {
                    match crate::load::fields::find2(b, i, quote, b'\n') {
                        None if !last => break,
                        None => {
                            let row = match self.header {
                                Some(_) => format!("row {}", self.shape.records + 1),
                                None => "the header".to_string(),
                            };
                            bail!(
                                "{row} (line {open_line}): a quoted value opened here is never closed: check for a stray `{}`",
                                quote as char
                            )
                        }
                        Some(at) if b[at] == b'\n' => {
                            line += 1;
                            i = at + 1;
                        }
                        Some(q) => {
                            if b.get(q + 1) == Some(&quote) {
                                i = q + 2;
                            } else if q + 1 == b.len() && !last {
                                break; // a quote at the end: closing, or the first of a pair?
                            } else {
                                pos = q + 1;
                                closed = true;
                                break;
                            }
                        }
                    }
                }
                if !closed {
                    break; // unfinished: the next block has the rest
                }
                continue;
            }
            match crate::load::fields::find2(b, pos, sep, b'\n') {
                None => break,
                Some(at) => {
                    if b[at] == sep {
                        fields += 1;
                        pos = at + 1;
                        field_start = pos;
                    } else {
                        finish(self, fields, record_start, at, record_line)?;
                        line += 1;
                        record_line = line;
                        pos = at + 1;
                        (fields, field_start, record_start) = (1, pos, pos);
                        if cut_at.is_none() && pos >= cut && self.header.is_some() {
                            cut_at = Some(pos);
                        }
                    }
                }
            }
        }
        if last && record_start < b.len() {
            finish(self, fields, record_start, b.len(), record_line)?;
            record_start = b.len();
        }
        // The line the unfinished record starts on (its lines are counted again with the
        // rest of it in the next block).
        self.line = record_line;
        let cut = cut_at.filter(|c| *c < record_start);
        Ok(Fed { end: record_start, header_end, cut })
    }

    /// Whether the header has been read.
    pub fn has_header(&self) -> bool {
        self.header.is_some()
    }

    /// Takes in a block of whole records without a quote that `load::fields` split
    /// without this check reading it (`seen`: its parts in order), with the findings
    /// `feed` would have made: the same error for a record with more fields than the
    /// header, the same short rows, the lines counted on.
    pub fn account(&mut self, parts: &[(&crate::load::fields::Seen, usize)]) -> Result<()> {
        let h = self.header.expect("the header is read before a block is accounted");
        for (seen, records) in parts {
            if let Some((record, line, fields)) = seen.too_long {
                bail!(
                    "row {} (line {}) has {fields} fields, the header has {h}: {}",
                    self.shape.records + record + 1,
                    self.line + line,
                    too_long_hint(
                        self.shape.records + record + 1,
                        h,
                        self.shape.short_rows.len() == self.shape.records
                            && seen.short.iter().filter(|r| **r < record).count() == record,
                        self.sep
                    )
                );
            }
            if self.shape.first_short.is_none() {
                self.shape.first_short = seen.first_short;
            }
            self.shape.short_rows.extend(seen.short.iter().map(|r| self.shape.records + r));
            self.shape.records += records;
            self.line += seen.lines;
        }
        Ok(())
    }

    /// The header's column names (empty until it is read).
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Data records checked so far.
    pub fn records(&self) -> usize {
        self.shape.records
    }

    pub fn finish(self) -> Shape {
        self.shape
    }
}

/// What to check when data row `row` (from 1) has more fields than the header. Near the
/// top of the file, under a header of one or two fields or with every row before it
/// shorter than the header, it is most often a title line taken for the header (a
/// report exported from a BI tool).
fn too_long_hint(row: usize, header: usize, all_short_before: bool, sep: u8) -> String {
    let check = format!("check the separator and that values containing `{}` are quoted", sep as char);
    match row <= 5 && (header <= 2 || all_short_before) {
        true => format!(
            "{check}; if the file starts with lines above its header (a title), set [csv] skip_lines in the profile"
        ),
        false => check,
    }
}

/// The shape of a whole text (one block).
#[cfg(test)]
pub fn check_shape(text: &str, sep: u8, quote: u8) -> Result<Shape> {
    let mut check = ShapeCheck::new(sep, quote);
    check.feed(text, true, usize::MAX)?;
    Ok(check.finish())
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
        assert_eq!(ok, Shape { records: 2, short_rows: vec![1], first_short: Some(2) });
        let e = check_shape("a,b\n1,2\n3,\"4\n5,6\n", b',', b'"').unwrap_err().to_string();
        assert_eq!(e, "row 2 (line 3): a quoted value opened here is never closed: check for a stray `\"`");
        let e = check_shape("a,b\n1,2\n3,4,5\n", b',', b'"').unwrap_err().to_string();
        assert!(e.starts_with("row 2 (line 3) has 3 fields, the header has 2"), "{e}");
        // A row of the header's width before it, under a header of three fields: the
        // header is one, no title to skip.
        let e = check_shape("a,b,c\n1,2,3\n4,5,6,7\n", b',', b'"').unwrap_err().to_string();
        assert!(e.starts_with("row 2 (line 3) has 4 fields") && !e.contains("skip_lines"), "{e}");
        let e = check_shape("Tickets\nMonday\na,b,c\n1,2,3\n", b',', b'"').unwrap_err().to_string();
        assert!(e.starts_with("row 2 (line 3) has 3 fields, the header has 1"), "{e}");
        assert!(e.ends_with("set [csv] skip_lines in the profile"), "{e}");
        let e = check_shape("a,\"b\",a\n", b',', b'"').unwrap_err().to_string();
        assert_eq!(e, "the header names column `a` twice (columns 1 and 3): rename one");
        // Unnamed columns, as many as there are, are no names given twice.
        assert_eq!(check_shape("a,b,,, \n1,2,,,\n", b',', b'"').unwrap().records, 1);
        assert_eq!(check_shape("a,b", b',', b'"').unwrap().records, 0);
    }

    #[test]
    fn a_cut_is_where_a_record_starts_not_at_a_line_end_in_a_value() {
        let text = "a,b\n1,\"x\ny\nz\"\n2,3\n4,\"5\"\n";
        let cut = |at: usize| ShapeCheck::new(b',', b'"').feed(text, true, at).unwrap().cut;
        // Asked for a byte inside the quoted value (its line ends are not record ends).
        let inside = text.find("y").unwrap();
        assert_eq!(cut(inside), text.find("2,3"));
        assert_eq!(cut(0), text.find("1,"));
        assert_eq!(cut(text.find("4,").unwrap()), text.find("4,"));
        // Past the last record's start: no cut (the part after it would be empty).
        assert_eq!(cut(text.len() - 1), None);
        // In a block whose last record is unfinished, only before the records' end.
        let fed = ShapeCheck::new(b',', b'"').feed("a,b\n1,2\n3,\"x\ny\n", false, 5).unwrap();
        assert_eq!((fed.end, fed.cut), (8, None));
    }

    #[test]
    fn a_record_running_past_a_block_waits_for_the_next() {
        let mut check = ShapeCheck::new(b',', b'"');
        // The second record's quoted value goes on past the first block's last line.
        let first = "a,b\n1,2\n3,\"x\ny\n";
        let fed = check.feed(first, false, usize::MAX).unwrap();
        assert_eq!((fed.end, fed.header_end, check.records()), (8, Some(4), 1));
        let end = fed.end;
        let rest = format!("{}z\"\n5,6,7\n", &first[end..]);
        let e = check.feed(&rest, true, usize::MAX).unwrap_err().to_string();
        // Row 3 is on line 6: the lines of the unfinished record were not counted twice.
        assert!(e.starts_with("row 3 (line 6) has 3 fields, the header has 2"), "{e}");
    }
}
