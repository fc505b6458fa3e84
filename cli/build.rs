//! Link settings for the `spladerunner` command and its tests.

fn main() {
    // Once installed, the command finds ONNX Runtime in ../lib (`make install`); beside itself it finds it without
    // help (the library looks beside the module holding its code).
    println!("cargo:rustc-link-arg-bins=-Wl,-rpath,$ORIGIN/../lib");
    // The tests, which also open models in-process, find the ONNX Runtime that `tools/setup.sh` fetched.
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    println!("cargo:rustc-link-arg-tests=-Wl,-rpath,{manifest}/../.cache/onnxruntime");
    println!("cargo:rerun-if-changed=build.rs");
}
