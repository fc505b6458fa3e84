//! ONNX Runtime's telemetry stays off: opening a model and expanding a text writes nothing under the user's home
//! directory. Each run is a child process (ONNX Runtime reads its telemetry switch once, when it is loaded), with
//! a fresh home directory and without `CI` (ONNX Runtime keeps its telemetry off when `CI` is `true`, as on the
//! machine that runs this project's CI, where a user's machine would have it on).

mod common;

use std::path::Path;
use std::process::Command;

use spladerunner::{Expander, Options};

/// Set in the child processes that [`onnx_runtime_writes_nothing_under_home`] starts.
const CHILD: &str = "SPLADERUNNER_TELEMETRY_CHILD";

/// The child's work: open the default model and expand a text (nothing when run as an ordinary test).
#[test]
fn child_expands_a_text() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let expander = Expander::new(common::model("splade-tiny"), Options::default()).unwrap();
    assert!(!expander.expand("atomic energy").unwrap().is_empty());
}

/// Runs [`child_expands_a_text`] with `home` as its home directory and ONNX Runtime's switch set to `switch`
/// (`None`: unset).
fn expand_in_child(home: &Path, switch: Option<&str>) {
    let mut child = Command::new(std::env::current_exe().unwrap());
    child
        .args(["--exact", "child_expands_a_text", "--test-threads", "1"])
        .env(CHILD, "1")
        .env("HOME", home)
        .env_remove("XDG_CACHE_HOME")
        .env_remove("CI");
    match switch {
        Some(value) => child.env("ORT_DISABLE_TELEMETRY", value),
        None => child.env_remove("ORT_DISABLE_TELEMETRY"),
    };
    let status = child.status().unwrap();
    assert!(status.success(), "the child failed: {status}");
}

#[test]
fn onnx_runtime_writes_nothing_under_home() {
    let written = |home: &Path| home.join(".cache/Microsoft").exists();
    // The oracle: ONNX Runtime with its telemetry on (a user may ask for it) writes its database under the home
    // directory it is given, so the check below can fail.
    let home = common::temp_dir("telemetry-on");
    expand_in_child(&home, Some("0"));
    assert!(
        written(&home),
        "ONNX Runtime wrote nothing with telemetry on"
    );
    // Left to the library, nothing is written.
    let home = common::temp_dir("telemetry-default");
    expand_in_child(&home, None);
    assert!(
        !written(&home),
        "ONNX Runtime wrote under {}",
        home.display()
    );
}
