"""`binary-complex-raise-complex-layers`: real `nn` graphs of complex layers become one
`binary_complex.complex_conv` / `binary_complex.complex_dense` each.

ONNX has no complex type: an exporter writes a complex layer ``W = A + jB`` on channels
``[x; y]`` either as

(a) the sub-graph of a torch ``ComplexConv2d`` / ``ComplexLinear``: the input split into its
    real and imaginary halves (``torch.chunk`` -> Split or Slice, imported as two
    `nn.gather`), four real layers, a Sub, an Add and the Concat of [real; imag]:

        concat(sub(L(x; A, a), L(y; B, b)), add(L(y; A, a), L(x; B, b)))      (add in any order)

    with L all `nn.conv` (the same geometry, group 1) or all `nn.dense`; the two uses of A
    (and of B) must have equal weights and biases by value. The complex bias is
    ``[a - b; a + b]``;
(b) one real `nn.conv` (group 1) or `nn.dense` whose weight is exactly ``[[A, -B], [B, A]]``
    over (output, input) channels, with A and B both non-zero.

Anything else stays as it is (the real graph computes the same values): a sub-graph with
different weights, other halves, another channel order or intermediate values used
elsewhere is not rewritten.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier, PatternRewriter, PatternRewriteWalker, RewritePattern, op_type_rewrite_pattern,
)

from nncc.dialects.binary_complex import ComplexConvOp, ComplexDenseOp, complex_parts
from nncc.dialects.dense import to_dense
from nncc.dialects.interfaces import AffineWeights, MacLayer, Windowed
from nncc.dialects.nn import AddOp, ConcatOp, ConstantOp, GatherOp, ReshapeOp, SubOp
from nncc.dialects.nn.canonicalize import constant_value


def _real_layer(op: Operation | None) -> str | None:
    """"conv" or "dense" for a float layer with rewritable weights (`AffineWeights`, a
    `MacLayer`; "conv" when `Windowed`: an ungrouped convolution), else None."""
    if not isinstance(op, AffineWeights) or not isinstance(op, MacLayer):
        return None
    if isinstance(op, Windowed):
        return "conv" if op.window_geometry().group == 1 else None
    rank = len(op.results[0].type.get_shape())
    return "dense" if op.output_channel_axis() == rank - 1 and len(op.weight_operand().type.get_shape()) == 2 else None


def _only_use(value: SSAValue, user: Operation) -> bool:
    return value.has_one_use() and next(iter(value.uses)).operation is user


def _halves(x: SSAValue, y: SSAValue, layer) -> SSAValue | None:
    """The source of ``x`` and ``y`` when they are its first and second half (`nn.gather` of
    consecutive elements), for a conv of the channel axis, for a dense layer of the flattened
    features; else None."""
    gx, gy = x.owner, y.owner
    if not isinstance(gx, GatherOp) or not isinstance(gy, GatherOp) or gx.input is not gy.input:
        return None
    src = tuple(gx.input.type.get_shape())
    half = tuple(x.type.get_shape())
    n = int(np.prod(half[1:], dtype=np.int64))
    if int(np.prod(src[1:], dtype=np.int64)) != 2 * n or tuple(y.type.get_shape()) != half:
        return None
    kind = _real_layer(layer)
    if kind == "conv" and src != (half[0], 2 * half[1]) + half[2:]:
        return None
    if kind == "dense" and len(half) != 2:
        return None
    first, second = (np.asarray(g.indices.get_values(), np.int64) for g in (gx, gy))
    if not (np.array_equal(first, np.arange(n)) and np.array_equal(second, np.arange(n, 2 * n))):
        return None
    return gx.input


def _same_layer(p, q) -> bool:
    """Same kind, geometry, weights and bias (by value)."""
    if type(p) is not type(q) or p.properties != q.properties:
        return False
    wp, wq = constant_value(p.weight_operand()), constant_value(q.weight_operand())
    if wp is None or wq is None or wp.shape != wq.shape or not np.array_equal(wp, wq):
        return False
    bp, bq = (_bias(layer) for layer in (p, q))
    return bp is not None and bq is not None and np.array_equal(bp, bq)


def _bias(layer) -> np.ndarray | None:
    """The layer's bias values (zeros without one), None when it is not a constant."""
    if layer.bias_operand() is None:
        return np.zeros(layer.weight_operand().type.get_shape()[0])
    value = constant_value(layer.bias_operand())
    return None if value is None else np.asarray(value, np.float64).reshape(-1)


def _complex_op(layer, x: SSAValue, a: SSAValue, b: SSAValue, bias: SSAValue | None) -> Operation:
    if _real_layer(layer) == "conv":
        props = layer.properties
        return ComplexConvOp(x, a, b, bias, props["strides"].get_values(), props["pads"].get_values(),
                             props["dilations"].get_values())
    return ComplexDenseOp(x, a, b, bias)


class RaiseComplexSubgraph(RewritePattern):
    """(a): the Concat of [L(x; A) - L(y; B); L(y; A) + L(x; B)] on the halves of one tensor."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: ConcatOp, rewriter: PatternRewriter) -> None:
        if len(op.operands) != 2:
            return
        sub, add = op.operands[0].owner, op.operands[1].owner
        if not isinstance(sub, SubOp) or not isinstance(add, AddOp):
            return
        if not (_only_use(sub.output, op) and _only_use(add.output, op)):
            return
        l1, l2 = sub.lhs.owner, sub.rhs.owner
        kind = _real_layer(l1)
        if kind is None or _real_layer(l2) != kind:
            return
        rank = len(op.output.type.get_shape())
        if op.axis.value.data != (1 if kind == "conv" else rank - 1):
            return
        x, y = l1.activation(), l2.activation()
        for l3, l4 in ((add.lhs.owner, add.rhs.owner), (add.rhs.owner, add.lhs.owner)):
            if _real_layer(l3) != kind or _real_layer(l4) != kind:
                return
            if l3.activation() is y and l4.activation() is x:
                break
        else:
            return
        outs = ((l1, sub), (l2, sub), (l3, add), (l4, add))
        if not all(_only_use(layer.output, user) for layer, user in outs):
            return
        if not (_same_layer(l1, l3) and _same_layer(l2, l4) and type(l1) is type(l2)):
            return
        if l1.properties != l2.properties or l1.weight_operand().type != l2.weight_operand().type:
            return
        h = _halves(x, y, l1)
        if h is None:
            return
        new_ops = []
        if kind == "dense" and tuple(h.type.get_shape()) != (1, 2 * x.type.get_shape()[1]):
            flat = ReshapeOp(h, (1, 2 * x.type.get_shape()[1]))
            flat.location = op.location
            new_ops.append(flat)
            h = flat.output
        a_bias, b_bias = _bias(l1), _bias(l2)
        bias = ConstantOp(to_dense(np.concatenate([a_bias - b_bias, a_bias + b_bias]),
                                   op.output.type.element_type))
        layer = _complex_op(l1, h, l1.weight_operand(), l2.weight_operand(), bias.output)
        bias.location = layer.location = op.location
        rewriter.insert([*new_ops, bias, layer])
        rewriter.replace(op, [], [layer.results[0]])
        for dead in (sub, add, l1, l2, l3, l4):
            rewriter.erase(dead)


class RaiseRealEquivalent(RewritePattern):
    """(b): a real conv (group 1) or dense layer with the weight [[A, -B], [B, A]]."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if _real_layer(op) is None:
            return
        w = constant_value(op.weight_operand())
        if w is None:
            return
        parts = complex_parts(np.asarray(w))
        if parts is None or not np.any(parts[0]) or not np.any(parts[1]):
            return
        element = op.weight_operand().type.element_type
        a, b = (ConstantOp(to_dense(np.ascontiguousarray(p), element)) for p in parts)
        layer = _complex_op(op, op.activation(), a.output, b.output, op.bias_operand())
        a.location = b.location = layer.location = op.location
        rewriter.insert([a, b, layer])
        rewriter.replace(op, [], [layer.results[0]])


def populate_binary_complex_raise_complex_layers_patterns() -> list[RewritePattern]:
    """Patterns of `binary-complex-raise-complex-layers`, for reuse in other pipelines."""
    return [RaiseComplexSubgraph(), RaiseRealEquivalent()]


@dataclass(frozen=True)
class BinaryComplexRaiseComplexLayersPass(ModulePass):
    """Complex layers written as real graphs become `binary_complex.complex_conv` /
    `binary_complex.complex_dense` (see the module docstring)."""

    name = "binary-complex-raise-complex-layers"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        walker = PatternRewriteWalker(
            GreedyRewritePatternApplier(populate_binary_complex_raise_complex_layers_patterns()),
            apply_recursively=False)
        walker.rewrite_module(op)
