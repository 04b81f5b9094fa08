"""Accuracy of power-of-two (PoT) and two-digit signed-digit weights on the digits test split.

For digits_mlp.onnx and digits_cnn.onnx (test/fixtures/README.md) the float accuracy on the
540-sample test split is measured with onnxruntime; then the model is compiled with
`nncc.compile(..., calibration=x_train[:256] saved as .npy, target="hls-cpp")` as

* PoT 4-bit (`pot_bits=4`): every weight one signed power of two; must stay within
  2 accuracy points of float;
* two-digit (`pot_bits=4, pot_terms=2`): every weight a sum of at most two signed powers of
  two; must stay within 1 point of float;

and run on the fixed-point interpreter (`engine="fixed"`, bit-exact with the C-sim and the
RTL, see test_pot_bitexact.py), with per-tensor scales (`pot_per_channel=False`) and with
per-channel scales (`pot_per_channel=True`): each of the two must meet the target on its own.
The thresholds are the targets of the issue and are never relaxed.

Rounding errors are compensated on the calibration data by default
(`pot_compensation="gptq"`, see passes/pot_quant_quantize.py); `test_compensation_helps`
compiles PoT 4-bit once more with `pot_compensation="none"` (every weight rounded on its own).

Measured (per tensor / per channel; float 0.9648 mlp, 0.9796 cnn):

| model | PoT 4-bit | two-digit | PoT 4-bit, no compensation |
|---|---|---|---|
| digits_mlp | 0.9611 (-0.37) / 0.9630 (-0.19) | 0.9648 (0.00) / 0.9648 (0.00) | 0.9537 (-1.11) / 0.9519 (-1.30) |
| digits_cnn | 0.9778 (-0.19) / 0.9778 (-0.19) | 0.9815 (+0.19) / 0.9796 (0.00) | 0.9148 (-6.48) / 0.9148 (-6.48) |

Without compensation digits_cnn at PoT 4-bit misses its 2-point target with either scale
(the loss is spread over all three layers: relative rms weight error ~0.18-0.19 in each, the
error of one signed power of two without retraining); compensation recovers it.

Each (model, variant, per_channel) design is compiled at most once (module-scoped cache,
~1 s each). Run with `pytest -s` to see the numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

import nncc

from helpers import digits_data

pytest.importorskip("sklearn")

FIXTURES = Path(__file__).parent.parent / "fixtures"
MODELS = {"digits_mlp": "flat", "digits_cnn": "image"}
CALIBRATION_SAMPLES = 256
# variant -> (compile options, largest accuracy drop from float allowed, in points)
VARIANTS = {
    "pot4": ({"pot_bits": 4}, 2.0),
    "sd2": ({"pot_bits": 4, "pot_terms": 2}, 1.0),
}


@dataclass
class Data:
    calibration: Path
    x_test: np.ndarray
    y_test: np.ndarray
    float_correct: int


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """model -> Data (split, calibration .npy, onnxruntime's correct count), once each."""
    done: dict[str, Data] = {}

    def get(model: str) -> Data:
        if model not in done:
            x_train, _, x_test, y_test = digits_data().load_split(MODELS[model])
            calibration = tmp_path_factory.mktemp(f"{model}-cal") / "calibration.npy"
            np.save(calibration, x_train[:CALIBRATION_SAMPLES])
            session = ort.InferenceSession(str(FIXTURES / f"{model}.onnx"), providers=["CPUExecutionProvider"])
            (logits,) = session.run(None, {"x": x_test})
            done[model] = Data(calibration, x_test, y_test, int((logits.argmax(axis=1) == y_test).sum()))
        return done[model]

    return get


@pytest.fixture(scope="module")
def correct(data, tmp_path_factory):
    """(model, variant, per_channel[, compensation]) -> number of correct test predictions of
    the fixed design."""
    done: dict[tuple, int] = {}

    def get(model: str, variant: str, per_channel: bool, compensation: str = "gptq") -> int:
        key = (model, variant, per_channel, compensation)
        if key not in done:
            d = data(model)
            options, _ = VARIANTS[variant]
            out = tmp_path_factory.mktemp(f"{model}-{variant}-{'pc' if per_channel else 'pt'}-{compensation}") / "design"
            design = nncc.compile(FIXTURES / f"{model}.onnx", out, calibration=d.calibration, target="hls-cpp",
                                  pot_per_channel=per_channel, pot_compensation=compensation, **options)
            text = (out / "design.mlir").read_text()
            layers = [line for line in text.splitlines() if "fixed.dense" in line or "fixed.conv" in line]
            assert layers and all("encoding = #encoding.signed_digits" in line for line in layers)
            logits = design.predict(d.x_test, engine="fixed")
            done[key] = int((np.asarray(logits).argmax(axis=1) == d.y_test).sum())
        return done[key]

    return get


def drop_points(float_correct: int, got: int, total: int) -> float:
    return 100.0 * (float_correct - got) / total


@pytest.mark.parametrize("scales", ["per_tensor", "per_channel"])
@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("model", list(MODELS))
def test_pot_accuracy_within_target(data, correct, model, variant, scales):
    d = data(model)
    total = len(d.y_test)
    _, max_drop = VARIANTS[variant]
    got = correct(model, variant, scales == "per_channel")
    drop = drop_points(d.float_correct, got, total)
    result = f"{model} {variant} {scales}: float {d.float_correct / total:.4f}, fixed {got / total:.4f} ({100.0 * (got - d.float_correct) / total:+.2f} points)"
    print(f"\n{result}; target: within {max_drop} points")
    assert drop <= max_drop + 1e-9, result


def test_two_digits_not_worse_than_pot(correct):
    """A two-digit codebook contains the PoT one: its accuracy is at least PoT's minus a sample
    or two of noise (here it is strictly better on both models)."""
    for model in MODELS:
        assert correct(model, "sd2", False) >= correct(model, "pot4", False)


def test_compensation_helps(data, correct):
    """Rounding with error compensation keeps more test samples right than rounding every
    weight on its own (PoT 4-bit, per-tensor scales): 34 more on digits_cnn, 4 on digits_mlp
    (the bounds below are about half of that)."""
    gains = {model: correct(model, "pot4", False) - correct(model, "pot4", False, "none") for model in MODELS}
    print(f"\ncompensation gains (test samples): {gains}")
    assert gains["digits_cnn"] >= 20
    assert gains["digits_mlp"] >= 2
    cnn = data("digits_cnn")
    assert drop_points(cnn.float_correct, correct("digits_cnn", "pot4", False, "none"), len(cnn.y_test)) > 2.0
