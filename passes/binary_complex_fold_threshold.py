"""`binary-complex-fold-threshold`: batch norm + sign after a binary layer becomes an integer
threshold on the layer's accumulator (`binary_complex.sign_threshold`, the `nn` level).

Matched, at the `nn` level: a sign of scale 1 -- bipolar `nn.sign` (sign(0) = +1) or the
ternary form ONNX ``Sign`` imports as, ``(sign(z) - sign(-z)) * 0.5`` (sign(0) = 0) -- of
``z``, where ``z`` is a chain of single-use per-channel affine ops (`nn.batchnorm`, `nn.mul`,
`nn.add`, `nn.sub` with a constant operand that is constant over all but the channel axis 1)
on the result of an `AffineWeights` layer (`nn.dense` on a 2-D input, `nn.conv`) or a
`ComplexWeights` layer (`binary_complex.complex_conv` / `complex_dense`: its real-equivalent
weight ``[[A, -B], [B, A]]``, the BCNN's per-part batch norm and sign) whose
weights are constant integers and whose input provably holds only -1, 0 and +1
(`integer_valued`: a sign of scale 1, the ternary sign, a `sign_threshold`, and ops that only
move or select such values). The layer's accumulator ``a`` (without its bias) then takes only
integer values in ``[-K_c, K_c]``, ``K_c`` the sum of |w| of output channel c.

The fold is decided by exhaustion, not by formula: for every channel and every integer ``a``
in that range the chain (bias, batch norm, affine ops) is evaluated in float64 and in
float32 (onnxruntime's precision) and the sign taken. The layer is rewritten only when, on
every channel, both precisions give the same sign everywhere, no value is within `MARGIN`
times the channel's float32 error of 0 without being 0 (the error: the largest difference
between the two precisions over the channel's values, at least float32's epsilon times its
largest value; closer to 0 the model's own rounding, its operation order, decides), never exactly 0 under the ternary sign (where the model would output 0, not +-1), and the +1 values form an interval
``a >= t_c`` (direction +1: gamma > 0), ``a <= t_c`` (direction -1: gamma < 0) or all / no
values (gamma = 0: a constant channel, a threshold outside the range). Otherwise the layer
keeps its batch norm and (ternary) sign as they were.

A layer with integer weights on a real-valued input (the first layer of a BNN) has no finite
set of accumulator values to try: its affine chain is s_c * a + b_c, and the threshold
-b_c / s_c is rounded in its direction onto the 2^-32 grid (`fold_real`, ``frac`` 32), exact
for every fixed-point accumulator of at most 32 fraction bits. There the fixed-point design
computes sign(batch norm) of its own (quantized-input) accumulator exactly, instead of through
a batch norm rounded to the weight precision; a tie (an accumulator exactly at the threshold,
where ONNX Sign gives 0) gives +1.

The rewrite drops the layer's bias
(folded into the thresholds): the layer result is the exact integer accumulator, and
`convert-nn-to-fixed` lowers the threshold to `binary_complex.threshold` on it, so the
fixed-point result equals the float model's on every input whose accumulator it computes
exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import math

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import PatternRewriter, PatternRewriteWalker, RewritePattern
from xdsl.transforms.dead_code_elimination import region_dce

from nncc.dialects import nn
from nncc.dialects.binary_complex import SignThresholdOp
from nncc.dialects.interfaces import AffineWeights, ComplexWeights, SelectsValues
from nncc.dialects.nn.canonicalize import constant_value

AFFINE = (nn.BatchNormOp, nn.MulOp, nn.AddOp, nn.SubOp)

MARGIN = 16
"""A pre-sign value within this many times its channel's float32 error of 0 (but not 0) leaves
the sign to the model's float rounding (operation order, float32): the fold is not proven and
the layer is kept. (A scale-free test: a channel whose batch norm maps the accumulator step to
1e-5 is as well decided as one that maps it to 1.)"""


def _const(value: SSAValue) -> np.ndarray | None:
    v = constant_value(value)
    return None if v is None else np.asarray(v, np.float64)


def _is_scalar(value: SSAValue, number: float) -> bool:
    c = _const(value)
    return c is not None and c.size == 1 and float(c.reshape(-1)[0]) == number


def ternary_input(op: Operation) -> SSAValue | None:
    """``z`` when ``op`` is the ternary sign ``(sign(z) - sign(z * -1)) * 0.5`` (scale-1
    bipolar signs), else None."""
    if not isinstance(op, nn.MulOp) or not _is_scalar(op.rhs, 0.5):
        return None
    sub = op.lhs.owner
    if not isinstance(sub, nn.SubOp):
        return None
    up, down = sub.lhs.owner, sub.rhs.owner
    if not all(isinstance(s, nn.SignOp) and s.scale.value.data == 1.0 for s in (up, down)):
        return None
    neg = down.input.owner
    if not isinstance(neg, nn.MulOp) or neg.lhs is not up.input or not _is_scalar(neg.rhs, -1.0):
        return None
    return up.input


def integer_valued(value: SSAValue) -> bool:
    """Whether ``value`` provably holds only -1, 0 and +1 (module docstring)."""
    op = value.owner
    if isinstance(op, SignThresholdOp) or (isinstance(op, nn.SignOp) and op.scale.value.data == 1.0):
        return True
    if ternary_input(op) is not None:
        return True
    if isinstance(op, SelectsValues) and len(op.operands) == 1:
        return integer_valued(op.operands[0])
    return False


@dataclass
class _Chain:
    layer: Operation
    ops: list[Operation]  # the affine ops, from the layer's result on


def _chain(z: SSAValue) -> _Chain | None:
    """The affine ops from a layer's result to ``z`` (each the single use of the one before)."""
    ops: list[Operation] = []
    while True:
        op = z.owner
        if isinstance(op, (AffineWeights, ComplexWeights)):
            return _Chain(op, ops[::-1]) if op.results[0].has_one_use() else None
        if not isinstance(op, AFFINE) or (ops and not op.results[0].has_one_use()):
            return None
        if isinstance(op, nn.BatchNormOp):
            if any(_const(v) is None for v in (op.scale, op.bias, op.mean, op.var)):
                return None
            z = op.input
        else:
            run = [v for v in (op.lhs, op.rhs) if _const(v) is None]
            if len(run) != 1 or (isinstance(op, nn.SubOp) and run[0] is not op.lhs):
                return None
            z = run[0]
        ops.append(op)


def _evaluate(chain: _Chain, acc: np.ndarray, bias: np.ndarray | None, dtype) -> np.ndarray:
    """The chain on accumulator values ``acc`` [n, C, 1...] at ``dtype``."""
    x = acc.astype(dtype)
    if bias is not None:
        x = x + bias.astype(dtype).reshape((1, -1) + (1,) * (x.ndim - 2))
    for op in chain.ops:
        args = [x if _const(v) is None else _const(v).astype(dtype) for v in op.operands]
        x = np.asarray(op.evaluate_float(args, x.shape[0]), dtype)
    return x


def _weight(layer: Operation) -> np.ndarray | None:
    """The layer's constant (real-equivalent) weight, output channels first, or None."""
    if isinstance(layer, ComplexWeights):
        from nncc.dialects.binary_complex.complex import real_equivalent

        a, b = (_const(v) for v in layer.weight_parts())
        return None if a is None or b is None else real_equivalent(np.asarray(a, np.float64), np.asarray(b, np.float64))
    return _const(layer.weight_operand())


def _without_bias(layer: Operation) -> Operation:
    """The same layer with no bias (the thresholds take it)."""
    if isinstance(layer, ComplexWeights):
        return layer.with_parts(*layer.weight_parts(), None)
    return layer.with_weights(layer.weight_operand(), None)


def fold(chain: _Chain, ternary: bool) -> tuple[list[int], list[int], int] | None:
    """(thresholds, directions, frac) equal to sign(chain(a)) for every integer accumulator
    value in range, in float64 and float32 (frac 0); on a real-valued input `fold_real`; or
    None (module docstring)."""
    layer = chain.layer
    w = _weight(layer)
    bias = None if layer.bias_operand() is None else _const(layer.bias_operand())
    if w is None or not np.array_equal(w, np.round(w)) or (layer.bias_operand() is not None and bias is None):
        return None
    if not integer_valued(layer.activation()):
        return fold_real(chain, bias, ternary)
    reach = np.abs(w).reshape(w.shape[0], -1).sum(axis=1).astype(np.int64)  # K_c
    out = layer.results[0].type.get_shape()
    values = np.arange(-int(reach.max(initial=0)), int(reach.max(initial=0)) + 1)
    # one pixel per channel: the affine ops are per channel (checked on their result)
    acc = np.broadcast_to(values.reshape((-1,) + (1,) * (len(out) - 1)), (values.size, out[1]) + (1,) * (len(out) - 2))
    signs, results = [], []
    for dtype in (np.float64, np.float32):
        z = _evaluate(chain, acc, bias, dtype)
        flat = np.moveaxis(z, 1, -1).reshape(values.size, -1, out[1])
        if not (flat == flat[:, :1, :]).all():
            return None  # the affine ops are not per channel
        signs.append(np.sign(flat[:, 0, :]))
        results.append(flat[:, 0, :].astype(np.float64))
    near = results[0]
    error = np.maximum(np.abs(results[0] - results[1]).max(axis=0),
                       np.abs(near).max(axis=0) * np.finfo(np.float32).eps)  # per channel
    if not np.array_equal(signs[0], signs[1]) or ((near != 0) & (np.abs(near) <= MARGIN * error)).any():
        return None  # a sign the model's own float rounding may decide either way
    thresholds, directions = [], []
    for c in range(out[1]):
        inside = np.abs(values) <= reach[c]
        s, v = signs[0][inside, c], values[inside]
        if ternary and (s == 0).any():
            return None  # the model outputs 0 there
        plus = s >= 0
        t = _interval(v, plus)
        if t is None:
            return None
        thresholds.append(t[0])
        directions.append(t[1])
    return thresholds, directions, 0


REAL_FRAC = 32
"""Fraction bits of the thresholds on a real-valued accumulator (`fold_real`)."""


def fold_real(chain: _Chain, bias: np.ndarray | None, ternary: bool) -> tuple[list[int], list[int], int] | None:
    """(thresholds, directions, REAL_FRAC) of the chain on a real-valued accumulator a: the
    chain is z = s_c * a + b_c (float64); the threshold -b_c / s_c rounded up (s_c > 0) or
    down (s_c < 0) onto the 2^-REAL_FRAC grid, so that every accumulator on a grid of at most
    REAL_FRAC fraction bits compares exactly as with the unrounded threshold; s_c = 0 gives a
    constant channel. Under the ternary sign a channel that is constantly 0 is refused; the
    tie z = 0 itself (one real value of a) gives +1."""
    channels = chain.layer.results[0].type.get_shape()[1]
    rank = len(chain.layer.results[0].type.get_shape())
    points = np.array([-1.0, 0.0, 1.0, 2.0]).reshape((-1,) + (1,) * (rank - 1))
    acc = np.broadcast_to(points, (4, channels) + (1,) * (rank - 2))
    z = np.moveaxis(_evaluate(chain, acc, bias, np.float64), 1, -1).reshape(4, -1, channels)
    if not (z == z[:, :1, :]).all():
        return None  # the affine ops are not per channel
    z = z[:, 0, :]
    shift, scale = z[1], z[2] - z[1]
    if not np.allclose(z[3] - z[1], 2 * scale, rtol=1e-9, atol=1e-12):
        return None
    thresholds, directions, big = [], [], 1 << 62
    for s, b in zip(scale.tolist(), shift.tolist()):
        if s == 0:
            if ternary and b == 0:
                return None  # the model's output is 0
            thresholds.append(-big if b >= 0 else big)
            directions.append(1)
            continue
        theta = -b / s * 2.0**REAL_FRAC
        if not abs(theta) < big:
            return None
        thresholds.append(math.ceil(theta) if s > 0 else math.floor(theta))
        directions.append(1 if s > 0 else -1)
    return thresholds, directions, REAL_FRAC


def _interval(values: np.ndarray, plus: np.ndarray) -> tuple[int, int] | None:
    """(t, d) with plus == (d * (values - t) >= 0), or None."""
    lo, hi = int(values[0]), int(values[-1])
    if plus.all() or not plus.any():
        return (lo, 1) if plus.all() else (hi + 1, 1)
    up = int(values[np.argmax(plus)])  # first +1
    if np.array_equal(plus, values >= up):
        return up, 1
    down = int(values[len(plus) - 1 - np.argmax(plus[::-1])])  # last +1
    if np.array_equal(plus, values <= down):
        return down, -1
    return None


class FoldThreshold(RewritePattern):
    """sign(affine(layer(x))) -> sign_threshold(layer(x) without bias) (module docstring)."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        z = ternary_input(op)
        ternary = z is not None
        if z is None and isinstance(op, nn.SignOp) and op.scale.value.data == 1.0 and op.input.has_one_use():
            z = op.input  # (a sign whose input has other uses may be half of a ternary sign)
        if z is None or (ternary and len(list(z.uses)) != 2):
            return  # (a ternary sign's input used elsewhere too keeps the layer alive)
        chain = _chain(z)
        if chain is None or not chain.ops:
            return
        layer = chain.layer
        axis = layer.channel_axis() if isinstance(layer, ComplexWeights) else layer.output_channel_axis()
        if axis != 1 or len(layer.results[0].type.get_shape()) < 2:
            return
        folded = fold(chain, ternary)
        if folded is None:
            return
        new_layer = _without_bias(layer)
        new_layer.location = layer.location
        new_layer.results[0].name_hint = layer.results[0].name_hint
        threshold = SignThresholdOp(new_layer.results[0], *folded)
        threshold.location = op.location
        rewriter.replace(op, [new_layer, threshold], [threshold.output])


def populate_binary_complex_fold_threshold_patterns() -> list[RewritePattern]:
    """The pass's patterns (for pipelines that reuse them)."""
    return [FoldThreshold()]


@dataclass(frozen=True)
class BinaryComplexFoldThresholdPass(ModulePass):
    """Fold "binary layer -> (bias) -> batch norm / per-channel affine -> sign" into the
    layer without bias and a `binary_complex.sign_threshold` on its integer accumulator,
    where exhaustion over the accumulator's range proves the fold exact (module docstring);
    dead ops are removed."""

    name = "binary-complex-fold-threshold"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        patterns = populate_binary_complex_fold_threshold_patterns()
        PatternRewriteWalker(patterns[0], apply_recursively=False).rewrite_module(op)
        for region in op.regions:
            region_dce(region)
