//! The exact pass: `max_p h_p·w` in float32 for one vocabulary row, computing only the dot products the screen
//! cannot rule out.
//!
//! Every kernel computes a dot product in one fixed order ([`Kernel::dot`]): 64 running sums (lane `l` takes the
//! hidden values `l`, `l + 64`, ... as a chain of fused multiply-adds), added pairwise at the end. Its rounding
//! error is at most `(hidden/64 + 6)·2⁻²⁴·Σ|h_k·w_k|`, inside the screen's margin for hidden sizes up to about
//! 40,000 (1.1e-6 of `‖h‖₂·‖w‖₂` against 4e-5 for 768).

use super::kernels::Kernel;
use super::step::RowBounds;

/// The largest dot product of `row` with the hidden states `states [positions, row.len()]` (a NaN product is
/// skipped, as `f32::max` skips it), by `kernel`. The position with the screen's largest bound is computed
/// first, then each other position whose bound is above the largest product so far. Since no product is above
/// its bound, the result is the largest of all the products.
pub(super) fn max_dot<K: Kernel>(
    kernel: K,
    states: &[f32],
    row: &[f32],
    bounds: &RowBounds,
) -> f32 {
    let hidden = row.len();
    let state = |p: usize| &states[p * hidden..][..hidden];
    if bounds.positions() == 0 {
        return f32::NEG_INFINITY;
    }
    let best = bounds.best();
    let mut peak = f32::NEG_INFINITY.max(kernel.dot(state(best), row));
    for p in 0..bounds.positions() {
        // A NaN bound rules nothing out.
        let bound = bounds.at(p);
        if p != best && (bound > peak || bound.is_nan()) {
            peak = peak.max(kernel.dot(state(p), row));
        }
    }
    peak
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
