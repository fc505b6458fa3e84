//! A model directory that breaks the contract gives an error with the right status and a message naming the
//! problem, never a crash.

mod common;

use std::path::Path;

use spladerunner::{Expander, Options, Status};

/// Opening `dir` must fail with `status` and a message containing every one of `words`.
fn fails(dir: &Path, options: Options, status: Status, words: &[&str]) {
    let error = match Expander::new(dir, options) {
        Ok(_) => panic!("{} opened, but should fail with {status:?}", dir.display()),
        Err(error) => error,
    };
    assert_eq!(error.status(), status, "{error}");
    for word in words {
        assert!(
            error.message().contains(word),
            "message {:?} does not name {word:?}",
            error.message()
        );
    }
}

/// A copy of splade-tiny in a temporary directory, with only the given files.
fn copy_of_tiny(name: &str, files: &[&str]) -> common::TempDir {
    let dir = common::temp_dir(name);
    for file in files {
        std::fs::copy(common::model("splade-tiny").join(file), dir.join(file)).unwrap();
    }
    dir
}

#[test]
fn a_missing_directory_is_model_not_found() {
    let dir = Path::new("/nonexistent/splade-model");
    fails(
        dir,
        Options::default(),
        Status::ModelNotFound,
        &["/nonexistent/splade-model", "does not exist"],
    );
}

#[test]
fn a_file_instead_of_a_directory_is_model_not_found() {
    let file = common::model("splade-tiny").join("config.json");
    fails(
        &file,
        Options::default(),
        Status::ModelNotFound,
        &["is not a directory"],
    );
}

#[test]
fn a_missing_tokenizer_is_model_not_found() {
    let dir = copy_of_tiny("no-tokenizer", &["model.onnx", "config.json"]);
    fails(
        &dir,
        Options::default(),
        Status::ModelNotFound,
        &["tokenizer.json"],
    );
}

#[test]
fn a_missing_model_file_is_model_not_found() {
    let dir = copy_of_tiny("no-onnx", &["tokenizer.json"]);
    fails(
        &dir,
        Options::default(),
        Status::ModelNotFound,
        &["model.onnx"],
    );
}

#[test]
fn a_truncated_model_is_invalid() {
    let dir = copy_of_tiny("truncated", &["tokenizer.json", "config.json"]);
    let bytes = std::fs::read(common::model("splade-tiny").join("model.onnx")).unwrap();
    std::fs::write(dir.join("model.onnx"), &bytes[..bytes.len() / 3]).unwrap();
    fails(
        &dir,
        Options::default(),
        Status::InvalidModel,
        &["model.onnx", "could not be loaded"],
    );
}

#[test]
fn a_corrupt_tokenizer_is_invalid() {
    let dir = copy_of_tiny("bad-tokenizer", &["model.onnx"]);
    std::fs::write(
        dir.join("tokenizer.json"),
        b"{\"version\": \"1.0\", \"model\": 42",
    )
    .unwrap();
    fails(
        &dir,
        Options::default(),
        Status::InvalidModel,
        &["tokenizer.json"],
    );
}

#[test]
fn a_corrupt_config_is_invalid() {
    let dir = copy_of_tiny("bad-config", &["model.onnx", "tokenizer.json"]);
    std::fs::write(dir.join("config.json"), b"{ not json").unwrap();
    fails(
        &dir,
        Options::default(),
        Status::InvalidModel,
        &["config.json", "not valid JSON"],
    );
}

#[test]
fn hidden_states_without_their_decoder_are_invalid() {
    let dir = copy_of_tiny(
        "no-decoder",
        &["model.onnx", "tokenizer.json", "config.json"],
    );
    fails(
        &dir,
        Options::default(),
        Status::InvalidModel,
        &["128", "decoder.safetensors"],
    );
}

#[test]
fn a_truncated_decoder_is_invalid() {
    let dir = copy_of_tiny(
        "bad-decoder",
        &["model.onnx", "tokenizer.json", "config.json"],
    );
    let bytes = std::fs::read(common::model("splade-tiny").join("decoder.safetensors")).unwrap();
    std::fs::write(dir.join("decoder.safetensors"), &bytes[..bytes.len() / 2]).unwrap();
    fails(
        &dir,
        Options::default(),
        Status::InvalidModel,
        &["decoder.safetensors", "weight"],
    );
}

#[test]
fn a_wrong_output_shape_is_invalid_and_named() {
    fails(
        &common::model("bad-output-shape"),
        Options::default(),
        Status::InvalidModel,
        &["no usable output", "[batch, seq, vocab]"],
    );
}

#[test]
fn a_vocabulary_size_that_differs_from_the_tokenizer_is_invalid() {
    fails(
        &common::model("vocab-mismatch"),
        Options::default(),
        Status::InvalidModel,
        &["1000", "30522"],
    );
}

#[test]
fn an_unknown_input_is_invalid_and_named() {
    fails(
        &common::model("bad-input-name"),
        Options::default(),
        Status::InvalidModel,
        &["pixel_values"],
    );
}

#[test]
fn options_out_of_range_are_invalid_arguments() {
    let tiny = common::model("splade-tiny");
    let cases = [
        (Options::default().with_max_length(513), "512"),
        (Options::default().with_max_length(2), "special tokens"),
        (Options::default().with_max_length(0), "max_length"),
        (Options::default().with_top_k(0), "top_k"),
        (Options::default().with_min_weight(-1.0), "min_weight"),
        (Options::default().with_min_weight(f32::NAN), "min_weight"),
        (Options::default().with_sessions(0), "sessions"),
        (Options::default().with_token_budget(0), "token_budget"),
        (
            Options::default().with_intra_op_threads(0),
            "intra_op_threads",
        ),
        (Options::default().with_max_windows(0), "max_windows"),
        (
            Options::default().with_intra_op_threads(257),
            "option intra_op_threads must be at most 256",
        ),
        (
            Options::default().with_intra_op_threads(usize::MAX),
            "option intra_op_threads must be at most 256",
        ),
        (
            Options::default().with_sessions(257),
            "option sessions must be at most 256",
        ),
        (
            Options::default()
                .with_max_length(64)
                .with_max_windows(2)
                .with_window_overlap(62),
            "window_overlap",
        ),
    ];
    for (options, word) in cases {
        fails(&tiny, options, Status::InvalidArgument, &[word]);
    }
}

#[test]
fn a_huge_text_is_truncated_not_fatal() {
    let expander = Expander::new(
        common::model("splade-tiny"),
        Options::default().with_max_length(64),
    )
    .unwrap();
    let start = "The Manhattan Project and its atomic bomb helped bring an end to World War II. ";
    let huge = start.repeat(200_000); // 16 MB
    let vector = expander.expand(&huge).unwrap();
    assert_eq!(vector, expander.expand(&start.repeat(20)).unwrap());
}
