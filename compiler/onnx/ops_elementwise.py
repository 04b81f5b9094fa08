"""Importer functions of the element-wise ONNX operators: variadic Sum/Mean/Max/Min, PRelu,
the unary functions (Elu, Selu, Softplus, Softsign, HardSwish, Mish, Gelu, Erf, Exp, Log,
Sqrt, Reciprocal, Neg, Abs, Pow), Where with a constant condition, and the normalizations
LRN, LayerNormalization and InstanceNormalization.

Each op is expressed with existing `nn` ops where that is exact (Mean = sum / n, Neg = x * -1,
Abs = max(x, -x), PRelu = relu(x) + slope * min(x, 0), HardSwish = x * hard_sigmoid(x)); the
table-based functions become one generic `nn.activation` (see `dialects/unary_functions.py`).
`ELEMENTWISE_IMPORTERS` is merged into `onnx_ops.IMPORTERS`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from xdsl.ir import SSAValue

from nncc.compiler.onnx.support import support
from nncc.dialects.nn import (
    ActivationOp,
    AddOp,
    AvgPoolOp,
    DivOp,
    GlobalAvgPoolOp,
    HardSigmoidOp,
    MaxOp,
    MinOp,
    MulOp,
    ReluOp,
    ReshapeOp,
    SignOp,
    SubOp,
    TransposeOp,
)
from nncc.dialects.nn import shapes


def _broadcast_all(ctx, indices) -> tuple[int, ...]:
    """The broadcast shape of inputs ``indices``; a problem if it changes the batch axis."""
    out: tuple[int, ...] = ()
    try:
        for i in indices:
            out = shapes.broadcast(out, ctx.shape(i))
    except ValueError as err:
        ctx.fail(str(err))
    runtime = [len(ctx.shape(i)) for i in indices if ctx.is_runtime(i)]
    if not runtime:
        ctx.fail("every input is a compile-time constant")
    if len(out) != max(runtime) or out[0] != 1:
        ctx.fail(f"broadcasting {[list(ctx.shape(i)) for i in indices]} changes the batch axis")
    return out


def _chain(ctx, op_class) -> SSAValue:
    """op_class applied left to right over every input (variadic Sum/Max/Min)."""
    indices = [i for i in range(len(ctx.node.input)) if ctx.has_input(i)]
    if not indices:
        ctx.fail("needs at least one input")
    _broadcast_all(ctx, indices)
    value = ctx.value(indices[0])
    for i in indices[1:]:
        value = ctx.emit(op_class(value, ctx.value(i))).output
    return value


def _input(ctx) -> SSAValue:
    """Input 0, which must be computed at run time (constant sub-graphs of these ops are
    not folded)."""
    if not ctx.is_runtime(0):
        ctx.fail("the input must be computed at run time (this operator is not evaluated on constants)")
    return ctx.value(0)


def _scalar_const(ctx, value: float) -> SSAValue:
    return ctx.constant(np.asarray([value], np.float32))


_TABLE_NOTE = "in hardware a table or piecewise-linear segments (see `dialects/unary_functions.py`)"


def _unary(function: str, notes: str = "", **defaults: float) -> Callable:
    """Importer of an ONNX unary op computing ``function``, with attributes as parameters."""

    @support("nn.activation", hardware=True, notes=(notes + "; " if notes else "") + _TABLE_NOTE)
    def importer(ctx):
        params = [float(ctx.attr(name, default)) for name, default in defaults.items()]
        return [ctx.emit(ActivationOp(_input(ctx), function, params)).output]

    importer.__doc__ = f"ONNX unary op as nn.activation '{function}' (parameters: {', '.join(defaults) or 'none'})."
    return importer


# ---------------------------------------------------------------------------------------
# variadic


@support("nn.add", hardware=True, notes="any number of inputs, numpy broadcasting")
def import_sum(ctx):
    """Sum of any number of inputs (broadcasting): a chain of nn.add."""
    return [_chain(ctx, AddOp)]


@support("nn.add, nn.div", hardware=True, notes="any number of inputs, numpy broadcasting; the sum divided by the count")
def import_mean(ctx):
    """Mean of any number of inputs: the chain of nn.add divided by the constant count."""
    total = _chain(ctx, AddOp)
    count = sum(1 for i in range(len(ctx.node.input)) if ctx.has_input(i))
    if count == 1:
        return [total]
    return [ctx.emit(DivOp(total, _scalar_const(ctx, float(count)))).output]


@support("nn.max", hardware=True, notes="any number of inputs, numpy broadcasting; in hardware a + relu(b - a), exact")
def import_max(ctx):
    """Max of any number of inputs (broadcasting): a chain of nn.max."""
    return [_chain(ctx, MaxOp)]


@support("nn.min", hardware=True, notes="any number of inputs, numpy broadcasting; in hardware a - relu(a - b), exact")
def import_min(ctx):
    """Min of any number of inputs (broadcasting): a chain of nn.min."""
    return [_chain(ctx, MinOp)]


# ---------------------------------------------------------------------------------------
# piecewise-linear and exact arithmetic


@support("nn.relu, nn.min, nn.mul, nn.add", hardware=True, notes="relu(x) + slope * min(x, 0); constant slope, scalar or per channel")
def import_prelu(ctx):
    """PRelu with a constant slope (scalar or per channel): relu(x) + slope * min(x, 0)."""
    x = _input(ctx)
    slope = ctx.require_const(1, "slope")
    xs = ctx.shape(0)
    try:
        if shapes.broadcast(xs, slope.shape) != tuple(xs):
            raise ValueError(f"slope of shape {list(slope.shape)} does not broadcast to the input {list(xs)}")
    except ValueError as err:
        ctx.fail(str(err))
    positive = ctx.emit(ReluOp(x)).output
    negative = ctx.emit(MinOp(x, _scalar_const(ctx, 0.0))).output
    scaled = ctx.emit(MulOp(negative, ctx.constant(slope))).output
    return [ctx.emit(AddOp(positive, scaled)).output]


@support("nn.hard_sigmoid, nn.mul", hardware=True, notes="x * hard_sigmoid(x)")
def import_hard_swish(ctx):
    """HardSwish: x * hard_sigmoid(x) with alpha 1/6, beta 1/2."""
    x = _input(ctx)
    gate = ctx.emit(HardSigmoidOp(x, 1.0 / 6.0, 0.5)).output
    return [ctx.emit(MulOp(x, gate)).output]


@support("nn.mul", hardware=True, notes="x * -1, exact")
def import_neg(ctx):
    """Neg: x * -1 (exact)."""
    return [ctx.emit(MulOp(_input(ctx), _scalar_const(ctx, -1.0))).output]


@support("nn.mul, nn.max", hardware=True, notes="max(x, -x), exact")
def import_abs(ctx):
    """Abs: max(x, x * -1) (exact)."""
    x = _input(ctx)
    negated = ctx.emit(MulOp(x, _scalar_const(ctx, -1.0))).output
    return [ctx.emit(MaxOp(x, negated)).output]


@support("nn.sign, nn.sub, nn.mul", hardware=True,
         notes="-1, 0 or +1 as (bipolar(x) - bipolar(-x)) / 2, exact; after a batch norm on a binary layer's "
               "integer accumulator a +-1 threshold when no accumulator value gives 0 "
               "(`binary-complex-fold-threshold`); Sign(x) + Cast(Equal(x, 0)) is one bipolar nn.sign")
def import_sign(ctx):
    """Sign: -1, 0 or +1. `nn.sign` is bipolar (0 gives +1), so Sign(x) is
    (sign(x) - sign(-x)) / 2, which is 0 exactly when x is 0 (exact)."""
    x = _input(ctx)
    up = ctx.emit(SignOp(x, 1.0)).output
    down = ctx.emit(SignOp(ctx.emit(MulOp(x, _scalar_const(ctx, -1.0))).output, 1.0)).output
    return [ctx.emit(MulOp(ctx.emit(SubOp(up, down)).output, _scalar_const(ctx, 0.5))).output]


@support("nn.activation", hardware=True, notes="approximate none (erf) or tanh; " + _TABLE_NOTE)
def import_gelu(ctx):
    """Gelu (opset 20): approximate 'none' (erf form) or 'tanh'."""
    approximate = ctx.attr("approximate", "none")
    if approximate not in ("none", "tanh"):
        ctx.fail(f"approximate '{approximate}' is not supported (none or tanh)")
    function = "gelu" if approximate == "none" else "gelu_tanh"
    return [ctx.emit(ActivationOp(_input(ctx), function)).output]


@support("nn.activation", hardware=True, notes="constant scalar exponent (1: removed, 2: x * x); a negative base with a fractional exponent counts as 0 in hardware; " + _TABLE_NOTE)
def import_pow(ctx):
    """Pow by a constant scalar exponent: 1 is the identity, 2 is x * x, others nn.activation 'pow'."""
    x = _input(ctx)
    exponent = ctx.require_const(1, "exponent Y")
    if exponent.size != 1:
        ctx.fail(f"exponent Y must be a scalar, got shape {list(exponent.shape)}")
    p = float(exponent.reshape(-1)[0])
    if not np.isfinite(p):
        ctx.fail(f"exponent {p} is not finite")
    if p == 1.0:
        return [x]
    if p == 2.0:
        return [ctx.emit(MulOp(x, x)).output]
    return [ctx.emit(ActivationOp(x, "pow", [p])).output]


@support("nn.mul, nn.add; nn.sign (bipolar sign)", hardware=True,
         notes="constant condition: x * c + y * (1 - c); either branch may be a constant; a bipolar sign "
               "Where(GreaterOrEqual(x, 0), s, -s) or Where(Less(x, 0), -s, s), s > 0 (torch.where(x >= 0, 1., -1.), "
               "the STE forward), becomes one nn.sign (sign(0) = +1; see `nncc.compiler.onnx.patterns`)")
def import_where(ctx):
    """Where with a constant condition: x * c + y * (1 - c), with constant branches folded
    and all-true / all-false masks skipping their product."""
    cond = ctx.require_const(0, "condition").astype(bool)
    out = _broadcast_all(ctx, [0, 1, 2])
    terms, folded = [], np.zeros((), np.float64)
    for i, mask in ((1, cond), (2, ~cond)):
        if not ctx.is_runtime(i):
            folded = folded + np.where(mask, np.asarray(ctx.require_const(i, "branch"), np.float64), 0.0)
        elif mask.all():
            terms.append(ctx.value(i))
        elif mask.any():
            terms.append(ctx.emit(MulOp(ctx.value(i), ctx.constant(mask.astype(np.float32)))).output)
    if not terms:
        ctx.fail("the condition selects only compile-time constants")
    value = terms[0]
    for term in terms[1:]:
        value = ctx.emit(AddOp(value, term)).output
    if np.any(folded != 0) or tuple(value.type.get_shape()) != out:
        filler = np.broadcast_to(folded, out[1:] if folded.ndim < len(out) else out)
        value = ctx.emit(AddOp(value, ctx.constant(np.array(filler, np.float32)))).output
    return [value]


# ---------------------------------------------------------------------------------------
# normalizations, from existing nn ops


def _inverse_sqrt(ctx, variance: SSAValue, epsilon: float) -> SSAValue:
    """(variance + epsilon)^-1/2."""
    shifted = ctx.emit(AddOp(variance, _scalar_const(ctx, epsilon))).output
    return ctx.emit(ActivationOp(shifted, "pow", [-0.5])).output


def _affine(ctx, value: SSAValue, scale: np.ndarray | None, bias: np.ndarray | None) -> SSAValue:
    if scale is not None:
        value = ctx.emit(MulOp(value, ctx.constant(scale))).output
    if bias is not None:
        value = ctx.emit(AddOp(value, ctx.constant(bias))).output
    return value


@support("nn.global_avg_pool, nn.activation, ...", hardware=True, notes="means by global average pooling, (var + eps)^-1/2 as `nn.activation` pow (a uniform table in hardware: coarse for variances near 0); optional Mean and InvStdDev outputs")
def import_layer_normalization(ctx):
    """LayerNormalization (opset 17) over the axes from `axis` on: the input viewed as
    N x P x K, means as nn.global_avg_pool over K, (var + eps)^-1/2 as nn.activation 'pow',
    then the constant scale and bias; the optional Mean and InvStdDev outputs are reshaped
    statistics."""
    xs = tuple(ctx.shape(0))
    try:
        axis = shapes.normalize_axis(int(ctx.attr("axis", -1)), len(xs))
    except ValueError as err:
        ctx.fail(str(err))
    if axis == 0:
        ctx.fail("normalizing over the batch axis is not supported")
    scale = ctx.require_const(1, "Scale")
    bias = ctx.require_const(2, "B") if ctx.has_input(2) else None
    view = (xs[0], int(np.prod(xs[1:axis])), int(np.prod(xs[axis:])))
    flat = ctx.emit(ReshapeOp(_input(ctx), view)).output
    mean = ctx.emit(GlobalAvgPoolOp(flat)).output
    centered = ctx.emit(SubOp(flat, mean)).output
    variance = ctx.emit(GlobalAvgPoolOp(ctx.emit(MulOp(centered, centered)).output)).output
    inverse = _inverse_sqrt(ctx, variance, float(ctx.attr("epsilon", 1e-5)))
    normed = ctx.emit(ReshapeOp(ctx.emit(MulOp(centered, inverse)).output, xs)).output
    outputs = [_affine(ctx, normed, scale, bias)]
    stats_shape = xs[:axis] + (1,) * (len(xs) - axis)
    for j, value in ((1, mean), (2, inverse)):
        if j < len(ctx.node.output):
            outputs.append(ctx.emit(ReshapeOp(value, stats_shape)).output if ctx.node.output[j] else None)
    return outputs


@support("nn.global_avg_pool, nn.activation, ...", hardware=True, notes="means by global average pooling, (var + eps)^-1/2 as `nn.activation` pow (a uniform table in hardware: coarse for variances near 0)")
def import_instance_normalization(ctx):
    """InstanceNormalization: per sample and channel over the spatial axes, with
    nn.global_avg_pool means and nn.activation 'pow' for (var + eps)^-1/2."""
    xs = tuple(ctx.shape(0))
    if len(xs) < 3:
        ctx.fail(f"input {list(xs)} has no spatial axis")
    channels = xs[1]
    params = []
    for i, label in ((1, "scale"), (2, "B")):
        value = ctx.require_const(i, label).reshape(-1)
        if value.shape != (channels,):
            ctx.fail(f"{label} has {value.size} values for {channels} channels")
        params.append(value.reshape((channels,) + (1,) * (len(xs) - 2)))
    x = _input(ctx)
    mean = ctx.emit(GlobalAvgPoolOp(x)).output
    centered = ctx.emit(SubOp(x, mean)).output
    variance = ctx.emit(GlobalAvgPoolOp(ctx.emit(MulOp(centered, centered)).output)).output
    normed = ctx.emit(MulOp(centered, _inverse_sqrt(ctx, variance, float(ctx.attr("epsilon", 1e-5))))).output
    return [_affine(ctx, normed, *params)]


def _channels_last(ctx, value: SSAValue, xs: tuple[int, ...], back: bool) -> SSAValue:
    """N x C x S... <-> N x prod(S) x C (``back``: the reverse), by transpose and reshape."""
    rank = len(xs)
    spatial = int(np.prod(xs[2:]))
    moved = (xs[0],) + tuple(xs[2:]) + (xs[1],)
    if back:
        value = ctx.emit(ReshapeOp(value, moved)).output
        return ctx.emit(TransposeOp(value, [0, rank - 1] + list(range(1, rank - 1)))).output
    value = ctx.emit(TransposeOp(value, [0] + list(range(2, rank)) + [1])).output
    return ctx.emit(ReshapeOp(value, (xs[0], spatial, xs[1]))).output


@support("nn.avg_pool, nn.activation, ...", hardware=True, notes="across channels: the window mean of x^2 as `nn.avg_pool` over the channels, (bias + alpha * mean)^-beta as `nn.activation` pow")
def import_lrn(ctx):
    """LRN across channels: x * (bias + alpha * window mean of x^2)^-beta; the window mean
    is a 1-D nn.avg_pool over the channels (moved last; zero padding counted), so the
    layer needs no multiply-accumulate engine."""
    xs = tuple(ctx.shape(0))
    if len(xs) < 2:
        ctx.fail(f"input {list(xs)} has no channel axis")
    size = ctx.attr("size")
    if size is None or int(size) < 1:
        ctx.fail(f"size must be a positive integer, got {size}")
    size = int(size)
    alpha, beta, bias = (float(ctx.attr(n, d)) for n, d in (("alpha", 1e-4), ("beta", 0.75), ("bias", 1.0)))
    x = _input(ctx)
    squares = _channels_last(ctx, ctx.emit(MulOp(x, x)).output, xs, back=False)
    low = (size - 1) // 2
    window = ctx.emit(AvgPoolOp(squares, [size], [1], [low, size - 1 - low], False, True)).output
    window = _channels_last(ctx, window, xs, back=True)
    scaled = ctx.emit(MulOp(window, _scalar_const(ctx, alpha))).output
    shifted = ctx.emit(AddOp(scaled, _scalar_const(ctx, bias))).output
    factor = ctx.emit(ActivationOp(shifted, "pow", [-beta])).output
    return [ctx.emit(MulOp(x, factor)).output]


ELEMENTWISE_IMPORTERS: dict[str, Callable] = {
    "Sum": import_sum,
    "Mean": import_mean,
    "Max": import_max,
    "Min": import_min,
    "PRelu": import_prelu,
    "Elu": _unary("elu", alpha=1.0),
    "Selu": _unary("selu", alpha=1.67326319217681884765625, gamma=1.05070102214813232421875),
    "Softplus": _unary("softplus"),
    "Softsign": _unary("softsign"),
    "HardSwish": import_hard_swish,
    "Mish": _unary("mish"),
    "Gelu": import_gelu,
    "Erf": _unary("erf"),
    "Exp": _unary("exp"),
    "Log": _unary("log", "Log(x <= 0) is the most negative output value in hardware"),
    "Sqrt": _unary("sqrt", "Sqrt(x < 0) counts as Sqrt(0) in hardware"),
    "Reciprocal": _unary("reciprocal", "1/0 and values beyond the calibrated range saturate in hardware"),
    "Neg": import_neg,
    "Abs": import_abs,
    "Sign": import_sign,
    "Pow": import_pow,
    "Where": import_where,
    "LRN": import_lrn,
    "LayerNormalization": import_layer_normalization,
    "InstanceNormalization": import_instance_normalization,
}
"""ONNX op type -> importer function of the element-wise operators."""
