"""The interfaces the back ends, the report and the weight-rewriting passes ask: every
`ElementKernel`'s `ElementFunction` alone reproduces the op (what the emitters print is all
they read), `Requantizing` gives the op's modes, `SelectsValues` ops only select input
elements or zero, and `AffineWeights` layers rebuild themselves with other parameters."""

from __future__ import annotations

import numpy as np
import pytest
from xdsl.dialects.builtin import IntegerAttr, IntegerType, StringAttr, TensorType, f64, i16
from xdsl.ir import Block

from nncc.backends.hls_cpp import emitter as hls_emitter
from nncc.backends.verilog import emitter as verilog_emitter
from nncc.dialects import fixed, nn
from nncc.dialects.binary_complex import ThresholdOp
from nncc.dialects.dense import to_dense
from nncc.dialects.fixed import FixedType, Overflow, OverflowAttr, Rounding, RoundingAttr
from nncc.dialects.fixed import semantics as fm
from nncc.dialects.interfaces import AffineWeights, ElementKernel, Requantizing, SelectsValues

RNG = np.random.default_rng(20261207)
BATCH = 3
Q = FixedType(16, 6)
RND, TRN = RoundingAttr(Rounding.RND), RoundingAttr(Rounding.TRN)
SAT, WRAP = OverflowAttr(Overflow.SAT), OverflowAttr(Overflow.WRAP)


def arg(shape, element=f64):
    return Block(arg_types=[TensorType(element, shape)]).args[0]


def _props(**props):
    return dict(sorted(props.items()))


def kernels():
    """Fixed-level element-wise ops of every kind (and their modes)."""
    q = arg((1, 4, 6), Q)
    yield fixed.CastOp(q, FixedType(8, 3), RND, SAT)
    yield fixed.CastOp(q, FixedType(10, 1), TRN, WRAP)
    yield nn.ReluOp(q)
    yield fixed.ClampOp(q, -100, 200)
    yield fixed.DeadZoneOp(q, 700)
    yield fixed.LeakyReluOp(q, arg((), FixedType(12, 0)), RND)
    yield fixed.LutOp(q, FixedType(12, 2), to_dense(RNG.integers(-2000, 2000, 64), IntegerType(32)), 6, 32, "tanh")
    yield fixed.LutOp(q, FixedType(12, 2), to_dense(RNG.integers(-2000, 2000, 16), IntegerType(32)), -1, 3, "sin")
    yield fixed.PwlOp.create(operands=[q], result_types=[TensorType(FixedType(12, 3), (1, 4, 6))], properties=_props(
        breakpoints=to_dense(np.array([-500, -20, 0, 130]), IntegerType(64)),
        slopes=to_dense(RNG.integers(-300, 300, 5), IntegerType(64)),
        intercepts=to_dense(RNG.integers(-900, 900, 5), IntegerType(64)),
        slope_type=FixedType(10, 1), intercept_type=FixedType(12, 4), function=StringAttr("f"),
        rounding=RND, overflow=SAT))
    yield fixed.PolyOp.create(operands=[q], result_types=[TensorType(FixedType(12, 3), (1, 4, 6))], properties=_props(
        coefficients=to_dense(RNG.integers(-900, 900, 4), IntegerType(64)), coeff_type=FixedType(12, 2),
        acc_type=FixedType(20, 5), min=IntegerAttr(-2000, 64), max=IntegerAttr(1500, 64),
        function=StringAttr("g"), rounding=TRN, overflow=WRAP))
    for cls in (fixed.AddOp, fixed.SubOp, fixed.MulOp):
        yield cls(q, arg((4, 1), FixedType(12, 3)))
    yield ThresholdOp(q, [-40, 0, 900, 3000], [1, -1, -1, 1])


def _reference(op, args):
    """The op's raw result computed from its `ElementFunction` (and its types) alone."""
    fn = op.element_function()
    x, t_in, t_out = args[0], fixed.fixed_of(op.operands[0]), fixed.fixed_of(op.results[0])
    w, f = t_out.width.data, t_out.frac
    if fn.kind == "cast":
        return fm.cast(x, t_in.frac, w, f, fn.rounding, fn.overflow)
    if fn.kind == "relu":
        return np.maximum(x, 0)
    if fn.kind == "clamp":
        return np.clip(x, fn.low, fn.high)
    if fn.kind == "dead_zone":
        return np.where((x >= fn.low) | (x <= -fn.low), x, 0)
    if fn.kind == "leaky_relu":
        a = fixed.fixed_of(fn.scale)
        return np.where(x >= 0, x, fm.cast(x * args[1], t_in.frac + a.frac, w, f, fn.rounding, fn.overflow))
    if fn.kind == "lut":
        return fn.table[fm.lut_index(x, fn.shift, fn.offset, fn.table.size)]
    if fn.kind == "threshold":
        channel = (np.arange(x[0].size) // (x[0].size // fn.table.size)).reshape(x.shape[1:])
        return np.where(fn.slopes[channel] * (x - fn.table[channel]) >= 0, 1, -1)
    if fn.kind == "pwl":
        m_t, c_t = fn.multiply_add()
        return fm.pwl_eval(x, t_in.frac, fn.table, fn.slopes, m_t.frac, fn.intercepts, c_t.frac, w, f,
                           fn.rounding, fn.overflow)
    if fn.kind == "poly":
        acc, c_t = fn.multiply_add()
        return fm.poly_eval(x, t_in.frac, fn.table, c_t.frac, acc.width.data, acc.frac, fn.low, fn.high, w, f,
                            fn.rounding, fn.overflow)
    assert fn.kind == "binary"
    if fn.operator == "*":
        return x * args[1]
    a, b = fm.align(x, t_in.frac, f), fm.align(args[1], fixed.fixed_of(op.operands[1]).frac, f)
    return a + b if fn.operator == "+" else a - b


@pytest.mark.parametrize("op", list(kernels()), ids=lambda op: op.name)
def test_the_element_function_alone_reproduces_the_op(op):
    assert isinstance(op, ElementKernel)
    args = [RNG.integers(-3000, 3000, (BATCH, *v.type.get_shape()[1:]) if v.type.get_shape() else ()).astype(np.int64)
            for v in op.operands]
    if isinstance(op, fixed.LeakyReluOp):
        args[1] = np.int64(1638)  # a scalar constant alpha
    if isinstance(op, (fixed.AddOp, fixed.SubOp, fixed.MulOp)):
        args[1] = RNG.integers(-2000, 2000, (4, 1)).astype(np.int64)  # broadcast operand without batch
    assert np.array_equal(_reference(op, args), op.evaluate_fixed(args, BATCH))


@pytest.mark.parametrize("printers", [hls_emitter._FUNCTIONS, verilog_emitter._FUNCTIONS], ids=["hls_cpp", "verilog"])
def test_both_back_ends_print_every_kind(printers):
    assert {op.element_function().kind for op in kernels()} == set(printers)


def test_multiply_add_types_are_those_of_pwl_and_poly_only():
    stages = {op.name: op.element_function().multiply_add() for op in kernels()}
    assert stages["fixed.pwl"] == (FixedType(10, 1), FixedType(12, 4))
    assert stages["fixed.poly"] == (FixedType(20, 5), FixedType(12, 2))
    assert all(v is None for k, v in stages.items() if k not in ("fixed.pwl", "fixed.poly"))


def test_requantizing_ops_give_their_modes():
    x, q = arg((1, 5)), arg((1, 5), Q)
    assert fixed.QuantizeOp(x, Q, TRN, WRAP).conversion() == ("trn", "wrap")
    assert fixed.CastOp(q, FixedType(8, 3), RND, SAT).conversion() == ("rnd", "sat")
    assert not isinstance(fixed.DequantizeOp(q, f64), Requantizing)


def selecting_ops():
    x = arg((1, 2, 4, 6))
    yield nn.ReluOp(x)
    yield nn.MaxPoolOp(x, (2, 2), (2, 2), (0, 0, 1, 1), (1, 1), False)
    yield nn.GlobalMaxPoolOp(x)
    yield nn.ReshapeOp(x, (1, 8, 6))
    yield nn.FlattenOp(x, 1)
    yield nn.TransposeOp(x, (0, 1, 3, 2))
    yield nn.GatherOp(arg((1, 6)), (5, -1, 0, 3), (1, 4))


@pytest.mark.parametrize("op", list(selecting_ops()), ids=lambda op: op.name)
def test_selecting_ops_output_input_elements_or_zero(op):
    assert isinstance(op, SelectsValues)
    x = RNG.standard_normal((BATCH, *op.operands[0].type.get_shape()[1:]))
    y = op.evaluate_float([x], BATCH)
    assert np.isin(y, np.append(x, 0.0)).all()


def test_arithmetic_and_averaging_do_not_select_values():
    x = arg((1, 2, 4, 4))
    assert not isinstance(nn.AddOp(x, x), SelectsValues)
    assert not isinstance(nn.GlobalAvgPoolOp(x), SelectsValues)


def _const(values):
    return nn.ConstantOp(to_dense(np.asarray(values, np.float64), f64)).output


def affine_layers():
    yield nn.DenseOp(arg((1, 2, 6)), _const(RNG.standard_normal((4, 6))), _const(RNG.standard_normal(4)))
    yield nn.ConvOp(arg((1, 6, 5, 6)), _const(RNG.standard_normal((4, 3, 3, 2))), None, (2, 1), (1, 0, 1, 1), (1, 2), 2)


@pytest.mark.parametrize("op", list(affine_layers()), ids=lambda op: op.name)
def test_affine_weights_rebuild_the_layer(op):
    assert isinstance(op, AffineWeights)
    w, b = op.weight_operand(), op.bias_operand()
    channels = w.type.get_shape()[0]
    assert op.results[0].type.get_shape()[op.output_channel_axis()] == channels
    new_w, new_b = _const(RNG.standard_normal(w.type.get_shape())), _const(RNG.standard_normal(channels))
    new = op.with_weights(new_w, new_b)
    assert type(new) is type(op) and new.properties == op.properties and new.location == op.location
    assert new.weight_operand() is new_w and new.bias_operand() is new_b and new.activation() is op.activation()
    assert new.results[0].type == op.results[0].type
    new.replace_weight(w)
    assert new.weight_operand() is w and new.bias_operand() is new_b
