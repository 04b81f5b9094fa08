"""Operations of the `nn` dialect: float tensor layers at ONNX-layer granularity.

Every tensor keeps its leading batch dimension (1 in the IR); the reference interpreter
runs the same module on any batch size. Weights are `nn.constant` values (dense
elements, printed in hex when large). Layer parameters are properties, printed in the
attribute dictionary.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from xdsl.dialects.builtin import (
    I64,
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    FloatAttr,
    IntegerAttr,
    TensorType,
    f64,
    i64,
)
from xdsl.ir import Attribute, SSAValue
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
)
from xdsl.traits import ConstantLike, Pure
from xdsl.utils.exceptions import VerifyException

from nncc.dialects.dense import from_dense
from nncc.dialects.interfaces import (
    AffineWeights, ElementFunction, ElementKernel, Elementwise, FixedSemantics, FloatSemantics, MacLayer, MacTerms,
    SelectsValues, Windowed,
)
from nncc.dialects.nn import semantics as ns
from nncc.dialects.nn import shapes
from nncc.dialects.nn.common import FLOAT_PROP, check_shape, expect_result, expect_same_element, int_array, shape_of, sorted_props
from nncc.dialects.interfaces import LowersToFixed

# ---------------------------------------------------------------------------------------
# constants


@irdl_op_definition
class ConstantOp(IRDLOperation, FloatSemantics, LowersToFixed):
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
        super().__init__(result_types=[value.get_type()], properties=sorted_props({"value": value}))

    def evaluate_float(self, args, batch):
        return np.asarray(from_dense(self.value), np.float64)

    def lower_to_fixed(self, lowering) -> None:
        """Constants are rounded where they are used (each consumer picks the type)."""


class _FloatMacLayer(FloatSemantics, MacLayer):
    """The `MacLayer` answers of `nn.dense` / `nn.conv` (float weights and bias, from
    constant operands)."""

    def activation(self) -> SSAValue:
        return self.input

    def weight_encoding(self) -> Attribute:
        """The float level has no integer encoding yet: the plain one it converts to."""
        from nncc.dialects.encodings import TWOS_COMPLEMENT

        return TWOS_COMPLEMENT

    def fan_in(self) -> int:
        return int(np.prod(shape_of(self.weight)[1:]))

    def mac_terms(self) -> MacTerms:
        weights = np.asarray(ns.constant_value(self.weight), np.float64)
        channels = weights.shape[0]
        bias = np.zeros(channels) if self.bias is None else np.asarray(ns.constant_value(self.bias), np.float64)
        return ns.mac_terms_of(self, weights, bias.reshape(-1))

    def evaluate_float(self, args, batch):
        y = ns.mac_product(self, args[0], args[1])
        return y if len(args) < 3 else ns.add_channel_bias(y, args[2], args[1].ndim == 2)


# ---------------------------------------------------------------------------------------
# layers with weights


@irdl_op_definition
class DenseOp(IRDLOperation, _FloatMacLayer, AffineWeights, LowersToFixed):
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

    def weight_operand(self) -> SSAValue:
        return self.weight

    def bias_operand(self) -> SSAValue | None:
        return self.bias

    def output_channel_axis(self) -> int:
        return len(shape_of(self.output)) - 1

    def with_weights(self, weight: SSAValue, bias: SSAValue | None) -> DenseOp:
        new = DenseOp(self.input, weight, bias)
        new.location = self.location
        return new

    def verify_(self) -> None:
        x, w = shape_of(self.input), shape_of(self.weight)
        if len(w) != 2 or len(x) < 2 or x[-1] != w[1]:
            raise VerifyException(f"nn.dense: input {x} does not match weight {w} (M x K)")
        if self.bias is not None and shape_of(self.bias) != (w[0],):
            raise VerifyException(f"nn.dense: bias shape {shape_of(self.bias)} is not ({w[0]},)")
        expect_result(self, self.output, x[:-1] + (w[0],))
        expect_same_element(self)

    def lower_to_fixed(self, lowering) -> None:
        """See `nncc.dialects.nn.to_fixed`."""
        from nncc.dialects import fixed
        from nncc.dialects.nn import to_fixed

        to_fixed.mac(lowering, self, lambda x, w, b: fixed.DenseOp(x, w, b))


@irdl_op_definition
class ConvOp(IRDLOperation, _FloatMacLayer, Windowed, AffineWeights, LowersToFixed):
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
            properties=sorted_props({
                "strides": int_array(strides),
                "pads": int_array(pads),
                "dilations": int_array(dilations),
                "group": IntegerAttr(group, i64),
            }),
        )

    def weight_operand(self) -> SSAValue:
        return self.weight

    def bias_operand(self) -> SSAValue | None:
        return self.bias

    def output_channel_axis(self) -> int:
        return 1

    def with_weights(self, weight: SSAValue, bias: SSAValue | None) -> ConvOp:
        new = ConvOp(
            self.input, weight, bias, self.strides.get_values(), self.pads.get_values(),
            self.dilations.get_values(), self.group.value.data,
        )
        new.location = self.location
        return new

    def verify_(self) -> None:
        w = shape_of(self.weight)
        expected = check_shape(
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
        expect_result(self, self.output, expected)
        expect_same_element(self)

    def window_geometry(self):
        from nncc.dialects.dataflow import window_geometry

        return window_geometry(self)

    def lower_to_fixed(self, lowering) -> None:
        """See `nncc.dialects.nn.to_fixed`."""
        from nncc.dialects import fixed
        from nncc.dialects.nn import to_fixed

        def build(x, w, b):
            return fixed.ConvOp(x, w, b, self.strides.get_values(), self.pads.get_values(), self.dilations.get_values(),
                                self.group.value.data)

        to_fixed.mac(lowering, self, build)


@irdl_op_definition
class MatMulOp(IRDLOperation, FloatSemantics, LowersToFixed):
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
        expected = check_shape(self, shapes.matmul_shape, shape_of(self.lhs), shape_of(self.rhs))
        expect_result(self, self.output, expected)
        expect_same_element(self)

    def evaluate_float(self, args, batch):
        return np.matmul(args[0], args[1])

    def lower_to_fixed(self, lowering) -> None:
        """See `nncc.dialects.nn.to_fixed`."""
        from nncc.dialects.nn import to_fixed

        to_fixed.matmul(lowering, self)


@irdl_op_definition
class BatchNormOp(IRDLOperation, FloatSemantics, LowersToFixed):
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
    epsilon = prop_def(FLOAT_PROP)
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = (
        "$input `,` $scale `,` $bias `,` $mean `,` $var attr-dict `:` functional-type(operands, results)"
    )

    def __init__(self, input: SSAValue, scale, bias, mean, var, epsilon: float):
        super().__init__(
            operands=[input, scale, bias, mean, var],
            result_types=[input.type],
            properties=sorted_props({"epsilon": FloatAttr(float(epsilon), f64)}),
        )

    def verify_(self) -> None:
        x = shape_of(self.input)
        if len(x) < 2:
            raise VerifyException(f"nn.batchnorm: input {x} has no channel axis")
        for label, v in (("scale", self.scale), ("bias", self.bias), ("mean", self.mean), ("var", self.var)):
            if shape_of(v) != (x[1],):
                raise VerifyException(f"nn.batchnorm: {label} shape {shape_of(v)} is not ({x[1]},)")
        expect_result(self, self.output, x)
        expect_same_element(self)

    def evaluate_float(self, args, batch):
        x, scale, bias, mean, var = args
        shape = (1, -1) + (1,) * (x.ndim - 2)
        eps = self.epsilon.value.data
        return (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) * scale.reshape(shape) + bias.reshape(shape)

    def lower_to_fixed(self, lowering) -> None:
        """See `nncc.dialects.nn.to_fixed`."""
        from nncc.dialects.nn import to_fixed

        to_fixed.batchnorm(lowering, self)


# ---------------------------------------------------------------------------------------
# element-wise


class UnaryElementwiseOp(IRDLOperation, FloatSemantics):
    """Base of the activation family: one tensor in, same type out."""

    T: ClassVar = VarConstraint("T", base(TensorType))
    input = operand_def(T)
    output = result_def(T)
    traits = traits_def(Pure())

    def __init__(self, input: SSAValue, **props: Attribute):
        super().__init__(operands=[input], result_types=[input.type], properties=sorted_props(props))


@irdl_op_definition
class ReluOp(UnaryElementwiseOp, FixedSemantics, Elementwise, ElementKernel, SelectsValues, LowersToFixed):
    """max(x, 0) (also on raw fixed-point values). Example: `%y = nn.relu %x : tensor<1x64xf32>`"""

    name = "nn.relu"
    assembly_format = "$input attr-dict `:` type($input)"

    def evaluate_float(self, args, batch):
        return np.maximum(args[0], 0.0)

    def evaluate_fixed(self, args, batch):
        return np.maximum(args[0], 0)

    def element_function(self) -> ElementFunction:
        return ElementFunction("relu")

    def lower_to_fixed(self, lowering) -> None:
        """See `nncc.dialects.nn.to_fixed`."""
        from nncc.dialects.nn import to_fixed

        to_fixed.same_type(lowering, self, ReluOp)


@irdl_op_definition
class LeakyReluOp(UnaryElementwiseOp, Elementwise, LowersToFixed):
    """x if x >= 0 else alpha * x. Example: `%y = nn.leaky_relu %x {alpha = 0.01 : f64} : tensor<1x8xf32>`"""

    name = "nn.leaky_relu"
    alpha = prop_def(FLOAT_PROP)
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input)"

    def __init__(self, input: SSAValue, alpha: float):
        super().__init__(input, alpha=FloatAttr(float(alpha), f64))

    def evaluate_float(self, args, batch):
        return np.where(args[0] >= 0, args[0], self.alpha.value.data * args[0])

    def lower_to_fixed(self, lowering) -> None:
        """See `nncc.dialects.nn.to_fixed`."""
        from nncc.dialects.nn import to_fixed

        to_fixed.leaky_relu(lowering, self)


@irdl_op_definition
class SigmoidOp(UnaryElementwiseOp, Elementwise, LowersToFixed):
    """1 / (1 + exp(-x)). Example: `%y = nn.sigmoid %x : tensor<1x8xf32>`"""

    name = "nn.sigmoid"
    assembly_format = "$input attr-dict `:` type($input)"

    def evaluate_float(self, args, batch):
        return 0.5 * (1.0 + np.tanh(0.5 * args[0]))

    def lower_to_fixed(self, lowering) -> None:
        """See `nncc.dialects.nn.to_fixed`."""
        from nncc.dialects.nn import to_fixed

        to_fixed.activation(lowering, self, "sigmoid", 1)


@irdl_op_definition
class HardSigmoidOp(UnaryElementwiseOp, Elementwise, LowersToFixed):
    """clip(alpha * x + beta, 0, 1). Example: `%y = nn.hard_sigmoid %x {alpha = 0.2 : f64, beta = 0.5 : f64} : tensor<1x8xf32>`"""

    name = "nn.hard_sigmoid"
    alpha = prop_def(FLOAT_PROP)
    beta = prop_def(FLOAT_PROP)
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input)"

    def __init__(self, input: SSAValue, alpha: float, beta: float):
        super().__init__(input, alpha=FloatAttr(float(alpha), f64), beta=FloatAttr(float(beta), f64))

    def evaluate_float(self, args, batch):
        return np.clip(self.alpha.value.data * args[0] + self.beta.value.data, 0.0, 1.0)

    def lower_to_fixed(self, lowering) -> None:
        """See `nncc.dialects.nn.to_fixed`."""
        from nncc.dialects.nn import to_fixed

        to_fixed.hard_sigmoid(lowering, self)


@irdl_op_definition
class TanhOp(UnaryElementwiseOp, Elementwise, LowersToFixed):
    """Hyperbolic tangent. Example: `%y = nn.tanh %x : tensor<1x8xf32>`"""

    name = "nn.tanh"
    assembly_format = "$input attr-dict `:` type($input)"

    def evaluate_float(self, args, batch):
        return np.tanh(args[0])

    def lower_to_fixed(self, lowering) -> None:
        """See `nncc.dialects.nn.to_fixed`."""
        from nncc.dialects.nn import to_fixed

        to_fixed.activation(lowering, self, "tanh", 1)


@irdl_op_definition
class ClipOp(UnaryElementwiseOp, Elementwise, LowersToFixed):
    """clip(x, min, max); a missing bound is unbounded. Example: `%y = nn.clip %x {max = 6.0 : f64, min = 0.0 : f64} : tensor<1x8xf32>`"""

    name = "nn.clip"
    min = opt_prop_def(FLOAT_PROP)
    max = opt_prop_def(FLOAT_PROP)
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

    def evaluate_float(self, args, batch):
        lo = -np.inf if self.min is None else self.min.value.data
        hi = np.inf if self.max is None else self.max.value.data
        return np.clip(args[0], lo, hi)

    def lower_to_fixed(self, lowering) -> None:
        """See `nncc.dialects.nn.to_fixed`."""
        from nncc.dialects.nn import to_fixed

        to_fixed.clip(lowering, self)


@irdl_op_definition
class SoftmaxOp(UnaryElementwiseOp, LowersToFixed):
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

    def evaluate_float(self, args, batch):
        axis = self.axis.value.data
        e = np.exp(args[0] - np.max(args[0], axis=axis, keepdims=True))
        return e / np.sum(e, axis=axis, keepdims=True)

    def lower_to_fixed(self, lowering) -> None:
        """See `nncc.dialects.nn.to_fixed`."""
        from nncc.dialects.nn import to_fixed

        to_fixed.softmax(lowering, self)


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
]
"""Weights, multiply-accumulate layers and unary element-wise ops (binary ones: `arith.py`)."""
