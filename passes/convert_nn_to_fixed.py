"""`convert-nn-to-fixed`: lower the float `nn` level to the fixed-point level.

Every layer output gets a `!fixed.q<W, I>` type: W from the options (or the op's
`fixed.precision` override), I from the calibrated value range the op carries in its
`fixed.range` attribute (graph inputs: the `fixed.range` argument attribute). Weights
and constants are rounded to their own types (I from their largest magnitude).
Multiply-accumulate layers produce an exact accumulator, then one `fixed.cast` applies
the rounding and overflow modes. Sigmoid, tanh, the exponential and reciprocal of
softmax and `nn.activation` (with its calibrated output type) become `fixed.activation`
ops, which `fixed-lower-activations` turns into tables, piecewise-linear segments or
polynomials. `nn.max` / `nn.min` become exact a + relu(b - a) / a - relu(a - b).

Quantization carried by the model: a constant with a `fixed.grid` (a power-of-two weight
grid) becomes exactly that grid's type; `nn.fake_quant` with a power-of-two scale is an
exact rounding onto its integer grid (every rounding mode, ties to even included) plus a
clamp, with another scale, and `nn.fake_quant_axis` (per-channel scales), an integer
requantization by constant multipliers; `nn.sign` is a two-entry table (see
`nncc.dialects.nn.to_fixed_quant`). A layer feeding a power-of-two quantizer keeps its exact
accumulator, so the quantizer rounds once, as the float reference does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import (
    AnyFloat,
    DenseArrayBase,
    DictionaryAttr,
    IntegerAttr,
    ModuleOp,
    StringAttr,
    f32,
    i64,
)
from xdsl.ir import Block, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import PassFailedException, VerifyException

from nncc.dialects import fixed, nn
from nncc.dialects.dense import from_dense, to_dense
from nncc.dialects.pot_quant import CODE_ATTR, WeightsOp
from nncc.dialects.fixed import FixedType, Overflow, OverflowAttr, Rounding, RoundingAttr
from nncc.dialects.interfaces import FixedLowering, LowersToFixed, layer_label
from nncc.dialects.nn.to_fixed_quant import feeds_exact_quantizer
from nncc.dialects.fixed.quantization import (
    APPROX_ATTR,
    GRID_ATTR,
    LAYER_ATTR,
    PRECISION_ATTR,
    RANGE_ATTR,
    binary_weight_type,
    container,
    grid_type,
    int_bits_for,
    quantize_array,
    signed_width,
)

_name = layer_label


@dataclass
class _Precision:
    width: int
    int_bits: int | None
    weight_width: int
    weight_int_bits: int | None
    rounding: RoundingAttr
    overflow: OverflowAttr
    explicit: frozenset[str] = frozenset()
    """The keys the op's `fixed.precision` override sets."""

    @property
    def weights_overridden(self) -> bool:
        """True if the override fixes the weights' type (a `fixed.grid` then yields to it)."""
        return bool(self.explicit & {"weight_width", "weight_int_bits"})

    @property
    def output_overridden(self) -> bool:
        """True if the override fixes the layer's output type."""
        return bool(self.explicit & {"width", "int_bits"})


@dataclass(frozen=True)
class ConvertNnToFixedPass(ModulePass):
    """Lower `nn` to the fixed-point level from calibrated ranges.

    Options: `width` (total bits of every layer output), `weight_width` (bits of
    weights and other constants; a constant on a `fixed.grid` keeps its exact type),
    `margin_bits` (extra integer bits above the calibrated range), `rounding` (`rnd` or
    `trn`) and `overflow` (`sat` or `wrap`) of every requantization, `reciprocal_width`
    (bits of the 1/n constants of average pooling and of the multipliers of
    `nn.fake_quant` with a scale that is not a power of two).
    """

    name = "convert-nn-to-fixed"

    width: int = 16
    weight_width: int = 16
    margin_bits: int = 1
    rounding: str = "rnd"
    overflow: str = "sat"
    reciprocal_width: int = 18

    def __post_init__(self):
        for label, value in (("width", self.width), ("weight_width", self.weight_width), ("reciprocal_width", self.reciprocal_width)):
            if not 2 <= value <= 32:
                raise ValueError(f"convert-nn-to-fixed: {label} must be in [2, 32], got {value}")
        if self.margin_bits < 0:
            raise ValueError(f"convert-nn-to-fixed: margin_bits must be >= 0, got {self.margin_bits}")
        if self.rounding not in {r.value for r in Rounding}:
            raise ValueError(f"convert-nn-to-fixed: rounding must be rnd or trn, got '{self.rounding}'")
        if self.overflow not in {o.value for o in Overflow}:
            raise ValueError(f"convert-nn-to-fixed: overflow must be sat or wrap, got '{self.overflow}'")

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for function in [f for f in op.ops if isinstance(f, func.FuncOp)]:
            _Converter(self, function).run()


class _Converter(FixedLowering):
    """The pass's side of `FixedLowering`: precision policy, ranges, constants, the new block."""

    def __init__(self, options: ConvertNnToFixedPass, function: func.FuncOp):
        self.opts = options
        self.function = function
        self.values: dict[SSAValue, SSAValue] = {}
        self.block: Block | None = None
        self.current: Operation | None = None

    @property
    def reciprocal_width(self) -> int:
        return self.opts.reciprocal_width

    # -- helpers ------------------------------------------------------------------
    def fail(self, message: str):
        where = _name(self.current) if self.current is not None else self.function.sym_name.data
        raise PassFailedException(f"convert-nn-to-fixed: {self.current.name if self.current else 'func'} '{where}': {message}")

    def emit(self, new: Operation) -> Operation:
        new.location = self.current.location if self.current is not None else new.location
        self.block.add_op(new)
        return new

    def precision(self, op: Operation) -> _Precision:
        over = op.attributes.get(PRECISION_ATTR)
        entries = over.data if isinstance(over, DictionaryAttr) else {}

        def get_int(key, default):
            value = entries.get(key)
            return value.value.data if isinstance(value, IntegerAttr) else default

        def get_str(key, default):
            value = entries.get(key)
            return value.data if isinstance(value, StringAttr) else default

        rounding = get_str("rounding", self.opts.rounding)
        overflow = get_str("overflow", self.opts.overflow)
        if rounding not in {r.value for r in Rounding} or overflow not in {o.value for o in Overflow}:
            self.fail(f"precision override has bad rounding '{rounding}' or overflow '{overflow}'")
        return _Precision(
            width=get_int("width", self.opts.width),
            int_bits=get_int("int_bits", None),
            weight_width=get_int("weight_width", self.opts.weight_width),
            weight_int_bits=get_int("weight_int_bits", None),
            rounding=RoundingAttr(Rounding(rounding)),
            overflow=OverflowAttr(Overflow(overflow)),
            explicit=frozenset(entries),
        )

    def range_of(self, attrs: dict) -> tuple[float, float] | None:
        value = attrs.get(RANGE_ATTR)
        if isinstance(value, DenseArrayBase):
            lo, hi = value.get_values()
            if not (math.isfinite(lo) and math.isfinite(hi)):
                self.fail(f"calibrated range [{lo}, {hi}] is not finite (NaN or Inf in the weights or data)")
            return float(lo), float(hi)
        return None

    def output_type(self, op: Operation, prec: _Precision) -> FixedType:
        if prec.int_bits is not None:
            return FixedType(prec.width, prec.int_bits)
        rng = self.range_of(op.attributes)
        if rng is None:
            self.fail(f"no calibrated range (attribute {RANGE_ATTR}); calibrate the model first")
        return FixedType(prec.width, int_bits_for(*rng, self.opts.margin_bits))

    def const_value(self, value: SSAValue) -> np.ndarray | None:
        owner = value.owner
        if isinstance(owner, WeightsOp):
            return owner.values()
        if not isinstance(owner, nn.ConstantOp):
            return None
        array = np.asarray(from_dense(owner.value), np.float64)
        if not np.isfinite(array).all():
            self.fail(f"constant {_name(owner)} has NaN or Inf values; fixed point cannot represent them")
        return array

    def constant(self, values: np.ndarray, width: int, int_bits: int | None = None) -> SSAValue:
        raw, typ = quantize_array(values, width, int_bits)
        return self.emit(fixed.ConstantOp(to_dense(raw, container(width)), typ)).output

    def exact_constant(self, raw: np.ndarray, typ: FixedType) -> SSAValue:
        return self.emit(fixed.ConstantOp(to_dense(raw, container(typ.width.data)), typ)).output

    def grid_of(self, value: SSAValue, prec: _Precision) -> FixedType | None:
        """The exact type of a constant on a `fixed.grid` (None without a grid or when the
        layer overrides its weights' precision)."""
        owner = value.owner
        if not isinstance(owner, nn.ConstantOp) or prec.weights_overridden:
            return None
        try:
            return grid_type(owner.attributes.get(GRID_ATTR))
        except ValueError as err:
            self.fail(str(err))

    def weight(self, value: SSAValue, prec: _Precision) -> SSAValue:
        """A constant operand: exact on its `fixed.grid`, else rounded to the weight precision;
        binary weights (all -1 or +1, no grid, no per-layer weight precision) exactly as
        `fixed.q<2, 2>` (raw -1 / +1: what `binary-complex-replace-dense-with-xnor` reads)."""
        array = self.const_value(value)
        if array is None:
            self.fail(f"operand {value} has no fixed-point value")
        if isinstance(value.owner, WeightsOp):
            return self.coded_weight(value.owner)
        typ = self.grid_of(value, prec)
        if typ is None:
            typ = binary_weight_type(array, prec.weights_overridden)
        if typ is None:
            return self.constant(array, prec.weight_width, prec.weight_int_bits)
        raw = array * 2.0**typ.frac
        lo, hi = -(1 << (typ.width.data - 1)), (1 << (typ.width.data - 1)) - 1
        if raw.size and (np.any(raw != np.floor(raw)) or raw.min() < lo or raw.max() > hi):
            self.fail(f"constant values are not on their {GRID_ATTR} (type {typ})")
        return self.exact_constant(raw.astype(np.int64), typ)

    def coded_weight(self, coded: WeightsOp) -> SSAValue:
        """Power-of-two / signed-digit weights: exactly, as raw integers on the finest digit's
        grid, marked with their code for `pot-quant-replace-mul-with-shift`."""
        signs, exps = coded.digits()
        live = exps[signs != 0]
        frac = max(0, -int(live.min())) if live.size else 0
        raw = np.sum(signs * np.left_shift(np.int64(1), np.where(signs != 0, exps + frac, 0)), axis=-1)
        lo, hi = int(raw.min(initial=0)), int(raw.max(initial=0))
        width = max(2, signed_width(lo, hi))
        if width > 64:
            self.fail(f"power-of-two weights span more than 64 bits ({width})")
        const = self.exact_constant(raw, FixedType(width, width - frac))
        const.owner.attributes[CODE_ATTR] = DictionaryAttr(
            {"bits": IntegerAttr(coded.bits.value.data, i64), "terms": IntegerAttr(coded.terms, i64)})
        return const

    def operand(self, value: SSAValue, prec: _Precision) -> SSAValue:
        """The fixed value of an operand: converted run-time value or a constant."""
        if value in self.values:
            return self.values[value]
        return self.weight(value, prec)

    def cast(self, value: SSAValue, typ: FixedType, prec: _Precision) -> SSAValue:
        if fixed.fixed_of(value) == typ:
            return value
        return self.emit(fixed.CastOp(value, typ, prec.rounding, prec.overflow)).output

    def finish(self, op: Operation, value: SSAValue, prec: _Precision) -> None:
        """Requantize a layer's exact result to its calibrated output type.

        A result that only feeds a power-of-two `nn.fake_quant` or an `nn.sign` (possibly
        through relu, max pooling or reshapes) stays exact: the quantizer then rounds once,
        like the float reference, instead of after an intermediate rounding.
        """
        if not prec.output_overridden and feeds_exact_quantizer(op.results[0]):
            value.owner.attributes[LAYER_ATTR] = StringAttr(_name(op))
            self.values[op.results[0]] = value
            return
        out = self.cast(value, self.output_type(op, prec), prec)
        out.owner.attributes[LAYER_ATTR] = StringAttr(_name(op))
        self.values[op.results[0]] = out

    def copy_approx(self, source: Operation, target: Operation) -> None:
        """Carry a layer's activation-approximation override to its fixed.activation."""
        if APPROX_ATTR in source.attributes:
            target.attributes[APPROX_ATTR] = source.attributes[APPROX_ATTR]

    def check_width(self, typ: FixedType) -> None:
        if typ.width.data > 64:
            self.fail(f"exact intermediate {typ} is wider than 64 bits; reduce widths")

    # -- driver -------------------------------------------------------------------
    def run(self) -> None:
        try:
            self._convert()
        except VerifyException as err:  # a type out of range: from huge weights or ranges
            first = str(err).strip().splitlines()
            self.fail(f"values do not fit a fixed-point type ({first[0] if first else 'verify failed'})")

    def _convert(self) -> None:
        old_block = self.function.body.blocks[0]
        ftype = self.function.function_type
        self.block = Block(arg_types=list(ftype.inputs.data))
        arg_attrs = self.function.arg_attrs.data if self.function.arg_attrs else [DictionaryAttr({})] * len(old_block.args)
        for old, new, attrs in zip(old_block.args, self.block.args, arg_attrs):
            new.name_hint = old.name_hint
            if not isinstance(old.type.element_type, AnyFloat):
                self.values[old] = new
                continue
            rng = self.range_of(attrs.data)
            if rng is None:
                self.current = None
                raise PassFailedException(
                    f"convert-nn-to-fixed: input %{old.name_hint or old.index} has no calibrated range "
                    f"(argument attribute {RANGE_ATTR})"
                )
            typ = declared_input_type(old) or FixedType(self.opts.width, int_bits_for(*rng, self.opts.margin_bits))
            q = fixed.QuantizeOp(new, typ, RoundingAttr(Rounding(self.opts.rounding)), OverflowAttr(Overflow(self.opts.overflow)))
            graph_name = attrs.data.get("nncc.name")
            label = graph_name.data if isinstance(graph_name, StringAttr) else (old.name_hint or f"arg{old.index}")
            q.attributes[LAYER_ATTR] = StringAttr(label)
            self.block.add_op(q)
            self.values[old] = q.output
        for op in list(old_block.ops):
            self.current = op
            if isinstance(op, func.ReturnOp):
                _return(self, op)
            elif isinstance(op, LowersToFixed):
                op.lower_to_fixed(self)
            else:
                self.fail("is not supported at the fixed-point level")
        self.current = None
        self.function.body.add_block(self.block)
        self.function.body.erase_block(old_block, safe_erase=False)


def declared_input_type(arg: SSAValue) -> FixedType | None:
    """The precision a graph input declares: when every use of ``arg`` is the same signed
    `nn.fake_quant` (a QDQ or QONNX quantizer on the input) with a power-of-two scale and zero
    point 0, its grid (bits, fraction -log2(scale)); the design then takes the input at that
    precision instead of `width` bits (an 8-bit ADC's codes enter as 8 bits). The boundary
    quantizer rounds half up, the model's half to even: they differ only on inputs exactly
    halfway between two codes."""
    users = [use.operation for use in arg.uses]
    if not users or not all(isinstance(u, nn.FakeQuantOp) for u in users):
        return None
    grids = {(u.scale.value.data, u.zero_point.value.data, u.bits.value.data, u.signed.value.data,
              u.narrow.value.data) for u in users}
    if len(grids) != 1:
        return None
    scale, zero_point, bits, signed, narrow = grids.pop()
    frac = -math.log2(scale)
    if zero_point != 0 or not signed or narrow or frac != round(frac):
        return None
    return FixedType(bits, bits - int(frac))


def _return(cv: "_Converter", op: func.ReturnOp) -> None:
    outs = []
    for value in op.operands:
        v = cv.values[value]
        if isinstance(v.type.element_type, FixedType):
            v = cv.emit(fixed.DequantizeOp(v, f32)).output
        outs.append(v)
    cv.emit(func.ReturnOp(*outs))

