"""Sanity checks of tools/reference.py: truncation, output form, pooled-vs-logits agreement, CLI."""

import json
import subprocess
import sys

import numpy as np
import pytest

import reference

TEXT = ("The Manhattan Project and its atomic bomb helped bring an end to World War II. Its legacy of "
        "peaceful uses of atomic energy continues to have an impact on history and science.")


@pytest.fixture(scope="module")
def tiny(tiny_dir):
    return reference.load(tiny_dir)


def test_truncation_keeps_cls_and_sep(tiny):
    _, tok, _ = tiny
    full = tok.encode(TEXT).ids
    [ids] = reference.encode(tok, TEXT, 16)
    assert len(full) > 16 and len(ids) == 16
    assert ids[0] == tok.token_to_id("[CLS]") and ids[-1] == tok.token_to_id("[SEP]")
    assert ids[:15] == full[:15]
    assert reference.encode(tok, TEXT, 512) == [full]
    assert reference.encode(tok, "", 2) == [[tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")]]


def test_windows_overlap_and_cover_the_text(tiny):
    _, tok, _ = tiny
    content = tok.encode(TEXT).ids[1:-1]
    windows = reference.encode(tok, TEXT, 10, max_windows=100, window_overlap=3)
    assert all(w[0] == tok.token_to_id("[CLS]") and w[-1] == tok.token_to_id("[SEP]") for w in windows)
    assert all(len(w) == 10 for w in windows[:-1])
    # Windows start 8 - 3 = 5 content tokens apart, and together hold every content token.
    for i, w in enumerate(windows):
        assert w[1:-1] == content[5 * i: 5 * i + 8]
    assert windows[-1][-2] == content[-1]
    assert len(reference.encode(tok, TEXT, 10, max_windows=2, window_overlap=3)) == 2


def test_rejects_tokenizer_that_truncates(tiny):
    _, tok, _ = tiny
    tok.enable_truncation(8)
    try:
        with pytest.raises(ValueError):
            reference.encode(tok, TEXT, 512)
    finally:
        tok.no_truncation()


def test_expand_form(tiny):
    indices, weights = reference.expand(*tiny, TEXT, 512)
    assert len(indices) > 10 and len(indices) == len(weights)
    assert (np.diff(indices) > 0).all()
    assert weights.dtype == np.float32 and (weights > 0).all()


def test_pooled_model_agrees(tiny, pooled_dir):
    """The in-graph pooling fixture gives the same vector as numpy pooling of the logits."""
    indices, weights = reference.expand(*tiny, TEXT, 128)
    p_indices, p_weights = reference.expand(*reference.load(pooled_dir), TEXT, 128)
    np.testing.assert_array_equal(indices, p_indices)
    np.testing.assert_allclose(weights, p_weights, atol=1e-5)


def test_hidden_state_model_agrees(tiny, shipped_dir):
    """The shipped layout (hidden states, float32 decoder.safetensors) decoded in numpy gives the logits
    model's vector."""
    indices, weights = reference.expand(*tiny, TEXT, 128)
    h_indices, h_weights = reference.expand(*reference.load(shipped_dir), TEXT, 128)
    np.testing.assert_array_equal(indices, h_indices)
    np.testing.assert_allclose(weights, h_weights, atol=1e-5)


def test_int8_quantization_rounds_halves_away_from_zero():
    x = np.array([-2.5, -1.5, -0.5, -0.49999997, 0.0, 0.49999997, 0.5, 1.5, 2.5, 126.5], dtype=np.float32)
    assert reference.round_half_away(x).tolist() == [-3, -2, -1, 0, 0, 0, 1, 2, 3, 127]


def test_cli_writes_jsonl(tmp_path, tiny_dir):
    texts = tmp_path / "texts.json"
    texts.write_text(json.dumps([TEXT, "", "naïve café"]))
    out = tmp_path / "out.jsonl"
    subprocess.run([sys.executable, reference.__file__, "--model", str(tiny_dir), "--texts", str(texts),
                    "--max-length", "32", "--out", str(out)], check=True, capture_output=True)
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["text"] for line in lines] == [TEXT, "", "naïve café"]
    for line in lines:
        assert line["max_length"] == 32 and len(line["indices"]) == len(line["weights"])
        assert all(np.float32(w) == w for w in line["weights"])  # float32 values, exactly
    indices, weights = reference.expand(*reference.load(tiny_dir), TEXT, 32)
    assert lines[0]["indices"] == indices.tolist() and lines[0]["weights"] == weights.tolist()
