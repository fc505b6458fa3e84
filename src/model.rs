//! The model directory contract: which files a model directory holds, and which inputs and outputs its ONNX
//! graph must have.
//!
//! A directory holds `model.onnx` and `tokenizer.json`, and may hold `config.json`, `tokenizer_config.json` and
//! `special_tokens_map.json`. The graph's inputs are found by name: `input_ids`; `attention_mask` or `input_mask`;
//! optionally `token_type_ids` or `segment_ids`; all int64 `[batch, seq]`. Its output is either masked-LM logits
//! `[batch, seq, vocab]` (the library pools them), SPLADE weights already pooled in the graph `[batch, vocab]`,
//! or the masked-LM head's hidden states `[batch, seq, hidden]` with the decoder in `decoder.safetensors`
//! (`weight [vocab, hidden]`, `bias [vocab]`, float32), which the library decodes itself.

use std::path::{Path, PathBuf};

use ort::session::Session;
use ort::value::{Outlet, TensorElementType, ValueType};
use serde_json::Value;

use crate::error::{Error, Result, Status};

/// The files of a model directory, checked to exist; the optional JSON config files already parsed.
pub(crate) struct ModelFiles {
    pub(crate) onnx: PathBuf,
    pub(crate) tokenizer: PathBuf,
    /// `decoder.safetensors`, when the graph stops at the hidden states.
    pub(crate) decoder: Option<PathBuf>,
    config: Option<Value>,
    tokenizer_config: Option<Value>,
}

impl ModelFiles {
    /// Checks that `dir` holds the required files and reads the optional config files.
    pub(crate) fn locate(dir: &Path) -> Result<Self> {
        if !dir.is_dir() {
            let what = if dir.exists() {
                "is not a directory"
            } else {
                "does not exist"
            };
            return Err(Error::new(
                Status::ModelNotFound,
                format!("model directory {} {what}", dir.display()),
            ));
        }
        let required = |name: &str| {
            let path = dir.join(name);
            if path.is_file() {
                Ok(path)
            } else {
                Err(Error::new(
                    Status::ModelNotFound,
                    format!("model directory {} has no {name}", dir.display()),
                ))
            }
        };
        Ok(ModelFiles {
            onnx: required("model.onnx")?,
            tokenizer: required("tokenizer.json")?,
            decoder: Some(dir.join("decoder.safetensors")).filter(|p| p.is_file()),
            config: read_optional_json(&dir.join("config.json"))?,
            tokenizer_config: read_optional_json(&dir.join("tokenizer_config.json"))?,
        })
    }

    /// The longest input the model accepts according to its config files (`model_max_length` in
    /// `tokenizer_config.json`, `max_position_embeddings` in `config.json`; the smaller when both are set).
    pub(crate) fn max_length_limit(&self) -> Option<usize> {
        let field = |json: &Option<Value>, key: &str| {
            json.as_ref()
                .and_then(|j| j.get(key))
                .and_then(Value::as_f64)
                .filter(|v| *v >= 1.0 && *v < 1e9)
                .map(|v| v as usize)
        };
        let limits = [
            field(&self.tokenizer_config, "model_max_length"),
            field(&self.config, "max_position_embeddings"),
        ];
        limits.into_iter().flatten().min()
    }
}

fn read_optional_json(path: &Path) -> Result<Option<Value>> {
    if !path.exists() {
        return Ok(None);
    }
    let invalid = |e: String| Error::new(Status::InvalidModel, format!("{} {e}", path.display()));
    let text =
        std::fs::read_to_string(path).map_err(|e| invalid(format!("cannot be read: {e}")))?;
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| invalid(format!("is not valid JSON: {e}")))
}

/// What the graph returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OutputKind {
    /// Masked-LM logits `[batch, seq, vocab]`: the library pools them.
    Logits,
    /// SPLADE weights `[batch, vocab]`, pooled inside the graph.
    Pooled,
    /// The masked-LM head's hidden states `[batch, seq, hidden]` (of this width): the library decodes and pools
    /// them with `decoder.safetensors`.
    Hidden(usize),
}

/// The names under which the graph takes its inputs and gives its output.
#[derive(Debug, Clone)]
pub(crate) struct Signature {
    pub(crate) input_ids: String,
    pub(crate) attention_mask: String,
    pub(crate) token_type_ids: Option<String>,
    pub(crate) output: String,
    pub(crate) output_kind: OutputKind,
    /// Every input and output of the graph as `(name, "type [shape]")`, for [`ModelInfo`].
    pub(crate) inputs: Vec<(String, String)>,
    pub(crate) outputs: Vec<(String, String)>,
}

/// What an expander found in its model directory (for `spladerunner info`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelInfo {
    /// The graph's inputs as `(name, "type [shape]")`, `-1` standing for a dynamic dimension.
    pub inputs: Vec<(String, String)>,
    /// The graph's outputs, likewise.
    pub outputs: Vec<(String, String)>,
    /// The output the expander reads.
    pub output: String,
    /// How the output becomes weights: `"pooled in the graph"`, `"logits, pooled by spladerunner"` or
    /// `"hidden states, decoded and pooled by spladerunner"`.
    pub pooling: &'static str,
    /// The number of vocabulary ids.
    pub vocab_size: usize,
    /// Tokens per text window, special tokens included.
    pub max_length: usize,
}

const IDS_NAMES: [&str; 1] = ["input_ids"];
const MASK_NAMES: [&str; 2] = ["attention_mask", "input_mask"];
const TYPE_NAMES: [&str; 2] = ["token_type_ids", "segment_ids"];

impl Signature {
    /// Reads the session's inputs and outputs and checks them against the contract and the tokenizer's
    /// vocabulary size.
    pub(crate) fn of(
        session: &Session,
        model: &Path,
        vocab_size: usize,
        has_decoder: bool,
    ) -> Result<Self> {
        let invalid =
            |what: String| Error::new(Status::InvalidModel, format!("{}: {what}", model.display()));
        let mut ids = None;
        let mut mask = None;
        let mut types = None;
        for input in session.inputs() {
            let name = input.name();
            let slot = if IDS_NAMES.contains(&name) {
                &mut ids
            } else if MASK_NAMES.contains(&name) {
                &mut mask
            } else if TYPE_NAMES.contains(&name) {
                &mut types
            } else {
                return Err(invalid(format!(
                    "unexpected input '{name}' {}; inputs must be input_ids, attention_mask (or input_mask) and \
                     optionally token_type_ids (or segment_ids)",
                    describe(input)
                )));
            };
            if input.dtype().tensor_type() != Some(TensorElementType::Int64)
                || input.dtype().tensor_shape().map(|s| s.len()) != Some(2)
            {
                return Err(invalid(format!(
                    "input '{name}' is {}; expected an int64 tensor [batch, seq]",
                    describe(input)
                )));
            }
            if slot.replace(name.to_string()).is_some() {
                return Err(invalid(format!("two inputs play the role of '{name}'")));
            }
        }
        let found = || {
            session
                .inputs()
                .iter()
                .map(|i| format!("'{}'", i.name()))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let input_ids =
            ids.ok_or_else(|| invalid(format!("no input named input_ids (inputs: {})", found())))?;
        let attention_mask = mask.ok_or_else(|| {
            invalid(format!(
                "no input named attention_mask or input_mask (inputs: {})",
                found()
            ))
        })?;
        let (output, output_kind) =
            pick_output(session, vocab_size, has_decoder).map_err(invalid)?;
        let described = |outlets: &[Outlet]| {
            outlets
                .iter()
                .map(|o| {
                    (
                        o.name().to_string(),
                        describe(o).trim_matches(['(', ')']).to_string(),
                    )
                })
                .collect()
        };
        Ok(Signature {
            input_ids,
            attention_mask,
            token_type_ids: types,
            output,
            output_kind,
            inputs: described(session.inputs()),
            outputs: described(session.outputs()),
        })
    }
}

/// Chooses the first float output of rank 3 (logits) or rank 2 (pooled) and checks its vocabulary dimension.
fn pick_output(
    session: &Session,
    vocab_size: usize,
    has_decoder: bool,
) -> std::result::Result<(String, OutputKind), String> {
    for output in session.outputs() {
        let ValueType::Tensor { ty, shape, .. } = output.dtype() else {
            continue;
        };
        if *ty != TensorElementType::Float32 {
            continue;
        }
        let Some(&vocab) = shape.last() else {
            continue;
        };
        let kind = match shape.len() {
            3 if has_decoder && vocab > 0 && vocab as usize != vocab_size => {
                return Ok((
                    output.name().to_string(),
                    OutputKind::Hidden(vocab as usize),
                ));
            }
            3 => OutputKind::Logits,
            2 => OutputKind::Pooled,
            _ => continue,
        };
        if vocab >= 0 && vocab as usize != vocab_size {
            return Err(format!(
                "output '{}' {} has a vocabulary dimension of {vocab}, but tokenizer.json has {vocab_size} tokens \
                 (a graph that stops at the hidden states needs its decoder in decoder.safetensors)",
                output.name(),
                describe(output)
            ));
        }
        return Ok((output.name().to_string(), kind));
    }
    let outputs: Vec<String> = session
        .outputs()
        .iter()
        .map(|o| format!("'{}' {}", o.name(), describe(o)))
        .collect();
    Err(format!(
        "no usable output; expected float logits [batch, seq, vocab] or pooled weights [batch, vocab], found {}",
        outputs.join(", ")
    ))
}

/// A short description of an input or output's type and shape, `-1` standing for a dynamic dimension.
fn describe(outlet: &Outlet) -> String {
    match outlet.dtype() {
        ValueType::Tensor { ty, shape, .. } => format!("({ty:?} {shape})"),
        other => format!("({other:?})"),
    }
}
