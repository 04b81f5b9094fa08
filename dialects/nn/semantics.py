"""Numpy semantics shared by the `nn` ops (and the `fixed` ops that reuse them): the
vectorized kernels behind `FloatSemantics.evaluate_float` / `FixedSemantics.evaluate_fixed`
and the index tables behind `IndexMap`, `Reduction` and `MacTerms`.

Every kernel takes batch-first arrays and works in their dtype: float64 at the `nn` level,
int64 raw values at the fixed-point level. Nothing here imports the interpreters; they
call the ops, which call these.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from nncc.dialects.interfaces import FixedSemantics, FloatSemantics, MacTerms
from nncc.dialects.nn.windows import ceil_extra, pad_spatial, window_index_table, windows


class SemanticsError(ValueError):
    """An op cannot compute its result for these operands (the message names the op)."""


def ints(attr) -> tuple[int, ...]:
    """The values of an `array<i64: ...>` property."""
    return tuple(int(v) for v in attr.get_values())


def result_shape(op, batch: int) -> tuple[int, ...]:
    """The op's result shape with ``batch`` samples."""
    return (batch,) + tuple(op.results[0].type.get_shape())[1:]


def constant_value(value) -> np.ndarray:
    """The value of a constant operand (an op with `FloatSemantics` or `FixedSemantics`
    and no operands), batch 1 as in the IR."""
    owner = value.owner
    if hasattr(owner, "operands") and not owner.operands:
        if isinstance(owner, FloatSemantics):
            return np.asarray(owner.evaluate_float([], 1))
        if isinstance(owner, FixedSemantics):
            return np.asarray(owner.evaluate_fixed([], 1))
    raise SemanticsError(f"{getattr(owner, 'name', 'argument')}: a multiply-accumulate layer needs constant weights")


def weight_operand(op):
    """The weight operand of a multiply-accumulate layer: its first constant operand
    (`ConstantLike` producer) of rank 2 or more other than the activation; None when the
    weights are not an operand, or are derived from several (an op with ``DERIVED_WEIGHTS``
    true: its `mac_terms` give the weights)."""
    from xdsl.traits import ConstantLike

    if getattr(op, "DERIVED_WEIGHTS", False):  # weights built from several operands (a complex layer)
        return None
    for value in op.operands:
        owner = value.owner
        if value is op.activation() or len(value.type.get_shape()) < 2:
            continue
        if hasattr(owner, "has_trait") and owner.has_trait(ConstantLike):
            return value
    return None


# ---------------------------------------------------------------------------------------
# windows


def conv_sum(x, w, strides, pads, dil, group, out_spatial) -> np.ndarray:
    """Grouped 1-D/2-D convolution without bias, in the dtype of ``x`` and ``w``."""
    kernel = w.shape[2:]
    xp = pad_spatial(x, pads, 0)
    win = windows(xp, kernel, strides, dil, out_spatial)  # N, C, o..., k...
    n, c = win.shape[:2]
    m = w.shape[0]
    cg, mg = c // group, m // group
    win = win.reshape((n, group, cg) + win.shape[2:])
    wg = w.reshape((group, mg, cg) + tuple(kernel))
    if len(kernel) == 1:
        y = np.einsum("ngcok,gmck->ngmo", win, wg, optimize=True)
    else:
        y = np.einsum("ngcpqkl,gmckl->ngmpq", win, wg, optimize=True)
    return y.reshape((n, m) + tuple(out_spatial))


def conv_of(op) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """``conv(x, w)``: the convolution of ``op`` (strides, pads, dilations, group)."""
    out_spatial = tuple(op.output.type.get_shape())[2:]
    args = (ints(op.strides), ints(op.pads), ints(op.dilations), op.group.value.data, out_spatial)
    return lambda x, w: conv_sum(x, w, *args)


def _full_pads(op, spatial) -> tuple[int, ...]:
    """The declared pads of a pooling op plus the extra end padding of ceil mode."""
    rank = len(spatial)
    full = list(ints(op.pads))
    extra = ceil_extra(op, spatial, full)
    for i in range(rank):
        full[rank + i] += extra[i]
    return tuple(full)


def _dilations(op, rank: int) -> tuple[int, ...]:
    return ints(op.dilations) if hasattr(op, "dilations") else (1,) * rank


def pool_windows(op, x: np.ndarray, fill) -> np.ndarray:
    """N x C x out... x k... windows of a pooling op over ``x`` padded with ``fill``."""
    rank = x.ndim - 2
    xp = pad_spatial(x, _full_pads(op, x.shape[2:]), fill)
    out_spatial = tuple(op.output.type.get_shape())[2:]
    return windows(xp, ints(op.kernel), ints(op.strides), _dilations(op, rank), out_spatial)


def window_sum(op, x: np.ndarray) -> np.ndarray:
    """Sum over the pooling windows of ``op`` (kernel/strides/pads/ceil_mode), zero padded."""
    rank = x.ndim - 2
    return pool_windows(op, x, 0).sum(axis=tuple(range(2 + rank, 2 + 2 * rank)))


def max_pool(op, x: np.ndarray) -> np.ndarray:
    """Maximum over the pooling windows of ``op``; padding never wins."""
    rank = x.ndim - 2
    lowest = np.iinfo(x.dtype).min if x.dtype.kind == "i" else -np.inf
    return pool_windows(op, x, lowest).max(axis=tuple(range(2 + rank, 2 + 2 * rank)))


def window_groups(op) -> np.ndarray:
    """`Reduction.reduction_groups` of a pooling op: [C x out..., kernel cells]."""
    x = tuple(op.input.type.get_shape())
    flat = np.arange(int(np.prod(x[1:])), dtype=np.int64).reshape((1,) + x[1:])
    win = pool_windows(op, flat, -1)
    cells = int(np.prod(ints(op.kernel)))
    return np.ascontiguousarray(win).reshape(-1, cells)


def axis_groups(input_shape: Sequence[int], axes: Sequence[int]) -> np.ndarray:
    """`Reduction.reduction_groups` of a reduction over ``axes`` (kept as size 1)."""
    shape = tuple(input_shape)[1:]
    flat = np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)
    reduced = [a - 1 for a in axes]
    kept = [a for a in range(len(shape)) if a not in reduced]
    count = int(np.prod([shape[a] for a in reduced]))
    return flat.transpose(kept + reduced).reshape(-1, count)


def pool_geometry(op):
    """`Windowed.window_geometry` of a pooling op: a depthwise window over C channels (the
    ceil-mode extra padding is part of the padded size)."""
    from nncc.dialects.dataflow import WindowGeometry

    x = tuple(op.input.type.get_shape())
    y = tuple(op.output.type.get_shape())
    kernel, strides = ints(op.kernel), ints(op.strides)
    dil = _dilations(op, len(kernel))
    pads = _full_pads(op, x[2:])
    if len(kernel) == 1:
        return WindowGeometry(x[1], 1, x[2], y[1], x[1], (1, kernel[0]), (1, dil[0]), (1, strides[0]),
                              (0, pads[0]), (1, x[2] + pads[0] + pads[1]), (1, y[2]))
    return WindowGeometry(x[1], x[2], x[3], y[1], x[1], kernel, dil, strides, (pads[0], pads[1]),
                          (x[2] + pads[0] + pads[2], x[3] + pads[1] + pads[3]), (y[2], y[3]))


# ---------------------------------------------------------------------------------------
# data movement: every kernel takes the fill value of the elements it creates


def pad(op, x: np.ndarray, fill) -> np.ndarray:
    """`nn.pad` of ``x``; constant mode fills with ``fill``."""
    pads = ints(op.pads)
    r = x.ndim
    widths = [(pads[i], pads[r + i]) for i in range(r)]
    mode = op.mode.data.value
    if mode == "constant":
        return np.pad(x, widths, mode="constant", constant_values=fill)
    return np.pad(x, widths, mode="reflect" if mode == "reflect" else "edge")


def gather(op, x: np.ndarray, fill) -> np.ndarray:
    """`nn.gather`: per-sample flat selection; index -1 selects ``fill``."""
    extra = np.full((x.shape[0], 1), fill, x.dtype)
    flat = np.concatenate([x.reshape(x.shape[0], -1), extra], axis=1)
    return flat[:, op.table()].reshape((x.shape[0],) + tuple(op.output.type.get_shape())[1:])


def concat(op, args: Sequence[np.ndarray], batch: int) -> np.ndarray:
    """`nn.concat`; a constant operand with batch 1 is repeated along the batch."""
    args = [np.broadcast_to(a, (batch,) + a.shape[1:]) if a.shape[0] == 1 else a for a in args]
    return np.concatenate(args, axis=op.axis.value.data)


def index_table(op, move: Callable[[Sequence[np.ndarray], np.ndarray], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """`IndexMap.index_table` of a data-movement op, found by moving element codes:
    ``move(args, fill)`` is the op's kernel on one sample (fill value given)."""
    shapes = [tuple(v.type.get_shape()) for v in op.operands]
    sizes = [int(np.prod(s[1:], dtype=np.int64)) for s in shapes]
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    codes = [np.arange(o, o + n, dtype=np.int64).reshape((1,) + s[1:]) for o, n, s in zip(offsets, sizes, shapes)]
    moved = np.asarray(move(codes, np.int64(-1))).reshape(-1).astype(np.int64)
    operand = np.where(moved >= 0, np.searchsorted(offsets, moved, side="right") - 1, 0)
    element = np.where(moved >= 0, moved - offsets[operand], -1)
    return operand.astype(np.int64), element.astype(np.int64)


# ---------------------------------------------------------------------------------------
# multiply-accumulate layers as gathered dot products


def dense_terms(op, weights: np.ndarray, bias: np.ndarray) -> MacTerms:
    """`MacTerms` of a dense layer with weights [M, K] over the last input axis."""
    m, k = weights.shape
    rows = int(np.prod(tuple(op.input.type.get_shape())[1:-1], dtype=np.int64))
    index = (np.arange(rows)[:, None, None] * k + np.arange(k)[None, None, :]).repeat(m, axis=1).reshape(-1, k)
    channel = np.tile(np.arange(m), rows)
    return MacTerms(index.astype(np.int64), channel.astype(np.int64), weights, bias)


def conv_terms(op, weights: np.ndarray, bias: np.ndarray) -> MacTerms:
    """`MacTerms` of a grouped 1-D/2-D convolution with weights [M, C/group, k...]."""
    x, y = tuple(op.input.type.get_shape()), tuple(op.output.type.get_shape())
    group = op.group.value.data
    table = window_index_table(x[2:], weights.shape[2:], ints(op.strides), ints(op.pads), ints(op.dilations),
                               y[2:])  # [P, kk], -1 = padding
    positions, cells = table.shape
    spatial = int(np.prod(x[2:], dtype=np.int64))
    m, cg = weights.shape[0], weights.shape[1]
    mg = m // group
    ch = np.arange(m)[:, None, None, None]
    c = np.arange(cg)[None, None, :, None]
    cell = table[None, :, None, :]
    index = np.where(cell >= 0, (ch // mg * cg + c) * spatial + cell, -1)
    index = np.broadcast_to(index, (m, positions, cg, cells)).reshape(m * positions, cg * cells)
    channel = np.repeat(np.arange(m), positions)
    return MacTerms(index.astype(np.int64), channel.astype(np.int64), weights.reshape(m, cg * cells), bias)


def mac_terms_of(op, weights: np.ndarray, bias: np.ndarray) -> MacTerms:
    """`MacTerms` of a dense (2-D weights) or convolution (more axes) layer."""
    return dense_terms(op, weights, bias) if weights.ndim == 2 else conv_terms(op, weights, bias)


def mac_product(op, x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The layer's dot products without bias: ``x @ w.T`` for 2-D weights, else the
    convolution of ``op``; in the dtype of the operands."""
    return x @ w.T if w.ndim == 2 else conv_of(op)(x, w)


def add_channel_bias(y: np.ndarray, bias: np.ndarray, dense: bool) -> np.ndarray:
    """``y`` plus one bias per channel: the last axis (dense) or axis 1 (convolution)."""
    if dense:
        return y + bias
    return y + bias.reshape((1, -1) + (1,) * (y.ndim - 2))
