//! The panic boundary and error hand-off shared by every exported function.

use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::error::{Error, Result, Status};
use crate::ffi::error::splade_error;

/// Runs `body`, catching any panic, and reports its outcome the C way: the status is returned and, on failure,
/// an error object is written to `*error_out` when `error_out` is not NULL.
///
/// # Safety
/// `error_out` must be NULL or valid for writing one `splade_error *`.
pub unsafe fn guard(
    error_out: *mut *mut splade_error,
    body: impl FnOnce() -> Result<()>,
) -> Status {
    let outcome = catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic payload".to_string());
        Err(Error::new(
            Status::Panic,
            format!("internal error (panic): {message}"),
        ))
    });
    match outcome {
        Ok(()) => Status::Ok,
        Err(error) => {
            let status = error.status();
            if !error_out.is_null() {
                // SAFETY: `error_out` is not NULL, so this function's contract makes it writable.
                unsafe { error_out.write(splade_error::boxed(error)) };
            }
            status
        }
    }
}

/// Runs a function that cannot report failure (a `_free` or a getter), swallowing any panic.
pub fn quietly<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// The tag word of a handle (`splade_expander`, `splade_options`, `splade_error`): `LIVE`, a value of its own for
/// each type, from the handle's creation until its `_free`, which overwrites it with [`FREED`] just before the
/// memory goes back to the allocator. Every function taking the handle checks it first, one load and compare, and
/// aborts the process with a message naming the function when it does not hold `LIVE`: a second free, or a use
/// after free, then stops with a clear message instead of corrupting the heap or reading freed memory, and a
/// handle of another type is caught the same way.
///
/// A best effort, not a guarantee: it catches the common case, a handle whose memory the allocator has not yet
/// given to something else. Once that memory is reused the word may hold anything, the live value included (a new
/// handle of the same type at the same address looks exactly like the freed one), so double free and use after
/// free stay undefined behaviour in the C contract. Vectors and batches carry no tag: their `#[repr(C)]` layout is
/// public in the header, and a field added there would change it for every caller.
pub struct Tag<const LIVE: u64>(u64);

/// What a freed handle's tag holds: a value that no type uses as its `LIVE`.
const FREED: u64 = u64::from_be_bytes(*b"spl:free");

impl<const LIVE: u64> Tag<LIVE> {
    /// The tag of a handle being made.
    pub const fn live() -> Self {
        Tag(LIVE)
    }

    /// Aborts the process, naming `function`, unless the tag holds `LIVE`.
    #[inline]
    pub fn check(&self, function: &str) {
        if self.0 != LIVE {
            misused(function);
        }
    }

    /// Checks the tag as [`Tag::check`] does, then overwrites it with [`FREED`]: for `_free`, right before the
    /// handle's memory goes back to the allocator.
    pub fn retire(&mut self, function: &str) {
        self.check(function);
        // SAFETY: `&mut self.0` is an aligned, writable `u64`. Volatile because the memory is freed right after,
        // and an ordinary store to memory about to be freed may be left out by the optimiser.
        unsafe { std::ptr::write_volatile(&mut self.0, FREED) };
    }
}

/// Reports a freed or foreign handle given to `function` and aborts: past this point the process's memory can no
/// longer be trusted, so there is no status to return.
#[cold]
#[inline(never)]
fn misused(function: &str) -> ! {
    eprintln!(
        "spladerunner: {function} was given a handle that is already freed or was not made by this library \
         (a double free or a use after free?); aborting"
    );
    std::process::abort()
}

/// Returns the error for a NULL pointer argument named `what`.
pub fn null_argument(what: &str) -> Error {
    Error::new(Status::NullArgument, format!("argument {what} is NULL"))
}

/// Returns the handle argument `value`, or fails naming it when it is NULL (`None`).
pub fn required<T>(value: Option<T>, what: &str) -> Result<T> {
    value.ok_or_else(|| null_argument(what))
}

/// Borrows the NUL-terminated string `ptr`, or fails naming the NULL argument.
///
/// # Safety
/// `ptr` must be NULL or point to a NUL-terminated string that stays readable and unchanged for the returned
/// lifetime.
pub unsafe fn c_str<'a>(ptr: *const c_char, what: &str) -> Result<&'a CStr> {
    if ptr.is_null() {
        return Err(null_argument(what));
    }
    // SAFETY: `ptr` is not NULL, so this function's contract makes it a readable NUL-terminated string.
    Ok(unsafe { CStr::from_ptr(ptr) })
}

/// Writes `value` to an out-parameter, or fails naming the NULL argument.
///
/// # Safety
/// `out` must be NULL or writable.
pub unsafe fn write_out<T>(out: *mut T, what: &str, value: T) -> Result<()> {
    if out.is_null() {
        return Err(null_argument(what));
    }
    // SAFETY: `out` is not NULL, so this function's contract makes it writable.
    unsafe { out.write(value) };
    Ok(())
}

/// Borrows UTF-8 text given as pointer + length. `(NULL, 0)` is the empty text.
///
/// # Safety
/// When `len > 0`, `ptr` must point to `len` bytes that stay readable and unchanged for the returned lifetime.
pub unsafe fn utf8<'a>(ptr: *const u8, len: usize, what: &str) -> Result<&'a str> {
    if len == 0 {
        return Ok("");
    }
    if ptr.is_null() {
        return Err(null_argument(what));
    }
    // SAFETY: `ptr` is not NULL and `len > 0`, so this function's contract makes `len` bytes readable.
    let bytes = unsafe { std::slice::from_raw_parts(ptr, len) };
    std::str::from_utf8(bytes).map_err(|e| {
        Error::new(
            Status::InvalidUtf8,
            format!(
                "{what} is not valid UTF-8: invalid byte at offset {}",
                e.valid_up_to()
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_a_status_and_an_error() {
        let mut error: *mut splade_error = std::ptr::null_mut();
        // SAFETY: `error` is a local, writable.
        let status = unsafe { guard(&mut error, || panic!("boom")) };
        assert_eq!(status, Status::Panic);
        assert!(!error.is_null());
        // SAFETY: `guard` wrote a boxed error, owned here and freed once.
        let error = unsafe { Box::from_raw(error) };
        assert!(error.error().message().contains("boom"));
    }

    #[test]
    fn an_error_without_error_out_still_returns_its_status() {
        // SAFETY: a NULL `error_out` is allowed.
        let status = unsafe { guard(std::ptr::null_mut(), || Err(null_argument("x"))) };
        assert_eq!(status, Status::NullArgument);
    }
}
