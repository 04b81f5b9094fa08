"""Operations of the `nn` dialect: float tensor layers at ONNX-layer granularity.

Every tensor keeps its leading batch dimension (1 in the IR); the reference interpreter
runs the same module on any batch size. Weights are `nn.constant` values (dense
elements, printed in hex when large). Layer parameters are properties, printed in the
attribute dictionary.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from xdsl.dialects.builtin import (
    I64,
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    Float64Type,
    FloatAttr,
    IntegerAttr,
    TensorType,
    f64,
    i64,
)
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.irdl import (
    AnyAttr,
    IRDLOperation,
    ParamAttrConstraint,
    ParsePropInAttrDict,
    VarConstraint,
    base,
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    opt_prop_def,
    prop_def,
    result_def,
    traits_def,
    var_operand_def,
)
from xdsl.traits import ConstantLike, Pure
from xdsl.utils.exceptions import VerifyException

from nncc.dialects.nn import shapes
from nncc.dialects.nn.attrs import PadMode, PadModeAttr

# ---------------------------------------------------------------------------------------
# helpers


def int_array(values: Sequence[int]) -> DenseArrayBase:
    """Build an `array<i64: ...>` property from Python ints."""
    return DenseArrayBase.from_list(i64, [int(v) for v in values])


def shape_of(value: SSAValue) -> tuple[int, ...]:
    """Static shape of a ranked tensor value."""
    typ = value.type
    assert isinstance(typ, TensorType)
    return tuple(typ.get_shape())


def _check(op: Operation, fn, *args) -> tuple[int, ...]:
    """Run a shape rule and turn its ValueError into a VerifyException naming the op."""
    try:
        return fn(*args)
    except ValueError as err:
        raise VerifyException(f"{op.name}: {err}") from None


def _expect_result(op: Operation, result: SSAValue, expected: tuple[int, ...]) -> None:
    got = shape_of(result)
    if got != tuple(expected):
        raise VerifyException(f"{op.name}: result shape {got} does not match expected {tuple(expected)}")


def _expect_same_element(op: Operation) -> None:
    elements = {o.type.element_type for o in op.operands if isinstance(o.type, TensorType)}
    elements |= {r.type.element_type for r in op.results if isinstance(r.type, TensorType)}
    if len(elements) > 1:
        raise VerifyException(
            f"{op.name}: operand and result element types differ: "
            f"{sorted(str(e) for e in elements)}"
        )


_FLOAT_PROP = FloatAttr.constr(Float64Type())


def _sorted(props: dict) -> dict:
    """Properties in name order, so built and parsed ops print identically."""
    return dict(sorted(props.items()))

# ---------------------------------------------------------------------------------------
# constants


@irdl_op_definition
class ConstantOp(IRDLOperation):
    """A dense tensor constant (weights, biases, batch-norm statistics).

    Example: `%w = nn.constant dense<"0x0000803F..."> : tensor<64x16xf32>`
    """

    name = "nn.constant"
    T: ClassVar = VarConstraint("T", AnyAttr())
    value = prop_def(ParamAttrConstraint(DenseIntOrFPElementsAttr, (T, AnyAttr())))
    output = result_def(T)
    traits = traits_def(Pure(), ConstantLike())
    assembly_format = "$value attr-dict"

    def __init__(self, value: DenseIntOrFPElementsAttr):
        super().__init__(result_types=[value.get_type()], properties=_sorted({"value": value}))


# ---------------------------------------------------------------------------------------
# layers with weights


@irdl_op_definition
class DenseOp(IRDLOperation):
    """Fully connected layer y = x @ W^T (+ b) over the last axis; W is M x K.

    Example: `%y = nn.dense %x, %w, %b : (tensor<1x16xf32>, tensor<64x16xf32>,
    tensor<64xf32>) -> tensor<1x64xf32>`
    """

    name = "nn.dense"
    input = operand_def(TensorType)
    weight = operand_def(TensorType)
    bias = opt_operand_def(TensorType)
    output = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = "$input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)"

    def __init__(self, input: SSAValue, weight: SSAValue, bias: SSAValue | None = None):
        x = shape_of(input)
        out = TensorType(input.type.element_type, x[:-1] + (shape_of(weight)[0],))
        super().__init__(operands=[input, weight, bias], result_types=[out])

    def verify_(self) -> None:
        x, w = shape_of(self.input), shape_of(self.weight)
        if len(w) != 2 or len(x) < 2 or x[-1] != w[1]:
            raise VerifyException(f"nn.dense: input {x} does not match weight {w} (M x K)")
        if self.bias is not None and shape_of(self.bias) != (w[0],):
            raise VerifyException(f"nn.dense: bias shape {shape_of(self.bias)} is not ({w[0]},)")
        _expect_result(self, self.output, x[:-1] + (w[0],))
        _expect_same_element(self)


@irdl_op_definition
class ConvOp(IRDLOperation):
    """1-D or 2-D grouped convolution (NCW / NCHW), weight M x C/group x k...

    Pads are ONNX-ordered: all begins, then all ends.
    Example: `%y = nn.conv %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64,
    pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (...) -> tensor<1x8x16x16xf32>`
    """

    name = "nn.conv"
    input = operand_def(TensorType)
    weight = operand_def(TensorType)
    bias = opt_operand_def(TensorType)
    output = result_def(TensorType)
    strides = prop_def(DenseArrayBase[I64])
    pads = prop_def(DenseArrayBase[I64])
    dilations = prop_def(DenseArrayBase[I64])
    group = prop_def(IntegerAttr[I64])
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)"

    def __init__(
        self,
        input: SSAValue,
        weight: SSAValue,
        bias: SSAValue | None,
        strides: Sequence[int],
        pads: Sequence[int],
        dilations: Sequence[int],
        group: int,
    ):
        out = shapes.conv_shape(shape_of(input), shape_of(weight), strides, pads, dilations, group)
        super().__init__(
            operands=[input, weight, bias],
            result_types=[TensorType(input.type.element_type, out)],
            properties=_sorted({
                "strides": int_array(strides),
                "pads": int_array(pads),
                "dilations": int_array(dilations),
                "group": IntegerAttr(group, i64),
            }),
        )

    def verify_(self) -> None:
        w = shape_of(self.weight)
        expected = _check(
            self,
            shapes.conv_shape,
            shape_of(self.input),
            w,
            self.strides.get_values(),
            self.pads.get_values(),
            self.dilations.get_values(),
            self.group.value.data,
        )
        if self.bias is not None and shape_of(self.bias) != (w[0],):
            raise VerifyException(f"nn.conv: bias shape {shape_of(self.bias)} is not ({w[0]},)")
        _expect_result(self, self.output, expected)
        _expect_same_element(self)


@irdl_op_definition
class MatMulOp(IRDLOperation):
    """Matrix product of two run-time tensors with numpy broadcasting rules.

    (A product with a constant 2-D right-hand side canonicalizes to `nn.dense`.)
    Example: `%y = nn.matmul %a, %b : (tensor<1x4x8xf32>, tensor<1x8x2xf32>) -> tensor<1x4x2xf32>`
    """

    name = "nn.matmul"
    lhs = operand_def(TensorType)
    rhs = operand_def(TensorType)
    output = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)"

    def __init__(self, lhs: SSAValue, rhs: SSAValue):
        out = shapes.matmul_shape(shape_of(lhs), shape_of(rhs))
        super().__init__(operands=[lhs, rhs], result_types=[TensorType(lhs.type.element_type, out)])

    def verify_(self) -> None:
        expected = _check(self, shapes.matmul_shape, shape_of(self.lhs), shape_of(self.rhs))
        _expect_result(self, self.output, expected)
        _expect_same_element(self)


@irdl_op_definition
class BatchNormOp(IRDLOperation):
    """Inference batch normalization over axis 1: (x - mean) / sqrt(var + eps) * scale + bias.

    Example: `%y = nn.batchnorm %x, %scale, %bias, %mean, %var {epsilon = 1.0e-05 : f64}
    : (...) -> tensor<1x8x16x16xf32>`
    """

    name = "nn.batchnorm"
    input = operand_def(TensorType)
    scale = operand_def(TensorType)
    bias = operand_def(TensorType)
    mean = operand_def(TensorType)
    var = operand_def(TensorType)
    output = result_def(TensorType)
    epsilon = prop_def(_FLOAT_PROP)
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = (
        "$input `,` $scale `,` $bias `,` $mean `,` $var attr-dict `:` functional-type(operands, results)"
    )

    def __init__(self, input: SSAValue, scale, bias, mean, var, epsilon: float):
        super().__init__(
            operands=[input, scale, bias, mean, var],
            result_types=[input.type],
            properties=_sorted({"epsilon": FloatAttr(float(epsilon), f64)}),
        )

    def verify_(self) -> None:
        x = shape_of(self.input)
        if len(x) < 2:
            raise VerifyException(f"nn.batchnorm: input {x} has no channel axis")
        for label, v in (("scale", self.scale), ("bias", self.bias), ("mean", self.mean), ("var", self.var)):
            if shape_of(v) != (x[1],):
                raise VerifyException(f"nn.batchnorm: {label} shape {shape_of(v)} is not ({x[1]},)")
        _expect_result(self, self.output, x)
        _expect_same_element(self)


# ---------------------------------------------------------------------------------------
# element-wise


class UnaryElementwiseOp(IRDLOperation):
    """Base of the activation family: one tensor in, same type out."""

    T: ClassVar = VarConstraint("T", base(TensorType))
    input = operand_def(T)
    output = result_def(T)
    traits = traits_def(Pure())

    def __init__(self, input: SSAValue, **props: Attribute):
        super().__init__(operands=[input], result_types=[input.type], properties=_sorted(props))


@irdl_op_definition
class ReluOp(UnaryElementwiseOp):
    """max(x, 0). Example: `%y = nn.relu %x : tensor<1x64xf32>`"""

    name = "nn.relu"
    assembly_format = "$input attr-dict `:` type($input)"


@irdl_op_definition
class LeakyReluOp(UnaryElementwiseOp):
    """x if x >= 0 else alpha * x. Example: `%y = nn.leaky_relu %x {alpha = 0.01 : f64} : tensor<1x8xf32>`"""

    name = "nn.leaky_relu"
    alpha = prop_def(_FLOAT_PROP)
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input)"

    def __init__(self, input: SSAValue, alpha: float):
        super().__init__(input, alpha=FloatAttr(float(alpha), f64))


@irdl_op_definition
class SigmoidOp(UnaryElementwiseOp):
    """1 / (1 + exp(-x)). Example: `%y = nn.sigmoid %x : tensor<1x8xf32>`"""

    name = "nn.sigmoid"
    assembly_format = "$input attr-dict `:` type($input)"


@irdl_op_definition
class HardSigmoidOp(UnaryElementwiseOp):
    """clip(alpha * x + beta, 0, 1). Example: `%y = nn.hard_sigmoid %x {alpha = 0.2 : f64, beta = 0.5 : f64} : tensor<1x8xf32>`"""

    name = "nn.hard_sigmoid"
    alpha = prop_def(_FLOAT_PROP)
    beta = prop_def(_FLOAT_PROP)
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input)"

    def __init__(self, input: SSAValue, alpha: float, beta: float):
        super().__init__(input, alpha=FloatAttr(float(alpha), f64), beta=FloatAttr(float(beta), f64))


@irdl_op_definition
class TanhOp(UnaryElementwiseOp):
    """Hyperbolic tangent. Example: `%y = nn.tanh %x : tensor<1x8xf32>`"""

    name = "nn.tanh"
    assembly_format = "$input attr-dict `:` type($input)"


@irdl_op_definition
class ClipOp(UnaryElementwiseOp):
    """clip(x, min, max); a missing bound is unbounded. Example: `%y = nn.clip %x {max = 6.0 : f64, min = 0.0 : f64} : tensor<1x8xf32>`"""

    name = "nn.clip"
    min = opt_prop_def(_FLOAT_PROP)
    max = opt_prop_def(_FLOAT_PROP)
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input)"

    def __init__(self, input: SSAValue, lo: float | None, hi: float | None):
        props = {}
        if lo is not None:
            props["min"] = FloatAttr(float(lo), f64)
        if hi is not None:
            props["max"] = FloatAttr(float(hi), f64)
        super().__init__(input, **props)

    def verify_(self) -> None:
        if self.min is not None and self.max is not None and self.min.value.data > self.max.value.data:
            raise VerifyException(
                f"nn.clip: min {self.min.value.data} is greater than max {self.max.value.data}"
            )


@irdl_op_definition
class SoftmaxOp(UnaryElementwiseOp):
    """Softmax along one axis (never the batch axis). Example: `%y = nn.softmax %x {axis = 1 : i64} : tensor<1x5xf32>`"""

    name = "nn.softmax"
    axis = prop_def(IntegerAttr[I64])
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input)"

    def __init__(self, input: SSAValue, axis: int):
        super().__init__(input, axis=IntegerAttr(axis, i64))

    def verify_(self) -> None:
        rank = len(shape_of(self.input))
        axis = self.axis.value.data
        if not 1 <= axis < rank:
            raise VerifyException(f"nn.softmax: axis {axis} must be in [1, {rank}) (axis 0 is the batch)")


class BinaryElementwiseOp(IRDLOperation):
    """Base of the arithmetic family: numpy-broadcasting binary op."""

    lhs = operand_def(TensorType)
    rhs = operand_def(TensorType)
    output = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)"

    def __init__(self, lhs: SSAValue, rhs: SSAValue):
        out = shapes.broadcast(shape_of(lhs), shape_of(rhs))
        super().__init__(operands=[lhs, rhs], result_types=[TensorType(lhs.type.element_type, out)])

    def verify_(self) -> None:
        expected = _check(self, shapes.broadcast, shape_of(self.lhs), shape_of(self.rhs))
        _expect_result(self, self.output, expected)
        _expect_same_element(self)


@irdl_op_definition
class AddOp(BinaryElementwiseOp):
    """Element-wise sum. Example: `%y = nn.add %a, %b : (tensor<1x8xf32>, tensor<8xf32>) -> tensor<1x8xf32>`"""

    name = "nn.add"


@irdl_op_definition
class SubOp(BinaryElementwiseOp):
    """Element-wise difference. Example: `%y = nn.sub %a, %b : (tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<1x8xf32>`"""

    name = "nn.sub"


@irdl_op_definition
class MulOp(BinaryElementwiseOp):
    """Element-wise product. Example: `%y = nn.mul %a, %b : (tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<1x8xf32>`"""

    name = "nn.mul"


@irdl_op_definition
class DivOp(BinaryElementwiseOp):
    """Element-wise quotient. Example: `%y = nn.div %a, %b : (tensor<1x8xf32>, tensor<1xf32>) -> tensor<1x8xf32>`"""

    name = "nn.div"


# ---------------------------------------------------------------------------------------
# pooling


@irdl_op_definition
class MaxPoolOp(IRDLOperation):
    """Max pooling over 1-D/2-D windows (pads never win: they count as -inf).

    Example: `%y = nn.max_pool %x {ceil_mode = 0 : i64, dilations = array<i64: 1, 1>,
    kernel = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>}
    : tensor<1x8x16x16xf32> -> tensor<1x8x8x8xf32>`
    """

    name = "nn.max_pool"
    input = operand_def(TensorType)
    output = result_def(TensorType)
    kernel = prop_def(DenseArrayBase[I64])
    strides = prop_def(DenseArrayBase[I64])
    pads = prop_def(DenseArrayBase[I64])
    dilations = prop_def(DenseArrayBase[I64])
    ceil_mode = prop_def(IntegerAttr[I64])
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input) `->` type($output)"

    def __init__(self, input, kernel, strides, pads, dilations, ceil_mode: bool):
        out = shapes.window_shape(shape_of(input), shape_of(input)[1], kernel, strides, pads, dilations, ceil_mode)
        super().__init__(
            operands=[input],
            result_types=[TensorType(input.type.element_type, out)],
            properties=_sorted({
                "kernel": int_array(kernel),
                "strides": int_array(strides),
                "pads": int_array(pads),
                "dilations": int_array(dilations),
                "ceil_mode": IntegerAttr(int(ceil_mode), i64),
            }),
        )

    def verify_(self) -> None:
        x = shape_of(self.input)
        expected = _check(
            self,
            shapes.window_shape,
            x,
            x[1] if len(x) > 1 else 0,
            self.kernel.get_values(),
            self.strides.get_values(),
            self.pads.get_values(),
            self.dilations.get_values(),
            bool(self.ceil_mode.value.data),
        )
        _expect_result(self, self.output, expected)


@irdl_op_definition
class AvgPoolOp(IRDLOperation):
    """Average pooling over 1-D/2-D windows; count_include_pad decides the divisor at the borders.

    Example: `%y = nn.avg_pool %x {ceil_mode = 0 : i64, count_include_pad = 0 : i64,
    kernel = array<i64: 2>, pads = array<i64: 0, 0>, strides = array<i64: 2>}
    : tensor<1x8x16xf32> -> tensor<1x8x8xf32>`
    """

    name = "nn.avg_pool"
    input = operand_def(TensorType)
    output = result_def(TensorType)
    kernel = prop_def(DenseArrayBase[I64])
    strides = prop_def(DenseArrayBase[I64])
    pads = prop_def(DenseArrayBase[I64])
    ceil_mode = prop_def(IntegerAttr[I64])
    count_include_pad = prop_def(IntegerAttr[I64])
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input) `->` type($output)"

    def __init__(self, input, kernel, strides, pads, ceil_mode: bool, count_include_pad: bool):
        out = shapes.window_shape(shape_of(input), shape_of(input)[1], kernel, strides, pads, [1] * len(kernel), ceil_mode)
        super().__init__(
            operands=[input],
            result_types=[TensorType(input.type.element_type, out)],
            properties=_sorted({
                "kernel": int_array(kernel),
                "strides": int_array(strides),
                "pads": int_array(pads),
                "ceil_mode": IntegerAttr(int(ceil_mode), i64),
                "count_include_pad": IntegerAttr(int(count_include_pad), i64),
            }),
        )

    def verify_(self) -> None:
        x = shape_of(self.input)
        kernel = self.kernel.get_values()
        expected = _check(
            self,
            shapes.window_shape,
            x,
            x[1] if len(x) > 1 else 0,
            kernel,
            self.strides.get_values(),
            self.pads.get_values(),
            (1,) * len(kernel),
            bool(self.ceil_mode.value.data),
        )
        _expect_result(self, self.output, expected)


class GlobalPoolOp(IRDLOperation):
    """Base of global pooling: reduce every spatial axis to 1."""

    input = operand_def(TensorType)
    output = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = "$input attr-dict `:` type($input) `->` type($output)"

    def __init__(self, input: SSAValue):
        x = shape_of(input)
        super().__init__(
            operands=[input], result_types=[TensorType(input.type.element_type, x[:2] + (1,) * (len(x) - 2))]
        )

    def verify_(self) -> None:
        x = shape_of(self.input)
        if len(x) < 3:
            raise VerifyException(f"{self.name}: input {x} has no spatial axis")
        _expect_result(self, self.output, x[:2] + (1,) * (len(x) - 2))


@irdl_op_definition
class GlobalAvgPoolOp(GlobalPoolOp):
    """Mean over all spatial axes. Example: `%y = nn.global_avg_pool %x : tensor<1x16x6x6xf32> -> tensor<1x16x1x1xf32>`"""

    name = "nn.global_avg_pool"


@irdl_op_definition
class GlobalMaxPoolOp(GlobalPoolOp):
    """Max over all spatial axes. Example: `%y = nn.global_max_pool %x : tensor<1x16x6x6xf32> -> tensor<1x16x1x1xf32>`"""

    name = "nn.global_max_pool"


# ---------------------------------------------------------------------------------------
# data movement


@irdl_op_definition
class ReshapeOp(IRDLOperation):
    """Reinterpret a tensor with a new shape of the same size; the batch axis stays first.

    Example: `%y = nn.reshape %x : tensor<1x16x1x1xf32> -> tensor<1x16xf32>`
    """

    name = "nn.reshape"
    input = operand_def(TensorType)
    output = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = "$input attr-dict `:` type($input) `->` type($output)"

    def __init__(self, input: SSAValue, shape: Sequence[int]):
        super().__init__(operands=[input], result_types=[TensorType(input.type.element_type, tuple(shape))])

    def verify_(self) -> None:
        x, y = shape_of(self.input), shape_of(self.output)
        size_x = size_y = 1
        for d in x:
            size_x *= d
        for d in y:
            size_y *= d
        if size_x != size_y:
            raise VerifyException(f"nn.reshape: cannot reshape {x} ({size_x} elements) to {y} ({size_y} elements)")
        if not x or not y or x[0] != y[0]:
            raise VerifyException(f"nn.reshape: {x} -> {y} changes the batch axis")
        _expect_same_element(self)


@irdl_op_definition
class FlattenOp(IRDLOperation):
    """ONNX Flatten at `axis` >= 1; canonicalizes to `nn.reshape`.

    Example: `%y = nn.flatten %x {axis = 1 : i64} : tensor<1x16x1x1xf32> -> tensor<1x16xf32>`
    """

    name = "nn.flatten"
    input = operand_def(TensorType)
    output = result_def(TensorType)
    axis = prop_def(IntegerAttr[I64])
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input) `->` type($output)"

    def __init__(self, input: SSAValue, axis: int):
        out = shapes.flatten_shape(shape_of(input), axis)
        super().__init__(
            operands=[input],
            result_types=[TensorType(input.type.element_type, out)],
            properties=_sorted({"axis": IntegerAttr(axis, i64)}),
        )

    def verify_(self) -> None:
        axis = self.axis.value.data
        if axis < 1:
            raise VerifyException(f"nn.flatten: axis {axis} would merge the batch axis")
        expected = _check(self, shapes.flatten_shape, shape_of(self.input), axis)
        _expect_result(self, self.output, expected)


@irdl_op_definition
class TransposeOp(IRDLOperation):
    """Permute axes; the batch axis must stay first.

    Example: `%y = nn.transpose %x {perm = array<i64: 0, 2, 3, 1>} : tensor<1x8x4x4xf32> -> tensor<1x4x4x8xf32>`
    """

    name = "nn.transpose"
    input = operand_def(TensorType)
    output = result_def(TensorType)
    perm = prop_def(DenseArrayBase[I64])
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input) `->` type($output)"

    def __init__(self, input: SSAValue, perm: Sequence[int]):
        x = shape_of(input)
        super().__init__(
            operands=[input],
            result_types=[TensorType(input.type.element_type, tuple(x[p] for p in perm))],
            properties=_sorted({"perm": int_array(perm)}),
        )

    def verify_(self) -> None:
        x = shape_of(self.input)
        perm = self.perm.get_values()
        if sorted(perm) != list(range(len(x))):
            raise VerifyException(f"nn.transpose: perm {list(perm)} is not a permutation of rank {len(x)}")
        if perm[0] != 0:
            raise VerifyException(f"nn.transpose: perm {list(perm)} moves the batch axis")
        _expect_result(self, self.output, tuple(x[p] for p in perm))


@irdl_op_definition
class ConcatOp(IRDLOperation):
    """Concatenate along a non-batch axis.

    Example: `%y = nn.concat %a, %b {axis = 1 : i64} : (tensor<1x4xf32>, tensor<1x2xf32>) -> tensor<1x6xf32>`
    """

    name = "nn.concat"
    inputs = var_operand_def(TensorType)
    output = result_def(TensorType)
    axis = prop_def(IntegerAttr[I64])
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$inputs attr-dict `:` functional-type($inputs, results)"

    def __init__(self, inputs: Sequence[SSAValue], axis: int):
        out = shapes.concat_shape([shape_of(v) for v in inputs], axis)
        super().__init__(
            operands=[list(inputs)],
            result_types=[TensorType(inputs[0].type.element_type, out)],
            properties=_sorted({"axis": IntegerAttr(axis, i64)}),
        )

    def verify_(self) -> None:
        if not self.inputs:
            raise VerifyException("nn.concat: needs at least one input")
        rank = len(shape_of(self.inputs[0]))
        axis = self.axis.value.data
        if not 1 <= axis < rank:
            raise VerifyException(f"nn.concat: axis {axis} must be in [1, {rank}) (axis 0 is the batch)")
        expected = _check(self, shapes.concat_shape, [shape_of(v) for v in self.inputs], axis)
        _expect_result(self, self.output, expected)
        _expect_same_element(self)


@irdl_op_definition
class PadOp(IRDLOperation):
    """Pad every axis but the batch (ONNX pads layout: all begins, then all ends).

    Example: `%y = nn.pad %x {mode = #nn<pad_mode constant>, pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>,
    value = 0.0 : f64} : tensor<1x3x8x8xf32> -> tensor<1x3x10x10xf32>`
    """

    name = "nn.pad"
    input = operand_def(TensorType)
    output = result_def(TensorType)
    pads = prop_def(DenseArrayBase[I64])
    mode = prop_def(PadModeAttr)
    value = prop_def(_FLOAT_PROP)
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input) `->` type($output)"

    def __init__(self, input: SSAValue, pads: Sequence[int], mode: PadModeAttr, value: float):
        out = shapes.pad_shape(shape_of(input), pads)
        super().__init__(
            operands=[input],
            result_types=[TensorType(input.type.element_type, out)],
            properties=_sorted({"pads": int_array(pads), "mode": mode, "value": FloatAttr(float(value), f64)}),
        )

    def verify_(self) -> None:
        x = shape_of(self.input)
        pads = self.pads.get_values()
        expected = _check(self, shapes.pad_shape, x, pads)
        if len(pads) == 2 * len(x) and (pads[0] or pads[len(x)]):
            raise VerifyException(f"nn.pad: pads {list(pads)} pad the batch axis")
        if self.mode.data == PadMode.REFLECT and len(pads) == 2 * len(x):
            rank = len(x)
            for i in range(1, rank):
                if max(pads[i], pads[rank + i]) >= x[i]:
                    raise VerifyException(
                        f"nn.pad: reflect pad {pads[i]}/{pads[rank + i]} on axis {i} "
                        f"needs an input longer than the pad, got {x[i]}"
                    )
        _expect_result(self, self.output, expected)


LAYER_OPS = [
    ConstantOp,
    DenseOp,
    ConvOp,
    MatMulOp,
    BatchNormOp,
    ReluOp,
    LeakyReluOp,
    SigmoidOp,
    HardSigmoidOp,
    TanhOp,
    ClipOp,
    SoftmaxOp,
    AddOp,
    SubOp,
    MulOp,
    DivOp,
    MaxPoolOp,
    AvgPoolOp,
    GlobalAvgPoolOp,
    GlobalMaxPoolOp,
    ReshapeOp,
    FlattenOp,
    TransposeOp,
    ConcatOp,
    PadOp,
]

