//! CSV records split into fields, straight into polars columns: only the columns a
//! profile reads are kept, and those it reads as plain timestamps or numbers are typed
//! here, without text in between.
//!
//! The text given is whole records already checked by `dialect::ShapeCheck` (quotes
//! closed, no record with more fields than the header), so splitting cannot fail; or a
//! block without a quote, whose shape the split reports (`Seen`: each line a record or
//! blank, fields counted) for the check to judge after (`ShapeCheck::account`). The
//! rules:
//! - a blank line (nothing but `\r`) is no record;
//! - an unquoted field is its bytes as they are (no trimming), the last field of a line
//!   without its `\r`; an empty one is missing (null);
//! - a quoted field is its text between the quotes with `""` read as `"` (an empty
//!   quoted field is an empty value, not a missing one); text after the closing quote,
//!   before the separator, is kept after it;
//! - a record with fewer fields than the header has its missing fields null.
//!
//! A typed column reads each value as the text path does (`parse::cell`, then the parser):
//! trimmed; empty or a null token is missing; a value the parser does not read is
//! missing and noted, with its row, as unread.

use super::parse::{self, LocalClock};
use super::schema::Kind;
use super::BadValues;
use polars::prelude::*;
use polars_arrow::array::{MutableBinaryViewArray, MutablePrimitiveArray, Utf8ViewArray};

/// What a kept column becomes.
enum Sink {
    Text(MutableBinaryViewArray<str>),
    /// A label (crate::labels): each row's number in the block's list of distinct
    /// values, no text per row; the typer cleans, maps and codes each distinct value
    /// once (W1: 20 million label cells).
    Label(Vec<u32>, Distinct),
    Timestamp(MutablePrimitiveArray<i64>, BadValues),
    Number(MutablePrimitiveArray<f64>, BadValues),
}

/// A column typed while splitting: the canonical column it is, its source name, values
/// and unread values (rows from the chunk's first).
pub struct Typed {
    pub canonical: &'static str,
    pub source: String,
    pub values: Series,
    pub unread: BadValues,
}

/// A label column as split: for each row, its value's place in `values` (the block's
/// distinct values as they are in the file, in the order first met), NO_VALUE where
/// the field is missing.
pub struct Label {
    pub canonical: &'static str,
    pub source: String,
    pub rows: Vec<u32>,
    pub values: Vec<Box<str>>,
}

/// A missing field in `Label::rows`.
pub const NO_VALUE: u32 = u32::MAX;

/// A label column's distinct values in a block, each with its number (its place in the
/// order first met). (Keying values of up to 15, 16 or 32 bytes by their bytes as
/// integers, with no string comparison, was no faster on W1.)
#[derive(Default)]
struct Distinct {
    numbers: rustc_hash::FxHashMap<Box<str>, u32>,
    values: Vec<Box<str>>,
}

impl Distinct {
    /// The number of `v`, given it now if it is new.
    #[inline]
    fn number(&mut self, v: &str) -> u32 {
        if let Some(&n) = self.numbers.get(v) {
            return n;
        }
        let n = self.values.len() as u32;
        self.numbers.insert(v.into(), n);
        self.values.push(v.into());
        n
    }
}

/// What the split saw of a block's shape, on its lines without a quote (all of a
/// quote-free block's): lines (blank ones included), the records with fewer fields than
/// the header (from 0) and the first one's count, and the first record with more
/// (record, line from 0, fields). `dialect::ShapeCheck::account` makes its findings
/// from these, for a block it did not read itself.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Seen {
    pub lines: usize,
    pub short: Vec<usize>,
    pub first_short: Option<usize>,
    pub too_long: Option<(usize, usize, usize)>,
}

/// The records of one block: how many, the kept text columns as a frame, and the typed
/// columns.
pub struct Chunk {
    pub rows: usize,
    pub seen: Seen,
    /// On a file's first chunk, about how many rows the file has (to size the arrays
    /// that gather them once, not by doubling).
    pub expected_rows: Option<usize>,
    pub text: DataFrame,
    pub typed: Vec<Typed>,
    pub labels: Vec<Label>,
}

/// Splits records into the columns kept.
#[derive(Clone)]
pub struct Fields {
    sep: u8,
    quote: u8,
    /// The file's field count (the header's).
    width: usize,
    /// For each field of a record, the kept column it goes to.
    slot_of: Vec<Option<usize>>,
    /// The kept columns' names, and which are typed here (as which canonical column, of
    /// which kind).
    names: Vec<(String, Option<(&'static str, Kind)>)>,
    nulls: parse::Nulls,
    clock: LocalClock,
    /// Records in the block before: the next block's arrays are made that size at once.
    rows_hint: usize,
}

impl Fields {
    /// `header`: the file's column names; `keep`: whether to keep each, and as text
    /// (None) or typed; `nulls`: the null tokens; `clock`: local times' timezone.
    pub fn new(
        sep: u8,
        quote: u8,
        header: &[String],
        keep: impl Fn(&str) -> Option<Option<(&'static str, Kind)>>,
        nulls: Vec<String>,
        clock: LocalClock,
    ) -> Self {
        let mut names = Vec::new();
        let slot_of = header
            .iter()
            .map(|h| {
                keep(h).map(|kind| {
                    names.push((h.clone(), kind));
                    names.len() - 1
                })
            })
            .collect();
        Fields { sep, quote, width: header.len(), slot_of, names, nulls: parse::Nulls::new(nulls), clock, rows_hint: 0 }
    }

    /// The kept columns of the records in `text`.
    pub fn chunk(&mut self, text: &str) -> PolarsResult<Chunk> {
        let mut sinks: Vec<Sink> = self
            .names
            .iter()
            .map(|(_, kind)| match kind {
                Some((_, Kind::Timestamp | Kind::Date)) => {
                    Sink::Timestamp(MutablePrimitiveArray::with_capacity(self.rows_hint), BadValues::default())
                }
                Some((_, Kind::Number)) => {
                    Sink::Number(MutablePrimitiveArray::with_capacity(self.rows_hint), BadValues::default())
                }
                Some((_, Kind::Text | Kind::Code)) => {
                    Sink::Label(Vec::with_capacity(self.rows_hint), Default::default())
                }
                _ => Sink::Text(MutableBinaryViewArray::with_capacity(self.rows_hint)),
            })
            .collect();
        let mut seen = Seen::default();
        let rows = self.split(text, &mut sinks, &mut seen);
        self.rows_hint = rows + rows / 16;
        let mut columns = Vec::new();
        let mut typed = Vec::new();
        let mut labels = Vec::new();
        for (sink, (name, kind)) in sinks.into_iter().zip(&self.names) {
            let canonical = kind.map_or("", |(c, _)| c);
            let name: PlSmallStr = name.as_str().into();
            match sink {
                Sink::Text(arr) => {
                    let arr: Utf8ViewArray = arr.into();
                    columns.push(StringChunked::with_chunk(name, arr).into_column());
                }
                Sink::Timestamp(v, unread) => typed.push(Typed {
                    canonical,
                    source: name.to_string(),
                    values: Int64Chunked::with_chunk(name, v.into()).into_series(),
                    unread,
                }),
                Sink::Number(v, unread) => typed.push(Typed {
                    canonical,
                    source: name.to_string(),
                    values: Float64Chunked::with_chunk(name, v.into()).into_series(),
                    unread,
                }),
                Sink::Label(rows, distinct) => {
                    labels.push(Label { canonical, source: name.to_string(), rows, values: distinct.values })
                }
            }
        }
        Ok(Chunk { rows, seen, expected_rows: None, text: DataFrame::new(rows, columns)?, typed, labels })
    }

    /// A value for field `field` of record `row`.
    #[inline]
    fn put(&mut self, sinks: &mut [Sink], field: usize, row: usize, value: Option<&str>) {
        let Some(Some(slot)) = self.slot_of.get(field) else { return };
        match &mut sinks[*slot] {
            Sink::Text(arr) => match value {
                Some(v) => arr.push_value(v),
                None => arr.push_null(),
            },
            Sink::Label(rows, distinct) => rows.push(value.map_or(NO_VALUE, |v| distinct.number(v))),
            Sink::Timestamp(out, unread) => {
                out.push(value.and_then(|v| parse::cell_in(v, &self.nulls)).and_then(|t| {
                    let r = parse::timestamp(t, &mut self.clock);
                    if r.is_none() {
                        unread.note(row, t);
                    }
                    r
                }))
            }
            Sink::Number(out, unread) => out.push(value.and_then(|v| parse::cell_in(v, &self.nulls)).and_then(|t| {
                let r = parse::number(t);
                if r.is_none() {
                    unread.note(row, t);
                }
                r
            })),
        }
    }

    /// The fields a short record lacks, from `from`.
    fn rest(&mut self, sinks: &mut [Sink], row: usize, from: usize) {
        for field in from..self.width {
            self.put(sinks, field, row, None);
        }
    }

    /// Splits the records of `text` into `sinks`; returns how many there were.
    fn split(&mut self, text: &str, sinks: &mut [Sink], seen: &mut Seen) -> usize {
        let b = text.as_bytes();
        let (sep, quote) = (self.sep, self.quote);
        let mut row = 0usize;
        let mut pos = 0usize;
        let mut next_quote = memchr::memchr(quote, b);
        let mut unescaped = String::new();
        // Separators and line ends, found a word at a time from where the lines without a
        // quote start (`seek` after a record with one).
        let mut delims = Delims::new(b, sep, b'\n');
        while pos < b.len() {
            if next_quote.is_some_and(|q| q < pos) {
                next_quote = memchr::memchr(quote, &b[pos..]).map(|o| pos + o);
            }
            // A line without a quote (most of them; all of them when the rest of the text
            // has none): its fields lie between separators.
            let quoted = next_quote.is_some_and(|q| memchr::memchr(b'\n', &b[pos..q]).is_none());
            if !quoted {
                // A line of separators alone (the empty rows a spreadsheet leaves under its
                // data) is no record, as a blank line is not: looked at only when a line
                // starts with a separator.
                if b[pos] == sep {
                    let end = memchr::memchr(b'\n', &b[pos..]).map_or(b.len(), |i| pos + i);
                    // As the shape check sees it: line-end CRs aside, separators only.
                    let line = &b[pos..end];
                    let kept = line.len() - line.iter().rev().take_while(|c| **c == b'\r').count();
                    if line[..kept].iter().all(|c| *c == sep) {
                        seen.lines += 1;
                        pos = end + 1;
                        continue;
                    }
                }
                delims.seek(pos);
                let (mut field, mut start) = (0usize, pos);
                let line_end = loop {
                    match delims.next() {
                        Some(at) if b[at] == sep => {
                            self.put(sinks, field, row, unquoted(&text[start..at]));
                            field += 1;
                            start = at + 1;
                        }
                        Some(at) => break at,
                        None => break b.len(),
                    }
                };
                let line_start = pos;
                pos = line_end + 1;
                seen.lines += 1;
                if field == 0 && b[line_start..line_end].iter().all(|c| *c == b'\r') {
                    continue;
                }
                let last = &text[start..line_end];
                self.put(sinks, field, row, unquoted(last.strip_suffix('\r').unwrap_or(last)));
                let fields = field + 1;
                if fields < self.width {
                    seen.short.push(row);
                    seen.first_short.get_or_insert(fields);
                } else if fields > self.width && seen.too_long.is_none() {
                    seen.too_long = Some((row, seen.lines - 1, fields));
                }
                self.rest(sinks, row, fields);
                row += 1;
                continue;
            }
            // A record with a quote: field by field (a quoted field may hold separators
            // and line ends).
            let mut field = 0usize;
            loop {
                let end = if b.get(pos) == Some(&quote) {
                    let mut i = pos + 1;
                    let mut segment = i;
                    unescaped.clear();
                    let mut doubled = false;
                    let close = loop {
                        let q = find2(b, i, quote, quote).unwrap_or(b.len());
                        if q + 1 < b.len() && b[q + 1] == quote {
                            unescaped.push_str(&text[segment..=q]);
                            (i, segment, doubled) = (q + 2, q + 2, true);
                        } else {
                            break q;
                        }
                    };
                    let after = (close + 1).min(b.len());
                    let end = find2(b, after, sep, b'\n').unwrap_or(b.len());
                    let mut tail = &text[after..end];
                    if end == b.len() || b[end] == b'\n' {
                        tail = tail.strip_suffix('\r').unwrap_or(tail);
                    }
                    let inner = &text[segment.min(close)..close];
                    if doubled || !tail.is_empty() {
                        unescaped.push_str(inner);
                        unescaped.push_str(tail);
                        let value = std::mem::take(&mut unescaped);
                        self.put(sinks, field, row, Some(&value));
                        unescaped = value;
                    } else {
                        self.put(sinks, field, row, Some(inner));
                    }
                    end
                } else {
                    let end = find2(b, pos, sep, b'\n').unwrap_or(b.len());
                    let mut v = &text[pos..end];
                    if end == b.len() || b[end] == b'\n' {
                        v = v.strip_suffix('\r').unwrap_or(v);
                    }
                    self.put(sinks, field, row, unquoted(v));
                    end
                };
                field += 1;
                pos = end + 1;
                if end >= b.len() || b[end] == b'\n' {
                    break;
                }
            }
            self.rest(sinks, row, field);
            row += 1;
        }
        row
    }
}

/// The first `a` or `b` in `text` from `from`: the byte at `from` first (after a closing
/// quote, mostly the separator or the line end), then the first 32 bytes a word at a
/// time (most fields are shorter), the rest by memchr (a call per field of a quoted
/// record spent more on setting up the search than on the few bytes it read).
#[inline]
pub(crate) fn find2(text: &[u8], from: usize, a: u8, b: u8) -> Option<usize> {
    if text.get(from).is_some_and(|c| *c == a || *c == b) {
        return Some(from);
    }
    let (wa, wb) = (Delims::ONES * u64::from(a), Delims::ONES * u64::from(b));
    let mut at = from;
    for _ in 0..4 {
        let Some(word) = text.get(at..at + 8) else { break };
        let x = u64::from_le_bytes(word.try_into().expect("8 bytes"));
        let found = Delims::zeros(x ^ wa) | Delims::zeros(x ^ wb);
        if found != 0 {
            return Some(at + (found.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    memchr::memchr2(a, b, text.get(at..)?).map(|o| at + o)
}

/// The positions of two bytes (a separator and the line end) in a text, in order, found
/// eight bytes at a time: each word of the text is compared with both at once (exact
/// zero-byte tests, no SIMD instructions needed). memchr's search, called once per field,
/// spent more on setting up each call than on the few bytes of a field (W1: 8% of the
/// load's CPU, half of it with this).
struct Delims<'a> {
    text: &'a [u8],
    a: u64,
    b: u64,
    /// The next word's start, and the found bytes of the one before it (their high bits).
    at: usize,
    found: u64,
}

impl<'a> Delims<'a> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;

    fn new(text: &'a [u8], a: u8, b: u8) -> Self {
        Delims { text, a: Self::ONES * u64::from(a), b: Self::ONES * u64::from(b), at: 0, found: 0 }
    }

    /// The high bit of each zero byte of `x`.
    fn zeros(x: u64) -> u64 {
        !(((x & Self::LOW7) + Self::LOW7) | x | Self::LOW7)
    }

    /// Goes on from `pos` (kept when it is where the search stands: the bytes found in the
    /// word at hand are not looked for again).
    fn seek(&mut self, pos: usize) {
        let word = self.at.saturating_sub(8);
        if self.found != 0 && pos >= word && pos < self.at {
            // Drop the found bytes before `pos` in the word at hand.
            let keep = (pos - word) * 8;
            self.found &= u64::MAX << keep;
        } else if pos != self.at || self.found != 0 {
            (self.at, self.found) = (pos, 0);
        }
    }
}

impl Iterator for Delims<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        loop {
            if self.found != 0 {
                let i = self.at - 8 + (self.found.trailing_zeros() / 8) as usize;
                self.found &= self.found - 1;
                return Some(i);
            }
            let rest = self.text.get(self.at..)?;
            let mut word = [0u8; 8];
            let n = rest.len().min(8);
            if n == 0 {
                return None;
            }
            word[..n].copy_from_slice(&rest[..n]);
            let x = u64::from_le_bytes(word);
            let mut found = Self::zeros(x ^ self.a) | Self::zeros(x ^ self.b);
            if n < 8 {
                // Past the text's end: the padding is nothing found.
                found &= u64::MAX >> (64 - 8 * n);
                if found == 0 {
                    self.at = self.text.len();
                    return None;
                }
            }
            self.found = found;
            self.at += 8;
        }
    }
}

/// An unquoted field: missing when empty.
fn unquoted(v: &str) -> Option<&str> {
    (!v.is_empty()).then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(header: &[&str], keep: &[&str], typed: &[(&str, &'static str, Kind)]) -> Fields {
        let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
        let keep = |h: &str| {
            let typed = typed.iter().find(|(t, ..)| *t == h).map(|(_, c, k)| (*c, *k));
            (keep.contains(&h) || typed.is_some()).then_some(typed)
        };
        let nulls = vec!["NA".to_string(), "null".to_string()];
        Fields::new(b',', b'"', &header, keep, nulls, LocalClock::new(chrono_tz::Europe::Paris))
    }

    fn split(text: &str, header: &[&str], keep: &[&str]) -> Vec<Vec<Option<String>>> {
        let df = fields(header, keep, &[]).chunk(text).unwrap().text;
        let names: Vec<&str> = df.get_column_names().iter().map(|n| n.as_str()).collect();
        assert_eq!(names, keep.iter().copied().filter(|k| header.contains(k)).collect::<Vec<_>>());
        df.columns().iter().map(|c| c.str().unwrap().iter().map(|v| v.map(str::to_string)).collect()).collect()
    }

    fn s(v: &str) -> Option<String> {
        Some(v.to_string())
    }

    /// The word-at-a-time search against a byte-by-byte one, on random texts, going on
    /// from random later positions as the splitter does after a quoted record.
    #[test]
    fn delimiters_are_found_where_they_are() {
        let mut rng = crate::test_rng::Rng(0x2545_F491_4F6C_DD1D);
        let mut rand = |n: u64| rng.below(n);
        let alphabet = [b'a', b',', b'\n', b'\r', b'"', 0x2c + 0x80, 0xff, 0x00];
        for round in 0..2000 {
            let text: Vec<u8> = (0..rand(40)).map(|_| alphabet[rand(8) as usize]).collect();
            let want = |from: usize| (from..text.len()).find(|&i| text[i] == b',' || text[i] == b'\n');
            let mut d = Delims::new(&text, b',', b'\n');
            let mut from = 0;
            loop {
                if rand(4) == 0 {
                    from += rand(6) as usize;
                    d.seek(from);
                }
                let got = d.next();
                assert_eq!(got, want(from), "round {round}, from {from}, text {text:?}");
                match got {
                    Some(at) => from = at + 1,
                    None => break,
                }
            }
        }
    }

    #[test]
    fn find2_finds_the_first_of_two_bytes_near_and_far() {
        let text = format!("ab\"c{}x,y\"z", "-".repeat(40));
        let b = text.as_bytes();
        assert_eq!(find2(b, 0, b'"', b'"'), Some(2));
        assert_eq!(find2(b, 3, b',', b'"'), Some(45));
        assert_eq!(find2(b, 3, b'"', b','), Some(45));
        assert_eq!(find2(b, 46, b'"', b'\n'), Some(47));
        assert_eq!(find2(b, 3, b'!', b'?'), None);
        assert_eq!(find2(b, b.len(), b'z', b'z'), None);
        assert_eq!(find2(b, b.len() - 1, b'z', b'z'), Some(b.len() - 1));
        // Every offset within and past the first words.
        for at in 0..b.len() {
            let want = b[at..].iter().position(|c| *c == b'"' || *c == b'x').map(|o| at + o);
            assert_eq!(find2(b, at, b'"', b'x'), want, "from {at}");
        }
    }

    #[test]
    fn plain_lines_keep_only_the_columns_asked_for() {
        let got = split("1,x,a\n2,,b\r\n3,z,\n", &["id", "t", "u"], &["id", "u"]);
        assert_eq!(got, vec![vec![s("1"), s("2"), s("3")], vec![s("a"), s("b"), None]]);
    }

    #[test]
    fn blank_lines_are_no_records_and_values_are_not_trimmed() {
        let got = split("\n1, 2 \r\n\r\n\r\r\n3,4\n\n", &["a", "b"], &["a", "b"]);
        assert_eq!(got, vec![vec![s("1"), s("3")], vec![s(" 2 "), s("4")]]);
    }

    #[test]
    fn only_one_carriage_return_is_the_line_end() {
        let got = split("1,2\r\r\n", &["a", "b"], &["a", "b"]);
        assert_eq!(got, vec![vec![s("1")], vec![s("2\r")]]);
    }

    #[test]
    fn short_records_have_their_missing_fields_null() {
        let got = split("1\n2,\n\"3\"\n", &["a", "b", "c"], &["a", "c"]);
        assert_eq!(got, vec![vec![s("1"), s("2"), s("3")], vec![None, None, None]]);
    }

    #[test]
    fn quoted_fields() {
        let text = "1,\"a,b\"\n2,\"\"\"\"\r\n3,\"\"\n4,\"m\r\nx\"\n5,ab\"c\n6,\"q\"\"x\"\"\"\n7,\"x\"z\r\n8,\"\",\n";
        let got = split(text, &["a", "b", "c"], &["a", "b", "c"]);
        let a: Vec<_> = (1..=8).map(|i| s(&i.to_string())).collect();
        assert_eq!(got[0], a);
        assert_eq!(got[1], vec![s("a,b"), s("\""), s(""), s("m\r\nx"), s("ab\"c"), s("q\"x\""), s("xz"), s("")]);
        assert_eq!(got[2], vec![None; 8]);
    }

    #[test]
    fn a_last_record_without_its_newline() {
        assert_eq!(split("1,2", &["a", "b"], &["b"]), vec![vec![s("2")]]);
        assert_eq!(split("1,\"2\"", &["a", "b"], &["b"]), vec![vec![s("2")]]);
        assert_eq!(split("1,\"2\"\r", &["a", "b"], &["b"]), vec![vec![s("2")]]);
    }

    #[test]
    fn no_records_gives_empty_columns() {
        assert_eq!(split("", &["a", "b"], &["a", "b"]), vec![Vec::<Option<String>>::new(); 2]);
    }

    #[test]
    fn long_and_unicode_values_survive() {
        let long = "é".repeat(40);
        let got = split(&format!("{long},\"{long}\"\n"), &["a", "b"], &["a", "b"]);
        assert_eq!(got, vec![vec![s(&long)], vec![s(&long)]]);
    }

    #[test]
    fn typed_columns_read_values_as_the_text_path_does() {
        let mut f = fields(
            &["id", "at", "n", "t"],
            &["id", "t"],
            &[("at", "created_at", Kind::Timestamp), ("n", "reopens", Kind::Number)],
        );
        let text = "1,2026-01-05T10:00:00Z, 2 ,x\n                    2, 2026-07-01 12:30 ,NA,y\n                    3,yesterday,1e400,z\n                    4,,abc,\n                    5,\"2026-01-05\",\" -1.5\"\n\
                    6,null,inf\n";
        let chunk = f.chunk(text).unwrap();
        assert_eq!(chunk.text.get_column_names(), ["id", "t"]);
        assert_eq!(chunk.text.column("t").unwrap().str().unwrap().get(4), None);
        let [at, n] = &chunk.typed[..] else { panic!("two typed columns") };
        assert_eq!((at.canonical, at.source.as_str()), ("created_at", "at"));
        // Paris: UTC+2 in July, UTC+1 in January; a date alone is its local midnight.
        let jan5 = 1_767_571_200_000i64;
        let got: Vec<Option<i64>> = at.values.i64().unwrap().iter().collect();
        assert_eq!(
            got,
            [Some(jan5 + 10 * 3_600_000), Some(1_782_901_800_000), None, None, Some(jan5 - 3_600_000), None]
        );
        assert_eq!(at.unread.rows, [2]);
        assert_eq!(at.unread.first, Some((2, "yesterday".to_string())));
        assert_eq!((n.canonical, n.source.as_str()), ("reopens", "n"));
        let got: Vec<Option<f64>> = n.values.f64().unwrap().iter().collect();
        assert_eq!(got, [Some(2.0), None, None, None, Some(-1.5), None]);
        // Not finite, not a number: unread; a null token or nothing: missing.
        assert_eq!(n.unread.rows, [2, 3, 5]);
        assert_eq!(n.unread.first, Some((2, "1e400".to_string())));
    }

    #[test]
    fn records_read_as_the_csv_crate_reads_what_it_writes() {
        // Pieces that exercise quoting: separators, quotes, line breaks of both kinds,
        // spaces, non-ASCII text, long values (past a string view's 12 inline bytes).
        let pieces = [
            "",
            "a",
            "plain",
            " padded ",
            ",",
            ";",
            "\t",
            "|",
            "\"",
            "\"\"",
            "line\nbreak",
            "cr\r\nlf",
            "\r",
            "é€漢",
            "a value longer than twelve bytes",
            "'",
            "=1+2",
            "trailing\\",
        ];
        let mut rng = crate::test_rng::Rng(0x9E37_79B9_7F4A_7C15);
        for round in 0..400 {
            let sep = [b',', b';', b'\t', b'|'][rng.below(4) as usize];
            let crlf = rng.below(2) == 0;
            let width = 1 + rng.below(5) as usize;
            let mut rows: Vec<Vec<String>> = Vec::new();
            for _ in 0..1 + rng.below(30) {
                // Now and then a short row (the missing fields read as empty).
                let n = if rng.below(8) == 0 { 1 + rng.below(width as u64) as usize } else { width };
                let row = (0..n)
                    .map(|_| (0..rng.below(3)).map(|_| pieces[rng.below(pieces.len() as u64) as usize]).collect())
                    .collect();
                rows.push(row);
            }
            let mut w = csv::WriterBuilder::new()
                .delimiter(sep)
                .flexible(true)
                .terminator(if crlf { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') })
                .from_writer(Vec::new());
            for r in &rows {
                w.write_record(r).unwrap();
            }
            let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
            // What the csv crate reads back (its empty fields are our missing values).
            let mut want: Vec<Vec<String>> = csv::ReaderBuilder::new()
                .delimiter(sep)
                .has_headers(false)
                .flexible(true)
                .from_reader(text.as_bytes())
                .records()
                .map(|r| r.unwrap().iter().map(str::to_string).collect())
                .collect();
            // A row of empty fields is written as separators alone (one empty field is
            // written `""`): a spreadsheet's empty row, which the split reads as none.
            let mut written = rows.iter();
            want.retain(|_| written.next().is_none_or(|r| r.len() < 2 || r.iter().any(|f| !f.is_empty())));
            for r in &mut want {
                r.resize(width, String::new());
            }
            let header: Vec<String> = (0..width).map(|i| format!("c{i}")).collect();
            let nulls = vec!["NA".to_string()];
            let mut f = Fields::new(sep, b'"', &header, |_| Some(None), nulls, LocalClock::new(chrono_tz::UTC));
            let chunk = f.chunk(&text).unwrap();
            assert_eq!(chunk.rows, want.len(), "round {round}: {text:?}");
            for (c, column) in chunk.text.columns().iter().enumerate() {
                let got: Vec<String> =
                    column.str().unwrap().iter().map(|v| v.unwrap_or_default().to_string()).collect();
                let expected: Vec<String> = want.iter().map(|r| r[c].clone()).collect();
                assert_eq!(got, expected, "round {round}, column {c}: {text:?}");
            }
        }
    }
}
