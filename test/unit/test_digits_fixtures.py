"""The trained scikit-learn digits fixtures (digits_mlp.onnx, digits_cnn.onnx) through nncc.

On the 540-sample test split of test/fixtures/digits_data.py:
(a) onnxruntime's float accuracy meets the bound documented in test/fixtures/README.md;
(b) nncc's float interpreter matches onnxruntime (max|diff| / max|ref| <= 1e-5);
(c) the default 16-bit fixed-point design (calibrated on the first 256 training samples)
    stays within one accuracy point of float, and C-simulation equals the fixed-point
    interpreter bit for bit.
Each model is compiled once (module-scoped fixture). Run with `pytest -s` to see the numbers.
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
# model -> (input layout, float test-accuracy bound; README.md lists the measured values)
MODELS = {"digits_mlp": ("flat", 0.95), "digits_cnn": ("image", 0.97)}
CALIBRATION_SAMPLES = 256
RTOL = 1e-5


@dataclass
class Compiled:
    name: str
    path: Path
    design: nncc.Design
    x_test: np.ndarray
    y_test: np.ndarray
    ort_logits: np.ndarray


@pytest.fixture(scope="module", params=list(MODELS))
def compiled(request, tmp_path_factory) -> Compiled:
    name = request.param
    layout, _ = MODELS[name]
    x_train, _, x_test, y_test = digits_data().load_split(layout)
    folder = tmp_path_factory.mktemp(name)
    # nncc.compile takes the calibration batch as an .npy/.npz path, not an array.
    calibration = folder / "calibration.npy"
    np.save(calibration, x_train[:CALIBRATION_SAMPLES])
    path = FIXTURES / f"{name}.onnx"
    design = nncc.compile(path, folder / "out", calibration=calibration)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (logits,) = session.run(None, {"x": x_test})
    return Compiled(name, path, design, x_test, y_test, logits)


def accuracy(logits: np.ndarray, y: np.ndarray) -> float:
    return float((np.asarray(logits).argmax(axis=1) == y).mean())


def test_split_shapes():
    data = digits_data()
    x_train, y_train, x_test, y_test = data.load_split("flat")
    assert x_train.shape == (1257, 64) and x_test.shape == (540, 64)
    assert x_train.dtype == np.float32 and 0.0 <= x_train.min() and x_train.max() <= 1.0
    assert y_train.shape == (1257,) and y_test.shape == (540,)
    xi_train, yi_train, xi_test, _ = data.load_split("image")
    assert xi_train.shape == (1257, 1, 8, 8) and xi_test.shape == (540, 1, 8, 8)
    np.testing.assert_array_equal(xi_train.reshape(-1, 64), x_train)
    np.testing.assert_array_equal(yi_train, y_train)


def test_onnxruntime_accuracy(compiled):
    acc = accuracy(compiled.ort_logits, compiled.y_test)
    print(f"\n{compiled.name}: onnxruntime float test accuracy {acc:.4f}")
    assert acc >= MODELS[compiled.name][1]


def test_float_interpreter_matches_onnxruntime(compiled):
    got = compiled.design.predict(compiled.x_test, engine="float")
    ref = compiled.ort_logits
    assert got.shape == ref.shape == (len(compiled.y_test), 10)
    err = float(np.max(np.abs(got.astype(np.float64) - ref.astype(np.float64))))
    scale = float(np.max(np.abs(ref)))
    print(f"\n{compiled.name}: float interpreter vs onnxruntime max|diff| {err:.3g}, max|ref| {scale:.3g}")
    assert err / scale <= RTOL
    np.testing.assert_array_equal(got.argmax(axis=1), ref.argmax(axis=1))


def test_fixed_accuracy_close_to_float(compiled):
    fixed = compiled.design.predict(compiled.x_test, engine="fixed")
    float_acc = accuracy(compiled.ort_logits, compiled.y_test)
    fixed_acc = accuracy(fixed, compiled.y_test)
    print(f"\n{compiled.name}: test accuracy float {float_acc:.4f}, 16-bit fixed {fixed_acc:.4f}")
    assert abs(fixed_acc - float_acc) <= 0.01


@pytest.mark.requires("g++")
def test_csim_equals_fixed_interpreter(compiled):
    fixed = compiled.design.predict(compiled.x_test, engine="fixed")
    csim = compiled.design.predict(compiled.x_test, engine="csim")
    assert csim.shape == fixed.shape
    assert np.array_equal(np.asarray(csim, np.float64), np.asarray(fixed, np.float64))
