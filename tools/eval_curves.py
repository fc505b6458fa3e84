#!/usr/bin/env python3
"""Draws what retrieval quality costs: nDCG@10 on a collection against the terms kept per document and per query
(top-k pruning), against max_length, for long-document windows, and for int8 against float32.

Every point is a run of `examples/eval` (the library itself); the vectors of one run are pruned after the fact
as the library's `top_k` option would prune them. Writes the PNGs and a JSON of every result, and prints the
tables that EVALUATION.md quotes.

Usage: eval_curves.py [COLLECTION_DIR] [--out-dir DIR] [--results FILE.json] [--plot-only]
  (after `cargo build --release --example eval`; `make eval-curves` does both)
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT / "target" / "release" / "examples" / "eval"
MODELS = ROOT / ".cache" / "models"
DOC_TOP_K = [8, 16, 32, 64, 128, 256, 0]
QUERY_TOP_K = [2, 4, 8, 16, 32, 0]
MAX_LENGTHS = [64, 128, 256, 512]
WINDOWS = [(256, 4, 32), (256, 4, 128), (512, 4, 64)]


def run(collection: Path, model: str, *flags) -> list:
    """The JSON lines of one eval run."""
    cmd = [str(EVAL), str(collection), "--model", str(MODELS / model), "--json", *map(str, flags)]
    print("$", " ".join(cmd[1:]), file=sys.stderr, flush=True)
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def sweep(collection: Path, model: str) -> list:
    """Doc and query top-k sweeps at the default max_length (512 for splade-tiny)."""
    return run(collection, model, "--doc-top-k", ",".join(map(str, DOC_TOP_K)),
               "--query-top-k", ",".join(map(str, QUERY_TOP_K)))


def pick(rows, **want):
    return [r for r in rows if all(r[k] == v for k, v in want.items())]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("collection", type=Path, nargs="?", default=ROOT.parent / "shared" / "data" / "scifact")
    ap.add_argument("--out-dir", type=Path, default=ROOT)
    ap.add_argument("--results", type=Path, default=ROOT / ".cache" / "eval-curves.json")
    ap.add_argument("--plot-only", action="store_true", help="redraw from --results without running anything")
    args = ap.parse_args()
    name = args.collection.name
    if args.plot_only:
        saved = json.loads(args.results.read_text())
        fp32, int8, lengths, windows = (saved[k] for k in ("fp32", "int8", "max_length", "windows"))
    else:
        if not EVAL.exists():
            sys.exit(f"{EVAL} is missing: run `cargo build --release --example eval`")
        fp32 = sweep(args.collection, "splade-tiny")
        int8 = sweep(args.collection, "splade-tiny-int8")
        lengths = [row for n in MAX_LENGTHS if n != 512
                   for row in run(args.collection, "splade-tiny", "--max-length", n)]
        lengths += pick(fp32, doc_top_k=0, query_top_k=0)
        windows = [row for n, w, o in WINDOWS
                   for row in run(args.collection, "splade-tiny", "--max-length", n, "--max-windows", w,
                                  "--window-overlap", o)]
        args.results.parent.mkdir(parents=True, exist_ok=True)
        args.results.write_text(json.dumps({"fp32": fp32, "int8": int8, "max_length": lengths,
                                            "windows": windows}, indent=1) + "\n")

    # 1. Terms kept per document, and per query.
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for rows, label, style in ((fp32, "float32", "o-"), (int8, "int8", "s--")):
        docs = sorted(pick(rows, query_top_k=0), key=lambda r: r["doc_terms"])
        left.plot([r["doc_terms"] for r in docs], [r["ndcg_at_10"] for r in docs], style, label=label)
        queries = sorted(pick(rows, doc_top_k=0), key=lambda r: r["postings_per_query"])
        right.plot([r["postings_per_query"] for r in queries], [r["ndcg_at_10"] for r in queries], style,
                   label=label)
    left.set(xscale="log", xlabel="average terms per document (top-k pruning)", ylabel="nDCG@10",
             title=f"{name}: document vectors pruned")
    right.set(xscale="log", xlabel="posting-list entries touched per query (query top-k pruning)",
              ylabel="nDCG@10", title=f"{name}: query vectors pruned")
    for ax in (left, right):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(args.out_dir / "evaluation-top-k.png", dpi=110)

    # 2. max_length, and windows for long documents.
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    lengths.sort(key=lambda r: r["max_length"])
    ax.plot([r["max_length"] for r in lengths], [r["ndcg_at_10"] for r in lengths], "o-", label="truncation")
    for r, marker in zip(windows, "^vs"):
        ax.plot(r["max_length"], r["ndcg_at_10"], marker, markersize=9, alpha=0.8,
                label=f"{r['max_windows']} windows of {r['max_length']}, overlap {r['window_overlap']}")
    ax.set_xscale("log", base=2)
    ax.minorticks_off()
    ax.set_xticks(MAX_LENGTHS, labels=map(str, MAX_LENGTHS))
    ax.set(xlabel="max_length (tokens per window)", ylabel="nDCG@10", title=f"{name}: tokens per document")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(args.out_dir / "evaluation-max-length.png", dpi=110)

    # The tables EVALUATION.md quotes.
    row = lambda r, label: (f"| {label} | {r['doc_terms']:.1f} | {r['query_terms']:.1f} | "  # noqa: E731
                            f"{r['postings_per_query']:.0f} | {r['ndcg_at_10']:.4f} | {r['mrr_at_10']:.4f} | "
                            f"{r['recall_at_100']:.4f} |")
    print("| setting | terms/doc | terms/query | postings/query | nDCG@10 | MRR@10 | Recall@100 |")
    print("|---|---|---|---|---|---|---|")
    for rows, precision in ((fp32, "float32"), (int8, "int8")):
        for r in sorted(pick(rows, query_top_k=0), key=lambda r: -r["doc_terms"]):
            print(row(r, f"{precision}, doc top-k {r['doc_top_k'] or 'all'}"))
        for r in sorted(pick(rows, doc_top_k=0), key=lambda r: -r["query_terms"]):
            if r["query_top_k"]:
                print(row(r, f"{precision}, query top-k {r['query_top_k']}"))
    for r in lengths:
        print(row(r, f"max_length {r['max_length']}"))
    for r in windows:
        print(row(r, f"{r['max_windows']} windows of {r['max_length']}, overlap {r['window_overlap']}"))


if __name__ == "__main__":
    main()
