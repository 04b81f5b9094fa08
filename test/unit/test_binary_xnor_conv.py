"""XNOR-popcount sliding-window engines for binary convolutions (`binary_complex.xnor_conv`,
`binary-complex-replace-conv-with-xnor` in `nn-to-fixed`) on the binary CNN of
test/unit/binary_support.py: its second convolution (+-1 weights, zero padding 1, on the
sign's +-1 maps) becomes XNOR and popcount; the fixed-point outputs stay those of the
shift-and-add lowering bit for bit; fixed == g++ C-sim == Verilator RTL on 1,000 images in
parallel and in stream I/O, fully parallel and folded in FINN's PE x SIMD (reuse factor 2:
4 of the 8 output channels per phase; SIMD 12: 12 of the 36 window bits per phase), with the
measured latency / II / cycles the predicted ones; Yosys builds the XNOR layer without DSPs
and with a tenth of the LUTs per MAC of an 8-bit layer of the same shape.

The stream designs use `first_layer_real`: the CNN with a real-valued (multiplier) first
convolution, since the HLS stream back end builds line-buffer stages for multiplier and
XNOR convolutions only (not yet the shift-and-add engine of a binary first layer).
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import helper

from binary_support import CNN_CHANNELS, IN_SCALE, binary_cnn_inputs, qonnx_binary_cnn
from helpers import assert_bit_exact_on_schedule, ops_of, sweep_params
from import_quant_support import QONNX, f32, init, make
import nncc
from nncc.compiler.config import CompileOptions
from nncc.compiler.pipelines import build_nn_to_emit, pipeline_spec
from nncc.dialects import dataflow
from nncc.dialects.binary_complex import XnorConvOp

pytestmark = pytest.mark.usefixtures("private_cache")  # conftest.py

CONV_PASS = "binary-complex-replace-conv-with-xnor"


def first_layer_real(model: onnx.ModelProto) -> onnx.ModelProto:
    """The binary CNN with conv1 on its float weights (no BipolarQuant): a multiplier layer."""
    model = onnx.ModelProto.FromString(model.SerializeToString())
    nodes = [n for n in model.graph.node if n.name != "bin_w1"]
    for node in nodes:
        if node.name == "conv1":
            node.input[1] = "w1f"
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    return model


def _compile(folder, model: onnx.ModelProto, xnor: bool = True, **options) -> nncc.Design:
    folder.mkdir(parents=True, exist_ok=True)
    onnx.save(model, folder / "model.onnx")
    np.save(folder / "calibration.npy", binary_cnn_inputs(256, on_grid=True))
    if not xnor:  # the nn-to-emit pipeline less the conv pass: the shift-and-add window engine
        passes = build_nn_to_emit(CompileOptions(**{k: v for k, v in options.items() if k != "target"}))
        options["pipeline"] = pipeline_spec([p for p in passes if p.name != CONV_PASS])
    return nncc.compile(folder / "model.onnx", folder / "out", calibration=folder / "calibration.npy", **options)


def test_xnor_conv_keeps_the_fixed_point_outputs(tmp_path):
    """With and without the pass: the same fixed-point outputs on 1,000 images; only conv2
    (on the sign's +-1 maps) becomes XNOR, conv1 (8-bit pixels) keeps its engine."""
    xnor = _compile(tmp_path / "a", qonnx_binary_cnn(), target="hls-cpp", io="parallel")
    shift_add = _compile(tmp_path / "b", qonnx_binary_cnn(), xnor=False, target="hls-cpp", io="parallel")
    (layer,) = ops_of(xnor.design, XnorConvOp.name)
    assert layer.fan_in() == CNN_CHANNELS[0] * 9 and layer.window_geometry().out_channels == CNN_CHANNELS[1]
    assert len(ops_of(xnor.design, "fixed.conv")) == 1 and len(ops_of(shift_add.design, "fixed.conv")) == 2
    x = binary_cnn_inputs(1000, seed=35)
    assert np.array_equal(xnor.run(x, "fixed")["y"], shift_add.run(x, "fixed")["y"])
    assert xnor.report["schedule"] == shift_add.report["schedule"]


def test_padded_taps_count_zero_for_every_window():
    """The op's semantics on random +-1 maps (padding 1, stride 1 and 2, with a bias at a
    finer fraction) equal the fixed-point convolution of the same operands."""
    from xdsl.parser import Parser

    from nncc.compiler.context import make_context
    from nncc.dialects import fixed

    rng = np.random.default_rng(5)
    w = rng.choice([-1, 1], size=(3, 2, 3, 3))
    for stride in (1, 2):
        text = _conv_text(w, stride)
        module = Parser(make_context(), text).parse_module()
        conv = next(op for op in module.walk() if isinstance(op, fixed.ConvOp))
        xnor = XnorConvOp(conv.input, conv.weight, conv.bias, conv.strides.get_values(), conv.pads.get_values(),
                          conv.dilations.get_values())
        assert xnor.output.type == conv.output.type
        x = rng.choice([-1, 1], size=(500, 2, 5, 5)).astype(np.int64)
        bias = np.array([3, -5, 1], np.int64)
        want = conv.evaluate_fixed([x, w, bias], 500)
        assert np.array_equal(xnor.evaluate_fixed([x, w, bias], 500), want)


def test_per_layer_simd_from_the_config_file(tmp_path):
    """`[layers.conv2] simd = 10` (rounded down to 9, a divisor of K = 36) reaches the PE as
    `dataflow.simd`; the engine takes R x K / SIMD = 4 phases per output pixel and the fixed
    outputs do not change."""
    (tmp_path / "cfg.toml").write_text('[layers.conv2]\nsimd = 10\n')
    design = _compile(tmp_path, qonnx_binary_cnn(), config=tmp_path / "cfg.toml", target="hls-cpp", io="parallel")
    (layer,) = ops_of(design.design, XnorConvOp.name)
    pe = layer.parent_op()
    assert dataflow.xnor_simd(pe) == 9 and pe.reuse_factor.value.data == 4
    assert pe.latency.value.data == layer.window_geometry().latency(4) == design.report["schedule"]["ii_cycles"]
    full = _compile(tmp_path / "full", qonnx_binary_cnn(), target="hls-cpp")
    x = binary_cnn_inputs(200, seed=36)
    assert np.array_equal(design.run(x, "fixed")["y"], full.run(x, "fixed")["y"])


def _conv_text(w: np.ndarray, stride: int) -> str:
    out = (5 + 2 - 3) // stride + 1
    return f"""
func.func @c(%x: tensor<1x2x5x5x!fixed.q<2, 2>>) -> tensor<1x3x{out}x{out}x!fixed.q<12, 9>> {{
  %w = fixed.constant dense<{w.tolist()}> : tensor<3x2x3x3xi8> -> tensor<3x2x3x3x!fixed.q<2, 2>>
  %b = fixed.constant dense<[3, -5, 1]> : tensor<3xi8> -> tensor<3x!fixed.q<6, 3>>
  %y = fixed.conv %x, %w, %b {{dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: {stride}, {stride}>}} : (tensor<1x2x5x5x!fixed.q<2, 2>>, tensor<3x2x3x3x!fixed.q<2, 2>>, tensor<3x!fixed.q<6, 3>>) -> tensor<1x3x{out}x{out}x!fixed.q<12, 9>>
  func.return %y : tensor<1x3x{out}x{out}x!fixed.q<12, 9>>
}}"""


RTL_CASES = [("parallel", 2, 12), ("stream", 1, 0), ("parallel", 1, 0), ("stream", 2, 12)]
RTL_IDS = ["parallel-R2-S12", "stream-R1", "parallel-R1", "stream-R2-S12"]


@pytest.mark.requires("g++")
@pytest.mark.requires("verilator")
@pytest.mark.parametrize("io, reuse_factor, simd", sweep_params(RTL_CASES, RTL_IDS[2:], RTL_IDS))
def test_xnor_conv_fixed_csim_rtl_and_schedule(tmp_path, io, reuse_factor, simd):
    """fixed == C-sim == Verilator RTL bit for bit on 1,000 images. The XNOR engine computes
    PE = 8 / R output channels per phase, each over SIMD of its K = 36 window bits (0: all),
    so R x K / SIMD phases per output pixel (full parallelism: one output pixel per cycle);
    the measured latency, II and total cycles are the predicted ones, and report.json's
    frames/s is the clock over the II."""
    model = qonnx_binary_cnn() if io == "parallel" else first_layer_real(qonnx_binary_cnn())
    design = _compile(tmp_path, model, io=io, reuse_factor=reuse_factor, xnor_simd=simd)
    (layer,) = ops_of(design.design, XnorConvOp.name)
    pe = layer.parent_op()
    k = layer.fan_in()
    folds = k // simd if simd else 1
    assert isinstance(pe, dataflow.PeOp) and pe.window is not None
    assert pe.reuse_factor.value.data == reuse_factor * folds and dataflow.xnor_simd(pe) == (simd or k)
    plan = pe.attributes[dataflow.PLAN_ATTR]
    assert plan.slots.data == CNN_CHANNELS[1] // reuse_factor and not plan.chains.get_values()
    assert pe.latency.value.data == layer.window_geometry().latency(reuse_factor * folds)
    verilog = (design.folder / "verilog" / f"{design.top}.v").read_text()
    (engine,) = [m for m in verilog.split("endmodule") if "XNOR with the window bits" in m]
    assert " * " not in engine and ("XNOR and popcount only" in engine or io == "stream")
    assert "XNOR-popcount convolution" in (design.folder / "hls_cpp" / f"{design.top}.cpp").read_text()
    assert_bit_exact_on_schedule(design, binary_cnn_inputs(1000, seed=33), "y")
    schedule, throughput = design.report["schedule"], design.report["throughput"]
    assert throughput["samples_per_second"] == pytest.approx(throughput["clock_mhz"] * 1e6 / design.rtl_stats["ii"],
                                                             rel=1e-5)
    print(f"\n{io} R={reuse_factor} SIMD={simd or k}: {schedule}, measured {design.rtl_stats['ii']} cycles per "
          f"frame, {throughput['samples_per_second']:,.0f} frames/s at {throughput['clock_mhz']} MHz")


def eight_bit_conv(seed: int = 37) -> onnx.ModelProto:
    """conv2's shape with 8-bit operands: x [4, 8, 8] -> Quant(8 bits) -> Conv(8 filters 3x3,
    pad 1) -> y."""
    rng = np.random.default_rng(seed)
    c1, c2 = CNN_CHANNELS
    inits = [init("s_in", f32(IN_SCALE)), init("z", f32(0)), init("b8", f32(8)),
             init("w", (rng.standard_normal((c2, c1, 3, 3)) * 0.5).astype(np.float32))]
    nodes = [
        helper.make_node("Quant", ["x", "s_in", "z", "b8"], ["xq"], name="quant_in", domain=QONNX, signed=1,
                         narrow=0, rounding_mode="ROUND"),
        helper.make_node("Conv", ["xq", "w"], ["y"], name="conv", pads=[1, 1, 1, 1]),
    ]
    return make(nodes, inits, [c1, 8, 8], [c2, 8, 8])


@pytest.mark.requires("yosys")
def test_xnor_conv_luts_per_mac_next_to_an_8_bit_layer(tmp_path):
    """Yosys (synth_xilinx, xc7): the XNOR window engine (conv2: 288 MACs per output pixel,
    one pixel per cycle) uses no DSP (nor does any binary layer) and a tenth of the LUTs of
    the same-shape 8-bit layer at the same parallelism, which needs DSPs on top (measured:
    1,081 LUT / 3.75 per MAC against 10,760 LUT / 37.4 per MAC and 273 DSP)."""
    from nncc.compiler.analysis.synthesis import synthesize_design

    macs = CNN_CHANNELS[1] * CNN_CHANNELS[0] * 9
    binary = synthesize_design(_compile(tmp_path / "b", qonnx_binary_cnn()))
    rows = {row["layer"]: row for row in binary["layers"]}
    x = np.random.default_rng(38).standard_normal((256, CNN_CHANNELS[0], 8, 8)).astype(np.float32) * 2
    np.save(tmp_path / "x8.npy", x)
    onnx.save(eight_bit_conv(), tmp_path / "conv8.onnx")
    design = nncc.compile(tmp_path / "conv8.onnx", tmp_path / "eight", calibration=tmp_path / "x8.npy", width=8,
                          weight_width=8)
    eight = {row["layer"]: row for row in synthesize_design(design)["layers"]}["conv"]
    print()
    for name, row in (("xnor conv2", rows["conv2"]), ("8-bit conv", eight)):
        print(f"{name}: {row['LUT']} LUT, {row['FF']} FF, {row['DSP']} DSP, {row['LUT'] / macs:.2f} LUT per MAC")
    assert all(rows[name]["DSP"] == 0 for name in ("conv1", "conv2", "fc")) and binary["total"]["DSP"] == 0
    assert eight["DSP"] > 0
    assert 0 < rows["conv2"]["LUT"] < eight["LUT"] / 4


def test_valid_count_is_a_balanced_adder_tree():
    """The count of valid taps of a padded XNOR window engine is a pairwise adder tree, not a
    flat sum: Yosys' parser runs out of stack on a sum of 480 terms (a 48-channel complex
    layer, K = 5)."""
    from nncc.backends.verilog.pe import balanced_sum

    nodes = balanced_sum([f"xv[{e}]" for e in range(480)], "nv")
    assert nodes[-1][0] == "nv" and nodes[-1][1] == (480).bit_length()
    assert all(len(operands) <= 2 for _, _, operands in nodes)
    leaves = [o for _, _, operands in nodes for o in operands if o.startswith("xv[")]
    assert sorted(leaves) == sorted(f"xv[{e}]" for e in range(480))
    depth = {}
    for name, _, operands in nodes:
        depth[name] = 1 + max(depth.get(o, 0) for o in operands)
    assert depth["nv"] == 9  # ceil(log2(480))
    assert balanced_sum(["xv[0]"], "nv") == (("nv", 1, ("xv[0]",)),)
