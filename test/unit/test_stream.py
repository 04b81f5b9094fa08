"""I/O style `stream` on the smallest CNN that has every stream construct: the fixed-point
interpreter equals the HLS C-simulation (hls::stream dataflow region) and the Verilog
(Verilator) bit for bit over back-to-back samples, the
measured latency and II equal the stream model's, no stage ever stalls on a full FIFO, and
every FIFO the model sized above one beat stalls the design (or deadlocks it) with one
beat less.

The model (onnx.helper, seeded weights): Conv 1->2 3x3 pad 1 on 8x8 -> Relu -> MaxPool 2x2
-> Conv 2->2 3x3 pad 1 -> Relu -> Flatten -> Gemm 32->4, at reuse factor 2 (the convolutions
take two phases per output pixel, so the FIFOs in front of them fill up).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import helper

import nncc
from nncc.compiler.analysis.synthesis import report_table
from helpers import onnx_model, random_init
from stream_support import assert_one_beat_less_stalls
from nncc.dialects.dataflow_stream import STREAM_FIFO_ATTR, FifoOp

SAMPLES = 120


def make_model(path: Path) -> None:
    rng = np.random.default_rng(12)
    nodes = [
        helper.make_node("Conv", ["input", "W1", "B1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("MaxPool", ["r1"], ["p1"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["p1", "W2", "B2"], ["c2"], name="conv2", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
        helper.make_node("Flatten", ["r2"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "W3", "B3"], ["output"], name="fc", transB=1),
    ]
    inits = [random_init(rng, "W1", 2, 1, 3, 3), random_init(rng, "B1", 2, scale=0.1), random_init(rng, "W2", 2, 2, 3, 3),
             random_init(rng, "B2", 2, scale=0.1), random_init(rng, "W3", 4, 32, scale=0.3), random_init(rng, "B3", 4, scale=0.1)]
    onnx.save(onnx_model(nodes, [("input", [1, 1, 8, 8])], [("output", [1, 4])], inits), path)


@pytest.fixture(scope="module")
def design(tmp_path_factory):
    folder = tmp_path_factory.mktemp("stream")
    make_model(folder / "m.onnx")
    return nncc.compile(folder / "m.onnx", folder / "out", io="stream", reuse_factor=2)


def _fifos(design) -> list[FifoOp]:
    return [op for op in design.design.walk() if isinstance(op, FifoOp)]


def test_stream_ir_has_sized_fifos(design):
    text = (design.folder / "design.mlir").read_text()
    assert "io = stream" in text and "dataflow.stream_schedule" in text
    fifos = _fifos(design)
    assert len(fifos) == 4 and sum(f.collect is not None for f in fifos) == 1
    for f in fifos:
        assert f.depth.value.data == f.attributes[STREAM_FIFO_ATTR].data["max_occupancy"].value.data + 1
    # `nncc report` lists every FIFO with its depth, width and bits
    table = report_table(design.report).splitlines()
    for f in design.report["stream"]["fifos"]:
        assert any(line.split() == [f["name"], str(f["depth"]), str(f["width_bits"]), str(f["bits"]), str(f["max_occupancy"])]
                   for line in table)


@pytest.mark.requires("g++")
def test_stream_csim_bit_exact_through_the_dataflow_region(design):
    cpp = (design.folder / "hls_cpp" / f"{design.top}.cpp").read_text()
    assert "NNCC_HLS(HLS DATAFLOW)" in cpp and "NNCC_HLS(HLS PIPELINE II=" not in cpp.split("NNCC_HLS(HLS DATAFLOW)")[1][:2000]
    for fifo in _fifos(design):
        assert f"depth={fifo.depth.value.data})" in cpp
    x = np.random.default_rng(5).standard_normal((SAMPLES, 1, 8, 8)).astype(np.float32)
    assert np.array_equal(design.predict(x, engine="fixed"), design.predict(x, engine="csim"))


@pytest.mark.requires("verilator")
def test_stream_rtl_bit_exact_on_schedule_without_stall(design):
    x = np.random.default_rng(3).standard_normal((SAMPLES, 1, 8, 8)).astype(np.float32)
    fixed = design.predict(x, engine="fixed")
    rtl = design.run_rtl(x)["output"]
    assert np.array_equal(fixed, rtl)
    stats, schedule = design.rtl_stats, design.report["schedule"]
    assert (stats["latency"], stats["ii"]) == (schedule["latency_cycles"], schedule["ii_cycles"])
    assert stats["stalls"] == 0


@pytest.mark.requires("verilator")
def test_one_beat_less_in_any_fifo_stalls(design, tmp_path):
    x = np.random.default_rng(4).standard_normal((24, 1, 8, 8)).astype(np.float32)
    sized = [f for f in _fifos(design) if f.depth.value.data > 1]
    assert sized, "the model must size at least one FIFO above one beat"
    assert_one_beat_less_stalls(design, sized, x, tmp_path)


def test_io_option_in_config_and_pipeline(tmp_path):
    from nncc.compiler.config import read_config
    from nncc.compiler.pipelines import build_dataflow_to_emit

    good, bad = tmp_path / "good.toml", tmp_path / "bad.toml"
    good.write_text('[dataflow]\nio = "stream"\n')
    bad.write_text('[dataflow]\nio = "serial"\n')
    options, problems = read_config(good)
    assert options.io == "stream" and not problems
    assert [p.name for p in build_dataflow_to_emit(options)][-1] == "dataflow-stream"
    assert "dataflow-stream" not in [p.name for p in build_dataflow_to_emit(None)]
    _, problems = read_config(bad)
    assert problems == [f"{bad}: [dataflow]: io must be one of parallel, stream, got 'serial'"]
