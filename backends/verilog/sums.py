"""Named views of the planned adder trees of shift-and-add slots (`dataflow-plan` builds
them, `PePlanAttr.tree` stores them; the Verilog PE printer names nodes the same way).

Shift-and-add slots are balanced adder trees whose nodes are exactly as wide as their value
ranges (the template marks them `(* keep *)` so Yosys builds carry-chain adders).
"""

from __future__ import annotations

from nncc.dialects.dataflow import NO_OPERAND
from nncc.dialects.fixed.semantics import limits
from nncc.dialects.dataflow_plan import adder_tree_nodes, shared_widths, term_range


def shared_pool(shared, x_width: int, acc_width: int):
    """The shared sub-expressions with the width of each one's exact value range
    (at most the accumulator's): (index, input element, digits, width), and their ranges."""
    widths, ranges = shared_widths(shared, x_width, acc_width)
    return tuple((q, e, digits, w) for (q, e, digits), w in zip(shared, widths)), ranges


def adder_tree(slot: int, terms, ranges: dict[str, tuple[int, int]], x_width: int, acc_width: int):
    """The planned balanced adder tree over one slot's shifted terms (operand, sign, shift):
    the nodes (wire, width, parts) and the root wire ("" for no terms)."""
    leaves = [(sign, sh, term_range(ranges.get(operand, limits(x_width)), sign, sh)) for operand, sign, sh in terms]
    flat: list[int] = []
    root = adder_tree_nodes(slot, leaves, acc_width, flat)
    count = len(terms)

    def name(operand: int):
        return terms[operand] if operand < count else (f"t{slot}_{operand - count}", 1, 0)

    nodes = tuple((f"t{slot}_{j}", flat[i + 1], tuple(name(o) for o in flat[i + 2:i + 4] if o != NO_OPERAND))
                  for j, i in enumerate(range(0, len(flat), 4)))
    return nodes, ("" if root == NO_OPERAND else name(root)[0])
