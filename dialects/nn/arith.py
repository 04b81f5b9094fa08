"""Binary element-wise arithmetic of the `nn` dialect (numpy broadcasting): add, sub, mul, div."""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import TensorType
from xdsl.ir import SSAValue
from xdsl.irdl import (
    IRDLOperation,
    irdl_op_definition,
    operand_def,
    result_def,
    traits_def,
)
from xdsl.traits import Pure

from nncc.dialects.interfaces import Elementwise, FloatSemantics, LowersToFixed
from nncc.dialects.nn import shapes
from nncc.dialects.nn.common import check_shape, expect_result, expect_same_element, shape_of


class BinaryElementwiseOp(IRDLOperation, FloatSemantics, Elementwise):
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
        expected = check_shape(self, shapes.broadcast, shape_of(self.lhs), shape_of(self.rhs))
        expect_result(self, self.output, expected)
        expect_same_element(self)


@irdl_op_definition
class AddOp(BinaryElementwiseOp, LowersToFixed):
    """Element-wise sum. Example: `%y = nn.add %a, %b : (tensor<1x8xf32>, tensor<8xf32>) -> tensor<1x8xf32>`"""

    name = "nn.add"

    def evaluate_float(self, args, batch):
        return args[0] + args[1]

    def lower_to_fixed(self, lowering) -> None:
        """See `nncc.dialects.nn.to_fixed`."""
        from nncc.dialects import fixed
        from nncc.dialects.nn import to_fixed

        to_fixed.binary(lowering, self, fixed.AddOp)


@irdl_op_definition
class SubOp(BinaryElementwiseOp, LowersToFixed):
    """Element-wise difference. Example: `%y = nn.sub %a, %b : (tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<1x8xf32>`"""

    name = "nn.sub"

    def evaluate_float(self, args, batch):
        return args[0] - args[1]

    def lower_to_fixed(self, lowering) -> None:
        """See `nncc.dialects.nn.to_fixed`."""
        from nncc.dialects import fixed
        from nncc.dialects.nn import to_fixed

        to_fixed.binary(lowering, self, fixed.SubOp)


@irdl_op_definition
class MulOp(BinaryElementwiseOp, LowersToFixed):
    """Element-wise product. Example: `%y = nn.mul %a, %b : (tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<1x8xf32>`"""

    name = "nn.mul"

    def evaluate_float(self, args, batch):
        return args[0] * args[1]

    def lower_to_fixed(self, lowering) -> None:
        """See `nncc.dialects.nn.to_fixed`."""
        from nncc.dialects import fixed
        from nncc.dialects.nn import to_fixed

        to_fixed.binary(lowering, self, fixed.MulOp)


@irdl_op_definition
class DivOp(BinaryElementwiseOp, LowersToFixed):
    """Element-wise quotient. Example: `%y = nn.div %a, %b : (tensor<1x8xf32>, tensor<1xf32>) -> tensor<1x8xf32>`"""

    name = "nn.div"

    def evaluate_float(self, args, batch):
        return args[0] / args[1]

    def lower_to_fixed(self, lowering) -> None:
        """See `nncc.dialects.nn.to_fixed`."""
        from nncc.dialects.nn import to_fixed

        to_fixed.divide(lowering, self)


ARITH_OPS = [AddOp, SubOp, MulOp, DivOp]
"""The binary arithmetic ops."""
