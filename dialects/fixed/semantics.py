"""Exact fixed-point arithmetic on integer numpy arrays: the one definition of nncc's
fixed-point semantics (ARCHITECTURE.md), owned by the `fixed` dialect and shared by the
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

MAX_WIDTH = 64


def limits(width: int) -> tuple[int, int]:
    """Smallest and largest raw value of a signed ``width``-bit word."""
    return -(1 << (width - 1)), (1 << (width - 1)) - 1


def shift_round(q: np.ndarray, shift: int, rounding: str) -> np.ndarray:
    """q * 2^-shift rounded to an integer (shift may be negative: exact left shift)."""
    q = np.asarray(q, np.int64)
    if shift <= 0:
        return q << np.int64(-shift)
    if rounding == "trn":
        return q >> np.int64(shift)
    if rounding == "rnd":
        return (q + np.int64(1 << (shift - 1))) >> np.int64(shift)
    raise ValueError(f"unknown rounding mode '{rounding}'")


def overflow(q: np.ndarray, width: int, mode: str) -> np.ndarray:
    """Bring integers into the signed ``width``-bit range by wrapping or saturating."""
    q = np.asarray(q, np.int64)
    lo, hi = limits(width)
    if mode == "sat":
        return np.clip(q, lo, hi)
    if mode == "wrap":
        if width == 64:
            return q
        mask = np.int64((1 << width) - 1)
        low = q & mask
        return np.where(low > hi, low - np.int64(1 << width), low)
    raise ValueError(f"unknown overflow mode '{mode}'")


def count_overflows(q: np.ndarray, width: int) -> int:
    """How many integers fall outside the signed ``width``-bit range."""
    lo, hi = limits(width)
    q = np.asarray(q)
    return int(np.count_nonzero((q < lo) | (q > hi)))


def cast(q: np.ndarray, frac_from: int, width: int, frac_to: int, rounding: str, overflow_mode: str) -> np.ndarray:
    """Convert raw values with ``frac_from`` fractional bits to `q<width, width - frac_to>`."""
    return overflow(shift_round(q, frac_from - frac_to, rounding), width, overflow_mode)


def quantize(x: np.ndarray, width: int, frac: int, rounding: str, overflow_mode: str) -> np.ndarray:
    """Float values to raw `q<width, width - frac>` integers.

    Exact for float64 inputs: the scaled value is split into floor and remainder
    without an intermediate rounding.
    """
    scaled = np.asarray(x, np.float64) * np.float64(2.0) ** frac
    if rounding == "trn":
        q = np.floor(scaled)
    elif rounding == "rnd":
        q = np.floor(scaled + 0.5)
    else:
        raise ValueError(f"unknown rounding mode '{rounding}'")
    lo, hi = limits(width)
    if overflow_mode == "sat":
        return np.clip(q, lo, hi).astype(np.int64)
    # wrap: values are far inside int64 for any sane input; wrap the integer
    q = np.clip(q, -(2.0**62), 2.0**62).astype(np.int64)
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


IDEAL_FUNCTIONS = {
    "sigmoid": lambda v: 0.5 * (1.0 + np.tanh(0.5 * v)),
    "tanh": np.tanh,
    "exp": np.exp,
    "reciprocal": lambda v: np.divide(1.0, v, out=np.full_like(np.asarray(v, np.float64), np.inf), where=v != 0),
}
"""The real functions `fixed.activation` stands for (float64)."""


def ideal_activation(function: str, x, frac_in: int, width_out: int, frac_out: int) -> np.ndarray:
    """`fixed.activation`: round_rnd(f(x)) saturated to the result type."""
    with np.errstate(over="ignore"):
        y = IDEAL_FUNCTIONS[function](to_float(x, frac_in))
    return quantize(y, width_out, frac_out, "rnd", "sat")
