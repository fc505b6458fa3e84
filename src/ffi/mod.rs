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
//! - Double free and use after free are undefined behaviour; the opaque handles carry a tag word
//!   (`boundary::Tag`) that catches the common case and aborts with a message naming the function.
//!
//! Unsafe where it is: this module is private to the crate (`#[no_mangle]` still exports every function), so
//! Rust code outside cannot call these functions, and every function that reads a caller's pointer is an
//! `unsafe extern "C" fn` whose `# Safety` section says what the caller must guarantee of each pointer. As in
//! wasmtime's C API, a handle argument is an `Option<&T>` (`Option<&mut T>` for a setter) and a `_free` argument an
//! `Option<Box<T>>`: ABI-identical to a nullable pointer (cbindgen writes the same C types), NULL arriving as
//! `None`, so the body needs no unsafe code to use them. Out-parameters and arrays stay raw pointers: an
//! out-parameter may point to uninitialised memory, which a reference must not, and an array's length is another
//! argument. A body that needs unsafe code is a closure bound before the `unsafe { guard(..) }` call, since an
//! unsafe block also covers the closures written inside it.

// C type names, as they appear in the header.
#![allow(non_camel_case_types)]

mod boundary;
mod error;
mod expander;
mod json;
mod options;
mod vector;
mod version;

#[cfg(test)]
mod tests {
    // Makes an `unsafe` block around a call of a safe function a compile error: see the test's comment.
    #![deny(unused_unsafe)]

    use std::collections::BTreeSet;
    use std::ffi::CStr;
    use std::ptr::{null, null_mut};

    use super::error::*;
    use super::expander::*;
    use super::json::*;
    use super::options::*;
    use super::vector::*;
    use crate::error::Status;

    /// The functions of `include/spladerunner.h` that take a pointer (or array) parameter, read from the header
    /// with its comments removed.
    fn header_functions_taking_a_pointer() -> BTreeSet<String> {
        let header = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/include/spladerunner.h"
        ))
        .expect("include/spladerunner.h is readable");
        let mut code = String::new();
        let mut rest = header.as_str();
        while let Some(start) = rest.find("/*") {
            code.push_str(&rest[..start]);
            let end = rest[start..].find("*/").expect("every comment is closed");
            rest = &rest[start + end + 2..];
        }
        code.push_str(rest);
        let code: Vec<&str> = code
            .lines()
            .map(|l| l.split("//").next().unwrap_or(""))
            .collect();
        code.join("\n")
            .split(';')
            .filter_map(|declaration| {
                let (head, parameters) = declaration.split_once('(')?;
                let name = head.split_whitespace().last()?.trim_start_matches('*');
                (name.starts_with("splade_") && parameters.contains('*')).then(|| name.to_string())
            })
            .collect()
    }

    /// Every C function that takes a pointer is an `unsafe fn`, so that safe Rust cannot call it with a dangling
    /// one. Checked when the tests compile: each is called below inside an `unsafe` block of its own, and with
    /// `unused_unsafe` denied, the block around a function that lost its `unsafe` is an error. (A `compile_fail`
    /// doc test that coerces each function to a safe `extern "C" fn` pointer would prove nothing: doc tests build
    /// outside the crate, where this private module cannot be named, so it would fail for privacy either way;
    /// `src/lib.rs` has that doc test for the privacy itself.) When run, the test checks that the functions
    /// called are exactly the header's functions taking a pointer, so none is left out, and that each accepts
    /// NULL as documented.
    #[test]
    fn every_c_function_taking_a_pointer_is_unsafe() {
        let mut called = BTreeSet::new();
        macro_rules! call {
            ($function:ident($($argument:expr),*)) => {{
                called.insert(stringify!($function).to_string());
                // SAFETY: every pointer argument is NULL, which the function accepts.
                unsafe { $function($($argument),*) }
            }};
        }
        let null_argument = Status::NullArgument;

        assert_eq!(call!(splade_error_status(None)), null_argument);
        let message = call!(splade_error_message(None));
        // SAFETY: `splade_error_message` returns a static NUL-terminated string for NULL.
        assert_eq!(unsafe { CStr::from_ptr(message) }, c"");
        call!(splade_error_free(None));

        assert_eq!(
            call!(splade_expander_new(null(), None, null_mut(), null_mut())),
            null_argument
        );
        call!(splade_expander_free(None));
        assert_eq!(
            call!(splade_expander_expand(
                None,
                null(),
                0,
                null_mut(),
                null_mut()
            )),
            null_argument
        );
        assert_eq!(
            call!(splade_expander_expand_batch(
                None,
                null(),
                null(),
                0,
                null_mut(),
                null_mut()
            )),
            null_argument
        );
        assert_eq!(
            call!(splade_expander_token(None, 0, null_mut(), null_mut())),
            null_argument
        );
        assert_eq!(
            call!(splade_expander_tokens(
                None,
                null(),
                0,
                null_mut(),
                null_mut()
            )),
            null_argument
        );
        assert_eq!(call!(splade_expander_vocab_size(None)), 0);
        assert_eq!(call!(splade_expander_max_length(None)), 0);
        assert_eq!(call!(splade_expander_native_size(None)), 0);

        assert_eq!(
            call!(splade_expander_to_json(
                None,
                None,
                SPLADE_FORMAT_INDICES_VALUES,
                1.0,
                null_mut(),
                null_mut(),
                null_mut()
            )),
            null_argument
        );
        call!(splade_string_free(null_mut()));

        call!(splade_options_free(None));
        assert_eq!(
            call!(splade_options_set_max_length(None, 1, null_mut())),
            null_argument
        );
        assert_eq!(
            call!(splade_options_set_max_windows(None, 1, null_mut())),
            null_argument
        );
        assert_eq!(
            call!(splade_options_set_window_overlap(None, 1, null_mut())),
            null_argument
        );
        assert_eq!(
            call!(splade_options_set_top_k(None, 1, null_mut())),
            null_argument
        );
        assert_eq!(
            call!(splade_options_set_min_weight(None, 1.0, null_mut())),
            null_argument
        );
        assert_eq!(
            call!(splade_options_set_max_ratio(None, 0.5, null_mut())),
            null_argument
        );
        assert_eq!(
            call!(splade_options_set_alpha_mass(None, 0.5, null_mut())),
            null_argument
        );
        assert_eq!(
            call!(splade_options_set_drop_special_tokens(
                None,
                true,
                null_mut()
            )),
            null_argument
        );
        assert_eq!(
            call!(splade_options_set_intra_op_threads(None, 1, null_mut())),
            null_argument
        );
        assert_eq!(
            call!(splade_options_set_sessions(None, 1, null_mut())),
            null_argument
        );
        assert_eq!(
            call!(splade_options_set_token_budget(None, 1, null_mut())),
            null_argument
        );
        assert_eq!(
            call!(splade_options_set_ort_library_path(
                None,
                null(),
                null_mut()
            )),
            null_argument
        );

        call!(splade_sparse_vector_free(None));
        call!(splade_sparse_batch_free(None));

        assert_eq!(called, header_functions_taking_a_pointer());
    }

    /// The environment variable that makes `a_misused_handle_aborts_naming_the_function` misuse a handle.
    const MISUSE: &str = "SPLADE_TEST_MISUSE";

    /// Misuses a handle as `case` says; returns only if the library let the misuse pass.
    fn misuse(case: &str) {
        let options = splade_options_new();
        let mut error = null_mut();
        // SAFETY: `options` is live, `error` a writable local.
        let status = unsafe { splade_options_set_sessions(options.as_mut(), 0, &mut error) };
        assert_eq!(status, Status::InvalidArgument);
        // SAFETY: every handle below is freed once, then (the misuse under test) freed or used once more: the
        // tag word must stop the second call before it touches the freed memory beyond that word.
        unsafe {
            match case {
                "options double free" => {
                    splade_options_free(Some(Box::from_raw(options)));
                    splade_options_free(Some(Box::from_raw(options)));
                }
                "options use after free" => {
                    splade_options_free(Some(Box::from_raw(options)));
                    splade_options_set_top_k(options.as_mut(), 3, null_mut());
                }
                "error double free" => {
                    splade_error_free(Some(Box::from_raw(error)));
                    splade_error_free(Some(Box::from_raw(error)));
                }
                "error use after free" => {
                    splade_error_free(Some(Box::from_raw(error)));
                    splade_error_message(error.as_ref());
                }
                other => panic!("no misuse case {other:?}"),
            }
        }
    }

    /// A second free, or a use after free, of an opaque handle whose memory is not yet reused aborts the process
    /// with a message naming the function, instead of corrupting the heap. Each case runs in a child process:
    /// this test binary, run on this test alone with `SPLADE_TEST_MISUSE` naming the case; the child must die of
    /// SIGABRT after writing the message. (The expander's cases, which need a model, are in tests/c/test_capi.c.)
    #[test]
    fn a_misused_handle_aborts_naming_the_function() {
        use std::os::unix::process::ExitStatusExt;

        if let Ok(case) = std::env::var(MISUSE) {
            misuse(&case);
            panic!("{case}: the process went on");
        }
        let cases = [
            ("options double free", "splade_options_free"),
            ("options use after free", "splade_options_set_top_k"),
            ("error double free", "splade_error_free"),
            ("error use after free", "splade_error_message"),
        ];
        for (case, function) in cases {
            let child = std::process::Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "ffi::tests::a_misused_handle_aborts_naming_the_function",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(MISUSE, case)
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&child.stderr);
            assert_eq!(
                child.status.signal(),
                Some(6), // SIGABRT
                "{case}: {:?}, stderr: {stderr}",
                child.status
            );
            let message =
                format!("spladerunner: {function} was given a handle that is already freed");
            assert!(stderr.contains(&message), "{case}: stderr: {stderr}");
        }
    }
}
