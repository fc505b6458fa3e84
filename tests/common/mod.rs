//! Shared helpers for the integration tests: where `tools/setup.sh` put the models, the parity texts and the
//! reference vectors made by `tools/reference.py` (Python tokenizers + ONNX Runtime + numpy pooling, one text at a
//! time, no padding).
#![allow(dead_code)] // each test binary uses its own subset

use std::path::{Path, PathBuf};

use serde_json::Value;

/// The repository's root: the directory of `tools/setup.sh`, at or above the crate of the test (the library, or a
/// workspace member such as `cli/`).
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .find(|dir| dir.join("tools/setup.sh").is_file())
        .expect("the tests run inside the spladerunner repository")
}

/// A directory under `.cache/models`, failing clearly when the set-up has not run.
pub fn model(name: &str) -> PathBuf {
    let dir = root().join(".cache/models").join(name);
    assert!(
        dir.is_dir(),
        "{} is missing: run `bash tools/setup.sh` (or `make test`)",
        dir.display()
    );
    dir
}

/// A file of the shared test collections: under `$SPLADERUNNER_SHARED/data`, by default `../shared/data` beside
/// the repository.
pub fn shared_data(relative: &str) -> PathBuf {
    let shared = std::env::var_os("SPLADERUNNER_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared"));
    let path = shared.join("data").join(relative);
    assert!(
        path.exists(),
        "{} is missing: set SPLADERUNNER_SHARED to the shared/ directory",
        path.display()
    );
    path
}

/// The texts of `tests/data/parity_texts.json`.
pub fn parity_texts() -> Vec<String> {
    let path = root().join("tests/data/parity_texts.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// One reference vector: the text it came from and its ids and weights.
pub struct Reference {
    pub text: String,
    pub indices: Vec<u32>,
    pub weights: Vec<f32>,
}

/// The reference vectors of the parity texts truncated to `max_length`.
pub fn reference(max_length: usize) -> Vec<Reference> {
    reference_file(&format!("splade-tiny.max{max_length}.jsonl"), max_length)
}

/// The reference vectors of the parity texts truncated to `max_length` on the int8 copy of the default model,
/// each text run alone.
pub fn reference_int8(max_length: usize) -> Vec<Reference> {
    reference_file(
        &format!("splade-tiny-int8.max{max_length}.jsonl"),
        max_length,
    )
}

/// The reference vectors of the parity texts cut into up to `windows` windows of `max_length` tokens that
/// overlap by `overlap` tokens.
pub fn reference_windows(max_length: usize, windows: usize, overlap: usize) -> Vec<Reference> {
    let name = format!("splade-tiny.max{max_length}.windows{windows}.overlap{overlap}.jsonl");
    reference_file(&name, max_length)
}

fn reference_file(name: &str, max_length: usize) -> Vec<Reference> {
    let path = root().join(".cache/reference").join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{} is missing: run `bash tools/setup.sh`", path.display()));
    text.lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line).unwrap();
            assert_eq!(v["max_length"].as_u64(), Some(max_length as u64));
            let numbers = |key: &str| {
                v[key]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_f64().unwrap())
                    .collect()
            };
            let indices: Vec<f64> = numbers("indices");
            let weights: Vec<f64> = numbers("weights");
            Reference {
                text: v["text"].as_str().unwrap().to_string(),
                indices: indices.into_iter().map(|x| x as u32).collect(),
                weights: weights.into_iter().map(|x| x as f32).collect(),
            }
        })
        .collect()
}

/// A fresh empty directory under the system's temporary directory, removed with everything in it when the
/// guard is dropped (so a test leaves nothing behind, whether it passes or fails).
pub struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A new [`TempDir`] whose name holds `name` and this process's id.
pub fn temp_dir(name: &str) -> TempDir {
    let dir = std::env::temp_dir().join(format!("spladerunner-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}
