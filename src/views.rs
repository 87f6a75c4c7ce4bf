//! Text values seen through polars' string views: a value of up to 12 bytes is held
//! whole in its 16-byte view, so it can be compared or hashed as one integer, and its
//! first and last bytes read, without reaching its text.

use polars::prelude::*;
use polars_arrow::array::{Array, Utf8ViewArray, View};

/// The length and the bytes of a value of up to 12 bytes, from its view (the bytes after
/// the value's end masked off, whatever they hold).
pub(crate) fn short_key(view: View) -> Option<u128> {
    let len = view.length;
    // The bytes are at bits 32.. of the view read as an integer on little-endian machines
    // only; elsewhere every value takes the text path.
    (cfg!(target_endian = "little") && len <= View::MAX_INLINE_SIZE).then(|| {
        let bits = 32 + 8 * len;
        view.as_u128() & (u128::MAX >> (128 - bits))
    })
}

/// One value of a text column: its view, and its text when asked for.
#[derive(Clone, Copy)]
pub(crate) struct Value<'a> {
    pub view: View,
    arr: &'a Utf8ViewArray,
    i: usize,
}

impl<'a> Value<'a> {
    pub fn len(&self) -> usize {
        self.view.length as usize
    }

    pub fn text(&self) -> &'a str {
        self.arr.value(self.i)
    }

    /// The first and last bytes (None for an empty value): the first from the view's
    /// prefix, the last from the view itself for a value of up to 12 bytes.
    pub fn ends(&self) -> Option<(u8, u8)> {
        let len = self.len();
        if len == 0 {
            return None;
        }
        let first = self.view.prefix.to_ne_bytes()[0];
        let last = if len <= View::MAX_INLINE_SIZE as usize {
            self.view.as_u128().to_ne_bytes()[3 + len] // the 4-byte length, then the bytes
        } else {
            self.text().as_bytes()[len - 1]
        };
        Some((first, last))
    }

    pub fn key(&self) -> TextKey<'a> {
        match short_key(self.view) {
            Some(k) => TextKey::Short(k),
            None => TextKey::Long(self.text()),
        }
    }
}

/// A text column's values, in order (None where null).
pub(crate) fn values(ca: &StringChunked) -> impl Iterator<Item = Option<Value<'_>>> {
    ca.downcast_iter().flat_map(chunk_values)
}

/// The values of one chunk of a text column: a hot loop that walks the chunks itself
/// (`ca.downcast_iter()`) keeps its per-value work inlined.
pub(crate) fn chunk_values(arr: &Utf8ViewArray) -> impl Iterator<Item = Option<Value<'_>>> {
    let valid = arr.validity();
    arr.views().iter().enumerate().map(move |(i, view)| {
        let null = valid.is_some_and(|v| !v.get_bit(i));
        (!null).then_some(Value { view: *view, arr, i })
    })
}

/// A text value as a hash key: up to 12 bytes, its view (see `short_key`); longer, its
/// text. The two kinds never hold the same value (they differ in length).
#[derive(Clone, Copy)]
pub(crate) enum TextKey<'a> {
    Short(u128),
    Long(&'a str),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_value_is_its_view_whatever_follows_its_end() {
        let mut dirty = View::new_inline(b"CUS-1");
        dirty.buffer_idx |= 0xAB00_0000; // past the fifth byte
        dirty.offset = 0xFFFF_FFFF;
        let key = short_key;
        assert_eq!(key(dirty), key(View::new_inline(b"CUS-1")));
        assert_ne!(key(View::new_inline(b"CUS-1")), key(View::new_inline(b"CUS-1\0")));
        assert_ne!(key(View::new_inline(b"")), key(View::new_inline(b"\0")));
        assert!(key(View::new_inline(b"123456789012")).is_some());
    }
}
