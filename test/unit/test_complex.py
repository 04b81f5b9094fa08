"""Complex layers (`binary_complex.complex_conv` / `complex_dense`) from real ONNX graphs.

The fixtures come from both torch exporters (test/fixtures/make_torch_fixtures.py): a complex
CNN whose ComplexConv2d / ComplexLinear layers are written with ``torch.chunk``, two real
layers used twice, Sub, Add and ``torch.cat``. Checked: one complex op per layer after import,
the float interpreter against onnxruntime and torch, a real layer with the block weight
[[A, -B], [B, A]] raised to the same op, look-alikes left as the real graphs they are, the
4-product and Gauss 3-product forms equal in fixed point with 3/4 of the multipliers, and
fixed point == C-sim == RTL bit for bit on 1,000 inputs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

import nncc
from nncc.compiler.api import import_model
from nncc.dialects import binary_complex, dataflow, nn

from helpers import differing_bits

FIXTURES = Path(__file__).parent.parent / "fixtures"
REFERENCE = np.load(FIXTURES / "torch_complex.npz")


def op_names(module) -> list[str]:
    return [op.name for op in module.walk() if op.name.startswith(("binary_complex.", "nn.conv", "nn.dense"))]


def ort_run(path: Path, x: np.ndarray, batch: int = 2) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return np.concatenate([session.run(None, {name: x[i:i + batch]})[0] for i in range(0, len(x), batch)])


@pytest.mark.parametrize("exporter", ["dynamo", "script"])
def test_both_exporters_import_one_op_per_complex_layer(exporter):
    path = FIXTURES / f"torch_complex_{exporter}.onnx"
    assert {"Conv", "Gemm", "Sub", "Concat"} <= {n.op_type for n in onnx.load(path).graph.node}
    module = import_model(path)
    assert op_names(module) == ["binary_complex.complex_conv"] * 2 + ["binary_complex.complex_dense"]


@pytest.mark.parametrize("exporter", ["dynamo", "script"])
def test_float_interpreter_matches_onnxruntime_and_torch(exporter, tmp_path):
    path = FIXTURES / f"torch_complex_{exporter}.onnx"
    design = nncc.compile(path, tmp_path / "d", target="hls-cpp")
    x = np.random.default_rng(3).standard_normal((64, 2, 8, 8)).astype(np.float32)
    assert np.abs(design.predict(x, engine="float") - ort_run(path, x)).max() <= 1e-5
    assert np.abs(design.predict(REFERENCE["complex_x"], engine="float") - REFERENCE["complex_y"]).max() <= 1e-5


def _dense_model(path: Path, w: np.ndarray, b: np.ndarray) -> Path:
    graph = helper.make_graph(
        [helper.make_node("Gemm", ["input", "w", "b"], ["output"], transB=1, name="fc")], "g",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [2, w.shape[1]])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [2, w.shape[0]])],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8), path)
    return path


def test_real_layer_with_block_weights_is_raised(tmp_path):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 3, 5)).astype(np.float32)
    w = binary_complex.real_equivalent(a, b).astype(np.float32)
    bias = rng.standard_normal(6).astype(np.float32)
    path = _dense_model(tmp_path / "block.onnx", w, bias)
    module = import_model(path)
    assert op_names(module) == ["binary_complex.complex_dense"]
    x = rng.standard_normal((8, 10)).astype(np.float32)
    design = nncc.compile(path, tmp_path / "d", target="hls-cpp")
    assert np.abs(design.predict(x, engine="float") - ort_run(path, x)).max() <= 1e-5
    w[5, 9] += 0.25  # one weight off the structure: a real layer
    assert op_names(import_model(_dense_model(tmp_path / "real.onnx", w, bias))) == ["nn.dense"]


def _look_alike(path: Path, *, other_weight: bool = False, swap_halves: bool = False) -> Path:
    """A ComplexLinear-like graph on [2, 8] with A' != A in the imaginary part, or the halves
    read in the wrong order by the imaginary part."""
    rng = np.random.default_rng(1)
    a, b = (rng.standard_normal((3, 4)).astype(np.float32) for _ in range(2))
    a2 = a + np.float32(0.5) if other_weight else a
    x_, y_ = ("y", "x") if swap_halves else ("x", "y")
    nodes = [
        helper.make_node("Split", ["input"], ["x", "y"], axis=1, num_outputs=2),
        helper.make_node("Gemm", ["x", "a"], ["ax"], transB=1),
        helper.make_node("Gemm", ["y", "b"], ["by"], transB=1),
        helper.make_node("Sub", ["ax", "by"], ["re"]),
        helper.make_node("Gemm", [y_, "a2"], ["ay"], transB=1),
        helper.make_node("Gemm", [x_, "b"], ["bx"], transB=1),
        helper.make_node("Add", ["ay", "bx"], ["im"]),
        helper.make_node("Concat", ["re", "im"], ["output"], axis=1),
    ]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [2, 8])],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, [2, 6])],
                              [numpy_helper.from_array(v, k) for k, v in (("a", a), ("b", b), ("a2", a2))])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], ir_version=8), path)
    return path


@pytest.mark.parametrize("kind", ["pattern", "other_weight", "swap_halves"])
def test_look_alikes_import_as_the_real_graph(kind, tmp_path):
    path = _look_alike(tmp_path / f"{kind}.onnx", other_weight=kind == "other_weight",
                       swap_halves=kind == "swap_halves")
    module = import_model(path)
    if kind == "pattern":
        assert op_names(module) == ["binary_complex.complex_dense"]
    else:  # (with swapped halves, CSE merges the two equal pairs of layers)
        assert set(op_names(module)) == {"nn.dense"}
    x = np.random.default_rng(2).standard_normal((8, 8)).astype(np.float32)
    design = nncc.compile(path, tmp_path / "d", target="hls-cpp")
    assert np.abs(design.predict(x, engine="float") - ort_run(path, x)).max() <= 1e-5


def pe_multipliers(design) -> int:
    return sum(op.multipliers.value.data for op in design.design.walk() if isinstance(op, dataflow.PeOp))


def test_gauss_form_has_three_quarters_of_the_multipliers_and_the_same_result(tmp_path):
    path = FIXTURES / "torch_complex_dynamo.onnx"
    four = nncc.compile(path, tmp_path / "d4", target="hls-cpp")
    three = nncc.compile(path, tmp_path / "d3", target="hls-cpp", complex_products=3)
    # 4 products: 2M x 2C x 3 x 3 per conv (72, 144) and 6 x 64 for the dense layer
    assert pe_multipliers(four) == 72 + 144 + 384 == 600
    assert pe_multipliers(three) == 450 == 600 * 3 // 4
    assert [op.name for op in three.design.walk() if op.name in ("fixed.conv", "fixed.dense")] == \
        ["fixed.conv"] * 6 + ["fixed.dense"] * 3
    rmps = {p: {s["stage"]: s["total"]["rmps"] for s in d.report["complexity"]["stages"]}
            for p, d in ((4, four), (3, three))}
    assert rmps[3]["fixed_point"] * 4 == rmps[4]["fixed_point"] * 3
    x = np.random.default_rng(4).standard_normal((200, 2, 8, 8)).astype(np.float32)
    fixed = four.predict(x, engine="fixed")
    assert np.array_equal(fixed, three.predict(x, engine="fixed"))
    assert np.abs(fixed - four.predict(x, engine="float")).max() < 2e-3


@pytest.mark.requires("verilator", "g++")
@pytest.mark.parametrize("products", [4, 3])
def test_fixed_csim_rtl_agree(products, tmp_path):
    design = nncc.compile(FIXTURES / "torch_complex_dynamo.onnx", tmp_path / "d", target="all",
                          complex_products=products)
    x = np.random.default_rng(7).standard_normal((1000, 2, 8, 8)).astype(np.float32)
    fixed = design.predict(x, engine="fixed")
    assert np.unique(fixed).size > 1000
    assert differing_bits(fixed, design.predict(x, engine="csim")) == 0
    assert differing_bits(fixed, design.run_rtl(x)["output"]) == 0
    schedule = design.report["schedule"]
    assert (design.rtl_stats["latency"], design.rtl_stats["ii"]) == (schedule["latency_cycles"], schedule["ii_cycles"])
