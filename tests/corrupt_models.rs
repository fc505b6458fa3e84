//! The corrupt-model corpus (`tools/corrupt_models.py`, written by `tools/setup.sh` under
//! `.cache/corrupt-models/`): every case is opened with `Expander::new` and must give the status and the message
//! word its manifest names, within a time limit and without a panic. The manifest's expectations come from the
//! model directory contract and the file formats, not from the library.

mod common;

use std::ffi::OsStr;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;
use spladerunner::{Expander, Options};

/// How long one open may take before the case counts as hanging: every case is one small model directory, so
/// this is only reached by an open that blocks (on a FIFO or a device, say) or loops.
const OPEN_LIMIT: Duration = Duration::from_secs(60);

/// What opening a case gave: the status name, and the error message or, for a model that opened, what was wrong
/// with the vector of a text (empty when nothing was: a model that opens must also expand, or the open only
/// looked right).
type Outcome = (String, String);

/// Opens `dir` on a thread of its own: `None` when the library panicked, `Err` when it took longer than
/// [`OPEN_LIMIT`] (the thread is left behind, and the test fails).
fn open(dir: PathBuf) -> Result<Option<Outcome>, ()> {
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        let outcome = match Expander::new(&dir, Options::default()) {
            Ok(expander) => {
                let problem = match expander.expand("atomic energy") {
                    Ok(vector) if vector.is_empty() => "the vector of a text is empty".to_string(),
                    Ok(_) => String::new(),
                    Err(error) => format!("expanding a text failed: {error}"),
                };
                ("SPLADE_STATUS_OK".to_string(), problem)
            }
            Err(error) => (
                error.status().name().to_string(),
                error.message().to_string(),
            ),
        };
        let _ = send.send(outcome);
    });
    match receive.recv_timeout(OPEN_LIMIT) {
        Ok(outcome) => Ok(Some(outcome)),
        Err(mpsc::RecvTimeoutError::Disconnected) => Ok(None),
        Err(mpsc::RecvTimeoutError::Timeout) => Err(()),
    }
}

/// The process runs as root, which reads a file whatever its mode (CI runs as root).
fn runs_as_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Writes `line` to the standard error stream itself, which the test harness does not capture (it captures
/// `println!` and `eprintln!`), so that a skipped case shows in every run.
fn loud(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

#[test]
fn every_corrupt_model_gives_its_status_and_names_the_cause() {
    let corpus = common::root().join(".cache/corrupt-models");
    let manifest = corpus.join("manifest.json");
    let text = std::fs::read_to_string(&manifest).unwrap_or_else(|e| {
        panic!(
            "{} cannot be read ({e}): run `bash tools/setup.sh`",
            manifest.display()
        )
    });
    let manifest: Value = serde_json::from_str(&text).unwrap();
    let cases = manifest["cases"].as_array().unwrap();

    // Every entry of the corpus is a case of the manifest, and every case is there: none goes untested.
    let mut entries: Vec<String> = std::fs::read_dir(&corpus)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name != "manifest.json")
        .collect();
    let mut names: Vec<String> = cases
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    entries.sort();
    names.sort();
    assert_eq!(entries, names, "the corpus and its manifest differ");

    let as_root = runs_as_root();
    let mut failures = Vec::new();
    let mut skipped = 0;
    for case in cases {
        let name = case["name"].as_str().unwrap();
        if let Some(reason) = case["known_wrong"].as_str() {
            loud(&format!(
                "SKIPPED {name}: the library's answer is known to be wrong: {reason}"
            ));
            skipped += 1;
            continue;
        }
        let mut dir = corpus.join(name);
        if let Some(hex) = case["open_hex"].as_str() {
            let bytes: Vec<u8> = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect();
            dir.push(OsStr::from_bytes(&bytes));
        }
        let expected = match &case["as_root"] {
            Value::Object(root) if as_root => root,
            _ => case.as_object().unwrap(),
        };
        let status = expected["status"].as_str().unwrap();
        let word = expected["word"].as_str().unwrap_or_default();
        let found = match open(dir) {
            Err(()) => {
                failures.push(format!("{name}: still opening after {OPEN_LIMIT:?}"));
                continue;
            }
            Ok(None) => {
                failures.push(format!("{name}: the library panicked"));
                continue;
            }
            Ok(Some(found)) => found,
        };
        println!("{name}: {} {:?}", found.0, found.1);
        // A model that must open must also expand well; a model that must fail must name the cause.
        let right = found.0 == status
            && match status {
                "SPLADE_STATUS_OK" => found.1.is_empty(),
                _ => found.1.contains(word),
            };
        if !right {
            failures.push(format!(
                "{name}: expected {status} with {word:?}, got {} {:?}",
                found.0, found.1
            ));
        }
    }
    loud(&format!(
        "corrupt models: {} cases, {skipped} skipped as known wrong{}",
        cases.len(),
        if as_root {
            " (run as root: unreadable files are read)"
        } else {
            ""
        }
    ));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
