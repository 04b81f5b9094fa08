"""Importers of ONNX's recurrent layers, LSTM and GRU (one function per op).

Each direction of a layer becomes one `recurrent.lstm` / `recurrent.gru` with its gate
weights as constants, re-ordered once from ONNX's gate order (LSTM i, o, f, c; GRU z, r, h)
to the dialect's (LSTM i, f, g, o; GRU z, r, n). ONNX's sequence-first tensors keep their
layout through `batch_axis`: ``X`` is read with its batch axis at 1 (``layout=0``) or 0
(``layout=1``), ``Y`` is the directions' outputs concatenated (``[T, dirs, B, H]`` or
``[B, T, dirs, H]``) and ``Y_h`` a gather of each direction's last step. The initial states
must be compile-time constants that are the same for every sample of the batch (zeros when
absent; torch's ``Shape -> Gather -> Expand`` zeros fold to such a constant).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from xdsl.ir import SSAValue

from nncc.compiler.onnx.ops_structure import _index_op
from nncc.compiler.onnx.support import support
from nncc.dialects.nn import ConcatOp, ReshapeOp
from nncc.dialects.recurrent import GruOp, LstmOp

LSTM_ORDER = (0, 2, 3, 1)
"""ONNX LSTM gate blocks (i, o, f, c) in the dialect's order (i, f, g, o)."""

GRU_ORDER = (0, 1, 2)
"""ONNX GRU gate blocks (z, r, h) in the dialect's order (z, r, n)."""

DEFAULT_ACTIVATIONS = {"LSTM": ["sigmoid", "tanh", "tanh"], "GRU": ["sigmoid", "tanh"]}


def _reorder(array: np.ndarray, order: tuple[int, ...]) -> np.ndarray:
    blocks = np.split(array, len(order), axis=0)
    return np.concatenate([blocks[k] for k in order], axis=0)


def _check_attributes(ctx, directions: int) -> None:
    activations = [a.lower() for a in ctx.attr("activations", [])]
    default = DEFAULT_ACTIVATIONS[ctx.node.op_type]
    if activations and activations != default * directions:
        ctx.fail(f"activations {ctx.attr('activations')} are not supported (only the default {default})")
    for name in ("activation_alpha", "activation_beta"):
        if ctx.attr(name):
            ctx.fail(f"attribute {name} is not supported")
    if ctx.has_input(4):
        lengths = ctx.const(4)
        steps = ctx.onnx_shape(0)[1 if ctx.attr("layout", 0) else 0]
        if lengths is None or np.any(np.asarray(lengths) != steps):
            ctx.fail("sequence_lens must be absent or a constant equal to the sequence length for every sample")


def _input(ctx) -> SSAValue:
    layout = int(ctx.attr("layout", 0))
    if layout not in (0, 1):
        ctx.fail(f"layout {layout} must be 0 or 1")
    if not ctx.is_runtime(0):
        ctx.fail("input X must be computed at run time")
    if len(ctx.shape(0)) != 3 or ctx.batch_axis(0) != (0 if layout else 1):
        where = "0 ([batch, seq, input])" if layout else "1 ([seq, batch, input])"
        ctx.fail(f"input X (shape {list(ctx.onnx_shape(0))}) must have its batch axis at {where} for layout {layout}")
    return ctx.value(0)


def _initial_state(ctx, i: int, directions: int, hidden: int, what: str) -> np.ndarray:
    """[dirs, 1, H]: the per-sample initial state (zeros when absent)."""
    if not ctx.has_input(i):
        return np.zeros((directions, 1, hidden), np.float32)
    value = np.asarray(ctx.require_const(i, what), np.float32)
    if ctx.attr("layout", 0):
        value = value.transpose(1, 0, 2) if value.ndim == 3 else value
    if value.ndim != 3 or value.shape[0] != directions or value.shape[2] != hidden or value.shape[1] not in (1, ctx.batch):
        ctx.fail(f"{what} has shape {list(value.shape)}, expected [{directions}, batch, {hidden}]")
    if np.any(value != value[:, :1]):
        ctx.fail(f"{what} differs between the samples of the batch; the IR is per sample")
    return value[:, :1]


def _weights(ctx, gates: int, order: tuple[int, ...]):
    """Per direction: (W, R, Wb, Rb) in the dialect's gate order, plus dirs and H."""
    directions = {"forward": 1, "reverse": 1, "bidirectional": 2}.get(ctx.attr("direction", "forward"))
    if directions is None:
        ctx.fail(f"direction '{ctx.attr('direction')}' is not forward, reverse or bidirectional")
    w = np.asarray(ctx.require_const(1, "weight W"), np.float32)
    r = np.asarray(ctx.require_const(2, "recurrence weight R"), np.float32)
    hidden = int(ctx.attr("hidden_size", r.shape[-1]))
    inputs = ctx.shape(0)[-1]
    if w.shape != (directions, gates * hidden, inputs) or r.shape != (directions, gates * hidden, hidden):
        ctx.fail(f"weights W {list(w.shape)} and R {list(r.shape)} do not match {directions} direction(s), "
                 f"{gates} gates, hidden_size {hidden} and input size {inputs}")
    b = np.zeros((directions, 2 * gates * hidden), np.float32)
    if ctx.has_input(3):
        b = np.asarray(ctx.require_const(3, "bias B"), np.float32)
        if b.shape != (directions, 2 * gates * hidden):
            ctx.fail(f"bias B has shape {list(b.shape)}, expected [{directions}, {2 * gates * hidden}]")
    _check_attributes(ctx, directions)
    per_direction = [
        tuple(_reorder(a, order) for a in (w[d], r[d], b[d, : gates * hidden], b[d, gates * hidden :]))
        for d in range(directions)
    ]
    return per_direction, directions, hidden


def _directions(ctx) -> list[str]:
    direction = ctx.attr("direction", "forward")
    return ["forward", "reverse"] if direction == "bidirectional" else [direction]


def _needed(ctx, i: int) -> bool:
    return i < len(ctx.node.output) and bool(ctx.node.output[i]) and bool(ctx.consumers(i) or ctx.is_graph_output(i))


def _outputs(ctx, layers: list[SSAValue]) -> list[SSAValue | None]:
    """Y ([1, T, dirs, H] batch first) and Y_h ([1, dirs, H]) from the directions' outputs."""
    if _needed(ctx, 2):
        ctx.fail("output Y_c (the last cell state) is not supported; use Y or Y_h")
    if not (_needed(ctx, 0) or _needed(ctx, 1)):
        return [None] * len(ctx.node.output)
    _, steps, hidden = layers[0].type.get_shape()
    parts = [ctx.emit(ReshapeOp(y, (1, steps, 1, hidden))).output for y in layers]
    y = parts[0] if len(parts) == 1 else ctx.emit(ConcatOp(parts, 2)).output
    layout = int(ctx.attr("layout", 0))
    ctx.out_batch_axes[0] = 0 if layout else 2
    results = [y, None, None][: len(ctx.node.output)]
    if _needed(ctx, 1):
        idx = np.arange(steps * len(layers) * hidden).reshape(1, steps, len(layers), hidden)
        last = [steps - 1 if d == "forward" else 0 for d in _directions(ctx)]
        table = np.stack([idx[:, t, d] for d, t in enumerate(last)], axis=1)
        results[1] = _index_op(ctx, y, table)
        ctx.out_batch_axes[1] = 0 if layout else 1
    return results


def _layer(ctx, gates: int, order: tuple[int, ...], build: Callable) -> list[SSAValue | None]:
    x = _input(ctx)
    if ctx.attr("clip") is not None and not float(ctx.attr("clip")) > 0:
        ctx.fail(f"clip {ctx.attr('clip')} must be positive")
    weights, directions, hidden = _weights(ctx, gates, order)
    layers = []
    for d, direction in enumerate(_directions(ctx)):
        constants = [ctx.constant(a) for a in weights[d]]
        layers.append(ctx.emit(build(x, constants, d, direction, hidden, directions)).output)
    return _outputs(ctx, layers)


@support(
    "recurrent.lstm (one per direction), nn.reshape, nn.concat, nn.gather",
    hardware=True,
    notes="forward, reverse, bidirectional; layout 0/1; clip; constant initial_h/initial_c equal for every sample "
    "(torch's Shape/Expand zeros fold); outputs Y and Y_h (not Y_c); no peepholes, input_forget or sequence_lens "
    "shorter than the sequence; default activations. Fixed point, HLS C++ and Verilog in the static "
    "form (one cell engine over the time steps) or the non-static one (an engine per step, sequences overlapped)",
)
def import_lstm(ctx):
    """LSTM: one `recurrent.lstm` per direction, gates re-ordered from (i, o, f, c)."""
    if ctx.has_input(7) and (ctx.const(7) is None or np.any(ctx.const(7))):
        ctx.fail("peepholes (input P) are not supported; export the LSTM without peephole connections")
    if ctx.attr("input_forget", 0):
        ctx.fail("input_forget=1 (coupled input and forget gates) is not supported")

    def build(x, constants, d, direction, hidden, directions):
        h0 = _initial_state(ctx, 5, directions, hidden, "initial_h (input 5)")[d]
        c0 = _initial_state(ctx, 6, directions, hidden, "initial_c (input 6)")[d]
        return LstmOp(x, *constants, ctx.constant(h0), ctx.constant(c0), direction, ctx.attr("clip"))

    return _layer(ctx, 4, LSTM_ORDER, build)


@support(
    "recurrent.gru (one per direction), nn.reshape, nn.concat, nn.gather",
    hardware=True,
    notes="forward, reverse, bidirectional; linear_before_reset 0/1; layout 0/1; clip; constant initial_h equal "
    "for every sample; outputs Y and Y_h; no sequence_lens shorter than the sequence; default activations. Fixed "
    "point, HLS C++ and Verilog (static and non-static forms)",
)
def import_gru(ctx):
    """GRU: one `recurrent.gru` per direction (gate order z, r, h kept)."""

    def build(x, constants, d, direction, hidden, directions):
        h0 = _initial_state(ctx, 5, directions, hidden, "initial_h (input 5)")[d]
        return GruOp(x, *constants, ctx.constant(h0), bool(ctx.attr("linear_before_reset", 0)), direction,
                     ctx.attr("clip"))

    return _layer(ctx, 3, GRU_ORDER, build)


RECURRENT_IMPORTERS: dict[str, Callable] = {"LSTM": import_lstm, "GRU": import_gru}
"""ONNX op type -> importer function of the recurrent layers."""
