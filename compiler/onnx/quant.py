"""Importers of the quantization operators on run-time tensors: ONNX QuantizeLinear /
DequantizeLinear pairs and the QONNX Quant, BipolarQuant and Trunc ops, from any of
`onnx_fold.QONNX_DOMAINS` (Brevitas exports them in `onnx.brevitas`); on constants,
`onnx_fold` evaluates them. A Quant's scale may be per tensor or, broadcast as numpy
(and QONNX) broadcasts it, one value per channel along a single non-batch axis
(`nn.fake_quant_axis`). Same contract as `onnx_ops`: ``fn(ctx) -> [SSAValue, ...]``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from nncc.compiler.onnx import fold as onnx_fold
from nncc.compiler.onnx.fold import FoldError, op_key
from nncc.compiler.onnx.support import support
from nncc.dialects.nn import FakeQuantAxisOp, FakeQuantOp, MulOp, SignOp


def _per_tensor(ctx, i: int, what: str):
    """The single value of a compile-time scale or zero point (a per-axis one whose values
    are all equal counts as per tensor)."""
    flat = np.asarray(ctx.require_const(i, what)).reshape(-1)
    if flat.size == 0:
        ctx.fail(f"{what} is empty")
    if flat.size > 1 and not np.all(flat == flat[0]):
        ctx.fail(
            f"per-axis {what} ({flat.size} values) on a run-time tensor is not supported; "
            "activations must be quantized per tensor"
        )
    return flat[0].item()


def _positive_scale(ctx, i: int) -> float:
    scale = float(_per_tensor(ctx, i, "scale"))
    if not (np.isfinite(scale) and scale > 0):
        ctx.fail(f"scale {scale} must be positive and finite")
    return scale


def _fold(ctx, fn, *args):
    try:
        return fn(*args)
    except FoldError as err:
        ctx.fail(str(err))


def _describe_node(node) -> str:
    return f"'{node.name or node.output[0]}' ({node.op_type})"


@support(
    "nn.fake_quant (with its DequantizeLinear)",
    hardware=True,
    notes=(
        "on run-time tensors: per-tensor QuantizeLinear -> DequantizeLinear pairs (int4-int32), as made "
        "by `onnxruntime.quantization` (QDQ) and PyTorch; on weights folded (per-axis too), power-of-two "
        "grids kept exactly"
    ),
)
def import_quantize_linear(ctx):
    """QuantizeLinear on a run-time tensor, read together with the DequantizeLinear
    nodes that consume it: one `nn.fake_quant` (per tensor, round half to even)."""
    if ctx.is_graph_output(0):
        ctx.fail(
            f"its integer output '{ctx.node.output[0]}' is a graph output; nncc keeps run-time "
            "tensors in float and imports QuantizeLinear only inside QuantizeLinear -> "
            "DequantizeLinear pairs"
        )
    others = [n for n in ctx.consumers(0) if op_key(n) != "DequantizeLinear"]
    if others:
        ctx.fail(
            f"its integer output feeds {_describe_node(others[0])}; on run-time tensors only "
            "QuantizeLinear -> DequantizeLinear pairs are supported"
        )
    if ctx.attr("block_size", 0):
        ctx.fail("blocked quantization (block_size) is not supported")
    scale = _positive_scale(ctx, 1)
    zp_array = ctx.require_const(2, "zero point") if ctx.has_input(2) else None
    dtype = onnx_fold.quantized_dtype(ctx, zp_array)
    info = onnx_fold.integer_type(dtype)
    if info is None:
        ctx.fail(f"quantized type {dtype} is not supported (only integer types)")
    bits, signed = info
    zero_point = int(_per_tensor(ctx, 2, "zero point")) if zp_array is not None else 0
    ctx.builder.quantized[ctx.node.output[0]] = {"scale": scale, "zero_point": zero_point, "dtype": str(dtype)}
    return [ctx.emit(FakeQuantOp(ctx.value(0), scale, zero_point, bits, signed, False, "half_even")).output]


@support("nn.fake_quant (with its QuantizeLinear)", hardware=True, notes="see QuantizeLinear")
def import_dequantize_linear(ctx):
    """DequantizeLinear of a run-time QuantizeLinear output: the pair's `nn.fake_quant`."""
    name = ctx.node.input[0]
    pair = ctx.builder.quantized.get(name)
    if pair is None:
        ctx.fail(
            f"input '{name}' is an integer tensor computed at run time that no QuantizeLinear "
            "produced; on run-time tensors only QuantizeLinear -> DequantizeLinear pairs are supported"
        )
    if ctx.attr("block_size", 0):
        ctx.fail("blocked quantization (block_size) is not supported")
    scale = _positive_scale(ctx, 1)
    zero_point = int(_per_tensor(ctx, 2, "zero point")) if ctx.has_input(2) else 0
    if (scale, zero_point) != (pair["scale"], pair["zero_point"]):
        ctx.fail(
            f"scale {scale} and zero point {zero_point} differ from those of the QuantizeLinear "
            f"that produced '{name}' ({pair['scale']}, {pair['zero_point']}); requantizing pairs are not supported"
        )
    return [ctx.value(0)]


_RUNTIME_ROUNDING = {
    "ROUND": "half_even",
    "HALF_EVEN": "half_even",
    "FLOOR": "floor",
    "CEIL": "ceil",
    "DOWN": "to_zero",
    "ROUND_TO_ZERO": "to_zero",
}
"""QONNX / Brevitas rounding_mode -> `nn.fake_quant` rounding on run-time tensors."""


def _runtime_rounding(ctx, default: str) -> str:
    mode = _fold(ctx, onnx_fold.qonnx_rounding, ctx, default)
    if mode not in _RUNTIME_ROUNDING:
        ctx.fail(
            f"rounding_mode '{mode}' is supported only on constants "
            f"(run-time tensors take {', '.join(_RUNTIME_ROUNDING)})"
        )
    return _RUNTIME_ROUNDING[mode]


def _integer_zero_point(ctx, i: int) -> int:
    zp = float(_per_tensor(ctx, i, "zero point"))
    if zp != int(zp):
        ctx.fail(f"zero point {zp} is not an integer")
    return int(zp)


def _channel_axis(ctx, i: int, what: str) -> tuple[int, np.ndarray] | None:
    """(axis, values) of a compile-time scale that broadcasts one value per channel along
    a single non-batch axis of input 0 (numpy broadcasting, as QONNX applies it); None if
    it holds one value (or only equal values)."""
    values = np.asarray(ctx.require_const(i, what), np.float64)
    flat = values.reshape(-1)
    if flat.size == 0:
        ctx.fail(f"{what} is empty")
    if np.all(flat == flat[0]):
        return None
    rank = len(ctx.shape(0))
    shape = (1,) * (rank - values.ndim) + values.shape
    wide = [d for d, n in enumerate(shape) if n != 1]
    if values.ndim > rank or len(wide) != 1 or wide[0] == 0 or shape[wide[0]] != ctx.shape(0)[wide[0]]:
        ctx.fail(
            f"{what} of shape {list(values.shape)} does not give one value per channel along one "
            f"non-batch axis of the input of shape {list(ctx.shape(0))}"
        )
    return wide[0], flat


@support(
    "nn.fake_quant, nn.fake_quant_axis, nn.sign (1 bit)",
    hardware=True,
    notes=(
        "domains `qonnx.custom_op.general`, `finn.custom_op.general` and `onnx.brevitas` (older Brevitas "
        "exports); any positive scale, per tensor or one per channel; ROUND, FLOOR, CEIL and ROUND_TO_ZERO "
        "(zero point 0) on run-time tensors, all QONNX rounding modes on weights (folded)"
    ),
)
def import_qonnx_quant(ctx):
    """QONNX Quant on a run-time tensor: `nn.fake_quant`, or `nn.fake_quant_axis` for a
    per-channel scale (a signed 1-bit Quant, which the QONNX reference treats as bipolar,
    becomes `nn.sign`)."""
    per_channel = _channel_axis(ctx, 1, "scale")
    scale = _positive_scale(ctx, 1) if per_channel is None else None
    zero_point = _integer_zero_point(ctx, 2)
    bits = _fold(ctx, onnx_fold.qonnx_bits, ctx.require_const(3, "bitwidth"))
    grid = (zero_point, bits, bool(ctx.attr("signed", 1)), bool(ctx.attr("narrow", 0)), _runtime_rounding(ctx, "ROUND"))
    if grid[4] == "to_zero" and zero_point != 0:
        ctx.fail(f"rounding toward zero with zero point {zero_point} is supported only on constants")
    if bits == 1 and grid[2]:
        if zero_point != 0:
            ctx.fail(f"a bipolar (signed 1-bit) Quant needs zero point 0 on run-time tensors, got {zero_point}")
        if per_channel is not None:
            ctx.fail("a bipolar (signed 1-bit) Quant needs one scale on run-time tensors")
        return [ctx.emit(SignOp(ctx.value(0), scale)).output]
    if per_channel is None:
        return [ctx.emit(FakeQuantOp(ctx.value(0), scale, *grid)).output]
    axis, scales = per_channel
    if not np.all(np.isfinite(scales) & (scales > 0)):
        ctx.fail(f"scales must be positive and finite, got {scales.tolist()}")
    return [ctx.emit(FakeQuantAxisOp(ctx.value(0), scales.tolist(), axis, *grid)).output]


@support("nn.sign", hardware=True, notes="folded on weights")
def import_qonnx_bipolar_quant(ctx):
    """QONNX BipolarQuant on a run-time tensor: `nn.sign` (y = scale if x >= 0 else -scale)."""
    scale = float(_per_tensor(ctx, 1, "scale"))
    if not np.isfinite(scale):
        ctx.fail(f"scale {scale} must be finite")
    return [ctx.emit(SignOp(ctx.value(0), scale)).output]


@support("nn.fake_quant", hardware=True, notes="per-tensor scale, zero point 0 on run-time tensors; versions 1 and 2 (5, 6 or 7 inputs); folded on weights")
def import_qonnx_trunc(ctx):
    """QONNX Trunc on a run-time tensor, zero point 0: r = round(x / scale) (half to even;
    the input is assumed to fit in_bitwidth bits, signed or unsigned, as the op declares),
    then the truncation R(r / 2^shift) as a second `nn.fake_quant` on the coarser grid,
    then the output scale (version 1: scale, so a multiplication by 2^-shift; version 2:
    out_scale). Version 2 has 6 inputs (x, scale, zeropt, in_bitwidth, out_scale,
    out_bitwidth: qonnx 1.0, Brevitas 0.13) or 7 (an out_zeropt before out_bitwidth)."""
    inputs = len(ctx.node.input)
    if inputs not in (5, 6, 7):
        ctx.fail(f"Trunc takes 5, 6 or 7 inputs, got {inputs}")
    scale = _positive_scale(ctx, 1)
    if _integer_zero_point(ctx, 2) != 0:
        ctx.fail("a zero point other than 0 is supported only on constants")
    in_bits = _fold(ctx, onnx_fold.qonnx_bits, ctx.require_const(3, "in_bitwidth"), "in_bitwidth")
    rounding = _runtime_rounding(ctx, "FLOOR")
    if inputs == 5:
        out_bits = _fold(ctx, onnx_fold.qonnx_bits, ctx.require_const(4, "out_bitwidth"), "out_bitwidth")
        trunc = 2.0 ** (in_bits - out_bits)
        out_scale = scale
        out = (out_bits + 2, True, False)  # v1 does not clamp: room for every r / 2^shift
    else:
        out_scale = _positive_scale(ctx, 4)
        out_bits = _fold(ctx, onnx_fold.qonnx_bits, ctx.require_const(inputs - 1, "out_bitwidth"), "out_bitwidth")
        trunc = float(2.0 ** np.round(np.log2(np.float32(out_scale) / np.float32(scale))))
        out = (out_bits, bool(ctx.attr("signed", 1)), bool(ctx.attr("narrow", 0)))
    if in_bits + 1 > 32 or out[0] > 32:
        ctx.fail(f"bit widths {in_bits} -> {out_bits} exceed 31 bits")
    r = ctx.emit(FakeQuantOp(ctx.value(0), scale, 0, in_bits + 1, True, False, "half_even")).output
    y = ctx.emit(FakeQuantOp(r, scale * trunc, 0, *out, rounding)).output
    factor = out_scale / (scale * trunc)
    if factor != 1.0:
        y = ctx.emit(MulOp(y, ctx.constant(np.float32(factor)))).output
    return [y]




QUANT_IMPORTERS: dict[str, Callable] = {
    "QuantizeLinear": import_quantize_linear,
    "DequantizeLinear": import_dequantize_linear,
    "qonnx.Quant": import_qonnx_quant,
    "qonnx.BipolarQuant": import_qonnx_bipolar_quant,
    "qonnx.Trunc": import_qonnx_trunc,
}
"""Quantization ops on run-time tensors, keyed by `onnx_fold.op_key`."""
