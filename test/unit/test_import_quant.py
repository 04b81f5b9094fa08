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

OPSET = 17
IR_VERSION = 9
QONNX = "qonnx.custom_op.general"

needs_gxx = pytest.mark.requires("g++")


pytestmark = pytest.mark.usefixtures("private_cache")  # conftest.py


# ---------------------------------------------------------------------------------------
# helpers


def init(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def f32(v):
    return np.float32(v)


def make(nodes, inits, in_shape, out_shape, *, out_type=TensorProto.FLOAT, opsets=((QONNX, 1),)):
    """A checked model with input x [N, ...] and output y."""
    graph = helper.make_graph(
        nodes,
        "quant",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", *in_shape])],
        [helper.make_tensor_value_info("y", out_type, ["N", *out_shape])],
        list(inits),
    )
    imports = [helper.make_opsetid("", OPSET)] + [helper.make_opsetid(d, v) for d, v in opsets]
    model = helper.make_model(graph, opset_imports=imports, ir_version=IR_VERSION)
    onnx.checker.check_model(model)
    return model


def ort_run(model: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    """onnxruntime with graph optimizations off, so Q/DQ nodes run as written (not fused
    into integer kernels)."""
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    return session.run(None, {"x": x})[0]


def grid_of(op) -> tuple[int, int, int] | None:
    attr = op.attributes.get(GRID_ATTR)
    return None if attr is None else tuple(attr.data[k].value.data for k in ("bits", "frac", "signed"))


def on_grid(rng, shape, frac, bits=8):
    """Signed ``bits``-bit integers times 2^-frac, as float32."""
    return (rng.integers(-(1 << (bits - 1)), 1 << (bits - 1), shape) * 2.0**-frac).astype(np.float32)


# ---------------------------------------------------------------------------------------
# (a) onnxruntime quantize_static, QDQ format


def float_mlp() -> onnx.ModelProto:
    rng = np.random.default_rng(1)
    inits = [
        init("w1", (rng.standard_normal((8, 16)) * 0.5).astype(np.float32)),
        init("b1", (rng.standard_normal(16) * 0.1).astype(np.float32)),
        init("w2", (rng.standard_normal((4, 16)) * 0.5).astype(np.float32)),
        init("b2", (rng.standard_normal(4) * 0.1).astype(np.float32)),
    ]
    nodes = [
        helper.make_node("MatMul", ["x", "w1"], ["h"], name="mm1"),
        helper.make_node("Add", ["h", "b1"], ["hb"], name="add1"),
        helper.make_node("Relu", ["hb"], ["r"], name="relu1"),
        helper.make_node("Gemm", ["r", "w2", "b2"], ["y"], transB=1, name="fc2"),
    ]
    return make(nodes, inits, [8], [4], opsets=())


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


class _Reader(CalibrationDataReader):
    def __init__(self, shape, count=16, seed=3):
        rng = np.random.default_rng(seed)
        self._batches = iter([{"x": rng.standard_normal((1, *shape)).astype(np.float32)} for _ in range(count)])

    def get_next(self):
        return next(self._batches, None)


def quantize(model: onnx.ModelProto, tmp_path, activation_type) -> onnx.ModelProto:
    src, dst = tmp_path / "float.onnx", tmp_path / "qdq.onnx"
    onnx.save(model, src)
    shape = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim[1:]]
    quantize_static(
        str(src),
        str(dst),
        _Reader(shape),
        quant_format=QuantFormat.QDQ,
        per_channel=True,
        activation_type=activation_type,
        weight_type=QuantType.QInt8,
    )
    return onnx.load(str(dst))


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


def qdq_pair(name, x, out, scale, zero_point):
    """QuantizeLinear -> DequantizeLinear nodes and their scale/zero-point initializers."""
    nodes = [
        helper.make_node("QuantizeLinear", [x, f"{name}_s", f"{name}_z"], [f"{name}_q"], name=f"{name}_Q"),
        helper.make_node("DequantizeLinear", [f"{name}_q", f"{name}_s", f"{name}_z"], [out], name=f"{name}_DQ"),
    ]
    return nodes, [init(f"{name}_s", f32(scale)), init(f"{name}_z", zero_point)]


def pot_qdq_mlp() -> onnx.ModelProto:
    """x -> QDQ(2^-4, int8) -> Gemm(int8 weights, per-row scales 2^-5..2^-7, int32 bias)
    -> QDQ(2^-3, uint8) -> Gemm(float weights -> QDQ(2^-7, int8)) -> QDQ(2^-4, int8)."""
    rng = np.random.default_rng(5)
    nodes, inits = [], []
    for part in (qdq_pair("in", "x", "xq", 2**-4, np.int8(0)),):
        nodes += part[0]
        inits += part[1]
    w1_scale = (2.0 ** -rng.integers(5, 8, 16)).astype(np.float32)
    inits += [
        init("w1_q", rng.integers(-128, 128, (16, 8)).astype(np.int8)),
        init("w1_s", w1_scale),
        init("w1_z", np.zeros(16, np.int8)),
        init("b1_q", rng.integers(-600, 600, 16).astype(np.int32)),
        init("b1_s", (w1_scale * 2**-4).astype(np.float32)),
    ]
    nodes += [
        helper.make_node("DequantizeLinear", ["w1_q", "w1_s", "w1_z"], ["w1"], axis=0, name="w1_DQ"),
        helper.make_node("DequantizeLinear", ["b1_q", "b1_s"], ["b1"], axis=0, name="b1_DQ"),
        helper.make_node("Gemm", ["xq", "w1", "b1"], ["h"], transB=1, name="fc1"),
    ]
    part = qdq_pair("h", "h", "hq", 2**-3, np.uint8(0))
    nodes += part[0]
    inits += part[1]
    inits.append(init("w2_f", (rng.standard_normal((4, 16)) * 0.05).astype(np.float32)))
    part = qdq_pair("w2", "w2_f", "w2", 2**-7, np.int8(0))  # a float weight through Q -> DQ
    nodes += part[0]
    inits += part[1]
    nodes.append(helper.make_node("Gemm", ["hq", "w2"], ["o"], transB=1, name="fc2"))
    part = qdq_pair("out", "o", "y", 2**-4, np.int8(0))
    nodes += part[0]
    inits += part[1]
    return make(nodes, inits, [8], [4], opsets=())


def pot_reference(model: onnx.ModelProto, x: np.ndarray, rounding) -> np.ndarray:
    """numpy evaluation of `pot_qdq_mlp` in float64 with the given rounding of its three
    activation quantizers (weights as ONNX dequantizes them)."""
    t = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}

    def fq(v, scale, lo, hi):
        return np.clip(rounding(v / scale), lo, hi) * scale

    w1 = t["w1_q"].astype(np.float64) * t["w1_s"].reshape(-1, 1)
    b1 = t["b1_q"].astype(np.float64) * t["b1_s"]
    w2 = np.clip(np.rint(t["w2_f"].astype(np.float64) / 2**-7), -128, 127) * 2**-7
    h = fq(fq(x.astype(np.float64), 2**-4, -128, 127) @ w1.T + b1, 2**-3, 0, 255)
    return fq(h @ w2.T, 2**-4, -128, 127)


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


# ---------------------------------------------------------------------------------------
# (c) QONNX: numpy transcription of the reference (qonnx.custom_op.general)


def qonnx_min_max(signed, narrow, bits):
    lo = -(2 ** (bits - 1)) + (1 if narrow else 0) if signed else 0
    hi = 2 ** (bits - 1) - 1 if signed else 2**bits - (2 if narrow else 1)
    return lo, hi


QONNX_ROUND = {
    "ROUND": np.round,
    "CEIL": np.ceil,
    "FLOOR": np.floor,
    "UP": lambda v: np.sign(v) * np.ceil(np.abs(v)),
    "DOWN": np.fix,
    "HALF_UP": lambda v: np.sign(v) * np.floor(np.abs(v) + 0.5),
    "HALF_DOWN": lambda v: np.sign(v) * np.ceil(np.abs(v) - 0.5),
}


def qonnx_quant(x, scale, zeropt, bitwidth, signed, narrow, rounding_mode):
    y_int = x / scale + zeropt
    if bitwidth == 1 and signed:
        y_int = np.where(y_int >= 0.0, 1.0, -1.0)
    else:
        lo, hi = qonnx_min_max(signed, narrow, bitwidth)
        y_int = QONNX_ROUND[rounding_mode](np.clip(y_int, lo, hi))
    return (y_int - zeropt) * scale


def qonnx_bipolar(x, scale):
    return np.where(x >= 0.0, 1.0, -1.0) * scale


def qonnx_trunc_v1(x, scale, zeropt, in_bits, out_bits, rounding_mode):
    y = np.round(x / scale + zeropt)
    y = QONNX_ROUND[rounding_mode](y / 2.0 ** (in_bits - out_bits))
    return (y - zeropt) * scale


def qonnx_trunc_v2(x, scale, zeropt, in_bits, out_scale, out_bits, signed, narrow, rounding_mode):
    y = np.round(x / scale + zeropt)
    trunc_scale = 2 ** np.round(np.log2(out_scale / scale))
    lo, hi = qonnx_min_max(signed, narrow, out_bits)
    y = QONNX_ROUND[rounding_mode](np.clip(y / trunc_scale, lo, hi))
    return (y - zeropt / trunc_scale) * out_scale


def quant_node(inputs, out, domain=QONNX, **attrs):
    return helper.make_node("Quant", inputs, [out], domain=domain, name=f"quant_{out}", **attrs)


QUANT_CASES = [
    # scale, zero point, bits, signed, narrow, rounding
    (2**-3, 0, 8, 1, 0, "ROUND"),
    (2**-3, 0, 4, 1, 1, "ROUND"),
    (0.07, 0, 6, 1, 0, "FLOOR"),
    (0.05, 3, 4, 0, 0, "CEIL"),
    (0.11, -2, 5, 0, 1, "round"),
    (0.25, 0, 1, 1, 0, "ROUND"),  # bipolar
    (0.5, 0, 1, 0, 0, "FLOOR"),  # binary
]


@pytest.mark.parametrize("case", QUANT_CASES, ids=lambda c: "-".join(map(str, c)))
def test_qonnx_quant_on_runtime_tensors(case):
    scale, zp, bits, signed, narrow, mode = case
    inits = [init("s", f32(scale)), init("z", f32(zp)), init("b", f32(bits))]
    node = quant_node(["x", "s", "z", "b"], "y", signed=signed, narrow=narrow, rounding_mode=mode)
    module = import_onnx(make([node], inits, [64], [64]))
    expected_op = "nn.sign" if bits == 1 and signed else "nn.fake_quant"
    assert len(ops_of(module, expected_op)) == 1
    rng = np.random.default_rng(9)
    x = (rng.standard_normal((8, 64)) * scale * 2 ** (bits - 1)).astype(np.float32)
    x[0, :16] = (np.arange(16) - 8 + 0.5) * np.float32(scale)  # ties
    want = qonnx_quant(x.astype(np.float64), np.float64(np.float32(scale)), zp, bits, signed, narrow, mode.upper())
    assert np.array_equal(run_float(module, {"x": x})["y"], want.astype(np.float32))


def test_qonnx_rounding_modes_on_constants():
    """The rounding table of the QONNX Quant documentation, folded at import."""
    values = np.asarray([5.5, 2.5, 1.6, 1.1, 1.0, -1.0, -1.1, -1.6, -2.5, -5.5], np.float32)
    table = {
        "ROUND": [6, 2, 2, 1, 1, -1, -1, -2, -2, -6],
        "CEIL": [6, 3, 2, 2, 1, -1, -1, -1, -2, -5],
        "FLOOR": [5, 2, 1, 1, 1, -1, -2, -2, -3, -6],
        "UP": [6, 3, 2, 2, 1, -1, -2, -2, -3, -6],
        "DOWN": [5, 2, 1, 1, 1, -1, -1, -1, -2, -5],
        "HALF_UP": [6, 3, 2, 1, 1, -1, -1, -2, -3, -6],
        "HALF_DOWN": [5, 2, 2, 1, 1, -1, -1, -2, -2, -5],
    }
    for mode, expected in table.items():
        inits = [init("c", values), init("s", f32(1)), init("z", f32(0)), init("b", f32(8))]
        nodes = [
            quant_node(["c", "s", "z", "b"], "cq", rounding_mode=mode),
            helper.make_node("Add", ["x", "cq"], ["y"]),
        ]
        module = import_onnx(make(nodes, inits, [10], [10]))
        assert np.array_equal(run_float(module, {"x": np.zeros((1, 10), np.float32)})["y"][0], expected), mode


def test_qonnx_weights_fold_with_grid():
    rng = np.random.default_rng(10)
    w = rng.standard_normal((6, 4)).astype(np.float32)
    scale = np.asarray([[2**-2], [2**-3], [2**-2], [2**-4], [2**-2], [2**-3]], np.float32)  # per output row
    bip = rng.standard_normal((3, 6)).astype(np.float32)
    inits = [
        init("w", w),
        init("ws", scale),
        init("z", f32(0)),
        init("b", f32(5)),
        init("bp", bip),
        init("bs", f32(0.125)),
    ]
    nodes = [
        quant_node(["w", "ws", "z", "b"], "wq", signed=1, narrow=1),
        helper.make_node("Gemm", ["x", "wq"], ["h"], transB=1, name="fc1"),
        helper.make_node("BipolarQuant", ["bp", "bs"], ["bq"], domain=QONNX, name="bipolar"),
        helper.make_node("Gemm", ["h", "bq"], ["y"], transB=1, name="fc2"),
    ]
    module = import_onnx(make(nodes, inits, [4], [3]))
    first, second = ops_of(module, "nn.dense")
    assert grid_of(first.weight.owner) == (7, 4, 1)  # 5 bits, grid 2^-4, 2 bits for the 2^-2 rows
    assert grid_of(second.weight.owner) == (2, 3, 1)  # +-2^-3
    want_w = qonnx_quant(w.astype(np.float64), scale.astype(np.float64), 0.0, 5, 1, 1, "ROUND")
    assert np.array_equal(np.asarray(from_dense(first.weight.owner.value)), want_w.astype(np.float32))
    assert np.array_equal(
        np.asarray(from_dense(second.weight.owner.value)), qonnx_bipolar(bip, 0.125).astype(np.float32)
    )


def test_qonnx_bipolar_and_trunc_on_runtime_tensors():
    inits = [
        init("s", f32(0.1)), init("z", f32(0)), init("b8", f32(8)), init("b5", f32(5)),
        init("p", f32(2**-2)), init("bs", f32(0.75)),
    ]  # fmt: skip
    nodes = [
        quant_node(["x", "s", "z", "b8"], "xq"),
        helper.make_node("Trunc", ["xq", "s", "z", "b8", "b5"], ["t"], domain=QONNX, name="trunc"),
        quant_node(["x", "p", "z", "b8"], "xp"),
        helper.make_node(
            "Trunc", ["xp", "p", "z", "b8", "b5"], ["tc"], domain=QONNX, rounding_mode="CEIL", name="trunc_ceil"
        ),
        helper.make_node("BipolarQuant", ["x", "bs"], ["sg"], domain=QONNX, name="bipolar"),
        helper.make_node("Concat", ["t", "tc", "sg"], ["y"], axis=1, name="cat"),
    ]
    module = import_onnx(make(nodes, inits, [32], [96]))
    x = (np.random.default_rng(11).standard_normal((8, 32)) * 6).astype(np.float32)
    x[0, :8] = 0.0
    x64 = x.astype(np.float64)
    s, p = np.float64(f32(0.1)), 2.0**-2
    want = np.concatenate(
        [
            qonnx_trunc_v1(qonnx_quant(x64, s, 0, 8, 1, 0, "ROUND"), s, 0, 8, 5, "FLOOR"),
            qonnx_trunc_v1(qonnx_quant(x64, p, 0, 8, 1, 0, "ROUND"), p, 0, 8, 5, "CEIL"),
            qonnx_bipolar(x64, 0.75),
        ],
        axis=1,
    )
    np.testing.assert_allclose(run_float(module, {"x": x})["y"], want, rtol=1e-6, atol=0)


def test_qonnx_trunc_on_constants():
    c = (np.random.default_rng(12).standard_normal(16) * 40).astype(np.float32)
    inits = [init("c", c), init("s", f32(0.5)), init("z", f32(1)), init("i", f32(9)), init("o", f32(6))]
    nodes = [
        helper.make_node("Trunc", ["c", "s", "z", "i", "o"], ["t"], domain=QONNX, rounding_mode="ROUND", name="trunc"),
        helper.make_node("Add", ["x", "t"], ["y"]),
    ]
    module = import_onnx(make(nodes, inits, [16], [16]))
    want = qonnx_trunc_v1(c, f32(0.5), f32(1), 9, 6, "ROUND").astype(np.float32)
    assert np.array_equal(run_float(module, {"x": np.zeros((1, 16), np.float32)})["y"][0], want)


def test_qonnx_trunc_version_2():
    """Trunc with 7 inputs (x, scale, zeropt, in_bitwidth, out_scale, out_zeropt,
    out_bitwidth) and signed/narrow: on a run-time tensor and on a constant."""
    c = (np.random.default_rng(17).standard_normal(16) * 3).astype(np.float32)
    inits = [
        init("s", f32(2**-4)), init("z", f32(0)), init("zc", f32(2)), init("b8", f32(8)),
        init("os", f32(2**-2)), init("b4", f32(4)), init("c", c),
    ]  # fmt: skip
    trunc = dict(domain=QONNX, rounding_mode="FLOOR", signed=1, narrow=1)
    nodes = [
        quant_node(["x", "s", "z", "b8"], "xq"),
        helper.make_node("Trunc", ["xq", "s", "z", "b8", "os", "z", "b4"], ["t"], name="trunc", **trunc),
        helper.make_node("Trunc", ["c", "s", "zc", "b8", "os", "z", "b4"], ["tc"], name="trunc_c", **trunc),
        helper.make_node("Add", ["t", "tc"], ["y"], name="add"),
    ]
    module = import_onnx(make(nodes, inits, [16], [16]))
    assert len(ops_of(module, "nn.fake_quant")) == 3  # the Quant, and the Trunc's two steps
    x = (np.random.default_rng(18).standard_normal((8, 16)) * 3).astype(np.float32)
    x64 = x.astype(np.float64)
    runtime = qonnx_trunc_v2(qonnx_quant(x64, 2**-4, 0, 8, 1, 0, "ROUND"), 2**-4, 0, 8, 2**-2, 4, 1, 1, "FLOOR")
    constant = qonnx_trunc_v2(c.astype(np.float64), 2**-4, 2, 8, 2**-2, 4, 1, 1, "FLOOR")
    assert np.array_equal(run_float(module, {"x": x})["y"], (runtime + constant).astype(np.float32))


def test_finn_domain_and_missing_opset_import():
    inits = [init("s", f32(0.25)), init("z", f32(0)), init("b", f32(4))]
    node = quant_node(["x", "s", "z", "b"], "y", domain="finn.custom_op.general")
    model = make([node], inits, [4], [4], opsets=(("finn.custom_op.general", 1),))
    del model.opset_import[1]  # older exports omit the custom domain's opset import
    module = import_onnx(model)
    (fq,) = ops_of(module, "nn.fake_quant")
    assert (fq.bits.value.data, fq.signed.value.data, fq.narrow.value.data) == (4, 1, 0)


def test_quant_tables_are_covered():
    # every quantization importer and folder is exercised by this file
    assert set(onnx_quant.QUANT_IMPORTERS) == {
        "QuantizeLinear",
        "DequantizeLinear",
        "qonnx.Quant",
        "qonnx.BipolarQuant",
        "qonnx.Trunc",
    }
    assert set(onnx_fold.QUANT_FOLDERS) == set(onnx_quant.QUANT_IMPORTERS)


# ---------------------------------------------------------------------------------------
# (d) end to end: nncc.compile, fixed-point interpreter, C simulation


def qonnx_pot_mlp() -> onnx.ModelProto:
    """Power-of-two QONNX model: Quant(2^-4) -> Trunc -> MatMul(Quant weights, 2^-5)
    -> Quant(2^-3, unsigned, FLOOR) -> MatMul(BipolarQuant weights) -> BipolarQuant
    -> MatMul(Quant weights, 2^-6) -> Quant(2^-2, narrow, CEIL)."""
    rng = np.random.default_rng(13)
    inits = [
        init("s_in", f32(2**-4)), init("z", f32(0)), init("b8", f32(8)), init("b6", f32(6)), init("b4", f32(4)),
        init("w1f", (rng.standard_normal((8, 16)) * 0.4).astype(np.float32)), init("s_w1", f32(2**-5)),
        init("s_h", f32(2**-3)), init("w2f", rng.standard_normal((16, 12)).astype(np.float32)), init("s_w2", f32(0.25)),
        init("s_b", f32(0.5)), init("w3f", rng.standard_normal((12, 4)).astype(np.float32)), init("s_w3", f32(2**-6)),
        init("s_o", f32(2**-2)),
    ]  # fmt: skip
    nodes = [
        quant_node(["x", "s_in", "z", "b8"], "xq"),
        helper.make_node("Trunc", ["xq", "s_in", "z", "b8", "b6"], ["xt"], domain=QONNX, name="trunc"),
        quant_node(["w1f", "s_w1", "z", "b6"], "w1", narrow=1),
        helper.make_node("MatMul", ["xt", "w1"], ["h"], name="fc1"),
        quant_node(["h", "s_h", "z", "b4"], "hq", signed=0, rounding_mode="FLOOR"),
        helper.make_node("BipolarQuant", ["w2f", "s_w2"], ["w2"], domain=QONNX, name="bipolar_w2"),
        helper.make_node("MatMul", ["hq", "w2"], ["h2"], name="fc2"),
        helper.make_node("BipolarQuant", ["h2", "s_b"], ["h2b"], domain=QONNX, name="sign"),
        quant_node(["w3f", "s_w3", "z", "b8"], "w3"),
        helper.make_node("MatMul", ["h2b", "w3"], ["o"], name="fc3"),
        quant_node(["o", "s_o", "z", "b8"], "y", narrow=1, rounding_mode="CEIL"),
    ]
    return make(nodes, inits, [8], [4])


@needs_gxx
def test_qonnx_pot_end_to_end_is_exact(tmp_path):
    x = on_grid(np.random.default_rng(14), (64, 8), 4)
    design = compile_model(qonnx_pot_mlp(), tmp_path, x)
    fixed_y = design.run(x, "fixed")["y"]
    assert np.array_equal(fixed_y, design.run(x, "csim")["y"])
    # Why the fixed-point design equals the float reference exactly here: the inputs lie on
    # the first quantizer's grid (2^-4, 8 bits), so quantizing them in hardware changes
    # nothing; every weight is on a power-of-two grid and becomes its exact fixed type
    # (fixed.grid); every layer that feeds a power-of-two quantizer keeps its exact
    # accumulator, so each quantizer rounds exactly once, from the same value the float64
    # reference sees (sums of a few dozen dyadic rationals, exact in float64); and the
    # quantizers' roundings have exact fixed-point forms (FLOOR = trn, CEIL = trn after adding
    # one step minus one LSB, BipolarQuant = a sign table, Trunc = a cast with trn, half to
    # even = a parity-picked addend and trn).
    float_y = design.run(x, "float")["y"]
    assert np.array_equal(fixed_y.astype(np.float32), float_y)
    assert np.abs(float_y).max() > 0  # a real computation, not all zeros
    types = [fixed.fixed_of(op.weight) for op in ops_of(design.design, "fixed.dense")]
    assert types == [fixed.FixedType(6, 1), fixed.FixedType(2, 0), fixed.FixedType(8, 2)]


@needs_gxx
def test_pot_qdq_end_to_end_exact_ties_included(tmp_path):
    model = pot_qdq_mlp()
    x = on_grid(np.random.default_rng(15), (256, 8), 4)
    design = compile_model(model, tmp_path, x)
    fixed_y = design.run(x, "fixed")["y"]
    assert np.array_equal(fixed_y, design.run(x, "csim")["y"])
    float_y = design.run(x, "float")["y"]
    assert np.array_equal(float_y, ort_run(model, x))
    # Inputs on the grid, weights exact (fixed.grid), accumulators exact: the fixed-point
    # design rounds exactly the values the float reference rounds, and rounds ties to even
    # as ONNX does (a parity table picks the addend before a truncating cast), so it equals
    # onnxruntime bit for bit.
    assert np.array_equal(fixed_y, float_y)
    assert np.array_equal(float_y, pot_reference(model, x, np.rint).astype(np.float32))
    half_up = pot_reference(model, x, lambda v: np.floor(v + 0.5))
    differ = half_up != float_y
    assert 0 < differ.sum() < 0.05 * differ.size  # this batch does meet ties


@needs_gxx
def test_quantize_static_end_to_end(tmp_path):
    qdq = quantize(float_mlp(), tmp_path, QuantType.QUInt8)
    x = np.random.default_rng(16).standard_normal((64, 8)).astype(np.float32)
    design = compile_model(qdq, tmp_path, x)
    fixed_y = design.run(x, "fixed")["y"]
    assert np.array_equal(fixed_y, design.run(x, "csim")["y"])
    float_y = design.run(x, "float")["y"]
    y_scale = next(op.scale.value.data for op in reversed(ops_of(design.model, "nn.fake_quant")))
    # non-power-of-two scales: 18-bit multipliers and 16-bit layer outputs; a few output steps
    assert np.abs(fixed_y - float_y).max() <= 3 * y_scale
    layers = {entry["name"] for entry in design.report["layers"]}
    assert {"x_QuantizeLinear", "y_QuantizeLinear"} <= layers


# ---------------------------------------------------------------------------------------
# (e) what nncc refuses


def problems_of(model) -> list[str]:
    with pytest.raises(NnccError) as info:
        import_onnx(model)
    return info.value.problems


def test_lone_quantize_linear_is_refused():
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["y"], name="q")]
    model = make(
        nodes, [init("s", f32(0.1)), init("z", np.uint8(128))], [4], [4], out_type=TensorProto.UINT8, opsets=()
    )
    (problem,) = problems_of(model)
    assert problem.startswith("node 'q' (QuantizeLinear): its integer output 'y' is a graph output")
    assert "QuantizeLinear -> DequantizeLinear pairs" in problem


def test_per_axis_activation_scale_is_refused():
    nodes, inits = qdq_pair("act", "x", "y", 0.1, np.int8(0))
    inits = [init("act_s", np.asarray([0.1, 0.2, 0.1, 0.3], np.float32)), init("act_z", np.zeros(4, np.int8))]
    model = make(nodes, inits, [4], [4], opsets=())
    problems = problems_of(model)
    assert problems[0] == (
        "node 'act_Q' (QuantizeLinear): per-axis scale (4 values) on a run-time tensor is not supported; "
        "activations must be quantized per tensor"
    )


def test_qonnx_op_on_unsupported_domain_is_refused():
    inits = [init("s", f32(0.25)), init("z", f32(0)), init("b", f32(4))]
    nodes = [
        quant_node(["x", "s", "z", "b"], "q", domain="com.example"),
        helper.make_node("MultiThreshold", ["q", "s"], ["y"], domain=QONNX, name="mt"),
    ]
    model = make(nodes, inits, [4], [4], opsets=((QONNX, 1), ("com.example", 1)))
    assert problems_of(model) == [
        "node 'quant_q' (Quant): unsupported operator domain 'com.example' "
        "(QONNX Quant is imported from the domains qonnx.custom_op.general, finn.custom_op.general, onnx.brevitas)",
        "node 'mt' (MultiThreshold): unsupported operator domain 'qonnx.custom_op.general' "
        "(only Quant, BipolarQuant, Trunc are imported from it)",
    ]


def test_other_quantization_refusals():
    # a requantizing pair (different scales), a run-time rounding mode without a fixed-point
    # form, and a QONNX op name in the default domain
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "s1", "z"], ["q"], name="q"),
        helper.make_node("DequantizeLinear", ["q", "s2", "z"], ["a"], name="dq"),
        quant_node(["a", "s1", "zf", "b"], "u", rounding_mode="UP"),
        helper.make_node("Relu", ["u"], ["y"], name="relu"),
    ]
    inits = [init("s1", f32(0.1)), init("s2", f32(0.2)), init("z", np.int8(0)), init("zf", f32(0)), init("b", f32(8))]
    problems = problems_of(make(nodes, inits, [4], [4]))
    assert problems[0].startswith("node 'dq' (DequantizeLinear): scale 0.2")
    assert "requantizing pairs are not supported" in problems[0]
    bad_rounding = [
        quant_node(["x", "s1", "zf", "b"], "y", rounding_mode="UP"),
    ]
    assert problems_of(make(bad_rounding, inits, [4], [4])) == [
        "node 'quant_y' (Quant): rounding_mode 'UP' is supported only on constants "
        "(run-time tensors take ROUND, HALF_EVEN, FLOOR, CEIL, DOWN, ROUND_TO_ZERO)"
    ]
    default_domain = onnx.helper.make_node("Quant", ["x", "s1", "zf", "b"], ["y"], name="plain")
    graph = helper.make_graph(
        [default_domain], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])], inits,
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=IR_VERSION)
    assert problems_of(model) == ["node 'plain' (Quant): unsupported operator"]


def test_fake_quant_float_semantics():
    """nn.fake_quant rounds half to even, clamps after adding the zero point."""
    from nncc.compiler.api import parse_mlir

    module = parse_mlir(
        """
        func.func @main(%x: tensor<1x6xf32>) -> tensor<1x6xf32> {
          %y = nn.fake_quant %x {bits = 4 : i64, narrow = 0 : i64, rounding = "half_even", scale = 0.5 : f64, signed = 0 : i64, zero_point = 3 : i64} : tensor<1x6xf32>
          func.return %y : tensor<1x6xf32>
        }
        """
    )
    x = np.asarray([[0.25, 0.75, -1.5, -2.0, 5.0, 7.0]], np.float32)
    # x / 0.5 = [0.5, 1.5, -3, -4, 10, 14] -> round [0, 2, -3, -4, 10, 14] + 3 -> clip [0, 15]
    y = run_float(module, {"arg0": x})["out0"]
    assert np.array_equal(y, [[0.0, 1.0, -1.5, -1.5, 5.0, 6.0]])
    assert nn.quant_limits(8, True, True) == (-127, 127) and nn.quant_limits(8, False, True) == (0, 254)
