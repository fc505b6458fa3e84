//! `ORT_DYLIB_PATH` names the ONNX Runtime library when no option does. Its own test binary, so that ONNX
//! Runtime is not loaded yet when it starts.

mod common;

use std::path::Path;

use spladerunner::{Expander, Options, Status};

#[test]
fn ort_dylib_path_is_used_when_no_option_names_a_library() {
    let original =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".cache/onnxruntime/libonnxruntime.so");
    let dir = common::temp_dir("ort-env");
    let copy = dir.join("libonnxruntime.so");
    std::fs::copy(&original, &copy).unwrap();
    std::env::set_var("ORT_DYLIB_PATH", &copy);

    let tiny = common::model("splade-tiny");
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
