"""Weight clustering (`sparse_cluster`, the `sparse-cluster` pass) on the scikit-learn digits
MLP (64-32-32-10), post-training: at 8 clusters per neuron every layer gets
`#encoding.codebook<k = 8, neuron>`, each output's raw weights take at most 8 values, and the
test accuracy on the bit-exact fixed-point interpreter stays within 1 point of the float
model's (measured 95.9 % against 96.5 %, 540 test samples; calibration and the input moments
of the refit on the first 256 training samples).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import nncc
from nncc.compiler.analysis.synthesis import synthesize_design
from nncc.dialects import dataflow, fixed
from nncc.dialects.dense import from_dense
from nncc.dialects.emit import NAME_ATTR
from nncc.dialects.encodings import CodebookAttr, codebook_groups
from nncc.dialects.sparse_plan import channel_clusters, clusters_of, output_clusters

from helpers import dense_mlp, digits_data, sweep_params

FIXTURES = Path(__file__).parent.parent / "fixtures"


def test_digits_mlp_at_8_clusters_per_neuron_keeps_accuracy(tmp_path):
    pytest.importorskip("sklearn")
    x_train, _, x_test, y_test = digits_data().load_split("flat")
    np.save(tmp_path / "cal.npy", x_train[:256])
    design = nncc.compile(FIXTURES / "digits_mlp.onnx", tmp_path / "design", calibration=tmp_path / "cal.npy",
                          target="hls-cpp", sparse_cluster=8)
    layers = [op for op in design.design.walk() if isinstance(op, (fixed.DenseOp, fixed.ConvOp))]
    assert len(layers) == 3 and all(op.encoding == CodebookAttr(8, "neuron") for op in layers)
    for op in layers:
        values = codebook_groups(np.asarray(from_dense(op.weight.owner.value)), "neuron")
        assert max(v.size for v in values) <= 8 and min(v.size for v in values) >= 2
    float_acc = np.mean(design.predict(x_test, engine="float").argmax(1) == y_test)
    fixed_acc = np.mean(design.predict(x_test, engine="fixed").argmax(1) == y_test)
    print(f"\ndigits_mlp k = 8 per neuron: accuracy float {float_acc:.4f}, fixed {fixed_acc:.4f}")
    assert fixed_acc >= float_acc - 0.01


def _clusters_per_output(pe: dataflow.PeOp) -> list[int]:
    return [len(c) for c in output_clusters(pe.layer())]


@pytest.mark.requires("verilator", "g++")
@pytest.mark.parametrize("rf", sweep_params([1, 4], {"1"}))  # RF 1: `pytest -m sweep`
def test_cluster_lanes_are_bit_exact_and_on_schedule(rf, tmp_path):
    """The 16-64-32-32-5 MLP at 4 clusters per neuron: every PE gets a cluster plan with one
    lane per cluster (at RF 1 the multipliers are the outputs' cluster counts); the fixed
    interpreter, the g++ C-simulation and Verilator agree bit for bit on N(0,1) inputs and the
    measured latency / II are the predicted ones."""
    design = nncc.compile(FIXTURES / "mlp.onnx", tmp_path / "design", reuse_factor=rf, sparse_cluster=4)
    pes = [op for op in design.design.walk() if isinstance(op, dataflow.PeOp)]
    assert len(pes) == 4 and all(clusters_of(pe) is not None for pe in pes)
    if rf == 1:
        assert all(pe.multipliers.value.data == sum(_clusters_per_output(pe)) for pe in pes)
    assert sum(pe.multipliers.value.data for pe in pes) <= (64 + 32 + 32) * 4 // rf + 5 * 4
    x = np.random.default_rng(11).standard_normal((200, 16)).astype(np.float32)
    fixed_out = design.predict(x, engine="fixed")
    assert np.unique(fixed_out).size > 100
    assert np.array_equal(fixed_out, design.predict(x, engine="csim"))
    assert np.array_equal(fixed_out, design.run_rtl(x)["output"])
    schedule, stats = design.report["schedule"], design.rtl_stats
    assert (stats["latency"], stats["ii"]) == (schedule["latency_cycles"], schedule["ii_cycles"])


@pytest.mark.requires("verilator", "g++")
@pytest.mark.parametrize("rf, io", sweep_params([(1, "stream"), (4, "parallel"), (1, "parallel"), (4, "stream")],
                                                {"rf1-parallel", "rf4-stream"},
                                                ["rf1-stream", "rf4-parallel", "rf1-parallel", "rf4-stream"]))
def test_window_engines_get_cluster_lanes(rf, io, tmp_path):
    """The conv-conv-dense CNN at 4 clusters per output channel: each sliding-window engine
    gets one lane per cluster of each channel (its window elements added first, one product;
    8 x 4 and 16 x 4 multipliers at RF 1 instead of 72 and 1152), bit-exact in the fixed
    interpreter, the C-simulation (the stream form's per-pixel step too) and Verilator, on
    the predicted schedule."""
    design = nncc.compile(FIXTURES / "cnn.onnx", tmp_path / "design", reuse_factor=rf, io=io, sparse_cluster=4)
    windows = [op for op in design.design.walk() if isinstance(op, dataflow.PeOp) and op.window is not None]
    assert len(windows) == 2 and all(clusters_of(pe) is not None for pe in windows)
    counts = [[len(c) for c in channel_clusters(pe.layer())] for pe in windows]
    assert all(max(c) <= 4 for c in counts)
    if rf == 1:
        assert [pe.multipliers.value.data for pe in windows] == [sum(c) for c in counts]
    x = np.random.default_rng(12).standard_normal((100, 1, 16, 16)).astype(np.float32)
    fixed_out = design.predict(x, engine="fixed")
    assert np.unique(fixed_out).size > 100
    assert np.array_equal(fixed_out, design.predict(x, engine="csim"))
    assert np.array_equal(fixed_out, design.run_rtl(x)["output"])
    schedule, stats = design.report["schedule"], design.rtl_stats
    assert (stats["latency"], stats["ii"]) == (schedule["latency_cycles"], schedule["ii_cycles"])


def test_yosys_multipliers_per_neuron_are_the_clusters(yosys, tmp_path):
    """Yosys (xc7) on a 16 -> 16 -> 8 MLP at 4 clusters per neuron, RF 1: every PE
    synthesizes to as many DSPs as its outputs have clusters (dense: one per weight)."""
    model = dense_mlp(tmp_path / "small.onnx", (("fc1", 16, 16), ("fc2", 16, 8)), 20251207, "cluster_small")
    design = nncc.compile(model, tmp_path / "design", target="verilog", sparse_cluster=4)
    result = synthesize_design(design)
    for pe in [op for op in design.design.walk() if isinstance(op, dataflow.PeOp)]:
        module = pe.attributes[NAME_ATTR].data
        clusters = _clusters_per_output(pe)
        print(f"\n{module}: clusters per output {clusters}, Yosys {result['modules'][module]}")
        assert max(clusters) <= 4 and result["modules"][module]["DSP"] == sum(clusters) == pe.multipliers.value.data
