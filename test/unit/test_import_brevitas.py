"""QONNX as Brevitas writes it: Quant / BipolarQuant / Trunc in the `onnx.brevitas` domain,
per-channel and non-power-of-two scales on run-time activations, quantizers feeding Add,
Concat and Resize.

The float interpreter is compared with a numpy transcription of the QONNX reference
written here (float64; values asserted), and compiled designs must give identical outputs
in the fixed-point interpreter, the g++ C-simulation and Verilator (one Verilator build per
model: the Brevitas-style CNN fixture, and one model for Add + Concat).

How the fixed-point level computes a quantizer whose scale is not a power of two, or that
has one scale per channel: integer requantization with fixed-point multipliers,
n = clamp(R(x * c)) with c = 1/s rounded to 18 bits (one per channel, broadcast along the
channel axis), then n * s with s rounded to 18 bits (see dialects/nn/to_fixed_quant.py).
That is why fixed point and float differ by at most a few quantization steps here, while
fixed point, C++ and Verilog agree bit for bit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from numpy.lib.stride_tricks import sliding_window_view
from onnx import TensorProto, helper, numpy_helper

from nncc.compiler.api import parse_mlir
from nncc.compiler.context import make_context
from nncc.compiler.diagnostics import NnccError
from nncc.compiler.onnx.importer import import_onnx
from nncc.passes.convert_nn_to_fixed import ConvertNnToFixedPass
from nncc.runtime.fixed_interpreter import run_fixed
from nncc.runtime.interpreter import run_float

from helpers import compile_model, ops_of

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
BREVITAS = "onnx.brevitas"

needs_gxx = pytest.mark.requires("g++")
needs_verilator = pytest.mark.requires("verilator")


@pytest.fixture(scope="module", autouse=True)
def build_cache(tmp_path_factory):
    """Keep C-simulation and Verilator builds out of the user's cache."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NNCC_CACHE_DIR", str(tmp_path_factory.mktemp("build-cache")))
        yield


# ---------------------------------------------------------------------------------------
# numpy reference of the QONNX ops (float64)

ROUNDING = {
    "ROUND": np.round,  # half to even
    "FLOOR": np.floor,
    "CEIL": np.ceil,
    "ROUND_TO_ZERO": np.fix,
}


def ref_quant(x, scale, zeropt, bits, signed, narrow, rounding_mode):
    """QONNX Quant: R(clip(x / scale + zeropt, qmin, qmax)), minus zeropt, times scale."""
    scale = np.asarray(scale, np.float64)
    if signed:
        lo, hi = -(2 ** (bits - 1)) + int(narrow), 2 ** (bits - 1) - 1
    else:
        lo, hi = 0, 2**bits - 1 - int(narrow)
    q = ROUNDING[rounding_mode](np.clip(x / scale + zeropt, lo, hi))
    return (q - zeropt) * scale


def ref_bipolar(x, scale):
    return np.where(x >= 0, 1.0, -1.0) * scale


def ref_trunc(x, scale, in_bits, out_bits, rounding_mode):
    """QONNX Trunc (5 inputs, zero point 0)."""
    return ROUNDING[rounding_mode](np.round(x / scale) / 2.0 ** (in_bits - out_bits)) * scale


def ref_conv_pad1(x, w, b):
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    windows = sliding_window_view(xp, w.shape[2:], axis=(2, 3))  # N, C, H, W, kh, kw
    return np.einsum("nchwij,ocij->nohw", windows, w) + b[None, :, None, None]


def constants(model: onnx.ModelProto) -> dict[str, np.ndarray]:
    return {t.name: numpy_helper.to_array(t).astype(np.float64) for t in model.graph.initializer}


def ref_brevitas_cnn(model: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    """The fixture's graph (test/fixtures/make_brevitas.py), op by op in numpy."""
    c = constants(model)
    xq = ref_quant(x.astype(np.float64), c["s_in"], 0, 8, 1, 0, "ROUND")
    w1 = ref_quant(c["w1_float"], c["s_w1"], 0, 4, 1, 1, "ROUND")
    b1 = ref_quant(c["b1_float"], c["s_b1"], 0, 16, 1, 0, "ROUND")
    a1 = ref_quant(np.maximum(ref_conv_pad1(xq, w1, b1), 0), c["s_act"], 0, 4, 0, 0, "ROUND")
    n = a1.shape[0]
    pooled = a1.reshape(n, 4, 4, 2, 4, 2).mean(axis=(3, 5)) * 4
    t1 = ref_trunc(pooled, c["s_act"], 6, 4, "FLOOR").reshape(n, 64)
    w2 = ref_quant(c["w2_float"], c["s_w2"], 0, 4, 1, 1, "ROUND")
    b2 = ref_quant(c["b2_float"], c["s_b2"], 0, 16, 1, 0, "ROUND")
    a2 = ref_quant(t1 @ w2.T + b2, c["s_g2"], 0, 6, 1, 0, "ROUND_TO_ZERO")
    g3 = ref_bipolar(a2, 1.0) @ ref_bipolar(c["w3_float"], 0.5).T
    return ref_quant(g3, c["s_out"], 0, 8, 1, 0, "CEIL")


def fixture_model() -> onnx.ModelProto:
    return onnx.load(FIXTURES / "brevitas_cnn.onnx")


def fixture_inputs(count: int, seed: int = 7) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal((count, 2, 8, 8)) * 0.8).astype(np.float32)


# ---------------------------------------------------------------------------------------
# single quantizers on run-time tensors


def quant_model(scale: np.ndarray, shape, *, bits=6, signed=1, narrow=0, rounding="ROUND", zeropt=0.0):
    """x -> Quant (onnx.brevitas) -> y; no opset import for the custom domain (as older
    Brevitas exports)."""
    inits = [
        numpy_helper.from_array(np.asarray(scale, np.float32), "s"),
        numpy_helper.from_array(np.float32(zeropt), "z"),
        numpy_helper.from_array(np.float32(bits), "b"),
    ]
    node = helper.make_node(
        "Quant", ["x", "s", "z", "b"], ["y"], domain=BREVITAS, name="q", signed=signed, narrow=narrow,
        rounding_mode=rounding,
    )  # fmt: skip
    graph = helper.make_graph(
        [node], "q", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", *shape])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", *shape])], inits,
    )  # fmt: skip
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=9)


SCALE_CASES = {
    "per-tensor-0.0173": (np.float32(0.0173), (3, 4, 4)),
    "per-channel-1C11": (np.asarray([0.05, 0.0173, 0.11], np.float32).reshape(1, 3, 1, 1), (3, 4, 4)),
    "per-channel-C11": (np.asarray([0.05, 0.0173, 0.11], np.float32).reshape(3, 1, 1), (3, 4, 4)),
    "per-channel-dense": (np.asarray([[0.25, 0.0173, 0.031, 0.5, 0.07]], np.float32), (5,)),
}
GRIDS = [(6, 1, 0, 0.0), (4, 1, 1, 0.0), (5, 0, 0, 0.0), (8, 0, 1, 3.0)]  # bits, signed, narrow, zero point


@pytest.mark.parametrize("rounding", list(ROUNDING))
@pytest.mark.parametrize("case", list(SCALE_CASES))
def test_quant_on_activations_matches_reference(case, rounding):
    scale, shape = SCALE_CASES[case]
    x = (np.random.default_rng(3).standard_normal((16, *shape)) * 0.5).astype(np.float32)
    for bits, signed, narrow, zp in GRIDS:
        if rounding == "ROUND_TO_ZERO" and zp:
            continue  # refused on run-time tensors (test_round_to_zero_with_zero_point_is_refused)
        model = quant_model(scale, shape, bits=bits, signed=signed, narrow=narrow, rounding=rounding, zeropt=zp)
        module = import_onnx(model)
        kind = "nn.fake_quant" if np.asarray(scale).size == 1 else "nn.fake_quant_axis"
        assert [op.name for op in module.walk() if op.name.startswith("nn.fake")] == [kind]
        got = run_float(module, {"x": x})["y"]
        want = ref_quant(x.astype(np.float64), scale, zp, bits, signed, narrow, rounding).astype(np.float32)
        assert np.array_equal(got, want), (bits, signed, narrow, zp)
        steps = np.unique(np.round(want / np.asarray(scale, np.float32)))
        assert len(steps) >= 8  # many grid points are hit, both clamps included
    (axis_op,) = ops_of(module, "nn.fake_quant_axis") or [None]
    if axis_op is not None:
        assert axis_op.axis.value.data == 1


def test_round_to_zero_with_zero_point_is_refused():
    # toward zero rounds x / scale + zero point by its own sign; nncc's quantizers take
    # that form only with zero point 0 (on constants, any zero point folds exactly)
    with pytest.raises(NnccError) as info:
        import_onnx(quant_model(np.float32(0.25), (4,), bits=8, signed=0, rounding="ROUND_TO_ZERO", zeropt=3.0))
    assert info.value.problems == [
        "node 'q' (Quant): rounding toward zero with zero point 3 is supported only on constants"
    ]


def test_other_brevitas_ops_and_channel_forms_are_refused():
    # Brevitas's FloatQuant is not imported; a per-channel BipolarQuant on an activation and
    # a scale that spans two axes have no nncc form: one message per node
    inits = [
        numpy_helper.from_array(np.float32(0.5), "s"),
        numpy_helper.from_array(np.asarray([0.5, 0.25, 0.5, 0.25], np.float32), "s4"),
        numpy_helper.from_array(np.full((2, 2), 0.5, np.float32) + np.eye(2, dtype=np.float32), "s22"),
        numpy_helper.from_array(np.float32(0), "z"), numpy_helper.from_array(np.float32(4), "b"),
    ]  # fmt: skip
    nodes = [
        helper.make_node("FloatQuant", ["x", "s", "b", "b", "b", "s"], ["f"], domain=BREVITAS, name="fq"),
        helper.make_node("BipolarQuant", ["x", "s4"], ["bq"], domain=BREVITAS, name="bq"),
        helper.make_node("Quant", ["x2", "s22", "z", "b"], ["q2"], domain=BREVITAS, name="q2"),
    ]
    graph = helper.make_graph(
        nodes, "refused",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4]),
         helper.make_tensor_value_info("x2", TensorProto.FLOAT, ["N", 2, 2])],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, shape)
         for n, shape in (("f", ["N", 4]), ("bq", ["N", 4]), ("q2", ["N", 2, 2]))], inits,
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=9)
    with pytest.raises(NnccError) as info:
        import_onnx(model)
    assert info.value.problems == [
        "node 'fq' (FloatQuant): unsupported operator domain 'onnx.brevitas' "
        "(only Quant, BipolarQuant, Trunc are imported from it)"
    ]
    del model.graph.node[0], model.graph.output[0]
    with pytest.raises(NnccError) as info:
        import_onnx(model)
    assert info.value.problems[0].startswith("node 'bq' (BipolarQuant): per-axis scale (4 values)")
    del model.graph.node[0], model.graph.output[0]
    with pytest.raises(NnccError) as info:
        import_onnx(model)
    assert info.value.problems == [
        "node 'q2' (Quant): scale of shape [2, 2] does not give one value per channel along one "
        "non-batch axis of the input of shape [1, 2, 2]"
    ]


def test_rounding_modes_differ_where_they_should():
    # the four modes on the same inputs: exactly the expected integers
    x = np.asarray([[-1.5, -1.2, -0.5, 0.5, 1.2, 1.5, 2.5, -2.5]], np.float32)
    expected = {
        "ROUND": [-2, -1, -0, 0, 1, 2, 2, -2],
        "FLOOR": [-2, -2, -1, 0, 1, 1, 2, -3],
        "CEIL": [-1, -1, 0, 1, 2, 2, 3, -2],
        "ROUND_TO_ZERO": [-1, -1, 0, 0, 1, 1, 2, -2],
    }
    for mode, ints in expected.items():
        module = import_onnx(quant_model(np.float32(1.0), (8,), bits=8, rounding=mode))
        assert np.array_equal(run_float(module, {"x": x})["y"], np.asarray([ints], np.float32)), mode


def test_unregistered_domain_passes_checker_and_shape_inference():
    model = fixture_model()
    assert {n.domain for n in model.graph.node} == {"", BREVITAS}
    onnx.checker.check_model(model)
    onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    module = import_onnx(model)
    assert len(ops_of(module, "nn.fake_quant_axis")) == 1
    assert len(ops_of(module, "nn.sign")) == 1
    assert len(ops_of(module, "nn.fake_quant")) == 5  # input, act, Trunc's two, output
    # quantized weights and biases were folded into constants: no quantizer on them remains
    assert [op.name for op in module.walk() if op.name in ("nn.conv", "nn.dense")] == ["nn.conv", "nn.dense", "nn.dense"]


def test_fixture_is_reproducible():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_brevitas", FIXTURES / "make_brevitas.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.build().SerializeToString() == fixture_model().SerializeToString()


def test_fixture_float_matches_reference():
    model = fixture_model()
    x = fixture_inputs(64)
    got = run_float(import_onnx(model), {"x": x})["y"]
    want = ref_brevitas_cnn(model, x)
    assert np.abs(got - want).max() <= 1e-6
    steps = np.round(want / constants(model)["s_out"])
    # the last layer sums six ±1 x ±0.5 products: at most 7 values, 6 of them are met here
    assert len(np.unique(steps)) >= 6 and np.any(steps < 0) and np.any(steps > 0)


@pytest.mark.parametrize("rounding", ["half_even", "floor", "ceil", "to_zero"])
def test_fixed_point_rounding_is_exact_ties_included(rounding):
    # inputs on a 2^-5 grid meet every kind of tie; power-of-two scales per tensor and per
    # channel: the fixed-point interpreter equals the float reference exactly
    module = parse_mlir(f"""
        func.func @main(%x: tensor<1x8xf32> {{fixed.range = array<f64: -3.0, 3.0>}}) -> (tensor<1x8xf32>, tensor<1x8xf32>) {{
          %p = nn.fake_quant %x {{bits = 4 : i64, narrow = 0 : i64, rounding = "{rounding}", scale = 0.25 : f64, signed = 1 : i64, zero_point = 0 : i64}} : tensor<1x8xf32>
          %u = nn.fake_quant_axis %x {{axis = 1 : i64, bits = 6 : i64, narrow = 0 : i64, rounding = "{rounding}", scales = array<f64: 0.5, 0.125, 0.25, 0.0625, 1.0, 0.5, 0.125, 0.25>, signed = 1 : i64, zero_point = 0 : i64}} : tensor<1x8xf32>
          func.return %p, %u : tensor<1x8xf32>, tensor<1x8xf32>
        }}""")  # fmt: skip
    x = np.repeat(np.arange(-96, 96, dtype=np.float32)[:, None] * 2**-5, 8, axis=1)
    want = run_float(module, {"arg0": x})
    ConvertNnToFixedPass().apply(make_context(), module)
    got = run_fixed(module, {"arg0": x})
    for name in ("out0", "out1"):
        assert np.array_equal(got[name], want[name]), name
    ties = np.abs(x[:, 0] / 0.25 - np.round(x[:, 0] / 0.25)) == 0.5
    assert ties.sum() == 24  # the grid holds ties of the per-tensor scale


# ---------------------------------------------------------------------------------------
# a model exported by Brevitas itself (test/fixtures/make_brevitas_export.py)


def brevitas_export() -> tuple[onnx.ModelProto, np.ndarray, np.ndarray]:
    io = np.load(FIXTURES / "brevitas_export_io.npz")
    return onnx.load(FIXTURES / "brevitas_export.onnx"), io["x"], io["y"]


def test_real_brevitas_export_matches_brevitas():
    # Brevitas 0.13 writes the qonnx.custom_op.general domain (version 2), a 6-input Trunc
    # with rounding_mode "round", and a per-channel output quantizer [1, 5]
    model, x, y_brevitas = brevitas_export()
    trunc = next(n for n in model.graph.node if n.op_type == "Trunc")
    assert len(trunc.input) == 6
    module = import_onnx(model)
    (axis_op,) = ops_of(module, "nn.fake_quant_axis")
    assert axis_op.axis.value.data == 1 and len(set(axis_op.scale_values())) == 5
    got = run_float(module, {model.graph.input[0].name: x})[model.graph.output[0].name]
    assert np.array_equal(got, y_brevitas)  # bit for bit what Brevitas computes
    assert len(np.unique(y_brevitas)) > 100


def test_trunc_six_inputs_on_constants_and_activations():
    # x -> Quant(2^-4) -> Trunc(scale 2^-4, in 8 bits, out_scale 2^-2, out 4 bits, signed
    # narrow, FLOOR) + the same Trunc on a constant
    c = (np.random.default_rng(17).standard_normal(16) * 3).astype(np.float32)
    inits = {"s": np.float32(2**-4), "z": np.float32(0), "b8": np.float32(8), "os": np.float32(2**-2),
             "b4": np.float32(4), "c": c}  # fmt: skip
    trunc = dict(domain=BREVITAS, rounding_mode="floor", signed=1, narrow=1)
    nodes = [
        helper.make_node("Quant", ["x", "s", "z", "b8"], ["xq"], domain=BREVITAS, name="q", signed=1),
        helper.make_node("Trunc", ["xq", "s", "z", "b8", "os", "b4"], ["t"], name="trunc", **trunc),
        helper.make_node("Trunc", ["c", "s", "z", "b8", "os", "b4"], ["tc"], name="trunc_c", **trunc),
        helper.make_node("Add", ["t", "tc"], ["y"], name="add"),
    ]
    graph = helper.make_graph(
        nodes, "trunc6", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 16])],
        [numpy_helper.from_array(np.asarray(v), k) for k, v in inits.items()],
    )  # fmt: skip
    module = import_onnx(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=9))
    x = (np.random.default_rng(18).standard_normal((8, 16)) * 3).astype(np.float64)

    def ref_trunc_v2(v):  # trunc scale 2^round(log2(2^-2 / 2^-4)) = 4, clamp to [-7, 7]
        return np.floor(np.clip(np.round(v / 2**-4) / 4, -7, 7)) * 2**-2

    want = ref_trunc_v2(ref_quant(x, 2**-4, 0, 8, 1, 0, "ROUND")) + ref_trunc_v2(c.astype(np.float64))
    got = run_float(module, {"x": x.astype(np.float32)})["y"]
    assert np.array_equal(got, want.astype(np.float32))
    assert len(np.unique(want)) > 10


# ---------------------------------------------------------------------------------------
# quantizers feeding Add, Concat, Resize


def add_concat_model() -> onnx.ModelProto:
    """x [N, 4] -> qa = Quant(0.0173, int8), qb = Quant(per-channel, int6, ROUND_TO_ZERO);
    s = Add(qa, qb) -> Quant(0.029, int8, FLOOR); y = Concat(s_q, qb) -> Quant(2^-4, int8)."""
    inits = {
        "s_a": np.float32(0.0173), "s_b": np.asarray([[0.05, 0.021, 0.1, 0.033]], np.float32),
        "s_s": np.float32(0.029), "s_y": np.float32(2**-4),
        "z": np.float32(0), "b8": np.float32(8), "b6": np.float32(6),
    }  # fmt: skip
    q = lambda i, o, **a: helper.make_node("Quant", i, [o], domain=BREVITAS, name=f"q_{o}", signed=1, narrow=0, **a)  # noqa: E731
    nodes = [
        q(["x", "s_a", "z", "b8"], "qa", rounding_mode="ROUND"),
        q(["x", "s_b", "z", "b6"], "qb", rounding_mode="ROUND_TO_ZERO"),
        helper.make_node("Add", ["qa", "qb"], ["s"], name="add"),
        q(["s", "s_s", "z", "b8"], "sq", rounding_mode="FLOOR"),
        helper.make_node("Concat", ["sq", "qb"], ["c"], name="concat", axis=1),
        q(["c", "s_y", "z", "b8"], "y", rounding_mode="ROUND"),
    ]
    graph = helper.make_graph(
        nodes, "add_concat", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 8])],
        [numpy_helper.from_array(np.asarray(v), k) for k, v in inits.items()],
    )  # fmt: skip
    imports = [helper.make_opsetid("", 17), helper.make_opsetid(BREVITAS, 1)]
    return helper.make_model(graph, opset_imports=imports, ir_version=9)


def ref_add_concat(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.float64)
    qa = ref_quant(x, np.float32(0.0173), 0, 8, 1, 0, "ROUND")
    qb = ref_quant(x, np.asarray([[0.05, 0.021, 0.1, 0.033]], np.float32), 0, 6, 1, 0, "ROUND_TO_ZERO")
    sq = ref_quant(qa + qb, np.float32(0.029), 0, 8, 1, 0, "FLOOR")
    return ref_quant(np.concatenate([sq, qb], axis=1), 2**-4, 0, 8, 1, 0, "ROUND")


def test_add_and_concat_float_match_reference():
    x = np.random.default_rng(5).standard_normal((256, 4)).astype(np.float32)
    module = import_onnx(add_concat_model())
    assert [op.name for op in module.walk() if op.name in ("nn.add", "nn.concat")] == ["nn.add", "nn.concat"]
    got = run_float(module, {"x": x})["y"]
    want = ref_add_concat(x)
    assert np.abs(got - want).max() <= 1e-6
    assert len(np.unique(want)) > 50


def resize_model() -> onnx.ModelProto:
    """x [N, 2, 3, 3] -> Quant(per-channel) -> Resize nearest x2 -> Quant(0.0173)."""
    inits = {
        "s_c": np.asarray([0.05, 0.0173], np.float32).reshape(1, 2, 1, 1), "s_o": np.float32(0.0173),
        "z": np.float32(0), "b6": np.float32(6), "scales": np.asarray([1, 1, 2, 2], np.float32),
    }  # fmt: skip
    nodes = [
        helper.make_node("Quant", ["x", "s_c", "z", "b6"], ["q"], domain=BREVITAS, name="q", signed=1, rounding_mode="ROUND"),
        helper.make_node("Resize", ["q", "", "scales"], ["r"], name="resize", mode="nearest"),
        helper.make_node("Quant", ["r", "s_o", "z", "b6"], ["y"], domain=BREVITAS, name="qy", signed=1, rounding_mode="FLOOR"),
    ]  # fmt: skip
    graph = helper.make_graph(
        nodes, "resize", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2, 3, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 2, 6, 6])],
        [numpy_helper.from_array(np.asarray(v), k) for k, v in inits.items()],
    )  # fmt: skip
    imports = [helper.make_opsetid("", 17), helper.make_opsetid(BREVITAS, 1)]
    return helper.make_model(graph, opset_imports=imports, ir_version=9)


@needs_gxx
def test_quant_feeding_resize(tmp_path):
    x = np.random.default_rng(6).standard_normal((32, 2, 3, 3)).astype(np.float32)
    scales = np.asarray([0.05, 0.0173], np.float32).astype(np.float64).reshape(1, 2, 1, 1)  # the model's float32 scales
    q = ref_quant(x.astype(np.float64), scales, 0, 6, 1, 0, "ROUND")
    want = ref_quant(q.repeat(2, axis=2).repeat(2, axis=3), np.float64(np.float32(0.0173)), 0, 6, 1, 0, "FLOOR")
    got = run_float(import_onnx(resize_model()), {"x": x})["y"]
    assert np.abs(got - want).max() <= 1e-6
    design = compile_model(resize_model(), tmp_path, x)
    assert np.array_equal(design.run(x, "fixed")["y"], design.run(x, "csim")["y"])


# ---------------------------------------------------------------------------------------
# compiled: fixed-point interpreter == C-sim == Verilator


def check_bit_exact(design, x, out_scale: float, want: np.ndarray) -> np.ndarray:
    """fixed == csim == RTL bit for bit; returns the fixed-point output's distance to the
    float reference in output quantization steps."""
    fixed_y = design.run(x, "fixed")["y"]
    assert np.array_equal(fixed_y, design.run(x, "csim")["y"])
    assert np.array_equal(fixed_y, design.run_rtl(x)["y"])
    return np.abs(fixed_y - want) / out_scale


@needs_gxx
@needs_verilator
def test_brevitas_cnn_compiles_bit_exact(tmp_path):
    model = fixture_model()
    x = fixture_inputs(200, seed=8)
    design = compile_model(model, tmp_path, x)
    tables = sorted(op.function.data for op in design.design.walk() if op.name == "fixed.lut")
    # half-to-even addends of the input, activation and Trunc quantizers (xq, a1, and the
    # Trunc's first step; its second rounds with floor), a2's toward-zero addend,
    # BipolarQuant(a2)
    assert tables == ["round_half_even"] * 3 + ["round_to_zero", "sign"]
    steps = check_bit_exact(design, x, 0.0371, ref_brevitas_cnn(model, x))
    # every quantizer lands on the float reference's integer; only the output scale 0.0371,
    # an 18-bit constant in hardware, moves the values, by far less than a step (measured
    # 0.00035 steps)
    assert steps.max() < 0.01


@needs_gxx
@needs_verilator
def test_real_brevitas_export_compiles_bit_exact(tmp_path):
    model, x, y_brevitas = brevitas_export()
    design = compile_model(model, tmp_path, x)
    name = model.graph.output[0].name
    fixed_y = design.run(x, "fixed")[name]
    assert np.array_equal(fixed_y, design.run(x, "csim")[name])
    assert np.array_equal(fixed_y, design.run_rtl(x)[name])
    # In output steps of each channel's scale. Every quantizer rounds exactly (ties to
    # even included, the TruncAvgPool's two steps on integers); what remains is the 16-bit
    # input x and the 18-bit reciprocal of the first scale, which move about 0.5% of the
    # input quantizer's roundings by one step; measured: 94.4% of the outputs equal
    # Brevitas's exactly, the rest are within 9 steps of the small output scales.
    scales = np.asarray(ops_of(design.model, "nn.fake_quant_axis")[0].scale_values())
    steps = np.abs(fixed_y - y_brevitas) / scales
    assert np.mean(steps < 1e-3) > 0.9 and steps.max() <= 16


@needs_gxx
@needs_verilator
def test_add_concat_compiles_bit_exact(tmp_path):
    x = np.random.default_rng(9).standard_normal((256, 4)).astype(np.float32)
    design = compile_model(add_concat_model(), tmp_path, x)
    steps = check_bit_exact(design, x, 2**-4, ref_add_concat(x))
    # the 18-bit reciprocals of 0.0173 and 0.029 move a few values across a rounding edge:
    # at most one step, on under 1% of the outputs (measured: 0.15%)
    assert steps.max() <= 1 and np.mean(steps > 0) < 0.01


def pot_channel_model() -> onnx.ModelProto:
    """x [N, 4] (Quant 2^-4) -> Gemm (Quant weights 2^-3) -> Quant(per-channel powers of two,
    FLOOR) -> y [N, 3]."""
    w = np.random.default_rng(11).integers(-7, 8, (3, 4)).astype(np.float32) * 2**-3
    inits = {
        "s_x": np.float32(2**-4), "w_float": w, "s_w": np.float32(2**-3),
        "s_y": np.asarray([[0.5, 2**-3, 2**-6]], np.float32), "z": np.float32(0), "b8": np.float32(8),
    }  # fmt: skip
    nodes = [
        helper.make_node("Quant", ["x", "s_x", "z", "b8"], ["xq"], domain=BREVITAS, name="qx", signed=1),
        helper.make_node("Quant", ["w_float", "s_w", "z", "b8"], ["w"], domain=BREVITAS, name="qw", signed=1),
        helper.make_node("Gemm", ["xq", "w"], ["g"], name="fc", transB=1),
        helper.make_node("Quant", ["g", "s_y", "z", "b8"], ["y"], domain=BREVITAS, name="qy", signed=1, rounding_mode="FLOOR"),
    ]  # fmt: skip
    graph = helper.make_graph(
        nodes, "pot_channel", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])],
        [numpy_helper.from_array(np.asarray(v), k) for k, v in inits.items()],
    )  # fmt: skip
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(BREVITAS, 1)], ir_version=9)


@needs_gxx
def test_power_of_two_channel_scales_are_exact(tmp_path):
    # inputs on the input quantizer's grid, weights on theirs: the layer keeps its exact
    # accumulator, the per-channel multipliers 2, 8, 64 and scales are exact constants, so
    # fixed point equals the float reference exactly (FLOOR has no ties to break)
    x = (np.random.default_rng(12).integers(-128, 128, (128, 4)) * 2**-4).astype(np.float32)
    design = compile_model(pot_channel_model(), tmp_path, x)
    fixed_y = design.run(x, "fixed")["y"]
    assert np.array_equal(fixed_y, design.run(x, "csim")["y"])
    float_y = design.run(x, "float")["y"]
    assert np.array_equal(fixed_y.astype(np.float32), float_y)
    steps = float_y / np.asarray([[0.5, 2**-3, 2**-6]])
    assert np.all(steps == np.round(steps)) and len(np.unique(float_y)) > 40
    assert ops_of(design.design, "fixed.dense")[0].results[0].uses  # the dense layer is there
