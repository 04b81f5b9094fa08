"""A QONNX binary MLP end to end: the thresholds subtracted before each sign and from the
logits keep their value (they are not rounded to the binary products' integer grid), so
the design's argmax agrees with the model's, and fixed point equals the C simulation."""

from __future__ import annotations

import numpy as np
import pytest

from binary_support import binary_mlp_inputs, binary_mlp_reference, qonnx_binary_mlp
from helpers import assert_bit_exact_on_schedule, compile_model, ops_of
from nncc.dialects import fixed
from nncc.dialects.encodings import BinaryAttr
from nncc.dialects.nn.to_fixed import threshold_bias

pytestmark = pytest.mark.usefixtures("private_cache")  # conftest.py


def test_reference_matches_the_float_interpreter(tmp_path):
    x = binary_mlp_inputs(512)
    design = compile_model(qonnx_binary_mlp(), tmp_path, x[:64])
    float_y = design.run(x, "float")["y"]
    np.testing.assert_allclose(float_y, binary_mlp_reference(x), rtol=0, atol=1e-5)


def test_thresholds_keep_their_value(tmp_path):
    """The products are on the input's 2^-4 grid (weights +-1), then integers (+-1
    activations). The first layer feeds only a sign, so its threshold is rounded down on
    that grid, which decides every sign exactly; the logits' threshold keeps the 9 fraction
    bits of the logits' type (q<16, 7>) instead of being rounded to an integer."""
    x = binary_mlp_inputs(4000)
    design = compile_model(qonnx_binary_mlp(), tmp_path, x[:256])
    (first,) = ops_of(design.design, "fixed.dense")
    (second,) = ops_of(design.design, "binary_complex.xnor_dense")
    (bias_add,) = [op for op in ops_of(design.design, "fixed.add") if op.lhs is second.parent_op().output]
    assert fixed.fixed_of(first.bias) == fixed.FixedType(7, 3)
    assert fixed.fixed_of(bias_add.rhs) == fixed.FixedType(12, 3)
    # +-1 weights on an 8-bit input: each term adds or subtracts its input (the shift-and-add
    # PE, no multiplier); on the sign's +-1 input: XNOR and popcount
    assert first.encoding == BinaryAttr(0)
    want = binary_mlp_reference(x)
    agree = float(np.mean(np.argmax(design.run(x, "fixed")["y"], 1) == np.argmax(want, 1)))
    # the remaining disagreements come from the input: the graph input is rounded to its
    # calibrated 16-bit type before the model's half-to-even Quant (a double rounding)
    assert agree >= 0.99, f"argmax agreement {agree:.4f}"
    grid = binary_mlp_inputs(4000, on_grid=True)
    want = binary_mlp_reference(grid)
    got = design.run(grid, "fixed")["y"]
    assert np.array_equal(np.argmax(got, 1), np.argmax(want, 1))
    np.testing.assert_allclose(got, want, rtol=0, atol=2**-10)  # the 16-bit output type's step


@pytest.mark.requires("g++")
@pytest.mark.requires("verilator")
def test_binary_mlp_fixed_csim_rtl_and_schedule(tmp_path):
    """fixed == C-sim == Verilator RTL bit for bit on 1,000 inputs; measured latency and II
    equal the prediction."""
    x = binary_mlp_inputs(1000, seed=23)
    design = compile_model(qonnx_binary_mlp(), tmp_path, x[:256])
    assert_bit_exact_on_schedule(design, x, "y")


def test_threshold_bias_decides_every_sign_exactly():
    """s + b >= 0 iff s + floor(b) >= 0 for every s on the products' grid (2^-3 here) over
    a range wider than the biases, for biases on, off and between grid points."""
    rng = np.random.default_rng(24)
    bias = np.concatenate([rng.standard_normal(200) * 4, np.arange(-16, 17) / 8, [0.73, -1.6, -0.0625, 1e-9]])
    raw, typ = threshold_bias(bias, 3)
    assert typ.frac == 3 and typ.width.data <= 8
    s = np.arange(-200, 201)[:, None] / 8
    assert np.array_equal(s + bias >= 0, s + raw * 2.0**-3 >= 0)


@pytest.mark.requires("yosys")
def test_binary_layers_use_no_dsp(tmp_path):
    """Yosys (synth_xilinx, xc7): the binary layers are adders and subtracters (fc1) and XNOR
    gates with popcount trees (fc2) only: no DSP."""
    from nncc.compiler.analysis.synthesis import synthesize_design

    x = binary_mlp_inputs(256, on_grid=True)
    design = compile_model(qonnx_binary_mlp(), tmp_path, x)
    result = synthesize_design(design)
    layers = {row["layer"]: row for row in result["layers"]}
    for name, macs in (("fc1", 16 * 32), ("fc2", 32 * 10)):
        print(f"\n{name}: {layers[name]['LUT']} LUT, {layers[name]['DSP']} DSP, {layers[name]['LUT'] / macs:.2f} LUT per MAC")
        assert layers[name]["DSP"] == 0 and layers[name]["LUT"] > 0
    assert result["total"]["DSP"] == 0
    # fc2 is XNOR + popcount (with its bias add and output cast): about 1.7 LUT per MAC
    # measured, against about 2.7 for the shift-and-add PE it replaces (bench/README.md)
    assert layers["fc2"]["LUT"] / (32 * 10) < 2.0
