"""The BCNN example (examples/bcnn): a binarized complex CNN classifying numpy-made radio
bursts (BPSK, 2FSK, 4FSK, LFM chirp), unpruned and 20x structurally pruned (no torch needed).

Uses only the committed files: dataset.py, the four ONNX files and testset.npz.
Checked: the burst generator is seeded; nncc's float interpreter equals onnxruntime on both
committed models (both activation forms); the torch.where exports compute what the Sign
exports do (onnxruntime); the pruned model is physically smaller (whole complex filters removed, >= 20x
fewer binary weights) with every weight +-1; and, for the pruned model (the smaller one) in
the torch.where form compiled as the example does (io = stream: batch norm + sign folded into
thresholds in all three layers, XNOR-popcount convolutions and dense layer), fixed point ==
float model (the ADC's 8-bit codes make every step exact) == C-sim == Verilator RTL bit for
bit on 1,000 test bursts, the measured II and latency the predicted ones with no stall, and
the accuracies the example's README states.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "bcnn"
N_FRAMES = 1000
# examples/bcnn/README.md, "Results" (torch.where form, 2,000 test bursts; the fixed-point
# design's accuracy is also the C-sim's and the RTL's: they are bit-exact)
README_ACCURACY = {"bcnn_pruned_where": {"float": 0.982, "fixed": 0.982}}

pytestmark = pytest.mark.usefixtures("private_cache")  # conftest.py


def load_dataset():
    """examples/bcnn/dataset.py under a private module name (nothing put on sys.path)."""
    spec = importlib.util.spec_from_file_location("nncc_example_bcnn_dataset", EXAMPLE / "dataset.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def testset():
    data = np.load(EXAMPLE / "testset.npz")
    return data["x"], data["y"]


def binary_weights(name: str) -> dict[str, np.ndarray]:
    """The weights of the model's Conv and Gemm/MatMul nodes, by node name."""
    graph = onnx.load(EXAMPLE / f"{name}.onnx").graph
    inits = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    return {n.name: inits[n.input[1]] for n in graph.node
            if n.op_type in ("Conv", "Gemm", "MatMul") and n.input[1] in inits}


def test_bursts_are_seeded():
    dataset = load_dataset()
    x, y, snr = dataset.make(64, seed=7)
    x2, y2, snr2 = dataset.make(64, seed=7)
    assert np.array_equal(x, x2) and np.array_equal(y, y2) and np.array_equal(snr, snr2)
    assert not np.array_equal(x, dataset.make(64, seed=8)[0])
    assert x.shape == (64, 2, dataset.LENGTH) and set(np.unique(y)) <= set(range(len(dataset.CLASSES)))
    # unit RMS power per burst (the receiver's gain control), sampled by an 8-bit ADC (codes of 1/32)
    np.testing.assert_allclose((x ** 2).sum(1).mean(1), 1.0, rtol=0.01)
    codes = x / dataset.ADC_STEP
    assert np.array_equal(codes, np.round(codes)) and codes.min() >= -128 and codes.max() <= 127


def test_pruned_model_is_physically_smaller_and_binary():
    full, pruned = binary_weights("bcnn"), binary_weights("bcnn_pruned")
    for weights in (full, pruned):
        assert all(np.isin(w, (-1.0, 1.0)).all() for w in weights.values())
    size = lambda ws: sum(w.size for w in ws.values())  # noqa: E731
    # each complex convolution is two real ones (A and B) used twice: every weight counted once
    assert size(full) / size(pruned) >= 20


@pytest.mark.parametrize("name", ["bcnn", "bcnn_pruned", "bcnn_where", "bcnn_pruned_where"])
def test_float_interpreter_matches_onnxruntime(name, testset):
    ort = pytest.importorskip("onnxruntime")
    from nncc.compiler.api import import_model, run_float_model

    x = testset[0][:256]
    path = str(EXAMPLE / f"{name}.onnx")
    got = run_float_model(import_model(path), x)["output"]
    want = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, {"input": x})[0]
    np.testing.assert_allclose(got, want, atol=1e-4, rtol=0)


@pytest.mark.parametrize("name", ["bcnn", "bcnn_pruned"])
def test_where_exports_equal_the_sign_exports(name, testset):
    """The torch.where(x >= 0, 1, -1) exports compute what the Sign exports compute on the test
    bursts (no batch-norm output is exactly 0 in float)."""
    ort = pytest.importorskip("onnxruntime")
    x = testset[0]
    run = lambda f: ort.InferenceSession(str(EXAMPLE / f), providers=["CPUExecutionProvider"]).run(None, {"input": x})[0]  # noqa: E731
    assert np.array_equal(run(f"{name}.onnx"), run(f"{name}_where.onnx"))


@pytest.mark.requires("g++")
@pytest.mark.requires("verilator")
def test_pruned_design_is_bit_exact_and_as_accurate_as_the_readme_says(testset, tmp_path):
    import nncc

    dataset = load_dataset()
    np.save(tmp_path / "calibration.npy", dataset.make(1024, seed=1)[0])  # run.py's calibration
    design = nncc.compile(EXAMPLE / "bcnn_pruned_where.onnx", tmp_path / "d",
                          calibration=tmp_path / "calibration.npy", target="all", io="stream")
    # every batch norm + sign is a threshold; the convolutions on +-1 inputs and the dense
    # layer on the pooled signs are XNOR + popcount; no multiplier is left
    names = [op.name for op in design.design.walk()]
    assert names.count("binary_complex.threshold") == 3 and names.count("binary_complex.xnor_conv") == 2
    assert names.count("binary_complex.xnor_dense") == 1 and "fixed.mul" not in names
    x, y = testset
    fixed = design.predict(x, engine="fixed")
    assert np.array_equal(fixed, design.predict(x, engine="float"))
    accuracy = lambda scores: float((np.argmax(scores, 1) == y).mean())  # noqa: E731
    want = README_ACCURACY["bcnn_pruned_where"]
    assert accuracy(fixed) == want["float"] == want["fixed"]
    assert np.array_equal(design.predict(x[:N_FRAMES], engine="csim"), fixed[:N_FRAMES])
    assert np.array_equal(design.run_rtl(x[:N_FRAMES])["output"], fixed[:N_FRAMES])
    schedule, stats = design.report["schedule"], design.rtl_stats
    assert (stats["latency"], stats["ii"], stats["stalls"]) == (schedule["latency_cycles"], schedule["ii_cycles"], 0)
    assert stats["cycles"] == 1 + (N_FRAMES - 1) * schedule["ii_cycles"] + schedule["latency_cycles"]
