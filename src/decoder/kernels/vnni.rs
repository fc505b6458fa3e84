//! The VNNI kernel (AVX-512 F, BW and VNNI): the screen's int8 products with the VNNI dot-product instruction,
//! 16 rows × 4 hidden values per instruction; the rest is the AVX-512 kernel's.

use std::arch::x86_64::*;
use std::ops::Range;

use super::avx512::{self, Avx512};
use super::portable;
use super::Kernel;
use crate::decoder::layout::{Rows, States, BLOCK, GROUP, STEP};
use crate::decoder::step::Step;

/// The VNNI kernel; a value exists only where the CPU has AVX-512 F, BW and VNNI.
#[derive(Clone, Copy)]
pub(in crate::decoder) struct Vnni {
    avx512: Avx512,
}

impl Vnni {
    /// The kernel, where the CPU can run it, else what it lacks.
    pub(super) fn new() -> Result<Self, &'static str> {
        let avx512 = Avx512::new()?;
        if !std::arch::is_x86_feature_detected!("avx512bw") {
            return Err("CPU lacks AVX-512 BW");
        }
        if !std::arch::is_x86_feature_detected!("avx512vnni") {
            return Err("CPU lacks AVX-512 VNNI");
        }
        Ok(Vnni { avx512 })
    }
}

impl Kernel for Vnni {
    type Base = Avx512;

    fn base(self) -> Avx512 {
        self.avx512
    }

    fn for_each_step<const BOUND: bool>(
        self,
        rows: &Rows,
        texts: &[States],
        range: Range<usize>,
        f: impl FnMut(usize, usize, &Step),
    ) {
        portable::by_blocks::<BOUND>(rows, texts, range, f, |rows, block, states, half, step| {
            // SAFETY: a `Vnni` exists only where the CPU has AVX-512 F, BW and VNNI (`Vnni::new`).
            unsafe { block_peaks::<BOUND>(rows, block, states, half, step) }
        });
    }
}

/// [`portable::block_peaks`] with VNNI: the same integers, the same float operations in the same order.
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
fn block_peaks<const BOUND: bool>(
    rows: &Rows,
    block: usize,
    states: &States,
    half: usize,
    step: &mut Step,
) {
    assert_eq!(
        rows.groups * GROUP,
        states.stride,
        "hidden states quantized for these rows"
    );
    assert!(
        half < 2 && (!BOUND || step.bounds.len() >= states.positions * STEP),
        "a half of a step with room for the text's bounds"
    );
    let mut peak = _mm512_set1_ps(f32::NEG_INFINITY);
    let mut best = _mm512_setzero_si512();
    let mut p = 0;
    // Twelve positions at a time share each load of 16 rows × 4 values, with independent accumulators in
    // flight: enough to hide the latency of the dot-product instruction.
    while p + 12 <= states.positions {
        // SAFETY: positions `p..p + 12` are the text's, and the asserts above hold.
        unsafe { positions::<12, BOUND>(rows, block, states, p, half, step, &mut peak, &mut best) };
        p += 12;
    }
    while p + 4 <= states.positions {
        // SAFETY: positions `p..p + 4` are the text's, and the asserts above hold.
        unsafe { positions::<4, BOUND>(rows, block, states, p, half, step, &mut peak, &mut best) };
        p += 4;
    }
    while p < states.positions {
        // SAFETY: position `p` is the text's, and the asserts above hold.
        unsafe { positions::<1, BOUND>(rows, block, states, p, half, step, &mut peak, &mut best) };
        p += 1;
    }
    avx512::finish::<BOUND>(step, half, peak, best);
}

/// The bounds of positions `first..first + N` for the rows of `block`, recorded in order in half `half` of
/// `step` and in `peak`/`best` (the running largest bound and its first position).
///
/// # Safety
/// The hidden states' stride must be the rows' `groups·GROUP` bytes, `first + N` at most the text's positions,
/// `half` 0 or 1, and with `BOUND`, `step` must have room for the bounds of the text's positions.
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
#[inline]
#[allow(clippy::too_many_arguments)]
unsafe fn positions<const N: usize, const BOUND: bool>(
    rows: &Rows,
    block: usize,
    states: &States,
    first: usize,
    half: usize,
    step: &mut Step,
    peak: &mut __m512,
    best: &mut __m512i,
) {
    let weights = rows.block(block);
    let unsigned = &states.unsigned[first * states.stride..][..N * states.stride];
    let mut acc = [_mm512_setzero_si512(); N];
    for g in 0..rows.groups {
        // SAFETY: group `g` of the block is the 64 bytes from `g·64` of `weights`, which holds `groups·64`.
        let w = unsafe {
            _mm512_loadu_si512(weights.as_ptr().add(g * BLOCK * GROUP) as *const __m512i)
        };
        for (j, a) in acc.iter_mut().enumerate() {
            // SAFETY: the 4 bytes from `j·stride + g·4` are inside position `j` of `unsigned` (N positions of
            // `stride = groups·4` bytes).
            let x = unsafe {
                (unsigned.as_ptr().add(j * states.stride + g * GROUP) as *const i32)
                    .read_unaligned()
            };
            *a = _mm512_dpbusd_epi32(*a, _mm512_set1_epi32(x), w);
        }
    }
    let constant = &rows.constant[block * BLOCK..][..BLOCK];
    // SAFETY: `constant` holds 16 floats.
    let constant = unsafe { _mm512_loadu_ps(constant.as_ptr()) };
    for (j, a) in acc.iter().enumerate() {
        let sum = _mm512_add_ps(_mm512_cvtepi32_ps(*a), constant);
        let sum = if BOUND {
            _mm512_add_ps(sum, _mm512_set1_ps(states.half_l1[first + j]))
        } else {
            sum
        };
        let bound = _mm512_mul_ps(sum, _mm512_set1_ps(states.scale[first + j]));
        // SAFETY: `half` is 0 or 1, and position `first + j` is the text's, for which `step` has room.
        unsafe { avx512::record::<BOUND>(step, first + j, half, bound, peak, best) };
    }
}
