"""`binary-complex-set-products`: choose how the complex layers are built in fixed point."""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import IntegerAttr, ModuleOp, i64
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import PassFailedException

from nncc.dialects.binary_complex import COMPLEX_OPS


@dataclass(frozen=True)
class BinaryComplexSetProductsPass(ModulePass):
    """Set ``products`` on every `binary_complex.complex_conv` / `complex_dense` (run it
    before `convert-nn-to-fixed`).

    products: real products per complex tap: 4 (A x, B y, B x, A y: one real layer with the
    weight [[A, -B], [B, A]]) or 3 (Gauss: k1 = A (x + y), k2 = (B - A) x, k3 = (A + B) y,
    Re = k1 - k3, Im = k1 + k2: three real layers, 3/4 of the multipliers, the same result).
    """

    name = "binary-complex-set-products"

    products: int = 4

    def __post_init__(self) -> None:
        if self.products not in (3, 4):
            raise PassFailedException(f"binary-complex-set-products: products must be 3 or 4, got {self.products}")

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        kinds = tuple(COMPLEX_OPS)
        for layer in op.walk():
            if isinstance(layer, kinds):
                layer.products = IntegerAttr(self.products, i64)
