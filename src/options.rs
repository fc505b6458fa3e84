//! Options for building an [`Expander`](crate::Expander), with their defaults and checks.

use std::path::PathBuf;

use crate::error::{Error, Result, Status};

/// The largest `max_length` chosen by default, whatever the model allows.
pub(crate) const DEFAULT_MAX_LENGTH_CAP: usize = 512;

/// The default number of text tokens shared by consecutive windows of a long text.
pub(crate) const DEFAULT_WINDOW_OVERLAP: usize = 32;

/// The default bound on padded tokens per ONNX Runtime call (rows × padded length).
pub(crate) const DEFAULT_TOKEN_BUDGET: usize = 256;

/// The largest [`Options::intra_op_threads`] (its documentation says why).
pub(crate) const MAX_INTRA_OP_THREADS: usize = 256;

/// The largest [`Options::sessions`] (its documentation says why).
pub(crate) const MAX_SESSIONS: usize = 256;

/// How an [`Expander`](crate::Expander) tokenizes, runs and prunes. `Options::default()` is what most callers
/// want; every field can be set directly or through the `with_*` methods, which chain.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Tokens per text, special tokens included; longer texts are truncated. `None`: the model's own limit from
    /// its config files (`model_max_length`, `max_position_embeddings`), at most 512.
    pub max_length: Option<usize>,
    /// Long texts: up to this many windows of `max_length` tokens per text, overlapping by `window_overlap`
    /// tokens, merged by keeping each term's largest weight, the windows after the first at half their weights.
    /// Default 1: a text is truncated to its first window.
    pub max_windows: usize,
    /// Text tokens shared by consecutive windows (used when `max_windows > 1`). Default 32; must be smaller than
    /// a window's text tokens.
    pub window_overlap: usize,
    /// Keep only the `top_k` highest-weighted terms of each vector (ties go to the smaller id), after `max_ratio`
    /// and `alpha_mass`. `None`: keep all.
    pub top_k: Option<usize>,
    /// Keep only terms with weight `>= min_weight`. Terms of weight 0 are never kept.
    pub min_weight: f32,
    /// Keep only the terms whose weight is at least `max_ratio` × the vector's largest weight (OpenSearch's
    /// `max_ratio` pruning, compared as it compares: `weight >= max_ratio * max` in `f32`). From 0 (keeps all) to
    /// 1 (keeps the terms of the largest weight). `None`: off. Applied to a text's merged vector, before
    /// `alpha_mass` and `top_k`.
    pub max_ratio: Option<f32>,
    /// Keep the fewest heaviest terms whose weights sum to at least `alpha_mass` × the vector's total weight (ties
    /// go to the smaller id; a vector with terms keeps at least one). Above 0, at most 1 (keeps all). `None`: off.
    /// Applied after `max_ratio`, to the terms it left, and before `top_k`. OpenSearch's `alpha_mass` pruning
    /// keeps the heaviest terms while their running sum stays `<= alpha × total`, which can keep none; this one
    /// also keeps the term that reaches the threshold ([`SparseVector::pruned_by_alpha_mass`]).
    ///
    /// [`SparseVector::pruned_by_alpha_mass`]: crate::SparseVector::pruned_by_alpha_mass
    pub alpha_mass: Option<f32>,
    /// Leave out the tokenizer's special tokens (`[CLS]`, `[SEP]`, `[PAD]`, `[UNK]`, `[MASK]` for BERT). Default
    /// false: SPLADE's vectors as the model makes them.
    pub drop_special_tokens: bool,
    /// Threads one call of the expander uses. `None`: one per core. For a graph that ONNX Runtime runs to the
    /// end (pooled weights or logits) they are ONNX Runtime's intra-op threads. For a graph that stops at the
    /// hidden states (the library's decoder) they decode one inference call's vocabulary together, and a batch's
    /// inference calls run side by side on them, ONNX Runtime running each on one thread (docs/threads.md).
    ///
    /// At most 256, and the default is cut to 256: that is above the hardware threads of common servers, and one
    /// call splits a vocabulary of some tens of thousands of rows between its threads, so more threads would each
    /// get too little work to pay for itself; a number meant for something else (`SIZE_MAX`, a count of texts)
    /// then fails at once with a clear message.
    pub intra_op_threads: Option<usize>,
    /// How many inference calls may run at the same time on one expander, from callers on different threads.
    /// They all run on the expander's one ONNX Runtime session, which holds the model's weights once; each
    /// running call holds its own buffers. Default 1: concurrent callers tokenize in parallel and take turns for
    /// inference. (A batch's calls run side by side on [`Options::intra_op_threads`] whatever this is.)
    ///
    /// At most 256: beyond the hardware threads of common servers more calls at once add buffers and no speed,
    /// and a wrong number fails at once.
    pub sessions: usize,
    /// Upper bound on padded tokens (rows × padded length) per inference call; a longer single text still runs,
    /// alone. Bounds memory whatever batch size a caller passes.
    pub token_budget: usize,
    /// The ONNX Runtime shared library to load. `None`: `ORT_DYLIB_PATH` when set; when neither names one,
    /// `libonnxruntime.so` beside the module holding this library, then the system's library search path. A
    /// library named by this option or by `ORT_DYLIB_PATH` is the only one tried: if it fails to load, the error
    /// carries the system's reason, and no other library is loaded in its place.
    pub ort_library_path: Option<PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_length: None,
            max_windows: 1,
            window_overlap: DEFAULT_WINDOW_OVERLAP,
            top_k: None,
            min_weight: 0.0,
            max_ratio: None,
            alpha_mass: None,
            drop_special_tokens: false,
            intra_op_threads: None,
            sessions: 1,
            token_budget: DEFAULT_TOKEN_BUDGET,
            ort_library_path: None,
        }
    }
}

impl Options {
    /// Sets [`Options::max_length`].
    pub fn with_max_length(mut self, max_length: usize) -> Self {
        self.max_length = Some(max_length);
        self
    }

    /// Sets [`Options::max_windows`].
    pub fn with_max_windows(mut self, max_windows: usize) -> Self {
        self.max_windows = max_windows;
        self
    }

    /// Sets [`Options::window_overlap`].
    pub fn with_window_overlap(mut self, window_overlap: usize) -> Self {
        self.window_overlap = window_overlap;
        self
    }

    /// Sets [`Options::top_k`].
    pub fn with_top_k(mut self, top_k: usize) -> Self {
        self.top_k = Some(top_k);
        self
    }

    /// Sets [`Options::min_weight`].
    pub fn with_min_weight(mut self, min_weight: f32) -> Self {
        self.min_weight = min_weight;
        self
    }

    /// Sets [`Options::max_ratio`].
    pub fn with_max_ratio(mut self, max_ratio: f32) -> Self {
        self.max_ratio = Some(max_ratio);
        self
    }

    /// Sets [`Options::alpha_mass`].
    pub fn with_alpha_mass(mut self, alpha_mass: f32) -> Self {
        self.alpha_mass = Some(alpha_mass);
        self
    }

    /// Sets [`Options::drop_special_tokens`].
    pub fn with_drop_special_tokens(mut self, drop: bool) -> Self {
        self.drop_special_tokens = drop;
        self
    }

    /// Sets [`Options::intra_op_threads`].
    pub fn with_intra_op_threads(mut self, threads: usize) -> Self {
        self.intra_op_threads = Some(threads);
        self
    }

    /// Sets [`Options::sessions`].
    pub fn with_sessions(mut self, sessions: usize) -> Self {
        self.sessions = sessions;
        self
    }

    /// Sets [`Options::token_budget`].
    pub fn with_token_budget(mut self, token_budget: usize) -> Self {
        self.token_budget = token_budget;
        self
    }

    /// Sets [`Options::ort_library_path`].
    pub fn with_ort_library_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.ort_library_path = Some(path.into());
        self
    }

    /// Checks every value that can be checked without the model; `max_length` is checked against the model later.
    pub fn validate(&self) -> Result<()> {
        let invalid = |what: String| Err(Error::new(Status::InvalidArgument, what));
        if self.max_length == Some(0) {
            return invalid("option max_length must be at least 1, got 0".into());
        }
        if self.max_windows == 0 {
            return invalid("option max_windows must be at least 1, got 0".into());
        }
        if self.top_k == Some(0) {
            return invalid(
                "option top_k must be at least 1 (or unset to keep all terms), got 0".into(),
            );
        }
        if !self.min_weight.is_finite() || self.min_weight < 0.0 {
            return invalid(format!(
                "option min_weight must be a finite number >= 0, got {}",
                self.min_weight
            ));
        }
        if let Some(ratio) = self.max_ratio.filter(|r| !(0.0..=1.0).contains(r)) {
            return invalid(format!(
                "option max_ratio must be a number from 0 to 1 (or unset to keep all terms), got {ratio}"
            ));
        }
        if let Some(alpha) = self.alpha_mass.filter(|&a| !(a > 0.0 && a <= 1.0)) {
            return invalid(format!(
                "option alpha_mass must be a number above 0 and at most 1 (or unset to keep all terms), got \
                 {alpha}"
            ));
        }
        if self.intra_op_threads == Some(0) {
            return invalid(
                "option intra_op_threads must be at least 1 (or unset for one per core), got 0"
                    .into(),
            );
        }
        if let Some(threads) = self.intra_op_threads.filter(|&t| t > MAX_INTRA_OP_THREADS) {
            return invalid(format!(
                "option intra_op_threads must be at most {MAX_INTRA_OP_THREADS}, got {threads}"
            ));
        }
        if self.sessions == 0 {
            return invalid("option sessions must be at least 1, got 0".into());
        }
        if self.sessions > MAX_SESSIONS {
            return invalid(format!(
                "option sessions must be at most {MAX_SESSIONS}, got {}",
                self.sessions
            ));
        }
        if self.token_budget == 0 {
            return invalid("option token_budget must be at least 1, got 0".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_and_session_counts_are_valid_up_to_their_limit_and_not_beyond() {
        let at_limit = Options::default()
            .with_intra_op_threads(MAX_INTRA_OP_THREADS)
            .with_sessions(MAX_SESSIONS);
        assert_eq!(at_limit.validate(), Ok(()));
        let cases = [
            (
                Options::default().with_intra_op_threads(MAX_INTRA_OP_THREADS + 1),
                "option intra_op_threads must be at most 256, got 257",
            ),
            (
                Options::default().with_intra_op_threads(usize::MAX),
                "option intra_op_threads must be at most 256, got 18446744073709551615",
            ),
            (
                Options::default().with_sessions(MAX_SESSIONS + 1),
                "option sessions must be at most 256, got 257",
            ),
        ];
        for (options, message) in cases {
            let error = options.validate().unwrap_err();
            assert_eq!(error.status(), Status::InvalidArgument);
            assert_eq!(error.message(), message);
        }
    }

    #[test]
    fn max_ratio_and_alpha_mass_are_valid_in_their_ranges_and_not_beyond() {
        for ratio in [0.0, 0.3, 1.0] {
            assert_eq!(Options::default().with_max_ratio(ratio).validate(), Ok(()));
        }
        for alpha in [f32::MIN_POSITIVE, 0.5, 1.0] {
            assert_eq!(Options::default().with_alpha_mass(alpha).validate(), Ok(()));
        }
        let ratio = |got: &str| {
            format!("option max_ratio must be a number from 0 to 1 (or unset to keep all terms), got {got}")
        };
        let alpha = |got: &str| {
            format!(
                "option alpha_mass must be a number above 0 and at most 1 (or unset to keep all terms), got \
                 {got}"
            )
        };
        let cases = [
            (Options::default().with_max_ratio(f32::NAN), ratio("NaN")),
            (Options::default().with_max_ratio(-0.1), ratio("-0.1")),
            (Options::default().with_max_ratio(1.5), ratio("1.5")),
            (
                Options::default().with_max_ratio(f32::INFINITY),
                ratio("inf"),
            ),
            (
                Options::default().with_max_ratio(f32::NEG_INFINITY),
                ratio("-inf"),
            ),
            (Options::default().with_alpha_mass(f32::NAN), alpha("NaN")),
            (Options::default().with_alpha_mass(-0.1), alpha("-0.1")),
            (Options::default().with_alpha_mass(0.0), alpha("0")),
            (Options::default().with_alpha_mass(1.5), alpha("1.5")),
            (
                Options::default().with_alpha_mass(f32::INFINITY),
                alpha("inf"),
            ),
        ];
        for (options, message) in cases {
            let error = options.validate().unwrap_err();
            assert_eq!(error.status(), Status::InvalidArgument);
            assert_eq!(error.message(), message);
        }
    }
}
