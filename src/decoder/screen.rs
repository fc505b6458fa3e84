//! The screening pass: an upper bound of every vocabulary row's dot product with every position's hidden state,
//! and so of its pooled logit, from int8 dot products.
//!
//! A row `w` is stored as `s·q` with `s = max|w| / 127` and `q` int8; a hidden state `h` as `t·r`, `r` int8.
//! Writing `h = t(r + e)`, `w = s(q + f)` with rounding errors `|e|, |f| <= ½`,
//! `h·w = t·s·(r·q + r·f + e·q + e·f) <= t·s·(r·q + ½‖r‖₁ + ½‖q‖₁ + hidden/4)`. The VNNI instruction multiplies
//! unsigned by signed bytes, so `r` is stored as `r + 128` and `128·Σq` is taken off again. A margin of
//! `4e-5·max‖h‖₂·‖w‖₂` covers float rounding in the bound and in the float32 product it bounds (that of
//! [`super::exact`], off by at most `(hidden/64 + 6)·2⁻²⁴·‖h‖₂·‖w‖₂`: 1.1e-6 of it for a hidden size of 768).
//!
//! Three kernels compute the same integers and then the same float operations, so the same bounds: AMX tiles
//! ([`super::amx`]; 32 rows per step, held in the tiles for every text when the hidden size is 65 to 128, else
//! streamed) where the CPU and the kernel allow them, else AVX-512 VNNI, else portable code (which is also what
//! runs under valgrind).

use super::aligned::Aligned;

/// Vocabulary rows per block: one AVX-512 register of 32-bit lanes.
pub(super) const BLOCK: usize = 16;
/// Vocabulary rows per step of [`Rows::candidates`] (two blocks: the AMX kernel's tile pair); a range of rows
/// given to it starts at a multiple of this.
pub(super) const STEP: usize = 2 * BLOCK;
/// Hidden values per group: the 4 bytes one VNNI lane multiplies.
const GROUP: usize = 4;
/// Hidden values are padded with zeros to a multiple of this: one AMX tile row of bytes.
const HIDDEN_PAD: usize = super::amx::ROW_BYTES;
/// Positions are padded (with zero states, never read back) to a multiple of this: two AMX tiles of rows.
const POSITION_PAD: usize = 2 * super::amx::ROWS;
/// The rounding margin, relative to `max‖h‖₂·‖w‖₂`.
const MARGIN: f32 = 4e-5;

/// What a row's peak stands for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A strict upper bound of the float32 rows' pooled logit (the screen before the exact pass).
    Bound,
    /// The pooled logit of the int8 rows themselves, as an int8 model defines it (no exact pass).
    Estimate,
}

/// The vocabulary rows in int8, 16 rows interleaved per 4 hidden values (the VNNI layout), with what the bound
/// needs of each row.
pub(super) struct Rows {
    kind: Kind,
    /// `[block][group][row in block][4]` int8, `groups` covering the hidden values padded to [`HIDDEN_PAD`].
    quantized: Aligned<i8>,
    groups: usize,
    /// Per row (padded to whole steps): the scale `s`; the constant added to the integer sum (for a bound
    /// `½‖q‖₁ + hidden/4 - 128·Σq` plus float rounding, for an estimate `-128·Σq`); and for a bound
    /// `MARGIN·‖w‖₂` (0 for an estimate).
    scale: Vec<f32>,
    constant: Vec<f32>,
    margin: Vec<f32>,
}

impl Rows {
    fn empty(kind: Kind, vocab: usize, hidden: usize) -> Self {
        let groups = hidden.next_multiple_of(HIDDEN_PAD) / GROUP;
        let padded = vocab.next_multiple_of(STEP);
        Rows {
            kind,
            quantized: Aligned::filled(0, padded * groups * GROUP),
            groups,
            scale: vec![0.0; padded],
            constant: vec![0.0; padded],
            margin: vec![0.0; padded],
        }
    }

    /// Quantizes float32 rows `weight [vocab, hidden]`, for bounds.
    pub(super) fn bounding(weight: &[f32], vocab: usize, hidden: usize) -> Self {
        let mut rows = Rows::empty(Kind::Bound, vocab, hidden);
        for (v, w) in weight.chunks_exact(hidden).enumerate() {
            let largest = largest(w);
            let (scale, q) = quantize(w, largest);
            rows.set(v, &q.collect::<Vec<_>>(), scale);
            rows.margin[v] = MARGIN * norm(w, largest);
        }
        rows
    }

    /// The int8 rows of an int8 model (`values [vocab, hidden]`, one `scale` per row), for estimates.
    pub(super) fn estimating(values: &[i8], scale: &[f32], vocab: usize, hidden: usize) -> Self {
        let mut rows = Rows::empty(Kind::Estimate, vocab, hidden);
        for (v, (q, &scale)) in values.chunks_exact(hidden).zip(scale).enumerate() {
            rows.set(v, q, scale);
        }
        rows
    }

    /// Stores row `v` in the interleaved layout, with its scale and constant.
    fn set(&mut self, v: usize, q: &[i8], scale: f32) {
        let hidden = q.len();
        let (block, lane) = (v / BLOCK, v % BLOCK);
        for (k, &x) in q.iter().enumerate() {
            self.quantized
                [((block * self.groups + k / GROUP) * BLOCK + lane) * GROUP + k % GROUP] = x;
        }
        let sum: i64 = q.iter().map(|&x| i64::from(x)).sum();
        let l1: i64 = q.iter().map(|&x| i64::from(x).abs()).sum();
        self.scale[v] = scale;
        self.constant[v] = match self.kind {
            Kind::Bound => {
                // The integers reach 2·255·127·hidden; each of the three float operations on them
                // (conversion, two additions) may round by half a unit in the last place of that: 4·2⁻²⁴
                // of it covers them.
                let rounding = 4.0 * (2.0 * 255.0 * 127.0 * hidden as f32) / 16_777_216.0;
                0.5 * l1 as f32 + hidden as f32 / 4.0 - 128.0 * sum as f32 + rounding
            }
            Kind::Estimate => -128.0 * sum as f32,
        };
    }

    /// One text's hidden states `[positions, hidden]` quantized for these rows.
    pub(super) fn states(&self, hidden: &[f32], width: usize) -> States {
        States::new(hidden, width, self.kind == Kind::Bound)
    }

    /// Gives `f` each text `i` of `texts` with each row `v` in `range` (starting at a multiple of [`STEP`]) whose
    /// bound on `max_p h_p·w + b` is above zero, with that row's bound at each position: `f(i, v, bounds)`.
    pub(super) fn candidates(
        &self,
        texts: &[States],
        bias: &[f32],
        range: std::ops::Range<usize>,
        mut f: impl FnMut(usize, usize, &RowBounds),
    ) {
        let end = range.end;
        self.for_each_step::<true>(texts, range, |i, first, step| {
            let max_norm = texts[i].max_norm;
            let (passing, _) = self.passing::<true>(step, first, end, bias, max_norm);
            for lane in lanes(passing) {
                let v = first + lane;
                f(
                    i,
                    v,
                    &RowBounds {
                        step,
                        lane,
                        positions: texts[i].positions,
                        scale: self.scale[v],
                        margin: self.margin[v] * max_norm,
                    },
                );
            }
        });
    }

    /// The pooled logit `max_p s·t_p·(r_p·q) + b` of the int8 rows in `range` (starting at a multiple of
    /// [`STEP`]) for each text `i` of `texts`, where it is above zero: `f(i, v, logit)`. (Every other row's
    /// SPLADE weight is zero.)
    pub(super) fn estimates(
        &self,
        texts: &[States],
        bias: &[f32],
        range: std::ops::Range<usize>,
        mut f: impl FnMut(usize, usize, f32),
    ) {
        let end = range.end;
        self.for_each_step::<false>(texts, range, |i, first, step| {
            let (passing, logits) = self.passing::<false>(step, first, end, bias, 0.0);
            for lane in lanes(passing) {
                f(i, first + lane, logits[lane]);
            }
        });
    }

    /// Which rows of `step` (from row `first`, those below `end`) have `s·peak + b` above zero, plus with
    /// `BOUND` the rounding margin `margin·max_norm`: one bit per lane, and those sums. NaN is not above zero.
    fn passing<const BOUND: bool>(
        &self,
        step: &Step,
        first: usize,
        end: usize,
        bias: &[f32],
        max_norm: f32,
    ) -> (u32, [f32; STEP]) {
        let rows = first..end.min(first + STEP);
        #[cfg(target_arch = "x86_64")]
        if super::simd() && std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512 F.
            return unsafe { self.passing_avx512::<BOUND>(step, rows, bias, max_norm) };
        }
        let mut sums = [0.0; STEP];
        let mut passing = 0;
        for (lane, v) in rows.enumerate() {
            let sum = self.scale[v] * step.peaks[lane] + bias[v];
            sums[lane] = if BOUND {
                sum + self.margin[v] * max_norm
            } else {
                sum
            };
            passing |= u32::from(sums[lane] > 0.0) << lane;
        }
        (passing, sums)
    }

    /// [`Rows::passing`] with AVX-512: the same float operations in the same order.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    unsafe fn passing_avx512<const BOUND: bool>(
        &self,
        step: &Step,
        rows: std::ops::Range<usize>,
        bias: &[f32],
        max_norm: f32,
    ) -> (u32, [f32; STEP]) {
        use std::arch::x86_64::*;
        let mut sums = [0.0; STEP];
        let mut passing = 0;
        for half in 0..2 {
            let first = rows.start + half * BLOCK;
            let lanes = rows.len().saturating_sub(half * BLOCK).min(BLOCK);
            let mask = ((1u32 << lanes) - 1) as __mmask16;
            // Masked loads read nothing past the rows (the bias has no padding).
            let scale = _mm512_maskz_loadu_ps(mask, self.scale.as_ptr().add(first));
            let bias = _mm512_maskz_loadu_ps(mask, bias.as_ptr().add(first));
            let peak = _mm512_loadu_ps(step.peaks.as_ptr().add(half * BLOCK));
            let mut sum = _mm512_add_ps(_mm512_mul_ps(scale, peak), bias);
            if BOUND {
                let margin = _mm512_maskz_loadu_ps(mask, self.margin.as_ptr().add(first));
                sum = _mm512_add_ps(sum, _mm512_mul_ps(margin, _mm512_set1_ps(max_norm)));
            }
            _mm512_storeu_ps(sums.as_mut_ptr().add(half * BLOCK), sum);
            let above = _mm512_mask_cmp_ps_mask::<_CMP_GT_OQ>(mask, sum, _mm512_setzero_ps());
            passing |= u32::from(above) << (half * BLOCK);
        }
        (passing, sums)
    }

    /// Gives `f` each text `i` with each step of rows in `range` (from row `first`), as [`Step`]: every text in
    /// turn for each step of rows, which stays in cache meanwhile.
    ///
    /// `BOUND`: the screen of a float32 decoder, whose bounds take each position's `½‖r_p‖₁` and are kept, each
    /// position's and the first position of the largest, for the exact pass. Without it (an int8 decoder's
    /// estimates, where that term is zero) the kernels neither add the term nor keep anything but the peaks.
    fn for_each_step<const BOUND: bool>(
        &self,
        texts: &[States],
        range: std::ops::Range<usize>,
        mut f: impl FnMut(usize, usize, &Step),
    ) {
        let longest = texts.iter().map(|t| t.positions).max().unwrap_or(0);
        let mut step = Step {
            peaks: [f32::NEG_INFINITY; STEP],
            best: [0; STEP],
            bounds: if BOUND {
                vec![0.0; longest * STEP]
            } else {
                Vec::new()
            },
        };
        let steps = (range.start / STEP..range.end.div_ceil(STEP)).map(|s| s * 2);
        #[cfg(target_arch = "x86_64")]
        if amx() {
            // SAFETY: amx() checked the CPU (AMX int8, AVX-512 F) and the kernel's permission.
            let mut tiles = unsafe { super::amx::Tiles::configure() };
            let mut sums = super::amx::Sums::default();
            for block in steps {
                // SAFETY: as above; `block + 1` exists since the rows are padded to whole steps.
                unsafe { self.hold_step_amx(&mut tiles, block) };
                for (i, states) in texts.iter().enumerate() {
                    // SAFETY: as above.
                    unsafe {
                        self.step_amx::<BOUND>(&mut tiles, &mut sums, block, states, &mut step)
                    };
                    f(i, block * BLOCK, &step);
                }
            }
            return;
        }
        for block in steps {
            for (i, states) in texts.iter().enumerate() {
                for half in 0..2 {
                    self.block_peaks::<BOUND>(block + half, states, half, &mut step);
                }
                f(i, block * BLOCK, &step);
            }
        }
    }

    /// Fills half `half` of `step` for the 16 rows of `block`: `max_p t_p·(r_p·q + constant + ½‖r_p‖₁)` (without
    /// the last term unless `BOUND`), before the row scale, and with `BOUND` each position's bound and the first
    /// position of the largest.
    fn block_peaks<const BOUND: bool>(
        &self,
        block: usize,
        states: &States,
        half: usize,
        step: &mut Step,
    ) {
        #[cfg(target_arch = "x86_64")]
        if vnni() {
            // SAFETY: the CPU has AVX-512 F, BW and VNNI.
            return unsafe { self.block_peaks_vnni::<BOUND>(block, states, half, step) };
        }
        self.block_peaks_portable::<BOUND>(block, states, half, step)
    }

    fn block_peaks_portable<const BOUND: bool>(
        &self,
        block: usize,
        states: &States,
        half: usize,
        step: &mut Step,
    ) {
        let lanes = half * BLOCK..(half + 1) * BLOCK;
        step.peaks[lanes.clone()].fill(f32::NEG_INFINITY);
        step.best[lanes.clone()].fill(0);
        let weights =
            &self.quantized[block * self.groups * BLOCK * GROUP..][..self.groups * BLOCK * GROUP];
        for p in 0..states.positions {
            let u = &states.unsigned[p * states.stride..(p + 1) * states.stride];
            for lane in 0..BLOCK {
                let mut dot = 0i32;
                for g in 0..self.groups {
                    for i in 0..GROUP {
                        let q = weights[(g * BLOCK + lane) * GROUP + i];
                        dot += i32::from(u[g * GROUP + i]) * i32::from(q);
                    }
                }
                let sum = dot as f32 + self.constant[block * BLOCK + lane];
                let sum = if BOUND { sum + states.half_l1[p] } else { sum };
                let bound = sum * states.scale[p];
                step.record::<BOUND>(p, half * BLOCK + lane, bound);
            }
        }
    }

    /// [`Rows::block_peaks_portable`] with VNNI: the same integers, the same float operations in the same order.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    unsafe fn block_peaks_vnni<const BOUND: bool>(
        &self,
        block: usize,
        states: &States,
        half: usize,
        step: &mut Step,
    ) {
        use std::arch::x86_64::*;
        let mut peak = _mm512_set1_ps(f32::NEG_INFINITY);
        let mut best = _mm512_setzero_si512();
        let mut p = 0;
        // Twelve positions at a time share each load of 16 rows × 4 values, with independent accumulators in
        // flight: enough to hide the latency of the dot-product instruction.
        while p + 12 <= states.positions {
            self.positions_vnni::<12, BOUND>(block, states, p, half, step, &mut peak, &mut best);
            p += 12;
        }
        while p + 4 <= states.positions {
            self.positions_vnni::<4, BOUND>(block, states, p, half, step, &mut peak, &mut best);
            p += 4;
        }
        while p < states.positions {
            self.positions_vnni::<1, BOUND>(block, states, p, half, step, &mut peak, &mut best);
            p += 1;
        }
        _mm512_storeu_ps(step.peaks[half * BLOCK..].as_mut_ptr(), peak);
        if BOUND {
            _mm512_storeu_si512(step.best[half * BLOCK..].as_mut_ptr() as *mut _, best);
        }
    }

    /// Whether the AMX kernel holds a step's rows in its tiles for every text: when they are 128 bytes long,
    /// two chunks of 64 (hidden sizes 65 to 128). Longer rows are streamed, a chunk at a time.
    #[cfg(target_arch = "x86_64")]
    fn rows_held(&self) -> bool {
        self.groups * GROUP == 2 * super::amx::ROW_BYTES
    }

    /// The two blocks of rows of the step from `block`, as tiles: where each starts, and the distance from one
    /// chunk's tile (16 rows of 64 hidden bytes) to the next.
    #[cfg(target_arch = "x86_64")]
    fn step_tiles(&self, block: usize) -> (*const i8, *const i8, usize) {
        let block_len = self.groups * GROUP * BLOCK;
        let b0 = self.quantized[block * block_len..].as_ptr();
        let b1 = self.quantized[(block + 1) * block_len..].as_ptr();
        (b0, b1, super::amx::ROWS * BLOCK * GROUP)
    }

    /// Loads the rows of the step from `block` into the tiles when [`Rows::rows_held`].
    ///
    /// # Safety
    /// The tiles must be configured; `block + 1` must exist.
    #[cfg(target_arch = "x86_64")]
    unsafe fn hold_step_amx(&self, tiles: &mut super::amx::Tiles, block: usize) {
        if self.rows_held() {
            let (b0, b1, chunk) = self.step_tiles(block);
            tiles.hold_rows(b0, b1, chunk);
        }
    }

    /// [`Rows::block_peaks_portable`] of blocks `block` and `block + 1` with AMX: the int32 sums of 16 positions
    /// (rows held) or 32 (rows streamed) × 32 rows from tiles, then the same float operations in the same order.
    ///
    /// With the rows held, a group's sums are read while the tiles multiply the next group (the sums alternate
    /// between two pairs of tiles in `sums`): the float work then overlaps the tile products rather than waits
    /// for them (a C micro-benchmark of this loop: 44-50 ns per group against 57-58).
    ///
    /// # Safety
    /// As [`Rows::hold_step_amx`], which must have run for this `block`; the CPU must have AVX-512 F.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    unsafe fn step_amx<const BOUND: bool>(
        &self,
        tiles: &mut super::amx::Tiles,
        sums: &mut super::amx::Sums,
        block: usize,
        states: &States,
        step: &mut Step,
    ) {
        use super::amx::{ROWS, ROW_BYTES};
        let mut running = Running::new(&self.constant[block * BLOCK..]);
        if self.rows_held() {
            // The group whose sums wait in pair `pending.1`, from position `pending.0`.
            let mut pending = None;
            for (group, first) in (0..states.positions).step_by(ROWS).enumerate() {
                let pair = group % 2;
                tiles.product_with_rows(
                    states.unsigned.as_ptr().add(first * states.stride),
                    states.stride,
                );
                if let Some((first, pair)) = pending {
                    running.record::<BOUND>(sums, pair, first, ROWS, states, step);
                }
                tiles.store_pair(sums, pair);
                pending = Some((first, pair));
            }
            if let Some((first, pair)) = pending {
                running.record::<BOUND>(sums, pair, first, ROWS, states, step);
            }
        } else {
            let (b0, b1, tile_len) = self.step_tiles(block);
            for first in (0..states.positions).step_by(POSITION_PAD) {
                let a0 = states.unsigned.as_ptr().add(first * states.stride);
                let a1 = a0.add(ROWS * states.stride);
                tiles.zero();
                for c in 0..self.groups * GROUP / ROW_BYTES {
                    tiles.multiply(
                        a0.add(c * ROW_BYTES),
                        a1.add(c * ROW_BYTES),
                        states.stride,
                        b0.add(c * tile_len),
                        b1.add(c * tile_len),
                    );
                }
                tiles.store(sums);
                running.record::<BOUND>(sums, 0, first, POSITION_PAD, states, step);
            }
        }
        running.finish::<BOUND>(step);
    }

    /// The bounds of positions `first..first + N` for the rows of `block`, recorded in order in half `half` of
    /// `step` and in `peak`/`best` (the running largest bound and its first position).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    #[inline]
    #[allow(clippy::too_many_arguments)]
    unsafe fn positions_vnni<const N: usize, const BOUND: bool>(
        &self,
        block: usize,
        states: &States,
        first: usize,
        half: usize,
        step: &mut Step,
        peak: &mut std::arch::x86_64::__m512,
        best: &mut std::arch::x86_64::__m512i,
    ) {
        use std::arch::x86_64::*;
        let weights = self
            .quantized
            .as_ptr()
            .add(block * self.groups * BLOCK * GROUP);
        let r = states.unsigned.as_ptr().add(first * states.stride);
        let mut acc = [_mm512_setzero_si512(); N];
        for g in 0..self.groups {
            let w = _mm512_loadu_si512(weights.add(g * BLOCK * GROUP) as *const _);
            for (j, a) in acc.iter_mut().enumerate() {
                let x = _mm512_set1_epi32(
                    (r.add(j * states.stride + g * GROUP) as *const i32).read_unaligned(),
                );
                *a = _mm512_dpbusd_epi32(*a, x, w);
            }
        }
        let constant = _mm512_loadu_ps(self.constant.as_ptr().add(block * BLOCK));
        for (j, a) in acc.iter().enumerate() {
            let sum = _mm512_add_ps(_mm512_cvtepi32_ps(*a), constant);
            let sum = if BOUND {
                _mm512_add_ps(sum, _mm512_set1_ps(states.half_l1[first + j]))
            } else {
                sum
            };
            let bound = _mm512_mul_ps(sum, _mm512_set1_ps(states.scale[first + j]));
            record::<BOUND>(step, first + j, half, bound, peak, best);
        }
    }
}

/// The lanes whose bits are set in `bits`, lowest first.
fn lanes(mut bits: u32) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        let lane = bits.trailing_zeros() as usize;
        bits &= bits.wrapping_sub(1);
        (lane < 32).then_some(lane)
    })
}

/// Records the bounds of 16 rows (half `half` of `step`) at position `p`: with `BOUND` the bounds themselves, and
/// the running largest bound `peak` with its first position `best`; as [`Step::record`] does for one row.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn record<const BOUND: bool>(
    step: &mut Step,
    p: usize,
    half: usize,
    bound: std::arch::x86_64::__m512,
    peak: &mut std::arch::x86_64::__m512,
    best: &mut std::arch::x86_64::__m512i,
) {
    use std::arch::x86_64::*;
    if BOUND {
        _mm512_storeu_ps(step.bounds.as_mut_ptr().add(p * STEP + half * BLOCK), bound);
        let above = _mm512_cmp_ps_mask::<_CMP_GT_OQ>(bound, *peak);
        *best = _mm512_mask_set1_epi32(*best, above, p as i32);
    }
    // max(bound, peak) keeps peak where bound is NaN, as f32::max does.
    *peak = _mm512_max_ps(bound, *peak);
}

/// The AMX kernel's running peaks of a step's two blocks of rows, with their row constants.
#[cfg(target_arch = "x86_64")]
struct Running {
    constant: [std::arch::x86_64::__m512; 2],
    peak: [std::arch::x86_64::__m512; 2],
    best: [std::arch::x86_64::__m512i; 2],
}

#[cfg(target_arch = "x86_64")]
impl Running {
    /// Starts with the constants of the step's 32 rows, `constant[..32]`.
    #[target_feature(enable = "avx512f")]
    unsafe fn new(constant: &[f32]) -> Self {
        use std::arch::x86_64::*;
        let constant = &constant[..STEP];
        Running {
            constant: [
                _mm512_loadu_ps(constant.as_ptr()),
                _mm512_loadu_ps(constant.as_ptr().add(BLOCK)),
            ],
            peak: [_mm512_set1_ps(f32::NEG_INFINITY); 2],
            best: [_mm512_setzero_si512(); 2],
        }
    }

    /// Records positions `first..first + count` (those below the text's) from the int32 sums in `sums`' tiles
    /// from `2·pair` (two tiles per 16 positions: the first block's rows, then the second's): the bounds as
    /// [`Rows::block_peaks_portable`] computes them, in `step` and the running peaks.
    #[target_feature(enable = "avx512f")]
    #[inline]
    unsafe fn record<const BOUND: bool>(
        &mut self,
        sums: &super::amx::Sums,
        pair: usize,
        first: usize,
        count: usize,
        states: &States,
        step: &mut Step,
    ) {
        use super::amx::ROWS;
        use std::arch::x86_64::*;
        for p in first..(first + count).min(states.positions) {
            let (half, row) = ((p - first) / ROWS, (p - first) % ROWS);
            for j in 0..2 {
                let dot =
                    _mm512_loadu_si512(sums.0[2 * (pair + half) + j][row].as_ptr() as *const _);
                let sum = _mm512_add_ps(_mm512_cvtepi32_ps(dot), self.constant[j]);
                let sum = if BOUND {
                    _mm512_add_ps(sum, _mm512_set1_ps(states.half_l1[p]))
                } else {
                    sum
                };
                let bound = _mm512_mul_ps(sum, _mm512_set1_ps(states.scale[p]));
                record::<BOUND>(step, p, j, bound, &mut self.peak[j], &mut self.best[j]);
            }
        }
    }

    /// Writes the peaks (and with `BOUND` their first positions) to `step`.
    #[target_feature(enable = "avx512f")]
    unsafe fn finish<const BOUND: bool>(&self, step: &mut Step) {
        use std::arch::x86_64::*;
        for j in 0..2 {
            _mm512_storeu_ps(step.peaks[j * BLOCK..].as_mut_ptr(), self.peak[j]);
            if BOUND {
                _mm512_storeu_si512(step.best[j * BLOCK..].as_mut_ptr() as *mut _, self.best[j]);
            }
        }
    }
}

/// What the screen found for one text and one step of rows ([`STEP`] rows).
pub(super) struct Step {
    /// Per row: the largest bound over the positions, before the row scale.
    peaks: [f32; STEP],
    /// Per row: the first position with that bound (for kept bounds).
    best: [u32; STEP],
    /// `[position][STEP]`: each position's bound before the row scale (for kept bounds).
    bounds: Vec<f32>,
}

impl Step {
    /// Records row `lane`'s `bound` at position `p` (the portable form of [`record`]).
    fn record<const BOUND: bool>(&mut self, p: usize, lane: usize, bound: f32) {
        if BOUND {
            self.bounds[p * STEP + lane] = bound;
            if bound > self.peaks[lane] {
                self.best[lane] = p as u32;
            }
        }
        self.peaks[lane] = self.peaks[lane].max(bound);
    }
}

/// One row's screen for one text: an upper bound of the float32 dot product (as [`super::exact`] computes it)
/// of the row with each position's hidden state.
pub(super) struct RowBounds<'a> {
    step: &'a Step,
    lane: usize,
    positions: usize,
    scale: f32,
    /// The rounding margin for this row and text.
    margin: f32,
}

impl RowBounds<'_> {
    /// The text's number of positions.
    pub(super) fn positions(&self) -> usize {
        self.positions
    }

    /// The first position with the largest bound: the likeliest to hold the largest product.
    pub(super) fn best(&self) -> usize {
        self.step.best[self.lane] as usize
    }

    /// The bound at position `p`.
    pub(super) fn at(&self, p: usize) -> f32 {
        self.scale * self.step.bounds[p * STEP + self.lane] + self.margin
    }
}

/// Whether the AMX kernel runs: AMX int8 with the kernel's permission, and AVX-512 for its float part.
#[cfg(target_arch = "x86_64")]
fn amx() -> bool {
    vnni() && super::amx::available()
}

#[cfg(target_arch = "x86_64")]
fn vnni() -> bool {
    use std::sync::OnceLock;
    static VNNI: OnceLock<bool> = OnceLock::new();
    super::simd()
        && *VNNI.get_or_init(|| {
            std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx512bw")
                && std::arch::is_x86_feature_detected!("avx512vnni")
        })
}

/// One text's hidden states in int8 (offset to unsigned), with their scales and norms.
pub(super) struct States {
    /// `[position][stride]`: `r + 128`, the padding at 128 (that is, 0); rows padded to [`POSITION_PAD`],
    /// `stride` to [`HIDDEN_PAD`].
    unsigned: Aligned<u8>,
    stride: usize,
    positions: usize,
    scale: Vec<f32>,
    /// For bounds only (empty for estimates, whose kernels never read them): each position's `½‖r_p‖₁`, and
    /// `max_p ‖h_p‖₂` (0 for estimates) for the rounding margin.
    half_l1: Vec<f32>,
    max_norm: f32,
}

impl States {
    /// Quantizes `hidden [positions, width]`; `bound`: with what a bound takes besides (see the fields).
    fn new(hidden: &[f32], width: usize, bound: bool) -> Self {
        let positions = hidden.len() / width;
        let stride = width.next_multiple_of(HIDDEN_PAD);
        let mut states = States {
            unsigned: Aligned::filled(128, positions.next_multiple_of(POSITION_PAD) * stride),
            stride,
            positions,
            scale: Vec::with_capacity(positions),
            half_l1: Vec::with_capacity(if bound { positions } else { 0 }),
            max_norm: 0.0,
        };
        for (p, h) in hidden.chunks_exact(width).enumerate() {
            let largest = largest(h);
            let (scale, r) = quantize(h, largest);
            let mut l1 = 0i32;
            for (slot, r) in states.unsigned[p * stride..].iter_mut().zip(r) {
                l1 += i32::from(r).abs();
                *slot = (i32::from(r) + 128) as u8;
            }
            states.scale.push(scale);
            if bound {
                states.half_l1.push(0.5 * l1 as f32);
                states.max_norm = states.max_norm.max(norm(h, largest));
            }
        }
        states
    }
}

/// The largest magnitude in `values` (NaN skipped), which [`quantize`] and [`norm`] both take.
fn largest(values: &[f32]) -> f32 {
    values.iter().fold(0.0f32, |m, x| m.max(x.abs()))
}

/// Symmetric int8 quantization of `values` whose largest magnitude is `largest`, as both sides of the screen use
/// it: the scale `largest / 127` and each `round(x / scale)` (all 0 when every value is).
fn quantize(values: &[f32], largest: f32) -> (f32, impl Iterator<Item = i8> + '_) {
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
/// zero where the fraction dropped (exact in float32) is a half or more.
fn round_to_int8(q: f32) -> i8 {
    let q = q.clamp(-127.0, 127.0);
    let truncated = q as i32;
    let fraction = q - truncated as f32;
    (truncated + i32::from(fraction >= 0.5) - i32::from(fraction <= -0.5)) as i8
}

/// The Euclidean norm of `values` whose largest magnitude is `largest`, taken of the values divided by it, so
/// that the squares of huge finite values cannot overflow to infinity.
fn norm(values: &[f32], largest: f32) -> f32 {
    if largest == 0.0 || !largest.is_finite() {
        return largest;
    }
    largest
        * values
            .iter()
            .map(|x| (x / largest).powi(2))
            .sum::<f32>()
            .sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

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
            Kind::Bound => Rows::bounding(&weight, vocab, hidden),
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

    fn empty_step(positions: usize) -> Step {
        Step {
            peaks: [f32::NEG_INFINITY; STEP],
            best: [0; STEP],
            bounds: vec![0.0; positions * STEP],
        }
    }

    /// A step of `positions` positions filled by `kernel(half, step)` for both halves.
    fn step_of(positions: usize, mut kernel: impl FnMut(usize, &mut Step)) -> Step {
        let mut step = empty_step(positions);
        for half in 0..2 {
            kernel(half, &mut step);
        }
        step
    }

    /// The portable kernel's step of rows from `block`.
    fn portable_step(rows: &Rows, block: usize, states: &States) -> Step {
        step_of(states.positions, |half, step| match rows.kind {
            Kind::Bound => rows.block_peaks_portable::<true>(block + half, states, half, step),
            Kind::Estimate => rows.block_peaks_portable::<false>(block + half, states, half, step),
        })
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

    /// The AMX kernel gives the very numbers of the portable one, for bounds and estimates, holding the rows in
    /// its tiles (hidden 70) or streaming them (hidden 200), for texts of 1 to 45 positions and none screened
    /// together.
    #[test]
    fn amx_and_portable_kernels_agree() {
        #[cfg(target_arch = "x86_64")]
        if amx() {
            for (kind, hidden) in [Kind::Bound, Kind::Estimate]
                .into_iter()
                .flat_map(|k| [70, 200].map(|h| (k, h)))
            {
                let positions = [1, 16, 0, 17, 23, 32, 45];
                let (rows, texts, vocab) = sample(&positions, hidden, kind);
                assert_eq!(rows.rows_held(), hidden == 70);
                let mut seen = Vec::new();
                let mut check = |i: usize, first: usize, fast: &Step| {
                    let plain = portable_step(&rows, first / BLOCK, &texts[i]);
                    let what = format!(
                        "bounds {}, hidden {hidden}, rows from {first}, text {i}",
                        kind == Kind::Bound
                    );
                    assert_same(fast, &plain, kind, &what);
                    seen.push((first, i));
                };
                match kind {
                    Kind::Bound => rows.for_each_step::<true>(&texts, 0..vocab, &mut check),
                    Kind::Estimate => rows.for_each_step::<false>(&texts, 0..vocab, &mut check),
                }
                let every: Vec<_> = (0..vocab.div_ceil(STEP))
                    .flat_map(|s| (0..texts.len()).map(move |i| (s * STEP, i)))
                    .collect();
                assert_eq!(
                    seen,
                    every,
                    "bounds {}, hidden {hidden}",
                    kind == Kind::Bound
                );
            }
        }
    }

    /// The VNNI kernel gives the very numbers of the portable one (which every CPU runs), for bounds and
    /// estimates.
    #[test]
    fn vnni_and_portable_kernels_agree() {
        #[cfg(target_arch = "x86_64")]
        if vnni() {
            for (kind, positions) in [Kind::Bound, Kind::Estimate]
                .into_iter()
                .flat_map(|k| [1, 23, 45].map(|p| (k, p)))
            {
                let (rows, states, vocab) = sample(&[positions], 70, kind);
                let states = &states[0];
                for block in (0..vocab.div_ceil(BLOCK)).step_by(2) {
                    // SAFETY: the CPU has VNNI (checked above).
                    let fast = step_of(positions, |half, step| unsafe {
                        match kind {
                            Kind::Bound => {
                                rows.block_peaks_vnni::<true>(block + half, states, half, step)
                            }
                            Kind::Estimate => {
                                rows.block_peaks_vnni::<false>(block + half, states, half, step)
                            }
                        }
                    });
                    let plain = portable_step(&rows, block, states);
                    let what = format!(
                        "bounds {}, block {block}, {positions} positions",
                        kind == Kind::Bound
                    );
                    assert_same(&fast, &plain, kind, &what);
                }
            }
        }
    }
}
