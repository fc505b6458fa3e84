//! The portable kernel: plain Rust for every CPU (and what runs under valgrind), the reference whose numbers
//! every other kernel gives.

use std::ops::Range;

use super::Kernel;
use crate::decoder::layout::{step_blocks, Rows, States, BLOCK, GROUP, STEP};
use crate::decoder::step::Step;

/// Running sums of a dot product: as many as four AVX-512 registers of 16 lanes hold.
pub(super) const LANES: usize = 64;

/// The portable kernel.
#[derive(Clone, Copy)]
pub(in crate::decoder) struct Portable;

impl Kernel for Portable {
    /// The portable kernel computes everything itself: its own base, whose provided methods it never calls.
    type Base = Portable;

    fn base(self) -> Portable {
        self
    }

    fn for_each_step<const BOUND: bool>(
        self,
        rows: &Rows,
        texts: &[States],
        range: Range<usize>,
        f: impl FnMut(usize, usize, &Step),
    ) {
        by_blocks::<BOUND>(rows, texts, range, f, block_peaks::<BOUND>);
    }

    fn passing<const BOUND: bool>(
        self,
        rows: &Rows,
        step: &Step,
        range: Range<usize>,
        bias: &[f32],
        max_norm: f32,
    ) -> (u32, [f32; STEP]) {
        let mut sums = [0.0; STEP];
        let mut passing = 0;
        for (lane, v) in range.enumerate() {
            let sum = rows.scale[v] * step.peaks[lane] + bias[v];
            sums[lane] = if BOUND {
                sum + rows.margin[v] * max_norm
            } else {
                sum
            };
            passing |= u32::from(sums[lane] > 0.0) << lane;
        }
        (passing, sums)
    }

    fn dot(self, a: &[f32], b: &[f32]) -> f32 {
        dot(a, b)
    }
}

/// [`Kernel::for_each_step`] for a kernel that screens one block of 16 rows against one text at a time:
/// `block_peaks(rows, block, states, half, step)` fills half `half` of `step` with block `block`.
pub(super) fn by_blocks<const BOUND: bool>(
    rows: &Rows,
    texts: &[States],
    range: Range<usize>,
    mut f: impl FnMut(usize, usize, &Step),
    mut block_peaks: impl FnMut(&Rows, usize, &States, usize, &mut Step),
) {
    let mut step = Step::new(texts, BOUND);
    for block in step_blocks(range) {
        for (i, states) in texts.iter().enumerate() {
            for half in 0..2 {
                block_peaks(rows, block + half, states, half, &mut step);
            }
            f(i, block * BLOCK, &step);
        }
    }
}

/// Fills half `half` of `step` for the 16 rows of `block`: `max_p t_p·(r_p·q + constant + ½‖r_p‖₁)` (without
/// the last term unless `BOUND`), before the row scale, and with `BOUND` each position's bound and the first
/// position of the largest.
pub(super) fn block_peaks<const BOUND: bool>(
    rows: &Rows,
    block: usize,
    states: &States,
    half: usize,
    step: &mut Step,
) {
    let lanes = half * BLOCK..(half + 1) * BLOCK;
    step.peaks[lanes.clone()].fill(f32::NEG_INFINITY);
    step.best[lanes].fill(0);
    let weights = rows.block(block);
    for p in 0..states.positions {
        let u = states.position(p);
        for lane in 0..BLOCK {
            let mut dot = 0i32;
            for g in 0..rows.groups {
                for i in 0..GROUP {
                    let q = weights[(g * BLOCK + lane) * GROUP + i];
                    dot += i32::from(u[g * GROUP + i]) * i32::from(q);
                }
            }
            let sum = dot as f32 + rows.constant[block * BLOCK + lane];
            let sum = if BOUND { sum + states.half_l1[p] } else { sum };
            let bound = sum * states.scale[p];
            step.record::<BOUND>(p, half * BLOCK + lane, bound);
        }
    }
}

/// `a·b` in float32 in the one order every kernel follows: [`LANES`] running sums (lane `l` takes the values
/// `l`, `l + 64`, ... as a chain of fused multiply-adds; lanes past the end take `0·0`), then the four groups
/// of 16 sums added `(0 + 1) + (2 + 3)`, then halves folded: 16 → 8 → 4 → 2 → 1.
#[inline(always)]
pub(super) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let whole = n - n % LANES;
    let mut sums = [0.0f32; LANES];
    let mut add = |x: &[f32], y: &[f32]| {
        for ((sum, &x), &y) in sums.iter_mut().zip(x).zip(y) {
            *sum = x.mul_add(y, *sum);
        }
    };
    for (x, y) in a[..whole]
        .chunks_exact(LANES)
        .zip(b[..whole].chunks_exact(LANES))
    {
        add(x, y);
    }
    if whole < n {
        let (mut x, mut y) = ([0.0f32; LANES], [0.0f32; LANES]);
        x[..n - whole].copy_from_slice(&a[whole..n]);
        y[..n - whole].copy_from_slice(&b[whole..n]);
        add(&x, &y);
    }
    let mut folded: [f32; 16] =
        std::array::from_fn(|l| (sums[l] + sums[16 + l]) + (sums[32 + l] + sums[48 + l]));
    let mut half = 8;
    while half > 0 {
        for l in 0..half {
            folded[l] += folded[l + half];
        }
        half /= 2;
    }
    folded[0]
}
