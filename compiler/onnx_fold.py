"""Compile-time evaluation of ONNX nodes whose inputs are all constants.

This is how the shape sub-graphs that `torch.onnx.export` emits (Shape -> Gather ->
Unsqueeze -> Concat -> Reshape, ConstantOfShape, Range, Expand, Cast, ...) and
constant weight preprocessing (Transpose, Reshape, arithmetic on initializers) vanish
before IR construction. `Shape` folds whenever its input has a static shape, which the
importer guarantees.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import onnx
from onnx import helper, numpy_helper


class FoldError(Exception):
    """A foldable node whose constant evaluation is invalid (bad indices, ...)."""


def _axes(ctx, index: int, attr: str = "axes"):
    if ctx.has_input(index):
        return [int(a) for a in np.asarray(ctx.const(index)).reshape(-1)]
    value = ctx.attr(attr)
    return None if value is None else [int(a) for a in value]


def _shape(ctx, x):
    start = ctx.attr("start", 0)
    end = ctx.attr("end")
    shape = np.asarray(ctx.shape(0), np.int64)
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


def _expand(ctx, x, shape):
    target = np.broadcast_shapes(x.shape, tuple(int(s) for s in shape))
    return [np.broadcast_to(x, target).copy()]


def _constant_of_shape(ctx, shape):
    value = ctx.attr("value")
    fill = np.zeros(1, np.float32) if value is None else np.asarray(value).reshape(-1)
    return [np.full(tuple(int(s) for s in shape), fill[0], dtype=fill.dtype)]


def _range(ctx, start, limit, delta):
    return [np.arange(start.item(), limit.item(), delta.item(), dtype=start.dtype)]


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
    "Equal": lambda ctx, a, b: [np.equal(a, b)],
    "Where": _where,
}
"""ONNX ops evaluated at compile time when all their inputs are constants."""

SHAPE_ONLY = {"Shape", "Constant"}
"""Folders that need no constant inputs (Shape reads only the static shape)."""


def try_fold(ctx) -> list[np.ndarray] | None:
    """Evaluate ``ctx.node`` if it is foldable now; None if it must be imported as IR."""
    node = ctx.node
    fn = FOLDERS.get(node.op_type)
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
