"""A toy third-party layer, used by the tests: `toy.scaled_dense`, y = (x @ W^T) * 2^shift.

It implements only the layer interfaces of `nncc.dialects.interfaces` (`FloatSemantics` on
float tensors, `FixedSemantics` on fixed-point tensors, `MacLayer`) and no nncc table knows
it: the interpreters, `dataflow-tile` and the complexity metrics handle it through the
interfaces alone.

At the fixed-point level the result is exact: raw ``(x @ W^T) << shift`` with the fraction
of the plain product (input plus weight fraction), in a type ``shift`` bits wider than the
dense accumulator. Its multiply-accumulate terms are the weights scaled by ``2^shift``.
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import I64, IntegerAttr, TensorType, i64
from xdsl.ir import Attribute, Dialect, SSAValue
from xdsl.irdl import IRDLOperation, ParsePropInAttrDict, irdl_op_definition, operand_def, prop_def, result_def, traits_def
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from nncc.dialects.encodings import TWOS_COMPLEMENT
from nncc.dialects.fixed import FixedType, accumulator_type
from nncc.dialects.fixed.semantics import exact_product
from nncc.dialects.interfaces import FixedSemantics, FloatSemantics, MacLayer, MacTerms
from nncc.dialects.nn.semantics import constant_value, dense_terms


def scaled_type(x: Attribute, w: Attribute, terms: int, shift: int) -> Attribute:
    """The result element type: the input's if float, else the exact scaled accumulator."""
    if not isinstance(x, FixedType):
        return x
    acc = accumulator_type(x, w, terms, None)
    return FixedType(acc.width.data + shift, acc.int_bits.data + shift)


@irdl_op_definition
class ScaledDenseOp(IRDLOperation, FloatSemantics, FixedSemantics, MacLayer):
    """y = (x @ W^T) * 2^shift over the last axis; W is a constant M x K, shift >= 0.

    Example: `%y = toy.scaled_dense %x, %w {shift = 3 : i64} : (tensor<1x6xf32>, tensor<4x6xf32>)
    -> tensor<1x4xf32>`
    """

    name = "toy.scaled_dense"
    input = operand_def(TensorType)
    weight = operand_def(TensorType)
    output = result_def(TensorType)
    shift = prop_def(IntegerAttr[I64])
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input `,` $weight attr-dict `:` functional-type(operands, results)"

    def __init__(self, input: SSAValue, weight: SSAValue, shift: int):
        x, w = input.type, weight.type
        element = scaled_type(x.element_type, w.element_type, w.get_shape()[1], shift)
        super().__init__(operands=[input, weight], result_types=[TensorType(element, (*x.get_shape()[:-1], w.get_shape()[0]))],
                         properties={"shift": IntegerAttr(shift, i64)})

    def verify_(self) -> None:
        x, w = tuple(self.input.type.get_shape()), tuple(self.weight.type.get_shape())
        if len(w) != 2 or x[-1] != w[1] or self.shift.value.data < 0:
            raise VerifyException(f"toy.scaled_dense: input {x} does not match weight {w}, or a negative shift")
        want = scaled_type(self.input.type.element_type, self.weight.type.element_type, w[1], self.shift.value.data)
        if self.output.type.element_type != want or tuple(self.output.type.get_shape()) != x[:-1] + (w[0],):
            raise VerifyException(f"toy.scaled_dense: result must be {x[:-1] + (w[0],)} of {want}")

    def evaluate_float(self, args, batch):
        return (args[0] @ args[1].T) * 2.0 ** self.shift.value.data

    def evaluate_fixed(self, args, batch):
        width = self.output.type.element_type.width.data
        return exact_product(lambda a, b: a @ b.T, width, args[0], args[1]) << np.int64(self.shift.value.data)

    def activation(self) -> SSAValue:
        return self.input

    def weight_encoding(self) -> Attribute:
        return TWOS_COMPLEMENT

    def fan_in(self) -> int:
        return self.weight.type.get_shape()[1]

    def mac_terms(self) -> MacTerms:
        w = np.asarray(constant_value(self.weight))
        scaled = w * 2.0 ** self.shift.value.data if w.dtype.kind == "f" else w << self.shift.value.data
        return dense_terms(self, scaled, np.zeros(w.shape[0], w.dtype))


TOY = Dialect("toy", [ScaledDenseOp], [])
