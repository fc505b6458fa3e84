//! `splade_expander`: an opened model, and the functions that expand text with it.

use std::ffi::{c_char, CStr, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::error::{Error, Status};
use crate::expander::Expander;
use crate::ffi::boundary::{c_str, guard, null_argument, quietly, required, utf8, write_out, Tag};
use crate::ffi::error::splade_error;
use crate::ffi::options::splade_options;
use crate::ffi::vector::{splade_sparse_batch, splade_sparse_vector};
use crate::options::Options;

/// A SPLADE encoder for one model directory, created by `splade_expander_new`.
///
/// Owned by the caller, freed with `splade_expander_free`. Thread-safe: any number of threads may call the
/// functions that take a `const splade_expander *` at the same time; inference runs for up to `sessions` (an
/// option, default 1) callers at once, the others wait their turn, all on the expander's one ONNX Runtime session
/// (one copy of the weights); with the library's decoder a batch's calls also run side by side on up to
/// `intra_op_threads` threads. `splade_expander_free` must not run while another call uses the expander.
pub struct splade_expander {
    tag: Tag<{ u64::from_be_bytes(*b"spl:expd") }>,
    expander: Expander,
}

impl splade_expander {
    /// The expander, once its tag is checked: `function`, the C function called, aborts on a freed handle.
    pub(crate) fn live(&self, function: &str) -> &Expander {
        self.tag.check(function);
        &self.expander
    }
}

/// Opens the model directory `model_dir` (NUL-terminated path) with `options` (NULL: defaults; copied, so it may
/// be freed after this call). On success writes a new expander to `*expander_out`, to be freed with
/// `splade_expander_free`.
///
/// Fails with `SPLADE_STATUS_MODEL_NOT_FOUND` (no directory, no `model.onnx` or no `tokenizer.json`),
/// `SPLADE_STATUS_INVALID_MODEL` (a file that cannot be used, a graph whose inputs or outputs do not fit, a
/// vocabulary size that differs from the tokenizer's), `SPLADE_STATUS_RUNTIME_UNAVAILABLE` (ONNX Runtime cannot
/// be loaded, or this process already loaded it from another path), `SPLADE_STATUS_INVALID_ARGUMENT` (an option
/// the model cannot honour) or `SPLADE_STATUS_NULL_ARGUMENT`. Thread-safe.
///
/// # Safety
/// `model_dir` must be NULL or a NUL-terminated string; `options` NULL or options from `splade_options_new` not
/// yet freed, which no other thread changes during the call; `expander_out` and `error_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn splade_expander_new(
    model_dir: *const c_char,
    options: Option<&splade_options>,
    expander_out: *mut *mut splade_expander,
    error_out: *mut *mut splade_error,
) -> Status {
    let body = || {
        // SAFETY: `model_dir` is NULL or NUL-terminated (this function's contract).
        let dir = unsafe { c_str(model_dir, "model_dir") }?;
        let options =
            options.map_or_else(Options::default, |o| o.live("splade_expander_new").clone());
        if expander_out.is_null() {
            return Err(null_argument("expander_out"));
        }
        let expander = Expander::new(Path::new(OsStr::from_bytes(dir.to_bytes())), options)?;
        let boxed = Box::into_raw(Box::new(splade_expander {
            tag: Tag::live(),
            expander,
        }));
        // SAFETY: `expander_out` is not NULL (checked above), so writable (this function's contract).
        unsafe { write_out(expander_out, "expander_out", boxed) }
    };
    // SAFETY: `error_out` is NULL or writable (this function's contract).
    unsafe { guard(error_out, body) }
}

/// Frees `expander`. NULL is a no-op. No other call may be using it.
///
/// Freeing it twice, or using it after, is undefined behaviour. While its memory is not yet reused, a tag word in
/// it catches either: the call aborts the process with a message on stderr naming the function. Once the memory is
/// reused nothing can tell, so this catches the common case, not every case.
///
/// # Safety
/// `expander` must be NULL or an expander from `splade_expander_new` not yet freed; it is freed once, and not
/// used after.
#[no_mangle]
pub unsafe extern "C" fn splade_expander_free(expander: Option<Box<splade_expander>>) {
    let Some(mut expander) = expander else { return };
    expander.tag.retire("splade_expander_free");
    quietly((), || drop(expander));
}

/// Expands the UTF-8 text `text[0..text_len]` (not NUL-terminated; `(NULL, 0)` is the empty text). On success
/// writes a new vector to `*vector_out`, to be freed with `splade_sparse_vector_free`.
///
/// Fails with `SPLADE_STATUS_INVALID_UTF8`, `SPLADE_STATUS_NULL_ARGUMENT`, `SPLADE_STATUS_TOKENIZATION`,
/// `SPLADE_STATUS_INFERENCE`, `SPLADE_STATUS_OUT_OF_MEMORY`, or `SPLADE_STATUS_INVALID_MODEL` (the model's
/// output did not fit). Thread-safe.
///
/// # Safety
/// `expander` must be NULL or an expander not yet freed; `text` NULL or `text_len` readable bytes, unchanged
/// during the call; `vector_out` and `error_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn splade_expander_expand(
    expander: Option<&splade_expander>,
    text: *const u8,
    text_len: usize,
    vector_out: *mut *mut splade_sparse_vector,
    error_out: *mut *mut splade_error,
) -> Status {
    let body = || {
        let expander = required(expander, "expander")?.live("splade_expander_expand");
        // SAFETY: `text` is NULL or `text_len` readable bytes, unchanged during the call (this function's
        // contract).
        let text = unsafe { utf8(text, text_len, "text") }?;
        if vector_out.is_null() {
            return Err(null_argument("vector_out"));
        }
        let vector = splade_sparse_vector::boxed(expander.expand(text)?);
        // SAFETY: `vector_out` is not NULL (checked above), so writable (this function's contract).
        unsafe { write_out(vector_out, "vector_out", vector) }
    };
    // SAFETY: `error_out` is NULL or writable (this function's contract).
    unsafe { guard(error_out, body) }
}

/// Expands `count` texts, text `i` being the UTF-8 bytes `texts[i][0..text_lens[i]]` (`(NULL, 0)` is the empty
/// text). Texts are grouped by length into inference calls bounded by the `token_budget` option, so any count
/// is fine. On success writes a new batch, vectors in text order, to `*batch_out`, to be freed with
/// `splade_sparse_batch_free`. `texts` and `text_lens` may be NULL when `count` is 0.
///
/// Fails like `splade_expander_expand`; the message of an invalid text names its index. Thread-safe.
///
/// # Safety
/// `expander` must be NULL or an expander not yet freed; `texts` and `text_lens` NULL or `count` readable
/// entries each, `texts[i]` NULL or `text_lens[i]` readable bytes, all unchanged during the call; `batch_out` and
/// `error_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn splade_expander_expand_batch(
    expander: Option<&splade_expander>,
    texts: *const *const u8,
    text_lens: *const usize,
    count: usize,
    batch_out: *mut *mut splade_sparse_batch,
    error_out: *mut *mut splade_error,
) -> Status {
    let body = || {
        let expander = required(expander, "expander")?.live("splade_expander_expand_batch");
        if count > 0 && texts.is_null() {
            return Err(null_argument("texts"));
        }
        if count > 0 && text_lens.is_null() {
            return Err(null_argument("text_lens"));
        }
        if batch_out.is_null() {
            return Err(null_argument("batch_out"));
        }
        let strings = (0..count)
            .map(|i| {
                let what = format!("texts[{i}]");
                // SAFETY: `i < count`, both arrays are not NULL (checked above when `count > 0`) and hold `count`
                // entries, and `texts[i]` is NULL or `text_lens[i]` readable bytes (this function's contract).
                unsafe { utf8(*texts.add(i), *text_lens.add(i), &what) }
            })
            .collect::<Result<Vec<&str>, Error>>()?;
        let batch = splade_sparse_batch::boxed(expander.expand_batch(&strings)?);
        // SAFETY: `batch_out` is not NULL (checked above), so writable (this function's contract).
        unsafe { write_out(batch_out, "batch_out", batch) }
    };
    // SAFETY: `error_out` is NULL or writable (this function's contract).
    unsafe { guard(error_out, body) }
}

/// Looks up the token string of vocabulary id `id`. On success writes to `*token_out` a NUL-terminated UTF-8
/// string owned by the expander, valid until `splade_expander_free`.
///
/// Fails with `SPLADE_STATUS_OUT_OF_RANGE` when `id >= splade_expander_vocab_size(expander)`, or
/// `SPLADE_STATUS_NULL_ARGUMENT`. Thread-safe.
///
/// # Safety
/// `expander` must be NULL or an expander not yet freed; `token_out` and `error_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn splade_expander_token(
    expander: Option<&splade_expander>,
    id: u32,
    token_out: *mut *const c_char,
    error_out: *mut *mut splade_error,
) -> Status {
    let body = || {
        let expander = required(expander, "expander")?.live("splade_expander_token");
        let vocab = expander.vocab();
        let token = vocab.c_token(id).ok_or_else(|| vocab.out_of_range(id))?;
        // SAFETY: `token_out` is NULL or writable (this function's contract).
        unsafe { write_out(token_out, "token_out", token.as_ptr()) }
    };
    // SAFETY: `error_out` is NULL or writable (this function's contract).
    unsafe { guard(error_out, body) }
}

/// Looks up the token strings of the `count` vocabulary ids `ids[0..count]`. On success writes to `tokens_out[i]`,
/// for every `i < count`, the token of `ids[i]`: a NUL-terminated UTF-8 string owned by the expander, valid until
/// `splade_expander_free`. `ids` and `tokens_out` may be NULL when `count` is 0. One call instead of `count` calls
/// of `splade_expander_token`, for a binding that names every term of a vector.
///
/// Fails with `SPLADE_STATUS_OUT_OF_RANGE` when an id is `>= splade_expander_vocab_size(expander)` (the message
/// names the first such id and its index; nothing is written to `tokens_out`), or `SPLADE_STATUS_NULL_ARGUMENT`.
/// Thread-safe.
///
/// # Safety
/// `expander` must be NULL or an expander not yet freed; `ids` NULL or `count` readable ids, unchanged during the
/// call; `tokens_out` NULL or room for `count` pointers, writable; `error_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn splade_expander_tokens(
    expander: Option<&splade_expander>,
    ids: *const u32,
    count: usize,
    tokens_out: *mut *const c_char,
    error_out: *mut *mut splade_error,
) -> Status {
    let body = || {
        let expander = required(expander, "expander")?.live("splade_expander_tokens");
        if count == 0 {
            return Ok(());
        }
        if ids.is_null() {
            return Err(null_argument("ids"));
        }
        if tokens_out.is_null() {
            return Err(null_argument("tokens_out"));
        }
        // SAFETY: `ids` is not NULL (checked above), so `count` readable ids, unchanged during the call (this
        // function's contract).
        let ids = unsafe { std::slice::from_raw_parts(ids, count) };
        let vocab = expander.vocab();
        // Every token is looked up before the first is written: on failure `tokens_out` stays as it was.
        let tokens = ids
            .iter()
            .enumerate()
            .map(|(i, &id)| {
                vocab.c_token(id).map(CStr::as_ptr).ok_or_else(|| {
                    let error = vocab.out_of_range(id);
                    Error::new(error.status(), format!("ids[{i}]: {}", error.message()))
                })
            })
            .collect::<Result<Vec<*const c_char>, Error>>()?;
        // SAFETY: `tokens_out` is not NULL (checked above), so room for `count` writable pointers (this function's
        // contract), which cannot overlap `tokens`, a buffer of this call.
        unsafe { std::ptr::copy_nonoverlapping(tokens.as_ptr(), tokens_out, count) };
        Ok(())
    };
    // SAFETY: `error_out` is NULL or writable (this function's contract).
    unsafe { guard(error_out, body) }
}

/// Returns the number of vocabulary ids (every returned id is below it), or 0 when `expander` is NULL.
/// Thread-safe.
///
/// # Safety
/// `expander` must be NULL or an expander not yet freed.
#[no_mangle]
pub unsafe extern "C" fn splade_expander_vocab_size(expander: Option<&splade_expander>) -> usize {
    quietly(0, || {
        expander.map_or(0, |e| e.live("splade_expander_vocab_size").vocab_size())
    })
}

/// Returns the number of tokens of a text's window (special tokens included): a text is truncated to it, or cut
/// into up to `max_windows` windows of it. 0 when `expander` is NULL. Thread-safe.
///
/// # Safety
/// `expander` must be NULL or an expander not yet freed.
#[no_mangle]
pub unsafe extern "C" fn splade_expander_max_length(expander: Option<&splade_expander>) -> usize {
    quietly(0, || {
        expander.map_or(0, |e| e.live("splade_expander_max_length").max_length())
    })
}

/// Returns an estimate of the native memory `expander` holds, in bytes, or 0 when `expander` is NULL: the size of
/// the model graph file and of `model.onnx_data` if there is one (its one ONNX Runtime session holds the graph and
/// its weights, mapped from `model.onnx_data`, and counted whole), plus the library's decoder
/// matrices as held (a float32 matrix is mapped from its file, and counted whole). An estimate, not a count: it
/// leaves out the tokenizer and ONNX Runtime's own buffers. Fixed when the expander is created, so the call
/// is cheap: a binding for a garbage-collected language reports it to its runtime (the collector cannot see native
/// memory, so without it an expander dropped without being freed looks small and may wait long for collection).
/// Thread-safe.
///
/// # Safety
/// `expander` must be NULL or an expander not yet freed.
#[no_mangle]
pub unsafe extern "C" fn splade_expander_native_size(expander: Option<&splade_expander>) -> usize {
    quietly(0, || {
        expander.map_or(0, |e| e.live("splade_expander_native_size").native_size())
    })
}
