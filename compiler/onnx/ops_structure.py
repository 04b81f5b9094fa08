"""Importers of the structural ONNX operators on run-time tensors (one function per op).

Every operator that only moves elements (Slice, Gather with constant indices, Split,
DepthToSpace, SpaceToDepth, nearest Resize, the zero insertion of ConvTranspose)
becomes one `nn.gather`: the ONNX semantics are applied with numpy to a tensor of flat
element indices, and the result is the op's index table. Linear Resize is a gather of
the 2^k neighbours, a product with constant weights and a sum; the reductions become
`nn.reduce_*`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from xdsl.ir import SSAValue

from nncc.compiler.onnx.support import support
from nncc.dialects.nn import (
    ActivationOp,
    ConvOp,
    DenseOp,
    GatherOp,
    MulOp,
    ReduceMaxOp,
    ReduceMeanOp,
    ReduceMinOp,
    ReduceSumOp,
    ReshapeOp,
    TransposeOp,
)


def _index_op(ctx, value: SSAValue, table: np.ndarray) -> SSAValue:
    """An `nn.gather` of ``value`` by ``table`` (flat indices of a batch-1 sample, -1 for
    zero, shaped like the result); the input itself, or a reshape, when nothing moves."""
    shape = tuple(int(d) for d in table.shape)
    size = int(np.prod(value.type.get_shape()))
    if table.size == size and np.array_equal(table.reshape(-1), np.arange(size)):
        if shape == tuple(value.type.get_shape()):
            return value
        return ctx.emit(ReshapeOp(value, shape)).output
    return ctx.emit(GatherOp(value, table.reshape(-1), shape)).output


def _indices(ctx, i: int = 0) -> np.ndarray:
    """Flat element indices of run-time input ``i``, shaped like it."""
    if not ctx.is_runtime(i):
        ctx.fail(f"input {i} must be computed at run time")
    shape = ctx.shape(i)
    if not shape or shape[0] != 1:
        ctx.fail(f"input shape {list(shape)} must have batch 1")
    return np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)


def _axis(ctx, axis: int, rank: int) -> int:
    if not -rank <= axis < rank:
        ctx.fail(f"axis {axis} is out of range for rank {rank}")
    axis %= rank
    if axis == 0:
        ctx.fail("operating on the batch axis is not supported")
    return axis


# ---------------------------------------------------------------------------------------
# selection


_WHOLE_AXIS = 2**31 - 1
"""Slice bounds at or beyond this magnitude (INT32/INT64 max and min, as exporters write
for ``x[:, ...]``) clamp to the ends of an axis of any length."""


def _check_batch_slice(ctx, start: int, end: int, step: int) -> None:
    """Refuse a Slice on the batch axis unless it keeps every sample in order for every
    batch size: step 1, start 0 (or below -INT32_MAX), end at least INT32_MAX (or the
    model's fixed batch size, when it has one)."""
    keeps_all = (
        step == 1
        and (start == 0 or start <= -_WHOLE_AXIS)
        and (end >= _WHOLE_AXIS or (ctx.batch > 1 and end >= ctx.batch))
    )
    if not keeps_all:
        ctx.fail(
            f"slicing the batch axis (starts {start}, ends {end}, steps {step}) would drop or reorder samples; "
            "only the whole batch axis can be sliced"
        )


@support(
    "nn.gather",
    hardware=True,
    notes="compile-time starts, ends, axes, steps (negative steps too); the batch axis only as a whole "
    "(start 0, end INT_MAX); not empty",
)
def import_slice(ctx):
    """Slice with compile-time starts, ends, axes and steps (ONNX clamping rules)."""
    idx = _indices(ctx)
    rank = idx.ndim
    starts = [int(v) for v in ctx.require_const(1, "starts").reshape(-1)]
    ends = [int(v) for v in ctx.require_const(2, "ends").reshape(-1)]
    for i, what in ((3, "axes"), (4, "steps")):
        if ctx.has_input(i):
            ctx.require_const(i, what)
    axes = [int(v) for v in ctx.const(3).reshape(-1)] if ctx.has_input(3) else list(range(len(starts)))
    steps = [int(v) for v in ctx.const(4).reshape(-1)] if ctx.has_input(4) else [1] * len(starts)
    if not len(starts) == len(ends) == len(axes) == len(steps):
        ctx.fail(f"starts {starts}, ends {ends}, axes {axes} and steps {steps} differ in length")
    for start, end, axis, step in zip(starts, ends, axes, steps):
        if not -rank <= axis < rank:
            ctx.fail(f"axis {axis} is out of range for rank {rank}")
        axis %= rank
        dim = idx.shape[axis]
        if step == 0:
            ctx.fail("a step of 0 is not allowed")
        if axis == 0:
            _check_batch_slice(ctx, start, end, step)
            continue
        start, end = start + dim if start < 0 else start, end + dim if end < 0 else end
        if step > 0:
            start, end = min(max(start, 0), dim), min(max(end, 0), dim)
        else:
            start, end = min(max(start, 0), dim - 1), min(max(end, -1), dim - 1)
        idx = np.take(idx, np.arange(start, end, step), axis=axis)
    if idx.size == 0:
        ctx.fail("the slice is empty")
    return [_index_op(ctx, ctx.value(0), idx)]


@support(
    "nn.gather",
    hardware=True,
    notes="run-time data, compile-time indices (negative too); not along the batch axis",
)
def import_gather(ctx):
    """Gather on a run-time tensor with compile-time indices (not along the batch axis)."""
    picks = np.asarray(ctx.require_const(1, "indices"), np.int64)
    idx = _indices(ctx)
    axis = _axis(ctx, int(ctx.attr("axis", 0)), idx.ndim)
    dim = idx.shape[axis]
    if picks.size and (picks.min() < -dim or picks.max() >= dim):
        ctx.fail(f"indices must be in [{-dim}, {dim}) for axis {axis}")
    return [_index_op(ctx, ctx.value(0), np.take(idx, np.where(picks < 0, picks + dim, picks), axis=axis))]


@support(
    "nn.gather (one per output)",
    hardware=True,
    notes="split sizes as attribute, compile-time input or opset 18 num_outputs; not along the batch axis",
)
def import_split(ctx):
    """Split into equal parts or compile-time sizes (attribute before opset 13, input from 13;
    opset 18 `num_outputs`)."""
    idx = _indices(ctx)
    axis = _axis(ctx, int(ctx.attr("axis", 0)), idx.ndim)
    count = len(ctx.node.output)
    split = ctx.attr("split") if ctx.opset < 13 else (ctx.require_const(1, "split") if ctx.has_input(1) else None)
    dim = idx.shape[axis]
    if split is None:
        part = -(-dim // count)  # opset 18 num_outputs: the last part may be smaller
        split = [min(part, dim - k * part) for k in range(count)]
    split = [int(s) for s in np.asarray(split).reshape(-1)]
    if len(split) != count or sum(split) != dim or min(split) <= 0:
        ctx.fail(f"split sizes {split} do not divide axis {axis} of length {dim} into {count} parts")
    bounds = np.cumsum([0] + split)
    parts = [np.take(idx, np.arange(bounds[k], bounds[k + 1]), axis=axis) for k in range(count)]
    return [_index_op(ctx, ctx.value(0), p) for p in parts]


def _block_rearrangement(ctx) -> tuple[np.ndarray, int, str]:
    """(index tensor of the 4-D input, blocksize, mode) of DepthToSpace / SpaceToDepth."""
    idx = _indices(ctx)
    if idx.ndim != 4:
        ctx.fail(f"input must be 4-D, got {list(idx.shape)}")
    b = int(ctx.attr("blocksize"))
    if b < 1:
        ctx.fail(f"blocksize must be at least 1, got {b}")
    mode = ctx.attr("mode", "DCR")
    if mode not in ("DCR", "CRD"):
        ctx.fail(f"mode '{mode}' is not DCR or CRD")
    return idx, b, mode


@support("nn.gather", hardware=True, notes="4-D; DCR and CRD modes")
def import_depth_to_space(ctx):
    """DepthToSpace in DCR (default) or CRD mode."""
    idx, b, mode = _block_rearrangement(ctx)
    n, c, h, w = idx.shape
    if c % (b * b):
        ctx.fail(f"channels {c} are not divisible by blocksize^2 ({b}^2)")
    if mode == "DCR":
        t = idx.reshape(n, b, b, c // (b * b), h, w).transpose(0, 3, 4, 1, 5, 2)
    else:
        t = idx.reshape(n, c // (b * b), b, b, h, w).transpose(0, 1, 4, 2, 5, 3)
    return [_index_op(ctx, ctx.value(0), t.reshape(n, c // (b * b), h * b, w * b))]


@support("nn.gather", hardware=True, notes="4-D; DCR and CRD modes (opset 28 mode)")
def import_space_to_depth(ctx):
    """SpaceToDepth in DCR (default) or CRD mode (the `mode` attribute of opset 28)."""
    idx, b, mode = _block_rearrangement(ctx)
    n, c, h, w = idx.shape
    if h % b or w % b:
        ctx.fail(f"spatial size {h}x{w} is not divisible by blocksize {b}")
    order = (0, 3, 5, 1, 2, 4) if mode == "DCR" else (0, 1, 3, 5, 2, 4)
    t = idx.reshape(n, c, h // b, b, w // b, b).transpose(order)
    return [_index_op(ctx, ctx.value(0), t.reshape(n, c * b * b, h // b, w // b))]


# ---------------------------------------------------------------------------------------
# resizing and transposed convolution

_F = np.float32


def _source_coordinates(ctx, mode: str, size: int, out: int, scale) -> np.ndarray:
    """Input coordinate of every output position of one axis (float32, as onnxruntime)."""
    x, scale = np.arange(out, dtype=_F), _F(scale)
    if mode == "half_pixel":
        return (x + _F(0.5)) / scale - _F(0.5)
    if mode == "pytorch_half_pixel":
        return (x + _F(0.5)) / scale - _F(0.5) if out > 1 else np.zeros(out, _F)
    if mode == "half_pixel_symmetric":
        adjustment = _F(out) / (scale * _F(size))
        offset = _F(size) / _F(2) * (_F(1) - adjustment)
        return offset + (x + _F(0.5)) / scale - _F(0.5)
    if mode == "asymmetric":
        return x / scale
    if mode == "tf_half_pixel_for_nn":
        return (x + _F(0.5)) / scale
    if mode == "align_corners":
        return np.zeros(out, _F) if out == 1 else x * _F(size - 1) / _F(out - 1)
    ctx.fail(f"coordinate_transformation_mode '{mode}' is not supported")


def _nearest(ctx, coords: np.ndarray, mode: str, size: int) -> np.ndarray:
    if mode == "round_prefer_floor":
        picks = np.where(coords == np.trunc(coords) + _F(0.5), np.floor(coords), np.floor(coords + _F(0.5)))
    elif mode == "round_prefer_ceil":
        picks = np.where(coords >= 0, np.floor(coords + _F(0.5)), np.ceil(coords - _F(0.5)))
    elif mode in ("floor", "ceil"):
        picks = np.floor(coords) if mode == "floor" else np.ceil(coords)
    else:
        ctx.fail(f"nearest_mode '{mode}' is not supported")
    return np.clip(picks.astype(np.int64), 0, size - 1)


def _linear_taps(coords: np.ndarray, size: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(index, weight) pairs of linear interpolation along one axis (one pair where every
    output lands on an input element)."""
    c = np.clip(coords, _F(0), _F(size - 1))
    lo = np.minimum(c.astype(np.int64), size - 1)
    hi = np.minimum(lo + 1, size - 1)
    w_hi = np.abs(c - lo.astype(_F))
    w_lo = np.abs(c - hi.astype(_F))
    same = lo == hi
    w_lo, w_hi = np.where(same, _F(0.5), w_lo), np.where(same, _F(0.5), w_hi)
    if not np.any(w_hi[~same]) and np.all(w_lo[~same] == 1):
        return [(lo, np.ones_like(w_lo))]
    return [(lo, w_lo), (hi, w_hi)]


def _check_fractional_length(ctx, coord_mode: str, axis: int, size: int, out: int, scale) -> None:
    """Refuse scales for which onnxruntime and the ONNX reference disagree: both modes below
    use the output length, which onnxruntime takes as floor(size * scale) and the ONNX
    reference as the unrounded size * scale."""
    length = float(_F(size) * _F(scale))
    differs = abs(length - out) > 1e-5 * max(out, 1)
    if differs and (coord_mode == "align_corners" and out > 1 or coord_mode == "pytorch_half_pixel" and out == 1):
        ctx.fail(
            f"coordinate_transformation_mode '{coord_mode}' with scale {float(scale):g} on axis {axis} "
            f"({size} -> {length:g} elements, not a whole number): onnxruntime and the ONNX reference disagree "
            "on the coordinates; give sizes instead of scales"
        )


def _resize_plan(ctx, shape, scales, sizes, coord_mode):
    """Per axis: output length and input coordinates."""
    plan = []
    for axis, size in enumerate(shape):
        if sizes is not None:
            out = size if axis == 0 else int(sizes[axis])  # sizes[0] is the run-time batch
            scale = _F(out) / _F(size) if scales is None else _F(scales[axis])
        else:
            scale = _F(scales[axis])
            out = int(np.floor(_F(size) * scale))
        if out < 1:
            ctx.fail(f"axis {axis} would be resized to {out} elements")
        if axis == 0 and out != size:
            ctx.fail("resizing the batch axis is not supported")
        if sizes is None or scales is not None:
            _check_fractional_length(ctx, coord_mode, axis, size, out, scale)
        same = out == size and scale == 1
        plan.append((out, np.arange(out, dtype=_F) if same else _source_coordinates(ctx, coord_mode, size, out, scale)))
    return plan


def _resize(ctx, scales, sizes, coord_mode: str, mode: str, nearest_mode: str):
    idx = _indices(ctx)
    plan = _resize_plan(ctx, idx.shape, scales, sizes, coord_mode)
    if mode == "nearest":
        picks = [_nearest(ctx, coords, nearest_mode, size) for (_, coords), size in zip(plan, idx.shape)]
        return [_index_op(ctx, ctx.value(0), idx[np.ix_(*picks)])]
    if mode != "linear":
        ctx.fail(f"mode '{mode}' is not supported (nearest and linear are)")
    per_axis = [_linear_taps(coords, size) for (_, coords), size in zip(plan, idx.shape)]
    tables, weights = [], []
    for combo in np.ndindex(*[len(t) for t in per_axis]):
        taps = [per_axis[a][k] for a, k in enumerate(combo)]
        tables.append(idx[np.ix_(*[t[0] for t in taps])])
        w = np.ones((1,) * len(taps), _F)
        for a, (_, wa) in enumerate(taps):
            w = w * wa.reshape([-1 if b == a else 1 for b in range(len(taps))])
        weights.append(w)
    if len(tables) == 1:
        return [_index_op(ctx, ctx.value(0), tables[0])]
    stacked = _index_op(ctx, ctx.value(0), np.stack(tables, axis=-1))
    w = np.stack([np.broadcast_to(w, tables[0].shape) for w in weights], axis=-1)
    w = w.max(axis=1, keepdims=True) if np.all(w == w.max(axis=1, keepdims=True)) else w  # shared by channels
    product = ctx.emit(MulOp(stacked, ctx.constant(w))).output
    total = ctx.emit(ReduceSumOp(product, [len(product.type.get_shape()) - 1])).output
    return [ctx.emit(ReshapeOp(total, tables[0].shape)).output]


def _keep_aspect_ratio(ctx, policy: str, sizes: list[int], axes) -> tuple[list[float], list[int]]:
    """Scales and sizes of keep_aspect_ratio_policy not_larger / not_smaller: one scale, the
    smallest / largest of sizes / input over ``axes``, and sizes rounded half up from it."""
    if policy not in ("not_larger", "not_smaller"):
        ctx.fail(f"keep_aspect_ratio_policy '{policy}' is not supported")
    shape = ctx.shape(0)
    if axes is None:
        ctx.fail(f"keep_aspect_ratio_policy '{policy}' needs the axes attribute (else the batch axis takes part)")
    axes = sorted({int(a) % len(shape) for a in axes})
    if 0 in axes:
        ctx.fail("resizing the batch axis is not supported")
    ratios = [float(sizes[a]) / float(shape[a]) for a in axes]
    scale = min(ratios) if policy == "not_larger" else max(ratios)
    scales = [scale if a in axes else 1.0 for a in range(len(shape))]
    return scales, [int(scale * d + 0.5) if a in axes else d for a, d in enumerate(shape)]


@support(
    "nn.gather (nearest); nn.gather, nn.mul, nn.reduce_sum (linear)",
    hardware=True,
    notes="nearest (every nearest_mode) and n-linear; compile-time scales or sizes, axes, keep_aspect_ratio_policy; "
    "coordinate modes half_pixel, half_pixel_symmetric, pytorch_half_pixel, asymmetric, align_corners, "
    "tf_half_pixel_for_nn; no cubic, antialias or tf_crop_and_resize; not the batch axis",
)
def import_resize(ctx):
    """Resize, nearest (every nearest_mode) or linear (n-linear over the resized axes), with
    constant scales or sizes; the usual coordinate transformation modes."""
    rank = len(ctx.shape(0))
    if ctx.attr("antialias", 0):
        ctx.fail("antialias is not supported")
    scales = ctx.const(2) if ctx.has_input(2) else None
    sizes = ctx.const(3) if ctx.has_input(3) else None
    if (ctx.has_input(2) and scales is None) or (ctx.has_input(3) and sizes is None):
        ctx.fail("scales and sizes must be compile-time constants")
    scales = None if scales is None or scales.size == 0 else [float(v) for v in scales.reshape(-1)]
    sizes = None if sizes is None or sizes.size == 0 else [int(v) for v in sizes.reshape(-1)]
    axes = ctx.attr("axes")
    if axes is not None:
        full_scales, full_sizes = [1.0] * rank, list(ctx.shape(0))
        for j, a in enumerate(axes):
            if scales is not None:
                full_scales[int(a) % rank] = scales[j]
            if sizes is not None:
                full_sizes[int(a) % rank] = sizes[j]
        scales, sizes = (full_scales if scales is not None else None), (full_sizes if sizes is not None else None)
    policy = ctx.attr("keep_aspect_ratio_policy", "stretch")
    if policy != "stretch" and sizes is not None and len(sizes) == rank:
        scales, sizes = _keep_aspect_ratio(ctx, policy, sizes, axes)
    given = sizes if sizes is not None else scales
    if given is None or len(given) != rank:
        ctx.fail(f"needs scales or sizes for all {rank} axes")
    coord_mode = ctx.attr("coordinate_transformation_mode", "half_pixel")
    return _resize(ctx, scales, sizes, coord_mode, ctx.attr("mode", "nearest"), ctx.attr("nearest_mode", "round_prefer_floor"))


def _transpose_pads(ctx, in_spatial, kernel, strides, dilations, extra) -> list[int]:
    """Explicit pads of a ConvTranspose: `pads`, or from `auto_pad` SAME_* / `output_shape`
    (total = natural output - wanted output, split as onnxruntime does: SAME_UPPER puts the
    odd one at the end, SAME_LOWER and NOTSET at the begin)."""
    rank, auto_pad, wanted = len(in_spatial), ctx.attr("auto_pad", "NOTSET"), ctx.attr("output_shape")
    if auto_pad == "VALID":
        return [0] * (2 * rank)
    if auto_pad not in ("NOTSET", "", "SAME_UPPER", "SAME_LOWER"):
        ctx.fail(f"auto_pad '{auto_pad}' is not supported")
    if wanted is None and auto_pad in ("NOTSET", ""):
        pads = [int(p) for p in ctx.attr("pads", [0] * (2 * rank))]
        if len(pads) != 2 * rank:
            ctx.fail(f"pads {pads} need {2 * rank} values")
        return pads
    wanted = list(wanted)[-rank:] if wanted is not None else [n * s for n, s in zip(in_spatial, strides)]
    begins, ends = [], []
    for n, k, s, d, e, out in zip(in_spatial, kernel, strides, dilations, extra, wanted):
        total = (n - 1) * s + e + (k - 1) * d + 1 - out
        if total < 0:  # the ONNX spec and onnxruntime disagree on the output shape here
            ctx.fail(f"output size {out} is larger than the transposed convolution's ({out + total}); give pads")
        begins.append(total // 2 if auto_pad == "SAME_UPPER" else total - total // 2)
        ends.append(total - begins[-1])
    return begins + ends


@support(
    "nn.gather (zero insertion), nn.conv",
    hardware=True,
    notes="1-D and 2-D, constant weights; strides, pads, auto_pad, output_shape, output_padding, dilations, group",
)
def import_conv_transpose(ctx):
    """ConvTranspose 1-D/2-D (strides, pads / auto_pad / output_shape, output_padding,
    dilations, group): the input
    with (stride - 1) zeros inserted and (dilation (k - 1) - pad) border zeros, as one
    `nn.gather`, convolved with the flipped, transposed kernel (stride 1)."""
    idx = _indices(ctx)
    ws = tuple(ctx.shape(1))  # the shape checks come first: they hold whatever W's origin
    rank = idx.ndim - 2
    if rank not in (1, 2) or len(ws) != rank + 2:
        ctx.fail(f"only 1-D and 2-D transposed convolutions are supported, input {list(idx.shape)}")
    group = int(ctx.attr("group", 1))
    kernel = list(ws[2:])
    strides = ctx.attr("strides", [1] * rank)
    dilations = ctx.attr("dilations", [1] * rank)
    extra = ctx.attr("output_padding", [0] * rank)
    pads = _transpose_pads(ctx, idx.shape[2:], kernel, strides, dilations, extra)
    c = idx.shape[1]
    if c != ws[0] or c % group:
        ctx.fail(f"input channels {c} do not match weight {list(ws)} with group {group}")
    w = ctx.require_const(1, "weight W")
    picks = []
    for a in range(rank):
        size, k, s, d = idx.shape[2 + a], kernel[a], strides[a], dilations[a]
        begin, end = d * (k - 1) - pads[a], d * (k - 1) - pads[rank + a] + extra[a]
        length = (size - 1) * s + 1 + begin + end
        if length < d * (k - 1) + 1:
            ctx.fail(f"pads {list(pads)} leave no output along spatial axis {a}")
        z = np.arange(length) - begin
        picks.append(np.where((z >= 0) & (z % s == 0) & (z // s < size), z // s, -1))
    table = np.full(idx.shape[:2] + tuple(len(p) for p in picks), -1, np.int64)
    for pos in np.ndindex(*table.shape[2:]):
        src = tuple(int(picks[a][p]) for a, p in enumerate(pos))
        if min(src) >= 0:
            table[(slice(None), slice(None)) + pos] = idx[(slice(None), slice(None)) + src]
    m = w.shape[1] * group
    flipped = w.reshape((group, c // group, m // group) + tuple(kernel)).swapaxes(1, 2)
    flipped = np.flip(flipped.reshape((m, c // group) + tuple(kernel)), axis=tuple(range(2, 2 + rank)))
    bias = ctx.constant(ctx.require_const(2, "bias B"), ctx.grid(2)) if ctx.has_input(2) else None
    z = _index_op(ctx, ctx.value(0), table)
    conv = ConvOp(z, ctx.constant(np.ascontiguousarray(flipped), ctx.grid(1)), bias, [1] * rank, [0] * (2 * rank), dilations, group)
    return [ctx.emit(conv).output]


# ---------------------------------------------------------------------------------------
# matrix products with leading dimensions


def batched_matmul(ctx):
    """MatMul of a run-time A [1, L..., R, K] by a constant B [L'..., K, N] (leading dimensions
    broadcast; A is first expanded by an `nn.gather` where B's are larger): a grouped 1-D
    convolution with kernel 1 (group per leading index; channels = K, positions = R) between
    two transposes, so it runs on the conv engine."""
    xs, w = tuple(ctx.shape(0)), ctx.require_const(1, "B")
    try:
        lead = tuple(int(d) for d in np.broadcast_shapes(xs[:-2], w.shape[:-2]))
    except ValueError:
        lead = None
    if lead is None or len(xs) < 3 or len(lead) != len(xs) - 2 or lead[0] != 1 or xs[-1] != w.shape[-2]:
        ctx.fail(f"A {list(xs)} and constant B {list(w.shape)} must broadcast without touching A's batch axis")
    full = np.broadcast_to(w, lead + tuple(w.shape[-2:]))
    x = ctx.value(0)
    if lead != xs[:-2]:  # B broadcasts A along leading axes
        table = np.broadcast_to(np.arange(int(np.prod(xs))).reshape(xs), lead + xs[-2:])
        x = _index_op(ctx, x, np.ascontiguousarray(table))
    k, n, r = w.shape[-2], w.shape[-1], xs[-2]
    groups = int(np.prod(lead[1:]))
    swap = list(range(len(xs) - 2)) + [len(xs) - 1, len(xs) - 2]
    x = ctx.emit(TransposeOp(x, swap)).output
    x = ctx.emit(ReshapeOp(x, (1, groups * k, r))).output
    weight = full.reshape(groups, k, n).transpose(0, 2, 1).reshape(groups * n, k, 1)
    y = ctx.emit(ConvOp(x, ctx.constant(np.ascontiguousarray(weight)), None, [1], [0, 0], [1], groups)).output
    y = ctx.emit(ReshapeOp(y, lead + (n, r))).output
    return [ctx.emit(TransposeOp(y, swap)).output]


def constant_left_matmul(ctx):
    """MatMul of a constant matrix A [M, K] by a run-time B [1, L..., K, N]: (B^T A^T)^T,
    an `nn.dense` between two transposes of the last two axes."""
    a, xs = ctx.const(0), ctx.shape(1)
    if a.ndim != 2 or len(xs) < 3 or xs[-2] != a.shape[1]:
        ctx.fail(f"constant A {list(a.shape)} must be a matrix matching B {list(xs)} (with B's batch axis first)")
    swap = list(range(len(xs) - 2)) + [len(xs) - 1, len(xs) - 2]
    x = ctx.emit(TransposeOp(ctx.value(1), swap)).output
    y = ctx.emit(DenseOp(x, ctx.constant(a, ctx.grid(0)))).output
    return [ctx.emit(TransposeOp(y, swap)).output]


# ---------------------------------------------------------------------------------------
# reductions


_REDUCE_NOTES = "compile-time axes (attribute, or input from opset 13/18), keepdims, noop_with_empty_axes; not the batch axis"


def _reduce(op_class, *, becomes: str = "", notes: str = _REDUCE_NOTES, l2: bool = False):
    """The importer of one ONNX reduction, becoming ``op_class`` (``l2``: the Euclidean norm,
    sqrt(reduce_sum(x * x)) with the square root as an `nn.activation`, so calibration sees
    the sum of squares and the square root is a table in hardware)."""

    @support(becomes or op_class.name, hardware=True, notes=notes)
    def importer(ctx):
        if not ctx.is_runtime(0):
            ctx.fail("input 0 must be computed at run time")
        rank = len(ctx.shape(0))
        axes_from_input = ctx.opset >= 18 or (op_class is ReduceSumOp and not l2 and ctx.opset >= 13)
        if axes_from_input:
            axes = ctx.require_const(1, "axes") if ctx.has_input(1) else None
        else:
            axes = ctx.attr("axes")
        axes = None if axes is None else [int(a) for a in np.asarray(axes).reshape(-1)]
        if not axes:
            if ctx.attr("noop_with_empty_axes", 0):
                return [ctx.value(0)]
            ctx.fail("reducing every axis would include the batch axis")
        axes = sorted({_axis(ctx, a, rank) for a in axes})
        x = ctx.value(0)
        if l2:
            x = ctx.emit(MulOp(x, x)).output
        out = ctx.emit(op_class(x, axes)).output
        if l2:
            out = ctx.emit(ActivationOp(out, "sqrt")).output
        if ctx.attr("keepdims", 1):
            return [out]
        return [ctx.emit(ReshapeOp(out, [d for i, d in enumerate(ctx.shape(0)) if i not in axes])).output]

    importer.__doc__ = f"{op_class.name}; axes as attribute or input, keepdims 0/1."
    return importer


TOPK_PATTERN = ("supported only as k-winners-take-all: the k-th largest value (a Slice of the last of the "
                "TopK values, largest = 1, sorted = 1), GreaterOrEqual with the TopK input, then Where(mask, x, 0) "
                "or x * Cast(mask); the indices unused")


@support("nn.kwta", hardware=True, notes=TOPK_PATTERN + " (see `nncc.compiler.onnx.patterns`)")
def import_topk(ctx):
    """TopK: only inside a k-winners-take-all sub-graph (imported there as one op)."""
    ctx.fail(TOPK_PATTERN)


STRUCTURE_IMPORTERS: dict[str, Callable] = {
    "TopK": import_topk,
    "Slice": import_slice,
    "Gather": import_gather,
    "Split": import_split,
    "DepthToSpace": import_depth_to_space,
    "SpaceToDepth": import_space_to_depth,
    "Resize": import_resize,
    "ConvTranspose": import_conv_transpose,
    "ReduceSum": _reduce(ReduceSumOp),
    "ReduceMean": _reduce(ReduceMeanOp),
    "ReduceMax": _reduce(ReduceMaxOp),
    "ReduceMin": _reduce(ReduceMinOp),
    "ReduceL2": _reduce(ReduceSumOp, becomes="`nn.mul`, `nn.reduce_sum`, `nn.activation` (sqrt)", l2=True,
                        notes=_REDUCE_NOTES + "; the square root is a table or piecewise-linear segments in hardware"),
}
"""ONNX op type -> importer of the structural operators (merged into `IMPORTERS`)."""
