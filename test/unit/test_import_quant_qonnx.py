"""Quantization carried by the model, continued (see test_import_quant.py): (c) QONNX
Quant/BipolarQuant/Trunc against a numpy transcription of the reference, (d) end to end
(nncc.compile, fixed-point interpreter, C simulation), (e) what nncc refuses."""

from __future__ import annotations


import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper
from onnxruntime.quantization import QuantType

import nncc
from nncc.compiler.onnx import fold as onnx_fold
from nncc.compiler.onnx import quant as onnx_quant
from nncc.compiler.diagnostics import NnccError
from nncc.compiler.onnx.importer import import_onnx
from nncc.dialects import fixed, nn
from nncc.dialects.dense import from_dense
from nncc.runtime.interpreter import run_float


needs_gxx = pytest.mark.requires("g++")


pytestmark = pytest.mark.usefixtures("private_cache")  # conftest.py


from helpers import ops_of
from import_quant_support import (  # noqa: F401
    IR_VERSION,
    OPSET,
    QONNX,
    init,
    f32,
    make,
    ort_run,
    grid_of,
    on_grid,
    float_mlp,
    quantize,
    qdq_pair,
    pot_qdq_mlp,
    pot_reference,
)

# ---------------------------------------------------------------------------------------
# (c) QONNX: numpy transcription of the reference (qonnx.custom_op.general)


def qonnx_min_max(signed, narrow, bits):
    lo = -(2 ** (bits - 1)) + (1 if narrow else 0) if signed else 0
    hi = 2 ** (bits - 1) - 1 if signed else 2**bits - (2 if narrow else 1)
    return lo, hi


QONNX_ROUND = {
    "ROUND": np.round,
    "CEIL": np.ceil,
    "FLOOR": np.floor,
    "UP": lambda v: np.sign(v) * np.ceil(np.abs(v)),
    "DOWN": np.fix,
    "HALF_UP": lambda v: np.sign(v) * np.floor(np.abs(v) + 0.5),
    "HALF_DOWN": lambda v: np.sign(v) * np.ceil(np.abs(v) - 0.5),
}


def qonnx_quant(x, scale, zeropt, bitwidth, signed, narrow, rounding_mode):
    y_int = x / scale + zeropt
    if bitwidth == 1 and signed:
        y_int = np.where(y_int >= 0.0, 1.0, -1.0)
    else:
        lo, hi = qonnx_min_max(signed, narrow, bitwidth)
        y_int = QONNX_ROUND[rounding_mode](np.clip(y_int, lo, hi))
    return (y_int - zeropt) * scale


def qonnx_bipolar(x, scale):
    return np.where(x >= 0.0, 1.0, -1.0) * scale


def qonnx_trunc_v1(x, scale, zeropt, in_bits, out_bits, rounding_mode):
    y = np.round(x / scale + zeropt)
    y = QONNX_ROUND[rounding_mode](y / 2.0 ** (in_bits - out_bits))
    return (y - zeropt) * scale


def qonnx_trunc_v2(x, scale, zeropt, in_bits, out_scale, out_bits, signed, narrow, rounding_mode):
    y = np.round(x / scale + zeropt)
    trunc_scale = 2 ** np.round(np.log2(out_scale / scale))
    lo, hi = qonnx_min_max(signed, narrow, out_bits)
    y = QONNX_ROUND[rounding_mode](np.clip(y / trunc_scale, lo, hi))
    return (y - zeropt / trunc_scale) * out_scale


def quant_node(inputs, out, domain=QONNX, **attrs):
    return helper.make_node("Quant", inputs, [out], domain=domain, name=f"quant_{out}", **attrs)


QUANT_CASES = [
    # scale, zero point, bits, signed, narrow, rounding
    (2**-3, 0, 8, 1, 0, "ROUND"),
    (2**-3, 0, 4, 1, 1, "ROUND"),
    (0.07, 0, 6, 1, 0, "FLOOR"),
    (0.05, 3, 4, 0, 0, "CEIL"),
    (0.11, -2, 5, 0, 1, "round"),
    (0.25, 0, 1, 1, 0, "ROUND"),  # bipolar
    (0.5, 0, 1, 0, 0, "FLOOR"),  # binary
]


@pytest.mark.parametrize("case", QUANT_CASES, ids=lambda c: "-".join(map(str, c)))
def test_qonnx_quant_on_runtime_tensors(case):
    scale, zp, bits, signed, narrow, mode = case
    inits = [init("s", f32(scale)), init("z", f32(zp)), init("b", f32(bits))]
    node = quant_node(["x", "s", "z", "b"], "y", signed=signed, narrow=narrow, rounding_mode=mode)
    module = import_onnx(make([node], inits, [64], [64]))
    expected_op = "nn.sign" if bits == 1 and signed else "nn.fake_quant"
    assert len(ops_of(module, expected_op)) == 1
    rng = np.random.default_rng(9)
    x = (rng.standard_normal((8, 64)) * scale * 2 ** (bits - 1)).astype(np.float32)
    x[0, :16] = (np.arange(16) - 8 + 0.5) * np.float32(scale)  # ties
    want = qonnx_quant(x.astype(np.float64), np.float64(np.float32(scale)), zp, bits, signed, narrow, mode.upper())
    assert np.array_equal(run_float(module, {"x": x})["y"], want.astype(np.float32))


def test_qonnx_rounding_modes_on_constants():
    """The rounding table of the QONNX Quant documentation, folded at import."""
    values = np.asarray([5.5, 2.5, 1.6, 1.1, 1.0, -1.0, -1.1, -1.6, -2.5, -5.5], np.float32)
    table = {
        "ROUND": [6, 2, 2, 1, 1, -1, -1, -2, -2, -6],
        "CEIL": [6, 3, 2, 2, 1, -1, -1, -1, -2, -5],
        "FLOOR": [5, 2, 1, 1, 1, -1, -2, -2, -3, -6],
        "UP": [6, 3, 2, 2, 1, -1, -2, -2, -3, -6],
        "DOWN": [5, 2, 1, 1, 1, -1, -1, -1, -2, -5],
        "HALF_UP": [6, 3, 2, 1, 1, -1, -1, -2, -3, -6],
        "HALF_DOWN": [5, 2, 2, 1, 1, -1, -1, -2, -2, -5],
    }
    for mode, expected in table.items():
        inits = [init("c", values), init("s", f32(1)), init("z", f32(0)), init("b", f32(8))]
        nodes = [
            quant_node(["c", "s", "z", "b"], "cq", rounding_mode=mode),
            helper.make_node("Add", ["x", "cq"], ["y"]),
        ]
        module = import_onnx(make(nodes, inits, [10], [10]))
        assert np.array_equal(run_float(module, {"x": np.zeros((1, 10), np.float32)})["y"][0], expected), mode


def test_qonnx_weights_fold_with_grid():
    rng = np.random.default_rng(10)
    w = rng.standard_normal((6, 4)).astype(np.float32)
    scale = np.asarray([[2**-2], [2**-3], [2**-2], [2**-4], [2**-2], [2**-3]], np.float32)  # per output row
    bip = rng.standard_normal((3, 6)).astype(np.float32)
    inits = [
        init("w", w),
        init("ws", scale),
        init("z", f32(0)),
        init("b", f32(5)),
        init("bp", bip),
        init("bs", f32(0.125)),
    ]
    nodes = [
        quant_node(["w", "ws", "z", "b"], "wq", signed=1, narrow=1),
        helper.make_node("Gemm", ["x", "wq"], ["h"], transB=1, name="fc1"),
        helper.make_node("BipolarQuant", ["bp", "bs"], ["bq"], domain=QONNX, name="bipolar"),
        helper.make_node("Gemm", ["h", "bq"], ["y"], transB=1, name="fc2"),
    ]
    module = import_onnx(make(nodes, inits, [4], [3]))
    first, second = ops_of(module, "nn.dense")
    assert grid_of(first.weight.owner) == (7, 4, 1)  # 5 bits, grid 2^-4, 2 bits for the 2^-2 rows
    assert grid_of(second.weight.owner) == (2, 3, 1)  # +-2^-3
    want_w = qonnx_quant(w.astype(np.float64), scale.astype(np.float64), 0.0, 5, 1, 1, "ROUND")
    assert np.array_equal(np.asarray(from_dense(first.weight.owner.value)), want_w.astype(np.float32))
    assert np.array_equal(
        np.asarray(from_dense(second.weight.owner.value)), qonnx_bipolar(bip, 0.125).astype(np.float32)
    )


def test_qonnx_bipolar_and_trunc_on_runtime_tensors():
    inits = [
        init("s", f32(0.1)), init("z", f32(0)), init("b8", f32(8)), init("b5", f32(5)),
        init("p", f32(2**-2)), init("bs", f32(0.75)),
    ]  # fmt: skip
    nodes = [
        quant_node(["x", "s", "z", "b8"], "xq"),
        helper.make_node("Trunc", ["xq", "s", "z", "b8", "b5"], ["t"], domain=QONNX, name="trunc"),
        quant_node(["x", "p", "z", "b8"], "xp"),
        helper.make_node(
            "Trunc", ["xp", "p", "z", "b8", "b5"], ["tc"], domain=QONNX, rounding_mode="CEIL", name="trunc_ceil"
        ),
        helper.make_node("BipolarQuant", ["x", "bs"], ["sg"], domain=QONNX, name="bipolar"),
        helper.make_node("Concat", ["t", "tc", "sg"], ["y"], axis=1, name="cat"),
    ]
    module = import_onnx(make(nodes, inits, [32], [96]))
    x = (np.random.default_rng(11).standard_normal((8, 32)) * 6).astype(np.float32)
    x[0, :8] = 0.0
    x64 = x.astype(np.float64)
    s, p = np.float64(f32(0.1)), 2.0**-2
    want = np.concatenate(
        [
            qonnx_trunc_v1(qonnx_quant(x64, s, 0, 8, 1, 0, "ROUND"), s, 0, 8, 5, "FLOOR"),
            qonnx_trunc_v1(qonnx_quant(x64, p, 0, 8, 1, 0, "ROUND"), p, 0, 8, 5, "CEIL"),
            qonnx_bipolar(x64, 0.75),
        ],
        axis=1,
    )
    np.testing.assert_allclose(run_float(module, {"x": x})["y"], want, rtol=1e-6, atol=0)


def test_qonnx_trunc_on_constants():
    c = (np.random.default_rng(12).standard_normal(16) * 40).astype(np.float32)
    inits = [init("c", c), init("s", f32(0.5)), init("z", f32(1)), init("i", f32(9)), init("o", f32(6))]
    nodes = [
        helper.make_node("Trunc", ["c", "s", "z", "i", "o"], ["t"], domain=QONNX, rounding_mode="ROUND", name="trunc"),
        helper.make_node("Add", ["x", "t"], ["y"]),
    ]
    module = import_onnx(make(nodes, inits, [16], [16]))
    want = qonnx_trunc_v1(c, f32(0.5), f32(1), 9, 6, "ROUND").astype(np.float32)
    assert np.array_equal(run_float(module, {"x": np.zeros((1, 16), np.float32)})["y"][0], want)


def test_qonnx_trunc_version_2():
    """Trunc with 7 inputs (x, scale, zeropt, in_bitwidth, out_scale, out_zeropt,
    out_bitwidth) and signed/narrow: on a run-time tensor and on a constant."""
    c = (np.random.default_rng(17).standard_normal(16) * 3).astype(np.float32)
    inits = [
        init("s", f32(2**-4)), init("z", f32(0)), init("zc", f32(2)), init("b8", f32(8)),
        init("os", f32(2**-2)), init("b4", f32(4)), init("c", c),
    ]  # fmt: skip
    trunc = dict(domain=QONNX, rounding_mode="FLOOR", signed=1, narrow=1)
    nodes = [
        quant_node(["x", "s", "z", "b8"], "xq"),
        helper.make_node("Trunc", ["xq", "s", "z", "b8", "os", "z", "b4"], ["t"], name="trunc", **trunc),
        helper.make_node("Trunc", ["c", "s", "zc", "b8", "os", "z", "b4"], ["tc"], name="trunc_c", **trunc),
        helper.make_node("Add", ["t", "tc"], ["y"], name="add"),
    ]
    module = import_onnx(make(nodes, inits, [16], [16]))
    assert len(ops_of(module, "nn.fake_quant")) == 3  # the Quant, and the Trunc's two steps
    x = (np.random.default_rng(18).standard_normal((8, 16)) * 3).astype(np.float32)
    x64 = x.astype(np.float64)
    runtime = qonnx_trunc_v2(qonnx_quant(x64, 2**-4, 0, 8, 1, 0, "ROUND"), 2**-4, 0, 8, 2**-2, 4, 1, 1, "FLOOR")
    constant = qonnx_trunc_v2(c.astype(np.float64), 2**-4, 2, 8, 2**-2, 4, 1, 1, "FLOOR")
    assert np.array_equal(run_float(module, {"x": x})["y"], (runtime + constant).astype(np.float32))


def test_finn_domain_and_missing_opset_import():
    inits = [init("s", f32(0.25)), init("z", f32(0)), init("b", f32(4))]
    node = quant_node(["x", "s", "z", "b"], "y", domain="finn.custom_op.general")
    model = make([node], inits, [4], [4], opsets=(("finn.custom_op.general", 1),))
    del model.opset_import[1]  # older exports omit the custom domain's opset import
    module = import_onnx(model)
    (fq,) = ops_of(module, "nn.fake_quant")
    assert (fq.bits.value.data, fq.signed.value.data, fq.narrow.value.data) == (4, 1, 0)


def test_quant_tables_are_covered():
    # every quantization importer and folder is exercised by this file
    assert set(onnx_quant.QUANT_IMPORTERS) == {
        "QuantizeLinear",
        "DequantizeLinear",
        "qonnx.Quant",
        "qonnx.BipolarQuant",
        "qonnx.Trunc",
    }
    assert set(onnx_fold.QUANT_FOLDERS) == set(onnx_quant.QUANT_IMPORTERS)


# ---------------------------------------------------------------------------------------
# (d) end to end: nncc.compile, fixed-point interpreter, C simulation


def qonnx_pot_mlp() -> onnx.ModelProto:
    """Power-of-two QONNX model: Quant(2^-4) -> Trunc -> MatMul(Quant weights, 2^-5)
    -> Quant(2^-3, unsigned, FLOOR) -> MatMul(BipolarQuant weights) -> BipolarQuant
    -> MatMul(Quant weights, 2^-6) -> Quant(2^-2, narrow, CEIL)."""
    rng = np.random.default_rng(13)
    inits = [
        init("s_in", f32(2**-4)), init("z", f32(0)), init("b8", f32(8)), init("b6", f32(6)), init("b4", f32(4)),
        init("w1f", (rng.standard_normal((8, 16)) * 0.4).astype(np.float32)), init("s_w1", f32(2**-5)),
        init("s_h", f32(2**-3)), init("w2f", rng.standard_normal((16, 12)).astype(np.float32)), init("s_w2", f32(0.25)),
        init("s_b", f32(0.5)), init("w3f", rng.standard_normal((12, 4)).astype(np.float32)), init("s_w3", f32(2**-6)),
        init("s_o", f32(2**-2)),
    ]  # fmt: skip
    nodes = [
        quant_node(["x", "s_in", "z", "b8"], "xq"),
        helper.make_node("Trunc", ["xq", "s_in", "z", "b8", "b6"], ["xt"], domain=QONNX, name="trunc"),
        quant_node(["w1f", "s_w1", "z", "b6"], "w1", narrow=1),
        helper.make_node("MatMul", ["xt", "w1"], ["h"], name="fc1"),
        quant_node(["h", "s_h", "z", "b4"], "hq", signed=0, rounding_mode="FLOOR"),
        helper.make_node("BipolarQuant", ["w2f", "s_w2"], ["w2"], domain=QONNX, name="bipolar_w2"),
        helper.make_node("MatMul", ["hq", "w2"], ["h2"], name="fc2"),
        helper.make_node("BipolarQuant", ["h2", "s_b"], ["h2b"], domain=QONNX, name="sign"),
        quant_node(["w3f", "s_w3", "z", "b8"], "w3"),
        helper.make_node("MatMul", ["h2b", "w3"], ["o"], name="fc3"),
        quant_node(["o", "s_o", "z", "b8"], "y", narrow=1, rounding_mode="CEIL"),
    ]
    return make(nodes, inits, [8], [4])


def compile_model(model, tmp_path, x):
    onnx.save(model, tmp_path / "model.onnx")
    np.save(tmp_path / "calibration.npy", x)
    return nncc.compile(tmp_path / "model.onnx", tmp_path / "out", calibration=tmp_path / "calibration.npy")


@needs_gxx
def test_qonnx_pot_end_to_end_is_exact(tmp_path):
    x = on_grid(np.random.default_rng(14), (64, 8), 4)
    design = compile_model(qonnx_pot_mlp(), tmp_path, x)
    fixed_y = design.run(x, "fixed")["y"]
    assert np.array_equal(fixed_y, design.run(x, "csim")["y"])
    # Why the fixed-point design equals the float reference exactly here: the inputs lie on
    # the first quantizer's grid (2^-4, 8 bits), so quantizing them in hardware changes
    # nothing; every weight is on a power-of-two grid and becomes its exact fixed type
    # (fixed.grid); every layer that feeds a power-of-two quantizer keeps its exact
    # accumulator, so each quantizer rounds exactly once, from the same value the float64
    # reference sees (sums of a few dozen dyadic rationals, exact in float64); and the
    # quantizers' roundings have exact fixed-point forms (FLOOR = trn, CEIL = trn after adding
    # one step minus one LSB, BipolarQuant = a sign table, Trunc = a cast with trn, half to
    # even = a parity-picked addend and trn).
    float_y = design.run(x, "float")["y"]
    assert np.array_equal(fixed_y.astype(np.float32), float_y)
    assert np.abs(float_y).max() > 0  # a real computation, not all zeros
    types = [fixed.fixed_of(op.weight) for op in ops_of(design.design, "fixed.dense")]
    assert types == [fixed.FixedType(6, 1), fixed.FixedType(2, 0), fixed.FixedType(8, 2)]


@needs_gxx
def test_pot_qdq_end_to_end_exact_ties_included(tmp_path):
    model = pot_qdq_mlp()
    x = on_grid(np.random.default_rng(15), (256, 8), 4)
    design = compile_model(model, tmp_path, x)
    # the input's QDQ declares its precision: the design takes it as 8 bits of 2^-4
    (quantize,) = ops_of(design.design, "fixed.quantize")
    assert fixed.fixed_of(quantize.output) == fixed.FixedType(8, 4)
    fixed_y = design.run(x, "fixed")["y"]
    assert np.array_equal(fixed_y, design.run(x, "csim")["y"])
    float_y = design.run(x, "float")["y"]
    assert np.array_equal(float_y, ort_run(model, x))
    # Inputs on the grid, weights exact (fixed.grid), accumulators exact: the fixed-point
    # design rounds exactly the values the float reference rounds, and rounds ties to even
    # as ONNX does (a parity table picks the addend before a truncating cast), so it equals
    # onnxruntime bit for bit.
    assert np.array_equal(fixed_y, float_y)
    assert np.array_equal(float_y, pot_reference(model, x, np.rint).astype(np.float32))
    half_up = pot_reference(model, x, lambda v: np.floor(v + 0.5))
    differ = half_up != float_y
    assert 0 < differ.sum() < 0.05 * differ.size  # this batch does meet ties


@needs_gxx
def test_quantize_static_end_to_end(tmp_path):
    qdq = quantize(float_mlp(), tmp_path, QuantType.QUInt8)
    x = np.random.default_rng(16).standard_normal((64, 8)).astype(np.float32)
    design = compile_model(qdq, tmp_path, x)
    fixed_y = design.run(x, "fixed")["y"]
    assert np.array_equal(fixed_y, design.run(x, "csim")["y"])
    float_y = design.run(x, "float")["y"]
    y_scale = next(op.scale.value.data for op in reversed(ops_of(design.model, "nn.fake_quant")))
    # non-power-of-two scales: 18-bit multipliers and 16-bit layer outputs; a few output steps
    assert np.abs(fixed_y - float_y).max() <= 3 * y_scale
    layers = {entry["name"] for entry in design.report["layers"]}
    assert {"x_QuantizeLinear", "y_QuantizeLinear"} <= layers


# ---------------------------------------------------------------------------------------
# (e) what nncc refuses


def problems_of(model) -> list[str]:
    with pytest.raises(NnccError) as info:
        import_onnx(model)
    return info.value.problems


def test_lone_quantize_linear_is_refused():
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["y"], name="q")]
    model = make(
        nodes, [init("s", f32(0.1)), init("z", np.uint8(128))], [4], [4], out_type=TensorProto.UINT8, opsets=()
    )
    (problem,) = problems_of(model)
    assert problem.startswith("node 'q' (QuantizeLinear): its integer output 'y' is a graph output")
    assert "QuantizeLinear -> DequantizeLinear pairs" in problem


def test_per_axis_activation_scale_is_refused():
    nodes, inits = qdq_pair("act", "x", "y", 0.1, np.int8(0))
    inits = [init("act_s", np.asarray([0.1, 0.2, 0.1, 0.3], np.float32)), init("act_z", np.zeros(4, np.int8))]
    model = make(nodes, inits, [4], [4], opsets=())
    problems = problems_of(model)
    assert problems[0] == (
        "node 'act_Q' (QuantizeLinear): per-axis scale (4 values) on a run-time tensor is not supported; "
        "activations must be quantized per tensor"
    )


def test_qonnx_op_on_unsupported_domain_is_refused():
    inits = [init("s", f32(0.25)), init("z", f32(0)), init("b", f32(4))]
    nodes = [
        quant_node(["x", "s", "z", "b"], "q", domain="com.example"),
        helper.make_node("MultiThreshold", ["q", "s"], ["y"], domain=QONNX, name="mt"),
    ]
    model = make(nodes, inits, [4], [4], opsets=((QONNX, 1), ("com.example", 1)))
    assert problems_of(model) == [
        "node 'quant_q' (Quant): unsupported operator domain 'com.example' "
        "(QONNX Quant is imported from the domains qonnx.custom_op.general, finn.custom_op.general, onnx.brevitas)",
        "node 'mt' (MultiThreshold): unsupported operator domain 'qonnx.custom_op.general' "
        "(only Quant, BipolarQuant, Trunc are imported from it)",
    ]


def test_other_quantization_refusals():
    # a requantizing pair (different scales), a run-time rounding mode without a fixed-point
    # form, and a QONNX op name in the default domain
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "s1", "z"], ["q"], name="q"),
        helper.make_node("DequantizeLinear", ["q", "s2", "z"], ["a"], name="dq"),
        quant_node(["a", "s1", "zf", "b"], "u", rounding_mode="UP"),
        helper.make_node("Relu", ["u"], ["y"], name="relu"),
    ]
    inits = [init("s1", f32(0.1)), init("s2", f32(0.2)), init("z", np.int8(0)), init("zf", f32(0)), init("b", f32(8))]
    problems = problems_of(make(nodes, inits, [4], [4]))
    assert problems[0].startswith("node 'dq' (DequantizeLinear): scale 0.2")
    assert "requantizing pairs are not supported" in problems[0]
    bad_rounding = [
        quant_node(["x", "s1", "zf", "b"], "y", rounding_mode="UP"),
    ]
    assert problems_of(make(bad_rounding, inits, [4], [4])) == [
        "node 'quant_y' (Quant): rounding_mode 'UP' is supported only on constants "
        "(run-time tensors take ROUND, HALF_EVEN, FLOOR, CEIL, DOWN, ROUND_TO_ZERO)"
    ]
    default_domain = onnx.helper.make_node("Quant", ["x", "s1", "zf", "b"], ["y"], name="plain")
    graph = helper.make_graph(
        [default_domain], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])], inits,
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=IR_VERSION)
    assert problems_of(model) == ["node 'plain' (Quant): unsupported operator"]


def test_fake_quant_float_semantics():
    """nn.fake_quant rounds half to even, clamps after adding the zero point."""
    from nncc.compiler.api import parse_mlir

    module = parse_mlir(
        """
        func.func @main(%x: tensor<1x6xf32>) -> tensor<1x6xf32> {
          %y = nn.fake_quant %x {bits = 4 : i64, narrow = 0 : i64, rounding = "half_even", scale = 0.5 : f64, signed = 0 : i64, zero_point = 3 : i64} : tensor<1x6xf32>
          func.return %y : tensor<1x6xf32>
        }
        """
    )
    x = np.asarray([[0.25, 0.75, -1.5, -2.0, 5.0, 7.0]], np.float32)
    # x / 0.5 = [0.5, 1.5, -3, -4, 10, 14] -> round [0, 2, -3, -4, 10, 14] + 3 -> clip [0, 15]
    y = run_float(module, {"arg0": x})["out0"]
    assert np.array_equal(y, [[0.0, 1.0, -1.5, -1.5, 5.0, 6.0]])
    assert nn.quant_limits(8, True, True) == (-127, 127) and nn.quant_limits(8, False, True) == (0, 254)
