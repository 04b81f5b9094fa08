"""`binary_complex.sign_threshold`: the folded batch norm + sign at the float (`nn`) level.

`binary-complex-fold-threshold` replaces "binary layer -> (bias) -> batch norm / per-channel
affine -> sign" by the layer (no bias) and this op on its accumulator. The thresholds are
integers ``t`` in units of ``2^-frac`` (``frac`` 0 on an integer accumulator), each rounded
in its comparison's direction, so the fixed-point lowering is exact on any accumulator of
``F <= frac`` fraction bits: raw thresholds ``ceil(t / 2^(frac - F))`` (direction +1) or
``floor(...)`` (-1), a `binary_complex.threshold` on the exact accumulator.
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import DenseArrayBase, I64, IntegerAttr, StringAttr, TensorType
from xdsl.ir import SSAValue
from xdsl.irdl import IRDLOperation, ParsePropInAttrDict, irdl_op_definition, operand_def, prop_def, result_def, traits_def
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from nncc.dialects.fixed.common import int_array, shape_of, sorted_props
from nncc.dialects.fixed.quantization import LAYER_ATTR
from nncc.dialects.interfaces import ExactInput, FloatSemantics, LowersToFixed, layer_label


def threshold_values(x: np.ndarray, thresholds, directions, frac: int = 0) -> np.ndarray:
    """+1 where ``directions[c] * (x - thresholds[c] * 2^-frac) >= 0``, else -1 (channels
    on axis 1)."""
    x = np.asarray(x)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    t = (np.asarray(thresholds, np.float64) * 2.0**-frac).reshape(shape)
    d = np.asarray(directions, np.int64).reshape(shape)
    return np.where(d * (x - t) >= 0, 1, -1)


@irdl_op_definition
class SignThresholdOp(IRDLOperation, FloatSemantics, LowersToFixed, ExactInput):
    """Per-channel threshold at the float level (channels on axis 1): ``+1`` if
    ``directions[c] * (x - thresholds[c] * 2^-frac) >= 0`` else ``-1``; the result is +-1
    (bipolar). ``x`` is a layer's accumulator; the thresholds are integers on the 2^-frac
    grid (0: the accumulator's integers). It lowers to `binary_complex.threshold` on the
    exact accumulator.

    Example: `%y = binary_complex.sign_threshold %x {directions = array<i64: 1, -1>, frac = 0 : i64,
    thresholds = array<i64: 3, -2>} : (tensor<1x2xf32>) -> tensor<1x2xf32>`
    """

    name = "binary_complex.sign_threshold"
    input = operand_def(TensorType)
    output = result_def(TensorType)
    thresholds = prop_def(DenseArrayBase[I64])
    directions = prop_def(DenseArrayBase[I64])
    frac = prop_def(IntegerAttr[I64])
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` functional-type(operands, results)"

    def __init__(self, input: SSAValue, thresholds, directions, frac: int = 0):
        super().__init__(
            operands=[input], result_types=[input.type],
            properties=sorted_props({"thresholds": int_array(thresholds), "directions": int_array(directions),
                                     "frac": IntegerAttr(frac, 64)}))

    def verify_(self) -> None:
        x = shape_of(self.input)
        t, d = self.thresholds.get_values(), self.directions.get_values()
        if len(x) < 2 or len(t) != x[1] or len(d) != x[1]:
            raise VerifyException(
                f"binary_complex.sign_threshold: {len(t)} thresholds and {len(d)} directions for input {x} "
                f"(one per channel on axis 1)")
        if any(v not in (1, -1) for v in d):
            raise VerifyException(f"binary_complex.sign_threshold: directions must be +1 or -1, got {list(d)}")
        if not 0 <= self.frac.value.data <= 62:
            raise VerifyException(f"binary_complex.sign_threshold: frac must be in [0, 62], got {self.frac.value.data}")
        if self.output.type != self.input.type:
            raise VerifyException(
                f"binary_complex.sign_threshold: result must be {self.input.type}, got {self.output.type}")

    def evaluate_float(self, args, batch):
        t, d = self.thresholds.get_values(), self.directions.get_values()
        return threshold_values(args[0], t, d, self.frac.value.data).astype(np.float64)

    def lower_to_fixed(self, lowering) -> None:
        """`binary_complex.threshold` on the fixed accumulator: thresholds moved to its raw
        units, rounded in their direction (exact for F <= frac fraction bits), and kept
        within one step outside its range."""
        from nncc.dialects.binary_complex.binary import ThresholdOp
        from nncc.dialects.fixed import fixed_of

        x = lowering.values.get(self.input)
        if x is None:
            lowering.fail("input must be computed at run time")
        typ = fixed_of(x)
        shift = self.frac.value.data - typ.frac
        if shift < 0 and self.frac.value.data > 0 or typ.frac < 0:
            lowering.fail(f"accumulator type {typ} is finer than the thresholds' 2^-{self.frac.value.data} grid")
        lo, hi = -(1 << (typ.width.data - 1)) - 1, 1 << (typ.width.data - 1)
        raw = []
        for t, d in zip(self.thresholds.get_values(), self.directions.get_values()):
            r = t << -shift if shift <= 0 else (-((-t) >> shift) if d > 0 else t >> shift)  # ceil / floor
            raw.append(min(max(r, lo), hi))
        threshold = lowering.emit(ThresholdOp(x, raw, self.directions.get_values()))
        threshold.attributes[LAYER_ATTR] = StringAttr(layer_label(self))
        lowering.values[self.output] = threshold.output
