"""Named pipelines: one definition of the lowering, usable from `nncc compile`, `nncc-opt -p`
and the Python API, and replayable from the `--print-pipeline` string."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from nncc.compiler.config import CompileOptions
from nncc.compiler.diagnostics import NnccError
from nncc.compiler.pipelines import (
    BUILTIN_PIPELINES,
    PIPELINE_OPTIONS,
    build_dataflow_to_emit,
    build_fixed_to_dataflow,
    build_nn_pot_quant,
    build_nn_to_emit,
    build_nn_to_fixed,
    expand_pipelines,
    parse_pipeline,
    pipeline_spec,
)
from nncc.passes import get_all_passes

FIXTURES = Path(__file__).parent.parent / "fixtures"
BIN = Path(sys.executable).parent


def test_every_builtin_pipeline_has_options_a_docstring_and_a_free_name():
    assert set(PIPELINE_OPTIONS) == set(BUILTIN_PIPELINES)
    for name, builder in BUILTIN_PIPELINES.items():
        assert builder.__doc__ and builder.__name__ == "build_" + name.replace("-", "_")
        assert name not in get_all_passes(), f"{name} is a pass name too"
        assert set(PIPELINE_OPTIONS[name]) <= set(CompileOptions.__dataclass_fields__)


def test_nn_to_emit_is_the_three_level_pipelines_in_a_row():
    options = CompileOptions(width=10, reuse_factor=2, top="net", shift_all=True)
    parts = [*build_nn_to_fixed(options), *build_fixed_to_dataflow(options), *build_dataflow_to_emit(options)]
    assert pipeline_spec(build_nn_to_emit(options)) == pipeline_spec(parts)
    names = [p.name for p in build_nn_to_emit(options)]
    assert names == ["convert-nn-to-fixed", "pot-quant-replace-mul-with-shift", "binary-complex-replace-dense-with-xnor",
                     "binary-complex-replace-conv-with-xnor",
                     "binary-complex-set-or-pools", "fixed-lower-activations",
                     "dataflow-tile", "hls-prepare-for-emission", "dataflow-plan"]


def test_a_pipeline_name_with_options_expands_to_the_builders_passes():
    spec = expand_pipelines("nn-to-fixed{width=8 mode=pwl},canonicalize")
    expected = pipeline_spec(build_nn_to_fixed({"width": 8, "mode": "pwl"}))
    assert spec == expected + ",canonicalize"
    assert "width=8" in spec and 'mode="pwl"' in spec
    assert pipeline_spec(parse_pipeline("nn-to-emit")) == pipeline_spec(build_nn_to_emit(CompileOptions()))


def test_weight_techniques_are_empty_when_off():
    assert build_nn_pot_quant(None) == []
    assert [p.name for p in build_nn_pot_quant({"pot_bits": 4, "pot_prune": 0.25})] == [
        "pot-quant-quantize", "pot-quant-prune"]
    assert expand_pipelines("nn-pot-quant,cse") == "cse"


@pytest.mark.parametrize("spec, message", [
    ("nn-to-fixed{widht=8}", "pipeline 'nn-to-fixed': unknown option(s) widht"),
    ("dataflow-to-emit{top=main}", "pipeline 'dataflow-to-emit': top must be a C identifier"),
    ("nn-cleanup{width=8}", "pipeline 'nn-cleanup': unknown option(s) width (options: none)"),
])
def test_bad_pipeline_options_are_user_errors(spec, message):
    with pytest.raises(NnccError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_pipeline(spec)


def test_compile_print_pipeline_replays_with_nncc_opt(tmp_path):
    out = tmp_path / "design"
    proc = subprocess.run(
        [str(BIN / "nncc"), "compile", str(FIXTURES / "mlp.onnx"), "-o", str(out), "--target", "hls-cpp",
         "--print-pipeline"],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    spec = [line for line in proc.stderr.splitlines() if line.startswith("convert-nn-to-fixed")]
    assert spec == [pipeline_spec(build_nn_to_emit(CompileOptions()))]
    replay = subprocess.run([str(BIN / "nncc-opt"), str(out / "model.mlir"), "-p", "nn-to-emit", "--print-debuginfo"],
                            capture_output=True, text=True, timeout=300)
    assert replay.returncode == 0, replay.stderr
    assert replay.stdout.strip() == (out / "design.mlir").read_text().strip()


def test_pipeline_keeps_the_nn_level_techniques(tmp_path):
    """`nncc compile --pipeline` replaces the lowering after calibration only: `--pot` still
    quantizes the weights before calibration (its fidelity stage and report section are there)."""
    import json

    proc = subprocess.run([str(BIN / "nncc"), "compile", str(FIXTURES / "mlp.onnx"), "-o", str(tmp_path / "out"), "-q",
                           "--pot", "4", "--pipeline", "nn-to-emit", "--target", "hls-cpp"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert [s["stage"] for s in report["fidelity"]["stages"]][:2] == ["float", "pot_quantized"]
    assert report["pot_quant"] and (tmp_path / "out" / "float.mlir").is_file()
