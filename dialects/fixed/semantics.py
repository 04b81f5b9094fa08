"""Exact fixed-point arithmetic on integer numpy arrays: the one definition of nncc's
fixed-point semantics (docs: README "Fixed point"), owned by the `fixed` dialect and shared by the
interpreter, the passes that measure approximation errors, and the tests that check the
generated C++ and Verilog against it.

A value of type `!fixed.q<W, I>` (signed, two's complement) is an integer ``q`` in
[-2^(W-1), 2^(W-1) - 1] standing for ``q * 2^-F`` with ``F = W - I``. Every array here is
``int64`` holding such ``q`` values; widths are limited to 64 bits.

Rounding modes (matching `ap_fixed`):
  - ``trn``: truncate toward minus infinity (AP_TRN, an arithmetic right shift);
  - ``rnd``: round half up, toward plus infinity (AP_RND).
Overflow modes:
  - ``wrap``: keep the low W bits, two's complement (AP_WRAP);
  - ``sat``: clamp to the representable range (AP_SAT).
"""

from __future__ import annotations

import numpy as np

from nncc.dialects.unary_functions import evaluate_fixed

MAX_WIDTH = 64


def limits(width: int) -> tuple[int, int]:
    """Smallest and largest raw value of a signed ``width``-bit word."""
    return -(1 << (width - 1)), (1 << (width - 1)) - 1


def shift_round(q: np.ndarray, shift: int, rounding: str) -> np.ndarray:
    """q * 2^-shift rounded to an integer (shift may be negative: a left shift, which
    wraps modulo 2^64 like any int64 arithmetic; callers keep values inside 64 bits)."""
    q = np.asarray(q, np.int64)
    if shift <= 0:
        return q << np.int64(-shift)
    if shift >= 64:
        return np.where(q < 0, np.int64(-1), np.int64(0)) if rounding == "trn" else np.zeros_like(q)
    if rounding == "trn":
        return q >> np.int64(shift)
    if rounding == "rnd":  # floor(q / 2^s + 1/2), without the overflow of q + 2^(s-1)
        return (q >> np.int64(shift)) + ((q >> np.int64(shift - 1)) & np.int64(1))
    raise ValueError(f"unknown rounding mode '{rounding}'")


def overflow(q: np.ndarray, width: int, mode: str) -> np.ndarray:
    """Bring integers into the signed ``width``-bit range by wrapping or saturating."""
    q = np.asarray(q, np.int64)
    lo, hi = limits(width)
    if mode == "sat":
        return np.clip(q, lo, hi)
    if mode == "wrap":  # keep the low W bits, sign-extended (int64 shifts wrap silently)
        unused = np.int64(64 - width)
        return (q << unused) >> unused
    raise ValueError(f"unknown overflow mode '{mode}'")


def count_overflows(q: np.ndarray, width: int) -> int:
    """How many integers fall outside the signed ``width``-bit range."""
    lo, hi = limits(width)
    q = np.asarray(q)
    return int(np.count_nonzero((q < lo) | (q > hi)))


def cast(q: np.ndarray, frac_from: int, width: int, frac_to: int, rounding: str, overflow_mode: str) -> np.ndarray:
    """Convert raw values with ``frac_from`` fractional bits to `q<width, width - frac_to>`."""
    shift = frac_from - frac_to
    q = np.asarray(q, np.int64)
    if shift < 0 and overflow_mode == "sat":
        # saturate before the left shift, which could leave int64: q << s > hi <=> q > hi >> s
        lo, hi = limits(width)
        s = min(-shift, 63)
        top, bottom = hi >> s, -((-lo) >> s)
        inside = shift_round(np.clip(q, bottom, top), shift, rounding)
        return np.where(q > top, np.int64(hi), np.where(q < bottom, np.int64(lo), inside))
    return overflow(shift_round(q, shift, rounding), width, overflow_mode)


def quantize(x: np.ndarray, width: int, frac: int, rounding: str, overflow_mode: str) -> np.ndarray:
    """Float values to raw `q<width, width - frac>` integers, exactly for every finite
    float64 input: x * 2^frac is exact, and rounding half up compares the remainder
    after floor instead of adding 0.5 (which would round twice). NaN becomes 0; +-inf
    saturate (or become 0 when wrapping), as `ap_fixed` does."""
    x = np.asarray(x, np.float64)
    scaled = x * np.float64(2.0) ** frac
    q = np.floor(scaled)
    if rounding == "rnd":
        with np.errstate(invalid="ignore"):
            q = q + ((scaled - q) >= 0.5)
    elif rounding != "trn":
        raise ValueError(f"unknown rounding mode '{rounding}'")
    lo, hi = limits(width)
    finite = np.isfinite(q)
    if overflow_mode == "sat":
        big = np.clip(np.where(finite, q, np.sign(np.nan_to_num(q))), -(2.0**63), 2.0**62)
        out = np.clip(big.astype(np.int64), lo, hi)
        out = np.where(np.isposinf(q), hi, np.where(np.isneginf(q), lo, out))
        return np.where(np.isnan(q), 0, out).astype(np.int64)
    # wrap: keep the low W bits of the exact integer (values beyond 2^62 are clipped first)
    q = np.clip(np.where(finite, q, 0.0), -(2.0**62), 2.0**62).astype(np.int64)
    return overflow(q, width, overflow_mode)


def to_float(q: np.ndarray, frac: int) -> np.ndarray:
    """Raw values to float64 (exact for widths up to 53 bits)."""
    return np.asarray(q, np.float64) * np.float64(2.0) ** (-frac)


def align(q: np.ndarray, frac_from: int, frac_to: int) -> np.ndarray:
    """Exact left shift of raw values to at least as many fractional bits."""
    if frac_to < frac_from:
        raise ValueError(f"cannot align {frac_from} to fewer ({frac_to}) fractional bits exactly")
    return np.asarray(q, np.int64) << np.int64(frac_to - frac_from)


def lut_index(raw: np.ndarray, shift: int, offset: int, size: int) -> np.ndarray:
    """Table index of `fixed.lut`: clamp((raw >> shift) + offset, 0, size - 1)."""
    idx = shift_round(raw, shift, "trn") + offset
    return np.clip(idx, 0, size - 1)


def pwl_eval(x, frac_in, breakpoints, slopes, slope_frac, intercepts, intercept_frac,
             width_out, frac_out, rounding, overflow_mode) -> np.ndarray:
    """`fixed.pwl`: segment k = #breakpoints <= x; cast(slope[k] * x + intercept[k])."""
    x = np.asarray(x, np.int64)
    k = np.searchsorted(np.asarray(breakpoints, np.int64), x, side="right")
    frac = max(slope_frac + frac_in, intercept_frac)
    y = align(np.asarray(slopes, np.int64)[k] * x, slope_frac + frac_in, frac)
    y = y + align(np.asarray(intercepts, np.int64)[k], intercept_frac, frac)
    return cast(y, frac, width_out, frac_out, rounding, overflow_mode)


def poly_eval(x, frac_in, coefficients, coeff_frac, acc_width, acc_frac, lo, hi,
              width_out, frac_out, rounding, overflow_mode) -> np.ndarray:
    """`fixed.poly`: u = clamp(x, lo, hi); Horner from the highest coefficient with
    t = cast_acc(t * u + c_i) (rounding, saturating) at every step; y = cast(t)."""
    coeffs = [int(c) for c in coefficients]
    u = np.clip(np.asarray(x, np.int64), lo, hi)
    t = cast(np.full(u.shape, coeffs[-1], np.int64), coeff_frac, acc_width, acc_frac, rounding, "sat")
    for c in reversed(coeffs[:-1]):
        frac = max(acc_frac + frac_in, coeff_frac)
        s = align(t * u, acc_frac + frac_in, frac) + align(np.int64(c), coeff_frac, frac)
        t = cast(s, frac, acc_width, acc_frac, rounding, "sat")
    return cast(t, acc_frac, width_out, frac_out, rounding, overflow_mode)


def ideal_activation(function: str, x, frac_in: int, width_out: int, frac_out: int, params=()) -> np.ndarray:
    """`fixed.activation`: round_rnd(f(x)) saturated to the result type, f as
    `unary_functions.evaluate_fixed` defines it (infinite results saturate)."""
    y = evaluate_fixed(function, to_float(x, frac_in), params)
    return quantize(y, width_out, frac_out, "rnd", "sat")


# ---------------------------------------------------------------------------------------
# exact products (the multiply-accumulate layers and fixed.matmul)

EXACT_FLOAT_BITS = 53
"""Widest accumulator whose partial sums float64 holds exactly (its mantissa)."""


def exact_product(fn, width: int, *arrays) -> np.ndarray:
    """Run an integer product-sum ``fn`` exactly: in float64 (BLAS) when the accumulator is
    at most 53 bits wide, where every partial sum is an exactly representable integer, and
    in int64 otherwise."""
    if width <= EXACT_FLOAT_BITS:
        return np.rint(fn(*(np.asarray(a).astype(np.float64) for a in arrays))).astype(np.int64)
    return fn(*(np.asarray(a).astype(np.int64) for a in arrays))


def mac_layer(op, x, weights, weight_frac: int, bias=None, bias_frac: int = 0) -> np.ndarray:
    """The exact accumulator of a dense (2-D ``weights``) or convolution layer ``op``:
    raw input times raw weights, aligned to the result's fraction, plus the aligned bias."""
    from nncc.dialects.fixed.common import fixed_of
    from nncc.dialects.nn.semantics import add_channel_bias, mac_product

    acc = fixed_of(op.results[0])
    w = np.asarray(weights, np.int64)
    y = exact_product(lambda a, b: mac_product(op, a, b), acc.width.data, x, w)
    y = align(y, fixed_of(op.input).frac + weight_frac, acc.frac)
    if bias is not None:
        y = add_channel_bias(y, align(np.asarray(bias, np.int64).reshape(-1), bias_frac, acc.frac), w.ndim == 2)
    return y
