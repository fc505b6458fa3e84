//! The sparse vector a text becomes, and the pruning applied while building it.

use std::cmp::Ordering;

/// A SPLADE vector: vocabulary ids in ascending order and their weights, all greater than zero.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SparseVector {
    /// Vocabulary ids, ascending and unique.
    pub indices: Vec<u32>,
    /// `weights[i]` is the weight of `indices[i]`; every weight is `> 0`.
    pub weights: Vec<f32>,
}

impl SparseVector {
    /// The number of terms.
    pub fn len(&self) -> usize {
        self.indices.len()
    }

    /// True when no term has a weight above zero.
    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }

    /// The terms as `(id, weight)` pairs, ids ascending.
    pub fn iter(&self) -> impl Iterator<Item = (u32, f32)> + '_ {
        self.indices
            .iter()
            .copied()
            .zip(self.weights.iter().copied())
    }

    /// The vector with only the terms of weight `>= min_weight` and, when `top_k` is set, the `top_k` heaviest
    /// of those (ties go to the smaller id); ids stay ascending.
    pub fn pruned(&self, min_weight: f32, top_k: Option<usize>) -> SparseVector {
        let mut terms: Vec<(u32, f32)> = self.iter().filter(|&(_, w)| w >= min_weight).collect();
        if let Some(k) = top_k.filter(|&k| k < terms.len()) {
            terms.select_nth_unstable_by(k, heaviest_first);
            terms.truncate(k);
            terms.sort_unstable_by_key(|&(id, _)| id);
        }
        SparseVector::from_terms(terms)
    }

    /// The vector with only the terms whose weight is at least `max_ratio` × its largest weight, compared as
    /// OpenSearch's `max_ratio` pruning compares them: `weight >= max_ratio * max`, in `f32`. A `max_ratio` of 0
    /// (or below) keeps every term, 1 the terms of the largest weight, and one above 1 or NaN none. Ids stay
    /// ascending.
    pub fn pruned_by_max_ratio(&self, max_ratio: f32) -> SparseVector {
        let max = self.weights.iter().copied().fold(0.0, f32::max);
        let threshold = max_ratio * max;
        SparseVector::from_terms(self.iter().filter(|&(_, w)| w >= threshold).collect())
    }

    /// The vector with only its fewest heaviest terms whose weights sum to at least `alpha_mass` × its total
    /// weight; ids stay ascending. Terms are taken heaviest first, ties to the smaller id (as [`Self::pruned`]
    /// breaks them), so a vector with terms keeps at least one, and `alpha_mass` of 0 (or below) keeps only the
    /// heaviest; 1 (or above), or NaN, keeps every term. The total and the running sum are added in `f64`, heaviest
    /// term first, so that where the sum reaches the threshold does not depend on the order of `f32` additions.
    ///
    /// OpenSearch's `alpha_mass` pruning keeps the heaviest terms while their running sum stays `<= alpha ×
    /// total`, which can keep none (weights 10, 6, 3, 1 at 0.75 keep 10 there, 10 and 6 here); this one also keeps
    /// the term whose weight makes the sum reach the threshold: "the fewest heaviest terms holding at least alpha
    /// of the total weight".
    pub fn pruned_by_alpha_mass(&self, alpha_mass: f32) -> SparseVector {
        // At 1 the threshold is the total, which the running sum may reach before the lightest terms are added
        // (one below the sum's rounding step leaves it unchanged): every term is kept as the definition wants.
        if alpha_mass >= 1.0 {
            return self.clone();
        }
        let mut terms: Vec<(u32, f32)> = self.iter().collect();
        terms.sort_unstable_by(heaviest_first);
        let total: f64 = terms.iter().map(|&(_, w)| f64::from(w)).sum();
        let threshold = f64::from(alpha_mass) * total;
        let mut sum = 0.0;
        let kept = (terms.iter())
            .position(|&(_, w)| {
                sum += f64::from(w);
                sum >= threshold
            })
            .map_or(terms.len(), |last| last + 1);
        terms.truncate(kept);
        terms.sort_unstable_by_key(|&(id, _)| id);
        SparseVector::from_terms(terms)
    }

    /// The vector of a dense weight row (one weight per vocabulary id): the terms with weight `> 0` that `keep`
    /// accepts (given id and weight).
    pub(crate) fn from_dense(dense: &[f32], keep: impl Fn(u32, f32) -> bool) -> Self {
        SparseVector::from_terms(
            (0u32..)
                .zip(dense.iter().copied())
                .filter(|&(id, w)| w > 0.0 && keep(id, w))
                .collect(),
        )
    }

    /// The vector of terms with weight `> 0`, ids ascending: those that `keep` accepts (given id and weight).
    pub(crate) fn from_terms_kept(
        mut terms: Vec<(u32, f32)>,
        keep: impl Fn(u32, f32) -> bool,
    ) -> Self {
        terms.retain(|&(id, w)| keep(id, w));
        SparseVector::from_terms(terms)
    }

    /// Merges the vectors of one text's windows: each term's largest weight, where a window after the first
    /// counts at [`LATER_WINDOW_WEIGHT`] of its weights.
    pub(crate) fn merge_windows(parts: Vec<SparseVector>) -> Self {
        if parts.len() == 1 {
            return parts.into_iter().next().unwrap_or_default();
        }
        let mut terms: Vec<(u32, f32)> = (parts.iter().enumerate())
            .flat_map(|(k, part)| {
                let scale = if k == 0 { 1.0 } else { LATER_WINDOW_WEIGHT };
                part.iter().map(move |(id, w)| (id, w * scale))
            })
            .collect();
        terms.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)));
        terms.dedup_by_key(|t| t.0); // keeps the first of each id: its largest weight
        SparseVector::from_terms(terms)
    }

    fn from_terms(terms: Vec<(u32, f32)>) -> Self {
        SparseVector {
            indices: terms.iter().map(|t| t.0).collect(),
            weights: terms.iter().map(|t| t.1).collect(),
        }
    }
}

/// What a text's window after the first counts for when its windows are merged: the first window in full, every
/// later one at half its weights. Of the merges measured on SciFact and Cranfield (EVALUATION.md, windows for long
/// documents), the plain maximum, the mean and the sum ranked lower.
pub(crate) const LATER_WINDOW_WEIGHT: f32 = 0.5;

/// The order in which pruning keeps terms: heaviest first, ties to the smaller id.
fn heaviest_first(a: &(u32, f32), b: &(u32, f32)) -> Ordering {
    b.1.total_cmp(&a.1).then(a.0.cmp(&b.0))
}

/// The pruning of a text's vector once its windows are merged (`min_weight` applies to each window before), in
/// the order of the options of the same names: `max_ratio`, then `alpha_mass` of the terms left, then `top_k`.
/// Each is off when `None`, and a vector with all three off is returned as it is.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Pruning {
    pub max_ratio: Option<f32>,
    pub alpha_mass: Option<f32>,
    pub top_k: Option<usize>,
}

impl Pruning {
    /// `vector` pruned.
    pub fn apply(&self, mut vector: SparseVector) -> SparseVector {
        if let Some(ratio) = self.max_ratio {
            vector = vector.pruned_by_max_ratio(ratio);
        }
        if let Some(alpha) = self.alpha_mass {
            vector = vector.pruned_by_alpha_mass(alpha);
        }
        if self.top_k.is_some() {
            vector = vector.pruned(0.0, self.top_k);
        }
        vector
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vector(terms: &[(u32, f32)]) -> SparseVector {
        SparseVector::from_terms(terms.to_vec())
    }

    #[test]
    fn keeps_positive_weights_in_id_order() {
        let v = SparseVector::from_dense(&[0.0, 0.5, 0.0, 2.0, 0.1], |_, _| true);
        assert_eq!(v.indices, vec![1, 3, 4]);
        assert_eq!(v.weights, vec![0.5, 2.0, 0.1]);
    }

    #[test]
    fn keeps_the_terms_keep_accepts() {
        let terms = vec![(1, 0.5), (3, 2.0), (4, 0.1), (7, 0.9)];
        let v = SparseVector::from_terms_kept(terms, |id, w| id != 7 && w >= 0.5);
        assert_eq!(v, vector(&[(1, 0.5), (3, 2.0)]));
    }

    #[test]
    fn prunes_by_min_weight_and_top_k() {
        let v = vector(&[(0, 0.3), (1, 0.5), (3, 2.0), (4, 0.1), (5, 0.5)]);
        assert_eq!(v.pruned(0.2, None).indices, vec![0, 1, 3, 5]);
        assert_eq!(v.pruned(0.0, Some(2)).indices, vec![1, 3]); // 2.0, then the tie 0.5/0.5 goes to id 1
        assert_eq!(v.pruned(0.0, Some(10)), v);
    }

    #[test]
    fn windows_merge_by_the_largest_weight_later_windows_at_half() {
        let a = vector(&[(1, 0.5), (4, 1.0)]);
        let b = vector(&[(1, 0.7), (2, 0.2), (4, 0.9)]);
        let c = vector(&[(1, 1.2), (3, 0.4)]);
        assert_eq!(
            SparseVector::merge_windows(vec![a, b, c]),
            vector(&[(1, 0.6), (2, 0.1), (3, 0.2), (4, 1.0)])
        );
    }

    #[test]
    fn alpha_mass_keeps_the_term_that_reaches_the_threshold() {
        // Total 20.
        let v = vector(&[(0, 10.0), (1, 6.0), (2, 3.0), (3, 1.0)]);
        assert_eq!(v.pruned_by_alpha_mass(0.5).indices, vec![0]); // 10 reaches 10
        assert_eq!(v.pruned_by_alpha_mass(0.75).indices, vec![0, 1]); // 10 < 15 <= 16
        assert_eq!(v.pruned_by_alpha_mass(0.25).indices, vec![0]);
        // 0.8 as an f32 is 0.800000011920929, so the threshold is a little above 16: 16 falls short of it.
        assert_eq!(v.pruned_by_alpha_mass(0.8).indices, vec![0, 1, 2]);
        assert_eq!(v.pruned_by_alpha_mass(0.96).indices, vec![0, 1, 2, 3]); // 19 < 19.2
        assert_eq!(v.pruned_by_alpha_mass(1.0), v);
        // A weight below the f64 sum's rounding step adds nothing to it, yet at 1 it is kept.
        let faint = vector(&[(0, 1.0), (1, 1e-30)]);
        assert_eq!(faint.pruned_by_alpha_mass(1.0), faint);
        assert_eq!(v.pruned_by_max_ratio(0.3).indices, vec![0, 1, 2]); // 3 >= 3
        assert_eq!(v.pruned_by_max_ratio(1.0).indices, vec![0]);
        assert_eq!(v.pruned_by_max_ratio(0.0), v);
    }

    /// A xorshift generator: the same terms on every run.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }

        /// A number in [0, 1).
        fn unit(&mut self) -> f32 {
            (self.next() >> 40) as f32 / (1u64 << 24) as f32
        }
    }

    /// Terms of distinct ascending ids. Half the vectors draw their weights from 8 multiples of 1/4 (many ties,
    /// and thresholds that some weight or running sum meets exactly), half from any `f32` in [1/64, 3). Every
    /// weight is then a multiple of 2^-29 below 4, so any sum of a few hundred of them is exact in `f64`, in any
    /// order: the oracle's sums equal the pruning's whatever order each adds in.
    fn random_terms(rng: &mut Rng) -> Vec<(u32, f32)> {
        let n = match rng.below(10) {
            0 => 0,
            1 => 1,
            _ => rng.below(300) as usize,
        };
        let ties = rng.below(2) == 0;
        let mut id = 0u32;
        (0..n)
            .map(|_| {
                id += 1 + rng.below(50) as u32;
                let weight = if ties {
                    (1 + rng.below(8)) as f32 / 4.0
                } else {
                    1.0 / 64.0 + rng.unit() * 3.0
                };
                (id, weight)
            })
            .collect()
    }

    /// The terms heaviest first, ties to the smaller id, by a full sort.
    fn ranked(terms: &[(u32, f32)]) -> Vec<(u32, f32)> {
        let mut ranked = terms.to_vec();
        ranked.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap().then(a.0.cmp(&b.0)));
        ranked
    }

    /// The pruning done the plain way, one rule after the other on the whole list of terms: `min_weight`, then
    /// `max_ratio` against the largest weight left, then `alpha_mass` by trying every count of heaviest terms from
    /// one up and keeping the first whose sum (in `f64`) reaches the share of the total, then `top_k`.
    fn oracle(
        terms: &[(u32, f32)],
        min_weight: f32,
        max_ratio: Option<f32>,
        alpha_mass: Option<f32>,
        top_k: Option<usize>,
    ) -> SparseVector {
        let mut kept: Vec<(u32, f32)> = terms
            .iter()
            .copied()
            .filter(|t| t.1 >= min_weight)
            .collect();
        if let Some(ratio) = max_ratio {
            let max = kept.iter().map(|t| t.1).reduce(f32::max);
            kept.retain(|t| max.is_some_and(|max| t.1 >= ratio * max));
        }
        if let Some(alpha) = alpha_mass {
            let ranked = ranked(&kept);
            let mass = |terms: &[(u32, f32)]| terms.iter().map(|t| f64::from(t.1)).sum::<f64>();
            let total = mass(&ranked);
            let count = (1..=ranked.len())
                .find(|&k| mass(&ranked[..k]) >= f64::from(alpha) * total)
                .unwrap_or(ranked.len());
            kept = ranked[..count].to_vec();
        }
        if let Some(k) = top_k {
            kept = ranked(&kept).into_iter().take(k).collect();
        }
        kept.sort_by_key(|t| t.0);
        vector(&kept)
    }

    #[test]
    fn each_pruning_rule_alone_matches_the_oracle() {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        // Cases where a weight equals max_ratio × the largest, or a running sum of the heaviest terms equals
        // alpha_mass × the total: those that tell `>=` from `>`.
        let (mut ratio_met, mut alpha_met) = (0, 0);
        for _ in 0..1000 {
            let terms = random_terms(&mut rng);
            let v = vector(&terms);
            // The boundaries, binary fractions (met exactly by the weights in quarters), and any value.
            let pick = |rng: &mut Rng| match rng.below(8) {
                0 => 0.0,
                1 => 1.0,
                2..=4 => [0.125, 0.25, 0.5, 0.75][rng.below(4) as usize],
                _ => rng.unit(),
            };
            for _ in 0..8 {
                let ratio = pick(&mut rng);
                assert_eq!(
                    v.pruned_by_max_ratio(ratio),
                    oracle(&terms, 0.0, Some(ratio), None, None),
                    "max_ratio {ratio} of {terms:?}"
                );
                let max = terms.iter().map(|t| t.1).fold(0.0, f32::max);
                ratio_met += usize::from(terms.iter().any(|t| t.1 == ratio * max && ratio < 1.0));

                let alpha = pick(&mut rng).max(f32::MIN_POSITIVE);
                let pruned = v.pruned_by_alpha_mass(alpha);
                assert_eq!(
                    pruned,
                    oracle(&terms, 0.0, None, Some(alpha), None),
                    "alpha_mass {alpha} of {terms:?}"
                );
                assert_eq!(pruned.is_empty(), terms.is_empty());
                let total: f64 = terms.iter().map(|t| f64::from(t.1)).sum();
                let mut sum = 0.0;
                alpha_met += usize::from(
                    alpha < 1.0
                        && ranked(&terms).iter().any(|t| {
                            sum += f64::from(t.1);
                            sum == f64::from(alpha) * total
                        }),
                );
            }
        }
        assert!(
            ratio_met >= 30 && alpha_met >= 30,
            "{ratio_met}, {alpha_met}"
        );
    }

    #[test]
    fn the_rules_combined_apply_in_order_and_match_the_oracle() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for _ in 0..2000 {
            let terms = random_terms(&mut rng);
            let min_weight = [0.0, 0.5, rng.unit() * 2.0][rng.below(3) as usize];
            let (ratio, alpha) = (rng.unit(), rng.unit().max(f32::MIN_POSITIVE));
            let pruning = Pruning {
                max_ratio: (rng.below(3) > 0).then_some(ratio),
                alpha_mass: (rng.below(3) > 0).then_some(alpha),
                top_k: (rng.below(2) == 0).then(|| 1 + rng.below(40) as usize),
            };
            // min_weight applies before the merge: here to the whole vector, which is one window.
            let got = pruning.apply(vector(&terms).pruned(min_weight, None));
            let want = oracle(
                &terms,
                min_weight,
                pruning.max_ratio,
                pruning.alpha_mass,
                pruning.top_k,
            );
            assert_eq!(got, want, "{pruning:?}, min_weight {min_weight}, {terms:?}");
            assert!(got.indices.windows(2).all(|w| w[0] < w[1]));
        }
    }

    #[test]
    fn no_rule_leaves_the_vector_as_it_is() {
        let mut rng = Rng(7);
        for _ in 0..50 {
            let v = vector(&random_terms(&mut rng));
            assert_eq!(Pruning::default().apply(v.clone()), v);
        }
    }
}
