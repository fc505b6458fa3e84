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
//!
//! Unsafe where it is: this module is private to the crate (`#[no_mangle]` still exports every function), so
//! Rust code outside cannot call these functions, and every function that reads a caller's pointer is an
//! `unsafe extern "C" fn` whose `# Safety` section says what the caller must guarantee of each pointer. As in
//! wasmtime's C API, a handle argument is an `Option<&T>` (`Option<&mut T>` for a setter) and a `_free` argument an
//! `Option<Box<T>>`: ABI-identical to a nullable pointer (cbindgen writes the same C types), NULL arriving as
//! `None`, so the body needs no unsafe code to use them. Out-parameters and arrays stay raw pointers: they may
//! point to uninitialised memory, which a reference must not. A body that needs unsafe code is a closure bound
//! before the `unsafe { guard(..) }` call, since an unsafe block also covers the closures written inside it.

#![deny(unsafe_op_in_unsafe_fn)]
// C type names, as they appear in the header.
#![allow(non_camel_case_types)]

mod boundary;
mod error;
mod expander;
mod json;
mod options;
mod vector;
mod version;
