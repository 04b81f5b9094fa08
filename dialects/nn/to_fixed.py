"""How each `nn` op lowers to the fixed-point level (`LowersToFixed.lower_to_fixed`).

The functions here are the bodies of the `nn` ops' `lower_to_fixed` methods; they talk to
`convert-nn-to-fixed` only through `nncc.dialects.interfaces.FixedLowering`. Multiply-
accumulate layers produce an exact accumulator, then one `fixed.cast` applies the rounding
and overflow modes; sigmoid, tanh, the exponential and reciprocal of softmax and
`nn.activation` become `fixed.activation` ops; `nn.max` / `nn.min` become exact
a + relu(b - a) / a - relu(a - b). The model's own quantizers are in `to_fixed_quant`.
"""

from __future__ import annotations

import math

import numpy as np
from xdsl.dialects.builtin import StringAttr
from xdsl.ir import Operation, SSAValue

from nncc.dialects import fixed
from nncc.dialects.dataflow import REUSE_ATTR, SIMD_ATTR
from nncc.dialects.dense import from_dense
from nncc.dialects.encodings import BinaryAttr
from nncc.dialects.pot_quant import CODE_ATTR
from nncc.dialects.fixed import FixedType
from nncc.dialects.fixed.quantization import LAYER_ATTR, int_bits_for, quantize_array
from nncc.dialects.interfaces import FixedLowering, layer_label
from nncc.dialects import nn
from nncc.dialects.nn.attrs import CODEC_ATTR
from nncc.dialects.nn.windows import avg_pool_divisor


def bias_frac(bias: np.ndarray, product_frac: int, own_frac: int) -> int:
    """Fraction bits of a layer's bias: the products' grid when the bias is exact on it,
    else the finest grid up to ``own_frac`` (its own precision, the weight width less its
    integer bits, capped by the caller at the layer's output fraction) on which it is exact.

    A bias is not rounded to the products' grid when that grid is coarse: with binary
    weights and sign activations the products are integers, and a threshold of 0.73 must
    not become 1 (the layer's exact accumulator takes the finer fraction)."""
    values = np.asarray(bias, np.float64)
    frac = product_frac
    while frac < own_frac and not np.array_equal(np.floor(values * 2.0**frac), values * 2.0**frac):
        frac += 1
    return frac


def feeds_only_signs(op: Operation, prec) -> bool:
    """Whether the layer's exact accumulator feeds only `nn.sign` ops (a threshold layer)."""
    uses = list(op.results[0].uses)
    return not prec.output_overridden and bool(uses) and all(isinstance(u.operation, nn.SignOp) for u in uses)


def threshold_bias(bias: np.ndarray, product_frac: int) -> tuple[np.ndarray, FixedType]:
    """The bias of a layer that only feeds signs, on the products' grid and exact for the
    sign: ``s + b >= 0`` iff ``s + floor(b) >= 0`` for every s on the grid, so the bias is
    rounded down (an integer threshold when the products are integers)."""
    raw = np.floor(np.asarray(bias, np.float64) * 2.0**product_frac).astype(np.int64)
    scale = 2.0**-product_frac
    ints = int_bits_for(float(raw.min(initial=0)) * scale, float(raw.max(initial=0)) * scale)
    width = max(2, ints + product_frac)
    return raw, FixedType(width, width - product_frac)


def mac(lw: FixedLowering, op: Operation, build, weight: np.ndarray | SSAValue | None = None,
        bias: np.ndarray | None = None) -> None:
    """A multiply-accumulate layer: constant weights (and bias) at the fixed-point level,
    ``build(x, w, bias)`` makes the exact-accumulator op, then the output cast.

    ``weight`` / ``bias``: float values that stand for the op's ``weight`` / ``bias``
    operands (a layer whose weights are derived from its operands: a complex layer's
    real-equivalent ``[[A, -B], [B, A]]``); rounded to the weight precision, or ``weight``
    an already built fixed-point constant."""
    prec = lw.precision(op)
    x = lw.values.get(op.input)
    if x is None:
        lw.fail("input must be computed at run time")
    if isinstance(weight, SSAValue):
        w = weight
    elif weight is not None:
        w = lw.constant(np.asarray(weight, np.float64), prec.weight_width, prec.weight_int_bits)
    else:
        if lw.const_value(op.weight) is None:
            lw.fail("weights must be constants")
        w = lw.weight(op.weight, prec)
    b_const = None
    if bias is not None or (weight is None and op.bias is not None):
        raw, typ = mac_bias(lw, op, prec, fixed.fixed_of(x).frac + fixed.fixed_of(w).frac, bias)
        b_const = lw.exact_constant(raw, typ)
    try:
        acc = lw.emit(build(x, w, b_const)).output
    except Exception as err:  # the accumulator type verifier rejects > 64 bits
        lw.fail(f"accumulator does not fit 64 bits: {err}")
    for key in (REUSE_ATTR, SIMD_ATTR, CODEC_ATTR):
        if key in op.attributes:
            acc.owner.attributes[key] = op.attributes[key]
    mark_binary(acc.owner, w)
    lw.finish(op, acc, prec)


def mac_bias(lw: FixedLowering, op: Operation, prec, product_frac: int,
             values: np.ndarray | None = None) -> tuple[np.ndarray, FixedType]:
    """(raw, type) of a layer's bias for products on ``product_frac`` fraction bits: the
    op's constant ``bias`` operand, or ``values`` standing for it."""
    b = values if values is not None else lw.const_value(op.bias)
    if b is None:
        lw.fail("bias must be a constant")
    b = np.asarray(b, np.float64)
    if feeds_only_signs(op, prec):
        raw, typ = threshold_bias(b, product_frac)
    else:
        ints = int_bits_for(float(b.min(initial=0)), float(b.max(initial=0)))
        # finer than the products only as far as the layer's output type keeps: a bias bit
        # below its LSB would only widen the accumulator
        frac = bias_frac(b, product_frac, min(prec.weight_width - ints, lw.output_type(op, prec).frac))
        if values is None and (grid := lw.grid_of(op.bias, prec)) is not None:
            frac = max(frac, grid.frac)  # keep a bias on a finer grid exact
        raw, typ = quantize_array(b, max(2, ints + frac), ints)
    if typ.width.data > 64:
        lw.fail(f"bias type {typ} is wider than 64 bits")
    return raw, typ


def mark_binary(layer: Operation, weight) -> None:
    """Give a layer whose constant raw weights all have one magnitude 2^e (a binary layer:
    BipolarQuant or 1-bit Quant weights) the encoding `#encoding.binary<shift = e>`, so its
    hardware adds or subtracts each input instead of multiplying. Power-of-two-coded weights
    (`pot_quant.code`) are left to `pot-quant-replace-mul-with-shift`."""
    const = weight.owner
    if not isinstance(const, fixed.ConstantOp) or CODE_ATTR in const.attributes:
        return
    mag = np.abs(np.asarray(from_dense(const.value), np.int64)).reshape(-1)
    if mag.size and mag[0] > 0 and np.all(mag == mag[0]) and (int(mag[0]) & (int(mag[0]) - 1)) == 0:
        layer.encoding = BinaryAttr(int(mag[0]).bit_length() - 1)


def matmul(lw: FixedLowering, op: nn.MatMulOp) -> None:
    prec = lw.precision(op)
    acc = lw.emit(fixed.MatMulOp(lw.operand(op.lhs, prec), lw.operand(op.rhs, prec))).output
    lw.finish(op, acc, prec)


def same_type(lw: FixedLowering, op: Operation, build) -> None:
    """Data movement, relu and max pooling: the same computation on the fixed-point value;
    ``build(x)`` makes the op on the converted operand ``x``."""
    lw.values[op.results[0]] = lw.emit(build(lw.values[op.operands[0]])).results[0]


def pad(lw: FixedLowering, op: nn.PadOp) -> None:
    """`nn.pad` on the fixed-point value; the pad value must be exact in its type."""
    x = lw.values[op.input]
    typ = fixed.fixed_of(x)
    raw = op.value.value.data * 2.0**typ.frac
    if raw != math.floor(raw):
        lw.fail(f"pad value {op.value.value.data} is not representable in {typ}")
    lw.values[op.output] = lw.emit(nn.PadOp(x, op.pads.get_values(), op.mode, op.value.value.data)).output


def leaky_relu(lw: FixedLowering, op: nn.LeakyReluOp) -> None:
    prec = lw.precision(op)
    alpha = lw.constant(np.asarray(op.alpha.value.data), prec.weight_width)
    lw.values[op.output] = lw.emit(fixed.LeakyReluOp(lw.values[op.input], alpha, prec.rounding)).output


def activation(lw: FixedLowering, op: Operation, function: str, int_bits: int) -> None:
    """A fixed-function activation (sigmoid, tanh) -> `fixed.activation` on q<width, int_bits>."""
    prec = lw.precision(op)
    typ = FixedType(prec.width, int_bits)
    out = lw.emit(fixed.ActivationOp(lw.values[op.operands[0]], typ, function)).output
    out.owner.attributes[LAYER_ATTR] = StringAttr(layer_label(op))
    lw.copy_approx(op, out.owner)
    lw.values[op.results[0]] = out



def unary_function(lw: FixedLowering, op: nn.ActivationOp) -> None:
    """`nn.activation` -> `fixed.activation` with the calibrated output type (lowered later)."""
    prec = lw.precision(op)
    typ = lw.output_type(op, prec)
    out = lw.emit(fixed.ActivationOp(lw.values[op.input], typ, op.function.data, op.parameters())).output
    out.owner.attributes[LAYER_ATTR] = StringAttr(layer_label(op))
    lw.copy_approx(op, out.owner)
    lw.values[op.output] = out


def extremum(lw: FixedLowering, op: Operation, is_max: bool) -> None:
    """Exact: max(a, b) = a + relu(b - a), min(a, b) = a - relu(a - b), then the output cast."""
    prec = lw.precision(op)
    a, b = lw.operand(op.lhs, prec), lw.operand(op.rhs, prec)
    diff = lw.emit(fixed.SubOp(b, a) if is_max else fixed.SubOp(a, b)).output
    lw.check_width(fixed.fixed_of(diff))
    excess = lw.emit(nn.ReluOp(diff)).output
    value = lw.emit(fixed.AddOp(a, excess) if is_max else fixed.SubOp(a, excess)).output
    lw.check_width(fixed.fixed_of(value))
    lw.finish(op, value, prec)


def clip(lw: FixedLowering, op: nn.ClipOp) -> None:
    x = lw.values[op.input]
    typ = fixed.fixed_of(x)
    lo_raw, hi_raw = -(1 << (typ.width.data - 1)), (1 << (typ.width.data - 1)) - 1
    if op.min is not None:
        lo_raw = max(lo_raw, math.ceil(op.min.value.data * 2.0**typ.frac))
    if op.max is not None:
        hi_raw = min(hi_raw, math.floor(op.max.value.data * 2.0**typ.frac))
    if lo_raw > hi_raw:
        lw.fail(f"clip range is empty in {typ}")
    lw.values[op.output] = lw.emit(fixed.ClampOp(x, lo_raw, hi_raw)).output


def hard_sigmoid(lw: FixedLowering, op: nn.HardSigmoidOp) -> None:
    prec = lw.precision(op)
    x = lw.values[op.input]
    scaled = lw.emit(fixed.MulOp(x, lw.constant(np.asarray(op.alpha.value.data), prec.weight_width))).output
    shifted = lw.emit(fixed.AddOp(scaled, lw.constant(np.asarray(op.beta.value.data), prec.weight_width))).output
    typ = FixedType(prec.width, 2)
    out = lw.cast(shifted, typ, prec)
    out = lw.emit(fixed.ClampOp(out, 0, 1 << typ.frac)).output
    out.owner.attributes[LAYER_ATTR] = StringAttr(layer_label(op))
    lw.values[op.output] = out


def softmax(lw: FixedLowering, op: nn.SoftmaxOp) -> None:
    prec = lw.precision(op)
    axis = op.axis.value.data
    x = lw.values[op.input]
    peak = lw.emit(fixed.ReduceMaxOp(x, [axis])).output
    shifted = lw.emit(fixed.SubOp(x, peak)).output
    exp = lw.emit(fixed.ActivationOp(shifted, FixedType(prec.width, 2), "softmax_exp")).output
    total = lw.emit(fixed.ReduceSumOp(exp, [axis])).output
    recip = lw.emit(fixed.ActivationOp(total, FixedType(prec.width, 2), "softmax_reciprocal")).output
    lw.copy_approx(op, exp.owner)
    lw.copy_approx(op, recip.owner)
    product = lw.emit(fixed.MulOp(exp, recip)).output
    out = lw.cast(product, FixedType(prec.width, 2), prec)
    out.owner.attributes[LAYER_ATTR] = StringAttr(layer_label(op))
    lw.values[op.output] = out


def binary(lw: FixedLowering, op: Operation, fixed_class) -> None:
    """Exact add/sub/mul (``fixed_class``), then the output cast."""
    prec = lw.precision(op)
    a, b = lw.operand(op.lhs, prec), lw.operand(op.rhs, prec)
    value = lw.emit(fixed_class(a, b)).output
    lw.check_width(fixed.fixed_of(value))
    lw.finish(op, value, prec)


def divide(lw: FixedLowering, op: Operation) -> None:
    """Division by a non-zero constant: a product with its reciprocal, then the output cast."""
    prec = lw.precision(op)
    lhs, rhs = op.operands
    divisor = lw.const_value(rhs)
    if divisor is None or np.any(divisor == 0):
        lw.fail("division is supported only by non-zero constants")
    value = lw.emit(fixed.MulOp(lw.operand(lhs, prec), lw.constant(1.0 / divisor, prec.weight_width))).output
    lw.check_width(fixed.fixed_of(value))
    lw.finish(op, value, prec)



def avg_pool(lw: FixedLowering, op: nn.AvgPoolOp) -> None:
    prec = lw.precision(op)
    x = lw.values[op.input]
    total = lw.emit(
        fixed.SumPoolOp(x, op.kernel.get_values(), op.strides.get_values(), op.pads.get_values(), bool(op.ceil_mode.value.data))
    ).output
    recip = 1.0 / avg_pool_divisor(op, tuple(op.input.type.get_shape())[2:])  # 1 x 1 x out...
    if np.all(recip == recip.flat[0]):
        recip = np.asarray(recip.flat[0])
    scale = lw.constant(recip, lw.reciprocal_width)
    lw.finish(op, lw.emit(fixed.MulOp(total, scale)).output, prec)


def global_avg_pool(lw: FixedLowering, op: nn.GlobalAvgPoolOp) -> None:
    prec = lw.precision(op)
    x = lw.values[op.input]
    shape = tuple(op.input.type.get_shape())
    total = lw.emit(fixed.ReduceSumOp(x, list(range(2, len(shape))))).output
    scale = lw.constant(np.asarray(1.0 / int(np.prod(shape[2:]))), lw.reciprocal_width)
    lw.finish(op, lw.emit(fixed.MulOp(total, scale)).output, prec)


def reduce(lw: FixedLowering, op: Operation, kind: str) -> None:
    """``kind`` max: `fixed.reduce_max` (same type); min: -max(-x); sum: exact
    `fixed.reduce_sum`; mean: that sum times 1/n rounded to `reciprocal_width` bits; then
    the calibrated type."""
    x, axes = lw.values[op.input], list(op.axis_tuple())
    if kind == "max":
        lw.values[op.output] = lw.emit(fixed.ReduceMaxOp(x, axes)).output
        return
    if kind == "min":
        zero = lw.exact_constant(np.asarray(0), FixedType(2, 2))
        peak = lw.emit(fixed.ReduceMaxOp(lw.emit(fixed.SubOp(zero, x)).output, axes)).output
        value = lw.emit(fixed.SubOp(zero, peak)).output
    else:
        value = lw.emit(fixed.ReduceSumOp(x, axes)).output
        if kind == "mean":
            count = int(np.prod([op.input.type.get_shape()[a] for a in axes]))
            value = lw.emit(fixed.MulOp(value, lw.constant(np.asarray(1.0 / count), lw.reciprocal_width))).output
    lw.check_width(fixed.fixed_of(value))
    lw.finish(op, value, lw.precision(op))


def batchnorm(lw: FixedLowering, op: nn.BatchNormOp) -> None:
    prec = lw.precision(op)
    params = [lw.const_value(v) for v in (op.scale, op.bias, op.mean, op.var)]
    if any(p is None for p in params):
        lw.fail("batch-norm parameters must be constants")
    scale, beta, mean, var = params
    factor = scale / np.sqrt(var + op.epsilon.value.data)
    shift = beta - mean * factor
    rank = len(op.input.type.get_shape())
    shape = (-1,) + (1,) * (rank - 2)
    x = lw.values[op.input]
    scaled = lw.emit(fixed.MulOp(x, lw.constant(factor.reshape(shape), prec.weight_width))).output
    value = lw.emit(fixed.AddOp(scaled, lw.constant(shift.reshape(shape), prec.weight_width))).output
    lw.finish(op, value, prec)


def concat(lw: FixedLowering, op: nn.ConcatOp) -> None:
    prec = lw.precision(op)
    inputs = [lw.operand(v, prec) for v in op.inputs]
    types = [fixed.fixed_of(v) for v in inputs]
    ints = max(t.int_bits.data for t in types)
    common = FixedType(ints + max(t.frac for t in types), ints)  # holds every input exactly
    lw.check_width(common)
    same = [lw.cast(v, common, prec) for v in inputs]
    lw.values[op.output] = lw.emit(nn.ConcatOp(same, op.axis.value.data)).output
