"""The library's evaluation (examples/eval: Rust, inverted index, its own metrics) agrees with the reference
pipeline (tools/eval_reference.py: Python tokenizers + ONNX Runtime one text at a time + numpy pooling, brute-force
scoring, trec_eval's own metrics) within 0.001 on subsets of SciFact and Cranfield small enough for CI. The full
collections are measured the same way for EVALUATION.md."""

import json
import os
import subprocess
from pathlib import Path

import pytest

import eval_reference

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("SPLADERUNNER_SHARED", ROOT.parent / "shared")) / "data"
EVAL = ROOT / "target" / "release" / "examples" / "eval"
TOLERANCE = 1e-3


def subset(collection: Path, out: Path, queries: int, extra_docs: int, headerless: bool = False) -> Path:
    """The first `queries` judged queries, every document they judge, and the first `extra_docs` others.
    `headerless`: the qrels file without its header line, and with one more query whose only judgment is 0 (which
    trec_eval leaves out)."""
    lines = lambda name: [line for line in (collection / name).read_text(encoding="utf-8").splitlines() if line]  # noqa: E731
    qrels = lines("qrels/test.tsv")
    judged = {}
    for line in qrels[1:]:
        qid, did, _ = line.split("\t")
        judged.setdefault(qid, set()).add(did)
    chosen = [q for q in lines("queries.jsonl") if json.loads(q)["_id"] in judged][:queries]
    chosen_ids = {json.loads(q)["_id"] for q in chosen}
    wanted = set().union(*(judged[q] for q in chosen_ids))
    docs = lines("corpus.jsonl")
    kept = [d for i, d in enumerate(docs) if i < extra_docs or json.loads(d)["_id"] in wanted]
    (out / "qrels").mkdir(parents=True)
    (out / "corpus.jsonl").write_text("\n".join(kept) + "\n", encoding="utf-8")
    (out / "queries.jsonl").write_text("\n".join(chosen) + "\n", encoding="utf-8")
    judgments = [q for q in qrels[1:] if q.split("\t")[0] in chosen_ids]
    if headerless:
        unjudged = next(q for q in lines("queries.jsonl") if json.loads(q)["_id"] not in chosen_ids)
        chosen.append(unjudged)
        judgments.append(f"{json.loads(unjudged)['_id']}\t{json.loads(kept[0])['_id']}\t0")
        (out / "queries.jsonl").write_text("\n".join(chosen) + "\n", encoding="utf-8")
    (out / "qrels" / "test.tsv").write_text(
        "\n".join(([] if headerless else [qrels[0]]) + judgments) + "\n", encoding="utf-8")
    return out


@pytest.mark.parametrize("name, queries, extra_docs, headerless",
                         [("scifact", 30, 300, False), ("cranfield", 25, 200, False), ("cranfield", 10, 50, True)])
def test_library_metrics_match_the_reference_pipeline(tmp_path, tiny_dir, name, queries, extra_docs, headerless):
    assert EVAL.exists(), f"{EVAL} is missing: run `cargo build --release --example eval` (make test does)"
    collection = subset(DATA / name, tmp_path / name, queries, extra_docs, headerless)
    out = subprocess.run([str(EVAL), str(collection), "--json"], check=True, capture_output=True, text=True)
    ours = json.loads(out.stdout.strip().splitlines()[-1])
    theirs = eval_reference.evaluate(collection, tiny_dir, 512)
    print(f"{name}: ours {ours}\nreference {theirs}")
    assert ours["queries"] == theirs["queries"] == queries
    for key in ("ndcg_at_10", "mrr_at_10", "recall_at_100"):
        assert abs(ours[key] - theirs[key]) <= TOLERANCE, (key, ours[key], theirs[key])
