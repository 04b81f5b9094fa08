"""Per-op importer tests: every ONNX op nncc imports (and every constant folder that
shape sub-graphs use) is built into a tiny model with ``onnx.helper``, imported,
run with the float interpreter on a batch, and compared with onnxruntime.

Then the committed whole-model fixtures are checked the same way at batch 1 and 200.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper
from xdsl.printer import Printer

from nncc.compiler.onnx import fold as onnx_fold
from nncc.compiler.onnx import ops as onnx_ops
from nncc.compiler.onnx import ops_structure as onnx_ops_structure
from nncc.compiler.onnx.importer import import_onnx
from nncc.runtime.interpreter import run_float

OPSET = 17
IR_VERSION = 9
BATCH = 6
RTOL = 1e-5
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

FUNC_OPS = {"builtin.module", "func.func", "func.return"}


# ---------------------------------------------------------------------------------------
# model building helpers


def he(shape, fan_in=None, seed=0):
    """He-scale N(0, 2/fan_in) float32 weights with a fixed seed."""
    shape = tuple(shape)
    if fan_in is None:
        fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else shape[0]
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) * math.sqrt(2.0 / fan_in)).astype(np.float32)


def init(name, array):
    """An initializer tensor from a numpy array."""
    return numpy_helper.from_array(np.asarray(array), name)


def vi(name, shape, elem=TensorProto.FLOAT):
    """A value info; ``shape`` may be None (unknown) and contain "N" for the batch."""
    return helper.make_tensor_value_info(name, elem, shape)


def make(nodes, inputs, outputs, inits=(), opset=OPSET, extra_opsets=()):
    """A model; ``inputs``/``outputs`` are (name, shape) pairs or value infos."""

    def info(v):
        return v if isinstance(v, onnx.ValueInfoProto) else vi(*v)

    opsets = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, v) for d, v in extra_opsets]

    def build(outs):
        graph = helper.make_graph(
            list(nodes), "test_graph", [info(v) for v in inputs], outs, initializer=list(inits)
        )
        return helper.make_model(graph, opset_imports=opsets, ir_version=IR_VERSION, producer_name="nncc-test")

    if any(not isinstance(v, onnx.ValueInfoProto) and v[1] is None for v in outputs):
        # let ONNX shape inference fill in output shapes the test leaves open
        inferred = onnx.shape_inference.infer_shapes(build([]), strict_mode=True)
        known = {v.name: v for v in inferred.graph.value_info}
        outputs = [known[v[0]] if not isinstance(v, onnx.ValueInfoProto) and v[1] is None else v for v in outputs]
    model = build([info(v) for v in outputs])
    onnx.checker.check_model(model)
    return model


def unary(op_type, shape=("N", 3, 5), opset=OPSET, **attrs):
    """x -> op -> y with y of the same shape."""
    node = helper.make_node(op_type, ["x"], ["y"], name=f"{op_type.lower()}_node", **attrs)
    return make([node], [("x", list(shape))], [("y", list(shape))], opset=opset)


def random_inputs(model, batch=BATCH, seed=1, input_shapes=None):
    """N(0, 1) float32 feeds for every graph input (dim 0 is the batch)."""
    rng = np.random.default_rng(seed)
    initializers = {t.name for t in model.graph.initializer}
    feeds = {}
    for v in model.graph.input:
        if v.name in initializers:
            continue
        if input_shapes and v.name in input_shapes:
            dims = list(input_shapes[v.name])[1:]
        else:
            dims = [d.dim_value for d in v.type.tensor_type.shape.dim][1:]
        assert all(d > 0 for d in dims), f"input {v.name} has a dynamic non-batch dimension"
        feeds[v.name] = rng.standard_normal([batch] + dims).astype(np.float32)
    return feeds


def compare_with_ort(model, *, batch=BATCH, seed=1, input_shapes=None, feeds=None, rtol=RTOL):
    """Import ``model``, run it with nncc and onnxruntime on the same batch, and
    require max|diff| / max|ref| <= rtol for every output. Returns the module,
    nncc's outputs and onnxruntime's outputs."""
    module = import_onnx(model, input_shapes=input_shapes)
    if feeds is None:
        feeds = random_inputs(model, batch=batch, seed=seed, input_shapes=input_shapes)
    got = run_float(module, feeds)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    refs = dict(zip(names, session.run(None, feeds)))
    assert set(got) == set(refs)
    for name, ref in refs.items():
        out = got[name]
        assert out.dtype == np.float32
        assert out.shape == ref.shape, f"output {name}: nncc {out.shape} vs onnxruntime {ref.shape}"
        assert np.all(np.isfinite(out)), f"output {name} has non-finite values"
        scale = float(np.max(np.abs(ref)))
        assert scale > 0, f"output {name} is all zeros; the test is degenerate"
        err = float(np.max(np.abs(out.astype(np.float64) - ref.astype(np.float64)))) / scale
        assert err <= rtol, f"output {name}: relative error {err:.3g} > {rtol}"
    return module, got, refs


def op_names(module):
    return [op.name for op in module.walk()]


def assert_only_nn_ops(module):
    names = op_names(module)
    bad = [n for n in names if not (n.startswith("nn.") or n in FUNC_OPS)]
    assert not bad, f"unexpected ops in the IR: {bad}"


def print_with_locations(module) -> str:
    stream = io.StringIO()
    Printer(stream=stream, print_debuginfo=True).print_op(module)
    return stream.getvalue()


# ---------------------------------------------------------------------------------------
# Gemm and MatMul


@pytest.mark.parametrize("trans_b", [0, 1])
@pytest.mark.parametrize(
    "alpha,beta",
    [(1.0, 1.0), (0.5, 2.0), (-1.5, 0.25)],
)
@pytest.mark.parametrize("c_shape", [None, "M", "1M", "scalar"])
def test_gemm(trans_b, alpha, beta, c_shape):
    k, m = 12, 7
    w = he((m, k), fan_in=k, seed=2)
    b = w if trans_b else np.ascontiguousarray(w.T)
    inputs = ["x", "B"]
    inits = [init("B", b)]
    if c_shape is not None:
        c = {"M": (m,), "1M": (1, m), "scalar": ()}[c_shape]
        inits.append(init("C", he(c or (1,), fan_in=4, seed=3).reshape(c)))
        inputs.append("C")
    node = helper.make_node("Gemm", inputs, ["y"], name="gemm", transB=trans_b, alpha=alpha, beta=beta)
    model = make([node], [("x", ["N", k])], [("y", ["N", m])], inits)
    module, _, _ = compare_with_ort(model)
    assert "nn.dense" in op_names(module)


@pytest.mark.parametrize("opset", [11, 13])
def test_gemm_relu_chain_old_opsets(opset):
    nodes = [
        helper.make_node("Gemm", ["x", "W1", "b1"], ["h"], transB=1),
        helper.make_node("Relu", ["h"], ["r"]),
        helper.make_node("Gemm", ["r", "W2", "b2"], ["y"], transB=1),
    ]
    inits = [
        init("W1", he((20, 10), seed=4)),
        init("b1", he((20,), fan_in=10, seed=5)),
        init("W2", he((4, 20), seed=6)),
        init("b2", he((4,), fan_in=10, seed=7)),
    ]
    compare_with_ort(make(nodes, [("x", ["N", 10])], [("y", ["N", 4])], inits, opset=opset))


@pytest.mark.parametrize("x_shape", [["N", 8], ["N", 4, 8], ["N", 2, 3, 8]])
@pytest.mark.parametrize("with_bias", [False, True])
def test_matmul_constant_rhs(x_shape, with_bias):
    nodes = [helper.make_node("MatMul", ["x", "W"], ["mm" if with_bias else "y"], name="matmul")]
    inits = [init("W", he((8, 5), seed=8))]
    if with_bias:
        nodes.append(helper.make_node("Add", ["mm", "b"], ["y"], name="bias_add"))
        inits.append(init("b", he((5,), fan_in=8, seed=9)))
    model = make(nodes, [("x", x_shape)], [("y", x_shape[:-1] + [5])], inits)
    module, _, _ = compare_with_ort(model)
    assert "nn.dense" in op_names(module)
    assert "nn.matmul" not in op_names(module)


@pytest.mark.parametrize(
    "a_shape,b_shape,out_shape",
    [
        (["N", 4, 8], ["N", 8, 3], ["N", 4, 3]),
        (["N", 2, 4, 8], ["N", 2, 8, 3], ["N", 2, 4, 3]),
        (["N", 2, 4, 8], ["N", 1, 8, 3], ["N", 2, 4, 3]),
    ],
)
def test_matmul_two_runtime_operands(a_shape, b_shape, out_shape):
    node = helper.make_node("MatMul", ["a", "b"], ["y"], name="bmm")
    model = make([node], [("a", a_shape), ("b", b_shape)], [("y", out_shape)])
    module, _, _ = compare_with_ort(model)
    assert "nn.matmul" in op_names(module)


def test_matmul_constant_3d_rhs_is_grouped_conv():
    node = helper.make_node("MatMul", ["x", "W"], ["y"], name="mm3")
    model = make([node], [("x", ["N", 2, 4, 8])], [("y", ["N", 2, 4, 3])], [init("W", he((2, 8, 3), seed=10))])
    module, _, _ = compare_with_ort(model)
    assert "nn.conv" in op_names(module) and "nn.matmul" not in op_names(module)


# ---------------------------------------------------------------------------------------
# convolution and batch normalization

CONV_CASES = {
    # name: (input shape, out channels, kernel, attrs, group, bias)
    "1d_plain": ([3, 16], 4, [3], {}, 1, True),
    "1d_stride_pad": ([3, 17], 5, [5], {"strides": [2], "pads": [2, 1]}, 1, True),
    "1d_dilation": ([2, 20], 4, [3], {"dilations": [3]}, 1, False),
    "1d_same_upper": ([3, 15], 4, [4], {"auto_pad": "SAME_UPPER", "strides": [2]}, 1, True),
    "1d_same_lower": ([3, 15], 4, [4], {"auto_pad": "SAME_LOWER", "strides": [2]}, 1, True),
    "1d_depthwise": ([6, 12], 6, [3], {"pads": [1, 1]}, 6, True),
    "2d_plain": ([3, 8, 8], 4, [3, 3], {}, 1, True),
    "2d_no_bias": ([3, 8, 8], 4, [3, 3], {"pads": [1, 1, 1, 1]}, 1, False),
    "2d_strides_pads": ([3, 9, 10], 5, [3, 2], {"strides": [2, 3], "pads": [1, 0, 2, 1]}, 1, True),
    "2d_asym_kernel": ([2, 7, 9], 3, [1, 4], {"pads": [0, 1, 0, 2]}, 1, True),
    "2d_dilations": ([3, 11, 11], 4, [3, 3], {"dilations": [2, 3], "pads": [1, 2, 1, 2]}, 1, True),
    "2d_same_upper": ([3, 9, 8], 4, [3, 2], {"auto_pad": "SAME_UPPER", "strides": [2, 2]}, 1, True),
    "2d_same_lower": ([3, 9, 8], 4, [3, 2], {"auto_pad": "SAME_LOWER", "strides": [2, 2]}, 1, True),
    "2d_valid_dilated": ([2, 10, 10], 3, [3, 3], {"auto_pad": "VALID", "dilations": [2, 2]}, 1, False),
    "2d_valid": ([3, 9, 8], 4, [3, 3], {"auto_pad": "VALID", "strides": [2, 1]}, 1, True),
    "2d_groups": ([4, 8, 8], 6, [3, 3], {"pads": [1, 1, 1, 1]}, 2, True),
    "2d_depthwise": ([5, 8, 8], 5, [3, 3], {"pads": [1, 1, 1, 1], "strides": [2, 2]}, 5, True),
    "2d_depthwise_multiplier": ([3, 8, 8], 6, [3, 3], {}, 3, False),
}


def _conv_model(case, opset=OPSET):
    in_shape, m, kernel, attrs, group, bias = CONV_CASES[case]
    c = in_shape[0]
    w = he([m, c // group] + kernel, seed=11)
    inits = [init("W", w)]
    inputs = ["x", "W"]
    if bias:
        inits.append(init("B", he((m,), fan_in=4, seed=12)))
        inputs.append("B")
    node = helper.make_node("Conv", inputs, ["y"], name="conv", kernel_shape=kernel, group=group, **attrs)
    return make([node], [("x", ["N"] + in_shape)], [("y", None)], inits, opset=opset)


@pytest.mark.parametrize("case", sorted(CONV_CASES))
def test_conv(case):
    module, _, _ = compare_with_ort(_conv_model(case))
    assert "nn.conv" in op_names(module)


@pytest.mark.parametrize("opset", [11, 21])
def test_conv_other_opsets(opset):
    compare_with_ort(_conv_model("2d_strides_pads", opset=opset))


def _bn_inits(c, seed=20):
    rng = np.random.default_rng(seed)
    return [
        init("scale", rng.uniform(0.5, 1.5, c).astype(np.float32)),
        init("bias", rng.uniform(-0.5, 0.5, c).astype(np.float32)),
        init("mean", rng.uniform(-0.5, 0.5, c).astype(np.float32)),
        init("var", rng.uniform(0.2, 2.0, c).astype(np.float32)),
    ]


@pytest.mark.parametrize("epsilon", [None, 1e-3])
def test_batchnorm_after_conv(epsilon):
    attrs = {} if epsilon is None else {"epsilon": epsilon}
    nodes = [
        helper.make_node("Conv", ["x", "W", "B"], ["c"], name="conv", pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c", "scale", "bias", "mean", "var"], ["y"], name="bn", **attrs),
    ]
    inits = [init("W", he((4, 3, 3, 3), seed=21)), init("B", he((4,), fan_in=4, seed=22))] + _bn_inits(4)
    module, _, _ = compare_with_ort(make(nodes, [("x", ["N", 3, 6, 6])], [("y", ["N", 4, 6, 6])], inits))
    assert "nn.batchnorm" in op_names(module)


@pytest.mark.parametrize("shape", [["N", 5], ["N", 5, 7], ["N", 5, 3, 4]])
@pytest.mark.parametrize("opset", [11, 15])
def test_batchnorm_standalone(shape, opset):
    node = helper.make_node("BatchNormalization", ["x", "scale", "bias", "mean", "var"], ["y"], name="bn")
    compare_with_ort(make([node], [("x", shape)], [("y", shape)], _bn_inits(5), opset=opset))


# ---------------------------------------------------------------------------------------
# activations


@pytest.mark.parametrize(
    "op_type,attrs,ir_op",
    [
        ("Relu", {}, "nn.relu"),
        ("LeakyRelu", {}, "nn.leaky_relu"),
        ("LeakyRelu", {"alpha": 0.3}, "nn.leaky_relu"),
        ("Sigmoid", {}, "nn.sigmoid"),
        ("HardSigmoid", {}, "nn.hard_sigmoid"),
        ("HardSigmoid", {"alpha": 0.3, "beta": 0.4}, "nn.hard_sigmoid"),
        ("Tanh", {}, "nn.tanh"),
    ],
)
@pytest.mark.parametrize("shape", [("N", 7), ("N", 3, 5, 4)])
def test_activation(op_type, attrs, ir_op, shape):
    module, _, _ = compare_with_ort(unary(op_type, shape=shape, **attrs))
    assert ir_op in op_names(module)


def test_leaky_relu_default_alpha_is_0_01():
    module = import_onnx(unary("LeakyRelu"))
    (op,) = [op for op in module.walk() if op.name == "nn.leaky_relu"]
    assert op.alpha.value.data == pytest.approx(0.01)


@pytest.mark.parametrize(
    "opset,axis,shape",
    [
        (11, None, ("N", 6)),
        (11, 1, ("N", 3, 4)),  # old semantics: flatten to [N, 12], softmax over the 12
        (11, 1, ("N", 2, 3, 4)),
        (11, 2, ("N", 3, 4)),
        (11, -1, ("N", 3, 4)),
        (11, 2, ("N", 2, 3, 4)),
        (13, None, ("N", 3, 4)),
        (13, -1, ("N", 3, 4)),
        (13, 1, ("N", 3, 4)),
        (17, 1, ("N", 2, 3, 4)),
        (21, -2, ("N", 2, 3, 4)),
    ],
)
def test_softmax(opset, axis, shape):
    attrs = {} if axis is None else {"axis": axis}
    module, _, _ = compare_with_ort(unary("Softmax", shape=shape, opset=opset, **attrs))
    assert "nn.softmax" in op_names(module)


def test_softmax_opset11_axis1_differs_from_opset13():
    # Guard that the two semantics are really distinguished (on 3-D they give different results).
    x = np.random.default_rng(3).standard_normal((BATCH, 3, 4)).astype(np.float32)
    old = run_float(import_onnx(unary("Softmax", shape=("N", 3, 4), opset=11, axis=1)), {"x": x})["y"]
    new = run_float(import_onnx(unary("Softmax", shape=("N", 3, 4), opset=13, axis=1)), {"x": x})["y"]
    assert np.allclose(old.reshape(BATCH, -1).sum(axis=1), 1.0, atol=1e-5)
    assert np.allclose(new.sum(axis=1), 1.0, atol=1e-5)
    assert not np.allclose(old, new)


@pytest.mark.parametrize("opset", [11, 13])
@pytest.mark.parametrize("bounds", [(-0.5, None), (None, 0.7), (-0.3, 0.4), (None, None)])
def test_clip(opset, bounds):
    lo, hi = bounds
    inputs = ["x", "" if lo is None else "lo", "" if hi is None else "hi"]
    while inputs[-1] == "":
        inputs.pop()
    inits = []
    if lo is not None:
        inits.append(init("lo", np.array(lo, np.float32)))
    if hi is not None:
        inits.append(init("hi", np.array(hi, np.float32)))
    node = helper.make_node("Clip", inputs, ["y"], name="clip")
    module, got, _ = compare_with_ort(make([node], [("x", ["N", 4, 5])], [("y", ["N", 4, 5])], inits, opset=opset))
    assert "nn.clip" in op_names(module)
    if lo is not None:
        assert got["y"].min() == pytest.approx(lo)
    if hi is not None:
        assert got["y"].max() == pytest.approx(hi)


def test_clip_bounds_from_constant_nodes():
    nodes = [
        helper.make_node("Constant", [], ["lo"], value=helper.make_tensor("v", TensorProto.FLOAT, [], [0.0])),
        helper.make_node("Constant", [], ["hi"], value_float=6.0),
        helper.make_node("Mul", ["x", "three"], ["x3"]),
        helper.make_node("Clip", ["x3", "lo", "hi"], ["y"], name="relu6"),
    ]
    inits = [init("three", np.array([3.0], np.float32))]
    compare_with_ort(make(nodes, [("x", ["N", 10])], [("y", ["N", 10])], inits, opset=13))


# ---------------------------------------------------------------------------------------
# pooling

POOL_CASES = {
    # name: (op, input shape, attrs)
    "max_1d": ("MaxPool", [3, 11], {"kernel_shape": [3], "strides": [2]}),
    "max_1d_pads_ceil": ("MaxPool", [3, 10], {"kernel_shape": [3], "strides": [2], "pads": [1, 1], "ceil_mode": 1}),
    "max_2d": ("MaxPool", [3, 8, 8], {"kernel_shape": [2, 2], "strides": [2, 2]}),
    "max_2d_default_stride": ("MaxPool", [2, 5, 6], {"kernel_shape": [2, 3]}),
    "max_2d_pads": ("MaxPool", [3, 7, 7], {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}),
    "max_2d_asym_pads": ("MaxPool", [2, 7, 6], {"kernel_shape": [3, 2], "pads": [0, 1, 2, 0]}),
    "max_2d_ceil": ("MaxPool", [3, 7, 8], {"kernel_shape": [3, 3], "strides": [2, 2], "ceil_mode": 1}),
    "max_2d_ceil_pads": (
        "MaxPool",
        [2, 9, 9],
        {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1], "ceil_mode": 1},
    ),
    "max_2d_dilations": ("MaxPool", [2, 9, 10], {"kernel_shape": [2, 3], "dilations": [2, 2], "strides": [1, 2]}),
    "max_2d_same_upper": ("MaxPool", [2, 7, 7], {"kernel_shape": [3, 3], "strides": [2, 2], "auto_pad": "SAME_UPPER"}),
    "avg_1d": ("AveragePool", [3, 12], {"kernel_shape": [2], "strides": [2]}),
    "avg_1d_pads_include": (
        "AveragePool",
        [3, 11],
        {"kernel_shape": [3], "strides": [2], "pads": [1, 1], "count_include_pad": 1},
    ),
    "avg_2d": ("AveragePool", [3, 8, 8], {"kernel_shape": [2, 2], "strides": [2, 2]}),
    "avg_2d_pads_exclude": (
        "AveragePool",
        [3, 7, 7],
        {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1], "count_include_pad": 0},
    ),
    "avg_2d_pads_include": (
        "AveragePool",
        [3, 7, 7],
        {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1], "count_include_pad": 1},
    ),
    "avg_2d_asym_pads_include": (
        "AveragePool",
        [2, 6, 7],
        {"kernel_shape": [2, 3], "pads": [1, 0, 0, 2], "count_include_pad": 1},
    ),
    "avg_2d_ceil": ("AveragePool", [3, 7, 8], {"kernel_shape": [3, 3], "strides": [2, 2], "ceil_mode": 1}),
    "avg_2d_ceil_pads_exclude": (
        "AveragePool",
        [2, 8, 8],
        {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1], "ceil_mode": 1},
    ),
    "avg_2d_ceil_pads_include": (
        "AveragePool",
        [2, 8, 8],
        {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1], "ceil_mode": 1, "count_include_pad": 1},
    ),
    "avg_2d_same_lower": (
        "AveragePool",
        [2, 7, 7],
        {"kernel_shape": [2, 2], "strides": [2, 2], "auto_pad": "SAME_LOWER"},
    ),
}


@pytest.mark.parametrize("case", sorted(POOL_CASES))
def test_pool(case):
    op_type, shape, attrs = POOL_CASES[case]
    node = helper.make_node(op_type, ["x"], ["y"], name="pool", **attrs)
    module, _, _ = compare_with_ort(make([node], [("x", ["N"] + shape)], [("y", None)]))
    assert ("nn.max_pool" if op_type == "MaxPool" else "nn.avg_pool") in op_names(module)


@pytest.mark.parametrize("op_type", ["GlobalAveragePool", "GlobalMaxPool"])
@pytest.mark.parametrize("shape", [[4, 9], [3, 5, 6]])
def test_global_pool(op_type, shape):
    node = helper.make_node(op_type, ["x"], ["y"], name="gpool")
    out = ["N", shape[0]] + [1] * (len(shape) - 1)
    module, _, _ = compare_with_ort(make([node], [("x", ["N"] + shape)], [("y", out)]))
    assert ("nn.global_avg_pool" if op_type == "GlobalAveragePool" else "nn.global_max_pool") in op_names(module)


# ---------------------------------------------------------------------------------------
# shape and data movement


@pytest.mark.parametrize("opset", [11, 13, 21])
@pytest.mark.parametrize(
    "axis,x_shape,out",
    [
        (None, ["N", 3, 4, 5], ["N", 60]),
        (1, ["N", 3, 4, 5], ["N", 60]),
        (1, ["N", 7], ["N", 7]),
        # axis > 1 keeps the batch axis only when the axes it merges into it are 1
        (2, ["N", 1, 4, 5], ["N", 20]),
        (2, ["N", 1, 6], ["N", 6]),
        (-1, ["N", 1, 1, 5], ["N", 5]),
        (-2, ["N", 1, 4, 5], ["N", 20]),
    ],
)
def test_flatten(opset, axis, x_shape, out):
    attrs = {} if axis is None else {"axis": axis}
    node = helper.make_node("Flatten", ["x"], ["y"], name="flatten", **attrs)
    compare_with_ort(make([node], [("x", x_shape)], [("y", out)], opset=opset))


@pytest.mark.parametrize(
    "shape,out",
    [
        ([0, -1, 5], ["N", 12, 5]),
        ([0, 3, -1], ["N", 3, 20]),
        ([0, 60], ["N", 60]),
        ([-1, 60], ["N", 60]),
        ([0, 0, -1], ["N", 3, 20]),
        ([0, 0, 2, 2, 5], ["N", 3, 2, 2, 5]),  # the second 0 copies axis 1
        ([0, 5, 2, 6], ["N", 5, 2, 6]),
        ([0, 0, 0, 0], ["N", 3, 4, 5]),
    ],
)
def test_reshape(shape, out):
    node = helper.make_node("Reshape", ["x", "shape"], ["y"], name="reshape")
    model = make([node], [("x", ["N", 3, 4, 5])], [("y", None)], [init("shape", np.array(shape, np.int64))])
    compare_with_ort(model)


@pytest.mark.parametrize("perm", [[0, 2, 3, 1], [0, 3, 1, 2], [0, 1, 3, 2], [0, 2, 1, 3]])
def test_transpose(perm):
    node = helper.make_node("Transpose", ["x"], ["y"], name="transpose", perm=perm)
    module, _, _ = compare_with_ort(make([node], [("x", ["N", 2, 3, 4])], [("y", None)]))
    assert "nn.transpose" in op_names(module)


def test_transpose_3d_then_dense():
    nodes = [
        helper.make_node("Transpose", ["x"], ["t"], perm=[0, 2, 1]),
        helper.make_node("MatMul", ["t", "W"], ["y"]),
    ]
    compare_with_ort(make(nodes, [("x", ["N", 4, 6])], [("y", ["N", 6, 3])], [init("W", he((4, 3), seed=30))]))


@pytest.mark.parametrize("opset", [11, 13, 21])
@pytest.mark.parametrize("axes", [[2], [-3], [2, 4], [-1, 2], None])
def test_squeeze(opset, axes):
    inputs, inits, attrs = ["x"], [], {}
    if axes is not None:
        if opset >= 13:
            inputs.append("axes")
            inits.append(init("axes", np.array(axes, np.int64)))
        else:
            attrs["axes"] = axes
    node = helper.make_node("Squeeze", inputs, ["y"], name="squeeze", **attrs)
    out = ["N", 3, 4] if axes is None or len(axes) == 2 else ["N", 3, 4, 1]
    module, _, _ = compare_with_ort(make([node], [("x", ["N", 3, 1, 4, 1])], [("y", out)], inits, opset=opset))
    assert op_names(module) == ["builtin.module", "func.func", "nn.reshape", "func.return"]


@pytest.mark.parametrize("opset", [11, 13, 21])
@pytest.mark.parametrize("axes", [[1], [-1], [1, 3], [2, -1]])
def test_unsqueeze(opset, axes):
    inputs, inits, attrs = ["x"], [], {}
    if opset >= 13:
        inputs.append("axes")
        inits.append(init("axes", np.array(axes, np.int64)))
    else:
        attrs["axes"] = axes
    node = helper.make_node("Unsqueeze", inputs, ["y"], name="unsqueeze", **attrs)
    compare_with_ort(make([node], [("x", ["N", 3, 4])], [("y", None)], inits, opset=opset))


@pytest.mark.parametrize("axis", [1, 2, -1])
def test_concat_two_runtime(axis):
    node = helper.make_node("Concat", ["a", "b"], ["y"], name="concat", axis=axis)
    b_shape = ["N", 3, 4]
    b_shape[axis] = 2
    model = make([node], [("a", ["N", 3, 4]), ("b", b_shape)], [("y", None)])
    module, _, _ = compare_with_ort(model)
    assert "nn.concat" in op_names(module)


@pytest.mark.parametrize("const_first", [False, True])
def test_concat_runtime_and_constant(const_first):
    # ONNX Concat does not broadcast, so a [1, 2, 4] constant only concatenates at batch 1
    inputs = ["c", "a"] if const_first else ["a", "c"]
    node = helper.make_node("Concat", inputs + ["b"], ["y"], name="concat", axis=1)
    inits = [init("c", he((1, 2, 4), seed=31))]
    model = make([node], [("a", [1, 3, 4]), ("b", [1, 1, 4])], [("y", [1, 6, 4])], inits)
    module, _, _ = compare_with_ort(model, batch=1)
    assert "nn.concat" in op_names(module)


def test_concat_runtime_and_constant_expanded_to_batch():
    """torch.cat([x, token.expand(x.size(0), -1, -1)], 1): the Expand's target shape comes
    from Shape(x), so it folds to a batch-1 constant; it must still concatenate at any batch."""
    nodes = [
        helper.make_node("Shape", ["x"], ["s"]),
        _const_i64("i0", [0]),
        helper.make_node("Gather", ["s", "i0"], ["n"]),
        _const_i64("rest", [2, 4]),
        helper.make_node("Concat", ["n", "rest"], ["target"], axis=0),
        helper.make_node("Expand", ["token", "target"], ["tokens"]),
        helper.make_node("Concat", ["x", "tokens"], ["y"], name="concat_tokens", axis=1),
    ]
    inits = [init("token", he((1, 2, 4), seed=37))]
    model = make(nodes, [("x", ["N", 3, 4])], [("y", ["N", 5, 4])], inits, opset=13)
    module, _, _ = compare_with_ort(model)
    assert_only_nn_ops(module)


@pytest.mark.parametrize("op_type", ["Add", "Sub", "Mul", "Div"])
@pytest.mark.parametrize(
    "other",
    ["const_C11", "const_1", "const_W", "const_1C11", "const_scalar", "runtime_same", "runtime_bcast", "const_left"],
)
def test_binary(op_type, other):
    x_shape = ["N", 3, 4, 5]
    rng = np.random.default_rng(32)

    def const(shape):
        values = rng.standard_normal(shape).astype(np.float32)
        if op_type == "Div":  # keep the divisor away from zero
            values = (np.sign(values) + (values == 0)) * (0.5 + np.abs(values))
        return values.astype(np.float32)

    inputs = [("x", x_shape)]
    inits = []
    if other.startswith("const"):
        shape = {
            "const_C11": (3, 1, 1),
            "const_1": (1,),
            "const_W": (5,),
            "const_1C11": (1, 3, 1, 1),
            "const_scalar": (),
            "const_left": (4, 1),
        }[other]
        inits.append(init("c", const(shape)))
        operands = ["c", "x"] if other == "const_left" else ["x", "c"]
    else:
        inputs.append(("z", x_shape if other == "runtime_same" else ["N", 3, 1, 1]))
        operands = ["x", "z"] if other == "runtime_same" else ["z", "x"]
    node = helper.make_node(op_type, operands, ["y"], name="binary")
    module, _, _ = compare_with_ort(make([node], inputs, [("y", x_shape)], inits))
    assert f"nn.{op_type.lower()}" in op_names(module)


def test_div_two_runtime_tensors_away_from_zero():
    node = helper.make_node("Div", ["a", "b"], ["y"], name="div")
    model = make([node], [("a", ["N", 8]), ("b", ["N", 8])], [("y", ["N", 8])])
    rng = np.random.default_rng(33)
    a = rng.standard_normal((BATCH, 8)).astype(np.float32)
    b = (1.0 + rng.random((BATCH, 8))).astype(np.float32) * rng.choice([-1.0, 1.0], (BATCH, 8)).astype(np.float32)
    compare_with_ort(model, feeds={"a": a, "b": b})


PAD_CASES = {
    # name: (input shape, pads, mode, value, axes)
    "constant_value": ([3, 5, 6], [0, 0, 1, 2, 0, 0, 2, 1], "constant", 1.5, None),
    "constant_default": ([3, 5, 6], [0, 1, 0, 0, 0, 2, 1, 0], "constant", None, None),
    "reflect": ([3, 5, 6], [0, 0, 2, 1, 0, 0, 1, 3], "reflect", None, None),
    "edge": ([3, 5, 6], [0, 0, 3, 1, 0, 0, 0, 2], "edge", None, None),
    "reflect_1d": ([2, 7], [0, 0, 2, 0, 0, 3], "reflect", None, None),
    "edge_channels": ([3, 4], [0, 1, 0, 0, 2, 1], "edge", None, None),
    "axes_last": ([3, 5, 6], [1, 2], "constant", -0.5, [-1]),
    "axes_spatial": ([3, 5, 6], [1, 0, 2, 1], "reflect", None, [2, 3]),
    "axes_unordered": ([3, 5, 6], [1, 2, 0, 1], "edge", None, [3, 1]),
}


@pytest.mark.parametrize(
    "opset,case",
    [
        (opset, case)
        for case in sorted(PAD_CASES)
        for opset in (11, 13, 18, 21)
        if PAD_CASES[case][4] is None or opset >= 18  # the axes input exists from opset 18
    ],
)
def test_pad(opset, case):
    shape, pads, mode, value, axes = PAD_CASES[case]
    inputs = ["x", "pads"]
    inits = [init("pads", np.array(pads, np.int64))]
    if value is not None or axes is not None:
        inputs.append("" if value is None else "value")
        if value is not None:
            inits.append(init("value", np.array(value, np.float32)))
    if axes is not None:
        inputs.append("axes")
        inits.append(init("axes", np.array(axes, np.int64)))
    node = helper.make_node("Pad", inputs, ["y"], name="pad", mode=mode)
    module, _, _ = compare_with_ort(make([node], [("x", ["N"] + shape)], [("y", None)], inits, opset=opset))
    assert "nn.pad" in op_names(module)


@pytest.mark.parametrize("op_type,opset", [("Identity", 13), ("Identity", 21), ("Dropout", 11), ("Dropout", 13)])
def test_identity_and_dropout(op_type, opset):
    nodes = [
        helper.make_node("Relu", ["x"], ["r"]),
        helper.make_node(op_type, ["r"], ["d"], name="passthrough"),
        helper.make_node("Tanh", ["d"], ["y"]),
    ]
    module, _, _ = compare_with_ort(make(nodes, [("x", ["N", 6])], [("y", ["N", 6])], opset=opset))
    assert op_names(module) == ["builtin.module", "func.func", "nn.relu", "nn.tanh", "func.return"]


def test_dropout_with_ratio_input():
    nodes = [helper.make_node("Dropout", ["x", "ratio"], ["d"]), helper.make_node("Sigmoid", ["d"], ["y"])]
    inits = [init("ratio", np.array(0.3, np.float32))]
    compare_with_ort(make(nodes, [("x", ["N", 6])], [("y", ["N", 6])], inits, opset=13))


def test_identity_as_graph_output():
    node = helper.make_node("Identity", ["x"], ["y"])
    compare_with_ort(make([node], [("x", ["N", 5])], [("y", ["N", 5])]))


@pytest.mark.parametrize(
    "attr",
    ["value", "value_float", "value_floats"],
)
def test_constant_feeding_add(attr):
    if attr == "value":
        kwargs = {"value": numpy_helper.from_array(he((4,), fan_in=1, seed=34), "cv")}
    elif attr == "value_float":
        kwargs = {"value_float": 0.75}
    else:
        kwargs = {"value_floats": [0.5, -1.0, 2.0, 0.25]}
    nodes = [
        helper.make_node("Constant", [], ["c"], name="const", **kwargs),
        helper.make_node("Add", ["x", "c"], ["y"], name="add"),
    ]
    module, _, _ = compare_with_ort(make(nodes, [("x", ["N", 3, 4])], [("y", ["N", 3, 4])]))
    assert "nn.constant" in op_names(module)


def test_constant_weight_preprocessing_is_folded():
    # Transpose / Mul / Reshape / Squeeze / Flatten / Identity / Neg on initializers fold away.
    nodes = [
        helper.make_node("Transpose", ["Wt"], ["W1"], perm=[1, 0]),
        helper.make_node("Mul", ["W1", "half"], ["W2"]),
        helper.make_node("Neg", ["W2"], ["W3"]),
        helper.make_node("Identity", ["W3"], ["W4"]),
        helper.make_node("MatMul", ["x", "W4"], ["h"]),
        helper.make_node("Reshape", ["b4", "b_shape"], ["b3"]),
        helper.make_node("Squeeze", ["b3", "sq_axes"], ["b2"]),
        helper.make_node("Flatten", ["b2"], ["b1"], axis=0),
        helper.make_node("Sub", ["b1", "one"], ["b"]),
        helper.make_node("Add", ["h", "b"], ["y"]),
    ]
    inits = [
        init("Wt", he((5, 8), fan_in=8, seed=35)),
        init("half", np.array(0.5, np.float32)),
        init("b4", he((1, 5), fan_in=4, seed=36)),
        init("b_shape", np.array([5, 1], np.int64)),
        init("sq_axes", np.array([1], np.int64)),
        init("one", np.array([1.0], np.float32)),
    ]
    module, _, _ = compare_with_ort(make(nodes, [("x", ["N", 8])], [("y", ["N", 5])], inits, opset=13))
    names = op_names(module)
    assert_only_nn_ops(module)
    assert names.count("nn.dense") == 1
    assert "nn.transpose" not in names and "nn.reshape" not in names and "nn.mul" not in names


# ---------------------------------------------------------------------------------------
# shape sub-graphs (folded at compile time)


def _const_i64(name, values):
    return helper.make_node(
        "Constant", [], [name], value=numpy_helper.from_array(np.array(values, np.int64), name + "_v")
    )


@pytest.mark.parametrize("opset", [11, 13, 17, 21])
def test_shape_gather_unsqueeze_concat_reshape(opset):
    """x.view(x.size(0), -1) as torch exports it."""

    def unsq(inp, out):
        if opset >= 13:
            return helper.make_node("Unsqueeze", [inp, "ax0"], [out])
        return helper.make_node("Unsqueeze", [inp], [out], axes=[0])

    nodes = [
        helper.make_node("Relu", ["x"], ["r"], name="relu"),
        helper.make_node("Shape", ["r"], ["s"], name="shape_of_r"),
        helper.make_node("Constant", [], ["idx0"], value=helper.make_tensor("i", TensorProto.INT64, [], [0])),
        helper.make_node("Gather", ["s", "idx0"], ["n"], name="gather_batch", axis=0),
        unsq("n", "n1"),
        helper.make_node("Constant", [], ["m1"], value=helper.make_tensor("m", TensorProto.INT64, [], [-1])),
        unsq("m1", "m11"),
        helper.make_node("Concat", ["n1", "m11"], ["target"], axis=0),
        helper.make_node("Reshape", ["r", "target"], ["flat"], name="reshape_dynamic"),
        helper.make_node("Gemm", ["flat", "W", "b"], ["y"], transB=1),
    ]
    if opset >= 13:
        nodes.insert(0, _const_i64("ax0", [0]))
    inits = [init("W", he((3, 24), seed=40)), init("b", he((3,), fan_in=4, seed=41))]
    model = make(nodes, [("x", ["N", 4, 3, 2])], [("y", ["N", 3])], inits, opset=opset)
    module, _, _ = compare_with_ort(model)
    text = str(module)
    assert "Shape" not in text and "Gather" not in text and "shape_of_r" not in text
    assert_only_nn_ops(module)
    assert "nn.reshape" in op_names(module) or "nn.flatten" in op_names(module)


def test_shape_chains_constant_of_shape_range_cast_expand_slice():
    """ConstantOfShape / Range / Cast / Expand / Slice / Equal / Where / Div / Sub chains
    computed from Shape feed a Reshape and Add / Mul operands."""
    nodes = [
        # s = shape(x) = [N, 5, 4]
        helper.make_node("Shape", ["x"], ["s"], name="shape_x"),
        # Slice s[1:3] -> [5, 4]
        _const_i64("st", [1]),
        _const_i64("en", [3]),
        helper.make_node("Slice", ["s", "st", "en"], ["hw"], name="slice_hw"),
        # ConstantOfShape([5, 4]) filled with 0.5 -> Mul operand
        helper.make_node(
            "ConstantOfShape",
            ["hw"],
            ["half"],
            name="cos",
            value=helper.make_tensor("fill", TensorProto.FLOAT, [1], [0.5]),
        ),
        # Range(0, cast(s[2]), 1) as float -> [0, 1, 2, 3] -> Add operand
        _const_i64("i2", 2),
        helper.make_node("Gather", ["s", "i2"], ["w"], name="gather_w"),
        helper.make_node("Cast", ["w"], ["wf"], name="cast_w", to=TensorProto.FLOAT),
        helper.make_node("Constant", [], ["zero"], value_float=0.0),
        helper.make_node("Constant", [], ["onef"], value_float=1.0),
        helper.make_node("Range", ["zero", "wf", "onef"], ["ramp"], name="range_w"),
        # Expand a [4] ramp to [5, 4] (shape from the slice)
        helper.make_node("Expand", ["ramp", "hw"], ["ramp2"], name="expand_ramp"),
        helper.make_node("Mul", ["x", "half"], ["xh"], name="mul_half"),
        helper.make_node("Add", ["xh", "ramp2"], ["xa"], name="add_ramp"),
        # Reshape target: where(t == 0, s, t) / fixed parts -> [N, 20]
        _const_i64("t", [0, -1]),
        _const_i64("z2", [0, 0]),
        helper.make_node("Equal", ["t", "z2"], ["is0"], name="eq0"),
        _const_i64("s_first", [0]),
        _const_i64("s_len", [1]),
        helper.make_node("Slice", ["s", "s_first", "s_len"], ["n"], name="slice_n"),
        _const_i64("minus1", [-1]),
        helper.make_node("Concat", ["n", "minus1"], ["sn"], axis=0, name="concat_sn"),
        helper.make_node("Where", ["is0", "sn", "t"], ["target0"], name="where_t"),
        # arithmetic no-ops on the shape: ((target0 * 2) / 2) - 0 + 0, negated twice
        _const_i64("two", [2]),
        _const_i64("zero_i", [0]),
        helper.make_node("Mul", ["target0", "two"], ["tm"], name="mul_t"),
        helper.make_node("Div", ["tm", "two"], ["td"], name="div_t"),
        helper.make_node("Sub", ["td", "zero_i"], ["ts"], name="sub_t"),
        helper.make_node("Add", ["ts", "zero_i"], ["ta"], name="add_t"),
        helper.make_node("Neg", ["ta"], ["tn"], name="neg_t"),
        helper.make_node("Neg", ["tn"], ["target"], name="neg_t2"),
        helper.make_node("Reshape", ["xa", "target"], ["y"], name="reshape_y"),
    ]
    model = make(nodes, [("x", ["N", 5, 4])], [("y", ["N", 20])], opset=17)
    module, _, _ = compare_with_ort(model)
    text = str(module)
    for op_type in ("Shape", "Gather", "ConstantOfShape", "Range", "Cast", "Expand", "Slice", "Where", "Equal"):
        assert op_type not in text
    assert_only_nn_ops(module)


@pytest.mark.parametrize("opset", [13, 21])
def test_shape_with_start_end_and_squeeze_flatten_folders(opset):
    """Shape(start, end) (opset 15+) or Slice, Squeeze/Unsqueeze/Flatten/Transpose on
    constants, feeding a Reshape."""
    nodes = [helper.make_node("Shape", ["x"], ["s"], name="shape_x")]
    if opset >= 15:
        nodes.append(helper.make_node("Shape", ["x"], ["tail"], name="shape_tail", start=1))
    else:
        nodes += [_const_i64("b1", [1]), _const_i64("e9", [9]), helper.make_node("Slice", ["s", "b1", "e9"], ["tail"])]
    nodes += [
        # prod of tail as [1]: tail [3, 4] -> unsqueeze -> [1, 2] -> transpose -> [2, 1] -> flatten(axis 0) -> [1, 2]
        _const_i64("ax0", [0]),
        helper.make_node("Unsqueeze", ["tail", "ax0"], ["tail2"]),
        helper.make_node("Transpose", ["tail2"], ["tail3"], perm=[1, 0]),
        helper.make_node("Flatten", ["tail3"], ["tail4"], axis=0),
        helper.make_node("Squeeze", ["tail4", "ax0"], ["tail5"]),
        _const_i64("i0", 0),
        _const_i64("i1", 1),
        helper.make_node("Gather", ["tail5", "i0"], ["d0"]),
        helper.make_node("Gather", ["tail5", "i1"], ["d1"]),
        helper.make_node("Mul", ["d0", "d1"], ["prod"]),
        helper.make_node("Unsqueeze", ["prod", "ax0"], ["prod1"]),
        _const_i64("one_i", [1]),
        helper.make_node("Concat", ["one_i", "prod1"], ["target"], axis=0),
        helper.make_node("Reshape", ["x", "target"], ["flat"]),
        helper.make_node("Relu", ["flat"], ["y"]),
    ]
    model = make(nodes, [("x", ["N", 3, 4])], [("y", ["N", 12])], opset=opset)
    module = import_onnx(model)
    assert_only_nn_ops(module)
    # The target shape starts with a literal 1, so ONNX itself only runs this at batch 1.
    compare_with_ort(model, batch=1)


def test_constant_of_shape_default_zero_and_int_folding():
    nodes = [
        helper.make_node("Shape", ["x"], ["s"]),
        _const_i64("st", [1]),
        _const_i64("en", [2]),
        helper.make_node("Slice", ["s", "st", "en"], ["c"]),
        helper.make_node("ConstantOfShape", ["c"], ["z"]),  # float zeros [3]
        helper.make_node("Constant", [], ["one"], value_float=1.0),
        helper.make_node("Add", ["z", "one"], ["ones"]),
        helper.make_node("Sub", ["x", "ones"], ["y"]),
    ]
    compare_with_ort(make(nodes, [("x", ["N", 3])], [("y", ["N", 3])], opset=13))


# ---------------------------------------------------------------------------------------
# a small network at every supported opset, and locations


def _small_net(opset):
    def unsq(inp, out, axes):
        if opset >= 13:
            return [_const_i64(out + "_axes", axes), helper.make_node("Unsqueeze", [inp, out + "_axes"], [out])]
        return [helper.make_node("Unsqueeze", [inp], [out], axes=axes)]

    nodes = [
        helper.make_node("Conv", ["x", "W1", "B1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c1", "scale", "bias", "mean", "var"], ["bn1"], name="bn1"),
        helper.make_node("Relu", ["bn1"], ["r1"], name="relu1"),
        helper.make_node("MaxPool", ["r1"], ["p1"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("GlobalAveragePool", ["p1"], ["g"], name="gap"),
        helper.make_node("Flatten", ["g"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "W2", "B2"], ["logits"], name="fc", transB=1),
        *unsq("logits", "l3", [2]),
        helper.make_node("Softmax", ["l3"], ["sm"], name="softmax", axis=1),
        helper.make_node("Flatten", ["sm"], ["y"], name="flatten_out"),
    ]
    inits = [
        init("W1", he((4, 2, 3, 3), seed=50)),
        init("B1", he((4,), fan_in=4, seed=51)),
        *_bn_inits(4),
        init("W2", he((5, 4), seed=52)),
        init("B2", he((5,), fan_in=4, seed=53)),
    ]
    return make(nodes, [("x", ["N", 2, 8, 8])], [("y", ["N", 5])], inits, opset=opset)


@pytest.mark.parametrize("opset", [11, 13, 17, 21])
def test_small_network_every_opset(opset):
    module, got, _ = compare_with_ort(_small_net(opset))
    assert_only_nn_ops(module)
    np.testing.assert_allclose(got["y"].sum(axis=1), 1.0, atol=1e-5)


def test_node_names_become_locations():
    text = print_with_locations(import_onnx(_small_net(OPSET)))
    for name in ("conv1", "bn1", "relu1", "pool1", "gap", "flatten", "fc", "softmax"):
        assert f'loc("{name}")' in text
    # the plain printout carries no locations
    assert "loc(" not in str(import_onnx(_small_net(OPSET)))


def test_my_node_name_location_and_unnamed_nodes():
    nodes = [
        helper.make_node("Relu", ["x"], ["r"], name="my_node_name"),
        helper.make_node("Sigmoid", ["r"], ["y"]),  # unnamed: labelled OpType_index
    ]
    module = import_onnx(make(nodes, [("x", ["N", 4])], [("y", ["N", 4])]))
    text = print_with_locations(module)
    assert 'loc("my_node_name")' in text
    assert 'loc("Sigmoid_1")' in text
    relu = next(op for op in module.walk() if op.name == "nn.relu")
    assert relu.location.desc.data == "my_node_name"


def test_graph_io_names_are_kept():
    nodes = [helper.make_node("Add", ["input.1", "other:0"], ["out/put"])]
    model = make(nodes, [("input.1", ["N", 4]), ("other:0", ["N", 4])], [("out/put", ["N", 4])])
    module, got, _ = compare_with_ort(model)
    assert set(got) == {"out/put"}


def test_every_importer_and_shape_folder_is_covered():
    # Keep this file in step with the importer's tables.
    covered_importers = {
        "Gemm", "MatMul", "Conv", "BatchNormalization", "Relu", "LeakyRelu", "Sigmoid",
        "HardSigmoid", "Tanh", "Softmax", "Clip", "MaxPool", "AveragePool", "GlobalAveragePool",
        "GlobalMaxPool", "Flatten", "Reshape", "Transpose", "Squeeze", "Unsqueeze", "Concat",
        "Add", "Sub", "Mul", "Div", "Pad", "Identity", "Dropout",
    }  # fmt: skip
    covered_importers |= {  # in test_import_elementwise.py
        "Sum", "Mean", "Max", "Min", "PRelu", "Elu", "Selu", "Softplus", "Softsign", "HardSwish", "Mish",
        "Gelu", "Erf", "Exp", "Log", "Sqrt", "Reciprocal", "Neg", "Abs", "Pow", "Where", "LRN",
        "LayerNormalization", "InstanceNormalization",
    }  # fmt: skip
    covered_folders = {
        "Shape", "Constant", "Gather", "Unsqueeze", "Squeeze", "Concat", "Reshape", "Expand",
        "ConstantOfShape", "Range", "Cast", "Slice", "Transpose", "Flatten", "Identity", "Add",
        "Sub", "Mul", "Div", "Neg", "Equal", "Where",
    }  # fmt: skip
    # the structural operators are covered by test_import_structure.py
    assert set(onnx_ops.IMPORTERS) == covered_importers | set(onnx_ops_structure.STRUCTURE_IMPORTERS)
    assert set(onnx_fold.FOLDERS) == covered_folders


# ---------------------------------------------------------------------------------------
# whole-model fixtures

FIXTURE_NAMES = ["mlp.onnx", "cnn.onnx", "shapes.onnx", "conv1d.onnx"]


@pytest.fixture(scope="module")
def fixture_models():
    out = {}
    for name in FIXTURE_NAMES:
        path = FIXTURES / name
        out[name] = (onnx.load(str(path)), import_onnx(path))
    return out


@pytest.mark.parametrize("name", FIXTURE_NAMES)
@pytest.mark.parametrize("batch", [1, 200])
def test_fixture_matches_onnxruntime(fixture_models, name, batch):
    model, _ = fixture_models[name]
    _, got, refs = compare_with_ort(model, batch=batch, seed=100 + batch)
    out, ref = got["output"], refs["output"]
    assert out.shape == (batch, ref.shape[1])
    assert float(np.mean(out.argmax(axis=1) == ref.argmax(axis=1))) == 1.0


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_fixture_import_from_path_bytes_and_proto_agree(fixture_models, name):
    path = FIXTURES / name
    model, module = fixture_models[name]
    assert str(import_onnx(str(path))) == str(module)
    assert str(import_onnx(path.read_bytes())) == str(module)
    assert str(import_onnx(model)) == str(module)
    assert_only_nn_ops(module)


def test_fixture_shapes_subgraph_is_folded(fixture_models):
    _, module = fixture_models["shapes.onnx"]
    text = str(module)
    assert "Shape" not in text and "Gather" not in text
    assert_only_nn_ops(module)


def test_fixture_mlp_example_input(fixture_models):
    model, module = fixture_models["mlp.onnx"]
    x = np.load(FIXTURES / "mlp_input.npy")
    compare_with_ort(model, feeds={"input": x})
    got = run_float(module, {"input": x})["output"]
    np.testing.assert_allclose(got.sum(axis=1), 1.0, atol=1e-5)
