//! The sparse vector a text becomes, and the pruning applied while building it.

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
            terms.select_nth_unstable_by(k, |a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            terms.truncate(k);
            terms.sort_unstable_by_key(|&(id, _)| id);
        }
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

    /// Merges the vectors of one text's windows, keeping each term's largest weight.
    pub(crate) fn max_of(parts: Vec<SparseVector>) -> Self {
        if parts.len() == 1 {
            return parts.into_iter().next().unwrap_or_default();
        }
        let mut terms: Vec<(u32, f32)> = parts.iter().flat_map(SparseVector::iter).collect();
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
    fn windows_merge_by_the_largest_weight() {
        let a = vector(&[(1, 0.5), (4, 1.0)]);
        let b = vector(&[(1, 0.7), (2, 0.2), (4, 0.9)]);
        assert_eq!(
            SparseVector::max_of(vec![a, b]),
            vector(&[(1, 0.7), (2, 0.2), (4, 1.0)])
        );
    }
}
