"""`pot-quant-prune`: log-aware pruning of power-of-two / signed-digit weights.

In the exponent domain the smallest levels hold many weights of negligible magnitude
(pruning adapted to logarithmic quantization). For every `pot_quant.weights` (which must have a zero code):

* ``below = e``: zero every weight whose leading digit's exponent, relative to its scale,
  is below ``e`` (e.g. -4 drops the levels 2^-5 and 2^-6 of a 4-bit code);
* ``fraction = f``: zero the smallest-magnitude weights until at least ``f`` of the
  tensor is zero (equal magnitudes are taken in element order, so the result is
  deterministic).

Both may be given; the fraction applies after the threshold. The resulting fraction of
zero weights is recorded as `pot_quant.sparsity` on the weights.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import FloatAttr, ModuleOp, f64
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import PassFailedException

from nncc.dialects.dense import from_dense, to_dense
from nncc.dialects.pot_quant import SPARSITY_ATTR, WeightsOp


@dataclass(frozen=True)
class PotQuantPrunePass(ModulePass):
    """Zero the weights with the smallest exponents, by threshold and/or by fraction.

    Options: `below` (relative exponent; weights whose leading exponent is lower become 0;
    default: no threshold), `fraction` (target fraction of zero weights per tensor, in
    [0, 1)).
    """

    name = "pot-quant-prune"

    below: int | None = None
    fraction: float = 0.0

    def __post_init__(self):
        if not 0.0 <= self.fraction < 1.0:
            raise ValueError(f"pot-quant-prune: fraction must be in [0, 1), got {self.fraction}")
        if self.below is not None and self.below > 0:
            raise ValueError(f"pot-quant-prune: below is a relative exponent <= 0, got {self.below}")

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for weights in [o for o in op.walk() if isinstance(o, WeightsOp)]:
            if weights.zero_code is None:
                raise PassFailedException("pot-quant-prune: the weights have no zero code (quantize with zero_code=true)")
            signs, exps = weights.digits()
            shape = signs.shape[:-1]
            scales = np.asarray(from_dense(weights.scale_exponents), np.int64).reshape((-1,) + (1,) * len(shape))
            lead = np.max(np.where(signs != 0, exps, np.iinfo(np.int64).min), axis=-1)
            alive = np.any(signs != 0, axis=-1)
            keep = alive.copy()
            if self.below is not None:
                rel = lead - np.broadcast_to(scales.reshape(scales.shape[:1] + (1,) * (len(shape) - 1)), shape)
                keep &= rel >= self.below
            if self.fraction > 0:
                # exact: 0.14 * 50 is 7.000000000000001 in floats, which must not round up to 8
                target = math.ceil(Fraction(repr(self.fraction)) * keep.size)
                zeros = int(keep.size - keep.sum())
                if target > zeros:
                    magnitude = np.abs(weights.values()).reshape(-1)
                    order = np.argsort(np.where(keep.reshape(-1), magnitude, -1.0), kind="stable")
                    flat = keep.reshape(-1)
                    flat[order[zeros:target]] = False
                    keep = flat.reshape(shape)
            signs = np.where(keep[..., None], signs, 0)
            exps = np.where(signs != 0, exps, 0)
            weights.properties["signs"] = to_dense(signs, weights.signs.get_element_type())
            weights.properties["exponents"] = to_dense(exps, weights.exponents.get_element_type())
            weights.attributes[SPARSITY_ATTR] = FloatAttr(float(np.mean(~keep)) if keep.size else 0.0, f64)
