//! `splade_options`: a builder for expander options that can grow new settings without breaking the ABI.

use std::ffi::{c_char, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use crate::error::{Result, Status};
use crate::ffi::boundary::{c_str, guard, quietly, required, Tag};
use crate::ffi::error::splade_error;
use crate::options::Options;

/// Options for `splade_expander_new`, created with defaults by `splade_options_new`.
///
/// Owned by the caller, freed with `splade_options_free`; `splade_expander_new` copies it, so it may be freed
/// right after. Not thread-safe: do not set options from two threads at once. A setter that fails leaves the
/// options as they were.
pub struct splade_options {
    tag: Tag<{ u64::from_be_bytes(*b"spl:optn") }>,
    options: Options,
}

impl splade_options {
    /// The options, once their tag is checked: `function`, the C function called, aborts on a freed handle.
    pub(crate) fn live(&self, function: &str) -> &Options {
        self.tag.check(function);
        &self.options
    }
}

/// Creates options with every setting at its default. Never returns NULL. Free with `splade_options_free`.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn splade_options_new() -> *mut splade_options {
    // No panic boundary: default values cannot panic, and a failed allocation aborts rather than unwinds.
    Box::into_raw(Box::new(splade_options {
        tag: Tag::live(),
        options: Options::default(),
    }))
}

/// Frees `options`. NULL is a no-op. Must not run while another call uses `options`.
///
/// Freeing them twice, or using them after, is undefined behaviour. While their memory is not yet reused, a tag word
/// in them catches either: the call aborts the process with a message on stderr naming the function. Once the
/// memory is reused nothing can tell, so this catches the common case, not every case.
///
/// # Safety
/// `options` must be NULL or options from `splade_options_new` not yet freed; they are freed once, and not used
/// after.
#[no_mangle]
pub unsafe extern "C" fn splade_options_free(options: Option<Box<splade_options>>) {
    let Some(mut options) = options else { return };
    options.tag.retire("splade_options_free");
    quietly((), || drop(options));
}

/// Applies `change` to the options and keeps it only if the result is valid; `function` is the setter called.
///
/// # Safety
/// `error_out` must be NULL or writable.
unsafe fn update(
    function: &str,
    options: Option<&mut splade_options>,
    error_out: *mut *mut splade_error,
    change: impl FnOnce(&mut Options) -> Result<()>,
) -> Status {
    let body = || {
        let target = required(options, "options")?;
        let mut candidate = target.live(function).clone();
        change(&mut candidate)?;
        candidate.validate()?;
        target.options = candidate;
        Ok(())
    };
    // SAFETY: `error_out` is NULL or writable (this function's contract).
    unsafe { guard(error_out, body) }
}

/// Sets the number of tokens per text (special tokens included); longer texts are truncated. 0 restores the
/// default: the model's own limit from its config files, at most 512. Checked against the model by
/// `splade_expander_new`. Fails with `SPLADE_STATUS_NULL_ARGUMENT` when `options` is NULL. Not thread-safe on one
/// `options` (see `splade_options`).
///
/// # Safety
/// `options` must be NULL or options from `splade_options_new` not yet freed, which no other call uses meanwhile;
/// `error_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn splade_options_set_max_length(
    options: Option<&mut splade_options>,
    max_length: usize,
    error_out: *mut *mut splade_error,
) -> Status {
    let change = |o: &mut Options| {
        o.max_length = (max_length > 0).then_some(max_length);
        Ok(())
    };
    // SAFETY: `error_out` is NULL or writable (this function's contract).
    unsafe { update("splade_options_set_max_length", options, error_out, change) }
}

/// Sets how many windows of `max_length` tokens a long text may be cut into; their vectors are merged by keeping
/// each term's largest weight, the windows after the first at half their weights. Default 1: a text is truncated to its first window. Must be `>= 1`, else
/// `SPLADE_STATUS_INVALID_ARGUMENT`. Fails with `SPLADE_STATUS_NULL_ARGUMENT` when `options` is NULL. Not
/// thread-safe on one `options` (see `splade_options`).
///
/// # Safety
/// `options` must be NULL or options from `splade_options_new` not yet freed, which no other call uses meanwhile;
/// `error_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn splade_options_set_max_windows(
    options: Option<&mut splade_options>,
    max_windows: usize,
    error_out: *mut *mut splade_error,
) -> Status {
    let change = |o: &mut Options| {
        o.max_windows = max_windows;
        Ok(())
    };
    // SAFETY: `error_out` is NULL or writable (this function's contract).
    unsafe { update("splade_options_set_max_windows", options, error_out, change) }
}

/// Sets how many text tokens consecutive windows share (used when `max_windows > 1`). Default 32. Checked by
/// `splade_expander_new`: it must be smaller than a window's text tokens (`max_length` minus the special tokens).
/// Fails with `SPLADE_STATUS_NULL_ARGUMENT` when `options` is NULL. Not thread-safe on one `options` (see
/// `splade_options`).
///
/// # Safety
/// `options` must be NULL or options from `splade_options_new` not yet freed, which no other call uses meanwhile;
/// `error_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn splade_options_set_window_overlap(
    options: Option<&mut splade_options>,
    window_overlap: usize,
    error_out: *mut *mut splade_error,
) -> Status {
    let change = |o: &mut Options| {
        o.window_overlap = window_overlap;
        Ok(())
    };
    // SAFETY: `error_out` is NULL or writable (this function's contract).
    unsafe {
        update(
            "splade_options_set_window_overlap",
            options,
            error_out,
            change,
        )
    }
}

/// Keeps only the `top_k` highest-weighted terms of each vector (ties go to the smaller id), after `max_ratio` and
/// `alpha_mass`; 0 keeps all (the default). Fails with `SPLADE_STATUS_NULL_ARGUMENT` when `options` is NULL. Not
/// thread-safe on one `options` (see `splade_options`).
///
/// # Safety
/// `options` must be NULL or options from `splade_options_new` not yet freed, which no other call uses meanwhile;
/// `error_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn splade_options_set_top_k(
    options: Option<&mut splade_options>,
    top_k: usize,
    error_out: *mut *mut splade_error,
) -> Status {
    let change = |o: &mut Options| {
        o.top_k = (top_k > 0).then_some(top_k);
        Ok(())
    };
    // SAFETY: `error_out` is NULL or writable (this function's contract).
    unsafe { update("splade_options_set_top_k", options, error_out, change) }
}

/// Keeps only terms with weight `>= min_weight` (default 0: every term with a positive weight). Must be finite and
/// `>= 0`, else `SPLADE_STATUS_INVALID_ARGUMENT`. Fails with `SPLADE_STATUS_NULL_ARGUMENT` when `options` is NULL.
/// Not thread-safe on one `options` (see `splade_options`).
///
/// # Safety
/// `options` must be NULL or options from `splade_options_new` not yet freed, which no other call uses meanwhile;
/// `error_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn splade_options_set_min_weight(
    options: Option<&mut splade_options>,
    min_weight: f32,
    error_out: *mut *mut splade_error,
) -> Status {
    let change = |o: &mut Options| {
        o.min_weight = min_weight;
        Ok(())
    };
    // SAFETY: `error_out` is NULL or writable (this function's contract).
    unsafe { update("splade_options_set_min_weight", options, error_out, change) }
}

/// Keeps only the terms whose weight is at least `max_ratio` × the vector's largest weight (OpenSearch's
/// `max_ratio` pruning, compared as it compares: `weight >= max_ratio * max` in float). Off by default. Must be
/// from 0 (keeps every term) to 1 (keeps the terms of the largest weight), else `SPLADE_STATUS_INVALID_ARGUMENT`.
/// Applied to a text's vector once its windows are merged, before `alpha_mass` and `top_k`. Fails with
/// `SPLADE_STATUS_NULL_ARGUMENT` when `options` is NULL. Not thread-safe on one `options` (see `splade_options`).
///
/// # Safety
/// `options` must be NULL or options from `splade_options_new` not yet freed, which no other call uses meanwhile;
/// `error_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn splade_options_set_max_ratio(
    options: Option<&mut splade_options>,
    max_ratio: f32,
    error_out: *mut *mut splade_error,
) -> Status {
    let change = |o: &mut Options| {
        o.max_ratio = Some(max_ratio);
        Ok(())
    };
    // SAFETY: `error_out` is NULL or writable (this function's contract).
    unsafe { update("splade_options_set_max_ratio", options, error_out, change) }
}

/// Keeps the fewest heaviest terms whose weights sum to at least `alpha_mass` × the vector's total weight (ties go
/// to the smaller id; a vector with terms keeps at least one). Off by default. Must be above 0 and at most 1 (keeps
/// every term), else `SPLADE_STATUS_INVALID_ARGUMENT`. Applied after `max_ratio`, to the terms it left, and before
/// `top_k`. Unlike OpenSearch's `alpha_mass` pruning, which keeps the heaviest terms while their running sum stays
/// `<= alpha × total` and so can keep none, the term that reaches the threshold is kept too. Fails with
/// `SPLADE_STATUS_NULL_ARGUMENT` when `options` is NULL. Not thread-safe on one `options` (see `splade_options`).
///
/// # Safety
/// `options` must be NULL or options from `splade_options_new` not yet freed, which no other call uses meanwhile;
/// `error_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn splade_options_set_alpha_mass(
    options: Option<&mut splade_options>,
    alpha_mass: f32,
    error_out: *mut *mut splade_error,
) -> Status {
    let change = |o: &mut Options| {
        o.alpha_mass = Some(alpha_mass);
        Ok(())
    };
    // SAFETY: `error_out` is NULL or writable (this function's contract).
    unsafe { update("splade_options_set_alpha_mass", options, error_out, change) }
}

/// Leaves the tokenizer's special tokens (for BERT `[CLS]`, `[SEP]`, `[PAD]`, `[UNK]`, `[MASK]`) out of every
/// vector when `drop` is true. Default false: the vectors as the model makes them. Fails with
/// `SPLADE_STATUS_NULL_ARGUMENT` when `options` is NULL. Not thread-safe on one `options` (see `splade_options`).
///
/// # Safety
/// `options` must be NULL or options from `splade_options_new` not yet freed, which no other call uses meanwhile;
/// `error_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn splade_options_set_drop_special_tokens(
    options: Option<&mut splade_options>,
    drop: bool,
    error_out: *mut *mut splade_error,
) -> Status {
    let change = |o: &mut Options| {
        o.drop_special_tokens = drop;
        Ok(())
    };
    // SAFETY: `error_out` is NULL or writable (this function's contract).
    unsafe {
        update(
            "splade_options_set_drop_special_tokens",
            options,
            error_out,
            change,
        )
    }
}

/// Sets the threads one expander call uses; 0 restores the default (one per core, at most 256). At most 256, else
/// `SPLADE_STATUS_INVALID_ARGUMENT`. For a graph that ONNX Runtime runs to the end (pooled weights or logits) they
/// are ONNX Runtime's intra-op threads. For a graph that stops at the hidden states (the library's decoder, as in
/// the shipped splade-tiny) they decode one inference call's vocabulary together, and a batch's inference calls run
/// side by side on them, ONNX Runtime running each on one thread (docs/threads.md). More threads add no copy of the
/// model. Fails with `SPLADE_STATUS_NULL_ARGUMENT` when `options` is NULL. Not thread-safe on one `options`
/// (see `splade_options`).
///
/// # Safety
/// `options` must be NULL or options from `splade_options_new` not yet freed, which no other call uses meanwhile;
/// `error_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn splade_options_set_intra_op_threads(
    options: Option<&mut splade_options>,
    threads: usize,
    error_out: *mut *mut splade_error,
) -> Status {
    let change = |o: &mut Options| {
        o.intra_op_threads = (threads > 0).then_some(threads);
        Ok(())
    };
    // SAFETY: `error_out` is NULL or writable (this function's contract).
    unsafe {
        update(
            "splade_options_set_intra_op_threads",
            options,
            error_out,
            change,
        )
    }
}

/// Sets how many inference calls of different callers may run at once on one expander. They share its one ONNX
/// Runtime session (one copy of the weights), each with its own buffers. Default 1. Must be from 1 to 256, else
/// `SPLADE_STATUS_INVALID_ARGUMENT`. A batch's calls run side by side on `intra_op_threads` whatever this is. Fails with
/// `SPLADE_STATUS_NULL_ARGUMENT` when `options` is NULL. Not thread-safe on one `options` (see `splade_options`).
///
/// # Safety
/// `options` must be NULL or options from `splade_options_new` not yet freed, which no other call uses meanwhile;
/// `error_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn splade_options_set_sessions(
    options: Option<&mut splade_options>,
    sessions: usize,
    error_out: *mut *mut splade_error,
) -> Status {
    let change = |o: &mut Options| {
        o.sessions = sessions;
        Ok(())
    };
    // SAFETY: `error_out` is NULL or writable (this function's contract).
    unsafe { update("splade_options_set_sessions", options, error_out, change) }
}

/// Sets the most padded tokens (texts × padded length) one inference call may hold; a longer single text still
/// runs, alone. Default 256. Must be `>= 1`, else `SPLADE_STATUS_INVALID_ARGUMENT`. Fails with
/// `SPLADE_STATUS_NULL_ARGUMENT` when `options` is NULL. Not thread-safe on one `options` (see `splade_options`).
///
/// # Safety
/// `options` must be NULL or options from `splade_options_new` not yet freed, which no other call uses meanwhile;
/// `error_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn splade_options_set_token_budget(
    options: Option<&mut splade_options>,
    token_budget: usize,
    error_out: *mut *mut splade_error,
) -> Status {
    let change = |o: &mut Options| {
        o.token_budget = token_budget;
        Ok(())
    };
    // SAFETY: `error_out` is NULL or writable (this function's contract).
    unsafe {
        update(
            "splade_options_set_token_budget",
            options,
            error_out,
            change,
        )
    }
}

/// Sets the path of the ONNX Runtime shared library to load (NUL-terminated, copied); when set, it is the only
/// library tried. Without it: `ORT_DYLIB_PATH` when set (likewise the only one tried), else `libonnxruntime.so`
/// beside `libspladerunner.so`, then the system's search path. A library that fails to load is an error carrying the
/// system's reason. Fails with `SPLADE_STATUS_NULL_ARGUMENT` when `options` or `path` is NULL. Not
/// thread-safe on one `options` (see `splade_options`).
///
/// # Safety
/// `options` must be NULL or options from `splade_options_new` not yet freed, which no other call uses meanwhile;
/// `path` NULL or a NUL-terminated string; `error_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn splade_options_set_ort_library_path(
    options: Option<&mut splade_options>,
    path: *const c_char,
    error_out: *mut *mut splade_error,
) -> Status {
    let change = |o: &mut Options| {
        // SAFETY: `path` is NULL or a NUL-terminated string (this function's contract).
        let path = unsafe { c_str(path, "path") }?;
        o.ort_library_path = Some(PathBuf::from(OsStr::from_bytes(path.to_bytes())));
        Ok(())
    };
    // SAFETY: `error_out` is NULL or writable (this function's contract).
    unsafe {
        update(
            "splade_options_set_ort_library_path",
            options,
            error_out,
            change,
        )
    }
}
