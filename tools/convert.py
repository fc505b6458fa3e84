#!/usr/bin/env python3
"""Convert a BERT masked-LM checkpoint (safetensors + config.json) to ONNX, without torch.

The graph is written op by op with `onnx.helper` from the numpy weights, so the export is exact and
needs neither torch nor transformers. It uses only standard ONNX ops (opset 17) laid out like a
PyTorch BERT export. ONNX Runtime's built-in optimizer fuses the bias+GELU and the attention
scaling (BiasGelu, FusedMatMul); its Attention/SkipLayerNorm fusions need static sequence lengths,
but the offline `onnxruntime.transformers.optimizer` (model_type "bert") fuses all of them.

Choices worth knowing:
- Every dense layer is `MatMul` + `Add` with a constant [in, out] weight, never `Gemm`:
  `onnxruntime.quantization.quantize_dynamic` quantizes MatMul but not Gemm.
- The word embedding [vocab, hidden] is stored once and used by the embedding Gather. The tied
  decoder needs its transpose [hidden, vocab]; it is stored as a second initializer
  (`cls.predictions.decoder.weight.T`) rather than produced by a Transpose node, so that the
  decoder MatMul has a plain constant weight, which is what int8 quantization and ORT's prepacked
  MatMul kernels want. Cost: vocab*hidden*4 bytes more on disk (15.6 MB for splade-tiny).
- `--hidden-output` stops the graph at the MLM head's hidden states `[batch, seq, hidden]` and writes
  the decoder (weight [vocab, hidden], bias [vocab]) to decoder.safetensors: spladerunner then decodes
  and pools itself, screening the vocabulary with int8 bounds and computing only the rows that can be
  positive exactly (src/decoder).
- With `--hidden-output` the weights go beside the graph, in `model.onnx_data` (ONNX external data, every
  tensor of at least EXTERNAL_BYTES): ONNX Runtime then maps them from the file instead of parsing and
  copying them, which opens splade-tiny's session in a third of the time with 25 MB less resident
  (BENCHMARKS.md, what opening costs). The other layouts keep their weights inside model.onnx, so both kinds
  of graph file stay tested.
- `--pooled` applies SPLADE pooling in the graph: max over non-padded positions, then
  log(1 + relu(.)). Padded positions take the first real position's hidden state before the decoder,
  so they repeat its scores and cannot change the max (exact, no pass over [batch, seq, vocab], and
  nothing folded into the decoder MatMul, so int8 quantization is unaffected); the decoder bias is
  added after the max. `--vocab-chunks N` splits the decoder into N MatMuls over vocabulary slices,
  each max-pooled at once, so the [tokens, vocab] scores never sit in memory whole.

Usage:
  convert.py SRC_DIR OUT_DIR [--pooled] [--input-names standard|original]
             [--bert-base-random [--seed N]]
"""

import argparse
import json
import math
import shutil
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from safetensors.numpy import load_file, save_file

OPSET = 17  # the first opset with LayerNormalization
# External data: tensors of at least this many bytes go to model.onnx_data.
EXTERNAL_DATA = "model.onnx_data"
EXTERNAL_BYTES = 1024
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")
INPUT_NAMES = {
    "standard": ("input_ids", "attention_mask", "token_type_ids"),
    "original": ("input_ids", "input_mask", "segment_ids"),  # the Python spladerunner package
}
BERT_BASE = {
    "hidden_size": 768,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "intermediate_size": 3072,
    "vocab_size": 30522,
    "max_position_embeddings": 512,
    "type_vocab_size": 2,
    "layer_norm_eps": 1e-12,
}


def load_weights(src: Path) -> dict:
    """Read model.safetensors, renaming old-style LayerNorm `gamma`/`beta` to `weight`/`bias`."""
    weights = {}
    for name, value in load_file(str(src / "model.safetensors")).items():
        if ".LayerNorm." in name:
            name = name.replace(".gamma", ".weight").replace(".beta", ".bias")
        weights[name] = value.astype(np.float32)
    return weights


def random_weights(cfg: dict, seed: int) -> dict:
    """BERT weights drawn like Hugging Face's init: N(0, 0.02) matrices, zero biases, LayerNorm 1/0."""
    rng = np.random.default_rng(seed)
    h, inter = cfg["hidden_size"], cfg["intermediate_size"]
    w = {}

    def normal(*shape):
        return rng.standard_normal(shape, dtype=np.float32) * np.float32(0.02)

    def dense(prefix, n_in, n_out):
        w[prefix + ".weight"] = normal(n_out, n_in)  # torch Linear layout [out, in]
        w[prefix + ".bias"] = np.zeros(n_out, np.float32)

    def layer_norm(prefix):
        w[prefix + ".weight"] = np.ones(h, np.float32)
        w[prefix + ".bias"] = np.zeros(h, np.float32)

    w["bert.embeddings.word_embeddings.weight"] = normal(cfg["vocab_size"], h)
    w["bert.embeddings.position_embeddings.weight"] = normal(cfg["max_position_embeddings"], h)
    w["bert.embeddings.token_type_embeddings.weight"] = normal(cfg["type_vocab_size"], h)
    layer_norm("bert.embeddings.LayerNorm")
    for i in range(cfg["num_hidden_layers"]):
        p = f"bert.encoder.layer.{i}."
        for name in ("query", "key", "value"):
            dense(p + "attention.self." + name, h, h)
        dense(p + "attention.output.dense", h, h)
        layer_norm(p + "attention.output.LayerNorm")
        dense(p + "intermediate.dense", h, inter)
        dense(p + "output.dense", inter, h)
        layer_norm(p + "output.LayerNorm")
    dense("cls.predictions.transform.dense", h, h)
    layer_norm("cls.predictions.transform.LayerNorm")
    w["cls.predictions.bias"] = np.zeros(cfg["vocab_size"], np.float32)
    return w


class GraphBuilder:
    """Collects nodes and initializers; each op helper returns the name of its output."""

    def __init__(self):
        self.nodes, self.initializers, self.count = [], [], 0

    def const(self, name: str, value) -> str:
        self.initializers.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def op(self, op_type: str, *inputs: str, **attrs) -> str:
        self.count += 1
        out = f"{op_type}_{self.count}"
        self.nodes.append(helper.make_node(op_type, list(inputs), [out], name=out, **attrs))
        return out


def build_model(weights: dict, cfg: dict, pooled: bool, input_names: str,
                vocab_chunks: int = 1, hidden_output: bool = False) -> onnx.ModelProto:
    """Build the BERT masked-LM graph (logits, or SPLADE-pooled weights with `pooled`)."""
    g, w = GraphBuilder(), weights
    h, n_heads = cfg["hidden_size"], cfg["num_attention_heads"]
    head_dim, eps, vocab = h // n_heads, cfg["layer_norm_eps"], cfg["vocab_size"]
    ids_name, mask_name, types_name = INPUT_NAMES[input_names]

    f32 = lambda x: np.array(x, np.float32)  # noqa: E731
    i64 = lambda x: np.array(x, np.int64)  # noqa: E731
    one, sqrt2 = g.const("one", f32(1.0)), g.const("sqrt2", f32(math.sqrt(2.0)))
    half, scale = g.const("half", f32(0.5)), g.const("sqrt_head_dim", f32(math.sqrt(head_dim)))
    axis1, axis2 = g.const("axis1", i64([1])), g.const("axis2", i64([2]))

    def dense(x, prefix):
        weight_t = g.const(prefix + ".weight.T", np.ascontiguousarray(w[prefix + ".weight"].T))
        return g.op("Add", g.op("MatMul", x, weight_t), g.const(prefix + ".bias", w[prefix + ".bias"]))

    def layer_norm(x, prefix):
        gamma = g.const(prefix + ".weight", w[prefix + ".weight"])
        return g.op("LayerNormalization", x, gamma, g.const(prefix + ".bias", w[prefix + ".bias"]),
                    axis=-1, epsilon=eps)

    def gelu(x):  # exact (erf) GELU: 0.5 * x * (1 + erf(x / sqrt(2)))
        return g.op("Mul", g.op("Mul", x, g.op("Add", g.op("Erf", g.op("Div", x, sqrt2)), one)), half)

    # Embeddings: word + position (0..seq-1, computed from the shape of input_ids) + token type.
    shape = g.op("Shape", ids_name)
    seq = g.op("Gather", shape, g.const("index1", i64(1)), axis=0)
    positions = g.op("Range", g.const("zero_i64", i64(0)), seq, g.const("one_i64", i64(1)))
    positions = g.op("Expand", g.op("Unsqueeze", positions, g.const("axis0", i64([0]))), shape)
    emb = g.op("Add",
               g.op("Gather", g.const("bert.embeddings.word_embeddings.weight",
                                      w["bert.embeddings.word_embeddings.weight"]), ids_name),
               g.op("Gather", g.const("bert.embeddings.position_embeddings.weight",
                                      w["bert.embeddings.position_embeddings.weight"]), positions))
    emb = g.op("Add", emb, g.op("Gather", g.const("bert.embeddings.token_type_embeddings.weight",
                                                  w["bert.embeddings.token_type_embeddings.weight"]),
                                types_name))
    x = layer_norm(emb, "bert.embeddings.LayerNorm")

    # Additive attention mask (1 - mask) * -10000, shaped [batch, 1, 1, seq] to broadcast.
    mask = g.op("Cast", g.op("Unsqueeze", g.op("Unsqueeze", mask_name, axis1), axis2),
                to=TensorProto.FLOAT)
    mask_bias = g.op("Mul", g.op("Sub", one, mask), g.const("mask_fill", f32(-10000.0)))
    split_heads = g.const("split_heads_shape", i64([0, 0, n_heads, head_dim]))
    merge_heads = g.const("merge_heads_shape", i64([0, 0, h]))

    for i in range(cfg["num_hidden_layers"]):
        p = f"bert.encoder.layer.{i}."

        def heads(prefix, perm):
            return g.op("Transpose", g.op("Reshape", dense(x, p + prefix), split_heads), perm=perm)

        q = heads("attention.self.query", [0, 2, 1, 3])  # [b, heads, seq, dim]
        k = heads("attention.self.key", [0, 2, 3, 1])  # [b, heads, dim, seq]
        v = heads("attention.self.value", [0, 2, 1, 3])
        scores = g.op("Add", g.op("Div", g.op("MatMul", q, k), scale), mask_bias)
        context = g.op("MatMul", g.op("Softmax", scores, axis=3), v)
        context = g.op("Reshape", g.op("Transpose", context, perm=[0, 2, 1, 3]), merge_heads)
        attn = dense(context, p + "attention.output.dense")
        x = layer_norm(g.op("Add", attn, x), p + "attention.output.LayerNorm")
        mlp = dense(gelu(dense(x, p + "intermediate.dense")), p + "output.dense")
        x = layer_norm(g.op("Add", mlp, x), p + "output.LayerNorm")

    # MLM head: dense + GELU + LayerNorm, then the decoder tied to the word embeddings.
    t = layer_norm(gelu(dense(x, "cls.predictions.transform.dense")),
                   "cls.predictions.transform.LayerNorm")
    decoder = w.get("cls.predictions.decoder.weight", w["bert.embeddings.word_embeddings.weight"])
    bias = lambda: g.const("cls.predictions.bias", w["cls.predictions.bias"])  # noqa: E731

    def decode(x, cols, name):  # the decoder's scores for the vocabulary slice `cols`
        return g.op("MatMul", x, g.const(name, np.ascontiguousarray(decoder.T[:, cols])))

    if hidden_output:
        # The library decodes and pools itself from these hidden states and decoder.safetensors.
        out_name, out_dims, result = "hidden", ["batch", "seq", h], t
    elif pooled:
        # Padding: every padded position's hidden state is replaced by the first real position's, so
        # its scores repeat that position's and cannot change the max. Exact, and it costs a pass over
        # [batch, seq, hidden] rather than over [batch, seq, vocab]; it also keeps padding out of the
        # activation range that int8 quantization measures. Max first, then relu and log: both are
        # monotonic, so this is exact. The per-term bias is the same at every position and float
        # addition is monotonic, so max(x + b) == max(x) + b: adding it after the max saves a pass.
        # With vocab_chunks > 1 the decoder runs as that many MatMuls over slices of the vocabulary,
        # each max-pooled right away, so the [tokens, vocab] scores are never all in memory at once.
        keep = g.op("Cast", g.op("Unsqueeze", mask_name, axis2), to=TensorProto.BOOL)
        first = g.op("ArgMax", g.op("Cast", mask_name, to=TensorProto.FLOAT), axis=1, keepdims=1)
        index = g.op("Expand", g.op("Unsqueeze", first, axis2), g.const("hidden_shape", i64([1, 1, h])))
        t = g.op("Where", keep, t, g.op("GatherElements", t, index, axis=1))
        peaks = [g.op("ReduceMax", decode(t, cols, f"cls.predictions.decoder.weight.T.{c}"), axes=[1],
                      keepdims=0)
                 for c, cols in enumerate(np.array_split(np.arange(vocab), vocab_chunks))]
        peak = g.op("Add", peaks[0] if vocab_chunks == 1 else g.op("Concat", *peaks, axis=1), bias())
        out_name, out_dims = "weights", ["batch", vocab]
        result = g.op("Log", g.op("Add", g.op("Relu", peak), one))
    else:
        scores = decode(t, np.arange(vocab), "cls.predictions.decoder.weight.T")
        out_name, out_dims, result = "logits", ["batch", "seq", vocab], g.op("Add", scores, bias())
    g.nodes.append(helper.make_node("Identity", [result], [out_name], name="output"))

    inputs = [helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "seq"])
              for n in (ids_name, mask_name, types_name)]
    output = helper.make_tensor_value_info(out_name, TensorProto.FLOAT, out_dims)
    graph = helper.make_graph(g.nodes, "bert_mlm", inputs, [output], g.initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="spladerunner-convert")
    model.ir_version = 8  # readable by any ONNX Runtime since 1.10
    return model


def convert(src: Path, out: Path, pooled=False, input_names="standard", bert_base_random=False,
            seed=0, vocab_chunks=1, hidden_output=False) -> Path:
    """Write OUT/model.onnx and copy the tokenizer/config files; returns the model path."""
    src, out = Path(src), Path(out)
    cfg = json.loads((src / "config.json").read_text())
    if bert_base_random:
        cfg.update(BERT_BASE)
        weights = random_weights(cfg, seed)
    else:
        weights = load_weights(src)
    model = build_model(weights, cfg, pooled, input_names, vocab_chunks, hidden_output)
    onnx.checker.check_model(model, full_check=True)
    out.mkdir(parents=True, exist_ok=True)
    # With --hidden-output the initializers of EXTERNAL_BYTES or more go to model.onnx_data.
    onnx.save(model, str(out / "model.onnx"), save_as_external_data=hidden_output, all_tensors_to_one_file=True,
              location=EXTERNAL_DATA, size_threshold=EXTERNAL_BYTES)
    if hidden_output:
        decoder = weights.get("cls.predictions.decoder.weight", weights["bert.embeddings.word_embeddings.weight"])
        save_file({"weight": np.ascontiguousarray(decoder, dtype=np.float32),
                   "bias": np.ascontiguousarray(weights["cls.predictions.bias"], dtype=np.float32)},
                  str(out / "decoder.safetensors"))
    if bert_base_random:  # describe the shape actually written
        (out / "config.json").write_text(json.dumps(cfg, indent=2) + "\n")
    for name in TOKENIZER_FILES + (() if bert_base_random else ("config.json",)):
        if (src / name).exists():
            shutil.copyfile(src / name, out / name)
    return out / "model.onnx"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("src", type=Path, help="directory with model.safetensors, config.json, tokenizer files")
    ap.add_argument("out", type=Path, help="output directory")
    ap.add_argument("--pooled", action="store_true", help="output SPLADE weights [batch, vocab]")
    ap.add_argument("--input-names", choices=sorted(INPUT_NAMES), default="standard")
    ap.add_argument("--bert-base-random", action="store_true",
                    help="ignore the weights; random BERT-base-shaped model")
    ap.add_argument("--seed", type=int, default=0, help="seed for --bert-base-random")
    ap.add_argument("--vocab-chunks", type=int, default=1,
                    help="with --pooled: run the decoder over this many vocabulary slices")
    ap.add_argument("--hidden-output", action="store_true",
                    help="output the MLM head's hidden states [batch, seq, hidden] and write the decoder to "
                         "decoder.safetensors, for the library's own decoder; the graph's weights go to "
                         "model.onnx_data")
    args = ap.parse_args()
    path = convert(args.src, args.out, args.pooled, args.input_names, args.bert_base_random, args.seed,
                   args.vocab_chunks, args.hidden_output)
    written = [f for f in (path, path.parent / EXTERNAL_DATA) if f.exists()]
    print(f"wrote {' and '.join(map(str, written))} ({sum(f.stat().st_size for f in written) / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
