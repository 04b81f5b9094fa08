"""`sparse-cluster`: weight clustering, k shared values per output (or per layer).

On the float level (`MacLayer` with float semantics, weights an `nn.constant`), the weights
of every output channel (``scope = neuron``; rows = output channels, the reduction axis the
rest of the weight in its order) or of the whole layer (``scope = layer``) are clustered
into ``k`` values by one-dimensional k-means: k-means++ seeding from a generator seeded with
``seed`` (deterministic), then Lloyd iterations until the assignment is stable. Each weight
becomes its cluster's value.

With ``compensate`` and a recorded input moment H = E[x x^T] (`pot_quant.input_moment`), the
cluster values are then refitted, with the assignment A [K, k] fixed, to keep the layer's
outputs on the calibration data: per output ``v = (A^T H A)^-1 A^T H w`` (for a layer
codebook the sums over the rows), the least-squares fit the pruning passes use for the
weights they keep.

On the fixed-point level (after `convert-nn-to-fixed`, which rounds equal floats to equal
integers and so keeps at most k raw values per group), every `fixed.dense` / `fixed.conv`
without an encoding whose constant raw weights have at most ``k`` distinct values per group
gets `#encoding.codebook<k = k, scope>`. The pipeline runs the pass at both levels: before
calibration to cluster, after quantization to set the encoding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation
from xdsl.passes import ModulePass

from nncc.dialects import fixed, nn
from nncc.dialects.dense import from_dense
from nncc.dialects.encodings import CODEBOOK_SCOPES, CodebookAttr, codebook_groups
from nncc.dialects.interfaces import FloatSemantics, MacLayer
from nncc.dialects.nn.semantics import weight_operand
from nncc.dialects.pot_quant import MOMENT_ATTR
from nncc.passes.sparse_prune import replace_constant


def kmeans_1d(values: np.ndarray, k: int, seed: int, iterations: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """(centroids, assignment) of ``values`` into at most ``k`` clusters: k-means++ seeding
    with ``np.random.default_rng(seed)``, then Lloyd steps until the assignment is stable.
    With k at least the number of distinct values every value is its own centroid."""
    values = np.asarray(values, np.float64).reshape(-1)
    distinct = np.unique(values)
    if distinct.size <= k:
        return distinct, np.searchsorted(distinct, values)
    rng = np.random.default_rng(seed)
    centroids = [values[rng.integers(values.size)]]
    for _ in range(1, k):
        d2 = np.min((values[:, None] - np.asarray(centroids)[None, :]) ** 2, axis=1)
        total = float(d2.sum())
        centroids.append(values[rng.choice(values.size, p=d2 / total)] if total > 0 else values[0])
    c = np.unique(np.asarray(centroids))
    assign = None
    for _ in range(iterations):
        new = np.argmin(np.abs(values[:, None] - c[None, :]), axis=1)
        if assign is not None and np.array_equal(new, assign):
            break
        assign = new
        c = np.array([values[assign == j].mean() if np.any(assign == j) else c[j] for j in range(c.size)])
    used = np.unique(assign)
    return c[used], np.searchsorted(used, assign)


def refit(rows: np.ndarray, assign: np.ndarray, moments: list[np.ndarray], centroids: np.ndarray) -> np.ndarray:
    """Cluster values refitted on the input moments (one per row) for a fixed assignment
    ``assign`` [rows, K] into the shared values: ``(sum_r A_r^T H_r A_r)^-1 sum_r A_r^T H_r w_r``;
    when that matrix is singular (a cluster whose inputs never vary) a small ridge pulls the
    values towards the k-means ``centroids``."""
    clusters = centroids.size
    gram = np.zeros((clusters, clusters))
    rhs = np.zeros(clusters)
    for w, a, h in zip(rows, assign, moments):
        onehot = np.eye(clusters)[a]  # [K, k]
        gram += onehot.T @ h @ onehot
        rhs += onehot.T @ h @ w
    if np.linalg.matrix_rank(gram) == clusters:
        return np.linalg.solve(gram, rhs)
    damp = 1e-6 * float(np.mean(np.diag(gram)) or 1.0)
    return np.linalg.solve(gram + damp * np.eye(clusters), rhs + damp * centroids)


def cluster_rows(rows: np.ndarray, k: int, scope: str, seed: int, moments: list[np.ndarray] | None) -> np.ndarray:
    """``rows`` [outputs, reduction] with every group's weights replaced by their cluster
    values (refitted on ``moments``, one [K, K] per row, when given)."""
    groups = [[r] for r in range(rows.shape[0])] if scope == "neuron" else [list(range(rows.shape[0]))]
    out = rows.copy()
    for members in groups:
        centroids, assign = kmeans_1d(rows[members], k, seed)
        assign = assign.reshape(len(members), -1)
        if moments is not None:
            centroids = refit(rows[members], assign, [moments[r] for r in members], centroids)
        out[members] = centroids[assign]
    return out


@dataclass(frozen=True)
class SparseClusterPass(ModulePass):
    """Cluster the float weights of every constant-weight MAC layer into `k` values per output
    (`scope` neuron) or per layer (`scope` layer), and give fixed-point layers with at most `k`
    distinct raw weights per group the codebook encoding. k-means++ is seeded with `seed`;
    with `compensate` the values are refitted on the recorded input moment."""

    name = "sparse-cluster"

    k: int = 8
    scope: str = "neuron"
    seed: int = 0
    compensate: bool = True

    def __post_init__(self):
        if self.k < 1:
            raise ValueError(f"sparse-cluster: k must be >= 1, got {self.k}")
        if self.scope not in CODEBOOK_SCOPES:
            raise ValueError(f"sparse-cluster: scope must be neuron or layer, got '{self.scope}'")

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for layer in [o for o in op.walk() if isinstance(o, MacLayer)]:
            weight = weight_operand(layer)
            if weight is None:
                continue
            if isinstance(layer, FloatSemantics) and isinstance(weight.owner, nn.ConstantOp):
                self._cluster(layer, weight.owner)
            elif isinstance(weight.owner, fixed.ConstantOp) and getattr(layer, "encoding", 0) is None:
                raw = np.asarray(from_dense(weight.owner.value), np.int64)
                if raw.size and max(g.size for g in codebook_groups(raw, self.scope)) <= self.k:
                    layer.encoding = CodebookAttr(self.k, self.scope)

    def _cluster(self, layer: Operation, const: nn.ConstantOp) -> None:
        w = np.asarray(from_dense(const.value), np.float64)
        rows = w.reshape(w.shape[0], -1)
        moment = layer.attributes.get(MOMENT_ATTR)
        moments = None
        if self.compensate and moment is not None:
            h = np.asarray(from_dense(moment), np.float64)
            per_group = rows.shape[0] // h.shape[0]
            moments = [h[r // per_group] for r in range(rows.shape[0])]
        replace_constant(layer, const, cluster_rows(rows, self.k, self.scope, self.seed, moments).reshape(w.shape))
