"""The `pot_quant` dialect: power-of-two and signed-digit weights, shift-and-add layers.

Two levels use it:

* nn level: `pot_quant.weights` is a float weight tensor given by its codes. Every weight is
  a sum of at most T signed power-of-two digits, ``w = sum_t sign_t * 2^exponent_t``, with
  ``sign_t`` in {-1, 0, +1} (0 is the zero code of that digit). T = 1 is power-of-two (PoT)
  quantization, T = 2 the two-digit format. The exponents are absolute (they include the
  per-tensor or per-output-channel power-of-two scale ``2^scale_exponent``); relative to the
  scale they lie in [min_exponent, 0], which a ``bits``-bit code (sign + exponent field,
  one code reserved for zero) can hold.
* fixed-point level: a `fixed.dense` / `fixed.conv` whose weight encoding is
  `#encoding.signed_digits` (`nncc.dialects.encodings`, set by
  `pot-quant-replace-mul-with-shift`) realizes its constant multiplications as shifts and
  adds: each raw integer weight is taken in canonical signed digits
  ``raw = sum_t sign_t << shift_t`` (`csd`, the fewest non-zero digits), so
  ``x * w = sum_t +-(x << shift_t)``. The op kind, its weight operand and its result (the
  exact accumulator) are unchanged; `uses_shift_add` is the one question consumers ask, and
  `term_plan` is the hardware plan both back ends and the reports build from. With the
  encoding's ``share``, every distinct digit pattern applied to one input value is built
  once per layer and reused by all the weights that have it (common sub-expressions).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.dialects.builtin import (
    I64,
    DenseIntOrFPElementsAttr,
    IntegerAttr,
    IntegerType,
    TensorType,
    UnitAttr,
    i8,
    i32,
    i64,
)
from xdsl.ir import Attribute, Dialect, Operation
from xdsl.irdl import (
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_op_definition,
    opt_prop_def,
    prop_def,
    result_def,
    traits_def,
)
from xdsl.traits import ConstantLike, Pure
from xdsl.utils.exceptions import VerifyException

from nncc.dialects.dense import from_dense, to_dense
from nncc.dialects.encodings import BinaryAttr, SignedDigitsAttr, csd
from nncc.dialects.fixed.common import fixed_of, shape_of, sorted_props
from nncc.dialects.fixed.ops import ConstantOp, DenseOp
from nncc.dialects.interfaces import FloatSemantics, MacLayer, PopcountLayer
from nncc.dialects.interfaces import LowersToFixed


CODE_ATTR = "pot_quant.code"
"""On a `fixed.constant` made from `pot_quant.weights`: `{bits, terms}` of its code, the
mark `pot-quant-replace-mul-with-shift` looks for."""
ERROR_ATTR = "pot_quant.error"
"""On `pot_quant.weights`: the quantization error against the float weights it replaced
(`rms`, `max`, `relative_rms`), as `pot-quant-quantize` measured it (before any pruning);
with an input moment also `output_relative_rms`, the rms of the layer's output error on the
calibration inputs relative to the rms of its float output (bias excluded)."""
MOMENT_ATTR = "pot_quant.input_moment"
"""On an `nn.dense` / `nn.conv` before `pot-quant-quantize`: the second moment E[x x^T] of the
layer's input vectors on the calibration data (dense f64 [groups, K, K]; K = input features,
or input channels per group x kernel cells for a convolution, in weight order). Written by
`nncc.compiler.analysis.calibrate.record_input_moments`; the pass uses it to compensate rounding
errors and removes it."""
COMPENSATION_ATTR = "pot_quant.compensation"
"""On `pot_quant.weights`: how rounding errors were compensated: "gptq" (each weight column
rounded in turn, the error carried into the columns not yet rounded through the inverse
input moment) or "none" (every weight rounded on its own)."""
SPARSITY_ATTR = "pot_quant.sparsity"
"""On `pot_quant.weights` after log-aware pruning: the fraction of zero weights."""


# ---------------------------------------------------------------------------------------
# signed digits


def uses_shift_add(op: Operation) -> bool:
    """Whether ``op`` is a multiply-accumulate layer built from shifts and adds (its weight
    encoding is `#encoding.signed_digits`, or `#encoding.binary`: one digit +-2^e per weight,
    each term an addition or a subtraction; not a `PopcountLayer`, whose +-1 activations make
    it XNOR gates and a popcount): the one question the interpreters, the tiling, the
    emitters and the reports ask."""
    return (isinstance(op, MacLayer) and not isinstance(op, PopcountLayer)
            and isinstance(op.weight_encoding(), (SignedDigitsAttr, BinaryAttr)))


def folded_weight(op: Operation) -> bool:
    """Whether ``op`` is a `fixed.constant` read only as the weight of shift-and-add layers:
    their term plans hold its values, so the back ends emit (and name) nothing for it."""
    if not isinstance(op, ConstantOp) or not op.output.uses:
        return False
    return all(uses_shift_add(use.operation) and use.operation.weight is op.output for use in op.output.uses)


def digit_value(signs: np.ndarray, shifts: np.ndarray) -> np.ndarray:
    """The integers ``sum_t signs[..., t] << shifts[..., t]``."""
    s = np.asarray(signs, np.int64)
    return np.sum(s * np.left_shift(np.int64(1), np.asarray(shifts, np.int64)), axis=-1)


def pattern(signs: np.ndarray, shifts: np.ndarray) -> tuple[int, int, tuple[tuple[int, int], ...]]:
    """Split one weight's digits into ``(sign, shift, P)``: weight = sign * (P << shift).

    P is the normalized digit pattern ``((sign, position), ...)`` (lowest position 0,
    most significant digit +1); P = () for a zero weight.
    """
    digits = sorted((int(p), int(s)) for s, p in zip(signs, shifts) if s)
    if not digits:
        return 0, 0, ()
    base = digits[0][0]
    lead = digits[-1][1]
    return lead, base, tuple((s * lead, p - base) for p, s in digits)


@dataclass(frozen=True)
class TermPlan:
    """How a shift-and-add layer is built, shared by both back ends and the reports.

    Values live in a pool: entries ``0 .. inputs-1`` are the layer's input elements (one
    row), entry ``inputs + s`` is shared sub-expression s, ``sum(sign << shift)`` over
    ``shared[s][1]`` applied to input element ``shared[s][0]``. Output element o (one row)
    is ``bias[o] + sum(sign * (pool[source] << shift))`` over its terms
    ``ends[o-1] .. ends[o]-1`` (arrays ``sources``, ``signs``, ``shifts``), with shifts
    already aligned to the accumulator's fraction.
    """

    inputs: int
    shared: tuple[tuple[int, tuple[tuple[int, int], ...]], ...]
    sources: np.ndarray
    signs: np.ndarray
    shifts: np.ndarray
    ends: np.ndarray
    bias: np.ndarray

    @property
    def outputs(self) -> int:
        return len(self.ends)

    def terms_of(self, o: int) -> tuple[tuple[int, int, int], ...]:
        """Output o's terms as (pool index, sign, shift)."""
        start = int(self.ends[o - 1]) if o else 0
        end = int(self.ends[o])
        return tuple(zip(self.sources[start:end].tolist(), self.signs[start:end].tolist(), self.shifts[start:end].tolist()))

    @property
    def terms(self) -> tuple[tuple[tuple[int, int, int], ...], ...]:
        """Every output's terms (see `terms_of`)."""
        return tuple(self.terms_of(o) for o in range(self.outputs))


def _taps(op: Operation, window: bool = False) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, int]:
    """(input elements per row, per tap: output element, input element, weight index; outputs).

    Taps are listed output by output, each in the weights' order. With ``window`` (a
    convolution computed one output pixel at a time from a window of C x KH x KW elements,
    see `dataflow.WindowGeometry`): the inputs are the window's elements and the outputs
    the output channels of one pixel."""
    x = tuple(op.input.type.get_shape())
    w = shape_of(op.weight)
    if isinstance(op, DenseOp):
        m, k = w
        out = np.repeat(np.arange(m), k)
        elem = np.tile(np.arange(k), m)
        return k, out, elem, out * k + elem, m
    group = op.group.value.data
    cg, mg, kk = x[1] // group, w[0] // group, int(np.prod(w[2:]))
    ch = np.arange(w[0])[:, None, None]
    c = np.arange(cg)[None, :, None]
    t = np.arange(kk)[None, None, :]
    weight = ((ch * cg + c) * kk + t)
    if window:
        elem = (ch // mg * cg + c) * kk + t
        out = np.broadcast_to(ch, weight.shape)
        return x[1] * kk, out.reshape(-1), elem.reshape(-1), weight.reshape(-1), w[0]
    from nncc.dialects.nn.windows import window_index_table

    y = tuple(op.output.type.get_shape())
    windows = window_index_table(x[2:], w[2:], tuple(op.strides.get_values()), tuple(op.pads.get_values()),
                                 tuple(op.dilations.get_values()), y[2:])  # [positions, kk], -1 = padding
    positions = windows.shape[0]
    spatial = int(np.prod(x[2:]))
    cell = windows[None, :, None, :]  # [1, P, 1, kk]
    chan = (ch // mg * cg + c)[:, None, :, :]  # [M, 1, cg, 1]
    elem = chan * spatial + cell
    weight4 = np.broadcast_to(weight[:, None, :, :], (w[0], positions, cg, kk))
    out = np.broadcast_to((ch[:, :, :, None] * positions + np.arange(positions)[None, None, None, :]).transpose(0, 3, 1, 2),
                          (w[0], positions, cg, kk))
    valid = np.broadcast_to(cell >= 0, weight4.shape)
    return int(np.prod(x[1:])), out[valid], np.broadcast_to(elem, weight4.shape)[valid], weight4[valid], w[0] * positions


def term_plan(op: Operation, window: bool = False) -> TermPlan:
    """The pool, shared sub-expressions and per-output terms of a shift-and-add layer (a
    `fixed.dense` / `fixed.conv` for which `uses_shift_add` holds).

    Every raw weight is taken in canonical signed digits (`csd`). With the encoding's
    ``share``, a digit pattern (see `pattern`: the odd part of the weight, in canonical
    signed digits) of two or more digits that is applied to the same input element by at
    least two weights is built once; weights whose pattern is used once keep their digits.
    """
    if not uses_shift_add(op) or not isinstance(op.weight.owner, ConstantOp):
        raise ValueError(f"pot_quant.term_plan: {op.name} is not a shift-and-add layer with constant weights")
    raw = np.asarray(from_dense(op.weight.owner.value), np.int64).reshape(-1)
    signs, shifts = (a.astype(np.int64) for a in csd(raw))
    nnz = np.count_nonzero(signs, axis=1)
    mag = np.abs(raw)
    low = mag & -mag
    base = np.where(mag > 0, np.log2(np.where(low > 0, low, 1)).astype(np.int64), 0)
    odd = mag >> base
    acc = fixed_of(op.output)
    align = acc.frac - (fixed_of(op.input).frac + fixed_of(op.weight).frac)
    inputs, out, elem, widx, outputs = _taps(op, window)
    keep = odd[widx] != 0
    out, elem, widx = out[keep], elem[keep], widx[keep]
    shared_tap = np.zeros(len(widx), bool)
    slot = np.zeros(len(widx), np.int64)
    shared: list = []
    if op.weight_encoding().shared and len(widx):
        multi = nnz[widx] >= 2
        key = elem.astype(np.int64) * (int(odd.max()) + 1) + odd[widx]
        uniq, first, inverse, counts = np.unique(np.where(multi, key, -1), return_index=True, return_inverse=True,
                                                  return_counts=True)
        usable = (uniq >= 0) & (counts >= 2)
        shared_tap = usable[inverse.reshape(-1)]
        order = np.argsort(np.where(usable, first, len(widx) + 1), kind="stable")[: int(usable.sum())]
        rank = np.full(len(uniq), -1, np.int64)
        rank[order] = np.arange(len(order))
        slot = rank[inverse.reshape(-1)]
        patterns = {}
        for u in order:
            p = int(odd[widx[first[u]]])
            if p not in patterns:
                s_p, h_p = csd(np.asarray([p]))
                patterns[p] = tuple((int(s), int(h)) for s, h in zip(s_p[0], h_p[0]) if s)
            shared.append((int(elem[first[u]]), patterns[p]))
    count = np.where(shared_tap, 1, nnz[widx])
    tap_of = np.repeat(np.arange(len(widx)), count)
    digit = np.arange(len(tap_of)) - np.repeat(np.cumsum(count) - count, count)
    w_of = widx[tap_of]
    is_shared = shared_tap[tap_of]
    sources = np.where(is_shared, inputs + slot[tap_of], elem[tap_of])
    term_signs = np.where(is_shared, np.sign(raw[w_of]), signs[w_of, np.where(is_shared, 0, digit)])
    term_shifts = np.where(is_shared, base[w_of], shifts[w_of, np.where(is_shared, 0, digit)]) + align
    ends = np.cumsum(np.bincount(out[tap_of], minlength=outputs))
    bias = np.zeros(outputs, np.int64)
    if op.bias is not None:
        b = np.asarray(from_dense(op.bias.owner.value), np.int64).reshape(-1) << (acc.frac - fixed_of(op.bias).frac)
        per_channel = outputs // shape_of(op.weight)[0]
        bias = b if isinstance(op, DenseOp) or window else np.repeat(b, per_channel)
    return TermPlan(inputs, tuple(shared), sources.astype(np.int64), term_signs.astype(np.int64),
                    term_shifts.astype(np.int64), ends.astype(np.int64), bias.astype(np.int64))


# ---------------------------------------------------------------------------------------
# nn level: coded weights


@irdl_op_definition
class WeightsOp(IRDLOperation, FloatSemantics, LowersToFixed):
    """A float weight tensor given by power-of-two / signed-digit codes.

    ``signs`` and ``exponents`` have the weight shape plus a digit axis (T terms);
    ``scale_exponents`` holds one power-of-two scale per output channel (axis 0) or one for
    the tensor; relative to its scale every non-zero digit's exponent is in
    [``min_exponent``, 0]. ``zero_code`` says a weight may be zero.

    Example: `%w = pot_quant.weights {bits = 4 : i64, exponents = dense<[[[-1]], [[-3]]]> : tensor<2x1x1xi8>,
    min_exponent = -6 : i64, scale_exponents = dense<-1> : tensor<1xi32>, signs = dense<[[[1]], [[-1]]]> :
    tensor<2x1x1xi8>, zero_code} : tensor<2x1xf32>`
    """

    name = "pot_quant.weights"
    signs = prop_def(DenseIntOrFPElementsAttr)
    exponents = prop_def(DenseIntOrFPElementsAttr)
    scale_exponents = prop_def(DenseIntOrFPElementsAttr)
    bits = prop_def(IntegerAttr[I64])
    min_exponent = prop_def(IntegerAttr[I64])
    zero_code = opt_prop_def(UnitAttr)
    output = result_def(TensorType)
    traits = traits_def(Pure(), ConstantLike())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "attr-dict `:` type($output)"

    def __init__(self, signs: np.ndarray, exponents: np.ndarray, scale_exponents: np.ndarray, bits: int,
                 min_exponent: int, zero_code: bool, element: Attribute):
        super().__init__(
            result_types=[TensorType(element, signs.shape[:-1])],
            properties=sorted_props({
                "signs": to_dense(signs, i8),
                "exponents": to_dense(exponents, i8),
                "scale_exponents": to_dense(np.asarray(scale_exponents).reshape(-1), i32),
                "bits": IntegerAttr(bits, i64),
                "min_exponent": IntegerAttr(min_exponent, i64),
                "zero_code": UnitAttr() if zero_code else None,
            }),
        )

    @property
    def terms(self) -> int:
        """Signed digits per weight (1 = power of two)."""
        return int(self.signs.get_shape()[-1])

    def digits(self) -> tuple[np.ndarray, np.ndarray]:
        """``(signs, exponents)`` as int64 arrays of the weight shape plus the digit axis."""
        return np.asarray(from_dense(self.signs), np.int64), np.asarray(from_dense(self.exponents), np.int64)

    def values(self) -> np.ndarray:
        """The weights as float64 (exact)."""
        signs, exps = self.digits()
        return np.sum(signs * np.ldexp(1.0, exps), axis=-1)

    def evaluate_float(self, args, batch):
        return self.values()

    def verify_(self) -> None:
        shape = shape_of(self.output)
        for what, attr in (("signs", self.signs), ("exponents", self.exponents)):
            if not isinstance(attr.get_element_type(), IntegerType):
                raise VerifyException(f"pot_quant.weights: {what} must be integers")
            got = tuple(attr.get_shape())
            if got[:-1] != shape or len(got) != len(shape) + 1:
                raise VerifyException(f"pot_quant.weights: {what} shape {got} must be the weight shape {shape} plus a digit axis")
        signs, exps = self.digits()
        if np.any(np.abs(signs) > 1):
            raise VerifyException("pot_quant.weights: signs must be -1, 0 or +1")
        scales = np.asarray(from_dense(self.scale_exponents), np.int64).reshape(-1)
        if scales.size not in (1, shape[0]):
            raise VerifyException(
                f"pot_quant.weights: {scales.size} scale exponents, expected 1 or one per output channel ({shape[0]})")
        bits, low = self.bits.value.data, self.min_exponent.value.data
        lowest = -((1 << (bits - 1)) - (2 if self.zero_code is not None else 1)) if 2 <= bits <= 8 else 0
        if bits < 2 or bits > 8 or low > 0 or low < lowest:
            raise VerifyException(
                f"pot_quant.weights: min_exponent {low} does not fit a {bits}-bit digit code (bits in [2, 8], "
                f"min_exponent in [{lowest}, 0])")
        scale = scales.reshape((-1,) + (1,) * (len(shape)))
        rel = np.where(signs != 0, exps - scale, 0)
        if rel.size and (rel.min() < low or rel.max() > 0):
            raise VerifyException(
                f"pot_quant.weights: digit exponents relative to the scale span [{rel.min()}, {rel.max()}], "
                f"outside [{low}, 0]")
        if self.zero_code is None and np.any(np.all(signs == 0, axis=-1)):
            raise VerifyException("pot_quant.weights: a weight is zero but the code has no zero")

    def lower_to_fixed(self, lowering) -> None:
        """Coded weights are converted where they are used (exactly, see convert-nn-to-fixed)."""


POT_QUANT = Dialect("pot_quant", [WeightsOp], [])
