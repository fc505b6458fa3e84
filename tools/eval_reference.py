#!/usr/bin/env python3
"""Independent reference evaluation: the same measures as `examples/eval`, computed without the library.

Documents (`title + " " + text`) and queries are expanded by tools/reference.py (Python tokenizers, ONNX
Runtime one text at a time without padding, numpy pooling) on a logits model; every query is scored against
every document by a dense dot product (brute force, no index); trec_eval itself (pytrec_eval) computes
nDCG@10 (`ndcg_cut.10`), Recall@100 (`recall.100`) and MRR@10 (`recip_rank` over the top 10). As trec_eval
does by default, only queries with judgments and at least one retrieved document are evaluated.

Usage: eval_reference.py COLLECTION_DIR [--model DIR] [--max-length N] [--json]
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pytrec_eval

import reference

ROOT = Path(__file__).resolve().parent.parent


def load_collection(path: Path):
    """(doc ids, doc texts, query ids, query texts, qrels) of a collection in BEIR layout."""
    docs = [json.loads(line) for line in (path / "corpus.jsonl").read_text(encoding="utf-8").splitlines() if line]
    queries = [json.loads(line) for line in (path / "queries.jsonl").read_text(encoding="utf-8").splitlines()
               if line]
    qrels = {}
    for n, line in enumerate((path / "qrels" / "test.tsv").read_text(encoding="utf-8").splitlines()):
        if line.strip():
            qid, did, grade = line.split("\t")
            if n == 0 and not grade.strip().lstrip("-").isdigit():
                continue  # BEIR's header line
            qrels.setdefault(qid, {})[did] = int(grade)
    # trec_eval leaves out queries without a relevant document (no ideal ranking to measure against).
    qrels = {qid: rels for qid, rels in qrels.items() if any(grade > 0 for grade in rels.values())}
    doc_texts = [f"{d.get('title') or ''} {d.get('text') or ''}" for d in docs]
    return ([str(d["_id"]) for d in docs], doc_texts, [str(q["_id"]) for q in queries],
            [q.get("text") or "" for q in queries], qrels)


def dense(model, texts, max_length: int, vocab: int) -> np.ndarray:
    """The SPLADE vectors of `texts` as rows of a dense float32 matrix."""
    out = np.zeros((len(texts), vocab), dtype=np.float32)
    for row, text in enumerate(texts):
        indices, weights = reference.expand(*model, text, max_length)
        out[row, indices] = weights
        if row % 200 == 0:
            print(f"\rreference: {row}/{len(texts)}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return out


def evaluate(collection: Path, model_dir: Path, max_length: int) -> dict:
    doc_ids, doc_texts, query_ids, query_texts, qrels = load_collection(collection)
    model = reference.load(model_dir)
    vocab = model[1].get_vocab_size(with_added_tokens=True)
    docs = dense(model, doc_texts, max_length, vocab)
    queries = dense(model, query_texts, max_length, vocab)
    run, top10 = {}, {}
    for q, qid in enumerate(query_ids):
        if qid not in qrels:
            continue
        scores = docs @ queries[q]
        hits = [(float(scores[d]), doc_ids[d]) for d in np.nonzero(scores > 0)[0]]
        if not hits:
            continue  # trec_eval evaluates only queries with retrieved documents (without -c)
        run[qid] = dict((did, s) for s, did in hits)
        # trec_eval's order: score descending, then document id descending.
        hits.sort(reverse=True)
        top10[qid] = dict((did, s) for s, did in hits[:10])
    judged = {qid: rels for qid, rels in qrels.items() if qid in run}
    main = pytrec_eval.RelevanceEvaluator(judged, {"ndcg_cut.10", "recall.100"}).evaluate(run)
    rr = pytrec_eval.RelevanceEvaluator(judged, {"recip_rank"}).evaluate(top10)
    mean = lambda table, key: float(np.mean([m[key] for m in table.values()]))  # noqa: E731
    return {"collection": str(collection), "docs": len(doc_ids), "queries": len(run),
            "ndcg_at_10": mean(main, "ndcg_cut_10"), "mrr_at_10": mean(rr, "recip_rank"),
            "recall_at_100": mean(main, "recall_100")}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("collection", type=Path)
    ap.add_argument("--model", type=Path, default=ROOT / ".cache" / "models" / "splade-tiny-logits")
    ap.add_argument("--max-length", type=int, default=512)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    result = evaluate(args.collection, args.model, args.max_length)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{result['collection']} ({result['docs']} docs, {result['queries']} judged queries)")
        print(f"nDCG@10 {result['ndcg_at_10']:.4f}   MRR@10 {result['mrr_at_10']:.4f}   "
              f"Recall@100 {result['recall_at_100']:.4f}")


if __name__ == "__main__":
    main()
