//! Symmetric int8 quantization, as both sides of the screen use it: a vector `x` is stored as `s·q` with
//! `s = max|x| / 127` and `q = round(x / s)` in int8, so that `|x/s - q| <= ½` for each value.

/// The largest magnitude in `values` (NaN skipped), which [`quantize`] and [`norm`] both take.
pub(super) fn largest(values: &[f32]) -> f32 {
    // In LANES running maxima, which the compiler keeps in one vector register; the maximum is the same in any
    // order.
    let mut lanes = [0.0f32; LANES];
    for chunk in values.chunks(LANES) {
        for (m, x) in lanes.iter_mut().zip(chunk) {
            *m = m.max(x.abs());
        }
    }
    lanes.into_iter().fold(0.0, f32::max)
}

/// Running maxima or sums kept side by side by [`largest`] and [`norm`]: one AVX-512 register of float32.
const LANES: usize = 16;

/// Symmetric int8 quantization of `values` whose largest magnitude is `largest`: the scale `largest / 127` and
/// each `round(x / scale)` (all 0 when every value is).
pub(super) fn quantize(values: &[f32], largest: f32) -> (f32, impl Iterator<Item = i8> + '_) {
    let scale = largest / 127.0;
    let q = values.iter().map(move |&x| {
        if scale > 0.0 {
            round_to_int8(x / scale)
        } else {
            0
        }
    });
    (scale, q)
}

/// `q.round().clamp(-127.0, 127.0) as i8` (halves away from zero, NaN to 0) without a call to the C library's
/// `roundf` for every value: clamped first (the same result for every input), truncated, then one step away from
/// zero where the fraction dropped (exact in float32) is a half or more. Truncated without `as`, whose checks
/// for NaN and overflow kept the compiler from quantizing several values per instruction.
fn round_to_int8(q: f32) -> i8 {
    let q = if q.is_nan() {
        0.0
    } else {
        q.clamp(-127.0, 127.0)
    };
    // SAFETY: `q` is a number within [-127, 127], so its truncation is an i32.
    let truncated: i32 = unsafe { q.to_int_unchecked() };
    let fraction = q - truncated as f32;
    (truncated + i32::from(fraction >= 0.5) - i32::from(fraction <= -0.5)) as i8
}

/// The Euclidean norm of `values` whose largest magnitude is `largest`, taken of the values divided by it, so
/// that the squares of huge finite values cannot overflow to infinity.
pub(super) fn norm(values: &[f32], largest: f32) -> f32 {
    if largest == 0.0 || !largest.is_finite() {
        return largest;
    }
    // In LANES running sums, which the compiler keeps in one vector register.
    let mut lanes = [0.0f32; LANES];
    for chunk in values.chunks(LANES) {
        for (sum, x) in lanes.iter_mut().zip(chunk) {
            *sum += (x / largest).powi(2);
        }
    }
    largest * lanes.iter().sum::<f32>().sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`round_to_int8`] is `round`, `clamp` and the cast: on every 61st float32 bit pattern (all signs,
    /// magnitudes, infinities and NaNs among them) and on every value within 4 units in the last place of each
    /// half and each integer up to 130.
    #[test]
    fn rounding_to_int8_is_round_clamp_and_cast() {
        let reference = |q: f32| q.round().clamp(-127.0, 127.0) as i8;
        let near = (-260..=260).flat_map(|halves| {
            let center = halves as f32 / 2.0;
            (-4i32..=4).map(move |ulps| f32::from_bits((center.to_bits() as i32 + ulps) as u32))
        });
        let special = [
            0.0,
            -0.0,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            f32::MIN_POSITIVE,
        ];
        let sweep = (0..=u32::MAX / 61).map(|k| f32::from_bits(k * 61));
        for q in near.chain(special).chain(sweep) {
            assert_eq!(round_to_int8(q), reference(q), "{q:e} ({:#x})", q.to_bits());
        }
    }
}
