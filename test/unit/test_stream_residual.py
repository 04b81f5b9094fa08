"""I/O style `stream` on a residual block, the smallest graph with a fork and a join: the
value after the first convolution feeds both a two-convolution branch and the identity,
and an element-wise `Add` joins them. The fixed-point interpreter equals the HLS C-simulation (a
function writing two `hls::stream`s at the fork, one reading two at the join) and the Verilog
(Verilator) bit for bit over back-to-back samples, the measured latency and II equal the
stream model's, nothing stalls, and the delay FIFO on the identity branch (sized by the
model to keep the II) stalls the design, or deadlocks it, with one beat less.

The model (onnx.helper, seeded weights): Conv 1->2 3x3 pad 1 on 6x6 -> Relu = r1;
r1 -> Conv 2->2 -> Relu -> Conv 2->2 (pad 1) -> Add(., r1) -> Relu -> Flatten -> Gemm 72->3,
at reuse factor 2; and the same block with a 1x1 convolution on the shortcut, and with a
Concat on channels as the join.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import helper

import nncc
from nncc.compiler.diagnostics import NnccError
from helpers import onnx_model, random_init
from stream_support import assert_one_beat_less_stalls
from nncc.dialects.dataflow_stream import STREAM_FIFO_ATTR, STREAM_STAGE_ATTR, FifoOp

SAMPLES = 100


def make_model(path: Path, variant: str = "identity") -> None:
    """The residual block (``variant`` "identity"); "projection": the shortcut is a 1x1
    convolution to 3 channels and the long branch one 3x3 convolution to 3 channels;
    "concat": Concat(Relu(3x3 convolution to 3 channels), shortcut) on channels."""
    rng = np.random.default_rng({"identity": 21, "projection": 22, "concat": 23}[variant])

    def conv(x, w, b, y, pad=1):
        return helper.make_node("Conv", [x, w, b], [y], name=y, pads=[pad] * 4)

    front = [conv("input", "W1", "B1", "conv1"), helper.make_node("Relu", ["conv1"], ["r1"], name="relu1")]
    if variant == "projection":
        body = [conv("r1", "W2", "B2", "conv2"), conv("r1", "W3", "B3", "proj", pad=0),
                helper.make_node("Add", ["conv2", "proj"], ["r3"], name="add")]
        shapes, channels = [(2, 1, 3, 3), (2,), (3, 2, 3, 3), (3,), (3, 2, 1, 1), (3,)], 3
    elif variant == "concat":
        body = [conv("r1", "W2", "B2", "conv2"), helper.make_node("Relu", ["conv2"], ["r2"], name="relu2"),
                helper.make_node("Concat", ["r2", "r1"], ["r3"], name="cat", axis=1)]
        shapes, channels = [(2, 1, 3, 3), (2,), (3, 2, 3, 3), (3,)], 5
    else:
        body = [conv("r1", "W2", "B2", "conv2"), helper.make_node("Relu", ["conv2"], ["r2"], name="relu2"),
                conv("r2", "W3", "B3", "conv3"), helper.make_node("Add", ["conv3", "r1"], ["s"], name="add"),
                helper.make_node("Relu", ["s"], ["r3"], name="relu3")]
        shapes, channels = [(2, 1, 3, 3), (2,), (2, 2, 3, 3), (2,), (2, 2, 3, 3), (2,)], 2
    tail = [helper.make_node("Flatten", ["r3"], ["f"], name="flatten"),
            helper.make_node("Gemm", ["f", "W4", "B4"], ["output"], name="fc", transB=1)]
    names = ["W1", "B1", "W2", "B2", "W3", "B3"][:len(shapes)]
    inits = [random_init(rng, n, *shape, scale=0.1 if n[0] == "B" else 0.5) for n, shape in zip(names, shapes)]
    inits += [random_init(rng, "W4", 3, channels * 36, scale=0.3), random_init(rng, "B4", 3, scale=0.1)]
    onnx.save(onnx_model(front + body + tail, [("input", [1, 1, 6, 6])], [("output", [1, 3])], inits), path)


@pytest.fixture(scope="module")
def design(tmp_path_factory):
    folder = tmp_path_factory.mktemp("residual")
    make_model(folder / "m.onnx")
    return nncc.compile(folder / "m.onnx", folder / "out", io="stream", reuse_factor=2)


def _fifos(design) -> dict[str, FifoOp]:
    return {op.attributes["emit.name"].data: op for op in design.design.walk() if isinstance(op, FifoOp)}


def _delay(design) -> FifoOp:
    """The FIFO on the identity branch: the join's FIFO fed by the first convolution's ReLU."""
    return next(f for name, f in _fifos(design).items() if "_add_fifo" in name and f.input.owner.name == "nn.relu")


def test_fork_and_join_in_the_ir(design):
    fifos = _fifos(design)
    assert len(fifos) == 6 and sum(f.collect is not None for f in fifos.values()) == 1
    join = next(op for op in design.design.walk() if STREAM_STAGE_ATTR in op.attributes
                and op.attributes[STREAM_STAGE_ATTR].data["kind"].data == "join")
    assert join.name == "fixed.add" and all(isinstance(u.owner, FifoOp) for u in join.operands)
    delay = _delay(design)
    assert len(list(delay.input.uses)) == 2  # the fork: conv2's FIFO and the delay FIFO
    for f in fifos.values():
        assert f.depth.value.data == f.attributes[STREAM_FIFO_ATTR].data["max_occupancy"].value.data + 1
    # the delay buffer holds the beats the two convolutions of the other branch hold back
    others = [f.depth.value.data for name, f in fifos.items() if f is not delay and "conv1" not in name]
    assert delay.depth.value.data > max(others)
    report = design.report["stream"]
    assert {s["kind"] for s in report["stages"]} == {"source", "window", "join", "collect"}


@pytest.mark.requires("g++")
def test_residual_csim_bit_exact_through_fork_and_join(design):
    cpp = (design.folder / "hls_cpp" / f"{design.top}.cpp").read_text()
    delay = _delay(design)
    fork = delay.input.owner.attributes["emit.name"].data  # the ReLU after conv1: conv1's stage writes both streams
    stage = next(line for line in cpp.splitlines() if line.startswith("static void") and "_conv1_stage(" in line)
    assert stage.count("hls::stream<") == 3 and fork
    assert "_add_join(hls::stream<" in cpp and f"depth={delay.depth.value.data})" in cpp
    x = np.random.default_rng(5).standard_normal((SAMPLES, 1, 6, 6)).astype(np.float32)
    assert np.array_equal(design.predict(x, engine="fixed"), design.predict(x, engine="csim"))


@pytest.mark.requires("verilator")
def test_residual_rtl_bit_exact_on_schedule_without_stall(design):
    x = np.random.default_rng(3).standard_normal((SAMPLES, 1, 6, 6)).astype(np.float32)
    fixed = design.predict(x, engine="fixed")
    assert np.array_equal(fixed, design.run_rtl(x)["output"])
    stats, schedule = design.rtl_stats, design.report["schedule"]
    assert (stats["latency"], stats["ii"]) == (schedule["latency_cycles"], schedule["ii_cycles"])
    assert stats["stalls"] == 0


@pytest.mark.requires("verilator")
def test_one_beat_less_in_any_fifo_stalls(design, tmp_path):
    """The delay FIFO first (its depth comes from the fork's two branches), then the others."""
    x = np.random.default_rng(4).standard_normal((24, 1, 6, 6)).astype(np.float32)
    delay = _delay(design)
    sized = [delay] + [f for f in _fifos(design).values() if f.depth.value.data > 1 and f is not delay]
    assert_one_beat_less_stalls(design, sized, x, tmp_path)


def _shortcut_fifo(design, variant: str) -> FifoOp:
    """The delay FIFO: behind the 1x1 convolution (projection), or the concat's FIFO fed by
    the first convolution's ReLU (concat)."""
    def source(f):
        return f.input.owner.attributes["emit.name"].data
    fifos = _fifos(design).items()
    if variant == "projection":
        return next(f for name, f in fifos if "_add_fifo" in name and "proj" in source(f))
    return next(f for name, f in fifos if "_cat_fifo" in name and "relu1" in source(f))


@pytest.mark.requires("g++")
@pytest.mark.requires("verilator")
@pytest.mark.parametrize("variant", ["projection", "concat"])
def test_other_shortcuts_and_joins(tmp_path, variant):
    """A 1x1 convolution on the shortcut (both branches are line-buffer stages), and a concat
    on channels as the join: C-sim and RTL == fixed, on schedule, no stall, and one beat less
    in the delay FIFO stalls (or deadlocks)."""
    make_model(tmp_path / "m.onnx", variant)
    design = nncc.compile(tmp_path / "m.onnx", tmp_path / "out", io="stream", reuse_factor=2)
    x = np.random.default_rng(6).standard_normal((SAMPLES, 1, 6, 6)).astype(np.float32)
    fixed = design.predict(x, engine="fixed")
    assert np.array_equal(fixed, design.predict(x, engine="csim"))
    assert np.array_equal(fixed, design.run_rtl(x)["output"])
    stats, schedule = design.rtl_stats, design.report["schedule"]
    assert (stats["latency"], stats["ii"], stats["stalls"]) == (schedule["latency_cycles"], schedule["ii_cycles"], 0)
    assert_one_beat_less_stalls(design, [_shortcut_fifo(design, variant)], x[:24], tmp_path / "less")


def test_branch_into_the_tail_is_refused(tmp_path):
    """A fork whose branches meet only after the stream (in the whole-tensor tail) is refused."""
    rng = np.random.default_rng(7)
    nodes = [helper.make_node("Conv", ["input", "W1", "B1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
             helper.make_node("Conv", ["r1", "W2", "B2"], ["c2"], name="conv2", pads=[1, 1, 1, 1]),
             helper.make_node("Flatten", ["r1"], ["f1"], name="flat1"),
             helper.make_node("Flatten", ["c2"], ["f2"], name="flat2"),
             helper.make_node("Concat", ["f1", "f2"], ["f"], name="cat", axis=1),
             helper.make_node("Gemm", ["f", "W3", "B3"], ["output"], name="fc", transB=1)]
    inits = [random_init(rng, "W1", 2, 1, 3, 3), random_init(rng, "B1", 2), random_init(rng, "W2", 2, 2, 3, 3),
             random_init(rng, "B2", 2), random_init(rng, "W3", 3, 144), random_init(rng, "B3", 3)]
    onnx.save(onnx_model(nodes, [("input", [1, 1, 6, 6])], [("output", [1, 3])], inits), tmp_path / "m.onnx")
    with pytest.raises(NnccError, match="^dataflow-stream: "):
        nncc.compile(tmp_path / "m.onnx", tmp_path / "out", io="stream", target="verilog")
