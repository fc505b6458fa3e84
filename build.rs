//! Link settings for the shared library and for this repository's own test and example programs.

fn main() {
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_default();
    let minor = std::env::var("CARGO_PKG_VERSION_MINOR").unwrap_or_default();
    // Before 1.0 a minor release may break the ABI, so the SONAME carries major.minor.
    let soname = if major == "0" {
        format!("libspladerunner.so.0.{minor}")
    } else {
        format!("libspladerunner.so.{major}")
    };
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,{soname}");
    // libonnxruntime.so is looked for beside libspladerunner.so.
    println!("cargo:rustc-cdylib-link-arg=-Wl,-rpath,$ORIGIN");
    // The repository's tests and examples find the ONNX Runtime that `tools/setup.sh` fetched, with no
    // environment variable. Never applied to the library itself.
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    for kind in ["tests", "examples"] {
        println!("cargo:rustc-link-arg-{kind}=-Wl,-rpath,{manifest}/.cache/onnxruntime");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
