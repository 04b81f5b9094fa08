"""`fixed-lower-activations`: replace ideal `fixed.activation` ops (every function of
`dialects/unary_functions.py`: sigmoid, tanh, softmax's exp and reciprocal, and the ONNX
unary functions such as Elu, Gelu, Log or Pow) by hardware approximations whose contents
are computed here and carried in the IR (the table range of each function is its
`table_range` within the input type):

- `lut`: a table of 2^k (+1) entries over a power-of-two input range [a, b), indexed by
  a bit slice of the input (no multiplier); each entry is the minimax value of its bin,
  (f(lowest input in the bin) + f(highest)) / 2, which halves the error of hls4ml's
  left-edge sampling for these monotone functions.
- `pwl`: K uniform chords over [a, b] (continuous), saturating outside; optional
  power-of-two slopes (a shift instead of a multiply) with refitted intercepts.
- `taylor`: the Taylor polynomial of the given order (around 0 for sigmoid/tanh, around
  evaluated by Horner on a clamped input, with the clamp point chosen to minimise the
  maximum error. Only sigmoid and tanh have a Taylor form; every other function (softmax's
  exp over [-16, 0] and reciprocal over [1, n] included) uses a table in this mode.

Every lowered op gets `fixed.approx_error`: the maximum absolute error against the real
function, measured exactly over every input the op can receive (all raw values of its
input type up to 2^20 of them, an even sample beyond; against f saturated to the output
type unless the function's output type is fixed, as sigmoid's), and `fixed.approx`, the method.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import DictionaryAttr, FloatAttr, IntegerAttr, IntegerType, ModuleOp, StringAttr, f64
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)

from nncc.dialects import fixed
from nncc.dialects.dense import to_dense
from nncc.dialects.fixed import FixedType, Overflow, OverflowAttr, Rounding, RoundingAttr
from nncc.dialects.fixed import semantics as fm
from nncc.dialects.fixed.quantization import APPROX_ATTR
from nncc.dialects.unary_functions import FUNCTIONS, evaluate as evaluate_float, evaluate_fixed

ERROR_ATTR = "fixed.approx_error"
MODES = ("lut", "pwl", "taylor")


def _sorted(props: dict) -> dict:
    return dict(sorted(props.items()))


def _container(width: int) -> IntegerType:
    return IntegerType(next(b for b in (8, 16, 32, 64) if width <= b))


def _int_bits(magnitude: float) -> int:
    """Signed integer bits holding [-magnitude, magnitude]."""
    return 1 if magnitude <= 0 else math.floor(math.log2(magnitude)) + 2


def _raw_limits(t: FixedType) -> tuple[int, int]:
    return -(1 << (t.width.data - 1)), (1 << (t.width.data - 1)) - 1


def input_range(function: str, t_in: FixedType, params=()) -> tuple[float, float]:
    """Table range [a, b) for ``function`` on inputs of type ``t_in``: the function's
    `table_range` within the type's [-2^(I-1), 2^(I-1)) (a power-of-two width); a function
    with a `floor` of 0 (Log, Sqrt, Pow by a fraction) spans [0, 2^(I-1))."""
    half = 2.0 ** (t_in.int_bits.data - 1)
    entry = FUNCTIONS[function]
    a, b = entry.table_range
    if a is None and entry.floor(*params) == 0.0:
        a = 0.0
    return (-half if a is None else max(a, -half)), (half if b is None else min(b, half))


def domain_limits(function: str, t_in: FixedType) -> tuple[int, int]:
    """Raw inputs the op can receive: the whole type within the function's `domain`
    (softmax's exponential: x <= 0 after max subtraction; its reciprocal: sums >= 1)."""
    lo, hi = _raw_limits(t_in)
    d_lo, d_hi = FUNCTIONS[function].domain
    if d_hi is not None:
        hi = max(lo, min(hi, math.floor(d_hi * 2.0**t_in.frac)))
    if d_lo is not None:
        lo = min(hi, max(lo, math.ceil(d_lo * 2.0**t_in.frac)))
    return lo, hi


def domain(function: str, t_in: FixedType) -> np.ndarray:
    """Raw inputs the approximation is judged on (every one, or an even sample)."""
    lo, hi = domain_limits(function, t_in)
    count = hi - lo + 1
    if count <= 1 << 20:
        return np.arange(lo, hi + 1, dtype=np.int64)
    return np.unique(np.linspace(lo, hi, 1 << 20).round().astype(np.int64))


def _ideal(function: str, raw: np.ndarray, frac: int, params=()) -> np.ndarray:
    return evaluate_fixed(function, fm.to_float(raw, frac), params)


def _quantize_out(values: np.ndarray, t_out: FixedType) -> np.ndarray:
    return fm.quantize(np.nan_to_num(values, posinf=1e300, neginf=-1e300), t_out.width.data, t_out.frac, "rnd", "sat")


def _max_error(function: str, t_in: FixedType, t_out: FixedType, evaluate, params=()) -> float:
    """Largest |approximation - f| over the domain. The reference f is saturated to the
    output type where the function's output type is calibrated (not `fixed_range`) and
    where f is infinite (Log(0), 1/0)."""
    raw = domain(function, t_in)
    got = fm.to_float(evaluate(raw), t_out.frac)
    want = _ideal(function, raw, t_in.frac, params)
    lo, hi = (v * 2.0**-t_out.frac for v in _raw_limits(t_out))
    if FUNCTIONS[function].fixed_range:
        want = np.where(np.isposinf(want), hi, np.where(np.isneginf(want), lo, want))
    else:
        want = np.clip(want, lo, hi)
    return float(np.max(np.abs(got - want)))


# ---------------------------------------------------------------------------------------
# builders


def build_lut(function: str, t_in: FixedType, t_out: FixedType, table_bits: int, params=()):
    """(table raw values, shift, offset) of a bit-sliced table over the function's range."""
    a, b = input_range(function, t_in, params)
    r = round(math.log2(b - a))
    frac = t_in.frac
    shift = frac + r - table_bits
    offset = int(round(-a * 2.0 ** (table_bits - r)))
    size = (1 << table_bits) + 1
    lo_raw, hi_raw = domain_limits(function, t_in)
    index = np.arange(size, dtype=np.int64) - offset
    if shift >= 0:
        first = index << shift
        last = first + (1 << shift) - 1
    else:
        first = last = index >> -shift
    first = np.clip(first, lo_raw, hi_raw)
    last = np.clip(last, lo_raw, hi_raw)
    first[0] = lo_raw  # index 0 and the last index also take every clamped input
    last[-1] = hi_raw
    with np.errstate(invalid="ignore"):
        values = 0.5 * (_ideal(function, first, frac, params) + _ideal(function, last, frac, params))
    table = _quantize_out(values, t_out)
    return table, shift, offset


def _pwl_breakpoints(function: str, t_in: FixedType, segments: int, adaptive: bool, params=()) -> np.ndarray:
    """Raw breakpoints of ``segments`` segments over the function's range: evenly spaced, or
    (``adaptive``) placed where the function bends, equal shares of the integral of
    sqrt|f''| (a chord's error grows with |f''| h^2, so this evens it out)."""
    a, b = input_range(function, t_in, params)
    frac = t_in.frac
    lo_raw, hi_raw = _raw_limits(t_in)
    points = np.linspace(a, b, segments + 1)
    if adaptive:
        grid = np.linspace(a, b, 4097)
        with np.errstate(all="ignore"):
            f = np.asarray(_ideal(function, np.round(grid * 2.0**frac).astype(np.int64), frac, params), np.float64)
            bend = np.abs(np.gradient(np.gradient(f, grid), grid))
        if np.all(np.isfinite(bend)) and bend.max() > 0:
            density = np.sqrt(bend + 1e-6 * bend.max())
            mass = np.concatenate([[0.0], np.cumsum(0.5 * (density[1:] + density[:-1]) * np.diff(grid))])
            points = np.interp(np.linspace(0.0, mass[-1], segments + 1), mass, grid)
    return np.unique(np.clip(np.round(points * 2.0**frac), lo_raw, hi_raw).astype(np.int64))


def _pwl_fit(function: str, t_in: FixedType, t_out: FixedType, bps: np.ndarray, pot_slopes: bool,
             coeff_width: int, centred: bool, params=()):
    """Slopes and intercepts (raw) and their types of the segments between ``bps``: chords
    (with ``pot_slopes`` the slope rounded to a power of two, through the segment's middle);
    ``centred`` moves each chord by the middle of its error range on the segment's raw inputs,
    so the error swings equally to both sides (half the chord's worst error on a convex or
    concave piece)."""
    frac = t_in.frac
    xs = fm.to_float(bps, frac)
    fx = _ideal(function, bps, frac, params)
    fx = np.where(np.isfinite(fx), fx, np.sign(np.nan_to_num(fx)) * 2.0 ** (t_out.int_bits.data - 1))
    slopes = np.zeros(bps.size + 1)
    intercepts = np.zeros(bps.size + 1)
    intercepts[0], intercepts[-1] = fx[0], fx[-1]
    for j in range(bps.size - 1):
        m = (fx[j + 1] - fx[j]) / (xs[j + 1] - xs[j])
        if pot_slopes and m != 0:
            m = math.copysign(2.0 ** round(math.log2(abs(m))), m)
            mid = 0.5 * (xs[j] + xs[j + 1])
            c = float(_ideal(function, np.asarray([round(mid * 2.0**frac)]), frac, params)[0]) - m * mid
        else:
            c = fx[j] - m * xs[j]
        if centred:
            raw = np.unique(np.linspace(bps[j], bps[j + 1], min(int(bps[j + 1] - bps[j]) + 1, 4097)).round()).astype(np.int64)
            with np.errstate(all="ignore"):
                residual = _ideal(function, raw, frac, params) - (m * fm.to_float(raw, frac) + c)
            if np.all(np.isfinite(residual)):
                c += 0.5 * (float(residual.max()) + float(residual.min()))
        slopes[j + 1], intercepts[j + 1] = m, c
    slope_type = FixedType(coeff_width, _int_bits(float(np.abs(slopes).max())))
    intercept_type = FixedType(coeff_width, _int_bits(float(np.abs(intercepts).max())))
    m_raw = fm.quantize(slopes, coeff_width, slope_type.frac, "rnd", "sat")
    c_raw = fm.quantize(intercepts, coeff_width, intercept_type.frac, "rnd", "sat")
    return bps, m_raw, slope_type, c_raw, intercept_type


def build_pwl(function: str, t_in: FixedType, t_out: FixedType, segments: int, pot_slopes: bool, coeff_width: int,
              params=()):
    """Breakpoints (raw), slopes, intercepts (raw) and their types: of the candidate fits
    (evenly spaced chords, and breakpoints placed where the function bends with centred
    segments), the one with the smaller worst error over the raw inputs, measured as the
    hardware computes it (quantized slopes and intercepts)."""
    best, best_error = None, math.inf
    for adaptive in (False, True):
        bps = _pwl_breakpoints(function, t_in, segments, adaptive, params)
        fit = _pwl_fit(function, t_in, t_out, bps, pot_slopes, coeff_width, centred=adaptive, params=params)
        _, m_raw, m_type, c_raw, c_type = fit

        def evaluate(raw, fit=fit):
            return fm.pwl_eval(raw, t_in.frac, fit[0], fit[1], fit[2].frac, fit[3], fit[4].frac, t_out.width.data,
                               t_out.frac, "rnd", "sat")

        error = _max_error(function, t_in, t_out, evaluate, params)
        if error < best_error:
            best, best_error = fit, error
    return best


def _taylor_coefficients(function: str, order: int, t_in: FixedType) -> tuple[np.ndarray, float, float]:
    """Maclaurin coefficients c_0..c_order and the clamp interval minimising the error."""
    a, b = input_range(function, t_in)
    coeffs = np.asarray(FUNCTIONS[function].taylor[: order + 1], np.float64)
    # choose the clamp point minimising the maximum error over [a, b]
    xs = np.linspace(a, b, 4001)
    want = evaluate_float(function, xs)
    best = None
    for xc in np.linspace(0.05 * b, b, 200):
        got = np.polynomial.polynomial.polyval(np.clip(xs, -xc, xc), coeffs)
        err = float(np.max(np.abs(got - want)))
        if best is None or err < best[0]:
            best = (err, xc)
    return coeffs, -best[1], best[1]


def build_poly(function: str, t_in: FixedType, t_out: FixedType, order: int, coeff_width: int, acc_width: int):
    """Raw coefficients, their type, the accumulator type and raw clamp bounds."""
    coeffs, lo, hi = _taylor_coefficients(function, order, t_in)
    frac = t_in.frac
    lo_raw, hi_raw = _raw_limits(t_in)
    raw_lo = max(lo_raw, math.ceil(lo * 2.0**frac))
    raw_hi = min(hi_raw, math.floor(hi * 2.0**frac))
    coeff_type = FixedType(coeff_width, _int_bits(float(np.abs(coeffs).max())))
    c_raw = fm.quantize(coeffs, coeff_width, coeff_type.frac, "rnd", "sat")
    # largest Horner intermediate over the clamped range sizes the accumulator
    xs = np.linspace(lo, hi, 2001)
    t = np.full_like(xs, coeffs[-1])
    peak = abs(coeffs[-1])
    for c in reversed(coeffs[:-1]):
        t = t * xs + c
        peak = max(peak, float(np.abs(t).max()))
    acc_type = FixedType(acc_width, _int_bits(peak) + 1)
    return c_raw, coeff_type, acc_type, raw_lo, raw_hi


# ---------------------------------------------------------------------------------------
# rewrite


@dataclass
class LowerActivation(RewritePattern):
    """fixed.activation -> fixed.lut / fixed.pwl / fixed.poly."""

    mode: str
    table_bits: int
    segments: int
    pot_slopes: bool
    order: int
    coeff_width: int
    acc_width: int

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: fixed.ActivationOp, rewriter: PatternRewriter) -> None:
        settings = {
            "mode": self.mode, "table_bits": self.table_bits, "segments": self.segments, "order": self.order,
        }
        override = op.attributes.get(APPROX_ATTR)
        if isinstance(override, DictionaryAttr):
            for key, value in override.data.items():
                if key in settings:
                    settings[key] = value.data if isinstance(value, StringAttr) else value.value.data
        function = op.function.data
        t_in, t_out = fixed.fixed_of(op.input), fixed.fixed_of(op.output)
        mode = settings["mode"]
        params = op.parameters()
        if mode == "taylor" and FUNCTIONS[function].taylor is None:
            mode = "lut"  # no Taylor form (softmax's exp and reciprocal, the ONNX unary functions)
        rnd, sat = RoundingAttr(Rounding.RND), OverflowAttr(Overflow.SAT)
        if mode == "lut":
            table, shift, offset = build_lut(function, t_in, t_out, settings["table_bits"], params)
            new = fixed.LutOp(op.input, t_out, to_dense(table, _container(t_out.width.data)), shift, offset, function)

            def evaluate(raw):
                return table[fm.lut_index(raw, shift, offset, table.size)]

            label = f"lut{{entries={table.size}}}"
        elif mode == "pwl":
            bps, m, m_type, c, c_type = build_pwl(
                function, t_in, t_out, settings["segments"], self.pot_slopes, self.coeff_width, params)
            new = fixed.PwlOp.create(
                operands=[op.input],
                result_types=[op.output.type],
                properties=_sorted({
                    "breakpoints": to_dense(bps, IntegerType(64)),
                    "slopes": to_dense(m, IntegerType(64)),
                    "intercepts": to_dense(c, IntegerType(64)),
                    "slope_type": m_type,
                    "intercept_type": c_type,
                    "function": StringAttr(function),
                    "rounding": rnd,
                    "overflow": sat,
                }),
            )

            def evaluate(raw):
                return fm.pwl_eval(raw, t_in.frac, bps, m, m_type.frac, c, c_type.frac, t_out.width.data, t_out.frac, "rnd", "sat")

            label = f"pwl{{segments={bps.size - 1}{', pot_slopes' if self.pot_slopes else ''}}}"
        else:
            c, c_type, acc_type, lo, hi = build_poly(function, t_in, t_out, settings["order"], self.coeff_width, self.acc_width)
            new = fixed.PolyOp.create(
                operands=[op.input],
                result_types=[op.output.type],
                properties=_sorted({
                    "coefficients": to_dense(c, IntegerType(64)),
                    "coeff_type": c_type,
                    "acc_type": acc_type,
                    "min": IntegerAttr(lo, 64),
                    "max": IntegerAttr(hi, 64),
                    "function": StringAttr(function),
                    "rounding": rnd,
                    "overflow": sat,
                }),
            )

            def evaluate(raw):
                return fm.poly_eval(raw, t_in.frac, c, c_type.frac, acc_type.width.data, acc_type.frac, lo, hi, t_out.width.data, t_out.frac, "rnd", "sat")

            label = f"taylor{{order={settings['order']}}}"
        new.location = op.location
        for key, value in op.attributes.items():
            if key != APPROX_ATTR:
                new.attributes[key] = value
        new.attributes[APPROX_ATTR] = StringAttr(label)
        new.attributes[ERROR_ATTR] = FloatAttr(_max_error(function, t_in, t_out, evaluate, params), f64)
        rewriter.replace(op, new)


@dataclass(frozen=True)
class FixedLowerActivationsPass(ModulePass):
    """Lower `fixed.activation` to a table, piecewise-linear segments or a polynomial.

    Options: `mode` (lut, pwl or taylor; an op's `fixed.approx` dictionary overrides it),
    `table_bits` (log2 of the table size), `segments` (PWL chords), `pot_slopes`
    (power-of-two PWL slopes), `order` (Taylor order, 1 to 7), `coeff_width` (bits of
    slopes, intercepts and coefficients), `acc_width` (bits of the Horner accumulator).
    """

    name = "fixed-lower-activations"

    mode: str = "lut"
    table_bits: int = 10
    segments: int = 16
    pot_slopes: bool = False
    order: int = 5
    coeff_width: int = 18
    acc_width: int = 24

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"fixed-lower-activations: mode must be one of {', '.join(MODES)}, got '{self.mode}'")
        if not 2 <= self.table_bits <= 16:
            raise ValueError(f"fixed-lower-activations: table_bits must be in [2, 16], got {self.table_bits}")
        if not 1 <= self.segments <= 256:
            raise ValueError(f"fixed-lower-activations: segments must be in [1, 256], got {self.segments}")
        if not 1 <= self.order <= 7:
            raise ValueError(f"fixed-lower-activations: order must be in [1, 7], got {self.order}")
        if not 4 <= self.coeff_width <= 32 or not 8 <= self.acc_width <= 40:
            raise ValueError(
                f"fixed-lower-activations: coeff_width must be in [4, 32] and acc_width in [8, 40], "
                f"got {self.coeff_width} and {self.acc_width}"
            )

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        pattern = LowerActivation(
            self.mode, self.table_bits, self.segments, self.pot_slopes, self.order, self.coeff_width, self.acc_width
        )
        PatternRewriteWalker(GreedyRewritePatternApplier([pattern]), apply_recursively=False).rewrite_module(op)
