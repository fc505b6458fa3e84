//! The decoder's kernels, one file per instruction set, and the one place that picks one.
//!
//! Laid out as `matrixmultiply` lays out its own: each kernel is a type implementing [`Kernel`], the loops that
//! use a kernel are generic over it (so compiled once per kernel, with each kernel's functions called directly
//! and inlined where they may be), and [`detect`] picks the fastest kernel the CPU has, once; [`with_kernel!`]
//! turns that choice into a type at the top of a decode.
//!
//! Each kernel is the one before it plus an instruction set:
//! - [`portable`]: plain Rust, for every CPU (and what runs under valgrind);
//! - [`fma`] (AVX2, FMA): the float32 dot product with fused multiply-adds in one instruction;
//! - [`avx512`] (AVX-512 F): the float32 dot product and the test of a step's rows against zero in AVX-512
//!   registers;
//! - [`vnni`] (AVX-512 F, BW, VNNI): the screen's int8 products with the VNNI dot-product instruction;
//! - [`amx`] (AMX-TILE, AMX-INT8, and AVX-512 F): the screen's int8 products as tile products.
//!
//! Every kernel gives the very numbers of the portable one: the same integers, then the same float operations in
//! the same order. A kernel of an instruction set is a value that only its constructor makes, after checking the
//! CPU: holding one is what makes its `#[target_feature]` functions safe to call.

use std::ops::Range;
use std::sync::OnceLock;

use super::layout::{Rows, States, STEP};
use super::step::Step;

#[cfg(target_arch = "x86_64")]
mod amx;
#[cfg(target_arch = "x86_64")]
mod avx512;
#[cfg(target_arch = "x86_64")]
mod fma;
mod portable;
#[cfg(target_arch = "x86_64")]
mod vnni;

#[cfg(target_arch = "x86_64")]
use self::{amx::Amx, avx512::Avx512, fma::Fma, vnni::Vnni};
pub(super) use portable::Portable;

/// What a kernel computes: the screen's products, the test of its rows against zero, and the exact pass's
/// float32 dot product.
///
/// Each kernel is the one before it plus an instruction set: what it does not compute itself it leaves to its
/// [`Kernel::Base`], which the provided methods call. [`Portable`] computes everything and is its own base.
pub(super) trait Kernel: Copy + Send + Sync {
    /// The kernel this one builds on.
    type Base: Kernel;

    /// This kernel's base (a value exists wherever this kernel's does: the CPU has the base's features too).
    fn base(self) -> Self::Base;

    /// Gives `f` each text `i` of `texts` with each step of the rows in `range` (starting at a multiple of
    /// [`STEP`]), from its first row, as a [`Step`]: `f(i, first, step)`, every text in turn for each step of
    /// rows, which stays in cache meanwhile.
    ///
    /// `BOUND`: the screen of a float32 decoder, whose bounds take each position's `½‖r_p‖₁` and are kept, each
    /// position's and the first position of the largest, for the exact pass. Without it (an int8 decoder's
    /// estimates, where that term is zero) the kernels neither add the term nor keep anything but the peaks.
    fn for_each_step<const BOUND: bool>(
        self,
        rows: &Rows,
        texts: &[States],
        range: Range<usize>,
        f: impl FnMut(usize, usize, &Step),
    ) {
        self.base().for_each_step::<BOUND>(rows, texts, range, f);
    }

    /// Which rows `range` of `step` (from its first row; at most [`STEP`]) have `s·peak + b` above zero, plus
    /// with `BOUND` the rounding margin `margin·max_norm`: one bit per lane, and those sums in the lanes of
    /// `range`. NaN is not above zero.
    fn passing<const BOUND: bool>(
        self,
        rows: &Rows,
        step: &Step,
        range: Range<usize>,
        bias: &[f32],
        max_norm: f32,
    ) -> (u32, [f32; STEP]) {
        self.base()
            .passing::<BOUND>(rows, step, range, bias, max_norm)
    }

    /// `a·b` in float32, in the one order of [`portable::dot`] (the exact pass's product).
    fn dot(self, a: &[f32], b: &[f32]) -> f32 {
        self.base().dot(a, b)
    }
}

/// A kernel, as [`detect`] picks it.
#[derive(Clone, Copy)]
pub(super) enum Choice {
    Portable(Portable),
    #[cfg(target_arch = "x86_64")]
    Fma(Fma),
    #[cfg(target_arch = "x86_64")]
    Avx512(Avx512),
    #[cfg(target_arch = "x86_64")]
    Vnni(Vnni),
    #[cfg(target_arch = "x86_64")]
    Amx(Amx),
}

/// Every kernel by name, from the portable one to the fastest: the kernel where this process can run it, else
/// what it lacks.
fn every() -> Vec<(&'static str, Result<Choice, &'static str>)> {
    vec![
        ("portable", Ok(Choice::Portable(Portable))),
        #[cfg(target_arch = "x86_64")]
        ("FMA", Fma::new().map(Choice::Fma)),
        #[cfg(target_arch = "x86_64")]
        ("AVX-512", Avx512::new().map(Choice::Avx512)),
        #[cfg(target_arch = "x86_64")]
        ("VNNI", Vnni::new().map(Choice::Vnni)),
        #[cfg(target_arch = "x86_64")]
        ("AMX", Amx::new().map(Choice::Amx)),
    ]
}

/// The fastest kernel this process can run, chosen on the first call.
pub(super) fn detect() -> Choice {
    static FASTEST: OnceLock<Choice> = OnceLock::new();
    *FASTEST.get_or_init(|| {
        every()
            .into_iter()
            .rev()
            .find_map(|(_, kernel)| kernel.ok())
            .unwrap_or(Choice::Portable(Portable))
    })
}

/// `with_kernel!(choice, kernel => body)`: `body` with `kernel` bound to the kernel `choice` holds, as its own
/// type. `body` is compiled once per kernel: the one place a [`Choice`] becomes a [`Kernel`] type.
macro_rules! with_kernel {
    ($choice:expr, $kernel:ident => $body:expr) => {
        match $choice {
            $crate::decoder::kernels::Choice::Portable($kernel) => $body,
            #[cfg(target_arch = "x86_64")]
            $crate::decoder::kernels::Choice::Fma($kernel) => $body,
            #[cfg(target_arch = "x86_64")]
            $crate::decoder::kernels::Choice::Avx512($kernel) => $body,
            #[cfg(target_arch = "x86_64")]
            $crate::decoder::kernels::Choice::Vnni($kernel) => $body,
            #[cfg(target_arch = "x86_64")]
            $crate::decoder::kernels::Choice::Amx($kernel) => $body,
        }
    };
}
pub(super) use with_kernel;

/// Runs `check` with each kernel this process can run, by name, and says on standard error which it cannot.
#[cfg(test)]
pub(super) fn for_each_kernel(mut check: impl FnMut(&str, Choice)) {
    for (name, kernel) in every() {
        match kernel {
            Ok(kernel) => check(name, kernel),
            Err(lacking) => say_skipped(name, lacking),
        }
    }
}

/// Says that the running test did not run `kernel` on this CPU, which lacks `lacking`. Written to standard error
/// itself rather than through `eprintln!`, which the test harness captures and hides for a passing test: the run's
/// log says what this CPU left untested.
#[cfg(test)]
pub(super) fn say_skipped(kernel: &str, lacking: impl std::fmt::Display) {
    use std::io::Write;
    let test = std::thread::current().name().unwrap_or("").to_string();
    let _ = writeln!(std::io::stderr(), "{test}: skipped: {kernel} ({lacking})");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decoder::exact::near_the_f64_dot;
    use crate::decoder::layout::{Kind, BLOCK};
    use crate::decoder::quantize::{largest, quantize};

    /// Rows of `kind` and the states of texts of `positions` each, of `hidden` values whose sums reach the edges
    /// (70: a padded last group, and the AMX kernel holds the rows; 200: it streams them), whole and partial
    /// position tiles; and tied bounds (positions 7, 16, 25, ... repeat the state five positions before them).
    fn sample(positions: &[usize], hidden: usize, kind: Kind) -> (Rows, Vec<States>, usize) {
        let vocab = 100;
        let value = |i: usize| {
            ((i * 7919 % 1000) as f32 / 500.0 - 1.0) * if i.is_multiple_of(3) { 3.0 } else { 0.2 }
        };
        let weight: Vec<f32> = (0..vocab * hidden).map(value).collect();
        let text = |(j, positions): (usize, &usize)| -> Vec<f32> {
            (0..positions * hidden)
                .map(|i| {
                    let (p, k) = (i / hidden, i % hidden);
                    let p = if p % 9 == 7 { p - 5 } else { p };
                    value(p * hidden + k + 17 + 1000 * j)
                })
                .collect()
        };
        let rows = match kind {
            Kind::Bound => Rows::bounding(weight.chunks_exact(hidden), vocab, hidden),
            Kind::Estimate => {
                let (mut values, mut scales) = (Vec::new(), Vec::new());
                for w in weight.chunks_exact(hidden) {
                    let (scale, q) = quantize(w, largest(w));
                    values.extend(q);
                    scales.push(scale);
                }
                Rows::estimating(&values, &scales, vocab, hidden)
            }
        };
        let states = positions
            .iter()
            .enumerate()
            .map(|t| rows.states(&text(t), hidden))
            .collect();
        (rows, states, vocab)
    }

    /// The portable kernel's step of rows from `block` for one text, by [`portable::block_peaks`] itself.
    fn portable_step(rows: &Rows, block: usize, states: &States) -> Step {
        let bound = rows.kind == Kind::Bound;
        let mut step = Step::new(std::slice::from_ref(states), true);
        for half in 0..2 {
            if bound {
                portable::block_peaks::<true>(rows, block + half, states, half, &mut step);
            } else {
                portable::block_peaks::<false>(rows, block + half, states, half, &mut step);
            }
        }
        step
    }

    /// Both steps hold the very same peaks, first positions of the peaks, and for bounds the bounds of `plain`'s
    /// positions (a step of several texts is as long as the longest).
    fn assert_same(fast: &Step, plain: &Step, kind: Kind, what: &str) {
        assert_eq!(fast.peaks, plain.peaks, "{what}: peaks");
        assert_eq!(
            fast.best, plain.best,
            "{what}: first positions of the peaks"
        );
        if kind == Kind::Bound {
            assert_eq!(
                fast.bounds[..plain.bounds.len()],
                plain.bounds,
                "{what}: bounds"
            );
        }
    }

    /// The portable kernel's first position of a peak is where the bound reaches it first.
    #[test]
    fn best_is_the_first_position_of_the_peak() {
        let (rows, states, vocab) = sample(&[45], 70, Kind::Bound);
        let states = &states[0];
        for block in (0..vocab.div_ceil(BLOCK)).step_by(2) {
            let step = portable_step(&rows, block, states);
            for lane in 0..STEP {
                let bounds: Vec<f32> = (0..45).map(|p| step.bounds[p * STEP + lane]).collect();
                let first = bounds.iter().position(|&b| b == step.peaks[lane]);
                assert_eq!(
                    first,
                    Some(step.best[lane] as usize),
                    "row {}",
                    block * BLOCK + lane
                );
            }
        }
    }

    /// Every kernel screens as the portable one does, to the very numbers, for bounds and estimates, with the
    /// AMX kernel holding the rows in its tiles (hidden 70) or streaming them (hidden 200), for texts of 1 to 45
    /// positions and none screened together; and gives every step of rows with every text once, in order.
    #[test]
    fn every_kernel_screens_as_the_portable_one() {
        for_each_kernel(|name, kernel| {
            for (kind, hidden) in [Kind::Bound, Kind::Estimate]
                .into_iter()
                .flat_map(|k| [70, 200].map(|h| (k, h)))
            {
                let positions = [1, 16, 0, 17, 23, 32, 45];
                let (rows, texts, vocab) = sample(&positions, hidden, kind);
                #[cfg(target_arch = "x86_64")]
                assert_eq!(amx::holds_rows(&rows), hidden == 70);
                let mut seen = Vec::new();
                let mut check = |i: usize, first: usize, fast: &Step| {
                    let plain = portable_step(&rows, first / BLOCK, &texts[i]);
                    let what =
                        format!("{name}, {kind:?}, hidden {hidden}, rows from {first}, text {i}");
                    assert_same(fast, &plain, kind, &what);
                    seen.push((first, i));
                };
                with_kernel!(kernel, kernel => match kind {
                    Kind::Bound => kernel.for_each_step::<true>(&rows, &texts, 0..vocab, &mut check),
                    Kind::Estimate => kernel.for_each_step::<false>(&rows, &texts, 0..vocab, &mut check),
                });
                let every: Vec<_> = (0..vocab.div_ceil(STEP))
                    .flat_map(|s| (0..texts.len()).map(move |i| (s * STEP, i)))
                    .collect();
                assert_eq!(seen, every, "{name}, {kind:?}, hidden {hidden}");
            }
        });
    }

    /// Every kernel tests a step's rows against zero as the portable one does, to the very sums, for bounds (with
    /// their margin) and estimates, for whole and partial steps, on peaks of both signs, infinite and NaN.
    #[test]
    fn every_kernel_tests_rows_as_the_portable_one() {
        let (vocab, hidden) = (90, 8);
        let weight: Vec<f32> = (0..vocab * hidden)
            .map(|i| ((i * 31 % 17) as f32 - 8.0) * 0.1)
            .collect();
        let rows = Rows::bounding(weight.chunks_exact(hidden), vocab, hidden);
        let bias: Vec<f32> = (0..vocab).map(|v| (v % 7) as f32 * 0.3 - 0.9).collect();
        let mut step = Step::new(&[], false);
        for (lane, peak) in step.peaks.iter_mut().enumerate() {
            *peak = match lane % 8 {
                0 => f32::NAN,
                1 => f32::INFINITY,
                2 => f32::NEG_INFINITY,
                _ => (lane as f32 - 16.0) * 0.37,
            };
        }
        // The last step is partial (the bias ends at row 90), and so is a step of 16 rows or of one.
        let ranges = [0..32, 32..64, 64..90, 64..80, 64..65];
        for_each_kernel(|name, kernel| {
            let (mut passed, mut failed) = (0, 0);
            for (range, bound) in ranges
                .iter()
                .flat_map(|r| [(r.clone(), true), (r.clone(), false)])
            {
                let (plain, fast) = with_kernel!(kernel, kernel => if bound {
                    (
                        Portable.passing::<true>(&rows, &step, range.clone(), &bias, 2.5),
                        kernel.passing::<true>(&rows, &step, range.clone(), &bias, 2.5),
                    )
                } else {
                    (
                        Portable.passing::<false>(&rows, &step, range.clone(), &bias, 0.0),
                        kernel.passing::<false>(&rows, &step, range.clone(), &bias, 0.0),
                    )
                });
                let what = format!("{name}, rows {range:?}, bounds {bound}");
                assert_eq!(fast.0, plain.0, "{what}: rows passing");
                let bits = |sums: &[f32; STEP]| -> Vec<u32> {
                    sums[..range.len()].iter().map(|s| s.to_bits()).collect()
                };
                assert_eq!(bits(&fast.1), bits(&plain.1), "{what}: sums");
                passed += plain.0.count_ones();
                failed += range.len() as u32 - plain.0.count_ones();
            }
            assert!(
                passed > 20 && failed > 20,
                "{passed} rows passed, {failed} failed"
            );
        });
    }

    /// Every kernel's dot product is the portable one's very number, for lengths around its register and pass
    /// sizes, and the portable one is a float32 dot product (within float rounding of the f64 one).
    #[test]
    fn every_kernel_dots_as_the_portable_one() {
        let value = |i: usize| ((i * 7919 % 1009) as f32 / 61.0).sin() * 2.3;
        let lengths = [1, 15, 16, 17, 63, 64, 65, 70, 128, 130, 768, 777];
        for n in lengths {
            let a: Vec<f32> = (0..n).map(value).collect();
            let b: Vec<f32> = (0..n).map(|k| value(k + 3)).collect();
            let plain = Portable.dot(&a, &b);
            assert!(near_the_f64_dot(plain, &a, &b), "{n}: {plain}");
        }
        for_each_kernel(|name, kernel| {
            for n in lengths {
                let a: Vec<f32> = (0..n).map(value).collect();
                let b: Vec<f32> = (0..n).map(|k| value(k + 3)).collect();
                let fast = with_kernel!(kernel, kernel => kernel.dot(&a, &b));
                assert_eq!(
                    fast.to_bits(),
                    Portable.dot(&a, &b).to_bits(),
                    "{name}, {n} values"
                );
            }
        });
    }
}
