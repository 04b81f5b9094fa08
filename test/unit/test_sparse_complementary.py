"""Complementary sparsity: K kernels with disjoint supports packed into one dense kernel.

`sparse-prune kind="complementary=K"` deals every column of a group of K consecutive rows to
one kernel, in equal shares, keeping the most magnitude (checked against brute force on a
small case); `#encoding.sparse<complementary = K>` verifies the disjoint supports, and
`complementary_packing` gives the dense kernel and the routing map the hardware plan uses
(one product per column of a group, added into its kernel's sum). The bit-exact runs (MLP
and CNN, RF 1 and 4) are in test_sparse_bitexact.py.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from nncc.dialects.encodings import SparseAttr, complementary_packing, sparse_violation
from nncc.passes.sparse_prune import complementary_owners, prune_mask


def brute_force(scores: np.ndarray) -> float:
    """The best kept score over every balanced assignment of columns to kernels."""
    kernels, columns = scores.shape
    share = -(-columns // kernels)
    best = -np.inf
    for owner in itertools.product(range(kernels), repeat=columns):
        if max(np.bincount(owner, minlength=kernels)) <= share:
            best = max(best, sum(scores[o, c] for c, o in enumerate(owner)))
    return best


@pytest.mark.parametrize("kernels, columns", [(2, 6), (3, 7), (4, 8)])
def test_owners_are_balanced_and_optimal(kernels, columns):
    rng = np.random.default_rng(kernels * columns)
    scores = rng.random((kernels, columns))
    owners = complementary_owners(scores)
    assert (owners.sum(axis=0) == 1).all()  # every column in exactly one kernel
    assert owners.sum(axis=1).max() <= -(-columns // kernels)
    assert np.isclose(scores[owners].sum(), brute_force(scores))


def test_pruned_rows_obey_the_encoding_and_pack():
    rng = np.random.default_rng(0)
    rows = rng.standard_normal((8, 10))
    kept = np.where(prune_mask(rows, "complementary=4", 0.0), 0.0, rows)
    assert sparse_violation(SparseAttr("complementary", 4), kept) == ""
    assert sparse_violation(SparseAttr("complementary", 4), rows) != ""
    packed, route = complementary_packing(kept, 4)
    assert packed.shape == route.shape == (2, 10) and (route >= 0).all()
    for g in range(2):  # the dense kernel and the routing map give back every kernel
        for k in range(4):
            assert np.array_equal(np.where(route[g] == k, packed[g], 0.0), kept[g * 4 + k])
    assert np.array_equal(prune_mask(rows[:6], "complementary=4", 0.0), np.zeros((6, 10), bool))  # 4 does not divide 6


def test_the_report_shows_what_pruning_cost(tmp_path):
    """The fidelity and complexity reports have a `pruned` stage after `sparse-prune`, so the
    accuracy lost to pruning is not charged to the fixed-point conversion."""
    from pathlib import Path

    import nncc

    design = nncc.compile(Path(__file__).parent.parent / "fixtures" / "mlp.onnx", tmp_path / "d", target="hls-cpp",
                          sparse_prune_kind="complementary=4")
    fidelity = [s["stage"] for s in design.report["fidelity"]["stages"]]
    complexity = {s["stage"]: s["total"]["rmps"] for s in design.report["complexity"]["stages"]}
    assert fidelity == ["float", "pruned", "fixed_point", "hardware"]
    assert complexity["pruned"] < complexity["float"] / 3  # 1/4 of the hidden layers' products remain
