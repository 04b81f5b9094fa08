"""Valid seed models for `fuzz_import.py` (built with onnx.helper), and the resource bombs:
a deep elementwise chain, a graph of a million nodes, a declared 10^12-element tensor."""

from __future__ import annotations

import random

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


# -- seed models built with onnx.helper ----------------------------------------------------------
def _weights(rng: np.random.Generator, *shape) -> TensorProto:
    return numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32) * 0.5)


def _model(nodes, inputs, outputs, inits, opset: int = 17) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "g", inputs, outputs, inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def tiny_mlp() -> onnx.ModelProto:
    """[N,4] -> Gemm(transB) -> Relu -> MatMul -> Add -> Softmax."""
    r = np.random.default_rng(1)
    w1, b1, w2, b2 = _weights(r, 3, 4), _weights(r, 3), _weights(r, 3, 2), _weights(r, 2)
    for t, n in zip((w1, b1, w2, b2), ("w1", "b1", "w2", "b2")):
        t.name = n
    nodes = [
        helper.make_node("Gemm", ["x", "w1", "b1"], ["h"], name="fc1", transB=1),
        helper.make_node("Relu", ["h"], ["r"], name="relu"),
        helper.make_node("MatMul", ["r", "w2"], ["m"], name="fc2"),
        helper.make_node("Add", ["m", "b2"], ["a"], name="bias"),
        helper.make_node("Softmax", ["a"], ["y"], name="softmax", axis=-1),
    ]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 2])
    return _model(nodes, [x], [y], [w1, b1, w2, b2])


def tiny_cnn() -> onnx.ModelProto:
    """[N,1,6,6] -> Conv -> BatchNorm -> Relu -> MaxPool -> Flatten -> Gemm -> Sigmoid."""
    r = np.random.default_rng(2)
    inits = {"k": _weights(r, 2, 1, 3, 3), "kb": _weights(r, 2), "s": _weights(r, 2), "bb": _weights(r, 2),
             "mu": _weights(r, 2), "var": numpy_helper.from_array(np.array([1.0, 0.5], np.float32)),
             "w": _weights(r, 3, 18), "b": _weights(r, 3)}
    for n, t in inits.items():
        t.name = n
    nodes = [
        helper.make_node("Conv", ["x", "k", "kb"], ["c"], name="conv", pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c", "s", "bb", "mu", "var"], ["n"], name="bn"),
        helper.make_node("Relu", ["n"], ["r"], name="relu"),
        helper.make_node("MaxPool", ["r"], ["p"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["p"], ["f"], name="flat"),
        helper.make_node("Gemm", ["f", "w", "b"], ["g"], name="fc", transB=1),
        helper.make_node("Sigmoid", ["g"], ["y"], name="sig"),
    ]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, 6, 6])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])
    return _model(nodes, [x], [y], list(inits.values()))


def tiny_shapes() -> onnx.ModelProto:
    """[N,2,3] -> Shape/Gather/Concat -> Reshape -> Clip -> Transpose -> Tanh, with a Pad."""
    inits = [
        numpy_helper.from_array(np.array([0], np.int64), "i0"),
        numpy_helper.from_array(np.array([-1], np.int64), "m1"),
        numpy_helper.from_array(np.array(-0.5, np.float32), "lo"),
        numpy_helper.from_array(np.array(0.5, np.float32), "hi"),
        numpy_helper.from_array(np.array([0, 0, 1, 0, 0, 1], np.int64), "pads"),
    ]
    nodes = [
        helper.make_node("Shape", ["x"], ["s"], name="shape"),
        helper.make_node("Gather", ["s", "i0"], ["b"], name="gather", axis=0),
        helper.make_node("Concat", ["b", "m1"], ["t"], name="concat", axis=0),
        helper.make_node("Reshape", ["x", "t"], ["r"], name="reshape"),
        helper.make_node("Clip", ["r", "lo", "hi"], ["c"], name="clip"),
        helper.make_node("Unsqueeze", ["c", "m1"], ["u"], name="unsq"),
        helper.make_node("Pad", ["x", "pads"], ["p"], name="pad"),
        helper.make_node("Transpose", ["p"], ["q"], name="tr", perm=[0, 2, 1]),
        helper.make_node("Tanh", ["q"], ["y2"], name="tanh"),
        helper.make_node("LeakyRelu", ["u"], ["y"], name="leaky", alpha=0.1),
    ]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 6, 1])
    y2 = helper.make_tensor_value_info("y2", TensorProto.FLOAT, ["N", 4, 3])
    return _model(nodes, [x], [y, y2], inits)


def deep_chain(depth: int, rng: random.Random) -> onnx.ModelProto:
    """[N,3] through ``depth`` random elementwise nodes (Relu, Add, Mul, Identity; rarely a
    Tanh or Sigmoid, whose activation tables make compiling slow)."""
    nodes, inits, prev = [], [], "x"
    for i in range(depth):
        kind = rng.choice(["Relu", "Add", "Mul", "Identity"] * 20 + ["Tanh", "Sigmoid"])
        out = f"t{i}"
        if kind in ("Add", "Mul"):
            c = f"c{i}"
            inits.append(numpy_helper.from_array(np.full([3], 0.5 if kind == "Mul" else 0.1, np.float32), c))
            nodes.append(helper.make_node(kind, [prev, c], [out], name=f"n{i}"))
        else:
            nodes.append(helper.make_node(kind, [prev], [out], name=f"n{i}"))
        prev = out
    nodes.append(helper.make_node("Identity", [prev], ["y"], name="out"))
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])
    return _model(nodes, [x], [y], inits)


def node_bomb_bytes(count: int, chain: bool = True) -> bytes:
    """A serialized model whose graph is a Relu chain of ``count`` nodes, built directly as
    protobuf bytes; with ``chain`` False every node is the same t0 -> t1 Relu (faster to
    build for a million nodes, and as large)."""
    def field(tag: int, payload: bytes) -> bytes:
        return bytes([tag << 3 | 2]) + _varint(len(payload)) + payload

    if chain:
        parts = [field(1, field(1, f"t{i}".encode()) + field(2, f"t{i + 1}".encode()) + field(4, b"Relu"))
                 for i in range(count)]
    else:
        parts = [field(1, field(1, b"t0") + field(2, b"t1") + field(4, b"Relu"))] * count
    x = helper.make_tensor_value_info("t0", TensorProto.FLOAT, ["N", 3]).SerializeToString()
    y = helper.make_tensor_value_info(f"t{count}", TensorProto.FLOAT, ["N", 3]).SerializeToString()
    graph = b"".join(parts) + field(2, b"g") + field(11, x) + field(12, y)
    opset = helper.make_opsetid("", 17).SerializeToString()
    return field(7, graph) + bytes([1 << 3]) + _varint(8) + field(8, opset)


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def huge_tensor_model(elements_per_axis: int = 10**6) -> onnx.ModelProto:
    """A model whose ConstantOfShape declares a [1, n, n] tensor (10^12 elements by default)."""
    shape = numpy_helper.from_array(np.array([1, elements_per_axis, elements_per_axis], np.int64), "shape")
    nodes = [
        helper.make_node("ConstantOfShape", ["shape"], ["big"], name="big"),
        helper.make_node("Add", ["x", "big"], ["y"], name="add"),
    ]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, 1])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", "a", "b"])
    return _model(nodes, [x], [y], [shape])
