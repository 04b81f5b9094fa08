"""k-winners-take-all (`nn.kwta`): activation sparsity for complementary-sparse layers.

A model writes it as the k-th largest value of a row (TopK then a Slice of its last value),
a comparison and a select (``torch.where`` or a product with the mask); the importer turns
that sub-graph into one `nn.kwta`. The fixtures come from both torch exporters
(test/fixtures/make_torch_fixtures.py: Linear 16-32, k-WTA k 8 in the where form, Linear
32-24, k-WTA k 6 in the mask-product form, Linear 24-5). Checked: the float interpreter
against onnxruntime and torch, the op's semantics against a sort on integer rows with ties,
and fixed point == C-sim == RTL bit for bit, for the MLP and for a convolution whose
channels compete per pixel (parallel and stream I/O).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper
from xdsl.dialects.builtin import TensorType, f32
from xdsl.ir import Block

import nncc
from nncc.compiler.diagnostics import NnccError
from nncc.compiler.onnx.importer import import_onnx
from nncc.dialects import nn

from helpers import differing_bits

FIXTURES = Path(__file__).parent.parent / "fixtures"
REFERENCE = np.load(FIXTURES / "torch_batch2.npz")


def kwta_ops(module) -> list[nn.KwtaOp]:
    return [op for op in module.walk() if isinstance(op, nn.KwtaOp)]


@pytest.mark.parametrize("exporter", ["dynamo", "script"])
def test_both_exporters_import_one_op_per_layer(exporter):
    path = FIXTURES / f"torch_kwta_{exporter}.onnx"
    ops = kwta_ops(import_onnx(path))
    assert [(op.k.value.data, op.axis.value.data) for op in ops] == [(8, 1), (6, 1)]
    model = onnx.load(path)
    assert {"TopK", "GreaterOrEqual", "Where", "Mul"} <= {n.op_type for n in model.graph.node}


@pytest.mark.parametrize("exporter", ["dynamo", "script"])
def test_float_interpreter_matches_onnxruntime_and_torch(exporter, tmp_path):
    path = FIXTURES / f"torch_kwta_{exporter}.onnx"
    design = nncc.compile(path, tmp_path / "d", target="hls-cpp")
    x = np.random.default_rng(3).standard_normal((64, 16)).astype(np.float32)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    want = np.concatenate([session.run(None, {"input": x[i:i + 2]})[0] for i in range(0, 64, 2)])
    got = design.predict(x, engine="float")
    assert np.abs(got - want).max() <= 1e-5
    assert np.abs(design.predict(REFERENCE["kwta_x"], engine="float") - REFERENCE["kwta_y"]).max() <= 1e-5


def test_semantics_keep_every_element_at_least_the_kth_largest():
    """On integer rows with many ties: an element stays iff it is >= the k-th largest."""
    block = Block(arg_types=[TensorType(f32, (1, 12, 3))])
    rng = np.random.default_rng(0)
    x = rng.integers(-4, 5, (50, 12, 3)).astype(np.int64)
    for k in (1, 4, 12):
        op = nn.KwtaOp(block.args[0], k, 1)
        got = op.evaluate_fixed([x], 50)
        kth = -np.sort(-x, axis=1)[:, k - 1:k, :]
        assert np.array_equal(got, np.where(x >= kth, x, 0))
        assert ((got != 0) | (x == 0)).sum(axis=1).min() >= k  # at least k winners, ties included
    with pytest.raises(Exception, match="k = 13 must be in"):
        nn.KwtaOp(block.args[0], 13, 1).verify()


@pytest.mark.requires("verilator", "g++")
def test_mlp_fixed_csim_rtl_agree(tmp_path):
    design = nncc.compile(FIXTURES / "torch_kwta_dynamo.onnx", tmp_path / "d", target="all")
    x = np.random.default_rng(5).standard_normal((1000, 16)).astype(np.float32)
    fixed = design.predict(x, engine="fixed")
    assert np.unique(fixed).size > 500
    assert differing_bits(fixed, design.predict(x, engine="csim")) == 0
    assert differing_bits(fixed, design.run_rtl(x)["output"]) == 0
    schedule = design.report["schedule"]
    assert (design.rtl_stats["latency"], design.rtl_stats["ii"]) == (schedule["latency_cycles"], schedule["ii_cycles"])
    # the hidden layer really is sparse: at most 8 of the 32 first-layer outputs reach fc2
    verilog = (design.folder / "verilog" / f"{design.top}.v").read_text()
    assert verilog.count(" < 8) ?") == 32 and verilog.count(" < 6) ?") == 24


def conv_kwta_model(path: Path) -> Path:
    """Conv 1->8 3x3 on 8x8, k-WTA over the channels of each pixel (k 3), Flatten, Gemm 4."""
    rng = np.random.default_rng(0)
    nodes = [
        helper.make_node("Conv", ["input", "w", "b"], ["c"]),
        helper.make_node("TopK", ["c", "k"], ["v", "i"], axis=1),
        helper.make_node("Slice", ["v", "s", "e", "a"], ["kth"]),
        helper.make_node("GreaterOrEqual", ["c", "kth"], ["ge"]),
        helper.make_node("Where", ["ge", "c", "zero"], ["kw"]),
        helper.make_node("Flatten", ["kw"], ["f"]),
        helper.make_node("Gemm", ["f", "w2"], ["output"], transB=1),
    ]
    consts = {"w": (rng.standard_normal((8, 1, 3, 3)) * 0.4).astype(np.float32),
              "b": rng.uniform(-0.1, 0.1, 8).astype(np.float32),
              "w2": (rng.standard_normal((4, 8 * 36)) * 0.1).astype(np.float32),
              "k": np.array([3], np.int64), "s": np.array([-1], np.int64), "e": np.array([2**62], np.int64),
              "a": np.array([1], np.int64), "zero": np.array(0, np.float32)}
    graph = helper.make_graph(nodes, "kwta_conv", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 1, 8, 8])],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", 4])],
                              [numpy_helper.from_array(v, k) for k, v in consts.items()])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8), path)
    return path


@pytest.mark.requires("verilator", "g++")
@pytest.mark.parametrize("io", ["parallel", "stream"])
def test_channels_compete_per_pixel(tmp_path, io):
    path = conv_kwta_model(tmp_path / "kc.onnx")
    design = nncc.compile(path, tmp_path / "d", target="all", io=io)
    assert [(op.k.value.data, op.axis.value.data) for op in kwta_ops(design.model)] == [(3, 1)]
    x = np.random.default_rng(1).standard_normal((200, 1, 8, 8)).astype(np.float32)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert np.abs(design.predict(x, engine="float") - session.run(None, {"input": x})[0]).max() <= 1e-5
    fixed = design.predict(x, engine="fixed")
    assert differing_bits(fixed, design.predict(x, engine="csim")) == 0
    assert differing_bits(fixed, design.run_rtl(x)["output"]) == 0
    schedule = design.report["schedule"]
    assert (design.rtl_stats["latency"], design.rtl_stats["ii"]) == (schedule["latency_cycles"], schedule["ii_cycles"])


def test_topk_outside_the_pattern_is_reported(tmp_path):
    """TopK whose indices are used is not a k-WTA: a clear error naming the node."""
    nodes = [helper.make_node("TopK", ["input", "k"], ["v", "i"], axis=1, name="top3"),
             helper.make_node("Cast", ["i"], ["output"], to=TensorProto.FLOAT)]
    graph = helper.make_graph(nodes, "topk", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 8])],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", 3])],
                              [numpy_helper.from_array(np.array([3], np.int64), "k")])
    path = tmp_path / "topk.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8), path)
    with pytest.raises(NnccError, match=r"node 'top3' \(TopK\): supported only as k-winners-take-all"):
        import_onnx(path)


def kwta_mlp(path: Path, *, width: int = 128, sorted_: int = 1, zeros: str = "initializer") -> Path:
    """Gemm 8 -> width, k-WTA (k 5) in the Where form, whose zeros are an initializer of the
    batch's shape [2, width] (torch's zeros_like), or ConstantOfShape of the input's shape."""
    rng = np.random.default_rng(1)
    nodes = [helper.make_node("Gemm", ["input", "w"], ["h"], transB=1),
             helper.make_node("TopK", ["h", "k"], ["v", "i"], axis=1, sorted=sorted_, name="topk"),
             helper.make_node("Slice", ["v", "s", "e", "a"], ["kth"]),
             helper.make_node("GreaterOrEqual", ["h", "kth"], ["ge"])]
    consts = {"w": rng.standard_normal((width, 8)).astype(np.float32), "k": np.array([5], np.int64),
              "s": np.array([4], np.int64), "e": np.array([5], np.int64), "a": np.array([1], np.int64)}
    if zeros == "initializer":
        consts["zero"] = np.zeros((2, width), np.float32)
    else:
        nodes += [helper.make_node("Shape", ["h"], ["shape"]),
                  helper.make_node("ConstantOfShape", ["shape"], ["zero"],
                                   value=numpy_helper.from_array(np.zeros(1, np.float32)))]
    nodes.append(helper.make_node("Where", ["ge", "h", "zero"], ["output"]))
    graph = helper.make_graph(nodes, "kwta_wide", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [2, 8])],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, [2, width])],
                              [numpy_helper.from_array(v, k) for k, v in consts.items()])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8), path)
    return path


@pytest.mark.parametrize("zeros", ["initializer", "constant_of_shape"])
def test_wide_layers_and_their_zeros(tmp_path, zeros):
    """A 128-wide layer: the select's zeros of the batch's shape (an initializer of 256 zeros,
    or ConstantOfShape of the input's shape) are recognised whatever their size."""
    path = kwta_mlp(tmp_path / "wide.onnx", zeros=zeros)
    assert [op.k.value.data for op in kwta_ops(import_onnx(path))] == [5]
    design = nncc.compile(path, tmp_path / "d", target="hls-cpp")
    x = np.random.default_rng(2).standard_normal((16, 8)).astype(np.float32)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    want = np.concatenate([session.run(None, {"input": x[i:i + 2]})[0] for i in range(0, 16, 2)])
    assert np.abs(design.predict(x, engine="float") - want).max() <= 1e-5


def test_unsorted_topk_is_not_a_kwta(tmp_path):
    """With sorted = 0 the last TopK value is not the k-th largest: refused, not mis-imported."""
    with pytest.raises(NnccError, match=r"node 'topk' \(TopK\): supported only as k-winners-take-all.*sorted = 1"):
        import_onnx(kwta_mlp(tmp_path / "unsorted.onnx", sorted_=0))
