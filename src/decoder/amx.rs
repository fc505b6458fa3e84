//! Intel AMX tile instructions for the screening pass: int8 matrix products of 16×64-byte tiles, 16 times the
//! multiply-adds per instruction of AVX-512 VNNI, with the same exact int32 sums.
//!
//! Rust has no stable AMX intrinsics, so the few instructions used are inline assembly on fixed tile registers:
//! the compiler never generates AMX code itself, so nothing else touches them between these statements. Linux
//! hands out the tile state per process on request (`arch_prctl(ARCH_REQ_XCOMP_PERM)`); [`available`] makes that
//! request once and says no when the CPU or the kernel cannot.

#[cfg(target_arch = "x86_64")]
use std::arch::asm;

/// Rows of a tile, and bytes per tile row (the layouts of the screening pass follow them on every CPU).
pub(super) const ROWS: usize = 16;
pub(super) const ROW_BYTES: usize = 64;
/// Bytes of one tile of int32 sums (16 rows of 16).
#[cfg(target_arch = "x86_64")]
const SUMS_TILE: usize = ROWS * ROWS * 4;

/// Whether this process may use the AMX int8 instructions (CPU support, and the kernel's permission).
#[cfg(target_arch = "x86_64")]
pub(super) fn available() -> bool {
    static AVAILABLE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        // CPUID leaf 7: EDX bit 24 AMX-TILE, bit 25 AMX-INT8.
        if std::arch::x86_64::__cpuid(0).eax < 7 {
            return false;
        }
        let leaf7 = std::arch::x86_64::__cpuid_count(7, 0);
        const TILE_AND_INT8: u32 = (1 << 24) | (1 << 25);
        if leaf7.edx & TILE_AND_INT8 != TILE_AND_INT8 {
            return false;
        }
        const ARCH_REQ_XCOMP_PERM: libc::c_long = 0x1023;
        const XFEATURE_XTILEDATA: libc::c_long = 18;
        // SAFETY: a plain system call with integer arguments; it fails cleanly on kernels without AMX support.
        unsafe {
            libc::syscall(
                libc::SYS_arch_prctl,
                ARCH_REQ_XCOMP_PERM,
                XFEATURE_XTILEDATA,
            ) == 0
        }
    })
}

/// The tile registers of this thread configured as eight 16×64-byte tiles, released when dropped.
///
/// They serve two kinds of product of unsigned bytes (hidden states) by signed bytes (vocabulary rows, in the
/// 4-byte groups of the VNNI layout) into int32 sums:
/// - streaming ([`Tiles::multiply`]): `tmm0`..`tmm3` accumulate, `tmm4`/`tmm5` hold hidden states, `tmm6`/`tmm7`
///   rows, loaded again for each chunk of 64 hidden bytes;
/// - with the rows held ([`Tiles::hold_rows`], for 128 hidden bytes): `tmm4`..`tmm7` hold 32 rows for a whole
///   step, `tmm2`/`tmm3` the two chunks of 16 hidden states, `tmm0`/`tmm1` accumulate.
#[cfg(target_arch = "x86_64")]
pub(super) struct Tiles(());

#[cfg(target_arch = "x86_64")]
impl Tiles {
    /// # Safety
    /// [`available`] must have returned true.
    pub(super) unsafe fn configure() -> Tiles {
        let mut config = [0u8; 64];
        config[0] = 1; // palette 1
        for tile in 0..8 {
            config[16 + 2 * tile..18 + 2 * tile].copy_from_slice(&(ROW_BYTES as u16).to_le_bytes());
            config[48 + tile] = ROWS as u8;
        }
        asm!("ldtilecfg [{}]", in(reg) config.as_ptr(), options(nostack, readonly));
        Tiles(())
    }

    /// Sets the four accumulators to zero.
    pub(super) fn zero(&mut self) {
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
    pub(super) unsafe fn multiply(
        &mut self,
        a0: *const u8,
        a1: *const u8,
        a_stride: usize,
        b0: *const i8,
        b1: *const i8,
    ) {
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

    /// Holds 32 rows of 128 signed bytes for [`Tiles::product_with_rows`]: `tmm4`/`tmm5` the two chunks of
    /// `b0`, `tmm6`/`tmm7` those of `b1` (each chunk 16 rows of 64 bytes, contiguous, the second `chunk` bytes
    /// after the first).
    ///
    /// # Safety
    /// Every row read must be inside its allocation.
    pub(super) unsafe fn hold_rows(&mut self, b0: *const i8, b1: *const i8, chunk: usize) {
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

    /// The product of 16 hidden states of 128 unsigned bytes (`a_stride` apart) with the rows
    /// [`Tiles::hold_rows`] holds, in `tmm0` (`b0`'s rows) and `tmm1` (`b1`'s) until [`Tiles::store_pair`].
    ///
    /// # Safety
    /// Every row read must be inside its allocation, and [`Tiles::hold_rows`] must have run.
    pub(super) unsafe fn product_with_rows(&mut self, a: *const u8, a_stride: usize) {
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

    /// Writes [`Tiles::product_with_rows`]'s two accumulators to `out`'s tiles `2·pair` and `2·pair + 1`.
    pub(super) fn store_pair(&mut self, out: &mut Sums, pair: usize) {
        let out = out.0[2 * pair..2 * pair + 2].as_mut_ptr() as *mut u8;
        // SAFETY: `out` holds the two 16×64-byte tiles written.
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
    pub(super) fn store(&mut self, out: &mut Sums) {
        let base = out.0.as_mut_ptr() as *mut u8;
        // SAFETY: `out` holds exactly four 16×64-byte tiles.
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

/// The four accumulators as [`Tiles::store`] writes them (or two pairs by [`Tiles::store_pair`]), on a
/// cache-line boundary.
#[cfg(target_arch = "x86_64")]
#[derive(Default)]
#[repr(C, align(64))]
pub(super) struct Sums(pub(super) [[[i32; ROWS]; ROWS]; 4]);

#[cfg(target_arch = "x86_64")]
impl Drop for Tiles {
    fn drop(&mut self) {
        // SAFETY: returns the tile registers to their initial state; valid whenever they were configured.
        unsafe { asm!("tilerelease", options(nostack, nomem)) };
    }
}
