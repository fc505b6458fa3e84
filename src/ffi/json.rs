//! `splade_expander_to_json`: a vector in one of the JSON shapes search engines accept, and
//! `splade_string_free` for the string it returns.

use std::ffi::{c_char, CString};

use crate::error::{Error, Status};
use crate::ffi::boundary::{guard, null_argument, quietly, required, write_out};
use crate::ffi::error::splade_error;
use crate::ffi::expander::splade_expander;
use crate::ffi::vector::splade_sparse_vector;
use crate::format::Format;
use crate::vector::SparseVector;

/// `{"indices":[ids],"values":[weights]}` (Qdrant, Milvus).
pub const SPLADE_FORMAT_INDICES_VALUES: u32 = 0;
/// `{"token":weight,...}` (OpenSearch `rank_features`, Vespa).
pub const SPLADE_FORMAT_TOKEN_WEIGHTS: u32 = 1;
/// `{"token":weight,...}` with each `.` of a token written U+2024 and only strictly positive normal weights
/// (Elasticsearch `sparse_vector`, `rank_features`).
pub const SPLADE_FORMAT_ELASTICSEARCH: u32 = 2;
/// `{"token":impact,...}` with `impact = round(weight * scale)`, zeros left out (Anserini `JsonVectorCollection`).
pub const SPLADE_FORMAT_IMPACTS: u32 = 3;
/// `[{"index":id,"value":weight},...]` (text-embeddings-inference).
pub const SPLADE_FORMAT_TEI: u32 = 4;

/// Writes `vector` (any vector: returned by this library or filled by the caller, ids below
/// `splade_expander_vocab_size`) as JSON in `format`, one of the `SPLADE_FORMAT_*` numbers; `scale` is used by
/// `SPLADE_FORMAT_IMPACTS` only (100 is common) and must then be finite and above 0. On success writes a new
/// NUL-terminated UTF-8 string to `*json_out`, to be freed with `splade_string_free`, and its length in bytes
/// to `*len_out` when `len_out` is not NULL.
///
/// The vector is checked first, in one pass, and nothing is written for one that breaks a rule of
/// `splade_sparse_vector`. Fails with `SPLADE_STATUS_INVALID_ARGUMENT` (unknown format, bad scale, ids not
/// ascending and unique, a weight that is not a finite number above 0, 0 included: the library never makes one, so
/// it is a caller's bug rather than a term to leave out; or an impact above 2^31 - 1, the largest 32-bit integer
/// Anserini reads, the message naming the term and the scale), `SPLADE_STATUS_OUT_OF_RANGE` (an id outside the
/// vocabulary) or `SPLADE_STATUS_NULL_ARGUMENT`; every message about a term names its index, id and value.
/// Thread-safe.
///
/// # Safety
/// `expander` must be NULL or an expander not yet freed; `vector` NULL or a vector whose `indices` and `weights`
/// are NULL or `len` readable entries each, all unchanged during the call; `json_out`, `len_out` and `error_out`
/// NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn splade_expander_to_json(
    expander: Option<&splade_expander>,
    vector: Option<&splade_sparse_vector>,
    format: u32,
    scale: f32,
    json_out: *mut *mut c_char,
    len_out: *mut usize,
    error_out: *mut *mut splade_error,
) -> Status {
    let body = || {
        let expander = required(expander, "expander")?.live("splade_expander_to_json");
        let vector = required(vector, "vector")?;
        if json_out.is_null() {
            return Err(null_argument("json_out"));
        }
        let format = match format {
            SPLADE_FORMAT_INDICES_VALUES => Format::IndicesValues,
            SPLADE_FORMAT_TOKEN_WEIGHTS => Format::TokenWeights,
            SPLADE_FORMAT_ELASTICSEARCH => Format::Elasticsearch,
            SPLADE_FORMAT_IMPACTS => Format::Impacts { scale },
            SPLADE_FORMAT_TEI => Format::Tei,
            other => {
                return Err(Error::new(
                    Status::InvalidArgument,
                    format!("format {other} is none of the SPLADE_FORMAT_* numbers (0 to 4)"),
                ))
            }
        };
        // SAFETY: the vector's arrays are NULL or `len` readable entries each (this function's contract).
        let copy = unsafe { vector.to_rust() }?;
        let json = expander.to_json(&copy, format)?;
        let len = json.len();
        // JSON text never holds a NUL byte: serde_json escapes control characters.
        let json = CString::new(json).map_err(|e| Error::new(Status::Panic, e.to_string()))?;
        // SAFETY: `json_out` is not NULL (checked above), so writable (this function's contract).
        unsafe { write_out(json_out, "json_out", json.into_raw()) }?;
        if !len_out.is_null() {
            // SAFETY: `len_out` is not NULL, so writable (this function's contract).
            unsafe { len_out.write(len) };
        }
        Ok(())
    };
    // SAFETY: `error_out` is NULL or writable (this function's contract).
    unsafe { guard(error_out, body) }
}

/// Frees a string `splade_expander_to_json` wrote to `*json_out`. NULL is a no-op. Never pass any other string
/// of this library (error messages, status names, the version, tokens): those are not the caller's. Must not run
/// while another call uses `string`. Freeing it twice, or using it after, is undefined behaviour, and not detected
/// (a string has no room for a tag word).
///
/// # Safety
/// `string` must be NULL or a string from `splade_expander_to_json` not yet freed; it is freed once, and not used
/// after.
#[no_mangle]
pub unsafe extern "C" fn splade_string_free(string: *mut c_char) {
    // A raw pointer, not a `Box`: the string is a `CString`'s buffer, whose length only its NUL byte tells.
    if !string.is_null() {
        // SAFETY: `string` came from `CString::into_raw` in `splade_expander_to_json` and is freed once (this
        // function's contract).
        quietly((), || drop(unsafe { CString::from_raw(string) }));
    }
}

impl splade_sparse_vector {
    /// Copies the caller's vector into Rust memory.
    ///
    /// # Safety
    /// When `len > 0`, `indices` and `weights` must each be NULL or point to `len` readable entries, unchanged for
    /// the call.
    unsafe fn to_rust(&self) -> Result<SparseVector, Error> {
        if self.len == 0 {
            return Ok(SparseVector::default());
        }
        if self.indices.is_null() || self.weights.is_null() {
            return Err(null_argument("vector->indices or vector->weights"));
        }
        // SAFETY: both arrays are not NULL (checked above), so `len` readable entries each (this function's
        // contract).
        let (indices, weights) = unsafe {
            (
                std::slice::from_raw_parts(self.indices, self.len),
                std::slice::from_raw_parts(self.weights, self.len),
            )
        };
        Ok(SparseVector {
            indices: indices.to_vec(),
            weights: weights.to_vec(),
        })
    }
}
