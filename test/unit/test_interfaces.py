"""The layer interfaces answer what the ops compute: every `Reduction`'s groups, every
`IndexMap`'s table and every `MacLayer`'s terms reproduce the op's own semantics (the
interpreters' results), and `Elementwise` ops commute with a permutation of the elements."""

from __future__ import annotations

import numpy as np
import pytest
from xdsl.dialects.builtin import TensorType, f64, i16, i32
from xdsl.ir import Block

from nncc.dialects import fixed, nn
from nncc.dialects.encodings import SignedDigitsAttr
from nncc.dialects.dense import to_dense
from nncc.dialects.fixed import FixedType
from nncc.dialects.interfaces import (
    Elementwise,
    FixedSemantics,
    FloatSemantics,
    IndexMap,
    MacLayer,
    Reduction,
    Windowed,
)
from nncc.dialects.nn.attrs import PadMode, PadModeAttr

RNG = np.random.default_rng(20261206)
BATCH = 3
Q = FixedType(16, 6)


def arg(shape, element=f64):
    """A block argument of a tensor type (the op's run-time operand)."""
    return Block(arg_types=[TensorType(element, shape)]).args[0]


def run(op, args):
    """The op's result on batch-first operands, at its level."""
    if isinstance(op, FloatSemantics) and not (args and args[0].dtype.kind == "i"):
        return op.evaluate_float(args, BATCH)
    return op.evaluate_fixed(args, BATCH)


def sample(shape, integer: bool):
    shape = (BATCH,) + tuple(shape[1:])
    return RNG.integers(-300, 300, shape).astype(np.int64) if integer else RNG.standard_normal(shape)


# ---------------------------------------------------------------------------------------
# Reduction


def reductions():
    x2, x1, q2 = arg((1, 3, 7, 6)), arg((1, 2, 11), Q), arg((1, 3, 5, 5), Q)
    yield nn.MaxPoolOp(x2, (3, 2), (2, 2), (1, 0, 1, 1), (1, 2), True), False
    yield nn.MaxPoolOp(q2, (2, 2), (2, 1), (0, 0, 1, 0), (1, 1), True), True
    yield fixed.SumPoolOp(x1, (3,), (2,), (1, 1), True), True
    yield fixed.SumPoolOp(q2, (2, 3), (2, 2), (0, 1, 1, 0), False), True
    yield fixed.ReduceSumOp(q2, (1, 3)), True
    yield fixed.ReduceMaxOp(q2, (2,)), True
    yield nn.GlobalMaxPoolOp(q2), True
    yield nn.ReduceSumOp(x2, (2, 3)), False
    yield nn.ReduceMaxOp(x2, (1,)), False
    yield nn.KwtaOp(x2, 2, 1), False
    yield nn.KwtaOp(q2, 4, 3), True


@pytest.mark.parametrize("op, integer", list(reductions()), ids=lambda v: getattr(v, "name", str(v)))
def test_reduction_groups_reproduce_the_op(op, integer):
    assert isinstance(op, Reduction)
    x = sample(op.operands[0].type.get_shape(), integer)
    want = run(op, [x]).reshape(BATCH, -1)
    groups = op.reduction_groups()
    assert groups.shape[0] == want.shape[1]
    flat = x.reshape(BATCH, -1)
    cells = flat[:, np.where(groups >= 0, groups, 0)]
    if op.combiner() == "sum":
        got = np.where(groups >= 0, cells, 0).sum(axis=-1)
    elif op.combiner() == "kwta":  # the first cell stays when fewer than k others are larger
        got = np.where((cells[..., 1:] > cells[..., :1]).sum(axis=-1) < op.winners(), cells[..., 0], 0)
    else:
        got = np.where(groups >= 0, cells, -np.inf if not integer else np.iinfo(np.int64).min).max(axis=-1)
    assert np.array_equal(got, want) if integer else np.allclose(got, want, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------------------
# IndexMap


def index_maps():
    x, q = arg((1, 3, 4, 5)), arg((1, 3, 4, 5), Q)
    yield nn.ReshapeOp(x, (1, 12, 5)), False
    yield nn.FlattenOp(q, 1), True
    yield nn.TransposeOp(x, (0, 2, 3, 1)), False
    yield nn.PadOp(x, (0, 0, 1, 2, 0, 1, 0, 1), PadModeAttr(PadMode.CONSTANT), 1.5), False
    yield nn.PadOp(q, (0, 1, 0, 2, 0, 0, 2, 1), PadModeAttr(PadMode.CONSTANT), -0.25), True
    yield nn.PadOp(x, (0, 0, 2, 1, 0, 0, 1, 3), PadModeAttr(PadMode.REFLECT), 0.0), False
    yield nn.PadOp(q, (0, 0, 2, 1, 0, 0, 1, 3), PadModeAttr(PadMode.EDGE), 0.0), True
    yield nn.GatherOp(x, [5, -1, 0, 59, 7, 7, -1], (1, 7)), False
    yield nn.ConcatOp([x, arg((1, 3, 2, 5)), x], 2), False
    yield nn.ConcatOp([q, arg((1, 1, 4, 5), Q)], 1), True


@pytest.mark.parametrize("op, integer", list(index_maps()), ids=lambda v: getattr(v, "name", str(v)))
def test_index_tables_reproduce_the_op(op, integer):
    assert isinstance(op, IndexMap)
    args = [sample(v.type.get_shape(), integer) for v in op.operands]
    want = run(op, args).reshape(BATCH, -1)
    operand, element = op.index_table()
    assert operand.shape == element.shape == (want.shape[1],)
    flats = [a.reshape(BATCH, -1) for a in args]
    got = np.stack([flats[o][:, e] if e >= 0 else np.full(BATCH, op.fill_value()) for o, e in zip(operand, element)],
                   axis=1)
    assert np.array_equal(got, want)


def test_fixed_pad_fills_raw_values():
    op = nn.PadOp(arg((1, 2, 3), Q), (0, 0, 1, 0, 0, 1), PadModeAttr(PadMode.CONSTANT), -0.25)
    assert op.fill_value() == -0.25 * 2**Q.frac


# ---------------------------------------------------------------------------------------
# MacLayer


def _nn_const(values):
    return nn.ConstantOp(to_dense(np.asarray(values, np.float64), f64))


def _fixed_const(raw, typ, element=i16):
    return fixed.ConstantOp(to_dense(np.asarray(raw, np.int64), element), typ)


def mac_layers():
    w, b = _nn_const(RNG.standard_normal((4, 6))), _nn_const(RNG.standard_normal(4))
    yield nn.DenseOp(arg((1, 2, 6)), w.output, b.output), False
    wc, bc = _nn_const(RNG.standard_normal((4, 3, 3, 2))), _nn_const(RNG.standard_normal(4))
    yield nn.ConvOp(arg((1, 6, 5, 6)), wc.output, bc.output, (2, 1), (1, 0, 1, 1), (1, 2), 2), False
    wq = _fixed_const(RNG.integers(-99, 99, (5, 7)), FixedType(8, 2))
    bq = _fixed_const(RNG.integers(-999, 999, 5), FixedType(16, 8))
    yield fixed.DenseOp(arg((1, 7), Q), wq.output, bq.output), True
    w1 = _fixed_const(RNG.integers(-99, 99, (6, 1, 3)), FixedType(8, 1))
    yield fixed.ConvOp(arg((1, 3, 9), Q), w1.output, None, (2,), (1, 2), (2,), 3), True
    digits = SignedDigitsAttr(3, share=True)  # signed-digit weights: the same layer, shift-and-add hardware
    ws = _fixed_const(RNG.integers(-40, 40, (3, 5)), FixedType(8, 2))
    shift_dense = fixed.DenseOp(arg((1, 5), Q), ws.output)
    shift_dense.properties["encoding"] = digits
    yield shift_dense, True
    ws = _fixed_const(RNG.integers(-40, 40, (4, 2, 2, 2)), FixedType(8, 2))
    bias = _fixed_const(RNG.integers(-999, 999, 4), FixedType(16, 4), i32)
    shift_conv = fixed.ConvOp(arg((1, 2, 5, 4), Q), ws.output, bias.output, (1, 1), (1, 1, 0, 0), (1, 1), 1)
    shift_conv.properties["encoding"] = digits
    yield shift_conv, True


@pytest.mark.parametrize("op, integer", list(mac_layers()), ids=lambda v: getattr(v, "name", str(v)))
def test_mac_terms_reproduce_the_layer(op, integer):
    assert isinstance(op, MacLayer)
    x = sample(op.activation().type.get_shape(), integer)
    want = run(op, [x] + [run(v.owner, []) for v in op.operands[1:]]).reshape(BATCH, -1)
    terms = op.mac_terms()
    n, k = terms.index.shape
    assert (n, k) == (op.outputs(), op.fan_in()) and op.macs() == n * k
    flat = np.concatenate([x.reshape(BATCH, -1), np.zeros((BATCH, 1), x.dtype)], axis=1)
    products = (flat[:, terms.index] * terms.weights[terms.channel][None]).sum(axis=-1)  # -1 reads the zero
    if integer:  # raw products have the input's plus the weights' fraction; the layer aligns them
        shift = op.accumulator_type().frac - (op.activation().type.element_type.frac + _weight_frac(op))
        assert np.array_equal((products.astype(np.int64) << shift) + terms.bias[terms.channel][None], want)
    else:
        assert np.allclose(products + terms.bias[terms.channel][None], want, rtol=1e-12, atol=1e-12)


def _weight_frac(op) -> int:
    return fixed.fixed_of(op.operands[1]).frac


def test_windowed_geometry_matches_the_result():
    for op, _ in list(reductions()) + list(mac_layers()):
        if not isinstance(op, Windowed):
            continue
        geo = op.window_geometry()
        out = tuple(op.results[0].type.get_shape())
        assert geo.anchors == int(np.prod(out[2:])) and geo.out_channels == out[1]


# ---------------------------------------------------------------------------------------
# Elementwise


def elementwise_ops():
    x, q = arg((1, 4, 6)), arg((1, 4, 6), Q)
    yield nn.ReluOp(x), False
    yield nn.LeakyReluOp(x, 0.1), False
    yield nn.ClipOp(x, -0.5, 0.75), False
    yield nn.ActivationOp(x, "elu", (1.0,)), False
    yield nn.FakeQuantOp(x, 0.125, 0, 4, True), False
    yield nn.AddOp(x, arg((1, 4, 6))), False
    yield fixed.CastOp(q, FixedType(8, 3), fixed.RoundingAttr(fixed.Rounding.RND), fixed.OverflowAttr(fixed.Overflow.SAT)), True
    yield fixed.ClampOp(q, -100, 200), True
    yield fixed.ActivationOp(q, FixedType(16, 2), "tanh"), True
    yield fixed.AddOp(q, arg((1, 4, 6), FixedType(12, 3))), True


@pytest.mark.parametrize("op, integer", list(elementwise_ops()), ids=lambda v: getattr(v, "name", str(v)))
def test_elementwise_ops_commute_with_permutations(op, integer):
    assert isinstance(op, Elementwise)
    args = [sample(v.type.get_shape(), integer) for v in op.operands]
    perm = RNG.permutation(args[0][0].size)
    shuffled = [a.reshape(BATCH, -1)[:, perm].reshape(a.shape) for a in args]
    want = run(op, args).reshape(BATCH, -1)[:, perm]
    assert np.array_equal(run(op, shuffled).reshape(BATCH, -1), want)


def test_softmax_and_batchnorm_are_not_elementwise():
    x = arg((1, 4))
    c = _nn_const(np.ones(4)).output
    assert not isinstance(nn.SoftmaxOp(x, 1), Elementwise)
    assert not isinstance(nn.BatchNormOp(x, c, c, c, c, 1e-5), Elementwise)


def test_every_fixed_level_op_has_fixed_semantics():
    for cls in fixed.FIXED_OPS:
        assert issubclass(cls, FixedSemantics), cls.name
    for cls in nn.LAYER_OPS + nn.QUANT_OPS:
        assert issubclass(cls, FloatSemantics), cls.name
