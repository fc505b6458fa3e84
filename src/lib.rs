//! spladerunner: text to SPLADE sparse vectors, with ONNX Runtime, from Rust or through a C ABI.
//!
//! ```no_run
//! use spladerunner::{Expander, Options};
//!
//! let expander = Expander::new(".cache/models/splade-tiny", Options::default())?;
//! let vector = expander.expand("The Manhattan Project and its atomic bomb")?;
//! for (token, weight) in expander.tokens(&vector) {
//!     println!("{token}\t{weight:.3}");
//! }
//! # Ok::<(), spladerunner::Error>(())
//! ```
//!
//! A model directory holds `model.onnx` and `tokenizer.json` (and optionally `config.json`,
//! `tokenizer_config.json`, `special_tokens_map.json`). The graph takes `input_ids`, `attention_mask` (or
//! `input_mask`) and optionally `token_type_ids` (or `segment_ids`), and returns either masked-LM logits
//! `[batch, seq, vocab]`, pooled here, or SPLADE weights already pooled in the graph, `[batch, vocab]`.
//!
//! A vector's weights are `w[v] = max over the text's tokens of log(1 + relu(logit[v]))`, padding excluded;
//! only terms with `w > 0` are kept.
//!
//! How the crate is laid out and why: `docs/architecture.md` in the repository.

// An `unsafe fn`'s body is not one big unsafe block: each unsafe operation in it says why it is sound.
#![deny(unsafe_op_in_unsafe_fn)]

mod batch;
mod decoder;
mod error;
mod expander;
/// The C ABI. Private to the crate: `#[no_mangle]` exports its functions to C, while Rust code outside the crate
/// cannot name them, so cannot call one with a dangling pointer. This fails to compile for that reason only
/// (E0603: private module), and passes no more once the module is made public again:
///
/// ```compile_fail,E0603
/// let expand = spladerunner::ffi::expander::splade_expander_expand;
/// ```
mod ffi;
mod format;
mod inference;
mod model;
mod options;
mod parallel;
mod pooling;
mod runtime;
mod session;
mod tokenize;
mod vector;
mod vocab;

/// The integration tests' helpers (where the set-up put the models, the shared test collections), for the unit
/// tests that read the same files.
#[cfg(test)]
#[path = "../tests/common/mod.rs"]
mod test_files;

pub use error::{Error, Result, Status};
pub use expander::Expander;
pub use format::{Format, ELASTICSEARCH_DOT};
pub use model::ModelInfo;
pub use options::Options;
pub use vector::SparseVector;
