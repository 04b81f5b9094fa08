"""`sparse-encode`: recognise the zeros of fixed-point weights and promise them to the hardware.

Every `fixed.dense` / `fixed.conv` without an encoding whose constant raw weights are at least
``threshold`` zero (a model pruned before import, or by `sparse-prune`) gets the sparse
encoding named by ``structure``:

- ``mask``: zeros anywhere (`#encoding.sparse<mask>`);
- ``N:M`` (e.g. ``2:4``): at most N non-zeros in every M consecutive weights of a row;
- ``BHxBW`` (e.g. ``4x8``): zeros in whole blocks of BH rows by BW reduction columns;
- ``balanced=P``: the same non-zero count per column in each of P row groups (r mod P);
- ``complementary=K``: groups of K consecutive rows (kernels) with disjoint supports.

A layer whose weights do not obey the structure is an error naming the layer and the reason.
The raw weights, the results and the op kinds do not change; `sparse-materialize` turns the
promise into hardware.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import PassFailedException

from nncc.dialects import fixed
from nncc.dialects.dense import from_dense
from nncc.dialects.encodings import SparseAttr, sparse_violation, weight_rows
from nncc.dialects.interfaces import MacLayer, layer_label


def parse_structure(text: str) -> SparseAttr:
    """The encoding a ``structure`` option names (see the module docstring)."""
    text = text.strip()
    if text == "mask":
        return SparseAttr("mask")
    if m := re.fullmatch(r"(\d+):(\d+)", text):
        n, k = int(m[1]), int(m[2])
        if 1 <= n < k:
            return SparseAttr("nm", n, k)
    if m := re.fullmatch(r"(\d+)x(\d+)", text):
        if int(m[1]) >= 1 and int(m[2]) >= 1:
            return SparseAttr("block", int(m[1]), int(m[2]))
    if m := re.fullmatch(r"balanced=(\d+)", text):
        if int(m[1]) >= 1:
            return SparseAttr("balanced", int(m[1]))
    if m := re.fullmatch(r"complementary=(\d+)", text):
        if int(m[1]) >= 2:
            return SparseAttr("complementary", int(m[1]))
    raise ValueError("sparse-encode: structure must be mask, N:M (1 <= N < M), BHxBW, balanced=P or complementary=K "
                     f"(K >= 2), got '{text}'")


@dataclass(frozen=True)
class SparseEncodePass(ModulePass):
    """Give constant-weight MAC layers that are at least `threshold` zero the sparse encoding
    `structure` (mask, N:M, BHxBW, balanced=P or complementary=K)."""

    name = "sparse-encode"

    threshold: float = 0.5
    structure: str = "mask"

    def __post_init__(self):
        if not 0 < self.threshold <= 1:
            raise ValueError(f"sparse-encode: threshold must be in (0, 1], got {self.threshold}")
        parse_structure(self.structure)

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        encoding = parse_structure(self.structure)
        for layer in [o for o in op.walk() if isinstance(o, MacLayer) and hasattr(o, "encoding") and o.encoding is None]:
            const = layer.weight.owner
            if not isinstance(const, fixed.ConstantOp):
                continue
            rows = weight_rows(np.asarray(from_dense(const.value), np.int64))
            if rows.size == 0 or np.mean(rows == 0) < self.threshold:
                continue
            problem = sparse_violation(encoding, rows)
            if problem:
                raise PassFailedException(f"sparse-encode: layer '{layer_label(layer)}' does not fit {encoding}: {problem}")
            layer.encoding = encoding
