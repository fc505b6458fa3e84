//! Batches through `splade_expander_expand_batch`: the input cut at every `0xFF` byte (a byte no UTF-8 text
//! holds) into texts, any bytes between, on the default model. An empty text is passed as `(NULL, 0)` at an even
//! index and as a pointer with length 0 at an odd one; both are "".
//!
//! When every text is valid UTF-8 the batch must succeed: one vector per text, in order, each viewing its own
//! slice of the batch's two arrays, the slices following each other and filling them, each vector keeping the
//! header's rules and holding the weights of the same text expanded alone (the first few texts, within
//! [`BATCH_TOLERANCE`]). Otherwise the call must fail with `SPLADE_STATUS_INVALID_UTF8`, its message naming the index
//! of an invalid text (`texts[i]`), and leave the batch out-parameter as it was. An empty input also checks the
//! empty batch: count 0 with NULL arrays.

#![no_main]

use std::ptr::null;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use spladerunner_fuzz::{assert_close, default_model, status, Expander, Options, BATCH_TOLERANCE};

/// How many texts of a batch are also expanded alone, each call costing an inference.
const ALONE: usize = 8;

/// The default model at the defaults.
fn expander() -> &'static Expander {
    static EXPANDER: OnceLock<Expander> = OnceLock::new();
    EXPANDER.get_or_init(|| {
        Expander::open(&default_model(), &Options::new()).expect("the default model opens")
    })
}

fuzz_target!(|data: &[u8]| {
    if data.is_empty() {
        // SAFETY: no texts, passed as NULL arrays.
        let empty = unsafe { expander().expand_batch_raw(&[], &[]) }.expect("the empty batch");
        assert!(empty.is_empty());
    }
    let pieces: Vec<&[u8]> = data.split(|&b| b == 0xFF).collect();
    let texts: Vec<*const u8> = pieces
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if p.is_empty() && i % 2 == 0 {
                null()
            } else {
                p.as_ptr()
            }
        })
        .collect();
    let lens: Vec<usize> = pieces.iter().map(|p| p.len()).collect();
    let invalid: Vec<usize> = (0..pieces.len())
        .filter(|&i| std::str::from_utf8(pieces[i]).is_err())
        .collect();
    // SAFETY: each text is NULL with length 0 or a piece of the input, `lens[i]` bytes long.
    match unsafe { expander().expand_batch_raw(&texts, &lens) } {
        Ok(vectors) => {
            assert!(
                invalid.is_empty(),
                "texts {invalid:?} are not UTF-8, yet the batch expanded"
            );
            for (i, piece) in pieces.iter().enumerate().take(ALONE) {
                let alone = expander()
                    .expand(piece)
                    .unwrap_or_else(|f| panic!("text {i} alone: {f:?}"));
                assert_close(
                    &vectors[i],
                    &alone,
                    BATCH_TOLERANCE,
                    &format!("text {i}, batch and alone"),
                );
            }
        }
        Err(failure) => {
            assert!(!invalid.is_empty(), "every text is UTF-8, yet: {failure:?}");
            assert_eq!(failure.status, status::INVALID_UTF8, "{failure:?}");
            assert!(
                invalid
                    .iter()
                    .any(|i| failure.message.contains(&format!("texts[{i}]"))),
                "the message names no invalid text of {invalid:?}: {:?}",
                failure.message
            );
        }
    }
});
