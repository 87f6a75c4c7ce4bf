//! Labels: the text columns whose values repeat from row to row (channels, priorities,
//! reasons, products, agents, teams, queues, outcomes) are held as polars categoricals:
//! a 4-byte code per row and each distinct text once, where plain text holds a 16-byte
//! view per row and, for a value longer than 12 bytes (most reasons and agent names),
//! its bytes again on every row. Filters, group-bys and joins on them then work on the
//! codes. Ids, customers and comments stay text (see `NOT_LABELS`).
//!
//! Each canonical column has its own categories, shared by every input that has it
//! (tickets' and calls' reasons compare code to code). The codes are given as values
//! are first met, by loading threads that run side by side, so they can differ from run
//! to run: nothing may depend on a code's number. Polars sorts categoricals by their
//! text, and every output orders its rows by value.

use crate::views::{chunk_values, TextKey};
use polars::prelude::*;
use polars_arrow::array::{Array as _, MutablePrimitiveArray};

/// The canonical text and code columns that are not labels: one value per row (ids),
/// free text (comments), and customers, whose values repeat too little for a dictionary
/// to pay (W1: 830,000 customers for 3.3 million contacts, and adding each to polars'
/// dictionary cost twice the time that coding them once for repeat contacts does, for
/// about the memory it saved).
pub const NOT_LABELS: [&str; 5] = ["ticket_id", "call_id", "survey_id", "comment", "customer_id"];

/// Whether a canonical column of this kind is held as a label.
pub fn is_label(name: &str, kind: crate::load::schema::Kind) -> bool {
    use crate::load::schema::Kind;
    matches!(kind, Kind::Text | Kind::Code) && !NOT_LABELS.contains(&name)
}

/// The categorical type of a label column: the same categories for the same column name,
/// for the life of the process. (Polars frees a mapping when no column holds it, and
/// would give the next column of that name new codes: codes taken from a column that
/// has since been dropped would no longer compare.)
pub fn dtype(name: &str) -> DataType {
    static KEPT: std::sync::Mutex<Vec<(String, DataType)>> = std::sync::Mutex::new(Vec::new());
    let mut kept = KEPT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, dt)) = kept.iter().find(|(n, _)| n == name) {
        return dt.clone();
    }
    let dt = DataType::from_categories(Categories::new(name.into(), "csreport".into(), CategoricalPhysical::U32));
    kept.push((name.to_string(), dt.clone()));
    dt
}

/// Whether a column is held as a label.
pub fn is_coded(column: &Column) -> bool {
    matches!(column.dtype(), DataType::Categorical(_, _))
}

/// A column's values as text: a label's codes turned back into text (a copy), plain text
/// as it is. For small frames (group-by results) and columns read once.
pub fn text(column: &Column) -> PolarsResult<StringChunked> {
    match column.dtype() {
        DataType::String => Ok(column.str()?.clone()),
        DataType::Categorical(_, _) => Ok(column.cast(&DataType::String)?.str()?.clone()),
        dt => polars_bail!(SchemaMismatch: "column `{}` is {dt}, not text", column.name()),
    }
}

/// The distinct values of a text or label column, in the order first met (nulls aside).
pub fn distinct(column: &Column) -> PolarsResult<Vec<String>> {
    let mut out = Vec::new();
    if let DataType::Categorical(_, mapping) = column.dtype() {
        let mut seen = vec![false; mapping.num_cats_upper_bound()];
        for arr in column.cat32()?.physical().downcast_iter() {
            // The codes' slice, validity looked at only for a code not seen yet (a
            // null's slot holds some code): a few milliseconds for millions of rows.
            for (i, &id) in arr.values().iter().enumerate() {
                if seen.get(id as usize).is_none_or(|s| !s) && arr.is_valid(i) {
                    seen[id as usize] = true;
                    out.push(mapping.cat_to_str(id).unwrap_or_default().to_string());
                }
            }
        }
        return Ok(out);
    }
    // Short values are told apart by their views, without their text.
    let mut short: rustc_hash::FxHashSet<u128> = Default::default();
    let mut long: rustc_hash::FxHashSet<&str> = Default::default();
    for arr in column.str()?.downcast_iter() {
        for v in chunk_values(arr).flatten() {
            let new = match v.key() {
                TextKey::Short(k) => short.insert(k),
                TextKey::Long(s) => long.insert(s),
            };
            if new {
                out.push(v.text().to_string());
            }
        }
    }
    Ok(out)
}

/// `f` of each row's value of a text or label column (None where null): for a label,
/// once per distinct value and null, not per row.
pub fn per_row<T: Clone>(column: &Column, mut f: impl FnMut(Option<&str>) -> T) -> PolarsResult<Vec<T>> {
    if let DataType::Categorical(_, mapping) = column.dtype() {
        let none = f(None);
        let table: Vec<T> = (0..mapping.num_cats_upper_bound() as u32).map(|i| f(mapping.cat_to_str(i))).collect();
        let ids = column.cat32()?.physical();
        let mut out = Vec::with_capacity(ids.len());
        for arr in ids.downcast_iter() {
            if arr.null_count() == 0 {
                out.extend(arr.values().iter().map(|id| table[*id as usize].clone()));
            } else {
                out.extend(arr.iter().map(|id| id.map_or_else(|| none.clone(), |id| table[*id as usize].clone())));
            }
        }
        return Ok(out);
    }
    Ok(column.str()?.iter().map(f).collect())
}

/// A label's codes as dense numbers for the caller's own grouping: (code per row, None
/// where null; how many numbers there can be). Codes of the same column name compare
/// across frames.
pub fn codes(column: &Column) -> PolarsResult<(&UInt32Chunked, usize)> {
    let ca = column.cat32()?;
    Ok((ca.physical(), ca.get_mapping().num_cats_upper_bound()))
}

/// Builds a label column from text given chunk by chunk: each distinct text is looked up
/// in the categories once per chunk (a value of up to 12 bytes once per column, by its
/// view), not once per row.
pub struct Coder {
    mapping: Arc<CategoricalMapping>,
    short: rustc_hash::FxHashMap<u128, u32>,
    ids: MutablePrimitiveArray<u32>,
}

impl Coder {
    pub fn new(name: &str) -> Self {
        let mapping = dtype(name).cat_mapping().expect("a categorical type").clone();
        Coder { mapping, short: Default::default(), ids: MutablePrimitiveArray::new() }
    }

    pub fn reserve(&mut self, rows: usize) {
        self.ids.reserve(rows);
    }

    /// Appends a chunk of text.
    pub fn append(&mut self, ca: &StringChunked) -> PolarsResult<()> {
        let mut long: rustc_hash::FxHashMap<&str, u32> = Default::default();
        for arr in ca.downcast_iter() {
            for v in chunk_values(arr) {
                let Some(v) = v else {
                    self.ids.push(None);
                    continue;
                };
                let id = match v.key() {
                    TextKey::Short(k) => match self.short.get(&k) {
                        Some(&id) => id,
                        None => {
                            let id = self.mapping.insert_cat(v.text())?;
                            self.short.insert(k, id);
                            id
                        }
                    },
                    TextKey::Long(s) => match long.get(s) {
                        Some(&id) => id,
                        None => {
                            let id = self.mapping.insert_cat(s)?;
                            long.insert(s, id);
                            id
                        }
                    },
                };
                self.ids.push_value(id);
            }
        }
        Ok(())
    }

    /// Appends a chunk already coded: a label of the same name, or its codes in
    /// `dtype(name)`'s categories as plain numbers (as the loader types them).
    pub fn append_coded(&mut self, column: &Column) -> PolarsResult<()> {
        let ids = match column.dtype() {
            DataType::UInt32 => column.u32()?,
            _ => codes(column)?.0,
        };
        ids.downcast_iter().for_each(|arr| crate::load::stack::extend(&mut self.ids, arr));
        Ok(())
    }

    pub fn finish(self, name: &str) -> Column {
        from_codes(name, self.ids)
    }
}

/// A label column from codes given by `dtype(name)`'s mapping.
pub fn from_codes(name: &str, ids: MutablePrimitiveArray<u32>) -> Column {
    let ids = UInt32Chunked::with_chunk(name.into(), ids.into());
    Categorical32Chunked::from_cats_and_dtype(ids, dtype(name)).into_column()
}

/// A text column as a label column (a chunk at a time, as while loading).
pub fn encode(column: &Column) -> PolarsResult<Column> {
    let mut coder = Coder::new(column.name());
    coder.reserve(column.len());
    coder.append(column.str()?)?;
    Ok(coder.finish(column.name()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_keeps_its_values_and_shares_codes_across_columns_of_its_name() {
        let long = "a reason longer than twelve bytes";
        let a = Column::new("test_label".into(), [Some("x"), None, Some(long), Some("x"), Some("")]);
        let mut coder = Coder::new("test_label");
        coder.append(a.str().unwrap()).unwrap();
        // A second chunk: the long value is met again in another chunk's buffers.
        let b = Column::new("test_label".into(), [Some(long), Some("y"), None]);
        coder.append(b.str().unwrap()).unwrap();
        let coded = coder.finish("test_label");
        assert!(is_coded(&coded));
        let back: Vec<Option<String>> = text(&coded).unwrap().iter().map(|v| v.map(str::to_string)).collect();
        let s = |v: &str| Some(v.to_string());
        assert_eq!(back, [s("x"), None, s(long), s("x"), s(""), s(long), s("y"), None]);
        let (ids, n) = codes(&coded).unwrap();
        let ids: Vec<Option<u32>> = ids.iter().collect();
        assert_eq!(ids[0], ids[3]);
        assert_eq!(ids[2], ids[5]);
        assert_ne!(ids[0], ids[2]);
        assert!(ids.iter().flatten().all(|&i| (i as usize) < n));
        assert_eq!(distinct(&coded).unwrap(), ["x", long, "", "y"]);
        assert_eq!(distinct(&a).unwrap(), ["x", long, ""]);
        // Another frame's column of the same name: the same text, the same code.
        let other = encode(&Column::new("test_label".into(), [long, "x"])).unwrap();
        let other_ids: Vec<Option<u32>> = codes(&other).unwrap().0.iter().collect();
        assert_eq!(other_ids, [ids[2], ids[0]]);
    }

    #[test]
    fn ids_and_comments_are_not_labels_every_other_text_is() {
        use crate::load::schema::{self, Kind};
        for source in ["tickets", "calls", "surveys", "agent_time"] {
            for c in schema::columns(source).0 {
                let text = matches!(c.kind, Kind::Text | Kind::Code);
                let unique = c.name.ends_with("_id") || c.name == "comment";
                assert_eq!(is_label(c.name, c.kind), text && !unique, "{source}.{}", c.name);
            }
        }
        assert!(!is_label("comment", Kind::Text));
        assert!(!is_label("created_at", Kind::Timestamp));
    }
}
