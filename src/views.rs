//! Text values seen through polars' string views: a value of up to 12 bytes is held
//! whole in its 16-byte view, so it can be compared or hashed as one integer without
//! reaching its text.

use polars::prelude::*;

/// The length and the bytes of a value of up to 12 bytes, from its view (the bytes after
/// the value's end masked off, whatever they hold).
pub(crate) fn short_key(view: polars_arrow::array::View) -> Option<u128> {
    let len = view.length;
    // The bytes are at bits 32.. of the view read as an integer on little-endian machines
    // only; elsewhere every value takes the text path.
    (cfg!(target_endian = "little") && len <= polars_arrow::array::View::MAX_INLINE_SIZE).then(|| {
        let bits = 32 + 8 * len;
        view.as_u128() & (u128::MAX >> (128 - bits))
    })
}

/// A text value as a hash key: up to 12 bytes, its view (see `short_key`); longer, its
/// text. The two kinds never hold the same value (they differ in length).
#[derive(Clone, Copy)]
pub(crate) enum TextKey<'a> {
    Short(u128),
    Long(&'a str),
}

/// The keys of a text column's values, in order (None where null).
pub(crate) fn text_keys(ca: &StringChunked) -> impl Iterator<Item = Option<TextKey<'_>>> {
    use polars_arrow::array::Array;
    ca.downcast_iter().flat_map(|arr| {
        let valid = arr.validity();
        arr.views().iter().enumerate().map(move |(i, view)| {
            if valid.is_some_and(|v| !v.get_bit(i)) {
                return None;
            }
            Some(match short_key(*view) {
                Some(k) => TextKey::Short(k),
                None => TextKey::Long(arr.value(i)),
            })
        })
    })
}
