//! nDCG@10, MRR@10 and Recall@100 with trec_eval semantics: gains are the graded judgments, the discount is
//! log2(rank + 1), the ideal ranking uses every judged document, and only judgments above 0 count as relevant.

use std::collections::HashMap;

/// The three measures of one query (or their means).
#[derive(Debug, Default, Clone, Copy)]
pub struct Scores {
    pub ndcg_at_10: f64,
    pub mrr_at_10: f64,
    pub recall_at_100: f64,
}

pub fn evaluate(ranking: &[&str], judged: &HashMap<String, i64>) -> Scores {
    let gain = |doc: &str| judged.get(doc).copied().unwrap_or(0).max(0) as f64;
    let discount = |rank: usize| (rank as f64 + 2.0).log2(); // rank is 0-based
    let dcg: f64 = ranking
        .iter()
        .take(10)
        .enumerate()
        .map(|(r, d)| gain(d) / discount(r))
        .sum();
    let mut ideal: Vec<f64> = judged
        .values()
        .map(|&g| g.max(0) as f64)
        .filter(|&g| g > 0.0)
        .collect();
    ideal.sort_by(|a, b| b.total_cmp(a));
    let idcg: f64 = ideal
        .iter()
        .take(10)
        .enumerate()
        .map(|(r, g)| g / discount(r))
        .sum();
    let first_relevant = ranking.iter().take(10).position(|d| gain(d) > 0.0);
    let relevant = ideal.len();
    let found = ranking.iter().take(100).filter(|d| gain(d) > 0.0).count();
    Scores {
        ndcg_at_10: if idcg > 0.0 { dcg / idcg } else { 0.0 },
        mrr_at_10: first_relevant.map_or(0.0, |r| 1.0 / (r as f64 + 1.0)),
        recall_at_100: if relevant > 0 {
            found as f64 / relevant as f64
        } else {
            0.0
        },
    }
}

/// Sums of per-query scores, for the means.
#[derive(Default)]
pub struct Totals {
    sum: Scores,
    count: usize,
}

impl Totals {
    pub fn add(&mut self, s: &Scores) {
        self.sum.ndcg_at_10 += s.ndcg_at_10;
        self.sum.mrr_at_10 += s.mrr_at_10;
        self.sum.recall_at_100 += s.recall_at_100;
        self.count += 1;
    }

    pub fn count(&self) -> usize {
        self.count
    }

    pub fn mean(&self) -> Scores {
        let n = self.count.max(1) as f64;
        Scores {
            ndcg_at_10: self.sum.ndcg_at_10 / n,
            mrr_at_10: self.sum.mrr_at_10 / n,
            recall_at_100: self.sum.recall_at_100 / n,
        }
    }
}
