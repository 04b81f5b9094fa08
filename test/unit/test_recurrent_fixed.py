"""Recurrent layers at the fixed-point level: calibration over time steps, the lowering to
`recurrent.scan` (gate activations through the existing LUT / PWL / Taylor lowering), the
separately configurable state precision, and fidelity against onnxruntime."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import ops_of
from recurrent_support import FIXTURE_BATCH, fixed_module, fixture_path, fixture_steps, rnn_model, run_ort, sequences
from xdsl.dialects.builtin import DictionaryAttr, IntegerAttr, i64
from xdsl.utils.exceptions import PassFailedException

from nncc.compiler.analysis.calibrate import calibrate
from nncc.compiler.api import module_text, parse_mlir
from nncc.compiler.context import make_context
from nncc.compiler.onnx.importer import import_onnx
from nncc.compiler.pipelines import build_nn_to_fixed, run_passes
from nncc.dialects.fixed import FixedType
from nncc.dialects.fixed.quantization import PRECISION_ATTR
from nncc.dialects.interfaces import INTERNAL_RANGES_ATTR
from nncc.runtime.fixed_interpreter import run_fixed

SAMPLES = 1000


@pytest.mark.parametrize("name", ["rnn_lstm_script", "rnn_gru_dynamo", "rnn_bilstm2_script"])
def test_fidelity_at_defaults(name):
    """16 bits, LUT gates: 1,000 N(0, 1) sequences against onnxruntime; the classifier head's
    argmax agrees on at least 99 % of them."""
    steps = fixture_steps(name)
    module = fixed_module(fixture_path(name), steps=steps)
    assert ops_of(module, "recurrent.scan") and not ops_of(module, "fixed.activation")
    assert {op.function.data for op in ops_of(module, "fixed.lut")} == {"sigmoid", "tanh"}
    x = sequences(SAMPLES, steps, seed=5)
    got = run_fixed(module, {"input": x})["output"]
    want = run_ort(fixture_path(name), x, FIXTURE_BATCH)
    error = np.abs(got - want)
    assert error.max() < 0.01 and error.mean() < 2e-3
    assert np.mean(got.argmax(1) == want.argmax(1)) >= 0.99


def test_calibration_records_ranges_over_time_steps():
    module = import_onnx(fixture_path("rnn_lstm_dynamo"))
    calibrate(module, {"input": sequences(64, 10, seed=1)})
    (layer,) = ops_of(module, "recurrent.lstm")
    ranges = layer.attributes[INTERNAL_RANGES_ATTR]
    assert set(ranges.data) == {"cell", "gates"}
    lo, hi = ranges.data["cell"].get_values()
    assert lo < 0 < hi and max(-lo, hi) < 10


@pytest.mark.parametrize("mode", ["pwl", "taylor"])
def test_other_activation_approximations(mode):
    module = fixed_module(fixture_path("rnn_gru_script"), options={"mode": mode})
    lowered = {"pwl": "fixed.pwl", "taylor": "fixed.poly"}[mode]
    assert ops_of(module, lowered)
    x = sequences(200, 10, seed=6)
    got = run_fixed(module, {"input": x})["output"]
    assert np.abs(got - run_ort(fixture_path("rnn_gru_script"), x, FIXTURE_BATCH)).max() < 0.05


def _state_width(width):
    def prepare(module):
        for op in ops_of(module, "recurrent.lstm"):
            op.attributes[PRECISION_ATTR] = DictionaryAttr({"state_width": IntegerAttr(width, i64)})
    return prepare


def test_state_precision_is_separate():
    """``state_width`` sets h and c (the scan's states) and leaves the gates at the layer width."""
    module = fixed_module(fixture_path("rnn_lstm_script"), prepare=_state_width(8))
    (scan,) = ops_of(module, "recurrent.scan")
    h, c = (s.type.element_type for s in scan.states)
    assert h == FixedType(8, 1) and c.width.data == 8
    casts = [op.output.type.element_type for op in scan.body.block.ops if op.name == "fixed.cast"]
    assert FixedType(16, casts[0].int_bits.data) == casts[0]  # the gate pre-activations
    x = sequences(300, 10, seed=7)
    coarse = run_fixed(module, {"input": x})["output"]
    fine = run_fixed(fixed_module(fixture_path("rnn_lstm_script")), {"input": x})["output"]
    want = run_ort(fixture_path("rnn_lstm_script"), x, FIXTURE_BATCH)
    assert np.abs(coarse - want).mean() > 2 * np.abs(fine - want).mean()


@pytest.mark.parametrize("variant", [
    dict(op="LSTM", direction="reverse", clip=0.8, initial=True),
    dict(op="GRU", linear_before_reset=0, direction="bidirectional"),
], ids=["lstm-reverse-clip", "gru-reset-before-bidirectional"])
def test_variants_close_to_onnxruntime(variant):
    model = rnn_model(**variant)
    module = fixed_module(model, name="x", steps=6, inputs=3)
    x = sequences(200, 6, inputs=3, seed=8)
    got = run_fixed(module, {"x": x})["y"]
    assert np.abs(got - run_ort(model, x, 4)).max() < 0.01


def test_scan_survives_printing_and_parsing():
    module = fixed_module(fixture_path("rnn_gru_dynamo"))
    text = module_text(module)
    again = parse_mlir(text)
    assert module_text(again) == text
    x = sequences(50, 10, seed=9)
    np.testing.assert_array_equal(run_fixed(again, {"input": x})["output"], run_fixed(module, {"input": x})["output"])


def test_batch_does_not_change_the_result():
    """The scan runs every sample of a batch independently (bit for bit)."""
    module = fixed_module(fixture_path("rnn_bilstm2_dynamo"), steps=8)
    x = sequences(40, 8, seed=10)
    whole = run_fixed(module, {"input": x})["output"]
    one = np.concatenate([run_fixed(module, {"input": x[i : i + 1]})["output"] for i in range(len(x))])
    np.testing.assert_array_equal(whole, one)


def test_uncalibrated_layer_is_refused():
    module = import_onnx(fixture_path("rnn_gru_dynamo"))
    calibrate(module, {"input": sequences(8, 10)})
    for op in ops_of(module, "recurrent.gru"):
        del op.attributes[INTERNAL_RANGES_ATTR]
    with pytest.raises(PassFailedException, match="no calibrated internal ranges"):
        run_passes(build_nn_to_fixed({}), module, make_context())
