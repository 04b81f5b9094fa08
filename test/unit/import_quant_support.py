"""Helpers shared by test_import_quant.py and test_import_quant_qonnx.py (not a test module)."""

from __future__ import annotations


import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

from nncc.dialects.fixed.quantization import GRID_ATTR

OPSET = 17
IR_VERSION = 9
QONNX = "qonnx.custom_op.general"

needs_gxx = pytest.mark.requires("g++")




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
