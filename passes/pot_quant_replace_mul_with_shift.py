"""`pot-quant-replace-mul-with-shift`: multiplications by signed-digit constants become
shifts and adds.

Every `fixed.dense` / `fixed.conv` whose weight is a `fixed.constant` marked with
`pot_quant.code` (made from `pot_quant.weights` by `convert-nn-to-fixed`) gets the weight
encoding `#encoding.signed_digits<max_digits = T>` (T = the code's digits): each raw weight
is taken in canonical signed digits (the fewest non-zero digits, `encodings.csd`), so
``x * w = sum_t +-(x << shift_t)`` and the hardware plan (`pot_quant.term_plan`) builds the
layer from shifts and adds. The op kind, its weight constant, its result type and so its
result stay as they were: only the encoding, and with it the hardware, changes. A marked
weight that needs more digits than its code has is an error. With ``all_layers`` the
uniform (unmarked) constant-weight layers are encoded too (classic CSD multiplierless
arithmetic, T = the most digits any of their weights needs), except those needing more
than ``max_terms`` digits (0 = no limit), which keep their multipliers. ``share`` adds
`share` to the encoding: every distinct digit pattern applied to one input value is built
once per layer (common sub-expressions). Layers that already have an encoding are left alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import DictionaryAttr, IntegerAttr, ModuleOp
from xdsl.ir import Operation
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import PassFailedException

from nncc.dialects import fixed
from nncc.dialects.dense import from_dense
from nncc.dialects.encodings import TWOS_COMPLEMENT, SignedDigitsAttr, digit_counts
from nncc.dialects.interfaces import MacLayer, layer_label
from nncc.dialects.pot_quant import CODE_ATTR


@dataclass(frozen=True)
class PotQuantReplaceMulWithShiftPass(ModulePass):
    """Give dense/conv layers with signed-digit constant weights the signed-digit encoding
    (shift-and-add hardware).

    Options: `share` (share each input's digit patterns across the layer's weights),
    `all_layers` (also recode uniform constant weights in canonical signed digits),
    `max_terms` (with all_layers: leave layers needing more digits alone; 0 = no limit).
    """

    name = "pot-quant-replace-mul-with-shift"

    share: bool = False
    all_layers: bool = False
    max_terms: int = 0

    def __post_init__(self):
        if self.max_terms < 0:
            raise ValueError(f"pot-quant-replace-mul-with-shift: max_terms must be >= 0, got {self.max_terms}")

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for layer in [o for o in op.walk() if _encodable(o)]:
            const = layer.weight.owner
            if not isinstance(const, fixed.ConstantOp):
                continue
            code = const.attributes.get(CODE_ATTR)
            if code is None and not self.all_layers:
                continue
            raw = np.asarray(from_dense(const.value), np.int64)
            counts = digit_counts(raw)
            needed = max(1, int(np.max(counts, initial=0)))
            allowed = needed
            if isinstance(code, DictionaryAttr):
                terms = code.data["terms"]
                allowed = terms.value.data if isinstance(terms, IntegerAttr) else 1
                if needed > allowed:
                    flat = counts.reshape(-1)
                    bad = int(np.argmax(flat > allowed))
                    value = raw.reshape(-1)[bad] * 2.0 ** -fixed.fixed_of(const.output).frac
                    raise PassFailedException(
                        f"pot-quant-replace-mul-with-shift: weight {value} of {_name(layer)} needs {int(flat[bad])} "
                        f"signed digits, its code has {allowed}")
            elif self.max_terms and needed > self.max_terms:
                continue
            layer.encoding = SignedDigitsAttr(allowed, self.share)


def _encodable(op: Operation) -> bool:
    """A MAC layer with two's-complement weights whose op can carry an encoding and has none yet
    (an explicit encoding, two's complement included, is left alone)."""
    return (isinstance(op, MacLayer) and op.weight_encoding() == TWOS_COMPLEMENT
            and "encoding" in op.get_irdl_definition().properties and op.properties.get("encoding") is None)


def _name(layer: Operation) -> str:
    return f"'{layer_label(layer)}'"
