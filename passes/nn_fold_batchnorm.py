"""`nn-fold-batchnorm`: fold inference batch normalization into the preceding layer."""

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
from nncc.dialects.nn import BatchNormOp, ConstantOp
from nncc.dialects.nn.canonicalize import constant_value


class FoldBatchnormIntoLayer(RewritePattern):
    """batchnorm(layer(x, W, b)) -> layer(x, W * s, (b - mean) * s + beta) for any
    `AffineWeights` layer (nn.conv, nn.dense) whose output channels lie on axis 1, the
    batch norm's channel axis.

    With s = scale / sqrt(var + eps) per output channel. Applies only when the layer's
    result has no other user and all batch-norm parameters are constants.
    """

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: BatchNormOp, rewriter: PatternRewriter) -> None:
        layer = op.input.owner
        if not isinstance(layer, AffineWeights) or not op.input.has_one_use():
            return
        if layer.output_channel_axis() != 1:
            return  # e.g. a dense layer over the last axis of a 3-D tensor
        params = [constant_value(v) for v in (op.scale, op.bias, op.mean, op.var, layer.weight_operand())]
        if any(p is None for p in params):
            return
        scale, beta, mean, var, weight = (np.asarray(p, np.float64) for p in params)
        if binary_weights(weight):
            return
        factor = scale / np.sqrt(var + op.epsilon.value.data)
        bias = np.zeros_like(mean) if layer.bias_operand() is None else constant_value(layer.bias_operand())
        if bias is None:
            return
        new_weight = weight * factor.reshape((-1,) + (1,) * (weight.ndim - 1))
        new_bias = (np.asarray(bias, np.float64) - mean) * factor + beta
        element = op.output.type.element_type
        w_const = ConstantOp(to_dense(new_weight, element))
        b_const = ConstantOp(to_dense(new_bias, element))
        new = layer.with_weights(w_const.output, b_const.output)
        for created in (w_const, b_const, new):
            created.location = layer.location
        rewriter.insert([w_const, b_const, new])
        rewriter.replace(op, [], [new.results[0]])
        rewriter.erase(layer)


def binary_weights(weight: np.ndarray) -> bool:
    """Whether folding would spoil a binarized layer: its weights are all -1 or +1. Folding
    would scale every output channel's weights by its own factor, so the layer would need
    multipliers instead of additions or XNOR gates; the batch norm stays, a per-channel scale
    and shift (one product per output instead of one per weight)."""
    return bool(weight.size) and bool(np.isin(weight, (-1.0, 1.0)).all())


def populate_nn_fold_batchnorm_patterns() -> list[RewritePattern]:
    """Patterns of `nn-fold-batchnorm`, for reuse in other pipelines."""
    return [FoldBatchnormIntoLayer()]


@dataclass(frozen=True)
class NnFoldBatchnormPass(ModulePass):
    """Fold `nn.batchnorm` into a directly preceding `nn.conv`, 2-D `nn.dense` or other
    `AffineWeights` layer with its output channels on axis 1.

    Batch normalizations without such a producer (for example on a graph input, or
    after a layer whose result has other users), and those after a layer with +-1 weights
    (`binary_weights`), stay as they are; the interpreter and the later
    lowering handle them as a per-channel scale and shift.
    """

    name = "nn-fold-batchnorm"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(
            GreedyRewritePatternApplier(populate_nn_fold_batchnorm_patterns()),
            apply_recursively=True,
        ).rewrite_module(op)
