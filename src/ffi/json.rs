//! `splade_expander_to_json`: a vector in one of the JSON shapes search engines accept, and
//! `splade_string_free` for the string it returns.

use std::ffi::{c_char, CString};

use crate::error::{Error, Status};
use crate::ffi::boundary::{borrow, guard, null_argument, quietly, write_out};
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
/// Fails with `SPLADE_STATUS_INVALID_ARGUMENT` (unknown format, bad scale), `SPLADE_STATUS_OUT_OF_RANGE` (an id
/// outside the vocabulary) or `SPLADE_STATUS_NULL_ARGUMENT`. Thread-safe.
#[no_mangle]
pub extern "C" fn splade_expander_to_json(
    expander: *const splade_expander,
    vector: *const splade_sparse_vector,
    format: u32,
    scale: f32,
    json_out: *mut *mut c_char,
    len_out: *mut usize,
    error_out: *mut *mut splade_error,
) -> Status {
    guard(error_out, || {
        // SAFETY: the caller passes a live expander and a vector whose arrays hold `len` entries.
        let expander = &unsafe { borrow(expander, "expander") }?.expander;
        let vector = unsafe { borrow(vector, "vector") }?;
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
        let copy = unsafe { vector.to_rust() }?;
        let vocab = expander.vocab();
        if let Some(&id) = copy.indices.iter().find(|&&id| id as usize >= vocab.len()) {
            return Err(vocab.out_of_range(id));
        }
        let json = expander.to_json(&copy, format)?;
        let len = json.len();
        // JSON text never holds a NUL byte: serde_json escapes control characters.
        let json = CString::new(json).map_err(|e| Error::new(Status::Panic, e.to_string()))?;
        // SAFETY: `json_out` was checked; `len_out` is NULL or writable.
        unsafe { write_out(json_out, "json_out", json.into_raw()) }?;
        if !len_out.is_null() {
            unsafe { len_out.write(len) };
        }
        Ok(())
    })
}

/// Frees a string `splade_expander_to_json` wrote to `*json_out`. NULL is a no-op. Never pass any other string
/// of this library (error messages, status names, the version, tokens): those are not the caller's. Must not run
/// while another call uses `string`.
#[no_mangle]
pub extern "C" fn splade_string_free(string: *mut c_char) {
    if !string.is_null() {
        // SAFETY: `string` came from `CString::into_raw` in this library and is freed once.
        quietly((), || drop(unsafe { CString::from_raw(string) }));
    }
}

impl splade_sparse_vector {
    /// Copies the caller's vector into Rust memory.
    ///
    /// # Safety
    /// When `len > 0`, `indices` and `weights` must point to `len` readable entries each.
    unsafe fn to_rust(&self) -> Result<SparseVector, Error> {
        if self.len == 0 {
            return Ok(SparseVector::default());
        }
        if self.indices.is_null() || self.weights.is_null() {
            return Err(null_argument("vector->indices or vector->weights"));
        }
        Ok(SparseVector {
            indices: unsafe { std::slice::from_raw_parts(self.indices, self.len) }.to_vec(),
            weights: unsafe { std::slice::from_raw_parts(self.weights, self.len) }.to_vec(),
        })
    }
}
