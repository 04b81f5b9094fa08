"""`sparse-knapsack`: resource-aware pruning, solved exactly, with the multiplier lanes the
hardware plan builds as the items.

At reuse factor R a dense processing element of N outputs (output channels for a
convolution's window engine) has S = N / R slots; slot s computes output p * S + s in phase
p, and its term k multiplies, over the R phases, the R weights ``W[p * S + s, k]`` on one
multiplier. Those R weights are one item: zeroing all of them removes that multiplier (a lane
zero in every phase costs nothing, and `sparse-materialize` packs what is left into at most as
many lanes). Item values are the output energy the weights carry on the calibration data,
``sum_p W[p*S+s, k]^2 * H_kk`` with H = E[x x^T] the recorded input moment
(`pot_quant.input_moment`; ``W^2`` alone without it), normalised by the layer's total so that
layers compare; each item costs one multiplier. The pass keeps the items of the largest total
value within ``budget`` (the fraction of the model's dense multipliers), by scipy's `milp`
(HiGHS), and zeroes the rest; with ``compensate`` the kept weights of every row are refitted
for the removed ones (`sparse_prune.compensate`).

The reuse factor of each layer is what `dataflow-tile` will choose for ``reuse_factor``: the
smallest divisor of its outputs (channels) at or above it. Layers whose outputs are not the
rows of their weight (a dense layer over a batch of rows) are left alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import PassFailedException

from nncc.dialects import nn
from nncc.dialects.dense import from_dense
from nncc.dialects.interfaces import FloatSemantics, MacLayer, Windowed
from nncc.dialects.nn.semantics import weight_operand
from nncc.dialects.pot_quant import MOMENT_ATTR
from nncc.passes.dataflow_tile import legal_reuse
from nncc.passes.sparse_prune import replace_constant, compensate


@dataclass(frozen=True)
class LayerItems:
    """One layer's items: (slot, term) lanes with their values, the layer's reuse factor."""

    layer: Operation
    rows: np.ndarray      # the float weights [N, K]
    reuse: int
    values: np.ndarray    # [S, K], normalised to sum 1


def layer_items(layer: Operation, reuse_factor: int) -> LayerItems | None:
    """The lanes of a constant-weight layer at the reuse factor `dataflow-tile` will choose."""
    weight = weight_operand(layer)
    if weight is None or not isinstance(weight.owner, nn.ConstantOp):
        return None
    w = np.asarray(from_dense(weight.owner.value), np.float64)
    rows = w.reshape(w.shape[0], -1)
    outputs = int(np.prod(layer.results[0].type.get_shape()[1:]))
    if not isinstance(layer, Windowed) and outputs != rows.shape[0]:
        return None
    rf = legal_reuse(rows.shape[0], reuse_factor)
    energy = rows ** 2
    moment = layer.attributes.get(MOMENT_ATTR)
    if moment is not None:
        h = np.asarray(from_dense(moment), np.float64)
        group_rows = rows.shape[0] // h.shape[0]
        energy = energy * np.concatenate([np.repeat(np.diag(h[g])[None], group_rows, axis=0) for g in range(h.shape[0])])
    values = energy.reshape(rf, rows.shape[0] // rf, -1).sum(axis=0)
    total = values.sum()
    return LayerItems(layer, rows, rf, values / total if total > 0 else values)


def choose(items: list[LayerItems], budget: int) -> list[np.ndarray]:
    """The kept lanes per layer (boolean [S, K]) of the largest total value within ``budget``
    multipliers: a 0/1 knapsack solved exactly with scipy's `milp`."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    values = np.concatenate([it.values.reshape(-1) for it in items])
    costs = np.ones((1, values.size))  # one multiplier per lane (no memory dimension: weights are ROM in logic)
    result = milp(-values, integrality=np.ones(values.size), bounds=Bounds(0, 1),
                  constraints=[LinearConstraint(costs, 0, budget)])
    if not result.success:
        raise PassFailedException(f"sparse-knapsack: the solver failed: {result.message}")
    keep = np.round(result.x).astype(bool)
    out, start = [], 0
    for it in items:
        out.append(keep[start:start + it.values.size].reshape(it.values.shape))
        start += it.values.size
    return out


@dataclass(frozen=True)
class SparseKnapsackPass(ModulePass):
    """Keep the most valuable multiplier lanes (slot, term at the layers' reuse factors) within
    `budget` (a fraction of the dense multipliers) and zero the rest; `reuse_factor` as given to
    `dataflow-tile`; `compensate` refits the kept weights on the recorded input moments."""

    name = "sparse-knapsack"

    budget: float = 0.25
    reuse_factor: int = 1
    compensate: bool = True

    def __post_init__(self):
        if not 0 < self.budget <= 1:
            raise ValueError(f"sparse-knapsack: budget must be in (0, 1], got {self.budget}")
        if self.reuse_factor < 1:
            raise ValueError(f"sparse-knapsack: reuse_factor must be >= 1, got {self.reuse_factor}")

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        layers = [o for o in op.walk() if isinstance(o, MacLayer) and isinstance(o, FloatSemantics)]
        items = [it for it in (layer_items(layer, self.reuse_factor) for layer in layers) if it is not None]
        if not items:
            return
        budget = int(np.floor(self.budget * sum(it.values.size for it in items)))
        for it, keep in zip(items, choose(items, budget)):
            drop = ~np.tile(keep, (it.reuse, 1))  # row p * S + s takes slot s's choice
            pruned = np.where(drop, 0.0, it.rows)
            moment = it.layer.attributes.get(MOMENT_ATTR)
            if self.compensate and moment is not None:
                h = np.asarray(from_dense(moment), np.float64)
                g_rows = it.rows.shape[0] // h.shape[0]
                pruned = np.concatenate([compensate(it.rows[g * g_rows:(g + 1) * g_rows], drop[g * g_rows:(g + 1) * g_rows], h[g])
                                         for g in range(h.shape[0])])
            const = weight_operand(it.layer).owner
            shape = np.asarray(from_dense(const.value)).shape
            replace_constant(it.layer, const, pruned.reshape(shape))
