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

/// A copy of splade-tiny in a temporary directory, with only the given files; `model.onnx` comes with the
/// weights it keeps beside it (`model.onnx_data`).
fn copy_of_tiny(name: &str, files: &[&str]) -> common::TempDir {
    let dir = common::temp_dir(name);
    let graph_data = files.contains(&"model.onnx").then_some("model.onnx_data");
    for file in files.iter().copied().chain(graph_data) {
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

/// The graph's weights beside it (`model.onnx_data`, as tools/convert.py writes splade-tiny's): missing, cut
/// short, or not a regular file, the model is invalid and the message names the problem.
#[test]
fn graph_weights_that_are_missing_short_or_not_a_file_are_invalid() {
    let full = std::fs::read(common::model("splade-tiny").join("model.onnx_data")).unwrap();
    let dir = copy_of_tiny(
        "no-graph-data",
        &["model.onnx", "tokenizer.json", "config.json"],
    );
    std::fs::remove_file(dir.join("model.onnx_data")).unwrap();
    fails(
        &dir,
        Options::default(),
        Status::InvalidModel,
        &[
            "model.onnx could not be loaded",
            "model.onnx_data",
            "does not exist",
        ],
    );
    std::fs::write(dir.join("model.onnx_data"), &full[..full.len() / 2]).unwrap();
    fails(
        &dir,
        Options::default(),
        Status::InvalidModel,
        &["model.onnx could not be loaded", "out of bounds"],
    );
    std::fs::remove_file(dir.join("model.onnx_data")).unwrap();
    // A FIFO would block ONNX Runtime's read for ever: refused before it is opened.
    let path = std::ffi::CString::new(
        dir.join("model.onnx_data")
            .into_os_string()
            .into_encoded_bytes(),
    )
    .unwrap();
    // SAFETY: `path` is a NUL-terminated path that lives across the call.
    assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o600) }, 0);
    fails(
        &dir,
        Options::default(),
        Status::InvalidModel,
        &["model.onnx_data is not a regular file: it is a FIFO"],
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

/// The length of a safetensors file's JSON header, from its first 8 bytes.
fn header_len(bytes: &[u8]) -> usize {
    u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize
}

#[test]
fn a_truncated_decoder_is_invalid() {
    let dir = copy_of_tiny(
        "bad-decoder",
        &["model.onnx", "tokenizer.json", "config.json"],
    );
    let bytes = std::fs::read(common::model("splade-tiny").join("decoder.safetensors")).unwrap();
    std::fs::write(dir.join("decoder.safetensors"), &bytes[..bytes.len() / 2]).unwrap();
    // The message names the file's length against the length its tensors need.
    let length = format!("is {} bytes long", bytes.len() / 2);
    let needed = format!("cover {}", bytes.len() - 8 - header_len(&bytes));
    fails(
        &dir,
        Options::default(),
        Status::InvalidModel,
        &["decoder.safetensors", &length, &needed],
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
        (Options::default().with_max_ratio(1.5), "max_ratio"),
        (Options::default().with_max_ratio(f32::NAN), "max_ratio"),
        (Options::default().with_alpha_mass(0.0), "alpha_mass"),
        (
            Options::default().with_alpha_mass(f32::INFINITY),
            "alpha_mass",
        ),
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

/// A copy of every file of the model directory `model` in a temporary directory.
fn copy_of(name: &str, model: &str) -> common::TempDir {
    let dir = common::temp_dir(name);
    for entry in std::fs::read_dir(common::model(model)).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
    }
    dir
}

/// A copy of `model` whose `decoder.safetensors` holds `value` at `index` of the float32 tensor `tensor`, found
/// through the file's own header (a little-endian u64 length, then JSON with each tensor's data offsets).
fn with_decoder_value(
    name: &str,
    model: &str,
    tensor: &str,
    index: usize,
    value: f32,
) -> common::TempDir {
    let dir = copy_of(name, model);
    let path = dir.join("decoder.safetensors");
    let mut bytes = std::fs::read(&path).unwrap();
    let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + header_len]).unwrap();
    assert_eq!(header[tensor]["dtype"], "F32");
    let start = 8 + header_len + header[tensor]["data_offsets"][0].as_u64().unwrap() as usize;
    let at = start + 4 * index;
    bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
    std::fs::write(&path, bytes).unwrap();
    dir
}

#[test]
fn non_finite_decoder_values_are_invalid_and_named() {
    let cases = [
        ("splade-tiny", "weight", 1000, f32::NAN, "NaN"),
        ("splade-tiny", "weight", 0, f32::NEG_INFINITY, "-inf"),
        ("splade-tiny", "bias", 5, f32::INFINITY, "inf"),
        ("splade-tiny-int8", "scale", 3, f32::NAN, "NaN"),
        ("splade-tiny-int8", "bias", 30521, f32::NAN, "NaN"),
    ];
    for (model, tensor, index, value, shown) in cases {
        let dir = with_decoder_value("non-finite", model, tensor, index, value);
        fails(
            &dir,
            Options::default(),
            Status::InvalidModel,
            &[
                "decoder.safetensors",
                &format!("tensor '{tensor}' holds a non-finite value ({shown}) at index {index}"),
            ],
        );
    }
}

#[test]
fn a_negative_int8_scale_is_invalid_and_a_zero_one_is_a_row_of_zeros() {
    let dir = with_decoder_value("negative-scale", "splade-tiny-int8", "scale", 7, -0.5);
    fails(
        &dir,
        Options::default(),
        Status::InvalidModel,
        &[
            "decoder.safetensors",
            "tensor 'scale' holds a negative scale (-0.5) at index 7",
        ],
    );
    // A zero scale is what tools/quantize.py writes for a row of zeros: the row's logit is then its bias alone.
    let dir = with_decoder_value("zero-scale", "splade-tiny-int8", "scale", 7, 0.0);
    let expander = Expander::new(&*dir, Options::default()).unwrap();
    assert!(!expander.expand("atomic energy").unwrap().is_empty());
}

/// A copy of splade-tiny whose `file` (a JSON object) has `key` set to `value`, written as JSON text.
fn with_json_value(name: &str, file: &str, key: &str, value: &str) -> common::TempDir {
    let dir = copy_of(name, "splade-tiny");
    let path = dir.join(file);
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    json[key] = serde_json::from_str(value).unwrap();
    std::fs::write(&path, serde_json::to_string(&json).unwrap()).unwrap();
    dir
}

#[test]
fn config_lengths_out_of_range_are_invalid_and_name_the_key_and_file() {
    let cases = [
        ("config.json", "max_position_embeddings", "0"),
        ("config.json", "max_position_embeddings", "-5"),
        ("config.json", "max_position_embeddings", "511.5"),
        ("config.json", "max_position_embeddings", "\"512\""),
        (
            "config.json",
            "max_position_embeddings",
            "9223372036854775808",
        ),
        ("config.json", "max_position_embeddings", "16777217"),
        ("tokenizer_config.json", "model_max_length", "0"),
        ("tokenizer_config.json", "model_max_length", "-1"),
    ];
    for (file, key, value) in cases {
        let dir = with_json_value("bad-length", file, key, value);
        fails(
            &dir,
            Options::default(),
            Status::InvalidModel,
            &[file, key, value],
        );
    }
}

/// A limit that leaves no room for a text token besides `[CLS]` and `[SEP]` (found by the `model_dir` fuzz
/// target: 1 overflowed the room left in a window, 2 left windows that could hold no text).
#[test]
fn config_lengths_with_no_room_beside_the_special_tokens_are_invalid_and_name_the_key_and_file() {
    for (file, key, value) in [
        ("config.json", "max_position_embeddings", "1"),
        ("config.json", "max_position_embeddings", "2"),
        ("tokenizer_config.json", "model_max_length", "1"),
        ("tokenizer_config.json", "model_max_length", "2"),
    ] {
        let dir = with_json_value("no-room", file, key, value);
        fails(
            &dir,
            Options::default(),
            Status::InvalidModel,
            &[
                &format!("{key} of {}", dir.join(file).display()),
                &format!("is {value}"),
                "adds 2 special tokens",
                "at least 3",
            ],
        );
    }
    // The smallest limit that leaves room: windows of one text token.
    let dir = with_json_value(
        "room-for-one",
        "config.json",
        "max_position_embeddings",
        "3",
    );
    let expander = Expander::new(&*dir, Options::default()).unwrap();
    assert_eq!(expander.max_length(), 3);
    assert_eq!(
        expander.expand("atomic").unwrap(),
        expander.expand("atomic energy").unwrap()
    );
}

#[test]
fn config_lengths_in_range_are_limits_and_a_huge_model_max_length_is_none() {
    let cases = [
        ("config.json", "max_position_embeddings", "128", 128),
        ("config.json", "max_position_embeddings", "null", 512),
        ("config.json", "max_position_embeddings", "16777216", 512),
        ("tokenizer_config.json", "model_max_length", "100", 100),
        // What the transformers library writes for a tokenizer with no limit of its own.
        (
            "tokenizer_config.json",
            "model_max_length",
            "1000000000000000019884624838656",
            512,
        ),
    ];
    for (file, key, value, max_length) in cases {
        let dir = with_json_value("good-length", file, key, value);
        let expander = Expander::new(&*dir, Options::default()).unwrap();
        assert_eq!(expander.max_length(), max_length, "{key} {value}");
    }
}

#[test]
fn a_decoder_that_is_not_a_regular_file_is_named_not_missing() {
    let dir = copy_of_tiny("dev-zero", &["model.onnx", "tokenizer.json", "config.json"]);
    std::os::unix::fs::symlink("/dev/zero", dir.join("decoder.safetensors")).unwrap();
    fails(
        &dir,
        Options::default(),
        Status::InvalidModel,
        &["decoder.safetensors is not a regular file: it is a character device"],
    );
    let dir = copy_of_tiny(
        "dir-decoder",
        &["model.onnx", "tokenizer.json", "config.json"],
    );
    std::fs::create_dir(dir.join("decoder.safetensors")).unwrap();
    fails(
        &dir,
        Options::default(),
        Status::InvalidModel,
        &["decoder.safetensors is not a regular file: it is a directory"],
    );
}

#[test]
fn a_dangling_symlink_is_named_not_missing() {
    let dir = copy_of_tiny("dangling", &["model.onnx", "tokenizer.json", "config.json"]);
    let target = dir.join("blobs/decoder");
    std::os::unix::fs::symlink(&target, dir.join("decoder.safetensors")).unwrap();
    fails(
        &dir,
        Options::default(),
        Status::InvalidModel,
        &[&format!(
            "decoder.safetensors is a symbolic link to {}, which does not exist",
            target.display()
        )],
    );
}

#[test]
fn a_symlink_loop_is_reported_with_the_systems_reason() {
    for file in ["model.onnx", "config.json", "decoder.safetensors"] {
        let dir = copy_of("loop", "splade-tiny");
        let link = dir.join(file);
        std::fs::remove_file(&link).unwrap();
        std::os::unix::fs::symlink(&link, &link).unwrap();
        // The system's own words for the loop ("Too many levels of symbolic links"), from the same lookup.
        let reason = std::fs::metadata(&link).unwrap_err();
        assert_eq!(reason.raw_os_error(), Some(libc::ELOOP));
        fails(
            &dir,
            Options::default(),
            Status::InvalidModel,
            &[&format!("{file} cannot be reached: {reason}")],
        );
    }
}

#[test]
fn a_model_directory_that_is_a_symlink_loop_or_leads_nowhere_is_named() {
    let dir = common::temp_dir("dir-links");
    let looped = dir.join("looped");
    std::os::unix::fs::symlink(&looped, &looped).unwrap();
    let reason = std::fs::metadata(&looped).unwrap_err();
    assert_eq!(reason.raw_os_error(), Some(libc::ELOOP));
    fails(
        &looped,
        Options::default(),
        Status::InvalidModel,
        &[&format!(
            "model directory {} cannot be reached: {reason}",
            looped.display()
        )],
    );
    let dangling = dir.join("dangling");
    std::os::unix::fs::symlink(dir.join("gone"), &dangling).unwrap();
    fails(
        &dangling,
        Options::default(),
        Status::InvalidModel,
        &[
            "dangling is a symbolic link to",
            "gone, which does not exist",
        ],
    );
}

#[test]
fn a_tokenizer_of_another_vocabulary_size_is_a_vocabulary_mismatch() {
    let dir = copy_of("small-vocab", "splade-tiny");
    let path = dir.join("tokenizer.json");
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let vocab = json["model"]["vocab"].as_object_mut().unwrap();
    assert_eq!(vocab.len(), 30522);
    vocab.retain(|_, id| id.as_u64().unwrap() < 30000);
    std::fs::write(&path, serde_json::to_string(&json).unwrap()).unwrap();
    fails(
        &dir,
        Options::default(),
        Status::InvalidModel,
        &[
            "decoder.safetensors",
            "the model's vocabulary has 30522 ids",
            "tokenizer.json has 30000 tokens",
        ],
    );
}
