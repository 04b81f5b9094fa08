"""`pot-quant-replace-mul-with-shift`: multiplications by signed-digit constants become
shifts and adds.

Every `fixed.dense` / `fixed.conv` whose weight is a `fixed.constant` marked with
`pot_quant.code` (made from `pot_quant.weights` by `convert-nn-to-fixed`) becomes a
`pot_quant.shift_dense` / `pot_quant.shift_conv`: each raw weight is recoded in canonical
signed digits (the fewest non-zero digits), so ``x * w = sum_t +-(x << shift_t)``. A marked
weight that needs more digits than its code has is an error. With ``all_layers`` the
uniform (unmarked) constant-weight layers are recoded too (classic CSD multiplierless
arithmetic), except those needing more than ``max_terms`` digits (0 = no limit), which keep
their multipliers. ``share`` marks the new ops to build every distinct digit pattern applied
to one input value once per layer (common sub-expressions, `pot_quant.term_plan`).

The accumulator type, and so the result, is exactly the replaced layer's.
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
from nncc.dialects.encodings import TWOS_COMPLEMENT
from nncc.dialects.interfaces import MacLayer, layer_label
from nncc.dialects.pot_quant import CODE_ATTR, ShiftConvOp, ShiftDenseOp, csd


@dataclass(frozen=True)
class PotQuantReplaceMulWithShiftPass(ModulePass):
    """Rewrite dense/conv layers with signed-digit constant weights into shift-and-add layers.

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
        for layer in [o for o in op.walk() if isinstance(o, MacLayer) and o.weight_encoding() == TWOS_COMPLEMENT]:
            const = layer.weight.owner
            if not isinstance(const, fixed.ConstantOp):
                continue
            code = const.attributes.get(CODE_ATTR)
            if code is None and not self.all_layers:
                continue
            raw = np.asarray(from_dense(const.value), np.int64)
            signs, shifts = csd(raw)
            needed = int(np.max(np.sum(signs != 0, axis=-1), initial=0))
            if isinstance(code, DictionaryAttr):
                terms = code.data["terms"]
                allowed = terms.value.data if isinstance(terms, IntegerAttr) else 1
                if needed > allowed:
                    flat = np.sum(signs != 0, axis=-1).reshape(-1)
                    bad = int(np.argmax(flat > allowed))
                    value = raw.reshape(-1)[bad] * 2.0 ** -fixed.fixed_of(const.output).frac
                    raise PassFailedException(
                        f"pot-quant-replace-mul-with-shift: weight {value} of {_name(layer)} needs {int(flat[bad])} "
                        f"signed digits, its code has {allowed}")
            elif self.max_terms and needed > self.max_terms:
                continue
            _replace(layer, signs, shifts, fixed.fixed_of(const.output), self.share)


def _replace(layer: Operation, signs: np.ndarray, shifts: np.ndarray, weight_type, share: bool) -> None:
    const = layer.weight.owner
    if isinstance(layer, fixed.DenseOp):
        new = ShiftDenseOp(layer.input, signs, shifts, weight_type, layer.bias, share)
    else:
        new = ShiftConvOp(layer.input, signs, shifts, weight_type, layer.bias, tuple(layer.strides.get_values()),
                          tuple(layer.pads.get_values()), tuple(layer.dilations.get_values()), layer.group.value.data,
                          share)
    if new.output.type != layer.output.type:  # cannot happen: both use accumulator_type
        raise PassFailedException(f"pot-quant-replace-mul-with-shift: accumulator of {_name(layer)} changed")
    new.location = layer.location
    for key, value in layer.attributes.items():
        new.attributes[key] = value
    layer.parent_block().insert_op_before(new, layer)
    layer.output.replace_all_uses_with(new.output)
    layer.detach()
    layer.erase()
    if not const.output.uses:
        const.detach()
        const.erase()


def _name(layer: Operation) -> str:
    return f"'{layer_label(layer)}'"
