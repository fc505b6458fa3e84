//! The model directory contract: which files a model directory holds, and which inputs and outputs its ONNX
//! graph must have.
//!
//! A directory holds `model.onnx` and `tokenizer.json`, and may hold `model.onnx_data` (the graph's weights as
//! ONNX external data, which ONNX Runtime maps from the file rather than copies), `config.json`,
//! `tokenizer_config.json` and `special_tokens_map.json`. The graph's inputs are found by name: `input_ids`; `attention_mask` or `input_mask`;
//! optionally `token_type_ids` or `segment_ids`; all int64 `[batch, seq]`. Its output is either masked-LM logits
//! `[batch, seq, vocab]` (the library pools them), SPLADE weights already pooled in the graph `[batch, vocab]`,
//! or the masked-LM head's hidden states `[batch, seq, hidden]` with the decoder in `decoder.safetensors`
//! (`weight [vocab, hidden]`, `bias [vocab]`, float32), which the library decodes itself.

use std::fs::Metadata;
use std::io::ErrorKind;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

use ort::session::Session;
use ort::value::{Outlet, TensorElementType, ValueType};
use serde_json::Value;

use crate::error::{Error, Result, Status};

/// The largest `max_position_embeddings` taken as a model's limit: above the longest contexts of published models
/// (some millions of positions). A larger value is no model's position table (`2^63` is a typo or an overflow),
/// so it is an error, not a limit.
const MAX_POSITIONS: u64 = 1 << 24;

/// The files of a model directory, checked to exist and to be regular files; the input length limit from the
/// optional JSON config files.
pub(crate) struct ModelFiles {
    pub(crate) onnx: PathBuf,
    /// `model.onnx_data`, when the graph keeps its weights beside it under ONNX's usual name.
    pub(crate) onnx_data: Option<PathBuf>,
    pub(crate) tokenizer: PathBuf,
    /// `decoder.safetensors`, when the graph stops at the hidden states.
    pub(crate) decoder: Option<PathBuf>,
    max_length_limit: Option<LengthLimit>,
}

/// The longest input a model's config files allow, and where that limit is written.
pub(crate) struct LengthLimit {
    pub(crate) tokens: usize,
    /// The key and its file, as `max_position_embeddings of /models/x/config.json`.
    pub(crate) source: String,
}

impl ModelFiles {
    /// Checks that `dir` holds the required files and reads the optional config files.
    pub(crate) fn locate(dir: &Path) -> Result<Self> {
        let name = format!("model directory {}", dir.display());
        let what = match look_up(dir, &name)? {
            Some(meta) if meta.is_dir() => None,
            Some(_) => Some("is not a directory"),
            None => Some("does not exist"),
        };
        if let Some(what) = what {
            return Err(Error::new(Status::ModelNotFound, format!("{name} {what}")));
        }
        let required = |name: &str| {
            regular_file(&dir.join(name))?.ok_or_else(|| {
                Error::new(
                    Status::ModelNotFound,
                    format!("model directory {} has no {name}", dir.display()),
                )
            })
        };
        let onnx = required("model.onnx")?;
        let onnx_data = regular_file(&dir.join("model.onnx_data"))?;
        let tokenizer = required("tokenizer.json")?;
        let decoder = regular_file(&dir.join("decoder.safetensors"))?;
        let config = dir.join("config.json");
        let tokenizer_config = dir.join("tokenizer_config.json");
        let source = |key: &str, path: &Path| format!("{key} of {}", path.display());
        let limits = [
            model_max_length(&tokenizer_config, read_optional_json(&tokenizer_config)?)?.map(
                |tokens| LengthLimit {
                    tokens,
                    source: source("model_max_length", &tokenizer_config),
                },
            ),
            max_position_embeddings(&config, read_optional_json(&config)?)?.map(|tokens| {
                LengthLimit {
                    tokens,
                    source: source("max_position_embeddings", &config),
                }
            }),
        ];
        Ok(ModelFiles {
            onnx,
            onnx_data,
            tokenizer,
            decoder,
            max_length_limit: limits
                .into_iter()
                .flatten()
                .min_by_key(|limit| limit.tokens),
        })
    }

    /// The longest input the model accepts according to its config files (`model_max_length` in
    /// `tokenizer_config.json`, `max_position_embeddings` in `config.json`; the smaller when both are set).
    pub(crate) fn max_length_limit(&self) -> Option<&LengthLimit> {
        self.max_length_limit.as_ref()
    }
}

/// What `path` leads to, `None` when nothing is there. A symbolic link that leads nowhere or loops, or a path
/// that cannot be looked up (a parent without permission, a name too long), is an error of
/// [`Status::InvalidModel`] naming the path (as `name`) and the system's reason, rather than a missing file.
fn look_up(path: &Path, name: &str) -> Result<Option<Metadata>> {
    let invalid = |what: String| Error::new(Status::InvalidModel, format!("{name} {what}"));
    match std::fs::metadata(path) {
        Ok(meta) => Ok(Some(meta)),
        Err(e) if e.kind() == ErrorKind::NotFound => match std::fs::read_link(path) {
            Ok(target) => Err(invalid(format!(
                "is a symbolic link to {}, which does not exist",
                target.display()
            ))),
            Err(_) => Ok(None),
        },
        Err(e) => Err(invalid(format!("cannot be reached: {e}"))),
    }
}

/// `Some(path)` when `path` is a regular file (or a symbolic link to one), `None` when nothing is there. Anything
/// else is an error naming the file: a directory, device (`/dev/zero`), FIFO or socket is not a model file (and
/// reading one could block or never end); a failed look-up is reported as [`look_up`] says.
fn regular_file(path: &Path) -> Result<Option<PathBuf>> {
    let Some(meta) = look_up(path, &path.display().to_string())? else {
        return Ok(None);
    };
    if meta.is_file() {
        return Ok(Some(path.to_path_buf()));
    }
    let kind = meta.file_type();
    let kind = if kind.is_dir() {
        "a directory"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "of an unknown kind"
    };
    Err(Error::new(
        Status::InvalidModel,
        format!("{} is not a regular file: it is {kind}", path.display()),
    ))
}

fn read_optional_json(path: &Path) -> Result<Option<Value>> {
    let Some(path) = regular_file(path)? else {
        return Ok(None);
    };
    let invalid = |e: String| Error::new(Status::InvalidModel, format!("{} {e}", path.display()));
    let text =
        std::fs::read_to_string(&path).map_err(|e| invalid(format!("cannot be read: {e}")))?;
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| invalid(format!("is not valid JSON: {e}")))
}

/// The value of `key` in the JSON object `json` read from `path`, when set (absent or `null`: not set), as a whole
/// number of at least 1, or an error naming the key and the file.
fn positive_whole(path: &Path, json: &Option<Value>, key: &str) -> Result<Option<f64>> {
    let Some(value) = json
        .as_ref()
        .and_then(|j| j.get(key))
        .filter(|v| !v.is_null())
    else {
        return Ok(None);
    };
    match value.as_f64() {
        Some(n) if n >= 1.0 && n.fract() == 0.0 => Ok(Some(n)),
        _ => Err(Error::new(
            Status::InvalidModel,
            format!(
                "{}: {key} must be a whole number of at least 1, got {value}",
                path.display()
            ),
        )),
    }
}

/// `max_position_embeddings` of `config.json`: the model's position table, so a real bound (at most
/// [`MAX_POSITIONS`]).
fn max_position_embeddings(path: &Path, json: Option<Value>) -> Result<Option<usize>> {
    let key = "max_position_embeddings";
    let Some(n) = positive_whole(path, &json, key)? else {
        return Ok(None);
    };
    if n > MAX_POSITIONS as f64 {
        return Err(Error::new(
            Status::InvalidModel,
            format!(
                "{}: {key} must be at most {MAX_POSITIONS}, got {}",
                path.display(),
                json.as_ref().map_or(Value::Null, |j| j[key].clone())
            ),
        ));
    }
    Ok(Some(n as usize))
}

/// `model_max_length` of `tokenizer_config.json`. A value above [`MAX_POSITIONS`] means no limit: the
/// `transformers` library writes `1e30` for a tokenizer that has none.
fn model_max_length(path: &Path, json: Option<Value>) -> Result<Option<usize>> {
    let n = positive_whole(path, &json, "model_max_length")?;
    Ok(n.filter(|&n| n <= MAX_POSITIONS as f64).map(|n| n as usize))
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
