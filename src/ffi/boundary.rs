//! The panic boundary and error hand-off shared by every exported function.

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::error::{Error, Result, Status};
use crate::ffi::error::splade_error;

/// Runs `body`, catching any panic, and reports its outcome the C way: the status is returned and, on failure,
/// an error object is written to `*error_out` when `error_out` is not NULL.
pub fn guard(error_out: *mut *mut splade_error, body: impl FnOnce() -> Result<()>) -> Status {
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
                // SAFETY: the caller passed a writable `splade_error **` (checked non-NULL above).
                unsafe { *error_out = splade_error::boxed(error) };
            }
            status
        }
    }
}

/// Runs a function that cannot report failure (a `_free` or a getter), swallowing any panic.
pub fn quietly<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// Returns the error for a NULL pointer argument named `what`.
pub fn null_argument(what: &str) -> Error {
    Error::new(Status::NullArgument, format!("argument {what} is NULL"))
}

/// Borrows `*ptr`, or fails naming the NULL argument.
///
/// # Safety
/// `ptr` must be NULL or point to a live `T` for the returned lifetime.
pub unsafe fn borrow<'a, T>(ptr: *const T, what: &str) -> Result<&'a T> {
    unsafe { ptr.as_ref() }.ok_or_else(|| null_argument(what))
}

/// Writes `value` to an out-parameter, or fails naming the NULL argument.
///
/// # Safety
/// `out` must be NULL or writable.
pub unsafe fn write_out<T>(out: *mut T, what: &str, value: T) -> Result<()> {
    if out.is_null() {
        return Err(null_argument(what));
    }
    unsafe { out.write(value) };
    Ok(())
}

/// Borrows UTF-8 text given as pointer + length. `(NULL, 0)` is the empty text.
///
/// # Safety
/// When `len > 0`, `ptr` must point to `len` readable bytes for the returned lifetime.
pub unsafe fn utf8<'a>(ptr: *const u8, len: usize, what: &str) -> Result<&'a str> {
    if len == 0 {
        return Ok("");
    }
    if ptr.is_null() {
        return Err(null_argument(what));
    }
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
        let status = guard(&mut error, || panic!("boom"));
        assert_eq!(status, Status::Panic);
        assert!(!error.is_null());
        let error = unsafe { Box::from_raw(error) };
        assert!(error.error().message().contains("boom"));
    }

    #[test]
    fn an_error_without_error_out_still_returns_its_status() {
        let status = guard(std::ptr::null_mut(), || Err(null_argument("x")));
        assert_eq!(status, Status::NullArgument);
    }
}
