"""Import errors about the model's inputs: input shapes and types, and hostile names (which never
reach the generated code)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from nncc.compiler.context import make_context
from nncc.compiler.onnx.importer import import_onnx
from nncc.runtime.interpreter import run_float

from helpers import one_problem, onnx_model, printed_with_locations, problems_of, vi

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
HOSTILE = '"; system("x"); //'




# ---------------------------------------------------------------------------------------
# input shapes and types


def _relu_model(shape, elem=TensorProto.FLOAT, name="x"):
    return onnx_model([helper.make_node("Relu", [name], ["y"])], [vi(name, shape, elem)], [vi("y", shape, elem)])


@pytest.mark.parametrize(
    "shape,axis,label",
    [(["N", "C", 8], 1, "C"), (["N", 3, "L"], 2, "L"), (["N", 3, None], 2, "?")],
)
def test_dynamic_non_batch_dimension(shape, axis, label):
    message = one_problem(_relu_model(shape))
    assert message == (
        f"graph input 'x' has dynamic dimension '{label}' at axis {axis}; "
        "only the leading (batch) axis may be dynamic; fix it with --input-shape"
    )


def test_dynamic_non_batch_dimension_fixed_with_input_shapes():
    module = import_onnx(_relu_model(["N", "C", "L"]), input_shapes={"x": [1, 3, 8]})
    assert "tensor<1x3x8xf32>" in str(module)
    x = np.random.default_rng(0).standard_normal((5, 3, 8)).astype(np.float32)
    np.testing.assert_array_equal(run_float(module, {"x": x})["y"], np.maximum(x, 0))


def test_several_dynamic_dimensions_listed_together():
    problems = problems_of(_relu_model(["N", "C", "L"]))
    assert [re.search(r"dimension '(\w)' at axis (\d)", p).groups() for p in problems] == [("C", "1"), ("L", "2")]


@pytest.mark.parametrize(
    "overrides,expected",
    [
        ({"x": [1, 3, 8], "nope": [1, 2]}, "--input-shape names 'nope', which is not a graph input (inputs: ['x'])"),
        ({"x": [8]}, "graph input 'x' has shape [8]; a leading batch axis plus at least one feature axis"),
    ],
)
def test_bad_input_shapes_overrides(overrides, expected):
    assert expected in one_problem(_relu_model(["N", 3, 8]), input_shapes=overrides)


@pytest.mark.parametrize(
    "elem,label", [(TensorProto.INT64, "INT64"), (TensorProto.INT32, "INT32"), (TensorProto.BOOL, "BOOL")]
)
def test_non_float_graph_input(elem, label):
    model = onnx_model(
        [helper.make_node("Identity", ["idx"], ["y"], name="ident")],
        [vi("idx", ["N", 4], elem)],
        [vi("y", ["N", 4], elem)],
    )
    assert one_problem(model) == (
        f"graph input 'idx' has element type {label}; only float inputs are supported"
    )


def test_input_problems_listed_together():
    model = onnx_model(
        [helper.make_node("Add", ["idx", "idx"], ["i2"]), helper.make_node("Relu", ["x"], ["y"])],
        [vi("idx", ["N", 4], TensorProto.INT64), vi("x", ["N", "F"])],
        [vi("i2", ["N", 4], TensorProto.INT64), vi("y", ["N", "F"])],
    )
    problems = problems_of(model)
    assert len(problems) == 2
    assert "graph input 'idx' has element type INT64" in problems[0]
    assert "graph input 'x' has dynamic dimension 'F' at axis 1" in problems[1]


def test_graph_output_that_is_constant():
    c = numpy_helper.from_array(np.ones((1, 4), np.float32), "c")
    nodes = [helper.make_node("Relu", ["x"], ["y"]), helper.make_node("Identity", ["c"], ["k"], name="const_out")]
    model = onnx_model(nodes, [("x", ["N", 4])], [("y", ["N", 4]), ("k", [1, 4])], [c])
    assert one_problem(model) == "graph output 'k' is a constant; it does not depend on any input"


# ---------------------------------------------------------------------------------------
# hostile names


def test_hostile_node_name_imports_and_stays_in_location():
    nodes = [
        helper.make_node("Relu", ["x"], ["r"], name=HOSTILE),
        helper.make_node("Tanh", ["r"], ["y"], name="tanh"),
    ]
    module = import_onnx(onnx_model(nodes, [("x", ["N", 4])], [("y", ["N", 4])]))
    plain = str(module)
    assert "system" not in plain
    text = printed_with_locations(module)
    escaped = '"\\22; system(\\22x\\22); //"'
    assert f"loc({escaped})" in text
    # every occurrence of the name's words is inside that loc("...") string
    without_loc = text.replace(f"loc({escaped})", "")
    assert "system" not in without_loc and "//" not in without_loc
    # and it reads back as the same name
    from xdsl.parser import Parser

    parsed = Parser(make_context(), text).parse_module()
    relu = next(op for op in parsed.walk() if op.name == "nn.relu")
    assert relu.location.desc.data == HOSTILE


def test_hostile_node_name_in_unsupported_op_message():
    nodes = [
        helper.make_node("Einsum", ["x", "x"], ["y"], name=HOSTILE, equation="bi,bi->bi"),
    ]
    model = onnx_model(nodes, [("x", ["N", 4])], [("y", ["N", 4])])
    assert one_problem(model) == f"node '{HOSTILE}' (Einsum): unsupported operator"


@pytest.mark.parametrize("name", ["line1\nline2", "cr\r\nfake: ok", "tab\there", "esc\x1b[31mred"])
def test_node_name_with_control_characters_stays_one_line(name):
    nodes = [helper.make_node("Einsum", ["x", "x"], ["y"], name=name, equation="bi,bi->bi")]
    model = onnx_model(nodes, [("x", ["N", 4])], [("y", ["N", 4])])
    message = one_problem(model)
    escaped = repr(name)[1:-1]
    assert message == f"node '{escaped}' (Einsum): unsupported operator"
    assert not any(ord(c) < 32 for c in message)
