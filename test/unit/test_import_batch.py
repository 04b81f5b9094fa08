"""Models with a fixed batch size: the IR is built per sample (batch 1) and runs any batch.

Shape sub-graphs fold to the per-sample shape; a Reshape to a constant shape whose leading
entry is the fixed batch size (what a fixed-batch torch export bakes in) is rewritten to
the per-sample form; what cannot be made per sample is refused with one clear message.
The float interpreter is compared with onnxruntime on the model as it is.
"""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper
from xdsl.dialects import func

from nncc.compiler.api import import_model
from nncc.compiler.diagnostics import NnccError
from nncc.dialects import nn
from nncc.runtime.interpreter import main_function, run_float


def _model(nodes, inputs, outputs, inits=(), opset=17):
    graph = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=9)
    onnx.checker.check_model(model)
    return model


def _ort(model, feeds):
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


def _conv_flatten_gemm(batch: int, shape_subgraph: bool):
    """Conv -> Relu -> Reshape(batch-first) -> Gemm with a fixed batch; the reshape target is
    a constant [batch, -1] (dynamo export) or built from Shape -> Gather -> Concat
    (TorchScript export)."""
    rng = np.random.default_rng(batch)
    inits = [
        numpy_helper.from_array(rng.standard_normal((4, 2, 3, 3)).astype(np.float32), "w"),
        numpy_helper.from_array(rng.standard_normal(4).astype(np.float32), "b"),
        numpy_helper.from_array(rng.standard_normal((3, 4 * 4 * 4)).astype(np.float32), "fc_w"),
        numpy_helper.from_array(rng.standard_normal(3).astype(np.float32), "fc_b"),
    ]
    nodes = [
        helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["r"], name="relu"),
    ]
    if shape_subgraph:
        inits += [
            numpy_helper.from_array(np.array(0, np.int64), "zero"),
            numpy_helper.from_array(np.array([-1], np.int64), "minus_one"),
        ]
        nodes += [
            helper.make_node("Shape", ["r"], ["s"], name="shape"),
            helper.make_node("Gather", ["s", "zero"], ["n"], name="gather", axis=0),
            helper.make_node("Unsqueeze", ["n", "axes"], ["n1"], name="unsqueeze"),
            helper.make_node("Concat", ["n1", "minus_one"], ["target"], name="concat", axis=0),
        ]
        inits.append(numpy_helper.from_array(np.array([0], np.int64), "axes"))
    else:
        inits.append(numpy_helper.from_array(np.array([batch, -1], np.int64), "target"))
    nodes += [
        helper.make_node("Reshape", ["r", "target"], ["flat"], name="flatten"),
        helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["y"], name="fc", transB=1),
    ]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, 2, 4, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [batch, 3])
    return _model(nodes, [x], [y], inits)


@pytest.mark.parametrize("batch", [2, 3, 64])
@pytest.mark.parametrize("shape_subgraph", [False, True], ids=["const-reshape", "shape-subgraph"])
def test_fixed_batch_is_imported_per_sample(batch, shape_subgraph):
    model = _conv_flatten_gemm(batch, shape_subgraph)
    module = import_model(model)
    function = main_function(module)
    assert [tuple(t.get_shape()) for t in function.function_type.inputs] == [(1, 2, 4, 4)]
    assert [tuple(t.get_shape()) for t in function.function_type.outputs] == [(1, 3)]
    runtime = [op for op in function.body.ops if not isinstance(op, (nn.ConstantOp, func.ReturnOp))]
    assert runtime and all(op.results[0].type.get_shape()[0] == 1 for op in runtime)
    x = np.random.default_rng(7).standard_normal((batch, 2, 4, 4)).astype(np.float32)
    (want,) = _ort(model, {"x": x})
    got = run_float(module, {"x": x})["y"]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    # the per-sample IR runs other batch sizes too
    got_one = run_float(module, {"x": x[:1]})["y"]
    np.testing.assert_allclose(got_one, want[:1], rtol=1e-5, atol=1e-5)


def test_batch_baked_into_a_constant_is_refused():
    # A constant of shape [2, 4] added to the batch: its rows differ per sample, which a
    # per-sample IR cannot express.
    c = numpy_helper.from_array(np.arange(8, dtype=np.float32).reshape(2, 4), "c")
    model = _model(
        [helper.make_node("Add", ["x", "c"], ["y"], name="add_rows")],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 4])],
        [c],
    )
    with pytest.raises(NnccError) as info:
        import_model(model)
    assert info.value.problems == [
        "node 'add_rows' (Add): broadcasting [1, 4] with [2, 4] changes the batch axis"
    ]


def test_reshape_merging_the_batch_is_refused():
    target = numpy_helper.from_array(np.array([6, 4], np.int64), "target")
    model = _model(
        [helper.make_node("Reshape", ["x", "target"], ["y"], name="merge")],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [6, 4])],
        [target],
    )
    with pytest.raises(NnccError) as info:
        import_model(model)
    assert info.value.problems == ["node 'merge' (Reshape): cannot reshape [1, 3, 4] (12 elements) to [6, 4]"]


def test_inputs_with_different_batch_sizes_are_refused():
    model = _model(
        [helper.make_node("Add", ["a", "b"], ["y"], name="add")],
        [
            helper.make_tensor_value_info("a", TensorProto.FLOAT, [2, 4]),
            helper.make_tensor_value_info("b", TensorProto.FLOAT, [1, 4]),
        ],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 4])],
    )
    with pytest.raises(NnccError) as info:
        import_model(model)
    assert "graph inputs have different batch sizes ('a': 2, 'b': 1); they must share one" in info.value.problems


def _scale_by_dim(batch, index: int):
    """y = x / x.shape[index] (Shape -> Gather -> Cast -> Div), x of shape [batch, 4, 3]."""
    nodes = [
        helper.make_node("Shape", ["x"], ["s"], name="shape"),
        helper.make_node("Gather", ["s", "i"], ["d"], name="pick", axis=0),
        helper.make_node("Cast", ["d"], ["df"], name="cast", to=TensorProto.FLOAT),
        helper.make_node("Div", ["x", "df"], ["y"], name="divide"),
    ]
    return _model(
        nodes,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, 4, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [batch, 4, 3])],
        [numpy_helper.from_array(np.array(index, np.int64), "i")],
    )


@pytest.mark.parametrize("batch", [2, "N"])
def test_a_value_computed_from_the_batch_size_is_refused(batch):
    # x / x.shape[0]: the per-sample IR would divide by 1; refused, fixed or symbolic batch
    with pytest.raises(NnccError) as info:
        import_model(_scale_by_dim(batch, 0))
    assert info.value.problems == [
        "node 'divide' (Div): input 1 ('df') is computed from the batch size (a Shape of a run-time "
        "tensor); the IR is per sample, so only a Reshape or Expand target may depend on it"
    ]


def test_a_value_computed_from_a_feature_dimension_is_imported():
    model = _scale_by_dim(2, 1)  # x / x.shape[1] = x / 4
    x = np.random.default_rng(1).standard_normal((2, 4, 3)).astype(np.float32)
    (want,) = _ort(model, {"x": x})
    np.testing.assert_allclose(run_float(import_model(model), {"x": x})["y"], want, rtol=1e-6)
    np.testing.assert_allclose(want, x / 4, rtol=1e-6)
