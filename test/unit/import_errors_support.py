"""Helpers shared by test_import_errors.py and test_import_inputs.py (not a test module)."""

from __future__ import annotations

import builtins
import io
import os
import random
import re
import warnings
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, external_data_helper, helper, numpy_helper
from xdsl.printer import Printer

from nncc.compiler.onnx import load as onnx_load
from nncc.compiler.onnx.load import MAX_OPSET
from nncc.compiler.context import make_context
from nncc.compiler.diagnostics import NnccError
from nncc.compiler.onnx.importer import import_onnx
from nncc.runtime.interpreter import run_float

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
HOSTILE = '"; system("x"); //'



# ---------------------------------------------------------------------------------------
# helpers


def vi(name, shape, elem=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, elem, shape)


def make(nodes, inputs, outputs, inits=(), opset=17, extra_opsets=(), ir_version=9):
    graph = helper.make_graph(
        list(nodes),
        "g",
        [v if isinstance(v, onnx.ValueInfoProto) else vi(*v) for v in inputs],
        [v if isinstance(v, onnx.ValueInfoProto) else vi(*v) for v in outputs],
        initializer=list(inits),
    )
    opsets = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, v) for d, v in extra_opsets]
    return helper.make_model(graph, opset_imports=opsets, ir_version=ir_version)


def dense_model(opset=17):
    """x [N, 8] -> Gemm(W [16, 8], b) -> Relu -> y [N, 16]."""
    rng = np.random.default_rng(0)
    inits = [
        numpy_helper.from_array((rng.standard_normal((16, 8)) * 0.5).astype(np.float32), "W"),
        numpy_helper.from_array((rng.standard_normal(16) * 0.1).astype(np.float32), "b"),
    ]
    nodes = [
        helper.make_node("Gemm", ["x", "W", "b"], ["h"], name="fc", transB=1),
        helper.make_node("Relu", ["h"], ["y"], name="relu"),
    ]
    return make(nodes, [("x", ["N", 8])], [("y", ["N", 16])], inits, opset=opset)


def problems_of(source, **kwargs) -> list[str]:
    """The problems of the NnccError that importing ``source`` raises (one line each)."""
    with pytest.raises(NnccError) as info:
        import_onnx(source, **kwargs)
    problems = info.value.problems
    assert problems and all(isinstance(p, str) and p and "\n" not in p for p in problems)
    assert str(info.value) == "\n".join(problems)
    return problems


def one_problem(source, **kwargs) -> str:
    problems = problems_of(source, **kwargs)
    assert len(problems) == 1, problems
    return problems[0]


def printed_with_locations(module) -> str:
    stream = io.StringIO()
    Printer(stream=stream, print_debuginfo=True).print_op(module)
    return stream.getvalue()
