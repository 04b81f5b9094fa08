"""`recurrent-delta`: put fixed-point recurrent layers into the delta form (DeltaLSTM /
DeltaGRU, `nncc.dialects.recurrent.delta`).

For every `recurrent.scan` whose step multiplies weights by the input slice x_t or the
previous h (`fixed.dense` on a block argument), the step gets, per such vector v, a state v̂
(the last value passed on, initially 0) and

    Δ = dead_zone(v - v̂, Θ)        (Θ = theta_x for x_t, theta_h for h, in real units)
    v̂' = v̂ + Δ                     (cast back to v's type: exact, it is v or v̂ element-wise)

and, per product W v + b, a state M (the delta memory, the product's type, initially b) with
M' = `recurrent.delta_accumulate`(M, Δ, W) in place of the product. With Θ = 0 the layer
computes exactly what it did before. The thresholds are rounded up to the raw grid of Δ
(|Δ| >= Θ).

Sparse weights (`#encoding.sparse<...>`) are read as they are: the engine keeps only the
non-zero weights of each column (`column_lists`), so column-balanced ones leave no PE idle.

Options: `theta_x`, `theta_h` (>= 0). A product whose input is neither x_t nor the previous h
(a GRU with linear_before_reset = 0 multiplies r h first) cannot be delta-coded: the pass
stops with the layer's name. Layers are selected by `layers` (comma-separated layer labels;
empty: every recurrent layer).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, StringAttr
from xdsl.ir import SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter
from xdsl.utils.exceptions import PassFailedException

from nncc.dialects import fixed
from nncc.dialects.dataflow import REUSE_ATTR
from nncc.dialects.dense import to_dense
from nncc.dialects.encodings import is_sparse
from nncc.dialects.fixed.quantization import LAYER_ATTR, container
from nncc.dialects.interfaces import layer_label
from nncc.dialects.recurrent.delta import DeltaAccumulateOp
from nncc.dialects.recurrent.scan import ScanOp, YieldOp


def threshold_raw(theta: float, delta_type: fixed.FixedType) -> int:
    """Θ on Δ's raw grid: the smallest raw magnitude >= Θ (|Δ| >= Θ <=> |raw| >= this)."""
    raw = int(np.ceil(theta * 2.0**delta_type.frac - 1e-9))
    limit = 1 << (delta_type.width.data - 1)
    if raw >= limit:
        raise PassFailedException(f"recurrent-delta: threshold {theta} is beyond the change's range "
                                  f"({delta_type}); no change would ever pass")
    return max(raw, 0)


def _constant(raw: np.ndarray, typ: fixed.FixedType, shape) -> fixed.ConstantOp:
    return fixed.ConstantOp(to_dense(np.asarray(raw, np.int64).reshape(shape), container(typ.width.data)), typ)


@dataclass(frozen=True)
class RecurrentDeltaPass(ModulePass):
    """Delta-code the products of recurrent steps (see the module docstring).

    Options: `theta_x` and `theta_h`, the change thresholds of the input slice and of the
    hidden state in real units (0: exact); `layers`, the layer labels to rewrite
    (comma-separated; empty: every recurrent layer)."""

    name = "recurrent-delta"

    theta_x: float = 0.0
    theta_h: float = 0.0
    layers: str = ""

    def __post_init__(self):
        if not (self.theta_x >= 0 and self.theta_h >= 0):
            raise ValueError(f"recurrent-delta: theta_x and theta_h must be >= 0, got {self.theta_x}, {self.theta_h}")

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        wanted = {name.strip() for name in self.layers.split(",") if name.strip()}
        scans = [o for f in op.ops if isinstance(f, func.FuncOp) for o in f.body.blocks[0].ops if isinstance(o, ScanOp)]
        found = set()
        for scan in scans:
            label = layer_label(scan)
            if wanted and label not in wanted:
                continue
            found.add(label)
            self.rewrite(scan, label)
        if missing := sorted(wanted - found):
            raise PassFailedException(f"recurrent-delta: no recurrent layer named {', '.join(missing)}")

    def rewrite(self, scan: ScanOp, label: str) -> None:
        block = scan.body.block
        x_arg, h_arg = block.args[0], block.args[1]
        products = [o for o in block.ops if isinstance(o, fixed.DenseOp)]
        if not products:
            raise PassFailedException(f"recurrent-delta: layer '{label}' has no products to delta-code")
        for product in products:
            if product.input not in (x_arg, h_arg):
                raise PassFailedException(
                    f"recurrent-delta: layer '{label}': product '{product.attributes.get(LAYER_ATTR, StringAttr('?')).data}' "
                    "multiplies neither x_t nor the previous h (a GRU with linear_before_reset = 0 multiplies r h "
                    "first), so it cannot be delta-coded")
            if product.encoding is not None and not is_sparse(product.encoding):
                raise PassFailedException(f"recurrent-delta: layer '{label}': the delta engine reads two's-complement "
                                          f"weights (zeros skipped), not {product.encoding}")
        terminator = block.last_op
        first = block.first_op
        new_states: list[SSAValue] = []
        next_values: list[SSAValue] = []
        deltas: dict[SSAValue, SSAValue] = {}
        for v, theta in ((x_arg, self.theta_x), (h_arg, self.theta_h)):
            if not any(p.input is v for p in products):
                continue
            typ = fixed.fixed_of(v)
            zero = _constant(np.zeros(v.type.get_shape(), np.int64), typ, v.type.get_shape())
            Rewriter.insert_op(zero, InsertPoint.before(scan))
            new_states.append(zero.output)
            hat = block.insert_arg(v.type, len(block.args))
            diff = fixed.SubOp(v, hat)
            gate = fixed.DeadZoneOp(diff.output, threshold_raw(theta, fixed.fixed_of(diff.output)))
            passed = fixed.AddOp(hat, gate.output)
            back = fixed.CastOp(passed.output, typ, fixed.RoundingAttr(fixed.Rounding.TRN),
                                fixed.OverflowAttr(fixed.Overflow.WRAP))
            for new in (diff, gate, passed, back):
                new.attributes[LAYER_ATTR] = StringAttr(f"{label} (delta {'x' if v is x_arg else 'h'})")
            Rewriter.insert_op([diff, gate, passed, back], InsertPoint.before(first))
            deltas[v] = gate.output
            next_values.append(back.output)
        for product in products:
            raw = [fixed.raw_constant(o) for o in product.operands[1:]]
            zeros = np.zeros((1, product.input.type.get_shape()[-1]), np.int64)
            bias = np.asarray(product.evaluate_fixed([zeros, *raw], 1)).reshape(product.output.type.get_shape())
            initial = _constant(bias, fixed.fixed_of(product.output), product.output.type.get_shape())
            Rewriter.insert_op(initial, InsertPoint.before(scan))
            new_states.append(initial.output)
            memory = block.insert_arg(product.output.type, len(block.args))
            engine = DeltaAccumulateOp(memory, deltas[product.input], product.weight)
            for key in (LAYER_ATTR, REUSE_ATTR):
                if key in product.attributes:
                    engine.attributes[key] = product.attributes[key]
            bias_op = product.bias.owner if product.bias is not None else None
            Rewriter.replace_op(product, engine)
            if bias_op is not None and not bias_op.results[0].uses:
                Rewriter.erase_op(bias_op)
            next_values.append(engine.output)
        Rewriter.replace_op(terminator, YieldOp(*terminator.operands, *next_values))
        body = scan.detach_region(scan.body)
        rebuilt = ScanOp(scan.input, [*scan.states, *new_states], body, scan.direction.data)
        rebuilt.attributes.update(scan.attributes)
        Rewriter.replace_op(scan, rebuilt)


