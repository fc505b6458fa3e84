//! ONNX Runtime found by bare name through the dynamic linker's search path is recorded under the file it
//! resolved to, so naming that file explicitly later is accepted. Its own test binary, so that ONNX Runtime is
//! not loaded yet when it starts.

mod common;

use std::path::Path;

use spladerunner::{Expander, Options};

#[test]
fn a_library_found_on_the_search_path_can_later_be_named_explicitly() {
    std::env::remove_var("ORT_DYLIB_PATH");
    let tiny = common::model("splade-tiny");
    // Found by bare name (through LD_LIBRARY_PATH under cargo, or the RUNPATH build.rs gives test binaries).
    Expander::new(&tiny, Options::default()).unwrap();
    // The error for another library names the file that was loaded: a real, absolute path.
    let other = Options::default().with_ort_library_path("/nonexistent/libonnxruntime.so");
    let message = Expander::new(&tiny, other)
        .err()
        .unwrap()
        .message()
        .to_string();
    let loaded = message
        .strip_prefix("ONNX Runtime is already loaded in this process from ")
        .and_then(|rest| rest.split("; ").next())
        .unwrap_or_else(|| panic!("unexpected message: {message}"));
    assert!(
        Path::new(loaded).is_absolute() && Path::new(loaded).is_file(),
        "{loaded}"
    );
    let explicit = Expander::new(&tiny, Options::default().with_ort_library_path(loaded));
    assert!(explicit.is_ok(), "{:?}", explicit.err());
}
