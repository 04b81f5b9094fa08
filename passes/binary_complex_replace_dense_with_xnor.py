"""`binary-complex-replace-dense-with-xnor`: binary x binary dense layers become XNOR and
popcount.

A `fixed.dense` of a function body whose raw weights are all -1 or +1 (a constant; the
`#encoding.binary<shift = 0>` promise, whatever encoding the layer carries) and whose input
provably holds only -1 and +1 (`binary_complex.holds_bipolar`: a sign / QONNX BipolarQuant
lowered by `convert-nn-to-fixed`, a `binary_complex.threshold`, and moves or max pools of
those) becomes `binary_complex.xnor_dense` (``2 * popcount(XNOR) - K``, the exact dot
product), followed by the original bias as a `fixed.add` and a `fixed.cast` back to the
original accumulator type (a widening: every value fits, so the cast is exact). The result,
its type and its users stay as they were: the fixed-point outputs do not change.

Only layers with a 2-D input ([1, K]) whose products are integers (the input's fraction
plus the weights' is 0, as for the sign's raw +-1 at scale 1) are rewritten; the others
keep the shift-and-add (or multiplier) hardware.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, StringAttr
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import PatternRewriter, PatternRewriteWalker, RewritePattern, op_type_rewrite_pattern

from nncc.dialects import fixed
from nncc.dialects.binary_complex import XnorDenseOp, holds_bipolar
from nncc.dialects.fixed import Overflow, OverflowAttr, Rounding, RoundingAttr, raw_constant
from nncc.dialects.interfaces import LAYER_ATTR


def binary_dense(op: fixed.DenseOp) -> bool:
    """Whether ``op`` is a binary x binary dense layer this pass rewrites (module docstring)."""
    if not isinstance(op.parent_op(), func.FuncOp):
        return False  # a recurrent step's products stay as they are
    x = op.input.type
    if len(x.get_shape()) != 2 or x.get_shape()[0] != 1:
        return False
    if fixed.fixed_of(op.input).frac + fixed.fixed_of(op.weight).frac != 0:
        return False
    raw = raw_constant(op.weight)
    if raw is None or not np.isin(raw, (-1, 1)).all():
        return False
    return holds_bipolar(op.input)


class ReplaceDenseWithXnor(RewritePattern):
    """`fixed.dense` (binary weights, +-1 input) -> `binary_complex.xnor_dense` + bias add +
    cast to the original accumulator type."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: fixed.DenseOp, rewriter: PatternRewriter) -> None:
        if not binary_dense(op):
            return
        new: list[Operation] = [XnorDenseOp(op.input, op.weight)]
        value: SSAValue = new[-1].results[0]
        if op.bias is not None:
            new.append(fixed.AddOp(value, op.bias))
            value = new[-1].results[0]
        target = fixed.fixed_of(op.output)
        if fixed.fixed_of(value) != target:
            new.append(fixed.CastOp(value, target, RoundingAttr(Rounding.TRN), OverflowAttr(Overflow.WRAP)))
        for key, attr in op.attributes.items():
            new[0].attributes[key] = attr
        if LAYER_ATTR not in new[0].attributes and isinstance(getattr(op.location, "desc", None), StringAttr):
            new[0].attributes[LAYER_ATTR] = op.location.desc
        for created in new:
            created.location = op.location
        rewriter.replace(op, new, [new[-1].results[0]])


def populate_binary_complex_replace_dense_with_xnor_patterns() -> list[RewritePattern]:
    """The pass's patterns (for pipelines that reuse them)."""
    return [ReplaceDenseWithXnor()]


@dataclass(frozen=True)
class BinaryComplexReplaceDenseWithXnorPass(ModulePass):
    """Rewrite binary x binary `fixed.dense` layers (+-1 weights, +-1 input) into
    `binary_complex.xnor_dense` plus their bias add (XNOR-popcount hardware, same results)."""

    name = "binary-complex-replace-dense-with-xnor"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        patterns = populate_binary_complex_replace_dense_with_xnor_patterns()
        PatternRewriteWalker(patterns[0], apply_recursively=False).rewrite_module(op)
