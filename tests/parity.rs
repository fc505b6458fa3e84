//! Parity with the independent reference pipeline (`tools/reference.py`): same term ids, weights within 1e-5, on
//! every text of `tests/data/parity_texts.json` (prose, queries, accents, CJK, emoji, empty, whitespace only,
//! texts far over 512 tokens), for each model layout the library accepts, and for the int8 copy.

mod common;

use spladerunner::{Expander, Options, SparseVector};

const TOLERANCE: f32 = 1e-5;

/// Checks every vector against the reference and returns the largest absolute weight difference.
fn compare(label: &str, vectors: &[SparseVector], reference: &[common::Reference]) -> f32 {
    assert_eq!(vectors.len(), reference.len());
    let mut worst = 0.0f32;
    for (i, (ours, theirs)) in vectors.iter().zip(reference).enumerate() {
        assert_eq!(
            ours.indices, theirs.indices,
            "{label}: text {i} ({:?}): term ids differ",
            theirs.text
        );
        for (a, b) in ours.weights.iter().zip(&theirs.weights) {
            worst = worst.max((a - b).abs());
        }
        assert!(
            worst <= TOLERANCE,
            "{label}: text {i}: weight differs by {worst}"
        );
    }
    println!(
        "{label}: {} texts, max abs weight difference {worst:e}",
        vectors.len()
    );
    worst
}

fn parity(model: &str, options: Options, max_length: usize) {
    parity_with(model, options, max_length, &common::reference(max_length));
}

fn parity_with(model: &str, options: Options, max_length: usize, reference: &[common::Reference]) {
    let texts = common::parity_texts();
    assert!(texts.len() >= 100);
    for (text, r) in texts.iter().zip(reference) {
        assert_eq!(
            text, &r.text,
            "the reference was made from other texts: rerun tools/setup.sh"
        );
    }
    let expander = Expander::new(common::model(model), options).unwrap();
    assert_eq!(expander.max_length(), max_length);
    let batch = expander.expand_batch(&texts).unwrap();
    compare(
        &format!("{model} max_length {max_length}, one batch"),
        &batch,
        reference,
    );
    let single: Vec<SparseVector> = texts.iter().map(|t| expander.expand(t).unwrap()).collect();
    compare(
        &format!("{model} max_length {max_length}, one text per call"),
        &single,
        reference,
    );
}

#[test]
fn default_model_at_its_default_max_length_matches_the_reference() {
    // The shipped model stops at the hidden states; the library screens the vocabulary and decodes exactly.
    parity("splade-tiny", Options::default(), 512);
}

#[test]
fn default_model_truncated_to_128_tokens_matches_the_reference() {
    parity("splade-tiny", Options::default().with_max_length(128), 128);
}

#[test]
fn long_texts_tokenized_by_prefix_match_the_reference() {
    // At 32 tokens, texts over 2 KiB take the growing-prefix path; the reference tokenizes them whole.
    parity("splade-tiny", Options::default().with_max_length(32), 32);
}

#[test]
fn long_texts_cut_into_overlapping_windows_match_the_reference() {
    // Up to 4 windows of 128 tokens, 32 shared: the reference runs each window alone and takes the max, later windows at half.
    let options = Options::default()
        .with_max_length(128)
        .with_max_windows(4)
        .with_window_overlap(32);
    let reference = common::reference_windows(128, 4, 32);
    parity_with("splade-tiny", options.clone(), 128, &reference);
    parity_with("splade-tiny-logits", options, 128, &reference);
}

#[test]
fn model_pooling_inside_the_graph_matches_the_reference() {
    parity("splade-tiny-chunked", Options::default(), 512);
}

#[test]
fn logits_model_pooled_by_the_library_matches_the_reference() {
    parity("splade-tiny-logits", Options::default(), 512);
}

#[test]
fn model_with_the_original_input_names_matches_the_reference() {
    parity(
        "splade-tiny-orignames",
        Options::default().with_max_length(128),
        128,
    );
}

#[test]
fn int8_vectors_are_the_reference_pipelines() {
    // The reference: ONNX Runtime's int8 graph from Python, the int8 decoder in numpy. One text per call, as it
    // runs them: ONNX Runtime quantizes a call's activations over the whole call, so a text's vector depends on
    // the texts it shares a call with (no batch comparison here).
    let int8 = Expander::new(
        common::model("splade-tiny-int8"),
        Options::default().with_max_length(128),
    )
    .unwrap();
    let references = common::reference_int8(128);
    assert_eq!(references.len(), common::parity_texts().len());
    let single: Vec<SparseVector> = (references.iter())
        .map(|r| int8.expand(&r.text).unwrap())
        .collect();
    compare(
        "splade-tiny-int8 max_length 128, one text per call",
        &single,
        &references,
    );
}

#[test]
fn small_token_budgets_and_parallel_sessions_do_not_change_results() {
    let options = Options::default()
        .with_token_budget(64)
        .with_sessions(2)
        .with_intra_op_threads(1);
    parity("splade-tiny-logits", options.clone(), 512);
    parity("splade-tiny-chunked", options.clone(), 512);
    parity("splade-tiny", options, 512);
}

#[test]
fn inference_calls_run_side_by_side_do_not_change_results() {
    // With the library's decoder, a batch's calls (many here, at 64 tokens each) run on 3 threads at once, each
    // with its own session and its own decoding.
    let options = Options::default()
        .with_token_budget(64)
        .with_intra_op_threads(3);
    parity("splade-tiny", options, 512);
}

#[test]
fn pruning_keeps_the_heaviest_terms_of_the_full_vector() {
    let texts = common::parity_texts();
    let full = Expander::new(common::model("splade-tiny"), Options::default()).unwrap();
    let pruned = Expander::new(
        common::model("splade-tiny"),
        Options::default().with_top_k(10).with_min_weight(0.5),
    )
    .unwrap();
    for text in texts.iter().take(20) {
        let all = full.expand(text).unwrap();
        let mut expected: Vec<(u32, f32)> = all.iter().filter(|t| t.1 >= 0.5).collect();
        expected.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        expected.truncate(10);
        expected.sort_by_key(|t| t.0);
        let got: Vec<(u32, f32)> = pruned.expand(text).unwrap().iter().collect();
        assert_eq!(got, expected, "{text:?}");
    }
}
