"""One importer function per ONNX operator: ``fn(ctx: NodeContext) -> [SSAValue, ...]``.

Adding an operator is adding one function (with its `onnx_support.support` row of the
README's supported-operators table) and one entry in ``IMPORTERS``. Functions
read attributes with opset-dependent defaults, fold compile-time parameters into op
properties, and raise ``ctx.fail(...)`` for anything the `nn` dialect cannot express.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from xdsl.ir import SSAValue

from nncc.compiler.onnx import ops_structure as onnx_ops_structure
from nncc.compiler.onnx.fold import Grid, pot_exponents
from nncc.compiler.onnx.ops_elementwise import ELEMENTWISE_IMPORTERS
from nncc.compiler.onnx.ops_recurrent import RECURRENT_IMPORTERS
from nncc.compiler.onnx.support import support
from nncc.dialects.nn import (
    AddOp,
    AvgPoolOp,
    BatchNormOp,
    ClipOp,
    ConcatOp,
    ConvOp,
    DenseOp,
    DivOp,
    FlattenOp,
    GlobalAvgPoolOp,
    GlobalMaxPoolOp,
    HardSigmoidOp,
    LeakyReluOp,
    MatMulOp,
    MaxPoolOp,
    MulOp,
    PadMode,
    PadModeAttr,
    PadOp,
    ReluOp,
    ReshapeOp,
    SigmoidOp,
    SoftmaxOp,
    SubOp,
    TanhOp,
    TransposeOp,
)
from nncc.dialects.nn import shapes


def _shape_rule(ctx, fn, *args):
    try:
        return fn(*args)
    except ValueError as err:
        ctx.fail(str(err))


def _reshape(ctx, value: SSAValue, shape) -> SSAValue:
    shape = tuple(int(d) for d in shape)
    if tuple(value.type.get_shape()) == shape:
        return value
    if not shape or shape[0] != value.type.get_shape()[0]:
        ctx.fail(f"reshape from {list(value.type.get_shape())} to {list(shape)} changes the batch axis")
    return ctx.emit(ReshapeOp(value, shape)).output


def _scaled_grid(grid: Grid | None, factor: float) -> Grid | None:
    """The grid of values multiplied by ``factor`` (kept only for positive powers of two)."""
    if grid is None or factor == 1:
        return grid
    exps = pot_exponents(factor)
    return None if exps is None else Grid(grid.bits, grid.frac + int(exps), grid.signed)


# ---------------------------------------------------------------------------------------
# dense and convolution


@support(
    "nn.dense",
    hardware=True,
    notes="constant B (transB 0/1), alpha/beta folded into the weights; transA unsupported",
)
def import_gemm(ctx):
    """Gemm: alpha * A' @ B' + beta * C with constant B (and C) becomes nn.dense."""
    if not ctx.is_runtime(0):
        ctx.fail("operand A must be computed at run time")
    if ctx.attr("transA", 0):
        ctx.fail("transA=1 would transpose the batch axis")
    b = ctx.require_const(1, "weight B")
    if b.ndim != 2:
        ctx.fail(f"weight B must be 2-D, got shape {list(b.shape)}")
    alpha = float(ctx.attr("alpha", 1.0))
    weight = (b if ctx.attr("transB", 0) else b.T) * np.float32(alpha)
    x = ctx.value(0)
    if len(x.type.get_shape()) != 2:
        ctx.fail(f"operand A must be 2-D, got shape {list(x.type.get_shape())}")
    if x.type.get_shape()[1] != weight.shape[1]:
        ctx.fail(f"A {list(x.type.get_shape())} does not match B {list(b.shape)}")
    bias = None
    if ctx.has_input(2):
        beta = float(ctx.attr("beta", 1.0))
        c = ctx.require_const(2, "bias C") * np.float32(beta)
        m = weight.shape[0]
        if c.size == 1:
            c = np.full((m,), c.reshape(-1)[0], np.float32)
        elif c.shape in ((m,), (1, m)):
            c = c.reshape(m)
        else:
            ctx.fail(f"bias C of shape {list(c.shape)} must broadcast per output feature ({m})")
        bias = ctx.constant(c, _scaled_grid(ctx.grid(2), beta))
    return [ctx.emit(DenseOp(x, ctx.constant(weight, _scaled_grid(ctx.grid(1), alpha)), bias)).output]


@support(
    "`nn.dense`, or `nn.conv` (grouped, kernel 1), or `nn.matmul`",
    hardware=True,
    notes="dense when B is a constant matrix or vector (a following constant Add becomes the bias) or A a constant "
    "matrix; a grouped convolution when constant B has leading dimensions (broadcast both ways, not over the batch "
    "axis); `nn.matmul` (no Verilog yet) when both are computed at run time",
)
def import_matmul(ctx):
    """MatMul: nn.dense when B is a constant matrix, a grouped convolution when B is a
    constant with leading dimensions, nn.dense on transposes when A is a constant matrix,
    nn.matmul otherwise."""
    if not ctx.is_runtime(0):
        return onnx_ops_structure.constant_left_matmul(ctx)
    x = ctx.value(0)
    b = ctx.const(1)
    if b is not None and b.ndim > 2:
        return onnx_ops_structure.batched_matmul(ctx)
    if b is not None and b.ndim == 1 and len(x.type.get_shape()) >= 3:  # A [..., K] @ b [K]: dense to [..., 1]
        if x.type.get_shape()[-1] != b.shape[0]:
            ctx.fail(f"A {list(x.type.get_shape())} does not match B {list(b.shape)}")
        y = ctx.emit(DenseOp(x, ctx.constant(b.reshape(1, -1), ctx.grid(1)))).output
        return [ctx.emit(ReshapeOp(y, x.type.get_shape()[:-1])).output]
    if b is not None and b.ndim == 2 and len(x.type.get_shape()) >= 2:
        if x.type.get_shape()[-1] != b.shape[0]:
            ctx.fail(f"A {list(x.type.get_shape())} does not match B {list(b.shape)}")
        return [ctx.emit(DenseOp(x, ctx.constant(b.T, ctx.grid(1)))).output]
    shape = _shape_rule(ctx, shapes.matmul_shape, ctx.shape(0), ctx.shape(1))
    if len(shape) != len(ctx.shape(0)) or shape[0] != 1:
        ctx.fail(f"matmul of {list(ctx.shape(0))} and {list(ctx.shape(1))} changes the batch axis")
    return [ctx.emit(MatMulOp(x, ctx.value(1))).output]


def _explicit_pads(ctx, in_spatial, kernel, strides, dilations) -> list[int]:
    rank = len(in_spatial)
    auto_pad = ctx.attr("auto_pad", "NOTSET")
    if auto_pad in ("NOTSET", ""):
        pads = ctx.attr("pads", [0] * (2 * rank))
        if len(pads) != 2 * rank:
            ctx.fail(f"pads {list(pads)} need {2 * rank} values")
        return [int(p) for p in pads]
    if auto_pad == "VALID":
        return [0] * (2 * rank)
    if auto_pad not in ("SAME_UPPER", "SAME_LOWER"):
        ctx.fail(f"auto_pad '{auto_pad}' is not supported")
    begins, ends = [], []
    for size, k, s, d in zip(in_spatial, kernel, strides, dilations):
        out = -(-size // s)
        total = max(0, (out - 1) * s + (k - 1) * d + 1 - size)
        small, large = total // 2, total - total // 2
        begins.append(small if auto_pad == "SAME_UPPER" else large)
        ends.append(large if auto_pad == "SAME_UPPER" else small)
    return begins + ends


@support(
    "nn.conv",
    hardware=True,
    notes=(
        "1-D and 2-D; strides, pads, auto_pad (SAME_UPPER/SAME_LOWER/VALID), dilations, groups incl. "
        "depthwise"
    ),
)
def import_conv(ctx):
    """Conv 1-D/2-D with strides, pads/auto_pad, dilations and groups."""
    if not ctx.is_runtime(0):
        ctx.fail("the input must be computed at run time")
    w = ctx.require_const(1, "weight W")
    x = ctx.value(0)
    xs = tuple(x.type.get_shape())
    rank = len(xs) - 2
    if rank not in (1, 2):
        ctx.fail(f"only 1-D and 2-D convolutions are supported, input has shape {list(xs)}")
    kernel = ctx.attr("kernel_shape", list(w.shape[2:]))
    if list(kernel) != list(w.shape[2:]):
        ctx.fail(f"kernel_shape {list(kernel)} does not match weight shape {list(w.shape)}")
    strides = ctx.attr("strides", [1] * rank)
    dilations = ctx.attr("dilations", [1] * rank)
    pads = _explicit_pads(ctx, xs[2:], kernel, strides, dilations)
    group = int(ctx.attr("group", 1))
    _shape_rule(ctx, shapes.conv_shape, xs, w.shape, strides, pads, dilations, group)
    bias = None
    if ctx.has_input(2):
        b = ctx.require_const(2, "bias B")
        if b.shape != (w.shape[0],):
            ctx.fail(f"bias B of shape {list(b.shape)} must be 1-D with one value per output channel ({w.shape[0]})")
        bias = ctx.constant(b, ctx.grid(2))
    return [ctx.emit(ConvOp(x, ctx.constant(w, ctx.grid(1)), bias, strides, pads, dilations, group)).output]


@support(
    "nn.batchnorm",
    hardware=True,
    notes="inference mode; folded into a preceding conv/dense by `nn-fold-batchnorm`",
)
def import_batchnorm(ctx):
    """BatchNormalization in inference mode (one output)."""
    if ctx.attr("training_mode", 0):
        ctx.fail("training_mode=1 is not supported (export the model in eval mode)")
    if len([o for o in ctx.node.output if o]) > 1:
        ctx.fail("running mean/var outputs are training-only and not supported")
    channels = ctx.shape(0)[1]
    params = []
    for i, label in ((1, "scale"), (2, "B"), (3, "input_mean"), (4, "input_var")):
        value = ctx.require_const(i, label).reshape(-1)
        if value.shape != (channels,):
            ctx.fail(f"{label} has {value.size} values for {channels} channels")
        params.append(ctx.constant(value))
    return [ctx.emit(BatchNormOp(ctx.value(0), *params, float(ctx.attr("epsilon", 1e-5)))).output]


# ---------------------------------------------------------------------------------------
# activations


@support("nn.relu", hardware=True)
def import_relu(ctx):
    """Relu."""
    return [ctx.emit(ReluOp(ctx.value(0))).output]


@support("nn.leaky_relu", hardware=True)
def import_leaky_relu(ctx):
    """LeakyRelu (alpha default 0.01)."""
    return [ctx.emit(LeakyReluOp(ctx.value(0), ctx.attr("alpha", 0.01))).output]


@support("nn.sigmoid", hardware=True, notes="table, piecewise-linear or Taylor in hardware")
def import_sigmoid(ctx):
    """Sigmoid."""
    return [ctx.emit(SigmoidOp(ctx.value(0))).output]


@support("nn.hard_sigmoid", hardware=True)
def import_hard_sigmoid(ctx):
    """HardSigmoid (alpha 0.2, beta 0.5 by default)."""
    return [ctx.emit(HardSigmoidOp(ctx.value(0), ctx.attr("alpha", 0.2), ctx.attr("beta", 0.5))).output]


@support("nn.tanh", hardware=True, notes="table, piecewise-linear or Taylor in hardware")
def import_tanh(ctx):
    """Tanh."""
    return [ctx.emit(TanhOp(ctx.value(0))).output]


@support("nn.clip", hardware=True, notes="constant min/max (either may be absent)")
def import_clip(ctx):
    """Clip with constant min/max inputs (opset >= 11)."""
    bounds = []
    for i, label in ((1, "min"), (2, "max")):
        if ctx.has_input(i):
            value = ctx.require_const(i, label)
            if value.size != 1:
                ctx.fail(f"{label} must be a scalar, got shape {list(value.shape)}")
            bounds.append(float(value.reshape(-1)[0]))
        else:
            bounds.append(None)
    lo, hi = bounds
    if lo is not None and hi is not None and lo > hi:
        ctx.fail(f"min {lo} is greater than max {hi}")
    return [ctx.emit(ClipOp(ctx.value(0), lo, hi)).output]


@support(
    "nn.softmax",
    hardware=True,
    notes="not over the batch axis; opset < 13 flatten-to-2-D semantics become reshapes",
)
def import_softmax(ctx):
    """Softmax; opset < 13 semantics (flatten to 2-D at axis) become reshapes."""
    x = ctx.value(0)
    xs = tuple(x.type.get_shape())
    rank = len(xs)
    axis = _shape_rule(ctx, shapes.normalize_axis, ctx.attr("axis", -1 if ctx.opset >= 13 else 1), rank)
    if axis == 0:
        ctx.fail("softmax over the batch axis is not supported")
    if ctx.opset >= 13 or axis == rank - 1:
        return [ctx.emit(SoftmaxOp(x, axis)).output]
    # flatten the axes from `axis` on into one (the axes before it, batch included, stay)
    flat = _reshape(ctx, x, tuple(xs[:axis]) + (int(np.prod(xs[axis:])),))
    soft = ctx.emit(SoftmaxOp(flat, axis)).output
    return [_reshape(ctx, soft, xs)]


# ---------------------------------------------------------------------------------------
# element-wise arithmetic


def _binary(op_class):
    def importer(ctx):
        if not (ctx.is_runtime(0) or ctx.is_runtime(1)):
            ctx.fail("both operands are constants")  # folded before reaching here
        out = _shape_rule(ctx, shapes.broadcast, ctx.shape(0), ctx.shape(1))
        runtime_ranks = [len(ctx.shape(i)) for i in (0, 1) if ctx.is_runtime(i)]
        if len(out) != max(runtime_ranks) or out[0] != 1:
            ctx.fail(
                f"broadcasting {list(ctx.shape(0))} with {list(ctx.shape(1))} changes the batch axis"
            )
        return [ctx.emit(op_class(ctx.value(0), ctx.value(1))).output]

    importer.__doc__ = f"{op_class.name} with numpy broadcasting."
    return importer


# ---------------------------------------------------------------------------------------
# pooling


def _pool_common(ctx, with_dilations: bool):
    x = ctx.value(0)
    xs = tuple(x.type.get_shape())
    rank = len(xs) - 2
    if rank not in (1, 2):
        ctx.fail(f"only 1-D and 2-D pooling is supported, input has shape {list(xs)}")
    kernel = ctx.attr("kernel_shape")
    if kernel is None or len(kernel) != rank:
        ctx.fail(f"kernel_shape {kernel} needs {rank} values")
    strides = ctx.attr("strides", [1] * rank)
    dilations = ctx.attr("dilations", [1] * rank)
    if not with_dilations and any(d != 1 for d in dilations):
        ctx.fail(f"dilations {list(dilations)} are not supported for this pooling")
    pads = _explicit_pads(ctx, xs[2:], kernel, strides, dilations)
    ceil_mode = bool(ctx.attr("ceil_mode", 0))
    _shape_rule(ctx, shapes.window_shape, xs, xs[1], kernel, strides, pads, dilations, ceil_mode)
    return x, kernel, strides, pads, dilations, ceil_mode


@support(
    "nn.max_pool",
    hardware=True,
    notes="1-D/2-D, pads, auto_pad, ceil_mode, dilations; no Indices output",
)
def import_max_pool(ctx):
    """MaxPool (the optional Indices output is not supported)."""
    if len([o for o in ctx.node.output if o]) > 1:
        ctx.fail("the Indices output is not supported")
    if ctx.attr("storage_order", 0):
        ctx.fail("storage_order=1 is not supported")
    x, kernel, strides, pads, dilations, ceil_mode = _pool_common(ctx, True)
    return [ctx.emit(MaxPoolOp(x, kernel, strides, pads, dilations, ceil_mode)).output]


@support(
    "nn.avg_pool",
    hardware=True,
    notes="1-D/2-D, pads, auto_pad, ceil_mode, count_include_pad; no dilations",
)
def import_average_pool(ctx):
    """AveragePool with count_include_pad and ceil_mode."""
    x, kernel, strides, pads, _, ceil_mode = _pool_common(ctx, False)
    include = bool(ctx.attr("count_include_pad", 0))
    return [ctx.emit(AvgPoolOp(x, kernel, strides, pads, ceil_mode, include)).output]


@support("nn.global_avg_pool", hardware=True)
def import_global_average_pool(ctx):
    """GlobalAveragePool."""
    if len(ctx.shape(0)) < 3:
        ctx.fail(f"input {list(ctx.shape(0))} has no spatial axis")
    return [ctx.emit(GlobalAvgPoolOp(ctx.value(0))).output]


@support("nn.global_max_pool", hardware=True)
def import_global_max_pool(ctx):
    """GlobalMaxPool."""
    if len(ctx.shape(0)) < 3:
        ctx.fail(f"input {list(ctx.shape(0))} has no spatial axis")
    return [ctx.emit(GlobalMaxPoolOp(ctx.value(0))).output]


# ---------------------------------------------------------------------------------------
# shape and data movement


@support("nn.reshape (via `nn.flatten`)", hardware=True, notes="axis >= 1 (the batch axis stays first)")
def import_flatten(ctx):
    """Flatten at axis >= 1."""
    xs = ctx.shape(0)
    axis = ctx.attr("axis", 1)
    if axis < 0:
        axis += len(xs)
    if axis < 1 or axis > len(xs) or int(np.prod(xs[1:axis])) != 1:
        ctx.fail(f"flatten axis {ctx.attr('axis', 1)} of shape {list(xs)} would merge the batch axis")
    return [ctx.emit(FlattenOp(ctx.value(0), axis)).output]


@support(
    "nn.reshape",
    hardware=True,
    notes="compile-time shape; the batch axis must stay first (a leading fixed batch size becomes 1)",
)
def import_reshape(ctx):
    """Reshape to a compile-time shape (0 copies a dimension unless allowzero, -1 infers).

    The IR is per sample: in a model with a fixed batch size N > 1, a leading N in the
    target shape (``Reshape(x, [N, -1])`` from a fixed-batch torch export) is the batch
    axis and becomes 1."""
    xs = ctx.shape(0)
    target = [int(d) for d in ctx.require_const(1, "shape").reshape(-1)]
    if ctx.batch > 1 and target and target[0] == ctx.batch:
        target[0] = 1
    if not ctx.attr("allowzero", 0):
        target = [xs[i] if d == 0 and i < len(xs) else d for i, d in enumerate(target)]
    size = int(np.prod(xs))
    if target.count(-1) > 1:
        ctx.fail(f"shape {target} has more than one -1")
    if -1 in target:
        known = int(np.prod([d for d in target if d != -1]))
        if known == 0 or size % known:
            ctx.fail(f"cannot reshape {list(xs)} to {target}")
        target[target.index(-1)] = size // known
    if int(np.prod(target)) != size:
        ctx.fail(f"cannot reshape {list(xs)} ({size} elements) to {target}")
    return [_reshape(ctx, ctx.value(0), target)]


@support("nn.reshape", hardware=True, notes="not the batch axis")
def import_squeeze(ctx):
    """Squeeze (axes as attribute before opset 13, as input from 13)."""
    xs = ctx.shape(0)
    axes = ctx.const(1) if ctx.opset >= 13 else ctx.attr("axes")
    if ctx.opset >= 13 and ctx.has_input(1) and axes is None:
        ctx.fail("axes must be a compile-time constant")
    if axes is None:
        axes = [i for i, d in enumerate(xs) if d == 1 and i > 0]
    axes = {_shape_rule(ctx, shapes.normalize_axis, int(a), len(xs)) for a in np.asarray(axes).reshape(-1)}
    if 0 in axes:
        ctx.fail("squeezing the batch axis is not supported")
    if any(xs[a] != 1 for a in axes):
        ctx.fail(f"cannot squeeze axes {sorted(axes)} of shape {list(xs)}")
    return [_reshape(ctx, ctx.value(0), [d for i, d in enumerate(xs) if i not in axes])]


@support("nn.reshape", hardware=True, notes="not before the batch axis")
def import_unsqueeze(ctx):
    """Unsqueeze (axes as attribute before opset 13, as input from 13)."""
    xs = list(ctx.shape(0))
    axes = ctx.require_const(1, "axes") if ctx.opset >= 13 else ctx.attr("axes")
    rank = len(xs) + len(np.asarray(axes).reshape(-1))
    axes = sorted(_shape_rule(ctx, shapes.normalize_axis, int(a), rank) for a in np.asarray(axes).reshape(-1))
    if 0 in axes:
        ctx.fail("inserting an axis before the batch axis is not supported")
    for a in axes:
        xs.insert(a, 1)
    return [_reshape(ctx, ctx.value(0), xs)]


@support("nn.transpose", hardware=True, notes="the batch axis must stay first")
def import_transpose(ctx):
    """Transpose keeping the batch axis first."""
    rank = len(ctx.shape(0))
    perm = ctx.attr("perm", list(reversed(range(rank))))
    if sorted(perm) != list(range(rank)):
        ctx.fail(f"perm {list(perm)} is not a permutation of rank {rank}")
    if perm[0] != 0:
        ctx.fail(f"perm {list(perm)} moves the batch axis")
    return [ctx.emit(TransposeOp(ctx.value(0), perm)).output]


@support("nn.concat", hardware=True, notes="not along the batch axis")
def import_concat(ctx):
    """Concat along a non-batch axis (constant inputs are materialized)."""
    rank = len(ctx.shape(0))
    axis = _shape_rule(ctx, shapes.normalize_axis, ctx.attr("axis"), rank)
    if axis == 0:
        ctx.fail("concatenation along the batch axis is not supported")
    inputs = [i for i in range(len(ctx.node.input)) if ctx.has_input(i)]
    _shape_rule(ctx, shapes.concat_shape, [ctx.shape(i) for i in inputs], axis)
    return [ctx.emit(ConcatOp([ctx.value(i) for i in inputs], axis)).output]


@support(
    "nn.pad",
    hardware=True,
    notes="constant, reflect, edge; compile-time pads (no cropping); opset 18 `axes`",
)
def import_pad(ctx):
    """Pad (constant, reflect, edge) with compile-time pads and value."""
    rank = len(ctx.shape(0))
    mode = ctx.attr("mode", "constant")
    if mode not in ("constant", "reflect", "edge"):
        ctx.fail(f"pad mode '{mode}' is not supported")
    pads = [int(p) for p in ctx.require_const(1, "pads").reshape(-1)]
    if ctx.has_input(3):
        axes = [int(a) % rank for a in ctx.require_const(3, "axes").reshape(-1)]
        full = [0] * (2 * rank)
        for j, a in enumerate(axes):
            full[a], full[rank + a] = pads[j], pads[len(axes) + j]
        pads = full
    if len(pads) != 2 * rank:
        ctx.fail(f"pads {pads} need {2 * rank} values")
    if any(p < 0 for p in pads):
        ctx.fail(f"negative pads {pads} (cropping) are not supported")
    if pads[0] or pads[rank]:
        ctx.fail(f"pads {pads} pad the batch axis")
    value = 0.0
    if ctx.has_input(2):
        value = float(ctx.require_const(2, "constant_value").reshape(-1)[0])
    return [ctx.emit(PadOp(ctx.value(0), pads, PadModeAttr(PadMode(mode)), value)).output]


@support("(removed)", hardware=True)
def import_identity(ctx):
    """Identity and inference-mode Dropout forward their input."""
    return [ctx.value(0)] + [None] * (len(ctx.node.output) - 1)


@support("(removed)", hardware=True, notes="inference only (training_mode false); a mask output may be declared if nothing reads it")
def import_dropout(ctx):
    """Dropout at inference is the identity: a mask output may be declared (old exporters
    emit one) but nothing may read it; from opset 12 the training_mode input must be a
    constant false."""
    if len(ctx.node.output) > 1 and ctx.node.output[1] and (ctx.consumers(1) or ctx.is_graph_output(1)):
        ctx.fail("the mask output is training-only and not supported (it is read by another node or is a graph output)")
    if ctx.has_input(2) and np.any(ctx.require_const(2, "training_mode")):
        ctx.fail("training_mode=true is not supported (inference only)")
    return import_identity(ctx)


IMPORTERS: dict[str, Callable] = {
    "Gemm": import_gemm,
    "MatMul": import_matmul,
    "Conv": import_conv,
    "BatchNormalization": import_batchnorm,
    "Relu": import_relu,
    "LeakyRelu": import_leaky_relu,
    "Sigmoid": import_sigmoid,
    "HardSigmoid": import_hard_sigmoid,
    "Tanh": import_tanh,
    "Softmax": import_softmax,
    "Clip": import_clip,
    "MaxPool": import_max_pool,
    "AveragePool": import_average_pool,
    "GlobalAveragePool": import_global_average_pool,
    "GlobalMaxPool": import_global_max_pool,
    "Flatten": import_flatten,
    "Reshape": import_reshape,
    "Transpose": import_transpose,
    "Squeeze": import_squeeze,
    "Unsqueeze": import_unsqueeze,
    "Concat": import_concat,
    "Add": support("nn.add", hardware=True, notes="numpy broadcasting")(_binary(AddOp)),
    "Sub": support("nn.sub", hardware=True, notes="numpy broadcasting")(_binary(SubOp)),
    "Mul": support("nn.mul", hardware=True, notes="numpy broadcasting")(_binary(MulOp)),
    "Div": support("nn.div", hardware=True, notes="numpy broadcasting; in hardware only by a non-zero constant")(
        _binary(DivOp)
    ),
    "Pad": import_pad,
    "Identity": import_identity,
    "Dropout": import_dropout,
}
"""ONNX op type -> importer function. `Constant` is handled by the folder."""
IMPORTERS.update(onnx_ops_structure.STRUCTURE_IMPORTERS)
IMPORTERS.update(ELEMENTWISE_IMPORTERS)
IMPORTERS.update(RECURRENT_IMPORTERS)

def importer_for(key: str | None) -> Callable | None:
    """The importer function of an `onnx_fold.op_key`, or None."""
    from nncc.compiler.onnx.quant import QUANT_IMPORTERS

    return IMPORTERS.get(key) or QUANT_IMPORTERS.get(key)
