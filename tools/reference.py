#!/usr/bin/env python3
"""Independent reference SPLADE pipeline: Python `tokenizers` + Python ONNX Runtime + numpy.

It shares no code with the Rust library and does everything the plainest way: one text per run,
no padding, truncation by hand, pooling in numpy. The Rust parity tests compare against its output.
A model that stops at the hidden states is decoded here from its decoder.safetensors, in numpy, as the
spec says: float32 logits `h @ W.T + b`, or for an int8 decoder `scale_v * t_p * (r_p . q_v) + b_v`
with each hidden state quantized as `r_p = round(h_p / t_p)` (halves away from zero),
`t_p = max|h_p| / 127`.

Usage:
  reference.py --model DIR --texts FILE.json --max-length N [--max-windows N --window-overlap K]
               --out FILE.jsonl

DIR holds model.onnx and tokenizer.json (and decoder.safetensors when the graph stops at the hidden
states). FILE.json is a JSON array of strings. Each output line is {"text", "max_length", "indices"
(ascending), "weights" (float32 values as Python floats)}.
"""

import argparse
import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
from safetensors.numpy import load_file
from tokenizers import Tokenizer

# Accepted names per input role, in order of preference; token types are optional.
INPUT_ROLES = {
    "ids": ("input_ids",),
    "mask": ("attention_mask", "input_mask"),
    "types": ("token_type_ids", "segment_ids"),
}


def load(model_dir) -> tuple:
    """Return (session, tokenizer, decoder) for a model directory; truncation and padding are switched
    off; decoder is None, or (weight, scale or None, bias) from decoder.safetensors.

    The session leaves out ONNX Runtime's SkipLayerNormFusion, as the library's sessions do: it rewrites
    only int8 graphs, and its fused kernel rounds their hidden states differently."""
    model_dir = Path(model_dir)
    options = ort.SessionOptions()
    options.add_session_config_entry("optimization.disable_specified_optimizers", "SkipLayerNormFusion")
    session = ort.InferenceSession(str(model_dir / "model.onnx"), options, providers=["CPUExecutionProvider"])
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    decoder = None
    if (model_dir / "decoder.safetensors").exists():
        tensors = load_file(str(model_dir / "decoder.safetensors"))
        decoder = (tensors["weight"], tensors.get("scale"), tensors["bias"])
    return session, tokenizer, decoder


def round_half_away(x: np.ndarray) -> np.ndarray:
    """Round to the nearest integer, halves away from zero (numpy's own rounding takes halves to even)."""
    whole = np.trunc(x)
    return np.where(np.abs(x - whole) >= 0.5, whole + np.sign(x), whole)


def decode(decoder: tuple, hidden: np.ndarray) -> np.ndarray:
    """The logits [seq, vocab] of hidden states [seq, hidden]: float32 for float32 rows, float64 for int8."""
    weight, scale, bias = decoder
    if scale is None:  # float32 rows
        return hidden @ weight.T + bias
    t = np.abs(hidden).max(axis=1) / np.float32(127)  # float32, per position
    r = round_half_away(hidden / t[:, None]).astype(np.float64)
    dots = r @ weight.T.astype(np.float64)
    return scale.astype(np.float64) * t[:, None].astype(np.float64) * dots + bias


def encode(tokenizer: Tokenizer, text: str, max_length: int, max_windows: int = 1,
           window_overlap: int = 0) -> list:
    """Token id windows with [CLS]/[SEP]: the first keeps [CLS] + the first max_length-2 content
    tokens + [SEP]; with max_windows > 1, further windows start max_length-2-window_overlap content
    tokens apart, until the text or the windows run out."""
    if tokenizer.truncation is not None or tokenizer.padding is not None:
        raise ValueError("tokenizer must have truncation and padding off (use load())")
    ids = tokenizer.encode(text).ids
    cls, content, sep = ids[:1], ids[1:-1], ids[-1:]
    room = max_length - 2
    windows = []
    for start in range(0, max(len(content), 1), max(room - window_overlap, 1)):
        windows.append(cls + content[start:start + room] + sep)
        if start + room >= len(content) or len(windows) == max_windows:
            break
    return windows


def input_names(session) -> dict:
    """Map the roles ids/mask/types to the model's input names (types may be absent)."""
    names = {i.name for i in session.get_inputs()}
    found = {role: next((n for n in choices if n in names), None) for role, choices in INPUT_ROLES.items()}
    unknown = names - set(found.values())
    if found["ids"] is None or found["mask"] is None or unknown:
        raise ValueError(f"unsupported model inputs: {sorted(names)}")
    return found


def expand(session, tokenizer: Tokenizer, decoder, text: str, max_length: int, max_windows: int = 1,
           window_overlap: int = 0) -> tuple:
    """SPLADE vector of one text: (indices int64 ascending, weights float32 > 0). Each window runs
    alone; a text's weight is the max over every position of every window, the windows after the first
    counting at half their weights."""
    names = input_names(session)
    pooled = []
    for window in encode(tokenizer, text, max_length, max_windows, window_overlap):
        ids = np.array([window], dtype=np.int64)
        feeds = {names["ids"]: ids, names["mask"]: np.ones_like(ids)}
        if names["types"] is not None:
            feeds[names["types"]] = np.zeros_like(ids)
        out = session.run(None, feeds)[0]
        if out.ndim == 2:  # already pooled in the graph: [1, vocab]
            pooled.append(out[0].astype(np.float32))
        else:  # logits [1, seq, vocab], or hidden states [1, seq, hidden] decoded into them
            logits = out[0] if decoder is None else decode(decoder, out[0])
            pooled.append(np.log1p(np.maximum(logits, 0)).max(axis=0).astype(np.float32))
    w = pooled[0] if len(pooled) == 1 else np.maximum(pooled[0], np.float32(0.5) * np.max(pooled[1:], axis=0))
    indices = np.nonzero(w > 0)[0]
    return indices, w[indices]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=Path, required=True)
    ap.add_argument("--texts", type=Path, required=True)
    ap.add_argument("--max-length", type=int, required=True)
    ap.add_argument("--max-windows", type=int, default=1)
    ap.add_argument("--window-overlap", type=int, default=0)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    if args.max_length < 2:
        ap.error("--max-length must be at least 2 ([CLS] and [SEP])")
    texts = json.loads(args.texts.read_text(encoding="utf-8"))
    session, tokenizer, decoder = load(args.model)
    tmp = args.out.with_name(args.out.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for text in texts:
            indices, weights = expand(session, tokenizer, decoder, text, args.max_length, args.max_windows,
                                      args.window_overlap)
            f.write(json.dumps({"text": text, "max_length": args.max_length, "max_windows": args.max_windows,
                                "window_overlap": args.window_overlap, "indices": indices.tolist(),
                                "weights": weights.tolist()}) + "\n")
    tmp.replace(args.out)
    print(f"wrote {args.out} ({len(texts)} texts, max_length {args.max_length})")


if __name__ == "__main__":
    main()
