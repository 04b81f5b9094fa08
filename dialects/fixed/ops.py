"""Operations of the `fixed` dialect: the fixed-point level.

Layers compute on `!fixed.q<W, I>` tensors with exact integer semantics
(`dialects/fixed/semantics.py`): arithmetic ops produce their exact (widened) result type, and
only `fixed.cast`, `fixed.quantize` and the activation ops round or saturate, as their
`rounding`/`overflow` properties say. Data movement (reshape, transpose, concat, pad,
max pooling, relu) reuses the type-agnostic `nn` ops on fixed tensors.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from xdsl.dialects.builtin import (
    I64,
    AnyFloat,
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    IntegerAttr,
    IntegerType,
    TensorType,
    i64,
)
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    opt_prop_def,
    prop_def,
    result_def,
    traits_def,
)
from xdsl.traits import ConstantLike, Pure
from xdsl.utils.exceptions import VerifyException

from nncc.dialects.dense import from_dense
from nncc.dialects.encodings import TWOS_COMPLEMENT, WeightEncodingAttr
from nncc.dialects.fixed.types import (
    FixedType,
    OverflowAttr,
    RoundingAttr,
    accumulator_type,
    product_type,
    sum_type,
)
from nncc.dialects.nn import shapes
from nncc.dialects.fixed.reductions import ReduceMaxOp, ReduceSumOp, SumPoolOp
from nncc.dialects.fixed.common import expect_equal, expect_raw_fits, fixed_of, int_array, shape_of, sorted_props
from nncc.dialects.fixed import semantics as fm
from nncc.dialects.interfaces import (
    ElementFunction, ElementKernel, Elementwise, FixedSemantics, MacLayer, MacTerms, Requantizing, Windowed,
)
from nncc.dialects.nn.semantics import conv_terms, dense_terms


def raw_constant(value: SSAValue) -> np.ndarray | None:
    """The raw integers of a `fixed.constant` operand; None when another op produces it."""
    owner = value.owner
    return np.asarray(from_dense(owner.value), np.int64) if isinstance(owner, ConstantOp) else None


def _raw(value: SSAValue) -> np.ndarray:
    """The raw integers of a MAC layer's `fixed.constant` weights or bias."""
    raw = raw_constant(value)
    if raw is None:
        raise VerifyException(f"{value.owner.name}: a multiply-accumulate layer needs constant weights and bias")
    return raw


def _verify_encoding(op) -> None:
    """The weights of a MAC layer obey its `encoding` (absent: two's complement, any weights)."""
    if op.encoding is not None:
        weight = op.weight.owner
        op.encoding.verify_weights(op.name, _raw(op.weight) if isinstance(weight, ConstantOp) else None)


def aligned_bias(op, channels: int) -> np.ndarray:
    """The bias of a MAC layer (`op.bias`, a `fixed.constant` or None) at its accumulator's
    fraction (zeros without a bias)."""
    if op.bias is None:
        return np.zeros(channels, np.int64)
    return _raw(op.bias).reshape(-1) << (fixed_of(op.output).frac - fixed_of(op.bias).frac)


def aligned_weights(op, raw: np.ndarray) -> np.ndarray:
    """The raw weights of a MAC layer with their products at the accumulator's fraction:
    shifted left when the accumulator is finer than input times weight (a bias on a finer
    grid, such as a fractional threshold after integer binary products)."""
    shift = fixed_of(op.output).frac - fixed_of(op.input).frac - fixed_of(op.weight).frac
    return raw << shift if shift > 0 else raw


def _mac(op, args) -> np.ndarray:
    """`fixed.dense` / `fixed.conv` on raw operands (input, weight[, bias])."""
    bias = args[2] if len(args) > 2 else None
    bias_frac = fixed_of(op.bias).frac if op.bias is not None else 0
    return fm.mac_layer(op, args[0], args[1], fixed_of(op.weight).frac, bias, bias_frac)


# ---------------------------------------------------------------------------------------
# conversions


@irdl_op_definition
class ConstantOp(IRDLOperation, FixedSemantics):
    """A fixed-point constant from raw integers (value = raw * 2^-F).

    Example: `%w = fixed.constant dense<[3, -5]> : tensor<2xi16> -> tensor<2x!fixed.q<16, 2>>`
    """

    name = "fixed.constant"
    value = prop_def(DenseIntOrFPElementsAttr)
    output = result_def(TensorType)
    traits = traits_def(Pure(), ConstantLike())
    assembly_format = "$value attr-dict `->` type($output)"

    def __init__(self, raw: DenseIntOrFPElementsAttr, typ: FixedType):
        super().__init__(result_types=[TensorType(typ, raw.get_shape())], properties={"value": raw})

    def verify_(self) -> None:
        if not isinstance(self.value.get_element_type(), IntegerType):
            raise VerifyException("fixed.constant: raw values must be integers")
        expect_equal(self, "shape", tuple(self.value.get_shape()), shape_of(self.output))
        expect_raw_fits(self, np.asarray(from_dense(self.value)), fixed_of(self.output), "constant")

    def evaluate_fixed(self, args, batch):
        return np.asarray(from_dense(self.value), np.int64)


class _ConvertOp(IRDLOperation, FixedSemantics, Elementwise):
    input = operand_def(TensorType)
    output = result_def(TensorType)
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input) `->` type($output)"

    def verify_(self) -> None:
        expect_equal(self, "result shape", shape_of(self.output), shape_of(self.input))


@irdl_op_definition
class QuantizeOp(_ConvertOp, Requantizing):
    """Float to fixed point with the given rounding and overflow (graph inputs).

    Example: `%q = fixed.quantize %x {overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>}
    : tensor<1x16xf32> -> tensor<1x16x!fixed.q<16, 6>>`
    """

    name = "fixed.quantize"
    rounding = prop_def(RoundingAttr)
    overflow = prop_def(OverflowAttr)

    def __init__(self, input: SSAValue, typ: FixedType, rounding: RoundingAttr, overflow: OverflowAttr):
        super().__init__(
            operands=[input],
            result_types=[TensorType(typ, shape_of(input))],
            properties=sorted_props({"rounding": rounding, "overflow": overflow}),
        )

    def verify_(self) -> None:
        super().verify_()
        if not isinstance(self.input.type.element_type, AnyFloat):
            raise VerifyException("fixed.quantize: input must be a float tensor")
        fixed_of(self.output)

    def evaluate_fixed(self, args, batch):
        t = fixed_of(self.output)
        return fm.quantize(args[0], t.width.data, t.frac, self.rounding.data.value, self.overflow.data.value)

    def conversion(self) -> tuple[str, str]:
        return self.rounding.data.value, self.overflow.data.value


@irdl_op_definition
class DequantizeOp(_ConvertOp):
    """Fixed point to float, exactly (graph outputs).

    Example: `%y = fixed.dequantize %q : tensor<1x5x!fixed.q<16, 2>> -> tensor<1x5xf32>`
    """

    name = "fixed.dequantize"

    def __init__(self, input: SSAValue, element: Attribute):
        super().__init__(operands=[input], result_types=[TensorType(element, shape_of(input))])

    def verify_(self) -> None:
        super().verify_()
        fixed_of(self.input)
        if not isinstance(self.output.type.element_type, AnyFloat):
            raise VerifyException("fixed.dequantize: result must be a float tensor")

    def evaluate_fixed(self, args, batch):
        return fm.to_float(args[0], fixed_of(self.input).frac)


@irdl_op_definition
class CastOp(_ConvertOp, ElementKernel, Requantizing):
    """Requantize to another fixed type: align the binary point with `rounding`, then fit
    the width with `overflow` (an `ap_fixed` assignment).

    Example: `%y = fixed.cast %acc {overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>}
    : tensor<1x64x!fixed.q<37, 13>> -> tensor<1x64x!fixed.q<16, 6>>`
    """

    name = "fixed.cast"
    rounding = prop_def(RoundingAttr)
    overflow = prop_def(OverflowAttr)

    def __init__(self, input: SSAValue, typ: FixedType, rounding: RoundingAttr, overflow: OverflowAttr):
        super().__init__(
            operands=[input],
            result_types=[TensorType(typ, shape_of(input))],
            properties=sorted_props({"rounding": rounding, "overflow": overflow}),
        )

    def verify_(self) -> None:
        super().verify_()
        fixed_of(self.input)
        fixed_of(self.output)

    def evaluate_fixed(self, args, batch):
        src, dst = fixed_of(self.input), fixed_of(self.output)
        return fm.cast(args[0], src.frac, dst.width.data, dst.frac, self.rounding.data.value, self.overflow.data.value)

    def conversion(self) -> tuple[str, str]:
        return self.rounding.data.value, self.overflow.data.value

    def element_function(self) -> ElementFunction:
        return ElementFunction("cast", *self.conversion())


# ---------------------------------------------------------------------------------------
# multiply-accumulate layers (exact accumulator results)


class _FixedMacLayer(FixedSemantics, MacLayer):
    """The `MacLayer` answers `fixed.dense` and `fixed.conv` share: the input is the activation,
    the `encoding` property (absent: two's complement) the weight encoding, and the fan-in is
    the product of the weight shape after the output channels."""

    def activation(self) -> SSAValue:
        return self.input

    def weight_encoding(self) -> Attribute:
        return self.encoding or TWOS_COMPLEMENT

    def fan_in(self) -> int:
        return int(np.prod(shape_of(self.weight)[1:]))


@irdl_op_definition
class DenseOp(IRDLOperation, _FixedMacLayer):
    """Fully connected layer on fixed point; the result is the exact accumulator.

    Example: `%acc = fixed.dense %x, %w, %b : (tensor<1x16x!fixed.q<16, 3>>, tensor<64x16x!fixed.q<16, 1>>,
    tensor<64x!fixed.q<30, 4>>) -> tensor<1x64x!fixed.q<35, 9>>`
    """

    name = "fixed.dense"
    input = operand_def(TensorType)
    weight = operand_def(TensorType)
    bias = opt_operand_def(TensorType)
    output = result_def(TensorType)
    encoding = opt_prop_def(WeightEncodingAttr)
    """How the weights are represented (`nncc.dialects.encodings`); absent: two's complement."""
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)"

    def __init__(self, input: SSAValue, weight: SSAValue, bias: SSAValue | None = None):
        k = shape_of(weight)[1]
        acc = accumulator_type(fixed_of(input), fixed_of(weight), k, fixed_of(bias) if bias else None)
        out = TensorType(acc, shape_of(input)[:-1] + (shape_of(weight)[0],))
        super().__init__(operands=[input, weight, bias], result_types=[out])

    def verify_(self) -> None:
        x, w = shape_of(self.input), shape_of(self.weight)
        if len(w) != 2 or len(x) < 2 or x[-1] != w[1]:
            raise VerifyException(f"fixed.dense: input {x} does not match weight {w} (M x K)")
        bias = None
        if self.bias is not None:
            expect_equal(self, "bias shape", shape_of(self.bias), (w[0],))
            bias = fixed_of(self.bias)
        expect_equal(self, "result shape", shape_of(self.output), x[:-1] + (w[0],))
        expected = accumulator_type(fixed_of(self.input), fixed_of(self.weight), w[1], bias)
        expect_equal(self, "accumulator type", fixed_of(self.output), expected)
        _verify_encoding(self)

    def mac_terms(self) -> MacTerms:
        m, k = shape_of(self.weight)
        return dense_terms(self, aligned_weights(self, _raw(self.weight).reshape(m, k)), aligned_bias(self, m))

    def evaluate_fixed(self, args, batch):
        return _mac(self, args)


@irdl_op_definition
class ConvOp(IRDLOperation, _FixedMacLayer, Windowed):
    """1-D/2-D grouped convolution on fixed point; the result is the exact accumulator.

    Example: `%acc = fixed.conv %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64,
    pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (...) -> tensor<1x8x16x16x!fixed.q<36, 10>>`
    """

    name = "fixed.conv"
    input = operand_def(TensorType)
    weight = operand_def(TensorType)
    bias = opt_operand_def(TensorType)
    output = result_def(TensorType)
    strides = prop_def(DenseArrayBase[I64])
    pads = prop_def(DenseArrayBase[I64])
    dilations = prop_def(DenseArrayBase[I64])
    group = prop_def(IntegerAttr[I64])
    encoding = opt_prop_def(WeightEncodingAttr)
    """How the weights are represented (`nncc.dialects.encodings`); absent: two's complement."""
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)"

    def __init__(self, input, weight, bias, strides, pads, dilations, group: int):
        w = shape_of(weight)
        out = shapes.conv_shape(shape_of(input), w, strides, pads, dilations, group)
        terms = int(np.prod(w[1:]))
        acc = accumulator_type(fixed_of(input), fixed_of(weight), terms, fixed_of(bias) if bias else None)
        super().__init__(
            operands=[input, weight, bias],
            result_types=[TensorType(acc, out)],
            properties=sorted_props(
                {
                    "strides": int_array(strides),
                    "pads": int_array(pads),
                    "dilations": int_array(dilations),
                    "group": IntegerAttr(group, i64),
                }
            ),
        )

    def verify_(self) -> None:
        w = shape_of(self.weight)
        try:
            expected_shape = shapes.conv_shape(
                shape_of(self.input), w, self.strides.get_values(), self.pads.get_values(),
                self.dilations.get_values(), self.group.value.data,
            )
        except ValueError as err:
            raise VerifyException(f"fixed.conv: {err}") from None
        bias = None
        if self.bias is not None:
            expect_equal(self, "bias shape", shape_of(self.bias), (w[0],))
            bias = fixed_of(self.bias)
        expect_equal(self, "result shape", shape_of(self.output), expected_shape)
        expected = accumulator_type(fixed_of(self.input), fixed_of(self.weight), int(np.prod(w[1:])), bias)
        expect_equal(self, "accumulator type", fixed_of(self.output), expected)
        _verify_encoding(self)

    def mac_terms(self) -> MacTerms:
        return conv_terms(self, aligned_weights(self, _raw(self.weight)), aligned_bias(self, shape_of(self.weight)[0]))

    def evaluate_fixed(self, args, batch):
        return _mac(self, args)

    def window_geometry(self):
        from nncc.dialects.dataflow import window_geometry

        return window_geometry(self)


@irdl_op_definition
class MatMulOp(IRDLOperation, FixedSemantics):
    """Product of two run-time fixed tensors (numpy matmul); exact accumulator result.

    Example: `%y = fixed.matmul %a, %b : (tensor<1x4x8x!fixed.q<16, 4>>, tensor<1x8x2x!fixed.q<16, 4>>)
    -> tensor<1x4x2x!fixed.q<35, 11>>`
    """

    name = "fixed.matmul"
    lhs = operand_def(TensorType)
    rhs = operand_def(TensorType)
    output = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)"

    def __init__(self, lhs: SSAValue, rhs: SSAValue):
        out = shapes.matmul_shape(shape_of(lhs), shape_of(rhs))
        acc = accumulator_type(fixed_of(lhs), fixed_of(rhs), shape_of(lhs)[-1], None)
        super().__init__(operands=[lhs, rhs], result_types=[TensorType(acc, out)])

    def verify_(self) -> None:
        try:
            expected_shape = shapes.matmul_shape(shape_of(self.lhs), shape_of(self.rhs))
        except ValueError as err:
            raise VerifyException(f"fixed.matmul: {err}") from None
        expect_equal(self, "result shape", shape_of(self.output), expected_shape)
        expected = accumulator_type(fixed_of(self.lhs), fixed_of(self.rhs), shape_of(self.lhs)[-1], None)
        expect_equal(self, "accumulator type", fixed_of(self.output), expected)

    def evaluate_fixed(self, args, batch):
        acc = fixed_of(self.output)
        y = fm.exact_product(np.matmul, acc.width.data, args[0], args[1])
        return fm.align(y, fixed_of(self.lhs).frac + fixed_of(self.rhs).frac, acc.frac)


# ---------------------------------------------------------------------------------------
# exact element-wise arithmetic


class _BinaryOp(IRDLOperation, FixedSemantics, Elementwise, ElementKernel):
    lhs = operand_def(TensorType)
    rhs = operand_def(TensorType)
    output = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)"
    RULE: ClassVar = staticmethod(sum_type)
    OPERATOR: ClassVar[str] = "+"

    def __init__(self, lhs: SSAValue, rhs: SSAValue):
        out = shapes.broadcast(shape_of(lhs), shape_of(rhs))
        typ = type(self).RULE(fixed_of(lhs), fixed_of(rhs))
        super().__init__(operands=[lhs, rhs], result_types=[TensorType(typ, out)])

    def verify_(self) -> None:
        try:
            expected_shape = shapes.broadcast(shape_of(self.lhs), shape_of(self.rhs))
        except ValueError as err:
            raise VerifyException(f"{self.name}: {err}") from None
        expect_equal(self, "result shape", shape_of(self.output), expected_shape)
        expect_equal(self, "result type", fixed_of(self.output), type(self).RULE(fixed_of(self.lhs), fixed_of(self.rhs)))

    def aligned(self, args) -> tuple[np.ndarray, np.ndarray]:
        """Both raw operands at the result's fraction."""
        frac = fixed_of(self.output).frac
        return fm.align(args[0], fixed_of(self.lhs).frac, frac), fm.align(args[1], fixed_of(self.rhs).frac, frac)

    def element_function(self) -> ElementFunction:
        return ElementFunction("binary", operator=type(self).OPERATOR)


@irdl_op_definition
class AddOp(_BinaryOp):
    """Exact sum with broadcasting: q<max(I)+1+max(F), max(I)+1>.

    Example: `%s = fixed.add %a, %b : (tensor<1x8x!fixed.q<16, 6>>, tensor<8x!fixed.q<16, 2>>) -> tensor<1x8x!fixed.q<17, 7>>`
    """

    name = "fixed.add"

    def evaluate_fixed(self, args, batch):
        a, b = self.aligned(args)
        return a + b


@irdl_op_definition
class SubOp(_BinaryOp):
    """Exact difference with broadcasting (same type rule as fixed.add).

    Example: `%s = fixed.sub %a, %b : (tensor<1x8x!fixed.q<16, 6>>, tensor<1x1x!fixed.q<16, 6>>) -> tensor<1x8x!fixed.q<17, 7>>`
    """

    name = "fixed.sub"
    OPERATOR: ClassVar[str] = "-"

    def evaluate_fixed(self, args, batch):
        a, b = self.aligned(args)
        return a - b


@irdl_op_definition
class MulOp(_BinaryOp):
    """Exact product with broadcasting: q<W_a + W_b, I_a + I_b>.

    Example: `%p = fixed.mul %a, %b : (tensor<1x8x!fixed.q<16, 6>>, tensor<8x!fixed.q<16, 2>>) -> tensor<1x8x!fixed.q<32, 8>>`
    """

    name = "fixed.mul"
    OPERATOR: ClassVar[str] = "*"
    RULE: ClassVar = staticmethod(product_type)

    def evaluate_fixed(self, args, batch):
        return np.asarray(args[0], np.int64) * np.asarray(args[1], np.int64)


CORE_OPS = [
    ConstantOp,
    QuantizeOp,
    DequantizeOp,
    CastOp,
    DenseOp,
    ConvOp,
    MatMulOp,
    AddOp,
    SubOp,
    MulOp,
    SumPoolOp,
    ReduceSumOp,
    ReduceMaxOp,
]
"""Conversions, exact multiply-accumulate, arithmetic, pooling and reductions."""
