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
    if std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has FMA.
        return unsafe { max_dot_fma(states, row, sums) };
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
