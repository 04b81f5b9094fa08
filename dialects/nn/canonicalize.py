"""Canonicalization patterns of the `nn` dialect (run by xDSL's `canonicalize` pass).

Each pattern removes a redundant data-movement op or moves constant work to compile
time, so that later passes see one canonical form: reshapes instead of flattens,
no identity reshapes/transposes/pads/gathers, chains of gathers and the reshapes or
transposes feeding them as one gather, constant operands pre-permuted, and products with
constant 2-D matrices as `nn.dense`.
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import TensorType
from xdsl.ir import Operation, SSAValue
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern, op_type_rewrite_pattern

from nncc.dialects.dense import from_dense, to_dense
from nncc.dialects.nn import ops, selection, structure


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


def _flat_table(op: Operation) -> np.ndarray | None:
    """Per-sample flat index table of a data-movement op (-1: zero), or None."""
    if isinstance(op, selection.GatherOp):
        return op.table()
    if isinstance(op, structure.ReshapeOp):
        return np.arange(int(np.prod(ops.shape_of(op.output))))
    if isinstance(op, structure.TransposeOp):
        x = ops.shape_of(op.input)
        return np.arange(int(np.prod(x))).reshape(x).transpose(op.perm.get_values()).reshape(-1)
    return None


class ComposeGather(RewritePattern):
    """A gather of a gather, reshape or transpose is one gather of the inner op's input;
    a gather that selects every element in order is a reshape (or nothing)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: selection.GatherOp, rewriter: PatternRewriter) -> None:
        table, source = op.table(), op.input
        inner = _flat_table(op.input.owner) if isinstance(op.input.owner, Operation) else None
        if inner is not None:
            table, source = np.where(table >= 0, inner[np.maximum(table, 0)], -1), op.input.owner.operands[0]
        shape = ops.shape_of(op.output)
        size = int(np.prod(ops.shape_of(source)))
        if table.size == size and np.array_equal(table, np.arange(size)):
            if source.type == op.output.type:
                rewriter.replace(op, [], [source])
            else:
                rewriter.replace(op, _located(structure.ReshapeOp(source, shape), op))
        elif inner is not None:
            rewriter.replace(op, _located(selection.GatherOp(source, table, shape), op))


def canonicalization_patterns() -> dict[type[Operation], tuple[RewritePattern, ...]]:
    """Patterns per op class, attached to the ops by the dialect module."""
    return {
        structure.FlattenOp: (FlattenToReshape(),),
        structure.ReshapeOp: (FoldReshape(),),
        structure.TransposeOp: (FoldTranspose(),),
        structure.PadOp: (DropZeroPad(),),
        structure.ConcatOp: (DropSingleConcat(),),
        ops.MatMulOp: (MatMulConstantToDense(),),
        selection.GatherOp: (ComposeGather(),),
    }
