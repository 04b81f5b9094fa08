"""A third-party nncc plugin, used by the tests: one pass and one pipeline."""

from __future__ import annotations

from dataclasses import dataclass

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
from xdsl.universe import Universe

from nncc.dialects.nn import ClipOp, ReluOp


class ReluToClip(RewritePattern):
    """nn.relu -> nn.clip {min = 0}."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: ReluOp, rewriter: PatternRewriter) -> None:
        new = ClipOp(op.input, 0.0, None)
        new.location = op.location
        rewriter.replace(op, new)


@dataclass(frozen=True)
class DemoReluToClipPass(ModulePass):
    """Rewrite every nn.relu as nn.clip with min 0 (same values)."""

    name = "demo-relu-to-clip"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(GreedyRewritePatternApplier([ReluToClip()])).rewrite_module(op)


def build_demo_relu_clip(options=None):
    """Pipeline: the demo pass followed by canonicalization."""
    from xdsl.transforms.canonicalize import CanonicalizePass

    return [DemoReluToClipPass(), CanonicalizePass()]


DEMO_UNIVERSE = Universe(all_dialects={}, all_passes={"demo-relu-to-clip": lambda: DemoReluToClipPass}, all_targets={})
