"""Yosys confirms the sparse plan: every sparse processing element synthesizes to exactly the
multipliers its lanes name (`#dataflow.lane_plan`), at a reuse factor where the dense plan
cannot drop zero weights.

The model is a small dense network made here (16 inputs -> Gemm 16x16 -> Relu -> Gemm 16x8,
He-scaled weights, fixed seed) pruned by `sparse-prune` to 75 % unstructured sparsity and
compiled at RF 4 (`synth_xilinx -family xc7` through `nncc.compiler.analysis.synthesis`). Dense,
it takes 16 * 16 / 4 + 16 * 8 / 4 = 96 DSPs; sparse, the lanes: at most 0.3x of that. The
jet-MLP numbers are measured by bench/bench_sparse.py.
"""

from __future__ import annotations

from pathlib import Path

from helpers import dense_mlp

import nncc
from nncc.compiler.analysis.synthesis import synthesize_design
from nncc.dialects import dataflow
from nncc.dialects.emit import NAME_ATTR
from nncc.dialects.sparse_plan import lanes_of

LAYERS = (("fc1", 16, 16), ("fc2", 16, 8))


def small_model(path: Path) -> Path:
    """16 -> Gemm(16) -> Relu -> Gemm(8) (He-normal weights, fixed seed)."""
    return dense_mlp(path, LAYERS, 20251207, "sparse_small")


def test_sparse_dsps_are_the_lanes(yosys, tmp_path):
    design = nncc.compile(small_model(tmp_path / "small.onnx"), tmp_path / "design", reuse_factor=4, target="verilog",
                          sparse_prune=0.75)
    result = synthesize_design(design)
    pes = [op for op in design.design.walk() if isinstance(op, dataflow.PeOp)]
    assert len(pes) == 2 and all(lanes_of(pe) is not None for pe in pes)
    for pe in pes:
        module = pe.attributes[NAME_ATTR].data  # (the report names modules without the top prefix)
        lanes = sum(lanes_of(pe).lanes.get_values())
        print(f"\n{module}: {lanes} lanes, Yosys {result['modules'][module]}")
        assert result["modules"][module]["DSP"] == lanes == pe.multipliers.value.data
    assert result["total"]["DSP"] <= 0.3 * (16 * 16 + 16 * 8) / 4
