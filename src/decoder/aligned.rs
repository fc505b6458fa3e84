//! Buffers that start at a cache-line boundary. An AMX tile row is 64 bytes: read from a 64-byte boundary it
//! is one cache line, otherwise two, and the tile products slow down.

use std::marker::PhantomData;

/// One cache line.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Line([u8; 64]);

/// Element types a buffer of bytes may be viewed as.
///
/// # Safety
/// Every bit pattern of the type's size must be a valid value (the buffer's bytes are read as values), the type
/// must have no padding (its values are kept, and copied, as bytes), and its size and alignment must divide 64
/// (a cache line holds a whole number of values, each aligned).
pub(super) unsafe trait Plain: Copy {}
// SAFETY: one byte, any of whose 256 bit patterns is a `u8`.
unsafe impl Plain for u8 {}
// SAFETY: one byte, any of whose 256 bit patterns is an `i8`.
unsafe impl Plain for i8 {}

/// A fixed-length buffer of `T` that starts at a cache-line boundary.
pub(super) struct Aligned<T: Plain> {
    lines: Vec<Line>,
    len: usize,
    element: PhantomData<T>,
}

impl<T: Plain> Aligned<T> {
    /// `len` copies of `value`.
    pub(super) fn filled(value: T, len: usize) -> Self {
        let per_line = 64 / std::mem::size_of::<T>();
        let mut line = Line([0; 64]);
        // SAFETY: a line holds exactly `per_line` values of `T`, each aligned (`T: Plain`).
        unsafe { std::slice::from_raw_parts_mut(line.0.as_mut_ptr() as *mut T, per_line) }
            .fill(value);
        Aligned {
            lines: vec![line; len.div_ceil(per_line)],
            len,
            element: PhantomData,
        }
    }
}

impl<T: Plain> std::ops::Deref for Aligned<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        // SAFETY: the lines hold at least `len` values of `T`, each aligned, and any bytes are a valid `T`
        // (`T: Plain`).
        unsafe { std::slice::from_raw_parts(self.lines.as_ptr() as *const T, self.len) }
    }
}

impl<T: Plain> std::ops::DerefMut for Aligned<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        // SAFETY: as for `deref`, borrowed mutably through `self`.
        unsafe { std::slice::from_raw_parts_mut(self.lines.as_mut_ptr() as *mut T, self.len) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_at_a_line_and_holds_its_values() {
        for len in [0, 1, 63, 64, 65, 1000] {
            let mut buffer = Aligned::filled(7i8, len);
            assert_eq!(buffer.as_ptr() as usize % 64, 0);
            assert_eq!(buffer.len(), len);
            assert!(buffer.iter().all(|&x| x == 7));
            if let Some(last) = buffer.last_mut() {
                *last = -1;
            }
            assert_eq!(
                buffer.iter().filter(|&&x| x == -1).count(),
                usize::from(len > 0)
            );
        }
    }
}
