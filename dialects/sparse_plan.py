"""The multiplier lanes of a sparse processing element, computed once: shared by the
`sparse-materialize` pass that writes them into the IR (`#dataflow.lane_plan`) and by the back
ends that print them.

A dense PE with reuse factor R gives each of its S = N / R slots K multipliers, one per term,
and computes output `slot_map[p * S + s]` in phase p. A sparse PE keeps only the non-zero
terms: every output's terms are packed (its non-zero weights, in order, without the taps that
read padding), the outputs are dealt to the slots so that the R outputs of a slot have nearly
the same number of non-zeros (sorted by count, R consecutive ones per slot: this minimises
the sum over slots of their largest count), and slot s gets as many lanes as its largest
output needs. The PE needs sum(lanes) multipliers; with rows of equal non-zero counts
(N:M, column-balanced per slot) that is nnz / R exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.ir import Operation

from nncc.dialects.dataflow import CLUSTERS_ATTR, LANES_ATTR, NO_OPERAND, ClusterPlanAttr, LanePlanAttr
from nncc.dialects.encodings import is_codebook, is_sparse

CHAIN = 64
"""Products per partial-sum chain of a lane group (the dense plan's chain length)."""


def packed_terms(layer: Operation, window: bool) -> list[np.ndarray]:
    """Per output (per output channel for a window engine), the term indices of its non-zero
    weights that read an input element (taps reading padding are dropped too)."""
    mac = layer.mac_terms()
    nz = np.asarray(mac.weights) != 0
    if window:
        return [np.nonzero(row)[0] for row in nz]
    live = nz[mac.channel] & (mac.index >= 0)
    return [np.nonzero(row)[0] for row in live]


@dataclass(frozen=True)
class LanePlan:
    """The slot map (phase p, slot s computes output ``slot_map[p * S + s]``), the lanes per
    slot and the taps (see `LanePlanAttr`)."""

    slot_map: tuple[int, ...]
    lanes: tuple[int, ...]
    taps: tuple[int, ...]

    def chains(self) -> list[int]:
        """Chain boundaries over the widest slot's lanes (each slot cuts them at its count)."""
        widest = max(self.lanes, default=0)
        return list(range(0, widest, CHAIN)) + [widest] if widest else [0]


def lane_plan(layer: Operation, reuse: int, window: bool) -> LanePlan:
    """The balanced lane plan of a sparse layer at reuse factor ``reuse``."""
    terms = packed_terms(layer, window)
    outputs = len(terms)
    slots = outputs // reuse
    order = sorted(range(outputs), key=lambda o: (-len(terms[o]), o))
    slot_map = [0] * outputs
    lanes, taps = [], []
    for s in range(slots):
        group = order[s * reuse:(s + 1) * reuse]
        width = len(terms[group[0]])
        for p, o in enumerate(group):
            slot_map[p * slots + s] = o
        lanes.append(width)
        for t in range(width):
            taps += [int(terms[o][t]) if t < len(terms[o]) else NO_OPERAND for o in group]
    return LanePlan(tuple(slot_map), tuple(lanes), tuple(taps))


def lanes_of(op: Operation) -> LanePlanAttr | None:
    """The lane plan `sparse-materialize` wrote on a PE (None for a dense PE)."""
    plan = op.attributes.get(LANES_ATTR)
    return plan if isinstance(plan, LanePlanAttr) else None


def slot_taps(plan: LanePlanAttr, reuse: int) -> list[np.ndarray]:
    """Per slot, its taps as [lanes, R] (term index or `NO_OPERAND` per lane and phase)."""
    taps = np.asarray(plan.taps.get_values(), np.int64).reshape(-1, reuse) if plan.taps.get_values() else \
        np.zeros((0, reuse), np.int64)
    out, start = [], 0
    for count in plan.lanes.get_values():
        out.append(taps[start:start + count])
        start += count
    return out


def wants_lanes(layer: Operation) -> bool:
    """Whether a layer's weight encoding asks for a sparse lane plan."""
    return is_sparse(layer.weight_encoding())


def output_clusters(layer: Operation) -> list[list[np.ndarray]]:
    """Per output, its clusters in the order of their raw weights: the term indices of the
    non-zero weights that read an input element and share one raw weight."""
    mac = layer.mac_terms()
    weights = np.asarray(mac.weights)
    out = []
    for o in range(len(mac.channel)):
        row = weights[mac.channel[o]]
        live = np.nonzero((row != 0) & (mac.index[o] >= 0))[0]
        out.append([live[row[live] == v] for v in np.unique(row[live])])
    return out


def channel_clusters(layer: Operation) -> list[list[np.ndarray]]:
    """Per output channel (the outputs of a sliding-window engine), its clusters: the term
    indices of its non-zero weights grouped by raw weight, in increasing weight order (the
    engine's window holds every term; padding cells read zero)."""
    weights = np.asarray(layer.mac_terms().weights)
    out = []
    for row in weights:
        live = np.nonzero(row != 0)[0]
        out.append([live[row[live] == v] for v in np.unique(row[live])])
    return out


def cluster_plan(layer: Operation, reuse: int, window: bool = False) -> tuple[LanePlan, int, tuple[int, ...]]:
    """The cluster lanes of a codebook layer at reuse factor ``reuse``: the lane plan (its
    taps name the first term of each cluster, the one whose weight the lane multiplies by),
    the most terms of a cluster M, and the terms of every (lane, phase) padded to M (see
    `ClusterPlanAttr`). Outputs (output channels of a window engine) are dealt to slots by
    their cluster counts, as `lane_plan` deals them by non-zero counts."""
    clusters = channel_clusters(layer) if window else output_clusters(layer)
    outputs = len(clusters)
    slots = outputs // reuse
    width = max([1] + [len(c) for cl in clusters for c in cl])
    order = sorted(range(outputs), key=lambda o: (-len(clusters[o]), o))
    slot_map = [0] * outputs
    lanes, taps, terms = [], [], []
    for s in range(slots):
        group = order[s * reuse:(s + 1) * reuse]
        for p, o in enumerate(group):
            slot_map[p * slots + s] = o
        lanes.append(len(clusters[group[0]]))
        for t in range(lanes[-1]):
            for o in group:
                members = [int(k) for k in clusters[o][t]] if t < len(clusters[o]) else []
                taps.append(members[0] if members else NO_OPERAND)
                terms += members + [NO_OPERAND] * (width - len(members))
    return LanePlan(tuple(slot_map), tuple(lanes), tuple(taps)), width, tuple(terms)


def clusters_of(op: Operation) -> ClusterPlanAttr | None:
    """The cluster plan `sparse-materialize` wrote on a PE (None for other PEs)."""
    plan = op.attributes.get(CLUSTERS_ATTR)
    return plan if isinstance(plan, ClusterPlanAttr) else None


def cluster_members(plan: ClusterPlanAttr, reuse: int) -> list[np.ndarray]:
    """Per slot, its cluster terms as [lanes, R, M] (`NO_OPERAND` pads)."""
    width = plan.width.data
    terms = np.asarray(plan.terms.get_values(), np.int64).reshape(-1, reuse, width)
    out, start = [], 0
    for count in plan.lanes.get_values():
        out.append(terms[start:start + count])
        start += count
    return out


def cluster_taps(plan: ClusterPlanAttr, reuse: int) -> list[np.ndarray]:
    """Per slot, the first term of every (lane, phase) as [lanes, R] (the lane's weight)."""
    return [m[:, :, 0] for m in cluster_members(plan, reuse)]


def wants_clusters(layer: Operation, window: bool) -> bool:
    """Whether a layer's weight encoding asks for cluster lanes (a codebook), in a dense
    engine or a sliding-window engine alike."""
    return is_codebook(layer.weight_encoding())


def pe_taps(op: Operation, reuse: int) -> list[np.ndarray] | None:
    """Per slot the taps [lanes, R] of a PE's sparse lanes or cluster lanes (for a cluster
    lane the first term of its cluster, the one whose weight it multiplies by); None for a
    dense PE."""
    lanes, clusters = lanes_of(op), clusters_of(op)
    if lanes is not None:
        return slot_taps(lanes, reuse)
    return cluster_taps(clusters, reuse) if clusters is not None else None
