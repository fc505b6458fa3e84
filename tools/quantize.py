#!/usr/bin/env python3
"""Write an int8 copy of a model directory: ONNX Runtime's dynamic quantization of the weight MatMuls.

Weights become int8 (per output channel when --per-channel), activations are quantized on the fly per call, so
ONNX Runtime runs the matrix products with its int8 kernels (VNNI/AMX where the CPU has them). Only MatMuls
with a constant weight are quantized (`MatMulConstBOnly`): the attention products, the embeddings and the
SPLADE pooling stay in float32, and so does the padding mask, which is added after the decoder MatMul.

A model that leaves its decoder to the library (`decoder.safetensors`, see tools/convert.py --hidden-output)
gets an int8 decoder file: `weight` int8 with one float32 `scale` per vocabulary row (max |w| / 127), `bias`
float32; the library then computes the int8 product itself (AMX or VNNI where the CPU has them).

Usage: quantize.py IN_DIR OUT_DIR [--per-channel]
"""

import argparse
import shutil
from pathlib import Path

import numpy as np
from onnxruntime.quantization import QuantType, quantize_dynamic
from safetensors.numpy import load_file, save_file

MODEL_FILES = ("tokenizer.json", "config.json", "tokenizer_config.json", "special_tokens_map.json")


def quantize_decoder(src: Path, out: Path):
    """decoder.safetensors with a float32 weight -> int8 weight, one scale per row, float32 bias."""
    decoder = load_file(str(src))
    weight = decoder["weight"].astype(np.float32)
    scale = (np.abs(weight).max(axis=1) / 127.0).astype(np.float32)
    safe = np.where(scale > 0, scale, 1.0)[:, None]
    values = np.clip(np.round(weight / safe), -127, 127).astype(np.int8)
    save_file({"weight": values, "scale": scale, "bias": decoder["bias"].astype(np.float32)}, str(out))


def quantize(src: Path, out: Path, per_channel: bool = False) -> Path:
    """Quantize SRC/model.onnx into OUT/model.onnx and copy the tokenizer and config files."""
    out.mkdir(parents=True, exist_ok=True)
    quantize_dynamic(src / "model.onnx", out / "model.onnx", weight_type=QuantType.QInt8,
                     op_types_to_quantize=["MatMul"], per_channel=per_channel,
                     extra_options={"MatMulConstBOnly": True})
    for name in MODEL_FILES:
        if (src / name).exists():
            shutil.copyfile(src / name, out / name)
    if (src / "decoder.safetensors").exists():
        quantize_decoder(src / "decoder.safetensors", out / "decoder.safetensors")
    return out / "model.onnx"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("src", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--per-channel", action="store_true", help="one weight scale per output channel")
    args = ap.parse_args()
    path = quantize(args.src, args.out, args.per_channel)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
