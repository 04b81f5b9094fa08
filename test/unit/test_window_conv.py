"""Sliding-window convolution engines on awkward geometries: the Verilog (Verilator) equals the
fixed-point interpreter and the C-simulation bit for bit, and runs on the predicted schedule.

Each model is one Conv + Relu made with onnx.helper (seeded weights): stride 2 with
symmetric padding, dilation 2 with asymmetric padding and 2 groups, depthwise with a
non-square input and per-axis strides, and a 1-D conv with stride 2 and asymmetric padding;
with multipliers (reuse factor 1 and 2), with two-digit shift-and-add weights (shared
sub-expressions, reuse factor 2) and with 2:4 sparse weights (half the multipliers, reuse
factor 2). The window engine's latency is checked against its
closed form Q + A * (R - 1) + 2 computed here by hand from the geometry.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import nncc

pytestmark = pytest.mark.requires("verilator")

# name: (C, H, W (H = 0: 1-D), M, K, strides, pads, dilations, group)
MODELS = {
    "stride2": (3, 9, 9, 4, 3, [2, 2], [1, 1, 1, 1], [1, 1], 1),
    "dilated": (2, 8, 8, 4, 3, [1, 1], [2, 0, 1, 2], [2, 2], 2),
    "depthwise": (4, 6, 7, 4, 3, [1, 2], [0, 1, 0, 1], [1, 1], 4),
    "conv1d": (3, 0, 20, 6, 5, [2], [2, 1], [1], 1),
}
CASES = [
    ("stride2", {"reuse_factor": 1}),
    ("dilated", {"reuse_factor": 2}),
    ("depthwise", {"pot_bits": 4, "pot_terms": 2, "shift_share": True, "reuse_factor": 2}),
    ("conv1d", {"reuse_factor": 1}),
    ("conv1d", {"pot_bits": 4, "reuse_factor": 3}),
    ("stride2", {"sparse_prune_kind": "2:4", "reuse_factor": 2}),
]


def expected_latency(name: str, reuse: int) -> int:
    """Q + A * (R - 1) + 2 from the geometry (1-D: one row)."""
    c, h, w, m, k, strides, pads, dil, group = MODELS[name]
    if h == 0:
        h, strides, pads, dil, kh = 1, [1] + strides, [0, pads[0], 0, pads[1]], [1] + dil, 1
    else:
        kh = k
    span = (dil[0] * (kh - 1) + 1, dil[1] * (k - 1) + 1)
    hp, wp = h + pads[0] + pads[2], w + pads[1] + pads[3]
    out = ((hp - span[0]) // strides[0] + 1, (wp - span[1]) // strides[1] + 1)
    last = (span[0] - 1 + strides[0] * (out[0] - 1), span[1] - 1 + strides[1] * (out[1] - 1))
    q = last[0] * wp + last[1] + 1
    return q + out[0] * out[1] * (reuse - 1) + 2


def make_model(path: Path, name: str) -> tuple[int, ...]:
    c, h, w, m, k, strides, pads, dil, group = MODELS[name]
    rng = np.random.default_rng(sum(map(ord, name)))
    shape = [1, c, h, w] if h else [1, c, w]
    kernel = [k, k] if h else [k]
    weights = numpy_helper.from_array((rng.standard_normal([m, c // group] + kernel) * 0.4).astype(np.float32), "W")
    bias = numpy_helper.from_array((rng.standard_normal([m]) * 0.1).astype(np.float32), "B")
    nodes = [
        helper.make_node("Conv", ["input", "W", "B"], ["c"], name="conv", strides=strides, pads=pads, dilations=dil,
                         group=group),
        helper.make_node("Relu", ["c"], ["output"], name="relu"),
    ]
    graph = helper.make_graph(nodes, name, [helper.make_tensor_value_info("input", TensorProto.FLOAT, shape)],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, [None] * len(shape))],
                              [weights, bias])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    return tuple(shape[1:])


@pytest.mark.parametrize("name, options", CASES, ids=[f"{n}-{'-'.join(f'{k}{v}' for k, v in o.items())}" for n, o in CASES])
def test_window_engine_bit_exact_and_on_schedule(tmp_path, name, options):
    shape = make_model(tmp_path / "m.onnx", name)
    design = nncc.compile(tmp_path / "m.onnx", tmp_path / "out", **options)
    pe = [e for e in design.report["layers"] if "latency_cycles" in e]
    assert len(pe) == 1 and pe[0]["engine"].startswith("sliding window")
    assert pe[0]["latency_cycles"] == expected_latency(name, pe[0]["reuse_factor"])
    x = np.random.default_rng(7).standard_normal((300,) + shape).astype(np.float32)
    fixed = design.predict(x, engine="fixed")
    csim = design.predict(x, engine="csim")
    rtl = design.run_rtl(x)["output"]
    stats = design.rtl_stats
    assert np.array_equal(fixed, csim) and np.array_equal(fixed, rtl)
    schedule = design.report["schedule"]
    assert (stats["latency"], stats["ii"]) == (schedule["latency_cycles"], schedule["ii_cycles"])
    if options.get("pot_bits"):
        assert "encoding = #encoding.signed_digits" in (design.folder / "design.mlir").read_text()
    if options.get("sparse_prune_kind"):
        # each output keeps 2 of every 4 of its 27 weights (six groups, then 1 of the last 3):
        # 13 lanes per slot, 2 slots at reuse factor 2, against 54 multipliers dense
        assert "#encoding.sparse<n = 2, m = 4>" in (design.folder / "design.mlir").read_text()
        assert pe[0]["multipliers"] == 2 * 13
