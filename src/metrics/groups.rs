//! Per-group aggregates (per agent, team, channel, priority, reason) of a period's rows.
//!
//! Polars evaluates each aggregate's mask and values over the period's rows as plain
//! columns, in one query; the rows are then grouped here by the key's category code, in
//! one pass. Polars' group-by with a `filter` inside each aggregation built a list of
//! row numbers for every group and every aggregation, then took the values through it:
//! about a quarter of the compute stage on W1.
//!
//! Each aggregate gives what polars' group-by gave, to the bit (a test compares them on
//! random values): counts are counts; sums and means are polars' compensated (Kahan)
//! sums in row order, as its group-by makes them; medians and p90s are the values
//! `linear_quantile` reads from the sorted values (as polars' `quantile(…, Linear)`),
//! selected without sorting them all (`selected_quantiles`). Where the
//! key is not a category column, or a value column is not 8-byte floats (for which
//! polars' rounding differs), the same aggregates go through polars' group-by.

use super::{duration_exprs, linear_quantile_with, Row};
use anyhow::Result;
use polars::polars_utils::kahan_sum::KahanSum;
use polars::prelude::*;
use polars_arrow::array::Array;

/// One aggregate of a group's rows.
pub(crate) enum Agg {
    /// `name`: the rows where `mask` is true (null counts as false).
    Count(String, Expr),
    /// `name`: the sum of the non-null `values` where `keep` is true (0 for none).
    Sum(String, Expr, Expr),
    /// `name`: the mean of the non-null `values` where `keep` is true (none for none).
    Mean(String, Expr, Expr),
    /// `duration_exprs(prefix, values, keep)`: `{prefix}_mean`, `_n`, `_neg`, `_median`
    /// and `_p90` of the non-negative values where `keep` is true, and the count of the
    /// negative ones.
    Duration(String, Expr, Expr),
}

impl Agg {
    pub(crate) fn count(name: &str, mask: Expr) -> Agg {
        Agg::Count(name.into(), mask)
    }

    pub(crate) fn sum(name: &str, values: Expr, keep: Expr) -> Agg {
        Agg::Sum(name.into(), values, keep)
    }

    pub(crate) fn mean(name: &str, values: Expr, keep: Expr) -> Agg {
        Agg::Mean(name.into(), values, keep)
    }

    pub(crate) fn duration(prefix: &str, values: Expr, keep: Expr) -> Agg {
        Agg::Duration(prefix.into(), values, keep)
    }

    /// The same aggregate as polars expressions (for its group-by).
    fn exprs(&self) -> Vec<Expr> {
        match self {
            Agg::Count(name, mask) => vec![mask.clone().sum().alias(name.as_str())],
            Agg::Sum(name, v, keep) => vec![v.clone().filter(keep.clone()).sum().alias(name.as_str())],
            Agg::Mean(name, v, keep) => vec![v.clone().filter(keep.clone()).mean().alias(name.as_str())],
            Agg::Duration(prefix, v, keep) => duration_exprs(prefix, v.clone(), keep.clone()),
        }
    }

    /// The columns this aggregate reads: its mask, and its values if it has any.
    fn inputs(&self) -> (Expr, Option<Expr>) {
        match self {
            Agg::Count(_, mask) => (mask.clone(), None),
            Agg::Sum(_, v, keep) | Agg::Mean(_, v, keep) | Agg::Duration(_, v, keep) => (keep.clone(), Some(v.clone())),
        }
    }
}

/// Per group of the `key` column: the `aggs` among all its rows, as a `Row` each;
/// groups in the order polars sorts the key (null first, then the values in byte
/// order), null named `UNSET`.
pub(crate) fn grouped(frame: &DataFrame, key: &str, aggs: Vec<Agg>) -> Result<Vec<(String, Row)>> {
    let column = frame.column(key)?;
    // A category column's rows by their codes; an enum's order is not its values' byte
    // order, and text has no codes: those go through polars.
    if !matches!(column.dtype(), DataType::Categorical(_, _)) {
        return with_polars(frame, key, &aggs);
    }
    let physical = column.to_physical_repr().cast(&DataType::UInt32)?;
    by_codes(frame, column, physical.u32()?, &aggs)
}

/// `grouped` through polars' group-by (the reference the fast path is tested against).
fn with_polars(frame: &DataFrame, key: &str, aggs: &[Agg]) -> Result<Vec<(String, Row)>> {
    let exprs: Vec<Expr> = aggs.iter().flat_map(Agg::exprs).map(|e| e.cast(DataType::Float64)).collect();
    let df = frame.clone().lazy().group_by([col(key).alias("key")]).agg(exprs).collect()?;
    let df = df.sort(["key"], SortMultipleOptions::default())?;
    let keys: Vec<String> = df
        .column("key")?
        .cast(&DataType::String)?
        .str()?
        .iter()
        .map(|k| k.unwrap_or(crate::drivers::UNSET).to_string())
        .collect();
    let values = df.drop("key")?;
    let mut out = Vec::with_capacity(keys.len());
    for (i, k) in keys.into_iter().enumerate() {
        out.push((k, Row::from_frame(&values.slice(i as i64, 1))?));
    }
    Ok(out)
}

/// `exprs` evaluated over the frame's rows in one query, each as one chunk of the
/// frame's height (a literal, such as `lit(false)`, comes from polars as one row).
pub(crate) fn columns_of(frame: &DataFrame, exprs: Vec<Expr>) -> Result<Vec<Series>> {
    let df = frame.clone().lazy().select(exprs).collect()?;
    let height = frame.height();
    Ok(df
        .columns()
        .iter()
        .map(|c| {
            let c = if c.len() == 1 && height != 1 { c.new_from_index(0, height) } else { c.clone() };
            c.as_materialized_series().rechunk()
        })
        .collect())
}

/// Calls `f` with each set bit's row, in order, reading the bitmap 64 rows at a time
/// (a full word's rows without looking at its bits).
pub(crate) fn for_each_set(bits: &polars_arrow::bitmap::Bitmap, mut f: impl FnMut(usize)) {
    #[inline(always)]
    fn word_at(word: u64, at: usize, f: &mut impl FnMut(usize)) {
        if word == u64::MAX {
            (at..at + 64).for_each(f);
        } else {
            let mut w = word;
            while w != 0 {
                f(at + w.trailing_zeros() as usize);
                w &= w - 1;
            }
        }
    }
    let chunks = bits.chunks::<u64>();
    let (rest, rest_len) = (chunks.remainder(), chunks.remainder_len());
    let mut at = 0;
    for word in chunks {
        word_at(word, at, &mut f);
        at += 64;
    }
    if rest_len > 0 {
        // (The remainder's bits past its length are zero.)
        word_at(rest, at, &mut f);
    }
}

/// The rows a mask keeps (true, not null) where each of `valid` (a column's validity)
/// holds too, as bits.
pub(crate) fn kept_rows<const N: usize>(
    mask: &polars_arrow::array::BooleanArray,
    valid: [Option<&polars_arrow::bitmap::Bitmap>; N],
) -> polars_arrow::bitmap::Bitmap {
    let kept = match mask.validity() {
        Some(v) => mask.values() & v,
        None => mask.values().clone(),
    };
    valid.into_iter().flatten().fold(kept, |k, v| &k & v)
}

/// What one aggregate gathers for one group.
#[derive(Default, Clone)]
struct Acc {
    /// Rows kept (by the mask), with a value or not.
    kept: u64,
    /// Rows kept with a value (not negative, for a duration).
    count: u64,
    negative: u64,
    /// polars' own compensated sum, which its group-by sums and means use: the same
    /// additions in the same order give the same bits.
    sum: KahanSum<f64>,
    /// The last value kept: polars takes a group of one row's value as it is, not as
    /// a sum (the same but for −0).
    last: f64,
    values: Vec<f64>,
}

impl Acc {
    /// The sum as polars gives it (0 for none).
    fn sum(&self) -> f64 {
        if self.kept == 1 && self.count == 1 {
            self.last
        } else {
            self.sum.sum()
        }
    }
}

fn by_codes(frame: &DataFrame, key: &Column, codes: &UInt32Chunked, aggs: &[Agg]) -> Result<Vec<(String, Row)>> {
    // The inputs as columns of the period's rows: a mask, and values where there are.
    let mut exprs = Vec::new();
    for (i, a) in aggs.iter().enumerate() {
        let (mask, values) = a.inputs();
        exprs.push(mask.alias(format!("m{i}")));
        exprs.extend(values.map(|v| v.alias(format!("v{i}"))));
    }
    let mut inputs = columns_of(frame, exprs)?.into_iter();
    let mut input = || inputs.next().ok_or_else(|| anyhow::anyhow!("a grouped query lost a column"));
    let mut masks = Vec::with_capacity(aggs.len());
    let mut values = Vec::with_capacity(aggs.len());
    for a in aggs {
        masks.push(input()?.bool()?.clone());
        // Every aggregate but a count reads values.
        values.push(match a {
            Agg::Count(..) => None,
            _ => {
                let v = input()?;
                if v.dtype() != &DataType::Float64 {
                    return with_polars(frame, key.name(), aggs);
                }
                Some(v.f64()?.clone())
            }
        });
    }
    // Each row's group: groups numbered as their codes are first met, null last.
    let most = codes.max().map_or(0, |m| m as usize + 1);
    let mut slot_of: Vec<u32> = vec![u32::MAX; most + 1];
    let mut first_rows: Vec<usize> = Vec::new();
    let mut group: Vec<u32> = Vec::with_capacity(codes.len());
    for arr in codes.downcast_iter() {
        for (i, &c) in arr.values().iter().enumerate() {
            // A null's slot holds some code: its validity is looked at only then.
            let s = if arr.validity().is_some_and(|v| !v.get_bit(i)) { most } else { c as usize };
            if slot_of[s] == u32::MAX {
                slot_of[s] = first_rows.len() as u32;
                first_rows.push(group.len());
            }
            group.push(slot_of[s]);
        }
    }
    let n_groups = first_rows.len();
    let mut accs: Vec<Vec<Acc>> = vec![vec![Acc::default(); n_groups]; aggs.len()];
    for (i, a) in aggs.iter().enumerate() {
        let mask = masks[i].downcast_iter().next().expect("rechunked");
        let kept = kept_rows(mask, []);
        let accs = &mut accs[i];
        match &values[i] {
            None => for_each_set(&kept, |r| accs[group[r] as usize].count += 1),
            Some(v) => {
                let v = v.downcast_iter().next().expect("rechunked");
                let duration = matches!(a, Agg::Duration(..));
                for_each_set(&kept, |r| {
                    let acc = &mut accs[group[r] as usize];
                    let x = v.is_valid(r).then(|| v.value(r));
                    // What polars' filter keeps: every row the mask keeps, or for a
                    // duration only those with a value not negative.
                    match x {
                        Some(x) if duration && x < 0.0 => acc.negative += 1,
                        Some(x) if !duration || x >= 0.0 => {
                            acc.kept += 1;
                            acc.count += 1;
                            acc.sum += x;
                            acc.last = x;
                            if duration {
                                acc.values.push(x);
                            }
                        }
                        _ => acc.kept += u64::from(!duration),
                    }
                });
            }
        }
    }
    // The groups' names, in polars' order of the key.
    let firsts = IdxCa::from_vec("i".into(), first_rows.iter().map(|r| *r as IdxSize).collect());
    let names = key.take(&firsts)?.cast(&DataType::String)?;
    let names: Vec<Option<String>> = names.str()?.iter().map(|s| s.map(str::to_string)).collect();
    let mut order: Vec<usize> = (0..n_groups).collect();
    order.sort_by(|a, b| names[*a].cmp(&names[*b]));
    let mut out = Vec::with_capacity(n_groups);
    for g in order {
        let mut row = Vec::new();
        for (a, accs) in aggs.iter().zip(accs.iter_mut()) {
            let acc = &mut accs[g];
            let mean = (acc.count > 0).then(|| acc.sum() / acc.count as f64);
            match a {
                Agg::Count(name, _) => row.push((name.clone(), Some(acc.count as f64))),
                Agg::Sum(name, ..) => row.push((name.clone(), Some(acc.sum()))),
                Agg::Mean(name, ..) => row.push((name.clone(), mean)),
                Agg::Duration(prefix, ..) => {
                    row.push((format!("{prefix}_mean"), mean));
                    row.push((format!("{prefix}_n"), Some(acc.count as f64)));
                    row.push((format!("{prefix}_neg"), Some(acc.negative as f64)));
                    let [median, p90] = selected_quantiles(&mut acc.values, [0.5, 0.9]);
                    row.push((format!("{prefix}_median"), median));
                    row.push((format!("{prefix}_p90"), p90));
                }
            }
        }
        let name = names[g].clone().unwrap_or_else(|| crate::drivers::UNSET.to_string());
        out.push((name, Row(row)));
    }
    Ok(out)
}

/// `linear_quantile` of `values` in any order, which it reorders, at each of `qs`: the
/// value at the lower place selected (`select_nth_unstable`), the next one the least of
/// those above it, without sorting them all. Where the quantiles ascend, each after the
/// first is selected among the values from the one before's place on (those of its rank
/// and above), not among them all again.
pub(crate) fn selected_quantiles<const N: usize>(values: &mut [f64], qs: [f64; N]) -> [Option<f64>; N] {
    let n = values.len();
    let mut from = 0;
    qs.map(|q| {
        linear_quantile_with(n, q, |low, high| {
            if low < from {
                from = 0;
            }
            let (_, lower, above) = values[from..].select_nth_unstable_by(low - from, f64::total_cmp);
            let lower = *lower;
            let upper = if high > low { above.iter().copied().min_by(f64::total_cmp).unwrap_or(lower) } else { lower };
            from = low;
            (lower, upper)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::Rng;

    /// The rows visited are the set bits, in order: bitmaps with full words, empty
    /// words and mixed ones, of lengths around 64, sliced off a word's start.
    #[test]
    fn each_set_bit_is_visited_once_in_order() {
        let mut rng = Rng(0x0DDB_1A5E_5BAD_5EED);
        for round in 0..80 {
            let n = [0, 1, 63, 64, 65, 200, 1000][round % 7] + rng.below(3) as usize;
            let bits: Vec<bool> = (0..n)
                .map(|i| match (i / 64 + round) % 3 {
                    0 => true,
                    1 => false,
                    _ => rng.below(2) == 0,
                })
                .collect();
            let bitmap = polars_arrow::bitmap::Bitmap::from_iter(bits.iter().copied());
            let skip = (round % 5).min(n);
            let bitmap = bitmap.sliced(skip, n - skip);
            let want: Vec<usize> = bitmap.true_idx_iter().collect();
            let mut got = Vec::new();
            for_each_set(&bitmap, |r| got.push(r));
            assert_eq!(got, want, "round {round}");
            assert_eq!(want, (0..n - skip).filter(|i| bits[i + skip]).collect::<Vec<_>>());
        }
    }

    /// A frame of `n` rows: a category key (with nulls), a mask (with nulls), and
    /// values with fractions, negatives and nulls, so that the order of the additions
    /// and the rounding of the quantiles show.
    fn frame(n: usize, seed: u64, keys: usize) -> DataFrame {
        let mut rng = Rng(seed);
        let key: Vec<Option<String>> =
            (0..n).map(|_| (rng.below(10) > 0).then(|| format!("k{}", rng.below(keys as u64)))).collect();
        let mask: Vec<Option<bool>> = (0..n).map(|_| (rng.below(8) > 0).then(|| rng.below(3) > 0)).collect();
        let v: Vec<Option<f64>> =
            (0..n).map(|_| (rng.below(6) > 0).then(|| (rng.below(2_000_000) as f64 - 100_000.0) / 7.0 + 0.1)).collect();
        let key = Column::new("key".into(), key).cast(&crate::labels::dtype("test_group_key")).expect("categorical");
        df!("mask" => mask, "v" => v).unwrap().hstack(&[key]).unwrap()
    }

    fn aggs() -> Vec<Agg> {
        vec![
            Agg::count("n", col("mask")),
            Agg::count("big", col("v").gt(lit(1000.0))),
            Agg::sum("s", col("v"), col("mask")),
            Agg::sum("s0", col("v").fill_null(lit(0.0)), col("mask")),
            Agg::mean("m", col("v"), col("mask")),
            Agg::duration("d", col("v"), col("mask")),
        ]
    }

    /// Every value of every group, compared as bits.
    fn same(a: &[(String, Row)], b: &[(String, Row)]) {
        assert_eq!(a.len(), b.len());
        for ((ka, ra), (kb, rb)) in a.iter().zip(b) {
            assert_eq!(ka, kb);
            for name in ["n", "big", "s", "s0", "m", "d_mean", "d_n", "d_neg", "d_median", "d_p90"] {
                assert_eq!(ra.get(name).map(f64::to_bits), rb.get(name).map(f64::to_bits), "{ka} {name}");
            }
        }
    }

    #[test]
    fn the_same_as_polars_group_by_to_the_bit() {
        for (n, seed, keys) in [(5_000, 1, 40), (20_000, 2, 3), (7, 3, 5), (1, 4, 1)] {
            let f = frame(n, seed, keys);
            let fast = grouped(&f, "key", aggs()).unwrap();
            let reference = with_polars(&f, "key", &aggs()).unwrap();
            same(&fast, &reference);
            assert!(fast.len() <= keys + 1);
        }
        // A group whose mask is never true: counts and sums 0, no mean or median.
        // A group of one value, −0, which polars takes as it is (not as a sum, +0).
        let f =
            df!("mask" => [Some(false), None, Some(true), Some(true)], "v" => [Some(1.5), Some(2.0), None, Some(-0.0)])
                .unwrap();
        let key = Column::new("key".into(), ["a", "a", "b", "c"]).cast(&crate::labels::dtype("test_group_key"));
        let f = f.hstack(&[key.unwrap()]).unwrap();
        let fast = grouped(&f, "key", aggs()).unwrap();
        same(&fast, &with_polars(&f, "key", &aggs()).unwrap());
        let a = &fast[0].1;
        assert_eq!(
            (fast[0].0.as_str(), a.get("n"), a.get("s"), a.get("m"), a.get("d_median")),
            ("a", Some(0.0), Some(0.0), None, None)
        );
        assert_eq!((fast[1].0.as_str(), fast[1].1.get("n"), fast[1].1.get("d_n")), ("b", Some(1.0), Some(0.0)));
        assert_eq!(fast[2].1.get("s").map(f64::to_bits), Some((-0.0f64).to_bits()));
    }

    #[test]
    fn a_quantile_selected_is_the_one_of_the_sorted_values() {
        let mut rng = Rng(7);
        for n in [0usize, 1, 2, 3, 10, 11, 101, 1000] {
            for _ in 0..20 {
                let mut v: Vec<f64> = (0..n).map(|_| rng.below(50) as f64 / 3.0).collect();
                let mut sorted = v.clone();
                sorted.sort_unstable_by(f64::total_cmp);
                let qs = [0.0, 0.1, 0.5, 0.9, 0.99, 1.0];
                let want = qs.map(|q| super::super::linear_quantile(&sorted, q).map(f64::to_bits));
                for (i, q) in qs.into_iter().enumerate() {
                    assert_eq!(selected_quantiles(&mut v, [q])[0].map(f64::to_bits), want[i], "n {n} q {q}");
                }
                // All at once (each among the values from the one before's place), and in
                // an order that goes back.
                assert_eq!(selected_quantiles(&mut v, qs).map(|x| x.map(f64::to_bits)), want, "n {n}");
                let back = selected_quantiles(&mut v, [0.9, 0.5, 0.99, 0.1]).map(|x| x.map(f64::to_bits));
                assert_eq!(back, [want[3], want[2], want[4], want[1]], "n {n}");
            }
        }
    }

    #[test]
    fn hand_computed_groups_in_key_order_null_first() {
        let f = df!(
            "mask" => [true, true, true, false, true, true],
            "v" => [3.0, -1.0, 5.0, 100.0, 2.0, 4.0]
        )
        .unwrap();
        let key = Column::new("key".into(), [Some("b"), Some("b"), Some("a"), Some("b"), None, Some("b")])
            .cast(&crate::labels::dtype("test_group_key"))
            .unwrap();
        let f = f.hstack(&[key]).unwrap();
        let out = grouped(&f, "key", aggs()).unwrap();
        let keys: Vec<&str> = out.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, [crate::drivers::UNSET, "a", "b"]);
        let b = &out[2].1;
        // b: kept 3, -1, 4 (100 is masked out): n 3, sum 6, mean 2; durations 3 and 4,
        // one negative; median 3.5, p90 3 + 0.9 × 1 = 3.9.
        assert_eq!(b.get("n"), Some(3.0));
        assert_eq!(b.get("s"), Some(6.0));
        assert_eq!(b.get("m"), Some(2.0));
        assert_eq!((b.get("d_n"), b.get("d_neg"), b.get("d_mean")), (Some(2.0), Some(1.0), Some(3.5)));
        assert_eq!((b.get("d_median"), b.get("d_p90")), (Some(3.5), Some(3.9)));
        assert_eq!(out[1].1.get("d_p90"), Some(5.0));
    }

    #[test]
    fn a_text_key_or_4_byte_values_are_grouped_too() {
        let f = df!("key" => ["x", "y", "x"], "mask" => [true, true, false], "v" => [1.0f32, 2.0, 3.0]).unwrap();
        let out = grouped(&f, "key", vec![Agg::count("n", col("mask"))]).unwrap();
        assert_eq!(out.iter().map(|(k, r)| (k.as_str(), r.n("n"))).collect::<Vec<_>>(), [("x", 1.0), ("y", 1.0)]);
        let f = f.lazy().with_column(col("key").cast(crate::labels::dtype("test_group_key"))).collect();
        let out = grouped(&f.unwrap(), "key", vec![Agg::mean("m", col("v"), col("mask"))]).unwrap();
        assert_eq!(
            out.iter().map(|(k, r)| (k.as_str(), r.get("m"))).collect::<Vec<_>>(),
            [("x", Some(1.0)), ("y", Some(2.0))]
        );
    }
}
