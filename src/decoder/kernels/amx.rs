//! The AMX kernel (AMX-TILE and AMX-INT8, with AVX-512 F): the screen's int8 products as tile products of 16×64
//! bytes, 16 times the multiply-adds per instruction of AVX-512 VNNI with the same exact int32 sums, then the
//! AVX-512 kernel's float operations on them; the rest is the AVX-512 kernel's.
//!
//! A step's 32 rows are held in the tiles for every text when they are 128 bytes long (hidden sizes 65 to 128),
//! else streamed, a chunk of 64 bytes at a time.
//!
//! Rust has no stable AMX intrinsics, so the few instructions used are inline assembly on fixed tile registers:
//! the compiler never generates AMX code itself, so nothing else touches them between these statements. Linux
//! hands out the tile state per process on request (`arch_prctl(ARCH_REQ_XCOMP_PERM)`), which [`Amx::new`]
//! makes.

use std::arch::asm;
use std::arch::x86_64::*;
use std::cell::Cell;
use std::marker::PhantomData;
use std::ops::Range;

use super::avx512::{self, Avx512};
use super::Kernel;
use crate::decoder::layout::{
    step_blocks, Rows, States, BLOCK, GROUP, POSITION_PAD, STEP, TILE_ROWS as ROWS,
    TILE_ROW_BYTES as ROW_BYTES,
};
use crate::decoder::step::Step;

/// Bytes of one tile of int32 sums (16 rows of 16).
const SUMS_TILE: usize = ROWS * ROWS * 4;

/// The AMX kernel; a value exists only where the CPU has AMX-TILE, AMX-INT8 and AVX-512 F, and Linux lets this
/// process use the tiles.
#[derive(Clone, Copy)]
pub(in crate::decoder) struct Amx {
    avx512: Avx512,
}

impl Amx {
    /// The kernel, where the CPU and Linux allow it, else what is missing; asks Linux for the tile state.
    pub(super) fn new() -> Result<Self, &'static str> {
        let avx512 = Avx512::new()?;
        // CPUID leaf 7: EDX bit 24 AMX-TILE, bit 25 AMX-INT8.
        const TILE_AND_INT8: u32 = (1 << 24) | (1 << 25);
        if __cpuid(0).eax < 7 || __cpuid_count(7, 0).edx & TILE_AND_INT8 != TILE_AND_INT8 {
            return Err("CPU lacks AMX-TILE or AMX-INT8");
        }
        const ARCH_REQ_XCOMP_PERM: libc::c_long = 0x1023;
        const XFEATURE_XTILEDATA: libc::c_long = 18;
        // SAFETY: a plain system call with integer arguments; it fails cleanly on kernels without AMX support.
        let permitted = unsafe {
            libc::syscall(
                libc::SYS_arch_prctl,
                ARCH_REQ_XCOMP_PERM,
                XFEATURE_XTILEDATA,
            ) == 0
        };
        if permitted {
            Ok(Amx { avx512 })
        } else {
            Err("Linux refused this process the AMX tile state")
        }
    }
}

impl Kernel for Amx {
    type Base = Avx512;

    fn base(self) -> Avx512 {
        self.avx512
    }

    fn for_each_step<const BOUND: bool>(
        self,
        rows: &Rows,
        texts: &[States],
        range: Range<usize>,
        mut f: impl FnMut(usize, usize, &Step),
    ) {
        let mut step = Step::new(texts, BOUND);
        let mut tiles = Tiles::configure(self);
        let mut sums = Sums::default();
        for block in step_blocks(range) {
            let step_tiles = StepTiles::new(rows, block);
            step_tiles.hold(&mut tiles);
            for (i, states) in texts.iter().enumerate() {
                // SAFETY: an `Amx` exists only where the CPU has AVX-512 F (`Amx::new`); the rows of the step are
                // held just above.
                unsafe {
                    screen_step::<BOUND>(&mut tiles, &mut sums, &step_tiles, states, &mut step)
                };
                f(i, block * BLOCK, &step);
            }
        }
    }
}

/// Whether the AMX kernel holds a step's rows in its tiles for every text: when they are 128 bytes long, two
/// chunks of 64 (hidden sizes 65 to 128). Longer rows are streamed, a chunk at a time.
pub(super) fn holds_rows(rows: &Rows) -> bool {
    rows.groups * GROUP == 2 * ROW_BYTES
}

/// The two blocks of rows of one step, as tiles.
struct StepTiles<'a> {
    rows: &'a Rows,
    /// The step's first block.
    block: usize,
    /// Where each block starts.
    b0: *const i8,
    b1: *const i8,
}

impl<'a> StepTiles<'a> {
    /// The step of `rows` from block `block`.
    ///
    /// # Panics
    /// Where `rows` has no block `block + 1`.
    fn new(rows: &'a Rows, block: usize) -> Self {
        StepTiles {
            rows,
            block,
            b0: rows.block(block).as_ptr(),
            b1: rows.block(block + 1).as_ptr(),
        }
    }

    /// The distance from one chunk's tile of a block (16 rows of 64 hidden bytes) to the next.
    const CHUNK: usize = ROWS * BLOCK * GROUP;

    /// Loads the step's rows into the tiles when [`holds_rows`].
    fn hold(&self, tiles: &mut Tiles) {
        if holds_rows(self.rows) {
            // SAFETY: each block's two chunks of 16 rows of 64 bytes are the block's `groups · 64 = 2 · 1024`
            // bytes, which `StepTiles::new` found inside the rows.
            unsafe { tiles.hold_rows(self.b0, self.b1, Self::CHUNK) };
        }
    }
}

/// [`portable::block_peaks`](super::portable::block_peaks) of the step's two blocks with AMX: the int32 sums of
/// 16 positions (rows held) or 32 (rows streamed) × 32 rows from tiles, then the same float operations in the
/// same order.
///
/// With the rows held, a group's sums are read while the tiles multiply the next group (the sums alternate
/// between two pairs of tiles in `sums`): the float work then overlaps the tile products rather than waits for
/// them.
///
/// # Safety
/// The CPU must have AVX-512 F, and [`StepTiles::hold`] must have run for `step_tiles` on these tiles.
///
/// # Panics
/// Where `states` was quantized for other rows, or `step` has no room for its bounds.
#[target_feature(enable = "avx512f")]
unsafe fn screen_step<const BOUND: bool>(
    tiles: &mut Tiles,
    sums: &mut Sums,
    step_tiles: &StepTiles,
    states: &States,
    step: &mut Step,
) {
    let rows = step_tiles.rows;
    assert_eq!(
        rows.groups * GROUP,
        states.stride,
        "hidden states quantized for these rows"
    );
    assert!(
        !BOUND || step.bounds.len() >= states.positions * STEP,
        "a step with room for the text's bounds"
    );
    let mut running = Running::new(&rows.constant[step_tiles.block * BLOCK..]);
    // Every tile of hidden states read below is 16 positions of `stride` bytes from a multiple of 16 positions
    // below `positions`, inside the states, whose positions are padded to a multiple of 32.
    let unsigned = states.unsigned.as_ptr();
    if holds_rows(rows) {
        // The group whose sums wait in pair `pending.1`, from position `pending.0`.
        let mut pending = None;
        for (group, first) in (0..states.positions).step_by(ROWS).enumerate() {
            let pair = group % 2;
            // SAFETY: the tile of 16 positions of 128 bytes from `first` is inside the states (see above); the
            // rows are held.
            unsafe {
                tiles.product_with_rows(unsigned.add(first * states.stride), states.stride);
            }
            if let Some((first, pair)) = pending {
                // SAFETY: `step` has room for the text's bounds (asserted above).
                unsafe { running.record::<BOUND>(sums, pair, first, ROWS, states, step) };
            }
            tiles.store_pair(sums, pair);
            pending = Some((first, pair));
        }
        if let Some((first, pair)) = pending {
            // SAFETY: as above.
            unsafe { running.record::<BOUND>(sums, pair, first, ROWS, states, step) };
        }
    } else {
        for first in (0..states.positions).step_by(POSITION_PAD) {
            tiles.zero();
            for c in 0..rows.groups * GROUP / ROW_BYTES {
                // SAFETY: the two tiles of 16 positions from `first` and `first + 16` are inside the states (see
                // above; `first` is a multiple of 32), chunk `c` of each block inside the rows (`StepTiles::new`).
                unsafe {
                    let a0 = unsigned.add(first * states.stride + c * ROW_BYTES);
                    tiles.multiply(
                        a0,
                        a0.add(ROWS * states.stride),
                        states.stride,
                        step_tiles.b0.add(c * StepTiles::CHUNK),
                        step_tiles.b1.add(c * StepTiles::CHUNK),
                    );
                }
            }
            tiles.store(sums);
            // SAFETY: `step` has room for the text's bounds (asserted above).
            unsafe { running.record::<BOUND>(sums, 0, first, POSITION_PAD, states, step) };
        }
    }
    running.finish::<BOUND>(step);
}

/// The running peaks of a step's two blocks of rows, with their row constants.
struct Running {
    constant: [__m512; 2],
    peak: [__m512; 2],
    best: [__m512i; 2],
}

impl Running {
    /// Starts with the constants of the step's 32 rows, `constant[..32]`.
    #[target_feature(enable = "avx512f")]
    fn new(constant: &[f32]) -> Self {
        let constant = &constant[..STEP];
        // SAFETY: `constant` holds 32 floats.
        let constant = unsafe {
            [
                _mm512_loadu_ps(constant.as_ptr()),
                _mm512_loadu_ps(constant.as_ptr().add(BLOCK)),
            ]
        };
        Running {
            constant,
            peak: [_mm512_set1_ps(f32::NEG_INFINITY); 2],
            best: [_mm512_setzero_si512(); 2],
        }
    }

    /// Records positions `first..first + count` (those below the text's) from the int32 sums in `sums`' tiles
    /// from `2·pair` (two tiles per 16 positions: the first block's rows, then the second's): the bounds as
    /// [`portable::block_peaks`](super::portable::block_peaks) computes them, in `step` and the running peaks.
    ///
    /// # Safety
    /// With `BOUND`, `step` must have room for the bounds of the text's positions.
    #[target_feature(enable = "avx512f")]
    #[inline]
    unsafe fn record<const BOUND: bool>(
        &mut self,
        sums: &Sums,
        pair: usize,
        first: usize,
        count: usize,
        states: &States,
        step: &mut Step,
    ) {
        for p in first..(first + count).min(states.positions) {
            let (half, row) = ((p - first) / ROWS, (p - first) % ROWS);
            for j in 0..2 {
                let dot = &sums.0[2 * (pair + half) + j][row];
                // SAFETY: `dot` is 16 int32.
                let dot = unsafe { _mm512_loadu_si512(dot.as_ptr() as *const __m512i) };
                let sum = _mm512_add_ps(_mm512_cvtepi32_ps(dot), self.constant[j]);
                let sum = if BOUND {
                    _mm512_add_ps(sum, _mm512_set1_ps(states.half_l1[p]))
                } else {
                    sum
                };
                let bound = _mm512_mul_ps(sum, _mm512_set1_ps(states.scale[p]));
                // SAFETY: `j` is 0 or 1, and position `p` is the text's, for which `step` has room.
                unsafe {
                    avx512::record::<BOUND>(step, p, j, bound, &mut self.peak[j], &mut self.best[j])
                };
            }
        }
    }

    /// Writes the peaks (and with `BOUND` their first positions) to `step`.
    #[target_feature(enable = "avx512f")]
    fn finish<const BOUND: bool>(&self, step: &mut Step) {
        for j in 0..2 {
            avx512::finish::<BOUND>(step, j, self.peak[j], self.best[j]);
        }
    }
}

thread_local! {
    /// Whether a [`Tiles`] is alive on this thread.
    static CONFIGURED: Cell<bool> = const { Cell::new(false) };
}

/// The tile registers of this thread configured as eight 16×64-byte tiles, released when dropped.
///
/// The tile configuration belongs to the thread, so a `Tiles` is neither `Send` nor `Sync`, and there is at most
/// one per thread: [`Tiles::configure`] panics while another is alive (configuring the tiles again would zero
/// what the first one holds, and the second one's drop would release the first one's configuration). A panic
/// rather than a `None` to fall back on: only a bug in the decoder, screening inside a screen, can get there.
///
/// They serve two kinds of product of unsigned bytes (hidden states) by signed bytes (vocabulary rows, in the
/// 4-byte groups of the VNNI layout) into int32 sums:
/// - streaming ([`Tiles::multiply`]): `tmm0`..`tmm3` accumulate, `tmm4`/`tmm5` hold hidden states, `tmm6`/`tmm7`
///   rows, loaded again for each chunk of 64 hidden bytes;
/// - with the rows held ([`Tiles::hold_rows`], for 128 hidden bytes): `tmm4`..`tmm7` hold 32 rows for a whole
///   step, `tmm2`/`tmm3` the two chunks of 16 hidden states, `tmm0`/`tmm1` accumulate.
struct Tiles {
    one_thread: PhantomData<*const ()>,
}

impl Tiles {
    /// Configures this thread's tiles, which the `Amx` proves the CPU has and Linux lets this process use.
    ///
    /// # Panics
    /// While another `Tiles` is alive on this thread.
    fn configure(_: Amx) -> Tiles {
        assert!(
            !CONFIGURED.replace(true),
            "AMX tiles configured twice on one thread: one Tiles per thread"
        );
        let mut config = [0u8; 64];
        config[0] = 1; // palette 1
        for tile in 0..8 {
            config[16 + 2 * tile..18 + 2 * tile].copy_from_slice(&(ROW_BYTES as u16).to_le_bytes());
            config[48 + tile] = ROWS as u8;
        }
        // SAFETY: the CPU has AMX and Linux lets this process use it (an `Amx` exists); `config` is a valid
        // palette-1 configuration of 64 bytes.
        unsafe { asm!("ldtilecfg [{}]", in(reg) config.as_ptr(), options(nostack, readonly)) };
        Tiles {
            one_thread: PhantomData,
        }
    }

    /// Sets the four accumulators to zero.
    fn zero(&mut self) {
        // SAFETY: the tiles are configured (self exists).
        unsafe {
            asm!(
                "tilezero tmm0",
                "tilezero tmm1",
                "tilezero tmm2",
                "tilezero tmm3",
                options(nostack, nomem)
            );
        }
    }

    /// One step of the 2×2 product: `tmm0 += a0·b0`, `tmm1 += a0·b1`, `tmm2 += a1·b0`, `tmm3 += a1·b1`, where
    /// `a0`, `a1` are 16 rows of 64 unsigned bytes `a_stride` apart and `b0`, `b1` 16 rows of 64 signed bytes,
    /// contiguous.
    ///
    /// # Safety
    /// Every row read must be inside its allocation.
    unsafe fn multiply(
        &mut self,
        a0: *const u8,
        a1: *const u8,
        a_stride: usize,
        b0: *const i8,
        b1: *const i8,
    ) {
        // SAFETY: the tiles are configured (self exists); the caller vouches for the rows read.
        unsafe {
            asm!(
                "tileloadd tmm4, [{a0} + {sa}*1]",
                "tileloadd tmm5, [{a1} + {sa}*1]",
                "tileloadd tmm6, [{b0} + {sb}*1]",
                "tileloadd tmm7, [{b1} + {sb}*1]",
                "tdpbusd tmm0, tmm4, tmm6",
                "tdpbusd tmm1, tmm4, tmm7",
                "tdpbusd tmm2, tmm5, tmm6",
                "tdpbusd tmm3, tmm5, tmm7",
                a0 = in(reg) a0,
                a1 = in(reg) a1,
                b0 = in(reg) b0,
                b1 = in(reg) b1,
                sa = in(reg) a_stride,
                sb = in(reg) ROW_BYTES,
                options(nostack, readonly)
            );
        }
    }

    /// Holds 32 rows of 128 signed bytes for [`Tiles::product_with_rows`]: `tmm4`/`tmm5` the two chunks of
    /// `b0`, `tmm6`/`tmm7` those of `b1` (each chunk 16 rows of 64 bytes, contiguous, the second `chunk` bytes
    /// after the first).
    ///
    /// # Safety
    /// Every row read must be inside its allocation.
    unsafe fn hold_rows(&mut self, b0: *const i8, b1: *const i8, chunk: usize) {
        // SAFETY: the tiles are configured (self exists); the caller vouches for the rows read, and so for the
        // second chunks, inside the same allocations.
        unsafe {
            asm!(
                "tileloadd tmm4, [{b0} + {sb}*1]",
                "tileloadd tmm5, [{b0c} + {sb}*1]",
                "tileloadd tmm6, [{b1} + {sb}*1]",
                "tileloadd tmm7, [{b1c} + {sb}*1]",
                b0 = in(reg) b0,
                b0c = in(reg) b0.add(chunk),
                b1 = in(reg) b1,
                b1c = in(reg) b1.add(chunk),
                sb = in(reg) ROW_BYTES,
                options(nostack, readonly)
            );
        }
    }

    /// The product of 16 hidden states of 128 unsigned bytes (`a_stride` apart) with the rows
    /// [`Tiles::hold_rows`] holds, in `tmm0` (`b0`'s rows) and `tmm1` (`b1`'s) until [`Tiles::store_pair`].
    ///
    /// # Safety
    /// Every row read must be inside its allocation, and [`Tiles::hold_rows`] must have run.
    unsafe fn product_with_rows(&mut self, a: *const u8, a_stride: usize) {
        // SAFETY: the tiles are configured (self exists) and hold the rows; the caller vouches for the rows read,
        // and so for their second chunks, inside the same allocation.
        unsafe {
            asm!(
                "tilezero tmm0",
                "tilezero tmm1",
                "tileloadd tmm2, [{a} + {sa}*1]",
                "tileloadd tmm3, [{ac} + {sa}*1]",
                "tdpbusd tmm0, tmm2, tmm4",
                "tdpbusd tmm1, tmm2, tmm6",
                "tdpbusd tmm0, tmm3, tmm5",
                "tdpbusd tmm1, tmm3, tmm7",
                a = in(reg) a,
                ac = in(reg) a.add(ROW_BYTES),
                sa = in(reg) a_stride,
                options(nostack, readonly)
            );
        }
    }

    /// Writes [`Tiles::product_with_rows`]'s two accumulators to `out`'s tiles `2·pair` and `2·pair + 1`.
    fn store_pair(&mut self, out: &mut Sums, pair: usize) {
        let out = out.0[2 * pair..2 * pair + 2].as_mut_ptr() as *mut u8;
        // SAFETY: the tiles are configured (self exists); `out` holds the two 16×64-byte tiles written.
        unsafe {
            asm!(
                "tilestored [{p0} + {s}*1], tmm0",
                "tilestored [{p1} + {s}*1], tmm1",
                p0 = in(reg) out,
                p1 = in(reg) out.add(SUMS_TILE),
                s = in(reg) ROW_BYTES,
                options(nostack)
            );
        }
    }

    /// Writes the four accumulators to `out` as `[4][16][16]` int32, `tmm0` first.
    fn store(&mut self, out: &mut Sums) {
        let base = out.0.as_mut_ptr() as *mut u8;
        // SAFETY: the tiles are configured (self exists); `out` holds exactly four 16×64-byte tiles.
        unsafe {
            asm!(
                "tilestored [{p} + {s}*1], tmm0",
                "tilestored [{p1} + {s}*1], tmm1",
                "tilestored [{p2} + {s}*1], tmm2",
                "tilestored [{p3} + {s}*1], tmm3",
                p = in(reg) base,
                p1 = in(reg) base.add(SUMS_TILE),
                p2 = in(reg) base.add(2 * SUMS_TILE),
                p3 = in(reg) base.add(3 * SUMS_TILE),
                s = in(reg) ROW_BYTES,
                options(nostack)
            );
        }
    }
}

impl Drop for Tiles {
    fn drop(&mut self) {
        // SAFETY: returns the tile registers to their initial state; valid whenever they were configured.
        unsafe { asm!("tilerelease", options(nostack, nomem)) };
        CONFIGURED.set(false);
    }
}

/// The four accumulators as [`Tiles::store`] writes them (or two pairs by [`Tiles::store_pair`]), on a
/// cache-line boundary.
#[derive(Default)]
#[repr(C, align(64))]
struct Sums([[[i32; ROWS]; ROWS]; 4]);

#[cfg(test)]
mod tests {
    use super::*;

    /// Configuring the tiles while a `Tiles` is alive on the thread panics (before touching the tiles), and
    /// once that one is dropped the thread may configure them again.
    #[test]
    fn one_tiles_per_thread() {
        let amx = match Amx::new() {
            Ok(amx) => amx,
            Err(lacking) => {
                super::super::say_skipped("AMX", lacking);
                return;
            }
        };
        let first = Tiles::configure(amx);
        assert!(std::panic::catch_unwind(|| Tiles::configure(amx)).is_err());
        drop(first);
        drop(Tiles::configure(amx));
    }
}
