//! `ORT_DYLIB_PATH` names the ONNX Runtime library when no option does, and is then the only library tried. Its
//! own test binary, so that ONNX Runtime is not loaded yet when it starts.

mod common;

use std::path::Path;

use spladerunner::{Expander, Options, Status};

#[test]
fn ort_dylib_path_is_used_when_no_option_names_a_library() {
    let original =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".cache/onnxruntime/libonnxruntime.so");
    let dir = common::temp_dir("ort-env");
    let copy = dir.join("libonnxruntime.so");
    let tiny = common::model("splade-tiny");

    // Named but missing: an error saying so, although a library lies on the search path (the RUNPATH build.rs
    // gives test binaries, or LD_LIBRARY_PATH under cargo), which is not loaded in its place.
    std::env::set_var("ORT_DYLIB_PATH", &copy);
    let error = Expander::new(&tiny, Options::default())
        .err()
        .expect("a missing library named by ORT_DYLIB_PATH must fail");
    assert_eq!(error.status(), Status::RuntimeUnavailable);
    for word in [
        copy.to_str().unwrap(),
        "No such file or directory",
        "set ORT_DYLIB_PATH to",
    ] {
        assert!(error.message().contains(word), "{error}");
    }

    std::fs::copy(&original, &copy).unwrap();
    let expander = Expander::new(&tiny, Options::default()).unwrap();
    assert!(!expander.expand("atomic energy").unwrap().is_empty());

    // The copy named by ORT_DYLIB_PATH is the one loaded: naming it again is fine, naming the original is not.
    assert!(Expander::new(&tiny, Options::default().with_ort_library_path(&copy)).is_ok());
    let error = Expander::new(&tiny, Options::default().with_ort_library_path(&original))
        .err()
        .expect("the original is a different file from the loaded copy");
    assert_eq!(error.status(), Status::RuntimeUnavailable);
    assert!(error.message().contains(copy.to_str().unwrap()), "{error}");
}
