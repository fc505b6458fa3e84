#!/usr/bin/env python3
"""Write the small test-fixture models that the Rust and binding tests load.

Usage: fixtures.py SRC_DIR OUT_ROOT

SRC_DIR is the splade-tiny source (model.safetensors, config.json, tokenizer files). Under OUT_ROOT:
- splade-tiny-logits/     splade-tiny with logits output [batch, seq, vocab] (pooled by the library)
- splade-tiny-orignames/  splade-tiny logits with inputs input_ids / input_mask / segment_ids
- bad-output-shape/       output `logits` float [batch, seq, 2, 3]: not [batch, seq, vocab]
- vocab-mismatch/         output `logits` [batch, seq, 1000] while tokenizer.json has 30522 tokens
- bad-input-name/         inputs input_ids, attention_mask and a required float `pixel_values`
The last three are tiny graphs (a Gather from a 16-row random table) that only need to load in
ONNX Runtime with these declared shapes; each directory also gets splade-tiny's tokenizer files.
"""

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from convert import OPSET, convert

TABLE_ROWS = 16  # ids are taken modulo this, so the tables stay tiny whatever the vocabulary
COPIED = ("tokenizer.json", "config.json", "tokenizer_config.json")


def tiny_model(inputs: list, width: int, out_dims: list, extra_nodes=()) -> onnx.ModelProto:
    """logits = Gather(random [16, width] table, input_ids % 16) * attention_mask, reshaped/expanded
    by `extra_nodes`, which read `features` and must produce `logits`."""
    rng = np.random.default_rng(0)
    inits = [
        numpy_helper.from_array(rng.standard_normal((TABLE_ROWS, width)).astype(np.float32), "table"),
        numpy_helper.from_array(np.array(TABLE_ROWS, np.int64), "rows"),
        numpy_helper.from_array(np.array([2], np.int64), "axis2"),
    ]
    nodes = [
        helper.make_node("Mod", ["input_ids", "rows"], ["row"]),
        helper.make_node("Gather", ["table", "row"], ["gathered"]),
        helper.make_node("Unsqueeze", ["attention_mask", "axis2"], ["mask3"]),
        helper.make_node("Cast", ["mask3"], ["maskf"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["gathered", "maskf"], ["features"]),
        *extra_nodes,
    ]
    graph = helper.make_graph(nodes, "fixture", inputs,
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, out_dims)],
                              inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    return model


def int_input(name: str):
    return helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "seq"])


def bad_output_shape() -> onnx.ModelProto:
    """Rank-4 output [batch, seq, 2, 3]: unambiguously not logits or pooled weights."""
    shape = helper.make_node("Constant", [], ["shape"],
                             value=numpy_helper.from_array(np.array([0, 0, 2, 3], np.int64)))
    reshape = helper.make_node("Reshape", ["features", "shape"], ["logits"])
    inputs = [int_input(n) for n in ("input_ids", "attention_mask", "token_type_ids")]
    return tiny_model(inputs, 6, ["batch", "seq", 2, 3], [shape, reshape])


def vocab_mismatch() -> onnx.ModelProto:
    """Logits with a static vocabulary dimension of 1000 (the tokenizer has 30522)."""
    inputs = [int_input(n) for n in ("input_ids", "attention_mask", "token_type_ids")]
    return tiny_model(inputs, 1000, ["batch", "seq", 1000],
                      [helper.make_node("Identity", ["features"], ["logits"])])


def bad_input_name(vocab: int) -> onnx.ModelProto:
    """Well-shaped logits [batch, seq, vocab], but a third required input `pixel_values`."""
    inputs = [int_input("input_ids"), int_input("attention_mask"),
              helper.make_tensor_value_info("pixel_values", TensorProto.FLOAT,
                                            ["batch", 3, "height", "width"])]
    nodes = [
        helper.make_node("Constant", [], ["vocab_shape"],
                         value=numpy_helper.from_array(np.array([1, 1, vocab], np.int64))),
        helper.make_node("Expand", ["features", "vocab_shape"], ["wide"]),
        helper.make_node("ReduceSum", ["pixel_values"], ["pixels"], keepdims=0),
        helper.make_node("Add", ["wide", "pixels"], ["logits"]),
    ]
    return tiny_model(inputs, 1, ["batch", "seq", vocab], nodes)


def main():
    src, root = Path(sys.argv[1]), Path(sys.argv[2])
    convert(src, root / "splade-tiny-logits")
    convert(src, root / "splade-tiny-orignames", input_names="original")
    vocab = json.loads((src / "config.json").read_text())["vocab_size"]
    for name, model in (("bad-output-shape", bad_output_shape()),
                        ("vocab-mismatch", vocab_mismatch()),
                        ("bad-input-name", bad_input_name(vocab))):
        out = root / name
        out.mkdir(parents=True, exist_ok=True)
        onnx.save(model, str(out / "model.onnx"))
        for f in COPIED:
            shutil.copyfile(src / f, out / f)
    print(f"wrote fixtures under {root}")


if __name__ == "__main__":
    main()
