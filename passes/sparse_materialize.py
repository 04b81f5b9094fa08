"""`sparse-materialize`: zero weights become absent hardware at any reuse factor.

For every `dataflow.pe` whose layer has a sparse weight encoding (`#encoding.sparse<...>`),
the pass replaces the dense plan `dataflow-plan` wrote with a packed one
(`nncc.dialects.sparse_plan`): the slot map deals the outputs to the slots by their
non-zero counts, `#dataflow.lane_plan` (attribute `dataflow.lanes`) gives every slot as
many multiplier lanes as its densest output needs and names, per lane and phase, the term
it multiplies, and the PE's `multipliers` becomes the lane count. The phase schedule,
latency and results are unchanged; both back ends print the lanes (the weight ROM of a
time-multiplexed lane holds only its non-zero weights).

A codebook layer's dense PE (`#encoding.codebook<...>`) gets cluster lanes instead
(`#dataflow.cluster_plan`, attribute `dataflow.clusters`): per output, the inputs whose terms
share one raw weight are added first and each sum is multiplied once, so a slot needs as many
multipliers as its outputs have clusters (at most k) instead of K. The outputs are dealt to
the slots by their cluster counts; the schedule and the latency do not change.

Runs after `dataflow-plan`.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import IntegerAttr, ModuleOp, i64
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import PassFailedException

from nncc.dialects import dataflow
from nncc.dialects.dataflow import CLUSTERS_ATTR, LANES_ATTR, PLAN_ATTR, ClusterPlanAttr, LanePlanAttr, PePlanAttr
from nncc.dialects.interfaces import MacLayer
from nncc.dialects.sparse_plan import cluster_plan, lane_plan, wants_clusters, wants_lanes


class SparseMaterializeError(PassFailedException):
    """A sparse PE cannot be materialized (no dense plan to replace)."""


def materialize(pe: dataflow.PeOp) -> None:
    """Replace one sparse PE's dense plan by its lane plan."""
    plan = pe.attributes.get(PLAN_ATTR)
    if not isinstance(plan, PePlanAttr) or plan.tree.get_values():
        raise SparseMaterializeError("sparse-materialize: a sparse dataflow.pe needs the multiplier plan of "
                                     "dataflow-plan: run it first")
    rf = pe.reuse_factor.value.data
    if wants_lanes(pe.layer()):
        lanes = lane_plan(pe.layer(), rf, pe.window is not None)
        pe.attributes[LANES_ATTR] = LanePlanAttr(lanes.lanes, lanes.taps)
    else:
        lanes, width, terms = cluster_plan(pe.layer(), rf, pe.window is not None)
        pe.attributes[CLUSTERS_ATTR] = ClusterPlanAttr(lanes.lanes, width, terms)
    pe.attributes[PLAN_ATTR] = PePlanAttr(rf, plan.slots.data, plan.acc_width.data, plan.stages.data, lanes.slot_map,
                                          lanes.chains())
    pe.properties["multipliers"] = IntegerAttr(sum(lanes.lanes), i64)


@dataclass(frozen=True)
class SparseMaterializePass(ModulePass):
    """Pack the non-zero terms of every sparse layer's PE into balanced multiplier lanes
    (`#dataflow.lane_plan`): ceil-balanced nnz / R multipliers instead of N * K / R; give
    every codebook layer's dense PE one lane per cluster (`#dataflow.cluster_plan`)."""

    name = "sparse-materialize"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for pe in op.walk():
            if not isinstance(pe, dataflow.PeOp) or not isinstance(pe.layer(), MacLayer):
                continue
            if wants_lanes(pe.layer()) or wants_clusters(pe.layer(), pe.window is not None):
                materialize(pe)
