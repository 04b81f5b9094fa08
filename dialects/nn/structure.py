"""Pooling and data-movement operations of the `nn` dialect (type-agnostic: they also
run on fixed-point tensors at the fixed-point level)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from xdsl.dialects.builtin import I64, DenseArrayBase, IntegerAttr, TensorType, f64, FloatAttr, i64
from xdsl.ir import SSAValue
from xdsl.irdl import (
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_op_definition,
    operand_def,
    prop_def,
    result_def,
    traits_def,
    var_operand_def,
)
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from nncc.dialects.interfaces import FixedSemantics, FloatSemantics, IndexMap, Reduction, SelectsValues, Windowed
from nncc.dialects.nn import semantics as ns
from nncc.dialects.nn import shapes
from nncc.dialects.nn.attrs import PadMode, PadModeAttr
from nncc.dialects.nn.common import FLOAT_PROP, check_shape, expect_result, expect_same_element, int_array, shape_of, sorted_props
from nncc.dialects.interfaces import LowersToFixed

# ---------------------------------------------------------------------------------------
# pooling


@irdl_op_definition
class MaxPoolOp(IRDLOperation, FloatSemantics, FixedSemantics, Windowed, Reduction, SelectsValues, LowersToFixed):
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
            properties=sorted_props({
                "kernel": int_array(kernel),
                "strides": int_array(strides),
                "pads": int_array(pads),
                "dilations": int_array(dilations),
                "ceil_mode": IntegerAttr(int(ceil_mode), i64),
            }),
        )

    def verify_(self) -> None:
        x = shape_of(self.input)
        expected = check_shape(
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
        expect_result(self, self.output, expected)

    def evaluate_float(self, args, batch):
        return ns.max_pool(self, args[0])

    def evaluate_fixed(self, args, batch):
        return ns.max_pool(self, args[0])

    def window_geometry(self):
        return ns.pool_geometry(self)

    def reduction_groups(self) -> np.ndarray:
        return ns.window_groups(self)

    def combiner(self) -> str:
        return "max"

    def lower_to_fixed(self, lowering) -> None:
        """See `nncc.dialects.nn.to_fixed`."""
        from nncc.dialects.nn import to_fixed

        def build(x):
            return MaxPoolOp(x, self.kernel.get_values(), self.strides.get_values(), self.pads.get_values(),
                             self.dilations.get_values(), bool(self.ceil_mode.value.data))

        to_fixed.same_type(lowering, self, build)


@irdl_op_definition
class AvgPoolOp(IRDLOperation, FloatSemantics, Windowed, LowersToFixed):
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
            properties=sorted_props({
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
        expected = check_shape(
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
        expect_result(self, self.output, expected)

    def evaluate_float(self, args, batch):
        from nncc.dialects.nn.windows import avg_pool_divisor

        return ns.window_sum(self, args[0]) / avg_pool_divisor(self, args[0].shape[2:])

    def window_geometry(self):
        return ns.pool_geometry(self)

    def lower_to_fixed(self, lowering) -> None:
        """See `nncc.dialects.nn.to_fixed`."""
        from nncc.dialects.nn import to_fixed

        to_fixed.avg_pool(lowering, self)


class GlobalPoolOp(IRDLOperation, FloatSemantics):
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
        expect_result(self, self.output, x[:2] + (1,) * (len(x) - 2))


@irdl_op_definition
class GlobalAvgPoolOp(GlobalPoolOp, LowersToFixed):
    """Mean over all spatial axes. Example: `%y = nn.global_avg_pool %x : tensor<1x16x6x6xf32> -> tensor<1x16x1x1xf32>`"""

    name = "nn.global_avg_pool"

    def evaluate_float(self, args, batch):
        return np.mean(args[0], axis=tuple(range(2, args[0].ndim)), keepdims=True)

    def lower_to_fixed(self, lowering) -> None:
        """See `nncc.dialects.nn.to_fixed`."""
        from nncc.dialects.nn import to_fixed

        to_fixed.global_avg_pool(lowering, self)


@irdl_op_definition
class GlobalMaxPoolOp(GlobalPoolOp, FixedSemantics, Reduction, SelectsValues, LowersToFixed):
    """Max over all spatial axes. Example: `%y = nn.global_max_pool %x : tensor<1x16x6x6xf32> -> tensor<1x16x1x1xf32>`"""

    name = "nn.global_max_pool"

    def evaluate_float(self, args, batch):
        return np.max(args[0], axis=tuple(range(2, args[0].ndim)), keepdims=True)

    def evaluate_fixed(self, args, batch):
        return self.evaluate_float(args, batch)

    def reduction_groups(self) -> np.ndarray:
        x = shape_of(self.input)
        return ns.axis_groups(x, range(2, len(x)))

    def combiner(self) -> str:
        return "max"

    def lower_to_fixed(self, lowering) -> None:
        """See `nncc.dialects.nn.to_fixed`."""
        from nncc.dialects.nn import to_fixed

        to_fixed.same_type(lowering, self, GlobalMaxPoolOp)


# ---------------------------------------------------------------------------------------
# data movement


class DataMovement(FloatSemantics, FixedSemantics, IndexMap):
    """Type-agnostic data movement (`IndexMap`): the same kernel, `move`, moves floats at
    the `nn` level and raw integers at the fixed-point level."""

    def move(self, args: Sequence[np.ndarray], batch: int, fill) -> np.ndarray:
        """The result for operands ``args``; created elements take ``fill``."""
        raise NotImplementedError

    def evaluate_float(self, args, batch):
        return self.move(args, batch, self.fill_value())

    def evaluate_fixed(self, args, batch):
        return self.move(args, batch, self.fill_value())

    def index_table(self) -> tuple[np.ndarray, np.ndarray]:
        return ns.index_table(self, lambda args, fill: self.move(args, 1, fill))


@irdl_op_definition
class ReshapeOp(IRDLOperation, DataMovement, SelectsValues, LowersToFixed):
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
        expect_same_element(self)

    def move(self, args, batch, fill):
        return args[0].reshape(ns.result_shape(self, batch))

    def lower_to_fixed(self, lowering) -> None:
        """See `nncc.dialects.nn.to_fixed`."""
        from nncc.dialects.nn import to_fixed

        to_fixed.same_type(lowering, self, lambda x: ReshapeOp(x, tuple(self.output.type.get_shape())))


@irdl_op_definition
class FlattenOp(IRDLOperation, DataMovement, SelectsValues, LowersToFixed):
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
            properties=sorted_props({"axis": IntegerAttr(axis, i64)}),
        )

    def verify_(self) -> None:
        axis = self.axis.value.data
        if axis < 1:
            raise VerifyException(f"nn.flatten: axis {axis} would merge the batch axis")
        expected = check_shape(self, shapes.flatten_shape, shape_of(self.input), axis)
        expect_result(self, self.output, expected)

    def move(self, args, batch, fill):
        return args[0].reshape(ns.result_shape(self, batch))

    def lower_to_fixed(self, lowering) -> None:
        """See `nncc.dialects.nn.to_fixed`."""
        from nncc.dialects.nn import to_fixed

        to_fixed.same_type(lowering, self, lambda x: ReshapeOp(x, tuple(self.output.type.get_shape())))


@irdl_op_definition
class TransposeOp(IRDLOperation, DataMovement, SelectsValues, LowersToFixed):
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
            properties=sorted_props({"perm": int_array(perm)}),
        )

    def verify_(self) -> None:
        x = shape_of(self.input)
        perm = self.perm.get_values()
        if sorted(perm) != list(range(len(x))):
            raise VerifyException(f"nn.transpose: perm {list(perm)} is not a permutation of rank {len(x)}")
        if perm[0] != 0:
            raise VerifyException(f"nn.transpose: perm {list(perm)} moves the batch axis")
        expect_result(self, self.output, tuple(x[p] for p in perm))

    def move(self, args, batch, fill):
        return np.transpose(args[0], ns.ints(self.perm))

    def lower_to_fixed(self, lowering) -> None:
        """See `nncc.dialects.nn.to_fixed`."""
        from nncc.dialects.nn import to_fixed

        to_fixed.same_type(lowering, self, lambda x: TransposeOp(x, self.perm.get_values()))


@irdl_op_definition
class ConcatOp(IRDLOperation, DataMovement, LowersToFixed):
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
            properties=sorted_props({"axis": IntegerAttr(axis, i64)}),
        )

    def verify_(self) -> None:
        if not self.inputs:
            raise VerifyException("nn.concat: needs at least one input")
        rank = len(shape_of(self.inputs[0]))
        axis = self.axis.value.data
        if not 1 <= axis < rank:
            raise VerifyException(f"nn.concat: axis {axis} must be in [1, {rank}) (axis 0 is the batch)")
        expected = check_shape(self, shapes.concat_shape, [shape_of(v) for v in self.inputs], axis)
        expect_result(self, self.output, expected)
        expect_same_element(self)

    def move(self, args, batch, fill):
        return ns.concat(self, args, batch)

    def lower_to_fixed(self, lowering) -> None:
        """See `nncc.dialects.nn.to_fixed`."""
        from nncc.dialects.nn import to_fixed

        to_fixed.concat(lowering, self)


@irdl_op_definition
class PadOp(IRDLOperation, DataMovement, LowersToFixed):
    """Pad every axis but the batch (ONNX pads layout: all begins, then all ends).

    Example: `%y = nn.pad %x {mode = #nn<pad_mode constant>, pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>,
    value = 0.0 : f64} : tensor<1x3x8x8xf32> -> tensor<1x3x10x10xf32>`
    """

    name = "nn.pad"
    input = operand_def(TensorType)
    output = result_def(TensorType)
    pads = prop_def(DenseArrayBase[I64])
    mode = prop_def(PadModeAttr)
    value = prop_def(FLOAT_PROP)
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input) `->` type($output)"

    def __init__(self, input: SSAValue, pads: Sequence[int], mode: PadModeAttr, value: float):
        out = shapes.pad_shape(shape_of(input), pads)
        super().__init__(
            operands=[input],
            result_types=[TensorType(input.type.element_type, out)],
            properties=sorted_props({"pads": int_array(pads), "mode": mode, "value": FloatAttr(float(value), f64)}),
        )

    def verify_(self) -> None:
        x = shape_of(self.input)
        pads = self.pads.get_values()
        expected = check_shape(self, shapes.pad_shape, x, pads)
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
        expect_result(self, self.output, expected)

    def move(self, args, batch, fill):
        return ns.pad(self, args[0], fill)

    def fill_value(self):
        """The constant-mode value: a float, or raw at the fixed-point level (which must hold
        it exactly)."""
        from nncc.dialects.fixed.types import FixedType

        value = self.value.value.data
        element = self.input.type.element_type
        if not isinstance(element, FixedType):
            return value
        raw = value * 2.0**element.frac
        if raw != np.floor(raw):
            raise ns.SemanticsError(f"nn.pad: value {value} is not representable in {element}")
        return int(raw)

    def lower_to_fixed(self, lowering) -> None:
        """See `nncc.dialects.nn.to_fixed`."""
        from nncc.dialects.nn import to_fixed

        to_fixed.pad(lowering, self)


STRUCTURE_OPS = [
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
"""Pooling and data movement."""
