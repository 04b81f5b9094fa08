"""`binary-complex-replace-conv-with-xnor`: binary x binary convolutions become XNOR and
popcount.

A `fixed.conv` of a function body (group 1) whose raw weights are all -1 or +1 (a constant;
the `#encoding.binary<shift = 0>` promise, whatever encoding the layer carries), whose bias
(if any) is a constant, whose products are integers (input fraction plus weight fraction 0,
as for a sign's raw +-1 at scale 1) and whose input provably holds only -1 and +1
(`binary_complex.holds_bipolar`) becomes `binary_complex.xnor_conv` with the same operands,
properties and result type. Zero padding is exact: the XNOR layer counts a padded tap (raw
0, even) as neither agreeing nor disagreeing, so its outputs are the convolution's on every
+-1 input. The other convolutions keep their sliding-window engines (shift-and-add for +-1
weights on a wider input, such as a first layer on 8-bit pixels).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, StringAttr
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import PatternRewriter, PatternRewriteWalker, RewritePattern, op_type_rewrite_pattern

from nncc.dialects import fixed
from nncc.dialects.binary_complex import XnorConvOp, holds_bipolar
from nncc.dialects.fixed import raw_constant
from nncc.dialects.interfaces import LAYER_ATTR


def binary_conv(op: fixed.ConvOp) -> bool:
    """Whether ``op`` is a binary x binary convolution this pass rewrites (module docstring)."""
    if not isinstance(op.parent_op(), func.FuncOp) or op.group.value.data != 1:
        return False
    if fixed.fixed_of(op.input).frac + fixed.fixed_of(op.weight).frac != 0:
        return False
    if op.bias is not None and raw_constant(op.bias) is None:
        return False
    raw = raw_constant(op.weight)
    if raw is None or not np.isin(raw, (-1, 1)).all():
        return False
    return holds_bipolar(op.input)


class ReplaceConvWithXnor(RewritePattern):
    """`fixed.conv` (binary weights, +-1 input) -> `binary_complex.xnor_conv` (same operands,
    properties and result type)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: fixed.ConvOp, rewriter: PatternRewriter) -> None:
        if not binary_conv(op):
            return
        new = XnorConvOp(op.input, op.weight, op.bias, op.strides.get_values(), op.pads.get_values(),
                         op.dilations.get_values())
        for key, attr in op.attributes.items():
            new.attributes[key] = attr
        if LAYER_ATTR not in new.attributes and isinstance(getattr(op.location, "desc", None), StringAttr):
            new.attributes[LAYER_ATTR] = op.location.desc
        new.location = op.location
        rewriter.replace(op, new)


def populate_binary_complex_replace_conv_with_xnor_patterns() -> list[RewritePattern]:
    """The pass's patterns (for pipelines that reuse them)."""
    return [ReplaceConvWithXnor()]


@dataclass(frozen=True)
class BinaryComplexReplaceConvWithXnorPass(ModulePass):
    """Rewrite binary x binary `fixed.conv` layers (+-1 weights, +-1 input, group 1) into
    `binary_complex.xnor_conv` (XNOR-popcount sliding-window hardware, same results)."""

    name = "binary-complex-replace-conv-with-xnor"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        patterns = populate_binary_complex_replace_conv_with_xnor_patterns()
        PatternRewriteWalker(patterns[0], apply_recursively=False).rewrite_module(op)
