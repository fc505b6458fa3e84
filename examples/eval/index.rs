//! An inverted index over sparse vectors, scored by dot product.

use spladerunner::SparseVector;

/// For each vocabulary id, the documents holding it and their weights.
pub struct InvertedIndex {
    postings: Vec<Vec<(u32, f32)>>,
    docs: usize,
}

impl InvertedIndex {
    pub fn build(docs: &[SparseVector]) -> Self {
        let vocab = docs
            .iter()
            .filter_map(|d| d.indices.last())
            .max()
            .map_or(0, |&m| m as usize + 1);
        let mut postings = vec![Vec::new(); vocab];
        for (doc, vector) in docs.iter().enumerate() {
            for (id, weight) in vector.iter() {
                postings[id as usize].push((doc as u32, weight));
            }
        }
        InvertedIndex {
            postings,
            docs: docs.len(),
        }
    }

    /// Documents with a positive score, best first; ties broken as trec_eval does (document id descending).
    /// Also returns how many postings were read.
    pub fn search<'a>(&self, query: &SparseVector, doc_ids: &'a [String]) -> (Vec<&'a str>, usize) {
        let mut scores = vec![0.0f32; self.docs];
        let mut touched = 0;
        for (id, weight) in query.iter() {
            if let Some(list) = self.postings.get(id as usize) {
                touched += list.len();
                for &(doc, w) in list {
                    scores[doc as usize] += weight * w;
                }
            }
        }
        let mut hits: Vec<(f32, &str)> = scores
            .iter()
            .enumerate()
            .filter(|(_, &s)| s > 0.0)
            .map(|(d, &s)| (s, doc_ids[d].as_str()))
            .collect();
        hits.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| b.1.cmp(a.1)));
        (hits.into_iter().map(|(_, id)| id).collect(), touched)
    }
}
