"""Canonicalization patterns of the `nn` dialect (run by xDSL's `canonicalize` pass).

Each pattern removes a redundant data-movement op or moves constant work to compile
time, so that later passes see one canonical form: reshapes instead of flattens,
no identity reshapes/transposes/pads, constant operands pre-permuted, and products with
constant 2-D matrices as `nn.dense`.
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import TensorType
from xdsl.ir import Operation, SSAValue
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern, op_type_rewrite_pattern

from nncc.dialects.dense import from_dense, to_dense
from nncc.dialects.nn import ops, structure


def constant_value(value: SSAValue) -> np.ndarray | None:
    """The numpy value of an `nn.constant` result, or None for run-time values."""
    owner = value.owner
    if isinstance(owner, ops.ConstantOp):
        return from_dense(owner.value)
    return None


def _located(new: Operation, old: Operation) -> Operation:
    new.location = old.location
    return new


class FlattenToReshape(RewritePattern):
    """nn.flatten -> nn.reshape to the same result type."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: structure.FlattenOp, rewriter: PatternRewriter) -> None:
        rewriter.replace(op, _located(structure.ReshapeOp(op.input, ops.shape_of(op.output)), op))


class FoldReshape(RewritePattern):
    """Drop identity reshapes, merge reshape chains, fold reshapes of constants."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: structure.ReshapeOp, rewriter: PatternRewriter) -> None:
        if op.input.type == op.output.type:
            rewriter.replace(op, [], [op.input])
        elif isinstance(op.input.owner, structure.ReshapeOp):
            rewriter.replace(op, _located(structure.ReshapeOp(op.input.owner.input, ops.shape_of(op.output)), op))
        elif (value := constant_value(op.input)) is not None:
            element = op.output.type.element_type
            new = ops.ConstantOp(to_dense(value.reshape(ops.shape_of(op.output)), element))
            rewriter.replace(op, _located(new, op))


class FoldTranspose(RewritePattern):
    """Drop identity transposes, compose transpose chains, fold transposes of constants."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: structure.TransposeOp, rewriter: PatternRewriter) -> None:
        perm = op.perm.get_values()
        if list(perm) == sorted(perm):
            rewriter.replace(op, [], [op.input])
        elif isinstance(op.input.owner, structure.TransposeOp):
            inner = op.input.owner.perm.get_values()
            rewriter.replace(op, _located(structure.TransposeOp(op.input.owner.input, [inner[p] for p in perm]), op))
        elif (value := constant_value(op.input)) is not None:
            element = op.output.type.element_type
            rewriter.replace(op, _located(ops.ConstantOp(to_dense(value.transpose(perm), element)), op))


class DropZeroPad(RewritePattern):
    """A pad of all zeros is the identity."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: structure.PadOp, rewriter: PatternRewriter) -> None:
        if not any(op.pads.get_values()):
            rewriter.replace(op, [], [op.input])


class DropSingleConcat(RewritePattern):
    """A concat of one tensor is that tensor."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: structure.ConcatOp, rewriter: PatternRewriter) -> None:
        if len(op.inputs) == 1:
            rewriter.replace(op, [], [op.inputs[0]])


class MatMulConstantToDense(RewritePattern):
    """x @ W with a constant K x M matrix W becomes nn.dense(x, W^T)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: ops.MatMulOp, rewriter: PatternRewriter) -> None:
        weight = constant_value(op.rhs)
        if weight is None or weight.ndim != 2:
            return
        element = op.rhs.type.element_type
        const = _located(ops.ConstantOp(to_dense(weight.T, element)), op)
        dense = _located(ops.DenseOp(op.lhs, const.output), op)
        if not isinstance(op.output.type, TensorType) or dense.output.type != op.output.type:
            return
        rewriter.replace(op, [const, dense])


def canonicalization_patterns() -> dict[type[Operation], tuple[RewritePattern, ...]]:
    """Patterns per op class, attached to the ops by the dialect module."""
    return {
        structure.FlattenOp: (FlattenToReshape(),),
        structure.ReshapeOp: (FoldReshape(),),
        structure.TransposeOp: (FoldTranspose(),),
        structure.PadOp: (DropZeroPad(),),
        structure.ConcatOp: (DropSingleConcat(),),
        ops.MatMulOp: (MatMulConstantToDense(),),
    }
