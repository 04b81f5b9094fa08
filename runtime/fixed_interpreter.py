"""Bit-exact reference interpreter of the fixed-point level.

Fixed tensors are int64 numpy arrays of raw values (``fixed_math``); graph inputs are
floats until `fixed.quantize`, outputs are floats after `fixed.dequantize`. Every op is
vectorized over the batch. Matrix products run in float64 (BLAS) when the accumulator
type is at most 53 bits wide, where every partial sum is an exactly representable
integer, and in int64 otherwise, so results are exact either way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation

from nncc.dialects import fixed, nn
from nncc.dialects.dense import from_dense
from nncc.runtime import fixed_math as fm
from nncc.runtime.interpreter import (
    FLOAT_IMPLS,
    InterpreterError,
    conv_sum,
    execute,
    window_sum,
)

EXACT_FLOAT_BITS = 53


def _t(value) -> fixed.FixedType:
    return fixed.ops.fixed_of(value)


def _align(q: np.ndarray, frac_from: int, frac_to: int) -> np.ndarray:
    """Exact left shift of raw values to more fractional bits."""
    if frac_to < frac_from:
        raise InterpreterError(f"cannot align {frac_from} to fewer ({frac_to}) fractional bits exactly")
    return np.asarray(q, np.int64) << np.int64(frac_to - frac_from)


def _exact_product(fn, width: int, *arrays):
    """Run an integer product-sum ``fn`` exactly: float64 BLAS when it fits 53 bits."""
    if width <= EXACT_FLOAT_BITS:
        return np.rint(fn(*(a.astype(np.float64) for a in arrays))).astype(np.int64)
    return fn(*(a.astype(np.int64) for a in arrays))


def _constant(op: fixed.ConstantOp, args, batch):
    return np.asarray(from_dense(op.value), np.int64)


def _quantize(op: fixed.QuantizeOp, args, batch):
    t = _t(op.output)
    return fm.quantize(args[0], t.width.data, t.frac, op.rounding.data.value, op.overflow.data.value)


def _dequantize(op: fixed.DequantizeOp, args, batch):
    return fm.to_float(args[0], _t(op.input).frac)


def _cast(op: fixed.CastOp, args, batch):
    src, dst = _t(op.input), _t(op.output)
    return fm.cast(args[0], src.frac, dst.width.data, dst.frac, op.rounding.data.value, op.overflow.data.value)


def _dense(op: fixed.DenseOp, args, batch):
    acc = _t(op.output)
    y = _exact_product(lambda x, w: x @ w.T, acc.width.data, args[0], args[1])
    y = _align(y, _t(op.input).frac + _t(op.weight).frac, acc.frac)
    if len(args) > 2:
        y = y + _align(args[2], _t(op.bias).frac, acc.frac)
    return y


def _conv(op: fixed.ConvOp, args, batch):
    acc = _t(op.output)
    out_spatial = tuple(op.output.type.get_shape())[2:]
    strides, pads = tuple(op.strides.get_values()), tuple(op.pads.get_values())
    dil, group = tuple(op.dilations.get_values()), op.group.value.data

    def conv(x, w):
        return conv_sum(x, w, strides, pads, dil, group, out_spatial)

    y = _exact_product(conv, acc.width.data, args[0], args[1])
    y = _align(y, _t(op.input).frac + _t(op.weight).frac, acc.frac)
    if len(args) > 2:
        b = _align(args[2], _t(op.bias).frac, acc.frac)
        y = y + b.reshape((1, -1) + (1,) * len(out_spatial))
    return y


def _matmul(op: fixed.MatMulOp, args, batch):
    acc = _t(op.output)
    y = _exact_product(np.matmul, acc.width.data, args[0], args[1])
    return _align(y, _t(op.lhs).frac + _t(op.rhs).frac, acc.frac)


def _sum_like(sign: int):
    def run(op, args, batch):
        frac = _t(op.output).frac
        a = _align(args[0], _t(op.lhs).frac, frac)
        b = _align(args[1], _t(op.rhs).frac, frac)
        return a + b if sign > 0 else a - b

    return run


def _mul(op: fixed.MulOp, args, batch):
    return np.asarray(args[0], np.int64) * np.asarray(args[1], np.int64)


def _sum_pool(op: fixed.SumPoolOp, args, batch):
    return window_sum(op, np.asarray(args[0], np.int64))


def _reduce(fn):
    def run(op, args, batch):
        return fn(np.asarray(args[0], np.int64), axis=tuple(op.axes.get_values()), keepdims=True)

    return run


def _clamp(op: fixed.ClampOp, args, batch):
    return np.clip(args[0], op.min.value.data, op.max.value.data)


def _leaky_relu(op: fixed.LeakyReluOp, args, batch):
    x, alpha = args
    t, a = _t(op.input), _t(op.alpha)
    negative = fm.cast(x * alpha, t.frac + a.frac, t.width.data, t.frac, op.rounding.data.value, "sat")
    return np.where(x >= 0, x, negative)


def lut_index(raw: np.ndarray, shift: int, offset: int, size: int) -> np.ndarray:
    """Table index of `fixed.lut`: clamp((raw >> shift) + offset, 0, size - 1)."""
    idx = fm.shift_round(raw, shift, "trn") + offset
    return np.clip(idx, 0, size - 1)


def _lut(op: fixed.LutOp, args, batch):
    table = np.asarray(from_dense(op.table), np.int64)
    return table[lut_index(args[0], op.shift.value.data, op.offset.value.data, table.size)]


def _pwl(op: fixed.PwlOp, args, batch):
    x = np.asarray(args[0], np.int64)
    t_in, t_out = _t(op.input), _t(op.output)
    bps = np.asarray(from_dense(op.breakpoints), np.int64)
    m = np.asarray(from_dense(op.slopes), np.int64)
    c = np.asarray(from_dense(op.intercepts), np.int64)
    k = np.searchsorted(bps, x, side="right")
    frac = max(op.slope_type.frac + t_in.frac, op.intercept_type.frac)
    y = _align(m[k] * x, op.slope_type.frac + t_in.frac, frac) + _align(c[k], op.intercept_type.frac, frac)
    return fm.cast(y, frac, t_out.width.data, t_out.frac, op.rounding.data.value, op.overflow.data.value)


def poly_eval(op: fixed.PolyOp, x: np.ndarray) -> np.ndarray:
    """The `fixed.poly` recurrence on raw input values (shared by tests)."""
    t_in, t_out = _t(op.input), _t(op.output)
    acc, ct = op.acc_type, op.coeff_type
    rounding = op.rounding.data.value
    coeffs = [int(v) for v in np.asarray(from_dense(op.coefficients)).reshape(-1)]
    u = np.clip(np.asarray(x, np.int64), op.min.value.data, op.max.value.data)
    t = fm.cast(np.full(u.shape, coeffs[-1], np.int64), ct.frac, acc.width.data, acc.frac, rounding, "sat")
    for c in reversed(coeffs[:-1]):
        frac = max(acc.frac + t_in.frac, ct.frac)
        s = _align(t * u, acc.frac + t_in.frac, frac) + _align(np.int64(c), ct.frac, frac)
        t = fm.cast(s, frac, acc.width.data, acc.frac, rounding, "sat")
    return fm.cast(t, acc.frac, t_out.width.data, t_out.frac, rounding, op.overflow.data.value)


def _poly(op: fixed.PolyOp, args, batch):
    return poly_eval(op, args[0])


IDEAL_FUNCTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sigmoid": lambda v: 0.5 * (1.0 + np.tanh(0.5 * v)),
    "tanh": np.tanh,
    "exp": np.exp,
    "reciprocal": lambda v: np.divide(1.0, v, out=np.full_like(v, np.inf), where=v != 0),
}
"""The real functions `fixed.activation` approximates (float64)."""


def _activation(op: fixed.ActivationOp, args, batch):
    t_in, t_out = _t(op.input), _t(op.output)
    with np.errstate(over="ignore"):
        y = IDEAL_FUNCTIONS[op.function.data](fm.to_float(args[0], t_in.frac))
    return fm.quantize(y, t_out.width.data, t_out.frac, "rnd", "sat")


def _pad(op: nn.PadOp, args, batch):
    x = args[0]
    if x.dtype.kind != "i":
        return FLOAT_IMPLS[nn.PadOp](op, args, batch)
    t = _t(op.input)
    raw = op.value.value.data * 2.0**t.frac
    if raw != np.floor(raw):
        raise InterpreterError(f"nn.pad: value {op.value.value.data} is not representable in {t}")
    pads = tuple(op.pads.get_values())
    r = x.ndim
    widths = [(pads[i], pads[r + i]) for i in range(r)]
    mode = op.mode.data.value
    if mode == "constant":
        return np.pad(x, widths, mode="constant", constant_values=int(raw))
    return np.pad(x, widths, mode="reflect" if mode == "reflect" else "edge")


FIXED_IMPLS: dict[type[Operation], Callable] = {
    # type-agnostic nn ops on raw integers
    nn.ReluOp: FLOAT_IMPLS[nn.ReluOp],
    nn.ReshapeOp: FLOAT_IMPLS[nn.ReshapeOp],
    nn.FlattenOp: FLOAT_IMPLS[nn.FlattenOp],
    nn.TransposeOp: FLOAT_IMPLS[nn.TransposeOp],
    nn.ConcatOp: FLOAT_IMPLS[nn.ConcatOp],
    nn.MaxPoolOp: FLOAT_IMPLS[nn.MaxPoolOp],
    nn.GlobalMaxPoolOp: FLOAT_IMPLS[nn.GlobalMaxPoolOp],
    nn.PadOp: _pad,
    # fixed ops
    fixed.ConstantOp: _constant,
    fixed.QuantizeOp: _quantize,
    fixed.DequantizeOp: _dequantize,
    fixed.CastOp: _cast,
    fixed.DenseOp: _dense,
    fixed.ConvOp: _conv,
    fixed.MatMulOp: _matmul,
    fixed.AddOp: _sum_like(+1),
    fixed.SubOp: _sum_like(-1),
    fixed.MulOp: _mul,
    fixed.SumPoolOp: _sum_pool,
    fixed.ReduceSumOp: _reduce(np.sum),
    fixed.ReduceMaxOp: _reduce(np.max),
    fixed.ClampOp: _clamp,
    fixed.LeakyReluOp: _leaky_relu,
    fixed.LutOp: _lut,
    fixed.PwlOp: _pwl,
    fixed.PolyOp: _poly,
    fixed.ActivationOp: _activation,
}
"""Implementation of every op that may appear at the fixed-point level."""


def run_fixed(
    module: ModuleOp,
    inputs: Mapping[str, np.ndarray],
    *,
    observe: Callable[[Operation, np.ndarray], None] | None = None,
) -> dict[str, np.ndarray]:
    """Run a fixed-point module bit-exactly; outputs are float64 (dequantized exactly).

    ``observe(op, value)`` sees raw int64 values for fixed results.
    """
    outputs = execute(module, inputs, FIXED_IMPLS, observe=observe)
    return {name: np.asarray(value, np.float64) for name, value in outputs.items()}
