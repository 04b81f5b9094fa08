"""Layer interfaces: the questions generic code asks an op, answered by the op itself.

The interpreters, `convert-nn-to-fixed`, calibration, the complexity metrics and the report,
`dataflow-tile`, the hardware plan, the weight-rewriting `nn` passes and both emitters never keep a table keyed by op class:
they ask an op whether it implements one of these interfaces (``isinstance(op, MacLayer)``
or ``op.has_trait(MacLayerTrait)``) and call its methods. A new layer kind (in nncc or in a
plugin) implements the interfaces that apply and works everywhere with no table to edit.

Each interface is an abstract `Operation` mixin that installs a marker trait (xDSL's own
pattern, `xdsl.interfaces.HasFolderInterface`); an op inherits it next to `IRDLOperation`
and keeps its own ``traits_def(...)``:

    @irdl_op_definition
    class DenseOp(IRDLOperation, FixedSemantics, MacLayer):
        ...

Tensors handed to the semantics methods are numpy arrays with the batch first: float64 at
the `nn` level, int64 raw fixed-point values at the fixed-point level (see
`nncc.dialects.fixed.semantics`).
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from xdsl.dialects.builtin import StringAttr
from xdsl.ir import Attribute, Operation, Region, SSAValue
from xdsl.irdl import traits_def
from xdsl.traits import OpTrait

if TYPE_CHECKING:
    from nncc.dialects.dataflow import WindowGeometry

LAYER_ATTR = "nncc.layer"
"""The source layer's name (the ONNX node), carried through every level for reports."""


def layer_label(op: Operation) -> str:
    """The one layer-label helper: the ONNX node name the op came from (`nncc.layer`, else
    its location), or the op's mnemonic."""
    layer = op.attributes.get(LAYER_ATTR)
    if isinstance(layer, StringAttr):
        return layer.data
    desc = getattr(op.location, "desc", None)
    if isinstance(desc, StringAttr):
        return desc.data
    return op.name.split(".")[-1]


# ---------------------------------------------------------------------------------------
# semantics: what an op computes, at its level


@dataclass(frozen=True)
class FloatSemanticsTrait(OpTrait):
    """Marker of `FloatSemantics`."""


class FloatSemantics(Operation, abc.ABC):
    """An op the float reference interpreter runs (the `nn` level)."""

    traits = traits_def(FloatSemanticsTrait())

    @abc.abstractmethod
    def evaluate_float(self, args: Sequence[np.ndarray], batch: int) -> np.ndarray:
        """The result for float64 operands ``args`` (batch first, ``batch`` samples)."""


@dataclass(frozen=True)
class FixedSemanticsTrait(OpTrait):
    """Marker of `FixedSemantics`."""


class FixedSemantics(Operation, abc.ABC):
    """An op the bit-exact fixed-point interpreter runs.

    Operands and result are int64 raw values (float64 only for a graph input before
    `fixed.quantize` and a graph output after `fixed.dequantize`). The result must be
    exactly what the hardware computes: the emitters are tested bit for bit against it.
    """

    traits = traits_def(FixedSemanticsTrait())

    @abc.abstractmethod
    def evaluate_fixed(self, args: Sequence[np.ndarray], batch: int) -> np.ndarray:
        """The raw result for raw operands ``args`` (batch first, ``batch`` samples)."""


# ---------------------------------------------------------------------------------------
# layer kinds


@dataclass(frozen=True)
class MacTerms:
    """A multiply-accumulate layer as a gather and a dot product, per sample.

    Output element ``o`` (row-major over the result's shape without the batch) is
    ``bias[channel[o]] + sum_k weights[channel[o], k] * x[index[o, k]]`` where ``x`` is the
    activation flattened per sample and ``index == -1`` reads zero (padding). ``weights`` and
    ``bias`` are raw integers at the fixed-point level (bias already aligned to the
    accumulator's fraction), floats at the `nn` level.
    """

    index: np.ndarray  # [N, K] int64
    channel: np.ndarray  # [N] int64
    weights: np.ndarray  # [C, K]
    bias: np.ndarray  # [C]


@dataclass(frozen=True)
class MacLayerTrait(OpTrait):
    """Marker of `MacLayer`."""


class MacLayer(Operation, abc.ABC):
    """A layer whose outputs are dot products of its activation with constant weights."""

    traits = traits_def(MacLayerTrait())

    @abc.abstractmethod
    def activation(self) -> SSAValue:
        """The run-time input."""

    @abc.abstractmethod
    def weight_encoding(self) -> Attribute:
        """How the weights are represented (an attribute of `nncc.dialects.encodings`)."""

    @abc.abstractmethod
    def fan_in(self) -> int:
        """K: terms per output."""

    def outputs(self) -> int:
        """N: result elements per sample."""
        return int(np.prod(self.results[0].type.get_shape()[1:], dtype=np.int64))

    def macs(self) -> int:
        """Multiply-accumulates per sample (structural zeros included)."""
        return self.outputs() * self.fan_in()

    def accumulator_type(self) -> Attribute:
        """The element type of the exact accumulator (the result's)."""
        return self.results[0].type.element_type

    @abc.abstractmethod
    def mac_terms(self) -> MacTerms:
        """The layer as gathered dot products (see `MacTerms`)."""


@dataclass(frozen=True)
class PopcountLayerTrait(OpTrait):
    """Marker of `PopcountLayer`."""


class PopcountLayer(Operation, abc.ABC):
    """A `MacLayer` on +-1 activations and constant +-1 weights held as bits (bit 1 = +1):
    output ``o`` is ``2 * popcount(XNOR(a, w_o)) - K``. The back ends build it from XNOR
    gates and a popcount adder tree (no multiplier, no shift-and-add terms); the bits of an
    activation element are its sign bits (1 when the element is >= 0)."""

    traits = traits_def(PopcountLayerTrait())

    @abc.abstractmethod
    def weight_bits(self) -> np.ndarray:
        """[M, K] uint8: the bit of every weight, one row per output channel."""


@dataclass(frozen=True)
class WindowedTrait(OpTrait):
    """Marker of `Windowed`."""


class Windowed(Operation, abc.ABC):
    """A layer that slides a window over the spatial axes of an NC[H]W input (conv, pools)."""

    traits = traits_def(WindowedTrait())

    @abc.abstractmethod
    def window_geometry(self) -> "WindowGeometry":
        """Its geometry (a sliding-window engine's timing follows from it)."""


@dataclass(frozen=True)
class ElementwiseTrait(OpTrait):
    """Marker of `Elementwise`."""


class Elementwise(Operation, abc.ABC):
    """Output element ``o`` depends only on element ``o`` of each operand (after numpy
    broadcasting): activations, casts, LUT/PWL/polynomial functions, add/sub/mul."""

    traits = traits_def(ElementwiseTrait())


BIT_OR_ATTR = "binary_complex.bit_or"
"""Unit attribute on a max `Reduction` of +-1 values: built as an OR of bits (`bit_or`)."""


@dataclass(frozen=True)
class ReductionTrait(OpTrait):
    """Marker of `Reduction`."""


class Reduction(Operation, abc.ABC):
    """Each output element combines a group of input elements (pools, reduces)."""

    traits = traits_def(ReductionTrait())

    @abc.abstractmethod
    def reduction_groups(self) -> np.ndarray:
        """[N, G] int64: per output element (one sample, row-major), the flat input elements
        it combines; -1 marks a padded cell that is skipped."""

    @abc.abstractmethod
    def combiner(self) -> str:
        """"sum", "max" or "kwta": output o keeps the first cell of its group when fewer than
        `winners()` of the group's other cells are strictly larger, else it is zero
        (k-winners-take-all; the output has the input's shape)."""

    def bit_or(self) -> bool:
        """Whether the hardware builds this max as the OR of its elements' bits (an
        element's bit: its sign bit is clear): exact for +-1 values, where max is +1 iff
        one of them is +1. `binary-complex-set-or-pools` decides it, from a proof that the
        input holds only -1 and +1, and records it as `BIT_OR_ATTR`; the emitters read it."""
        return self.combiner() == "max" and BIT_OR_ATTR in self.attributes

    def winners(self) -> int:
        """For the "kwta" combiner: how many winners a group keeps."""
        raise NotImplementedError(f"{self.name}: combiner {self.combiner()!r} has no winners")


@dataclass(frozen=True)
class IndexMapTrait(OpTrait):
    """Marker of `IndexMap`."""


class IndexMap(Operation, abc.ABC):
    """Pure data movement: every output element is a copy of one operand element or a fill
    value (reshape, flatten, transpose, pad, gather, concat)."""

    traits = traits_def(IndexMapTrait())

    @abc.abstractmethod
    def index_table(self) -> tuple[np.ndarray, np.ndarray]:
        """(operand [N], element [N]) int64 per output element of one sample; element -1 is
        the fill value (`fill_value`)."""

    def fill_value(self) -> float:
        """The value of a filled element (a raw integer at the fixed-point level)."""
        return 0


@dataclass(frozen=True)
class StatefulTrait(OpTrait):
    """Marker of `Stateful`."""


class Stateful(Operation, abc.ABC):
    """A layer with state carried across time steps (recurrent layers): the state's
    initial values and a region computing one step from (input slice, state) to
    (output slice, next state)."""

    traits = traits_def(StatefulTrait())

    @abc.abstractmethod
    def state_values(self) -> Sequence[SSAValue]:
        """The initial state operands."""

    @abc.abstractmethod
    def step_region(self) -> Region:
        """One time step."""

    @abc.abstractmethod
    def sequence(self) -> SSAValue:
        """The run-time input sequence, batch first: ``[1, T, ...]``."""

    @abc.abstractmethod
    def reversed_time(self) -> bool:
        """True if the steps walk the sequence from its last element to its first."""

    def time_steps(self) -> int:
        """T: steps per sequence."""
        return self.sequence().type.get_shape()[1]


@dataclass(frozen=True)
class InternalRangesTrait(OpTrait):
    """Marker of `InternalRanges`."""


class InternalRanges(Operation, abc.ABC):
    """A layer whose lowering needs the value ranges of quantities that are not its results
    (a recurrent cell's gate pre-activations and state over every time step). Calibration
    asks it for them and records them in the op's `INTERNAL_RANGES_ATTR` attribute."""

    traits = traits_def(InternalRangesTrait())

    @abc.abstractmethod
    def internal_ranges(self, args: Sequence[np.ndarray], batch: int) -> dict[str, tuple[float, float]]:
        """Name -> (min, max) of each internal quantity for float64 operands ``args``."""


@dataclass(frozen=True)
class RecurrentProductsTrait(OpTrait):
    """Marker of `RecurrentProducts`."""


class RecurrentProducts(Operation, abc.ABC):
    """A recurrent layer as the complexity metrics price it: matrix-vector products with
    constant weights and element-wise state products, each repeated every time step."""

    traits = traits_def(RecurrentProductsTrait())

    @abc.abstractmethod
    def step_products(self) -> list[tuple[str, np.ndarray]]:
        """(role, weights [rows, cols]) of each matrix-vector product of one step that is not
        a `MacLayer` of its own (empty when the step's products are `MacLayer` ops)."""

    @abc.abstractmethod
    def state_products(self) -> list[tuple[int, int | None, int | None]]:
        """(count, bits of a, bits of b) of the element-wise run-time products a * b of one
        step (bits None: float)."""

    @abc.abstractmethod
    def time_steps(self) -> int:
        """T: steps per sequence."""

    def product_weights(self) -> tuple[SSAValue, ...]:
        """The weight operands ([rows, cols]) of the step's matrix-vector products that a pass
        may rewrite (pruning); none by default."""
        return ()


INTERNAL_RANGES_ATTR = "fixed.internal_ranges"
"""A dictionary attribute: internal quantity name -> `array<f64: min, max>` (calibrated)."""


# ---------------------------------------------------------------------------------------
# element-wise hardware functions


@dataclass(frozen=True, eq=False)
class ElementFunction:
    """One element-wise function as the hardware builds it: its ``kind`` and the parameters
    the op's IR carries (raw integers of the types named; nothing is derived here).

    ``rounding`` and ``overflow`` ("trn"/"rnd", "wrap"/"sat") convert the function's exact
    value to the result type (a plain copy: "trn", "wrap"). By kind, with ``x`` the raw
    input (``operands[0]``):

    - "cast": y = x at the result's fraction (``rounding``) and width (``overflow``).
    - "relu": y = max(x, 0).
    - "clamp": y = min(max(x, low), high).
    - "dead_zone": y = x if |x| >= low else 0.
    - "leaky_relu": y = x if x >= 0 else (x * alpha at x's type, ``rounding``, saturating);
      ``scale`` is the scalar constant operand alpha.
    - "binary": y = lhs ``operator`` rhs ("+", "-", "*"), exact, operands aligned to the
      result's fraction (not for "*"); the broadcast is the op's index table.
    - "lut": i = clamp((x >> shift) + offset, 0, N - 1) (a negative ``shift`` shifts
      left), y = ``table[i]``.
    - "pwl": segment k = number of ``table`` breakpoints <= x; y = ``slopes[k]`` * x +
      ``intercepts[k]``, slopes of ``multiplier_type``, intercepts of ``addend_type``.
    - "threshold": y = +1 if ``slopes[c]`` * (x - ``table[c]``) >= 0 else -1, c the
      element's channel (axis 1): per-channel raw thresholds and directions (+1 / -1).
    - "poly": u = clamp(x, low, high); Horner over the coefficients ``table`` (c_0 first,
      of ``addend_type``) into an accumulator of ``multiplier_type``: t = t * u + c_i,
      each step rounded with ``rounding`` and saturated to the accumulator.

    ``approximation`` marks a table, segments or polynomial standing for an ideal function
    (its error is in the op's `fixed.approx` attributes).
    """

    kind: str
    rounding: str = "trn"
    overflow: str = "wrap"
    operator: str = ""
    low: int = 0
    high: int = 0
    scale: SSAValue | None = None
    table: np.ndarray | None = None
    shift: int = 0
    offset: int = 0
    slopes: np.ndarray | None = None
    intercepts: np.ndarray | None = None
    multiplier_type: Attribute | None = None
    addend_type: Attribute | None = None
    approximation: bool = False

    def multiply_add(self) -> tuple[Attribute, Attribute] | None:
        """(multiplier, addend) types of a multiply-add stage (pwl: slope * x + intercept;
        poly: acc * u + c), else None."""
        if self.multiplier_type is None or self.addend_type is None:
            return None
        return self.multiplier_type, self.addend_type


@dataclass(frozen=True)
class ElementKernelTrait(OpTrait):
    """Marker of `ElementKernel`."""


class ElementKernel(Operation, abc.ABC):
    """An element-wise op that the back ends build as one kind of hardware function (see
    `ElementFunction`): activations, their table/segment/polynomial approximations, casts
    and exact add/sub/mul. An emitter keeps one printer per kind, never one per op."""

    traits = traits_def(ElementKernelTrait())

    @abc.abstractmethod
    def element_function(self) -> ElementFunction:
        """The function and its parameters."""


@dataclass(frozen=True)
class RequantizingTrait(OpTrait):
    """Marker of `Requantizing`."""


class Requantizing(Operation, abc.ABC):
    """An op that rounds and fits its input into another number format (a quantizer, a
    cast): the report counts how often its overflow mode acted."""

    traits = traits_def(RequantizingTrait())

    @abc.abstractmethod
    def conversion(self) -> tuple[str, str]:
        """(rounding, overflow): "trn" or "rnd", "wrap" or "sat"."""


@dataclass(frozen=True)
class SelectsValuesTrait(OpTrait):
    """Marker of `SelectsValues`."""


class SelectsValues(Operation, abc.ABC):
    """Every output element is one element of the single run-time operand, or zero
    (relu, max pooling, reshape, transpose, gather): any quantization grid of the input
    that contains zero is also the output's, so a quantizer after it sees the input's
    grid."""

    traits = traits_def(SelectsValuesTrait())


@dataclass(frozen=True)
class ExactInputTrait(OpTrait):
    """Marker of `ExactInput`."""


class ExactInput(Operation, abc.ABC):
    """An op that reads its operand's exact value (a comparison against integer
    thresholds): the layer producing the operand keeps its exact accumulator instead of
    rounding it to a calibrated output type first (`convert-nn-to-fixed`)."""

    traits = traits_def(ExactInputTrait())


# ---------------------------------------------------------------------------------------
# rewritable weights (in their own module, re-exported here)

from nncc.dialects import weight_interfaces as _weights  # noqa: E402

AffineWeights, AffineWeightsTrait = _weights.AffineWeights, _weights.AffineWeightsTrait
ComplexWeights, ComplexWeightsTrait = _weights.ComplexWeights, _weights.ComplexWeightsTrait


# ---------------------------------------------------------------------------------------
# lowering between levels


class FixedLowering(abc.ABC):
    """What an `nn` op's lowering to the fixed-point level may ask of `convert-nn-to-fixed`
    (the pass implements it: precision policy, calibrated ranges, constants, the new block).

    ``values`` maps every converted `nn` value to its fixed-point value; a lowering sets
    the entries of its op's results.
    """

    values: dict[SSAValue, SSAValue]

    @property
    @abc.abstractmethod
    def reciprocal_width(self) -> int:
        """Bits of the 1/n and multiplier constants (average pooling, quantizers)."""

    @abc.abstractmethod
    def fail(self, message: str):
        """Raise the pass's error about the current op."""

    @abc.abstractmethod
    def emit(self, new: Operation) -> Operation:
        """Append ``new`` to the fixed-point block (with the current op's location)."""

    @abc.abstractmethod
    def precision(self, op: Operation):
        """The op's precision: widths, rounding and overflow (options or its override)."""

    @abc.abstractmethod
    def output_type(self, op: Operation, prec) -> Attribute:
        """The op's calibrated output type."""

    @abc.abstractmethod
    def const_value(self, value: SSAValue) -> np.ndarray | None:
        """A constant operand's float values (None for a run-time value)."""

    @abc.abstractmethod
    def constant(self, values: np.ndarray, width: int, int_bits: int | None = None) -> SSAValue:
        """A new `fixed.constant` of ``values`` rounded to ``width`` bits."""

    @abc.abstractmethod
    def exact_constant(self, raw: np.ndarray, typ: Attribute) -> SSAValue:
        """A new `fixed.constant` of raw integers of type ``typ``."""

    @abc.abstractmethod
    def grid_of(self, value: SSAValue, prec) -> Attribute | None:
        """The exact type of a constant on a `fixed.grid` (else None)."""

    @abc.abstractmethod
    def weight(self, value: SSAValue, prec) -> SSAValue:
        """A constant operand at the fixed-point level."""

    @abc.abstractmethod
    def operand(self, value: SSAValue, prec) -> SSAValue:
        """An operand at the fixed-point level: its converted value, or a constant."""

    @abc.abstractmethod
    def cast(self, value: SSAValue, typ: Attribute, prec) -> SSAValue:
        """``value`` cast to ``typ`` with the precision's rounding and overflow."""

    @abc.abstractmethod
    def finish(self, op: Operation, value: SSAValue, prec) -> None:
        """Requantize a layer's exact result to its output type and record it."""

    @abc.abstractmethod
    def copy_approx(self, source: Operation, target: Operation) -> None:
        """Carry an activation-approximation override from ``source`` to ``target``."""

    @abc.abstractmethod
    def check_width(self, typ: Attribute) -> None:
        """Fail if an exact intermediate type is wider than 64 bits."""


@dataclass(frozen=True)
class LowersToFixedTrait(OpTrait):
    """Marker of `LowersToFixed`."""


class LowersToFixed(Operation, abc.ABC):
    """An `nn` op that `convert-nn-to-fixed` can lower to the fixed-point level."""

    traits = traits_def(LowersToFixedTrait())

    @abc.abstractmethod
    def lower_to_fixed(self, lowering: FixedLowering) -> None:
        """Emit the fixed-point form through ``lowering`` and record its results."""
