"""Sparse weights become absent multipliers at any reuse factor, bit-exactly.

Each case compiles the 16-64-32-32-5 MLP fixture (or the conv-conv-dense CNN fixture, whose
convolutions are sliding-window engines) with sparse weights: magnitude-pruned by
`sparse-prune` (unstructured 75 %, 2:4, 4x4 blocks 50 %, column-balanced over 8 row groups
50 %, 50 % of the neurons removed, complementary kernels in groups of 4: every input column
kept by one kernel of its group), or an ONNX file whose weights arrive with 75 % zeros
(recognised by `sparse_threshold`). `sparse-materialize` gives every PE's slots only the
lanes their outputs' non-zero weights need (cnn-complementary-rf1 in stream I/O: the window
engines' packed terms in the HLS per-pixel step too). The fixed-point interpreter, the g++ C-simulation
of the HLS C++ and a Verilator simulation of the Verilog must agree bit for bit on N(0,1)
inputs, the measured latency / initiation interval must equal the predicted schedule, and
the planned multipliers must be what the plan's lanes say: for each PE the sum over slots of
the most non-zero weights of its outputs, far below the dense N * K / R.

Every encoding runs on the MLP and the CNN at RF 1 and RF 4; the cases in `SWEEP` run with
`pytest -m sweep` or bench/bench_sweeps.py, the default suite keeps one MLP case per encoding,
the complementary CNN at RF 1 in stream I/O (sparse window engines: test_window_conv.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

import nncc
from nncc.dialects import dataflow
from nncc.dialects.dense import from_dense
from nncc.dialects.encodings import complementary_packing, is_sparse, weight_rows
from nncc.dialects.sparse_plan import lanes_of, packed_terms

from helpers import differing_bits, sweep_params

FIXTURES = Path(__file__).parent.parent / "fixtures"
SAMPLES = {"mlp": 500, "cnn": 200}
SHAPES = {"mlp": (16,), "cnn": (1, 16, 16)}
DENSE = {("mlp", 1): 16 * 64 + 64 * 32 + 32 * 32 + 32 * 5, ("mlp", 4): (16 * 64 + 64 * 32 + 32 * 32) // 4 + 32 * 5 // 5,
         ("cnn", 1): 8 * 9 + 16 * 72 + 10 * 16, ("cnn", 4): (8 * 9 + 16 * 72) // 4 + 10 * 16 // 5}
"""Multipliers of the unpruned models' PEs (at RF 4 a 5- or 10-output dense layer runs at RF 5; a
window engine has channels x taps / R)."""


@dataclass(frozen=True)
class Case:
    reuse_factor: int
    kind: str = ""            # sparse_prune_kind ("" = an ONNX model with zeros)
    fraction: float = 0.0
    dense_ratio: float = 1.0  # planned multipliers at most this fraction of the dense PEs'
    model: str = "mlp"
    io: str = "parallel"


CASES = {
    "onnx-zeros-rf1": Case(1, dense_ratio=0.27),
    "unstructured-rf4": Case(4, "unstructured", 0.75, 0.30),
    "2of4-rf1": Case(1, "2:4", dense_ratio=0.50),
    "2of4-rf4": Case(4, "2:4", dense_ratio=0.52),
    "block-rf4": Case(4, "4x4", 0.5, 0.52),
    "balanced-rf4": Case(4, "balanced=8", 0.5, 0.55),
    "channels-rf4": Case(4, "channels", 0.5, 0.33),
    "block-rf1": Case(1, "4x4", 0.5, 0.52),
    "balanced-rf1": Case(1, "balanced=8", 0.5, 0.52),
    "channels-rf1": Case(1, "channels", 0.5, 0.33),
    "cnn-unstructured-rf4": Case(4, "unstructured", 0.75, 0.33, model="cnn"),
    "cnn-2of4-rf1": Case(1, "2:4", dense_ratio=0.50, model="cnn"),
    "cnn-block-rf1": Case(1, "4x4", 0.5, 0.59, model="cnn"),
    "cnn-block-rf4": Case(4, "4x4", 0.5, 0.58, model="cnn"),
    "cnn-balanced-rf1": Case(1, "balanced=8", 0.5, 0.59, model="cnn"),
    "cnn-balanced-rf4": Case(4, "balanced=8", 0.5, 0.61, model="cnn"),
    "cnn-channels-rf1": Case(1, "channels", 0.5, 0.30, model="cnn"),
    "cnn-channels-rf4": Case(4, "channels", 0.5, 0.29, model="cnn"),
    "complementary-rf1": Case(1, "complementary=4", dense_ratio=0.28),
    "complementary-rf4": Case(4, "complementary=4", dense_ratio=0.28),
    "cnn-complementary-rf1": Case(1, "complementary=4", dense_ratio=0.34, model="cnn", io="stream"),
    "cnn-complementary-rf4": Case(4, "complementary=4", dense_ratio=0.40, model="cnn"),
    "cnn-unstructured-rf1": Case(1, "unstructured", 0.75, 0.27, model="cnn"),
    "cnn-2of4-rf4": Case(4, "2:4", dense_ratio=0.52, model="cnn"),
}
SWEEP = {"2of4-rf1", "cnn-unstructured-rf1", "cnn-2of4-rf4", "complementary-rf1", "cnn-complementary-rf4",
         "block-rf1", "balanced-rf1", "channels-rf1", "cnn-unstructured-rf4", "cnn-2of4-rf1", "cnn-block-rf1",
         "cnn-block-rf4", "cnn-balanced-rf1", "cnn-balanced-rf4", "cnn-channels-rf1", "cnn-channels-rf4"}
"""Cases run by `pytest -m sweep` (bench/bench_sweeps.py), not by the default suite."""

pytestmark = pytest.mark.requires("verilator", "g++")


def zeroed_model(folder: Path) -> Path:
    """The MLP with the 75 % smallest weights of every weight matrix set to zero (what a
    model pruned in a training framework looks like when it arrives)."""
    model = onnx.load(FIXTURES / "mlp.onnx")
    for init in model.graph.initializer:
        w = numpy_helper.to_array(init)
        if w.ndim == 2:
            w = np.where(np.abs(w) > np.quantile(np.abs(w), 0.75), w, 0).astype(np.float32)
            init.CopyFrom(numpy_helper.from_array(w, init.name))
    path = folder / "mlp_zeros.onnx"
    onnx.save(model, path)
    return path


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    done: dict = {}

    def get(name: str):
        if name not in done:
            case = CASES[name]
            folder = tmp_path_factory.mktemp(name)
            if case.kind:
                design = nncc.compile(FIXTURES / f"{case.model}.onnx", folder / "design", reuse_factor=case.reuse_factor,
                                      sparse_prune=case.fraction, sparse_prune_kind=case.kind, io=case.io)
            else:
                design = nncc.compile(zeroed_model(folder), folder / "design", reuse_factor=case.reuse_factor,
                                      sparse_threshold=0.5)
            shape = (SAMPLES[case.model],) + SHAPES[case.model]
            x = np.random.default_rng(7 + list(CASES).index(name)).standard_normal(shape).astype(np.float32)
            fixed = design.predict(x, engine="fixed")
            csim = design.predict(x, engine="csim")
            rtl = design.run_rtl(x)["output"]
            done[name] = (design, fixed, csim, rtl, dict(design.rtl_stats))
        return done[name]

    return get


def pes(design: nncc.Design) -> list[dataflow.PeOp]:
    return [op for op in design.design.walk() if isinstance(op, dataflow.PeOp)]


@pytest.mark.parametrize("name", sweep_params(CASES, SWEEP))
def test_fixed_csim_rtl_agree(results, name):
    design, fixed, csim, rtl, _ = results(name)
    assert fixed.shape == csim.shape == rtl.shape and fixed.shape[0] == SAMPLES[CASES[name].model]
    assert np.unique(fixed).size > 100
    assert differing_bits(fixed, csim) == 0 and differing_bits(fixed, rtl) == 0
    assert np.array_equal(fixed, csim) and np.array_equal(fixed, rtl)


@pytest.mark.parametrize("name", sweep_params(CASES, SWEEP))
def test_measured_schedule_equals_prediction(results, name):
    design, *_, stats = results(name)
    schedule = design.report["schedule"]
    assert (stats["latency"], stats["ii"]) == (schedule["latency_cycles"], schedule["ii_cycles"])
    assert stats["cycles"] == 1 + (SAMPLES[CASES[name].model] - 1) * schedule["ii_cycles"] + schedule["latency_cycles"]


@pytest.mark.parametrize("name", sweep_params(CASES, SWEEP))
def test_multipliers_are_the_lanes(results, name):
    design, *_ = results(name)
    case = CASES[name]
    planned = 0
    for pe in pes(design):
        layer, rf = pe.layer(), pe.reuse_factor.value.data
        planned += pe.multipliers.value.data
        lanes = lanes_of(pe)
        if not is_sparse(layer.weight_encoding()):
            assert lanes is None
            continue
        counts = sorted((len(t) for t in packed_terms(layer, window=pe.window is not None)), reverse=True)
        expected = sum(counts[s * rf] for s in range(len(counts) // rf))  # slots of R sorted outputs
        assert list(lanes.lanes.get_values()) and sum(lanes.lanes.get_values()) == expected == pe.multipliers.value.data
        nnz = sum(counts)
        assert -(-nnz // rf) <= expected
        if case.kind == "2:4":  # rows of equal counts: exactly ceil(nnz / R) when nothing rounded to zero
            assert expected <= len(counts) * -(-layer.fan_in() // 2) // rf
        if case.kind.startswith("complementary"):  # one product per column of each group's packed kernel
            raw = weight_rows(np.asarray(from_dense(layer.weight.owner.value)))
            packed, route = complementary_packing(raw, 4)
            assert sum(counts) == np.count_nonzero(route >= 0) == np.count_nonzero(packed)
            assert expected <= -(-raw.shape[1] // 4) * raw.shape[0] // rf
    assert planned <= case.dense_ratio * DENSE[case.model, case.reuse_factor], planned
    if case.kind == "channels":
        shapes = [tuple(pe.output.type.get_shape()) for pe in pes(design)]
        assert shapes == ([(1, 32), (1, 16), (1, 16), (1, 5)] if case.model == "mlp" else
                          [(1, 4, 16, 16), (1, 8, 6, 6), (1, 10)])
    verilog = (design.folder / "verilog" / f"{design.top}.v").read_text()
    compact = [pe for pe in pes(design) if pe.window is None]  # (window engines print their lanes per tap)
    assert ("localparam [" in verilog and "LANES" in verilog) == any(lanes_of(pe) for pe in compact)


def edge_model(path: Path) -> Path:
    """80 inputs -> Gemm 8: outputs 0 and 5 all zero, output 3 with 10 non-zeros, output 1
    with about 72 (more than one 64-product chain), the rest dense."""
    from onnx import TensorProto, helper

    rng = np.random.default_rng(3)
    w = (rng.standard_normal((8, 80)) * 0.2).astype(np.float32)
    w[0] = 0
    w[5] = 0
    w[3, :70] = 0
    w[1] = np.where(rng.random(80) < 0.9, w[1], 0)
    b = rng.uniform(-0.1, 0.1, 8).astype(np.float32)
    graph = helper.make_graph([helper.make_node("Gemm", ["input", "w", "b"], ["output"], transB=1)], "edge",
                              [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 80])],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", 8])],
                              [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8), path)
    return path


@pytest.mark.parametrize("rf", [1, 2])
def test_empty_slots_and_long_chains(tmp_path, rf):
    """Slots without lanes (their outputs are the bias), and lanes past one product chain."""
    design = nncc.compile(edge_model(tmp_path / "edge.onnx"), tmp_path / "design", reuse_factor=rf, sparse_threshold=0.2)
    lanes = list(lanes_of(pes(design)[0]).lanes.get_values())
    assert lanes == {1: [80, 80, 80, 80, 71, 10, 0, 0], 2: [80, 80, 71, 0]}[rf]
    x = np.random.default_rng(rf).standard_normal((100, 80)).astype(np.float32)
    fixed = design.predict(x, engine="fixed")
    assert np.array_equal(fixed, design.predict(x, engine="csim"))
    assert np.array_equal(fixed, design.run_rtl(x)["output"])
    assert (design.rtl_stats["latency"], design.rtl_stats["ii"]) == (rf + 1, rf)
