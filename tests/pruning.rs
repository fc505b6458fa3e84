//! The engine-style pruning options through `Expander` on splade-tiny: each pruned vector is the unpruned one
//! pruned by a plain reading of the rules (`max_ratio`, `alpha_mass`, alone and with `top_k` and `min_weight`, on
//! single windows and on merged ones).

mod common;

use spladerunner::{Expander, Options, SparseVector};

/// The terms heaviest first, ties to the smaller id.
fn ranked(terms: &[(u32, f32)]) -> Vec<(u32, f32)> {
    let mut ranked = terms.to_vec();
    ranked.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap().then(a.0.cmp(&b.0)));
    ranked
}

/// `full` pruned the plain way, rule after rule: weights `>= min_weight`; then weights `>= max_ratio × the largest`
/// (in f32); then, of the terms left, the smallest count of heaviest terms whose sum reaches `alpha_mass × their
/// total` (every count tried, sums in f64); then the `top_k` heaviest. Ids ascending.
fn oracle(
    full: &SparseVector,
    min_weight: f32,
    max_ratio: Option<f32>,
    alpha_mass: Option<f32>,
    top_k: Option<usize>,
) -> Vec<(u32, f32)> {
    let mut kept: Vec<(u32, f32)> = full.iter().filter(|t| t.1 >= min_weight).collect();
    if let Some(ratio) = max_ratio {
        let max = kept.iter().map(|t| t.1).fold(0.0, f32::max);
        kept.retain(|t| t.1 >= ratio * max);
    }
    if let Some(alpha) = alpha_mass {
        let ranked = ranked(&kept);
        let mass = |terms: &[(u32, f32)]| terms.iter().map(|t| f64::from(t.1)).sum::<f64>();
        let threshold = f64::from(alpha) * mass(&ranked);
        let count = (1..=ranked.len())
            .find(|&k| mass(&ranked[..k]) >= threshold)
            .unwrap_or(ranked.len());
        kept = ranked[..count].to_vec();
    }
    if let Some(k) = top_k {
        kept = ranked(&kept).into_iter().take(k).collect();
    }
    kept.sort_by_key(|t| t.0);
    kept
}

/// Expands the first parity texts with `options` and with `options` minus its pruning, and checks each pruned
/// vector against the oracle applied to the unpruned one; returns how many terms the pruning left out in all.
fn check(
    options: Options,
    min_weight: f32,
    max_ratio: Option<f32>,
    alpha_mass: Option<f32>,
    top_k: Option<usize>,
) -> usize {
    let unpruned_options = Options {
        min_weight: 0.0,
        max_ratio: None,
        alpha_mass: None,
        top_k: None,
        ..options.clone()
    };
    let pruned_options = Options {
        min_weight,
        max_ratio,
        alpha_mass,
        top_k,
        ..options
    };
    let full = Expander::new(common::model("splade-tiny"), unpruned_options).unwrap();
    let pruned = Expander::new(common::model("splade-tiny"), pruned_options.clone()).unwrap();
    let texts = common::parity_texts();
    let texts = &texts[..40];
    let mut dropped = 0;
    for (text, got) in texts.iter().zip(pruned.expand_batch(texts).unwrap()) {
        let all = full.expand(text).unwrap();
        let want = oracle(&all, min_weight, max_ratio, alpha_mass, top_k);
        assert_eq!(
            got.iter().collect::<Vec<_>>(),
            want,
            "{pruned_options:?}: {text:?}"
        );
        assert_eq!(got.is_empty(), all.is_empty(), "{text:?}");
        dropped += all.len() - got.len();
    }
    dropped
}

#[test]
fn max_ratio_keeps_the_terms_of_at_least_that_share_of_the_largest_weight() {
    let expander = Expander::new(
        common::model("splade-tiny"),
        Options::default().with_max_ratio(0.3),
    )
    .unwrap();
    let text = "The Manhattan Project and its atomic bomb helped bring an end to World War II.";
    let vector = expander.expand(text).unwrap();
    let max = vector.weights.iter().copied().fold(0.0, f32::max);
    assert!(!vector.is_empty());
    assert!(vector.weights.iter().all(|&w| w >= 0.3 * max));

    assert!(check(Options::default(), 0.0, Some(0.3), None, None) > 0);
}

#[test]
fn alpha_mass_keeps_the_fewest_heaviest_terms_holding_that_share_of_the_total() {
    assert!(check(Options::default(), 0.0, None, Some(0.5), None) > 0);
}

#[test]
fn the_rules_apply_in_order_after_min_weight_and_the_window_merge() {
    let combined = |options: Options| check(options, 0.1, Some(0.15), Some(0.8), Some(12));
    assert!(combined(Options::default()) > 0);
    // Windows of 32 tokens overlapping by 8: the rules see a text's merged vector, whose largest weight and total
    // may come from different windows.
    let windows = Options::default()
        .with_max_length(32)
        .with_max_windows(8)
        .with_window_overlap(8);
    assert!(combined(windows.clone()) > 0);
    // min_weight alone holds for the merged weights, where a later window's count at half.
    assert!(check(windows.clone(), 0.3, None, None, None) > 0);
    assert!(check(windows.clone(), 0.0, Some(0.3), None, None) > 0);
    assert!(check(windows, 0.0, None, Some(0.5), None) > 0);
}
