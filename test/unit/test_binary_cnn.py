"""A QONNX binary CNN end to end (test/unit/binary_support.py `qonnx_binary_cnn`): 8-bit input,
two 3x3 convolutions with +-1 weights, each followed by a per-channel threshold and a sign,
a 2x2 max pool on the +-1 maps, and a binary dense layer to 10 logits.

The float interpreter equals a numpy transcription of the QONNX semantics; on inputs on the
input quantizer's grid the fixed-point design's argmax equals the model's on every input;
fixed point == g++ C-simulation == Verilator RTL bit for bit on 1,000 images with the
measured latency / II the predicted ones; the first convolution carries `#encoding.binary`
(its sliding-window engine adds or subtracts each 8-bit input, no multiplier), the second
(on +-1 signs) is `binary_complex.xnor_conv` and the dense layer on the pooled signs
`binary_complex.xnor_dense` (XNOR and popcount), and Yosys uses no DSP.
"""

from __future__ import annotations

import numpy as np
import pytest

from binary_support import binary_cnn_inputs, binary_cnn_reference, qonnx_binary_cnn
from helpers import assert_bit_exact_on_schedule, compile_model, ops_of
from nncc.dialects import fixed
from nncc.dialects.encodings import BinaryAttr

pytestmark = pytest.mark.usefixtures("private_cache")  # conftest.py


@pytest.fixture(scope="module")
def design(tmp_path_factory):
    return compile_model(qonnx_binary_cnn(), tmp_path_factory.mktemp("bcnn"), binary_cnn_inputs(256, on_grid=True))


def test_float_matches_the_reference(design):
    x = binary_cnn_inputs(300)
    np.testing.assert_allclose(design.run(x, "float")["y"], binary_cnn_reference(x), rtol=0, atol=1e-4)


def test_every_layer_is_binary_and_decides_like_the_model(design):
    layers = ops_of(design.design, "fixed.conv") + ops_of(design.design, "fixed.dense")
    assert len(layers) == 1 and all(op.encoding == BinaryAttr(0) for op in layers)
    # conv2 reads the signs of conv1 (+-1), the last layer the flattened max pool of signs:
    # XNOR and popcount (a window engine and a dense PE)
    assert len(ops_of(design.design, "binary_complex.xnor_conv")) == 1
    assert len(ops_of(design.design, "binary_complex.xnor_dense")) == 1
    x = binary_cnn_inputs(2000, on_grid=True)
    want, got = binary_cnn_reference(x), design.run(x, "fixed")["y"]
    assert np.array_equal(np.argmax(got, 1), np.argmax(want, 1))
    step = 2.0 ** -fixed.fixed_of(ops_of(design.design, "fixed.dequantize")[0].input).frac
    assert np.abs(got - want).max() <= step  # the logits' type rounds the last threshold only


@pytest.mark.requires("g++")
@pytest.mark.requires("verilator")
def test_binary_cnn_fixed_csim_rtl_and_schedule(design):
    """fixed == C-sim == Verilator RTL bit for bit on 1,000 images; measured latency and II
    equal the prediction, and the run takes exactly 1 + (N - 1) II + latency cycles."""
    assert_bit_exact_on_schedule(design, binary_cnn_inputs(1000, seed=33), "y")
