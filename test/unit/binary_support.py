"""Binary-network models shared by the binary tests (not a test module).

`qonnx_binary_mlp` is a QONNX binary MLP written the way a new user writes one: an 8-bit
input Quant, BipolarQuant on the weights of both layers and on the hidden activations, and
float thresholds subtracted before each sign (and from the logits). `binary_mlp_reference`
is its float64 transcription (the QONNX reference semantics, numpy only).
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper

from import_quant_support import QONNX, f32, init, make

IN, HIDDEN, OUT = 16, 32, 10
IN_SCALE = 2**-4


def binary_mlp_parameters(seed: int = 21) -> dict[str, np.ndarray]:
    """Float weights and thresholds of the binary MLP (thresholds deliberately off-grid)."""
    rng = np.random.default_rng(seed)
    return {
        "w1f": rng.standard_normal((IN, HIDDEN)).astype(np.float32),
        "t1": (rng.standard_normal(HIDDEN) * 1.5).astype(np.float32),
        "w2f": rng.standard_normal((HIDDEN, OUT)).astype(np.float32),
        "t2": (rng.standard_normal(OUT) * 2.0).astype(np.float32),
    }


def qonnx_binary_mlp(seed: int = 21) -> onnx.ModelProto:
    """x -> Quant(2^-4, 8 bits) -> MatMul(BipolarQuant(w1)) -> Sub(t1) -> BipolarQuant
    -> MatMul(BipolarQuant(w2)) -> Sub(t2) -> y (logits)."""
    p = binary_mlp_parameters(seed)
    inits = [
        init("s_in", f32(IN_SCALE)), init("z", f32(0)), init("b8", f32(8)), init("one", f32(1)),
        init("w1f", p["w1f"]), init("t1", p["t1"]), init("w2f", p["w2f"]), init("t2", p["t2"]),
    ]  # fmt: skip
    nodes = [
        helper.make_node("Quant", ["x", "s_in", "z", "b8"], ["xq"], domain=QONNX, name="quant_in",
                         signed=1, narrow=0, rounding_mode="ROUND"),
        helper.make_node("BipolarQuant", ["w1f", "one"], ["w1"], domain=QONNX, name="bin_w1"),
        helper.make_node("MatMul", ["xq", "w1"], ["h1"], name="fc1"),
        helper.make_node("Sub", ["h1", "t1"], ["h1t"], name="thr1"),
        helper.make_node("BipolarQuant", ["h1t", "one"], ["a1"], domain=QONNX, name="sign1"),
        helper.make_node("BipolarQuant", ["w2f", "one"], ["w2"], domain=QONNX, name="bin_w2"),
        helper.make_node("MatMul", ["a1", "w2"], ["h2"], name="fc2"),
        helper.make_node("Sub", ["h2", "t2"], ["y"], name="thr2"),
    ]
    return make(nodes, inits, [IN], [OUT])


def binary_mlp_reference(x: np.ndarray, seed: int = 21) -> np.ndarray:
    """The model's logits in float64 (QONNX semantics: round half to even, sign(0) = +1)."""
    p = binary_mlp_parameters(seed)
    xq = np.clip(np.round(x.astype(np.float64) / IN_SCALE), -128, 127) * IN_SCALE
    bip = lambda v: np.where(v >= 0, 1.0, -1.0)  # noqa: E731
    a1 = bip(xq @ bip(p["w1f"]) - p["t1"].astype(np.float64))
    return a1 @ bip(p["w2f"]) - p["t2"].astype(np.float64)


def binary_mlp_inputs(count: int, seed: int = 22, on_grid: bool = False) -> np.ndarray:
    """Inputs spread over the input quantizer's range (``on_grid``: on its 2^-4 grid)."""
    x = np.random.default_rng(seed).standard_normal((count, IN)) * 2.5
    return (np.clip(np.round(x / IN_SCALE), -128, 127) * IN_SCALE if on_grid else x).astype(np.float32)


CNN_IN = (1, 8, 8)
CNN_CHANNELS = (4, 8)


def binary_cnn_parameters(seed: int = 31) -> dict[str, np.ndarray]:
    """Float weights and per-channel thresholds of the binary CNN (thresholds off-grid)."""
    rng = np.random.default_rng(seed)
    c1, c2 = CNN_CHANNELS
    return {
        "w1f": rng.standard_normal((c1, CNN_IN[0], 3, 3)).astype(np.float32),
        "t1": (rng.standard_normal((1, c1, 1, 1)) * 1.5).astype(np.float32),
        "w2f": rng.standard_normal((c2, c1, 3, 3)).astype(np.float32),
        "t2": (rng.standard_normal((1, c2, 1, 1)) * 2.0).astype(np.float32),
        "w3f": rng.standard_normal((c2 * 4 * 4, OUT)).astype(np.float32),
        "t3": (rng.standard_normal(OUT) * 2.0).astype(np.float32),
    }


def qonnx_binary_cnn(seed: int = 31) -> onnx.ModelProto:
    """x [1, 8, 8] -> Quant(2^-4, 8 bits) -> Conv(BipolarQuant(w1), 4 filters 3x3, pad 1)
    -> Sub(t1) -> BipolarQuant -> Conv(BipolarQuant(w2), 8 filters 3x3, pad 1) -> Sub(t2)
    -> BipolarQuant -> MaxPool 2x2 -> Flatten -> MatMul(BipolarQuant(w3)) -> Sub(t3) -> y
    (10 logits). The max pool works on +-1 values (an OR of the bits)."""
    p = binary_cnn_parameters(seed)
    inits = [init("s_in", f32(IN_SCALE)), init("z", f32(0)), init("b8", f32(8)), init("one", f32(1))]
    inits += [init(name, value) for name, value in p.items()]
    q = dict(domain=QONNX)
    nodes = [
        helper.make_node("Quant", ["x", "s_in", "z", "b8"], ["xq"], name="quant_in", signed=1, narrow=0,
                         rounding_mode="ROUND", **q),
        helper.make_node("BipolarQuant", ["w1f", "one"], ["w1"], name="bin_w1", **q),
        helper.make_node("Conv", ["xq", "w1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
        helper.make_node("Sub", ["c1", "t1"], ["c1t"], name="thr1"),
        helper.make_node("BipolarQuant", ["c1t", "one"], ["a1"], name="sign1", **q),
        helper.make_node("BipolarQuant", ["w2f", "one"], ["w2"], name="bin_w2", **q),
        helper.make_node("Conv", ["a1", "w2"], ["c2"], name="conv2", pads=[1, 1, 1, 1]),
        helper.make_node("Sub", ["c2", "t2"], ["c2t"], name="thr2"),
        helper.make_node("BipolarQuant", ["c2t", "one"], ["a2"], name="sign2", **q),
        helper.make_node("MaxPool", ["a2"], ["p2"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["p2"], ["f"], name="flatten"),
        helper.make_node("BipolarQuant", ["w3f", "one"], ["w3"], name="bin_w3", **q),
        helper.make_node("MatMul", ["f", "w3"], ["h3"], name="fc"),
        helper.make_node("Sub", ["h3", "t3"], ["y"], name="thr3"),
    ]
    return make(nodes, inits, list(CNN_IN), [OUT])


def _conv3x3(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Cross-correlation, stride 1, zero padding 1 ([N, C, H, W] * [M, C, 3, 3])."""
    n, _, h, wd = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    out = np.zeros((n, w.shape[0], h, wd))
    for i in range(3):
        for j in range(3):
            out += np.einsum("nchw,mc->nmhw", xp[:, :, i:i + h, j:j + wd], w[:, :, i, j])
    return out


def binary_cnn_reference(x: np.ndarray, seed: int = 31) -> np.ndarray:
    """The binary CNN's logits in float64 (QONNX semantics, numpy only)."""
    p = binary_cnn_parameters(seed)
    bip = lambda v: np.where(v >= 0, 1.0, -1.0)  # noqa: E731
    xq = np.clip(np.round(x.astype(np.float64) / IN_SCALE), -128, 127) * IN_SCALE
    a1 = bip(_conv3x3(xq, bip(p["w1f"])) - p["t1"].astype(np.float64))
    a2 = bip(_conv3x3(a1, bip(p["w2f"])) - p["t2"].astype(np.float64))
    n, c, h, w = a2.shape
    pooled = a2.reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))
    return pooled.reshape(n, -1) @ bip(p["w3f"]) - p["t3"].astype(np.float64)


def binary_cnn_inputs(count: int, seed: int = 32, on_grid: bool = False) -> np.ndarray:
    """Images spread over the input quantizer's range (``on_grid``: on its 2^-4 grid)."""
    x = np.random.default_rng(seed).standard_normal((count, *CNN_IN)) * 2.5
    return (np.clip(np.round(x / IN_SCALE), -128, 127) * IN_SCALE if on_grid else x).astype(np.float32)
