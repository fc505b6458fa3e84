//! The library's version, as macros in the header and as a function for the version actually loaded.

use std::ffi::c_char;

/// Major version of the header (matches `Cargo.toml`; a test checks it).
#[allow(
    dead_code,
    reason = "for cbindgen, which writes it into the header as a macro"
)]
pub const SPLADE_VERSION_MAJOR: u32 = 0;
/// Minor version of the header.
#[allow(
    dead_code,
    reason = "for cbindgen, which writes it into the header as a macro"
)]
pub const SPLADE_VERSION_MINOR: u32 = 1;
/// Patch version of the header.
#[allow(
    dead_code,
    reason = "for cbindgen, which writes it into the header as a macro"
)]
pub const SPLADE_VERSION_PATCH: u32 = 0;

/// Returns the version of the loaded library, for example `"0.1.0"`: a static NUL-terminated string.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn splade_version() -> *const c_char {
    // No panic boundary: a constant.
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_macros_match_the_crate_version() {
        let crate_version = [
            env!("CARGO_PKG_VERSION_MAJOR"),
            env!("CARGO_PKG_VERSION_MINOR"),
            env!("CARGO_PKG_VERSION_PATCH"),
        ]
        .map(|p| p.parse::<u32>().unwrap());
        assert_eq!(
            [
                SPLADE_VERSION_MAJOR,
                SPLADE_VERSION_MINOR,
                SPLADE_VERSION_PATCH
            ],
            crate_version
        );
    }
}
