//! [`Expander`]: one model, ready to turn texts into SPLADE vectors. It wires the steps together: tokenize,
//! group into bounded batches, run ONNX Runtime, pool, prune.

use std::path::Path;

use ort::session::builder::PrepackedWeights;
use ort::session::{Session, SessionInputValue};
use ort::value::TensorRef;

use crate::batch::{self, Group, Inputs};
use crate::decoder::Decoder;
use crate::error::{Error, Result, Status};
use crate::format::{self, Format};
use crate::model::{ModelFiles, ModelInfo, OutputKind, Signature};
use crate::options::Options;
use crate::pool::SessionPool;
use crate::pooling;
use crate::runtime;
use crate::side_by_side;
use crate::tokenize::{Cut, TextTokenizer, Tokens};
use crate::vector::SparseVector;
use crate::vocab::Vocab;

/// Texts tokenized as one job when a batch is tokenized on several threads: enough work to outweigh handing it
/// to a thread (a few tens of microseconds), small enough that a batch of 32 keeps two threads busy.
const TOKENIZE_CHUNK: usize = 8;

/// With the library's decoder, a graph file above this size runs a single inference call on ONNX Runtime's
/// intra-op threads: one BERT-base query took 8.3 ms on two threads against 12.5 ms on one, while splade-tiny's
/// (17 MB) took 0.72 ms on one thread against 0.93 ms on two (`examples/bench --job queries`).
const LARGE_GRAPH_BYTES: u64 = 64 << 20;

/// A SPLADE encoder for one model directory.
///
/// `Expander` is `Send + Sync`: share it between threads (for example in an `Arc`). Concurrent calls tokenize
/// and pool in parallel; inference runs in parallel on up to [`Options::sessions`] ONNX Runtime sessions (default
/// 1, so by default concurrent calls take turns for inference, each call itself using ONNX Runtime's intra-op
/// threads). With the library's decoder (a graph that stops at the hidden states) ONNX Runtime runs each
/// inference call on one thread instead, and the expander's threads ([`Options::intra_op_threads`]) decode one
/// call's vocabulary together, or run a batch's inference calls side by side; such a model's pool holds up to
/// that many sessions even when [`Options::sessions`] is smaller. Results do not depend on how calls interleave.
pub struct Expander {
    tokenizer: TextTokenizer,
    vocab: Vocab,
    signature: Signature,
    /// The library's decoder, for a graph that stops at the hidden states.
    decoder: Option<Decoder>,
    /// The threads one call uses: ONNX Runtime's intra-op threads, or with the decoder, the threads that decode
    /// one inference call or run a batch's calls side by side.
    threads: usize,
    sessions: SessionPool,
    /// With the decoder and a large graph: sessions on `threads` intra-op threads, for a call that is a single
    /// inference call (one text, a few short ones), which has enough work to share between cores.
    single_call_sessions: Option<SessionPool>,
    min_weight: f32,
    top_k: Option<usize>,
    drop_special_tokens: bool,
    token_budget: usize,
}

impl Expander {
    /// Opens the model in `model_dir` (see the crate documentation for the directory contract) and checks it by
    /// expanding the empty text once.
    pub fn new(model_dir: impl AsRef<Path>, options: Options) -> Result<Self> {
        options.validate()?;
        let files = ModelFiles::locate(model_dir.as_ref())?;
        let cut = Cut {
            max_length: options.max_length,
            max_windows: options.max_windows,
            window_overlap: options.window_overlap,
        };
        let tokenizer = TextTokenizer::load(&files.tokenizer, &cut, files.max_length_limit())?;
        let vocab = Vocab::of(tokenizer.tokenizer());
        let environment = runtime::environment(options.ort_library_path.as_deref())?;
        let threads = options
            .intra_op_threads
            .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
            .unwrap_or(1);
        // With the library's decoder, ONNX Runtime runs each inference call on one thread (the expander's threads
        // decode, or run calls side by side): a small model's call is too little work to share between cores.
        let (session_threads, capacity) = match files.decoder {
            Some(_) => (Some(1), options.sessions.max(threads)),
            None => (options.intra_op_threads, options.sessions),
        };
        let prepacked = PrepackedWeights::new();
        let first = runtime::open_session(&environment, &files.onnx, session_threads, &prepacked)?;
        let signature = Signature::of(&first, &files.onnx, vocab.len(), files.decoder.is_some())?;
        let decoder = match (signature.output_kind, &files.decoder) {
            (OutputKind::Hidden(width), Some(path)) => {
                Some(Decoder::load(path, vocab.len(), width)?)
            }
            _ => None,
        };
        let large = std::fs::metadata(&files.onnx).map_or(0, |m| m.len()) > LARGE_GRAPH_BYTES;
        let single_call_sessions = match decoder {
            Some(_) if large && threads > 1 => {
                let open = {
                    let (environment, onnx, prepacked) =
                        (environment.clone(), files.onnx.clone(), prepacked.clone());
                    move || runtime::open_session(&environment, &onnx, Some(threads), &prepacked)
                };
                Some(SessionPool::new(open()?, options.sessions, open))
            }
            _ => None,
        };
        let onnx = files.onnx.clone();
        let sessions = SessionPool::new(first, capacity, move || {
            runtime::open_session(&environment, &onnx, session_threads, &prepacked)
        });
        let expander = Expander {
            tokenizer,
            vocab,
            signature,
            decoder,
            threads,
            sessions,
            single_call_sessions,
            min_weight: options.min_weight,
            top_k: options.top_k,
            drop_special_tokens: options.drop_special_tokens,
            token_budget: options.token_budget,
        };
        expander.expand("").map_err(|e| {
            Error::new(
                Status::InvalidModel,
                format!(
                    "{} failed its first run: {}",
                    files.onnx.display(),
                    e.message()
                ),
            )
        })?;
        Ok(expander)
    }

    /// Expands one text into its SPLADE vector.
    pub fn expand(&self, text: &str) -> Result<SparseVector> {
        let mut vectors = self.expand_batch(&[text])?;
        Ok(vectors.pop().unwrap_or_default())
    }

    /// Expands many texts; the vectors come back in the order of `texts`. Texts are grouped by length into
    /// inference calls of at most [`Options::token_budget`] padded tokens, so any number of texts can be passed.
    pub fn expand_batch<S: AsRef<str> + Sync>(&self, texts: &[S]) -> Result<Vec<SparseVector>> {
        // Tokenized on the call's threads, TOKENIZE_CHUNK texts per job.
        let chunks: Vec<&[S]> = texts.chunks(TOKENIZE_CHUNK).collect();
        let windows: Vec<Vec<Tokens>> = side_by_side::run(chunks.len(), self.threads, |k| {
            (chunks[k].iter())
                .map(|t| self.tokenizer.encode(t.as_ref()))
                .collect::<Result<Vec<_>>>()
        })?
        .into_iter()
        .flatten()
        .collect();
        let counts: Vec<usize> = windows.iter().map(Vec::len).collect();
        let rows: Vec<Tokens> = windows.into_iter().flatten().collect();
        let lengths: Vec<usize> = rows.iter().map(Tokens::len).collect();
        let groups = batch::plan(&lengths, self.token_budget);
        // A session is taken for each inference call, so that other callers' calls can run in between.
        let results = match self.decoder {
            Some(_) if groups.len() > 1 && self.threads > 1 => {
                side_by_side::run(groups.len(), self.threads, |k| {
                    self.run(&groups[k], &rows, &mut *self.sessions.take()?, 1)
                })?
            }
            _ => {
                let pool = match &self.single_call_sessions {
                    Some(pool) if groups.len() == 1 => pool,
                    _ => &self.sessions,
                };
                (groups.iter())
                    .map(|group| self.run(group, &rows, &mut *pool.take()?, self.threads))
                    .collect::<Result<_>>()?
            }
        };
        let mut row_vectors = vec![SparseVector::default(); rows.len()];
        for (group, vectors) in groups.iter().zip(results) {
            for (&member, vector) in group.members.iter().zip(vectors) {
                row_vectors[member] = vector;
            }
        }
        let mut row_vectors = row_vectors.into_iter();
        Ok(counts
            .into_iter()
            .map(|count| {
                // min_weight and special tokens were applied per window (a merged term passes exactly when
                // one of its windows' weights does); top_k needs the merged vector.
                let vector = SparseVector::max_of(row_vectors.by_ref().take(count).collect());
                match self.top_k {
                    Some(_) => vector.pruned(0.0, self.top_k),
                    None => vector,
                }
            })
            .collect())
    }

    /// The token string of a vocabulary id, or `None` outside the vocabulary.
    pub fn token(&self, id: u32) -> Option<&str> {
        self.vocab.token(id)
    }

    /// The terms of `vector` as `(token, weight)` pairs, in id order.
    pub fn tokens<'a>(
        &'a self,
        vector: &'a SparseVector,
    ) -> impl Iterator<Item = (&'a str, f32)> + 'a {
        vector
            .iter()
            .map(|(id, w)| (self.token(id).unwrap_or(""), w))
    }

    /// `vector` as JSON in one of the shapes search engines accept (see [`Format`]).
    pub fn to_json(&self, vector: &SparseVector, format: Format) -> Result<String> {
        format::render(vector, &self.vocab, format)
    }

    /// What the expander found in its model directory: inputs, outputs, vocabulary size, max length.
    pub fn model_info(&self) -> ModelInfo {
        ModelInfo {
            inputs: self.signature.inputs.clone(),
            outputs: self.signature.outputs.clone(),
            output: self.signature.output.clone(),
            pooling: match self.signature.output_kind {
                OutputKind::Pooled => "pooled in the graph",
                OutputKind::Logits => "logits, pooled by spladerunner",
                OutputKind::Hidden(_) => "hidden states, decoded and pooled by spladerunner",
            },
            vocab_size: self.vocab_size(),
            max_length: self.max_length(),
        }
    }

    /// The number of vocabulary ids.
    pub fn vocab_size(&self) -> usize {
        self.vocab.len()
    }

    /// The number of tokens of one window of a text (the only one, unless [`Options::max_windows`] is above 1),
    /// special tokens included.
    pub fn max_length(&self) -> usize {
        self.tokenizer.max_length()
    }

    pub(crate) fn vocab(&self) -> &Vocab {
        &self.vocab
    }

    /// Runs one group of rows (text windows) through the model on `session` and pools each into an unpruned
    /// vector, in the group's member order; the library's decoder, if any, uses `decoder_threads` threads.
    fn run(
        &self,
        group: &Group,
        tokens: &[Tokens],
        session: &mut Session,
        decoder_threads: usize,
    ) -> Result<Vec<SparseVector>> {
        let rows = group.members.len();
        let seq = group.seq_len;
        let inputs = Inputs::of(group, tokens);
        let inference =
            |e: ort::Error| Error::new(Status::Inference, format!("ONNX Runtime failed: {e}"));
        let shape = [rows, seq];
        let signature = &self.signature;
        let mut values: Vec<(&str, SessionInputValue)> = vec![
            (
                signature.input_ids.as_str(),
                TensorRef::from_array_view((shape, &inputs.ids[..]))
                    .map_err(inference)?
                    .into(),
            ),
            (
                signature.attention_mask.as_str(),
                TensorRef::from_array_view((shape, &inputs.mask[..]))
                    .map_err(inference)?
                    .into(),
            ),
        ];
        if let Some(name) = &signature.token_type_ids {
            values.push((
                name.as_str(),
                TensorRef::from_array_view((shape, &inputs.type_ids[..]))
                    .map_err(inference)?
                    .into(),
            ));
        }
        let outputs = session.run(values).map_err(inference)?;
        let output = outputs.get(&signature.output).ok_or_else(|| {
            Error::new(
                Status::InvalidModel,
                format!("the model gave no output '{}'", signature.output),
            )
        })?;
        let (out_shape, data) = output.try_extract_tensor::<f32>().map_err(inference)?;
        let vocab = self.vocab.len();
        let expected: &[i64] = match signature.output_kind {
            OutputKind::Logits => &[rows as i64, seq as i64, vocab as i64],
            OutputKind::Pooled => &[rows as i64, vocab as i64],
            OutputKind::Hidden(width) => &[rows as i64, seq as i64, width as i64],
        };
        if &out_shape[..] != expected || data.len() != expected.iter().product::<i64>() as usize {
            return Err(Error::new(
                Status::InvalidModel,
                format!(
                    "output '{}' has shape {out_shape} for {rows} texts of {seq} tokens; expected {expected:?}",
                    signature.output
                ),
            ));
        }
        let per_row = data.len() / rows.max(1);
        let row_data = |row: usize| &data[row * per_row..(row + 1) * per_row];
        // Hidden states: every text of the call decoded at once, `[rows, vocab]`.
        let decoded = match signature.output_kind {
            OutputKind::Hidden(width) => {
                // Signature::of only chooses hidden states when the model has its decoder.
                let decoder = self.decoder.as_ref().ok_or_else(|| {
                    Error::new(Status::InvalidModel, "hidden states without a decoder")
                })?;
                let texts: Vec<&[f32]> = (group.members.iter().enumerate())
                    .map(|(row, &member)| &row_data(row)[..tokens[member].len() * width])
                    .collect();
                let mut decoded = vec![0.0f32; rows * vocab];
                decoder.pool(&texts, &mut decoded, decoder_threads);
                decoded
            }
            _ => Vec::new(),
        };
        // Logits: each text pooled in turn into this one buffer.
        let mut dense = match signature.output_kind {
            OutputKind::Logits => vec![0.0f32; vocab],
            _ => Vec::new(),
        };
        group
            .members
            .iter()
            .enumerate()
            .map(|(row, &member)| {
                let weights = match signature.output_kind {
                    OutputKind::Logits => {
                        pooling::pool(row_data(row), tokens[member].len(), &mut dense);
                        &dense[..]
                    }
                    OutputKind::Pooled => row_data(row),
                    OutputKind::Hidden(_) => &decoded[row * vocab..(row + 1) * vocab],
                };
                Ok(SparseVector::from_dense(weights, |id, w| {
                    w >= self.min_weight && !(self.drop_special_tokens && self.vocab.is_special(id))
                }))
            })
            .collect()
    }
}
