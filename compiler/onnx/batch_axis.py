"""Tensors whose batch axis is not axis 0 (recurrent layers' sequence-first layout).

ONNX's LSTM and GRU read and write sequence-first tensors (``X: [T, B, I]``,
``Y: [T, dirs, B, H]``, ``Y_h: [dirs, B, H]``), and exporters move the batch axis there and
back with Transpose, Squeeze, Reshape and Gather. The IR is per sample and keeps the batch
axis first, so the importer records, per ONNX tensor, where its batch axis is
(``batch_axis``) and keeps the IR value with that axis moved to the front. With one sample
the batch axis has size 1, so both layouts hold the same elements in the same order.

The structural operators below take such tensors (and Transpose may move the batch axis
away from axis 0): their ONNX semantics are applied with numpy to the per-sample index
table in the ONNX layout, and the result becomes one `nn.gather` (or a reshape, or
nothing) on the batch-first value. Every other operator refuses a moved batch axis.
"""

from __future__ import annotations

import numpy as np
from xdsl.ir import SSAValue

from nncc.compiler.onnx.ops_structure import _index_op
from nncc.dialects.nn import shapes

STRUCTURAL = ("Transpose", "Squeeze", "Unsqueeze", "Gather", "Slice", "Reshape")
"""Operators imported here when an input's batch axis is not axis 0."""

SEQUENCE_OPS = ("LSTM", "GRU")
"""Operators that read a moved batch axis themselves."""


def onnx_shape(ir_shape, axis: int) -> tuple[int, ...]:
    """The per-sample ONNX shape of an IR value (batch first) whose ONNX batch axis is ``axis``."""
    rest = list(ir_shape[1:])
    rest.insert(axis, ir_shape[0])
    return tuple(rest)


def applies(ctx) -> bool:
    """True if ``ctx.node`` is a structural operator to import here: an input has a moved
    batch axis, or a Transpose moves axis 0."""
    op = ctx.node.op_type
    if op not in STRUCTURAL or not ctx.is_runtime(0):
        return False
    if ctx.batch_axis(0) != 0:
        return True
    return op == "Transpose" and list(ctx.attr("perm", [1, 0]))[:1] != [0]


def refuse_moved(ctx) -> None:
    """Fail a node that reads a tensor with a moved batch axis and cannot follow it."""
    if ctx.node.op_type in SEQUENCE_OPS:
        return
    for i, name in enumerate(ctx.node.input):
        if name and ctx.batch_axis(i) != 0:
            ctx.fail(f"input {i} ('{name}') has its batch axis at position {ctx.batch_axis(i)} (a sequence-first "
                     f"tensor); only {', '.join(STRUCTURAL)} may read it")


def _table(ctx) -> tuple[np.ndarray, int]:
    shape = onnx_shape(ctx.shape(0), ctx.batch_axis(0))
    return np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape), ctx.batch_axis(0)


def _finish(ctx, table: np.ndarray, axis: int) -> list[SSAValue]:
    if table.size == 0:
        ctx.fail("the result is empty")
    ctx.out_batch_axes[0] = axis
    return [_index_op(ctx, ctx.value(0), np.moveaxis(table, axis, 0))]


def _axes(ctx, i: int, rank: int, attr: str = "axes") -> list[int] | None:
    raw = ctx.const(i) if ctx.opset >= 13 else ctx.attr(attr)
    if ctx.opset >= 13 and ctx.has_input(i) and raw is None:
        ctx.fail(f"{attr} must be a compile-time constant")
    if raw is None:
        return None
    try:
        return sorted(shapes.normalize_axis(int(a), rank) for a in np.asarray(raw).reshape(-1))
    except ValueError as err:
        ctx.fail(str(err))


def _transpose(ctx):
    idx, k = _table(ctx)
    perm = [int(p) for p in ctx.attr("perm", list(reversed(range(idx.ndim))))]
    if sorted(perm) != list(range(idx.ndim)):
        ctx.fail(f"perm {perm} is not a permutation of rank {idx.ndim}")
    return _finish(ctx, idx.transpose(perm), perm.index(k))


def _squeeze(ctx):
    idx, k = _table(ctx)
    axes = _axes(ctx, 1, idx.ndim)
    if axes is None:
        axes = [a for a, d in enumerate(idx.shape) if d == 1 and a != k]
    if k in axes:
        ctx.fail("squeezing the batch axis is not supported")
    if any(idx.shape[a] != 1 for a in axes):
        ctx.fail(f"cannot squeeze axes {axes} of shape {list(idx.shape)}")
    return _finish(ctx, np.squeeze(idx, tuple(axes)), k - sum(a < k for a in axes))


def _unsqueeze(ctx):
    idx, k = _table(ctx)
    rank = idx.ndim + len(np.asarray(ctx.require_const(1, "axes") if ctx.opset >= 13 else ctx.attr("axes")).reshape(-1))
    axes = _axes(ctx, 1, rank)
    out_shape, source = list(idx.shape), list(range(idx.ndim))
    for a in axes:
        out_shape.insert(a, 1)
        source.insert(a, -1)
    return _finish(ctx, idx.reshape(out_shape), source.index(k))


def _gather(ctx):
    idx, k = _table(ctx)
    picks = np.asarray(ctx.require_const(1, "indices"), np.int64)
    try:
        axis = shapes.normalize_axis(int(ctx.attr("axis", 0)), idx.ndim)
    except ValueError as err:
        ctx.fail(str(err))
    if axis == k:
        ctx.fail("gathering along the batch axis is not supported")
    dim = idx.shape[axis]
    if picks.size and (picks.min() < -dim or picks.max() >= dim):
        ctx.fail(f"indices must be in [{-dim}, {dim}) for axis {axis}")
    table = np.take(idx, np.where(picks < 0, picks + dim, picks), axis=axis)
    return _finish(ctx, table, k if axis > k else k - 1 + picks.ndim)


def _slice(ctx):
    idx, k = _table(ctx)
    starts = [int(v) for v in ctx.require_const(1, "starts").reshape(-1)]
    ends = [int(v) for v in ctx.require_const(2, "ends").reshape(-1)]
    axes = [int(v) for v in ctx.require_const(3, "axes").reshape(-1)] if ctx.has_input(3) else list(range(len(starts)))
    steps = [int(v) for v in ctx.require_const(4, "steps").reshape(-1)] if ctx.has_input(4) else [1] * len(starts)
    for start, end, axis, step in zip(starts, ends, axes, steps):
        axis %= idx.ndim
        if axis == k:
            ctx.fail("slicing the batch axis of a sequence-first tensor is not supported")
        if step == 0:
            ctx.fail("a step of 0 is not allowed")
        idx = np.take(idx, np.arange(idx.shape[axis])[slice(start, end, step)], axis=axis)
    return _finish(ctx, idx, k)


def _reshape_target(ctx, shape: tuple[int, ...], k: int) -> tuple[list[int], int]:
    """The per-sample target shape and its batch axis: the first axis j that holds the
    batch (the model's fixed batch size, or a copied 0 at the batch axis) with the same
    number of elements before it as before the input's batch axis."""
    raw = [int(d) for d in ctx.require_const(1, "shape").reshape(-1)]
    size, before = int(np.prod(shape)), int(np.prod(shape[:k]))
    for j, d in enumerate(raw):
        if not (d == ctx.batch > 1 or (d == 0 and j == k and not ctx.attr("allowzero", 0)) or (d == 1 == ctx.batch)):
            continue
        target = list(raw)
        target[j] = 1
        if not ctx.attr("allowzero", 0):
            target = [shape[i] if t == 0 and i < len(shape) else t for i, t in enumerate(target)]
        if target.count(-1) == 1:
            known = int(np.prod([t for t in target if t != -1]))
            if not known or size % known:
                continue
            target[target.index(-1)] = size // known
        if int(np.prod(target)) == size and int(np.prod(target[:j])) == before:
            return target, j
    ctx.fail(f"reshape of {list(shape)} (batch axis {k}) to {raw} does not keep the batch axis")


def _reshape(ctx):
    idx, k = _table(ctx)
    target, axis = _reshape_target(ctx, idx.shape, k)
    return _finish(ctx, idx.reshape(target), axis)


def import_node(ctx) -> list[SSAValue]:
    """Import a structural node whose input has a moved batch axis (or that moves it)."""
    return {"Transpose": _transpose, "Squeeze": _squeeze, "Unsqueeze": _unsqueeze, "Gather": _gather,
            "Slice": _slice, "Reshape": _reshape}[ctx.node.op_type](ctx)
