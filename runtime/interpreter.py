"""Float reference interpreter for the `nn` dialect.

Runs ``func.func @main`` of a module on a whole batch with numpy, in float64, one
vectorized numpy computation per op. The IR is built for batch 1; every op treats
axis 0 as the batch axis, so any batch size runs unchanged. Results are returned as
float32, the element type of the ONNX graph.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, StringAttr
from xdsl.ir import Operation

from nncc.dialects import nn, unary_functions
from nncc.dialects.pot_quant import WeightsOp
from nncc.dialects.dense import from_dense
from nncc.dialects.nn.windows import avg_pool_divisor, ceil_extra, pad_spatial, windows
from nncc.runtime.inputs import InputError, check_inputs


class InterpreterError(Exception):
    """The module or the inputs cannot be run (bad input shape, unknown op)."""


NAME_ATTR = "nncc.name"


def _ints(attr) -> tuple[int, ...]:
    return tuple(int(v) for v in attr.get_values())


def _batched(op: Operation, batch: int) -> tuple[int, ...]:
    shape = tuple(op.results[0].type.get_shape())
    return (batch,) + shape[1:]


# ---------------------------------------------------------------------------------------
# window helpers (1-D and 2-D, NC + spatial layout)


# ---------------------------------------------------------------------------------------
# op implementations: fn(op, args, batch) -> np.ndarray


def _constant(op: nn.ConstantOp, args, batch):
    return np.asarray(from_dense(op.value), np.float64)


def _pot_weights(op: WeightsOp, args, batch):
    return op.values()


def _dense(op: nn.DenseOp, args, batch):
    x, w = args[0], args[1]
    y = x @ w.T
    if len(args) > 2:
        y = y + args[2]
    return y


def conv_sum(x, w, strides, pads, dil, group, out_spatial) -> np.ndarray:
    """Grouped 1-D/2-D convolution without bias, in the dtype of ``x`` and ``w``."""
    kernel = w.shape[2:]
    xp = pad_spatial(x, pads, 0)
    win = windows(xp, kernel, strides, dil, out_spatial)  # N, C, o..., k...
    n, c = win.shape[:2]
    m = w.shape[0]
    cg, mg = c // group, m // group
    win = win.reshape((n, group, cg) + win.shape[2:])
    wg = w.reshape((group, mg, cg) + tuple(kernel))
    if len(kernel) == 1:
        y = np.einsum("ngcok,gmck->ngmo", win, wg, optimize=True)
    else:
        y = np.einsum("ngcpqkl,gmckl->ngmpq", win, wg, optimize=True)
    return y.reshape((n, m) + tuple(out_spatial))


def _conv(op: nn.ConvOp, args, batch):
    x, w = args[0], args[1]
    out_spatial = tuple(op.output.type.get_shape())[2:]
    y = conv_sum(x, w, _ints(op.strides), _ints(op.pads), _ints(op.dilations), op.group.value.data, out_spatial)
    if len(args) > 2:
        y = y + args[2].reshape((1, w.shape[0]) + (1,) * len(out_spatial))
    return y


def window_sum(op, x: np.ndarray) -> np.ndarray:
    """Sum over the pooling windows of ``op`` (kernel/strides/pads/ceil_mode), zero padded."""
    rank = x.ndim - 2
    kernel, strides = _ints(op.kernel), _ints(op.strides)
    full = list(_ints(op.pads))
    extra = ceil_extra(op, x.shape[2:], full)
    for i in range(rank):
        full[rank + i] += extra[i]
    out_spatial = tuple(op.output.type.get_shape())[2:]
    axes = tuple(range(2 + rank, 2 + 2 * rank))
    return windows(pad_spatial(x, tuple(full), 0), kernel, strides, (1,) * rank, out_spatial).sum(axis=axes)


def _matmul(op, args, batch):
    return np.matmul(args[0], args[1])


def _channel(v: np.ndarray, rank: int) -> np.ndarray:
    return v.reshape((1, -1) + (1,) * (rank - 2))


def _batchnorm(op: nn.BatchNormOp, args, batch):
    x, scale, bias, mean, var = args
    eps = op.epsilon.value.data
    r = x.ndim
    return (x - _channel(mean, r)) / np.sqrt(_channel(var, r) + eps) * _channel(scale, r) + _channel(bias, r)


def _softmax(op: nn.SoftmaxOp, args, batch):
    axis = op.axis.value.data
    x = args[0]
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _clip(op: nn.ClipOp, args, batch):
    lo = -np.inf if op.min is None else op.min.value.data
    hi = np.inf if op.max is None else op.max.value.data
    return np.clip(args[0], lo, hi)


def _max_pool(op: nn.MaxPoolOp, args, batch):
    x = args[0]
    rank = x.ndim - 2
    pads = list(_ints(op.pads))
    extra = ceil_extra(op, x.shape[2:], pads)
    for i in range(rank):
        pads[rank + i] += extra[i]
    lowest = np.iinfo(x.dtype).min if x.dtype.kind == "i" else -np.inf
    xp = pad_spatial(x, tuple(pads), lowest)
    out_spatial = tuple(op.output.type.get_shape())[2:]
    win = windows(xp, _ints(op.kernel), _ints(op.strides), _ints(op.dilations), out_spatial)
    return win.max(axis=tuple(range(2 + rank, 2 + 2 * rank)))


def _avg_pool(op: nn.AvgPoolOp, args, batch):
    x = args[0]
    return window_sum(op, x) / avg_pool_divisor(op, x.shape[2:])


def _global(reduce):
    def run(op, args, batch):
        x = args[0]
        return reduce(x, axis=tuple(range(2, x.ndim)), keepdims=True)

    return run


def _reshape(op, args, batch):
    return args[0].reshape(_batched(op, batch))


def _transpose(op: nn.TransposeOp, args, batch):
    return np.transpose(args[0], _ints(op.perm))


def _concat(op: nn.ConcatOp, args, batch):
    # a constant operand has batch 1 in the IR (e.g. a folded Expand to Shape(x)[0]):
    # it is the same for every sample, so repeat it along the batch
    args = [np.broadcast_to(a, (batch,) + a.shape[1:]) if a.shape[0] == 1 else a for a in args]
    return np.concatenate(args, axis=op.axis.value.data)


def _pad(op: nn.PadOp, args, batch):
    x = args[0]
    pads = _ints(op.pads)
    r = x.ndim
    widths = [(pads[i], pads[r + i]) for i in range(r)]
    mode = op.mode.data.value
    if mode == "constant":
        return np.pad(x, widths, mode="constant", constant_values=op.value.value.data)
    return np.pad(x, widths, mode="reflect" if mode == "reflect" else "edge")


def _gather(op: nn.GatherOp, args, batch):
    """Per-sample flat selection; index -1 selects a zero."""
    x = args[0]
    flat = np.concatenate([x.reshape(x.shape[0], -1), np.zeros((x.shape[0], 1), x.dtype)], axis=1)
    return flat[:, op.table()].reshape((x.shape[0],) + tuple(op.output.type.get_shape())[1:])


def _reduction(fn):
    def run(op: nn.ReduceOp, args, batch):
        return fn(args[0], axis=op.axis_tuple(), keepdims=True)

    return run


def _hard_sigmoid(op, args, batch):
    return np.clip(op.alpha.value.data * args[0] + op.beta.value.data, 0.0, 1.0)


def _leaky_relu(op, args, batch):
    x = args[0]
    return np.where(x >= 0, x, op.alpha.value.data * x)


_ROUND = {"half_even": np.rint, "floor": np.floor, "ceil": np.ceil, "to_zero": np.fix}


def _fake_quant(op: nn.FakeQuantOp, args, batch):
    """(clip(R(x / scale) + zp, qmin, qmax) - zp) * scale, in float64.

    The quotient is float64 (ONNX runtimes divide in float32, so values within an ulp
    of a rounding tie may land on the other side there); for power-of-two scales every
    step is exact.
    """
    scale = op.scale.value.data
    zp = op.zero_point.value.data
    lo, hi = op.limits()
    q = np.clip(_ROUND[op.rounding.data](args[0] / scale) + zp, lo, hi)
    return (q - zp) * scale


def _fake_quant_axis(op: nn.FakeQuantAxisOp, args, batch):
    """`_fake_quant` with one scale per channel along the op's axis."""
    scale = np.asarray(op.scale_values(), np.float64).reshape(op.broadcast_shape())
    zp = op.zero_point.value.data
    lo, hi = op.limits()
    q = np.clip(_ROUND[op.rounding.data](args[0] / scale) + zp, lo, hi)
    return (q - zp) * scale


def _sign(op: nn.SignOp, args, batch):
    scale = op.scale.value.data
    return np.where(args[0] >= 0, scale, -scale)


FLOAT_IMPLS: dict[type[Operation], Callable] = {
    nn.ConstantOp: _constant,
    WeightsOp: _pot_weights,
    nn.DenseOp: _dense,
    nn.ConvOp: _conv,
    nn.MatMulOp: _matmul,
    nn.BatchNormOp: _batchnorm,
    nn.ReluOp: lambda op, a, b: np.maximum(a[0], 0.0),
    nn.LeakyReluOp: _leaky_relu,
    nn.SigmoidOp: lambda op, a, b: 0.5 * (1.0 + np.tanh(0.5 * a[0])),
    nn.HardSigmoidOp: _hard_sigmoid,
    nn.TanhOp: lambda op, a, b: np.tanh(a[0]),
    nn.ClipOp: _clip,
    nn.SoftmaxOp: _softmax,
    nn.AddOp: lambda op, a, b: a[0] + a[1],
    nn.SubOp: lambda op, a, b: a[0] - a[1],
    nn.MulOp: lambda op, a, b: a[0] * a[1],
    nn.DivOp: lambda op, a, b: a[0] / a[1],
    nn.MaxPoolOp: _max_pool,
    nn.AvgPoolOp: _avg_pool,
    nn.GlobalAvgPoolOp: _global(np.mean),
    nn.GlobalMaxPoolOp: _global(np.max),
    nn.ReshapeOp: _reshape,
    nn.FlattenOp: _reshape,
    nn.TransposeOp: _transpose,
    nn.ConcatOp: _concat,
    nn.PadOp: _pad,
    nn.GatherOp: _gather,
    nn.ReduceSumOp: _reduction(np.sum),
    nn.ReduceMeanOp: _reduction(np.mean),
    nn.ReduceMaxOp: _reduction(np.max),
    nn.ReduceMinOp: _reduction(np.min),
    nn.FakeQuantOp: _fake_quant,
    nn.FakeQuantAxisOp: _fake_quant_axis,
    nn.SignOp: _sign,
    nn.ActivationOp: lambda op, a, b: unary_functions.evaluate(op.function.data, a[0], op.parameters()),
    nn.MaxOp: lambda op, a, b: np.maximum(a[0], a[1]),
    nn.MinOp: lambda op, a, b: np.minimum(a[0], a[1]),
}
"""Float implementation of every `nn` op."""


def main_function(module: ModuleOp) -> func.FuncOp:
    """The module's `@main` function."""
    for op in module.ops:
        if isinstance(op, func.FuncOp) and op.sym_name.data == "main":
            return op
    raise InterpreterError("module has no func.func @main")


def io_names(function: func.FuncOp) -> tuple[list[str], list[str]]:
    """Graph input and output names (from `nncc.name`, else arg<i>/out<i>)."""

    def names(attrs, count, prefix):
        out = []
        for i in range(count):
            name = None
            if attrs is not None and i < len(attrs.data):
                value = attrs.data[i].data.get(NAME_ATTR)
                if isinstance(value, StringAttr):
                    name = value.data
            out.append(name if name is not None else f"{prefix}{i}")
        return out

    ftype = function.function_type
    return (
        names(function.arg_attrs, len(ftype.inputs.data), "arg"),
        names(function.res_attrs, len(ftype.outputs.data), "out"),
    )


def execute(
    module: ModuleOp,
    inputs: Mapping[str, np.ndarray],
    impls: Mapping[type[Operation], Callable],
    *,
    observe: Callable[[Operation, np.ndarray], None] | None = None,
    finite: bool = True,
) -> dict[str, np.ndarray]:
    """Walk ``@main`` once over a batch with the given op implementations.

    The inputs go through `check_inputs` (``finite``: refuse NaN/Inf).

    Inputs are keyed by graph input name and batch first; outputs come back keyed by
    graph output name, as the implementations produced them.
    """
    function = main_function(module)
    in_names, out_names = io_names(function)
    block = function.body.blocks[0]
    try:
        checked = check_inputs(inputs, in_names, [arg.type.get_shape() for arg in block.args], finite=finite)
    except InputError as err:
        raise InterpreterError(str(err)) from None
    env: dict = {arg: checked[name].astype(np.float64) for name, arg in zip(in_names, block.args)}
    batch = len(next(iter(checked.values())))
    for op in block.ops:
        if isinstance(op, func.ReturnOp):
            return {n: env[v] for n, v in zip(out_names, op.operands)}
        impl = impls.get(type(op))
        if impl is None:
            raise InterpreterError(f"no implementation for op {op.name} at this level")
        result = impl(op, [env[v] for v in op.operands], batch)
        env[op.results[0]] = result
        if observe is not None:
            observe(op, result)
    raise InterpreterError("@main has no func.return")


def run_float(
    module: ModuleOp,
    inputs: Mapping[str, np.ndarray],
    *,
    observe: Callable[[Operation, np.ndarray], None] | None = None,
) -> dict[str, np.ndarray]:
    """Run ``@main`` on batch-first ``inputs`` (keyed by graph input name).

    Returns the outputs keyed by graph output name, as float32. ``observe`` is
    called with every op and its (float64) result, for per-layer traces.
    """
    outputs = execute(module, inputs, FLOAT_IMPLS, observe=observe, finite=False)
    return {name: np.asarray(value, np.float32) for name, value in outputs.items()}
