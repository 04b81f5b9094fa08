"""Conventions of the fixed-point level shared by the importer, calibration, the passes
and the reports: the attribute names that carry quantization decisions in the IR, and the
rules that choose fixed types from value ranges and quantization grids."""

from __future__ import annotations

import math

import numpy as np
from xdsl.dialects.builtin import DictionaryAttr, IntegerAttr, IntegerType, i64

from nncc.dialects.fixed.types import FixedType, check_fixed
from nncc.dialects.interfaces import LAYER_ATTR  # noqa: F401 - "nncc.layer", defined once there

RANGE_ATTR = "fixed.range"
"""Calibrated [min, max] of an op's result (or, as an argument attribute, of an input)."""
PRECISION_ATTR = "fixed.precision"
"""Per-layer override: dictionary with width, int_bits, weight_width, weight_int_bits,
rounding, overflow."""
APPROX_ATTR = "fixed.approx"
"""Per-layer activation approximation override (mode, table_bits, segments, order),
read by `fixed-lower-activations`."""
GRID_ATTR = "fixed.grid"
"""On an `nn.constant`: `{bits, frac, signed}`, every value is an integer times 2^-frac that
fits `bits` bits (unsigned if signed = 0), as a model's power-of-two weight quantization
leaves it. Without a per-layer weight precision override the constant then becomes exactly
`q<B, B - frac>`, B = bits (+1 if unsigned)."""


def grid_attr(bits: int, frac: int, signed: bool) -> DictionaryAttr:
    """The `fixed.grid` attribute value."""
    return DictionaryAttr(
        {"bits": IntegerAttr(int(bits), i64), "frac": IntegerAttr(int(frac), i64), "signed": IntegerAttr(int(bool(signed)), i64)}
    )


def grid_type(attr) -> FixedType | None:
    """The exact fixed type of a `fixed.grid` attribute value (None if there is none).

    Raises ValueError for a malformed grid or one no fixed type can hold.
    """
    if attr is None:
        return None
    fields = {k: v.value.data for k, v in attr.data.items() if isinstance(v, IntegerAttr)} if isinstance(attr, DictionaryAttr) else {}
    if set(fields) != {"bits", "frac", "signed"} or fields["bits"] < 1 or fields["signed"] not in (0, 1):
        raise ValueError(f"{GRID_ATTR} must be {{bits, frac, signed}} integers, got {attr}")
    width = fields["bits"] + (0 if fields["signed"] else 1)
    if problem := check_fixed(width, width - fields["frac"]):
        raise ValueError(f"{GRID_ATTR} {attr} has no fixed type: {problem}")
    return FixedType(width, width - fields["frac"])


def int_bits_for(lo: float, hi: float, margin: int = 0) -> int:
    """Integer bits (sign included) so that [lo, hi] fits a signed fixed type.

    May be zero or negative for small magnitudes (more fractional bits); 1 for [0, 0].
    """
    candidates = []
    if hi > 0:
        candidates.append(math.floor(math.log2(hi)) + 2)
    if lo < 0:
        candidates.append(math.ceil(math.log2(-lo)) + 1)
    return (max(candidates) if candidates else 1) + margin


def container(width: int) -> IntegerType:
    for bits in (8, 16, 32, 64):
        if width <= bits:
            return IntegerType(bits)
    raise ValueError(width)


def quantize_array(values: np.ndarray, width: int, int_bits: int | None = None) -> tuple[np.ndarray, FixedType]:
    """Round ``values`` to nearest in `q<width, I>` (I from the largest magnitude unless given)."""
    values = np.asarray(values, np.float64)
    if int_bits is None:
        int_bits = int_bits_for(float(values.min(initial=0.0)), float(values.max(initial=0.0)))
    typ = FixedType(width, int_bits)
    lo, hi = -(1 << (width - 1)), (1 << (width - 1)) - 1
    raw = np.clip(np.floor(values * 2.0**typ.frac + 0.5), lo, hi).astype(np.int64)
    return raw, typ


def pot_exponent(scale: float) -> int | None:
    """F with scale == 2^-F exactly, or None."""
    mantissa, exponent = math.frexp(scale)
    return 1 - exponent if scale > 0 and mantissa == 0.5 else None


BINARY_WEIGHT = FixedType(2, 2)
"""The exact type of binary (+-1) weights: raw -1 / +1, what the XNOR rewrites read."""


def binary_weight_type(values: np.ndarray, overridden: bool) -> FixedType | None:
    """`BINARY_WEIGHT` when every value is -1 or +1 and no per-layer weight precision is set
    (``overridden``), else None: such weights lower exactly instead of at the weight width."""
    values = np.asarray(values)
    return BINARY_WEIGHT if not overridden and values.size and np.isin(values, (-1.0, 1.0)).all() else None


def signed_width(lo: int, hi: int) -> int:
    """Smallest two's-complement width that holds every integer in [lo, hi] (the one
    signed-width helper)."""
    return max(1, int(-lo - 1).bit_length() + 1 if lo < 0 else 1, int(hi).bit_length() + 1)
