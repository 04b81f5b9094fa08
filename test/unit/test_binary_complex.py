"""The `binary_complex` ops: XNOR-popcount equals the +-1 dot product (every input of an
exhaustive small case, and random long ones), the fixed-point interpreter runs the ops
through `FixedSemantics` and `mac_terms()` describes the same layer (the batch-norm + sign
fold into thresholds is checked in test_binary_threshold.py)."""

from __future__ import annotations

import numpy as np
import pytest
from xdsl.dialects.builtin import TensorType
from xdsl.ir import Block

from nncc.compiler.api import parse_mlir
from nncc.dialects import fixed
from nncc.dialects.binary_complex import (
    BIPOLAR,
    XnorDenseOp,
    popcount_type,
    complex_xnor_popcount,
    xnor_popcount,
)
from nncc.dialects.dense import to_dense
from nncc.dialects.fixed.quantization import container
from nncc.dialects.interfaces import MacLayer
from nncc.runtime.fixed_interpreter import run_fixed


def xnor_layer(weights: np.ndarray) -> XnorDenseOp:
    m, k = weights.shape
    block = Block(arg_types=[TensorType(BIPOLAR, (1, k))])
    w = fixed.ConstantOp(to_dense(weights.astype(np.int8), container(2)), BIPOLAR)
    op = XnorDenseOp(block.args[0], w.output)
    block.add_ops([w, op])
    op.verify()
    return op


def all_pm1(k: int) -> np.ndarray:
    """Every +-1 vector of length k, [2^k, k]."""
    codes = np.arange(1 << k)[:, None] >> np.arange(k)[None, :] & 1
    return (2 * codes - 1).astype(np.int64)


def test_xnor_popcount_is_the_dot_product_exhaustively():
    """K = 8: every activation against every weight row (65,536 pairs)."""
    every = all_pm1(8)
    op = xnor_layer(every)
    got = op.evaluate_fixed([every, every], len(every))
    assert np.array_equal(got, every @ every.T)
    assert got.min() == -8 and got.max() == 8


@pytest.mark.parametrize("k", [1, 7, 64, 100, 257])
def test_xnor_popcount_random(k):
    rng = np.random.default_rng(k)
    a = rng.choice([-1, 1], (1000, k))
    w = rng.choice([-1, 1], (12, k))
    got = xnor_popcount((a >= 0).astype(np.uint8), (w >= 0).astype(np.uint8))
    assert np.array_equal(got, a @ w.T)


def _complex_reference(x, y, a, b):
    """The complex dot products of the +-1 operands: (x + jy) . (A + jB) per row."""
    z = (x + 1j * y) @ (a + 1j * b).T
    return np.rint(z.real).astype(np.int64), np.rint(z.imag).astype(np.int64)


def _bits(v):
    return (np.asarray(v) >= 0).astype(np.uint8)


def test_binarized_complex_dot_product_exhaustively():
    """K = 3 complex taps: every activation (x, y), 64 of them, against every weight row
    (A, B), 64: all 4,096 pairs of the small case."""
    every = all_pm1(6)  # (re, im) of 3 taps
    x, y = every[:, :3], every[:, 3:]
    re, im = complex_xnor_popcount(_bits(x), _bits(y), _bits(x), _bits(y))
    want_re, want_im = _complex_reference(x, y, x, y)
    assert np.array_equal(re, want_re) and np.array_equal(im, want_im)
    assert re.min() == -6 and re.max() == 6 and im.min() == -6 and im.max() == 6


@pytest.mark.parametrize("k", [1, 5, 37, 64])
def test_binarized_complex_dot_product_random(k):
    """10^5 random activation / weight pairs: 1,000 activations x 100 weight rows."""
    rng = np.random.default_rng(100 + k)
    x, y = rng.choice([-1, 1], (1000, k)), rng.choice([-1, 1], (1000, k))
    a, b = rng.choice([-1, 1], (100, k)), rng.choice([-1, 1], (100, k))
    re, im = complex_xnor_popcount(_bits(x), _bits(y), _bits(a), _bits(b))
    want_re, want_im = _complex_reference(x, y, a, b)
    assert re.shape == (1000, 100)
    assert np.array_equal(re, want_re) and np.array_equal(im, want_im)


def test_mac_terms_describe_the_layer():
    rng = np.random.default_rng(40)
    w = rng.choice([-1, 1], (5, 9))
    op = xnor_layer(w)
    assert isinstance(op, MacLayer) and op.fan_in() == 9 and op.macs() == 45
    terms = op.mac_terms()
    x = rng.choice([-1, 1], (50, 9))
    gathered = (x[:, terms.index] * terms.weights[terms.channel][None]).sum(-1) + terms.bias[terms.channel]
    assert np.array_equal(gathered, op.evaluate_fixed([x, w], len(x)))
    assert op.accumulator_type() == popcount_type(9) == fixed.FixedType(5, 5)


MODULE = """
func.func @main(%x: tensor<1x4xf32>) -> tensor<1x3xf32> {
  %q = fixed.quantize %x {overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>} : tensor<1x4xf32> -> tensor<1x4x!fixed.q<2, 2>>
  %w = fixed.constant dense<[[1, -1, 1, 1], [-1, -1, -1, 1], [1, 1, 1, 1]]> : tensor<3x4xi8> -> tensor<3x4x!fixed.q<2, 2>>
  %y = binary_complex.xnor_dense %q, %w : (tensor<1x4x!fixed.q<2, 2>>, tensor<3x4x!fixed.q<2, 2>>) -> tensor<1x3x!fixed.q<4, 4>>
  %t = binary_complex.threshold %y {directions = array<i64: 1, -1, 1>, thresholds = array<i64: 2, 0, -5>} : (tensor<1x3x!fixed.q<4, 4>>) -> tensor<1x3x!fixed.q<2, 2>>
  %o = fixed.dequantize %t : tensor<1x3x!fixed.q<2, 2>> -> tensor<1x3xf32>
  func.return %o : tensor<1x3xf32>
}
"""


def test_interpreter_runs_the_binary_ops():
    every = all_pm1(4).astype(np.float32)
    got = run_fixed(parse_mlir(MODULE), {"arg0": every})
    (y,) = got.values()
    w = np.asarray([[1, -1, 1, 1], [-1, -1, -1, 1], [1, 1, 1, 1]])
    acc = every @ w.T
    want = np.stack([acc[:, 0] >= 2, acc[:, 1] <= 0, acc[:, 2] >= -5], 1)
    assert np.array_equal(y, np.where(want, 1.0, -1.0))
