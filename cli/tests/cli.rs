//! The `spladerunner` command end to end: a real corpus into each engine's format, and bad input that stops
//! with the file name and line number and leaves no output behind.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use spladerunner::{Expander, Format, Options};

fn spladerunner(args: &[&str], stdin: Option<&str>) -> Output {
    let ort = common::root().join(".cache/onnxruntime/libonnxruntime.so");
    let mut child = Command::new(env!("CARGO_BIN_EXE_spladerunner"))
        .args(args)
        .env("ORT_DYLIB_PATH", ort)
        .env("SPLADERUNNER_MODEL", common::model("splade-tiny"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        std::io::Write::write_all(&mut pipe, text.as_bytes()).unwrap();
    }
    drop(pipe);
    child.wait_with_output().unwrap()
}

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn cranfield() -> PathBuf {
    common::shared_data("cranfield/corpus.jsonl")
}

#[test]
fn cranfield_becomes_an_anserini_json_vector_collection() {
    // The collection's directory does not exist yet: the command makes it.
    let dir = common::temp_dir("cli-anserini");
    let out = dir.join("collection/vectors.jsonl");
    let input = cranfield();
    let run = spladerunner(
        &[
            "expand",
            input.to_str().unwrap(),
            "--text-field",
            "title,text",
            "--format",
            "anserini",
            "-o",
            out.to_str().unwrap(),
        ],
        None,
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(
        run.stderr.is_empty(),
        "no progress bar when stderr is not a terminal"
    );
    let corpus: Vec<Value> = lines(&input);
    let vectors = lines(&out);
    assert_eq!(vectors.len(), 1400);
    for (doc, line) in corpus.iter().zip(&vectors) {
        assert_eq!(line["id"], doc["_id"], "ids in input order, as strings");
        let contents = format!(
            "{} {}",
            doc["title"].as_str().unwrap(),
            doc["text"].as_str().unwrap()
        );
        assert_eq!(line["contents"].as_str(), Some(contents.as_str()));
    }
    // Each document's vector is the library's for its title and text, as Anserini impacts at scale 100.
    let expander = Expander::new(common::model("splade-tiny"), Options::default()).unwrap();
    let contents: Vec<&str> = vectors
        .iter()
        .map(|line| line["contents"].as_str().unwrap())
        .collect();
    let expected = expander.expand_batch(&contents).unwrap();
    for (line, vector) in vectors.iter().zip(&expected) {
        let impacts = expander
            .to_json(vector, Format::Impacts { scale: 100.0 })
            .unwrap();
        let impacts: Value = serde_json::from_str(&impacts).unwrap();
        assert!(!impacts.as_object().unwrap().is_empty(), "{}", line["id"]);
        assert_eq!(line["vector"], impacts, "{}", line["id"]);
    }
}

#[test]
fn each_format_comes_out_of_standard_input() {
    let text = "The Manhattan Project and its atomic bomb\nfuel cells\n";
    for format in ["indices", "tokens", "elasticsearch", "anserini", "tei"] {
        let run = spladerunner(&["expand", "--format", format, "--top-k", "8"], Some(text));
        assert!(
            run.status.success(),
            "{format}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        let out: Vec<Value> = String::from_utf8(run.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(out.len(), 2, "{format}");
        for (n, line) in out.iter().enumerate() {
            let id = &line["id"];
            assert!(
                id == &Value::from(n + 1) || id == &Value::from((n + 1).to_string()),
                "{format}: {id}"
            );
            let terms = match &line["vector"] {
                Value::Object(map) if format == "indices" => {
                    map["indices"].as_array().unwrap().len()
                }
                Value::Object(map) => map.len(),
                Value::Array(list) => list.len(),
                other => panic!("{format}: vector {other}"),
            };
            assert!((1..=8).contains(&terms), "{format}: {terms} terms");
        }
    }
}

/// The terms of each line of an `indices` run, as (id, weight) pairs.
fn indices_output(run: &Output) -> Vec<Vec<(u64, f32)>> {
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    (String::from_utf8(run.stdout.clone()).unwrap().lines())
        .map(|line| {
            let line: Value = serde_json::from_str(line).unwrap();
            let ids = line["vector"]["indices"].as_array().unwrap().iter();
            let weights = line["vector"]["values"].as_array().unwrap().iter();
            // Weights are written as the shortest decimal that reads back as the same f32.
            ids.zip(weights)
                .map(|(id, w)| (id.as_u64().unwrap(), w.as_f64().unwrap() as f32))
                .collect()
        })
        .collect()
}

#[test]
fn max_ratio_keeps_only_the_terms_of_at_least_that_share_of_the_largest_weight() {
    let text = "The Manhattan Project and its atomic bomb\nfuel cells\n";
    let full = indices_output(&spladerunner(&["expand"], Some(text)));
    let pruned = indices_output(&spladerunner(&["expand", "--max-ratio", "0.5"], Some(text)));
    assert_eq!(pruned.len(), 2);
    for (all, kept) in full.iter().zip(&pruned) {
        let max = all.iter().map(|t| t.1).fold(0.0, f32::max);
        assert!(kept.iter().all(|t| t.1 >= 0.5 * max), "{kept:?}");
        let expected: Vec<(u64, f32)> = all.iter().copied().filter(|t| t.1 >= 0.5 * max).collect();
        assert!(!expected.is_empty() && expected.len() < all.len());
        assert_eq!(kept, &expected);
    }
    for (flag, value) in [("--max-ratio", "1.5"), ("--alpha-mass", "0")] {
        let run = spladerunner(&["expand", flag, value], None);
        assert!(!run.status.success(), "{flag} {value}");
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(stderr.contains(&flag[2..].replace('-', "_")), "{stderr}");
    }
}

#[test]
fn a_malformed_line_stops_with_its_file_and_line_and_writes_nothing() {
    let dir = common::temp_dir("cli-bad");
    let input = dir.join("bad.jsonl");
    std::fs::write(&input, "{\"id\": 1, \"text\": \"fine\"}\n{\"id\": 2, \"text\": \"fine too\"}\n{\"id\": 3, \"text\": \n")
        .unwrap();
    let out = dir.join("out.jsonl");
    let run = spladerunner(
        &[
            "expand",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ],
        None,
    );
    assert!(!run.status.success());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("bad.jsonl:3: invalid JSON"), "{stderr}");
    assert!(!out.exists(), "no output file");
    let left: Vec<_> = std::fs::read_dir(&*dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        left,
        vec![std::ffi::OsString::from("bad.jsonl")],
        "no temporary file left"
    );
}

#[test]
fn a_missing_field_is_named() {
    let dir = common::temp_dir("cli-field");
    let input = dir.join("docs.jsonl");
    std::fs::write(&input, "{\"id\": \"a\", \"body\": \"x\"}\n").unwrap();
    let run = spladerunner(&["expand", input.to_str().unwrap()], None);
    assert!(!run.status.success());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("docs.jsonl:1: no field \"text\""),
        "{stderr}"
    );
    let run = spladerunner(
        &[
            "expand",
            input.to_str().unwrap(),
            "--text-field",
            "body",
            "--id-field",
            "key",
        ],
        None,
    );
    assert!(String::from_utf8_lossy(&run.stderr).contains("docs.jsonl:1: no id field (\"key\")"));
}

/// Runs `spladerunner args` with standard output into a pipe whose reader has gone, and SIGPIPE blocked (as
/// some harnesses and shells leave it), so that every write fails with a broken pipe instead of killing it.
fn into_a_closed_pipe(args: &[&str]) -> Output {
    use std::os::unix::process::CommandExt;
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let ort = common::root().join(".cache/onnxruntime/libonnxruntime.so");
    let mut command = Command::new(env!("CARGO_BIN_EXE_spladerunner"));
    command
        .args(args)
        .env("ORT_DYLIB_PATH", ort)
        .env("SPLADERUNNER_MODEL", common::model("splade-tiny"))
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped());
    // SAFETY: between fork and exec the closure calls only async-signal-safe functions on a local set.
    unsafe {
        command.pre_exec(|| {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, libc::SIGPIPE);
            libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
            Ok(())
        });
    }
    command.output().unwrap()
}

#[test]
fn a_reader_that_goes_away_ends_the_command_quietly() {
    let input = cranfield();
    for args in [vec!["info"], vec!["expand", input.to_str().unwrap()]] {
        let run = into_a_closed_pipe(&args);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(run.status.success(), "{args:?}: {:?}, {stderr}", run.status);
        assert!(stderr.is_empty(), "{args:?}: {stderr}");
    }
}

#[test]
fn info_describes_the_model() {
    let run = spladerunner(&["info"], None);
    assert!(run.status.success());
    let stdout = String::from_utf8(run.stdout).unwrap();
    for expected in [
        "input_ids: Int64 [-1, -1]",
        "hidden: Float32 [-1, -1, 128]",
        "decoded and pooled by spladerunner",
        "vocabulary  30522 ids",
        "max length  512 tokens",
    ] {
        assert!(stdout.contains(expected), "{expected:?} in\n{stdout}");
    }
}
