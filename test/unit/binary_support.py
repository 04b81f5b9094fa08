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
