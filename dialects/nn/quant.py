"""Quantization ops of the `nn` dialect: float in, float out, values snapped to a grid.

They carry the quantization a model brings with it (ONNX QuantizeLinear/DequantizeLinear
pairs, QONNX Quant/BipolarQuant/Trunc on run-time tensors, per tensor or per channel)
through the float level, where
the reference interpreter runs them exactly as written, down to `convert-nn-to-fixed`,
which maps them onto fixed-point types (integer-exact for power-of-two scales).
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from xdsl.dialects.builtin import (
    I64,
    DenseArrayBase,
    Float64Type,
    FloatAttr,
    IntegerAttr,
    StringAttr,
    TensorType,
    f64,
    i64,
)
from xdsl.ir import SSAValue
from xdsl.irdl import ParsePropInAttrDict, irdl_op_definition, prop_def
from xdsl.utils.exceptions import VerifyException

from nncc.dialects.interfaces import Elementwise
from nncc.dialects.nn.ops import UnaryElementwiseOp
from nncc.dialects.interfaces import LowersToFixed

FLOAT_PROP = FloatAttr.constr(Float64Type())

ROUNDING_MODES = ("half_even", "floor", "ceil", "to_zero")
"""Rounding of `nn.fake_quant`: to nearest with ties to even (ONNX QDQ, QONNX ROUND),
toward minus infinity (QONNX FLOOR), toward plus infinity (QONNX CEIL), toward zero
(QONNX DOWN, Brevitas ROUND_TO_ZERO)."""

MAX_QUANT_BITS = 32

_ROUND = {"half_even": np.rint, "floor": np.floor, "ceil": np.ceil, "to_zero": np.fix}


def quant_limits(bits: int, signed: bool, narrow: bool) -> tuple[int, int]:
    """Integer range [qmin, qmax] of a `bits`-bit quantizer (QONNX min_int/max_int).

    signed: [-2^(b-1), 2^(b-1) - 1], narrow: [-2^(b-1) + 1, 2^(b-1) - 1];
    unsigned: [0, 2^b - 1], narrow: [0, 2^b - 2].
    """
    if signed:
        return -(1 << (bits - 1)) + (1 if narrow else 0), (1 << (bits - 1)) - 1
    return 0, (1 << bits) - (2 if narrow else 1)


class _QuantizerOp(UnaryElementwiseOp, Elementwise):
    """Base of `nn.fake_quant` and `nn.fake_quant_axis`: the integer grid (zero point,
    bits, signed, narrow) and the rounding that both share."""

    zero_point = prop_def(IntegerAttr[I64])
    bits = prop_def(IntegerAttr[I64])
    signed = prop_def(IntegerAttr[I64])
    narrow = prop_def(IntegerAttr[I64])
    rounding = prop_def(StringAttr)
    irdl_options = (ParsePropInAttrDict(),)
    ROUNDINGS: ClassVar = ROUNDING_MODES

    @staticmethod
    def grid_props(zero_point: int, bits: int, signed: bool, narrow: bool, rounding: str) -> dict:
        """The shared properties as attributes."""
        return {
            "zero_point": IntegerAttr(int(zero_point), i64),
            "bits": IntegerAttr(int(bits), i64),
            "signed": IntegerAttr(int(bool(signed)), i64),
            "narrow": IntegerAttr(int(bool(narrow)), i64),
            "rounding": StringAttr(rounding),
        }

    def limits(self) -> tuple[int, int]:
        """[qmin, qmax] of the integer grid."""
        return quant_limits(self.bits.value.data, bool(self.signed.value.data), bool(self.narrow.value.data))

    def fake_quant(self, x: np.ndarray, scale) -> np.ndarray:
        """(clip(R(x / scale) + zp, qmin, qmax) - zp) * scale, in float64.

        The quotient is float64 (ONNX runtimes divide in float32, so values within an ulp
        of a rounding tie may land on the other side there); for power-of-two scales every
        step is exact.
        """
        zp = self.zero_point.value.data
        lo, hi = self.limits()
        q = np.clip(_ROUND[self.rounding.data](x / scale) + zp, lo, hi)
        return (q - zp) * scale

    def verify_grid(self) -> None:
        """Check bits, the flags and the rounding; messages start with the op name."""
        bits = self.bits.value.data
        if not 1 <= bits <= MAX_QUANT_BITS:
            raise VerifyException(f"{self.name}: bits must be in [1, {MAX_QUANT_BITS}], got {bits}")
        for label, flag in (("signed", self.signed), ("narrow", self.narrow)):
            if flag.value.data not in (0, 1):
                raise VerifyException(f"{self.name}: {label} must be 0 or 1, got {flag.value.data}")
        if self.rounding.data not in ROUNDING_MODES:
            raise VerifyException(
                f"{self.name}: rounding '{self.rounding.data}' is not one of {', '.join(ROUNDING_MODES)}"
            )
        if self.rounding.data == "to_zero" and self.zero_point.value.data != 0:
            # toward zero depends on the sign of x / scale + zero_point, not of x / scale
            raise VerifyException(
                f"{self.name}: rounding 'to_zero' needs zero point 0, got {self.zero_point.value.data}"
            )


@irdl_op_definition
class FakeQuantOp(_QuantizerOp, LowersToFixed):
    """Quantize-dequantize with a per-tensor scale and integer zero point:
    y = (clip(R(x / scale) + zero_point, qmin, qmax) - zero_point) * scale, where R is the
    `rounding` ("half_even", "floor", "ceil" or "to_zero") and [qmin, qmax] comes from
    `bits`, `signed` and `narrow` (signed 8 bits: [-128, 127], narrow [-127, 127]; unsigned
    8 bits: [0, 255], narrow [0, 254]).

    Example: `%y = nn.fake_quant %x {bits = 8 : i64, narrow = 0 : i64, rounding = "half_even",
    scale = 1.250000e-01 : f64, signed = 1 : i64, zero_point = 0 : i64} : tensor<1x16xf32>`
    """

    name = "nn.fake_quant"
    scale = prop_def(FLOAT_PROP)
    assembly_format = "$input attr-dict `:` type($input)"

    def __init__(
        self,
        input: SSAValue,
        scale: float,
        zero_point: int,
        bits: int,
        signed: bool,
        narrow: bool = False,
        rounding: str = "half_even",
    ):
        super().__init__(
            input,
            scale=FloatAttr(float(scale), f64),
            **self.grid_props(zero_point, bits, signed, narrow, rounding),
        )

    def verify_(self) -> None:
        scale = self.scale.value.data
        if not (math.isfinite(scale) and scale > 0):
            raise VerifyException(f"nn.fake_quant: scale must be positive and finite, got {scale}")
        self.verify_grid()

    def evaluate_float(self, args, batch):
        return self.fake_quant(args[0], self.scale.value.data)

    def lower_to_fixed(self, lowering) -> None:
        """See `nncc.dialects.nn.to_fixed`."""
        from nncc.dialects.nn import to_fixed_quant

        to_fixed_quant.convert_fake_quant(lowering, self)


@irdl_op_definition
class FakeQuantAxisOp(_QuantizerOp, LowersToFixed):
    """Quantize-dequantize with one scale per channel along `axis` (not the batch axis)
    and a shared integer zero point: element i of channel c becomes
    (clip(R(x_i / scales[c]) + zero_point, qmin, qmax) - zero_point) * scales[c], with
    R, qmin and qmax as in `nn.fake_quant`.

    Example: `%y = nn.fake_quant_axis %x {axis = 1 : i64, bits = 8 : i64, narrow = 0 : i64,
    rounding = "half_even", scales = array<f64: 0.5, 0.0173>, signed = 1 : i64,
    zero_point = 0 : i64} : tensor<1x2x4x4xf32>`
    """

    name = "nn.fake_quant_axis"
    scales = prop_def(DenseArrayBase.constr(Float64Type()))
    axis = prop_def(IntegerAttr[I64])
    assembly_format = "$input attr-dict `:` type($input)"

    def __init__(
        self,
        input: SSAValue,
        scales,
        axis: int,
        zero_point: int,
        bits: int,
        signed: bool,
        narrow: bool = False,
        rounding: str = "half_even",
    ):
        super().__init__(
            input,
            scales=DenseArrayBase.from_list(f64, [float(v) for v in scales]),
            axis=IntegerAttr(int(axis), i64),
            **self.grid_props(zero_point, bits, signed, narrow, rounding),
        )

    def scale_values(self) -> tuple[float, ...]:
        """The per-channel scales."""
        return tuple(float(v) for v in self.scales.get_values())

    def broadcast_shape(self) -> tuple[int, ...]:
        """The shape that broadcasts one value per channel against the input."""
        rank = len(self.input.type.get_shape())
        shape = [1] * rank
        shape[self.axis.value.data] = len(self.scale_values())
        return tuple(shape)

    def verify_(self) -> None:
        scales = self.scale_values()
        if not all(math.isfinite(s) and s > 0 for s in scales):
            raise VerifyException(f"nn.fake_quant_axis: scales must be positive and finite, got {list(scales)}")
        shape = self.input.type.get_shape() if isinstance(self.input.type, TensorType) else ()
        axis = self.axis.value.data
        if not 1 <= axis < len(shape):
            raise VerifyException(
                f"nn.fake_quant_axis: axis {axis} must be a non-batch axis of the rank-{len(shape)} input"
            )
        if shape[axis] != len(scales):
            raise VerifyException(
                f"nn.fake_quant_axis: {len(scales)} scales for axis {axis} of size {shape[axis]}"
            )
        self.verify_grid()

    def evaluate_float(self, args, batch):
        return self.fake_quant(args[0], np.asarray(self.scale_values(), np.float64).reshape(self.broadcast_shape()))

    def lower_to_fixed(self, lowering) -> None:
        """See `nncc.dialects.nn.to_fixed`."""
        from nncc.dialects.nn import to_fixed_quant

        to_fixed_quant.convert_fake_quant_axis(lowering, self)


@irdl_op_definition
class SignOp(UnaryElementwiseOp, Elementwise, LowersToFixed):
    """Bipolar quantization (QONNX BipolarQuant): y = scale if x >= 0 else -scale.

    Example: `%y = nn.sign %x {scale = 5.000000e-01 : f64} : tensor<1x16xf32>`
    """

    name = "nn.sign"
    scale = prop_def(FLOAT_PROP)
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input)"

    def __init__(self, input: SSAValue, scale: float):
        super().__init__(input, scale=FloatAttr(float(scale), f64))

    def verify_(self) -> None:
        scale = self.scale.value.data
        if not math.isfinite(scale):
            raise VerifyException(f"nn.sign: scale must be finite, got {scale}")

    def evaluate_float(self, args, batch):
        scale = self.scale.value.data
        return np.where(args[0] >= 0, scale, -scale)

    def lower_to_fixed(self, lowering) -> None:
        """See `nncc.dialects.nn.to_fixed`."""
        from nncc.dialects.nn import to_fixed_quant

        to_fixed_quant.convert_sign(lowering, self)


QUANT_OPS = [FakeQuantOp, FakeQuantAxisOp, SignOp]
