//! Text bytes through `splade_expander_expand`: any bytes, invalid UTF-8 included, given as pointer + length (the
//! empty input as `(NULL, 0)`), on two expanders of the default model: one at the defaults, and one that cuts a
//! text into overlapping windows of 16 tokens, drops the special tokens and prunes (the top 20 terms, weights of
//! at least 0.5), so that windows, their merge and pruning meet every text too.
//!
//! Valid UTF-8 must expand, on both (any text is a text); anything else must fail with
//! `SPLADE_STATUS_INVALID_UTF8` and leave the vector out-parameter as it was. Every vector must keep the header's
//! rules (`Expander::check`), and the pruned one its options. A NULL pointer with a non-zero length must fail
//! with `SPLADE_STATUS_NULL_ARGUMENT`.

#![no_main]

use std::ptr::null;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use spladerunner_fuzz::{default_model, set, status, Expander, Options, SPECIAL_TOKENS};

/// The pruned expander's options.
const WINDOW: usize = 16;
const WINDOWS: usize = 8;
const OVERLAP: usize = 4;
const TOP_K: usize = 20;
const MIN_WEIGHT: f32 = 0.5;

/// The default model at the defaults.
fn plain() -> &'static Expander {
    static PLAIN: OnceLock<Expander> = OnceLock::new();
    PLAIN.get_or_init(|| {
        Expander::open(&default_model(), &Options::new()).expect("the default model opens")
    })
}

/// The default model with windows, no special tokens and pruning.
fn pruned() -> &'static Expander {
    static PRUNED: OnceLock<Expander> = OnceLock::new();
    PRUNED.get_or_init(|| {
        let options = Options::new();
        let accepted = [
            set!(options, splade_options_set_max_length, WINDOW),
            set!(options, splade_options_set_max_windows, WINDOWS),
            set!(options, splade_options_set_window_overlap, OVERLAP),
            set!(options, splade_options_set_top_k, TOP_K),
            set!(options, splade_options_set_min_weight, MIN_WEIGHT),
            set!(options, splade_options_set_drop_special_tokens, true),
        ];
        assert!(accepted.iter().all(Result::is_ok), "{accepted:?}");
        Expander::open(&default_model(), &options).expect("the default model opens")
    })
}

fuzz_target!(|data: &[u8]| {
    let valid = std::str::from_utf8(data).is_ok();
    // The empty text as `(NULL, 0)`, which the header makes "".
    let text = if data.is_empty() {
        null()
    } else {
        data.as_ptr()
    };
    for (expander, what) in [(plain(), "defaults"), (pruned(), "pruned")] {
        // SAFETY: `text` is NULL with length 0, or the input's bytes.
        let outcome = unsafe { expander.expand_raw(text, data.len()) };
        let terms = match outcome {
            Ok(terms) => {
                assert!(valid, "{what}: invalid UTF-8 expanded");
                terms
            }
            Err(failure) => {
                assert!(!valid, "{what}: a valid text failed: {failure:?}");
                assert_eq!(failure.status, status::INVALID_UTF8, "{what}: {failure:?}");
                continue;
            }
        };
        let tokens = expander.check(&terms, what);
        if what == "pruned" {
            assert!(terms.ids.len() <= TOP_K, "{} terms", terms.ids.len());
            for (token, &weight) in tokens.iter().zip(&terms.weights) {
                assert!(weight >= MIN_WEIGHT, "{token:?} has weight {weight}");
                assert!(
                    !SPECIAL_TOKENS.contains(&token.as_str()),
                    "the special token {token} is in the vector"
                );
            }
        }
    }
    if !data.is_empty() {
        // SAFETY: a NULL text, which the call must refuse without reading it.
        let outcome = unsafe { plain().expand_raw(null(), data.len()) };
        assert_eq!(
            outcome.map_err(|f| f.status),
            Err(status::NULL_ARGUMENT),
            "a NULL text of length {}",
            data.len()
        );
    }
});
