//! The library's decoder: SPLADE weights from the masked-LM head's hidden states, exactly and mostly without the
//! full decoder product.
//!
//! A model may stop at the MLM head's hidden states `[batch, seq, hidden]` and ship its decoder (the vocabulary
//! matrix `W [vocab, hidden]` and bias `b [vocab]`) as `decoder.safetensors` ([`mod@file`]). A text's weights are
//! then `w[v] = log1p(relu(max_p h_p·W_v + b_v))`. Almost every term of a SPLADE vector is zero, so rather than
//! multiply every hidden state by every vocabulary row in float32, the decoder:
//!
//! 1. **screens** ([`screen`]): with both sides quantized to int8 ([`quantize`], laid out as [`layout`] says),
//!    it computes for every vocabulary row and position an upper bound of `h_p·W_v` (the quantization error is
//!    bounded exactly from the scales and L1 norms, plus a margin for float rounding), a step of rows at a time
//!    ([`step`]);
//! 2. **decodes exactly** ([`exact`]) only the rows whose largest bound plus `b_v` is above zero (few more than
//!    the non-zero terms), and in such a row only the positions whose bound is above the largest float32 product
//!    found so far, starting from the position with the largest bound (so that most positions of a row's text
//!    are never computed).
//!
//! A row ruled out has weight zero, and a position ruled out cannot hold the row's largest product, whatever the
//! rounding: the vectors are those of the full product computed with the exact pass's dot product. The texts of
//! one inference call are decoded together, each block of vocabulary rows serving every text while it is in
//! cache. The products run on the fastest of the [`kernels`] the CPU has (AMX tiles, AVX-512 VNNI, ...), which
//! all give the very same numbers.
//!
//! An int8 model's decoder file holds `W` in int8 with one scale per row: its logits are then defined by the
//! int8 product itself (each hidden state quantized to int8 with its own scale), computed by the same kernels,
//! with no exact pass: approximate, like the rest of an int8 model.

mod aligned;
mod exact;
mod file;
mod kernels;
mod layout;
mod quantize;
mod screen;
mod step;

use std::path::Path;

use crate::error::Result;
use kernels::{with_kernel, Kernel};

/// The decoder of one model, ready for [`Decoder::decode`]. Immutable, shared by every thread.
pub(crate) struct Decoder {
    hidden: usize,
    vocab: usize,
    /// `W [vocab, hidden]` row-major for the exact pass; `None` for an int8 decoder (estimates only).
    weight: Option<file::Floats>,
    bias: Vec<f32>,
    screen: layout::Rows,
}

impl Decoder {
    /// Reads `decoder.safetensors` (`weight [vocab, hidden]` float32, or int8 with `scale [vocab]`; `bias
    /// [vocab]` float32) and prepares its int8 rows. `vocab` is the tokenizer's vocabulary size and `hidden` the
    /// graph's width; `None` takes the size the file declares (see [`Decoder::vocab`] and [`Decoder::hidden`]).
    pub(crate) fn load(path: &Path, vocab: Option<usize>, hidden: Option<usize>) -> Result<Self> {
        let file::Contents {
            weight,
            bias,
            vocab,
            hidden,
        } = file::read(path, vocab, hidden)?;
        let (weight, screen) = match weight {
            file::Matrix::Float(weight) => {
                let screen = layout::Rows::bounding(weight.rows_once(hidden), vocab, hidden);
                (Some(weight), screen)
            }
            file::Matrix::Int8 { values, scale } => (
                None,
                layout::Rows::estimating(&values, &scale, vocab, hidden),
            ),
        };
        Ok(Decoder {
            hidden,
            vocab,
            weight,
            bias,
            screen,
        })
    }

    /// The number of vocabulary rows it decodes to.
    pub(crate) fn vocab(&self) -> usize {
        self.vocab
    }

    /// The width of the hidden states it decodes.
    pub(crate) fn hidden(&self) -> usize {
        self.hidden
    }

    /// The bytes of the matrices and vectors the decoder holds: the float32 weights and bias as read, and the int8
    /// rows of the screen with their per-row scales, constants and margins.
    pub(crate) fn held_bytes(&self) -> usize {
        let f32s = self.weight.as_ref().map_or(0, |w| w.len())
            + self.bias.len()
            + self.screen.scale.len()
            + self.screen.constant.len()
            + self.screen.margin.len();
        f32s * std::mem::size_of::<f32>() + self.screen.quantized.len()
    }

    /// Decodes the texts of one inference call: `texts[i]` holds the real positions of text `i` `[positions,
    /// hidden]`; returns each text's terms of SPLADE weight above zero, `(vocabulary id, weight)` with ids
    /// ascending (a row the screen rules out has weight zero). The vocabulary is split between `threads` threads,
    /// and each block of vocabulary rows serves every text while it is in cache.
    pub(crate) fn decode(&self, texts: &[&[f32]], threads: usize) -> Vec<Vec<(u32, f32)>> {
        with_kernel!(kernels::detect(), kernel => self.decode_with(kernel, texts, threads))
    }

    /// [`Decoder::decode`] with `kernel`.
    fn decode_with<K: Kernel>(
        &self,
        kernel: K,
        texts: &[&[f32]],
        threads: usize,
    ) -> Vec<Vec<(u32, f32)>> {
        let states: Vec<_> = texts
            .iter()
            .map(|hidden| self.screen.states(hidden, self.hidden))
            .collect();
        let per_thread = self
            .vocab
            .div_ceil(threads.max(1))
            .next_multiple_of(layout::STEP);
        // Each text's terms of the rows from `start`, ids ascending.
        let work = |start: usize| -> Vec<Vec<(u32, f32)>> {
            let end = (start + per_thread).min(self.vocab);
            let mut terms = vec![Vec::new(); texts.len()];
            let mut keep = |i: usize, v: usize, logit: f32| {
                let weight = crate::pooling::splade_weight(logit);
                if weight > 0.0 {
                    terms[i].push((v as u32, weight));
                }
            };
            match &self.weight {
                None => self
                    .screen
                    .estimates(kernel, &states, &self.bias, start..end, &mut keep),
                Some(weight) => self.screen.candidates(
                    kernel,
                    &states,
                    &self.bias,
                    start..end,
                    |i, v, bounds| {
                        let row = &weight[v * self.hidden..(v + 1) * self.hidden];
                        let product = exact::max_dot(kernel, texts[i], row, bounds);
                        keep(i, v, product + self.bias[v]);
                    },
                ),
            }
            terms
        };
        // The calling thread takes the first part itself: spawning a thread for every part, as
        // `parallel::map` does, made single queries slower (BENCHMARKS.md, levers tried).
        let parts: Vec<Vec<Vec<(u32, f32)>>> = std::thread::scope(|scope| {
            let others: Vec<_> = (1..self.vocab.div_ceil(per_thread))
                .map(|t| scope.spawn(move || work(t * per_thread)))
                .collect();
            std::iter::once(work(0))
                .chain(others.into_iter().map(|t| {
                    t.join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                }))
                .collect()
        });
        let mut parts = parts.into_iter();
        let mut terms = parts.next().unwrap_or_default();
        for part in parts {
            for (text, more) in terms.iter_mut().zip(part) {
                text.extend(more);
            }
        }
        terms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic pseudo-random float in [-1, 1).
    fn noise(seed: &mut u64) -> f32 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((*seed >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }

    /// `n` values of `noise · scale + offset`.
    fn random(n: usize, seed: &mut u64, scale: f32, offset: f32) -> Vec<f32> {
        (0..n).map(|_| noise(seed) * scale + offset).collect()
    }

    /// The decoder gives exactly what the full float32 product gives (every row with every position, by the
    /// portable kernel's dot product, whose products are checked against f64 ones), on random data whose logits
    /// sit close to 0 (where a loose bound would drop a term), for texts of different lengths decoded in one call.
    #[test]
    fn decoding_equals_the_full_product() {
        let (vocab, hidden) = (1000, 128);
        let mut seed = 7;
        let weight = random(vocab * hidden, &mut seed, 0.1, 0.0);
        let bias = random(vocab, &mut seed, 0.5, -1.7);
        let texts: Vec<Vec<f32>> = [37, 1, 70]
            .iter()
            .map(|positions| random(positions * hidden, &mut seed, 2.0, 0.0))
            .collect();
        let decoder = float_decoder(&weight, bias, hidden);
        let positive = decode_every_way(&decoder, &weight, &texts);
        assert!(
            positive > 20 && positive < vocab - 50,
            "{positive} positive rows of the first text"
        );
    }

    /// Odd inputs decode as the full product does: a row of zeros with a positive bias, a NaN hidden value
    /// (whose products are skipped, as `f32::max` skips them), hidden values whose squares overflow float32,
    /// and a text with no positions.
    #[test]
    fn odd_inputs_decode_as_the_full_product() {
        let (vocab, hidden) = (100, 64);
        let mut seed = 5;
        let mut weight = random(vocab * hidden, &mut seed, 0.1, 0.0);
        weight[5 * hidden..6 * hidden].fill(0.0);
        let mut bias = random(vocab, &mut seed, 0.5, -1.0);
        bias[5] = 0.7;
        let mut nan = random(10 * hidden, &mut seed, 2.0, 0.0);
        nan[3 * hidden + 7] = f32::NAN;
        let huge = random(4 * hidden, &mut seed, 3e19, 0.0);
        let texts = vec![nan, huge, Vec::new()];
        let decoder = float_decoder(&weight, bias, hidden);
        let positive = decode_every_way(&decoder, &weight, &texts);
        assert!(positive > 0, "{positive} positive rows of the first text");
    }

    /// The terms of `texts` texts as one row of `vocab` weights each, `[texts, vocab]` (0 where a text has no
    /// term), after checking that there is a list per text, each with ids ascending and weights above zero.
    fn dense(terms: Vec<Vec<(u32, f32)>>, texts: usize, vocab: usize) -> Vec<f32> {
        assert_eq!(terms.len(), texts, "a list of terms per text");
        let mut weights = vec![0.0; terms.len() * vocab];
        for (row, terms) in weights.chunks_exact_mut(vocab).zip(terms) {
            assert!(terms.windows(2).all(|t| t[0].0 < t[1].0), "ids ascend");
            for (id, weight) in terms {
                assert!(weight > 0.0, "id {id}: weight {weight}");
                row[id as usize] = weight;
            }
        }
        weights
    }

    /// A float32 decoder of `weight [vocab, hidden]` and `bias [vocab]`.
    fn float_decoder(weight: &[f32], bias: Vec<f32>, hidden: usize) -> Decoder {
        let vocab = bias.len();
        Decoder {
            hidden,
            vocab,
            screen: layout::Rows::bounding(weight.chunks_exact(hidden), vocab, hidden),
            weight: Some(file::Floats::Owned(weight.to_vec())),
            bias,
        }
    }

    /// Decodes `texts` with every kernel the CPU has, on 1, 2 and 3 threads, and with the kernel
    /// [`kernels::detect`] picks, and checks every weight against the full product: every row at every position
    /// with the portable kernel's dot product (itself checked against f64), NaN products skipped. Gives the number
    /// of positive weights of the first text.
    fn decode_every_way(decoder: &Decoder, weight: &[f32], texts: &[Vec<f32>]) -> usize {
        let (vocab, hidden) = (decoder.vocab, decoder.hidden);
        let mut want = Vec::with_capacity(texts.len() * vocab);
        for states in texts {
            for (v, row) in weight.chunks_exact(hidden).enumerate() {
                let full = states
                    .chunks_exact(hidden)
                    .map(|h| {
                        let product = kernels::Portable.dot(h, row);
                        assert!(
                            exact::near_the_f64_dot(product, h, row),
                            "row {v}: {product}"
                        );
                        product
                    })
                    .fold(f32::NEG_INFINITY, f32::max);
                want.push(crate::pooling::splade_weight(full + decoder.bias[v]));
            }
        }
        let slices: Vec<&[f32]> = texts.iter().map(|t| &t[..]).collect();
        let check = |got: Vec<Vec<(u32, f32)>>, how: &str| {
            let got = dense(got, texts.len(), vocab);
            for (k, (got, want)) in got.iter().zip(&want).enumerate() {
                let (i, v) = (k / vocab, k % vocab);
                assert_eq!(got, want, "text {i}, row {v}, {how}");
            }
        };
        kernels::for_each_kernel(|name, kernel| {
            for threads in 1..=3 {
                let got =
                    with_kernel!(kernel, kernel => decoder.decode_with(kernel, &slices, threads));
                check(got, &format!("{name} kernel, {threads} threads"));
            }
        });
        check(decoder.decode(&slices, 2), "detected kernel, 2 threads");
        want[..vocab].iter().filter(|&&w| w > 0.0).count()
    }

    /// Every bound the screen gives the exact pass is at least its product, for rows of every scale (down to a row
    /// of zeros), hidden states with large and tiny norms, and a row and a text whose int8 rounding errors all
    /// push their product the same way (where the bound is nearly tight).
    #[test]
    fn bounds_are_not_below_their_products() {
        let (vocab, hidden) = (200, 96);
        let mut seed = 3;
        let mut weight = random(vocab * hidden, &mut seed, 1.0, 0.0);
        for (v, row) in weight.chunks_exact_mut(hidden).enumerate() {
            row.iter_mut()
                .for_each(|w| *w *= [0.0, 1e-3, 1.0, 40.0][v % 4]);
        }
        // Values `scale·(n + 0.49)` for integers n up to 127 (127 exactly once: the int8 scale is `scale`) round
        // down by 0.49 each when quantized.
        let rounding_down = |scale: f32, step: usize| {
            (0..hidden).map(move |k| match k {
                0 => 127.0 * scale,
                _ => ((1 + k * step % 120) as f32 + 0.49) * scale,
            })
        };
        weight.splice(hidden..2 * hidden, rounding_down(0.01, 37));
        let rows = layout::Rows::bounding(weight.chunks_exact(hidden), vocab, hidden);
        let mut texts: Vec<Vec<f32>> = [(33, 1e-3), (5, 1.0), (64, 50.0)]
            .iter()
            .map(|&(positions, scale)| random(positions * hidden, &mut seed, scale, 0.0))
            .collect();
        texts.push(
            rounding_down(0.02, 53)
                .chain(rounding_down(0.03, 11))
                .collect(),
        );
        let states: Vec<_> = texts.iter().map(|t| rows.states(t, hidden)).collect();
        // A bias this high lets every row through the screen.
        let bias = vec![1e9; vocab];
        kernels::for_each_kernel(|name, kernel| {
            let mut checked = 0;
            let mut check = |i: usize, v: usize, bounds: &step::RowBounds| {
                let row = &weight[v * hidden..(v + 1) * hidden];
                for (p, h) in texts[i].chunks_exact(hidden).enumerate() {
                    let product = kernels::Portable.dot(h, row);
                    assert!(
                        bounds.at(p) >= product,
                        "{name} kernel: text {i}, row {v}, position {p}"
                    );
                    checked += 1;
                }
            };
            with_kernel!(kernel, kernel => rows.candidates(kernel, &states, &bias, 0..vocab, &mut check));
            assert_eq!(checked, vocab * (33 + 5 + 64 + 2), "{name} kernel");
        });
    }

    /// An int8 decoder gives `log1p(relu(max_p s_v·t_p·(r_p·q_v) + b_v))`, the int8 product with each hidden
    /// state quantized as `r_p = round(h_p / t_p)`, `t_p = max|h_p| / 127` (computed here in f64), with every
    /// kernel the CPU has.
    #[test]
    fn int8_decoding_is_the_int8_product() {
        let (vocab, hidden, positions) = (500, 96, 29);
        let mut seed = 11;
        let values: Vec<i8> = random(vocab * hidden, &mut seed, 127.0, 0.0)
            .iter()
            .map(|&x| x as i8)
            .collect();
        let scale = random(vocab, &mut seed, 0.001, 0.002);
        let bias = random(vocab, &mut seed, 0.5, -3.5);
        let states = random(positions * hidden, &mut seed, 2.0, 0.0);
        let decoder = Decoder {
            hidden,
            vocab,
            screen: layout::Rows::estimating(&values, &scale, vocab, hidden),
            weight: None,
            bias: bias.clone(),
        };
        let quantized: Vec<(f64, Vec<f64>)> = states
            .chunks_exact(hidden)
            .map(|h| {
                let t = h.iter().fold(0.0f32, |m, x| m.max(x.abs())) / 127.0;
                (
                    t as f64,
                    h.iter().map(|&x| (x / t).round() as f64).collect(),
                )
            })
            .collect();
        kernels::for_each_kernel(|name, kernel| {
            for threads in [1, 2] {
                let got = with_kernel!(kernel, kernel => decoder.decode_with(kernel, &[&states[..]], threads));
                let got = dense(got, 1, vocab);
                let mut positive = 0;
                for v in 0..vocab {
                    let q = &values[v * hidden..(v + 1) * hidden];
                    let peak = quantized
                        .iter()
                        .map(|(t, r)| t * r.iter().zip(q).map(|(r, &q)| r * q as f64).sum::<f64>())
                        .fold(f64::NEG_INFINITY, f64::max);
                    let want = (scale[v] as f64 * peak + bias[v] as f64).max(0.0).ln_1p();
                    positive += usize::from(want > 0.0);
                    assert!(
                        (got[v] as f64 - want).abs() <= 1e-5,
                        "row {v}: {} against {want}, {name} kernel, {threads} threads",
                        got[v]
                    );
                }
                assert!(
                    positive > 50 && positive < vocab - 50,
                    "{positive} positive rows"
                );
            }
        });
    }
}
