"""Helpers shared by test_import_ops.py and test_import_shapes.py (not a test module)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper, numpy_helper

from nncc.compiler.onnx.importer import import_onnx
from nncc.runtime.interpreter import run_float

OPSET = 17
IR_VERSION = 9
BATCH = 6
RTOL = 1e-5
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

from helpers import printed_with_locations as print_with_locations  # noqa: E402,F401
from helpers import vi  # noqa: E402

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


def _const_i64(name, values):
    return helper.make_node(
        "Constant", [], [name], value=numpy_helper.from_array(np.array(values, np.int64), name + "_v")
    )
