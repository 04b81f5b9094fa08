"""`binary_complex.xnor_conv`: a binary x binary convolution as XNOR and popcount.

The convolution of a +-1 feature map with constant +-1 weights, computed per output as
``2 * popcount(XNOR(window bits, weight bits)) - K_valid``: each tap whose input bit (the
element's sign bit, 1 when it is >= 0) agrees with its weight bit adds +1, each other tap
-1, and a tap in the zero padding adds 0. Zero is not +-1, so the layer cannot treat a
padded tap as a bit: it counts the window's valid taps instead. A +-1 raw value is odd and
the padding's zero is even, so the hardware reads validity from the element's lowest raw
bit (no separate padding flag in the line buffer), and this op's semantics are defined the
same way: a tap whose raw value is even (zero padding, or a non-+-1 value) adds 0. On a
+-1 input that is exactly the fixed-point convolution (`fixed.conv` with the same
operands), which is what `binary-complex-replace-conv-with-xnor` relies on.

The operands, properties and result type are those of the `fixed.conv` it replaces (group
1, an optional constant bias at any fraction): the result is the exact accumulator
``(2 * popcount - K_valid) << s + bias``, ``s`` the accumulator's fraction beyond the
products' (0 unless the bias is finer than an integer).
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import I64, DenseArrayBase, IntegerAttr, TensorType, i64
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    IRDLOperation, ParsePropInAttrDict, irdl_op_definition, operand_def, opt_operand_def, prop_def, result_def,
    traits_def,
)
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from nncc.dialects.encodings import BinaryAttr
from nncc.dialects.fixed import raw_constant
from nncc.dialects.fixed.common import expect_equal, fixed_of, int_array, shape_of, sorted_props
from nncc.dialects.fixed.ops import aligned_bias, aligned_weights
from nncc.dialects.fixed.types import accumulator_type
from nncc.dialects.interfaces import FixedSemantics, MacLayer, MacTerms, PopcountLayer, Windowed
from nncc.dialects.nn import shapes
from nncc.dialects.nn.semantics import conv_terms

BINARY_WEIGHTS = BinaryAttr(0)


def window_popcount(x: np.ndarray, index: np.ndarray, channel: np.ndarray, w_bits: np.ndarray) -> np.ndarray:
    """Per sample and output row ``o`` (`MacTerms` order: ``index[o]`` the flat input elements
    of its window, -1 in the padding; ``channel[o]`` its weight row of ``w_bits`` [M, K]):
    ``2 * agreeing - valid`` over the taps whose raw value is odd (valid), agreeing when the
    element's sign bit (1 when >= 0) equals the weight bit. ``x`` is [N, elements] raw."""
    n = x.shape[0]
    padded = np.concatenate([x, np.zeros((n, 1), x.dtype)], axis=1)  # index -1 reads the zero
    out = np.empty((n, index.shape[0]), np.int64)
    rows = max(1, (1 << 22) // max(1, index.size))  # samples per chunk: a few MB of taps
    for lo in range(0, n, rows):
        g = padded[lo:lo + rows][:, index]  # [n, O, K]
        valid = (g & 1).astype(bool)
        agree = ((g >= 0) == w_bits[channel][None].astype(bool)) & valid
        out[lo:lo + rows] = 2 * agree.sum(axis=-1, dtype=np.int64) - valid.sum(axis=-1, dtype=np.int64)
    return out


@irdl_op_definition
class XnorConvOp(IRDLOperation, FixedSemantics, MacLayer, PopcountLayer, Windowed):
    """Binary convolution (group 1): per output ``(2 * popcount(XNOR(bits(window), bits(w_m)))
    - K_valid) << s + bias[m]``, taps with an even raw value (the zero padding) counted in
    neither term (module docstring). Operands, properties and result type as `fixed.conv`.

    Example: `%y = binary_complex.xnor_conv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64,
    pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8x!fixed.q<2, 2>>,
    tensor<8x4x3x3x!fixed.q<2, 2>>) -> tensor<1x8x8x8x!fixed.q<10, 10>>`
    """

    name = "binary_complex.xnor_conv"
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

    def __init__(self, input: SSAValue, weight: SSAValue, bias: SSAValue | None, strides, pads, dilations):
        w = shape_of(weight)
        out = shapes.conv_shape(shape_of(input), w, strides, pads, dilations, 1)
        acc = accumulator_type(fixed_of(input), fixed_of(weight), int(np.prod(w[1:])), fixed_of(bias) if bias else None)
        super().__init__(
            operands=[input, weight, bias], result_types=[TensorType(acc, out)],
            properties=sorted_props({"strides": int_array(strides), "pads": int_array(pads),
                                     "dilations": int_array(dilations), "group": IntegerAttr(1, i64)}))

    def verify_(self) -> None:
        w = shape_of(self.weight)
        if self.group.value.data != 1:
            raise VerifyException(f"binary_complex.xnor_conv: group must be 1, got {self.group.value.data}")
        try:
            expected_shape = shapes.conv_shape(shape_of(self.input), w, self.strides.get_values(),
                                               self.pads.get_values(), self.dilations.get_values(), 1)
        except ValueError as err:
            raise VerifyException(f"binary_complex.xnor_conv: {err}") from None
        x_frac, w_frac = fixed_of(self.input).frac, fixed_of(self.weight).frac
        if x_frac + w_frac != 0:
            raise VerifyException(f"binary_complex.xnor_conv: products must be integers, input fraction {x_frac} "
                                  f"plus weight fraction {w_frac} is not 0")
        bias = None
        if self.bias is not None:
            expect_equal(self, "bias shape", shape_of(self.bias), (w[0],))
            bias = fixed_of(self.bias)
            if raw_constant(self.bias) is None:
                raise VerifyException("binary_complex.xnor_conv: the bias must be a fixed.constant")
        expect_equal(self, "result shape", shape_of(self.output), expected_shape)
        expected = accumulator_type(fixed_of(self.input), fixed_of(self.weight), int(np.prod(w[1:])), bias)
        expect_equal(self, "accumulator type", fixed_of(self.output), expected)
        BINARY_WEIGHTS.verify_weights(self.name, raw_constant(self.weight))

    def evaluate_fixed(self, args, batch):
        x = np.asarray(args[0], np.int64)
        terms = conv_terms(self, raw_constant(self.weight), np.zeros(shape_of(self.weight)[0], np.int64))
        y = window_popcount(x.reshape(x.shape[0], -1), terms.index, terms.channel, self.weight_bits())
        shift = fixed_of(self.output).frac - fixed_of(self.input).frac - fixed_of(self.weight).frac
        y = (y << shift) + aligned_bias(self, shape_of(self.weight)[0])[terms.channel][None]
        out = shape_of(self.output)
        # MacTerms rows are channel-major (channel m, then its positions): the output's order
        return y.reshape((x.shape[0],) + out[1:])

    # -- MacLayer: the +-1 weights times the activation (exact on a +-1 input) ------------
    def activation(self) -> SSAValue:
        return self.input

    def weight_encoding(self) -> Attribute:
        return BINARY_WEIGHTS

    def fan_in(self) -> int:
        return int(np.prod(shape_of(self.weight)[1:]))

    def accumulator_type(self) -> Attribute:
        return fixed_of(self.output)

    def mac_terms(self) -> MacTerms:
        raw = raw_constant(self.weight)
        return conv_terms(self, aligned_weights(self, raw), aligned_bias(self, shape_of(self.weight)[0]))

    # -- PopcountLayer / Windowed ---------------------------------------------------------
    def weight_bits(self) -> np.ndarray:
        """[M, C * kh * kw]: 1 where the weight is +1 (the weights' (c, kh, kw) order)."""
        raw = raw_constant(self.weight)
        return (raw.reshape(raw.shape[0], -1) >= 0).astype(np.uint8)

    def window_geometry(self):
        from nncc.dialects.dataflow import window_geometry

        return window_geometry(self)
