"""The `encoding` dialect: how the weights of a multiply-accumulate layer are represented.

A MAC layer (`nncc.dialects.interfaces.MacLayer`) keeps one op kind per level (`fixed.dense`,
`fixed.conv`) whatever its weights look like; what changes is its weight encoding, an
attribute of this family, and with it the hardware plan. Every encoding defines the raw
integer weights exactly, so the layer's result (the exact accumulator) never depends on it;
the encoding decides how the products are built.

Today:

* `#encoding.twos_complement`: plain two's-complement integers, one multiplier (or a
  constant-coefficient product) per term. The default.

The family is designed to hold (each a subclass of `WeightEncodingAttr`, each documented in
`docs/ir.md`): signed digits (power-of-two and canonical-signed-digit weights realized as
shifts and adds), sparse masks / N:M / block / column-balanced sparsity (the structural
zeros removed from the hardware), binary +-1 (XNOR-popcount), clustered codebooks (an index
per weight into a small table of values) and complex pairs (real and imaginary parts).
"""

from __future__ import annotations

from xdsl.ir import Dialect, ParametrizedAttribute
from xdsl.irdl import irdl_attr_definition


class WeightEncodingAttr(ParametrizedAttribute):
    """Base of the weight encodings."""


@irdl_attr_definition
class TwosComplementAttr(WeightEncodingAttr):
    """Plain two's-complement integer weights: `#encoding.twos_complement`."""

    name = "encoding.twos_complement"


TWOS_COMPLEMENT = TwosComplementAttr()

ENCODING = Dialect("encoding", [], [TwosComplementAttr])
