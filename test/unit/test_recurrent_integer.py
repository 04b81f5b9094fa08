"""Integer-only recurrent cells (iRNN, `--integer-only`): int8 weights with a real scale per
row and a dyadic per-row rescaling of every product, int16 pre-activations and cell state next
to int8 activations, integer piecewise-linear gates. Measured: the design is bit-exact three
ways (fixed ≡ C-sim ≡ Verilator on 1,000 sequences) and closer to onnxruntime than the same
widths with power-of-two weight scales."""

from __future__ import annotations

import numpy as np
import pytest
from recurrent_support import fixture_path, fixture_steps, run_ort, sequences

import nncc
from nncc.dialects import dataflow, fixed
from nncc.dialects.recurrent import ScanOp

SAMPLES = 1000
INT8 = dict(width=8, weight_width=8)


@pytest.fixture(scope="module")
def designs(tmp_path_factory):
    made = {}

    def get(name: str, integer: bool):
        if (name, integer) not in made:
            folder = tmp_path_factory.mktemp(f"{name}-{integer}") / "design"
            made[name, integer] = nncc.compile(fixture_path(name), folder, integer_only=integer, **INT8)
        return made[name, integer]

    return get


def _cell(design) -> ScanOp:
    return next(op for op in design.design.walk() if isinstance(op, ScanOp))


def test_cell_structure(designs):
    scan = _cell(designs("rnn_lstm_script", True))
    body = list(scan.walk())
    weights = [op for op in body if isinstance(op, fixed.ConstantOp) and any(
        isinstance(u.operation, fixed.DenseOp) and u.index == 1 for u in op.output.uses)]
    assert len(weights) == 2
    for w in weights:  # every row uses the whole int8 range: its own scale
        raw = np.asarray(w.evaluate_fixed([], 1))
        assert fixed.fixed_of(w.output).width.data == 8 and np.array_equal(np.abs(raw).max(axis=1), np.full(len(raw), 127))
    rescales = [op for op in body if isinstance(op, fixed.MulOp) and isinstance(op.rhs.owner, fixed.ConstantOp)
                and isinstance(op.lhs.owner, (fixed.DenseOp, dataflow.PeOp))]
    assert len(rescales) == 2 and all(fixed.fixed_of(m.rhs).width.data == 16 for m in rescales)
    gates = [op for op in body if isinstance(op, fixed.PwlOp)]
    assert len(gates) == 3 and not any(isinstance(op, fixed.LutOp) for op in body)  # sigmoid, tanh(g), tanh(c)
    states = [fixed.fixed_of(v).width.data for v in scan.states]
    assert states == [8, 16]  # h int8, c int16
    assert all(fixed.fixed_of(g.input).width.data == 16 for g in gates if g.function.data == "sigmoid")


@pytest.mark.parametrize("name", ["rnn_lstm_script", "rnn_gru_dynamo"])
def test_closer_to_onnxruntime_than_power_of_two_scales(designs, name):
    x = sequences(SAMPLES, fixture_steps(name), seed=9)
    ref = run_ort(fixture_path(name), x, 2)
    errors = {}
    for integer in (False, True):
        y = designs(name, integer).predict(x, engine="fixed")
        errors[integer] = (float(np.abs(y - ref).max()), float(np.abs(y - ref).mean()))
    print(f"\n{name} int8: power-of-two scales max/mean |err| {errors[False]}, integer-only {errors[True]}")
    assert errors[True][0] < errors[False][0] and errors[True][1] < errors[False][1]


@pytest.mark.requires("verilator")
def test_bit_exact_three_ways(designs, private_cache):
    design = designs("rnn_lstm_script", True)
    x = sequences(SAMPLES, fixture_steps("rnn_lstm_script"), seed=13)
    fixed_out, csim = design.predict(x, engine="fixed"), design.predict(x, engine="csim")
    rtl = design.run_rtl(x)["output"]
    assert np.unique(fixed_out).size > 20  # 8-bit outputs
    assert np.array_equal(fixed_out, csim) and np.array_equal(fixed_out, rtl)
    schedule = design.report["schedule"]
    assert design.rtl_stats["latency"] == schedule["latency_cycles"] and design.rtl_stats["ii"] == schedule["ii_cycles"]
    # the report's throughput at the 200 MHz target is f / the measured II
    throughput = design.report["throughput"]
    assert throughput["clock_mhz"] == 200.0
    assert throughput["samples_per_second"] == pytest.approx(200e6 / design.rtl_stats["ii"])
