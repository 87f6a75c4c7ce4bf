//! NDJSON read straight into text columns, a block of lines at a time, each block's
//! two halves side by side: every value of the keys a profile reads becomes its text as
//! `serde_json::Value` gives it (a string as it is, a number by its digits, true/false,
//! nested values as their JSON), null or missing is null, and every key is named in the
//! order keys first appear. No `Value` is built per record, the text of a string without
//! escapes is not copied, and the values of the other keys are only checked as JSON.
//!
//! A JSON array of objects is read the same way, in two halves side by side when a
//! comma between two elements is found past its middle.
//!
//! A line that is not one JSON object (an array that is not of objects), or text that
//! is not UTF-8, gives `None`: the caller then reads the file the way that names the
//! line (the element) and what is wrong with it.

use polars::prelude::*;
use polars_arrow::array::{MutableBinaryViewArray, Utf8ViewArray};
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::io::Read;
use std::path::Path;

/// Bytes read at a time (whole lines are parsed; the unfinished last one waits).
const BLOCK: usize = 8 << 20;

/// The file's records: a frame of the wanted keys' values (text columns, in the order
/// keys first appear) and every key's name in that order; None when a line is not one
/// JSON object or the file is not UTF-8.
pub fn read(path: &Path, wanted: &[String]) -> anyhow::Result<Option<(DataFrame, Vec<String>)>> {
    let mut file = std::fs::File::open(path)?;
    let mut all = Columns::default();
    let (mut block, mut pending) = (Vec::with_capacity(BLOCK), Vec::new());
    let mut first = true;
    loop {
        block.clear();
        block.append(&mut pending);
        let read = (&mut file).take(BLOCK as u64).read_to_end(&mut block)?;
        let last = read == 0;
        let cut = if last { block.len() } else { memchr::memrchr(b'\n', &block).map_or(0, |i| i + 1) };
        pending.extend_from_slice(&block[cut..]);
        let Ok(text) = std::str::from_utf8(&block[..cut]) else { return Ok(None) };
        // A byte-order mark (Windows tools write one) is not part of the first record.
        let text = if first { text.strip_prefix('\u{feff}').unwrap_or(text) } else { text };
        first = false;
        // Every line end ends a record (a line end inside a JSON string is escaped), as
        // in a quote-free CSV block: cut where that is.
        let parts = match super::halfway(text, b'"', true) {
            Some(mid) => {
                let (a, b) = std::thread::scope(|scope| {
                    let second = scope.spawn(|| Part::parse(&text[mid..], wanted));
                    (Part::parse(&text[..mid], wanted), second.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                });
                vec![a, b]
            }
            None => vec![Part::parse(text, wanted)],
        };
        for part in parts {
            let Some(part) = part else { return Ok(None) };
            all.add(part);
        }
        if last {
            break;
        }
    }
    Ok(Some(all.finish()?))
}

/// The records of a stretch of lines: its keys in the order they first appear in it,
/// and the wanted ones' values (None for a key not wanted).
struct Part {
    names: Vec<String>,
    columns: Vec<Option<MutableBinaryViewArray<str>>>,
    rows: usize,
}

impl Part {
    /// The elements of a JSON array of objects; None when it is not one. With `open`,
    /// the text may end before the array does, right after an element (the first half
    /// of `read_array`'s two), but not inside one.
    fn array(bytes: &[u8], wanted: &[String], open: bool) -> Option<Part> {
        let text = std::str::from_utf8(bytes).ok()?;
        let mut parser = Parser::new(wanted);
        let mut de = serde_json::Deserializer::from_str(text);
        match de::Deserializer::deserialize_seq(&mut de, Records(&mut parser)) {
            Ok(()) => de.end().ok()?,
            // The text ended where the next comma (or the closing bracket) would be.
            Err(e) if open && e.is_eof() && !parser.inside => {}
            Err(_) => return None,
        }
        Some(parser.part)
    }

    /// None when a line is not one JSON object.
    fn parse(text: &str, wanted: &[String]) -> Option<Part> {
        let mut parser = Parser::new(wanted);
        for line in text.split_terminator('\n') {
            if line.trim().is_empty() {
                continue;
            }
            let mut de = serde_json::Deserializer::from_str(line);
            parser.record(&mut de).ok()?;
            de.end().ok()?;
        }
        Some(parser.part)
    }
}

/// The records of a JSON array of objects (the whole file's bytes, after any byte-order
/// mark), as `read` gives NDJSON's; None when it is not an array of objects or not UTF-8.
///
/// The elements are parsed in two halves side by side when a place between two of
/// them can be found past the middle (`halves_of`): the first half is the text before that
/// comma, which must end right after an element, and the second the text from it, the
/// comma read as the `[` that opens it (set in `bytes` for the parse, then put back). A
/// comma inside a string or a nested value would leave the first half's last element
/// unfinished: the array is then parsed whole, on one thread.
pub fn read_array(bytes: &mut [u8], wanted: &[String]) -> anyhow::Result<Option<(DataFrame, Vec<String>)>> {
    let bytes = match bytes.starts_with(b"\xEF\xBB\xBF") {
        true => &mut bytes[3..],
        false => bytes,
    };
    if let Some(cut) = halves_of(bytes) {
        bytes[cut] = b'[';
        let (first, second) = bytes.split_at(cut);
        let (a, b) = std::thread::scope(|scope| {
            let b = scope.spawn(|| Part::array(second, wanted, false));
            (Part::array(first, wanted, true), b.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
        });
        bytes[cut] = b',';
        if let Some(a) = a {
            // The first half ended between two elements: the comma was the one after it.
            let Some(b) = b else { return Ok(None) };
            let mut all = Columns::default();
            all.add(a);
            all.add(b);
            return Ok(Some(all.finish()?));
        }
    }
    let Some(part) = Part::array(bytes, wanted, false) else { return Ok(None) };
    let mut all = Columns::default();
    all.add(part);
    Ok(Some(all.finish()?))
}

/// A comma between two elements of a JSON array of objects, a little past the middle,
/// as its text suggests: `}`, the comma, then `{` and the first element's first key,
/// whitespace aside (a nested array of objects starts its objects with other keys, as a
/// rule). Only a suggestion: `read_array` checks it.
pub(super) fn halves_of(b: &[u8]) -> Option<usize> {
    const LOOK: usize = 16 << 20;
    let ws = |i: usize| b.get(i..).map_or(i, |rest| i + rest.iter().take_while(|c| c.is_ascii_whitespace()).count());
    let open = ws(0);
    let first = ws(open + 1);
    if b.get(open) != Some(&b'[') || b.get(first) != Some(&b'{') {
        return None;
    }
    // The first key, quotes included (one without escapes).
    let key_at = ws(first + 1);
    let key_end = key_at + 1 + memchr::memchr2(b'"', b'\\', b.get(key_at + 1..)?)?;
    if b[key_at] != b'"' || b[key_end] != b'"' {
        return None;
    }
    let key = &b[key_at..=key_end];
    let from = b.len() / 2;
    let to = (from + LOOK).min(b.len());
    memchr::memchr_iter(b'}', &b[from..to]).map(|i| from + i).find_map(|close| {
        let comma = ws(close + 1);
        if b.get(comma) != Some(&b',') {
            return None;
        }
        let next = ws(comma + 1);
        let k = ws(next + 1);
        (b.get(next) == Some(&b'{') && b.get(k..k + key.len()) == Some(key)).then_some(comma)
    })
}

/// Records parsed into a part: the keys so far, the keys of the record before in its
/// order (the next one mostly has the same), and the record's wanted values.
struct Parser<'de, 'w> {
    part: Part,
    index: std::collections::HashMap<String, usize>,
    order: Vec<usize>,
    values: Vec<Option<Cow<'de, str>>>,
    wanted: &'w [String],
    /// A record was begun and not finished.
    inside: bool,
}

impl<'de, 'w> Parser<'de, 'w> {
    fn new(wanted: &'w [String]) -> Self {
        let part = Part { names: Vec::new(), columns: Vec::new(), rows: 0 };
        Parser { part, index: Default::default(), order: Vec::new(), values: Vec::new(), wanted, inside: false }
    }

    /// One record, a row: its wanted values (the last of a key given twice, as
    /// `serde_json::Map` keeps it), null where it has none.
    fn record<D: de::Deserializer<'de>>(&mut self, d: D) -> Result<(), D::Error> {
        self.values.iter_mut().for_each(|v| *v = None);
        self.inside = true;
        d.deserialize_map(Record(self))?;
        self.inside = false;
        for (column, value) in self.part.columns.iter_mut().zip(self.values.iter_mut()) {
            if let Some(column) = column {
                column.push(value.take());
            }
        }
        self.part.rows += 1;
        Ok(())
    }

    /// The column of the record's `at`-th key.
    fn column(&mut self, key: &str, at: usize) -> usize {
        if let Some(&c) = self.order.get(at) {
            if self.part.names[c] == key {
                return c;
            }
        }
        let c = match self.index.get(key) {
            Some(&c) => c,
            None => {
                let c = self.part.names.len();
                self.part.names.push(key.to_string());
                self.index.insert(key.to_string(), c);
                let column = self.wanted.iter().any(|w| w == key).then(|| {
                    let mut column = MutableBinaryViewArray::<str>::with_capacity(self.part.rows + 1024);
                    column.extend_null(self.part.rows);
                    column
                });
                self.part.columns.push(column);
                self.values.push(None);
                c
            }
        };
        if at < self.order.len() {
            self.order[at] = c;
        } else {
            self.order.push(c);
        }
        c
    }
}

/// One record's keys and values.
struct Record<'p, 'de, 'w>(&'p mut Parser<'de, 'w>);

impl<'de> Visitor<'de> for Record<'_, 'de, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut at = 0;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            let c = self.0.column(&key, at);
            at += 1;
            if self.0.part.columns[c].is_some() {
                self.0.values[c] = map.next_value_seed(Text)?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

/// An array's records, each a row.
struct Records<'p, 'de, 'w>(&'p mut Parser<'de, 'w>);

impl<'de> Visitor<'de> for Records<'_, 'de, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of JSON objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(RecordSeed(&mut *self.0))?.is_some() {}
        Ok(())
    }
}

struct RecordSeed<'p, 'de, 'w>(&'p mut Parser<'de, 'w>);

impl<'de> DeserializeSeed<'de> for RecordSeed<'_, 'de, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.0.record(d)
    }
}

/// A value as the text `serde_json::Value` gives of it, None for null.
struct Text;

impl<'de> DeserializeSeed<'de> for Text {
    type Value = Option<Cow<'de, str>>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Text {
    type Value = Option<Cow<'de, str>>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(Cow::Borrowed(if v { "true" } else { "false" })))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(serde_json::Number::from(v).to_string())))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(serde_json::Number::from(v).to_string())))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        let n = serde_json::Number::from_f64(v).ok_or_else(|| E::custom("not a finite number"))?;
        Ok(Some(Cow::Owned(n.to_string())))
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Borrowed(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(v.to_string())))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(v)))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let v: serde_json::Value = serde::Deserialize::deserialize(de::value::MapAccessDeserializer::new(map))?;
        Ok(Some(Cow::Owned(v.to_string())))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        let v: serde_json::Value = serde::Deserialize::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
        Ok(Some(Cow::Owned(v.to_string())))
    }
}

/// The parts so far, in order: every key's name, and the wanted keys' values as
/// arrays (a part without the key: nulls).
#[derive(Default)]
struct Columns {
    names: Vec<String>,
    index: std::collections::HashMap<String, usize>,
    arrays: Vec<Option<Vec<Utf8ViewArray>>>,
    rows: usize,
}

impl Columns {
    fn add(&mut self, part: Part) {
        let mut filled = vec![false; self.names.len()];
        for (name, column) in part.names.into_iter().zip(part.columns) {
            let c = match self.index.get(&name) {
                Some(&c) => c,
                None => {
                    let c = self.names.len();
                    self.index.insert(name.clone(), c);
                    self.names.push(name);
                    let before = (self.rows > 0).then(|| null(self.rows)).into_iter().collect();
                    self.arrays.push(column.is_some().then_some(before));
                    filled.push(false);
                    c
                }
            };
            if let (Some(arrays), Some(column)) = (self.arrays[c].as_mut(), column) {
                arrays.push(column.into());
                filled[c] = true;
            }
        }
        for (arrays, filled) in self.arrays.iter_mut().zip(filled) {
            if let (Some(arrays), false) = (arrays, filled) {
                if part.rows > 0 {
                    arrays.push(null(part.rows));
                }
            }
        }
        self.rows += part.rows;
    }

    fn finish(self) -> PolarsResult<(DataFrame, Vec<String>)> {
        let columns: Vec<Column> = self
            .names
            .iter()
            .zip(self.arrays)
            .filter_map(|(name, arrays)| {
                let arrays = arrays?;
                let ca = if arrays.is_empty() {
                    StringChunked::full_null(name.as_str().into(), 0)
                } else {
                    StringChunked::from_chunk_iter(name.as_str().into(), arrays)
                };
                Some(ca.into_column())
            })
            .collect();
        Ok((DataFrame::new(self.rows, columns)?, self.names))
    }
}

fn null(rows: usize) -> Utf8ViewArray {
    Utf8ViewArray::new_null(ArrowDataType::Utf8View, rows)
}
