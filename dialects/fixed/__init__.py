"""The `fixed` dialect: the fixed-point IR level (`!fixed.q<W, I>` tensors).

`types.py` holds the type, the rounding/overflow attributes and the exact result-type
rules; `ops.py` the conversions, exact multiply-accumulate and arithmetic; `reductions.py` pooling and
reductions;
`nonlinear.py` clamps, tables, segments, polynomials and ideal activations. Semantics are defined once in
`nncc.dialects.fixed.semantics`.
"""

from __future__ import annotations

from xdsl.ir import Dialect

from nncc.dialects.fixed.common import fixed_of  # noqa: F401
from nncc.dialects.fixed.nonlinear import *  # noqa: F401,F403
from nncc.dialects.fixed.nonlinear import NONLINEAR_OPS
from nncc.dialects.fixed.ops import *  # noqa: F401,F403
from nncc.dialects.fixed.ops import CORE_OPS

FIXED_OPS = CORE_OPS + NONLINEAR_OPS
"""Every op of the dialect."""
from nncc.dialects.fixed.types import (
    FixedType,
    Overflow,
    OverflowAttr,
    Rounding,
    RoundingAttr,
    accumulator_type,
    product_type,
    sum_type,
    window_sum_type,
)

FIXED = Dialect("fixed", FIXED_OPS, [FixedType, RoundingAttr, OverflowAttr])

__all__ = [
    "FIXED",
    "FixedType",
    "Overflow",
    "OverflowAttr",
    "Rounding",
    "RoundingAttr",
    "accumulator_type",
    "product_type",
    "sum_type",
    "window_sum_type",
    *[cls.__name__ for cls in FIXED_OPS],
]
