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
from xdsl.dialects.builtin import I64, DenseArrayBase, IntegerAttr, TensorType, i64
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

from nncc.dialects.interfaces import FixedSemantics, FloatSemantics, Reduction, SelectsValues
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


@irdl_op_definition
class KwtaOp(IRDLOperation, FloatSemantics, FixedSemantics, Reduction, SelectsValues, LowersToFixed):
    """k-winners-take-all along one axis: an element is kept when fewer than ``k`` elements
    of its line are strictly larger, otherwise it becomes zero (ties at the k-th value are
    all kept: the element is at least the k-th largest, the form a model exported as
    TopK / GreaterOrEqual / Where computes). Type-agnostic like the pools: it selects
    values, so it also runs on fixed-point tensors.

    Example: `%y = nn.kwta %x {axis = 1 : i64, k = 8 : i64} : tensor<1x32xf32> -> tensor<1x32xf32>`
    """

    name = "nn.kwta"
    input = operand_def(TensorType)
    output = result_def(TensorType)
    k = prop_def(IntegerAttr[I64])
    axis = prop_def(IntegerAttr[I64])
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input) `->` type($output)"

    def __init__(self, input: SSAValue, k: int, axis: int):
        super().__init__(
            operands=[input], result_types=[input.type],
            properties=sorted_props({"k": IntegerAttr(k, i64), "axis": IntegerAttr(axis, i64)}),
        )

    def verify_(self) -> None:
        x = shape_of(self.input)
        axis, k = self.axis.value.data, self.k.value.data
        if not 1 <= axis < len(x):
            raise VerifyException(f"{self.name}: axis {axis} must be a non-batch axis of rank {len(x)}")
        if not 1 <= k <= x[axis]:
            raise VerifyException(f"{self.name}: k = {k} must be in [1, {x[axis]}] (the length of axis {axis})")
        expect_result(self, self.output, x)
        expect_same_element(self)

    def evaluate_float(self, args, batch):
        x = args[0]
        axis = self.axis.value.data
        line = np.moveaxis(x, axis, -1)
        larger = (line[..., None, :] > line[..., :, None]).sum(axis=-1)  # per element: strictly larger ones
        kept = np.where(larger < self.k.value.data, line, np.zeros((), line.dtype))
        return np.moveaxis(kept, -1, axis)

    def evaluate_fixed(self, args, batch):
        return self.evaluate_float(args, batch)

    def reduction_groups(self) -> np.ndarray:
        """Per element its line along ``axis``, itself first (the others in axis order)."""
        x = shape_of(self.input)
        axis = self.axis.value.data
        lines = ns.axis_groups(x, (axis,))  # [positions, L]: the elements of each line
        count = lines.shape[1]
        order = np.array([[i] + [j for j in range(count) if j != i] for i in range(count)], np.int64)  # self first
        out = np.empty((lines.size, count), np.int64)
        out[lines.reshape(-1)] = lines[:, order].reshape(-1, count)
        return out

    def combiner(self) -> str:
        return "kwta"

    def winners(self) -> int:
        return self.k.value.data

    def lower_to_fixed(self, lowering) -> None:
        """See `nncc.dialects.nn.to_fixed`."""
        from nncc.dialects.nn import to_fixed

        to_fixed.same_type(lowering, self, lambda x: KwtaOp(x, self.k.value.data, self.axis.value.data))


SELECTION_OPS = [GatherOp, ReduceSumOp, ReduceMeanOp, ReduceMaxOp, ReduceMinOp, KwtaOp]
"""Index-table selection and reductions."""
