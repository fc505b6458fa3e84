//! Options: a byte-driven sequence of `splade_options_set_*` calls with arbitrary values, then
//! `splade_expander_new` on the default model when the threads asked for keep one input fast.
//!
//! The input is a sequence of calls, each a selector byte (modulo 12: max_length, max_windows, window_overlap,
//! top_k, min_weight, drop_special_tokens, intra_op_threads, sessions, token_budget, ort_library_path, max_ratio,
//! alpha_mass) and its value: a count as one byte below 0x80, or 8 more bytes (a little-endian u64) after a byte
//! of 0x80 or above; a weight or a share (min_weight, max_ratio, alpha_mass) as 4 bytes (a little-endian f32, NaN
//! and infinities included); a bool as the low bit of a byte; the ONNX Runtime path as the set-up's library, a
//! file that does not exist, or NULL.
//!
//! Beside the options sits a model of them written from the header: each setter's status (the limits it
//! states) must match, a failure must leave the options as they were (the model is not changed either), and the
//! open must succeed exactly when the model says the options fit the default model (max_length from 3, its two
//! special tokens plus one, to 512; a window overlap smaller than a window's text tokens when there are windows;
//! the library that exists), failing otherwise with one of the statuses of the broken rules. An opened expander
//! must report the max_length asked for, and expand a long text and a short one, alone and as a batch, into
//! vectors that keep the header's rules and the options (at most top_k terms, weights of at least min_weight and
//! of at least max_ratio × the vector's largest, no special token when they are dropped); without pruning, the
//! batch's vectors must match the texts expanded alone. The options are freed before the expander is used: it holds a copy.

#![no_main]

use std::ffi::CString;
use std::ptr::{null, null_mut};

use libfuzzer_sys::fuzz_target;
use spladerunner_fuzz::{
    assert_close, default_model, ort_library, set, settle, splade_options_set_ort_library_path,
    status, Expander, Failure, Options, Status, Terms, BATCH_TOLERANCE, SPECIAL_TOKENS,
};

/// The tokens the default model's tokenizer adds around a text: `[CLS]` and `[SEP]`.
const SPECIAL: usize = 2;
/// The default model's limit (`model_max_length`, `max_position_embeddings`), also the default max_length's cap.
const MODEL_LIMIT: usize = 512;
/// The most threads an input may ask for and still open the model (beyond this, only the setters are checked).
/// An expander holds one ONNX Runtime session whatever its threads, but each call starts its threads, so 256 would
/// make the inputs that ask for many slow to run without reaching other code.
const OPEN_AT_MOST_THREADS: usize = 16;

/// A long text, cut into several windows at small max_length values, and a short one.
const TEXTS: [&str; 2] = [
    "The atomic energy commission reported on the design of reactor cooling systems, the heat transfer in \
     boundary layers of supersonic flow over flat plates, the buckling of thin cylindrical shells under axial \
     compression, and the measurement of pressure distributions on slender wings at high angles of attack.",
    "Kernenergie für Städte – 原子力 🚀",
];

/// What the header says the options hold.
#[derive(Debug, Clone, PartialEq)]
struct Model {
    max_length: Option<usize>,
    max_windows: usize,
    window_overlap: usize,
    top_k: Option<usize>,
    min_weight: f32,
    max_ratio: Option<f32>,
    alpha_mass: Option<f32>,
    drop_special_tokens: bool,
    intra_op_threads: Option<usize>,
    /// The ONNX Runtime path names a file that does not exist.
    missing_library: bool,
}

impl Default for Model {
    /// The header's defaults.
    fn default() -> Self {
        Model {
            max_length: None,
            max_windows: 1,
            window_overlap: 32,
            top_k: None,
            min_weight: 0.0,
            max_ratio: None,
            alpha_mass: None,
            drop_special_tokens: false,
            intra_op_threads: None,
            missing_library: false,
        }
    }
}

/// Reads the input front to back.
struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (&first, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(first)
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (first, rest) = self.0.split_first_chunk::<N>()?;
        self.0 = rest;
        Some(*first)
    }

    /// A count: small ones in one byte, any `u64` in nine.
    fn count(&mut self) -> Option<usize> {
        match self.byte()? {
            small @ 0..=0x7F => Some(usize::from(small)),
            _ => Some(u64::from_le_bytes(self.array()?) as usize),
        }
    }
}

/// The ONNX Runtime paths an input may set: 0 the set-up's, 1 a file that does not exist, 2 NULL.
fn library_path(choice: u8) -> Option<CString> {
    match choice % 3 {
        0 => Some(ort_library()),
        1 => Some(CString::new("/nonexistent/libonnxruntime.so").expect("no NUL")),
        _ => None,
    }
}

/// Calls one setter, chosen by the input, on `options`; checks its status and its error against `model`, which
/// it updates on success. `None` when the input ends.
fn one_call(input: &mut Input, options: &Options, model: &mut Model) -> Option<()> {
    let selector = input.byte()? % 12;
    let mut next = model.clone();
    let (outcome, ok): (Result<(), Failure>, bool) = match selector {
        0 => {
            let n = input.count()?;
            next.max_length = (n > 0).then_some(n);
            (set!(options, splade_options_set_max_length, n), true)
        }
        1 => {
            let n = input.count()?;
            next.max_windows = n;
            (set!(options, splade_options_set_max_windows, n), n >= 1)
        }
        2 => {
            let n = input.count()?;
            next.window_overlap = n;
            (set!(options, splade_options_set_window_overlap, n), true)
        }
        3 => {
            let n = input.count()?;
            next.top_k = (n > 0).then_some(n);
            (set!(options, splade_options_set_top_k, n), true)
        }
        4 => {
            let w = f32::from_le_bytes(input.array()?);
            next.min_weight = w;
            (
                set!(options, splade_options_set_min_weight, w),
                w.is_finite() && w >= 0.0,
            )
        }
        5 => {
            let drop = input.byte()? & 1 == 1;
            next.drop_special_tokens = drop;
            (
                set!(options, splade_options_set_drop_special_tokens, drop),
                true,
            )
        }
        6 => {
            let n = input.count()?;
            next.intra_op_threads = (n > 0).then_some(n);
            (
                set!(options, splade_options_set_intra_op_threads, n),
                n <= 256,
            )
        }
        7 => {
            let n = input.count()?;
            (
                set!(options, splade_options_set_sessions, n),
                (1..=256).contains(&n),
            )
        }
        8 => {
            let n = input.count()?;
            (set!(options, splade_options_set_token_budget, n), n >= 1)
        }
        9 => {
            let choice = input.byte()?;
            let path = library_path(choice);
            next.missing_library = choice % 3 == 1;
            let mut error = null_mut();
            // SAFETY: the options are live, the path NULL or NUL-terminated, `error` a writable local.
            let status = unsafe {
                splade_options_set_ort_library_path(
                    options.as_ptr(),
                    path.as_ref().map_or(null(), |p| p.as_ptr()),
                    &mut error,
                )
            };
            // SAFETY: `error` is NULL or the error object just written.
            let outcome = unsafe { settle("splade_options_set_ort_library_path", status, error) };
            if path.is_none() {
                assert_eq!(outcome.map_err(|f| f.status), Err(status::NULL_ARGUMENT));
                return Some(());
            }
            (outcome, true)
        }
        10 => {
            let r = f32::from_le_bytes(input.array()?);
            next.max_ratio = Some(r);
            (
                set!(options, splade_options_set_max_ratio, r),
                (0.0..=1.0).contains(&r),
            )
        }
        _ => {
            let a = f32::from_le_bytes(input.array()?);
            next.alpha_mass = Some(a);
            (
                set!(options, splade_options_set_alpha_mass, a),
                a > 0.0 && a <= 1.0,
            )
        }
    };
    match outcome {
        Ok(()) => {
            assert!(ok, "setter {selector} accepted a value the header refuses");
            *model = next;
        }
        Err(failure) => {
            assert!(
                !ok,
                "setter {selector} refused a value the header allows: {failure:?}"
            );
            assert_eq!(
                failure.status,
                status::INVALID_ARGUMENT,
                "setter {selector}"
            );
        }
    }
    Some(())
}

/// The statuses `splade_expander_new` may fail with on the default model under `model`; none when it must open.
fn open_faults(model: &Model) -> Vec<Status> {
    let mut faults = Vec::new();
    if model.missing_library {
        faults.push(status::RUNTIME_UNAVAILABLE);
    }
    let max_length = model.max_length.unwrap_or(MODEL_LIMIT);
    let outside = max_length > MODEL_LIMIT || max_length <= SPECIAL;
    // A window holds `max_length - SPECIAL` text tokens, which the overlap must stay below.
    if outside || model.max_windows > 1 && model.window_overlap >= max_length - SPECIAL {
        faults.push(status::INVALID_ARGUMENT);
    }
    faults
}

/// Checks that `terms` keeps the options of `model`.
fn check_pruning(expander: &Expander, terms: &Terms, model: &Model, what: &str) {
    let tokens = expander.check(terms, what);
    if let Some(k) = model.top_k {
        assert!(
            terms.ids.len() <= k,
            "{what}: {} terms, top_k {k}",
            terms.ids.len()
        );
    }
    // Every later step keeps the heaviest term, so the vector's largest weight is the one max_ratio saw.
    let largest = terms.weights.iter().copied().fold(0.0, f32::max);
    for (token, &weight) in tokens.iter().zip(&terms.weights) {
        assert!(
            weight >= model.min_weight,
            "{what}: {token:?} has weight {weight}, min_weight {}",
            model.min_weight
        );
        if let Some(ratio) = model.max_ratio {
            assert!(
                weight >= ratio * largest,
                "{what}: {token:?} has weight {weight}, max_ratio {ratio} of {largest}"
            );
        }
        assert!(
            !(model.drop_special_tokens && SPECIAL_TOKENS.contains(&token.as_str())),
            "{what}: the special token {token} is in the vector"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let options = Options::new();
    let mut model = Model::default();
    let mut input = Input(data);
    while one_call(&mut input, &options, &mut model).is_some() {}

    let threads = model
        .intra_op_threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get().min(256)));
    if threads > OPEN_AT_MOST_THREADS {
        return;
    }
    let faults = open_faults(&model);
    let opened = Expander::open(&default_model(), &options);
    drop(options);
    let expander = match opened {
        Err(failure) => {
            assert!(
                faults.contains(&failure.status),
                "{model:?} failed with {failure:?}; the header allows {faults:?}"
            );
            return;
        }
        Ok(expander) => {
            assert!(
                faults.is_empty(),
                "{model:?} opened; the header wants one of {faults:?}"
            );
            expander
        }
    };
    assert_eq!(
        expander.max_length(),
        model.max_length.unwrap_or(MODEL_LIMIT),
        "{model:?}"
    );
    assert!(expander.vocab_size() > 0);
    let alone: Vec<Terms> = TEXTS
        .iter()
        .map(|text| {
            let terms = expander
                .expand(text.as_bytes())
                .unwrap_or_else(|f| panic!("{model:?}: {f:?}"));
            check_pruning(&expander, &terms, &model, "alone");
            terms
        })
        .collect();
    let texts: Vec<&[u8]> = TEXTS.iter().map(|t| t.as_bytes()).collect();
    let batch = expander
        .expand_batch(&texts)
        .unwrap_or_else(|f| panic!("{model:?}: {f:?}"));
    for (i, (in_batch, alone)) in batch.iter().zip(&alone).enumerate() {
        check_pruning(&expander, in_batch, &model, "in a batch");
        // Pruning may keep one of two terms of nearly equal weight in one and the other in the other.
        if model.top_k.is_none()
            && model.min_weight == 0.0
            && model.max_ratio.is_none()
            && model.alpha_mass.is_none()
        {
            assert_close(
                in_batch,
                alone,
                BATCH_TOLERANCE,
                &format!("text {i}, batch and alone"),
            );
        }
    }
});
