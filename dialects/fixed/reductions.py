"""Pooling and reductions of the `fixed` dialect: exact window and axis sums and maxima
(averages multiply by a reciprocal afterwards)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from xdsl.dialects.builtin import (
    I64,
    DenseArrayBase,
    IntegerAttr,
    TensorType,
    i64,
)
from xdsl.ir import SSAValue
from xdsl.irdl import (
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_op_definition,
    operand_def,
    prop_def,
    result_def,
    traits_def,
)
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from nncc.dialects.fixed.types import (
    FixedType,
    window_sum_type,
)
from nncc.dialects.nn import shapes
from nncc.dialects.fixed.common import expect_equal, fixed_of, int_array, shape_of, sorted_props
from nncc.dialects.interfaces import FixedSemantics, Reduction, Windowed
from nncc.dialects.nn.semantics import axis_groups, pool_geometry, window_groups, window_sum


@irdl_op_definition
class SumPoolOp(IRDLOperation, FixedSemantics, Windowed, Reduction):
    """Sum over 1-D/2-D windows (zero padding), exact: the numerator of average pooling.

    Example: `%s = fixed.sum_pool %x {ceil_mode = 0 : i64, kernel = array<i64: 2>, pads = array<i64: 0, 0>,
    strides = array<i64: 2>} : tensor<1x8x12x!fixed.q<16, 2>> -> tensor<1x8x6x!fixed.q<17, 3>>`
    """

    name = "fixed.sum_pool"
    input = operand_def(TensorType)
    output = result_def(TensorType)
    kernel = prop_def(DenseArrayBase[I64])
    strides = prop_def(DenseArrayBase[I64])
    pads = prop_def(DenseArrayBase[I64])
    ceil_mode = prop_def(IntegerAttr[I64])
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input) `->` type($output)"

    def __init__(self, input, kernel, strides, pads, ceil_mode: bool):
        x = shape_of(input)
        out = shapes.window_shape(x, x[1], kernel, strides, pads, [1] * len(kernel), ceil_mode)
        typ = window_sum_type(fixed_of(input), int(np.prod(kernel)))
        super().__init__(
            operands=[input],
            result_types=[TensorType(typ, out)],
            properties=sorted_props(
                {
                    "kernel": int_array(kernel),
                    "strides": int_array(strides),
                    "pads": int_array(pads),
                    "ceil_mode": IntegerAttr(int(ceil_mode), i64),
                }
            ),
        )

    def verify_(self) -> None:
        x = shape_of(self.input)
        kernel = self.kernel.get_values()
        try:
            expected = shapes.window_shape(
                x, x[1], kernel, self.strides.get_values(), self.pads.get_values(), (1,) * len(kernel),
                bool(self.ceil_mode.value.data),
            )
        except ValueError as err:
            raise VerifyException(f"fixed.sum_pool: {err}") from None
        expect_equal(self, "result shape", shape_of(self.output), expected)
        expect_equal(self, "result type", fixed_of(self.output), window_sum_type(fixed_of(self.input), int(np.prod(kernel))))

    def evaluate_fixed(self, args, batch):
        return window_sum(self, np.asarray(args[0], np.int64))

    def window_geometry(self):
        return pool_geometry(self)

    def reduction_groups(self) -> np.ndarray:
        return window_groups(self)

    def combiner(self) -> str:
        return "sum"


class _ReduceOp(IRDLOperation, FixedSemantics, Reduction):
    input = operand_def(TensorType)
    output = result_def(TensorType)
    axes = prop_def(DenseArrayBase[I64])
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input) `->` type($output)"

    def result_type(self, x: FixedType, count: int) -> FixedType:
        raise NotImplementedError

    def __init__(self, input: SSAValue, axes: Sequence[int]):
        x = shape_of(input)
        out = tuple(1 if i in axes else d for i, d in enumerate(x))
        count = int(np.prod([x[a] for a in axes]))
        super().__init__(
            operands=[input],
            result_types=[TensorType(self.result_type(fixed_of(input), count), out)],
            properties={"axes": int_array(axes)},
        )

    def verify_(self) -> None:
        x = shape_of(self.input)
        axes = self.axes.get_values()
        if not axes or any(not 1 <= a < len(x) for a in axes) or len(set(axes)) != len(axes):
            raise VerifyException(f"{self.name}: axes {list(axes)} must be distinct non-batch axes of rank {len(x)}")
        expect_equal(self, "result shape", shape_of(self.output), tuple(1 if i in axes else d for i, d in enumerate(x)))
        count = int(np.prod([x[a] for a in axes]))
        expect_equal(self, "result type", fixed_of(self.output), self.result_type(fixed_of(self.input), count))

    def evaluate_fixed(self, args, batch):
        reduce = np.sum if self.combiner() == "sum" else np.max
        return reduce(np.asarray(args[0], np.int64), axis=tuple(self.axes.get_values()), keepdims=True)

    def reduction_groups(self) -> np.ndarray:
        return axis_groups(shape_of(self.input), tuple(self.axes.get_values()))


@irdl_op_definition
class ReduceSumOp(_ReduceOp):
    """Exact sum over axes, kept as size-1 axes (global average pooling, softmax).

    Example: `%s = fixed.reduce_sum %x {axes = array<i64: 2, 3>} : tensor<1x16x6x6x!fixed.q<16, 4>>
    -> tensor<1x16x1x1x!fixed.q<22, 10>>`
    """

    name = "fixed.reduce_sum"

    def result_type(self, x: FixedType, count: int) -> FixedType:
        return window_sum_type(x, count)

    def combiner(self) -> str:
        return "sum"


@irdl_op_definition
class ReduceMaxOp(_ReduceOp):
    """Maximum over axes, kept as size-1 axes; same type.

    Example: `%m = fixed.reduce_max %x {axes = array<i64: 1>} : tensor<1x5x!fixed.q<16, 6>> -> tensor<1x1x!fixed.q<16, 6>>`
    """

    name = "fixed.reduce_max"

    def result_type(self, x: FixedType, count: int) -> FixedType:
        return x

    def combiner(self) -> str:
        return "max"
