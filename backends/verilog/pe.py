"""Views of the processing elements, printed from their `#dataflow.pe_plan`.

The plan says which output element every (phase, slot) computes, how a multiplier slot's
products are chained, and the adder tree (node widths included) of a shift-and-add slot;
this module only looks up the terms of the outputs the plan names (the layer's
`mac_terms()`, or `pot_quant.term_plan` for shift-and-add layers) and formats them.
"""

from __future__ import annotations

import numpy as np
from xdsl.ir import Operation

from nncc.backends.verilog.views import PeSlotView
from nncc.dialects import dataflow, fixed, pot_quant
from nncc.dialects.dataflow import NO_OPERAND, PLAN_ATTR, WINDOW_ATTR, PePlanAttr, WindowTimingAttr
from nncc.dialects.dataflow_plan import popcount_tree, shared_widths, shift_terms, slot_phases
from nncc.dialects.fixed.quantization import signed_width
from nncc.dialects.interfaces import PopcountLayer
from nncc.dialects.nn.semantics import weight_operand


class VerilogEmissionError(ValueError):
    """The module is not prepared/tiled/planned or contains something this back end cannot emit."""


PlanError = VerilogEmissionError


def plan_of(op: dataflow.PeOp) -> PePlanAttr:
    """The PE's plan; raises when `dataflow-plan` has not run or the plan does not fit the PE."""
    plan = op.attributes.get(PLAN_ATTR)
    if not isinstance(plan, PePlanAttr):
        raise PlanError(f"dataflow.pe has no {PLAN_ATTR}: run dataflow-plan first")
    if plan.reuse.data != op.reuse_factor.value.data:
        raise PlanError(f"dataflow.pe: the plan's reuse factor {plan.reuse.data} is not the PE's "
                        f"{op.reuse_factor.value.data}")
    if plan.stages.data != 1:
        raise PlanError(f"dataflow.pe: the Verilog back end builds one register stage, the plan asks for {plan.stages.data}")
    return plan


def window_timing_of(op: dataflow.PeOp) -> WindowTimingAttr:
    timing = op.attributes.get(WINDOW_ATTR)
    if not isinstance(timing, WindowTimingAttr):
        raise PlanError(f"dataflow.pe window engine has no {WINDOW_ATTR}: run dataflow-plan first")
    return timing


def slot_map_of(plan: PePlanAttr, outputs: int) -> list[int]:
    """The plan's slot map, checked to name every output once."""
    return _slot_map(plan, outputs)


def chains_of(plan: PePlanAttr, k: int) -> list[int]:
    """The plan's product-chain boundaries, checked to cover the K terms."""
    bounds = list(plan.chains.get_values())
    if not bounds or bounds[0] != 0 or bounds[-1] != k or (k and any(a >= b for a, b in zip(bounds, bounds[1:]))):
        raise PlanError(f"dataflow.pe: product chains {bounds} do not cover the {k} terms")
    return bounds


def _slot_map(plan: PePlanAttr, outputs: int) -> list[int]:
    slot_map = list(plan.slot_map.get_values())
    if sorted(slot_map) != list(range(outputs)):
        raise PlanError(f"dataflow.pe: the slot map must name each of the {outputs} outputs once")
    return slot_map


def cluster_sum_width(x_width: int, cells: int) -> int:
    """Bits of a cluster lane's operand: the sum of up to ``cells`` ``x_width``-bit inputs."""
    return x_width + max(0, int(cells) - 1).bit_length()


def mult_slots(plan: PePlanAttr, layer: Operation, window_operands: np.ndarray | None = None,
               taps: list[np.ndarray] | None = None, members: list[np.ndarray] | None = None) -> list[PeSlotView]:
    """Multiplier slots: per phase the planned output's bias and (input element, weight) terms,
    the products in the planned chains. ``window_operands`` [C, K] replaces the gathered input
    indices of a window engine (its operands are window elements). With a sparse ``lanes``
    plan (``taps`` per slot [lanes, R], `sparse_plan.pe_taps`) a slot has one term per lane:
    the tap the lane multiplies that phase, or (-1, 0); a cluster lane shows its cluster's
    first term (its weight is the lane's); with cluster ``members`` (per slot [lanes, R, M],
    `sparse_plan.cluster_members`) a lane's operand is the tuple of its cluster's elements,
    added before the product."""
    mac = layer.mac_terms()
    rf, slots = plan.reuse.data, plan.slots.data
    outputs = len(mac.channel) if window_operands is None else len(mac.bias)
    slot_map = _slot_map(plan, outputs)
    k = mac.weights.shape[1]
    bounds = chains_of(plan, k if taps is None else max((len(t) for t in taps), default=0))
    views = []
    for s in range(slots):
        phases = []
        for p in range(rf):
            o = slot_map[p * slots + s]
            channel = o if window_operands is not None else int(mac.channel[o])
            index = window_operands[channel] if window_operands is not None else mac.index[o]
            if taps is None:
                terms = tuple(zip(index.tolist(), mac.weights[channel].tolist()))
            elif members is not None:
                terms = tuple((tuple(int(index[t]) for t in lane if t >= 0), int(mac.weights[channel, lane[0]]) if lane[0] >= 0 else 0)
                              for lane in members[s][:, p])
            else:
                terms = tuple((int(index[t]), int(mac.weights[channel, t])) if t >= 0 else (-1, 0) for t in taps[s][:, p])
            phases.append((o, int(mac.bias[channel]), terms))
        width = k if taps is None else len(taps[s])
        cut = [b for b in bounds if b < width] + [width] if width else [0]
        views.append(PeSlotView(s, tuple(phases), width, chunks=tuple(zip(cut, cut[1:]))))
    return views


def _tree_views(plan: PePlanAttr, phases_of_slot, rf: int):
    """Per slot, the plan's adder-tree nodes as (wire, width, parts) and the root wire."""
    nodes: dict[int, list] = {}
    flat = plan.tree.get_values()
    for i in range(0, len(flat), 4):
        nodes.setdefault(flat[i], []).append(flat[i + 1:i + 4])
    roots = plan.roots.get_values()
    if len(roots) != len(phases_of_slot):
        raise PlanError(f"dataflow.pe: the plan has {len(roots)} tree roots for {len(phases_of_slot)} slots")
    out = []
    for s, phases in enumerate(phases_of_slot):
        count = len(phases[0][2])

        def part(operand: int):
            if operand < count:
                return phases[0][2][operand] if rf == 1 else (f"v{s}_{operand}", 1, 0)
            if operand - count >= len(nodes.get(s, ())):
                raise PlanError(f"dataflow.pe: slot {s} tree operand {operand} names no node")
            return (f"t{s}_{operand - count}", 1, 0)

        tree = tuple((f"t{s}_{j}", width, tuple(part(o) for o in (a, b) if o != NO_OPERAND))
                     for j, (width, a, b) in enumerate(nodes.get(s, ())))
        root = roots[s]
        out.append((tree, "" if root == NO_OPERAND else part(root)[0]))
    return out


def shift_slots(plan: PePlanAttr, layer: Operation, window: bool):
    """Shift-and-add slots from the plan, and the pool fields of the PE's view."""
    x, acc = fixed.fixed_of(layer.input), fixed.fixed_of(layer.output)
    rf = plan.reuse.data
    terms = shift_terms(layer, window)
    slot_map = _slot_map(plan, len(terms.outputs))
    phases_of_slot, negated = slot_phases(terms, slot_map, rf, acc.width.data)
    trees = _tree_views(plan, phases_of_slot, rf)
    widths, _ = shared_widths(terms.shared, x.width.data, acc.width.data)
    views, max_shift = [], 0
    for s, (phases, (tree, root)) in enumerate(zip(phases_of_slot, trees)):
        max_shift = max([max_shift] + [t[2] for _, _, ts in phases for t in ts])
        views.append(PeSlotView(s, phases, len(phases[0][2]), tree=tree, root=root))
    fields = dict(pool_inputs=terms.used, pool_shared=tuple((q, e, d, w) for (q, e, d), w in zip(terms.shared, widths)),
                  pool_negated=tuple(sorted(negated.items())), shift_width=max(1, int(max_shift).bit_length()))
    return views, fields


def xnor_slots(plan: PePlanAttr, layer: PopcountLayer, window: bool = False, simd: int = 0) -> list[PeSlotView]:
    """XNOR slots from the plan: per phase the planned output's weight bits (bit k = weight k,
    1 = +1; a SIMD-folded engine's phase ``p`` reads chunk ``p % F`` of SIMD bits, F = K /
    SIMD) and bias (raw, aligned: a windowed layer's per output channel, zero for a dense
    one, whose bias is a separate add), and the plan's popcount tree over the slot's XNOR
    bits ``e<slot>[k]``. A window engine's outputs are its output channels."""
    bits = layer.weight_bits()
    m, k = bits.shape
    simd = simd or k
    folds = k // simd
    rf, slots = plan.reuse.data, plan.slots.data
    outputs = m if window else layer.outputs()
    slot_map = list(plan.slot_map.get_values())
    if folds == 1:
        slot_map = _slot_map(plan, outputs)
    elif sorted(slot_map) != sorted(list(range(outputs)) * folds):
        raise PlanError(f"dataflow.pe: a folded slot map must name each of the {outputs} outputs {folds} times")
    if outputs != m:
        raise PlanError(f"{layer.name}: an XNOR PE needs one input row ({layer.outputs()} outputs, {m} weight rows)")
    bias = np.asarray(layer.mac_terms().bias, np.int64) if window else np.zeros(m, np.int64)
    nodes: dict[int, list] = {}
    flat = plan.tree.get_values()
    for i in range(0, len(flat), 4):
        nodes.setdefault(flat[i], []).append(flat[i + 1:i + 4])
    roots = plan.roots.get_values()
    if len(roots) != slots:
        raise PlanError(f"dataflow.pe: the plan has {len(roots)} tree roots for {slots} slots")
    views = []
    for s in range(slots):
        def part(operand: int) -> tuple[str, int, int]:
            if operand < simd:
                return (f"e{s}[{operand}]", 1, 0)
            if operand - simd >= len(nodes.get(s, ())):
                raise PlanError(f"dataflow.pe: slot {s} tree operand {operand} names no node")
            return (f"t{s}_{operand - simd}", 1, 0)

        tree = tuple((f"t{s}_{j}", width, tuple(part(o) for o in (a, b) if o != NO_OPERAND))
                     for j, (width, a, b) in enumerate(nodes.get(s, ())))
        outputs = [slot_map[p * slots + s] for p in range(rf)]
        words = tuple(f"{simd}'b" + "".join(str(int(b)) for b in bits[o][(p % folds) * simd:(p % folds + 1) * simd][::-1])
                      for p, o in enumerate(outputs))
        views.append(PeSlotView(s, tuple((o, int(bias[o]), ()) for o in outputs), k, tree=tree,
                                root=part(roots[s])[0], words=words))
    return views


def xnor_window_fields(layer: PopcountLayer, x_width: int, simd: int, reuse: int) -> dict:
    """The window-engine fields of an XNOR layer: its K taps' sign-bit and lowest-bit
    positions in the window vector ``xs``, whether it is zero-padded (then ``nv``, the count of
    valid taps, replaces the constant K), the shift of ``2 * popcount - K`` to the
    accumulator's fraction, and a SIMD-folded engine's chunk per phase (F = K / SIMD phases
    per output group, the first of which starts the slots' partial counts)."""
    acc, x, w = (fixed.fixed_of(v) for v in (layer.output, layer.input, layer.weight))
    pads = layer.pads.get_values()
    folds = layer.fan_in() // simd
    return dict(xnor=True, bits=layer.fan_in(), padded=any(p > 0 for p in pads), simd=simd, folds=folds,
                chunks=tuple((p % folds) * simd for p in range(reuse)),
                first_phases=tuple(p for p in range(reuse) if p % folds == 0),
                sign_bits=tuple(e * x_width + x_width - 1 for e in range(layer.fan_in())),
                low_bits=tuple(e * x_width for e in range(layer.fan_in())),
                valid_tree=balanced_sum([f"xv[{e}]" for e in range(layer.fan_in())], "nv"),
                count_width=max(1, int(layer.fan_in()).bit_length()), result_shift=acc.frac - x.frac - w.frac)


def balanced_sum(bits: list[str], prefix: str) -> tuple[tuple[str, int, tuple[str, ...]], ...]:
    """The adder tree that counts ``bits`` (1-bit terms), the plan's `popcount_tree`, as named
    nodes (name, width, operands), the last one named ``prefix`` (a flat sum of hundreds of
    terms nests too deep for Yosys' parser)."""
    flat: list[int] = []
    root = popcount_tree(0, len(bits), flat)
    if root < len(bits):  # a lone bit
        return ((prefix, 1, (bits[root],)),)

    def name(operand: int) -> str:
        return bits[operand] if operand < len(bits) else f"{prefix}_{operand - len(bits)}"

    nodes = [(name(len(bits) + j), width, (name(a), name(b))) for j, (_, width, a, b) in
             enumerate(zip(flat[0::4], flat[1::4], flat[2::4], flat[3::4]))]
    nodes[-1] = (prefix, *nodes[-1][1:])
    return tuple(nodes)


def weight_width(layer: Operation, weights: np.ndarray) -> int:
    """Bits of a multiplier's weight: the weight operand's width (`weight_operand`), wider
    when the layer's raw `mac_terms()` weights need more (a layer that scales its weights)."""
    w = np.asarray(weights, np.int64)
    operand = weight_operand(layer)
    width = fixed.fixed_of(operand).width.data if operand is not None else 1
    return max(width, signed_width(int(w.min(initial=0)), int(w.max(initial=0))))


def check_product_fraction(layer: Operation) -> None:
    """The multipliers' products must not be finer than the accumulator: the activation's
    fraction plus the weights' (the weight operand's; without one the terms are taken at the
    accumulator's). A coarser product is aligned by the layer's `mac_terms()` weights."""
    x, acc = fixed.fixed_of(layer.activation()), fixed.fixed_of(layer.accumulator_type())
    operand = weight_operand(layer)
    product = x.frac + fixed.fixed_of(operand).frac if operand is not None else acc.frac
    if acc.frac < product:
        raise VerilogEmissionError(f"{layer.name}: accumulator fraction {acc.frac} differs from the product fraction {product}")


def is_shift_layer(layer: Operation) -> bool:
    """Shift-and-add layers (power-of-two / signed-digit weights) print their term plan."""
    return pot_quant.uses_shift_add(layer)
