"""The generated Verilog is bit-exact with nncc's fixed-point interpreter and the C-simulation,
and runs exactly on the schedule the compiler predicts.

For every case below (mlp, cnn and act, each at reuse factor 1 and at a reuse factor > 1, act
in each activation mode) the design is compiled once with `nncc.compile(..., reuse_factor=R)`
and N(0,1) inputs go through the fixed-point interpreter, the g++ C-simulation and a
Verilator simulation of the Verilog (`Design.run_rtl`); the three outputs (exact dequantized
values, float64) must be identical bit for bit. The latency and initiation interval the
testbench measures must equal report.json's `schedule` exactly, and the run must take exactly
1 + (samples - 1) * ii + latency cycles (no sample was held up). One design is also run with
back-pressure and through Icarus, and `nncc verify` is run on one as a user would.

A reuse factor that does not divide a layer's outputs is rounded up to the next divisor
(capped at the outputs): act's 4-output last layer gets 4 at RF 8. A convolution is a
sliding-window engine whose reuse factor divides its output channels: cnn's conv1 (8
channels) and conv2 (16 channels) take RF 1 as 72 and 1,152 multipliers computing one
output pixel per cycle, and RF 4 as 4 cycles per pixel; its 10-output dense layer gets 5 at
RF 4.

cnn at RF 1 (`SWEEP`) runs with `pytest -m sweep` or bench/bench_sweeps.py, not in the default
suite (RF 1 window engines are covered on small models by test_window_conv.py).

Verilator builds dominate the runtime (cold, on 2 cores: mlp RF 1 ~55 s, act ~15 s, cnn
~60-120 s each); builds are cached by content under $NNCC_CACHE_DIR/rtlsim
(else ~/.cache/nncc/rtlsim), so a second run takes seconds. Run with `pytest -s` to see the
per-case times.
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

import nncc
from nncc.dialects import dataflow

from helpers import differing_bits, sweep_params

FIXTURES = Path(__file__).parent.parent / "fixtures"
BIN = Path(sys.executable).parent
SHAPES = {"mlp": (16,), "cnn": (1, 16, 16), "act": (10,)}
SEED = 20250301


@dataclass(frozen=True)
class Case:
    model: str
    reuse_factor: int
    samples: int
    mode: str = "lut"
    layers: dict = field(default_factory=dict)  # per-layer config (ONNX node name -> settings)


CASES = {
    "mlp-rf1": Case("mlp", 1, 10_000),
    "mlp-rf4": Case("mlp", 4, 10_000),
    "cnn-rf1": Case("cnn", 1, 1_000),
    "cnn-rf4": Case("cnn", 4, 1_000),
    "act-rf1-lut": Case("act", 1, 10_000, mode="lut"),
    "act-rf4-pwl": Case("act", 4, 10_000, mode="pwl"),
    "act-rf8-taylor": Case("act", 8, 10_000, mode="taylor"),
}
# the per-layer reuse factors each case must get (rounded up to divisors of the outputs)
EXPECTED_RF = {
    "mlp-rf1": [1, 1, 1, 1], "mlp-rf4": [4, 4, 4, 5], "cnn-rf1": [1, 1, 1], "cnn-rf4": [4, 4, 5],
    "act-rf1-lut": [1, 1, 1], "act-rf4-pwl": [4, 4, 4], "act-rf8-taylor": [8, 8, 4],
}
# PE latencies where they differ from the reuse factor: cnn's window engines take
# Q + A * (R - 1) + 2 cycles (conv1: 16x16 input padded to 18x18, Q = 17 * 18 + 17 + 1 = 324
# positions fed, A = 256 output pixels; conv2: 8x8 unpadded, Q = 7 * 8 + 7 + 1 = 64, A = 36)
EXPECTED_LATENCY = {"cnn-rf1": [326, 66, 1], "cnn-rf4": [324 + 256 * 3 + 2, 64 + 36 * 3 + 2, 5]}
BACK_PRESSURE = ("mlp-rf1", "act-rf4-pwl")  # ii 1 and ii 4
SWEEP = {"cnn-rf1"}  # run by `pytest -m sweep` (bench/bench_sweeps.py), not by the default suite
ICARUS = "act-rf4-pwl"
VERIFY = "act-rf4-pwl"

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
            options = {"reuse_factor": case.reuse_factor, "mode": case.mode, "io": "parallel"}  # whole-tensor RTL
            if case.layers:
                options["layers"] = case.layers
            t0 = time.perf_counter()
            design = nncc.compile(FIXTURES / f"{case.model}.onnx", out, **options)
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


def pe_reuse_factors(design: nncc.Design) -> list[int]:
    return [op.reuse_factor.value.data for op in design.design.walk() if isinstance(op, dataflow.PeOp)]


@pytest.mark.parametrize("name", sweep_params(CASES, SWEEP))
def test_rtl_equals_fixed_and_csim(results, name):
    r = results(name)
    assert r.fixed.dtype == r.csim.dtype == r.rtl.dtype == np.float64
    assert r.fixed.shape == r.csim.shape == r.rtl.shape == (CASES[name].samples, r.fixed.shape[1])
    # not vacuous: the outputs vary from sample to sample
    assert np.unique(r.fixed).size > 100
    bits_csim, bits_rtl = differing_bits(r.fixed, r.csim), differing_bits(r.fixed, r.rtl)
    print(f"\n{name}: {len(r.x)} samples, {r.fixed.size} outputs; differing bits: csim {bits_csim}, rtl {bits_rtl}")
    assert bits_csim == 0 and bits_rtl == 0
    assert np.array_equal(r.fixed, r.csim) and np.array_equal(r.fixed, r.rtl)


@pytest.mark.parametrize("name", sweep_params(CASES, SWEEP))
def test_measured_schedule_equals_prediction(results, name):
    r = results(name)
    schedule = r.design.report["schedule"]
    rfs = pe_reuse_factors(r.design)
    assert rfs == EXPECTED_RF[name]
    assert [e["reuse_factor"] for e in r.design.report["layers"] if "reuse_factor" in e] == rfs
    latencies = [e["latency_cycles"] for e in r.design.report["layers"] if "latency_cycles" in e]
    assert latencies == EXPECTED_LATENCY.get(name, rfs)
    # every fixture is a chain: latency = sum of the PEs' cycles + the output register
    assert schedule == {"latency_cycles": sum(latencies) + 1, "ii_cycles": max(latencies)}
    print(f"\n{name}: predicted latency {schedule['latency_cycles']}, ii {schedule['ii_cycles']}; measured "
          f"latency {r.stats['latency']}, ii {r.stats['ii']}, {r.stats['cycles']} cycles")
    assert r.stats["latency"] == schedule["latency_cycles"]
    assert r.stats["ii"] == schedule["ii_cycles"]
    # a new sample every ii cycles from the first to the last (the tb accepts the first in cycle 1)
    assert r.stats["cycles"] == 1 + (len(r.x) - 1) * schedule["ii_cycles"] + schedule["latency_cycles"]


@pytest.mark.parametrize("name", BACK_PRESSURE)
def test_back_pressure(results, name):
    r = results(name)
    x = r.x[:2000]
    y = r.design.run_rtl(x, stall=3)["output"]
    stats = r.design.rtl_stats
    print(f"\n{name}: out_ready low one cycle in 3: {stats['cycles']} cycles for {len(x)} samples")
    assert np.array_equal(y, r.fixed[: len(x)])
    unstalled = 1 + (len(x) - 1) * stats["ii"] + stats["latency"]
    if stats["ii"] == 1:
        assert stats["cycles"] > unstalled  # back-pressure reached the input through the stages
    else:
        # a one-cycle hold of the output register is absorbed before the next result arrives
        assert unstalled <= stats["cycles"] <= unstalled + 3


@pytest.mark.requires("icarus")
def test_icarus(results):
    r = results(ICARUS)
    x = r.x[:300]  # Icarus is ~100x slower than Verilator here (18 s for 1,000 samples)
    start = time.perf_counter()
    y = r.design.run_rtl(x, simulator="icarus")["output"]
    stats = r.design.rtl_stats
    print(f"\n{ICARUS} on Icarus: {time.perf_counter() - start:.1f} s (build + {stats['seconds']:.1f} s simulation)")
    assert stats["simulator"] == "icarus"
    assert np.array_equal(y, r.rtl[: len(x)])
    assert (stats["latency"], stats["ii"]) == (r.stats["latency"], r.stats["ii"])


def test_nncc_verify(results):
    r = results(VERIFY)
    schedule = r.design.report["schedule"]
    proc = subprocess.run([str(BIN / "nncc"), "verify", str(r.design.folder)], check=False, capture_output=True, text=True, timeout=1800)
    print(f"\n$ nncc verify {VERIFY}\n{proc.stdout}{proc.stderr}")
    assert proc.returncode == 0, proc.stderr
    assert "fixed == csim == rtl: 1000 samples" in proc.stdout
    assert (f"rtl: latency {schedule['latency_cycles']} cycles (predicted {schedule['latency_cycles']}), "
            f"ii {schedule['ii_cycles']} (predicted {schedule['ii_cycles']})") in proc.stdout
