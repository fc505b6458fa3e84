//! The exact pass: `max_p h_p·w` in float32 for one vocabulary row, computing only the dot products the screen
//! cannot rule out.
//!
//! Every dot product is computed in one fixed order on every CPU (AVX-512, AVX2 with FMA, portable code): 64
//! running sums (lane `l` takes the hidden values `l`, `l + 64`, ... as a chain of fused multiply-adds), added
//! pairwise at the end. Its rounding error is at most `(hidden/64 + 6)·2⁻²⁴·Σ|h_k·w_k|`, inside the screen's
//! margin for hidden sizes up to about 40,000 (1.1e-6 of `‖h‖₂·‖w‖₂` against 4e-5 for 768).

use super::screen::RowBounds;

/// Running sums of a dot product: four AVX-512 registers of 16 lanes.
const LANES: usize = 64;

/// The largest dot product of `row` with the hidden states `states [positions, row.len()]` (a NaN product is
/// skipped, as `f32::max` skips it). The position with the screen's largest bound is computed first, then each
/// other position whose bound is above the largest product so far. Since no product is above its bound, the
/// result is the largest of all the products.
pub(super) fn max_dot(states: &[f32], row: &[f32], bounds: &RowBounds) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if super::simd() && std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: the CPU has AVX-512 F.
        return max_dot_with(states, row, bounds, |a, b| unsafe { dot_avx512(a, b) });
    }
    #[cfg(target_arch = "x86_64")]
    if super::simd()
        && std::arch::is_x86_feature_detected!("fma")
        && std::arch::is_x86_feature_detected!("avx2")
    {
        // SAFETY: the CPU has AVX2 and FMA.
        return max_dot_with(states, row, bounds, |a, b| unsafe { dot_fma(a, b) });
    }
    max_dot_with(states, row, bounds, dot_portable)
}

#[inline(always)]
fn max_dot_with(
    states: &[f32],
    row: &[f32],
    bounds: &RowBounds,
    dot: impl Fn(&[f32], &[f32]) -> f32,
) -> f32 {
    let hidden = row.len();
    let state = |p: usize| &states[p * hidden..][..hidden];
    if bounds.positions() == 0 {
        return f32::NEG_INFINITY;
    }
    let best = bounds.best();
    let mut peak = f32::NEG_INFINITY.max(dot(state(best), row));
    for p in 0..bounds.positions() {
        // A NaN bound rules nothing out.
        let bound = bounds.at(p);
        if p != best && (bound > peak || bound.is_nan()) {
            peak = peak.max(dot(state(p), row));
        }
    }
    peak
}

/// `a·b` in the fixed order described at the top of this module: what [`max_dot`] computes for each position
/// (the tests' full product).
#[cfg(test)]
pub(super) fn dot(a: &[f32], b: &[f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: the CPU has AVX-512 F.
        return unsafe { dot_avx512(a, b) };
    }
    dot_portable(a, b)
}

/// Whether `product`, a float32 dot product of `a` and `b`, is the f64 one within float32 rounding (1e-6 of
/// `Σ|a_k·b_k|`), or NaN where the f64 one is: what the tests hold every dot product to.
#[cfg(test)]
pub(super) fn near_the_f64_dot(product: f32, a: &[f32], b: &[f32]) -> bool {
    let terms = || a.iter().zip(b).map(|(&x, &y)| x as f64 * y as f64);
    let wide: f64 = terms().sum();
    let scale: f64 = terms().map(f64::abs).sum();
    (product as f64 - wide).abs() <= 1e-6 * scale || (product.is_nan() && wide.is_nan())
}

/// A dot product in portable code (also what runs under valgrind): the same operations in the same order as
/// [`dot_avx512`].
#[inline(always)]
fn dot_portable(a: &[f32], b: &[f32]) -> f32 {
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
        // Lanes past the end take 0·0, as the vector kernel's masked loads give them.
        let (mut x, mut y) = ([0.0f32; LANES], [0.0f32; LANES]);
        x[..n - whole].copy_from_slice(&a[whole..n]);
        y[..n - whole].copy_from_slice(&b[whole..n]);
        add(&x, &y);
    }
    // The four registers' worth added (0 + 1) + (2 + 3), then halves folded: 16 → 8 → 4 → 2 → 1.
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

/// [`dot_portable`] compiled for AVX2 with FMA (`mul_add` as one instruction, not a library call).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn dot_fma(a: &[f32], b: &[f32]) -> f32 {
    dot_portable(a, b)
}

/// [`dot_portable`] with AVX-512: the same operations in the same order.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn dot_avx512(a: &[f32], b: &[f32]) -> f32 {
    use std::arch::x86_64::*;
    let n = a.len().min(b.len());
    let (a, b) = (a.as_ptr(), b.as_ptr());
    let mut sums = [_mm512_setzero_ps(); 4];
    let mut start = 0;
    while start + LANES <= n {
        for (r, sum) in sums.iter_mut().enumerate() {
            let x = _mm512_loadu_ps(a.add(start + 16 * r));
            let y = _mm512_loadu_ps(b.add(start + 16 * r));
            *sum = _mm512_fmadd_ps(x, y, *sum);
        }
        start += LANES;
    }
    if start < n {
        for (r, sum) in sums.iter_mut().enumerate() {
            let lanes = (n - start).saturating_sub(16 * r).min(16);
            let mask = ((1u32 << lanes) - 1) as __mmask16;
            let x = _mm512_maskz_loadu_ps(mask, a.add(start + 16 * r));
            let y = _mm512_maskz_loadu_ps(mask, b.add(start + 16 * r));
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The AVX-512 and FMA kernels give the portable kernel's very number, for lengths around its register and pass
    /// sizes, and both are float32 dot products (within float rounding of the f64 one).
    #[test]
    fn avx512_and_portable_dots_agree() {
        let value = |i: usize| ((i * 7919 % 1009) as f32 / 61.0).sin() * 2.3;
        for n in [1, 15, 16, 17, 63, 64, 65, 70, 128, 130, 768, 777] {
            let a: Vec<f32> = (0..n).map(value).collect();
            let b: Vec<f32> = (0..n).map(|k| value(k + 3)).collect();
            let plain = dot_portable(&a, &b);
            assert!(near_the_f64_dot(plain, &a, &b), "{n}: {plain}");
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx512f") {
                // SAFETY: the CPU has AVX-512 F (checked above).
                let fast = unsafe { dot_avx512(&a, &b) };
                assert_eq!(fast.to_bits(), plain.to_bits(), "{n} values");
            }
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("fma")
                && std::arch::is_x86_feature_detected!("avx2")
            {
                // SAFETY: the CPU has AVX2 and FMA (checked above).
                let fast = unsafe { dot_fma(&a, &b) };
                assert_eq!(fast.to_bits(), plain.to_bits(), "{n} values, FMA");
            }
        }
    }
}
