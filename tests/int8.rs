//! The int8 copy of the default model (`tools/quantize.py`) runs through the same API (its parity with the
//! reference pipeline is in `parity.rs`) and gives vectors close to the float32 model's: its retrieval quality is measured on SciFact by the eval example (EVALUATION.md);
//! here the vectors of the parity texts must point the same way.

mod common;

use std::collections::HashMap;

use spladerunner::{Expander, Options, SparseVector};

fn cosine(a: &SparseVector, b: &SparseVector) -> f64 {
    let b_terms: HashMap<u32, f32> = b.iter().collect();
    let dot: f64 = a
        .iter()
        .map(|(id, w)| w as f64 * *b_terms.get(&id).unwrap_or(&0.0) as f64)
        .sum();
    let norm = |v: &SparseVector| {
        v.weights
            .iter()
            .map(|&w| (w as f64).powi(2))
            .sum::<f64>()
            .sqrt()
    };
    dot / (norm(a) * norm(b))
}

#[test]
fn int8_vectors_point_like_float32_vectors() {
    let texts = common::parity_texts();
    let fp32 = Expander::new(common::model("splade-tiny"), Options::default()).unwrap();
    let int8 = Expander::new(common::model("splade-tiny-int8"), Options::default()).unwrap();
    let a = fp32.expand_batch(&texts).unwrap();
    let b = int8.expand_batch(&texts).unwrap();
    let cosines: Vec<f64> = a.iter().zip(&b).map(|(x, y)| cosine(x, y)).collect();
    let mean = cosines.iter().sum::<f64>() / cosines.len() as f64;
    let worst = cosines.iter().copied().fold(f64::INFINITY, f64::min);
    println!(
        "int8 vs float32 cosine over {} texts: mean {mean:.4}, min {worst:.4}",
        cosines.len()
    );
    assert!(mean >= 0.99, "mean cosine {mean}");
    assert!(worst >= 0.90, "min cosine {worst}");
}

#[test]
fn int8_vectors_do_not_depend_on_how_calls_are_spread_over_threads() {
    // One thread, calls in turn; against 3 threads running the same calls (many, at 64 tokens each) side by
    // side. Each call's activations are quantized per call (ONNX Runtime's dynamic quantization), so the token
    // budget stays the same; the threads must not change a bit.
    let texts = common::parity_texts();
    let model = common::model("splade-tiny-int8");
    let options = Options::default().with_token_budget(64);
    let one = Expander::new(&model, options.clone().with_intra_op_threads(1)).unwrap();
    let three = Expander::new(&model, options.with_intra_op_threads(3)).unwrap();
    let a = one.expand_batch(&texts).unwrap();
    let b = three.expand_batch(&texts).unwrap();
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        assert_eq!(x, y, "text {i}: {:?}", texts[i]);
    }
}
