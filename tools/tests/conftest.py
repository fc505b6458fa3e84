"""Shared fixtures: paths into the repo's .cache/, which tools/setup.sh fills.

A missing input fails the test (never skips it) with a message saying to run tools/setup.sh.
"""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))  # import convert, reference as modules


def _need(relative: str) -> Path:
    path = ROOT / ".cache" / relative
    if not path.exists():
        pytest.fail(f"{path} is missing: run tools/setup.sh first", pytrace=False)
    return path


@pytest.fixture(scope="session")
def src_dir() -> Path:
    """The splade-tiny checkpoint as shipped: model.safetensors, config.json, tokenizer files."""
    return _need("wheels/splade-tiny-src")


@pytest.fixture(scope="session")
def tiny_dir() -> Path:
    """splade-tiny converted to ONNX (logits output)."""
    return _need("models/splade-tiny-logits")


@pytest.fixture(scope="session")
def shipped_dir() -> Path:
    """splade-tiny as shipped: the graph stops at the hidden states, decoder.safetensors in float32."""
    return _need("models/splade-tiny")


@pytest.fixture(scope="session")
def pooled_dir() -> Path:
    """splade-tiny pooling inside the graph (weights output), decoder in vocabulary chunks."""
    return _need("models/splade-tiny-chunked")
