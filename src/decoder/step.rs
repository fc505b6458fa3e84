//! What the screen finds: for one text and one step of rows, each row's largest bound (or estimate) and, for
//! the exact pass, the bound at each position.

use super::layout::{States, STEP};

/// What the screen found for one text and one step of rows ([`STEP`] rows), before the row scales. Every kernel
/// fills it with the very same numbers.
pub(super) struct Step {
    /// Per row: the largest bound over the positions.
    pub(super) peaks: [f32; STEP],
    /// Per row: the first position with that bound (for kept bounds).
    pub(super) best: [u32; STEP],
    /// `[position][STEP]`: each position's bound (for kept bounds).
    pub(super) bounds: Vec<f32>,
}

impl Step {
    /// A step for `texts`; with `bound`, room for the bound at each position of the longest.
    pub(super) fn new(texts: &[States], bound: bool) -> Self {
        let positions = texts.iter().map(|t| t.positions).max().unwrap_or(0);
        Step {
            peaks: [f32::NEG_INFINITY; STEP],
            best: [0; STEP],
            bounds: if bound {
                vec![0.0; positions * STEP]
            } else {
                Vec::new()
            },
        }
    }

    /// Records row `lane`'s `bound` at position `p`: with `BOUND` the bound itself, and the running largest
    /// bound with its first position.
    pub(super) fn record<const BOUND: bool>(&mut self, p: usize, lane: usize, bound: f32) {
        if BOUND {
            self.bounds[p * STEP + lane] = bound;
            if bound > self.peaks[lane] {
                self.best[lane] = p as u32;
            }
        }
        self.peaks[lane] = self.peaks[lane].max(bound);
    }
}

/// One row's screen for one text: an upper bound of the float32 dot product (as [`super::exact`] computes it)
/// of the row with each position's hidden state.
pub(super) struct RowBounds<'a> {
    step: &'a Step,
    lane: usize,
    positions: usize,
    scale: f32,
    /// The rounding margin for this row and text.
    margin: f32,
}

impl<'a> RowBounds<'a> {
    /// Row `lane` of `step`, for a text of `positions` positions: the row's `scale`, and the rounding `margin`
    /// for this row and text.
    pub(super) fn new(
        step: &'a Step,
        lane: usize,
        positions: usize,
        scale: f32,
        margin: f32,
    ) -> Self {
        RowBounds {
            step,
            lane,
            positions,
            scale,
            margin,
        }
    }

    /// The text's number of positions.
    pub(super) fn positions(&self) -> usize {
        self.positions
    }

    /// The first position with the largest bound: the likeliest to hold the largest product.
    pub(super) fn best(&self) -> usize {
        self.step.best[self.lane] as usize
    }

    /// The bound at position `p`.
    pub(super) fn at(&self, p: usize) -> f32 {
        self.scale * self.step.bounds[p * STEP + self.lane] + self.margin
    }
}
