"""Quantization carried by the model.

(a) QDQ models from `onnxruntime.quantization.quantize_static` (per-tensor activations,
    per-channel weights, uint8 and int8 activations): the float interpreter matches
    onnxruntime running the Q/DQ nodes literally (graph optimizations off).
(b) Hand-built QDQ with power-of-two scales: exact against onnxruntime, and the weights
    carry their `fixed.grid`.
(c) QONNX Quant/BipolarQuant/Trunc (onnxruntime cannot run them) against a numpy
    transcription of the QONNX reference formulas, on run-time tensors and folded weights.
(d) End to end through `nncc.compile`: the fixed-point interpreter and the C-simulated C++
    agree bit for bit, and for power-of-two models the fixed-point design computes what the
    float reference computes.
(e) Errors for what nncc refuses.
"""

from __future__ import annotations


import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

from nncc.compiler.onnx import fold as onnx_fold
from nncc.compiler.onnx import ops as onnx_ops
from nncc.compiler.onnx import quant as onnx_quant
from nncc.compiler.context import make_context
from nncc.compiler.diagnostics import NnccError
from nncc.compiler.onnx.importer import import_onnx
from nncc.dialects import fixed, nn
from nncc.dialects.dense import from_dense
from nncc.dialects.fixed.quantization import GRID_ATTR
from nncc.passes.convert_nn_to_fixed import ConvertNnToFixedPass
from nncc.runtime.interpreter import run_float

from helpers import compile_model, ops_of


needs_gxx = pytest.mark.requires("g++")


pytestmark = pytest.mark.usefixtures("private_cache")  # conftest.py

from import_quant_support import (  # noqa: F401
    IR_VERSION,
    OPSET,
    QONNX,
    init,
    f32,
    make,
    ort_run,
    grid_of,
    on_grid,
    float_mlp,
    _Reader,
    quantize,
    qdq_pair,
    pot_qdq_mlp,
    pot_reference,
)

# ---------------------------------------------------------------------------------------
# (a) onnxruntime quantize_static, QDQ format


def float_cnn() -> onnx.ModelProto:
    rng = np.random.default_rng(2)
    inits = [
        init("w1", (rng.standard_normal((4, 2, 3, 3)) * 0.4).astype(np.float32)),
        init("b1", (rng.standard_normal(4) * 0.1).astype(np.float32)),
        init("w2", (rng.standard_normal((6, 4, 3, 3)) * 0.3).astype(np.float32)),
        init("b2", (rng.standard_normal(6) * 0.1).astype(np.float32)),
        init("w3", (rng.standard_normal((3, 24)) * 0.3).astype(np.float32)),
        init("b3", (rng.standard_normal(3) * 0.1).astype(np.float32)),
    ]
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1], name="conv1"),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2], name="pool1"),
        helper.make_node("Conv", ["p1", "w2", "b2"], ["c2"], name="conv2"),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
        helper.make_node("Flatten", ["r2"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "w3", "b3"], ["y"], transB=1, name="fc"),
    ]
    return make(nodes, inits, [2, 8, 8], [3], opsets=())


@pytest.mark.parametrize("activation_type", [QuantType.QUInt8, QuantType.QInt8], ids=["uint8", "int8"])
@pytest.mark.parametrize("build", [float_mlp, float_cnn], ids=["mlp", "cnn"])
def test_quantize_static_matches_onnxruntime(build, activation_type, tmp_path):
    float_model = build()
    qdq = quantize(float_model, tmp_path, activation_type)
    initializers = {i.name: numpy_helper.to_array(i) for i in qdq.graph.initializer}
    runtime_q = [n for n in qdq.graph.node if n.op_type == "QuantizeLinear" and n.input[0] not in initializers]
    weights_dq = [n for n in qdq.graph.node if n.op_type == "DequantizeLinear" and n.input[0] in initializers]
    assert runtime_q and weights_dq
    assert any(initializers[n.input[1]].size > 1 for n in weights_dq)  # per-channel weight scales
    module = import_onnx(qdq)
    # each run-time Q -> DQ pair is one nn.fake_quant; weights are folded constants
    quants = ops_of(module, "nn.fake_quant")
    assert len(quants) == len(runtime_q)
    want_signed = 0 if activation_type == QuantType.QUInt8 else 1
    assert {q.signed.value.data for q in quants} == {want_signed}
    assert {q.rounding.data for q in quants} == {"half_even"}
    x = (
        np.random.default_rng(4)
        .standard_normal((32, *[d.dim_value for d in float_model.graph.input[0].type.tensor_type.shape.dim[1:]]))
        .astype(np.float32)
    )
    got = run_float(module, {"x": x})["y"]
    want = ort_run(qdq, x)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)
    # the outputs lie on the output quantizer's grid
    last = quants[-1]
    steps = got / np.float32(last.scale.value.data)
    assert np.abs(steps - np.rint(steps)).max() < 1e-3


# ---------------------------------------------------------------------------------------
# (b) hand-built QDQ with power-of-two scales


def test_pot_qdq_exact_with_grids():
    model = pot_qdq_mlp()
    module = import_onnx(model)
    assert len(ops_of(module, "nn.fake_quant")) == 3
    dense = ops_of(module, "nn.dense")
    # per-row scales 2^-5..2^-7 share the grid 2^-7, two more bits for the coarsest rows
    assert grid_of(dense[0].weight.owner) == (10, 7, 1)
    # the int32 bias with scales 2^-9..2^-11
    assert grid_of(dense[0].bias.owner) == (34, 11, 1)
    # the float weight quantized at import (QuantizeLinear -> DequantizeLinear on a constant)
    assert grid_of(dense[1].weight.owner) == (8, 7, 1)
    x = np.random.default_rng(6).standard_normal((64, 8)).astype(np.float32) * 3
    got = run_float(module, {"x": x})["y"]
    # every value is a dyadic rational with few bits: float32 onnxruntime is exact too
    assert np.array_equal(got, ort_run(model, x))
    assert np.array_equal(got, pot_reference(model, x, np.rint).astype(np.float32))


def test_qdq_folded_weights_are_onnx_exact():
    """DequantizeLinear / QuantizeLinear on constants give exactly onnxruntime's float32
    values, per tensor and per axis, int8/uint8/int32, with zero points."""
    rng = np.random.default_rng(7)
    w_q = rng.integers(0, 256, (3, 5)).astype(np.uint8)
    w_s = np.asarray([0.013, 0.02, 0.0071], np.float32)
    w_z = np.asarray([128, 3, 250], np.uint8)
    v_f = (rng.standard_normal((5,)) * 2).astype(np.float32)
    inits = [
        init("w_q", w_q),
        init("w_s", w_s),
        init("w_z", w_z),
        init("v_f", v_f),
        init("v_s", f32(0.037)),
        init("v_z", np.int8(-5)),
    ]
    nodes = [
        helper.make_node("DequantizeLinear", ["w_q", "w_s", "w_z"], ["w"], axis=0, name="w_DQ"),
        helper.make_node("QuantizeLinear", ["v_f", "v_s", "v_z"], ["v_q"], name="v_Q"),
        helper.make_node("DequantizeLinear", ["v_q", "v_s", "v_z"], ["v"], name="v_DQ"),
        helper.make_node("Mul", ["x", "v"], ["xv"], name="mul"),
        helper.make_node("Gemm", ["xv", "w"], ["y"], transB=1, name="gemm"),  # (x * v) @ W^T
    ]
    model = make(nodes, inits, [5], [3], opsets=())
    module = import_onnx(model)
    assert ops_of(module, "nn.fake_quant") == []
    assert all(grid_of(c) is None for c in ops_of(module, "nn.constant"))  # not powers of two
    x = rng.standard_normal((16, 5)).astype(np.float32)
    np.testing.assert_allclose(run_float(module, {"x": x})["y"], ort_run(model, x), rtol=1e-6, atol=1e-7)
    weight = next(
        np.asarray(from_dense(c.value)) for c in ops_of(module, "nn.constant") if c.output.type.get_shape() == (3, 5)
    )
    expected = ((w_q.astype(np.int64) - w_z.reshape(3, 1)).astype(np.float32) * w_s.reshape(3, 1)).astype(np.float32)
    assert np.array_equal(weight, expected)


def test_grid_makes_weights_exact_in_fixed_point():
    module = import_onnx(pot_qdq_mlp())
    x = np.random.default_rng(8).standard_normal((16, 8)).astype(np.float32)
    from nncc.compiler.analysis.calibrate import calibrate

    calibrate(module, {"x": x})
    ConvertNnToFixedPass(weight_width=6).apply(make_context(), module)
    weights = [op.weight.owner for op in ops_of(module, "fixed.dense")]
    # the grid wins over weight_width: q<bits, bits - frac>, exact
    assert [fixed.fixed_of(w.output) for w in weights] == [fixed.FixedType(10, 3), fixed.FixedType(8, 1)]


def test_precision_override_beats_the_grid():
    text = """
    func.func @main(%x: tensor<1x2xf32> {fixed.range = array<f64: -1.0, 1.0>}) -> tensor<1x2xf32> {
      %w = nn.constant dense<[[0.5, -0.75], [0.25, 0.0]]> : tensor<2x2xf32> {fixed.grid = {bits = 4 : i64, frac = 2 : i64, signed = 1 : i64}}
      %y = nn.dense %x, %w {fixed.range = array<f64: -2.0, 2.0>, fixed.precision = {weight_width = 6 : i64}} : (tensor<1x2xf32>, tensor<2x2xf32>) -> tensor<1x2xf32>
      func.return %y : tensor<1x2xf32>
    }
    """
    from nncc.compiler.api import parse_mlir

    module = parse_mlir(text)
    ConvertNnToFixedPass().apply(make_context(), module)
    (dense,) = ops_of(module, "fixed.dense")
    assert fixed.fixed_of(dense.weight) == fixed.FixedType(6, 1)


