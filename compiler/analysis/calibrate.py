"""Calibration: record the value range of every layer on sample inputs, in the IR.

The ranges become `fixed.range = array<f64: min, max>` attributes on the ops (and on
`@main`'s arguments), which `convert-nn-to-fixed` reads to choose integer bits. For
power-of-two / signed-digit weights, `record_input_moments` writes the second moment of every
dense/conv layer's inputs (`pot_quant.input_moment`), which `pot-quant-quantize` uses to
compensate rounding errors. Running these is the only step of quantization that needs data;
passes stay pure.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from xdsl.dialects.builtin import ArrayAttr, DenseArrayBase, DictionaryAttr, ModuleOp, f64
from xdsl.ir import Operation
from xdsl.traits import ConstantLike

from nncc.compiler.diagnostics import NnccError
from nncc.dialects import nn
from nncc.dialects.dense import from_dense, to_dense
from nncc.dialects.interfaces import (
    INTERNAL_RANGES_ATTR,
    FloatSemantics,
    InternalRanges,
    MacLayer,
    Windowed,
    layer_label,
)
from nncc.dialects.nn.semantics import weight_operand
from nncc.dialects.nn.windows import pad_spatial, windows
from nncc.dialects.pot_quant import MOMENT_ATTR
from nncc.dialects.fixed.quantization import RANGE_ATTR
from nncc.runtime.interpreter import io_names, main_function, run_float


def _range_attr(lo: float, hi: float) -> DenseArrayBase:
    return DenseArrayBase.from_list(f64, [float(lo), float(hi)])


def check_finite_constants(module: ModuleOp) -> None:
    """Every problem at once: a constant (weights, bias, ...) with NaN or infinite values,
    named by the layers that use it; fixed point has no NaN or infinity."""
    problems = []
    for op in module.walk():
        if isinstance(op, nn.ConstantOp):
            values = np.asarray(from_dense(op.value), np.float64)
            bad = int(np.count_nonzero(~np.isfinite(values)))
            if bad:
                for use in op.output.uses:
                    user = use.operation
                    problems.append(f"layer '{layer_label(user)}' ({user.name}): operand {use.index} has {bad} NaN or Inf value(s); "
                                    "fixed point has neither: fix the model's constants")
    if problems:
        raise NnccError(sorted(set(problems)))


def calibrate(module: ModuleOp, inputs: Mapping[str, np.ndarray], trace=None) -> dict[Operation, tuple[float, float]]:
    """Run the float interpreter on ``inputs`` and annotate every layer with its range.

    Returns the ranges by op as well (graph inputs are annotated on the arguments).
    ``trace`` (e.g. the report's `FloatTrace`: ``observe(op, value)`` and
    ``finish(inputs, outputs)``), if given, records the same run, so a caller that needs
    the float values as well runs the model once.
    """
    ranges: dict[Operation, tuple[float, float]] = {}
    undefined: list[str] = []
    internal = [op for op in module.walk() if isinstance(op, InternalRanges)]
    wanted = {v for op in internal for v in op.operands}
    values: dict = {}

    def record(op: Operation, value: np.ndarray) -> None:
        if trace is not None:
            trace.observe(op, value)
        if op.results and op.results[0] in wanted:
            values[op.results[0]] = value
        # only finite values count: Log/Sqrt of negative inputs (NaN in float) and Log(0) or
        # 1/0 (infinite) take the defined fixed-point values of `unary_functions` instead
        if op.has_trait(ConstantLike) or not value.size:
            return
        finite = value[np.isfinite(value)]
        if finite.size:
            ranges[op] = (float(finite.min()), float(finite.max()))
        else:
            undefined.append(f"layer '{layer_label(op)}' ({op.name}) has no "
                             "finite value on the calibration data (e.g. Log or Sqrt of negative numbers only); "
                             "calibrate on inputs inside its domain")

    outputs = run_float(module, inputs, observe=record)
    if trace is not None:
        trace.finish(inputs, outputs)
    if undefined:
        raise NnccError(undefined)
    for op, (lo, hi) in ranges.items():
        op.attributes[RANGE_ATTR] = _range_attr(lo, hi)
    function = main_function(module)
    names, _ = io_names(function)
    _record_internal_ranges(internal, values, dict(zip(function.body.blocks[0].args, names)), inputs)
    old = function.arg_attrs.data if function.arg_attrs else [DictionaryAttr({})] * len(names)
    new = []
    for name, attrs in zip(names, old):
        x = np.asarray(inputs[name])
        entries = dict(attrs.data)
        entries[RANGE_ATTR] = _range_attr(x.min(), x.max())
        new.append(DictionaryAttr(entries))
    function.arg_attrs = ArrayAttr(new)
    return ranges


def _record_internal_ranges(layers, values: dict, arg_names: dict, inputs: Mapping[str, np.ndarray]) -> None:
    """Annotate every `InternalRanges` layer with the ranges of its internal quantities
    (`INTERNAL_RANGES_ATTR`), computed from its operands' values on the calibration data."""
    for layer in layers:
        args = [values[v] if v in values else np.asarray(inputs[arg_names[v]], np.float64) for v in layer.operands]
        found = layer.internal_ranges(args, len(args[0]))
        layer.attributes[INTERNAL_RANGES_ATTR] = DictionaryAttr(
            {name: _range_attr(lo, hi) for name, (lo, hi) in sorted(found.items())})


def _patches(layer: Windowed, x: np.ndarray) -> np.ndarray:
    """[groups, positions, C/group x kernel cells] input vectors of a windowed layer (its
    `window_geometry`), in the order of its flattened weight rows (channel, then kernel cells)."""
    geo = layer.window_geometry()
    rank = x.ndim - 2
    kernel, stride, dil = geo.kernel[2 - rank:], geo.stride[2 - rank:], geo.dilation[2 - rank:]
    sizes, padded, begin = (geo.height, geo.width)[2 - rank:], geo.padded[2 - rank:], geo.pad[2 - rank:]
    pads = tuple(begin) + tuple(p - s - b for p, s, b in zip(padded, sizes, begin))
    out_spatial, group = geo.out_size[2 - rank:], geo.group
    view = windows(pad_spatial(x, pads, 0.0), kernel, stride, dil, out_spatial)  # N, C, o..., k...
    n, c = view.shape[0], view.shape[1]
    view = view.reshape((n, group, c // group) + view.shape[2:])
    # -> group, N, o..., C/group, k...
    order = (1, 0) + tuple(range(3, 3 + rank)) + (2,) + tuple(range(3 + rank, 3 + 2 * rank))
    cells = (c // group) * int(np.prod(kernel))
    return view.transpose(order).reshape(group, -1, cells)


def record_input_moments(module: ModuleOp, inputs: Mapping[str, np.ndarray], chunk: int = 64) -> int:
    """Annotate every float multiply-accumulate layer (`MacLayer` with `FloatSemantics`)
    whose weights are an `nn.constant` with the second moment E[x x^T] of its input vectors
    on ``inputs`` (`pot_quant.input_moment`, f64 [groups, K, K]). The moments are of the float
    model (before any weight is coded). Returns the number of layers annotated."""
    layers = [op for op in module.walk() if isinstance(op, MacLayer) and isinstance(op, FloatSemantics)
              and isinstance(getattr(weight_operand(op), "owner", None), nn.ConstantOp)]
    if not layers:
        return 0
    wanted = {layer.activation() for layer in layers}
    values: dict = {}

    def observe(op: Operation, value: np.ndarray) -> None:
        if op.results and op.results[0] in wanted:
            values[op.results[0]] = value

    run_float(module, inputs, observe=observe)  # checks the inputs' names and shapes
    function = main_function(module)
    names, _ = io_names(function)
    for name, arg in zip(names, function.body.blocks[0].args):
        if arg in wanted:
            values[arg] = np.asarray(inputs[name], np.float64)
    for layer in layers:
        x = values[layer.activation()]
        sums, count = None, 0
        for start in range(0, x.shape[0], chunk):
            part = x[start:start + chunk]
            if isinstance(layer, Windowed):
                vectors = _patches(layer, part)
            else:
                vectors = part.reshape(1, -1, part.shape[-1])
            block = np.einsum("gnk,gnl->gkl", vectors, vectors, optimize=True)
            sums = block if sums is None else sums + block
            count += vectors.shape[1]
        layer.attributes[MOMENT_ATTR] = to_dense(sums / max(count, 1), f64)
    return len(layers)
