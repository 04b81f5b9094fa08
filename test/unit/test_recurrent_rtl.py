"""Recurrent layers in Verilog, static form: Verilator equals the fixed-point interpreter
(and C-simulation) bit for bit, and the measured latency and II equal the prediction
(latency = T x cell latency + the head + the output register, II = T x cell latency).

The LSTM at reuse factor 4 keeps its input product fully parallel (config key
`input_reuse_factor = 1` on the layer): the step's two processing elements run at their own
reuse factors side by side, the cell takes the slower one's cycles."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from helpers import differing_bits, sweep_params
from recurrent_support import fixture_path, fixture_steps, sequences

import nncc
from nncc.compiler.analysis.synthesis import design_estimate
from nncc.dialects import dataflow
from nncc.dialects.fixed.quantization import LAYER_ATTR

SAMPLES = 1000
CASES = [("rnn_gru_dynamo", 1), ("rnn_lstm_script", 1), ("rnn_lstm_dynamo", 4), ("rnn_bilstm_conv_script", 1)]
IDS = [f"{n}-rf{r}" for n, r in CASES]
PRODUCTS = {("rnn_lstm_dynamo", 4): {"input_reuse_factor": 1}}
"""Per-product reuse factors of a case's recurrent layer (config keys of the layer)."""
SWEEP = {"rnn_lstm_script-rf1", "rnn_bilstm_conv_script-rf1"}  # run by `pytest -m sweep` (bench/bench_sweeps.py), not by the default suite

pytestmark = pytest.mark.requires("verilator")


@pytest.fixture(scope="module")
def simulated(tmp_path_factory, private_cache):
    """(fixture, reuse factor) -> (design, fixed, csim, rtl, stats), each simulated once."""
    done = {}

    def get(name: str, reuse: int):
        if (name, reuse) not in done:
            path = fixture_path(name)
            layer = next(n.name for n in onnx.load(path).graph.node if n.op_type in ("LSTM", "GRU"))
            products = PRODUCTS.get((name, reuse))
            design = nncc.compile(path, tmp_path_factory.mktemp(f"{name}-rf{reuse}") / "design", reuse_factor=reuse,
                                  layers={layer: products} if products else {})
            x = sequences(SAMPLES, fixture_steps(name), seed=31)
            fixed, csim = design.predict(x, engine="fixed"), design.predict(x, engine="csim")
            rtl = design.run_rtl(x)["output"]
            done[name, reuse] = design, x, fixed, csim, rtl, dict(design.rtl_stats)
        return done[name, reuse]

    return get


@pytest.mark.parametrize(("name", "reuse"), sweep_params(CASES, SWEEP, IDS))
def test_rtl_equals_fixed_and_csim(simulated, name, reuse):
    design, x, fixed, csim, rtl, _ = simulated(name, reuse)
    assert fixed.shape == rtl.shape == (SAMPLES, 3) and np.unique(fixed).size > 100
    print(f"\n{name} rf {reuse}: {SAMPLES} sequences; differing bits: csim {differing_bits(fixed, csim)}, "
          f"rtl {differing_bits(fixed, rtl)}")
    assert np.array_equal(fixed, csim) and np.array_equal(fixed, rtl)


@pytest.mark.parametrize(("name", "reuse"), sweep_params(CASES, SWEEP, IDS))
def test_measured_schedule_equals_prediction(simulated, name, reuse):
    design, x, _, _, _, stats = simulated(name, reuse)
    schedule = design.report["schedule"]
    steps = fixture_steps(name)
    cell = reuse + 1
    head = 1 if reuse == 1 else 3  # the Linear head's PE: 3 outputs, so a reuse factor above 1 becomes 3
    if "conv" not in name:  # (the biLSTM + Conv1d has a convolution engine after the recurrent layers)
        assert schedule == {"latency_cycles": steps * cell + head + 1, "ii_cycles": steps * cell}
    print(f"\n{name} rf {reuse}: predicted latency {schedule['latency_cycles']}, ii {schedule['ii_cycles']}; "
          f"measured latency {stats['latency']}, ii {stats['ii']}, {stats['cycles']} cycles")
    assert stats["latency"] == schedule["latency_cycles"] and stats["ii"] == schedule["ii_cycles"]
    assert stats["cycles"] == 1 + (len(x) - 1) * schedule["ii_cycles"] + schedule["latency_cycles"]


def test_input_and_recurrent_products_take_their_own_reuse_factor(simulated):
    """`input_reuse_factor = 1` on the LSTM at global RF 4: the input product (48 x 4) is one
    cycle with 192 multipliers, the recurrent product (48 x 12) four cycles with 144; the RTL
    above is bit-exact and on schedule with them."""
    design = simulated("rnn_lstm_dynamo", 4)[0]
    labels = {op: str(getattr(op.layer().attributes.get(LAYER_ATTR), "data", "")) for op in design.design.walk()
              if isinstance(op, dataflow.PeOp)}
    pes = {label.rsplit("(", 1)[1].rstrip(")"): op for op, label in labels.items() if label.endswith(")")}
    assert sorted(pes) == ["input", "recurrent"]
    assert (pes["input"].reuse_factor.value.data, pes["recurrent"].reuse_factor.value.data) == (1, 4)
    assert (pes["input"].multipliers.value.data, pes["recurrent"].multipliers.value.data) == (192, 144)


# ---------------------------------------------------------------------------------------
# non-static form: T cell engines in a pipeline

NON_STATIC = [("rnn_gru_dynamo", 1), ("rnn_lstm_dynamo", 4), ("rnn_bilstm2_script", 1), ("rnn_bilstm_conv_dynamo", 2)]
NON_STATIC_IDS = [f"{n}-rf{r}" for n, r in NON_STATIC]
NON_STATIC_SWEEP = {"rnn_bilstm2_script-rf1"}


@pytest.mark.requires("g++")
@pytest.mark.parametrize(("name", "reuse"), sweep_params(NON_STATIC, NON_STATIC_SWEEP, NON_STATIC_IDS))
def test_non_static_form_overlaps_sequences(name, reuse, tmp_path, private_cache):
    """`recurrent_form = "non_static"`: one cell engine per time step, in a pipeline; a new
    sequence every cell latency (II = C instead of T x C) and the same latency T x C + head +
    output register. Bit-exact against the fixed interpreter and the C-simulation on 1,000
    back-to-back sequences, on schedule, and still bit-exact when the output is taken only
    every third cycle (the pipeline waits). The 2-layer bidirectional LSTM covers the reverse
    direction (stage k computes step T - 1 - k) and two recurrent layers in a row; the biLSTM +
    Conv1d (an equalizer's shape) has a slower stage after it: the pipeline takes a sequence
    whenever its first stage is free, so the design runs at that stage's II (16 cycles: the
    convolution at RF 2), not at a multiple of the cell's."""
    path = fixture_path(name)
    layer = next(n.name for n in onnx.load(path).graph.node if n.op_type in ("LSTM", "GRU"))
    products = PRODUCTS.get((name, reuse))
    design = nncc.compile(path, tmp_path / "design", reuse_factor=reuse, recurrent_form="non_static",
                          layers={layer: products} if products else {})
    x = sequences(SAMPLES, fixture_steps(name), seed=37)
    fixed = design.predict(x, engine="fixed")
    assert np.unique(fixed).size > 100
    assert np.array_equal(fixed, design.predict(x, engine="csim"))
    assert np.array_equal(fixed, design.run_rtl(x)["output"])
    schedule, stats = design.report["schedule"], dict(design.rtl_stats)
    cell = reuse + 1
    if name in ("rnn_gru_dynamo", "rnn_lstm_dynamo"):
        head = 1 if reuse == 1 else 3
        assert schedule == {"latency_cycles": fixture_steps(name) * cell + head + 1, "ii_cycles": max(cell, head)}
    print(f"\n{name} rf {reuse} non-static: predicted {schedule}, measured latency {stats['latency']}, ii {stats['ii']}")
    assert (stats["latency"], stats["ii"]) == (schedule["latency_cycles"], schedule["ii_cycles"])
    assert stats["cycles"] == 1 + (len(x) - 1) * schedule["ii_cycles"] + schedule["latency_cycles"]
    assert np.array_equal(fixed[:200], design.run_rtl(x[:200], stall=3)["output"])
    cpp = (design.folder / "hls_cpp" / f"{design.top}.cpp").read_text()
    assert "(non-static form)" in cpp and "HLS UNROLL" in cpp
    # the resource estimate prices T copies of the step's logic: T x the static form's step DSPs
    static = nncc.compile(path, tmp_path / "static", reuse_factor=reuse, target="verilog",
                          layers={layer: products} if products else {})
    top = sum(pe.multipliers.value.data for pe in design.design.walk()
              if isinstance(pe, dataflow.PeOp) and pe.parent_op().name == "func.func")
    step = design_estimate(static)["total"]["DSP"] - top
    assert step > 0 and design_estimate(design)["total"]["DSP"] == fixture_steps(name) * step + top
