//! The screening pass: an upper bound of every vocabulary row's dot product with every position's hidden state,
//! and so of its largest logit over the positions, from int8 dot products.
//!
//! A row `w` is stored as `s·q` with `s = max|w| / 127` and `q` int8; a hidden state `h` as `t·r`, `r` int8
//! ([`super::quantize`]). Writing `h = t(r + e)`, `w = s(q + f)` with rounding errors `|e|, |f| <= ½`,
//! `h·w = t·s·(r·q + r·f + e·q + e·f) <= t·s·(r·q + ½‖r‖₁ + ½‖q‖₁ + hidden/4)`. The VNNI instruction multiplies
//! unsigned by signed bytes, so `r` is stored as `r + 128` and `128·Σq` is taken off again ([`super::layout`]).
//! A margin of `4e-5·max‖h‖₂·‖w‖₂` covers float rounding in the bound and in the float32 product it bounds (that
//! of [`super::exact`], off by at most `(hidden/64 + 6)·2⁻²⁴·‖h‖₂·‖w‖₂`: 1.1e-6 of it for a hidden size of 768).
//!
//! The products and the test of each row against zero are the kernel's ([`super::kernels`]); every kernel gives
//! the very same numbers.

use std::ops::Range;

use super::kernels::Kernel;
use super::layout::{Rows, States, STEP};
use super::step::{RowBounds, Step};

impl Rows {
    /// Gives `f` each text `i` of `texts` with each row `v` in `range` (starting at a multiple of [`STEP`]) whose
    /// bound on `max_p h_p·w + b` is above zero, with that row's bound at each position: `f(i, v, bounds)`.
    pub(super) fn candidates<K: Kernel>(
        &self,
        kernel: K,
        texts: &[States],
        bias: &[f32],
        range: Range<usize>,
        mut f: impl FnMut(usize, usize, &RowBounds),
    ) {
        let end = range.end;
        kernel.for_each_step::<true>(self, texts, range, |i, first, step: &Step| {
            let max_norm = texts[i].max_norm;
            let rows = first..end.min(first + STEP);
            let (passing, _) = kernel.passing::<true>(self, step, rows, bias, max_norm);
            for lane in lanes(passing) {
                let v = first + lane;
                let margin = self.margin[v] * max_norm;
                let bounds = RowBounds::new(step, lane, texts[i].positions, self.scale[v], margin);
                f(i, v, &bounds);
            }
        });
    }

    /// The largest logit `max_p s·t_p·(r_p·q) + b` of the int8 rows in `range` (starting at a multiple of
    /// [`STEP`]) for each text `i` of `texts`, where it is above zero: `f(i, v, logit)`. (Every other row's
    /// SPLADE weight is zero.)
    pub(super) fn estimates<K: Kernel>(
        &self,
        kernel: K,
        texts: &[States],
        bias: &[f32],
        range: Range<usize>,
        mut f: impl FnMut(usize, usize, f32),
    ) {
        let end = range.end;
        kernel.for_each_step::<false>(self, texts, range, |i, first, step: &Step| {
            let rows = first..end.min(first + STEP);
            let (passing, logits) = kernel.passing::<false>(self, step, rows, bias, 0.0);
            for lane in lanes(passing) {
                f(i, first + lane, logits[lane]);
            }
        });
    }
}

/// The lanes whose bits are set in `bits`, lowest first.
fn lanes(mut bits: u32) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        let lane = bits.trailing_zeros() as usize;
        bits &= bits.wrapping_sub(1);
        (lane < 32).then_some(lane)
    })
}
