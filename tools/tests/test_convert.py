"""tools/convert.py against an independent float64 numpy BERT written here from the safetensors.

The numpy forward pass shares no code with the converter: it reads the checkpoint itself and does
embeddings, LayerNorm, masked multi-head attention, exact-erf GELU and the tied MLM head directly.
"""

import json
import math

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from safetensors.numpy import load_file
from tokenizers import Tokenizer

from convert import convert

TOL = 1e-4
TEXTS = [
    "hello",  # one content token
    "what is habeas corpus",
    "The Manhattan Project and its atomic bomb helped bring an end to World War II. Its legacy of "
    "peaceful uses of atomic energy continues to have an impact on history and science.",
    "ibuprofen dosage 5 mg/kg children",
    "Sparse retrieval models such as SPLADE expand queries and documents into weighted bags of "
    "vocabulary terms, which an inverted index can search efficiently.",
]
erf = np.vectorize(math.erf)


def numpy_bert_logits(src, ids, mask, types):
    """Masked-LM logits [batch, seq, vocab] in float64, straight from the checkpoint."""
    cfg = json.loads((src / "config.json").read_text())
    w = {}
    for name, value in load_file(str(src / "model.safetensors")).items():
        name = name.replace("LayerNorm.gamma", "LayerNorm.weight").replace("LayerNorm.beta", "LayerNorm.bias")
        w[name] = value.astype(np.float64)
    hidden, n_heads, eps = cfg["hidden_size"], cfg["num_attention_heads"], cfg["layer_norm_eps"]
    head_dim = hidden // n_heads
    batch, seq = ids.shape

    def linear(x, p):
        return x @ w[p + ".weight"].T + w[p + ".bias"]

    def layer_norm(x, p):
        centered = x - x.mean(-1, keepdims=True)
        var = (centered**2).mean(-1, keepdims=True)
        return centered / np.sqrt(var + eps) * w[p + ".weight"] + w[p + ".bias"]

    def gelu(x):
        return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))

    def split_heads(x):
        return x.reshape(batch, seq, n_heads, head_dim).transpose(0, 2, 1, 3)

    word = w["bert.embeddings.word_embeddings.weight"]
    x = (word[ids] + w["bert.embeddings.position_embeddings.weight"][np.arange(seq)][None]
         + w["bert.embeddings.token_type_embeddings.weight"][types])
    x = layer_norm(x, "bert.embeddings.LayerNorm")
    mask_bias = (1.0 - mask[:, None, None, :]) * -10000.0
    for i in range(cfg["num_hidden_layers"]):
        p = f"bert.encoder.layer.{i}."
        q, k, v = (split_heads(linear(x, p + "attention.self." + n)) for n in ("query", "key", "value"))
        scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(head_dim) + mask_bias
        probs = np.exp(scores - scores.max(-1, keepdims=True))
        probs /= probs.sum(-1, keepdims=True)
        context = (probs @ v).transpose(0, 2, 1, 3).reshape(batch, seq, hidden)
        x = layer_norm(linear(context, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
        mlp = linear(gelu(linear(x, p + "intermediate.dense")), p + "output.dense")
        x = layer_norm(mlp + x, p + "output.LayerNorm")
    t = layer_norm(gelu(linear(x, "cls.predictions.transform.dense")), "cls.predictions.transform.LayerNorm")
    return t @ word.T + w["cls.predictions.bias"]


@pytest.fixture(scope="module")
def batch(src_dir):
    """Right-padded batch of TEXTS: ids, mask, token types (one row has type 1 on its second half)."""
    tok = Tokenizer.from_file(str(src_dir / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    rows = [tok.encode(t).ids for t in TEXTS]
    assert len(rows[0]) == 3 and len({len(r) for r in rows}) == len(rows)
    ids = np.zeros((len(rows), max(map(len, rows))), np.int64)
    mask, types = np.zeros_like(ids), np.zeros_like(ids)
    for r, row in enumerate(rows):
        ids[r, : len(row)], mask[r, : len(row)] = row, 1
    types[3, len(rows[3]) // 2 : len(rows[3])] = 1
    return ids, mask, types


@pytest.fixture(scope="module")
def expected(src_dir, batch):
    return numpy_bert_logits(src_dir, *batch)


def session(model_dir):
    return ort.InferenceSession(str(model_dir / "model.onnx"), providers=["CPUExecutionProvider"])


def run(sess, ids, mask, types):
    names = [i.name for i in sess.get_inputs()]
    return sess.run(None, dict(zip(names, (ids, mask, types))))[0]


def test_logits_match_numpy(tmp_path, src_dir, batch, expected):
    out = tmp_path / "logits"
    convert(src_dir, out)
    assert sorted(p.name for p in out.iterdir()) == [
        "config.json", "model.onnx", "tokenizer.json", "tokenizer_config.json"]
    sess = session(out)
    assert [i.name for i in sess.get_inputs()] == ["input_ids", "attention_mask", "token_type_ids"]
    assert [(o.name, o.shape) for o in sess.get_outputs()] == [("logits", ["batch", "seq", 30522])]
    logits = run(sess, *batch)
    valid = batch[1].astype(bool)
    diff = np.abs(logits[valid] - expected[valid]).max()
    print(f"logits max abs diff vs numpy: {diff:.3g} (logits range {expected[valid].min():.1f}.."
          f"{expected[valid].max():.1f})")
    assert diff <= TOL


@pytest.mark.parametrize("vocab_chunks", [1, 7, 32])
def test_pooled_matches_numpy_pooling(tmp_path, src_dir, batch, expected, vocab_chunks):
    convert(src_dir, tmp_path, pooled=True, vocab_chunks=vocab_chunks)
    sess = session(tmp_path)
    assert [(o.name, o.shape) for o in sess.get_outputs()] == [("weights", ["batch", 30522])]
    ids, mask, types = batch
    weights = run(sess, ids, mask, types)
    want = np.stack([np.log1p(np.maximum(expected[r, mask[r] == 1].max(0), 0)) for r in range(len(ids))])
    diff = np.abs(weights - want).max()
    print(f"pooled ({vocab_chunks} chunks) max abs diff vs numpy: {diff:.3g}")
    assert diff <= TOL
    # Padding is excluded: the shortest (most padded) row equals the same text run alone.
    n = int(mask[0].sum())
    alone = run(sess, ids[:1, :n], mask[:1, :n], types[:1, :n])[0]
    pad_diff = np.abs(alone - weights[0]).max()
    print(f"pooled padded-vs-unpadded max abs diff: {pad_diff:.3g}")
    assert pad_diff <= 1e-5


def test_original_input_names(tmp_path, src_dir, batch, expected):
    convert(src_dir, tmp_path, input_names="original")
    sess = session(tmp_path)
    assert [i.name for i in sess.get_inputs()] == ["input_ids", "input_mask", "segment_ids"]
    logits = run(sess, *batch)
    valid = batch[1].astype(bool)
    assert np.abs(logits[valid] - expected[valid]).max() <= TOL


def test_hidden_output_and_its_decoder_give_the_logits(tmp_path, src_dir, batch, expected):
    """--hidden-output: the graph's hidden states times decoder.safetensors are the logits; the graph's weights
    are in model.onnx_data (every initializer of 1 KiB or more, the word embeddings among them)."""
    convert(src_dir, tmp_path, hidden_output=True)
    graph = onnx.load(str(tmp_path / "model.onnx"), load_external_data=False).graph
    external = {t.name for t in graph.initializer if t.data_location == onnx.TensorProto.EXTERNAL}
    assert "bert.embeddings.word_embeddings.weight" in external
    assert all(t.name in external for t in graph.initializer if len(t.raw_data) >= 1024)
    assert (tmp_path / "model.onnx_data").stat().st_size > 30522 * 128 * 4
    sess = session(tmp_path)
    assert [(o.name, o.shape) for o in sess.get_outputs()] == [("hidden", ["batch", "seq", 128])]
    decoder = load_file(str(tmp_path / "decoder.safetensors"))
    assert decoder["weight"].shape == (30522, 128) and decoder["bias"].shape == (30522,)
    logits = run(sess, *batch) @ decoder["weight"].T + decoder["bias"]
    valid = batch[1].astype(bool)
    assert np.abs(logits[valid] - expected[valid]).max() <= TOL


def test_graph_uses_matmul_not_gemm(tiny_dir):
    """quantize_dynamic quantizes MatMul, not Gemm; every dense layer must be MatMul with a constant."""
    model = onnx.load(str(tiny_dir / "model.onnx"))
    consts = {i.name for i in model.graph.initializer}
    ops = [n.op_type for n in model.graph.node]
    assert "Gemm" not in ops
    weighted = [n for n in model.graph.node if n.op_type == "MatMul" and n.input[1] in consts]
    assert len(weighted) == 2 * 6 + 1 + 1  # per layer Q, K, V, out, up, down; head dense; decoder


def test_bert_base_random_shapes(tmp_path, src_dir):
    """BERT-base shapes, combined with --pooled and --input-names original; runs once."""
    convert(src_dir, tmp_path, pooled=True, input_names="original", bert_base_random=True, seed=1)
    model = onnx.load(str(tmp_path / "model.onnx"))
    shapes = {i.name: tuple(i.dims) for i in model.graph.initializer}
    assert shapes["bert.embeddings.word_embeddings.weight"] == (30522, 768)
    assert shapes["bert.embeddings.position_embeddings.weight"] == (512, 768)
    assert shapes["bert.embeddings.token_type_embeddings.weight"] == (2, 768)
    assert shapes["cls.predictions.decoder.weight.T.0"] == (768, 30522)  # --pooled, one vocabulary chunk
    layers = {name.split(".")[3] for name in shapes if name.startswith("bert.encoder.layer.")}
    assert layers == {str(i) for i in range(12)}
    for i in range(12):
        p = f"bert.encoder.layer.{i}."
        assert shapes[p + "attention.self.query.weight.T"] == (768, 768)
        assert shapes[p + "intermediate.dense.weight.T"] == (768, 3072)
        assert shapes[p + "output.dense.weight.T"] == (3072, 768)
    cfg = json.loads((tmp_path / "config.json").read_text())
    assert (cfg["num_hidden_layers"], cfg["hidden_size"], cfg["num_attention_heads"],
            cfg["intermediate_size"]) == (12, 768, 12, 3072)
    sess = session(tmp_path)
    assert [i.name for i in sess.get_inputs()] == ["input_ids", "input_mask", "segment_ids"]
    ids = np.array([[101, 7592, 2088, 102]], np.int64)
    weights = run(sess, ids, np.ones_like(ids), np.zeros_like(ids))
    assert weights.shape == (1, 30522) and np.isfinite(weights).all() and (weights >= 0).all()
