//! The screen's data in int8, laid out for the kernels: the vocabulary rows interleaved 16 rows per 4 hidden
//! values (the layout of the VNNI instruction, and of the AMX tiles' second operand), and each text's hidden
//! states offset to unsigned bytes, both padded to whole AMX tiles on every CPU so that every kernel reads the
//! same buffers.

use super::aligned::Aligned;
use super::quantize::{largest, norm, quantize};

/// Vocabulary rows per block: one AVX-512 register of 32-bit lanes.
pub(super) const BLOCK: usize = 16;
/// Vocabulary rows per step of the screen (two blocks: the AMX kernel's tile pair); a range of rows screened
/// starts at a multiple of this.
pub(super) const STEP: usize = 2 * BLOCK;
/// Hidden values per group: the 4 bytes one VNNI lane multiplies.
pub(super) const GROUP: usize = 4;
/// Rows of an AMX tile.
pub(super) const TILE_ROWS: usize = 16;
/// Bytes per row of an AMX tile.
pub(super) const TILE_ROW_BYTES: usize = 64;
/// Hidden values are padded with zeros to a multiple of this: one tile row of bytes.
const HIDDEN_PAD: usize = TILE_ROW_BYTES;
/// Positions are padded (with zero states, never read back) to a multiple of this: two tiles of rows.
pub(super) const POSITION_PAD: usize = 2 * TILE_ROWS;
/// The rounding margin of a bound, relative to `max‖h‖₂·‖w‖₂` (see [`super::screen`]).
const MARGIN: f32 = 4e-5;

/// What a row's peak stands for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Kind {
    /// A strict upper bound of the float32 rows' largest logit (the screen before the exact pass).
    Bound,
    /// The largest logit of the int8 rows themselves, as an int8 model defines it (no exact pass).
    Estimate,
}

/// The vocabulary rows in int8, 16 rows interleaved per 4 hidden values (the VNNI layout), with what the bound
/// needs of each row.
pub(super) struct Rows {
    pub(super) kind: Kind,
    /// `[block][group][row in block][4]` int8, `groups` covering the hidden values padded to [`HIDDEN_PAD`].
    pub(super) quantized: Aligned<i8>,
    pub(super) groups: usize,
    /// Per row (padded to whole steps): the scale `s`; the constant added to the integer sum (for a bound
    /// `½‖q‖₁ + hidden/4 - 128·Σq` plus float rounding, for an estimate `-128·Σq`); and for a bound
    /// `MARGIN·‖w‖₂` (0 for an estimate).
    pub(super) scale: Vec<f32>,
    pub(super) constant: Vec<f32>,
    pub(super) margin: Vec<f32>,
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

    /// Quantizes the `vocab` float32 rows of `weight` (each `hidden` values), for bounds.
    pub(super) fn bounding<'w>(
        weight: impl Iterator<Item = &'w [f32]>,
        vocab: usize,
        hidden: usize,
    ) -> Self {
        let mut rows = Rows::empty(Kind::Bound, vocab, hidden);
        let mut q = vec![0i8; hidden];
        for (v, w) in weight.enumerate() {
            let largest = largest(w);
            let (scale, values) = quantize(w, largest);
            for (slot, x) in q.iter_mut().zip(values) {
                *slot = x;
            }
            rows.set(v, &q, scale);
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
        // Group g of the row goes to `[block][g][lane]`: consecutive groups lie BLOCK·GROUP bytes apart.
        let row = &mut self.quantized[(block * self.groups * BLOCK + lane) * GROUP..];
        for (group, four) in row.chunks_mut(BLOCK * GROUP).zip(q.chunks(GROUP)) {
            group[..four.len()].copy_from_slice(four);
        }
        // Summed in i32 (several values per instruction) over pieces too short to overflow it.
        let (mut sum, mut l1) = (0i64, 0i64);
        for piece in q.chunks(1 << 16) {
            sum += i64::from(piece.iter().map(|&x| i32::from(x)).sum::<i32>());
            l1 += i64::from(piece.iter().map(|&x| i32::from(x).abs()).sum::<i32>());
        }
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

    /// The int8 values of the 16 rows of block `block`, `[group][row in block][4]`.
    pub(super) fn block(&self, block: usize) -> &[i8] {
        let len = self.groups * BLOCK * GROUP;
        &self.quantized[block * len..][..len]
    }

    /// One text's hidden states `[positions, hidden]` quantized for these rows.
    pub(super) fn states(&self, hidden: &[f32], width: usize) -> States {
        States::new(hidden, width, self.kind == Kind::Bound)
    }
}

/// The first block of each step of rows in `range` (which starts at a multiple of [`STEP`]).
pub(super) fn step_blocks(range: std::ops::Range<usize>) -> impl Iterator<Item = usize> {
    (range.start / STEP..range.end.div_ceil(STEP)).map(|s| s * 2)
}

/// One text's hidden states in int8 (offset to unsigned), with their scales and norms.
pub(super) struct States {
    /// `[position][stride]`: `r + 128`, the padding at 128 (that is, 0); rows padded to [`POSITION_PAD`],
    /// `stride` to [`HIDDEN_PAD`].
    pub(super) unsigned: Aligned<u8>,
    pub(super) stride: usize,
    pub(super) positions: usize,
    pub(super) scale: Vec<f32>,
    /// For bounds only (empty for estimates, whose kernels never read them): each position's `½‖r_p‖₁`, and
    /// `max_p ‖h_p‖₂` (0 for estimates) for the rounding margin.
    pub(super) half_l1: Vec<f32>,
    pub(super) max_norm: f32,
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

    /// The unsigned bytes of position `p`, padded to the stride.
    pub(super) fn position(&self, p: usize) -> &[u8] {
        &self.unsigned[p * self.stride..][..self.stride]
    }
}
