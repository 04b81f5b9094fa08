"""How `recurrent.lstm` / `recurrent.gru` lower to the fixed-point level: one
`recurrent.scan` whose body is the cell step in fixed-point ops.

Types (W = the layer's width, S = its state width, the ``state_width`` key of its
`fixed.precision` override, W by default):

- the gate pre-activations are exact sums of two `fixed.dense` accumulators (input and
  recurrent products, each with its bias), cast once to ``q<W, I>`` with I from the range
  calibrated over every time step (``gates``), and clamped to the ONNX ``clip`` if set;
- sigmoid and tanh are `fixed.activation` ops on ``q<W, 1>`` results, so
  `fixed-lower-activations` makes them tables (default), segments or polynomials;
- the state: h is ``q<S, 1>`` (|h| < 1; wider when the initial h needs it), an LSTM's c is
  ``q<S, I>`` with I from its calibrated range (``cell``); the products of the state update
  are exact and rounded once per state.

Integer-only cells (iRNN; ``integer_only`` in `fixed.precision`, `--integer-only`): the
weights of every row get their own real scale, and the product is rescaled by a per-row
dyadic constant and requantized (`_Cell.scaled_dense`); the pre-activations and c are twice
the layer's width up to 16 bits (int16 next to int8 weights and activations at ``--width 8
--weight-width 8``).
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import DenseArrayBase, DictionaryAttr, IntegerAttr, StringAttr, TensorType
from xdsl.ir import Block, Operation, Region, SSAValue

from nncc.dialects import fixed, nn
from nncc.dialects.dataflow import PRODUCT_REUSE_ATTR, REUSE_ATTR
from nncc.dialects.dense import to_dense
from nncc.dialects.fixed import FixedType
from nncc.dialects.fixed.quantization import LAYER_ATTR, PRECISION_ATTR, container, int_bits_for, quantize_array
from nncc.dialects.interfaces import INTERNAL_RANGES_ATTR, FixedLowering, layer_label
from nncc.dialects.nn.semantics import constant_value
from nncc.dialects.recurrent.scan import ScanOp, YieldOp

MARGIN_BITS = 1
"""Integer bits added above a calibrated internal range (as the layer outputs get by default)."""

STATE_WIDTH_KEY = "state_width"
"""The `fixed.precision` key of the state's (h, c) width."""

INTEGER_ONLY_KEY = "integer_only"
"""The `fixed.precision` key (1) of an integer-only cell (iRNN): per-row dyadic weight scales,
the pre-activations and an LSTM's c at twice the layer's width up to 16 bits (h keeps it)."""

DYADIC_WIDTH = 16
"""Bits of an integer-only cell's per-row rescaling constants (m in m 2^-k)."""


PRODUCT_MARGIN = 2
"""Integer bits an integer-only cell's requantized product has above the pre-activations'."""


def wide_width(width: int) -> int:
    """An integer-only cell's pre-activation and c width: twice the layer's, at most 16 (int16
    next to int8), never below the layer's."""
    return max(width, min(2 * width, 16))


def integer_only(op: Operation) -> bool:
    """Whether a recurrent layer's `fixed.precision` asks for the integer-only cell."""
    over = op.attributes.get(PRECISION_ATTR)
    value = over.data.get(INTEGER_ONLY_KEY) if isinstance(over, DictionaryAttr) else None
    return isinstance(value, IntegerAttr) and bool(value.value.data)


class _Cell:
    """Builds one cell step into a block, with the layer's precision."""

    def __init__(self, lw: FixedLowering, op: Operation, block: Block):
        self.lw, self.op, self.block = lw, op, block
        self.prec = lw.precision(op)
        self.hidden = op.hidden
        self.integer = integer_only(op)
        ranges = op.attributes.get(INTERNAL_RANGES_ATTR)
        if not isinstance(ranges, DictionaryAttr) or "gates" not in ranges.data:
            lw.fail(f"no calibrated internal ranges (attribute {INTERNAL_RANGES_ATTR}); calibrate the model first")
        self.ranges = {k: tuple(v.get_values()) for k, v in ranges.data.items() if isinstance(v, DenseArrayBase)}
        pre_width = wide_width(self.prec.width) if self.integer else self.prec.width
        self.pre = FixedType(pre_width, int_bits_for(*self.ranges["gates"], MARGIN_BITS))
        self.act = FixedType(self.prec.width, 1)

    def add(self, new: Operation) -> SSAValue:
        self.block.add_op(new)
        return new.results[0]

    def weight(self, values: np.ndarray) -> SSAValue:
        raw, typ = quantize_array(values, self.prec.weight_width, self.prec.weight_int_bits)
        return self.add(fixed.ConstantOp(to_dense(raw, container(self.prec.weight_width)), typ))

    def dense(self, x: SSAValue, w: np.ndarray, b: np.ndarray, role: str) -> SSAValue:
        """The exact accumulator of x W^T + b (the bias exact at the product's fraction),
        labelled ``<layer> (<role>)``; integer-only, `scaled_dense`."""
        if self.integer:
            return self.scaled_dense(x, w, b, role)
        weight = self.weight(w)
        return self.product(x, weight, self.bias(b, fixed.fixed_of(x).frac + fixed.fixed_of(weight).frac), role)

    def bias(self, b: np.ndarray, frac: int) -> SSAValue:
        """The bias constant, exact at fraction ``frac`` (a sum's)."""
        ints = int_bits_for(float(b.min(initial=0)), float(b.max(initial=0)))
        raw, typ = quantize_array(b, max(2, ints + frac), ints)
        if typ.width.data > 64:
            self.lw.fail(f"bias type {typ} is wider than 64 bits")
        return self.add(fixed.ConstantOp(to_dense(raw, container(typ.width.data)), typ))

    def product(self, x: SSAValue, weight: SSAValue, bias: SSAValue | None, role: str) -> SSAValue:
        """`fixed.dense` labelled ``<layer> (<role>)``, with the reuse factor asked for its role."""
        product = fixed.DenseOp(x, weight, bias)
        product.attributes[LAYER_ATTR] = StringAttr(f"{layer_label(self.op)} ({role})")
        reuse = self.reuse_request(role.split()[0])
        if reuse is not None:
            product.attributes[REUSE_ATTR] = reuse
        return self.add(product)

    def scaled_dense(self, x: SSAValue, w: np.ndarray, b: np.ndarray, role: str) -> SSAValue:
        """Integer-only (iRNN): every row r of W gets its own real scale s_r = max|W_r| / (2^(B-1) - 1)
        (B = the weight width), so its integers use the whole B-bit range; the accumulator
        x W_int^T is multiplied by the dyadic constant c_r = s_r 2^(B-1) (``DYADIC_WIDTH`` bits,
        its rounding error below 2^-DYADIC_WIDTH of c_r) and the bias added, exactly, then
        requantized (rounded and saturated) to the pre-activation's fraction with
        ``PRODUCT_MARGIN`` more integer bits than the calibrated pre-activation range."""
        bits = self.prec.weight_width
        peak = np.abs(w).max(axis=1)
        scale = np.where(peak > 0, peak / ((1 << (bits - 1)) - 1), 1.0)
        raw = np.clip(np.round(w / scale[:, None]), -(1 << (bits - 1)) + 1, (1 << (bits - 1)) - 1).astype(np.int64)
        weight = self.add(fixed.ConstantOp(to_dense(raw, container(bits)), FixedType(bits, 1)))
        factor = scale * 2.0 ** (bits - 1)
        c_raw, c_type = quantize_array(factor[None, :], DYADIC_WIDTH, int_bits_for(0.0, float(factor.max())))
        multiplier = self.add(fixed.ConstantOp(to_dense(c_raw, container(DYADIC_WIDTH)), c_type))
        rescaled = self.add(fixed.MulOp(self.product(x, weight, None, role), multiplier))
        exact = self.add(fixed.AddOp(rescaled, self.bias(b, fixed.fixed_of(rescaled).frac)))
        return self.cast(exact, FixedType(self.pre.width.data + PRODUCT_MARGIN, self.pre.int_bits.data + PRODUCT_MARGIN))

    def reuse_request(self, kind: str) -> IntegerAttr | None:
        """The reuse factor requested for the layer's ``kind`` ("input" / "recurrent")
        products: its own key, else the layer's `reuse_factor`, else none (the global one)."""
        products = self.op.attributes.get(PRODUCT_REUSE_ATTR)
        if isinstance(products, DictionaryAttr) and kind in products.data:
            return products.data[kind]
        layer = self.op.attributes.get(REUSE_ATTR)
        return layer if isinstance(layer, IntegerAttr) else None

    def pick(self, x: SSAValue, block: int, count: int = 1) -> SSAValue:
        """Gate blocks ``block .. block+count-1`` (H elements each) of a [1, G*H] value."""
        h = self.hidden
        return self.add(nn.GatherOp(x, range(block * h, (block + count) * h), (1, count * h)))

    def cast(self, x: SSAValue, typ: FixedType) -> SSAValue:
        self.lw.check_width(fixed.fixed_of(x))
        return self.add(fixed.CastOp(x, typ, self.prec.rounding, self.prec.overflow))

    def preactivation(self, exact: SSAValue) -> SSAValue:
        """The exact pre-activation cast to its type, clamped to the clip threshold."""
        value = self.cast(exact, self.pre)
        clip = self.op.clip_value
        if clip is not None:
            bound = int(np.floor(clip * 2.0**self.pre.frac))
            value = self.add(fixed.ClampOp(value, -bound, bound))
        return value

    def activation(self, x: SSAValue, function: str) -> SSAValue:
        new = fixed.ActivationOp(x, self.act, function)
        new.attributes[LAYER_ATTR] = StringAttr(layer_label(self.op))
        self.lw.copy_approx(self.op, new)
        return self.add(new)


def _state_width(lw: FixedLowering, op: Operation, cell: bool = False) -> int:
    """The width of h (``cell`` false) or of an LSTM's c: the layer's `state_width`, else its
    width (c: twice it in an integer-only cell)."""
    over = op.attributes.get(PRECISION_ATTR)
    value = over.data.get(STATE_WIDTH_KEY) if isinstance(over, DictionaryAttr) else None
    default = lw.precision(op).width
    if cell and integer_only(op):
        default = wide_width(default)
    width = value.value.data if isinstance(value, IntegerAttr) else default
    if not 2 <= width <= 32:
        lw.fail(f"{STATE_WIDTH_KEY} {width} must be in [2, 32]")
    return width


def _hidden_type(lw, op, initial: np.ndarray) -> FixedType:
    """h's type: q<S, 1> (|h| < 1 after the first step), wider if the initial h needs it."""
    inside = initial.size == 0 or float(np.abs(initial).max()) < 1.0
    ints = 1 if inside else max(1, int_bits_for(float(initial.min()), float(initial.max())))
    return FixedType(_state_width(lw, op), ints)


def _lstm_step(cell: _Cell, xt, h, c, c_type, h_type, params) -> list[SSAValue]:
    w, r, wb, rb = params
    z = cell.add(fixed.AddOp(cell.dense(xt, w, wb, "input"), cell.dense(h, r, rb, "recurrent")))
    z = cell.preactivation(z)
    sig = cell.activation(cell.add(nn.GatherOp(z, _blocks(cell.hidden, (0, 1, 3)), (1, 3 * cell.hidden))), "sigmoid")
    g = cell.activation(cell.pick(z, 2), "tanh")
    i, f, o = cell.pick(sig, 0), cell.pick(sig, 1), cell.pick(sig, 2)
    c_new = cell.add(fixed.AddOp(cell.add(fixed.MulOp(f, c)), cell.add(fixed.MulOp(i, g))))
    c_new = cell.cast(c_new, c_type)
    h_new = cell.cast(cell.add(fixed.MulOp(o, cell.activation(c_new, "tanh"))), h_type)
    return [h_new, c_new]


def _gru_step(cell: _Cell, xt, h, h_type, params, reset_after: bool) -> list[SSAValue]:
    w, r, wb, rb = params
    hid = cell.hidden
    ax = cell.dense(xt, w, wb, "input")
    zr = cell.add(fixed.AddOp(cell.pick(ax, 0, 2), cell.dense(h, r[: 2 * hid], rb[: 2 * hid], "recurrent z, r")))
    zr = cell.activation(cell.preactivation(zr), "sigmoid")
    z, rg = cell.pick(zr, 0), cell.pick(zr, 1)
    if reset_after:
        recurrent = cell.add(fixed.MulOp(rg, cell.dense(h, r[2 * hid :], rb[2 * hid :], "recurrent n")))
    else:
        rh = cell.cast(cell.add(fixed.MulOp(rg, h)), h_type)
        recurrent = cell.dense(rh, r[2 * hid :], rb[2 * hid :], "recurrent n")
    n = cell.activation(cell.preactivation(cell.add(fixed.AddOp(cell.pick(ax, 2), recurrent))), "tanh")
    step = cell.add(fixed.MulOp(z, cell.add(fixed.SubOp(h, n))))
    return [cell.cast(cell.add(fixed.AddOp(n, step)), h_type)]


def _blocks(hidden: int, blocks) -> list[int]:
    return [k * hidden + j for k in blocks for j in range(hidden)]


def lower(lw: FixedLowering, op: Operation) -> None:
    """`recurrent.lstm` / `recurrent.gru` -> `recurrent.scan` (see the module docstring)."""
    x = lw.values.get(op.input)
    if x is None:
        lw.fail("input must be computed at run time")
    operands = [op.weight, op.recurrence, op.input_bias, op.recurrent_bias] + list(op.state_operands())
    if any(lw.const_value(v) is None for v in operands):
        lw.fail("weights, biases and initial states must be constants")
    params = [np.asarray(constant_value(v), np.float64) for v in operands[:4]]
    initial = [np.asarray(constant_value(v), np.float64) for v in operands[4:]]
    h_type = _hidden_type(lw, op, initial[0])
    types = [h_type]
    if len(initial) > 1:
        cell_range = tuple(op.attributes[INTERNAL_RANGES_ATTR].data["cell"].get_values())
        types.append(FixedType(_state_width(lw, op, cell=True), int_bits_for(*cell_range, MARGIN_BITS)))
    states = [lw.constant(v, t.width.data, t.int_bits.data) for v, t in zip(initial, types)]
    x_slice = TensorType(fixed.fixed_of(x), (1, x.type.get_shape()[2]))
    block = Block(arg_types=[x_slice] + [s.type for s in states])
    cell = _Cell(lw, op, block)
    if len(types) == 2:
        nxt = _lstm_step(cell, *block.args, types[1], h_type, params)
    else:
        nxt = _gru_step(cell, *block.args, h_type, params, op.reset_after)
    block.add_op(YieldOp(*nxt))
    scan = lw.emit(ScanOp(x, states, Region(block), op.direction.data))
    scan.attributes[LAYER_ATTR] = StringAttr(layer_label(op))
    lw.values[op.output] = scan.output
