"""The `nncc` and `nncc-opt` command lines: outputs, exit codes, error messages."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from nncc.tools.nncc import main

FIXTURES = Path(__file__).parent.parent / "fixtures"
BIN = Path(sys.executable).parent


def run_cli(*args, cwd=None):
    """Run a console script of the venv as a user would."""
    return subprocess.run([str(BIN / args[0]), *args[1:]], capture_output=True, text=True, cwd=cwd, timeout=120)


def ort_run(model, x):
    sess = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    return sess.run(None, {sess.get_inputs()[0].name: x})[0]


def test_run_npy_matches_onnxruntime(tmp_path):
    out = tmp_path / "y.npy"
    assert main(["run", str(FIXTURES / "mlp.onnx"), "--input", str(FIXTURES / "mlp_input.npy"), "-o", str(out)]) == 0
    y = np.load(out)
    ref = ort_run(FIXTURES / "mlp.onnx", np.load(FIXTURES / "mlp_input.npy"))
    assert y.shape == (8, 5) and y.dtype == np.float32
    assert np.abs(y - ref).max() / np.abs(ref).max() <= 1e-5


def test_run_npz_and_mlir(tmp_path):
    x = np.random.default_rng(1).standard_normal((5, 1, 16, 16)).astype(np.float32)
    np.savez(tmp_path / "x.npz", input=x)
    ir = tmp_path / "cnn.mlir"
    assert main(["import", str(FIXTURES / "cnn.onnx"), "-o", str(ir)]) == 0
    assert main(["run", str(ir), "--input", str(tmp_path / "x.npz"), "-o", str(tmp_path / "y.npz")]) == 0
    with np.load(tmp_path / "y.npz") as y:
        got = y["output"]
    ref = ort_run(FIXTURES / "cnn.onnx", x)
    assert np.abs(got - ref).max() / np.abs(ref).max() <= 1e-5


def test_run_prints_without_output_file(capsys):
    assert main(["run", str(FIXTURES / "mlp.onnx"), "--input", str(FIXTURES / "mlp_input.npy")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("output: shape [8, 5]")


def test_import_stdout_is_parseable_and_deterministic(capsys):
    assert main(["import", str(FIXTURES / "conv1d.onnx")]) == 0
    first = capsys.readouterr().out
    assert main(["import", str(FIXTURES / "conv1d.onnx")]) == 0
    assert capsys.readouterr().out == first
    from nncc.compiler.api import parse_mlir

    module = parse_mlir(first)
    assert "nn.conv" in str(module)


def test_print_pipeline_replays_with_nncc_opt(tmp_path, capsys):
    raw = tmp_path / "raw.mlir"
    assert main(["import", str(FIXTURES / "cnn.onnx"), "--pipeline", "none", "-o", str(raw)]) == 0
    assert main(["import", str(FIXTURES / "cnn.onnx"), "--print-pipeline", "-o", str(tmp_path / "clean.mlir")]) == 0
    spec = capsys.readouterr().err.strip()
    assert spec == ("canonicalize,nn-fuse-bias,binary-complex-raise-complex-layers,binary-complex-fold-threshold,nn-fold-batchnorm,nn-fuse-bias,"
                    "binary-complex-raise-complex-layers,canonicalize,cse")
    proc = run_cli("nncc-opt", str(raw), "-p", spec, "--print-debuginfo")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == (tmp_path / "clean.mlir").read_text().strip()


@pytest.mark.parametrize(
    "args, message",
    [
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (["run", "m.onnx"], "the following arguments are required: --input"),
        (["import", "x.onnx", "--input-shape", "bad"], "is not NAME=DxDx..."),
        (["import", "missing.onnx"], "missing.onnx: no such file"),
        (["import", "MODEL", "--pipeline", "no-such-pass"], "bad pass pipeline 'no-such-pass'"),
        (["run", "MODEL", "--input", "missing.npy"], "missing.npy: no such file"),
        (["run", "MODEL", "--input", "INPUT", "-o", "y.txt"], "output file must end in .npy or .npz"),
    ],
)
def test_bad_options_exit_1_without_traceback(args, message, tmp_path):
    args = [a.replace("MODEL", str(FIXTURES / "mlp.onnx")).replace("INPUT", str(FIXTURES / "mlp_input.npy")) for a in args]
    proc = run_cli("nncc", *args, cwd=tmp_path)
    assert proc.returncode == 1
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not list(tmp_path.iterdir()), "no output may be left behind"


def test_wrong_input_shape_is_a_clear_error(tmp_path):
    np.save(tmp_path / "x.npy", np.zeros((3, 15), np.float32))
    proc = run_cli("nncc", "run", str(FIXTURES / "mlp.onnx"), "--input", str(tmp_path / "x.npy"))
    assert proc.returncode == 1
    assert "input 'input' has shape [3, 15]; expected [batch, 16]" in proc.stderr


def test_garbage_model_no_output_written(tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x08\x07garbage" * 10)
    out = tmp_path / "out.mlir"
    proc = run_cli("nncc", "import", str(bad), "-o", str(out))
    assert proc.returncode == 1
    assert "not a valid ONNX model" in proc.stderr and "Traceback" not in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.onnx"]


def test_nncc_opt_errors_are_one_message(tmp_path):
    ir = tmp_path / "bad.mlir"
    ir.write_text("func.func @f(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {\n  %y = nn.softmax %x {axis = 0 : i64} : tensor<1x4xf32>\n  func.return %y : tensor<1x4xf32>\n}\n")
    proc = run_cli("nncc-opt", str(ir))
    assert proc.returncode == 1
    assert "nn.softmax: axis 0 must be in [1, 2)" in proc.stderr
    assert "Traceback" not in proc.stderr
    proc = run_cli("nncc-opt", str(ir), "-p", "no-such-pass")
    assert proc.returncode == 1 and "Unrecognized passes" in proc.stderr and "Traceback" not in proc.stderr


def test_stock_xdsl_opt_sees_nncc_passes(tmp_path):
    ir = FIXTURES.parent / "passes" / "nn-fuse-bias.mlir"
    proc = run_cli("xdsl-opt", str(ir), "--split-input-file", "-p", "nn-fuse-bias")
    assert proc.returncode == 0, proc.stderr
    assert "nn.dense %x" in proc.stdout
