"""`sparse-remove-channels`: output channels whose weights and bias are all zero leave the
model, shrinking the producer, the element-wise ops after it and the consumers' inputs.

A float multiply-accumulate layer (`MacLayer` at the `nn` level) qualifies when its result
reaches only other layers' activations through a chain of unary element-wise ops that map
zero to zero (asked through `FloatSemantics`): a removed channel is then exactly zero at every
consumer, so dropping it together with the consumers' weight columns (`nn.dense`: its input
features; `nn.conv` with one group: its input channels) changes no result. Results that
meet a residual add, a concat or the model's output are left alone (their channels would
have to shrink consistently on every path). At least one channel is kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp, TensorType
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from nncc.dialects import nn
from nncc.dialects.dense import from_dense, to_dense
from nncc.dialects.interfaces import AffineWeights, Elementwise, FloatSemantics, MacLayer, Windowed


def _channel_axis(layer: Operation) -> int:
    return 1 if isinstance(layer, Windowed) else -1


def channel_path(layer: Operation) -> tuple[list[Operation], list[Operation]] | None:
    """(the zero-preserving element-wise chain after ``layer``, the consumer layers) when its
    output channels can be removed (see the module docstring), else None."""
    if not isinstance(layer, AffineWeights) or not isinstance(layer.weight_operand().owner, nn.ConstantOp):
        return None
    value, chain = layer.results[0], []
    while True:
        users = [use.operation for use in value.uses]
        if not users:
            return None
        if all(_consumes(user, value, layer) for user in users):
            return chain, users
        if len(users) != 1 or not _zero_preserving(users[0]):
            return None
        chain.append(users[0])
        value = users[0].results[0]


def _consumes(user: Operation, value: SSAValue, producer: Operation) -> bool:
    """A layer reading ``value`` as its activation along the producer's channel axis."""
    if not isinstance(user, MacLayer) or user.activation() is not value or not isinstance(user, AffineWeights):
        return False
    if not isinstance(user.weight_operand().owner, nn.ConstantOp):
        return False
    if _channel_axis(user) != _channel_axis(producer):
        return False
    return getattr(getattr(user, "group", None), "value", None) is None or user.group.value.data == 1


def _zero_preserving(op: Operation) -> bool:
    if not isinstance(op, Elementwise) or not isinstance(op, FloatSemantics) or len(op.operands) != 1 or len(op.results) != 1:
        return False
    shape = tuple(op.operands[0].type.get_shape())
    return bool(np.all(op.evaluate_float([np.zeros(shape)], shape[0]) == 0))


def _constant(values: np.ndarray, like: nn.ConstantOp, before: Operation) -> SSAValue:
    new = nn.ConstantOp(to_dense(values, like.value.get_element_type()))
    Rewriter.insert_op(new, InsertPoint.before(before))
    return new.output


def _resized(op: Operation, operand: SSAValue, axis: int, count: int) -> Operation:
    """``op`` re-created on ``operand`` with ``count`` channels on ``axis`` of its result."""
    shape = list(op.results[0].type.get_shape())
    shape[axis] = count
    new = type(op).create(operands=[operand], result_types=[TensorType(op.results[0].type.element_type, shape)],
                          properties=dict(op.properties), attributes=dict(op.attributes))
    new.location = op.location
    return new


def remove_channels(layer: Operation) -> int:
    """Remove ``layer``'s all-zero output channels; returns how many were removed."""
    path = channel_path(layer)
    if path is None:
        return 0
    chain, consumers = path
    w = np.asarray(from_dense(layer.weight_operand().owner.value), np.float64)
    rows = w.reshape(w.shape[0], -1)
    bias = layer.bias_operand()
    b = np.asarray(from_dense(bias.owner.value), np.float64) if bias is not None and isinstance(bias.owner, nn.ConstantOp) else None
    if bias is not None and b is None:
        return 0
    dead = ~rows.any(axis=1) & (b == 0 if b is not None else True)
    keep = np.nonzero(~dead)[0]
    if keep.size == 0:
        keep = np.array([0])
    if keep.size == w.shape[0]:
        return 0
    new_w = _constant(w[keep], layer.weight_operand().owner, layer)
    new_b = _constant(b[keep], bias.owner, layer) if b is not None else None
    producer = layer.with_weights(new_w, new_b)
    producer.attributes.update(layer.attributes)
    Rewriter.insert_op(producer, InsertPoint.before(layer))
    value = producer.results[0]
    news = []
    for op in chain:
        new = _resized(op, value, _channel_axis(layer), keep.size)
        Rewriter.insert_op(new, InsertPoint.before(op))
        news.append(new)
        value = new.results[0]
    for consumer in consumers:
        cw = np.asarray(from_dense(consumer.weight_operand().owner.value), np.float64)
        smaller = consumer.with_weights(_constant(np.take(cw, keep, axis=1), consumer.weight_operand().owner, consumer),
                                        consumer.bias_operand())
        smaller.operands = [value, *smaller.operands[1:]]
        smaller.attributes.update(consumer.attributes)
        Rewriter.insert_op(smaller, InsertPoint.before(consumer))
        consumer.results[0].replace_all_uses_with(smaller.results[0])
        Rewriter.erase_op(consumer)
    for op in reversed([layer, *chain]):
        Rewriter.erase_op(op, safe_erase=False)
    return int(w.shape[0] - keep.size)


@dataclass(frozen=True)
class SparseRemoveChannelsPass(ModulePass):
    """Remove all-zero output channels (weights and bias) of float layers together with the
    matching inputs of the layers they feed (see the module docstring)."""

    name = "sparse-remove-channels"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        done: set[Operation] = set()
        while True:  # removal replaces the consumers: walk again until every layer was seen
            layers = [o for o in op.walk() if isinstance(o, AffineWeights) and o not in done]
            if not layers:
                break
            done.add(layers[0])
            remove_channels(layers[0])
        for const in [o for o in op.walk() if isinstance(o, nn.ConstantOp) and not o.output.uses]:
            Rewriter.erase_op(const)
