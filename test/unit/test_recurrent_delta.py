"""The delta form of recurrent layers (DeltaLSTM / DeltaGRU, `recurrent-delta`, `--delta`):

- Θ = 0 is bit for bit the dense layer (fixed-point interpreter), on both fixtures;
- Θ > 0: fixed ≡ C-sim ≡ Verilator on 1,000 sequences, at reuse factor 1 and 4, and the
  cycles of every sequence measured in Verilator (the testbench's per-sample times) equal the
  prediction from the changes (`nncc.compiler.analysis.delta.sample_times`);
- the report's numbers (temporal sparsity, effective MACs) and what is refused.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from recurrent_support import fixture_path, fixture_steps, rnn_model, sequences

import nncc
from nncc.compiler.analysis.delta import delta_profile, sample_times
from nncc.compiler.diagnostics import NnccError
from nncc.dialects.recurrent.delta import column_lists, engine

SAMPLES = 1000


@pytest.mark.parametrize("name", ["rnn_lstm_script", "rnn_gru_dynamo"])
def test_zero_threshold_is_the_dense_layer(tmp_path, name):
    x = sequences(300, fixture_steps(name), seed=5)
    dense = nncc.compile(fixture_path(name), tmp_path / "dense", target="hls-cpp")
    delta = nncc.compile(fixture_path(name), tmp_path / "delta", delta=True, target="hls-cpp")
    a, b = dense.predict(x, engine="fixed"), delta.predict(x, engine="fixed")
    assert np.unique(a).size > 100 and np.array_equal(a, b)
    # even at Θ = 0 unchanged values are skipped: fewer columns than the dense engine fetches
    profile = delta_profile(delta.design, delta.check_inputs(x)[delta.input_names[0]])
    assert len(profile) == 1 and 0 < profile[0]["temporal_sparsity"] < 0.5


@pytest.fixture(scope="module")
def simulated(tmp_path_factory, private_cache):
    done = {}

    def get(name: str, reuse: int, theta: tuple[float, float], prune: str = ""):
        key = name, reuse, theta, prune
        if key not in done:
            folder = tmp_path_factory.mktemp(f"{name}-rf{reuse}") / "design"
            pruning = dict(sparse_prune=0.5, sparse_prune_kind=prune) if prune else {}
            design = nncc.compile(fixture_path(name), folder, delta=True, delta_x=theta[0], delta_h=theta[1],
                                  reuse_factor=reuse, **pruning)
            x = sequences(SAMPLES, fixture_steps(name), seed=41)
            fixed, csim = design.predict(x, engine="fixed"), design.predict(x, engine="csim")
            rtl = design.run_rtl(x)["output"]
            done[key] = design, x, fixed, csim, rtl, dict(design.rtl_stats)
        return done[key]

    return get


CASES = [("rnn_lstm_script", 1, (0.1, 0.1), ""), ("rnn_gru_dynamo", 4, (0.05, 0.2), ""),
         ("rnn_lstm_script", 4, (0.05, 0.05), "balanced=12")]


@pytest.mark.requires("verilator")
@pytest.mark.parametrize(("name", "reuse", "theta", "prune"), CASES)
def test_rtl_equals_fixed_and_csim_and_cycles_equal_prediction(simulated, name, reuse, theta, prune):
    design, x, fixed, csim, rtl, stats = simulated(name, reuse, theta, prune)
    assert np.unique(fixed).size > 100
    assert np.array_equal(fixed, csim) and np.array_equal(fixed, rtl)
    predicted = sample_times(design.design, design.check_inputs(x)[design.input_names[0]])
    measured_intervals = np.diff(stats["in_cycles"])
    measured_latencies = stats["out_cycles"] - stats["in_cycles"]
    cycles = predicted["profile"]["cycles"]
    print(f"\n{name} rf {reuse} theta {theta}: cycles per sequence {cycles.min()}..{cycles.max()} "
          f"(mean {cycles.mean():.1f}, bound {predicted['profile']['dense_cycles']}), temporal sparsity "
          f"{predicted['profile']['temporal_sparsity']:.3f}, speed-up {predicted['profile']['speedup']:.2f}")
    assert len(measured_intervals) == SAMPLES - 1 and np.array_equal(measured_intervals, predicted["intervals"])
    assert np.array_equal(measured_latencies, predicted["latencies"])
    assert cycles.min() < cycles.max() < predicted["profile"]["dense_cycles"]  # data-dependent, below the bound
    # the report's throughput is the worst case (every column changes); measured is better
    throughput = json.loads((design.folder / "report.json").read_text())["throughput"]
    measured = throughput["clock_mhz"] * 1e6 / measured_intervals.mean()
    assert throughput["data_dependent"] and measured > throughput["samples_per_second"]
    report = json.loads((design.folder / "report.json").read_text())["delta"][0]
    assert report["cycles_bound"] == predicted["profile"]["dense_cycles"] and 0 < report["temporal_sparsity"] < 1
    assert report["effective_macs"] < report["dense_macs"]


@pytest.mark.requires("verilator")
def test_column_balanced_weights_halve_the_cycles_per_column(simulated):
    """The LSTM at reuse factor 4 (48 rows on 12 PEs: 4 cycles per changed column) with its
    input and recurrent matrices pruned to 50 % column-balanced over the 12 PEs
    (`sparse_prune_kind = "balanced=12"`): every PE keeps 2 weights of every column, so a
    changed column takes 2 cycles, and the bound is 10 x (2 + 2 x 12) = 260 cycles instead
    of 500; measured == predicted is checked above."""
    design, x, *_ = simulated("rnn_lstm_script", 4, (0.05, 0.05), "balanced=12")
    engines = [op for op in design.design.walk() if op.name == "recurrent.delta_accumulate"]
    assert [engine(op) for op in engines] == [(12, 2), (12, 2)]
    profile = delta_profile(design.design, design.check_inputs(x)[design.input_names[0]])[0]
    assert profile["dense_cycles"] == 260 and profile["cycles"].mean() < 0.6 * 260


def test_column_lists_balance():
    """Rows interleaved over P PEs; per column each PE lists its non-zero weights: dense
    weights give rows / P entries, column-balanced ones (the same count in every PE's part of
    every column) exactly that count with no padding."""
    w = np.arange(1, 25).reshape(8, 3)
    k, values, rows = column_lists(w, 2)
    assert k == 4 and values.shape == (2, 3, 4) and np.array_equal(values[1, 0], w[1::2, 0])
    balanced = w.copy()
    balanced[[0, 3, 4, 7], 0] = 0  # PE 0 keeps rows 2, 6; PE 1 rows 1, 5 of column 0
    balanced[[2, 1, 6, 5], 1] = 0
    balanced[[0, 1, 4, 5], 2] = 0
    k, values, rows = column_lists(balanced, 2)
    assert k == 2 and np.count_nonzero(values) == values.size
    assert np.array_equal(rows[0, 0], [1, 3]) and np.array_equal(values[0, 0], balanced[[2, 6], 0])


def test_refusals(tmp_path):
    gru = rnn_model("GRU", linear_before_reset=0)
    path = tmp_path / "gru.onnx"
    path.write_bytes(gru.SerializeToString())
    with pytest.raises(NnccError, match="multiplies neither x_t nor the previous h"):
        nncc.compile(path, tmp_path / "a", delta=True, target="hls-cpp")
    with pytest.raises(NnccError, match="only the static form"):
        nncc.compile(fixture_path("rnn_lstm_script"), tmp_path / "b", delta=True, recurrent_form="non_static",
                     target="hls-cpp")
    with pytest.raises(NnccError, match="delta_x must be a number >= 0"):
        nncc.compile(fixture_path("rnn_lstm_script"), tmp_path / "c", delta=True, delta_x=-0.1)
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists() and not (tmp_path / "c").exists()
