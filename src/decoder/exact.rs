//! The exact pass: `max_p h_p·w` in float32 for one vocabulary row. Each dot product is a chain of fused
//! multiply-adds over the hidden dimension in order, as a plain matrix product computes it; the positions run
//! side by side (the hidden states transposed), which vectorizes without changing any chain.

/// The hidden states of one text transposed to `[hidden][positions]`.
pub(super) struct Transposed {
    values: Vec<f32>,
    positions: usize,
}

impl Transposed {
    pub(super) fn new(hidden: &[f32], width: usize) -> Self {
        let positions = hidden.len() / width;
        let mut values = vec![0.0; hidden.len()];
        for (p, h) in hidden.chunks_exact(width).enumerate() {
            for (k, &x) in h.iter().enumerate() {
                values[k * positions + p] = x;
            }
        }
        Transposed { values, positions }
    }
}

/// The largest dot product of `row` with the positions of `states`; `sums` is scratch space.
pub(super) fn max_dot(states: &Transposed, row: &[f32], sums: &mut Vec<f32>) -> f32 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512 F.
            return unsafe { max_dot_avx512(states, row) };
        }
        if std::arch::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU has FMA.
            return unsafe { max_dot_fma(states, row, sums) };
        }
    }
    max_dot_portable(states, row, sums)
}

#[inline(always)]
fn max_dot_portable(states: &Transposed, row: &[f32], sums: &mut Vec<f32>) -> f32 {
    sums.clear();
    sums.resize(states.positions, 0.0);
    for (&w, column) in row.iter().zip(states.values.chunks_exact(states.positions)) {
        for (sum, &x) in sums.iter_mut().zip(column) {
            *sum = x.mul_add(w, *sum);
        }
    }
    sums.iter().copied().fold(f32::NEG_INFINITY, f32::max)
}

/// The same numbers, with `mul_add` compiled to vector FMA instructions.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn max_dot_fma(states: &Transposed, row: &[f32], sums: &mut Vec<f32>) -> f32 {
    max_dot_portable(states, row, sums)
}

/// Positions per pass of [`max_dot_avx512`]: four registers of 16, whose sums stay in registers over the whole
/// hidden dimension.
#[cfg(target_arch = "x86_64")]
const PASS: usize = 64;

/// The same numbers with AVX-512: each lane is one position's chain of fused multiply-adds, in the same order;
/// a NaN sum is skipped by the maximum as `f32::max` skips it.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn max_dot_avx512(states: &Transposed, row: &[f32]) -> f32 {
    use std::arch::x86_64::*;
    let positions = states.positions;
    let values = states.values.as_ptr();
    let mut peak = _mm512_set1_ps(f32::NEG_INFINITY);
    for first in (0..positions).step_by(PASS) {
        // The lanes of register r that hold positions.
        let masks: [__mmask16; PASS / 16] = std::array::from_fn(|r| {
            let lanes = positions.saturating_sub(first + 16 * r).min(16);
            ((1u32 << lanes) - 1) as __mmask16
        });
        let mut sums = [_mm512_setzero_ps(); PASS / 16];
        for (k, &w) in row.iter().enumerate() {
            let w = _mm512_set1_ps(w);
            let column = values.add(k * positions + first);
            for (r, sum) in sums.iter_mut().enumerate() {
                let x = _mm512_maskz_loadu_ps(masks[r], column.add(16 * r));
                *sum = _mm512_fmadd_ps(x, w, *sum);
            }
        }
        for (r, sum) in sums.iter().enumerate() {
            // max(sum, peak) gives peak where sum is NaN.
            peak = _mm512_mask_max_ps(peak, masks[r], *sum, peak);
        }
    }
    let mut lanes = [0.0f32; 16];
    _mm512_storeu_ps(lanes.as_mut_ptr(), peak);
    lanes.into_iter().fold(f32::NEG_INFINITY, f32::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The AVX-512 kernel gives the portable kernel's very number, for position counts around its register
    /// and pass sizes, and skips NaN sums as it does.
    #[test]
    fn avx512_and_portable_kernels_agree() {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx512f") {
            let hidden = 37;
            let value = |i: usize| ((i * 7919 % 1009) as f32 / 61.0).sin() * 2.3;
            let row: Vec<f32> = (0..hidden).map(|k| value(k + 3)).collect();
            for positions in [1, 15, 16, 17, 63, 64, 65, 70, 130] {
                let mut states: Vec<f32> = (0..positions * hidden).map(value).collect();
                let states_of = |s: &[f32]| Transposed::new(s, hidden);
                let mut sums = Vec::new();
                let plain = max_dot_portable(&states_of(&states), &row, &mut sums);
                // SAFETY: the CPU has AVX-512 F (checked above).
                let fast = unsafe { max_dot_avx512(&states_of(&states), &row) };
                assert_eq!(fast.to_bits(), plain.to_bits(), "{positions} positions");
                // A NaN at the last position: both skip its sum.
                states[(positions - 1) * hidden] = f32::NAN;
                let plain = max_dot_portable(&states_of(&states), &row, &mut sums);
                // SAFETY: as above.
                let fast = unsafe { max_dot_avx512(&states_of(&states), &row) };
                assert_eq!(
                    fast.to_bits(),
                    plain.to_bits(),
                    "{positions} positions, NaN"
                );
            }
        }
    }
}
