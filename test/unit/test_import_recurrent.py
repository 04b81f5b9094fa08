"""ONNX LSTM and GRU -> `recurrent.lstm` / `recurrent.gru`: the float interpreter against
onnxruntime on whole batched sequences (both torch exporters' fixtures and every attribute
variant), and the refusals."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from helpers import one_problem, onnx_model, ops_of
from recurrent_support import (
    FIXTURE_BATCH,
    FLOAT_TOLERANCE,
    RNN_FIXTURES,
    VARIANT_BATCH,
    fixture_path,
    fixture_steps,
    rnn_model,
    run_ort,
    sequences,
)

from nncc.compiler.onnx.importer import import_onnx
from nncc.runtime.interpreter import run_float


@pytest.mark.parametrize("name", RNN_FIXTURES)
def test_fixture_float_matches_onnxruntime(name):
    """Both exporters' LSTM, GRU, 2-layer biLSTM and biLSTM + Conv1d: 256 sequences, batched,
    within 1e-5."""
    module = import_onnx(fixture_path(name))
    layers = ops_of(module, "recurrent.lstm") + ops_of(module, "recurrent.gru")
    assert len(layers) == (4 if "bilstm2" in name else 2 if "bilstm_conv" in name else 1)
    x = sequences(256, fixture_steps(name), seed=3)
    got = run_float(module, {"input": x})["output"]
    want = run_ort(fixture_path(name), x, FIXTURE_BATCH)
    assert np.abs(got - want).max() <= FLOAT_TOLERANCE


VARIANTS = [
    dict(op="LSTM"),
    dict(op="LSTM", direction="reverse"),
    dict(op="LSTM", direction="bidirectional", output="Y"),
    dict(op="LSTM", direction="bidirectional", layout=1),
    dict(op="LSTM", layout=1, output="Y", initial=True),
    dict(op="LSTM", clip=0.7, initial=True),
    dict(op="GRU", linear_before_reset=0),
    dict(op="GRU", linear_before_reset=1, direction="reverse", initial=True),
    dict(op="GRU", linear_before_reset=1, direction="bidirectional", layout=1, output="Y"),
    dict(op="GRU", linear_before_reset=0, direction="bidirectional", clip=0.5),
]


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: "-".join(f"{k}={w}" for k, w in v.items()))
def test_variants_match_onnxruntime(variant):
    """Direction, layout, linear_before_reset, clip, constant initial states, Y and Y_h
    (onnxruntime runs only layout 0: a layout-1 model is checked against its layout-0 twin)."""
    model = rnn_model(**variant)
    x = sequences(64, 6, inputs=3, seed=1, scale=1.5)
    got = run_float(import_onnx(model), {"x": x})["y"]
    reference = rnn_model(**{**variant, "layout": 0})
    assert np.abs(got - run_ort(reference, x, VARIANT_BATCH)).max() <= FLOAT_TOLERANCE


def test_lstm_gate_order_converted_once():
    """ONNX's (i, o, f, c) blocks become the dialect's (i, f, g, o)."""
    model = rnn_model("LSTM", hidden=2)
    w = next(np.asarray(onnx.numpy_helper.to_array(t)) for t in model.graph.initializer if t.name == "W")[0]
    (layer,) = ops_of(import_onnx(model), "recurrent.lstm")
    from nncc.dialects.nn.semantics import constant_value

    got = np.asarray(constant_value(layer.weight))
    np.testing.assert_array_equal(got, np.concatenate([w[0:2], w[4:6], w[6:8], w[2:4]]).astype(np.float32))


def test_peepholes_refused():
    assert one_problem(rnn_model("LSTM", peephole=True)).endswith(
        "peepholes (input P) are not supported; export the LSTM without peephole connections")


def test_cell_state_output_refused():
    model = rnn_model("LSTM", layout=1)
    model.graph.node[0].output.append("Y_c")
    model.graph.output.append(onnx.helper.make_tensor_value_info("Y_c", 1, [VARIANT_BATCH, 1, 5]))
    assert "output Y_c (the last cell state) is not supported" in one_problem(model)


def test_sequence_first_graph_output_refused():
    """Y in ONNX's [T, dirs, B, H] layout cannot be a graph output of the per-sample IR."""
    model = rnn_model("GRU", output="Y")
    del model.graph.node[2:]
    model.graph.output[0].CopyFrom(onnx.helper.make_tensor_value_info("Y", 1, [6, 1, VARIANT_BATCH, 5]))
    assert "batch axis" in one_problem(model)


def test_sequence_first_tensor_refused_by_other_ops():
    """Only the structural operators follow a moved batch axis; a Relu on [T, B, I] is refused."""
    nodes = [
        onnx.helper.make_node("Transpose", ["x"], ["xs"], perm=[1, 0, 2]),
        onnx.helper.make_node("Relu", ["xs"], ["r"], name="relu"),
        onnx.helper.make_node("Transpose", ["r"], ["y"], perm=[1, 0, 2]),
    ]
    model = onnx_model(nodes, [("x", [VARIANT_BATCH, 6, 3])], [("y", [VARIANT_BATCH, 6, 3])], opset=20)
    assert one_problem(model) == ("node 'relu' (Relu): input 0 ('xs') has its batch axis at position 1 (a sequence-first "
                                  "tensor); only Transpose, Squeeze, Unsqueeze, Gather, Slice, Reshape may read it")


def test_transposes_of_the_batch_axis_cancel():
    """Transpose [1, 0, 2] twice around nothing is the identity (no op in the IR)."""
    nodes = [
        onnx.helper.make_node("Transpose", ["x"], ["xs"], perm=[1, 0, 2]),
        onnx.helper.make_node("Transpose", ["xs"], ["y"], perm=[1, 0, 2]),
        onnx.helper.make_node("Relu", ["y"], ["z"]),
    ]
    model = onnx_model(nodes, [("x", [VARIANT_BATCH, 6, 3])], [("z", [VARIANT_BATCH, 6, 3])], opset=20)
    module = import_onnx(model)
    assert [op.name for op in module.walk()][2:] == ["nn.relu", "func.return"]


def test_initial_state_must_be_the_same_for_every_sample():
    model = rnn_model("GRU", initial=True)
    h0 = next(t for t in model.graph.initializer if t.name == "h0")
    values = onnx.numpy_helper.to_array(h0).copy()
    values[0, 1, 0] += 1.0
    h0.CopyFrom(onnx.numpy_helper.from_array(values, "h0"))
    assert one_problem(model).endswith("initial_h (input 5) differs between the samples of the batch; the IR is per sample")
