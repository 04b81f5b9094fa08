"""The front door: the six defects a new user hit, each reproduced here.

1. a Verilog-only design can be verified (against RTL) and says cleanly that it has no C-sim;
2. the RTL engine refuses inputs of the wrong shape (CLI and `Design.predict`);
3. the C-sim engine reports a wrong shape as a user error, with the float engine's message;
4. NaN/Inf calibration data or inputs are refused with one clear line, and no folder is
   written; IR parse errors are one line without escaped line breaks;
5. fidelity figures are measured against the user's original model (onnxruntime), per stage,
   with a warning below the agreement threshold; `predict(engine="float")` is the original
   model even on a power-of-two design;
6. nothing user-facing cites a document that is not in the repository.

Plus progress lines (on stderr, after a delay, silenced by -q).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

import nncc
from nncc.compiler.diagnostics import NnccError
from nncc.runtime import progress
from nncc.tools.nncc import main as nncc_main

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SHAPE_ERROR = "error: input 'x' has shape {}; expected [batch, 10]"
BAD_SHAPES = {"wrong_features": (8, 12), "one_dimensional": (10,), "image_batch": (64, 1, 8, 8)}

needs_gxx = pytest.mark.requires("g++")
needs_verilator = pytest.mark.requires("verilator")


def mlp_10_32_3(path: Path) -> Path:
    """The MLP 10 -> 32 -> 3 of the defect reports."""
    rng = np.random.default_rng(0)
    inits = [
        numpy_helper.from_array((rng.standard_normal((10, 32)) * 0.4).astype(np.float32), "W1"),
        numpy_helper.from_array((rng.standard_normal(32) * 0.1).astype(np.float32), "b1"),
        numpy_helper.from_array((rng.standard_normal((32, 3)) * 0.4).astype(np.float32), "W2"),
        numpy_helper.from_array((rng.standard_normal(3) * 0.1).astype(np.float32), "b2"),
    ]
    graph = helper.make_graph(
        [helper.make_node("Gemm", ["x", "W1", "b1"], ["h"], name="fc1"),
         helper.make_node("Relu", ["h"], ["r"], name="relu"),
         helper.make_node("Gemm", ["r", "W2", "b2"], ["y"], name="fc2")],
        "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 10])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])], inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)
    return path


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """A folder with the model, calibration data and bad inputs, and a private build cache."""
    folder = tmp_path_factory.mktemp("front-door")
    mlp_10_32_3(folder / "m.onnx")
    rng = np.random.default_rng(1)
    np.save(folder / "x.npy", rng.standard_normal((64, 10)).astype(np.float32))
    for name, shape in BAD_SHAPES.items():
        np.save(folder / f"{name}.npy", rng.standard_normal(shape).astype(np.float32))
    nan = rng.standard_normal((64, 10)).astype(np.float32)
    nan[3, 2] = np.nan
    np.save(folder / "nan.npy", nan)
    inf = rng.standard_normal((64, 10)).astype(np.float32)
    inf[5, 0] = np.inf
    np.save(folder / "inf.npy", inf)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NNCC_CACHE_DIR", str(folder / "cache"))
        yield folder


def cli(*args, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "nncc"), *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=600)


def user_error(proc: subprocess.CompletedProcess) -> list[str]:
    """Exit status 1, `error:` lines, no traceback, no internal error, no escaped newline."""
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr
    assert "\\n" not in proc.stderr, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert errors, proc.stderr
    return errors


@pytest.fixture(scope="module")
def both(work):
    """A design with both back ends."""
    proc = cli("compile", "m.onnx", "-o", "both", "--calibration", "x.npy", cwd=work)
    assert proc.returncode == 0, proc.stderr
    return work / "both"


@pytest.fixture(scope="module")
def verilog_only(work):
    proc = cli("compile", "m.onnx", "-o", "vonly", "--target", "verilog", "--calibration", "x.npy", cwd=work)
    assert proc.returncode == 0, proc.stderr
    return work / "vonly"


# -- defect 1 -------------------------------------------------------------------------------
def test_verilog_only_design_has_no_csim(work, verilog_only):
    design = nncc.load(verilog_only)
    assert design.engines == ("float", "fixed", "rtl")
    (error,) = user_error(cli("simulate", "vonly", "--input", "x.npy", "--engine", "csim", cwd=work))
    assert "no HLS C++ project" in error and "--target verilog" in error
    (error,) = user_error(cli("verify", "vonly", "--no-rtl", cwd=work))
    assert "nothing to verify" in error
    with pytest.raises(NnccError, match="no HLS C"):
        design.predict(np.zeros((2, 10), np.float32), engine="csim")


@needs_verilator
def test_verilog_only_design_verifies_against_rtl(work, verilog_only):
    proc = cli("verify", "vonly", "--samples", "200", cwd=work)
    assert proc.returncode == 0, proc.stderr
    assert "fixed == rtl: 200 samples, 600 outputs, 0 differing" in proc.stdout
    assert "internal error" not in proc.stderr


# -- defects 2 and 3: one input check, one message, every engine -------------------------------
@pytest.mark.parametrize("bad", sorted(BAD_SHAPES))
def test_every_engine_refuses_a_wrong_shape_with_the_same_message(work, both, bad):
    expected = SHAPE_ERROR.format(list(BAD_SHAPES[bad]))
    for engine in ("float", "fixed", "csim", "rtl"):
        errors = user_error(cli("simulate", "both", "--input", f"{bad}.npy", "--engine", engine, "-o", "y.npy", cwd=work))
        assert errors == [expected], (engine, errors)
    assert not (work / "y.npy").exists()
    design = nncc.load(both)
    x = np.load(work / f"{bad}.npy")
    for engine in ("float", "fixed", "csim", "rtl"):
        with pytest.raises(NnccError) as info:
            design.predict(x, engine=engine)
        assert info.value.problems == [expected.removeprefix("error: ")]


def test_engines_refuse_bad_names_and_empty_batches(both):
    design = nncc.load(both)
    for engine in ("float", "fixed", "csim", "rtl"):
        with pytest.raises(NnccError, match=r"inputs \['z'\] do not match the model's inputs \['x'\]"):
            design.predict({"z": np.zeros((2, 10), np.float32)}, engine=engine)
        with pytest.raises(NnccError, match="empty batch"):
            design.predict(np.zeros((0, 10), np.float32), engine=engine)


@needs_gxx
def test_csim_runs_any_batch_in_chunks_bit_exact(both):
    """The C-sim engine runs long batches in chunks (for its progress bar): same bits as fixed."""
    design = nncc.load(both)
    x = np.random.default_rng(5).standard_normal((3000, 10)).astype(np.float32)
    np.testing.assert_array_equal(design.predict(x, engine="csim"), design.predict(x, engine="fixed"))


# -- defect 4 -------------------------------------------------------------------------------
@pytest.mark.parametrize("name, count, sample", [("nan", 1, 3), ("inf", 1, 5)])
def test_non_finite_calibration_is_refused_and_writes_nothing(work, name, count, sample):
    (error,) = user_error(cli("compile", "m.onnx", "-o", f"out-{name}", "--calibration", f"{name}.npy", cwd=work))
    assert error == (f"error: --calibration: input 'x' has {count} NaN/Inf value(s) (first in sample {sample}); "
                     "fixed-point hardware has no NaN or infinity: remove or replace them")
    assert not (work / f"out-{name}").exists()
    assert not [p for p in work.iterdir() if p.name.startswith(f".out-{name}")]


def test_non_finite_inputs_are_refused_by_every_fixed_point_engine(work, both):
    for engine in ("fixed", "csim", "rtl"):
        (error,) = user_error(cli("simulate", "both", "--input", "nan.npy", "--engine", engine, cwd=work))
        assert "input 'x' has 1 NaN/Inf value(s) (first in sample 3)" in error
    # the float engine keeps IEEE semantics, like onnxruntime: NaN propagates to that sample only
    x = np.load(work / "nan.npy")
    y = nncc.load(both).predict(x, engine="float")
    truth = onnxruntime_outputs(work, x)
    np.testing.assert_array_equal(np.isnan(y), np.isnan(truth))
    assert np.isnan(y[3]).all() and not np.isnan(np.delete(y, 3, axis=0)).any()


def test_ir_parse_errors_are_one_clean_line(work, both):
    broken = work / "broken"
    shutil.copytree(both, broken, dirs_exist_ok=True)
    text = (broken / "model.mlir").read_text().replace("fixed.range = array<f64: ", "fixed.range = array<f64: 0x7ff8000000000000, ", 1)
    (broken / "model.mlir").write_text(text)
    (error,) = user_error(cli("verify", "broken", "--no-rtl", cwd=work))
    assert error.startswith("error: broken/model.mlir: cannot parse IR: ")
    assert error.endswith("Expected float literal") or "Expected" in error


# -- defect 5 -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def pot(work):
    proc = cli("compile", "m.onnx", "-o", "pot", "--pot", "4", "--target", "hls-cpp", "--calibration", "x.npy", cwd=work)
    assert proc.returncode == 0, proc.stderr
    return work / "pot", proc


def onnxruntime_outputs(work: Path, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(work / "m.onnx"), providers=["CPUExecutionProvider"])
    return session.run(None, {"x": x})[0]


def test_pot_fidelity_is_measured_against_the_original_model(work, pot):
    folder, proc = pot
    design = nncc.load(folder)
    x = np.load(work / "x.npy")
    truth = onnxruntime_outputs(work, x)
    fixed = design.predict(x, engine="fixed")
    real_error = float(np.abs(fixed - truth).max())
    real_agreement = float(np.mean(np.argmax(fixed, 1) == np.argmax(truth, 1)))
    reported = design.report["outputs"]["y"]
    assert reported["max_abs_error"] == pytest.approx(real_error, rel=1e-5)
    assert reported["argmax_agreement"] == pytest.approx(real_agreement)
    # against the PoT-quantized float model the error would look tiny: it must not be what we report
    quantized = nncc.compiler.api.run_float_model(design.model, x)["y"]
    assert float(np.abs(fixed - quantized).max()) < 0.05 < real_error
    fidelity = design.report["fidelity"]
    assert fidelity["reference"].startswith("onnxruntime ")
    assert [s["stage"] for s in fidelity["stages"]] == ["float", "pot_quantized", "fixed_point", "hardware"]
    stages = {s["stage"]: s["outputs"]["y"] for s in fidelity["stages"]}
    assert stages["float"]["max_abs_error"] < 1e-5
    assert stages["pot_quantized"]["max_abs_error"] == pytest.approx(float(np.abs(quantized - truth).max()), rel=1e-5)
    assert stages["hardware"] == reported
    # the compile message prints the same stages
    assert "fidelity against onnxruntime" in proc.stdout
    for stage in ("float", "pot_quantized", "fixed_point", "hardware"):
        assert any(line.split()[:1] == [stage] for line in proc.stdout.splitlines()), proc.stdout


def test_agreement_warning_names_the_stage_that_lost_it(work, pot):
    folder, proc = pot
    agreement = nncc.load(folder).report["outputs"]["y"]["argmax_agreement"]
    assert agreement < 0.98
    warning = [line for line in proc.stderr.splitlines() if line.startswith("warning: output 'y'")]
    assert warning == [f"warning: output 'y': argmax agreement with the original model is {agreement:g} on the "
                       f"calibration data, below 0.98 (largest drop at stage 'pot_quantized': "
                       f"-{1 - agreement:g})"]
    quiet = cli("compile", "m.onnx", "-o", "pot2", "--pot", "4", "--target", "hls-cpp", "--calibration", "x.npy",
                "--min-agreement", "0.5", cwd=work)
    assert quiet.returncode == 0 and "warning: output" not in quiet.stderr
    bad = cli("compile", "m.onnx", "-o", "pot3", "--min-agreement", "1.5", cwd=work)
    assert user_error(bad) == ["error: --min-agreement: min_agreement must be a fraction in [0, 1], got 1.5"]


def test_float_engine_is_the_original_model(work, pot):
    folder, _ = pot
    design = nncc.load(folder)
    assert (folder / "float.mlir").is_file()
    x = np.load(work / "x.npy")
    np.testing.assert_allclose(design.predict(x, engine="float"), onnxruntime_outputs(work, x), rtol=1e-5, atol=1e-5)


def test_uniform_design_reports_against_onnxruntime_too(work, both):
    design = nncc.load(both)
    x = np.load(work / "x.npy")
    fixed = design.predict(x, engine="fixed")
    error = float(np.abs(fixed - onnxruntime_outputs(work, x)).max())
    assert design.report["outputs"]["y"]["max_abs_error"] == pytest.approx(error, rel=1e-5)
    assert not (both / "float.mlir").exists()


# -- defect 6 -------------------------------------------------------------------------------
CITATIONS = tuple(name + ".md" for name in ("ALGORITHMS", "ARCHITECTURE", "HOUSE_STYLE", "PEERS", "TOOLCHAIN", "XDSL_0.74_GUIDE")) + ("shared" + "/design",)
"""Design notes the team keeps outside the repository (spelled so this file does not match)."""


def test_nothing_cites_documents_outside_the_repository():
    offenders = []
    for path in REPO.rglob("*"):
        parts = set(path.relative_to(REPO).parts)
        if path.is_dir() or parts & {".git", ".venv", ".hls4ml-venv", "build", "dist"} or path.suffix in (".onnx", ".npy", ".pyc"):
            continue
        if any(p.endswith(".egg-info") for p in parts):
            continue
        text = path.read_text(errors="ignore")
        if any(needle in text for needle in CITATIONS):
            offenders.append(str(path.relative_to(REPO)))
    assert offenders == []
    assert (REPO / "docs" / "complexity.md").is_file()


def test_report_cites_the_docs_folder(work, both, capsys):
    assert nncc_main(["report", str(both)]) == 0
    out = capsys.readouterr().out
    assert "docs/complexity.md" in out and "ALGORITHMS" not in out


# -- progress -------------------------------------------------------------------------------
def test_progress_lines_on_stderr_and_quiet(work, monkeypatch, capsys):
    monkeypatch.setattr(progress, "DELAY", 0.0)
    monkeypatch.chdir(work)
    assert nncc_main(["compile", "m.onnx", "-o", "prog", "--calibration", "x.npy", "--target", "hls-cpp"]) == 0
    captured = capsys.readouterr()
    assert "running pass convert-nn-to-fixed: done in" in captured.err
    assert "emitting HLS C++: done in" in captured.err
    assert "done in" not in captured.out
    assert nncc_main(["compile", "m.onnx", "-o", "prog", "--calibration", "x.npy", "--target", "hls-cpp", "-q"]) == 0
    captured = capsys.readouterr()
    assert "done in" not in captured.err and "running pass" not in captured.err
    progress.configure(quiet=False)


def test_progress_bar_counts(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(progress, "DELAY", 0.0)
    monkeypatch.setenv("NNCC_CACHE_DIR", str(tmp_path))
    progress.configure(quiet=False)
    with progress.bar("work", 8) as advance:
        import time

        time.sleep(0.05)
        for _ in range(8):
            advance(1)
    err = capsys.readouterr().err
    assert "work [....................] 0/8" in err
    assert "work [####################] 8/8" in err
    assert "work: done in" in err


def test_progress_line_says_how_long_the_last_similar_step_took(monkeypatch, capsys, tmp_path):
    """Steps whose messages differ only in their numbers share a remembered time; the line of
    the next one shows it."""
    monkeypatch.setattr(progress, "DELAY", 0.0)
    monkeypatch.setenv("NNCC_CACHE_DIR", str(tmp_path))
    progress.configure(quiet=False)
    import time

    with progress.status("simulating 100 samples in RTL"):
        time.sleep(0.25)
    first = capsys.readouterr().err
    assert "last time" not in first and "simulating 100 samples in RTL: done in" in first
    with progress.bar("simulating 2000 samples in RTL", 4) as advance:
        time.sleep(0.05)
        advance(4)
    second = capsys.readouterr().err
    assert "simulating 2000 samples in RTL (last time 0.2 s) [" in second or \
        "simulating 2000 samples in RTL (last time 0.3 s) [" in second
    assert progress.last_time("simulating 7 samples in RTL") is not None
    assert progress.last_time("building the RTL simulation") is None
