//! The C ABI: the functions and types of `include/spladerunner.h`.
//!
//! Conventions (the header repeats them on every item):
//! - Fallible functions return a [`Status`](crate::Status) and take a last `splade_error **error_out`: when it is
//!   not NULL and the call fails, it receives an error object (status + message) that the caller frees with
//!   `splade_error_free`. Results go through out-parameters, written only on success.
//! - No panic crosses the boundary: every exported body runs under `boundary::guard`, and a panic becomes
//!   `SPLADE_STATUS_PANIC`.
//! - Text is UTF-8 given as pointer + length, validated, never assumed NUL-terminated. Paths are NUL-terminated.
//! - Inputs are borrowed for the duration of the call only; every returned object has its own `_free` function,
//!   and every `_free` accepts NULL.

#![allow(non_camel_case_types)]
// C type names, as they appear in the header
// These are C entry points: raw pointers are their interface, and each function's comment states what the caller
// must pass. Every pointer is checked for NULL before use.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

pub(crate) mod boundary;
pub mod error;
pub mod expander;
pub mod json;
pub mod options;
pub mod vector;
pub mod version;
