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


from import_ops_support import (  # noqa: F401
    BATCH,
    FIXTURES,
    FUNC_OPS,
    IR_VERSION,
    OPSET,
    RTOL,
    _const_i64,
    he,
    init,
    vi,
    make,
    unary,
    random_inputs,
    compare_with_ort,
    op_names,
    assert_only_nn_ops,
    print_with_locations,
)

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
    covered_importers |= {"LSTM", "GRU"}  # in test_import_recurrent.py
    covered_importers |= {"Sign"}  # in test_import_binary.py
    covered_folders = {
        "Shape", "Constant", "Gather", "Unsqueeze", "Squeeze", "Concat", "Reshape", "Expand",
        "ConstantOfShape", "Range", "Cast", "Slice", "Transpose", "Flatten", "Identity", "Add",
        "Sub", "Mul", "Div", "Neg", "Equal", "Where",
    }  # fmt: skip
    covered_folders |= {"Sign"}  # test_sign_on_constants_folds in test_import_binary.py
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
