#!/usr/bin/env python3
"""Time to the first vector of a short-lived process, against the original Python `spladerunner==0.1.6`.

One short text, a whole process each: ours is the command line (`spladerunner expand`, the text on standard input,
the shipped splade-tiny); the original is `python -c` running `import spladerunner`, `Expander()` and `expand` on
the same checkpoint (given a cache directory that holds it, as in tools/compare.py; nothing is downloaded). Both
with their default threads. The two run in turn, --rounds times; each side's median wall time and peak RSS are
printed, and the median of the rounds' ratios (ours / original).

Usage: tools/first_vector.py [--rounds N] [--text TEXT] [--json OUT.json]
  (after `make install` or `cargo build --release -p spladerunner-cli`, and `tools/setup.sh`)
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from compare import MODELS, ORIGINAL_NAME, ROOT, original_cache

CLI = ROOT / "target" / "release" / "spladerunner"


def run(cmd: list, text: str) -> tuple:
    """Runs `cmd` with `text` on its standard input: (wall seconds, peak RSS in MB) of the whole process."""
    start = time.perf_counter()
    child = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    child.stdin.write(text.encode())
    child.stdin.close()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        sys.exit(f"{cmd[0]} failed with {child.returncode}")
    return seconds, usage.ru_maxrss / 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--text", default="atomic energy")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()
    if not CLI.exists():
        sys.exit(f"{CLI} is missing: run `cargo build --release -p spladerunner-cli`")
    cache = original_cache(MODELS / "splade-tiny-orignames", ROOT / ".cache" / "compare" / "splade-tiny-orignames")
    original = [sys.executable, "-c",
                "import sys; from spladerunner import Expander; "
                f"e = Expander(model_name={ORIGINAL_NAME!r}, cache_dir={str(cache)!r}); "
                "print(e.expand(sys.stdin.read().strip()))"]
    ours = [str(CLI), "expand", "--model", str(MODELS / "splade-tiny")]
    rows = []
    for _ in range(args.rounds):
        rows.append({"original": run(original, args.text), "ours": run(ours, args.text + "\n")})
    result = {"rounds": args.rounds, "text": args.text, "date": time.strftime("%Y-%m-%d")}
    for side in ("original", "ours"):
        result[side] = {"median_s": statistics.median(r[side][0] for r in rows),
                        "median_peak_rss_mb": statistics.median(r[side][1] for r in rows)}
    result["time_ratio"] = statistics.median(r["ours"][0] / r["original"][0] for r in rows)
    result["rss_ratio"] = statistics.median(r["ours"][1] / r["original"][1] for r in rows)
    for side in ("original", "ours"):
        print(f"{side:9} {result[side]['median_s']:.3f} s  {result[side]['median_peak_rss_mb']:.0f} MB peak")
    print(f"ours / original: time {result['time_ratio']:.3f}x, peak RSS {result['rss_ratio']:.3f}x "
          f"(medians of {args.rounds} rounds in turn)")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
