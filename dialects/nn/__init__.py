"""The `nn` dialect: float layers at ONNX-layer granularity (the first IR level).

See `ops.py` for weights, layers and unary element-wise ops, `arith.py` for binary arithmetic, `structure.py` for pooling and
data movement, `selection.py` for the index-table gather and the reductions, `quant.py`
for the quantization operations, `shapes.py` for their shape rules and `canonicalize.py`
for the canonicalization patterns attached to them here.
"""

from __future__ import annotations

from xdsl.ir import Dialect
from xdsl.traits import HasCanonicalizationPatternsTrait

from nncc.dialects.nn.arith import *  # noqa: F401,F403
from nncc.dialects.nn.arith import ARITH_OPS
from nncc.dialects.nn.attrs import PadMode, PadModeAttr
from nncc.dialects.nn.canonicalize import canonicalization_patterns
from nncc.dialects.nn.elementwise import ELEMENTWISE_OPS, ActivationOp, MaxOp, MinOp  # noqa: F401
from nncc.dialects.nn.ops import *  # noqa: F401,F403
from nncc.dialects.nn.ops import LAYER_OPS as _LAYER_OPS
from nncc.dialects.nn.quant import QUANT_OPS, FakeQuantAxisOp, FakeQuantOp, SignOp, quant_limits  # noqa: F401
from nncc.dialects.nn.structure import *  # noqa: F401,F403
from nncc.dialects.nn.structure import STRUCTURE_OPS
from nncc.dialects.nn.selection import *  # noqa: F401,F403
from nncc.dialects.nn.selection import SELECTION_OPS

LAYER_OPS = _LAYER_OPS + ARITH_OPS + STRUCTURE_OPS + SELECTION_OPS + ELEMENTWISE_OPS
"""Every float-level op (quantization ops are in QUANT_OPS)."""


def _attach_canonicalization() -> None:
    for op_class, patterns in canonicalization_patterns().items():

        class _Canon(HasCanonicalizationPatternsTrait):
            PATTERNS = patterns

            @classmethod
            def get_canonicalization_patterns(cls):
                return cls.PATTERNS

        _Canon.__name__ = f"{op_class.__name__}Canonicalization"
        op_class.traits.add_trait(_Canon())


_attach_canonicalization()

NN = Dialect("nn", LAYER_OPS + QUANT_OPS, [PadModeAttr])

__all__ = [
    "NN",
    "PadMode",
    "PadModeAttr",
    "quant_limits",
    *[cls.__name__ for cls in LAYER_OPS + QUANT_OPS],
]
