"""The complex-valued layers of the `binary_complex` dialect, at the float (`nn`) level.

ONNX has no complex type, so a complex layer arrives as a real graph on channel-concatenated
tensors: the activation ``h = x + jy`` is ``[x; y]`` along the channel axis (axis 1 of a
convolution's NC[H]W input, the last axis of a dense layer's), real parts first. A complex
layer with weights ``W = A + jB`` and bias ``c`` computes

    Re = A * x - B * y + Re(c),    Im = B * x + A * y + Im(c)

and returns ``[Re; Im]`` in the same layout: the real layer with the block weight
``[[A, -B], [B, A]]`` on ``[x; y]`` (its "real equivalent"). Two ops, carrying A and B as
separate constant operands and the bias as one ``[Re(c); Im(c)]`` vector:

* `binary_complex.complex_conv`: 1-D / 2-D convolution (A, B: M x C x k..., no groups);
* `binary_complex.complex_dense`: fully connected (A, B: M x K).

``products`` (3 or 4, default 4) is how `convert-nn-to-fixed` builds the layer:

* 4: one `fixed.conv` / `fixed.dense` with the real-equivalent weight (four real products per
  complex tap: ``A x``, ``B y``, ``B x``, ``A y``);
* 3 (Gauss): ``k1 = A (x + y)``, ``k2 = (B - A) x``, ``k3 = (A + B) y``; ``Re = k1 - k3``,
  ``Im = k1 + k2``: three real layers of M x C (x k...) weights (3/4 of the multipliers), an
  adder per input element for ``x + y`` and one per output for each of Re and Im. ``B - A``
  and ``A + B`` are computed exactly from the rounded A and B (one more integer bit), so
  both forms give the same fixed-point result, bit for bit.

`binary-complex-raise-complex-layers` makes these ops from the real graphs exporters write;
`binary-complex-set-products` chooses the form.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from xdsl.dialects.builtin import I64, DenseArrayBase, IntegerAttr, TensorType, i64
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.irdl import (
    IRDLOperation, ParsePropInAttrDict, irdl_op_definition, operand_def, opt_operand_def, opt_prop_def, prop_def,
    result_def, traits_def,
)
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from nncc.dialects.interfaces import ComplexWeights, FloatSemantics, LowersToFixed, MacLayer, MacTerms, Windowed
from nncc.dialects.nn import semantics as ns
from nncc.dialects.nn import shapes
from nncc.dialects.nn.common import check_shape, expect_result, expect_same_element, int_array, shape_of, sorted_props

PRODUCTS = (3, 4)
"""Real products per complex tap: 3 (Gauss) or 4."""


def real_equivalent(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The block weight ``[[A, -B], [B, A]]`` over (output, input) channels (axes 0 and 1)."""
    return np.concatenate([np.concatenate([a, -b], axis=1), np.concatenate([b, a], axis=1)], axis=0)


def complex_parts(w: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(A, B) when the real weight ``w`` (2M x 2C x ...) is exactly ``[[A, -B], [B, A]]``,
    else None."""
    if w.ndim < 2 or w.shape[0] % 2 or w.shape[1] % 2:
        return None
    m, c = w.shape[0] // 2, w.shape[1] // 2
    a, nb, b, a2 = w[:m, :c], w[:m, c:], w[m:, :c], w[m:, c:]
    if np.array_equal(a, a2) and np.array_equal(nb, -b):
        return a, b
    return None


class _ComplexLayer(FloatSemantics, MacLayer, LowersToFixed, ComplexWeights):
    """What both complex layers share: operands, the real-equivalent weight, the `MacLayer`
    answers (the real-equivalent layer's: 4 real products per complex tap), the
    `ComplexWeights` answers (for channel pruning) and the lowering."""

    DERIVED_WEIGHTS: ClassVar[bool] = True
    """The `MacLayer` weights are derived from two operands (no single weight operand)."""

    def parts(self) -> tuple[np.ndarray, np.ndarray]:
        """(A, B): the constant real and imaginary weights."""
        return (np.asarray(ns.constant_value(self.weight_re), np.float64),
                np.asarray(ns.constant_value(self.weight_im), np.float64))

    def bias_value(self) -> np.ndarray:
        """``[Re(c); Im(c)]`` (zeros without a bias)."""
        if self.bias is None:
            return np.zeros(2 * shape_of(self.weight_re)[0])
        return np.asarray(ns.constant_value(self.bias), np.float64).reshape(-1)

    def weight_parts(self) -> tuple[SSAValue, SSAValue]:
        return self.weight_re, self.weight_im

    def bias_operand(self) -> SSAValue | None:
        return self.bias

    def product_count(self) -> int:
        """Real products per complex tap in the fixed-point form (3 or 4)."""
        return 4 if self.products is None else self.products.value.data

    def _verify_common(self, channel_axis: int) -> tuple[int, ...]:
        a, b, x = shape_of(self.weight_re), shape_of(self.weight_im), shape_of(self.input)
        if a != b:
            raise VerifyException(f"{self.name}: real weight {a} and imaginary weight {b} differ in shape")
        if len(x) < 2 or x[channel_axis] != 2 * a[1]:
            raise VerifyException(
                f"{self.name}: input {x} must have 2 x {a[1]} = {2 * a[1]} channels [re; im] on axis "
                f"{channel_axis % max(len(x), 1)} for weights {a}")
        if self.bias is not None and shape_of(self.bias) != (2 * a[0],):
            raise VerifyException(f"{self.name}: bias shape {shape_of(self.bias)} is not ({2 * a[0]},) ([re; im])")
        if self.product_count() not in PRODUCTS:
            raise VerifyException(f"{self.name}: products must be 3 or 4, got {self.product_count()}")
        expect_same_element(self)
        return a

    # -- FloatSemantics ----------------------------------------------------------------
    def evaluate_float(self, args, batch):
        w = real_equivalent(np.asarray(args[1]), np.asarray(args[2]))
        y = self._product(np.asarray(args[0]), w)
        return y if len(args) < 4 else ns.add_channel_bias(y, np.asarray(args[3]), w.ndim == 2)

    # -- MacLayer: the real-equivalent layer ---------------------------------------------
    def activation(self) -> SSAValue:
        return self.input

    def weight_encoding(self) -> Attribute:
        from nncc.dialects.encodings import TWOS_COMPLEMENT

        return TWOS_COMPLEMENT

    def fan_in(self) -> int:
        return 2 * int(np.prod(shape_of(self.weight_re)[1:]))

    def mac_terms(self) -> MacTerms:
        return ns.mac_terms_of(self, real_equivalent(*self.parts()), self.bias_value())

    # -- LowersToFixed -------------------------------------------------------------------
    def lower_to_fixed(self, lowering) -> None:
        """See the module docstring and `nncc.dialects.binary_complex.lowering`."""
        from nncc.dialects.binary_complex import lowering as lw

        lw.lower_complex(lowering, self)


@irdl_op_definition
class ComplexConvOp(IRDLOperation, _ComplexLayer, Windowed):
    """Complex 1-D / 2-D convolution on channels [re; im]: ``[Re; Im]`` with
    ``Re = A * x - B * y``, ``Im = B * x + A * y`` (A, B: M x C x k...), plus the bias
    ``[Re(c); Im(c)]`` (2M). Pads are ONNX-ordered; ``products`` 3 selects the Gauss form.

    Example: `%y = binary_complex.complex_conv %x, %a, %b, %c {dilations = array<i64: 1, 1>,
    pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x2x8x8xf32>,
    tensor<2x1x3x3xf32>, tensor<2x1x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>`
    """

    name = "binary_complex.complex_conv"
    input = operand_def(TensorType)
    weight_re = operand_def(TensorType)
    weight_im = operand_def(TensorType)
    bias = opt_operand_def(TensorType)
    output = result_def(TensorType)
    strides = prop_def(DenseArrayBase[I64])
    pads = prop_def(DenseArrayBase[I64])
    dilations = prop_def(DenseArrayBase[I64])
    products = opt_prop_def(IntegerAttr[I64])
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = (
        "$input `,` $weight_re `,` $weight_im (`,` $bias^)? attr-dict `:` functional-type(operands, results)")

    def __init__(self, input: SSAValue, weight_re: SSAValue, weight_im: SSAValue, bias: SSAValue | None,
                 strides, pads, dilations, products: int | None = None):
        m, c, *k = shape_of(weight_re)
        out = shapes.conv_shape(shape_of(input), (2 * m, 2 * c, *k), strides, pads, dilations, 1)
        props = {"strides": int_array(strides), "pads": int_array(pads), "dilations": int_array(dilations)}
        if products is not None:
            props["products"] = IntegerAttr(products, i64)
        super().__init__(operands=[input, weight_re, weight_im, bias],
                         result_types=[TensorType(input.type.element_type, out)], properties=sorted_props(props))

    @property
    def group(self) -> IntegerAttr:
        """No groups: the real-equivalent convolution has group 1."""
        return IntegerAttr(1, i64)

    def with_parts(self, weight_re: SSAValue, weight_im: SSAValue, bias: SSAValue | None) -> Operation:
        new = ComplexConvOp(self.input, weight_re, weight_im, bias, self.strides.get_values(), self.pads.get_values(),
                            self.dilations.get_values(), None if self.products is None else self.product_count())
        new.location = self.location
        return new

    def verify_(self) -> None:
        a = self._verify_common(1)
        if len(a) not in (3, 4):
            raise VerifyException(f"{self.name}: weights must be M x C x k (1-D) or M x C x kh x kw (2-D), got {a}")
        expected = check_shape(self, shapes.conv_shape, shape_of(self.input), (2 * a[0], 2 * a[1], *a[2:]),
                               self.strides.get_values(), self.pads.get_values(), self.dilations.get_values(), 1)
        expect_result(self, self.output, expected)

    def _product(self, x: np.ndarray, w: np.ndarray) -> np.ndarray:
        return ns.conv_of(self)(x, w)

    def channel_axis(self) -> int:
        """The axis of the [re; im] channels: 1."""
        return 1

    def window_geometry(self):
        from nncc.dialects.dataflow import WindowGeometry

        x, y = shape_of(self.input), shape_of(self.output)
        kernel = shape_of(self.weight_re)[2:]
        st, dil, pads = (tuple(v.get_values()) for v in (self.strides, self.dilations, self.pads))
        if len(kernel) == 1:
            return WindowGeometry(x[1], 1, x[2], y[1], 1, (1, kernel[0]), (1, dil[0]), (1, st[0]), (0, pads[0]),
                                  (1, x[2] + pads[0] + pads[1]), (1, y[2]))
        return WindowGeometry(x[1], x[2], x[3], y[1], 1, tuple(kernel), dil, st, (pads[0], pads[1]),
                              (x[2] + pads[0] + pads[2], x[3] + pads[1] + pads[3]), (y[2], y[3]))

    def fixed_layer(self, x: SSAValue, w: SSAValue, bias: SSAValue | None) -> Operation:
        """The real `fixed.conv` of this layer's geometry on ``x`` with weight ``w``."""
        from nncc.dialects import fixed

        return fixed.ConvOp(x, w, bias, self.strides.get_values(), self.pads.get_values(),
                            self.dilations.get_values(), 1)


@irdl_op_definition
class ComplexDenseOp(IRDLOperation, _ComplexLayer):
    """Complex fully connected layer on features [re; im] (last axis): ``[Re; Im]`` with
    ``Re = x A^T - y B^T``, ``Im = x B^T + y A^T`` (A, B: M x K), plus the bias
    ``[Re(c); Im(c)]`` (2M); ``products`` 3 selects the Gauss form.

    Example: `%y = binary_complex.complex_dense %x, %a, %b, %c {products = 3 : i64} :
    (tensor<1x8xf32>, tensor<3x4xf32>, tensor<3x4xf32>, tensor<6xf32>) -> tensor<1x6xf32>`
    """

    name = "binary_complex.complex_dense"
    input = operand_def(TensorType)
    weight_re = operand_def(TensorType)
    weight_im = operand_def(TensorType)
    bias = opt_operand_def(TensorType)
    output = result_def(TensorType)
    products = opt_prop_def(IntegerAttr[I64])
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = (
        "$input `,` $weight_re `,` $weight_im (`,` $bias^)? attr-dict `:` functional-type(operands, results)")

    def __init__(self, input: SSAValue, weight_re: SSAValue, weight_im: SSAValue, bias: SSAValue | None = None,
                 products: int | None = None):
        out = TensorType(input.type.element_type, shape_of(input)[:-1] + (2 * shape_of(weight_re)[0],))
        props = {} if products is None else {"products": IntegerAttr(products, i64)}
        super().__init__(operands=[input, weight_re, weight_im, bias], result_types=[out], properties=props)

    def with_parts(self, weight_re: SSAValue, weight_im: SSAValue, bias: SSAValue | None) -> Operation:
        new = ComplexDenseOp(self.input, weight_re, weight_im, bias,
                             None if self.products is None else self.product_count())
        new.location = self.location
        return new

    def verify_(self) -> None:
        a = self._verify_common(-1)
        if len(a) != 2:
            raise VerifyException(f"{self.name}: weights must be M x K, got {a}")
        expect_result(self, self.output, shape_of(self.input)[:-1] + (2 * a[0],))

    def _product(self, x: np.ndarray, w: np.ndarray) -> np.ndarray:
        return x @ w.T

    def channel_axis(self) -> int:
        """The axis of the [re; im] features: the last."""
        return len(shape_of(self.input)) - 1

    def fixed_layer(self, x: SSAValue, w: SSAValue, bias: SSAValue | None) -> Operation:
        """The real `fixed.dense` on ``x`` with weight ``w``."""
        from nncc.dialects import fixed

        return fixed.DenseOp(x, w, bias)


COMPLEX_OPS = [ComplexConvOp, ComplexDenseOp]
