//! ONNX Runtime that cannot be loaded is an error returned to the caller, and a later call with a good library
//! still works. Its own test binary, so that no other test has loaded ONNX Runtime first.

mod common;

use std::ffi::{CStr, CString};

use spladerunner::{Expander, Options, Status};

/// The dynamic linker's own reason why `path` does not open (`dlerror` after `dlopen`), asked directly.
fn dlerror_of(path: &str) -> String {
    let name = CString::new(path).unwrap();
    // SAFETY: `name` is NUL-terminated; the paths asked here are not loadable libraries, so nothing is loaded.
    let handle = unsafe { libc::dlopen(name.as_ptr(), libc::RTLD_NOW) };
    assert!(handle.is_null(), "{path} opened");
    // SAFETY: dlopen just failed on this thread, so dlerror returns its message, NUL-terminated.
    let reason = unsafe { CStr::from_ptr(libc::dlerror()) };
    reason.to_str().unwrap().to_string()
}

#[test]
fn a_missing_or_wrong_library_is_an_error_then_the_right_one_loads() {
    let tiny = common::model("splade-tiny");
    let missing = Options::default().with_ort_library_path("/nonexistent/libonnxruntime.so");
    let error = Expander::new(&tiny, missing)
        .err()
        .expect("a missing ONNX Runtime must fail");
    assert_eq!(error.status(), Status::RuntimeUnavailable);
    assert!(
        error.message().contains("/nonexistent/libonnxruntime.so"),
        "{error}"
    );
    // The system's reason, not only "dlopen failed".
    let reason = dlerror_of("/nonexistent/libonnxruntime.so");
    assert!(reason.contains("No such file or directory"), "{reason}");
    assert!(error.message().contains(&reason), "{error}");

    // A file that is no shared library at all.
    let dir = common::temp_dir("not-a-library");
    let text = dir.join("libonnxruntime.so");
    std::fs::write(&text, "not a library").unwrap();
    let error = Expander::new(&tiny, Options::default().with_ort_library_path(&text))
        .err()
        .expect("a text file must fail");
    assert_eq!(error.status(), Status::RuntimeUnavailable);
    let reason = dlerror_of(text.to_str().unwrap());
    assert!(error.message().contains(&reason), "{error}");

    // A shared library that is not ONNX Runtime.
    let not_ort = Options::default().with_ort_library_path("/lib/x86_64-linux-gnu/libm.so.6");
    let error = Expander::new(&tiny, not_ort)
        .err()
        .expect("a library without the ONNX Runtime API must fail");
    assert_eq!(error.status(), Status::RuntimeUnavailable);
    assert!(error.message().contains("OrtGetApiBase"), "{error}");

    // A relative path is taken from the working directory (the package root under `cargo test`).
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).unwrap();
    let path = ".cache/onnxruntime/libonnxruntime.so";
    let expander = Expander::new(&tiny, Options::default().with_ort_library_path(path)).unwrap();
    assert!(!expander.expand("atomic energy").unwrap().is_empty());

    // Once loaded, the default lookup reuses it, and asking for another library is a clear error.
    assert!(Expander::new(&tiny, Options::default()).is_ok());
    let other = Options::default().with_ort_library_path("/lib/x86_64-linux-gnu/libm.so.6");
    let error = Expander::new(&tiny, other)
        .err()
        .expect("a second ONNX Runtime must be refused");
    assert_eq!(error.status(), Status::RuntimeUnavailable);
    assert!(error.message().contains("already loaded"), "{error}");
}
