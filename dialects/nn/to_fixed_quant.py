"""How the quantizers a model carries (`nn.fake_quant`, `nn.fake_quant_axis`, `nn.sign`) lower
to the fixed-point level (the bodies of their `lower_to_fixed` methods).

- Power-of-two scale 2^-F (per tensor): one `fixed.cast` onto the integer grid
  q<B, B - F> (B the smallest width that holds the clamp range) and a `fixed.clamp` where
  the range is narrower than B bits. Exact but for ties of half-to-even rounding
  (`fixed.cast` rounds them up).
- Any other scale, and every per-channel scale: integer requantization with fixed-point
  multipliers. n = R(x * c) on the integer grid q<B, B>, c = 1/s (one value, or one per
  channel broadcast along the axis) rounded to `reciprocal_width` bits; the clamp; then
  y = n * s with s rounded likewise (the product keeps its exact type, so the next layer
  sees every bit). Power-of-two per-channel scales have exact multipliers, so they are
  exact like the per-tensor case.
- Rounding R, exact (ties included), always as an addend and then a `trn` cast:
  half_even adds half a step minus one LSB, plus one LSB when the truncated value is odd
  (a four-entry `fixed.lut` on its two low bits, taken by a `wrap` cast, picks the
  addend); floor adds nothing; ceil adds one step minus one LSB; to_zero adds one step
  minus one LSB to the negative values only (a two-entry `fixed.lut` on the sign bit).
- A quantizer whose scale is a power of two times that of the requantizing quantizer
  feeding it (the two steps of a QONNX Trunc) rounds that quantizer's integers on the
  power-of-two grid and reuses its scale constant: exact, as in the float reference.
- `nn.sign`: a two-entry `fixed.lut` on the sign bit.
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import FloatAttr, StringAttr, f64
from xdsl.ir import Operation, SSAValue

from nncc.dialects import fixed, nn
from nncc.dialects.dense import to_dense
from nncc.dialects.interfaces import ExactInput, FixedLowering, SelectsValues, layer_label
from nncc.dialects.fixed import FixedType, Overflow, OverflowAttr, Rounding, RoundingAttr
from nncc.dialects.fixed.quantization import (
    APPROX_ATTR,
    LAYER_ATTR,
    container,
    pot_exponent,
    quantize_array,
    signed_width,
)

def _is_exact_quantizer(op: Operation) -> bool:
    if isinstance(op, nn.SignOp):
        return True
    if isinstance(op, nn.FakeQuantOp):
        return pot_exponent(op.scale.value.data) is not None
    if isinstance(op, nn.FakeQuantAxisOp):
        return all(pot_exponent(s) is not None for s in op.scale_values())
    return False


def feeds_exact_quantizer(value: SSAValue) -> bool:
    """True if ``value``'s only use is a quantizer with power-of-two scales, an
    `nn.sign` or an `ExactInput` op (an integer threshold), directly or through single-use ops that only move or select values
    (`SelectsValues`)."""
    while True:
        uses = list(value.uses)
        if len(uses) != 1:
            return False
        user = uses[0].operation
        if isinstance(user, (nn.SignOp, nn.FakeQuantOp, nn.FakeQuantAxisOp)):
            return _is_exact_quantizer(user)
        if isinstance(user, ExactInput):
            return True
        if not isinstance(user, SelectsValues):
            return False
        value = user.results[0]


def _mark_exact(lut: Operation) -> None:
    """Mark a table that is exact by construction (no approximation error to report)."""
    lut.attributes[APPROX_ATTR] = StringAttr("exact")
    lut.attributes["fixed.approx_error"] = FloatAttr(0.0, f64)  # fixed-lower-activations' ERROR_ATTR


def _round_up_addend(cv: FixedLowering, value: SSAValue, typ: FixedType, negative_only: bool) -> SSAValue:
    """``value`` plus one step of ``typ`` minus one LSB of ``value`` (for x < 0 only when
    ``negative_only``), so that a following `trn` cast rounds up (toward zero)."""
    src = fixed.fixed_of(value)
    raw = (1 << (src.frac - typ.frac)) - 1
    width = signed_width(0, raw)
    step_type = FixedType(width, width - src.frac)
    if negative_only:
        src_width = src.width.data
        table = to_dense(np.asarray([raw, 0], np.int64), container(width))
        lut = cv.emit(fixed.LutOp(value, step_type, table, src_width - 1, 1, "round_to_zero"))
        _mark_exact(lut)
        step = lut.output
    else:
        step = cv.exact_constant(np.asarray(raw), step_type)
    value = cv.emit(fixed.AddOp(value, step)).output
    cv.check_width(fixed.fixed_of(value))
    return value


def _half_even_addend(cv: FixedLowering, value: SSAValue, typ: FixedType) -> SSAValue:
    """``value`` plus half a step of ``typ`` minus one LSB of ``value``, plus one more LSB
    when floor(value / step) is odd, so that a following `trn` cast rounds half to even:
    ties go up from an odd and down from an even integer, everything else to nearest.
    The parity is the low bit of floor(value / step): a `trn`, `wrap` cast onto two bits
    of the step grid (raw in [-2, 1]) indexes a four-entry table of the two addends."""
    src = fixed.fixed_of(value)
    dropped = src.frac - typ.frac
    low = cv.emit(fixed.CastOp(value, FixedType(2, 2 - typ.frac), RoundingAttr(Rounding.TRN), OverflowAttr(Overflow.WRAP)))
    half = 1 << (dropped - 1)
    width = signed_width(0, half)
    table = to_dense(np.asarray([half - 1, half, half - 1, half], np.int64), container(width))
    lut = cv.emit(fixed.LutOp(low.output, FixedType(width, width - src.frac), table, 0, 2, "round_half_even"))
    _mark_exact(lut)
    value = cv.emit(fixed.AddOp(value, lut.output)).output
    cv.check_width(fixed.fixed_of(value))
    return value


def _round_to(cv: FixedLowering, value: SSAValue, typ: FixedType, rounding: str) -> SSAValue:
    """``value`` rounded to ``typ``'s grid with the `nn.fake_quant` rounding (exactly, ties
    included), saturated: an addend, then a `trn` cast."""
    src = fixed.fixed_of(value)
    if src.frac > typ.frac:
        if rounding == "half_even":
            value = _half_even_addend(cv, value, typ)
        elif rounding in ("ceil", "to_zero"):
            value = _round_up_addend(cv, value, typ, rounding == "to_zero")
    if fixed.fixed_of(value) == typ:
        return value
    return cv.emit(fixed.CastOp(value, typ, RoundingAttr(Rounding.TRN), OverflowAttr(Overflow.SAT))).output


def _requantize(cv: FixedLowering, op, x: SSAValue, scale: np.ndarray) -> SSAValue:
    """n = clamp(R(x * c)) on the integer grid, then n * s: c = 1/s and s as constants of
    `reciprocal_width` bits (``scale`` a scalar or shaped to broadcast per channel)."""
    qmin, qmax = op.limits()
    zp = op.zero_point.value.data
    lo, hi = qmin - zp, qmax - zp
    width = signed_width(lo, hi)
    reciprocal = cv.constant(1.0 / scale, cv.reciprocal_width)
    product = cv.emit(fixed.MulOp(x, reciprocal)).output
    cv.check_width(fixed.fixed_of(product))
    n = _round_to(cv, product, FixedType(width, width), op.rounding.data)
    n = _clamp(cv, n, lo, hi, width)
    y = cv.emit(fixed.MulOp(n, cv.constant(scale, cv.reciprocal_width))).output
    cv.check_width(fixed.fixed_of(y))
    return y


def _clamp(cv: FixedLowering, n: SSAValue, lo: int, hi: int, width: int) -> SSAValue:
    if (lo, hi) == (-(1 << (width - 1)), (1 << (width - 1)) - 1):
        return n
    return cv.emit(fixed.ClampOp(n, lo, hi)).output


def _requantized_source(cv: FixedLowering, op: nn.FakeQuantOp) -> tuple[SSAValue, int, SSAValue] | None:
    """(n, k, s) when ``op`` quantizes the output of a requantizing `nn.fake_quant`
    (n on the integer grid times the scale constant s) and its own scale is that scale
    times 2^k; else None."""
    source = op.input.owner
    if not isinstance(source, nn.FakeQuantOp) or pot_exponent(source.scale.value.data) is not None:
        return None
    ratio = pot_exponent(op.scale.value.data / source.scale.value.data)
    product = cv.values.get(source.output)
    if ratio is None or product is None or not isinstance(product.owner, fixed.MulOp):
        return None
    n, scale = product.owner.lhs, product.owner.rhs
    if fixed.fixed_of(n).frac != 0 or not isinstance(scale.owner, fixed.ConstantOp):
        return None
    return n, -ratio, scale


def convert_fake_quant(cv: FixedLowering, op: nn.FakeQuantOp) -> None:
    """y = clip(R(x / s), qmin - zp, qmax - zp) * s (the zero point only moves the clamp):
    a cast onto the integer grid for s = 2^-F; for s = s' * 2^k where x = n * s' comes
    from another requantization (a QONNX Trunc's two steps), the rounding of n on the grid
    2^k (exact, ties included) times the same constant s'; else `_requantize`."""
    x = cv.operand(op.input, cv.precision(op))
    scale = op.scale.value.data
    frac = pot_exponent(scale)
    qmin, qmax = op.limits()
    zp = op.zero_point.value.data
    width = signed_width(qmin - zp, qmax - zp)
    carried = _requantized_source(cv, op) if frac is None else None
    if carried is not None:
        integers, k, source_scale = carried
        n = _round_to(cv, integers, FixedType(width, width + k), op.rounding.data)
        n = _clamp(cv, n, qmin - zp, qmax - zp, width)
        n = cv.emit(fixed.MulOp(n, source_scale)).output
        product = cv.values[op.input]
        if len(list(op.input.uses)) == 1 and not list(product.uses):  # only this op read the source
            product.owner.detach()
            product.owner.erase()
    elif frac is None:
        n = _requantize(cv, op, x, np.asarray(scale))
    else:
        n = _round_to(cv, x, FixedType(width, width - frac), op.rounding.data)
        n = _clamp(cv, n, qmin - zp, qmax - zp, width)
    if n is not x:
        n.owner.attributes[LAYER_ATTR] = StringAttr(layer_label(op))
    cv.values[op.output] = n


def convert_fake_quant_axis(cv: FixedLowering, op: nn.FakeQuantAxisOp) -> None:
    """Per-channel scales: `_requantize` with one multiplier pair per channel (constants
    shaped [C, 1, ...] that broadcast along the op's axis)."""
    x = cv.operand(op.input, cv.precision(op))
    scale = np.asarray(op.scale_values(), np.float64).reshape(op.broadcast_shape()[1:])
    y = _requantize(cv, op, x, scale)
    y.owner.attributes[LAYER_ATTR] = StringAttr(layer_label(op))
    cv.values[op.output] = y


def convert_sign(cv: FixedLowering, op: nn.SignOp) -> None:
    """A two-entry `fixed.lut`: index (raw >> (W - 1)) + 1 is 0 for x < 0 and 1 for x >= 0;
    the table holds -scale and scale (exactly for a power-of-two scale, else rounded to
    the weight precision)."""
    prec = cv.precision(op)
    x = cv.operand(op.input, prec)
    scale = op.scale.value.data
    frac = pot_exponent(abs(scale))
    if frac is not None:
        typ = FixedType(2, 2 - frac)
        table = np.asarray([-1, 1] if scale > 0 else [1, -1], np.int64)
    else:
        table, typ = quantize_array(np.asarray([-scale, scale]), prec.weight_width)
    width = fixed.fixed_of(x).width.data
    lut = cv.emit(fixed.LutOp(x, typ, to_dense(table, container(typ.width.data)), width - 1, 1, "sign"))
    lut.attributes[LAYER_ATTR] = StringAttr(layer_label(op))
    _mark_exact(lut)
    cv.values[op.output] = lut.output
