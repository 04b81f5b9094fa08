"""Layer interfaces of rewritable weights (`AffineWeights`, `ComplexWeights`): the layers
whose weight and bias operands `nn` passes may rewrite. Part of `nncc.dialects.interfaces`
(which re-exports them); see its docstring for how an interface is declared and used."""

from __future__ import annotations

import abc
from dataclasses import dataclass

from xdsl.ir import Operation, SSAValue
from xdsl.irdl import traits_def
from xdsl.traits import OpTrait


@dataclass(frozen=True)
class AffineWeightsTrait(OpTrait):
    """Marker of `AffineWeights`."""


class AffineWeights(Operation, abc.ABC):
    """An `nn` layer y = W * x + b whose weight and bias are operands that passes may rewrite
    (fold a batch norm, fuse a per-channel add, code the weights). The weight's first axis
    and the bias index the output channels, which lie on `output_channel_axis()` of the
    result."""

    traits = traits_def(AffineWeightsTrait())

    @abc.abstractmethod
    def weight_operand(self) -> SSAValue:
        """W: output channels first."""

    @abc.abstractmethod
    def bias_operand(self) -> SSAValue | None:
        """b: one value per output channel (None: no bias)."""

    @abc.abstractmethod
    def output_channel_axis(self) -> int:
        """The result axis that indexes the output channels."""

    @abc.abstractmethod
    def with_weights(self, weight: SSAValue, bias: SSAValue | None) -> Operation:
        """A new op: the same layer with other weight and bias values (same location)."""

    def replace_weight(self, weight: SSAValue) -> None:
        """Make the op read ``weight`` in place of its weight operand."""
        old = self.weight_operand()
        self.operands[next(i for i, v in enumerate(self.operands) if v is old)] = weight


@dataclass(frozen=True)
class ComplexWeightsTrait(OpTrait):
    """Marker of `ComplexWeights`."""


class ComplexWeights(Operation, abc.ABC):
    """An `nn` layer with complex weights ``A + jB`` on channels ``[re; im]``: its real
    equivalent has the weight ``[[A, -B], [B, A]]`` (output channels f and M + f are the two
    planes of complex filter f, input channels c and C + c the two planes of complex input
    channel c) and the bias ``[Re(c); Im(c)]``. Channel pruning keeps the planes together and
    rebuilds the layer from smaller A, B and bias operands."""

    traits = traits_def(ComplexWeightsTrait())

    @abc.abstractmethod
    def weight_parts(self) -> tuple[SSAValue, SSAValue]:
        """(A, B): the real and imaginary weights, output channels first."""

    @abc.abstractmethod
    def bias_operand(self) -> SSAValue | None:
        """``[Re(c); Im(c)]`` (None: no bias)."""

    @abc.abstractmethod
    def with_parts(self, weight_re: SSAValue, weight_im: SSAValue, bias: SSAValue | None) -> Operation:
        """A new op: the same layer on the same input with other weights and bias."""
