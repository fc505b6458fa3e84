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

    /// Builds the vector of a dense weight row (one weight per vocabulary id): keeps weights `> 0` and
    /// `>= min_weight`, then the `top_k` largest when set (ties go to the smaller id).
    pub(crate) fn from_dense(dense: &[f32], min_weight: f32, top_k: Option<usize>) -> Self {
        let mut terms: Vec<(u32, f32)> = (0u32..)
            .zip(dense.iter().copied())
            .filter(|&(_, w)| w > 0.0 && w >= min_weight)
            .collect();
        if let Some(k) = top_k.filter(|&k| k < terms.len()) {
            terms.select_nth_unstable_by(k, |a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            terms.truncate(k);
            terms.sort_unstable_by_key(|&(id, _)| id);
        }
        SparseVector {
            indices: terms.iter().map(|t| t.0).collect(),
            weights: terms.iter().map(|t| t.1).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_positive_weights_in_id_order() {
        let v = SparseVector::from_dense(&[0.0, 0.5, 0.0, 2.0, 0.1], 0.0, None);
        assert_eq!(v.indices, vec![1, 3, 4]);
        assert_eq!(v.weights, vec![0.5, 2.0, 0.1]);
    }

    #[test]
    fn prunes_by_min_weight_and_top_k() {
        let dense = [0.3, 0.5, 0.0, 2.0, 0.1, 0.5];
        let v = SparseVector::from_dense(&dense, 0.2, None);
        assert_eq!(v.indices, vec![0, 1, 3, 5]);
        let v = SparseVector::from_dense(&dense, 0.0, Some(2));
        assert_eq!(v.indices, vec![1, 3]); // 2.0 then the tie 0.5/0.5 goes to id 1
        let v = SparseVector::from_dense(&dense, 0.0, Some(10));
        assert_eq!(v.len(), 5);
    }
}
