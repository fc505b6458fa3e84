//! `splade_error`: the error object returned by failing C calls, and `splade_status_name`.

use std::ffi::{c_char, c_int, CString};

use crate::error::{Error, Status};
use crate::ffi::boundary::{quietly, Tag};

/// An error: a status and a message naming the problem.
///
/// Owned by the caller, freed with `splade_error_free`. Immutable: may be read from any thread.
pub struct splade_error {
    tag: Tag<{ u64::from_be_bytes(*b"spl:errr") }>,
    error: Error,
    message: CString,
}

impl splade_error {
    /// Boxes `error` for the caller to own.
    pub(crate) fn boxed(error: Error) -> *mut splade_error {
        let message = CString::new(error.message().replace('\0', " ")).unwrap_or_default();
        Box::into_raw(Box::new(splade_error {
            tag: Tag::live(),
            error,
            message,
        }))
    }

    #[cfg(test)]
    pub(crate) fn error(&self) -> &Error {
        &self.error
    }
}

/// Returns the status of `error`, or `SPLADE_STATUS_NULL_ARGUMENT` when `error` is NULL. Thread-safe.
///
/// # Safety
/// `error` must be NULL or an error from this library not yet freed.
#[no_mangle]
pub unsafe extern "C" fn splade_error_status(error: Option<&splade_error>) -> Status {
    quietly(Status::Panic, || {
        error.map_or(Status::NullArgument, |e| {
            e.tag.check("splade_error_status");
            e.error.status()
        })
    })
}

/// Returns the message of `error`: NUL-terminated UTF-8, owned by `error` and valid until `splade_error_free`.
/// Returns an empty string when `error` is NULL. Thread-safe.
///
/// # Safety
/// `error` must be NULL or an error from this library not yet freed.
#[no_mangle]
pub unsafe extern "C" fn splade_error_message(error: Option<&splade_error>) -> *const c_char {
    quietly(c"".as_ptr(), || {
        error.map_or(c"".as_ptr(), |e| {
            e.tag.check("splade_error_message");
            e.message.as_ptr()
        })
    })
}

/// Frees `error`. NULL is a no-op. Must not run while another call uses `error`.
///
/// Freeing it twice, or using it after, is undefined behaviour. While its memory is not yet reused, a tag word
/// in it catches either: the call aborts the process with a message on stderr naming the function. Once the
/// memory is reused nothing can tell, so this catches the common case, not every case.
///
/// # Safety
/// `error` must be NULL or an error from this library not yet freed; it is freed once, and not used after.
#[no_mangle]
pub unsafe extern "C" fn splade_error_free(error: Option<Box<splade_error>>) {
    let Some(mut error) = error else { return };
    error.tag.retire("splade_error_free");
    quietly((), || drop(error));
}

/// Returns the name of a status, for example `"SPLADE_STATUS_INVALID_UTF8"`: a static NUL-terminated string, or
/// `"SPLADE_STATUS_UNKNOWN"` for a number that is no status. Thread-safe.
#[no_mangle]
pub extern "C" fn splade_status_name(status: c_int) -> *const c_char {
    // No panic boundary: a lookup among constants, with nothing that can panic.
    Status::from_code(i64::from(status))
        .map_or(c"SPLADE_STATUS_UNKNOWN", Status::c_name)
        .as_ptr()
}
