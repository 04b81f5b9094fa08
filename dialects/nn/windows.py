"""Window geometry of the `nn` pooling and convolution ops, shared by the interpreters
and the passes that need it (for example the per-position divisors of average pooling).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _ints(attr) -> tuple[int, ...]:
    return tuple(int(v) for v in attr.get_values())


def pad_spatial(x: np.ndarray, pads: tuple[int, ...], value: float) -> np.ndarray:
    rank = x.ndim - 2
    widths = [(0, 0), (0, 0)] + [(pads[i], pads[rank + i]) for i in range(rank)]
    return np.pad(x, widths, mode="constant", constant_values=value)


def windows(x, kernel, strides, dilations, out_spatial):
    """View N x C x out... x k... of the (already padded) input."""
    rank = len(kernel)
    extents = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilations))
    view = sliding_window_view(x, extents, axis=tuple(range(2, 2 + rank)))
    index = [slice(None), slice(None)]
    index += [slice(0, (o - 1) * s + 1, s) for o, s in zip(out_spatial, strides)]
    index += [slice(None, None, d) for d in dilations]
    return view[tuple(index)]


def ceil_extra(op, x_spatial, pads) -> tuple[int, ...]:
    """Extra end padding a ceil-mode window needs beyond the declared pads."""
    rank = len(x_spatial)
    out_spatial = tuple(op.output.type.get_shape())[2:]
    kernel = _ints(op.kernel)
    strides = _ints(op.strides)
    dil = _ints(op.dilations) if hasattr(op, "dilations") else (1,) * rank
    extra = []
    for i in range(rank):
        need = (out_spatial[i] - 1) * strides[i] + dil[i] * (kernel[i] - 1) + 1
        have = x_spatial[i] + pads[i] + pads[rank + i]
        extra.append(max(0, need - have))
    return tuple(extra)


def avg_pool_divisor(op, spatial: tuple[int, ...]) -> np.ndarray:
    """Divisor of every output of an average pool, shape 1 x 1 x out...: the cells of each
    window inside the input, plus its declared pads when count_include_pad is set
    (never the extra cells that ceil_mode adds)."""
    rank = len(spatial)
    kernel, strides = _ints(op.kernel), _ints(op.strides)
    pads = _ints(op.pads)
    extra = ceil_extra(op, spatial, pads)
    full = list(pads)
    for i in range(rank):
        full[rank + i] += extra[i]
    out_spatial = tuple(op.output.type.get_shape())[2:]
    axes = tuple(range(2 + rank, 2 + 2 * rank))
    mask = np.ones((1, 1) + tuple(spatial))
    if op.count_include_pad.value.data:
        mask = pad_spatial(mask, pads, 1.0)
        mask = pad_spatial(mask, (0,) * rank + extra, 0.0)
    else:
        mask = pad_spatial(mask, tuple(full), 0.0)
    return windows(mask, kernel, strides, (1,) * rank, out_spatial).sum(axis=axes)


def window_index_table(in_spatial, kernel, strides, pads, dilations, out_spatial) -> np.ndarray:
    """[positions, kernel cells] -> flat input spatial index, or -1 in the padding."""
    rank = len(kernel)
    grids = np.meshgrid(*[np.arange(o) for o in out_spatial], indexing="ij")
    kgrids = np.meshgrid(*[np.arange(k) for k in kernel], indexing="ij")
    flat = np.zeros((int(np.prod(out_spatial)), int(np.prod(kernel))), np.int64)
    valid = np.ones_like(flat, dtype=bool)
    stride_in = 1
    for d in reversed(range(rank)):
        pos = grids[d].reshape(-1, 1) * strides[d] - pads[d] + kgrids[d].reshape(1, -1) * dilations[d]
        valid &= (pos >= 0) & (pos < in_spatial[d])
        flat += pos * stride_in
        stride_in *= in_spatial[d]
    return np.where(valid, flat, -1)


def broadcast_index_table(in_shape, out_shape) -> np.ndarray | None:
    """Flat source index of every output element under broadcasting (None: identity)."""
    if tuple(in_shape) == tuple(out_shape):
        return None
    full = (1,) * (len(out_shape) - len(in_shape)) + tuple(in_shape)
    src = np.arange(int(np.prod(full))).reshape(full)
    return np.broadcast_to(src, out_shape).reshape(-1)
