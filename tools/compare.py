#!/usr/bin/env python3
"""Run the original Python `spladerunner==0.1.6` and this library on the same models and texts, in one run,
and print both sides and their ratios.

Each job runs in its own process, so that peak RSS is the job's own:
  docs     every line of ../shared/data/bench/paragraphs.txt, batches of 32, max_length 256: docs/s, peak RSS
  queries  one line of queries.txt per call, max_length 64, 20 warm-up + 200 timed calls: p50, p99
Both sides use ONNX Runtime 1.31.1 and the same number of threads (--threads, default 2): the original's
intra-op threads; ours `intra_op_threads`, which with the library's decoder (the shipped splade-tiny) runs ONNX
Runtime on one thread per inference call and uses the threads to decode and to run calls side by side.

The original downloads its model from a hub in its constructor; it is given a cache directory that already
holds the model under the name it asks for (`Splade_PP_en_v1`: model.onnx with inputs input_ids/input_mask/
segment_ids and logits output, plus its tokenizer and config files), so nothing is downloaded.

Models: splade-tiny, and (unless --skip-bert-base) the BERT-base-shaped model with random weights; both from
`tools/setup.sh --bert-base`. For each, ours runs on the very ONNX file the original runs (logits, pooled in
Rust), on the layout spladerunner ships (splade-tiny: hidden states and the library's decoder; BERT-base:
pooling inside the graph; the same output) and on its int8 copy (hidden states, the library's int8 decoder).
Then the concurrency job: queries with one intra-op thread, one caller against two on one expander (medians of
five rounds in turn, see examples/bench.rs).

Usage: tools/compare.py [--threads N] [--skip-bert-base] [--docs-limit N] [--json OUT.json]
  (after `tools/setup.sh --bert-base` and `cargo build --release --example bench`; `make compare` does all)
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / ".cache" / "models"
BENCH_DATA = Path(os.environ.get("SPLADERUNNER_SHARED") or ROOT.parent / "shared") / "data" / "bench"
BENCH_BIN = ROOT / "target" / "release" / "examples" / "bench"
ORIGINAL_NAME = "Splade_PP_en_v1"
SPECIAL_TOKENS = {"unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]",
                  "mask_token": "[MASK]"}

# model label -> (logits model with the original input names, the layout spladerunner ships, its int8 copy)
MODELS_BY_LABEL = {
    "splade-tiny": ("splade-tiny-orignames", "splade-tiny", "splade-tiny-int8"),
    "bert-base": ("bert-base-random-orignames", "bert-base-random", "bert-base-random-int8"),
}


def peak_rss_mb() -> float:
    """This process's peak resident set size (VmHWM) in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def original_cache(model_dir: Path, cache_root: Path) -> Path:
    """A cache directory in which the original finds `Splade_PP_en_v1` without downloading it."""
    target = cache_root / ORIGINAL_NAME
    target.mkdir(parents=True, exist_ok=True)
    for name in ("model.onnx", "tokenizer.json", "config.json", "tokenizer_config.json"):
        src, dst = model_dir / name, target / name
        if not dst.exists() or dst.stat().st_mtime < src.stat().st_mtime:
            # Through a temporary file: an interrupted copy must not pass for a current one next time.
            tmp = dst.with_name(dst.name + ".tmp")
            shutil.copyfile(src, tmp)
            tmp.replace(dst)
    (target / "special_tokens_map.json").write_text(json.dumps(SPECIAL_TOKENS))
    return cache_root


def original_worker(args) -> None:
    """Runs one job with the original package and prints one JSON line."""
    import onnxruntime as ort
    from spladerunner import Expander

    lines = Path(args.texts).read_text().splitlines()
    start = time.perf_counter()
    expander = Expander(model_name=ORIGINAL_NAME, max_length=args.max_length, cache_dir=args.cache)
    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    expander.session = ort.InferenceSession(str(Path(args.cache) / ORIGINAL_NAME / "model.onnx"), options,
                                            providers=["CPUExecutionProvider"])
    load_s = time.perf_counter() - start
    if args.job == "docs":
        start = time.perf_counter()
        for i in range(0, len(lines), 32):
            expander.expand(lines[i:i + 32])
        seconds = time.perf_counter() - start
        print(json.dumps({"job": "docs", "docs": len(lines), "seconds": seconds, "docs_per_s": len(lines) / seconds,
                          "peak_rss_mb": peak_rss_mb(), "load_s": load_s}))
    else:
        for i in range(20):
            expander.expand(lines[i % len(lines)])
        latencies = []
        for i in range(200):
            start = time.perf_counter()
            expander.expand(lines[(20 + i) % len(lines)])
            latencies.append((time.perf_counter() - start) * 1e3)
        latencies.sort()
        print(json.dumps({"job": "queries", "calls": 200, "p50_ms": latencies[99], "p99_ms": latencies[197]}))


def run_json(cmd: list) -> dict:
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def original(job: str, model: str, texts: Path, max_length: int, threads: int, tmp: Path) -> dict:
    cache = original_cache(MODELS / model, tmp / model)
    return run_json([sys.executable, __file__, "--worker", job, "--cache", str(cache), "--texts", str(texts),
                     "--max-length", str(max_length), "--threads", str(threads)])


def ours(job: str, model: str, texts: Path, threads: int, extra=()) -> dict:
    flag = "--docs" if job == "docs" else "--queries"
    return run_json([str(BENCH_BIN), "--model", str(MODELS / model), "--job", job, flag, str(texts),
                     "--threads", str(threads), "--json", *extra])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--skip-bert-base", action="store_true")
    ap.add_argument("--docs-limit", type=int, default=0, help="use only the first N paragraphs (0: all)")
    ap.add_argument("--json", type=Path, help="also write the results here")
    ap.add_argument("--worker", choices=["docs", "queries"], help=argparse.SUPPRESS)
    ap.add_argument("--cache", help=argparse.SUPPRESS)
    ap.add_argument("--texts", help=argparse.SUPPRESS)
    ap.add_argument("--max-length", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        args.job = args.worker
        return original_worker(args)

    if not BENCH_BIN.exists():
        sys.exit(f"{BENCH_BIN} is missing: run `cargo build --release --example bench` (or `make compare`)")
    tmp = ROOT / ".cache" / "compare"
    docs = BENCH_DATA / "paragraphs.txt"
    if args.docs_limit:
        lines = docs.read_text().splitlines()[: args.docs_limit]
        docs = tmp / f"paragraphs.{args.docs_limit}.txt"
        docs.parent.mkdir(parents=True, exist_ok=True)
        docs.write_text("\n".join(lines) + "\n")
    queries = BENCH_DATA / "queries.txt"
    results = {"threads": args.threads, "date": time.strftime("%Y-%m-%d"), "docs_file": str(docs), "models": {}}
    for label, (logits_model, shipped_model, int8_model) in MODELS_BY_LABEL.items():
        if label == "bert-base" and args.skip_bert_base:
            continue
        for m in (logits_model, shipped_model, int8_model):
            if not (MODELS / m / "model.onnx").exists():
                sys.exit(f"{MODELS / m} is missing: run `tools/setup.sh --bert-base`")
        print(f"== {label}", flush=True)
        row = {
            "original_docs": original("docs", logits_model, docs, 256, args.threads, tmp),
            "ours_same_model_docs": ours("docs", logits_model, docs, args.threads),
            "ours_docs": ours("docs", shipped_model, docs, args.threads),
            "ours_int8_docs": ours("docs", int8_model, docs, args.threads),
            "original_queries": original("queries", logits_model, queries, 64, args.threads, tmp),
            "ours_same_model_queries": ours("queries", logits_model, queries, args.threads),
            "ours_queries": ours("queries", shipped_model, queries, args.threads),
            "ours_int8_queries": ours("queries", int8_model, queries, args.threads),
        }
        results["models"][label] = row
        report(row)
    concurrency = ours("concurrency", "splade-tiny", queries, 1)
    results["concurrency"] = concurrency
    print(f"concurrency (splade-tiny, 1 intra-op thread): 1 caller {concurrency['one_thread_qps']:.0f} q/s, "
          f"2 callers {concurrency['two_threads_qps']:.0f} q/s = {concurrency['ratio']:.2f}x")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


def report(row: dict) -> None:
    orig_d, orig_q = row["original_docs"], row["original_queries"]
    print(f"{'':34}{'docs/s':>9}{'peak RSS MB':>13}{'p50 ms':>9}{'p99 ms':>9}")
    sides = (("original spladerunner 0.1.6", "original"), ("ours, same ONNX file", "ours_same_model"),
             ("ours, shipped model", "ours"), ("ours, int8", "ours_int8"))
    for name, key in sides:
        d, q = row[f"{key}_docs"], row[f"{key}_queries"]
        print(f"{name:34}{d['docs_per_s']:9.1f}{d['peak_rss_mb']:13.0f}{q['p50_ms']:9.2f}{q['p99_ms']:9.2f}")
        if key != "original":
            print(f"{'  ratio to the original':34}{d['docs_per_s'] / orig_d['docs_per_s']:8.1f}x"
                  f"{d['peak_rss_mb'] / orig_d['peak_rss_mb']:12.3f}x"
                  f"{q['p50_ms'] / orig_q['p50_ms']:8.2f}x{q['p99_ms'] / orig_q['p99_ms']:8.2f}x")
    print(f"{'  int8 / shipped float32 docs/s':34}{row['ours_int8_docs']['docs_per_s'] / row['ours_docs']['docs_per_s']:8.2f}x")
    print(flush=True)


if __name__ == "__main__":
    main()
