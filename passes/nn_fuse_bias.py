"""`nn-fuse-bias`: fold a constant per-channel add into the preceding dense/conv bias."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)

from nncc.dialects.dense import to_dense
from nncc.dialects.interfaces import AffineWeights
from nncc.dialects.nn import AddOp, ConstantOp, SubOp
from nncc.dialects.nn.canonicalize import constant_value


def _per_channel(value: np.ndarray, layer_shape: tuple[int, ...], channel_axis: int) -> np.ndarray | None:
    """The add operand as one value per output channel, or None if it varies otherwise."""
    rank = len(layer_shape)
    if value.ndim > rank:
        return None
    full = value.reshape((1,) * (rank - value.ndim) + value.shape)
    channels = layer_shape[channel_axis]
    for axis, dim in enumerate(full.shape):
        if axis != channel_axis and dim != 1:
            return None
        if axis == channel_axis and dim not in (1, channels):
            return None
    return np.broadcast_to(full.reshape(-1), (channels,)) if full.size == 1 else full.reshape(channels)


class FuseAddIntoBias(RewritePattern):
    """add(layer(x), c) or add(c, layer(x)), or sub(layer(x), c), with c constant per channel.

    The layer (any `AffineWeights`: nn.dense over the last axis, nn.conv over axis 1) gets
    bias b + c (b - c for sub) on its `output_channel_axis()`; the layer result must have
    no other user.
    """

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: AddOp | SubOp, rewriter: PatternRewriter) -> None:
        sides = [(op.lhs, op.rhs)] if isinstance(op, SubOp) else [(op.lhs, op.rhs), (op.rhs, op.lhs)]
        for layer_value, other in sides:
            layer = layer_value.owner
            if not isinstance(layer, AffineWeights) or not layer_value.has_one_use():
                continue
            addend = constant_value(other)
            if addend is None or op.output.type != layer_value.type:
                continue
            shape = tuple(layer_value.type.get_shape())
            per_channel = _per_channel(np.asarray(addend, np.float64), shape, layer.output_channel_axis())
            if per_channel is None:
                continue
            if isinstance(op, SubOp):
                per_channel = -per_channel
            old = np.zeros(per_channel.shape) if layer.bias_operand() is None else constant_value(layer.bias_operand())
            if old is None:
                continue
            bias = ConstantOp(to_dense(np.asarray(old, np.float64) + per_channel, op.output.type.element_type))
            new = layer.with_weights(layer.weight_operand(), bias.output)
            bias.location = new.location = layer.location
            rewriter.insert([bias, new])
            rewriter.replace(op, [], [new.results[0]])
            rewriter.erase(layer)
            return


def populate_nn_fuse_bias_patterns() -> list[RewritePattern]:
    """Patterns of `nn-fuse-bias`, for reuse in other pipelines."""
    return [FuseAddIntoBias()]


@dataclass(frozen=True)
class NnFuseBiasPass(ModulePass):
    """Fuse a constant per-output-channel `nn.add`/`nn.sub` into the bias of the
    `nn.dense`, `nn.conv` or other `AffineWeights` layer that produces its other operand (ONNX MatMul + Add, or
    Conv without bias + Add)."""

    name = "nn-fuse-bias"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(
            GreedyRewritePatternApplier(populate_nn_fuse_bias_patterns()),
            apply_recursively=True,
        ).rewrite_module(op)
