//! The typed columns of an input, stacked chunk by chunk into one array per column.
//!
//! Stacking frames and rechunking them at the end holds every chunk and its copy at
//! once (W1: +210 MB for tickets, +320 MB for calls, at the load's peak). Appending each
//! chunk's numbers and string views to growing arrays instead lets a chunk's memory go
//! as soon as it is appended, to be reused by the next one.

use polars::prelude::*;
use polars_arrow::array::builder::{ShareStrategy, StaticArrayBuilder};
use polars_arrow::array::{Array, MutableBooleanArray, MutablePrimitiveArray, Utf8ViewArrayBuilder};

enum Column {
    I64(MutablePrimitiveArray<i64>),
    F64(MutablePrimitiveArray<f64>),
    /// A number column named in `compact`, held in 4 bytes a value while every value so
    /// far is exactly a 4-byte float (counts, whole and half seconds): the first value
    /// that is not turns it into F64. Readers cast it to 8 bytes as they read it
    /// (`metrics::num`), so they see the values read.
    F32(MutablePrimitiveArray<f32>),
    Bool(MutableBooleanArray),
    /// Text: each chunk's 16-byte views are copied and its long values' bytes shared
    /// (copying every value was 10% of the load's CPU). Joining the chunks only at the end
    /// held every chunk's views and their copy (W1: +130 MB for tickets, +95 MB for calls,
    /// not given back to the system).
    Text(Box<Utf8ViewArrayBuilder>),
    /// A label (crate::labels): each chunk coded as it comes (text coded here; codes,
    /// as a label or as plain numbers from the typer, appended as they are).
    Label(Box<crate::labels::Coder>),
}

/// Columns in the first chunk's order, appended to chunk after chunk.
#[derive(Default)]
pub struct Stack {
    columns: Vec<(PlSmallStr, Column)>,
    rows: usize,
    started: bool,
    /// The text columns to hold as labels.
    labels: Vec<&'static str>,
    /// The number columns to hold in 4 bytes a value while that is exact.
    compact: Vec<&'static str>,
}

impl Stack {
    /// A stack that holds the text columns named in `labels` as labels.
    pub fn with_labels(labels: Vec<&'static str>) -> Self {
        Stack { labels, ..Default::default() }
    }

    /// A stack that also holds the number columns named in `compact` in 4 bytes a value
    /// while every value is exactly a 4-byte float.
    pub fn with_compact(mut self, compact: Vec<&'static str>) -> Self {
        self.compact = compact;
        self
    }

    /// Appends a chunk; it must have the columns (names, order and types) of the first.
    pub fn append(&mut self, part: &DataFrame) -> PolarsResult<()> {
        if !self.started {
            self.started = true;
            for c in part.columns() {
                let column = match c.dtype() {
                    DataType::Int64 => Column::I64(Default::default()),
                    DataType::Float64 if self.compact.contains(&c.name().as_str()) => Column::F32(Default::default()),
                    DataType::Float64 => Column::F64(Default::default()),
                    DataType::Boolean => Column::Bool(Default::default()),
                    DataType::String | DataType::Categorical(_, _) | DataType::UInt32
                        if self.labels.contains(&c.name().as_str()) =>
                    {
                        Column::Label(Box::new(crate::labels::Coder::new(c.name())))
                    }
                    DataType::String => Column::Text(Box::new(Utf8ViewArrayBuilder::new(ArrowDataType::Utf8View))),
                    dt => polars_bail!(ComputeError: "column `{}`: {dt} is not a typed column", c.name()),
                };
                self.columns.push((c.name().clone(), column));
            }
        }
        polars_ensure!(
            part.width() == self.columns.len(),
            ShapeMismatch: "a chunk has {} columns, the first had {}", part.width(), self.columns.len()
        );
        for ((name, into), c) in self.columns.iter_mut().zip(part.columns()) {
            polars_ensure!(c.name() == name, ColumnNotFound: "`{name}` where the first chunk had it");
            match into {
                Column::I64(a) => c.i64()?.downcast_iter().for_each(|arr| extend(a, arr)),
                Column::F64(a) => c.f64()?.downcast_iter().for_each(|arr| extend(a, arr)),
                Column::F32(a) => {
                    let values = c.f64()?;
                    if values.downcast_iter().all(|arr| arr.values().iter().all(|v| exact_f32(*v))) {
                        for arr in values.downcast_iter() {
                            if arr.null_count() == 0 {
                                a.extend_trusted_len_values(arr.values().iter().map(|v| *v as f32));
                            } else {
                                a.extend_trusted_len(arr.iter().map(|v| v.map(|v| *v as f32)));
                            }
                        }
                    } else {
                        let mut wide =
                            MutablePrimitiveArray::<f64>::with_capacity(a.capacity().max(a.values().len() + c.len()));
                        wide.extend_trusted_len(a.iter().map(|v| v.map(|v| *v as f64)));
                        values.downcast_iter().for_each(|arr| extend(&mut wide, arr));
                        *into = Column::F64(wide);
                    }
                }
                Column::Bool(a) => c.bool()?.downcast_iter().for_each(|arr| a.extend_trusted_len(arr.iter())),
                Column::Text(a) => {
                    c.str()?.downcast_iter().for_each(|arr| a.subslice_extend(arr, 0, arr.len(), ShareStrategy::Always))
                }
                Column::Label(a) if crate::labels::is_coded(c) || c.dtype() == &DataType::UInt32 => {
                    a.append_coded(c)?
                }
                Column::Label(a) => a.append(c.str()?)?,
            }
        }
        self.rows += part.height();
        Ok(())
    }

    /// Whether a chunk has been appended.
    pub fn started(&self) -> bool {
        self.started
    }

    /// Room for `rows` more rows in every column (memory reserved is not resident until
    /// written: a generous estimate costs nothing).
    pub fn reserve(&mut self, rows: usize) {
        for (_, c) in &mut self.columns {
            match c {
                Column::I64(a) => a.reserve(rows),
                Column::F64(a) => a.reserve(rows),
                Column::F32(a) => a.reserve(rows),
                Column::Bool(a) => a.reserve(rows),
                Column::Text(a) => a.reserve(rows),
                Column::Label(a) => a.reserve(rows),
            }
        }
    }

    /// The stacked frame: one chunk per column. Polars checks each label's codes against
    /// its categories, a lookup a row (W1's calls: 28 ms for 12M codes, at the end of
    /// the load's last file): half of the labels are finished on a second thread.
    pub fn finish(self) -> PolarsResult<DataFrame> {
        // A smaller input is finished on this thread: the other would wait for a core for
        // longer than it saves.
        const SPLIT_FROM_ROWS: usize = 500_000;
        let split = self.rows >= SPLIT_FROM_ROWS;
        self.finish_split(split)
    }

    fn finish_split(self, split: bool) -> PolarsResult<DataFrame> {
        let finish = |(name, c): (PlSmallStr, Column)| match c {
            Column::I64(a) => Int64Chunked::with_chunk(name, a.into()).into_column(),
            Column::F64(a) => Float64Chunked::with_chunk(name, a.into()).into_column(),
            Column::F32(a) => Float32Chunked::with_chunk(name, a.into()).into_column(),
            Column::Bool(a) => BooleanChunked::with_chunk(name, a.into()).into_column(),
            Column::Text(a) => StringChunked::with_chunk(name, a.freeze()).into_column(),
            Column::Label(a) => a.finish(&name),
        };
        // Every other label, from the first, goes to the second thread; the rest stay.
        let mut labels = 0;
        let (there, here): (Vec<_>, Vec<_>) = self.columns.into_iter().enumerate().partition(|(_, (_, c))| {
            let label = matches!(c, Column::Label(_));
            labels += usize::from(label);
            label && labels % 2 == 1 && split
        });
        let finish_all = |part: Vec<(usize, (PlSmallStr, Column))>| -> Vec<(usize, polars::prelude::Column)> {
            part.into_iter().map(|(i, c)| (i, finish(c))).collect()
        };
        // (No thread when there is nothing to send it.)
        let mut columns = if there.is_empty() {
            finish_all(here)
        } else {
            std::thread::scope(|scope| {
                let there = scope.spawn(|| finish_all(there));
                let mut done = finish_all(here);
                done.extend(there.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
                done
            })
        };
        columns.sort_by_key(|(i, _)| *i);
        DataFrame::new(self.rows, columns.into_iter().map(|(_, c)| c).collect())
    }
}

/// Whether `v` is exactly a 4-byte float (NaN is not: its bits need not survive).
pub(crate) fn exact_f32(v: f64) -> bool {
    (v as f32) as f64 == v
}

/// Appends an array's values: a copy of the values where none is missing.
pub(crate) fn extend<T: polars_arrow::types::NativeType>(
    into: &mut MutablePrimitiveArray<T>,
    arr: &polars_arrow::array::PrimitiveArray<T>,
) {
    if arr.null_count() == 0 {
        into.extend_from_slice(arr.values());
    } else {
        into.extend_trusted_len(arr.iter());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_stack_into_one_chunk_per_column_with_their_nulls() {
        let long = "a value longer than twelve bytes";
        let a = df!(
            "t" => [Some(1i64), None],
            "x" => [Some(1.5f64), None],
            "b" => [Some(true), None],
            "s" => [Some("x"), Some(long)],
        )
        .unwrap();
        // Long values in both chunks: the second's views must point at its own bytes.
        let other = "another value past the inline twelve";
        let b = df!(
            "t" => [Some(3i64), Some(4)],
            "x" => [Some(-2.0f64), Some(0.0)],
            "b" => [Some(false), None],
            "s" => [None, Some(other)],
        )
        .unwrap();
        let mut stack = Stack::default();
        stack.append(&a).unwrap();
        stack.append(&b).unwrap();
        let got = stack.finish().unwrap();
        let mut want = a.clone();
        want.vstack_mut(&b).unwrap();
        assert!(got.equals_missing(&want));
        assert!(got.columns().iter().all(|c| c.n_chunks() == 1));
        let s: Vec<Option<&str>> = got.column("s").unwrap().str().unwrap().iter().collect();
        assert_eq!(s, [Some("x"), Some(long), None, Some(other)]);
    }

    #[test]
    fn a_label_column_is_coded_chunk_after_chunk_and_plain_text_is_not() {
        let long = "a reason longer than twelve bytes";
        let a = df!("stack_label" => [Some("x"), Some(long), None], "s" => ["p", "q", "r"]).unwrap();
        let b = df!("stack_label" => [Some(long), Some("y")], "s" => ["t", "u"]).unwrap();
        // A chunk already coded while typing (vocabulary codes, mapped text).
        let mut c = df!("stack_label" => [Some("y"), None, Some("z")], "s" => ["v", "w", "x"]).unwrap();
        let coded = crate::labels::encode(c.column("stack_label").unwrap()).unwrap();
        c.replace("stack_label", coded).unwrap();
        let mut stack = Stack::with_labels(vec!["stack_label"]);
        stack.append(&a).unwrap();
        stack.append(&b).unwrap();
        stack.append(&c).unwrap();
        let got = stack.finish().unwrap();
        assert!(crate::labels::is_coded(got.column("stack_label").unwrap()));
        assert_eq!(got.column("s").unwrap().dtype(), &DataType::String);
        let text = crate::labels::text(got.column("stack_label").unwrap()).unwrap();
        let text: Vec<Option<&str>> = text.iter().collect();
        assert_eq!(text, [Some("x"), Some(long), None, Some(long), Some("y"), Some("y"), None, Some("z")]);
        let (ids, _) = crate::labels::codes(got.column("stack_label").unwrap()).unwrap();
        assert_eq!(ids.get(1), ids.get(3));
        assert_eq!(ids.get(4), ids.get(5));
    }

    /// Labels finished on two threads come out as on one, in the columns' order.
    #[test]
    fn labels_finished_side_by_side_keep_their_places_and_codes() {
        let frame = df!(
            "stack_a" => [Some("x"), None, Some("y")],
            "n" => [1i64, 2, 3],
            "stack_b" => [Some("p"), Some("q"), Some("p")],
            "stack_c" => [None, Some("z"), Some("x")],
            "s" => ["u", "v", "w"],
        )
        .unwrap();
        let stacked = |split: bool| {
            let mut stack = Stack::with_labels(vec!["stack_a", "stack_b", "stack_c"]);
            stack.append(&frame).unwrap();
            stack.append(&frame).unwrap();
            stack.finish_split(split).unwrap()
        };
        let (one, two) = (stacked(false), stacked(true));
        let mut want = frame.clone();
        want.vstack_mut(&frame).unwrap();
        let names = |f: &DataFrame| f.get_column_names().iter().map(|n| n.to_string()).collect::<Vec<_>>();
        let strings = |c: &StringChunked| c.iter().map(|v| v.map(str::to_string)).collect::<Vec<_>>();
        for got in [&one, &two] {
            assert_eq!(names(got), ["stack_a", "n", "stack_b", "stack_c", "s"]);
            for c in ["stack_a", "stack_b", "stack_c"] {
                let text = crate::labels::text(got.column(c).unwrap()).unwrap();
                assert_eq!(strings(&text), strings(want.column(c).unwrap().str().unwrap()), "{c}");
            }
            assert!(got.column("n").unwrap().equals_missing(want.column("n").unwrap()));
            assert!(got.column("s").unwrap().equals_missing(want.column("s").unwrap()));
        }
    }

    #[test]
    fn a_compact_number_column_is_held_in_4_bytes_while_exact_and_in_8_from_the_first_value_that_is_not() {
        let chunk = |v: Vec<Option<f64>>, w: Vec<Option<f64>>| df!("n" => v, "w" => w).unwrap();
        let values = |f: &DataFrame, c: &str| -> Vec<Option<f64>> {
            f.column(c).unwrap().cast(&DataType::Float64).unwrap().f64().unwrap().iter().collect()
        };
        // Whole and half seconds, a large count, nulls: exact as 4-byte floats.
        let a = chunk(vec![Some(1.0), None, Some(0.5)], vec![Some(16_777_216.0), Some(-3.0), None]);
        let b = chunk(vec![Some(1e7), Some(-0.0)], vec![Some(2.0), Some(7.0)]);
        let mut exact = Stack::default().with_compact(vec!["n", "w"]);
        exact.append(&a).unwrap();
        exact.append(&b).unwrap();
        let got = exact.finish().unwrap();
        assert_eq!(got.column("n").unwrap().dtype(), &DataType::Float32);
        assert_eq!(got.column("w").unwrap().dtype(), &DataType::Float32);
        assert_eq!(values(&got, "n"), [Some(1.0), None, Some(0.5), Some(1e7), Some(-0.0)]);
        assert_eq!(values(&got, "w"), [Some(16_777_216.0), Some(-3.0), None, Some(2.0), Some(7.0)]);
        // 0.1, 2^24 + 1 and NaN are not: from that chunk on the column is 8 bytes a value,
        // the earlier chunks' values (and nulls) with it; a column not named stays 8 bytes.
        for odd in [0.1, 16_777_217.0, f64::NAN] {
            let c = chunk(vec![Some(4.0), Some(odd)], vec![None, Some(5.0)]);
            let mut stack = Stack::default().with_compact(vec!["n"]);
            stack.reserve(8);
            for part in [&a, &c, &b] {
                stack.append(part).unwrap();
            }
            let got = stack.finish().unwrap();
            assert_eq!(got.column("n").unwrap().dtype(), &DataType::Float64);
            assert_eq!(got.column("w").unwrap().dtype(), &DataType::Float64);
            let n = values(&got, "n");
            assert_eq!(n[..4], [Some(1.0), None, Some(0.5), Some(4.0)]);
            assert_eq!(n[4].map(f64::to_bits), Some(odd.to_bits()));
            assert_eq!(n[5..], [Some(1e7), Some(-0.0)]);
            assert_eq!(got.column("n").unwrap().null_count(), 1);
        }
    }

    #[test]
    fn a_chunk_unlike_the_first_is_an_error() {
        let mut stack = Stack::default();
        stack.append(&df!("t" => [1i64]).unwrap()).unwrap();
        assert!(stack.append(&df!("u" => [1i64]).unwrap()).is_err());
        assert!(stack.append(&df!("t" => [1i64], "u" => [2i64]).unwrap()).is_err());
    }

    #[test]
    fn no_rows_gives_the_columns_empty() {
        let mut stack = Stack::default();
        stack.append(&df!("t" => Vec::<i64>::new(), "s" => Vec::<&str>::new()).unwrap()).unwrap();
        let got = stack.finish().unwrap();
        assert_eq!((got.height(), got.width()), (0, 2));
    }
}
