"""`sparse-prune`: magnitude pruning of float weights to a target per structure kind.

For every float multiply-accumulate layer (`MacLayer` at the `nn` level) whose weights are an
`nn.constant`, with rows = output channels and the reduction axis the rest of the weight in
its order:

- ``unstructured``: the ``fraction`` of the weights with the smallest magnitudes become zero;
- ``N:M`` (e.g. ``2:4``): in every M consecutive weights of a row the M - N smallest become
  zero (``fraction`` is implied, 1 - N/M);
- ``BHxBW`` (e.g. ``4x8``): the ``fraction`` of BH x BW blocks with the smallest L2 norm
  become zero (layers whose weight the block shape does not tile are left alone);
- ``balanced=P``: in every column, the same number of weights (the ``fraction`` of them,
  rounded down) with the smallest magnitudes become zero in each of the P row groups r mod P
  (layers whose rows P does not divide are left alone);
- ``complementary=K``: the rows form groups of K consecutive kernels, and every column of a
  group keeps its weight in one kernel only (the fraction is implied, 1 - 1/K): the columns
  are dealt to the kernels in equal numbers (as near as the reduction length allows) so as
  to keep the most magnitude, an assignment problem solved exactly (scipy's
  `linear_sum_assignment`); the kernels then have disjoint supports, pack into one dense
  kernel with a routing map (`encodings.complementary_packing`) and share its multipliers
  (layers whose rows K does not divide are left alone);
- ``channels``: the ``fraction`` of output channel groups with the smallest L2 norm become
  zero, weights and bias, where `sparse-remove-channels` can then remove them: a group is a
  channel of one layer, or the channels of several layers tied by residual adds and concats
  (`nncc.dialects.nn.channels`), ranked by the mean over its layers of the channel's norm
  relative to the layer's RMS channel norm and zeroed in all of them; the fraction applies
  to each set of layers tied together. A complex layer (`ComplexWeights`) prunes whole
  complex filters: filter f is its two planes (real-equivalent channels f and M + f, one
  group), ranked by the group norm ``sqrt(|A_f|^2 + |B_f|^2)`` and zeroed in A, B and both
  bias entries (``fraction`` 0.95: 20x fewer filters). A channel that a per-channel op would
  turn into a non-zero constant (a sign after the layer) is pruned only where
  `sparse-remove-channels` can fold that constant into the consumers' biases (see
  `nncc.dialects.nn.channels`).

With ``compensate`` and a recorded input moment H = E[x x^T] (`pot_quant.input_moment`, see
`nncc.compiler.analysis.calibrate.record_input_moments`), every pruned row's kept weights
are refitted to minimise the row's output error on the calibration data:
``w_keep += H_kk^-1 H_kp w_p`` (the least-squares correction for the removed weights ``w_p``),
the compensation the power-of-two path applies to rounding errors. The moment is left for
`pot-quant-quantize`, which removes it.

Recurrent layers (`RecurrentProducts`: LSTM, GRU) have their input and recurrent matrices
(`product_weights`, gate blocks stacked along the rows) pruned by magnitude the same way, without
compensation, except ``complementary`` and ``channels``; ``balanced=P`` gives the column-balanced
weights a delta engine with P processing elements walks without idling (`recurrent-delta`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from nncc.dialects import nn
from nncc.dialects.dense import from_dense, to_dense
from nncc.dialects.interfaces import ComplexWeights, FloatSemantics, MacLayer, RecurrentProducts
from nncc.dialects.nn.semantics import weight_operand
from nncc.dialects.pot_quant import MOMENT_ATTR
from nncc.dialects.nn.channels import channel_groups, constant_weights


def _smallest(scores: np.ndarray, fraction: float) -> np.ndarray:
    """Mask of the ``fraction`` smallest scores (ties in element order)."""
    count = math.floor(fraction * scores.size + 1e-9)
    mask = np.zeros(scores.size, bool)
    mask[np.argsort(scores.reshape(-1), kind="stable")[:count]] = True
    return mask.reshape(scores.shape)


def prune_mask(rows: np.ndarray, kind: str, fraction: float) -> np.ndarray:
    """The weights to zero of ``rows`` [outputs, reduction] for ``kind``."""
    n_rows, k = rows.shape
    a = np.abs(rows)
    if kind == "unstructured":
        return _smallest(a, fraction)
    if m := re.fullmatch(r"(\d+):(\d+)", kind):
        n, g = int(m[1]), int(m[2])
        padded = np.full((n_rows, -(-k // g) * g), np.inf)
        padded[:, :k] = a
        groups = padded.reshape(n_rows, -1, g)
        drop = np.zeros(groups.shape, bool)
        np.put_along_axis(drop, np.argsort(groups, axis=2, kind="stable")[:, :, :g - n], True, axis=2)
        return drop.reshape(n_rows, -1)[:, :k] & np.isfinite(padded[:, :k])
    if m := re.fullmatch(r"(\d+)x(\d+)", kind):
        bh, bw = int(m[1]), int(m[2])
        if n_rows % bh or k % bw:  # (this layer keeps its weights)
            return np.zeros(rows.shape, bool)
        norms = np.sqrt((a.reshape(n_rows // bh, bh, k // bw, bw) ** 2).sum(axis=(1, 3)))
        return np.repeat(np.repeat(_smallest(norms, fraction), bh, axis=0), bw, axis=1)
    if m := re.fullmatch(r"balanced=(\d+)", kind):
        groups = int(m[1])
        if n_rows % groups:  # (this layer keeps its weights)
            return np.zeros(rows.shape, bool)
        per = n_rows // groups
        dropped = math.floor(fraction * per + 1e-9)
        ranks = np.argsort(np.argsort(a.reshape(per, groups, k), axis=0, kind="stable"), axis=0, kind="stable")
        return (ranks < dropped).reshape(n_rows, k)
    if m := re.fullmatch(r"complementary=(\d+)", kind):
        kernels = int(m[1])
        if kernels < 2:
            raise ValueError(f"sparse-prune: complementary needs >= 2 kernels per group, got {kernels}")
        if n_rows % kernels:  # (this layer keeps its weights)
            return np.zeros(rows.shape, bool)
        return ~np.concatenate([complementary_owners(a[g:g + kernels]) for g in range(0, n_rows, kernels)])
    if kind == "channels":
        return np.repeat(_smallest(np.sqrt((a ** 2).sum(axis=1)), fraction)[:, None], k, axis=1)
    raise ValueError("sparse-prune: kind must be unstructured, channels, N:M, BHxBW, balanced=P or complementary=K, "
                     f"got '{kind}'")


def complementary_owners(scores: np.ndarray) -> np.ndarray:
    """[K, columns] boolean: the one kernel that keeps each column, each kernel owning
    ⌈columns / K⌉ or ⌊columns / K⌋ of them, with the largest total score (an exact
    assignment of columns to the kernels' places)."""
    from scipy.optimize import linear_sum_assignment

    kernels, columns = scores.shape
    places = np.repeat(np.arange(kernels), -(-columns // kernels))  # each kernel's share of places
    cols, chosen = linear_sum_assignment(-scores[places].T)  # columns x places, maximise the kept score
    owners = np.zeros(scores.shape, bool)
    owners[places[chosen], cols] = True
    return owners


def compensate(rows: np.ndarray, drop: np.ndarray, moment: np.ndarray) -> np.ndarray:
    """Refit each row's kept weights for its dropped ones (least squares under ``moment``
    [K, K]); rows with nothing dropped or nothing kept are unchanged."""
    out = np.where(drop, 0.0, rows)
    damp = 1e-6 * float(np.mean(np.diag(moment)) or 1.0)
    for r in range(rows.shape[0]):
        p, keep = np.nonzero(drop[r])[0], np.nonzero(~drop[r])[0]
        if p.size == 0 or keep.size == 0:
            continue
        h_kk = moment[np.ix_(keep, keep)] + damp * np.eye(keep.size)
        out[r, keep] += np.linalg.solve(h_kk, moment[np.ix_(keep, p)] @ rows[r, p])
    return out


@dataclass(frozen=True)
class SparsePrunePass(ModulePass):
    """Zero the smallest float weights of every constant-weight layer by structure `kind`
    (unstructured, N:M, BHxBW, channels) to `fraction`, refitting the kept weights on the
    recorded input moment when `compensate`."""

    name = "sparse-prune"

    fraction: float = 0.5
    kind: str = "unstructured"
    compensate: bool = True

    def __post_init__(self):
        if not 0 <= self.fraction < 1:
            raise ValueError(f"sparse-prune: fraction must be in [0, 1), got {self.fraction}")
        prune_mask(np.ones((4, 4)), self.kind, 0.0)  # (raises on an unknown kind)

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.kind == "channels":
            for function in [f for f in op.ops if isinstance(f, func.FuncOp)]:
                prune_channel_groups(list(function.body.blocks[0].ops), self.fraction)
            return
        for layer in [o for o in op.walk() if isinstance(o, MacLayer) and isinstance(o, FloatSemantics)]:
            weight = weight_operand(layer)
            if weight is None or not isinstance(weight.owner, nn.ConstantOp):
                continue
            _prune_layer(layer, weight.owner, self)
        if self.kind.startswith("complementary"):
            return
        for layer in [o for o in op.walk() if isinstance(o, RecurrentProducts) and isinstance(o, FloatSemantics)]:
            for value in layer.product_weights():
                if isinstance(value.owner, nn.ConstantOp):
                    rows = np.asarray(from_dense(value.owner.value), np.float64)
                    replace_constant(layer, value.owner, np.where(prune_mask(rows, self.kind, self.fraction), 0.0, rows))


def prune_channel_groups(ops: list[Operation], fraction: float) -> None:
    """Zero the weight rows and biases of the ``fraction`` weakest removable channel groups of
    every set of tied layers among ``ops`` (see the module docstring)."""
    g = channel_groups(ops, assume_zero=True)
    members: dict = {}
    for layer in g.producers:
        for c, root in enumerate(g.groups_of(layer)):
            if root not in g.pinned:
                members.setdefault(root, []).append((layer, c))
    for group in members.values():  # layers sharing a group form one set (g's union-find, keyed by layer)
        for layer, _ in group[1:]:
            g.union(layer, group[0][0])
    norms = {}
    for layer in g.producers:
        w = constant_weights(layer)[0]  # (a complex layer's real equivalent: rows f, M + f have the group norm)
        n = np.sqrt((w.reshape(w.shape[0], -1) ** 2).sum(axis=1))
        norms[layer] = n / (np.sqrt(np.mean(n ** 2)) or 1.0)
    by_set: dict = {}
    for root, group in members.items():
        by_set.setdefault(g.find(group[0][0]), []).append(root)
    drop: dict = {layer: np.zeros(len(norms[layer]), bool) for layer in g.producers}
    for roots in by_set.values():
        scores = np.array([np.mean([norms[layer][c] for layer, c in members[r]]) for r in roots])
        for i in np.nonzero(_smallest(scores, fraction))[0]:
            for layer, c in members[roots[i]]:
                drop[layer][c] = True
    for layer, rows in drop.items():
        if not rows.any():
            continue
        if isinstance(layer, ComplexWeights):
            _zero_filters(layer, rows)
            continue
        const = weight_operand(layer).owner
        w = np.asarray(from_dense(const.value), np.float64)
        replace_constant(layer, const, np.where(rows.reshape((-1,) + (1,) * (w.ndim - 1)), 0.0, w), True)
        bias = layer.bias_operand()
        if bias is not None:  # (a constant: channel_groups takes only constant-weight layers)
            replace_constant(layer, bias.owner, np.where(rows, 0.0, np.asarray(from_dense(bias.owner.value), np.float64)),
                             True)


def _zero_filters(layer: ComplexWeights, rows: np.ndarray) -> None:
    """Zero the complex filters of ``layer`` whose planes ``rows`` (2M, the two planes
    together) marks: their A and B rows and both bias entries."""
    filters = rows[:len(rows) // 2] | rows[len(rows) // 2:]
    for part in layer.weight_parts():
        w = np.asarray(from_dense(part.owner.value), np.float64)
        replace_constant(layer, part.owner, np.where(filters.reshape((-1,) + (1,) * (w.ndim - 1)), 0.0, w), True)
    bias = layer.bias_operand()
    if bias is not None:
        b = np.asarray(from_dense(bias.owner.value), np.float64)
        replace_constant(layer, bias.owner, np.where(np.concatenate([filters, filters]), 0.0, b), True)


def _prune_layer(layer: Operation, const: nn.ConstantOp, options: SparsePrunePass) -> None:
    w = np.asarray(from_dense(const.value), np.float64)
    rows = w.reshape(w.shape[0], -1)
    drop = prune_mask(rows, options.kind, options.fraction)
    moment = layer.attributes.get(MOMENT_ATTR)
    pruned = np.where(drop, 0.0, rows)
    if options.compensate and moment is not None:
        h = np.asarray(from_dense(moment), np.float64)
        group_rows = rows.shape[0] // h.shape[0]
        pruned = np.concatenate([compensate(rows[g * group_rows:(g + 1) * group_rows], drop[g * group_rows:(g + 1) * group_rows], h[g])
                                 for g in range(h.shape[0])])
    replace_constant(layer, const, pruned.reshape(w.shape))


def replace_constant(layer: Operation, const: nn.ConstantOp, values: np.ndarray, same_grid: bool = False) -> None:
    """Give ``layer`` a new constant of ``values`` in place of ``const`` (which other users
    keep); ``same_grid``: the values are ``const``'s with some made zero, so the new constant
    keeps its attributes (a `fixed.grid` stays true)."""
    new = nn.ConstantOp(to_dense(values, const.value.get_element_type()))
    if same_grid:
        new.attributes.update(const.attributes)
    Rewriter.insert_op(new, InsertPoint.before(const))
    index = list(layer.operands).index(const.output)
    layer.operands = [*layer.operands[:index], new.output, *layer.operands[index + 1:]]
    if not const.output.uses:
        Rewriter.erase_op(const)
