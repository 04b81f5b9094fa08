"""Differential tests: the float interpreter gives the same values before and after
each pass (and the whole nn-cleanup pipeline), on fixtures and on ONNX graphs built
to exercise every rewrite."""

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from nncc.compiler.api import import_model, resolve_pipeline
from nncc.compiler.context import make_context
from nncc.compiler.pipelines import run_passes
from nncc.dialects import nn
from nncc.runtime.interpreter import run_float

FIXTURES = Path(__file__).parent.parent / "fixtures"
RNG = np.random.default_rng(7)


def _ops(module):
    return [type(op) for op in module.walk()]


def _check_equivalent(source, batch_shape, pipeline):
    raw = import_model(source, pipeline=None)
    x = RNG.standard_normal(batch_shape).astype(np.float32)
    before = run_float(raw, {"input": x})
    after_module = import_model(source, pipeline=pipeline)
    after = run_float(after_module, {"input": x})
    for name in before:
        ref = before[name]
        assert np.abs(after[name] - ref).max() <= 1e-6 * max(1.0, np.abs(ref).max()), name
    return raw, after_module


@pytest.mark.parametrize("fixture, shape", [("mlp", (9, 16)), ("cnn", (9, 1, 16, 16)), ("shapes", (9, 4, 8, 8)), ("conv1d", (9, 3, 32))])
@pytest.mark.parametrize("pipeline", ["nn-cleanup", "canonicalize", "nn-fold-batchnorm", "nn-fuse-bias", "cse"])
def test_fixture_pipelines_preserve_values(fixture, shape, pipeline):
    _check_equivalent(FIXTURES / f"{fixture}.onnx", shape, pipeline)


def _init(name, array):
    return numpy_helper.from_array(np.asarray(array, np.float32), name)


def _model(nodes, inits, in_shape, out_shape):
    graph = helper.make_graph(
        nodes, "g",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", *in_shape])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", *out_shape])],
        inits,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def test_matmul_add_becomes_dense_with_bias():
    w = RNG.standard_normal((6, 4))
    model = _model(
        [helper.make_node("MatMul", ["input", "w"], ["m"], name="mm"),
         helper.make_node("Add", ["m", "b"], ["output"], name="bias")],
        [_init("w", w), _init("b", RNG.standard_normal(4))], [6], [4],
    )
    raw, clean = _check_equivalent(model, (5, 6), "nn-cleanup")
    assert nn.AddOp in _ops(raw)
    dense = [op for op in clean.walk() if isinstance(op, nn.DenseOp)]
    assert len(dense) == 1 and dense[0].bias is not None
    assert nn.AddOp not in _ops(clean)


def test_conv_without_bias_add_and_batchnorm_fold():
    c = 3
    model = _model(
        [helper.make_node("Conv", ["input", "w"], ["c"], name="conv", pads=[1, 1, 1, 1]),
         helper.make_node("Add", ["c", "b"], ["a"], name="add"),
         helper.make_node("BatchNormalization", ["a", "s", "beta", "mean", "var"], ["output"], name="bn", epsilon=1e-3)],
        [_init("w", RNG.standard_normal((c, 2, 3, 3))), _init("b", RNG.standard_normal((c, 1, 1))),
         _init("s", RNG.uniform(0.5, 2, c)), _init("beta", RNG.standard_normal(c)),
         _init("mean", RNG.standard_normal(c)), _init("var", RNG.uniform(0.5, 2, c))],
        [2, 5, 5], [c, 5, 5],
    )
    raw, clean = _check_equivalent(model, (4, 2, 5, 5), "nn-cleanup")
    assert {nn.AddOp, nn.BatchNormOp} <= set(_ops(raw))
    kinds = [t for t in _ops(clean) if t.__module__.startswith("nncc.")]
    assert kinds.count(nn.ConvOp) == 1 and nn.BatchNormOp not in kinds and nn.AddOp not in kinds


def test_batchnorm_after_shared_conv_is_kept():
    c = 2
    model = _model(
        [helper.make_node("Conv", ["input", "w"], ["c"], name="conv"),
         helper.make_node("BatchNormalization", ["c", "s", "beta", "mean", "var"], ["n"], name="bn"),
         helper.make_node("Add", ["n", "c"], ["output"], name="res")],
        [_init("w", RNG.standard_normal((c, c, 1, 1))), _init("s", RNG.uniform(0.5, 2, c)),
         _init("beta", RNG.standard_normal(c)), _init("mean", RNG.standard_normal(c)), _init("var", RNG.uniform(0.5, 2, c))],
        [c, 4, 4], [c, 4, 4],
    )
    _, clean = _check_equivalent(model, (3, c, 4, 4), "nn-cleanup")
    assert nn.BatchNormOp in _ops(clean)


def test_pipeline_strings_resolve():
    assert [p.name for p in resolve_pipeline("nn-fuse-bias,cse")] == ["nn-fuse-bias", "cse"]
    module = import_model(FIXTURES / "cnn.onnx", pipeline=None)
    run_passes(resolve_pipeline("nn-cleanup"), module, make_context())
    module.verify()
