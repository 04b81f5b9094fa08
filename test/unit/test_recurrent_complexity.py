"""Complexity metrics of recurrent layers: the matrix-vector products and the element-wise
state products of every time step (float and fixed-point stages agree on the counts)."""

from __future__ import annotations

import pytest
from recurrent_support import fixed_module, fixture_path, fixture_steps

from nncc.compiler.analysis.complexity import stage_metrics
from nncc.compiler.context import make_context
from nncc.compiler.onnx.importer import import_onnx
from nncc.compiler.pipelines import build_fixed_to_dataflow, run_passes

# (fixture, per recurrent layer (G gates, I, H, element-wise products per step / H), head MACs)
SIZES = {
    "rnn_lstm_script": ([(4, 4, 12, 3)], 12 * 3),
    "rnn_gru_dynamo": ([(3, 4, 10, 2)], 10 * 3),
    "rnn_bilstm2_dynamo": ([(4, 4, 8, 3)] * 2 + [(4, 16, 8, 3)] * 2, 16 * 3),
}


def expected_rmps(name: str) -> int:
    """T * H * (G*I + G*H + products) per recurrent layer, plus the head."""
    layers, head = SIZES[name]
    steps = fixture_steps(name)
    return sum(steps * h * (g * i + g * h + p) for g, i, h, p in layers) + head


@pytest.mark.parametrize("name", list(SIZES))
def test_float_and_fixed_rmps(name):
    float_metrics = stage_metrics(import_onnx(fixture_path(name)), 32)
    assert float_metrics["total"]["rmps"] == expected_rmps(name)
    kinds = [row["kind"] for row in float_metrics["layers"]]
    assert kinds.count("elementwise") == len(SIZES[name][0])
    module = fixed_module(fixture_path(name), steps=fixture_steps(name))
    run_passes(build_fixed_to_dataflow({}), module, make_context())
    fixed_metrics = stage_metrics(module, 16)
    total = fixed_metrics["total"]
    assert total["rmps"] == expected_rmps(name)
    assert total["nabs"] is not None and total["nlg"] is not None and 0 < total["bop"] < float_metrics["total"]["bop"]


def test_lstm_rows():
    """The LSTM: RMpS of the literature, T * H * (4I + 4H + 3), split into its products."""
    rows = {row["name"]: row for row in stage_metrics(import_onnx(fixture_path("rnn_lstm_script")), 32)["layers"]}
    assert rows["/rnn/LSTM (input)"]["rmps"] == 10 * 48 * 4
    assert rows["/rnn/LSTM (recurrent)"]["rmps"] == 10 * 48 * 12
    assert rows["/rnn/LSTM (state products)"]["rmps"] == 10 * 3 * 12
    assert rows["/rnn/LSTM (state products)"]["bop"] == 10 * 3 * 12 * 32 * 32
