"""Binarization and ternarization at import: ONNX Sign (-1, 0, +1), QONNX BipolarQuant and
1-bit Quant (signed: bipolar; unsigned: {0, 1}) on weights and on activations, and 2-bit
narrow (ternary) Quant; each checked against onnxruntime or the QONNX reference, and end to
end (fixed-point interpreter == C simulation == the float model)."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import helper

from helpers import compile_model, ops_of
from import_quant_support import QONNX, f32, init, make, ort_run
from nncc.compiler.onnx.importer import import_onnx
from nncc.dialects.dense import from_dense
from nncc.runtime.interpreter import run_float

pytestmark = pytest.mark.usefixtures("private_cache")  # conftest.py


def _quant(inputs, out, **attrs):
    return helper.make_node("Quant", inputs, [out], domain=QONNX, name=f"quant_{out}", **attrs)


def test_sign_matches_onnxruntime_zero_included():
    model = make([helper.make_node("Sign", ["x"], ["y"], name="sign")], [], [64], [64], opsets=())
    x = np.random.default_rng(30).standard_normal((16, 64)).astype(np.float32)
    x[0, :8] = 0.0
    x[1, :8] = -0.0
    x[2, :8] = np.float32(1e-30)
    got = run_float(import_onnx(model), {"x": x})["y"]
    assert np.array_equal(got, ort_run(model, x))
    assert set(np.unique(got).tolist()) == {-1.0, 0.0, 1.0}


def test_sign_on_constants_folds():
    c = np.asarray([-2.0, 0.0, 3.0, -0.5], np.float32)
    nodes = [helper.make_node("Sign", ["c"], ["s"], name="sign"), helper.make_node("Add", ["x", "s"], ["y"], name="add")]
    module = import_onnx(make(nodes, [init("c", c)], [4], [4], opsets=()))
    assert not ops_of(module, "nn.sign")
    assert np.array_equal(run_float(module, {"x": np.zeros((1, 4), np.float32)})["y"][0], np.sign(c))


def ternary_binary_mlp() -> tuple:
    """x -> Quant(2^-4, 8 bits) -> MatMul(ternary weights: 2-bit narrow Quant) -> Quant(1 bit,
    signed: bipolar) -> MatMul(1-bit signed Quant weights) -> Quant(1 bit, unsigned, FLOOR:
    {0, 1}) -> MatMul(BipolarQuant weights) -> y; and a numpy reference."""
    rng = np.random.default_rng(31)
    w1, w2, w3 = (rng.standard_normal(s).astype(np.float32) for s in ((12, 24), (24, 16), (16, 6)))
    inits = [
        init("s_in", f32(2**-4)), init("z", f32(0)), init("b8", f32(8)), init("b2", f32(2)), init("b1", f32(1)),
        init("one", f32(1)), init("half", f32(0.5)), init("w1f", w1), init("w2f", w2), init("w3f", w3),
    ]  # fmt: skip
    nodes = [
        _quant(["x", "s_in", "z", "b8"], "xq", signed=1, narrow=0, rounding_mode="ROUND"),
        _quant(["w1f", "half", "z", "b2"], "w1", signed=1, narrow=1, rounding_mode="ROUND"),
        helper.make_node("MatMul", ["xq", "w1"], ["h1"], name="fc1"),
        _quant(["h1", "one", "z", "b1"], "a1", signed=1, narrow=0, rounding_mode="ROUND"),
        _quant(["w2f", "one", "z", "b1"], "w2", signed=1, narrow=0, rounding_mode="ROUND"),
        helper.make_node("MatMul", ["a1", "w2"], ["h2"], name="fc2"),
        _quant(["h2", "one", "z", "b1"], "a2", signed=0, narrow=0, rounding_mode="FLOOR"),
        helper.make_node("BipolarQuant", ["w3f", "one"], ["w3"], domain=QONNX, name="bin_w3"),
        helper.make_node("MatMul", ["a2", "w3"], ["y"], name="fc3"),
    ]

    def reference(x):
        bip = lambda v: np.where(v >= 0, 1.0, -1.0)  # noqa: E731
        xq = np.clip(np.round(x.astype(np.float64) * 16), -128, 127) / 16
        t1 = np.clip(np.round(w1.astype(np.float64) / 0.5), -1, 1) * 0.5
        a1 = bip(xq @ t1)
        a2 = np.floor(np.clip(a1 @ bip(w2), 0, 1))
        return a2 @ bip(w3)

    return make(nodes, inits, [12], [6]), reference


def test_ternary_and_one_bit_quant_import():
    model, reference = ternary_binary_mlp()
    module = import_onnx(model)
    assert len(ops_of(module, "nn.sign")) == 1  # the signed 1-bit Quant on h1
    weights = [np.unique(np.asarray(from_dense(op.weight.owner.value))).tolist() for op in ops_of(module, "nn.dense")]
    assert weights == [[-0.5, 0.0, 0.5], [-1.0, 1.0], [-1.0, 1.0]]
    x = (np.random.default_rng(32).standard_normal((256, 12)) * 2).astype(np.float32)
    np.testing.assert_array_equal(run_float(module, {"x": x})["y"], reference(x).astype(np.float32))


@pytest.mark.requires("g++")
def test_ternary_binary_mlp_end_to_end_is_exact(tmp_path):
    model, reference = ternary_binary_mlp()
    x = (np.random.default_rng(33).standard_normal((1000, 12)) * 2).astype(np.float32)
    x = np.round(x * 16) / 16  # on the input quantizer's grid: no double rounding of the input
    design = compile_model(model, tmp_path, x[:256])
    fixed_y = design.run(x, "fixed")["y"]
    assert np.unique(fixed_y).size > 5
    assert np.array_equal(fixed_y, design.run(x, "csim")["y"])
    assert np.array_equal(fixed_y, reference(x))


@pytest.mark.requires("g++")
def test_sign_end_to_end(tmp_path):
    rng = np.random.default_rng(34)
    inits = [init("w1", rng.standard_normal((8, 16)).astype(np.float32)),
             init("w2", rng.standard_normal((16, 4)).astype(np.float32))]
    nodes = [
        helper.make_node("MatMul", ["x", "w1"], ["h"], name="fc1"),
        helper.make_node("Sign", ["h"], ["s"], name="sign"),
        helper.make_node("MatMul", ["s", "w2"], ["y"], name="fc2"),
    ]
    model = make(nodes, inits, [8], [4], opsets=())
    x = rng.standard_normal((1000, 8)).astype(np.float32)
    design = compile_model(model, tmp_path, x[:256])
    fixed_y = design.run(x, "fixed")["y"]
    assert np.array_equal(fixed_y, design.run(x, "csim")["y"])
    want = ort_run(model, x)
    assert np.mean(np.argmax(fixed_y, 1) == np.argmax(want, 1)) >= 0.99
