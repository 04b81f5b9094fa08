"""A binarized complex CNN from torch end to end (test/fixtures/make_bcnn_fixtures.py): two
ComplexConv2d layers and a ComplexLinear whose real and imaginary weights are BipolarQuant
(+-1) of float latent weights, the real and imaginary planes binarized independently
between the layers, a max pool on the signs.

Checked: the model imports as three complex ops with +-1 weights and its float
interpretation is PyTorch's; it lowers to real-equivalent binary layers (both convolutions
`#encoding.binary<shift = 0>`: the first adds or subtracts its fixed-point inputs, the
second its +-1 inputs; the dense layer on the pooled signs `binary_complex.xnor_dense`,
XNOR and popcount); fixed point == g++ C-sim == Verilator RTL bit for bit on 1,000 inputs
with the measured latency and II the predicted ones. The complex dot product of +-1
operands itself is checked in test_binary_complex.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from helpers import assert_bit_exact_on_schedule, ops_of
from nncc.compiler.api import import_model
from nncc.dialects.encodings import BinaryAttr
from nncc.dialects.interfaces import ComplexWeights
from nncc.dialects.nn.channels import constant_weights

import nncc

pytestmark = pytest.mark.usefixtures("private_cache")  # conftest.py

FIXTURES = Path(__file__).parent.parent / "fixtures"
MODEL = FIXTURES / "torch_bcnn.onnx"
REFERENCE = np.load(FIXTURES / "torch_bcnn.npz")


def bcnn_inputs(n: int, seed: int = 0) -> np.ndarray:
    """Complex 8x8 images [re; im], N(0, 4) per part (the fixture's input scale)."""
    return (np.random.default_rng(seed).standard_normal((n, 2, 8, 8)) * 2).astype(np.float32)


@pytest.fixture(scope="module")
def design(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bcnn")
    np.save(folder / "calibration.npy", bcnn_inputs(256))
    return nncc.compile(MODEL, folder / "out", calibration=folder / "calibration.npy")


def test_imports_as_complex_layers_with_binary_weights():
    module = import_model(MODEL)
    layers = [op for op in module.walk() if isinstance(op, ComplexWeights)]
    assert [op.name for op in layers] == ["binary_complex.complex_conv"] * 2 + ["binary_complex.complex_dense"]
    for layer in layers:
        w, _ = constant_weights(layer)
        assert np.isin(w, (-1.0, 1.0)).all()
    assert len(ops_of(module, "nn.sign")) == 2


def test_float_is_torch(design):
    y = design.predict(REFERENCE["bcnn_x"], engine="float")
    assert np.abs(y - REFERENCE["bcnn_y"]).max() <= 1e-5


def test_lowers_to_binary_layers(design):
    convs = ops_of(design.design, "fixed.conv")
    assert len(convs) == 2 and all(op.encoding == BinaryAttr(0) for op in convs)
    assert not ops_of(design.design, "fixed.dense")
    assert len(ops_of(design.design, "binary_complex.xnor_dense")) == 1


@pytest.mark.requires("g++")
@pytest.mark.requires("verilator")
def test_fixed_csim_rtl_and_schedule(design):
    assert_bit_exact_on_schedule(design, bcnn_inputs(1000, seed=5), "output", distinct=40)
