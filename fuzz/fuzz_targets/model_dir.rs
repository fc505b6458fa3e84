//! Model directories: one of the set-up's good model directories with one file rewritten by the input, opened
//! with `splade_expander_new`, and a text expanded when it opens.
//!
//! The input: a byte choosing the base directory ([`BASES`]), a byte choosing the file ([`FILES`]: every file the
//! library reads), a byte choosing how it is rewritten, a little-endian u32 offset, then the payload. The file
//! is replaced by the payload (mode 0), has the payload written over it at the offset (mode 1; past its end it
//! grows), or is cut at the offset and the payload put after (mode 2); the offset is taken modulo the file's
//! length plus one. The other files are symbolic links to the base's. This reaches what the corrupt-model corpus
//! (`tools/corrupt_models.py`) samples, truncations, random bytes, edited JSON and safetensors headers, and
//! everything between.
//!
//! Every file exists, so the open must succeed or fail as a model that cannot be used
//! (`SPLADE_STATUS_INVALID_MODEL`), a model whose limits leave the default options nothing to honour
//! (`SPLADE_STATUS_INVALID_ARGUMENT`) or one that asks for more memory than there is
//! (`SPLADE_STATUS_OUT_OF_MEMORY`), never with a panic or another status. An opened expander must expand a text
//! into a vector that keeps the header's rules (a corrupt weight must not come out as NaN, say), or fail as the
//! header allows a run to fail.

#![no_main]

use std::fs;
use std::path::{Path, PathBuf};

use libfuzzer_sys::fuzz_target;
use spladerunner_fuzz::{models, scratch, status, Expander, Options};

/// The base directories: the library's decoder in float32 and in int8, and a graph that ends in logits.
const BASES: [&str; 3] = ["splade-tiny", "splade-tiny-int8", "splade-tiny-logits"];

/// The files the library reads from a model directory.
const FILES: [&str; 6] = [
    "config.json",
    "tokenizer_config.json",
    "tokenizer.json",
    "decoder.safetensors",
    "model.onnx",
    "model.onnx_data",
];

/// The text expanded with a model that opens.
const TEXT: &[u8] = b"atomic energy";

/// This process's model directory, emptied after each input.
fn directory() -> PathBuf {
    scratch().join(format!("model_dir-{}", std::process::id()))
}

/// Writes the model directory `dir`: `base`'s files linked, but `file`, which is `base`'s (empty when `base`
/// has none) rewritten in `mode` at `offset` with `payload`.
fn write_model(dir: &Path, base: &Path, file: &str, mode: u8, offset: u32, payload: &[u8]) {
    fs::create_dir_all(dir).expect("the scratch directory can be made");
    for name in FILES.iter().filter(|&&name| name != file) {
        let original = base.join(name);
        if original.exists() {
            std::os::unix::fs::symlink(&original, dir.join(name)).expect("a link can be made");
        }
    }
    let mut bytes = fs::read(base.join(file)).unwrap_or_default();
    let at = offset as usize % (bytes.len() + 1);
    match mode % 3 {
        0 => bytes = payload.to_vec(),
        1 => {
            let end = at + payload.len();
            if end > bytes.len() {
                bytes.resize(end, 0);
            }
            bytes[at..end].copy_from_slice(payload);
        }
        _ => {
            bytes.truncate(at);
            bytes.extend_from_slice(payload);
        }
    }
    fs::write(dir.join(file), bytes).expect("the rewritten file can be written");
}

fuzz_target!(|data: &[u8]| {
    let Some((&[base, file, mode, o0, o1, o2, o3], payload)) = data.split_first_chunk::<7>() else {
        return;
    };
    let base = models().join(BASES[usize::from(base) % BASES.len()]);
    let file = FILES[usize::from(file) % FILES.len()];
    let dir = directory();
    // A directory left by an input that failed a check.
    let _ = fs::remove_dir_all(&dir);
    write_model(
        &dir,
        &base,
        file,
        mode,
        u32::from_le_bytes([o0, o1, o2, o3]),
        payload,
    );

    match Expander::open(&dir, &Options::new()) {
        Err(failure) => assert!(
            [
                status::INVALID_MODEL,
                status::INVALID_ARGUMENT,
                status::OUT_OF_MEMORY
            ]
            .contains(&failure.status),
            "{file} rewritten: {failure:?}"
        ),
        Ok(expander) => {
            assert!(expander.vocab_size() > 0, "{file} rewritten: no vocabulary");
            assert!(expander.max_length() > 0, "{file} rewritten: max_length 0");
            match expander.expand(TEXT) {
                Ok(terms) => {
                    expander.check(&terms, &format!("{file} rewritten"));
                }
                Err(failure) => assert!(
                    [
                        status::TOKENIZATION,
                        status::INFERENCE,
                        status::INVALID_MODEL,
                        status::OUT_OF_MEMORY
                    ]
                    .contains(&failure.status),
                    "{file} rewritten: the text failed with {failure:?}"
                ),
            }
        }
    }
    fs::remove_dir_all(&dir).expect("the scratch directory can be removed");
});
