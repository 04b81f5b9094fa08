"""Index-table selection and reductions of the `nn` dialect.

`nn.gather` selects flat elements of each sample by a compile-time index table: the one
data-movement op that Slice, Gather, Split, DepthToSpace, SpaceToDepth, nearest Resize and
the zero insertion of ConvTranspose become. Like the other data-movement ops it is
type-agnostic and also runs on fixed-point tensors. The reductions keep reduced axes as
size-1 axes (ONNX keepdims=0 is a following `nn.reshape`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from xdsl.dialects.builtin import I64, DenseArrayBase, TensorType
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

from nncc.dialects.interfaces import FloatSemantics, Reduction, SelectsValues
from nncc.dialects.nn import semantics as ns
from nncc.dialects.nn.common import expect_result, expect_same_element, int_array, shape_of, sorted_props
from nncc.dialects.nn.structure import DataMovement
from nncc.dialects.interfaces import LowersToFixed


@irdl_op_definition
class GatherOp(IRDLOperation, DataMovement, SelectsValues, LowersToFixed):
    """Select elements of each sample by flat index: output element i (row-major over the
    non-batch axes) is input element `indices[i]` of the same sample, or zero where the
    index is -1.

    Example: `%y = nn.gather %x {indices = array<i64: 3, 2, 1, 0, -1>} : tensor<1x4xf32> -> tensor<1x5xf32>`
    """

    name = "nn.gather"
    input = operand_def(TensorType)
    output = result_def(TensorType)
    indices = prop_def(DenseArrayBase[I64])
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input) `->` type($output)"

    def __init__(self, input: SSAValue, indices: Sequence[int], shape: Sequence[int]):
        super().__init__(
            operands=[input],
            result_types=[TensorType(input.type.element_type, tuple(int(d) for d in shape))],
            properties=sorted_props({"indices": int_array(indices)}),
        )

    def table(self) -> np.ndarray:
        """The index table as an int64 array (one entry per output element of a sample)."""
        return np.asarray(self.indices.get_values(), np.int64)

    def verify_(self) -> None:
        x, y = shape_of(self.input), shape_of(self.output)
        if not x or not y or x[0] != y[0]:
            raise VerifyException(f"nn.gather: {x} -> {y} changes the batch axis")
        table = self.table()
        count, size = int(np.prod(y[1:])), int(np.prod(x[1:]))
        if table.size != count:
            raise VerifyException(f"nn.gather: {table.size} indices for {count} output elements per sample")
        if table.size and (table.min() < -1 or table.max() >= size):
            raise VerifyException(
                f"nn.gather: indices must be in [-1, {size}), got [{int(table.min())}, {int(table.max())}]"
            )
        expect_same_element(self)

    def move(self, args, batch, fill):
        return ns.gather(self, args[0], fill)

    def lower_to_fixed(self, lowering) -> None:
        """See `nncc.dialects.nn.to_fixed`."""
        from nncc.dialects.nn import to_fixed

        to_fixed.same_type(lowering, self, lambda x: GatherOp(x, self.indices.get_values(), self.output.type.get_shape()))


class ReduceOp(IRDLOperation, FloatSemantics):
    """Base of the reductions over non-batch axes (reduced axes kept with size 1)."""

    input = operand_def(TensorType)
    output = result_def(TensorType)
    axes = prop_def(DenseArrayBase[I64])
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input) `->` type($output)"

    def __init__(self, input: SSAValue, axes: Sequence[int]):
        x = shape_of(input)
        out = tuple(1 if i in axes else d for i, d in enumerate(x))
        super().__init__(
            operands=[input],
            result_types=[TensorType(input.type.element_type, out)],
            properties=sorted_props({"axes": int_array(sorted(axes))}),
        )

    def axis_tuple(self) -> tuple[int, ...]:
        """The reduced axes."""
        return tuple(int(a) for a in self.axes.get_values())

    def verify_(self) -> None:
        x = shape_of(self.input)
        axes = self.axis_tuple()
        if not axes or any(not 1 <= a < len(x) for a in axes) or len(set(axes)) != len(axes):
            raise VerifyException(f"{self.name}: axes {list(axes)} must be distinct non-batch axes of rank {len(x)}")
        expect_result(self, self.output, tuple(1 if i in axes else d for i, d in enumerate(x)))
        expect_same_element(self)

    def reduction_groups(self) -> np.ndarray:
        """`Reduction.reduction_groups` (for the sum and max reductions)."""
        return ns.axis_groups(shape_of(self.input), self.axis_tuple())


@irdl_op_definition
class ReduceSumOp(ReduceOp, Reduction, LowersToFixed):
    """Sum over axes. Example: `%y = nn.reduce_sum %x {axes = array<i64: 2>} : tensor<1x4x6xf32> -> tensor<1x4x1xf32>`"""

    name = "nn.reduce_sum"

    def evaluate_float(self, args, batch):
        return np.sum(args[0], axis=self.axis_tuple(), keepdims=True)

    def combiner(self) -> str:
        return "sum"

    def lower_to_fixed(self, lowering) -> None:
        """See `nncc.dialects.nn.to_fixed`."""
        from nncc.dialects.nn import to_fixed

        to_fixed.reduce(lowering, self, "sum")


@irdl_op_definition
class ReduceMeanOp(ReduceOp, LowersToFixed):
    """Mean over axes. Example: `%y = nn.reduce_mean %x {axes = array<i64: 1, 2>} : tensor<1x4x6xf32> -> tensor<1x1x1xf32>`"""

    name = "nn.reduce_mean"

    def evaluate_float(self, args, batch):
        return np.mean(args[0], axis=self.axis_tuple(), keepdims=True)

    def lower_to_fixed(self, lowering) -> None:
        """See `nncc.dialects.nn.to_fixed`."""
        from nncc.dialects.nn import to_fixed

        to_fixed.reduce(lowering, self, "mean")


@irdl_op_definition
class ReduceMaxOp(ReduceOp, Reduction, LowersToFixed):
    """Maximum over axes. Example: `%y = nn.reduce_max %x {axes = array<i64: 1>} : tensor<1x4x6xf32> -> tensor<1x1x6xf32>`"""

    name = "nn.reduce_max"

    def evaluate_float(self, args, batch):
        return np.max(args[0], axis=self.axis_tuple(), keepdims=True)

    def combiner(self) -> str:
        return "max"

    def lower_to_fixed(self, lowering) -> None:
        """See `nncc.dialects.nn.to_fixed`."""
        from nncc.dialects.nn import to_fixed

        to_fixed.reduce(lowering, self, "max")


@irdl_op_definition
class ReduceMinOp(ReduceOp, LowersToFixed):
    """Minimum over axes. Example: `%y = nn.reduce_min %x {axes = array<i64: 1>} : tensor<1x4x6xf32> -> tensor<1x1x6xf32>`"""

    name = "nn.reduce_min"

    def evaluate_float(self, args, batch):
        return np.min(args[0], axis=self.axis_tuple(), keepdims=True)

    def lower_to_fixed(self, lowering) -> None:
        """See `nncc.dialects.nn.to_fixed`."""
        from nncc.dialects.nn import to_fixed

        to_fixed.reduce(lowering, self, "min")


SELECTION_OPS = [GatherOp, ReduceSumOp, ReduceMeanOp, ReduceMaxOp, ReduceMinOp]
"""Index-table selection and reductions."""
