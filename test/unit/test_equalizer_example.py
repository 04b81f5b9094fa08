"""The optical-fibre equalizer example (examples/equalizer): the channel simulator's sanity,
and the committed biLSTM + Conv1d equalizer compiled by nncc (no torch needed).

Uses only the committed files: channel.py, equalizer.onnx and testset.npz.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "equalizer"
N_WINDOWS = 1000


def load_channel():
    """examples/equalizer/channel.py under a private module name (nothing put on sys.path)."""
    spec = importlib.util.spec_from_file_location("nncc_example_equalizer_channel", EXAMPLE / "channel.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


channel = load_channel()


def bit_errors(tx: np.ndarray, estimate: np.ndarray) -> int:
    """Wrong bits of nearest-point 16-QAM decisions (Gray labels) on ``estimate`` ([N, 2] I/Q)."""
    points, labels = channel.constellation(16)
    decide = lambda s: np.argmin(np.abs(np.asarray(s)[:, None] - points[None, :]), axis=1)  # noqa: E731
    return int((labels[decide(tx)] != labels[decide(estimate[:, 0] + 1j * estimate[:, 1])]).sum())


@pytest.fixture(scope="module")
def testset():
    data = np.load(EXAMPLE / "testset.npz")
    return {k: data[k] for k in data.files}


def test_channel_is_deterministic_and_transparent_without_impairments():
    tx, rx = channel.simulate(1024, 0.0, seed=5)
    tx2, rx2 = channel.simulate(1024, 0.0, seed=5)
    assert np.array_equal(tx, tx2) and np.array_equal(rx, rx2)
    tx3, rx3 = channel.simulate(1024, 0.0, seed=6)
    assert not np.array_equal(rx, rx3)
    # Without noise and without the Kerr term, dispersion compensation undoes the fibre exactly.
    tx, rx = channel.simulate(1024, 0.0, seed=5, noise=False, nonlinear=False)
    assert np.abs(rx - tx).max() < 1e-9
    # Without noise at a negligible launch power (-40 dBm) the link is almost linear ...
    tx, rx = channel.simulate(1024, -40.0, seed=5, noise=False)
    assert np.abs(rx - tx).max() < 1e-3
    # ... while at 0 dBm the non-linearity leaves a large distortion the receiver does not remove.
    tx, rx = channel.simulate(1024, 0.0, seed=5, noise=False)
    assert np.sqrt(np.mean(np.abs(rx - tx) ** 2)) > 0.05


def test_float_interpreter_matches_onnxruntime(testset):
    ort = pytest.importorskip("onnxruntime")
    from nncc.compiler.api import import_model, run_float_model

    x = testset["x"][:64]
    got = run_float_model(import_model(str(EXAMPLE / "equalizer.onnx")), x)["output"]
    want = ort.InferenceSession(str(EXAMPLE / "equalizer.onnx")).run(None, {"input": x})[0]
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=0)


@pytest.mark.requires("g++")
def test_lut_design_csim_is_bit_exact_and_keeps_the_ber(testset, tmp_path):
    import nncc

    power = float(testset["launch_power_dbm"])
    _, rx_cal = channel.simulate(2048, power, seed=1)  # training-like inputs (train.py's seed)
    index = np.arange(len(rx_cal))[:, None] + np.arange(-5, 6)[None, :]
    windows = np.take(rx_cal, index, mode="wrap")
    np.save(tmp_path / "calibration.npy", np.stack([windows.real, windows.imag], -1).astype(np.float32))

    design = nncc.compile(EXAMPLE / "equalizer.onnx", tmp_path / "lut", calibration=tmp_path / "calibration.npy", mode="lut")
    x = testset["x"][:N_WINDOWS]
    assert np.array_equal(design.predict(x, engine="csim"), design.predict(x, engine="fixed"))
    # BER on the whole test set (2^16 symbols, 262,144 bits: hundreds of errors)
    rx, tx = testset["rx"], testset["tx"]
    index = np.arange(len(rx))[:, None] + np.arange(-5, 6)[None, :]
    taken = np.take(rx, index, mode="wrap")
    windows = np.stack([taken.real, taken.imag], -1).astype(np.float32)
    y_float = design.predict(windows, engine="float")
    y_fixed = design.predict(windows, engine="fixed")
    none = bit_errors(tx, np.stack([rx.real, rx.imag], -1))
    float_errors, fixed_errors = bit_errors(tx, y_float), bit_errors(tx, y_fixed)
    print(f"\nbit errors on {4 * len(tx)} bits: no equalization {none}, float {float_errors}, lut {fixed_errors}")
    assert float_errors < 0.5 * none  # the network equalizes (BER 6e-4 against 2e-3 without it)
    assert abs(fixed_errors - float_errors) <= 0.1 * float_errors, (float_errors, fixed_errors)
