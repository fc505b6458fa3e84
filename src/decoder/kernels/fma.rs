//! The FMA kernel (AVX2 and FMA): the portable kernel, with its float32 dot product compiled for FMA, where
//! `mul_add` is one instruction rather than a call to the C library's `fmaf`.

use super::portable::{self, Portable};
use super::Kernel;

/// The FMA kernel; a value exists only where the CPU has AVX2 and FMA.
#[derive(Clone, Copy)]
pub(in crate::decoder) struct Fma(());

impl Fma {
    /// The kernel, where the CPU can run it, else what it lacks.
    pub(super) fn new() -> Result<Self, &'static str> {
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            Ok(Fma(()))
        } else {
            Err("CPU lacks AVX2 or FMA")
        }
    }
}

impl Kernel for Fma {
    type Base = Portable;

    fn base(self) -> Portable {
        Portable
    }

    fn dot(self, a: &[f32], b: &[f32]) -> f32 {
        // SAFETY: an `Fma` exists only where the CPU has AVX2 and FMA (`Fma::new`).
        unsafe { dot(a, b) }
    }
}

/// [`portable::dot`] compiled for AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    portable::dot(a, b)
}
