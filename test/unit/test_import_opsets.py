"""Opsets 7 to the newest onnx defines: one small CNN written in each opset's own operator
forms (Pad/Clip attributes before 11, Unsqueeze/Squeeze axes inputs from 13, ...), imported
and run on the float interpreter against onnxruntime. Models older than opset 11 go through
the ONNX version converter (to opset 13)."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from nncc.compiler.api import import_model
from nncc.compiler.onnx.load import MAX_OPSET, UPGRADE_TARGET, load_model
from nncc.runtime.interpreter import run_float

OPSETS = [7, 8, 9, 10, 11, 13, 18, 21, MAX_OPSET]


def _weights(rng):
    return {
        "w": rng.standard_normal((4, 2, 3, 3)).astype(np.float32) * 0.5,
        "b": rng.standard_normal(4).astype(np.float32),
        "scale": rng.uniform(0.5, 1.5, 4).astype(np.float32),
        "bias": rng.standard_normal(4).astype(np.float32),
        "mean": rng.standard_normal(4).astype(np.float32) * 0.1,
        "var": rng.uniform(0.5, 1.5, 4).astype(np.float32),
        "fc_w": rng.standard_normal((5, 4 * 3 * 3)).astype(np.float32) * 0.3,
        "fc_b": rng.standard_normal(5).astype(np.float32),
    }


def _versioned_nodes(opset: int):
    """The nodes whose form depends on the opset, and the extra initializers they need."""
    extra = {}
    if opset < 11:
        pad = helper.make_node("Pad", ["x"], ["xp"], name="pad", pads=[0, 0, 1, 1, 0, 0, 1, 1], mode="reflect")
        clip = helper.make_node("Clip", ["r"], ["rc"], name="clip", min=0.0, max=2.5)
    else:
        extra["pads"] = np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64)
        extra["lo"], extra["hi"] = np.array(0.0, np.float32), np.array(2.5, np.float32)
        pad = helper.make_node("Pad", ["x", "pads"], ["xp"], name="pad", mode="reflect")
        clip = helper.make_node("Clip", ["r", "lo", "hi"], ["rc"], name="clip")
    if opset < 13:
        unsq = helper.make_node("Unsqueeze", ["f"], ["fu"], name="unsqueeze", axes=[2])
        sq = helper.make_node("Squeeze", ["fu"], ["fs"], name="squeeze", axes=[2])
    else:
        extra["axes"] = np.array([2], np.int64)
        unsq = helper.make_node("Unsqueeze", ["f", "axes"], ["fu"], name="unsqueeze")
        sq = helper.make_node("Squeeze", ["fu", "axes"], ["fs"], name="squeeze")
    return pad, clip, unsq, sq, extra


def _model(opset: int) -> onnx.ModelProto:
    """Pad -> Conv -> BatchNorm -> Relu -> Clip -> MaxPool -> Flatten -> Unsqueeze ->
    Squeeze -> Gemm -> Softmax in the forms of ``opset``."""
    weights = _weights(np.random.default_rng(opset))
    pad, clip, unsq, sq, extra = _versioned_nodes(opset)
    weights.update(extra)
    nodes = [
        pad,
        helper.make_node("Conv", ["xp", "w", "b"], ["c"], name="conv"),
        helper.make_node("BatchNormalization", ["c", "scale", "bias", "mean", "var"], ["n"], name="bn"),
        helper.make_node("Relu", ["n"], ["r"], name="relu"),
        clip,
        helper.make_node("MaxPool", ["rc"], ["p"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["p"], ["f"], name="flatten", axis=1),
        unsq,
        sq,
        helper.make_node("Gemm", ["fs", "fc_w", "fc_b"], ["g"], name="fc", transB=1),
        helper.make_node("Softmax", ["g"], ["y"], name="softmax", axis=1),
    ]
    inits = [numpy_helper.from_array(v, k) for k, v in weights.items()]
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2, 6, 6])]
    ir_version = 3 if opset == 7 else None  # IR 3: every initializer is also a graph input
    if ir_version == 3:
        inputs += [helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)) for t in inits]
    graph = helper.make_graph(
        nodes, f"opset{opset}", inputs, [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 5])], inits
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    if ir_version is not None:
        model.ir_version = ir_version
    onnx.checker.check_model(model)
    return model


@pytest.mark.parametrize("opset", OPSETS)
def test_opset_matches_onnxruntime(opset):
    model = _model(opset)
    x = np.random.default_rng(100 + opset).standard_normal((4, 2, 6, 6)).astype(np.float32)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    (want,) = session.run(None, {"x": x})
    got = run_float(import_model(model), {"x": x})["y"]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert np.abs(want).max() > 0.05  # a real, non-degenerate output


@pytest.mark.parametrize("opset", [7, 8, 9, 10])
def test_old_opsets_are_upgraded(opset):
    model, version = load_model(_model(opset))
    assert version == UPGRADE_TARGET
    assert [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")] == [UPGRADE_TARGET]


def test_newest_opset_is_read_natively():
    model, version = load_model(_model(MAX_OPSET))
    assert version == MAX_OPSET == onnx.defs.onnx_opset_version()


def test_opset_23_quantization_attributes_on_weights():
    # QuantizeLinear `precision` and DequantizeLinear `output_dtype` (both new in opset 23)
    # on a constant weight that is folded at import.
    rng = np.random.default_rng(23)
    inits = [
        numpy_helper.from_array(rng.standard_normal((1, 6)).astype(np.float32), "w"),
        numpy_helper.from_array(np.array(0.05, np.float32), "s"),
        numpy_helper.from_array(np.array(3, np.int8), "zp"),
    ]
    nodes = [
        helper.make_node("QuantizeLinear", ["w", "s", "zp"], ["wq"], name="q", precision=TensorProto.FLOAT),
        helper.make_node("DequantizeLinear", ["wq", "s", "zp"], ["wd"], name="dq", output_dtype=TensorProto.FLOAT),
        helper.make_node("Add", ["x", "wd"], ["y"], name="add"),
    ]
    graph = helper.make_graph(
        nodes,
        "q23",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 6])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 6])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 23)])  # onnxruntime 1.32: up to 23
    onnx.checker.check_model(model)
    x = rng.standard_normal((3, 6)).astype(np.float32)
    (want,) = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})
    np.testing.assert_allclose(run_float(import_model(model), {"x": x})["y"], want, rtol=1e-6, atol=1e-6)


# The newest schema version of each operator the importer functions and folders of
# onnx_ops / onnx_fold / onnx_quant read, as they were reviewed against onnx 1.23 (opset 28).
# From opset 22 on, these operators changed only in the types they accept (bfloat16, float8,
# int4, ...), except QuantizeLinear-23 `precision`, DequantizeLinear-23 `output_dtype` and
# Range-27 `stash_type`, which the folder handles. A newer onnx that defines a new version
# fails this test with the operator's name, so that its importer is reviewed.
REVIEWED = {
    "Add": 14, "AveragePool": 22, "BatchNormalization": 15, "Cast": 28, "Clip": 13, "Concat": 13,
    "Constant": 25, "ConstantOfShape": 25, "Conv": 22, "DequantizeLinear": 28, "Div": 14, "Dropout": 22,
    "Equal": 19, "Expand": 13, "Flatten": 25, "Gather": 13, "Gemm": 13, "GlobalAveragePool": 22,
    "GlobalMaxPool": 22, "HardSigmoid": 22, "Identity": 25, "LeakyRelu": 16, "MatMul": 13, "MaxPool": 22,
    "Mul": 14, "Neg": 13, "Pad": 25, "QuantizeLinear": 28, "Range": 27, "Relu": 14, "Reshape": 25,
    "Shape": 25, "Sigmoid": 13, "Slice": 13, "Softmax": 13, "Squeeze": 25, "Sub": 14, "Tanh": 13,
    "Transpose": 25, "Unsqueeze": 25, "Where": 16,
}


def test_every_reviewed_operator_is_at_its_newest_version():
    changed = {
        op: onnx.defs.get_schema(op, MAX_OPSET).since_version
        for op in REVIEWED
        if onnx.defs.get_schema(op, MAX_OPSET).since_version != REVIEWED[op]
    }
    assert changed == {}, f"onnx defines new versions {changed}: review these importers, then update REVIEWED"
