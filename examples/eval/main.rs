//! Evaluates spladerunner's vectors on a retrieval test collection in BEIR layout: expands the corpus
//! (`title + " " + text`) and the queries, ranks documents by sparse dot product through an inverted index,
//! and reports nDCG@10, MRR@10 and Recall@100 with trec_eval semantics (only queries with judgments and at
//! least one retrieved document are evaluated, as trec_eval does by default).
//!
//! ```text
//! cargo run --release --example eval -- COLLECTION_DIR [--model DIR] [--max-length N] [--max-windows N]
//!     [--window-overlap N] [--threads N] [--doc-top-k K,K,...] [--query-top-k K,K,...] [--json]
//! ```
//! `COLLECTION_DIR` holds `corpus.jsonl`, `queries.jsonl` and `qrels/test.tsv`. Texts are expanded once;
//! each `--doc-top-k` × `--query-top-k` pair (0: keep every term; default 0) then prunes the vectors as the
//! library's `top_k` option would and is evaluated. With `--json` each result is one JSON line on stdout (for
//! `tools/eval_curves.py`); a progress line goes to stderr either way.

mod collection;
mod index;
mod metrics;

use std::borrow::Cow;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use spladerunner::{Expander, Options, SparseVector};

struct Args {
    collection: PathBuf,
    model: PathBuf,
    options: Options,
    doc_top_k: Vec<usize>,
    query_top_k: Vec<usize>,
    json: bool,
}

fn parse_args() -> Args {
    let mut args = Args {
        collection: PathBuf::new(),
        model: PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/.cache/models/splade-tiny"
        )),
        options: Options::default(),
        doc_top_k: vec![0],
        query_top_k: vec![0],
        json: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        let number = |v: &str| {
            v.parse::<usize>()
                .unwrap_or_else(|_| panic!("{arg} needs numbers, got {v:?}"))
        };
        let options = args.options.clone();
        match arg.as_str() {
            "--json" => args.json = true,
            "--model" => args.model = PathBuf::from(value()),
            "--max-length" => args.options = options.with_max_length(number(&value())),
            "--max-windows" => args.options = options.with_max_windows(number(&value())),
            "--window-overlap" => args.options = options.with_window_overlap(number(&value())),
            "--threads" => args.options = options.with_intra_op_threads(number(&value())),
            "--doc-top-k" => args.doc_top_k = value().split(',').map(number).collect(),
            "--query-top-k" => args.query_top_k = value().split(',').map(number).collect(),
            _ if arg.starts_with("--") => panic!("unknown flag {arg}"),
            _ => args.collection = PathBuf::from(arg),
        }
    }
    assert!(
        !args.collection.as_os_str().is_empty(),
        "usage: eval COLLECTION_DIR [flags]"
    );
    args
}

/// Expands `texts` in batches, printing progress to stderr.
fn expand_all(expander: &Expander, texts: &[String], what: &str) -> (Vec<SparseVector>, f64) {
    let start = Instant::now();
    let mut vectors = Vec::with_capacity(texts.len());
    for chunk in texts.chunks(64) {
        vectors.extend(
            expander
                .expand_batch(chunk)
                .unwrap_or_else(|e| panic!("expanding {what}: {e}")),
        );
        let rate = vectors.len() as f64 / start.elapsed().as_secs_f64();
        eprint!(
            "\rencoding {what}: {}/{} ({rate:.0}/s)   ",
            vectors.len(),
            texts.len()
        );
        let _ = std::io::stderr().flush();
    }
    eprintln!();
    (vectors, start.elapsed().as_secs_f64())
}

/// The vectors pruned to their `top_k` heaviest terms (0: the vectors themselves).
fn prune(vectors: &[SparseVector], top_k: usize) -> Cow<'_, [SparseVector]> {
    match top_k {
        0 => Cow::Borrowed(vectors),
        k => Cow::Owned(vectors.iter().map(|v| v.pruned(0.0, Some(k))).collect()),
    }
}

fn mean_terms(vectors: &[SparseVector]) -> f64 {
    vectors.iter().map(SparseVector::len).sum::<usize>() as f64 / vectors.len().max(1) as f64
}

fn main() {
    let args = parse_args();
    let collection = collection::Collection::load(&args.collection);
    let expander = Expander::new(&args.model, args.options.clone())
        .unwrap_or_else(|e| panic!("{}: {e}", args.model.display()));
    let (docs, doc_seconds) = expand_all(&expander, &collection.doc_texts, "corpus");
    let (queries, _) = expand_all(&expander, &collection.query_texts, "queries");

    let pruned_queries: Vec<(usize, Cow<[SparseVector]>)> = (args.query_top_k.iter())
        .map(|&k| (k, prune(&queries, k)))
        .collect();
    for &doc_k in &args.doc_top_k {
        let docs = prune(&docs, doc_k);
        let index = index::InvertedIndex::build(&docs);
        for &(query_k, ref queries) in &pruned_queries {
            let mut totals = metrics::Totals::default();
            let mut postings = 0usize;
            for (q, vector) in queries.iter().enumerate() {
                let Some(judged) = collection.qrels.get(&collection.query_ids[q]) else {
                    continue; // queries without judgments are not evaluated
                };
                let (ranking, touched) = index.search(vector, &collection.doc_ids);
                if ranking.is_empty() {
                    continue; // trec_eval (without -c) evaluates only queries that retrieved something
                }
                postings += touched;
                totals.add(&metrics::evaluate(&ranking, judged));
            }
            let result = totals.mean();
            let evaluated = totals.count();
            let postings = postings as f64 / evaluated.max(1) as f64;
            if args.json {
                println!(
                    "{{\"collection\":{:?},\"model\":{:?},\"max_length\":{},\"max_windows\":{},\
                     \"window_overlap\":{},\"doc_top_k\":{doc_k},\"query_top_k\":{query_k},\"docs\":{},\
                     \"queries\":{evaluated},\"ndcg_at_10\":{:.6},\"mrr_at_10\":{:.6},\"recall_at_100\":{:.6},\
                     \"doc_terms\":{:.2},\"query_terms\":{:.2},\"postings_per_query\":{postings:.1},\
                     \"docs_per_s\":{:.2}}}",
                    args.collection.display().to_string(),
                    args.model.display().to_string(),
                    expander.max_length(),
                    args.options.max_windows,
                    args.options.window_overlap,
                    docs.len(),
                    result.ndcg_at_10,
                    result.mrr_at_10,
                    result.recall_at_100,
                    mean_terms(&docs),
                    mean_terms(queries),
                    docs.len() as f64 / doc_seconds
                );
            } else {
                println!(
                    "{} ({} docs, {evaluated} queries), {}, max_length {}, windows {}, doc top-k {doc_k}, \
                     query top-k {query_k}",
                    args.collection.display(),
                    docs.len(),
                    args.model.display(),
                    expander.max_length(),
                    args.options.max_windows
                );
                println!(
                    "  terms {:.1}/doc {:.1}/query, {postings:.0} postings/query   nDCG@10 {:.4}   \
                     MRR@10 {:.4}   Recall@100 {:.4}",
                    mean_terms(&docs),
                    mean_terms(queries),
                    result.ndcg_at_10,
                    result.mrr_at_10,
                    result.recall_at_100
                );
            }
        }
    }
}
