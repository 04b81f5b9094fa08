"""Compile-time evaluation of ONNX nodes whose inputs are all constants.

This is how the shape sub-graphs that `torch.onnx.export` emits (Shape -> Gather ->
Unsqueeze -> Concat -> Reshape, ConstantOfShape, Range, Expand, Cast, ...) and
constant weight preprocessing (Transpose, Reshape, arithmetic on initializers) vanish
before IR construction. `Shape` folds whenever its input has a static shape, which the
importer guarantees.

Quantized weights fold here too: initializer -> DequantizeLinear, initializer ->
QuantizeLinear -> DequantizeLinear, and QONNX Quant/BipolarQuant/Trunc on constants are
evaluated exactly as ONNX (onnxruntime) and the QONNX reference compute them, in float32.
When the dequantized values lie on a power-of-two grid (scale 2^-F per tensor or per
channel, zero point 0), the folder records a `Grid` for the output, which the importer
attaches to the weight's `nn.constant` as `fixed.grid` so that `convert-nn-to-fixed` can
represent the weight exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import onnx
from onnx import helper, numpy_helper

from nncc.compiler.onnx.limits import too_many_elements
from nncc.compiler.onnx.load import DEFAULT_DOMAINS
from nncc.dialects.nn import quant_limits

QONNX_DOMAINS = ("qonnx.custom_op.general", "finn.custom_op.general", "onnx.brevitas")
"""Domains whose Quant, BipolarQuant and Trunc nodes nncc imports: QONNX, FINN's older name
and Brevitas's export domain (Brevitas writes QONNX there)."""
QONNX_OPS = ("Quant", "BipolarQuant", "Trunc")


class FoldError(Exception):
    """A foldable node whose constant evaluation is invalid (bad indices, ...)."""


def op_key(node: onnx.NodeProto) -> str | None:
    """The key of ``node`` in FOLDERS and IMPORTERS: the op type for the default domain,
    "qonnx.<op>" for a QONNX op, None for an operator domain nncc does not import."""
    if node.domain in DEFAULT_DOMAINS:
        return node.op_type
    if node.domain in QONNX_DOMAINS and node.op_type in QONNX_OPS:
        return "qonnx." + node.op_type
    return None


@dataclass(frozen=True)
class Grid:
    """Values that are integers times 2^-frac and fit ``bits`` bits (two's complement if
    ``signed``, else unsigned): a weight's power-of-two quantization grid."""

    bits: int
    frac: int
    signed: bool


def _axes(ctx, index: int, attr: str = "axes"):
    if ctx.has_input(index):
        return [int(a) for a in np.asarray(ctx.const(index)).reshape(-1)]
    value = ctx.attr(attr)
    return None if value is None else [int(a) for a in value]


def _shape(ctx, x):
    start = ctx.attr("start", 0)
    end = ctx.attr("end")
    shape = np.asarray(ctx.onnx_shape(0), np.int64)
    return [shape[start:end] if end is not None else shape[start:]]


def _constant(ctx, *_):
    for key in ("value", "value_float", "value_floats", "value_int", "value_ints"):
        if key in ctx.attrs:
            value = ctx.attrs[key]
            if key in ("value_float", "value_floats"):
                return [np.asarray(value, np.float32)]
            if key in ("value_int", "value_ints"):
                return [np.asarray(value, np.int64)]
            return [np.asarray(value)]
    raise FoldError("Constant without a supported value attribute (sparse and string constants are not supported)")


def _gather(ctx, data, indices):
    axis = ctx.attr("axis", 0)
    try:
        return [np.take(data, indices.astype(np.int64), axis=axis)]
    except (IndexError, np.exceptions.AxisError) as err:
        raise FoldError(f"gather out of range: {err}") from None


def _unsqueeze(ctx, x, *_):
    out = x
    axes = _axes(ctx, 1)
    rank = x.ndim + len(axes)
    for a in sorted(a % rank for a in axes):
        out = np.expand_dims(out, a)
    return [out]


def _squeeze(ctx, x, *_):
    axes = _axes(ctx, 1)
    return [np.squeeze(x, axis=tuple(axes)) if axes else np.squeeze(x)]


def _concat(ctx, *xs):
    return [np.concatenate(xs, axis=ctx.attr("axis"))]


def _reshape(ctx, x, shape):
    target = [int(s) for s in shape]
    if not ctx.attr("allowzero", 0):
        target = [x.shape[i] if s == 0 else s for i, s in enumerate(target)]
    try:
        return [x.reshape(target)]
    except ValueError as err:
        raise FoldError(str(err)) from None


def _limited(shape) -> tuple[int, ...]:
    """``shape`` as ints; a FoldError before allocating a tensor over the size limit."""
    dims = tuple(int(s) for s in np.asarray(shape).reshape(-1))
    if reason := too_many_elements(dims):
        raise FoldError(f"refusing to build a tensor: {reason}")
    return dims


def _expand(ctx, x, shape):
    target = np.broadcast_shapes(x.shape, tuple(int(s) for s in shape))
    return [np.broadcast_to(x, _limited(target)).copy()]


def _constant_of_shape(ctx, shape):
    value = ctx.attr("value")
    fill = np.zeros(1, np.float32) if value is None else np.asarray(value).reshape(-1)
    return [np.full(_limited(shape), fill[0], dtype=fill.dtype)]


def _range(ctx, start, limit, delta):
    """Range; float16 operands are computed in float32 (opset 27 `stash_type`, default 1),
    as numpy's arange computes start + i * delta."""
    if not delta.item():
        raise FoldError("delta is 0")
    count = np.ceil((float(limit.item()) - float(start.item())) / float(delta.item()))
    if not np.isfinite(count):
        raise FoldError(f"start {start.item()}, limit {limit.item()}, delta {delta.item()} give no finite length")
    _limited([max(count, 0)])
    dtype = start.dtype
    if dtype == np.float16 and int(ctx.attr("stash_type", 1)) == 1:
        values = np.arange(np.float32(start.item()), np.float32(limit.item()), np.float32(delta.item()), np.float32)
        return [values.astype(dtype)]
    return [np.arange(start.item(), limit.item(), delta.item(), dtype=dtype)]


def _cast(ctx, x):
    dtype = helper.tensor_dtype_to_np_dtype(ctx.attr("to"))
    return [x.astype(dtype)]


def _slice(ctx, x, starts, ends, axes=None, steps=None):
    axes = list(range(len(starts))) if axes is None else [int(a) for a in axes]
    steps = [1] * len(starts) if steps is None else [int(s) for s in steps]
    index = [slice(None)] * x.ndim
    for s, e, a, st in zip(starts, ends, axes, steps):
        index[a] = slice(int(s), int(e), st)
    return [x[tuple(index)]]


def _transpose(ctx, x):
    perm = ctx.attr("perm")
    return [np.transpose(x, perm)]


def _flatten(ctx, x):
    axis = ctx.attr("axis", 1) % (x.ndim + 1) if x.ndim else 0
    return [x.reshape(int(np.prod(x.shape[:axis])), -1)]


def _binary(fn):
    def fold(ctx, a, b):
        return [fn(a, b).astype(np.result_type(a, b))]

    return fold


def _div(ctx, a, b):
    if a.dtype.kind in "iu" and b.dtype.kind in "iu":
        if np.any(b == 0):
            raise FoldError("integer division by zero")
        return [np.trunc(a / b).astype(np.result_type(a, b))]
    return [(a / b).astype(np.result_type(a, b))]


def _where(ctx, cond, a, b):
    return [np.where(cond, a, b)]


# ---------------------------------------------------------------------------------------
# quantization (ONNX QuantizeLinear/DequantizeLinear, QONNX Quant/BipolarQuant/Trunc)


def integer_type(dtype) -> tuple[int, bool] | None:
    """(bits, signed) of an integer numpy dtype (int4/uint4 included), else None."""
    dt = np.dtype(dtype)
    if dt.kind in "iu":
        return dt.itemsize * 8, dt.kind == "i"
    return {"int4": (4, True), "uint4": (4, False)}.get(str(dt))


def pot_exponents(scale) -> np.ndarray | None:
    """F with scale == 2^-F for every element, or None if any is not a power of two."""
    s = np.asarray(scale, np.float64)
    if s.size == 0 or not np.all(np.isfinite(s)) or np.any(s <= 0):
        return None
    mantissa, exponent = np.frexp(s)
    if np.any(mantissa != 0.5):
        return None
    return (1 - exponent).astype(np.int64)


def pot_grid(scale, zero_point, bits: int, signed: bool) -> Grid | None:
    """The grid of dequantized values (q - zp) * scale, q a ``bits``-bit integer, when the
    scales are powers of two and every zero point is 0.

    Per-channel scales 2^-F_c share the finest grid F = max F_c, which needs
    max F_c - min F_c more bits to hold the coarsest channel's range.
    """
    if zero_point is not None and np.any(np.asarray(zero_point, np.float64) != 0):
        return None
    exps = pot_exponents(scale)
    if exps is None:
        return None
    return Grid(bits + int(exps.max() - exps.min()), int(exps.max()), signed)


def _per_axis(ctx, value: np.ndarray, ndim: int, what: str) -> np.ndarray:
    """A scale or zero point shaped to broadcast against an ``ndim``-D tensor along ``axis``."""
    if ctx.attr("block_size", 0):
        raise FoldError("blocked quantization (block_size) is not supported")
    value = np.asarray(value)
    if value.size == 1 and value.ndim <= 1:
        return value.reshape(())
    if value.ndim != 1:
        raise FoldError(f"{what} must be a scalar or 1-D, got shape {list(value.shape)}")
    axis = int(ctx.attr("axis", 1))
    if not -ndim <= axis < ndim:
        raise FoldError(f"axis {axis} is out of range for rank {ndim}")
    shape = [1] * ndim
    shape[axis % ndim] = value.size
    return value.reshape(shape)


def quantized_dtype(ctx, zero_point: np.ndarray | None) -> np.dtype:
    """Element type of QuantizeLinear's output: the zero point's, else `output_dtype`
    (opset 21), else uint8."""
    if zero_point is not None:
        return np.asarray(zero_point).dtype
    output_dtype = ctx.attr("output_dtype", 0)
    if output_dtype:
        return np.dtype(helper.tensor_dtype_to_np_dtype(output_dtype))
    return np.dtype(np.uint8)


def _integer_limits(dtype) -> tuple[int, int, int, bool]:
    info = integer_type(dtype)
    if info is None:
        raise FoldError(f"quantized type {np.dtype(dtype)} is not supported (only integer types)")
    bits, signed = info
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    return lo, hi, bits, signed


def _quantize_linear(ctx, x, scale, zero_point=None):
    """ONNX QuantizeLinear: saturate(round_half_even(x / scale) + zero_point)."""
    dtype = quantized_dtype(ctx, zero_point)
    lo, hi, _, _ = _integer_limits(dtype)
    s = _per_axis(ctx, scale, x.ndim, "scale")
    zp = 0 if zero_point is None else _per_axis(ctx, zero_point, x.ndim, "zero point").astype(np.int64)
    precision = int(ctx.attr("precision", 0))  # opset 23: the division's float type
    if precision:
        work = np.dtype(helper.tensor_dtype_to_np_dtype(precision))
        x, s = x.astype(work), s.astype(work)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        v = np.rint(x / s)  # in the float type of x and scale (or `precision`), as ONNX computes it
    if not np.all(np.isfinite(v)):
        raise FoldError("quantizing a constant gives non-finite values")
    return [np.clip(v.astype(np.float64) + zp, lo, hi).astype(dtype)]


def _dequantize_linear(ctx, x, scale, zero_point=None):
    """ONNX DequantizeLinear: (x - zero_point) * scale, per tensor or per axis."""
    _, _, bits, signed = _integer_limits(x.dtype)
    s = _per_axis(ctx, scale, x.ndim, "scale")
    zp = 0 if zero_point is None else _per_axis(ctx, zero_point, x.ndim, "zero point").astype(np.int64)
    y = (x.astype(np.int64) - zp).astype(s.dtype) * s
    ctx.record_grid(0, pot_grid(scale, zero_point, bits, signed))
    output_dtype = int(ctx.attr("output_dtype", 0))  # opset 23: explicit output type
    out = np.dtype(helper.tensor_dtype_to_np_dtype(output_dtype)) if output_dtype else s.dtype
    return [y.astype(out)]


def _sign_round(fn):
    return lambda v: np.sign(v) * fn(np.abs(v))


QONNX_ROUNDING = {
    "ROUND": np.round,
    "HALF_EVEN": np.round,
    "CEIL": np.ceil,
    "FLOOR": np.floor,
    "UP": _sign_round(np.ceil),
    "DOWN": np.fix,
    "ROUND_TO_ZERO": np.fix,
    "HALF_UP": _sign_round(lambda v: np.floor(v + 0.5)),
    "HALF_DOWN": _sign_round(lambda v: np.ceil(v - 0.5)),
}
"""QONNX rounding_mode -> numpy rounding (the QONNX Quant documentation's table, plus
Brevitas's ROUND_TO_ZERO, which is QONNX's DOWN: sign(v) * floor(|v|))."""


def qonnx_rounding(ctx, default: str) -> str:
    """The node's rounding_mode attribute, upper-cased and checked."""
    mode = str(ctx.attr("rounding_mode", default)).upper()
    if mode not in QONNX_ROUNDING:
        raise FoldError(f"rounding_mode '{mode}' is not one of {', '.join(QONNX_ROUNDING)}")
    return mode


def qonnx_bits(value, what: str = "bitwidth") -> int:
    """A QONNX bit width: a scalar positive integer (int or float dtype)."""
    v = np.asarray(value)
    if v.size != 1:
        raise FoldError(f"{what} must be a scalar, got shape {list(v.shape)}")
    bits = float(v.reshape(-1)[0])
    if bits != int(bits) or not 1 <= bits <= 32:
        raise FoldError(f"{what} must be an integer in [1, 32], got {bits:g}")
    return int(bits)


def _f32(*arrays):
    return [np.asarray(a, np.float32) for a in arrays]


def _qonnx_quant(ctx, x, scale, zeropt, bitwidth):
    """QONNX Quant, as its reference implementation computes it (float32):
    q = R(clip(x / scale + zeropt, min, max)); y = (q - zeropt) * scale. A signed 1-bit
    Quant is bipolar (+1 if x / scale + zeropt >= 0, else -1)."""
    bits = qonnx_bits(bitwidth)
    signed, narrow = bool(ctx.attr("signed", 1)), bool(ctx.attr("narrow", 0))
    rounding = QONNX_ROUNDING[qonnx_rounding(ctx, "ROUND")]
    x, scale, zeropt = _f32(x, scale, zeropt)
    v = x / scale + zeropt
    if bits == 1 and signed:
        q = np.where(v >= 0, np.float32(1), np.float32(-1))
        grid = pot_grid(scale, zeropt, 2, True)
    else:
        lo, hi = quant_limits(bits, signed, narrow)
        q = rounding(np.clip(v, np.float32(lo), np.float32(hi)))
        grid = pot_grid(scale, zeropt, bits, signed)
    ctx.record_grid(0, grid)
    return [((q - zeropt) * scale).astype(np.float32)]


def _qonnx_bipolar_quant(ctx, x, scale):
    """QONNX BipolarQuant: y = scale if x >= 0 else -scale."""
    x, scale = _f32(x, scale)
    ctx.record_grid(0, pot_grid(scale, None, 2, True))
    return [(np.where(x >= 0, np.float32(1), np.float32(-1)) * scale).astype(np.float32)]


def _qonnx_trunc(ctx, x, scale, zeropt, in_bits, *rest):
    """QONNX Trunc. Version 1 (5 inputs: x, scale, zeropt, in_bitwidth, out_bitwidth):
    y = (R(round(x / scale + zeropt) / 2^(in - out)) - zeropt) * scale. Version 2 (6 inputs:
    ..., in_bitwidth, out_scale, out_bitwidth, as qonnx 1.0 and Brevitas 0.13 write it; or 7
    with an out_zeropt before out_bitwidth, which does not enter the result; attributes
    signed, narrow): t = 2^round(log2(out_scale / scale)),
    y = (R(clip(round(x / scale + zeropt) / t)) - zeropt / t) * out_scale."""
    rounding = QONNX_ROUNDING[qonnx_rounding(ctx, "FLOOR")]
    x, scale, zeropt = _f32(x, scale, zeropt)
    y = np.round(x / scale + zeropt)
    if len(rest) == 1:
        shift = qonnx_bits(in_bits, "in_bitwidth") - qonnx_bits(rest[0], "out_bitwidth")
        y = rounding(y / np.float32(2.0**shift))
        return [((y - zeropt) * scale).astype(np.float32)]
    if len(rest) not in (2, 3):
        raise FoldError(f"Trunc takes 5, 6 or 7 inputs, got {4 + len(rest)}")
    out_scale = np.asarray(rest[0], np.float32)
    out_bits = qonnx_bits(rest[-1], "out_bitwidth")
    qonnx_bits(in_bits, "in_bitwidth")
    trunc_scale = (2.0 ** np.round(np.log2(out_scale / scale))).astype(np.float32)
    lo, hi = quant_limits(out_bits, bool(ctx.attr("signed", 1)), bool(ctx.attr("narrow", 0)))
    y = rounding(np.clip(y / trunc_scale, np.float32(lo), np.float32(hi)))
    return [((y - zeropt / trunc_scale) * out_scale).astype(np.float32)]


FOLDERS: dict[str, Callable] = {
    "Shape": _shape,
    "Constant": _constant,
    "Gather": _gather,
    "Unsqueeze": _unsqueeze,
    "Squeeze": _squeeze,
    "Concat": _concat,
    "Reshape": _reshape,
    "Expand": _expand,
    "ConstantOfShape": _constant_of_shape,
    "Range": _range,
    "Cast": _cast,
    "Slice": _slice,
    "Transpose": _transpose,
    "Flatten": _flatten,
    "Identity": lambda ctx, x: [x],
    "Add": _binary(np.add),
    "Sub": _binary(np.subtract),
    "Mul": _binary(np.multiply),
    "Div": _div,
    "Neg": lambda ctx, x: [-x],
    "Sign": lambda ctx, x: [np.sign(x)],
    "Equal": lambda ctx, a, b: [np.equal(a, b)],
    "Where": _where,
}
"""ONNX ops evaluated at compile time when all their inputs are constants."""

QUANT_FOLDERS: dict[str, Callable] = {
    "QuantizeLinear": _quantize_linear,
    "DequantizeLinear": _dequantize_linear,
    "qonnx.Quant": _qonnx_quant,
    "qonnx.BipolarQuant": _qonnx_bipolar_quant,
    "qonnx.Trunc": _qonnx_trunc,
}
"""Quantization ops (keyed by `op_key`) evaluated when all their inputs are constants
(quantized weights)."""


def folder_for(key: str | None) -> Callable | None:
    """The folder of an `op_key`, or None."""
    return FOLDERS.get(key) or QUANT_FOLDERS.get(key)

GRID_PRESERVING = {"Transpose", "Reshape", "Squeeze", "Unsqueeze", "Identity", "Flatten", "Expand", "Slice", "Gather"}
"""Folders whose output holds a subset of input 0's values (so keeps its `Grid`)."""

SHAPE_ONLY = {"Shape", "Constant"}
"""Folders that need no constant inputs (Shape reads only the static shape)."""


VALUE_SOURCES = {
    "Expand": (0,), "Reshape": (0,), "ConstantOfShape": (), "Constant": (), "Squeeze": (0,), "Unsqueeze": (0,),
}
"""Folders whose output values come only from these inputs (the others give shapes/axes)."""


def _selects_first(ctx, derived: set[str]) -> bool | None:
    """For Gather/Slice of a 1-D batch-derived vector: whether element 0 is selected (None
    when that cannot be told, e.g. the indices themselves are batch-derived)."""
    data = ctx.const(0)
    if data is None or data.ndim != 1 or any(x in derived for x in ctx.node.input[1:] if x):
        return None
    positions = np.arange(data.shape[0])
    batch = ctx.builder.batch_positions.get(ctx.node.input[0], 0)
    try:
        if ctx.node.op_type == "Gather":
            return bool(np.any(np.take(positions, np.asarray(ctx.const(1)).astype(np.int64)) == batch))
        args = [None if not ctx.has_input(i) else ctx.const(i) for i in range(1, len(ctx.node.input))]
        return bool(np.any(_slice(ctx, positions, *args)[0] == batch))
    except (IndexError, ValueError, TypeError):
        return None


def batch_dependent(ctx, derived: set[str]) -> bool:
    """True if the folded outputs of ``ctx.node`` depend on the batch size: a Shape of a
    run-time tensor that includes axis 0 (the per-sample IR folds it to 1), or anything
    computed from such a value (``derived``: the names of the batch-dependent constants)."""
    node = ctx.node
    if node.op_type == "Shape" and op_key(node) == "Shape":
        if not ctx.is_runtime(0):
            return False
        rank = len(ctx.shape(0))
        start, end = int(ctx.attr("start", 0)), ctx.attr("end")
        start = max(start + rank if start < 0 else start, 0)
        end = rank if end is None else (int(end) + rank if int(end) < 0 else int(end))
        return start <= ctx.batch_axis(0) < end
    inputs = [x for x in node.input if x]
    if not any(x in derived for x in inputs):
        return False
    if node.op_type in ("Gather", "Slice") and node.input[0] in derived:
        first = _selects_first(ctx, derived)
        return True if first is None else first
    if node.op_type in VALUE_SOURCES:
        return any(node.input[i] in derived for i in VALUE_SOURCES[node.op_type] if i < len(node.input))
    return True


def try_fold(ctx) -> list[np.ndarray] | None:
    """Evaluate ``ctx.node`` if it is foldable now; None if it must be imported as IR."""
    node = ctx.node
    fn = folder_for(op_key(node))
    if fn is None:
        return None
    if node.op_type in SHAPE_ONLY:
        return [np.asarray(v) for v in fn(ctx, None)]
    args = []
    for i in range(len(node.input)):
        if not ctx.has_input(i):
            args.append(None)
            continue
        value = ctx.const(i)
        if value is None:
            return None
        args.append(np.asarray(value))
    while args and args[-1] is None:
        args.pop()
    try:
        return [np.asarray(v) for v in fn(ctx, *args)]
    except FoldError:
        raise
    except (ValueError, TypeError, IndexError) as err:
        raise FoldError(f"cannot evaluate on constants: {err}") from None


_ = (onnx, numpy_helper)
