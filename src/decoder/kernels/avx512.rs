//! The AVX-512 kernel (AVX-512 F): the portable kernel's screen, with the float32 dot product and the test of a
//! step's rows against zero in AVX-512 registers; and the recording of 16 rows' bounds at a position, which the
//! VNNI and AMX kernels share.

use std::arch::x86_64::*;
use std::ops::Range;

use super::portable::{Portable, LANES};
use super::Kernel;
use crate::decoder::layout::{Rows, BLOCK, STEP};
use crate::decoder::step::Step;

/// The AVX-512 kernel; a value exists only where the CPU has AVX-512 F.
#[derive(Clone, Copy)]
pub(in crate::decoder) struct Avx512(());

impl Avx512 {
    /// The kernel, where the CPU can run it, else what it lacks.
    pub(super) fn new() -> Result<Self, &'static str> {
        if std::arch::is_x86_feature_detected!("avx512f") {
            Ok(Avx512(()))
        } else {
            Err("CPU lacks AVX-512 F")
        }
    }
}

impl Kernel for Avx512 {
    type Base = Portable;

    fn base(self) -> Portable {
        Portable
    }

    fn passing<const BOUND: bool>(
        self,
        rows: &Rows,
        step: &Step,
        range: Range<usize>,
        bias: &[f32],
        max_norm: f32,
    ) -> (u32, [f32; STEP]) {
        // SAFETY: an `Avx512` exists only where the CPU has AVX-512 F (`Avx512::new`).
        unsafe { passing::<BOUND>(rows, step, range, bias, max_norm) }
    }

    fn dot(self, a: &[f32], b: &[f32]) -> f32 {
        // SAFETY: as for `passing`.
        unsafe { dot(a, b) }
    }
}

/// [`Portable::passing`](Kernel::passing) with AVX-512: the same float operations in the same order.
#[target_feature(enable = "avx512f")]
fn passing<const BOUND: bool>(
    rows: &Rows,
    step: &Step,
    range: Range<usize>,
    bias: &[f32],
    max_norm: f32,
) -> (u32, [f32; STEP]) {
    let (scale, margin, bias) = (
        &rows.scale[range.clone()],
        &rows.margin[range.clone()],
        &bias[range.clone()],
    );
    let mut sums = [0.0; STEP];
    let mut passing = 0;
    for half in 0..2 {
        let lanes = range.len().saturating_sub(half * BLOCK).min(BLOCK);
        if lanes == 0 {
            break;
        }
        let mask = ((1u32 << lanes) - 1) as __mmask16;
        let first = half * BLOCK;
        // SAFETY: the masked loads read the `lanes` values from `first` of slices of `range.len()` values, and
        // 16 of the 32 peaks.
        let (scale, bias, peak) = unsafe {
            (
                _mm512_maskz_loadu_ps(mask, scale.as_ptr().add(first)),
                _mm512_maskz_loadu_ps(mask, bias.as_ptr().add(first)),
                _mm512_loadu_ps(step.peaks[first..][..BLOCK].as_ptr()),
            )
        };
        let mut sum = _mm512_add_ps(_mm512_mul_ps(scale, peak), bias);
        if BOUND {
            // SAFETY: as above.
            let margin = unsafe { _mm512_maskz_loadu_ps(mask, margin.as_ptr().add(first)) };
            sum = _mm512_add_ps(sum, _mm512_mul_ps(margin, _mm512_set1_ps(max_norm)));
        }
        // SAFETY: 16 of the 32 sums.
        unsafe { _mm512_storeu_ps(sums[first..][..BLOCK].as_mut_ptr(), sum) };
        let above = _mm512_mask_cmp_ps_mask::<_CMP_GT_OQ>(mask, sum, _mm512_setzero_ps());
        passing |= u32::from(above) << first;
    }
    (passing, sums)
}

/// [`portable::dot`](super::portable::dot) with AVX-512: the same operations in the same order.
#[target_feature(enable = "avx512f")]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut sums = [_mm512_setzero_ps(); 4];
    let mut start = 0;
    while start + LANES <= n {
        for (r, sum) in sums.iter_mut().enumerate() {
            // SAFETY: values `start + 16·r` to `start + 16·r + 15` are below `n`, the length of both slices.
            let (x, y) = unsafe {
                (
                    _mm512_loadu_ps(a.as_ptr().add(start + 16 * r)),
                    _mm512_loadu_ps(b.as_ptr().add(start + 16 * r)),
                )
            };
            *sum = _mm512_fmadd_ps(x, y, *sum);
        }
        start += LANES;
    }
    if start < n {
        let (a, b) = (&a[start..], &b[start..]);
        for (r, sum) in sums.iter_mut().enumerate() {
            // Registers past the end load nothing (their lanes take 0·0), from the end of the slices.
            let from = (16 * r).min(a.len());
            let lanes = (a.len() - from).min(16);
            let mask = ((1u32 << lanes) - 1) as __mmask16;
            // SAFETY: the masked loads read the `lanes` values from `from`, inside both slices.
            let (x, y) = unsafe {
                (
                    _mm512_maskz_loadu_ps(mask, a[from..].as_ptr()),
                    _mm512_maskz_loadu_ps(mask, b[from..].as_ptr()),
                )
            };
            *sum = _mm512_fmadd_ps(x, y, *sum);
        }
    }
    let s = _mm512_add_ps(
        _mm512_add_ps(sums[0], sums[1]),
        _mm512_add_ps(sums[2], sums[3]),
    );
    let high = _mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(_mm512_castps_pd(s)));
    let s = _mm256_add_ps(_mm512_castps512_ps256(s), high);
    let s = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps::<1>(s));
    let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    let s = _mm_add_ss(s, _mm_shuffle_ps::<1>(s, s));
    _mm_cvtss_f32(s)
}

/// Records the bounds `bound` of 16 rows (half `half` of `step`) at position `p`: with `BOUND` the bounds
/// themselves, and the running largest bound `peak` with its first position `best`; as [`Step::record`] does for
/// one row. (Unchecked: a check here, in the kernels' innermost loop, costs them their speed.)
///
/// # Safety
/// `half` must be 0 or 1, and with `BOUND`, `step` must have room for the bounds of position `p`:
/// `(p + 1)·STEP <= step.bounds.len()`.
#[target_feature(enable = "avx512f")]
#[inline]
pub(super) unsafe fn record<const BOUND: bool>(
    step: &mut Step,
    p: usize,
    half: usize,
    bound: __m512,
    peak: &mut __m512,
    best: &mut __m512i,
) {
    if BOUND {
        // SAFETY: the 16 floats from `p·STEP + half·BLOCK` are inside `step.bounds` (the caller's promise).
        unsafe { _mm512_storeu_ps(step.bounds.as_mut_ptr().add(p * STEP + half * BLOCK), bound) };
        let above = _mm512_cmp_ps_mask::<_CMP_GT_OQ>(bound, *peak);
        *best = _mm512_mask_set1_epi32(*best, above, p as i32);
    }
    // max(bound, peak) keeps peak where bound is NaN, as f32::max does.
    *peak = _mm512_max_ps(bound, *peak);
}

/// Writes the running peaks of 16 rows (and with `BOUND` their first positions) to half `half` of `step`.
#[target_feature(enable = "avx512f")]
#[inline]
pub(super) fn finish<const BOUND: bool>(step: &mut Step, half: usize, peak: __m512, best: __m512i) {
    let (peaks, firsts) = (
        &mut step.peaks[half * BLOCK..][..BLOCK],
        &mut step.best[half * BLOCK..][..BLOCK],
    );
    // SAFETY: `peaks` holds 16 floats, `firsts` 16 32-bit integers.
    unsafe {
        _mm512_storeu_ps(peaks.as_mut_ptr(), peak);
        if BOUND {
            _mm512_storeu_si512(firsts.as_mut_ptr() as *mut __m512i, best);
        }
    }
}
