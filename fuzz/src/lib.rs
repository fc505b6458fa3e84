//! The C ABI of `include/spladerunner.h` as the fuzz targets call it, and the checks of its contract they share.
//!
//! The targets call the library through its exported C functions, as a C program (and the outside audit's
//! libFuzzer harness) does, not through its Rust API, so that the boundary itself is what gets fuzzed: text as
//! pointer + length, NULL arguments, out-parameters written only on success, error objects, the panic guard. The
//! `extern "C"` block restates the header's declarations; the `spladerunner` crate linked into each target
//! supplies the symbols.
//!
//! Every check comes from the header's contract, not from the library's code: a status is one of the header's
//! numbers and never `SPLADE_STATUS_PANIC`; a failure hands back an error object of the same status with a
//! non-empty message and leaves the out-parameter as it was; a vector holds ascending unique ids below the
//! vocabulary size, each with a finite weight above 0, and every id has a token.

// The header's type names.
#![allow(non_camel_case_types)]

use std::ffi::{c_char, c_int, CStr, CString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::ptr::{null, null_mut};

// The library's rlib, whose `#[no_mangle]` functions the block below declares: named so that it is linked.
extern crate spladerunner;

/// A status, `enum splade_status` of the header: read as the C `int` it is, so that a number outside the enum is
/// a failed check rather than undefined behaviour.
pub type Status = c_int;

/// The header's status numbers, taken from the library's `Status` (the header is generated from it, and
/// `tests/header.rs` holds the two equal).
pub mod status {
    use super::Status;
    use spladerunner::Status as Of;

    pub const OK: Status = Of::Ok as Status;
    pub const NULL_ARGUMENT: Status = Of::NullArgument as Status;
    pub const INVALID_ARGUMENT: Status = Of::InvalidArgument as Status;
    pub const INVALID_UTF8: Status = Of::InvalidUtf8 as Status;
    pub const MODEL_NOT_FOUND: Status = Of::ModelNotFound as Status;
    pub const INVALID_MODEL: Status = Of::InvalidModel as Status;
    pub const TOKENIZATION: Status = Of::Tokenization as Status;
    pub const RUNTIME_UNAVAILABLE: Status = Of::RuntimeUnavailable as Status;
    pub const INFERENCE: Status = Of::Inference as Status;
    pub const OUT_OF_RANGE: Status = Of::OutOfRange as Status;
    pub const CLOSED: Status = Of::Closed as Status;
    pub const OUT_OF_MEMORY: Status = Of::OutOfMemory as Status;
    pub const PANIC: Status = Of::Panic as Status;

    /// Whether `code` is one of the header's statuses.
    pub fn known(code: Status) -> bool {
        Of::from_code(code.into()).is_some()
    }
}

/// The header's `SPLADE_FORMAT_*` numbers, in order: indices/values, token weights, Elasticsearch, impacts, TEI.
pub mod format {
    /// `SPLADE_FORMAT_INDICES_VALUES`.
    pub const INDICES_VALUES: u32 = 0;
    /// `SPLADE_FORMAT_TOKEN_WEIGHTS`.
    pub const TOKEN_WEIGHTS: u32 = 1;
    /// `SPLADE_FORMAT_ELASTICSEARCH`.
    pub const ELASTICSEARCH: u32 = 2;
    /// `SPLADE_FORMAT_IMPACTS`.
    pub const IMPACTS: u32 = 3;
    /// `SPLADE_FORMAT_TEI`.
    pub const TEI: u32 = 4;
}

/// `splade_error` (opaque).
#[repr(C)]
pub struct splade_error {
    _opaque: [u8; 0],
}

/// `splade_expander` (opaque).
#[repr(C)]
pub struct splade_expander {
    _opaque: [u8; 0],
}

/// `splade_options` (opaque).
#[repr(C)]
pub struct splade_options {
    _opaque: [u8; 0],
}

/// `splade_sparse_vector`.
#[repr(C)]
pub struct splade_sparse_vector {
    pub indices: *const u32,
    pub weights: *const f32,
    pub len: usize,
}

/// `splade_sparse_batch`.
#[repr(C)]
pub struct splade_sparse_batch {
    pub count: usize,
    pub vectors: *const splade_sparse_vector,
    pub indices: *const u32,
    pub weights: *const f32,
    pub total_len: usize,
}

extern "C" {
    pub fn splade_error_status(error: *const splade_error) -> Status;
    pub fn splade_error_message(error: *const splade_error) -> *const c_char;
    pub fn splade_error_free(error: *mut splade_error);
    pub fn splade_status_name(status: c_int) -> *const c_char;
    pub fn splade_expander_new(
        model_dir: *const c_char,
        options: *const splade_options,
        expander_out: *mut *mut splade_expander,
        error_out: *mut *mut splade_error,
    ) -> Status;
    pub fn splade_expander_free(expander: *mut splade_expander);
    pub fn splade_expander_expand(
        expander: *const splade_expander,
        text: *const u8,
        text_len: usize,
        vector_out: *mut *mut splade_sparse_vector,
        error_out: *mut *mut splade_error,
    ) -> Status;
    pub fn splade_expander_expand_batch(
        expander: *const splade_expander,
        texts: *const *const u8,
        text_lens: *const usize,
        count: usize,
        batch_out: *mut *mut splade_sparse_batch,
        error_out: *mut *mut splade_error,
    ) -> Status;
    pub fn splade_expander_token(
        expander: *const splade_expander,
        id: u32,
        token_out: *mut *const c_char,
        error_out: *mut *mut splade_error,
    ) -> Status;
    pub fn splade_expander_tokens(
        expander: *const splade_expander,
        ids: *const u32,
        count: usize,
        tokens_out: *mut *const c_char,
        error_out: *mut *mut splade_error,
    ) -> Status;
    pub fn splade_expander_vocab_size(expander: *const splade_expander) -> usize;
    pub fn splade_expander_max_length(expander: *const splade_expander) -> usize;
    pub fn splade_expander_native_size(expander: *const splade_expander) -> usize;
    pub fn splade_expander_to_json(
        expander: *const splade_expander,
        vector: *const splade_sparse_vector,
        format: u32,
        scale: f32,
        json_out: *mut *mut c_char,
        len_out: *mut usize,
        error_out: *mut *mut splade_error,
    ) -> Status;
    pub fn splade_string_free(string: *mut c_char);
    pub fn splade_options_new() -> *mut splade_options;
    pub fn splade_options_free(options: *mut splade_options);
    pub fn splade_options_set_max_length(
        options: *mut splade_options,
        max_length: usize,
        error_out: *mut *mut splade_error,
    ) -> Status;
    pub fn splade_options_set_max_windows(
        options: *mut splade_options,
        max_windows: usize,
        error_out: *mut *mut splade_error,
    ) -> Status;
    pub fn splade_options_set_window_overlap(
        options: *mut splade_options,
        window_overlap: usize,
        error_out: *mut *mut splade_error,
    ) -> Status;
    pub fn splade_options_set_top_k(
        options: *mut splade_options,
        top_k: usize,
        error_out: *mut *mut splade_error,
    ) -> Status;
    pub fn splade_options_set_min_weight(
        options: *mut splade_options,
        min_weight: f32,
        error_out: *mut *mut splade_error,
    ) -> Status;
    pub fn splade_options_set_max_ratio(
        options: *mut splade_options,
        max_ratio: f32,
        error_out: *mut *mut splade_error,
    ) -> Status;
    pub fn splade_options_set_alpha_mass(
        options: *mut splade_options,
        alpha_mass: f32,
        error_out: *mut *mut splade_error,
    ) -> Status;
    pub fn splade_options_set_drop_special_tokens(
        options: *mut splade_options,
        drop: bool,
        error_out: *mut *mut splade_error,
    ) -> Status;
    pub fn splade_options_set_intra_op_threads(
        options: *mut splade_options,
        threads: usize,
        error_out: *mut *mut splade_error,
    ) -> Status;
    pub fn splade_options_set_sessions(
        options: *mut splade_options,
        sessions: usize,
        error_out: *mut *mut splade_error,
    ) -> Status;
    pub fn splade_options_set_token_budget(
        options: *mut splade_options,
        token_budget: usize,
        error_out: *mut *mut splade_error,
    ) -> Status;
    pub fn splade_options_set_ort_library_path(
        options: *mut splade_options,
        path: *const c_char,
        error_out: *mut *mut splade_error,
    ) -> Status;
    pub fn splade_sparse_vector_free(vector: *mut splade_sparse_vector);
    pub fn splade_sparse_batch_free(batch: *mut splade_sparse_batch);
    pub fn splade_version() -> *const c_char;
}

/// The set-up's models (`tools/setup.sh`): `.cache/models` of the checkout this crate is built in.
pub fn models() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../.cache/models")
}

/// The default model, `splade-tiny`: a BERT vocabulary, at most 512 tokens, `[CLS]` and `[SEP]` around a text.
pub fn default_model() -> PathBuf {
    models().join("splade-tiny")
}

/// The tokens the header names as BERT's special tokens, left out by `drop_special_tokens`.
pub const SPECIAL_TOKENS: [&str; 5] = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];

/// The ONNX Runtime library of the set-up. A fuzz binary does not sit beside one, so every target names it with
/// the `ort_library_path` option.
pub fn ort_library() -> CString {
    c_path(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../.cache/onnxruntime/libonnxruntime.so"))
}

/// Scratch files of the targets (the model directories they write): under the checkout's `target/`.
pub fn scratch() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/fuzz/scratch")
}

/// `path` as a NUL-terminated string for the C ABI.
pub fn c_path(path: &Path) -> CString {
    CString::new(path.as_os_str().as_bytes()).expect("a path holds no NUL byte")
}

/// A failed call: its status and its error's message.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub status: Status,
    pub message: String,
}

/// The name of `status`, from `splade_status_name`.
pub fn status_name(status: Status) -> String {
    // SAFETY: `splade_status_name` takes any number and returns a static NUL-terminated string.
    let name = unsafe { CStr::from_ptr(splade_status_name(status)) };
    name.to_string_lossy().into_owned()
}

/// Checks what the fallible call `call` gave, `status` and `error` (its `error_out`, NULL before the call), against
/// the header: a known status, never `SPLADE_STATUS_PANIC`, named by `splade_status_name`; on success no error
/// object; on failure an error object of the same status with a non-empty UTF-8 message. Frees the error object.
///
/// # Safety
/// `error` must be NULL or an error object of this library not yet freed; it is freed here.
pub unsafe fn settle(call: &str, status: Status, error: *mut splade_error) -> Result<(), Failure> {
    let message = if error.is_null() {
        None
    } else {
        // SAFETY: `error` is a live error object (this function's contract); its message lives until it is freed,
        // and is copied before.
        let (error_status, message) = unsafe {
            let message = CStr::from_ptr(splade_error_message(error)).to_owned();
            (splade_error_status(error), message)
        };
        // SAFETY: `error` is freed once, and not used after.
        unsafe { splade_error_free(error) };
        assert_eq!(
            error_status, status,
            "{call}: returned {status} but its error object holds {error_status}"
        );
        let message = message
            .into_string()
            .unwrap_or_else(|e| panic!("{call}: the error message is not UTF-8: {e}"));
        Some(message)
    };
    assert!(
        status::known(status),
        "{call}: status {status} is none of the header's"
    );
    assert_ne!(
        status,
        status::PANIC,
        "{call}: the library panicked: {message:?}"
    );
    let name = status_name(status);
    assert!(
        name.starts_with("SPLADE_STATUS_") && name != "SPLADE_STATUS_UNKNOWN",
        "{call}: status {status} is named {name:?}"
    );
    match message {
        None if status == status::OK => Ok(()),
        Some(message) if status == status::OK => {
            panic!("{call}: succeeded but wrote an error object: {message:?}")
        }
        None => panic!("{call}: failed with {name} but wrote no error object"),
        Some(message) => {
            assert!(
                !message.is_empty(),
                "{call}: failed with {name} and an empty message"
            );
            Err(Failure { status, message })
        }
    }
}

/// Calls the option setter `$setter` (a `splade_options_set_*` taking a number or a bool) on `$options` (an
/// [`Options`]) with `$value`, and settles its outcome ([`settle`]).
#[macro_export]
macro_rules! set {
    ($options:expr, $setter:ident, $value:expr) => {{
        let options: &$crate::Options = &$options;
        let value = $value;
        let mut error = ::std::ptr::null_mut();
        // SAFETY: the options are live (an `Options`), the value is a number or a bool, `error` a writable local.
        let status = unsafe { $crate::$setter(options.as_ptr(), value, &mut error) };
        // SAFETY: `error` is NULL or the error object just written.
        unsafe { $crate::settle(stringify!($setter), status, error) }
    }};
}

/// Options made by `splade_options_new` with the set-up's ONNX Runtime named; freed when dropped.
pub struct Options(*mut splade_options);

impl Options {
    /// New options at their defaults but for `ort_library_path`, the set-up's library.
    pub fn new() -> Options {
        let options = Options(new_options_handle());
        let path = ort_library();
        let mut error = null_mut();
        // SAFETY: the options are live, `path` is NUL-terminated, `error` a writable local.
        let status =
            unsafe { splade_options_set_ort_library_path(options.0, path.as_ptr(), &mut error) };
        // SAFETY: `error` is NULL or the error object just written.
        unsafe { settle("splade_options_set_ort_library_path", status, error) }
            .expect("the ONNX Runtime path is accepted");
        options
    }

    /// The handle, for the setters.
    pub fn as_ptr(&self) -> *mut splade_options {
        self.0
    }
}

impl Default for Options {
    fn default() -> Self {
        Options::new()
    }
}

impl Drop for Options {
    fn drop(&mut self) {
        // SAFETY: the options are live and freed once, here.
        unsafe { splade_options_free(self.0) }
    }
}

/// `splade_options_new`, which takes nothing and never returns NULL.
fn new_options_handle() -> *mut splade_options {
    // SAFETY: `splade_options_new` has no preconditions.
    let options = unsafe { splade_options_new() };
    assert!(!options.is_null(), "splade_options_new returned NULL");
    options
}

/// The terms of a vector, copied out of the library's memory.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Terms {
    pub ids: Vec<u32>,
    pub weights: Vec<f32>,
}

impl Terms {
    /// Copies the terms of `vector`, a vector of the library.
    ///
    /// # Safety
    /// `vector` must be as the library wrote it: `len` readable entries in each array when `len > 0`.
    pub unsafe fn of(vector: &splade_sparse_vector, what: &str) -> Terms {
        if vector.len == 0 {
            return Terms::default();
        }
        assert!(
            !vector.indices.is_null() && !vector.weights.is_null(),
            "{what}: {} terms but a NULL array",
            vector.len
        );
        // SAFETY: both arrays hold `len` entries (this function's contract).
        unsafe {
            Terms {
                ids: std::slice::from_raw_parts(vector.indices, vector.len).to_vec(),
                weights: std::slice::from_raw_parts(vector.weights, vector.len).to_vec(),
            }
        }
    }

    /// The weight of `id`, 0 when the vector does not hold it.
    pub fn weight(&self, id: u32) -> f32 {
        self.ids.binary_search(&id).map_or(0.0, |i| self.weights[i])
    }
}

/// An expander opened by a target; freed when dropped.
pub struct Expander(*mut splade_expander);

// SAFETY: the header makes `splade_expander` thread-safe: any number of threads may call the functions taking a
// `const splade_expander *` at once; only `splade_expander_free`, run by `drop` with `&mut self`, needs it alone.
unsafe impl Send for Expander {}
// SAFETY: as for `Send`: every method of `&self` calls a function the header makes thread-safe.
unsafe impl Sync for Expander {}

impl Expander {
    /// Opens `dir` with `options`; on failure the out-parameter must be as it was.
    pub fn open(dir: &Path, options: &Options) -> Result<Expander, Failure> {
        let dir = c_path(dir);
        let mut expander = null_mut();
        let mut error = null_mut();
        // SAFETY: `dir` is NUL-terminated, the options are live, `expander` and `error` are writable locals.
        let status =
            unsafe { splade_expander_new(dir.as_ptr(), options.0, &mut expander, &mut error) };
        // SAFETY: `error` is NULL or the error object just written.
        match unsafe { settle("splade_expander_new", status, error) } {
            Ok(()) => {
                assert!(
                    !expander.is_null(),
                    "splade_expander_new: OK but no expander"
                );
                Ok(Expander(expander))
            }
            Err(failure) => {
                assert!(
                    expander.is_null(),
                    "splade_expander_new: failed but wrote an expander"
                );
                Err(failure)
            }
        }
    }

    /// The handle.
    pub fn as_ptr(&self) -> *const splade_expander {
        self.0
    }

    /// `splade_expander_vocab_size`.
    pub fn vocab_size(&self) -> usize {
        // SAFETY: the expander is live.
        unsafe { splade_expander_vocab_size(self.0) }
    }

    /// `splade_expander_max_length`.
    pub fn max_length(&self) -> usize {
        // SAFETY: the expander is live.
        unsafe { splade_expander_max_length(self.0) }
    }

    /// Expands `text[0..len]` (`text` may be NULL when `len` is 0), checks the outcome with [`settle`] and the
    /// vector with [`Expander::check`], frees it and returns its terms.
    ///
    /// # Safety
    /// `text` must be NULL or `len` readable bytes.
    pub unsafe fn expand_raw(&self, text: *const u8, len: usize) -> Result<Terms, Failure> {
        let mut vector = null_mut();
        let mut error = null_mut();
        // SAFETY: the expander is live, `text` NULL or `len` readable bytes (this function's contract), `vector`
        // and `error` writable locals.
        let status = unsafe { splade_expander_expand(self.0, text, len, &mut vector, &mut error) };
        // SAFETY: `error` is NULL or the error object just written.
        if let Err(failure) = unsafe { settle("splade_expander_expand", status, error) } {
            assert!(
                vector.is_null(),
                "splade_expander_expand: failed but wrote a vector"
            );
            return Err(failure);
        }
        assert!(
            !vector.is_null(),
            "splade_expander_expand: OK but no vector"
        );
        // SAFETY: the library wrote `vector`; it is read, then freed once.
        let terms = unsafe {
            let terms = Terms::of(&*vector, "splade_expander_expand");
            splade_sparse_vector_free(vector);
            terms
        };
        self.check(&terms, "splade_expander_expand");
        Ok(terms)
    }

    /// Expands `text` as [`Expander::expand_raw`] does.
    pub fn expand(&self, text: &[u8]) -> Result<Terms, Failure> {
        // SAFETY: a slice is `len` readable bytes.
        unsafe { self.expand_raw(text.as_ptr(), text.len()) }
    }

    /// Expands the texts `texts[i][0..lens[i]]` as one batch (NULL arrays when there are none), checks the outcome
    /// with [`settle`], the batch's layout (one vector per text, each viewing its slice of the two arrays, the
    /// slices following each other and filling them) and each vector with [`Expander::check`]; frees the batch
    /// and returns each vector's terms.
    ///
    /// # Safety
    /// `texts` and `lens` must have the same length, and each `texts[i]` be NULL or `lens[i]` readable bytes.
    pub unsafe fn expand_batch_raw(
        &self,
        texts: &[*const u8],
        lens: &[usize],
    ) -> Result<Vec<Terms>, Failure> {
        assert_eq!(texts.len(), lens.len());
        let (texts_ptr, lens_ptr) = if texts.is_empty() {
            (null(), null())
        } else {
            (texts.as_ptr(), lens.as_ptr())
        };
        let mut batch: *mut splade_sparse_batch = null_mut();
        let mut error = null_mut();
        // SAFETY: the expander is live; `texts` and `lens` hold `texts.len()` entries (or are NULL for none), each
        // text NULL or `lens[i]` readable bytes (this function's contract); `batch` and `error` are writable
        // locals.
        let status = unsafe {
            splade_expander_expand_batch(
                self.0,
                texts_ptr,
                lens_ptr,
                texts.len(),
                &mut batch,
                &mut error,
            )
        };
        // SAFETY: `error` is NULL or the error object just written.
        if let Err(failure) = unsafe { settle("splade_expander_expand_batch", status, error) } {
            assert!(
                batch.is_null(),
                "splade_expander_expand_batch: failed but wrote a batch"
            );
            return Err(failure);
        }
        assert!(
            !batch.is_null(),
            "splade_expander_expand_batch: OK but no batch"
        );
        // SAFETY: the library wrote `batch`: `count` vectors viewing `total_len` entries of each array. It is read,
        // then freed once.
        let vectors = unsafe {
            let b = &*batch;
            assert_eq!(b.count, texts.len(), "one vector per text");
            let mut offset = 0;
            let mut vectors = Vec::with_capacity(b.count);
            for i in 0..b.count {
                let view = &*b.vectors.add(i);
                if view.len > 0 {
                    assert!(
                        view.indices == b.indices.add(offset)
                            && view.weights == b.weights.add(offset),
                        "vector {i} of a batch does not view its slice at offset {offset}"
                    );
                }
                offset += view.len;
                assert!(
                    offset <= b.total_len,
                    "vector {i} of a batch runs past total_len"
                );
                vectors.push(Terms::of(view, "a vector of a batch"));
            }
            assert_eq!(
                offset, b.total_len,
                "the vectors of a batch do not fill its arrays"
            );
            splade_sparse_batch_free(batch);
            vectors
        };
        for (i, terms) in vectors.iter().enumerate() {
            self.check(terms, &format!("text {i} of a batch"));
        }
        Ok(vectors)
    }

    /// Expands `texts` as one batch, as [`Expander::expand_batch_raw`] does.
    pub fn expand_batch(&self, texts: &[&[u8]]) -> Result<Vec<Terms>, Failure> {
        let pointers: Vec<*const u8> = texts.iter().map(|t| t.as_ptr()).collect();
        let lens: Vec<usize> = texts.iter().map(|t| t.len()).collect();
        // SAFETY: each pointer is a slice's, `lens[i]` bytes long.
        unsafe { self.expand_batch_raw(&pointers, &lens) }
    }

    /// The tokens of `ids`, all below the vocabulary size, from `splade_expander_tokens`, which must succeed;
    /// each is checked against `splade_expander_token`.
    pub fn tokens(&self, ids: &[u32]) -> Vec<String> {
        let mut tokens = vec![null(); ids.len()];
        let mut error = null_mut();
        // SAFETY: the expander is live, `ids` and `tokens` hold `ids.len()` entries, `error` is a writable local.
        let status = unsafe {
            splade_expander_tokens(
                self.0,
                ids.as_ptr(),
                ids.len(),
                tokens.as_mut_ptr(),
                &mut error,
            )
        };
        // SAFETY: `error` is NULL or the error object just written.
        if let Err(failure) = unsafe { settle("splade_expander_tokens", status, error) } {
            panic!("splade_expander_tokens failed on ids below the vocabulary size: {failure:?}");
        }
        ids.iter()
            .zip(tokens)
            .map(|(&id, token)| {
                assert!(!token.is_null(), "splade_expander_tokens: NULL for id {id}");
                let mut single = null();
                let mut error = null_mut();
                // SAFETY: as above; `single` is a writable local.
                let status = unsafe { splade_expander_token(self.0, id, &mut single, &mut error) };
                // SAFETY: `error` is NULL or the error object just written.
                if let Err(failure) = unsafe { settle("splade_expander_token", status, error) } {
                    panic!("splade_expander_token failed on id {id}: {failure:?}");
                }
                // SAFETY: both are NUL-terminated strings owned by the live expander.
                let (token, single) = unsafe { (CStr::from_ptr(token), CStr::from_ptr(single)) };
                assert_eq!(token, single, "id {id}: the two token calls differ");
                token
                    .to_str()
                    .unwrap_or_else(|e| panic!("the token of id {id} is not UTF-8: {e}"))
                    .to_string()
            })
            .collect()
    }

    /// Checks `terms`, a vector the library returned, against the header: as many weights as ids, ids ascending,
    /// unique and below the vocabulary size, weights finite and above 0, a token for every id. Returns the
    /// tokens.
    pub fn check(&self, terms: &Terms, what: &str) -> Vec<String> {
        assert_eq!(terms.ids.len(), terms.weights.len(), "{what}");
        let vocab = self.vocab_size();
        for (i, (&id, &weight)) in terms.ids.iter().zip(&terms.weights).enumerate() {
            assert!(
                (id as usize) < vocab,
                "{what}: term {i} has id {id}, not below the vocabulary size {vocab}"
            );
            assert!(
                weight.is_finite() && weight > 0.0,
                "{what}: term {i} (id {id}) has weight {weight}"
            );
            if i > 0 {
                let previous = terms.ids[i - 1];
                assert!(
                    id > previous,
                    "{what}: term {i} has id {id} after id {previous}"
                );
            }
        }
        self.tokens(&terms.ids)
    }
}

impl Drop for Expander {
    fn drop(&mut self) {
        // SAFETY: the expander is live and freed once, here, with no other call using it (`&mut self`).
        unsafe { splade_expander_free(self.0) }
    }
}

/// How far a weight of a text expanded in a batch may be from its weight when expanded alone: padding to the
/// batch's longest text changes the floating-point sums, not the model.
pub const BATCH_TOLERANCE: f32 = 1e-4;

/// Checks that `a` and `b`, two vectors of one text, hold the same weights within `tolerance` (a term missing
/// from one counts as weight 0 there): the same text expanded alone and in a batch pads differently, so the
/// floating-point sums may round differently, and a term whose weight sits at 0 may be in one and not the other.
pub fn assert_close(a: &Terms, b: &Terms, tolerance: f32, what: &str) {
    for &id in a.ids.iter().chain(&b.ids) {
        let (x, y) = (a.weight(id), b.weight(id));
        assert!(
            (x - y).abs() <= tolerance,
            "{what}: id {id} has weight {x} in one and {y} in the other"
        );
    }
}
