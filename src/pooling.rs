//! SPLADE pooling of masked-LM logits: `w[v] = max over real positions p of log(1 + relu(logit[p, v]))`.
//!
//! `log1p` and `relu` are monotonic, so the maximum is taken over the raw logits first and the two functions are
//! applied once per vocabulary entry: the same numbers as the direct formula, with `vocab` instead of
//! `seq × vocab` logarithms and no temporary of the logits' size.

/// Pools the logits of one text, `[positions, vocab]` row-major, of which the first `real` positions are real
/// tokens and the rest padding. Writes one weight per vocabulary entry into `weights` (length `vocab`).
pub(crate) fn pool(logits: &[f32], real: usize, weights: &mut [f32]) {
    let vocab = weights.len();
    let mut rows = logits[..real * vocab].chunks_exact(vocab);
    match rows.next() {
        Some(first) => weights.copy_from_slice(first),
        None => weights.fill(0.0),
    }
    for row in rows {
        for (w, &x) in weights.iter_mut().zip(row) {
            *w = w.max(x);
        }
    }
    for w in weights.iter_mut() {
        *w = splade_weight(*w);
    }
}

/// `log(1 + relu(x))`; NaN maps to 0.
pub(crate) fn splade_weight(x: f32) -> f32 {
    if x > 0.0 {
        x.ln_1p()
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_then_log_equals_the_direct_formula_and_skips_padding() {
        let vocab = 4;
        #[rustfmt::skip]
        let logits = [
            0.5, -1.0, 3.0, 0.0,
            2.0, -2.0, 1.0, -0.5,
            9.0, 9.0, 9.0, 9.0, // padding: must not count
        ];
        let mut weights = vec![0.0; vocab];
        pool(&logits, 2, &mut weights);
        for v in 0..vocab {
            let direct = (0..2)
                .map(|p| f32::max(logits[p * vocab + v], 0.0).ln_1p())
                .fold(f32::MIN, f32::max);
            assert_eq!(weights[v], direct);
        }
        assert_eq!(weights[1], 0.0);
        assert_eq!(weights[3], 0.0);
    }
}
