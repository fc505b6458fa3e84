"""tools/quantize.py: the int8 decoder file it writes for a model whose decoder the library runs."""

import numpy as np
from safetensors.numpy import load_file, save_file

from quantize import quantize_decoder


def test_int8_decoder_rows_are_the_float_rows_within_half_a_step(tmp_path):
    rng = np.random.default_rng(0)
    weight = rng.normal(0, 0.05, size=(300, 64)).astype(np.float32)
    weight[7] = 0.0  # an all-zero row keeps scale 0 and values 0
    weight[8, 3] = 1.5  # an outlier sets its row's scale
    bias = rng.normal(-2, 1, size=300).astype(np.float32)
    save_file({"weight": weight, "bias": bias}, str(tmp_path / "in.safetensors"))

    quantize_decoder(tmp_path / "in.safetensors", tmp_path / "out.safetensors")
    out = load_file(str(tmp_path / "out.safetensors"))

    assert out["weight"].dtype == np.int8 and out["weight"].shape == (300, 64)
    assert out["scale"].dtype == np.float32 and out["scale"].shape == (300,)
    np.testing.assert_array_equal(out["bias"], bias)
    np.testing.assert_allclose(out["scale"], np.abs(weight).max(axis=1) / 127, rtol=1e-6)
    assert np.abs(out["weight"].astype(np.int32)).max() == 127
    error = np.abs(out["weight"] * out["scale"][:, None] - weight)
    assert (error <= out["scale"][:, None] / 2 * (1 + 1e-5) + 1e-12).all()
    assert not out["weight"][7].any() and out["scale"][7] == 0
