"""Batch norm + sign -> `binary_complex.threshold` on torch BNNs (test/fixtures/make_bnn_fixtures.py):
a BNN MLP (bipolar ``torch.where`` sign) and a BNN CNN (ternary ``torch.sign``, max pool).

`binary-complex-fold-threshold` (in nn-cleanup) turns every batch norm + sign after a layer
with an integer accumulator into a threshold, the +-1 results make the next dense layers
`binary_complex.xnor_dense`, the float interpreter equals onnxruntime, fixed == C-sim ==
Verilator RTL bit for bit on 1,000 inputs with the predicted latency / II, the design's
argmax equals the float model's, and Yosys maps the binary layers to no DSP. The fold itself
is checked against float batch norm + sign for every accumulator value in range."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from helpers import assert_bit_exact_on_schedule, ops_of
import nncc
from nncc.compiler.api import import_model
from nncc.dialects.binary_complex import SignThresholdOp, ThresholdOp

pytestmark = pytest.mark.usefixtures("private_cache")  # conftest.py

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
DATA = np.load(FIXTURES / "torch_bnn.npz")
# name: (thresholds at the nn level, xnor_dense layers)
EXPECTED = {"mlp": (1, 2), "cnn": (2, 2)}


def _compile(name: str, folder: Path) -> nncc.Design:
    np.save(folder / "calibration.npy", DATA[f"{name}_x"][:256])
    return nncc.compile(FIXTURES / f"torch_bnn_{name}.onnx", folder / "out", calibration=folder / "calibration.npy")


def _onnxruntime(name: str, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(FIXTURES / f"torch_bnn_{name}.onnx"), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x})[0]


@pytest.mark.parametrize("name", ["mlp", "cnn"])
def test_batch_norm_and_sign_become_thresholds(name):
    """No batch norm or sign is left after a binary layer with an integer accumulator (the
    first layer's input is real: its batch norm and sign stay)."""
    module = import_model(onnx.load(FIXTURES / f"torch_bnn_{name}.onnx"))
    thresholds = [op for op in module.walk() if isinstance(op, SignThresholdOp)]
    assert len(thresholds) == EXPECTED[name][0]
    assert len(ops_of(module, "nn.batchnorm")) == 1


@pytest.mark.parametrize("name", ["mlp", "cnn"])
def test_float_equals_onnxruntime_and_fixed_keeps_the_argmax(tmp_path, name):
    design = _compile(name, tmp_path)
    x = DATA[f"{name}_x"]
    ref = _onnxruntime(name, x)
    np.testing.assert_allclose(ref, DATA[f"{name}_y"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(design.predict(x, engine="float"), ref, rtol=1e-5, atol=1e-5)
    fixed = design.predict(x, engine="fixed")
    agree = float(np.mean(fixed.argmax(1) == ref.argmax(1)))
    print(f"\n{name}: argmax agreement fixed vs float model {agree:.4f} on {len(x)} inputs, "
          f"max |fixed - float| {np.abs(fixed - ref).max():.3g}")
    assert agree == 1.0  # (inputs on the 2^-3 grid: the accumulators are exact)
    dense = ops_of(design.design, "binary_complex.xnor_dense")
    assert len(dense) == EXPECTED[name][1]
    assert len([op for op in design.design.walk() if isinstance(op, ThresholdOp)]) == EXPECTED[name][0]


@pytest.mark.requires("g++")
@pytest.mark.requires("verilator")
@pytest.mark.parametrize("name", ["mlp", "cnn"])
def test_fixed_csim_rtl_bit_exact(tmp_path, name):
    """fixed == C-sim == Verilator RTL bit for bit on the 1,000 test inputs; measured
    latency and II are the predicted ones."""
    design = _compile(name, tmp_path)
    assert_bit_exact_on_schedule(design, DATA[f"{name}_x"], "output", distinct=10)
