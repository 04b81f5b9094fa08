"""Bit-exact reference interpreter of the fixed-point level.

Fixed tensors are int64 numpy arrays of raw values (``nncc.dialects.fixed.semantics``); graph inputs are
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

from nncc.dialects import dataflow, fixed, nn
from nncc.dialects.dense import from_dense
from nncc.dialects.fixed import semantics as fm
from nncc.runtime.interpreter import (
    FLOAT_IMPLS,
    InterpreterError,
    conv_sum,
    execute,
    window_sum,
)

EXACT_FLOAT_BITS = 53


def _t(value) -> fixed.FixedType:
    return fixed.fixed_of(value)


_align = fm.align


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


def _lut(op: fixed.LutOp, args, batch):
    table = np.asarray(from_dense(op.table), np.int64)
    return table[fm.lut_index(args[0], op.shift.value.data, op.offset.value.data, table.size)]


def _pwl(op: fixed.PwlOp, args, batch):
    t_in, t_out = _t(op.input), _t(op.output)
    return fm.pwl_eval(
        args[0], t_in.frac, from_dense(op.breakpoints), from_dense(op.slopes), op.slope_type.frac,
        from_dense(op.intercepts), op.intercept_type.frac, t_out.width.data, t_out.frac,
        op.rounding.data.value, op.overflow.data.value,
    )


def _poly(op: fixed.PolyOp, args, batch):
    t_in, t_out = _t(op.input), _t(op.output)
    return fm.poly_eval(
        args[0], t_in.frac, np.asarray(from_dense(op.coefficients)).reshape(-1), op.coeff_type.frac,
        op.acc_type.width.data, op.acc_type.frac, op.min.value.data, op.max.value.data,
        t_out.width.data, t_out.frac, op.rounding.data.value, op.overflow.data.value,
    )


def _activation(op: fixed.ActivationOp, args, batch):
    t_in, t_out = _t(op.input), _t(op.output)
    return fm.ideal_activation(op.function.data, args[0], t_in.frac, t_out.width.data, t_out.frac, op.parameters())


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


def _pe(op: dataflow.PeOp, args, batch):
    """A processing element computes exactly what its wrapped layer computes."""
    env = dict(zip(op.body.block.args, args))
    for inner in op.body.block.ops:
        if isinstance(inner, dataflow.YieldOp):
            return env[inner.operands[0]]
        env[inner.results[0]] = FIXED_IMPLS[type(inner)](inner, [env[v] for v in inner.operands], batch)
    raise InterpreterError("dataflow.pe without dataflow.yield")


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
    nn.GatherOp: FLOAT_IMPLS[nn.GatherOp],
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
    dataflow.PeOp: _pe,
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
