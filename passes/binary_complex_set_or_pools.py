"""`binary-complex-set-or-pools`: max pools of +-1 values are built as an OR of bits.

A max `Reduction` (`nn.max_pool`, `nn.global_max_pool`, `fixed.reduce_max`) of a function
body whose input provably holds only -1 and +1 (`binary_complex.holds_bipolar`: a
`binary_complex.threshold`, a sign table, moves and max pools of those) gets the unit
attribute `binary_complex.bit_or` (`Reduction.bit_or`): the max of +-1 values is +1 exactly
when one of them is +1, the OR of their bits (an element's bit: its sign bit is clear). Both
back ends then print an OR of the sign bits and a select of +1 / -1 instead of a tree of
comparators and multiplexers; the values, and the interpreter, are unchanged. A pool with
an empty group (all padding) is left alone (its max is not +-1).
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, UnitAttr
from xdsl.passes import ModulePass

from nncc.dialects.binary_complex import holds_bipolar
from nncc.dialects.interfaces import BIT_OR_ATTR, Reduction


def or_pool(op) -> bool:
    """Whether ``op`` is a max reduction of +-1 values this pass marks (module docstring)."""
    if not isinstance(op, Reduction) or op.combiner() != "max" or len(op.operands) != 1:
        return False
    if not isinstance(op.parent_op(), func.FuncOp):
        return False
    return holds_bipolar(op.results[0])  # (the max of a +-1 input with no empty group)


@dataclass(frozen=True)
class BinaryComplexSetOrPoolsPass(ModulePass):
    """Mark max pools / reductions of provably +-1 values with `binary_complex.bit_or`, so that
    the back ends build them as an OR of the elements' bits (same values)."""

    name = "binary-complex-set-or-pools"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for inner in op.walk():
            if or_pool(inner):
                inner.attributes[BIT_OR_ATTR] = UnitAttr()
