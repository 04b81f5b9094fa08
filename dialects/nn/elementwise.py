"""Element-wise `nn` ops added for the ONNX unary functions and variadic Max/Min: one
generic activation over `unary_functions.FUNCTIONS` and the binary maximum/minimum."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from xdsl.dialects.builtin import DenseArrayBase, Float64Type, StringAttr, f64
from xdsl.ir import SSAValue
from xdsl.irdl import ParsePropInAttrDict, irdl_op_definition, opt_prop_def, prop_def
from xdsl.utils.exceptions import VerifyException

from nncc.dialects import unary_functions
from nncc.dialects.interfaces import Elementwise
from nncc.dialects.nn.arith import BinaryElementwiseOp
from nncc.dialects.nn.ops import UnaryElementwiseOp
from nncc.dialects.interfaces import LowersToFixed


@irdl_op_definition
class ActivationOp(UnaryElementwiseOp, Elementwise, LowersToFixed):
    """y = f(x; params) element-wise for a function f of `unary_functions.FUNCTIONS`
    (Elu, Selu, Softplus, Softsign, Mish, Gelu, Erf, Exp, Log, Sqrt, Reciprocal, Pow, ...).

    Example: `%y = nn.activation %x {function = "elu", params = array<f64: 1.0>} : tensor<1x8xf32>`
    """

    name = "nn.activation"
    function = prop_def(StringAttr)
    params = opt_prop_def(DenseArrayBase[Float64Type])
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input)"

    def __init__(self, input: SSAValue, function: str, params: Sequence[float] = ()):
        props = {"function": StringAttr(function)}
        if params:
            props["params"] = DenseArrayBase.from_list(f64, [float(p) for p in params])
        super().__init__(input, **props)

    def parameters(self) -> tuple[float, ...]:
        """The function's constant parameters (empty if it has none)."""
        return tuple(float(v) for v in self.params.get_values()) if self.params is not None else ()

    def verify_(self) -> None:
        problem = unary_functions.check(self.function.data, self.parameters())
        if problem is not None:
            raise VerifyException(f"nn.activation: {problem}")

    def evaluate_float(self, args, batch):
        return unary_functions.evaluate(self.function.data, args[0], self.parameters())

    def lower_to_fixed(self, lowering) -> None:
        """See `nncc.dialects.nn.to_fixed`."""
        from nncc.dialects.nn import to_fixed

        to_fixed.unary_function(lowering, self)


@irdl_op_definition
class MaxOp(BinaryElementwiseOp, LowersToFixed):
    """Element-wise maximum. Example: `%y = nn.max %a, %b : (tensor<1x8xf32>, tensor<8xf32>) -> tensor<1x8xf32>`"""

    name = "nn.max"

    def evaluate_float(self, args, batch):
        return np.maximum(args[0], args[1])

    def lower_to_fixed(self, lowering) -> None:
        """See `nncc.dialects.nn.to_fixed`."""
        from nncc.dialects.nn import to_fixed

        to_fixed.extremum(lowering, self, True)


@irdl_op_definition
class MinOp(BinaryElementwiseOp, LowersToFixed):
    """Element-wise minimum. Example: `%y = nn.min %a, %b : (tensor<1x8xf32>, tensor<8xf32>) -> tensor<1x8xf32>`"""

    name = "nn.min"

    def evaluate_float(self, args, batch):
        return np.minimum(args[0], args[1])

    def lower_to_fixed(self, lowering) -> None:
        """See `nncc.dialects.nn.to_fixed`."""
        from nncc.dialects.nn import to_fixed

        to_fixed.extremum(lowering, self, False)


ELEMENTWISE_OPS = [ActivationOp, MaxOp, MinOp]
"""The generic activation and the binary maximum / minimum."""
