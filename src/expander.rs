//! [`Expander`]: one model, ready to turn texts into SPLADE vectors. It wires the steps together: tokenize,
//! group into bounded batches, run each inference call, decode or pool, prune.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use ort::environment::Environment;

use crate::batch::{self, Group};
use crate::decoder::Decoder;
use crate::error::{Error, Result, Status};
use crate::format::{self, Format};
use crate::inference;
use crate::model::{ModelFiles, ModelInfo, OutputKind, Signature};
use crate::options::{Options, MAX_INTRA_OP_THREADS};
use crate::parallel;
use crate::pooling;
use crate::runtime;
use crate::session::{Gate, SharedSession};
use crate::tokenize::{Cut, TextTokenizer, Tokens};
use crate::vector::{Pruning, SparseVector};
use crate::vocab::Vocab;

/// Texts tokenized as one job when a batch is tokenized on several threads: enough work to outweigh handing it
/// to a thread (a few tens of microseconds), small enough that a batch of 32 keeps two threads busy.
const TOKENIZE_CHUNK: usize = 8;

/// Gives the C allocator's free memory back to the system. Opening a model frees tens of megabytes (ONNX Runtime's
/// copy of the graph file as it builds the session, the tokenizer's parse) that glibc would otherwise keep in its
/// heap, counted in the process's resident memory (BENCHMARKS.md, what opening costs). Other C libraries return
/// large blocks themselves.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` only returns free heap memory to the system; it may run while other threads allocate.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// A SPLADE encoder for one model directory.
///
/// `Expander` is `Send + Sync`: share it between threads (for example in an `Arc`). It holds one ONNX Runtime
/// session, so one copy of the graph's weights, whatever the threads. Concurrent calls tokenize and pool in
/// parallel; up to [`Options::sessions`] of their inference calls run on the session at once (default 1, so by
/// default concurrent calls take turns for inference, each call itself using ONNX Runtime's intra-op threads).
/// With the library's decoder (a graph that stops at the hidden states) the expander's threads
/// ([`Options::intra_op_threads`]) decode one inference call's vocabulary together, and a batch's inference calls
/// run side by side on them, ONNX Runtime running each on one thread. Results do not depend on how calls
/// interleave.
pub struct Expander {
    tokenizer: TextTokenizer,
    vocab: Vocab,
    signature: Signature,
    /// The library's decoder, for a graph that stops at the hidden states.
    decoder: Option<Decoder>,
    /// The threads one call uses: ONNX Runtime's intra-op threads, or with the decoder, the threads that decode
    /// one inference call or run a batch's calls side by side.
    threads: usize,
    /// The model's one session, run by every call.
    session: SharedSession,
    /// Bounds the inference calls run one per caller to [`Options::sessions`] at once.
    calls: Gate,
    /// With the decoder and more than one thread: bounds a batch's calls run side by side, across
    /// callers, to `threads` at once.
    side_by_side: Option<Gate>,
    min_weight: f32,
    /// The pruning of a text's merged vector (`max_ratio`, `alpha_mass`, `top_k`).
    pruning: Pruning,
    drop_special_tokens: bool,
    token_budget: usize,
    /// The estimate [`Expander::native_size`] returns, fixed at [`Expander::new`].
    native_size: usize,
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
        let threads = options
            .intra_op_threads
            .or_else(|| {
                let cores = std::thread::available_parallelism().ok()?.get();
                Some(cores.min(MAX_INTRA_OP_THREADS))
            })
            .unwrap_or(1);
        let graph_bytes: u64 = (std::iter::once(&files.onnx).chain(&files.onnx_data))
            .map(|file| std::fs::metadata(file).map_or(0, |m| m.len()))
            .sum();
        // ONNX Runtime's threads: with the library's decoder one (the decoder uses the call's threads, and a
        // batch's inference calls run side by side on them: docs/threads.md), otherwise the caller's choice.
        let open = |environment: &Environment, decoded: bool| {
            let session_threads = if decoded {
                Some(1)
            } else {
                options.intra_op_threads
            };
            runtime::open_session(environment, &files.onnx, session_threads).map(SharedSession::new)
        };
        // Opening takes three steps: the tokenizer, ONNX Runtime's session, and the decoder. The tokenizer is read
        // on a thread of its own while ONNX Runtime opens the session; whichever of the two finishes first then
        // reads the decoder, with the sizes its file declares, as if the file decides the layout (the session is
        // opened again below if the graph's outputs chose another). Should those sizes differ from the
        // tokenizer's and the graph's, or the read fail, the decoder is read again below with theirs, so that
        // errors, and their order, are those of one step after the other (a tokenizer error first).
        let decoder_taken = AtomicBool::new(false);
        let read_decoder = || {
            let path = files.decoder.as_ref()?;
            (!decoder_taken.swap(true, Ordering::Relaxed)).then(|| Decoder::load(path, None, None))
        };
        let (read, opened, early_decoder) = std::thread::scope(|scope| {
            let read = scope.spawn(|| {
                let read = TextTokenizer::load(&files.tokenizer, &cut, files.max_length_limit());
                (read, read_decoder())
            });
            let opened =
                runtime::environment(options.ort_library_path.as_deref()).and_then(|environment| {
                    let session = open(&environment, files.decoder.is_some())?;
                    Ok((environment, session))
                });
            let early_decoder = read_decoder();
            let (read, read_there) = read
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (read, opened, early_decoder.or(read_there))
        });
        let (tokenizer, vocab) = read?;
        let (environment, mut session) = opened?;
        let signature = Signature::of(
            session.session(),
            &files.onnx,
            vocab.len(),
            files.decoder.is_some(),
        )?;
        let decoder = match (signature.output_kind, &files.decoder) {
            (OutputKind::Hidden(width), Some(path)) => Some(match early_decoder {
                Some(Ok(decoder))
                    if decoder.vocab() == vocab.len() && decoder.hidden() == width =>
                {
                    decoder
                }
                _ => Decoder::load(path, Some(vocab.len()), Some(width))?,
            }),
            _ => None,
        };
        if decoder.is_some() != files.decoder.is_some() {
            session = open(&environment, decoder.is_some())?;
        }
        let side_by_side = (decoder.is_some() && threads > 1).then(|| Gate::new(threads));
        let native_size = usize::try_from(graph_bytes)
            .unwrap_or(usize::MAX)
            .saturating_add(decoder.as_ref().map_or(0, Decoder::held_bytes));
        let expander = Expander {
            tokenizer,
            vocab,
            signature,
            decoder,
            threads,
            session,
            calls: Gate::new(options.sessions),
            side_by_side,
            min_weight: options.min_weight,
            pruning: Pruning {
                max_ratio: options.max_ratio,
                alpha_mass: options.alpha_mass,
                top_k: options.top_k,
            },
            drop_special_tokens: options.drop_special_tokens,
            token_budget: options.token_budget,
            native_size,
        };
        expander.expand("").map_err(|e| {
            Error::new(
                // Memory that ran out is not the model's fault.
                match e.status() {
                    Status::OutOfMemory => Status::OutOfMemory,
                    _ => Status::InvalidModel,
                },
                format!(
                    "{} failed its first run: {}",
                    files.onnx.display(),
                    e.message()
                ),
            )
        })?;
        release_freed_memory();
        Ok(expander)
    }

    /// Expands one text into its SPLADE vector.
    pub fn expand(&self, text: &str) -> Result<SparseVector> {
        let mut vectors = self.expand_batch(&[text])?;
        Ok(vectors.pop().unwrap_or_default())
    }

    /// Expands many texts; the vectors come back in the order of `texts`. Texts are grouped by length into
    /// inference calls of at most [`Options::token_budget`] padded tokens, so any number of texts can be passed.
    pub fn expand_batch<S: AsRef<str>>(&self, texts: &[S]) -> Result<Vec<SparseVector>> {
        // Tokenized on the call's threads, TOKENIZE_CHUNK texts per job.
        let texts: Vec<&str> = texts.iter().map(AsRef::as_ref).collect();
        let chunks: Vec<&[&str]> = texts.chunks(TOKENIZE_CHUNK).collect();
        let windows: Vec<Vec<Tokens>> = parallel::map(chunks.len(), self.threads, |k| {
            (chunks[k].iter())
                .map(|t| self.tokenizer.encode(t))
                .collect::<Result<Vec<_>>>()
        })?
        .into_iter()
        .flatten()
        .collect();
        let counts: Vec<usize> = windows.iter().map(Vec::len).collect();
        let rows: Vec<Tokens> = windows.into_iter().flatten().collect();
        let lengths: Vec<usize> = rows.iter().map(Tokens::len).collect();
        let groups = batch::plan(&lengths, self.token_budget);
        // A pass is taken for each inference call, so that other callers' calls can run in between.
        let results = match &self.side_by_side {
            Some(gate) if groups.len() > 1 => parallel::map(groups.len(), self.threads, |k| {
                let _pass = gate.enter();
                self.run(&groups[k], &rows, 1)
            })?,
            _ => (groups.iter())
                .map(|group| {
                    let _pass = self.calls.enter();
                    self.run(group, &rows, self.threads)
                })
                .collect::<Result<_>>()?,
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
                // min_weight and special tokens were applied per window; a later window's weights count less in
                // the merge, so min_weight applies again to what it gives (the same terms as applying it to the
                // merge of unfiltered windows). max_ratio, alpha_mass and top_k need the merged vector.
                let merged =
                    SparseVector::merge_windows(row_vectors.by_ref().take(count).collect());
                let merged = match count {
                    1 => merged,
                    _ => merged.pruned(self.min_weight, None),
                };
                self.pruning.apply(merged)
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

    /// `vector` as JSON in one of the shapes search engines accept (see [`Format`]), after checking that every
    /// engine can take it (see [`Format`] for what is refused).
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

    /// An estimate of the native memory the expander holds, in bytes, for a garbage-collected language's runtime
    /// to weigh it by: the size of the graph file and of `model.onnx_data` if there is one (its one ONNX Runtime
    /// session holds the graph and its weights), plus
    /// the library's decoder matrices as held. An estimate, not a count: it leaves out the tokenizer and ONNX
    /// Runtime's own buffers. Fixed at `new`, so reading it costs nothing.
    pub fn native_size(&self) -> usize {
        self.native_size
    }

    pub(crate) fn vocab(&self) -> &Vocab {
        &self.vocab
    }

    /// Runs one group of rows (text windows) through the model and pools each into an unpruned vector, in the
    /// group's member order; the library's decoder, if any, uses `decoder_threads` threads.
    fn run(
        &self,
        group: &Group,
        tokens: &[Tokens],
        decoder_threads: usize,
    ) -> Result<Vec<SparseVector>> {
        let vocab = self.vocab.len();
        inference::run(
            &self.session,
            &self.signature,
            group,
            tokens,
            vocab,
            |data| self.vectors(group, tokens, data, decoder_threads),
        )
    }

    /// The unpruned vectors of a group's rows from the model's output `data` (checked to have the shape the
    /// signature promises), in the group's member order: decoded, pooled, or taken as they are.
    fn vectors(
        &self,
        group: &Group,
        tokens: &[Tokens],
        data: &[f32],
        decoder_threads: usize,
    ) -> Result<Vec<SparseVector>> {
        let rows = group.members.len();
        let vocab = self.vocab.len();
        let signature = &self.signature;
        let per_row = data.len() / rows.max(1);
        let row_data = |row: usize| &data[row * per_row..(row + 1) * per_row];
        // Hidden states: every text of the call decoded at once, each into its terms.
        let mut decoded = match signature.output_kind {
            OutputKind::Hidden(width) => {
                // Signature::of only chooses hidden states when the model has its decoder.
                let decoder = self.decoder.as_ref().ok_or_else(|| {
                    Error::new(Status::InvalidModel, "hidden states without a decoder")
                })?;
                let texts: Vec<&[f32]> = (group.members.iter().enumerate())
                    .map(|(row, &member)| &row_data(row)[..tokens[member].len() * width])
                    .collect();
                decoder.decode(&texts, decoder_threads).into_iter()
            }
            _ => Vec::new().into_iter(),
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
                let keep = |id, w| {
                    w >= self.min_weight && !(self.drop_special_tokens && self.vocab.is_special(id))
                };
                Ok(match signature.output_kind {
                    OutputKind::Logits => {
                        pooling::pool(row_data(row), tokens[member].len(), &mut dense);
                        SparseVector::from_dense(&dense, keep)
                    }
                    OutputKind::Pooled => SparseVector::from_dense(row_data(row), keep),
                    OutputKind::Hidden(_) => {
                        SparseVector::from_terms_kept(decoded.next().unwrap_or_default(), keep)
                    }
                })
            })
            .collect()
    }
}
