"""Importer tests of the shape and data-movement operators and of shape sub-graphs (folded at compile
time): each built into a tiny model, imported, run on a batch and compared with onnxruntime."""

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
