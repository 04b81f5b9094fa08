"""Fixed-batch PyTorch exports from both exporters (test/fixtures/make_torch_fixtures.py):
an MLP and a CNN exported at batch 2 with ``dynamo=True`` and with the TorchScript exporter.
Both exporters bake the batch into the CNN's flatten (a Reshape to [2, -1]); nncc imports
the models per sample, the float interpreter matches onnxruntime and PyTorch, runs any batch
size, and `nncc compile` builds a design whose C-simulation equals the fixed-point
interpreter bit for bit.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import numpy_helper

import nncc
from nncc.compiler.api import import_model
from nncc.runtime.interpreter import main_function, run_float

FIXTURES = Path(__file__).parent.parent / "fixtures"
BIN = Path(sys.executable).parent
REFERENCE = np.load(FIXTURES / "torch_batch2.npz")
MODELS = [f"torch_{net}_{exporter}" for net in ("mlp", "cnn") for exporter in ("dynamo", "script")]


def _ort(path: Path, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x})[0]


@pytest.mark.parametrize("name", MODELS)
def test_fixed_batch_export_matches_onnxruntime_and_torch(name):
    path = FIXTURES / f"{name}.onnx"
    net = name.split("_")[1]
    x, y_torch = REFERENCE[f"{net}_x"], REFERENCE[f"{net}_y"]
    model = onnx.load(path)
    assert model.graph.input[0].type.tensor_type.shape.dim[0].dim_value == 2
    module = import_model(path)
    function = main_function(module)
    assert tuple(function.function_type.inputs.data[0].get_shape()) == (1,) + x.shape[1:]
    got = run_float(module, {"input": x})["output"]
    np.testing.assert_allclose(got, _ort(path, x), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got, y_torch, rtol=1e-5, atol=1e-5)
    # the per-sample IR runs other batch sizes: 6 samples against three batch-2 runs
    many = np.random.default_rng(3).standard_normal((6,) + x.shape[1:]).astype(np.float32)
    want = np.concatenate([_ort(path, many[i : i + 2]) for i in range(0, 6, 2)])
    np.testing.assert_allclose(run_float(module, {"input": many})["output"], want, rtol=1e-5, atol=1e-6)


def test_the_exporters_bake_the_batch_into_the_flatten():
    """The property the import has to undo: both CNN exports reshape to [2, -1]."""
    dynamo = onnx.load(FIXTURES / "torch_cnn_dynamo.onnx")
    targets = {t.name: numpy_helper.to_array(t).tolist() for t in dynamo.graph.initializer}
    (reshape,) = [n for n in dynamo.graph.node if n.op_type == "Reshape"]
    assert targets[reshape.input[1]] == [2, -1]
    script = onnx.load(FIXTURES / "torch_cnn_script.onnx")
    consts = [numpy_helper.to_array(n.attribute[0].t).tolist() for n in script.graph.node if n.op_type == "Constant"]
    assert 2 in consts and any(n.op_type == "Concat" for n in script.graph.node)


@pytest.mark.requires("g++")
def test_nncc_compile_on_a_fixed_batch_export(tmp_path, monkeypatch):
    monkeypatch.setenv("NNCC_CACHE_DIR", str(tmp_path / "cache"))
    calibration = tmp_path / "calibration.npy"
    x = np.random.default_rng(5).standard_normal((200, 1, 8, 8)).astype(np.float32)
    np.save(calibration, x)
    out = tmp_path / "design"
    proc = subprocess.run(
        [str(BIN / "nncc"), "compile", str(FIXTURES / "torch_cnn_dynamo.onnx"), "-o", str(out),
         "--calibration", str(calibration), "--target", "hls-cpp"],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    design = nncc.load(out)
    fixed = design.predict(x, engine="fixed")
    csim = design.predict(x, engine="csim")
    assert fixed.shape == (200, 3) and np.unique(fixed).size > 50
    assert np.array_equal(fixed, csim)
    float_out = design.predict(x, engine="float")
    assert np.max(np.abs(fixed - float_out)) < 0.05
