"""`sparse-knapsack`: resource-aware pruning, solved exactly, with the multiplier lanes as the
hardware plan builds them.

At reuse factor R a processing element of N outputs (output channels for a convolution's
window engine) has S = N / R slots; slot s computes output p * S + s in phase p, and after
`sparse-materialize` it owns as many multiplier lanes as the most non-zero weights of its R
outputs (fewer when the plan's sorting regroups them). So the resource a set of kept weights
costs is ``sum_s max_p nnz(row p * S + s)``; the pass keeps the weights of the largest total
value whose lanes fit ``budget`` (a fraction of the model's dense multipliers, sum N * K / R),
as an integer program solved by scipy's `milp` (HiGHS): a binary per weight, an integer per
slot bounding its outputs' counts, their sum within the budget. At R = 1 this is the 0/1
knapsack over single weights.

A weight's value is the output error its removal costs on the calibration data once its row's
other weights are refitted, ``W[o, k]^2 / [H^-1]_kk`` (the optimal brain surgeon saliency,
H = E[x x^T] the recorded input moment `pot_quant.input_moment`; ``W^2`` without it),
normalised by the layer's total so that layers compare. With ``compensate`` the kept weights
of every row are refitted for the removed ones (`sparse_prune.compensate`). The pass gets there
in ``rounds`` geometric steps, recomputing the saliencies of the refitted weights after each
(a removed weight stays removed).

The resource is the multipliers (``resource = "dsp"``), the block RAMs of the weight ROMs
(``"bram"``, for designs built with ``weight_memory = bram``) or both (``"dsp+bram"``, the same
fraction of each). A PE whose weights live in a ROM reads one word per phase holding every
lane's weight, so its word is ``weight_bits * sum_s lanes_s`` bits wide and R words deep; the
program gives each layer an integer b of block-RAM columns with ``ports * b >= weight_bits *
sum_s m_s`` (ports: 72 bits for up to 512 words, 36 up to 1024, ... of a RAMB36) and bounds
``sum b * cascade`` by the budget, a fraction of the dense plan's blocks computed the same way
(`dataflow.bram_blocks` of the ROM Yosys maps is at most that: it may pick RAMB18s). Removing
72 / weight_bits lanes of a layer frees a block, as hls4ml's BRAM-aware pattern does.

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
from nncc.dialects.dataflow import rom_ports
from nncc.dialects.dense import from_dense
from nncc.dialects.interfaces import FloatSemantics, MacLayer, Windowed
from nncc.dialects.nn.semantics import weight_operand
from nncc.dialects.pot_quant import MOMENT_ATTR
from nncc.passes.dataflow_tile import legal_reuse
from nncc.passes.sparse_prune import replace_constant, compensate


@dataclass(frozen=True)
class LayerItems:
    """One layer's items: its weights with their values, and its reuse factor."""

    layer: Operation
    rows: np.ndarray      # the float weights [N, K]
    reuse: int
    values: np.ndarray    # [N, K], normalised to sum 1
    alive: np.ndarray     # [N, K]: the non-zero weights (a removed weight stays removed)

    @property
    def rom(self) -> bool:
        """Whether the layer's weights can live in a block-RAM ROM (`dataflow-tile` puts them
        there for R > 1 outside window engines)."""
        return self.reuse > 1 and not isinstance(self.layer, Windowed)


def _moments(layer: Operation, rows: int) -> np.ndarray | None:
    """The recorded input moment per row [N, K, K] view (groups repeated), or None."""
    moment = layer.attributes.get(MOMENT_ATTR)
    if moment is None:
        return None
    h = np.asarray(from_dense(moment), np.float64)
    return np.repeat(h, rows // h.shape[0], axis=0)


def saliency(rows: np.ndarray, moments: np.ndarray | None) -> np.ndarray:
    """The output error of removing each weight when the row's other weights are refitted:
    ``w^2 / [H^-1]_kk`` (optimal brain surgeon), ``w^2`` without a moment."""
    if moments is None:
        return rows ** 2
    out = np.empty_like(rows)
    cache: dict[int, np.ndarray] = {}
    for r in range(rows.shape[0]):
        h = moments[r]
        key = id(h.base) if h.base is not None else id(h)
        if key not in cache:
            damp = 1e-6 * float(np.mean(np.diag(h)) or 1.0)
            cache[key] = np.diag(np.linalg.inv(h + damp * np.eye(h.shape[0])))
        out[r] = rows[r] ** 2 / cache[key]
    return out


def layer_items(layer: Operation, reuse_factor: int, rows: np.ndarray | None = None) -> LayerItems | None:
    """The weights of a constant-weight layer as items, at the reuse factor `dataflow-tile`
    will choose (``rows``: its current weights, else the constant's)."""
    weight = weight_operand(layer)
    if weight is None or not isinstance(weight.owner, nn.ConstantOp):
        return None
    if rows is None:
        w = np.asarray(from_dense(weight.owner.value), np.float64)
        rows = w.reshape(w.shape[0], -1)
    outputs = int(np.prod(layer.results[0].type.get_shape()[1:]))
    if not isinstance(layer, Windowed) and outputs != rows.shape[0]:
        return None
    rf = legal_reuse(rows.shape[0], reuse_factor)
    values = saliency(rows, _moments(layer, rows.shape[0]))
    total = values.sum()
    return LayerItems(layer, rows, rf, values / total if total > 0 else values, rows != 0)


def dense_brams(items: list[LayerItems], weight_bits: int) -> int:
    """The RAMB36 columns of the dense plan's weight ROMs (the bound `choose` uses)."""
    total = 0
    for it in [it for it in items if it.rom]:
        ports, cascade = rom_ports(it.reuse)
        total += -(-weight_bits * it.values.size // it.reuse // ports) * cascade
    return total


def choose(items: list[LayerItems], budget: int | None, bram_budget: int | None = None,
           weight_bits: int = 8) -> list[np.ndarray]:
    """The kept weights per layer (boolean [N, K]) of the largest total value whose lanes fit
    ``budget`` multipliers and whose weight ROMs fit ``bram_budget`` blocks (None: that
    resource is free), solved exactly with scipy's `milp`: a binary x per weight, an integer
    m per slot (the slot's lanes) with ``sum_k x[o, k] <= m[slot(o)]`` for each of its outputs
    o = p * S + s, ``sum m <= budget``, and per layer an integer b of RAMB36 columns with
    ``ports * b >= weight_bits * sum m``, ``sum b * cascade <= bram_budget``."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_matrix

    values = np.concatenate([it.values.reshape(-1) for it in items])
    upper = np.concatenate([it.alive.reshape(-1) for it in items]).astype(float)
    n_x = values.size
    slot_base, rows, cols, data = n_x, [], [], []
    weight_base, row = 0, 0
    for it in items:
        n, k = it.values.shape
        slots = n // it.reuse
        for o in range(n):
            rows += [row] * (k + 1)
            cols += list(range(weight_base + o * k, weight_base + (o + 1) * k)) + [slot_base + o % slots]
            data += [1.0] * k + [-1.0]
            row += 1
        weight_base += n * k
        slot_base += slots
    n_m = slot_base - n_x
    n_vars, limits = slot_base, []
    if budget is not None:
        rows += [row] * n_m
        cols += list(range(n_x, slot_base))
        data += [1.0] * n_m
        limits.append((row, budget))
        row += 1
    if bram_budget is not None:  # per layer b columns: weight_bits * sum m - ports * b <= 0
        column, start, block_row = slot_base, n_x, []
        for it in items:
            slots = it.values.shape[0] // it.reuse
            if not it.rom:  # (weights in logic: no block RAM)
                start += slots
                continue
            ports, cascade = rom_ports(it.reuse)
            rows += [row] * (slots + 1)
            cols += list(range(start, start + slots)) + [column]
            data += [float(weight_bits)] * slots + [-float(ports)]
            limits.append((row, 0))
            row += 1
            block_row.append((column, cascade))
            column, start = column + 1, start + slots
        rows += [row] * len(block_row)
        cols += [c for c, _ in block_row]
        data += [float(k) for _, k in block_row]
        limits.append((row, bram_budget))
        row += 1
        n_vars = column
    matrix = coo_matrix((data, (rows, cols)), shape=(row, n_vars)).tocsr()
    lower = np.full(row, -np.inf)
    upper_rows = np.zeros(row)
    for r, limit in limits:
        upper_rows[r] = limit
    cost = np.concatenate([-values, np.zeros(n_vars - n_x)])
    bounds = Bounds(np.zeros(n_vars), np.concatenate([upper, np.full(n_vars - n_x, np.inf)]))
    result = milp(cost, integrality=np.ones(n_vars), bounds=bounds, constraints=[LinearConstraint(matrix, lower, upper_rows)],
                  options={"time_limit": 120, "mip_rel_gap": 1e-4})
    if result.x is None:
        raise PassFailedException(f"sparse-knapsack: the solver failed: {result.message}")
    keep = np.round(result.x[:n_x]).astype(bool)
    out, start = [], 0
    for it in items:
        out.append(keep[start:start + it.values.size].reshape(it.values.shape))
        start += it.values.size
    return out


@dataclass(frozen=True)
class SparseKnapsackPass(ModulePass):
    """Keep the most valuable weights whose multiplier lanes (at the layers' reuse factors) fit
    `budget` (a fraction of the dense multipliers) and zero the rest; `resource`: what the
    budget bounds, `dsp` (multipliers), `bram` (the weight ROMs' block RAMs at `weight_bits`
    per weight) or `dsp+bram`; `reuse_factor` as given to `dataflow-tile`; `compensate` refits
    the kept weights on the recorded input moments; `rounds` geometric steps to the budget,
    the saliencies recomputed after each."""

    name = "sparse-knapsack"

    budget: float = 0.25
    reuse_factor: int = 1
    compensate: bool = True
    rounds: int = 4
    resource: str = "dsp"
    weight_bits: int = 8

    def __post_init__(self):
        if not 0 < self.budget <= 1:
            raise ValueError(f"sparse-knapsack: budget must be in (0, 1], got {self.budget}")
        if self.rounds < 1:
            raise ValueError(f"sparse-knapsack: rounds must be >= 1, got {self.rounds}")
        if self.reuse_factor < 1:
            raise ValueError(f"sparse-knapsack: reuse_factor must be >= 1, got {self.reuse_factor}")
        if self.resource not in ("dsp", "bram", "dsp+bram"):
            raise ValueError(f"sparse-knapsack: resource must be dsp, bram or dsp+bram, got {self.resource!r}")
        if not 1 <= self.weight_bits <= 64:
            raise ValueError(f"sparse-knapsack: weight_bits must be in [1, 64], got {self.weight_bits}")

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        layers = [o for o in op.walk() if isinstance(o, MacLayer) and isinstance(o, FloatSemantics)]
        items = [it for it in (layer_items(layer, self.reuse_factor) for layer in layers) if it is not None]
        if not items:
            return
        total = sum(it.values.size // it.reuse for it in items)  # the dense plan's multipliers
        blocks = dense_brams(items, self.weight_bits)
        if "bram" in self.resource and not blocks:
            raise PassFailedException("sparse-knapsack: a block-RAM budget, but no layer keeps its weights in block "
                                      f"RAM at reuse factor {self.reuse_factor} (weight ROMs need a reuse factor > 1, "
                                      "outside sliding-window engines)")
        rows = [it.rows for it in items]
        for step in range(1, self.rounds + 1):  # geometric steps to the budget, saliencies refreshed
            fraction = self.budget ** (step / self.rounds)
            items = [layer_items(it.layer, self.reuse_factor, r) for it, r in zip(items, rows)]
            dsp = int(np.floor(fraction * total)) if "dsp" in self.resource else None
            bram = int(np.floor(fraction * blocks)) if "bram" in self.resource else None
            rows = [self._pruned(it, keep) for it, keep in zip(items, choose(items, dsp, bram, self.weight_bits))]
        for it, r in zip(items, rows):
            const = weight_operand(it.layer).owner
            replace_constant(it.layer, const, r.reshape(np.asarray(from_dense(const.value)).shape))

    def _pruned(self, it: LayerItems, keep: np.ndarray) -> np.ndarray:
        drop = ~keep
        moments = _moments(it.layer, it.rows.shape[0])
        if not self.compensate or moments is None:
            return np.where(drop, 0.0, it.rows)
        h = np.asarray(from_dense(it.layer.attributes[MOMENT_ATTR]), np.float64)
        g_rows = it.rows.shape[0] // h.shape[0]
        return np.concatenate([compensate(it.rows[g * g_rows:(g + 1) * g_rows], drop[g * g_rows:(g + 1) * g_rows], h[g])
                               for g in range(h.shape[0])])
