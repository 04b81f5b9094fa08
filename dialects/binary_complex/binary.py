"""The binarized layers of the `binary_complex` dialect, at the fixed-point level.

A binarized network computes with +-1 values held as bits: the bit of a value is 1 when it
is >= 0 (its sign bit is 0), so +1 is 1 and -1 is 0. Two ops:

* `binary_complex.xnor_dense`: a fully connected layer on +-1 activations and constant +-1
  weights. Output ``o`` is ``2 * popcount(XNOR(a, w_o)) - K`` over the K bits of the
  activation ``a`` and of the weight row ``w_o``: the dot product of the +-1 operands,
  exactly (each agreeing pair adds +1, each disagreeing one -1). The activation's bits are
  its elements' sign bits, so any fixed type may feed it; the weight operand holds the raw
  weights, every one +1 or -1 (the `#encoding.binary<shift = 0>` promise). The result is an
  integer in [-K, K]. No multiplier: a K-bit XNOR and a popcount per output.
* `binary_complex.threshold`: one integer comparison per element against a per-channel
  threshold, with a per-channel direction: ``+1`` if ``x >= t_c`` (direction +1) or
  ``x <= t_c`` (direction -1), else ``-1``. This is batch normalization followed by a sign,
  folded (by `binary-complex-fold-threshold` through `binary_complex.sign_threshold`: the
  direction is the sign of gamma, and a zero gamma gives a constant output); its result is
  the +-1 input of the next binary layer.
"""

from __future__ import annotations


import numpy as np
from xdsl.dialects.builtin import DenseArrayBase, I64, TensorType
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import IRDLOperation, ParsePropInAttrDict, irdl_op_definition, operand_def, prop_def, result_def, traits_def
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from nncc.dialects.encodings import BinaryAttr
from nncc.dialects.fixed import FixedType, raw_constant
from nncc.dialects.fixed.common import expect_fixed, fixed_of, int_array, shape_of, sorted_props
from nncc.dialects.fixed.quantization import signed_width
from nncc.dialects.interfaces import ElementFunction, ElementKernel, Elementwise, FixedSemantics, IndexMap, MacLayer, MacTerms, PopcountLayer, Reduction
from nncc.dialects.nn.semantics import dense_terms

BIPOLAR = FixedType(2, 2)
"""The type of a +-1 value: raw -1 or +1 (the result of `binary_complex.threshold`)."""

BINARY_WEIGHTS = BinaryAttr(0)


def popcount_type(terms: int) -> FixedType:
    """The exact type of ``2 * popcount - terms``: integers in [-terms, terms]."""
    width = max(2, signed_width(-terms, terms))
    return FixedType(width, width)


def bits_of(raw: np.ndarray) -> np.ndarray:
    """The bits of +-1 values: 1 where the raw value is >= 0 (sign bit 0), else 0."""
    return (np.asarray(raw) >= 0).astype(np.uint8)


def xnor_popcount(a_bits: np.ndarray, w_bits: np.ndarray) -> np.ndarray:
    """``2 * popcount(XNOR(a, w)) - K`` for activation bits [N, K] and weight bits [M, K],
    on bits packed 8 to a byte (the count of agreeing positions, the padding excluded)."""
    k = a_bits.shape[-1]
    a = np.packbits(a_bits, axis=-1)
    w = np.packbits(w_bits, axis=-1)
    xnor = ~(a[:, None, :] ^ w[None, :, :])
    agree = np.unpackbits(xnor, axis=-1, count=k).sum(axis=-1, dtype=np.int64)
    return 2 * agree - k


def complex_xnor_popcount(x_bits: np.ndarray, y_bits: np.ndarray, a_bits: np.ndarray,
                          b_bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The binarized complex dot product of activations ``x + jy`` [N, K] with weight rows
    ``A + jB`` [M, K], every part +-1 held as a bit (`bits_of`), as two popcounts over 2K bits:

        Re = sum(A x - B y) = 2 * popcount([XNOR(A, x), XOR(B, y)]) - 2K
        Im = sum(B x + A y) = 2 * popcount([XNOR(B, x), XNOR(A, y)]) - 2K

    (``-B y`` is an XOR: the product of +-1 values is +1 exactly when their bits agree). The
    real and imaginary parts are exact integers in [-2K, 2K] of the same parity as 2K."""
    k = x_bits.shape[-1]
    xb, yb = (np.packbits(v, axis=-1)[:, None, :] for v in (x_bits, y_bits))
    ab, bb = (np.packbits(v, axis=-1)[None, :, :] for v in (a_bits, b_bits))

    def count(bits: np.ndarray) -> np.ndarray:
        return np.unpackbits(bits, axis=-1, count=k).sum(axis=-1, dtype=np.int64)

    re = count(~(ab ^ xb)) + count(bb ^ yb)
    im = count(~(bb ^ xb)) + count(~(ab ^ yb))
    return 2 * re - 2 * k, 2 * im - 2 * k


def holds_bipolar(value: SSAValue) -> bool:
    """Whether every raw element of ``value`` is provably -1 or +1: the result of a
    `binary_complex.threshold`, of an element-wise table whose entries are all -1 or +1 (the
    lowering of `nn.sign` / QONNX BipolarQuant with a power-of-two scale), or of ops that only
    copy such elements (an `IndexMap` with no fill, a max `Reduction` whose groups are not
    empty: a max of +-1 values is +-1)."""
    op = value.owner
    if isinstance(op, ThresholdOp):
        return True
    if isinstance(op, ElementKernel) and len(op.operands) == 1:
        fn = op.element_function()
        return fn.kind == "lut" and fn.table is not None and bool(np.isin(fn.table, (-1, 1)).all())
    if isinstance(op, IndexMap) and len(op.operands) == 1:
        _, element = op.index_table()
        return bool((np.asarray(element) >= 0).all()) and holds_bipolar(op.operands[0])
    if isinstance(op, Reduction) and len(op.operands) == 1 and op.combiner() == "max":
        groups = np.asarray(op.reduction_groups())
        return bool((groups >= 0).any(axis=1).all()) and holds_bipolar(op.operands[0])
    return False


def _expect_result(op, want: TensorType) -> None:
    if op.output.type != want:
        raise VerifyException(f"{op.name}: result must be {want}, got {op.output.type}")


@irdl_op_definition
class XnorDenseOp(IRDLOperation, FixedSemantics, MacLayer, PopcountLayer):
    """Binary fully connected layer: ``y[..., o] = 2 * popcount(XNOR(bits(x), bits(w_o))) - K``,
    the exact dot product of the +-1 activation (an element's sign: +1 when >= 0) and the
    constant +-1 weights (raw +1 / -1, M x K). The result is `popcount_type(K)`.

    Example: `%y = binary_complex.xnor_dense %x, %w : (tensor<1x8x!fixed.q<2, 2>>,
    tensor<4x8x!fixed.q<2, 2>>) -> tensor<1x4x!fixed.q<5, 5>>`
    """

    name = "binary_complex.xnor_dense"
    input = operand_def(TensorType)
    weight = operand_def(TensorType)
    output = result_def(TensorType)
    traits = traits_def(Pure())
    assembly_format = "$input `,` $weight attr-dict `:` functional-type(operands, results)"

    def __init__(self, input: SSAValue, weight: SSAValue):
        m, k = shape_of(weight)
        out = TensorType(popcount_type(k), shape_of(input)[:-1] + (m,))
        super().__init__(operands=[input, weight], result_types=[out])

    def verify_(self) -> None:
        x, w = shape_of(self.input), shape_of(self.weight)
        if len(w) != 2 or len(x) < 2 or x[-1] != w[1]:
            raise VerifyException(f"binary_complex.xnor_dense: input {x} does not match weight {w} (M x K)")
        expect_fixed(self, "input", self.input)
        expect_fixed(self, "weight", self.weight)
        _expect_result(self, TensorType(popcount_type(w[1]), x[:-1] + (w[0],)))
        BINARY_WEIGHTS.verify_weights(self.name, raw_constant(self.weight))

    def evaluate_fixed(self, args, batch):
        x = np.asarray(args[0], np.int64)
        lead = x.shape[:-1]
        flat = bits_of(x.reshape(-1, x.shape[-1]))
        y = xnor_popcount(flat, bits_of(args[1]))
        return y.reshape(lead + (y.shape[-1],))

    # -- MacLayer: the dot product of the +-1 operands ------------------------------
    def activation(self) -> SSAValue:
        return self.input

    def weight_encoding(self) -> Attribute:
        return BINARY_WEIGHTS

    def fan_in(self) -> int:
        return shape_of(self.weight)[1]

    def accumulator_type(self) -> Attribute:
        return fixed_of(self.output)

    def mac_terms(self) -> MacTerms:
        """The layer as +-1 weights times the activation: exact for +-1 activations (what a
        sign or `binary_complex.threshold` produces), which is what this layer reads."""
        m, k = shape_of(self.weight)
        return dense_terms(self, raw_constant(self.weight).reshape(m, k), np.zeros(m, np.int64))

    # -- PopcountLayer: the weight bits ----------------------------------------------
    def weight_bits(self) -> np.ndarray:
        m, k = shape_of(self.weight)
        return bits_of(raw_constant(self.weight).reshape(m, k))


@irdl_op_definition
class ThresholdOp(IRDLOperation, FixedSemantics, ElementKernel, Elementwise):
    """Per-channel threshold comparison (channels on axis 1): ``+1`` if
    ``directions[c] * (x - thresholds[c]) >= 0`` else ``-1``; ``thresholds`` are raw values
    of the input's type, ``directions`` +1 or -1. The result is `BIPOLAR`.

    Example: `%y = binary_complex.threshold %x {directions = array<i64: 1, -1>, thresholds =
    array<i64: 3, -2>} : (tensor<1x2x!fixed.q<5, 5>>) -> tensor<1x2x!fixed.q<2, 2>>`
    """

    name = "binary_complex.threshold"
    input = operand_def(TensorType)
    output = result_def(TensorType)
    thresholds = prop_def(DenseArrayBase[I64])
    directions = prop_def(DenseArrayBase[I64])
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` functional-type(operands, results)"

    def __init__(self, input: SSAValue, thresholds, directions):
        super().__init__(
            operands=[input], result_types=[TensorType(BIPOLAR, shape_of(input))],
            properties=sorted_props({"thresholds": int_array(thresholds), "directions": int_array(directions)}))

    def verify_(self) -> None:
        x = shape_of(self.input)
        t, d = self.thresholds.get_values(), self.directions.get_values()
        expect_fixed(self, "input", self.input)
        if len(x) < 2 or len(t) != x[1] or len(d) != x[1]:
            raise VerifyException(
                f"binary_complex.threshold: {len(t)} thresholds and {len(d)} directions for input {x} "
                f"(one per channel on axis 1)")
        if any(v not in (1, -1) for v in d):
            raise VerifyException(f"binary_complex.threshold: directions must be +1 or -1, got {list(d)}")
        _expect_result(self, TensorType(BIPOLAR, x))

    def evaluate_fixed(self, args, batch):
        x = np.asarray(args[0], np.int64)
        shape = (1, -1) + (1,) * (x.ndim - 2)
        t = np.asarray(self.thresholds.get_values(), np.int64).reshape(shape)
        d = np.asarray(self.directions.get_values(), np.int64).reshape(shape)
        return np.where(d * (x - t) >= 0, 1, -1).astype(np.int64)

    def element_function(self) -> ElementFunction:
        """Kind "threshold": the per-channel thresholds and directions."""
        return ElementFunction("threshold", table=np.asarray(self.thresholds.get_values(), np.int64),
                               slopes=np.asarray(self.directions.get_values(), np.int64))

