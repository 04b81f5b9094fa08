"""How the complex layers lower to the fixed-point level (their `lower_to_fixed`).

Both forms reuse the real multiply-accumulate layers (`fixed.conv`, `fixed.dense`), so both
back ends build them with no construct of their own. The weights are rounded once, as the
real-equivalent ``W = [[A, -B], [B, A]]`` at the weight precision (exactly, on the finer grid, when A and
B carry a `fixed.grid`: BipolarQuant weights stay +-1 integers), and the bias once, as
``[Re(c); Im(c)]``; the 3-product form derives ``B - A`` and ``A + B`` from the rounded raw
values exactly, so the two forms compute the same fixed-point result.
"""

from __future__ import annotations

import numpy as np

from nncc.dialects import fixed, nn
from nncc.dialects.dataflow import REUSE_ATTR
from nncc.dialects.fixed import FixedType
from nncc.dialects.fixed.quantization import binary_weight_type, quantize_array, signed_width
from nncc.dialects.interfaces import FixedLowering
from nncc.dialects.nn import to_fixed


def lower_complex(lw: FixedLowering, op) -> None:
    """4 products: one real layer with the real-equivalent weight; 3: the Gauss form."""
    a, b = (lw.const_value(v) for v in (op.weight_re, op.weight_im))
    if a is None or b is None:
        lw.fail("weights must be constants")
    from nncc.dialects.binary_complex.complex import real_equivalent

    w = real_equivalent(np.asarray(a, np.float64), np.asarray(b, np.float64))
    bias = None
    if op.bias is not None:
        bias = lw.const_value(op.bias)
        if bias is None:
            lw.fail("bias must be a constant")
    raw, wtype = _weight_raw(lw, op, w)
    if op.product_count() == 4:
        to_fixed.mac(lw, op, op.fixed_layer, weight=lw.exact_constant(raw, wtype), bias=bias)
    else:
        _gauss(lw, op, raw, wtype, bias)


def _weight_raw(lw: FixedLowering, op, w: np.ndarray) -> tuple[np.ndarray, FixedType]:
    """The real-equivalent weight ``w`` as (raw, type): exact on the finer of A's and B's
    `fixed.grid` when both carry one (BipolarQuant / Quant weights: +-1 stays the 2-bit
    integers a binary layer needs); binary weights without a grid (every A and B -1 or +1,
    as a torch BCNN exports them; no per-layer weight precision) exactly as `fixed.q<2, 2>`,
    like a real layer's; else rounded to the weight precision."""
    prec = lw.precision(op)
    grids = [lw.grid_of(v, prec) for v in (op.weight_re, op.weight_im)]
    if any(g is None for g in grids):
        binary = binary_weight_type(w, prec.weights_overridden)
        if binary is not None:
            return w.astype(np.int64), binary
        return quantize_array(w, prec.weight_width, prec.weight_int_bits)
    frac = max(g.frac for g in grids)
    scaled = w * 2.0**frac
    if np.any(scaled != np.floor(scaled)):
        lw.fail(f"weights are not on their fixed.grid ({frac} fraction bits)")
    raw = scaled.astype(np.int64)
    width = max(2, signed_width(int(raw.min(initial=0)), int(raw.max(initial=0))))
    return raw, FixedType(width, width - frac)


def _gauss(lw: FixedLowering, op, raw: np.ndarray, wtype: FixedType, bias: np.ndarray | None) -> None:
    """k1 = A (x + y), k2 = (B - A) x + Im(c), k3 = (A + B) y - Re(c); Re = k1 - k3,
    Im = k1 + k2; then [Re; Im] to the output type."""
    prec = lw.precision(op)
    h = lw.values.get(op.input)
    if h is None:
        lw.fail("input must be computed at run time")
    m, c = raw.shape[0] // 2, raw.shape[1] // 2
    ra, rb = raw[:m, :c], raw[m:, :c]
    wider = FixedType(wtype.width.data + 1, wtype.int_bits.data + 1)
    lw.check_width(wider)
    const_a = lw.exact_constant(ra, wtype)
    const_d = lw.exact_constant(rb - ra, wider)
    const_s = lw.exact_constant(ra + rb, wider)
    x, y = _halves(lw, op, h)
    s = lw.emit(fixed.AddOp(x, y)).output
    bias_im = bias_re = None
    if bias is not None:
        braw, btype = to_fixed.mac_bias(lw, op, prec, fixed.fixed_of(h).frac + wtype.frac, bias)
        neg = FixedType(btype.width.data + 1, btype.int_bits.data + 1)  # -min fits
        bias_im = lw.exact_constant(braw[m:], btype)
        bias_re = lw.exact_constant(-braw[:m], neg)
    k1 = _layer(lw, op, s, const_a, None)
    k2 = _layer(lw, op, x, const_d, bias_im)
    k3 = _layer(lw, op, y, const_s, bias_re)
    re = lw.emit(fixed.SubOp(k1, k3)).output
    im = lw.emit(fixed.AddOp(k1, k2)).output
    t_re, t_im = fixed.fixed_of(re), fixed.fixed_of(im)
    frac = max(t_re.frac, t_im.frac)
    ints = max(t_re.int_bits.data, t_im.int_bits.data)
    common = FixedType(ints + frac, ints)
    lw.check_width(common)
    parts = [lw.cast(v, common, prec) for v in (re, im)]
    cat = lw.emit(nn.ConcatOp(parts, op.channel_axis())).output
    lw.finish(op, cat, prec)


def _halves(lw: FixedLowering, op, h):
    """The real and imaginary halves of the fixed-point input (channels axis 1 of a
    convolution's input, the last axis of a dense layer's), as `nn.gather` ops."""
    shape = tuple(op.input.type.get_shape())
    axis = op.channel_axis()
    half = list(shape)
    half[axis] //= 2
    index = np.arange(int(np.prod(shape[1:]))).reshape(shape[1:])
    parts = np.split(index, 2, axis=axis - 1)
    return [lw.emit(nn.GatherOp(h, p.reshape(-1).tolist(), tuple(half))).output for p in parts]


def _layer(lw: FixedLowering, op, x, w, bias):
    try:
        layer = lw.emit(op.fixed_layer(x, w, bias))
    except Exception as err:  # the accumulator type verifier rejects > 64 bits
        lw.fail(f"accumulator does not fit 64 bits: {err}")
    if REUSE_ATTR in op.attributes:
        layer.attributes[REUSE_ATTR] = op.attributes[REUSE_ATTR]
    return layer.output
