"""`sparse-remove-channels`: output channels whose weights and bias are all zero leave the
model, shrinking the producers, the ops their channels pass through and the consumers'
inputs, consistently across residual adds and concats.

The channel groups come from `nncc.dialects.nn.channels`: a channel is tied through
zero-preserving per-channel ops (ReLU, pools, ...), `nn.add` / `nn.sub` of equal shapes and
`nn.concat` on the channel axis; a group leaves when every layer that produces it has a zero
weight row and bias for it and every reader is a tied op, a constant-weight layer reading
along the channel axis (`nn.dense`: its input features; `nn.conv` with one group: its input
channels; after a flatten: the channel's block of features) or such a flatten. So a channel
of a residual block goes only when both the branch and the shortcut produce zero for it, and
it goes from both. A complex layer (`binary_complex.complex_conv` / `complex_dense`) loses
whole complex filters, both planes (its A, B and bias rows; a complex consumer loses A and B
columns): it stays a smaller complex layer. A removed channel that an op after its producer
turns into a non-zero constant (a sign, a sigmoid, a batch norm, which loses the removed
channels' parameters) is folded into its consumers' biases
(dense layers and unpadded convolutions); it stays when it reaches a convolution with
padding. Groups that reach a graph output, an op that does not keep them constant or a value
from outside stay. Every value keeps at least one channel. The model's results do not change.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, TensorType
from xdsl.ir import Operation, SSAValue
from xdsl.rewriter import InsertPoint, Rewriter
from xdsl.passes import ModulePass

from nncc.dialects import nn
from nncc.dialects.dense import from_dense, to_dense
from nncc.dialects.interfaces import AffineWeights, ComplexWeights
from nncc.dialects.nn.channels import ChannelGroups, channel_groups, channel_parameters, constant_weights


def _constant(values: np.ndarray, like: nn.ConstantOp, before: Operation, same_grid: bool = True) -> SSAValue:
    """A new constant of ``values`` before ``before``, with ``like``'s element type and, when
    ``same_grid`` (the values are some of ``like``'s), its attributes (a `fixed.grid`)."""
    new = nn.ConstantOp(to_dense(values, like.value.get_element_type()))
    if same_grid:
        new.attributes.update(like.attributes)
    Rewriter.insert_op(new, InsertPoint.before(before))
    return new.output


def _result_type(g: ChannelGroups, op: Operation, operands: list[SSAValue]) -> TensorType:
    """The result type of a rebuilt tied op or flatten: its kept channels."""
    old = op.results[0]
    shape = list(old.type.get_shape())
    if old in g.axis:
        shape[g.axis[old]] = len(g.kept(old))
    else:  # a flatten to [N, C * rest]
        source = op.operands[0]
        rest = shape[1] // source.type.get_shape()[1]
        shape[1] = len(g.kept(source)) * rest
    return TensorType(old.type.element_type, shape)


def _layer(g: ChannelGroups, layer: Operation, operands: list[SSAValue]) -> Operation:
    """``layer`` with the weight rows of its removed output channels and the weight columns of
    its removed input channels gone (their constants, `ChannelGroups.const`, added to the
    bias), reading the (rebuilt) ``operands``."""
    w, b = constant_weights(layer)
    bias = layer.bias_operand()
    bias_like = None if bias is None else bias.owner  # (None: a new bias, or one that took constants)
    if layer in g.consumers:
        value, rest = g.consumers[layer]
        kept = g.kept(value)
        gone = np.setdiff1d(np.arange(len(g.const[value])), kept)
        blocks = w.reshape(w.shape[0], len(g.const[value]), -1)  # [out, channel, rest or kernel]
        shift = blocks[:, gone].sum(axis=2) @ g.const[value][gone]
        if np.any(shift != 0):
            b, bias_like = shift if b is None else b + shift, None
        w = np.take(w, [c * rest + j for c in kept for j in range(rest)], axis=1)
    out = layer.results[0]
    if out in g.axis:
        rows = g.kept(out)
        w, b = w[rows], None if b is None else b[rows]
    layer.operands = operands  # (the old op goes: with_weights' type rules see the rebuilt input)
    if isinstance(layer, ComplexWeights):
        like = [v.owner for v in layer.weight_parts()]
        m, c = w.shape[0] // 2, w.shape[1] // 2
        weights = [_constant(w[:m, :c], like[0], layer), _constant(w[m:, :c], like[1], layer)]
    else:
        like = [layer.weight_operand().owner]
        weights = [_constant(w, like[0], layer)]
    new_bias = None if b is None else _constant(b, bias_like or like[0], layer, bias_like is not None)
    if isinstance(layer, ComplexWeights):
        new = layer.with_parts(*weights, new_bias)
    else:
        new = layer.with_weights(*weights, new_bias)
    new.attributes.update(layer.attributes)
    return new


def remove_channels(ops: list[Operation]) -> int:
    """Remove the removable channel groups among ``ops`` (a block's ops in order); returns how
    many output channels of layers were removed."""
    g = channel_groups(ops)
    changed = [v for v in g.axis if len(g.kept(v)) < v.type.get_shape()[g.axis[v]]]
    if not changed:
        return 0
    affected = set(g.producers) | set(g.rebuilt) | set(g.consumers)
    removed = sum(p.results[0].type.get_shape()[g.axis[p.results[0]]] - len(g.kept(p.results[0])) for p in g.producers)
    new_of: dict[SSAValue, SSAValue] = {}
    done: list[tuple[Operation, Operation]] = []
    for op in ops:
        if op not in affected:
            continue
        operands = [new_of.get(v, v) for v in op.operands]
        if isinstance(op, (AffineWeights, ComplexWeights)) and (op in g.consumers or op.results[0] in g.axis):
            new = _layer(g, op, operands)
        else:
            if channel_parameters(op):
                kept = g.kept(op.operands[0])
                operands = operands[:1] + [_constant(np.asarray(from_dense(v.owner.value))[kept], v.owner, op)
                                           for v in op.operands[1:]]
            new = type(op).create(operands=operands, result_types=[_result_type(g, op, operands)],
                                  properties=dict(op.properties), attributes=dict(op.attributes))
        new.location = op.location
        Rewriter.insert_op(new, InsertPoint.before(op))
        new_of[op.results[0]] = new.results[0]
        done.append((op, new))
    for op, new in done:
        op.results[0].replace_all_uses_with(new.results[0])
    for op, _ in reversed(done):
        Rewriter.erase_op(op)
    return removed


@dataclass(frozen=True)
class SparseRemoveChannelsPass(ModulePass):
    """Remove all-zero output channels (weights and bias) of float layers together with the
    matching inputs of the layers they feed, across residual adds and concats (see the module
    docstring)."""

    name = "sparse-remove-channels"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for function in [f for f in op.ops if isinstance(f, func.FuncOp)]:
            remove_channels(list(function.body.blocks[0].ops))
        for const in [o for o in op.walk() if isinstance(o, nn.ConstantOp) and not o.output.uses]:
            Rewriter.erase_op(const)
